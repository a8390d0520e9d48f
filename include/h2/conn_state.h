/*
 * libh2 - a read-only view of a connection's protocol state, and one
 * extra flow-control knob.
 *
 * The core keeps every protocol decision to itself; these calls let a
 * binding show that state the way lua-resty-http2's session and stream
 * objects did (windows, stream states, GOAWAY and SETTINGS progress)
 * without owning any of it. Reading never changes the connection.
 */
#ifndef H2_CONN_STATE_H
#define H2_CONN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "h2/conn.h"
#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The connection as a whole. Set struct_size to sizeof(h2_conn_state)
 * before the call, so that fields can be added later without breaking
 * callers compiled against this header. */
typedef struct h2_conn_state {
  uint32_t struct_size;
  uint32_t peer_settings_received; /* the server's first SETTINGS arrived
                                      (the core acknowledged it at once) */
  uint32_t local_settings_acked;   /* the server acknowledged ours */
  uint32_t goaway_sent;
  uint32_t goaway_received;
  uint32_t goaway_last_stream_id;  /* the server's GOAWAY, else 0 */
  int32_t failed;                  /* the fatal library code, or 0 */
  uint32_t next_stream_id;         /* the id the next request will get */
  uint32_t active_streams;         /* HEADERS sent, response not done */
  uint32_t queued_streams;         /* waiting for a concurrency slot */
  uint32_t local_max_frame_size;   /* our SETTINGS_MAX_FRAME_SIZE */
  uint32_t reserved_;
  int64_t send_window;             /* what we may still send, connection */
  int64_t recv_window;             /* what the server may still send us */
  uint64_t output_pending;         /* bytes ready for the transport */
  uint64_t send_buffered;          /* request body bytes not yet framed */
} h2_conn_state;

/* Fills `state`. Returns 0, or H2_ERR_INVALID_ARGUMENT when struct_size
 * is smaller than this header's struct. */
H2_EXPORT int h2_conn_get_state(const h2_conn *conn, h2_conn_state *state);

/* RFC 9113 section 5.1 states of a client stream, as far as a client that
 * refuses push can see them. A stream the core no longer knows (never
 * opened, finished or reset) is reported as not found, which callers read
 * as closed. */
enum h2_stream_state {
  /* Submitted, waiting for a concurrency slot: no HEADERS sent yet. */
  H2_STREAM_STATE_IDLE = 0,
  H2_STREAM_STATE_OPEN = 1,
  /* Our request ended (END_STREAM sent or queued behind the body). */
  H2_STREAM_STATE_HALF_CLOSED_LOCAL = 2,
  /* The response ended while our request body is still going. */
  H2_STREAM_STATE_HALF_CLOSED_REMOTE = 3
};

typedef struct h2_stream_info {
  uint32_t struct_size;
  uint32_t state;         /* enum h2_stream_state */
  int64_t send_window;    /* may be negative after a SETTINGS change */
  int64_t recv_window;
  uint64_t send_buffered; /* body bytes accepted, not yet framed */
} h2_stream_info;

/* Fills `info` for a stream the core still tracks. Returns 0,
 * H2_ERR_STREAM_NOT_FOUND (closed, reset or never opened), or
 * H2_ERR_INVALID_ARGUMENT (struct_size too small). */
H2_EXPORT int h2_conn_get_stream(const h2_conn *conn, uint32_t stream_id,
                                 h2_stream_info *info);

/* Lets the server send `increment` more bytes than the core's own window
 * management allows, on the connection (stream_id 0) or on one stream,
 * and queues the WINDOW_UPDATE that says so. The core keeps returning
 * credit for consumed data as before; this only raises the ceiling.
 * Returns 0, H2_ERR_INVALID_ARGUMENT (increment 0, or a window that would
 * pass 2^31 - 1), H2_ERR_STREAM_NOT_FOUND, H2_ERR_INVALID_STATE (the
 * server already ended that stream), the fatal code of a failed
 * connection, or H2_ERR_NOMEM (nothing changed). */
H2_EXPORT int h2_conn_open_window(h2_conn *conn, uint32_t stream_id,
                                  uint32_t increment);

#ifdef __cplusplus
}
#endif

#endif /* H2_CONN_STATE_H */
