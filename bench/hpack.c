/*
 * HPACK benchmark: libh2 against libnghttp2 on the same header sets, in one
 * process, so that the ratio between them is honest on a noisy machine.
 *
 * Usage: hpack [--rounds N] DIR
 *
 * DIR holds story files in the hpack-test-case JSON format (every *.json
 * file is read). Each story is one connection: its cases are decoded by a
 * fresh decoder, and its header lists encoded by a fresh encoder, in order.
 * Everything is loaded and converted into each library's input structures
 * before any timing starts, and the timed loops do no I/O and no
 * per-field allocation of their own.
 *
 * Before timing, the two libraries are cross-checked on every case: both
 * decoders must produce the corpus's header lists from its wire, and each
 * library must decode the other's encoding back to the input. Any
 * disagreement aborts the run, because a fast wrong answer is worthless.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <nghttp2/nghttp2.h>

#include "h2/error.h"
#include "h2/hpack.h"

#define DEFAULT_ROUNDS 5
#define ENCODER_TABLE_SIZE 4096u

/* ---- Corpus ------------------------------------------------------------ */

/* One header list with its wire encoding, in both libraries' shapes. The
 * h2_header and nghttp2_nv arrays point into the same `bytes`. */
typedef struct bench_case {
  h2_header *fields;
  nghttp2_nv *nvs;
  size_t count;
  uint8_t *bytes;
  uint8_t *wire;
  size_t wire_length;
  uint64_t list_size; /* name + value + 32 per field */
} bench_case;

typedef struct bench_story {
  char *path;
  bench_case *cases;
  size_t count;
  uint32_t table_size; /* the largest header_table_size of its cases */
} bench_story;

typedef struct corpus {
  bench_story *stories;
  size_t count;
  size_t cases;
  size_t fields;
  size_t wire_bytes;
  uint64_t list_bytes;
  size_t encode_capacity; /* fits either encoder's bound for any case */
} corpus;

/* Reports a problem with the input or the environment and exits; `where`
 * (a file or directory) may be NULL. */
static void die(const char *where, const char *problem) {
  if (where)
    fprintf(stderr, "hpack bench: %s: %s\n", where, problem);
  else
    fprintf(stderr, "hpack bench: %s\n", problem);
  exit(EXIT_FAILURE);
}

/* Disagreements between the libraries abort (with a core, if enabled) so
 * that they cannot scroll by unnoticed in a benchmark log. */
static void mismatch(const char *what, const bench_story *story,
                     size_t case_index) {
  fprintf(stderr, "hpack bench: MISMATCH: %s in %s, case %zu\n", what,
          story->path, case_index);
  abort();
}

static void *xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p) die(NULL, "out of memory");
  return p;
}

static int hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static uint8_t *decode_hex(const char *hex, size_t hex_length,
                           size_t *length, const char *path) {
  if (hex_length % 2) die(path, "odd-length wire");
  uint8_t *out = xmalloc(hex_length / 2);
  for (size_t i = 0; i < hex_length / 2; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) die(path, "bad hex in wire");
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *length = hex_length / 2;
  return out;
}

/* Sums the bytes the case's fields need, so they fit in one allocation. */
static size_t headers_bytes(json_t *headers, const char *path) {
  size_t total = 0, i;
  json_t *field;
  json_array_foreach(headers, i, field) {
    const char *name;
    json_t *value;
    if (!json_is_object(field) || json_object_size(field) != 1)
      die(path, "a header must be a one-member object");
    json_object_foreach(field, name, value) {
      if (!json_is_string(value)) die(path, "header value not a string");
      total += strlen(name) + json_string_length(value);
    }
  }
  return total;
}

static void set_field(bench_case *c, size_t i, const char *name,
                      json_t *value, uint8_t **cursor) {
  size_t name_length = strlen(name), value_length = json_string_length(value);
  uint8_t *n = *cursor, *v = n + name_length;
  memcpy(n, name, name_length);
  memcpy(v, json_string_value(value), value_length);
  *cursor = v + value_length;
  c->fields[i] = (h2_header){n, v, (uint32_t)name_length,
                             (uint32_t)value_length, H2_HEADER_NONE, 0};
  c->nvs[i] = (nghttp2_nv){n, v, name_length, value_length,
                           NGHTTP2_NV_FLAG_NONE};
  c->list_size += name_length + value_length + H2_HPACK_ENTRY_OVERHEAD;
}

