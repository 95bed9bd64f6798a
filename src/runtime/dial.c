/* SPDX-License-Identifier: MIT */
/* dial: resolve once, check every address, connect to a checked one; see dial.h. */
#include "runtime/dial.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define DIAL_HOST_MAX 255

struct dial {
    dial_ctx ctx;
    char host[DIAL_HOST_MAX + 1];
    uint16_t port;
    unsigned flags;
    dial_cb cb;
    void *userdata;

    dns_query *query;
    netpol_ip addrs[DNS_MAX_ADDRS];
    size_t naddrs, next;
    int fd; /* the attempt in progress, registered in the loop */
    int last_errno;

    uint64_t deadline;
    uint64_t attempt_deadline; /* 0 = none */
    evloop_timer *timer;
    evloop_timer *kick; /* delivers a result reached inside dial_start() */
    bool starting;
    dial_result res;
};

socklen_t dial_sockaddr(const netpol_ip *ip, uint16_t port, struct sockaddr_storage *ret) {
    memset(ret, 0, sizeof(*ret));
    if (ip->family == AF_INET) {
        struct sockaddr_in *sa = (struct sockaddr_in *) ret;

        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        memcpy(&sa->sin_addr, ip->addr, 4);
        return sizeof(*sa);
    }
    struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *) ret;

    sa6->sin6_family = AF_INET6;
    sa6->sin6_port = htons(port);
    memcpy(&sa6->sin6_addr, ip->addr, 16);
    return sizeof(*sa6);
}

const char *dial_status_name(dial_status s) {
    switch (s) {
    case DIAL_OK:
        return "connected";
    case DIAL_BLOCKED:
        return "internal address not allowed";
    case DIAL_NOTFOUND:
        return "name not found";
    case DIAL_REFUSED:
        return "connection refused";
    case DIAL_NET_UNREACH:
        return "network unreachable";
    case DIAL_HOST_UNREACH:
        return "host unreachable";
    case DIAL_TIMEOUT:
        return "timed out";
    case DIAL_FAILED:
        return "failed";
    }
    return "failed";
}

static dial_status status_of_errno(int e) {
    switch (e) {
    case ECONNREFUSED:
        return DIAL_REFUSED;
    case ENETUNREACH:
    case EAFNOSUPPORT:
    case EADDRNOTAVAIL:
    case EPROTONOSUPPORT:
        return DIAL_NET_UNREACH;
    case EHOSTUNREACH:
    case EHOSTDOWN:
        return DIAL_HOST_UNREACH;
    case ETIMEDOUT:
        return DIAL_TIMEOUT;
    default:
        return DIAL_FAILED;
    }
}

static void stop_attempt(dial *d) {
    if (d->fd >= 0) {
        (void) evloop_del(d->ctx.loop, d->fd);
        d->fd = safe_close(d->fd);
    }
}

static void cancel_timers(dial *d) {
    if (d->timer)
        evloop_timer_cancel(d->ctx.loop, d->timer);
    if (d->kick)
        evloop_timer_cancel(d->ctx.loop, d->kick);
    d->timer = d->kick = NULL;
}

static void deliver(dial *d) {
    dial_result res = d->res;

    if (d->query) {
        dns_cancel(d->ctx.dns, d->query);
        d->query = NULL;
    }
    stop_attempt(d);
    cancel_timers(d);
    d->cb(d->userdata, &res);
    free(d);
}

static void on_kick(evloop *loop, evloop_timer *t, void *userdata) {
    dial *d = userdata;

    (void) loop;
    (void) t;
    d->kick = NULL;
    deliver(d);
}

/* Records the result and delivers it (from the loop: directly, or through a zero-delay timer
 * when still inside dial_start()). Returns -ENOMEM only in the latter case. */
static int complete(dial *d, dial_status st, int fd, int err, const netpol_ip *addr) {
    d->res = (dial_result){.status = st, .fd = fd, .sys_errno = err};
    if (addr)
        d->res.addr = *addr;
    if (!d->starting) {
        deliver(d);
        return 0;
    }
    if (d->timer)
        evloop_timer_cancel(d->ctx.loop, d->timer);
    d->timer = NULL;
    d->kick = evloop_timer_add(d->ctx.loop, 0, on_kick, d);
    return d->kick ? 0 : -ENOMEM;
}

static void on_timer(evloop *loop, evloop_timer *t, void *userdata);

static int arm_timer(dial *d) {
    uint64_t now = evloop_now(d->ctx.loop);
    uint64_t due = d->deadline;

    if (d->attempt_deadline && d->attempt_deadline < due)
        due = d->attempt_deadline;
    if (d->timer)
        evloop_timer_cancel(d->ctx.loop, d->timer);
    d->timer = evloop_timer_add(d->ctx.loop, due > now ? due - now : 0, on_timer, d);
    return d->timer ? 0 : -ENOMEM;
}

static void on_connect(evloop *loop, int fd, uint32_t events, void *userdata);

