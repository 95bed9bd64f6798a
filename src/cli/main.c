/* SPDX-License-Identifier: MIT */
/*
 * fence: the command-line client of libfence. main() finds the command that argv names (the
 * root command runs a sandboxed command; config, import, completion and help are
 * subcommands), parses its flags and runs it. Exit status: the sandboxed command's status, 0
 * for informational commands, 1 after any `Error: ...` (spec §3.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/error.h"

static int help_main(const cli_parsed *p) {
    _cleanup_free_ char **rest = NULL;
    const cli_command *cmd;
    fence_error err = {0};
    int n;

    if (cli_find_command(&cli_root, (int) p->n_args, p->args, &cmd, &n, &rest, &err) < 0)
        return cli_fail(&err);
    if (n > 0) {
        printf("Unknown help topic \"%s\".\n\n", rest[0]);
        cmd = &cli_root;
    }
    cli_print_help(cmd, stdout);
    return 0;
}

const cli_command cli_help = {
    .name = "help",
    .path = "fence help",
    .usage = "[command]",
    .summary = "Help about any command",
    .description = "Help provides help for any command in the application.\n"
                   "Type fence help [path to command] for full details.",
    .interspersed = true,
    .run = help_main,
};

int main(int argc, char **argv) {
    _cleanup_free_ char **args = NULL;
    _cleanup_(cli_parsed_done) cli_parsed p = {0};
    const cli_command *cmd;
    fence_error err = {0};
    int n;

    if (argc < 1)
        return 1;
    if (cli_find_command(&cli_root, argc - 1, argv + 1, &cmd, &n, &args, &err) < 0)
        return cli_fail(&err);
    if (cli_parse(cmd, n, args, &p, &err) < 0) {
        cli_fail(&err);
        fprintf(stderr, "Run '%s --help' for usage.\n", cmd->path);
        return 1;
    }
    if (p.help) {
        cli_print_help(cmd, stdout);
        return 0;
    }
    if (!cmd->run) {
        if (p.n_args > 0) {
            cli_failf("unknown command \"%s\" for \"%s\"", p.args[0], cmd->path);
            fprintf(stderr, "Run '%s --help' for usage.\n", cmd->path);
            return 1;
        }
        cli_print_help(cmd, stdout);
        return 0;
    }
    return cmd->run(&p);
}
