using System.Buffers;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.CommandTable;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO): remembering what this connection reads, and its invalidations.</summary>
/// <remarks>
/// A tracked key is tracked at its owner, where every change of it is applied whatever node the writer used (a write
/// through another node is forwarded to the owner and changes the key there). So a read this connection would have
/// tracked for a key this node does not hold is answered <c>-MOVED</c> to the owner, as Redis Cluster answers every
/// such read, instead of being forwarded: a forwarded read would leave the key cached with nobody to invalidate it
/// (docs/resp-server.md, "Client-side caching").
/// </remarks>
internal sealed partial class RespSession
{
    private int _tracking; // TrackingFlags; BrokenRedirect is set by other connections' invalidations
    private long _trackingRedirect;
    private List<byte[]>? _trackingPrefixes;

    [Flags]
    private enum TrackingFlags
    {
        None = 0,
        On = 1,
        Bcast = 2,
        OptIn = 4,
        OptOut = 8,
        NoLoop = 16,

        /// <summary>CLIENT CACHING yes (OPTIN) or no (OPTOUT) was given for the next command or transaction.</summary>
        Caching = 32,

        /// <summary>The connection invalidations are redirected to has closed.</summary>
        BrokenRedirect = 64,
    }

    private TrackingFlags Tracking => (TrackingFlags)Volatile.Read(ref _tracking);

    /// <summary>Whether the connection has tracking on (INFO's tracking_clients).</summary>
    public bool IsTracking => (Tracking & TrackingFlags.On) != 0;

    /// <summary>
    /// The most bytes of pushes (pub/sub messages, invalidations) a connection may leave unread: past it the connection is
    /// closed, as Redis closes a client past its pubsub-class output limit (32 MiB hard, Redis's default for that class;
    /// Redis's soft limit, 8 MiB for 60 seconds, is not applied). Without it a subscriber that stops reading while others
    /// publish, or a reader while writers change the keys it read, would make the node buffer without bound.
    /// </summary>
    private const long MaxUnreadPushBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Before a read-only command of a tracking connection runs: answers <c>-MOVED</c> (or CROSSSLOT) and returns false
    /// when the connection would cache a key this node does not hold; otherwise remembers the keys it reads (default
    /// mode) and returns true.
    /// </summary>
    private bool TrackReads(RespCommandSpec spec, ClusterState state, IBufferWriter<byte> w)
    {
        var flags = Tracking;
        if ((flags & TrackingFlags.On) == 0 || spec.KeyCountIndex > 0)
            return true; // scripts: see docs/resp-server.md, "Client-side caching"
        var remember = (flags & TrackingFlags.Bcast) == 0
            && !((flags & TrackingFlags.OptIn) != 0 && (flags & TrackingFlags.Caching) == 0)
            && !((flags & TrackingFlags.OptOut) != 0 && (flags & TrackingFlags.Caching) != 0);
        if (!remember && (flags & TrackingFlags.Bcast) == 0)
            return true; // not cached by the client: served from anywhere
        var c = _command;
        var last = spec.LastKeyIndex(c);
        var firstSlot = -1;
        var sameSlot = true;
        var remote = -1;
        for (var i = spec.KeyWalkStart; i > 0 && i <= last; i = spec.NextKeyIndex(i))
        {
            var key = c.GetArgument(i);
            var slot = KeySlot.Of(key);
            if (firstSlot < 0)
                firstSlot = slot;
            sameSlot &= slot == firstSlot;
            if (remote < 0 && state.OwnerOf(key) != _host.SelfId)
                remote = i;
        }
        if (remote > 0 && !(_readOnly && ReadsAtThisReplica(spec, state)))
        {
            var key = c.GetArgument(remote);
            if (!sameSlot)
                RespWriter.WriteRaw(w, RespErrors.CrossNode);
            else if (!TryRedirect(key, state.OwnerOf(key)))
                RespWriter.WriteError(w, "TRYAGAIN"u8, "the owner of the key's slot has no RESP address yet"u8);
            return false;
        }
        if (remember)
        {
            for (var i = spec.KeyWalkStart; i > 0 && i <= last; i = spec.NextKeyIndex(i))
                _server.Tracking.Remember(c.GetArgument(i), ClientId);
        }
        return true;
    }

