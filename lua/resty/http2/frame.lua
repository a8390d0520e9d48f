-- resty.http2.frame: HTTP/2 frames as plain Lua tables, with the API of
-- lua-resty-http2's frame module (see docs/lua.md, "resty.http2.frame").
--
-- A frame is `{ header = hd, <type fields>, next = nil }`; `hd` comes from
-- header.new or header.unpack. `xxx.new(...)` builds a frame, `xxx.pack(f,
-- dst)` appends its bytes to the array `dst` as string pieces, and
-- `xxx.unpack(f, payload, stream?)` fills `f`'s fields from the payload
-- that follows `f.header`.
--
-- Unpacking goes through libh2's frame codec (include/h2/frame.h): every
-- rule of RFC 9113 that one frame decides (lengths, stream ids, padding,
-- priority fields, reserved bits) is checked there, padding is stripped
-- and the priority fields of HEADERS are read, never handed to HPACK (the
-- seed got all three wrong). Unpacking only decodes: stream states, windows
-- and settings belong to the connection core, which resty.http2.protocol
-- feeds with the same bytes. On failure unpack returns nil, the seed's
-- error code (a positive wire code for a connection error, a negative
-- STREAM_* code of resty.http2.error for a stream error) and a sentence.
--
-- Packing is plain Lua: it appends strings, and writes the length and the
-- PADDED / PRIORITY flags that the frame's fields call for, so a frame
-- whose fields were changed after new() still packs into a valid frame.

local ffi = require "ffi"
local bit = require "bit"
local ll = require "resty.http2.core_lowlevel"
local h2_error = require "resty.http2.error"

local lib = ll.lib
local band, bor, bnot = bit.band, bit.bor, bit.bnot
local rshift = bit.rshift
local char, byte = string.char, string.byte
local ffi_string = ffi.string
local type, tonumber = type, tonumber

local HEADER_SIZE = 9
local DEFAULT_FRAME_SIZE = 16384
local MAX_FRAME_SIZE = 16777215     -- 2^24 - 1, the largest payload
local MAX_STREAM_ID = 0x7fffffff
local MAX_WINDOW = 0x7fffffff
local MAX_PADDING = 255

local FLAG_NONE = 0x0
local FLAG_ACK = 0x1
local FLAG_END_STREAM = 0x1
local FLAG_END_HEADERS = 0x4
local FLAG_PADDED = 0x8
local FLAG_PRIORITY = 0x20

local DATA_FRAME = 0x0
local HEADERS_FRAME = 0x1
local PRIORITY_FRAME = 0x2
local RST_STREAM_FRAME = 0x3
local SETTINGS_FRAME = 0x4
local PUSH_PROMISE_FRAME = 0x5
local PING_FRAME = 0x6
local GOAWAY_FRAME = 0x7
local WINDOW_UPDATE_FRAME = 0x8
local CONTINUATION_FRAME = 0x9

local SETTINGS_HEADER_TABLE_SIZE = 0x1
local SETTINGS_ENABLE_PUSH = 0x2
local SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
local SETTINGS_INITIAL_WINDOW_SIZE = 0x4
local SETTINGS_MAX_FRAME_SIZE = 0x5
local SETTINGS_MAX_HEADER_LIST_SIZE = 0x6

local _M = { _VERSION = "0.1" }

local header, priority, rst_stream, settings = {}, {}, {}, {}
local ping, goaway, window_update, headers = {}, {}, {}, {}
local continuation, data, push_promise = {}, {}, {}

-- Byte helpers ---------------------------------------------------------------

local function u32(n)
    return char(band(rshift(n, 24), 0xff), band(rshift(n, 16), 0xff),
                band(rshift(n, 8), 0xff), band(n, 0xff))
end

local function u24(n)
    return char(band(rshift(n, 16), 0xff), band(rshift(n, 8), 0xff),
                band(n, 0xff))
end

local function u16(n)
    return char(band(rshift(n, 8), 0xff), band(n, 0xff))
end

local function is_integer(n, low, high)
    return type(n) == "number" and n % 1 == 0 and n >= low and n <= high
