/*
 * libh2 - the sans-I/O HTTP/2 client connection (RFC 9113).
 *
 * An h2_conn is the protocol state of one client connection and nothing
 * else: it never touches sockets, clocks, threads or TLS. The caller moves
 * bytes and time in and out:
 *
 *   bytes from the server  -> h2_conn_recv()
 *   events for the app     <- h2_conn_poll()      (pull, in batches)
 *   requests, body, resets -> h2_conn_submit_*(), h2_conn_reset_stream()
 *   bytes for the server   <- h2_conn_peek_output() / h2_conn_consume_output()
 *                             or h2_conn_send() (copies)
 *   time                   -> h2_conn_tick()
 *
 * Nothing calls back into the application: every outcome is an event, so
 * the same core drives the C client, the CLI and the LuaJIT binding (which
 * must not be called from C).
 *
 * The client preface, our SETTINGS and the first requests leave in the
 * first flight: requests may be submitted before any byte is exchanged.
 *
 * Out of memory: H2_ERR_NOMEM returned by a call that acts on behalf of
 * the application (h2_conn_poll, h2_conn_submit_*, h2_conn_ping,
 * h2_conn_shutdown...) means that call failed and changed nothing: the
 * connection is intact and the call may be repeated. When memory runs out
 * while processing the server's input, the connection fails: a
 * CONNECTION_ERROR event with H2_ERR_NOMEM, then CLOSED.
 *
 * Lifetimes: the views an event carries (header fields, DATA bytes, debug
 * data) stay valid until the next call to h2_conn_recv() or h2_conn_poll()
 * on the same connection. DATA views point straight into the buffer given
 * to h2_conn_recv(), so keep that buffer untouched until then.
 */
#ifndef H2_CONN_H
#define H2_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "h2/alloc.h"
#include "h2/export.h"
#include "h2/hpack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct h2_conn h2_conn;

/* ---- Options ---------------------------------------------------------- */

enum h2_conn_flag {
  /* Flow-control credit is returned only when the application calls
   * h2_conn_consume(), not automatically when DATA is polled: real
   * backpressure for applications that buffer. */
  H2_CONN_MANUAL_FLOW_CONTROL = 0x1,
  /* Advertise SETTINGS_HEADER_TABLE_SIZE = 0 (no dynamic table for the
   * server's HPACK encoder); header_table_size = 0 means the default. */
  H2_CONN_NO_HEADER_TABLE = 0x2,
  /* Remove connection-specific fields (connection, keep-alive,
   * proxy-connection, transfer-encoding, upgrade, and te other than
   * "trailers") from responses and trailers, instead of failing the stream
   * as RFC 9113 section 8.2.2 requires by default. For servers that pass
   * them through (nginx sends the field of `add_header Connection close`
   * as it is); each one removed counts in
   * H2_COUNTER_CONNECTION_FIELDS_DROPPED. */
  H2_CONN_DROP_CONNECTION_FIELDS = 0x4
};

/* Every limit of ../docs/limits.md. Initialise with h2_conn_options_init
 * and change what you need; zero fields keep their defaults. The struct
 * starts with its own size so fields can be added without breaking
 * callers compiled against an older header. */
