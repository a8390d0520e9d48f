/*
 * The client connection's internal state, shared by the files that make
 * up the core: conn.c (lifecycle and API), conn_recv.c (the input state
 * machine and frame handling), conn_fields.c (header blocks and HTTP
 * semantics), conn_send.c (output scheduling), conn_stream.c (the stream
 * map) and conn_events.c (the event queue).
 */
#ifndef H2_CONN_INTERNAL_H
#define H2_CONN_INTERNAL_H

#include <stdint.h>

#include "h2/conn.h"
#include "h2/error.h"
#include "h2/frame.h"
#include "h2/hpack.h"
#include "alloc_internal.h"

/* ---- Streams ------------------------------------------------------------ */

enum stream_flag {
  STREAM_QUEUED = 0x1,          /* waiting for a concurrency slot */
  STREAM_LOCAL_CLOSED = 0x2,    /* we sent END_STREAM (or will: see below) */
  STREAM_REMOTE_CLOSED = 0x4,   /* the server sent END_STREAM */
  STREAM_FINAL_HEADERS = 0x8,   /* the final (non-1xx) response arrived */
  STREAM_BODY_ENDING = 0x10,    /* end_stream submitted; DATA may still be queued */
  STREAM_WANTS_WRITABLE = 0x20, /* a write was cut short: report space */
  STREAM_IS_HEAD = 0x40,        /* HEAD request: no response content */
  STREAM_IN_SEND_LIST = 0x80,
  STREAM_DONE = 0x100,          /* final event queued; no more events */
  STREAM_TRAILERS_PENDING = 0x200,
  STREAM_EXTENDED_CONNECT = 0x400, /* RFC 8441: needs the server's consent */
  STREAM_SMALL_DATA_SEEN = 0x800  /* a small DATA frame was let through free */
};

/* A request waiting for its HEADERS frame: the fields, copied. */
typedef struct stream_request {
  h2_header *fields;
  size_t count;
  uint8_t *bytes;
} stream_request;

/* The parts of a stream that only some streams need: a request waiting
 * for a concurrency slot, a request body being sent, trailers, interim
 * responses. A plain GET that leaves at once never allocates them, which
 * keeps the cost of each of many open streams small. */
typedef struct stream_extra {
  stream_request *request;  /* fields until HEADERS leaves */
  stream_request *trailers; /* trailer fields until they leave */
  /* Request body waiting to be framed. */
  uint8_t *send_buf;
  size_t send_start, send_end, send_capacity;
  struct h2_stream *next_queued;  /* FIFO of streams awaiting a slot */
  struct h2_stream *next_sending; /* round robin of streams with DATA */
  uint32_t interim_count;   /* 1xx responses seen */
  uint32_t interim_bytes;   /* their header-list size, summed (saturating) */
} stream_extra;

/* Windows are 32-bit: RFC 9113 bounds them by 2^31 - 1 above, and a send
 * window can fall at most that far below zero (section 6.9.2), so every
 * update is computed in 64 bits and checked before it is stored. */
typedef struct h2_stream {
  uint32_t id;
  uint32_t flags;
  void *user;
  int32_t send_window;      /* may go negative after a SETTINGS change */
  int32_t recv_window;      /* what the server may still send us */
  uint32_t recv_unacked;    /* consumed bytes not yet returned by update */
  int64_t content_length;   /* -1 when absent */
  uint64_t data_received;
  stream_extra *extra;      /* NULL until one of its parts is needed */
} h2_stream;

/* Open-addressing map from stream id to stream. */
typedef struct stream_map {
  h2_stream **slots;
  uint32_t mask;
  uint32_t count;
  uint32_t tombstones;
} stream_map;

/* ---- Input state -------------------------------------------------------- */

enum recv_state {
  RECV_PREFACE_SETTINGS = 0, /* expecting the server's first SETTINGS */
  RECV_HEADER,               /* collecting a 9-byte frame header */
  RECV_PAYLOAD,              /* collecting a non-DATA payload */
  RECV_DATA_PAD_LENGTH,      /* a padded DATA frame's Pad Length octet */
  RECV_DATA,                 /* streaming a DATA frame's data */
  RECV_SKIP,                 /* discarding (padding, unknown frames) */
  RECV_FAILED
};

