/*
 * libh2 - the TLS filter: OpenSSL over memory buffers.
 *
 * An h2_tls object is one client-side TLS connection that never touches a
 * socket, a clock or a thread. Encrypted bytes go in and out through
 * buffers the caller moves to and from the network however it likes (a
 * socket and epoll in the C client, an nginx cosocket in the Lua binding);
 * plain bytes go in and out for the HTTP/2 core. The caller pumps:
 *
 *   network -> h2_tls_feed -> h2_tls_handshake / h2_tls_read -> core
 *   core -> h2_tls_write -> h2_tls_drain (or peek/consume) -> network
 *
 * After every call that may produce output (handshake, read, write,
 * close), flush h2_tls_pending_output to the network: TLS sends records
 * of its own (handshake flights, key updates, alerts).
 *
 * The policy is HTTP/2's (RFC 9113 section 9.2) and safe by default: TLS
 * 1.2 or later; for TLS 1.2 only ECDHE key exchange with AEAD ciphers;
 * the server's certificate and host name verified against the system CA
 * store; SNI sent for DNS names; ALPN "h2" offered and required; no
 * renegotiation, no post-handshake authentication. docs/tls.md explains
 * each rule and every error detail.
 *
 * Both buffers are bounded: unprocessed encrypted input by
 * max_input_buffer (h2_tls_feed accepts less, or nothing, past it) and
 * encrypted output waiting to be sent by max_pending_output (h2_tls_write
 * accepts less, or nothing, past it). Our buffers come from the
 * h2_allocator; OpenSSL allocates its own state with its own allocator.
 *
 * An h2_tls is used by one thread at a time. An h2_tls_context (the
 * configuration: trust store, client certificate, ALPN) may be shared by
 * connections on any threads once created.
 */
#ifndef H2_TLS_H
#define H2_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "h2/alloc.h"
#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default bounds of the two encrypted-byte buffers. */
#define H2_TLS_DEFAULT_MAX_INPUT_BUFFER (256u * 1024u)
#define H2_TLS_DEFAULT_MAX_PENDING_OUTPUT (64u * 1024u)

/* Option flags. */
enum h2_tls_flag {
  H2_TLS_NONE = 0x0,
  /* Do not verify the server's certificate or host name (like curl -k).
   * The connection is then encrypted but not authenticated: anyone on the
   * path can impersonate the server. For tests and debugging only. */
  H2_TLS_INSECURE = 0x1
};

/* Configuration of a context or connection. Initialise it with
 * h2_tls_options_init, which sets struct_size: fields added by later
 * versions go at the end, and the library reads only the fields the
 * caller's struct_size covers, so old callers keep working. A struct_size
 * larger than the library knows is refused (it would carry knobs the
 * library cannot honour). Strings are copied or consumed during the call;
 * the caller may free them afterwards. */
typedef struct h2_tls_options {
  uint32_t struct_size; /* sizeof(h2_tls_options), set by _init */
  uint32_t flags;       /* enum h2_tls_flag */
  /* Bytes of received encrypted input held before h2_tls_feed pushes
   * back, and of encrypted output held before h2_tls_write pushes back.
   * 0 selects the defaults above. */
  uint32_t max_input_buffer;
  uint32_t max_pending_output;
  /* The server's name: sent as SNI and verified against the certificate.
   * A DNS name (a trailing dot is dropped), or an IPv4 or IPv6 literal,
   * with or without brackets: then no SNI is sent, as RFC 6066 requires,
   * and the certificate's IP address entries are checked. Required unless
   * H2_TLS_INSECURE. Ignored by h2_tls_context_new (each connection names
   * its server). */
  const char *server_name;
  /* Trusted CAs: a PEM file and/or a hashed directory (c_rehash). When
   * both are NULL the system store is used. */
  const char *ca_file;
  const char *ca_path;
  /* Client certificate (for example an APNs provider certificate): a PEM
   * chain, leaf first, and its private key. key_file NULL means the key
   * is in cert_file. key_password decrypts an encrypted key; without it an
   * encrypted key fails to load (OpenSSL never prompts on a terminal). */
  const char *cert_file;
  const char *key_file;
  const char *key_password;
  /* The ALPN protocol offered and required, 1 to 255 bytes. NULL means
   * "h2", the only value that makes sense for HTTP/2 over TLS. */
  const char *alpn;
} h2_tls_options;

