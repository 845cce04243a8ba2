using System.IO.Hashing;

namespace FastDht.Engine.Connections;

// Design: the order in which one connection's requests take effect.
// Requirement: requests on one connection take effect in the order they were sent, whatever node owns their keys
// (issue: a pipelined "MSET foo 1; SET foo 2" left foo = 1, because the SET ran at once while the MSET, a transaction,
// was still taking its locks). Most requests need nothing for this: a single-key request runs synchronously on the
// read loop (local key) or is written, in order, on the one link to its owner, which runs a link's requests in order.
// Only requests that complete asynchronously (transactions: MultiPut, MultiGet, MSET, MGET, explicit Lock) can be
// overtaken. So a session registers each of those here with its keys while it runs, and before running any request
// asks whether it touches a key of one still running; if so it waits until that one has ended.
// Rule (docs/protocol.md, "Execution order"): requests that share a key take effect in the order sent; requests on
// disjoint keys may take effect in any order (as with Redis Cluster, where a client's pipeline is split per node).
// A request that names a transaction id (Unlock, RenewLease) is ordered after the same transaction's running
// requests only: an Unlock must never wait behind another transaction's lock wait on the same key, or a smart client
// that multiplexes independent callers over one connection would stall its own releases.
// Cost: nothing while no transaction runs on the connection (one volatile read); otherwise one 64-bit hash per key
// and a scan of the running entries (a handful). False positives (hash collisions) only make a request wait.
// Threading: Begin and MustWait run on the session's read loop; End runs wherever the transaction completes.

/// <summary>The asynchronous requests still running on one connection, so that later requests on the same keys wait for them.</summary>
internal sealed class RequestOrder
{
    private readonly Lock _lock = new();
    private Running[] _running = new Running[4];
    private int _count;
    private int _barriers;
    private TaskCompletionSource? _ended;

    /// <summary>True when nothing asynchronous is running on the connection (the common case: then nothing waits).</summary>
    public bool IsIdle => Volatile.Read(ref _count) == 0;

    /// <summary>The hash a key is tracked by.</summary>
    public static ulong HashOf(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key);

    /// <summary>Registers an asynchronous request over <paramref name="keys"/>; pass the returned ticket to <see cref="End"/> when it has taken effect.</summary>
    /// <param name="keys">The keys it reads or writes.</param>
    /// <param name="transaction">The client's transaction id it acts for (explicit Lock), or 0.</param>
    public object Begin(ReadOnlySpan<ReadOnlyMemory<byte>> keys, ulong transaction = 0)
    {
        var hashes = new ulong[keys.Length];
        for (var i = 0; i < hashes.Length; i++)
            hashes[i] = HashOf(keys[i].Span);
        var ticket = new Running(hashes, transaction);
        lock (_lock)
        {
            if (_count == _running.Length)
                Array.Resize(ref _running, _count * 2);
            _running[_count] = ticket;
            Volatile.Write(ref _count, _count + 1);
        }
        return ticket;
    }

    /// <summary>Registers an asynchronous request over every key (FLUSHALL): every later request waits until it has taken effect.</summary>
    public object BeginBarrier()
    {
        var ticket = new Running(null, 0);
        lock (_lock)
        {
            if (_count == _running.Length)
                Array.Resize(ref _running, _count * 2);
            _running[_count] = ticket;
            Volatile.Write(ref _count, _count + 1);
            _barriers++;
        }
        return ticket;
    }

    /// <summary>True while a request over every key runs: nothing else may run before it has taken effect.</summary>
    public bool HasBarrier => !IsIdle && Volatile.Read(ref _barriers) > 0;

    /// <summary>The request registered under <paramref name="ticket"/> has taken effect: requests waiting on its keys may run.</summary>
    public void End(object ticket)
    {
        TaskCompletionSource? ended;
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                if (!ReferenceEquals(_running[i], ticket))
                    continue;
                if (_running[i].Hashes is null)
                    _barriers--;
                _running[i] = _running[_count - 1];
                _running[_count - 1] = null!;
                Volatile.Write(ref _count, _count - 1);
                break;
            }
            ended = _ended;
            _ended = null;
        }
        ended?.TrySetResult();
    }

    /// <summary>Whether a request on <paramref name="key"/> must wait for a running one.</summary>
    public bool MustWait(ReadOnlySpan<byte> key)
    {
        if (IsIdle)
            return false;
        var hash = HashOf(key);
        lock (_lock)
            return Touches(hash);
    }

    /// <summary>Whether a request acting for <paramref name="transaction"/> must wait for a running request of the same transaction.</summary>
    public bool MustWaitForTransaction(ulong transaction)
    {
        if (IsIdle || transaction == 0)
            return false;
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                if (_running[i].Transaction == transaction)
                    return true;
            }
            return false;
        }
    }

    /// <summary>Completes when some running request ends (then ask again): the slow path of a request that must wait.</summary>
    public Task WhenSomeEndsAsync()
    {
        lock (_lock)
        {
            if (_count == 0)
                return Task.CompletedTask;
            _ended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _ended.Task;
        }
    }

    private bool Touches(ulong hash)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_running[i].Hashes is not { } hashes)
                return true;
            foreach (var h in hashes)
            {
                if (h == hash)
                    return true;
            }
        }
        return false;
    }

    private sealed class Running(ulong[]? hashes, ulong transaction)
    {
        /// <summary>The keys' hashes; null for a request over every key.</summary>
        public ulong[]? Hashes { get; } = hashes;

        public ulong Transaction { get; } = transaction;
    }
}
