/* SPDX-License-Identifier: MIT */
/*
 * proxy: lifecycle, listeners and accept loop, the connection cap, tunnels, and the §6.7 log
 * lines shared by the HTTP (http_proxy.c) and SOCKS5 (socks_proxy.c) halves. See proxy.h.
 */
#include "runtime/proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/proxy_int.h"
#include "util/cleanup.h"
#include "util/error.h"

/* When the proxy has been idle (no connection) this long, freed heap is handed back to the
 * system, so that a burst of connections does not leave the supervisor's RSS high for the rest
 * of the run. */
#define PROXY_TRIM_DELAY_MS 250

/* ---- connections ----------------------------------------------------------------------------- */

void proxy_conn_link(proxy *px, pconn *c) {
    c->px = px;
    c->prev = NULL;
    c->next = px->conns;
    if (px->conns)
        px->conns->prev = c;
    px->conns = c;
    px->st.active++;
    membudget_force(&px->fds, PROXY_FDS_PER_CONN);
}

static void on_trim(evloop *loop, evloop_timer *t, void *userdata) {
    proxy *px = userdata;

    (void) loop;
    (void) t;
    px->trim_timer = NULL;
    if (px->st.active == 0)
        malloc_trim(0);
}

void proxy_conn_unlink(pconn *c) {
    proxy *px = c->px;

    if (c->prev)
        c->prev->next = c->next;
    else
        px->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    px->st.active--;
    membudget_uncharge(&px->fds, PROXY_FDS_PER_CONN);
    if (px->st.active == 0 && !px->trim_timer && !px->stopped)
        px->trim_timer = evloop_timer_add(px->loop, PROXY_TRIM_DELAY_MS, on_trim, px);
}

void proxy_conn_free_later(pconn *c, void *object) {
    proxy *px = c->px;

    proxy_conn_unlink(c);
    if (evloop_defer(px->loop, free, object) < 0) {
        /* leak the inert object rather than risk a use after free */
    }
}

/* The memory budget's reclaim: closes connections waiting for a request head, the longest
 * waiting first, never `except` (whose buffer is being grown), until `need` bytes are free. A
 * linear scan per victim: this only runs when the budget is spent. */
static size_t reclaim(void *userdata, size_t need, const void *except) {
    proxy *px = userdata;
    size_t freed = 0;

    while (freed < need) {
        pconn *victim = NULL;
        uint64_t oldest = UINT64_MAX, since;
        size_t before = px->mem.used;

        for (pconn *c = px->conns; c; c = c->next)
            if (c != except && c->shed_bytes && c->shed_bytes(c, &since) > 0 && since < oldest) {
                oldest = since;
                victim = c;
            }
        if (!victim)
            break;
        victim->abort(victim);
        px->st.mem_shed++;
        freed += before > px->mem.used ? before - px->mem.used : 0;
    }
    if (freed > 0 && (px->log->debug || px->log->monitor)) {
        uint64_t now = evloop_now(px->loop);

        if (now - px->last_shed_log >= 1000) {
            px->last_shed_log = now;
            rlog_line(px->log,
                      "[fence] proxy memory budget (%zu MiB) reached; closing connections "
                      "that wait for a request head",
                      px->mem.max >> 20);
        }
    }
    return freed;
}

typedef struct ptunnel {
    pconn base;
    tunnel *t;
} ptunnel;

static void ptunnel_done(void *userdata, tunnel_end how, const tunnel_stats *st) {
    ptunnel *pt = userdata;
    proxy *px = pt->base.px;

    (void) how;
    px->st.tunnels--;
    px->st.bytes_to_remote += st->bytes_ab;
    px->st.bytes_to_client += st->bytes_ba;
    proxy_conn_unlink(&pt->base);
    free(pt);
}

static void ptunnel_abort(pconn *c) {
    tunnel_abort(((ptunnel *) c)->t); /* calls ptunnel_done */
}

int proxy_tunnel(proxy *px, int client_fd, int remote_fd, const void *to_remote,
                 size_t to_remote_len, const void *to_client, size_t to_client_len) {
    tunnel_options o = {.idle_ms = px->opt.tunnel_idle_timeout_ms,
                        .splice_after = px->opt.splice_after,
                        .mem = &px->mem,
                        .fds = &px->fds};
    ptunnel *pt = calloc(1, sizeof(*pt));
    int r;

    if (!pt) {
        safe_close(client_fd);
        safe_close(remote_fd);
        return -ENOMEM;
    }
    r = tunnel_new(px->loop, client_fd, remote_fd, to_remote, to_remote_len, to_client,
                   to_client_len, &o, ptunnel_done, pt, &pt->t);
    if (r < 0) {
        free(pt);
        safe_close(client_fd);
        safe_close(remote_fd);
        return r;
    }
    pt->base.abort = ptunnel_abort;
    proxy_conn_link(px, &pt->base);
    px->st.tunnels++;
    px->st.tunnels_total++;
    return 0;
}

