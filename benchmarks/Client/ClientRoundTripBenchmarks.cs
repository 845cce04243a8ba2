using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;

namespace FastDht.Benchmarks.Client;

/// <summary>The smart client end to end against an in-process single-node cluster on loopback: Get and Put per call.</summary>
/// <remarks>
/// Each invoke issues <see cref="CallsPerInvoke"/> calls: with InFlight = 1 one at a time (latency-bound), with 16 in
/// windows of 16 concurrent calls on the one connection (pipelined; the send loops batch). Results are per call; the
/// allocation column shows what a call costs beyond the returned value (a Get returns a new 16-byte array).
/// </remarks>
public class ClientRoundTripBenchmarks
{
    private const int CallsPerInvoke = 256; // divisible by every InFlight value, large enough to amortise the window
    private static readonly byte[] Key = "bench:key"u8.ToArray();
    private static readonly byte[] Value = new byte[16]; // a small value, like a counter or an id

    private readonly ValueTask[] _puts = new ValueTask[16];
    private readonly ValueTask<byte[]?>[] _gets = new ValueTask<byte[]?>[16];
    private DhtNode? _node;
    private DhtClient? _client;

    [Params(1, 16)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = socket.LocalEndPoint!.ToString()!;
        _node = await DhtNode.StartAsync(new NodeOptions { Members = MemberList.Parse(address), NodeId = 0, ListenSocket = socket });
        var options = new DhtClientOptions();
        options.Seeds.Add(address);
        _client = await DhtClient.ConnectAsync(options);
        await _client.PutAsync(Key, Value);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_client is not null)
            await _client.DisposeAsync();
        if (_node is not null)
            await _node.StopAsync();
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public async Task Get()
    {
        for (var done = 0; done < CallsPerInvoke; done += InFlight)
        {
            for (var i = 0; i < InFlight; i++)
                _gets[i] = _client!.GetAsync(Key);
            for (var i = 0; i < InFlight; i++)
                await _gets[i];
        }
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public async Task Put()
    {
        for (var done = 0; done < CallsPerInvoke; done += InFlight)
        {
            for (var i = 0; i < InFlight; i++)
                _puts[i] = _client!.PutAsync(Key, Value);
            for (var i = 0; i < InFlight; i++)
                await _puts[i];
        }
    }
}