static void load_case(bench_case *c, json_t *json, const char *path) {
  json_t *headers = json_object_get(json, "headers");
  json_t *wire = json_object_get(json, "wire");
  if (!json_is_array(headers)) die(path, "case without headers");
  if (!json_is_string(wire))
    die(path, "case without wire (generate the corpus with --wire-from "
              "python)");
  c->wire = decode_hex(json_string_value(wire), json_string_length(wire),
                       &c->wire_length, path);
  c->count = json_array_size(headers);
  c->fields = xmalloc(c->count * sizeof(*c->fields));
  c->nvs = xmalloc(c->count * sizeof(*c->nvs));
  c->bytes = xmalloc(headers_bytes(headers, path));
  c->list_size = 0;
  uint8_t *cursor = c->bytes;
  size_t i;
  json_t *field;
  json_array_foreach(headers, i, field) {
    const char *name;
    json_t *value;
    json_object_foreach(field, name, value) set_field(c, i, name, value,
                                                      &cursor);
  }
}

static void load_story(bench_story *story, const char *path) {
  json_error_t error;
  json_t *root = json_load_file(path, 0, &error);
  if (!root) {
    fprintf(stderr, "hpack bench: %s:%d: %s\n", path, error.line, error.text);
    exit(EXIT_FAILURE);
  }
  json_t *cases = json_object_get(root, "cases");
  if (!json_is_array(cases)) die(path, "no cases array");
  story->path = strdup(path);
  story->count = json_array_size(cases);
  story->cases = xmalloc(story->count * sizeof(*story->cases));
  story->table_size = H2_HPACK_DEFAULT_TABLE_SIZE;
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    json_t *size = json_object_get(c, "header_table_size");
    if (json_is_integer(size) &&
        json_integer_value(size) > (json_int_t)story->table_size)
      story->table_size = (uint32_t)json_integer_value(size);
    load_case(&story->cases[i], c, path);
  }
  json_decref(root);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_story_file(const char *name) {
  size_t length = strlen(name);
  return length > 5 && strcmp(name + length - 5, ".json") == 0;
}

/* The story files of dir, sorted so every run reads them in one order. */
static char **list_stories(const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  if (!d) die(dir, strerror(errno));
  size_t n = 0, capacity = 64;
  char **paths = xmalloc(capacity * sizeof(*paths));
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL) {
    if (!is_story_file(entry->d_name)) continue;
    if (n == capacity) {
      capacity *= 2;
      paths = realloc(paths, capacity * sizeof(*paths));
      if (!paths) die(NULL, "out of memory");
    }
    paths[n] = xmalloc(strlen(dir) + strlen(entry->d_name) + 2);
    sprintf(paths[n], "%s/%s", dir, entry->d_name);
    n++;
  }
  closedir(d);
  if (!n) die(dir, "no *.json story files");
  qsort(paths, n, sizeof(*paths), compare_names);
  *count = n;
  return paths;
}

/* The largest output either encoder may need for one case. */
static size_t encode_bound(const bench_case *c, const h2_hpack_encoder *enc,
                           nghttp2_hd_deflater *deflater) {
  size_t ours = h2_hpack_encode_bound(enc, c->fields, c->count);
  size_t theirs = nghttp2_hd_deflate_bound(deflater, c->nvs, c->count);
  return ours > theirs ? ours : theirs;
}

static void load_corpus(corpus *c, const char *dir) {
  char **paths = list_stories(dir, &c->count);
  c->stories = xmalloc(c->count * sizeof(*c->stories));
  h2_hpack_encoder *enc;
  nghttp2_hd_deflater *deflater;
  if (h2_hpack_encoder_new(&enc, ENCODER_TABLE_SIZE, NULL) ||
      nghttp2_hd_deflate_new2(&deflater, ENCODER_TABLE_SIZE, NULL))
    die(NULL, "cannot create encoders");
  for (size_t s = 0; s < c->count; s++) {
    bench_story *story = &c->stories[s];
    load_story(story, paths[s]);
    free(paths[s]);
    for (size_t i = 0; i < story->count; i++) {
      const bench_case *k = &story->cases[i];
      size_t bound = encode_bound(k, enc, deflater);
      if (bound > c->encode_capacity) c->encode_capacity = bound;
      c->fields += k->count;
      c->wire_bytes += k->wire_length;
      c->list_bytes += k->list_size;
    }
    c->cases += story->count;
  }
  free(paths);
  h2_hpack_encoder_del(enc);
  nghttp2_hd_deflate_del(deflater);
}

