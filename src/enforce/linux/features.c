/* SPDX-License-Identifier: MIT */
/*
 * Host feature probes for the Linux engine and the `fence --linux-features` table. Each probe
 * is a syscall or a tiny /proc read; the only process created is the optional namespace probe
 * (a raw clone whose child makes three syscalls and exits, waited for with a timeout).
 */
#include "features.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* The namespace probe's child does three syscalls; anything slower than this is a broken host. */
#define FEATURES_NS_PROBE_TIMEOUT_MS 2000
/* Sysctl and /proc attribute values are a few bytes. */
#define FEATURES_SMALL_FILE_MAX 128
/* The rendered table is a dozen short lines. */
#define FEATURES_TABLE_MAX 8192

/* Reads a small /proc file into buf (NUL-terminated, trailing newline stripped).
 * Returns the length or -errno. */
static int read_small(const char *path, char *buf, size_t size) {
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n;

    if (fd < 0)
        return -errno;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return (int) n;
}

/* A sysctl as an integer, or -1 when missing/unreadable. */
static long read_sysctl(const char *path) {
    char buf[FEATURES_SMALL_FILE_MAX];
    char *end;
    long v;

    if (read_small(path, buf, sizeof(buf)) <= 0)
        return -1;
    errno = 0;
    v = strtol(buf, &end, 10);
    if (errno != 0 || end == buf)
        return -1;
    return v;
}

static bool have_effective_cap(int cap) {
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {0};

    if (syscall(SYS_capget, &hdr, data) < 0)
        return false;
    if (cap / 32 >= _LINUX_CAPABILITY_U32S_3)
        return false;
    return data[cap / 32].effective & (1u << (cap % 32));
}

static void probe_kernel(linux_features *f) {
    struct utsname u;

    if (uname(&u) < 0)
        return;
    (void) sscanf(u.release, "%u.%u", &f->kernel_major, &f->kernel_minor);
    snprintf(f->machine, sizeof(f->machine), "%s", u.machine);
}

/* Is the calling process confined by an AppArmor profile other than "unconfined"? A profile
 * may grant `userns,` explicitly, in which case the restriction sysctl does not apply. */
static bool apparmor_confined(void) {
    char buf[FEATURES_SMALL_FILE_MAX];

    if (read_small("/proc/self/attr/apparmor/current", buf, sizeof(buf)) <= 0 &&
        read_small("/proc/self/attr/current", buf, sizeof(buf)) <= 0)
        return false;
    return strncmp(buf, "unconfined", 10) != 0;
}

void features_userns_decide(const features_userns_facts *in, linux_features *f) {
    f->userns = FEATURES_UNKNOWN;
    f->userns_detail[0] = '\0';
    if (in->max_user_namespaces == 0) {
        f->userns = FEATURES_NO;
        snprintf(f->userns_detail, sizeof(f->userns_detail),
                 "user namespaces are disabled (user.max_user_namespaces=0); fix: "
                 "sudo sysctl -w user.max_user_namespaces=15000");
        return;
    }
    if (in->privileged)
        return;
    /* Debian before 11 and some hardened kernels */
    if (in->unprivileged_userns_clone == 0) {
        f->userns = FEATURES_NO;
        snprintf(f->userns_detail, sizeof(f->userns_detail),
                 "unprivileged user namespaces are disabled "
                 "(kernel.unprivileged_userns_clone=0); fix: "
                 "sudo sysctl -w kernel.unprivileged_userns_clone=1");
        return;
    }
    /* Ubuntu 23.10+: the clone succeeds, but capabilities inside the namespace are refused,
     * unless the process runs under a profile that grants `userns,`. */
    if (in->apparmor_restrict_unprivileged_userns == 1 && !in->apparmor_confined) {
        f->userns = FEATURES_NO;
        snprintf(f->userns_detail, sizeof(f->userns_detail),
                 "unprivileged user namespaces are restricted by AppArmor "
                 "(kernel.apparmor_restrict_unprivileged_userns=1); fix: an AppArmor profile "
                 "for fence with 'userns,', or sudo sysctl -w "
                 "kernel.apparmor_restrict_unprivileged_userns=0");
    }
}

static void probe_userns_sysctls(linux_features *f) {
    features_userns_facts in = {
            .max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces"),
            .unprivileged_userns_clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone"),
            .apparmor_restrict_unprivileged_userns =
                    read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
            .privileged = geteuid() == 0 || have_effective_cap(CAP_SYS_ADMIN),
    };

    if (in.apparmor_restrict_unprivileged_userns == 1)
        in.apparmor_confined = apparmor_confined();
    features_userns_decide(&in, f);
}

/* Child of the namespace probe: bring lo up in the new network namespace, which needs
 * CAP_NET_ADMIN in the new user namespace, exactly what the engine does first. Raw syscalls
 * and _exit only (we are a copy of a possibly multi-threaded parent). */
static int ns_probe_child(void) {
    struct ifreq ifr;
    int fd;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return errno;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return errno;
    return 0;
}

