/* SPDX-License-Identifier: MIT */
/*
 * netpol: domain filter (§6.1, §6.4) and the address checks of the SSRF/rebinding guard. See
 * netpol.h. Everything works on borrowed (pointer, length) views and small stack buffers.
 */
#include "policy/netpol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"

/* A host as the filter sees it: the client's spelling without [brackets] or one trailing dot,
 * plus, for IP literals, the canonical spelling and the embedded IPv4 of mapped forms. */
typedef struct hostview {
    const char *name;
    size_t len;
    bool is_ip;
    netpol_ip ip;
    char canon[NETPOL_IP_STRLEN];
    char v4[NETPOL_IP_STRLEN]; /* "" unless ip is an IPv6 form that embeds an IPv4 address */
} hostview;

void netpol_from_config(netpol *p, const struct fence_config *cfg) {
    *p = (netpol){0};
    if (!cfg) {
        p->no_config = true;
        return;
    }
    p->allowed = (const char *const *) cfg->network.allowed_domains.v;
    p->denied = (const char *const *) cfg->network.denied_domains.v;
    if (cfg->network.default_action && *cfg->network.default_action)
        p->upstream = strcmp(cfg->network.default_action, "proxy") == 0;
    else
        p->upstream = cfg->network.upstream_proxy && *cfg->network.upstream_proxy;
}

/* ---- IP literals ----------------------------------------------------------------------------- */

/* One inet_aton part: decimal, 0-prefixed octal or 0x-prefixed hex. Returns chars used or 0. */
static size_t parse_v4_part(const char *s, size_t n, uint64_t *ret) {
    unsigned base = 10;
    size_t i = 0, digits = 0;
    uint64_t v = 0;

    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n >= 1 && s[0] == '0') {
        base = 8;
    }
    for (; i < n && s[i] != '.'; i++) {
        unsigned d;
        char c = s[i];

        if (c >= '0' && c <= '9')
            d = (unsigned) (c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned) (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned) (c - 'A' + 10);
        else
            return 0;
        if (d >= base)
            return 0;
        v = v * base + d;
        if (v > 0xffffffffu)
            return 0;
        digits++;
    }
    if (digits == 0)
        return 0;
    *ret = v;
    return i;
}

static int parse_v4(const char *s, size_t n, uint8_t out[4]) {
    uint64_t part[4];
    size_t nparts = 0, i = 0;
    uint32_t v;

    if (n > 0 && s[n - 1] == '.')
        n--; /* one trailing dot, as in a fully qualified name */
    if (n == 0)
        return -EINVAL;
    for (;;) {
        size_t used;

        if (nparts == 4)
            return -EINVAL;
        used = parse_v4_part(s + i, n - i, &part[nparts]);
        if (used == 0)
            return -EINVAL;
        nparts++;
        i += used;
        if (i == n)
            break;
        i++; /* the dot */
        if (i == n)
            return -EINVAL;
    }
    /* a; a.b (8.24); a.b.c (8.8.16); a.b.c.d (8 each) */
    for (size_t k = 0; k + 1 < nparts; k++)
        if (part[k] > 0xff)
            return -EINVAL;
    switch (nparts) {
    case 1:
        v = (uint32_t) part[0];
        break;
    case 2:
        if (part[1] > 0xffffff)
            return -EINVAL;
        v = (uint32_t) (part[0] << 24 | part[1]);
        break;
    case 3:
        if (part[2] > 0xffff)
            return -EINVAL;
        v = (uint32_t) (part[0] << 24 | part[1] << 16 | part[2]);
        break;
    default:
        if (part[3] > 0xff)
            return -EINVAL;
        v = (uint32_t) (part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3]);
        break;
    }
    out[0] = (uint8_t) (v >> 24);
    out[1] = (uint8_t) (v >> 16);
    out[2] = (uint8_t) (v >> 8);
    out[3] = (uint8_t) v;
    return 0;
}

static int parse_ip_n(const char *s, size_t n, netpol_ip *ret) {
    char buf[NETPOL_IP_STRLEN];
    netpol_ip ip = {0};

    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
        if (n == 0 || n >= sizeof(buf) || !memchr(s, ':', n))
            return -EINVAL;
    }
    if (n == 0)
        return -EINVAL;
    if (memchr(s, ':', n)) {
        if (n >= sizeof(buf))
            return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (inet_pton(AF_INET6, buf, ip.addr) != 1)
            return -EINVAL;
        ip.family = AF_INET6;
    } else {
        if (parse_v4(s, n, ip.addr) < 0)
            return -EINVAL;
        ip.family = AF_INET;
    }
    *ret = ip;
    return 0;
}

