/* SPDX-License-Identifier: MIT */
/*
 * The fence command tree and the helpers its commands share: the `Error: ...` convention of
 * spec §3.3, the overwrite prompt and the config-file writer of `config init` and `import`.
 * Each command lives in its own module (run.c, config_cmd.c, import_cmd.c, completion.c) and
 * exports its cli_command table here.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "args.h"

extern const cli_command cli_root;
extern const cli_command cli_config;
extern const cli_command cli_config_show;
extern const cli_command cli_config_init;
extern const cli_command cli_import;
extern const cli_command cli_completion;
extern const cli_command cli_help;

/* The hint printed under an unknown-template error (spec §3.2). */
#define CLI_TEMPLATE_HINT "Use --list-templates to see available templates"

/* Prints "Error: <msg>" on stderr; returns the exit status 1. */
int cli_fail(const fence_error *err);
/* The same for a message built here. */
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes each line of text (the last one may lack its newline) as "<prefix><line>\n", then
 * flushes f. */
void cli_print_lines(FILE *f, const char *prefix, const char *text);

/* When path exists: asks `File "P" already exists. Overwrite? [y/N] ` on stdout and reads one
 * line of stdin. Returns true to go on (no file, or y/yes), false after printing `Aborted.`. */
bool cli_confirm_overwrite(const char *path);

/* Writes header (may be NULL) and body to path: parent directories made 0750, file written
 * 0600 through a temporary file renamed into place, so a failed write leaves the old file. */
int cli_write_config_file(const char *path, const char *header, const char *body,
                          fence_error *err);
