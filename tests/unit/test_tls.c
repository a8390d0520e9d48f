/*
 * The TLS filter against a real TLS server: an OpenSSL server of the
 * test's own, on memory BIOs, in the same process. The test moves the
 * bytes between the two itself (whole, one byte at a time, or in random
 * pieces), so every case is deterministic and needs no port. The
 * certificates are made at start-up into a temporary directory: a CA, a
 * server certificate for localhost and 127.0.0.1, one for wrong.example,
 * a self-signed one, an expired one and a client certificate.
 *
 * Checklist I of ../shared/spec/hostile-servers-and-limits.md (cases
 * 123-129) and the TLS rows of its section 3.1 are covered here.
 */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "h2/error.h"
#include "h2/tls.h"
#include "test.h"
#include "test_alloc.h"
#include "tls/tls_internal.h"

/* Case-insensitive substring test for error details. */
static int contains(const char *haystack, const char *needle) {
  size_t n = strlen(needle);
  for (; *haystack; haystack++)
    if (strncasecmp(haystack, needle, n) == 0) return 1;
  return 0;
}

#define CHECK_DETAIL(text, needle)                                          \
  do {                                                                      \
    const char *check_text_ = (text);                                       \
    CHECK(contains(check_text_, (needle)));                                 \
    if (!contains(check_text_, (needle)))                                   \
      fprintf(stderr, "  detail was: \"%s\", wanted \"%s\"\n", check_text_, \
              (needle));                                                    \
  } while (0)

/* ---- The test PKI -------------------------------------------------------- */

typedef struct credential {
  EVP_PKEY *key;
  X509 *cert;
} credential;

typedef struct cert_spec {
  const char *common_name;
  const char *alt_names; /* subjectAltName, NULL for none */
  int is_ca;
  int for_client;
  long valid_from_days; /* relative to now */
  long valid_to_days;
} cert_spec;

static struct {
  int ready;
  char dir[64];
  credential ca, other_ca, localhost, wrong_host, self_signed, expired, client,
      untrusted_client;
  char ca_file[128];
  char client_cert_file[128];
  char client_key_file[128];
  char client_encrypted_key_file[128];
  char client_combined_file[128];
  char server_key_file[128];
} pki;

static int add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!extension) return 0;
  int ok = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  return ok;
}

static int add_extensions(X509 *x, X509 *issuer, const cert_spec *spec) {
  int ok =
      add_extension(x, issuer, NID_basic_constraints,
                    spec->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
      add_extension(x, issuer, NID_key_usage,
                    spec->is_ca ? "critical,keyCertSign,cRLSign"
                                : "critical,digitalSignature") &&
      add_extension(x, issuer, NID_subject_key_identifier, "hash") &&
      add_extension(x, issuer, NID_authority_key_identifier, "keyid:always");
  if (ok && !spec->is_ca)
    ok = add_extension(x, issuer, NID_ext_key_usage,
                       spec->for_client ? "clientAuth" : "serverAuth");
  if (ok && spec->alt_names)
    ok = add_extension(x, issuer, NID_subject_alt_name, spec->alt_names);
  return ok;
}

/* Makes a key and a certificate, signed by `issuer` or by itself. */
static int issue(credential *out, const cert_spec *spec,
                 const credential *issuer) {
  static long serial = 1;
  out->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  out->cert = X509_new();
  if (!out->key || !out->cert) return 0;
  X509 *x = out->cert;
  X509 *issuer_cert = issuer ? issuer->cert : x;
  X509_NAME *name = X509_get_subject_name(x);
  int ok =
      X509_set_version(x, 2) &&
      ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
      X509_gmtime_adj(X509_getm_notBefore(x), spec->valid_from_days * 86400L) &&
      X509_gmtime_adj(X509_getm_notAfter(x), spec->valid_to_days * 86400L) &&
      X509_set_pubkey(x, out->key) &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 (const unsigned char *)spec->common_name, -1,
                                 -1, 0) &&
      X509_set_issuer_name(x, X509_get_subject_name(issuer_cert)) &&
      add_extensions(x, issuer_cert, spec);
  return ok && X509_sign(x, issuer ? issuer->key : out->key, EVP_sha256()) > 0;
}

static int write_pem(const char *path, X509 *cert, EVP_PKEY *key,
                     const char *password) {
  FILE *f = fopen(path, "w");
  if (!f) return 0;
  int ok = 1;
  if (cert) ok = PEM_write_X509(f, cert);
  if (ok && key)
    ok = PEM_write_PrivateKey(f, key, password ? EVP_aes_128_cbc() : NULL,
                              (const unsigned char *)password,
                              password ? (int)strlen(password) : 0, NULL, NULL);
  return fclose(f) == 0 && ok;
}

static void pki_path(char *out, const char *name) {
  snprintf(out, 128, "%s/%s", pki.dir, name);
}

static int issue_all(void) {
  static const cert_spec ca = {"libh2 test CA", NULL, 1, 0, -1, 30};
  static const cert_spec other_ca = {"libh2 other CA", NULL, 1, 0, -1, 30};
  static const cert_spec localhost = {
      "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1", 0, 0, -1, 30};
  static const cert_spec wrong = {
      "wrong.example", "DNS:wrong.example", 0, 0, -1, 30};
  static const cert_spec self = {"localhost", "DNS:localhost", 0, 0, -1, 30};
  static const cert_spec expired = {"localhost", "DNS:localhost", 0, 0, -30,
                                    -1};
  static const cert_spec client = {"libh2 test client", NULL, 0, 1, -1, 30};
  return issue(&pki.ca, &ca, NULL) && issue(&pki.other_ca, &other_ca, NULL) &&
         issue(&pki.localhost, &localhost, &pki.ca) &&
         issue(&pki.wrong_host, &wrong, &pki.ca) &&
         issue(&pki.self_signed, &self, NULL) &&
         issue(&pki.expired, &expired, &pki.ca) &&
         issue(&pki.client, &client, &pki.ca) &&
         issue(&pki.untrusted_client, &client, &pki.other_ca);
}

static int write_all(void) {
  pki_path(pki.ca_file, "ca.pem");
  pki_path(pki.client_cert_file, "client.pem");
  pki_path(pki.client_key_file, "client.key");
  pki_path(pki.client_encrypted_key_file, "client-encrypted.key");
  pki_path(pki.client_combined_file, "client-combined.pem");
  pki_path(pki.server_key_file, "server.key");
  return write_pem(pki.ca_file, pki.ca.cert, NULL, NULL) &&
         write_pem(pki.client_cert_file, pki.client.cert, NULL, NULL) &&
         write_pem(pki.client_key_file, NULL, pki.client.key, NULL) &&
         write_pem(pki.client_encrypted_key_file, NULL, pki.client.key,
                   "secret") &&
         write_pem(pki.client_combined_file, pki.client.cert, pki.client.key,
                   NULL) &&
         write_pem(pki.server_key_file, NULL, pki.localhost.key, NULL);
}

