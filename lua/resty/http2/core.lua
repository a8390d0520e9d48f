-- resty.http2.core (internal): the LuaJIT FFI declarations of libh2's
-- sans-I/O connection (include/h2/conn.h) and the loaded library.
--
-- The library is found through resty.http2.libpath, a one-line module that
-- the build writes next to the build tree's libh2 and that `cmake --install`
-- writes with the installed absolute path, so nginx needs nothing but
-- lua_package_path. When that module is missing (files copied by hand), the
-- system loader is asked for "h2" (ldconfig's cache, LD_LIBRARY_PATH).
--
-- The declarations restate include/h2/conn.h (the FFI cannot read C
-- headers); tools/check_lua_cdef.py, run by the test command, fails when
-- they drift apart.
--
-- Nothing here calls back from C into Lua: the binding pulls events in
-- batches with h2_conn_poll, which keeps the JIT compiling and the nginx
-- worker never re-entered from C.

local ffi = require "ffi"

ffi.cdef [[
typedef struct h2_conn h2_conn;

typedef struct h2_header {
  const uint8_t *name;
  const uint8_t *value;
  uint32_t name_length;
  uint32_t value_length;
  uint32_t flags;
  uint32_t reserved_;
} h2_header;

typedef struct h2_conn_options {
  uint32_t struct_size;
  uint32_t flags;
  uint32_t header_table_size;
  uint32_t initial_window_size;
  uint32_t max_frame_size;
  uint32_t max_header_list_size;
  uint32_t connection_window_size;
  uint32_t encoder_table_cap;
  uint32_t max_header_fields;
  uint32_t max_continuations;
  uint32_t max_concurrent_streams;
  uint32_t initial_max_concurrent_streams;
  uint32_t max_settings_entries;
  uint32_t max_pending_acks;
  uint32_t max_send_buffer;
  uint32_t glitch_burst;
  uint32_t glitch_per_second;
  uint32_t max_local_resets;
  uint32_t max_interim_responses;
  uint32_t settings_timeout_ms;
  uint32_t max_goaway_debug;
  uint32_t small_data_budget;
  uint32_t max_unconfirmed_resets;
  uint32_t recent_reset_streams;
  uint32_t recent_reset_ms;
} h2_conn_options;

typedef struct h2_event {
  int32_t type;
  uint32_t stream_id;
  int32_t error;
  uint32_t flags;
  uint32_t status;
  uint32_t header_count;
  const h2_header *headers;
  const uint8_t *data;
  uint64_t length;
  uint64_t value;
  void *user;
} h2_event;

void h2_conn_options_init_sized(h2_conn_options *options, size_t size);
typedef struct h2_allocator h2_allocator;
int h2_conn_client_new(h2_conn **conn, const h2_conn_options *options,
                       const h2_allocator *alloc);
void h2_conn_del(h2_conn *conn);
int h2_conn_recv(h2_conn *conn, const uint8_t *in, size_t length);
int h2_conn_tick(h2_conn *conn, uint64_t now_ms);
int h2_conn_poll(h2_conn *conn, h2_event *events, size_t max);
int h2_conn_submit_request(h2_conn *conn, const h2_header *fields,
                           size_t count, int end_stream, void *user);
int h2_conn_submit_data(h2_conn *conn, uint32_t stream_id,
                        const uint8_t *data, size_t length, int end_stream);
int h2_conn_submit_trailers(h2_conn *conn, uint32_t stream_id,
                            const h2_header *fields, size_t count);
int h2_conn_reset_stream(h2_conn *conn, uint32_t stream_id,
                         uint32_t wire_code);
int h2_conn_consume(h2_conn *conn, uint32_t stream_id, size_t length);
int h2_conn_ping(h2_conn *conn, const uint8_t opaque[8]);
int h2_conn_terminate(h2_conn *conn, uint32_t wire_code, const char *detail);
int h2_conn_shutdown(h2_conn *conn);
size_t h2_conn_peek_output(h2_conn *conn, const uint8_t **data);
void h2_conn_consume_output(h2_conn *conn, size_t length);
int h2_conn_is_closed(const h2_conn *conn);
int h2_conn_can_submit(const h2_conn *conn);
uint32_t h2_conn_open_streams(const h2_conn *conn);
uint32_t h2_conn_peer_max_concurrent_streams(const h2_conn *conn);
uint32_t h2_conn_peer_setting(const h2_conn *conn, uint16_t id);
const char *h2_conn_error_detail(const h2_conn *conn);
const char *h2_strerror(int code);
]]

local function load_library()
    local ok, path = pcall(require, "resty.http2.libpath")
    if ok and type(path) == "string" then
        local loaded, lib = pcall(ffi.load, path)
        if loaded then
            return lib
        end
    end
    local loaded, lib = pcall(ffi.load, "h2")
    if loaded then
        return lib
    end
    error("resty.http2: cannot load libh2 (" .. tostring(lib)
          .. "); install libh2 with `cmake --install` or put libh2.so on "
          .. "the system loader's path", 2)
end

local _M = {
    lib = load_library(),

    -- h2_event types (include/h2/conn.h).
    EVENT_HEADERS = 1,
    EVENT_INFORMATIONAL = 2,
    EVENT_DATA = 3,
    EVENT_TRAILERS = 4,
    EVENT_STREAM_END = 5,
    EVENT_STREAM_RESET = 6,
    EVENT_WRITABLE = 7,
    EVENT_SETTINGS = 8,
    EVENT_PING_ACK = 9,
    EVENT_GOAWAY = 10,
    EVENT_CONNECTION_ERROR = 11,
    EVENT_CLOSED = 12,

    EVENT_FLAG_END_STREAM = 0x1,
    EVENT_FLAG_RETRYABLE = 0x2,
    EVENT_FLAG_LOCAL = 0x4,

    ERR_WOULD_BLOCK = -7,
    ERR_CONNECTION_GOING_AWAY = -10,
    ERR_INVALID_HEADER = -6,
}

-- Adds `count` fields (an h2_header array) to `hash` the way the seed
-- returns a header block: name -> value, a repeated name turned into an
-- array of its values in arrival order. Returns `hash`.
function _M.add_fields(hash, fields, count)
    local ffi_string = ffi.string
    for i = 0, count - 1 do
        local f = fields[i]
        local name = ffi_string(f.name, f.name_length)
        local value = ffi_string(f.value, f.value_length)
        local old = hash[name]
        if old == nil then
            hash[name] = value
        elseif type(old) == "table" then
            old[#old + 1] = value
        else
            hash[name] = { old, value }
        end
    end
    return hash
end

function _M.strerror(code)
    return ffi.string(_M.lib.h2_strerror(code))
end

-- Milliseconds for h2_conn_tick: nginx's cached clock, or the second-grained
-- one outside nginx (the plain luajit of the valgrind run).
function _M.now_ms()
    if ngx then
        return ngx.now() * 1000
    end
    return os.time() * 1000
end

-- The options and the out-pointer of h2_conn_client_new, reused: the core
-- copies the options, and nothing yields between filling and reading them.
local conn_options = ffi.new("h2_conn_options")
local conn_out = ffi.new("h2_conn *[1]")

-- A client h2_conn with the defaults of h2_conn_options but for the fields
-- `settings` names (flags, initial_window_size, ...; nil ones keep the
-- default), freed by the garbage collector. Returns it, or nil and the
-- error.
function _M.new_conn(settings)
    local lib = _M.lib
    lib.h2_conn_options_init_sized(conn_options, ffi.sizeof(conn_options))
    for name, value in pairs(settings) do
        conn_options[name] = value
    end
    local rc = lib.h2_conn_client_new(conn_out, conn_options, nil)
    if rc < 0 then
        return nil, _M.strerror(rc)
    end
    return ffi.gc(conn_out[0], lib.h2_conn_del)
end

-- The metatable of an object whose methods are in `methods` and whose other
-- fields, when not set on the object itself, are computed by the functions
-- in `computed` (each called with the object).
function _M.object_mt(methods, computed)
    return {
        __index = function(self, key)
            local method = methods[key]
            if method ~= nil then
                return method
            end
            local field = computed[key]
            if field then
                return field(self)
            end
            return nil
        end,
    }
end

return _M
