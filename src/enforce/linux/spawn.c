/* SPDX-License-Identifier: MIT */
/* Starting a sandbox: clone3, init, workload; see spawn.h. */
#include "enforce/linux/spawn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileio.h"

/* How long S waits for the sandbox to reach exec before giving up (a hung NFS mount...). */
#define SPAWN_TIMEOUT_MS 30000

enum { CTL_FD_PTY = 100, CTL_FD_NOTIFY, CTL_FD_LISTENER, CTL_HOST_PROC /* no fd */,
       CTL_FD_MASKS /* S -> I: the late masks, a sealed memfd (value: its length) */ };


typedef struct ctl_msg {
    int32_t type;
    int32_t value;
} ctl_msg;

/* Fds of the child side, prepared by S before clone3. */
typedef struct child_fds {
    int err;      /* write end of the error pipe */
    int ctl;      /* I's end of the control socket */
    int lifeline; /* read end */
} child_fds;

/* ------------------------------------------------------------------------------------------
 * Child helpers (no allocation)
 */

static _Noreturn void child_fail(int errfd, fence_error *e, int fallback) {
    if (e->code == 0)
        fence_error_set(e, FENCE_E_SANDBOX, fallback, "sandbox setup failed");
    (void) !write(errfd, e, sizeof(*e));
    _exit(127);
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = write(fd, text, strlen(text));
    if (n < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    close(fd);
    return 0;
}

static int send_fd(int sock, int type, int value, int fd) {
    ctl_msg m = {.type = type, .value = value};

    return send_with_fd(sock, &m, sizeof(m), fd);
}

static int setup_ids(const sandbox_spec *s, fence_error *e) {
    char line[64];
    int r;

    /* unprivileged: setgroups must be denied before gid_map may be written */
    r = write_file("/proc/self/setgroups", "deny");
    if (r < 0 && r != -ENOENT)
        return fence_error_set(e, FENCE_E_SANDBOX, -r, "writing /proc/self/setgroups");
    snprintf(line, sizeof(line), "%u %u 1\n", (unsigned) s->uid, (unsigned) s->uid);
    r = write_file("/proc/self/uid_map", line);
    if (r < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, -r, "writing the uid map");
    snprintf(line, sizeof(line), "%u %u 1\n", (unsigned) s->gid, (unsigned) s->gid);
    r = write_file("/proc/self/gid_map", line);
    if (r < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, -r, "writing the gid map");
    return 0;
}

static int loopback_up(fence_error *e) {
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

    if (s < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, errno, "network namespace: socket");
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        r = fence_error_set(e, FENCE_E_SANDBOX, errno, "network namespace: reading lo flags");
    else {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            r = fence_error_set(e, FENCE_E_SANDBOX, errno, "network namespace: bringing lo up");
    }
    close(s);
    return r;
}

static int make_listener(const sandbox_listener *l, int ctl, size_t idx, fence_error *e) {
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } a;
    socklen_t len;
    int one = 1, r;
    int s = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (s < 0 && l->optional && errno == EAFNOSUPPORT)
        return 0;
    if (s < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, errno, "listener %zu: socket", idx);
    memset(&a, 0, sizeof(a));
    if (l->family == AF_INET6) {
        a.v6.sin6_family = AF_INET6;
        a.v6.sin6_port = htons(l->port);
        r = inet_pton(AF_INET6, l->addr, &a.v6.sin6_addr);
        len = sizeof(a.v6);
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    } else {
        a.v4.sin_family = AF_INET;
        a.v4.sin_port = htons(l->port);
        r = inet_pton(AF_INET, l->addr, &a.v4.sin_addr);
        len = sizeof(a.v4);
    }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (r != 1) {
        r = fence_error_set(e, FENCE_E_SANDBOX, EINVAL, "listener %zu: address '%s'", idx, l->addr);
    } else if (bind(s, (struct sockaddr *) &a, len) < 0) {
        /* an optional listener whose address does not exist here (no ::1): no fd is sent */
        r = l->optional && errno == EADDRNOTAVAIL
                    ? 0
                    : fence_error_set(e, FENCE_E_SANDBOX, errno, "listener %zu: %s port %u", idx,
                                      l->addr, (unsigned) l->port);
    } else if (listen(s, SOMAXCONN) < 0) {
        r = fence_error_set(e, FENCE_E_SANDBOX, errno, "listener %zu: %s port %u", idx, l->addr,
                            (unsigned) l->port);
    } else if ((r = send_fd(ctl, CTL_FD_LISTENER, (int) idx, s)) < 0) {
        r = fence_error_set(e, FENCE_E_SANDBOX, -r, "listener %zu: handing over", idx);
    }
    close(s);
    return r < 0 ? r : 0;
}

