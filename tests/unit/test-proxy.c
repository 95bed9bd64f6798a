/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the proxy module with real sockets on loopback: the HTTP proxy (§6.2: CONNECT,
 * absolute-form with bodies, keep-alive, upgrades, the exact 403/502 answers, limits, timeouts),
 * the SOCKS5 proxy (§6.3 reply codes, rule before DNS), the upstream proxy of §6.4, the SSRF /
 * rebinding guard, the §6.7 log lines, the resolver (fake DNS server, /etc/hosts, a silent
 * server that must not stall other connections), tunnels (half-close, splice), the connection
 * cap, and that closed connections give back every fd and registration.
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config/config.h"
#include "proxy-harness.h"
#include "runtime/dns.h"
#include "runtime/proxy.h"
#include "runtime/proxy_int.h"
#include "runtime/socks5.h"
#include "util/cleanup.h"
#include "util/error.h"

#define BODY_403 "Connection blocked by network allowlist\n"

/* ---- log capture ----------------------------------------------------------------------------- */

#define MAX_LINES 512
static char *lines[MAX_LINES];
static size_t nlines;

static void capture(void *userdata, const char *line) {
    (void) userdata;
    if (nlines < MAX_LINES)
        lines[nlines++] = strdup(line);
}

static void lines_clear(void) {
    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    nlines = 0;
}

/* Index of the first captured line containing every one of the NULL-terminated needles. */
static int find_line(const char *first, ...) {
    for (size_t i = 0; i < nlines; i++) {
        va_list ap;
        const char *s = first;
        bool all = true;

        va_start(ap, first);
        while (s) {
            if (!strstr(lines[i], s))
                all = false;
            s = va_arg(ap, const char *);
        }
        va_end(ap);
        if (all)
            return (int) i;
    }
    return -1;
}

static void dump_lines(void) {
    for (size_t i = 0; i < nlines; i++)
        fprintf(stderr, "  log: %s\n", lines[i]);
}

/* ---- fixture --------------------------------------------------------------------------------- */

typedef struct fx {
    evloop *loop;
    origin http, echo, http6;
    fake_dns dns;
    fence_config *cfg;
    proxy *px;
    rlog log;
    uint16_t hport, sport;
    bool have_v6;
} fx;

static fx F;

static int setup(void **state) {
    (void) state;
    memset(&F, 0, sizeof(F));
    lines_clear();
    assert_int_equal(evloop_new(&F.loop), 0);
    assert_int_equal(origin_start(&F.http, F.loop, ORIGIN_HTTP, AF_INET), 0);
    assert_int_equal(origin_start(&F.echo, F.loop, ORIGIN_ECHO, AF_INET), 0);
    F.have_v6 = origin_start(&F.http6, F.loop, ORIGIN_HTTP, AF_INET6) == 0;
    assert_int_equal(fake_dns_start(&F.dns, F.loop), 0);
    fake_dns_add(&F.dns, "public.test", "203.0.113.9"); /* TEST-NET-3: public, unreachable */
    fake_dns_add(&F.dns, "rebind.test", "127.0.0.1");   /* a name that points inside */
    fake_dns_add(&F.dns, "metadata.test", "169.254.169.254");
    fake_dns_add(&F.dns, "origin.test", "127.0.0.1");
    fake_dns_add(&F.dns, "silent.test", NULL); /* never answered */
    F.cfg = fence_config_new();
    F.log = (rlog){.fn = capture, .debug = true};
    return 0;
}

static int teardown(void **state) {
    (void) state;
    proxy_free(F.px);
    origin_stop(&F.http);
    origin_stop(&F.echo);
    if (F.have_v6)
        origin_stop(&F.http6);
    fake_dns_stop(&F.dns);
    /* let deferred frees and closes of the origins run */
    evloop_run_once(F.loop, 0);
    evloop_free(F.loop);
    fence_config_free(F.cfg);
    lines_clear();
    for (int fd = 0; fd < H_STASH_FDS; fd++)
        h_stash_clear(fd);
    return 0;
}

static void allow(const char *p) {
    assert_int_equal(fence_config_list_append_string(F.cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS, p),
                     0);
}

static void deny(const char *p) {
    assert_int_equal(fence_config_list_append_string(F.cfg, FENCE_CFG_NETWORK_DENIED_DOMAINS, p),
                     0);
}

static void start_proxy(const proxy_options *extra) {
    proxy_options o = {0};
    char servers[64];
    fence_error err = {0};
    int fd;

    if (extra)
        o = *extra;
    snprintf(servers, sizeof(servers), "127.0.0.1:%u", F.dns.port);
    o.dns_servers = servers;
    if (proxy_new(F.loop, F.cfg, &F.log, &o, &F.px, &err) < 0)
        fail_msg("proxy_new: %s", err.msg);
    fd = h_listen(AF_INET, &F.hport);
    assert_int_equal(proxy_add_listener(F.px, PROXY_HTTP, fd, &err), 0);
    fd = h_listen(AF_INET, &F.sport);
    assert_int_equal(proxy_add_listener(F.px, PROXY_SOCKS, fd, &err), 0);
    assert_int_equal(proxy_start(F.px, &err), 0);
    assert_int_equal(proxy_listener_port(F.px, PROXY_HTTP), F.hport);
}

/* One request on a new connection; returns the response (malloc'd). */
static char *http_once(const char *request, const char *method) {
    int fd = h_connect(AF_INET, F.hport);
    char *resp;

    assert_true(fd >= 0);
    assert_int_equal(h_send_str(F.loop, fd, request), 0);
    resp = h_read_response(F.loop, fd, method, NULL);
    close(fd);
    return resp;
}

static char *get(const char *url) {
    char req[1024];

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: ignored\r\n\r\n", url);
    return http_once(req, "GET");
}

static void assert_status(const char *resp, int status) {
    char want[32];

    snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
    if (!resp || strncmp(resp, want, strlen(want)) != 0) {
        dump_lines();
        fail_msg("want %d, got: %s", status, resp ? resp : "(nothing)");
    }
}

