/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/enforce/linux/seccomp: the try-syscall matrix (every rule of the filter is
 * exercised once in a forked child that loaded the filter, expecting the exact errno or the
 * kill, and the same call is made without the filter to show that the rule is what changed
 * the result), the foreign-ABI kill (int 0x80, x32), the user-notification listener, the BPF
 * program evaluated on synthetic seccomp_data (argument corner cases and foreign arches without
 * relying on the host), and the -d dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "enforce/linux/seccomp-compile.h"
#include "enforce/linux/seccomp-rules.h"
#include "enforce/linux/seccomp.h"
#include "util/cleanup.h"
#include "util/fbuf.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define NR_OPEN_TREE_ATTR 467
#define X32_BIT           0x40000000L
#define HIGH32            0x100000000L

/* Result of one call: >= 0 errno (0 = success), < 0 = killed by signal -r. */
enum { CASE_DISTINCT = 1 << 0, CASE_DISTINCT_ROOT = 1 << 1, CASE_ALLOWED = 1 << 2 };

typedef struct sc_case {
    const char *what;
    long nr;
    long a[6];
    int want; /* errno the filter must produce (CASE_ALLOWED: ignored) */
    unsigned flags;
} sc_case;

static seccomp_prog *build(unsigned notify) {
    seccomp_plan plan = SECCOMP_PLAN_INIT;
    seccomp_prog *prog = NULL;
    fence_error err = {0};

    plan.notify = notify;
    if (seccomp_build(&plan, &prog, &err) < 0)
        fail_msg("seccomp_build: %s", err.msg);
    return prog;
}

/* cmocka catches SIGSEGV & co. to report a failing test; a forked child must die of them
 * instead of resuming the test runner. */
static void child_default_signals(void) {
    static const int sigs[] = {SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGSYS, SIGABRT};

    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        signal(sigs[i], SIG_DFL);
}

static int wait_result(pid_t pid) {
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1000;
    if (WIFSIGNALED(status))
        return -WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Runs c in a forked child, under prog when non-NULL. The child only makes raw syscalls and
 * leaves with _exit (no sanitizer exit hooks under the filter). */
static int run_case(const seccomp_prog *prog, const sc_case *c) {
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        long r;

        child_default_signals();
        if (prog && seccomp_apply(prog, NULL, NULL) < 0)
            _exit(200);
        r = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
        if (r == 0 && (c->nr == SYS_clone))
            _exit(0); /* the clone child, when the call was allowed */
        _exit(r < 0 ? (errno & 0xff) : 0);
    }
    return wait_result(pid);
}

static char dummy[64];

#define C(w, n, e, f, ...)                                                                         \
    { .what = (w), .nr = (n), .a = {__VA_ARGS__}, .want = (e), .flags = (f) }

