/* SPDX-License-Identifier: MIT */
/*
 * dns: c-ares on the evloop; see dns.h.
 *
 * The c-ares channel is created on the first lookup, not with the resolver: most sandboxed runs
 * never resolve a name (everything denied, or no network use at all), and reading resolv.conf
 * and /etc/hosts would otherwise be paid at every start.
 *
 * c-ares reports which of its sockets it wants watched through the socket-state callback; we
 * mirror that into evloop registrations and call ares_process_fd() when they fire. After every
 * call into c-ares the one resolver timer is re-armed from ares_timeout(). A query that c-ares
 * completes synchronously inside ares_getaddrinfo() (an /etc/hosts hit, an immediate error)
 * is delivered from a zero-delay timer instead, so callers never see their callback run before
 * dns_resolve() has returned.
 */
#include "runtime/dns.h"

#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"

struct dns_query {
    dns *d;
    dns_cb cb;
    void *userdata;
    bool cancelled;
    bool done;           /* result stored, waiting for `timer` to deliver it */
    evloop_timer *timer; /* delivery of a synchronous completion */
    dns_result res;
    dns_query *prev, *next;
};

struct dns {
    evloop *loop;
    ares_channel ch;
    bool have_ch;
    unsigned timeout_ms, tries;
    char *servers; /* NULL = system configuration */
    evloop_timer *timer;
    bool in_resolve; /* inside ares_getaddrinfo(): completions must be deferred */
    bool freeing;
    size_t pending;
    dns_query *queries;
};

static void rearm(dns *d);

/* ---- sockets: ours, so that they are CLOEXEC and non-blocking -------------------------------- */

static ares_socket_t sock_open(int domain, int type, int protocol, void *ud) {
    (void) ud;
    return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}

static int sock_close(ares_socket_t fd, void *ud) {
    dns *d = ud;

    (void) evloop_del(d->loop, fd);
    return close(fd);
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *ud) {
    (void) ud;
    return connect(fd, sa, len);
}

static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                  struct sockaddr *from, ares_socklen_t *fromlen, void *ud) {
    (void) ud;
    return recvfrom(fd, buf, len, flags, from, fromlen);
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *ud) {
    (void) ud;
    return writev(fd, iov, n);
}

static const struct ares_socket_functions sock_funcs = {
        .asocket = sock_open,
        .aclose = sock_close,
        .aconnect = sock_connect,
        .arecvfrom = sock_recvfrom,
        .asendv = sock_sendv,
};

static void on_sock(evloop *loop, int fd, uint32_t events, void *userdata) {
    dns *d = userdata;
    ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

    (void) loop;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        rfd = fd;
    if (events & (EPOLLOUT | EPOLLERR))
        wfd = fd;
    ares_process_fd(d->ch, rfd, wfd);
    rearm(d);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable) {
    dns *d = data;
    uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

    if (events == 0) {
        (void) evloop_del(d->loop, fd);
        return;
    }
    if (evloop_mod(d->loop, fd, events) == -ENOENT &&
        evloop_add(d->loop, fd, events, on_sock, d) < 0) {
        /* Cannot watch the socket: its query will time out through the resolver timer. */
    }
}

/* ---- timer ----------------------------------------------------------------------------------- */

static void on_timer(evloop *loop, evloop_timer *t, void *userdata) {
    dns *d = userdata;

    (void) loop;
    (void) t;
    d->timer = NULL;
    ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm(d);
}

static void rearm(dns *d) {
    struct timeval tv, *tvp;
    uint64_t ms;

    if (d->freeing || !d->have_ch)
        return;
    if (d->timer) {
        evloop_timer_cancel(d->loop, d->timer);
        d->timer = NULL;
    }
    tvp = ares_timeout(d->ch, NULL, &tv);
    if (!tvp)
        return;
    ms = (uint64_t) tvp->tv_sec * 1000u + ((uint64_t) tvp->tv_usec + 999u) / 1000u;
    d->timer = evloop_timer_add(d->loop, ms, on_timer, d);
    /* On allocation failure the next socket event re-arms; queries stay bounded by the
     * callers' own deadlines. */
}

