using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>A MultiGet whose answer would not fit the receiver's frame limit is a clear error: never a giant frame, a hang or a reset link.</summary>
public sealed class MultiGetLimitTests
{
    private static byte[] KeyOwnedBy(TestCluster cluster, int owner, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}:{i}");
            if (cluster.OwnerOf(key) == owner)
                return key;
        }
    }

    private static Task<RawResponse> MultiGetAsync(NativeTestClient client, byte[] key, int copies) =>
        client.RequestAsync((w, id) => FrameWriter.WriteMultiGet(w, id, Enumerable.Repeat((ReadOnlyMemory<byte>)key, copies).ToArray()));

    [Fact]
    public async Task An_answer_over_the_frame_limit_is_refused_and_everything_else_goes_on()
    {
        // 1 MiB frames between the nodes (the default is 64 MiB), so a 1.2 MB answer is over the peer link's limit.
        await using var cluster = await TestCluster.StartAsync(3, o => o.Limits = new ProtocolLimits { MaxFrameSize = 1 << 20 });
        var big = KeyOwnedBy(cluster, 2, "big");
        var small = KeyOwnedBy(cluster, 2, "small");
        var value = new byte[600 * 1024];
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(big, value)).Status);
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(small, "v"u8.ToArray())).Status);

        // Through a non-owner: the owner's TxnRead answer (1.2 MB) would not fit the peer link's 1 MiB frames.
        var throughPeer = await MultiGetAsync(client, big, 2).WithinAsync("a MultiGet through a non-owner");
        Assert.Equal(StatusCode.FrameTooLarge, throughPeer.Status);
        // The link survived: a forwarded Get behind it is answered.
        Assert.Equal("v", Encoding.UTF8.GetString((await client.GetAsync(small)).Value));

        // At the owner, 1000 copies (a 600 MB answer): refused at once, and a request behind it is answered.
        using var atOwner = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2));
        var huge = await MultiGetAsync(atOwner, big, 1000).WithinAsync("a MultiGet naming one big value 1000 times");
        Assert.Equal(StatusCode.FrameTooLarge, huge.Status);
        Assert.Contains("frame limit", huge.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("v", Encoding.UTF8.GetString((await atOwner.GetAsync(small)).Value));

        // An answer that fits is served as before.
        var one = await MultiGetAsync(atOwner, big, 1);
        Assert.Equal(StatusCode.Ok, one.Status);
    }
}