static size_t matrix(int devnull, sc_case *out, size_t max) {
    long p = (long) dummy;
    const sc_case cases[] = {
            /* the Go tool's list */
            C("ptrace", SYS_ptrace, EPERM, CASE_DISTINCT, 2 /* PTRACE_PEEKDATA */, 0x7ffffff0, 0,
              0),
            C("process_vm_readv", SYS_process_vm_readv, EPERM, CASE_DISTINCT, 0x7ffffff0, 0, 0, 0,
              0, 0),
            C("process_vm_writev", SYS_process_vm_writev, EPERM, CASE_DISTINCT, 0x7ffffff0, 0, 0, 0,
              0, 0),
            C("keyctl", SYS_keyctl, EPERM, CASE_DISTINCT, 9999, 0, 0, 0, 0),
            C("add_key", SYS_add_key, EPERM, CASE_DISTINCT, 0, 0, 0, 0, 0),
            C("request_key", SYS_request_key, EPERM, CASE_DISTINCT, 0, 0, 0, 0),
            C("personality(ADDR_NO_RANDOMIZE)", SYS_personality, EPERM, CASE_DISTINCT,
              ADDR_NO_RANDOMIZE),
            C("personality(READ_IMPLIES_EXEC|high bits)", SYS_personality, EPERM, CASE_DISTINCT,
              HIGH32 | READ_IMPLIES_EXEC),
            C("userfaultfd", SYS_userfaultfd, EPERM, CASE_DISTINCT_ROOT, 0x7fffffff),
            C("perf_event_open", SYS_perf_event_open, EPERM, CASE_DISTINCT, 0, 0, -1, -1, 0),
            C("bpf", SYS_bpf, EPERM, CASE_DISTINCT_ROOT, 9999, 0, 0),
            C("kexec_load", SYS_kexec_load, EPERM, CASE_DISTINCT_ROOT, 0, 0, 0, 0x7fffffff),
            C("kexec_file_load", SYS_kexec_file_load, EPERM, CASE_DISTINCT_ROOT, -1, -1, 0, 0,
              0x7fffffff),
            C("reboot", SYS_reboot, EPERM, CASE_DISTINCT_ROOT, 0, 0, 0, 0),
            C("syslog", SYS_syslog, EPERM, CASE_DISTINCT_ROOT, 9999, 0, 0),
            C("acct", SYS_acct, EPERM, CASE_DISTINCT_ROOT, 1),
            C("mount", SYS_mount, EPERM, CASE_DISTINCT, 0, 0, 0, 0, 0),
            C("umount2", SYS_umount2, EPERM, CASE_DISTINCT, p, 0x7fffffff),
            C("pivot_root", SYS_pivot_root, EPERM, CASE_DISTINCT_ROOT, 0, 0),
            C("swapon", SYS_swapon, EPERM, CASE_DISTINCT_ROOT, 0, 0),
            C("swapoff", SYS_swapoff, EPERM, CASE_DISTINCT_ROOT, 0),
            C("sethostname", SYS_sethostname, EPERM, CASE_DISTINCT_ROOT, p, -1),
            C("setdomainname", SYS_setdomainname, EPERM, CASE_DISTINCT_ROOT, p, -1),
            C("init_module", SYS_init_module, EPERM, CASE_DISTINCT_ROOT, 0, 0, 0),
            C("finit_module", SYS_finit_module, EPERM, CASE_DISTINCT_ROOT, -1, 0, 0x7fffffff),
            C("delete_module", SYS_delete_module, EPERM, CASE_DISTINCT_ROOT, 0, 0),
#ifdef SYS_ioperm
            C("ioperm", SYS_ioperm, EPERM, CASE_DISTINCT, 0, 0, 0),
            C("iopl", SYS_iopl, EPERM, CASE_DISTINCT, 4),
#endif
            /* hardening beyond the Go tool */
            C("pidfd_getfd", SYS_pidfd_getfd, EPERM, CASE_DISTINCT, -1, 0, 0),
            C("open_by_handle_at", SYS_open_by_handle_at, EPERM, CASE_DISTINCT, -1, 0, 0),
            C("open_tree", SYS_open_tree, EPERM, CASE_DISTINCT, -1, 0, 0),
            C("move_mount", SYS_move_mount, EPERM, CASE_DISTINCT_ROOT, -1, 0, -1, 0, 0),
            C("fsopen", SYS_fsopen, EPERM, CASE_DISTINCT_ROOT, 0, 0),
            C("fsconfig", SYS_fsconfig, EPERM, CASE_DISTINCT, -1, 0, 0, 0, 0),
            C("fsmount", SYS_fsmount, EPERM, CASE_DISTINCT_ROOT, -1, 0, 0),
            C("fspick", SYS_fspick, EPERM, CASE_DISTINCT_ROOT, -1, 0, 0),
            C("mount_setattr", SYS_mount_setattr, EPERM, CASE_DISTINCT, -1, 0, 0, 0, 0),
            C("open_tree_attr", NR_OPEN_TREE_ATTR, EPERM, CASE_DISTINCT, -1, 0, 0, 0, 0),
            C("chroot", SYS_chroot, EPERM, CASE_DISTINCT, 0),
            C("setns", SYS_setns, EPERM, CASE_DISTINCT, -1, 0),
            C("clone3", SYS_clone3, ENOSYS, CASE_DISTINCT, 0, 0),
            C("io_uring_setup", SYS_io_uring_setup, ENOSYS, CASE_DISTINCT, 0, 0),
            C("io_uring_enter", SYS_io_uring_enter, ENOSYS, CASE_DISTINCT, -1, 0, 0, 0, 0, 0),
            C("io_uring_register", SYS_io_uring_register, ENOSYS, CASE_DISTINCT, -1, 0, 0, 0),
            /* namespaces: each flag alone (unprivileged hosts already refuse all but NEWUSER) */
            C("unshare(CLONE_NEWUSER)", SYS_unshare, EPERM, CASE_DISTINCT, CLONE_NEWUSER),
            C("unshare(CLONE_NEWNS)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWNS),
            C("unshare(CLONE_NEWCGROUP)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWCGROUP),
            C("unshare(CLONE_NEWUTS)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWUTS),
            C("unshare(CLONE_NEWIPC)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWIPC),
            C("unshare(CLONE_NEWPID)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWPID),
            C("unshare(CLONE_NEWNET)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWNET),
            C("unshare(CLONE_NEWTIME)", SYS_unshare, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWTIME),
            C("clone(CLONE_NEWUSER)", SYS_clone, EPERM, CASE_DISTINCT, CLONE_NEWUSER | SIGCHLD, 0,
              0, 0, 0),
            C("clone(CLONE_NEWNS)", SYS_clone, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWNS | SIGCHLD, 0,
              0, 0, 0),
            C("clone(CLONE_NEWCGROUP)", SYS_clone, EPERM, CASE_DISTINCT_ROOT,
              CLONE_NEWCGROUP | SIGCHLD, 0, 0, 0, 0),
            C("clone(CLONE_NEWUTS)", SYS_clone, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWUTS | SIGCHLD,
              0, 0, 0, 0),
            C("clone(CLONE_NEWIPC)", SYS_clone, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWIPC | SIGCHLD,
              0, 0, 0, 0),
            C("clone(CLONE_NEWPID)", SYS_clone, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWPID | SIGCHLD,
              0, 0, 0, 0),
            C("clone(CLONE_NEWNET)", SYS_clone, EPERM, CASE_DISTINCT_ROOT, CLONE_NEWNET | SIGCHLD,
              0, 0, 0, 0),
            /* terminal injection: /dev/null is not a tty, so without the filter these are ENOTTY */
            C("ioctl(TIOCSTI)", SYS_ioctl, EPERM, CASE_DISTINCT, devnull, TIOCSTI, p),
            C("ioctl(TIOCSTI | 1<<32)", SYS_ioctl, EPERM, CASE_DISTINCT, devnull, HIGH32 | TIOCSTI,
              p),
            C("ioctl(TIOCLINUX)", SYS_ioctl, EPERM, CASE_DISTINCT, devnull, TIOCLINUX, p),
            C("ioctl(TIOCLINUX | 1<<32)", SYS_ioctl, EPERM, CASE_DISTINCT, devnull,
              HIGH32 | TIOCLINUX, p),
            /* socket families and protocols */
            C("socket(AF_PACKET)", SYS_socket, EAFNOSUPPORT, CASE_DISTINCT, AF_PACKET, SOCK_RAW, 0),
            C("socket(AF_VSOCK)", SYS_socket, EAFNOSUPPORT, 0, AF_VSOCK, SOCK_STREAM, 0),
            C("socket(AF_ALG)", SYS_socket, EAFNOSUPPORT, 0, AF_ALG, SOCK_SEQPACKET, 0),
            C("socket(AF_NETLINK, NETLINK_AUDIT)", SYS_socket, EPROTONOSUPPORT, 0, AF_NETLINK,
              SOCK_RAW, NETLINK_AUDIT),
            C("socket(AF_NETLINK, NETLINK_NETFILTER)", SYS_socket, EPROTONOSUPPORT, CASE_DISTINCT,
              AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER),
            C("socket(AF_INET, IPPROTO_MPTCP)", SYS_socket, EPROTONOSUPPORT, 0, AF_INET,
              SOCK_STREAM, IPPROTO_MPTCP),
            C("socket(AF_INET6, IPPROTO_MPTCP)", SYS_socket, EPROTONOSUPPORT, 0, AF_INET6,
              SOCK_STREAM, IPPROTO_MPTCP),
            C("socketpair(AF_PACKET)", SYS_socketpair, EAFNOSUPPORT, CASE_DISTINCT, AF_PACKET,
              SOCK_RAW, 0, p),
            /* allowed: the filter must not change the result */
            C("getpid", SYS_getpid, 0, CASE_ALLOWED, 0),
            C("personality(query)", SYS_personality, 0, CASE_ALLOWED, 0xffffffffL),
            C("personality(PER_LINUX)", SYS_personality, 0, CASE_ALLOWED, PER_LINUX),
            C("personality(PER_LINUX32)", SYS_personality, 0, CASE_ALLOWED, PER_LINUX32),
            C("personality(high bits only)", SYS_personality, 0, CASE_ALLOWED, HIGH32),
            C("clone(fork)", SYS_clone, 0, CASE_ALLOWED, SIGCHLD, 0, 0, 0, 0),
            C("unshare(CLONE_FILES)", SYS_unshare, 0, CASE_ALLOWED, CLONE_FILES),
            C("ioctl(TIOCGWINSZ)", SYS_ioctl, 0, CASE_ALLOWED, devnull, TIOCGWINSZ, p),
            C("ioctl(TIOCSTI+1)", SYS_ioctl, 0, CASE_ALLOWED, devnull, TIOCSTI + 1, p),
            C("socket(AF_UNIX)", SYS_socket, 0, CASE_ALLOWED, AF_UNIX, SOCK_STREAM, 0),
            C("socket(AF_UNIX | high bits)", SYS_socket, 0, CASE_ALLOWED, HIGH32 | AF_UNIX,
              SOCK_STREAM, 0),
            C("socket(AF_INET, TCP)", SYS_socket, 0, CASE_ALLOWED, AF_INET, SOCK_STREAM, 0),
            C("socket(AF_INET6, UDP)", SYS_socket, 0, CASE_ALLOWED, AF_INET6, SOCK_DGRAM, 0),
            C("socket(AF_NETLINK, ROUTE)", SYS_socket, 0, CASE_ALLOWED, AF_NETLINK, SOCK_RAW,
              NETLINK_ROUTE),
            C("socket(AF_NETLINK, SOCK_DIAG)", SYS_socket, 0, CASE_ALLOWED, AF_NETLINK, SOCK_RAW,
              NETLINK_SOCK_DIAG),
            C("socketpair(AF_UNIX)", SYS_socketpair, 0, CASE_ALLOWED, AF_UNIX, SOCK_STREAM, 0, p),
    };

    assert_true(ARRAY_SIZE(cases) <= max);
    memcpy(out, cases, sizeof(cases));
    return ARRAY_SIZE(cases);
}

static void test_seccomp_matrix(void **state) {
    _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    seccomp_prog *prog = build(0);
    sc_case cases[128];
    size_t n, failures = 0;

    (void) state;
    assert_true(devnull >= 0);
    n = matrix(devnull, cases, ARRAY_SIZE(cases));
    for (size_t i = 0; i < n; i++) {
        const sc_case *c = &cases[i];
        int got = run_case(prog, c), bare = run_case(NULL, c);
        bool distinct =
                (c->flags & CASE_DISTINCT) || ((c->flags & CASE_DISTINCT_ROOT) && geteuid() == 0);

        if (c->flags & CASE_ALLOWED) {
            if (got != bare) {
                print_error("%s: allowed call changed by the filter: %d, without %d\n", c->what,
                            got, bare);
                failures++;
            }
            continue;
        }
        if (got != c->want) {
            print_error("%s: got %d (%s), want %d (%s)\n", c->what, got,
                        got > 0 ? strerror(got) : "ok/signal", c->want, strerror(c->want));
            failures++;
        }
        if (distinct && bare == c->want) {
            print_error("%s: without the filter the call also gives %s: the case proves "
                        "nothing\n",
                        c->what, strerror(c->want));
            failures++;
        }
    }
    seccomp_prog_free(prog);
    assert_int_equal(failures, 0);
}

#if defined(__x86_64__)
/* i386 getpid (20) through the 32-bit entry point, from a 64-bit process. */
static long int80_getpid(void) {
    long ret;

    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "cc");
    return ret;
}

static int run_foreign(const seccomp_prog *prog, bool x32) {
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        long r;

        child_default_signals();
        if (prog && seccomp_apply(prog, NULL, NULL) < 0)
            _exit(200);
        if (x32)
            r = syscall(X32_BIT | SYS_getpid);
        else
            r = int80_getpid();
        /* alive: 0 when the call answered with our pid, 1 for an error */
        _exit(r == getpid() ? 0 : 1);
    }
    return wait_result(pid);
}

static void test_seccomp_int80_killed(void **state) {
    seccomp_prog *prog;
    int bare = run_foreign(NULL, false);

    (void) state;
    /* Control: with IA32 emulation int 0x80 answers getpid. Hosts that turn it off (boot
     * parameter ia32_emulation=0, some hypervisors) fault before any filter runs. */
    if (bare != 0) {
        print_message("int 0x80 does not work on this host without fence either (%s): the "
                      "filter's arch check is covered by test_seccomp_bpf_semantics\n",
                      bare < 0 ? strsignal(-bare) : "error");
        skip();
    }
    prog = build(0);
    assert_int_equal(run_foreign(prog, false), -SIGSYS);
    seccomp_prog_free(prog);
}

static void test_seccomp_x32_killed(void **state) {
    seccomp_prog *prog = build(0);

    (void) state;
    /* Control: x32 is usually compiled out (ENOSYS); either way the process survives it. */
    assert_true(run_foreign(NULL, true) >= 0);
    assert_int_equal(run_foreign(prog, true), -SIGSYS);
    seccomp_prog_free(prog);
}
#endif

static void *thread_fn(void *arg) {
    return arg;
}

/* glibc's pthread_create tries clone3 first and falls back to clone on ENOSYS: threads must
 * still work under the filter. */
static void test_seccomp_threads_still_work(void **state) {
    seccomp_prog *prog = build(0);
    pid_t pid = fork();

    (void) state;
    assert_true(pid >= 0);
    if (pid == 0) {
        pthread_t t;
        void *ret = NULL;

        child_default_signals();
        if (seccomp_apply(prog, NULL, NULL) < 0)
            _exit(200);
        if (pthread_create(&t, NULL, thread_fn, (void *) 42) != 0)
            _exit(2);
        if (pthread_join(t, &ret) != 0 || ret != (void *) 42)
            _exit(3);
        _exit(0);
    }
    assert_int_equal(wait_result(pid), 0);
    seccomp_prog_free(prog);
}

/* --- user notification ---------------------------------------------------------------------- */

/* The grandchild's calls: open without O_CREAT must not be notified, the others must. */
static int notify_workload(void) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 10;
    close(fd);
    if (mkdir("/nonexistent-fence-test/x", 0700) == 0 || errno != EACCES)
        return 11;
    if (open("/nonexistent-fence-test/y", O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0 ||
        errno != EACCES)
        return 12;
    execve("/nonexistent-fence-test/z", (char *[]){NULL}, (char *[]){NULL});
    if (errno != EACCES)
        return 13;
    return 0;
}

/* Answers `want` notifications with EACCES and records which syscalls they were for. The
 * serving process is itself under the filter, so the listener never reports POLLHUP here. */
static int serve_notifications(int listener, pid_t workload, size_t want, long seen[8],
                               size_t *n_seen) {
    struct seccomp_notif_sizes sizes;
    union {
        struct seccomp_notif n;
        char pad[1024];
    } req;
    union {
        struct seccomp_notif_resp r;
        char pad[1024];
    } resp;

    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0 ||
        sizes.seccomp_notif > sizeof(req) || sizes.seccomp_notif_resp > sizeof(resp))
        return 20;
    while (*n_seen < want) {
        struct pollfd pfd = {.fd = listener, .events = POLLIN};
        int r = poll(&pfd, 1, 5000);

        if (r <= 0)
            return 21;
        memset(&req, 0, sizeof(req));
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req.n) < 0)
            return 22;
        if (req.n.pid != (uint32_t) workload)
            return 23;
        seen[(*n_seen)++] = req.n.data.nr;
        memset(&resp, 0, sizeof(resp));
        resp.r.id = req.n.id;
        resp.r.error = -EACCES;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp.r) < 0)
            return 24;
    }
    return 0;
}

