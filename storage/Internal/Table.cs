using System.Runtime.CompilerServices;

namespace FastDht.Storage.Internal;

/// <summary>One shard's open-addressing index: a slot array of entry references and a parallel array of one-byte tags.</summary>
/// <remarks>
/// Linear probing from the home slot. A slot goes null → entry → (entry)* → tombstone → entry ...
/// and never back to null while the table is published; only a rehash into a new table drops
/// tombstones. That one-way rule is what lets readers probe without a lock (see
/// <see cref="ShardedStore"/>). The tag (8 hash bits) lets a probe skip most foreign entries
/// without loading them: 1 byte per slot instead of a cache miss per slot passed.
/// The home position is monotone in the hash's low 32 bits whatever the capacity, so a range of
/// hashes is a range of positions in every table: the enumeration cursor is a hash, not a position
/// (see <see cref="Shard.Scan"/>).
/// </remarks>
internal sealed class Table
{
    /// <summary>
    /// Highest fraction of slots in use (live or tombstone) before a rehash: 0.8 keeps a failed
    /// probe to about ½(1 + 1/(1 − 0.8)²) = 13 slots (two cache lines of references, one of tags)
    /// while an index slot costs 8 / 0.8 = 10 bytes per key at the fullest.
    /// </summary>
    public const double MaxLoad = 0.8;

    /// <summary>Smallest table: small enough for an empty shard, large enough to always keep a free slot.</summary>
    public const int MinCapacity = 8;

    /// <summary>The table object itself: header 16 + two references 16 + an int 4, rounded to 8.</summary>
    private const int TableObjectBytes = 40;

    /// <summary>Marks a deleted key's slot so that probes for keys further along continue past it.</summary>
    public static readonly byte[] Tombstone = [0xFF];

    public readonly byte[]?[] Slots;
    public readonly byte[] Tags;

    /// <summary>Slots that may be in use (live plus tombstones); at least one slot always stays null, so probes end.</summary>
    public readonly int MaxUsed;

    public Table(int capacity)
    {
        capacity = Math.Max(capacity, MinCapacity);
        Slots = new byte[]?[capacity];
        Tags = new byte[capacity];
        MaxUsed = Math.Min((int)(capacity * MaxLoad), capacity - 1);
    }

    public int Capacity => Slots.Length;

    /// <summary>Capacity that holds <paramref name="keys"/> keys without a rehash.</summary>
    public static int CapacityFor(long keys) => (int)Math.Min(Array.MaxLength, (long)Math.Ceiling((keys + 1) / MaxLoad));

    /// <summary>Home slot: multiply-shift maps 32 hash bits onto [0, capacity) without a division.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Home(ulong hash) => (int)(((ulong)(uint)hash * (ulong)(uint)Slots.Length) >> 32);

    /// <summary>Finds a key's entry without locking; safe while writers change the table (see the store's design notes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte[]? Find(ReadOnlySpan<byte> key, ulong hash, byte tag)
    {
        byte[]?[] slots = Slots;
        byte[] tags = Tags;
        int i = Home(hash);
        while (true)
        {
            // Acquire: a non-null entry seen here comes with its tag and contents, written before its release.
            byte[]? entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                return null;
            }

            if (tags[i] == tag && !ReferenceEquals(entry, Tombstone) && Entry.KeyEquals(entry, key))
            {
                return entry;
            }

            if (++i == slots.Length)
            {
                i = 0;
            }
        }
    }

    /// <summary>
    /// Writer-side probe (the caller holds the shard lock): the key's slot, or -1 with
    /// <paramref name="insertAt"/> set to the first reusable slot (tombstone or the null that ended the probe).
    /// </summary>
    public int Locate(ReadOnlySpan<byte> key, ulong hash, byte tag, out int insertAt)
    {
        byte[]?[] slots = Slots;
        byte[] tags = Tags;
        int i = Home(hash);
        insertAt = -1;
        while (true)
        {
            byte[]? entry = slots[i];
            if (entry is null)
            {
                if (insertAt < 0)
                {
                    insertAt = i;
                }

                return -1;
            }

            if (ReferenceEquals(entry, Tombstone))
            {
                if (insertAt < 0)
                {
                    insertAt = i;
                }
            }
            else if (tags[i] == tag && Entry.KeyEquals(entry, key))
            {
                return i;
            }

            if (++i == slots.Length)
            {
                i = 0;
            }
        }
    }

    /// <summary>Publishes an entry into a slot: tag first, then the reference with release semantics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(int slot, byte tag, byte[] entry)
    {
        Tags[slot] = tag;
        Volatile.Write(ref Slots[slot], entry);
    }

    /// <summary>Places an entry into a table nobody else sees yet (a rehash target): plain writes suffice.</summary>
    public void PlaceUnpublished(ulong hash, byte tag, byte[] entry)
    {
        byte[]?[] slots = Slots;
        int i = Home(hash);
        while (slots[i] is not null)
        {
            if (++i == slots.Length)
            {
                i = 0;
            }
        }

        Tags[i] = tag;
        slots[i] = entry;
    }

    /// <summary>The smallest hash whose home is <paramref name="position"/> or later: ⌈position × 2³² / capacity⌉.</summary>
    public long Boundary(int position) => (long)((((ulong)position << 32) + (ulong)Slots.Length - 1) / (ulong)Slots.Length);

    /// <summary>Managed bytes of this table's two arrays and the table object.</summary>
    public long Footprint =>
        Entry.AlignedArraySize(8L * Slots.Length) + Entry.AlignedArraySize(Tags.Length) + TableObjectBytes;
}