typedef struct h2_conn_options {
  uint32_t struct_size;
  uint32_t flags;
  /* SETTINGS we send. */
  uint32_t header_table_size;      /* 4096: our HPACK decoder's table */
  uint32_t initial_window_size;    /* 65535: each stream's receive window */
  uint32_t max_frame_size;         /* 16384: largest frame we accept */
  uint32_t max_header_list_size;   /* 65536: decoded header budget */
  /* Local policy. */
  uint32_t connection_window_size; /* 8 MiB: connection receive window */
  uint32_t encoder_table_cap;      /* 4096: our HPACK encoder's table cap */
  uint32_t max_header_fields;      /* 500 per header block */
  uint32_t max_continuations;      /* 8 CONTINUATION frames per block */
  uint32_t max_concurrent_streams; /* 256: cap on the server's limit */
  uint32_t initial_max_concurrent_streams; /* 100 until SETTINGS */
  uint32_t max_settings_entries;   /* 32 per SETTINGS frame */
  uint32_t max_pending_acks;       /* 1000 unsent PING/SETTINGS ACKs */
  uint32_t max_send_buffer;        /* 400 KiB of queued request body */
  uint32_t glitch_burst;           /* 10000 suspicious frames ... */
  uint32_t glitch_per_second;      /* ... refilled at 330 per second */
  uint32_t max_local_resets;       /* 1024 stream errors we raise */
  uint32_t max_interim_responses;  /* 16 1xx responses per stream */
  uint32_t settings_timeout_ms;    /* 10000: SETTINGS ACK deadline */
  uint32_t max_goaway_debug;       /* 1024 bytes of GOAWAY debug kept */
  /* Small-DATA flood guard: a DATA frame under 256 bytes costs 256 minus
   * its length, larger frames give credit back; past this many bytes of
   * overhead, ENHANCE_YOUR_CALM. A stream's first small frame and the one
   * that ends it are free (a small response). 25600 by default. */
  uint32_t small_data_budget;
  /* Rapid-Reset hygiene: every RST_STREAM we send keeps counting against
   * the server's MAX_CONCURRENT_STREAMS until the server acknowledges the
   * PING we send after it (so it has processed the reset); at most this
   * many unconfirmed resets are allowed at once, after which new streams
   * wait for that acknowledgement. 100 by default. */
  uint32_t max_unconfirmed_resets;
  /* Frames the server had in flight for a stream we reset are ignored
   * quietly while the stream is one of the last `recent_reset_streams`
   * we reset (50) and no more than `recent_reset_ms` (1000) of
   * h2_conn_tick time passed since the reset or since the last frame for
   * it; after that the stream is closed like any other. */
  uint32_t recent_reset_streams;
  uint32_t recent_reset_ms;
} h2_conn_options;

/* Fills the options with the defaults. `size` is the size of the
 * caller's struct (the macro below passes it): the library writes no more
 * than that, so a caller built against an older, shorter struct is never
 * written past, and struct_size records how much of it the library knows.
 * Bindings that declare the struct themselves (LuaJIT's FFI) call this with
 * their own sizeof. */
H2_EXPORT void h2_conn_options_init_sized(h2_conn_options *options, size_t size);
#define h2_conn_options_init(options) \
  h2_conn_options_init_sized((options), sizeof(*(options)))

/* ---- Lifecycle --------------------------------------------------------- */

/* Creates a client connection. `options` and `alloc` may be NULL. The
 * preface and our SETTINGS are queued at once. */
H2_EXPORT int h2_conn_client_new(h2_conn **conn, const h2_conn_options *options,
                                 const h2_allocator *alloc);
H2_EXPORT void h2_conn_del(h2_conn *conn);

/* ---- Input ------------------------------------------------------------- */

/* Feeds bytes received from the server. Returns `length` (everything is
 * consumed; partial frames are kept), or a fatal code once the connection
 * has failed: the connection-error event says why, a GOAWAY is queued, and
 * no further input is parsed. An empty buffer (length 0) reports that the
 * server closed the connection: streams still open end with
 * H2_ERR_CONNECTION_CLOSED (truncation, never a clean end). */
H2_EXPORT int h2_conn_recv(h2_conn *conn, const uint8_t *in, size_t length);

/* Advances the connection's clock (milliseconds, any origin, never going
 * back). Timers that matter to the protocol itself (the SETTINGS ACK
 * deadline) are checked here. Returns 0 or the fatal code of the error a
 * timeout caused. */
H2_EXPORT int h2_conn_tick(h2_conn *conn, uint64_t now_ms);

/* The next time h2_conn_tick must be called, or UINT64_MAX for none. */
H2_EXPORT uint64_t h2_conn_next_deadline(const h2_conn *conn);

/* ---- Events ------------------------------------------------------------ */

enum h2_event_type {
  H2_EVENT_NONE = 0,
  /* The final response's header fields (status in `status`). */
  H2_EVENT_HEADERS = 1,
  /* An interim (1xx) response: 100 Continue, 103 Early Hints. */
  H2_EVENT_INFORMATIONAL = 2,
  /* Response body bytes: `data`, `length`. */
  H2_EVENT_DATA = 3,
  /* Trailer fields. */
  H2_EVENT_TRAILERS = 4,
  /* The response ended cleanly (END_STREAM, content-length matched).
   * Nothing more comes for the stream. */
  H2_EVENT_STREAM_END = 5,
  /* The stream failed: reset by the server, refused, cut by GOAWAY or a
   * connection error, or malformed. `error` is the library code
   * (h2_error_wire_code gives the wire code); H2_EVENT_FLAG_RETRYABLE
   * says the server did not process the request (safe to retry, any
   * method). Nothing more comes for the stream. */
  H2_EVENT_STREAM_RESET = 6,
  /* The stream can take more request body (h2_conn_submit_data had
   * accepted less than offered). */
  H2_EVENT_WRITABLE = 7,
  /* The server's SETTINGS were applied. */
  H2_EVENT_SETTINGS = 8,
  /* The server acknowledged one of our PINGs: `data` holds the 8 bytes. */
  H2_EVENT_PING_ACK = 9,
  /* The server sent GOAWAY: `error` is its code, `value` the last stream
   * id it may process, `data`/`length` its debug data. */
  H2_EVENT_GOAWAY = 10,
  /* The connection failed: `error` is the fatal library code. Streams
   * still open get H2_EVENT_STREAM_RESET events first. */
  H2_EVENT_CONNECTION_ERROR = 11,
  /* Every stream is done after a GOAWAY (ours or the server's), or the
   * connection failed: close the transport once output is flushed. */
  H2_EVENT_CLOSED = 12
};

