/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/enforce/linux/execdeny (spec §7.5): which rules are masked, how tokens are
 * resolved ($PATH first match, common directories, '/' tokens against cwd, canonical paths),
 * multicall detection by (device, inode) with both warning forms, the accept list, and the
 * shell exemption. Works in a temporary directory holding fake bin directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "enforce/linux/execdeny.h"
#include "util/cleanup.h"

typedef struct fixture {
    char root[PATH_MAX];
    char path_env[3 * PATH_MAX];
} fixture;

static void at(const fixture *f, char *buf, const char *rel) {
    int n = snprintf(buf, PATH_MAX, "%s/%s", f->root, rel);

    assert_true(n > 0 && n < PATH_MAX);
}

static void make_file(const fixture *f, const char *rel, mode_t mode) {
    char p[PATH_MAX];
    int fd;

    at(f, p, rel);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    assert_int_equal(chmod(p, mode), 0);
}

static void make_link(const fixture *f, const char *target_rel, const char *rel, bool hard) {
    char t[PATH_MAX], p[PATH_MAX];

    at(f, p, rel);
    if (hard) {
        at(f, t, target_rel);
        assert_int_equal(link(t, p), 0);
    } else
        assert_int_equal(symlink(target_rel, p), 0);
}

static int setup(void **state) {
    static const char *const aliases[] = {"cat", "head", "ls", "echo", "wc", "sort", "tool2"};
    fixture *f = calloc(1, sizeof(*f));
    char tmpl[] = "/tmp/test-execdeny-XXXXXX", p[PATH_MAX];

    assert_non_null(f);
    assert_non_null(mkdtemp(tmpl));
    assert_non_null(realpath(tmpl, f->root));
    at(f, p, "bin1");
    assert_int_equal(mkdir(p, 0755), 0);
    at(f, p, "bin2");
    assert_int_equal(mkdir(p, 0755), 0);
    make_file(f, "bin1/mytool", 0755);
    make_file(f, "bin1/notexec", 0644);
    make_file(f, "bin1/mysh", 0755);
    make_file(f, "bin1/multi", 0755);
    for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
        char rel[64];

        snprintf(rel, sizeof(rel), "bin1/%s", aliases[i]);
        make_link(f, "bin1/multi", rel, true);
    }
    make_link(f, "multi", "bin1/linkx", false);
    make_link(f, "mytool", "bin1/link-to-mytool", false);
    make_link(f, "mysh", "bin1/shlink", false);
    make_file(f, "bin2/mytool", 0755);
    make_file(f, "bin2/onlyhere", 0755);
    /* relative and empty entries are ignored */
    snprintf(f->path_env, sizeof(f->path_env), "%s/bin1::relative/bin:%s/bin2", f->root, f->root);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

typedef struct run_opts {
    const char *deny[10];
    const char *accept[3];
    const char *cwd;
    const char *shell; /* relative to the fixture root */
    bool debug;
    bool defaults;
} run_opts;

static void run(const fixture *f, const run_opts *o, strv *paths, strv *warnings) {
    fence_config *cfg = fence_config_new();
    char shell[PATH_MAX];
    execdeny_facts facts = {.path_env = f->path_env, .cwd = o->cwd, .debug = o->debug};
    fence_error err = {0};

    assert_non_null(cfg);
    for (size_t i = 0; o->deny[i]; i++)
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, o->deny[i]),
                         0);
    for (size_t i = 0; o->accept[i]; i++)
        assert_int_equal(fence_config_list_append_string(
                                 cfg, FENCE_CFG_COMMAND_ACCEPT_SHARED_BINARY_CANNOT_RUNTIME_DENY,
                                 o->accept[i]),
                         0);
    if (!o->defaults)
        assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, 0), 0);
    if (o->shell) {
        at(f, shell, o->shell);
        facts.shell_path = shell;
    }
    assert_int_equal(execdeny_resolve(cfg, &facts, paths, warnings, &err), 0);
    fence_config_free(cfg);
}