/* Waits for the probe child through its pidfd, killing it after the timeout. Returns its exit
 * code, or -errno / -ETIMEDOUT. */
static int ns_probe_wait(pid_t pid, int pidfd) {
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    int status, r;

    do
        r = poll(&pfd, 1, FEATURES_NS_PROBE_TIMEOUT_MS);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    while (waitpid(pid, &status, __WALL) < 0)
        if (errno != EINTR)
            return -errno;
    if (r == 0)
        return -ETIMEDOUT;
    if (!WIFEXITED(status))
        return -ECHILD;
    return WEXITSTATUS(status);
}

static void probe_namespaces(linux_features *f) {
    _cleanup_close_ int pidfd = -1;
    pid_t pid;
    int r;

    /* fork-like clone (no new stack): the child runs on a copy of our stack and exits. Exit
     * signal 0: no SIGCHLD reaches the caller's handler, and a caller that ignores SIGCHLD does
     * not get the child auto-reaped before we read its status (waitpid needs __WALL then). */
    pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | CLONE_PIDFD, NULL, &pidfd, NULL,
                          NULL);
    if (pid == 0)
        _exit(ns_probe_child());
    if (pid < 0) {
        int e = errno;

        if (f->userns != FEATURES_NO) {
            f->userns = FEATURES_NO;
            snprintf(f->userns_detail, sizeof(f->userns_detail), "clone(CLONE_NEWUSER) failed: %s",
                     strerror(e));
        }
        f->netns = FEATURES_NO;
        snprintf(f->netns_detail, sizeof(f->netns_detail), "needs user namespaces");
        return;
    }
    r = ns_probe_wait(pid, pidfd);
    if (r == 0) {
        f->userns = FEATURES_YES;
        snprintf(f->userns_detail, sizeof(f->userns_detail), "%s",
                 geteuid() == 0 ? "available (running as root)" : "available unprivileged");
        f->netns = FEATURES_YES;
        snprintf(f->netns_detail, sizeof(f->netns_detail), "loopback comes up in a new netns");
        return;
    }
    /* The namespace was created but using it failed: the AppArmor restriction looks exactly
     * like this, so keep the sysctl's explanation when there is one. */
    if (f->userns != FEATURES_NO) {
        f->userns = FEATURES_NO;
        snprintf(f->userns_detail, sizeof(f->userns_detail),
                 "a new user namespace has no usable capabilities (%s); an LSM such as "
                 "AppArmor may restrict it",
                 r > 0 ? strerror(r) : strerror(-r));
    }
    f->netns = FEATURES_NO;
    snprintf(f->netns_detail, sizeof(f->netns_detail), "bringing up loopback failed: %s",
             r > 0 ? strerror(r) : strerror(-r));
}

static void probe_seccomp(linux_features *f) {
    uint32_t action;

    action = SECCOMP_RET_ALLOW;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
        f->seccomp_errno = errno;
        return;
    }
    f->seccomp = true;
    action = SECCOMP_RET_LOG;
    f->seccomp_log = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
    action = SECCOMP_RET_USER_NOTIF;
    f->seccomp_notify = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

void features_probe(unsigned flags, linux_features *ret) {
    linux_features f;
    int abi;

    memset(&f, 0, sizeof(f));
    probe_kernel(&f);
    probe_userns_sysctls(&f);
    if (flags & FEATURES_PROBE_NAMESPACES)
        probe_namespaces(&f);
    abi = landlock_abi();
    if (abi > 0)
        f.landlock_abi = abi;
    else
        f.landlock_errno = -abi;
    probe_seccomp(&f);
    f.ebpf_root = geteuid() == 0;
    f.ebpf = f.ebpf_root || have_effective_cap(CAP_BPF);
    f.wsl = access("/proc/sys/fs/binfmt_misc/WSLInterop", F_OK) == 0 ||
            access("/proc/sys/fs/binfmt_misc/WSLInterop-late", F_OK) == 0;
    *ret = f;
}

const char *features_userns_problem(const linux_features *f) {
    if (!f || f->userns != FEATURES_NO)
        return NULL;
    return f->userns_detail[0] ? f->userns_detail : "user namespaces are not available";
}

/* ---------------------------------------------------------------------------------------------
 * The table
 */

typedef struct feature_row {
    const char *capability;
    const char *required_for;
    const char *status;
    char details[360];
} feature_row;

#define MAX_ROWS 12

static const char *ok(bool b) {
    return b ? "ok" : "unavailable";
}

static const char *state_status(features_state s) {
    return s == FEATURES_YES ? "ok" : s == FEATURES_NO ? "unavailable" : "unknown";
}

