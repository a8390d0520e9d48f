-- resty.http2.pool, the worker-wide connection pool, and pool.request:
-- /t/pool?case=NAME&server=S&port=P&docroot=D[&ca=F...]
--   basic     GET/HEAD/POST, 200 light threads, the seed-style pooled client
--   full      a server allowing 10 streams: more connections open
--   goaway    nginx's GOAWAY after 100 requests: drained, retried
--   idle      idle close and PING health checks
--   timeout   per-request timeouts on a slow server (mTLS harness port)
--   one       one request (run.sh sends many at once from many clients)
--   stats     the counters after "one" ran many times

local pool = require "resty.http2.pool"
local t = require "harness"

local args = ngx.req.get_uri_args()
local case = args.case
local port = tonumber(args.port)
local docroot = args.docroot
local check = t.checker((args.server or "?") .. " pool " .. case)
local scheme = args.tls and "https" or "http"
local base = scheme .. "://127.0.0.1:" .. tostring(port)
local tls = args.tls and { ca_file = args.ca } or nil

local function file(name)
    return t.read_file(docroot .. "/" .. name)
end

-- Runs fn(i) in n light threads; returns how many returned true and the
-- first other result.
local function in_threads(n, fn)
    local threads = {}
    for i = 1, n do
        threads[i] = ngx.thread.spawn(fn, i)
    end
    local good, first = 0, nil
    for i = 1, n do
        local ok, res = ngx.thread.wait(threads[i])
        if ok and res == true then
            good = good + 1
        else
            first = first or tostring(res)
        end
    end
    return good, first
end

