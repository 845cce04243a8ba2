using FastDht.Locking;
using FastDht.Storage;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// One write in progress on one key, holding the key's <see cref="KeyWriteGate"/>: read the current value, then
/// change it, atomically against every other writer and every lock grant of the key. Dispose at once.
/// </summary>
/// <remarks>
/// The only type whose methods change the store: the log, replication and expiry hook in here. When
/// <see cref="Refusal"/> is not <see cref="KeyWriteRefusal.None"/>, the mutators throw: the caller answers the refusal.
/// </remarks>
internal readonly ref struct KeyWrite
{
    private readonly KeyWriteGate _gate;
    private readonly IKeyValueStore _store;
    private readonly ReadOnlySpan<byte> _key;

    internal KeyWrite(KeyWriteGate gate, IKeyValueStore store, ReadOnlySpan<byte> key, KeyWriteRefusal refusal)
    {
        _gate = gate;
        _store = store;
        _key = key;
        Refusal = refusal;
    }

    /// <summary>Why the write may not proceed; <see cref="KeyWriteRefusal.None"/> when it may.</summary>
    public KeyWriteRefusal Refusal { get; }

    /// <summary>The key's current value.</summary>
    public bool TryGet(out ReadOnlyMemory<byte> value) => _store.TryGet(_key, out value);

    /// <summary>Sets the value (upsert).</summary>
    public void Put(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        _store.Put(_key, value);
    }

    /// <summary>Sets the value only if the key is absent; true when stored.</summary>
    public bool PutIfAbsent(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        return _store.PutIfAbsent(_key, value);
    }

    /// <summary>Sets the value and returns the one it replaced, if any.</summary>
    public bool GetAndPut(ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous)
    {
        EnsureAllowed();
        return _store.TryGetAndPut(_key, value, out previous);
    }

    /// <summary>Removes the key; true when it was present.</summary>
    public bool Delete()
    {
        EnsureAllowed();
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
