namespace FastDht.Protocol;

/// <summary>The validated slot ranges of a received ClusterInfo response, read by index without allocating.</summary>
public readonly ref struct SlotRangeList
{
    private readonly ReadOnlySpan<byte> _ranges;

    internal SlotRangeList(ReadOnlySpan<byte> ranges)
    {
        _ranges = ranges;
    }

    /// <summary>Number of ranges.</summary>
    public int Count => _ranges.Length / SlotRange.WireSize;

    public SlotRange this[int index] => SlotRange.ReadFrom(_ranges.Slice(index * SlotRange.WireSize, SlotRange.WireSize));

    /// <summary>Reads u16 count then that many ranges, each with first &lt;= last &lt; 16384.</summary>
    internal static bool TryRead(scoped ref BodyReader reader, out SlotRangeList list)
    {
        list = default;
        int start = reader.Position;
        if (!reader.TryReadCount(0, out int count) || !reader.TryReadBytes(count * SlotRange.WireSize, out ReadOnlySpan<byte> ranges))
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            SlotRange range = SlotRange.ReadFrom(ranges[(i * SlotRange.WireSize)..]);
            int offset = start + sizeof(ushort) + (i * SlotRange.WireSize);
            if (range.LastSlot >= KeySlot.SlotCount)
            {
                return reader.Fail(ProtocolError.OutOfRange(offset + 2, range.LastSlot, KeySlot.SlotCount - 1));
            }

            if (range.FirstSlot > range.LastSlot)
            {
                return reader.Fail(ProtocolError.OutOfRange(offset, range.FirstSlot, range.LastSlot));
            }
        }

        list = new SlotRangeList(ranges);
        return true;
    }
}
