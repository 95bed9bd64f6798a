/* SPDX-License-Identifier: MIT */
/* Unit tests for src/util: path cleaning (Go filepath.Clean semantics), fbuf limits, strv. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/path.h"
#include "util/strv.h"

static void test_path_clean(void **state) {
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "."},
        {"/", "/"},
        {"//", "/"},
        {"/a/b/", "/a/b"},
        {"a//b", "a/b"},
        {"./a", "a"},
        {"a/./b", "a/b"},
        {"a/../b", "b"},
        {"/../a", "/a"},
        {"..", ".."},
        {"../..", "../.."},
        {"a/../..", ".."},
        {"a/b/../../..", ".."},
        {"/a/b/../../..", "/"},
        {"abc/def/../ghi", "abc/ghi"},
        {"../a/../b", "../b"},
        {".", "."},
        {"./", "."},
        {"~/.claude*", "~/.claude*"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *got = path_clean(cases[i].in);
        assert_non_null(got);
        assert_string_equal(got, cases[i].want);
    }
}

static void test_path_parts(void **state) {
    _cleanup_free_ char *b1 = path_base("/a/b/"), *b2 = path_base("/"), *b3 = path_base("x");
    _cleanup_free_ char *d1 = path_dir("/a/b"), *d2 = path_dir("x"), *d3 = path_dir("/x");
    _cleanup_free_ char *j = path_join("/a/b", "../c");

    (void) state;
    assert_string_equal(b1, "b");
    assert_string_equal(b2, "/");
    assert_string_equal(b3, "x");
    assert_string_equal(d1, "/a");
    assert_string_equal(d2, ".");
    assert_string_equal(d3, "/");
    assert_string_equal(j, "/a/c");
    assert_true(path_is_under("/a/b", "/a"));
    assert_true(path_is_under("/a", "/a"));
    assert_false(path_is_under("/ab", "/a"));
    assert_true(path_is_under("/x", "/"));
}

static void test_fbuf_steal_empty(void **state) {
    fbuf b = FBUF_INIT(8);
    char *s;

    (void) state;
    s = fbuf_steal(&b); /* nothing appended: "" (once returned uninitialised memory) */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void test_fbuf_limit(void **state) {
    fbuf b = FBUF_INIT(8);
    _cleanup_free_ char *s = NULL;

    (void) state;
    assert_int_equal(fbuf_puts(&b, "12345678"), 0);
    assert_int_equal(fbuf_putc(&b, '9'), -ENOBUFS);
    assert_int_equal(fbuf_printf(&b, "%d", 1), -ENOBUFS);
    assert_int_equal(b.len, 8);
    s = fbuf_steal(&b);
    assert_string_equal(s, "12345678");
    assert_null(b.data);
}

static void test_strv_unique(void **state) {
    strv a = {0}, b = {0};

    (void) state;
    assert_int_equal(strv_push(&a, "x"), 0);
    assert_int_equal(strv_push(&a, "y"), 0);
    assert_int_equal(strv_push(&b, "y"), 0);
    assert_int_equal(strv_push(&b, "z"), 0);
    assert_int_equal(strv_extend_unique(&a, &b), 0);
    assert_int_equal(a.n, 3);
    assert_string_equal(a.v[2], "z");
    assert_null(a.v[3]);
    strv_done(&a);
    strv_done(&b);
}

static void test_error_first_wins(void **state) {
    fence_error err = {0};

    (void) state;
    assert_int_equal(fence_error_set(&err, FENCE_E_CONFIG, 0, "first '%s'", "a\nb"), -FENCE_E_CONFIG);
    assert_int_equal(fence_error_set(&err, FENCE_E_IO, ENOENT, "second"), -FENCE_E_IO);
    assert_string_equal(err.msg, "first 'a b'");
    fence_error_prefix(&err, "ctx");
    assert_string_equal(err.msg, "ctx: first 'a b'");
    assert_int_equal(fence_error_set(NULL, FENCE_E_IO, 0, "x"), -FENCE_E_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_clean),
        cmocka_unit_test(test_path_parts),
        cmocka_unit_test(test_fbuf_limit),
        cmocka_unit_test(test_fbuf_steal_empty),
        cmocka_unit_test(test_strv_unique),
        cmocka_unit_test(test_error_first_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
