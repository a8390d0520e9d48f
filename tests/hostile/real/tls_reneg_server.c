/*
 * A TLS 1.2 HTTP/2 server that asks for renegotiation (checklist case 126)
 * and then reads what the client sends back, to see whether the client
 * ended the connection with GOAWAY(PROTOCOL_ERROR) (RFC 9113 9.2.1).
 *
 *     tls_reneg_server CERT KEY PORT_FILE
 *
 * Why not OpenSSL alone (or server.py, which is OpenSSL underneath): a
 * client that refuses renegotiation answers the HelloRequest with a
 * no_renegotiation warning alert, and OpenSSL's server side treats that
 * alert as fatal, so it stops reading at the very record before the
 * GOAWAY. This server therefore lets OpenSSL do the handshake and the
 * first exchange over memory buffers, sends the HelloRequest, and from
 * there decrypts the client's records itself: the cipher is pinned to
 * ECDHE-ECDSA-AES128-GCM-SHA256, whose client write key and IV come from
 * the master secret by the TLS 1.2 PRF (RFC 5246 6.3), and each record is
 * AES-GCM with the record's explicit nonce and the sequence number as
 * additional data (RFC 5288 3). The first record's sequence number is
 * found by trying the small ones: only the right one authenticates.
 *
 * It logs one line per event on stderr ("recv alert warning 100",
 * "recv GOAWAY last=0 code=1"), and exits 0 once the client's connection
 * ends (or 1 on a setup failure, or after 10 s). This is a test fixture:
 * it serves one connection and is not an example of a server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#define KEY_LENGTH 16
#define FIXED_IV_LENGTH 4
#define EXPLICIT_NONCE_LENGTH 8
#define TAG_LENGTH 16
#define MAX_SEQUENCE_GUESS 4096

static int fd = -1;

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void die(const char *what) {
  fprintf(stderr, "SERVER ERROR: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

/* ---- Moving bytes between the socket and OpenSSL's memory buffers ------ */

/* Reads what the socket has within `ms`; 0 at EOF, -1 on timeout. */
static ssize_t read_socket(uint8_t *buf, size_t capacity, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, ms);
  if (n <= 0) return -1;
  ssize_t got = recv(fd, buf, capacity, 0);
  return got < 0 ? 0 : got;
}

static void flush_tls(BIO *out) {
  uint8_t buf[16384];
  int n;
  while ((n = BIO_read(out, buf, sizeof(buf))) > 0)
    if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n) die("send");
}

/* Runs `step` until it stops asking for input, feeding socket bytes. */
static int pump(SSL *ssl, BIO *in, BIO *out, int (*step)(SSL *, void *),
                void *arg) {
  for (int rounds = 0; rounds < 1000; rounds++) {
    int rv = step(ssl, arg);
    flush_tls(out);
    if (rv > 0) return rv;
    if (SSL_get_error(ssl, rv) != SSL_ERROR_WANT_READ) return rv;
    uint8_t buf[16384];
    ssize_t n = read_socket(buf, sizeof(buf), 5000);
    if (n <= 0) return -1;
    BIO_write(in, buf, (int)n);
  }
  return -1;
}

static int do_handshake(SSL *ssl, void *arg) {
  (void)arg;
  return SSL_do_handshake(ssl);
}

/* Reads plaintext until the client's first request (a HEADERS frame) has
 * arrived; the bytes before it are the preface and SETTINGS. */
typedef struct plain {
  uint8_t bytes[65536];
  size_t length;
} plain;

static int has_headers(const plain *p) {
  size_t at = 24; /* the client preface */
  while (at + 9 <= p->length) {
    uint32_t length = (uint32_t)p->bytes[at] << 16 | (uint32_t)p->bytes[at + 1] << 8 |
                      p->bytes[at + 2];
    if (p->bytes[at + 3] == 0x1) return at + 9 + length <= p->length;
    at += 9 + length;
  }
  return 0;
}

static int read_request(SSL *ssl, void *arg) {
  plain *p = arg;
  for (;;) {
    int n = SSL_read(ssl, p->bytes + p->length, (int)(sizeof(p->bytes) - p->length));
    if (n <= 0) return n;
    p->length += (size_t)n;
    if (has_headers(p)) return 1;
  }
}

