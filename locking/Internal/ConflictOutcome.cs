namespace FastDht.Locking.Internal;

/// <summary>The strategy's decisions about all conflicts of one request, combined.</summary>
internal enum ConflictOutcome
{
    /// <summary>Nothing conflicts: grant now.</summary>
    None,

    /// <summary>Some conflict aborts the requester.</summary>
    Abort,

    /// <summary>Conflicts only wait.</summary>
    Wait,

    /// <summary>Some conflicts wound; the requester then waits.</summary>
    WoundThenWait,
}