/* Made once, on first use; removed by the last case. */
static int pki_ready(void) {
  if (pki.ready) return pki.ready > 0;
  pki.ready = -1;
  snprintf(pki.dir, sizeof(pki.dir), "/tmp/h2-tls-test-XXXXXX");
  if (!mkdtemp(pki.dir)) return 0;
  if (!issue_all() || !write_all()) return 0;
  pki.ready = 1;
  return 1;
}

static void free_credential(credential *c) {
  EVP_PKEY_free(c->key);
  X509_free(c->cert);
}

static void test_remove_pki(void) {
  const char *files[] = {pki.ca_file,
                         pki.client_cert_file,
                         pki.client_key_file,
                         pki.client_encrypted_key_file,
                         pki.client_combined_file,
                         pki.server_key_file};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    if (files[i][0]) unlink(files[i]);
  if (pki.dir[0]) CHECK(rmdir(pki.dir) == 0);
  credential *all[] = {&pki.ca,         &pki.other_ca,        &pki.localhost,
                       &pki.wrong_host, &pki.self_signed,     &pki.expired,
                       &pki.client,     &pki.untrusted_client};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    free_credential(all[i]);
}

/* ---- The server ---------------------------------------------------------- */

typedef struct server_options {
  const credential *identity; /* NULL: the localhost certificate */
  int min_version;            /* 0: OpenSSL's default */
  int max_version;
  /* What the server selects in ALPN, whatever was offered: a protocol
   * name, "none" (ignore ALPN) or "refuse" (no_application_protocol). */
  const char *alpn;
  int require_client_certificate;
  const char *cipher_list; /* TLS 1.2 suites; NULL: OpenSSL's default */
  int security_level;      /* -1: OpenSSL's default */
} server_options;

typedef struct tls_server {
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *in;       /* bytes from the client, read by the server */
  BIO *out;      /* bytes written by the server for the client */
  int handshake; /* 0 going on, 1 done, -1 failed */
} tls_server;

static server_options default_server(void) {
  server_options o = {NULL, 0, 0, "h2", 0, NULL, -1};
  return o;
}

static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *out_length, const unsigned char *in,
                       unsigned int in_length, void *arg) {
  const char *choice = arg;
  (void)ssl;
  (void)in;
  (void)in_length;
  if (strcmp(choice, "none") == 0) return SSL_TLSEXT_ERR_NOACK;
  if (strcmp(choice, "refuse") == 0) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = (const unsigned char *)choice;
  *out_length = (unsigned char)strlen(choice);
  return SSL_TLSEXT_ERR_OK;
}

static int configure_server_ctx(SSL_CTX *ctx, const server_options *o) {
  const credential *id = o->identity ? o->identity : &pki.localhost;
  if (o->security_level >= 0)
    SSL_CTX_set_security_level(ctx, o->security_level);
  if (o->min_version && !SSL_CTX_set_min_proto_version(ctx, o->min_version))
    return 0;
  if (o->max_version && !SSL_CTX_set_max_proto_version(ctx, o->max_version))
    return 0;
  if (o->cipher_list && !SSL_CTX_set_cipher_list(ctx, o->cipher_list)) return 0;
  if (!SSL_CTX_use_certificate(ctx, id->cert) ||
      !SSL_CTX_use_PrivateKey(ctx, id->key))
    return 0;
  /* The CA cast drops a const the OpenSSL callback type does not have. */
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, (void *)(uintptr_t)o->alpn);
  if (o->require_client_certificate) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), pki.ca.cert);
  }
  return 1;
}

static int server_start(tls_server *s, const server_options *o) {
  memset(s, 0, sizeof(*s));
  s->ctx = SSL_CTX_new(TLS_server_method());
  if (!s->ctx || !configure_server_ctx(s->ctx, o)) return 0;
  s->ssl = SSL_new(s->ctx);
  s->in = BIO_new(BIO_s_mem());
  s->out = BIO_new(BIO_s_mem());
  if (!s->ssl || !s->in || !s->out) return 0;
  SSL_set_bio(s->ssl, s->in, s->out);
  SSL_set_accept_state(s->ssl);
  return 1;
}

static void server_stop(tls_server *s) {
  if (s->ssl)
    SSL_free(s->ssl); /* and the BIOs */
  else {
    BIO_free(s->in);
    BIO_free(s->out);
  }
  SSL_CTX_free(s->ctx);
  ERR_clear_error();
}

static void server_handshake_step(tls_server *s) {
  if (s->handshake != 0) return;
  int r = SSL_do_handshake(s->ssl);
  if (r == 1) {
    s->handshake = 1;
    return;
  }
  int e = SSL_get_error(s->ssl, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) s->handshake = -1;
  ERR_clear_error();
}

/* ---- Moving bytes between the two ---------------------------------------- */

typedef enum chunking { WHOLE, ONE_BYTE, RANDOM } chunking;

typedef struct pair {
  h2_tls *client;
  tls_server server;
  chunking mode; /* how the server's bytes are fed to the client */
} pair;

static size_t chunk_size(chunking mode, size_t available) {
  if (available == 0 || mode == WHOLE) return available;
  if (mode == ONE_BYTE) return 1;
  size_t limit = available < 3000 ? available : 3000;
  return (test_rand() % 4 == 0) ? available : 1 + test_rand() % limit;
}

static size_t client_to_server(pair *l) {
  const uint8_t *data;
  size_t moved = 0, n;
  while ((n = h2_tls_peek_output(l->client, &data)) > 0) {
    BIO_write(l->server.in, data, (int)n);
    CHECK_EQ_INT(h2_tls_consume_output(l->client, n), 0);
    moved += n;
  }
  return moved;
}

static size_t server_to_client(pair *l) {
  char *data;
  long available = BIO_get_mem_data(l->server.out, &data);
  if (available <= 0) return 0;
  size_t n = chunk_size(l->mode, (size_t)available);
  int accepted = h2_tls_feed(l->client, (const uint8_t *)data, n);
  if (accepted <= 0) return 0;
  char discard[4096];
  for (int left = accepted; left > 0;) {
    int r = BIO_read(l->server.out, discard,
                     left < (int)sizeof(discard) ? left : (int)sizeof(discard));
    if (r <= 0) break;
    left -= r;
  }
  return (size_t)accepted;
}

static size_t shuttle(pair *l) {
  return client_to_server(l) + server_to_client(l);
}

static int pair_open(pair *l, const h2_tls_options *client,
                     const server_options *server, chunking mode) {
  memset(l, 0, sizeof(*l));
  l->mode = mode;
  if (!pki_ready() || !server_start(&l->server, server)) return 0;
  char detail[256];
  int rc = h2_tls_new(&l->client, client, NULL, detail, sizeof(detail));
  if (rc) fprintf(stderr, "h2_tls_new: %d %s\n", rc, detail);
  return rc == 0;
}

static void pair_close(pair *l) {
  h2_tls_del(l->client);
  server_stop(&l->server);
}

/* Runs both handshakes until the client's ends, then lets the last bytes
 * (its Finished, or its alert) reach the server. Returns the client's
 * result; gives up, rather than hang, when no byte moves. */
