/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing with the observable rules of the Go tool's cobra/pflag front end
 * (spec §3.1-§3.3): every command is described by one static table (cli_command with its
 * cli_option rows). The same tables drive parsing, `--help`, the completion scripts and the
 * man-page consistency test, so a flag exists in exactly one place.
 *
 * Parsing rules (pflag): `--name value` and `--name=value`; `-x value`, `-xvalue`, `-x=value`;
 * clusters of short booleans (`-dm`), where a value-taking short flag ends the cluster and takes
 * the rest of it (or the next argument) as its value; booleans accept `--name=false`;
 * `--` ends the flags; a lone `-` is a positional argument. A command that is not
 * `interspersed` stops at its first positional argument, so `fence claude --foo` leaves
 * `--foo` to claude.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fence/fence.h"
#include "util/strv.h"

typedef enum cli_opt_kind {
    CLI_BOOL,
    CLI_STRING,
    CLI_STRING_ARRAY, /* repeatable; every occurrence is kept, no comma splitting */
} cli_opt_kind;

/* What a completion script should offer as the value of a flag. */
typedef enum cli_complete {
    CLI_COMPLETE_NONE = 0,
    CLI_COMPLETE_FILE,     /* a path */
    CLI_COMPLETE_DIR,      /* a directory */
    CLI_COMPLETE_TEMPLATE, /* a built-in template name */
    CLI_COMPLETE_WORDS,    /* one of cli_option.words */
} cli_complete;

typedef struct cli_option {
    const char *long_name; /* without "--" */
    char short_name;       /* 0 = none */
    cli_opt_kind kind;
    const char *arg_name;  /* value placeholder in help ("PATH"); NULL for booleans */
    const char *help;      /* one line */
    const char *def;       /* default shown in help, NULL = none */
    cli_complete complete;
    const char *const *words; /* NULL-terminated, for CLI_COMPLETE_WORDS */
} cli_option;

typedef struct cli_command cli_command;

/* Handler of a command: the parse result is in `values` (one per option row) and `args`. */
typedef struct cli_parsed cli_parsed;
typedef int (*cli_run_fn)(const cli_parsed *p);

struct cli_command {
    const char *name;        /* "show" */
    const char *path;        /* "fence config show" */
    const char *usage;       /* usage line without the path: "[flags]" */
    const char *summary;     /* one line, for command lists and completion descriptions */
    const char *description; /* paragraphs for --help; NULL = summary */
    const char *examples;    /* indented example lines, or NULL */
    const cli_option *options;
    size_t n_options;
    const cli_command *const *subcommands; /* NULL-terminated, or NULL */
    const char *const *valid_args;          /* positional words (completion), or NULL */
    bool interspersed;       /* flags may follow positional arguments */
    cli_run_fn run;          /* NULL: a group; prints its help */
};

typedef struct cli_value {
    bool set;       /* given on the command line (pflag's Changed) */
    bool b;         /* CLI_BOOL */
    const char *s;  /* CLI_STRING: the last occurrence, borrowed from argv */
    strv list;      /* CLI_STRING_ARRAY: copies, in order */
} cli_value;

struct cli_parsed {
    const cli_command *cmd;
    cli_value *values;  /* cmd->n_options entries */
    char **args;        /* positional arguments, borrowed from argv; NULL-terminated */
    size_t n_args;
    bool dash;          /* a `--` was seen */
    bool help;          /* -h/--help was given */
};

/* Finds the command that argv names (argv[0] excluded), the way cobra does: the first argument
 * that is not a flag or a flag's value selects a subcommand, recursively. On return *ret_argc /
 * ret_argv hold the arguments left for that command (the subcommand names removed); ret_argv is
 * malloc'd (the strings are argv's), freed by the caller. */
int cli_find_command(const cli_command *root, int argc, char **argv, const cli_command **ret_cmd,
                     int *ret_argc, char ***ret_argv, fence_error *err);

/* Parses argv (without the command names) for cmd. Errors carry pflag's messages
 * ("unknown flag: --x", "flag needs an argument: --settings", ...). */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_parsed *ret, fence_error *err);
void cli_parsed_done(cli_parsed *p);

/* Index of the option named long_name in cmd, or -1. */
int cli_option_index(const cli_command *cmd, const char *long_name);

/* The help text of cmd, cobra style (description, usage, commands, flags, examples). */
void cli_print_help(const cli_command *cmd, FILE *out);

/* "-s, --settings" / "--shell": how an option is named in messages. */
void cli_option_label(const cli_option *o, char *buf, size_t size);

/* Fails with `if any flags in the group [a b] are set none of the others can be; [a b] were all
 * set` (cobra's text) when both options are set. */
int cli_exclusive(const cli_parsed *p, int a, int b, fence_error *err);
