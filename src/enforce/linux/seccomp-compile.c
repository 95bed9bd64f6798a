/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter compiler: turns the rule tables of seccomp-rules.c into a BPF program with
 * libseccomp. It runs at build time (seccomp-gen writes the programs of every plan variant into
 * seccomp-tables.c, so that a launch neither loads libseccomp nor pays its ~0.5 ms first-call
 * setup) and in the unit test, which checks that the shipped programs are current.
 *
 * libseccomp builds the architecture check (foreign ABI -> kill process, which on x86-64 also
 * covers x32 numbers) and the syscall/argument rules. Two kinds of rule cannot be written with
 * it: an argument can be compared at most once per rule and rules cannot be negated, so "only
 * these values are allowed" (personality personas, socket families, netlink protocols) is
 * compiled by hand into a short preamble placed in front of libseccomp's program. The
 * preamble only ever returns an errno or falls through to the first libseccomp instruction;
 * BPF jumps are relative and forward, so prepending leaves libseccomp's program intact.
 */
#include "seccomp-compile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp-rules.h"
#include "util/cleanup.h"
#include "util/error.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* BPF_MAXINSNS: the kernel refuses longer classic BPF programs. */
#define SECCOMP_MAX_INSNS 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(void, seccomp_release)
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

/* The native number of a syscall, or -1 when this architecture does not have it. */
int seccomp_resolve_nr(const char *name, int fallback_nr) {
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
    for (size_t i = 0; i < seccomp_n_deny_rules; i++) {
        const seccomp_deny_rule *d = &seccomp_deny_rules[i];
        int nr, r;

        if (d->when == SECCOMP_RULE_NO_USERNS && plan->allow_userns)
            continue;
        nr = seccomp_resolve_nr(d->name, d->fallback_nr);
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
    for (size_t i = 0; i < seccomp_n_ns_flags; i++) {
        struct scmp_arg_cmp c = SCMP_CMP64(0, SCMP_CMP_MASKED_EQ, seccomp_ns_flags[i].flag,
                                           seccomp_ns_flags[i].flag);

        r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1, &c, "unshare", err);
        if (r < 0)
            return r;
        if (!seccomp_ns_flags[i].clone_too)
            continue;
        c.arg = clone_flags_arg();
        r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, &c, "clone", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_ioctl_rules(scmp_filter_ctx ctx, fence_error *err) {
    for (size_t i = 0; i < seccomp_n_tty_ioctls; i++) {
        struct scmp_arg_cmp c =
                SCMP_CMP64(1, SCMP_CMP_MASKED_EQ, 0xffffffffull, seccomp_tty_ioctls[i].request);
        int r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1, &c, "ioctl", err);

        if (r < 0)
            return r;
    }
    return 0;
}

static int add_notify_rules(scmp_filter_ctx ctx, unsigned families, fence_error *err) {
    for (size_t i = 0; i < seccomp_n_notify_rules; i++) {
        struct scmp_arg_cmp c;
        int nr, r;

        if (!(families & seccomp_notify_rules[i].family))
            continue;
        nr = seccomp_resolve_nr(seccomp_notify_rules[i].name, seccomp_notify_rules[i].fallback_nr);
        if (nr < 0)
            continue;
        if (seccomp_notify_rules[i].creat_arg >= 0) {
            c = SCMP_CMP64((unsigned) seccomp_notify_rules[i].creat_arg, SCMP_CMP_MASKED_EQ,
                           O_CREAT, O_CREAT);
            r = add_rule(ctx, SCMP_ACT_NOTIFY, nr, 1, &c, seccomp_notify_rules[i].name, err);
        } else {
            r = add_rule(ctx, SCMP_ACT_NOTIFY, nr, 0, NULL, seccomp_notify_rules[i].name, err);
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
    int nr_personality = seccomp_resolve_nr("personality", -1);
    int nr_socket = seccomp_resolve_nr("socket", -1);
    int nr_socketpair = seccomp_resolve_nr("socketpair", -1);

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
    asm_allow_values(a, seccomp_personality_ok, seccomp_n_personality_ok);
    asm_ret_errno(a, EPERM);

    /* socket(int family, int type, int protocol) */
    asm_label(a, L_SOCKET);
    asm_load_arg_low(a, 0);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, L_NETLINK, L_NEXT);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, AF_INET, L_INET, L_NEXT);
    asm_emit(a, BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, L_INET, L_NEXT);
    asm_allow_values(a, seccomp_family_ok, seccomp_n_family_ok);
    asm_ret_errno(a, EAFNOSUPPORT);
    asm_label(a, L_NETLINK);
    asm_load_arg_low(a, 2);
    asm_allow_values(a, seccomp_netlink_ok, seccomp_n_netlink_ok);
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
    asm_allow_values(a, seccomp_family_ok, seccomp_n_family_ok);
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

int seccomp_compile(const seccomp_plan *plan, struct sock_filter **ret_insns, size_t *ret_len,
                    fence_error *err) {
    _cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
    _cleanup_free_ struct sock_filter *body = NULL, *all = NULL;
    _cleanup_free_ bpf_asm *pre = NULL;
    size_t n_body = 0;
    int r;

    if (!plan || !ret_insns || !ret_len)
        return fence_error_set(err, FENCE_E_INVAL, 0, "seccomp_compile: NULL argument");
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
    all = malloc((pre->n + n_body) * sizeof(struct sock_filter));
    if (!all)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "seccomp: allocating filter");
    memcpy(all, pre->insn, pre->n * sizeof(struct sock_filter));
    memcpy(all + pre->n, body, n_body * sizeof(struct sock_filter));
    *ret_len = pre->n + n_body;
    *ret_insns = TAKE_PTR(all);
    return 0;
}
