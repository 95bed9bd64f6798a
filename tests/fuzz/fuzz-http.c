/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the HTTP side of the proxy: what a sandboxed program can send to the
 * supervisor. Input: byte 0 picks a mode, byte 1 a split pattern, the rest is the stream.
 *
 *   mode 0  request head parser: the stream split at the pattern's points must give the same
 *           answer as in one piece (a complete head is complete at the same length, a valid
 *           prefix is never an error); framing, targets and the policy on what it yields.
 *   mode 1  response head parser, the same way, with framing for GET/HEAD/CONNECT.
 *   mode 2  chunked tracker: fed in pieces it must consume exactly what it consumes in one go.
 *   mode 3  request targets (authority- and absolute-form) and IP literal parsing.
 *   mode 4  the real HTTP proxy connection: the stream is written in pieces into a client
 *           connection (a socketpair) of a live proxy whose policy denies everything, and the
 *           loop is run until nothing moves; the proxy must survive and release the connection.
 */
#include <assert.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz-live.h"
#include "policy/netpol.h"
#include "runtime/evloop.h"
#include "runtime/httpparse.h"
#include "runtime/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Split points: piece i has length 1 + (pattern >> (i % 8) & 15) * (pattern % 7 + 1). */
static size_t piece(uint8_t pattern, size_t i) {
    return 1 + (size_t) ((pattern >> (i % 8)) & 15) * (size_t) (pattern % 7 + 1);
}

typedef int (*head_parser)(const char *buf, size_t len, void *scratch);

static int parse_req(const char *buf, size_t len, void *scratch) {
    return httpparse_request(buf, len, scratch);
}

static int parse_resp(const char *buf, size_t len, void *scratch) {
    return httpparse_response(buf, len, scratch);
}

/* The stream split at the pattern's points gives the same answer as in one piece: a prefix of
 * a valid head is never an error, and the head is complete exactly at the same length. */
static void check_prefixes(head_parser parse, const char *buf, size_t len, uint8_t pattern,
                           int whole, void *scratch) {
    size_t at = 0;

    for (size_t i = 0; at < len; i++) {
        int part;

        at += piece(pattern, i);
        if (at > len)
            at = len;
        part = parse(buf, at, scratch);
        if (whole > 0) {
            assert(part >= 0);
            assert(part == 0 ? at < (size_t) whole : part == whole);
        }
    }
}

static void check_request(const char *buf, size_t len, uint8_t pattern) {
    static http_request r, scratch;
    int whole = httpparse_request(buf, len, &r);

    check_prefixes(parse_req, buf, len, pattern, whole, &scratch);
    if (whole > 0) {
        http_framing f;
        http_target t;

        assert((size_t) whole <= len && r.head_len == (size_t) whole);
        assert(r.nheaders <= HTTP_MAX_HEADERS);
        for (size_t i = 0; i < r.nheaders; i++) {
            assert(r.headers[i].name.p >= buf &&
                   r.headers[i].name.p + r.headers[i].name.n <= buf + whole);
            (void) http_is_hop_by_hop(r.headers, r.nheaders, r.headers[i].name);
        }
        (void) httpparse_request_framing(&r, &f);
        if (httpparse_authority(r.target, 443, &t) == 0 || httpparse_absolute(r.target, &t) == 0) {
            static const char *allow[] = {"*.example.com", "127.0.0.1", NULL};
            const netpol pol = {.allowed = allow};

            assert(strlen(t.host) <= HTTP_HOST_MAX && t.port != 0);
            (void) netpol_decide(&pol, t.host, t.port);
            (void) netpol_names_exactly(&pol, t.host);
        }
    }
}

static void check_response(const char *buf, size_t len, uint8_t pattern) {
    static http_response r, scratch;
    int whole = httpparse_response(buf, len, &r);

    check_prefixes(parse_resp, buf, len, pattern, whole, &scratch);
    if (whole > 0) {
        static const http_str methods[] = {{"GET", 3}, {"HEAD", 4}, {"CONNECT", 7}};
        http_framing f;

        assert(r.status >= 100 && r.status <= 999);
        for (size_t m = 0; m < 3; m++)
            if (httpparse_response_framing(&r, methods[m], &f) == 0 && f.body == HTTP_BODY_LENGTH)
                assert(f.length > 0);
    }
}

static void check_chunked(const char *buf, size_t len, uint8_t pattern) {
    http_chunked one = {0}, many = {0};
    bool done1 = false, done2 = false;
    ssize_t whole = httpparse_chunked(&one, buf, len, &done1);
    size_t used = 0;
    bool failed = false;

    for (size_t i = 0; used < len && !done2; i++) {
        size_t n = piece(pattern, i);
        ssize_t k;

        if (n > len - used)
            n = len - used;
        k = httpparse_chunked(&many, buf + used, n, &done2);
        if (k < 0) {
            failed = true;
            break;
        }
        assert((size_t) k <= n);
        assert((size_t) k == n || done2); /* stops early only at the end of the body */
        used += (size_t) k;
    }
    if (whole < 0) {
        assert(failed);
    } else {
        assert(!failed && (size_t) whole == used && done1 == done2);
    }
}

static void check_target(const char *buf, size_t len) {
    http_target t;
    netpol_ip ip;
    char host[300];
    http_str s = {buf, len};

    if (httpparse_authority(s, 443, &t) == 0) {
        assert(strlen(t.host) <= HTTP_HOST_MAX);
        if (t.ipv6)
            assert(netpol_parse_ip(t.host, &ip) == 0);
    }
    if (httpparse_absolute(s, &t) == 0)
        assert(t.path.p >= buf && t.path.p + t.path.n == buf + len);
    if (len < sizeof(host)) {
        memcpy(host, buf, len);
        host[len] = '\0';
        if (netpol_parse_ip(host, &ip) == 0) {
            char text[NETPOL_IP_STRLEN];
            netpol_ip again;

            /* the canonical spelling parses back to the same address */
            assert(netpol_parse_ip(netpol_ip_format(&ip, text), &again) == 0);
            assert(again.family == ip.family && memcmp(again.addr, ip.addr, 16) == 0);
            (void) netpol_classify(&ip);
        }
    }
}

/* ---- mode 4: a live proxy ------------------------------------------------------------------ */

static fuzz_live live;

static void check_live(const uint8_t *buf, size_t len, uint8_t pattern) {
    fuzz_live_feed(&live, PROXY_HTTP, buf, len, pattern, piece, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *buf = (const char *) data + 2;
    size_t len;

    if (size < 2 || size > 2 + 4 * HTTP_HEAD_MAX)
        return 0;
    len = size - 2;
    switch (data[0] % 5) {
    case 0:
        check_request(buf, len, data[1]);
        break;
    case 1:
        check_response(buf, len, data[1]);
        break;
    case 2:
        check_chunked(buf, len, data[1]);
        break;
    case 3:
        check_target(buf, len);
        break;
    default:
        check_live(data + 2, len, data[1]);
        break;
    }
    return 0;
}
