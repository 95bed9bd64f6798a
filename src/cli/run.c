/* SPDX-License-Identifier: MIT */
/*
 * The root command: `fence [flags] [--] cmd...` / `fence -c STRING` (spec §3.1-§3.3, §3.8).
 * It validates every flag before anything is started, resolves the policy, hands the options
 * to a fence_manager and exits with the sandboxed command's status. Every check runs in the
 * order of §3.2 so that the first error a user sees is the one the Go tool shows.
 */
#include "run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "fence-build-config.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/path.h"

/* Longest command string built from argv; beyond it the kernel's ARG_MAX would refuse anyway. */
#define COMMAND_MAX (2u * 1024 * 1024)

enum {
    OPT_DEBUG,
    OPT_MONITOR,
    OPT_SETTINGS,
    OPT_TEMPLATE,
    OPT_LIST_TEMPLATES,
    OPT_C,
    OPT_PORT,
    OPT_SERVICE_MODEL,
    OPT_EXPOSE,
    OPT_EXPOSE_RW,
    OPT_SHELL,
    OPT_SHELL_LOGIN,
    OPT_LOG_FILE,
    OPT_FORCE_NEW_SESSION,
    OPT_ALLOW_DEGRADED,
    OPT_VERSION,
    OPT_LINUX_FEATURES,
    OPT_COUNT
};

static const char *const service_models[] = {"in-sandbox", "on-host", NULL};
static const char *const shell_modes[] = {"default", "user", NULL};
static const char *const degraded_levels[] = {"no-landlock", "no-seccomp", "host-proc", NULL};

static const cli_option root_options[OPT_COUNT] = {
    [OPT_DEBUG] = {"debug", 'd', CLI_BOOL, NULL,
                   "Log debug detail: the policy chain, the sandbox plan, every proxy request"},
    [OPT_MONITOR] = {"monitor", 'm', CLI_BOOL, NULL,
                     "Log blocked requests and sandbox violations"},
    [OPT_SETTINGS] = {"settings", 's', CLI_STRING, "PATH",
                      "Config file to use instead of discovery (must exist)",
                      .complete = CLI_COMPLETE_FILE},
    [OPT_TEMPLATE] = {"template", 't', CLI_STRING, "NAME",
                      "Built-in template to use (see --list-templates)",
                      .complete = CLI_COMPLETE_TEMPLATE},
    [OPT_LIST_TEMPLATES] = {"list-templates", 0, CLI_BOOL, NULL,
                            "List the built-in templates and exit"},
    [OPT_C] = {"c", 'c', CLI_STRING, "STRING",
               "Run STRING with the shell instead of the command arguments"},
    [OPT_PORT] = {"port", 'p', CLI_STRING_ARRAY, "SPEC",
                  "Expose an inbound port: PORT (127.0.0.1), ADDR:PORT or [IPv6]:PORT; "
                  "repeatable"},
    [OPT_SERVICE_MODEL] = {"service-execution-model", 0, CLI_STRING, "MODEL",
                           "Who binds exposed ports: in-sandbox, or on-host (docker, podman)",
                           "in-sandbox", CLI_COMPLETE_WORDS, service_models},
    [OPT_EXPOSE] = {"expose-host-path", 0, CLI_STRING_ARRAY, "PATH",
                    "Make a host path visible at the same path, read-only; repeatable",
                    .complete = CLI_COMPLETE_FILE},
    [OPT_EXPOSE_RW] = {"expose-host-path-rw", 0, CLI_STRING_ARRAY, "PATH",
                       "Make a host path visible at the same path, writable; repeatable",
                       .complete = CLI_COMPLETE_FILE},
    [OPT_SHELL] = {"shell", 0, CLI_STRING, "MODE",
                   "Shell that runs the command: default (bash) or user ($SHELL)", "default",
                   CLI_COMPLETE_WORDS, shell_modes},
    [OPT_SHELL_LOGIN] = {"shell-login", 0, CLI_BOOL, NULL, "Run the shell as a login shell (-lc)"},
    [OPT_LOG_FILE] = {"fence-log-file", 0, CLI_STRING, "PATH",
                      "Write fence's own log lines to PATH (truncated) instead of stderr",
                      .complete = CLI_COMPLETE_FILE},
    [OPT_FORCE_NEW_SESSION] = {"force-new-session", 0, CLI_BOOL, NULL,
                               "Start the command in a new session even on a terminal "
                               "(overrides forceNewSession)"},
    [OPT_ALLOW_DEGRADED] = {"allow-degraded", 0, CLI_STRING_ARRAY, "LEVEL",
                            "Run at a weaker level when this host lacks a layer: no-landlock, "
                            "no-seccomp, host-proc; repeatable or comma-separated",
                            .complete = CLI_COMPLETE_WORDS, .words = degraded_levels},
    [OPT_VERSION] = {"version", 'v', CLI_BOOL, NULL, "Print version information and exit"},
    [OPT_LINUX_FEATURES] = {"linux-features", 0, CLI_BOOL, NULL,
                            "Print the Linux sandbox features of this host and exit"},
};

