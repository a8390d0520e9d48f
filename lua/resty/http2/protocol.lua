-- resty.http2.protocol: the low-level session of lua-resty-http2 over
-- libh2's connection core (include/h2/conn.h). See docs/lua.md,
-- "resty.http2.protocol".
--
-- The core does the protocol: SETTINGS and their ACKs, PING ACKs, flow
-- control and WINDOW_UPDATEs, stream states, HPACK, GOAWAY and every limit.
-- This module gives it the seed's shape: recv_frame reads one frame from
-- the caller's `recv`, feeds its bytes to the core, applies the core's
-- events to the stream objects and returns the frame as a
-- resty.http2.frame table; the submit_* calls and frame_queue become core
-- calls; flush_queue sends what the core queued through the caller's
-- `send`. The seed's fields (ack_peer_settings, send_window, goaway_sent,
-- fatal, output_queue_size, ...) are read from the core on every access.

local ffi = require "ffi"
local bit = require "bit"
local core = require "resty.http2.core"
local ll = require "resty.http2.core_lowlevel"
local h2_error = require "resty.http2.error"
local h2_frame = require "resty.http2.frame"
local h2_stream = require "resty.http2.stream"

local lib = ll.lib
local band = bit.band
local sub = string.sub
local ffi_string = ffi.string
local type, tonumber, setmetatable, rawget = type, tonumber, setmetatable, rawget

local EVENT_BATCH = 64
local PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
local DEFAULT_MAX_CONCURRENT_STREAMS = 128 -- the seed's default

local _M = { _VERSION = "0.1" }
local methods = {}

-- Fields read from the core -------------------------------------------------------

local function state(self)
    local st = rawget(self, "state_buffer")
    st.struct_size = ffi.sizeof(st)
    lib.h2_conn_get_state(rawget(self, "conn"), st)
    return st
end

-- The complete frames waiting in the core's output (the seed counted the
-- frames of its output queue; the bytes are the core's now). The frame
-- headers are read in place: nothing is copied.
local function output_frames(self)
    local out = rawget(self, "output")
    local n = tonumber(lib.h2_conn_peek_output(rawget(self, "conn"), out))
    local bytes = out[0]
    local pos, count = 0, 0
    if n >= #PREFACE and ffi_string(bytes, #PREFACE) == PREFACE then
        pos = #PREFACE
    end
    while pos + 9 <= n do
        pos = pos + 9 + bytes[pos] * 65536 + bytes[pos + 1] * 256 + bytes[pos + 2]
        count = count + 1
    end
    return count
end

local fields = {
    ack_peer_settings = function(self)
        return state(self).peer_settings_received ~= 0
    end,
    local_settings_acked = function(self)
        return state(self).local_settings_acked ~= 0
    end,
    goaway_sent = function(self) return state(self).goaway_sent ~= 0 end,
    goaway_received = function(self)
        return state(self).goaway_received ~= 0
    end,
    last_stream_id = function(self)
        return tonumber(state(self).goaway_last_stream_id)
    end,
    fatal = function(self)
        return state(self).failed ~= 0 or rawget(self, "transport_error") ~= nil
    end,
    send_window = function(self) return tonumber(state(self).send_window) end,
    recv_window = function(self) return tonumber(state(self).recv_window) end,
    next_stream_id = function(self)
        return tonumber(state(self).next_stream_id)
    end,
    -- The largest frame we may send: the server's SETTINGS_MAX_FRAME_SIZE
    -- (the seed mixed it up with the one we advertise, below).
    max_frame_size = function(self)
        return tonumber(lib.h2_conn_peer_setting(rawget(self, "conn"),
                                                 h2_frame.SETTINGS_MAX_FRAME_SIZE))
    end,
    local_max_frame_size = function(self)
        return tonumber(state(self).local_max_frame_size)
    end,
    max_concurrent_streams = function(self)
        return tonumber(lib.h2_conn_peer_max_concurrent_streams(rawget(self, "conn")))
    end,
    active_streams = function(self)
        return tonumber(state(self).active_streams)
    end,
    output_queue_size = output_frames,
}

local mt = core.object_mt(methods, fields)

-- Creation ------------------------------------------------------------------------

local function check_number(value, low, high, what)
    if value ~= nil and (type(value) ~= "number" or value % 1 ~= 0
                         or value < low or value > high) then
        return what .. " must be within " .. low .. ".." .. high
    end
    return nil
end

local DROP_CONNECTION_FIELDS = 0x4 -- H2_CONN_DROP_CONNECTION_FIELDS

local function new_conn(preread_size, max_concurrent_stream, max_frame_size)
    return core.new_conn {
        -- Connection-specific response fields are removed, as the seed did.
        flags = DROP_CONNECTION_FIELDS,
        initial_window_size = preread_size,
        max_concurrent_streams = max_concurrent_stream or DEFAULT_MAX_CONCURRENT_STREAMS,
        max_frame_size = max_frame_size,
    }
