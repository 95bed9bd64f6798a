/* SPDX-License-Identifier: MIT */
/* Unit tests for the pieces that carry traffic across the sandbox's boundary without the proxy:
 * relay (host targets, fallback to the second target, failures, connection release), sockdiag
 * (the uid behind a loopback peer) and nsfactory (sockets made in another network namespace,
 * used by a relay route into it). Real sockets on loopback; the "sandbox" of the nsfactory
 * tests is a child in a new user and network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sched.h>
#include <net/if.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "runtime/evloop.h"
#include "runtime/nsfactory.h"
#include "runtime/relay.h"
#include "runtime/sockdiag.h"
#include "util/cleanup.h"

#include "proxy-harness.h"

static const rlog quiet = {0};

static void route_to(relay_route *rt, int family, uint16_t port) {
    struct sockaddr_storage *ss = &rt->target[rt->n_targets++];

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

/* A port nothing listens on (bound, never listening, so nobody else takes it meanwhile). */
static int closed_port(uint16_t *ret) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
    *ret = ntohs(sa.sin_port);
    return fd;
}

static bool relay_idle(void *arg) {
    relay_stats st;

    relay_get_stats(arg, &st);
    return st.active == 0;
}

static bool origin_idle(void *arg) {
    return ((origin *) arg)->open == 0;
}

static void echo_through(evloop *loop, uint16_t port, const char *msg) {
    char buf[64] = {0};
    int fd = h_connect(AF_INET, port);

    assert_true(fd >= 0);
    assert_int_equal(h_send_str(loop, fd, msg), 0);
    assert_int_equal(h_recv_all(loop, fd, buf, strlen(msg)), 0);
    assert_string_equal(buf, msg);
    close(fd);
}

static void test_relay_host(void **state) {
    evloop *loop = NULL;
    relay *r = NULL;
    origin echo;
    relay_route rt = {.label = "test"};
    relay_stats st;
    uint16_t lport, dead;
    int lfd, hold = closed_port(&dead);

    (void) state;
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(origin_start(&echo, loop, ORIGIN_ECHO, AF_INET), 0);
    assert_int_equal(relay_new(loop, &quiet, &r), 0);
    /* the first target refuses: the relay falls back to the second */
    route_to(&rt, AF_INET, dead);
    route_to(&rt, AF_INET, echo.port);
    lfd = h_listen(AF_INET, &lport);
    assert_int_equal(relay_add(r, lfd, &rt, NULL), 0);
    assert_int_equal(relay_start(r, NULL), 0);
    for (int i = 0; i < 5; i++)
        echo_through(loop, lport, "ping through the relay");
    assert_true(h_run_until(loop, relay_idle, r, H_TIMEOUT_MS));
    relay_get_stats(r, &st);
    assert_int_equal(st.accepted, 5);
    assert_int_equal(st.tunnels_total, 5);
    assert_int_equal(st.failed, 0);
    relay_free(r);
    origin_stop(&echo);
    close(hold);
    evloop_free(loop);
}

static void test_relay_unreachable(void **state) {
    evloop *loop = NULL;
    relay *r = NULL;
    relay_route rt = {.label = "test"};
    relay_stats st;
    uint16_t lport, dead;
    int lfd, fd, hold = closed_port(&dead);

    (void) state;
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(relay_new(loop, &quiet, &r), 0);
    route_to(&rt, AF_INET, dead);
    lfd = h_listen(AF_INET, &lport);
    assert_int_equal(relay_add(r, lfd, &rt, NULL), 0);
    assert_int_equal(relay_start(r, NULL), 0);
    /* the client is closed when no target answers, and nothing is left behind */
    fd = h_connect(AF_INET, lport);
    assert_int_equal(h_wait_closed(loop, fd, H_TIMEOUT_MS), 0);
    close(fd);
    assert_true(h_run_until(loop, relay_idle, r, H_TIMEOUT_MS));
    relay_get_stats(r, &st);
    assert_int_equal(st.failed, 1);
    relay_free(r);
    assert_int_equal(evloop_count(loop), 0);
    close(hold);
    evloop_free(loop);
}

/* relay_free with live tunnels and pending connects closes everything. */
static void test_relay_free_live(void **state) {
    evloop *loop = NULL;
    relay *r = NULL;
    origin echo;
    relay_route rt = {.label = "test"};
    uint16_t lport;
    int lfd, fds[3];
    char buf[8];

    (void) state;
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(origin_start(&echo, loop, ORIGIN_ECHO, AF_INET), 0);
    assert_int_equal(relay_new(loop, &quiet, &r), 0);
    route_to(&rt, AF_INET, echo.port);
    lfd = h_listen(AF_INET, &lport);
    assert_int_equal(relay_add(r, lfd, &rt, NULL), 0);
    assert_int_equal(relay_start(r, NULL), 0);
    for (int i = 0; i < 3; i++) {
        fds[i] = h_connect(AF_INET, lport);
        assert_int_equal(h_send_str(loop, fds[i], "x"), 0);
        assert_int_equal(h_recv_all(loop, fds[i], buf, 1), 0);
    }
    relay_free(r);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h_wait_closed(loop, fds[i], H_TIMEOUT_MS), 0);
        close(fds[i]);
    }
    /* the origin's side of the tunnels was closed as well */
    assert_true(h_run_until(loop, origin_idle, &echo, H_TIMEOUT_MS));
    origin_stop(&echo);
    evloop_free(loop);
}

