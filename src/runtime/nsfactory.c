/* SPDX-License-Identifier: MIT */
/* nsfactory: the helper that makes sockets in the sandbox's network namespace; see nsfactory.h. */
#include "runtime/nsfactory.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileio.h"

typedef struct request_msg {
    int32_t family;
} request_msg;

typedef struct reply_msg {
    int32_t err; /* 0: an fd is attached */
} reply_msg;

struct nsfactory_req {
    nsfactory_req *prev, *next;
    int family;
    nsfactory_cb cb;
    void *userdata;
    bool sent;
    bool cancelled;
};

struct nsfactory {
    evloop *loop;
    int sock;
    int pidfd; /* the helper */
    pid_t pid;
    bool dead;
    nsfactory_req *head, *tail;
    nsfactory_req *unsent; /* first request not yet sent, or NULL */
    size_t pending, in_flight;
};

/* ---- the helper (runs after a fork-like clone3: system calls only, no allocation) ----------- */

static int send_reply(int sock, int err, int fd) {
    reply_msg m = {.err = err};

    return send_with_fd(sock, &m, sizeof(m), fd);
}

/* Closes every fd but the (distinct) ones in keep[3]. */
static void close_all_but(int keep[3]) {
    unsigned lo = 0;

    /* three entries: sort them by hand */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2 - i; j++)
            if (keep[j] > keep[j + 1]) {
                int t = keep[j];
                keep[j] = keep[j + 1];
                keep[j + 1] = t;
            }
    for (int i = 0; i < 3; i++) {
        if ((unsigned) keep[i] > lo)
            syscall(SYS_close_range, lo, (unsigned) keep[i] - 1, 0u);
        lo = (unsigned) keep[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0u, 0u);
}

