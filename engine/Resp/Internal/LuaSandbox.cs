using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// One Lua 5.4 state set up for scripts (<see cref="LuaPrelude"/>): runs one script at a time, with a memory limit
/// and a kill switch, and converts between Lua values and RESP as Redis does.
/// </summary>
/// <remarks>
/// <para>
/// Safety. Every allocation of the state goes through <see cref="Allocate"/>, which refuses to grow the state past
/// its limit while script code runs: Lua then raises its own "not enough memory" error inside the script, so a huge
/// <c>string.rep</c> or an endless table fails the script, never the node. The limit is lifted while the host works
/// (pushing arguments, a command's reply, reading the result), because an allocation failure there would raise
/// through managed frames; those allocations are bounded by the request and reply sizes. Callbacks catch every
/// exception and return a status the prelude turns into a Lua error, so no error or exception ever crosses the
/// native boundary. Time is bounded by the kill switch (<see cref="ScriptRun.Kill"/>, SCRIPT KILL), checked by the
/// prelude's instruction-count hook.
/// </para>
/// <para>
/// Conversions (Redis's rules). Lua to RESP: a string is a bulk string, a number an integer (truncated), true is 1,
/// false and nil a null, a table with <c>err</c> an error, with <c>ok</c> a status, any other table an array of its
/// elements up to the first nil. RESP to Lua (what <c>redis.call</c> returns): an integer is a number, a bulk string a
/// string, a null (bulk or array) false, an array a table, a status <c>{ok=...}</c>, an error <c>{err=...}</c>
/// (raised by <c>redis.call</c>, returned by <c>redis.pcall</c>).
/// </para>
/// </remarks>
internal sealed class LuaSandbox : IDisposable
{
    // 64: deeper replies or results are refused rather than recursed into (a table may even contain itself).
    private const int MaxDepth = 64;

    // The unmanaged accounting block the allocator reads: used bytes, limit, whether the limits apply now, and a
    // handle to the node's ScriptMemory (what all states hold together).
    private const int UsedOffset = 0;
    private const int LimitOffset = 8;
    private const int EnforceOffset = 16;
    private const int NodeMemoryOffset = 24;
    private const int AccountingSize = 32;

    private static readonly LuaNative.AllocFunction AllocDelegate = Allocate;
    private static readonly IntPtr AllocPointer = Marshal.GetFunctionPointerForDelegate(AllocDelegate);
    private static readonly LuaNative.CFunction CallDelegate = HostCall;
    private static readonly LuaNative.CFunction CheckDelegate = HostCheck;
    private static readonly LuaNative.CFunction Sha1Delegate = HostSha1;
    private static readonly LuaNative.CFunction LogDelegate = HostLog;
    private static readonly IntPtr[] HostFunctions =
    [
        Marshal.GetFunctionPointerForDelegate(CallDelegate),
        Marshal.GetFunctionPointerForDelegate(CheckDelegate),
        Marshal.GetFunctionPointerForDelegate(Sha1Delegate),
        Marshal.GetFunctionPointerForDelegate(LogDelegate),
    ];

    private readonly IntPtr _accounting;
    private readonly IntPtr _state;
    private readonly ScriptMemory _nodeMemory;
    private GCHandle _self;
    private GCHandle _nodeMemoryHandle;
    private ScriptRun? _run;
    private bool _disposed;

    private LuaSandbox(long memoryLimit, ScriptMemory nodeMemory)
    {
        _nodeMemory = nodeMemory;
        _accounting = Marshal.AllocHGlobal(AccountingSize);
        Marshal.WriteInt64(_accounting, UsedOffset, 0);
        Marshal.WriteInt64(_accounting, LimitOffset, memoryLimit);
        Marshal.WriteInt64(_accounting, EnforceOffset, 0);
        _nodeMemoryHandle = GCHandle.Alloc(nodeMemory);
        Marshal.WriteIntPtr(_accounting, NodeMemoryOffset, GCHandle.ToIntPtr(_nodeMemoryHandle));
        _self = GCHandle.Alloc(this);
        _state = LuaNative.lua_newstate(AllocPointer, _accounting);
        if (_state == IntPtr.Zero)
        {
            Release();
            throw new InvalidOperationException("Lua could not create a state");
        }
    }

    /// <summary>Bytes the state holds now.</summary>
    public long MemoryUsed => Marshal.ReadInt64(_accounting, UsedOffset);

    /// <summary>Whether the state may serve another run (false after a kill or a memory failure: it is dropped).</summary>
    public bool Reusable { get; private set; } = true;