    /// <summary>After a command: CLIENT CACHING applies to the next command (or transaction) only, as in Redis.</summary>
    private void EndCachingHint()
    {
        if ((_tracking & (int)TrackingFlags.Caching) != 0 && _command.Kind != RespCommandKind.Client && _queued is null)
            Interlocked.And(ref _tracking, ~(int)TrackingFlags.Caching);
    }

    /// <summary>A key this connection read here changed (<paramref name="writer"/>: the connection whose command changed it, if known).</summary>
    public void InvalidateRead(ReadOnlySpan<byte> key, RespSession? writer)
    {
        var flags = Tracking;
        // Switched to BCAST since it read the key: it no longer wants per-key messages (as Redis skips it).
        if ((flags & TrackingFlags.On) == 0 || (flags & TrackingFlags.Bcast) != 0)
            return;
        if ((flags & TrackingFlags.NoLoop) != 0 && ReferenceEquals(writer, this))
            return;
        SendInvalidation(key, all: false);
    }

    /// <summary>Whether this broadcasting connection hears of a change <paramref name="writer"/> made (not its own under NOLOOP).</summary>
    public bool WantsBroadcast(RespSession? writer)
    {
        var flags = Tracking;
        return (flags & TrackingFlags.On) != 0 && !((flags & TrackingFlags.NoLoop) != 0 && ReferenceEquals(writer, this));
    }

    /// <summary>A key under one of this broadcasting connection's prefixes changed.</summary>
    public void SendInvalidation(ReadOnlySpan<byte> key) => SendInvalidation(key, all: false);

    /// <summary>Keys under one of this broadcasting connection's prefixes changed in one command or commit: one message.</summary>
    public void SendInvalidations(List<byte[]> keys) => SendInvalidation(default, all: false, keys);

    /// <summary>Every key this connection may cache is invalid (FLUSHALL, a slot range handed away under BCAST): a null invalidation.</summary>
    public void InvalidateAll()
    {
        if ((Tracking & TrackingFlags.On) != 0)
            SendInvalidation(default, all: true);
    }

    /// <summary>
    /// Queues one invalidation (of <paramref name="key"/>, of <paramref name="keys"/> when given, or of everything), as Redis's sendTrackingMessage: a RESP3 push to this connection or the one it redirects to,
    /// a <c>__redis__:invalidate</c> message to a RESP2 redirect target in subscribed mode, nothing otherwise.
    /// </summary>
    private void SendInvalidation(ReadOnlySpan<byte> key, bool all, List<byte[]>? keys = null)
    {
        var target = this;
        var redirect = Volatile.Read(ref _trackingRedirect);
        if (redirect != 0)
        {
            var found = _server.FindClient(redirect);
            if (found is null)
            {
                Interlocked.Or(ref _tracking, (int)TrackingFlags.BrokenRedirect);
                if (_respVersion == 3)
                {
                    var broken = ReplySlot.Rent(this);
                    RespWriter.WritePushHeader(broken, 2);
                    RespWriter.WriteBulkString(broken, "tracking-redir-broken"u8);
                    RespWriter.WriteInteger(broken, redirect);
                    EnqueuePush(broken);
                }
                return;
            }
            target = found;
        }
        var slot = ReplySlot.Rent(target);
        if (target._respVersion == 3)
        {
            RespWriter.WritePushHeader(slot, 2);
            RespWriter.WriteBulkString(slot, "invalidate"u8);
        }
        else if (!ReferenceEquals(target, this) && target.IsSubscribed)
        {
            RespWriter.WriteArrayHeader(slot, 3);
            RespWriter.WriteBulkString(slot, "message"u8);
            RespWriter.WriteBulkString(slot, "__redis__:invalidate"u8);
        }
        else
        {
            slot.Return(); // RESP2 without a redirect: nowhere to say it, as in Redis
            return;
        }
        if (all)
        {
            RespKeyCommands.WriteNull(slot, _respVersion); // the tracking connection's null, as Redis sends it
        }
        else if (keys is not null)
        {
            RespWriter.WriteArrayHeader(slot, keys.Count);
            foreach (var one in keys)
                RespWriter.WriteBulkString(slot, one);
        }
        else
        {
            RespWriter.WriteArrayHeader(slot, 1);
            RespWriter.WriteBulkString(slot, key);
        }
        target.EnqueuePush(slot);
    }

