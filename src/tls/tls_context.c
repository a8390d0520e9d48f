/*
 * TLS contexts: the connection policy of RFC 9113 section 9.2 applied to an
 * OpenSSL SSL_CTX, plus the trust store and the client certificate.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "h2/error.h"
#include "alloc_internal.h"
#include "tls_internal.h"

/* TLS 1.2 suites allowed by RFC 9113 section 9.2.2 and Appendix A: ECDHE
 * key exchange (forward secrecy) with an AEAD cipher. Every other TLS 1.2
 * suite is on the Appendix A block list, so offering one could only end
 * in a connection the server must refuse with INADEQUATE_SECURITY. The
 * mandatory TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is among them. TLS 1.3
 * suites are all AEAD and keep OpenSSL's default list. */
static const char tls12_cipher_list[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/* The options struct as first published; later versions only append. */
#define OPTIONS_V1_SIZE (offsetof(h2_tls_options, alpn) + sizeof(const char *))

void h2_tls_options_init_sized(h2_tls_options *options, size_t size) {
  if (!options || size < sizeof(uint32_t)) return;
  memset(options, 0, size);
  /* A larger struct than ours (a newer header) is told our size; the
   * fields past it stay zero and are never read. */
  options->struct_size = (uint32_t)(size < sizeof(*options) ? size : sizeof(*options));
}

static int options_size_valid(const h2_tls_options *o) {
  return o && o->struct_size >= OPTIONS_V1_SIZE &&
         o->struct_size <= sizeof(h2_tls_options);
}

/* Hands OpenSSL the key's password, or refuses: without this callback an
 * encrypted key would make OpenSSL prompt on the process's terminal. */
static int key_password_callback(char *buffer, int size, int rwflag,
                                 void *user) {
  const char *password = user;
  (void)rwflag;
  if (!password || size <= 0) return 0;
  size_t length = strlen(password);
  if (length > (size_t)size) return 0;
  memcpy(buffer, password, length);
  return (int)length;
}

/* Formats "<what> \"<file>\": <OpenSSL's reason>" into the caller's
 * detail buffer and clears OpenSSL's error queue. */
static int file_error(char *detail, size_t size, const char *what,
                      const char *file) {
  char reason[256];
  h2_tls_describe_openssl_error(reason, sizeof(reason));
  if (detail && size)
    snprintf(detail, size, "cannot load %s \"%s\": %s", what, file, reason);
  return H2_ERR_TLS;
}

static int load_trust(SSL_CTX *ssl_ctx, const h2_tls_options *o, char *detail,
                      size_t size) {
  if (o->ca_file && !SSL_CTX_load_verify_file(ssl_ctx, o->ca_file))
    return file_error(detail, size, "CA file", o->ca_file);
  /* A directory is searched lazily, certificate by certificate, so a
   * wrong one only shows as an untrusted server later. */
  if (o->ca_path && !SSL_CTX_load_verify_dir(ssl_ctx, o->ca_path))
    return file_error(detail, size, "CA directory", o->ca_path);
  if (o->ca_file || o->ca_path || (o->flags & H2_TLS_INSECURE)) return 0;
  if (!SSL_CTX_set_default_verify_paths(ssl_ctx))
    return file_error(detail, size, "system CA store", "default");
  return 0;
}

static int load_client_certificate(SSL_CTX *ssl_ctx, const h2_tls_options *o,
                                   char *detail, size_t size) {
  if (!o->cert_file) return 0;
  const char *key_file = o->key_file ? o->key_file : o->cert_file;
  if (!SSL_CTX_use_certificate_chain_file(ssl_ctx, o->cert_file))
    return file_error(detail, size, "client certificate", o->cert_file);
  /* The password is the caller's string, valid during this call only:
   * hand it over for the load and forget it right after. */
  SSL_CTX_set_default_passwd_cb(ssl_ctx, key_password_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ssl_ctx,
                                         (void *)(uintptr_t)o->key_password);
  int loaded = SSL_CTX_use_PrivateKey_file(ssl_ctx, key_file, SSL_FILETYPE_PEM);
  SSL_CTX_set_default_passwd_cb_userdata(ssl_ctx, NULL);
  if (!loaded) return file_error(detail, size, "private key", key_file);
  if (!SSL_CTX_check_private_key(ssl_ctx))
    return file_error(detail, size, "private key matching", key_file);
  return 0;
}

static int set_alpn(SSL_CTX *ssl_ctx, const char *alpn) {
  size_t length = strlen(alpn);
  uint8_t wire[256];
  wire[0] = (uint8_t)length;
  memcpy(wire + 1, alpn, length);
  /* Unlike most of OpenSSL, this one returns 0 on success. */
  return SSL_CTX_set_alpn_protos(ssl_ctx, wire, (unsigned)length + 1) == 0;
}

int h2_tls_configure_ssl_ctx(SSL_CTX *ssl_ctx, const h2_tls_options *o,
                             char *detail, size_t size) {
  const char *alpn = o->alpn ? o->alpn : "h2";
  /* TLS 1.2 at least (RFC 9113 section 9.2); renegotiation never (9.2.1):
   * a server's HelloRequest is then refused rather than followed. */
  if (!SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION) ||
      !SSL_CTX_set_cipher_list(ssl_ctx, tls12_cipher_list) ||
      !set_alpn(ssl_ctx, alpn)) {
    if (detail && size) {
      char reason[256];
      h2_tls_describe_openssl_error(reason, sizeof(reason));
      snprintf(detail, size, "cannot configure TLS: %s", reason);
    }
    return H2_ERR_TLS;
  }
  SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  /* Idle connections (a pool) then hold no record buffers. */
  SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(
      ssl_ctx, (o->flags & H2_TLS_INSECURE) ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
      NULL);
  int rc = load_trust(ssl_ctx, o, detail, size);
  if (rc) return rc;
  return load_client_certificate(ssl_ctx, o, detail, size);
}