if case == "basic" then
    local one_k = file("1k.bin")
    local res, err = pool.request(base .. "/1k.bin", { tls = tls })
    check(res and res.status == 200 and res.body == one_k, "GET", err)
    res, err = pool.request(base .. "/1k.bin", { method = "HEAD", tls = tls })
    check(res and res.status == 200 and res.body == "", "HEAD", err)
    local upload = file("1m.bin")
    res, err = pool.request(base .. "/echo", { body = upload, tls = tls,
        headers = { ["content-type"] = "application/octet-stream" } })
    check(res and res.body == upload, "POST 1 MiB echoed", err or (res and #res.body))
    res, err = pool.request(base .. "/1m.bin", { tls = tls })
    check(res and res.body == file("1m.bin"), "GET 1 MiB", err)

    local before = pool.stats()
    local sixteen = file("16k.bin")
    local good, first = in_threads(200, function(i)
        local r, e = pool.request(base .. (i % 2 == 0 and "/16k.bin" or "/1k.bin"), { tls = tls })
        return r and r.status == 200 and r.body == (i % 2 == 0 and sixteen or one_k) or e
    end)
    check(good == 200, "200 light threads through the pool", first)
    local after = pool.stats()
    check(after.connections_opened - before.connections_opened <= 1,
          "they shared the connection already open",
          after.connections_opened - before.connections_opened)

    -- The seed's client API on a pooled connection.
    local client
    client, err = pool.client(base, { tls = tls, ctx = "my-ctx" })
    check(client ~= nil, "pool.client", err)
    if client then
        local stream = client:send_request(t.request_headers("127.0.0.1:" .. port, scheme,
                                                             "GET", "/1k.bin"))
        local headers = stream and client:read_headers(stream)
        local body = stream and t.read_all(client, stream)
        check(headers and headers[":status"] == "200" and body == one_k,
              "pooled send_request / read_headers / read_body")
        local seen_ctx, parts = nil, {}
        local ok = client:request(t.request_headers("127.0.0.1:" .. port, scheme, "GET", "/16k.bin"),
            nil, function(ctx) seen_ctx = ctx end, function(_, data) parts[#parts + 1] = data end)
        check(ok and seen_ctx == "my-ctx" and table.concat(parts) == sixteen,
              "pooled request() with callbacks and the caller's ctx")
        client:keepalive()
        check(select(2, client:read_headers(stream)) == "closed", "a released client refuses use")
    end

    res, err = pool.request("ftp://x/")
    check(not res and err:find("http:// or https://", 1, true), "a bad URL is refused", err)
    res, err = pool.request("http://127.0.0.1:1/", { timeout = 2 })
    check(not res and err and err:find("connect to 127.0.0.1:1", 1, true), "a refused connection is reported", err)
    res, err = pool.request(base .. "/", { body = 42 })
    check(not res and err == "body must be a string or a function", "a bad body is refused", err)

elseif case == "full" then
    -- SETTINGS_MAX_CONCURRENT_STREAMS = 10 and 40 slow-ish requests at once:
    -- the pool opens more connections (up to max_connections) instead of
    -- queueing everything behind ten streams.
    local before = pool.stats()
    local big = file("1m.bin")
    local good, first = in_threads(40, function()
        local r, e = pool.request(base .. "/1m.bin", { tls = tls, pool = "full-" .. port })
        return r and r.body == big or e
    end)
    check(good == 40, "40 requests against a 10-stream server", first)
    local opened = pool.stats().connections_opened - before.connections_opened
    check(opened >= 2 and opened <= pool.defaults.max_connections,
          "more connections opened when one was full, within max_connections", opened)

elseif case == "goaway" then
    -- nginx sends GOAWAY after 100 requests per connection: the pool
    -- drains that connection and moves on; requests above the GOAWAY's
    -- last stream id are retried on a fresh connection.
    local before = pool.stats()
    local one_k = file("1k.bin")
    local good, first = in_threads(50, function(i)
        for _ = 1, 6 do
            local r, e = pool.request(base .. "/1k.bin", { tls = tls })
            if not (r and r.body == one_k) then
                return "thread " .. i .. ": " .. tostring(e)
            end
        end
        return true
    end)
    check(good == 50, "300 requests through GOAWAYs after every 100", first)
    local after = pool.stats()
    check(after.connections_opened - before.connections_opened >= 3,
          "drained connections replaced", after.connections_opened - before.connections_opened)

elseif case == "idle" then
    local opts = { tls = tls, pool = "idle-" .. port, idle_timeout = 2,
                   ping_interval = 0.5, ping_timeout = 2 }
    local before = pool.stats()
    local res, err = pool.request(base .. "/1k.bin", opts)
    check(res and res.status == 200, "request", err)
    ngx.sleep(1.5)
    local mid = pool.stats()
    check(mid.pings > before.pings, "a quiet connection is PINGed", mid.pings - before.pings)
    res, err = pool.request(base .. "/1k.bin", opts)
    check(res and res.status == 200 and pool.stats().connections_opened == mid.connections_opened,
          "the PINGed connection is healthy and reused", err)
    ngx.sleep(3.5)
    local after = pool.stats()
    check(after.connections_closed > before.connections_closed, "closed after idle_timeout")
    res, err = pool.request(base .. "/1k.bin", opts)
    check(res and res.status == 200 and pool.stats().connections_opened == after.connections_opened + 1,
          "a new connection after the idle one closed", err)

elseif case == "timeout" then
    local opts = { tls = { ca_file = args.ca, server_name = "localhost",
                           cert_file = args.cert, key_file = args.key },
                   timeout = 0.5 }
    local url = "https://127.0.0.1:" .. port
    local before = pool.stats()
    local res, err = pool.request(url .. "/slow", opts)
    check(not res and err == "timeout", "a slow response times out", err)
    check(pool.stats().timeouts == before.timeouts + 1, "timeouts counted")
    res, err = pool.request(url .. "/whoami", opts)
    check(res and res.status == 200 and res.body:find("CN=", 1, true),
          "the same connection serves the next request (client certificate)", err)
    check(pool.stats().connections_opened == before.connections_opened + 1,
          "the timed-out stream was reset, not the connection")

elseif case == "hung" then
    -- A server that stops answering (the quirks server's /go-silent): the
    -- pool PINGs the quiet connection, no ACK comes, and it is dropped; the
    -- next request gets a new connection. (Against a healthy server the
    -- "idle" case checks that the PING is answered and the connection kept.)
    local key = "hung-" .. port
    local opts = { pool = key, ping_interval = 0.5, ping_timeout = 0.5, idle_timeout = 60 }
    local before = pool.stats()
    local res, err = pool.request(base .. "/go-silent", opts)
    check(res and res.status == 200 and res.body == "silent", "the last answer before going silent", err)
    ngx.sleep(2.5)
    local after = pool.stats()
    check(after.pings > before.pings, "the quiet connection was PINGed", after.pings - before.pings)
    check(after.dead == before.dead + 1, "no ACK: the connection is declared dead",
          after.dead - before.dead)
    check(pool.stats(key).live_connections == 0, "and dropped from the pool",
          pool.stats(key).live_connections)
    res, err = pool.request(base .. "/early-hints", opts)
    check(res and res.status == 200 and res.body == "final" and pool.stats(key).connections_opened == 2,
          "the next request gets a new connection", err)

elseif case == "one" then
    local res, err = pool.request(base .. "/16k.bin", { tls = tls, pool = "one-" .. port })
    ngx.log(ngx.INFO, "pool one: ", res and res.status, " ", err)
    check(res and res.status == 200 and #res.body == 16384, "one request from a client of nginx", err)

elseif case == "stats" then
    local s = pool.stats("one-" .. port)
    local n = tonumber(args.n)
    check(s.requests == n, "every client request went through the pool", s.requests)
    check(s.connections_opened >= 1 and s.connections_opened <= pool.defaults.max_connections,
          n .. " requests from concurrent clients shared " .. s.connections_opened .. " connection(s)",
          s.connections_opened)
end
ngx.say("done")