/* Zeroes the options and sets struct_size: no flags, default bounds, the
 * system CA store, no client certificate, ALPN "h2". As for
 * h2_conn_options_init_sized, `size` is the caller's sizeof (the macro
 * passes it) and nothing past it is written. */
H2_EXPORT void h2_tls_options_init_sized(h2_tls_options *options, size_t size);
#define h2_tls_options_init(options) \
  h2_tls_options_init_sized((options), sizeof(*(options)))

/* ---- Context: configuration shared by connections ------------------------ */

/* A configured OpenSSL context (SSL_CTX). Loading a CA bundle or a client
 * certificate costs milliseconds; a context does it once for any number
 * of connections. It is immutable after creation and may be used by
 * connections on several threads. */
typedef struct h2_tls_context h2_tls_context;

/* Creates a context from everything in the options but server_name.
 * Returns 0, H2_ERR_INVALID_ARGUMENT (bad struct_size, key_file without
 * cert_file, ALPN length), H2_ERR_TLS when a file cannot be loaded, or
 * H2_ERR_NOMEM. On failure, if `detail` is not NULL, a NUL-terminated
 * reason of at most `detail_size` bytes is written there, naming the file
 * and OpenSSL's reason:
 *   cannot load CA file "/etc/ca.pem": No such file or directory */
H2_EXPORT int h2_tls_context_new(h2_tls_context **ctx,
                                 const h2_tls_options *options,
                                 const h2_allocator *alloc, char *detail,
                                 size_t detail_size);

/* Releases the caller's hold on the context. Connections created from it
 * keep what they need, so it may be deleted while they live. */
H2_EXPORT void h2_tls_context_del(h2_tls_context *ctx);

/* ---- Connection ---------------------------------------------------------- */

typedef struct h2_tls h2_tls;

/* Creates a connection with a private context built from the options
 * (h2_tls_context_new followed by h2_tls_new_with_context). Returns what
 * those return; `detail` is as for h2_tls_context_new. */
H2_EXPORT int h2_tls_new(h2_tls **tls, const h2_tls_options *options,
                         const h2_allocator *alloc, char *detail,
                         size_t detail_size);

/* Creates a connection to `server_name` (see h2_tls_options.server_name;
 * NULL only if the context is H2_TLS_INSECURE) using a shared context.
 * Returns 0, H2_ERR_INVALID_ARGUMENT or H2_ERR_NOMEM. */
H2_EXPORT int h2_tls_new_with_context(h2_tls **tls, h2_tls_context *ctx,
                                      const char *server_name,
                                      const h2_allocator *alloc);

/* Frees the connection. It sends nothing: call h2_tls_close and flush the
 * output first for a polite close. */
H2_EXPORT void h2_tls_del(h2_tls *tls);

/* Advances the handshake with the input fed so far. The first call
 * produces the ClientHello. Returns:
 *   0                         complete, and the server selected our ALPN
 *                             protocol: the connection is ready
 *   H2_ERR_WOULD_BLOCK        flush the pending output, feed more input,
 *                             and call again
 *   H2_ERR_TLS_VERIFY         the certificate failed verification
 *                             ("certificate verify failed: hostname
 *                             mismatch (expected \"example.com\")")
 *   H2_ERR_TLS_ALPN           the server selected another protocol or
 *                             none ("server selected ALPN \"http/1.1\",
 *                             not \"h2\""), or refused ours with an alert
 *   H2_ERR_CONNECTION_CLOSED  the input ended (h2_tls_feed_eof) before the
 *                             handshake did
 *   H2_ERR_TLS                anything else: no common version or cipher,
 *                             an alert from the server, a server that does
 *                             not speak TLS at all
 *   H2_ERR_NOMEM
 * Errors are final: every later call returns the same code. OpenSSL may
 * have queued an alert for the server; flush the output to deliver it. */
H2_EXPORT int h2_tls_handshake(h2_tls *tls);

/* Hands over `length` encrypted bytes received from the network. Returns
 * how many were accepted: all of them while the unprocessed input stays
 * within max_input_buffer, fewer past it (keep the rest and feed it after
 * reading: ignoring the count loses data), or H2_ERR_WOULD_BLOCK when the
 * buffer is full (call h2_tls_read or h2_tls_handshake to process it).
 * Also H2_ERR_INVALID_STATE after h2_tls_feed_eof, a previous fatal
 * error's code, or H2_ERR_NOMEM. Feeding never runs TLS itself. */
H2_EXPORT int h2_tls_feed(h2_tls *tls, const uint8_t *encrypted, size_t length);

