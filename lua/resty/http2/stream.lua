-- resty.http2.stream: the stream objects of lua-resty-http2's low-level
-- API over libh2's connection core. See docs/lua.md, "resty.http2.stream".
--
-- A stream object is the Lua face of one stream of a session made by
-- resty.http2.protocol. The core owns the stream's protocol state; the
-- object reads it when asked: `state`, `peer_state`, `send_window` and
-- `recv_window` are computed from the core on every access, never copies
-- that could go stale. The RFC 7540 dependency tree (`parent`, `child`,
-- `weight`, `rank`, `rel_weight`) is kept here only, as the seed kept it:
-- RFC 9113 deprecated that signalling and the core sends none.

local ffi = require "ffi"
local bit = require "bit"
local ll = require "resty.http2.core_lowlevel"
local core = require "resty.http2.core"
local h2_error = require "resty.http2.error"

local lib = ll.lib
local ffi_cast, ffi_string = ffi.cast, ffi.string
local lower = string.lower
local type, pairs, tostring, tonumber = type, pairs, tostring, tonumber
local setmetatable, rawget, next = setmetatable, rawget, next

local MAX_WINDOW = 0x7fffffff
local MAX_WEIGHT = 256
local DEFAULT_WEIGHT = 16

local STATE_IDLE = 0
local STATE_OPEN = 1
local STATE_CLOSED = 2
local STATE_HALF_CLOSED_LOCAL = 3
local STATE_HALF_CLOSED_REMOTE = 4
local STATE_RESERVED_LOCAL = 5
local STATE_RESERVED_REMOTE = 6

-- Request fields HTTP/2 forbids (RFC 9113 section 8.2.2); the seed drops
-- them silently, and so does this module.
local IS_CONNECTION_SPEC_HEADERS = {
    ["connection"] = true,
    ["keep-alive"] = true,
    ["proxy-connection"] = true,
    ["upgrade"] = true,
    ["transfer-encoding"] = true,
}

local _M = {
    _VERSION = "0.1",
    STATE_IDLE = STATE_IDLE,
    STATE_OPEN = STATE_OPEN,
    STATE_CLOSED = STATE_CLOSED,
    STATE_HALF_CLOSED_LOCAL = STATE_HALF_CLOSED_LOCAL,
    STATE_HALF_CLOSED_REMOTE = STATE_HALF_CLOSED_REMOTE,
    STATE_RESERVED_LOCAL = STATE_RESERVED_LOCAL,
    STATE_RESERVED_REMOTE = STATE_RESERVED_REMOTE,
    MAX_WINDOW = MAX_WINDOW,
    MAX_WEIGHT = MAX_WEIGHT,
    DEFAULT_WEIGHT = DEFAULT_WEIGHT,
    IS_CONNECTION_SPEC_HEADERS = IS_CONNECTION_SPEC_HEADERS,
}

local methods = {}

-- The core's stream states, as the seed's constants.
local from_core_state = {
    [ll.STREAM_STATE_IDLE] = STATE_IDLE,
    [ll.STREAM_STATE_OPEN] = STATE_OPEN,
    [ll.STREAM_STATE_HALF_CLOSED_LOCAL] = STATE_HALF_CLOSED_LOCAL,
    [ll.STREAM_STATE_HALF_CLOSED_REMOTE] = STATE_HALF_CLOSED_REMOTE,
}

-- The same state seen from the server's end.
local mirrored = {
    [STATE_HALF_CLOSED_LOCAL] = STATE_HALF_CLOSED_REMOTE,
    [STATE_HALF_CLOSED_REMOTE] = STATE_HALF_CLOSED_LOCAL,
}

local info_buffer = ffi.new("h2_stream_info")

-- The core's view of the stream, or nil when the core no longer has it
-- (finished or reset) or never had it (not submitted yet).
local function stream_info(self)
    local sid = rawget(self, "sid")
    local session = rawget(self, "session")
    if not sid or sid == 0 or not session then
        return nil
    end
    info_buffer.struct_size = ffi.sizeof(info_buffer)
    if lib.h2_conn_get_stream(session.conn, sid, info_buffer) < 0 then
        return nil
    end
    return info_buffer
end