static void free_corpus(corpus *c) {
  for (size_t s = 0; s < c->count; s++) {
    bench_story *story = &c->stories[s];
    for (size_t i = 0; i < story->count; i++) {
      free(story->cases[i].fields);
      free(story->cases[i].nvs);
      free(story->cases[i].bytes);
      free(story->cases[i].wire);
    }
    free(story->cases);
    free(story->path);
  }
  free(c->stories);
}

/* ---- Decoded-field capture for the cross-checks ------------------------ */

/* Fields copied out of nghttp2's inflater, whose output is only valid
 * until its next call. */
typedef struct captured_field {
  size_t name, name_length, value, value_length;
  int never_index;
} captured_field;

typedef struct captured {
  uint8_t *bytes;
  size_t used, capacity;
  captured_field *fields;
  size_t count, fields_capacity;
} captured;

static void *grow(void *p, size_t *capacity, size_t needed, size_t item) {
  if (needed <= *capacity) return p;
  size_t n = *capacity ? *capacity : 64;
  while (n < needed) n *= 2;
  p = realloc(p, n * item);
  if (!p) die(NULL, "out of memory");
  *capacity = n;
  return p;
}

static void capture(captured *c, const nghttp2_nv *nv) {
  c->bytes = grow(c->bytes, &c->capacity, c->used + nv->namelen + nv->valuelen,
                  1);
  c->fields = grow(c->fields, &c->fields_capacity, c->count + 1,
                   sizeof(*c->fields));
  captured_field *f = &c->fields[c->count++];
  f->name = c->used;
  f->name_length = nv->namelen;
  memcpy(c->bytes + c->used, nv->name, nv->namelen);
  c->used += nv->namelen;
  f->value = c->used;
  f->value_length = nv->valuelen;
  memcpy(c->bytes + c->used, nv->value, nv->valuelen);
  c->used += nv->valuelen;
  f->never_index = (nv->flags & NGHTTP2_NV_FLAG_NO_INDEX) != 0;
}

static void capture_clear(captured *c) { c->used = c->count = 0; }

static void capture_free(captured *c) {
  free(c->bytes);
  free(c->fields);
}

/* Inflates one whole block with nghttp2 the way its documentation says:
 * call inflate_hd2 until the block is consumed and FINAL is set, then
 * end_headers. Fields go to `out` when it is not NULL. Returns the number
 * of fields, or -1 when nghttp2 rejects the block. */
static long nghttp2_inflate_block(nghttp2_hd_inflater *inflater,
                                  const uint8_t *in, size_t length,
                                  captured *out) {
  long fields = 0;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t rv = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, length, 1);
    if (rv < 0) return -1;
    in += rv;
    length -= (size_t)rv;
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      fields++;
      if (out) capture(out, &nv);
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && length == 0) return -1;
  }
  nghttp2_hd_inflate_end_headers(inflater);
  return fields;
}

/* ---- Cross-checks ------------------------------------------------------ */

static int same_bytes(const uint8_t *a, size_t a_length, const uint8_t *b,
                      size_t b_length) {
  return a_length == b_length && (!a_length || memcmp(a, b, a_length) == 0);
}

static int captured_equals_case(const captured *got, const bench_case *want) {
  if (got->count != want->count) return 0;
  for (size_t i = 0; i < got->count; i++) {
    const captured_field *f = &got->fields[i];
    const h2_header *w = &want->fields[i];
    if (!same_bytes(got->bytes + f->name, f->name_length, w->name,
                    w->name_length) ||
        !same_bytes(got->bytes + f->value, f->value_length, w->value,
                    w->value_length))
      return 0;
  }
  return 1;
}

static int list_equals_case(const h2_header_list *got, const bench_case *want) {
  if (h2_header_list_count(got) != want->count) return 0;
  const h2_header *f = h2_header_list_fields(got);
  for (size_t i = 0; i < want->count; i++) {
    const h2_header *w = &want->fields[i];
    if (!same_bytes(f[i].name, f[i].name_length, w->name, w->name_length) ||
        !same_bytes(f[i].value, f[i].value_length, w->value, w->value_length))
      return 0;
  }
  return 1;
}

/* Both decoders must agree on the never-indexed flag too, since a proxy
 * forwards it. */
static int never_index_agrees(const h2_header_list *ours,
                              const captured *theirs) {
  const h2_header *f = h2_header_list_fields(ours);
  for (size_t i = 0; i < theirs->count; i++)
    if (((f[i].flags & H2_HEADER_NEVER_INDEX) != 0) !=
        theirs->fields[i].never_index)
      return 0;
  return 1;
}