/* Expected paths are relative to the fixture root; NULL-terminated. */
static void expect(const fixture *f, const run_opts *o, const char *const *want) {
    strv paths = {0}, warnings = {0};
    size_t n = 0;

    run(f, o, &paths, &warnings);
    for (; want[n]; n++) {
        char p[PATH_MAX];

        at(f, p, want[n]);
        if (n >= paths.n || strcmp(paths.v[n], p) != 0)
            fail_msg("deny '%s': path %zu is '%s', want '%s'", o->deny[0], n,
                     n < paths.n ? paths.v[n] : "(none)", p);
    }
    if (paths.n != n)
        fail_msg("deny '%s': %zu paths, want %zu (first extra: %s)", o->deny[0], paths.n, n,
                 paths.v[n]);
    if (warnings.n != 0)
        fail_msg("deny '%s': unexpected warning %s", o->deny[0], warnings.v[0]);
    strv_done(&paths);
    strv_done(&warnings);
}

static void test_resolution(void **state) {
    fixture *f = *state;
    char abs[PATH_MAX];

    at(f, abs, "bin2/mytool");
    /* first $PATH match only; bin2/mytool is shadowed */
    expect(f, &(run_opts){.deny = {"mytool"}}, (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"onlyhere"}}, (const char *const[]){"bin2/onlyhere", NULL});
    /* canonical: a symlink resolves to its target; both names give one path */
    expect(f, &(run_opts){.deny = {"link-to-mytool"}}, (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"mytool", "link-to-mytool"}},
           (const char *const[]){"bin1/mytool", NULL});
    /* $PATH lookup needs an execute bit */
    expect(f, &(run_opts){.deny = {"notexec"}}, (const char *const[]){NULL});
    /* tokens with a '/' name one file, relative to cwd */
    expect(f, &(run_opts){.deny = {"./bin1/mytool"}, .cwd = f->root},
           (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"./bin1/mytool"}}, (const char *const[]){NULL});
    expect(f, &(run_opts){.deny = {abs}}, (const char *const[]){"bin2/mytool", NULL});
    expect(f, &(run_opts){.deny = {"/nonexistent/tool"}}, (const char *const[]){NULL});
    /* only single tokens without shell syntax are runtime rules */
    expect(f, &(run_opts){.deny = {"mytool --force", "mytool*", "x=mytool", "onlyhere"}},
           (const char *const[]){"bin2/onlyhere", NULL});
    /* sorted */
    expect(f, &(run_opts){.deny = {"onlyhere", "mytool"}},
           (const char *const[]){"bin1/mytool", "bin2/onlyhere", NULL});
    /* the shell the sandbox starts is never masked, named directly or through a link */
    expect(f, &(run_opts){.deny = {"mysh", "mytool"}, .shell = "bin1/mysh"},
           (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"mysh"}, .shell = "bin1/shlink"}, (const char *const[]){NULL});
}

static void expect_warning(const fixture *f, const run_opts *o, const char *path_rel,
                           const char *token, const char *summary) {
    strv paths = {0}, warnings = {0};
    char path[PATH_MAX], want[4 * PATH_MAX];

    run(f, o, &paths, &warnings);
    at(f, path, path_rel);
    snprintf(want, sizeof(want),
             "[fence:linux] runtime exec deny warning for %s (requested: %s): shared binary also "
             "implements critical commands [%s], which will be collaterally blocked. To skip "
             "runtime blocking of \"%s\" and silence this warning, add it to "
             "\"acceptSharedBinaryCannotRuntimeDeny\" in your command config.",
             path, token, summary, token);
    assert_int_equal(warnings.n, 1);
    assert_string_equal(warnings.v[0], want);
    /* still masked */
    assert_int_equal(paths.n, 1);
    assert_string_equal(paths.v[0], path);
    strv_done(&paths);
    strv_done(&warnings);
}

