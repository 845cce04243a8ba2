namespace FastDht.Engine.Keyspace;

/// <summary>
/// Redis's thresholds between a collection's compact encoding and its large one, as CONFIG GET/SET show and change
/// them: what OBJECT ENCODING reports for a collection of a given size. Defaults are Redis 7's.
/// </summary>
/// <remarks>
/// FastDht stores every collection one way (RESP's CollectionCodec), whatever its size; these settings only
/// decide the name OBJECT ENCODING gives it, so that clients and tests that set a threshold and look see what a Redis
/// would report for the same data. The older <c>*-ziplist-*</c> names are aliases, as in Redis 7.
/// </remarks>
internal sealed class CollectionEncodings
{
    /// <summary>Every setting: its name, its alias (or null) and its default.</summary>
    public static readonly (string Name, string? Alias, long Default, long Min)[] Settings =
    [
        ("list-max-listpack-size", "list-max-ziplist-size", -2, long.MinValue),
        ("list-compress-depth", null, 0, 0),
        ("hash-max-listpack-entries", "hash-max-ziplist-entries", 128, 0),
        ("hash-max-listpack-value", "hash-max-ziplist-value", 64, 0),
        ("set-max-intset-entries", null, 512, 0),
        ("set-max-listpack-entries", null, 128, 0),
        ("set-max-listpack-value", null, 64, 0),
        ("zset-max-listpack-entries", "zset-max-ziplist-entries", 128, 0),
        ("zset-max-listpack-value", "zset-max-ziplist-value", 64, 0),
    ];

    private readonly long[] _values = new long[Settings.Length];

    public CollectionEncodings()
    {
        for (var i = 0; i < Settings.Length; i++)
            _values[i] = Settings[i].Default;
    }

    /// <summary>The index of a setting by its name or alias, or -1.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < Settings.Length; i++)
        {
            if (Settings[i].Name == name || Settings[i].Alias == name)
                return i;
        }
        return -1;
    }

    public long this[int index]
    {
        get => Volatile.Read(ref _values[index]);
        set => Volatile.Write(ref _values[index], value);
    }

    /// <summary>
    /// The largest list one listpack holds: a positive size counts elements; a negative one is a byte class
    /// (-1: 4 KiB ... -5: 64 KiB), as Redis's list-max-listpack-size.
    /// </summary>
    public bool ListIsCompact(int count, long bytes)
    {
        var size = this[0];
        return size > 0 ? count <= size : bytes <= (4096L << (int)Math.Min(4, Math.Max(0, -size - 1)));
    }

    public long HashEntries => this[2];

    public long HashValue => this[3];

    public long SetIntsetEntries => this[4];

    public long SetEntries => this[5];

    public long SetValue => this[6];

    public long SortedSetEntries => this[7];

    public long SortedSetValue => this[8];
}
