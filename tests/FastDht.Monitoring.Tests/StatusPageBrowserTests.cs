using FastDht.TestUtilities;

namespace FastDht.Monitoring.Tests;

/// <summary>The status page in a real browser (headless chromium): it loads, shows every member, and follows a node that stops.</summary>
public sealed class StatusPageBrowserTests
{
    // Each member's row as the page shows it: "id:state" in member order.
    private const string Rows = "JSON.stringify([...document.querySelectorAll('#members tbody tr')].map(r => r.dataset.node + ':' + r.dataset.state))";

    [ChromiumFact]
    public async Task ThePageShowsEveryMemberAndUpdatesWhenANodeStops()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        await using var browser = await HeadlessChromium.OpenAsync($"http://{endpoint.EndPoint}/");

        await Bounded.UntilAsync(async () => await browser.EvaluateAsync(Rows) == "[\"0:up\",\"1:up\",\"2:up\"]", "the page to show three members up");
        Assert.Equal("0", await browser.EvaluateAsync("document.getElementById('self').textContent"));
        Assert.Equal("1", await browser.EvaluateAsync("document.getElementById('epoch').textContent"));
        // The slot map: one part per range, the three together the whole width.
        Assert.Equal("3", await browser.EvaluateAsync("String(document.querySelectorAll('#slotmap div').length)"));
        Assert.Equal("", await browser.EvaluateAsync("document.getElementById('error').textContent"));

        await cluster.StopNodeAsync(2);
        // The same page, not a reload: its polling finds node 2 down.
        await Bounded.UntilAsync(async () => await browser.EvaluateAsync(Rows) == "[\"0:up\",\"1:up\",\"2:down\"]", "the page to show node 2 down");
    }

    [ChromiumFact]
    public async Task ThePageSaysSoWhenItsNodeStopsAnswering()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        await using var browser = await HeadlessChromium.OpenAsync($"http://{endpoint.EndPoint}/");
        await Bounded.UntilAsync(async () => await browser.EvaluateAsync(Rows) == "[\"0:up\"]", "the page to show its node");
        await endpoint.DisposeAsync();
        await Bounded.UntilAsync(async () => (await browser.EvaluateAsync("document.getElementById('error').textContent")).Contains("not answering", StringComparison.Ordinal), "the page to say its node is not answering");
    }
}
