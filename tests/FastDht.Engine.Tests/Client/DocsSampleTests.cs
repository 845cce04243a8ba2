using FastDht.Engine.Client;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>The embedding sample of docs/client.md, compiled and run against a real cluster (seeds and cluster name adapted).</summary>
public sealed class DocsSampleTests
{
    [Fact]
    public async Task The_documented_sample_runs()
    {
        await using var cluster = await TestCluster.StartAsync(2);

        // ---- as in docs/client.md ----
        var options = new DhtClientOptions { ClusterName = "test", RequestTimeout = TimeSpan.FromSeconds(2) };
        options.Seeds.Add(cluster.Members.Get(0).Address);
        options.Seeds.Add(cluster.Members.Get(1).Address);

        await using var client = await DhtClient.ConnectAsync(options);

        await client.PutAsync("user:42", "Ada");
        string? name = await client.GetStringAsync("user:42");
        bool stored = await client.PutIfAbsentAsync("user:42", "Grace");
        await client.PutAsync("session:9", "token", TimeSpan.FromMinutes(30));
        bool leased = await client.PutIfAbsentAsync("lease:job7", "worker-3", TimeSpan.FromSeconds(10));
        bool deleted = await client.DeleteAsync("user:42");

        byte[] key = [1, 2, 3];
        await client.PutAsync(key, new byte[] { 42 });
        byte[]? value = await client.GetAsync(key);

        ClusterView view = await client.GetClusterInfoAsync();
        var lines = new List<string>();
        foreach (var member in view.Members)
            lines.Add($"{member.NodeId} {member.Address} {(member.IsUp ? "up" : "down")}");
        // ---- end of sample ----

        Assert.Equal("Ada", name);
        Assert.False(stored);
        Assert.True(leased);
        Assert.Equal("token", await client.GetStringAsync("session:9"));
        Assert.True(deleted);
        Assert.Equal(new byte[] { 42 }, value);
        Assert.Equal([$"0 {cluster.Members.Get(0).Address} up", $"1 {cluster.Members.Get(1).Address} up"], lines);
    }
}