int proxy_dial(proxy *px, const char *host, uint16_t port, unsigned flags, dial_cb cb,
               void *userdata, dial **ret) {
    return dial_start(&px->dctx, host, port, flags, px->opt.connect_timeout_ms, cb, userdata, ret);
}

/* ---- log lines (§6.7) ------------------------------------------------------------------------ */

void proxy_format_duration(uint64_t ms, char buf[static 48]) {
    uint64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
    char secs[16];
    int n;

    if (ms == 0) {
        snprintf(buf, 48, "0s");
        return;
    }
    if (ms < 1000) {
        snprintf(buf, 48, "%llums", (unsigned long long) ms);
        return;
    }
    /* seconds with the fraction's trailing zeros trimmed, as Go prints them */
    n = snprintf(secs, sizeof(secs), "%llu.%03llu", (unsigned long long) s,
                 (unsigned long long) frac);
    while (n > 0 && secs[n - 1] == '0')
        secs[--n] = '\0';
    if (n > 0 && secs[n - 1] == '.')
        secs[--n] = '\0';
    if (h > 0)
        snprintf(buf, 48, "%lluh%llum%ss", (unsigned long long) h, (unsigned long long) m, secs);
    else if (m > 0)
        snprintf(buf, 48, "%llum%ss", (unsigned long long) m, secs);
    else
        snprintf(buf, 48, "%ss", secs);
}

static bool is_blocked_outcome(proxy_outcome o) {
    return o == PROXY_BLOCKED || o == PROXY_ERROR || o == PROXY_UPSTREAM_DENIED ||
           o == PROXY_UPSTREAM_ERROR;
}

void proxy_log_http(proxy *px, proxy_outcome out, const char *method, int status, const char *host,
                    const char *url, uint64_t start_ms) {
    const char *icon = "\u2713";
    char ts[9], dur[48], shown[61];
    size_t n = strlen(url);

    if (!px->log->debug && !(px->log->monitor && is_blocked_outcome(out)))
        return;
    switch (out) {
    case PROXY_BLOCKED:
    case PROXY_UPSTREAM_DENIED:
        icon = "\u2717";
        break;
    case PROXY_ERROR:
    case PROXY_UPSTREAM_ERROR:
        icon = "!";
        break;
    case PROXY_UPSTREAM_OK:
        icon = "\u2192";
        break;
    default:
        break;
    }
    if (n > 60) {
        memcpy(shown, url, 57);
        memcpy(shown + 57, "...", 4);
    } else {
        memcpy(shown, url, n + 1);
    }
    rlog_timestamp(ts);
    proxy_format_duration(evloop_now(px->loop) - start_ms, dur);
    rlog_line(px->log, "[fence:http] %s %s %-7s %d %s %s (%s)", ts, icon, method, status, host,
              shown, dur);
}

void proxy_log_socks(proxy *px, bool allowed, const char *host, uint16_t port) {
    char ts[9];

    if (!px->log->debug && !(px->log->monitor && !allowed))
        return;
    rlog_timestamp(ts);
    rlog_line(px->log, "[fence:socks] %s %s CONNECT %s:%u %s", ts, allowed ? "\u2713" : "\u2717",
              host, port, allowed ? "ALLOWED" : "BLOCKED");
}

void proxy_log_filter(proxy *px, const netpol_verdict *v, const char *host, uint16_t port) {
    if (!px->log->debug)
        return;
    switch (v->reason) {
    case NETPOL_REASON_NO_CONFIG:
        rlog_line(px->log, "[fence:filter] No config, denying: %s:%u", host, port);
        break;
    case NETPOL_REASON_DENIED_RULE:
        rlog_line(px->log, "[fence:filter] Denied by rule: %s:%u (matched %s)", host, port,
                  v->matched_rule);
        break;
    case NETPOL_REASON_ALLOWED_RULE:
        rlog_line(px->log, "[fence:filter] Allowed by rule: %s:%u (matched %s)", host, port,
                  v->matched_rule);
        break;
    case NETPOL_REASON_NO_MATCH:
        rlog_line(px->log, "[fence:filter] No matching rule, denying: %s:%u", host, port);
        break;
    case NETPOL_REASON_NO_MATCH_UPSTREAM:
        rlog_line(px->log, "[fence:filter] No matching rule, forwarding upstream: %s:%u", host,
                  port);
        break;
    }
}

