-- resty.http2.pool: a worker-wide pool of HTTP/2 connections shared by
-- every request handler of the nginx worker.
--
-- A cosocket belongs to the request (or timer) that created it, so no
-- handler can lend its connection to another. Here each connection is
-- created and owned by an ngx.timer: one light thread of that timer reads
-- frames, another sends what the handlers queued. Handlers reach a
-- connection through this module: they submit requests to the connection
-- core directly (plain FFI calls, no I/O), kick the owner's sender through
-- a semaphore, and wait on a semaphore for the owner's reader to deliver
-- their responses. See docs/lua.md ("The worker pool").
--
--   local pool = require "resty.http2.pool"
--   local res, err = pool.request("https://api.example.com/v1/x", {
--       method = "POST", headers = { ["content-type"] = "application/json" },
--       body = "{}", timeout = 5,
--   })
--   -- res.status, res.headers, res.body, res.trailers
--
-- Connections are keyed by origin (scheme, host, port) and TLS settings.
-- A connection takes new requests while it has a free stream slot under
-- the server's SETTINGS_MAX_CONCURRENT_STREAMS; when all are full another
-- one is opened, up to `max_connections` per key, and past that requests
-- wait for a slot. A GOAWAY drains a connection: it finishes its streams
-- and closes, while new requests go to another. Idle connections close
-- after `idle_timeout`; a connection quiet for `ping_interval` gets a PING
-- and is dropped when the ACK does not come within `ping_timeout`.

local http2 = require "resty.http2"
local lib = require("resty.http2.core").lib
local semaphore = require "ngx.semaphore"

local ngx_now = ngx.now
local ngx_log = ngx.log
local ERR, INFO = ngx.ERR, ngx.INFO

local _M = { _VERSION = "0.1" }

local MAX_ATTEMPTS = 3

local defaults = {
    max_connections = 4,     -- per key
    connect_timeout = 5,     -- seconds: TCP connect and TLS handshake
    timeout = 30,            -- seconds: one request, first byte to last
    idle_timeout = 60,       -- seconds without streams before a connection closes
    ping_interval = 30,      -- seconds of silence before a health-check PING
    ping_timeout = 5,        -- seconds for its ACK
    read_timeout = 3600,     -- seconds: the owner's cosocket read timeout
}
_M.defaults = defaults

-- key -> { conns = { entry, ... }, slot = semaphore }
local pools = {}

-- Counters an application (and the tests) can read: pool.stats().
local stats = { connections_opened = 0, connections_closed = 0, requests = 0,
                retries = 0, timeouts = 0, pings = 0, dead = 0 }

-- pool.stats() -> the worker's counters; pool.stats(key) -> those of one
-- pool key ({ live_connections, connections_opened, requests }).
function _M.stats(key)
    if key then
        local pool = pools[key]
        if not pool then
            return { live_connections = 0, connections_opened = 0, requests = 0 }
        end
        return { live_connections = #pool.conns, connections_opened = pool.opened,
                 requests = pool.requests }
    end
    local copy = {}
    for k, v in pairs(stats) do
        copy[k] = v
    end
    local live = 0
    for _, pool in pairs(pools) do
        live = live + #pool.conns
    end
    copy.live_connections = live
    return copy
end

local function option(opts, name)
    local v = opts and opts[name]
    if v == nil then
        return defaults[name]
    end
    return v
end

-- Origin --------------------------------------------------------------------

-- "https://host:port/path?q" -> scheme, host, port, path (with query).
local function parse_url(url)
    if type(url) ~= "string" then
        return nil, "url must be a string"
    end
    local scheme, rest = url:match("^(https?)://(.+)$")
    if not scheme then
        return nil, "url must start with http:// or https://: " .. url
    end
    local authority, path = rest:match("^([^/?#]+)(.*)$")
    if not authority then
        return nil, "url has no host: " .. url
    end
    local host, port = authority:match("^%[([^%]]+)%]:?(%d*)$")
    if not host then
        host, port = authority:match("^([^:]+):?(%d*)$")
    end
    if not host or host == "" then
        return nil, "url has no host: " .. url
    end
    port = tonumber(port) or (scheme == "https" and 443 or 80)
    if port < 1 or port > 65535 then
        return nil, "url has a bad port: " .. url
    end
    path = path:gsub("#.*$", "")
    if path == "" then
        path = "/"
    elseif path:sub(1, 1) == "?" then
        path = "/" .. path
    end
    return { scheme = scheme, host = host, port = port, path = path,
             authority = authority }