end

-- protocol.session(recv, send, ctx, preread_size?, max_concurrent_stream?,
-- max_frame_size?) -> session, or nil and an error. Sends the preface and
-- our SETTINGS before it returns.
function _M.session(recv, send, ctx, preread_size, max_concurrent_stream,
                    max_frame_size)
    if type(recv) ~= "function" then
        return nil, "empty read handler"
    end
    if type(send) ~= "function" then
        return nil, "empty write handler"
    end
    local bad = check_number(preread_size, 0, 0x7fffffff, "preread_size")
                or check_number(max_concurrent_stream, 1, 0xffffffff,
                                "max_concurrent_stream")
                or check_number(max_frame_size, 16384, 16777215,
                                "max_frame_size")
    if bad then
        return nil, bad
    end
    local conn, err = new_conn(preread_size, max_concurrent_stream,
                               max_frame_size)
    if not conn then
        return nil, err
    end
    local self = setmetatable({
        conn = conn,
        recv = recv,
        send = send,
        ctx = ctx,
        stream_map = {},
        hpack = nil, -- the core's decoder owns the table (docs/lua.md)
        events = ffi.new("h2_event[?]", EVENT_BATCH),
        output = ffi.new("const uint8_t *[1]"),
        state_buffer = ffi.new("h2_conn_state"),
        ping_acks = 0,
    }, mt)
    self.root = h2_stream.new_root(self)
    local ok
    ok, err = self:flush_queue()
    if not ok then
        return nil, err
    end
    return self
end

-- Events --------------------------------------------------------------------------

-- A header block as the seed's hash: duplicate names become arrays.
local function fields_to_hash(ev)
    return core.add_fields({}, ev.headers, ev.header_count)
end

local function finish(self, stream)
    stream.done = true
    if self.stream_map[stream.sid] == stream then
        self.stream_map[stream.sid] = nil
    end
    h2_stream.forget(stream)
end

-- What a stream failed with, in the seed's words.
local function reset_reason(self, ev)
    if band(ev.flags, core.EVENT_FLAG_RETRYABLE) ~= 0 then
        return "connection went away"
    end
    if lib.h2_error_is_fatal(ev.error) ~= 0 then
        return rawget(self, "fatal_reason") or core.strerror(ev.error)
    end
    return "stream reset"
end