void proxy_log_dial(proxy *px, const char *prefix, const char *host, uint16_t port,
                    const dial_result *res) {
    char ip[NETPOL_IP_STRLEN];

    if (res->status == DIAL_BLOCKED) {
        /* new in fence: the SSRF/rebinding guard (deviation from the Go tool, DESIGN.md) */
        if (px->log->debug)
            rlog_line(px->log,
                      "[fence:filter] Denied internal address: %s:%u resolves to %s (%s); "
                      "only an exact allowedDomains entry for the host permits this",
                      host, port, netpol_ip_format(&res->addr, ip),
                      netpol_ip_class_name(netpol_classify(&res->addr)));
        return;
    }
    if (res->status != DIAL_OK && px->log->debug)
        rlog_line(px->log, "[fence:%s] dial %s:%u failed: %s%s%s", prefix, host, port,
                  dial_status_name(res->status), res->sys_errno ? ": " : "",
                  res->sys_errno ? strerror(res->sys_errno) : "");
}

/* ---- listeners ------------------------------------------------------------------------------- */

void proxy_send_busy(int fd) {
    static const char resp[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "X-Content-Type-Options: nosniff\r\n"
                               "Connection: close\r\n"
                               "Content-Length: 35\r\n"
                               "\r\n"
                               "fence proxy: too many connections\n";

    (void) send(fd, resp, sizeof(resp) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void refuse(proxy *px, int fd, proxy_kind kind) {
    uint64_t now = evloop_now(px->loop);

    if (kind == PROXY_HTTP)
        proxy_send_busy(fd);
    safe_close(fd);
    px->st.refused++;
    if ((px->log->debug || px->log->monitor) && now - px->last_limit_log >= 1000) {
        px->last_limit_log = now;
        rlog_line(px->log,
                  "[fence] proxy connection limit (%llu) reached; refusing new connections",
                  (unsigned long long) px->st.max_conns);
    }
}

static void on_listener(evloop *loop, int fd, uint32_t events, void *userdata);

static int listener_register(proxy_listener *l) {
    int r;

    if (l->registered || l->fd < 0)
        return 0;
    r = evloop_add(l->px->loop, l->fd, EPOLLIN, on_listener, l);
    if (r < 0)
        return r;
    l->registered = true;
    return 0;
}

static void listener_unregister(proxy_listener *l) {
    if (!l->registered)
        return;
    (void) evloop_del(l->px->loop, l->fd);
    l->registered = false;
}

static void on_accept_resume(evloop *loop, evloop_timer *t, void *userdata) {
    proxy *px = userdata;

    (void) loop;
    (void) t;
    px->accept_pause = NULL;
    for (size_t i = 0; i < px->nlisteners; i++)
        (void) listener_register(&px->listeners[i]);
}

static void accept_pause(proxy *px) {
    if (px->accept_pause)
        return;
    px->accept_pause = evloop_timer_add(px->loop, PROXY_ACCEPT_PAUSE_MS, on_accept_resume, px);
    if (!px->accept_pause)
        return; /* keep listening: better a busy loop than a dead proxy */
    for (size_t i = 0; i < px->nlisteners; i++)
        listener_unregister(&px->listeners[i]);
}

static int serve(proxy *px, proxy_kind kind, int fd) {
    int one = 1;

    px->st.accepted++;
    if (px->opt.accept_filter && !px->opt.accept_filter(px->opt.accept_filter_data, fd)) {
        safe_close(fd);
        px->st.filtered++;
        return -EPERM;
    }
    if (px->st.active >= px->st.max_conns || px->fds.used + PROXY_FDS_PER_CONN > px->fds.max) {
        refuse(px, fd, kind);
        return -EBUSY;
    }
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return kind == PROXY_HTTP ? http_conn_new(px, fd) : socks_conn_new(px, fd);
}

static void on_listener(evloop *loop, int fd, uint32_t events, void *userdata) {
    proxy_listener *l = userdata;
    proxy *px = l->px;

    (void) loop;
    (void) events;
    for (int i = 0; i < PROXY_ACCEPT_BATCH && l->registered; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                px->st.errors++;
                if (px->log->debug || px->log->monitor)
                    rlog_line(px->log, "[fence] proxy cannot accept: %s; pausing %d ms",
                              strerror(errno), PROXY_ACCEPT_PAUSE_MS);
                accept_pause(px);
            }
            return;
        }
        int r = serve(px, l->kind, cfd);

        if (r < 0 && r != -EBUSY && r != -EPERM)
            px->st.errors++;
    }
}

int proxy_add_listener(proxy *p, proxy_kind kind, int fd, fence_error *err) {
    proxy_listener *l;
    int type = 0, acc = 0, flags;
    socklen_t len = sizeof(type);
    int r;

    if (p->stopped) {
        safe_close(fd);
        return fence_error_set(err, FENCE_E_STATE, 0, "proxy already stopped");
    }
    if (p->nlisteners == PROXY_MAX_LISTENERS) {
        safe_close(fd);
        return fence_error_set(err, FENCE_E_PROXY, 0, "too many proxy listeners (max %d)",
                               PROXY_MAX_LISTENERS);
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &(socklen_t){sizeof(acc)}) < 0 || !acc) {
        safe_close(fd);
        return fence_error_set(err, FENCE_E_PROXY, errno,
                               "proxy listener fd %d is not a "
                               "listening TCP socket",
                               fd);
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int e = errno;

        safe_close(fd);
        return fence_error_set(err, FENCE_E_PROXY, e, "configuring proxy listener");
    }
    l = &p->listeners[p->nlisteners++];
    *l = (proxy_listener){.px = p, .fd = fd, .kind = kind};
    if (p->started && !p->accept_pause) {
        r = listener_register(l);
        if (r < 0)
            return fence_error_set(err, FENCE_E_PROXY, -r, "registering proxy listener");
    }
    return 0;
}

