-- The benchmark page of bench/lua/run.sh: one location of the benchmark
-- nginx runs one case of resty.http2 against h2o and prints one line,
-- "ok requests=N bytes=B seconds=S", or "fail ..." with the reason. The
-- worker's CPU is taken by run.sh from /proc around the whole page, so the
-- page does nothing but the requests (no logging, no per-request output).
--
--   /bench?case=fresh|keepalive|kept|threads|download&port=P[&tls=1&ca=F]&n=N&path=/1k.bin

local http2 = require "resty.http2"

local args = ngx.req.get_uri_args()
local port = tonumber(args.port)
local n = tonumber(args.n) or 1000
local path = args.path or "/1k.bin"
local use_tls = args.tls == "1"
local threads = tonumber(args.threads) or 100
local authority = (use_tls and "localhost:" or "127.0.0.1:") .. port

local headers = {
    { name = ":authority", value = authority },
    { name = ":method", value = "GET" },
    { name = ":path", value = path },
    { name = ":scheme", value = use_tls and "https" or "http" },
}

-- A cosocket connected to the server (from nginx's pool `pool`, when
-- given), or nil and the error.
local function open_socket(pool)
    local sock = ngx.socket.tcp()
    sock:settimeout(60000)
    local ok, err = sock:connect("127.0.0.1", port, pool and { pool = pool } or nil)
    if not ok then
        return nil, "connect: " .. err
    end
    return sock
end

local function connect()
    local sock, err = open_socket()
    if not sock then
        return nil, err
    end
    local opts = { ctx = sock, recv = sock.receive, send = sock.send,
                   preread_size = tonumber(args.window),
                   max_frame_size = tonumber(args.frame) }
    if use_tls then
        opts.tls = { server_name = "localhost", ca_file = args.ca }
    end
    local client
    client, err = http2.new(opts)
    if not client then
        return nil, "new: " .. err
    end
    return client, sock
end

-- One GET on `client`: the body's length, or nil and the error. The body
-- is counted, not kept, as a proxy streaming it on would do.
local function get(client)
    local stream, err = client:send_request(headers)
    if not stream then
        return nil, err
    end
    local response
    response, err = client:read_headers(stream)
    if not response then
        return nil, err
    end
    if response[":status"] ~= "200" then
        return nil, "status " .. tostring(response[":status"])
    end
    local length = 0
    while true do
        local data
        data, err = client:read_body(stream)
        if data == nil then
            if err then
                return nil, err
            end
            break
        end
        if data == "" then
            break
        end
        length = length + #data
    end
    return length
end

-- `count` GETs on `client`, one after the other: the bodies' total length,
-- or nil and the first error.
local function get_many(client, count)
    local bytes = 0
    for _ = 1, count do
        local length, err = get(client)
        if not length then
            return nil, err
        end
        bytes = bytes + length
    end
    return bytes
end

local cases = {}