static void test_seccomp_notify_listener(void **state) {
    seccomp_prog *prog = build(SECCOMP_NOTIFY_EXEC | SECCOMP_NOTIFY_CREATE);
    pid_t pid;

    (void) state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        long seen[8];
        size_t n_seen = 0;
        int listener = -1, flags, r, ws;
        pid_t w;

        child_default_signals();
        if (seccomp_apply(prog, &listener, NULL) < 0 || listener < 0)
            _exit(30);
        flags = fcntl(listener, F_GETFD);
        if (flags < 0 || !(flags & FD_CLOEXEC))
            _exit(31);
        w = fork();
        if (w < 0)
            _exit(32);
        if (w == 0) {
            close(listener);
            _exit(notify_workload());
        }
        r = serve_notifications(listener, w, 3, seen, &n_seen);
        if (r != 0)
            _exit(r);
        if (waitpid(w, &ws, 0) < 0 || !WIFEXITED(ws))
            _exit(33);
        if (WEXITSTATUS(ws) != 0)
            _exit(WEXITSTATUS(ws));
        /* libc may use the *at form for mkdir() and open(): accept either spelling */
        if ((seen[0] != SYS_mkdir && seen[0] != SYS_mkdirat) ||
            (seen[1] != SYS_open && seen[1] != SYS_openat) || seen[2] != SYS_execve)
            _exit(34);
        _exit(0);
    }
    assert_int_equal(wait_result(pid), 0);
    seccomp_prog_free(prog);
}

