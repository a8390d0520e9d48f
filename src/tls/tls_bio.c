/*
 * The BIO that OpenSSL reads encrypted input from and writes encrypted
 * output to: a thin view of the connection's two queues. Using our own
 * queues rather than OpenSSL's memory BIOs puts every buffered byte under
 * the caller's allocator and its bounds, and lets the output be handed
 * out without a copy (h2_tls_peek_output).
 */
#include <limits.h>

#include "tls_internal.h"

/* Output is appended whole: OpenSSL must never see a short write, because
 * a retried SSL_write would need the very same arguments again. The soft
 * limit only shapes buffer growth; h2_tls_write keeps the queue near
 * max_pending_output by accepting less plain text. */
static int bio_write(BIO *bio, const char *bytes, size_t length,
                     size_t *written) {
  h2_tls *tls = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (h2_tls_queue_append(&tls->output, (const uint8_t *)bytes, length,
                          tls->max_pending_output, tls->alloc)) {
    /* OpenSSL sees a failed write without a retry flag and reports
     * SSL_ERROR_SYSCALL; the flag tells the error mapping why. */
    tls->out_of_memory = 1;
    *written = 0;
    return 0;
  }
  *written = length;
  return 1;
}

/* With nothing queued, a read asks OpenSSL to retry later (the caller
 * will feed more), unless the transport has ended: then it is an end of
 * file, which OpenSSL reports as an unexpected EOF or a closed peer. */
static int bio_read(BIO *bio, char *out, size_t capacity, size_t *read) {
  h2_tls *tls = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  *read = h2_tls_queue_take(&tls->input, (uint8_t *)out, capacity, tls->alloc);
  if (*read) return 1;
  if (!tls->input_ended) BIO_set_retry_read(bio);
  return 0;
}

static long bio_ctrl(BIO *bio, int command, long number, void *pointer) {
  h2_tls *tls = BIO_get_data(bio);
  (void)number;
  (void)pointer;
  switch (command) {
    case BIO_CTRL_FLUSH:
      /* OpenSSL flushes after each flight; the bytes are already queued. */
      return 1;
    case BIO_CTRL_PENDING:
      return tls->input.length > LONG_MAX ? LONG_MAX : (long)tls->input.length;
    case BIO_CTRL_WPENDING:
      return tls->output.length > LONG_MAX ? LONG_MAX
                                           : (long)tls->output.length;
    case BIO_CTRL_EOF:
      return tls->input_ended && tls->input.length == 0;
    default:
      return 0;
  }
}

static int bio_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

static int bio_destroy(BIO *bio) {
  BIO_set_data(bio, NULL);
  return 1;
}

/* Builds the method and a BIO of it, and gives the BIO to the SSL object
 * for both directions (the SSL object then owns and frees it). */
int h2_tls_attach_bio(h2_tls *tls) {
  tls->bio_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "libh2 tls queues");
  if (!tls->bio_method) return -1;
  if (!BIO_meth_set_write_ex(tls->bio_method, bio_write) ||
      !BIO_meth_set_read_ex(tls->bio_method, bio_read) ||
      !BIO_meth_set_ctrl(tls->bio_method, bio_ctrl) ||
      !BIO_meth_set_create(tls->bio_method, bio_create) ||
      !BIO_meth_set_destroy(tls->bio_method, bio_destroy))
    return -1;
  BIO *bio = BIO_new(tls->bio_method);
  if (!bio) return -1;
  BIO_set_data(bio, tls);
  SSL_set_bio(tls->ssl, bio, bio);
  return 0;
}