int netpol_parse_ip(const char *text, netpol_ip *ret) {
    if (!text)
        return -EINVAL;
    return parse_ip_n(text, strlen(text), ret);
}

char *netpol_ip_format(const netpol_ip *ip, char buf[static NETPOL_IP_STRLEN]) {
    if (!inet_ntop(ip->family, ip->addr, buf, NETPOL_IP_STRLEN))
        buf[0] = '\0';
    return buf;
}

/* The IPv4 address an IPv6 address embeds (mapped, compatible, SIIT, NAT64, 6to4), if any. */
static bool embedded_v4(const netpol_ip *ip, netpol_ip *ret) {
    static const uint8_t zero10[10] = {0};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    const uint8_t *a = ip->addr;
    const uint8_t *src = NULL;

    if (ip->family != AF_INET6)
        return false;
    if (memcmp(a, zero10, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
        src = a + 12; /* ::ffff:a.b.c.d */
    else if (memcmp(a, zero10, 10) == 0 && a[10] == 0 && a[11] == 0 && (a[12] | a[13]) != 0)
        src = a + 12; /* ::a.b.c.d (deprecated "compatible"; not :: or ::1) */
    else if (memcmp(a, zero10, 8) == 0 && a[8] == 0xff && a[9] == 0xff && a[10] == 0 && a[11] == 0)
        src = a + 12; /* ::ffff:0:a.b.c.d (SIIT) */
    else if (memcmp(a, nat64, 12) == 0)
        src = a + 12; /* 64:ff9b::a.b.c.d */
    else if (a[0] == 0x20 && a[1] == 0x02)
        src = a + 2; /* 2002:AABB:CCDD::/48 (6to4) */
    if (!src)
        return false;
    *ret = (netpol_ip){.family = AF_INET};
    memcpy(ret->addr, src, 4);
    return true;
}

static netpol_ip_class classify_v4(const uint8_t *a) {
    if (a[0] == 0)
        return NETPOL_IP_UNSPECIFIED;
    if (a[0] == 127)
        return NETPOL_IP_LOOPBACK;
    if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168))
        return NETPOL_IP_PRIVATE;
    if (a[0] == 169 && a[1] == 254)
        return NETPOL_IP_LINK_LOCAL;
    if (a[0] == 100 && (a[1] & 0xc0) == 64)
        return NETPOL_IP_SHARED;
    if ((a[0] & 0xf0) == 224)
        return NETPOL_IP_MULTICAST;
    if ((a[0] & 0xf0) == 240)
        return NETPOL_IP_RESERVED;
    return NETPOL_IP_PUBLIC;
}

netpol_ip_class netpol_classify(const netpol_ip *ip) {
    static const uint8_t zero15[15] = {0};
    const uint8_t *a = ip->addr;
    netpol_ip v4;

    if (ip->family == AF_INET)
        return classify_v4(a);
    if (memcmp(a, zero15, 15) == 0)
        return a[15] == 1   ? NETPOL_IP_LOOPBACK
               : a[15] == 0 ? NETPOL_IP_UNSPECIFIED
                            : NETPOL_IP_RESERVED;
    if (embedded_v4(ip, &v4)) {
        netpol_ip_class c = classify_v4(v4.addr);

        if (c != NETPOL_IP_PUBLIC)
            return c;
    }
    if ((a[0] & 0xfe) == 0xfc)
        return NETPOL_IP_PRIVATE;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return NETPOL_IP_LINK_LOCAL;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
        return NETPOL_IP_PRIVATE; /* site-local, deprecated but still routable in places */
    if (a[0] == 0xff)
        return NETPOL_IP_MULTICAST;
    return NETPOL_IP_PUBLIC;
}

const char *netpol_ip_class_name(netpol_ip_class c) {
    switch (c) {
    case NETPOL_IP_PUBLIC:
        return "public";
    case NETPOL_IP_LOOPBACK:
        return "loopback";
    case NETPOL_IP_UNSPECIFIED:
        return "unspecified";
    case NETPOL_IP_PRIVATE:
        return "private";
    case NETPOL_IP_LINK_LOCAL:
        return "link-local";
    case NETPOL_IP_SHARED:
        return "shared (CGNAT)";
    case NETPOL_IP_MULTICAST:
        return "multicast";
    case NETPOL_IP_RESERVED:
        return "reserved";
    }
    return "unknown";
}

/* Same address, treating an IPv4-mapped IPv6 address as its IPv4 address. */
static bool ip_equal(const netpol_ip *a, const netpol_ip *b) {
    netpol_ip x = *a, y = *b, t;

    if (x.family == AF_INET6 && embedded_v4(&x, &t) && x.addr[10] == 0xff && x.addr[11] == 0xff)
        x = t;
    if (y.family == AF_INET6 && embedded_v4(&y, &t) && y.addr[10] == 0xff && y.addr[11] == 0xff)
        y = t;
    if (x.family != y.family)
        return false;
    return memcmp(x.addr, y.addr, x.family == AF_INET ? 4 : 16) == 0;
}

