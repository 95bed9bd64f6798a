/* SPDX-License-Identifier: MIT */
/* Unit tests for src/config/jsonc: JSONC extensions, strictness, positions, limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/jsonc.h"
#include "util/cleanup.h"

static void test_jsonc_accepts(void **state) {
    static const char *const ok[] = {
            "{}",
            "[]",
            "0",
            "-0",
            "1.5e+10",
            "-12.25E-3",
            "\"x\"",
            "true",
            "null",
            "{\"a\": [1, 2, 3,],}",          /* trailing commas */
            "[1,\n// c\n2 /* d */, ]",       /* comments where whitespace may be */
            "/* lead */ {\"a\": 1} // tail", /* comments around the value */
            "\xEF\xBB\xBF{}",                /* UTF-8 BOM */
            "{\"k\": \"\\u00e9\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\"}",
            "{\"k\": \"h\xC3\xA9llo \xF0\x9F\x98\x80\"}",
            "{\"a\":1,\"a\":2}", /* duplicates: kept, the decoder takes the last */
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        jsonc_doc *doc = NULL;
        jsonc_error e = {0};
        int r = jsonc_parse(ok[i], strlen(ok[i]), &doc, &e);

        if (r != 0)
            fail_msg("case %zu (%s): %s at %u:%u", i, ok[i], e.msg, e.pos.line, e.pos.col);
        jsonc_doc_free(doc);
    }
}

static void test_jsonc_rejects(void **state) {
    static const struct {
        const char *text;
        uint32_t line, col;
        const char *msg; /* substring */
    } bad[] = {
            {"", 1, 1, "empty"},
            {"{", 1, 2, "unexpected end of input"},
            {"[1 2]", 1, 4, "expected ',' or ']'"},
            {"[,]", 1, 2, "unexpected character ','"},
            {"[1,,]", 1, 4, "unexpected character ','"},
            {"{,}", 1, 2, "expected a key"},
            {"{\"a\" 1}", 1, 6, "expected ':'"},
            {"{a: 1}", 1, 2, "expected a key"},
            {"{'a': 1}", 1, 2, "single quotes"},
            {"['a']", 1, 2, "single quotes"},
            {"NaN", 1, 1, "unexpected character 'N'"},
            {"[Infinity]", 1, 2, "unexpected character 'I'"},
            {"[-Infinity]", 1, 3, "expected a digit"},
            {"01", 1, 1, "leading zeros"},
            {"[+1]", 1, 2, "unexpected character '+'"},
            {"1.", 1, 3, "after '.'"},
            {".5", 1, 1, "unexpected character '.'"},
            {"1e", 1, 3, "exponent"},
            {"tru", 1, 1, "expected a value"},
            {"{} x", 1, 4, "end of the document"},
            {"{}{}", 1, 3, "end of the document"},
            {"\"abc", 1, 1, "unterminated string"},
            {"\"a\nb\"", 1, 3, "control character U+000A"},
            {"\"a\tb\"", 1, 3, "control character U+0009"},
            {"\"\\x\"", 1, 2, "invalid escape '\\x'"},
            {"\"\\u12\"", 1, 2, "4 hex digits"},
            {"\"\\ud800\"", 1, 2, "unpaired UTF-16 high surrogate"},
            {"\"\\ud800\\u0041\"", 1, 2, "unpaired UTF-16 high surrogate"},
            {"\"\\udc00\"", 1, 2, "unpaired UTF-16 low surrogate"},
            {"\"\xC3\"", 1, 2, "invalid UTF-8 byte 0xC3"},
            {"\"\xC0\xAF\"", 1, 2, "invalid UTF-8 byte 0xC0"},         /* overlong '/' */
            {"\"\xED\xA0\x80\"", 1, 2, "invalid UTF-8 byte 0xED"},     /* encoded surrogate */
            {"\"\xF4\x90\x80\x80\"", 1, 2, "invalid UTF-8 byte 0xF4"}, /* > U+10FFFF */
            {"\xFF", 1, 1, "unexpected byte 0xFF"},
            {"/* open", 1, 1, "unterminated comment"},
            {"{} /", 1, 4, "comments start with"},
            {"{\n  \"a\": [\n    1,\n    x\n  ]\n}", 4, 5, "unexpected character 'x'"},
            {"{\"\xC3\xA9\xC3\xA9\": x}", 1, 8,
             "unexpected character 'x'"}, /* columns count code points */
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        jsonc_doc *doc = NULL;
        jsonc_error e = {0};
        int r = jsonc_parse(bad[i].text, strlen(bad[i].text), &doc, &e);

        if (r != -EINVAL)
            fail_msg("case %zu (%s): accepted", i, bad[i].text);
        if (e.pos.line != bad[i].line || e.pos.col != bad[i].col || !strstr(e.msg, bad[i].msg))
            fail_msg("case %zu: got %u:%u '%s', want %u:%u '%s'", i, e.pos.line, e.pos.col, e.msg,
                     bad[i].line, bad[i].col, bad[i].msg);
        assert_null(strchr(e.msg, '\n'));
    }
}

