-- resty.http2: the high-level HTTP/2 client of lua-resty-http2 (the seed),
-- same functions, arguments, returns and callbacks, over libh2's protocol
-- core through LuaJIT FFI. See docs/lua.md.
--
-- I/O stays with the caller exactly as in the seed: `recv(ctx, n)` must
-- return n bytes (a cosocket's receive), `send(ctx, data)` sends them. The
-- binding reads one frame at a time (9-byte header, then the payload),
-- hands the bytes to the core, pulls the resulting events in batches and
-- flushes what the core queued (ACKs, WINDOW_UPDATEs, requests, body).
--
-- Unlike the seed, the core answers PINGs, honours the server's
-- MAX_FRAME_SIZE and MAX_CONCURRENT_STREAMS, handles 1xx responses and
-- trailers without tearing the session down, returns flow-control credit
-- only as the body is consumed, and puts any number of requests on one
-- session, several at once.

local ffi = require "ffi"
local core = require "resty.http2.core"
local h2_error = require "resty.http2.error"
local h2_tls = require "resty.http2.tls"
local semaphore = ngx and require "ngx.semaphore"

local lib = core.lib
local ffi_string = ffi.string
local ffi_cast = ffi.cast
local byte = string.byte
local band = require("bit").band
local lower = string.lower

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local EVENT_BATCH = 64
-- Each stream's receive window when the caller gives no preread_size (the
-- seed's default was 65535). At 64 KiB a large body stalls for a
-- WINDOW_UPDATE round trip every 32 KiB; 256 KiB keeps the server sending
-- while the reader reads. Unread data stays bounded: by this per stream,
-- and by the core's connection window (8 MiB) for the whole session.
local DEFAULT_STREAM_WINDOW = 262144
-- The SETTINGS_MAX_FRAME_SIZE we advertise unless new{max_frame_size=}
-- says otherwise: as large as the stream window, so a server may send a
-- window's worth of body in one DATA frame (a quarter of the per-frame
-- reads and events of 16 KiB frames on a download), while a frame, which
-- is read whole before the core sees it, stays bounded. The seed
-- advertised 16 MiB.
local DEFAULT_MAX_FRAME_SIZE = 262144
local BODY_CHUNK = 65536
local MANUAL_FLOW_CONTROL = 0x1 -- H2_CONN_MANUAL_FLOW_CONTROL
local DROP_CONNECTION_FIELDS = 0x4 -- H2_CONN_DROP_CONNECTION_FIELDS
-- A light thread waiting for another one's read wakes at least this often
-- (seconds) to look again, in case the reader was killed (ngx.thread.kill);
-- the reader's own cosocket timeout bounds a read.
local READER_WAIT = 1

-- Sessions parked by client:keepalive(key), picked up by http2.new{key=}.
local parked = {}

-- One event array and one output pointer serve every session of the
-- worker: a batch of events is polled and handled to the end without
-- yielding (the handlers do no I/O), and a peeked output pointer is used
-- before the send that may yield, so no two sessions ever hold them at
-- once. A fresh connection per request then costs no 4 KiB array.
local shared_events = ffi.new("h2_event[?]", EVENT_BATCH)
local shared_output = ffi.new("const uint8_t *[1]")
local u8_ptr = ffi.typeof("const uint8_t *")

-- The request fields the seed silently drops (connection-specific in
-- HTTP/2, RFC 9113 section 8.2.2).
local connection_specific = {
    ["connection"] = true,
    ["keep-alive"] = true,
    ["proxy-connection"] = true,
    ["upgrade"] = true,
    ["transfer-encoding"] = true,
}

-- Handlers of the events that concern one of our streams (called only while
-- the stream is known here) and of those that concern the connection.
local stream_events = {}
local connection_events = {}

local now_ms = core.now_ms

local function new_conn(opts)
    -- Credit goes back to the server as the application reads the body
    -- (read_body), not as frames arrive: a slow reader holds the server
    -- back instead of growing a queue here.
    -- The seed removed connection-specific response fields, and nginx
    -- sends the one of `add_header Connection close` as it is; the core
    -- removes them too unless the caller asks for RFC 9113's stream error.
    return core.new_conn {
        flags = opts.reject_connection_headers and MANUAL_FLOW_CONTROL
                or MANUAL_FLOW_CONTROL + DROP_CONNECTION_FIELDS,
        initial_window_size = opts.preread_size or DEFAULT_STREAM_WINDOW,
        max_concurrent_streams = opts.max_concurrent_stream,
        max_frame_size = opts.max_frame_size or DEFAULT_MAX_FRAME_SIZE,
    }