static void test_sockdiag(void **state) {
    uint16_t port;
    int lfd = h_listen(AF_INET6, &port), c, s;
    uid_t uid = (uid_t) -1;
    struct pollfd p;

    (void) state;
    c = h_connect(AF_INET6, port);
    p = (struct pollfd){.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, H_TIMEOUT_MS), 1);
    s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(s >= 0);
    /* the peer socket is ours */
    assert_int_equal(sockdiag_peer_uid(s, &uid), 0);
    assert_int_equal(uid, geteuid());
    /* the client's view of the server works the same way */
    assert_int_equal(sockdiag_peer_uid(c, &uid), 0);
    assert_int_equal(uid, geteuid());
    /* once the peer is gone there is nobody to vouch for */
    close(c);
    uid = 12345;
    assert_int_equal(sockdiag_peer_uid(s, &uid), -ENOENT);
    assert_int_equal(uid, 12345);
    close(s);
    close(lfd);
}

/* ---- a "sandbox": a child in new user + network namespaces, serving echo on its loopback ---- */

typedef struct nschild {
    pid_t pid;
    int pidfd;
    int inside;    /* a socket the child made in its namespace (as the engine's listeners are) */
    uint16_t port; /* its echo server on 127.0.0.1, inside */
} nschild;

static void send_port_and_fd(int sock, uint16_t port, int fd) {
    struct iovec iov = {.iov_base = &port, .iov_len = sizeof(port)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u = {0};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    (void) !sendmsg(sock, &msg, 0);
}

static int recv_port_and_fd(int sock, uint16_t *port) {
    struct iovec iov = {.iov_base = port, .iov_len = sizeof(*port)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c;
    int fd = -1;

    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(*port))
        return -1;
    for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

static _Noreturn void nschild_main(int report) {
    struct ifreq ifr = {0};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), l;

    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        _exit(1);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        _exit(1);
    l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(l, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(l, 16) < 0 ||
        getsockname(l, (struct sockaddr *) &sa, &len) < 0)
        _exit(1);
    /* like the sandbox's init: nobody outside may look into this process */
    prctl(PR_SET_DUMPABLE, 0);
    send_port_and_fd(report, sa.sin_port, s);
    for (;;) {
        char buf[4096];
        ssize_t n;
        int c = accept(l, NULL, NULL);

        if (c < 0)
            continue;
        while ((n = read(c, buf, sizeof(buf))) > 0)
            (void) !write(c, buf, (size_t) n);
        close(c);
    }
}

/* Returns false when this host cannot make user namespaces (the test is skipped then). */
static bool nschild_start(nschild *ch) {
    struct clone_args args = {0};
    int report[2], pidfd = -1, inside;
    uint16_t port = 0;
    long pid;

    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, report), 0);
    args.flags = CLONE_NEWUSER | CLONE_NEWNET | CLONE_PIDFD;
    args.pidfd = (uint64_t) (uintptr_t) &pidfd;
    args.exit_signal = SIGCHLD;
    pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) {
        close(report[0]);
        nschild_main(report[1]);
    }
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return false;
    }
    inside = recv_port_and_fd(report[0], &port);
    close(report[0]);
    if (inside < 0) {
        kill((pid_t) pid, SIGKILL);
        waitpid((pid_t) pid, NULL, 0);
        close(pidfd);
        return false;
    }
    *ch = (nschild){.pid = (pid_t) pid, .pidfd = pidfd, .inside = inside, .port = ntohs(port)};
    return true;
}

static void nschild_stop(nschild *ch) {
    close(ch->inside);
    kill(ch->pid, SIGKILL);
    waitpid(ch->pid, NULL, 0);
    close(ch->pidfd);
}

typedef struct got_socket {
    bool done;
    int fd, err;
} got_socket;

static void on_socket(void *userdata, int fd, int err) {
    got_socket *g = userdata;

    g->done = true;
    g->fd = fd;
    g->err = err;
}

static bool socket_done(void *arg) {
    return ((got_socket *) arg)->done;
}

