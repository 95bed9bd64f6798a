/* SPDX-License-Identifier: MIT */
/* Unit tests for netrun: the network plan of a run (listeners in the sandbox, -p, the
 * allowLocalOutboundPorts bridges and their checks, the §6.6 warning), its Landlock TCP rules in
 * each mode, the proxy variables of §6.5, and the relaxed-mode host listeners. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "config/config.h"
#include "runtime/netrun.h"
#include "util/cleanup.h"

static fence_config *cfg_new(void) {
    fence_config *c = fence_config_new();

    assert_non_null(c);
    return c;
}

static bool has_port(const uint16_t *v, size_t n, uint16_t port) {
    for (size_t i = 0; i < n; i++)
        if (v[i] == port)
            return true;
    return false;
}

static void test_default_plan(void **state) {
    fence_config *c = cfg_new();
    netrun_plan p;
    landlock_plan ll = LANDLOCK_PLAN_INIT;
    static const struct {
        int family;
        const char *addr;
        uint16_t port;
        netrun_role role;
    } want[] = {
            {AF_INET, "127.0.0.1", 3128, NETRUN_ROLE_HTTP},
            {AF_INET6, "::1", 3128, NETRUN_ROLE_HTTP},
            {AF_INET, "127.0.0.1", 1080, NETRUN_ROLE_SOCKS},
            {AF_INET6, "::1", 1080, NETRUN_ROLE_SOCKS},
    };

    (void) state;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_true(p.netns);
    assert_false(p.relaxed);
    assert_int_equal(p.n_listeners, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        assert_int_equal(p.listeners[i].family, want[i].family);
        assert_string_equal(p.listeners[i].addr, want[i].addr);
        assert_int_equal(p.listeners[i].port, want[i].port);
        assert_int_equal(p.roles[i], want[i].role);
        /* a host without IPv6 still runs: only the ::1 listeners are optional */
        assert_int_equal(p.listeners[i].optional, want[i].family == AF_INET6);
    }
    assert_false(p.warn_outbound);
    /* Landlock: connect only to the proxies, bind nothing */
    assert_int_equal(netrun_plan_landlock(&p, &ll), 0);
    assert_true(ll.handle_net);
    assert_int_equal(ll.n_connect_ports, 2);
    assert_true(has_port(ll.connect_ports, ll.n_connect_ports, 3128));
    assert_true(has_port(ll.connect_ports, ll.n_connect_ports, 1080));
    assert_int_equal(ll.n_bind_ports, 0);
    landlock_plan_done(&ll);
    fence_config_free(c);
}

static void test_configured_ports(void **state) {
    fence_config *c = cfg_new();
    fence_error err = {0};
    netrun_plan p;

    (void) state;
    c->network.http_proxy_port = 8888;
    c->network.socks_proxy_port = 9999;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(p.http_port, 8888);
    assert_int_equal(p.socks_port, 9999);
    assert_int_equal(p.listeners[0].port, 8888);
    assert_int_equal(p.listeners[3].port, 9999);
    /* both proxies on one port cannot work */
    c->network.socks_proxy_port = 8888;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, &err),
                     -FENCE_E_CONFIG);
    assert_string_equal(err.msg, "network.httpProxyPort and network.socksProxyPort are both "
                                 "8888; the two proxies need different ports");
    fence_config_free(c);
}