static int check_options(const h2_tls_options *o, char *detail, size_t size) {
  const char *problem = NULL;
  if (!options_size_valid(o))
    problem =
        "options.struct_size is not one this library knows "
        "(use h2_tls_options_init)";
  else if (o->alpn && (o->alpn[0] == '\0' || strlen(o->alpn) > 255))
    problem = "options.alpn must be 1 to 255 bytes";
  else if (o->key_file && !o->cert_file)
    problem = "options.key_file is set without options.cert_file";
  else if (o->flags & ~(uint32_t)H2_TLS_INSECURE)
    problem = "options.flags has unknown bits";
  if (!problem) return 0;
  if (detail && size) snprintf(detail, size, "%s", problem);
  return H2_ERR_INVALID_ARGUMENT;
}

static void copy_settings(h2_tls_context *ctx, const h2_tls_options *o) {
  const char *alpn = o->alpn ? o->alpn : "h2";
  ctx->flags = o->flags;
  ctx->max_input_buffer = o->max_input_buffer ? o->max_input_buffer
                                              : H2_TLS_DEFAULT_MAX_INPUT_BUFFER;
  ctx->max_pending_output = o->max_pending_output
                                ? o->max_pending_output
                                : H2_TLS_DEFAULT_MAX_PENDING_OUTPUT;
  ctx->alpn_length = (uint8_t)strlen(alpn);
  memcpy(ctx->alpn, alpn, (size_t)ctx->alpn_length + 1);
}

int h2_tls_context_new(h2_tls_context **out, const h2_tls_options *o,
                       const h2_allocator *alloc, char *detail, size_t size) {
  if (!out) return H2_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (detail && size) detail[0] = '\0';
  int rc = check_options(o, detail, size);
  if (rc) return rc;
  alloc = h2_alloc_or_default(alloc);
  h2_tls_context *ctx = h2_calloc(alloc, 1, sizeof(*ctx));
  if (!ctx) return H2_ERR_NOMEM;
  ctx->alloc = alloc;
  copy_settings(ctx, o);
  ERR_clear_error();
  ctx->ssl_ctx = SSL_CTX_new(TLS_client_method());
  rc = ctx->ssl_ctx ? h2_tls_configure_ssl_ctx(ctx->ssl_ctx, o, detail, size)
                    : H2_ERR_NOMEM;
  ERR_clear_error();
  if (rc) {
    h2_tls_context_del(ctx);
    return rc;
  }
  *out = ctx;
  return 0;
}

void h2_tls_context_del(h2_tls_context *ctx) {
  if (!ctx) return;
  /* Connections made from the context hold their own reference to the
   * SSL_CTX (SSL_new takes one), so this frees it only when they are
   * gone. */
  SSL_CTX_free(ctx->ssl_ctx);
  h2_free(ctx->alloc, ctx);
}