local function current_state(self)
    if rawget(self, "sid") == 0 then
        return STATE_OPEN
    end
    if not rawget(self, "submitted") then
        return STATE_IDLE
    end
    local info = stream_info(self)
    if not info then
        return STATE_CLOSED
    end
    return from_core_state[info.state]
end

local function window(self, field)
    if rawget(self, "sid") == 0 then
        return self.session[field]
    end
    local info = stream_info(self)
    if not info then
        return 0
    end
    return tonumber(info[field])
end

local dynamic = {
    state = current_state,
    peer_state = function(self)
        local state = current_state(self)
        return mirrored[state] or state
    end,
    send_window = function(self) return window(self, "send_window") end,
    recv_window = function(self) return window(self, "recv_window") end,
}

local mt = core.object_mt(methods, dynamic)

-- h2_stream.new(sid, weight, session) -> stream. `sid` may be nil: the
-- core numbers the streams, and submit_headers gives the stream its id.
function _M.new(sid, weight, session)
    if sid ~= nil and (type(sid) ~= "number" or sid % 2 ~= 1
                       or sid > 0x7fffffff) then
        return nil, "a client stream id is odd and below 2^31"
    end
    if weight ~= nil and (type(weight) ~= "number" or weight < 1
                          or weight > MAX_WEIGHT) then
        return nil, "weight must be within 1..256"
    end
    if type(session) ~= "table" then
        return nil, "a stream needs its session"
    end
    local stream = setmetatable({
        sid = sid,
        session = session,
        weight = weight or DEFAULT_WEIGHT,
        done = false,
        rank = 1,
        rel_weight = 1,
        opaque_data = nil,
    }, mt)
    if session.root then
        methods.set_dependency(stream, nil, false)
    end
    return stream
end

-- h2_stream.new_root(session) -> the root stream (id 0): the connection.
function _M.new_root(session)
    return setmetatable({
        sid = 0,
        session = session,
        weight = DEFAULT_WEIGHT,
        done = false,
        rank = 0,
        rel_weight = 1,
        submitted = true,
    }, mt)
end

-- Header fields ------------------------------------------------------------------