static void assert_403(char *resp) {
    assert_status(resp, 403);
    assert_non_null(strstr(resp, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(resp, "\r\nX-Content-Type-Options: nosniff\r\n"));
    assert_non_null(strstr(resp, "\r\nContent-Length: 40\r\n"));
    assert_string_equal(strstr(resp, "\r\n\r\n") + 4, BODY_403);
    free(resp);
}

/* ---- HTTP: absolute-form --------------------------------------------------------------------- */

static void test_http_allowed_and_denied(void **state) {
    char url[128];
    char *r;

    (void) state;
    allow("127.0.0.1");
    allow("localhost");
    deny("localhost");
    start_proxy(NULL);

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hello", F.http.port);
    r = get(url);
    assert_status(r, 200);
    assert_non_null(strstr(r, "X-Origin: yes"));
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, "hello");
    free(r);
    assert_true(find_line("[fence:filter] Allowed by rule: 127.0.0.1:", "(matched 127.0.0.1)",
                          NULL) >= 0);
    assert_true(find_line("[fence:http] ", " \u2713 GET     200 127.0.0.1 http://127.0.0.1:",
                          "/hello (", NULL) >= 0);

    /* deny wins over allow */
    snprintf(url, sizeof(url), "http://localhost:%u/hello", F.http.port);
    assert_403(get(url));
    assert_true(find_line("[fence:filter] Denied by rule: localhost:", "(matched localhost)",
                          NULL) >= 0);
    assert_true(find_line(" \u2717 GET     403 localhost http://localhost:", NULL) >= 0);

    /* not in the list at all */
    assert_403(get("http://example.org/"));
    assert_true(find_line("[fence:filter] No matching rule, denying: example.org:80", NULL) >= 0);
    assert_int_equal(F.dns.queries, 0); /* denied names are never resolved */
    assert_int_equal(F.http.requests, 1);
}

static void test_http_request_rewrite(void **state) {
    char req[512];
    char *r;
    const char *head;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    snprintf(req, sizeof(req),
             "GET http://127.0.0.1:%u/headers HTTP/1.1\r\n"
             "Host: evil.example\r\n"
             "Proxy-Connection: keep-alive\r\n"
             "Proxy-Authorization: Basic c2VjcmV0\r\n"
             "Connection: X-Hop\r\n"
             "X-Hop: dropped\r\n"
             "Keep-Alive: timeout=5\r\n"
             "X-Kept: yes\r\n"
             "\r\n",
             F.http.port);
    r = http_once(req, "GET");
    assert_status(r, 200);
    head = strstr(r, "\r\n\r\n") + 4;
    /* origin-form request line, Host from the URL, hop-by-hop fields gone */
    assert_true(strncmp(head, "GET /headers HTTP/1.1\r\n", 23) == 0);
    {
        char host[64];

        snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%u\r\n", F.http.port);
        assert_non_null(strstr(head, host));
    }
    assert_null(strstr(head, "evil.example"));
    assert_null(strstr(head, "Proxy-"));
    assert_null(strstr(head, "X-Hop"));
    assert_null(strstr(head, "Keep-Alive"));
    assert_null(strstr(head, "Connection"));
    assert_non_null(strstr(head, "X-Kept: yes"));
    free(r);
}

static void test_http_bodies(void **state) {
    char req[512], url[128];
    char *r, *big;
    size_t len, biglen = 3u << 20;
    int fd;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", F.http.port);

    /* content-length body, echoed */
    snprintf(req, sizeof(req),
             "POST %s/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world", url);
    r = http_once(req, "POST");
    assert_status(r, 200);
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, "hello world");
    free(r);

    /* chunked request body, relayed verbatim and echoed chunked */
    snprintf(req, sizeof(req),
             "PUT %s/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "4\r\nwiki\r\n5;ext\r\npedia\r\n0\r\n\r\n",
             url);
    r = http_once(req, "PUT");
    assert_status(r, 200);
    assert_non_null(strstr(r, "Transfer-Encoding: chunked"));
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, "4\r\nwiki\r\n5;ext\r\npedia\r\n0\r\n\r\n");
    free(r);

    /* chunked response with trailers */
    snprintf(req, sizeof(req), "GET %s/chunked HTTP/1.1\r\nHost: x\r\n\r\n", url);
    r = http_once(req, "GET");
    assert_status(r, 200);
    assert_string_equal(strstr(r, "\r\n\r\n") + 4,
                        "3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n");
    free(r);

    /* a body much larger than any proxy buffer streams through (backpressure both ways) */
    big = malloc(biglen);
    for (size_t i = 0; i < biglen; i++)
        big[i] = (char) (i * 7 + 3);
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "POST %s/echo HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
             url, biglen);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    assert_int_equal(h_send(F.loop, fd, big, biglen), 0);
    r = h_read_response(F.loop, fd, "POST", &len);
    assert_status(r, 200);
    assert_int_equal(len - (size_t) (strstr(r, "\r\n\r\n") + 4 - r), biglen);
    assert_memory_equal(strstr(r, "\r\n\r\n") + 4, big, biglen);
    free(r);
    free(big);

    /* a response much larger than any proxy buffer */
    snprintf(req, sizeof(req), "GET %s/big HTTP/1.1\r\nHost: x\r\n\r\n", url);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    r = h_read_response(F.loop, fd, "GET", &len);
    assert_status(r, 200);
    assert_int_equal(len - (size_t) (strstr(r, "\r\n\r\n") + 4 - r), 4u << 20);
    free(r);

    /* until-close response: the proxy closes the client after it */
    snprintf(req, sizeof(req), "GET %s/close HTTP/1.1\r\nHost: x\r\n\r\n", url);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 200);
    assert_non_null(strstr(r, "Connection: close\r\n"));
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, "until-close");
    free(r);
    close(fd);

    /* 100 Continue is relayed before the final answer */
    snprintf(req, sizeof(req),
             "POST %s/continue HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
             "Content-Length: 2\r\n\r\nhi",
             url);
    r = http_once(req, "POST");
    assert_true(strncmp(r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 42) == 0);
    free(r);

    /* redirects are relayed, never followed */
    snprintf(req, sizeof(req), "GET %s/redirect HTTP/1.1\r\nHost: x\r\n\r\n", url);
    r = http_once(req, "GET");
    assert_status(r, 302);
    assert_non_null(strstr(r, "Location: http://elsewhere.test/"));
    free(r);
    assert_int_equal(F.dns.queries, 0);
}

static void test_http_keepalive_pipelining(void **state) {
    char req[1024];
    char *r;
    int fd;

    (void) state;
    allow("127.0.0.1");
    deny("denied.test");
    start_proxy(NULL);
    fd = h_connect(AF_INET, F.hport);
    /* three pipelined requests in one write, one of them denied in the middle */
    snprintf(req, sizeof(req),
             "GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET http://denied.test/ HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n\r\n",
             F.http.port, F.http.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 200);
    free(r);
    assert_403(h_read_response(F.loop, fd, "GET", NULL));
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 200);
    free(r);
    /* the connection to the origin was kept between the allowed requests */
    assert_int_equal(F.http.accepted, 1);
    assert_int_equal(F.http.requests, 2);
    /* and the client connection is still usable */
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n\r\n",
             F.http.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 200);
    free(r);
    assert_int_equal(F.http.accepted, 1);
    close(fd);
}