static void test_seccomp_apply_requires_listener_slot(void **state) {
    seccomp_prog *prog = build(SECCOMP_NOTIFY_EXEC);
    fence_error err = {0};

    (void) state;
    /* refused before anything is loaded, so this process stays unfiltered */
    assert_int_equal(seccomp_apply(prog, NULL, &err), -FENCE_E_INVAL);
    assert_non_null(strstr(err.msg, "listener"));
    seccomp_prog_free(prog);
}

/* --- the program on synthetic input ------------------------------------------------------------
 * A classic-BPF interpreter for the instructions libseccomp and our preamble emit, so that
 * argument corner cases and foreign architectures are checked exactly, whatever the host. */

struct seccomp_prog {
    unsigned long flags;
    size_t len;
    struct sock_filter insns[];
};

static uint32_t bpf_run(const seccomp_prog *prog, const struct seccomp_data *d) {
    const uint8_t *mem = (const uint8_t *) d;
    uint32_t a = 0, x = 0;

    for (size_t pc = 0; pc < prog->len; pc++) {
        const struct sock_filter *f = &prog->insns[pc];
        uint32_t src;

        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
            if (f->code != (BPF_LD | BPF_W | BPF_ABS) || f->k + 4 > sizeof(*d))
                fail_msg("unexpected load at %zu", pc);
            memcpy(&a, mem + f->k, 4);
            break;
        case BPF_LDX:
            fail_msg("unexpected ldx at %zu", pc);
            break;
        case BPF_ST:
            fail_msg("unexpected st at %zu", pc);
            break;
        case BPF_ALU:
            if (BPF_OP(f->code) != BPF_AND)
                fail_msg("unexpected alu op at %zu", pc);
            a &= BPF_SRC(f->code) == BPF_X ? x : f->k;
            break;
        case BPF_JMP:
            if (BPF_OP(f->code) == BPF_JA) {
                pc += f->k;
                break;
            }
            src = BPF_SRC(f->code) == BPF_X ? x : f->k;
            switch (BPF_OP(f->code)) {
            case BPF_JEQ:
                pc += a == src ? f->jt : f->jf;
                break;
            case BPF_JGT:
                pc += a > src ? f->jt : f->jf;
                break;
            case BPF_JGE:
                pc += a >= src ? f->jt : f->jf;
                break;
            case BPF_JSET:
                pc += (a & src) ? f->jt : f->jf;
                break;
            default:
                fail_msg("unexpected jump at %zu", pc);
            }
            break;
        case BPF_RET:
            return f->k;
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            fail_msg("unexpected class at %zu", pc);
        }
    }
    fail_msg("program fell off its end");
    return 0;
}