/* The field block being received (HEADERS + CONTINUATIONs). */
typedef struct field_block {
  int open;
  uint32_t stream_id;
  uint32_t promised_id;  /* PUSH_PROMISE: the stream to refuse */
  int pending_error;     /* a stream error to raise once decoded */
  int end_stream;        /* END_STREAM was on the HEADERS frame */
  uint32_t continuations;
  uint64_t compressed;   /* bytes of block fragment so far */
  h2_header_list *list;  /* NULL when the block is only decoded */
  /* A block of one frame, for the response memo: its bytes (valid until
   * the block completes, within the same frame) and the decoder version
   * before it. */
  const uint8_t *whole;
  uint32_t whole_length;
  uint64_t decoder_version;
} field_block;

/* ---- Events ------------------------------------------------------------- */

/* An event and the header list its fields live in (if any). */
typedef struct queued_event {
  h2_event event;
  h2_header_list *list;
} queued_event;

typedef struct event_queue {
  queued_event *events;
  size_t head, count, capacity;
  /* Header lists referenced by events already handed out; recycled at
   * the next poll or recv. */
  h2_header_list **delivered;
  size_t delivered_count, delivered_capacity;
  h2_header_list **spare;
  size_t spare_count, spare_capacity;
} event_queue;

/* ---- The request memo (conn_request_memo.c) ------------------------------ */

/* The last request's fields (copied), what checking them found, and the
 * HPACK block they were encoded to, if that block may be sent again. */
typedef struct request_memo {
  h2_header *fields;     /* `count` fields, their bytes right after them */
  size_t count;
  size_t area_capacity;  /* bytes allocated at `fields` */
  uint32_t stream_flags; /* STREAM_IS_HEAD and STREAM_EXTENDED_CONNECT */
  uint64_t list_size;    /* the RFC 9113 size of the header list */
  int valid;
  int has_block;
  uint8_t *block;
  size_t block_length, block_capacity;
  uint64_t block_version; /* the encoder version the block goes with */
  uint32_t misses;        /* requests in a row that differed from it */
} request_memo;

/* ---- The response memo (conn_response_memo.c) ---------------------------- */

/* Larger blocks are rarely repeated whole (cookies, per-response ids). */
#define MEMO_MAX_BLOCK 128u

/* One field block's bytes as they came, the HPACK decoder version they were
 * decoded at, and (once they came twice) the fields they decoded to and
 * what the response checks found in them. */
typedef struct response_memo {
  uint8_t block[MEMO_MAX_BLOCK];
  uint32_t block_length;
  int block_valid;
  int trailers;             /* the block was checked as trailers */
  uint64_t decoder_version;
  h2_header_list *fields;   /* owned; valid when fields_valid */
  int fields_valid;
  int status;
  int64_t content_length;   /* -1 when absent */
} response_memo;

/* ---- The connection ----------------------------------------------------- */

/* A stream we reset, and the tick time of the reset or of the server's
 * last frame for it (UINT64_MAX until the next tick stamps it). */
typedef struct recent_reset {
  uint32_t stream_id;
  uint64_t at_ms;
} recent_reset;

typedef struct peer_settings {
  uint32_t header_table_size;
  uint32_t enable_push;
  uint32_t max_concurrent_streams;
  uint32_t initial_window_size;
  uint32_t max_frame_size;
  uint32_t max_header_list_size;
  uint32_t enable_connect_protocol;
  uint32_t no_rfc7540_priorities;
  int received;          /* the first SETTINGS arrived */
  int priorities_seen;
} peer_settings;

struct h2_conn {
  const h2_allocator *alloc;
  h2_conn_options opt;
  h2_hpack_encoder *encoder;
  h2_hpack_decoder *decoder;
  peer_settings peer;
  uint32_t local_settings_unacked; /* our SETTINGS frames awaiting ACK */
  uint64_t settings_sent_at;       /* tick time; UINT64_MAX until known */
  uint64_t now_ms;
  int clock_started;