enum h2_event_flag {
  H2_EVENT_FLAG_END_STREAM = 0x1, /* this event ends the response */
  H2_EVENT_FLAG_RETRYABLE = 0x2,  /* the request was not processed */
  H2_EVENT_FLAG_LOCAL = 0x4       /* the reset or error was ours */
};

/* One event. Fixed width, no unions, so foreign function interfaces can
 * read arrays of them. */
typedef struct h2_event {
  int32_t type;
  uint32_t stream_id;
  int32_t error;   /* library code for resets and errors, else 0 */
  uint32_t flags;
  uint32_t status; /* HEADERS, INFORMATIONAL: the :status value */
  uint32_t header_count;
  const h2_header *headers; /* HEADERS, INFORMATIONAL, TRAILERS */
  const uint8_t *data;      /* DATA, PING_ACK, GOAWAY debug data */
  uint64_t length;          /* bytes at data */
  uint64_t value;           /* GOAWAY: last stream id */
  void *user;               /* the pointer given with the request */
} h2_event;

/* Copies up to `max` pending events into `events` and returns how many
 * (0 when none). Views from events returned by the previous call become
 * invalid. In automatic flow-control mode, DATA returned here counts as
 * consumed. */
H2_EXPORT int h2_conn_poll(h2_conn *conn, h2_event *events, size_t max);

/* ---- Requests ---------------------------------------------------------- */

/* Submits a request. `fields` are the request's pseudo-headers (:method,
 * :scheme, :authority, :path; :protocol for extended CONNECT) followed by
 * its regular fields; names must be lowercase and valid (RFC 9113 8.2),
 * connection-specific fields are refused. With `end_stream` the request
 * has no body; otherwise send it with h2_conn_submit_data. Returns the
 * stream id (> 0), or H2_ERR_INVALID_HEADER, H2_ERR_HEADER_LIST_TOO_LARGE
 * (beyond the server's SETTINGS_MAX_HEADER_LIST_SIZE),
 * H2_ERR_CONNECTION_GOING_AWAY. Requests beyond the server's
 * MAX_CONCURRENT_STREAMS wait in order and leave when a slot frees. */
H2_EXPORT int h2_conn_submit_request(h2_conn *conn, const h2_header *fields,
                                     size_t count, int end_stream, void *user);

/* Queues request body bytes (copied). Returns how many were accepted,
 * which may be fewer than `length` when the send buffer is full (wait for
 * H2_EVENT_WRITABLE), or an error. With `end_stream`, the body ends once
 * all of `length` is accepted. */
H2_EXPORT int h2_conn_submit_data(h2_conn *conn, uint32_t stream_id,
                                  const uint8_t *data, size_t length,
                                  int end_stream);

/* Ends the request body with trailer fields. */
H2_EXPORT int h2_conn_submit_trailers(h2_conn *conn, uint32_t stream_id,
                                      const h2_header *fields, size_t count);

/* Cancels a stream: RST_STREAM with `wire_code` (H2_CANCEL usually), or
 * nothing at all for a request still waiting for a slot. No further
 * events come for it, and other streams are not affected. The reset
 * stream keeps its place in the server's concurrency limit until the
 * server acknowledges the PING sent after the RST_STREAM (reset pacing:
 * cancelling in a loop cannot flood the server with streams). */
H2_EXPORT int h2_conn_reset_stream(h2_conn *conn, uint32_t stream_id,
                                   uint32_t wire_code);

/* Manual flow-control mode: the application has taken `length` bytes of
 * the stream's body, so the server may send that many more. Credit that
 * would raise the stream's window past 2^31 - 1 (more than the server was
 * ever allowed to send) is capped there. */
