/* SPDX-License-Identifier: MIT */
/* netrun: the network plumbing of one run; see netrun.h. */
#include "runtime/netrun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "runtime/nsfactory.h"
#include "runtime/proxy.h"
#include "runtime/relay.h"
#include "runtime/sockdiag.h"
#include "util/cleanup.h"
#include "util/error.h"

#define DEFAULT_HTTP_PORT  3128
#define DEFAULT_SOCKS_PORT 1080

/* "127.0.0.1:80" or "[::1]:80" into buf (NETRUN_ENDPOINT_MAX bytes). */
#define NETRUN_ENDPOINT_MAX 64
static const char *endpoint(char buf[static NETRUN_ENDPOINT_MAX], int family, const char *addr,
                            unsigned port) {
    snprintf(buf, NETRUN_ENDPOINT_MAX, family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, port);
    return buf;
}

/* ---- planning (pure) ------------------------------------------------------------------------- */

int netrun_expose_parse(const char *bind_addr, int port, netrun_expose *ret, fence_error *err) {
    const char *addr = bind_addr && *bind_addr ? bind_addr : "127.0.0.1";
    unsigned char bin[16];
    netrun_expose e = {0};

    if (port < 1 || port > 65535)
        return fence_error_set(err, FENCE_E_INVAL, 0, "exposing port %d: port out of range 1-65535",
                               port);
    if (inet_pton(AF_INET, addr, bin) == 1)
        e.family = AF_INET;
    else if (inet_pton(AF_INET6, addr, bin) == 1)
        e.family = AF_INET6;
    else
        return fence_error_set(err, FENCE_E_INVAL, 0,
                               "exposing port %d: bind address '%.64s' is not a literal IP", port,
                               addr);
    /* canonical text: what the listener binds and what -d shows */
    inet_ntop(e.family, bin, e.addr, sizeof(e.addr));
    e.port = (uint16_t) port;
    *ret = e;
    return 0;
}

static int add_listener(netrun_plan *p, int family, uint16_t port, netrun_role role) {
    sandbox_listener *l;

    if (p->n_listeners == SANDBOX_MAX_LISTENERS)
        return -E2BIG;
    l = &p->listeners[p->n_listeners];
    *l = (sandbox_listener){.family = family, .port = port, .optional = family == AF_INET6};
    /* IPv6 may be disabled on the host (ipv6.disable=1): then only the IPv4 listener exists */
    strcpy(l->addr, family == AF_INET6 ? "::1" : "127.0.0.1");
    p->roles[p->n_listeners++] = role;
    return 0;
}

static int add_listener_pair(netrun_plan *p, uint16_t port, netrun_role role) {
    int r = add_listener(p, AF_INET, port, role);

    return r < 0 ? r : add_listener(p, AF_INET6, port, role);
}

static bool is_outbound(const netrun_plan *p, uint16_t port) {
    for (size_t i = 0; i < p->n_outbound; i++)
        if (p->outbound[i] == port)
            return true;
    return false;
}

static int plan_outbound(netrun_plan *p, const struct fence_config *cfg, fence_error *err) {
    const intv *ports = &cfg->network.allow_local_outbound_ports;

    if (!config_allow_local_outbound(cfg))
        return 0;
    p->warn_outbound = ports->n == 0;
    for (size_t i = 0; i < ports->n; i++) {
        uint16_t port = (uint16_t) ports->v[i];

        if (ports->v[i] < 1 || ports->v[i] > 65535)
            return fence_error_set(err, FENCE_E_CONFIG, 0,
                                   "invalid network.allowLocalOutboundPorts entry %d (expected "
                                   "1-65535)",
                                   ports->v[i]);
        if (port == p->http_port || port == p->socks_port)
            return fence_error_set(err, FENCE_E_CONFIG, 0,
                                   "network.allowLocalOutboundPorts entry %u conflicts with a "
                                   "reserved in-sandbox proxy port",
                                   port);
        if (is_outbound(p, port))
            continue;
        if (p->n_outbound == NETRUN_MAX_OUTBOUND_PORTS)
            return fence_error_set(err, FENCE_E_CONFIG, 0,
                                   "network.allowLocalOutboundPorts: at most %d ports can be "
                                   "bridged",
                                   NETRUN_MAX_OUTBOUND_PORTS);
        p->outbound[p->n_outbound++] = port;
    }
    return 0;
}

