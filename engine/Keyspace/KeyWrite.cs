using FastDht.Locking;
using FastDht.Storage;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// One write in progress on one key, holding the key's <see cref="KeyWriteGate"/>: read the current value, then
/// change it, atomically against every other writer and every lock grant of the key. Dispose at once.
/// </summary>
/// <remarks>
/// The only type whose methods change the store: the log, replication and expiry hook in here. When
/// <see cref="Refusal"/> is not <see cref="KeyWriteRefusal.None"/>, the mutators throw: the caller answers the refusal.
/// With a write-ahead log, each mutator that changes something appends its record first, under the same gate, so the
/// log holds every key's changes in the order they were applied; a mutator that changes nothing (PutIfAbsent on a
/// present key, Delete of an absent one) logs nothing. The caller's reply then waits for the record (see
/// <see cref="ReplyGuard"/>). Without a log (<c>_log</c> null) nothing of this runs.
/// </remarks>
internal readonly ref struct KeyWrite
{
    private readonly KeyWriteGate _gate;
    private readonly IKeyValueStore _store;
    private readonly ReadOnlySpan<byte> _key;
    private readonly WriteAheadLog? _log;

    internal KeyWrite(KeyWriteGate gate, IKeyValueStore store, ReadOnlySpan<byte> key, KeyWriteRefusal refusal, WriteAheadLog? log)
    {
        _gate = gate;
        _store = store;
        _key = key;
        Refusal = refusal;
        _log = log;
    }

    /// <summary>Why the write may not proceed; <see cref="KeyWriteRefusal.None"/> when it may.</summary>
    public KeyWriteRefusal Refusal { get; }

    /// <summary>The key's current value.</summary>
    public bool TryGet(out ReadOnlyMemory<byte> value) => _store.TryGet(_key, out value);

    /// <summary>Sets the value (upsert).</summary>
    public void Put(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        _log?.AppendPut(_key, value);
        _store.Put(_key, value);
    }

    /// <summary>Sets the value only if the key is absent; true when stored.</summary>
    public bool PutIfAbsent(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        if (_log is not null)
        {
            // Under the gate no other writer runs: absent now means absent when stored.
            if (_store.TryGet(_key, out _))
                return false;
            _log.AppendPut(_key, value);
        }
        return _store.PutIfAbsent(_key, value);
    }

    /// <summary>Sets the value and returns the one it replaced, if any.</summary>
    public bool GetAndPut(ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous)
    {
        EnsureAllowed();
        _log?.AppendPut(_key, value);
        return _store.TryGetAndPut(_key, value, out previous);
    }

    /// <summary>Removes the key; true when it was present.</summary>
    public bool Delete()
    {
        EnsureAllowed();
        if (_log is not null)
        {
            if (!_store.TryGet(_key, out _))
                return false;
            _log.AppendDelete(_key);
        }
        return _store.Delete(_key);
    }

    /// <summary>Releases the key's gate.</summary>
    public void Dispose() => _gate.Dispose();

    private void EnsureAllowed()
    {
        if (Refusal != KeyWriteRefusal.None)
            Throw.WriteRefused(Refusal);
    }
}
