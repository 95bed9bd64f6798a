/* SPDX-License-Identifier: MIT */
/*
 * http_proxy: one client connection to the HTTP proxy (spec §6.2, §6.4).
 *
 * A connection reads request heads one after the other (keep-alive). CONNECT becomes a tunnel
 * after "200 Connection Established". An absolute-form request is rewritten for the origin
 * (origin-form request line, Host from the URL, hop-by-hop fields dropped, Proxy-Connection and
 * Proxy-Authorization never forwarded) or for the upstream proxy (absolute-form kept), its body
 * streamed (Content-Length or chunked, relayed verbatim), and the response relayed the same
 * way without following redirects; a 101 answer to an Upgrade request turns the connection into
 * a tunnel. The connection to the origin is kept for the next request when both sides allow it
 * and the next request goes to the same place (checked by the policy again, never re-resolved).
 *
 * Responses the proxy makes itself: 403 (policy, §6.2 exactly), 502 (origin unreachable or
 * misbehaving), 400 (malformed request, non-absolute target), 431 (request head over
 * HTTP_HEAD_MAX: the limit is documented as 431, not 400), 501 (a transfer coding other than
 * chunked, or an https:// absolute-form URL, which a proxy without TLS cannot serve: clients
 * use CONNECT for https), 505 (not HTTP/1.x).
 *
 * Buffers: the client's input holds one request head (HTTP_HEAD_MAX) plus body bytes in flight;
 * every buffer has a hard maximum, and a direction stops reading while the buffer it feeds is
 * full, so bodies stream with backpressure and are never held whole. All four are charged to
 * the proxy's memory budget, allocated on first use and freed while the connection waits for
 * its next request; a connection waiting for a head may be shed when the budget runs out
 * (proxy.h, "Memory").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime/httpparse.h"
#include "runtime/proxy_int.h"
#include "util/cleanup.h"

#define CIN_MAX  (HTTP_HEAD_MAX + 16 * 1024)
#define UIN_MAX  (HTTP_HEAD_MAX + 16 * 1024)
#define COUT_MAX (2 * HTTP_HEAD_MAX)
#define UOUT_MAX (2 * HTTP_HEAD_MAX)
/* After the last response of a closing connection: how long unread request bytes are drained,
 * so that closing with unread data does not reset the connection before the client has read
 * the response (the "lingering close" of RFC 9112 §9.6). */
#define LINGER_MS       2000
#define READS_PER_EVENT 4
/* Protocol steps per wake-up before yielding to other connections (pipelined requests). */
#define STEPS_PER_WAKEUP 64

#define BODY_403 "Connection blocked by network allowlist\n"

typedef enum hstate {
    HS_HEAD = 0,  /* waiting for a request head */
    HS_DIAL,      /* connecting to the origin or to the upstream proxy */
    HS_UPCONNECT, /* CONNECT sent to the upstream proxy; waiting for its answer */
    HS_EXCHANGE,  /* request forwarded; relaying the bodies and the response */
    HS_CLOSING,   /* flushing the last response, then draining, then close */
} hstate;

/* Where a message body ends, tracked while it is relayed verbatim. */
typedef struct hbody {
    http_body kind;
    uint64_t left; /* HTTP_BODY_LENGTH: bytes still to come */
    http_chunked chunk;
    bool done;
} hbody;

typedef struct hconn {
    pconn base;
    proxy *px;
    int cfd, ufd;
    uint32_t cmask, umask;
    bool uregistered;
    iobuf cin, cout, uin, uout;
    hstate state;
    bool closed;
    bool cin_newline; /* cin got a '\n' since the last parse attempt */
    bool client_eof, up_eof;
    bool head_started;

    /* the request in progress */
    bool is_connect;
    bool via_upstream;
    char method[32];
    char host[HTTP_HOST_MAX + 1];
    uint16_t port;
    char url[64];
    size_t url_len;
    uint64_t start_ms;
    http_framing req;
    hbody reqb;
    bool resp_head;
    http_framing resp;
    hbody respb;
    int status;
    bool close_after;
    dial *dial;

    /* the connection to the origin, kept for the next request */
    bool up_idle;
    bool up_via_upstream;
    char up_host[HTTP_HOST_MAX + 1];
    uint16_t up_port;

    uint64_t wait_since; /* when it began waiting for the current request head */
    uint64_t deadline;
    uint64_t timer_due;
    evloop_timer *timer;
    evloop_timer *kick; /* continues processing after a yield */
} hconn;

static void process(hconn *c);

/* ---- lifetime -------------------------------------------------------------------------------- */