/* Closes every fd except those in keep (unsorted, -1 entries ignored). */
static void close_all_except(const int *keep, size_t n) {
    int sorted[8], k = 0;
    unsigned lo = 3;

    for (size_t i = 0; i < n && k < 8; i++)
        if (keep[i] >= 3)
            sorted[k++] = keep[i];
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (int i = 0; i < k; i++) {
        if ((unsigned) sorted[i] > lo)
            syscall(SYS_close_range, lo, (unsigned) sorted[i] - 1, 0);
        lo = (unsigned) sorted[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0U, 0);
}

static int drop_privileges(fence_error *e) {
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];

    /* root inside must not regain capabilities through execve, and nobody may undo that */
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                         SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                         SECBIT_NO_CAP_AMBIENT_RAISE |
                                         SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, errno, "setting securebits");
    /* capabilities are numbered without gaps: EINVAL means past the kernel's last one */
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;
            return fence_error_set(e, FENCE_E_SANDBOX, errno, "dropping capability %d", cap);
        }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return fence_error_set(e, FENCE_E_SANDBOX, errno, "clearing ambient capabilities");
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, errno, "dropping capabilities");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fence_error_set(e, FENCE_E_SANDBOX, errno, "setting no_new_privs");
    return 0;
}

/* The workload's stack while it shares the init's memory (until its execve). */
#define WORKLOAD_STACK_SIZE (256u * 1024u)

typedef struct workload_args {
    const sandbox_spec *s;
    const child_fds *c;
    int pty_slave;
    mode_t umask_saved;
} workload_args;

static _Noreturn void run_workload(const sandbox_spec *s, const child_fds *c, int pty_slave,
                                   mode_t umask_saved);

static int workload_main(void *arg) {
    const workload_args *a = arg;

    run_workload(a->s, a->c, a->pty_slave, a->umask_saved);
}

/* ------------------------------------------------------------------------------------------
 * The workload (W)
 */

static _Noreturn void run_workload(const sandbox_spec *s, const child_fds *c, int pty_slave,
                                   mode_t umask_saved) {
    fence_error e = {0};
    sigset_t none;
    int keep[2], listener = -1, r;

    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    umask(umask_saved);

    if (s->pty) {
        if (setsid() < 0 || ioctl(pty_slave, TIOCSCTTY, 0) < 0)
            child_fail(c->err, &e, errno);
        for (int fd = 0; fd < 3; fd++)
            if (dup2(pty_slave, fd) < 0)
                child_fail(c->err, &e, errno);
        if (pty_slave > 2)
            close(pty_slave);
    } else if (s->new_session && setsid() < 0) {
        child_fail(c->err, &e, errno);
    }

    keep[0] = c->err;
    keep[1] = c->ctl;
    close_all_except(keep, 2);

    if (drop_privileges(&e) < 0)
        child_fail(c->err, &e, 0);
    if (s->landlock) {
        r = landlock_apply(s->landlock, NULL, NULL, &e);
        if (r < 0)
            child_fail(c->err, &e, 0);
    }
    if (s->seccomp) {
        r = seccomp_apply(s->seccomp, s->seccomp_listener ? &listener : NULL, &e);
        if (r < 0)
            child_fail(c->err, &e, 0);
        if (listener >= 0) {
            r = send_fd(c->ctl, CTL_FD_NOTIFY, 0, listener);
            if (r < 0) {
                fence_error_set(&e, FENCE_E_SANDBOX, -r, "handing over the seccomp listener");
                child_fail(c->err, &e, 0);
            }
            close(listener);
        }
    }
    close(c->ctl);
    directexec_try(s->direct); /* returns only when the shell is to run */
    execve(s->exec_path, s->argv, s->envp);
    fence_error_set(&e, FENCE_E_SPAWN, errno, "exec '%s'", s->exec_path);
    child_fail(c->err, &e, 0);
}

