/* SPDX-License-Identifier: MIT */
/*
 * tunnel: a bidirectional byte relay between two connected, non-blocking stream sockets, on the
 * evloop. Used for CONNECT tunnels, SOCKS5 connections and upgraded (websocket) HTTP
 * connections.
 *
 * - Half-close: when one side ends its stream (EOF), the relay finishes sending what it holds
 *   and then shuts down the write side towards the other peer; the tunnel ends when both
 *   directions have ended, or at the first error (then both sockets are closed).
 * - Backpressure: a direction reads from its source only while it has room, so a slow reader
 *   slows the writer down through TCP instead of growing memory.
 * - Two relay modes per direction. Copy mode moves data through a small user-space buffer,
 *   allocated on first use and freed whenever it is empty and the direction waits (charged to
 *   an optional memory budget; when the budget refuses it, the direction splices at once). Once a
 * direction has carried TUNNEL_SPLICE_AFTER bytes it switches (when its buffer is empty) to
 * splice(2) through a pipe, which moves pages without copying them through user space: bulk
 * transfers run near the loopback limit while the many small connections of a build cost neither
 * pipe fds nor pipe memory.
 * - Edge-triggered registration with cached readiness, so the loop makes no epoll_ctl calls
 *   while data flows; a direction that used up its per-callback budget yields to other
 *   connections through a zero-delay timer instead of starving them.
 * - Idle timeout: no byte in either direction for idle_ms ends the tunnel.
 * - A direction that turns into a bulk transfer sends with a congestion control that does not
 *   pace when its peer is on this host (loopback legs cross no network; pacing there only costs
 *   CPU); legs that leave the host keep the system's choice.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/evloop.h"
#include "runtime/iobuf.h"

typedef struct tunnel tunnel;

#define TUNNEL_COPY_BUF     (32 * 1024)
#define TUNNEL_SPLICE_AFTER (256 * 1024)
#define TUNNEL_PIPE_SIZE    (1024 * 1024)
/* Bytes moved per direction in one callback before yielding to other connections. */
#define TUNNEL_BUDGET (4 * 1024 * 1024)
/* A direction that has carried this many bytes is a bulk transfer: the socket it sends on, when
 * its peer is on this host, switches to TUNNEL_LOCAL_CC (see tune_bulk in tunnel.c). */
#define TUNNEL_BULK_AFTER (256 * 1024)
#define TUNNEL_LOCAL_CC   "reno"

typedef struct tunnel_options {
    uint64_t idle_ms;     /* 0 = no idle timeout */
    int64_t splice_after; /* 0 = TUNNEL_SPLICE_AFTER; < 0 = never splice */
    membudget *mem;       /* copy buffers are charged here (NULL = unbounded) */
    membudget *fds;       /* each splice pipe charges 2 fds here; refused = stay in copy mode */
} tunnel_options;

typedef struct tunnel_stats {
    uint64_t bytes_ab; /* from a to b */
    uint64_t bytes_ba;
    unsigned spliced; /* directions that switched to splice */
} tunnel_stats;

/* Why a tunnel ended. */
typedef enum tunnel_end {
    TUNNEL_END_CLOSED = 0, /* both sides finished their streams */
    TUNNEL_END_ERROR,      /* a socket error (reset, ...) */
    TUNNEL_END_IDLE,       /* idle timeout */
    TUNNEL_END_ABORTED,    /* tunnel_abort() */
} tunnel_end;

/* Called once when the tunnel ends, after both sockets are closed. The tunnel is freed after
 * the callback (by the loop); do not use it afterwards. */
typedef void (*tunnel_done_fn)(void *userdata, tunnel_end how, const tunnel_stats *st);

/* Creates a tunnel between fd_a and fd_b and starts relaying. `to_b`/`to_a` are bytes already
 * received that must go out first (a request's pipelined bytes, the CONNECT reply); they are
 * copied. On success the tunnel owns both fds (the caller must have unregistered them from the
 * loop). On failure (-ENOMEM, or the error of registering an fd) nothing is owned or called.
 * *ret is optional (NULL = fire and forget). */
int tunnel_new(evloop *loop, int fd_a, int fd_b, const void *to_b, size_t to_b_len,
               const void *to_a, size_t to_a_len, const tunnel_options *opts, tunnel_done_fn done,
               void *userdata, tunnel **ret);

/* Ends the tunnel now: closes both sockets and calls done with TUNNEL_END_ABORTED. */
void tunnel_abort(tunnel *t);

void tunnel_get_stats(const tunnel *t, tunnel_stats *ret);
