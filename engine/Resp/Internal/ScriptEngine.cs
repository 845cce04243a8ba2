using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// A node's Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT): the script cache, a pool of Lua states, and
/// the scripts running now, for SCRIPT KILL and Redis's -BUSY rule.
/// </summary>
/// <remarks>
/// <para>
/// Atomicity: a script runs as one read-modify-write transaction of the node's coordinator over the keys it declares
/// (<see cref="RespTransaction"/>): every key is locked exclusively at its owner and read, the script runs on a
/// private copy of them, and what it changed is prepared and committed as one decision, one log record per owner,
/// replicated as those effects (Redis 7's effects replication: replicas and the log never run Lua). Nobody sees a
/// script's writes half done. A script stopped by SCRIPT KILL writes nothing (Redis refuses to kill a script that
/// wrote; here its writes were never applied, so any script can be killed); one that fails with an error keeps the
/// writes it made before the error, as in Redis, committed together.
/// </para>
/// <para>
/// Busy: as in Redis, once a script has run longer than <see cref="BusyThresholdMs"/> (lua-time-limit), the node's
/// other clients get <c>-BUSY</c> for every command but those Redis allows (SCRIPT KILL, SHUTDOWN NOSAVE, AUTH,
/// MULTI...), and a transaction that meets it is aborted; SCRIPT KILL stops the script. The per-command cost while
/// nothing runs is one volatile read (<see cref="IsBusy"/>).
/// </para>
/// <para>
/// Bounds: a script's Lua state may hold <see cref="MemoryLimit"/> bytes, and all states of the node together
/// <see cref="Memory"/>'s limit (scripts of different connections run at the same time); a state is pooled for the next script only
/// if it holds less than <see cref="PooledStateBytes"/> after a collection, at most <see cref="MaxPooledStates"/> of
/// them; the cache keeps at most <see cref="MaxCachedBytes"/> of script text (beyond it SCRIPT LOAD is refused and
/// EVAL runs without caching).
/// </para>
/// </remarks>
internal sealed class ScriptEngine
{
    /// <summary>256 MiB: far above what scripts use (Redis sets no limit of its own), far below what would hurt a node.</summary>
    public const long MemoryLimit = 256L << 20;

    /// <summary>4 MiB: a state holding more after a script is closed rather than kept.</summary>
    public const long PooledStateBytes = 4L << 20;

    /// <summary>64 MiB of script text: thousands of typical scripts; a client cannot grow the cache without bound.</summary>
    public const long MaxCachedBytes = 64L << 20;

    private const int MaxPooledStates = 8;

    /// <summary>What the node's Lua states hold together, and the most they may (NodeOptions.ScriptMemoryLimit).</summary>
    public ScriptMemory Memory { get; } = new();

