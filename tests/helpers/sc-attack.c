/* SPDX-License-Identifier: MIT */
/*
 * sc-attack: escape attempts for the seccomp part of escape classes 1, 6 and 7
 * (spec/anchors.md §5), run by tests/integration/test_escape_seccomp.py once inside a fence
 * sandbox and once without fence (to prove each attack works where nothing stops it).
 *
 *   sc-attack ATTACK
 *
 * Prints one line "ATTACK: ok ..." when the attack succeeded (exit 0) or
 * "ATTACK: refused errno=NAME (text)" when the kernel refused it (exit 1); 2 is a setup error
 * (the attack could not even be attempted), 3 a usage error. An attack killed by seccomp dies
 * of SIGSYS, which the caller sees as the signal (or 159 through a shell).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif

static const char *attack;

static int ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ok(const char *fmt, ...) {
    va_list ap;

    printf("%s: ok", attack);
    if (fmt) {
        putchar(' ');
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    putchar('\n');
    return 0;
}

static int refused(int e) {
    printf("%s: refused errno=%s (%s)\n", attack, strerrorname_np(e) ? strerrorname_np(e) : "?",
           strerror(e));
    return 1;
}

static int setup_error(const char *what, int e) {
    printf("%s: setup error: %s: %s\n", attack, what, strerror(e));
    return 2;
}

/* --- class 1: terminal injection --------------------------------------------------------------
 * TIOCSTI needs the terminal to be the caller's controlling terminal (or CAP_SYS_ADMIN), so the
 * helper makes stdin its controlling terminal first, and says whether that worked: a refusal
 * then cannot be the kernel's ctty check. The injected bytes are read back from stdin. */

static int take_ctty(void) {
    if (!isatty(0))
        return setup_error("stdin is not a terminal", ENOTTY);
    if (tcgetsid(0) != getsid(0)) {
        if (setsid() < 0 && getpgrp() != getpid())
            return setup_error("setsid", errno);
        if (ioctl(0, TIOCSCTTY, 0) < 0)
            return setup_error("TIOCSCTTY", errno);
    }
    return 0;
}

static int tiocsti(unsigned long request) {
    static const char marker[] = "fence-injected";
    char buf[64];
    struct termios t;
    ssize_t n;
    int r = take_ctty();

    if (r != 0)
        return r;
    /* raw, non-blocking reads so the injected bytes come back as they are */
    if (tcgetattr(0, &t) == 0) {
        cfmakeraw(&t);
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 1;
        tcsetattr(0, TCSANOW, &t);
    }
    for (const char *p = marker; *p; p++)
        if (ioctl(0, request, p) < 0)
            return refused(errno);
    n = read(0, buf, sizeof(buf) - 1);
    if (n < 0)
        return setup_error("reading back", errno);
    buf[n] = '\0';
    if (strstr(buf, marker) == NULL)
        return setup_error("injected bytes not read back", EIO);
    return ok("injected '%s' as the controlling terminal's input", marker);
}

static int tioclinux(void) {
    char subcode[2] = {6 /* TIOCL_GETSHIFTSTATE */, 0};

    /* Only a virtual console answers TIOCLINUX; on a pty the kernel says ENOTTY/EINVAL. The
     * interesting part is whether the request reaches the kernel at all. */
    if (ioctl(0, TIOCLINUX, subcode) < 0)
        return refused(errno);
    return ok("TIOCLINUX answered");
}

/* --- class 6: nested user namespaces and the mount API ---------------------------------------- */

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t) strlen(text) ? 0 : -EIO;
}

/* Become root of a new user + mount namespace, as `unshare -Urm` does. */
static int enter_userns(void) {
    uid_t uid = getuid();
    gid_t gid = getgid();
    char map[64];

    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return -errno;
    snprintf(map, sizeof(map), "0 %u 1\n", uid);
    if (write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", map) < 0)
        return -EIO;
    snprintf(map, sizeof(map), "0 %u 1\n", gid);
    if (write_file("/proc/self/gid_map", map) < 0)
        return -EIO;
    return 0;
}

static int unshare_user(void) {
    if (unshare(CLONE_NEWUSER) < 0)
        return refused(errno);
    return ok("new user namespace");
}

static int clone_newuser(void) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    int status;

    if (pid < 0)
        return refused(errno);
    if (pid == 0)
        _exit(0);
    waitpid((pid_t) pid, &status, 0);
    return ok("child in a new user namespace");
}

/* The whole class-6 chain: a nested user namespace, then a mount made with the new mount API
 * (fsopen/fsmount/move_mount) over the current directory, then the old API's remount. */
static int userns_mount(void) {
    int r = enter_userns(), fs, mnt;

    if (r < 0)
        return refused(-r);
    fs = (int) syscall(SYS_fsopen, "tmpfs", 0);
    if (fs < 0)
        return refused(errno);
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return refused(errno);
    mnt = (int) syscall(SYS_fsmount, fs, 0, 0);
    if (mnt < 0)
        return refused(errno);
    if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return refused(errno);
    return ok("tmpfs mounted over the working directory from a nested user namespace");
}