static void test_http10_client(void **state) {
    char req[256];
    char *r;
    int fd;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%u/hello HTTP/1.0\r\n\r\n", F.http.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 200);
    assert_non_null(strstr(r, "\r\nConnection: close\r\n"));
    free(r);
    /* forwarded as HTTP/1.0, and the proxy closes after the response */
    assert_non_null(strstr(F.http.last_head, "GET /hello HTTP/1.0\r\n"));
    assert_int_equal(h_wait_closed(F.loop, fd, H_TIMEOUT_MS), 0);
    close(fd);
}

static void test_http_errors(void **state) {
    static const struct {
        const char *request;
        int status;
    } cases[] = {
            {"GET /relative HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400},
            {"GET http://user@127.0.0.1/ HTTP/1.1\r\n\r\n", 400},
            {"GET ftp://127.0.0.1/ HTTP/1.1\r\n\r\n", 400},
            {"GARBAGE\r\n\r\n", 400},
            {"GET http://127.0.0.1/ HTTP/2.0\r\n\r\n", 505},
            {"POST http://127.0.0.1/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
            {"POST http://127.0.0.1/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
             "Content-Length: 1\r\n\r\n",
             400},
            {"GET https://127.0.0.1/ HTTP/1.1\r\n\r\n", 501},
            {"CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n", 400},
            {"CONNECT [::1 HTTP/1.1\r\n\r\n", 400},
            {"GET http://exa_mple..com/ HTTP/1.1\r\n\r\n", 400},
    };
    char *big;
    char *r;

    (void) state;
    allow("*");
    start_proxy(NULL);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        r = http_once(cases[i].request, "GET");
        assert_status(r, cases[i].status);
        free(r);
    }
    /* a head over HTTP_HEAD_MAX gets 431 */
    big = malloc(HTTP_HEAD_MAX + 64);
    memcpy(big, "GET http://127.0.0.1/ HTTP/1.1\r\nX: ", 35);
    memset(big + 35, 'a', HTTP_HEAD_MAX + 64 - 36);
    big[HTTP_HEAD_MAX + 63] = '\0';
    r = http_once(big, "GET");
    assert_status(r, 431);
    free(r);
    free(big);
}

/* ---- HTTP: CONNECT and upgrades -------------------------------------------------------------- */

/* The congestion control of the proxy's socket (in this process) whose peer is `peer`: the
 * address of one of the test's sockets, or the echo origin's. */
static void proxy_socket_cc(const struct sockaddr_in *peer, char cc[static 16]) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    bool found = false;

    assert_non_null(d);
    while (!found && (de = readdir(d))) {
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa), n = 15;
        int fd = atoi(de->d_name);

        if (de->d_name[0] == '.' || getpeername(fd, (struct sockaddr *) &sa, &len) < 0 ||
            sa.sin_family != AF_INET || sa.sin_port != peer->sin_port ||
            sa.sin_addr.s_addr != peer->sin_addr.s_addr)
            continue;
        memset(cc, 0, 16);
        assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &n), 0);
        found = true;
    }
    closedir(d);
    assert_true(found);
}

/* The proxy's congestion control on the client's side of fd's tunnel and on the origin's. */
static void tunnel_cc(int fd, uint16_t origin_port, char client_side[static 16],
                      char origin_side[static 16]) {
    struct sockaddr_in me, far = {.sin_family = AF_INET,
                                  .sin_port = htons(origin_port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(me);

    assert_int_equal(getsockname(fd, (struct sockaddr *) &me, &len), 0);
    proxy_socket_cc(&me, client_side);
    proxy_socket_cc(&far, origin_side);
}

static void default_cc(char cc[static 16]) {
    socklen_t n = 15;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(cc, 0, 16);
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &n), 0);
    close(fd);
}

static void test_connect_tunnel(void **state) {
    char req[256], buf[64];
    int fd;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    fd = h_connect(AF_INET, F.hport);
    /* the client sends its first tunnel bytes without waiting for the 200 */
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\nearly",
             F.echo.port, F.echo.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 39 + 5), 0);
    assert_memory_equal(buf, "HTTP/1.1 200 Connection Established\r\n\r\nearly", 44);
    assert_int_equal(h_send_str(F.loop, fd, "ping"), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 4), 0);
    assert_memory_equal(buf, "ping", 4);
    {
        /* a small exchange keeps the system's congestion control on both legs */
        char want[16], client_side[16], origin_side[16];

        default_cc(want);
        tunnel_cc(fd, F.echo.port, client_side, origin_side);
        assert_string_equal(client_side, want);
        assert_string_equal(origin_side, want);
    }
    /* half-close: our FIN reaches the origin, whose FIN comes back after its data */
    shutdown(fd, SHUT_WR);
    assert_int_equal(h_wait_closed(F.loop, fd, H_TIMEOUT_MS), 0);
    close(fd);
    assert_true(find_line(" \u2713 CONNECT 200 127.0.0.1 https://127.0.0.1:", NULL) >= 0);
    {
        proxy_stats st;

        proxy_get_stats(F.px, &st);
        assert_int_equal(st.tunnels_total, 1);
    }
}

static void test_connect_denied_and_502(void **state) {
    char req[256];
    char *r;
    uint16_t dead_port;
    int dead = h_listen(AF_INET, &dead_port);

    (void) state;
    close(dead); /* nothing listens there any more */
    allow("127.0.0.1");
    start_proxy(NULL);
    r = http_once("CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n", "CONNECT");
    assert_403(r);
    assert_true(find_line(" \u2717 CONNECT 403 evil.test https://evil.test:443 (", NULL) >= 0);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", dead_port);
    r = http_once(req, "CONNECT");
    assert_status(r, 502);
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, "Bad Gateway\n");
    free(r);
    assert_true(find_line(" ! CONNECT 502 127.0.0.1", NULL) >= 0);
    /* a missing port means 443 (the denial shows it) */
    lines_clear();
    assert_403(http_once("CONNECT evil.test HTTP/1.1\r\n\r\n", "CONNECT"));
    assert_true(find_line("https://evil.test:443", NULL) >= 0);
}

static void test_upgrade(void **state) {
    char req[256], buf[8];
    char *r;
    int fd;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req),
             "GET http://127.0.0.1:%u/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
             "Upgrade: websocket\r\n\r\n",
             F.http.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 101);
    assert_non_null(strstr(r, "\r\nUpgrade: websocket\r\n"));
    assert_non_null(strstr(r, "\r\nConnection: Upgrade\r\n"));
    free(r);
    assert_true(strstr(F.http.last_head, "Connection: Upgrade\r\nUpgrade: websocket\r\n") != NULL);
    /* now a tunnel */
    assert_int_equal(h_send_str(F.loop, fd, "frame"), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 5), 0);
    assert_memory_equal(buf, "frame", 5);
    close(fd);
}

/* ---- the SSRF / rebinding guard -------------------------------------------------------------- */