/* Tries the remaining addresses until one is in progress or connected. */
static int next_attempt(dial *d) {
    while (d->next < d->naddrs) {
        const netpol_ip *ip = &d->addrs[d->next++];
        struct sockaddr_storage ss;
        socklen_t len = dial_sockaddr(ip, d->port, &ss);
        int fd = socket(ip->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;

        if (fd < 0) {
            d->last_errno = errno;
            continue;
        }
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *) &ss, len) == 0)
            return complete(d, DIAL_OK, fd, 0, ip);
        if (errno != EINPROGRESS) {
            d->last_errno = errno;
            safe_close(fd);
            continue;
        }
        if (evloop_add(d->ctx.loop, fd, EPOLLOUT, on_connect, d) < 0) {
            d->last_errno = ENOMEM;
            safe_close(fd);
            continue;
        }
        d->fd = fd;
        d->attempt_deadline = d->next < d->naddrs ? evloop_now(d->ctx.loop) + DIAL_ATTEMPT_MS : 0;
        return arm_timer(d);
    }
    return complete(d, status_of_errno(d->last_errno), -1, d->last_errno, NULL);
}

static void on_connect(evloop *loop, int fd, uint32_t events, void *userdata) {
    dial *d = userdata;
    int err = 0;
    socklen_t len = sizeof(err);

    (void) loop;
    (void) events;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0) {
        const netpol_ip *ip = &d->addrs[d->next - 1];

        (void) evloop_del(d->ctx.loop, fd);
        d->fd = -1;
        complete(d, DIAL_OK, fd, 0, ip);
        return;
    }
    stop_attempt(d);
    d->last_errno = err;
    d->attempt_deadline = 0;
    if (next_attempt(d) < 0)
        complete(d, DIAL_FAILED, -1, ENOMEM, NULL);
}

static void on_timer(evloop *loop, evloop_timer *t, void *userdata) {
    dial *d = userdata;

    (void) t;
    d->timer = NULL;
    stop_attempt(d);
    if (evloop_now(loop) >= d->deadline || d->next >= d->naddrs) {
        complete(d, DIAL_TIMEOUT, -1, ETIMEDOUT, NULL);
        return;
    }
    d->last_errno = ETIMEDOUT;
    d->attempt_deadline = 0;
    if (next_attempt(d) < 0)
        complete(d, DIAL_FAILED, -1, ENOMEM, NULL);
}

/* Every address must pass the guard before any is tried. Returns -ENOMEM or 0. */
static int check_and_connect(dial *d) {
    if (!(d->flags & DIAL_TRUSTED))
        for (size_t i = 0; i < d->naddrs; i++)
            if (!netpol_addr_allowed(d->ctx.policy, d->host, &d->addrs[i]))
                return complete(d, DIAL_BLOCKED, -1, 0, &d->addrs[i]);
    return next_attempt(d);
}

static void on_dns(void *userdata, const dns_result *res) {
    dial *d = userdata;

    d->query = NULL;
    switch (res->status) {
    case DNS_OK:
        break;
    case DNS_NOTFOUND:
        complete(d, DIAL_NOTFOUND, -1, 0, NULL);
        return;
    case DNS_TIMEOUT:
        complete(d, DIAL_TIMEOUT, -1, ETIMEDOUT, NULL);
        return;
    default:
        complete(d, DIAL_FAILED, -1, 0, NULL);
        return;
    }
    d->naddrs = res->naddrs;
    memcpy(d->addrs, res->addrs, res->naddrs * sizeof(res->addrs[0]));
    if (check_and_connect(d) < 0)
        complete(d, DIAL_FAILED, -1, ENOMEM, NULL);
}

static void dial_free(dial *d) {
    if (d->query)
        dns_cancel(d->ctx.dns, d->query);
    stop_attempt(d);
    cancel_timers(d);
    if (d->res.fd >= 0)
        safe_close(d->res.fd);
    free(d);
}

int dial_start(const dial_ctx *ctx, const char *host, uint16_t port, unsigned flags,
               uint64_t timeout_ms, dial_cb cb, void *userdata, dial **ret) {
    size_t n = host ? strlen(host) : 0;
    netpol_ip ip;
    dial *d;
    int r;

    if (n == 0 || n > DIAL_HOST_MAX || !cb)
        return -EINVAL;
    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    *d = (dial){.ctx = *ctx,
                .port = port,
                .flags = flags,
                .cb = cb,
                .userdata = userdata,
                .fd = -1,
                .starting = true,
                .res = {.fd = -1}};
    memcpy(d->host, host, n + 1);
    d->deadline = evloop_now(ctx->loop) + timeout_ms;
    r = arm_timer(d);
    if (r == 0 && netpol_parse_ip(host, &ip) == 0) {
        d->addrs[0] = ip;
        d->naddrs = 1;
        r = check_and_connect(d);
    } else if (r == 0) {
        r = dns_resolve(ctx->dns, host, on_dns, d, &d->query);
    }
    if (r < 0) {
        dial_free(d);
        return r;
    }
    d->starting = false;
    *ret = d;
    return 0;
}

void dial_cancel(dial *d) {
    if (d)
        dial_free(d);
}
