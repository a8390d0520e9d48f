/*
 * Encodes a request's header list with libh2's HPACK encoder, decodes it
 * again, and prints the fields and the sizes. Build against an installed
 * libh2 with:
 *
 *   cc hpack_round_trip.c $(pkg-config --cflags --libs libh2)
 */
#include <h2/h2.h>
#include <stdio.h>
#include <string.h>

static h2_header field(const char *name, const char *value) {
  h2_header h = {(const uint8_t *)name, (const uint8_t *)value,
                 (uint32_t)strlen(name), (uint32_t)strlen(value), 0, 0};
  return h;
}

int main(void) {
  h2_header request[] = {
      field(":method", "GET"), field(":scheme", "https"),
      field(":authority", "example.com"), field(":path", "/index.html"),
      field("user-agent", "libh2-example/1.0"),
      field("authorization", "Bearer secret"), /* sent never-indexed */
  };
  size_t count = sizeof(request) / sizeof(request[0]);

  h2_hpack_encoder *enc = NULL;
  h2_hpack_decoder *dec = NULL;
  h2_header_list *list = NULL;
  int rv = h2_hpack_encoder_new(&enc, 0, NULL);
  if (!rv) rv = h2_hpack_decoder_new(&dec, H2_HPACK_DEFAULT_TABLE_SIZE, NULL, NULL);
  if (!rv) rv = h2_header_list_new(&list, NULL);
  if (rv) {
    fprintf(stderr, "setup failed: %s\n", h2_strerror(rv));
    return 1;
  }

  uint8_t block[512];
  for (int round = 1; round <= 2; round++) {
    int length = h2_hpack_encode(enc, request, count, block, sizeof(block));
    if (length < 0) {
      fprintf(stderr, "encode failed: %s\n", h2_strerror(length));
      return 1;
    }
    h2_header_list_clear(list);
    rv = h2_hpack_decode(dec, block, (size_t)length, 1, list);
    if (rv) {
      fprintf(stderr, "decode failed: %s (%s)\n", h2_strerror(rv),
              h2_hpack_decoder_error_detail(dec));
      return 1;
    }
    printf("round %d: %zu fields in %d bytes\n", round,
           h2_header_list_count(list), length);
  }
  const h2_header *f = h2_header_list_fields(list);
  for (size_t i = 0; i < h2_header_list_count(list); i++)
    printf("  %s: %s%s\n", (const char *)f[i].name, (const char *)f[i].value,
           (f[i].flags & H2_HEADER_NEVER_INDEX) ? "  (never indexed)" : "");

  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
  h2_hpack_encoder_del(enc);
  return 0;
}