static void test_guard(void **state) {
    static const char *blocked[] = {
            "rebind.test",     "metadata.test", "127.0.0.1",          "127.1",
            "2130706433",      "0x7f.1",        "[::ffff:127.0.0.1]", "0.0.0.0",
            "169.254.169.254", "[::1]",         "localhost",
    };
    char req[256];
    char *r;

    (void) state;
    allow("*"); /* a wildcard is never enough for an internal address */
    start_proxy(NULL);
    for (size_t i = 0; i < ARRAY_SIZE(blocked); i++) {
        lines_clear();
        snprintf(req, sizeof(req), "GET http://%s:%u/hello HTTP/1.1\r\n\r\n", blocked[i],
                 F.http.port);
        r = http_once(req, "GET");
        if (!r || strncmp(r, "HTTP/1.1 403 ", 13) != 0) {
            dump_lines();
            fail_msg("%s: not blocked: %s", blocked[i], r ? r : "(nothing)");
        }
        assert_403(r);
        assert_true(find_line("[fence:filter] Denied internal address: ", NULL) >= 0);
        /* same through CONNECT */
        snprintf(req, sizeof(req), "CONNECT %s:%u HTTP/1.1\r\n\r\n", blocked[i], F.echo.port);
        assert_403(http_once(req, "CONNECT"));
    }
    assert_int_equal(F.http.accepted, 0);
    assert_int_equal(F.echo.accepted, 0);
}

static void test_guard_exact_names(void **state) {
    char url[128];
    char *r;

    (void) state;
    allow("origin.test"); /* named exactly: may reach its loopback address */
    allow("*.test");
    allow("127.0.0.2");
    start_proxy(NULL);
    snprintf(url, sizeof(url), "http://origin.test:%u/hello", F.http.port);
    r = get(url);
    assert_status(r, 200);
    free(r);
    assert_true(strcmp(F.dns.last_name, "origin.test") == 0);
    /* the wildcard covers rebind.test for the rule, but not for the guard */
    snprintf(url, sizeof(url), "http://rebind.test:%u/hello", F.http.port);
    assert_403(get(url));
    assert_true(find_line("[fence:filter] Allowed by rule: rebind.test:", NULL) >= 0);
    assert_true(find_line("resolves to 127.0.0.1 (loopback)", NULL) >= 0);
    assert_int_equal(F.http.accepted, 1);
}

/* ---- DNS
 * ----------------------------------------------------------------------------------------- */

static void test_dns_slow_does_not_stall(void **state) {
    proxy_options o = {.connect_timeout_ms = 600};
    char req[256];
    char *r;
    int slow;
    uint64_t t0;

    (void) state;
    allow("silent.test");
    allow("public.test");
    allow("127.0.0.1");
    allow("nxdomain.test");
    start_proxy(&o);
    /* a request whose name is never answered */
    slow = h_connect(AF_INET, F.hport);
    assert_int_equal(h_send_str(F.loop, slow, "GET http://silent.test/ HTTP/1.1\r\n\r\n"), 0);
    /* meanwhile other requests are served at once */
    t0 = h_now_ms();
    for (int i = 0; i < 5; i++) {
        snprintf(req, sizeof(req), "GET http://127.0.0.1:%u/hello HTTP/1.1\r\n\r\n", F.http.port);
        r = http_once(req, "GET");
        assert_status(r, 200);
        free(r);
    }
    assert_true(h_now_ms() - t0 < 500);
    /* the silent one ends as a 502 at the connect deadline */
    r = h_read_response(F.loop, slow, "GET", NULL);
    assert_status(r, 502);
    free(r);
    close(slow);
    /* unknown name: 502 */
    r = http_once("GET http://nxdomain.test/ HTTP/1.1\r\n\r\n", "GET");
    assert_status(r, 502);
    free(r);
    {
        proxy_stats st;

        proxy_get_stats(F.px, &st);
        assert_true(st.errors >= 2);
    }
}

typedef struct dns_wait {
    bool done;
    dns_result res;
} dns_wait;

static void on_resolved(void *userdata, const dns_result *res) {
    dns_wait *w = userdata;

    w->done = true;
    w->res = *res;
}

static bool dns_done(void *arg) {
    return ((dns_wait *) arg)->done;
}

static void test_dns_resolver(void **state) {
    char servers[64];
    dns_options o = {.servers = servers, .timeout_ms = 200, .tries = 1};
    fence_error err = {0};
    dns_wait w = {0}, cancelled = {0};
    dns_query *q;
    dns *d;

    (void) state;
    snprintf(servers, sizeof(servers), "127.0.0.1:%u", F.dns.port);
    assert_int_equal(dns_new(F.loop, &o, &d, &err), 0);

    assert_int_equal(dns_resolve(d, "public.test", on_resolved, &w, &q), 0);
    assert_false(w.done); /* never from inside dns_resolve() */
    assert_true(h_run_until(F.loop, dns_done, &w, 2000));
    assert_int_equal(w.res.status, DNS_OK);
    assert_int_equal(w.res.naddrs, 1);
    assert_int_equal(w.res.addrs[0].family, AF_INET);

    /* /etc/hosts is consulted (every test machine has localhost there) */
    w = (dns_wait){0};
    assert_int_equal(dns_resolve(d, "localhost", on_resolved, &w, &q), 0);
    assert_false(w.done);
    assert_true(h_run_until(F.loop, dns_done, &w, 2000));
    assert_int_equal(w.res.status, DNS_OK);
    assert_true(w.res.naddrs >= 1);

    w = (dns_wait){0};
    assert_int_equal(dns_resolve(d, "nope.test", on_resolved, &w, &q), 0);
    assert_true(h_run_until(F.loop, dns_done, &w, 2000));
    assert_int_equal(w.res.status, DNS_NOTFOUND);

    w = (dns_wait){0};
    assert_int_equal(dns_resolve(d, "silent.test", on_resolved, &w, &q), 0);
    assert_true(h_run_until(F.loop, dns_done, &w, 3000));
    assert_int_equal(w.res.status, DNS_TIMEOUT);

    /* a cancelled query never calls back, and is cleaned up */
    assert_int_equal(dns_resolve(d, "public.test", on_resolved, &cancelled, &q), 0);
    dns_cancel(d, q);
    w = (dns_wait){0};
    assert_int_equal(dns_resolve(d, "public.test", on_resolved, &w, &q), 0);
    assert_true(h_run_until(F.loop, dns_done, &w, 2000));
    assert_false(cancelled.done);
    assert_int_equal(dns_pending(d), 0);

    /* a pending query at dns_free is dropped silently */
    w = (dns_wait){0};
    assert_int_equal(dns_resolve(d, "silent.test", on_resolved, &w, &q), 0);
    dns_free(d);
    evloop_run_once(F.loop, 0);
    assert_false(w.done);

    o.servers = "not-an-address";
    assert_true(dns_new(F.loop, &o, &d, &err) < 0);
    assert_non_null(strstr(err.msg, "not-an-address"));
}

