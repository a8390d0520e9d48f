/* Guard-page buffers built with mmap and mprotect. */
#define _DEFAULT_SOURCE
#include "guard_buffer.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int guard_buffer_init(guard_buffer *gb, const uint8_t *src, size_t length) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t data_pages = (length + page - 1) / page;
  size_t total = (data_pages + 1) * page;
  uint8_t *map = mmap(NULL, total, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return -1;
  uint8_t *guard = map + data_pages * page;
  if (mprotect(guard, page, PROT_NONE) != 0) {
    munmap(map, total);
    return -1;
  }
  gb->data = guard - length;
  gb->length = length;
  if (length) memcpy(gb->data, src, length);
  gb->mapping_ = map;
  gb->mapping_length_ = total;
  return 0;
}

void guard_buffer_free(guard_buffer *gb) {
  if (gb->mapping_) munmap(gb->mapping_, gb->mapping_length_);
  memset(gb, 0, sizeof(*gb));
}
