/* SPDX-License-Identifier: MIT */
/*
 * proxy-bench: measures fence's proxies against direct loopback, in one run on one machine.
 *
 *   proxy-bench [--proxyd PATH] [--cc NAME] throughput [--bytes N] [--runs N] [--no-splice]
 *   proxy-bench [--proxyd PATH] latency [--count N]
 *   proxy-bench [--proxyd PATH] load [--tunnels N] [--requests N] [--conns N]
 *   proxy-bench [--fence PATH] [--cc NAME] [--bytes N] [--runs N] [--count N] sandbox
 *
 * throughput: N bytes (default 1 GiB) uploaded and downloaded through a CONNECT tunnel and
 *   directly, each the best of --runs; prints the ratio (target >= 0.8). The client's and the
 *   origins' sockets use the system's default congestion control, or NAME with --cc (the same
 *   for the direct and the tunnelled transfers; the proxy picks its own, see tunnel.h): on
 *   loopback it decides the baseline, bbr's pacing costs several times what reno or cubic do.
 * latency: time from connect() to the first echoed byte of a new connection, directly, through
 *   a CONNECT tunnel and through SOCKS5; prints the medians and the added latency (target
 *   <= 0.3 ms).
 * load: N concurrent CONNECT tunnels (default 1000) all open at once with traffic on each,
 *   then M HTTP requests (default 100000) over K keep-alive connections plus fresh ones;
 *   checks zero errors, and that the proxy process's fd count and RSS do not grow once the
 *   connections are closed (exit status 1 otherwise).
 *
 * sandbox: the same through a real sandbox (--fence PATH, default ./fence): the origins run on
 *   the host, the client runs inside `fence` (this program again, command "client") and goes
 *   through the proxy listening at 127.0.0.1:3128 in the sandbox's namespace; compared with the
 *   same transfers and round trips made directly on the host's loopback.
 *
 * The proxy runs as a separate process (tests/drivers/fence-proxyd, as the supervisor would),
 * the origins in another one; this process is the client.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *proxyd_path = "tests/drivers/fence-proxyd";

/* In a sanitizer build the proxy's RSS says nothing about leaks (AddressSanitizer keeps freed
 * memory in quarantine and maps shadow memory); its leak checker does that job there. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static double now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "proxy-bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* --cc: the congestion control of every socket the client and the origins use, direct or
 * tunnelled (NULL = the system's default). Set before connect() and on the listeners, whose
 * connections inherit it, so the default one never runs on them. */
static const char *cc_name;

static void set_cc(int fd) {
    if (cc_name && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc_name, strlen(cc_name)) < 0) {
        fprintf(stderr, "proxy-bench: --cc %s: %s (see net.ipv4.tcp_%s_congestion_control)\n",
                cc_name, strerror(errno), errno == ENOENT ? "available" : "allowed");
        exit(2);
    }
}

/* The congestion control the client and origins use, for the report: loopback throughput
 * depends on it far more than on anything else (bbr paces every flow). */
static void cc_describe(char *buf, size_t size) {
    char name[32] = "?";
    socklen_t len = sizeof(name) - 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd >= 0) {
        set_cc(fd);
        if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) == 0)
            name[len < sizeof(name) ? len : sizeof(name) - 1] = '\0';
        close(fd);
    }
    snprintf(buf, size, "%s%s", name, cc_name ? "" : " (the system's default)");
}

static int listen_any(uint16_t *ret_port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    set_cc(fd);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0)
        die("listen");
    getsockname(fd, (struct sockaddr *) &sa, &len);
    *ret_port = ntohs(sa.sin_port);
    return fd;
}

static int connect_to(uint16_t port) {
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        die("socket");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_cc(fd);
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        die("connect");
    return fd;
}

