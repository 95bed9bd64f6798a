/* SPDX-License-Identifier: MIT */
/*
 * httpparse: the HTTP/1.x pieces the proxy needs, as pure functions over caller buffers so that
 * they can be unit-tested and fuzzed alone: request and response heads, the body framing they
 * announce, a chunked-body tracker that finds where a chunked body ends without decoding it, and
 * the request-target forms a proxy sees (authority-form for CONNECT, absolute-form otherwise).
 *
 * Parsing is strict where leniency lets a request mean two things (RFC 9112 §6.3 and §11.2,
 * request smuggling): Content-Length together with Transfer-Encoding, differing Content-Length
 * values, obs-fold continuation lines, whitespace before the colon, bare CR, NUL or other
 * control bytes are refused. Bare LF line ends are accepted (the proxy re-serialises every head
 * it forwards, so the next hop always sees CRLF). Nothing allocates: results point into the
 * input buffer and stay valid while it does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A request or response head (start line + fields + blank line) may not exceed this: the proxy
 * answers 431 for a larger request head and 502 for a larger response head. */
#define HTTP_HEAD_MAX (64 * 1024)
/* Fields per head; more is treated like a head that is too large. */
#define HTTP_MAX_HEADERS 128
/* Host names longer than this are not DNS names (RFC 1035 §2.3.4 allows 253 characters). */
#define HTTP_HOST_MAX 253
/* Chunk-size line (with extensions) and trailer section limits of the chunked tracker. */
#define HTTP_CHUNK_LINE_MAX 4096
#define HTTP_TRAILER_MAX    (16 * 1024)

typedef struct http_str {
    const char *p;
    size_t n;
} http_str;

typedef struct http_header {
    http_str name;
    http_str value; /* without leading and trailing whitespace */
} http_header;

typedef struct http_request {
    http_str method;
    http_str target;
    int minor; /* HTTP/1.<minor>: 0 or 1 */
    http_header headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    size_t head_len; /* bytes of the head including the blank line (and skipped leading CRLFs) */
} http_request;

typedef struct http_response {
    int minor;
    int status; /* 100..999 */
    http_str reason;
    http_header headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    size_t head_len;
} http_response;

/* Results of the head parsers: > 0 is the head length (complete), 0 means more input is
 * needed, negative is an error. */
#define HTTP_ERR_BAD      (-1) /* malformed: 400 (request) / 502 (response) */
#define HTTP_ERR_TOO_BIG  (-2) /* head over HTTP_HEAD_MAX or HTTP_MAX_HEADERS: 431 / 502 */
#define HTTP_ERR_VERSION  (-3) /* not HTTP/1.0 or HTTP/1.1: 505 */
#define HTTP_ERR_NOT_IMPL (-4) /* a Transfer-Encoding other than chunked: 501 */

/* Parses a request head at the start of buf[0..len). Up to 4 empty lines before the request line
 * are skipped (RFC 9112 §2.2). Each call parses from the start: a caller reading a head in
 * pieces should call again only when the new piece contains '\n' (a head has at most
 * HTTP_MAX_HEADERS + 6 of them before it completes or fails), so slow input costs O(n) calls
 * in the number of lines, not in the number of bytes. */
int httpparse_request(const char *buf, size_t len, http_request *ret);
int httpparse_response(const char *buf, size_t len, http_response *ret);

/* ---- fields ---------------------------------------------------------------------------------- */

bool http_str_eq(http_str s, const char *lit);     /* exact */
bool http_str_caseeq(http_str s, const char *lit); /* ASCII case-insensitive */
/* The first field named `name` (case-insensitive), or NULL. */
const http_header *http_find(const http_header *h, size_t n, const char *name);
/* Whether a comma-separated field (all its occurrences) lists token (case-insensitive). */
bool http_has_token(const http_header *h, size_t n, const char *name, const char *token);
/* Whether field `name` is hop-by-hop for this message: one of the fixed hop-by-hop fields of
 * RFC 9110 §7.6.1 (plus Proxy-Connection, Proxy-Authorization, Proxy-Authenticate) or a name
 * listed in a Connection field. Transfer-Encoding and Upgrade are reported separately by the
 * framing functions, because the proxy relays chunked bodies verbatim and handles upgrades. */
bool http_is_hop_by_hop(const http_header *h, size_t n, http_str name);

/* ---- framing --------------------------------------------------------------------------------- */

typedef enum http_body {
    HTTP_BODY_NONE = 0,
    HTTP_BODY_LENGTH,     /* exactly `length` bytes */
    HTTP_BODY_CHUNKED,    /* chunked coding, relayed verbatim */
    HTTP_BODY_UNTIL_CLOSE /* response only: the body ends when the server closes */
} http_body;

typedef struct http_framing {
    http_body body;
    uint64_t length;
    bool keep_alive; /* the sender allows another message on this connection */
    bool upgrade;    /* request: asks to upgrade (Connection: upgrade + Upgrade); response: 101 */
    bool interim;    /* response: 1xx other than 101, another response head follows */
} http_framing;

/* Request framing. Errors: HTTP_ERR_BAD (Content-Length with Transfer-Encoding, bad or
 * conflicting Content-Length), HTTP_ERR_NOT_IMPL (a transfer coding other than "chunked"). */
int httpparse_request_framing(const http_request *r, http_framing *ret);
/* Response framing for a request with method `method` (HEAD and CONNECT matter). A
 * Transfer-Encoding ending in chunked wins over Content-Length (RFC 9112 §6.3). */
int httpparse_response_framing(const http_response *r, http_str method, http_framing *ret);

/* ---- chunked bodies -------------------------------------------------------------------------- */

typedef struct http_chunked {
    int state;
    uint64_t remaining; /* bytes of chunk data still to come */
    size_t line;        /* bytes of the current size line or trailer section so far */
    bool digits;        /* the size line had at least one hex digit */
} http_chunked;

/* Scans the next len bytes of a chunked body. Returns how many of them belong to the body
 * (<= len; fewer only when the body ended inside buf), and sets *ret_done when the last byte of
 * the body (the blank line after the trailers) was consumed. Returns -1 on bad framing. */
ssize_t httpparse_chunked(http_chunked *c, const char *buf, size_t len, bool *ret_done);

/* The value of a hex digit, or -1. */
int http_hexval(char c);

/* ---- request targets ------------------------------------------------------------------------- */

typedef struct http_target {
    char host[HTTP_HOST_MAX + 1]; /* name or IP literal, without brackets, NUL-terminated */
    uint16_t port;
    bool ipv6;          /* host is an IPv6 literal (needs brackets in a URL or Host field) */
    bool https;         /* absolute-form with the https scheme */
    http_str authority; /* as written in the request (absolute-form: for the Host field) */
    http_str path;      /* absolute-form: the rest after the authority: empty, "/..." or
                           "?..."; a "/" must be written before it unless it starts with '/' */
} http_target;

/* Validates and splits "host:port" (CONNECT); a missing port means default_port. Host names
 * may contain letters, digits, '-', '_' and '.'; IPv6 literals must be bracketed. */
int httpparse_authority(http_str s, uint16_t default_port, http_target *ret);
/* Splits an absolute-form target "http://authority/path?query" (scheme case-insensitive,
 * "http" or "https"; default port 80 or 443). User info ("user@host") is refused: it only
 * serves to confuse which host is meant. Fragments are refused. Returns 0 or HTTP_ERR_BAD. */
int httpparse_absolute(http_str s, http_target *ret);
