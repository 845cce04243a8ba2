using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Benchmarks.EndToEnd;

/// <summary>
/// The server's own GET throughput on the native protocol, measured the way Garnet's Resp.benchmark measures its
/// server: each connection sends pre-encoded buffers of <c>depth</c> Get frames and only counts the answers, so the
/// client costs almost nothing per request and the figure is the node's, not the smart client's.
/// </summary>
/// <remarks>
/// Run against a running node: <c>dotnet run -c Release --project benchmarks -- native-blast --node 127.0.0.1:PORT
/// [--connections 2] [--depth 512] [--seconds 10] [--warmup 2] [--keys 100000] [--cluster fastdht]</c>. Keys are the
/// loadgen's ("key:" and 12 digits), uniformly random below --keys, so a node the loadgen loaded answers hits. One
/// blocking thread per connection (as Garnet's benchmark): send a buffer, read until its depth answers are in, repeat;
/// 64 buffers per connection with different keys, rotated. Prints answers per second over the measured window and the
/// driver's own CPU per answer (so what it takes from the node's cores on a shared machine is visible).
/// </remarks>
public static class NativeBlast
{
    private const int BuffersPerConnection = 64;

    public static int Run(ReadOnlySpan<string> args)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, 7000);
        var connections = 2;
        var depth = 512;
        var seconds = 10;
        var warmup = 2;
        var keys = 100_000;
        var cluster = "fastdht";
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--node":
                    endPoint = IPEndPoint.Parse(value);
                    break;
                case "--connections" or "-c":
                    connections = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--depth" or "-P":
                    depth = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    seconds = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    warmup = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--keys":
                    keys = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--cluster":
                    cluster = value;
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }
        return RunAsync(endPoint, connections, depth, seconds, warmup, keys, cluster).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(IPEndPoint endPoint, int connections, int depth, int seconds, int warmup, int keys, string cluster)
    {
        var clients = new NativeTestClient[connections];
        for (var c = 0; c < connections; c++)
            clients[c] = await NativeTestClient.ConnectAsync(endPoint, cluster);
        var counts = new long[connections * 16]; // one cache line apart per connection
        var stop = 0;
        var threads = new Thread[connections];
        var failures = new Exception?[connections];
        for (var c = 0; c < connections; c++)
        {
            var index = c;
            var buffers = Encode(depth, keys, seed: c);
            threads[c] = new Thread(() =>
            {
                try
                {
                    Drive(clients[index].Socket, buffers, depth, counts, index * 16, ref stop);
                }
                catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
                {
                    failures[index] = e;
                }
            }) { IsBackground = true, Name = $"blast-{c}" };
            threads[c].Start();
        }
        Thread.Sleep(TimeSpan.FromSeconds(warmup));
        var before = Sum(counts);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var answered = Sum(counts) - before;
        var elapsed = Stopwatch.GetElapsedTime(start);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Volatile.Write(ref stop, 1);
        foreach (var thread in threads)
            thread.Join(TimeSpan.FromSeconds(10));
        foreach (var client in clients)
            client.Dispose();
        foreach (var failure in failures)
        {
            if (failure is not null)
            {
                Console.Error.WriteLine($"a connection failed: {failure.Message}");
                return 1;
            }
        }
        Console.WriteLine($"# native-blast {endPoint}: {connections} connections x {depth} in flight (pre-encoded Gets of {keys} keys), {seconds} s after {warmup} s, {Environment.ProcessorCount} cores");
        Console.WriteLine($"GET/s {answered / elapsed.TotalSeconds:F0}  driver CPU us/answer {cpu.TotalMicroseconds / Math.Max(1, answered):F3}");
        return 0;
    }

    private static long Sum(long[] counts)
    {
        long total = 0;
        for (var i = 0; i < counts.Length; i += 16)
            total += Volatile.Read(ref counts[i]);
        return total;
    }

    /// <summary>Buffers of <paramref name="depth"/> Get frames each, keys drawn uniformly below <paramref name="keys"/>.</summary>
    private static byte[][] Encode(int depth, int keys, int seed)
    {
        var random = new Random(seed);
        var buffers = new byte[BuffersPerConnection][];
        var key = new byte[16];
        var writer = new ArrayBufferWriter<byte>();
        for (var b = 0; b < buffers.Length; b++)
        {
            writer.Clear();
            for (var i = 0; i < depth; i++)
            {
                Encoding.ASCII.GetBytes($"key:{random.Next(keys):D12}", key);
                FrameWriter.WriteGet(writer, (uint)(i + 1), key);
            }
            buffers[b] = writer.WrittenSpan.ToArray();
        }
        return buffers;
    }

    /// <summary>Sends a buffer, reads until its answers are in, repeats until <paramref name="stop"/>; counts answers as they arrive.</summary>
    private static void Drive(Socket socket, byte[][] buffers, int depth, long[] counts, int slot, ref int stop)
    {
        var input = new byte[1 << 20];
        var round = 0;
        while (Volatile.Read(ref stop) == 0)
        {
            socket.Send(buffers[round++ % buffers.Length]);
            var answered = 0;
            var filled = 0;
            while (answered < depth)
            {
                var read = socket.Receive(input, filled, input.Length - filled, SocketFlags.None);
                if (read == 0)
                    throw new IOException("the node closed the connection");
                filled += read;
                var before = answered;
                var consumed = Parse(input.AsSpan(0, filled), ref answered);
                Buffer.BlockCopy(input, consumed, input, 0, filled - consumed);
                filled -= consumed;
                Volatile.Write(ref counts[slot], counts[slot] + answered - before);
            }
        }
    }

    private static int Parse(ReadOnlySpan<byte> data, ref int answered)
    {
        var consumed = 0;
        while (data.Length - consumed >= ProtocolConstants.HeaderSize)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(data[consumed..]);
            if (data.Length - consumed < 4 + length)
                break;
            var status = BinaryPrimitives.ReadUInt16LittleEndian(data[(consumed + 10)..]);
            if (status >= 0x100)
                throw new InvalidOperationException($"the node answered status {status:x}");
            consumed += 4 + length;
            answered++;
        }
        return consumed;
    }
}