static const cli_command *const root_subcommands[] = {&cli_completion, &cli_config, &cli_help,
                                                      &cli_import, NULL};

const cli_command cli_root = {
    .name = "fence",
    .path = "fence",
    .usage = "[flags] [--] command [args...]\n  fence [flags] -c STRING",
    .summary = "Run commands in a sandbox with network and filesystem restrictions",
    .description =
        "fence runs a command in a sandbox: it can read most of the machine, write only where\n"
        "the policy allows, reach only the network destinations the policy allows (through\n"
        "filtering HTTP and SOCKS5 proxies), and commands the policy forbids are refused.\n"
        "\n"
        "The policy comes from --template, else --settings, else the nearest fence.jsonc or\n"
        "fence.json in the current directory or a parent, else $XDG_CONFIG_HOME/fence/\n"
        "(~/.config/fence/), else the built-in default, which blocks all network access.\n"
        "Flags end at the first argument that is not a flag, so `fence claude --foo` passes\n"
        "--foo to claude. fence exits with the command's status (128+N for signal N).",
    .examples = "  fence curl https://example.com        # blocked: no domain is allowed\n"
                "  fence -t code -- claude               # run an agent with the code template\n"
                "  fence -c 'npm ci && npm test'         # a shell command string\n"
                "  fence -s ./fence.json npm install     # an explicit config file\n"
                "  fence -p 3000 -c 'npm run dev'        # expose port 3000 on 127.0.0.1\n"
                "  fence config show                     # see which config applies",
    .options = root_options,
    .n_options = OPT_COUNT,
    .subcommands = root_subcommands,
    .interspersed = false,
    .run = run_main,
};

/* ---- the command string (§3.1) ------------------------------------------------------- */

/* Characters that make ShellQuote wrap an argument in single quotes. */
static bool needs_quotes(const char *s) {
    return *s == '\0' || strpbrk(s, " \t\n\"'\\$`!*?[](){}<>|&;#") != NULL;
}

int run_shell_quote(char *const *argv, size_t n, char **ret) {
    fbuf b = FBUF_INIT(COMMAND_MAX);
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        if (i > 0)
            r = fbuf_putc(&b, ' ');
        if (r < 0)
            break;
        if (!needs_quotes(argv[i])) {
            r = fbuf_puts(&b, argv[i]);
            continue;
        }
        r = fbuf_putc(&b, '\'');
        for (const char *p = argv[i]; r == 0 && *p; p++)
            r = *p == '\'' ? fbuf_puts(&b, "'\\''") : fbuf_putc(&b, *p);
        if (r == 0)
            r = fbuf_putc(&b, '\'');
    }
    if (r == 0) {
        *ret = fbuf_steal(&b);
        if (!*ret)
            r = -ENOMEM;
    }
    fbuf_done(&b);
    return r;
}

