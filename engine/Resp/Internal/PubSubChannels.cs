using System.Buffers;
using System.Text;
using FastDht.Engine.Connections;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The channels, patterns and shard channels this node's RESP connections subscribe to: what PUBSUB reports and whom
/// PUBLISH (from a client of this node or from a peer) and SPUBLISH deliver to.
/// </summary>
/// <remarks>
/// Per node, as in Redis Cluster (PUBSUB CHANNELS and NUMSUB answer for the node asked). Changed only by SUBSCRIBE and its
/// kin, RESET and a connection's close, and read by PUBSUB, PUBLISH and SPUBLISH: one lock, never held while writing to a
/// connection. PUBLISH runs far more often than SUBSCRIBE, so the subscribers of a channel and the patterns are also kept
/// as arrays replaced whole on every change (copy on write): a delivery takes the arrays under the lock, without copying
/// or allocating, and writes to the connections after it.
/// </remarks>
internal sealed class PubSubChannels : IPubSubDelivery
{
    // A channel name up to this length is looked up from a stack buffer; longer ones rent one.
    private const int StackNameLength = 256;

    private readonly Lock _sync = new();
    private readonly Dictionary<string, List<RespSession>> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RespSession>> _patterns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RespSession>> _shard = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RespSession[]> _channelReceivers = new(StringComparer.Ordinal);
    private PatternReceivers[] _patternReceivers = [];

    /// <summary>One pattern and its subscribers, as a delivery reads them.</summary>
    private readonly record struct PatternReceivers(byte[] Pattern, RespSession[] Sessions);

