/* SPDX-License-Identifier: MIT */
/* socks5: RFC 1928 greeting, request and reply; see socks5.h. */
#include "runtime/socks5.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int socks5_parse_greeting(const uint8_t *buf, size_t len, bool *ret_noauth) {
    size_t n;

    if (len < 1)
        return 0;
    if (buf[0] != SOCKS5_VERSION)
        return SOCKS5_ERR_PROTO;
    if (len < 2)
        return 0;
    n = buf[1];
    if (n == 0)
        return SOCKS5_ERR_PROTO;
    if (len < 2 + n)
        return 0;
    *ret_noauth = memchr(buf + 2, SOCKS5_METHOD_NOAUTH, n) != NULL;
    return (int) (2 + n);
}

static bool valid_name(const char *s, size_t n) {
    if (n == 0 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
        if (c == '.' && i + 1 < n && s[i + 1] == '.')
            return false;
    }
    return true;
}

int socks5_parse_request(const uint8_t *buf, size_t len, socks5_request *ret) {
    size_t need, alen;

    if (len < 1)
        return 0;
    if (buf[0] != SOCKS5_VERSION)
        return SOCKS5_ERR_PROTO;
    if (len < 4)
        return 0;
    if (buf[2] != 0)
        return SOCKS5_ERR_PROTO; /* RSV must be zero */
    ret->cmd = buf[1];
    ret->atyp = buf[3];
    switch (buf[3]) {
    case SOCKS5_ATYP_IPV4:
        alen = 4;
        break;
    case SOCKS5_ATYP_IPV6:
        alen = 16;
        break;
    case SOCKS5_ATYP_DOMAIN:
        if (len < 5)
            return 0;
        alen = 1 + (size_t) buf[4];
        break;
    default:
        /* the address length is unknown, so the rest cannot even be skipped */
        ret->reply = SOCKS5_REP_ATYP_UNSUPPORTED;
        return SOCKS5_ERR_REPLY;
    }
    need = 4 + alen + 2;
    if (len < need)
        return 0;
    ret->port = (uint16_t) (buf[4 + alen] << 8 | buf[4 + alen + 1]);
    if (buf[3] == SOCKS5_ATYP_DOMAIN) {
        size_t n = buf[4];

        memcpy(ret->host, buf + 5, n);
        ret->host[n] = '\0';
        if (!valid_name(ret->host, n)) {
            ret->reply = SOCKS5_REP_HOST_UNREACHABLE;
            return SOCKS5_ERR_REPLY;
        }
    } else {
        inet_ntop(alen == 4 ? AF_INET : AF_INET6, buf + 4, ret->host, sizeof(ret->host));
    }
    return (int) need;
}

size_t socks5_reply(uint8_t out[static SOCKS5_REPLY_MAX], uint8_t code,
                    const struct sockaddr *bnd) {
    out[0] = SOCKS5_VERSION;
    out[1] = code;
    out[2] = 0;
    if (bnd && bnd->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *) bnd;

        out[3] = SOCKS5_ATYP_IPV6;
        memcpy(out + 4, &s6->sin6_addr, 16);
        memcpy(out + 20, &s6->sin6_port, 2);
        return 22;
    }
    out[3] = SOCKS5_ATYP_IPV4;
    if (bnd && bnd->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *) bnd;

        memcpy(out + 4, &s4->sin_addr, 4);
        memcpy(out + 8, &s4->sin_port, 2);
    } else {
        memset(out + 4, 0, 6);
    }
    return 10;
}