/* ------------------------------------------------------------------------------------------
 * The init (I)
 */

static void ctl_send(int ctl, int type, int value) {
    (void) send_fd(ctl, type, value, -1);
}

static _Noreturn void init_loop(const sandbox_spec *s, const child_fds *c, pid_t w, int sfd) {
    int status = 0;

    for (;;) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = c->lifeline, .events = POLLIN}};
        struct signalfd_siginfo si;

        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents) {
            /* S is gone: take everything down with us */
            kill(-1, SIGKILL);
            _exit(137);
        }
        if (!(p[0].revents & POLLIN))
            continue;
        if (read(sfd, &si, sizeof(si)) != sizeof(si))
            continue;
        if (si.ssi_signo != SIGCHLD) {
            /* a leader of its own group (new session) gets it for the whole group */
            pid_t target = s->new_session || s->pty ? -w : w;
            if (kill(target, (int) si.ssi_signo) < 0)
                kill(w, (int) si.ssi_signo);
            continue;
        }
        for (;;) {
            pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
            if (pid <= 0)
                break;
            if (pid != w)
                continue; /* an orphan re-parented to us: just reaped */
            if (WIFSTOPPED(status)) {
                ctl_send(c->ctl, SANDBOX_EV_STOPPED, WSTOPSIG(status));
            } else if (WIFCONTINUED(status)) {
                ctl_send(c->ctl, SANDBOX_EV_CONTINUED, 0);
            } else {
                ctl_send(c->ctl, SANDBOX_EV_EXITED, status);
                _exit(sandbox_exit_code(status));
            }
        }
    }
    _exit(127);
}

/* The sandbox's own network namespace carries nothing but loopback TCP (to the proxies and the
 * relays), where congestion control has nothing to do; the host's default may be one that paces
 * every flow (bbr), which on loopback costs more CPU than the rest of TCP and halves what a
 * sandboxed client gets through the proxy (docs/network.md). Best effort: reno may be left out
 * of the allowed list. */
static void loopback_congestion_control(void) {
    (void) write_file("/proc/sys/net/ipv4/tcp_congestion_control", "reno");
}