static void test_jsonc_nul_inside(void **state) {
    static const char text[] = "[\"a\0b\"]";
    jsonc_doc *doc = NULL;
    jsonc_error e = {0};

    (void) state;
    /* a raw NUL byte is a control character; the text continues past it */
    assert_int_equal(jsonc_parse(text, sizeof(text) - 1, &doc, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "U+0000"));
}

static void test_jsonc_positions(void **state) {
    static const char text[] = "// header\n"
                               "{\n"
                               "\t\"net\": {\"list\": [\"a\", 12,\n"
                               "      true]},\n"
                               "  \"\xC3\xA9t\xC3\xA9\": null\n"
                               "}\n";
    _cleanup_(jsonc_doc_freep) jsonc_doc *doc = NULL;
    const jsonc_node *root, *net, *list, *e;
    jsonc_error err;

    (void) state;
    assert_int_equal(jsonc_parse(text, sizeof(text) - 1, &doc, &err), 0);
    root = jsonc_doc_root(doc);
    assert_int_equal(root->type, JSONC_OBJECT);
    assert_int_equal(root->pos.line, 2);
    assert_int_equal(root->pos.col, 1);
    assert_int_equal(root->count, 2);
    net = root->first;
    assert_string_equal(net->key, "net");
    assert_int_equal(net->key_pos.line, 3);
    assert_int_equal(net->key_pos.col, 2); /* a tab is one column */
    assert_int_equal(net->pos.col, 9);
    list = net->first;
    assert_int_equal(list->type, JSONC_ARRAY);
    assert_int_equal(list->count, 3);
    e = list->first;
    assert_int_equal(e->type, JSONC_STRING);
    assert_int_equal(e->pos.col, 19);
    e = e->next;
    assert_int_equal(e->type, JSONC_NUMBER);
    assert_string_equal(e->str, "12");
    assert_int_equal(e->pos.col, 24);
    e = e->next;
    assert_int_equal(e->type, JSONC_BOOL);
    assert_true(e->boolean);
    assert_int_equal(e->pos.line, 4);
    assert_int_equal(e->pos.col, 7);
    e = net->next;
    assert_int_equal(e->type, JSONC_NULL);
    assert_string_equal(e->key, "\xC3\xA9t\xC3\xA9");
    assert_int_equal(e->pos.col, 10); /* 2 spaces, "été" (5 columns), ": " */
}

static void test_jsonc_strings_decoded(void **state) {
    static const char text[] = "[\"\\u00e9\\ud83d\\ude00\\n\\u0000x\"]";
    _cleanup_(jsonc_doc_freep) jsonc_doc *doc = NULL;
    jsonc_error err;
    const jsonc_node *s;

    (void) state;
    assert_int_equal(jsonc_parse(text, sizeof(text) - 1, &doc, &err), 0);
    s = jsonc_doc_root(doc)->first;
    assert_int_equal(s->str_len, 2 + 4 + 1 + 1 + 1);
    assert_memory_equal(s->str, "\xC3\xA9\xF0\x9F\x98\x80\n\0x", 9);
}

