using System.Buffers;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Node;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Benchmarks.EndToEnd;

/// <summary>
/// Measures what the node's request path allocates per request in steady state: an in-process 3-node cluster is driven
/// through node 0 by a raw pipelined socket client that itself allocates nothing per request, and the process's total
/// allocated bytes over many requests are divided by their number.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project benchmarks -- server-alloc [--requests N] [--depth D] [--socket-engine runtime|epoll]</c>.
/// Four cases: Get and Put of keys node 0 owns (local path) and of keys other nodes own (forwarded: node 0 forwards over
/// its peer link and relays the answer, so both nodes' paths are counted). A Put stores a new immutable entry (16-byte
/// key + 16-byte value: one 64-byte array), which is "the stored bytes of a write" and is expected.
/// </remarks>
public static class ServerAllocation
{
    public static int Run(ReadOnlySpan<string> args)
    {
        var requests = 2_000_000;
        var depth = 64;
        var engine = FastDht.Engine.Transport.SocketEngineKind.Runtime;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--requests")
                requests = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--depth")
                depth = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--socket-engine")
                engine = Enum.Parse<FastDht.Engine.Transport.SocketEngineKind>(args[i + 1], ignoreCase: true);
        }
        return RunAsync(requests, depth, engine).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int requests, int depth, FastDht.Engine.Transport.SocketEngineKind engine)
    {
        // Every node option at its default but the socket engine (--socket-engine runtime|epoll: the request path of each).
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { NodeCount = 3, Configure = o => o.SocketEngine = engine });
        var local = KeysOwnedBy(cluster, 0, depth);
        var remote = KeysOwnedBy(cluster, 1, depth);
        var value = new byte[16];
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster[0].ClusterName);
        var socket = client.Socket;

        Console.WriteLine($"# server allocation per request: 3 in-process nodes, raw client pipelining {depth} requests on one connection to node 0");
        Console.WriteLine($"# {Environment.ProcessorCount} cores, .NET {Environment.Version}, GC server={System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine($"{"case",-22} {"requests",12} {"bytes/request",14} {"idle-corrected",15} {"requests/s",12}");
        foreach (var (name, keys, put) in new[] { ("Get local", local, false), ("Get forwarded", remote, false), ("Put local", local, true), ("Put forwarded", remote, true) })
        {
            var batch = Encode(keys, value, put);
            await DriveAsync(socket, batch, depth, requests / 2); // warm-up: pools, tiered JIT up to tier 1 (PGO), table growth
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            await DriveAsync(socket, batch, depth, requests);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            var after = GC.GetTotalAllocatedBytes(precise: true);
            // The cluster allocates a little on its own (heartbeat timers, the timeout sweeper): measure an idle
            // stretch as long as the run and subtract it, so what remains is what the requests cost.
            var idleBefore = GC.GetTotalAllocatedBytes(precise: true);
            await Task.Delay(elapsed);
            var idle = GC.GetTotalAllocatedBytes(precise: true) - idleBefore;
            var perRequest = (after - before) / (double)requests;
            var corrected = Math.Max(0, after - before - idle) / (double)requests;
            Console.WriteLine($"{name,-22} {requests,12:N0} {perRequest,14:F2} {corrected,15:F2} {requests / elapsed.TotalSeconds,12:N0}");
            if (Environment.GetEnvironmentVariable("FASTDHT_ALLOC_SAMPLE") == "1")
            {
                using var sampler = new AllocationSampler();
                sampler.Start();
                await DriveAsync(socket, batch, depth, requests);
                foreach (var (type, count) in sampler.Top(8))
                    Console.WriteLine($"    {count,5} samples  {type}");
            }
        }
        return 0;
    }

    private static byte[][] KeysOwnedBy(LocalCluster cluster, ushort owner, int count)
    {
        var keys = new List<byte[]>();
        for (var i = 0; keys.Count < count; i++)
        {
            var key = Encoding.ASCII.GetBytes($"key:{i:D12}");
            if (cluster.OwnerOf(key) == owner)
                keys.Add(key);
        }
        return [.. keys];
    }

    private static byte[] Encode(byte[][] keys, byte[] value, bool put)
    {
        var writer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < keys.Length; i++)
        {
            if (put)
                FrameWriter.WritePut(writer, (uint)(i + 1), keys[i], value);
            else
                FrameWriter.WriteGet(writer, (uint)(i + 1), keys[i]);
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Sends the batch (depth requests) and reads its depth answers, repeatedly: no allocation per round.</summary>
    private static async Task DriveAsync(Socket socket, byte[] batch, int depth, int requests)
    {
        var buffer = new byte[1 << 20];
        for (var done = 0; done < requests; done += depth)
        {
            await socket.SendAsync(batch.AsMemory(), SocketFlags.None).ConfigureAwait(false);
            var answered = 0;
            var filled = 0;
            while (answered < depth)
            {
                filled += await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                var consumed = Parse(buffer.AsSpan(0, filled), ref answered);
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
    }

    private static int Parse(ReadOnlySpan<byte> data, ref int answered)
    {
        var consumed = 0;
        while (data.Length - consumed >= ProtocolConstants.HeaderSize)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(data[consumed..]);
            if (data.Length - consumed < 4 + length)
                break;
            var status = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(data[(consumed + 10)..]);
            if (status >= 0x100)
                throw new InvalidOperationException($"the node answered status {status:x}");
            consumed += 4 + length;
            answered++;
        }
        return consumed;
    }
}