static void write_all(int fd, const void *p, size_t n) {
    const char *s = p;

    while (n > 0) {
        ssize_t k = write(fd, s, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("write");
        s += k;
        n -= (size_t) k;
    }
}

static void read_all(int fd, void *p, size_t n) {
    char *s = p;

    while (n > 0) {
        ssize_t k = read(fd, s, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            errno = k == 0 ? EPIPE : errno;
            die("read");
        }
        s += k;
        n -= (size_t) k;
    }
}

static void raise_nofile(void) {
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- the proxy process ----------------------------------------------------------------------- */

typedef struct proxyd {
    pid_t pid;
    uint16_t http, socks;
} proxyd;

static proxyd proxyd_start(bool no_splice) {
    int out[2];
    proxyd p = {0};
    char line[256];
    FILE *f;

    if (pipe2(out, O_CLOEXEC) < 0)
        die("pipe");
    p.pid = fork();
    if (p.pid < 0)
        die("fork");
    if (p.pid == 0) {
        char *argv[] = {(char *) proxyd_path,
                        "--http",
                        "127.0.0.1:0",
                        "--socks",
                        "127.0.0.1:0",
                        "--allow",
                        "127.0.0.1",
                        no_splice ? "--no-splice" : NULL,
                        NULL};

        dup2(out[1], 1);
        execv(proxyd_path, argv);
        fprintf(stderr, "proxy-bench: cannot run %s: %s\n", proxyd_path, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    f = fdopen(out[0], "r");
    if (!f || !fgets(line, sizeof(line), f) ||
        sscanf(line, "READY pid=%*d http=%hu socks=%hu", &p.http, &p.socks) != 2) {
        fprintf(stderr, "proxy-bench: fence-proxyd did not start (%s)\n", proxyd_path);
        exit(2);
    }
    /* keep the pipe open but unread: STATS lines are not used, /proc is read instead */
    return p;
}

static void proxyd_stop(proxyd *p) {
    kill(p->pid, SIGTERM);
    waitpid(p->pid, NULL, 0);
}

static long proc_fds(pid_t pid) {
    char path[64];
    DIR *d;
    struct dirent *de;
    long n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
    d = opendir(path);
    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* CPU seconds (user + system) a process has used so far. */
static double proc_cpu_s(pid_t pid) {
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    FILE *f;
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof(buf), f)) {
        fclose(f);
        return 0;
    }
    fclose(f);
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void) {
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
           (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

static long proc_rss_kb(pid_t pid) {
    char path[64], line[256];
    FILE *f;
    long kb = -1;

    snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* ---- origins (one forked process, epoll) ----------------------------------------------------- */

typedef enum service { SVC_SINK, SVC_SOURCE, SVC_ECHO1, SVC_ECHO, SVC_HTTP } service;

typedef struct origins {
    pid_t pid;
    uint16_t port[5];
} origins;

typedef struct oconn {
    int fd;
    service svc;
    uint64_t count;
    char buf[4096];
    size_t len;
} oconn;

/* Source: sends `count` bytes requested in an 8-byte header, then closes. Sink: reads to EOF
 * and answers with the byte count. */
static void serve_blocking(int fd, service svc) {
    static char big[256 * 1024];
    uint64_t n = 0;

    if (svc == SVC_SINK) {
        for (;;) {
            ssize_t k = read(fd, big, sizeof(big));

            if (k <= 0)
                break;
            n += (uint64_t) k;
        }
        write_all(fd, &n, sizeof(n));
    } else {
        read_all(fd, &n, sizeof(n));
        while (n > 0) {
            size_t k = n < sizeof(big) ? (size_t) n : sizeof(big);

            write_all(fd, big, k);
            n -= k;
        }
    }
    close(fd);
}

static void origins_loop(int lfd[5]) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev;

    for (int i = 0; i < 5; i++) {
        ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = (uint64_t) i};
        epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
    }
    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, -1);

        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 < 5) {
                service svc = (service) evs[i].data.u64;
                int fd = accept4(lfd[svc], NULL, NULL, SOCK_CLOEXEC), one = 1;
                oconn *c;

                if (fd < 0)
                    continue;
                /* like the client's sockets (connect_to), so that an upload's sender and a
                 * download's are configured alike */
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                if (svc == SVC_SINK || svc == SVC_SOURCE) {
                    /* bulk transfers: one at a time, blocking, in a child of their own */
                    if (fork() == 0) {
                        serve_blocking(fd, svc);
                        _exit(0);
                    }
                    close(fd);
                    continue;
                }
                c = calloc(1, sizeof(*c));
                c->fd = fd;
                c->svc = svc;
                fcntl(fd, F_SETFL, O_NONBLOCK);
                ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                continue;
            }
            {
                oconn *c = evs[i].data.ptr;
                ssize_t k = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
                bool done = k <= 0;

                if (k > 0 && c->svc == SVC_ECHO1) {
                    (void) !write(c->fd, c->buf, 1);
                } else if (k > 0 && c->svc == SVC_ECHO) {
                    (void) !write(c->fd, c->buf, (size_t) k); /* small frames: never blocks */
                } else if (k > 0 && c->svc == SVC_HTTP) {
                    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                    char *end;

                    c->len += (size_t) k;
                    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
                        size_t used = (size_t) (end + 4 - c->buf);

                        (void) !write(c->fd, resp, sizeof(resp) - 1);
                        memmove(c->buf, c->buf + used, c->len - used);
                        c->len -= used;
                    }
                    if (c->len == sizeof(c->buf))
                        done = true;
                }
                if (done) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    free(c);
                }
            }
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

static origins origins_start(void) {
    origins o = {0};
    int lfd[5];

    for (int i = 0; i < 5; i++)
        lfd[i] = listen_any(&o.port[i]);
    o.pid = fork();
    if (o.pid < 0)
        die("fork");
    if (o.pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        raise_nofile();
        origins_loop(lfd);
        _exit(0);
    }
    for (int i = 0; i < 5; i++)
        close(lfd[i]);
    return o;
}

static void origins_stop(origins *o) {
    kill(o->pid, SIGKILL);
    waitpid(o->pid, NULL, 0);
}

/* ---- helpers for the client ------------------------------------------------------------------ */

static int tunnel_to(uint16_t proxy_port, uint16_t origin_port) {
    char req[128], resp[39];
    int fd = connect_to(proxy_port);
    int n = snprintf(req, sizeof(req),
                     "CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", origin_port,
                     origin_port);

    write_all(fd, req, (size_t) n);
    read_all(fd, resp, sizeof(resp));
    if (memcmp(resp, "HTTP/1.1 200 Connection Established\r\n\r\n", 39) != 0) {
        fprintf(stderr, "proxy-bench: CONNECT refused: %.39s\n", resp);
        exit(1);
    }
    return fd;
}

static int socks_to(uint16_t proxy_port, uint16_t origin_port) {
    uint8_t msg[13] = {
            5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (uint8_t) (origin_port >> 8), (uint8_t) origin_port};
    uint8_t rep[12];
    int fd = connect_to(proxy_port);

    write_all(fd, msg, sizeof(msg));
    read_all(fd, rep, 12);
    if (rep[1] != 0 || rep[3] != 0) {
        fprintf(stderr, "proxy-bench: SOCKS5 refused (%u)\n", rep[3]);
        exit(1);
    }
    return fd;
}

/* ---- throughput ------------------------------------------------------------------------------ */

static double upload(int fd, uint64_t bytes) {
    static char buf[256 * 1024];
    uint64_t left = bytes, got;
    double t0 = now_s();

    while (left > 0) {
        size_t n = left < sizeof(buf) ? (size_t) left : sizeof(buf);

        write_all(fd, buf, n);
        left -= n;
    }
    shutdown(fd, SHUT_WR);
    read_all(fd, &got, sizeof(got));
    if (got != bytes) {
        fprintf(stderr, "proxy-bench: sink got %llu of %llu bytes\n", (unsigned long long) got,
                (unsigned long long) bytes);
        exit(1);
    }
    close(fd);
    return now_s() - t0;
}

static double download(int fd, uint64_t bytes) {
    static char buf[256 * 1024];
    uint64_t got = 0;
    double t0 = now_s();

    write_all(fd, &bytes, sizeof(bytes));
    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));

        if (k <= 0)
            break;
        got += (uint64_t) k;
    }
    if (got != bytes) {
        fprintf(stderr, "proxy-bench: source sent %llu of %llu bytes\n", (unsigned long long) got,
                (unsigned long long) bytes);
        exit(1);
    }
    close(fd);
    return now_s() - t0;
}

