/*
 * upload: POSTs a file's contents, read piece by piece while the
 * connection can take them (a streamed request body), and writes the
 * response body to standard output as it arrives. The status and a summary
 * go to standard error, so `upload URL FILE > out` keeps the body intact.
 *
 * The library calls read_body only when the stream has room: the
 * connection's send buffer (h2_conn_options.max_send_buffer, 400 KiB) and
 * the server's flow-control windows decide, so a large file is never read
 * into memory whole and a slow server slows the reading down
 * (backpressure). rewind_body lets the library send the body again when
 * the server refused the stream without processing it (REFUSED_STREAM, or
 * a GOAWAY that excludes it): the request is retried on a new connection.
 *
 * Build against an installed libh2 with:
 *
 *   cc -std=c11 upload.c $(pkg-config --cflags --libs libh2) -o upload
 *   ./upload http://127.0.0.1:18404/sha256 /etc/os-release
 *
 * An https:// URL is verified against the system CA store, or against
 * CA_FILE when given as the third argument. Exit status: 0 when a response
 * arrived, 1 when the request failed, 2 for wrong usage.
 */
#include <h2/h2.h>
#include <stdio.h>
#include <string.h>

typedef struct upload {
  FILE *file;
  unsigned long long sent;  /* bytes handed to the library */
  unsigned reads, rewinds;
  int status;
  unsigned long long received;
  int error;
} upload;

/* Fills buf with up to `capacity` bytes: returns how many, 0 at the end of
 * the body, or a negative value to fail the request. */
static long read_body(void *user, uint8_t *buf, size_t capacity) {
  upload *u = user;
  size_t n = fread(buf, 1, capacity, u->file);
  if (n == 0 && ferror(u->file)) return -1;
  u->reads++;
  u->sent += n;
  return (long)n;
}

/* Starts the body again for a retry: returns 0, or non-zero if it cannot. */
static int rewind_body(void *user) {
  upload *u = user;
  u->rewinds++;
  u->sent = 0;
  return fseek(u->file, 0, SEEK_SET);
}

static void on_headers(void *user, int status, const h2_header *fields, size_t count) {
  (void)fields;
  (void)count;
  ((upload *)user)->status = status;
  fprintf(stderr, "status: %d\n", status);
}

static int on_data(void *user, const uint8_t *data, size_t length) {
  upload *u = user;
  u->received += length;
  return fwrite(data, 1, length, stdout) == length ? 0 : 1; /* 1 cancels */
}

static void on_complete(void *user, int error, const char *detail) {
  upload *u = user;
  u->error = error;
  if (error) fprintf(stderr, "upload failed: %s: %s\n", h2_strerror(error), detail);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s URL FILE [CA_FILE]\n", argv[0]);
    return 2;
  }
  upload u;
  memset(&u, 0, sizeof(u));
  u.file = fopen(argv[2], "rb");
  if (!u.file) {
    perror(argv[2]);
    return 2;
  }

  h2_client_options options;
  h2_client_options_init(&options);
  if (argc == 4) options.tls.ca_file = argv[3];
  h2_client *client;
  int rv = h2_client_new(&client, &options, NULL);
  if (rv) {
    fprintf(stderr, "h2_client_new: %s\n", h2_strerror(rv));
    fclose(u.file);
    return 1;
  }

  static const char content_type[] = "application/octet-stream";
  h2_header headers[] = {
      {(const uint8_t *)"content-type", (const uint8_t *)content_type, 12,
       sizeof(content_type) - 1, 0, 0},
  };
  h2_request request = {0};
  request.method = "POST";
  request.url = argv[1];
  request.headers = headers; /* must stay valid until the request completes */
  request.header_count = 1;
  request.read_body = read_body;
  request.rewind_body = rewind_body;
  request.body_user = &u;

  h2_response_handler handler = {0};
  handler.on_headers = on_headers;
  handler.on_data = on_data;
  handler.on_complete = on_complete;
  handler.user = &u;

  int id = h2_client_submit(client, &request, &handler);
  if (id < 0) {
    fprintf(stderr, "%s: %s\n", argv[1], h2_strerror(id));
    u.error = id;
  } else {
    rv = h2_client_run(client, -1);
    if (rv && !u.error) u.error = rv;
  }
  fflush(stdout);
  fprintf(stderr, "sent %llu bytes in %u reads (%u rewinds), received %llu bytes\n",
          u.sent, u.reads, u.rewinds, u.received);

  h2_client_del(client);
  fclose(u.file);
  return u.error ? 1 : 0;
}
