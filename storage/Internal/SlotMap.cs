using System.Runtime.CompilerServices;

namespace FastDht.Storage.Internal;

/// <summary>Where a key lives: its slot, the shard its slot picks, and the one-byte tag its index position carries.</summary>
/// <remarks>
/// <para><b>Shards are chosen by slot</b> (slot mod shard count), so all keys of a slot live in one
/// shard and enumerating or counting a slot reads one shard's table, not the whole store. Slots
/// interleave over shards, so a node that owns any contiguous range of at least ShardCount slots
/// still spreads its keys over every shard (a range-to-shard mapping would leave most shards empty
/// on a node that owns a third, or a hundredth, of the slots).</para>
/// <para><b>The tag</b> is the slot's bits above the shard bits, topped up with hash bits:
/// 14 − log2(shards) slot bits (at most 8), and 8 minus that many bits from hash bits 32-39. With 64
/// shards or more the tag names the slot exactly within its shard, so a slot scan compares tag
/// bytes and loads only the entries of its slot; with fewer, 16384 / shards / 256 slots share a
/// tag. Either way the scan confirms each candidate with the slot function: a position's tag and
/// reference are two reads, and a key that is deleted and replaced between them could pair one
/// slot's tag with another slot's entry; confirming costs one slot computation per key returned. For a probe the tag is as
/// selective as before for keys in different slots (8 bits); keys of one slot (hash tags) share the
/// slot part of it, so among them a probe loads an entry per tag match. Probe chains themselves
/// come from the seeded XXH3 home position, never from the slot, so choosing keys of one slot
/// cannot lengthen them.</para>
/// <para><b>Without a slot function</b> the slot is hash bits 40-53: no extra cost per operation,
/// and the shard and tag bits are the same hash bits as before slots existed. With one (the engine
/// passes Redis Cluster's CRC16), every operation calls it once.</para>
/// </remarks>
internal readonly struct SlotMap
{
    private const int SlotBits = 14;

    private readonly KeySlotFunction? _slotOf;
    private readonly int _shardBits;
    private readonly int _shardMask;
    private readonly int _tagSlotBits;
    private readonly int _tagHashBits;

    public SlotMap(int shardCount, KeySlotFunction? slotOf)
    {
        _slotOf = slotOf;
        _shardBits = System.Numerics.BitOperations.Log2((uint)shardCount);
        _shardMask = shardCount - 1;
        _tagSlotBits = Math.Min(8, SlotBits - _shardBits);
        _tagHashBits = 8 - _tagSlotBits;
    }

    /// <summary>Whether a tag names a slot exactly within its shard (64 shards or more).</summary>
    public bool ExactTags => _tagSlotBits == SlotBits - _shardBits;

    /// <summary>Slots that share one shard: 16384 / shards.</summary>
    public int SlotsPerShard => StoreOptions.SlotCount >> _shardBits;

    /// <summary>The key's slot: the configured function's, or hash bits 40-53.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Slot(ReadOnlySpan<byte> key, ulong hash)
    {
        if (_slotOf is null)
        {
            return (int)(hash >> 40) & (StoreOptions.SlotCount - 1);
        }

        int slot = _slotOf(key);
        if ((uint)slot >= StoreOptions.SlotCount)
        {
            Throw.SlotOutOfRange(slot);
        }

        return slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Shard(int slot) => slot & _shardMask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Tag(int slot, ulong hash) =>
        (byte)(((slot >> _shardBits) << _tagHashBits) | ((int)(hash >> 32) & ((1 << _tagHashBits) - 1)));

    /// <summary>The tag filter for the slots of <paramref name="range"/> that live in shard <paramref name="shard"/>, or false if none do.</summary>
    public bool TryFilter(SlotRange range, int shard, out TagFilter filter)
    {
        // Slots of this shard are shard + k × shards; k runs over [kFirst, kLast] inside the range.
        int shards = _shardMask + 1;
        int kFirst = (range.First - shard + shards - 1) >> _shardBits;
        if (range.First <= shard)
        {
            kFirst = 0;
        }

        int kLast = range.Last < shard ? -1 : (range.Last - shard) >> _shardBits;
        if (kLast < kFirst)
        {
            filter = default;
            return false;
        }

        int kCount = kLast - kFirst + 1;
        bool wholeShard = kCount == SlotsPerShard;
        int tagValues = 1 << _tagSlotBits;
        filter = kCount >= tagValues
            ? new TagFilter(0, tagValues - 1, _tagHashBits, tagValues - 1, confirm: !wholeShard)
            : new TagFilter(kFirst & (tagValues - 1), kCount - 1, _tagHashBits, tagValues - 1, confirm: true);
        return true;
    }
}