static void release(hconn *c, bool close_fds) {
    if (c->closed)
        return;
    c->closed = true;
    if (c->dial)
        dial_cancel(c->dial);
    c->dial = NULL;
    if (c->timer)
        evloop_timer_cancel(c->px->loop, c->timer);
    if (c->kick)
        evloop_timer_cancel(c->px->loop, c->kick);
    c->timer = c->kick = NULL;
    (void) evloop_del(c->px->loop, c->cfd);
    if (c->uregistered)
        (void) evloop_del(c->px->loop, c->ufd);
    if (close_fds) {
        safe_close(c->cfd);
        safe_close(c->ufd);
    }
    c->cfd = c->ufd = -1;
    iobuf_free(&c->cin);
    iobuf_free(&c->cout);
    iobuf_free(&c->uin);
    iobuf_free(&c->uout);
    proxy_conn_free_later(&c->base, c);
}

static void hconn_abort(pconn *base) {
    release((hconn *) base, true);
}

static size_t hconn_shed_bytes(const pconn *base, uint64_t *ret_since) {
    const hconn *c = (const hconn *) base;

    if (c->closed || c->state != HS_HEAD || c->cout.len > 0)
        return 0; /* (a response still going out is not cut short) */
    *ret_since = c->wait_since;
    return c->cin.cap + c->cout.cap + c->uin.cap + c->uout.cap;
}

static void close_upstream(hconn *c) {
    if (c->dial)
        dial_cancel(c->dial);
    c->dial = NULL;
    if (c->uregistered)
        (void) evloop_del(c->px->loop, c->ufd);
    c->uregistered = false;
    c->ufd = safe_close(c->ufd);
    c->umask = 0;
    c->up_idle = false;
    c->up_eof = false;
    iobuf_free(&c->uin);
    iobuf_free(&c->uout);
}

/* ---- timer ----------------------------------------------------------------------------------- */

static void on_timer(evloop *loop, evloop_timer *t, void *userdata);

static void arm_at(hconn *c, uint64_t deadline) {
    uint64_t now = evloop_now(c->px->loop);

    c->deadline = deadline;
    if (c->timer && c->timer_due <= deadline)
        return; /* fires early and re-arms itself */
    if (c->timer)
        evloop_timer_cancel(c->px->loop, c->timer);
    c->timer = evloop_timer_add(c->px->loop, deadline > now ? deadline - now : 0, on_timer, c);
    c->timer_due = deadline;
    if (!c->timer)
        release(c, true); /* no timeout means no bound: refuse to go on */
}

static void arm(hconn *c, uint64_t ms) {
    arm_at(c, evloop_now(c->px->loop) + ms);
}

/* Moves the deadline later without touching the timer (progress on a body). */
static void touch(hconn *c, uint64_t ms) {
    c->deadline = evloop_now(c->px->loop) + ms;
}

/* ---- responses made by the proxy ------------------------------------------------------------- */

