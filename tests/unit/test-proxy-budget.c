/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the proxy's resource budgets (proxy.h, "Limits" and "Memory"), with real
 * sockets on loopback: many slow-header clients cannot pin more than the memory budget of the
 * supervisor's heap (its RSS stays under it) while a normal request still succeeds, and the same
 * clients do pin it all without a budget (the control); tunnels splice instead of failing when
 * the budget has no room for their copy buffers; the connection cap follows RLIMIT_NOFILE,
 * keeping PROXY_FD_RESERVE fds for the rest of the supervisor.
 */
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "config/config.h"
#include "proxy-harness.h"
#include "runtime/proxy.h"
#include "util/error.h"

/* RSS is meaningless under AddressSanitizer (freed memory sits in its quarantine). */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL 0
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL 1
#endif

#define SLOW_CONNS 200
#define SLOW_HEAD  (60 * 1024) /* under HTTP_HEAD_MAX: the proxy keeps waiting for the rest */
#define MIB        (1024 * 1024)

typedef struct fx {
    evloop *loop;
    origin http, echo;
    fence_config *cfg;
    proxy *px;
    uint16_t hport, sport;
    int slow[SLOW_CONNS];
} fx;

static fx F;

static int setup(void **state) {
    (void) state;
    memset(&F, 0, sizeof(F));
    for (int i = 0; i < SLOW_CONNS; i++)
        F.slow[i] = -1;
    assert_int_equal(evloop_new(&F.loop), 0);
    assert_int_equal(origin_start(&F.http, F.loop, ORIGIN_HTTP, AF_INET), 0);
    assert_int_equal(origin_start(&F.echo, F.loop, ORIGIN_ECHO, AF_INET), 0);
    F.cfg = fence_config_new();
    assert_int_equal(
            fence_config_list_append_string(F.cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS, "127.0.0.1"),
            0);
    return 0;
}

static int teardown(void **state) {
    (void) state;
    for (int i = 0; i < SLOW_CONNS; i++)
        if (F.slow[i] >= 0)
            close(F.slow[i]);
    proxy_free(F.px);
    origin_stop(&F.http);
    origin_stop(&F.echo);
    evloop_run_once(F.loop, 0);
    evloop_free(F.loop);
    fence_config_free(F.cfg);
    for (int fd = 0; fd < H_STASH_FDS; fd++)
        h_stash_clear(fd);
    return 0;
}

static void start_proxy(const proxy_options *o) {
    fence_error err = {0};
    int fd;

    if (proxy_new(F.loop, F.cfg, NULL, o, &F.px, &err) < 0)
        fail_msg("proxy_new: %s", err.msg);
    fd = h_listen(AF_INET, &F.hport);
    assert_int_equal(proxy_add_listener(F.px, PROXY_HTTP, fd, &err), 0);
    fd = h_listen(AF_INET, &F.sport);
    assert_int_equal(proxy_add_listener(F.px, PROXY_SOCKS, fd, &err), 0);
    assert_int_equal(proxy_start(F.px, &err), 0);
}

