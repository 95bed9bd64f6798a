/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the SOCKS5 handshake. Input: byte 0 picks a mode, byte 1 a split pattern,
 * the rest is what a client sends.
 *
 *   mode 0  the handshake state machine on the pure parser (greeting, then request), fed in
 *           pieces: it must reach the same result as with the whole stream at once, consume no
 *           more than it was given, and yield only well-formed requests.
 *   mode 1  the real SOCKS5 connection of a live proxy whose policy allows nothing: the stream
 *           is written in pieces into a client socketpair; every reply must be a valid SOCKS5
 *           message, and the proxy must release the connection.
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
#include "runtime/proxy.h"
#include "runtime/socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t piece(uint8_t pattern, size_t i) {
    return 1 + (size_t) ((pattern >> (i % 8)) & 7) * (size_t) (pattern % 5 + 1);
}

typedef struct outcome {
    int stage;  /* 0 greeting pending, 1 request pending, 2 done */
    int result; /* last parser result */
    bool noauth;
    socks5_request req;
    size_t consumed;
} outcome;

/* The connection's parse loop over buf[0..len), as socks_proxy.c runs it. */
static void machine(const uint8_t *buf, size_t len, outcome *o) {
    size_t pos = 0;

    memset(o, 0, sizeof(*o));
    for (;;) {
        int n;

        if (o->stage == 0) {
            n = socks5_parse_greeting(buf + pos, len - pos, &o->noauth);
            o->result = n;
            if (n <= 0)
                break;
            assert((size_t) n <= len - pos && n >= 3 && n <= SOCKS5_GREETING_MAX);
            pos += (size_t) n;
            if (!o->noauth) {
                o->stage = 2;
                break;
            }
            o->stage = 1;
            continue;
        }
        if (o->stage == 1) {
            n = socks5_parse_request(buf + pos, len - pos, &o->req);
            o->result = n;
            if (n == 0)
                break;
            if (n < 0) {
                if (n == SOCKS5_ERR_REPLY)
                    assert(o->req.reply == SOCKS5_REP_ATYP_UNSUPPORTED ||
                           o->req.reply == SOCKS5_REP_HOST_UNREACHABLE);
                o->stage = 2;
                break;
            }
            assert((size_t) n <= len - pos && n <= SOCKS5_REQUEST_MAX);
            assert(strlen(o->req.host) > 0 && strlen(o->req.host) < sizeof(o->req.host));
            pos += (size_t) n;
            o->stage = 2;
        }
        break;
    }
    o->consumed = pos;
}

static void check_machine(const uint8_t *buf, size_t len, uint8_t pattern) {
    outcome whole, part;
    size_t at = 0;

    machine(buf, len, &whole);
    for (size_t i = 0; at < len; i++) {
        at += piece(pattern, i);
        if (at > len)
            at = len;
        machine(buf, at, &part);
        /* a prefix never gets further than the whole stream, and once the whole stream's
         * outcome is reached on a prefix, it is the same outcome */
        assert(part.stage <= whole.stage);
        if (part.stage == 2 && whole.stage == 2) {
            assert(part.result == whole.result && part.consumed == whole.consumed);
            if (part.result > 0) {
                assert(strcmp(part.req.host, whole.req.host) == 0);
                assert(part.req.port == whole.req.port && part.req.cmd == whole.req.cmd);
            }
        }
    }
    if (whole.stage == 2 && whole.result > 0) {
        static const char *allow[] = {"*.example.com", NULL};
        const netpol pol = {.allowed = allow};
        uint8_t rep[SOCKS5_REPLY_MAX];

        (void) netpol_decide(&pol, whole.req.host, whole.req.port);
        assert(socks5_reply(rep, SOCKS5_REP_NOT_ALLOWED, NULL) == 10);
    }
}

/* ---- mode 1: a live proxy ------------------------------------------------------------------ */

static fuzz_live live;

typedef struct collected {
    uint8_t out[64];
    size_t n;
} collected;

static void collect(const uint8_t *p, size_t n, void *userdata) {
    collected *c = userdata;

    assert(c->n + n < sizeof(c->out)); /* a method answer and one reply at most */
    memcpy(c->out + c->n, p, n);
    c->n += n;
}

/* Checks that the bytes the proxy sent form a method answer optionally followed by one
 * reply. */
static void check_replies(const uint8_t *out, size_t n) {
    if (n == 0)
        return;
    assert(n >= 2 && out[0] == SOCKS5_VERSION);
    assert(out[1] == SOCKS5_METHOD_NOAUTH || out[1] == SOCKS5_METHOD_NONE);
    if (out[1] == SOCKS5_METHOD_NONE) {
        assert(n == 2);
        return;
    }
    if (n == 2)
        return;
    assert(n == 12 && out[2] == SOCKS5_VERSION && out[3] != SOCKS5_REP_SUCCEEDED);
    assert(out[5] == SOCKS5_ATYP_IPV4);
}

static void check_live(const uint8_t *buf, size_t len, uint8_t pattern) {
    collected c = {.n = 0};

    fuzz_live_feed(&live, PROXY_SOCKS, buf, len, pattern, piece, collect, &c);
    check_replies(c.out, c.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > 2 + 4096)
        return 0;
    if (data[0] % 2 == 0)
        check_machine(data + 2, size - 2, data[1]);
    else
        check_live(data + 2, size - 2, data[1]);
    return 0;
}
