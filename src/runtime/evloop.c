/* SPDX-License-Identifier: MIT */
/*
 * evloop: epoll event loop with one-shot timers (binary heap) and deferred frees. See evloop.h.
 *
 * Each registered fd has a heap-allocated `reg` whose pointer is the epoll user data. evloop_del
 * marks the reg dead and defers its free to the end of the iteration, so events for it that
 * epoll_wait already returned in the same batch are recognised and skipped instead of reaching
 * a callback whose state may be gone (or a new fd that reused the number).
 */
#include "runtime/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define EVLOOP_BATCH 64

typedef struct reg {
    int fd;
    bool dead;
    evloop_fd_cb cb;
    void *userdata;
} reg;

struct evloop_timer {
    uint64_t due;
    uint64_t seq; /* ties broken by insertion order */
    size_t index; /* position in the heap */
    evloop_timer_cb cb;
    void *userdata;
};

typedef struct deferred {
    evloop_free_fn fn;
    void *p;
} deferred;

struct evloop {
    int epfd;
    uint64_t now;
    bool quit;
    int quit_code;

    reg **regs; /* indexed by fd; NULL = not registered */
    size_t nregs;
    size_t count;

    evloop_timer **heap;
    size_t nheap, capheap;
    uint64_t seq;

    deferred *defer;
    size_t ndefer, capdefer;
};

static uint64_t monotonic_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

int evloop_new(evloop **ret) {
    evloop *loop = calloc(1, sizeof(*loop));

    if (!loop)
        return -ENOMEM;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        int r = -errno;
        free(loop);
        return r;
    }
    loop->now = monotonic_ms();
    *ret = loop;
    return 0;
}

static void run_deferred(evloop *loop) {
    /* A deferred function may defer more work; loop until the queue stays empty. */
    while (loop->ndefer > 0) {
        size_t n = loop->ndefer;
        deferred *batch = loop->defer;

        loop->defer = NULL;
        loop->ndefer = loop->capdefer = 0;
        for (size_t i = 0; i < n; i++)
            batch[i].fn(batch[i].p);
        free(batch);
    }
}

void evloop_free(evloop *loop) {
    if (!loop)
        return;
    run_deferred(loop);
    for (size_t i = 0; i < loop->nregs; i++)
        free(loop->regs[i]);
    for (size_t i = 0; i < loop->nheap; i++)
        free(loop->heap[i]);
    free(loop->regs);
    free(loop->heap);
    safe_close(loop->epfd);
    free(loop);
}

int evloop_defer(evloop *loop, evloop_free_fn fn, void *p) {
    if (loop->ndefer == loop->capdefer) {
        size_t cap = loop->capdefer ? loop->capdefer * 2 : 16;
        deferred *d = realloc(loop->defer, cap * sizeof(*d));

        if (!d)
            return -ENOMEM;
        loop->defer = d;
        loop->capdefer = cap;
    }
    loop->defer[loop->ndefer++] = (deferred){fn, p};
    return 0;
}

int evloop_add(evloop *loop, int fd, uint32_t events, evloop_fd_cb cb, void *userdata) {
    struct epoll_event ev = {.events = events};
    reg *r;

    if (fd < 0 || !cb)
        return -EINVAL;
    if ((size_t) fd >= loop->nregs) {
        size_t n = loop->nregs ? loop->nregs : 64;
        reg **v;

        while (n <= (size_t) fd)
            n *= 2;
        v = realloc(loop->regs, n * sizeof(*v));
        if (!v)
            return -ENOMEM;
        memset(v + loop->nregs, 0, (n - loop->nregs) * sizeof(*v));
        loop->regs = v;
        loop->nregs = n;
    }
    if (loop->regs[fd])
        return -EEXIST;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    *r = (reg){.fd = fd, .cb = cb, .userdata = userdata};
    ev.data.ptr = r;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = -errno;
        free(r);
        return e;
    }
    loop->regs[fd] = r;
    loop->count++;
    return 0;
}

int evloop_mod(evloop *loop, int fd, uint32_t events) {
    struct epoll_event ev = {.events = events};

    if (fd < 0 || (size_t) fd >= loop->nregs || !loop->regs[fd])
        return -ENOENT;
    ev.data.ptr = loop->regs[fd];
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return -errno;
    return 0;
}