static size_t build_rows(const linux_features *f, feature_row rows[static MAX_ROWS]) {
    size_t n = 0;

    rows[n] = (feature_row){"Kernel", "Linux sandbox baseline", "info", ""};
    snprintf(rows[n++].details, sizeof(rows[0].details), "%u.%u (linux/%s)", f->kernel_major,
             f->kernel_minor, f->machine);
    rows[n] = (feature_row){"User namespaces", "sandbox engine (required)", state_status(f->userns),
                            ""};
    snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
             f->userns_detail[0] ? f->userns_detail : "not probed");
    rows[n] = (feature_row){"Network namespace", "direct network isolation", state_status(f->netns),
                            ""};
    snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
             f->netns_detail[0] ? f->netns_detail : "not probed");
    rows[n] = (feature_row){"Landlock", "filesystem enforcement (required)",
                            ok(f->landlock_abi > 0), ""};
    if (f->landlock_abi > 0)
        snprintf(rows[n++].details, sizeof(rows[0].details), "ABI v%d", f->landlock_abi);
    else
        snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
                 f->landlock_errno == EOPNOTSUPP ? "built in but disabled (add landlock to lsm=)"
                                                 : "kernel support or permissions unavailable");
    rows[n] = (feature_row){"Seccomp filter", "syscall hardening (required)", ok(f->seccomp), ""};
    if (f->seccomp)
        snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
                 "native-arch filter with argument checks");
    else
        snprintf(rows[n++].details, sizeof(rows[0].details), "seccomp(): %s",
                 strerror(f->seccomp_errno));
    rows[n] = (feature_row){"Seccomp log action", "violation diagnostics", ok(f->seccomp_log), ""};
    snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
             f->seccomp_log ? "SECCOMP_RET_LOG accepted" : "SECCOMP_RET_LOG not available");
    rows[n] = (feature_row){"Seccomp user notification",
                            "runtimeExecPolicy: \"argv\", new protected files",
                            ok(f->seccomp_notify), ""};
    snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
             f->seccomp_notify ? "SECCOMP_RET_USER_NOTIF accepted"
                               : "SECCOMP_RET_USER_NOTIF not available");
    rows[n] = (feature_row){"eBPF monitor", "enhanced monitor mode", ok(f->ebpf), ""};
    snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
             f->ebpf_root ? "available as root"
             : f->ebpf    ? "CAP_BPF available"
                          : "needs root or CAP_BPF");
    if (f->wsl) {
        rows[n] = (feature_row){"WSL interop", "Windows executable handling", "detected", ""};
        snprintf(rows[n++].details, sizeof(rows[0].details), "%s",
                 "WSLInterop registered; AF_VSOCK is refused inside the sandbox");
    }
    return n;
}

static size_t maxlen(size_t a, const char *s) {
    size_t n = strlen(s);

    return n > a ? n : a;
}

static int render_line(fbuf *b, const size_t w[3], const char *c0, const char *c1, const char *c2,
                       const char *c3) {
    return fbuf_printf(b, "  %-*s  %-*s  %-*s  %s\n", (int) w[0], c0, (int) w[1], c1, (int) w[2],
                       c2, c3);
}

static void dashes(char *buf, size_t size, size_t n) {
    if (n >= size)
        n = size - 1;
    memset(buf, '-', n);
    buf[n] = '\0';
}

int features_table(const linux_features *f, char **ret, fence_error *err) {
    static const char *const head[4] = {"Capability", "Required For", "Status", "Details"};
    feature_row rows[MAX_ROWS];
    char d[4][64];
    size_t w[3], n;
    fbuf b = FBUF_INIT(FEATURES_TABLE_MAX);
    char *text;
    int r;

    n = build_rows(f, rows);
    w[0] = strlen(head[0]);
    w[1] = strlen(head[1]);
    w[2] = strlen(head[2]);
    for (size_t i = 0; i < n; i++) {
        w[0] = maxlen(w[0], rows[i].capability);
        w[1] = maxlen(w[1], rows[i].required_for);
        w[2] = maxlen(w[2], rows[i].status);
    }
    for (int c = 0; c < 3; c++)
        dashes(d[c], sizeof(d[c]), w[c]);
    dashes(d[3], sizeof(d[3]), strlen(head[3]));

    r = fbuf_puts(&b, "Linux Sandbox Features:\n\n");
    if (r >= 0)
        r = render_line(&b, w, head[0], head[1], head[2], head[3]);
    if (r >= 0)
        r = render_line(&b, w, d[0], d[1], d[2], d[3]);
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = render_line(&b, w, rows[i].capability, rows[i].required_for, rows[i].status,
                        rows[i].details);
    if (r >= 0)
        r = fbuf_puts(&b, "\nfence builds the sandbox itself: bubblewrap and socat are not "
                          "needed.\n");
    if (r < 0) {
        fbuf_done(&b);
        return fence_error_set(err, FENCE_E_NOMEM, -r, "rendering the features table");
    }
    text = fbuf_steal(&b);
    if (!text)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "rendering the features table");
    *ret = text;
    return 0;
}

FENCE_API int fence_linux_features(char **ret, fence_error *err) {
    linux_features f;

    if (!ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_linux_features: ret is NULL");
    features_probe(FEATURES_PROBE_NAMESPACES, &f);
    return features_table(&f, ret, err);
}
