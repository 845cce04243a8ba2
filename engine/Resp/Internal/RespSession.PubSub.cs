using System.Buffers;
using System.Text;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Pub/sub: SUBSCRIBE and its kin, sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) and PUBSUB's reports.</summary>
/// <remarks>
/// Classic pub/sub is cluster-wide, as in Redis Cluster: PUBLISH delivers to this node's subscribers of the channel and of
/// every matching pattern, answers how many received it here (Redis Cluster counts the receiving node's subscribers
/// only), and sends the message to every other member (RespPublish, <see cref="PublishBroadcast"/>), which delivers it to
/// its own. At most once, as Redis: a member without a live link misses it.
/// Sharded pub/sub lives at the shard channel's slot owner, as in Redis Cluster: SSUBSCRIBE and SPUBLISH of a channel whose
/// slot another node owns are answered <c>-MOVED</c> (several slots in one SSUBSCRIBE: <c>-CROSSSLOT</c>), so publisher and
/// subscribers meet at the owner and a message is delivered there, to the connections subscribed there. When the slot
/// moves away, its channels' subscribers are unsubscribed with a <c>sunsubscribe</c> message, as Redis does, and subscribe
/// again at the new owner (docs/resp-server.md, "Pub/sub").
/// </remarks>
internal sealed partial class RespSession
{
    private int _shardSubscriptions;
    private readonly Lock _channelsLock = new();

    private static readonly byte[] CrossSlot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n"u8.ToArray();

    /// <summary>(P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE: one reply per channel, counting this connection's subscriptions of that family.</summary>
    private void Subscribe(IBufferWriter<byte> w, bool subscribe)
    {
        var c = _command;
        var kind = c.Kind switch
        {
            RespCommandKind.PSubscribe or RespCommandKind.PUnsubscribe => 'p',
            RespCommandKind.SSubscribe or RespCommandKind.SUnsubscribe => 's',
            _ => 'c',
        };
        var name = (kind, subscribe) switch
        {
            ('p', true) => "psubscribe"u8,
            ('p', false) => "punsubscribe"u8,
            ('s', true) => "ssubscribe"u8,
            ('s', false) => "sunsubscribe"u8,
            (_, true) => "subscribe"u8,
            _ => "unsubscribe"u8,
        };
        if (kind == 's' && subscribe)
        {
            if (!ShardChannelsAreHere(w))
                return;
            _host.Keyspace.AttachChangeListener(_server.Tracking); // a slot moving away ends its channels' subscriptions
        }
        if (!subscribe && c.Count == 1)
        {
            // From every channel of the family: one reply each, or one with a null channel when there was none.
            var all = new List<string>();
            lock (_channelsLock)
            {
                if (_channels is not null)
                {
                    foreach (var entry in _channels)
                    {
                        if (entry[0] == kind)
                            all.Add(entry);
                    }
                }
            }
            if (all.Count == 0)
            {
                WriteSubscription(w, name, null, CountOf(kind));
                return;
            }
            foreach (var entry in all)
            {
                Leave(kind, entry);
                WriteSubscription(w, name, Encoding.Latin1.GetBytes(entry[1..]), CountOf(kind));
            }
            return;
        }
        for (var i = 1; i < c.Count; i++)
        {
            var entry = kind + Encoding.Latin1.GetString(c.GetArgument(i));
            if (subscribe)
                Join(kind, entry);
            else
                Leave(kind, entry);
            WriteSubscription(w, name, c.GetArgument(i).ToArray(), CountOf(kind));
        }
    }

    private void Join(char kind, string entry)
    {
        lock (_channelsLock)
        {
            _channels ??= new HashSet<string>(StringComparer.Ordinal);
            if (!_channels.Add(entry))
                return;
            _subscriptions = _channels.Count;
            if (kind == 's')
                _shardSubscriptions++;
        }
        _server.PubSub.Add(kind, entry[1..], this);
    }

    /// <summary>Leaves one channel; false when the connection was not subscribed to it.</summary>
    private bool Leave(char kind, string entry)
    {
        lock (_channelsLock)
        {
            if (_channels is null || !_channels.Remove(entry))
                return false;
            _subscriptions = _channels.Count;
            if (kind == 's')
                _shardSubscriptions--;
        }
        _server.PubSub.Remove(kind, entry[1..], this);
        return true;
    }