static int run_handshake(pair *l) {
  int client = H2_ERR_WOULD_BLOCK;
  for (long i = 0; i < 10000000; i++) {
    if (client == H2_ERR_WOULD_BLOCK) client = h2_tls_handshake(l->client);
    server_handshake_step(&l->server);
    if (shuttle(l) == 0) break;
  }
  server_handshake_step(&l->server);
  /* Input that could not be fed (an allocation failed) shows here. */
  if (client == H2_ERR_WOULD_BLOCK) client = h2_tls_handshake(l->client);
  return client;
}

/* The client's options for our localhost server, trusting our CA. */
static h2_tls_options client_options(void) {
  h2_tls_options o;
  h2_tls_options_init(&o);
  o.server_name = "localhost";
  o.ca_file = pki_ready() ? pki.ca_file : NULL;
  return o;
}

/* Connects with the given options and returns the handshake result, with
 * the client's detail copied out. */
static int connect_once(const h2_tls_options *client,
                        const server_options *server, char *detail,
                        size_t size) {
  pair l;
  if (!pair_open(&l, client, server, WHOLE)) {
    pair_close(&l);
    return 1;
  }
  int rc = run_handshake(&l);
  snprintf(detail, size, "%s", h2_tls_error_detail(l.client));
  if (getenv("H2_TEST_VERBOSE")) printf("  handshake: %d %s\n", rc, detail);
  pair_close(&l);
  return rc;
}

/* ---- Data both ways ------------------------------------------------------ */

typedef struct transfer {
  uint8_t *up; /* client to server */
  uint8_t *down;
  size_t length; /* each way */
  size_t up_written, up_received, down_written, down_received;
  int failed;
} transfer;

static void fill_random(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)test_rand();
}

static size_t random_size(size_t limit) { return 1 + test_rand() % limit; }

static int client_side(pair *l, transfer *t) {
  int progress = 0;
  if (t->up_written < t->length) {
    size_t n = random_size(40000);
    if (n > t->length - t->up_written) n = t->length - t->up_written;
    int rc = h2_tls_write(l->client, t->up + t->up_written, n);
    if (rc > 0)
      t->up_written += (size_t)rc, progress = 1;
    else if (rc != H2_ERR_WOULD_BLOCK)
      t->failed = 1;
  }
  for (;;) {
    uint8_t buffer[20000];
    int rc = h2_tls_read(l->client, buffer, random_size(sizeof(buffer)));
    if (rc == H2_ERR_WOULD_BLOCK) break;
    if (rc <= 0 || t->down_received + (size_t)rc > t->length ||
        memcmp(buffer, t->down + t->down_received, (size_t)rc) != 0) {
      t->failed = 1;
      break;
    }
    t->down_received += (size_t)rc;
    progress = 1;
  }
  return progress;
}

static int server_side(pair *l, transfer *t) {
  int progress = 0;
  if (t->down_written < t->length && BIO_pending(l->server.out) < 300000) {
    size_t n = random_size(40000);
    if (n > t->length - t->down_written) n = t->length - t->down_written;
    int rc = SSL_write(l->server.ssl, t->down + t->down_written, (int)n);
    if (rc > 0) t->down_written += (size_t)rc, progress = 1;
  }
  for (;;) {
    uint8_t buffer[20000];
    int rc = SSL_read(l->server.ssl, buffer, (int)random_size(sizeof(buffer)));
    if (rc <= 0) break;
    if (t->up_received + (size_t)rc > t->length ||
        memcmp(buffer, t->up + t->up_received, (size_t)rc) != 0) {
      t->failed = 1;
      break;
    }
    t->up_received += (size_t)rc;
    progress = 1;
  }
  ERR_clear_error();
  return progress;
}

/* Sends `length` random bytes each way at once and checks every byte. */
static int exchange(pair *l, size_t length) {
  transfer t = {malloc(length), malloc(length), length, 0, 0, 0, 0, 0};
  if (!t.up || !t.down) t.failed = 1;
  if (!t.failed) {
    fill_random(t.up, length);
    fill_random(t.down, length);
  }
  while (!t.failed && (t.up_received < length || t.down_received < length)) {
    int progress = client_side(l, &t);
    progress |= server_side(l, &t);
    progress |= shuttle(l) > 0;
    if (!progress) t.failed = 1; /* stalled */
  }
  free(t.up);
  free(t.down);
  return !t.failed;
}

/* ---- Cases: a good connection -------------------------------------------- */

static void check_connected(pair *l, const char *version) {
  CHECK(l->server.handshake == 1);
  CHECK(h2_tls_alpn(l->client) && strcmp(h2_tls_alpn(l->client), "h2") == 0);
  CHECK(h2_tls_version(l->client) &&
        strcmp(h2_tls_version(l->client), version) == 0);
  CHECK(h2_tls_cipher(l->client) != NULL);
  CHECK_EQ_INT(h2_tls_error_detail(l->client)[0], '\0');
}

static void connect_and_exchange(chunking mode, size_t length, int max_version,
                                 const char *version) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.max_version = max_version;
  if (pair_open(&l, &o, &s, mode)) {
    CHECK(h2_tls_alpn(l.client) == NULL);
    CHECK_EQ_INT(run_handshake(&l), 0);
    check_connected(&l, version);
    CHECK(exchange(&l, length));
  } else {
    CHECK(!"pair_open");
  }
  pair_close(&l);
}

static void test_data_both_ways_whole(void) {
  connect_and_exchange(WHOLE, 1 << 20, 0, "TLSv1.3");
}

static void test_data_both_ways_random_chunks(void) {
  connect_and_exchange(RANDOM, 1 << 20, 0, "TLSv1.3");
  connect_and_exchange(RANDOM, 1 << 20, TLS1_2_VERSION, "TLSv1.2");
}

static void test_data_both_ways_one_byte_at_a_time(void) {
  connect_and_exchange(ONE_BYTE, 1 << 20, 0, "TLSv1.3");
  connect_and_exchange(ONE_BYTE, 64 << 10, TLS1_2_VERSION, "TLSv1.2");
}

/* Connects to `name` and returns the SNI the server saw ("" for none). */
static int connect_and_get_sni(const char *name, char *sni, size_t size) {
  pair l;
  h2_tls_options o = client_options();
  o.server_name = name;
  server_options s = default_server();
  int rc = 1;
  if (pair_open(&l, &o, &s, WHOLE)) rc = run_handshake(&l);
  const char *seen =
      l.server.ssl ? SSL_get_servername(l.server.ssl, TLSEXT_NAMETYPE_host_name)
                   : NULL;
  snprintf(sni, size, "%s", seen ? seen : "");
  pair_close(&l);
  return rc;
}

