using System.Diagnostics;
using FastDht.Engine.Keyspace.Internal;
using FastDht.Locking;
using FastDht.Storage;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// The keys this node owns: the only code that reads or changes one. Native requests, RESP commands (local and
/// forwarded), the embedding API and transaction commits all come here.
/// </summary>
/// <remarks>
/// <para>
/// The lock rule is applied here once, for every protocol: a plain write to a key that some transaction holds, in any
/// mode, is refused with <see cref="KeyWriteRefusal.Locked"/> (retryable: native status Locked, RESP -TRYAGAIN); a
/// fenced write goes ahead only for the key's exclusive holder with exactly its token; a transaction's commit only
/// for that transaction's exclusive hold under the token it was granted. The check and the write happen under the
/// key's <see cref="KeyWriteGate"/>, so no lock can be granted between them, and every writer of a key is serialized
/// by the same gate: a read-modify-write (INCR, APPEND, SET NX/XX/GET) is a read and a write inside one
/// <see cref="KeyWrite"/>, atomic without a compare-and-swap loop.
/// </para>
/// <para>
/// Reads take no gate: a read sees the last write applied (single-key linearizability at the owner). A multi-key read
/// that must not see part of a transaction takes shared locks (MultiGet, MGET).
/// </para>
/// <para>
/// This is the seam where the write-ahead log, replication, expiry and metrics hook in: every change passes through
/// <see cref="KeyWrite"/>'s mutators, and a transaction's commit through <see cref="LogCommit"/> and
/// <see cref="BeginCommitWrite"/>. With a log, a write is refused (<see cref="KeyWriteRefusal.LogUnavailable"/>) while
/// the log cannot reach the disk; without one (<see cref="Log"/> null) the path is the memory-only one, unchanged.
/// </para>
/// </remarks>
internal sealed class LocalKeyspace
{
    [ThreadStatic]
    private static long t_writesOpened; // WritesOpenedOnThisThread

    private readonly IKeyValueStore _store;
    private readonly LockTable _locks;
    private readonly TimeProvider _time;
    private WriteAheadLog? _log;
    private ReplicationStream? _stream;
    private Func<int, bool>? _servesSlot;
    private SlotMoves? _moves;
    private IKeyChangeListener? _changes;
    private IKeyspaceEventSink? _events;
    private readonly bool _storeSlotsAreClusterSlots;

    /// <param name="store">The store holding this node's keys.</param>
    /// <param name="locks">The node's lock table: its gates decide whether a write may proceed.</param>
    /// <param name="maxValueLength">The largest value a command may build (SETRANGE, SETBIT, APPEND): one that could
    /// not travel in a frame could be stored but never read back through another node.</param>
    /// <param name="time">The clock expiry times are compared with; null for the system clock.</param>
    public LocalKeyspace(IKeyValueStore store, LockTable locks, int maxValueLength = int.MaxValue, TimeProvider? time = null)
    {
        _store = store;
        _locks = locks;
        MaxValueLength = maxValueLength;
        _time = time ?? TimeProvider.System;
        _storeSlotsAreClusterSlots = GroupsByClusterSlot(store);
    }

