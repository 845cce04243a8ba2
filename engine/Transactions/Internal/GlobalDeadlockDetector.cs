using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Cluster.Internal;
using FastDht.Locking;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Finds the deadlocks of the "detect" strategy that span nodes, which no single lock table can see: every
/// <see cref="Node.NodeOptions.DeadlockDetectionInterval"/> it collects each node's wait-for edges (its own table's and
/// TxnWaitsFor from every peer), finds the cycles and aborts the youngest member of each through its coordinator
/// (the wound route: TxnWound to the coordinator, which aborts the attempt everywhere and retries it).
/// </summary>
/// <remarks>
/// <para>
/// Why periodic and central rather than edge chasing (Chandy-Misra-Haas): a coordinator locks all its participants at
/// once, so a transaction may wait at several nodes at the same time and a node cannot tell where a remote blocker
/// waits; a probe would go to every node on every wait, while deadlocks are rare next to waits. Here the cost is one
/// request per peer per interval whatever the load, and a cross-node deadlock lasts at most an interval and a round
/// trip. Only one node detects: the one with the smallest id among those it has a live link to (a partition may make
/// two detect for a while; a victim aborted twice is harmless, its coordinator aborts once per attempt).
/// </para>
/// <para>
/// The edges of a round are read at slightly different moments on each node, so a cycle might be a phantom of edges
/// that never coexisted. A real deadlock never dissolves by itself, so a victim is aborted only when it was also the
/// victim of a cycle found in the previous round: one interval of extra latency buys freedom from aborting transactions
/// that were never deadlocked.
/// </para>
/// </remarks>
internal sealed class GlobalDeadlockDetector
{
    private readonly LockTable _table;
    private readonly ushort _self;
    private readonly ClusterStateHolder _cluster;
    private readonly IPeerLinks _peers;
    private readonly IWoundNotifier _victims;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _callTimeout;
    private readonly ILogger _logger;
    private readonly WaitForGraph _graph = new();
    private readonly List<WaitForEdge> _edges = new();
    private readonly List<TxnWaitEdge> _remote = new();
    private readonly List<TxnId[]> _cycles = new();
    private HashSet<TxnId> _suspects = new();
    private HashSet<TxnId> _nextSuspects = new();
    private Task _loop = Task.CompletedTask;
    private long _victimCount;

    public GlobalDeadlockDetector(LockTable table, ushort self, ClusterStateHolder cluster, IPeerLinks peers, IWoundNotifier victims, TimeSpan interval, TimeSpan callTimeout, ILogger logger)
    {
        _table = table;
        _self = self;
        _cluster = cluster;
        _peers = peers;
        _victims = victims;
        _interval = interval;
        _callTimeout = callTimeout;
        _logger = logger;
    }

    /// <summary>Victims aborted so far (for tests and diagnostics).</summary>
    public long VictimCount => Volatile.Read(ref _victimCount);

    public void Start(CancellationToken stopping)
    {
        using (ExecutionContext.SuppressFlow())
            _loop = RunAsync(stopping);
    }

    /// <summary>Completes when the loop has ended (after the node's stopping token fired).</summary>
    public Task StopAsync() => _loop;

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (IsDetector())
                    await RoundAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the node is stopping
        }
    }

    /// <summary>True when no member with a smaller id than this node's has a live link to it.</summary>
    private bool IsDetector()
    {
        var self = _self;
        foreach (var member in _cluster.Current.Members.Members)
        {
            if (member.NodeId >= self)
                return true; // ascending order: every smaller id is behind us
            if (_peers.IsUp(member.NodeId))
                return false;
        }
        return true;
    }

    /// <summary>One round: collect every node's edges, find the cycles, abort the victims seen in two rounds running.</summary>
    private async Task RoundAsync()
    {
        _edges.Clear();
        _table.CollectWaitsFor(_edges);
        var links = new List<(ushort Node, FrameSession Link)>();
        foreach (var member in _cluster.Current.Members.Members)
        {
            if (member.NodeId != _self && _peers.LinkTo(member.NodeId) is { } link)
                links.Add((member.NodeId, link));
        }
        var calls = new Task<ResponseResult>[links.Count];
        for (var i = 0; i < calls.Length; i++)
            calls[i] = links[i].Link.CallAsync(new TxnWaitsForRequest(), ResponseShape.Body, _callTimeout, links[i].Node).AsTask();
        for (var i = 0; i < calls.Length; i++)
        {
            var result = await calls[i].ConfigureAwait(false);
            _remote.Clear();
            if (result.IsError || !ResponseDecoder.TryReadTxnWaitsFor(result.Payload, _remote, out _))
            {
                DeadlockLog.PeerMissing(_logger, links[i].Node, result.ErrorMessage ?? "malformed answer");
                continue;
            }
            foreach (var e in _remote)
                _edges.Add(new WaitForEdge(TxnIds.ToLocking(e.Waiter), TxnIds.ToLocking(e.Blocker)));
        }
        BreakCycles();
    }

    private void BreakCycles()
    {
        _graph.Clear();
        _cycles.Clear();
        _nextSuspects.Clear();
        foreach (var e in _edges)
            _graph.Add(e.Waiter, e.Blocker);
        if (_graph.Count > 1)
            _graph.FindCycles(_cycles);
        foreach (var cycle in _cycles)
        {
            var victim = WaitForGraph.Youngest(cycle);
            _nextSuspects.Add(victim);
            if (!_suspects.Contains(victim))
                continue; // seen once: a phantom until the next round shows it again
            Interlocked.Increment(ref _victimCount);
            if (_logger.IsEnabled(LogLevel.Debug))
                DeadlockLog.Broken(_logger, string.Join(" -> ", cycle), victim.ToString());
            _victims.OnWounded(victim, Oldest(cycle));
        }
        (_suspects, _nextSuspects) = (_nextSuspects, _suspects);
    }

    private static TxnId Oldest(TxnId[] cycle)
    {
        var oldest = cycle[0];
        foreach (var t in cycle)
        {
            if (t.IsOlderThan(oldest))
                oldest = t;
        }
        return oldest;
    }
}