static struct seccomp_data sd(uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2) {
    return (struct seccomp_data){.nr = nr, .arch = arch, .args = {a0, a1, a2}};
}

static void test_seccomp_bpf_semantics(void **state) {
    seccomp_prog *prog = build(SECCOMP_NOTIFY_CREATE);
#if defined(__x86_64__)
    const uint32_t native = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    const uint32_t native = AUDIT_ARCH_AARCH64;
#else
    const uint32_t native = 0;
#endif
    const uint32_t kill = SECCOMP_RET_KILL_PROCESS;
    const uint32_t allow = SECCOMP_RET_ALLOW;
#define ERR(e) (SECCOMP_RET_ERRNO | (e))
    const struct {
        const char *what;
        struct seccomp_data d;
        uint32_t want;
    } cases[] = {
        {"i386 getpid", sd(AUDIT_ARCH_I386, 20, 0, 0, 0), kill},
        {"arm getpid", sd(AUDIT_ARCH_ARM, 20, 0, 0, 0), kill},
        {"native getpid", sd(native, SYS_getpid, 0, 0, 0), allow},
#if defined(__x86_64__)
        {"x32 getpid", sd(native, X32_BIT | SYS_getpid, 0, 0, 0), kill},
        {"x32 personality", sd(native, X32_BIT | SYS_personality, 0xffffffff, 0, 0), kill},
        {"x32 socket", sd(native, X32_BIT | SYS_socket, AF_VSOCK, 0, 0), kill},
#endif
        {"ioctl TIOCSTI, garbage high word", sd(native, SYS_ioctl, 0, 0xdeadbeef00005412, 0),
         ERR(EPERM)},
        {"ioctl TIOCLINUX, high word", sd(native, SYS_ioctl, 0, 0xffffffff0000541c, 0), ERR(EPERM)},
        {"ioctl FIONREAD", sd(native, SYS_ioctl, 0, FIONREAD, 0), allow},
        {"clone NEWNET|SIGCHLD", sd(native, SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0), ERR(EPERM)},
        {"clone thread flags",
         sd(native, SYS_clone,
            CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, 0, 0),
         allow},
        {"clone exit signal 0x80 bits", sd(native, SYS_clone, 0x80 | SIGCHLD, 0, 0), allow},
        {"unshare NEWTIME", sd(native, SYS_unshare, CLONE_NEWTIME, 0, 0), ERR(EPERM)},
        {"unshare NEWUSER in high garbage", sd(native, SYS_unshare, HIGH32 | CLONE_NEWUSER, 0, 0),
         ERR(EPERM)},
        {"personality 0xffffffff", sd(native, SYS_personality, 0xffffffff, 0, 0), allow},
        {"personality UNAME26", sd(native, SYS_personality, 0x20000, 0, 0), allow},
        {"personality MMAP_PAGE_ZERO", sd(native, SYS_personality, 0x0100000, 0, 0), ERR(EPERM)},
        {"personality high|ADDR_NO_RANDOMIZE",
         sd(native, SYS_personality, 0xffffffff00040000, 0, 0), ERR(EPERM)},
        {"socket AF_VSOCK", sd(native, SYS_socket, AF_VSOCK, SOCK_STREAM, 0), ERR(EAFNOSUPPORT)},
        {"socket AF_VSOCK high", sd(native, SYS_socket, HIGH32 | AF_VSOCK, 1, 0),
         ERR(EAFNOSUPPORT)},
        {"socket AF_INET6 MPTCP high", sd(native, SYS_socket, AF_INET6, 1, HIGH32 | 262),
         ERR(EPROTONOSUPPORT)},
        {"socket netlink route", sd(native, SYS_socket, AF_NETLINK, 3, 0), allow},
        {"socket netlink uevent", sd(native, SYS_socket, AF_NETLINK, 3, 15), ERR(EPROTONOSUPPORT)},
        {"openat O_CREAT", sd(native, SYS_openat, AT_FDCWD, 0, O_CREAT | O_WRONLY),
         SECCOMP_RET_USER_NOTIF},
        {"openat O_RDONLY", sd(native, SYS_openat, AT_FDCWD, 0, O_RDONLY), allow},
        {"renameat2", sd(native, SYS_renameat2, 0, 0, 0), SECCOMP_RET_USER_NOTIF},
        {"execve (not requested)", sd(native, SYS_execve, 0, 0, 0), allow},
        {"clone3", sd(native, SYS_clone3, 0, 0, 0), ERR(ENOSYS)},
        {"open_tree_attr", sd(native, NR_OPEN_TREE_ATTR, 0, 0, 0), ERR(EPERM)},
    };
#undef ERR

    (void) state;
    if (native == 0)
        skip();
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint32_t got = bpf_run(prog, &cases[i].d);

        if (got != cases[i].want)
            fail_msg("%s: got 0x%08x, want 0x%08x", cases[i].what, got, cases[i].want);
    }
    seccomp_prog_free(prog);
}