    /// <summary>
    /// Queues a message that is no reply (an invalidation, a pub/sub message) behind every reply this connection has computed, and writes it
    /// out at once when the connection is idle; called from any thread.
    /// </summary>
    private void EnqueuePush(ReplySlot slot)
    {
        if (_connection.IsClosed)
        {
            slot.Return();
            return;
        }
        bool tooMuch;
        var drain = false;
        lock (_queueLock)
        {
            slot.Completed = true;
            // Counted as a late reply's bytes (HeldCount): written out, they leave the count; held, they make this
            // connection's own read loop wait for its client (HoldLessAsync) and bound what it leaves unread.
            slot.HeldCount = slot.Written.Length;
            _lateHeld += slot.HeldCount;
            tooMuch = _lateHeld > MaxUnreadPushBytes;
            _queue.Enqueue(slot);
            // The read loop writes the queue out at the end of its batch; a scheduled drain will see this slot too.
            if (!tooMuch && !_inBatch && !_drainScheduled && _queue.TryPeek(out var head) && head.Completed)
            {
                _drainScheduled = true;
                drain = true;
            }
        }
        if (tooMuch)
        {
            RespLog.TooManyUnreadPushes(_host.Logger, _connection.RemoteEndPoint, MaxUnreadPushBytes);
            Kill();
        }
        else if (drain)
        {
            DrainScheduled();
        }
    }