/* The connection cap and the fd pool from RLIMIT_NOFILE as it is now (after the caller raised
 * it): PROXY_FD_RESERVE fds stay for the rest of the supervisor. */
static void set_fd_limit(proxy *p) {
    struct rlimit rl;
    size_t pool = SIZE_MAX;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        pool = rl.rlim_cur > PROXY_FD_RESERVE + PROXY_FDS_PER_CONN
                       ? (size_t) rl.rlim_cur - PROXY_FD_RESERVE
                       : PROXY_FDS_PER_CONN;
    p->fds.max = pool;
    if (pool / PROXY_FDS_PER_CONN < p->st.max_conns)
        p->st.max_conns = pool / PROXY_FDS_PER_CONN;
}

int proxy_start(proxy *p, fence_error *err) {
    if (p->stopped)
        return fence_error_set(err, FENCE_E_STATE, 0, "proxy already stopped");
    if (p->started)
        return 0;
    p->started = true;
    set_fd_limit(p);
    for (size_t i = 0; i < p->nlisteners; i++) {
        int r = listener_register(&p->listeners[i]);

        if (r < 0)
            return fence_error_set(err, FENCE_E_PROXY, -r, "registering proxy listener");
    }
    return 0;
}

int proxy_adopt(proxy *p, proxy_kind kind, int fd) {
    if (p->stopped) {
        safe_close(fd);
        return -ESHUTDOWN;
    }
    return serve(p, kind, fd);
}

int proxy_listener_port(const proxy *p, proxy_kind kind) {
    for (size_t i = 0; i < p->nlisteners; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (p->listeners[i].kind != kind ||
            getsockname(p->listeners[i].fd, (struct sockaddr *) &ss, &len) < 0)
            continue;
        if (ss.ss_family == AF_INET)
            return ntohs(((struct sockaddr_in *) &ss)->sin_port);
        if (ss.ss_family == AF_INET6)
            return ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
    }
    return 0;
}

/* ---- upstream proxy URL (§4.6: http:// only) ------------------------------------------------- */

static void base64(const unsigned char *in, size_t n, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned) in[i] << 16 | (i + 1 < n ? (unsigned) in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);

        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* "user:pass" percent-decoded, as HTTP basic credentials. */
static int upstream_auth(proxy *p, const char *s, size_t n) {
    unsigned char raw[256];
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (k == sizeof(raw))
            return -1;
        if (s[i] == '%' && i + 2 < n && http_hexval(s[i + 1]) >= 0 && http_hexval(s[i + 2]) >= 0) {
            raw[k++] = (unsigned char) (http_hexval(s[i + 1]) << 4 | http_hexval(s[i + 2]));
            i += 2;
        } else {
            raw[k++] = (unsigned char) s[i];
        }
    }
    memcpy(p->up_auth, "Basic ", 6);
    base64(raw, k, p->up_auth + 6);
    return 0;
}