    /// <summary>
    /// PUBLISH channel message at this node: delivered to this node's subscribers of the channel, then to those of every
    /// matching pattern (as Redis's pubsubPublishMessage), each as one push behind what the connection has been answered.
    /// </summary>
    /// <param name="channel">The channel published to.</param>
    /// <param name="message">The message; copied into each receiver's queue.</param>
    /// <param name="publisher">The publishing connection, or null for a message from a peer.</param>
    /// <param name="toPublisher">Where a message to the publisher itself goes (a RESP3 subscriber may publish): before its reply, as Redis writes it.</param>
    /// <returns>How many deliveries were made: Redis's count, one per subscription that matched.</returns>
    public int Deliver(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, RespSession? publisher, IBufferWriter<byte>? toPublisher)
    {
        RespSession[]? direct;
        PatternReceivers[] patterns;
        char[]? rented = null;
        Span<char> name = channel.Length <= StackNameLength
            ? stackalloc char[channel.Length]
            : (rented = ArrayPool<char>.Shared.Rent(channel.Length)).AsSpan(0, channel.Length);
        Encoding.Latin1.GetChars(channel, name);
        lock (_sync)
        {
            _channelReceivers.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out direct);
            patterns = _patternReceivers;
        }
        if (rented is not null)
            ArrayPool<char>.Shared.Return(rented);
        var count = 0;
        if (direct is not null)
        {
            foreach (var session in direct)
                count += Push(session, null, channel, message, publisher, toPublisher);
        }
        foreach (var entry in patterns)
        {
            if (!CommandTable.RespGlob.IsMatch(entry.Pattern, channel))
                continue;
            foreach (var session in entry.Sessions)
                count += Push(session, entry.Pattern, channel, message, publisher, toPublisher);
        }
        return count;
    }

    /// <summary>How many deliveries <see cref="Deliver"/> would make now (PUBLISH inside a transaction answers it before delivering at the commit).</summary>
    public int CountReceivers(ReadOnlySpan<byte> channel)
    {
        var count = 0;
        lock (_sync)
        {
            if (_channels.TryGetValue(Encoding.Latin1.GetString(channel), out var direct))
                count = direct.Count;
            foreach (var entry in _patternReceivers)
            {
                if (CommandTable.RespGlob.IsMatch(entry.Pattern, channel))
                    count += entry.Sessions.Length;
            }
        }
        return count;
    }

    /// <inheritdoc/>
    public void DeliverFromPeer(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message) => Deliver(channel, message, null, null);

    private static int Push(RespSession session, byte[]? pattern, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, RespSession? publisher, IBufferWriter<byte>? toPublisher)
    {
        if (toPublisher is not null && ReferenceEquals(session, publisher))
            RespSession.WritePubSubMessage(toPublisher, session.RespVersion, pattern, channel, message);
        else
            session.PushPubSubMessage(pattern, channel, message);
        return 1;
    }

    /// <summary>Whether any connection of the node has a shard channel (a slot move then has subscriptions to end).</summary>
    public bool HasShardChannels
    {
        get
        {
            lock (_sync)
                return _shard.Count > 0;
        }
    }

    /// <summary>Notes that <paramref name="session"/> subscribed to <paramref name="channel"/> (kind 'c', 'p' or 's').</summary>
    public void Add(char kind, string channel, RespSession session)
    {
        lock (_sync)
        {
            var table = TableOf(kind);
            if (!table.TryGetValue(channel, out var sessions))
                table[channel] = sessions = [];
            sessions.Add(session);
            Republish(kind, channel, sessions);
        }
    }

    /// <summary>Notes that <paramref name="session"/> left <paramref name="channel"/>.</summary>
    public void Remove(char kind, string channel, RespSession session)
    {
        lock (_sync)
        {
            var table = TableOf(kind);
            if (!table.TryGetValue(channel, out var sessions) || !sessions.Remove(session))
                return;
            if (sessions.Count == 0)
                table.Remove(channel);
            Republish(kind, channel, sessions);
        }
    }

    /// <summary>Under the lock, after a change of <paramref name="channel"/>'s subscribers: the arrays deliveries read, replaced whole.</summary>
    private void Republish(char kind, string channel, List<RespSession> sessions)
    {
        if (kind == 'c')
        {
            if (sessions.Count == 0)
                _channelReceivers.Remove(channel);
            else
                _channelReceivers[channel] = [.. sessions];
        }
        else if (kind == 'p')
        {
            var patterns = new PatternReceivers[_patterns.Count];
            var i = 0;
            foreach (var (pattern, subscribers) in _patterns)
                patterns[i++] = new PatternReceivers(Encoding.Latin1.GetBytes(pattern), [.. subscribers]);
            _patternReceivers = patterns;
        }
    }

    /// <summary>PUBSUB CHANNELS / SHARDCHANNELS: the channels of <paramref name="kind"/> with a subscriber, matching <paramref name="pattern"/> when given.</summary>
    public List<string> Active(char kind, byte[]? pattern)
    {
        var active = new List<string>();
        lock (_sync)
        {
            foreach (var channel in TableOf(kind).Keys)
            {
                if (pattern is null || CommandTable.RespGlob.IsMatch(pattern, System.Text.Encoding.Latin1.GetBytes(channel)))
                    active.Add(channel);
            }
        }
        return active;
    }

    /// <summary>PUBSUB NUMSUB / SHARDNUMSUB: how many connections subscribe to <paramref name="channel"/>.</summary>
    public int CountOf(char kind, string channel)
    {
        lock (_sync)
            return TableOf(kind).TryGetValue(channel, out var sessions) ? sessions.Count : 0;
    }

    /// <summary>PUBSUB NUMPAT: how many distinct patterns have a subscriber.</summary>
    public int PatternCount
    {
        get
        {
            lock (_sync)
                return _patterns.Count;
        }
    }

    /// <summary>The connections subscribed to shard channel <paramref name="channel"/> now (a copy: delivery happens outside the lock).</summary>
    public RespSession[] ShardSubscribers(string channel)
    {
        lock (_sync)
            return _shard.TryGetValue(channel, out var sessions) ? [.. sessions] : [];
    }

    /// <summary>The shard channels of slots [<paramref name="first"/>, <paramref name="last"/>] and their subscribers (a slot move ends them).</summary>
    public List<(string Channel, RespSession[] Sessions)> ShardChannelsIn(int first, int last)
    {
        var found = new List<(string, RespSession[])>();
        lock (_sync)
        {
            foreach (var (channel, sessions) in _shard)
            {
                var slot = Protocol.KeySlot.Of(System.Text.Encoding.Latin1.GetBytes(channel));
                if (slot >= first && slot <= last)
                    found.Add((channel, [.. sessions]));
            }
        }
        return found;
    }

    private Dictionary<string, List<RespSession>> TableOf(char kind) => kind switch
    {
        'p' => _patterns,
        's' => _shard,
        _ => _channels,
    };
}
