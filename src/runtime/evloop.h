/* SPDX-License-Identifier: MIT */
/*
 * evloop: the supervisor's single epoll event loop (STYLE.md §8). It serves the proxies, the
 * seccomp notification listener, the child's pidfd, signals (signalfd) and the terminal relay.
 *
 * Rules:
 *  - All fds registered are non-blocking; the loop never blocks except in epoll_wait.
 *  - Callbacks have the form cb(loop, fd, events, userdata).
 *  - evloop_del() may be called from any callback, for any fd: later events already fetched for
 *    that registration in the same iteration are dropped. Objects owned by a callback's userdata
 *    must not be freed inside the callback; hand them to evloop_defer() instead, which runs the
 *    free function after the current iteration.
 *  - Timers are one-shot, in milliseconds of CLOCK_MONOTONIC; evloop_now() is the time cached at
 *    the start of the iteration.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

typedef struct evloop evloop;
typedef struct evloop_timer evloop_timer;

typedef void (*evloop_fd_cb)(evloop *loop, int fd, uint32_t events, void *userdata);
typedef void (*evloop_timer_cb)(evloop *loop, evloop_timer *t, void *userdata);
typedef void (*evloop_free_fn)(void *p);

/* Returns 0 or -errno. Free with evloop_free(). */
int evloop_new(evloop **ret);
/* Runs pending deferred frees, cancels timers; does not close registered fds. NULL is fine. */
void evloop_free(evloop *loop);

/* Registers fd for events (EPOLLIN, EPOLLOUT, EPOLLRDHUP...). -EEXIST if already registered. */
int evloop_add(evloop *loop, int fd, uint32_t events, evloop_fd_cb cb, void *userdata);
/* Changes the event mask of a registered fd. */
int evloop_mod(evloop *loop, int fd, uint32_t events);
/* Unregisters fd (does not close it). -ENOENT if not registered. */
int evloop_del(evloop *loop, int fd);

/* One-shot timer firing after `ms` milliseconds. NULL on allocation failure. The timer is freed
 * by the loop after it fires or when cancelled; do not use the pointer after either. */
evloop_timer *evloop_timer_add(evloop *loop, uint64_t ms, evloop_timer_cb cb, void *userdata);
void evloop_timer_cancel(evloop *loop, evloop_timer *t);

/* Calls fn(p) after the current iteration (or at evloop_free). Returns 0 or -ENOMEM; on
 * -ENOMEM nothing is called, so the caller must keep p reachable. */
int evloop_defer(evloop *loop, evloop_free_fn fn, void *p);

/* Waits at most timeout_ms (-1 = until an event or timer) and dispatches one batch.
 * Returns 0, or -errno on an epoll failure. */
int evloop_run_once(evloop *loop, int timeout_ms);
/* Runs until evloop_quit(); returns the code given to evloop_quit(), or -errno. */
int evloop_run(evloop *loop);
void evloop_quit(evloop *loop, int code);
bool evloop_quitting(const evloop *loop);

/* Monotonic milliseconds at the start of the current iteration. */
uint64_t evloop_now(const evloop *loop);
/* The epoll fd, for embedding the loop in another loop (readable when work is pending). */
int evloop_fd(const evloop *loop);
/* Number of registered fds (used by tests to check that closed connections are released). */
size_t evloop_count(const evloop *loop);