/* ---- SOCKS5
 * -------------------------------------------------------------------------------------- */

static int socks_connect(const uint8_t *req, size_t len, uint8_t *ret_reply) {
    int fd = h_connect(AF_INET, F.sport);
    uint8_t greet[3] = {5, 1, 0}, m[2], rep[10];

    assert_int_equal(h_send(F.loop, fd, greet, 3), 0);
    assert_int_equal(h_recv_all(F.loop, fd, m, 2), 0);
    assert_int_equal(m[0], 5);
    assert_int_equal(m[1], 0);
    assert_int_equal(h_send(F.loop, fd, req, len), 0);
    if (h_recv_all(F.loop, fd, rep, 4) < 0)
        fail_msg("no SOCKS reply");
    *ret_reply = rep[1];
    if (rep[3] == SOCKS5_ATYP_IPV4) {
        assert_int_equal(h_recv_all(F.loop, fd, rep + 4, 6), 0);
    } else {
        uint8_t rest[18];

        assert_int_equal(rep[3], SOCKS5_ATYP_IPV6);
        assert_int_equal(h_recv_all(F.loop, fd, rest, 18), 0);
    }
    return fd;
}

static size_t socks_req_domain(uint8_t *out, uint8_t cmd, const char *name, uint16_t port) {
    size_t n = strlen(name);

    out[0] = 5, out[1] = cmd, out[2] = 0, out[3] = SOCKS5_ATYP_DOMAIN, out[4] = (uint8_t) n;
    memcpy(out + 5, name, n);
    out[5 + n] = (uint8_t) (port >> 8);
    out[6 + n] = (uint8_t) port;
    return 7 + n;
}

static size_t socks_req_v4(uint8_t *out, uint8_t cmd, const char *ip, uint16_t port) {
    out[0] = 5, out[1] = cmd, out[2] = 0, out[3] = SOCKS5_ATYP_IPV4;
    inet_pton(AF_INET, ip, out + 4);
    out[8] = (uint8_t) (port >> 8);
    out[9] = (uint8_t) port;
    return 10;
}

static void test_socks(void **state) {
    uint8_t req[300], code, buf[8];
    size_t n;
    int fd;
    uint16_t dead_port;
    int dead = h_listen(AF_INET, &dead_port);

    (void) state;
    close(dead);
    allow("127.0.0.1");
    allow("origin.test");
    allow("nxdomain.test");
    allow("*.wild.test");
    deny("denied.test");
    start_proxy(NULL);

    /* CONNECT by IPv4 address, then relay */
    n = socks_req_v4(req, SOCKS5_CMD_CONNECT, "127.0.0.1", F.echo.port);
    fd = socks_connect(req, n, &code);
    assert_int_equal(code, SOCKS5_REP_SUCCEEDED);
    assert_int_equal(h_send_str(F.loop, fd, "socks!"), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 6), 0);
    assert_memory_equal(buf, "socks!", 6);
    close(fd);
    assert_true(find_line("[fence:socks] ", " \u2713 CONNECT 127.0.0.1:", " ALLOWED", NULL) >= 0);

    /* CONNECT by name, resolved on the host side */
    n = socks_req_domain(req, SOCKS5_CMD_CONNECT, "origin.test", F.echo.port);
    fd = socks_connect(req, n, &code);
    assert_int_equal(code, SOCKS5_REP_SUCCEEDED);
    close(fd);

    /* denied names get 0x02 and are never looked up */
    F.dns.queries = 0;
    n = socks_req_domain(req, SOCKS5_CMD_CONNECT, "denied.test", 443);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_NOT_ALLOWED);
    n = socks_req_domain(req, SOCKS5_CMD_CONNECT, "unlisted.test", 443);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_NOT_ALLOWED);
    assert_int_equal(F.dns.queries, 0);
    assert_true(find_line(" \u2717 CONNECT denied.test:443 BLOCKED", NULL) >= 0);

    /* the guard: allowed by wildcard, resolves inside */
    fake_dns_add(&F.dns, "in.wild.test", "10.0.0.1");
    n = socks_req_domain(req, SOCKS5_CMD_CONNECT, "in.wild.test", 443);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_NOT_ALLOWED);

    n = socks_req_domain(req, SOCKS5_CMD_CONNECT, "nxdomain.test", 443);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_HOST_UNREACHABLE);

    n = socks_req_v4(req, SOCKS5_CMD_CONNECT, "127.0.0.1", dead_port);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_CONN_REFUSED);

    n = socks_req_v4(req, SOCKS5_CMD_BIND, "127.0.0.1", F.echo.port);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_CMD_UNSUPPORTED);
    n = socks_req_v4(req, SOCKS5_CMD_UDP_ASSOCIATE, "127.0.0.1", F.echo.port);
    close(socks_connect(req, n, &code));
    assert_int_equal(code, SOCKS5_REP_CMD_UNSUPPORTED);

    /* unknown address type */
    memcpy(req, "\x05\x01\x00\x09", 4);
    close(socks_connect(req, 4, &code));
    assert_int_equal(code, SOCKS5_REP_ATYP_UNSUPPORTED);

    /* no acceptable method */
    fd = h_connect(AF_INET, F.sport);
    assert_int_equal(h_send(F.loop, fd, "\x05\x01\x02", 3), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 2), 0);
    assert_memory_equal(buf, "\x05\xff", 2);
    assert_int_equal(h_wait_closed(F.loop, fd, H_TIMEOUT_MS), 0);
    close(fd);

    /* not SOCKS5 at all */
    fd = h_connect(AF_INET, F.sport);
    assert_int_equal(h_send(F.loop, fd, "\x04\x01", 2), 0);
    assert_int_equal(h_wait_closed(F.loop, fd, H_TIMEOUT_MS), 0);
    close(fd);

    /* greeting and request in one packet, data right behind */
    fd = h_connect(AF_INET, F.sport);
    memcpy(req, "\x05\x01\x00", 3);
    n = socks_req_v4(req + 3, SOCKS5_CMD_CONNECT, "127.0.0.1", F.echo.port);
    memcpy(req + 3 + n, "fast", 4);
    assert_int_equal(h_send(F.loop, fd, req, 3 + n + 4), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 2), 0);
    {
        uint8_t rep[10];

        assert_int_equal(h_recv_all(F.loop, fd, rep, 10), 0);
        assert_int_equal(rep[1], 0);
    }
    assert_int_equal(h_recv_all(F.loop, fd, buf, 4), 0);
    assert_memory_equal(buf, "fast", 4);
    close(fd);
}

