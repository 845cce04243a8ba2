namespace FastDht.Storage.Internal;

/// <summary>One lock and one published index table: the unit of write concurrency in a <see cref="ShardedStore"/>.</summary>
/// <remarks>
/// Every mutation runs under <see cref="_gate"/>; readers (<see cref="Find"/>, <see cref="Scan"/>,
/// <see cref="CountSlot"/>) use no lock. Counters are plain fields written under the lock and read
/// with Volatile for statistics. Callers pass each key's hash and tag (see <see cref="SlotMap"/>).
/// </remarks>
internal sealed class Shard
{
    /// <summary>What <see cref="Scan"/> returns when it has passed the shard's last position.</summary>
    public const long Finished = 1L << 32;

    /// <summary>Growth factor of a rehash forced by live keys: after it the table is 0.8 / 1.4 ≈ 57 % full.</summary>
    /// <remarks>
    /// An index slot costs 9 bytes (8 reference + 1 tag), so a key costs 9 / load in index: between
    /// 9 / 0.8 = 11.3 and 9 / 0.571 = 15.8 bytes. With a 64-byte entry (16-byte key and value) that is
    /// 75-80 bytes per key whatever the key count; growing by 2 would let it reach 64 + 9 / 0.4 = 86.
    /// The price is a little more copying: each key is moved 1 / (1 − 1/1.4) = 3.5 times on average, not 2.
    /// </remarks>
    private const double Growth = 1.4;

    /// <summary>Shard object (header 16, four references, three longs, three ints, rounded) plus its Lock object (about 40).</summary>
    private const int ShardObjectBytes = 120;

    private readonly Lock _gate = new();
    private readonly KeyHasher _hasher;
    private readonly int _minCapacity;
    private volatile Table _table;
    private int _count;
    private int _tombstones;
    private int _expiring;
    private long _keyBytes;
    private long _valueBytes;
    private long _entryFootprint;

    public Shard(KeyHasher hasher, int initialKeys)
    {
        _hasher = hasher;
        _minCapacity = Table.CapacityFor(initialKeys);
        _table = new Table(_minCapacity);
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Live keys whose entry carries an expiry time.</summary>
    public int Expiring => Volatile.Read(ref _expiring);

    /// <summary>Lock-free lookup: the current table's entry for the key, or null.</summary>
    public byte[]? Find(ReadOnlySpan<byte> key, ulong hash, byte tag) => _table.Find(key, hash, tag);

    /// <summary>The published table, for a lock-free prefetch (<see cref="ShardedStore.Prefetch"/>).</summary>
    public Table Table => _table;

    /// <summary>Stores an entry, replacing any entry of the same key; returns the entry it replaced.</summary>
    public byte[]? Upsert(ReadOnlySpan<byte> key, ulong hash, byte tag, byte[] entry)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, tag, out int insertAt);
            if (slot >= 0)
            {
                byte[] previous = table.Slots[slot]!;
                table.Publish(slot, tag, entry);
                AccountReplaced(previous, entry);
                return previous;
            }