end

local function check_options(opts)
    if type(opts) ~= "table" then
        return "options must be a table"
    end
    if type(opts.recv) ~= "function" or type(opts.send) ~= "function" then
        return "recv and send must be functions"
    end
    local size = opts.max_frame_size
    if size ~= nil and (type(size) ~= "number" or size < 16384
                        or size > 16777215) then
        return "max_frame_size must be within 16384..16777215"
    end
    local window = opts.preread_size
    if window ~= nil and (type(window) ~= "number" or window < 0
                          or window > 2147483647) then
        return "preread_size must be within 0..2147483647"
    end
    local reject = opts.reject_connection_headers
    if reject ~= nil and type(reject) ~= "boolean" then
        return "reject_connection_headers must be a boolean"
    end
    if opts.tls ~= nil and type(opts.tls) ~= "table" then
        return "tls must be a table of TLS options"
    end
    return nil
end

-- sock:getreusedtimes() of an nginx cosocket: 0 on a new TCP connection,
-- N when taken from nginx's pool the Nth time, nil once the cosocket was
-- closed or handed back with setkeepalive(). false for a context that is
-- not a cosocket (it cannot say).
local function reused_times(sock)
    if type(sock) ~= "table" or type(sock.getreusedtimes) ~= "function" then
        return false
    end
    return sock:getreusedtimes()
end

