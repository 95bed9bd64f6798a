/* SPDX-License-Identifier: MIT */
/* relay: TCP forwarding for allowLocalOutboundPorts and -p; see relay.h. */
#include "runtime/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/tunnel.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Accepts per listener event, and the pause after accept() ran out of fds (as the proxy). */
#define RELAY_ACCEPT_BATCH    64
#define RELAY_ACCEPT_PAUSE_MS 100

typedef struct rroute {
    relay *r;
    int fd;
    relay_route route;
    bool registered;
} rroute;

typedef struct rconn rconn;
struct rconn {
    rconn *prev, *next;
    relay *r;
    const rroute *rt;
    int client;
    int remote; /* the attempt in progress (registered for EPOLLOUT), or -1 */
    size_t next_target;
    int last_err;
    nsfactory_req *req;
    evloop_timer *timer;
    tunnel *t;
};

struct relay {
    evloop *loop;
    const rlog *log;
    nsfactory *factory;
    rroute routes[RELAY_MAX_ROUTES];
    size_t n_routes;
    bool started;
    evloop_timer *pause;
    rconn *conns;
    relay_stats st;
};

static void try_next(rconn *c);

/* ---- connections ----------------------------------------------------------------------------- */

static void conn_release(rconn *c) {
    relay *r = c->r;

    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->st.active--;
    if (c->req)
        nsfactory_cancel(r->factory, c->req);
    if (c->timer)
        evloop_timer_cancel(r->loop, c->timer);
    if (c->remote >= 0) {
        (void) evloop_del(r->loop, c->remote);
        safe_close(c->remote);
    }
    safe_close(c->client);
    /* the loop may still hold an event for the attempt in this batch */
    if (evloop_defer(r->loop, free, c) < 0) {
        /* leak the inert object rather than risk a use after free */
    }
}

static void target_text(const struct sockaddr_storage *ss, char *buf, size_t n) {
    char ip[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) ss;

        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(buf, n, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *) ss;

        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(buf, n, "%s:%u", ip, ntohs(a->sin_port));
    }
}

static void conn_fail(rconn *c) {
    relay *r = c->r;

    r->st.failed++;
    if (r->log->debug || r->log->monitor) {
        char t[80];

        target_text(&c->rt->route.target[0], t, sizeof(t));
        rlog_line(r->log, "[fence] %s: cannot reach %s%s: %s", c->rt->route.label, t,
                  c->rt->route.in_sandbox ? " in the sandbox" : " on the host",
                  strerror(c->last_err ? c->last_err : ECONNREFUSED));
    }
    conn_release(c);
}

static void on_tunnel_done(void *userdata, tunnel_end how, const tunnel_stats *st) {
    rconn *c = userdata;

    (void) how;
    (void) st;
    /* the tunnel closed both sockets */
    c->client = -1;
    c->remote = -1;
    c->t = NULL;
    conn_release(c);
}

static void established(rconn *c, int fd) {
    relay *r = c->r;
    tunnel_options o = {.idle_ms = RELAY_IDLE_TIMEOUT_MS};
    int one = 1, client = c->client, res;

    if (c->timer)
        evloop_timer_cancel(r->loop, c->timer);
    c->timer = NULL;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    res = tunnel_new(r->loop, client, fd, NULL, 0, NULL, 0, &o, on_tunnel_done, c, &c->t);
    if (res < 0) {
        safe_close(fd);
        c->last_err = -res;
        conn_fail(c);
        return;
    }
    r->st.tunnels_total++;
}

static void on_connect(evloop *loop, int fd, uint32_t events, void *userdata) {
    rconn *c = userdata;
    int err = 0;
    socklen_t len = sizeof(err);

    (void) events;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS)
        return;
    (void) evloop_del(loop, fd);
    c->remote = -1;
    if (err == 0) {
        established(c, fd);
        return;
    }
    safe_close(fd);
    c->last_err = err;
    try_next(c);
}

/* Connects fd (ours now) to the current target. */
static void start_connect(rconn *c, int fd) {
    const struct sockaddr_storage *ss = &c->rt->route.target[c->next_target - 1];
    socklen_t len =
            ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int r;

    if (connect(fd, (const struct sockaddr *) ss, len) == 0) {
        established(c, fd);
        return;
    }
    if (errno != EINPROGRESS) {
        c->last_err = errno;
        safe_close(fd);
        try_next(c);
        return;
    }
    r = evloop_add(c->r->loop, fd, EPOLLOUT, on_connect, c);
    if (r < 0) {
        c->last_err = -r;
        safe_close(fd);
        try_next(c);
        return;
    }
    c->remote = fd;
}

static void on_factory_socket(void *userdata, int fd, int err) {
    rconn *c = userdata;

    c->req = NULL;
    if (fd < 0) {
        c->last_err = err;
        try_next(c);
        return;
    }
    start_connect(c, fd);
}

/* Tries the next target, or fails the connection when none is left. */
static void try_next(rconn *c) {
    relay *r = c->r;

    while (c->next_target < c->rt->route.n_targets) {
        int family = c->rt->route.target[c->next_target++].ss_family, fd, res;

        if (c->rt->route.in_sandbox) {
            res = r->factory ? nsfactory_socket(r->factory, family, on_factory_socket, c, &c->req)
                             : -EPIPE;
            if (res == 0)
                return;
            c->last_err = -res;
            continue;
        }
        fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            c->last_err = errno;
            continue;
        }
        start_connect(c, fd);
        return;
    }
    conn_fail(c);
}

