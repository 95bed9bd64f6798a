/* SPDX-License-Identifier: MIT */
/*
 * The workload's seccomp filter: rule tables, compilation with libseccomp in the supervisor,
 * loading in the child, and the -d dump (generated from the same tables, so they cannot drift).
 *
 * libseccomp builds the architecture check (foreign ABI -> kill process, which on x86-64 also
 * covers x32 numbers) and the syscall/argument rules. Two kinds of rule cannot be written with
 * it: an argument must be compared at most once per rule and rules cannot be negated, so "only
 * these values are allowed" (personality personas, socket families, netlink protocols) is
 * compiled by hand into a short preamble placed in front of libseccomp's program. The
 * preamble only ever returns an errno or falls through to the first libseccomp instruction;
 * BPF jumps are relative and forward, so prepending leaves libseccomp's program intact.
 */
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* BPF_MAXINSNS: the kernel refuses longer classic BPF programs. */
#define SECCOMP_MAX_INSNS 4096

struct seccomp_prog {
    unsigned long flags; /* SECCOMP_FILTER_FLAG_* */
    size_t len;
    struct sock_filter insns[];
};

/* ---------------------------------------------------------------------------------------------
 * Rule tables
 */

enum {
    RULE_ALWAYS = 0,
    RULE_NO_USERNS = 1, /* dropped when the plan allows user namespaces (nested sandboxes) */
};

typedef struct sc_rule {
    const char *name;
    int fallback_nr; /* native number when libseccomp does not know the name (x86-64/arm64
                      * share the unified table from 424 on); -1 = none */
    int err;         /* errno returned */
    unsigned when;
    const char *why; /* group label for -d */
} sc_rule;

/* Unconditional refusals. The first group is the Go tool's list (§10.3) minus personality,
 * which has its own value rule below. */
static const sc_rule deny_rules[] = {
        {"ptrace", -1, EPERM, RULE_ALWAYS, "process inspection"},
        {"process_vm_readv", -1, EPERM, RULE_ALWAYS, "process inspection"},
        {"process_vm_writev", -1, EPERM, RULE_ALWAYS, "process inspection"},
        {"pidfd_getfd", 438, EPERM, RULE_ALWAYS, "process inspection"},
        {"keyctl", -1, EPERM, RULE_ALWAYS, "kernel keyring"},
        {"add_key", -1, EPERM, RULE_ALWAYS, "kernel keyring"},
        {"request_key", -1, EPERM, RULE_ALWAYS, "kernel keyring"},
        {"userfaultfd", -1, EPERM, RULE_ALWAYS, "kernel attack surface"},
        {"perf_event_open", -1, EPERM, RULE_ALWAYS, "kernel attack surface"},
        {"bpf", -1, EPERM, RULE_ALWAYS, "kernel attack surface"},
        {"kexec_load", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"kexec_file_load", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"reboot", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"syslog", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"acct", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"swapon", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"swapoff", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"sethostname", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"setdomainname", -1, EPERM, RULE_ALWAYS, "system administration"},
        {"init_module", -1, EPERM, RULE_ALWAYS, "kernel modules and I/O ports"},
        {"finit_module", -1, EPERM, RULE_ALWAYS, "kernel modules and I/O ports"},
        {"delete_module", -1, EPERM, RULE_ALWAYS, "kernel modules and I/O ports"},
        {"ioperm", -1, EPERM, RULE_ALWAYS, "kernel modules and I/O ports"},
        {"iopl", -1, EPERM, RULE_ALWAYS, "kernel modules and I/O ports"},
        {"mount", -1, EPERM, RULE_ALWAYS, "mounts"},
        {"umount2", -1, EPERM, RULE_ALWAYS, "mounts"},
        {"pivot_root", -1, EPERM, RULE_ALWAYS, "mounts"},
        {"open_tree", 428, EPERM, RULE_ALWAYS, "mounts"},
        {"move_mount", 429, EPERM, RULE_ALWAYS, "mounts"},
        {"fsopen", 430, EPERM, RULE_ALWAYS, "mounts"},
        {"fsconfig", 431, EPERM, RULE_ALWAYS, "mounts"},
        {"fsmount", 432, EPERM, RULE_ALWAYS, "mounts"},
        {"fspick", 433, EPERM, RULE_ALWAYS, "mounts"},
        {"mount_setattr", 442, EPERM, RULE_ALWAYS, "mounts"},
        {"open_tree_attr", 467, EPERM, RULE_ALWAYS, "mounts"},
        {"chroot", -1, EPERM, RULE_NO_USERNS, "namespaces"},
        {"setns", -1, EPERM, RULE_NO_USERNS, "namespaces"},
        /* ENOSYS so that libc falls back to clone(), whose flags the filter can read */
        {"clone3", 435, ENOSYS, RULE_NO_USERNS, "namespaces"},
        /* ENOSYS: "not built into this kernel", the answer io_uring users already handle;
         * IORING_OP_SOCKET etc. would bypass the socket rules */
        {"io_uring_setup", 425, ENOSYS, RULE_ALWAYS, "io_uring"},
        {"io_uring_enter", 426, ENOSYS, RULE_ALWAYS, "io_uring"},
        {"io_uring_register", 427, ENOSYS, RULE_ALWAYS, "io_uring"},
        /* Only on architectures that multiplex sockets through one call (s390x, ppc64...): it would
         * carry socket() past the family rules of the preamble. libc there uses the direct calls.
         */
        {"socketcall", -1, ENOSYS, RULE_ALWAYS, "sockets"},
};