static void http_date(char buf[static 64]) {
    time_t t = time(NULL);
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(buf, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        buf[0] = '\0';
}

/* Waits for the next request on a kept-alive connection; it may already be in cin. */
static void await_request(hconn *c) {
    c->state = HS_HEAD;
    c->wait_since = evloop_now(c->px->loop);
    iobuf_trim(&c->cin);
    iobuf_trim(&c->cout);
    iobuf_trim(&c->uin);
    iobuf_trim(&c->uout);
    c->head_started = c->cin.len > 0;
    c->cin_newline = c->cin.len > 0;
    arm(c, c->cin.len > 0 ? c->px->opt.header_timeout_ms : c->px->opt.keepalive_timeout_ms);
}

static void begin_closing(hconn *c) {
    c->state = HS_CLOSING;
    iobuf_consume(&c->cin, c->cin.len); /* from now on, input is drained and dropped */
    close_upstream(c);
    arm(c, LINGER_MS + c->px->opt.header_timeout_ms);
}

/* Queues a complete response. With close_conn the connection ends after it. */
static void respond(hconn *c, int status, const char *reason, const char *body, bool close_conn) {
    char date[64];
    int r;

    http_date(date);
    r = iobuf_printf(&c->cout,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Date: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "\r\n"
                     "%s",
                     status, reason, date, strlen(body), close_conn ? "Connection: close\r\n" : "",
                     body);
    if (r < 0) {
        release(c, true);
        return;
    }
    if (close_conn) {
        begin_closing(c);
        return;
    }
    await_request(c);
}

/* ---- the request ----------------------------------------------------------------------------- */

static void copy_str(char *dst, size_t size, http_str s) {
    size_t n = s.n < size - 1 ? s.n : size - 1;

    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static void set_url(hconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_url(hconn *c, const char *fmt, ...) {
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(c->url, sizeof(c->url), fmt, ap);
    va_end(ap);
    c->url_len = n < 0 ? 0 : (size_t) n;
}

/* The URL as logged: Go truncates to 60 characters with "...". */
static const char *log_url(hconn *c) {
    if (c->url_len > 60)
        memcpy(c->url + 57, "...", 4);
    return c->url;
}

static void log_request(hconn *c, proxy_outcome out, int status) {
    proxy_log_http(c->px, out, c->method, status, c->host, log_url(c), c->start_ms);
}

/* After a response the proxy made itself: next request, unless a body would have to be
 * skipped (then the connection closes, which respond() was told). */
static bool request_has_body(const hconn *c) {
    return c->req.body != HTTP_BODY_NONE;
}

static void deny(hconn *c) {
    c->px->st.blocked++;
    log_request(c, PROXY_BLOCKED, 403);
    respond(c, 403, "Forbidden", BODY_403, request_has_body(c) || !c->req.keep_alive);
}

static void bad_gateway(hconn *c, proxy_outcome out, const char *body) {
    c->px->st.errors++;
    log_request(c, out, 502);
    close_upstream(c);
    respond(c, 502, "Bad Gateway", body, true);
}

static int append_request_head(hconn *c, const http_request *r, const http_target *t) {
    iobuf *o = &c->uout;
    const http_header *upg = http_find(r->headers, r->nheaders, "Upgrade");
    int e = 0;

    if (c->via_upstream) {
        e |= iobuf_append(o, r->method.p, r->method.n);
        e |= iobuf_append(o, " ", 1);
        e |= iobuf_append(o, r->target.p, r->target.n);
    } else {
        e |= iobuf_append(o, r->method.p, r->method.n);
        e |= iobuf_append(o, t->path.n && t->path.p[0] == '/' ? " " : " /",
                          t->path.n && t->path.p[0] == '/' ? 1 : 2);
        e |= iobuf_append(o, t->path.p, t->path.n);
    }
    e |= iobuf_printf(o, " HTTP/1.%d\r\nHost: ", r->minor);
    e |= iobuf_append(o, t->authority.p, t->authority.n);
    e |= iobuf_append(o, "\r\n", 2);
    for (size_t i = 0; i < r->nheaders; i++) {
        const http_header *h = &r->headers[i];

        if (http_str_caseeq(h->name, "Host") ||
            http_is_hop_by_hop(r->headers, r->nheaders, h->name))
            continue;
        e |= iobuf_append(o, h->name.p, h->name.n);
        e |= iobuf_append(o, ": ", 2);
        e |= iobuf_append(o, h->value.p, h->value.n);
        e |= iobuf_append(o, "\r\n", 2);
    }
    if (c->req.upgrade && upg) {
        e |= iobuf_append(o, "Connection: Upgrade\r\nUpgrade: ", 30);
        e |= iobuf_append(o, upg->value.p, upg->value.n);
        e |= iobuf_append(o, "\r\n", 2);
    }
    if (c->via_upstream && c->px->up_auth[0])
        e |= iobuf_printf(o, "Proxy-Authorization: %s\r\n", c->px->up_auth);
    e |= iobuf_append(o, "\r\n", 2);
    return e ? -ENOBUFS : 0;
}

static void body_start(hbody *b, const http_framing *f) {
    *b = (hbody){.kind = f->body, .left = f->length, .done = f->body == HTTP_BODY_NONE};
}

static void start_exchange(hconn *c) {
    c->state = HS_EXCHANGE;
    body_start(&c->reqb, &c->req);
    c->resp_head = false;
    c->respb = (hbody){0};
    if (c->reqb.done)
        arm(c, c->px->opt.response_timeout_ms);
    else
        arm(c, c->px->opt.idle_timeout_ms);
}

static void on_dial(void *userdata, const dial_result *res);

static void connect_to(hconn *c, const char *host, uint16_t port, unsigned flags) {
    int r;

    c->state = HS_DIAL;
    arm(c, (uint64_t) c->px->opt.connect_timeout_ms + 1000);
    r = proxy_dial(c->px, host, port, flags, on_dial, c, &c->dial);
    if (r < 0)
        bad_gateway(c, PROXY_ERROR, "Bad Gateway\n");
}

/* Route an absolute-form request; the head is still at the start of cin. */
static void handle_absolute(hconn *c, const http_request *r, const http_target *t) {
    const char *host = c->via_upstream ? c->px->up_host : t->host;
    uint16_t port = c->via_upstream ? c->px->up_port : t->port;
    /* keep-alive to the same place reuses the idle connection (the policy was checked again;
     * the address is the one checked when it was opened) */
    bool reuse = c->up_idle && !c->up_eof && c->up_via_upstream == c->via_upstream &&
                 c->up_port == port && strcmp(c->up_host, host) == 0;

    if (!reuse)
        close_upstream(c);
    if (append_request_head(c, r, t) < 0) {
        close_upstream(c);
        respond(c, 431, "Request Header Fields Too Large", "431 Request Header Fields Too Large",
                true);
        return;
    }
    iobuf_consume(&c->cin, r->head_len);
    if (reuse) {
        c->up_idle = false;
        start_exchange(c);
        return;
    }
    memcpy(c->up_host, host, sizeof(c->up_host));
    c->up_port = port;
    c->up_via_upstream = c->via_upstream;
    connect_to(c, host, port, c->via_upstream ? DIAL_TRUSTED : 0);
}

static void handle_request(hconn *c, const http_request *r) {
    http_target t;
    netpol_verdict v;
    int e;

    c->px->st.requests++;
    c->start_ms = evloop_now(c->px->loop);
    copy_str(c->method, sizeof(c->method), r->method);
    c->host[0] = '\0';
    c->url[0] = '\0';
    c->url_len = 0;
    c->is_connect = http_str_eq(r->method, "CONNECT");
    c->via_upstream = false;
    c->close_after = false;
    c->status = 0;
    e = httpparse_request_framing(r, &c->req);
    if (e < 0) {
        c->px->st.errors++;
        if (e == HTTP_ERR_NOT_IMPL)
            respond(c, 501, "Not Implemented", "501 Not Implemented: unsupported transfer coding",
                    true);
        else
            respond(c, 400, "Bad Request", "400 Bad Request", true);
        return;
    }
    if (c->is_connect) {
        c->req.body = HTTP_BODY_NONE; /* a CONNECT body has no meaning (RFC 9110 §9.3.6) */
        e = httpparse_authority(r->target, 443, &t);
    } else {
        e = httpparse_absolute(r->target, &t);
    }
    if (e < 0) {
        c->px->st.errors++;
        respond(c, 400, "Bad Request", "400 Bad Request", true);
        return;
    }
    memcpy(c->host, t.host, sizeof(c->host));
    c->port = t.port;
    if (c->is_connect) {
        set_url(c, "https://%s:%u", t.host, t.port);
    } else {
        set_url(c, "%.*s", (int) (r->target.n > 63 ? 63 : r->target.n), r->target.p);
        c->url_len = r->target.n;
    }

    v = netpol_decide(&c->px->pol, t.host, t.port);
    proxy_log_filter(c->px, &v, t.host, t.port);
    if (v.action == NETPOL_DENY) {
        iobuf_consume(&c->cin, r->head_len);
        deny(c);
        return;
    }
    if (v.action == NETPOL_UPSTREAM && !c->px->has_upstream) {
        iobuf_consume(&c->cin, r->head_len);
        c->px->st.errors++;
        log_request(c, PROXY_UPSTREAM_ERROR, 502);
        respond(c, 502, "Bad Gateway", "Bad Gateway: no upstream proxy configured\n", true);
        return;
    }
    c->via_upstream = v.action == NETPOL_UPSTREAM;
    if (c->is_connect) {
        iobuf_consume(&c->cin, r->head_len);
        close_upstream(c);
        if (c->via_upstream)
            connect_to(c, c->px->up_host, c->px->up_port, DIAL_TRUSTED);
        else
            connect_to(c, t.host, t.port, 0);
        return;
    }
    if (t.https) {
        iobuf_consume(&c->cin, r->head_len);
        c->px->st.errors++;
        log_request(c, PROXY_ERROR, 501);
        respond(c, 501, "Not Implemented",
                "fence proxy: https:// URLs in plain requests are not supported; use CONNECT\n",
                true);
        return;
    }
    handle_absolute(c, r, &t);
}

static void parse_head(hconn *c) {
    http_request r;
    int n;

    if (!c->cin_newline && c->cin.len < HTTP_HEAD_MAX)
        return;
    c->cin_newline = false;
    n = httpparse_request(iobuf_head(&c->cin), c->cin.len, &r);
    if (n == 0)
        return;
    if (n < 0) {
        c->px->st.errors++;
        if (n == HTTP_ERR_TOO_BIG)
            respond(c, 431, "Request Header Fields Too Large",
                    "431 Request Header Fields Too Large", true);
        else if (n == HTTP_ERR_VERSION)
            respond(c, 505, "HTTP Version Not Supported", "505 HTTP Version Not Supported", true);
        else
            respond(c, 400, "Bad Request", "400 Bad Request", true);
        return;
    }
    handle_request(c, &r);
}

/* ---- upstream connection established --------------------------------------------------------- */

static void on_upstream(evloop *loop, int fd, uint32_t events, void *userdata);

static void tunnel_now(hconn *c, const char *reply, size_t reply_len) {
    proxy *px = c->px;
    iobuf to_client = IOBUF_INIT(COUT_MAX + UIN_MAX + 64);
    iobuf to_remote = IOBUF_INIT(UOUT_MAX + CIN_MAX);
    int cfd = c->cfd, ufd = c->ufd, r;

    /* to the client: earlier responses still queued, our reply, then whatever the far side
     * already sent; to the far side: unsent request bytes, then what the client sent after its
     * head (a TLS ClientHello sent without waiting, for instance) */
    r = iobuf_append(&to_client, iobuf_head(&c->cout), c->cout.len);
    if (r == 0)
        r = iobuf_append(&to_client, reply, reply_len);
    if (r == 0)
        r = iobuf_append(&to_client, iobuf_head(&c->uin), c->uin.len);
    if (r == 0)
        r = iobuf_append(&to_remote, iobuf_head(&c->uout), c->uout.len);
    if (r == 0)
        r = iobuf_append(&to_remote, iobuf_head(&c->cin), c->cin.len);
    if (r < 0) {
        iobuf_free(&to_client);
        iobuf_free(&to_remote);
        release(c, true);
        return;
    }
    (void) evloop_del(px->loop, cfd);
    if (c->uregistered)
        (void) evloop_del(px->loop, ufd);
    c->uregistered = false;
    c->cfd = c->ufd = -1;
    if (proxy_tunnel(px, cfd, ufd, iobuf_head(&to_remote), to_remote.len, iobuf_head(&to_client),
                     to_client.len) < 0)
        px->st.errors++;
    iobuf_free(&to_client);
    iobuf_free(&to_remote);
    release(c, false);
}

static void send_upstream_connect(hconn *c) {
    int r;

    if (c->port == 0)
        c->port = 443;
    r = iobuf_printf(&c->uout, "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n",
                     strchr(c->host, ':') ? "[" : "", c->host, strchr(c->host, ':') ? "]" : "",
                     c->port, strchr(c->host, ':') ? "[" : "", c->host,
                     strchr(c->host, ':') ? "]" : "", c->port);
    if (r == 0 && c->px->up_auth[0])
        r = iobuf_printf(&c->uout, "Proxy-Authorization: %s\r\n", c->px->up_auth);
    if (r == 0)
        r = iobuf_append(&c->uout, "\r\n", 2);
    if (r < 0) {
        release(c, true);
        return;
    }
    c->state = HS_UPCONNECT;
    arm(c, c->px->opt.connect_timeout_ms);
}

static void on_dial(void *userdata, const dial_result *res) {
    hconn *c = userdata;
    static const char established[] = "HTTP/1.1 200 Connection Established\r\n\r\n";

    c->dial = NULL;
    proxy_log_dial(c->px, "http", c->via_upstream ? c->px->up_host : c->host,
                   c->via_upstream ? c->px->up_port : c->port, res);
    if (res->status == DIAL_BLOCKED) {
        close_upstream(c); /* drops the request head queued for it */
        deny(c);
        process(c);
        return;
    }
    if (res->status != DIAL_OK) {
        bad_gateway(c, c->via_upstream ? PROXY_UPSTREAM_ERROR : PROXY_ERROR, "Bad Gateway\n");
        process(c);
        return;
    }
    c->ufd = res->fd;
    if (evloop_add(c->px->loop, c->ufd, 0, on_upstream, c) < 0) {
        release(c, true);
        return;
    }
    c->uregistered = true;
    c->umask = 0;
    if (c->is_connect && !c->via_upstream) {
        log_request(c, PROXY_ALLOWED, 200);
        tunnel_now(c, established, sizeof(established) - 1);
        return;
    }
    if (c->is_connect) {
        send_upstream_connect(c);
        process(c);
        return;
    }
    start_exchange(c);
    process(c);
}

/* ---- the exchange ---------------------------------------------------------------------------- */

/* Moves body bytes from src to dst, as many as the framing and dst's room allow (an
 * until-close body ends at the source's EOF, which the caller reports). Returns 1 when bytes
 * moved, 0 when none could, -1 on bad chunked framing. */
static int body_pump(hconn *c, hbody *b, iobuf *src, iobuf *dst) {
    int moved = 0;

    while (!b->done && src->len > 0 && iobuf_room(dst) > 0) {
        size_t n = src->len < iobuf_room(dst) ? src->len : iobuf_room(dst);

        if (b->kind == HTTP_BODY_LENGTH) {
            if (n > b->left)
                n = (size_t) b->left;
            b->left -= n;
            b->done = b->left == 0;
        } else if (b->kind == HTTP_BODY_CHUNKED) {
            ssize_t k = httpparse_chunked(&b->chunk, iobuf_head(src), n, &b->done);

            if (k < 0)
                return -1;
            n = (size_t) k;
        }
        if (iobuf_move(dst, src, n) < 0)
            return -1;
        touch(c, c->px->opt.idle_timeout_ms);
        moved = 1;
    }
    return moved;
}

/* Request body: cin -> uout. Returns -1 on bad chunked framing. */
static int pump_request(hconn *c) {
    bool was_done = c->reqb.done;

    if (body_pump(c, &c->reqb, &c->cin, &c->uout) < 0)
        return -1;
    if (c->reqb.done && !was_done && !c->resp_head)
        arm(c, c->px->opt.response_timeout_ms);
    return 0;
}

static int append_response_head(hconn *c, const http_response *r) {
    iobuf *o = &c->cout;
    int e = 0;

    e |= iobuf_printf(o, "HTTP/1.1 %d ", r->status);
    e |= iobuf_append(o, r->reason.p, r->reason.n);
    e |= iobuf_append(o, "\r\n", 2);
    for (size_t i = 0; i < r->nheaders; i++) {
        const http_header *h = &r->headers[i];

        if (http_is_hop_by_hop(r->headers, r->nheaders, h->name) &&
            !(r->status == 101 && http_str_caseeq(h->name, "Upgrade")))
            continue;
        if (c->resp.body == HTTP_BODY_CHUNKED && http_str_caseeq(h->name, "Content-Length"))
            continue;
        e |= iobuf_append(o, h->name.p, h->name.n);
        e |= iobuf_append(o, ": ", 2);
        e |= iobuf_append(o, h->value.p, h->value.n);
        e |= iobuf_append(o, "\r\n", 2);
    }
    if (r->status == 101)
        e |= iobuf_append(o, "Connection: Upgrade\r\n", 21);
    else if (r->status >= 200 && c->close_after)
        e |= iobuf_append(o, "Connection: close\r\n", 19);
    e |= iobuf_append(o, "\r\n", 2);
    return e ? -ENOBUFS : 0;
}

/* Parses a response head from uin. Returns 1 when handled, 0 to wait, -1 after failing. */
static int response_head(hconn *c) {
    http_response r;
    int n = httpparse_response(iobuf_head(&c->uin), c->uin.len, &r);
    http_str method = {c->method, strlen(c->method)};

    if (n == 0 && !c->up_eof)
        return 0;
    if (n <= 0 || httpparse_response_framing(&r, method, &c->resp) < 0) {
        bad_gateway(c, c->via_upstream ? PROXY_UPSTREAM_ERROR : PROXY_ERROR, "Bad Gateway\n");
        return -1;
    }
    if (c->resp.interim) {
        /* 100 Continue and friends: relay and wait for the real answer */
        c->close_after = false;
        if (append_response_head(c, &r) < 0) {
            release(c, true);
            return -1;
        }
        iobuf_consume(&c->uin, (size_t) n);
        return 1;
    }
    c->status = r.status;
    if (c->resp.upgrade && !c->req.upgrade) {
        bad_gateway(c, PROXY_ERROR, "Bad Gateway\n");
        return -1;
    }
    c->close_after = !c->req.keep_alive || c->resp.body == HTTP_BODY_UNTIL_CLOSE;
    if (append_response_head(c, &r) < 0) {
        bad_gateway(c, PROXY_ERROR, "Bad Gateway\n");
        return -1;
    }
    iobuf_consume(&c->uin, (size_t) n);
    c->resp_head = true;
    body_start(&c->respb, &c->resp);
    touch(c, c->px->opt.idle_timeout_ms);
    if (c->resp.upgrade) {
        log_request(c, c->via_upstream ? PROXY_UPSTREAM_OK : PROXY_ALLOWED, 101);
        tunnel_now(c, "", 0);
        return -1;
    }
    return 1;
}

/* Response body: uin -> cout. Returns -1 on bad framing. */
static int pump_response(hconn *c) {
    if (body_pump(c, &c->respb, &c->uin, &c->cout) < 0)
        return -1;
    if (!c->respb.done && c->respb.kind == HTTP_BODY_UNTIL_CLOSE && c->up_eof && c->uin.len == 0)
        c->respb.done = true;
    return 0;
}

static void next_request(hconn *c) {
    bool reusable = c->resp.keep_alive && c->reqb.done && c->uin.len == 0 && !c->up_eof &&
                    c->resp.body != HTTP_BODY_UNTIL_CLOSE;

    log_request(c, c->via_upstream ? PROXY_UPSTREAM_OK : PROXY_ALLOWED, c->status);
    if (reusable) {
        c->up_idle = true;
    } else {
        close_upstream(c);
    }
    if (c->close_after || !c->reqb.done) {
        begin_closing(c);
        return;
    }
    await_request(c);
}

static void exchange(hconn *c) {
    if (pump_request(c) < 0) {
        release(c, true);
        return;
    }
    while (!c->resp_head && (c->uin.len > 0 || c->up_eof)) {
        /* loops over interim (1xx) responses to the final one */
        if (response_head(c) <= 0 || c->closed || c->state != HS_EXCHANGE)
            return;
    }
    if (!c->resp_head)
        return;
    if (pump_response(c) < 0) {
        release(c, true);
        return;
    }
    if (!c->respb.done) {
        if (c->up_eof && c->uin.len == 0)
            release(c, true); /* truncated body: the client must see the connection drop */
        return;
    }
    next_request(c);
}

static void upconnect(hconn *c) {
    static const char established[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
    http_response r;
    int n = httpparse_response(iobuf_head(&c->uin), c->uin.len, &r);

    if (n == 0 && !c->up_eof)
        return;
    if (n <= 0) {
        bad_gateway(c, PROXY_UPSTREAM_ERROR, "Bad Gateway\n");
        return;
    }
    iobuf_consume(&c->uin, (size_t) n);
    if (r.status != 200) {
        c->px->st.blocked++;
        log_request(c, PROXY_UPSTREAM_DENIED, r.status);
        close_upstream(c);
        respond(c, 403, "Forbidden", "Upstream proxy denied connection\n", !c->req.keep_alive);
        return;
    }
    log_request(c, PROXY_UPSTREAM_OK, 200);
    tunnel_now(c, established, sizeof(established) - 1);
}

/* ---- I/O ------------------------------------------------------------------------------------- */

static void update_masks(hconn *c) {
    uint32_t cm = 0, um = 0;

    if (!c->client_eof && (c->state == HS_CLOSING || iobuf_room(&c->cin) > 0))
        cm |= EPOLLIN;
    if (c->cout.len > 0)
        cm |= EPOLLOUT;
    if (cm != c->cmask && evloop_mod(c->px->loop, c->cfd, cm) == 0)
        c->cmask = cm;
    if (!c->uregistered)
        return;
    if (!c->up_eof && iobuf_room(&c->uin) > 0)
        um |= EPOLLIN;
    if (c->uout.len > 0)
        um |= EPOLLOUT;
    if (um != c->umask && evloop_mod(c->px->loop, c->ufd, um) == 0)
        c->umask = um;
}

/* Reads what the client sent. Returns -1 when the connection was released. */
static int read_client(hconn *c) {
    bool more = true;

    for (int i = 0; i < READS_PER_EVENT && !c->client_eof && more; i++) {
        size_t before = c->cin.len;
        ssize_t n = iobuf_read(&c->cin, c->cfd, &more);

        if (n == -EAGAIN || n == -ENOBUFS)
            break;
        if (n < 0) {
            /* -ENOMEM: the memory budget is spent even after shedding idle connections */
            if (n == -ENOMEM && c->state == HS_HEAD && c->cout.len == 0)
                proxy_send_busy(c->cfd);
            release(c, true);
            return -1;
        }
        if (n == 0) {
            c->client_eof = true;
            break;
        }
        if (c->state == HS_CLOSING) {
            iobuf_consume(&c->cin, c->cin.len); /* lingering: discard */
            continue;
        }
        if (memchr(iobuf_head(&c->cin) + before, '\n', (size_t) n))
            c->cin_newline = true;
    }
    return 0;
}

static int read_upstream(hconn *c) {
    bool more = true;

    for (int i = 0; i < READS_PER_EVENT && !c->up_eof && more; i++) {
        ssize_t n = iobuf_read(&c->uin, c->ufd, &more);

        if (n == -EAGAIN || n == -ENOBUFS)
            break;
        if (n <= 0) {
            c->up_eof = true; /* an error ends the stream just like EOF does */
            break;
        }
    }
    if (c->up_idle && (c->up_eof || c->uin.len > 0))
        close_upstream(c); /* an idle origin closed, or sent something unasked */
    return 0;
}

/* Sends what is queued. Returns -1 when the connection was released. */
static int flush(hconn *c) {
    ssize_t n;

    while (c->cout.len > 0) {
        n = iobuf_write(&c->cout, c->cfd);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            release(c, true);
            return -1;
        }
    }
    while (c->uregistered && c->uout.len > 0) {
        n = iobuf_write(&c->uout, c->ufd);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            c->up_eof = true;
            iobuf_consume(&c->uout, c->uout.len);
            break;
        }
    }
    return 0;
}

static void on_kick(evloop *loop, evloop_timer *t, void *userdata) {
    hconn *c = userdata;

    (void) loop;
    (void) t;
    c->kick = NULL;
    process(c);
}

/* One protocol step in the current state. */
static void step(hconn *c) {
    switch (c->state) {
    case HS_HEAD:
        if (c->cin.len > 0 && !c->head_started) {
            c->head_started = true;
            if (c->deadline > evloop_now(c->px->loop) + c->px->opt.header_timeout_ms)
                arm(c, c->px->opt.header_timeout_ms);
        }
        parse_head(c);
        if (!c->closed && c->state == HS_HEAD && c->client_eof)
            begin_closing(c); /* nothing (or half a head) and no more to come */
        break;
    case HS_DIAL:
        break;
    case HS_UPCONNECT:
        upconnect(c);
        break;
    case HS_EXCHANGE:
        if (c->client_eof && !c->reqb.done && c->cin.len == 0) {
            release(c, true); /* the request body was cut short */
            return;
        }
        exchange(c);
        break;
    case HS_CLOSING:
        if (c->cout.len == 0) {
            (void) shutdown(c->cfd, SHUT_WR);
            if (c->client_eof)
                release(c, true);
        }
        break;
    }
}

static void process(hconn *c) {
    for (int i = 0; !c->closed; i++) {
        hstate before = c->state;
        size_t cin = c->cin.len, uin = c->uin.len, cout = c->cout.len, uout = c->uout.len;

        if (i == STEPS_PER_WAKEUP) {
            /* many pipelined requests: let other connections run, continue from the loop */
            if (!c->kick)
                c->kick = evloop_timer_add(c->px->loop, 0, on_kick, c);
            if (!c->kick)
                release(c, true);
            break;
        }
        step(c);
        if (c->closed || flush(c) < 0)
            return;
        if (c->state == before && c->cin.len == cin && c->uin.len == uin && c->cout.len == cout &&
            c->uout.len == uout)
            break;
    }
    if (!c->closed)
        update_masks(c);
}

static void on_event(hconn *c, uint32_t events, int (*reader)(hconn *c)) {
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) && reader(c) < 0)
        return;
    if (flush(c) < 0)
        return;
    process(c);
}