    /// <summary>
    /// Whether the store groups keys by the cluster's slot (the default store does: <c>StoreOptions.SlotFunction =
    /// KeySlot.Of</c>), so that scanning a slot range reads only those slots; a plugin store may group them otherwise,
    /// and is then scanned whole with each key's slot checked.
    /// </summary>
    /// <remarks>
    /// Asked of the store's own <see cref="IKeyValueStore.SlotOf"/> for 16 keys whose cluster slots differ: a function
    /// that is not CRC16 agrees on all of them with probability about 16384^-16.
    /// </remarks>
    private static bool GroupsByClusterSlot(IKeyValueStore store)
    {
        Span<byte> key = stackalloc byte[8];
        for (var i = 0; i < 16; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(key, 0x5EED_0000_0000 + i * 7919);
            if (store.SlotOf(key) != Protocol.KeySlot.Of(key))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Starts telling <paramref name="listener"/> of every change applied from now on (client-side caching: the first
    /// client that turns tracking on attaches it; until then a write pays one null check). Once only.
    /// </summary>
    public void AttachChangeListener(IKeyChangeListener listener) => Interlocked.CompareExchange(ref _changes, listener, null);

    /// <summary>
    /// Sends the keyspace's events to <paramref name="sink"/> from now on (keyspace notifications turned on), or to
    /// nobody (null: turned off, every event site back to one null check).
    /// </summary>
    public void AttachEvents(IKeyspaceEventSink? sink) => Volatile.Write(ref _events, sink);

    /// <summary>Where the keyspace's events go; null while keyspace notifications are off.</summary>
    public IKeyspaceEventSink? Events => Volatile.Read(ref _events);

    /// <summary>
    /// A command's keyspace event (Redis's notifyKeyspaceEvent): <paramref name="name"/>, of class <paramref name="type"/>,
    /// happened to <paramref name="key"/>. One null check while notifications are off.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Notify(int type, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
    {
        if (Volatile.Read(ref _events) is { } sink)
            sink.Emit(type, name, key);
    }

    /// <summary>
    /// The events of a native or embedding-API put, as the RESP command that does the same sends them: "set", and
    /// "expire" after it for a put with a time to live (SET ... PX).
    /// </summary>
    public void NotifyPut(ReadOnlySpan<byte> key, bool withExpiry)
    {
        if (Volatile.Read(ref _events) is not { } sink)
            return;
        sink.Emit(NotifyClass.String, "set"u8, key);
        if (withExpiry)
            sink.Emit(NotifyClass.Generic, "expire"u8, key);
    }

    /// <summary>
    /// Opens a group of changes on this thread (one command's, one commit's) for the change listener; true when one was
    /// opened, and then <see cref="EndChangeGroup"/> must follow. Without a listener: false, one null check.
    /// </summary>
    public bool BeginChangeGroup() => Volatile.Read(ref _changes)?.BeginGroup() ?? false;

    /// <summary>Ends the group <see cref="BeginChangeGroup"/> opened.</summary>
    public void EndChangeGroup() => Volatile.Read(ref _changes)?.EndGroup();

    /// <summary>The slots this node is moving away (capture and handover); null until the first move.</summary>
    public SlotMoves? Moves => Volatile.Read(ref _moves);

    /// <summary>The slot moves of this node, created on the first move (before that, writes pay one null check).</summary>
    public SlotMoves EnableMoves()
    {
        var moves = Volatile.Read(ref _moves);
        if (moves is not null)
            return moves;
        Interlocked.CompareExchange(ref _moves, new SlotMoves(), null);
        return _moves!;
    }

    /// <summary>Whether <paramref name="key"/>'s slot has been handed to another node (a move's last step): nothing may change it here.</summary>
    public bool IsHandedAway(ReadOnlySpan<byte> key) => Volatile.Read(ref _moves) is { } moves && moves.IsGone(Protocol.KeySlot.Of(key));

    /// <summary>
    /// A move's handover: under every key's write gate, when no transaction holds or waits for a lock on a key that
    /// <paramref name="inSlots"/> names, marks slots [<paramref name="first"/>, <paramref name="last"/>] handed away and
    /// returns true; false (nothing changed) while a lock is still there. Once it returns true no write to the slots
    /// runs here: every one that began before has ended, every later one sees the mark.
    /// </summary>
    public bool TryHandAway(SlotMoves moves, int first, int last, Locking.KeyPredicate inSlots)
    {
        using var all = _locks.EnterAllWriteGates();
        if (all.AnyLockOn(inSlots))
            return false;
        moves.SetGone(first, last, true);
        Volatile.Read(ref _changes)?.SlotsHandedAway(first, last);
        return true;
    }

    /// <summary>Takes every key's write gate once and lets it go: every write that began before this call has ended (a move's barrier, <see cref="SlotMoves"/>).</summary>
    public void AwaitWritesInProgress()
    {
        using var all = _locks.EnterAllWriteGates();
    }

    /// <summary>Now, in unix milliseconds, on the clock expiry times are compared with.</summary>
    public long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The largest value a command may build here (Redis's proto-max-bulk-len).</summary>
    public int MaxValueLength { get; }

    /// <summary>The write-ahead log every change is appended to; null when the node keeps its keys in memory only.</summary>
    public WriteAheadLog? Log => _log;

    /// <summary>Where entry versions come from: WATCH's, and the ones change records name (<see cref="KeyWrite.PutChange"/>).</summary>
    internal VersionClock Versions { get; } = new();

    /// <summary>
    /// Changes applied in several steps before they are logged as one record (a transaction's commit, a flush) enter
    /// this while they run, so a snapshot can wait for those in progress (<see cref="CommitBarrier"/>).
    /// </summary>
    public CommitBarrier Commits { get; } = new();

    /// <summary>
    /// What client sessions use to hold replies until the writes they acknowledge are durable and at every in-sync
    /// replica; null without a log and without replicas.
    /// </summary>
    public ReplyGuard? Durability { get; private set; }

    /// <summary>
    /// What peer links use: the log's durability alone (null without a log). A link also carries replicas'
    /// acknowledgements, which must never queue behind a reply that waits for one; links wait for replicas per reply.
    /// </summary>
    public ReplyGuard? LogDurability { get; private set; }

    /// <summary>The stream of this node's changes to its replicas; null without replicas.</summary>
    public ReplicationStream? Replication => _stream;

    /// <summary>Starts logging every change to <paramref name="log"/> (once, after recovery replayed it, before anyone writes).</summary>
    public void AttachLog(WriteAheadLog log)
    {
        _log = log;
        LogDurability = new ReplyGuard(log, stream: null);
        Durability = new ReplyGuard(log, _stream);
    }

    /// <summary>Starts streaming every change to <paramref name="stream"/> for the replicas (once, before anyone writes).</summary>
    /// <param name="stream">Where every change this node makes as a primary goes.</param>
    /// <param name="servesSlot">Whether this node is the primary of a slot now: the store also holds the keys it copies as a replica, which listings leave out.</param>
    public void AttachReplication(ReplicationStream stream, Func<int, bool> servesSlot)
    {
        _stream = stream;
        _servesSlot = servesSlot;
        Durability = new ReplyGuard(_log, stream);
    }

    /// <summary>Whether <paramref name="key"/> held here is this node's own rather than a copy it keeps as a replica; computes no slot without replicas.</summary>
    public bool ServesKey(ReadOnlySpan<byte> key) => _servesSlot is null || _servesSlot(Protocol.KeySlot.Of(key));

    /// <summary>
    /// Appends a transaction's writes at this node as one record, so recovery applies them whole or not at all; the
    /// writes themselves went through <see cref="BeginCommitWrite"/>, which logs nothing, and the transaction still
    /// holds their locks. Returns the log position to wait for (0 without a log).
    /// </summary>
    /// <remarks>
    /// Appended even while the disk fails: a prepared transaction cannot be refused at commit, so its record waits in
    /// the log's buffer for the disk, and the commit's answer waits with it.
    /// </remarks>
    public long LogCommit(LogBatch batch) => _log is null || batch.Count == 0 ? 0 : _log.Append(batch);

    /// <summary>The thresholds OBJECT ENCODING names this node's collections' encodings by (CONFIG SET hash-max-listpack-entries..., per node as in Redis Cluster).</summary>
    public CollectionEncodings Encodings { get; } = new();

    /// <summary>Pulsed when a list is written here: what clients blocked in BLPOP and its kin wait for.</summary>
    public PushSignal Pushes { get; } = new();

    /// <summary>The number of keys held here.</summary>
    public long Count => _store.Count;

    /// <summary>Counts keys and bytes of the underlying store.</summary>
    public StoreStats GetStats() => _store.GetStats();

    /// <summary>Reads that found their key and reads that did not, over every caller (INFO's keyspace_hits and keyspace_misses).</summary>
    public ReadCounters Reads { get; } = new();

    /// <summary>Reads a key without allocating; the value is an immutable snapshot. Counted as a hit or a miss.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value) => CountRead(TryGet(key, out value, out _), key);

    /// <summary>Counts a read as a hit or a miss; a miss is also Redis's "keymiss" event (class m) while notifications are on.</summary>
    private bool CountRead(bool found, ReadOnlySpan<byte> key)
    {
        Reads.Count(found);
        if (!found && Volatile.Read(ref _events) is { } sink)
            sink.Emit(NotifyClass.KeyMiss, "keymiss"u8, key);
        return found;
    }

    /// <summary>
    /// Reads a key and its expiry (unix ms, 0 when none) without allocating. An expired key is absent to every reader
    /// at once (lazy expiry); the active pass or the next write removes it.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value, out long expiresAt)
    {
        if (!_store.TryGet(key, out value, out var metadata))
        {
            expiresAt = 0;
            return false;
        }
        expiresAt = metadata.ExpiresAt;
        // The clock is read only for a key that expires: a key without metadata costs one compare.
        if (metadata.HasExpiry && metadata.ExpiresAt <= NowMs)
        {
            value = default;
            expiresAt = 0;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Reads a key with its expiry (unix ms, 0: none) and version (0: none), as a transaction reads the keys it holds;
    /// not counted as a hit or a miss (the command that uses it is, where it runs). An expired key is absent.
    /// </summary>
    public bool TryGetEntry(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value, out long expiresAt, out ulong version) =>
        TryGetEntry(key, out value, out expiresAt, out version, out _);

    /// <summary>As <see cref="TryGetEntry(ReadOnlySpan{byte}, out ReadOnlyMemory{byte}, out long, out ulong)"/>, with the value's data type.</summary>
    public bool TryGetEntry(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value, out long expiresAt, out ulong version, out EntryType type)
    {
        if (!_store.TryGet(key, out value, out var metadata) || (metadata.HasExpiry && metadata.ExpiresAt <= NowMs))
        {
            value = default;
            expiresAt = 0;
            version = 0;
            type = EntryType.String;
            return false;
        }
        expiresAt = metadata.ExpiresAt;
        version = metadata.Version;
        type = metadata.Type;
        return true;
    }

    /// <summary>
    /// Starts loading several keys' index slots and entries into the cache together, ahead of their lookups (the keys of
    /// a pipelined read; <see cref="IKeyValueStore.Prefetch"/>). Changes nothing; returns a value to ignore.
    /// </summary>
    public int Prefetch(ReadOnlySpan<byte> source, ReadOnlySpan<Range> keys) => _store.Prefetch(source, keys);

    /// <summary>
    /// Reads a key's value and data type, counted as a hit or a miss (every RESP command that reads a key of a known
    /// type: a string command finding a collection answers WRONGTYPE from this). An expired key is absent.
    /// </summary>
    public bool TryGetTyped(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value, out EntryType type) =>
        CountRead(TryGetEntry(key, out value, out _, out _, out type), key);

    /// <summary>
    /// WATCH: the key's version, giving it one first if it has none; 0 when the key is absent (or expired).
    /// </summary>
    /// <remarks>
    /// A version is an entry's identity for WATCH: every change of the key (every <see cref="KeyWrite"/> mutator, a
    /// transaction's commit, FLUSHALL, expiry) replaces the entry's metadata without it or, for a change logged as a
    /// delta (<see cref="KeyWrite.PutChange"/>), with a new one, so a key still carrying the version a WATCH saw has not
    /// changed since. Only watched keys and collections or strings changed in place with a log or replicas carry one
    /// (8 bytes): other keys cost nothing. Versions come from <see cref="VersionClock"/>, so a restarted node does not
    /// hand out a version it gave before. Taken under the key's gate, so it cannot slip between a write's read and its
    /// store; not logged (a restart ends every WATCH anyway).
    /// </remarks>
    public ulong Watch(ReadOnlySpan<byte> key)
    {
        using var gate = _locks.EnterWriteGate(key);
        if (!_store.TryGet(key, out var value, out var metadata) || (metadata.HasExpiry && metadata.ExpiresAt <= NowMs))
            return 0;
        if (metadata.HasVersion)
            return metadata.Version;
        var version = Versions.NextWatchVersion();
        return _store.TryReplaceMetadata(key, value, metadata.WithVersion(version)) ? version : 0;
    }

    /// <summary>
    /// Removes <paramref name="key"/> if it has expired (the active expiry pass), under its gate and logged, unless a
    /// transaction holds it or the log cannot write; true when it removed it.
    /// </summary>
    public bool RemoveIfExpired(ReadOnlySpan<byte> key)
    {
        using var write = BeginWrite(key, fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
            return false;
        return _store.TryGet(key, out _, out var metadata) && metadata.HasExpiry && !write.TryGet(out _);
    }

    /// <summary>Visits one batch of every key (KEYS, SCAN); returns the next cursor (0: done). Expired keys are reported too: the visitor skips them by their metadata, and the copies a replica holds (<see cref="ServesKey"/>) by their slot.</summary>
    public ulong Scan<TVisitor>(ulong cursor, int count, ref TVisitor visitor)
        where TVisitor : IStoreEntryVisitor, allows ref struct =>
        _store.Scan(cursor, SlotRange.All, count, ref visitor);

    /// <summary>A cursor at a random place of the enumeration (RANDOMKEY): a random shard and a random point of its hash range.</summary>
    public ulong RandomCursor()
    {
        var shards = _store is ShardedStore sharded ? sharded.ShardCount : 1;
        return ((ulong)(uint)Random.Shared.Next(shards) << 32) | (uint)Random.Shared.Next(int.MinValue, int.MaxValue);
    }

    /// <summary>Visits one batch of the keys that carry an expiry, for the active expiry pass; returns the next cursor (0: done).</summary>
    public ulong ScanExpiring<TVisitor>(ulong cursor, int count, ref TVisitor visitor)
        where TVisitor : IStoreEntryVisitor, allows ref struct =>
        _store.Scan(cursor, SlotRange.All, count, ref visitor, onlyWithExpiry: true);

    /// <summary>
    /// Opens a write to one key: a plain write (<paramref name="fence"/> null) or a fenced one. Check
    /// <see cref="KeyWrite.Refusal"/> before using it; dispose it at once after the write (it holds the key's gate).
    /// </summary>
    public KeyWrite BeginWrite(ReadOnlySpan<byte> key, ulong? fence)
    {
        var gate = _locks.EnterWriteGate(key);
        KeyWriteRefusal refusal;
        if (fence is { } token)
            refusal = gate.IsFencedBy((long)token) ? KeyWriteRefusal.None : KeyWriteRefusal.StaleFence;
        else
            refusal = gate.IsLocked ? KeyWriteRefusal.Locked : KeyWriteRefusal.None;
        if (refusal == KeyWriteRefusal.None && _log is { IsWritable: false })
            refusal = KeyWriteRefusal.LogUnavailable;
        var capture = MovingCapture(key, ref refusal); // before the constructor call reads refusal
        if (refusal == KeyWriteRefusal.None)
            t_writesOpened++;
        var events = Volatile.Read(ref _events);
        if (events is not null && !ServesKey(key))
            events = null; // a replica's copy (its expiry): replicas send no keyspace events (docs/resp-server.md)
        return new KeyWrite(gate, _store, key, refusal, _log, _stream, _time, capture, Pushes, Versions, Volatile.Read(ref _changes), events);
    }

    /// <summary>
    /// How many writes this thread has opened unrefused (<see cref="BeginWrite"/>, and every plain write built on it):
    /// two readings around a command tell whether it may have changed anything. A RESP command whose write is refused
    /// for a handover counts as "nothing ran" (and waits for the handover) only when this did not move.
    /// </summary>
    internal static long WritesOpenedOnThisThread => t_writesOpened;

    /// <summary>Under the key's gate: where a change of a moving slot is captured, or <see cref="KeyWriteRefusal.Moving"/> when the slot is handed away; nothing without a move.</summary>
    private ReplicationStream? MovingCapture(ReadOnlySpan<byte> key, ref KeyWriteRefusal refusal)
    {
        if (Volatile.Read(ref _moves) is not { } moves)
            return null;
        var slot = Protocol.KeySlot.Of(key);
        if (moves.IsGone(slot))
        {
            if (refusal == KeyWriteRefusal.None)
                refusal = KeyWriteRefusal.Moving;
            return null;
        }
        return moves.Captures(slot) ? moves.Captured : null;
    }

    /// <summary>
    /// Opens a transaction's write to one key it holds exclusively under <paramref name="fencingToken"/>; refused
    /// (StaleFence) otherwise. Logs nothing: the participant logs the writes it applied as one record (<see cref="LogCommit"/>).
    /// </summary>
    public KeyWrite BeginCommitWrite(ReadOnlySpan<byte> key, TxnId txn, long fencingToken)
    {
        var gate = _locks.EnterWriteGate(key);
        var refusal = gate.IsFencedBy(txn, fencingToken) ? KeyWriteRefusal.None : KeyWriteRefusal.StaleFence;
        // A handed-away slot cannot meet a commit: the handover waits until no lock of the slot is held, and a
        // prepare for a handed-away key is refused; if one came anyway, Moving refuses it rather than losing it.
        var capture = MovingCapture(key, ref refusal); // before the constructor call reads refusal
        return new KeyWrite(gate, _store, key, refusal, log: null, _stream, _time, capture, Pushes, changes: Volatile.Read(ref _changes));
    }

    /// <summary>
    /// Applies one change the primary of the key's slot replicated here (this node is its replica): no lock rule (the
    /// primary applied it under its own), logged here like any change, not streamed on.
    /// </summary>
    /// <param name="kind">The record's kind (<see cref="StreamRecords"/>).</param>
    /// <param name="key">The key it changes.</param>
    /// <param name="value">A put's value; a change's delta.</param>
    /// <param name="expiresAt">A put's, an expire's or an expire-change's expiry (unix ms, 0: none).</param>
    /// <param name="type">A put's data type.</param>
    /// <param name="version">A versioned put's, a change's or an expire-change's version (0: none).</param>
    /// <param name="baseVersion">A change's or an expire-change's base version: applied only to the value that has it, skipped otherwise
    /// (the value came later in a resynchronization's or a move's copy, which read it with the change already made).</param>
    /// <returns>False only for a change record that does not fit the value of its base version: the copy has diverged from
    /// its primary's (nothing applied); the caller refuses the batch, so the sender resynchronizes this copy.</returns>
    public bool ApplyReplicated(byte kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt, EntryType type = EntryType.String, ulong version = 0, ulong baseVersion = 0)
    {
        using var write = new KeyWrite(_locks.EnterWriteGate(key), _store, key, KeyWriteRefusal.None, _log, stream: null, _time, pushes: Pushes, versions: Versions, changes: Volatile.Read(ref _changes));
        switch (kind)
        {
            case StreamRecords.KindPut:
                write.Put(value, type, expiresAt);
                break;
            case StreamRecords.KindPutVersioned:
                Versions.Observe(version);
                write.PutVersioned(value, type, expiresAt, version);
                break;
            case StreamRecords.KindChange:
                Versions.Observe(version);
                return write.ApplyChange(baseVersion, version, value);
            case StreamRecords.KindExpireChange:
                Versions.Observe(version);
                write.ApplyExpireChange(expiresAt, baseVersion, version);
                break;
            case StreamRecords.KindExpire:
                write.SetExpiry(expiresAt);
                break;
            default:
                write.Delete();
                break;
        }
        return true;
    }

    /// <summary>
    /// Removes every key whose cluster slot <paramref name="removes"/> says so (a replica about to be resynchronized from
    /// its primary, or its primary's FLUSHALL), logged, not streamed on.
    /// </summary>
    /// <remarks>
    /// Walks the whole store and computes each key's cluster slot: a store may group keys by a slot function of its own
    /// (the default sharded store uses its seeded hash), so its slot ranges are not the cluster's.
    /// </remarks>
    public void RemoveReplicated(Func<int, bool> removes)
    {
        var visitor = new RemoveVisitor(this, removes);
        var cursor = 0UL;
        do
            cursor = _store.Scan(cursor, SlotRange.All, 256, ref visitor);
        while (cursor != 0);
    }

    /// <summary>
    /// Visits one batch of the keys of slots [<paramref name="first"/>, <paramref name="last"/>] (a slot move); returns
    /// the next cursor (0: done). Reads only those slots when the store groups keys by the cluster's slot; otherwise
    /// the whole store, and the visitor checks each key's slot (it must anyway: see <see cref="ShardedStore"/>'s tags).
    /// </summary>
    public ulong ScanSlots<TVisitor>(ulong cursor, int first, int last, int count, ref TVisitor visitor)
        where TVisitor : IStoreEntryVisitor, allows ref struct =>
        _store.Scan(cursor, _storeSlotsAreClusterSlots ? new SlotRange(first, last) : SlotRange.All, count, ref visitor);

    /// <summary>Counts the keys of one cluster slot (CLUSTER COUNTKEYSINSLOT).</summary>
    public long CountKeysInSlot(int slot)
    {
        if (_storeSlotsAreClusterSlots)
            return _store.CountKeysInSlot(slot);
        var visitor = new CountVisitor(slot);
        var cursor = 0UL;
        do
            cursor = _store.Scan(cursor, SlotRange.All, 256, ref visitor);
        while (cursor != 0);
        return visitor.Count;
    }

    /// <summary>
    /// Applies one key a node moving a slot to this one sent (or its change made meanwhile): no lock rule (the sender
    /// applied it under its own), logged here like any change, not streamed to this node's replicas (they are
    /// resynchronized when the state that makes this node the owner is installed).
    /// </summary>
    public bool ApplyMigrated(byte kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt, EntryType type = EntryType.String, ulong version = 0, ulong baseVersion = 0) =>
        ApplyReplicated(kind, key, value, expiresAt, type, version, baseVersion);

    /// <summary>Removes the keys of slots [<paramref name="first"/>, <paramref name="last"/>] (logged, not streamed): a receiver starting an import over (a sender drops its copies with <see cref="DropHandedAwayAsync"/>).</summary>
    public long RemoveSlots(int first, int last)
    {
        var visitor = new RemoveRangeVisitor(this, first, last);
        var cursor = 0UL;
        do
            cursor = ScanSlots(cursor, first, last, 256, ref visitor);
        while (cursor != 0);
        return visitor.Removed;
    }

    /// <summary>
    /// A move's last step: removes this node's copies of slots [<paramref name="first"/>, <paramref name="last"/>], which
    /// it handed away (logged, not streamed), <see cref="DropBatch"/> keys at a time, resting <paramref name="restAfter"/>
    /// of each batch's time between batches, each batch on <see cref="LowPriorityWork"/>'s thread when
    /// <paramref name="lowPriority"/> (a throttled move); returns how many it removed.
    /// </summary>
    /// <remarks>
    /// In one pass (<see cref="RemoveSlots"/>) a step's tens of thousands of deletes kept a core for tens of
    /// milliseconds while requests queued behind it: the drop's operations had a p99 of 8-9x the one before the moves,
    /// the worst of a move's phases but the handover (docs/benchmarks.md, "Elasticity"). Nothing waits for the drop but
    /// the move's end; the slots' requests go to the new owner meanwhile. Each key is removed under its gate only while
    /// its slot is still marked handed away: a move that brings the slot back clears the mark when its state is
    /// installed, before its import resets the slots, so a key it imported is never dropped here.
    /// </remarks>
    public async Task<long> DropHandedAwayAsync(SlotMoves moves, int first, int last, Func<TimeSpan, TimeSpan> restAfter, bool lowPriority = false)
    {
        var visitor = new DropHandedAwayVisitor(this, moves, first, last);
        var cursor = 0UL;
        do
        {
            if (lowPriority && !LowPriorityWork.IsCurrent)
            {
                var posted = Stopwatch.GetTimestamp();
                await LowPriorityWork.Enter();
                lowPriority = Stopwatch.GetElapsedTime(posted) < LowPriorityWork.StarvedAfter; // else normal priority from here on
            }
            var started = Stopwatch.GetTimestamp();
            cursor = ScanSlots(cursor, first, last, DropBatch, ref visitor);
            var rest = restAfter(Stopwatch.GetElapsedTime(started));
            if (rest > TimeSpan.Zero)
                await Task.Delay(rest).ConfigureAwait(false);
            else
                await Task.Yield(); // requests queued meanwhile run before the next batch
        }
        while (cursor != 0);
        return visitor.Removed;
    }

    /// <summary>Keys a drop removes between two rests (<see cref="DropHandedAwayAsync"/>): a few hundred microseconds of work.</summary>
    internal const int DropBatch = 256;

    /// <summary>Removes <paramref name="key"/> under its gate if its slot is still handed away (<see cref="DropHandedAwayAsync"/>).</summary>
    private bool DropIfHandedAway(SlotMoves moves, ReadOnlySpan<byte> key)
    {
        using var write = new KeyWrite(_locks.EnterWriteGate(key), _store, key, KeyWriteRefusal.None, _log, stream: null, _time, pushes: Pushes, changes: Volatile.Read(ref _changes));
        if (!moves.IsGone(Protocol.KeySlot.Of(key)))
            return false;
        write.Delete();
        return true;
    }

    /// <summary>Whether <paramref name="txn"/> still holds <paramref name="key"/> exclusively under <paramref name="fencingToken"/>.</summary>
    public bool HoldsForCommit(ReadOnlySpan<byte> key, TxnId txn, long fencingToken)
    {
        using var gate = _locks.EnterWriteGate(key);
        return gate.IsFencedBy(txn, fencingToken);
    }

    /// <summary>
    /// Removes every key (FLUSHALL at this node). Not refused by locks: a transaction that holds keys and commits
    /// afterwards simply writes after the flush, which is a serial order.
    /// </summary>
    /// <returns>The log position to wait for before acknowledging (0 without a log), or -1 when the log cannot write (nothing cleared).</returns>
    public long Clear()
    {
        // Every gate, so that no write lands between the clear's log record and the clear itself.
        using var all = _locks.EnterAllWriteGates();
        if (_log is { IsWritable: false })
            return -1;
        // Applied, then logged, like every change (KeyWrite): a record before a log position is always in the store.
        // The clear removes shard after shard: a snapshot reading meanwhile waits for its record (Commits).
        var epoch = Commits.Enter();
        try
        {
            _store.Clear();
            Volatile.Read(ref _changes)?.Cleared();
            _stream?.AppendClear();
            Volatile.Read(ref _moves)?.Captured.AppendClear(); // the receiver clears the slots it imports
            return _log?.AppendClear() ?? 0;
        }
        finally
        {
            Commits.Exit(epoch);
        }
    }

    /// <summary>Upsert under the lock rule.</summary>
    public KeyWriteResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong? fence = null)
    {
        using var write = BeginWrite(key, fence);
        if (write.Refusal != KeyWriteRefusal.None)
            return Refused(write.Refusal);
        write.Put(value);
        return KeyWriteResult.Ok;
    }

    /// <summary>
    /// Upsert (or, with <paramref name="ifAbsent"/>, store only if absent) of a key that expires
    /// <paramref name="timeToLiveMs"/> from now on this node's clock (native Put with EXPIRES), under the lock rule.
    /// </summary>
    public KeyWriteResult PutExpiring(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long timeToLiveMs, bool ifAbsent, ulong? fence = null)
    {
        using var write = BeginWrite(key, fence);
        if (write.Refusal != KeyWriteRefusal.None)
            return Refused(write.Refusal);
        // Under the key's gate, so no other write lands between the check and the put; an expired key is absent.
        if (ifAbsent && write.TryGet(out _))
            return KeyWriteResult.Exists;
        write.Put(value, write.NowMs() + timeToLiveMs);
        return KeyWriteResult.Ok;
    }

    /// <summary>Stores only if absent (<see cref="KeyWriteResult.Exists"/> otherwise), under the lock rule.</summary>
    public KeyWriteResult PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong? fence = null)
    {
        using var write = BeginWrite(key, fence);
        if (write.Refusal != KeyWriteRefusal.None)
            return Refused(write.Refusal);
        return write.PutIfAbsent(value) ? KeyWriteResult.Ok : KeyWriteResult.Exists;
    }

    /// <summary>Removes a key (<see cref="KeyWriteResult.NotFound"/> when absent), under the lock rule.</summary>
    public KeyWriteResult Delete(ReadOnlySpan<byte> key, ulong? fence = null)
    {
        using var write = BeginWrite(key, fence);
        if (write.Refusal != KeyWriteRefusal.None)
            return Refused(write.Refusal);
        return write.Delete() ? KeyWriteResult.Ok : KeyWriteResult.NotFound;
    }

    private readonly struct RemoveVisitor(LocalKeyspace keyspace, Func<int, bool> removes) : IStoreEntryVisitor
    {
        public void Visit(in StoreEntry entry)
        {
            if (removes(Protocol.KeySlot.Of(entry.Key.Span)))
                keyspace.ApplyReplicated(StreamRecords.KindDelete, entry.Key.Span, default, 0);
        }
    }

    private struct RemoveRangeVisitor(LocalKeyspace keyspace, int first, int last) : IStoreEntryVisitor
    {
        public long Removed;

        public void Visit(in StoreEntry entry)
        {
            var slot = Protocol.KeySlot.Of(entry.Key.Span);
            if (slot < first || slot > last)
                return;
            keyspace.ApplyReplicated(StreamRecords.KindDelete, entry.Key.Span, default, 0);
            Removed++;
        }
    }

    private struct DropHandedAwayVisitor(LocalKeyspace keyspace, SlotMoves moves, int first, int last) : IStoreEntryVisitor
    {
        public long Removed;

        public void Visit(in StoreEntry entry)
        {
            var slot = Protocol.KeySlot.Of(entry.Key.Span);
            if (slot >= first && slot <= last && keyspace.DropIfHandedAway(moves, entry.Key.Span))
                Removed++;
        }
    }

    private struct CountVisitor(int slot) : IStoreEntryVisitor
    {
        public long Count;

        public void Visit(in StoreEntry entry)
        {
            if (Protocol.KeySlot.Of(entry.Key.Span) == slot)
                Count++;
        }
    }

    private static KeyWriteResult Refused(KeyWriteRefusal refusal) => refusal switch
    {
        KeyWriteRefusal.Locked => KeyWriteResult.Locked,
        KeyWriteRefusal.LogUnavailable => KeyWriteResult.LogUnavailable,
        KeyWriteRefusal.Moving => KeyWriteResult.Moving,
        _ => KeyWriteResult.StaleFence,
    };
}
