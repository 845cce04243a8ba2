using System.Threading.Tasks.Sources;
using FastDht.Engine.Client.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>
/// Many single-key requests sent together by <see cref="DhtClient.ExecuteAsync(DhtBatch, CancellationToken)"/>: the
/// requests for one node are written under one hold of its connection's writer lock and flushed once, and the whole
/// batch completes as one awaitable, with a result per request.
/// </summary>
/// <remarks>
/// Add requests with <see cref="Get"/>, <see cref="Put"/>, <see cref="PutIfAbsent"/> and <see cref="Delete"/> (each
/// returns the request's index), run the batch, then read <see cref="this[int]"/>. Errors are per request (a refusal,
/// a timeout, a lost connection), never an exception for the batch. Keys and values are not copied: keep them unchanged
/// until the run ends. A batch is reusable (<see cref="Clear"/>, or run it again as it is) and allocates nothing per
/// request when reused; it is not thread-safe, and only one run of it may be in flight. At most <see cref="MaxCount"/>
/// requests.
/// </remarks>
public sealed class DhtBatch : IValueTaskSource
{
    /// <summary>The most requests one batch holds: it bounds what one run can have pending and buffered.</summary>
    public const int MaxCount = 65_536;

    private BatchEntry[] _entries;
    private int _count;
    private int _remaining;
    private int _running;
    private ManualResetValueTaskSourceCore<bool> _core;

    /// <summary>An empty batch with room for <paramref name="capacity"/> requests before it grows.</summary>
    public DhtBatch(int capacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _entries = new BatchEntry[Math.Min(capacity, MaxCount)];
        // The caller's code never runs on a connection's read loop.
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>How many requests the batch holds.</summary>
    public int Count => _count;

    /// <summary>The outcome of request <paramref name="index"/> of the last run.</summary>
    public DhtBatchResult this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            var result = _entries[index].Result;
            return new DhtBatchResult(result.Status, result.Status == StatusCode.Ok ? result.Payload : null, result.ErrorMessage);
        }
    }

    /// <summary>Adds a Get of <paramref name="key"/>; its result's value is null and its status NotFound when the key is absent.</summary>
    public int Get(ReadOnlyMemory<byte> key) => Add(Opcode.Get, key, default);

    /// <summary>Adds a Put of <paramref name="value"/> under <paramref name="key"/>.</summary>
    public int Put(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value) => Add(Opcode.Put, key, value);

    /// <summary>Adds a PutIfAbsent; its status is Exists when the key was already there (nothing changed).</summary>
    public int PutIfAbsent(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value) => Add(Opcode.PutIfAbsent, key, value);

    /// <summary>Adds a Delete; its status is NotFound when the key was absent.</summary>
    public int Delete(ReadOnlyMemory<byte> key) => Add(Opcode.Delete, key, default);

    /// <summary>Removes every request (the entries are kept for reuse).</summary>
    public void Clear()
    {
        ThrowIfRunning();
        for (var i = 0; i < _count; i++)
            _entries[i].Clear();
        _count = 0;
    }

    internal BatchEntry EntryAt(int index) => _entries[index];

    /// <summary>Starts a run; false when one is already in flight.</summary>
    internal bool TryBeginRun() => Interlocked.Exchange(ref _running, 1) == 0;

    internal void EndRun() => Volatile.Write(ref _running, 0);

    /// <summary>Arms the completion for <paramref name="sending"/> entries plus the sender's own hold, released by <see cref="ReleaseSenderHold"/>.</summary>
    /// <remarks>The extra hold keeps the batch from completing while entries are still being written.</remarks>
    internal ValueTask Arm(int sending)
    {
        _core.Reset();
        Volatile.Write(ref _remaining, sending + 1);
        return new ValueTask(this, _core.Version);
    }

    internal void ReleaseSenderHold() => OnEntryCompleted();

    internal void OnEntryCompleted()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
            _core.SetResult(true);
    }

    private int Add(Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        ThrowIfRunning();
        if ((uint)(key.Length - 1) >= ushort.MaxValue)
            throw new ArgumentException($"a key is 1 to {ushort.MaxValue} bytes (got {key.Length})", nameof(key));
        if (_count == MaxCount)
            throw new InvalidOperationException($"a batch holds at most {MaxCount} requests");
        if (_count == _entries.Length)
            Array.Resize(ref _entries, Math.Min(_entries.Length * 2, MaxCount));
        var entry = _entries[_count] ??= new BatchEntry();
        entry.Set(this, opcode, key, value);
        return _count++;
    }

    private void ThrowIfRunning()
    {
        if (Volatile.Read(ref _running) != 0)
            throw new InvalidOperationException("the batch is running; change it after its run ends");
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
