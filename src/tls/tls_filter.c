/*
 * The TLS filter: one client connection of OpenSSL driven through two byte
 * queues, with no socket, clock or thread of its own (include/h2/tls.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "h2/error.h"
#include "alloc_internal.h"
#include "tls_internal.h"

static int set_detail(char *detail, size_t size, int code, const char *text) {
  if (detail && size) snprintf(detail, size, "%s", text);
  return code;
}

/* Names the server for SNI and for verification. An IP literal is
 * verified against the certificate's IP entries and, per RFC 6066, never
 * sent as SNI; a DNS name is both sent and verified. Partial wildcards
 * ("w*.example.com") are refused, as RFC 6125 section 6.4.3 advises. */
static int set_server_name(h2_tls *tls) {
  if (tls->server_name[0] == '\0') return 1;
  X509_VERIFY_PARAM *param = SSL_get0_param(tls->ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, tls->server_name)) return 1;
  ERR_clear_error();
  if (!SSL_ctrl(tls->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME,
                TLSEXT_NAMETYPE_host_name, tls->server_name))
    return 0;
  if (tls->flags & H2_TLS_INSECURE) return 1;
  SSL_set_hostflags(tls->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(tls->ssl, tls->server_name);
}

/* Stores the server name in the form SNI and verification want: an IPv6
 * literal without the brackets of a URL ("[::1]"), a DNS name without
 * the trailing dot of a fully qualified name ("example.com."), which RFC
 * 6066 excludes from SNI and certificates never carry. */
static void store_server_name(h2_tls *tls, const char *name) {
  size_t length = strlen(name);
  if (length > 2 && name[0] == '[' && name[length - 1] == ']') {
    name++;
    length -= 2;
  } else if (length > 1 && name[length - 1] == '.') {
    length--;
  }
  memcpy(tls->server_name, name, length);
  tls->server_name[length] = '\0';
}

static void copy_context_settings(h2_tls *tls, const h2_tls_context *ctx,
                                  const char *server_name) {
  tls->flags = ctx->flags;
  tls->max_input_buffer = ctx->max_input_buffer;
  tls->max_pending_output = ctx->max_pending_output;
  tls->alpn_length = ctx->alpn_length;
  memcpy(tls->alpn, ctx->alpn, sizeof(tls->alpn));
  if (server_name) store_server_name(tls, server_name);
}

/* The SSL object, its BIO and its watcher. Everything failing here is an
 * allocation inside OpenSSL, or a server name OpenSSL will not take. */
static int create_ssl(h2_tls *tls, SSL_CTX *ssl_ctx, char *detail,
                      size_t size) {
  ERR_clear_error();
  tls->ssl = SSL_new(ssl_ctx);
  if (!tls->ssl || h2_tls_attach_bio(tls)) {
    ERR_clear_error();
    return set_detail(detail, size, H2_ERR_NOMEM, "out of memory");
  }
  h2_tls_watch_messages(tls);
  SSL_set_connect_state(tls->ssl);
  if (!set_server_name(tls)) {
    ERR_clear_error();
    return set_detail(detail, size, H2_ERR_INVALID_ARGUMENT,
                      "the server name is not valid for SNI or verification");
  }
  return 0;
}

static int connection_new(h2_tls **out, h2_tls_context *ctx,
                          const char *server_name, const h2_allocator *alloc,
                          char *detail, size_t size) {
  if (!out || !ctx) return H2_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (server_name && (server_name[0] == '\0' || strlen(server_name) > 255))
    return set_detail(detail, size, H2_ERR_INVALID_ARGUMENT,
                      "the server name must be 1 to 255 bytes");
  if (!server_name && !(ctx->flags & H2_TLS_INSECURE))
    return set_detail(detail, size, H2_ERR_INVALID_ARGUMENT,
                      "a server name is required to verify the server "
                      "(or set H2_TLS_INSECURE)");
  alloc = h2_alloc_or_default(alloc);
  h2_tls *tls = h2_calloc(alloc, 1, sizeof(*tls));
  if (!tls) return set_detail(detail, size, H2_ERR_NOMEM, "out of memory");
  tls->alloc = alloc;
  copy_context_settings(tls, ctx, server_name);
  int rc = create_ssl(tls, ctx->ssl_ctx, detail, size);
  if (rc) {
    h2_tls_del(tls);
    return rc;
  }
  *out = tls;
  return 0;
}

