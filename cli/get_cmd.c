/*
 * `h2 get URL...`: fetches URLs, all those of one origin multiplexed on one
 * connection. Options follow curl's where they overlap (-X -H -d -o -O -i
 * -I -v -k --cacert --cert --key --connect-timeout --max-time --fail), and
 * the exit status tells failure kinds apart with curl's numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "get.h"

/* Exit statuses, as curl numbers them where curl has one. */
enum {
  EXIT_USAGE = 2, EXIT_BAD_URL = 3, EXIT_CONNECT = 7, EXIT_HTTP2 = 16,
  EXIT_PARTIAL = 18, EXIT_HTTP_ERROR = 22, EXIT_WRITE = 23, EXIT_TIMEOUT = 28,
  EXIT_TLS = 35, EXIT_TLS_VERIFY = 60, EXIT_STREAM = 92
};

static void usage(FILE *out) {
  fputs("Usage: h2 get [options] URL...\n"
        "Fetches URLs over HTTP/2: http:// with prior knowledge (h2c), https://\n"
        "with TLS and ALPN h2. URLs of one origin share one connection.\n"
        "\n"
        "  -X, --request METHOD   request method (GET; POST with -d)\n"
        "  -H, --header 'N: V'    add a request header (repeatable)\n"
        "  -d, --data DATA        request body; @FILE reads a file, @- stdin\n"
        "      --trailer 'N: V'   send a request trailer (repeatable)\n"
        "  -o, --output FILE      write the body to FILE (one URL)\n"
        "  -O, --remote-name      write each body to its URL's file name\n"
        "  -i, --include          print response headers before the body\n"
        "  -I, --head             send HEAD and print the headers\n"
        "  -v, --verbose          trace every frame sent and received\n"
        "      --stats            print timings, RTT, bytes, connections\n"
        "      --fail             exit 22 when a status is 400 or more\n"
        "  -k, --insecure         do not verify the server's certificate\n"
        "      --cacert FILE      trust the CAs in FILE\n"
        "      --cert FILE        client certificate (PEM)\n"
        "      --key FILE         client private key (PEM)\n"
        "      --connect-timeout S  seconds for TCP, TLS and SETTINGS\n"
        "  -m, --max-time S       seconds for the whole run\n"
        "      --limit NAME=VAL   set a protocol limit (--limit help lists them)\n"
        "\n"
        "Exit status: 0 ok, 2 usage, 3 bad URL, 7 cannot connect, 16 HTTP/2\n"
        "error (not h2, ALPN), 18 response cut short, 22 --fail status, 23 write\n"
        "error, 28 timeout, 35 TLS error, 60 certificate not trusted, 92 stream\n"
        "reset by the server.\n",
        out);
}

#define bad_usage(...) h2_cli_bad_usage("get", __VA_ARGS__)