typedef struct decoders {
  h2_hpack_decoder *ours;
  nghttp2_hd_inflater *theirs;
} decoders;

static void decoders_new(decoders *d, uint32_t table_size) {
  if (h2_hpack_decoder_new(&d->ours, table_size, NULL, NULL) ||
      nghttp2_hd_inflate_new2(&d->theirs, NULL) ||
      nghttp2_hd_inflate_change_table_size(d->theirs, table_size))
    die(NULL, "cannot create decoders");
}

static void decoders_del(decoders *d) {
  h2_hpack_decoder_del(d->ours);
  nghttp2_hd_inflate_del(d->theirs);
}

/* Decodes `wire` with both decoders and checks both against `want`. */
static void check_decode(decoders *d, const uint8_t *wire, size_t length,
                         const bench_case *want, h2_header_list *list,
                         captured *cap, const bench_story *story,
                         size_t index, const char *source) {
  char what[128];
  h2_header_list_clear(list);
  capture_clear(cap);
  int rv = h2_hpack_decode(d->ours, wire, length, 1, list);
  snprintf(what, sizeof(what), "libh2 decoding %s's wire: %s", source,
           rv ? h2_hpack_decoder_error_detail(d->ours) : "wrong fields");
  if (rv || !list_equals_case(list, want)) mismatch(what, story, index);
  snprintf(what, sizeof(what), "libnghttp2 decoding %s's wire", source);
  if (nghttp2_inflate_block(d->theirs, wire, length, cap) < 0 ||
      !captured_equals_case(cap, want))
    mismatch(what, story, index);
  if (!never_index_agrees(list, cap))
    mismatch("never-indexed flags differ between decoders", story, index);
  if (h2_hpack_decoder_table_size(d->ours) !=
      nghttp2_hd_inflate_get_dynamic_table_size(d->theirs))
    mismatch("decoders' dynamic table sizes differ", story, index);
}

/* Checks one story: the corpus wire, libh2's encoding and nghttp2's
 * encoding must each decode, with both decoders, to the story's lists. */
static void cross_check_story(const bench_story *story, uint8_t *buffer,
                              size_t capacity, h2_header_list *list,
                              captured *cap) {
  decoders corpus_wire, our_wire, their_wire;
  decoders_new(&corpus_wire, story->table_size);
  decoders_new(&our_wire, H2_HPACK_DEFAULT_TABLE_SIZE);
  decoders_new(&their_wire, H2_HPACK_DEFAULT_TABLE_SIZE);
  h2_hpack_encoder *enc;
  nghttp2_hd_deflater *deflater;
  if (h2_hpack_encoder_new(&enc, ENCODER_TABLE_SIZE, NULL) ||
      nghttp2_hd_deflate_new2(&deflater, ENCODER_TABLE_SIZE, NULL))
    die(NULL, "cannot create encoders");
  for (size_t i = 0; i < story->count; i++) {
    const bench_case *c = &story->cases[i];
    check_decode(&corpus_wire, c->wire, c->wire_length, c, list, cap, story,
                 i, "the corpus");
    int n = h2_hpack_encode(enc, c->fields, c->count, buffer, capacity);
    if (n < 0) mismatch("libh2 cannot encode", story, i);
    check_decode(&our_wire, buffer, (size_t)n, c, list, cap, story, i,
                 "libh2");
    ssize_t m = nghttp2_hd_deflate_hd(deflater, buffer, capacity, c->nvs,
                                      c->count);
    if (m < 0) mismatch("libnghttp2 cannot encode", story, i);
    check_decode(&their_wire, buffer, (size_t)m, c, list, cap, story, i,
                 "libnghttp2");
  }
  decoders_del(&corpus_wire);
  decoders_del(&our_wire);
  decoders_del(&their_wire);
  h2_hpack_encoder_del(enc);
  nghttp2_hd_deflate_del(deflater);
}

static void cross_check(const corpus *c, uint8_t *buffer) {
  h2_header_list *list;
  captured cap = {0};
  if (h2_header_list_new(&list, NULL)) die(NULL, "out of memory");
  for (size_t s = 0; s < c->count; s++)
    cross_check_story(&c->stories[s], buffer, c->encode_capacity, list, &cap);
  h2_header_list_del(list);
  capture_free(&cap);
}

/* ---- Timed loops ------------------------------------------------------- */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What every timed loop folds its output into, so that the compiler
 * cannot drop work whose result is never looked at. Each loop touches
 * every decoded field's lengths, as any consumer of the fields would. */
