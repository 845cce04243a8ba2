using System.Net.Sockets;
using FastDht.Engine.Node.Internal;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>MaxClients: the node's listeners together keep at most that many connections, so a flood cannot take every file descriptor.</summary>
public sealed class MaxClientsTests
{
    [Fact]
    public async Task A_connection_past_max_clients_is_closed_and_native_and_resp_clients_share_the_bound()
    {
        await using var cluster = await RespCluster.StartAsync(1, o => o.MaxClients = 2);
        using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+PONG\r\n", await resp.CallAsync("PING"));
        Assert.Equal(StatusCode.Ok, (await native.PutAsync("k"u8.ToArray(), "1"u8.ToArray())).Status);

        using (var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await third.ConnectAsync(RespCluster.RespOf(cluster, 0)).WaitAsync(Bounded.Timeout);
            await third.SendAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray(), SocketFlags.None);
            Assert.True(await ClosedAsync(third), "the third connection is closed without an answer");
        }

        // The two served go on (INFO counts the refusal, as Redis's rejected_connections); once one closes, a new client is served again.
        Assert.Equal("+PONG\r\n", await resp.CallAsync("PING"));
        Assert.Contains("rejected_connections:1\r\n", await resp.CallAsync("INFO", "stats"), StringComparison.Ordinal);
        native.Dispose();
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                await using var again = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
                return await again.CallAsync("PING") == "+PONG\r\n";
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return false; // refused while the closed client's handler was still ending
            }
        }, "a new client is served once the native one closed");
    }

    [Fact]
    public void The_default_bound_leaves_the_reserve_of_the_open_files_limit_to_the_node()
    {
        string[] limits =
        [
            "Limit                     Soft Limit           Hard Limit           Units     ",
            "Max open files            1024                 4096                 files     ",
        ];
        Assert.Equal(1024, DescriptorLimit.ReadOpenFilesLimit(limits));
        Assert.Null(DescriptorLimit.ReadOpenFilesLimit(["Max open files            unlimited            unlimited            files"]));
        Assert.Equal(1024 - 130 - DescriptorLimit.Reserve, DescriptorLimit.FromLimit(1024, 130));
        Assert.Equal(64, DescriptorLimit.FromLimit(256, 130)); // a tiny limit still serves a quarter of it
        Assert.True(DescriptorLimit.DerivedMaxClients() is null or > 0);
    }

    private static async Task<bool> ClosedAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[64].AsMemory(), SocketFlags.None).AsTask().WaitAsync(Bounded.Timeout) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return true;
        }
    }
}