static int cmd_throughput(uint64_t bytes, int runs, bool no_splice) {
    origins o = origins_start();
    proxyd p = proxyd_start(no_splice);
    double best[4] = {1e9, 1e9, 1e9, 1e9};
    const double gib = (double) bytes / (1024.0 * 1024 * 1024);
    double proxy_cpu = 0, client_cpu_direct = 0, client_cpu_tunnel = 0;
    char cc[64];

    for (int r = 0; r < runs; r++) {
        double t, c0, p0;

        c0 = self_cpu_s();
        t = upload(connect_to(o.port[SVC_SINK]), bytes);
        client_cpu_direct += self_cpu_s() - c0;
        best[0] = t < best[0] ? t : best[0];
        c0 = self_cpu_s();
        p0 = proc_cpu_s(p.pid);
        t = upload(tunnel_to(p.http, o.port[SVC_SINK]), bytes);
        proxy_cpu += proc_cpu_s(p.pid) - p0;
        client_cpu_tunnel += self_cpu_s() - c0;
        best[1] = t < best[1] ? t : best[1];
        t = download(connect_to(o.port[SVC_SOURCE]), bytes);
        best[2] = t < best[2] ? t : best[2];
        p0 = proc_cpu_s(p.pid);
        t = download(tunnel_to(p.http, o.port[SVC_SOURCE]), bytes);
        proxy_cpu += proc_cpu_s(p.pid) - p0;
        best[3] = t < best[3] ? t : best[3];
    }
    cc_describe(cc, sizeof(cc));
    printf("throughput (%.2f GiB, best of %d%s; client and origin congestion control %s):\n", gib,
           runs, no_splice ? ", copy relay" : "", cc);
    printf("  upload   direct %7.2f GiB/s   CONNECT tunnel %7.2f GiB/s   ratio %.2f\n",
           gib / best[0], gib / best[1], best[0] / best[1]);
    printf("  download direct %7.2f GiB/s   CONNECT tunnel %7.2f GiB/s   ratio %.2f\n",
           gib / best[2], gib / best[3], best[2] / best[3]);
    printf("  ratio (target >= 0.80): %.2f\n", (best[0] / best[1] + best[2] / best[3]) / 2);
    printf("  CPU per GiB: proxy %.2f s; sending client %.2f s direct, %.2f s tunnelled\n",
           proxy_cpu / (2 * runs * gib), client_cpu_direct / (runs * gib),
           client_cpu_tunnel / (runs * gib));
    proxyd_stop(&p);
    origins_stop(&o);
    return 0;
}

