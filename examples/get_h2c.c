/*
 * get_h2c: one GET over cleartext HTTP/2 (h2c, prior knowledge) with
 * h2_client_fetch, the blocking call that returns the whole response.
 * Prints the status, the response headers and the length of the body.
 *
 * Build against an installed libh2 with:
 *
 *   cc -std=c11 get_h2c.c $(pkg-config --cflags --libs libh2) -o get_h2c
 *   ./get_h2c http://127.0.0.1:18480/index.html
 *
 * (examples/CMakeLists.txt builds it in the libh2 tree as
 * build/examples/get_h2c.) Exit status: 0 when a response arrived, 1 when
 * the request failed, 2 for wrong usage.
 */
#include <h2/h2.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s http://HOST:PORT/PATH\n", argv[0]);
    return 2;
  }

  /* NULL options: the defaults of h2_client_options_init. */
  h2_client *client;
  int rv = h2_client_new(&client, NULL, NULL);
  if (rv) {
    fprintf(stderr, "h2_client_new: %s\n", h2_strerror(rv));
    return 1;
  }

  h2_request request = {0}; /* method NULL means GET; no headers, no body */
  request.url = argv[1];
  h2_response response;
  rv = h2_client_fetch(client, &request, 0 /* body limit: 64 MiB */, &response);
  if (rv) {
    fprintf(stderr, "%s: %s: %s\n", argv[1], h2_strerror(rv), response.error_detail);
  } else {
    printf("status: %d\n", response.status);
    const h2_header *fields = h2_header_list_fields(response.headers);
    size_t count = h2_header_list_count(response.headers);
    for (size_t i = 0; i < count; i++)
      printf("%.*s: %.*s\n", (int)fields[i].name_length, (const char *)fields[i].name,
             (int)fields[i].value_length, (const char *)fields[i].value);
    printf("body: %zu bytes\n", response.body_length);
  }

  h2_response_free(client, &response); /* after success and failure alike */
  h2_client_del(client);
  return rv ? 1 : 0;
}