/* Parses "Name: value" into a field; the name is lowercased in place. */
static int parse_field(char *text, h2_header *f) {
  char *colon = strchr(text, ':');
  if (!colon || colon == text) return -1;
  char *end = colon;
  while (end > text && (end[-1] == ' ' || end[-1] == '\t')) end--;
  for (char *p = text; p < end; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  char *value = colon + 1;
  while (*value == ' ' || *value == '\t') value++;
  *f = (h2_header){(const uint8_t *)text, (const uint8_t *)value,
                   (uint32_t)(end - text), (uint32_t)strlen(value), 0, 0};
  return 0;
}

static int read_stream(FILE *in, uint8_t **data, size_t *length) {
  size_t capacity = 65536;
  *data = malloc(capacity);
  *length = 0;
  size_t n;
  while (*data && (n = fread(*data + *length, 1, capacity - *length, in)) > 0) {
    *length += n;
    if (*length == capacity) *data = realloc(*data, capacity *= 2);
  }
  return *data && !ferror(in) ? 0 : -1;
}

static int load_body(get_options *o, const char *arg) {
  o->has_body = 1;
  if (arg[0] != '@') {
    o->body_length = strlen(arg);
    o->body = malloc(o->body_length + 1);
    memcpy(o->body, arg, o->body_length + 1);
    return 0;
  }
  FILE *in = strcmp(arg + 1, "-") == 0 ? stdin : fopen(arg + 1, "rb");
  if (!in) {
    fprintf(stderr, "h2 get: cannot read %s: %s\n", arg + 1, strerror(errno));
    return EXIT_USAGE;
  }
  int rv = read_stream(in, &o->body, &o->body_length);
  if (in != stdin) fclose(in);
  if (rv) fprintf(stderr, "h2 get: cannot read %s: %s\n", arg + 1, strerror(errno));
  return rv ? EXIT_USAGE : 0;
}

/* --limit NAME=VALUE: every limit of the connection core, by name. */
typedef struct limit_name {
  const char *name;
  size_t offset;
} limit_name;

#define LIMIT(n, field) {n, offsetof(h2_conn_options, field)}
static const limit_name limits[] = {
    LIMIT("header-table-size", header_table_size),
    LIMIT("initial-window-size", initial_window_size),
    LIMIT("max-frame-size", max_frame_size),
    LIMIT("max-header-list-size", max_header_list_size),
    LIMIT("connection-window-size", connection_window_size),
    LIMIT("encoder-table-cap", encoder_table_cap),
    LIMIT("max-header-fields", max_header_fields),
    LIMIT("max-continuations", max_continuations),
    LIMIT("max-concurrent-streams", max_concurrent_streams),
    LIMIT("initial-max-concurrent-streams", initial_max_concurrent_streams),
    LIMIT("max-settings-entries", max_settings_entries),
    LIMIT("max-pending-acks", max_pending_acks),
    LIMIT("max-send-buffer", max_send_buffer),
    LIMIT("glitch-burst", glitch_burst),
    LIMIT("glitch-per-second", glitch_per_second),
    LIMIT("max-local-resets", max_local_resets),
    LIMIT("max-interim-responses", max_interim_responses),
    LIMIT("settings-timeout-ms", settings_timeout_ms),
    LIMIT("max-goaway-debug", max_goaway_debug),
    LIMIT("small-data-budget", small_data_budget),
    LIMIT("max-unconfirmed-resets", max_unconfirmed_resets),
    LIMIT("recent-reset-streams", recent_reset_streams),
    LIMIT("recent-reset-ms", recent_reset_ms),
};

static int set_limit(get_options *o, const char *arg) {
  const char *eq = strchr(arg, '=');
  char *end;
  unsigned long value = eq ? strtoul(eq + 1, &end, 10) : 0;
  if (!eq || eq[1] == 0 || *end || value > UINT32_MAX) return -1;
  for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
    if (strlen(limits[i].name) == (size_t)(eq - arg) &&
        !strncmp(limits[i].name, arg, (size_t)(eq - arg))) {
      uint32_t v = (uint32_t)value;
      memcpy((char *)&o->client.conn + limits[i].offset, &v, sizeof(v));
      return 0;
    }
  return -1;
}

static void print_limits(FILE *out) {
  fputs("Limits for --limit NAME=VALUE (docs/limits.md explains each):\n", out);
  for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
    fprintf(out, "  %s\n", limits[i].name);
}

static int parse_seconds(const char *arg, uint32_t *ms) {
  char *end;
  double s = strtod(arg, &end);
  if (*end || s <= 0 || s > 86400) return -1;
  *ms = (uint32_t)(s * 1000);
  return 0;
}

/* Options that take a value; returns 0, or an exit status. */
static int value_option(get_options *o, const char *name, char *value) {
  h2_tls_options *tls = &o->client.tls;
  if (!strcmp(name, "-X") || !strcmp(name, "--request")) o->method = value;
  else if (!strcmp(name, "-H") || !strcmp(name, "--header")) {
    if (o->header_count == GET_MAX_HEADERS || parse_field(value, &o->headers[o->header_count++]))
      return bad_usage("bad header '%s' (expected 'Name: value')", value);
  } else if (!strcmp(name, "--trailer")) {
    if (o->trailer_count == GET_MAX_HEADERS || parse_field(value, &o->trailers[o->trailer_count++]))
      return bad_usage("bad trailer '%s' (expected 'Name: value')", value);
  } else if (!strcmp(name, "-d") || !strcmp(name, "--data")) return load_body(o, value);
  else if (!strcmp(name, "-o") || !strcmp(name, "--output")) o->output = value;
  else if (!strcmp(name, "--limit")) {
    if (set_limit(o, value)) {
      print_limits(stderr);
      return bad_usage("bad --limit '%s'", value);
    }
  } else if (!strcmp(name, "--cacert")) tls->ca_file = value;
  else if (!strcmp(name, "--cert")) tls->cert_file = value;
  else if (!strcmp(name, "--key")) tls->key_file = value;
  else if (!strcmp(name, "--connect-timeout")) {
    if (parse_seconds(value, &o->client.connect_timeout_ms))
      return bad_usage("bad --connect-timeout '%s' (seconds)", value);
  } else if (!strcmp(name, "-m") || !strcmp(name, "--max-time")) {
    if (parse_seconds(value, &o->max_time_ms))
      return bad_usage("bad --max-time '%s' (seconds)", value);
  } else return -1;
  return 0;
}

static int flag_option(get_options *o, const char *name) {
  if (!strcmp(name, "-O") || !strcmp(name, "--remote-name")) o->remote_name = 1;
  else if (!strcmp(name, "-i") || !strcmp(name, "--include")) o->include_headers = 1;
  else if (!strcmp(name, "-I") || !strcmp(name, "--head")) {
    o->method = "HEAD";
    o->include_headers = 1;
  } else if (!strcmp(name, "-v") || !strcmp(name, "--verbose")) o->verbose = 1;
  else if (!strcmp(name, "--stats")) o->stats = 1;
  else if (!strcmp(name, "--fail")) o->fail_on_error = 1;
  else if (!strcmp(name, "-k") || !strcmp(name, "--insecure"))
    o->client.tls.flags |= H2_TLS_INSECURE;
  else return -1;
  return 0;
}

static int parse_args(get_options *o, int argc, char **argv, char ***urls, int *count) {
  *urls = calloc((size_t)argc, sizeof(char *));
  *count = 0;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    }
    if (a[0] != '-' || !strcmp(a, "-")) {
      (*urls)[(*count)++] = a;
      continue;
    }
    if (flag_option(o, a) == 0) continue;
    if (i + 1 >= argc) return bad_usage("option %s needs a value", a);
    int rv = value_option(o, a, argv[i + 1]);
    if (rv < 0) return bad_usage("unknown option %s", a);
    if (rv) return rv;
    i++;
  }
  if (!*count) return bad_usage("%s", "no URL given");
  if (o->output && *count > 1) return bad_usage("%s", "-o takes one URL; use -O for several");
  return 0;
}

