namespace FastDht.Engine.Resp.Internal;

/// <summary>The Lua code every script state runs once at creation: the sandbox, the <c>redis</c> library and the kill hook.</summary>
/// <remarks>
/// Called with the host functions (call, check, sha1, log) as arguments, it returns the runner
/// <c>run(sha, body, keys, argv)</c>, which compiles a script once per state (text only: Lua bytecode can crash the
/// VM, so binary chunks are refused), gives each run a fresh environment (globals a script sets vanish with it, the
/// libraries are read-only views, so no script can change what a later one sees), arms the instruction-count hook
/// and calls the script. The hook asks the host every <c>EVERY</c> instructions whether the run was killed; if so it
/// re-arms itself for every instruction and raises, so even a script that catches the error with <c>pcall</c> is
/// stopped at its next instruction. Coroutines get the same hook when they are created. Nothing here can reach
/// <c>debug</c>, <c>load</c>, <c>io</c>, <c>os</c>, <c>package</c> or <c>string.dump</c> from a script.
/// </remarks>
internal static class LuaPrelude
{
    public static ReadOnlySpan<byte> Source => """
        local host_call, host_check, host_sha1, host_log = ...
        local sethook, setupvalue = debug.sethook, debug.setupvalue
        local load, error, type, pairs, ipairs, setmetatable, getmetatable = load, error, type, pairs, ipairs, setmetatable, getmetatable
        local pack, unpack = table.pack, table.unpack
        local co_create, co_resume = coroutine.create, coroutine.resume
        local EVERY = 10000

        local hook
        hook = function()
          local why = host_check()
          if why then
            sethook(hook, '', 1)
            error(why, 0)
          end
        end

        local function guarded_create(f)
          local co = co_create(f)
          sethook(co, hook, '', EVERY)
          return co
        end
        local function guarded_wrap(f)
          local co = guarded_create(f)
          return function(...)
            local r = pack(co_resume(co, ...))
            if r[1] then return unpack(r, 2, r.n) end
            error(r[2], 0)
          end
        end

        local function readonly_error() error('Attempt to modify a readonly table', 2) end
        local function readonly(t)
          return setmetatable({}, { __index = t, __newindex = readonly_error, __metatable = false })
        end

        local redis = {
          call = function(...)
            local ok, r = host_call(...)
            if ok then return r end
            error(r, 0)
          end,
          pcall = function(...)
            local ok, r = host_call(...)
            return r
          end,
          error_reply = function(msg)
            if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
            return { err = msg }
          end,
          status_reply = function(msg)
            if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
            return { ok = msg }
          end,
          sha1hex = function(s)
            if type(s) ~= 'string' and type(s) ~= 'number' then error('wrong number or type of arguments', 2) end
            return host_sha1(s)
          end,
          log = function(level, ...) host_log(level, ...) end,
          setresp = function(v)
            if v ~= 2 then error('RESP version must be 2 in FastDht scripts', 2) end
          end,
          set_repl = function() end,
          replicate_commands = function() return true end,
          breakpoint = function() return false end,
          debug = function() end,
          REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
          LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
          REDIS_VERSION = '7.2.0', REDIS_VERSION_NUM = 0x070200,
        }

        string.dump = nil
        local string_lib = {}
        for k, v in pairs(string) do string_lib[k] = v end
        getmetatable('').__metatable = false

        local libs = {
          string = string_lib, table = table, math = math, utf8 = utf8, redis = redis,
          coroutine = {
            create = guarded_create, wrap = guarded_wrap, resume = co_resume, yield = coroutine.yield,
            status = coroutine.status, running = coroutine.running, isyieldable = coroutine.isyieldable,
            close = coroutine.close,
          },
        }
        local rawget = rawget
        local base = { unpack = unpack, _VERSION = _VERSION }
        for _, n in ipairs({ 'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'rawequal', 'rawget', 'rawlen',
                             'rawset', 'select', 'getmetatable', 'tonumber', 'tostring', 'type', 'xpcall' }) do
          base[n] = _G[n]
        end
        -- A finalizer would run outside any script (in a later one, or when the state closes): none may be set.
        base.setmetatable = function(t, mt)
          if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then error('__gc metamethods are not allowed in scripts', 2) end
          return setmetatable(t, mt)
        end

        local function sandbox(keys, argv)
          local env = {}
          for k, v in pairs(base) do env[k] = v end
          for k, v in pairs(libs) do env[k] = readonly(v) end
          env.KEYS = keys
          env.ARGV = argv
          env._G = env
          return env
        end

        local cache, cached = {}, 0
        return function(sha, body, keys, argv)
          local fn = cache[sha]
          if fn == nil then
            local f, err = load(body, '@user_script', 't')
            if f == nil then return false, err end
            if cached >= 256 then cache, cached = {}, 0 end
            cache[sha] = f
            cached = cached + 1
            fn = f
          end
          setupvalue(fn, 1, sandbox(keys, argv))
          sethook(hook, '', EVERY)
          return true, fn()
        end
        """u8;
}
