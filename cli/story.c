/* Loading, validating and writing story files (see story.h). */
#include "story.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define STORY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define STORY_PRINTF(f, a)
#endif

static void set_error(story_error *err, const char *fmt, ...)
    STORY_PRINTF(2, 3);

static void set_error(story_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->text, sizeof(err->text), fmt, ap);
  va_end(ap);
}

/* ---- Loading ------------------------------------------------------------ */

/* Checks the shape every command relies on, so that later code can index
 * cases without re-checking types. */
static int validate_story(const json_t *root, const char *path,
                          story_error *err) {
  const json_t *cases = json_is_object(root) ? json_object_get(root, "cases")
                                             : NULL;
  if (!json_is_array(cases)) {
    set_error(err, "%s: not a story: expected an object with a \"cases\" array",
              path);
    return -1;
  }
  for (size_t i = 0; i < json_array_size(cases); i++) {
    if (!json_is_object(json_array_get(cases, i))) {
      set_error(err, "%s: cases[%zu]: expected an object", path, i);
      return -1;
    }
  }
  return 0;
}

json_t *story_load(const char *path, story_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    set_error(err, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  json_error_t jerr;
  /* Values may hold NUL bytes (\u0000); duplicate keys are almost always
   * a mistake in a hand-written story, so they are refused. */
  json_t *root = json_loadf(f, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
  int read_failed = ferror(f), saved_errno = errno;
  fclose(f);
  if (read_failed) {
    json_decref(root);
    set_error(err, "cannot read %s: %s", path, strerror(saved_errno));
    return NULL;
  }
  if (!root) {
    set_error(err, "%s: line %d, column %d: invalid JSON: %s", path,
              jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  if (validate_story(root, path, err)) {
    json_decref(root);
    return NULL;
  }
  return root;
}

size_t story_case_count(const json_t *story) {
  return json_array_size(json_object_get(story, "cases"));
}

/* ---- Cases -------------------------------------------------------------- */

static int read_seqno(story_case *c, size_t index, story_error *err) {
  const json_t *seqno = json_object_get(c->object, "seqno");
  c->seqno = (json_int_t)index;
  if (!seqno) return 0;
  if (!json_is_integer(seqno)) {
    set_error(err, "cases[%zu]: \"seqno\" must be an integer", index);
    return -1;
  }
  c->seqno = json_integer_value(seqno);
  return 0;
}

static int read_table_size(story_case *c, story_error *err) {
  const json_t *size = json_object_get(c->object, "header_table_size");
  c->has_table_size = size != NULL;
  c->table_size = 0;
  if (!size) return 0;
  json_int_t value = json_is_integer(size) ? json_integer_value(size) : -1;
  if (value < 0 || value > (json_int_t)UINT32_MAX) {
    set_error(err,
              "seqno %lld: \"header_table_size\" must be an integer from 0 "
              "to %lu",
              (long long)c->seqno, (unsigned long)UINT32_MAX);
    return -1;
  }
  c->table_size = (uint32_t)value;
  return 0;
}

int story_case_get(const json_t *story, size_t index, story_case *c,
                   story_error *err) {
  memset(c, 0, sizeof(*c));
  c->object = json_array_get(json_object_get(story, "cases"), index);
  if (read_seqno(c, index, err) || read_table_size(c, err)) return -1;
  c->wire = json_object_get(c->object, "wire");
  c->headers = json_object_get(c->object, "headers");
  if (c->wire && !json_is_string(c->wire)) {
    set_error(err, "seqno %lld: \"wire\" must be a string of hex digits",
              (long long)c->seqno);
    return -1;
  }
  if (c->headers && !json_is_array(c->headers)) {
    set_error(err, "seqno %lld: \"headers\" must be an array",
              (long long)c->seqno);
    return -1;
  }
  return 0;
}

/* ---- Hex ---------------------------------------------------------------- */

static int hex_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

/* Shows a bad digit so that it can be found in the file even when it is
 * invisible or not ASCII. */
static void describe_char(char *out, size_t size, char ch) {
  unsigned char byte = (unsigned char)ch;
  if (byte >= 0x20 && byte < 0x7f && byte != '\'')
    snprintf(out, size, "'%c'", ch);
  else
    snprintf(out, size, "byte 0x%02x", byte);
}

int story_hex_decode(const json_t *hex, uint8_t **bytes, size_t *length,
                     story_error *err) {
  const char *digits = json_string_value(hex);
  size_t count = json_string_length(hex);
  if (count % 2) {
    set_error(err, "wire: odd number of hex digits (%zu)", count);
    return -1;
  }
  uint8_t *out = malloc(count / 2 + 1);
  if (!out) {
    set_error(err, "wire: out of memory");
    return -1;
  }
  for (size_t i = 0; i < count; i++) {
    int v = hex_value(digits[i]);
    if (v < 0) {
      char shown[16];
      describe_char(shown, sizeof(shown), digits[i]);
      set_error(err, "wire: invalid hex digit %s at offset %zu", shown, i);
      free(out);
      return -1;
    }
    if (i % 2)
      out[i / 2] = (uint8_t)(out[i / 2] | v);
    else
      out[i / 2] = (uint8_t)(v << 4);
  }
  *bytes = out;
  *length = count / 2;
  return 0;
}

json_t *story_hex_encode(const uint8_t *bytes, size_t length) {
  static const char digits[] = "0123456789abcdef";
  char *text = malloc(2 * length + 1);
  if (!text) return NULL;
  for (size_t i = 0; i < length; i++) {
    text[2 * i] = digits[bytes[i] >> 4];
    text[2 * i + 1] = digits[bytes[i] & 0xf];
  }
  json_t *s = json_stringn(text, 2 * length);
  free(text);
  return s;
}

/* ---- Headers ------------------------------------------------------------ */

/* Reads one {"name": "value"} entry into a field. */
static int read_header(json_t *entry, size_t index, h2_header *field,
                       story_error *err) {
  void *it = json_is_object(entry) ? json_object_iter(entry) : NULL;
  if (!it || json_object_size(entry) != 1) {
    set_error(err, "header %zu: expected an object with one name and its value",
              index);
    return -1;
  }
  const json_t *value = json_object_iter_value(it);
  if (!json_is_string(value)) {
    set_error(err, "header %zu: the value of \"%s\" must be a string", index,
              json_object_iter_key(it));
    return -1;
  }
  size_t name_length = json_object_iter_key_len(it);
  size_t value_length = json_string_length(value);
  if (name_length > UINT32_MAX || value_length > UINT32_MAX) {
    set_error(err, "header %zu: longer than 4 GiB", index);
    return -1;
  }
  memset(field, 0, sizeof(*field));
  field->name = (const uint8_t *)json_object_iter_key(it);
  field->name_length = (uint32_t)name_length;
  field->value = (const uint8_t *)json_string_value(value);
  field->value_length = (uint32_t)value_length;
  return 0;
}

int story_headers_get(const json_t *headers, h2_header **fields,
                      size_t *count, story_error *err) {
  size_t n = json_array_size(headers);
  /* One spare element so that an empty list is still a valid pointer. */
  h2_header *out = calloc(n + 1, sizeof(*out));
  if (!out) {
    set_error(err, "headers: out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (read_header(json_array_get(headers, i), i, &out[i], err)) {
      free(out);
      return -1;
    }
  }
  *fields = out;
  *count = n;
  return 0;
}

static json_t *header_entry(const h2_header *f, size_t index,
                            story_error *err) {
  json_t *value = json_stringn((const char *)f->value, f->value_length);
  json_t *entry = json_object();
  if (!value || !entry) {
    json_decref(value);
    json_decref(entry);
    set_error(err, "header %zu: value is not valid UTF-8, which a JSON story "
                   "cannot hold", index);
    return NULL;
  }
  /* setn takes the value's reference even when it fails. */
  if (json_object_setn_new(entry, (const char *)f->name, f->name_length,
                           value)) {
    json_decref(entry);
    set_error(err, "header %zu: name is not valid UTF-8, which a JSON story "
                   "cannot hold", index);
    return NULL;
  }
  return entry;
}

json_t *story_headers_from_fields(const h2_header *fields, size_t count,
                                  story_error *err) {
  json_t *array = json_array();
  if (!array) {
    set_error(err, "headers: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    json_t *entry = header_entry(&fields[i], i, err);
    if (!entry || json_array_append_new(array, entry)) {
      json_decref(array);
      return NULL;
    }
  }
  return array;
}

/* ---- Output ------------------------------------------------------------- */

static int is_case_key(const char *key) {
  return !strcmp(key, "seqno") || !strcmp(key, "header_table_size") ||
         !strcmp(key, "wire") || !strcmp(key, "headers");
}

/* Copies the keys a tool added to a case or story (comments, notes) so
 * that rewriting a story loses nothing but what was recomputed. */
static int copy_other_keys(json_t *to, json_t *from,
                           int (*skip)(const char *key)) {
  const char *key;
  json_t *value;
  size_t key_length;
  json_object_keylen_foreach(from, key, key_length, value) {
    if (skip(key)) continue;
    if (json_object_setn(to, key, key_length, value)) return -1;
  }
  return 0;
}

json_t *story_case_output(const story_case *c, json_t *wire, json_t *headers) {
  json_t *out = json_object();
  int failed = !out || !wire || !headers;
  failed = failed || json_object_set_new(out, "seqno", json_integer(c->seqno));
  if (!failed && c->has_table_size)
    failed = json_object_set_new(out, "header_table_size",
                                 json_integer(c->table_size));
  failed = failed || json_object_set(out, "wire", wire);
  failed = failed || json_object_set(out, "headers", headers);
  failed = failed || copy_other_keys(out, c->object, is_case_key);
  json_decref(wire);
  json_decref(headers);
  if (failed) {
    json_decref(out);
    return NULL;
  }
  return out;
}

static int is_cases_key(const char *key) { return !strcmp(key, "cases"); }

json_t *story_output(json_t *story, json_t *cases) {
  json_t *out = json_object();
  int failed = !out || !cases;
  failed = failed || json_object_set(out, "cases", cases);
  failed = failed || copy_other_keys(out, story, is_cases_key);
  json_decref(cases);
  if (failed) {
    json_decref(out);
    return NULL;
  }
  return out;
}

int story_write(const json_t *doc, FILE *out) {
  /* Two-space indentation and insertion order, like the corpus files. */
  if (json_dumpf(doc, out, JSON_INDENT(2)) || fputc('\n', out) == EOF)
    return -1;
  return ferror(out) ? -1 : 0;
}
