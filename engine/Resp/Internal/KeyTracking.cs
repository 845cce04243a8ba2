using FastDht.Engine.Keyspace;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Client-side caching's server half at one node (CLIENT TRACKING): which connections read which keys, which key
/// prefixes broadcasting connections follow, and the invalidation each change of a key sends them.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: every change of a key a connection read here, by any path (RESP, native, transactions, scripts,
/// replication, expiry, a slot's drop), reaches that connection as an invalidation, and never before the reply that
/// carried the value it invalidates; a node without tracking clients pays one null check per write; the table is
/// bounded.
/// </para>
/// <para>
/// Design: as Redis's tracking.c. A read-only command of a tracking connection adds the connection's id to each of its
/// keys here <em>before</em> it reads (RespSession.Tracking.cs): a change applied before the registration is seen by
/// the read, one applied after finds the id. A change (<see cref="IKeyChangeListener.Changed"/>, called under the
/// key's write gate by <see cref="KeyWrite"/>) removes the key's entry and queues an invalidation to each id still
/// tracking; the invalidation goes into the reader's ordered reply queue, behind every reply already computed, so it
/// cannot overtake the value it invalidates. Closed connections are dropped lazily, when a key they read changes.
/// Keys are spread over <see cref="StripeCount"/> independently locked tables; broadcasting prefixes are a
/// copy-on-write array (they change only with CLIENT TRACKING).
/// </para>
/// <para>
/// Memory bound: at most <see cref="MaxKeys"/> keys (Redis's tracking-table-max-keys, 1,000,000 by default; 0: no
/// bound). Adding a key past it evicts others of its stripe, each invalidated for its readers as if it had changed, as
/// Redis does. A key costs its bytes plus about 100 (its array, the dictionary entry, the readers' array).
/// </para>
/// </remarks>
internal sealed class KeyTracking : IKeyChangeListener
{
    // 16: enough that two cores rarely meet on one lock; a table of 16 dictionaries costs nothing when empty.
    private const int StripeCount = 16;

    // Evictions one registration may do: a lowered bound is reached over a few registrations instead of in one long pause.
    private const int MaxEvictionsPerAdd = 64;

    [ThreadStatic]
    private static RespSession? t_writer;

    // The broadcast invalidations of the command (or commit) running on this thread, sent when it ends.
    [ThreadStatic]
    private static ChangeGroup? t_group;

    private readonly RespServer _server;
    private readonly Stripe[] _stripes = new Stripe[StripeCount];
    private readonly Lock _prefixSync = new();
    private BroadcastPrefix[] _prefixes = [];
    private long _keyCount;
    private long _maxKeys = 1_000_000;
    private long _totalItems;

    public KeyTracking(RespServer server)
    {
        _server = server;
        for (var i = 0; i < _stripes.Length; i++)
            _stripes[i] = new Stripe();
    }

    /// <summary>Redis's tracking-table-max-keys: the most keys the table remembers; 0 sets no bound. Defaults to 1,000,000.</summary>
    public long MaxKeys
    {
        get => Volatile.Read(ref _maxKeys);
        set => Volatile.Write(ref _maxKeys, value);
    }

    /// <summary>Keys remembered now (INFO's tracking_total_keys).</summary>
    public long KeyCount => Volatile.Read(ref _keyCount);

    /// <summary>Key-reader pairs remembered now (INFO's tracking_total_items).</summary>
    public long ItemCount => Volatile.Read(ref _totalItems);

    /// <summary>Prefixes broadcasting connections follow (INFO's tracking_total_prefixes).</summary>
    public int PrefixCount => Volatile.Read(ref _prefixes).Length;

    /// <summary>
    /// The connection whose command runs on this thread now, set around a command's local run: a NOLOOP connection is
    /// not told of its own changes. Changes applied elsewhere (a forwarded write, a transaction's commit on a link's
    /// thread) have no writer, and reach every reader.
    /// </summary>
    public static RespSession? Writer
    {
        get => t_writer;
        set => t_writer = value;
    }

