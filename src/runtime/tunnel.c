/* SPDX-License-Identifier: MIT */
/*
 * tunnel: bidirectional relay with half-close, backpressure and copy/splice modes; see
 * tunnel.h.
 *
 * Each socket is registered once, edge-triggered, for input and output. The tunnel caches
 * "readable"/"writable" per socket, sets them when epoll reports an edge and clears them when
 * an operation returns EAGAIN, so every byte that arrives gets an edge and no epoll_ctl call is
 * needed while data flows. One case is ambiguous: splice(2) from a socket into a pipe returns
 * EAGAIN both when the socket is empty and when the pipe has no free slot (a pipe holds a fixed
 * number of page-sized buffers, however small the pieces in them are). The readable flag is only
 * cleared when that happens with an empty pipe; otherwise the next drain of the pipe retries.
 *
 * A direction that has carried TUNNEL_BULK_AFTER bytes is bulk, and its destination socket is
 * tuned once for it (tune_bulk): the congestion control of a socket whose peer is on this host.
 */
#include "runtime/tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

typedef struct tend {
    int fd;
    bool readable;
    bool writable;
} tend;

typedef struct tdir {
    tend *in, *out;
    /* copy mode */
    char *buf;
    size_t off, len, cap;
    /* splice mode */
    int pipe[2];
    size_t inpipe;
    size_t pipe_cap;
    bool spliced;
    bool no_splice; /* creating the pipe failed once: stay in copy mode */
    bool eof;       /* the source finished its stream */
    bool shut;      /* we shut down writing towards the destination */
    bool bulk;      /* carried TUNNEL_BULK_AFTER bytes; the destination socket is tuned */
    uint64_t total; /* bytes delivered to the destination */
} tdir;

struct tunnel {
    evloop *loop;
    tend end[2];
    tdir dir[2]; /* dir[0]: a -> b, dir[1]: b -> a */
    int64_t splice_after;
    uint64_t idle_ms;
    membudget *mem, *fds;
    uint64_t last_activity;
    evloop_timer *idle_timer;
    evloop_timer *yield_timer;
    bool finished;
    tunnel_done_fn done;
    void *userdata;
};

static void tunnel_run(tunnel *t);

static bool again(int e) {
    return e == EAGAIN || e == EWOULDBLOCK;
}

/* splice(2) into a socket raises SIGPIPE when the peer has gone (it has no MSG_NOSIGNAL), so
 * splice mode is only used when the process ignores or blocks SIGPIPE. Reading the disposition
 * changes nothing. */
static bool sigpipe_safe(void) {
    struct sigaction sa;
    sigset_t cur;

    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
        return true;
    return pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGPIPE) == 1;
}

/* Copy buffers are charged to the memory budget while they exist, pipes to the fd pool. */
static int buf_alloc(tunnel *t, tdir *d) {
    if (membudget_charge(t->mem, d->cap, NULL) < 0)
        return -ENOMEM;
    d->buf = malloc(d->cap);
    if (!d->buf) {
        membudget_uncharge(t->mem, d->cap);
        return -ENOMEM;
    }
    return 0;
}

static void buf_free(tunnel *t, tdir *d) {
    if (!d->buf)
        return;
    free(d->buf);
    membudget_uncharge(t->mem, d->cap);
    d->buf = NULL;
    d->off = d->len = 0;
    d->cap = TUNNEL_COPY_BUF;
}

static void dir_release(tunnel *t, tdir *d) {
    buf_free(t, d);
    if (d->pipe[0] >= 0)
        membudget_uncharge(t->fds, 2);
    d->pipe[0] = safe_close(d->pipe[0]);
    d->pipe[1] = safe_close(d->pipe[1]);
}

static void finish(tunnel *t, tunnel_end how) {
    tunnel_stats st;

    if (t->finished)
        return;
    t->finished = true;
    tunnel_get_stats(t, &st);
    for (int i = 0; i < 2; i++) {
        (void) evloop_del(t->loop, t->end[i].fd);
        t->end[i].fd = safe_close(t->end[i].fd);
        dir_release(t, &t->dir[i]);
    }
    if (t->idle_timer)
        evloop_timer_cancel(t->loop, t->idle_timer);
    if (t->yield_timer)
        evloop_timer_cancel(t->loop, t->yield_timer);
    t->idle_timer = t->yield_timer = NULL;
    if (t->done)
        t->done(t->userdata, how, &st);
    if (evloop_defer(t->loop, free, t) < 0) {
        /* cannot defer the free: leak the (inert) tunnel rather than risk a use after free */
    }
}

