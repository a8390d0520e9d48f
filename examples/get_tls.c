/*
 * get_tls: one GET over HTTP/2 on TLS (https://, ALPN "h2") with
 * h2_client_fetch. The server's certificate is verified against the
 * system's CA store, or against the CAs in CA_FILE when one is given (for
 * a private CA or a self-signed certificate). Prints the status, the
 * response headers and the length of the body.
 *
 * Build against an installed libh2 with:
 *
 *   cc -std=c11 get_tls.c $(pkg-config --cflags --libs libh2) -o get_tls
 *   ./get_tls https://localhost:18481/index.html build/quickstart/cert.pem
 *
 * (examples/CMakeLists.txt builds it in the libh2 tree as
 * build/examples/get_tls.) Exit status: 0 when a response arrived, 1 when
 * the request failed, 2 for wrong usage.
 */
#include <h2/h2.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s https://HOST[:PORT]/PATH [CA_FILE]\n", argv[0]);
    return 2;
  }

  h2_client_options options;
  h2_client_options_init(&options);
  if (argc == 3) options.tls.ca_file = argv[2]; /* PEM; replaces the system store */
  options.connect_timeout_ms = 5000;             /* TCP + TLS + SETTINGS */

  h2_client *client;
  int rv = h2_client_new(&client, &options, NULL);
  if (rv) {
    fprintf(stderr, "h2_client_new: %s\n", h2_strerror(rv));
    return 1;
  }

  h2_request request = {0};
  request.url = argv[1];
  h2_response response;
  rv = h2_client_fetch(client, &request, 0, &response);
  if (rv) {
    /* The detail names the reason, e.g. "certificate verify failed: ...". */
    fprintf(stderr, "%s: %s: %s\n", argv[1], h2_strerror(rv), response.error_detail);
    if (rv == H2_ERR_TLS_VERIFY)
      fprintf(stderr, "(give the CA that signed the server's certificate as CA_FILE)\n");
  } else {
    printf("status: %d\n", response.status);
    const h2_header *fields = h2_header_list_fields(response.headers);
    size_t count = h2_header_list_count(response.headers);
    for (size_t i = 0; i < count; i++)
      printf("%.*s: %.*s\n", (int)fields[i].name_length, (const char *)fields[i].name,
             (int)fields[i].value_length, (const char *)fields[i].value);
    printf("body: %zu bytes\n", response.body_length);
  }

  h2_response_free(client, &response);
  h2_client_del(client);
  return rv ? 1 : 0;
}
