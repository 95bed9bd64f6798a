/* SPDX-License-Identifier: MIT */
/*
 * dial: from "host, port" to a connected TCP socket, for the proxies, enforcing the SSRF and
 * rebinding guard on the way.
 *
 * An IP literal (any spelling netpol_parse_ip() accepts) is used as is; a name is resolved
 * once with dns.h. Every resolved address is checked with netpol_addr_allowed(): if any of them
 * is internal (loopback, private, link-local, ...) and the policy does not name the host
 * exactly, the dial fails with DIAL_BLOCKED before a single connection is attempted (a name
 * answering with one public and one internal address is a rebinding attempt). Otherwise the
 * addresses are tried in order, each one non-blocking, and the socket returned is connected to
 * an address that was checked: the name is never resolved a second time.
 *
 * The upstream proxy of §6.4 is configured by the user, not chosen by the sandbox, so it is
 * dialled with DIAL_TRUSTED, which skips the guard.
 */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "policy/netpol.h"
#include "runtime/dns.h"
#include "runtime/evloop.h"

typedef struct dial dial;

/* When several addresses are known, one attempt gets at most this long before the next address
 * is tried (the overall deadline still applies). */
#define DIAL_ATTEMPT_MS 3000

typedef enum dial_status {
    DIAL_OK = 0,
    DIAL_BLOCKED,      /* an address is internal and the policy does not name the host */
    DIAL_NOTFOUND,     /* the name does not resolve */
    DIAL_REFUSED,      /* ECONNREFUSED */
    DIAL_NET_UNREACH,  /* ENETUNREACH, no route for the address family */
    DIAL_HOST_UNREACH, /* EHOSTUNREACH */
    DIAL_TIMEOUT,      /* resolution or connection did not finish before the deadline */
    DIAL_FAILED,       /* anything else (resolver failure, out of memory, ...) */
} dial_status;

enum {
    DIAL_TRUSTED = 1 << 0, /* skip the internal-address guard (the configured upstream proxy) */
};

typedef struct dial_ctx {
    evloop *loop;
    dns *dns;
    const netpol *policy;
} dial_ctx;

typedef struct dial_result {
    dial_status status;
    int fd;         /* DIAL_OK: the connected socket, now owned by the callback; else -1 */
    int sys_errno;  /* errno of the last failed attempt, 0 if none */
    netpol_ip addr; /* DIAL_OK: the peer; DIAL_BLOCKED: the offending address */
} dial_result;

/* Called exactly once, from the loop, unless the dial was cancelled. The dial object is freed
 * when the callback returns; do not cancel it from inside. */
typedef void (*dial_cb)(void *userdata, const dial_result *res);

/* Starts connecting to host:port within timeout_ms. Returns 0 with *ret set, or -ENOMEM /
 * -EINVAL (empty or over-long host); on error the callback is never called. */
int dial_start(const dial_ctx *ctx, const char *host, uint16_t port, unsigned flags,
               uint64_t timeout_ms, dial_cb cb, void *userdata, dial **ret);
/* Stops a dial whose callback has not run; closes anything it opened. NULL is fine. */
void dial_cancel(dial *d);

/* Fills a sockaddr for ip:port; returns its length. */
socklen_t dial_sockaddr(const netpol_ip *ip, uint16_t port, struct sockaddr_storage *ret);
const char *dial_status_name(dial_status s);