int evloop_del(evloop *loop, int fd) {
    reg *r;

    if (fd < 0 || (size_t) fd >= loop->nregs || !loop->regs[fd])
        return -ENOENT;
    r = loop->regs[fd];
    loop->regs[fd] = NULL;
    loop->count--;
    /* EBADF/ENOENT are fine: the fd may already be closed, which removed it from the set. */
    (void) epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    r->dead = true;
    if (evloop_defer(loop, free, r) < 0) {
        /* Cannot defer: keep the reg (leaked until exit) rather than risk a use after free. */
    }
    return 0;
}

/* ---- timers: binary min-heap on (due, seq) ------------------------------------------------ */

static bool timer_less(const evloop_timer *a, const evloop_timer *b) {
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_swap(evloop *loop, size_t i, size_t j) {
    evloop_timer *t = loop->heap[i];

    loop->heap[i] = loop->heap[j];
    loop->heap[j] = t;
    loop->heap[i]->index = i;
    loop->heap[j]->index = j;
}

static void heap_up(evloop *loop, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;

        if (!timer_less(loop->heap[i], loop->heap[p]))
            break;
        heap_swap(loop, i, p);
        i = p;
    }
}

static void heap_down(evloop *loop, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < loop->nheap && timer_less(loop->heap[l], loop->heap[m]))
            m = l;
        if (r < loop->nheap && timer_less(loop->heap[r], loop->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(loop, i, m);
        i = m;
    }
}

static void heap_remove(evloop *loop, size_t i) {
    loop->nheap--;
    if (i != loop->nheap) {
        loop->heap[i] = loop->heap[loop->nheap];
        loop->heap[i]->index = i;
        heap_down(loop, i);
        heap_up(loop, i);
    }
}

evloop_timer *evloop_timer_add(evloop *loop, uint64_t ms, evloop_timer_cb cb, void *userdata) {
    evloop_timer *t;

    if (loop->nheap == loop->capheap) {
        size_t cap = loop->capheap ? loop->capheap * 2 : 16;
        evloop_timer **h = realloc(loop->heap, cap * sizeof(*h));

        if (!h)
            return NULL;
        loop->heap = h;
        loop->capheap = cap;
    }
    t = malloc(sizeof(*t));
    if (!t)
        return NULL;
    *t = (evloop_timer){
        .due = monotonic_ms() + ms, .seq = loop->seq++, .cb = cb, .userdata = userdata};
    t->index = loop->nheap;
    loop->heap[loop->nheap++] = t;
    heap_up(loop, t->index);
    return t;
}

void evloop_timer_cancel(evloop *loop, evloop_timer *t) {
    if (!t)
        return;
    heap_remove(loop, t->index);
    free(t);
}

static int next_timeout(evloop *loop, int timeout_ms) {
    uint64_t now, due;
    int t;

    if (loop->nheap == 0)
        return timeout_ms;
    now = monotonic_ms();
    due = loop->heap[0]->due;
    t = due <= now ? 0 : (due - now > 86400000u ? 86400000 : (int) (due - now));
    if (timeout_ms >= 0 && timeout_ms < t)
        t = timeout_ms;
    return t;
}

static void fire_timers(evloop *loop) {
    while (loop->nheap > 0 && loop->heap[0]->due <= loop->now) {
        evloop_timer *t = loop->heap[0];

        heap_remove(loop, 0);
        t->cb(loop, t, t->userdata);
        free(t);
    }
}

int evloop_run_once(evloop *loop, int timeout_ms) {
    struct epoll_event evs[EVLOOP_BATCH];
    int n;

    n = epoll_wait(loop->epfd, evs, EVLOOP_BATCH, next_timeout(loop, timeout_ms));
    if (n < 0 && errno != EINTR)
        return -errno;
    loop->now = monotonic_ms();
    for (int i = 0; i < n; i++) {
        reg *r = evs[i].data.ptr;

        if (r->dead)
            continue;
        r->cb(loop, r->fd, evs[i].events, r->userdata);
    }
    fire_timers(loop);
    run_deferred(loop);
    return 0;
}

int evloop_run(evloop *loop) {
    loop->quit = false;
    while (!loop->quit) {
        int r = evloop_run_once(loop, -1);

        if (r < 0)
            return r;
    }
    return loop->quit_code;
}

void evloop_quit(evloop *loop, int code) {
    loop->quit = true;
    loop->quit_code = code;
}

bool evloop_quitting(const evloop *loop) {
    return loop->quit;
}

uint64_t evloop_now(const evloop *loop) {
    return loop->now;
}

int evloop_fd(const evloop *loop) {
    return loop->epfd;
}

size_t evloop_count(const evloop *loop) {
    return loop->count;
}
