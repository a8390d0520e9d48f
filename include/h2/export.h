/*
 * libh2 - symbol visibility.
 *
 * The library is built with -fvisibility=hidden so that only the functions
 * marked H2_EXPORT form the ABI of the shared library. Internal helpers stay
 * private even though they are not static, which keeps the exported surface
 * small and lets the tests link the static library to reach them.
 */
#ifndef H2_EXPORT_H
#define H2_EXPORT_H

#if defined(_WIN32)
#define H2_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define H2_EXPORT __attribute__((visibility("default")))
#else
#define H2_EXPORT
#endif

#endif /* H2_EXPORT_H */
