using System.Runtime.InteropServices;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The few functions of the Lua 5.4 C API that scripts need, bound straight to the native library the KeraLua package
/// ships (<c>runtimes/*/native/liblua54</c>).
/// </summary>
/// <remarks>
/// Bound here rather than through KeraLua's managed wrapper so that every call and callback is visible in one place
/// and checked against one rule: a Lua error is a C <c>longjmp</c>, and a longjmp across a managed frame is undefined
/// behaviour in .NET on Linux. So managed code only ever calls functions that cannot raise (the raw accessors, pushes
/// made with the script's memory limit lifted, <c>lua_pcallk</c>, <c>luaL_loadbufferx</c>) and no callback raises:
/// callbacks return status values and the Lua side (<see cref="LuaSandbox"/>'s prelude) turns them into errors.
/// </remarks>
internal static class LuaNative
{
    private const string Library = "lua54";

    public const int RegistryIndex = -1000000 - 1000; // LUA_REGISTRYINDEX: -LUAI_MAXSTACK - 1000

    public const int TypeNil = 0;
    public const int TypeBoolean = 1;
    public const int TypeNumber = 3;
    public const int TypeString = 4;
    public const int TypeTable = 5;

    public const int StatusOk = 0;
    public const int StatusMemory = 4;

    public const int GcCollect = 2;

    /// <summary>lua_Alloc.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate IntPtr AllocFunction(IntPtr ud, IntPtr ptr, UIntPtr osize, UIntPtr nsize);

    /// <summary>lua_CFunction.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int CFunction(IntPtr state);

    public static int UpvalueIndex(int i) => RegistryIndex - i;

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr lua_newstate(IntPtr allocator, IntPtr ud);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_close(IntPtr state);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void luaL_openlibs(IntPtr state);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int luaL_loadbufferx(IntPtr state, ref byte buffer, UIntPtr size, ref byte name, ref byte mode);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_pcallk(IntPtr state, int nargs, int nresults, int errfunc, IntPtr ctx, IntPtr k);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_gettop(IntPtr state);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_settop(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_pushvalue(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_checkstack(IntPtr state, int n);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_type(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_isinteger(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern double lua_tonumberx(IntPtr state, int index, IntPtr isnum);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern long lua_tointegerx(IntPtr state, int index, IntPtr isnum);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_toboolean(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr lua_tolstring(IntPtr state, int index, out UIntPtr length);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr lua_touserdata(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_pushnil(IntPtr state);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_pushinteger(IntPtr state, long n);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_pushboolean(IntPtr state, int b);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr lua_pushlstring(IntPtr state, ref byte s, UIntPtr length);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_pushcclosure(IntPtr state, IntPtr function, int n);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_pushlightuserdata(IntPtr state, IntPtr p);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_createtable(IntPtr state, int narr, int nrec);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_rawgeti(IntPtr state, int index, long n);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_rawseti(IntPtr state, int index, long n);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_rawget(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern void lua_rawset(IntPtr state, int index);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    public static extern int lua_gc(IntPtr state, int what, int data);

    /// <summary>Pushes <paramref name="bytes"/> as a Lua string (binary-safe).</summary>
    public static void PushBytes(IntPtr state, ReadOnlySpan<byte> bytes) =>
        lua_pushlstring(state, ref MemoryMarshal.GetReference(bytes), (UIntPtr)bytes.Length);

    /// <summary>The string (or number, converted in place) at <paramref name="index"/> as bytes; null when it is neither.</summary>
    public static byte[]? ToBytes(IntPtr state, int index)
    {
        var p = lua_tolstring(state, index, out var length);
        if (p == IntPtr.Zero)
            return null;
        var bytes = new byte[(int)length];
        Marshal.Copy(p, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Pushes the raw field <paramref name="name"/> of the table at <paramref name="table"/> (no metamethod runs); returns its type.</summary>
    public static int RawGetField(IntPtr state, int table, ReadOnlySpan<byte> name)
    {
        var at = table < 0 && table > RegistryIndex ? lua_gettop(state) + table + 1 : table;
        PushBytes(state, name);
        return lua_rawget(state, at);
    }
}