local stream_events = {
    [core.EVENT_HEADERS] = function(self, stream, ev, frame)
        stream.headers = fields_to_hash(ev)
        if frame then
            frame.headers = stream.headers
        end
    end,
    [core.EVENT_INFORMATIONAL] = function(self, stream, ev, frame)
        local interim = fields_to_hash(ev)
        stream.interim = stream.interim or {}
        stream.interim[#stream.interim + 1] = interim
        if frame then
            frame.headers, frame.informational = interim, true
        end
    end,
    [core.EVENT_TRAILERS] = function(self, stream, ev, frame)
        stream.trailers = fields_to_hash(ev)
        if frame then
            frame.headers, frame.trailers = stream.trailers, true
        end
    end,
    [core.EVENT_STREAM_END] = function(self, stream)
        finish(self, stream)
    end,
    [core.EVENT_STREAM_RESET] = function(self, stream, ev)
        stream.retryable = band(ev.flags, core.EVENT_FLAG_RETRYABLE) ~= 0
        stream.reset_code = tonumber(lib.h2_error_wire_code(ev.error))
        stream.err = reset_reason(self, ev)
        finish(self, stream)
    end,
    [core.EVENT_WRITABLE] = function(self, stream)
        stream.writable = true
    end,
}

local connection_events = {
    [core.EVENT_PING_ACK] = function(self)
        self.ping_acks = self.ping_acks + 1
    end,
    [core.EVENT_GOAWAY] = function(self, ev)
        self.goaway_error = ev.error
        self.goaway_debug_data = ev.length > 0
                                 and ffi_string(ev.data, ev.length) or nil
    end,
    [core.EVENT_CONNECTION_ERROR] = function(self, ev)
        local detail = lib.h2_conn_error_detail(self.conn)
        local reason = core.strerror(ev.error)
        if detail ~= nil then
            reason = reason .. ": " .. ffi_string(detail)
        end
        self.fatal_reason = reason
    end,
    [core.EVENT_CLOSED] = function(self)
        self.closed = true
    end,
}

-- Applies the core's pending events; `frame` (may be nil) is the frame
-- just received, which gets the decoded fields of a completed block.
local function dispatch(self, frame)
    local conn, events, map = self.conn, self.events, self.stream_map
    local frame_sid = frame and frame.header.id
    while true do
        local n = lib.h2_conn_poll(conn, events, EVENT_BATCH)
        if n <= 0 then
            return
        end
        for i = 0, n - 1 do
            local ev = events[i]
            local handler = stream_events[ev.type]
            if handler then
                local stream = map[ev.stream_id]
                if stream then
                    handler(self, stream, ev,
                            ev.stream_id == frame_sid and frame or nil)
                end
            else
                handler = connection_events[ev.type]
                if handler then
                    handler(self, ev)
                end
            end
        end
    end
end

local now_ms = core.now_ms

-- Output --------------------------------------------------------------------------

-- session:flush_queue() -> true, or nil and the transport's error. Taking
-- output lets the core frame more request body, which may free room in
-- its send buffer: the events that say so (stream.writable) are applied
-- before returning, so a writer waiting for room never waits on a read.
function methods.flush_queue(self)
    local send = rawget(self, "send")
    if not send then
        return nil, "the session is detached"
    end
    local conn, out = self.conn, self.output
    while true do
        local n = tonumber(lib.h2_conn_peek_output(conn, out))
        if n == 0 then
            dispatch(self, nil)
            return true
        end
        local ok, err = send(self.ctx, ffi_string(out[0], n))
        if not ok then
            self.transport_error = err
            return nil, err
        end
        lib.h2_conn_consume_output(conn, n)
    end
end

-- Input ---------------------------------------------------------------------------

-- The transport failed or the server closed: open streams end (truncated,
-- never clean) and the caller gets the transport's error.
local function connection_lost(self, err)
    self.transport_error = err or "closed"
    lib.h2_conn_recv(self.conn, nil, 0)
    dispatch(self, nil)
    return nil, self.transport_error
end

-- The frame as resty.http2.frame decodes it. Stream-level decoding errors
-- do not fail the session (the core resets the stream): the frame then
-- carries `error` (a STREAM_* code) and `error_reason`.
local function decode_frame(self, hd, payload)
    local frame = { header = hd }
    local unpack = h2_frame.unpack[hd.type]
    if not unpack then
        frame.payload = payload -- an extension frame: ignored by the core
        return frame
    end
    local ok, code, why = unpack(frame, payload, self.stream_map[hd.id] or self.root)
    if not ok then
        frame.error, frame.error_reason = code, why
    end
    return frame
end

local function failed(self)
    if state(self).failed ~= 0 then
        self:flush_queue() -- the GOAWAY the core queued, best effort
        return nil, rawget(self, "fatal_reason") or "connection error"
    end
    return nil
end

-- session:recv_frame() -> frame, or nil and an error. Reads one frame,
-- lets the core act on it (answers, window updates, resets, GOAWAY are
-- queued and flushed here), and returns it. A completed header block adds
-- `frame.headers` (a hash; `informational` or `trailers` say which kind).
function methods.recv_frame(self)
    local recv = rawget(self, "recv")
    if not recv then
        return nil, "the session is detached"
    end
    if rawget(self, "transport_error") then
        return nil, self.transport_error
    end
    local _, err = failed(self)
    if err then
        return nil, err
    end
    local ok
    ok, err = self:flush_queue()
    if not ok then
        return connection_lost(self, err)
    end
    local head
    head, err = recv(self.ctx, h2_frame.HEADER_SIZE)
    if not head or #head < h2_frame.HEADER_SIZE then
        return connection_lost(self, err)
    end
    local conn = self.conn
    lib.h2_conn_tick(conn, now_ms())
    -- The header alone first: the core refuses a hostile length before
    -- any of the payload is read.
    lib.h2_conn_recv(conn, head, #head)
    local hd = h2_frame.header.unpack(head)
    dispatch(self, nil)
    _, err = failed(self)
    if err then
        return nil, err
    end
    local payload = ""
    if hd.length > 0 then
        payload, err = recv(self.ctx, hd.length)
        if not payload then
            return connection_lost(self, err)
        end
        lib.h2_conn_recv(conn, payload, #payload)
    end
    local frame = decode_frame(self, hd, payload)
    dispatch(self, frame)
    _, err = failed(self)
    if err then
        return nil, err
    end
    ok, err = self:flush_queue()
    if not ok then
        return connection_lost(self, err)
    end
    return frame
end

-- Requests ------------------------------------------------------------------------

-- session:submit_request(headers, no_body, priority?, pad?) -> stream, or
-- nil and an error. Unlike the seed, it need not wait for the server's
-- SETTINGS: the request leaves in the first flight.
function methods.submit_request(self, headers, no_body, priority, pad)
    local stream, err = h2_stream.new(nil, h2_stream.DEFAULT_WEIGHT, self)
    if not stream then
        return nil, err
    end
    local ok
    ok, err = stream:submit_headers(headers, no_body, priority, pad)
    if not ok then
        h2_stream.forget(stream)
        return nil, err
    end
    return stream
end

-- session:submit_window_update(incr): on the connection (the root stream).
function methods.submit_window_update(self, incr)
    return self.root:submit_window_update(incr)
end

-- session:adjust_window(delta) -> nil and why. The seed applied a change
-- of the server's SETTINGS_INITIAL_WINDOW_SIZE to every stream by hand;
-- the core does so itself when those SETTINGS arrive, and a second
-- adjustment would break its accounting, so this refuses.
function methods.adjust_window(self, delta)
    return nil, "stream windows follow the server's SETTINGS in the core; "
                .. "they cannot be adjusted by hand"
end

-- session:close(code?, debug_data?) -> true, or nil and an error. Queues a
-- GOAWAY (NO_ERROR: a graceful shutdown that lets open streams finish;
-- another code: the connection ends at once, `debug_data` being the
-- reason recorded). flush_queue sends it.
function methods.close(self, code, debug_data)
    code = code or h2_error.NO_ERROR
    if type(code) ~= "number" or code < 0 or code > 0xffffffff then
        return nil, "invalid error code"
    end
    if state(self).goaway_sent ~= 0 then
        return true
    end
    local rc
    if code == h2_error.NO_ERROR then
        rc = lib.h2_conn_shutdown(self.conn)
    else
        rc = lib.h2_conn_terminate(self.conn, code,
                                   debug_data or "closed by the application")
    end
    dispatch(self, nil)
    if rc < 0 and code == h2_error.NO_ERROR then
        return nil, core.strerror(rc)
    end
    return true
end

-- session:detach(): forgets the transport (the session stays usable).
function methods.detach(self)
    self.recv, self.send, self.ctx = nil, nil, nil
end

-- session:attach(recv, send, ctx) -> true, or nil and an error.
function methods.attach(self, recv, send, ctx)
    if type(recv) ~= "function" then
        return nil, "empty read handler"
    end
    if type(send) ~= "function" then
        return nil, "empty write handler"
    end
    if lib.h2_conn_is_closed(self.conn) ~= 0 or rawget(self, "transport_error") then
        return nil, "the session is closed"
    end
    self.recv, self.send, self.ctx = recv, send, ctx
    return true
end

-- frame_queue -------------------------------------------------------------------------

local queue_handlers = {}

queue_handlers[h2_frame.RST_STREAM_FRAME] = function(self, f)
    local stream = self.stream_map[f.header.id]
    if not stream then
        return nil, "stream closed"
    end
    return stream:rst(f.error_code)
end

queue_handlers[h2_frame.GOAWAY_FRAME] = function(self, f)
    return self:close(f.error_code, f.debug_data)
end

queue_handlers[h2_frame.PING_FRAME] = function(self, f)
    if f.header.flag_ack then
        return nil, "frame_queue: the core acknowledges PINGs itself"
    end
    local dst = {}
    h2_frame.ping.pack(f, dst)
    local rc = lib.h2_conn_ping(self.conn, sub(dst[2], 1, 8))
    if rc < 0 then
        return nil, core.strerror(rc)
    end
    return true
end

queue_handlers[h2_frame.WINDOW_UPDATE_FRAME] = function(self, f)
    local id = f.header.id
    local stream = id == 0 and self.root or self.stream_map[id]
    if not stream then
        return nil, "stream closed"
    end
    return stream:submit_window_update(f.window_size_increment)
end

queue_handlers[h2_frame.DATA_FRAME] = function(self, f)
    local stream = self.stream_map[f.header.id]
    if not stream then
        return nil, "stream closed"
    end
    return stream:submit_data(f.payload or "", f.pad, f.header.flag_end_stream)
end

queue_handlers[h2_frame.PRIORITY_FRAME] = function(self, f)
    local stream = self.stream_map[f.header.id]
    if not stream then
        return nil, "stream closed"
    end
    if f.weight then
        stream.weight = f.weight
    end
    return stream:set_dependency(f.depend, f.excl)
end

-- session:frame_queue(frame) -> true, or nil and an error. The frames whose
-- effect the core can carry out are turned into that core call: RST_STREAM
-- (reset), GOAWAY (close), PING (ping), WINDOW_UPDATE (open a window),
-- DATA (stream data) and PRIORITY (the local tree). HEADERS,
-- CONTINUATION, SETTINGS, PING ACKs and PUSH_PROMISE are the core's to
-- produce (its HPACK and SETTINGS state depend on them) and are refused.
function methods.frame_queue(self, frame)
    local hd = type(frame) == "table" and frame.header
    if type(hd) ~= "table" then
        return nil, "frame_queue: not a frame"
    end
    local handler = queue_handlers[hd.type]
    if not handler then
        return nil, "frame_queue: " .. h2_frame.type_name(hd.type)
                    .. " frames are produced by the core; use submit_request"
                    .. " or stream:submit_headers"
    end
    return handler(self, frame)
end

return _M
