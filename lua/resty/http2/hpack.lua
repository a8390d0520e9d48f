-- resty.http2.hpack: the HPACK helpers of lua-resty-http2 (RFC 7541) over
-- libh2's HPACK codec (include/h2/hpack.h). See docs/lua.md,
-- "resty.http2.hpack".
--
-- The module functions build pieces of a header block: hpack.encode
-- appends a string literal (Huffman-coded when that is shorter),
-- hpack.indexed and hpack.incr_indexed return the representations that
-- start with an index. They append to / return Lua strings, as the seed's.
--
-- An object from hpack.new(size) is a decoding context: a C decoder with
-- its dynamic table. h:decode(dst) decodes the fragments collected in
-- h.cached; h:insert_entry, h:resize and h:get_indexed_header act on the
-- same table. They are carried out by feeding the decoder the
-- representation that has that effect (a literal with incremental
-- indexing, a dynamic table size update, an indexed field), so the table
-- the Lua side sees is always the one the decoder uses, never a copy that
-- could drift from it.

local ffi = require "ffi"
local bit = require "bit"
local ll = require "resty.http2.core_lowlevel"
local h2_error = require "resty.http2.error"

local lib = ll.lib
local bor = bit.bor
local char, lower, floor = string.char, string.lower, math.floor
local concat = table.concat
local ffi_string, ffi_cast = ffi.string, ffi.cast
local type, setmetatable, tonumber = type, setmetatable, tonumber

local STATIC_ENTRIES = 61
local MAX_TABLE_SIZE = 4096       -- the RFC default, and the seed's limit
local LARGEST_TABLE_SIZE = 0x7fffffff
-- The decoder refuses (fatally) a name or value declared longer than this,
-- so entries with a longer one are refused before they reach it.
local MAX_FIELD_SIZE = 65536

local ERR_HEADER_LIST_TOO_LARGE = -4
local ERR_TOO_MANY_FIELDS = -5
local ERR_CONN_ENHANCE_YOUR_CALM = -911

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

-- Representations -------------------------------------------------------------

