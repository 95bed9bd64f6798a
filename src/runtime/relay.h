/* SPDX-License-Identifier: MIT */
/*
 * relay: plain TCP forwarding between the host and the sandbox, on the supervisor's evloop.
 *
 * Each route is a listening socket and one or two target addresses. Every accepted connection
 * gets a new socket connected to the first target that answers, then a tunnel (tunnel.h: both
 * directions, half-close, backpressure, splice for bulk transfers). Two directions use it:
 *
 *  - allowLocalOutboundPorts: the listener was made inside the sandbox's network namespace
 *    (127.0.0.1:PORT and [::1]:PORT); the target is the same address and port on the host's
 *    loopback, reached with an ordinary socket of the supervisor.
 *  - `-p` inbound: the listener is on the host (ADDR:PORT as the user asked); the target is
 *    PORT on the sandbox's loopback, reached with a socket made inside the sandbox's namespace
 *    by the nsfactory helper (route.in_sandbox).
 *
 * No policy is involved: routes are what the user configured. Limits: RELAY_MAX_CONNS
 * connections at a time (beyond: closed at once), a connect deadline, an idle timeout.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fence/fence.h"
#include "runtime/evloop.h"
#include "runtime/nsfactory.h"
#include "runtime/rlog.h"

typedef struct relay relay;

#define RELAY_MAX_CONNS          4096
#define RELAY_MAX_ROUTES         96
#define RELAY_CONNECT_TIMEOUT_MS 10000
#define RELAY_IDLE_TIMEOUT_MS    3600000 /* as the proxy's tunnels */

typedef struct relay_route {
    char label[96]; /* for log lines: "inbound 0.0.0.0:8080", "local outbound 127.0.0.1:5432" */
    struct sockaddr_storage target[2];
    size_t n_targets; /* 1 or 2, tried in order */
    bool in_sandbox;  /* target sockets come from the nsfactory */
} relay_route;

typedef struct relay_stats {
    uint64_t accepted;
    uint64_t refused; /* over RELAY_MAX_CONNS */
    uint64_t failed;  /* no target answered */
    uint64_t active;
    uint64_t tunnels_total;
} relay_stats;

/* log is borrowed and must outlive the relay. Returns 0 or -ENOMEM. */
int relay_new(evloop *loop, const rlog *log, relay **ret);
/* Where in_sandbox routes get their sockets (borrowed; must outlive the relay's use of it). */
void relay_set_factory(relay *r, nsfactory *f);
/* Adds a route; the relay owns listen_fd from then on (also on failure). It is registered when
 * the relay is started (at once if it already is). Errors: -FENCE_E_PROXY, -FENCE_E_STATE. */
int relay_add(relay *r, int listen_fd, const relay_route *route, fence_error *err);
/* Starts accepting on every route. */
int relay_start(relay *r, fence_error *err);
/* Closes the listeners and every connection. NULL is fine. Not from inside its callbacks. */
void relay_free(relay *r);
void relay_get_stats(const relay *r, relay_stats *ret);
