namespace FastDht.Engine.Keyspace;

/// <summary>Told of every change the keyspace applies to a key, so caches held outside the node can be invalidated (client-side caching).</summary>
/// <remarks>
/// Called under the changed key's write gate, right after the change is applied (and, for a deleted key, after the
/// delete): an implementation must be quick, must not take a key's gate, and must not wait. A change that changes
/// nothing (PutIfAbsent on a present key, a delete of an absent one) is not reported.
/// </remarks>
internal interface IKeyChangeListener
{
    /// <summary>The value, type or expiry of <paramref name="key"/> changed, or the key was removed (deleted, expired, dropped after a slot move).</summary>
    void Changed(ReadOnlySpan<byte> key);

    /// <summary>
    /// The changes reported on this thread until the matching <see cref="EndGroup"/> are one command's or one commit's:
    /// the listener may tell of them together. True when a group was opened (then <see cref="EndGroup"/> must follow).
    /// </summary>
    bool BeginGroup();

    /// <summary>Ends the group <see cref="BeginGroup"/> opened on this thread.</summary>
    void EndGroup();

    /// <summary>Every key was removed at once (FLUSHALL).</summary>
    void Cleared();

    /// <summary>Slots [<paramref name="first"/>, <paramref name="last"/>] were handed to another node: changes to their keys happen there from now on.</summary>
    void SlotsHandedAway(int first, int last);
}
