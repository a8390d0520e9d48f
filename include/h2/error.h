/*
 * libh2 - error codes.
 *
 * Two families of codes are kept apart on purpose:
 *
 *  - Wire error codes (RFC 9113 section 7) are the 32-bit values carried by
 *    RST_STREAM and GOAWAY frames. They are unsigned and never returned by
 *    library functions.
 *  - Library codes are the negative int values every libh2 function returns
 *    on failure. They are grouped in bands so a caller can act on the band
 *    without knowing every code:
 *
 *      -1   .. -99    local, recoverable errors (bad argument, short buffer).
 *      -100 .. -199   stream errors: the peer broke a rule that costs one
 *                     stream (RST_STREAM is sent); the connection lives on.
 *                     The code is -(100 + wire code).
 *      -900 .. -999   fatal errors: the connection object is unusable and
 *                     must be closed. -900 - wire code is a connection error
 *                     with that wire code (GOAWAY is sent); -950 and below
 *                     are local fatal conditions such as memory exhaustion.
 *
 * Keeping the wire code inside the library code means the caller can always
 * recover what to send (h2_error_wire_code) and whether the damage is limited
 * to one stream (h2_error_is_stream_level) or fatal (h2_error_is_fatal).
 */
#ifndef H2_ERROR_H
#define H2_ERROR_H

#include <stdint.h>

#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wire error codes, RFC 9113 section 7. */
enum h2_wire_error {
  H2_NO_ERROR = 0x0,
  H2_PROTOCOL_ERROR = 0x1,
  H2_INTERNAL_ERROR = 0x2,
  H2_FLOW_CONTROL_ERROR = 0x3,
  H2_SETTINGS_TIMEOUT = 0x4,
  H2_STREAM_CLOSED = 0x5,
  H2_FRAME_SIZE_ERROR = 0x6,
  H2_REFUSED_STREAM = 0x7,
  H2_CANCEL = 0x8,
  H2_COMPRESSION_ERROR = 0x9,
  H2_CONNECT_ERROR = 0xa,
  H2_ENHANCE_YOUR_CALM = 0xb,
  H2_INADEQUATE_SECURITY = 0xc,
  H2_HTTP_1_1_REQUIRED = 0xd
};

/* Library codes. */
enum h2_error {
  H2_OK = 0,

  /* Local, recoverable. */
  H2_ERR_INVALID_ARGUMENT = -1,
  H2_ERR_BUFFER_TOO_SMALL = -2,
  H2_ERR_INCOMPLETE = -3,
  H2_ERR_HEADER_LIST_TOO_LARGE = -4,
  H2_ERR_TOO_MANY_FIELDS = -5,
  H2_ERR_INVALID_HEADER = -6,
  /* More input is needed, or output must be flushed, before the call can
   * make progress. */
  H2_ERR_WOULD_BLOCK = -7,
  /* The stream is unknown, or finished. */
  H2_ERR_STREAM_NOT_FOUND = -8,
  /* The stream cannot take more request body (ended, reset). */
  H2_ERR_STREAM_NOT_WRITABLE = -9,
  /* No new stream can be opened: the connection is going away (GOAWAY
   * sent or received) or its stream ids are exhausted. Open another. */
  H2_ERR_CONNECTION_GOING_AWAY = -10,
  /* The call is not valid in the object's current state. */
  H2_ERR_INVALID_STATE = -11,

  /* Stream errors: -(100 + wire code). H2_ERR_STREAM_BASE itself is a
   * stream ended with NO_ERROR (for example RST_STREAM(NO_ERROR)). */
  H2_ERR_STREAM_BASE = -100,
  H2_ERR_STREAM_PROTOCOL = -101,
  H2_ERR_STREAM_INTERNAL = -102,
  H2_ERR_STREAM_FLOW_CONTROL = -103,
  H2_ERR_STREAM_CLOSED = -105,
  H2_ERR_STREAM_FRAME_SIZE = -106,
  H2_ERR_STREAM_REFUSED = -107,
  H2_ERR_STREAM_CANCEL = -108,
  H2_ERR_STREAM_ENHANCE_YOUR_CALM = -111,

  /* Fatal band. Connection errors: -(900 + wire code). H2_ERR_FATAL itself
   * is a connection ended with NO_ERROR (GOAWAY(NO_ERROR) then close). */
  H2_ERR_FATAL = -900,
  H2_ERR_CONN_PROTOCOL = -901,
  H2_ERR_CONN_INTERNAL = -902,
  H2_ERR_CONN_FLOW_CONTROL = -903,
  H2_ERR_CONN_SETTINGS_TIMEOUT = -904,
  H2_ERR_CONN_STREAM_CLOSED = -905,
  H2_ERR_CONN_FRAME_SIZE = -906,
  H2_ERR_CONN_COMPRESSION = -909,
  H2_ERR_CONN_ENHANCE_YOUR_CALM = -911,
  H2_ERR_CONN_INADEQUATE_SECURITY = -912,

  /* Local fatal conditions. */
  H2_ERR_NOMEM = -950,
  /* TLS failed (handshake, record layer); the detail says why. */
  H2_ERR_TLS = -951,
  /* The server's certificate failed verification (untrusted, expired,
   * wrong host name). */
  H2_ERR_TLS_VERIFY = -952,
  /* The server did not select "h2" in ALPN (it chose http/1.1, or
   * nothing). */
  H2_ERR_TLS_ALPN = -953,
  /* A timeout the caller configured expired. */
  H2_ERR_TIMEOUT = -954,
  /* The peer closed the connection (TCP FIN or TLS close_notify). */
  H2_ERR_CONNECTION_CLOSED = -955,
  /* A system call failed (connect, DNS, read, write); see errno detail. */
  H2_ERR_SYSTEM = -956,
  /* The peer is not speaking HTTP/2 (e.g. it answered in HTTP/1.1). */
  H2_ERR_NOT_HTTP2 = -957
};

/* A short, stable, human-readable description of a library code. Never
 * returns NULL; unknown codes get a generic text. */
H2_EXPORT const char *h2_strerror(int code);

/* The RFC 9113 name of a wire error code ("PROTOCOL_ERROR"), or
 * "UNKNOWN_ERROR" for codes the RFC does not define. */
H2_EXPORT const char *h2_wire_error_name(uint32_t wire_code);

/* Non-zero when code is in the fatal band (the connection must close). */
H2_EXPORT int h2_error_is_fatal(int code);

/* Non-zero when code is a stream error: one stream is reset, others go on. */
H2_EXPORT int h2_error_is_stream_level(int code);

/* Non-zero when code is a connection error carrying a wire code. */
H2_EXPORT int h2_error_is_connection_level(int code);

/* The wire code to put in RST_STREAM or GOAWAY for a library code. Stream
 * and connection errors carry their own; other fatal codes map to
 * INTERNAL_ERROR and non-errors to NO_ERROR. */
H2_EXPORT uint32_t h2_error_wire_code(int code);

/* The library code for a connection error with the given wire code, or for
 * a stream error (stream_level non-zero). Unknown wire codes are treated as
 * INTERNAL_ERROR, as RFC 9113 section 7 allows. */
H2_EXPORT int h2_error_from_wire(uint32_t wire_code, int stream_level);

#ifdef __cplusplus
}
#endif

#endif /* H2_ERROR_H */
