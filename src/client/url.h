/* URL parsing for the client: just what an HTTP/2 request needs. */
#ifndef H2_CLIENT_URL_H
#define H2_CLIENT_URL_H

#include <stddef.h>

typedef struct h2_url {
  int tls;             /* https */
  char host[256];      /* without brackets for IPv6 literals */
  char port[8];        /* decimal */
  char authority[272]; /* host[:port] as it goes in :authority */
  /* Path and query (pointing into the URL). When the URL has no path,
   * `slash` is 1 and the request path is "/" followed by these bytes
   * (empty, or the query). */
  const char *path;
  size_t path_length;
  int slash;
} h2_url;

/* Parses an absolute http:// or https:// URL. Returns 0, or -1 with a
 * sentence in *why. User info and fragments are refused / dropped. */
int h2_url_parse(h2_url *url, const char *text, const char **why);

#endif /* H2_CLIENT_URL_H */