/* Single calls of the mount API, for runs that already hold the capabilities (the control runs
 * inside `unshare -Urm`) or none (inside fence, where the filter answers first). */
static int open_tree_clone(void) {
    int fd = (int) syscall(SYS_open_tree, AT_FDCWD, ".", OPEN_TREE_CLONE);

    if (fd < 0)
        return refused(errno);
    return ok("detached copy of the mount at '.'");
}

static int move_mount_attack(void) {
    int fd = (int) syscall(SYS_open_tree, AT_FDCWD, ".", OPEN_TREE_CLONE | AT_RECURSIVE);

    if (fd < 0)
        return refused(errno);
    if (syscall(SYS_move_mount, fd, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return refused(errno);
    return ok("moved a copy of '.' over itself");
}

static int fsopen_attack(void) {
    int fd = (int) syscall(SYS_fsopen, "tmpfs", 0);

    if (fd < 0)
        return refused(errno);
    return ok("tmpfs context");
}

/* setns with a bad fd: the kernel answers EBADF, the filter EPERM before looking at it. */
static int setns_probe(void) {
    if (syscall(SYS_setns, -1, 0) < 0) {
        if (errno == EBADF)
            return ok("setns reached the kernel (EBADF for fd -1)");
        return refused(errno);
    }
    return ok("setns");
}

/* --- class 7: seccomp bypasses ------------------------------------------------------------------
 */

static int x32_getpid(void) {
#if defined(__x86_64__)
    long r = syscall(0x40000000L | SYS_getpid);

    if (r < 0)
        return refused(errno);
    return ok("x32 getpid = %ld", r);
#else
    return setup_error("x32 exists only on x86-64", ENOSYS);
#endif
}

static int int80_getpid(void) {
#if defined(__x86_64__)
    long r;

    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "cc");
    if (r < 0 && r > -4096)
        return refused((int) -r);
    return ok("i386 getpid = %ld", r);
#else
    return setup_error("int 0x80 exists only on x86", ENOSYS);
#endif
}

static int io_uring(void) {
    struct io_uring_params p;
    int fd;

    memset(&p, 0, sizeof(p));
    fd = (int) syscall(SYS_io_uring_setup, 4, &p);
    if (fd < 0)
        return refused(errno);
    return ok("io_uring instance");
}

static int clone3_attack(void) {
    struct clone_args a;
    long pid;
    int status;

    memset(&a, 0, sizeof(a));
    a.exit_signal = SIGCHLD;
    pid = syscall(SYS_clone3, &a, sizeof(a));
    if (pid < 0)
        return refused(errno);
    if (pid == 0)
        _exit(0);
    waitpid((pid_t) pid, &status, 0);
    return ok("clone3 child");
}

/* ptrace a child of ours: the relation Yama allows by default. */
static int ptrace_attack(void) {
    pid_t pid = fork();
    int status;
    long r;

    if (pid < 0)
        return setup_error("fork", errno);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
    if (r < 0) {
        int e = errno;

        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return refused(e);
    }
    waitpid(pid, &status, 0);
    kill(pid, SIGKILL);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
    waitpid(pid, &status, 0);
    return ok("attached to child %d", (int) pid);
}

static int process_vm_readv_attack(void) {
    static const char secret[] = "secret";
    char buf[sizeof(secret)];
    struct iovec local = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct iovec remote = {.iov_base = (void *) secret, .iov_len = sizeof(secret)};

    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) < 0)
        return refused(errno);
    return ok("read %zu bytes", sizeof(buf));
}

static int vsock(void) {
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return refused(errno);
    return ok("AF_VSOCK socket");
}

static const struct {
    const char *name;
    int (*fn)(void);
} attacks[] = {
        {"tiocsti", NULL},
        {"tiocsti-high", NULL},
        {"tioclinux", tioclinux},
        {"unshare-user", unshare_user},
        {"clone-newuser", clone_newuser},
        {"userns-mount", userns_mount},
        {"open-tree", open_tree_clone},
        {"move-mount", move_mount_attack},
        {"fsopen", fsopen_attack},
        {"setns", setns_probe},
        {"x32", x32_getpid},
        {"int80", int80_getpid},
        {"io-uring", io_uring},
        {"clone3", clone3_attack},
        {"ptrace", ptrace_attack},
        {"process-vm-readv", process_vm_readv_attack},
        {"vsock", vsock},
};

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: sc-attack ATTACK\n");
        return 3;
    }
    attack = argv[1];
    if (strcmp(attack, "tiocsti") == 0)
        return tiocsti(TIOCSTI);
    if (strcmp(attack, "tiocsti-high") == 0)
        /* the request is an unsigned int in the kernel: bit 32 is dropped by it, not by a
         * filter that compares 64 bits (CVE-2019-10063) */
        return tiocsti((unsigned long) TIOCSTI | (1UL << 32));
    for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
        if (attacks[i].fn && strcmp(attack, attacks[i].name) == 0)
            return attacks[i].fn();
    fprintf(stderr, "sc-attack: unknown attack '%s'\n", attack);
    return 3;
}