/* Namespace flags refused in unshare() and clone(). CLONE_NEWTIME (0x80) overlaps the exit
 * signal byte of clone() and is only accepted by unshare/clone3, so clone() does not test it. */
static const struct {
    const char *name;
    unsigned long flag;
    bool clone_too;
} ns_flags[] = {
        {"CLONE_NEWNS", CLONE_NEWNS, true},     {"CLONE_NEWCGROUP", CLONE_NEWCGROUP, true},
        {"CLONE_NEWUTS", CLONE_NEWUTS, true},   {"CLONE_NEWIPC", CLONE_NEWIPC, true},
        {"CLONE_NEWUSER", CLONE_NEWUSER, true}, {"CLONE_NEWPID", CLONE_NEWPID, true},
        {"CLONE_NEWNET", CLONE_NEWNET, true},   {"CLONE_NEWTIME", CLONE_NEWTIME, false},
};

/* Terminal injection (escape class 1): the request is an unsigned int in the kernel, so only the
 * low 32 bits are compared; `TIOCSTI | 1 << 32` must not slip through (CVE-2019-10063). */
static const struct {
    const char *name;
    uint32_t request;
} tty_ioctls[] = {
        {"TIOCSTI", TIOCSTI},
        {"TIOCLINUX", TIOCLINUX},
};

/* Value allowlists compiled into the preamble. personality(): the query and the personas that
 * only change uname/ABI reporting (the set Docker's default profile has allowed for years);
 * everything else (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO...) weakens exploit
 * mitigations and has been an exploit ingredient. */
