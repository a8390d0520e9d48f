-- The resty.http2 client API against one real server (h2c), run inside
-- nginx by tests/lua/run.sh: /t/client?port=P&server=NAME. Prints one
-- "ok - ..." or "not ok - ..." line per check; run.sh counts them.

local http2 = require "resty.http2"
local h2_error = require "resty.http2.error"

local port = tonumber(ngx.var.arg_port)
local server = ngx.var.arg_server or "?"
local docroot = ngx.var.arg_docroot

local t = require "harness"
local check = t.checker(server)
local read_all = t.read_all

local function read_file(name)
    return t.read_file(docroot .. "/" .. name)
end

local function connect(pool)
    return t.connect(port, pool)
end

-- With &tls=1&ca=F the same API runs over TLS (resty.http2.tls).
local tls = ngx.var.arg_tls and { server_name = "localhost", ca_file = ngx.var.arg_ca } or nil

local function new_client(sock, key)
    return http2.new { ctx = sock, recv = sock.receive, send = sock.send, key = key,
                       tls = tls }
end

local function req(method, path, extra)
    return t.request_headers("127.0.0.1:" .. port, tls and "https" or "http", method, path, extra)
end

-- resty.http2.error: every name the seed documents or exports.
check(h2_error.NO_ERROR == 0 and h2_error.PROTOCOL_ERROR == 1
      and h2_error.HTTP_1_1_REQUIRED == 0xd and h2_error.STREAM_PROTOCOL == -1
      and h2_error.STREAM_PROTOCOL_ERROR == -1 and h2_error.STREAM_FLOW_CONTROL_ERROR == -3
      and h2_error.STREAM_FRAME_SIZE_ERROR == -6, "error: constants")
check(h2_error.strerror(h2_error.CANCEL) == "cancel"
      and h2_error.strerror(h2_error.STREAM_PROTOCOL_ERROR) == "stream protocol error"
      and h2_error.strerror(99) == "unknown error", "error: strerror")
check(h2_error.is_stream_error(-1) and not h2_error.is_stream_error(1)
      and not h2_error.is_stream_error(nil), "error: is_stream_error")
check(http2.new {} == nil and select(2, http2.new {}) == "recv and send must be functions",
      "new() without recv/send refused clearly")
check(select(2, http2.new { recv = ngx.say, send = ngx.say, max_frame_size = 100 })
      == "max_frame_size must be within 16384..16777215", "new() with a bad max_frame_size refused")

local sock = assert(connect())
local client, err = new_client(sock)
check(client ~= nil, "http2.new", err)

