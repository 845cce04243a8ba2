namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The channels, patterns and shard channels this node's RESP connections subscribe to: what PUBSUB reports and whom
/// SPUBLISH delivers to.
/// </summary>
/// <remarks>
/// Per node, as in Redis Cluster (PUBSUB CHANNELS and NUMSUB answer for the node asked). Changed only by SUBSCRIBE and its
/// kin, RESET and a connection's close, and read by PUBSUB and SPUBLISH: one lock, never held while writing to a
/// connection (SPUBLISH takes a copy of the subscribers, then delivers).
/// </remarks>
internal sealed class PubSubChannels
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, List<RespSession>> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RespSession>> _patterns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RespSession>> _shard = new(StringComparer.Ordinal);

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
        }
    }

    /// <summary>Notes that <paramref name="session"/> left <paramref name="channel"/>.</summary>
    public void Remove(char kind, string channel, RespSession session)
    {
        lock (_sync)
        {
            var table = TableOf(kind);
            if (table.TryGetValue(channel, out var sessions) && sessions.Remove(session) && sessions.Count == 0)
                table.Remove(channel);
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