static const uint32_t personality_ok[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
static const char *const personality_ok_names[] = {"PER_LINUX", "PER_LINUX32", "UNAME26",
                                                   "PER_LINUX32|UNAME26", "0xffffffff (query)"};
/* Socket families: what real programs use; AF_VSOCK (WSL2 host escape), AF_PACKET, AF_ALG,
 * the rarely used protocol modules the kernel autoloads on socket() (RDS, TIPC...) are out. */
static const uint32_t family_ok[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
/* Netlink: glibc getaddrinfo/getifaddrs and `ip` use ROUTE, `ss` uses SOCK_DIAG. The others
 * (netfilter, xfrm, generic, audit, uevent...) answer EPROTONOSUPPORT, which libaudit and
 * libudev treat as "not available". */
static const uint32_t netlink_ok[] = {NETLINK_ROUTE, NETLINK_SOCK_DIAG};

/* User-notification families (the names libseccomp resolves; missing ones are skipped, e.g.
 * the legacy open/mkdir/... calls do not exist on arm64). arg >= 0: only when
 * (args[arg] & O_CREAT) is set. */
static const struct {
    unsigned family;
    const char *name;
    int fallback_nr;
    int creat_arg;
} notify_rules[] = {
        {SECCOMP_NOTIFY_EXEC, "execve", -1, -1},      {SECCOMP_NOTIFY_EXEC, "execveat", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "open", -1, 1},       {SECCOMP_NOTIFY_CREATE, "openat", -1, 2},
        {SECCOMP_NOTIFY_CREATE, "openat2", 437, -1},  {SECCOMP_NOTIFY_CREATE, "creat", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "mkdir", -1, -1},     {SECCOMP_NOTIFY_CREATE, "mkdirat", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "mknod", -1, -1},     {SECCOMP_NOTIFY_CREATE, "mknodat", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "rename", -1, -1},    {SECCOMP_NOTIFY_CREATE, "renameat", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "renameat2", -1, -1}, {SECCOMP_NOTIFY_CREATE, "link", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "linkat", -1, -1},    {SECCOMP_NOTIFY_CREATE, "symlink", -1, -1},
        {SECCOMP_NOTIFY_CREATE, "symlinkat", -1, -1},
};

/* ---------------------------------------------------------------------------------------------
 * Compilation
 */

DEFINE_TRIVIAL_CLEANUP_FUNC(void, seccomp_release)
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

/* The native number of a syscall, or -1 when this architecture does not have it. */
static int resolve_nr(const char *name, int fallback_nr) {
    int nr = seccomp_syscall_resolve_name(name);

    if (nr != __NR_SCMP_ERROR && nr >= 0)
        return nr;
    if (nr != __NR_SCMP_ERROR && nr < 0)
        return -1; /* a libseccomp pseudo-number: not a real syscall here */
#if defined(__x86_64__) || defined(__aarch64__)
    return fallback_nr;
#else
    return -1;
#endif
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n_cmp,
                    const struct scmp_arg_cmp *cmp, const char *name, fence_error *err) {
    int r = seccomp_rule_add_exact_array(ctx, action, nr, n_cmp, cmp);

    if (r < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -r, "seccomp: rule for %s", name);
    return 0;
}

static int add_deny_rules(scmp_filter_ctx ctx, const seccomp_plan *plan, fence_error *err) {
    for (size_t i = 0; i < ARRAY_SIZE(deny_rules); i++) {
        const sc_rule *d = &deny_rules[i];
        int nr, r;

        if (d->when == RULE_NO_USERNS && plan->allow_userns)
            continue;
        nr = resolve_nr(d->name, d->fallback_nr);
        if (nr < 0)
            continue;
        r = add_rule(ctx, SCMP_ACT_ERRNO(d->err), nr, 0, NULL, d->name, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* clone's flags are the first argument except on s390, where the stack comes first. */
static unsigned clone_flags_arg(void) {
    uint32_t arch = seccomp_arch_native();

    return arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0;
}

static int add_namespace_rules(scmp_filter_ctx ctx, const seccomp_plan *plan, fence_error *err) {
    int r;

    if (plan->allow_userns)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++) {
        struct scmp_arg_cmp c =
                SCMP_CMP64(0, SCMP_CMP_MASKED_EQ, ns_flags[i].flag, ns_flags[i].flag);

        r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1, &c, "unshare", err);
        if (r < 0)
            return r;
        if (!ns_flags[i].clone_too)
            continue;
        c.arg = clone_flags_arg();
        r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, &c, "clone", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_ioctl_rules(scmp_filter_ctx ctx, fence_error *err) {
    for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls); i++) {
        struct scmp_arg_cmp c =
                SCMP_CMP64(1, SCMP_CMP_MASKED_EQ, 0xffffffffull, tty_ioctls[i].request);
        int r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1, &c, "ioctl", err);

        if (r < 0)
            return r;
    }
    return 0;
}

static int add_notify_rules(scmp_filter_ctx ctx, unsigned families, fence_error *err) {
    for (size_t i = 0; i < ARRAY_SIZE(notify_rules); i++) {
        struct scmp_arg_cmp c;
        int nr, r;

        if (!(families & notify_rules[i].family))
            continue;
        nr = resolve_nr(notify_rules[i].name, notify_rules[i].fallback_nr);
        if (nr < 0)
            continue;
        if (notify_rules[i].creat_arg >= 0) {
            c = SCMP_CMP64((unsigned) notify_rules[i].creat_arg, SCMP_CMP_MASKED_EQ, O_CREAT,
                           O_CREAT);
            r = add_rule(ctx, SCMP_ACT_NOTIFY, nr, 1, &c, notify_rules[i].name, err);
        } else {
            r = add_rule(ctx, SCMP_ACT_NOTIFY, nr, 0, NULL, notify_rules[i].name, err);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

/* Exports ctx's BPF through a memfd (libseccomp 2.5 has no in-memory export). On success
 * *ret_insns (malloc'd) holds *ret_n instructions. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret_insns, size_t *ret_n,
                      fence_error *err) {
    _cleanup_close_ int fd = memfd_create("fence-seccomp", MFD_CLOEXEC);
    _cleanup_free_ struct sock_filter *insns = NULL;
    struct stat st;
    ssize_t n;
    int r;

    if (fd < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "seccomp: memfd_create");
    r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -r, "seccomp: export filter");
    if (fstat(fd, &st) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "seccomp: stat exported filter");
    if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
        (size_t) st.st_size > SECCOMP_MAX_INSNS * sizeof(struct sock_filter))
        return fence_error_set(err, FENCE_E_SANDBOX, 0,
                               "seccomp: exported filter has an unexpected size (%lld bytes)",
                               (long long) st.st_size);
    insns = malloc((size_t) st.st_size);
    if (!insns)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "seccomp: allocating filter");
    n = pread(fd, insns, (size_t) st.st_size, 0);
    if (n != st.st_size)
        return fence_error_set(err, FENCE_E_SANDBOX, n < 0 ? errno : EIO,
                               "seccomp: reading exported filter");
    *ret_insns = TAKE_PTR(insns);
    *ret_n = (size_t) st.st_size / sizeof(struct sock_filter);
    return 0;
}

/* --- the hand-written preamble ---------------------------------------------------------------
 * A tiny assembler with forward labels: every conditional jump names its targets by label and
 * the offsets are patched once all labels are placed. */

enum {
    L_NEXT = -1, /* the following instruction */
    L_END = 0,   /* first instruction of the libseccomp program */
    L_PERSONALITY,
    L_SOCKET,
    L_SOCKETPAIR,
    L_NETLINK,
    L_INET,
    L_MAX
};

#define PREAMBLE_MAX 64

typedef struct bpf_asm {
    struct sock_filter insn[PREAMBLE_MAX];
    int jt[PREAMBLE_MAX], jf[PREAMBLE_MAX]; /* label ids, L_NEXT for "no jump" */
    int label_at[L_MAX];
    size_t n;
    bool overflow;
} bpf_asm;

static void asm_emit(bpf_asm *a, uint16_t code, uint32_t k, int jt, int jf) {
    if (a->n >= PREAMBLE_MAX) {
        a->overflow = true;
        return;
    }
    a->insn[a->n] = (struct sock_filter){.code = code, .jt = 0, .jf = 0, .k = k};
    a->jt[a->n] = jt;
    a->jf[a->n] = jf;
    a->n++;
}

static void asm_label(bpf_asm *a, int label) {
    a->label_at[label] = (int) a->n;
}

static void asm_load_arg_low(bpf_asm *a, unsigned arg) {
    uint32_t off = (uint32_t) offsetof(struct seccomp_data, args[0]) + 8 * arg;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    off += 4;
#endif
    asm_emit(a, BPF_LD | BPF_W | BPF_ABS, off, L_NEXT, L_NEXT);
}

static void asm_ret_errno(bpf_asm *a, int e) {
    asm_emit(a, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((uint32_t) e & SECCOMP_RET_DATA), L_NEXT,
             L_NEXT);
}

/* Jumps to L_END when the accumulator is one of values[], else falls through. */
static void asm_allow_values(bpf_asm *a, const uint32_t *values, size_t n) {
    for (size_t i = 0; i < n; i++)
        asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, values[i], L_END, L_NEXT);
}

static int asm_resolve(bpf_asm *a) {
    if (a->overflow)
        return -E2BIG;
    for (size_t i = 0; i < a->n; i++) {
        int labels[2] = {a->jt[i], a->jf[i]};
        uint8_t *fields[2] = {&a->insn[i].jt, &a->insn[i].jf};

        if (a->insn[i].code == (BPF_JMP | BPF_JA) && a->jt[i] != L_NEXT) {
            a->insn[i].k = (uint32_t) (a->label_at[a->jt[i]] - (int) i - 1);
            continue;
        }
        for (int j = 0; j < 2; j++) {
            int off;

            if (labels[j] == L_NEXT)
                continue;
            off = a->label_at[labels[j]] - (int) i - 1;
            if (off < 0 || off > 255)
                return -ERANGE;
            *fields[j] = (uint8_t) off;
        }
    }
    return 0;
}

static int build_preamble(bpf_asm *a) {
    uint32_t arch = seccomp_arch_native();
    int nr_personality = resolve_nr("personality", -1);
    int nr_socket = resolve_nr("socket", -1);
    int nr_socketpair = resolve_nr("socketpair", -1);

    memset(a, 0, sizeof(*a));
    for (int l = 0; l < L_MAX; l++)
        a->label_at[l] = -1;
    /* Foreign architectures are left to libseccomp's check (kill). x32 calls carry the native
     * AUDIT_ARCH with bit 30 set in nr, so they match none of the numbers below. */
    asm_emit(a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), L_NEXT, L_NEXT);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, arch, L_NEXT, L_END);
    asm_emit(a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), L_NEXT, L_NEXT);
    if (nr_personality >= 0)
        asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr_personality, L_PERSONALITY, L_NEXT);
    if (nr_socket >= 0)
        asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr_socket, L_SOCKET, L_NEXT);
    if (nr_socketpair >= 0)
        asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr_socketpair, L_SOCKETPAIR, L_NEXT);
    asm_emit(a, BPF_JMP | BPF_JA, 0, L_END, L_NEXT);

    /* personality(unsigned int): the kernel only sees the low 32 bits, so do we. */
    asm_label(a, L_PERSONALITY);
    asm_load_arg_low(a, 0);
    asm_allow_values(a, personality_ok, ARRAY_SIZE(personality_ok));
    asm_ret_errno(a, EPERM);

    /* socket(int family, int type, int protocol) */
    asm_label(a, L_SOCKET);
    asm_load_arg_low(a, 0);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, L_NETLINK, L_NEXT);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, AF_INET, L_INET, L_NEXT);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, L_INET, L_NEXT);
    asm_allow_values(a, family_ok, ARRAY_SIZE(family_ok));
    asm_ret_errno(a, EAFNOSUPPORT);
    asm_label(a, L_NETLINK);
    asm_load_arg_low(a, 2);
    asm_allow_values(a, netlink_ok, ARRAY_SIZE(netlink_ok));
    asm_ret_errno(a, EPROTONOSUPPORT);
    /* MPTCP subflows are not TCP sockets to Landlock's port rules on every kernel; programs
     * that try it (Go, curl --mptcp) fall back to TCP on EPROTONOSUPPORT. */
    asm_label(a, L_INET);
    asm_load_arg_low(a, 2);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_MPTCP, L_NEXT, L_END);
    asm_ret_errno(a, EPROTONOSUPPORT);

    /* socketpair(int family, ...): same family list */
    asm_label(a, L_SOCKETPAIR);
    asm_load_arg_low(a, 0);
    asm_allow_values(a, family_ok, ARRAY_SIZE(family_ok));
    asm_ret_errno(a, EAFNOSUPPORT);

    asm_label(a, L_END);
    for (int l = 0; l < L_MAX; l++)
        if (a->label_at[l] < 0)
            a->label_at[l] = (int) a->n; /* unused label (syscall missing here): harmless */
    return asm_resolve(a);
}

