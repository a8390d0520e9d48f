/*
 * A minimal test harness. Each test executable runs its test functions in
 * order; a failed CHECK prints file, line and expression and marks the
 * test failed but lets it continue, so one run shows every failure. The
 * process exits non-zero if anything failed, which is what CTest reads.
 */
#ifndef H2_TEST_H
#define H2_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int test_failures;
extern int test_checks;

#define CHECK(expr)                                                    \
  do {                                                                 \
    test_checks++;                                                     \
    if (!(expr)) {                                                     \
      test_failures++;                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
              #expr);                                                  \
    }                                                                  \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                  \
  do {                                                                      \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);         \
    test_checks++;                                                          \
    if (check_a_ != check_b_) {                                             \
      test_failures++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n",     \
              __FILE__, __LINE__, #a, #b, check_a_, check_b_);              \
    }                                                                       \
  } while (0)

#define CHECK_MEM(a, alen, b, blen)                                          \
  do {                                                                       \
    size_t check_al_ = (size_t)(alen), check_bl_ = (size_t)(blen);           \
    test_checks++;                                                           \
    if (check_al_ != check_bl_ ||                                            \
        (check_al_ && memcmp((a), (b), check_al_) != 0)) {                   \
      test_failures++;                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s equals %s (lengths %zu, %zu)\n", \
              __FILE__, __LINE__, #a, #b, check_al_, check_bl_);             \
    }                                                                        \
  } while (0)

/* Stops the current test function when a precondition fails. */
#define REQUIRE(expr)                                                  \
  do {                                                                 \
    test_checks++;                                                     \
    if (!(expr)) {                                                     \
      test_failures++;                                                 \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, \
              #expr);                                                  \
      return;                                                          \
    }                                                                  \
  } while (0)

typedef void (*test_fn)(void);

typedef struct test_case {
  const char *name;
  test_fn fn;
} test_case;

#define TEST_CASE(fn) {#fn, fn}

/* Runs the cases and returns the process exit code. */
int test_run(const char *suite, const test_case *cases, size_t count);

#define TEST_MAIN(suite, ...)                                             \
  int main(void) {                                                        \
    static const test_case cases[] = {__VA_ARGS__};                      \
    return test_run(suite, cases, sizeof(cases) / sizeof(cases[0]));     \
  }

/* Deterministic pseudo-random numbers (xorshift64*), so a failing random
 * test can be replayed from its printed seed. */
uint64_t test_rand(void);
void test_srand(uint64_t seed);
uint64_t test_seed_from_env(uint64_t fallback);

#endif /* H2_TEST_H */
