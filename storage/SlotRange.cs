namespace FastDht.Storage;

/// <summary>An inclusive range of hash slots, [<see cref="First"/>, <see cref="Last"/>], that an enumeration is restricted to.</summary>
public readonly record struct SlotRange
{
    /// <summary>Creates the range [<paramref name="first"/>, <paramref name="last"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is outside [0, 16383] or <paramref name="last"/> is below <paramref name="first"/>.</exception>
    public SlotRange(int first, int last)
    {
        if ((uint)first >= StoreOptions.SlotCount || (uint)last >= StoreOptions.SlotCount || last < first)
        {
            Internal.Throw.ArgumentOutOfRange(nameof(first), $"A slot range must satisfy 0 <= first <= last < {StoreOptions.SlotCount}; got [{first}, {last}].");
        }

        First = first;
        Last = last;
    }

    /// <summary>Every slot: [0, 16383].</summary>
    public static SlotRange All => new(0, StoreOptions.SlotCount - 1);

    /// <summary>Lowest slot in the range.</summary>
    public int First { get; }

    /// <summary>Highest slot in the range (inclusive).</summary>
    public int Last { get; }

    /// <summary>Whether the range covers every slot.</summary>
    public bool IsAll => First == 0 && Last == StoreOptions.SlotCount - 1;

    /// <summary>The range holding only <paramref name="slot"/>.</summary>
    public static SlotRange Single(int slot) => new(slot, slot);

    /// <summary>Whether <paramref name="slot"/> lies in the range.</summary>
    public bool Contains(int slot) => (uint)(slot - First) <= (uint)(Last - First);
}