static int build_ctx(const seccomp_plan *plan, scmp_filter_ctx *ret, fence_error *err) {
    _cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int r;

    if (!ctx)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "seccomp: init");
    /* Native ABI only: i386 via int 0x80 and x32 numbers kill the whole process. */
    r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (r < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -r, "seccomp: bad-arch action");
    /* A binary tree over syscall numbers: every syscall of the workload runs this filter. */
    r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (r < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -r, "seccomp: optimize attribute");
    r = add_deny_rules(ctx, plan, err);
    if (r >= 0)
        r = add_namespace_rules(ctx, plan, err);
    if (r >= 0)
        r = add_ioctl_rules(ctx, err);
    if (r >= 0 && plan->notify)
        r = add_notify_rules(ctx, plan->notify, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(ctx);
    return 0;
}

int seccomp_build(const seccomp_plan *plan, seccomp_prog **ret, fence_error *err) {
    _cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
    _cleanup_free_ struct sock_filter *body = NULL;
    _cleanup_free_ bpf_asm *pre = NULL;
    seccomp_prog *prog;
    size_t n_body = 0;
    int r;

    if (!plan || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "seccomp_build: NULL argument");
    r = build_ctx(plan, &ctx, err);
    if (r < 0)
        return r;
    r = export_bpf(ctx, &body, &n_body, err);
    if (r < 0)
        return r;
    pre = malloc(sizeof(*pre));
    if (!pre)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "seccomp: allocating preamble");
    r = build_preamble(pre);
    if (r < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -r, "seccomp: assembling preamble");
    if (pre->n + n_body > SECCOMP_MAX_INSNS)
        return fence_error_set(err, FENCE_E_SANDBOX, E2BIG,
                               "seccomp: filter too long (%zu instructions)", pre->n + n_body);
    prog = malloc(sizeof(*prog) + (pre->n + n_body) * sizeof(struct sock_filter));
    if (!prog)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "seccomp: allocating filter");
    memcpy(prog->insns, pre->insn, pre->n * sizeof(struct sock_filter));
    memcpy(prog->insns + pre->n, body, n_body * sizeof(struct sock_filter));
    prog->len = pre->n + n_body;
    prog->flags = 0;
    if (plan->notify)
        /* WAIT_KILLABLE_RECV (5.19): once the supervisor has received a notification, a
         * non-fatal signal no longer interrupts the syscall, so Go programs (preemption
         * signals) do not restart it endlessly. Dropped at load time on older kernels. */
        prog->flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    *ret = prog;
    return 0;
}