static void test_outbound_ports(void **state) {
    fence_config *c = cfg_new();
    netrun_plan p;
    landlock_plan ll = LANDLOCK_PLAN_INIT;

    (void) state;
    c->network.allow_local_outbound = TRI_TRUE;
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 5432), 0);
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 6379), 0);
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 5432), 0);
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(p.n_outbound, 2);
    assert_int_equal(p.n_listeners, 8);
    assert_int_equal(p.listeners[4].port, 5432);
    assert_string_equal(p.listeners[4].addr, "127.0.0.1");
    assert_string_equal(p.listeners[5].addr, "::1");
    assert_int_equal(p.roles[5], NETRUN_ROLE_OUTBOUND);
    assert_int_equal(p.listeners[7].port, 6379);
    assert_false(p.warn_outbound);
    assert_int_equal(netrun_plan_landlock(&p, &ll), 0);
    assert_int_equal(ll.n_connect_ports, 4);
    assert_true(has_port(ll.connect_ports, ll.n_connect_ports, 6379));
    landlock_plan_done(&ll);

    /* the ports only count when allowLocalOutbound is on (unset = allowLocalBinding) */
    c->network.allow_local_outbound = TRI_FALSE;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(p.n_outbound, 0);
    assert_int_equal(p.n_listeners, 4);
    c->network.allow_local_outbound = TRI_UNSET;
    c->network.allow_local_binding = true;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(p.n_outbound, 2);
    fence_config_free(c);
}

static void test_outbound_limits(void **state) {
    fence_config *c = cfg_new();
    fence_error err = {0};
    netrun_plan p;

    (void) state;
    c->network.allow_local_outbound = TRI_TRUE;
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 3128), 0);
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, &err),
                     -FENCE_E_CONFIG);
    assert_string_equal(err.msg, "network.allowLocalOutboundPorts entry 3128 conflicts with a "
                                 "reserved in-sandbox proxy port");
    /* the reserved ports are the configured ones */
    c->network.http_proxy_port = 8080;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 8080), 0);
    memset(&err, 0, sizeof(err));
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, &err),
                     -FENCE_E_CONFIG);
    assert_string_equal(err.msg, "network.allowLocalOutboundPorts entry 8080 conflicts with a "
                                 "reserved in-sandbox proxy port");
    /* no netns: the proxies are on random host ports, nothing is reserved or bridged */
    assert_int_equal(netrun_plan_build(c, false, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(p.n_listeners, 0);

    intv_done(&c->network.allow_local_outbound_ports);
    for (int i = 0; i < NETRUN_MAX_OUTBOUND_PORTS + 1; i++)
        assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 20000 + i), 0);
    memset(&err, 0, sizeof(err));
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, &err),
                     -FENCE_E_CONFIG);
    assert_non_null(strstr(err.msg, "at most 30 ports"));
    fence_config_free(c);
}

static char last_line[1024];
static int n_lines;

static void capture(void *userdata, const char *line) {
    (void) userdata;
    snprintf(last_line, sizeof(last_line), "%s", line);
    n_lines++;
}