  /* Flow control. */
  int64_t send_window;   /* connection send window */
  int64_t recv_window;   /* connection receive window we advertised */
  uint64_t recv_unacked; /* consumed, not yet returned */

  /* Streams. */
  stream_map streams;
  uint32_t next_stream_id;
  uint32_t active_streams;  /* HEADERS sent, not finished */
  uint32_t queued_streams;
  h2_stream *queue_head, *queue_tail;
  h2_stream *send_head, *send_tail;
  size_t send_buffered;     /* request body bytes queued, all streams */
  uint32_t writers_waiting; /* streams told to wait for WRITABLE */
  uint32_t last_closed_candidate; /* highest id we opened */

  /* Input. */
  int recv_state;
  uint8_t header_bytes[H2_FRAME_HEADER_LENGTH];
  uint32_t header_have;
  h2_frame_header hd;
  uint8_t *payload;         /* max_frame_size bytes, allocated on demand */
  uint32_t payload_have;
  uint32_t data_left;       /* DATA bytes still to come in this frame */
  uint32_t pad_left;        /* padding bytes after them */
  uint32_t skip_left;
  h2_stream *data_stream;   /* NULL when the DATA is being discarded */
  uint32_t end_after_skip;  /* stream whose END_STREAM waits for padding */
  field_block block;

  /* Lifecycle. */
  int goaway_sent, goaway_received;
  uint32_t goaway_last_stream_id;
  int failed;               /* a fatal library code, once failed */
  int closed_reported;
  const char *detail;
  char detail_buf[160];

  /* Streams we reset recently (options recent_reset_streams and
   * recent_reset_ms): frames the server had in flight for them are
   * ignored quietly. A ring, oldest overwritten. */
  recent_reset *recent_resets;
  uint32_t recent_reset_next;
  int recent_resets_unstamped; /* some entry waits for the next tick */
  /* Reset pacing (conn_resets.c): resets not yet covered by a PING, those
   * covered by the PING in flight, whether it is, and whether a free slot
   * is being held for them (counted once per wait). */
  uint32_t resets_unpinged;
  uint32_t resets_pinged;
  int reset_ping_out;
  int resets_held;
  uint32_t pings_outstanding;
  uint32_t last_promised_id;

  /* Flood guards. */
  int64_t small_data_credit;
  double glitch_tokens;
  uint64_t glitch_refilled_at;
  uint32_t local_resets;
  uint32_t acks_since_drain;

  /* Output. */
  uint8_t *out;
  size_t out_start, out_end, out_capacity;

  event_queue events;
  request_memo memo;
  response_memo response_memo;
  uint64_t counters[H2_COUNTER_COUNT];
};

/* conn.c */
/* Counts a malformed response and resets its stream (PROTOCOL_ERROR). */
int h2_conn_malformed(h2_conn *conn, h2_stream *s, const char *why);
/* Copies bytes an event will point at into a header list to give to
 * h2_event_push, so they live as long as the event's views must (frame
 * payloads are reused by the next frame). NULL when memory runs out. */
h2_header_list *h2_events_copy(h2_conn *conn, const uint8_t *data,
                               size_t length, const uint8_t **copy);
/* Fails the connection: queues GOAWAY with the code's wire error (for
 * connection errors), ends every stream, stops parsing. Returns code. */
int h2_conn_fail(h2_conn *conn, int code, const char *detail);
/* Charges one suspicious frame to the glitch bucket; fails the connection
 * with ENHANCE_YOUR_CALM when it runs dry. Returns 0 or the fatal code. */
int h2_conn_glitch(h2_conn *conn);
/* A stream error we raise: RST_STREAM with the code's wire error, the
 * stream ends with an event carrying `code`. */
int h2_conn_stream_error(h2_conn *conn, h2_stream *s, int code,
                         const char *why);
/* The response is complete (END_STREAM seen on a valid stream). */
int h2_conn_remote_end(h2_conn *conn, h2_stream *s);
/* Reports H2_EVENT_CLOSED when a GOAWAY'd connection has no streams. */
void h2_conn_check_done(h2_conn *conn);