/* ---- Decrypting the client's records ---------------------------------- */

typedef struct client_keys {
  uint8_t key[KEY_LENGTH];
  uint8_t iv[FIXED_IV_LENGTH];
} client_keys;

/* RFC 5246 6.3: key_block = PRF(master, "key expansion", server_random +
 * client_random); AES-128-GCM has no MAC keys, so the block starts with
 * the client write key, then the server's, then the two fixed IVs. */
static void derive_keys(SSL *ssl, client_keys *k) {
  uint8_t master[48], seed[64], block[2 * KEY_LENGTH + 2 * FIXED_IV_LENGTH];
  size_t master_length = SSL_SESSION_get_master_key(SSL_get_session(ssl), master,
                                                    sizeof(master));
  SSL_get_server_random(ssl, seed, 32);
  SSL_get_client_random(ssl, seed + 32, 32);
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
  EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  if (!kctx) die("no TLS1-PRF");
  char digest[] = "SHA256";
  char label[] = "key expansion";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, master_length),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, label, strlen(label)),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(kctx, block, sizeof(block), params) != 1) die("PRF");
  EVP_KDF_CTX_free(kctx);
  EVP_KDF_free(kdf);
  memcpy(k->key, block, KEY_LENGTH);
  memcpy(k->iv, block + 2 * KEY_LENGTH, FIXED_IV_LENGTH);
}

/* Decrypts one record (header `hd`, body `body`) with sequence number
 * `seq`; returns the plaintext length, or -1 when it does not
 * authenticate. */
static int open_record(const client_keys *k, uint64_t seq, const uint8_t *hd,
                       const uint8_t *body, size_t length, uint8_t *out) {
  if (length < EXPLICIT_NONCE_LENGTH + TAG_LENGTH) return -1;
  size_t plain_length = length - EXPLICIT_NONCE_LENGTH - TAG_LENGTH;
  uint8_t nonce[12], aad[13], tag[TAG_LENGTH];
  memcpy(tag, body + length - TAG_LENGTH, TAG_LENGTH);
  memcpy(nonce, k->iv, FIXED_IV_LENGTH);
  memcpy(nonce + FIXED_IV_LENGTH, body, EXPLICIT_NONCE_LENGTH);
  for (int i = 0; i < 8; i++) aad[i] = (uint8_t)(seq >> (56 - 8 * i));
  aad[8] = hd[0];
  aad[9] = hd[1];
  aad[10] = hd[2];
  aad[11] = (uint8_t)(plain_length >> 8);
  aad[12] = (uint8_t)plain_length;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, tail = 0, ok =
      EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1 &&
      EVP_DecryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
      EVP_DecryptUpdate(c, out, &n, body + EXPLICIT_NONCE_LENGTH, (int)plain_length) == 1 &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, tag) == 1 &&
      EVP_DecryptFinal_ex(c, out + n, &tail) == 1;
  EVP_CIPHER_CTX_free(c);
  return ok ? (int)plain_length : -1;
}

/* Logs the HTTP/2 frames in decrypted application data (whole frames
 * only: this server looks for a GOAWAY, which fits in one record). */
static void log_frames(const uint8_t *p, size_t n) {
  size_t at = 0;
  while (at + 9 <= n) {
    uint32_t length = (uint32_t)p[at] << 16 | (uint32_t)p[at + 1] << 8 | p[at + 2];
    uint8_t type = p[at + 3];
    const uint8_t *payload = p + at + 9;
    if (at + 9 + length > n) break;
    if (type == 0x7 && length >= 8) {
      long last = (long)((uint32_t)payload[0] << 24 | (uint32_t)payload[1] << 16 |
                         (uint32_t)payload[2] << 8 | payload[3]) & 0x7fffffffL;
      long code = (long)((uint32_t)payload[4] << 24 | (uint32_t)payload[5] << 16 |
                         (uint32_t)payload[6] << 8 | payload[7]);
      say("recv GOAWAY last=%ld code=%ld", last, code);
    } else {
      say("recv frame type=%d length=%ld", type, (long)length);
    }
    at += 9 + length;
  }
}

/* Reads the client's records after the HelloRequest and logs what they
 * hold, until the connection ends. */