    /// <summary>Remembers that connection <paramref name="clientId"/> read <paramref name="key"/> (call before reading it).</summary>
    public void Remember(ReadOnlySpan<byte> key, long clientId)
    {
        var stripe = StripeOf(key);
        bool added;
        lock (stripe.Sync)
        {
            var lookup = stripe.Keys.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(key, out var readers))
            {
                if (!readers.Add(clientId))
                    return;
                added = false;
            }
            else
            {
                lookup[key] = new Readers(clientId);
                added = true;
            }
        }
        Interlocked.Increment(ref _totalItems);
        if (!added)
            return;
        var count = Interlocked.Increment(ref _keyCount);
        var max = MaxKeys;
        if (max > 0 && count > max)
            Evict(key, (int)Math.Min(count - max, MaxEvictionsPerAdd));
    }

    /// <summary>Whether some connection follows a prefix or some key is remembered: a change of a key is looked up only then.</summary>
    private bool IsIdle => Volatile.Read(ref _keyCount) == 0 && Volatile.Read(ref _prefixes).Length == 0;

    public void Changed(ReadOnlySpan<byte> key)
    {
        // The change is in the store; a full fence before reading the table's state, so that this read cannot be done
        // before the change is visible (store-load reordering): a reader that registers (a locked add and an interlocked
        // count, then its read) either is seen here or sees the change. One fence per write, only once tracking was used.
        Interlocked.MemoryBarrier();
        if (IsIdle)
            return;
        var writer = t_writer;
        foreach (var prefix in Volatile.Read(ref _prefixes))
        {
            if (!key.StartsWith(prefix.Bytes))
                continue;
            var group = t_group;
            foreach (var session in prefix.Clients)
            {
                if (!session.WantsBroadcast(writer))
                    continue;
                if (group is { Depth: > 0 })
                    group.Add(session, prefix.Bytes, key);
                else
                    session.SendInvalidation(key);
            }
        }
        var stripe = StripeOf(key);
        Readers? readers;
        lock (stripe.Sync)
        {
            var lookup = stripe.Keys.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.Remove(key, out _, out readers))
                return;
        }
        Interlocked.Decrement(ref _keyCount);
        Interlocked.Add(ref _totalItems, -readers.Count);
        Send(readers, key, writer);
    }

    /// <summary>
    /// Opens a group on this thread when some connection broadcasts (BCAST): its prefixes' changes are gathered until
    /// <see cref="EndGroup"/>, then sent as one message per connection and prefix, each key once, as Redis sends the
    /// keys gathered for a prefix. Without broadcasting connections: false, nothing to gather (per-key invalidations
    /// are one message per key, as in Redis).
    /// </summary>
    public bool BeginGroup()
    {
        if (Volatile.Read(ref _prefixes).Length == 0)
            return false;
        (t_group ??= new ChangeGroup()).Depth++;
        return true;
    }

    public void EndGroup()
    {
        var group = t_group;
        if (group is null || --group.Depth > 0)
            return;
        group.Send();
    }

    /// <summary>FLUSHALL: every tracking connection is told that all its keys are invalid (a null invalidation), and the table is emptied.</summary>
    public void Cleared()
    {
        foreach (var session in _server.Clients)
            session.InvalidateAll();
        foreach (var stripe in _stripes)
        {
            lock (stripe.Sync)
            {
                Interlocked.Add(ref _keyCount, -stripe.Keys.Count);
                foreach (var readers in stripe.Keys.Values)
                    Interlocked.Add(ref _totalItems, -readers.Count);
                stripe.Keys.Clear();
            }
        }
    }

    /// <summary>
    /// A slot range left this node: its keys change at their new owner from now on, where nobody registered them, so
    /// every remembered key of the range is invalidated now, and broadcasting connections (which cannot say which keys
    /// they hold) get a null invalidation.
    /// </summary>
    public void SlotsHandedAway(int first, int last)
    {
        // Sharded pub/sub lives at the slot's owner: the channels of a slot that left end here, as in Redis.
        if (_server.PubSub.HasShardChannels)
        {
            foreach (var (channel, sessions) in _server.PubSub.ShardChannelsIn(first, last))
            {
                foreach (var session in sessions)
                    session.EndShardSubscription(channel);
            }
        }
        if (IsIdle)
            return;
        var gone = new List<(byte[] Key, Readers Readers)>();
        foreach (var stripe in _stripes)
        {
            var start = gone.Count;
            lock (stripe.Sync)
            {
                foreach (var (key, readers) in stripe.Keys)
                {
                    var slot = Protocol.KeySlot.Of(key);
                    if (slot >= first && slot <= last)
                        gone.Add((key, readers));
                }
                for (var i = start; i < gone.Count; i++)
                    stripe.Keys.Remove(gone[i].Key);
            }
        }
        Forget(gone);
        foreach (var prefix in Volatile.Read(ref _prefixes))
        {
            foreach (var session in prefix.Clients)
                session.InvalidateAll();
        }
    }

    /// <summary>Starts broadcasting changes of keys that begin with <paramref name="prefix"/> to <paramref name="session"/>.</summary>
    public void Follow(RespSession session, byte[] prefix)
    {
        lock (_prefixSync)
        {
            var prefixes = _prefixes;
            for (var i = 0; i < prefixes.Length; i++)
            {
                if (prefixes[i].Bytes.AsSpan().SequenceEqual(prefix))
                {
                    if (Array.IndexOf(prefixes[i].Clients, session) >= 0)
                        return;
                    var copy = (BroadcastPrefix[])prefixes.Clone();
                    copy[i] = new BroadcastPrefix(prefixes[i].Bytes, [.. prefixes[i].Clients, session]);
                    Volatile.Write(ref _prefixes, copy);
                    return;
                }
            }
            Volatile.Write(ref _prefixes, [.. prefixes, new BroadcastPrefix(prefix, [session])]);
        }
    }

    /// <summary>Stops every broadcast to <paramref name="session"/> (tracking off, RESET, the connection closed).</summary>
    public void Unfollow(RespSession session)
    {
        lock (_prefixSync)
        {
            var kept = new List<BroadcastPrefix>(_prefixes.Length);
            foreach (var prefix in _prefixes)
            {
                if (Array.IndexOf(prefix.Clients, session) < 0)
                {
                    kept.Add(prefix);
                    continue;
                }
                var clients = new List<RespSession>(prefix.Clients);
                clients.Remove(session);
                if (clients.Count > 0)
                    kept.Add(new BroadcastPrefix(prefix.Bytes, [.. clients]));
            }
            Volatile.Write(ref _prefixes, [.. kept]);
        }
    }

    private void Send(Readers readers, ReadOnlySpan<byte> key, RespSession? writer)
    {
        for (var i = 0; i < readers.Count; i++)
            _server.FindClient(readers.Ids[i])?.InvalidateRead(key, writer);
    }

    /// <summary>
    /// Removes up to <paramref name="count"/> keys other than <paramref name="keep"/>, from its own stripe first and then
    /// the next ones (a stripe may hold nothing else), invalidating each for its readers.
    /// </summary>
    private void Evict(ReadOnlySpan<byte> keep, int count)
    {
        var evicted = new List<(byte[] Key, Readers Readers)>(count);
        var first = (int)((uint)KeyComparer.Hash(keep) % StripeCount);
        for (var i = 0; i < StripeCount && evicted.Count < count; i++)
        {
            var stripe = _stripes[(first + i) % StripeCount];
            var start = evicted.Count;
            lock (stripe.Sync)
            {
                foreach (var (key, readers) in stripe.Keys)
                {
                    if (evicted.Count == count)
                        break;
                    if (!key.AsSpan().SequenceEqual(keep))
                        evicted.Add((key, readers));
                }
                for (var e = start; e < evicted.Count; e++)
                    stripe.Keys.Remove(evicted[e].Key);
            }
        }
        Forget(evicted);
    }

    /// <summary>Counts keys just taken out of the table as gone, and invalidates each for its readers (a slot moved away, an eviction).</summary>
    private void Forget(List<(byte[] Key, Readers Readers)> removed)
    {
        foreach (var (key, readers) in removed)
        {
            Interlocked.Decrement(ref _keyCount);
            Interlocked.Add(ref _totalItems, -readers.Count);
            Send(readers, key, writer: null);
        }
    }

    private Stripe StripeOf(ReadOnlySpan<byte> key) => _stripes[(uint)KeyComparer.Hash(key) % StripeCount];

    /// <summary>One lock and the keys it guards.</summary>
    private sealed class Stripe
    {
        public readonly Lock Sync = new();
        public readonly Dictionary<byte[], Readers> Keys = new(KeyComparer.Instance);
    }

    /// <summary>The ids of the connections that read one key; usually one or two, so a plain array searched in order.</summary>
    private sealed class Readers(long first)
    {
        public long[] Ids = [first, 0];
        public int Count = 1;

        /// <summary>Adds <paramref name="id"/>; false when it was there already.</summary>
        public bool Add(long id)
        {
            if (Array.IndexOf(Ids, id, 0, Count) >= 0)
                return false;
            if (Count == Ids.Length)
                Array.Resize(ref Ids, Ids.Length * 2);
            Ids[Count++] = id;
            return true;
        }
    }

    /// <summary>The broadcast invalidations a thread gathers while a command or commit runs, by connection and prefix.</summary>
    /// <remarks>
    /// Looked up by hash, not searched: one command may change many keys (an MSET of thousands) for many broadcasting
    /// connections, and a linear search per key and connection would make such a command quadratic.
    /// </remarks>
    private sealed class ChangeGroup
    {
        // Pending messages in the order their first key changed; the dictionary finds one by connection and prefix
        // (both compared by reference: a prefix is the array the connection follows).
        private readonly List<Pending> _pending = [];
        private readonly Dictionary<(RespSession Session, byte[] Prefix), Pending> _byTarget = new();

        /// <summary>How many groups are open on the thread (a command inside a commit nests).</summary>
        public int Depth;

        public void Add(RespSession session, byte[] prefix, ReadOnlySpan<byte> key)
        {
            if (!_byTarget.TryGetValue((session, prefix), out var found))
            {
                found = new Pending(session);
                _byTarget.Add((session, prefix), found);
                _pending.Add(found);
            }
            found.Add(key);
        }

        public void Send()
        {
            // Cleared first: a failing send must not leave keys to be sent again with the next command's.
            var pending = _pending.ToArray();
            _pending.Clear();
            _byTarget.Clear();
            foreach (var p in pending)
                p.Session.SendInvalidations(p.Keys);
        }
    }

    /// <summary>The keys one connection is to hear of for one prefix, each once, in the order they first changed.</summary>
    private sealed class Pending(RespSession session)
    {
        private readonly HashSet<byte[]> _seen = new(KeyComparer.Instance);

        public RespSession Session { get; } = session;

        public List<byte[]> Keys { get; } = [];

        /// <summary>Adds <paramref name="key"/> unless it is there already (a command may change a key twice: MSET a 1 a 2).</summary>
        public void Add(ReadOnlySpan<byte> key)
        {
            if (_seen.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key))
                return;
            var copy = key.ToArray();
            _seen.Add(copy);
            Keys.Add(copy);
        }
    }

    /// <summary>A prefix and the broadcasting connections that follow it (immutable: replaced whole on change).</summary>
    private sealed record BroadcastPrefix(byte[] Bytes, RespSession[] Clients);

    /// <summary>Compares byte-array keys by content, and lets the table be probed with a span (no copy).</summary>
    private sealed class KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly KeyComparer Instance = new();

        // HashCode.AddBytes is seeded per process, so a client cannot choose keys that collide on purpose.
        public static int Hash(ReadOnlySpan<byte> key)
        {
            var hash = new HashCode();
            hash.AddBytes(key);
            return hash.ToHashCode();
        }

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
