/* The test harness runner and its random number generator. */
#include "test.h"

int test_failures = 0;
int test_checks = 0;

static uint64_t rand_state = 0x9e3779b97f4a7c15ull;

uint64_t test_rand(void) {
  uint64_t x = rand_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rand_state = x;
  return x * 0x2545f4914f6cdd1dull;
}

void test_srand(uint64_t seed) { rand_state = seed ? seed : 1; }

uint64_t test_seed_from_env(uint64_t fallback) {
  const char *s = getenv("H2_TEST_SEED");
  return s ? strtoull(s, NULL, 0) : fallback;
}

int test_run(const char *suite, const test_case *cases, size_t count) {
  int failed_cases = 0;
  for (size_t i = 0; i < count; i++) {
    int before = test_failures;
    cases[i].fn();
    if (test_failures != before) {
      failed_cases++;
      fprintf(stderr, "[%s] FAIL %s\n", suite, cases[i].name);
    }
  }
  printf("[%s] %zu cases, %d checks, %d failed cases\n", suite, count,
         test_checks, failed_cases);
  return failed_cases ? 1 : 0;
}
