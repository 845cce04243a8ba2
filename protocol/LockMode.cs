namespace FastDht.Protocol;

/// <summary>The mode of a lock request on the wire.</summary>
public enum LockMode : byte
{
    /// <summary>Compatible with other shared holders.</summary>
    Shared = 0,

    /// <summary>Compatible with no other holder.</summary>
    Exclusive = 1,
}
