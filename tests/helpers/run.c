/* SPDX-License-Identifier: MIT */
/*
 * fence-run: a small driver of the public API used by the engine's integration tests until the
 * CLI's run path lands. It builds a config with setters (no config files, no templates):
 *
 *   fence-run [--set key=value]... [-d] [--describe] [--shell MODE] [--shell-login]
 *             [--expose PATH] [--expose-rw PATH] [--force-new-session=0|1]
 *             [--allow-degraded FLAGS] (-c STRING | -- argv...)
 *
 * `--set` appends to list keys and sets scalar keys (booleans: true/false/unset). Errors print
 * "Error: <msg>" and exit 1, like the CLI; otherwise the exit status is the command's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fence/fence.h"

static void log_line(void *userdata, const char *line) {
    (void) userdata;
    fprintf(stderr, "%s\n", line);
}

static int set_key(fence_config *cfg, const char *kv) {
    char name[256];
    const char *eq = strchr(kv, '=');
    int key, type;

    if (!eq || (size_t) (eq - kv) >= sizeof(name))
        return -1;
    memcpy(name, kv, (size_t) (eq - kv));
    name[eq - kv] = '\0';
    key = fence_config_key_lookup(name);
    if (key < 0)
        return -1;
    type = fence_config_key_type((fence_config_key) key);
    switch (type) {
    case FENCE_TYPE_STRING:
        return fence_config_set_string(cfg, (fence_config_key) key, eq + 1);
    case FENCE_TYPE_BOOL:
    case FENCE_TYPE_TRISTATE:
        return fence_config_set_bool(cfg, (fence_config_key) key,
                                     strcmp(eq + 1, "true") == 0    ? 1
                                     : strcmp(eq + 1, "unset") == 0 ? FENCE_UNSET
                                                                    : 0);
    case FENCE_TYPE_INT:
        return fence_config_set_int(cfg, (fence_config_key) key, strtol(eq + 1, NULL, 10));
    case FENCE_TYPE_STRING_LIST:
        return fence_config_list_append_string(cfg, (fence_config_key) key, eq + 1);
    case FENCE_TYPE_INT_LIST:
        return fence_config_list_append_int(cfg, (fence_config_key) key, strtol(eq + 1, NULL, 10));
    }
    return -1;
}

static char *join_argv(char **argv) {
    size_t cap = 1;
    char *s, *p;

    for (char **a = argv; *a; a++)
        cap += strlen(*a) * 4 + 3;
    s = p = malloc(cap);
    if (!s)
        return NULL;
    for (char **a = argv; *a; a++) {
        if (a != argv)
            *p++ = ' ';
        *p++ = '\'';
        for (const char *c = *a; *c; c++) {
            if (*c == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else
                *p++ = *c;
        }
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

int main(int argc, char **argv) {
    fence_config *cfg = fence_config_new();
    fence_manager *m = NULL;
    fence_error err = {0};
    const char *command = NULL, *shell = NULL;
    char *joined = NULL;
    int debug = 0, describe = 0, login = 0, fns = FENCE_UNSET, status = 1, i;
    unsigned degraded = 0;

    if (!cfg || fence_manager_new(NULL, &m, &err) < 0) {
        fprintf(stderr, "Error: %s\n", err.msg);
        goto out;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
            if (set_key(cfg, argv[++i]) < 0) {
                fprintf(stderr, "Error: bad --set '%s'\n", argv[i]);
                goto out;
            }
        } else if (strcmp(a, "-d") == 0) {
            debug = 1;
        } else if (strcmp(a, "--describe") == 0) {
            describe = 1;
        } else if (strcmp(a, "--shell") == 0 && i + 1 < argc) {
            shell = argv[++i];
        } else if (strcmp(a, "--shell-login") == 0) {
            login = 1;
        } else if (strncmp(a, "--force-new-session=", 20) == 0) {
            fns = atoi(a + 20);
        } else if (strcmp(a, "--allow-degraded") == 0 && i + 1 < argc) {
            degraded = (unsigned) strtoul(argv[++i], NULL, 0);
        } else if ((strcmp(a, "--expose") == 0 || strcmp(a, "--expose-rw") == 0) &&
                   i + 1 < argc) {
            if (fence_manager_expose_host_path(m, argv[i + 1], a[8] == '-', &err) < 0) {
                fprintf(stderr, "Error: %s\n", err.msg);
                goto out;
            }
            i++;
        } else if (strcmp(a, "-c") == 0 && i + 1 < argc) {
            command = argv[++i];
        } else {
            break;
        }
    }
    if (!command && i < argc)
        command = joined = join_argv(argv + i);
    if (!command) {
        fprintf(stderr, "Error: no command specified. Use -c <command> or provide command "
                        "arguments\n");
        goto out;
    }
    {
        /* the manager copies the config at creation: make a fresh one with it */
        fence_manager *m2 = NULL;
        if (fence_manager_new(cfg, &m2, &err) < 0) {
            fprintf(stderr, "Error: %s\n", err.msg);
            goto out;
        }
        /* carry over the exposed paths by re-adding them */
        for (int k = 1; k < argc; k++)
            if ((strcmp(argv[k], "--expose") == 0 || strcmp(argv[k], "--expose-rw") == 0) &&
                k + 1 < argc)
                fence_manager_expose_host_path(m2, argv[k + 1], argv[k][8] == '-', NULL);
        fence_manager_free(m);
        m = m2;
    }
    fence_manager_set_debug(m, debug);
    fence_manager_set_log_callback(m, log_line, NULL);
    fence_manager_set_force_new_session(m, fns);
    fence_manager_set_allow_degraded(m, degraded);
    if (shell && fence_manager_set_shell(m, shell, login, &err) < 0) {
        fprintf(stderr, "Error: %s\n", err.msg);
        goto out;
    }
    if (!shell && login)
        fence_manager_set_shell(m, "default", 1, NULL);
    if (describe || debug) {
        char *text = NULL;
        if (fence_manager_describe(m, command, &text, &err) < 0) {
            fprintf(stderr, "Error: %s\n", err.msg);
            goto out;
        }
        fprintf(describe ? stdout : stderr, "%s", text);
        fence_free(text);
        if (describe) {
            status = 0;
            goto out;
        }
    }
    if (fence_manager_run(m, command, &status, &err) < 0) {
        fprintf(stderr, "Error: %s\n", err.msg);
        status = 1;
    }
out:
    fence_manager_free(m);
    fence_config_free(cfg);
    free(joined);
    return status;
}
