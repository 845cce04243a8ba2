namespace FastDht.Storage.Internal;

/// <summary>One lock and one published index table: the unit of write concurrency in a <see cref="ShardedStore"/>.</summary>
/// <remarks>
/// Every mutation runs under <see cref="_gate"/>; readers use <see cref="Find"/> with no lock.
/// Counters are plain fields written under the lock and read with Volatile for statistics.
/// </remarks>
internal sealed class Shard
{
    /// <summary>Growth factor of a rehash forced by live keys: after it the table is 0.8 / 1.4 ≈ 57 % full.</summary>
    /// <remarks>
    /// An index slot costs 9 bytes (8 reference + 1 tag), so a key costs 9 / load in index: between
    /// 9 / 0.8 = 11.3 and 9 / 0.571 = 15.8 bytes. With a 64-byte entry (16-byte key and value) that is
    /// 75-80 bytes per key whatever the key count; growing by 2 would let it reach 64 + 9 / 0.4 = 86.
    /// The price is a little more copying: each key is moved 1 / (1 − 1/1.4) = 3.5 times on average, not 2.
    /// </remarks>
    private const double Growth = 1.4;

    /// <summary>Shard object (header 16, four references, three longs, two ints, rounded) plus its Lock object (about 40).</summary>
    private const int ShardObjectBytes = 120;

    private readonly Lock _gate = new();
    private readonly KeyHasher _hasher;
    private readonly int _minCapacity;
    private volatile Table _table;
    private int _count;
    private int _tombstones;
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

    /// <summary>Lock-free lookup: the current table's entry for the key, or null.</summary>
    public byte[]? Find(ReadOnlySpan<byte> key, ulong hash) => _table.Find(key, hash);

    /// <summary>Stores an entry, replacing any entry of the same key; returns the entry it replaced.</summary>
    public byte[]? Upsert(ReadOnlySpan<byte> key, ulong hash, byte[] entry)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, out int insertAt);
            if (slot >= 0)
            {
                byte[] previous = table.Slots[slot]!;
                table.Publish(slot, KeyHasher.Tag(hash), entry);
                AccountReplaced(previous, entry);
                return previous;
            }

            AddNew(table, insertAt, key, hash, entry);
            return null;
        }
    }

    /// <summary>Stores an entry only if its key is absent.</summary>
    public bool Insert(ReadOnlySpan<byte> key, ulong hash, byte[] entry)
    {
        lock (_gate)
        {
            Table table = _table;
            if (table.Locate(key, hash, out int insertAt) >= 0)
            {
                return false;
            }

            AddNew(table, insertAt, key, hash, entry);
            return true;
        }
    }

    /// <summary>Replaces the key's entry only if it is still <paramref name="expected"/> (by reference).</summary>
    public bool Replace(ReadOnlySpan<byte> key, ulong hash, byte[] expected, byte[] entry)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, out _);
            if (slot < 0 || !ReferenceEquals(table.Slots[slot], expected))
            {
                return false;
            }

            table.Publish(slot, KeyHasher.Tag(hash), entry);
            AccountReplaced(expected, entry);
            return true;
        }
    }

    /// <summary>Removes the key's entry; a tombstone keeps the probe chains of later keys intact.</summary>
    public bool Remove(ReadOnlySpan<byte> key, ulong hash)
    {
        lock (_gate)
        {
            Table table = _table;
            int slot = table.Locate(key, hash, out _);
            if (slot < 0)
            {
                return false;
            }

            byte[] previous = table.Slots[slot]!;

            // The tag is left as it was: probes check the tombstone reference before the tag matters.
            Volatile.Write(ref table.Slots[slot], Table.Tombstone);
            _count--;
            _tombstones++;
            _keyBytes -= key.Length;
            _valueBytes -= Entry.Value(previous).Length;
            _entryFootprint -= Entry.FootprintOf(previous.Length);
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
            _keyBytes = 0;
            _valueBytes = 0;
            _entryFootprint = 0;
        }
    }

    /// <summary>Adds this shard's figures to running totals, consistent within the shard (taken under its lock).</summary>
    public void AddStats(ref long keys, ref long keyBytes, ref long valueBytes, ref long estimatedBytes, ref long slots, ref long tombstones)
    {
        lock (_gate)
        {
            keys += _count;
            keyBytes += _keyBytes;
            valueBytes += _valueBytes;
            estimatedBytes += _entryFootprint + _table.Footprint + ShardObjectBytes;
            slots += _table.Capacity;
            tombstones += _tombstones;
        }
    }

    private void AddNew(Table table, int insertAt, ReadOnlySpan<byte> key, ulong hash, byte[] entry)
    {
        if (ReferenceEquals(table.Slots[insertAt], Table.Tombstone))
        {
            // Reusing a tombstone leaves the used-slot count unchanged: no rehash can be due.
            _tombstones--;
            table.Publish(insertAt, KeyHasher.Tag(hash), entry);
        }
        else if (_count + _tombstones + 1 <= table.MaxUsed)
        {
            table.Publish(insertAt, KeyHasher.Tag(hash), entry);
        }
        else
        {
            Rehash(table, _count + 1, hash, entry);
        }

        _count++;
        _keyBytes += key.Length;
        _valueBytes += Entry.Value(entry).Length;
        _entryFootprint += Entry.FootprintOf(entry.Length);
    }

    /// <summary>
    /// Copies live entries (and the new one) into a new table sized for <paramref name="keys"/> live
    /// keys with room to grow, then publishes it. Tombstones are dropped, so a table full of them
    /// rehashes at the same size or smaller instead of growing.
    /// </summary>
    private void Rehash(Table old, int keys, ulong newHash, byte[] newEntry)
    {
        long wanted = (long)Math.Ceiling(keys * Growth / Table.MaxLoad);
        var next = new Table((int)Math.Clamp(wanted, _minCapacity, Array.MaxLength));
        byte[]?[] slots = old.Slots;
        for (int i = 0; i < slots.Length; i++)
        {
            byte[]? entry = slots[i];
            if (entry is not null && !ReferenceEquals(entry, Table.Tombstone))
            {
                next.PlaceUnpublished(_hasher.Hash(Entry.Key(entry)), entry);
            }
        }

        next.PlaceUnpublished(newHash, newEntry);
        _tombstones = 0;

        // Release: the new table's contents are visible to any reader that sees the reference.
        _table = next;
    }

    private void AccountReplaced(byte[] previous, byte[] entry)
    {
        _valueBytes += Entry.Value(entry).Length - Entry.Value(previous).Length;
        _entryFootprint += Entry.FootprintOf(entry.Length) - Entry.FootprintOf(previous.Length);
    }
}