static void test_nsfactory_socket_lives_inside(void **state) {
    evloop *loop = NULL;
    nsfactory *f = NULL;
    nschild ch;
    got_socket g = {.fd = -1};
    nsfactory_req *req;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[8] = {0};
    uint16_t host_port;
    int host_l, r;

    (void) state;
    if (!nschild_start(&ch))
        skip();
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(nsfactory_new(loop, ch.inside, &f, NULL), 0);
    assert_true(nsfactory_helper_pid(f) > 0);
    assert_int_equal(nsfactory_socket(f, AF_INET, on_socket, &g, &req), 0);
    assert_false(g.done); /* never called from inside */
    assert_true(h_run_until(loop, socket_done, &g, H_TIMEOUT_MS));
    assert_true(g.fd >= 0);
    /* a port that only exists on the host is not reachable with it ... */
    host_l = h_listen(AF_INET, &host_port);
    sa.sin_port = htons(host_port);
    r = connect(g.fd, (struct sockaddr *) &sa, sizeof(sa));
    assert_true(r < 0 && (errno == ECONNREFUSED || errno == EINPROGRESS));
    if (errno == EINPROGRESS) {
        struct pollfd p = {.fd = g.fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof(err);

        assert_int_equal(poll(&p, 1, H_TIMEOUT_MS), 1);
        getsockopt(g.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        assert_int_equal(err, ECONNREFUSED);
    }
    close(g.fd);
    close(host_l);
    /* ... and one that only exists inside is (through a relay route into the namespace) */
    {
        relay *rl = NULL;
        relay_route rt = {.label = "inbound test", .in_sandbox = true};
        uint16_t lport;
        int lfd = h_listen(AF_INET, &lport), c;

        assert_int_equal(relay_new(loop, &quiet, &rl), 0);
        relay_set_factory(rl, f);
        route_to(&rt, AF_INET, ch.port);
        assert_int_equal(relay_add(rl, lfd, &rt, NULL), 0);
        assert_int_equal(relay_start(rl, NULL), 0);
        c = h_connect(AF_INET, lport);
        assert_int_equal(h_send_str(loop, c, "inside"), 0);
        assert_int_equal(h_recv_all(loop, c, buf, 6), 0);
        assert_string_equal(buf, "inside");
        close(c);
        assert_true(h_run_until(loop, relay_idle, rl, H_TIMEOUT_MS));
        relay_free(rl);
    }
    /* the helper is invisible to the namespace's processes only by living outside its PID
     * namespace; what we can check here is that it is not dumpable */
    {
        char path[64], line[256];
        FILE *fp;
        bool found = false;

        snprintf(path, sizeof(path), "/proc/%d/status", nsfactory_helper_pid(f));
        fp = fopen(path, "re");
        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp))
            if (strncmp(line, "NSpid:", 6) == 0)
                found = true;
        fclose(fp);
        assert_true(found);
        snprintf(path, sizeof(path), "/proc/%d/ns/net", nsfactory_helper_pid(f));
        /* non-dumpable: even its owner cannot open its namespace links */
        assert_true(geteuid() == 0 || open(path, O_RDONLY | O_CLOEXEC) < 0);
    }
    nsfactory_free(f);
    nschild_stop(&ch);
    evloop_free(loop);
}

static void test_nsfactory_cancel_and_death(void **state) {
    evloop *loop = NULL;
    nsfactory *f = NULL;
    nschild ch;
    got_socket g[3] = {{.fd = -1}, {.fd = -1}, {.fd = -1}};
    nsfactory_req *req[3];

    (void) state;
    if (!nschild_start(&ch))
        skip();
    assert_int_equal(evloop_new(&loop), 0);
    assert_int_equal(nsfactory_new(loop, ch.inside, &f, NULL), 0);
    assert_int_equal(nsfactory_socket(f, AF_INET6, on_socket, &g[0], &req[0]), 0);
    assert_int_equal(nsfactory_socket(f, AF_INET, on_socket, &g[1], &req[1]), 0);
    assert_int_equal(nsfactory_socket(f, 12345, on_socket, &g[2], &req[2]), -EINVAL);
    nsfactory_cancel(f, req[0]);
    assert_true(h_run_until(loop, socket_done, &g[1], H_TIMEOUT_MS));
    assert_false(g[0].done); /* cancelled: never called, its socket closed */
    assert_true(g[1].fd >= 0);
    close(g[1].fd);
    /* the helper dies: waiting requests fail with EPIPE, new ones are refused */
    kill(nsfactory_helper_pid(f), SIGKILL);
    g[1] = (got_socket){.fd = -1};
    if (nsfactory_socket(f, AF_INET, on_socket, &g[1], &req[1]) == 0) {
        assert_true(h_run_until(loop, socket_done, &g[1], H_TIMEOUT_MS));
        assert_int_equal(g[1].fd, -1);
        assert_int_equal(g[1].err, EPIPE);
    }
    assert_int_equal(nsfactory_socket(f, AF_INET, on_socket, &g[2], &req[2]), -EPIPE);
    nsfactory_free(f);
    nschild_stop(&ch);
    evloop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_relay_host),
            cmocka_unit_test(test_relay_unreachable),
            cmocka_unit_test(test_relay_free_live),
            cmocka_unit_test(test_sockdiag),
            cmocka_unit_test(test_nsfactory_socket_lives_inside),
            cmocka_unit_test(test_nsfactory_cancel_and_death),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
