/* The blocking request: one request, the whole response in memory. */
#include <stdio.h>
#include <string.h>

#include "client_internal.h"
#include "hpack_header_list_internal.h"

typedef struct fetch_state {
  h2_client *client;
  h2_response *response;
  size_t max_body;
  size_t capacity;
  int error;
  int done;
} fetch_state;

int h2_response_keep_fields(const h2_allocator *alloc, h2_header_list **list,
                            const h2_header *fields, size_t count) {
  if (!*list && h2_header_list_new(list, alloc)) return H2_ERR_NOMEM;
  h2_header_list_clear(*list);
  for (size_t i = 0; i < count; i++) {
    const h2_header *f = &fields[i];
    uint8_t *dst = h2_header_list_reserve(*list, (size_t)f->name_length + f->value_length + 2);
    if (!dst) return H2_ERR_NOMEM;
    memcpy(dst, f->name, f->name_length);
    memcpy(dst + f->name_length + 1, f->value, f->value_length);
    if (h2_header_list_commit(*list, dst, f->name_length, f->value_length, f->flags))
      return H2_ERR_NOMEM;
  }
  return 0;
}

static void on_headers(void *user, int status, const h2_header *f, size_t n) {
  fetch_state *s = user;
  s->response->status = status;
  if (h2_response_keep_fields(s->client->alloc, &s->response->headers, f, n))
    s->error = H2_ERR_NOMEM;
}

static void on_trailers(void *user, const h2_header *f, size_t n) {
  fetch_state *s = user;
  if (h2_response_keep_fields(s->client->alloc, &s->response->trailers, f, n))
    s->error = H2_ERR_NOMEM;
}

int h2_response_append_body(h2_response *r, size_t *capacity, size_t max_body,
                            const uint8_t *data, size_t length) {
  if (r->body_length + length > max_body) {
    snprintf(r->error_detail, sizeof(r->error_detail),
             "the response body exceeds the limit of %zu bytes", max_body);
    return H2_ERR_INVALID_STATE;
  }
  if (r->body_length + length > *capacity) {
    size_t n = *capacity ? *capacity * 2 : 16384;
    while (n < r->body_length + length) n *= 2;
    uint8_t *body = h2_realloc(r->alloc_, r->body, n);
    if (!body) return H2_ERR_NOMEM;
    r->body = body;
    *capacity = n;
  }
  memcpy(r->body + r->body_length, data, length);
  r->body_length += length;
  return 0;
}

static int on_data(void *user, const uint8_t *data, size_t length) {
  fetch_state *s = user;
  int rv = h2_response_append_body(s->response, &s->capacity, s->max_body, data, length);
  if (rv) s->error = rv;
  return rv != 0;
}

static void on_complete(void *user, int error, const char *detail) {
  fetch_state *s = user;
  if (!s->error) s->error = error;
  if (error && !s->response->error_detail[0])
    snprintf(s->response->error_detail, sizeof(s->response->error_detail), "%s",
             detail ? detail : h2_strerror(error));
  s->done = 1;
}

int h2_client_fetch(h2_client *c, const h2_request *request, size_t max_body,
                    h2_response *response) {
  memset(response, 0, sizeof(*response));
  if (!c || !request) return H2_ERR_INVALID_ARGUMENT;
  response->alloc_ = c->alloc;
  fetch_state s = {c, response, max_body ? max_body : (64u << 20), 0, 0, 0};
  h2_response_handler h = {NULL, on_headers, on_data, on_trailers, on_complete, &s};
  int id = h2_client_submit(c, request, &h);
  if (id < 0) {
    snprintf(response->error_detail, sizeof(response->error_detail),
             "invalid request (check the URL and header names)");
    return id;
  }
  while (!s.done) {
    int rv = h2_client_run(c, 1000);
    if (rv && rv != H2_ERR_TIMEOUT) return rv;
  }
  return s.error;
}

void h2_response_free(h2_client *c, h2_response *response) {
  (void)c;
  if (!response) return;
  h2_header_list_del(response->headers);
  h2_header_list_del(response->trailers);
  if (response->body) h2_free(response->alloc_, response->body);
  memset(response, 0, sizeof(*response));
}
