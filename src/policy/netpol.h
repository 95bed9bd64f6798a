/* SPDX-License-Identifier: MIT */
/*
 * netpol: the network policy as pure decisions (spec/fence-behaviour.md §6.1, §6.4).
 *
 * The domain filter decides from the host text alone, before anything is resolved: deniedDomains
 * first (deny wins), then allowedDomains, then the grey zone (denied, or routed to the upstream
 * proxy). Patterns and hosts compare case-insensitively; "*" matches everything; "*.x" matches
 * hosts that end in ".x" (strict subdomains); anything else is an exact compare. The port is
 * ignored. IP literals are matched as text, in the spelling the client used and also in their
 * canonical spelling, so that "2852039166" or "[::ffff:169.254.169.254]" cannot slip past a
 * deniedDomains entry "169.254.169.254" (the Go tool compared only the raw text).
 *
 * The second half is the SSRF/rebinding guard: parsing IP literals in every spelling a resolver
 * accepts (inet_aton forms such as "127.1", "0x7f.1", "2130706433"; IPv6 with or without
 * brackets), classifying addresses (loopback, private, link-local, ...), and
 * netpol_names_exactly(), which says whether the policy names a host precisely enough to reach an
 * internal address through the proxy.
 *
 * Pure: no syscalls, no I/O, no allocation. The netpol struct borrows the pattern lists.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fence_config;

typedef enum netpol_action {
    NETPOL_DENY = 0,
    NETPOL_ALLOW,    /* connect directly */
    NETPOL_UPSTREAM, /* grey zone forwarded to network.upstreamProxy (HTTP proxy only) */
} netpol_action;

/* Why a verdict was reached; the proxies turn this into the [fence:filter] lines of §6.7. */
typedef enum netpol_reason {
    NETPOL_REASON_NO_CONFIG = 0,    /* "No config, denying" */
    NETPOL_REASON_DENIED_RULE,      /* "Denied by rule" (matched_rule set) */
    NETPOL_REASON_ALLOWED_RULE,     /* "Allowed by rule" (matched_rule set) */
    NETPOL_REASON_NO_MATCH,         /* "No matching rule, denying" */
    NETPOL_REASON_NO_MATCH_UPSTREAM /* "No matching rule, forwarding upstream" */
} netpol_reason;

typedef struct netpol_verdict {
    netpol_action action;
    netpol_reason reason;
    const char *matched_rule; /* borrowed from the policy's lists; NULL when no rule matched */
} netpol_verdict;

typedef struct netpol {
    const char *const *allowed; /* NULL-terminated list, or NULL */
    const char *const *denied;  /* NULL-terminated list, or NULL */
    bool no_config;             /* no policy at all: everything is denied */
    bool upstream;              /* grey zone goes to the upstream proxy instead of being denied */
} netpol;

/* Points p at cfg's lists (borrowed: valid while cfg is unchanged). cfg NULL = "no config".
 * The grey zone goes upstream when defaultAction is "proxy", or when defaultAction is unset
 * and upstreamProxy is set (§6.4). */
void netpol_from_config(netpol *p, const struct fence_config *cfg);

/* One pattern against one host (§6.1), case-insensitive, no normalisation of either side. */
bool netpol_match(const char *host, const char *pattern);

/* The decision for host (a name or an IP literal, with or without [brackets] and a trailing
 * dot). port only appears in logs; matching ignores it. */
netpol_verdict netpol_decide(const netpol *p, const char *host, uint16_t port);

/* True when allowedDomains holds a non-wildcard entry equal to host (case-insensitive, trailing
 * dot ignored), or, for an IP literal, an entry that is the same address in any spelling. Only
 * such hosts may reach internal addresses through the proxy. */
bool netpol_names_exactly(const netpol *p, const char *host);

/* ---- addresses ------------------------------------------------------------------------------- */

typedef struct netpol_ip {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network byte order; AF_INET uses the first 4 bytes */
} netpol_ip;

/* Enough for any canonical IPv6 text plus NUL. */
#define NETPOL_IP_STRLEN 46

/* Parses an IP literal: IPv4 in any inet_aton(3) form (1 to 4 parts, decimal, octal with a
 * leading 0, hex with 0x), or IPv6 (optionally in brackets). One trailing dot is accepted
 * on IPv4 ("127.0.0.1."). Zone ids ("%eth0") are refused. Returns 0, or -EINVAL when text is
 * not an IP literal (then it is a host name). */
int netpol_parse_ip(const char *text, netpol_ip *ret);

/* Canonical text (inet_ntop form, no brackets) into buf. Returns buf. */
char *netpol_ip_format(const netpol_ip *ip, char buf[static NETPOL_IP_STRLEN]);

typedef enum netpol_ip_class {
    NETPOL_IP_PUBLIC = 0,
    NETPOL_IP_LOOPBACK,    /* 127/8, ::1 */
    NETPOL_IP_UNSPECIFIED, /* 0/8, :: (connecting to them reaches the local host) */
    NETPOL_IP_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
    NETPOL_IP_LINK_LOCAL,  /* 169.254/16 (cloud metadata), fe80::/10 */
    NETPOL_IP_SHARED,      /* 100.64/10 carrier-grade NAT (also some metadata services) */
    NETPOL_IP_MULTICAST,   /* 224/4, ff00::/8 */
    NETPOL_IP_RESERVED,    /* 240/4 including the broadcast address */
} netpol_ip_class;

/* Classifies ip. IPv6 forms that embed an IPv4 address (mapped ::ffff:a.b.c.d, compatible
 * ::a.b.c.d, SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) get the class of the
 * embedded address when that is not public. */
netpol_ip_class netpol_classify(const netpol_ip *ip);

/* "loopback", "private", ... (static text). */
const char *netpol_ip_class_name(netpol_ip_class c);

/* The guard's question for one resolved address of host: may the proxy connect to it?
 * Public addresses always; internal ones only when netpol_names_exactly(p, host). */
bool netpol_addr_allowed(const netpol *p, const char *host, const netpol_ip *ip);
