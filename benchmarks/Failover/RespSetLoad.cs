using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using FastDht.Protocol;

namespace FastDht.Benchmarks.Failover;

/// <summary>
/// SET throughput of a Redis-protocol cluster (FastDht --resp, or a Redis Cluster), optionally with <c>WAIT 1 0</c>
/// after every SET (Redis's closest equivalent of a synchronous acknowledgement: the SET's reply is not enough, the
/// WAIT's says one replica has it). redis-benchmark cannot send a second command per request, so this client does:
/// the layout from CLUSTER SLOTS at the seed, each connection bound to one master and writing keys of that master's
/// slots only (no MOVED), <c>--pipeline</c> SETs (each followed by its WAIT) written at once and their replies read
/// before the next round, for <c>--seconds</c> after one second of warm-up.
/// <c>resp-set --seed H:P --connections 50 --pipeline 16 --seconds 10 [--wait] [--value-size 3]</c>; prints
/// <c>set_per_sec=N</c>.
/// </summary>
internal static class RespSetLoad
{
    public static int Run(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var wait = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--wait")
                wait = true;
            else if (i + 1 < args.Length)
                options[args[i]] = args[++i];
        }
        if (!options.TryGetValue("--seed", out var seed))
        {
            Console.Error.WriteLine("usage: resp-set --seed H:P [--connections 50] [--pipeline 16] [--seconds 10] [--wait] [--value-size 3]");
            return 2;
        }
        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return RunAsync(seed, Int("--connections", 50), Int("--pipeline", 16), Int("--seconds", 10), wait, Int("--value-size", 3)).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string seed, int connections, int pipeline, int seconds, bool wait, int valueSize)
    {
        var masters = await MastersAsync(seed).ConfigureAwait(false);
        var value = new string('x', valueSize);
        long counted = 0;
        var measuring = 0;
        using var stop = new CancellationTokenSource();
        var tasks = new Task[connections];
        for (var c = 0; c < connections; c++)
        {
            var (endpoint, ranges) = masters[c % masters.Count];
            var keys = KeysIn(ranges, 1000, c);
            tasks[c] = Task.Run(async () =>
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(endpoint.Host, endpoint.Port).ConfigureAwait(false);
                var request = new MemoryStream();
                var reply = new byte[64 * 1024];
                var next = 0;
                while (!stop.IsCancellationRequested)
                {
                    request.SetLength(0);
                    for (var p = 0; p < pipeline; p++)
                    {
                        Command(request, "SET", keys[next++ % keys.Length], value);
                        if (wait)
                            Command(request, "WAIT", "1", "0");
                    }
                    await socket.SendAsync(request.GetBuffer().AsMemory(0, (int)request.Length)).ConfigureAwait(false);
                    var lines = pipeline * (wait ? 2 : 1);
                    while (lines > 0)
                    {
                        var n = await socket.ReceiveAsync(reply).ConfigureAwait(false);
                        if (n == 0)
                            throw new IOException($"{endpoint} closed the connection");
                        for (var i = 0; i < n; i++)
                        {
                            if (reply[i] == (byte)'-')
                                throw new IOException($"{endpoint} answered an error: {Encoding.ASCII.GetString(reply, i, Math.Min(80, n - i))}");
                            if (reply[i] == (byte)'\n')
                                lines--;
                        }
                    }
                    if (Volatile.Read(ref measuring) == 1)
                        Interlocked.Add(ref counted, pipeline);
                }
            });
        }
        await Task.Delay(1000).ConfigureAwait(false);
        Volatile.Write(ref measuring, 1);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        var total = Interlocked.Read(ref counted);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(tasks).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"set_per_sec={total / elapsed:0}"));
        return 0;
    }

    private static void Command(MemoryStream into, params string[] parts)
    {
        var text = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
            text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        into.Write(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary><paramref name="count"/> keys whose slots fall in <paramref name="ranges"/>.</summary>
    private static string[] KeysIn(List<(int First, int Last)> ranges, int count, int connection)
    {
        var keys = new List<string>(count);
        for (var i = 0; keys.Count < count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"key:{connection}:{i}");
            var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
            foreach (var (first, last) in ranges)
            {
                if (slot >= first && slot <= last)
                {
                    keys.Add(key);
                    break;
                }
            }
        }
        return [.. keys];
    }

    /// <summary>Every master with its slot ranges, from CLUSTER SLOTS at <paramref name="seed"/>.</summary>
    private static async Task<List<((string Host, int Port), List<(int First, int Last)>)>> MastersAsync(string seed)
    {
        var colon = seed.LastIndexOf(':');
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(seed[..colon], int.Parse(seed[(colon + 1)..], CultureInfo.InvariantCulture)).ConfigureAwait(false);
        var request = new MemoryStream();
        Command(request, "CLUSTER", "SLOTS");
        await socket.SendAsync(request.ToArray()).ConfigureAwait(false);
        var reader = new RespReader(socket);
        var byMaster = new Dictionary<(string, int), List<(int, int)>>();
        var count = await reader.ArrayLengthAsync().ConfigureAwait(false);
        for (var r = 0; r < count; r++)
        {
            var items = await reader.ArrayLengthAsync().ConfigureAwait(false);
            var first = (int)await reader.IntegerAsync().ConfigureAwait(false);
            var last = (int)await reader.IntegerAsync().ConfigureAwait(false);
            (string, int) master = default;
            for (var n = 2; n < items; n++)
            {
                var fields = await reader.ArrayLengthAsync().ConfigureAwait(false);
                var host = await reader.BulkAsync().ConfigureAwait(false);
                var port = (int)await reader.IntegerAsync().ConfigureAwait(false);
                for (var f = 2; f < fields; f++)
                    await reader.SkipAsync().ConfigureAwait(false);
                if (n == 2)
                    master = (host, port);
            }
            if (!byMaster.TryGetValue(master, out var ranges))
                byMaster[master] = ranges = [];
            ranges.Add((first, last));
        }
        var result = new List<((string, int), List<(int, int)>)>();
        foreach (var (master, ranges) in byMaster)
            result.Add((master, ranges));
        return result;
    }

    /// <summary>Just enough of RESP2 to read CLUSTER SLOTS: one line at a time from the socket.</summary>
    private sealed class RespReader(Socket socket)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<long> ArrayLengthAsync() => long.Parse((await LineAsync('*').ConfigureAwait(false)), CultureInfo.InvariantCulture);

        public async Task<long> IntegerAsync() => long.Parse((await LineAsync(':').ConfigureAwait(false)), CultureInfo.InvariantCulture);

        public async Task<string> BulkAsync()
        {
            var length = int.Parse(await LineAsync('$').ConfigureAwait(false), CultureInfo.InvariantCulture);
            return await LineAsync(null).ConfigureAwait(false) is { } text && text.Length == length ? text : throw new IOException("malformed bulk string");
        }

        public async Task SkipAsync()
        {
            var line = await LineAsync(null).ConfigureAwait(false);
            if (line.StartsWith('$'))
                await LineAsync(null).ConfigureAwait(false);
            else if (line.StartsWith('*'))
            {
                for (var i = long.Parse(line[1..], CultureInfo.InvariantCulture); i > 0; i--)
                    await SkipAsync().ConfigureAwait(false);
            }
        }

        private async Task<string> LineAsync(char? type)
        {
            while (true)
            {
                var at = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (at > _start)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, at - 1 - _start);
                    _start = at + 1;
                    if (type is { } t)
                        return line.Length > 0 && line[0] == t ? line[1..] : throw new IOException($"expected '{t}', got '{line}'");
                    return line;
                }
                if (_start > 0)
                {
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                var n = await socket.ReceiveAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
                if (n == 0)
                    throw new IOException("the connection closed");
                _end += n;
            }
        }
    }
}