    /// <summary>A state with the libraries and the prelude loaded; the runner stays at stack index 1.</summary>
    /// <param name="memoryLimit">What this state may hold while a script runs.</param>
    /// <param name="nodeMemory">What all the node's states hold together, and may.</param>
    public static LuaSandbox Create(long memoryLimit, ScriptMemory nodeMemory)
    {
        var sandbox = new LuaSandbox(memoryLimit, nodeMemory);
        var l = sandbox._state;
        LuaNative.luaL_openlibs(l);
        var status = LuaNative.luaL_loadbufferx(l, ref MemoryMarshal.GetReference(LuaPrelude.Source), (UIntPtr)LuaPrelude.Source.Length,
            ref MemoryMarshal.GetReference("=prelude\0"u8), ref MemoryMarshal.GetReference("t\0"u8));
        if (status == LuaNative.StatusOk)
        {
            foreach (var function in HostFunctions)
            {
                LuaNative.lua_pushlightuserdata(l, GCHandle.ToIntPtr(sandbox._self));
                LuaNative.lua_pushcclosure(l, function, 1);
            }
            status = LuaNative.lua_pcallk(l, HostFunctions.Length, 1, 0, IntPtr.Zero, IntPtr.Zero);
        }
        if (status != LuaNative.StatusOk)
        {
            var message = Encoding.UTF8.GetString(LuaNative.ToBytes(l, -1) ?? []);
            sandbox.Dispose();
            throw new InvalidOperationException("the script prelude failed: " + message);
        }
        return sandbox;
    }

    /// <summary>
    /// Runs a script (compiled once per state under <paramref name="sha"/>) with KEYS and ARGV, its redis.call going to
    /// <paramref name="run"/>, and writes its reply (or error) to <paramref name="reply"/>.
    /// </summary>
    public void Run(ScriptRun run, ReadOnlySpan<byte> sha, ReadOnlySpan<byte> body, byte[][] keys, byte[][] args, IBufferWriter<byte> reply, int respVersion)
    {
        var l = _state;
        _run = run;
        try
        {
            LuaNative.lua_settop(l, 1);
            LuaNative.lua_pushvalue(l, 1);
            LuaNative.PushBytes(l, sha);
            LuaNative.PushBytes(l, body);
            PushArray(l, keys);
            PushArray(l, args);
            Enforce(true);
            var status = LuaNative.lua_pcallk(l, 4, 2, 0, IntPtr.Zero, IntPtr.Zero);
            Enforce(false);
            if (run.Killed)
            {
                Reusable = false;
                RespWriter.WriteRaw(reply, ScriptEngine.KilledReply);
            }
            else if (status == LuaNative.StatusMemory)
            {
                Reusable = false;
                RespWriter.WriteError(reply, Encoding.ASCII.GetBytes(
                    $"Error running script (call to f_{Encoding.ASCII.GetString(sha)}): the script ran out of memory (a script may use {Marshal.ReadInt64(_accounting, LimitOffset) >> 20} MiB, the node's scripts {_nodeMemory.Limit >> 20} MiB together)"));
            }
            else if (status != LuaNative.StatusOk)
            {
                WriteScriptError(l, reply, sha);
            }
            else if (LuaNative.lua_toboolean(l, -2) == 0)
            {
                var message = LuaNative.ToBytes(l, -1) ?? [];
                RespWriter.WriteError(reply, Clean("Error compiling script (new function): " + Encoding.UTF8.GetString(message)));
            }
            else
            {
                WriteValue(l, -1, reply, respVersion, 0);
            }
        }
        finally
        {
            Enforce(false);
            LuaNative.lua_settop(l, 1);
            _run = null;
            if (Reusable && MemoryUsed > ScriptEngine.PooledStateBytes)
                LuaNative.lua_gc(l, LuaNative.GcCollect, 0);
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_state != IntPtr.Zero)
            LuaNative.lua_close(_state);
        Release();
    }

    private void Release()
    {
        if (_self.IsAllocated)
            _self.Free();
        if (_nodeMemoryHandle.IsAllocated)
            _nodeMemoryHandle.Free();
        Marshal.FreeHGlobal(_accounting);
    }

    private void Enforce(bool on) => Marshal.WriteInt64(_accounting, EnforceOffset, on ? 1 : 0);

    private static void PushArray(IntPtr l, byte[][] items)
    {
        LuaNative.lua_createtable(l, items.Length, 0);
        for (var i = 0; i < items.Length; i++)
        {
            LuaNative.PushBytes(l, items[i]);
            LuaNative.lua_rawseti(l, -2, i + 1);
        }
    }