-- An HPACK integer (RFC 7541 section 5.1) whose first byte carries
-- `flags` above a `prefix_bits`-bit prefix.
local function encode_integer(flags, prefix_bits, value)
    local max = 2 ^ prefix_bits - 1
    if value < max then
        return char(bor(flags, value))
    end
    local parts = { char(bor(flags, max)) }
    value = value - max
    while value >= 128 do
        parts[#parts + 1] = char(value % 128 + 128)
        value = floor(value / 128)
    end
    parts[#parts + 1] = char(value)
    return concat(parts)
end

local scratch_size = 0
local scratch

-- A buffer of at least `n` bytes, reused between calls. No call that uses
-- it can yield, so coroutines never see each other's bytes.
local function scratch_buffer(n)
    if n > scratch_size then
        scratch_size = n < 256 and 256 or n
        scratch = ffi.new("uint8_t[?]", scratch_size)
    end
    return scratch
end

-- The string literal of `src` (RFC 7541 section 5.2): Huffman-coded when
-- that is shorter, raw otherwise.
local function literal(src)
    local n = #src
    local huffman_length = tonumber(lib.h2_huffman_encoded_length(src, n))
    if huffman_length < n then
        local buf = scratch_buffer(huffman_length)
        lib.h2_huffman_encode(buf, src, n)
        return encode_integer(0x80, 7, huffman_length)
               .. ffi_string(buf, huffman_length)
    end
    return encode_integer(0x00, 7, n) .. src
end

-- hpack.encode(src, dst, lower?): appends the string literal of `src`
-- (lowercased first when `lower` is true) to the array `dst`.
function _M.encode(src, dst, to_lower)
    src = tostring(src)
    if to_lower then
        src = lower(src)
    end
    dst[#dst + 1] = literal(src)
end

-- hpack.indexed(index): the indexed header field representation.
function _M.indexed(index)
    return encode_integer(0x80, 7, index)
end

-- hpack.incr_indexed(index): the start of a literal with incremental
-- indexing whose name is the entry at `index` (its value follows, from
-- hpack.encode).
function _M.incr_indexed(index)
    return encode_integer(0x40, 6, index)
end

-- Decoding contexts --------------------------------------------------------------

local decoder_out = ffi.new("h2_hpack_decoder *[1]")
local list_out = ffi.new("h2_header_list *[1]")

-- hpack.new(size?) -> h, or nil and an error. `size` is the dynamic
-- table's maximum (4096 by default; any size up to 2^31 - 1).
function _M.new(size)
    size = size or MAX_TABLE_SIZE
    if type(size) ~= "number" or size % 1 ~= 0 or size < 0
       or size > LARGEST_TABLE_SIZE then
        return nil, "invalid hpack table size"
    end
    local limits = ffi.new("h2_hpack_decoder_limits")
    limits.max_field_size = MAX_FIELD_SIZE
    local rc = lib.h2_hpack_decoder_new(decoder_out, size, limits, nil)
    if rc < 0 then
        return nil, ffi_string(lib.h2_strerror(rc))
    end
    local decoder = ffi.gc(decoder_out[0], lib.h2_hpack_decoder_del)
    rc = lib.h2_header_list_new(list_out, nil)
    if rc < 0 then
        return nil, ffi_string(lib.h2_strerror(rc))
    end
    return setmetatable({
        decoder = decoder,
        list = ffi.gc(list_out[0], lib.h2_header_list_del),
        size = size,
        cached = nil,
        failed = nil,
    }, mt)
end

-- Feeds one complete block to the decoder; `out` may be nil. A fatal
-- error leaves the context unusable (RFC 7541: the table is then unknown).
local function feed(self, block, out)
    local rc = lib.h2_hpack_decode(self.decoder, block, #block, 1, out)
    if rc < 0 and lib.h2_error_is_fatal(rc) ~= 0 then
        self.failed = ffi_string(lib.h2_hpack_decoder_error_detail(self.decoder))
    end
    return rc
end

function _M.table_size(self)
    return tonumber(lib.h2_hpack_decoder_table_size(self.decoder))
end

function _M.table_entries(self)
    return tonumber(lib.h2_hpack_decoder_table_entries(self.decoder))
end

-- h:insert_entry(name, value) -> true when the entry is now in the table,
-- false when it is larger than the whole table (which RFC 7541 section
-- 4.4 then empties) or a name or value passes 64 KiB.
function _M.insert_entry(self, name, value)
    name, value = tostring(name), tostring(value)
    if self.failed or #name > MAX_FIELD_SIZE or #value > MAX_FIELD_SIZE then
        return false
    end
    local block = "\64" .. literal(name) .. literal(value)
    local rc = feed(self, block, nil)
    if rc < 0 and lib.h2_error_is_fatal(rc) ~= 0 then
        return false
    end
    return #name + #value + 32
           <= lib.h2_hpack_decoder_table_max_size(self.decoder)
end

-- h:resize(new_size) -> true, or false for a size that is not an integer
-- within 0..2^31-1. Shrinking evicts the oldest entries. Unlike the seed,
-- sizes above 4096 are allowed.
function _M.resize(self, new_size)
    if self.failed or type(new_size) ~= "number" or new_size % 1 ~= 0
       or new_size < 0 or new_size > LARGEST_TABLE_SIZE then
        return false
    end
    if lib.h2_hpack_decoder_set_max_table_size(self.decoder, new_size) < 0 then
        return false
    end
    if feed(self, encode_integer(0x20, 5, new_size), nil) < 0 then
        return false
    end
    self.size = new_size
    return true
end

-- h:get_indexed_header(index) -> { name =, value = }, or nil and an error
-- for an index that is neither in the static nor in the dynamic table.
function _M.get_indexed_header(self, index)
    local count = STATIC_ENTRIES + self:table_entries()
    if self.failed or type(index) ~= "number" or index % 1 ~= 0
       or index < 1 or index > count then
        return nil, "invalid hpack table index " .. tostring(index)
    end
    local list = self.list
    lib.h2_header_list_clear(list)
    if feed(self, encode_integer(0x80, 7, index), list) < 0 then
        return nil, "invalid hpack table index " .. tostring(index)
    end
    local f = lib.h2_header_list_fields(list)[0]
    local entry = { name = ffi_string(f.name, f.name_length),
                    value = ffi_string(f.value, f.value_length) }
    lib.h2_header_list_clear(list)
    return entry
end

-- The fragments of h.cached, in order, as { string, offset, length }:
-- h.cached may be one string, an array of strings or of the seed's
-- { src, offset, length } triples (offset counted from 0), or a linked
-- list of such nodes (or of { data = s }) joined by `next`.
local function each_fragment(cached, fn)
    if cached == nil then
        return true
    end
    if type(cached) == "string" then
        return fn(cached, 0, #cached)
    end
    if type(cached) ~= "table" then
        return nil
    end
    local function one(item)
        if type(item) == "string" then
            return fn(item, 0, #item)
        end
        if type(item) ~= "table" then
            return nil
        end
        if type(item.data) == "string" then
            return fn(item.data, 0, #item.data)
        end
        local src, offset, length = item[1], item[2] or 0, item[3]
        if type(src) ~= "string" then
            return nil
        end
        length = length or (#src - offset)
        if offset < 0 or length < 0 or offset + length > #src then
            return nil
        end
        return fn(src, offset, length)
    end
    if cached.next ~= nil or cached.data ~= nil or type(cached[1]) == "string"
       and type(cached[2]) == "number" then
        -- A linked list (a single triple is a list of one node).
        local node = cached
        while node do
            if not one(node) then
                return nil
            end
            node = node.next
        end
        return true
    end
    for i = 1, #cached do
        if not one(cached[i]) then
            return nil
        end
    end
    return true
end

-- Decoded fields as the seed returns them: a hash, duplicate names turned
-- into arrays in arrival order.
local function list_to_hash(list, dst)
    local fields = lib.h2_header_list_fields(list)
    for i = 0, tonumber(lib.h2_header_list_count(list)) - 1 do
        local f = fields[i]
        local name = ffi_string(f.name, f.name_length)
        local value = ffi_string(f.value, f.value_length)
        local old = dst[name]
        if old == nil then
            dst[name] = value
        elseif type(old) == "table" then
            old[#old + 1] = value
        else
            dst[name] = { old, value }
        end
    end
end

local function decode_error(self, rc)
    if rc == ERR_HEADER_LIST_TOO_LARGE or rc == ERR_TOO_MANY_FIELDS then
        -- Not fatal: the table stayed in sync, the block was too big.
        return nil, h2_error.STREAM_ENHANCE_YOUR_CALM,
               ffi_string(lib.h2_strerror(rc))
    end
    local code = rc == ERR_CONN_ENHANCE_YOUR_CALM and h2_error.ENHANCE_YOUR_CALM
                 or h2_error.COMPRESSION_ERROR
    return nil, code, self.failed or ffi_string(lib.h2_strerror(rc))
end

-- h:decode(dst) -> true, or nil, an error code (COMPRESSION_ERROR for a
-- malformed block, which leaves the context unusable) and a sentence.
-- Decodes the header block whose fragments are in h.cached into the hash
-- `dst`, then empties h.cached.
function _M.decode(self, dst)
    if self.failed then
        return nil, h2_error.COMPRESSION_ERROR, self.failed
    end
    if type(dst) ~= "table" then
        return nil, h2_error.INTERNAL_ERROR, "dst must be a table"
    end
    local pieces = {}
    if not each_fragment(self.cached, function(src, offset, length)
        pieces[#pieces + 1] = { src, offset, length }
        return true
    end) then
        return nil, h2_error.INTERNAL_ERROR, "h.cached holds no header block fragments"
    end
    self.cached = nil
    local decoder, list = self.decoder, self.list
    lib.h2_header_list_clear(list)
    local rc = 0
    if #pieces == 0 then
        rc = lib.h2_hpack_decode(decoder, nil, 0, 1, list)
    end
    for i = 1, #pieces do
        local src, offset, length = pieces[i][1], pieces[i][2], pieces[i][3]
        rc = lib.h2_hpack_decode(decoder, ffi_cast("const uint8_t *", src) + offset,
                                 length, i == #pieces and 1 or 0, list)
        if rc < 0 then
            break
        end
    end
    if rc < 0 then
        if lib.h2_error_is_fatal(rc) ~= 0 then
            self.failed = ffi_string(lib.h2_hpack_decoder_error_detail(decoder))
        end
        lib.h2_header_list_clear(list)
        return decode_error(self, rc)
    end
    list_to_hash(list, dst)
    lib.h2_header_list_clear(list)
    return true
end

-- The static table (RFC 7541 appendix A) as { name =, value = } entries,
-- read from the C decoder once, so there is no second copy to drift.
local function read_static_table()
    local h = assert(_M.new(0))
    local entries = {}
    for i = 1, STATIC_ENTRIES do
        entries[i] = assert(h:get_indexed_header(i))
    end
    return entries
end

_M.static = read_static_table()
_M.MAX_TABLE_SIZE = MAX_TABLE_SIZE

-- Static-table indices by field name, as the seed's encoder used them:
-- a number when the static table has the name with an empty value (only
-- the name can be indexed), a table value -> index when it lists values
-- for the name. Derived from the static table above.
local function index_by_name(static)
    local index = {}
    for i, entry in ipairs(static) do
        local name, value = entry.name, entry.value
        if value == "" then
            if index[name] == nil then
                index[name] = i
            end
        else
            if type(index[name]) ~= "table" then
                index[name] = {}
            end
            index[name][value] = i
        end
    end
    return index
end

_M.COMMON_REQUEST_HEADERS_INDEX = index_by_name(_M.static)
-- The name the seed's code used.
_M.COMMON_REQUESTS_HEADER_INDEX = _M.COMMON_REQUEST_HEADERS_INDEX

return _M