end
_M.parse_url = parse_url

local function tls_options(origin, opts)
    if origin.scheme ~= "https" then
        return nil
    end
    local t = {}
    for k, v in pairs(opts and opts.tls or {}) do
        t[k] = v
    end
    t.server_name = t.server_name or origin.host
    return t
end

-- Connections are shared by requests with the same origin, TLS settings
-- and strictness about connection-specific response fields (a session
-- decides that when it starts).
local function pool_key(origin, tls, opts)
    local parts = { origin.scheme, origin.host, tostring(origin.port),
                    opts and opts.reject_connection_headers and "reject" or "drop" }
    if tls then
        for _, name in ipairs { "server_name", "ca_file", "ca_path", "cert_file",
                                "key_file", "alpn" } do
            parts[#parts + 1] = tls[name] or ""
        end
        parts[#parts + 1] = tls.verify == false and "insecure" or "verify"
    end
    return table.concat(parts, "|")
end

-- The connection owner (runs in an ngx.timer) ------------------------------

local function entry_usable(entry)
    local client = entry.client
    return entry.ready and not entry.draining and not entry.dead
           and not client.closed and not client.goaway_received and not client.goaway_sent
end

local function remove_entry(entry)
    local pool = entry.pool
    for i, e in ipairs(pool.conns) do
        if e == entry then
            table.remove(pool.conns, i)
            stats.connections_closed = stats.connections_closed + 1
            break
        end
    end
    -- Requests waiting for a slot may now open a connection of their own.
    if pool.slot_waiters > 0 then
        pool.slot:post(pool.slot_waiters)
        pool.slot_waiters = 0
    end
end

local pool_kick

-- The reader: frames in, events to the waiting handlers.
local function read_loop(entry)
    local client = entry.client
    while not client.closed do
        local ok, err = http2._serve_frame(client)
        if not ok then
            if not entry.closing then
                ngx_log(INFO, "resty.http2.pool: connection to ", entry.pool.key, " ended: ", err)
            end
            break
        end
        entry.last_frame = ngx_now()
        if client.goaway_received and not entry.draining then
            entry.draining = true
            pool_kick(entry)
        end
    end
    entry.dead = true
    entry.kick_sem:post(1)
end

-- Wakes the owner's sender.
function pool_kick(entry)
    if not entry.kick_pending then
        entry.kick_pending = true
        entry.kick_sem:post(1)
    end
end

-- Health: PING after ping_interval of silence, dead without its ACK.
local function check_health(entry, now)
    local client, opts = entry.client, entry.opts
    if entry.ping_sent_at then
        if (client.ping_acks or 0) > entry.ping_acks_before then
            entry.ping_sent_at = nil
        elseif now - entry.ping_sent_at > option(opts, "ping_timeout") then
            stats.dead = stats.dead + 1
            return "no PING ACK within " .. option(opts, "ping_timeout") .. " s"
        end
    elseif now - entry.last_frame > option(opts, "ping_interval") then
        entry.ping_acks_before = client.ping_acks or 0
        entry.ping_sent_at = now
        stats.pings = stats.pings + 1
        lib.h2_conn_ping(client.conn, "pool-png")
    end
end

-- The sender and housekeeper: flushes what handlers queued, closes the
-- connection when idle, drained or unhealthy.
local function owner_loop(entry)
    local client, opts = entry.client, entry.opts
    while true do
        entry.kick_pending = false
        local ok, err = http2._flush_now(client)
        if not ok then
            ngx_log(INFO, "resty.http2.pool: send to ", entry.pool.key, " failed: ", err)
            break
        end
        if entry.dead or client.closed then
            break
        end
        local now = ngx_now()
        local open = entry.active
        if open == 0 and (entry.draining or now - entry.last_used > option(opts, "idle_timeout")
                          or ngx.worker.exiting()) then
            break
        end
        local why = check_health(entry, now)
        if why then
            ngx_log(ERR, "resty.http2.pool: connection to ", entry.pool.key, " dropped: ", why)
            break
        end
        entry.kick_sem:wait(1)
    end
end

local function connect(entry)
    local origin, opts = entry.origin, entry.opts
    local sock = ngx.socket.tcp()
    local timeout_ms = option(opts, "connect_timeout") * 1000
    sock:settimeouts(timeout_ms, timeout_ms, timeout_ms)
    local ok, err = sock:connect(origin.host, origin.port)
    if not ok then
        return nil, "connect to " .. origin.host .. ":" .. origin.port .. ": " .. err
    end
    local client
    client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send,
                              tls = entry.tls,
                              preread_size = opts and opts.preread_size,
                              reject_connection_headers =
                                  opts and opts.reject_connection_headers }
    if not client then
        sock:close()
        return nil, err
    end
    -- The server's SETTINGS first: its MAX_CONCURRENT_STREAMS decides how
    -- many requests this connection may take (more would be refused).
    local ok_settings
    ok_settings, err = client:acknowledge_settings()
    if not ok_settings then
        sock:close()
        return nil, "no SETTINGS from " .. origin.host .. ":" .. origin.port .. ": " .. tostring(err)
    end
    local read_ms = option(opts, "read_timeout") * 1000
    sock:settimeouts(timeout_ms, timeout_ms, read_ms)
    return client, sock
end

local function run_connection(premature, entry)
    if premature then
        entry.dead, entry.err = true, "nginx worker exiting"
        entry.ready_sem:post(entry.ready_waiters + 1)
        remove_entry(entry)
        return
    end
    local client, sock = connect(entry)
    if not client then
        entry.dead, entry.err = true, sock
        entry.ready_sem:post(entry.ready_waiters + 1)
        remove_entry(entry)
        return
    end
    entry.client = client
    client.kick = function() pool_kick(entry) end
    entry.ready = true
    entry.last_frame, entry.last_used = ngx_now(), ngx_now()
    entry.ready_sem:post(entry.ready_waiters + 1)
    local reader = ngx.thread.spawn(read_loop, entry)
    owner_loop(entry)
    entry.closing = true
    entry.draining = true
    client.kick = nil
    if not client.closed and not entry.dead then
        -- A polite end: GOAWAY (and close_notify) before the socket closes.
        client:close()
        if client.transport then
            client.transport:close()
        end
    end
    -- The reader may be blocked on the socket: stop it, then fail whatever
    -- still waits on this connection (as retryable where the core says so).
    ngx.thread.kill(reader)
    http2._abandon(client, "connection went away")
    sock:close()
    entry.dead = true
    remove_entry(entry)
end

local function new_entry(pool, origin, tls, opts)
    local entry = {
        pool = pool, origin = origin, tls = tls, opts = opts,
        active = 0, ready = false, dead = false, draining = false,
        ready_sem = semaphore.new(), ready_waiters = 0,
        kick_sem = semaphore.new(), kick_pending = false,
    }
    local ok, err = ngx.timer.at(0, run_connection, entry)
    if not ok then
        return nil, "cannot start the connection's timer: " .. err
    end
    stats.connections_opened = stats.connections_opened + 1
    pool.opened = pool.opened + 1
    pool.conns[#pool.conns + 1] = entry
    return entry
end

-- Choosing a connection -----------------------------------------------------

local function has_slot(entry)
    local limit = tonumber(lib.h2_conn_peer_max_concurrent_streams(entry.client.conn))
    return entry.active < limit
end

-- A ready connection of `pool` with a free stream slot, or nil.
local function pick(pool)
    for _, entry in ipairs(pool.conns) do
        if entry_usable(entry) and has_slot(entry) then
            return entry
        end
    end
end

local function wait_ready(entry, deadline)
    while not entry.ready and not entry.dead do
        entry.ready_waiters = entry.ready_waiters + 1
        local ok = entry.ready_sem:wait(math.max(deadline - ngx_now(), 0.001))
        entry.ready_waiters = entry.ready_waiters - 1
        if not ok and ngx_now() >= deadline then
            return nil, "timeout"
        end
    end
    if entry.dead then
        return nil, entry.err or "connection failed"
    end
    return entry
end

-- A connection for one more request on `origin`, opening one if needed.
local function acquire(origin, tls, opts, deadline)
    local key = (opts and opts.pool) or pool_key(origin, tls, opts)
    local pool = pools[key]
    if not pool then
        pool = { key = key, conns = {}, slot = semaphore.new(), slot_waiters = 0,
                 opened = 0, requests = 0 }
        pools[key] = pool
    end
    while true do
        local entry = pick(pool)
        if entry then
            return entry
        end
        -- A connection still starting up takes requests as soon as it is up.
        for _, e in ipairs(pool.conns) do
            if not e.ready and not e.dead then
                local ok, err = wait_ready(e, deadline)
                if ok and entry_usable(e) and has_slot(e) then
                    return e
                end
                if not ok then
                    return nil, err
                end
            end
        end
        if #pool.conns < option(opts, "max_connections") then
            local err
            entry, err = new_entry(pool, origin, tls, opts)
            if not entry then
                return nil, err
            end
            local ok
            ok, err = wait_ready(entry, deadline)
            if not ok then
                return nil, err
            end
        else
            pool.slot_waiters = pool.slot_waiters + 1
            local ok = pool.slot:wait(math.max(deadline - ngx_now(), 0.001))
            if not ok and ngx_now() >= deadline then
                return nil, "timeout"
            end
        end
    end
end

local function release(entry)
    entry.active = entry.active - 1
    entry.last_used = ngx_now()
    local pool = entry.pool
    if pool.slot_waiters > 0 then
        pool.slot_waiters = pool.slot_waiters - 1
        pool.slot:post(1)
    end
    if entry.active == 0 then
        pool_kick(entry) -- an idle or drained connection may close now
    end
end

-- Requests ------------------------------------------------------------------

local function request_headers(origin, method, path, headers)
    local list = {
        { name = ":method", value = method },
        { name = ":scheme", value = origin.scheme },
        { name = ":authority", value = origin.authority },
        { name = ":path", value = path },
    }
    if headers then
        -- An array of {name=, value=} (the seed's shape) or a hash whose
        -- values may be arrays (repeated fields).
        if headers[1] then
            for _, f in ipairs(headers) do
                list[#list + 1] = { name = f.name:lower(), value = tostring(f.value) }
            end
        else
            for name, value in pairs(headers) do
                name = name:lower()
                if name == "host" then
                    list[3].value = value
                elseif type(value) == "table" then
                    for _, v in ipairs(value) do
                        list[#list + 1] = { name = name, value = tostring(v) }
                    end
                else
                    list[#list + 1] = { name = name, value = tostring(value) }
                end
            end
        end
    end
    return list
end

local function read_response(client, stream)
    local headers, err = client:read_headers(stream)
    if not headers then
        return nil, err
    end
    local parts = {}
    local done
    done, err = http2._each_body_piece(client, stream, function(data)
        parts[#parts + 1] = data
    end)
    if not done then
        return nil, err
    end
    return {
        status = tonumber(headers[":status"]),
        headers = headers,
        body = table.concat(parts),
        trailers = stream.trailers,
        interim = stream.interim,
    }
end

local function attempt(origin, tls, opts, method, path, deadline)
    local entry, err = acquire(origin, tls, opts, deadline)
    if not entry then
        return nil, err
    end
    entry.active = entry.active + 1
    entry.pool.requests = entry.pool.requests + 1
    local client = entry.client
    local stream
    stream, err = client:send_request(request_headers(origin, method, path, opts.headers),
                                      opts.body)
    local res
    if stream then
        stream.deadline = deadline
        res, err = read_response(client, stream)
        if not res and err == "timeout" and not stream.done then
            client:reset(stream)
        end
    end
    release(entry)
    if not res then
        ngx_log(INFO, "resty.http2.pool: request to ", entry.pool.key, " failed: ", err,
                stream and (" (stream " .. tostring(stream.sid) .. ", code " .. tostring(stream.error_code) .. ", retryable " .. tostring(stream.retryable) .. ")") or "")
        return nil, err, stream and stream.retryable or err == "goaway frame was received or sent"
    end
    return res
end

-- pool.request(url, opts?) -> res, err
--   opts: method ("GET"; "POST" when there is a body), headers (hash or
--   array of {name=, value=}), body (string or the seed's function),
--   timeout (seconds, default 30), tls (resty.http2.tls options; the
--   server name defaults to the URL's host), max_connections, idle_timeout,
--   ping_interval, ping_timeout, connect_timeout, pool (a key of your own),
--   preread_size and reject_connection_headers (as for http2.new).
--   res: { status = 200, headers = {...}, body = "...", trailers = {...}|nil }
-- A request the server provably did not process (refused, or above a
-- GOAWAY's last stream id) is retried, up to twice, on another connection
-- or the same one (a request with a function body, which cannot be
-- replayed, is not).
function _M.request(url, opts)
    local origin, err = parse_url(url)
    if not origin then
        return nil, err
    end
    opts = opts or {}
    if opts.body ~= nil and type(opts.body) ~= "string" and type(opts.body) ~= "function" then
        return nil, "body must be a string or a function"
    end
    local method = opts.method or (opts.body and "POST" or "GET")
    local deadline = ngx_now() + option(opts, "timeout")
    local tls = tls_options(origin, opts)
    stats.requests = stats.requests + 1
    local res, retryable
    for try = 1, MAX_ATTEMPTS do
        res, err, retryable = attempt(origin, tls, opts, method, origin.path, deadline)
        if res or not retryable or type(opts.body) == "function" or try == MAX_ATTEMPTS then
            break
        end
        stats.retries = stats.retries + 1
    end
    if not res and err == "timeout" then
        stats.timeouts = stats.timeouts + 1
    end
    return res, err
end

-- The seed's client API on a pooled connection: pool.client(url, opts)
-- returns an object with send_request / read_headers / read_body /
-- request / ping / reset, bound to one of the pool's connections for the
-- origin; keepalive() and close() hand it back to the pool (the shared
-- connection stays open for the worker's other requests).
local pooled = {}
local pooled_mt = { __index = pooled }

function _M.client(url, opts)
    local origin, err = parse_url(url)
    if not origin then
        return nil, err
    end
    opts = opts or {}
    local deadline = ngx_now() + option(opts, "connect_timeout")
    local entry
    entry, err = acquire(origin, tls_options(origin, opts), opts, deadline)
    if not entry then
        return nil, err
    end
    entry.active = entry.active + 1
    return setmetatable({ entry = entry, client = entry.client, ctx = opts.ctx,
                          timeout = option(opts, "timeout") }, pooled_mt)
end

function pooled.send_request(self, headers, body)
    if not self.client then
        return nil, "closed"
    end
    local stream, err = self.client:send_request(headers, body)
    if stream then
        stream.deadline = ngx_now() + self.timeout
    end
    return stream, err
end

for _, name in ipairs { "read_headers", "read_body", "read_trailers", "ping", "reset",
                        "acknowledge_settings" } do
    pooled[name] = function(self, ...)
        if not self.client then
            return nil, "closed"
        end
        return self.client[name](self.client, ...)
    end
end

-- The seed's request() with callbacks, as resty.http2 runs it (it uses
-- only the methods above and `ctx`): the callbacks get the ctx given to
-- pool.client, since the connection's own socket belongs to its owner, and
-- a callback that aborts hands the client back instead of closing the
-- shared connection.
function pooled.request(self, ...)
    return http2.request(self, ...)
end

function pooled.keepalive(self)
    if self.client then
        self.client = nil
        release(self.entry)
    end
end
pooled.close = function(self)
    pooled.keepalive(self)
    return true
end

-- Drops every idle connection now (tests, configuration reloads).
function _M.close_idle()
    for _, pool in pairs(pools) do
        for _, entry in ipairs(pool.conns) do
            if entry.active == 0 then
                entry.draining = true
                pool_kick(entry)
            end
        end
    end
end

return _M
