/*
 * Error mapping: what OpenSSL reports (SSL_get_error, its error queue, the
 * verification result, what the message callback saw) becomes one of our
 * codes and a detail a person can act on.
 *
 * OpenSSL's error queue is per thread and shared with everything else in
 * the process (nginx, in the Lua binding). The filter clears it before
 * each OpenSSL call and empties it after reading a failure, so it neither
 * misreads someone else's errors nor leaves its own behind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "h2/error.h"
#include "tls_internal.h"

int h2_tls_fail(h2_tls *tls, int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(tls->detail, sizeof(tls->detail), format, args);
  va_end(args);
  tls->fatal = code;
  return code;
}

/* The reason of the earliest error in the queue ("No such file or
 * directory", "wrong version number"), and the queue emptied. */
void h2_tls_describe_openssl_error(char *out, size_t size) {
  unsigned long first = ERR_get_error();
  while (ERR_get_error() != 0) continue;
  if (first == 0) {
    snprintf(out, size, "no reason given by OpenSSL");
    return;
  }
  const char *reason = ERR_reason_error_string(first);
  if (reason) {
    snprintf(out, size, "%s", reason);
    return;
  }
  /* System errors have no reason string of their own; the full form is
   * "error:80000002:system library::No such file or directory", whose
   * last field is the part worth showing. */
  char full[256];
  ERR_error_string_n(first, full, sizeof(full));
  const char *last = strrchr(full, ':');
  snprintf(out, size, "%s", last && last[1] ? last + 1 : full);
}

/* Up to the first line break, with anything unprintable shown as '?'. */
static void printable_prefix(char *out, size_t size, const uint8_t *bytes,
                             size_t length) {
  size_t n = 0;
  for (size_t i = 0; i < length && n + 1 < size; i++) {
    if (bytes[i] == '\r' || bytes[i] == '\n') break;
    out[n++] = (bytes[i] >= 0x20 && bytes[i] < 0x7f) ? (char)bytes[i] : '?';
  }
  out[n] = '\0';
}

/* Something that is not TLS answered, most often plain HTTP on a TLS
 * port, when the first bytes are text. */