/* ---- Response callbacks ------------------------------------------------- */

static void on_informational(void *user, int status, const h2_header *f, size_t n) {
  transfer *t = user;
  if (t->run->opt->include_headers) output_headers(t, status, f, n, "HTTP/2");
}

static void on_headers(void *user, int status, const h2_header *f, size_t n) {
  transfer *t = user;
  t->status = status;
  t->first_byte_us = now_us();
  for (size_t i = 0; i < n; i++)
    if (f[i].name_length == 14 && !memcmp(f[i].name, "content-length", 14))
      t->content_length = strtoull((const char *)f[i].value, NULL, 10);
  if (t->run->opt->include_headers) output_headers(t, status, f, n, "HTTP/2");
}

static int on_data(void *user, const uint8_t *data, size_t length) {
  transfer *t = user;
  t->bytes += length;
  progress_update(t->run, 0);
  /* With --fail, an error response's body is not output (as curl). */
  if (t->run->opt->fail_on_error && t->status >= 400) return 0;
  if (output_write(t, data, length)) {
    t->write_error = 1;
    t->run->write_failed = 1;
    return 1;
  }
  return 0;
}

static void on_trailers(void *user, const h2_header *f, size_t n) {
  transfer *t = user;
  if (t->run->opt->include_headers) output_headers(t, 0, f, n, "");
}

