using System.Buffers;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Expiry: SET's EX/PX/EXAT/PXAT/KEEPTTL, SETEX/PSETEX, GETEX, EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (NX/XX/GT/LT), TTL,
/// PTTL, EXPIRETIME, PEXPIRETIME and PERSIST, with Redis 7's rules and error words.
/// </summary>
/// <remarks>
/// An expiry is an absolute unix time in milliseconds stored with the entry (so it is logged with the write and a key
/// that expired while the node was down is still expired after recovery). A key is absent to every reader from that
/// instant (<see cref="LocalKeyspace.TryGet(ReadOnlySpan{byte}, out ReadOnlyMemory{byte}, out long)"/>); the active
/// pass (<see cref="ActiveExpiry"/>) or the next write removes it. Setting an expiry that is already past removes the
/// key at once, as Redis does.
/// </remarks>
internal static class RespExpiryCommands
{
    /// <summary>How SET/GETEX options name an expiry.</summary>
    private enum Unit
    {
        None,
        Seconds,
        Milliseconds,
        UnixSeconds,
        UnixMilliseconds,
    }

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.SetEx:
            case RespCommandKind.PSetEx:
                SetEx(c, w, keyspace);
                return true;
            case RespCommandKind.GetEx:
                GetEx(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.Expire:
                Expire(c, w, keyspace, Unit.Seconds, "expire");
                return true;
            case RespCommandKind.PExpire:
                Expire(c, w, keyspace, Unit.Milliseconds, "pexpire");
                return true;
            case RespCommandKind.ExpireAt:
                Expire(c, w, keyspace, Unit.UnixSeconds, "expireat");
                return true;
            case RespCommandKind.PExpireAt:
                Expire(c, w, keyspace, Unit.UnixMilliseconds, "pexpireat");
                return true;
            case RespCommandKind.Ttl:
            case RespCommandKind.PTtl:
            case RespCommandKind.ExpireTime:
            case RespCommandKind.PExpireTime:
                Ttl(c, w, keyspace);
                return true;
            case RespCommandKind.Persist:
                Persist(c, w, keyspace);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Turns an expiry argument into an absolute unix-ms time, as Redis's getExpireMillisecondsOrReply does: a non-integer
    /// is "not an integer"; zero, a negative relative time or one that overflows is "invalid expire time in '<paramref name="command"/>'".
    /// </summary>
    private static bool TryGetExpiry(RespCommand c, int index, Unit unit, long now, IBufferWriter<byte> w, string command, out long expiresAt)
    {
        expiresAt = 0;
        if (!c.TryGetInt64(index, out var amount))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return false;
        }
        var seconds = unit is Unit.Seconds or Unit.UnixSeconds;
        if (amount <= 0 || (seconds && amount > long.MaxValue / 1000))
        {
            WriteInvalidExpire(w, command);
            return false;
        }
        var ms = seconds ? amount * 1000 : amount;
        if (unit is Unit.Seconds or Unit.Milliseconds)
        {
            if (ms > long.MaxValue - now)
            {
                WriteInvalidExpire(w, command);
                return false;
            }
            ms += now;
        }
        expiresAt = ms;
        return true;
    }

    /// <summary>The unit an expiry option (EX, PX, EXAT, PXAT) names.</summary>
    private static Unit UnitOf(RespKeyword keyword) => keyword switch
    {
        RespKeyword.Ex => Unit.Seconds,
        RespKeyword.Px => Unit.Milliseconds,
        RespKeyword.ExAt => Unit.UnixSeconds,
        _ => Unit.UnixMilliseconds,
    };

