/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the proxy tests, all on one evloop in one thread: HTTP and echo origins on
 * loopback, a fake DNS server (UDP) whose answers and silence the test controls, and client
 * helpers that pump the loop while they wait, so that the proxy under test, the origins and the
 * client make progress together without threads or sleeps.
 */
#pragma once

/* Each test uses the helpers it needs. */
#pragma GCC diagnostic ignored "-Wunused-function"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime/evloop.h"
#include "runtime/httpparse.h"
#include "runtime/iobuf.h"

#define H_TIMEOUT_MS 5000

static uint64_t h_now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static int h_listen(int family, uint16_t *ret_port) {
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET) {
        struct sockaddr_in *sa = (struct sockaddr_in *) &ss;

        sa->sin_family = AF_INET;
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*sa);
    } else {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *) &ss;

        sa->sin6_family = AF_INET6;
        sa->sin6_addr = in6addr_loopback;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        len = sizeof(*sa);
    }
    if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 1024) < 0) {
        close(fd);
        return -1;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *) &ss, &len);
    *ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port
                                        : ((struct sockaddr_in6 *) &ss)->sin6_port);
    return fd;
}

/* ---- origins --------------------------------------------------------------------------------- */

typedef enum origin_kind { ORIGIN_HTTP, ORIGIN_ECHO } origin_kind;

typedef struct origin {
    evloop *loop;
    origin_kind kind;
    int lfd;
    uint16_t port;
    unsigned accepted;
    unsigned open;
    unsigned requests;
    char last_head[4096]; /* the last request head received (HTTP) */
} origin;

typedef struct oconn {
    origin *o;
    int fd;
    iobuf in, out;
    bool echo; /* raw echo (echo origin, or after a 101) */
    bool close_after;
    bool eof;
    bool dead;
} oconn;

static void oconn_close(oconn *c) {
    if (c->dead)
        return;
    c->dead = true;
    evloop_del(c->o->loop, c->fd);
    close(c->fd);
    c->o->open--;
    iobuf_free(&c->in);
    iobuf_free(&c->out);
    evloop_defer(c->o->loop, free, c);
}

static void oconn_queue(oconn *c, const void *p, size_t n) {
    if (iobuf_append(&c->out, p, n) < 0)
        abort();
}

static void oconn_queue_str(oconn *c, const char *s) {
    oconn_queue(c, s, strlen(s));
}