/* ---- -p PORT / ADDR:PORT / [V6]:PORT (§3.2) ------------------------------------------- */

static int parse_port_number(const char *entry, const char *s, int *ret, fence_error *err) {
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || strchr(s, ' '))
        return fence_error_set(err, FENCE_E_INVAL, 0,
                               "invalid --port \"%s\": port must be an integer (got \"%s\")", entry,
                               s);
    if (v < 1 || v > 65535)
        return fence_error_set(err, FENCE_E_INVAL, 0,
                               "invalid --port \"%s\": port out of range 1-65535 (got %ld)", entry,
                               v);
    *ret = (int) v;
    return 0;
}

int run_parse_port(const char *entry, char **ret_addr, int *ret_port, fence_error *err) {
    _cleanup_free_ char *buf = NULL, *host = NULL;
    const char *s = entry, *colon, *port_str;
    unsigned char bin[16];
    size_t len;
    int port, r;

    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    len = strlen(s);
    while (len > 0 && strchr(" \t\n\r", s[len - 1]))
        len--;
    if (len == 0)
        return fence_error_set(err, FENCE_E_INVAL, 0, "invalid --port: empty value");
    buf = strndup(s, len);
    if (!buf)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");

    if (!strchr(buf, ':')) {
        r = parse_port_number(entry, buf, &port, err);
        if (r < 0)
            return r;
        host = strdup("127.0.0.1");
    } else {
        if (buf[0] == '[') {
            const char *close = strchr(buf, ']');

            if (!close || close[1] != ':')
                return fence_error_set(err, FENCE_E_INVAL, 0,
                                       "invalid --port \"%s\": address %s: %s", entry, buf,
                                       close ? "missing port in address" : "missing ']' in address");
            host = strndup(buf + 1, (size_t) (close - buf - 1));
            port_str = close + 2;
        } else {
            colon = strrchr(buf, ':');
            if (strchr(buf, ':') != colon)
                return fence_error_set(err, FENCE_E_INVAL, 0,
                                       "invalid --port \"%s\": address %s: too many colons in "
                                       "address (write IPv6 addresses as [ADDR]:PORT)",
                                       entry, buf);
            host = strndup(buf, (size_t) (colon - buf));
            port_str = colon + 1;
        }
        if (!host)
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
        if (*host == '\0')
            return fence_error_set(err, FENCE_E_INVAL, 0,
                                   "invalid --port \"%s\": missing bind address (use \"PORT\" "
                                   "alone for loopback)",
                                   entry);
        if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
            return fence_error_set(err, FENCE_E_INVAL, 0,
                                   "invalid --port \"%s\": bind address must be a literal IP "
                                   "(got \"%s\"); hostnames are not supported",
                                   entry, host);
        r = parse_port_number(entry, port_str, &port, err);
        if (r < 0)
            return r;
    }
    if (!host)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    *ret_addr = TAKE_PTR(host);
    *ret_port = port;
    return 0;
}

/* ---- logging -------------------------------------------------------------------------- */

/* fence's own diagnostic lines: stderr, or the --fence-log-file. */
static void log_line(void *userdata, const char *line) {
    FILE *f = userdata;

    fprintf(f, "%s\n", line);
    fflush(f);
}