/* conn_resets.c */
extern const uint8_t h2_reset_ping_payload[8];
int h2_resets_init(h2_conn *conn);
void h2_resets_free(h2_conn *conn);
/* Remembers a stream we reset (without sending anything). */
void h2_reset_remember(h2_conn *conn, uint32_t id);
/* Whether frames for a closed stream are ones the server had in flight
 * when we reset it: the stream is among the last recent_reset_streams we
 * reset, within recent_reset_ms of the reset or of its last frame (which
 * restarts that period). */
int h2_conn_recently_reset(h2_conn *conn, uint32_t id);
/* Stamps resets and late frames since the last tick with its time. */
void h2_resets_tick(h2_conn *conn);
/* Sends RST_STREAM for a stream that had left (HEADERS sent), remembers
 * it, and counts it against the server's concurrency until a PING sent
 * after it is acknowledged. */
int h2_reset_send(h2_conn *conn, uint32_t stream_id, uint32_t wire_code);
/* Our resets the server has not confirmed yet. */
uint32_t h2_resets_unconfirmed(const h2_conn *conn);
/* A PING ACK arrived: 1 when it was the pacing PING's (the resets it
 * covered are confirmed and waiting streams may start), 0 when it is the
 * application's, or a fatal code. */
int h2_reset_ping_acked(h2_conn *conn, const uint8_t *payload);
/* Whether a new stream may start now: the server's concurrency limit,
 * counting our unconfirmed resets, and max_unconfirmed_resets. */
int h2_conn_has_slot(h2_conn *conn);

/* conn_stream.c */
int h2_stream_map_init(h2_conn *conn, stream_map *map);
void h2_stream_map_free(h2_conn *conn, stream_map *map);
h2_stream *h2_stream_find(const stream_map *map, uint32_t id);
/* The stream in a slot, or NULL (empty or removed): for walks over every
 * stream. Removing streams during a walk is safe; adding is not. */
h2_stream *h2_stream_map_at(const stream_map *map, uint32_t slot);
int h2_stream_map_put(h2_conn *conn, stream_map *map, h2_stream *s);
void h2_stream_map_remove(stream_map *map, uint32_t id);
h2_stream *h2_stream_new(h2_conn *conn, uint32_t id, void *user);
void h2_stream_free(h2_conn *conn, h2_stream *s);
/* The stream's rarely needed parts, allocated on first use; NULL when
 * memory runs out. */
stream_extra *h2_stream_extra(h2_conn *conn, h2_stream *s);
/* Request body bytes the stream holds, not yet framed. */
static inline size_t h2_stream_body_pending(const h2_stream *s) {
  return s->extra ? s->extra->send_end - s->extra->send_start : 0;
}
/* Ends a stream: removes it from every list and the map and frees it. */
void h2_stream_close(h2_conn *conn, h2_stream *s);
stream_request *h2_request_copy(h2_conn *conn, const h2_header *fields,
                                size_t count);
void h2_request_free(h2_conn *conn, stream_request *r);
void h2_stream_queue_push(h2_conn *conn, h2_stream *s);
void h2_stream_send_list_add(h2_conn *conn, h2_stream *s);

/* conn_request_memo.c */
void h2_request_memo_free(h2_conn *conn);
/* Whether the fields are, byte for byte and flag for flag, the remembered
 * ones (which passed every check); a match restarts the count of misses. */
int h2_request_memo_matches(h2_conn *conn, const h2_header *fields,
                            size_t count);
/* Remembers valid fields and what checking them found; forgets the block.
 * Fails silently (the memo is then empty): it only saves work. After a few
 * different requests in a row it only empties the memo, but for one
 * request in sixteen. */
void h2_request_memo_remember(h2_conn *conn, const h2_header *fields,
                              size_t count, uint32_t stream_flags,
                              uint64_t list_size);
/* The remembered fields' block if the encoder is still at the version it
 * was encoded at, else NULL. */
const uint8_t *h2_request_memo_block(const h2_conn *conn, size_t *length);
/* Keeps the block the remembered fields were just encoded to at `version`,
 * an encoding that left the encoder's version unchanged. */
void h2_request_memo_keep_block(h2_conn *conn, const uint8_t *block,
                                size_t length, uint64_t version);

