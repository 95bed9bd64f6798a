/* SPDX-License-Identifier: MIT */
/*
 * proxy: fence's filtering HTTP proxy (CONNECT and absolute-form requests, spec §6.2, §6.4)
 * and SOCKS5 proxy (§6.3), both on the supervisor's evloop.
 *
 * The proxy does not create its listening sockets: it is handed them. In a run, the engine
 * creates them inside the sandbox's network namespace (127.0.0.1:3128 and :1080, and [::1]) and
 * passes them to the supervisor over SCM_RIGHTS, so a connection made in the sandbox lands
 * directly in this loop; tests and the benchmark driver hand it sockets bound on host loopback.
 * Listeners may be added before or after proxy_start(), e.g. when they arrive after the child
 * was cloned.
 *
 * Every destination goes through netpol (the rule is checked before anything is resolved) and
 * dial (the SSRF/rebinding guard, connect to the checked address). Log lines follow §6.7
 * through the rlog given at creation.
 *
 * Limits: at most max_conns connections at a time (client connections and established tunnels
 * each count once), fewer when the fd limit is lower: proxy_start() reads RLIMIT_NOFILE (the
 * caller raises the soft limit first, as netrun does), keeps PROXY_FD_RESERVE fds for the rest
 * of the supervisor (broker, exec supervisor, relays, DNS) and counts PROXY_FDS_PER_CONN per
 * connection; a tunnel splices only while the pool has room for its pipe (else it copies).
 * Beyond the cap new clients get "503 Service Unavailable" (HTTP) or are closed (SOCKS5).
 *
 * Memory: every parse buffer and tunnel copy buffer is charged to one budget (mem_budget,
 * PROXY_MEM_BUDGET by default) while it exists; buffers are allocated on first use and freed
 * when a connection waits with nothing queued. A buffer that would pass the budget first sheds
 * the connections waiting for a request head (oldest first: slow-header clients), then, if still
 * short, is refused: an HTTP client waiting for its head gets 503 and is closed, a connection in
 * an exchange is closed, a tunnel direction splices instead (no user memory) or ends. So the
 * supervisor's heap stays bounded however many slow clients the sandbox opens, and a normal
 * request still gets through. Every phase has a timeout (see proxy_options).
 *
 * The process must ignore or block SIGPIPE for the fast splice(2) relay path to be used (the
 * manager does); otherwise tunnels fall back to the copy path, which never raises it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fence/fence.h"
#include "runtime/evloop.h"
#include "runtime/rlog.h"

struct fence_config;

typedef struct proxy proxy;

typedef enum proxy_kind {
    PROXY_HTTP = 0,
    PROXY_SOCKS = 1,
} proxy_kind;

#define PROXY_MAX_CONNS              8192
#define PROXY_MEM_BUDGET             (64u << 20) /* bytes of connection buffers, all together */
#define PROXY_FD_RESERVE             256         /* fds left to the rest of the supervisor */
#define PROXY_FDS_PER_CONN           2           /* client socket + origin socket */
#define PROXY_HEADER_TIMEOUT_MS      10000   /* request head complete (Go's ReadHeaderTimeout) */
#define PROXY_KEEPALIVE_TIMEOUT_MS   60000   /* idle client connection between requests */
#define PROXY_CONNECT_TIMEOUT_MS     10000   /* DNS + TCP connect, then 502 (Go: 10 s dial) */
#define PROXY_RESPONSE_TIMEOUT_MS    30000   /* response head after the request (Go: 30 s) */
#define PROXY_IDLE_TIMEOUT_MS        120000  /* request/response body without progress */
#define PROXY_TUNNEL_IDLE_TIMEOUT_MS 3600000 /* CONNECT/SOCKS/websocket without a byte */
#define PROXY_HANDSHAKE_TIMEOUT_MS   10000   /* SOCKS5 greeting + request */