/* The SNI the server saw: the DNS name, and none for an IP literal. */
static void test_sni_and_ip_literal(void) {
  static const struct {
    const char *name, *sni;
  } cases[] = {{"localhost", "localhost"},
               {"localhost.", "localhost"},
               {"127.0.0.1", ""},
               {"::1", ""},
               {"[::1]", ""}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char sni[256];
    CHECK_EQ_INT(connect_and_get_sni(cases[i].name, sni, sizeof(sni)), 0);
    CHECK(strcmp(sni, cases[i].sni) == 0);
  }
  char detail[256];
  h2_tls_options o = client_options();
  server_options s = default_server();
  o.server_name = "127.0.0.2";
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS_VERIFY);
  CHECK_DETAIL(detail, "IP address mismatch");
  CHECK_DETAIL(detail, "127.0.0.2");
  o.server_name = "other.localhost";
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS_VERIFY);
  CHECK_DETAIL(detail, "hostname mismatch");
}

/* Only the RFC 9113 suites are offered for TLS 1.2. */
static void test_tls12_cipher_policy(void) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.max_version = TLS1_2_VERSION;
  REQUIRE(pair_open(&l, &o, &s, WHOLE));
  CHECK_EQ_INT(run_handshake(&l), 0);
  const char *cipher = h2_tls_cipher(l.client);
  CHECK(cipher && strncmp(cipher, "ECDHE-", 6) == 0);
  CHECK(cipher && (strstr(cipher, "GCM") || strstr(cipher, "CHACHA20")));
  pair_close(&l);

  /* A server with only block-listed suites (RSA key exchange, CBC) finds
   * nothing in common (case 125). */
  char detail[256];
  s.cipher_list = "AES128-SHA:AES256-SHA256";
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS);
  CHECK_DETAIL(detail, "handshake");
}

/* ---- Cases: ALPN (123, 124) ---------------------------------------------- */

static void expect_alpn_failure(const char *server_choice, const char *needle) {
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.alpn = server_choice;
  char detail[256];
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS_ALPN);
  CHECK_DETAIL(detail, needle);
}

static void test_alpn_http11(void) {
  expect_alpn_failure("http/1.1",
                      "server selected ALPN \"http/1.1\", not \"h2\"");
}

static void test_alpn_none(void) {
  expect_alpn_failure("none", "server selected no ALPN protocol");
}

static void test_alpn_h2c(void) { expect_alpn_failure("h2c", "\"h2c\""); }

static void test_alpn_refused_with_alert(void) {
  expect_alpn_failure("refuse", "no_application_protocol");
}

/* ---- Cases: verification (128) ------------------------------------------- */

static void expect_verify_failure(const credential *identity,
                                  const char *needle) {
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.identity = identity;
  char detail[256];
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS_VERIFY);
  CHECK_DETAIL(detail, "certificate verify failed");
  CHECK_DETAIL(detail, needle);
}

static void test_verify_wrong_host(void) {
  REQUIRE(pki_ready());
  expect_verify_failure(&pki.wrong_host, "hostname mismatch");
  expect_verify_failure(&pki.wrong_host, "\"localhost\"");
}

static void test_verify_untrusted(void) {
  REQUIRE(pki_ready());
  expect_verify_failure(&pki.self_signed, "self-signed");
  /* The system store does not know our CA either. */
  h2_tls_options o = client_options();
  o.ca_file = NULL;
  server_options s = default_server();
  char detail[256];
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS_VERIFY);
  CHECK_DETAIL(detail, "unable to get local issuer certificate");
}

static void test_verify_expired(void) {
  REQUIRE(pki_ready());
  expect_verify_failure(&pki.expired, "expired");
}

static void test_insecure_accepts_anything(void) {
  REQUIRE(pki_ready());
  const credential *identities[] = {&pki.self_signed, &pki.wrong_host,
                                    &pki.expired};
  for (size_t i = 0; i < 3; i++) {
    h2_tls_options o = client_options();
    o.flags = H2_TLS_INSECURE;
    o.ca_file = NULL;
    server_options s = default_server();
    s.identity = identities[i];
    char detail[256];
    CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), 0);
  }
  /* Without a server name at all: no SNI, nothing verified. */
  h2_tls_options o = client_options();
  o.flags = H2_TLS_INSECURE;
  o.server_name = NULL;
  server_options s = default_server();
  char detail[256];
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), 0);
}

static void test_ca_path(void) {
  REQUIRE(pki_ready());
  /* A hashed directory: the CA under its subject hash. */
  char link_path[160];
  snprintf(link_path, sizeof(link_path), "%s/%08lx.0", pki.dir,
           X509_subject_name_hash(pki.ca.cert));
  REQUIRE(symlink(pki.ca_file, link_path) == 0);
  h2_tls_options o = client_options();
  o.ca_file = NULL;
  o.ca_path = pki.dir;
  server_options s = default_server();
  char detail[256];
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), 0);
  unlink(link_path);
}

/* ---- Cases: configuration errors at creation ----------------------------- */

static void expect_new_failure(const h2_tls_options *o, int code,
                               const char *needle) {
  h2_tls *tls = (h2_tls *)&tls; /* must be reset to NULL */
  char detail[256];
  CHECK_EQ_INT(h2_tls_new(&tls, o, NULL, detail, sizeof(detail)), code);
  CHECK(tls == NULL);
  if (getenv("H2_TEST_VERBOSE")) printf("  new: %d %s\n", code, detail);
  CHECK_DETAIL(detail, needle);
  CHECK_EQ_INT(ERR_peek_error(), 0); /* nothing left in OpenSSL's queue */
}

static void test_missing_files(void) {
  REQUIRE(pki_ready());
  h2_tls_options o = client_options();
  o.ca_file = "/nonexistent/ca.pem";
  expect_new_failure(&o, H2_ERR_TLS, "CA file \"/nonexistent/ca.pem\"");
  expect_new_failure(&o, H2_ERR_TLS, "No such file");

  o = client_options();
  o.cert_file = "/nonexistent/client.pem";
  expect_new_failure(&o, H2_ERR_TLS, "\"/nonexistent/client.pem\"");

  o = client_options();
  o.cert_file = pki.client_cert_file;
  o.key_file = "/nonexistent/client.key";
  expect_new_failure(&o, H2_ERR_TLS, "private key \"/nonexistent/client.key\"");

  /* A CA file that is not PEM. */
  o = client_options();
  o.ca_file = pki.client_key_file;
  expect_new_failure(&o, H2_ERR_TLS, pki.client_key_file);
}

static void test_bad_keys(void) {
  REQUIRE(pki_ready());
  h2_tls_options o = client_options();
  o.cert_file = pki.client_cert_file;
  o.key_file = pki.server_key_file; /* not the certificate's key */
  expect_new_failure(&o, H2_ERR_TLS, pki.server_key_file);

  o.key_file = pki.client_encrypted_key_file; /* and no password */
  expect_new_failure(&o, H2_ERR_TLS, pki.client_encrypted_key_file);
  o.key_password = "wrong";
  expect_new_failure(&o, H2_ERR_TLS, pki.client_encrypted_key_file);

  h2_tls *tls;
  o.key_password = "secret";
  CHECK_EQ_INT(h2_tls_new(&tls, &o, NULL, NULL, 0), 0);
  h2_tls_del(tls);
  /* Certificate and key in one file. */
  o = client_options();
  o.cert_file = pki.client_combined_file;
  CHECK_EQ_INT(h2_tls_new(&tls, &o, NULL, NULL, 0), 0);
  h2_tls_del(tls);
}