    /// <summary>RESET and the connection's close: leaves every channel, pattern and shard channel.</summary>
    private void LeaveAll()
    {
        List<string> all;
        lock (_channelsLock)
        {
            if (_channels is null || _channels.Count == 0)
                return;
            all = [.. _channels];
        }
        foreach (var entry in all)
            Leave(entry[0], entry);
    }

    /// <summary>The connection closed: it leaves every channel in the node's table.</summary>
    public void LeaveAllChannels() => LeaveAll();

    /// <summary>The subscriptions a (un)subscribe reply counts: Redis counts shard channels apart from channels and patterns.</summary>
    private int CountOf(char kind)
    {
        lock (_channelsLock)
            return kind == 's' ? _shardSubscriptions : _subscriptions - _shardSubscriptions;
    }

    private void WriteSubscription(IBufferWriter<byte> w, ReadOnlySpan<byte> kind, byte[]? channel, int count)
    {
        if (_respVersion == 3)
            RespWriter.WritePushHeader(w, 3);
        else
            RespWriter.WriteArrayHeader(w, 3);
        RespWriter.WriteBulkString(w, kind);
        if (channel is null)
            RespKeyCommands.WriteNull(w, _respVersion);
        else
            RespWriter.WriteBulkString(w, channel);
        RespWriter.WriteInteger(w, count);
    }

    /// <summary>
    /// SSUBSCRIBE's and SPUBLISH's rule, Redis Cluster's: every channel in one slot (else <c>-CROSSSLOT</c>), owned by this
    /// node (else <c>-MOVED</c> to its owner); false after answering the refusal.
    /// </summary>
    private bool ShardChannelsAreHere(IBufferWriter<byte> w)
    {
        var c = _command;
        var slot = KeySlot.Of(c.GetArgument(1));
        var last = c.Kind == RespCommandKind.SPublish ? 1 : c.Count - 1;
        for (var i = 2; i <= last; i++)
        {
            if (KeySlot.Of(c.GetArgument(i)) != slot)
            {
                RespWriter.WriteRaw(w, CrossSlot);
                return false;
            }
        }
        var owner = _host.Cluster.Current.OwnerOf(c.GetArgument(1));
        if (owner == _host.SelfId)
            return true;
        if (!TryRedirect(c.GetArgument(1), owner))
            RespWriter.WriteError(w, "TRYAGAIN"u8, "the owner of the channel's slot has no RESP address yet"u8);
        return false;
    }

    /// <summary>SPUBLISH shardchannel message: delivered to this node's subscribers of the channel (its slot's owner); answers how many.</summary>
    private void SPublish(IBufferWriter<byte> w)
    {
        if (!ShardChannelsAreHere(w))
            return;
        var c = _command;
        var channel = c.GetArgument(1);
        var message = c.GetArgument(2);
        var receivers = _server.PubSub.ShardSubscribers(Encoding.Latin1.GetString(channel));
        foreach (var session in receivers)
        {
            if (ReferenceEquals(session, this))
            {
                // To itself (a RESP3 subscriber may publish): before the reply, as Redis writes it.
                WriteShardMessage(w, _respVersion, channel, message);
                continue;
            }
            var slot = ReplySlot.Rent(session);
            WriteShardMessage(slot, session._respVersion, channel, message);
            session.EnqueuePush(slot);
        }
        RespWriter.WriteInteger(w, receivers.Length);
    }

    /// <summary>PUBLISH channel message: delivered here and sent to every other member; answers how many received it at this node.</summary>
    private void Publish(IBufferWriter<byte> w)
    {
        var c = _command;
        var channel = c.GetArgument(1);
        var message = c.GetArgument(2);
        var receivers = _server.PubSub.Deliver(channel, message, this, w);
        _server.Broadcast.Send(_host.Peers, _host.Cluster.Current, _host.SelfId, channel, message);
        RespWriter.WriteInteger(w, receivers);
    }

    /// <summary>The connection's protocol (2 or 3) now: how a message to it is written.</summary>
    public int RespVersion => _respVersion;