static void on_deadline(evloop *loop, evloop_timer *t, void *userdata) {
    rconn *c = userdata;

    (void) loop;
    (void) t;
    c->timer = NULL;
    c->last_err = ETIMEDOUT;
    conn_fail(c);
}

static void conn_new(relay *r, const rroute *rt, int client) {
    rconn *c = calloc(1, sizeof(*c));

    if (!c) {
        safe_close(client);
        r->st.failed++;
        return;
    }
    *c = (rconn){.next = r->conns, .r = r, .rt = rt, .client = client, .remote = -1};
    if (r->conns)
        r->conns->prev = c;
    r->conns = c;
    r->st.active++;
    c->timer = evloop_timer_add(r->loop, RELAY_CONNECT_TIMEOUT_MS, on_deadline, c);
    if (!c->timer) {
        c->last_err = ENOMEM;
        conn_fail(c);
        return;
    }
    try_next(c);
}

/* ---- listeners ------------------------------------------------------------------------------- */

static void on_listen(evloop *loop, int fd, uint32_t events, void *userdata);

static int route_register(rroute *rt) {
    int res;

    if (rt->registered || rt->fd < 0)
        return 0;
    res = evloop_add(rt->r->loop, rt->fd, EPOLLIN, on_listen, rt);
    if (res == 0)
        rt->registered = true;
    return res;
}

static void on_resume(evloop *loop, evloop_timer *t, void *userdata) {
    relay *r = userdata;

    (void) loop;
    (void) t;
    r->pause = NULL;
    for (size_t i = 0; i < r->n_routes; i++)
        (void) route_register(&r->routes[i]);
}

static void pause_accepting(relay *r) {
    if (r->pause)
        return;
    r->pause = evloop_timer_add(r->loop, RELAY_ACCEPT_PAUSE_MS, on_resume, r);
    if (!r->pause)
        return;
    for (size_t i = 0; i < r->n_routes; i++)
        if (r->routes[i].registered) {
            (void) evloop_del(r->loop, r->routes[i].fd);
            r->routes[i].registered = false;
        }
}

static void on_listen(evloop *loop, int fd, uint32_t events, void *userdata) {
    rroute *rt = userdata;
    relay *r = rt->r;

    (void) loop;
    (void) events;
    for (int i = 0; i < RELAY_ACCEPT_BATCH && rt->registered; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accepting(r);
            return;
        }
        r->st.accepted++;
        if (r->st.active >= RELAY_MAX_CONNS) {
            safe_close(cfd);
            r->st.refused++;
            continue;
        }
        (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn_new(r, rt, cfd);
    }
}

int relay_add(relay *r, int listen_fd, const relay_route *route, fence_error *err) {
    rroute *rt;
    int flags, res;

    if (route->n_targets < 1 || route->n_targets > 2) {
        safe_close(listen_fd);
        return fence_error_set(err, FENCE_E_INVAL, 0, "relay route without targets");
    }
    if (r->n_routes == RELAY_MAX_ROUTES) {
        safe_close(listen_fd);
        return fence_error_set(err, FENCE_E_PROXY, 0, "too many relayed ports (max %d)",
                               RELAY_MAX_ROUTES);
    }
    flags = fcntl(listen_fd, F_GETFL);
    if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(listen_fd, F_SETFD, FD_CLOEXEC) < 0) {
        int e = errno;

        safe_close(listen_fd);
        return fence_error_set(err, FENCE_E_PROXY, e, "%s: configuring the listener", route->label);
    }
    rt = &r->routes[r->n_routes++];
    *rt = (rroute){.r = r, .fd = listen_fd, .route = *route};
    if (r->started && !r->pause) {
        res = route_register(rt);
        if (res < 0)
            return fence_error_set(err, FENCE_E_PROXY, -res, "%s: registering the listener",
                                   route->label);
    }
    return 0;
}

int relay_start(relay *r, fence_error *err) {
    r->started = true;
    for (size_t i = 0; i < r->n_routes; i++) {
        int res = route_register(&r->routes[i]);

        if (res < 0)
            return fence_error_set(err, FENCE_E_PROXY, -res, "%s: registering the listener",
                                   r->routes[i].route.label);
    }
    return 0;
}

int relay_new(evloop *loop, const rlog *log, relay **ret) {
    relay *r = calloc(1, sizeof(*r));

    if (!r)
        return -ENOMEM;
    r->loop = loop;
    r->log = log;
    *ret = r;
    return 0;
}

void relay_set_factory(relay *r, nsfactory *f) {
    r->factory = f;
}

void relay_free(relay *r) {
    if (!r)
        return;
    if (r->pause)
        evloop_timer_cancel(r->loop, r->pause);
    for (size_t i = 0; i < r->n_routes; i++) {
        if (r->routes[i].registered)
            (void) evloop_del(r->loop, r->routes[i].fd);
        safe_close(r->routes[i].fd);
    }
    while (r->conns) {
        rconn *c = r->conns;

        if (c->t)
            tunnel_abort(c->t); /* its done callback releases c */
        else
            conn_release(c);
    }
    free(r);
}

void relay_get_stats(const relay *r, relay_stats *ret) {
    *ret = r->st;
}