static void test_outbound_warning(void **state) {
    fence_config *c = cfg_new();
    netrun_plan p;
    rlog log = {.fn = capture};

    (void) state;
    c->network.allow_local_outbound = TRI_TRUE;
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_true(p.warn_outbound);
    n_lines = 0;
    netrun_plan_warn(&p, &log);
    assert_int_equal(n_lines, 1);
    assert_string_equal(last_line,
                        "[fence] network.allowLocalOutbound=true on Linux requires "
                        "network.allowLocalOutboundPorts to list the host loopback ports to "
                        "bridge (e.g. [5432, 6379]). Without it, sandbox connections to "
                        "127.0.0.1 stay isolated inside the sandbox network namespace.");
    /* relaxed mode shares the host's loopback: nothing to warn about */
    assert_int_equal(netrun_plan_build(c, false, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    n_lines = 0;
    netrun_plan_warn(&p, &log);
    assert_int_equal(n_lines, 0);
    fence_config_free(c);
}

static void test_expose_parse(void **state) {
    static const struct {
        const char *addr;
        int port;
        int family;
        const char *canon;
    } ok[] = {
            {NULL, 8080, AF_INET, "127.0.0.1"},       {"", 1, AF_INET, "127.0.0.1"},
            {"0.0.0.0", 3000, AF_INET, "0.0.0.0"},    {"::1", 65535, AF_INET6, "::1"},
            {"0:0:0:0:0:0:0:1", 80, AF_INET6, "::1"}, {"::", 9000, AF_INET6, "::"},
    };
    static const struct {
        const char *addr;
        int port;
        const char *msg;
    } bad[] = {
            {"localhost", 80, "exposing port 80: bind address 'localhost' is not a literal IP"},
            {"127.1", 80, "exposing port 80: bind address '127.1' is not a literal IP"},
            {"127.0.0.1", 0, "exposing port 0: port out of range 1-65535"},
            {"::1", 70000, "exposing port 70000: port out of range 1-65535"},
    };
    netrun_expose e;

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        assert_int_equal(netrun_expose_parse(ok[i].addr, ok[i].port, &e, NULL), 0);
        assert_int_equal(e.family, ok[i].family);
        assert_string_equal(e.addr, ok[i].canon);
        assert_int_equal(e.port, ok[i].port);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        fence_error err = {0};

        assert_int_equal(netrun_expose_parse(bad[i].addr, bad[i].port, &e, &err), -FENCE_E_INVAL);
        assert_string_equal(err.msg, bad[i].msg);
    }
}

static void test_inbound(void **state) {
    fence_config *c = cfg_new();
    fence_error err = {0};
    netrun_expose e[2];
    netrun_plan p;
    landlock_plan ll = LANDLOCK_PLAN_INIT;

    (void) state;
    assert_int_equal(netrun_expose_parse(NULL, 8000, &e[0], NULL), 0);
    assert_int_equal(netrun_expose_parse("::", 9000, &e[1], NULL), 0);
    assert_int_equal(netrun_plan_build(c, true, e, 2, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_true(p.relay_inbound);
    assert_int_equal(p.n_expose, 2);
    /* the service may bind its exposed ports (and connect to them), nothing else */
    assert_int_equal(netrun_plan_landlock(&p, &ll), 0);
    assert_int_equal(ll.n_bind_ports, 2);
    assert_true(has_port(ll.bind_ports, ll.n_bind_ports, 8000));
    assert_true(has_port(ll.bind_ports, ll.n_bind_ports, 9000));
    assert_true(has_port(ll.connect_ports, ll.n_connect_ports, 9000));
    landlock_plan_done(&ll);
    /* on-host: the service binds on the host itself, nothing is relayed */
    assert_int_equal(netrun_plan_build(c, true, e, 2, FENCE_SERVICE_ON_HOST, &p, NULL), 0);
    assert_false(p.relay_inbound);
    /* an exposed port cannot be one the sandbox's own listeners hold */
    assert_int_equal(netrun_expose_parse(NULL, 1080, &e[1], NULL), 0);
    assert_int_equal(netrun_plan_build(c, true, e, 2, FENCE_SERVICE_IN_SANDBOX, &p, &err),
                     -FENCE_E_CONFIG);
    assert_string_equal(err.msg, "exposing port 1080: it is a reserved in-sandbox proxy port");
    c->network.allow_local_outbound = TRI_TRUE;
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 8000), 0);
    memset(&err, 0, sizeof(err));
    assert_int_equal(netrun_plan_build(c, true, e, 1, FENCE_SERVICE_IN_SANDBOX, &p, &err),
                     -FENCE_E_CONFIG);
    assert_non_null(strstr(err.msg, "exposing port 8000: it is also in "
                                    "network.allowLocalOutboundPorts"));
    fence_config_free(c);
}

/* Which modes restrict TCP with Landlock (netrun.h explains why). */
static void test_tcp_rule_modes(void **state) {
    static const struct {
        bool relaxed, netns, binding, want;
    } cases[] = {
            {false, true, false, true},  /* default: second layer behind the netns */
            {false, true, true, false},  /* allowLocalBinding: any port on the private lo */
            {true, false, false, false}, /* relaxed: direct connections allowed */
            {true, false, true, false},
            {false, false, false, true}, /* degraded, no netns: Landlock is the egress fence */
            {false, false, true, true},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fence_config *c = cfg_new();
        landlock_plan ll = LANDLOCK_PLAN_INIT;
        netrun_plan p;

        if (cases[i].relaxed)
            assert_int_equal(strv_push(&c->network.allowed_domains, "*"), 0);
        c->network.allow_local_binding = cases[i].binding;
        assert_int_equal(
                netrun_plan_build(c, cases[i].netns, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL),
                0);
        assert_int_equal(p.relaxed, cases[i].relaxed);
        assert_int_equal(netrun_plan_landlock(&p, &ll), 0);
        assert_int_equal(ll.handle_net, cases[i].want);
        landlock_plan_done(&ll);
        fence_config_free(c);
    }
}

static bool env_has(const strv *env, const char *entry) {
    return strv_contains(env, entry);
}

static void test_env_netns(void **state) {
    fence_config *c = cfg_new();
    evloop *loop = NULL;
    netrun *n = NULL;
    netrun_plan p;
    rlog log = {0};
    strv env = {0};
    static const char *const want[] = {
            "HTTP_PROXY=http://127.0.0.1:3128",
            "HTTPS_PROXY=http://127.0.0.1:3128",
            "http_proxy=http://127.0.0.1:3128",
            "https_proxy=http://127.0.0.1:3128",
            "ALL_PROXY=socks5h://127.0.0.1:1080",
            "all_proxy=socks5h://127.0.0.1:1080",
            "NO_PROXY=localhost,127.0.0.1,::1",
            "no_proxy=localhost,127.0.0.1,::1",
            "PATH=/usr/bin",
    };

    (void) state;
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(netrun_plan_build(c, true, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(netrun_start(loop, c, &p, &log, NULL, &n, NULL), 0);
    /* inherited proxy settings (any case) are replaced, not kept next to ours */
    for (const char *const *e =
                 (const char *const[]){"PATH=/usr/bin", "HTTP_PROXY=http://corp:8080",
                                       "http_proxy=http://corp:8080", "No_Proxy=corp.internal",
                                       "FTP_PROXY=http://corp:21", NULL};
         *e; e++)
        assert_int_equal(strv_push(&env, *e), 0);
    assert_int_equal(netrun_env(n, &env), 0);
    assert_int_equal(env.n, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_true(env_has(&env, want[i]));
    assert_int_equal(netrun_host_port(n, NETRUN_ROLE_HTTP), 0);
    strv_done(&env);
    netrun_free(n);
    evloop_free(loop);
    fence_config_free(c);
}

static void test_env_relaxed(void **state) {
    fence_config *c = cfg_new();
    evloop *loop = NULL;
    netrun *n = NULL;
    netrun_plan p;
    rlog log = {0};
    strv env = {0};
    landlock_plan ll = LANDLOCK_PLAN_INIT;
    char line[64];
    int http, socks;

    (void) state;
    assert_int_equal(strv_push(&c->network.allowed_domains, "*"), 0);
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(netrun_plan_build(c, false, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(netrun_start(loop, c, &p, &log, NULL, &n, NULL), 0);
    http = netrun_host_port(n, NETRUN_ROLE_HTTP);
    socks = netrun_host_port(n, NETRUN_ROLE_SOCKS);
    assert_true(http > 0 && socks > 0 && http != socks);
    assert_int_equal(netrun_env(n, &env), 0);
    snprintf(line, sizeof(line), "https_proxy=http://127.0.0.1:%d", http);
    assert_true(env_has(&env, line));
    snprintf(line, sizeof(line), "ALL_PROXY=socks5h://127.0.0.1:%d", socks);
    assert_true(env_has(&env, line));
    /* relaxed: no TCP rules at all */
    assert_int_equal(netrun_plan_landlock(&p, &ll), 0);
    assert_int_equal(netrun_landlock(n, &ll), 0);
    assert_false(ll.handle_net);
    assert_int_equal(ll.n_connect_ports, 0);
    landlock_plan_done(&ll);
    strv_done(&env);
    netrun_free(n);
    fence_config_free(c);

    /* degraded (no netns, not relaxed): connect only to the host proxies' ports */
    c = cfg_new();
    assert_int_equal(netrun_plan_build(c, false, NULL, 0, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(netrun_start(loop, c, &p, &log, NULL, &n, NULL), 0);
    assert_int_equal(netrun_plan_landlock(&p, &ll), 0);
    assert_int_equal(netrun_landlock(n, &ll), 0);
    assert_true(ll.handle_net);
    assert_int_equal(ll.n_connect_ports, 2);
    assert_true(has_port(ll.connect_ports, 2, (uint16_t) netrun_host_port(n, NETRUN_ROLE_HTTP)));
    assert_true(has_port(ll.connect_ports, 2, (uint16_t) netrun_host_port(n, NETRUN_ROLE_SOCKS)));
    landlock_plan_done(&ll);
    netrun_free(n);
    evloop_free(loop);
    fence_config_free(c);
}

static void test_inbound_port_busy(void **state) {
    fence_config *c = cfg_new();
    fence_error err = {0};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    evloop *loop = NULL;
    netrun *n = NULL;
    netrun_expose e;
    netrun_plan p;
    rlog log = {0};
    char want[128];
    int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    (void) state;
    assert_true(busy >= 0);
    assert_int_equal(bind(busy, (struct sockaddr *) &sa, sizeof(sa)), 0);
    assert_int_equal(listen(busy, 1), 0);
    assert_int_equal(getsockname(busy, (struct sockaddr *) &sa, &len), 0);
    assert_int_equal(netrun_expose_parse("127.0.0.1", ntohs(sa.sin_port), &e, NULL), 0);
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(netrun_plan_build(c, true, &e, 1, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    /* the run fails before anything is started, with the port and the reason */
    assert_int_equal(netrun_start(loop, c, &p, &log, NULL, &n, &err), -FENCE_E_PROXY);
    snprintf(want, sizeof(want), "exposing port %u on 127.0.0.1: Address already in use",
             ntohs(sa.sin_port));
    assert_string_equal(err.msg, want);
    assert_int_equal(evloop_count(loop), 0);
    close(busy);
    evloop_free(loop);
    fence_config_free(c);
}

static void test_dump(void **state) {
    fence_config *c = cfg_new();
    fbuf out = FBUF_INIT(1 << 16);
    netrun_expose e;
    netrun_plan p;
    const char *text;

    (void) state;
    c->network.allow_local_outbound = TRI_TRUE;
    assert_int_equal(intv_push(&c->network.allow_local_outbound_ports, 5432), 0);
    assert_int_equal(netrun_expose_parse("::", 8080, &e, NULL), 0);
    assert_int_equal(netrun_plan_build(c, true, &e, 1, FENCE_SERVICE_IN_SANDBOX, &p, NULL), 0);
    assert_int_equal(netrun_plan_dump(&p, &out), 0);
    text = out.data;
    assert_non_null(strstr(text,
                           "network: private namespace (loopback only); proxies listen "
                           "inside on 127.0.0.1 and ::1, HTTP port 3128, SOCKS5 port 1080\n"));
    assert_non_null(strstr(text, "network: local outbound port 5432: 127.0.0.1 and ::1 inside "
                                 "-> the host's loopback\n"));
    assert_non_null(strstr(text, "network: inbound [::]:8080 -> port 8080 in the sandbox\n"));
    assert_non_null(strstr(text, "environment: ALL_PROXY=socks5h://127.0.0.1:1080"));
    fbuf_done(&out);
    fence_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_default_plan),      cmocka_unit_test(test_configured_ports),
            cmocka_unit_test(test_outbound_ports),    cmocka_unit_test(test_outbound_limits),
            cmocka_unit_test(test_outbound_warning),  cmocka_unit_test(test_expose_parse),
            cmocka_unit_test(test_inbound),           cmocka_unit_test(test_tcp_rule_modes),
            cmocka_unit_test(test_env_netns),         cmocka_unit_test(test_env_relaxed),
            cmocka_unit_test(test_inbound_port_busy), cmocka_unit_test(test_dump),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