/* ---- latency --------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t) n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static double p99(double *v, int n) {
    qsort(v, (size_t) n, sizeof(*v), cmp_double);
    return v[(n * 99) / 100];
}

static double one_round(int mode, uint16_t proxy_http, uint16_t proxy_socks, uint16_t echo) {
    double t0 = now_s();
    char c = 'x';
    int fd = mode == 0   ? connect_to(echo)
             : mode == 1 ? tunnel_to(proxy_http, echo)
                         : socks_to(proxy_socks, echo);

    write_all(fd, &c, 1);
    read_all(fd, &c, 1);
    t0 = now_s() - t0;
    close(fd);
    return t0;
}

static int cmd_latency(int count) {
    origins o = origins_start();
    proxyd p = proxyd_start(false);
    double *v[3];
    double med[3], tail[3];
    static const char *names[] = {"direct", "CONNECT", "SOCKS5"};

    for (int m = 0; m < 3; m++)
        v[m] = calloc((size_t) count, sizeof(double));
    /* interleaved, after a warm-up, so that all three see the same machine state */
    for (int i = 0; i < 200; i++)
        for (int m = 0; m < 3; m++)
            one_round(m, p.http, p.socks, o.port[SVC_ECHO1]);
    for (int i = 0; i < count; i++)
        for (int m = 0; m < 3; m++)
            v[m][i] = one_round(m, p.http, p.socks, o.port[SVC_ECHO1]);
    printf("new-connection latency (connect to first echoed byte, %d each):\n", count);
    for (int m = 0; m < 3; m++) {
        tail[m] = p99(v[m], count) * 1e3;
        med[m] = median(v[m], count) * 1e3;
        printf("  %-8s median %.3f ms   p99 %.3f ms\n", names[m], med[m], tail[m]);
    }
    printf("  added by CONNECT (target <= 0.30 ms): %.3f ms\n", med[1] - med[0]);
    printf("  added by SOCKS5  (target <= 0.30 ms): %.3f ms\n", med[2] - med[0]);
    for (int m = 0; m < 3; m++)
        free(v[m]);
    proxyd_stop(&p);
    origins_stop(&o);
    return 0;
}