    /// <summary>
    /// Queues a <c>message</c> (or, with <paramref name="pattern"/>, a <c>pmessage</c>) behind this connection's replies;
    /// called from any thread. Bounded as Redis's pubsub output class: a connection that leaves 32 MiB of pushes unread is
    /// closed (<see cref="EnqueuePush"/>).
    /// </summary>
    public void PushPubSubMessage(byte[]? pattern, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        if (_connection.IsClosed)
            return;
        var slot = ReplySlot.Rent(this);
        WritePubSubMessage(slot, _respVersion, pattern, channel, message);
        EnqueuePush(slot);
    }

    /// <summary><c>message channel payload</c>, or <c>pmessage pattern channel payload</c>: a RESP2 array, a RESP3 push.</summary>
    public static void WritePubSubMessage(IBufferWriter<byte> w, int respVersion, byte[]? pattern, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var length = pattern is null ? 3 : 4;
        if (respVersion == 3)
            RespWriter.WritePushHeader(w, length);
        else
            RespWriter.WriteArrayHeader(w, length);
        if (pattern is null)
        {
            RespWriter.WriteBulkString(w, "message"u8);
        }
        else
        {
            RespWriter.WriteBulkString(w, "pmessage"u8);
            RespWriter.WriteBulkString(w, pattern);
        }
        RespWriter.WriteBulkString(w, channel);
        RespWriter.WriteBulkString(w, message);
    }

    private static void WriteShardMessage(IBufferWriter<byte> w, int respVersion, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        if (respVersion == 3)
            RespWriter.WritePushHeader(w, 3);
        else
            RespWriter.WriteArrayHeader(w, 3);
        RespWriter.WriteBulkString(w, "smessage"u8);
        RespWriter.WriteBulkString(w, channel);
        RespWriter.WriteBulkString(w, message);
    }

    /// <summary>The slot of shard channel <paramref name="channel"/> moved away: the subscription ends, with a <c>sunsubscribe</c> message, as Redis does.</summary>
    public void EndShardSubscription(string channel)
    {
        if (!Leave('s', "s" + channel))
            return;
        var slot = ReplySlot.Rent(this);
        WriteSubscription(slot, "sunsubscribe"u8, Encoding.Latin1.GetBytes(channel), CountOf('s'));
        EnqueuePush(slot);
    }

    /// <summary>PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB (HELP and arity are answered by the command table): this node's subscriptions, as Redis Cluster answers per node.</summary>
    private void PubSubReport(IBufferWriter<byte> w)
    {
        var c = _command;
        var sub = c.GetArgument(1);
        var pubsub = _server.PubSub;
        if (Ascii.EqualsIgnoreCase(sub, "CHANNELS"u8) || Ascii.EqualsIgnoreCase(sub, "SHARDCHANNELS"u8))
        {
            if (c.Count > 3)
            {
                RespWriter.WriteError(w, Encoding.Latin1.GetBytes($"unknown subcommand or wrong number of arguments for '{Encoding.Latin1.GetString(sub)}'. Try PUBSUB HELP."));
                return;
            }
            var active = pubsub.Active(sub.Length == 8 ? 'c' : 's', c.Count > 2 ? c.GetArgument(2).ToArray() : null);
            RespWriter.WriteArrayHeader(w, active.Count);
            foreach (var channel in active)
                RespWriter.WriteBulkString(w, Encoding.Latin1.GetBytes(channel));
        }
        else if (Ascii.EqualsIgnoreCase(sub, "NUMSUB"u8) || Ascii.EqualsIgnoreCase(sub, "SHARDNUMSUB"u8))
        {
            var kind = sub.Length == 6 ? 'c' : 's';
            RespWriter.WriteArrayHeader(w, (c.Count - 2) * 2);
            for (var i = 2; i < c.Count; i++)
            {
                RespWriter.WriteBulkString(w, c.GetArgument(i));
                RespWriter.WriteInteger(w, pubsub.CountOf(kind, Encoding.Latin1.GetString(c.GetArgument(i))));
            }
        }
        else
        {
            RespWriter.WriteInteger(w, pubsub.PatternCount); // NUMPAT
        }
    }
}
