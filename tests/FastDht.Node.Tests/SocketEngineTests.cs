using System.Net.Sockets;
using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests;

/// <summary>--socket-engine (and its variable) chooses who serves a real fastdht-node's connections: FastDht's epoll threads or the runtime's.</summary>
public sealed class SocketEngineTests
{
    [Theory]
    [InlineData("--socket-engine", "epoll", true)]
    [InlineData("FASTDHT_NODE_SOCKETENGINE", "epoll", true)]
    [InlineData("--socket-engine", "runtime", false)]
    public async Task The_chosen_engine_serves_the_nodes_clients(string source, string engine, bool ownThreads)
    {
        if (!OperatingSystem.IsLinux())
            return; // the engine and /proc are Linux's
        var environment = source.StartsWith("--", StringComparison.Ordinal) ? null : new Dictionary<string, string> { [source] = engine };
        string[] args = source.StartsWith("--", StringComparison.Ordinal) ? [source, engine, "--resp", "127.0.0.1:{resp}"] : ["--resp", "127.0.0.1:{resp}"];
        await using var cluster = await ProcessCluster.StartWithEnvironmentAsync(1, environment, args);
        await cluster[0].WaitForLineAsync($"Socket engine: {engine}");

        // A RESP client is served either way: SET then GET over one connection.
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(cluster.RespEndPointOf(0)).WaitAsync(Bounded.Timeout);
        Assert.Equal("+OK\r\n", await CallAsync(client, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n", 5));
        Assert.Equal("$5\r\nvalue\r\n", await CallAsync(client, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 11));

        // The engine's threads exist once it served a connection: the evidence of who served it.
        Assert.Equal(ownThreads, CountThreads(cluster[0].Id, "FastDht epoll 0") == 1);
    }

    private static async Task<string> CallAsync(Socket client, string command, int replyLength)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(command)).WaitAsync(Bounded.Timeout);
        var reply = new byte[replyLength];
        var got = 0;
        while (got < replyLength)
        {
            var n = await client.ReceiveAsync(reply.AsMemory(got)).AsTask().WaitAsync(Bounded.Timeout);
            if (n == 0)
                break;
            got += n;
        }
        return Encoding.ASCII.GetString(reply, 0, got);
    }

    private static int CountThreads(int pid, string name) => Directory.GetDirectories($"/proc/{pid}/task")
        .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == name);
}