int h2_tls_new_with_context(h2_tls **tls, h2_tls_context *ctx,
                            const char *server_name,
                            const h2_allocator *alloc) {
  return connection_new(tls, ctx, server_name, alloc, NULL, 0);
}

int h2_tls_new(h2_tls **tls, const h2_tls_options *options,
               const h2_allocator *alloc, char *detail, size_t detail_size) {
  if (!tls) return H2_ERR_INVALID_ARGUMENT;
  *tls = NULL;
  h2_tls_context *ctx;
  int rc = h2_tls_context_new(&ctx, options, alloc, detail, detail_size);
  if (rc) return rc;
  rc = connection_new(tls, ctx, options->server_name, alloc, detail,
                      detail_size);
  /* The connection holds the SSL_CTX by its own reference. */
  h2_tls_context_del(ctx);
  return rc;
}

void h2_tls_del(h2_tls *tls) {
  if (!tls) return;
  SSL_free(tls->ssl); /* frees the BIO too, which needs the method */
  BIO_meth_free(tls->bio_method);
  h2_tls_queue_free(&tls->input, tls->alloc);
  h2_tls_queue_free(&tls->output, tls->alloc);
  h2_free(tls->alloc, tls);
}

int h2_tls_handshake(h2_tls *tls) {
  if (!tls) return H2_ERR_INVALID_ARGUMENT;
  if (tls->fatal) return tls->fatal;
  if (tls->ready) return 0;
  ERR_clear_error();
  int result = SSL_do_handshake(tls->ssl);
  if (result != 1) return h2_tls_handshake_error(tls, result);
  tls->handshake_done = 1;
  const unsigned char *selected;
  unsigned int length;
  SSL_get0_alpn_selected(tls->ssl, &selected, &length);
  int rc = h2_tls_check_selected_alpn(tls, selected, length);
  if (rc == 0) tls->ready = 1;
  return rc;
}

int h2_tls_feed(h2_tls *tls, const uint8_t *encrypted, size_t length) {
  if (!tls || (!encrypted && length)) return H2_ERR_INVALID_ARGUMENT;
  if (tls->fatal) return tls->fatal;
  if (tls->input_ended) return H2_ERR_INVALID_STATE;
  if (length == 0) return 0;
  size_t room = tls->input.length < tls->max_input_buffer
                    ? tls->max_input_buffer - tls->input.length
                    : 0;
  if (room == 0) return H2_ERR_WOULD_BLOCK;
  if (length > room) length = room;
  if (length > INT_MAX) length = INT_MAX;
  if (tls->first_bytes_length < sizeof(tls->first_bytes)) {
    size_t n = sizeof(tls->first_bytes) - tls->first_bytes_length;
    if (n > length) n = length;
    memcpy(tls->first_bytes + tls->first_bytes_length, encrypted, n);
    tls->first_bytes_length += n;
  }
  if (h2_tls_queue_append(&tls->input, encrypted, length, tls->max_input_buffer,
                          tls->alloc))
    return h2_tls_fail(tls, H2_ERR_NOMEM, "out of memory");
  return (int)length;
}

void h2_tls_feed_eof(h2_tls *tls) {
  if (tls) tls->input_ended = 1;
}

size_t h2_tls_pending_output(const h2_tls *tls) {
  return tls ? tls->output.length : 0;
}

int h2_tls_drain(h2_tls *tls, uint8_t *out, size_t capacity) {
  if (!tls || (!out && capacity)) return H2_ERR_INVALID_ARGUMENT;
  if (capacity > INT_MAX) capacity = INT_MAX;
  return (int)h2_tls_queue_take(&tls->output, out, capacity, tls->alloc);
}