static void on_client(evloop *loop, int fd, uint32_t events, void *userdata) {
    (void) loop;
    (void) fd;
    on_event(userdata, events, read_client);
}

static void on_upstream(evloop *loop, int fd, uint32_t events, void *userdata) {
    (void) loop;
    (void) fd;
    on_event(userdata, events, read_upstream);
}

static void on_timer(evloop *loop, evloop_timer *t, void *userdata) {
    hconn *c = userdata;
    uint64_t now = evloop_now(loop);

    (void) t;
    c->timer = NULL;
    if (now < c->deadline) {
        arm_at(c, c->deadline);
        return;
    }
    switch (c->state) {
    case HS_UPCONNECT:
        bad_gateway(c, PROXY_UPSTREAM_ERROR, "Bad Gateway\n");
        process(c);
        return;
    case HS_EXCHANGE:
        if (!c->resp_head) {
            bad_gateway(c, c->via_upstream ? PROXY_UPSTREAM_ERROR : PROXY_ERROR, "Bad Gateway\n");
            process(c);
            return;
        }
        break;
    default:
        break;
    }
    release(c, true);
}

int http_conn_new(proxy *px, int fd) {
    hconn *c = calloc(1, sizeof(*c));
    int r;

    if (!c) {
        safe_close(fd);
        return -ENOMEM;
    }
    c->px = px;
    c->cfd = fd;
    c->ufd = -1;
    c->cin = IOBUF_INIT_BUDGET(CIN_MAX, &px->mem, &c->base);
    c->cout = IOBUF_INIT_BUDGET(COUT_MAX, &px->mem, &c->base);
    c->uin = IOBUF_INIT_BUDGET(UIN_MAX, &px->mem, &c->base);
    c->uout = IOBUF_INIT_BUDGET(UOUT_MAX, &px->mem, &c->base);
    c->wait_since = evloop_now(px->loop);
    c->base.abort = hconn_abort;
    c->base.shed_bytes = hconn_shed_bytes;
    r = evloop_add(px->loop, fd, EPOLLIN, on_client, c);
    if (r < 0) {
        safe_close(fd);
        free(c);
        return r;
    }
    c->cmask = EPOLLIN;
    proxy_conn_link(px, &c->base);
    arm(c, px->opt.header_timeout_ms); /* from accept, as Go's ReadHeaderTimeout */
    return c->closed ? -ENOMEM : 0;
}