static volatile uint64_t sink;

static uint64_t time_libh2_decode(const corpus *c) {
  h2_header_list *list;
  if (h2_header_list_new(&list, NULL)) die(NULL, "out of memory");
  uint64_t checksum = 0, start = now_ns();
  for (size_t s = 0; s < c->count; s++) {
    const bench_story *story = &c->stories[s];
    h2_hpack_decoder *dec;
    if (h2_hpack_decoder_new(&dec, story->table_size, NULL, NULL))
      die(NULL, "out of memory");
    for (size_t i = 0; i < story->count; i++) {
      const bench_case *k = &story->cases[i];
      if (h2_hpack_decode(dec, k->wire, k->wire_length, 1, list))
        mismatch("libh2 decoding failed in the timed loop", story, i);
      const h2_header *f = h2_header_list_fields(list);
      size_t n = h2_header_list_count(list);
      for (size_t j = 0; j < n; j++)
        checksum += f[j].name_length + f[j].value_length;
      h2_header_list_clear(list);
    }
    h2_hpack_decoder_del(dec);
  }
  uint64_t elapsed = now_ns() - start;
  sink += checksum;
  h2_header_list_del(list);
  return elapsed;
}

/* nghttp2's documented inflate loop, folding each field's lengths into
 * the checksum instead of copying it. */
static uint64_t nghttp2_inflate_sum(nghttp2_hd_inflater *inflater,
                                    const uint8_t *in, size_t length) {
  uint64_t checksum = 0;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t rv = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, length, 1);
    if (rv < 0) return UINT64_MAX;
    in += rv;
    length -= (size_t)rv;
    if (flags & NGHTTP2_HD_INFLATE_EMIT) checksum += nv.namelen + nv.valuelen;
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && length == 0) return UINT64_MAX;
  }
  nghttp2_hd_inflate_end_headers(inflater);
  return checksum;
}

static uint64_t time_nghttp2_decode(const corpus *c) {
  uint64_t checksum = 0, start = now_ns();
  for (size_t s = 0; s < c->count; s++) {
    const bench_story *story = &c->stories[s];
    nghttp2_hd_inflater *inflater;
    if (nghttp2_hd_inflate_new2(&inflater, NULL) ||
        nghttp2_hd_inflate_change_table_size(inflater, story->table_size))
      die(NULL, "out of memory");
    for (size_t i = 0; i < story->count; i++) {
      const bench_case *k = &story->cases[i];
      uint64_t sum = nghttp2_inflate_sum(inflater, k->wire, k->wire_length);
      if (sum == UINT64_MAX)
        mismatch("libnghttp2 decoding failed in the timed loop", story, i);
      checksum += sum;
    }
    nghttp2_hd_inflate_del(inflater);
  }
  uint64_t elapsed = now_ns() - start;
  sink += checksum;
  return elapsed;
}

static uint64_t time_libh2_encode(const corpus *c, uint8_t *out,
                                  uint64_t *total) {
  uint64_t bytes = 0, start = now_ns();
  for (size_t s = 0; s < c->count; s++) {
    const bench_story *story = &c->stories[s];
    h2_hpack_encoder *enc;
    if (h2_hpack_encoder_new(&enc, ENCODER_TABLE_SIZE, NULL))
      die(NULL, "out of memory");
    for (size_t i = 0; i < story->count; i++) {
      const bench_case *k = &story->cases[i];
      int n = h2_hpack_encode(enc, k->fields, k->count, out,
                              c->encode_capacity);
      if (n < 0) mismatch("libh2 encoding failed in the timed loop", story, i);
      bytes += (uint64_t)n;
    }
    h2_hpack_encoder_del(enc);
  }
  uint64_t elapsed = now_ns() - start;
  *total = bytes;
  return elapsed;
}

static uint64_t time_nghttp2_encode(const corpus *c, uint8_t *out,
                                    uint64_t *total) {
  uint64_t bytes = 0, start = now_ns();
  for (size_t s = 0; s < c->count; s++) {
    const bench_story *story = &c->stories[s];
    nghttp2_hd_deflater *deflater;
    if (nghttp2_hd_deflate_new2(&deflater, ENCODER_TABLE_SIZE, NULL))
      die(NULL, "out of memory");
    for (size_t i = 0; i < story->count; i++) {
      const bench_case *k = &story->cases[i];
      ssize_t n = nghttp2_hd_deflate_hd(deflater, out, c->encode_capacity,
                                        k->nvs, k->count);
      if (n < 0)
        mismatch("libnghttp2 encoding failed in the timed loop", story, i);
      bytes += (uint64_t)n;
    }
    nghttp2_hd_deflate_del(deflater);
  }
  uint64_t elapsed = now_ns() - start;
  *total = bytes;
  return elapsed;
}