/* ---- through a real sandbox ------------------------------------------------------------------ */

static const char *fence_path = "fence";

/* Inside the sandbox: one upload, one download and `count` new-connection round trips through
 * the in-sandbox proxy at 127.0.0.1:proxy_port. Prints one RESULT line. */
static int cmd_client(uint16_t proxy_port, uint16_t sink, uint16_t source, uint16_t echo,
                      uint64_t bytes, int count) {
    double up = upload(tunnel_to(proxy_port, sink), bytes);
    double down = download(tunnel_to(proxy_port, source), bytes);
    double *v = calloc((size_t) count, sizeof(double));

    for (int i = 0; i < 100; i++)
        one_round(1, proxy_port, 0, echo);
    for (int i = 0; i < count; i++)
        v[i] = one_round(1, proxy_port, 0, echo);
    printf("RESULT up=%.6f down=%.6f latency=%.6f\n", up, down, median(v, count));
    free(v);
    return 0;
}

/* Runs the client inside `fence` with a policy that names 127.0.0.1 exactly (the only way a
 * proxied connection may reach the host's loopback). */
static void sandbox_round(const char *self, const char *cfg, const origins *o, uint64_t bytes,
                          int count, double ret[3]) {
    char cmd[4096], line[256];
    FILE *f;
    bool ok = false;

    snprintf(cmd, sizeof(cmd),
             "'%s' -s '%s' -- '%s' --proxy-port 3128 --sink %u --source %u --echo %u "
             "--bytes %llu --count %d %s%s%s client",
             fence_path, cfg, self, o->port[SVC_SINK], o->port[SVC_SOURCE], o->port[SVC_ECHO1],
             (unsigned long long) bytes, count, cc_name ? "--cc '" : "", cc_name ? cc_name : "",
             cc_name ? "'" : "");
    f = popen(cmd, "r");
    if (!f)
        die("popen");
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "RESULT up=%lf down=%lf latency=%lf", &ret[0], &ret[1], &ret[2]) == 3)
            ok = true;
    if (pclose(f) != 0 || !ok) {
        fprintf(stderr, "proxy-bench: the client in the sandbox failed (%s)\n", cmd);
        exit(1);
    }
}