/* Whether a copy-mode direction has carried enough to switch to splice: it then stops reading
 * until its buffer is empty (otherwise a steady stream would always refill it first). */
static bool splice_due(const tunnel *t, const tdir *d) {
    return !d->spliced && !d->no_splice && t->splice_after >= 0 &&
           d->total >= (uint64_t) t->splice_after;
}

/* Switches an empty copy-mode direction to splice when it is due, or at once when `now` (its
 * buffer could not be charged to the memory budget: a pipe costs no user memory). Returns
 * whether the direction is spliced. */
static bool try_splice_mode(tunnel *t, tdir *d, bool now) {
    int p[2];
    int sz;

    if (d->spliced || d->no_splice || t->splice_after < 0 || d->len > 0 ||
        !(now || splice_due(t, d)))
        return d->spliced;
    if (!sigpipe_safe() || membudget_charge(t->fds, 2, NULL) < 0) {
        d->no_splice = true;
        return false;
    }
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        membudget_uncharge(t->fds, 2);
        d->no_splice = true;
        return false;
    }
    /* A bigger pipe means fewer system calls per megabyte. Unprivileged users over
     * fs.pipe-user-pages-soft get EPERM here and keep the default size, which still works. */
    (void) fcntl(p[1], F_SETPIPE_SZ, TUNNEL_PIPE_SIZE);
    sz = fcntl(p[1], F_GETPIPE_SZ);
    d->pipe[0] = p[0];
    d->pipe[1] = p[1];
    d->pipe_cap = sz > 0 ? (size_t) sz : 65536;
    d->spliced = true;
    buf_free(t, d);
    return true;
}

static void shut_if_drained(tdir *d) {
    size_t pending = d->spliced ? d->inpipe : d->len;

    if (d->eof && pending == 0 && !d->shut) {
        /* ENOTCONN when the peer is already gone: nothing left to tell it */
        (void) shutdown(d->out->fd, SHUT_WR);
        d->shut = true;
    }
}

/* One step of copy mode. Returns bytes delivered (>= 0) or -errno; *progress tells whether
 * anything happened. */
static ssize_t copy_step(tunnel *t, tdir *d, bool *progress) {
    ssize_t moved = 0, n;

    if (d->len > 0 && d->out->writable) {
        n = send(d->out->fd, d->buf + d->off, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            d->off += (size_t) n;
            d->len -= (size_t) n;
            if (d->len == 0)
                d->off = 0;
            moved = n;
            *progress = true;
        } else if (n < 0 && again(errno)) {
            d->out->writable = false;
        } else if (n < 0) {
            return -errno;
        }
    }
    if (d->len == 0 && d->buf && d->cap != TUNNEL_COPY_BUF)
        buf_free(t, d); /* a preloaded buffer of another size: read into a standard one */
    if (d->off > 0 && d->off + d->len == d->cap) {
        memmove(d->buf, d->buf + d->off, d->len);
        d->off = 0;
    }
    if (!d->eof && d->in->readable && (!d->buf || d->off + d->len < d->cap) && !splice_due(t, d)) {
        if (!d->buf && buf_alloc(t, d) < 0) {
            if (!try_splice_mode(t, d, true))
                return -ENOMEM;
            *progress = true; /* the next step splices */
            return moved;
        }
        n = recv(d->in->fd, d->buf + d->off + d->len, d->cap - d->off - d->len, MSG_DONTWAIT);
        if (n > 0) {
            d->len += (size_t) n;
            *progress = true;
        } else if (n == 0) {
            d->eof = true;
            *progress = true;
        } else if (again(errno)) {
            d->in->readable = false;
        } else {
            return -errno;
        }
    }
    return moved;
}