int netrun_plan_build(const struct fence_config *cfg, bool netns, const netrun_expose *expose,
                      size_t n_expose, fence_execution_model model, netrun_plan *ret,
                      fence_error *err) {
    netrun_plan *p = ret;
    int r;

    memset(p, 0, sizeof(*p));
    if (n_expose > NETRUN_MAX_EXPOSED)
        return fence_error_set(err, FENCE_E_INVAL, 0, "at most %d ports can be exposed",
                               NETRUN_MAX_EXPOSED);
    p->netns = netns;
    p->relaxed = config_relaxed_network(cfg);
    p->on_host = model == FENCE_SERVICE_ON_HOST;
    p->allow_binding = cfg->network.allow_local_binding;
    p->http_port = cfg->network.http_proxy_port > 0 && cfg->network.http_proxy_port <= 65535
                           ? (uint16_t) cfg->network.http_proxy_port
                           : DEFAULT_HTTP_PORT;
    p->socks_port = cfg->network.socks_proxy_port > 0 && cfg->network.socks_proxy_port <= 65535
                            ? (uint16_t) cfg->network.socks_proxy_port
                            : DEFAULT_SOCKS_PORT;
    if (n_expose > 0)
        memcpy(p->expose, expose, n_expose * sizeof(*expose));
    p->n_expose = n_expose;
    if (!netns)
        return 0; /* the sandbox shares the host's network: nothing to create or relay */

    if (p->http_port == p->socks_port)
        return fence_error_set(err, FENCE_E_CONFIG, 0,
                               "network.httpProxyPort and network.socksProxyPort are both %u; "
                               "the two proxies need different ports",
                               p->http_port);
    r = add_listener_pair(p, p->http_port, NETRUN_ROLE_HTTP);
    if (r >= 0)
        r = add_listener_pair(p, p->socks_port, NETRUN_ROLE_SOCKS);
    if (r < 0)
        return fence_error_set(err, FENCE_E_CONFIG, -r, "planning the proxy listeners");
    r = plan_outbound(p, cfg, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < p->n_outbound; i++) {
        r = add_listener_pair(p, p->outbound[i], NETRUN_ROLE_OUTBOUND);
        if (r < 0)
            return fence_error_set(err, FENCE_E_CONFIG, -r, "planning the outbound listeners");
    }
    p->relay_inbound = !p->on_host && n_expose > 0;
    for (size_t i = 0; p->relay_inbound && i < n_expose; i++) {
        uint16_t port = expose[i].port;

        if (port == p->http_port || port == p->socks_port)
            return fence_error_set(err, FENCE_E_CONFIG, 0,
                                   "exposing port %u: it is a reserved in-sandbox proxy port",
                                   port);
        if (is_outbound(p, port))
            return fence_error_set(err, FENCE_E_CONFIG, 0,
                                   "exposing port %u: it is also in "
                                   "network.allowLocalOutboundPorts (the sandbox cannot serve it)",
                                   port);
    }
    return 0;
}

static bool tcp_rules(const netrun_plan *p) {
    if (p->relaxed)
        return false; /* direct connections are what allowedDomains ["*"] asks for */
    if (p->netns && p->allow_binding)
        return false; /* any port on the private loopback; the namespace is the egress control */
    return true;
}

static int add_common_ports(const netrun_plan *p, landlock_plan *ll) {
    int r = 0;

    for (size_t i = 0; r >= 0 && i < p->n_outbound; i++)
        r = landlock_plan_add_port(ll, false, p->outbound[i]);
    for (size_t i = 0; r >= 0 && i < p->n_expose; i++) {
        /* the service binds its exposed port, and may check on itself */
        r = landlock_plan_add_port(ll, true, p->expose[i].port);
        if (r >= 0)
            r = landlock_plan_add_port(ll, false, p->expose[i].port);
    }
    return r;
}