/* Serves the HTTP requests in c->in; returns false to wait for more input. */
static bool origin_http_step(oconn *c) {
    http_request r;
    http_framing f;
    int n = httpparse_request(iobuf_head(&c->in), c->in.len, &r);
    char head[512];
    const char *path;
    size_t body_len = 0, used;

    if (n <= 0)
        return false;
    if (httpparse_request_framing(&r, &f) < 0)
        abort();
    used = (size_t) n;
    if (f.body == HTTP_BODY_LENGTH) {
        if (c->in.len < used + f.length)
            return false;
        body_len = (size_t) f.length;
    } else if (f.body == HTTP_BODY_CHUNKED) {
        http_chunked ch = {0};
        bool done = false;
        ssize_t k = httpparse_chunked(&ch, iobuf_head(&c->in) + used, c->in.len - used, &done);

        if (k < 0)
            abort();
        if (!done)
            return false;
        body_len = (size_t) k;
    }
    c->o->requests++;
    snprintf(c->o->last_head, sizeof(c->o->last_head), "%.*s", n, iobuf_head(&c->in));
    path = r.target.p;
#define PATH_IS(p) (r.target.n == strlen(p) && memcmp(path, p, strlen(p)) == 0)
    if (PATH_IS("/hello")) {
        oconn_queue_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Origin: yes\r\n\r\nhello");
    } else if (PATH_IS("/redirect")) {
        const char *resp = "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.test/\r\n"
                           "Content-Length: 0\r\n\r\n";
        oconn_queue(c, resp, strlen(resp));
    } else if (PATH_IS("/chunked")) {
        const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n";
        oconn_queue(c, resp, strlen(resp));
    } else if (PATH_IS("/echo")) {
        if (f.body == HTTP_BODY_CHUNKED) {
            snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        } else {
            snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                     body_len);
        }
        oconn_queue(c, head, strlen(head));
        oconn_queue(c, iobuf_head(&c->in) + used, body_len);
    } else if (PATH_IS("/headers")) {
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n);
        oconn_queue(c, head, strlen(head));
        oconn_queue(c, iobuf_head(&c->in), (size_t) n);
    } else if (PATH_IS("/close")) {
        oconn_queue_str(c, "HTTP/1.1 200 OK\r\n\r\nuntil-close");
        c->close_after = true;
    } else if (PATH_IS("/continue")) {
        oconn_queue_str(c, "HTTP/1.1 100 Continue\r\n\r\n");
        oconn_queue_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    } else if (PATH_IS("/ws")) {
        const char *resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\n\r\n";
        oconn_queue(c, resp, strlen(resp));
        c->echo = true;
    } else if (PATH_IS("/big")) {
        size_t big = 4u << 20;
        char *body = malloc(big);

        for (size_t i = 0; i < big; i++)
            body[i] = (char) ('a' + i % 23);
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", big);
        oconn_queue(c, head, strlen(head));
        oconn_queue(c, body, big);
        free(body);
    } else if (PATH_IS("/slow")) {
        /* never answers */
    } else {
        oconn_queue_str(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
#undef PATH_IS
    iobuf_consume(&c->in, used + body_len);
    return !c->echo && !c->close_after;
}

static void oconn_flush(oconn *c) {
    while (c->out.len > 0) {
        ssize_t n = iobuf_write(&c->out, c->fd);

        if (n == -EAGAIN)
            break;
        if (n < 0) {
            oconn_close(c);
            return;
        }
    }
    if (c->out.len == 0 && c->close_after) {
        oconn_close(c);
        return;
    }
    if (c->out.len == 0 && c->eof && c->echo)
        shutdown(c->fd, SHUT_WR); /* half-close passes through */
    evloop_mod(c->o->loop, c->fd,
               (c->eof ? 0 : EPOLLIN) | (c->out.len ? EPOLLOUT : 0) | EPOLLRDHUP);
}

static void on_oconn(evloop *loop, int fd, uint32_t events, void *userdata) {
    oconn *c = userdata;

    (void) loop;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        for (;;) {
            ssize_t n = iobuf_read(&c->in, fd, NULL);

            if (n == -EAGAIN || n == -ENOBUFS)
                break;
            if (n <= 0) {
                c->eof = true;
                break;
            }
        }
    }
    if (c->echo && c->in.len) {
        oconn_queue(c, iobuf_head(&c->in), c->in.len);
        iobuf_consume(&c->in, c->in.len);
    }
    while (!c->echo && origin_http_step(c))
        ;
    if (c->echo && c->in.len) {
        oconn_queue(c, iobuf_head(&c->in), c->in.len);
        iobuf_consume(&c->in, c->in.len);
    }
    if (c->eof && c->out.len == 0) {
        oconn_close(c);
        return;
    }
    oconn_flush(c);
}

static void on_origin_accept(evloop *loop, int fd, uint32_t events, void *userdata) {
    origin *o = userdata;

    (void) events;
    for (;;) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        oconn *c;

        if (cfd < 0)
            return;
        c = calloc(1, sizeof(*c));
        c->o = o;
        c->fd = cfd;
        c->in = IOBUF_INIT(64u << 20);
        c->out = IOBUF_INIT(64u << 20);
        c->echo = o->kind == ORIGIN_ECHO;
        o->accepted++;
        o->open++;
        evloop_add(loop, cfd, EPOLLIN | EPOLLRDHUP, on_oconn, c);
    }
}

static int origin_start(origin *o, evloop *loop, origin_kind kind, int family) {
    *o = (origin){.loop = loop, .kind = kind};
    o->lfd = h_listen(family, &o->port);
    if (o->lfd < 0)
        return -1;
    return evloop_add(loop, o->lfd, EPOLLIN, on_origin_accept, o);
}

static void origin_stop(origin *o) {
    evloop_del(o->loop, o->lfd);
    close(o->lfd);
}

/* ---- fake DNS server ------------------------------------------------------------------------- */

typedef struct fake_dns {
    evloop *loop;
    int fd;
    uint16_t port;
    unsigned queries;
    char last_name[256];
    struct {
        const char *name;
        const char *a; /* dotted IPv4, or NULL: never answer (blackhole) */
    } records[8];
    size_t nrecords;
} fake_dns;

