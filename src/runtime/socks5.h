/* SPDX-License-Identifier: MIT */
/*
 * socks5: the SOCKS5 wire format (RFC 1928) as pure functions over caller buffers, so that the
 * handshake can be unit-tested and fuzzed apart from the sockets: the client greeting (method
 * negotiation), the request, and the reply.
 *
 * Only what fence offers is modelled: the "no authentication" method; CONNECT, with BIND and
 * UDP ASSOCIATE recognised so that they can be refused with "command not supported" (0x07);
 * IPv4, domain-name and IPv6 addresses.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SOCKS5_VERSION 5

enum {
    SOCKS5_METHOD_NOAUTH = 0x00,
    SOCKS5_METHOD_NONE = 0xff, /* no acceptable method */
};

enum {
    SOCKS5_CMD_CONNECT = 1,
    SOCKS5_CMD_BIND = 2,
    SOCKS5_CMD_UDP_ASSOCIATE = 3,
};

enum {
    SOCKS5_ATYP_IPV4 = 1,
    SOCKS5_ATYP_DOMAIN = 3,
    SOCKS5_ATYP_IPV6 = 4,
};

/* Reply codes (RFC 1928 §6). */
enum {
    SOCKS5_REP_SUCCEEDED = 0x00,
    SOCKS5_REP_GENERAL_FAILURE = 0x01,
    SOCKS5_REP_NOT_ALLOWED = 0x02, /* connection not allowed by ruleset */
    SOCKS5_REP_NET_UNREACHABLE = 0x03,
    SOCKS5_REP_HOST_UNREACHABLE = 0x04,
    SOCKS5_REP_CONN_REFUSED = 0x05,
    SOCKS5_REP_TTL_EXPIRED = 0x06,
    SOCKS5_REP_CMD_UNSUPPORTED = 0x07,
    SOCKS5_REP_ATYP_UNSUPPORTED = 0x08,
};

/* Largest greeting (2 + 255 methods) and request (4 + 1 + 255 + 2). */
#define SOCKS5_GREETING_MAX 257
#define SOCKS5_REQUEST_MAX  262
/* Largest reply (IPv6 bound address). */
#define SOCKS5_REPLY_MAX 22

/* Parse results: > 0 bytes consumed (complete), 0 need more input, < 0 as documented. */
#define SOCKS5_ERR_PROTO (-1) /* not SOCKS5 / malformed: close without a reply */
#define SOCKS5_ERR_REPLY (-2) /* refuse with the reply code stored in the request */

/* Greeting: VER NMETHODS METHODS... *ret_noauth says whether "no authentication" is offered. */
int socks5_parse_greeting(const uint8_t *buf, size_t len, bool *ret_noauth);

typedef struct socks5_request {
    uint8_t cmd;
    uint8_t atyp;
    char host[256]; /* domain name as sent, or the IP literal's canonical text (IPv6 without
                       brackets); NUL-terminated */
    uint16_t port;
    uint8_t reply; /* SOCKS5_ERR_REPLY: the code to answer with */
} socks5_request;

/* Request: VER CMD RSV ATYP DST.ADDR DST.PORT. Refusals that need a reply (unsupported address
 * type 0x08, malformed domain name 0x04) return SOCKS5_ERR_REPLY with ret->reply set. The
 * command is not judged here: the caller answers BIND/UDP ASSOCIATE with 0x07. Domain names
 * may only use letters, digits, '-', '_' and '.' (no empty labels): anything else cannot be a
 * host name and would only reach the resolver or the logs. */
int socks5_parse_request(const uint8_t *buf, size_t len, socks5_request *ret);

/* Writes a reply with the bound address bnd (NULL: 0.0.0.0:0). Returns its length. */
size_t socks5_reply(uint8_t out[static SOCKS5_REPLY_MAX], uint8_t code, const struct sockaddr *bnd);