static void test_socks_ipv6(void **state) {
    uint8_t req[32], code, buf[4];
    int fd;

    (void) state;
    if (!F.have_v6)
        skip();
    allow("::1"); /* exact: may reach the IPv6 loopback */
    start_proxy(NULL);
    req[0] = 5, req[1] = 1, req[2] = 0, req[3] = SOCKS5_ATYP_IPV6;
    inet_pton(AF_INET6, "::1", req + 4);
    req[20] = (uint8_t) (F.http6.port >> 8);
    req[21] = (uint8_t) F.http6.port;
    fd = socks_connect(req, 22, &code);
    assert_int_equal(code, SOCKS5_REP_SUCCEEDED);
    assert_int_equal(h_send_str(F.loop, fd, "GET /hello HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 4), 0);
    assert_memory_equal(buf, "HTTP", 4);
    close(fd);
    assert_true(find_line("CONNECT ::1:", " ALLOWED", NULL) >= 0);
}

static void test_http_ipv6_literal(void **state) {
    char url[128];
    char *r;

    (void) state;
    if (!F.have_v6)
        skip();
    allow("::1");
    start_proxy(NULL);
    snprintf(url, sizeof(url), "http://[::1]:%u/headers", F.http6.port);
    r = get(url);
    assert_status(r, 200);
    {
        char host[64];

        snprintf(host, sizeof(host), "Host: [::1]:%u\r\n", F.http6.port);
        assert_non_null(strstr(r, host));
    }
    free(r);
}

/* ---- upstream proxy (§6.4) ------------------------------------------------------------------- */

static void test_upstream(void **state) {
    fence_config *up_cfg = fence_config_new();
    proxy *up = NULL;
    fence_error err = {0};
    char url[64], req[256];
    uint16_t up_port;
    char *r;
    int fd;

    (void) state;
    /* the upstream is a second fence proxy that allows only grey.test... which resolves inside,
     * so it is named exactly there */
    fake_dns_add(&F.dns, "grey.test", "127.0.0.1");
    assert_int_equal(
            fence_config_list_append_string(up_cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS, "grey.test"),
            0);
    {
        char servers[64];
        proxy_options o = {.dns_servers = servers};

        snprintf(servers, sizeof(servers), "127.0.0.1:%u", F.dns.port);
        assert_int_equal(proxy_new(F.loop, up_cfg, &F.log, &o, &up, &err), 0);
    }
    fd = h_listen(AF_INET, &up_port);
    assert_int_equal(proxy_add_listener(up, PROXY_HTTP, fd, &err), 0);
    assert_int_equal(proxy_start(up, &err), 0);

    snprintf(url, sizeof(url), "http://127.0.0.1:%u", up_port);
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, url);
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_DEFAULT_ACTION, "proxy");
    deny("hard.test");
    start_proxy(NULL);

    /* grey zone through the upstream: CONNECT */
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "CONNECT grey.test:%u HTTP/1.1\r\n\r\n", F.echo.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    {
        char buf[64];

        assert_int_equal(h_recv_all(F.loop, fd, buf, 39), 0);
        assert_memory_equal(buf, "HTTP/1.1 200 Connection Established\r\n\r\n", 39);
        assert_int_equal(h_send_str(F.loop, fd, "via-up"), 0);
        assert_int_equal(h_recv_all(F.loop, fd, buf, 6), 0);
        assert_memory_equal(buf, "via-up", 6);
    }
    close(fd);
    assert_true(find_line("[fence:filter] No matching rule, forwarding upstream: grey.test:",
                          NULL) >= 0);
    assert_true(find_line(" \u2192 CONNECT 200 grey.test", NULL) >= 0);

    /* grey zone through the upstream: absolute-form */
    snprintf(req, sizeof(req), "GET http://grey.test:%u/hello HTTP/1.1\r\n\r\n", F.http.port);
    r = http_once(req, "GET");
    assert_status(r, 200);
    free(r);

    /* the upstream refuses: 403 "Upstream proxy denied connection" */
    r = http_once("CONNECT other.test:443 HTTP/1.1\r\n\r\n", "CONNECT");
    assert_status(r, 403);
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, "Upstream proxy denied connection\n");
    free(r);
    assert_true(find_line(" \u2717 CONNECT 403 other.test", NULL) >= 0);

    /* denied domains are never forwarded */
    assert_403(http_once("CONNECT hard.test:443 HTTP/1.1\r\n\r\n", "CONNECT"));

    /* SOCKS never forwards the grey zone upstream */
    {
        uint8_t sreq[64], code;
        size_t n = socks_req_domain(sreq, SOCKS5_CMD_CONNECT, "grey.test", F.echo.port);

        close(socks_connect(sreq, n, &code));
        assert_int_equal(code, SOCKS5_REP_NOT_ALLOWED);
    }

    /* the upstream is down: 502 */
    proxy_stop(up);
    r = http_once("CONNECT grey.test:443 HTTP/1.1\r\n\r\n", "CONNECT");
    assert_status(r, 502);
    free(r);
    assert_true(find_line(" ! CONNECT 502 grey.test", NULL) >= 0);
    proxy_free(up);
    fence_config_free(up_cfg);
}

static void test_upstream_credentials(void **state) {
    char url[96];
    char *r;

    (void) state;
    /* the "upstream" is the plain origin: it answers anything with 404, which is enough to see
     * what it was sent */
    snprintf(url, sizeof(url), "http://us%%65r:p%%40ss@127.0.0.1:%u/", F.http.port);
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, url);
    start_proxy(NULL);
    r = http_once("CONNECT grey.test:443 HTTP/1.1\r\n\r\n", "CONNECT");
    assert_status(r, 403); /* the upstream did not say 200 */
    free(r);
    assert_non_null(strstr(F.http.last_head, "CONNECT grey.test:443 HTTP/1.1\r\n"));
    assert_non_null(strstr(F.http.last_head, "\r\nHost: grey.test:443\r\n"));
    assert_non_null(strstr(F.http.last_head, "\r\nProxy-Authorization: Basic dXNlcjpwQHNz\r\n"));
    r = http_once("GET http://grey.test/x HTTP/1.1\r\nProxy-Authorization: Basic c2FuZGJveA==\r\n"
                  "\r\n",
                  "GET");
    assert_status(r, 404); /* relayed from the upstream */
    free(r);
    /* absolute-form kept for the upstream; the client's credentials never leave */
    assert_non_null(strstr(F.http.last_head, "GET http://grey.test/x HTTP/1.1\r\n"));
    assert_non_null(strstr(F.http.last_head, "Proxy-Authorization: Basic dXNlcjpwQHNz"));
    assert_null(strstr(F.http.last_head, "c2FuZGJveA=="));
}

