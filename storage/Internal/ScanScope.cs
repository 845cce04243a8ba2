namespace FastDht.Storage.Internal;

/// <summary>What one shard's scan visits: the slots wanted (with their tag filter in this shard) and whether only entries with an expiry.</summary>
internal readonly struct ScanScope
{
    public ScanScope(SlotRange range, bool filtered, TagFilter filter, bool onlyWithExpiry)
    {
        Range = range;
        Filtered = filtered;
        Filter = filter;
        OnlyWithExpiry = onlyWithExpiry;
    }

    public SlotRange Range { get; }

    /// <summary>False when the range holds every slot of the shard: no tag is compared and no slot confirmed.</summary>
    public bool Filtered { get; }

    public TagFilter Filter { get; }

    public bool OnlyWithExpiry { get; }
}
