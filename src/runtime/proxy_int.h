/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the three files of the proxy module: proxy.c (lifecycle, listeners,
 * limits, tunnels, log lines), http_proxy.c (HTTP connections) and socks_proxy.c (SOCKS5
 * connections). Not for other modules: they use proxy.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "policy/netpol.h"
#include "runtime/dial.h"
#include "runtime/dns.h"
#include "runtime/httpparse.h"
#include "runtime/iobuf.h"
#include "runtime/proxy.h"
#include "runtime/tunnel.h"

#define PROXY_MAX_LISTENERS 16
/* Accepts per listener event, so that one busy listener does not starve the others. */
#define PROXY_ACCEPT_BATCH 64
/* Pause after accept() ran out of fds or memory, instead of spinning on a readable listener. */
#define PROXY_ACCEPT_PAUSE_MS 100

/* Every live connection object starts with this, and is on the proxy's list while it lives. */
typedef struct pconn pconn;
struct pconn {
    pconn *prev, *next;
    proxy *px;
    /* Closes everything at once (proxy_stop); must unlink the connection. */
    void (*abort)(pconn *c);
    /* Bytes of budget the connection holds when it may be shed to free memory (it is waiting
     * for a request head), with since when it waits; 0 otherwise. NULL = never shed. */
    size_t (*shed_bytes)(const pconn *c, uint64_t *ret_since);
};

typedef struct proxy_listener {
    proxy *px;
    int fd;
    proxy_kind kind;
    bool registered;
} proxy_listener;

struct proxy {
    evloop *loop;
    struct fence_config *cfg; /* our copy; pol borrows its lists */
    netpol pol;
    const rlog *log;
    proxy_options opt; /* with defaults filled in */
    dns *dns;
    dial_ctx dctx;

    bool has_upstream;
    char up_host[HTTP_HOST_MAX + 1];
    uint16_t up_port;
    char up_auth[512]; /* "Basic ..." from the upstream URL's user info, or "" */

    proxy_listener listeners[PROXY_MAX_LISTENERS];
    size_t nlisteners;
    bool started;
    bool stopped;
    evloop_timer *accept_pause;
    uint64_t last_limit_log;
    evloop_timer *trim_timer;

    pconn *conns;
    proxy_stats st;
    membudget mem; /* connection buffers (proxy.h, "Memory") */
    membudget fds; /* PROXY_FDS_PER_CONN per connection + 2 per splice pipe */
    uint64_t last_shed_log;
};

void proxy_conn_link(proxy *px, pconn *c);
void proxy_conn_unlink(pconn *c);
/* Unlinks c and frees `object` (the connection that embeds c) after the current loop
 * iteration, since the loop may still hold events for it in this batch. */
void proxy_conn_free_later(pconn *c, void *object);

/* Turns a client and a remote connection into a tunnel (both fds are taken, also on failure).
 * to_remote/to_client are sent first. Returns 0 or a negative errno (then both are closed). */
int proxy_tunnel(proxy *px, int client_fd, int remote_fd, const void *to_remote,
                 size_t to_remote_len, const void *to_client, size_t to_client_len);

/* Outcomes of an HTTP request for the [fence:http] line (Go's "action" strings). */
typedef enum proxy_outcome {
    PROXY_ALLOWED = 0,
    PROXY_BLOCKED,
    PROXY_ERROR,
    PROXY_UPSTREAM_OK,
    PROXY_UPSTREAM_DENIED,
    PROXY_UPSTREAM_ERROR,
} proxy_outcome;

/* §6.7 lines. The HTTP and SOCKS lines honour the -m/-d matrix; filter and guard lines are
 * debug only. start_ms is evloop time when the request arrived. */
void proxy_log_http(proxy *px, proxy_outcome out, const char *method, int status, const char *host,
                    const char *url, uint64_t start_ms);
void proxy_log_socks(proxy *px, bool allowed, const char *host, uint16_t port);
void proxy_log_filter(proxy *px, const netpol_verdict *v, const char *host, uint16_t port);
void proxy_log_dial(proxy *px, const char *prefix, const char *host, uint16_t port,
                    const dial_result *res);

/* Go's Duration.Round(time.Millisecond).String() for a duration in milliseconds. */
void proxy_format_duration(uint64_t ms, char buf[static 48]);

/* Options as dialled: connect timeout from the proxy options. */
int proxy_dial(proxy *px, const char *host, uint16_t port, unsigned flags, dial_cb cb,
               void *userdata, dial **ret);

/* Sends the 503 "too many connections" answer to an HTTP client (does not close fd). */
void proxy_send_busy(int fd);

int http_conn_new(proxy *px, int fd);
int socks_conn_new(proxy *px, int fd);