    /// <summary>CLIENT TRACKING on|off [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], with Redis 7.0's checks in its order.</summary>
    private void ClientTracking(IBufferWriter<byte> w)
    {
        var c = _command;
        long redirect = 0;
        var options = TrackingFlags.None;
        List<byte[]>? prefixes = null;
        for (var j = 3; j < c.Count; j++)
        {
            var more = j < c.Count - 1;
            var option = c.GetArgument(j);
            if (Ascii.EqualsIgnoreCase(option, "REDIRECT"u8) && more)
            {
                j++;
                if (redirect != 0)
                {
                    RespWriter.WriteError(w, "A client can only redirect to a single other client"u8);
                    return;
                }
                if (!c.TryGetInt64(j, out redirect))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (_server.FindClient(redirect) is null)
                {
                    RespWriter.WriteError(w, "The client ID you want redirect to does not exist"u8);
                    return;
                }
            }
            else if (Ascii.EqualsIgnoreCase(option, "BCAST"u8))
                options |= TrackingFlags.Bcast;
            else if (Ascii.EqualsIgnoreCase(option, "OPTIN"u8))
                options |= TrackingFlags.OptIn;
            else if (Ascii.EqualsIgnoreCase(option, "OPTOUT"u8))
                options |= TrackingFlags.OptOut;
            else if (Ascii.EqualsIgnoreCase(option, "NOLOOP"u8))
                options |= TrackingFlags.NoLoop;
            else if (Ascii.EqualsIgnoreCase(option, "PREFIX"u8) && more)
                (prefixes ??= []).Add(c.GetArgument(++j).ToArray());
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        var mode = c.GetArgument(2);
        if (Ascii.EqualsIgnoreCase(mode, "ON"u8))
        {
            if (!TryEnableTracking(w, redirect, options, prefixes))
                return;
        }
        else if (Ascii.EqualsIgnoreCase(mode, "OFF"u8))
        {
            DisableTracking();
        }
        else
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    private bool TryEnableTracking(IBufferWriter<byte> w, long redirect, TrackingFlags options, List<byte[]>? prefixes)
    {
        var current = Tracking;
        var bcast = (options & TrackingFlags.Bcast) != 0;
        if (!bcast && prefixes is not null)
        {
            RespWriter.WriteError(w, "PREFIX option requires BCAST mode to be enabled"u8);
            return false;
        }
        if ((current & TrackingFlags.On) != 0 && ((current & TrackingFlags.Bcast) != 0) != bcast)
        {
            RespWriter.WriteError(w, "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."u8);
            return false;
        }
        if (bcast && (options & (TrackingFlags.OptIn | TrackingFlags.OptOut)) != 0)
        {
            RespWriter.WriteError(w, "OPTIN and OPTOUT are not compatible with BCAST"u8);
            return false;
        }
        if ((options & TrackingFlags.OptIn) != 0 && (options & TrackingFlags.OptOut) != 0)
        {
            RespWriter.WriteError(w, "You can't specify both OPTIN mode and OPTOUT mode"u8);
            return false;
        }
        if (((options & TrackingFlags.OptIn) != 0 && (current & TrackingFlags.OptOut) != 0) ||
            ((options & TrackingFlags.OptOut) != 0 && (current & TrackingFlags.OptIn) != 0))
        {
            RespWriter.WriteError(w, "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."u8);
            return false;
        }
        if (bcast && !PrefixesAreDisjoint(w, prefixes))
            return false;
        _host.Keyspace.AttachChangeListener(_server.Tracking);
        Volatile.Write(ref _trackingRedirect, redirect);
        // Kept: CACHING (CLIENT TRACKING is itself a CLIENT command); cleared: the broken redirect, the modes.
        Volatile.Write(ref _tracking, (int)(TrackingFlags.On | (current & TrackingFlags.Caching) | options));
        if (bcast)
        {
            if (prefixes is null || prefixes.Count == 0)
                prefixes = [[]];
            foreach (var prefix in prefixes)
            {
                _trackingPrefixes ??= [];
                if (!_trackingPrefixes.Exists(p => p.AsSpan().SequenceEqual(prefix)))
                    _trackingPrefixes.Add(prefix);
                _server.Tracking.Follow(this, prefix);
            }
        }
        return true;
    }

    /// <summary>Redis's checkPrefixCollisionsOrReply: no new prefix may overlap one this connection has or another new one.</summary>
    private bool PrefixesAreDisjoint(IBufferWriter<byte> w, List<byte[]>? prefixes)
    {
        if (prefixes is null)
            return true;
        for (var i = 0; i < prefixes.Count; i++)
        {
            if (_trackingPrefixes is not null)
            {
                foreach (var existing in SortedPrefixes())
                {
                    if (Overlap(existing, prefixes[i]))
                    {
                        RespWriter.WriteError(w, Encoding.Latin1.GetBytes($"Prefix '{Encoding.Latin1.GetString(prefixes[i])}' overlaps with an existing prefix '{Encoding.Latin1.GetString(existing)}'. Prefixes for a single client must not overlap."));
                        return false;
                    }
                }
            }
            for (var j = i + 1; j < prefixes.Count; j++)
            {
                if (Overlap(prefixes[i], prefixes[j]))
                {
                    RespWriter.WriteError(w, Encoding.Latin1.GetBytes($"Prefix '{Encoding.Latin1.GetString(prefixes[i])}' overlaps with another provided prefix '{Encoding.Latin1.GetString(prefixes[j])}'. Prefixes for a single client must not overlap."));
                    return false;
                }
            }
        }
        return true;

        static bool Overlap(byte[] a, byte[] b) => a.AsSpan(0, Math.Min(a.Length, b.Length)).SequenceEqual(b.AsSpan(0, Math.Min(a.Length, b.Length)));
    }

    /// <summary>The connection's prefixes in Redis's rax order (bytewise), as TRACKINGINFO and the overlap check walk them.</summary>
    private List<byte[]> SortedPrefixes()
    {
        var sorted = new List<byte[]>(_trackingPrefixes ?? []);
        sorted.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        return sorted;
    }

    /// <summary>CLIENT TRACKING off, RESET: the keys it read stay in the table until they change (then skipped), as in Redis.</summary>
    private void DisableTracking()
    {
        if (_trackingPrefixes is not null)
        {
            _server.Tracking.Unfollow(this);
            _trackingPrefixes = null;
        }
        Volatile.Write(ref _tracking, 0);
        Volatile.Write(ref _trackingRedirect, 0);
    }

    /// <summary>CLIENT CACHING yes|no: whether the next command's (or transaction's) reads are tracked, in OPTIN or OPTOUT mode.</summary>
    private void ClientCaching(IBufferWriter<byte> w)
    {
        var flags = Tracking;
        if ((flags & TrackingFlags.On) == 0)
        {
            RespWriter.WriteError(w, "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"u8);
            return;
        }
        var option = _command.GetArgument(2);
        if (Ascii.EqualsIgnoreCase(option, "YES"u8))
        {
            if ((flags & TrackingFlags.OptIn) == 0)
            {
                RespWriter.WriteError(w, "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."u8);
                return;
            }
        }
        else if (Ascii.EqualsIgnoreCase(option, "NO"u8))
        {
            if ((flags & TrackingFlags.OptOut) == 0)
            {
                RespWriter.WriteError(w, "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."u8);
                return;
            }
        }
        else
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        Interlocked.Or(ref _tracking, (int)TrackingFlags.Caching);
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    /// <summary>CLIENT GETREDIR: the id invalidations go to (0: this connection), -1 when tracking is off.</summary>
    private void ClientGetRedirect(IBufferWriter<byte> w) =>
        RespWriter.WriteInteger(w, (Tracking & TrackingFlags.On) != 0 ? Volatile.Read(ref _trackingRedirect) : -1);

    /// <summary>CLIENT TRACKINGINFO: flags (a set), redirect, prefixes, in Redis 7.0's order.</summary>
    private void ClientTrackingInfo(IBufferWriter<byte> w)
    {
        var flags = Tracking;
        var names = new List<byte[]> { (flags & TrackingFlags.On) != 0 ? "on"u8.ToArray() : "off"u8.ToArray() };
        if ((flags & TrackingFlags.Bcast) != 0)
            names.Add("bcast"u8.ToArray());
        if ((flags & TrackingFlags.OptIn) != 0)
        {
            names.Add("optin"u8.ToArray());
            if ((flags & TrackingFlags.Caching) != 0)
                names.Add("caching-yes"u8.ToArray());
        }
        if ((flags & TrackingFlags.OptOut) != 0)
        {
            names.Add("optout"u8.ToArray());
            if ((flags & TrackingFlags.Caching) != 0)
                names.Add("caching-no"u8.ToArray());
        }
        if ((flags & TrackingFlags.NoLoop) != 0)
            names.Add("noloop"u8.ToArray());
        if ((flags & TrackingFlags.BrokenRedirect) != 0)
            names.Add("broken_redirect"u8.ToArray());
        if (_respVersion == 3)
            RespWriter.WriteMapHeader(w, 3);
        else
            RespWriter.WriteArrayHeader(w, 6);
        RespWriter.WriteBulkString(w, "flags"u8);
        if (_respVersion == 3)
            RespWriter.WriteSetHeader(w, names.Count);
        else
            RespWriter.WriteArrayHeader(w, names.Count);
        foreach (var name in names)
            RespWriter.WriteBulkString(w, name);
        RespWriter.WriteBulkString(w, "redirect"u8);
        RespWriter.WriteInteger(w, (flags & TrackingFlags.On) != 0 ? Volatile.Read(ref _trackingRedirect) : -1);
        RespWriter.WriteBulkString(w, "prefixes"u8);
        var prefixes = SortedPrefixes();
        RespWriter.WriteArrayHeader(w, prefixes.Count);
        foreach (var prefix in prefixes)
            RespWriter.WriteBulkString(w, prefix);
    }

    /// <summary>CLIENT LIST's tracking flags, in Redis's order after P and x: t (tracking), R (broken redirect), B (broadcast).</summary>
    private void AppendTrackingFlags(StringBuilder flags)
    {
        var tracking = Tracking;
        if ((tracking & TrackingFlags.On) != 0)
            flags.Append('t');
        if ((tracking & TrackingFlags.BrokenRedirect) != 0)
            flags.Append('R');
        if ((tracking & TrackingFlags.Bcast) != 0)
            flags.Append('B');
    }

    /// <summary>CLIENT LIST's redir field: the redirect id while tracking is on, -1 otherwise.</summary>
    private long TrackingRedirectForList => (Tracking & TrackingFlags.On) != 0 ? Volatile.Read(ref _trackingRedirect) : -1;
}
