using System.Text;
using BenchmarkDotNet.Attributes;
using FastDht.Engine.Client;
using FastDht.Engine.Node;

namespace FastDht.Benchmarks.EndToEnd;

/// <summary>
/// End to end over loopback: the smart client against an in-process 3-node cluster, Get and Put per call, with 1 call
/// in flight (latency) and with many in flight on each node's one connection (throughput; the send loops batch).
/// </summary>
/// <remarks>
/// Keys are spread over all three owners (the client routes each straight to its owner: no forwarding hop). Each invoke
/// issues <see cref="CallsPerInvoke"/> calls in windows of <see cref="InFlight"/> concurrent calls; results are per
/// call. The allocation column is the client and the nodes together (one process): a Get returns a new 16-byte array,
/// a Put stores one 64-byte entry. The node alone is measured by the `server-alloc` command.
/// </remarks>
public class ClusterRoundTripBenchmarks
{
    private const int CallsPerInvoke = 1024; // divisible by every InFlight value
    private static readonly byte[] Value = new byte[16]; // a small value, like a counter or an id

    private readonly byte[][] _keys = Enumerable.Range(0, 64).Select(i => Encoding.ASCII.GetBytes($"key:{i:D12}")).ToArray();
    private ValueTask[] _puts = [];
    private ValueTask<byte[]?>[] _gets = [];
    private LocalCluster? _cluster;
    private DhtClient? _client;

    [Params(1, 16, 64)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { NodeCount = 3 }); // every node option at its default
        var options = new DhtClientOptions { InlineContinuations = true };
        options.Seeds.Add(_cluster.Seeds[0]);
        _client = await DhtClient.ConnectAsync(options);
        foreach (var key in _keys)
            await _client.PutAsync(key, Value);
        _puts = new ValueTask[InFlight];
        _gets = new ValueTask<byte[]?>[InFlight];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_client is not null)
            await _client.DisposeAsync();
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public async Task Get()
    {
        var k = 0;
        for (var done = 0; done < CallsPerInvoke; done += InFlight)
        {
            for (var i = 0; i < InFlight; i++)
                _gets[i] = _client!.GetAsync(_keys[k++ & 63]);
            for (var i = 0; i < InFlight; i++)
                await _gets[i];
        }
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public async Task Put()
    {
        var k = 0;
        for (var done = 0; done < CallsPerInvoke; done += InFlight)
        {
            for (var i = 0; i < InFlight; i++)
                _puts[i] = _client!.PutAsync(_keys[k++ & 63], Value);
            for (var i = 0; i < InFlight; i++)
                await _puts[i];
        }
    }
}