static ssize_t splice_step(tunnel *t, tdir *d, bool *progress) {
    ssize_t moved = 0, n;

    (void) t;
    if (d->inpipe > 0 && d->out->writable) {
        n = splice(d->pipe[0], NULL, d->out->fd, NULL, d->inpipe,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            d->inpipe -= (size_t) n;
            moved = n;
            *progress = true;
        } else if (n < 0 && again(errno)) {
            d->out->writable = false;
        } else if (n < 0) {
            return -errno;
        }
    }
    if (!d->eof && d->in->readable && d->inpipe < d->pipe_cap) {
        n = splice(d->in->fd, NULL, d->pipe[1], NULL, d->pipe_cap - d->inpipe,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            d->inpipe += (size_t) n;
            *progress = true;
        } else if (n == 0) {
            d->eof = true;
            *progress = true;
        } else if (again(errno)) {
            if (d->inpipe == 0)
                d->in->readable = false; /* otherwise ambiguous: see the file comment */
        } else {
            return -errno;
        }
    }
    return moved;
}

/* Whether fd's peer is on this host: a loopback address (IPv4 127/8, ::1, ::ffff:127/8). */
static bool peer_is_loopback(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getpeername(fd, (struct sockaddr *) &ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_INET)
        return ntohl(((const struct sockaddr_in *) &ss)->sin_addr.s_addr) >> 24 == 127;
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) &ss)->sin6_addr;

        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Once per direction, when it turns bulk. A tunnel leg whose peer is on this host (the sandbox's
 * side always is: its listeners live on the sandbox's loopback; the far side when the target is
 * a local service) crosses no network, so congestion control has nothing to do there, but the
 * system's default one may still cost a lot: bbr, a common default, paces every flow, and on
 * loopback its pacing timers and model updates cost several times the rest of the TCP path
 * (bench/proxy-bench: the proxy's CPU per GiB halves and the tunnel's throughput doubles). Such a
 * leg sends with TUNNEL_LOCAL_CC instead: no pacing, and a window that never limits a loopback
 * flow. Legs that leave the host keep the system's choice, and small exchanges (most
 * connections of a build) are never touched. Best effort: where the administrator left reno out
 * of net.ipv4.tcp_allowed_congestion_control the call fails with EPERM and nothing changes. */
static void tune_bulk(tdir *d) {
    if (peer_is_loopback(d->out->fd))
        (void) setsockopt(d->out->fd, IPPROTO_TCP, TCP_CONGESTION, TUNNEL_LOCAL_CC,
                          sizeof(TUNNEL_LOCAL_CC) - 1);
}

/* Moves data in one direction until nothing more can happen now. Returns 0 when waiting for
 * events, 1 when the budget ran out with work left, or -errno. */
static int pump(tunnel *t, tdir *d) {
    uint64_t budget = 0;

    for (;;) {
        bool progress = false;
        ssize_t moved;

        (void) try_splice_mode(t, d, false);
        moved = d->spliced ? splice_step(t, d, &progress) : copy_step(t, d, &progress);
        if (moved < 0)
            return (int) moved;
        d->total += (uint64_t) moved;
        budget += (uint64_t) moved;
        if (!d->bulk && d->total >= TUNNEL_BULK_AFTER) {
            d->bulk = true;
            tune_bulk(d);
        }
        shut_if_drained(d);
        if (!progress) {
            if (d->len == 0)
                buf_free(t, d); /* waiting with nothing queued: hold no memory */
            return 0;
        }
        t->last_activity = evloop_now(t->loop);
        if (budget >= TUNNEL_BUDGET)
            return 1;
    }
}

static void on_yield(evloop *loop, evloop_timer *timer, void *userdata) {
    tunnel *t = userdata;

    (void) loop;
    (void) timer;
    t->yield_timer = NULL;
    tunnel_run(t);
}

static void tunnel_run(tunnel *t) {
    bool more = false;

    for (int i = 0; i < 2 && !t->finished; i++) {
        int r = pump(t, &t->dir[i]);

        if (r < 0) {
            finish(t, TUNNEL_END_ERROR);
            return;
        }
        more |= r > 0;
    }
    if (t->finished)
        return;
    if (t->dir[0].shut && t->dir[1].shut) {
        finish(t, TUNNEL_END_CLOSED);
        return;
    }
    if (more && !t->yield_timer) {
        t->yield_timer = evloop_timer_add(t->loop, 0, on_yield, t);
        if (!t->yield_timer)
            finish(t, TUNNEL_END_ERROR); /* cannot guarantee progress without it */
    }
}

