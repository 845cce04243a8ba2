using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Globalization;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// CONFIG GET / SET / RESETSTAT: the Redis settings clients and tools read, with the node's real values, and the
/// ones FastDht can change at run time (the slow log's, maxmemory, lua-time-limit, and the collection encoding thresholds
/// OBJECT ENCODING reports by). Every other known setting is fixed at start-up and CONFIG SET
/// says so in Redis's words; an unknown one gets Redis's unknown-option error.
/// </summary>
internal static class RespConfig
{
    private static readonly string[] Settable = ["slowlog-log-slower-than", "slowlog-max-len", "maxmemory", "lua-time-limit", "busy-reply-threshold", "tracking-table-max-keys",
        "latency-tracking", "latency-tracking-info-percentiles", "notify-keyspace-events", "latency-monitor-threshold"];

    public static void Write(IBufferWriter<byte> w, RespHost node, RespServer server, RespCommand c, int respVersion)
    {
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "GET"u8))
            Get(w, node, server, c, respVersion);
        else if (Ascii.EqualsIgnoreCase(sub, "SET"u8))
            Set(w, node, server, c);
        else if (Ascii.EqualsIgnoreCase(sub, "RESETSTAT"u8))
        {
            server.ResetStats();
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else
            RespCommandReplies.WriteHelp(w, RespCommandSpecs.Get(RespCommandKind.Config)!);
    }

    /// <summary>Every setting and its current value at this node.</summary>
    private static List<(string Name, string Value)> Values(RespHost node, RespServer server)
    {
        var inv = CultureInfo.InvariantCulture;
        var resp = node.GetListenerAddress(node.SelfId, Plugins.ProtocolNames.Resp);
        string host = "", port = "0";
        if (resp is not null && Cluster.ClusterMember.TrySplitHostPort(resp, out var h, out var p))
        {
            host = h;
            port = p.ToString(inv);
        }
        var durable = node.DataDir is not null;
        return
        [
            ("bind", host),
            ("port", port),
            ("databases", "1"),
            ("cluster-enabled", "yes"),
            ("maxmemory", server.MaxMemory.ToString(inv)),
            ("maxmemory-policy", "noeviction"),
            ("maxmemory-clients", (node.Connections?.ClientBudget?.Limit ?? 0).ToString(inv)),
            ("timeout", "0"),
            ("save", ""),
            ("appendonly", durable ? "yes" : "no"),
            ("appendfsync", durable ? node.Fsync.ToString().ToLowerInvariant() : "no"),
            ("dir", node.DataDir ?? Environment.CurrentDirectory),
            ("hz", "10"),
            ("notify-keyspace-events", Keyspace.NotifyClass.Format(server.Notifications.Classes)),
            ("proto-max-bulk-len", node.Keyspace.MaxValueLength.ToString(inv)),
            ("replica-read-only", "yes"),
            ("slave-read-only", "yes"),
            ("slowlog-log-slower-than", server.SlowerThanMicros.ToString(inv)),
            ("slowlog-max-len", server.SlowLog.MaxLength.ToString(inv)),
            // One setting under its two Redis names (lua-time-limit is the older alias).
            ("busy-reply-threshold", server.Scripts.BusyThresholdMs.ToString(inv)),
            ("lua-time-limit", server.Scripts.BusyThresholdMs.ToString(inv)),
            ("tracking-table-max-keys", server.Tracking.MaxKeys.ToString(inv)),
            ("latency-tracking", server.Latency.Enabled ? "yes" : "no"),
            ("latency-monitor-threshold", server.LatencyEvents.ThresholdMs.ToString(inv)),
            ("latency-tracking-info-percentiles", string.Join(' ', Array.ConvertAll(server.Latency.Percentiles, LatencyStats.FormatPercentile))),
            .. EncodingValues(node.Keyspace.Encodings),
        ];
    }

    private static List<(string Name, string Value)> EncodingValues(Keyspace.CollectionEncodings encodings)
    {
        var values = new List<(string, string)>();
        for (var i = 0; i < Keyspace.CollectionEncodings.Settings.Length; i++)
        {
            var (name, alias, _, _) = Keyspace.CollectionEncodings.Settings[i];
            var value = encodings[i].ToString(CultureInfo.InvariantCulture);
            values.Add((name, value));
            if (alias is not null)
                values.Add((alias, value));
        }
        return values;
    }

    /// <summary>CONFIG GET pattern [pattern ...]: every setting matching one of the globs, once.</summary>
    private static void Get(IBufferWriter<byte> w, RespHost node, RespServer server, RespCommand c, int respVersion)
    {
        var pairs = new List<(string, string)>();
        foreach (var (name, value) in Values(node, server))
        {
            var nameBytes = Encoding.ASCII.GetBytes(name);
            for (var i = 2; i < c.Count; i++)
            {
                if (RespGlob.IsMatch(Lower(c.GetArgument(i)), nameBytes))
                {
                    pairs.Add((name, value));
                    break;
                }
            }
        }
        if (respVersion == 3)
            RespWriter.WriteMapHeader(w, pairs.Count);
        else
            RespWriter.WriteArrayHeader(w, pairs.Count * 2);
        foreach (var (name, value) in pairs)
        {
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(name));
            RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>CONFIG SET name value [name value ...]: all or nothing, as Redis 7 does.</summary>
    private static void Set(IBufferWriter<byte> w, RespHost node, RespServer server, RespCommand c)
    {
        if (c.Count % 2 != 0)
        {
            RespErrors.WriteWrongArity(w, "config|set"u8);
            return;
        }
        var known = Values(node, server);
        var changes = new List<(string Name, long Value)>();
        bool? tracking = null;
        double[]? percentiles = null;
        for (var i = 2; i < c.Count; i += 2)
        {
            var name = Encoding.ASCII.GetString(Lower(c.GetArgument(i)));
            if (!known.Exists(k => k.Name == name))
            {
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"Unknown option or number of arguments for CONFIG SET - '{Encoding.UTF8.GetString(c.GetArgument(i))}'"));
                return;
            }
            if (name == "save" && c.GetArgumentLength(i + 1) == 0)
                continue; // no save points: FastDht snapshots on SAVE/BGSAVE and by its log (docs/running.md), so "" is what it has
            if (Array.IndexOf(Settable, name) < 0 && Keyspace.CollectionEncodings.IndexOf(name) < 0)
            {
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"));
                return;
            }
            if (changes.Exists(k => k.Name == name))
            {
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"));
                return;
            }
            long value;
            if (name == "notify-keyspace-events")
            {
                if (!Keyspace.NotifyClass.TryParse(c.GetArgument(i + 1), out var classes))
                {
                    RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
                    return;
                }
                changes.Add((name, classes));
                continue;
            }
            if (name == "latency-tracking")
            {
                // Redis's yes/no settings, in any case.
                var text = Lower(c.GetArgument(i + 1));
                if (!(text.AsSpan().SequenceEqual("yes"u8) || text.AsSpan().SequenceEqual("no"u8)))
                {
                    RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - argument must be 'yes' or 'no'"));
                    return;
                }
                tracking = text[0] == (byte)'y';
                changes.Add((name, 0));
                continue;
            }
            if (name == "latency-tracking-info-percentiles")
            {
                percentiles = LatencyStats.ParsePercentiles(Encoding.UTF8.GetString(c.GetArgument(i + 1)));
                if (percentiles is null)
                {
                    RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - Invalid latency-tracking-info-percentiles parameters"));
                    return;
                }
                changes.Add((name, 0));
                continue;
            }
            if (name == "maxmemory")
            {
                if (!TryParseMemory(c.GetArgument(i + 1), out value))
                {
                    RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - argument must be a memory value"));
                    return;
                }
            }
            else if (!c.TryGetInt64(i + 1, out value))
            {
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"CONFIG SET failed (possibly related to argument '{name}') - argument couldn't be parsed into an integer"));
                return;
            }
            var encoding = Keyspace.CollectionEncodings.IndexOf(name);
            var min = encoding >= 0 ? Keyspace.CollectionEncodings.Settings[encoding].Min
                : name is "slowlog-max-len" or "maxmemory" or "lua-time-limit" or "busy-reply-threshold" or "tracking-table-max-keys" or "latency-monitor-threshold" ? 0 : -1;
            var max = name == "slowlog-max-len" ? int.MaxValue : long.MaxValue;
            if (value < min || value > max)
            {
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"CONFIG SET failed (possibly related to argument '{name}') - argument must be between {min} and {max} inclusive")));
                return;
            }
            changes.Add((name, value));
        }
        foreach (var (name, value) in changes)
        {
            if (name == "latency-tracking")
                server.Latency.Enabled = tracking!.Value;
            else if (name == "latency-tracking-info-percentiles")
                server.Latency.Percentiles = percentiles!;
            else if (Keyspace.CollectionEncodings.IndexOf(name) is var encoding and >= 0)
                node.Keyspace.Encodings[encoding] = value;
            else if (name == "slowlog-max-len")
                server.SlowLog.MaxLength = (int)value;
            else if (name == "maxmemory")
                server.MaxMemory = value;
            else if (name is "lua-time-limit" or "busy-reply-threshold")
                server.Scripts.BusyThresholdMs = value;
            else if (name == "tracking-table-max-keys")
                server.Tracking.MaxKeys = value;
            else if (name == "notify-keyspace-events")
                server.Notifications.Configure((int)value, node.Keyspace);
            else if (name == "latency-monitor-threshold")
                server.LatencyEvents.ThresholdMs = value;
            else
                server.SlowerThanMicros = value;
        }
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    /// <summary>
    /// Redis's memory values: a non-negative integer with an optional unit, <c>k</c>/<c>m</c>/<c>g</c> (powers of 1000)
    /// or <c>kb</c>/<c>mb</c>/<c>gb</c> (powers of 1024), in any case.
    /// </summary>
    internal static bool TryParseMemory(ReadOnlySpan<byte> text, out long bytes)
    {
        bytes = 0;
        var digits = 0;
        while (digits < text.Length && text[digits] is >= (byte)'0' and <= (byte)'9')
            digits++;
        if (digits == 0 || !System.Buffers.Text.Utf8Parser.TryParse(text[..digits], out long number, out var used) || used != digits)
            return false;
        var unit = Encoding.ASCII.GetString(Lower(text[digits..]));
        long multiplier = unit switch
        {
            "" or "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000L * 1000 * 1000,
            "gb" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (multiplier == 0 || number > long.MaxValue / multiplier)
            return false;
        bytes = number * multiplier;
        return true;
    }

    private static byte[] Lower(ReadOnlySpan<byte> text)
    {
        var lower = new byte[text.Length];
        Ascii.ToLower(text, lower, out _);
        return lower;
    }
}