    /// <summary>An uncaught error: a table with <c>err</c> is the reply as it is; anything else becomes an ERR naming the script.</summary>
    private static void WriteScriptError(IntPtr l, IBufferWriter<byte> reply, ReadOnlySpan<byte> sha)
    {
        if (LuaNative.lua_type(l, -1) == LuaNative.TypeTable && LuaNative.RawGetField(l, -1, "err"u8) == LuaNative.TypeString)
        {
            WriteErrorReply(reply, LuaNative.ToBytes(l, -1)!);
            return;
        }
        var text = LuaNative.lua_type(l, -1) is LuaNative.TypeString or LuaNative.TypeNumber
            ? Encoding.UTF8.GetString(LuaNative.ToBytes(l, -1)!)
            : "unknown error";
        RespWriter.WriteError(reply, Clean($"Error running script (call to f_{Encoding.ASCII.GetString(sha)}): {text}"));
    }

    /// <summary>An error reply from a script's <c>{err=...}</c>: its first word is the code when it is upper case (WRONGTYPE, ERR...), else ERR is added.</summary>
    private static void WriteErrorReply(IBufferWriter<byte> reply, byte[] message)
    {
        var text = Encoding.UTF8.GetString(message).TrimStart('-');
        if (text.Length == 0)
        {
            // redis.error_reply(""): Redis answers a bare -ERR (no message, no trailing space).
            RespWriter.WriteRaw(reply, "-ERR\r\n"u8);
            return;
        }
        var space = text.IndexOf(' ');
        var code = space > 0 ? text[..space] : text;
        if (code.Length > 0 && code.All(ch => ch is >= 'A' and <= 'Z' or '_' or >= '0' and <= '9'))
            RespWriter.WriteError(reply, Encoding.ASCII.GetBytes(code), space > 0 ? Clean(text[(space + 1)..]) : []);
        else
            RespWriter.WriteError(reply, Clean(text));
    }

    /// <summary>Text fit for a RESP error line (Redis replaces line breaks in script errors the same way).</summary>
    private static byte[] Clean(string text) => Encoding.UTF8.GetBytes(text.Replace('\r', ' ').Replace('\n', ' '));

    /// <summary>Writes the Lua value at <paramref name="index"/> as RESP (raw reads only: no metamethod of the script runs).</summary>
    private static void WriteValue(IntPtr l, int index, IBufferWriter<byte> w, int respVersion, int depth)
    {
        switch (LuaNative.lua_type(l, index))
        {
            case LuaNative.TypeString:
                RespWriter.WriteBulkString(w, LuaNative.ToBytes(l, index));
                break;
            case LuaNative.TypeNumber:
                RespWriter.WriteInteger(w, ToInteger(l, index));
                break;
            case LuaNative.TypeBoolean:
                if (LuaNative.lua_toboolean(l, index) != 0)
                    RespWriter.WriteRaw(w, RespReplies.One);
                else
                    RespKeyCommands.WriteNull(w, respVersion);
                break;
            case LuaNative.TypeTable:
                WriteTable(l, index, w, respVersion, depth);
                break;
            default:
                RespKeyCommands.WriteNull(w, respVersion);
                break;
        }
    }

    private static void WriteTable(IntPtr l, int index, IBufferWriter<byte> w, int respVersion, int depth)
    {
        if (depth >= MaxDepth || LuaNative.lua_checkstack(l, 4) == 0)
        {
            RespWriter.WriteError(w, "reached lua stack limit"u8);
            return;
        }
        var table = index < 0 ? LuaNative.lua_gettop(l) + index + 1 : index;
        if (LuaNative.RawGetField(l, table, "err"u8) == LuaNative.TypeString)
        {
            WriteErrorReply(w, LuaNative.ToBytes(l, -1)!);
            LuaNative.lua_settop(l, -2);
            return;
        }
        LuaNative.lua_settop(l, -2);
        if (LuaNative.RawGetField(l, table, "ok"u8) == LuaNative.TypeString)
        {
            RespWriter.WriteSimpleString(w, Clean(Encoding.UTF8.GetString(LuaNative.ToBytes(l, -1)!)));
            LuaNative.lua_settop(l, -2);
            return;
        }
        LuaNative.lua_settop(l, -2);
        var count = 0;
        while (LuaNative.lua_rawgeti(l, table, count + 1) != LuaNative.TypeNil)
        {
            LuaNative.lua_settop(l, -2);
            count++;
        }
        LuaNative.lua_settop(l, -2);
        RespWriter.WriteArrayHeader(w, count);
        for (var i = 1; i <= count; i++)
        {
            LuaNative.lua_rawgeti(l, table, i);
            WriteValue(l, -1, w, respVersion, depth + 1);
            LuaNative.lua_settop(l, -2);
        }
    }