static void test_invalid_arguments(void) {
  h2_tls_options o = client_options();
  o.struct_size = 8;
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "struct_size");
  o.struct_size = sizeof(o) + 8;
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "struct_size");
  o = client_options();
  o.server_name = NULL;
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "server name is required");
  o.server_name = "";
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "server name");
  o = client_options();
  o.alpn = "";
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "alpn");
  o = client_options();
  o.key_file = "x.key";
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "cert_file");
  o = client_options();
  o.flags = 0x80;
  expect_new_failure(&o, H2_ERR_INVALID_ARGUMENT, "flags");
  h2_tls *tls;
  CHECK_EQ_INT(h2_tls_new(&tls, NULL, NULL, NULL, 0), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_tls_new(NULL, &o, NULL, NULL, 0), H2_ERR_INVALID_ARGUMENT);
}

/* ---- Cases: client certificates ------------------------------------------ */

static void test_client_certificate_given(void) {
  REQUIRE(pki_ready());
  pair l;
  h2_tls_options o = client_options();
  o.cert_file = pki.client_cert_file;
  o.key_file = pki.client_key_file;
  server_options s = default_server();
  s.require_client_certificate = 1;
  REQUIRE(pair_open(&l, &o, &s, RANDOM));
  CHECK_EQ_INT(run_handshake(&l), 0);
  CHECK(exchange(&l, 10000));
  X509 *peer = SSL_get1_peer_certificate(l.server.ssl);
  CHECK(peer && X509_cmp(peer, pki.client.cert) == 0);
  X509_free(peer);
  CHECK_EQ_INT(SSL_get_verify_result(l.server.ssl), X509_V_OK);
  pair_close(&l);
}

/* Reads until something other than H2_ERR_WOULD_BLOCK, moving bytes. */
static int read_until_result(pair *l, uint8_t *buffer, size_t size) {
  for (int i = 0; i < 100000; i++) {
    int rc = h2_tls_read(l->client, buffer, size);
    if (rc != H2_ERR_WOULD_BLOCK) return rc;
    uint8_t scratch[256];
    while (SSL_read(l->server.ssl, scratch, sizeof(scratch)) > 0) continue;
    ERR_clear_error();
    if (shuttle(l) == 0) return rc;
  }
  return H2_ERR_WOULD_BLOCK;
}

/* A server that wants a certificate and gets none fails the connection:
 * in TLS 1.2 during the handshake, in TLS 1.3 with an alert the client
 * reads after its handshake completed. Either way an error, never data. */
static void client_certificate_missing(int max_version) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.require_client_certificate = 1;
  s.max_version = max_version;
  REQUIRE(pair_open(&l, &o, &s, WHOLE));
  int rc = run_handshake(&l);
  CHECK(l.server.handshake == -1);
  if (rc == 0) {
    uint8_t buffer[64];
    rc = read_until_result(&l, buffer, sizeof(buffer));
    CHECK_DETAIL(h2_tls_error_detail(l.client), "certificate required");
  }
  CHECK_EQ_INT(rc, H2_ERR_TLS);
  CHECK_DETAIL(h2_tls_error_detail(l.client), "alert");
  /* Errors are final. */
  CHECK_EQ_INT(h2_tls_handshake(l.client), rc);
  pair_close(&l);
}

static void test_client_certificate_missing(void) {
  client_certificate_missing(0);
  client_certificate_missing(TLS1_2_VERSION);
}

static void test_client_certificate_untrusted(void) {
  REQUIRE(pki_ready());
  char path[160];
  snprintf(path, sizeof(path), "%s/untrusted-client.pem", pki.dir);
  REQUIRE(write_pem(path, pki.untrusted_client.cert, pki.untrusted_client.key,
                    NULL));
  pair l;
  h2_tls_options o = client_options();
  o.cert_file = path;
  server_options s = default_server();
  s.require_client_certificate = 1;
  s.max_version = TLS1_2_VERSION;
  REQUIRE(pair_open(&l, &o, &s, WHOLE));
  CHECK_EQ_INT(run_handshake(&l), H2_ERR_TLS);
  CHECK_DETAIL(h2_tls_error_detail(l.client), "alert");
  pair_close(&l);
  unlink(path);
}

/* ---- Cases: what RFC 9113 forbids after the handshake (126, 127) --------- */

static void test_renegotiation_refused(void) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.max_version = TLS1_2_VERSION;
  REQUIRE(pair_open(&l, &o, &s, WHOLE));
  REQUIRE(run_handshake(&l) == 0);
  CHECK(exchange(&l, 1000));
  /* The server sends a HelloRequest. */
  CHECK_EQ_INT(SSL_renegotiate(l.server.ssl), 1);
  SSL_do_handshake(l.server.ssl);
  ERR_clear_error();
  uint8_t buffer[64];
  CHECK_EQ_INT(read_until_result(&l, buffer, sizeof(buffer)),
               H2_ERR_CONN_PROTOCOL);
  CHECK_DETAIL(h2_tls_error_detail(l.client), "renegotiation");
  CHECK_DETAIL(h2_tls_error_detail(l.client), "9.2.1");
  /* The record layer still works, so a GOAWAY(PROTOCOL_ERROR) and a
   * close_notify can be sent; reads stay failed. */
  CHECK_EQ_INT(h2_tls_write(l.client, (const uint8_t *)"GOAWAY", 6), 6);
  CHECK_EQ_INT(h2_tls_close(l.client), 0);
  CHECK(h2_tls_pending_output(l.client) > 0);
  CHECK_EQ_INT(h2_tls_read(l.client, buffer, sizeof(buffer)),
               H2_ERR_CONN_PROTOCOL);
  pair_close(&l);
}

/* OpenSSL's server can only ask for a certificate after the handshake if
 * the client announced post_handshake_auth, which ours never does; the
 * test turns it on behind the filter's back to make the server send a
 * CertificateRequest. */
static void test_post_handshake_certificate_request(void) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  REQUIRE(pair_open(&l, &o, &s, WHOLE));
  SSL_set_post_handshake_auth(l.client->ssl, 1);
  REQUIRE(run_handshake(&l) == 0);
  CHECK(exchange(&l, 1000));
  SSL_set_verify(l.server.ssl, SSL_VERIFY_PEER, NULL);
  CHECK_EQ_INT(SSL_verify_client_post_handshake(l.server.ssl), 1);
  SSL_do_handshake(l.server.ssl);
  ERR_clear_error();
  uint8_t buffer[64];
  CHECK_EQ_INT(read_until_result(&l, buffer, sizeof(buffer)),
               H2_ERR_CONN_PROTOCOL);
  CHECK_DETAIL(h2_tls_error_detail(l.client), "CertificateRequest");
  pair_close(&l);
}

/* What a TLS 1.3 server may send after the handshake is no violation:
 * a KeyUpdate asking for ours in return, and more session tickets. */