/* ---- Rounds and report ------------------------------------------------- */

typedef struct results {
  uint64_t decode_ns[2]; /* [0] libh2, [1] libnghttp2: best round */
  uint64_t encode_ns[2];
  uint64_t encoded_bytes[2];
} results;

static void keep_min(uint64_t *best, uint64_t value) {
  if (!*best || value < *best) *best = value;
}

/* The libraries take turns within each round, so that a slow patch of a
 * shared machine costs both rather than one. */
static void run_rounds(const corpus *c, int rounds, uint8_t *out,
                       results *r) {
  memset(r, 0, sizeof(*r));
  for (int round = 0; round < rounds; round++) {
    keep_min(&r->decode_ns[0], time_libh2_decode(c));
    keep_min(&r->decode_ns[1], time_nghttp2_decode(c));
    keep_min(&r->encode_ns[0], time_libh2_encode(c, out, &r->encoded_bytes[0]));
    keep_min(&r->encode_ns[1],
             time_nghttp2_encode(c, out, &r->encoded_bytes[1]));
  }
}

static double per_field(uint64_t ns, const corpus *c) {
  return (double)ns / (double)c->fields;
}

static const char *verdict(int pass) { return pass ? "met" : "NOT met"; }

static void report(const corpus *c, const char *dir, int rounds,
                   const results *r) {
  double dec[2] = {per_field(r->decode_ns[0], c),
                   per_field(r->decode_ns[1], c)};
  double enc[2] = {per_field(r->encode_ns[0], c),
                   per_field(r->encode_ns[1], c)};
  double mbps[2], pct[2];
  for (int i = 0; i < 2; i++) {
    mbps[i] = (double)c->wire_bytes * 1e3 / (double)r->decode_ns[i];
    pct[i] = 100.0 * (double)r->encoded_bytes[i] / (double)c->list_bytes;
  }
  double decode_ratio = dec[1] / dec[0], encode_ratio = enc[1] / enc[0];
  double size_ratio =
      (double)r->encoded_bytes[0] / (double)r->encoded_bytes[1];
  printf("HPACK: %s, best of %d rounds, libnghttp2 %s\n", dir, rounds,
         nghttp2_version(0)->version_str);
  printf("corpus: %zu stories, %zu cases, %zu fields, %zu wire bytes, "
         "%" PRIu64 " header-list bytes\n\n", c->count, c->cases, c->fields,
         c->wire_bytes, c->list_bytes);
  printf("| metric | libh2 | libnghttp2 | ratio |\n|---|---:|---:|---:|\n");
  printf("| decode ns/field | %.1f | %.1f | %.2fx |\n", dec[0], dec[1],
         decode_ratio);
  printf("| decode MB/s of wire | %.0f | %.0f | %.2fx |\n", mbps[0], mbps[1],
         mbps[0] / mbps[1]);
  printf("| encode ns/field | %.1f | %.1f | %.2fx |\n", enc[0], enc[1],
         encode_ratio);
  printf("| encoded bytes | %" PRIu64 " | %" PRIu64 " | %.3f |\n",
         r->encoded_bytes[0], r->encoded_bytes[1], size_ratio);
  printf("| encoded %% of header-list size | %.2f%% | %.2f%% | |\n\n", pct[0],
         pct[1]);
  printf("targets: decode >= 2x %s; encode >= 1.5x %s; size <= 1.0 %s\n",
         verdict(decode_ratio >= 2.0), verdict(encode_ratio >= 1.5),
         verdict(size_ratio <= 1.0));
}

static void usage(void) {
  die(NULL, "usage: hpack [--rounds N] DIR   (DIR holds hpack-test-case "
            "*.json stories)");
}

int main(int argc, char **argv) {
  int rounds = DEFAULT_ROUNDS;
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (argv[i][0] == '-' || dir)
      usage();
    else
      dir = argv[i];
  }
  if (!dir || rounds < 1) usage();
  corpus c = {0};
  load_corpus(&c, dir);
  uint8_t *buffer = xmalloc(c.encode_capacity);
  cross_check(&c, buffer);
  results r;
  run_rounds(&c, rounds, buffer, &r);
  report(&c, dir, rounds, &r);
  free(buffer);
  free_corpus(&c);
  return 0;
}
