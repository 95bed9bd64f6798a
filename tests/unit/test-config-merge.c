/* SPDX-License-Identifier: MIT */
/* Unit tests for fence_config_merge (spec §4.5): every rule, table-driven over config_fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/cleanup.h"

static fence_config *merged(const fence_config *b, const fence_config *o) {
    fence_config *r = NULL;
    fence_error err = {0};

    assert_int_equal(fence_config_merge(b, o, &r, &err), 0);
    assert_non_null(r);
    return r;
}

static void set_list(fence_config *c, fence_config_key k, const char *const *items) {
    for (; *items; items++)
        assert_int_equal(fence_config_list_append_string(c, k, *items), 0);
}

/* Every field merges by the rule the table gives it; the rule itself is checked against §4.5. */
static void test_merge_rules_by_kind(void **state) {
    (void) state;
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];
        _cleanup_(fence_config_freep) fence_config *b = fence_config_new(), *o = fence_config_new();
        _cleanup_(fence_config_freep) fence_config *r = NULL;

        switch (f->type) {
        case FENCE_TYPE_STRING_LIST: {
            static const char *const bl[] = {"x.com", "y.com", NULL}, *const ol[] = {"y.com",
                                                                                     "z.com", NULL};

            assert_int_equal(f->merge, MERGE_APPEND_UNIQUE);
            set_list(b, f->key, bl);
            set_list(o, f->key, ol);
            r = merged(b, o);
            assert_int_equal(fence_config_get_list_len(r, f->key), 3);
            assert_string_equal(fence_config_get_list_string(r, f->key, 0), "x.com");
            assert_string_equal(fence_config_get_list_string(r, f->key, 2), "z.com");
            break;
        }
        case FENCE_TYPE_INT_LIST:
            assert_int_equal(f->merge, MERGE_APPEND_UNIQUE);
            fence_config_list_append_int(b, f->key, 80);
            fence_config_list_append_int(o, f->key, 80);
            fence_config_list_append_int(o, f->key, 443);
            r = merged(b, o);
            assert_int_equal(fence_config_get_list_len(r, f->key), 2);
            assert_int_equal(fence_config_get_list_int(r, f->key, 1), 443);
            break;
        case FENCE_TYPE_BOOL: {
            /* OR: a child cannot turn a parent's true off */
            _cleanup_(fence_config_freep) fence_config *r2 = NULL;

            assert_int_equal(f->merge, MERGE_OR);
            fence_config_set_bool(b, f->key, 1);
            r = merged(b, o);
            assert_int_equal(fence_config_get_bool(r, f->key), 1);
            r2 = merged(o, b);
            assert_int_equal(fence_config_get_bool(r2, f->key), 1);
            break;
        }
        case FENCE_TYPE_TRISTATE: {
            _cleanup_(fence_config_freep) fence_config *r2 = NULL;

            assert_int_equal(f->merge, MERGE_SET_WINS);
            fence_config_set_bool(b, f->key, 1);
            r = merged(b, o); /* unset override: base kept */
            assert_int_equal(fence_config_get_bool(r, f->key), 1);
            fence_config_set_bool(o, f->key, 0);
            r2 = merged(b, o); /* set override wins, even false */
            assert_int_equal(fence_config_get_bool(r2, f->key), 0);
            break;
        }
        case FENCE_TYPE_INT: {
            _cleanup_(fence_config_freep) fence_config *r2 = NULL;

            assert_int_equal(f->merge, MERGE_NONZERO_WINS);
            fence_config_set_int(b, f->key, 3128);
            r = merged(b, o);
            assert_int_equal(fence_config_get_int(r, f->key), 3128);
            fence_config_set_int(o, f->key, 8080);
            r2 = merged(b, o);
            assert_int_equal(fence_config_get_int(r2, f->key), 8080);
            break;
        }
        case FENCE_TYPE_STRING: {
            _cleanup_(fence_config_freep) fence_config *r2 = NULL, *r3 = NULL;

            fence_config_set_string(b, f->key, "base");
            fence_config_set_string(o, f->key, "");
            r = merged(b, o);
            if (f->merge == MERGE_CLEAR) { /* extends is cleared in the result */
                assert_null(fence_config_get_string(r, f->key));
                break;
            }
            assert_int_equal(f->merge, MERGE_NONEMPTY_WINS);
            assert_string_equal(fence_config_get_string(r, f->key), "base");
            fence_config_set_string(o, f->key, "over");
            r2 = merged(b, o);
            assert_string_equal(fence_config_get_string(r2, f->key), "over");
            fence_config_set_string(o, f->key, NULL);
            r3 = merged(b, o);
            assert_string_equal(fence_config_get_string(r3, f->key), "base");
            break;
        }
        }
    }
}

