/*
 * libh2 - the C client: sockets, TLS, an epoll loop and a connection pool
 * over the sans-I/O core.
 *
 * One h2_client owns an event loop and a pool of connections keyed by
 * origin (scheme, host, port) and TLS settings. Requests to the same
 * origin share a connection and are multiplexed on it; a new connection is
 * opened when one is full or going away. http:// URLs use cleartext HTTP/2
 * with prior knowledge (h2c); https:// URLs use TLS with ALPN "h2".
 *
 * Two ways to use it:
 *
 *  - h2_client_fetch(): one blocking call, the whole response in memory.
 *  - h2_client_submit() with a handler, then h2_client_run(): many
 *    requests at once, response bodies streamed to callbacks.
 *
 * Requests that the server did not process (refused, or above the last
 * stream id of a GOAWAY) are retried on another connection when their
 * body can be replayed, up to max_retries times.
 *
 * An h2_client is used by one thread at a time.
 */
#ifndef H2_CLIENT_H
#define H2_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "h2/alloc.h"
#include "h2/conn.h"
#include "h2/export.h"
#include "h2/frame.h"
#include "h2/hpack.h"
#include "h2/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct h2_client h2_client;

/* Frame trace for debugging (the CLI's -v): called for every frame sent
 * (direction 'S') and received ('R'). `payload` holds `available` bytes:
 * the whole payload of frames sent, the first 64 bytes of frames
 * received (enough for SETTINGS, PING, GOAWAY and WINDOW_UPDATE). */
typedef void (*h2_trace_fn)(void *user, char direction, const char *origin,
                            const h2_frame_header *hd, const uint8_t *payload,
                            size_t available);

enum h2_client_flag {
  /* Send a PING as soon as a connection is up, so h2_client_stats has a
   * round-trip time even for short exchanges. */
  H2_CLIENT_MEASURE_RTT = 0x1
};

typedef struct h2_client_options {
  uint32_t struct_size;
  uint32_t flags;
  h2_conn_options conn;  /* protocol limits of each connection */
  h2_tls_options tls;    /* CA file, client certificate, -k */
  /* Timeouts in milliseconds; 0 disables one. */
  uint32_t connect_timeout_ms;         /* TCP + TLS + SETTINGS: 10000 */
  uint32_t response_timeout_ms;        /* request sent to headers: 60000 */
  uint32_t idle_timeout_ms;            /* unused connection closed: 60000 */
  uint32_t write_stall_timeout_ms;     /* no write progress: 30000 */
  uint32_t ping_interval_ms;           /* silence before a PING: 30000 */
  uint32_t ping_timeout_ms;            /* PING answer deadline: 15000 */
  uint32_t max_retries;                /* unprocessed requests: 6 */
  uint32_t max_connections_per_origin; /* 8 */
  h2_trace_fn trace;
  void *trace_user;
} h2_client_options;

H2_EXPORT void h2_client_options_init(h2_client_options *options);

H2_EXPORT int h2_client_new(h2_client **client,
                            const h2_client_options *options,
                            const h2_allocator *alloc);
/* Closes every connection (gracefully when possible) and frees. */
H2_EXPORT void h2_client_del(h2_client *client);

/* A request. `url` is absolute (http:// or https://). `headers` are the
 * regular fields (lowercase names); the pseudo-headers come from the URL
 * and method. A body is given whole (`body`), or streamed by `read_body`,
 * which fills `buf` and returns the bytes written, 0 at the end, or a
 * negative value to fail the request. A whole body can be replayed on
 * retry; a streamed one only if `rewind_body` is set and succeeds. */
typedef struct h2_request {
  const char *method; /* "GET" when NULL */
  const char *url;
  const h2_header *headers;
  size_t header_count;
  const uint8_t *body;
  size_t body_length;
  long (*read_body)(void *user, uint8_t *buf, size_t capacity);
  int (*rewind_body)(void *user);
  void *body_user;
  const h2_header *trailers; /* sent after the body, optional */
  size_t trailer_count;
} h2_request;

/* What happens to a request, as callbacks. Every member may be NULL. */
typedef struct h2_response_handler {
  /* Interim (1xx) and final response headers. */
  void (*on_informational)(void *user, int status, const h2_header *fields,
                           size_t count);
  void (*on_headers)(void *user, int status, const h2_header *fields,
                     size_t count);
  /* Body bytes; return non-zero to cancel the request. */
  int (*on_data)(void *user, const uint8_t *data, size_t length);
  void (*on_trailers)(void *user, const h2_header *fields, size_t count);
  /* Always called exactly once, last: error 0 for a complete response, or
   * a library code (H2_ERR_TIMEOUT, H2_ERR_TLS_VERIFY, a stream reset...). */
  void (*on_complete)(void *user, int error, const char *detail);
  void *user;
} h2_response_handler;

/* Queues a request; it starts when h2_client_run turns the loop. Returns a
 * request id (> 0) or an error (bad URL, bad header). */
H2_EXPORT int h2_client_submit(h2_client *client, const h2_request *request,
                               const h2_response_handler *handler);

/* Cancels a submitted request: on_complete gets H2_ERR_STREAM_CANCEL. */
H2_EXPORT int h2_client_cancel(h2_client *client, int request_id);

/* Runs the loop until every submitted request has completed, or
 * `timeout_ms` passes (-1: no limit). Returns 0, or H2_ERR_TIMEOUT. */
H2_EXPORT int h2_client_run(h2_client *client, int timeout_ms);

/* A complete response in memory. */
typedef struct h2_response {
  int status;
  h2_header_list *headers;
  h2_header_list *trailers;
  uint8_t *body;
  size_t body_length;
  char error_detail[256];
  const h2_allocator *alloc_; /* what body was allocated with */
} h2_response;

/* Performs one request and waits for the whole response (at most
 * `max_body` bytes of body; 0 means 64 MiB). Returns 0 or an error; the
 * response must be released with h2_response_free either way (its client
 * argument is accepted for symmetry and may be NULL). */
H2_EXPORT int h2_client_fetch(h2_client *client, const h2_request *request,
                              size_t max_body, h2_response *response);
H2_EXPORT void h2_response_free(h2_client *client, h2_response *response);

/* Statistics of the client's life so far. */
typedef struct h2_client_stats {
  uint64_t connections_opened;
  uint64_t requests_completed;
  uint64_t requests_failed;
  uint64_t retries;
  uint64_t bytes_sent;     /* on the wire, TLS included */
  uint64_t bytes_received;
  uint64_t rtt_us;         /* last PING round trip, 0 if none */
  uint64_t connect_us;     /* last connection's TCP + TLS + SETTINGS */
  /* Limits and flood guards that fired, summed over every connection
   * (indexed by H2_COUNTER_*). */
  uint64_t counters[H2_COUNTER_COUNT];
} h2_client_stats;

H2_EXPORT void h2_client_get_stats(const h2_client *client,
                                   h2_client_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* H2_CLIENT_H */