    private readonly ConcurrentDictionary<string, byte[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<LuaSandbox> _pool = new();
    private readonly List<ScriptRun> _running = [];
    private long _cachedBytes;
    private int _runningCount;
    private long _busyThresholdMs = 5000;

    /// <summary>The reply of a script stopped by SCRIPT KILL.</summary>
    public static ReadOnlySpan<byte> KilledReply => "-ERR Script killed by user with SCRIPT KILL...\r\n"u8;

    /// <summary>The reply to a command refused while a script is busy (Redis's words).</summary>
    public static ReadOnlySpan<byte> BusyReply => "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"u8;

    /// <summary>EXEC's reply when it meets a busy script.</summary>
    public static ReadOnlySpan<byte> ExecAbortBusy =>
        "-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"u8;

    /// <summary>EVALSHA of an unknown script.</summary>
    public static ReadOnlySpan<byte> NoScript => "-NOSCRIPT No matching script. Please use EVAL.\r\n"u8;

    /// <summary>Redis's lua-time-limit (busy-reply-threshold), in ms: how long a script runs before others get -BUSY. Defaults to 5000.</summary>
    public long BusyThresholdMs
    {
        get => Volatile.Read(ref _busyThresholdMs);
        set => Volatile.Write(ref _busyThresholdMs, value);
    }

    /// <summary>Whether a script has run past <see cref="BusyThresholdMs"/> (one volatile read while none runs).</summary>
    public bool IsBusy => Volatile.Read(ref _runningCount) != 0 && IsBusySlow();

    /// <summary>How many script texts the cache holds.</summary>
    public int CachedScripts => _cache.Count;

    /// <summary>The bytes of script text the cache holds.</summary>
    public long CachedBytes => Interlocked.Read(ref _cachedBytes);

    /// <summary>Whether the node is over its maxmemory now (RespServer's check): scripts then write only as Redis allows.</summary>
    public Func<bool> IsOverMaxMemory { get; set; } = static () => false;

    // What sdssplitargs takes for spaces between a shebang's parts.
    private static readonly char[] ShebangSpaces = [' ', '\t', '\r', '\v', '\f'];

    /// <summary>Redis's denyoom refusal, as a script's redis.call or EVAL itself answers it.</summary>
    public static ReadOnlySpan<byte> OomReply => "-OOM command not allowed when used memory > 'maxmemory'.\r\n"u8;

    /// <summary>Whether <paramref name="kind"/> runs a script (EVAL, EVALSHA and their _RO forms).</summary>
    public static bool IsScriptCommand(RespCommandKind kind) => kind is
        RespCommandKind.Eval or RespCommandKind.EvalSha or RespCommandKind.EvalRo or RespCommandKind.EvalShaRo;

    /// <summary>Lower-case hex SHA-1: a script's name.</summary>
    public static byte[] Sha1Hex(ReadOnlySpan<byte> body) => Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA1.HashData(body)));

    /// <summary>
    /// Checks EVAL-like arguments (numkeys within range) and gives the keys' positions: <paramref name="firstKey"/> and
    /// <paramref name="keyCount"/>; false with Redis's error otherwise.
    /// </summary>
    public static bool TryLocateKeys(RespCommand c, out int firstKey, out int keyCount, out byte[] error)
    {
        firstKey = 3;
        keyCount = 0;
        error = [];
        if (!c.TryGetInt64(2, out var n))
        {
            error = RespReplies.NotAnInteger.ToArray();
            return false;
        }
        if (n < 0)
        {
            error = "-ERR Number of keys can't be negative\r\n"u8.ToArray();
            return false;
        }
        if (n > c.Count - 3)
        {
            error = "-ERR Number of keys can't be greater than number of args\r\n"u8.ToArray();
            return false;
        }
        keyCount = (int)n;
        return true;
    }

    /// <summary>
    /// Reads a script's shebang line (Redis 7: <c>#!lua</c>, optionally <c>flags=no-writes,allow-oom,...</c>), as
    /// eval.c's evalExtractShebangFlags does: its flags (<see cref="ScriptFlags.Compatible"/> without a shebang) and its
    /// length (the line without its line feed, which the compiled text keeps so line numbers stay the user's); false
    /// with Redis's error message when the line is not one Redis accepts.
    /// </summary>
    public static bool TryReadShebang(ReadOnlySpan<byte> body, out ScriptFlags flags, out int length, out string error)
    {
        flags = ScriptFlags.Compatible;
        length = 0;
        error = "";
        if (!body.StartsWith("#!"u8))
            return true;
        var end = body.IndexOf((byte)'\n');
        if (end < 0)
        {
            error = "Invalid script shebang";
            return false;
        }
        length = end;
        var parts = Encoding.UTF8.GetString(body[..end]).Split(ShebangSpaces, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = "Invalid engine in script shebang";
            return false;
        }
        if (parts[0] != "#!lua")
        {
            error = "Unexpected engine in script shebang: " + parts[0];
            return false;
        }
        flags = ScriptFlags.None;
        for (var i = 1; i < parts.Length; i++)
        {
            if (!parts[i].StartsWith("flags=", StringComparison.Ordinal))
            {
                error = "Unknown lua shebang option: " + parts[i];
                return false;
            }
            var names = parts[i][6..];
            if (names.Length == 0)
                continue;
            foreach (var name in names.Split(','))
            {
                var flag = name switch
                {
                    "no-writes" => ScriptFlags.NoWrites,
                    "allow-oom" => ScriptFlags.AllowOom,
                    "allow-stale" => ScriptFlags.AllowStale,
                    "no-cluster" => ScriptFlags.NoCluster,
                    "allow-cross-slot-keys" => ScriptFlags.AllowCrossSlotKeys,
                    _ => ScriptFlags.None,
                };
                if (flag == ScriptFlags.None)
                {
                    error = "Unexpected flag in script shebang: " + name;
                    return false;
                }
                flags |= flag;
            }
        }
        return true;
    }

    /// <summary>
    /// What Redis answers instead of running a script that declared its flags (script.c's scriptPrepareForRun, after
    /// processCommand's denyoom check), or null when it runs. A script without a shebang is never refused here.
    /// </summary>
    private static byte[]? RefusesToStart(ScriptFlags flags, bool roCommand, bool overMaxMemory)
    {
        if ((flags & ScriptFlags.Compatible) != 0)
            return null;
        // Declared flags without allow-oom or no-writes give EVAL Redis's denyoom flag: refused whole while the node
        // is over its maxmemory, whatever the script would do.
        if (overMaxMemory && (flags & (ScriptFlags.AllowOom | ScriptFlags.NoWrites)) == 0)
            return OomReply.ToArray();
        // Every FastDht node serves a cluster (INFO's cluster_enabled:1).
        if ((flags & ScriptFlags.NoCluster) != 0)
            return "-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n"u8.ToArray();
        if (roCommand && (flags & ScriptFlags.NoWrites) == 0)
            return "-ERR Can not execute a script with write flag using *_ro command.\r\n"u8.ToArray();
        return null;
    }

    /// <summary>SCRIPT LOAD: caches the script; false when the cache is full.</summary>
    public bool TryLoad(ReadOnlySpan<byte> body, out byte[] sha)
    {
        sha = Sha1Hex(body);
        var name = Encoding.ASCII.GetString(sha);
        if (_cache.ContainsKey(name))
            return true;
        if (Interlocked.Add(ref _cachedBytes, body.Length) > MaxCachedBytes)
        {
            Interlocked.Add(ref _cachedBytes, -body.Length);
            return false;
        }
        if (!_cache.TryAdd(name, body.ToArray()))
            Interlocked.Add(ref _cachedBytes, -body.Length);
        return true;
    }

    /// <summary>Whether a script of this SHA-1 (hex, any case) is cached.</summary>
    public bool Exists(ReadOnlySpan<byte> sha) => _cache.ContainsKey(Encoding.ASCII.GetString(sha).ToLowerInvariant());

    /// <summary>SCRIPT FLUSH: forgets every script and every pooled state.</summary>
    public void Flush()
    {
        _cache.Clear();
        Interlocked.Exchange(ref _cachedBytes, 0);
        while (_pool.TryDequeue(out var sandbox))
            sandbox.Dispose();
    }

    /// <summary>SCRIPT KILL: stops every script running on this node; how many were running.</summary>
    public int KillAll()
    {
        lock (_running)
        {
            foreach (var run in _running)
                run.Kill();
            return _running.Count;
        }
    }

    /// <summary>
    /// Runs an EVAL-like command <paramref name="c"/> inside <paramref name="transaction"/>, its redis.call on
    /// <paramref name="scratch"/>; its reply goes to <paramref name="reply"/>. False when SCRIPT KILL stopped it: the
    /// transaction must then apply nothing.
    /// </summary>
    public bool Execute(RespCommand c, LocalKeyspace scratch, RespTransaction transaction, IBufferWriter<byte> reply, int respVersion)
    {
        if (!TryLocateKeys(c, out var firstKey, out var keyCount, out var error))
        {
            RespWriter.WriteRaw(reply, error);
            return true;
        }
        byte[] sha;
        byte[] body;
        if (c.Kind is RespCommandKind.EvalSha or RespCommandKind.EvalShaRo)
        {
            sha = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(c.GetArgument(1)).ToLowerInvariant());
            if (!_cache.TryGetValue(Encoding.ASCII.GetString(sha), out var cached))
            {
                RespWriter.WriteRaw(reply, NoScript);
                return true;
            }
            body = cached;
        }
        else
        {
            body = c.GetArgument(1).ToArray();
            TryLoad(body, out sha);
        }
        if (!TryReadShebang(body, out var flags, out var shebangLength, out var shebangError))
        {
            RespWriter.WriteError(reply, Encoding.UTF8.GetBytes(shebangError));
            return true;
        }
        var roCommand = c.Kind is RespCommandKind.EvalRo or RespCommandKind.EvalShaRo;
        var overMaxMemory = IsOverMaxMemory();
        if (RefusesToStart(flags, roCommand, overMaxMemory) is { } refusal)
        {
            RespWriter.WriteRaw(reply, refusal);
            return true;
        }
        if (shebangLength > 0)
            body = body[shebangLength..]; // the line feed stays: line numbers in errors are the user's
        var keys = new byte[keyCount][];
        for (var i = 0; i < keyCount; i++)
            keys[i] = c.GetArgument(firstKey + i).ToArray();
        var args = new byte[c.Count - firstKey - keyCount][];
        for (var i = 0; i < args.Length; i++)
            args[i] = c.GetArgument(firstKey + keyCount + i).ToArray();

        var readOnly = roCommand || (flags & ScriptFlags.NoWrites) != 0;
        // Redis refuses a deny-oom command of a script only while it has written nothing (it cannot stop half way),
        // and only when the node was over its maxmemory as the script started; allow-oom lifts the refusal.
        var denyOom = overMaxMemory && (flags & ScriptFlags.AllowOom) == 0;
        using var run = new ScriptRun(scratch, transaction, readOnly, denyOom, transaction.Permissions);
        var sandbox = Rent();
        lock (_running)
        {
            _running.Add(run);
            Volatile.Write(ref _runningCount, _running.Count);
        }
        try
        {
            sandbox.Run(run, sha, body, keys, args, reply, respVersion);
            return !run.Killed;
        }
        finally
        {
            lock (_running)
            {
                _running.Remove(run);
                Volatile.Write(ref _runningCount, _running.Count);
            }
            Return(sandbox);
        }
    }

    private bool IsBusySlow()
    {
        var threshold = Stopwatch.Frequency * BusyThresholdMs / 1000;
        var now = Stopwatch.GetTimestamp();
        lock (_running)
        {
            foreach (var run in _running)
            {
                if (now - run.Started >= threshold)
                    return true;
            }
        }
        return false;
    }

    private LuaSandbox Rent() => _pool.TryDequeue(out var sandbox) ? sandbox : LuaSandbox.Create(MemoryLimit, Memory);

    private void Return(LuaSandbox sandbox)
    {
        if (!sandbox.Reusable || sandbox.MemoryUsed > PooledStateBytes || _pool.Count >= MaxPooledStates)
        {
            sandbox.Dispose();
            return;
        }
        _pool.Enqueue(sandbox);
    }
}

/// <summary>A script's shebang flags (Redis 7's <c>#!lua flags=...</c>); <see cref="Compatible"/>: no shebang, Redis's EVAL compatibility mode.</summary>
[Flags]
internal enum ScriptFlags
{
    None = 0,
    NoWrites = 1,
    AllowOom = 2,
    AllowStale = 4,
    NoCluster = 8,
    AllowCrossSlotKeys = 16,
    Compatible = 32,
}
