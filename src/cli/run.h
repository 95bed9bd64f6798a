/* SPDX-License-Identifier: MIT */
/*
 * The root command (running a command in the sandbox) and the pieces other commands and tests
 * reuse: ShellQuote (spec §3.1), the -p parser (§3.2) and the config resolution with the
 * template hint.
 */
#pragma once

#include <stddef.h>

#include "args.h"

int run_main(const cli_parsed *p);

/* Joins argv into one shell string with the quoting rule of §3.1. *ret is malloc'd. Returns 0,
 * -ENOMEM or -ENOBUFS (longer than the command limit). */
int run_shell_quote(char *const *argv, size_t n, char **ret);

/* Parses one -p value: PORT (bound to 127.0.0.1), ADDR:PORT or [V6]:PORT with ADDR a literal IP
 * and PORT in 1-65535. *ret_addr is malloc'd. Errors carry the Go tool's messages. */
int run_parse_port(const char *entry, char **ret_addr, int *ret_port, fence_error *err);

/* fence_config_resolve() for the CLI; on failure prints `Error: ...` (plus the
 * --list-templates hint for an unknown -t template) and returns -1. */
int run_load_config(const char *template_name, const char *settings, fence_config **ret,
                    char **ret_chain);