/* Tells the filter the transport has closed: no more input will come.
 * Once the input fed so far is used up, reads report
 * H2_ERR_CONNECTION_CLOSED (see h2_tls_read). */
H2_EXPORT void h2_tls_feed_eof(h2_tls *tls);

/* Encrypted bytes waiting to be sent. */
H2_EXPORT size_t h2_tls_pending_output(const h2_tls *tls);

/* Copies up to `capacity` bytes of pending output into `out` and removes
 * them. Returns the number copied (0 when nothing is pending). */
H2_EXPORT int h2_tls_drain(h2_tls *tls, uint8_t *out, size_t capacity);

/* Zero-copy alternative to h2_tls_drain: points `*data` at the first
 * contiguous run of pending output and returns its length (0 and NULL
 * when nothing is pending). The output is a ring buffer, so this may be
 * less than h2_tls_pending_output: consume, then peek again. The pointer
 * stays valid until the next call on the object other than
 * h2_tls_pending_output, h2_tls_peek_output and h2_tls_consume_output. */
H2_EXPORT size_t h2_tls_peek_output(const h2_tls *tls, const uint8_t **data);

/* Removes `count` bytes from the front of the pending output, once they
 * are sent. H2_ERR_INVALID_ARGUMENT if more than is pending. */
H2_EXPORT int h2_tls_consume_output(h2_tls *tls, size_t count);

/* Encrypts plain bytes (only after the handshake completed). Returns how
 * many were accepted: fewer than `length` when the pending output nears
 * max_pending_output, or H2_ERR_WOULD_BLOCK when it is full (drain, then
 * write the rest). H2_ERR_INVALID_STATE before the handshake or after
 * h2_tls_close; a previous fatal error's code; H2_ERR_NOMEM. After
 * H2_ERR_CONN_PROTOCOL from h2_tls_read, writing still works: the TLS
 * channel is intact, so a GOAWAY(PROTOCOL_ERROR) can be sent. */
H2_EXPORT int h2_tls_write(h2_tls *tls, const uint8_t *plain, size_t length);

/* Decrypts received bytes into `plain` (capacity > 0). Call it until it
 * returns H2_ERR_WOULD_BLOCK: OpenSSL may hold decrypted bytes that are
 * not visible as pending input. Returns:
 *   > 0                       bytes of plain data
 *   H2_ERR_WOULD_BLOCK        feed more input first
 *   H2_ERR_CONNECTION_CLOSED  the server closed: with close_notify, or the
 *                             input ended without it (h2_tls_feed_eof; the
 *                             detail then says the stream may be truncated,
 *                             which HTTP/2's own framing detects)
 *   H2_ERR_CONN_PROTOCOL      the server attempted TLS 1.2 renegotiation
 *                             or a TLS 1.3 post-handshake
 *                             CertificateRequest (RFC 9113 sections 9.2.1
 *                             and 9.2.3): a connection error PROTOCOL_ERROR
 *   H2_ERR_TLS                an alert or a bad record (the detail says)
 *   H2_ERR_INVALID_STATE      the handshake has not completed
 *   H2_ERR_NOMEM
 * Errors other than H2_ERR_WOULD_BLOCK are final. */
H2_EXPORT int h2_tls_read(h2_tls *tls, uint8_t *plain, size_t capacity);

/* Queues a close_notify alert (after the handshake; a no-op before it),
 * to be flushed like any output. Later writes fail with
 * H2_ERR_INVALID_STATE; reads still work, so what the server sends until
 * its own close_notify can be received. Returns 0, a previous fatal
 * error's code (except H2_ERR_CONN_PROTOCOL, as for h2_tls_write), or
 * H2_ERR_NOMEM. */
H2_EXPORT int h2_tls_close(h2_tls *tls);

/* The negotiated ALPN protocol ("h2"), TLS version ("TLSv1.3") and
 * cipher suite ("TLS_AES_128_GCM_SHA256"); NULL until the handshake has
 * completed. The strings live as long as the object. */
H2_EXPORT const char *h2_tls_alpn(const h2_tls *tls);
H2_EXPORT const char *h2_tls_version(const h2_tls *tls);
H2_EXPORT const char *h2_tls_cipher(const h2_tls *tls);

/* A human-readable reason for the last error, "" if there was none. */
H2_EXPORT const char *h2_tls_error_detail(const h2_tls *tls);

#ifdef __cplusplus
}
#endif

#endif /* H2_TLS_H */