static void on_dns_query(evloop *loop, int fd, uint32_t events, void *userdata) {
    fake_dns *d = userdata;

    (void) loop;
    (void) events;
    for (;;) {
        uint8_t q[512], resp[600];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *) &from, &flen);
        size_t pos = 12, name_len = 0, qend;
        uint16_t qtype;
        int found = -1;

        if (n < 12)
            return;
        /* question name */
        while (pos < (size_t) n && q[pos] != 0) {
            size_t l = q[pos];

            if (pos + 1 + l > (size_t) n || name_len + l + 1 >= sizeof(d->last_name))
                goto next;
            if (name_len)
                d->last_name[name_len++] = '.';
            memcpy(d->last_name + name_len, q + pos + 1, l);
            name_len += l;
            pos += 1 + l;
        }
        d->last_name[name_len] = '\0';
        if (pos + 5 > (size_t) n)
            goto next;
        qtype = (uint16_t) (q[pos + 1] << 8 | q[pos + 2]);
        qend = pos + 5;
        d->queries++;
        for (size_t i = 0; i < d->nrecords; i++)
            if (strcasecmp(d->records[i].name, d->last_name) == 0)
                found = (int) i;
        if (found >= 0 && !d->records[found].a)
            goto next; /* blackhole: never answer */
        memcpy(resp, q, qend);
        resp[2] = 0x81;                    /* QR, RD */
        resp[3] = found < 0 ? 0x83 : 0x80; /* RA; NXDOMAIN when unknown */
        resp[4] = 0, resp[5] = 1;          /* QDCOUNT */
        resp[6] = resp[7] = resp[8] = resp[9] = resp[10] = resp[11] = 0;
        if (found >= 0 && qtype == 1) {
            uint8_t *a = resp + qend;
            struct in_addr ip;

            inet_pton(AF_INET, d->records[found].a, &ip);
            resp[7] = 1;                             /* ANCOUNT */
            a[0] = 0xc0, a[1] = 12;                  /* name: pointer to the question */
            a[2] = 0, a[3] = 1;                      /* A */
            a[4] = 0, a[5] = 1;                      /* IN */
            a[6] = 0, a[7] = 0, a[8] = 0, a[9] = 30; /* TTL */
            a[10] = 0, a[11] = 4;
            memcpy(a + 12, &ip, 4);
            qend += 16;
        }
        sendto(fd, resp, qend, 0, (struct sockaddr *) &from, flen);
    next:;
    }
}

static int fake_dns_start(fake_dns *d, evloop *loop) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);

    d->loop = loop;
    d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->fd < 0 || bind(d->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return -1;
    getsockname(d->fd, (struct sockaddr *) &sa, &len);
    d->port = ntohs(sa.sin_port);
    return evloop_add(loop, d->fd, EPOLLIN, on_dns_query, d);
}

static void fake_dns_add(fake_dns *d, const char *name, const char *a) {
    d->records[d->nrecords].name = name;
    d->records[d->nrecords].a = a;
    d->nrecords++;
}

static void fake_dns_stop(fake_dns *d) {
    evloop_del(d->loop, d->fd);
    close(d->fd);
}

/* ---- clients --------------------------------------------------------------------------------- */

/* Bytes a reader took from a socket beyond what it returned (the next response of a pipelined
 * exchange), indexed by fd; cleared when h_connect() returns that fd number again. */
#define H_STASH_FDS 4096
static iobuf h_stash[H_STASH_FDS];

static void h_stash_put(int fd, const char *p, size_t n) {
    if (fd < 0 || fd >= H_STASH_FDS || n == 0)
        return;
    if (h_stash[fd].max == 0)
        h_stash[fd] = IOBUF_INIT(64u << 20);
    iobuf_append(&h_stash[fd], p, n);
}

static size_t h_stash_take(int fd, void *buf, size_t n) {
    if (fd < 0 || fd >= H_STASH_FDS || h_stash[fd].len == 0)
        return 0;
    if (n > h_stash[fd].len)
        n = h_stash[fd].len;
    memcpy(buf, iobuf_head(&h_stash[fd]), n);
    iobuf_consume(&h_stash[fd], n);
    return n;
}

static void h_stash_clear(int fd) {
    if (fd >= 0 && fd < H_STASH_FDS)
        iobuf_free(&h_stash[fd]);
}

static int h_connect(int family, uint16_t port) {
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (family == AF_INET) {
        struct sockaddr_in *sa = (struct sockaddr_in *) &ss;

        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*sa);
    } else {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *) &ss;

        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(port);
        sa->sin6_addr = in6addr_loopback;
        len = sizeof(*sa);
    }
    if (connect(fd, (struct sockaddr *) &ss, len) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    h_stash_clear(fd);
    return fd;
}

/* Sends everything, pumping the loop while the socket is full. */
static int h_send(evloop *loop, int fd, const void *p, size_t n) {
    const char *s = p;
    uint64_t end = h_now_ms() + H_TIMEOUT_MS;

    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (k > 0) {
            s += k;
            n -= (size_t) k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != ENOTCONN)
            return -errno;
        if (h_now_ms() > end)
            return -ETIMEDOUT;
        evloop_run_once(loop, 5);
    }
    return 0;
}

