using FastDht.Engine.Keyspace.Internal;
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
/// With a write-ahead log, each mutator that changes something appends its record right after applying it, under
/// the same gate, so the log holds every key's changes in the order they were applied; a mutator that changes nothing
/// (PutIfAbsent on a present key, Delete of an absent one) logs nothing. Applied first, logged second: any record
/// before a log position is already in the store, which is what lets a snapshot read while writes go on start its
/// replay at the position it noted when it began. Nothing is acknowledged in between: the caller's reply waits for
/// the record (see <see cref="ReplyGuard"/>). Without a log (<c>_log</c> null) nothing of this runs.
/// With replicas, the same change is then appended to the node's <see cref="ReplicationStream"/>, still under the gate, so
/// each key's records reach the replicas in the order they were applied; without replicas (<c>_stream</c> null), or for a
/// change a replica applies on its primary's behalf, nothing is streamed.
/// </remarks>
internal readonly ref struct KeyWrite
{
    private readonly KeyWriteGate _gate;
    private readonly IKeyValueStore _store;
    private readonly ReadOnlySpan<byte> _key;
    private readonly WriteAheadLog? _log;
    private readonly ReplicationStream? _stream;
    private readonly ReplicationStream? _capture;
    private readonly TimeProvider _time;
    private readonly PushSignal? _pushes;
    private readonly VersionClock? _versions;
    private readonly IKeyChangeListener? _changes;
    private readonly IKeyspaceEventSink? _events;

    // capture: where a change is also appended because its slot is moving to another node (SlotMoves); null otherwise.
    // pushes: woken when a list is written (clients blocked in BLPOP...); null where nobody can block (a replica's apply).
    // versions: where the versions of values logged for change records come from; null where every write must be logged
    // whole (a transaction's commit, logged as one batch of whole values).
    // changes: told of each change applied (client-side caching's invalidations); null while no client tracks keys.
    // events: told of a key created ("new") or found expired ("expired") while keyspace notifications are on; null
    // otherwise, and for changes whose events were emitted elsewhere or are not emitted (a transaction's commit: its run
    // collected them; a replica's apply; a slot's import or drop, as Redis emits nothing for a slot's keys).
    internal KeyWrite(KeyWriteGate gate, IKeyValueStore store, ReadOnlySpan<byte> key, KeyWriteRefusal refusal, WriteAheadLog? log, ReplicationStream? stream, TimeProvider time, ReplicationStream? capture = null, PushSignal? pushes = null, VersionClock? versions = null, IKeyChangeListener? changes = null, IKeyspaceEventSink? events = null)
    {
        _events = events;
        _changes = changes;
        _versions = versions;
        _pushes = pushes;
        _capture = capture;
        _gate = gate;
        _store = store;
        _key = key;
        Refusal = refusal;
        _log = log;
        _stream = stream;
        _time = time;
    }

    /// <summary>The key this write changes.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>Why the write may not proceed; <see cref="KeyWriteRefusal.None"/> when it may.</summary>
    public KeyWriteRefusal Refusal { get; }

    /// <summary>The key's current value (an expired key is absent).</summary>
    public bool TryGet(out ReadOnlyMemory<byte> value) => TryGet(out value, out _);

    /// <summary>The key's current value and its expiry (unix ms, 0 when none); an expired key is absent (and removed, when this write may proceed).</summary>
    public bool TryGet(out ReadOnlyMemory<byte> value, out long expiresAt) => TryGet(out value, out expiresAt, out _);

    /// <summary>The key's current value, expiry (unix ms, 0 when none) and data type; an expired key is absent (and removed, when this write may proceed).</summary>
    public bool TryGet(out ReadOnlyMemory<byte> value, out long expiresAt, out EntryType type)
    {
        if (!_store.TryGet(_key, out value, out var metadata))
        {
            expiresAt = 0;
            type = EntryType.String;
            return false;
        }
        expiresAt = metadata.ExpiresAt;
        type = metadata.Type;
        if (!metadata.HasExpiry || metadata.ExpiresAt > NowMs())
            return true;
        // Expired: gone for every reader already; removed here (and logged) so that presence-based writes see it absent.
        if (Refusal == KeyWriteRefusal.None && _store.TryDelete(_key, value))
        {
            LogDelete();
            _events?.Emit(NotifyClass.Expired, "expired"u8, _key);
        }
        value = default;
        expiresAt = 0;
        type = EntryType.String;
        return false;
    }

    /// <summary>Whether the key holds a collection (a list, hash, set...): what a string command answers WRONGTYPE to.</summary>
    public bool HoldsCollection() => TryGet(out _, out _, out var type) && type != EntryType.String;

    /// <summary>Sets the value (upsert), without an expiry: like Redis's SET, it drops one the key had.</summary>
    public void Put(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        var created = CreatesKey();
        _store.Put(_key, value);
        _log?.AppendPut(_key, value);
        _stream?.AppendPut(_key, value, 0);
        _capture?.AppendPut(_key, value, 0);
        _changes?.Changed(_key);
        if (created)
            EmitNew();
    }

    /// <summary>Sets the value to expire at <paramref name="expiresAt"/> (unix ms; 0: never).</summary>
    public void Put(ReadOnlySpan<byte> value, long expiresAt)
    {
        EnsureAllowed();
        if (expiresAt == 0)
        {
            Put(value);
            return;
        }
        var created = CreatesKey();
        _store.Put(_key, value, EntryMetadata.Expiring(expiresAt));
        _log?.AppendPut(_key, value, expiresAt);
        _stream?.AppendPut(_key, value, expiresAt);
        _capture?.AppendPut(_key, value, expiresAt);
        _changes?.Changed(_key);
        if (created)
            EmitNew();
    }

    /// <summary>
    /// Sets the value to a collection's encoding (or a string's bytes, with <see cref="EntryType.String"/>) of
    /// <paramref name="type"/>, expiring at <paramref name="expiresAt"/> (unix ms; 0: never): every collection command's
    /// change, logged, streamed and captured with its type like any put.
    /// </summary>
    public void Put(ReadOnlySpan<byte> value, EntryType type, long expiresAt)
    {
        if (type == EntryType.String)
        {
            Put(value, expiresAt);
            return;
        }
        EnsureAllowed();
        var created = CreatesKey();
        _store.Put(_key, value, EntryMetadata.Typed(type, expiresAt));
        _log?.AppendPutTyped(_key, value, type, expiresAt);
        _stream?.AppendPut(_key, value, expiresAt, type);
        _capture?.AppendPut(_key, value, expiresAt, type);
        _changes?.Changed(_key);
        if (created)
            EmitNew();
        if (type is EntryType.List or EntryType.SortedSet)
            _pushes?.Pulse();
    }

    /// <summary>
    /// Sets the value to a change of the present one (a collection command's new encoding, APPEND, SETRANGE, SETBIT):
    /// stored like <see cref="Put(ReadOnlySpan{byte}, EntryType, long)"/>, but with a log, replicas or a slot move
    /// going on, logged and streamed as the bytes that changed (a change record naming the value it was computed from)
    /// when that is at most half the new value, and whole with a version otherwise (docs/storage.md, "Change records").
    /// </summary>
    /// <remarks>
    /// A delta is taken only from a value whose version a logged record stored (<see cref="VersionClock.IsLogged"/>)
    /// with the same type and expiry, since whoever applies it must hold exactly that value; the first change of any
    /// other value is logged whole with a version, and the ones after it as deltas. Without a log, replicas or a move,
    /// in a transaction's commit (no <c>versions</c>), or for a value shorter than <see cref="MinChangedLength"/>, this
    /// is a plain put and the entry carries no version.
    /// </remarks>
    public void PutChange(ReadOnlySpan<byte> value, EntryType type, long expiresAt)
    {
        EnsureAllowed();
        if (_versions is null || value.Length < MinChangedLength || (_log is null && _stream is null && _capture is null))
        {
            Put(value, type, expiresAt);
            return;
        }
        var version = _versions.NextLoggedVersion();
        var present = _store.TryGet(_key, out var current, out var metadata);
        DeltaPlan plan = default;
        var asDelta = present && VersionClock.IsLogged(metadata.Version) && metadata.Type == type && metadata.ExpiresAt == expiresAt
            && ValueDelta.TryPlan(current.Span, value, out plan);
        _store.Put(_key, value, new EntryMetadata(expiresAt, version, type));
        AppendVersioned(asDelta, plan, metadata.Version, value, new EntryMetadata(expiresAt, version, type));
        if (!present)
            EmitNew();
    }

    /// <summary>
    /// The shortest value <see cref="PutChange"/> gives a version and logs as deltas. 128 bytes: a change record of one
    /// small element costs about 60 bytes plus the key and the element, a whole record 26 plus the key and the value, so
    /// below this a whole value costs the log at most about twice a delta, and the version's 8 bytes in the entry (11
    /// for a string without an expiry) stay under a tenth of the value: small collections and strings, the most common,
    /// keep their entries as they were.
    /// </summary>
    internal const int MinChangedLength = 128;

    /// <summary>As <see cref="PutChange"/> for a string, keeping the expiry the key has (APPEND, SETRANGE, SETBIT).</summary>
    public void PutChangeKeepingExpiry(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        TryGet(out _, out var expiresAt);
        PutChange(value, EntryType.String, expiresAt);
    }

    /// <summary>Stores a value with the version its primary gave it (a replica, a slot's new owner), logged with it, not streamed on.</summary>
    public void PutVersioned(ReadOnlySpan<byte> value, EntryType type, long expiresAt, ulong version)
    {
        EnsureAllowed();
        var stored = new EntryMetadata(expiresAt, version, type);
        _store.Put(_key, value, stored);
        AppendVersioned(asDelta: false, default, 0, value, stored);
    }

    /// <summary>
    /// Applies a change record from the key's primary (a replica, a slot's new owner): <paramref name="delta"/> to the
    /// value whose version is <paramref name="baseVersion"/>, giving <paramref name="version"/>, logged as the same
    /// change; skipped (true, nothing changed) when the key holds another version: the copy it came from already had
    /// it. False when the key holds that version but the delta does not fit it: this copy has diverged from its
    /// primary's, which the caller must not acknowledge as applied (as recovery stops at such a record).
    /// </summary>
    public bool ApplyChange(ulong baseVersion, ulong version, ReadOnlySpan<byte> delta)
    {
        EnsureAllowed();
        if (!_store.TryGet(_key, out var current, out var metadata) || metadata.Version != baseVersion)
            return true;
        if (!ValueDelta.TryGetNewLength(delta, out var length))
            return false;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            var next = buffer.AsSpan(0, length);
            if (!ValueDelta.TryApply(current.Span, delta, next))
                return false;
            PutVersionedChange(current.Span, next, metadata, version);
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Applies an expiry change from the key's primary (a replica, a slot's new owner) to the value whose version is
    /// <paramref name="baseVersion"/>, giving <paramref name="version"/>, logged as the same record; false (nothing
    /// changed) when the key holds another version.
    /// </summary>
    public bool ApplyExpireChange(long expiresAt, ulong baseVersion, ulong version)
    {
        EnsureAllowed();
        if (!_store.TryGet(_key, out var current, out var metadata) || metadata.Version != baseVersion)
            return false;
        _store.TryReplaceMetadata(_key, current, new EntryMetadata(expiresAt, version, metadata.Type));
        _log?.AppendExpireChange(_key, expiresAt, baseVersion, version);
        _stream?.AppendExpireChange(_key, expiresAt, baseVersion, version);
        _capture?.AppendExpireChange(_key, expiresAt, baseVersion, version);
        _changes?.Changed(_key);
        return true;
    }

    /// <summary>Stores <paramref name="next"/> with <paramref name="version"/> (type and expiry kept) and logs it as a change of <paramref name="old"/>, or whole when no short delta exists.</summary>
    private void PutVersionedChange(ReadOnlySpan<byte> old, ReadOnlySpan<byte> next, EntryMetadata metadata, ulong version)
    {
        _store.Put(_key, next, metadata.WithVersion(version));
        var asDelta = ValueDelta.TryPlan(old, next, out var plan);
        AppendVersioned(asDelta, plan, metadata.Version, next, metadata.WithVersion(version));
    }

    /// <summary>
    /// Logs, streams and captures a value just stored with <paramref name="stored"/>'s version: as <paramref name="plan"/>'s
    /// change of the value at <paramref name="baseVersion"/> when <paramref name="asDelta"/>, else whole (put-versioned).
    /// </summary>
    private void AppendVersioned(bool asDelta, in DeltaPlan plan, ulong baseVersion, ReadOnlySpan<byte> value, EntryMetadata stored)
    {
        if (asDelta)
        {
            _log?.AppendChange(_key, baseVersion, stored.Version, plan, value);
            _stream?.AppendChange(_key, baseVersion, stored.Version, plan, value);
            _capture?.AppendChange(_key, baseVersion, stored.Version, plan, value);
        }
        else
        {
            _log?.AppendPutVersioned(_key, value, stored.Type, stored.ExpiresAt, stored.Version);
            _stream?.AppendPutVersioned(_key, value, stored.Type, stored.ExpiresAt, stored.Version);
            _capture?.AppendPutVersioned(_key, value, stored.Type, stored.ExpiresAt, stored.Version);
        }
        _changes?.Changed(_key);
        if (stored.Type is EntryType.List or EntryType.SortedSet)
            _pushes?.Pulse();
    }

    /// <summary>Sets the value and keeps the expiry the key has (INCR, APPEND, SETRANGE, SETBIT, SET KEEPTTL).</summary>
    public void PutKeepingExpiry(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        TryGet(out _, out var expiresAt);
        Put(value, expiresAt);
    }

    /// <summary>
    /// Changes the expiry of a present key (EXPIRE, PERSIST with 0): false when the key is absent. A time already past
    /// removes the key, as Redis does.
    /// </summary>
    public bool SetExpiry(long expiresAt)
    {
        EnsureAllowed();
        if (!TryGet(out var current, out _))
            return false;
        if (expiresAt != 0 && expiresAt <= NowMs())
        {
            if (_store.TryDelete(_key, current))
                LogDelete();
            return true;
        }
        _store.TryGet(_key, out current, out var metadata);
        if (VersionClock.IsLogged(metadata.Version) && _versions is not null && (_log is not null || _stream is not null || _capture is not null))
        {
            // A value its next changes are logged against as deltas: it keeps a version, a new one (so a WATCH sees the
            // change), and the record names the old one, as a change record does (docs/storage.md, "Change records").
            var version = _versions.NextLoggedVersion();
            _store.TryReplaceMetadata(_key, current, new EntryMetadata(expiresAt, version, metadata.Type));
            _log?.AppendExpireChange(_key, expiresAt, metadata.Version, version);
            _stream?.AppendExpireChange(_key, expiresAt, metadata.Version, version);
            _capture?.AppendExpireChange(_key, expiresAt, metadata.Version, version);
            _changes?.Changed(_key);
            return true;
        }
        // A new expiry is a change: the version a WATCH saw is dropped with it; the type stays.
        _store.TryReplaceMetadata(_key, current, EntryMetadata.Typed(metadata.Type, expiresAt));
        _log?.AppendExpire(_key, expiresAt);
        _stream?.AppendExpire(_key, expiresAt);
        _capture?.AppendExpire(_key, expiresAt);
        _changes?.Changed(_key);
        return true;
    }

    /// <summary>Now, in unix milliseconds, on the keyspace's clock.</summary>
    public long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Sets the value only if the key is absent; true when stored.</summary>
    public bool PutIfAbsent(ReadOnlySpan<byte> value)
    {
        EnsureAllowed();
        TryGet(out _, out _); // an expired key is absent
        if (!_store.PutIfAbsent(_key, value))
            return false;
        _log?.AppendPut(_key, value);
        _stream?.AppendPut(_key, value, 0);
        _capture?.AppendPut(_key, value, 0);
        _changes?.Changed(_key);
        EmitNew();
        return true;
    }

    /// <summary>Sets the value and returns the one it replaced, if any.</summary>
    public bool GetAndPut(ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous)
    {
        EnsureAllowed();
        TryGet(out _, out _); // an expired key is absent
        var replaced = _store.TryGetAndPut(_key, value, out previous);
        _log?.AppendPut(_key, value);
        _stream?.AppendPut(_key, value, 0);
        _capture?.AppendPut(_key, value, 0);
        _changes?.Changed(_key);
        if (!replaced)
            EmitNew();
        return replaced;
    }

    /// <summary>Removes the key; true when it was present.</summary>
    public bool Delete()
    {
        EnsureAllowed();
        if (!TryGet(out _, out _))
            return false; // absent, or expired (and removed just now)
        if (!_store.Delete(_key))
            return false;
        LogDelete();
        return true;
    }

    /// <summary>Whether the put about to run creates the key, asked only while "new" events are on (one null check otherwise); an expired key counts as absent.</summary>
    private bool CreatesKey() => _events is { } events && (events.Classes & NotifyClass.New) != 0 && !TryGet(out _, out _);

    /// <summary>Redis's dbAdd event: the key was created (class n), before the command's own event.</summary>
    private void EmitNew() => _events?.Emit(NotifyClass.New, "new"u8, _key);

    /// <summary>Releases the key's gate.</summary>
    public void Dispose() => _gate.Dispose();

    private void LogDelete()
    {
        _log?.AppendDelete(_key);
        _stream?.AppendDelete(_key);
        _capture?.AppendDelete(_key);
        _changes?.Changed(_key);
    }

    private void EnsureAllowed()
    {
        if (Refusal != KeyWriteRefusal.None)
            Throw.WriteRefused(Refusal);
    }
}