end

local function is_stream_id(sid)
    return is_integer(sid, 1, MAX_STREAM_ID)
end

-- The frame header -------------------------------------------------------------

-- header.new(length, typ, flags, id) -> hd. The flag_* booleans mirror
-- `flags` (the seed's code read them; both spellings stay in sync through
-- header.set_flags).
function header.new(length, typ, flags, id)
    local hd = { length = length, type = typ, id = id }
    header.set_flags(hd, flags or FLAG_NONE)
    return hd
end

-- Sets hd.flags and the flag_* booleans together.
function header.set_flags(hd, flags)
    hd.flags = flags
    hd.flag_ack = band(flags, FLAG_ACK) ~= 0
    hd.flag_end_stream = band(flags, FLAG_END_STREAM) ~= 0
    hd.flag_end_headers = band(flags, FLAG_END_HEADERS) ~= 0
    hd.flag_padded = band(flags, FLAG_PADDED) ~= 0
    hd.flag_priority = band(flags, FLAG_PRIORITY) ~= 0
    return hd
end

-- header.pack(hd, dst): the 9 bytes, as hd says (length truncated to 24
-- bits and the id to 31, as the wire format requires).
function header.pack(hd, dst)
    dst[#dst + 1] = u24(hd.length) .. char(band(hd.type, 0xff),
                                           band(hd.flags or 0, 0xff))
                    .. u32(band(hd.id, MAX_STREAM_ID))
end

local header_buffer = ffi.new("h2_frame_header")

-- header.unpack(src) -> hd, or nil and an error when src is shorter than
-- 9 bytes. The reserved bit of the stream id is masked off.
function header.unpack(src)
    if type(src) ~= "string" or #src < HEADER_SIZE then
        return nil, "a frame header needs 9 bytes"
    end
    lib.h2_frame_header_unpack(header_buffer, src)
    return header.new(header_buffer.length, header_buffer.type,
                      header_buffer.flags, header_buffer.stream_id)
end

-- Packs a header whose length is `length` and whose flags are hd.flags
-- with `set` added and `clear` removed, updating hd to match.
local function pack_header(f, length, set, clear, dst)
    local hd = f.header
    hd.length = length
    header.set_flags(hd, bor(band(hd.flags or 0, bnot(clear or 0)), set or 0))
    header.pack(hd, dst)
end

-- Unpacking through the C codec -----------------------------------------------

local frame_buffer = ffi.new("h2_frame")
local reason_buffer = ffi.new("const char *[1]")

-- A library code as the seed's error codes: stream errors negative.
local function seed_code(rc)
    local wire = tonumber(lib.h2_error_wire_code(rc))
    if wire == 0 then
        wire = h2_error.PROTOCOL_ERROR
    end
    if lib.h2_error_is_stream_level(rc) ~= 0 then
        return -wire
    end
    return wire
end

-- The largest payload we accept for `stream`'s session: its advertised
-- SETTINGS_MAX_FRAME_SIZE, or the protocol maximum without a session.
local function accepted_frame_size(stream)
    local session = type(stream) == "table" and stream.session
    local size = type(session) == "table" and session.local_max_frame_size
    return size or MAX_FRAME_SIZE
end

-- Decodes `src` as the payload of f.header with h2_frame_header_check and
-- h2_frame_unpack. Returns the filled h2_frame (valid until the next call)
-- or nil, code, reason.
local function decode(f, src, typ, stream)
    local hd = type(f) == "table" and f.header
    if type(hd) ~= "table" then
        return nil, h2_error.PROTOCOL_ERROR, "the frame has no header"
    end
    if hd.type ~= typ then
        return nil, h2_error.PROTOCOL_ERROR, "the header is of another frame type"
    end
    local length = hd.length
    if not is_integer(length, 0, MAX_FRAME_SIZE) then
        return nil, h2_error.FRAME_SIZE_ERROR, "invalid frame length"
    end
    if type(src) ~= "string" or #src < length then
        return nil, h2_error.FRAME_SIZE_ERROR,
               "the payload is shorter than the header's length"
    end
    header_buffer.length = length
    header_buffer.stream_id = band(hd.id or 0, MAX_STREAM_ID)
    header_buffer.type = typ
    header_buffer.flags = hd.flags or 0
    reason_buffer[0] = nil
    local rc = lib.h2_frame_header_check(header_buffer,
                                         accepted_frame_size(stream),
                                         reason_buffer)
    if rc == 0 then
        rc = lib.h2_frame_unpack(frame_buffer, header_buffer, src,
                                 reason_buffer)
    end
    if rc < 0 then
        local why = reason_buffer[0] ~= nil and ffi_string(reason_buffer[0])
                    or ffi_string(lib.h2_strerror(rc))
        return nil, seed_code(rc), why
    end
    return frame_buffer