static int parse_upstream(proxy *p, const char *url, fence_error *err) {
    size_t n = strlen(url), a, e;
    const char *at;
    http_target t;

    if (n < 7 || strncasecmp(url, "http://", 7) != 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0,
                               "invalid network.upstreamProxy '%s': only http:// upstream "
                               "proxies are supported",
                               url);
    a = 7;
    e = a;
    while (e < n && url[e] != '/' && url[e] != '?' && url[e] != '#')
        e++;
    at = memrchr(url + a, '@', e - a);
    if (at) {
        if (upstream_auth(p, url + a, (size_t) (at - url - a)) < 0)
            return fence_error_set(err, FENCE_E_CONFIG, 0,
                                   "invalid network.upstreamProxy: credentials too long");
        a = (size_t) (at - url) + 1;
    }
    if (httpparse_authority((http_str){url + a, e - a}, 80, &t) < 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0,
                               "invalid network.upstreamProxy '%s': bad host or port", url);
    memcpy(p->up_host, t.host, sizeof(p->up_host));
    p->up_port = t.port;
    p->has_upstream = true;
    return 0;
}

/* ---- lifetime -------------------------------------------------------------------------------- */

static void fill_defaults(proxy_options *o, const proxy_options *in) {
    if (in)
        *o = *in;
#define DEF(field, value)                                                                          \
    if (o->field == 0)                                                                             \
    o->field = (value)
    DEF(max_conns, PROXY_MAX_CONNS);
    DEF(mem_budget, PROXY_MEM_BUDGET);
    DEF(header_timeout_ms, PROXY_HEADER_TIMEOUT_MS);
    DEF(keepalive_timeout_ms, PROXY_KEEPALIVE_TIMEOUT_MS);
    DEF(connect_timeout_ms, PROXY_CONNECT_TIMEOUT_MS);
    DEF(response_timeout_ms, PROXY_RESPONSE_TIMEOUT_MS);
    DEF(idle_timeout_ms, PROXY_IDLE_TIMEOUT_MS);
    DEF(tunnel_idle_timeout_ms, PROXY_TUNNEL_IDLE_TIMEOUT_MS);
    DEF(handshake_timeout_ms, PROXY_HANDSHAKE_TIMEOUT_MS);
#undef DEF
    o->dns_servers = NULL; /* only used during proxy_new */
}

int proxy_new(evloop *loop, const struct fence_config *cfg, const rlog *log,
              const proxy_options *opts, proxy **ret, fence_error *err) {
    static const rlog silent = {0};
    dns_options dopt = {.servers = opts ? opts->dns_servers : NULL};
    proxy *p;
    int r;

    p = calloc(1, sizeof(*p));
    if (!p)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating proxy");
    p->loop = loop;
    p->log = log ? log : &silent;
    fill_defaults(&p->opt, opts);
    p->st.max_conns = p->opt.max_conns;
    p->mem = (membudget){.max = p->opt.mem_budget, .reclaim = reclaim, .userdata = p};
    p->fds = (membudget){.max = SIZE_MAX};
    p->cfg = cfg ? fence_config_copy(cfg) : NULL;
    if (cfg && !p->cfg) {
        free(p);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "copying network policy");
    }
    netpol_from_config(&p->pol, p->cfg);
    if (p->cfg && p->cfg->network.upstream_proxy && *p->cfg->network.upstream_proxy) {
        r = parse_upstream(p, p->cfg->network.upstream_proxy, err);
        if (r < 0) {
            proxy_free(p);
            return r;
        }
    }
    r = dns_new(loop, &dopt, &p->dns, err);
    if (r < 0) {
        proxy_free(p);
        return r;
    }
    p->dctx = (dial_ctx){.loop = loop, .dns = p->dns, .policy = &p->pol};
    *ret = p;
    return 0;
}

void proxy_stop(proxy *p) {
    if (!p || p->stopped)
        return;
    p->stopped = true;
    if (p->accept_pause)
        evloop_timer_cancel(p->loop, p->accept_pause);
    p->accept_pause = NULL;
    while (p->conns)
        p->conns->abort(p->conns);
    if (p->trim_timer)
        evloop_timer_cancel(p->loop, p->trim_timer);
    p->trim_timer = NULL;
    for (size_t i = 0; i < p->nlisteners; i++) {
        listener_unregister(&p->listeners[i]);
        p->listeners[i].fd = safe_close(p->listeners[i].fd);
    }
}

void proxy_free(proxy *p) {
    if (!p)
        return;
    proxy_stop(p);
    dns_free(p->dns);
    fence_config_free(p->cfg);
    free(p);
}

void proxy_get_stats(const proxy *p, proxy_stats *ret) {
    *ret = p->st;
    ret->dns_pending = dns_pending(p->dns);
    ret->mem_used = p->mem.used;
    ret->mem_peak = p->mem.peak;
    ret->mem_denied = p->mem.denied;
}