-- The I/O floor of a GET on a fresh connection from Lua, no client library:
-- connect, one write of the preface, an empty SETTINGS and a prepared
-- HEADERS frame, frames read (header, then payload) until the response's
-- END_STREAM, close. Nothing is decoded or checked: what is left of (a)'s
-- CPU above this is the client's own work.
local function prepared_request()
    local block = "\130\134" -- :method GET, :scheme http (static table)
        .. "\4" .. string.char(#path) .. path -- :path, literal without indexing
        .. "\1" .. string.char(#authority) .. authority -- :authority
    local length = #block
    return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        .. "\0\0\0\4\0\0\0\0\0" -- SETTINGS, empty
        .. string.char(0, 0, length, 1, 5, 0, 0, 0, 1) .. block -- HEADERS, END_STREAM|END_HEADERS
end

-- Frames read from `sock` (header, then payload, as resty.http2 reads
-- them) until stream 1's END_STREAM: the DATA bytes seen, or nil and the
-- cosocket's error.
local function read_response_frames(sock)
    local byte = string.byte
    local bytes = 0
    while true do
        local head, err = sock:receive(9)
        if not head then
            return nil, err
        end
        local a, b, c, kind, flags = byte(head, 1, 5)
        local length = a * 65536 + b * 256 + c
        if length > 0 then
            local payload = sock:receive(length)
            if kind == 0 then
                bytes = bytes + #payload
            end
        end
        if byte(head, 9) == 1 and (kind == 0 or kind == 1) and flags % 2 == 1 then
            return bytes
        end
    end
end

-- The same for one large body: the request goes with SETTINGS opening the
-- stream window to 2^31-1 and a WINDOW_UPDATE doing the same for the
-- connection, so no flow control is needed on the way; frames are read
-- (mode=frames: header, then payload, as resty.http2 reads them) or the
-- bytes taken as they come (mode=any: receiveany, frames not parsed) until
-- the body's length plus its frame headers has arrived.
function cases.floor_download()
    local window = "\127\255\255\255"
    local request = prepared_request():gsub("^(.-SM\r\n\r\n)\0\0\0\4\0\0\0\0\0",
        "%1\0\0\6\4\0\0\0\0\0\0\4" .. window
        .. "\0\0\4\8\0\0\0\0\0\127\255\0\0")
    local sock, err = open_socket()
    if not sock then
        return nil, err
    end
    sock:send(request)
    local bytes = 0
    if args.mode == "any" then
        local want = tonumber(args.size)
        -- The body's DATA frames carry 16 KiB each, behind 9-byte headers;
        -- the response's HEADERS and the server's SETTINGS add a little.
        local total = want + math.ceil(want / 16384) * 9
        local got = 0
        while got < total do
            local data
            data, err = sock:receiveany(1048576)
            if not data then
                return nil, err
            end
            got = got + #data
        end
        bytes = want
    else
        bytes, err = read_response_frames(sock)
        if not bytes then
            return nil, err
        end
    end
    sock:close()
    return 1, bytes
end

function cases.floor()
    local request = prepared_request()
    local bytes = 0
    for _ = 1, n do
        local sock, err = open_socket()
        if not sock then
            return nil, err
        end
        sock:send(request)
        local got
        got, err = read_response_frames(sock)
        if not got then
            return nil, err
        end
        bytes = bytes + got
        sock:close()
    end
    return n, bytes
end

-- A new TCP connection and HTTP/2 session per request, closed after it:
-- the seed's usage and the figure of its baseline.
function cases.fresh()
    local bytes = 0
    for _ = 1, n do
        local client, sock = connect()
        if not client then
            return nil, sock
        end
        local length, err = get(client)
        if not length then
            return nil, err
        end
        bytes = bytes + length
        client:close()
        sock:close()
    end
    return n, bytes
end

-- The seed's own reuse, as its README shows it (client:keepalive): each
-- request takes a cosocket from nginx's pool (of one) and the session
-- parked under a key, and puts both back after the response. Code written
-- for the seed, unchanged; what a handler making one upstream request per
-- client request does.
function cases.keepalive()
    local pool = "h2-bench-" .. port
    local bytes = 0
    for _ = 1, n do
        local sock, err = open_socket(pool)
        if not sock then
            return nil, err
        end
        local client
        client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send,
                                  key = pool }
        if not client then
            return nil, "new: " .. err
        end
        local length
        length, err = get(client)
        if not length then
            return nil, err
        end
        bytes = bytes + length
        sock:setkeepalive(75000, 1)
        client:keepalive(pool)
    end
    return n, bytes
end

-- One session, requests one after the other.
function cases.kept()
    local client, sock = connect()
    if not client then
        return nil, sock
    end
    local bytes, err = get_many(client, n)
    if not bytes then
        return nil, err
    end
    client:close()
    sock:close()
    return n, bytes
end

-- `threads` light threads sharing one session, n requests in all.
function cases.threads()
    local client, sock = connect()
    if not client then
        return nil, sock
    end
    local each = math.floor(n / threads)
    local spawned = {}
    for i = 1, threads do
        spawned[i] = ngx.thread.spawn(get_many, client, each)
    end
    local bytes = 0
    for i = 1, threads do
        local ok, length, err = ngx.thread.wait(spawned[i])
        if not ok or not length then
            return nil, err or length
        end
        bytes = bytes + length
    end
    client:close()
    sock:close()
    return each * threads, bytes
end

-- One large body on one session (n is ignored).
function cases.download()
    local client, sock = connect()
    if not client then
        return nil, sock
    end
    local length, err = get(client)
    if not length then
        return nil, err
    end
    client:close()
    sock:close()
    return 1, length
end

-- jitv=FILE: the JIT's trace log of this case (LuaJIT's jit.v), to see
-- which loops compile and why traces abort.
if args.jitv then
    require("jit.v").on(args.jitv .. "." .. tostring(args.case))
end
-- jitp=MODE: LuaJIT's sampling profiler (jit.p) over the case, its report
-- in jitp.CASE under nginx's prefix (MODE as jit.p takes it, e.g. "Fl":
-- functions and lines; "v": by VM state, interpreted, compiled, C, GC).
if args.jitp then
    require("jit.p").start(args.jitp, ngx.config.prefix() .. "jitp." .. tostring(args.case))
end
local run = cases[args.case]
if not run then
    ngx.say("fail unknown case ", tostring(args.case))
    return
end
local started = ngx.now()
local requests, bytes = run()
ngx.update_time()
if not requests then
    ngx.say("fail ", tostring(bytes))
    return
end
if args.jitv then
    require("jit.v").off()
end
if args.jitp then
    require("jit.p").stop()
end
ngx.say(string.format("ok requests=%d bytes=%d seconds=%.3f", requests, bytes,
                      ngx.now() - started))
