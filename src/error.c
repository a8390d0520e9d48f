/* Library and wire error codes: descriptions and band arithmetic. */
#include "h2/error.h"

#include "h2/version.h"

const char *h2_version(void) { return H2_VERSION; }

static const char *const wire_names[] = {
    "NO_ERROR",          "PROTOCOL_ERROR",      "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",   "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",  "REFUSED_STREAM",      "CANCEL",
    "COMPRESSION_ERROR", "CONNECT_ERROR",       "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

#define WIRE_CODE_COUNT (sizeof(wire_names) / sizeof(wire_names[0]))

const char *h2_wire_error_name(uint32_t wire_code) {
  if (wire_code < WIRE_CODE_COUNT) return wire_names[wire_code];
  return "UNKNOWN_ERROR";
}

int h2_error_is_fatal(int code) { return code <= H2_ERR_FATAL; }

int h2_error_is_stream_level(int code) {
  return code <= H2_ERR_STREAM_BASE && code > H2_ERR_STREAM_BASE - 100;
}

int h2_error_is_connection_level(int code) {
  return code <= H2_ERR_FATAL && code > H2_ERR_FATAL - 50;
}

uint32_t h2_error_wire_code(int code) {
  if (h2_error_is_stream_level(code)) return (uint32_t)(H2_ERR_STREAM_BASE - code);
  if (h2_error_is_connection_level(code)) return (uint32_t)(H2_ERR_FATAL - code);
  if (h2_error_is_fatal(code)) return H2_INTERNAL_ERROR;
  return H2_NO_ERROR;
}

int h2_error_from_wire(uint32_t wire_code, int stream_level) {
  /* RFC 9113 section 7: unknown codes must not trigger special behaviour
   * and may be treated as INTERNAL_ERROR. */
  if (wire_code >= WIRE_CODE_COUNT) wire_code = H2_INTERNAL_ERROR;
  if (stream_level) return H2_ERR_STREAM_BASE - (int)wire_code;
  return H2_ERR_FATAL - (int)wire_code;
}

static const char *wire_description(uint32_t wire_code) {
  switch (wire_code) {
    case H2_NO_ERROR: return "no error";
    case H2_PROTOCOL_ERROR: return "protocol error";
    case H2_INTERNAL_ERROR: return "internal error";
    case H2_FLOW_CONTROL_ERROR: return "flow-control error";
    case H2_SETTINGS_TIMEOUT: return "settings not acknowledged in time";
    case H2_STREAM_CLOSED: return "frame received on a closed stream";
    case H2_FRAME_SIZE_ERROR: return "frame size error";
    case H2_REFUSED_STREAM: return "stream refused before processing";
    case H2_CANCEL: return "stream cancelled";
    case H2_COMPRESSION_ERROR: return "header compression error";
    case H2_CONNECT_ERROR: return "CONNECT tunnel error";
    case H2_ENHANCE_YOUR_CALM: return "peer is flooding or exceeding limits";
    case H2_INADEQUATE_SECURITY: return "inadequate TLS security";
    case H2_HTTP_1_1_REQUIRED: return "HTTP/1.1 required";
    default: return "unknown error";
  }
}

const char *h2_strerror(int code) {
  switch (code) {
    case H2_OK: return "success";
    case H2_ERR_INVALID_ARGUMENT: return "invalid argument";
    case H2_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
    case H2_ERR_INCOMPLETE: return "input incomplete";
    case H2_ERR_HEADER_LIST_TOO_LARGE: return "header list exceeds the size limit";
    case H2_ERR_TOO_MANY_FIELDS: return "header block has too many fields";
    case H2_ERR_INVALID_HEADER: return "invalid header field";
    case H2_ERR_WOULD_BLOCK: return "would block: more input or output space needed";
    case H2_ERR_STREAM_NOT_FOUND: return "no such stream";
    case H2_ERR_STREAM_NOT_WRITABLE: return "stream cannot take more data";
    case H2_ERR_CONNECTION_GOING_AWAY: return "connection is going away: no new streams";
    case H2_ERR_INVALID_STATE: return "invalid in the current state";
    case H2_ERR_NOMEM: return "out of memory";
    case H2_ERR_TLS: return "TLS error";
    case H2_ERR_TLS_VERIFY: return "server certificate verification failed";
    case H2_ERR_TLS_ALPN: return "server did not select h2 in ALPN";
    case H2_ERR_TIMEOUT: return "timed out";
    case H2_ERR_CONNECTION_CLOSED: return "connection closed by peer";
    case H2_ERR_SYSTEM: return "system call failed";
    case H2_ERR_NOT_HTTP2: return "peer is not speaking HTTP/2";
    default: break;
  }
  if (h2_error_is_stream_level(code) || h2_error_is_connection_level(code))
    return wire_description(h2_error_wire_code(code));
  if (h2_error_is_fatal(code)) return "fatal error";
  return "unknown error";
}
