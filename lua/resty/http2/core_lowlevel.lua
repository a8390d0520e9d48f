-- resty.http2.core_lowlevel (internal): the LuaJIT FFI declarations that
-- the low-level modules (resty.http2.frame, .hpack, .protocol, .stream) add
-- to those of resty.http2.core: the frame codec (include/h2/frame.h), the
-- HPACK decoder and Huffman coder (include/h2/hpack.h) and the read-only
-- state views (include/h2/conn_state.h).
--
-- They restate the C headers (the FFI cannot read them);
-- tools/check_lua_cdef.py checks every ffi.cdef block of lua/ against
-- include/h2 and fails on drift. h2_header and h2_allocator come from
-- resty.http2.core, which is loaded first: the FFI refuses a second
-- definition of a struct.

local ffi = require "ffi"
local core = require "resty.http2.core"

ffi.cdef [[
typedef struct h2_frame_header {
  uint32_t length;
  uint32_t stream_id;
  uint8_t type;
  uint8_t flags;
  uint8_t reserved_[2];
} h2_frame_header;

typedef struct h2_frame {
  h2_frame_header hd;
  const uint8_t *payload;
  uint32_t payload_length;
  uint32_t padding;
  uint32_t error_code;
  uint32_t value;
  uint32_t dependency;
  uint8_t weight;
  uint8_t exclusive;
  uint8_t reserved_[2];
  uint32_t settings_count;
} h2_frame;

void h2_frame_header_unpack(h2_frame_header *hd, const uint8_t *in);
int h2_frame_header_check(const h2_frame_header *hd,
                          uint32_t max_frame_size,
                          const char **reason);
int h2_frame_unpack(h2_frame *fr, const h2_frame_header *hd,
                    const uint8_t *payload, const char **reason);
void h2_frame_setting(const h2_frame *fr, uint32_t index,
                      uint16_t *id, uint32_t *value);
const char *h2_frame_type_name(uint8_t type);

typedef struct h2_header_list h2_header_list;
int h2_header_list_new(h2_header_list **list,
                       const h2_allocator *alloc);
void h2_header_list_del(h2_header_list *list);
void h2_header_list_clear(h2_header_list *list);
size_t h2_header_list_count(const h2_header_list *list);
const h2_header *h2_header_list_fields(const h2_header_list *list);

typedef struct h2_hpack_decoder h2_hpack_decoder;
typedef struct h2_hpack_decoder_limits {
  uint32_t max_header_list_size;
  uint32_t max_fields;
  uint32_t max_field_size;
  uint32_t reserved_;
} h2_hpack_decoder_limits;
int h2_hpack_decoder_new(h2_hpack_decoder **dec,
                         uint32_t max_table_size,
                         const h2_hpack_decoder_limits *limits,
                         const h2_allocator *alloc);
void h2_hpack_decoder_del(h2_hpack_decoder *dec);
int h2_hpack_decoder_set_max_table_size(h2_hpack_decoder *dec,
                                        uint32_t max_table_size);
int h2_hpack_decode(h2_hpack_decoder *dec, const uint8_t *in,
                    size_t length, int end_of_block,
                    h2_header_list *out);
const char *h2_hpack_decoder_error_detail(
    const h2_hpack_decoder *dec);
uint32_t h2_hpack_decoder_table_size(const h2_hpack_decoder *dec);
uint32_t h2_hpack_decoder_table_entries(
    const h2_hpack_decoder *dec);
uint32_t h2_hpack_decoder_table_max_size(
    const h2_hpack_decoder *dec);

size_t h2_huffman_encoded_length(const uint8_t *in, size_t length);
size_t h2_huffman_encode(uint8_t *out, const uint8_t *in,
                         size_t length);

typedef struct h2_conn_state {
  uint32_t struct_size;
  uint32_t peer_settings_received;
  uint32_t local_settings_acked;
  uint32_t goaway_sent;
  uint32_t goaway_received;
  uint32_t goaway_last_stream_id;
  int32_t failed;
  uint32_t next_stream_id;
  uint32_t active_streams;
  uint32_t queued_streams;
  uint32_t local_max_frame_size;
  uint32_t reserved_;
  int64_t send_window;
  int64_t recv_window;
  uint64_t output_pending;
  uint64_t send_buffered;
} h2_conn_state;

typedef struct h2_stream_info {
  uint32_t struct_size;
  uint32_t state;
  int64_t send_window;
  int64_t recv_window;
  uint64_t send_buffered;
} h2_stream_info;

int h2_conn_get_state(const h2_conn *conn, h2_conn_state *state);
int h2_conn_get_stream(const h2_conn *conn, uint32_t stream_id,
                       h2_stream_info *info);
int h2_conn_open_window(h2_conn *conn, uint32_t stream_id,
                        uint32_t increment);
int h2_error_is_fatal(int code);
int h2_error_is_stream_level(int code);
uint32_t h2_error_wire_code(int code);
]]

return {
    lib = core.lib,

    -- enum h2_stream_state (include/h2/conn_state.h).
    STREAM_STATE_IDLE = 0,
    STREAM_STATE_OPEN = 1,
    STREAM_STATE_HALF_CLOSED_LOCAL = 2,
    STREAM_STATE_HALF_CLOSED_REMOTE = 3,

    ERR_INVALID_ARGUMENT = -1,
    ERR_STREAM_NOT_FOUND = -8,
    ERR_INVALID_STATE = -11,
}