static proxy_stats stats(void) {
    proxy_stats st;

    proxy_get_stats(F.px, &st);
    return st;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    long kb = -1;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Runs the loop until the proxy has taken in everything it will (nothing changes for a while). */
static void settle(void) {
    proxy_stats a = stats(), b;

    for (int quiet = 0; quiet < 5;) {
        evloop_run_once(F.loop, 2);
        b = stats();
        quiet = b.mem_used == a.mem_used && b.mem_shed == a.mem_shed && b.active == a.active
                        ? quiet + 1
                        : 0;
        a = b;
    }
}

/* SLOW_CONNS clients each send SLOW_HEAD bytes of a request head that never ends (a slowloris
 * within the header timeout). */
static void open_slow_clients(void) {
    static char head[SLOW_HEAD];
    size_t n = (size_t) snprintf(head, sizeof(head), "GET http://127.0.0.1:%u/ HTTP/1.1\r\n",
                                 F.http.port);

    while (n + 6100 < sizeof(head)) {
        n += (size_t) snprintf(head + n, sizeof(head) - n, "X-Pad-%zu: ", n);
        memset(head + n, 'a', 6000);
        n += 6000;
        memcpy(head + n, "\r\n", 2);
        n += 2;
    }
    for (int i = 0; i < SLOW_CONNS; i++) {
        F.slow[i] = h_connect(AF_INET, F.hport);
        assert_true(F.slow[i] >= 0);
        assert_int_equal(h_send(F.loop, F.slow[i], head, n), 0);
        settle();
    }
}

static void normal_request_succeeds(void) {
    char req[256], *resp;
    int fd = h_connect(AF_INET, F.hport);

    assert_true(fd >= 0);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n\r\n",
             F.http.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    resp = h_read_response(F.loop, fd, "GET", NULL);
    assert_non_null(resp);
    if (strncmp(resp, "HTTP/1.1 200 ", 13) != 0)
        fail_msg("normal request: %s", resp);
    free(resp);
    close(fd);
}

static void test_slow_headers_stay_within_budget(void **state) {
    proxy_options o = {.mem_budget = 4 * MIB};
    proxy_stats st;
    long rss0, rss1;

    (void) state;
    start_proxy(&o);
    malloc_trim(0);
    rss0 = rss_kib();
    open_slow_clients();
    rss1 = rss_kib();
    st = stats();
    print_message("budget %zu KiB: peak %llu KiB, shed %llu, open %llu, RSS +%ld KiB\n",
                  o.mem_budget / 1024, (unsigned long long) st.mem_peak / 1024,
                  (unsigned long long) st.mem_shed, (unsigned long long) st.active, rss1 - rss0);
    /* the budget held: oldest waiting clients were shed to make room for newer ones */
    assert_true(st.mem_peak <= o.mem_budget);
    assert_true(st.mem_shed > 0);
    assert_true(st.active < SLOW_CONNS);
    if (RSS_MEANINGFUL && rss1 - rss0 > (long) (o.mem_budget / 1024) + 2048)
        fail_msg("RSS grew by %ld KiB with a budget of %zu KiB", rss1 - rss0, o.mem_budget / 1024);
    /* the first clients were closed, so were told so */
    assert_int_equal(h_wait_closed(F.loop, F.slow[0], 2000), 0);
    /* and meanwhile a normal request goes through */
    normal_request_succeeds();
    assert_true(stats().mem_peak <= o.mem_budget);
}

/* The control: the default budget (64 MiB) takes all of them in, the heap grows accordingly. */
static void test_slow_headers_without_small_budget(void **state) {
    proxy_stats st;
    long rss0, rss1;

    (void) state;
    start_proxy(NULL);
    malloc_trim(0);
    rss0 = rss_kib();
    open_slow_clients();
    rss1 = rss_kib();
    st = stats();
    print_message("default budget: peak %llu KiB, open %llu, RSS +%ld KiB\n",
                  (unsigned long long) st.mem_peak / 1024, (unsigned long long) st.active,
                  rss1 - rss0);
    assert_int_equal(st.mem_shed, 0);
    assert_int_equal(st.active, SLOW_CONNS);
    assert_true(st.mem_peak >= (uint64_t) SLOW_CONNS * SLOW_HEAD);
    if (RSS_MEANINGFUL)
        assert_true(rss1 - rss0 >= (long) SLOW_CONNS * SLOW_HEAD / 1024 * 3 / 4);
    normal_request_succeeds();
}

/* A budget with no room for a tunnel's 32 KiB copy buffers: the tunnel splices instead. */
static void test_tunnel_splices_when_budget_is_spent(void **state) {
    proxy_options o = {.mem_budget = 24 * 1024};
    char req[128], buf[39], data[1000], back[1000];
    int fd;

    (void) state;
    start_proxy(&o);
    fd = h_connect(AF_INET, F.hport);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", F.echo.port);
    assert_int_equal(h_send_str(F.loop, fd, req), 0);
    assert_int_equal(h_recv_all(F.loop, fd, buf, sizeof(buf)), 0);
    assert_memory_equal(buf, "HTTP/1.1 200 Connection Established\r\n\r\n", sizeof(buf));
    for (int round = 0; round < 5; round++) {
        memset(data, 'a' + round, sizeof(data));
        assert_int_equal(h_send(F.loop, fd, data, sizeof(data)), 0);
        assert_int_equal(h_recv_all(F.loop, fd, back, sizeof(back)), 0);
        assert_memory_equal(data, back, sizeof(data));
    }
    assert_true(stats().mem_peak <= o.mem_budget);
    assert_true(stats().mem_denied > 0); /* the copy buffers were refused */
    close(fd);
}

/* RLIMIT_NOFILE caps the connections: PROXY_FD_RESERVE fds stay free for the broker. */
static void test_connection_cap_follows_fd_limit(void **state) {
    enum { CAP = 5 };
    struct rlimit saved, rl;
    int fds[CAP], extra;
    char *resp;

    (void) state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    rl = saved;
    rl.rlim_cur = PROXY_FD_RESERVE + CAP * PROXY_FDS_PER_CONN;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    start_proxy(NULL);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(stats().max_conns, CAP);
    for (int i = 0; i < CAP; i++) {
        fds[i] = h_connect(AF_INET, F.hport);
        assert_true(fds[i] >= 0);
    }
    settle();
    extra = h_connect(AF_INET, F.hport);
    resp = h_read_response(F.loop, extra, "GET", NULL);
    assert_non_null(resp);
    assert_int_equal(strncmp(resp, "HTTP/1.1 503 ", 13), 0);
    free(resp);
    close(extra);
    for (int i = 0; i < CAP; i++)
        close(fds[i]);
    settle();
    normal_request_succeeds();
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_slow_headers_stay_within_budget, setup, teardown),
            cmocka_unit_test_setup_teardown(test_slow_headers_without_small_budget, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_tunnel_splices_when_budget_is_spent, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_connection_cap_follows_fd_limit, setup, teardown),
    };

    signal(SIGPIPE, SIG_IGN); /* as the supervisor has it: tunnels may splice */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