    /// <summary>A Lua number as Redis's integer reply: integers as they are, floats truncated toward zero (clamped).</summary>
    private static long ToInteger(IntPtr l, int index)
    {
        if (LuaNative.lua_isinteger(l, index) != 0)
            return LuaNative.lua_tointegerx(l, index, IntPtr.Zero);
        var d = LuaNative.lua_tonumberx(l, index, IntPtr.Zero);
        if (double.IsNaN(d))
            return long.MinValue;
        return d >= 9.2233720368547758e18 ? long.MaxValue : d <= -9.2233720368547758e18 ? long.MinValue : (long)d;
    }

    /// <summary>lua_Alloc: realloc within the limit while a script runs; never raises.</summary>
    private static IntPtr Allocate(IntPtr ud, IntPtr ptr, UIntPtr osize, UIntPtr nsize)
    {
        // For a new block Lua passes the object's type in osize, not a size.
        var old = ptr == IntPtr.Zero ? 0L : (long)osize;
        var used = Marshal.ReadInt64(ud, UsedOffset);
        var node = (ScriptMemory)GCHandle.FromIntPtr(Marshal.ReadIntPtr(ud, NodeMemoryOffset)).Target!;
        if (nsize == UIntPtr.Zero)
        {
            if (ptr != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(ptr);
                Marshal.WriteInt64(ud, UsedOffset, used - old);
                node.Add(-old);
            }
            return IntPtr.Zero;
        }
        var grow = (long)nsize - old;
        if (grow > 0 && Marshal.ReadInt64(ud, EnforceOffset) != 0
            && (used + grow > Marshal.ReadInt64(ud, LimitOffset) || !node.Allows(grow)))
            return IntPtr.Zero;
        IntPtr block;
        try
        {
            block = ptr == IntPtr.Zero ? Marshal.AllocHGlobal((nint)nsize) : Marshal.ReAllocHGlobal(ptr, (nint)nsize);
        }
        catch (OutOfMemoryException)
        {
            return IntPtr.Zero;
        }
        Marshal.WriteInt64(ud, UsedOffset, used + grow);
        node.Add(grow);
        return block;
    }

    private static LuaSandbox? Self(IntPtr l)
    {
        var handle = LuaNative.lua_touserdata(l, LuaNative.UpvalueIndex(1));
        return handle == IntPtr.Zero ? null : GCHandle.FromIntPtr(handle).Target as LuaSandbox;
    }

    /// <summary>redis.call/pcall: returns (true, reply) or (false, {err=...}); never raises.</summary>
    private static int HostCall(IntPtr l)
    {
        var sandbox = Self(l);
        var accounting = sandbox?._accounting ?? IntPtr.Zero;
        if (accounting != IntPtr.Zero)
            Marshal.WriteInt64(accounting, EnforceOffset, 0);
        try
        {
            var run = sandbox?._run;
            var n = LuaNative.lua_gettop(l);
            if (run is null)
                return PushFailure(l, "ERR redis.call is only available while a script runs");
            if (n == 0)
                return PushFailure(l, "ERR Please specify at least one argument for this redis lib call");
            var args = new byte[n][];
            for (var i = 1; i <= n; i++)
            {
                var type = LuaNative.lua_type(l, i);
                if (type == LuaNative.TypeNumber && LuaNative.lua_isinteger(l, i) == 0)
                    args[i - 1] = FormatDouble(LuaNative.lua_tonumberx(l, i, IntPtr.Zero));
                else if (type is LuaNative.TypeString or LuaNative.TypeNumber)
                    args[i - 1] = LuaNative.ToBytes(l, i)!;
                else
                    return PushFailure(l, "ERR Lua redis lib command arguments must be strings or integers");
            }
            var reply = run.Call(args);
            LuaNative.lua_settop(l, 0);
            var at = 0;
            var isError = reply.Length > 0 && reply[0] == (byte)'-';
            if (isError)
                run.NoteError(reply);
            LuaNative.lua_pushboolean(l, isError ? 0 : 1);
            if (!PushReply(l, reply, ref at, 0))
            {
                LuaNative.lua_settop(l, 0);
                return PushFailure(l, "ERR the command's reply could not be read back");
            }
            return 2;
        }
        catch (Exception e)
        {
            LuaNative.lua_settop(l, 0);
            return PushFailure(l, "ERR " + e.Message);
        }
        finally
        {
            if (accounting != IntPtr.Zero)
                Marshal.WriteInt64(accounting, EnforceOffset, 1);
        }
    }