static void test_merge_list_rule_exact(void **state) {
    static const char *const dup[] = {"a", "b", "a", NULL}, *const one[] = {"b", "c", "c", NULL};
    _cleanup_(fence_config_freep) fence_config *b = fence_config_new(), *o = fence_config_new();
    _cleanup_(fence_config_freep) fence_config *r1 = NULL, *r2 = NULL;
    const fence_config_key k = FENCE_CFG_FILESYSTEM_ALLOW_WRITE;

    (void) state;
    /* Go's mergeStrings: an empty side yields the other side verbatim, duplicates kept */
    set_list(b, k, dup);
    r1 = merged(b, o);
    assert_int_equal(fence_config_get_list_len(r1, k), 3);
    /* both non-empty: every repeat dropped, first occurrence kept */
    set_list(o, k, one);
    r2 = merged(b, o);
    assert_int_equal(fence_config_get_list_len(r2, k), 3);
    assert_string_equal(fence_config_get_list_string(r2, k, 0), "a");
    assert_string_equal(fence_config_get_list_string(r2, k, 1), "b");
    assert_string_equal(fence_config_get_list_string(r2, k, 2), "c");
}

static void test_merge_default_deny_read(void **state) {
    _cleanup_(fence_config_freep) fence_config *b = fence_config_new(), *o = fence_config_new();
    _cleanup_(fence_config_freep) fence_config *r = NULL, *r2 = NULL;

    (void) state;
    /* strictDenyRead on either side turns defaultDenyRead on */
    fence_config_set_bool(o, FENCE_CFG_FILESYSTEM_STRICT_DENY_READ, 1);
    r = merged(b, o);
    assert_int_equal(fence_config_get_bool(r, FENCE_CFG_FILESYSTEM_DEFAULT_DENY_READ), 1);
    assert_int_equal(fence_config_get_bool(r, FENCE_CFG_FILESYSTEM_STRICT_DENY_READ), 1);
    r2 = merged(o, b);
    assert_int_equal(fence_config_get_bool(r2, FENCE_CFG_FILESYSTEM_DEFAULT_DENY_READ), 1);
}

static void test_merge_nil_sides(void **state) {
    _cleanup_(fence_config_freep) fence_config *c = fence_config_new();
    _cleanup_(fence_config_freep) fence_config *r1 = NULL, *r2 = NULL, *r3 = NULL;

    (void) state;
    fence_config_set_string(c, FENCE_CFG_EXTENDS, "code");
    fence_config_set_bool(c, FENCE_CFG_ALLOW_PTY, 1);
    r1 = merged(NULL, c);
    r2 = merged(c, NULL);
    r3 = merged(NULL, NULL);
    assert_null(fence_config_get_string(r1, FENCE_CFG_EXTENDS));
    assert_null(fence_config_get_string(r2, FENCE_CFG_EXTENDS));
    assert_int_equal(fence_config_get_bool(r1, FENCE_CFG_ALLOW_PTY), 1);
    assert_int_equal(fence_config_get_bool(r2, FENCE_CFG_ALLOW_PTY), 1);
    assert_int_equal(fence_config_get_bool(r3, FENCE_CFG_ALLOW_PTY), 0);
    assert_int_equal(fence_config_merge(c, c, NULL, NULL), -FENCE_E_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_merge_rules_by_kind),
            cmocka_unit_test(test_merge_list_rule_exact),
            cmocka_unit_test(test_merge_default_deny_read),
            cmocka_unit_test(test_merge_nil_sides),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
