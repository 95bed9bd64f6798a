/* SPDX-License-Identifier: MIT */
/* gitscan's config parser and the probe's walk budget (review1 finding 3) on a real tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enforce/linux/gitscan.h"
#include "enforce/linux/probe.h"
#include "util/cleanup.h"
#include "util/fbuf.h"
#include "util/path.h"

static int collect(void *u, const char *key, const char *value) {
    fbuf *out = u;
    return fbuf_printf(out, "%s=%s|", key, value) < 0 ? -1 : 0;
}

static void test_parse_config(void **state) {
    static const struct {
        const char *text, *want;
    } cases[] = {
            {"[core]\n\thooksPath = .husky/_\n", "core.hookspath=.husky/_|"},
            {"[Core] HooksPath=\"a b\" # c\n", "core.hookspath=a b|"},
            {"[core]\n  fsmonitor = \"x;y\" ; comment\n", "core.fsmonitor=x;y|"},
            {"[include]\n\tpath = ~/.gitconfig.local\n", "include.path=~/.gitconfig.local|"},
            {"[includeIf \"gitdir:~/w/\"]\npath = w.inc\n", "includeif.gitdir:~/w/.path=w.inc|"},
            {"[core] bare\n", "core.bare=true|"},
            {"[core]\nx = a\\\nb\n", "core.x=ab|"},
            {"; c\n# c\nx = before-section\n[core]\ny = 1\n", "core.y=1|"},
            {"[core \"unterminated]\nx = 1\n[s]\nz = 2", "s.z=2|"},
            {"[core]\nx = \"q\\\"t\\\\\"\n", "core.x=q\"t\\|"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fbuf out = FBUF_INIT(4096);
        assert_int_equal(gitscan_parse_config(cases[i].text, collect, &out), 0);
        if (!streq((out.data ? out.data : ""), cases[i].want))
            fail_msg("case %zu: got '%s' want '%s'", i, (out.data ? out.data : ""), cases[i].want);
        fbuf_done(&out);
    }
}

/* The find walk stops at its budget, reports truncation, and still reports root's own names. */
static void test_find_budget(void **state) {
    char dir[] = "/tmp/test-gitscan-XXXXXX";
    const char *names[] = {".git", ".bashrc", NULL};
    probe_limits small = {.walk_max_entries = 50, .socket_max_entries = 50};
    strv found = {0};
    bool trunc = false;
    char p[512];

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof(p), "%s/aaaa", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    for (int i = 0; i < 200; i++) {
        snprintf(p, sizeof(p), "%s/aaaa/%d", dir, i);
        close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    }
    snprintf(p, sizeof(p), "%s/aaaa/.bashrc", dir);
    close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    snprintf(p, sizeof(p), "%s/.git", dir);
    assert_int_equal(mkdir(p, 0755), 0);

    assert_true(probe_hostfs_ops.find(&small, dir, 4, names, &found, &trunc) >= 1);
    assert_true(trunc);
    assert_true(strv_contains(&found, p)); /* root's own .git, outside the budget */
    strv_done(&found);

    assert_int_equal(probe_hostfs_ops.find(NULL, dir, 4, names, &found, &trunc), 2);
    assert_false(trunc);
    strv_done(&found);

    for (int i = 0; i < 200; i++) {
        snprintf(p, sizeof(p), "%s/aaaa/%d", dir, i);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/aaaa/.bashrc", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/aaaa", dir);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/.git", dir);
    rmdir(p);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_config),
            cmocka_unit_test(test_find_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