static void on_fd(evloop *loop, int fd, uint32_t events, void *userdata) {
    tunnel *t = userdata;
    tend *e = fd == t->end[0].fd ? &t->end[0] : &t->end[1];

    (void) loop;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        e->readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        e->writable = true;
    if (!t->yield_timer) /* a pending yield will run everything anyway */
        tunnel_run(t);
}

static void on_idle(evloop *loop, evloop_timer *timer, void *userdata) {
    tunnel *t = userdata;
    uint64_t now = evloop_now(loop), due = t->last_activity + t->idle_ms;

    (void) timer;
    t->idle_timer = NULL;
    if (now >= due) {
        finish(t, TUNNEL_END_IDLE);
        return;
    }
    t->idle_timer = evloop_timer_add(loop, due - now, on_idle, t);
    if (!t->idle_timer)
        finish(t, TUNNEL_END_ERROR);
}

static int dir_preload(tunnel *t, tdir *d, const void *data, size_t n) {
    if (n == 0)
        return 0;
    d->cap = n; /* exactly: copy_step replaces it with a standard buffer once it is sent */
    if (buf_alloc(t, d) < 0)
        return -ENOMEM;
    memcpy(d->buf, data, n);
    d->len = n;
    return 0;
}

int tunnel_new(evloop *loop, int fd_a, int fd_b, const void *to_b, size_t to_b_len,
               const void *to_a, size_t to_a_len, const tunnel_options *opts, tunnel_done_fn done,
               void *userdata, tunnel **ret) {
    tunnel *t = calloc(1, sizeof(*t));
    int r;

    if (!t)
        return -ENOMEM;
    t->loop = loop;
    t->end[0] = (tend){.fd = fd_a, .readable = true, .writable = true};
    t->end[1] = (tend){.fd = fd_b, .readable = true, .writable = true};
    for (int i = 0; i < 2; i++)
        t->dir[i] = (tdir){
                .in = &t->end[i], .out = &t->end[1 - i], .cap = TUNNEL_COPY_BUF, .pipe = {-1, -1}};
    t->splice_after = opts && opts->splice_after ? opts->splice_after : TUNNEL_SPLICE_AFTER;
    t->idle_ms = opts ? opts->idle_ms : 0;
    t->mem = opts ? opts->mem : NULL;
    t->fds = opts ? opts->fds : NULL;
    t->last_activity = evloop_now(loop);
    t->done = done;
    t->userdata = userdata;
    r = dir_preload(t, &t->dir[0], to_b, to_b_len);
    if (r == 0)
        r = dir_preload(t, &t->dir[1], to_a, to_a_len);
    if (r == 0 && t->idle_ms > 0) {
        t->idle_timer = evloop_timer_add(loop, t->idle_ms, on_idle, t);
        if (!t->idle_timer)
            r = -ENOMEM;
    }
    /* The first run (preloaded bytes, data that arrived before registration) happens from the
     * loop, never inside the caller. */
    if (r == 0) {
        t->yield_timer = evloop_timer_add(loop, 0, on_yield, t);
        if (!t->yield_timer)
            r = -ENOMEM;
    }
    if (r == 0)
        r = evloop_add(loop, fd_a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, on_fd, t);
    if (r == 0) {
        r = evloop_add(loop, fd_b, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, on_fd, t);
        if (r < 0)
            (void) evloop_del(loop, fd_a);
    }
    if (r < 0) {
        if (t->idle_timer)
            evloop_timer_cancel(loop, t->idle_timer);
        if (t->yield_timer)
            evloop_timer_cancel(loop, t->yield_timer);
        buf_free(t, &t->dir[0]);
        buf_free(t, &t->dir[1]);
        free(t);
        return r;
    }
    if (ret)
        *ret = t;
    return 0;
}

void tunnel_abort(tunnel *t) {
    if (t)
        finish(t, TUNNEL_END_ABORTED);
}

void tunnel_get_stats(const tunnel *t, tunnel_stats *ret) {
    *ret = (tunnel_stats){
            .bytes_ab = t->dir[0].total,
            .bytes_ba = t->dir[1].total,
            .spliced = (unsigned) t->dir[0].spliced + (unsigned) t->dir[1].spliced,
    };
}
