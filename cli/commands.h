/*
 * The commands of the h2 tool. Each lives in its own file and is reached
 * through the table in main.c; adding one means writing the function,
 * declaring it here and adding a row to that table.
 */
#ifndef H2_CLI_COMMANDS_H
#define H2_CLI_COMMANDS_H

/* Exit codes shared by every command (docs/cli.md lists them). */
enum h2_cli_exit {
  H2_CLI_OK = 0,
  /* The work itself failed: a check mismatch, a decode or encode error. */
  H2_CLI_FAILED = 1,
  /* The request could not be carried out as given: bad usage, a file that
   * cannot be read or written, JSON or hex that does not parse. */
  H2_CLI_USAGE = 2
};

/* A command receives its own name as argv[0] and the arguments after it. */
typedef int (*h2_cli_command_fn)(int argc, char **argv);

/* Reports wrong usage of `command` ("get", "bench"): the message, then a
 * pointer to its --help, on stderr. Returns H2_CLI_USAGE. */
int h2_cli_bad_usage(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int h2_cli_hpack(int argc, char **argv);
int h2_cli_get(int argc, char **argv);
int h2_cli_bench(int argc, char **argv);

#endif /* H2_CLI_COMMANDS_H */