static int cmd_sandbox(const char *self, uint64_t bytes, int runs, int count) {
    origins o = origins_start();
    char dir[] = "/tmp/proxy-bench.XXXXXX", cfg[64];
    double best[4] = {1e9, 1e9, 1e9, 1e9}, lat_in = 1e9, *direct;
    const double gib = (double) bytes / (1024.0 * 1024 * 1024);
    char cc[64];
    FILE *f;

    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(cfg, sizeof(cfg), "%s/fence.json", dir);
    f = fopen(cfg, "we");
    if (!f)
        die("fopen");
    fputs("{\"network\": {\"allowedDomains\": [\"127.0.0.1\"]}}\n", f);
    fclose(f);
    direct = calloc((size_t) count, sizeof(double));
    for (int r = 0; r < runs; r++) {
        double t, in[3];

        t = upload(connect_to(o.port[SVC_SINK]), bytes);
        best[0] = t < best[0] ? t : best[0];
        sandbox_round(self, cfg, &o, bytes, count, in);
        best[1] = in[0] < best[1] ? in[0] : best[1];
        best[3] = in[1] < best[3] ? in[1] : best[3];
        lat_in = in[2] < lat_in ? in[2] : lat_in;
        t = download(connect_to(o.port[SVC_SOURCE]), bytes);
        best[2] = t < best[2] ? t : best[2];
    }
    for (int i = 0; i < 100; i++)
        one_round(0, 0, 0, o.port[SVC_ECHO1]);
    for (int i = 0; i < count; i++)
        direct[i] = one_round(0, 0, 0, o.port[SVC_ECHO1]);
    cc_describe(cc, sizeof(cc));
    printf("through a real sandbox (%.2f GiB, best of %d; client inside fence, origins on the "
           "host; their congestion control %s):\n",
           gib, runs, cc);
    printf("  upload   direct %7.2f GiB/s   CONNECT from inside %7.2f GiB/s   ratio %.2f\n",
           gib / best[0], gib / best[1], best[0] / best[1]);
    printf("  download direct %7.2f GiB/s   CONNECT from inside %7.2f GiB/s   ratio %.2f\n",
           gib / best[2], gib / best[3], best[2] / best[3]);
    printf("  ratio (target >= 0.80): %.2f\n", (best[0] / best[1] + best[2] / best[3]) / 2);
    printf("  new connection: direct median %.3f ms, CONNECT from inside median %.3f ms, added "
           "%.3f ms (target <= 0.30)\n",
           median(direct, count) * 1e3, lat_in * 1e3, (lat_in - median(direct, count)) * 1e3);
    free(direct);
    unlink(cfg);
    rmdir(dir);
    origins_stop(&o);
    return 0;
}

/* ---- load ------------------------------------------------------------------------------------ */

typedef struct lconn {
    int fd;
    int state; /* tunnels: 0 wait 200, 1 wait echo; http: 0 wait response */
    size_t got;
    int rounds;
    char buf[256];
} lconn;

static int set_nonblock(int fd) {
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int connect_nb(uint16_t port) {
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        die("socket");
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return -1;
    set_nonblock(fd);
    return fd;
}

/* Opens n tunnels at once, exchanges `rounds` messages on each, all concurrently, closes them.
 * Returns the number of errors. */
static long load_tunnels(uint16_t proxy, uint16_t echo, int n, int rounds, double *ret_s) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    lconn *c = calloc((size_t) n, sizeof(*c));
    char req[128];
    int reqlen = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", echo);
    int left = n;
    long errors = 0;
    double t0 = now_s();

    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c[i]};

        c[i].fd = connect_nb(proxy);
        if (c[i].fd < 0 || write(c[i].fd, req, (size_t) reqlen) != reqlen) {
            errors++;
            left--;
            c[i].state = -1;
            continue;
        }
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
    while (left > 0) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 10000);

        if (k <= 0) {
            fprintf(stderr, "proxy-bench: load stalled with %d tunnels left\n", left);
            errors += left;
            break;
        }
        for (int i = 0; i < k; i++) {
            lconn *x = evs[i].data.ptr;
            ssize_t r = read(x->fd, x->buf + x->got, sizeof(x->buf) - x->got);

            if (r <= 0) {
                errors++;
                left--;
                epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                x->state = -1;
                continue;
            }
            x->got += (size_t) r;
            if (x->state == 0 && x->got >= 39) {
                if (memcmp(x->buf, "HTTP/1.1 200 ", 13) != 0) {
                    errors++;
                    left--;
                    epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                    x->state = -1;
                    continue;
                }
                x->state = 1;
                x->got -= 39;
                memmove(x->buf, x->buf + 39, x->got);
                (void) !write(x->fd, "0123456789abcdef", 16);
            } else if (x->state == 1 && x->got >= 16) {
                x->got -= 16;
                if (++x->rounds == rounds) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                    x->state = 2; /* done; stays open until every tunnel is done */
                    left--;
                } else {
                    (void) !write(x->fd, "0123456789abcdef", 16);
                }
            }
        }
    }
    *ret_s = now_s() - t0;
    for (int i = 0; i < n; i++)
        if (c[i].fd >= 0)
            close(c[i].fd);
    free(c);
    close(ep);
    return errors;
}