static void test_upstream_bad_url(void **state) {
    fence_error err = {0};
    proxy *p = NULL;

    (void) state;
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, "https://proxy:8080");
    assert_int_equal(proxy_new(F.loop, F.cfg, &F.log, NULL, &p, &err), -FENCE_E_CONFIG);
    assert_non_null(strstr(err.msg, "only http://"));
    fence_error_clear(&err);
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, "http://bad host:8080");
    assert_int_equal(proxy_new(F.loop, F.cfg, &F.log, NULL, &p, &err), -FENCE_E_CONFIG);
    /* grey zone with defaultAction proxy but no upstream: 502 */
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, NULL);
    fence_config_set_string(F.cfg, FENCE_CFG_NETWORK_DEFAULT_ACTION, "proxy");
    start_proxy(NULL);
    {
        char *r = http_once("CONNECT grey.test:443 HTTP/1.1\r\n\r\n", "CONNECT");

        assert_status(r, 502);
        free(r);
    }
}

/* ---- log matrix (§6.7)
 * --------------------------------------------------------------------------- */

static void test_log_matrix(void **state) {
    char url[128];
    char *r;

    (void) state;
    allow("127.0.0.1");
    F.log.debug = false;
    F.log.monitor = true;
    start_proxy(NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hello", F.http.port);
    r = get(url);
    assert_status(r, 200);
    free(r);
    assert_int_equal(nlines, 0); /* -m: allowed traffic is not logged */
    assert_403(get("http://blocked.test/"));
    assert_int_equal(nlines, 1); /* -m: the block, but no filter line */
    assert_true(find_line("[fence:http] ",
                          " \u2717 GET     403 blocked.test http://blocked.test/ (", "s)",
                          NULL) == 0);
    {
        /* HH:MM:SS timestamp right after the prefix */
        const char *ts = lines[0] + strlen("[fence:http] ");

        assert_true(ts[2] == ':' && ts[5] == ':' && ts[8] == ' ');
    }
    F.log.monitor = false;
    lines_clear();
    assert_403(get("http://blocked.test/"));
    assert_int_equal(nlines, 0); /* neither flag: nothing */
}

static void test_log_format_helpers(void **state) {
    static const struct {
        uint64_t ms;
        const char *want;
    } cases[] = {
            {0, "0s"},         {1, "1ms"},          {999, "999ms"},          {1000, "1s"},
            {1500, "1.5s"},    {1234, "1.234s"},    {1230, "1.23s"},         {60000, "1m0s"},
            {61500, "1m1.5s"}, {3600000, "1h0m0s"}, {3723004, "1h2m3.004s"},
    };
    char buf[48];
    char url[200];
    char *r;

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        proxy_format_duration(cases[i].ms, buf);
        assert_string_equal(buf, cases[i].want);
    }
    /* long URLs are cut to 60 characters with "..." */
    start_proxy(NULL);
    snprintf(url, sizeof(url), "http://blocked.test/%s",
             "0123456789012345678901234567890123456789012345678901234567890123456789");
    r = get(url);
    free(r);
    assert_true(find_line("http://blocked.test/0123456789012345678901234567890123456... (", NULL) >=
                0);
    assert_true(find_line("[fence:filter] No config", NULL) < 0);
}

/* ---- limits, timeouts, cleanup --------------------------------------------------------------- */

static void test_max_conns(void **state) {
    proxy_options o = {.max_conns = 3};
    int fds[3], extra;
    char *r;

    (void) state;
    allow("127.0.0.1");
    start_proxy(&o);
    for (int i = 0; i < 3; i++) {
        fds[i] = h_connect(AF_INET, F.hport);
        assert_true(fds[i] >= 0);
    }
    for (int i = 0; i < 20; i++)
        evloop_run_once(F.loop, 5);
    extra = h_connect(AF_INET, F.hport);
    r = h_read_response(F.loop, extra, "GET", NULL);
    assert_status(r, 503);
    free(r);
    close(extra);
    close(fds[0]);
    for (int i = 0; i < 20; i++)
        evloop_run_once(F.loop, 5);
    {
        char url[128];

        snprintf(url, sizeof(url), "http://127.0.0.1:%u/hello", F.http.port);
        r = get(url);
        assert_status(r, 200);
        free(r);
    }
    close(fds[1]);
    close(fds[2]);
    {
        proxy_stats st;

        proxy_get_stats(F.px, &st);
        assert_int_equal(st.refused, 1);
    }
}

static void test_timeouts(void **state) {
    proxy_options o = {.header_timeout_ms = 150,
                       .response_timeout_ms = 200,
                       .handshake_timeout_ms = 150,
                       .tunnel_idle_timeout_ms = 200};
    char req[256];
    char *r;
    int fd;
    uint64_t t0;

    (void) state;
    allow("127.0.0.1");
    start_proxy(&o);

    /* slowloris: half a head, then nothing */
    fd = h_connect(AF_INET, F.hport);
    assert_int_equal(h_send_str(F.loop, fd, "GET http://127.0.0.1/ HTTP/1.1\r\nX: "), 0);
    t0 = h_now_ms();
    assert_int_equal(h_wait_closed(F.loop, fd, 2000), 0);
    assert_true(h_now_ms() - t0 < 1000);
    close(fd);

    /* an origin that never answers: 502 at the response deadline */
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%u/slow HTTP/1.1\r\n\r\n", F.http.port);
    r = http_once(req, "GET");
    assert_status(r, 502);
    free(r);

    /* SOCKS handshake that stops half-way */
    fd = h_connect(AF_INET, F.sport);
    assert_int_equal(h_send(F.loop, fd, "\x05", 1), 0);
    assert_int_equal(h_wait_closed(F.loop, fd, 2000), 0);
    close(fd);

    /* an idle tunnel ends */
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", F.echo.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    {
        char buf[39];

        assert_int_equal(h_recv_all(F.loop, fd, buf, 39), 0);
    }
    assert_int_equal(h_wait_closed(F.loop, fd, 2000), 0);
    close(fd);
}

static long count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    long n = 0;

    while ((de = readdir(d)))
        n++;
    closedir(d);
    return n;
}

typedef struct active_zero {
    proxy *p;
} active_zero;

static bool proxy_idle(void *arg) {
    proxy_stats st;

    proxy_get_stats(arg, &st);
    return st.active == 0;
}