/* ---- queries --------------------------------------------------------------------------------- */

static void query_unlink_free(dns_query *q) {
    dns *d = q->d;

    if (q->prev)
        q->prev->next = q->next;
    else
        d->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
    d->pending--;
    free(q);
}

static void deliver(dns_query *q) {
    dns_cb cb = q->cb;
    void *ud = q->userdata;
    dns_result res = q->res;
    bool cancelled = q->cancelled;

    query_unlink_free(q);
    if (!cancelled && cb)
        cb(ud, &res);
}

static void on_deliver_timer(evloop *loop, evloop_timer *t, void *userdata) {
    dns_query *q = userdata;

    (void) loop;
    (void) t;
    q->timer = NULL;
    deliver(q);
}

static void add_addr(dns_result *res, const struct sockaddr *sa) {
    netpol_ip ip = {0};

    if (sa->sa_family == AF_INET) {
        ip.family = AF_INET;
        memcpy(ip.addr, &((const struct sockaddr_in *) sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        ip.family = AF_INET6;
        memcpy(ip.addr, &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
    } else {
        return;
    }
    for (size_t i = 0; i < res->naddrs; i++)
        if (res->addrs[i].family == ip.family && memcmp(res->addrs[i].addr, ip.addr, 16) == 0)
            return;
    if (res->naddrs < DNS_MAX_ADDRS)
        res->addrs[res->naddrs++] = ip;
}

static dns_status map_status(int status) {
    switch (status) {
    case ARES_SUCCESS:
        return DNS_OK;
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
    case ARES_EBADNAME:
        return DNS_NOTFOUND;
    case ARES_ETIMEOUT:
        return DNS_TIMEOUT;
    default:
        return DNS_FAILED;
    }
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai) {
    dns_query *q = arg;
    dns *d = q->d;

    (void) timeouts;
    q->res.status = map_status(status);
    if (ai) {
        for (struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next)
            if (n->ai_addr)
                add_addr(&q->res, n->ai_addr);
        ares_freeaddrinfo(ai);
    }
    if (q->res.status == DNS_OK && q->res.naddrs == 0)
        q->res.status = DNS_NOTFOUND;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || d->freeing) {
        query_unlink_free(q);
        return;
    }
    if (d->in_resolve && !q->cancelled) {
        q->done = true;
        q->timer = evloop_timer_add(d->loop, 0, on_deliver_timer, q);
        if (q->timer)
            return;
        /* cannot defer: dns_resolve() sees `done` without a timer and reports -ENOMEM */
        return;
    }
    deliver(q);
}

/* Creates the c-ares channel. Returns 0, -ENOMEM, or -EIO (c-ares refused its configuration). */
static int channel_open(dns *d) {
    struct ares_options o = {0};
    char lookups[] = "fb"; /* /etc/hosts first, then DNS */
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS;
    int r;

    o.timeout = (int) d->timeout_ms;
    o.tries = (int) d->tries;
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = d;
    o.lookups = lookups;
    r = ares_init_options(&d->ch, &o, mask);
    if (r != ARES_SUCCESS)
        return r == ARES_ENOMEM ? -ENOMEM : -EIO;
    ares_set_socket_functions(d->ch, &sock_funcs, d);
    if (d->servers) {
        r = ares_set_servers_ports_csv(d->ch, d->servers);
        if (r != ARES_SUCCESS) {
            ares_destroy(d->ch);
            return r == ARES_ENOMEM ? -ENOMEM : -EIO;
        }
    }
    d->have_ch = true;
    return 0;
}

int dns_resolve(dns *d, const char *name, dns_cb cb, void *userdata, dns_query **ret_q) {
    struct ares_addrinfo_hints hints = {
            .ai_family = AF_UNSPEC,
            .ai_socktype = SOCK_STREAM,
            /* No RFC 6724 sorting: c-ares would probe with sockets of its own (not CLOEXEC). */
            .ai_flags = ARES_AI_NOSORT,
    };
    dns_query *q;
    int r = 0;

    if (!d->have_ch) {
        r = channel_open(d);
        if (r == -ENOMEM)
            return r;
    }
    q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    *q = (dns_query){.d = d, .cb = cb, .userdata = userdata, .next = d->queries};
    if (d->queries)
        d->queries->prev = q;
    d->queries = q;
    d->pending++;
    if (r < 0) {
        /* no resolver at all (c-ares refused its configuration): this lookup fails, the next
         * one tries again */
        q->res.status = DNS_FAILED;
        q->done = true;
        q->timer = evloop_timer_add(d->loop, 0, on_deliver_timer, q);
        if (!q->timer) {
            query_unlink_free(q);
            return -ENOMEM;
        }
        *ret_q = q;
        return 0;
    }
    d->in_resolve = true;
    ares_getaddrinfo(d->ch, name, NULL, &hints, on_addrinfo, q);
    d->in_resolve = false;
    /* q may be gone here only if c-ares completed it with EDESTRUCTION, which cannot happen
     * outside dns_free(); a synchronous completion left it `done` (with a delivery timer). */
    if (q->done && !q->timer) {
        query_unlink_free(q);
        return -ENOMEM;
    }
    rearm(d);
    *ret_q = q;
    return 0;
}

void dns_cancel(dns *d, dns_query *q) {
    (void) d;
    if (!q)
        return;
    if (q->done) {
        if (q->timer)
            evloop_timer_cancel(q->d->loop, q->timer);
        query_unlink_free(q);
        return;
    }
    /* c-ares cannot cancel a single query: it completes (or times out) later and is freed
     * then, without calling anybody. */
    q->cancelled = true;
    q->cb = NULL;
    q->userdata = NULL;
}

size_t dns_pending(const dns *d) {
    return d ? d->pending : 0;
}

/* ---- lifetime -------------------------------------------------------------------------------- */

/* A server list c-ares would refuse later is refused now, when the caller can report it. */
static bool servers_valid(const char *csv) {
    struct ares_addr_port_node *list = NULL;
    ares_channel ch;
    bool ok;

    if (ares_init_options(&ch, &(struct ares_options){.flags = ARES_FLAG_NOSEARCH},
                          ARES_OPT_FLAGS) != ARES_SUCCESS)
        return true; /* cannot check here; the lookup will report it */
    ok = ares_set_servers_ports_csv(ch, csv) == ARES_SUCCESS &&
         ares_get_servers_ports(ch, &list) == ARES_SUCCESS && list;
    ares_free_data(list);
    ares_destroy(ch);
    return ok;
}

int dns_new(evloop *loop, const dns_options *opts, dns **ret, fence_error *err) {
    dns *d;

    d = calloc(1, sizeof(*d));
    if (!d)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating resolver");
    d->loop = loop;
    d->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : DNS_TIMEOUT_MS;
    d->tries = opts && opts->tries ? opts->tries : DNS_TRIES;
    if (opts && opts->servers && *opts->servers) {
        if (strlen(opts->servers) > DNS_SERVERS_MAX || !servers_valid(opts->servers)) {
            int e = fence_error_set(err, FENCE_E_PROXY, 0,
                                    "DNS server list '%.200s' is not valid "
                                    "(expected ip:port,[ip6]:port,...)",
                                    opts->servers);
            free(d);
            return e;
        }
        d->servers = strdup(opts->servers);
        if (!d->servers) {
            free(d);
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating resolver");
        }
    }
    *ret = d;
    return 0;
}

void dns_free(dns *d) {
    if (!d)
        return;
    d->freeing = true;
    if (d->timer)
        evloop_timer_cancel(d->loop, d->timer);
    /* queries whose result waits for delivery are no longer known to c-ares */
    for (dns_query *q = d->queries, *next; q; q = next) {
        next = q->next;
        if (q->done) {
            if (q->timer)
                evloop_timer_cancel(d->loop, q->timer);
            query_unlink_free(q);
        }
    }
    if (d->have_ch)
        ares_destroy(d->ch); /* completes the rest with ARES_EDESTRUCTION, freeing them */
    free(d->servers);
    free(d);
}