static void on_complete(void *user, int error, const char *detail) {
  transfer *t = user;
  t->done = 1;
  t->finished_us = now_us();
  if (error && !t->error) {
    t->error = error;
    if (!t->detail[0]) snprintf(t->detail, sizeof(t->detail), "%s", detail);
  }
  output_finish(t);
}

/* ---- Running ---------------------------------------------------------- */

static const char *remote_name(const char *url) {
  const char *end = url + strcspn(url, "?#");
  const char *slash = end;
  while (slash > url && slash[-1] != '/') slash--;
  return slash < end ? strndup(slash, (size_t)(end - slash)) : "index.html";
}

static int submit_all(h2_client *client, get_run *run, char **urls) {
  get_options *o = run->opt;
  for (int i = 0; i < run->count; i++) {
    transfer *t = &run->transfers[i];
    t->url = urls[i];
    t->index = i;
    t->run = run;
    t->out_path = o->output ? o->output : o->remote_name ? remote_name(urls[i]) : NULL;
    t->started_us = now_us();
    h2_request req = {0};
    req.method = o->method ? o->method : o->has_body ? "POST" : "GET";
    req.url = urls[i];
    req.headers = o->headers;
    req.header_count = o->header_count;
    req.body = o->body;
    req.body_length = o->body_length;
    req.trailers = o->trailers;
    req.trailer_count = o->trailer_count;
    h2_response_handler h = {on_informational, on_headers, on_data, on_trailers,
                             on_complete, t};
    int id = h2_client_submit(client, &req, &h);
    if (id < 0) {
      fprintf(stderr, "h2 get: %s: %s\n", urls[i],
              id == H2_ERR_INVALID_ARGUMENT ? "not a valid http:// or https:// URL"
              : id == H2_ERR_INVALID_HEADER
                  ? "invalid request header (names must be lowercase tokens; "
                    "connection-specific fields such as connection, keep-alive, "
                    "transfer-encoding and upgrade are not allowed in HTTP/2)"
                  : h2_strerror(id));
      return id == H2_ERR_INVALID_ARGUMENT ? EXIT_BAD_URL : EXIT_USAGE;
    }
  }
  return 0;
}

static int exit_status(int error) {
  switch (error) {
    case H2_ERR_SYSTEM: return EXIT_CONNECT;
    case H2_ERR_TIMEOUT: return EXIT_TIMEOUT;
    case H2_ERR_TLS: return EXIT_TLS;
    case H2_ERR_TLS_VERIFY: return EXIT_TLS_VERIFY;
    case H2_ERR_TLS_ALPN:
    case H2_ERR_NOT_HTTP2: return EXIT_HTTP2;
    case H2_ERR_CONNECTION_CLOSED: return EXIT_PARTIAL;
    default: break;
  }
  if (h2_error_is_stream_level(error)) return EXIT_STREAM;
  return EXIT_HTTP2;
}

/* A sentence a person can act on, for the errors people meet most. */
static const char *advice(int error) {
  switch (error) {
    case H2_ERR_TLS_ALPN:
      return " (the server does not offer HTTP/2 over TLS; try http:// if it "
             "speaks h2c, or another client for HTTP/1.1)";
    case H2_ERR_NOT_HTTP2:
      return " (is this an HTTP/1.1-only server? http:// URLs use HTTP/2 with "
             "prior knowledge)";
    case H2_ERR_TLS_VERIFY:
      return " (use --cacert FILE to trust its CA, or -k to skip verification)";
    default: return "";
  }
}