int netrun_plan_landlock(const netrun_plan *p, landlock_plan *ll) {
    int r;

    ll->handle_net = tcp_rules(p);
    if (!ll->handle_net || !p->netns)
        return 0; /* no rules, or added by netrun_landlock() once the host ports are known */
    r = landlock_plan_add_port(ll, false, p->http_port);
    if (r >= 0)
        r = landlock_plan_add_port(ll, false, p->socks_port);
    return r < 0 ? r : add_common_ports(p, ll);
}

static int dump_env(fbuf *out, const char *http, const char *socks) {
    int r = fbuf_printf(out, "environment: HTTP_PROXY=%s HTTPS_PROXY=%s (and lower case)\n", http,
                        http);

    if (r >= 0)
        r = fbuf_printf(out, "environment: ALL_PROXY=%s (and lower case)\n", socks);
    if (r >= 0)
        r = fbuf_printf(out, "environment: NO_PROXY=%s (and lower case)\n", NETRUN_NO_PROXY);
    return r;
}

int netrun_plan_dump(const netrun_plan *p, fbuf *out) {
    char http[64], socks[64], ep[NETRUN_ENDPOINT_MAX];
    int r;

    if (!p->netns) {
        r = fbuf_printf(out,
                        "network: %s: no network namespace; proxies on host loopback at "
                        "random ports, refusing other users' connections\n",
                        p->relaxed ? "relaxed (allowedDomains has \"*\")" : "degraded");
        for (size_t i = 0; r >= 0 && i < p->n_expose; i++)
            r = fbuf_printf(
                    out,
                    "network: inbound %s: the service binds it on the host (no "
                    "namespace, nothing relayed)\n",
                    endpoint(ep, p->expose[i].family, p->expose[i].addr, p->expose[i].port));
        if (r >= 0)
            r = dump_env(out, "http://127.0.0.1:<port>", "socks5h://127.0.0.1:<port>");
        return r;
    }
    r = fbuf_printf(out,
                    "network: private namespace (loopback only); proxies listen inside on "
                    "127.0.0.1 and ::1, HTTP port %u, SOCKS5 port %u\n",
                    p->http_port, p->socks_port);
    for (size_t i = 0; r >= 0 && i < p->n_outbound; i++)
        r = fbuf_printf(out,
                        "network: local outbound port %u: 127.0.0.1 and ::1 inside -> the "
                        "host's loopback\n",
                        p->outbound[i]);
    for (size_t i = 0; r >= 0 && i < p->n_expose; i++) {
        const netrun_expose *e = &p->expose[i];

        endpoint(ep, e->family, e->addr, e->port);
        if (p->relay_inbound)
            r = fbuf_printf(out, "network: inbound %s -> port %u in the sandbox\n", ep, e->port);
        else
            r = fbuf_printf(out, "network: inbound %s bound on the host by the service (on-host)\n",
                            ep);
    }
    snprintf(http, sizeof(http), "http://127.0.0.1:%u", p->http_port);
    snprintf(socks, sizeof(socks), "socks5h://127.0.0.1:%u", p->socks_port);
    return r < 0 ? r : dump_env(out, http, socks);
}

void netrun_plan_warn(const netrun_plan *p, const rlog *log) {
    if (p->netns && p->warn_outbound)
        rlog_line(log, "[fence] network.allowLocalOutbound=true on Linux requires "
                       "network.allowLocalOutboundPorts to list the host loopback ports to "
                       "bridge (e.g. [5432, 6379]). Without it, sandbox connections to "
                       "127.0.0.1 stay isolated inside the sandbox network namespace.");
}

/* ---- the run --------------------------------------------------------------------------------- */

