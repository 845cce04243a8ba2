using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests;

/// <summary>A deep RESP pipeline through a node that owns none of its keys: every command is forwarded, answered and kept.</summary>
public sealed class ForwardFloodTests
{
    private const int Count = 600_000;

    [Fact]
    public async Task A_pipelined_flood_of_SETs_through_a_non_owner_is_answered_OK_and_every_key_is_readable_with_inline_socket_completions()
    {
        // The defect: with the runtime's inline socket completions on, benchmarks/slot-move-1m.sh's 2 M SETs through
        // `redis-cli --pipe` into a node owning half of them got 16,440 forward timeouts. The node read its client as fast
        // as the client wrote and forwarded without limit, so up to 300,000 forwards waited in the sockets and pipes of
        // the link, and the last ones' timeout (which runs from their registration) expired before the owner reached them.
        // Here every key is the other node's, and the forward timeout is 2 s: without a bound on the forwards in flight
        // the queue alone outlasts it on this kind of machine; with the bound a forward waits for at most a window of the
        // owner's work, and the rest of the flood waits in the client's socket.
        var environment = new Dictionary<string, string> { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1" };
        await using var cluster = await ProcessCluster.StartWithEnvironmentAsync(2, environment, "--resp", "127.0.0.1:{resp}", "--forward-timeout", "2s");
        // One hash tag of node 1's: every key of the flood is in its slot.
        var tag = Encoding.ASCII.GetString(cluster.KeyOwnedBy(1, "flood-"));

        var sets = await PipelineAsync(cluster.RespEndPointOf(0), i => Command("SET", Key(tag, i), Value(i)), static (_, reply) => reply == "+OK")
            .WithinAsync("the SETs' replies", TimeSpan.FromMinutes(3));
        Assert.True(sets.Wrong == 0, $"{sets.Wrong} of {Count} SETs through node 0 were not answered OK; the first: {sets.First}");

        // Read back at the owner, pipelined as well: every key holds its value.
        var gets = await PipelineAsync(cluster.RespEndPointOf(1), i => Command("GET", Key(tag, i)), static (i, reply) => reply == Value(i))
            .WithinAsync("the GETs' replies", TimeSpan.FromMinutes(3));
        Assert.True(gets.Wrong == 0, $"{gets.Wrong} of {Count} keys read back at node 1 were missing or wrong; the first: {gets.First}");
    }

    private static string Key(string tag, int i) => string.Create(CultureInfo.InvariantCulture, $"{{{tag}}}:{i:D7}");

    private static string Value(int i) => string.Create(CultureInfo.InvariantCulture, $"v{i:D7}");

    private static byte[] Command(params string[] parts)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"*{parts.Length}\r\n");
        foreach (var part in parts)
            text.Append(CultureInfo.InvariantCulture, $"${part.Length}\r\n{part}\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>
    /// Writes <see cref="Count"/> commands on one connection without waiting for replies (as <c>redis-cli --pipe</c>),
    /// while reading the replies; counts the replies <paramref name="isRight"/> refuses and keeps the first of them.
    /// </summary>
    private static async Task<(int Wrong, string? First)> PipelineAsync(IPEndPoint endPoint, Func<int, byte[]> command, Func<int, string, bool> isRight)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // The RESP listener starts with the node; the mesh being up does not say it is listening yet.
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                await socket.ConnectAsync(endPoint).ConfigureAwait(false);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, $"the RESP listener at {endPoint} accepts").ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var writing = Task.Run(async () =>
        {
            var batch = new MemoryStream(64 * 1024);
            for (var i = 0; i < Count; i++)
            {
                batch.Write(command(i));
                if (batch.Length >= 60 * 1024 || i == Count - 1)
                {
                    await stream.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length)).ConfigureAwait(false);
                    batch.SetLength(0);
                }
            }
        });

        var wrong = 0;
        string? first = null;
        var reader = new ReplyReader(stream);
        for (var i = 0; i < Count; i++)
        {
            var reply = await reader.NextAsync().ConfigureAwait(false);
            if (!isRight(i, reply))
            {
                wrong++;
                first ??= $"#{i}: {reply}";
            }
        }
        await writing.ConfigureAwait(false);
        return (wrong, first);
    }

    /// <summary>Reads RESP2 replies one by one: a status or error line as written ("+OK", "-ERR ..."), a bulk string as its content ("(nil)" for none).</summary>
    private sealed class ReplyReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<string> NextAsync()
        {
            var line = await LineAsync().ConfigureAwait(false);
            if (!line.StartsWith('$'))
                return line;
            var length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
            return length < 0 ? "(nil)" : await LineAsync().ConfigureAwait(false);
        }

        private async Task<string> LineAsync()
        {
            while (true)
            {
                var end = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (end > _start && _buffer[end - 1] == (byte)'\r')
                {
                    var line = Encoding.ASCII.GetString(_buffer, _start, end - 1 - _start);
                    _start = end + 1;
                    return line;
                }
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                var read = await stream.ReadAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
                if (read == 0)
                    throw new EndOfStreamException($"the node closed the connection; unread: {Encoding.ASCII.GetString(_buffer, 0, _end)}");
                _end += read;
            }
        }
    }
}