static void test_key_update_and_tickets_allowed(void) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  REQUIRE(pair_open(&l, &o, &s, RANDOM));
  REQUIRE(run_handshake(&l) == 0);
  CHECK(exchange(&l, 50000));
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(SSL_key_update(l.server.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
    SSL_do_handshake(l.server.ssl);
    CHECK(exchange(&l, 50000));
    /* OpenSSL takes one post-handshake message at a time. */
    CHECK_EQ_INT(SSL_new_session_ticket(l.server.ssl), 1);
    SSL_do_handshake(l.server.ssl);
    CHECK(exchange(&l, 50000));
  }
  CHECK_EQ_INT(h2_tls_error_detail(l.client)[0], '\0');
  pair_close(&l);
}

/* Our client offers TLS 1.2 and 1.3 only (case 125). */
static void test_tls11_server_refused(void) {
  h2_tls_options o = client_options();
  server_options s = default_server();
  s.min_version = TLS1_VERSION;
  s.max_version = TLS1_1_VERSION;
  s.security_level = 0;
  s.cipher_list = "DEFAULT:@SECLEVEL=0";
  char detail[256];
  CHECK_EQ_INT(connect_once(&o, &s, detail, sizeof(detail)), H2_ERR_TLS);
  CHECK_DETAIL(detail, "protocol version");
}

/* ---- Cases: the end of the connection (129) ------------------------------ */

static int open_connected(pair *l, chunking mode) {
  h2_tls_options o = client_options();
  server_options s = default_server();
  return pair_open(l, &o, &s, mode) && run_handshake(l) == 0 &&
         exchange(l, 5000);
}

static void test_close_notify_from_server(void) {
  pair l;
  REQUIRE(open_connected(&l, WHOLE));
  CHECK_EQ_INT(SSL_write(l.server.ssl, "last", 4), 4);
  SSL_shutdown(l.server.ssl);
  uint8_t buffer[64];
  CHECK_EQ_INT(read_until_result(&l, buffer, sizeof(buffer)), 4);
  CHECK_EQ_INT(memcmp(buffer, "last", 4), 0);
  CHECK_EQ_INT(read_until_result(&l, buffer, sizeof(buffer)),
               H2_ERR_CONNECTION_CLOSED);
  CHECK_DETAIL(h2_tls_error_detail(l.client), "close_notify");
  CHECK_EQ_INT(h2_tls_read(l.client, buffer, sizeof(buffer)),
               H2_ERR_CONNECTION_CLOSED);
  pair_close(&l);
}

static void test_close_notify_from_client(void) {
  pair l;
  REQUIRE(open_connected(&l, WHOLE));
  CHECK_EQ_INT(h2_tls_close(l.client), 0);
  CHECK_EQ_INT(h2_tls_close(l.client), 0);
  CHECK_EQ_INT(h2_tls_write(l.client, (const uint8_t *)"x", 1),
               H2_ERR_INVALID_STATE);
  shuttle(&l);
  uint8_t buffer[64];
  int r = SSL_read(l.server.ssl, buffer, sizeof(buffer));
  CHECK_EQ_INT(r, 0);
  CHECK_EQ_INT(SSL_get_error(l.server.ssl, r), SSL_ERROR_ZERO_RETURN);
  /* The server's answer after our close_notify can still be read. */
  CHECK_EQ_INT(SSL_write(l.server.ssl, "bye", 3), 3);
  SSL_shutdown(l.server.ssl);
  CHECK_EQ_INT(read_until_result(&l, buffer, sizeof(buffer)), 3);
  CHECK_EQ_INT(read_until_result(&l, buffer, sizeof(buffer)),
               H2_ERR_CONNECTION_CLOSED);
  pair_close(&l);
}

/* The transport ends in the middle of a record, or between records,
 * without close_notify: reported as closed, and as possibly truncated. */
static void test_truncation(void) {
  for (int mid_record = 0; mid_record < 2; mid_record++) {
    pair l;
    REQUIRE(open_connected(&l, WHOLE));
    uint8_t data[1000] = {0};
    CHECK_EQ_INT(SSL_write(l.server.ssl, data, sizeof(data)), 1000);
    char *bytes;
    long available = BIO_get_mem_data(l.server.out, &bytes);
    size_t fed = mid_record ? (size_t)available / 2 : 0;
    CHECK_EQ_INT(h2_tls_feed(l.client, (const uint8_t *)bytes, fed), fed);
    h2_tls_feed_eof(l.client);
    CHECK_EQ_INT(h2_tls_feed(l.client, (const uint8_t *)bytes, 1),
                 H2_ERR_INVALID_STATE);
    uint8_t buffer[2000];
    CHECK_EQ_INT(h2_tls_read(l.client, buffer, sizeof(buffer)),
                 H2_ERR_CONNECTION_CLOSED);
    CHECK_DETAIL(h2_tls_error_detail(l.client), "truncated");
    pair_close(&l);
  }
}

static void test_eof_during_handshake(void) {
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  REQUIRE(pair_open(&l, &o, &s, WHOLE));
  CHECK_EQ_INT(h2_tls_handshake(l.client), H2_ERR_WOULD_BLOCK);
  client_to_server(&l);
  server_handshake_step(&l.server);
  /* Half of the server's flight, then the end. */
  char *bytes;
  long available = BIO_get_mem_data(l.server.out, &bytes);
  CHECK_EQ_INT(
      h2_tls_feed(l.client, (const uint8_t *)bytes, (size_t)available / 2),
      available / 2);
  h2_tls_feed_eof(l.client);
  CHECK_EQ_INT(h2_tls_handshake(l.client), H2_ERR_CONNECTION_CLOSED);
  CHECK_DETAIL(h2_tls_error_detail(l.client),
               "closed during the TLS handshake");
  pair_close(&l);
}

/* ---- Cases: not TLS at all ----------------------------------------------- */

static int handshake_against_bytes(const uint8_t *bytes, size_t length,
                                   char *detail, size_t size) {
  h2_tls_options o = client_options();
  h2_tls *tls;
  if (h2_tls_new(&tls, &o, NULL, NULL, 0)) return 1;
  int rc = h2_tls_handshake(tls);
  CHECK_EQ_INT(rc, H2_ERR_WOULD_BLOCK);
  CHECK(h2_tls_pending_output(tls) > 0); /* the ClientHello */
  uint8_t hello[4096];
  CHECK(h2_tls_drain(tls, hello, sizeof(hello)) > 0);
  CHECK_EQ_INT(h2_tls_pending_output(tls), 0);
  CHECK_EQ_INT(h2_tls_feed(tls, bytes, length), length);
  for (int i = 0; i < 10 && rc == H2_ERR_WOULD_BLOCK; i++)
    rc = h2_tls_handshake(tls);
  snprintf(detail, size, "%s", h2_tls_error_detail(tls));
  if (getenv("H2_TEST_VERBOSE")) printf("  handshake: %d %s\n", rc, detail);
  h2_tls_del(tls);
  return rc;
}

static void test_plaintext_answer(void) {
  static const char answer[] =
      "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  char detail[256];
  CHECK_EQ_INT(
      handshake_against_bytes((const uint8_t *)answer, sizeof(answer) - 1,
                              detail, sizeof(detail)),
      H2_ERR_TLS);
  CHECK_DETAIL(detail, "did not answer with TLS");
  CHECK_DETAIL(detail, "\"HTTP/1.1 400 Bad Request\"");
}