-- Whether the cosocket taken from nginx's pool for a parked session is a
-- new TCP connection rather than the one the session was on (that one was
-- closed while parked, by the server or by the pool's idle timeout): the
-- session cannot go on there, its server is gone.
local function fresh_connection(sock)
    return reused_times(sock) == 0
end

-- Whether the cosocket under a session is still the caller's to send on.
local function socket_open(self)
    return reused_times(self.transport and self.transport.raw_ctx or self.ctx) ~= nil
end

-- http2.new(opts) -> client, err
function _M.new(opts)
    local bad = check_options(opts)
    if bad then
        return nil, bad
    end
    local key = opts.key
    if key ~= nil and parked[key] then
        local client = parked[key]
        parked[key] = nil
        if lib.h2_conn_is_closed(client.conn) == 0
           and not fresh_connection(opts.ctx) then
            if client.transport then
                client.transport:rebind(opts.recv, opts.send, opts.ctx)
            else
                client.recv, client.send, client.ctx = opts.recv, opts.send, opts.ctx
            end
            return client
        end
    end
    local conn, err = new_conn(opts)
    if not conn then
        return nil, err
    end
    local recv, send, ctx, transport = opts.recv, opts.send, opts.ctx, nil
    if opts.tls then
        transport, err = h2_tls.handshake(recv, send, ctx, opts.tls)
        if not transport then
            return nil, err
        end
        recv, send, ctx = transport.recv, transport.send, transport
    end
    return setmetatable({
        conn = conn,
        recv = recv,
        send = send,
        ctx = ctx,
        transport = transport,
        reading = false,
        flushing = false,
        waiting = 0,
        streams = {},
        events = shared_events,
        output = shared_output,
        settings_received = false,
        goaway_received = false,
        goaway_sent = false,
        fatal = nil,
        closed = false,
    }, mt)
end

-- Output --------------------------------------------------------------------

-- Sends everything the core has queued. Light threads share the session,
-- and a cosocket takes one sender at a time: a thread that finds another
-- one flushing leaves its bytes to it, since that loop runs until the
-- core's output is empty.
local function flush_now(self)
    if self.flushing then
        if coroutine.status(self.flushing) ~= "dead" then
            return true
        end
        -- Killed in the middle of a send: part of a frame may be out.
        self.flushing = false
        self.closed = true
        self.fatal = self.fatal or "a light thread was killed while sending"
        return nil, self.fatal
    end
    self.flushing = coroutine.running()
    local conn, out = self.conn, self.output
    while true do
        local n = tonumber(lib.h2_conn_peek_output(conn, out))
        if n == 0 then
            self.flushing = false
            return true
        end
        local ok, err = self.send(self.ctx, ffi_string(out[0], n))
        if not ok then
            self.flushing = false
            return nil, err
        end
        lib.h2_conn_consume_output(conn, n)
    end
end

-- The one frame whose sending can wait: the ACK of the server's SETTINGS.
-- The server goes on without it, so it leaves with whatever the session
-- sends next (a request, a WINDOW_UPDATE, the GOAWAY of close(), or the
-- flush of keepalive()) instead of costing a send of its own: a fresh
-- connection per request then makes two sends instead of three. Anything
-- else queued (two ACKs, PING ACKs, WINDOW_UPDATEs) is sent at once.
local SETTINGS_ACK = "\0\0\0\4\1\0\0\0\0"

local function flush_unless_settings_ack(self)
    local out = self.output
    local n = lib.h2_conn_peek_output(self.conn, out)
    if n == 0 or (n == 9 and ffi_string(out[0], 9) == SETTINGS_ACK) then
        return true
    end
    return flush_now(self)
end

-- Has what the core queued sent: here, or, when the connection belongs to
-- another context (resty.http2.pool's timer), by its owner.
local function flush(self)
    local kick = self.kick
    if kick then
        if self.closed then
            return nil, self.fatal or "closed"
        end
        if lib.h2_conn_peek_output(self.conn, self.output) > 0 then
            kick()
        end
        return true
    end
    return flush_now(self)
end

-- Events --------------------------------------------------------------------

-- A header block as the seed returns it: a hash, duplicate names turned
-- into arrays in arrival order, pseudo-headers included.
local function fields_to_hash(ev)
    local hash = core.add_fields({}, ev.headers, ev.header_count)
    if ev.status ~= 0 and hash[":status"] == nil then
        hash[":status"] = tostring(ev.status)
    end
    return hash
end

local function push_body(stream, data)
    local body = stream.body
    body.last = body.last + 1
    body[body.last] = data
end

local function reset_reason(self, ev)
    if band(ev.flags, core.EVENT_FLAG_RETRYABLE) ~= 0 then
        return "connection went away"
    end
    if ev.error <= -900 then
        return self.fatal or core.strerror(ev.error)
    end
    return "stream reset"
end

stream_events[core.EVENT_HEADERS] = function(self, stream, ev)
    stream.headers = fields_to_hash(ev)
end

stream_events[core.EVENT_INFORMATIONAL] = function(self, stream, ev)
    stream.interim = stream.interim or {}
    stream.interim[#stream.interim + 1] = fields_to_hash(ev)
end

stream_events[core.EVENT_DATA] = function(self, stream, ev)
    local length = ev.length
    if length > 0 then
        -- An unpadded DATA frame's event covers the whole frame payload that
        -- read_frame received as a Lua string: that string is the body
        -- piece, no copy made.
        local payload = self.frame_payload
        if payload and length == #payload and ev.data == ffi_cast(u8_ptr, payload) then
            push_body(stream, payload)
        else
            push_body(stream, ffi_string(ev.data, length))
        end
    end
end

stream_events[core.EVENT_TRAILERS] = function(self, stream, ev)
    stream.trailers = fields_to_hash(ev)
end

stream_events[core.EVENT_STREAM_END] = function(self, stream)
    stream.done = true
end

stream_events[core.EVENT_STREAM_RESET] = function(self, stream, ev)
    stream.done = true
    stream.error_code = ev.error
    stream.retryable = band(ev.flags, core.EVENT_FLAG_RETRYABLE) ~= 0
    stream.err = reset_reason(self, ev)
end

stream_events[core.EVENT_WRITABLE] = function(self, stream)
    stream.writable = true
end

connection_events[core.EVENT_SETTINGS] = function(self)
    self.settings_received = true
end

connection_events[core.EVENT_PING_ACK] = function(self)
    self.ping_acks = (self.ping_acks or 0) + 1
end

connection_events[core.EVENT_GOAWAY] = function(self, ev)
    self.goaway_received = true
    self.goaway_error = ev.error
    self.goaway_last_stream_id = tonumber(ev.value)
end

connection_events[core.EVENT_CONNECTION_ERROR] = function(self, ev)
    local detail = lib.h2_conn_error_detail(self.conn)
    self.fatal = core.strerror(ev.error)
    if detail ~= nil then
        self.fatal = self.fatal .. ": " .. ffi_string(detail)
    end
end

connection_events[core.EVENT_CLOSED] = function(self)
    self.closed = true
end

local function dispatch_events(self)
    local conn, events, streams = self.conn, self.events, self.streams
    while true do
        local n = lib.h2_conn_poll(conn, events, EVENT_BATCH)
        if n < 0 then
            return nil, core.strerror(n)
        end
        if n == 0 then
            return true
        end
        for i = 0, n - 1 do
            local ev = events[i]
            local handler = stream_events[ev.type]
            if handler then
                -- Events of streams already forgotten (reset by us) are dropped.
                local stream = streams[ev.stream_id]
                if stream then
                    handler(self, stream, ev)
                end
            else
                handler = connection_events[ev.type]
                if handler then
                    handler(self, ev)
                end
            end
        end
        -- A short batch was all there was (the handlers add no events):
        -- no need for another poll to hear "none".
        if n < EVENT_BATCH then
            return true
        end
    end
end

-- Input ---------------------------------------------------------------------

-- The server closed the connection or the read failed: every open stream
-- ends (truncated, never clean), and the caller gets the transport's error.
local function connection_lost(self, err)
    lib.h2_conn_recv(self.conn, nil, 0)
    dispatch_events(self)
    self.closed = true
    self.fatal = self.fatal or err
    return nil, err
end

-- Another light thread is reading: wait until it has handled a frame (or
-- failed), then let the caller look at its stream again.
local function wait_for_reader(self, deadline)
    if not semaphore then
        return nil, "session busy reading"
    end
    local progress = self.progress
    if not progress then
        progress = semaphore.new()
        self.progress = progress
    end
    local wait = READER_WAIT
    if deadline then
        wait = math.min(wait, math.max(deadline - ngx.now(), 0.001))
    end
    self.waiting = self.waiting + 1
    local ok, err = progress:wait(wait)
    if not ok then
        if self.waiting > 0 then
            self.waiting = self.waiting - 1
        end
        if err ~= "timeout" then
            return nil, err
        end
    end
    return true
end

local function wake_waiters(self)
    local n = self.waiting
    if n > 0 then
        self.waiting = 0
        self.progress:post(n)
    end
end

local read_frame

-- Reads and handles one frame, then wakes the light threads waiting for it.
local function serve_frame(self)
    self.reading = coroutine.running()
    local ok, err = read_frame(self)
    self.reading = false
    wake_waiters(self)
    return ok, err
end

-- Makes progress on the session: reads one frame, feeds it to the core,
-- handles the events and sends what the core answered; or, while another
-- light thread (or resty.http2.pool's connection owner) does that, waits
-- for it. Callers loop until what they wait for (their stream's headers,
-- body, writability) is there, or `stream.deadline` (ngx.now() seconds)
-- has passed.
local function pump(self, stream)
    if self.closed then
        return nil, self.fatal or "closed"
    end
    local deadline = stream and stream.deadline
    if deadline and ngx.now() >= deadline then
        return nil, "timeout"
    end
    if self.reading or self.kick then
        if self.reading and coroutine.status(self.reading) == "dead" then
            -- Killed in the middle of a frame: the framing is lost.
            self.reading = false
            return connection_lost(self, "a light thread was killed while reading")
        end
        -- What this thread queued (a WINDOW_UPDATE for the body it read,
        -- say) may be what the server waits for before it sends the frame
        -- the reader waits for: send it before waiting.
        local ok, err = flush(self)
        if not ok then
            return nil, err
        end
        return wait_for_reader(self, deadline)
    end
    return serve_frame(self)
end

function read_frame(self)
    local ok, err = flush_unless_settings_ack(self)
    if not ok then
        return connection_lost(self, err)
    end
    local head
    head, err = self.recv(self.ctx, 9)
    if not head then
        return connection_lost(self, err)
    end
    local a, b, c = byte(head, 1, 3)
    local length = a * 65536 + b * 256 + c
    local conn = self.conn
    -- The clock moves once per turn of nginx's event loop (ngx.now() is
    -- cached): frames read in the same turn need no tick of their own.
    local now = now_ms()
    if now ~= self.ticked_ms then
        self.ticked_ms = now
        lib.h2_conn_tick(conn, now)
    end
    -- The header goes to the core first: a frame longer than we allow ends
    -- the connection (FRAME_SIZE_ERROR) before its payload is read.
    if lib.h2_conn_recv(conn, head, 9) < 0 then
        dispatch_events(self)
        flush_now(self) -- the GOAWAY
        return connection_lost(self, self.fatal or "connection error")
    end
    local payload = ""
    if length > 0 then
        payload, err = self.recv(self.ctx, length)
        if not payload then
            return connection_lost(self, err)
        end
    end
    -- DATA events point into `payload`: it stays referenced (a local) until
    -- the events have been copied out below.
    if length > 0 then
        -- (A zero length would tell the core the server closed.)
        lib.h2_conn_recv(conn, payload, length)
    end
    self.frame_payload = payload
    ok, err = dispatch_events(self)
    self.frame_payload = nil
    if not ok then
        return nil, err
    end
    return flush_unless_settings_ack(self)
end

-- Requests ------------------------------------------------------------------

local function has_pseudo(headers, name)
    for i = 1, #headers do
        if headers[i].name == name then
            return true
        end
    end
    return false
end

local request_pseudo = { ":method", ":scheme", ":path" }
local connect_pseudo = { ":method", ":authority" }

local function method_is_connect(headers)
    for i = 1, #headers do
        if headers[i].name == ":method" then
            return headers[i].value == "CONNECT"
        end
    end
    return false
end

-- The h2_header array requests are built in, grown when a request has more
-- fields: the core encodes (or copies) them during h2_conn_submit_request,
-- and nothing yields between building the array and that call.
local request_fields = ffi.new("h2_header[?]", 32)
local request_fields_size = 32

-- The request's fields as an h2_header array, plus the Lua strings it
-- points to (kept referenced by the caller for the duration of the call).
local function build_fields(headers)
    if type(headers) ~= "table" or #headers == 0 then
        return nil, "empty headers"
    end
    -- A plain CONNECT carries :method and :authority only (RFC 9113 8.5).
    local required = method_is_connect(headers) and connect_pseudo
                     or request_pseudo
    for i = 1, #required do
        if not has_pseudo(headers, required[i]) then
            return nil, "missing pseudo-header " .. required[i]
        end
    end
    if #headers > request_fields_size then
        request_fields_size = #headers
        request_fields = ffi.new("h2_header[?]", request_fields_size)
    end
    local fields = request_fields
    local anchors, count = {}, 0
    for i = 1, #headers do
        local h = headers[i]
        if type(h) ~= "table" or h.name == nil or h.value == nil then
            return nil, "header " .. i .. " needs a name and a value"
        end
        local name = lower(tostring(h.name))
        if not connection_specific[name] then
            local value = tostring(h.value)
            local f = fields[count]
            f.name = ffi_cast("const uint8_t *", name)
            f.name_length = #name
            f.value = ffi_cast("const uint8_t *", value)
            f.value_length = #value
            anchors[#anchors + 1] = name
            anchors[#anchors + 1] = value
            count = count + 1
        end
    end
    return fields, count, anchors
end

-- Queues `data` on the stream, waiting (reading the server's frames) while
-- the core's send buffer is full: bounded buffering with backpressure.
local function send_data(self, stream, data, last)
    local conn, sid = self.conn, stream.sid
    local offset, length = 0, #data
    while true do
        local n = lib.h2_conn_submit_data(conn, sid,
            ffi_cast("const uint8_t *", data) + offset, length - offset,
            last and 1 or 0)
        if n < 0 then
            return nil, stream.err or core.strerror(n)
        end
        offset = offset + n
        if offset >= length then
            return flush(self)
        end
        stream.writable = false
        while true do
            -- Sending what is queued may itself free room (the server's
            -- window was open): look at the events before blocking on a read.
            local ok, err = flush(self)
            if ok then
                ok, err = dispatch_events(self)
            end
            if not ok then
                return nil, err
            end
            if stream.writable then
                break
            end
            if stream.done then
                return nil, stream.err or "stream closed"
            end
            ok, err = pump(self, stream)
            if not ok then
                return nil, err
            end
        end
    end
end

local function send_body(self, stream, body)
    if type(body) == "string" then
        return send_data(self, stream, body, true)
    end
    while true do
        local part, last, err = body(BODY_CHUNK)
        if err then
            self:close(h2_error.INTERNAL_ERROR)
            return nil, err
        end
        local ok
        ok, err = send_data(self, stream, part or "", last and true or false)
        if not ok then
            return nil, err
        end
        if last then
            return true
        end
        if part == nil or part == "" then
            return nil, "body function returned no data and not last"
        end
    end
end

-- client:send_request(headers, body?) -> stream, err
function _M.send_request(self, headers, body)
    if self.closed or self.goaway_sent then
        return nil, "goaway frame was received or sent"
    end
    if body ~= nil and type(body) ~= "string" and type(body) ~= "function" then
        return nil, "body must be a string or a function"
    end
    local fields, count, anchors = build_fields(headers)
    if not fields then
        return nil, count
    end
    local stream = { body = { first = 1, last = 0 }, done = false }
    local end_stream = body == nil and 1 or 0
    local sid = lib.h2_conn_submit_request(self.conn, fields, count,
                                           end_stream, nil)
    -- `fields` points into the strings `anchors` holds; this use after the
    -- call keeps them alive until the core has encoded or copied them.
    anchors = nil
    if sid < 0 then
        if sid == core.ERR_CONNECTION_GOING_AWAY then
            return nil, "goaway frame was received or sent"
        end
        if sid == core.ERR_INVALID_HEADER then
            return nil, "invalid request header"
        end
        return nil, core.strerror(sid)
    end
    stream.sid = sid
    self.streams[sid] = stream
    local ok, err
    if body ~= nil then
        ok, err = send_body(self, stream, body)
    else
        ok, err = flush(self)
    end
    if not ok then
        return nil, err
    end
    return stream
end

-- client:read_headers(stream) -> headers, err
function _M.read_headers(self, stream)
    if type(stream) ~= "table" or not stream.sid then
        return nil, "invalid stream"
    end
    while not stream.headers do
        if stream.done then
            return nil, stream.err or "stream reset"
        end
        local ok, err = pump(self, stream)
        if not ok then
            return nil, err
        end
    end
    return stream.headers
end

-- A stream nobody will read any more: the body it still holds goes back
-- to the connection's flow-control window.
local function forget(self, stream)
    if self.streams[stream.sid] == stream then
        self.streams[stream.sid] = nil
    end
    local body, unread = stream.body, 0
    for i = body.first, body.last do
        unread = unread + #body[i]
        body[i] = nil
    end
    body.first, body.last = 1, 0
    if unread > 0 then
        lib.h2_conn_consume(self.conn, stream.sid, unread)
    end
end

-- client:read_body(stream) -> one piece of the body; "" once the body is
-- done, nil once trailers arrived (as the seed), nil + err on failure.
function _M.read_body(self, stream)
    if type(stream) ~= "table" or not stream.sid then
        return nil, "invalid stream"
    end
    while true do
        local body = stream.body
        if body.first <= body.last then
            local data = body[body.first]
            body[body.first] = nil
            body.first = body.first + 1
            lib.h2_conn_consume(self.conn, stream.sid, #data)
            return data
        end
        if stream.done then
            forget(self, stream)
            if stream.err then
                return nil, stream.err
            end
            if stream.trailers then
                return nil
            end
            return ""
        end
        local ok, err = pump(self, stream)
        if not ok then
            return nil, err
        end
    end
end

-- client:read_trailers(stream) -> the trailers once the body is read, or nil.
function _M.read_trailers(self, stream)
    return stream.trailers
end

-- Reads `stream`'s body to its end (or to its trailers), handing each
-- piece to `each`; `each` returning true stops there. Returns true,
-- "stopped", or nil and the error.
local function each_body_piece(self, stream, each)
    while true do
        local data, err = self:read_body(stream)
        if data == nil then
            if err then
                return nil, err
            end
            return true -- trailers
        end
        if data == "" then
            return true
        end
        if each(data) then
            return "stopped"
        end
    end
end
_M._each_body_piece = each_body_piece

-- A request() callback returned true: as in the seed, that aborts the
-- whole session with a GOAWAY, and request() still reports success.
local function abort_session(self)
    self:close(h2_error.NO_ERROR)
    return true
end

-- client:request(headers, body?, on_headers_reach, on_data_reach,
--                on_trailers_reach?) -> ok, err
function _M.request(self, headers, body, on_headers_reach, on_data_reach,
                    on_trailers_reach)
    if type(on_headers_reach) ~= "function" then
        return nil, "invalid on_headers_reach callback"
    end
    if type(on_data_reach) ~= "function" then
        return nil, "invalid on_data_reach callback"
    end
    local stream, err = self:send_request(headers, body)
    if not stream then
        return nil, err
    end
    local response
    response, err = self:read_headers(stream)
    if not response then
        return nil, err
    end
    if on_headers_reach(self.ctx, response) then
        return abort_session(self)
    end
    local done
    done, err = each_body_piece(self, stream, function(data)
        return on_data_reach(self.ctx, data)
    end)
    if not done then
        return nil, err
    end
    if done == "stopped" then
        return abort_session(self)
    end
    if stream.trailers and on_trailers_reach
       and on_trailers_reach(self.ctx, stream.trailers) then
        return abort_session(self)
    end
    return true
end

-- client:acknowledge_settings() -> ok, err. The core ACKs the server's
-- SETTINGS by itself and requests need not wait for them; this still
-- waits for them, as the seed did, for code that depends on it.
function _M.acknowledge_settings(self)
    while not self.settings_received do
        local ok, err = pump(self)
        if not ok then
            return nil, err
        end
    end
    return flush(self)
end

-- client:close(code?) -> ok, err: GOAWAY with `code` (NO_ERROR by
-- default), flushed.
function _M.close(self, code)
    code = code or h2_error.NO_ERROR
    if not self.goaway_sent then
        self.goaway_sent = true
        if code == h2_error.NO_ERROR then
            lib.h2_conn_shutdown(self.conn)
        else
            lib.h2_conn_terminate(self.conn, code, "closed by the application")
        end
    end
    local ok, err = flush(self)
    dispatch_events(self)
    return ok, err
end

-- client:ping() -> ok, err: sends a PING and waits for its ACK.
function _M.ping(self)
    local before = self.ping_acks or 0
    local rc = lib.h2_conn_ping(self.conn, "libh2-lu")
    if rc < 0 then
        return nil, core.strerror(rc)
    end
    while (self.ping_acks or 0) == before do
        local ok, err = pump(self)
        if not ok then
            return nil, err
        end
    end
    return true
end

-- client:reset(stream, code?) -> ok, err: cancels one stream only.
function _M.reset(self, stream, code)
    local rc = lib.h2_conn_reset_stream(self.conn, stream.sid,
                                        code or h2_error.CANCEL)
    forget(self, stream)
    stream.done, stream.err = true, "stream reset"
    if rc < 0 then
        return nil, core.strerror(rc)
    end
    return flush(self)
end

-- client:keepalive(key): parks the session for http2.new{key=key}. A
-- failed or closing session is never parked.
function _M.keepalive(self, key)
    if self.closed or self.goaway_sent or self.goaway_received
       or lib.h2_conn_is_closed(self.conn) ~= 0 then
        return
    end
    -- A deferred SETTINGS ACK leaves now, the session may stay parked
    -- long. In the seed README's own order the cosocket is already back in
    -- nginx's pool, so nothing can be sent: what is queued stays in the
    -- core and leaves with the session's next request.
    if not self.kick and socket_open(self) and not flush_now(self) then
        return
    end
    -- The session forgets the cosocket (it goes back to nginx's pool);
    -- http2.new{key=} binds the one taken out again.
    if self.transport then
        self.transport:rebind(nil, nil, nil)
    else
        self.recv, self.send, self.ctx = nil, nil, nil
    end
    parked[key] = self
end

-- Diagnostics used by tests and callers: the server's settings.
function _M.peer_max_concurrent_streams(self)
    return lib.h2_conn_peer_max_concurrent_streams(self.conn)
end

function _M.peer_setting(self, id)
    return lib.h2_conn_peer_setting(self.conn, id)
end

-- For resty.http2.pool, whose timer owns the connection and does its I/O:
-- `kick` is called instead of sending when another context queued output.
-- Sending frees room in the core's send buffer (H2_EVENT_WRITABLE), so
-- the owner's sender hands out events and wakes waiters as the reader does.
function _M._flush_now(self)
    if lib.h2_conn_peek_output(self.conn, self.output) == 0 then
        return true
    end
    local ok, err = flush_now(self)
    if ok then
        ok, err = dispatch_events(self)
    end
    wake_waiters(self)
    return ok, err
end
_M._serve_frame = serve_frame
-- The connection is gone (closed by its owner): streams still open end
-- as the core reports them, and every waiting light thread wakes to see it.
function _M._abandon(self, err)
    self.reading = false
    if not self.closed then
        connection_lost(self, err)
    end
    wake_waiters(self)
end

return _M