void seccomp_prog_free(seccomp_prog *prog) {
    free(prog);
}

size_t seccomp_prog_len(const seccomp_prog *prog) {
    return prog ? prog->len : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Load (child side)
 */

int seccomp_apply(const seccomp_prog *prog, int *ret_listener_fd, fence_error *err) {
    struct sock_fprog fprog;
    unsigned long flags;
    long r;

    if (!prog)
        return fence_error_set(err, FENCE_E_INVAL, 0, "seccomp_apply: no filter");
    if ((prog->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && !ret_listener_fd)
        return fence_error_set(err, FENCE_E_INVAL, 0, "seccomp_apply: listener fd not wanted");
    fprog = (struct sock_fprog){.len = (unsigned short) prog->len,
                                .filter = (struct sock_filter *) prog->insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "seccomp: set no_new_privs");
    flags = prog->flags;
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    if (r < 0 && errno == EINVAL && (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) {
        /* COMPAT(linux < 5.19): no WAIT_KILLABLE_RECV */
        flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    }
    if (r < 0) {
        int e = errno;

        if (e == ENOSYS || (e == EINVAL && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)))
            return fence_error_set(err, FENCE_E_UNSUPPORTED, e,
                                   "seccomp: filters not available on this kernel");
        if (e == EINVAL)
            return fence_error_set(err, FENCE_E_UNSUPPORTED, e,
                                   "seccomp: user-notification listener not available");
        return fence_error_set(err, FENCE_E_SANDBOX, e, "seccomp: load filter");
    }
    if (ret_listener_fd)
        *ret_listener_fd = (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int) r : -1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Dump
 */

static int dump_deny_rules(const seccomp_plan *plan, fbuf *out) {
    const char *group = NULL;
    int last_err = 0;
    int r = 0;

    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(deny_rules); i++) {
        const sc_rule *d = &deny_rules[i];

        if ((d->when == RULE_NO_USERNS && plan->allow_userns) ||
            resolve_nr(d->name, d->fallback_nr) < 0)
            continue;
        if (!group || !streq(group, d->why) || last_err != d->err) {
            r = fbuf_printf(out, "%s  %-6s %s:", group ? "\n" : "",
                            d->err == ENOSYS ? "ENOSYS" : "EPERM", d->why);
            group = d->why;
            last_err = d->err;
        }
        if (r >= 0)
            r = fbuf_printf(out, " %s", d->name);
    }
    return r < 0 ? r : fbuf_putc(out, '\n');
}

static int dump_value_rules(const seccomp_plan *plan, fbuf *out) {
    int r;

    if (!plan->allow_userns) {
        r = fbuf_puts(out, "  EPERM  unshare with any of");
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(ns_flags); i++)
            r = fbuf_printf(out, " %s", ns_flags[i].name);
        if (r >= 0)
            r = fbuf_puts(out, "; clone with the same flags but CLONE_NEWTIME\n");
        if (r < 0)
            return r;
    }
    r = fbuf_puts(out, "  EPERM  ioctl");
    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(tty_ioctls); i++)
        r = fbuf_printf(out, " %s", tty_ioctls[i].name);
    if (r >= 0)
        r = fbuf_puts(out, " (low 32 bits of the request compared)\n"
                           "  EPERM  personality except");
    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(personality_ok_names); i++)
        r = fbuf_printf(out, "%s %s", i ? "," : "", personality_ok_names[i]);
    if (r >= 0)
        r = fbuf_puts(out,
                      "\n  EAFNOSUPPORT     socket/socketpair families except unix, inet, inet6, "
                      "netlink\n"
                      "  EPROTONOSUPPORT  netlink protocols except route, sock_diag; "
                      "IPPROTO_MPTCP\n");
    return r;
}