-- `headers` is an array of { name =, value = } (the seed's http2 module)
-- or a hash name -> value, a value being a string or an array of strings
-- (the seed's protocol module). Returns the h2_header array, its count and
-- the Lua strings it points into (to keep referenced during the call).
local function build_fields(headers)
    if type(headers) ~= "table" or next(headers) == nil then
        return nil, "empty headers"
    end
    local names, values = {}, {}
    local function add(name, value)
        name = lower(tostring(name))
        if not IS_CONNECTION_SPEC_HEADERS[name] then
            names[#names + 1] = name
            values[#values + 1] = tostring(value)
        end
    end
    if #headers > 0 then
        for i = 1, #headers do
            local h = headers[i]
            if type(h) ~= "table" or h.name == nil or h.value == nil then
                return nil, "header " .. i .. " needs a name and a value"
            end
            add(h.name, h.value)
        end
    else
        -- Pseudo-header fields first (RFC 9113 section 8.3).
        for pass = 1, 2 do
            for name, value in pairs(headers) do
                local pseudo = type(name) == "string" and name:sub(1, 1) == ":"
                if pseudo == (pass == 1) then
                    if type(value) == "table" then
                        for i = 1, #value do
                            add(name, value[i])
                        end
                    else
                        add(name, value)
                    end
                end
            end
        end
    end
    local fields = ffi.new("h2_header[?]", #names)
    for i = 1, #names do
        local f = fields[i - 1]
        f.name = ffi_cast("const uint8_t *", names[i])
        f.name_length = #names[i]
        f.value = ffi_cast("const uint8_t *", values[i])
        f.value_length = #values[i]
    end
    return fields, #names, { names, values }
end

local submit_errors = {
    [core.ERR_CONNECTION_GOING_AWAY] = "goaway frame was received or sent",
    [core.ERR_INVALID_HEADER] = "invalid request header",
}

local function submit_error(rc)
    return submit_errors[rc] or core.strerror(rc)
end

-- The request's HEADERS: the core opens the stream and gives it its id.
local function submit_request(self, headers, end_stream)
    local session = self.session
    local sid = rawget(self, "sid")
    if sid ~= nil and sid ~= session.next_stream_id then
        return nil, "stream id " .. sid .. " is not the next one ("
                    .. session.next_stream_id .. "): the core numbers streams"
    end
    local fields, count, anchors = build_fields(headers)
    if not fields then
        return nil, count
    end
    local rc = lib.h2_conn_submit_request(session.conn, fields, count,
                                          end_stream and 1 or 0, nil)
    anchors = nil -- used after the call: the strings outlive it
    if rc < 0 then
        return nil, submit_error(rc)
    end
    self.sid = rc
    self.submitted = true
    session.stream_map[rc] = self
    return true
end

-- stream:submit_headers(headers, end_stream, priority?, pad?) -> ok, err.
-- On a new stream: the request (the core validates it, encodes it, splits
-- it into CONTINUATION frames as needed, and sends it when a concurrency
-- slot is free). On a stream whose request went out: trailers, which end
-- the request, so `end_stream` must be true. `priority` only updates the
-- local dependency tree; `pad` is accepted and not used (the core does
-- not pad what it sends).
function methods.submit_headers(self, headers, end_stream, priority, pad)
    if rawget(self, "sid") == 0 then
        return nil, "the root stream carries no headers"
    end
    if pad ~= nil and (type(pad) ~= "string" or #pad > 255) then
        return nil, "padding must be a string of at most 255 bytes"
    end
    if priority ~= nil then
        if type(priority) ~= "table" then
            return nil, "priority must be a table"
        end
        if priority.weight ~= nil then
            if type(priority.weight) ~= "number" or priority.weight < 1
               or priority.weight > MAX_WEIGHT then
                return nil, "weight must be within 1..256"
            end
        end
    end
    local ok, err
    if not rawget(self, "submitted") then
        ok, err = submit_request(self, headers, end_stream)
    else
        if not end_stream then
            return nil, "after the request's headers only trailers may be "
                        .. "sent, and they end the stream (end_stream)"
        end
        local fields, count, anchors = build_fields(headers)
        if not fields then
            return nil, count
        end
        local rc = lib.h2_conn_submit_trailers(self.session.conn, self.sid,
                                               fields, count)
        anchors = nil
        if rc < 0 then
            return nil, submit_error(rc)
        end
        ok = true
    end
    if ok and priority then
        if priority.weight then
            self.weight = priority.weight
        end
        methods.set_dependency(self, priority.sid, priority.excl)
    end
    return ok, err
end

-- stream:submit_data(data, pad?, last) -> true, or nil, err. The core
-- copies the data into its bounded send buffer and frames it as the
-- server's windows and MAX_FRAME_SIZE allow. When the buffer cannot take
-- all of it: nil, "send buffer full", and how many bytes it took; call
-- session:flush_queue, then session:recv_frame while stream.writable is
-- false, and submit the rest.
-- `pad` is accepted and not used.
function methods.submit_data(self, data, pad, last)
    local sid = rawget(self, "sid")
    if sid == 0 then
        return nil, "the root stream carries no data"
    end
    if not rawget(self, "submitted") then
        return nil, "the stream's headers have not been submitted"
    end
    if type(data) ~= "string" then
        return nil, "data must be a string"
    end
    self.writable = false
    local n = lib.h2_conn_submit_data(self.session.conn, sid, data, #data,
                                      last and 1 or 0)
    if n < 0 then
        return nil, rawget(self, "err") or core.strerror(n)
    end
    if n < #data then
        return nil, "send buffer full", n
    end
    self.writable = true
    return true
end

-- stream:submit_window_update(incr) -> true, or nil, err: lets the server
-- send `incr` more bytes on this stream (the root stream: the connection)
-- than the core's own window management allows.
function methods.submit_window_update(self, incr)
    if type(incr) ~= "number" or incr < 1 or incr > MAX_WINDOW
       or incr % 1 ~= 0 then
        return nil, "invalid window size increment"
    end
    local sid = rawget(self, "sid")
    if sid ~= 0 and not rawget(self, "submitted") then
        return nil, "the stream has not been opened"
    end
    local rc = lib.h2_conn_open_window(self.session.conn, sid, incr)
    if rc < 0 then
        if rc == ll.ERR_INVALID_ARGUMENT then
            return nil, "the window would pass 2^31 - 1"
        end
        if rc == ll.ERR_STREAM_NOT_FOUND or rc == ll.ERR_INVALID_STATE then
            return nil, "stream closed"
        end
        return nil, core.strerror(rc)
    end
    return true
end

-- stream:rst(code?) -> true, or nil, err. Queues RST_STREAM with `code`
-- (NO_ERROR by default); session:flush_queue sends it. A stream still
-- waiting for a concurrency slot is dropped without any frame. Other
-- streams are not affected.
function methods.rst(self, code)
    local sid = rawget(self, "sid")
    if sid == 0 then
        return nil, "the root stream cannot be reset"
    end
    code = code or h2_error.NO_ERROR
    if type(code) ~= "number" or code < 0 or code > 0xffffffff then
        return nil, "invalid error code"
    end
    if not rawget(self, "submitted") or self.done then
        return nil, "stream closed"
    end
    local session = self.session
    local rc = lib.h2_conn_reset_stream(session.conn, sid, code)
    self.done = true
    self.reset_code = code
    if session.stream_map[sid] == self then
        session.stream_map[sid] = nil
    end
    _M.forget(self)
    if rc < 0 then
        return nil, core.strerror(rc)
    end
    return true
end

-- Dependency tree ----------------------------------------------------------------

local function unlink(self)
    local parent = rawget(self, "parent")
    if not parent then
        return
    end
    local node, prev = rawget(parent, "child"), nil
    while node and node ~= self do
        prev, node = node, rawget(node, "next_sibling")
    end
    if node then
        if prev then
            prev.next_sibling = rawget(self, "next_sibling")
        else
            parent.child = rawget(self, "next_sibling")
        end
    end
    self.next_sibling = nil
end

local function link(self, parent)
    self.parent = parent
    self.next_sibling = rawget(parent, "child")
    parent.child = self
end

-- Ranks (depth) and relative weights (share among siblings) below `node`.
local function refresh(node)
    local total, child = 0, rawget(node, "child")
    while child do
        total = total + child.weight
        child = rawget(child, "next_sibling")
    end
    child = rawget(node, "child")
    while child do
        child.rank = node.rank + 1
        child.rel_weight = child.weight / total
        refresh(child)
        child = rawget(child, "next_sibling")
    end
end

local function is_below(node, ancestor)
    while node do
        if node == ancestor then
            return true
        end
        node = rawget(node, "parent")
    end
    return false
end

-- stream:set_dependency(depend, excl): makes the stream depend on stream
-- `depend` (an id or a stream object; the root when absent, and `excl` is
-- then false). With `excl` the stream becomes the sole child of `depend`,
-- adopting its other children. Local bookkeeping only: nothing is sent.
function methods.set_dependency(self, depend, excl)
    local session = self.session
    local root = session.root
    local parent = depend
    if type(depend) == "number" then
        parent = depend == 0 and root or session.stream_map[depend]
    end
    if parent == nil then
        parent, excl = root, false
    end
    if parent == self then
        return nil, "a stream cannot depend on itself"
    end
    if is_below(parent, self) then
        -- RFC 7540 section 5.3.3: the new parent first moves up to take
        -- the stream's place.
        unlink(parent)
        link(parent, rawget(self, "parent") or root)
    end
    unlink(self)
    if excl then
        local child = rawget(parent, "child")
        parent.child = nil
        while child do
            local following = rawget(child, "next_sibling")
            child.next_sibling = nil
            link(child, self)
            child = following
        end
    end
    link(self, parent)
    refresh(root)
    return true
end

-- Takes a finished stream out of the tree; its children move to its
-- parent (RFC 7540 section 5.3.4), so the tree holds live streams only.
function _M.forget(self)
    local parent = rawget(self, "parent")
    if not parent then
        return
    end
    unlink(self)
    local child = rawget(self, "child")
    self.child = nil
    while child do
        local following = rawget(child, "next_sibling")
        child.next_sibling = nil
        link(child, parent)
        child = following
    end
    self.parent = nil
    refresh(parent)
end

_M.methods = methods

return _M
