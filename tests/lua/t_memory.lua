-- Worker memory stays flat over 100,000 requests: /t/memory?port=P&n=N
--
-- Two phases against one server (h2c): N requests on a reused session
-- (each one parks the session with keepalive(key) and the cosocket with
-- setkeepalive, and the next takes both back: the path a handler that
-- keeps its session uses), then N requests through the worker pool
-- (pool.request from 50 light threads). Each phase samples the worker at
-- N/10 requests (warmed up: the JIT's traces, the pool's connection, the
-- allocator's arenas exist) and at N, after full garbage collections:
--   - the Lua heap (collectgarbage("count")),
--   - the C heap in use (glibc's mallinfo2: libh2's connections, streams,
--     HPACK tables and buffers, OpenSSL's and nginx's allocations),
--   - the resident set (VmRSS of /proc/self/status).
-- A leak of a few bytes per request shows in the C or Lua heap: 90,000
-- requests of 8 leaked bytes are 703 KiB, over the bounds below.

local ffi = require "ffi"
local http2 = require "resty.http2"
local pool = require "resty.http2.pool"
local t = require "harness"

if not pcall(ffi.typeof, "struct mallinfo2") then
    ffi.cdef [[
    struct mallinfo2 {
        size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks,
               uordblks, fordblks, keepcost;
    };
    struct mallinfo2 mallinfo2(void);
    ]]
end

local port = tonumber(ngx.var.arg_port)
local total = tonumber(ngx.var.arg_n) or 100000
local warm = math.floor(total / 10)
local check = t.checker("memory")
local authority = "127.0.0.1:" .. port
local one_k = t.read_file(ngx.var.arg_docroot .. "/1k.bin")

-- Growth allowed between the sample at N/10 and the one at N (KiB).
local LUA_HEAP_BOUND = 512
local C_HEAP_BOUND = 512
local RSS_BOUND = 4096

local function rss_kib()
    local f = assert(io.open("/proc/self/status"))
    local status = f:read("*a")
    f:close()
    return tonumber(status:match("VmRSS:%s*(%d+)"))
end

local function sample()
    collectgarbage("collect")
    collectgarbage("collect")
    local info = ffi.C.mallinfo2()
    return { lua = collectgarbage("count"),
             c = tonumber(info.uordblks + info.hblkhd) / 1024,
             rss = rss_kib() }
end

local function report(phase, first, last)
    ngx.say(string.format("# %s: at %d requests Lua %.0f KiB, C heap %.0f KiB, RSS %d KiB;"
        .. " at %d: Lua %.0f, C heap %.0f, RSS %d", phase, warm, first.lua, first.c,
        first.rss, total, last.lua, last.c, last.rss))
    check(last.lua - first.lua < LUA_HEAP_BOUND, string.format(
        "%s: Lua heap grew %.0f KiB (< %d) from %d to %d requests", phase,
        last.lua - first.lua, LUA_HEAP_BOUND, warm, total))
    check(last.c - first.c < C_HEAP_BOUND, string.format(
        "%s: C heap grew %.0f KiB (< %d) from %d to %d requests", phase,
        last.c - first.c, C_HEAP_BOUND, warm, total))
    check(last.rss - first.rss < RSS_BOUND, string.format(
        "%s: RSS grew %d KiB (< %d) from %d to %d requests", phase,
        last.rss - first.rss, RSS_BOUND, warm, total))
end

local headers = t.request_headers(authority, "http", "GET", "/1k.bin")
local key = "memory-" .. port

-- One request on the session parked under `key` (a new one the first
-- time), parked again afterwards; true, or nil and the error.
local function kept_request()
    local sock, err = t.connect(port, key)
    if not sock then
        return nil, err
    end
    local client
    client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send, key = key }
    if not client then
        return nil, err
    end
    local stream
    stream, err = client:send_request(headers)
    if not stream then
        return nil, err
    end
    local body
    body, err = t.read_all(client, stream)
    if body ~= one_k then
        return nil, err or ("body of " .. #body .. " bytes")
    end
    client:keepalive(key)
    sock:setkeepalive(75000, 1)
    return true
end

local function kept_phase()
    local first
    for i = 1, total do
        local ok, err = kept_request()
        if not ok then
            check(false, "reused session: request " .. i, err)
            return
        end
        if i == warm then
            first = sample()
        end
    end
    report("reused session", first, sample())
end

local THREADS = 50

local function pool_phase()
    local url = "http://" .. authority .. "/1k.bin"
    local each = math.floor(total / THREADS)
    local function run(from, to)
        for _ = from, to do
            local res, err = pool.request(url)
            if not res or res.body ~= one_k then
                return err or ("status " .. res.status)
            end
        end
        return true
    end
    local function in_threads(count)
        local threads = {}
        for i = 1, THREADS do
            threads[i] = ngx.thread.spawn(run, 1, count)
        end
        for i = 1, THREADS do
            local ok, res = ngx.thread.wait(threads[i])
            if not ok or res ~= true then
                return res
            end
        end
        return true
    end
    local err = in_threads(math.floor(warm / THREADS))
    if err ~= true then
        check(false, "pool: the first " .. warm .. " requests", err)
        return
    end
    local first = sample()
    err = in_threads(each - math.floor(warm / THREADS))
    if err ~= true then
        check(false, "pool: the requests after " .. warm, err)
        return
    end
    report("pool", first, sample())
end

kept_phase()
pool_phase()
ngx.say("done")