static void test_seccomp_allow_userns(void **state) {
    seccomp_plan plan = SECCOMP_PLAN_INIT;
    seccomp_prog *prog = NULL;
    struct seccomp_data d = sd(0, SYS_unshare, CLONE_NEWUSER, 0, 0);

    (void) state;
#if defined(__x86_64__)
    d.arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    d.arch = AUDIT_ARCH_AARCH64;
#else
    skip();
#endif
    plan.allow_userns = true;
    assert_int_equal(seccomp_build(&plan, &prog, NULL), 0);
    assert_int_equal(bpf_run(prog, &d), SECCOMP_RET_ALLOW);
    d.nr = SYS_mount;
    assert_int_equal(bpf_run(prog, &d), SECCOMP_RET_ERRNO | EPERM);
    seccomp_prog_free(prog);
}

/* The programs shipped in libfence were generated at build time: they must be exactly what the
 * compiler makes of the current rule tables with this libseccomp. */
static void test_seccomp_prebuilt_is_current(void **state) {
    (void) state;
    for (unsigned v = 0; v < SECCOMP_PREBUILT_VARIANTS; v++) {
        seccomp_plan plan = SECCOMP_PLAN_INIT;
        _cleanup_free_ struct sock_filter *insns = NULL;
        seccomp_prog *prog = NULL;
        fence_error err = {0};
        size_t n = 0;

        plan.notify = v & 3u;
        plan.allow_userns = (v & 4u) != 0;
        if (seccomp_compile(&plan, &insns, &n, &err) < 0)
            fail_msg("variant %u: %s", v, err.msg);
        assert_int_equal(seccomp_build(&plan, &prog, NULL), 0);
        assert_int_equal(seccomp_prog_len(prog), n);
        assert_memory_equal(prog->insns, insns, n * sizeof(*insns));
        seccomp_prog_free(prog);
    }
    for (size_t i = 0; i < seccomp_n_deny_rules; i++)
        assert_int_equal(
                seccomp_prebuilt_deny_nr[i],
                seccomp_resolve_nr(seccomp_deny_rules[i].name, seccomp_deny_rules[i].fallback_nr));
}