static int open_log_file(const char *name, FILE **ret) {
    _cleanup_free_ char *cwd = NULL, *abs = NULL;
    int fd;

    if (!path_is_abs(name)) {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return cli_failf("failed to resolve fence log file \"%s\": %s", name, strerror(errno));
    }
    abs = cwd ? path_join(cwd, name) : path_clean(name);
    if (!abs)
        return cli_failf("out of memory");
    fd = open(abs, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return cli_failf("failed to open fence log file \"%s\": %s", abs, strerror(errno));
    *ret = fdopen(fd, "w");
    if (!*ret) {
        close(fd);
        return cli_failf("failed to open fence log file \"%s\": %s", abs, strerror(errno));
    }
    return 0;
}

/* ---- informational outputs (§3.8) -------------------------------------------------- */

static void print_version(void) {
    printf("fence - lightweight, container-free sandbox for running untrusted commands\n");
    printf("  Version: %s\n", FENCE_VERSION_STRING);
    printf("  Built:   %s\n", FENCE_BUILD_DATE);
    printf("  Commit:  %s\n", FENCE_COMMIT);
}

static void print_templates(void) {
    printf("Available templates:\n\n");
    for (size_t i = 0; i < fence_template_count(); i++) {
        const char *d = fence_template_description(i);

        printf("  %-20s %s\n", fence_template_name(i), d && *d ? d : "No description available");
    }
    printf("\nUsage: fence -t <template> <command>\n");
    printf("Example: fence -t code -- code\n");
}

static int print_linux_features(void) {
    _cleanup_free_ char *text = NULL;
    fence_error err = {0};

    if (fence_linux_features(&text, &err) < 0)
        return cli_fail(&err);
    fputs(text, stdout);
    if (*text && text[strlen(text) - 1] != '\n')
        fputc('\n', stdout);
    return 0;
}

/* ---- the run ------------------------------------------------------------------------ */

int run_load_config(const char *template_name, const char *settings, fence_config **ret,
                    char **ret_chain) {
    fence_error err = {0};

    if (fence_config_resolve(template_name, settings, NULL, ret, ret_chain, &err) < 0) {
        cli_fail(&err);
        if (template_name && err.code == FENCE_E_NOTFOUND &&
            strncmp(err.msg, "template \"", 10) == 0)
            fprintf(stderr, "%s\n", CLI_TEMPLATE_HINT);
        return -1;
    }
    return 0;
}

/* Hands the run options to the manager. */
static int configure_manager(fence_manager *m, const cli_parsed *p, FILE *log,
                             char **addrs, const int *ports, size_t n_ports, int model,
                             unsigned degraded, fence_error *err) {
    const cli_value *v = p->values;
    int r;

    fence_manager_set_debug(m, v[OPT_DEBUG].b);
    fence_manager_set_monitor(m, v[OPT_MONITOR].b);
    fence_manager_set_log_callback(m, log_line, log);
    for (size_t i = 0; i < n_ports; i++) {
        r = fence_manager_add_exposed_port(m, addrs[i], ports[i], err);
        if (r < 0)
            return r;
    }
    /* a resolver for the proxies other than /etc/resolv.conf (tests, unusual hosts); an
     * environment variable rather than a config key: a policy must not pick its resolver */
    r = fence_manager_set_dns_servers(m, getenv("FENCE_DNS_SERVERS"), err);
    if (r < 0)
        return r;
    r = fence_manager_set_execution_model(m, (fence_execution_model) model);
    if (r < 0)
        return fence_error_set(err, -r, 0, "setting the service execution model");
    for (int rw = 0; rw <= 1; rw++) {
        const strv *l = &v[rw ? OPT_EXPOSE_RW : OPT_EXPOSE].list;

        for (size_t i = 0; i < l->n; i++) {
            r = fence_manager_expose_host_path(m, l->v[i], rw, err);
            /* name the flag for a bad path, not when the host cannot do it at all */
            if (r < 0 && r != -FENCE_E_UNSUPPORTED)
                fence_error_prefix(err, "invalid --expose-host-path%s \"%s\"", rw ? "-rw" : "",
                                   l->v[i]);
            if (r < 0)
                return r;
        }
    }
    r = fence_manager_set_shell(m, v[OPT_SHELL].s ? v[OPT_SHELL].s : "default",
                                v[OPT_SHELL_LOGIN].b, err);
    if (r < 0)
        return r;
    if (v[OPT_FORCE_NEW_SESSION].set) {
        r = fence_manager_set_force_new_session(m, v[OPT_FORCE_NEW_SESSION].b);
        if (r < 0)
            return fence_error_set(err, -r, 0, "setting --force-new-session");
    }
    r = fence_manager_set_allow_degraded(m, degraded);
    if (r < 0)
        return fence_error_set(err, -r, 0, "setting --allow-degraded");
    return 0;
}

/* --allow-degraded: repeatable, each value a comma-separated list of levels. */
static int parse_degraded(const strv *values, unsigned *ret) {
    unsigned flags = 0;

    for (size_t i = 0; i < values->n; i++) {
        const char *v = values->v[i];

        for (;;) {
            size_t n = strcspn(v, ",");

            if (n == 11 && strncmp(v, "no-landlock", n) == 0)
                flags |= FENCE_ALLOW_NO_LANDLOCK;
            else if (n == 10 && strncmp(v, "no-seccomp", n) == 0)
                flags |= FENCE_ALLOW_NO_SECCOMP;
            else if (n == 9 && strncmp(v, "host-proc", n) == 0)
                flags |= FENCE_ALLOW_HOST_PROC;
            else if (n == 8 && strncmp(v, "no-netns", n) == 0)
                /* FENCE_ALLOW_NO_NETNS: nothing can honour it yet. Without a network namespace
                 * the command would share the host's network: refuse rather than fail open. */
                return cli_failf("invalid --allow-degraded \"no-netns\": this build cannot run "
                                 "without a network namespace (the command would reach the "
                                 "host network unfiltered); enable user namespaces instead");
            else
                return cli_failf("invalid --allow-degraded \"%.*s\" (expected no-landlock, "
                                 "no-seccomp or host-proc)",
                                 (int) n, v);
            if (!v[n])
                break;
            v += n + 1;
        }
    }
    *ret = flags;
    return 0;
}

static int parse_service_model(const char *s, int *ret) {
    char buf[32];
    size_t len;

    while (*s == ' ' || *s == '\t')
        s++;
    len = strlen(s);
    while (len > 0 && strchr(" \t\n", s[len - 1]))
        len--;
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (len == 0 || strcasecmp(buf, "in-sandbox") == 0)
        *ret = FENCE_SERVICE_IN_SANDBOX;
    else if (strcasecmp(buf, "on-host") == 0)
        *ret = FENCE_SERVICE_ON_HOST;
    else
        return -1;
    return 0;
}

typedef struct run_state {
    FILE *log;          /* stderr or the log file */
    char *command;
    char **addrs;       /* -p bind addresses */
    int *ports;
    size_t n_ports;
    fence_config *cfg;
    char *chain;
    fence_manager *m;
    unsigned degraded;  /* FENCE_ALLOW_* from --allow-degraded */
} run_state;

static void run_state_done(run_state *s) {
    fence_manager_free(s->m);
    fence_config_free(s->cfg);
    free(s->chain);
    for (size_t i = 0; i < s->n_ports; i++)
        free(s->addrs[i]);
    free(s->addrs);
    free(s->ports);
    free(s->command);
    if (s->log && s->log != stderr)
        fclose(s->log);
}

/* Builds the command string and checks every flag value (§3.2 order, before the config). */
static int validate_run_flags(const cli_parsed *p, run_state *s, int *ret_model) {
    const cli_value *v = p->values;
    const strv *ports = &v[OPT_PORT].list;
    fence_error err = {0};
    const char *shell;

    if (v[OPT_C].s && *v[OPT_C].s) {
        s->command = strdup(v[OPT_C].s);
    } else if (p->n_args > 0) {
        if (run_shell_quote(p->args, p->n_args, &s->command) < 0)
            return cli_failf("command line too long or out of memory");
    } else {
        return cli_failf("no command specified. Use -c <command> or provide command arguments");
    }
    if (!s->command)
        return cli_failf("out of memory");
    if (v[OPT_DEBUG].b)
        fprintf(s->log, "[fence] Command: %s\n", s->command);

    s->addrs = calloc(ports->n + 1, sizeof(*s->addrs));
    s->ports = calloc(ports->n + 1, sizeof(*s->ports));
    if (!s->addrs || !s->ports)
        return cli_failf("out of memory");
    for (; s->n_ports < ports->n; s->n_ports++)
        if (run_parse_port(ports->v[s->n_ports], &s->addrs[s->n_ports], &s->ports[s->n_ports],
                           &err) < 0)
            return cli_fail(&err);

    if (v[OPT_SERVICE_MODEL].s && parse_service_model(v[OPT_SERVICE_MODEL].s, ret_model) < 0)
        return cli_failf("invalid --service-execution-model \"%s\" (expected 'in-sandbox' or "
                         "'on-host')",
                         v[OPT_SERVICE_MODEL].s);
    if (v[OPT_DEBUG].b && s->n_ports > 0) {
        fprintf(s->log, "[fence] Exposing ports: ");
        for (size_t i = 0; i < s->n_ports; i++)
            fprintf(s->log, "%s%s%s%s:%d", i ? ", " : "", strchr(s->addrs[i], ':') ? "[" : "",
                    s->addrs[i], strchr(s->addrs[i], ':') ? "]" : "", s->ports[i]);
        fprintf(s->log, " (execution model: %s)\n",
                *ret_model == FENCE_SERVICE_ON_HOST ? "on-host" : "in-sandbox");
    }

    if (parse_degraded(&v[OPT_ALLOW_DEGRADED].list, &s->degraded) != 0)
        return -1;

    /* the mode itself is checked here; $SHELL is checked by the manager (fence_manager_set_shell) */
    shell = v[OPT_SHELL].s ? v[OPT_SHELL].s : "default";
    if (!streq(shell, "default") && !streq(shell, "user"))
        return cli_failf("invalid shell options: invalid shell mode \"%s\" (expected \"default\" "
                         "or \"user\")",
                         shell);
    return 0;
}

int run_main(const cli_parsed *p) {
    _cleanup_(run_state_done) run_state s = {.log = stderr};
    const cli_value *v = p->values;
    fence_error err = {0};
    int model = FENCE_SERVICE_IN_SANDBOX, status = 0;

    if (v[OPT_LOG_FILE].s && *v[OPT_LOG_FILE].s && open_log_file(v[OPT_LOG_FILE].s, &s.log) != 0)
        return 1;
    if (v[OPT_VERSION].b) {
        print_version();
        return 0;
    }
    if (v[OPT_LINUX_FEATURES].b)
        return print_linux_features();
    if (v[OPT_LIST_TEMPLATES].b) {
        print_templates();
        return 0;
    }
    if (validate_run_flags(p, &s, &model) != 0)
        return 1;

    if (run_load_config(v[OPT_TEMPLATE].s, v[OPT_SETTINGS].s, &s.cfg,
                        v[OPT_DEBUG].b ? &s.chain : NULL) < 0)
        return 1;
    if (s.chain)
        cli_print_lines(s.log, "[fence] ", s.chain);

    if (fence_manager_new(s.cfg, &s.m, &err) < 0 ||
        configure_manager(s.m, p, s.log, s.addrs, s.ports, s.n_ports, model, s.degraded,
                          &err) < 0)
        return cli_fail(&err);
    if (v[OPT_DEBUG].b) {
        _cleanup_free_ char *plan = NULL;

        if (fence_manager_describe(s.m, s.command, &plan, &err) < 0)
            return cli_fail(&err);
        cli_print_lines(s.log, "[fence] ", plan);
    }
    /* nothing buffered may be written twice by a forked child, or after the command's output */
    fflush(stdout);
    fflush(s.log);
    if (fence_manager_run(s.m, s.command, &status, &err) < 0)
        return cli_fail(&err);
    return status;
}
