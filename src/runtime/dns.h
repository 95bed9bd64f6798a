/* SPDX-License-Identifier: MIT */
/*
 * dns: host-side name resolution for the proxies, driven by the supervisor's evloop.
 *
 * c-ares does the protocol work; its sockets are created by us (non-blocking, CLOEXEC) and
 * registered in the evloop, and its retransmission timeouts run on evloop timers, so a slow or
 * silent server never blocks the loop or other connections. A lookup returns every A and AAAA
 * answer (the proxy checks each one before connecting, then connects to an address it checked:
 * nothing is resolved twice). /etc/hosts is consulted first, as the system resolver does.
 * Nothing is cached, so no answer outlives its TTL. c-ares itself (resolv.conf, /etc/hosts) is
 * only initialised at the first lookup, so a resolver that is never used costs nothing.
 *
 * Completion callbacks always run from the loop, never from inside dns_resolve().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fence/fence.h"
#include "policy/netpol.h"
#include "runtime/evloop.h"

typedef struct dns dns;
typedef struct dns_query dns_query;

/* Answers kept per lookup; more are dropped. */
#define DNS_MAX_ADDRS 16
/* Per-try timeout and tries (c-ares retransmits within this budget); the caller's own connect
 * deadline bounds the whole lookup as well. */
#define DNS_TIMEOUT_MS 2000
#define DNS_TRIES      2
/* Longest server list accepted in dns_options.servers. */
#define DNS_SERVERS_MAX 1024

typedef struct dns_options {
    /* "ip:port,[ip6]:port,..." to use instead of /etc/resolv.conf (tests, benchmarks); NULL or
     * "" = system configuration. */
    const char *servers;
    unsigned timeout_ms; /* 0 = DNS_TIMEOUT_MS */
    unsigned tries;      /* 0 = DNS_TRIES */
} dns_options;

typedef enum dns_status {
    DNS_OK = 0,
    DNS_NOTFOUND, /* the name does not exist or has no A/AAAA records */
    DNS_TIMEOUT,  /* no server answered in time */
    DNS_FAILED,   /* server failure, refused, malformed answer, out of memory */
} dns_status;

typedef struct dns_result {
    dns_status status;
    size_t naddrs;
    netpol_ip addrs[DNS_MAX_ADDRS]; /* in the resolver's order; duplicates removed */
} dns_result;

/* Called once per query that was not cancelled. res is valid during the call only. */
typedef void (*dns_cb)(void *userdata, const dns_result *res);

/* Creates a resolver on loop. Errors: -FENCE_E_PROXY with a message (bad server list, c-ares
 * initialisation failure), -FENCE_E_NOMEM. Free with dns_free(). */
int dns_new(evloop *loop, const dns_options *opts, dns **ret, fence_error *err);
/* Cancels every pending query (their callbacks are not called) and frees the resolver. */
void dns_free(dns *d);

/* Starts resolving name (a host name, not an IP literal). On success *ret_q identifies the
 * query until its callback runs or dns_cancel() is called. Returns 0 or -ENOMEM. */
int dns_resolve(dns *d, const char *name, dns_cb cb, void *userdata, dns_query **ret_q);
/* Cancels a query whose callback has not run yet; the callback will not be called. */
void dns_cancel(dns *d, dns_query *q);

/* Queries in flight (for tests and stats). */
size_t dns_pending(const dns *d);