H2_EXPORT int h2_conn_consume(h2_conn *conn, uint32_t stream_id,
                              size_t length);

/* Sends a PING with 8 bytes of the caller's choice (a timestamp, for
 * RTT); the ACK comes back as H2_EVENT_PING_ACK. The 8 bytes "libh2rst"
 * are reserved for the PING that confirms our resets (see
 * max_unconfirmed_resets) and refused with H2_ERR_INVALID_ARGUMENT. */
H2_EXPORT int h2_conn_ping(h2_conn *conn, const uint8_t opaque[8]);

/* RFC 9218: sends PRIORITY_UPDATE for a stream with a priority field
 * value such as "u=1, i". */
H2_EXPORT int h2_conn_priority_update(h2_conn *conn, uint32_t stream_id,
                                      const char *value, size_t length);

/* Ends the connection at once with a connection error of the caller's
 * (for example a TLS layer that saw renegotiation: H2_PROTOCOL_ERROR):
 * GOAWAY with that code is queued, every stream fails, and the events say
 * so. Returns the fatal library code. */
H2_EXPORT int h2_conn_terminate(h2_conn *conn, uint32_t wire_code,
                                const char *detail);

/* Graceful shutdown: sends GOAWAY(NO_ERROR), refuses new requests, and
 * reports H2_EVENT_CLOSED once the open streams are done. */
H2_EXPORT int h2_conn_shutdown(h2_conn *conn);

/* ---- Output ------------------------------------------------------------ */

/* Points *data at bytes ready to send and returns how many (0 when there
 * is nothing). The bytes stay valid until h2_conn_consume_output or any
 * other call that changes the connection. */
H2_EXPORT size_t h2_conn_peek_output(h2_conn *conn, const uint8_t **data);

/* Marks `length` peeked bytes as sent. */
H2_EXPORT void h2_conn_consume_output(h2_conn *conn, size_t length);

/* Copies up to `capacity` output bytes into `out`; returns how many. */
H2_EXPORT size_t h2_conn_send(h2_conn *conn, uint8_t *out, size_t capacity);

/* ---- State ------------------------------------------------------------- */

/* Non-zero once the connection has failed or finished: nothing more will
 * be sent after the pending output, and the transport can be closed. */
H2_EXPORT int h2_conn_is_closed(const h2_conn *conn);

/* Non-zero while new requests can be submitted. */
H2_EXPORT int h2_conn_can_submit(const h2_conn *conn);

/* Open streams (sent or queued) and the server's current limit. */
H2_EXPORT uint32_t h2_conn_open_streams(const h2_conn *conn);
H2_EXPORT uint32_t h2_conn_queued_streams(const h2_conn *conn);
H2_EXPORT uint32_t h2_conn_peer_max_concurrent_streams(const h2_conn *conn);

/* A value the server set in SETTINGS (H2_SETTINGS_*), or its RFC default. */
H2_EXPORT uint32_t h2_conn_peer_setting(const h2_conn *conn, uint16_t id);

/* A sentence describing the connection error, once there is one. */
H2_EXPORT const char *h2_conn_error_detail(const h2_conn *conn);

/* Counters of every limit and flood guard that fired (H2_COUNTER_*). */
enum h2_counter {
  H2_COUNTER_HEADER_LIST_TOO_LARGE = 0,
  H2_COUNTER_TOO_MANY_FIELDS,
  H2_COUNTER_CONTINUATION_FLOOD,
  H2_COUNTER_GLITCH_FLOOD,
  H2_COUNTER_ACK_FLOOD,
  H2_COUNTER_SETTINGS_TOO_LARGE,
  H2_COUNTER_LOCAL_RESET_FLOOD,
  H2_COUNTER_INTERIM_FLOOD,
  H2_COUNTER_MALFORMED_RESPONSE,
  H2_COUNTER_FLOW_CONTROL_VIOLATION,
  H2_COUNTER_SETTINGS_TIMEOUT,
  H2_COUNTER_SMALL_DATA_FLOOD,
  /* New streams had to wait for the server to confirm our resets. */
  H2_COUNTER_RESETS_PACED,
  /* Connection-specific response fields removed
   * (H2_CONN_DROP_CONNECTION_FIELDS). */
  H2_COUNTER_CONNECTION_FIELDS_DROPPED,
  H2_COUNTER_COUNT
};
H2_EXPORT uint64_t h2_conn_counter(const h2_conn *conn, int counter);

#ifdef __cplusplus
}
#endif

#endif /* H2_CONN_H */
