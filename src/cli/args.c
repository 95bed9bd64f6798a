/* SPDX-License-Identifier: MIT */
/*
 * Table-driven argument parsing and help output for the fence CLI; see args.h for the rules.
 */
#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"

static const cli_option *find_long(const cli_command *cmd, const char *name, size_t len) {
    for (size_t i = 0; i < cmd->n_options; i++)
        if (strlen(cmd->options[i].long_name) == len &&
            strncmp(cmd->options[i].long_name, name, len) == 0)
            return &cmd->options[i];
    return NULL;
}

static const cli_option *find_short(const cli_command *cmd, char c) {
    for (size_t i = 0; i < cmd->n_options; i++)
        if (cmd->options[i].short_name == c)
            return &cmd->options[i];
    return NULL;
}

int cli_option_index(const cli_command *cmd, const char *long_name) {
    const cli_option *o = find_long(cmd, long_name, strlen(long_name));
    return o ? (int) (o - cmd->options) : -1;
}

void cli_option_label(const cli_option *o, char *buf, size_t size) {
    if (o->short_name)
        snprintf(buf, size, "-%c, --%s", o->short_name, o->long_name);
    else
        snprintf(buf, size, "--%s", o->long_name);
}

/* strconv.ParseBool's accepted spellings. */
static int parse_bool(const char *s, bool *ret) {
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (streq(s, yes[i])) {
            *ret = true;
            return 0;
        }
        if (streq(s, no[i])) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Stores one occurrence of option o; value is NULL for a boolean given without "=value". */
static int set_value(const cli_command *cmd, const cli_option *o, const char *value,
                     cli_value *values, fence_error *err) {
    cli_value *v = &values[o - cmd->options];
    char label[64];

    switch (o->kind) {
    case CLI_BOOL:
        if (!value) {
            v->b = true;
        } else if (parse_bool(value, &v->b) < 0) {
            cli_option_label(o, label, sizeof(label));
            return fence_error_set(err, FENCE_E_INVAL, 0,
                                   "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
                                   "parsing \"%s\": invalid syntax",
                                   value, label, value);
        }
        break;
    case CLI_STRING:
        v->s = value;
        break;
    case CLI_STRING_ARRAY:
        if (strv_push(&v->list, value) < 0)
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
        break;
    }
    v->set = true;
    return 0;
}

/* "--name", "--name=value", "--name value". Returns how many extra arguments were consumed. */
static int parse_long(const cli_command *cmd, char *arg, int rest, char **next, cli_parsed *p,
                      fence_error *err) {
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t) (eq - name) : strlen(name);
    const cli_option *o = find_long(cmd, name, len);
    int r;

    if (!o) {
        if (len == 4 && strncmp(name, "help", 4) == 0) {
            p->help = true;
            return 0;
        }
        return fence_error_set(err, FENCE_E_INVAL, 0, "unknown flag: --%.*s", (int) len, name);
    }
    if (eq || o->kind == CLI_BOOL) {
        r = set_value(cmd, o, eq ? eq + 1 : NULL, p->values, err);
        return r < 0 ? r : 0;
    }
    if (rest < 1)
        return fence_error_set(err, FENCE_E_INVAL, 0, "flag needs an argument: --%s",
                               o->long_name);
    r = set_value(cmd, o, next[0], p->values, err);
    return r < 0 ? r : 1;
}

/* "-abc", "-svalue", "-s=value", "-s value". Returns how many extra arguments were consumed. */
static int parse_short(const cli_command *cmd, char *arg, int rest, char **next, cli_parsed *p,
                       fence_error *err) {
    for (const char *c = arg + 1; *c; c++) {
        const cli_option *o = find_short(cmd, *c);
        const char *tail = c + 1;
        int r;

        if (!o) {
            if (*c == 'h') {
                p->help = true;
                continue;
            }
            return fence_error_set(err, FENCE_E_INVAL, 0, "unknown shorthand flag: '%c' in %s",
                                   *c, arg);
        }
        if (o->kind == CLI_BOOL) {
            r = set_value(cmd, o, *tail == '=' ? tail + 1 : NULL, p->values, err);
            if (r < 0 || *tail == '=')
                return r < 0 ? r : 0;
            if (r < 0)
                return r;
            continue;
        }
        if (*tail) {
            r = set_value(cmd, o, *tail == '=' ? tail + 1 : tail, p->values, err);
            return r < 0 ? r : 0;
        }
        if (rest < 1)
            return fence_error_set(err, FENCE_E_INVAL, 0, "flag needs an argument: '%c' in %s",
                                   *c, arg);
        r = set_value(cmd, o, next[0], p->values, err);
        return r < 0 ? r : 1;
    }
    return 0;
}

void cli_parsed_done(cli_parsed *p) {
    if (p->values)
        for (size_t i = 0; i < p->cmd->n_options; i++)
            strv_done(&p->values[i].list);
    free(p->values);
    free(p->args);
    *p = (cli_parsed){0};
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_parsed *ret, fence_error *err) {
    _cleanup_(cli_parsed_done) cli_parsed p = {.cmd = cmd};
    int i, r;

    p.values = calloc(cmd->n_options ? cmd->n_options : 1, sizeof(*p.values));
    p.args = calloc((size_t) argc + 1, sizeof(*p.args));
    if (!p.values || !p.args)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");

    for (i = 0; i < argc; i++) {
        char *a = argv[i];

        if (streq(a, "--")) {
            p.dash = true;
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (!cmd->interspersed)
                break;
            p.args[p.n_args++] = a;
            continue;
        }
        if (a[1] == '-')
            r = parse_long(cmd, a, argc - i - 1, argv + i + 1, &p, err);
        else
            r = parse_short(cmd, a, argc - i - 1, argv + i + 1, &p, err);
        if (r < 0)
            return r;
        i += r;
    }
    for (; i < argc; i++)
        p.args[p.n_args++] = argv[i];

    *ret = p;
    p = (cli_parsed){0};
    return 0;
}