/* conns keep-alive connections sending requests back to back until `total` have completed;
 * every `fresh_every`th request uses a new connection. Returns the number of errors. */
static long load_requests(uint16_t proxy, uint16_t http, int conns, long total, int fresh_every,
                          double *ret_s) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    lconn *c = calloc((size_t) conns, sizeof(*c));
    char req[160];
    int reqlen = snprintf(req, sizeof(req),
                          "GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", http);
    long sent = 0, done = 0, errors = 0;
    double t0 = now_s();
    static const char want[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    size_t wlen = sizeof(want) - 1;

    for (int i = 0; i < conns && sent < total; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c[i]};

        c[i].fd = connect_nb(proxy);
        if (c[i].fd < 0)
            die("connect");
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        (void) !write(c[i].fd, req, (size_t) reqlen);
        sent++;
    }
    while (done + errors < total) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 10000);

        if (k <= 0) {
            fprintf(stderr, "proxy-bench: requests stalled at %ld\n", done);
            errors += total - done - errors;
            break;
        }
        for (int i = 0; i < k; i++) {
            lconn *x = evs[i].data.ptr;
            ssize_t r = read(x->fd, x->buf + x->got, sizeof(x->buf) - x->got);

            if (r <= 0) {
                errors++;
                epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                close(x->fd);
                x->fd = -1;
                continue;
            }
            x->got += (size_t) r;
            if (x->got < wlen)
                continue;
            if (memcmp(x->buf, want, wlen) != 0)
                errors++;
            else
                done++;
            x->got -= wlen;
            memmove(x->buf, x->buf + wlen, x->got);
            if (sent >= total)
                continue;
            if (fresh_every > 0 && sent % fresh_every == 0) {
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = x};

                epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                close(x->fd);
                x->fd = connect_nb(proxy);
                if (x->fd < 0)
                    die("connect");
                x->got = 0;
                epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
            }
            if (write(x->fd, req, (size_t) reqlen) != reqlen)
                errors++;
            sent++;
        }
    }
    *ret_s = now_s() - t0;
    for (int i = 0; i < conns; i++)
        if (c[i].fd > 0)
            close(c[i].fd);
    free(c);
    close(ep);
    return errors;
}

static void wait_idle(pid_t pid, long fds_want) {
    /* the proxy closes its side when it sees ours close: give it a moment, bounded; then the
     * time it waits before returning freed memory to the system once idle */
    for (int i = 0; i < 200 && proc_fds(pid) > fds_want; i++)
        usleep(10000);
    usleep(500000);
}