            AddNew(table, insertAt, key, hash, tag, entry);
            return null;
        }
    }

    /// <summary>
    /// Upsert whose new entry keeps the metadata of the entry it replaces (none if the key is absent).
    /// <paramref name="prepared"/> was built outside the lock with <paramref name="preparedMetadata"/>,
    /// the metadata the caller saw; only if that changed meanwhile is the entry rebuilt here.
    /// </summary>
    public byte[]? UpsertKeepingMetadata(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong hash, byte tag, byte[] prepared, EntryMetadata preparedMetadata)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, tag, out int insertAt);
            byte[]? previous = slot >= 0 ? table.Slots[slot] : null;
            EntryMetadata kept = previous is null ? default : Entry.Metadata(previous);
            byte[] entry = kept == preparedMetadata ? prepared : Entry.Create(key, value, kept);
            if (previous is not null)
            {
                table.Publish(slot, tag, entry);
                AccountReplaced(previous, entry);
                return previous;
            }

            AddNew(table, insertAt, key, hash, tag, entry);
            return null;
        }
    }

    /// <summary>Stores an entry only if its key is absent.</summary>
    public bool Insert(ReadOnlySpan<byte> key, ulong hash, byte tag, byte[] entry)
    {
        lock (_gate)
        {
            Table table = _table;
            if (table.Locate(key, hash, tag, out int insertAt) >= 0)
            {
                return false;
            }

            AddNew(table, insertAt, key, hash, tag, entry);
            return true;
        }
    }

    /// <summary>Replaces the key's entry only if it is still <paramref name="expected"/> (by reference).</summary>
    public bool Replace(ReadOnlySpan<byte> key, ulong hash, byte tag, byte[] expected, byte[] entry)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, tag, out _);
            if (slot < 0 || !ReferenceEquals(table.Slots[slot], expected))
            {
                return false;
            }

            table.Publish(slot, tag, entry);
            AccountReplaced(expected, entry);
            return true;
        }
    }

    /// <summary>
    /// Removes the key's entry, only if it is still <paramref name="expected"/> when that is given;
    /// a tombstone keeps the probe chains of later keys intact.
    /// </summary>
    public bool Remove(ReadOnlySpan<byte> key, ulong hash, byte tag, byte[]? expected)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, tag, out _);
            if (slot < 0)
            {
                return false;
            }

            byte[] previous = table.Slots[slot]!;
            if (expected is not null && !ReferenceEquals(previous, expected))
            {
                return false;
            }

            // The tag is left as it was: probes check the tombstone reference before the tag matters.
            Volatile.Write(ref table.Slots[slot], Table.Tombstone);
            _count--;
            _tombstones++;
            _keyBytes -= key.Length;
            _valueBytes -= Entry.Value(previous).Length;
            _entryFootprint -= Entry.FootprintOf(previous.Length);
            if (Entry.HasExpiry(previous))
            {
                _expiring--;
            }

            return true;
        }
    }

    /// <summary>Drops every entry by publishing a fresh table; readers holding the old one finish on it.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _table = new Table(_minCapacity);
            _count = 0;
            _tombstones = 0;
            _expiring = 0;
            _keyBytes = 0;
            _valueBytes = 0;
            _entryFootprint = 0;
        }
    }

    /// <summary>
    /// Visits, without locking, the live entries whose hash's low 32 bits are at least
    /// <paramref name="from"/>, in hash order of their home positions, and returns the hash up to
    /// which every entry has been visited (exclusive), or <see cref="Finished"/>.
    /// </summary>
    /// <remarks>
    /// <para>A table position's home hashes form a range, and the home is monotone in the hash, so a
    /// batch starts at the home of <paramref name="from"/> and visits an entry only if its hash is at
    /// least <paramref name="from"/> and its home is not after its position (an entry whose home is
    /// after its position has wrapped around the end of the table, and is visited by the final pass
    /// over the start of the table). It stops only at a null position z after enough entries (or
    /// positions) and returns the smallest hash whose home is z. Why that is exact: an entry sits in
    /// the run of non-null positions that starts at or before its home, and a null ends every run,
    /// so every entry whose home is before z sits before z, and no entry before z has its home at
    /// or after z.</para>
    /// <para>Why a key present throughout is visited, concurrent writes and resizes included: the
    /// batch whose hash range contains the key's hash reads one table, current when the batch
    /// began; the key was in it then, at a position p reached from its home through non-null
    /// positions only. Positions never return to null while a table is published, and a replaced
    /// table is never written again, so the null z where the batch stops was null then too, hence
    /// p lies before z and the batch reads it (an overwrite replaces the reference in place, so it
    /// reads some value of the key). The cursor is a hash, not a position, so the next batch may use
    /// a table of another size. Such a key is visited exactly once: the batches' hash ranges are
    /// disjoint, and within a batch its position is read once. A key deleted and re-added during a
    /// batch can be seen twice (its old position reused by another key, it is re-added further on).</para>
    /// </remarks>
    public long Scan<TVisitor>(long from, in ScanScope scope, in SlotMap map, ref int wanted, ref int budget, ref TVisitor visitor)
        where TVisitor : IStoreEntryVisitor, allows ref struct
    {
        if (scope.OnlyWithExpiry && Expiring == 0)
        {
            return Finished;
        }

        Table table = _table;
        byte[]?[] slots = table.Slots;
        byte[] tags = table.Tags;
        int start = table.Home((ulong)from);
        for (int i = start; i < slots.Length; i++)
        {
            budget--;
            byte[]? entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                // Stopping at the start position would return a hash at or below from: no progress.
                if (i > start && (wanted <= 0 || budget <= 0))
                {
                    return table.Boundary(i);
                }

                continue;
            }

            if (ReferenceEquals(entry, Table.Tombstone) || (scope.Filtered && !scope.Filter.Matches(tags[i])))
            {
                continue;
            }

            ulong hash = _hasher.Hash(Entry.Key(entry));
            if ((uint)hash >= from && table.Home(hash) <= i)
            {
                Visit(entry, hash, scope, map, ref wanted, ref visitor);
            }
        }

        // The run that ends the table continues at position 0: visit the entries that wrapped there.
        for (int i = 0; i < slots.Length; i++)
        {
            budget--;
            byte[]? entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                break;
            }

            if (ReferenceEquals(entry, Table.Tombstone) || (scope.Filtered && !scope.Filter.Matches(tags[i])))
            {
                continue;
            }

            ulong hash = _hasher.Hash(Entry.Key(entry));
            if ((uint)hash >= from && table.Home(hash) > i)
            {
                Visit(entry, hash, scope, map, ref wanted, ref visitor);
            }
        }

        return Finished;
    }

    /// <summary>Counts the keys of one slot by reading the current table's tags, loading only candidates.</summary>
    public int CountSlot(int slot, in TagFilter filter, in SlotMap map)
    {
        Table table = _table;
        byte[]?[] slots = table.Slots;
        byte[] tags = table.Tags;
        int count = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            byte[]? entry = Volatile.Read(ref slots[i]);
            if (entry is not null && !ReferenceEquals(entry, Table.Tombstone) && filter.Matches(tags[i]))
            {
                ReadOnlySpan<byte> key = Entry.Key(entry);
                if (map.Slot(key, _hasher.Hash(key)) == slot)
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Adds this shard's figures to running totals, consistent within the shard (taken under its lock).</summary>
    public void AddStats(ref StatsTotals totals)
    {
        lock (_gate)
        {
            totals.Keys += _count;
            totals.KeyBytes += _keyBytes;
            totals.ValueBytes += _valueBytes;
            totals.EstimatedBytes += _entryFootprint + _table.Footprint + ShardObjectBytes;
            totals.Slots += _table.Capacity;
            totals.Tombstones += _tombstones;
            totals.Expiring += _expiring;
        }
    }

    private static void Visit<TVisitor>(byte[] entry, ulong hash, in ScanScope scope, in SlotMap map, ref int wanted, ref TVisitor visitor)
        where TVisitor : IStoreEntryVisitor, allows ref struct
    {
        if (scope.OnlyWithExpiry && !Entry.HasExpiry(entry))
        {
            return;
        }

        int slot = map.Slot(Entry.Key(entry), hash);
        if (scope.Filtered && scope.Filter.Confirm && !scope.Range.Contains(slot))
        {
            return;
        }

        wanted--;
        visitor.Visit(new StoreEntry(Entry.KeyMemory(entry), Entry.Value(entry), Entry.Metadata(entry), slot));
    }

    private void AddNew(Table table, int insertAt, ReadOnlySpan<byte> key, ulong hash, byte tag, byte[] entry)
    {
        if (ReferenceEquals(table.Slots[insertAt], Table.Tombstone))
        {
            // Reusing a tombstone leaves the used-slot count unchanged: no rehash can be due.
            _tombstones--;
            table.Publish(insertAt, tag, entry);
        }
        else if (_count + _tombstones + 1 <= table.MaxUsed)
        {
            table.Publish(insertAt, tag, entry);
        }
        else
        {
            Rehash(table, _count + 1, hash, tag, entry);
        }

        _count++;
        _keyBytes += key.Length;
        _valueBytes += Entry.Value(entry).Length;
        _entryFootprint += Entry.FootprintOf(entry.Length);
        if (Entry.HasExpiry(entry))
        {
            _expiring++;
        }
    }

    /// <summary>
    /// Copies live entries (and the new one) into a new table sized for <paramref name="keys"/> live
    /// keys with room to grow, then publishes it. Tombstones are dropped, so a table full of them
    /// rehashes at the same size or smaller instead of growing. Tags move with their entries: a tag
    /// depends on the key alone, not on the table.
    /// </summary>
    private void Rehash(Table old, int keys, ulong newHash, byte newTag, byte[] newEntry)
    {
        long wanted = (long)Math.Ceiling(keys * Growth / Table.MaxLoad);
        var next = CopyLive(old, new Table((int)Math.Clamp(wanted, _minCapacity, Array.MaxLength)));
        next.PlaceUnpublished(newHash, newTag, newEntry);
        _tombstones = 0;

        // Release: the new table's contents are visible to any reader that sees the reference.
        _table = next;
    }

    /// <summary>
    /// Grows the table, if need be, so that <paramref name="keys"/> keys fit without a rehash (a bulk load about to
    /// add that many). Never shrinks it.
    /// </summary>
    public void EnsureCapacity(int keys)
    {
        lock (_gate)
        {
            Table table = _table;
            if (keys + _tombstones <= table.MaxUsed)
            {
                return;
            }

            _table = CopyLive(table, new Table(Table.CapacityFor(Math.Max(keys, _count))));
            _tombstones = 0;
        }
    }

    /// <summary>Places the live entries of <paramref name="old"/> into <paramref name="next"/>, which nobody sees yet; returns it.</summary>
    private Table CopyLive(Table old, Table next)
    {
        byte[]?[] slots = old.Slots;
        byte[] tags = old.Tags;
        for (int i = 0; i < slots.Length; i++)
        {
            byte[]? entry = slots[i];
            if (entry is not null && !ReferenceEquals(entry, Table.Tombstone))
            {
                next.PlaceUnpublished(_hasher.Hash(Entry.Key(entry)), tags[i], entry);
            }
        }

        return next;
    }

    private void AccountReplaced(byte[] previous, byte[] entry)
    {
        _valueBytes += Entry.Value(entry).Length - Entry.Value(previous).Length;
        _entryFootprint += Entry.FootprintOf(entry.Length) - Entry.FootprintOf(previous.Length);
        _expiring += (Entry.HasExpiry(entry) ? 1 : 0) - (Entry.HasExpiry(previous) ? 1 : 0);
    }
}