static void test_garbage_records(void) {
  /* A handshake record header announcing 64 KiB, then random bytes. */
  uint8_t garbage[2000] = {0x16, 0x03, 0x03, 0xff, 0xff};
  fill_random(garbage + 5, sizeof(garbage) - 5);
  char detail[256];
  CHECK_EQ_INT(
      handshake_against_bytes(garbage, sizeof(garbage), detail, sizeof(detail)),
      H2_ERR_TLS);
  CHECK_DETAIL(detail, "TLS handshake failed");
  /* Random bytes from the start. */
  for (int round = 0; round < 50; round++) {
    fill_random(garbage, sizeof(garbage));
    int rc = handshake_against_bytes(garbage, sizeof(garbage), detail,
                                     sizeof(detail));
    CHECK(rc == H2_ERR_TLS || rc == H2_ERR_WOULD_BLOCK);
  }
}

/* ---- Cases: bounded buffers ---------------------------------------------- */

static int pair_open_with(pair *l, const h2_tls_options *client,
                          const server_options *server, chunking mode,
                          const h2_allocator *alloc) {
  memset(l, 0, sizeof(*l));
  l->mode = mode;
  if (!pki_ready() || !server_start(&l->server, server)) return 0;
  return h2_tls_new(&l->client, client, alloc, NULL, 0) == 0;
}

/* The server sends 8 MiB while the client reads nothing: the filter takes
 * exactly its input bound, then pushes back; our memory stays near the
 * bound while everything is then read and checked. */
static void test_bounded_input(void) {
  enum { TOTAL = 8 << 20, CAP = H2_TLS_DEFAULT_MAX_INPUT_BUFFER };
  test_alloc ta;
  test_alloc_init(&ta);
  pair l;
  h2_tls_options o = client_options();
  server_options s = default_server();
  REQUIRE(pair_open_with(&l, &o, &s, WHOLE, &ta.allocator));
  REQUIRE(run_handshake(&l) == 0);
  uint8_t *sent = malloc(TOTAL), *got = malloc(TOTAL);
  REQUIRE(sent && got);
  fill_random(sent, TOTAL);
  for (size_t off = 0; off < TOTAL; off += 16384)
    CHECK_EQ_INT(SSL_write(l.server.ssl, sent + off, 16384), 16384);
  size_t fed = 0, moved;
  while ((moved = server_to_client(&l)) > 0) fed += moved;
  /* Besides what was fed here, the session tickets that followed the
   * handshake are waiting too. */
  CHECK(fed > CAP - 2048);
  CHECK_EQ_INT(l.client->input.length, CAP);
  CHECK_EQ_INT(h2_tls_feed(l.client, (const uint8_t *)"x", 1),
               H2_ERR_WOULD_BLOCK);
  size_t received = 0;
  for (int idle = 0; received < TOTAL && idle < 3;) {
    int rc = h2_tls_read(l.client, got + received, TOTAL - received);
    if (rc > 0) received += (size_t)rc;
    idle = (rc > 0 || server_to_client(&l) > 0) ? 0 : idle + 1;
  }
  CHECK_EQ_INT(received, TOTAL);
  CHECK(memcmp(sent, got, TOTAL) == 0);
  /* The input queue, the output queue, the object: nothing else. */
  CHECK(ta.peak_bytes <= CAP + 16384 + sizeof(h2_tls) + sizeof(h2_tls_context));
  pair_close(&l);
  CHECK_EQ_INT(ta.live_blocks, 0);
  free(sent);
  free(got);
}

/* A tiny input bound still works: OpenSSL takes records in pieces. */
static void test_small_input_bound(void) {
  pair l;
  h2_tls_options o = client_options();
  o.max_input_buffer = 1000;
  server_options s = default_server();
  REQUIRE(pair_open(&l, &o, &s, RANDOM));
  REQUIRE(run_handshake(&l) == 0);
  uint8_t big[3000] = {0};
  CHECK_EQ_INT(h2_tls_feed(l.client, big, 0), 0);
  CHECK(exchange(&l, 300000));
  pair_close(&l);
}

/* Writing without draining: the filter accepts about its output bound
 * and then pushes back. */
static void test_bounded_output(void) {
  enum { CAP = H2_TLS_DEFAULT_MAX_PENDING_OUTPUT };
  pair l;
  REQUIRE(open_connected(&l, WHOLE));
  static uint8_t data[1 << 20];
  size_t accepted = 0;
  int rc;
  while ((rc = h2_tls_write(l.client, data + accepted,
                            sizeof(data) - accepted)) > 0)
    accepted += (size_t)rc;
  CHECK_EQ_INT(rc, H2_ERR_WOULD_BLOCK);
  CHECK(accepted > CAP - 1024 && accepted <= CAP);
  CHECK(h2_tls_pending_output(l.client) >= CAP);
  CHECK(h2_tls_pending_output(l.client) < CAP + 1024);
  /* Drained, it accepts again. */
  uint8_t sink[8192];
  while (h2_tls_drain(l.client, sink, sizeof(sink)) > 0) continue;
  CHECK(h2_tls_write(l.client, data, 100) == 100);
  pair_close(&l);
}

/* ---- Cases: API contract ------------------------------------------------- */

/* The layout the LuaJIT binding's cdef mirrors: no padding, pointers
 * after the four 32-bit fields. */
static void test_options_layout(void) {
  CHECK_EQ_INT(sizeof(h2_tls_options), 16 + 7 * sizeof(void *));
  CHECK_EQ_INT(offsetof(h2_tls_options, server_name), 16);
  CHECK_EQ_INT(offsetof(h2_tls_options, alpn), 16 + 6 * sizeof(void *));
  h2_tls_options o;
  memset(&o, 0xff, sizeof(o));
  h2_tls_options_init(&o);
  CHECK_EQ_INT(o.struct_size, sizeof(o));
  CHECK(o.flags == 0 && o.server_name == NULL && o.alpn == NULL);
}

static void test_state_errors(void) {
  h2_tls_options o = client_options();
  h2_tls *tls;
  REQUIRE(h2_tls_new(&tls, &o, NULL, NULL, 0) == 0);
  uint8_t buffer[16];
  CHECK_EQ_INT(h2_tls_write(tls, buffer, 1), H2_ERR_INVALID_STATE);
  CHECK_EQ_INT(h2_tls_read(tls, buffer, sizeof(buffer)), H2_ERR_INVALID_STATE);
  CHECK_EQ_INT(h2_tls_read(tls, buffer, 0), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_tls_drain(tls, NULL, 5), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_tls_drain(tls, buffer, sizeof(buffer)), 0);
  CHECK_EQ_INT(h2_tls_consume_output(tls, 1), H2_ERR_INVALID_ARGUMENT);
  const uint8_t *data;
  CHECK_EQ_INT(h2_tls_peek_output(tls, &data), 0);
  CHECK(h2_tls_version(tls) == NULL && h2_tls_cipher(tls) == NULL);
  CHECK_EQ_INT(h2_tls_feed(tls, NULL, 1), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_tls_handshake(tls), H2_ERR_WOULD_BLOCK);
  size_t hello = h2_tls_peek_output(tls, &data);
  CHECK(hello > 0 && data && data[0] == 0x16); /* a handshake record */
  CHECK_EQ_INT(h2_tls_consume_output(tls, hello), 0);
  /* Closing before the handshake completes sends nothing. */
  CHECK_EQ_INT(h2_tls_close(tls), 0);
  CHECK_EQ_INT(h2_tls_pending_output(tls), 0);
  h2_tls_del(tls);
  h2_tls_del(NULL);
  h2_tls_context_del(NULL);
  CHECK_EQ_INT(h2_tls_handshake(NULL), H2_ERR_INVALID_ARGUMENT);
  CHECK(strcmp(h2_tls_error_detail(NULL), "") == 0);
}

