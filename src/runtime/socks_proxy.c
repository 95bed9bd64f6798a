/* SPDX-License-Identifier: MIT */
/*
 * socks_proxy: one client connection to the SOCKS5 proxy (spec §6.3).
 *
 * Greeting (only "no authentication" is offered; 0xFF when the client does not offer it), then
 * one request. CONNECT with an IPv4, IPv6 or domain-name destination: the rule is checked on the
 * name as sent, BEFORE anything is resolved (the Go tool resolved first, so denied names still
 * reached DNS); then dial (the internal-address guard, connect to a checked address); then the
 * reply carries the bound address and the connection becomes a tunnel. BIND and UDP ASSOCIATE
 * get 0x07, unknown address types 0x08. Reply codes: 0x02 policy or guard, 0x04 unknown name /
 * unreachable host / timeout, 0x05 refused, 0x03 network unreachable, 0x01 other failures.
 * SOCKS traffic is never forwarded to the upstream proxy (§6.4): the grey zone is denied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/proxy_int.h"
#include "runtime/socks5.h"
#include "util/cleanup.h"

#define SOCKS_IN_MAX (SOCKS5_GREETING_MAX + SOCKS5_REQUEST_MAX)
/* After a refusal, how long the reply gets to leave before the connection closes. */
#define SOCKS_CLOSE_MS 2000

typedef enum sstate {
    SS_GREETING = 0,
    SS_REQUEST,
    SS_DIAL,
    SS_CLOSING, /* a final reply is being flushed */
} sstate;

typedef struct sconn {
    pconn base;
    proxy *px;
    int fd;
    uint32_t mask;
    sstate state;
    bool closed;
    uint8_t in[SOCKS_IN_MAX];
    size_t inlen;
    uint8_t out[SOCKS5_REPLY_MAX + 2];
    size_t outlen;
    socks5_request req;
    dial *dial;
    evloop_timer *timer;
} sconn;

static void sprocess(sconn *c);

static void srelease(sconn *c, bool close_fd) {
    if (c->closed)
        return;
    c->closed = true;
    if (c->dial)
        dial_cancel(c->dial);
    c->dial = NULL;
    if (c->timer)
        evloop_timer_cancel(c->px->loop, c->timer);
    c->timer = NULL;
    if (c->fd >= 0)
        (void) evloop_del(c->px->loop, c->fd);
    if (close_fd)
        safe_close(c->fd);
    c->fd = -1;
    proxy_conn_free_later(&c->base, c);
}

static void sabort(pconn *base) {
    srelease((sconn *) base, true);
}

static void on_stimer(evloop *loop, evloop_timer *t, void *userdata) {
    sconn *c = userdata;

    (void) loop;
    (void) t;
    c->timer = NULL;
    srelease(c, true); /* handshake too slow, or the final reply could not be sent in time */
}

static void queue(sconn *c, const uint8_t *p, size_t n) {
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
}

/* Sends a final reply (failure) and closes once it is out. */
static void fail(sconn *c, uint8_t code) {
    uint8_t rep[SOCKS5_REPLY_MAX];

    queue(c, rep, socks5_reply(rep, code, NULL));
    c->state = SS_CLOSING;
    if (c->timer)
        evloop_timer_cancel(c->px->loop, c->timer);
    c->timer = evloop_timer_add(c->px->loop, SOCKS_CLOSE_MS, on_stimer, c);
    if (!c->timer)
        srelease(c, true);
}

static uint8_t reply_for(dial_status st) {
    switch (st) {
    case DIAL_BLOCKED:
        return SOCKS5_REP_NOT_ALLOWED;
    case DIAL_REFUSED:
        return SOCKS5_REP_CONN_REFUSED;
    case DIAL_NET_UNREACH:
        return SOCKS5_REP_NET_UNREACHABLE;
    case DIAL_NOTFOUND:
    case DIAL_HOST_UNREACH:
    case DIAL_TIMEOUT:
        return SOCKS5_REP_HOST_UNREACHABLE;
    default:
        return SOCKS5_REP_GENERAL_FAILURE;
    }
}

static void on_sdial(void *userdata, const dial_result *res) {
    sconn *c = userdata;
    struct sockaddr_storage bnd;
    socklen_t len = sizeof(bnd);
    uint8_t rep[SOCKS5_REPLY_MAX];
    size_t n;
    int fd = c->fd;

    c->dial = NULL;
    proxy_log_dial(c->px, "socks", c->req.host, c->req.port, res);
    if (res->status != DIAL_OK) {
        if (res->status == DIAL_BLOCKED) {
            c->px->st.blocked++;
            proxy_log_socks(c->px, false, c->req.host, c->req.port);
        } else {
            c->px->st.errors++;
        }
        fail(c, reply_for(res->status));
        sprocess(c);
        return;
    }
    proxy_log_socks(c->px, true, c->req.host, c->req.port);
    if (getsockname(res->fd, (struct sockaddr *) &bnd, &len) < 0)
        bnd.ss_family = AF_UNSPEC;
    n = socks5_reply(rep, SOCKS5_REP_SUCCEEDED, (struct sockaddr *) &bnd);
    queue(c, rep, n);
    /* the tunnel takes both sockets: the reply goes out first, then any bytes the client sent
     * right after its request */
    (void) evloop_del(c->px->loop, fd);
    c->fd = -1;
    if (proxy_tunnel(c->px, fd, res->fd, c->in, c->inlen, c->out, c->outlen) < 0)
        c->px->st.errors++;
    srelease(c, false);
}