static void test_many_tunnels_release_everything(void **state) {
    enum { N = 200 };
    int fds[N];
    char req[128], buf[64];
    long fds_before;
    size_t regs_before;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    fds_before = count_fds();
    regs_before = evloop_count(F.loop);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", F.echo.port);
    for (int i = 0; i < N; i++) {
        fds[i] = h_connect(AF_INET, F.hport);
        assert_int_equal(h_send_str(F.loop, fds[i], req), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(h_recv_all(F.loop, fds[i], buf, 39), 0);
        assert_int_equal(h_send_str(F.loop, fds[i], "x"), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(h_recv_all(F.loop, fds[i], buf, 1), 0);
        assert_int_equal(buf[0], 'x');
    }
    {
        proxy_stats st;

        proxy_get_stats(F.px, &st);
        assert_int_equal(st.tunnels, N);
    }
    for (int i = 0; i < N; i++)
        close(fds[i]);
    assert_true(h_run_until(F.loop, proxy_idle, F.px, 5000));
    for (int i = 0; i < 10; i++)
        evloop_run_once(F.loop, 5);
    assert_int_equal(count_fds(), fds_before);
    assert_int_equal(evloop_count(F.loop), regs_before);
}

static void test_splice_tunnel(void **state) {
    size_t total = 8u << 20;
    char *data = malloc(total), *back = malloc(total);
    char req[128], buf[39];
    size_t sent = 0, got = 0;
    int fd;

    (void) state;
    signal(SIGPIPE, SIG_IGN); /* what the supervisor does; enables the splice path */
    allow("127.0.0.1");
    start_proxy(NULL);
    for (size_t i = 0; i < total; i++)
        data[i] = (char) (i * 31 + (i >> 12));
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", F.echo.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, 39), 0);
    while (got < total) {
        if (sent < total) {
            ssize_t k = send(fd, data + sent, total - sent, MSG_DONTWAIT);

            if (k > 0)
                sent += (size_t) k;
        }
        {
            ssize_t k = recv(fd, back + got, total - got, MSG_DONTWAIT);

            if (k > 0)
                got += (size_t) k;
            else if (k == 0)
                fail_msg("early EOF at %zu", got);
        }
        evloop_run_once(F.loop, 1);
    }
    assert_memory_equal(data, back, total);
    {
        /* both directions turned bulk, and both legs are on loopback: neither paces */
        char client_side[16], origin_side[16];

        tunnel_cc(fd, F.echo.port, client_side, origin_side);
        assert_string_equal(client_side, TUNNEL_LOCAL_CC);
        assert_string_equal(origin_side, TUNNEL_LOCAL_CC);
    }
    close(fd);
    assert_true(h_run_until(F.loop, proxy_idle, F.px, 5000));
    {
        proxy_stats st;

        proxy_get_stats(F.px, &st);
        assert_int_equal(st.bytes_to_remote, total);
        assert_int_equal(st.bytes_to_client, total + 39); /* with "200 Connection ..." */
    }
    free(data);
    free(back);
    signal(SIGPIPE, SIG_DFL);
}

static void test_stop_aborts(void **state) {
    char req[128], buf[39];
    int t, h, s;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    t = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", F.echo.port);
    assert_int_equal(h_send_str(F.loop, t, req), 0);
    assert_int_equal(h_recv_all(F.loop, t, buf, 39), 0);
    h = h_connect(AF_INET, F.hport);
    assert_int_equal(h_send_str(F.loop, h, "GET http://127.0.0.1/"), 0);
    s = h_connect(AF_INET, F.sport);
    for (int i = 0; i < 10; i++)
        evloop_run_once(F.loop, 5);
    proxy_stop(F.px);
    proxy_stop(F.px); /* idempotent */
    assert_int_equal(h_wait_closed(F.loop, t, 1000), 0);
    assert_int_equal(h_wait_closed(F.loop, h, 1000), 0);
    assert_int_equal(h_wait_closed(F.loop, s, 1000), 0);
    close(t);
    close(h);
    close(s);
    assert_true(h_connect(AF_INET, F.hport) >= 0); /* the listener is gone: refused */
    {
        fence_error err = {0};

        assert_int_equal(proxy_start(F.px, &err), -FENCE_E_STATE);
        assert_int_equal(proxy_add_listener(F.px, PROXY_HTTP, -1, &err), -FENCE_E_STATE);
    }
}

static void test_listener_added_late(void **state) {
    fence_error err = {0};
    uint16_t port;
    int fd;
    char url[128];
    char *r;

    (void) state;
    allow("127.0.0.1");
    start_proxy(NULL);
    /* as when the engine hands the in-namespace listeners over after cloning the child */
    fd = h_listen(AF_INET, &port);
    assert_int_equal(proxy_add_listener(F.px, PROXY_HTTP, fd, &err), 0);
    snprintf(url, sizeof(url), "GET http://127.0.0.1:%u/hello HTTP/1.1\r\n\r\n", F.http.port);
    fd = h_connect(AF_INET, port);
    assert_int_equal(h_send_str(F.loop, fd, url), 0);
    r = h_read_response(F.loop, fd, "GET", NULL);
    assert_status(r, 200);
    free(r);
    close(fd);
    /* a socket that is not listening is refused */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(proxy_add_listener(F.px, PROXY_HTTP, fd, &err), -FENCE_E_PROXY);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(proxy_add_listener(F.px, PROXY_SOCKS, fd, &err), -FENCE_E_PROXY);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_http_allowed_and_denied, setup, teardown),
            cmocka_unit_test_setup_teardown(test_http_request_rewrite, setup, teardown),
            cmocka_unit_test_setup_teardown(test_http_bodies, setup, teardown),
            cmocka_unit_test_setup_teardown(test_http_keepalive_pipelining, setup, teardown),
            cmocka_unit_test_setup_teardown(test_http10_client, setup, teardown),
            cmocka_unit_test_setup_teardown(test_http_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_connect_tunnel, setup, teardown),
            cmocka_unit_test_setup_teardown(test_connect_denied_and_502, setup, teardown),
            cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
            cmocka_unit_test_setup_teardown(test_guard, setup, teardown),
            cmocka_unit_test_setup_teardown(test_guard_exact_names, setup, teardown),
            cmocka_unit_test_setup_teardown(test_dns_slow_does_not_stall, setup, teardown),
            cmocka_unit_test_setup_teardown(test_dns_resolver, setup, teardown),
            cmocka_unit_test_setup_teardown(test_socks, setup, teardown),
            cmocka_unit_test_setup_teardown(test_socks_ipv6, setup, teardown),
            cmocka_unit_test_setup_teardown(test_http_ipv6_literal, setup, teardown),
            cmocka_unit_test_setup_teardown(test_upstream, setup, teardown),
            cmocka_unit_test_setup_teardown(test_upstream_credentials, setup, teardown),
            cmocka_unit_test_setup_teardown(test_upstream_bad_url, setup, teardown),
            cmocka_unit_test_setup_teardown(test_log_matrix, setup, teardown),
            cmocka_unit_test_setup_teardown(test_log_format_helpers, setup, teardown),
            cmocka_unit_test_setup_teardown(test_max_conns, setup, teardown),
            cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
            cmocka_unit_test_setup_teardown(test_many_tunnels_release_everything, setup, teardown),
            cmocka_unit_test_setup_teardown(test_splice_tunnel, setup, teardown),
            cmocka_unit_test_setup_teardown(test_stop_aborts, setup, teardown),
            cmocka_unit_test_setup_teardown(test_listener_added_late, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