static void test_jsonc_blank(void **state) {
    (void) state;
    assert_true(jsonc_is_blank("", 0));
    assert_true(jsonc_is_blank(" \n\t\r ", 5));
    assert_true(jsonc_is_blank("// only a comment\n/* and\nanother */", 35));
    assert_true(jsonc_is_blank("// no newline", 13));
    assert_false(jsonc_is_blank("/* open", 7));
    assert_false(jsonc_is_blank("{}", 2));
    assert_false(jsonc_is_blank("/", 1));
}

static void test_jsonc_depth_limit(void **state) {
    char deep[2 * (JSONC_MAX_DEPTH + 1) + 1];
    jsonc_doc *doc = NULL;
    jsonc_error e = {0};

    (void) state;
    /* exactly the limit parses */
    memset(deep, '[', JSONC_MAX_DEPTH);
    memset(deep + JSONC_MAX_DEPTH, ']', JSONC_MAX_DEPTH);
    assert_int_equal(jsonc_parse(deep, 2 * JSONC_MAX_DEPTH, &doc, &e), 0);
    jsonc_doc_free(doc);
    doc = NULL;
    /* one more level is refused, at the bracket that goes too deep */
    memset(deep, '[', JSONC_MAX_DEPTH + 1);
    memset(deep + JSONC_MAX_DEPTH + 1, ']', JSONC_MAX_DEPTH + 1);
    assert_int_equal(jsonc_parse(deep, 2 * (JSONC_MAX_DEPTH + 1), &doc, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "nesting deeper"));
    assert_int_equal(e.pos.col, JSONC_MAX_DEPTH + 1);
}

static void test_jsonc_size_limit(void **state) {
    size_t n = JSONC_MAX_BYTES + 1;
    _cleanup_free_ char *big = malloc(n);
    jsonc_doc *doc = NULL;
    jsonc_error e = {0};

    (void) state;
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '[';
    big[n - 1] = ']';
    assert_int_equal(jsonc_parse(big, n, &doc, &e), -EFBIG);
    assert_non_null(strstr(e.msg, "larger than"));
    /* at the limit it parses: a long array of numbers */
    n = JSONC_MAX_BYTES;
    memset(big, ' ', n);
    big[0] = '[';
    for (size_t i = 1; i + 2 < n; i += 2) {
        big[i] = '0';
        big[i + 1] = ',';
    }
    big[n - 1] = ']';
    assert_int_equal(jsonc_parse(big, n, &doc, &e), 0);
    assert_true(jsonc_doc_root(doc)->count > 500000);
    jsonc_doc_free(doc);
}

/* Deterministic junk: never a crash, always a located one-line error or a document. */
static void test_jsonc_junk(void **state) {
    uint32_t x = 2463534242u;
    char buf[256];

    (void) state;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t) (round % (int) sizeof(buf));
        jsonc_doc *doc = NULL;
        jsonc_error e = {0};
        int r;

        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            /* half the rounds draw from JSON-ish bytes so the parser gets deep */
            buf[i] = round & 1 ? "{}[],:\"\\ 0123456789-.eEtrufalsn/*\n"[x % 35] : (char) x;
        }
        r = jsonc_parse(buf, n, &doc, &e);
        if (r == 0) {
            jsonc_doc_free(doc);
            continue;
        }
        assert_int_equal(r, -EINVAL);
        assert_true(e.pos.line >= 1);
        assert_true(e.msg[0] != '\0');
        assert_null(strchr(e.msg, '\n'));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_jsonc_accepts),
            cmocka_unit_test(test_jsonc_rejects),
            cmocka_unit_test(test_jsonc_nul_inside),
            cmocka_unit_test(test_jsonc_positions),
            cmocka_unit_test(test_jsonc_strings_decoded),
            cmocka_unit_test(test_jsonc_blank),
            cmocka_unit_test(test_jsonc_depth_limit),
            cmocka_unit_test(test_jsonc_size_limit),
            cmocka_unit_test(test_jsonc_junk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