    private static void WriteInvalidExpire(IBufferWriter<byte> w, string command) =>
        RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"invalid expire time in '{command}' command"));

    /// <summary>SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL].</summary>
    public static void Set(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        bool nx = false, xx = false, get = false, keepTtl = false;
        var unit = Unit.None;
        var unitIndex = 0;
        for (int i = 3; i < c.Count; i++)
        {
            var keyword = c.GetKeyword(i);
            switch (keyword)
            {
                case RespKeyword.Nx when !xx:
                    nx = true;
                    break;
                case RespKeyword.Xx when !nx:
                    xx = true;
                    break;
                case RespKeyword.Get:
                    get = true;
                    break;
                case RespKeyword.KeepTtl when unit == Unit.None:
                    keepTtl = true;
                    break;
                case RespKeyword.Ex or RespKeyword.Px or RespKeyword.ExAt or RespKeyword.PxAt when unit == Unit.None && !keepTtl && i + 1 < c.Count:
                    unit = UnitOf(keyword);
                    unitIndex = ++i;
                    break;
                default:
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return;
            }
        }

        long expiresAt = 0;
        if (unit != Unit.None && !TryGetExpiry(c, unitIndex, unit, keyspace.NowMs, w, "set", out expiresAt))
            return;
        var value = c.GetArgument(2);
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!nx && !xx && !get && !keepTtl && (unit == Unit.None || expiresAt > keyspace.NowMs))
        {
            // The common SET (with or without a future expiry): nothing about the current value matters.
            write.Put(value, expiresAt);
            NotifySet(keyspace, c.GetArgument(1), unit != Unit.None);
            RespWriter.WriteRaw(w, RespReplies.Ok);
            return;
        }
        var present = write.TryGet(out var current, out var currentExpiry);
        if ((nx && present) || (xx && !present))
        {
            // Not stored: nil, or with GET the value as it is.
            if (get && present)
                RespWriter.WriteBulkString(w, current.Span);
            else
                RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        if (keepTtl)
            expiresAt = currentExpiry;
        if (unit != Unit.None && expiresAt <= keyspace.NowMs)
        {
            // An absolute time already past: the key is set and at once expired, as Redis does (it deletes it).
            if (present)
                write.Delete();
        }
        else
        {
            write.Put(value, expiresAt);
        }
        // Redis sets the key, then its expiry, even one already past (the key then expires at once).
        NotifySet(keyspace, c.GetArgument(1), unit != Unit.None);
        if (!get)
            RespWriter.WriteRaw(w, RespReplies.Ok);
        else if (present)
            RespWriter.WriteBulkString(w, current.Span);
        else
            RespKeyCommands.WriteNull(w, respVersion);
    }

    private static void SetEx(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var ms = c.Kind == RespCommandKind.PSetEx;
        if (!TryGetExpiry(c, 2, ms ? Unit.Milliseconds : Unit.Seconds, keyspace.NowMs, w, ms ? "psetex" : "setex", out var expiresAt))
            return;
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        write.Put(c.GetArgument(3), expiresAt);
        NotifySet(keyspace, c.GetArgument(1), withExpiry: true);
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    /// <summary>SET's events, as Redis's setGenericCommand sends them: "set", then "expire" when an expiry was given.</summary>
    private static void NotifySet(LocalKeyspace keyspace, ReadOnlySpan<byte> key, bool withExpiry)
    {
        keyspace.Notify(NotifyClass.String, "set"u8, key);
        if (withExpiry)
            keyspace.Notify(NotifyClass.Generic, "expire"u8, key);
    }

    /// <summary>GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: the value, with its expiry changed.</summary>
    private static void GetEx(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var unit = Unit.None;
        var persist = false;
        var unitIndex = 0;
        for (var i = 2; i < c.Count; i++)
        {
            var keyword = c.GetKeyword(i);
            switch (keyword)
            {
                case RespKeyword.Ex or RespKeyword.Px or RespKeyword.ExAt or RespKeyword.PxAt when unit == Unit.None && !persist && i + 1 < c.Count:
                    unit = UnitOf(keyword);
                    unitIndex = ++i;
                    break;
                default:
                    if (unit == Unit.None && !persist && Ascii.EqualsIgnoreCase(c.GetArgument(i), "PERSIST"u8))
                    {
                        persist = true;
                        break;
                    }
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return;
            }
        }
        long expiresAt = 0;
        if (unit != Unit.None && !TryGetExpiry(c, unitIndex, unit, keyspace.NowMs, w, "getex", out expiresAt))
            return;
        if (unit == Unit.None && !persist)
        {
            if (keyspace.TryGet(c.GetArgument(1), out var plain))
                RespWriter.WriteBulkString(w, plain.Span);
            else
                RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!write.TryGet(out var value, out var current))
        {
            RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        if (persist)
        {
            if (current != 0)
            {
                write.SetExpiry(0);
                keyspace.Notify(NotifyClass.Generic, "persist"u8, c.GetArgument(1));
            }
        }
        else
        {
            var past = expiresAt <= keyspace.NowMs; // SetExpiry removes the key then
            write.SetExpiry(expiresAt);
            keyspace.Notify(NotifyClass.Generic, past ? "del"u8 : "expire"u8, c.GetArgument(1));
        }
        RespWriter.WriteBulkString(w, value.Span);
    }

    /// <summary>EXPIRE key time [NX|XX|GT|LT] and its PEXPIRE/EXPIREAT/PEXPIREAT forms: 1 when the expiry was set (or the key removed), else 0.</summary>
    private static void Expire(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, Unit unit, string command)
    {
        bool nx = false, xx = false, gt = false, lt = false;
        for (var i = 3; i < c.Count; i++)
        {
            var option = c.GetArgument(i);
            if (Ascii.EqualsIgnoreCase(option, "NX"u8))
                nx = true;
            else if (Ascii.EqualsIgnoreCase(option, "XX"u8))
                xx = true;
            else if (Ascii.EqualsIgnoreCase(option, "GT"u8))
                gt = true;
            else if (Ascii.EqualsIgnoreCase(option, "LT"u8))
                lt = true;
            else
            {
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"Unsupported option {Encoding.UTF8.GetString(option)}"));
                return;
            }
        }
        if (nx && (xx || gt || lt))
        {
            RespWriter.WriteError(w, "NX and XX, GT or LT options at the same time are not compatible"u8);
            return;
        }
        if (gt && lt)
        {
            RespWriter.WriteError(w, "GT and LT options at the same time are not compatible"u8);
            return;
        }
        if (!c.TryGetInt64(2, out var amount))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        // Unlike SET, EXPIRE takes zero and negative times: they remove the key. Only an overflow is invalid.
        var now = keyspace.NowMs;
        var seconds = unit is Unit.Seconds or Unit.UnixSeconds;
        if (seconds && (amount > long.MaxValue / 1000 || amount < long.MinValue / 1000))
        {
            WriteInvalidExpire(w, command);
            return;
        }
        var ms = seconds ? amount * 1000 : amount;
        var relative = unit is Unit.Seconds or Unit.Milliseconds;
        if (relative && ((ms > 0 && ms > long.MaxValue - now) || (ms < 0 && ms < long.MinValue + now)))
        {
            WriteInvalidExpire(w, command);
            return;
        }
        var expiresAt = relative ? ms + now : ms;
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!write.TryGet(out _, out var current))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        // No expiry counts as an infinite one: GT never beats it, LT always does.
        var refused = (nx && current != 0) || (xx && current == 0)
            || (gt && (current == 0 || expiresAt <= current))
            || (lt && current != 0 && expiresAt >= current);
        if (refused)
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        // A time already past (zero, negative, or an absolute one behind now) removes the key.
        var past = expiresAt <= keyspace.NowMs; // SetExpiry removes the key then
        write.SetExpiry(expiresAt <= 0 ? 1 : expiresAt);
        keyspace.Notify(NotifyClass.Generic, past ? "del"u8 : "expire"u8, c.GetArgument(1));
        RespWriter.WriteRaw(w, RespReplies.One);
    }

    /// <summary>TTL/PTTL (remaining seconds, rounded, or milliseconds) and EXPIRETIME/PEXPIRETIME (absolute): -2 absent, -1 no expiry.</summary>
    private static void Ttl(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!keyspace.TryGet(c.GetArgument(1), out _, out var expiresAt))
        {
            RespWriter.WriteRaw(w, RespReplies.MinusTwo);
            return;
        }
        if (expiresAt == 0)
        {
            RespWriter.WriteRaw(w, RespReplies.MinusOne);
            return;
        }
        var remaining = Math.Max(0, expiresAt - keyspace.NowMs);
        RespWriter.WriteInteger(w, c.Kind switch
        {
            RespCommandKind.Ttl => (remaining + 500) / 1000,
            RespCommandKind.PTtl => remaining,
            RespCommandKind.ExpireTime => expiresAt / 1000,
            _ => expiresAt,
        });
    }

    private static void Persist(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!write.TryGet(out _, out var current) || current == 0)
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        write.SetExpiry(0);
        keyspace.Notify(NotifyClass.Generic, "persist"u8, c.GetArgument(1));
        RespWriter.WriteRaw(w, RespReplies.One);
    }
}