struct netrun {
    evloop *loop;
    const netrun_plan *plan;
    const rlog *log;
    uid_t uid;
    proxy *px;
    relay *rl;
    nsfactory *factory;
    int host_fds[NETRUN_MAX_EXPOSED]; /* -p listeners until netrun_attach() hands them over */
    uint16_t host_http, host_socks;   /* relaxed/degraded: the proxies' host ports */
    bool attached;
    bool limits_saved;
    struct rlimit nofile;
    sigset_t oldmask;
    uint64_t last_refusal_log;
};

static uint64_t mono_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* Relaxed mode: the proxies listen on host loopback, where every local user could reach them.
 * Only connections whose peer socket belongs to our own uid are served (the sandbox runs as
 * that uid; a process of the same user outside the sandbox could use fence directly anyway). */
static bool same_user_only(void *userdata, int fd) {
    netrun *n = userdata;
    uid_t uid = (uid_t) -1;
    int r = sockdiag_peer_uid(fd, &uid);
    uint64_t now;

    if (r == 0 && uid == n->uid)
        return true;
    now = mono_ms();
    if ((n->log->debug || n->log->monitor) && now - n->last_refusal_log >= 1000) {
        n->last_refusal_log = now;
        if (r == 0)
            rlog_line(n->log,
                      "[fence] proxy refused a connection from uid %u: only uid %u may "
                      "use this run's proxies",
                      (unsigned) uid, (unsigned) n->uid);
        else
            rlog_line(n->log,
                      "[fence] proxy refused a connection whose owner cannot be "
                      "determined: %s",
                      strerror(-r));
    }
    return false;
}

/* A listening TCP socket on addr:port (port 0: any). Returns the fd or -errno. */
static int listen_on(int family, const char *addr, uint16_t port, uint16_t *ret_port) {
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int one = 1, r;
    _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return -errno;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;

        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        r = inet_pton(AF_INET6, addr, &a->sin6_addr);
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *) &ss;

        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        r = inet_pton(AF_INET, addr, &a->sin_addr);
        len = sizeof(*a);
    }
    if (r != 1)
        return -EINVAL;
    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, SOMAXCONN) < 0)
        return -errno;
    if (ret_port) {
        len = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
            return -errno;
        *ret_port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                             : ((struct sockaddr_in *) &ss)->sin_port);
    }
    return TAKE_FD(fd);
}

static int start_host_proxies(netrun *n, fence_error *err) {
    static const struct {
        proxy_kind kind;
        const char *what;
    } kinds[] = {{PROXY_HTTP, "HTTP"}, {PROXY_SOCKS, "SOCKS5"}};

    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        uint16_t port = 0;
        int fd = listen_on(AF_INET, "127.0.0.1", 0, &port), r;

        if (fd < 0)
            return fence_error_set(err, FENCE_E_PROXY, -fd,
                                   "creating the %s proxy listener on 127.0.0.1", kinds[i].what);
        r = proxy_add_listener(n->px, kinds[i].kind, fd, err);
        if (r < 0)
            return r;
        if (kinds[i].kind == PROXY_HTTP)
            n->host_http = port;
        else
            n->host_socks = port;
    }
    return 0;
}

static void set_target(struct sockaddr_storage *ss, int family, uint16_t port) {
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) ss;

        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_loopback;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *) ss;

        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
}

/* -p: bind every host listener now, so that a busy port fails the run before it starts. */
static int bind_inbound(netrun *n, fence_error *err) {
    const netrun_plan *p = n->plan;

    for (size_t i = 0; i < p->n_expose; i++) {
        const netrun_expose *e = &p->expose[i];
        int fd = listen_on(e->family, e->addr, e->port, NULL);

        if (fd < 0)
            return fence_error_set(err, FENCE_E_PROXY, -fd, "exposing port %u on %s%s%s", e->port,
                                   e->family == AF_INET6 ? "[" : "", e->addr,
                                   e->family == AF_INET6 ? "]" : "");
        n->host_fds[i] = fd;
    }
    return 0;
}

