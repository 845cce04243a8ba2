using FastDht.Engine.Transport.Internal;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Transport;

/// <summary>
/// What all client connections' buffers may hold together (Redis's maxmemory-clients), and how long a client may take
/// to finish a command it began: past either, the node closes clients.
/// </summary>
/// <remarks>
/// A security matter. Each client connection is bounded on its own (input and output pause thresholds, twice the frame
/// size each; the client output limit), but those bounds multiply by the number of clients: twenty clients that
/// pipeline GETs of a large value and never read took a node from 75 MB to 3 GB. The budget bounds the sum.
/// Design: a client session joins (<see cref="SocketConnection.BoundAsClient"/>); inbound peer links and dials never
/// do, so a link between nodes is never evicted. A sweep runs every <see cref="SweepInterval"/> on a timer, reads each
/// client's input (received, not yet consumed by its parse loop) and output (flushed, not yet sent), and when the sum is
/// above <see cref="Limit"/> closes the clients holding the most, biggest first, until the rest fit (Redis evicts the
/// same way). Between two sweeps the sum can pass the limit by what clients send or are sent in that time; the
/// per-connection pause thresholds still cap each one. Nothing is added to a request's path: the sweep reads counters
/// the loops keep anyway (bytes received, sent, flushed) plus one count the parse loop adds per read.
/// The same sweep closes a client whose parse loop has waited longer than <see cref="UnfinishedCommandTimeout"/> for the
/// rest of a command, with no command finished meanwhile: a slow-loris that sends 59 MiB of a 60 MiB value and then a
/// byte now and then no longer holds the memory (or a connection) forever.
/// </remarks>
public sealed class ClientMemoryBudget : IDisposable
{
    /// <summary>How often the sweep runs: Redis's clientsCron runs at hz 10 too.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);

    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<ClientBufferAccount> _accounts = [];
    private Timer? _timer;
    // The sweep's scratch (only the sweep touches it; sweeps never overlap: the timer is re-armed after each).
    private (ClientBufferAccount Account, long Bytes)[] _usage = [];
    private long _evicted;
    private long _unfinishedClosed;
    private long _recentMaxInput;
    private long _recentMaxOutput;
    private long _recentTotal;
    private bool _disposed;

    /// <param name="limit">The most bytes all clients' buffers may hold together; 0 for no bound.</param>
    /// <param name="unfinishedCommandTimeout">How long a client may wait to finish a command it began; zero for no bound.</param>
    /// <param name="logger">Where closes are logged (events 1010 and 1011).</param>
    public ClientMemoryBudget(long limit, TimeSpan unfinishedCommandTimeout, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Limit = limit;
        UnfinishedCommandTimeout = unfinishedCommandTimeout;
        _logger = logger;
    }