static int dump_notify_rules(const seccomp_plan *plan, fbuf *out) {
    int r = fbuf_puts(out, "  NOTIFY (user-notification listener):");

    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(notify_rules); i++) {
        if (!(plan->notify & notify_rules[i].family) ||
            resolve_nr(notify_rules[i].name, notify_rules[i].fallback_nr) < 0)
            continue;
        r = fbuf_printf(out, " %s%s", notify_rules[i].name,
                        notify_rules[i].creat_arg >= 0 ? "(O_CREAT)" : "");
    }
    return r < 0 ? r : fbuf_putc(out, '\n');
}

static const char *native_arch_name(void) {
    switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
        return "x86_64";
    case SCMP_ARCH_AARCH64:
        return "aarch64";
    case SCMP_ARCH_RISCV64:
        return "riscv64";
    case SCMP_ARCH_PPC64LE:
        return "ppc64le";
    case SCMP_ARCH_S390X:
        return "s390x";
    default:
        return NULL;
    }
}

int seccomp_dump(const seccomp_plan *plan, const seccomp_prog *prog, fbuf *out) {
    const char *arch = native_arch_name();
    int r;

    r = fbuf_printf(out,
                    "seccomp: default allow; native %s only, other ABIs (i386, x32) kill "
                    "the process",
                    arch ? arch : "architecture");
    if (r >= 0 && prog)
        r = fbuf_printf(out, "; %zu BPF instructions", prog->len);
    if (r >= 0)
        r = fbuf_putc(out, '\n');
    if (r >= 0)
        r = dump_deny_rules(plan, out);
    if (r >= 0)
        r = dump_value_rules(plan, out);
    if (r >= 0 && plan->allow_userns)
        r = fbuf_puts(out, "  note: user namespaces, setns, clone3 and chroot allowed "
                           "(nested sandboxes)\n");
    if (r >= 0 && plan->notify)
        r = dump_notify_rules(plan, out);
    return r;
}
