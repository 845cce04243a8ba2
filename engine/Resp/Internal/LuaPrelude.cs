namespace FastDht.Engine.Resp.Internal;

/// <summary>The Lua code every script state runs once at creation: the sandbox, the <c>redis</c> library and the kill hook.</summary>
/// <remarks>
/// Called with the host functions (call, check, sha1, log) as arguments, it returns the runner
/// <c>run(sha, body, keys, argv)</c>, which compiles a script once per state (text only: Lua bytecode can crash the
/// VM, so binary chunks are refused), gives each run its own read-only environment (as in Redis 7, setting a global
/// raises <c>Attempt to modify a readonly table</c> and reading an unknown one raises <c>Script attempted to access
/// nonexistent global variable</c>; the libraries are read-only views, so no script can change what a later one
/// sees), arms the instruction-count hook
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
        -- What getmetatable shows of a protected table (a library view, the globals): itself read-only, so a script
        -- can neither change a protected table's metatable nor the one it is shown.
        local locked = setmetatable({}, { __newindex = readonly_error, __metatable = false })
        local function readonly(t)
          return setmetatable({}, { __index = t, __newindex = readonly_error, __metatable = locked })
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
        local rawget, rawset, tostring = rawget, rawset, tostring
        local base = { unpack = unpack, _VERSION = _VERSION }
        for _, n in ipairs({ 'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'rawequal', 'rawget', 'rawlen',
                             'select', 'getmetatable', 'tonumber', 'tostring', 'type', 'xpcall' }) do
          base[n] = _G[n]
        end
        -- A finalizer would run outside any script (in a later one, or when the state closes): none may be set.
        base.setmetatable = function(t, mt)
          if getmetatable(t) == locked then error('Attempt to modify a readonly table', 2) end
          if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then error('__gc metamethods are not allowed in scripts', 2) end
          return setmetatable(t, mt)
        end
        base.rawset = function(t, k, v)
          if getmetatable(t) == locked then error('Attempt to modify a readonly table', 2) end
          return rawset(t, k, v)
        end

        -- The globals, as Redis 7 keeps them: read-only (a script that sets one gets 'Attempt to modify a readonly
        -- table', as in Redis, rather than a value that silently vanishes with the run), and reading one that does
        -- not exist is an error (a misspelt name or a library Redis removed, such as print or loadfile), not nil.
        local globals = {}
        for k, v in pairs(base) do globals[k] = v end
        for k, v in pairs(libs) do globals[k] = readonly(v) end
        local missing_mt = {
          __index = function(_, name) error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2) end,
          __metatable = locked,
        }

        -- loadstring (Lua 5.1's, which Redis scripts have): text only, compiled into the running script's environment
        -- (a state runs one script at a time, so the environment of the run in progress is the one).
        local current_env
        globals.loadstring = function(s, chunkname)
          return load(s, chunkname or '=(loadstring)', 't', current_env)
        end

        -- Each run sees its own copy of the globals with KEYS, ARGV and _G through an empty read-only proxy (one
        -- table lookup past the proxy, as fast as a plain environment for the names a script uses).
        local function sandbox(keys, argv)
          local run = {}
          for k, v in pairs(globals) do run[k] = v end
          run.KEYS = keys
          run.ARGV = argv
          local env = setmetatable({}, { __index = run, __newindex = readonly_error, __metatable = locked })
          run._G = env
          setmetatable(run, missing_mt)
          current_env = env
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