typedef struct proxy_options {
    unsigned max_conns;         /* 0 = PROXY_MAX_CONNS */
    size_t mem_budget;          /* 0 = PROXY_MEM_BUDGET */
    unsigned header_timeout_ms; /* 0 = default, for each of these */
    unsigned keepalive_timeout_ms;
    unsigned connect_timeout_ms;
    unsigned response_timeout_ms;
    unsigned idle_timeout_ms;
    unsigned tunnel_idle_timeout_ms;
    unsigned handshake_timeout_ms;
    const char *dns_servers; /* "ip:port,..." instead of /etc/resolv.conf; NULL = system */
    int64_t splice_after;    /* tunnel relay: 0 = default, < 0 = never splice (benchmarks) */
    /* Called for every accepted client before anything is read from it; false closes it at
     * once. The relaxed-mode listeners on host loopback refuse other local users this way. */
    bool (*accept_filter)(void *userdata, int fd);
    void *accept_filter_data;
} proxy_options;

typedef struct proxy_stats {
    uint64_t accepted;        /* client connections accepted */
    uint64_t refused;         /* refused because max_conns was reached */
    uint64_t filtered;        /* refused by the accept filter */
    uint64_t active;          /* connections open now (clients + tunnels) */
    uint64_t tunnels;         /* tunnels open now */
    uint64_t tunnels_total;   /* tunnels established */
    uint64_t requests;        /* HTTP requests handled (absolute-form and CONNECT) */
    uint64_t blocked;         /* destinations refused by policy or the address guard */
    uint64_t errors;          /* 502s, failed SOCKS connects, protocol errors */
    uint64_t bytes_to_remote; /* through tunnels */
    uint64_t bytes_to_client;
    uint64_t dns_pending;
    uint64_t max_conns;  /* the cap in force (max_conns, lowered to the fd limit) */
    uint64_t mem_used;   /* bytes of buffers charged to the budget now */
    uint64_t mem_peak;   /* the most ever charged (never above mem_budget) */
    uint64_t mem_shed;   /* connections closed to free memory (waiting for a head) */
    uint64_t mem_denied; /* buffers refused by the budget */
} proxy_stats;

/* Creates a proxy on loop for the network policy of cfg (copied). log is borrowed and must
 * outlive the proxy. opts may be NULL. Errors: -FENCE_E_CONFIG for an unusable
 * network.upstreamProxy, -FENCE_E_PROXY (resolver), -FENCE_E_NOMEM. Free with proxy_free(). */
int proxy_new(evloop *loop, const struct fence_config *cfg, const rlog *log,
              const proxy_options *opts, proxy **ret, fence_error *err);

/* Hands a listening TCP socket to the proxy, which owns it from then on (also on failure). It
 * is made non-blocking and close-on-exec. Registered at once when the proxy is started.
 * Errors: -FENCE_E_PROXY (not a listening socket, registration failed), -FENCE_E_STATE after
 * proxy_stop(). */
int proxy_add_listener(proxy *p, proxy_kind kind, int fd, fence_error *err);

/* Starts accepting on every listener (present and future). Idempotent. */
int proxy_start(proxy *p, fence_error *err);

/* Stops accepting, closes the listeners, aborts every connection and tunnel, cancels DNS
 * queries. The proxy cannot be started again. Idempotent. */
void proxy_stop(proxy *p);

/* Stops (if needed) and frees. NULL is fine. Must not be called from inside one of the
 * proxy's own callbacks. */
void proxy_free(proxy *p);

void proxy_get_stats(const proxy *p, proxy_stats *ret);

/* The local port of the first listener of that kind, or 0 (for drivers and tests). */
int proxy_listener_port(const proxy *p, proxy_kind kind);

/* Serves an already accepted client connection as if it came from a listener of that kind
 * (tests and fuzzers use a socketpair end). The proxy owns fd afterwards. */
int proxy_adopt(proxy *p, proxy_kind kind, int fd);
