/*
 * conn_memory_io: the sans-I/O core (h2/conn.h) driven by the caller's own
 * I/O, here a plain blocking socket to a cleartext HTTP/2 (h2c) server.
 * This is how libh2 embeds in a program that has an event loop of its
 * own: the core never reads a socket or a clock, the program moves bytes
 * and time in and out of it and pulls events.
 *
 *   bytes from the server  -> h2_conn_recv
 *   events                 <- h2_conn_poll
 *   bytes for the server   <- h2_conn_peek_output / h2_conn_consume_output
 *   time                   -> h2_conn_tick, h2_conn_next_deadline
 *
 * GETs every PATH on one connection, all in flight at once, and prints
 * each one's status and body length.
 *
 * Build against an installed libh2 with:
 *
 *   cc -std=c11 conn_memory_io.c $(pkg-config --cflags --libs libh2) -o conn_memory_io
 *   ./conn_memory_io 127.0.0.1 18480 /index.html /css/site.css
 *
 * Exit status: 0 when every stream ended with a response, 1 otherwise, 2
 * for wrong usage.
 */
#define _POSIX_C_SOURCE 200809L /* getaddrinfo, poll, clock_gettime in C11 */
#include <errno.h>
#include <h2/h2.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SILENCE_LIMIT_MS 10000 /* give up when the server says nothing */

#define MAX_RETRIES 3

/* One request; its address is the `user` pointer its events carry. */
typedef struct stream {
  const char *path;
  int status;
  unsigned long long bytes;
  int done;
  int error;
  int retries;
} stream;

static char authority[300]; /* "host:port", the :authority of every request */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int dial(const char *host, const char *port) {
  struct addrinfo hints, *list;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rv = getaddrinfo(host, port, &hints, &list);
  if (rv) {
    fprintf(stderr, "%s: %s\n", host, gai_strerror(rv));
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0) fprintf(stderr, "cannot connect to %s:%s: %s\n", host, port, strerror(errno));
  freeaddrinfo(list);
  return fd;
}

/* Submits the GET of s->path (end_stream 1: no request body). The core
 * copies the fields, so they may live on the stack. Returns the stream id
 * or an error. */
static int submit(h2_conn *conn, stream *s) {
  h2_header fields[4] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)authority, 10,
       (uint32_t)strlen(authority), 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)s->path, 5, (uint32_t)strlen(s->path), 0, 0},
  };
  s->status = 0;
  s->bytes = 0;
  return h2_conn_submit_request(conn, fields, 4, 1, s);
}

/* Sends everything the core has to send: the preface and SETTINGS, the
 * requests, WINDOW_UPDATEs for the body bytes polled, ACKs, GOAWAY. */
static int flush_output(h2_conn *conn, int fd) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_conn_peek_output(conn, &data)) > 0) {
    ssize_t sent = send(fd, data, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) {
      fprintf(stderr, "send: %s\n", strerror(errno));
      return -1;
    }
    h2_conn_consume_output(conn, (size_t)sent); /* a blocking send may be partial */
  }
  return 0;
}

/* Pulls every pending event and acts on it. The views an event carries
 * (header fields, DATA bytes) are valid only until the next h2_conn_poll
 * or h2_conn_recv: use or copy them here. Returns the streams finished. */