/* ---- matching -------------------------------------------------------------------------------- */

static void trim_host(const char **s, size_t *n) {
    if (*n >= 2 && (*s)[0] == '[' && (*s)[*n - 1] == ']') {
        (*s)++;
        *n -= 2;
    } else if (*n > 1 && (*s)[*n - 1] == '.') {
        (*n)--;
    }
}

static void hostview_init(hostview *h, const char *host) {
    netpol_ip v4;

    *h = (hostview){.name = host ? host : "", .len = host ? strlen(host) : 0};
    trim_host(&h->name, &h->len);
    if (parse_ip_n(h->name, h->len, &h->ip) == 0) {
        h->is_ip = true;
        netpol_ip_format(&h->ip, h->canon);
        if (embedded_v4(&h->ip, &v4) && h->ip.addr[10] == 0xff && h->ip.addr[11] == 0xff)
            netpol_ip_format(&v4, h->v4);
    }
}

static bool text_match(const char *h, size_t hn, const char *pat, size_t pn) {
    if (pn == 1 && pat[0] == '*')
        return true;
    if (pn >= 2 && pat[0] == '*' && pat[1] == '.') {
        const char *suffix = pat + 1; /* ".example.com" */
        size_t sn = pn - 1;

        return hn > sn && strncasecmp(h + hn - sn, suffix, sn) == 0;
    }
    return hn == pn && strncasecmp(h, pat, pn) == 0;
}

bool netpol_match(const char *host, const char *pattern) {
    if (!host || !pattern)
        return false;
    return text_match(host, strlen(host), pattern, strlen(pattern));
}

static bool is_wildcard(const char *pat) {
    return pat[0] == '*' && (pat[1] == '\0' || pat[1] == '.');
}

/* An exact (non-wildcard) pattern names the host: same text, or same address. */
static bool names_host(const hostview *h, const char *pat) {
    size_t pn = strlen(pat);
    netpol_ip pip;

    if (h->is_ip && parse_ip_n(pat, pn, &pip) == 0)
        return ip_equal(&h->ip, &pip);
    trim_host(&pat, &pn);
    return h->len == pn && strncasecmp(h->name, pat, pn) == 0;
}

static bool hostview_match(const hostview *h, const char *pat) {
    size_t pn = strlen(pat);

    if (!is_wildcard(pat))
        return names_host(h, pat);
    if (text_match(h->name, h->len, pat, pn))
        return true;
    if (h->is_ip && text_match(h->canon, strlen(h->canon), pat, pn))
        return true;
    return h->v4[0] && text_match(h->v4, strlen(h->v4), pat, pn);
}

static const char *first_match(const hostview *h, const char *const *list) {
    for (size_t i = 0; list && list[i]; i++)
        if (hostview_match(h, list[i]))
            return list[i];
    return NULL;
}

netpol_verdict netpol_decide(const netpol *p, const char *host, uint16_t port) {
    hostview h;
    const char *rule;

    (void) port; /* §6.1: ports never take part in matching */
    if (!p || p->no_config)
        return (netpol_verdict){NETPOL_DENY, NETPOL_REASON_NO_CONFIG, NULL};
    hostview_init(&h, host);
    rule = first_match(&h, p->denied);
    if (rule)
        return (netpol_verdict){NETPOL_DENY, NETPOL_REASON_DENIED_RULE, rule};
    rule = first_match(&h, p->allowed);
    if (rule)
        return (netpol_verdict){NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, rule};
    if (p->upstream)
        return (netpol_verdict){NETPOL_UPSTREAM, NETPOL_REASON_NO_MATCH_UPSTREAM, NULL};
    return (netpol_verdict){NETPOL_DENY, NETPOL_REASON_NO_MATCH, NULL};
}

bool netpol_names_exactly(const netpol *p, const char *host) {
    hostview h;

    if (!p || p->no_config || !p->allowed)
        return false;
    hostview_init(&h, host);
    if (h.len == 0)
        return false;
    for (size_t i = 0; p->allowed[i]; i++)
        if (!is_wildcard(p->allowed[i]) && names_host(&h, p->allowed[i]))
            return true;
    return false;
}

bool netpol_addr_allowed(const netpol *p, const char *host, const netpol_ip *ip) {
    if (netpol_classify(ip) == NETPOL_IP_PUBLIC)
        return true;
    return netpol_names_exactly(p, host);
}