int netrun_start(evloop *loop, const struct fence_config *cfg, const netrun_plan *plan,
                 const rlog *log, const netrun_options *opts, netrun **ret, fence_error *err) {
    proxy_options po = {.dns_servers = opts ? opts->dns_servers : NULL};
    netrun *n = calloc(1, sizeof(*n));
    int r;

    if (!n)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the network run");
    n->loop = loop;
    n->plan = plan;
    n->log = log;
    n->uid = geteuid();
    for (size_t i = 0; i < NETRUN_MAX_EXPOSED; i++)
        n->host_fds[i] = -1;
    if (!plan->netns) {
        po.accept_filter = same_user_only;
        po.accept_filter_data = n;
    }
    r = proxy_new(loop, cfg, log, &po, &n->px, err);
    if (r >= 0 && !plan->netns)
        r = start_host_proxies(n, err);
    if (r >= 0 && plan->relay_inbound)
        r = bind_inbound(n, err);
    if (r >= 0 && (plan->relay_inbound || plan->n_outbound > 0) && relay_new(loop, log, &n->rl) < 0)
        r = fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the relays");
    if (r < 0) {
        netrun_free(n);
        return r;
    }
    *ret = n;
    return 0;
}

int netrun_host_port(const netrun *n, netrun_role role) {
    return role == NETRUN_ROLE_HTTP ? n->host_http : role == NETRUN_ROLE_SOCKS ? n->host_socks : 0;
}

static bool is_proxy_var(const char *entry) {
    static const char *const names[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                                        "FTP_PROXY"};
    size_t n = strcspn(entry, "=");

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (n == strlen(names[i]) && strncasecmp(entry, names[i], n) == 0)
            return true;
    return false;
}

int netrun_env(const netrun *n, strv *env) {
    const netrun_plan *p = n->plan;
    unsigned http = p->netns ? p->http_port : n->host_http;
    unsigned socks = p->netns ? p->socks_port : n->host_socks;
    strv out = {0};
    char line[96];
    int r = 0;

    for (size_t i = 0; r >= 0 && i < env->n; i++)
        if (!is_proxy_var(env->v[i]))
            r = strv_push(&out, env->v[i]);
    for (int lower = 0; r >= 0 && lower <= 1; lower++) {
        snprintf(line, sizeof(line), "%s=http://127.0.0.1:%u", lower ? "http_proxy" : "HTTP_PROXY",
                 http);
        r = strv_push(&out, line);
        snprintf(line, sizeof(line), "%s=http://127.0.0.1:%u",
                 lower ? "https_proxy" : "HTTPS_PROXY", http);
        if (r >= 0)
            r = strv_push(&out, line);
        snprintf(line, sizeof(line), "%s=socks5h://127.0.0.1:%u", lower ? "all_proxy" : "ALL_PROXY",
                 socks);
        if (r >= 0)
            r = strv_push(&out, line);
        snprintf(line, sizeof(line), "%s=%s", lower ? "no_proxy" : "NO_PROXY", NETRUN_NO_PROXY);
        if (r >= 0)
            r = strv_push(&out, line);
    }
    if (r < 0) {
        strv_done(&out);
        return r;
    }
    strv_done(env);
    *env = out;
    return 0;
}

int netrun_landlock(const netrun *n, landlock_plan *ll) {
    const netrun_plan *p = n->plan;
    int r;

    if (p->netns || !ll->handle_net)
        return 0;
    r = landlock_plan_add_port(ll, false, n->host_http);
    if (r >= 0)
        r = landlock_plan_add_port(ll, false, n->host_socks);
    return r < 0 ? r : add_common_ports(p, ll);
}

