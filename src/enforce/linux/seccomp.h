/* SPDX-License-Identifier: MIT */
/*
 * seccomp: the syscall filter of the workload (spec §10.3 plus DESIGN.md "Deviations").
 *
 * Default allow. Native architecture only: any other ABI (i386 through int 0x80, x32 numbers
 * with __X32_SYSCALL_BIT) kills the process. EPERM for the Go tool's 27 syscalls; personality()
 * only for the query and the harmless personas; io_uring (ENOSYS); namespace creation
 * (unshare/clone with CLONE_NEW*), setns; clone3 (ENOSYS, so libc falls back to clone, whose
 * flags the filter can read); the new mount API; chroot; pidfd_getfd; TIOCSTI/TIOCLINUX
 * compared on the low 32 bits; socket families other than unix/inet/inet6/netlink
 * (EAFNOSUPPORT), netlink protocols other than route and sock_diag and MPTCP
 * (EPROTONOSUPPORT). seccomp_dump() prints the exact list.
 *
 * The filter is compiled with libseccomp at build time (seccomp-gen writes one program per plan
 * variant), so a launch does not load libseccomp: seccomp_build() picks the program in the
 * supervisor and the workload child loads it with one seccomp() call (seccomp_apply), without
 * allocating. Optionally ONE user-notification
 * listener (the kernel allows one per filter stack) receives the syscall families the plan
 * names; its fd is returned to the caller, which must hand it to the supervisor and close it
 * before execve (it is also O_CLOEXEC).
 */
#pragma once

#include <stdbool.h>

#include "fence/fence.h"
#include "util/fbuf.h"

/* Syscall families routed to the user-notification listener (SECCOMP_RET_USER_NOTIF). */
enum {
    /* execve, execveat: argv-mode command policy (§7.6) */
    SECCOMP_NOTIFY_EXEC = 1u << 0,
    /* creat, open/openat with O_CREAT or O_TMPFILE, openat2 (flags are behind a pointer),
     * mkdir(at), mknod(at), rename(at)(2), link(at), symlink(at): the protected-names broker */
    SECCOMP_NOTIFY_CREATE = 1u << 1,
};

typedef struct seccomp_plan {
    unsigned notify; /* SECCOMP_NOTIFY_* families; 0 = no listener */
    /* Opt-in for programs that build their own sandboxes (browsers, rootless containers): do
     * not refuse user-namespace creation and setns. Off by default (escape class 6). */
    bool allow_userns;
} seccomp_plan;

#define SECCOMP_PLAN_INIT ((seccomp_plan){0})

/* A compiled filter: BPF instructions and the seccomp() flags to load them with. */
typedef struct seccomp_prog seccomp_prog;

/* The program for plan (compiled at build time for the native architecture). Supervisor side;
 * *ret is freed with seccomp_prog_free(). Returns 0, -FENCE_E_INVAL (unknown notify family) or
 * -FENCE_E_NOMEM. */
int seccomp_build(const seccomp_plan *plan, seccomp_prog **ret, fence_error *err);
void seccomp_prog_free(seccomp_prog *prog);
/* Number of BPF instructions (for -d and tests). */
size_t seccomp_prog_len(const seccomp_prog *prog);

/* Loads prog on the calling thread (child only; no allocation). Sets NO_NEW_PRIVS first (a
 * no-op when the engine already did). When the plan had notify families, *ret_listener_fd
 * receives the listener (O_CLOEXEC), else -1; ret_listener_fd may be NULL only when the plan
 * had none. Returns 0, -FENCE_E_UNSUPPORTED when the kernel lacks seccomp filters or user
 * notification, -FENCE_E_SANDBOX otherwise. */
int seccomp_apply(const seccomp_prog *prog, int *ret_listener_fd, fence_error *err);

/* Renders the rules for `fence -d`; prog may be NULL (then the instruction count is omitted).
 * Pure. Appends to out; returns 0 or the fbuf error. */
int seccomp_dump(const seccomp_plan *plan, const seccomp_prog *prog, fbuf *out);