/* One context, several connections, deleted before they are. */
static void test_shared_context(void) {
  REQUIRE(pki_ready());
  h2_tls_options o = client_options();
  o.cert_file = pki.client_combined_file;
  h2_tls_context *ctx;
  char detail[256];
  REQUIRE(h2_tls_context_new(&ctx, &o, NULL, detail, sizeof(detail)) == 0);
  const char *names[] = {"localhost", "127.0.0.1", "wrong.example"};
  pair links[3];
  server_options s = default_server();
  s.require_client_certificate = 1;
  for (int i = 0; i < 3; i++) {
    memset(&links[i], 0, sizeof(links[i]));
    REQUIRE(server_start(&links[i].server, &s));
    CHECK_EQ_INT(h2_tls_new_with_context(&links[i].client, ctx, names[i], NULL),
                 0);
  }
  h2_tls *none;
  CHECK_EQ_INT(h2_tls_new_with_context(&none, ctx, NULL, NULL),
               H2_ERR_INVALID_ARGUMENT);
  h2_tls_context_del(ctx);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(run_handshake(&links[i]), i < 2 ? 0 : H2_ERR_TLS_VERIFY);
    if (i < 2) CHECK(exchange(&links[i], 20000));
    pair_close(&links[i]);
  }
}

/* Every allocation of ours fails in turn: each run ends in success or in
 * H2_ERR_NOMEM, and nothing leaks. */
static void test_allocation_failures(void) {
  for (size_t fail_at = 1; fail_at < 100; fail_at++) {
    test_alloc ta;
    test_alloc_init(&ta);
    ta.fail_at = fail_at;
    pair l;
    h2_tls_options o = client_options();
    server_options s = default_server();
    int opened = pair_open_with(&l, &o, &s, RANDOM, &ta.allocator);
    if (opened) {
      int rc = run_handshake(&l);
      CHECK(rc == 0 || rc == H2_ERR_NOMEM);
      if (rc != 0 && rc != H2_ERR_NOMEM)
        fprintf(stderr, "  fail_at %zu: %d %s\n", fail_at, rc,
                h2_tls_error_detail(l.client));
      int ok = rc == 0 && exchange(&l, 100000);
      if (!ok) CHECK_DETAIL(h2_tls_error_detail(l.client), "out of memory");
    }
    pair_close(&l);
    CHECK_EQ_INT(ta.live_blocks, 0);
    if (ta.failures == 0) { /* every allocation has been failed once */
      CHECK(fail_at > 5);
      break;
    }
  }
}

/* The ring buffer against a simple model, with wrap-around. */
static void test_queue_model(void) {
  const h2_allocator *alloc = h2_default_allocator();
  h2_tls_queue q = {0};
  static uint8_t model[1 << 16];
  size_t model_start = 0, model_end = 0;
  uint8_t bytes[5000], out[5000];
  for (int step = 0; step < 20000; step++) {
    size_t n = test_rand() % sizeof(bytes);
    if (test_rand() % 2 && model_end + n <= sizeof(model)) {
      fill_random(bytes, n);
      REQUIRE(h2_tls_queue_append(&q, bytes, n, 8192, alloc) == 0);
      memcpy(model + model_end, bytes, n);
      model_end += n;
    } else if (test_rand() % 2) {
      size_t got = h2_tls_queue_take(&q, out, n, alloc);
      CHECK_MEM(out, got, model + model_start,
                n < model_end - model_start ? n : model_end - model_start);
      model_start += got;
    } else {
      const uint8_t *data;
      size_t got = h2_tls_queue_peek(&q, &data);
      if (got) CHECK(memcmp(data, model + model_start, got) == 0);
      h2_tls_queue_consume(&q, got < n ? got : n, alloc);
      model_start += got < n ? got : n;
    }
    CHECK_EQ_INT(q.length, model_end - model_start);
    if (model_start == model_end) model_start = model_end = 0;
  }
  h2_tls_queue_free(&q, alloc);
}

static void test_seed(void) {
  uint64_t seed = test_seed_from_env(0x7e57715u);
  printf("[tls] H2_TEST_SEED=0x%" PRIx64 "\n", seed);
  test_srand(seed);
}

TEST_MAIN("tls", TEST_CASE(test_seed), TEST_CASE(test_queue_model),
          TEST_CASE(test_data_both_ways_whole),
          TEST_CASE(test_data_both_ways_random_chunks),
          TEST_CASE(test_data_both_ways_one_byte_at_a_time),
          TEST_CASE(test_sni_and_ip_literal),
          TEST_CASE(test_tls12_cipher_policy), TEST_CASE(test_alpn_http11),
          TEST_CASE(test_alpn_none), TEST_CASE(test_alpn_h2c),
          TEST_CASE(test_alpn_refused_with_alert),
          TEST_CASE(test_verify_wrong_host), TEST_CASE(test_verify_untrusted),
          TEST_CASE(test_verify_expired),
          TEST_CASE(test_insecure_accepts_anything), TEST_CASE(test_ca_path),
          TEST_CASE(test_missing_files), TEST_CASE(test_bad_keys),
          TEST_CASE(test_invalid_arguments),
          TEST_CASE(test_client_certificate_given),
          TEST_CASE(test_client_certificate_missing),
          TEST_CASE(test_client_certificate_untrusted),
          TEST_CASE(test_renegotiation_refused),
          TEST_CASE(test_post_handshake_certificate_request),
          TEST_CASE(test_key_update_and_tickets_allowed),
          TEST_CASE(test_tls11_server_refused),
          TEST_CASE(test_close_notify_from_server),
          TEST_CASE(test_close_notify_from_client), TEST_CASE(test_truncation),
          TEST_CASE(test_eof_during_handshake),
          TEST_CASE(test_plaintext_answer), TEST_CASE(test_garbage_records),
          TEST_CASE(test_bounded_input), TEST_CASE(test_small_input_bound),
          TEST_CASE(test_bounded_output), TEST_CASE(test_options_layout),
          TEST_CASE(test_state_errors),
          TEST_CASE(test_shared_context), TEST_CASE(test_allocation_failures),
          TEST_CASE(test_remove_pki))
