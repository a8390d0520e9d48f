/*
 * libh2 - a blocking session over the caller's own I/O.
 *
 * For callers that already have a connected transport (a socket of their
 * own, a TLS stream, a test pipe) and want request/response calls without
 * the client's event loop: the session drives the sans-I/O core with the
 * `recv` and `send` functions given, much as lua-resty-http2 drives its
 * cosocket. One request runs at a time; the connection is reused for the
 * next one.
 */
#ifndef H2_SESSION_H
#define H2_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "h2/alloc.h"
#include "h2/client.h"
#include "h2/conn.h"
#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct h2_io {
  /* Reads up to `capacity` bytes, blocking as needed: returns the count,
   * 0 when the peer closed, or a negative value on error. */
  long (*recv)(void *ctx, uint8_t *buf, size_t capacity);
  /* Writes up to `length` bytes: returns how many (> 0), or a negative
   * value on error. */
  long (*send)(void *ctx, const uint8_t *buf, size_t length);
  void *ctx;
} h2_io;

typedef struct h2_session h2_session;

/* Creates a session on a connected transport. Nothing is sent until the
 * first request (whose first flight carries the preface and SETTINGS). */
H2_EXPORT int h2_session_new(h2_session **session, const h2_io *io,
                             const h2_conn_options *options,
                             const h2_allocator *alloc);
/* Frees the session; call h2_session_close first for a polite goodbye. */
H2_EXPORT void h2_session_del(h2_session *session);

/* Sends a request (`fields` with its pseudo-headers, as for
 * h2_conn_submit_request) with an optional body and reads until its
 * response is complete. At most `max_body` bytes of body are kept (0: 64
 * MiB). Returns 0 or an error; free the response with h2_response_free
 * (its client argument may be NULL) either way. */
H2_EXPORT int h2_session_request(h2_session *session, const h2_header *fields,
                                 size_t count, const uint8_t *body,
                                 size_t body_length, size_t max_body,
                                 h2_response *response);

/* Sends GOAWAY(NO_ERROR) and flushes it. */
H2_EXPORT int h2_session_close(h2_session *session);

/* The connection core underneath, for its state and counters. */
H2_EXPORT h2_conn *h2_session_conn(h2_session *session);

#ifdef __cplusplus
}
#endif

#endif /* H2_SESSION_H */