static int attach_listeners(netrun *n, sandbox *sb, fence_error *err) {
    const netrun_plan *p = n->plan;
    char ep[NETRUN_ENDPOINT_MAX];
    int r = 0;

    for (size_t i = 0; r >= 0 && i < p->n_listeners && i < sb->n_listener_fds; i++) {
        const sandbox_listener *l = &p->listeners[i];
        int fd = sb->listener_fds[i];

        sb->listener_fds[i] = -1;
        if (fd < 0) {
            if (!l->optional)
                r = fence_error_set(err, FENCE_E_SANDBOX, EPROTO,
                                    "listener %zu (%s port %u) is missing", i, l->addr, l->port);
            continue;
        }
        if (p->roles[i] != NETRUN_ROLE_OUTBOUND) {
            r = proxy_add_listener(
                    n->px, p->roles[i] == NETRUN_ROLE_HTTP ? PROXY_HTTP : PROXY_SOCKS, fd, err);
        } else {
            relay_route rt = {.n_targets = 1};

            snprintf(rt.label, sizeof(rt.label), "local outbound %s",
                     endpoint(ep, l->family, l->addr, l->port));
            set_target(&rt.target[0], l->family, l->port);
            r = relay_add(n->rl, fd, &rt, err);
        }
    }
    return r;
}

static int attach_inbound(netrun *n, int inside_sock, fence_error *err) {
    const netrun_plan *p = n->plan;
    char ep[NETRUN_ENDPOINT_MAX];
    int r;

    r = nsfactory_new(n->loop, inside_sock, &n->factory, err);
    if (r < 0)
        return r;
    relay_set_factory(n->rl, n->factory);
    for (size_t i = 0; i < p->n_expose; i++) {
        const netrun_expose *e = &p->expose[i];
        int other = e->family == AF_INET6 ? AF_INET : AF_INET6;
        relay_route rt = {.n_targets = 2, .in_sandbox = true};

        /* the service may listen on either loopback: the bind address's family first */
        snprintf(rt.label, sizeof(rt.label), "inbound %s",
                 endpoint(ep, e->family, e->addr, e->port));
        set_target(&rt.target[0], e->family, e->port);
        set_target(&rt.target[1], other, e->port);
        r = relay_add(n->rl, n->host_fds[i], &rt, err);
        n->host_fds[i] = -1;
        if (r < 0)
            return r;
    }
    return 0;
}

/* The proxies' many sockets need more than the usual soft limit of 1024 fds; the sandbox was
 * spawned before this, so it keeps the limit it inherited. */
static void raise_nofile(netrun *n) {
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &n->nofile) < 0)
        return;
    n->limits_saved = true;
    rl = n->nofile;
    rl.rlim_cur = rl.rlim_max;
    (void) setrlimit(RLIMIT_NOFILE, &rl);
}

int netrun_attach(netrun *n, sandbox *sb, fence_error *err) {
    sigset_t pipe_set;
    int r;

    if (n->attached)
        return fence_error_set(err, FENCE_E_STATE, 0, "network already attached");
    n->attached = true;
    /* splice(2) into a socket whose peer is gone raises SIGPIPE: block it in this thread and
     * drop what is pending when done (a library must not change the process's dispositions) */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &n->oldmask);
    raise_nofile(n);

    /* -p: the helper finds the sandbox's namespaces from a socket made there; the first
     * listener (127.0.0.1 HTTP) always exists */
    if (n->plan->relay_inbound)
        r = sb->n_listener_fds > 0 && sb->listener_fds[0] >= 0
                    ? attach_inbound(n, sb->listener_fds[0], err)
                    : fence_error_set(err, FENCE_E_SANDBOX, EPROTO, "no socket from the sandbox");
    else
        r = 0;
    if (r >= 0)
        r = attach_listeners(n, sb, err);
    if (r >= 0)
        r = proxy_start(n->px, err);
    if (r >= 0 && n->rl)
        r = relay_start(n->rl, err);
    return r;
}

void netrun_free(netrun *n) {
    if (!n)
        return;
    relay_free(n->rl);
    nsfactory_free(n->factory);
    proxy_free(n->px);
    for (size_t i = 0; i < NETRUN_MAX_EXPOSED; i++)
        safe_close(n->host_fds[i]);
    if (n->limits_saved)
        (void) setrlimit(RLIMIT_NOFILE, &n->nofile);
    if (n->attached) {
        sigset_t pipe_set;
        struct timespec zero = {0, 0};

        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
        pthread_sigmask(SIG_SETMASK, &n->oldmask, NULL);
    }
    free(n);
}