end

local function payload_of(fr)
    if fr.payload_length == 0 then
        return ""
    end
    return ffi_string(fr.payload, fr.payload_length)
end

-- Priority fields as the seed's tables carry them: the RFC weight
-- (1..256), the wire value being the weight minus one.
local function set_priority_fields(f, fr)
    f.depend = tonumber(fr.dependency)
    f.excl = fr.exclusive ~= 0
    f.weight = fr.weight + 1
end

local function priority_bytes(depend, excl, weight)
    if excl then
        depend = bor(depend, 0x80000000)
    end
    return u32(depend) .. char((weight or 16) - 1)
end

local function check_priority(pri, sid)
    if not is_integer(pri.sid or pri.depend, 0, MAX_STREAM_ID) then
        return "invalid dependent stream id"
    end
    if (pri.sid or pri.depend) == sid then
        return "a stream cannot depend on itself"
    end
    if pri.weight ~= nil and not is_integer(pri.weight, 1, 256) then
        return "weight must be within 1..256"
    end
    return nil
end

local function check_pad(pad)
    if pad ~= nil and (type(pad) ~= "string" or #pad > MAX_PADDING) then
        return "padding must be a string of at most 255 bytes"
    end
    return nil
end

-- PRIORITY ---------------------------------------------------------------------

-- priority.new(sid, depend, excl, weight) -> pf (not in the seed's list,
-- but its pack needs such a table).
function priority.new(sid, depend, excl, weight)
    if not is_stream_id(sid) then
        return nil, "invalid stream id"
    end
    local bad = check_priority({ sid = depend, weight = weight }, sid)
    if bad then
        return nil, bad
    end
    return { header = header.new(5, PRIORITY_FRAME, FLAG_NONE, sid),
             depend = depend, excl = excl and true or false,
             weight = weight or 16, next = nil }
end

function priority.pack(pf, dst)
    pack_header(pf, 5, 0, 0, dst)
    dst[#dst + 1] = priority_bytes(pf.depend, pf.excl, pf.weight)
    return true
end

function priority.unpack(pf, src, stream)
    local fr, code, why = decode(pf, src, PRIORITY_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    set_priority_fields(pf, fr)
    return true
end

-- RST_STREAM -------------------------------------------------------------------

function rst_stream.new(error_code, sid)
    if not is_stream_id(sid) then
        return nil, "invalid stream id"
    end
    if not is_integer(error_code, 0, 0xffffffff) then
        return nil, "invalid error code"
    end
    return { header = header.new(4, RST_STREAM_FRAME, FLAG_NONE, sid),
             error_code = error_code, next = nil }
end

function rst_stream.pack(rf, dst)
    pack_header(rf, 4, 0, 0, dst)
    dst[#dst + 1] = u32(rf.error_code)
    return true
end

function rst_stream.unpack(rf, src, stream)
    local fr, code, why = decode(rf, src, RST_STREAM_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    rf.error_code = tonumber(fr.error_code)
    return true
end

-- SETTINGS ---------------------------------------------------------------------

-- The values RFC 9113 section 6.5.2 allows, for the settings it defines.
local function check_setting(id, value)
    if not is_integer(id, 0, 0xffff) or not is_integer(value, 0, 0xffffffff) then
        return "setting ids are 16-bit and values 32-bit integers"
    end
    if id == SETTINGS_ENABLE_PUSH and value > 1 then
        return "SETTINGS_ENABLE_PUSH must be 0 or 1"
    end
    if id == SETTINGS_INITIAL_WINDOW_SIZE and value > MAX_WINDOW then
        return "SETTINGS_INITIAL_WINDOW_SIZE must be at most 2^31 - 1"
    end
    if id == SETTINGS_MAX_FRAME_SIZE
       and (value < DEFAULT_FRAME_SIZE or value > MAX_FRAME_SIZE) then
        return "SETTINGS_MAX_FRAME_SIZE must be within 16384..16777215"
    end
    return nil
end

-- settings.new(flags, payload) -> sf. payload: array of { id=, value= }.
function settings.new(flags, payload)
    flags = flags or FLAG_NONE
    payload = payload or {}
    if band(flags, FLAG_ACK) ~= 0 and #payload > 0 then
        return nil, "a SETTINGS frame with ACK cannot carry settings"
    end
    for i = 1, #payload do
        local item = payload[i]
        local bad = type(item) ~= "table" and "settings entries are { id=, value= }"
                    or check_setting(item.id, item.value)
        if bad then
            return nil, bad
        end
    end
    return { header = header.new(6 * #payload, SETTINGS_FRAME, flags, 0),
             item = payload, next = nil }
end

function settings.pack(sf, dst)
    local items = sf.item or {}
    pack_header(sf, 6 * #items, 0, 0, dst)
    for i = 1, #items do
        dst[#dst + 1] = u16(items[i].id) .. u32(items[i].value)
    end
    return true
end

local setting_id = ffi.new("uint16_t[1]")
local setting_value = ffi.new("uint32_t[1]")

function settings.unpack(sf, src, stream)
    local fr, code, why = decode(sf, src, SETTINGS_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    local items = {}
    for i = 0, fr.settings_count - 1 do
        lib.h2_frame_setting(fr, i, setting_id, setting_value)
        local id, value = setting_id[0], tonumber(setting_value[0])
        local bad = check_setting(id, value)
        if bad then
            local wire = id == SETTINGS_INITIAL_WINDOW_SIZE
                         and h2_error.FLOW_CONTROL_ERROR
                         or h2_error.PROTOCOL_ERROR
            return nil, wire, bad
        end
        items[#items + 1] = { id = id, value = value }
    end
    sf.item = items
    return true
end

-- PING -------------------------------------------------------------------------

-- ping.new(flags, opaque_data_hi, opaque_data_lo) -> pf (not in the seed's
-- list, but its pack needs such a table).
function ping.new(flags, hi, lo)
    hi, lo = hi or 0, lo or 0
    if not is_integer(hi, 0, 0xffffffff) or not is_integer(lo, 0, 0xffffffff) then
        return nil, "opaque data halves are 32-bit integers"
    end
    return { header = header.new(8, PING_FRAME, flags or FLAG_NONE, 0),
             opaque_data_hi = hi, opaque_data_lo = lo, next = nil }
end

function ping.pack(pf, dst)
    pack_header(pf, 8, 0, 0, dst)
    dst[#dst + 1] = u32(pf.opaque_data_hi or 0) .. u32(pf.opaque_data_lo or 0)
    return true
end

local function read_u32(s, at)
    local a, b, c, d = byte(s, at, at + 3)
    return ((a * 256 + b) * 256 + c) * 256 + d
end

function ping.unpack(pf, src, stream)
    local fr, code, why = decode(pf, src, PING_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    local opaque = payload_of(fr)
    pf.opaque_data = opaque
    pf.opaque_data_hi = read_u32(opaque, 1)
    pf.opaque_data_lo = read_u32(opaque, 5)
    return true
end

-- GOAWAY -----------------------------------------------------------------------

function goaway.new(last_sid, error_code, debug_data)
    if not is_integer(last_sid, 0, MAX_STREAM_ID) then
        return nil, "invalid last stream id"
    end
    if not is_integer(error_code, 0, 0xffffffff) then
        return nil, "invalid error code"
    end
    if debug_data ~= nil and (type(debug_data) ~= "string"
                              or #debug_data > MAX_FRAME_SIZE - 8) then
        return nil, "debug data must be a string that fits a frame"
    end
    local length = 8 + (debug_data and #debug_data or 0)
    return { header = header.new(length, GOAWAY_FRAME, FLAG_NONE, 0),
             last_stream_id = last_sid, error_code = error_code,
             debug_data = debug_data, next = nil }
end

function goaway.pack(gf, dst)
    local debug_data = gf.debug_data or ""
    pack_header(gf, 8 + #debug_data, 0, 0, dst)
    dst[#dst + 1] = u32(band(gf.last_stream_id, MAX_STREAM_ID))
                    .. u32(gf.error_code)
    if #debug_data > 0 then
        dst[#dst + 1] = debug_data
    end
    return true
end

function goaway.unpack(gf, src, stream)
    local fr, code, why = decode(gf, src, GOAWAY_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    gf.last_stream_id = tonumber(fr.value)
    gf.error_code = tonumber(fr.error_code)
    gf.debug_data = fr.payload_length > 0 and payload_of(fr) or nil
    return true
end

-- WINDOW_UPDATE ----------------------------------------------------------------

function window_update.new(sid, window)
    if not is_integer(sid, 0, MAX_STREAM_ID) then
        return nil, "invalid stream id"
    end
    if not is_integer(window, 1, MAX_WINDOW) then
        return nil, "invalid window size"
    end
    return { header = header.new(4, WINDOW_UPDATE_FRAME, FLAG_NONE, sid),
             window_size_increment = window, next = nil }
end

function window_update.pack(wf, dst)
    pack_header(wf, 4, 0, 0, dst)
    dst[#dst + 1] = u32(band(wf.window_size_increment, MAX_WINDOW))
    return true
end

function window_update.unpack(wf, src, stream)
    local fr, code, why = decode(wf, src, WINDOW_UPDATE_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    wf.window_size_increment = tonumber(fr.value)
    return true
end

-- HEADERS ----------------------------------------------------------------------

-- headers.new(frags, pri?, pad?, end_stream, end_headers, sid) -> hf.
-- pri = { sid = depended-on stream, excl = bool, weight = 1..256 }.
function headers.new(frags, pri, pad, end_stream, end_headers, sid)
    if not is_stream_id(sid) then
        return nil, "invalid stream id"
    end
    if type(frags) ~= "string" then
        return nil, "the header block fragment must be a string"
    end
    local bad = check_pad(pad) or (pri and check_priority(pri, sid))
    if bad then
        return nil, bad
    end
    local flags = FLAG_NONE
    local length = #frags
    if end_stream then
        flags = bor(flags, FLAG_END_STREAM)
    end
    if end_headers then
        flags = bor(flags, FLAG_END_HEADERS)
    end
    if pri then
        flags = bor(flags, FLAG_PRIORITY)
        length = length + 5
    end
    if pad then
        flags = bor(flags, FLAG_PADDED)
        length = length + 1 + #pad
    end
    if length > MAX_FRAME_SIZE then
        return nil, "the header block fragment does not fit one frame"
    end
    return { header = header.new(length, HEADERS_FRAME, flags, sid),
             depend = pri and (pri.sid or pri.depend) or nil,
             excl = pri and (pri.excl and true or false) or nil,
             weight = pri and (pri.weight or 16) or nil,
             block_frags = frags, pad = pad, next = nil }
end

-- Appends a padded frame's payload after its header: the Pad Length octet
-- (when padded), `fixed` (the priority fields of HEADERS, or nil), `body`,
-- then the padding itself.
local function append_padded(dst, pad, fixed, body)
    if pad then
        dst[#dst + 1] = char(#pad)
    end
    if fixed then
        dst[#dst + 1] = fixed
    end
    dst[#dst + 1] = body
    if pad then
        dst[#dst + 1] = pad
    end
end

function headers.pack(hf, dst)
    local pad, frags = hf.pad, hf.block_frags or ""
    local has_priority = hf.depend ~= nil
    local length = #frags + (has_priority and 5 or 0) + (pad and 1 + #pad or 0)
    if check_pad(pad) or length > MAX_FRAME_SIZE then
        return nil, "the frame cannot be represented"
    end
    local set = bor(pad and FLAG_PADDED or 0, has_priority and FLAG_PRIORITY or 0)
    pack_header(hf, length, set, bor(FLAG_PADDED, FLAG_PRIORITY), dst)
    append_padded(dst, pad, has_priority and priority_bytes(hf.depend, hf.excl, hf.weight),
                  frags)
    return true
end

function headers.unpack(hf, src, stream)
    local fr, code, why = decode(hf, src, HEADERS_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    hf.block_frags = payload_of(fr)
    hf.padding = fr.padding
    if hf.header.flag_priority then
        set_priority_fields(hf, fr)
    end
    return true
end

-- CONTINUATION -----------------------------------------------------------------

function continuation.new(frags, end_headers, sid)
    if not is_stream_id(sid) then
        return nil, "invalid stream id"
    end
    if type(frags) ~= "string" or #frags > MAX_FRAME_SIZE then
        return nil, "the header block fragment must be a string that fits a frame"
    end
    local flags = end_headers and FLAG_END_HEADERS or FLAG_NONE
    return { header = header.new(#frags, CONTINUATION_FRAME, flags, sid),
             block_frags = frags, next = nil }
end

function continuation.pack(cf, dst)
    local frags = cf.block_frags or ""
    pack_header(cf, #frags, 0, 0, dst)
    dst[#dst + 1] = frags
    return true
end

function continuation.unpack(cf, src, stream)
    local fr, code, why = decode(cf, src, CONTINUATION_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    cf.block_frags = payload_of(fr)
    return true
end

-- DATA -------------------------------------------------------------------------

-- data.new(payload, pad?, last, sid) -> df.
function data.new(payload, pad, last, sid)
    if not is_stream_id(sid) then
        return nil, "invalid stream id"
    end
    if type(payload) ~= "string" then
        return nil, "the payload must be a string"
    end
    local bad = check_pad(pad)
    if bad then
        return nil, bad
    end
    local length = #payload + (pad and 1 + #pad or 0)
    if length > MAX_FRAME_SIZE then
        return nil, "the payload does not fit one frame"
    end
    local flags = bor(last and FLAG_END_STREAM or 0, pad and FLAG_PADDED or 0)
    return { header = header.new(length, DATA_FRAME, flags, sid),
             payload = payload, pad = pad, next = nil }
end

function data.pack(df, dst)
    local pad, payload = df.pad, df.payload or ""
    local length = #payload + (pad and 1 + #pad or 0)
    if check_pad(pad) or length > MAX_FRAME_SIZE then
        return nil, "the frame cannot be represented"
    end
    pack_header(df, length, pad and FLAG_PADDED or 0, FLAG_PADDED, dst)
    append_padded(dst, pad, nil, payload)
    return true
end

-- df.payload is the data without padding; df.padding counts the padding
-- bytes with the Pad Length octet (flow control charges them too).
function data.unpack(df, src, stream)
    local fr, code, why = decode(df, src, DATA_FRAME, stream)
    if not fr then
        return nil, code, why
    end
    df.payload = payload_of(fr)
    df.padding = fr.padding
    return true
end

-- PUSH_PROMISE -----------------------------------------------------------------

-- We advertise SETTINGS_ENABLE_PUSH = 0, so any PUSH_PROMISE is a
-- connection error (RFC 9113 section 8.4), as in the seed.
function push_promise.unpack()
    return nil, h2_error.PROTOCOL_ERROR, "push is disabled"
end

-- The module -------------------------------------------------------------------

_M.header = header
_M.priority = priority
_M.rst_stream = rst_stream
_M.rst = rst_stream -- the seed's code used both names
_M.settings = settings
_M.ping = ping
_M.goaway = goaway
_M.window_update = window_update
_M.headers = headers
_M.continuation = continuation
_M.data = data
_M.push_promise = push_promise

_M.FLAG_NONE = FLAG_NONE
_M.FLAG_ACK = FLAG_ACK
_M.FLAG_END_STREAM = FLAG_END_STREAM
_M.FLAG_END_HEADERS = FLAG_END_HEADERS
_M.FLAG_PADDED = FLAG_PADDED
_M.FLAG_PRIORITY = FLAG_PRIORITY

_M.DATA_FRAME = DATA_FRAME
_M.HEADERS_FRAME = HEADERS_FRAME
_M.PRIORITY_FRAME = PRIORITY_FRAME
_M.RST_STREAM_FRAME = RST_STREAM_FRAME
_M.SETTINGS_FRAME = SETTINGS_FRAME
_M.PUSH_PROMISE_FRAME = PUSH_PROMISE_FRAME
_M.PING_FRAME = PING_FRAME
_M.GOAWAY_FRAME = GOAWAY_FRAME
_M.WINDOW_UPDATE_FRAME = WINDOW_UPDATE_FRAME
_M.CONTINUATION_FRAME = CONTINUATION_FRAME

_M.HEADER_SIZE = HEADER_SIZE
_M.DEFAULT_FRAME_SIZE = DEFAULT_FRAME_SIZE
_M.MAX_FRAME_SIZE = MAX_FRAME_SIZE
_M.MAX_FRAME_ID = CONTINUATION_FRAME
_M.MAX_FREAME_ID = CONTINUATION_FRAME -- the seed's spelling in its code
_M.MAX_WINDOW = MAX_WINDOW

_M.SETTINGS_HEADER_TABLE_SIZE = SETTINGS_HEADER_TABLE_SIZE
_M.SETTINGS_ENABLE_PUSH = SETTINGS_ENABLE_PUSH
_M.SETTINGS_MAX_CONCURRENT_STREAMS = SETTINGS_MAX_CONCURRENT_STREAMS
_M.SETTINGS_INITIAL_WINDOW_SIZE = SETTINGS_INITIAL_WINDOW_SIZE
_M.SETTINGS_MAX_FRAME_SIZE = SETTINGS_MAX_FRAME_SIZE
_M.SETTINGS_MAX_HEADER_LIST_SIZE = SETTINGS_MAX_HEADER_LIST_SIZE

-- Per frame type: the packer, the unpacker, and the payload size that the
-- type fixes (PRIORITY, RST_STREAM, PING, WINDOW_UPDATE), its minimum
-- (GOAWAY) or, for SETTINGS, the size of one entry.
_M.pack = {
    [DATA_FRAME] = data.pack,
    [HEADERS_FRAME] = headers.pack,
    [PRIORITY_FRAME] = priority.pack,
    [RST_STREAM_FRAME] = rst_stream.pack,
    [SETTINGS_FRAME] = settings.pack,
    [PING_FRAME] = ping.pack,
    [GOAWAY_FRAME] = goaway.pack,
    [WINDOW_UPDATE_FRAME] = window_update.pack,
    [CONTINUATION_FRAME] = continuation.pack,
}

_M.unpack = {
    [DATA_FRAME] = data.unpack,
    [HEADERS_FRAME] = headers.unpack,
    [PRIORITY_FRAME] = priority.unpack,
    [RST_STREAM_FRAME] = rst_stream.unpack,
    [SETTINGS_FRAME] = settings.unpack,
    [PUSH_PROMISE_FRAME] = push_promise.unpack,
    [PING_FRAME] = ping.unpack,
    [GOAWAY_FRAME] = goaway.unpack,
    [WINDOW_UPDATE_FRAME] = window_update.unpack,
    [CONTINUATION_FRAME] = continuation.unpack,
}

_M.sizeof = {
    [PRIORITY_FRAME] = 5,
    [RST_STREAM_FRAME] = 4,
    [SETTINGS_FRAME] = 6,
    [PING_FRAME] = 8,
    [GOAWAY_FRAME] = 8,
    [WINDOW_UPDATE_FRAME] = 4,
}

-- The RFC name of a frame type ("HEADERS"), or "UNKNOWN".
function _M.type_name(typ)
    return ffi_string(lib.h2_frame_type_name(band(typ, 0xff)))
end


return _M