static int cmd_load(int tunnels, long requests, int conns) {
    origins o = origins_start();
    proxyd p = proxyd_start(false);
    long fds0, fds1, rss0, rss1, err_t, err_r, err_w;
    double tt, tr, tw;
    int status = 0;

    /* warm-up: the allocator and the kernel reach their working set; then the baseline */
    err_w = load_tunnels(p.http, o.port[SVC_ECHO], tunnels, 2, &tw);
    err_w += load_requests(p.http, o.port[SVC_HTTP], conns, requests / 10, 100, &tw);
    wait_idle(p.pid, 16);
    fds0 = proc_fds(p.pid);
    rss0 = proc_rss_kb(p.pid);

    err_t = load_tunnels(p.http, o.port[SVC_ECHO], tunnels, 10, &tt);
    err_r = load_requests(p.http, o.port[SVC_HTTP], conns, requests, 100, &tr);
    wait_idle(p.pid, fds0);
    fds1 = proc_fds(p.pid);
    rss1 = proc_rss_kb(p.pid);

    printf("load:\n");
    printf("  %d concurrent CONNECT tunnels x 10 round trips: %.2f s, errors %ld\n", tunnels, tt,
           err_t);
    printf("  %ld HTTP requests over %d keep-alive connections (fresh connection every 100th): "
           "%.2f s (%.0f req/s), errors %ld\n",
           requests, conns, tr, (double) requests / tr, err_r);
    printf("  proxy process: fds %ld -> %ld, RSS %ld -> %ld KiB (after warm-up; errors there "
           "%ld)\n",
           fds0, fds1, rss0, rss1, err_w);
    if (err_t || err_r || err_w) {
        printf("  FAIL: errors\n");
        status = 1;
    }
    if (fds1 > fds0) {
        printf("  FAIL: fd growth\n");
        status = 1;
    }
    /* growth beyond allocator noise means a leak: allow 1 MiB */
    if (SANITIZED)
        printf("  (RSS not judged in a sanitizer build)\n");
    else if (rss1 > rss0 + 1024) {
        printf("  FAIL: RSS growth\n");
        status = 1;
    }
    proxyd_stop(&p);
    origins_stop(&o);
    return status;
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
            {"proxyd", required_argument, NULL, 'p'},
            {"bytes", required_argument, NULL, 'b'},
            {"runs", required_argument, NULL, 'r'},
            {"no-splice", no_argument, NULL, 's'},
            {"count", required_argument, NULL, 'c'},
            {"tunnels", required_argument, NULL, 't'},
            {"requests", required_argument, NULL, 'q'},
            {"conns", required_argument, NULL, 'k'},
            {"fence", required_argument, NULL, 'f'},
            {"proxy-port", required_argument, NULL, 'P'},
            {"sink", required_argument, NULL, 'S'},
            {"source", required_argument, NULL, 'T'},
            {"echo", required_argument, NULL, 'E'},
            {"cc", required_argument, NULL, 'C'},
            {0},
    };
    uint64_t bytes = 1ull << 30;
    int runs = 3, count = 2000, tunnels = 1000, conns = 200;
    long requests = 100000;
    bool no_splice = false, count_set = false;
    const char *env = getenv("FENCE_PROXYD");
    uint16_t pport = 3128, sink = 0, source = 0, echo = 0;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    int c;

    if (env)
        proxyd_path = env;
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            proxyd_path = optarg;
            break;
        case 'b':
            bytes = strtoull(optarg, NULL, 0);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 's':
            no_splice = true;
            break;
        case 'c':
            count = atoi(optarg);
            count_set = true;
            break;
        case 'f':
            fence_path = optarg;
            break;
        case 'P':
            pport = (uint16_t) atoi(optarg);
            break;
        case 'S':
            sink = (uint16_t) atoi(optarg);
            break;
        case 'T':
            source = (uint16_t) atoi(optarg);
            break;
        case 'E':
            echo = (uint16_t) atoi(optarg);
            break;
        case 'C':
            cc_name = optarg;
            if (!*optarg ||
                strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(optarg)) {
                fprintf(stderr, "proxy-bench: --cc '%s': not a congestion control name\n", optarg);
                return 2;
            }
            break;
        case 't':
            tunnels = atoi(optarg);
            break;
        case 'q':
            requests = atol(optarg);
            break;
        case 'k':
            conns = atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: proxy-bench [options] throughput|latency|load|sandbox\n");
        return 2;
    }
    if (strcmp(argv[optind], "throughput") == 0)
        return cmd_throughput(bytes, runs, no_splice);
    if (strcmp(argv[optind], "latency") == 0)
        return cmd_latency(count);
    if (strcmp(argv[optind], "load") == 0)
        return cmd_load(tunnels, requests, conns);
    if (strcmp(argv[optind], "client") == 0)
        return cmd_client(pport, sink, source, echo, bytes, count);
    if (strcmp(argv[optind], "sandbox") == 0) {
        if (n <= 0)
            die("readlink /proc/self/exe");
        self[n] = '\0';
        return cmd_sandbox(self, bytes, runs, count_set ? count : 1000);
    }
    fprintf(stderr, "proxy-bench: unknown command '%s'\n", argv[optind]);
    return 2;
}
