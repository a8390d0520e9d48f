/*
 * The C client's internal state: requests, connections (socket, TLS
 * filter, connection core) and the loop that drives them. client.c holds
 * the API and the loop, transport.c the sockets and TLS pumping,
 * dispatch.c the mapping of core events to request callbacks, retries and
 * timeouts.
 */
#ifndef H2_CLIENT_INTERNAL_H
#define H2_CLIENT_INTERNAL_H

#include <stdint.h>

#include "h2/client.h"
#include "h2/error.h"
#include "alloc_internal.h"
#include "url.h"

#define CLIENT_READ_BUFFER (64 * 1024)

typedef struct client_conn client_conn;

typedef struct client_request {
  int id;
  h2_client *client;
  h2_response_handler handler;
  h2_url url;
  char *url_text;       /* owned copy; url points into it */
  char *method;
  h2_header *fields;    /* pseudo-headers then the caller's headers */
  size_t field_count;
  uint8_t *field_bytes;
  h2_request body;      /* body source as given (pointers are the caller's) */
  size_t body_offset;   /* bytes of a whole body accepted by the core */
  uint8_t *chunk;       /* streamed body: bytes read, not yet accepted */
  size_t chunk_start, chunk_end;
  int body_done;
  uint32_t retries;
  uint64_t retry_at_us;  /* backoff: not before this time */
  client_conn *conn;
  uint32_t stream_id;
  int headers_seen;
  int completed;
  /* expect: 100-continue: the body waits for 100 (or a second). */
  int awaiting_continue;
  uint64_t continue_deadline_us;
  uint64_t started_us;  /* when it was sent on a connection */
  struct client_request *next; /* pending queue, or the client's all-list */
  struct client_request *next_all;
} client_request;

enum conn_state { CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY, CONN_DEAD };

/* Reassembles received frame headers for the trace callback. */
typedef struct frame_tracer {
  uint8_t header[9];
  uint32_t header_have;
  h2_frame_header hd;
  uint32_t left;
  uint8_t payload[64];
  uint32_t payload_have;
} frame_tracer;

struct client_conn {
  h2_client *client;
  int fd;
  int state;
  int tls_enabled;
  char host[256], port[8], key[300];
  struct addrinfo *addresses, *next_address;
  h2_tls *tls;
  h2_conn *conn;
  uint32_t active;       /* requests on this connection */
  int epoll_out;         /* EPOLLOUT registered */
  int settings_seen;
  uint64_t opened_us, last_read_us, idle_since_us, stalled_since_us;
  uint64_t ping_sent_us;
  int failed;
  int core_failed;       /* the failure is a protocol error of the core */
  int established;       /* TCP (and TLS) were up: bytes can still go out */
  char detail[640]; /* room for a host name and an OS or TLS reason */
  uint8_t *read_buf;
  uint8_t *plain_buf;
  frame_tracer tracer;
  client_conn *next;
};

struct h2_client {
  const h2_allocator *alloc;
  h2_client_options opt;
  h2_tls_context *tls_ctx;
  int epoll_fd;
  int next_id;
  client_conn *conns;
  client_request *pending_head, *pending_tail; /* waiting for a connection */
  client_request *all;                         /* every live request */
  client_request *completed;                   /* done, freed after the turn */
  uint32_t outstanding;
  h2_client_stats stats;
};

uint64_t h2_client_now_us(void);

/* transport.c */
client_conn *h2_transport_open(h2_client *c, const h2_url *url);
void h2_transport_close(client_conn *cc);
/* Handles readiness of the socket. */
void h2_transport_on_event(client_conn *cc, uint32_t events);
/* Writes what the core and TLS have to send; registers EPOLLOUT when the
 * socket is full. */
void h2_transport_flush(client_conn *cc);
void h2_transport_fail(client_conn *cc, int code, const char *detail);
/* A last, non-blocking attempt to send what the core queued (its GOAWAY)
 * and TLS close_notify before the connection is freed. */
void h2_transport_flush_final(client_conn *cc);

/* dispatch.c */
void h2_dispatch_events(client_conn *cc);
/* The transport broke (socket, TLS, timeout): each request on it is
 * retried or fails with the transport's code and detail. */
void h2_dispatch_transport_failed(client_conn *cc);
int h2_dispatch_start(client_request *r, client_conn *cc);
void h2_dispatch_pending(h2_client *c);
void h2_dispatch_timers(h2_client *c, uint64_t now);
void h2_request_complete(client_request *r, int error, const char *detail);
void h2_dispatch_free_completed(h2_client *c);
void h2_request_pump_body(client_request *r);

/* fetch.c: building an in-memory response (also used by session.c). */
int h2_response_keep_fields(const h2_allocator *alloc, h2_header_list **list,
                            const h2_header *fields, size_t count);
int h2_response_append_body(h2_response *r, size_t *capacity, size_t max_body,
                            const uint8_t *data, size_t length);

#endif /* H2_CLIENT_INTERNAL_H */