/* Whether flag argument a consumes the next argument while looking for a subcommand. As cobra's
 * stripFlags: "--name" and a two-character "-x" do unless they name a boolean of cmd; an unknown
 * flag is assumed to take a value; "--name=v" and clusters never do. */
static bool takes_next(const cli_command *cmd, const char *a) {
    const cli_option *o;

    if (strchr(a, '='))
        return false;
    if (a[1] == '-')
        o = find_long(cmd, a + 2, strlen(a + 2));
    else if (a[2] == '\0')
        o = find_short(cmd, a[1]);
    else
        return false;
    return !o || o->kind != CLI_BOOL;
}

static const cli_command *find_sub(const cli_command *cmd, const char *name) {
    if (!cmd->subcommands)
        return NULL;
    for (size_t i = 0; cmd->subcommands[i]; i++)
        if (streq(cmd->subcommands[i]->name, name))
            return cmd->subcommands[i];
    return NULL;
}

int cli_find_command(const cli_command *root, int argc, char **argv, const cli_command **ret_cmd,
                     int *ret_argc, char ***ret_argv, fence_error *err) {
    _cleanup_free_ char **args = calloc((size_t) argc + 1, sizeof(*args));
    const cli_command *cmd = root;
    int n = argc;

    if (!args)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    memcpy(args, argv, (size_t) argc * sizeof(*args));

    for (;;) {
        const cli_command *sub = NULL;
        int i;

        for (i = 0; i < n; i++) {
            const char *a = args[i];

            if (streq(a, "--"))
                break;
            if (a[0] == '-' && a[1] != '\0') {
                if (takes_next(cmd, a))
                    i++;
                continue;
            }
            sub = find_sub(cmd, a);
            break;
        }
        if (!sub)
            break;
        memmove(args + i, args + i + 1, (size_t) (n - i) * sizeof(*args));
        n--;
        cmd = sub;
    }
    *ret_cmd = cmd;
    *ret_argc = n;
    *ret_argv = TAKE_PTR(args);
    return 0;
}

int cli_exclusive(const cli_parsed *p, int a, int b, fence_error *err) {
    const char *na = p->cmd->options[a].long_name, *nb = p->cmd->options[b].long_name;
    const char *lo = strcmp(na, nb) < 0 ? na : nb, *hi = lo == na ? nb : na;

    if (!p->values[a].set || !p->values[b].set)
        return 0;
    return fence_error_set(err, FENCE_E_INVAL, 0,
                           "if any flags in the group [%s %s] are set none of the others can be; "
                           "[%s %s] were all set",
                           na, nb, lo, hi);
}

/* ---- help ------------------------------------------------------------------------------ */

/* "-s, --settings PATH" or "    --shell MODE": the left column of the flag table. */
static void option_synopsis(const cli_option *o, char *buf, size_t size) {
    char label[64];

    cli_option_label(o, label, sizeof(label));
    snprintf(buf, size, "%s%s%s%s", o->short_name ? "" : "    ", label, o->arg_name ? " " : "",
             o->arg_name ? o->arg_name : "");
}

static void print_options(const cli_command *cmd, FILE *out) {
    char buf[128];
    int width = (int) strlen("-h, --help");

    for (size_t i = 0; i < cmd->n_options; i++) {
        option_synopsis(&cmd->options[i], buf, sizeof(buf));
        if ((int) strlen(buf) > width)
            width = (int) strlen(buf);
    }
    fprintf(out, "Flags:\n");
    for (size_t i = 0; i < cmd->n_options; i++) {
        const cli_option *o = &cmd->options[i];

        option_synopsis(o, buf, sizeof(buf));
        fprintf(out, "  %-*s   %s", width, buf, o->help);
        if (o->def)
            fprintf(out, " (default \"%s\")", o->def);
        fputc('\n', out);
    }
    fprintf(out, "  %-*s   help for %s\n", width, "-h, --help", cmd->name);
}

void cli_print_help(const cli_command *cmd, FILE *out) {
    fprintf(out, "%s\n\n", cmd->description ? cmd->description : cmd->summary);
    fprintf(out, "Usage:\n");
    if (cmd->run)
        fprintf(out, "  %s %s\n", cmd->path, cmd->usage);
    if (cmd->subcommands)
        fprintf(out, "  %s [command]\n", cmd->path);
    if (cmd->subcommands) {
        size_t w = 0;

        for (size_t i = 0; cmd->subcommands[i]; i++)
            if (strlen(cmd->subcommands[i]->name) > w)
                w = strlen(cmd->subcommands[i]->name);
        fprintf(out, "\nAvailable Commands:\n");
        for (size_t i = 0; cmd->subcommands[i]; i++)
            fprintf(out, "  %-*s  %s\n", (int) w, cmd->subcommands[i]->name,
                    cmd->subcommands[i]->summary);
    }
    fputc('\n', out);
    print_options(cmd, out);
    if (cmd->examples)
        fprintf(out, "\nExamples:\n%s\n", cmd->examples);
    if (cmd->subcommands)
        fprintf(out, "\nUse \"%s [command] --help\" for more information about a command.\n",
                cmd->path);
}
