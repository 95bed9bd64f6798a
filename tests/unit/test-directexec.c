/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/enforce/linux/directexec: which command strings are plain lists of words,
 * and when a command may run without `bash -c` (everything else is left to the shell). The
 * exec itself is tested through the real fence in tests/integration/test_direct_exec.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enforce/linux/directexec.h"

/* Splits s; returns the words joined by '|' (or "-" when s is not plain) in a static buffer. */
static const char *words(const char *s) {
    static char out[512];
    strv w = {0};
    int r = directexec_words(s, &w);

    assert_true(r >= 0);
    if (r == 0) {
        assert_null(w.v);
        return "-";
    }
    out[0] = '\0';
    for (size_t i = 0; i < w.n; i++) {
        if (i)
            strcat(out, "|");
        strcat(out, w.v[i]);
    }
    strv_done(&w);
    return out;
}

static void test_words_plain(void **state) {
    (void) state;
    assert_string_equal(words("true"), "true");
    assert_string_equal(words("  npm\tinstall  --save-dev x@1.2 "), "npm|install|--save-dev|x@1.2");
    assert_string_equal(words("git commit -m 'a message; with $x and \"q\"'"),
                        "git|commit|-m|a message; with $x and \"q\"");
    /* what the argv quoting of `fence -- ...` makes of an embedded quote and an empty argument */
    assert_string_equal(words("printf 'it'\\''s' ''"), "printf|it's|");
    assert_string_equal(words("ls a\\ b"), "ls|a b");
    assert_string_equal(words("node -e 'line1\nline2'"), "node|-e|line1\nline2");
    assert_string_equal(words("/usr/bin/env A=1 ./x,y:z%+"), "/usr/bin/env|A=1|./x,y:z%+");
}

static void test_words_shell_syntax(void **state) {
    static const char *const complex[] = {
            "",        "   ",       "a; b",     "a && b",   "a | b",     "a > f",  "a < f",
            "a &",     "echo $HOME", "echo `x`", "echo \"x\"", "ls *.c",  "ls ?",   "ls [ab]",
            "ls ~",    "a\nb",      "(a)",      "{ a; }",   "echo 'open", "a \\",  "# c",
            "echo !x", "ls {a,b}",  "caf\xc3\xa9", "a\\\nb",
    };

    (void) state;
    for (size_t i = 0; i < sizeof(complex) / sizeof(complex[0]); i++)
        assert_string_equal(words(complex[i]), "-");
}

static char *base_env[] = {"PATH=/usr/bin:/bin", "HOME=/h", "PWD=/w", "OLDPWD=/o", "SHLVL=3",
                           "_=/x", "LANG=C.UTF-8", NULL};

static bool direct(const char *shell, const char *flag, const char *command, char **envp) {
    directexec d;
    bool on;

    assert_int_equal(directexec_prepare(shell, flag, command, envp, &d), 0);
    on = d.enabled;
    directexec_done(&d);
    return on;
}

static void test_prepare_which_commands(void **state) {
    (void) state;
    assert_true(direct("/usr/bin/bash", "-c", "npm install", base_env));
    assert_true(direct("/bin/bash", "-c", "true", base_env));
    assert_true(direct("/usr/bin/bash", "-c", "'my prog' x", base_env));
    /* builtins and keywords run in the shell; true/false with arguments too (--help) */
    assert_false(direct("/usr/bin/bash", "-c", "echo hi", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "cd /tmp", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "exit 3", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "time make", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "[ -e x ]", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "true --help", base_env));
    /* an assignment prefix, shell syntax, an empty program name */
    assert_false(direct("/usr/bin/bash", "-c", "A=1 env", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "make && make install", base_env));
    assert_false(direct("/usr/bin/bash", "-c", "'' x", base_env));
    /* another shell, a login shell */
    assert_false(direct("/usr/bin/zsh", "-c", "npm install", base_env));
    assert_false(direct("/usr/bin/bash", "-lc", "npm install", base_env));
}

static void test_prepare_which_environments(void **state) {
    static const char *const shell_vars[] = {
            "BASH_ENV=/x",        "BASH_FUNC_npm%%=() { :; }", "SHELLOPTS=xtrace",
            "BASHOPTS=extglob",   "PS4=x",                      "IFS=:",
            "EXECIGNORE=*",       "POSIXLY_CORRECT=1",          "ENV=/x",
            "SHLVL=999",          "SHLVL=100000",               "LC_ALL=xx_NOWHERE.UTF-8",
    };
    char *envp[16] = {"PATH=/usr/bin:/bin", "HOME=/h", "PWD=/w", "LANG=C.UTF-8", NULL};
    size_t n = 4;

    (void) state;
    for (size_t i = 0; i < sizeof(shell_vars) / sizeof(shell_vars[0]); i++) {
        envp[n] = (char *) shell_vars[i];
        envp[n + 1] = NULL;
        assert_false(direct("/usr/bin/bash", "-c", "npm install", envp));
    }
    envp[n] = "LC_ALL=C";
    assert_true(direct("/usr/bin/bash", "-c", "npm install", envp));
    envp[n] = "SHLVL=3";
    assert_true(direct("/usr/bin/bash", "-c", "npm install", envp));
    envp[n + 1] = "SHLVL=4"; /* a name twice */
    envp[n + 2] = NULL;
    assert_false(direct("/usr/bin/bash", "-c", "npm install", envp));
    /* no $PATH: bash's built-in search path */
    {
        char *no_path[] = {"HOME=/h", NULL};
        assert_false(direct("/usr/bin/bash", "-c", "npm install", no_path));
    }
}

/* The environment handed to the program, before the workload fills the PWD, _ and OLDPWD
 * slots. */
static void test_prepare_environment(void **state) {
    static const struct {
        const char *shlvl, *want;
    } levels[] = {{"SHLVL=3", "SHLVL=3"},     {"SHLVL= 7 ", "SHLVL=7"}, {"SHLVL=-3", "SHLVL=0"},
                  {"SHLVL=abc", "SHLVL=0"},   {"SHLVL=0x10", "SHLVL=0"}, {"SHLVL=998", "SHLVL=998"},
                  {"SHLVL=", "SHLVL=0"},      {NULL, "SHLVL=0"}};
    (void) state;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        char *envp[] = {"PATH=/usr/bin", "PWD=/w", "_=/x", "OLDPWD=/o", "A=1",
                        (char *) levels[i].shlvl, NULL};
        directexec d;
        size_t n = 0;

        assert_int_equal(directexec_prepare("/usr/bin/bash", "-c", "prog a", envp, &d), 0);
        assert_true(d.enabled);
        assert_string_equal(d.words.v[0], "prog");
        assert_string_equal(d.words.v[1], "a");
        assert_string_equal(d.path_value, "/usr/bin");
        assert_string_equal(d.pwd_value, "/w");
        assert_string_equal(d.oldpwd, "OLDPWD=/o");
        /* kept as they are: PATH and A; dropped: PWD, _, OLDPWD (the workload decides) */
        assert_string_equal(d.envp[n++], "PATH=/usr/bin");
        assert_string_equal(d.envp[n++], "A=1");
        assert_string_equal(d.envp[n++], levels[i].want);
        assert_int_equal(d.pwd_slot, n);
        assert_int_equal(d.under_slot, n + 1);
        assert_int_equal(d.old_slot, n + 2);
        directexec_done(&d);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_words_plain),
            cmocka_unit_test(test_words_shell_syntax),
            cmocka_unit_test(test_prepare_which_commands),
            cmocka_unit_test(test_prepare_which_environments),
            cmocka_unit_test(test_prepare_environment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
