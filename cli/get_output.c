/*
 * Where `h2 get` puts response bodies: a file (-o, -O), or standard
 * output in the order the URLs were given. Responses arrive interleaved,
 * so a URL's body streams to stdout only once every earlier URL is done;
 * until then it is held in memory. Also the progress bar.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "get.h"

uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int output_open(transfer *t) {
  if (!t->out_path) {
    t->buffered = t->index != t->run->next_to_print;
    t->out = stdout;
    return 0;
  }
  t->out = fopen(t->out_path, "wb");
  if (!t->out) {
    snprintf(t->detail, sizeof(t->detail), "cannot write %s: %s", t->out_path,
             strerror(errno));
    return -1;
  }
  return 0;
}

static int hold(transfer *t, const uint8_t *data, size_t length) {
  if (t->buffer_length + length > t->buffer_capacity) {
    size_t capacity = t->buffer_capacity ? t->buffer_capacity * 2 : 65536;
    while (capacity < t->buffer_length + length) capacity *= 2;
    uint8_t *b = realloc(t->buffer, capacity);
    if (!b) return -1;
    t->buffer = b;
    t->buffer_capacity = capacity;
  }
  memcpy(t->buffer + t->buffer_length, data, length);
  t->buffer_length += length;
  return 0;
}

int output_write(transfer *t, const uint8_t *data, size_t length) {
  if (!t->out && output_open(t)) return -1;
  if (t->buffered) return hold(t, data, length);
  if (fwrite(data, 1, length, t->out) != length) {
    snprintf(t->detail, sizeof(t->detail), "cannot write %s: %s",
             t->out_path ? t->out_path : "standard output", strerror(errno));
    return -1;
  }
  return 0;
}

/* Prints held stdout bodies whose turn has come. */
static void release_stdout(get_run *run) {
  while (run->next_to_print < run->count) {
    transfer *t = &run->transfers[run->next_to_print];
    if (t->out_path) {
      run->next_to_print++;
      continue;
    }
    if (t->buffer_length) fwrite(t->buffer, 1, t->buffer_length, stdout);
    free(t->buffer);
    t->buffer = NULL;
    t->buffer_length = 0;
    t->buffered = 0;
    if (!t->done) return; /* it streams directly from now on */
    run->next_to_print++;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    run->write_failed = 1;
    run->write_errno = errno;
  }
}

void output_finish(transfer *t) {
  if (t->out && t->out_path) {
    if (fclose(t->out) != 0 && !t->error) {
      snprintf(t->detail, sizeof(t->detail), "cannot write %s: %s", t->out_path,
               strerror(errno));
      t->run->write_failed = 1;
    }
    t->out = NULL;
  }
  release_stdout(t->run);
}

void output_headers(transfer *t, int status, const h2_header *f, size_t n,
                    const char *label) {
  /* Headers go with the body, so they follow the same ordering. */
  char line[512];
  if (status) {
    int k = snprintf(line, sizeof(line), "%s %d\n", label, status);
    output_write(t, (const uint8_t *)line, (size_t)k);
  }
  for (size_t i = 0; i < n; i++) {
    if (f[i].name_length && f[i].name[0] == ':') continue;
    output_write(t, f[i].name, f[i].name_length);
    output_write(t, (const uint8_t *)": ", 2);
    output_write(t, f[i].value, f[i].value_length);
    output_write(t, (const uint8_t *)"\n", 1);
  }
  output_write(t, (const uint8_t *)"\n", 1);
}

static void format_size(char *out, size_t size, double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    u++;
  }
  snprintf(out, size, "%.1f %s", bytes, units[u]);
}

/* A one-line progress bar on stderr, redrawn at most five times a second. */
void progress_update(get_run *run, int final) {
  if (!run->opt->progress) return;
  uint64_t now = now_us();
  if (!final && now - run->last_progress_us < 200000) return;
  if (!final && now - run->started_us < 1000000) return; /* short transfers: none */
  run->last_progress_us = now;
  uint64_t bytes = 0, total = 0;
  int known = 1;
  for (int i = 0; i < run->count; i++) {
    bytes += run->transfers[i].bytes;
    total += run->transfers[i].content_length;
    if (!run->transfers[i].content_length) known = 0;
  }
  char got[32], all[32], rate[32];
  format_size(got, sizeof(got), (double)bytes);
  format_size(all, sizeof(all), (double)total);
  double seconds = (double)(now - run->started_us) / 1e6;
  format_size(rate, sizeof(rate), seconds > 0 ? (double)bytes / seconds : 0);
  if (known && total)
    fprintf(stderr, "\r%3d%% %s / %s  %s/s   ", (int)(100.0 * (double)bytes / (double)total),
            got, all, rate);
  else
    fprintf(stderr, "\r%s  %s/s   ", got, rate);
  run->progress_shown = 1;
  if (final) fputc('\n', stderr);
}
