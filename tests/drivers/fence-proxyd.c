/* SPDX-License-Identifier: MIT */
/*
 * fence-proxyd: runs fence's HTTP and SOCKS5 proxies on host ports, outside any sandbox, for
 * the integration tests, the load test and the benchmarks. It does what the supervisor will do
 * (one evloop, listeners handed to the proxy module, SIGPIPE ignored) with listeners bound here
 * instead of inside a sandbox's network namespace.
 *
 *   fence-proxyd [--http ADDR:PORT]... [--socks ADDR:PORT]... [--allow PATTERN]...
 *                [--deny PATTERN]... [--upstream URL] [--default-action deny|proxy]
 *                [--dns IP:PORT[,...]] [-d] [-m] [--log FILE] [--max-conns N]
 *                [--header-timeout MS] [--keepalive-timeout MS] [--connect-timeout MS]
 *                [--response-timeout MS] [--idle-timeout MS] [--tunnel-idle-timeout MS]
 *                [--handshake-timeout MS] [--no-splice] [--no-config]
 *
 * Port 0 picks a free port. When ready it prints one line on stdout:
 *   READY pid=<pid> http=<port> socks=<port>
 * SIGUSR1 prints "STATS key=value ..." (the proxy's counters) on stdout;
 * SIGTERM or SIGINT stops it cleanly (exit 0) after printing the final STATS line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "policy/netpol.h"
#include "runtime/evloop.h"
#include "runtime/proxy.h"
#include "runtime/rlog.h"
#include "util/cleanup.h"

typedef struct listen_spec {
    proxy_kind kind;
    const char *addr;
} listen_spec;

static void log_line(void *userdata, const char *line) {
    FILE *f = userdata;

    fprintf(f, "%s\n", line);
    fflush(f);
}

static int make_listener(const char *spec) {
    char host[128];
    const char *colon = strrchr(spec, ':');
    size_t hn;
    netpol_ip ip;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int fd, one = 1, port;

    if (!colon || (hn = (size_t) (colon - spec)) >= sizeof(host))
        return -EINVAL;
    memcpy(host, spec, hn);
    host[hn] = '\0';
    port = atoi(colon + 1);
    if (port < 0 || port > 65535 || netpol_parse_ip(host, &ip) < 0)
        return -EINVAL;
    if (ip.family == AF_INET) {
        struct sockaddr_in *sa = (struct sockaddr_in *) &ss;

        sa->sin_family = AF_INET;
        sa->sin_port = htons((uint16_t) port);
        memcpy(&sa->sin_addr, ip.addr, 4);
        len = sizeof(*sa);
    } else {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *) &ss;

        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons((uint16_t) port);
        memcpy(&sa->sin6_addr, ip.addr, 16);
        len = sizeof(*sa);
    }
    fd = socket(ip.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ip.family == AF_INET6)
        (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 4096) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

static void print_stats(proxy *p) {
    proxy_stats st;

    proxy_get_stats(p, &st);
    printf("STATS accepted=%llu refused=%llu active=%llu tunnels=%llu tunnels_total=%llu "
           "requests=%llu blocked=%llu errors=%llu bytes_to_remote=%llu bytes_to_client=%llu "
           "dns_pending=%llu\n",
           (unsigned long long) st.accepted, (unsigned long long) st.refused,
           (unsigned long long) st.active, (unsigned long long) st.tunnels,
           (unsigned long long) st.tunnels_total, (unsigned long long) st.requests,
           (unsigned long long) st.blocked, (unsigned long long) st.errors,
           (unsigned long long) st.bytes_to_remote, (unsigned long long) st.bytes_to_client,
           (unsigned long long) st.dns_pending);
    fflush(stdout);
}

typedef struct sigctx {
    proxy *p;
    int fd;
} sigctx;

static void on_signal(evloop *loop, int fd, uint32_t events, void *userdata) {
    sigctx *s = userdata;
    struct signalfd_siginfo si;

    (void) events;
    while (read(fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        if (si.ssi_signo == SIGUSR1)
            print_stats(s->p);
        else
            evloop_quit(loop, 0);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: fence-proxyd [--http ADDR:PORT]... [--socks ADDR:PORT]... "
                    "[--allow P]... [--deny P]... [options]\n");
    exit(2);
}

int main(int argc, char **argv) {
    enum {
        O_HTTP = 256,
        O_SOCKS,
        O_ALLOW,
        O_DENY,
        O_UPSTREAM,
        O_DEFAULT_ACTION,
        O_DNS,
        O_LOG,
        O_MAX,
        O_HEADER,
        O_KEEPALIVE,
        O_CONNECT,
        O_RESPONSE,
        O_IDLE,
        O_TUNNEL_IDLE,
        O_HANDSHAKE,
        O_NO_SPLICE,
        O_NO_CONFIG,
    };
    static const struct option opts[] = {
            {"http", required_argument, NULL, O_HTTP},
            {"socks", required_argument, NULL, O_SOCKS},
            {"allow", required_argument, NULL, O_ALLOW},
            {"deny", required_argument, NULL, O_DENY},
            {"upstream", required_argument, NULL, O_UPSTREAM},
            {"default-action", required_argument, NULL, O_DEFAULT_ACTION},
            {"dns", required_argument, NULL, O_DNS},
            {"log", required_argument, NULL, O_LOG},
            {"max-conns", required_argument, NULL, O_MAX},
            {"header-timeout", required_argument, NULL, O_HEADER},
            {"keepalive-timeout", required_argument, NULL, O_KEEPALIVE},
            {"connect-timeout", required_argument, NULL, O_CONNECT},
            {"response-timeout", required_argument, NULL, O_RESPONSE},
            {"idle-timeout", required_argument, NULL, O_IDLE},
            {"tunnel-idle-timeout", required_argument, NULL, O_TUNNEL_IDLE},
            {"handshake-timeout", required_argument, NULL, O_HANDSHAKE},
            {"no-splice", no_argument, NULL, O_NO_SPLICE},
            {"no-config", no_argument, NULL, O_NO_CONFIG},
            {"debug", no_argument, NULL, 'd'},
            {"monitor", no_argument, NULL, 'm'},
            {0},
    };
    listen_spec specs[16];
    size_t nspecs = 0;
    proxy_options po = {0};
    rlog log = {.fn = log_line, .userdata = stderr};
    fence_config *cfg = fence_config_new();
    bool no_config = false;
    fence_error err = {0};
    evloop *loop = NULL;
    proxy *p = NULL;
    sigset_t mask;
    sigctx sc;
    struct rlimit rl;
    int c, r;

    if (!cfg)
        return 1;
    while ((c = getopt_long(argc, argv, "dm", opts, NULL)) != -1) {
        switch (c) {
        case O_HTTP:
        case O_SOCKS:
            if (nspecs == ARRAY_SIZE(specs))
                usage();
            specs[nspecs++] = (listen_spec){c == O_HTTP ? PROXY_HTTP : PROXY_SOCKS, optarg};
            break;
        case O_ALLOW:
            fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS, optarg);
            break;
        case O_DENY:
            fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_DENIED_DOMAINS, optarg);
            break;
        case O_UPSTREAM:
            fence_config_set_string(cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, optarg);
            break;
        case O_DEFAULT_ACTION:
            fence_config_set_string(cfg, FENCE_CFG_NETWORK_DEFAULT_ACTION, optarg);
            break;
        case O_DNS:
            po.dns_servers = optarg;
            break;
        case O_LOG: {
            FILE *f = fopen(optarg, "ae");

            if (!f) {
                perror(optarg);
                return 1;
            }
            log.userdata = f;
            break;
        }
        case O_MAX:
            po.max_conns = (unsigned) atoi(optarg);
            break;
        case O_HEADER:
            po.header_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_KEEPALIVE:
            po.keepalive_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_CONNECT:
            po.connect_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_RESPONSE:
            po.response_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_IDLE:
            po.idle_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_TUNNEL_IDLE:
            po.tunnel_idle_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_HANDSHAKE:
            po.handshake_timeout_ms = (unsigned) atoi(optarg);
            break;
        case O_NO_SPLICE:
            po.splice_after = -1;
            break;
        case O_NO_CONFIG:
            no_config = true;
            break;
        case 'd':
            log.debug = true;
            break;
        case 'm':
            log.monitor = true;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || nspecs == 0)
        usage();

    /* what the supervisor does: many fds for many tunnels, SIGPIPE ignored, signals by fd */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    if (evloop_new(&loop) < 0)
        return 1;
    r = proxy_new(loop, no_config ? NULL : cfg, &log, &po, &p, &err);
    if (r < 0) {
        fprintf(stderr, "fence-proxyd: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < nspecs; i++) {
        int fd = make_listener(specs[i].addr);

        if (fd < 0) {
            fprintf(stderr, "fence-proxyd: cannot listen on '%s': %s\n", specs[i].addr,
                    strerror(-fd));
            return 1;
        }
        if (proxy_add_listener(p, specs[i].kind, fd, &err) < 0) {
            fprintf(stderr, "fence-proxyd: %s\n", err.msg);
            return 1;
        }
    }
    if (proxy_start(p, &err) < 0) {
        fprintf(stderr, "fence-proxyd: %s\n", err.msg);
        return 1;
    }
    sc.p = p;
    sc.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sc.fd < 0 || evloop_add(loop, sc.fd, EPOLLIN, on_signal, &sc) < 0) {
        perror("signalfd");
        return 1;
    }
    printf("READY pid=%d http=%d socks=%d\n", (int) getpid(), proxy_listener_port(p, PROXY_HTTP),
           proxy_listener_port(p, PROXY_SOCKS));
    fflush(stdout);

    r = evloop_run(loop);
    print_stats(p);
    evloop_del(loop, sc.fd);
    close(sc.fd);
    proxy_free(p);
    evloop_free(loop);
    fence_config_free(cfg);
    if (log.userdata != stderr)
        fclose(log.userdata);
    return r < 0 ? 1 : 0;
}