/* mntplan_late.wait in I: the list S sends once it has resolved it (sandbox_spec.late_masks). */
static int init_wait_masks(void *userdata, const char **ret_buf, size_t *ret_len) {
    const child_fds *c = userdata;
    ctl_msg m;
    struct stat st;
    void *map;
    int fd = -1;
    long n;

    do
        n = recv_with_fd(c->ctl, &m, sizeof(m), 0, &fd);
    while (n == -EINTR);
    if (n < 0)
        return (int) n;
    if (n != sizeof(m) || m.type != CTL_FD_MASKS || m.value < 0 ||
        (uint32_t) m.value > SANDBOX_LATE_MASKS_MAX || (m.value > 0 && fd < 0)) {
        safe_close(fd);
        return -EBADMSG;
    }
    *ret_buf = "";
    *ret_len = 0;
    if (m.value == 0) {
        safe_close(fd);
        return 0;
    }
    if (fstat(fd, &st) < 0 || st.st_size != m.value) {
        safe_close(fd);
        return -EBADMSG;
    }
    map = mmap(NULL, (size_t) m.value, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -errno;
    *ret_buf = map;
    *ret_len = (size_t) m.value;
    return 0;
}

static _Noreturn void run_init(const sandbox_spec *s, const child_fds *c) {
    static const int forwarded[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
                                    SIGUSR2, SIGWINCH, SIGALRM, SIGCONT, SIGCHLD};
    fence_error e = {0};
    struct pollfd lp = {.fd = c->lifeline, .events = POLLIN};
    sigset_t set;
    mode_t saved_umask;
    int pty_slave = -1, sfd, r;
    pid_t w;

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_fail(c->err, &e, errno);
    /* S may have died before PDEATHSIG was armed (getppid() is 0 for a namespace's init) */
    if (poll(&lp, 1, 0) != 0)
        _exit(137);
    if (setup_ids(s, &e) < 0)
        child_fail(c->err, &e, 0);
    if (s->netns && loopback_up(&e) < 0)
        child_fail(c->err, &e, 0);
    if (s->netns)
        loopback_congestion_control();
    for (size_t i = 0; i < s->n_listeners; i++)
        if (make_listener(&s->listeners[i], c->ctl, i, &e) < 0)
            child_fail(c->err, &e, 0);

    saved_umask = umask(0);
    {
        mntplan_late late = {.wait = init_wait_masks, .userdata = (void *) c};
        r = mntplan_apply(s->mounts, s->late_masks ? &late : NULL, &e);
    }
    if (r < 0)
        child_fail(c->err, &e, 0);
    if (r > 0 && send_fd(c->ctl, CTL_HOST_PROC, 0, -1) < 0) {
        fence_error_set(&e, FENCE_E_SANDBOX, errno, "reporting the host /proc fallback");
        child_fail(c->err, &e, 0);
    }

    if (s->pty) {
        int unlock = 0, master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0) {
            fence_error_set(&e, FENCE_E_SANDBOX, errno, "opening a pty in the sandbox");
            child_fail(c->err, &e, 0);
        }
        pty_slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (pty_slave < 0) {
            fence_error_set(&e, FENCE_E_SANDBOX, errno, "opening the pty's terminal");
            child_fail(c->err, &e, 0);
        }
        ioctl(pty_slave, TIOCSWINSZ, &s->winsize);
        if (send_fd(c->ctl, CTL_FD_PTY, 0, master) < 0) {
            fence_error_set(&e, FENCE_E_SANDBOX, errno, "handing over the pty");
            child_fail(c->err, &e, 0);
        }
        close(master);
    } else if (s->tty_fd >= 0 && !s->new_session) {
        /* job control without a pty: our own process group, in front on the terminal */
        signal(SIGTTOU, SIG_IGN);
        if (setpgid(0, 0) == 0)
            tcsetpgrp(s->tty_fd, getpgrp());
        signal(SIGTTOU, SIG_DFL);
    }

    sigemptyset(&set);
    for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
        sigaddset(&set, forwarded[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        child_fail(c->err, &e, errno);
    /* nothing in the sandbox may read our memory or attach to us */
    prctl(PR_SET_DUMPABLE, 0);

    /* The workload is created with CLONE_VM|CLONE_VFORK: it runs on its own stack in our
     * memory and we sleep until its execve (or _exit) gives the memory back. A copy of the
     * address space (fork) costs 0.5-1 ms on a virtual machine and buys nothing here, since
     * everything the workload does before exec is system calls on data we prepared. Its
     * code therefore must not allocate or take locks; it shares our errno, which we do not
     * read before clone returns. Signal dispositions, credentials, the fd table, seccomp and
     * Landlock remain per-task. The signalfd and lifeline are closed-on-exec there. */
    {
        workload_args wa = {.s = s, .c = c, .pty_slave = pty_slave, .umask_saved = saved_umask};
        char *stack = mmap(NULL, WORKLOAD_STACK_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

        if (stack == MAP_FAILED)
            child_fail(c->err, &e, errno);
        w = clone(workload_main, stack + WORKLOAD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD,
                  &wa);
        if (w < 0)
            child_fail(c->err, &e, errno);
        munmap(stack, WORKLOAD_STACK_SIZE);
    }
    close(c->err);
    if (pty_slave >= 0)
        close(pty_slave);
    init_loop(s, c, w, sfd);
}

/* ------------------------------------------------------------------------------------------
 * The supervisor side
 */

int sandbox_exit_code(int wstatus) {
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 1;
}

static int recv_msg(int sock, ctl_msg *m, int *ret_fd, int flags) {
    long n = recv_with_fd(sock, m, sizeof(*m), flags, ret_fd);

    if (n < 0)
        return (int) n;
    if (n == 0)
        return -EPIPE;
    if (n != sizeof(*m)) {
        *ret_fd = safe_close(*ret_fd);
        return -EBADMSG;
    }
    return 1;
}

/* Takes the fds I and W sent before exec; status messages are left for the caller. Returns
 * how many were taken, or -errno. */
static int collect_fds(sandbox *sb, const sandbox_spec *spec) {
    int taken = 0;

    for (;; taken++) {
        ctl_msg m;
        int fd, r = recv_msg(sb->ctl, &m, &fd, MSG_DONTWAIT | MSG_PEEK);

        if (r == -EAGAIN || r == -EPIPE)
            return taken;
        if (r < 0)
            return r;
        safe_close(fd);
        if (m.type < CTL_FD_PTY)
            return taken; /* a status message: the supervisor's */
        r = recv_msg(sb->ctl, &m, &fd, MSG_DONTWAIT);
        if (r < 0)
            return r;
        if (m.type == CTL_FD_PTY && sb->pty_master < 0)
            sb->pty_master = fd;
        else if (m.type == CTL_FD_NOTIFY && sb->notify_fd < 0)
            sb->notify_fd = fd;
        else if (m.type == CTL_HOST_PROC)
            sb->host_proc = true;
        else if (m.type == CTL_FD_LISTENER && m.value >= 0 &&
                 (size_t) m.value < spec->n_listeners && m.value < SANDBOX_MAX_LISTENERS &&
                 sb->listener_fds[m.value] < 0) {
            sb->listener_fds[m.value] = fd;
        } else
            safe_close(fd);
    }
}

/* Waits until err_r is readable: the workload exec'd (EOF) or failed. When the spec asks for
 * it, the seccomp listener is taken as soon as W sends it and served meanwhile, because W's
 * own execve may be one of the notified calls. */
static int wait_for_exec(sandbox *sb, const sandbox_spec *spec, int err_r) {
    bool serve = spec->on_notify && spec->seccomp_listener;

    for (;;) {
        struct pollfd p[2] = {{.fd = err_r, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
        int r;

        if (serve)
            p[1].fd = sb->notify_fd >= 0 ? sb->notify_fd : sb->ctl;
        r = poll(p, 2, SPAWN_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? -ETIMEDOUT : -errno;
        if (p[0].revents)
            return 0;
        if (p[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            serve = false;
        } else if (sb->notify_fd >= 0) {
            spec->on_notify(spec->notify_data, sb->notify_fd);
        } else {
            r = collect_fds(sb, spec);
            if (r < 0)
                return r;
            if (r == 0)
                serve = false; /* a status message first: W is not going to exec */
        }
    }
}

/* Resolves the late masks (spec->late_masks) and hands them to I in a sealed memfd. A send that
 * fails because I is gone is left to the error pipe to explain. */
static int send_late_masks(sandbox *sb, const sandbox_spec *spec, fence_error *err) {
    _cleanup_close_ int fd = -1;
    const char *buf = NULL;
    size_t len = 0;
    int r = spec->late_masks(spec->late_masks_data, &buf, &len, err);

    if (r < 0)
        return r;
    if (len > SANDBOX_LATE_MASKS_MAX)
        return fence_error_set(err, FENCE_E_SANDBOX, E2BIG, "runtime exec denies: %zu bytes", len);
    if (len > 0) {
        size_t at = 0;

        fd = memfd_create("fence-masks", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        while (fd >= 0 && at < len) {
            ssize_t n = write(fd, buf + at, len - at);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            at += (size_t) n;
        }
        if (fd < 0 || at < len ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
            return fence_error_set(err, FENCE_E_SPAWN, errno, "passing the runtime exec denies");
    }
    (void) send_fd(sb->ctl, CTL_FD_MASKS, (int) len, fd);
    return 0;
}

int sandbox_spawn(const sandbox_spec *spec, sandbox *ret, fence_error *err) {
    _cleanup_close_ int err_r = -1, err_w = -1, ctl_c = -1, life_r = -1;
    sandbox sb = SANDBOX_INIT;
    struct clone_args args;
    int fds[2], pidfd = -1, r;
    child_fds c;
    fence_error child_err;
    ssize_t n;
    long pid;

    if (!spec->mounts || !spec->exec_path || !spec->argv || !spec->envp ||
        spec->n_listeners > SANDBOX_MAX_LISTENERS)
        return fence_error_set(err, FENCE_E_INVAL, 0, "sandbox_spawn: incomplete spec");
    for (size_t i = 0; i < SANDBOX_MAX_LISTENERS; i++)
        sb.listener_fds[i] = -1;
    sb.n_listener_fds = spec->n_listeners;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return fence_error_set(err, FENCE_E_SPAWN, errno, "pipe");
    err_r = fds[0];
    err_w = fds[1];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return fence_error_set(err, FENCE_E_SPAWN, errno, "socketpair");
    sb.ctl = fds[0];
    ctl_c = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        sandbox_done(&sb);
        return fence_error_set(err, FENCE_E_SPAWN, errno, "pipe");
    }
    life_r = fds[0];
    sb.lifeline = fds[1];

    memset(&args, 0, sizeof(args));
    args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                 CLONE_PIDFD | (spec->netns ? CLONE_NEWNET : 0);
    args.pidfd = (uint64_t) (uintptr_t) &pidfd;
    args.exit_signal = SIGCHLD;
    pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid < 0) {
        int e = errno;
        sandbox_done(&sb);
        if (e == EPERM || e == ENOSPC || e == EINVAL)
            return fence_error_set(err, FENCE_E_UNSUPPORTED, e,
                                   "cannot create the sandbox's namespaces (user namespaces "
                                   "unavailable?)");
        return fence_error_set(err, FENCE_E_SPAWN, e, "clone3");
    }
    if (pid == 0) {
        c = (child_fds){.err = err_w, .ctl = ctl_c, .lifeline = life_r};
        close(err_r);
        close(sb.ctl);
        close(sb.lifeline);
        run_init(spec, &c);
    }
    sb.pid = (pid_t) pid;
    sb.pidfd = pidfd;
    err_w = safe_close(err_w);
    ctl_c = safe_close(ctl_c);
    life_r = safe_close(life_r);
    /* I is setting up its namespaces and mounts meanwhile */
    if (spec->late_masks) {
        r = send_late_masks(&sb, spec, err);
        if (r < 0) {
            sandbox_done(&sb);
            return r;
        }
    }

    /* EOF: the workload exec'd (its end is CLOEXEC, I closed its own after forking it) */
    r = wait_for_exec(&sb, spec, err_r);
    if (r < 0) {
        sandbox_done(&sb);
        return fence_error_set(err, FENCE_E_SPAWN, -r, "waiting for the sandbox to start");
    }
    n = read(err_r, &child_err, sizeof(child_err));
    if (n > 0) {
        sandbox_done(&sb);
        if (n != sizeof(child_err))
            return fence_error_set(err, FENCE_E_SPAWN, 0, "sandbox setup failed");
        child_err.msg[sizeof(child_err.msg) - 1] = '\0';
        if (err && err->code == 0)
            *err = child_err;
        return -(child_err.code > 0 ? child_err.code : FENCE_E_SPAWN);
    }
    r = collect_fds(&sb, spec);
    if (r < 0 || (spec->pty && sb.pty_master < 0) || (spec->seccomp_listener && sb.notify_fd < 0)) {
        sandbox_done(&sb);
        return fence_error_set(err, FENCE_E_SPAWN, r < 0 ? -r : EPROTO,
                               "receiving the sandbox's file descriptors");
    }
    *ret = sb;
    return 0;
}

int sandbox_read_event(sandbox *sb, sandbox_event *ret) {
    for (;;) {
        ctl_msg m;
        int fd, r = recv_msg(sb->ctl, &m, &fd, MSG_DONTWAIT);

        if (r == -EAGAIN)
            return 0;
        if (r < 0)
            return r;
        safe_close(fd);
        if (m.type >= SANDBOX_EV_STOPPED && m.type <= SANDBOX_EV_WPID) {
            ret->type = (sandbox_event_type) m.type;
            ret->value = m.value;
            return 1;
        }
    }
}

void sandbox_done(sandbox *sb) {
    if (sb->pidfd >= 0) {
        siginfo_t si;
        syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0);
        while (waitid(P_PIDFD, (id_t) sb->pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
    }
    sb->pidfd = safe_close(sb->pidfd);
    sb->ctl = safe_close(sb->ctl);
    sb->lifeline = safe_close(sb->lifeline);
    sb->pty_master = safe_close(sb->pty_master);
    sb->notify_fd = safe_close(sb->notify_fd);
    for (size_t i = 0; i < sb->n_listener_fds; i++)
        sb->listener_fds[i] = safe_close(sb->listener_fds[i]);
    sb->n_listener_fds = 0;
}
