/*
 * h2: the command-line tool of libh2. `h2 <command> [args]` looks the
 * command up in a table, so that each command can live in its own file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "h2/version.h"
#include "commands.h"

typedef struct h2_cli_command {
  const char *name;
  h2_cli_command_fn run;
  const char *summary;
} h2_cli_command;

static const h2_cli_command commands[] = {
    {"get", h2_cli_get, "fetch URLs over HTTP/2 (h2c or TLS), multiplexed"},
    {"bench", h2_cli_bench, "load generator (h2load's -n -c -m -t -D), h2c or TLS"},
    {"hpack", h2_cli_hpack,
     "decode or encode HPACK story files (hpack-test-case JSON)"},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out) {
  fputs("Usage: h2 <command> [arguments]\n"
        "       h2 help <command>\n"
        "       h2 --help | --version\n"
        "\n"
        "Commands:\n",
        out);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "Run 'h2 <command> --help' for a command's arguments.\n"
        "Exit status: 0 success, 2 wrong usage or unusable input; otherwise\n"
        "each command's own (see 'h2 <command> --help' and docs/cli.md).\n",
        out);
}

static const h2_cli_command *find_command(const char *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (!strcmp(commands[i].name, name)) return &commands[i];
  return NULL;
}

static int unknown_command(const char *name) {
  fprintf(stderr, "h2: unknown command '%s'\n\n", name);
  print_usage(stderr);
  return H2_CLI_USAGE;
}

/* `h2 help hpack` is `h2 hpack --help`. */
static int run_help(int argc, char **argv) {
  if (argc < 3) {
    print_usage(stdout);
    return H2_CLI_OK;
  }
  const h2_cli_command *command = find_command(argv[2]);
  if (!command) return unknown_command(argv[2]);
  char help_option[] = "--help";
  char *help_argv[] = {argv[2], help_option, NULL};
  return command->run(2, help_argv);
}

static int dispatch(int argc, char **argv) {
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
    print_usage(stdout);
    return H2_CLI_OK;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
    printf("h2 (libh2) %s\n", h2_version());
    return H2_CLI_OK;
  }
  if (!strcmp(name, "help")) return run_help(argc, argv);
  const h2_cli_command *command = find_command(name);
  if (!command) return unknown_command(name);
  return command->run(argc - 1, argv + 1);
}

int h2_cli_bad_usage(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "h2 %s: ", command);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'h2 %s --help'.\n", command);
  va_end(ap);
  return H2_CLI_USAGE;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return H2_CLI_USAGE;
  }
  int rc = dispatch(argc, argv);
  /* Output is buffered: a full disk or closed pipe may show up only here.
   * A command that already failed has said so; one message is enough. */
  if ((fflush(stdout) || ferror(stdout)) && rc == H2_CLI_OK) {
    fprintf(stderr, "h2: cannot write to standard output: %s\n",
            strerror(errno));
    rc = H2_CLI_USAGE;
  }
  return rc;
}