-- The seed's synopsis: request() with callbacks.
local one_k = read_file("1k.bin")
local got_headers, body_parts = nil, {}
local ok
ok, err = client:request(req("GET", "/1k.bin"), nil,
    function(ctx, headers) got_headers = headers end,
    function(ctx, data) body_parts[#body_parts + 1] = data end)
check(ok == true, "request() returns true", err)
check(got_headers and got_headers[":status"] == "200", "request(): :status 200",
      got_headers and got_headers[":status"])
check(table.concat(body_parts) == one_k, "request(): body matches 1k.bin")

-- send_request / read_headers / read_body.
local stream
stream, err = client:send_request(req("GET", "/1m.bin"))
check(stream ~= nil, "send_request", err)
local headers = client:read_headers(stream)
check(headers and headers[":status"] == "200", "read_headers: 200")
local body = read_all(client, stream)
check(body == read_file("1m.bin"), "read_body: 1 MiB body intact (window updates)",
      body and #body)

-- HEAD: headers, empty body.
stream = client:send_request(req("HEAD", "/1k.bin"))
headers = client:read_headers(stream)
body = read_all(client, stream)
check(headers and headers[":status"] == "200" and body == "", "HEAD: 200, no body")

-- POST with a string body, 1 MiB both ways.
local upload = read_file("1m.bin")
stream, err = client:send_request(req("POST", "/echo",
    { { name = "content-type", value = "application/octet-stream" } }), upload)
check(stream ~= nil, "POST string body sent", err)
if stream then
    headers = client:read_headers(stream)
    body = read_all(client, stream)
    check(body == upload, "POST string body: 1 MiB echoed", body and #body)
end

-- POST with a function body (the seed's streaming upload).
local pieces, sent = { "alpha-", "beta-", "gamma" }, 0
stream, err = client:send_request(req("POST", "/echo"), function(size)
    sent = sent + 1
    return pieces[sent], sent == #pieces
end)
check(stream ~= nil, "POST function body sent", err)
if stream then
    client:read_headers(stream)
    body = read_all(client, stream)
    check(body == "alpha-beta-gamma", "POST function body echoed", body)
end

-- Several requests in flight on one session, read in reverse order.
local streams = {}
for i = 1, 10 do
    streams[i] = client:send_request(req("GET", i % 2 == 0 and "/1k.bin" or "/16k.bin"))
end
local all_ok = true
for i = 10, 1, -1 do
    local s = streams[i]
    local h = s and client:read_headers(s)
    local b = h and read_all(client, s)
    local want = i % 2 == 0 and 1024 or 16384
    if not (h and h[":status"] == "200" and b and #b == want) then all_ok = false end
end
check(all_ok, "10 concurrent streams read in reverse order")

-- Cancelling one stream leaves the session usable.
stream = client:send_request(req("GET", "/10m.bin"))
client:read_headers(stream)
ok, err = client:reset(stream)
check(ok, "reset() one stream", err)
stream = client:send_request(req("GET", "/1k.bin"))
check(stream and read_all(client, stream) == one_k and true, "request after a reset")

-- PING answered by the server.
ok, err = client:ping()
check(ok, "ping() acknowledged", err)

-- Missing pseudo-header: a clear error, the session unharmed.
stream, err = client:send_request({ { name = ":method", value = "GET" } })
check(stream == nil and err == "missing pseudo-header :scheme",
      "missing pseudo-header refused clearly", err)
stream, err = client:send_request({})
check(stream == nil and err == "empty headers", "empty headers refused", err)

-- Many sequential requests on one session (the seed allowed one).
local count, failures, first_error = tonumber(ngx.var.arg_n) or 1000, 0, nil
local one_byte = read_file("1.bin")
for i = 1, count do
    local s, h, b
    s, err = client:send_request(req("GET", "/1.bin"))
    if s then h, err = client:read_headers(s) end
    if h then b, err = read_all(client, s) end
    if b ~= one_byte then
        failures = failures + 1
        first_error = first_error or ("request " .. i .. ": " .. tostring(err))
    end
end
check(failures == 0, count .. " sequential requests on one session",
      failures .. " failed, first " .. tostring(first_error))

-- close(): GOAWAY(NO_ERROR); later requests are refused with the seed's string.
ok, err = client:close(h2_error.NO_ERROR)
check(ok, "close()", err)
stream, err = client:send_request(req("GET", "/1k.bin"))
check(stream == nil and err == "goaway frame was received or sent",
      "request after close() refused", err)
sock:close()

-- keepalive(key): the session survives the handler's cosocket, found again
-- through http2.new{key=} on the pooled connection (pool of one).
local pool = "libh2-" .. server .. "-" .. port
sock = assert(connect(pool))
client = new_client(sock, "k-" .. pool)
stream = client:send_request(req("GET", "/1k.bin"))
body = stream and read_all(client, stream)
client:keepalive("k-" .. pool)
sock:setkeepalive(75000, 1)
sock = assert(connect(pool))
check(sock:getreusedtimes() == 1, "cosocket reused from the pool", sock:getreusedtimes())
local again = new_client(sock, "k-" .. pool)
check(again == client, "http2.new{key=} returns the parked session")
stream, err = again:send_request(req("GET", "/1k.bin"))
body = stream and read_all(again, stream)
check(body == one_k, "request on the reused session", err)
again:close()
sock:close()

-- The seed README's own order: the cosocket goes back to nginx's pool
-- first, then keepalive(key). The session cannot send then (the ACK of
-- the server's SETTINGS may still be waiting to leave): what is queued
-- leaves with the next request instead, and the session is parked all
-- the same.
sock = assert(connect(pool))
client = new_client(sock, "seed-" .. pool)
for round = 1, 3 do
    stream, err = client:send_request(req("GET", "/1k.bin"))
    body = stream and read_all(client, stream)
    check(body == one_k, "seed's keepalive order: request " .. round, err)
    sock:setkeepalive(75000, 1)
    client:keepalive("seed-" .. pool)
    sock = assert(connect(pool))
    again = new_client(sock, "seed-" .. pool)
    check(again == client and sock:getreusedtimes() == round,
          "seed's keepalive order: session and connection taken back " .. round,
          sock:getreusedtimes())
    client = again
end
client:close()
sock:close()

-- A parked session whose TCP connection is gone (closed instead of
-- pooled, as after the pool's idle timeout) is not put on the new
-- connection nginx makes: http2.new{key=} starts a fresh session there.
sock = assert(connect(pool))
client = new_client(sock, "gone-" .. pool)
stream, err = client:send_request(req("GET", "/1k.bin"))
body = stream and read_all(client, stream)
client:keepalive("gone-" .. pool)
sock:close()
sock = assert(connect(pool))
again = new_client(sock, "gone-" .. pool)
check(sock:getreusedtimes() == 0 and again ~= nil and again ~= client,
      "parked session on a closed connection: a fresh session instead", err)
stream, err = again:send_request(req("GET", "/1k.bin"))
body = stream and read_all(again, stream)
check(body == one_k, "parked session on a closed connection: the request succeeds", err)
again:close()
sock:close()

ngx.say("done")
