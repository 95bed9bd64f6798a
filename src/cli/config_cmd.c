/* SPDX-License-Identifier: MIT */
/*
 * `fence config show` (spec §3.5: the active chain on stderr, the merged policy as JSON on
 * stdout) and `fence config init` (§3.4: a starter config extending a template, or a minimal
 * one, written 0600 under 0750 directories after an overwrite prompt).
 */
#include "config_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"

/* The scaffold output is a few hundred bytes plus the template name. */
#define SCAFFOLD_MAX (64u * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(fence_config, fence_config_free)

/* ---- config show ----------------------------------------------------------------------- */

enum { SHOW_SETTINGS, SHOW_TEMPLATE, SHOW_COUNT };

static const cli_option show_options[SHOW_COUNT] = {
    [SHOW_SETTINGS] = {"settings", 's', CLI_STRING, "PATH", "Show this config file's chain",
                       .complete = CLI_COMPLETE_FILE},
    [SHOW_TEMPLATE] = {"template", 't', CLI_STRING, "NAME", "Show this built-in template",
                       .complete = CLI_COMPLETE_TEMPLATE},
};

static int reject_args(const cli_parsed *p) {
    if (p->n_args == 0)
        return 0;
    return cli_failf("unknown command \"%s\" for \"%s\"", p->args[0], p->cmd->path);
}

static int show_main(const cli_parsed *p) {
    _cleanup_(fence_config_freep) fence_config *cfg = NULL;
    _cleanup_free_ char *chain = NULL, *json = NULL;
    fence_error err = {0};

    if (reject_args(p) != 0)
        return 1;
    if (cli_exclusive(p, SHOW_SETTINGS, SHOW_TEMPLATE, &err) < 0)
        return cli_fail(&err);
    if (run_load_config(p->values[SHOW_TEMPLATE].s, p->values[SHOW_SETTINGS].s, &cfg, &chain) < 0)
        return 1;
    if (fence_config_to_json(cfg, &json, &err) < 0)
        return cli_fail(&err);
    fprintf(stderr, "%s\n", chain ? chain : "");
    fflush(stderr);
    fputs(json, stdout);
    return 0;
}

const cli_command cli_config_show = {
    .name = "show",
    .path = "fence config show",
    .usage = "[flags]",
    .summary = "Show the active config chain and the merged policy",
    .description = "Resolves the policy exactly as a run would, without running anything. The\n"
                   "chain of files and templates that make it up goes to stderr, the merged\n"
                   "policy as JSON to stdout.",
    .examples = "  fence config show\n"
                "  fence config show -t code-strict\n"
                "  fence config show -s ./fence.json > merged.json",
    .options = show_options,
    .n_options = SHOW_COUNT,
    .interspersed = true,
    .run = show_main,
};

/* ---- config init ----------------------------------------------------------------------- */

enum { INIT_TEMPLATE, INIT_MINIMAL, INIT_OUTPUT, INIT_FORCE, INIT_PRINT, INIT_SCAFFOLD, INIT_COUNT };

static const cli_option init_options[INIT_COUNT] = {
    [INIT_TEMPLATE] = {"template", 0, CLI_STRING, "NAME", "Template the new config extends",
                       "code", CLI_COMPLETE_TEMPLATE},
    [INIT_MINIMAL] = {"minimal", 0, CLI_BOOL, NULL, "Write a config that extends nothing"},
    [INIT_OUTPUT] = {"output", 'o', CLI_STRING, "PATH",
                     "Write to PATH instead of the user config path",
                     .complete = CLI_COMPLETE_FILE},
    [INIT_FORCE] = {"force", 'y', CLI_BOOL, NULL, "Overwrite an existing file without asking"},
    [INIT_PRINT] = {"print", 0, CLI_BOOL, NULL, "Print the config on stdout instead of writing it"},
    [INIT_SCAFFOLD] = {"scaffold", 0, CLI_BOOL, NULL,
                       "Include empty rule lists to fill in"},
};

bool config_template_exists(const char *name) {
    _cleanup_free_ char *trimmed = strdup(name);
    size_t len;

    if (!trimmed)
        return false;
    len = strlen(trimmed);
    if (len > 5 && streq(trimmed + len - 5, ".json"))
        trimmed[len - 5] = '\0';
    return fence_template_source(trimmed) != NULL;
}

char *config_header(const char *first, const char *extends) {
    char *s = NULL;
    int r;

    if (extends)
        r = asprintf(&s,
                     "// %s; this file extends \"%s\".\n"
                     "// The rules of \"%s\" are inherited and not repeated here.\n"
                     "// Add your own rules below; `fence config show` prints the merged policy.\n"
                     "// `fence --list-templates` lists the built-in templates.\n"
                     "// Reference: man fence, section CONFIGURATION.\n",
                     first, extends, extends);
    else
        r = asprintf(&s,
                     "// %s.\n"
                     "// Add network, filesystem, command and ssh rules below.\n"
                     "// Reference: man fence, section CONFIGURATION.\n",
                     first);
    return r < 0 ? NULL : s;
}

/* The plain body: the canonical JSON of a config that only sets extends ("{}" for none). */
static char *plain_json(const char *extends, fence_error *err) {
    _cleanup_(fence_config_freep) fence_config *cfg = fence_config_new();
    char *json = NULL;

    if (!cfg || (extends && fence_config_set_string(cfg, FENCE_CFG_EXTENDS, extends) < 0)) {
        fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
        return NULL;
    }
    return fence_config_to_json(cfg, &json, err) < 0 ? NULL : json;
}