static void handle_request(sconn *c) {
    netpol_verdict v;
    int r;

    if (c->req.cmd != SOCKS5_CMD_CONNECT) {
        fail(c, SOCKS5_REP_CMD_UNSUPPORTED);
        return;
    }
    c->px->st.requests++;
    v = netpol_decide(&c->px->pol, c->req.host, c->req.port);
    proxy_log_filter(c->px, &v, c->req.host, c->req.port);
    if (v.action != NETPOL_ALLOW) {
        /* NETPOL_UPSTREAM too: SOCKS never forwards upstream */
        c->px->st.blocked++;
        proxy_log_socks(c->px, false, c->req.host, c->req.port);
        fail(c, SOCKS5_REP_NOT_ALLOWED);
        return;
    }
    c->state = SS_DIAL;
    /* the dial has its own deadline (connect timeout) from here on */
    if (c->timer)
        evloop_timer_cancel(c->px->loop, c->timer);
    c->timer = NULL;
    r = proxy_dial(c->px, c->req.host, c->req.port, 0, on_sdial, c, &c->dial);
    if (r < 0) {
        c->px->st.errors++;
        fail(c, SOCKS5_REP_GENERAL_FAILURE);
    }
}

static void consume(sconn *c, size_t n) {
    memmove(c->in, c->in + n, c->inlen - n);
    c->inlen -= n;
}

/* A parser result <= 0: wait (0), refuse with a reply, or drop a client that is not
 * speaking SOCKS5. */
static void protocol_error(sconn *c, int n) {
    if (n == 0)
        return;
    c->px->st.errors++;
    if (n == SOCKS5_ERR_REPLY)
        fail(c, c->req.reply);
    else
        srelease(c, true);
}

static void step(sconn *c) {
    int n;
    bool noauth = false;
    static const uint8_t ok[2] = {SOCKS5_VERSION, SOCKS5_METHOD_NOAUTH};
    static const uint8_t none[2] = {SOCKS5_VERSION, SOCKS5_METHOD_NONE};

    switch (c->state) {
    case SS_GREETING:
        n = socks5_parse_greeting(c->in, c->inlen, &noauth);
        if (n <= 0) {
            protocol_error(c, n);
            return;
        }
        consume(c, (size_t) n);
        if (!noauth) {
            queue(c, none, 2);
            c->state = SS_CLOSING;
            return;
        }
        queue(c, ok, 2);
        c->state = SS_REQUEST;
        /* fall through: the request may have come in the same packet */
        /* FALLTHROUGH */
    case SS_REQUEST:
        n = socks5_parse_request(c->in, c->inlen, &c->req);
        if (n <= 0) {
            protocol_error(c, n);
            return;
        }
        consume(c, (size_t) n);
        handle_request(c);
        return;
    case SS_DIAL:
    case SS_CLOSING:
        return;
    }
}

static void sprocess(sconn *c) {
    uint32_t mask = 0;

    if (c->closed)
        return;
    step(c);
    if (c->closed)
        return;
    while (c->outlen > 0) {
        ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            srelease(c, true);
            return;
        }
        memmove(c->out, c->out + n, c->outlen - (size_t) n);
        c->outlen -= (size_t) n;
    }
    if (c->state == SS_CLOSING && c->outlen == 0) {
        srelease(c, true);
        return;
    }
    if (c->state != SS_CLOSING && c->inlen < sizeof(c->in))
        mask |= EPOLLIN;
    if (c->outlen > 0)
        mask |= EPOLLOUT;
    if (mask != c->mask && evloop_mod(c->px->loop, c->fd, mask) == 0)
        c->mask = mask;
}

static void on_sclient(evloop *loop, int fd, uint32_t events, void *userdata) {
    sconn *c = userdata;

    (void) loop;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        ssize_t n;

        if (c->inlen == sizeof(c->in)) {
            srelease(c, true); /* larger than any greeting plus request */
            return;
        }
        n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            /* The client went away (or half-closed before its request was complete). While
             * dialling there is nobody left to answer. */
            srelease(c, true);
            return;
        }
        if (n > 0)
            c->inlen += (size_t) n;
    }
    sprocess(c);
}

int socks_conn_new(proxy *px, int fd) {
    sconn *c = calloc(1, sizeof(*c));
    int r;

    if (!c) {
        safe_close(fd);
        return -ENOMEM;
    }
    c->px = px;
    c->fd = fd;
    c->base.abort = sabort;
    r = evloop_add(px->loop, fd, EPOLLIN, on_sclient, c);
    if (r < 0) {
        safe_close(fd);
        free(c);
        return r;
    }
    c->mask = EPOLLIN;
    proxy_conn_link(px, &c->base);
    c->timer = evloop_timer_add(px->loop, px->opt.handshake_timeout_ms, on_stimer, c);
    if (!c->timer) {
        srelease(c, true);
        return -ENOMEM;
    }
    return 0;
}
