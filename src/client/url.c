/* URL parsing: scheme, authority (host, optional port, IPv6 literals in
 * brackets), and the path with its query. */
#include "url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int parse_scheme(h2_url *url, const char **p, const char **why) {
  if (strncasecmp(*p, "https://", 8) == 0) {
    url->tls = 1;
    *p += 8;
  } else if (strncasecmp(*p, "http://", 7) == 0) {
    url->tls = 0;
    *p += 7;
  } else {
    *why = "the URL must start with http:// or https://";
    return -1;
  }
  return 0;
}

static int parse_host(h2_url *url, const char *start, const char *end,
                      const char **port, const char **why) {
  const char *host_end;
  *port = NULL;
  if (*start == '[') {
    host_end = memchr(start, ']', (size_t)(end - start));
    if (!host_end) {
      *why = "unterminated IPv6 address in the URL";
      return -1;
    }
    start++;
    if (host_end + 1 < end) {
      if (host_end[1] != ':') {
        *why = "unexpected text after the IPv6 address";
        return -1;
      }
      *port = host_end + 2;
    }
  } else {
    host_end = memchr(start, ':', (size_t)(end - start));
    if (host_end) *port = host_end + 1;
    else host_end = end;
  }
  size_t n = (size_t)(host_end - start);
  if (n == 0 || n >= sizeof(url->host)) {
    *why = n ? "host name too long" : "the URL has no host";
    return -1;
  }
  memcpy(url->host, start, n);
  url->host[n] = 0;
  return 0;
}

static int parse_port(h2_url *url, const char *port, const char *end,
                      const char **why) {
  if (!port) {
    strcpy(url->port, url->tls ? "443" : "80");
    return 0;
  }
  size_t n = (size_t)(end - port);
  unsigned long value = 0;
  for (size_t i = 0; i < n; i++) {
    if (port[i] < '0' || port[i] > '9') n = 0;
    else value = value * 10 + (unsigned long)(port[i] - '0');
    if (value > 65535) n = 0;
  }
  if (n == 0 || value == 0) {
    *why = "invalid port in the URL";
    return -1;
  }
  snprintf(url->port, sizeof(url->port), "%lu", value);
  return 0;
}

int h2_url_parse(h2_url *url, const char *text, const char **why) {
  memset(url, 0, sizeof(*url));
  const char *p = text;
  if (parse_scheme(url, &p, why)) return -1;
  const char *end = p + strcspn(p, "/?#");
  if (memchr(p, '@', (size_t)(end - p))) {
    *why = "user information in URLs is not supported";
    return -1;
  }
  const char *port;
  if (parse_host(url, p, end, &port, why) || parse_port(url, port, end, why))
    return -1;
  int default_port = strcmp(url->port, url->tls ? "443" : "80") == 0;
  int ipv6 = strchr(url->host, ':') != NULL;
  snprintf(url->authority, sizeof(url->authority), "%s%s%s%s%s",
           ipv6 ? "[" : "", url->host, ipv6 ? "]" : "",
           default_port ? "" : ":", default_port ? "" : url->port);
  url->path = end;
  url->path_length = strcspn(end, "#");
  /* "http://h" and "http://h?q" both name the root. */
  url->slash = *end != '/';
  for (size_t i = 0; i < url->path_length; i++) {
    unsigned char c = (unsigned char)url->path[i];
    if (c <= 0x20 || c == 0x7f) {
      *why = "the URL contains spaces or control characters";
      return -1;
    }
  }
  return 0;
}