static int h_send_str(evloop *loop, int fd, const char *s) {
    return h_send(loop, fd, s, strlen(s));
}

/* Reads up to n bytes (at least one), pumping the loop. Returns bytes, 0 at EOF, -errno. */
static ssize_t h_recv(evloop *loop, int fd, void *buf, size_t n, int timeout_ms) {
    uint64_t end = h_now_ms() + (uint64_t) timeout_ms;
    size_t stashed = h_stash_take(fd, buf, n);

    if (stashed > 0)
        return (ssize_t) stashed;
    for (;;) {
        ssize_t k = recv(fd, buf, n, MSG_DONTWAIT);

        if (k >= 0)
            return k;
        if (errno != EAGAIN)
            return -errno;
        if (h_now_ms() > end)
            return -ETIMEDOUT;
        evloop_run_once(loop, 5);
    }
}

/* Reads exactly n bytes. */
static int h_recv_all(evloop *loop, int fd, void *buf, size_t n) {
    char *p = buf;

    while (n > 0) {
        ssize_t k = h_recv(loop, fd, p, n, H_TIMEOUT_MS);

        if (k <= 0)
            return k == 0 ? -EPIPE : (int) k;
        p += k;
        n -= (size_t) k;
    }
    return 0;
}

/* Reads one HTTP response (head + body by its framing, or until EOF) into a malloc'd,
 * NUL-terminated string. Interim 1xx responses are included. NULL on timeout. */
static char *h_read_response(evloop *loop, int fd, const char *method, size_t *ret_len) {
    iobuf b = IOBUF_INIT(64u << 20);
    size_t start = 0;
    char *out;

    for (;;) {
        http_response r;
        http_framing f;
        int n = httpparse_response(iobuf_head(&b) + start, b.len - start, &r);

        if (n > 0) {
            size_t body_end = 0;
            bool complete = false;

            httpparse_response_framing(&r, (http_str){method, strlen(method)}, &f);
            if (f.interim) {
                start += (size_t) n;
                continue;
            }
            if (f.body == HTTP_BODY_NONE) {
                complete = true;
                body_end = start + (size_t) n;
            } else if (f.body == HTTP_BODY_LENGTH && b.len - start - (size_t) n >= f.length) {
                complete = true;
                body_end = start + (size_t) n + f.length;
            } else if (f.body == HTTP_BODY_CHUNKED) {
                http_chunked ch = {0};
                bool done = false;
                ssize_t k = httpparse_chunked(&ch, iobuf_head(&b) + start + n,
                                              b.len - start - (size_t) n, &done);

                if (k >= 0 && done) {
                    complete = true;
                    body_end = start + (size_t) n + (size_t) k;
                }
            }
            if (complete) {
                h_stash_put(fd, iobuf_head(&b) + body_end, b.len - body_end);
                out = malloc(body_end + 1);
                memcpy(out, iobuf_head(&b), body_end);
                out[body_end] = '\0';
                if (ret_len)
                    *ret_len = body_end;
                iobuf_free(&b);
                return out;
            }
        }
        {
            char tmp[65536];
            ssize_t k = h_recv(loop, fd, tmp, sizeof(tmp), H_TIMEOUT_MS);

            if (k < 0) {
                iobuf_free(&b);
                return NULL;
            }
            if (k == 0) {
                out = malloc(b.len + 1);
                memcpy(out, iobuf_head(&b), b.len);
                out[b.len] = '\0';
                if (ret_len)
                    *ret_len = b.len;
                iobuf_free(&b);
                return out;
            }
            iobuf_append(&b, tmp, (size_t) k);
        }
    }
}

/* Waits until the peer closes (EOF or reset), discarding data. Returns 0 or -ETIMEDOUT. */
static int h_wait_closed(evloop *loop, int fd, int timeout_ms) {
    char tmp[4096];
    uint64_t end = h_now_ms() + (uint64_t) timeout_ms;

    for (;;) {
        ssize_t k = h_recv(loop, fd, tmp, sizeof(tmp), timeout_ms);

        if (k == 0 || (k < 0 && k != -ETIMEDOUT))
            return 0;
        if (k < 0 || h_now_ms() > end)
            return -ETIMEDOUT;
    }
}

/* Runs the loop until cond(arg) or the timeout; returns cond's last value. */
static bool h_run_until(evloop *loop, bool (*cond)(void *), void *arg, int timeout_ms) {
    uint64_t end = h_now_ms() + (uint64_t) timeout_ms;

    while (!cond(arg)) {
        if (h_now_ms() > end)
            return false;
        evloop_run_once(loop, 5);
    }
    return true;
}