    /// <summary>Starts the sweep on a timer (once the node serves); <see cref="Dispose"/> stops it.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_timer is not null || _disposed || !IsOn)
                return;
            // The sweep lives as long as the node: it must not keep whatever AsyncLocal state the starting caller carried.
            using (ExecutionContext.SuppressFlow())
                _timer = new Timer(static state => ((ClientMemoryBudget)state!).OnTimer(), this, SweepInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The most bytes all client connections' input and output buffers may hold together; 0 for no bound.</summary>
    public long Limit { get; }

    /// <summary>How long a client's parse loop may wait for the rest of a command it holds part of; zero for no bound.</summary>
    public TimeSpan UnfinishedCommandTimeout { get; }

    /// <summary>Clients closed because the clients' buffers together passed <see cref="Limit"/> (Redis's evicted_clients).</summary>
    public long EvictedClients => Interlocked.Read(ref _evicted);

    /// <summary>Clients closed for holding part of a command longer than <see cref="UnfinishedCommandTimeout"/>.</summary>
    public long UnfinishedCommandClosures => Interlocked.Read(ref _unfinishedClosed);

    /// <summary>The biggest input buffer of one client at the last sweep (Redis's client_recent_max_input_buffer).</summary>
    public long RecentMaxInputBuffer => Interlocked.Read(ref _recentMaxInput);

    /// <summary>The biggest output buffer of one client at the last sweep (Redis's client_recent_max_output_buffer).</summary>
    public long RecentMaxOutputBuffer => Interlocked.Read(ref _recentMaxOutput);

    /// <summary>What all clients' buffers held together at the last sweep, after its evictions (Redis's mem_clients_normal).</summary>
    public long RecentTotal => Interlocked.Read(ref _recentTotal);

    /// <summary>Client connections in the budget now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _accounts.Count;
        }
    }

    private bool IsOn => Limit > 0 || UnfinishedCommandTimeout > TimeSpan.Zero;

    /// <summary>A client connection joins: from now on the sweep counts its buffers.</summary>
    internal ClientBufferAccount Join(SocketConnection connection, bool reportsInput)
    {
        var account = new ClientBufferAccount(connection, reportsInput);
        lock (_lock)
        {
            account.Index = _accounts.Count;
            _accounts.Add(account);
        }
        return account;
    }

    /// <summary>A client connection is disposed: its buffers are gone.</summary>
    internal void Leave(ClientBufferAccount account)
    {
        lock (_lock)
        {
            var index = account.Index;
            if (index < 0)
                return;
            var last = _accounts[^1];
            _accounts[index] = last;
            last.Index = index;
            _accounts.RemoveAt(_accounts.Count - 1);
            account.Index = -1;
        }
    }

    /// <summary>Counts every client's buffers, closes those past the timeout, then the biggest while the sum is above the limit.</summary>
    /// <param name="now">The time (<see cref="Environment.TickCount64"/>).</param>
    internal void Sweep(long now)
    {
        int count;
        lock (_lock)
        {
            count = _accounts.Count;
            if (_usage.Length < count)
                _usage = new (ClientBufferAccount, long)[Math.Max(count, _usage.Length * 2)];
            for (var i = 0; i < count; i++)
                _usage[i] = (_accounts[i], 0);
        }

        long total = 0, maxInput = 0, maxOutput = 0;
        var timeoutMs = (long)UnfinishedCommandTimeout.TotalMilliseconds;
        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            var account = _usage[i].Account;
            if (account.Connection.IsClosed)
                continue;
            long input = account.InputBytes, output = account.OutputBytes;
            if (timeoutMs > 0 && account.WaitingOnUnfinishedSince is var since and > 0 && now - since >= timeoutMs)
            {
                CloseUnfinished(account, input, now - since);
                continue;
            }
            maxInput = Math.Max(maxInput, input);
            maxOutput = Math.Max(maxOutput, output);
            total += input + output;
            _usage[kept++] = (account, input + output);
        }

        if (Limit > 0 && total > Limit)
        {
            // Biggest first, as Redis: the fewest clients closed for the most memory given back.
            _usage.AsSpan(0, kept).Sort(static (x, y) => y.Bytes.CompareTo(x.Bytes));
            for (var i = 0; i < kept && total > Limit; i++)
            {
                var (account, bytes) = _usage[i];
                Evict(account, bytes, total);
                total -= bytes;
            }
        }

        Array.Clear(_usage, 0, count); // no closed connection stays reachable from the scratch
        Interlocked.Exchange(ref _recentMaxInput, maxInput);
        Interlocked.Exchange(ref _recentMaxOutput, maxOutput);
        Interlocked.Exchange(ref _recentTotal, total);
    }

    private void Evict(ClientBufferAccount account, long bytes, long total)
    {
        var connection = account.Connection;
        TransportLog.ClientEvicted(_logger, connection.RemoteEndPoint, bytes, total, Limit);
        Interlocked.Increment(ref _evicted);
        connection.Abort(new IOException($"the client's buffers held {bytes} bytes while all clients' held {total}, past the client memory budget ({Limit} bytes)"));
    }

    private void CloseUnfinished(ClientBufferAccount account, long held, long waitedMs)
    {
        var connection = account.Connection;
        TransportLog.UnfinishedCommandTimedOut(_logger, connection.RemoteEndPoint, held, waitedMs / 1000.0);
        Interlocked.Increment(ref _unfinishedClosed);
        connection.Abort(new TimeoutException($"the client began a command and did not finish it within {UnfinishedCommandTimeout.TotalSeconds:0.###} s"));
    }

    private void OnTimer()
    {
        try
        {
            Sweep(Environment.TickCount64);
        }
        catch (Exception e)
        {
            // Never expected; a sweep that failed must not stop the next one, nor the process.
            TransportLog.BudgetSweepFailed(_logger, e);
        }
        lock (_lock)
        {
            if (!_disposed)
                _timer?.Change(SweepInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Stops the sweep.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }

    /// <summary>A short description for logs and INFO.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"clients' buffers {(Limit > 0 ? $"at most {Limit} bytes" : "unbounded")}, unfinished command {(UnfinishedCommandTimeout > TimeSpan.Zero ? $"at most {UnfinishedCommandTimeout.TotalSeconds:0.###} s" : "unbounded")}");
}