static int answered_in_plaintext(const h2_tls *tls) {
  size_t n = tls->first_bytes_length < 8 ? tls->first_bytes_length : 8;
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = tls->first_bytes[i];
    if ((c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' && c != '\t') return 0;
  }
  return 1;
}

/* A TLS server's first record is a handshake (22) or an alert (21). */
static int answered_in_binary(const h2_tls *tls) {
  return tls->first_bytes_length > 0 &&
         (tls->first_bytes[0] < 20 || tls->first_bytes[0] > 23);
}

static int not_tls_error(h2_tls *tls, const char *openssl_reason) {
  char shown[sizeof(tls->first_bytes) * 3 + 1];
  if (answered_in_plaintext(tls)) {
    printable_prefix(shown, sizeof(shown), tls->first_bytes,
                     tls->first_bytes_length);
    return h2_tls_fail(tls, H2_ERR_TLS,
                       "the server did not answer with TLS: it sent \"%s\" "
                       "(OpenSSL: %s)",
                       shown, openssl_reason);
  }
  size_t n = tls->first_bytes_length < 8 ? tls->first_bytes_length : 8;
  for (size_t i = 0; i < n; i++)
    snprintf(shown + 3 * i, 4, "%02x ", tls->first_bytes[i]);
  shown[n ? 3 * n - 1 : 0] = '\0';
  return h2_tls_fail(tls, H2_ERR_TLS,
                     "the server did not answer with TLS: its first bytes "
                     "are %s (OpenSSL: %s)",
                     shown, openssl_reason);
}

static int verify_error(h2_tls *tls, long result) {
  const char *reason = X509_verify_cert_error_string(result);
  if (result == X509_V_ERR_HOSTNAME_MISMATCH ||
      result == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return h2_tls_fail(tls, H2_ERR_TLS_VERIFY,
                       "certificate verify failed: %s (expected \"%s\")",
                       reason, tls->server_name);
  return h2_tls_fail(tls, H2_ERR_TLS_VERIFY, "certificate verify failed: %s",
                     reason);
}

/* RFC 9113 section 3.2: HTTP/2 over TLS is only spoken when the server
 * selected "h2" in ALPN. Anything else (http/1.1, h2c, nothing) means the
 * HTTP/2 preface must not be sent. */
int h2_tls_check_selected_alpn(h2_tls *tls, const uint8_t *selected,
                               size_t length) {
  if (length == 0)
    return h2_tls_fail(tls, H2_ERR_TLS_ALPN,
                       "server selected no ALPN protocol (\"%s\" required)",
                       tls->alpn);
  if (length == tls->alpn_length && memcmp(selected, tls->alpn, length) == 0)
    return 0;
  char shown[64];
  size_t n = 0;
  for (size_t i = 0; i < length && n + 1 < sizeof(shown); i++)
    shown[n++] =
        (selected[i] >= 0x20 && selected[i] < 0x7f && selected[i] != '"')
            ? (char)selected[i]
            : '?';
  shown[n] = '\0';
  return h2_tls_fail(tls, H2_ERR_TLS_ALPN,
                     "server selected ALPN \"%s\", not \"%s\"", shown,
                     tls->alpn);
}

/* SSL_ERROR_SSL during the handshake. */
static int handshake_protocol_error(h2_tls *tls) {
  int reason = ERR_GET_REASON(ERR_peek_error());
  char text[256];
  h2_tls_describe_openssl_error(text, sizeof(text));
  /* A failed write into our output queue may surface as any error. */
  if (tls->out_of_memory)
    return h2_tls_fail(tls, H2_ERR_NOMEM, "out of memory");
  /* A protocol we did not offer makes OpenSSL fail with "bad extension";
   * the message callback saw which one it was. */
  if (tls->server_alpn_seen &&
      h2_tls_check_selected_alpn(tls, tls->server_alpn,
                                 tls->server_alpn_length))
    return tls->fatal;
  long verify = SSL_get_verify_result(tls->ssl);
  if (!(tls->flags & H2_TLS_INSECURE) && verify != X509_V_OK)
    return verify_error(tls, verify);
  if (reason == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
    return h2_tls_fail(tls, H2_ERR_TLS_ALPN,
                       "the server refused ALPN \"%s\" "
                       "(no_application_protocol alert)",
                       tls->alpn);
  if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return h2_tls_fail(tls, H2_ERR_CONNECTION_CLOSED,
                       "the connection closed during the TLS handshake");
  if (answered_in_plaintext(tls) || answered_in_binary(tls))
    return not_tls_error(tls, text);
  return h2_tls_fail(tls, H2_ERR_TLS, "TLS handshake failed: %s", text);
}

int h2_tls_handshake_error(h2_tls *tls, int ssl_result) {
  switch (SSL_get_error(tls->ssl, ssl_result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return H2_ERR_WOULD_BLOCK;
    case SSL_ERROR_ZERO_RETURN:
      return h2_tls_fail(tls, H2_ERR_CONNECTION_CLOSED,
                         "the server closed the connection (close_notify) "
                         "during the TLS handshake");
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (tls->out_of_memory)
        return h2_tls_fail(tls, H2_ERR_NOMEM, "out of memory");
      return h2_tls_fail(tls, H2_ERR_CONNECTION_CLOSED,
                         "the connection closed during the TLS handshake");
    case SSL_ERROR_SSL:
      return handshake_protocol_error(tls);
    default:
      ERR_clear_error();
      return h2_tls_fail(tls, H2_ERR_TLS, "TLS handshake failed");
  }
}

static int truncated(h2_tls *tls) {
  return h2_tls_fail(tls, H2_ERR_CONNECTION_CLOSED,
                     "the connection closed without a TLS close_notify: "
                     "what was received may be truncated");
}

/* Errors of SSL_read, SSL_write and SSL_shutdown once connected. */
int h2_tls_record_error(h2_tls *tls, int ssl_result, const char *operation) {
  int error = SSL_get_error(tls->ssl, ssl_result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
    return H2_ERR_WOULD_BLOCK;
  if (error == SSL_ERROR_ZERO_RETURN)
    return h2_tls_fail(tls, H2_ERR_CONNECTION_CLOSED,
                       "the server closed the TLS connection (close_notify)");
  if (error == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    if (tls->out_of_memory)
      return h2_tls_fail(tls, H2_ERR_NOMEM, "out of memory");
    return truncated(tls);
  }
  int reason = ERR_GET_REASON(ERR_peek_error());
  char text[256];
  h2_tls_describe_openssl_error(text, sizeof(text));
  if (tls->out_of_memory)
    return h2_tls_fail(tls, H2_ERR_NOMEM, "out of memory");
  if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) return truncated(tls);
  return h2_tls_fail(tls, H2_ERR_TLS, "TLS %s failed: %s", operation, text);
}
