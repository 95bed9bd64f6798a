/* SPDX-License-Identifier: MIT */
/* Unit tests for httpparse: request/response heads, smuggling-relevant refusals, framing,
 * the chunked tracker (whole and byte by byte), proxy request targets, hop-by-hop fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/httpparse.h"
#include "util/cleanup.h"

#define S(lit) ((http_str){(lit), sizeof(lit) - 1})

static int parse_req(const char *text, http_request *r) {
    return httpparse_request(text, strlen(text), r);
}

static void test_request_basic(void **state) {
    const char *text = "GET http://example.com/x?y=1 HTTP/1.1\r\n"
                       "Host: example.com\r\n"
                       "X-Spaces:   padded value \t \r\n"
                       "Empty:\r\n"
                       "\r\n"
                       "BODY";
    http_request r;
    int n = parse_req(text, &r);

    (void) state;
    assert_int_equal(n, (int) (strlen(text) - 4));
    assert_true(http_str_eq(r.method, "GET"));
    assert_true(http_str_eq(r.target, "http://example.com/x?y=1"));
    assert_int_equal(r.minor, 1);
    assert_int_equal(r.nheaders, 3);
    assert_true(http_str_eq(r.headers[1].value, "padded value"));
    assert_int_equal(r.headers[2].value.n, 0);
    assert_non_null(http_find(r.headers, r.nheaders, "host"));
    assert_null(http_find(r.headers, r.nheaders, "hostx"));

    /* every proper prefix is incomplete */
    for (size_t i = 0; i < strlen(text) - 4; i++)
        assert_int_equal(httpparse_request(text, i, &r), 0);
}

