/*
 * many_requests: COUNT GETs of one URL, all in flight at once on one
 * HTTP/2 connection. Each request is submitted with h2_client_submit and
 * a handler whose callbacks record its status and count its body bytes;
 * h2_client_run then turns the loop until every request has completed.
 * Prints a summary and the client's statistics (connections opened,
 * retries, bytes on the wire).
 *
 * Build against an installed libh2 with:
 *
 *   cc -std=c11 many_requests.c $(pkg-config --cflags --libs libh2) -o many_requests
 *   ./many_requests http://127.0.0.1:18480/img/logo.png 50
 *
 * An https:// URL is verified against the system CA store, or against
 * CA_FILE when given as the third argument. Exit status: 0 when every
 * request got a response, 1 otherwise, 2 for wrong usage.
 */
#include <h2/h2.h>
#include <stdio.h>
#include <stdlib.h>

/* What one request's callbacks record. */
typedef struct result {
  int status;
  unsigned long long bytes;
  int error;
  int done;
} result;

static void on_headers(void *user, int status, const h2_header *fields, size_t count) {
  (void)fields;
  (void)count;
  ((result *)user)->status = status;
}

/* Body bytes arrive in pieces as the server sends them; the view is valid
 * only during the call. Return non-zero to cancel the request. */
static int on_data(void *user, const uint8_t *data, size_t length) {
  (void)data;
  ((result *)user)->bytes += length;
  return 0;
}

/* Called exactly once per request, last: 0, or the error that ended it. */
static void on_complete(void *user, int error, const char *detail) {
  result *r = user;
  r->error = error;
  r->done = 1;
  if (error) fprintf(stderr, "request failed: %s: %s\n", h2_strerror(error), detail);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s URL [COUNT [CA_FILE]]\n", argv[0]);
    return 2;
  }
  int count = argc > 2 ? atoi(argv[2]) : 20;
  if (count < 1 || count > 100000) {
    fprintf(stderr, "COUNT must be 1 to 100000\n");
    return 2;
  }

  h2_client_options options;
  h2_client_options_init(&options);
  /* One connection per origin: requests beyond the server's
   * SETTINGS_MAX_CONCURRENT_STREAMS wait for a free stream on it (with the
   * default of 8, the pool would open more connections instead). */
  options.max_connections_per_origin = 1;
  if (argc > 3) options.tls.ca_file = argv[3];

  h2_client *client;
  int rv = h2_client_new(&client, &options, NULL);
  if (rv) {
    fprintf(stderr, "h2_client_new: %s\n", h2_strerror(rv));
    return 1;
  }

  result *results = calloc((size_t)count, sizeof(result));
  if (!results) {
    h2_client_del(client);
    return 1;
  }
  for (int i = 0; i < count; i++) {
    h2_request request = {0};
    request.url = argv[1];
    /* The handler is copied; `user` is what every callback receives. */
    h2_response_handler handler = {0};
    handler.on_headers = on_headers;
    handler.on_data = on_data;
    handler.on_complete = on_complete;
    handler.user = &results[i];
    int id = h2_client_submit(client, &request, &handler);
    if (id < 0) { /* a bad URL: nothing was queued for this one */
      fprintf(stderr, "%s: %s\n", argv[1], h2_strerror(id));
      results[i].error = id;
      results[i].done = 1;
    }
  }

  /* Runs until every submitted request has completed (-1: no time limit;
   * the client's own timeouts still apply to each request). */
  rv = h2_client_run(client, -1);

  int ok = 0, failed = 0, status_200 = 0;
  unsigned long long bytes = 0, min = ~0ull, max = 0;
  for (int i = 0; i < count; i++) {
    const result *r = &results[i];
    if (!r->done || r->error) {
      failed++;
      continue;
    }
    ok++;
    if (r->status == 200) status_200++;
    bytes += r->bytes;
    if (r->bytes < min) min = r->bytes;
    if (r->bytes > max) max = r->bytes;
  }
  h2_client_stats stats;
  h2_client_get_stats(client, &stats);

  printf("%d requests to %s: %d completed, %d failed\n", count, argv[1], ok, failed);
  printf("status 200: %d\n", status_200);
  if (ok)
    printf("body bytes: %llu in all, %llu to %llu per response\n", bytes, min, max);
  printf("connections: %llu\n", (unsigned long long)stats.connections_opened);
  printf("retries: %llu\n", (unsigned long long)stats.retries);
  printf("on the wire: %llu bytes sent, %llu received\n",
         (unsigned long long)stats.bytes_sent, (unsigned long long)stats.bytes_received);

  free(results);
  h2_client_del(client);
  return rv == 0 && failed == 0 ? 0 : 1;
}
