/* SPDX-License-Identifier: MIT */
/*
 * The seccomp rule tables: the single source of what the filter refuses. The build-time
 * compiler (seccomp-compile.c, run by seccomp-gen) turns them into BPF; the runtime dump
 * (seccomp.c) prints them. Data only: no libseccomp here.
 */
#include "seccomp-rules.h"

#include <errno.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "seccomp.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* Unconditional refusals. The first group is the Go tool's list (§10.3) minus personality,
 * which has its own value rule below. */
const seccomp_deny_rule seccomp_deny_rules[] = {
        {"ptrace", -1, EPERM, SECCOMP_RULE_ALWAYS, "process inspection"},
        {"process_vm_readv", -1, EPERM, SECCOMP_RULE_ALWAYS, "process inspection"},
        {"process_vm_writev", -1, EPERM, SECCOMP_RULE_ALWAYS, "process inspection"},
        {"pidfd_getfd", 438, EPERM, SECCOMP_RULE_ALWAYS, "process inspection"},
        /* opening by file handle walks around mount masks (the "shocker" escape; since 6.10
         * no longer only for CAP_DAC_READ_SEARCH); name_to_handle_at stays allowed */
        {"open_by_handle_at", -1, EPERM, SECCOMP_RULE_ALWAYS, "file handles"},
        {"keyctl", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel keyring"},
        {"add_key", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel keyring"},
        {"request_key", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel keyring"},
        {"userfaultfd", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel attack surface"},
        {"perf_event_open", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel attack surface"},
        {"bpf", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel attack surface"},
        {"kexec_load", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"kexec_file_load", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"reboot", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"syslog", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"acct", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"swapon", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"swapoff", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"sethostname", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"setdomainname", -1, EPERM, SECCOMP_RULE_ALWAYS, "system administration"},
        {"init_module", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel modules and I/O ports"},
        {"finit_module", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel modules and I/O ports"},
        {"delete_module", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel modules and I/O ports"},
        {"ioperm", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel modules and I/O ports"},
        {"iopl", -1, EPERM, SECCOMP_RULE_ALWAYS, "kernel modules and I/O ports"},
        {"mount", -1, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"umount2", -1, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"pivot_root", -1, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"open_tree", 428, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"move_mount", 429, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"fsopen", 430, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"fsconfig", 431, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"fsmount", 432, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"fspick", 433, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"mount_setattr", 442, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"open_tree_attr", 467, EPERM, SECCOMP_RULE_ALWAYS, "mounts"},
        {"chroot", -1, EPERM, SECCOMP_RULE_NO_USERNS, "namespaces"},
        {"setns", -1, EPERM, SECCOMP_RULE_NO_USERNS, "namespaces"},
        /* ENOSYS so that libc falls back to clone(), whose flags the filter can read */
        {"clone3", 435, ENOSYS, SECCOMP_RULE_NO_USERNS, "namespaces"},
        /* ENOSYS: "not built into this kernel", the answer io_uring users already handle;
         * IORING_OP_SOCKET etc. would bypass the socket rules */
        {"io_uring_setup", 425, ENOSYS, SECCOMP_RULE_ALWAYS, "io_uring"},
        {"io_uring_enter", 426, ENOSYS, SECCOMP_RULE_ALWAYS, "io_uring"},
        {"io_uring_register", 427, ENOSYS, SECCOMP_RULE_ALWAYS, "io_uring"},
        /* Only on architectures that multiplex sockets through one call (s390x, ppc64...): it would
         * carry socket() past the family rules of the preamble. libc there uses the direct calls.
         */
        {"socketcall", -1, ENOSYS, SECCOMP_RULE_ALWAYS, "sockets"},
};

/* Namespace flags refused in unshare() and clone(). CLONE_NEWTIME (0x80) overlaps the exit
 * signal byte of clone() and is only accepted by unshare/clone3, so clone() does not test it. */
const seccomp_ns_flag seccomp_ns_flags[] = {
        {"CLONE_NEWNS", CLONE_NEWNS, true},     {"CLONE_NEWCGROUP", CLONE_NEWCGROUP, true},
        {"CLONE_NEWUTS", CLONE_NEWUTS, true},   {"CLONE_NEWIPC", CLONE_NEWIPC, true},
        {"CLONE_NEWUSER", CLONE_NEWUSER, true}, {"CLONE_NEWPID", CLONE_NEWPID, true},
        {"CLONE_NEWNET", CLONE_NEWNET, true},   {"CLONE_NEWTIME", CLONE_NEWTIME, false},
};

/* Terminal injection (escape class 1): the request is an unsigned int in the kernel, so only the
 * low 32 bits are compared; `TIOCSTI | 1 << 32` must not slip through (CVE-2019-10063). */
const seccomp_tty_ioctl seccomp_tty_ioctls[] = {
        {"TIOCSTI", TIOCSTI},
        {"TIOCLINUX", TIOCLINUX},
};

/* Value allowlists compiled into the preamble. personality(): the query and the personas that
 * only change uname/ABI reporting (the set Docker's default profile has allowed for years);
 * everything else (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO...) weakens exploit
 * mitigations and has been an exploit ingredient. */
const uint32_t seccomp_personality_ok[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
const char *const seccomp_personality_ok_names[] = {"PER_LINUX", "PER_LINUX32", "UNAME26",
                                                    "PER_LINUX32|UNAME26", "0xffffffff (query)"};
/* Socket families: what real programs use; AF_VSOCK (WSL2 host escape), AF_PACKET, AF_ALG,
 * the rarely used protocol modules the kernel autoloads on socket() (RDS, TIPC...) are out. */
const uint32_t seccomp_family_ok[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
/* Netlink: glibc getaddrinfo/getifaddrs and `ip` use ROUTE, `ss` uses SOCK_DIAG. The others
 * (netfilter, xfrm, generic, audit, uevent...) answer EPROTONOSUPPORT, which libaudit and
 * libudev treat as "not available". */
const uint32_t seccomp_netlink_ok[] = {NETLINK_ROUTE, NETLINK_SOCK_DIAG};

/* User-notification families (the names libseccomp resolves; missing ones are skipped, e.g.
 * the legacy open/mkdir/... calls do not exist on arm64). arg >= 0: only when
 * (args[arg] & O_CREAT) is set. */
const seccomp_notify_rule seccomp_notify_rules[] = {
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

const size_t seccomp_n_deny_rules = ARRAY_SIZE(seccomp_deny_rules);
const size_t seccomp_n_ns_flags = ARRAY_SIZE(seccomp_ns_flags);
const size_t seccomp_n_tty_ioctls = ARRAY_SIZE(seccomp_tty_ioctls);
const size_t seccomp_n_personality_ok = ARRAY_SIZE(seccomp_personality_ok);
const size_t seccomp_n_family_ok = ARRAY_SIZE(seccomp_family_ok);
const size_t seccomp_n_netlink_ok = ARRAY_SIZE(seccomp_netlink_ok);
const size_t seccomp_n_notify_rules = ARRAY_SIZE(seccomp_notify_rules);
