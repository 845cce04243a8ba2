using System.Buffers;
using FastDht.Engine.Keyspace;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Keyspace notifications (Redis's notify-keyspace-events): publishes each keyspace event on
/// <c>__keyspace@0__:key</c> (the event as message) and <c>__keyevent@0__:event</c> (the key) to this node's subscribers.
/// </summary>
/// <remarks>
/// Local, as in Redis Cluster: an event reaches the subscribers of the node where the key lives (where the change was
/// applied), never the other members; PUBLISH's broadcast is not used. Attached to the node's keyspace only while a
/// class is on (<see cref="Classes"/> not 0), so that with notifications off (the default) an event site costs one
/// null check. The channel is built in a pooled buffer; delivery is <see cref="PubSubChannels.Deliver"/>, which only
/// queues to the subscribers and never waits, so it may run under a key's write gate.
/// </remarks>
internal sealed class KeyspaceNotifier : IKeyspaceEventSink
{
    private static ReadOnlySpan<byte> KeyspacePrefix => "__keyspace@0__:"u8;
    private static ReadOnlySpan<byte> KeyeventPrefix => "__keyevent@0__:"u8;

    private readonly PubSubChannels _pubSub;
    private int _classes;

    public KeyspaceNotifier(PubSubChannels pubSub) => _pubSub = pubSub;

    /// <inheritdoc/>
    public int Classes => Volatile.Read(ref _classes);

    /// <summary>Sets the classes on (CONFIG SET notify-keyspace-events, the node's option) and attaches to or detaches from <paramref name="keyspace"/>.</summary>
    public void Configure(int classes, LocalKeyspace keyspace)
    {
        Volatile.Write(ref _classes, classes);
        // Without K or E nothing can be published, whatever the type classes (Redis also sends nothing then).
        keyspace.AttachEvents((classes & (NotifyClass.Keyspace | NotifyClass.Keyevent)) != 0 && (classes & ~(NotifyClass.Keyspace | NotifyClass.Keyevent)) != 0 ? this : null);
    }

    /// <inheritdoc/>
    public void Emit(int type, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
    {
        var classes = Volatile.Read(ref _classes);
        if ((classes & type) == 0)
            return;
        var length = Math.Max(key.Length, name.Length) + KeyspacePrefix.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if ((classes & NotifyClass.Keyspace) != 0)
            {
                KeyspacePrefix.CopyTo(rented);
                key.CopyTo(rented.AsSpan(KeyspacePrefix.Length));
                _pubSub.Deliver(rented.AsSpan(0, KeyspacePrefix.Length + key.Length), name, null, null);
            }
            if ((classes & NotifyClass.Keyevent) != 0)
            {
                KeyeventPrefix.CopyTo(rented);
                name.CopyTo(rented.AsSpan(KeyeventPrefix.Length));
                _pubSub.Deliver(rented.AsSpan(0, KeyeventPrefix.Length + name.Length), key, null, null);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>
/// The keyspace events of a transaction's or script's run on its scratch copy of the keys, kept to be published once
/// the transaction has committed (a run that is repeated or aborted publishes nothing).
/// </summary>
internal sealed class CollectedKeyspaceEvents : IKeyspaceEventSink
{
    private readonly List<(int Type, byte[] Name, byte[] Key)> _events = [];

    public CollectedKeyspaceEvents(int classes) => Classes = classes;

    /// <inheritdoc/>
    public int Classes { get; }

    /// <summary>The events kept, in the order the run emitted them.</summary>
    public IReadOnlyList<(int Type, byte[] Name, byte[] Key)> Events => _events;

    /// <inheritdoc/>
    public void Emit(int type, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
    {
        if ((Classes & type) != 0)
            _events.Add((type, name.ToArray(), key.ToArray()));
    }

    /// <summary>Forgets the events of a run about to be repeated.</summary>
    public void Clear() => _events.Clear();
}
