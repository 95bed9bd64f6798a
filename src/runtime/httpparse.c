/* SPDX-License-Identifier: MIT */
/* httpparse: HTTP/1.x heads, framing, chunked tracking and proxy request targets; see
 * httpparse.h. Grammar references are to RFC 9110 (semantics) and RFC 9112 (HTTP/1.1). */
#include "runtime/httpparse.h"

#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "policy/netpol.h"

#define MAX_LEADING_EMPTY_LINES 4

/* tchar (RFC 9110 §5.6.2) */
static bool is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-value bytes: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5) */
static bool is_field_byte(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

bool http_str_eq(http_str s, const char *lit) {
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

bool http_str_caseeq(http_str s, const char *lit) {
    size_t n = strlen(lit);

    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Finds the next line starting at pos. On success *ret_line is the line without its ending
 * (LF or CRLF) and the return value is the offset after the ending. Returns 0 when no full line
 * is available and -1 for a bare CR inside the line. */
static ssize_t next_line(const char *buf, size_t len, size_t pos, http_str *ret_line) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end;

    if (!nl)
        return 0;
    end = (size_t) (nl - buf);
    ret_line->p = buf + pos;
    ret_line->n = end - pos;
    if (ret_line->n > 0 && ret_line->p[ret_line->n - 1] == '\r')
        ret_line->n--;
    if (memchr(ret_line->p, '\r', ret_line->n))
        return -1;
    return (ssize_t) (end + 1);
}

static int parse_version(http_str v, int *ret_minor) {
    if (v.n != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.')
        return HTTP_ERR_BAD;
    if (v.p[5] < '0' || v.p[5] > '9' || v.p[7] < '0' || v.p[7] > '9')
        return HTTP_ERR_BAD;
    if (v.p[5] != '1')
        return HTTP_ERR_VERSION;
    *ret_minor = v.p[7] == '0' ? 0 : 1; /* HTTP/1.2+ is handled as 1.1 (RFC 9110 §2.5) */
    return 0;
}

static int parse_field(http_str line, http_header *ret) {
    size_t i = 0, b, e;

    if (line.n == 0 || is_ows(line.p[0]))
        return HTTP_ERR_BAD; /* obs-fold continuation lines are refused (RFC 9112 §5.2) */
    while (i < line.n && is_tchar((unsigned char) line.p[i]))
        i++;
    if (i == 0 || i == line.n || line.p[i] != ':')
        return HTTP_ERR_BAD; /* no whitespace between name and colon (RFC 9112 §5.1) */
    ret->name = (http_str){line.p, i};
    b = i + 1;
    e = line.n;
    while (b < e && is_ows(line.p[b]))
        b++;
    while (e > b && is_ows(line.p[e - 1]))
        e--;
    for (size_t k = b; k < e; k++)
        if (!is_field_byte((unsigned char) line.p[k]))
            return HTTP_ERR_BAD;
    ret->value = (http_str){line.p + b, e - b};
    return 0;
}

/* Parses the field lines from pos up to and including the blank line. */
static int parse_fields(const char *buf, size_t len, size_t pos, http_header *h, size_t *ret_n,
                        size_t *ret_end) {
    size_t n = 0;

    for (;;) {
        http_str line;
        ssize_t next = next_line(buf, len, pos, &line);
        int r;

        if (next < 0)
            return HTTP_ERR_BAD;
        if (next == 0)
            return len >= HTTP_HEAD_MAX ? HTTP_ERR_TOO_BIG : 0;
        pos = (size_t) next;
        if (pos > HTTP_HEAD_MAX)
            return HTTP_ERR_TOO_BIG;
        if (line.n == 0)
            break;
        if (n == HTTP_MAX_HEADERS)
            return HTTP_ERR_TOO_BIG;
        r = parse_field(line, &h[n]);
        if (r < 0)
            return r;
        n++;
    }
    *ret_n = n;
    *ret_end = pos;
    return 1;
}

/* Splits a start line at single spaces: "a b c" (c may contain spaces when rest_spaces). */
static int split3(http_str line, http_str *a, http_str *b, http_str *c, bool rest_spaces) {
    const char *sp1 = memchr(line.p, ' ', line.n), *sp2;
    size_t rest;

    if (!sp1)
        return HTTP_ERR_BAD;
    *a = (http_str){line.p, (size_t) (sp1 - line.p)};
    rest = line.n - a->n - 1;
    sp2 = memchr(sp1 + 1, ' ', rest);
    if (!sp2) {
        *b = (http_str){sp1 + 1, rest};
        *c = (http_str){sp1 + 1 + rest, 0};
        return 1; /* two parts only */
    }
    *b = (http_str){sp1 + 1, (size_t) (sp2 - sp1 - 1)};
    *c = (http_str){sp2 + 1, line.n - (size_t) (sp2 + 1 - line.p)};
    if (!rest_spaces && memchr(c->p, ' ', c->n))
        return HTTP_ERR_BAD;
    return 0;
}

int httpparse_request(const char *buf, size_t len, http_request *ret) {
    http_str line, version;
    size_t pos = 0, end;
    ssize_t next;
    int r;

    for (int skipped = 0;; skipped++) {
        next = next_line(buf, len, pos, &line);
        if (next < 0)
            return HTTP_ERR_BAD;
        if (next == 0)
            return len >= HTTP_HEAD_MAX ? HTTP_ERR_TOO_BIG : 0;
        if (line.n > 0)
            break;
        if (skipped == MAX_LEADING_EMPTY_LINES)
            return HTTP_ERR_BAD;
        pos = (size_t) next;
    }
    if ((size_t) next > HTTP_HEAD_MAX)
        return HTTP_ERR_TOO_BIG;
    r = split3(line, &ret->method, &ret->target, &version, false);
    if (r != 0)
        return HTTP_ERR_BAD;
    if (ret->method.n == 0 || ret->target.n == 0)
        return HTTP_ERR_BAD;
    for (size_t i = 0; i < ret->method.n; i++)
        if (!is_tchar((unsigned char) ret->method.p[i]))
            return HTTP_ERR_BAD;
    for (size_t i = 0; i < ret->target.n; i++) {
        unsigned char c = (unsigned char) ret->target.p[i];

        if (c <= 0x20 || c >= 0x7f)
            return HTTP_ERR_BAD;
    }
    r = parse_version(version, &ret->minor);
    if (r < 0)
        return r;
    r = parse_fields(buf, len, (size_t) next, ret->headers, &ret->nheaders, &end);
    if (r <= 0)
        return r;
    ret->head_len = end;
    return (int) end;
}

int httpparse_response(const char *buf, size_t len, http_response *ret) {
    http_str line, version, status, reason;
    size_t end;
    ssize_t next;
    int r;

    next = next_line(buf, len, 0, &line);
    if (next < 0)
        return HTTP_ERR_BAD;
    if (next == 0)
        return len >= HTTP_HEAD_MAX ? HTTP_ERR_TOO_BIG : 0;
    if ((size_t) next > HTTP_HEAD_MAX)
        return HTTP_ERR_TOO_BIG;
    r = split3(line, &version, &status, &reason, true);
    if (r < 0)
        return HTTP_ERR_BAD;
    r = parse_version(version, &ret->minor);
    if (r < 0)
        return r;
    if (status.n != 3)
        return HTTP_ERR_BAD;
    ret->status = 0;
    for (size_t i = 0; i < 3; i++) {
        if (status.p[i] < '0' || status.p[i] > '9')
            return HTTP_ERR_BAD;
        ret->status = ret->status * 10 + (status.p[i] - '0');
    }
    if (ret->status < 100)
        return HTTP_ERR_BAD;
    for (size_t i = 0; i < reason.n; i++)
        if (!is_field_byte((unsigned char) reason.p[i]))
            return HTTP_ERR_BAD;
    ret->reason = reason;
    r = parse_fields(buf, len, (size_t) next, ret->headers, &ret->nheaders, &end);
    if (r <= 0)
        return r;
    ret->head_len = end;
    return (int) end;
}

/* ---- fields ---------------------------------------------------------------------------------- */

const http_header *http_find(const http_header *h, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (http_str_caseeq(h[i].name, name))
            return &h[i];
    return NULL;
}

/* Calls fn for each comma-separated token of value (OWS trimmed, empty elements skipped);
 * stops early and returns true when fn does. */
static bool each_token(http_str value, bool (*fn)(http_str tok, const void *ud), const void *ud) {
    size_t i = 0;

    while (i < value.n) {
        size_t b = i, e;

        while (i < value.n && value.p[i] != ',')
            i++;
        e = i;
        while (b < e && is_ows(value.p[b]))
            b++;
        while (e > b && is_ows(value.p[e - 1]))
            e--;
        if (e > b && fn((http_str){value.p + b, e - b}, ud))
            return true;
        i++;
    }
    return false;
}

static bool tok_caseeq(http_str tok, const void *ud) {
    return http_str_caseeq(tok, ud);
}

static bool tok_same_name(http_str tok, const void *ud) {
    const http_str *name = ud;

    return tok.n == name->n && strncasecmp(tok.p, name->p, tok.n) == 0;
}

bool http_has_token(const http_header *h, size_t n, const char *name, const char *token) {
    for (size_t i = 0; i < n; i++)
        if (http_str_caseeq(h[i].name, name) && each_token(h[i].value, tok_caseeq, token))
            return true;
    return false;
}

bool http_is_hop_by_hop(const http_header *h, size_t n, http_str name) {
    static const char *const fixed[] = {
            "Connection",         "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
            "Proxy-Authenticate", "TE",         "Trailer",          "Upgrade",
    };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (http_str_caseeq(name, fixed[i]))
            return true;
    for (size_t i = 0; i < n; i++)
        if (http_str_caseeq(h[i].name, "Connection") &&
            each_token(h[i].value, tok_same_name, &name))
            return true;
    return false;
}

/* ---- framing --------------------------------------------------------------------------------- */

/* All Content-Length fields must carry one and the same decimal value. 1: found, 0: none. */
static int content_length(const http_header *h, size_t n, uint64_t *ret) {
    bool found = false;
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t x = 0;

        if (!http_str_caseeq(h[i].name, "Content-Length"))
            continue;
        if (h[i].value.n == 0 || h[i].value.n > 18)
            return HTTP_ERR_BAD;
        for (size_t k = 0; k < h[i].value.n; k++) {
            char c = h[i].value.p[k];

            if (c < '0' || c > '9')
                return HTTP_ERR_BAD;
            x = x * 10 + (uint64_t) (c - '0');
        }
        if (found && x != v)
            return HTTP_ERR_BAD;
        v = x;
        found = true;
    }
    if (found)
        *ret = v;
    return found ? 1 : 0;
}

typedef struct te_scan {
    size_t count;
    bool last_chunked;
} te_scan;

static bool te_count(http_str tok, const void *ud) {
    te_scan *s = (te_scan *) ud;

    s->count++;
    s->last_chunked = http_str_caseeq(tok, "chunked");
    return false;
}

/* Transfer codings over all Transfer-Encoding fields, in order. false when there are none. */
static bool transfer_codings(const http_header *h, size_t n, te_scan *ret) {
    bool any = false;

    *ret = (te_scan){0};
    for (size_t i = 0; i < n; i++) {
        if (!http_str_caseeq(h[i].name, "Transfer-Encoding"))
            continue;
        any = true;
        each_token(h[i].value, te_count, ret);
    }
    return any;
}

static bool wants_close(const http_header *h, size_t n, int minor) {
    if (http_has_token(h, n, "Connection", "close") ||
        http_has_token(h, n, "Proxy-Connection", "close"))
        return true;
    if (minor == 0)
        return !http_has_token(h, n, "Connection", "keep-alive");
    return false;
}

int httpparse_request_framing(const http_request *r, http_framing *ret) {
    http_framing f = {0};
    te_scan te;
    uint64_t len = 0;
    int cl = content_length(r->headers, r->nheaders, &len);

    if (cl < 0)
        return cl;
    if (transfer_codings(r->headers, r->nheaders, &te)) {
        if (cl > 0)
            return HTTP_ERR_BAD; /* RFC 9112 §6.1: a classic smuggling vector, refuse it */
        if (te.count != 1 || !te.last_chunked)
            return HTTP_ERR_NOT_IMPL;
        f.body = HTTP_BODY_CHUNKED;
    } else if (cl > 0 && len > 0) {
        f.body = HTTP_BODY_LENGTH;
        f.length = len;
    }
    f.keep_alive = !wants_close(r->headers, r->nheaders, r->minor);
    f.upgrade = r->minor == 1 && http_has_token(r->headers, r->nheaders, "Connection", "upgrade") &&
                http_find(r->headers, r->nheaders, "Upgrade") != NULL;
    *ret = f;
    return 0;
}

int httpparse_response_framing(const http_response *r, http_str method, http_framing *ret) {
    http_framing f = {0};
    te_scan te;
    uint64_t len = 0;
    int cl;

    f.keep_alive = !wants_close(r->headers, r->nheaders, r->minor);
    if (r->status < 200) {
        f.upgrade = r->status == 101;
        f.interim = r->status != 101;
        *ret = f;
        return 0;
    }
    if (http_str_eq(method, "HEAD") || r->status == 204 || r->status == 304 ||
        (http_str_eq(method, "CONNECT") && r->status < 300)) {
        *ret = f;
        return 0;
    }
    if (transfer_codings(r->headers, r->nheaders, &te)) {
        f.body = te.last_chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_UNTIL_CLOSE;
    } else {
        cl = content_length(r->headers, r->nheaders, &len);
        if (cl < 0)
            return cl;
        if (cl > 0) {
            f.body = len > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
            f.length = len;
        } else {
            f.body = HTTP_BODY_UNTIL_CLOSE;
        }
    }
    if (f.body == HTTP_BODY_UNTIL_CLOSE)
        f.keep_alive = false;
    *ret = f;
    return 0;
}

/* ---- chunked bodies -------------------------------------------------------------------------- */

enum {
    CH_SIZE = 0,   /* hex digits of the chunk size */
    CH_SIZE_WS,    /* whitespace after the digits */
    CH_EXT,        /* ;extension up to the line end */
    CH_SIZE_LF,    /* CR seen, LF must follow */
    CH_DATA,       /* chunk data */
    CH_DATA_END,   /* CRLF after chunk data */
    CH_DATA_LF,    /* CR seen after chunk data */
    CH_TRAILER,    /* at the start of a trailer line (or the final blank line) */
    CH_TRAILER_IN, /* inside a trailer line */
    CH_TRAILER_LF, /* CR seen inside a trailer line */
    CH_END_LF,     /* CR of the final blank line seen */
    CH_DONE,
};

int http_hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* After the size line: data, or the trailer section for the last chunk. */
static void size_line_done(http_chunked *c) {
    c->line = 0;
    c->digits = false;
    c->state = c->remaining > 0 ? CH_DATA : CH_TRAILER;
}

static void next_size_line(http_chunked *c) {
    c->state = CH_SIZE;
    c->line = 0;
}

/* One byte of framing (everything but chunk data). Returns 0, or -1 on bad framing. */
static int chunk_step(http_chunked *c, char ch) {
    switch (c->state) {
    case CH_SIZE: {
        int v = http_hexval(ch);

        if (v >= 0) {
            if (c->remaining >> 56)
                return -1; /* absurd sizes; also keeps the shift from overflowing */
            c->remaining = c->remaining << 4 | (uint64_t) v;
            c->digits = true;
            break;
        }
        if (!c->digits)
            return -1;
        if (is_ows(ch))
            c->state = CH_SIZE_WS;
        else if (ch == ';')
            c->state = CH_EXT;
        else if (ch == '\r')
            c->state = CH_SIZE_LF;
        else if (ch == '\n')
            size_line_done(c);
        else
            return -1;
        break;
    }
    case CH_SIZE_WS:
        if (ch == ';')
            c->state = CH_EXT;
        else if (ch == '\r')
            c->state = CH_SIZE_LF;
        else if (ch == '\n')
            size_line_done(c);
        else if (!is_ows(ch))
            return -1;
        break;
    case CH_EXT:
        if (ch == '\r')
            c->state = CH_SIZE_LF;
        else if (ch == '\n')
            size_line_done(c);
        else if (!is_field_byte((unsigned char) ch))
            return -1;
        break;
    case CH_SIZE_LF:
        if (ch != '\n')
            return -1;
        size_line_done(c);
        break;
    case CH_DATA_END:
        if (ch == '\r')
            c->state = CH_DATA_LF;
        else if (ch == '\n')
            next_size_line(c);
        else
            return -1;
        break;
    case CH_DATA_LF:
        if (ch != '\n')
            return -1;
        next_size_line(c);
        break;
    case CH_TRAILER:
        if (ch == '\r')
            c->state = CH_END_LF;
        else if (ch == '\n')
            c->state = CH_DONE;
        else if (is_field_byte((unsigned char) ch) && !is_ows(ch))
            c->state = CH_TRAILER_IN;
        else
            return -1;
        break;
    case CH_TRAILER_IN:
        if (ch == '\r')
            c->state = CH_TRAILER_LF;
        else if (ch == '\n')
            c->state = CH_TRAILER;
        else if (!is_field_byte((unsigned char) ch))
            return -1;
        break;
    case CH_TRAILER_LF:
        if (ch != '\n')
            return -1;
        c->state = CH_TRAILER;
        break;
    case CH_END_LF:
        if (ch != '\n')
            return -1;
        c->state = CH_DONE;
        break;
    default:
        return -1;
    }
    return 0;
}

ssize_t httpparse_chunked(http_chunked *c, const char *buf, size_t len, bool *ret_done) {
    size_t i = 0;

    *ret_done = c->state == CH_DONE;
    while (i < len && c->state != CH_DONE) {
        if (c->state == CH_DATA) {
            size_t n = len - i;

            if (n > c->remaining)
                n = (size_t) c->remaining;
            c->remaining -= n;
            i += n;
            if (c->remaining == 0)
                c->state = CH_DATA_END;
            continue;
        }
        if (chunk_step(c, buf[i]) < 0)
            return -1;
        i++;
        c->line++;
        if (c->state >= CH_TRAILER ? c->line > HTTP_TRAILER_MAX : c->line > HTTP_CHUNK_LINE_MAX)
            return -1;
    }
    *ret_done = c->state == CH_DONE;
    return (ssize_t) i;
}

/* ---- request targets ------------------------------------------------------------------------- */

static bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

static int parse_port(http_str s, uint16_t *ret) {
    unsigned v = 0;

    if (s.n == 0 || s.n > 5)
        return HTTP_ERR_BAD;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return HTTP_ERR_BAD;
        v = v * 10 + (unsigned) (s.p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return HTTP_ERR_BAD;
    *ret = (uint16_t) v;
    return 0;
}

static int check_name(const char *h, size_t n) {
    if (n == 0 || n > HTTP_HOST_MAX || h[0] == '.')
        return HTTP_ERR_BAD;
    for (size_t i = 0; i < n; i++) {
        if (!is_host_char(h[i]))
            return HTTP_ERR_BAD;
        if (h[i] == '.' && i + 1 < n && h[i + 1] == '.')
            return HTTP_ERR_BAD; /* empty label */
    }
    return 0;
}

int httpparse_authority(http_str s, uint16_t default_port, http_target *ret) {
    http_target t = {.port = default_port, .authority = s};
    http_str host, port = {NULL, 0};
    bool has_port = false;

    if (s.n == 0)
        return HTTP_ERR_BAD;
    if (s.p[0] == '[') {
        const char *close = memchr(s.p, ']', s.n);
        netpol_ip ip;

        if (!close)
            return HTTP_ERR_BAD;
        host = (http_str){s.p + 1, (size_t) (close - s.p - 1)};
        if ((size_t) (close - s.p) + 1 < s.n) {
            if (close[1] != ':')
                return HTTP_ERR_BAD;
            port = (http_str){close + 2, s.n - (size_t) (close - s.p) - 2};
            has_port = true;
        }
        if (host.n == 0 || host.n >= NETPOL_IP_STRLEN)
            return HTTP_ERR_BAD;
        memcpy(t.host, host.p, host.n);
        t.host[host.n] = '\0';
        if (netpol_parse_ip(t.host, &ip) < 0 || ip.family != AF_INET6)
            return HTTP_ERR_BAD;
        t.ipv6 = true;
    } else {
        const char *colon = memchr(s.p, ':', s.n);

        host = s;
        if (colon) {
            host.n = (size_t) (colon - s.p);
            port = (http_str){colon + 1, s.n - host.n - 1};
            has_port = true;
        }
        if (check_name(host.p, host.n) < 0)
            return HTTP_ERR_BAD;
        memcpy(t.host, host.p, host.n);
        t.host[host.n] = '\0';
    }
    /* "host:" keeps the default port, as Go's SplitHostPort-based handler did */
    if (has_port && port.n > 0 && parse_port(port, &t.port) < 0)
        return HTTP_ERR_BAD;
    *ret = t;
    return 0;
}

int httpparse_absolute(http_str s, http_target *ret) {
    size_t i = 0, a;
    bool https;
    http_str auth;
    int r;

    while (i < s.n && s.p[i] != ':')
        i++;
    if (i + 3 > s.n || s.p[i + 1] != '/' || s.p[i + 2] != '/')
        return HTTP_ERR_BAD;
    if (http_str_caseeq((http_str){s.p, i}, "http"))
        https = false;
    else if (http_str_caseeq((http_str){s.p, i}, "https"))
        https = true;
    else
        return HTTP_ERR_BAD;
    if (memchr(s.p, '#', s.n))
        return HTTP_ERR_BAD;
    a = i + 3;
    i = a;
    while (i < s.n && s.p[i] != '/' && s.p[i] != '?')
        i++;
    auth = (http_str){s.p + a, i - a};
    if (memchr(auth.p, '@', auth.n))
        return HTTP_ERR_BAD;
    r = httpparse_authority(auth, https ? 443 : 80, ret);
    if (r < 0)
        return r;
    ret->https = https;
    ret->path = (http_str){s.p + i, s.n - i};
    return 0;
}
