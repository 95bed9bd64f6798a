/* SPDX-License-Identifier: MIT */
/*
 * `fence import --claude` (spec §3.6): converts Claude Code permission rules with
 * fence_import_claude() and prints the result (JSON on stdout, notes on stderr) or writes it
 * to --output / the user config path (--save) after the overwrite prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_cmd.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/path.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(fence_config, fence_config_free)

enum { IMP_CLAUDE, IMP_FILE, IMP_OUTPUT, IMP_SAVE, IMP_FORCE, IMP_EXTEND, IMP_NO_EXTEND, IMP_COUNT };

static const cli_option import_options[IMP_COUNT] = {
    [IMP_CLAUDE] = {"claude", 0, CLI_BOOL, NULL, "Import the permissions of Claude Code"},
    [IMP_FILE] = {"file", 'f', CLI_STRING, "PATH",
                  "Settings file to read (default ~/.claude/settings.json)",
                  .complete = CLI_COMPLETE_FILE},
    [IMP_OUTPUT] = {"output", 'o', CLI_STRING, "PATH", "Write the config to PATH",
                    .complete = CLI_COMPLETE_FILE},
    [IMP_SAVE] = {"save", 0, CLI_BOOL, NULL, "Write the config to the user config path"},
    [IMP_FORCE] = {"force", 'y', CLI_BOOL, NULL, "Overwrite an existing file without asking"},
    [IMP_EXTEND] = {"extend", 0, CLI_STRING, "NAME", "Template the config extends", "code",
                    CLI_COMPLETE_TEMPLATE},
    [IMP_NO_EXTEND] = {"no-extend", 0, CLI_BOOL, NULL, "Extend nothing (a minimal config)"},
};

/* A template name as opposed to `@base` or a file path (spec §4.4). */
static bool names_template(const char *extends) {
    return !streq(extends, "@base") && !strpbrk(extends, "/\\") && extends[0] != '.';
}

static char *default_claude_path(void) {
    const char *home = getenv("HOME");

    return home && *home ? path_join(home, ".claude/settings.json") : NULL;
}

static int import_main(const cli_parsed *p) {
    _cleanup_(fence_config_freep) fence_config *cfg = NULL;
    _cleanup_free_ char *src_default = NULL, *warnings = NULL, *json = NULL, *dest_default = NULL,
                        *header = NULL;
    const cli_value *v = p->values;
    const char *src, *extends = "code", *dest = NULL;
    fence_error err = {0};
    size_t rules = 0;

    if (p->n_args > 0)
        return cli_failf("unknown command \"%s\" for \"%s\"", p->args[0], p->cmd->path);
    if (cli_exclusive(p, IMP_EXTEND, IMP_NO_EXTEND, &err) < 0 ||
        cli_exclusive(p, IMP_SAVE, IMP_OUTPUT, &err) < 0)
        return cli_fail(&err);
    if (!v[IMP_CLAUDE].b)
        return cli_failf("no import source specified. Use --claude to import from Claude Code");
    if (v[IMP_NO_EXTEND].b)
        extends = NULL;
    else if (v[IMP_EXTEND].s && *v[IMP_EXTEND].s)
        extends = v[IMP_EXTEND].s;
    if (extends && names_template(extends) && !config_template_exists(extends)) {
        cli_failf("template \"%s\" not found", extends);
        fprintf(stderr, "%s\n", CLI_TEMPLATE_HINT);
        return 1;
    }

    src = v[IMP_FILE].s && *v[IMP_FILE].s ? v[IMP_FILE].s : (src_default = default_claude_path());
    if (!src)
        return cli_failf("could not determine Claude settings path: $HOME is not set");
    if (fence_import_claude(src, extends, &cfg, &rules, &warnings, &err) < 0 ||
        fence_config_to_json(cfg, &json, &err) < 0)
        return cli_fail(&err);

    cli_print_lines(stderr, "Warning: ", warnings);
    if (*warnings)
        fputc('\n', stderr);

    if (v[IMP_SAVE].b) {
        dest = dest_default = fence_config_default_path();
        if (!dest)
            return cli_failf("cannot determine the user config path: $HOME is not set");
    } else if (v[IMP_OUTPUT].s && *v[IMP_OUTPUT].s) {
        dest = v[IMP_OUTPUT].s;
    }

    if (!dest) {
        fputs(json, stdout);
        fflush(stdout);
        if (extends)
            fprintf(stderr, "\n# Extends \"%s\" - inherited rules not shown\n", extends);
        fprintf(stderr, "# Imported %zu rules from %s\n", rules, src);
        fprintf(stderr, "# Use --save to write to the default config path\n");
        return 0;
    }
    if (!v[IMP_FORCE].b && !cli_confirm_overwrite(dest))
        return 0;
    header = extends ? config_header("Imported from Claude Code by `fence import --claude`", extends)
                     : strdup("");
    if (!header)
        return cli_failf("out of memory");
    if (cli_write_config_file(dest, header, json, &err) < 0)
        return cli_fail(&err);
    printf("Imported %zu rules from %s\n", rules, src);
    printf("Written to \"%s\"\n", dest);
    return 0;
}

const cli_command cli_import = {
    .name = "import",
    .path = "fence import",
    .usage = "--claude [flags]",
    .summary = "Import permission rules from other tools",
    .description =
        "Converts the permission rules of another tool into a fence config. Supported source:\n"
        "--claude (Claude Code's permissions.allow, .deny and .ask). Bash(...) rules become\n"
        "command rules, Read/Write/Edit(...) rules filesystem rules, ask rules become denies.\n"
        "The result extends the \"code\" template unless --extend or --no-extend says\n"
        "otherwise. Without --output or --save the JSON is printed on stdout.",
    .examples = "  fence import --claude\n"
                "  fence import --claude --save\n"
                "  fence import --claude -f .claude/settings.json -o ./fence.json\n"
                "  fence import --claude --no-extend --save",
    .options = import_options,
    .n_options = IMP_COUNT,
    .interspersed = true,
    .run = import_main,
};
