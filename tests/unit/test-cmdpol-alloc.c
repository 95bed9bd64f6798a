/* SPDX-License-Identifier: MIT */
/*
 * Fail-the-Nth-allocation loops (STYLE.md §10) over the command policy: the preflight check and
 * the path-mode resolution are run with allocation number N failing, for every N until a run
 * needs fewer. Each run must end in -FENCE_E_NOMEM or in the right verdict — never in "allowed"
 * for a command that is refused — and leak nothing (the sanitizer build checks leaks). malloc,
 * calloc, realloc, strdup and strndup are wrapped at link time (-Wl,--wrap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "enforce/linux/execdeny.h"
#include "util/cleanup.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t max);

static bool armed;
static unsigned long count, fail_at;

static bool injected(void) {
    return armed && ++count == fail_at;
}

void *__wrap_malloc(size_t n) {
    return injected() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
    return injected() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
    return injected() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

char *__wrap_strndup(const char *s, size_t max) {
    size_t n = strnlen(s, max);
    char *p = __wrap_malloc(n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static fence_config *policy(void) {
    static const char *const deny[] = {"git push", "sudo", "rm -rf /", NULL};
    fence_config *cfg = fence_config_new();

    assert_non_null(cfg);
    for (const char *const *d = deny; *d; d++)
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, *d), 0);
    assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_ALLOW, "ls -la"), 0);
    assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_SSH_ALLOWED_HOSTS, "*.x.org"),
                     0);
    assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_SSH_ALLOWED_COMMANDS, "ls"), 0);
    return cfg;
}

static void test_check_command(void **state) {
    static const struct {
        const char *cmd;
        int want; /* 0 or -FENCE_E_BLOCKED */
    } cases[] = {
            /* every kind of construct, refused only by its last command */
            {"X=1 env -S 'nice -n 1' bash -c \"$(cat <<'EOF'\nls -la\nEOF\n)\" && "
             "echo {a,b}${IFS}x `printf '%s' ok` | xargs -I{} sh -c 'true' ; "
             "case $1 in a) f() { :; };; esac; ssh h.x.org 'ls; ls'; $(echo git) push",
             -FENCE_E_BLOCKED},
            {"ssh h.x.org 'ls && rm x'", -FENCE_E_BLOCKED},
        {"$(printf '%s' git) push", -FENCE_E_BLOCKED}, /* known output, even short of memory */
            {"cat <<E | bash\nsudo ls\nE\n", -FENCE_E_BLOCKED},
            {"ls -la && find . -exec echo {} + | sort", 0},
    };
    fence_config *cfg = policy();

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        unsigned long nomem = 0;

        for (fail_at = 1;; fail_at++) {
            fence_error err = {0};
            int r;

            count = 0;
            armed = true;
            r = fence_check_command(cfg, cases[i].cmd, &err);
            armed = false;
            if (count < fail_at) { /* nothing failed: the real verdict */
                assert_int_equal(r, cases[i].want);
                break;
            }
            if (r != -FENCE_E_NOMEM && r != cases[i].want)
                fail_msg("case %zu, allocation %lu failing: %d (%s)", i, fail_at, r, err.msg);
            nomem += r == -FENCE_E_NOMEM;
        }
        assert_true(nomem > 0);
    }
    fence_config_free(cfg);
}

static void test_execdeny(void **state) {
    fence_config *cfg = policy();
    execdeny_facts facts = {.path_env = "/usr/bin:/bin", .cwd = "/", .shell_path = "/bin/sh"};

    (void) state;
    assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, "cat"), 0);
    for (fail_at = 1;; fail_at++) {
        strv paths = {0}, warnings = {0};
        fence_error err = {0};
        int r;

        count = 0;
        armed = true;
        r = execdeny_resolve(cfg, &facts, &paths, &warnings, &err);
        armed = false;
        strv_done(&paths);
        strv_done(&warnings);
        if (count < fail_at) {
            assert_int_equal(r, 0);
            break;
        }
        assert_true(r == 0 || r == -FENCE_E_NOMEM);
    }
    fence_config_free(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_check_command),
            cmocka_unit_test(test_execdeny),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