static void test_request_variants(void **state) {
    static const struct {
        const char *text;
        int want; /* > 0: complete; else the error */
    } cases[] = {
            {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 1},
            {"GET / HTTP/1.0\n\n", 1},             /* bare LF */
            {"\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1}, /* leading empty lines skipped */
            {"\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", HTTP_ERR_BAD}, /* too many */
            {"GET / HTTP/1.2\r\n\r\n", 1}, /* 1.x > 1 handled as 1.1 */
            {"GET / HTTP/2.0\r\n\r\n", HTTP_ERR_VERSION},
            {"GET / HTTP/1.1x\r\n\r\n", HTTP_ERR_BAD},
            {"GET / http/1.1\r\n\r\n", HTTP_ERR_BAD},
            {"GET /\r\n\r\n", HTTP_ERR_BAD},           /* HTTP/0.9 */
            {"GET  / HTTP/1.1\r\n\r\n", HTTP_ERR_BAD}, /* double space */
            {"GET / HTTP/1.1 \r\n\r\n", HTTP_ERR_BAD},
            {"G(T / HTTP/1.1\r\n\r\n", HTTP_ERR_BAD}, /* method not a token */
            {"GET /a\x7f HTTP/1.1\r\n\r\n", HTTP_ERR_BAD},
            {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", HTTP_ERR_BAD},
            {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", HTTP_ERR_BAD},           /* space before colon */
            {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", HTTP_ERR_BAD}, /* obs-fold */
            {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", HTTP_ERR_BAD},
            {"GET / HTTP/1.1\r\n: empty-name\r\n\r\n", HTTP_ERR_BAD},
            {"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", HTTP_ERR_BAD}, /* bare CR */
            {"GET / HTTP/1.1\r\nX: a\x01"
             "b\r\n\r\n",
             HTTP_ERR_BAD},                                  /* control byte */
            {"GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n", 1}, /* obs-text is fine */
            {"GET / HTTP/1.1\r\nX: tab\there\r\n\r\n", 1},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        http_request r;
        int n = parse_req(cases[i].text, &r);

        if (cases[i].want > 0 ? n <= 0 : n != cases[i].want)
            fail_msg("case %zu: got %d", i, n);
    }
}

static void test_request_nul(void **state) {
    static const char text[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    http_request r;

    (void) state;
    assert_int_equal(httpparse_request(text, sizeof(text) - 1, &r), HTTP_ERR_BAD);
}

static void test_request_limits(void **state) {
    size_t cap = HTTP_HEAD_MAX + 1024;
    char *buf = malloc(cap);
    size_t n = 0;
    http_request *r = malloc(sizeof(*r));

    (void) state;
    assert_non_null(buf);
    assert_non_null(r);
    /* exactly HTTP_MAX_HEADERS fields: fine; one more: too big */
    n = (size_t) snprintf(buf, cap, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        n += (size_t) snprintf(buf + n, cap - n, "X-%d: v\r\n", i);
    memcpy(buf + n, "\r\n", 2);
    assert_true(httpparse_request(buf, n + 2, r) > 0);
    assert_int_equal(r->nheaders, HTTP_MAX_HEADERS);
    n += (size_t) snprintf(buf + n, cap - n, "X-last: v\r\n\r\n");
    assert_int_equal(httpparse_request(buf, n, r), HTTP_ERR_TOO_BIG);

    /* a head that does not end within HTTP_HEAD_MAX */
    n = (size_t) snprintf(buf, cap, "GET / HTTP/1.1\r\nX: ");
    memset(buf + n, 'a', cap - n);
    assert_int_equal(httpparse_request(buf, HTTP_HEAD_MAX - 1, r), 0);
    assert_int_equal(httpparse_request(buf, HTTP_HEAD_MAX, r), HTTP_ERR_TOO_BIG);
    /* complete, but longer than the limit */
    memcpy(buf + HTTP_HEAD_MAX + 10, "\r\n\r\n", 4);
    assert_int_equal(httpparse_request(buf, HTTP_HEAD_MAX + 14, r), HTTP_ERR_TOO_BIG);
    free(buf);
    free(r);
}

static void test_request_framing(void **state) {
    static const struct {
        const char *text;
        int err;
        http_body body;
        uint64_t length;
        bool keep_alive, upgrade;
    } cases[] = {
            {"GET / HTTP/1.1\r\n\r\n", 0, HTTP_BODY_NONE, 0, true, false},
            {"GET / HTTP/1.0\r\n\r\n", 0, HTTP_BODY_NONE, 0, false, false},
            {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, HTTP_BODY_NONE, 0, true, false},
            {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0, HTTP_BODY_NONE, 0, false, false},
            {"GET / HTTP/1.1\r\nProxy-Connection: Close\r\n\r\n", 0, HTTP_BODY_NONE, 0, false,
             false},
            {"GET / HTTP/1.1\r\nConnection: x, CLOSE\r\n\r\n", 0, HTTP_BODY_NONE, 0, false, false},
            {"POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n", 0, HTTP_BODY_LENGTH, 42, true, false},
            {"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0, HTTP_BODY_NONE, 0, true, false},
            {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0,
             HTTP_BODY_LENGTH, 5, true, false},
            {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HTTP_ERR_BAD},
            {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HTTP_ERR_BAD},
            {"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", HTTP_ERR_BAD},
            {"POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", HTTP_ERR_BAD},
            {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", HTTP_ERR_BAD},
            {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_BODY_CHUNKED, 0, true,
             false},
            {"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", 0, HTTP_BODY_CHUNKED, 0, true,
             false},
            {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
             HTTP_ERR_BAD},
            {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HTTP_ERR_NOT_IMPL},
            {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
             HTTP_ERR_NOT_IMPL},
            {"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", HTTP_ERR_NOT_IMPL},
            {"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 0,
             HTTP_BODY_NONE, 0, true, true},
            {"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", 0, HTTP_BODY_NONE, 0, true, false},
            {"GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 0,
             HTTP_BODY_NONE, 0, false, false},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        http_request r;
        http_framing f;
        int e;

        assert_true(parse_req(cases[i].text, &r) > 0);
        e = httpparse_request_framing(&r, &f);
        if (e != cases[i].err)
            fail_msg("case %zu: framing error %d", i, e);
        if (e < 0)
            continue;
        if (f.body != cases[i].body || f.length != cases[i].length ||
            f.keep_alive != cases[i].keep_alive || f.upgrade != cases[i].upgrade)
            fail_msg("case %zu: body %d len %llu ka %d up %d", i, f.body,
                     (unsigned long long) f.length, f.keep_alive, f.upgrade);
    }
}

static void test_response(void **state) {
    static const struct {
        const char *text;
        const char *method;
        int status;
        http_body body;
        uint64_t length;
        bool keep_alive, interim, upgrade;
    } cases[] = {
            {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "GET", 200, HTTP_BODY_LENGTH, 3, true},
            {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "HEAD", 200, HTTP_BODY_NONE, 0, true},
            {"HTTP/1.1 200 OK\r\n\r\n", "GET", 200, HTTP_BODY_UNTIL_CLOSE, 0, false},
            {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", "GET", 200, HTTP_BODY_LENGTH, 3,
             false},
            {"HTTP/1.1 204 No Content\r\n\r\n", "GET", 204, HTTP_BODY_NONE, 0, true},
            {"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "GET", 304, HTTP_BODY_NONE,
             0, true},
            {"HTTP/1.1 100 Continue\r\n\r\n", "POST", 100, HTTP_BODY_NONE, 0, true, true},
            {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "GET", 101,
             HTTP_BODY_NONE, 0, true, false, true},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n", "GET",
             200, HTTP_BODY_CHUNKED, 0, true},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET", 200,
             HTTP_BODY_UNTIL_CLOSE, 0, false},
            {"HTTP/1.1 200\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "GET", 200,
             HTTP_BODY_NONE, 0, false},
            {"HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT", 200, HTTP_BODY_NONE, 0,
             true},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        http_response r;
        http_framing f;
        http_str m = {cases[i].method, strlen(cases[i].method)};

        assert_int_equal(httpparse_response(cases[i].text, strlen(cases[i].text), &r),
                         (int) strlen(cases[i].text));
        assert_int_equal(r.status, cases[i].status);
        assert_int_equal(httpparse_response_framing(&r, m, &f), 0);
        if (f.body != cases[i].body || f.length != cases[i].length ||
            f.keep_alive != cases[i].keep_alive || f.interim != cases[i].interim ||
            f.upgrade != cases[i].upgrade)
            fail_msg("case %zu: body %d len %llu ka %d interim %d", i, f.body,
                     (unsigned long long) f.length, f.keep_alive, f.interim);
    }
}

static void test_response_bad(void **state) {
    static const char *bad[] = {
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/1.1 abc OK\r\n\r\n",
            "HTTP/1.1\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
    };
    http_response r;
    http_framing f;

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (httpparse_response(bad[i], strlen(bad[i]), &r) >= 0)
            fail_msg("accepted '%s'", bad[i]);
    assert_true(httpparse_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 38, &r) > 0);
    assert_int_equal(httpparse_response_framing(&r, S("GET"), &f), HTTP_ERR_BAD);
    assert_true(httpparse_response("HTTP/1.1 200 reason with spaces\r\n\r\n", 36, &r) > 0);
    assert_true(http_str_eq(r.reason, "reason with spaces"));
}

/* Feeds the body in pieces of `step` bytes; returns the bytes that belonged to it. */
static ssize_t chunked_feed(const char *body, size_t len, size_t step, bool *done) {
    http_chunked c = {0};
    size_t used = 0;

    *done = false;
    while (used < len && !*done) {
        size_t n = len - used < step ? len - used : step;
        ssize_t k = httpparse_chunked(&c, body + used, n, done);

        if (k < 0)
            return -1;
        used += (size_t) k;
        if ((size_t) k < n && !*done)
            return -2; /* stopped early without finishing: a bug */
    }
    return (ssize_t) used;
}

static void test_chunked(void **state) {
    static const struct {
        const char *body; /* followed by "NEXT" which must not be consumed */
        bool ok;
    } cases[] = {
            {"0\r\n\r\n", true},
            {"5\r\nhello\r\n0\r\n\r\n", true},
            {"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n", true},
            {"5\nhello\n0\n\n", true},
            {"5 \r\nhello\r\n0\r\nTrailer: x\r\nMore: y\r\n\r\n", true},
            {"00000003\r\nabc\r\n0\r\n\r\n", true},
            {"fF\r\n", false}, /* incomplete: never done */
            {"g\r\n", false},
            {"\r\n", false},
            {"5\r\nhelloX\r\n", false},
            {"5\r\nhello\r\n0\r\n folded\r\n\r\n", false},
            {"1000000000000000000\r\n", false}, /* absurd size */
            {"5\r\r\n", false},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char buf[256];
        size_t len = strlen(cases[i].body);
        ssize_t whole, bytewise;
        bool done1, done2;

        snprintf(buf, sizeof(buf), "%sNEXT", cases[i].body);
        whole = chunked_feed(buf, len + 4, 1000, &done1);
        bytewise = chunked_feed(buf, len + 4, 1, &done2);
        if (cases[i].ok) {
            if (whole != (ssize_t) len || !done1 || bytewise != (ssize_t) len || !done2)
                fail_msg("case %zu: whole %zd bytewise %zd", i, whole, bytewise);
        } else if (done1 || done2) {
            fail_msg("case %zu: accepted", i);
        }
    }
}

static void test_chunked_limits(void **state) {
    char *buf = malloc(HTTP_TRAILER_MAX + 64);
    http_chunked c = {0};
    bool done;

    (void) state;
    assert_non_null(buf);
    /* an endless chunk extension */
    memcpy(buf, "1;", 2);
    memset(buf + 2, 'x', HTTP_CHUNK_LINE_MAX + 10);
    assert_int_equal(httpparse_chunked(&c, buf, HTTP_CHUNK_LINE_MAX + 12, &done), -1);
    /* endless trailers */
    c = (http_chunked){0};
    memcpy(buf, "0\r\n", 3);
    for (size_t i = 3; i < HTTP_TRAILER_MAX + 60; i += 5)
        memcpy(buf + i, "X:y\r\n", 5);
    assert_int_equal(httpparse_chunked(&c, buf, HTTP_TRAILER_MAX + 60, &done), -1);
    free(buf);
}

static void test_authority(void **state) {
    static const struct {
        const char *text;
        uint16_t def;
        const char *host; /* NULL = error */
        uint16_t port;
        bool ipv6;
    } cases[] = {
            {"example.com:443", 443, "example.com", 443, false},
            {"example.com", 443, "example.com", 443, false},
            {"example.com:", 443, "example.com", 443, false},
            {"Example.COM:8080", 443, "Example.COM", 8080, false},
            {"127.0.0.1:22", 443, "127.0.0.1", 22, false},
            {"[::1]:443", 443, "::1", 443, true},
            {"[::1]", 80, "::1", 80, true},
            {"[::ffff:127.0.0.1]:80", 80, "::ffff:127.0.0.1", 80, true},
            {"under_score.example:1", 80, "under_score.example", 1, false},
            {"example.com.:443", 443, "example.com.", 443, false},
            {"::1:443", 443, NULL},
            {"[::1]443", 443, NULL},
            {"[1.2.3.4]:80", 80, NULL},
            {"[zz::1]:80", 80, NULL},
            {"[]:80", 80, NULL},
            {"example.com:0", 443, NULL},
            {"example.com:65536", 443, NULL},
            {"example.com:123456", 443, NULL},
            {"example.com:-1", 443, NULL},
            {"exa mple.com:1", 443, NULL},
            {"user@example.com:1", 443, NULL},
            {"example..com", 443, NULL},
            {".example.com", 443, NULL},
            {"", 443, NULL},
            {":443", 443, NULL},
            {"ex%41mple.com", 443, NULL},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        http_target t;
        http_str s = {cases[i].text, strlen(cases[i].text)};
        int r = httpparse_authority(s, cases[i].def, &t);

        if (!cases[i].host) {
            if (r >= 0)
                fail_msg("accepted '%s'", cases[i].text);
            continue;
        }
        if (r < 0)
            fail_msg("refused '%s'", cases[i].text);
        assert_string_equal(t.host, cases[i].host);
        assert_int_equal(t.port, cases[i].port);
        assert_int_equal(t.ipv6, cases[i].ipv6);
    }
    {
        char longname[HTTP_HOST_MAX + 2];
        http_target t;

        memset(longname, 'a', sizeof(longname));
        assert_int_equal(httpparse_authority((http_str){longname, HTTP_HOST_MAX}, 1, &t), 0);
        assert_int_equal(httpparse_authority((http_str){longname, HTTP_HOST_MAX + 1}, 1, &t),
                         HTTP_ERR_BAD);
    }
}

static void test_absolute(void **state) {
    static const struct {
        const char *text;
        const char *host; /* NULL = error */
        uint16_t port;
        bool https;
        const char *authority, *path;
    } cases[] = {
            {"http://example.com/a/b?c=d", "example.com", 80, false, "example.com", "/a/b?c=d"},
            {"HTTP://example.com:8080", "example.com", 8080, false, "example.com:8080", ""},
            {"http://example.com?q", "example.com", 80, false, "example.com", "?q"},
            {"https://example.com/", "example.com", 443, true, "example.com", "/"},
            {"http://[::1]:8080/x", "::1", 8080, false, "[::1]:8080", "/x"},
            {"http://user:pw@example.com/", NULL},
            {"http://allowed.com@evil.com/", NULL},
            {"http://example.com/#frag", NULL},
            {"ftp://example.com/", NULL},
            {"http:/example.com/", NULL},
            {"http://", NULL},
            {"/relative", NULL},
            {"example.com:80", NULL},
            {"ws://example.com/", NULL},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        http_target t;
        http_str s = {cases[i].text, strlen(cases[i].text)};
        int r = httpparse_absolute(s, &t);

        if (!cases[i].host) {
            if (r >= 0)
                fail_msg("accepted '%s'", cases[i].text);
            continue;
        }
        if (r < 0)
            fail_msg("refused '%s'", cases[i].text);
        assert_string_equal(t.host, cases[i].host);
        assert_int_equal(t.port, cases[i].port);
        assert_int_equal(t.https, cases[i].https);
        assert_true(http_str_eq(t.authority, cases[i].authority));
        assert_true(http_str_eq(t.path, cases[i].path));
    }
}

static void test_hop_by_hop(void **state) {
    const char *text = "GET / HTTP/1.1\r\n"
                       "Connection: keep-alive, X-Secret\r\n"
                       "X-Secret: 1\r\n"
                       "X-Public: 2\r\n"
                       "Proxy-Authorization: Basic abc\r\n"
                       "Transfer-Encoding: chunked\r\n"
                       "\r\n";
    http_request r;

    (void) state;
    assert_true(parse_req(text, &r) > 0);
    assert_true(http_is_hop_by_hop(r.headers, r.nheaders, S("Connection")));
    assert_true(http_is_hop_by_hop(r.headers, r.nheaders, S("x-secret")));
    assert_true(http_is_hop_by_hop(r.headers, r.nheaders, S("Proxy-Authorization")));
    assert_true(http_is_hop_by_hop(r.headers, r.nheaders, S("Proxy-Connection")));
    assert_true(http_is_hop_by_hop(r.headers, r.nheaders, S("Keep-Alive")));
    assert_true(http_is_hop_by_hop(r.headers, r.nheaders, S("Upgrade")));
    assert_false(http_is_hop_by_hop(r.headers, r.nheaders, S("X-Public")));
    /* relayed verbatim with its chunked body */
    assert_false(http_is_hop_by_hop(r.headers, r.nheaders, S("Transfer-Encoding")));
    assert_true(http_has_token(r.headers, r.nheaders, "connection", "KEEP-ALIVE"));
    assert_false(http_has_token(r.headers, r.nheaders, "connection", "keep"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_request_basic),   cmocka_unit_test(test_request_variants),
            cmocka_unit_test(test_request_nul),     cmocka_unit_test(test_request_limits),
            cmocka_unit_test(test_request_framing), cmocka_unit_test(test_response),
            cmocka_unit_test(test_response_bad),    cmocka_unit_test(test_chunked),
            cmocka_unit_test(test_chunked_limits),  cmocka_unit_test(test_authority),
            cmocka_unit_test(test_absolute),        cmocka_unit_test(test_hop_by_hop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