static void read_after_hello_request(const client_keys *k) {
  static uint8_t buf[1 << 17], out[1 << 17];
  size_t have = 0;
  int64_t seq = -1;
  for (;;) {
    ssize_t n = read_socket(buf + have, sizeof(buf) - have, 5000);
    if (n <= 0) {
      say("recv EOF (%zu bytes unparsed)", have);
      return;
    }
    have += (size_t)n;
    size_t at = 0;
    while (at + 5 <= have) {
      size_t length = (size_t)buf[at + 3] << 8 | buf[at + 4];
      if (at + 5 + length > have) break;
      const uint8_t *hd = buf + at, *body = buf + at + 5;
      int plain_length = -1;
      if (seq < 0) {
        for (uint64_t guess = 0; guess < MAX_SEQUENCE_GUESS && plain_length < 0; guess++)
          if ((plain_length = open_record(k, guess, hd, body, length, out)) >= 0)
            seq = (int64_t)guess;
      } else {
        plain_length = open_record(k, (uint64_t)seq, hd, body, length, out);
      }
      if (plain_length < 0) {
        say("recv a record type=%d length=%zu that does not decrypt", hd[0], length);
        return;
      }
      seq++;
      if (hd[0] == 21 && plain_length == 2)
        say("recv alert level=%d description=%d", out[0], out[1]);
      else if (hd[0] == 23)
        log_frames(out, (size_t)plain_length);
      else
        say("recv record type=%d length=%d", hd[0], plain_length);
      at += 5 + length;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
}

/* ---- The exchange ------------------------------------------------------- */

static int listen_on_loopback(const char *port_file) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1) ||
      getsockname(s, (struct sockaddr *)&a, &len))
    die("listen");
  FILE *f = fopen(port_file, "w");
  if (!f) die("port file");
  fprintf(f, "%d\n", ntohs(a.sin_port));
  fclose(f);
  return s;
}

static int select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                     const unsigned char *in, unsigned int inlen, void *arg);

static SSL_CTX *server_context(const char *cert, const char *key) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
      !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) ||
      SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1)
    die("TLS context");
  /* Renegotiation must be allowed on our side to send the HelloRequest. */
  SSL_CTX_clear_options(ctx, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_alpn_select_cb(ctx, select_h2, NULL);
  return ctx;
}

static int select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                     const unsigned char *in, unsigned int inlen, void *arg) {
  (void)ssl;
  (void)arg;
  for (unsigned int i = 0; i < inlen; i += 1u + in[i])
    if (in[i] == 2 && i + 3 <= inlen && memcmp(in + i + 1, "h2", 2) == 0) {
      *out = in + i + 1;
      *outlen = 2;
      return SSL_TLSEXT_ERR_OK;
    }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s CERT KEY PORT_FILE\n", argv[0]);
    return 2;
  }
  alarm(10); /* a fixture never outlives its test */
  int s = listen_on_loopback(argv[3]);
  SSL_CTX *ctx = server_context(argv[1], argv[2]);
  fd = accept(s, NULL, NULL);
  if (fd < 0) die("accept");
  SSL *ssl = SSL_new(ctx);
  BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_accept_state(ssl);
  if (pump(ssl, in, out, do_handshake, NULL) != 1) die("handshake");
  say("TLS %s cipher %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
  plain request = {{0}, 0};
  if (pump(ssl, in, out, read_request, &request) != 1) die("no request");
  say("recv request (%zu bytes of preface, SETTINGS and HEADERS)", request.length);
  /* Our SETTINGS and the ACK of the client's, then the HelloRequest. */
  static const uint8_t settings[] = {0, 0, 0, 4, 0, 0, 0, 0, 0,
                                     0, 0, 0, 4, 1, 0, 0, 0, 0};
  SSL_write(ssl, settings, sizeof(settings));
  flush_tls(out);
  client_keys keys;
  derive_keys(ssl, &keys);
  if (SSL_renegotiate(ssl) != 1) die("SSL_renegotiate");
  SSL_do_handshake(ssl); /* writes the HelloRequest; the answer is ours to read */
  flush_tls(out);
  say("sent HelloRequest");
  read_after_hello_request(&keys);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  close(s);
  return 0;
}