static void test_seccomp_build_rejects_unknown_family(void **state) {
    seccomp_plan plan = SECCOMP_PLAN_INIT;
    seccomp_prog *prog = NULL;

    (void) state;
    plan.notify = 1u << 7;
    assert_int_equal(seccomp_build(&plan, &prog, NULL), -FENCE_E_INVAL);
    assert_null(prog);
}

static void test_seccomp_dump(void **state) {
    seccomp_plan plan = SECCOMP_PLAN_INIT;
    seccomp_prog *prog = build(SECCOMP_NOTIFY_EXEC);
    fbuf b = FBUF_INIT(1 << 16);

    (void) state;
    plan.notify = SECCOMP_NOTIFY_EXEC;
    assert_int_equal(seccomp_dump(&plan, prog, &b), 0);
    assert_non_null(strstr(b.data, "kill the process"));
    assert_non_null(strstr(b.data, "BPF instructions"));
    assert_non_null(strstr(b.data, " ptrace "));
    assert_non_null(strstr(b.data, "ENOSYS namespaces: clone3"));
    assert_non_null(strstr(b.data, "TIOCSTI TIOCLINUX (low 32 bits"));
    assert_non_null(strstr(b.data, "NOTIFY (user-notification listener): execve execveat\n"));
    assert_null(strstr(b.data, "mkdir"));
    fbuf_done(&b);
    seccomp_prog_free(prog);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seccomp_matrix),
#if defined(__x86_64__)
        cmocka_unit_test(test_seccomp_int80_killed),
        cmocka_unit_test(test_seccomp_x32_killed),
#endif
        cmocka_unit_test(test_seccomp_threads_still_work),
        cmocka_unit_test(test_seccomp_notify_listener),
        cmocka_unit_test(test_seccomp_apply_requires_listener_slot),
        cmocka_unit_test(test_seccomp_bpf_semantics),
        cmocka_unit_test(test_seccomp_allow_userns),
        cmocka_unit_test(test_seccomp_prebuilt_is_current),
        cmocka_unit_test(test_seccomp_build_rejects_unknown_family),
        cmocka_unit_test(test_seccomp_dump),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