    /// <summary>The hook's question: the message to stop with, or nil to go on.</summary>
    private static int HostCheck(IntPtr l)
    {
        var sandbox = Self(l);
        if (sandbox?._run is not { Killed: true })
            return 0; // no result: nil, the script goes on
        sandbox.Enforce(false);
        LuaNative.PushBytes(l, "ERR Script killed by user with SCRIPT KILL..."u8);
        sandbox.Enforce(true);
        return 1;
    }

    /// <summary>redis.sha1hex.</summary>
    private static int HostSha1(IntPtr l)
    {
        var sandbox = Self(l);
        if (sandbox is null)
            return 0;
        sandbox.Enforce(false);
        try
        {
            LuaNative.PushBytes(l, ScriptEngine.Sha1Hex(LuaNative.ToBytes(l, 1) ?? []));
            return 1;
        }
        catch (Exception)
        {
            return 0;
        }
        finally
        {
            sandbox.Enforce(true);
        }
    }

    /// <summary>redis.log: FastDht does not write script messages to its log (a script could flood it).</summary>
    private static int HostLog(IntPtr l) => 0;

    private static int PushFailure(IntPtr l, string message)
    {
        LuaNative.lua_settop(l, 0);
        LuaNative.lua_pushboolean(l, 0);
        PushErrorTable(l, Encoding.UTF8.GetBytes(message));
        return 2;
    }

    private static void PushErrorTable(IntPtr l, ReadOnlySpan<byte> message)
    {
        LuaNative.lua_createtable(l, 0, 1);
        LuaNative.PushBytes(l, "err"u8);
        LuaNative.PushBytes(l, message);
        LuaNative.lua_rawset(l, -3);
    }

    /// <summary>Pushes one RESP2 reply from <paramref name="r"/> at <paramref name="at"/> as a Lua value; false if malformed or too deep.</summary>
    private static bool PushReply(IntPtr l, ReadOnlySpan<byte> r, ref int at, int depth)
    {
        if (depth >= MaxDepth || LuaNative.lua_checkstack(l, 4) == 0 || at >= r.Length)
            return false;
        var type = r[at];
        var end = r[at..].IndexOf("\r\n"u8);
        if (end < 0)
            return false;
        var line = r.Slice(at + 1, end - 1);
        at += end + 2;
        switch (type)
        {
            case (byte)'+':
                LuaNative.lua_createtable(l, 0, 1);
                LuaNative.PushBytes(l, "ok"u8);
                LuaNative.PushBytes(l, line);
                LuaNative.lua_rawset(l, -3);
                return true;
            case (byte)'-':
                PushErrorTable(l, line);
                return true;
            case (byte)':':
            {
                if (!Utf8Parser.TryParse(line, out long integer, out var digits) || digits != line.Length)
                    return false;
                LuaNative.lua_pushinteger(l, integer);
                return true;
            }
            case (byte)'$':
            {
                if (!Utf8Parser.TryParse(line, out int length, out var digits) || digits != line.Length)
                    return false;
                if (length < 0)
                {
                    LuaNative.lua_pushboolean(l, 0);
                    return true;
                }
                if (at + length + 2 > r.Length)
                    return false;
                LuaNative.PushBytes(l, r.Slice(at, length));
                at += length + 2;
                return true;
            }
            case (byte)'*':
            {
                if (!Utf8Parser.TryParse(line, out int count, out var digits) || digits != line.Length)
                    return false;
                if (count < 0)
                {
                    LuaNative.lua_pushboolean(l, 0);
                    return true;
                }
                LuaNative.lua_createtable(l, count, 0);
                for (var i = 1; i <= count; i++)
                {
                    if (!PushReply(l, r, ref at, depth + 1))
                        return false;
                    LuaNative.lua_rawseti(l, -2, i);
                }
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>A float argument as Redis formats it for a command: integral values without a fraction, others shortest round-trip.</summary>
    private static byte[] FormatDouble(double d)
    {
        if (Math.Abs(d) < 1e17 && d == Math.Floor(d))
            return Encoding.ASCII.GetBytes(((long)d).ToString(CultureInfo.InvariantCulture));
        return Encoding.ASCII.GetBytes(d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal));
    }
}