/* The --scaffold body: the plain one (the library's writer quotes the template name) with
 * every commonly edited list added, present and empty. */
static char *scaffold_json(const char *extends, fence_error *err) {
    static const struct {
        const char *section;
        const char *keys[6];
    } sections[] = {
        {"network", {"allowedDomains", "deniedDomains"}},
        {"filesystem", {"allowRead", "allowExecute", "denyRead", "allowWrite", "denyWrite"}},
        {"command", {"deny", "allow"}},
        {"ssh", {"allowedHosts", "deniedHosts", "allowedCommands", "deniedCommands"}},
    };
    _cleanup_free_ char *plain = plain_json(extends, err);
    fbuf b = FBUF_INIT(SCAFFOLD_MAX);
    char *out;
    int r;

    if (!plain)
        return NULL;
    if (extends && (strlen(plain) < 4 || !streq(plain + strlen(plain) - 3, "\n}\n"))) {
        fence_error_set(err, FENCE_E_INVAL, 0, "unexpected config JSON layout");
        return NULL;
    }
    /* "{\n  \"extends\": \"x\"\n}\n" -> "{\n  \"extends\": \"x\",\n"; "{}\n" -> "{\n" */
    r = extends ? fbuf_append(&b, plain, strlen(plain) - strlen("\n}\n")) : 0;
    if (r == 0)
        r = fbuf_puts(&b, extends ? ",\n" : "{\n");
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sections); i++) {
        r = fbuf_printf(&b, "  \"%s\": {\n", sections[i].section);
        for (size_t k = 0; r == 0 && k < ARRAY_SIZE(sections[i].keys) && sections[i].keys[k]; k++)
            r = fbuf_printf(&b, "    \"%s\": []%s\n", sections[i].keys[k],
                            k + 1 < ARRAY_SIZE(sections[i].keys) && sections[i].keys[k + 1] ? ","
                                                                                           : "");
        if (r == 0)
            r = fbuf_printf(&b, "  }%s\n", i + 1 < ARRAY_SIZE(sections) ? "," : "");
    }
    if (r == 0)
        r = fbuf_puts(&b, "}\n");
    out = r == 0 ? fbuf_steal(&b) : NULL;
    fbuf_done(&b);
    if (!out)
        fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    return out;
}

static int init_main(const cli_parsed *p) {
    _cleanup_free_ char *body = NULL, *header = NULL, *default_path = NULL;
    const cli_value *v = p->values;
    const char *extends = NULL, *dest;
    fence_error err = {0};

    if (reject_args(p) != 0)
        return 1;
    if (cli_exclusive(p, INIT_MINIMAL, INIT_TEMPLATE, &err) < 0 ||
        cli_exclusive(p, INIT_PRINT, INIT_OUTPUT, &err) < 0 ||
        cli_exclusive(p, INIT_PRINT, INIT_FORCE, &err) < 0)
        return cli_fail(&err);
    if (!v[INIT_MINIMAL].b) {
        extends = v[INIT_TEMPLATE].s && *v[INIT_TEMPLATE].s ? v[INIT_TEMPLATE].s : "code";
        if (!config_template_exists(extends)) {
            cli_failf("template \"%s\" not found", extends);
            fprintf(stderr, "%s\n", CLI_TEMPLATE_HINT);
            return 1;
        }
    }
    body = v[INIT_SCAFFOLD].b ? scaffold_json(extends, &err) : plain_json(extends, &err);
    if (!body)
        return cli_fail(&err);
    if (v[INIT_PRINT].b) {
        fputs(body, stdout);
        return 0;
    }

    dest = v[INIT_OUTPUT].s && *v[INIT_OUTPUT].s ? v[INIT_OUTPUT].s : NULL;
    if (!dest) {
        default_path = fence_config_default_path();
        if (!default_path)
            return cli_failf("cannot determine the user config path: $HOME is not set");
        dest = default_path;
    }
    if (!v[INIT_FORCE].b && !cli_confirm_overwrite(dest))
        return 0;
    header = config_header("Starter config written by `fence config init`", extends);
    if (!header)
        return cli_failf("out of memory");
    if (cli_write_config_file(dest, header, body, &err) < 0)
        return cli_fail(&err);
    if (extends)
        printf("Created config extending \"%s\"\n", extends);
    else
        printf("Created minimal config\n");
    printf("Written to \"%s\"\n", dest);
    return 0;
}

const cli_command cli_config_init = {
    .name = "init",
    .path = "fence config init",
    .usage = "[flags]",
    .summary = "Create a starter config file",
    .description = "Writes a starter config to the user config path ($XDG_CONFIG_HOME/fence/\n"
                   "fence.json) or to --output. By default it only extends the \"code\" template:\n"
                   "{\n  \"extends\": \"code\"\n}",
    .examples = "  fence config init\n"
                "  fence config init --template local-dev-server\n"
                "  fence config init --minimal -o ./fence.json\n"
                "  fence config init --print --scaffold",
    .options = init_options,
    .n_options = INIT_COUNT,
    .interspersed = true,
    .run = init_main,
};

/* ---- the group ------------------------------------------------------------------------- */

static const cli_command *const config_subcommands[] = {&cli_config_init, &cli_config_show, NULL};

const cli_command cli_config = {
    .name = "config",
    .path = "fence config",
    .usage = "[command]",
    .summary = "Manage fence configuration files",
    .description = "Create a starter config, or show which config applies and what it resolves to.",
    .subcommands = config_subcommands,
    .interspersed = true,
};