/* conn_response_memo.c */
void h2_response_memo_free(h2_conn *conn);
/* When a one-frame block equals the remembered one (bytes, decoder version,
 * checked as trailers or not) and its fields are kept: copies them into the
 * empty list `out`, sets what the checks found and returns 1. Returns 0
 * when the block must be decoded, H2_ERR_NOMEM when the copy failed. */
int h2_response_memo_lookup(h2_conn *conn, const uint8_t *block,
                            uint32_t length, int trailers, h2_header_list *out,
                            int *status, int64_t *content_length);
/* A one-frame block was decoded (starting at decoder version
 * `version_before`) and its fields passed the response checks: remembers
 * its bytes, and its fields when the same bytes came before. */
void h2_response_memo_note(h2_conn *conn, const uint8_t *block, uint32_t length,
                           uint64_t version_before, int trailers,
                           const h2_header_list *fields, int status,
                           int64_t content_length);

/* conn_events.c */
int h2_events_init(h2_conn *conn);
void h2_events_free(h2_conn *conn);
/* Queues an event; returns it for the caller to fill in, or NULL (the
 * connection has then failed with H2_ERR_NOMEM). `list` (may be NULL) is
 * owned by the event from now on. */
h2_event *h2_event_push(h2_conn *conn, int type, uint32_t stream_id,
                        h2_header_list *list);
/* A cleared header list for a new block, or NULL when memory runs out. */
h2_header_list *h2_events_take_list(h2_conn *conn);
void h2_events_return_list(h2_conn *conn, h2_header_list *list);
/* Recycles the lists of events handed out by the previous poll. */
void h2_events_release_delivered(h2_conn *conn);
/* Ends a stream with an event: STREAM_END when error is 0, else
 * STREAM_RESET with the code and flags, then closes it. */
int h2_stream_finish(h2_conn *conn, h2_stream *s, int error, uint32_t flags);

/* conn_recv.c */
int h2_conn_process(h2_conn *conn, const uint8_t *in, size_t length);

/* conn_fields.c */
/* HEADERS (or PUSH_PROMISE, with promised != 0) opens a field block. */
int h2_block_begin(h2_conn *conn, const h2_frame *fr, uint32_t promised,
                   int stream_error);
int h2_block_continue(h2_conn *conn, const h2_frame *fr);
int h2_validate_request_fields(const h2_header *fields, size_t count,
                               const char **reason);
int h2_validate_trailer_fields(const h2_header *fields, size_t count,
                               const char **reason);

/* The bytes of the names and values of `count` fields, and a copy of the
 * fields into `out` whose strings are laid end to end in `bytes` (which
 * has room for h2_fields_bytes of them): requests kept past the caller's
 * call (queued streams, the request memo) own their strings. */
size_t h2_fields_bytes(const h2_header *fields, size_t count);
void h2_fields_copy(h2_header *out, uint8_t *bytes, const h2_header *fields,
                    size_t count);

/* conn_send.c */
int h2_out_reserve(h2_conn *conn, size_t length, uint8_t **at);
int h2_send_frame(h2_conn *conn, const h2_frame *fr);
int h2_send_settings(h2_conn *conn);
int h2_send_window_update(h2_conn *conn, uint32_t stream_id, uint32_t inc);
int h2_send_rst(h2_conn *conn, uint32_t stream_id, uint32_t code);
int h2_send_goaway(h2_conn *conn, uint32_t code);
int h2_send_headers(h2_conn *conn, uint32_t stream_id, const h2_header *f,
                    size_t count, int end_stream);
int h2_activate_queued(h2_conn *conn);
/* Sends a request's HEADERS (the stream has its slot); failing to encode
 * them fails the connection. `memoized`: the fields are the request memo's,
 * whose block may then be reused or kept. */
void h2_send_request_headers(h2_conn *conn, h2_stream *s, const h2_header *f,
                             size_t count, int memoized);
int h2_fill_output(h2_conn *conn);
int h2_credit_connection(h2_conn *conn, uint64_t bytes);
int h2_credit_stream(h2_conn *conn, h2_stream *s, uint64_t bytes);

#endif /* H2_CONN_INTERNAL_H */