static void test_multicall(void **state) {
    fixture *f = *state;

    /* aliases: cat echo head ls sort tool2 wc; critical first, in priority order */
    expect_warning(f, &(run_opts){.deny = {"tool2"}}, "bin1/tool2", "tool2",
                   "cat head echo +3 more detected aliases, use --debug for expanded details");
    expect_warning(f, &(run_opts){.deny = {"tool2"}, .debug = true}, "bin1/tool2", "tool2",
                   "cat head echo sort wc ls");
    /* through a symlink: the target's own name is an alias too, listed after the critical ones */
    expect_warning(f, &(run_opts){.deny = {"linkx"}}, "bin1/multi", "linkx",
                   "cat head echo +4 more detected aliases, use --debug for expanded details");
    expect_warning(f, &(run_opts){.deny = {"linkx"}, .debug = true}, "bin1/multi", "linkx",
                   "cat head echo sort wc ls multi");
    /* denied names are not collateral damage */
    expect_warning(f, &(run_opts){.deny = {"tool2"}, .debug = true}, "bin1/tool2", "tool2",
                   "cat head echo sort wc ls");
    /* accepted: left unmasked, silently (token or basename of the entry) */
    expect(f, &(run_opts){.deny = {"tool2"}, .accept = {"tool2"}}, (const char *const[]){NULL});
    expect(f, &(run_opts){.deny = {"tool2"}, .accept = {"/somewhere/tool2"}},
           (const char *const[]){NULL});
    expect(f, &(run_opts){.deny = {"tool2", "mytool"}, .accept = {"tool2"}},
           (const char *const[]){"bin1/mytool", NULL});
    /* an ordinary binary is not shared */
    expect(f, &(run_opts){.deny = {"mytool"}, .accept = {"mytool"}},
           (const char *const[]){"bin1/mytool", NULL});
}

static void test_all_aliases_denied(void **state) {
    fixture *f = *state;
    strv paths = {0}, warnings = {0};
    char p[PATH_MAX];

    /* every alias is itself denied: nothing collateral, no warning for the shared binary */
    run(f, &(run_opts){.deny = {"tool2", "cat", "head", "ls", "echo", "wc", "sort"}}, &paths,
        &warnings);
    at(f, p, "bin1/tool2");
    assert_true(strv_contains(&paths, p));
    at(f, p, "bin1/cat");
    assert_true(strv_contains(&paths, p));
    for (size_t i = 0; i < warnings.n; i++)
        assert_null(strstr(warnings.v[i], f->root));
    strv_done(&paths);
    strv_done(&warnings);
}

static void test_defaults(void **state) {
    fixture *f = *state;
    strv paths = {0}, warnings = {0};
    struct stat st;

    run(f, &(run_opts){.defaults = true}, &paths, &warnings);
    for (size_t i = 0; i < paths.n; i++) {
        assert_true(paths.v[i][0] == '/');
        if (i > 0)
            assert_true(strcmp(paths.v[i - 1], paths.v[i]) < 0);
    }
    /* single-token default rules found in the common directories are masked */
    if (stat("/usr/bin/unshare", &st) == 0)
        assert_true(strv_contains(&paths, "/usr/bin/unshare"));
    if (stat("/usr/bin/nsenter", &st) == 0)
        assert_true(strv_contains(&paths, "/usr/bin/nsenter"));
    strv_done(&paths);
    strv_done(&warnings);
}

static void test_bad_arguments(void **state) {
    fence_error err = {0};
    strv a = {0}, b = {0};

    (void) state;
    assert_int_equal(execdeny_resolve(NULL, NULL, &a, &b, &err), -FENCE_E_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_resolution, setup, teardown),
            cmocka_unit_test_setup_teardown(test_multicall, setup, teardown),
            cmocka_unit_test_setup_teardown(test_all_aliases_denied, setup, teardown),
            cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
            cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
