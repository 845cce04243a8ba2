namespace FastDht.Engine.Keyspace;

/// <summary>Redis's keyspace-notification classes (server.h's NOTIFY_*), with the same bit values and letters.</summary>
internal static class NotifyClass
{
    public const int Keyspace = 1 << 0;  // K
    public const int Keyevent = 1 << 1;  // E
    public const int Generic = 1 << 2;   // g
    public const int String = 1 << 3;    // $
    public const int List = 1 << 4;      // l
    public const int Set = 1 << 5;       // s
    public const int Hash = 1 << 6;      // h
    public const int ZSet = 1 << 7;      // z
    public const int Expired = 1 << 8;   // x
    public const int Evicted = 1 << 9;   // e
    public const int Stream = 1 << 10;   // t
    public const int KeyMiss = 1 << 11;  // m (not in A, as in Redis)
    public const int Module = 1 << 13;   // d
    public const int New = 1 << 14;      // n (not in A, as in Redis)

    /// <summary>A: every class but key misses and new keys.</summary>
    public const int All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module;

    /// <summary>The flags of a <c>notify-keyspace-events</c> value (Redis's keyspaceEventsStringToFlags); false for a letter that names no class.</summary>
    public static bool TryParse(ReadOnlySpan<byte> classes, out int flags)
    {
        flags = 0;
        foreach (var c in classes)
        {
            flags |= c switch
            {
                (byte)'A' => All,
                (byte)'g' => Generic,
                (byte)'$' => String,
                (byte)'l' => List,
                (byte)'s' => Set,
                (byte)'h' => Hash,
                (byte)'z' => ZSet,
                (byte)'x' => Expired,
                (byte)'e' => Evicted,
                (byte)'K' => Keyspace,
                (byte)'E' => Keyevent,
                (byte)'t' => Stream,
                (byte)'m' => KeyMiss,
                (byte)'d' => Module,
                (byte)'n' => New,
                _ => -1,
            };
            if (flags < 0)
                return false;
        }
        return true;
    }

    /// <summary>The value CONFIG GET shows for <paramref name="flags"/> (Redis's keyspaceEventsFlagsToString: "A" for all, then K, E, m).</summary>
    public static string Format(int flags)
    {
        var text = new System.Text.StringBuilder();
        if ((flags & All) == All)
            text.Append('A');
        else
        {
            if ((flags & Generic) != 0) text.Append('g');
            if ((flags & String) != 0) text.Append('$');
            if ((flags & List) != 0) text.Append('l');
            if ((flags & Set) != 0) text.Append('s');
            if ((flags & Hash) != 0) text.Append('h');
            if ((flags & ZSet) != 0) text.Append('z');
            if ((flags & Expired) != 0) text.Append('x');
            if ((flags & Evicted) != 0) text.Append('e');
            if ((flags & Stream) != 0) text.Append('t');
            if ((flags & Module) != 0) text.Append('d');
            if ((flags & New) != 0) text.Append('n');
        }
        if ((flags & Keyspace) != 0) text.Append('K');
        if ((flags & Keyevent) != 0) text.Append('E');
        if ((flags & KeyMiss) != 0) text.Append('m');
        return text.ToString();
    }
}

/// <summary>Where the keyspace's change events go while keyspace notifications are on (<c>notify-keyspace-events</c>).</summary>
/// <remarks>
/// Attached to a <see cref="LocalKeyspace"/> only while some class is on, so a node with notifications off pays one
/// null check per event site. Called on the changing command's thread, sometimes under the key's write gate (a new or
/// expired key): an implementation must be quick, must not take a key's gate, and must not wait.
/// </remarks>
internal interface IKeyspaceEventSink
{
    /// <summary>The classes on (<see cref="NotifyClass"/> flags).</summary>
    int Classes { get; }

    /// <summary>Event <paramref name="name"/> of class <paramref name="type"/> happened to <paramref name="key"/>; dropped here when the class is off.</summary>
    void Emit(int type, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key);
}