static int report(get_run *run, h2_client *client) {
  int status = 0;
  for (int i = 0; i < run->count; i++) {
    transfer *t = &run->transfers[i];
    if (t->write_error) {
      fprintf(stderr, "h2 get: %s: %s\n", t->url, t->detail);
      if (!status) status = EXIT_WRITE;
    } else if (t->error) {
      fprintf(stderr, "h2 get: %s: %s%s\n", t->url, t->detail, advice(t->error));
      if (!status) status = exit_status(t->error);
    } else if (run->opt->fail_on_error && t->status >= 400) {
      fprintf(stderr, "h2 get: %s: the server answered %d\n", t->url, t->status);
      if (!status) status = EXIT_HTTP_ERROR;
    }
  }
  if (run->write_failed && !status) {
    fprintf(stderr, "h2 get: cannot write standard output: %s\n",
            strerror(run->write_errno ? run->write_errno : EIO));
    status = EXIT_WRITE;
  }
  if (run->opt->stats) {
    h2_client_stats s;
    h2_client_get_stats(client, &s);
    fprintf(stderr, "connections: %llu  requests: %llu ok, %llu failed, %llu retried\n"
            "connect: %.3f ms  rtt: %.3f ms  sent: %llu B  received: %llu B\n",
            (unsigned long long)s.connections_opened, (unsigned long long)s.requests_completed,
            (unsigned long long)s.requests_failed, (unsigned long long)s.retries,
            (double)s.connect_us / 1000, (double)s.rtt_us / 1000,
            (unsigned long long)s.bytes_sent, (unsigned long long)s.bytes_received);
    static const char *counter_names[H2_COUNTER_COUNT] = {
        "header list too large", "too many fields", "CONTINUATION flood",
        "glitch flood", "ACK flood", "SETTINGS too large", "local reset flood",
        "interim flood", "malformed response", "flow-control violation",
        "SETTINGS timeout", "small DATA flood", "resets paced",
        "connection-specific fields dropped"};
    for (int i = 0; i < H2_COUNTER_COUNT; i++)
      if (s.counters[i])
        fprintf(stderr, "limit fired: %s x%llu\n", counter_names[i],
                (unsigned long long)s.counters[i]);
    for (int i = 0; i < run->count; i++) {
      transfer *t = &run->transfers[i];
      fprintf(stderr, "  %s: status %d, %llu B, first byte %.3f ms, total %.3f ms\n", t->url,
              t->status, (unsigned long long)t->bytes,
              t->first_byte_us ? (double)(t->first_byte_us - t->started_us) / 1000 : 0.0,
              (double)(t->finished_us - t->started_us) / 1000);
    }
  }
  return status;
}

int h2_cli_get(int argc, char **argv) {
  get_options o;
  memset(&o, 0, sizeof(o));
  h2_client_options_init(&o.client);
  char **urls;
  int count, rv = parse_args(&o, argc, argv, &urls, &count);
  if (rv) return rv;
  get_run run = {&o, calloc((size_t)count, sizeof(transfer)), count, 0, now_us(), 0, 0, 0, 0};
  o.progress = isatty(2) && !o.verbose && (o.output || o.remote_name || !isatty(1));
  if (o.verbose) {
    o.client.trace = trace_frame;
    o.client.trace_user = &run;
  }
  if (o.stats) o.client.flags |= H2_CLIENT_MEASURE_RTT;
  /* All URLs of an origin share one connection; requests beyond the
   * server's stream limit wait for a slot on it. */
  o.client.max_connections_per_origin = 1;
  h2_client *client;
  if ((rv = h2_client_new(&client, &o.client, NULL))) {
    fprintf(stderr, "h2 get: cannot start: %s\n", h2_strerror(rv));
    return EXIT_USAGE;
  }
  rv = submit_all(client, &run, urls);
  if (!rv && h2_client_run(client, o.max_time_ms ? (int)o.max_time_ms : -1) == H2_ERR_TIMEOUT) {
    fprintf(stderr, "h2 get: the transfer took longer than --max-time\n");
    rv = EXIT_TIMEOUT;
  }
  if (run.progress_shown) progress_update(&run, 1);
  if (!rv) rv = report(&run, client);
  h2_client_del(client);
  free(run.transfers);
  free(urls);
  free(o.body);
  return rv;
}