size_t h2_tls_peek_output(const h2_tls *tls, const uint8_t **data) {
  if (!data) return 0;
  if (!tls) {
    *data = NULL;
    return 0;
  }
  return h2_tls_queue_peek(&tls->output, data);
}

int h2_tls_consume_output(h2_tls *tls, size_t count) {
  if (!tls || count > tls->output.length) return H2_ERR_INVALID_ARGUMENT;
  h2_tls_queue_consume(&tls->output, count, tls->alloc);
  return 0;
}

/* After a TLS-level protocol violation the record layer still works, so a
 * GOAWAY(PROTOCOL_ERROR) and a close_notify may still be sent. */
static int can_send_after(int fatal) {
  return fatal == 0 || fatal == H2_ERR_CONN_PROTOCOL;
}

int h2_tls_write(h2_tls *tls, const uint8_t *plain, size_t length) {
  if (!tls || (!plain && length)) return H2_ERR_INVALID_ARGUMENT;
  if (!can_send_after(tls->fatal)) return tls->fatal;
  if (!tls->ready || tls->closed) return H2_ERR_INVALID_STATE;
  if (length == 0) return 0;
  size_t pending = tls->output.length;
  if (pending >= tls->max_pending_output) return H2_ERR_WOULD_BLOCK;
  size_t chunk = tls->max_pending_output - pending;
  if (chunk > length) chunk = length;
  if (chunk > INT_MAX) chunk = INT_MAX;
  ERR_clear_error();
  int result = SSL_write(tls->ssl, plain, (int)chunk);
  if (result > 0) return result;
  return h2_tls_record_error(tls, result, "write");
}

int h2_tls_read(h2_tls *tls, uint8_t *plain, size_t capacity) {
  if (!tls || !plain || capacity == 0) return H2_ERR_INVALID_ARGUMENT;
  if (tls->fatal) return tls->fatal;
  if (!tls->ready) return H2_ERR_INVALID_STATE;
  if (capacity > INT_MAX) capacity = INT_MAX;
  /* With nothing fed and nothing buffered inside OpenSSL, SSL_read could
   * only ask for more input: say so without the call, which costs as much
   * as reading a record. Callers read until this answer, once per batch of
   * input. At the end of input, SSL_read must still report the close. */
  if (tls->input.length == 0 && !tls->input_ended && !SSL_has_pending(tls->ssl))
    return H2_ERR_WOULD_BLOCK;
  ERR_clear_error();
  int result = SSL_read(tls->ssl, plain, (int)capacity);
  if (tls->violation) {
    ERR_clear_error();
    return h2_tls_fail(tls, H2_ERR_CONN_PROTOCOL, "%s", tls->violation_detail);
  }
  if (result > 0) return result;
  return h2_tls_record_error(tls, result, "read");
}

int h2_tls_close(h2_tls *tls) {
  if (!tls) return H2_ERR_INVALID_ARGUMENT;
  if (!can_send_after(tls->fatal)) return tls->fatal;
  if (tls->closed) return 0;
  tls->closed = 1;
  /* Before the handshake there is nothing to protect: the caller just
   * drops the transport. */
  if (!tls->handshake_done) return 0;
  ERR_clear_error();
  int result = SSL_shutdown(tls->ssl);
  if (result >= 0) return 0;
  int rc = h2_tls_record_error(tls, result, "close");
  return rc == H2_ERR_WOULD_BLOCK ? 0 : rc;
}

const char *h2_tls_alpn(const h2_tls *tls) {
  return tls && tls->ready ? tls->alpn : NULL;
}

const char *h2_tls_version(const h2_tls *tls) {
  return tls && tls->ready ? SSL_get_version(tls->ssl) : NULL;
}

const char *h2_tls_cipher(const h2_tls *tls) {
  return tls && tls->ready ? SSL_get_cipher_name(tls->ssl) : NULL;
}

const char *h2_tls_error_detail(const h2_tls *tls) {
  return tls ? tls->detail : "";
}