static _Noreturn void helper_main(int sock, int userns, int netns, pid_t parent) {
    int keep[3] = {sock, userns, netns};
    sigset_t none;

    /* die with the supervisor; it may already be gone (then we were re-parented) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    /* nothing may read our memory or attach to us, in whichever namespace */
    prctl(PR_SET_DUMPABLE, 0);
    /* out of the terminal's session: a Ctrl-C meant for the workload must not stop us */
    setsid();
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close_all_but(keep);
    /* the user namespace first: it grants the capabilities the network namespace asks for */
    if (setns(userns, CLONE_NEWUSER) < 0 || setns(netns, CLONE_NEWNET) < 0) {
        send_reply(sock, errno ? errno : EPERM, -1);
        _exit(1);
    }
    close(userns);
    close(netns);
    if (send_reply(sock, 0, -1) < 0)
        _exit(1);
    for (;;) {
        request_msg req;
        ssize_t n = recv(sock, &req, sizeof(req), 0);
        int s = -1, e = 0;

        if (n == 0)
            _exit(0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (n != sizeof(req) || (req.family != AF_INET && req.family != AF_INET6))
            e = EINVAL;
        else if ((s = socket(req.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
            e = errno;
        if (send_reply(sock, e, s) < 0)
            _exit(1);
        if (s >= 0)
            close(s);
    }
}

/* ---- the supervisor's side ------------------------------------------------------------------ */

/* Reads one reply. Returns 1 with *ret_err and *ret_fd (an fd only with err 0), 0 at EOF, or
 * -errno (-EAGAIN: none yet). */
static int recv_reply(int sock, int *ret_err, int *ret_fd, int flags) {
    reply_msg m;
    int fd;
    long n = recv_with_fd(sock, &m, sizeof(m), flags, &fd);

    if (n <= 0)
        return (int) n;
    if (n != sizeof(m) || (m.err != 0 && fd >= 0)) {
        safe_close(fd);
        return -EBADMSG;
    }
    *ret_err = m.err;
    *ret_fd = fd;
    return 1;
}

static void req_unlink(nsfactory *f, nsfactory_req *r) {
    if (f->unsent == r)
        f->unsent = r->next;
    if (r->prev)
        r->prev->next = r->next;
    else
        f->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        f->tail = r->prev;
    if (r->sent)
        f->in_flight--;
    f->pending--;
}

static void helper_gone(nsfactory *f) {
    if (f->dead)
        return;
    f->dead = true;
    (void) evloop_del(f->loop, f->sock);
    while (f->head) {
        nsfactory_req *r = f->head;
        nsfactory_cb cb = r->cb;
        void *ud = r->userdata;
        bool cancelled = r->cancelled;

        req_unlink(f, r);
        free(r);
        if (!cancelled)
            cb(ud, -1, EPIPE);
    }
}

static void pump_sends(nsfactory *f) {
    while (!f->dead && f->unsent && f->in_flight < NSFACTORY_IN_FLIGHT) {
        nsfactory_req *r = f->unsent;
        request_msg m = {.family = r->family};

        if (send(f->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return; /* the next reply makes room */
            helper_gone(f);
            return;
        }
        r->sent = true;
        f->in_flight++;
        f->unsent = r->next;
    }
}

static void on_sock(evloop *loop, int fd, uint32_t events, void *userdata) {
    nsfactory *f = userdata;

    (void) loop;
    (void) events;
    for (;;) {
        nsfactory_req *r;
        nsfactory_cb cb;
        void *ud;
        int err = 0, sfd = -1, n = recv_reply(fd, &err, &sfd, MSG_DONTWAIT);

        if (n == -EAGAIN || n == -EINTR)
            break;
        r = f->head;
        if (n <= 0 || !r || !r->sent || (err == 0 && sfd < 0)) {
            safe_close(sfd);
            helper_gone(f);
            return;
        }
        cb = r->cb;
        ud = r->userdata;
        if (r->cancelled) {
            req_unlink(f, r);
            free(r);
            safe_close(sfd);
            continue;
        }
        req_unlink(f, r);
        free(r);
        cb(ud, sfd, err);
        if (f->dead)
            return;
    }
    pump_sends(f);
}

int nsfactory_socket(nsfactory *f, int family, nsfactory_cb cb, void *userdata,
                     nsfactory_req **ret) {
    nsfactory_req *r;

    if (!cb || (family != AF_INET && family != AF_INET6))
        return -EINVAL;
    if (f->dead)
        return -EPIPE;
    if (f->pending >= NSFACTORY_MAX_PENDING)
        return -EBUSY;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    *r = (nsfactory_req){.prev = f->tail, .family = family, .cb = cb, .userdata = userdata};
    if (f->tail)
        f->tail->next = r;
    else
        f->head = r;
    f->tail = r;
    if (!f->unsent)
        f->unsent = r;
    f->pending++;
    pump_sends(f);
    *ret = r;
    return 0;
}

void nsfactory_cancel(nsfactory *f, nsfactory_req *r) {
    if (!r)
        return;
    if (r->sent) {
        r->cancelled = true; /* its answer is still coming: close the socket then */
        return;
    }
    req_unlink(f, r);
    free(r);
}

int nsfactory_helper_pid(const nsfactory *f) {
    return f ? (int) f->pid : -1;
}

/* Waits for the helper's first message: 0 once it joined the namespaces. */
static int await_ready(nsfactory *f, fence_error *err) {
    struct pollfd p = {.fd = f->sock, .events = POLLIN};
    int e = 0, fd = -1, r;

    do
        r = poll(&p, 1, NSFACTORY_START_TIMEOUT_MS);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return fence_error_set(err, FENCE_E_SPAWN, r == 0 ? ETIMEDOUT : errno,
                               "waiting for the network namespace helper");
    r = recv_reply(f->sock, &e, &fd, MSG_DONTWAIT);
    if (r == 1 && e == 0 && fd < 0)
        return 0;
    safe_close(fd);
    if (r == 1 && e != 0)
        return fence_error_set(err, FENCE_E_SANDBOX, e,
                               "the network namespace helper cannot join the sandbox");
    return fence_error_set(err, FENCE_E_SPAWN, r < 0 ? -r : EPIPE,
                           "the network namespace helper did not start");
}

/* The sandbox's network namespace and its owning user namespace, from a socket made there. */
static int namespaces_of(int sock, int *ret_userns, int *ret_netns, fence_error *err) {
    _cleanup_close_ int netns = ioctl(sock, SIOCGSKNS), userns = -1;

    if (netns < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno,
                               "finding the sandbox's network namespace");
    (void) fcntl(netns, F_SETFD, FD_CLOEXEC);
    userns = ioctl(netns, NS_GET_USERNS);
    if (userns < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "finding the sandbox's user namespace");
    (void) fcntl(userns, F_SETFD, FD_CLOEXEC);
    *ret_userns = TAKE_FD(userns);
    *ret_netns = TAKE_FD(netns);
    return 0;
}

int nsfactory_new(evloop *loop, int inside_sock, nsfactory **ret, fence_error *err) {
    _cleanup_close_ int userns = -1, netns = -1;
    struct clone_args args;
    nsfactory *f;
    int sv[2], pidfd = -1, r;
    pid_t parent = getpid();
    long pid;

    r = namespaces_of(inside_sock, &userns, &netns, err);
    if (r < 0)
        return r;
    f = calloc(1, sizeof(*f));
    if (!f)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the namespace helper");
    f->loop = loop;
    f->sock = f->pidfd = -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        free(f);
        return fence_error_set(err, FENCE_E_SPAWN, errno, "socketpair");
    }
    memset(&args, 0, sizeof(args));
    args.flags = CLONE_PIDFD;
    args.pidfd = (uint64_t) (uintptr_t) &pidfd;
    args.exit_signal = SIGCHLD;
    pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) {
        close(sv[0]);
        helper_main(sv[1], userns, netns, parent);
    }
    close(sv[1]);
    f->sock = sv[0];
    if (pid < 0) {
        r = fence_error_set(err, FENCE_E_SPAWN, errno, "starting the network namespace helper");
        nsfactory_free(f);
        return r;
    }
    f->pid = (pid_t) pid;
    f->pidfd = pidfd;
    r = await_ready(f, err);
    if (r == 0) {
        r = evloop_add(loop, f->sock, EPOLLIN, on_sock, f);
        if (r < 0)
            r = fence_error_set(err, FENCE_E_SPAWN, -r, "registering the namespace helper");
    }
    if (r < 0) {
        nsfactory_free(f);
        return r;
    }
    *ret = f;
    return 0;
}

void nsfactory_free(nsfactory *f) {
    if (!f)
        return;
    if (!f->dead && f->sock >= 0)
        (void) evloop_del(f->loop, f->sock);
    f->sock = safe_close(f->sock); /* the helper reads EOF and exits */
    if (f->pidfd >= 0) {
        siginfo_t si;

        syscall(SYS_pidfd_send_signal, f->pidfd, SIGKILL, NULL, 0);
        while (waitid(P_PIDFD, (id_t) f->pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
        f->pidfd = safe_close(f->pidfd);
    }
    while (f->head) {
        nsfactory_req *r = f->head;

        req_unlink(f, r);
        free(r);
    }
    free(f);
}