static int handle_events(h2_conn *conn) {
  h2_event events[16];
  int n, finished = 0;
  while ((n = h2_conn_poll(conn, events, 16)) > 0) {
    for (int i = 0; i < n; i++) {
      const h2_event *e = &events[i];
      stream *s = e->user; /* NULL for connection events */
      switch (e->type) {
        case H2_EVENT_SETTINGS:
          printf("server SETTINGS: up to %u concurrent streams\n",
                 (unsigned)h2_conn_peer_max_concurrent_streams(conn));
          break;
        case H2_EVENT_HEADERS:
          s->status = (int)e->status;
          break;
        case H2_EVENT_DATA: /* e->data holds e->length bytes of body */
          s->bytes += e->length;
          break;
        case H2_EVENT_STREAM_END:
          s->done = 1;
          finished++;
          printf("%s: status %d, %llu bytes\n", s->path, s->status, s->bytes);
          break;
        case H2_EVENT_STREAM_RESET:
          /* RETRYABLE: the server did not process the request (it refused
           * the stream, e.g. beyond its SETTINGS_MAX_CONCURRENT_STREAMS,
           * which it announces only after our first requests left). Any
           * method may be sent again; here on the same connection, where
           * the core now queues what exceeds the server's limit. */
          if ((e->flags & H2_EVENT_FLAG_RETRYABLE) && s->retries < MAX_RETRIES &&
              h2_conn_can_submit(conn) && submit(conn, s) > 0) {
            s->retries++;
            break;
          }
          s->done = 1;
          s->error = e->error;
          finished++;
          printf("%s: failed: %s\n", s->path, h2_strerror(e->error));
          break;
        case H2_EVENT_GOAWAY:
          printf("server GOAWAY: %s, last stream %llu\n",
                 h2_wire_error_name(h2_error_wire_code(e->error)),
                 (unsigned long long)e->value);
          break;
        case H2_EVENT_CONNECTION_ERROR:
          printf("connection error: %s\n", h2_conn_error_detail(conn));
          break;
        default: /* INFORMATIONAL, TRAILERS, WRITABLE, PING_ACK, CLOSED */
          break;
      }
    }
  }
  return finished;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s HOST PORT PATH...\n", argv[0]);
    return 2;
  }
  const char *host = argv[1], *port = argv[2];
  int count = argc - 3;
  stream *streams = calloc((size_t)count, sizeof(stream));
  snprintf(authority, sizeof(authority), "%s:%s", host, port);
  int fd = dial(host, port);
  if (!streams || fd < 0) {
    if (fd >= 0) close(fd);
    free(streams);
    return 1;
  }

  /* The preface and our SETTINGS are queued at once; the requests can be
   * submitted before a byte is exchanged and leave in the first flight. */
  h2_conn *conn = NULL;
  int rv = h2_conn_client_new(&conn, NULL, NULL);
  if (!rv) h2_conn_tick(conn, now_ms()); /* start its clock: the SETTINGS timer */
  for (int i = 0; i < count && rv == 0; i++) {
    streams[i].path = argv[3 + i];
    int id = submit(conn, &streams[i]);
    if (id < 0) {
      fprintf(stderr, "%s: %s\n", streams[i].path, h2_strerror(id));
      rv = id;
    }
  }
  if (rv) {
    h2_conn_del(conn); /* NULL-safe, like free */
    close(fd);
    free(streams);
    return 1;
  }

  uint8_t buf[16384];
  int remaining = count;
  uint64_t last_heard = now_ms();
  while (remaining > 0 && !h2_conn_is_closed(conn)) {
    if (flush_output(conn, fd)) break;

    /* Wait for bytes, but no longer than the core's next deadline (the
     * SETTINGS ACK timer). */
    uint64_t now = now_ms(), wake = last_heard + SILENCE_LIMIT_MS;
    uint64_t deadline = h2_conn_next_deadline(conn); /* UINT64_MAX: none */
    if (deadline < wake) wake = deadline;
    struct pollfd p = {fd, POLLIN, 0};
    int ready = poll(&p, 1, wake > now ? (int)(wake - now) : 0);
    if (ready < 0 && errno != EINTR) break;

    if (ready > 0) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        fprintf(stderr, "recv: %s\n", strerror(errno));
        break;
      }
      last_heard = now_ms();
      /* 0 bytes tells the core the server closed: open streams end with
       * H2_ERR_CONNECTION_CLOSED. A negative return is a connection error,
       * reported as an event too. */
      h2_conn_recv(conn, buf, (size_t)n);
    } else if (now_ms() - last_heard >= SILENCE_LIMIT_MS) {
      fprintf(stderr, "the server has been silent for %d ms\n", SILENCE_LIMIT_MS);
      break;
    }
    h2_conn_tick(conn, now_ms());
    /* Before the next recv: DATA views point into buf. */
    remaining -= handle_events(conn);
  }

  /* Polite close: GOAWAY(NO_ERROR), sent before the socket closes. */
  h2_conn_shutdown(conn);
  flush_output(conn, fd);
  close(fd);

  int ok = 0, retries = 0;
  for (int i = 0; i < count; i++) {
    ok += streams[i].done && !streams[i].error;
    retries += streams[i].retries;
  }
  printf("%d of %d streams complete, %d retried\n", ok, count, retries);
  h2_conn_del(conn);
  free(streams);
  return ok == count ? 0 : 1;
}
