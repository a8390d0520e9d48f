/*
 * The message callback: OpenSSL shows it every handshake message the
 * server sends, before processing it.
 *
 * During the handshake it notes the ALPN protocol the server selected
 * (ServerHello in TLS 1.2, EncryptedExtensions in TLS 1.3). OpenSSL
 * aborts with a bare "bad extension" when a server selects a protocol we
 * did not offer (say http/1.1 when we offered only h2); knowing what the
 * server chose lets the error say so.
 *
 * After the handshake the only handshake messages a server may send are
 * NewSessionTicket and KeyUpdate (TLS 1.3). HelloRequest starts a
 * renegotiation, forbidden by RFC 9113 section 9.2.1, and
 * CertificateRequest a post-handshake authentication, forbidden by
 * section 9.2.3. OpenSSL would merely decline the former, so both are
 * caught here and made a connection error by h2_tls_read.
 */
#include <stdio.h>
#include <string.h>

#include "tls_internal.h"

/* A bounds-checked view of bytes being parsed. */
typedef struct reader {
  const uint8_t *p;
  size_t left;
} reader;

static int skip(reader *r, size_t n) {
  if (r->left < n) return 0;
  r->p += n;
  r->left -= n;
  return 1;
}

static int read_number(reader *r, size_t bytes, size_t *value) {
  if (r->left < bytes) return 0;
  *value = 0;
  for (size_t i = 0; i < bytes; i++) *value = (*value << 8) | r->p[i];
  return skip(r, bytes);
}

/* Splits the next `n` bytes off into `part`. */
static int split(reader *r, size_t n, reader *part) {
  part->p = r->p;
  part->left = n;
  return skip(r, n);
}

/* Finds the extensions block of a ServerHello or EncryptedExtensions
 * message (4-byte handshake header included). */
static int find_extensions(const uint8_t *message, size_t length,
                           reader *extensions) {
  reader r = {message, length}, body;
  size_t type, body_length, session_id_length, extensions_length;
  if (!read_number(&r, 1, &type) || !read_number(&r, 3, &body_length) ||
      !split(&r, body_length, &body))
    return 0;
  if (type == SSL3_MT_SERVER_HELLO) {
    /* version, random, session id, cipher suite, compression method */
    if (!skip(&body, 2 + 32) || !read_number(&body, 1, &session_id_length) ||
        !skip(&body, session_id_length + 2 + 1))
      return 0;
  } else if (type != SSL3_MT_ENCRYPTED_EXTENSIONS) {
    return 0;
  }
  return read_number(&body, 2, &extensions_length) &&
         split(&body, extensions_length, extensions);
}

static void note_server_alpn(h2_tls *tls, const uint8_t *message,
                             size_t length) {
  reader extensions, data;
  size_t type, data_length, list_length, name_length;
  if (!find_extensions(message, length, &extensions)) return;
  while (read_number(&extensions, 2, &type) &&
         read_number(&extensions, 2, &data_length) &&
         split(&extensions, data_length, &data)) {
    if (type != TLSEXT_TYPE_application_layer_protocol_negotiation) continue;
    if (!read_number(&data, 2, &list_length) ||
        !read_number(&data, 1, &name_length) || name_length > data.left)
      return;
    memcpy(tls->server_alpn, data.p, name_length);
    tls->server_alpn_length = (uint8_t)name_length;
    tls->server_alpn_seen = 1;
    return;
  }
}

static void note_violation(h2_tls *tls, int type) {
  tls->violation = 1;
  if (type == SSL3_MT_HELLO_REQUEST)
    snprintf(tls->violation_detail, sizeof(tls->violation_detail),
             "the server attempted TLS renegotiation (HelloRequest), "
             "which RFC 9113 section 9.2.1 forbids");
  else if (type == SSL3_MT_CERTIFICATE_REQUEST)
    snprintf(tls->violation_detail, sizeof(tls->violation_detail),
             "the server sent a post-handshake CertificateRequest, "
             "which RFC 9113 section 9.2.3 forbids");
  else
    snprintf(tls->violation_detail, sizeof(tls->violation_detail),
             "the server sent TLS handshake message %d after the handshake",
             type);
}

static void message_callback(int write_p, int version, int content_type,
                             const void *buffer, size_t length, SSL *ssl,
                             void *arg) {
  h2_tls *tls = arg;
  (void)version;
  (void)ssl;
  if (write_p || content_type != SSL3_RT_HANDSHAKE || length < 1) return;
  const uint8_t *message = buffer;
  if (!tls->handshake_done) {
    note_server_alpn(tls, message, length);
    return;
  }
  if (tls->violation || message[0] == SSL3_MT_NEWSESSION_TICKET ||
      message[0] == SSL3_MT_KEY_UPDATE)
    return;
  note_violation(tls, message[0]);
}

void h2_tls_watch_messages(h2_tls *tls) {
  SSL_set_msg_callback(tls->ssl, message_callback);
  SSL_set_msg_callback_arg(tls->ssl, tls);
}
