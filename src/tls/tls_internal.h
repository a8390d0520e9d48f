/*
 * Internals of the TLS filter, shared by the files of src/tls/. Only those
 * files see OpenSSL's headers: the core stays free of them.
 */
#ifndef H2_TLS_INTERNAL_H
#define H2_TLS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "h2/alloc.h"
#include "h2/tls.h"

/* Room for error details: long enough for a file path and OpenSSL's
 * reason, or a verification error and the expected host name. */
#define H2_TLS_DETAIL_SIZE 512

/* A byte queue in a ring buffer: `length` bytes are pending, starting at
 * `head`. A ring rather than a sliding array, because a queue kept full
 * (the input, when the caller feeds faster than it reads) would otherwise
 * move its whole content for every few bytes consumed. The buffer grows on
 * demand, doubling up to a soft limit, and is released when it empties
 * after having grown large, so an idle connection holds little memory. */
typedef struct h2_tls_queue {
  uint8_t *data;
  size_t head;
  size_t length;
  size_t capacity;
} h2_tls_queue;

/* Appends all bytes or none. Growth stops doubling at `soft_limit` (it
 * still grows to what the bytes need). Returns 0 or H2_ERR_NOMEM. */
int h2_tls_queue_append(h2_tls_queue *q, const uint8_t *bytes, size_t length,
                        size_t soft_limit, const h2_allocator *alloc);
/* Copies up to `capacity` bytes from the front and removes them. */
size_t h2_tls_queue_take(h2_tls_queue *q, uint8_t *out, size_t capacity,
                         const h2_allocator *alloc);
/* The first contiguous run of pending bytes. */
size_t h2_tls_queue_peek(const h2_tls_queue *q, const uint8_t **data);
/* Removes `count` (at most the length) bytes from the front. */
void h2_tls_queue_consume(h2_tls_queue *q, size_t count,
                          const h2_allocator *alloc);
void h2_tls_queue_free(h2_tls_queue *q, const h2_allocator *alloc);

/* What a context hands to each connection made from it. */
struct h2_tls_context {
  const h2_allocator *alloc;
  SSL_CTX *ssl_ctx;
  uint32_t flags;
  uint32_t max_input_buffer;
  uint32_t max_pending_output;
  uint8_t alpn_length;
  char alpn[256]; /* NUL-terminated */
};

struct h2_tls {
  const h2_allocator *alloc;
  SSL *ssl;
  /* The BIO method gluing SSL to the two queues. It is per connection so
   * that nothing in the filter is global. */
  BIO_METHOD *bio_method;
  h2_tls_queue input;  /* received, not yet read by OpenSSL */
  h2_tls_queue output; /* written by OpenSSL, not yet sent */
  uint32_t max_input_buffer;
  uint32_t max_pending_output;
  uint32_t flags;
  int input_ended;    /* h2_tls_feed_eof was called */
  int out_of_memory;  /* the output queue could not grow */
  int handshake_done; /* OpenSSL finished the handshake */
  int ready;          /* ...and ALPN checked: reads and writes allowed */
  int closed;         /* h2_tls_close queued close_notify */
  int fatal;          /* the final error code, 0 while healthy */
  int violation;      /* a forbidden post-handshake message arrived */
  char violation_detail[128];
  /* The ALPN protocol the server's hello selected, seen before OpenSSL
   * checks it against what we offered. */
  int server_alpn_seen;
  uint8_t server_alpn_length;
  uint8_t server_alpn[255];
  /* The first bytes the server sent, to recognise a plaintext answer. */
  uint8_t first_bytes[48];
  size_t first_bytes_length;
  char server_name[256]; /* for error details; "" when none */
  uint8_t alpn_length;
  char alpn[256]; /* the protocol we offered and require */
  char detail[H2_TLS_DETAIL_SIZE];
};

/* tls_bio.c: the BIO between OpenSSL and the queues. */
int h2_tls_attach_bio(h2_tls *tls);

/* tls_context.c: the policy, applied to a new SSL_CTX. */
int h2_tls_configure_ssl_ctx(SSL_CTX *ssl_ctx, const h2_tls_options *o,
                             char *detail, size_t detail_size);

/* tls_errors.c: turning OpenSSL's view of a failure into our codes. */
int h2_tls_fail(h2_tls *tls, int code, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int h2_tls_handshake_error(h2_tls *tls, int ssl_result);
int h2_tls_record_error(h2_tls *tls, int ssl_result, const char *operation);
int h2_tls_check_selected_alpn(h2_tls *tls, const uint8_t *selected,
                               size_t length);
void h2_tls_describe_openssl_error(char *out, size_t size);

/* tls_messages.c: the server's handshake messages, as OpenSSL sees them. */
void h2_tls_watch_messages(h2_tls *tls);

#endif /* H2_TLS_INTERNAL_H */
