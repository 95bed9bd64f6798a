/* SPDX-License-Identifier: MIT */
/*
 * degrade: runs a program on a "host" that lacks Landlock and/or seccomp, for the tests of
 * fence's fail-closed refusal and --allow-degraded (test_sandbox_degraded.py).
 *
 *   degrade [no-landlock] [no-seccomp] [no-procfs] -- PROGRAM [ARGS...]
 *
 * It installs a seccomp filter that answers the way such a kernel does, then execs PROGRAM:
 *   no-landlock  landlock_create_ruleset/add_rule/restrict_self -> ENOSYS
 *                (CONFIG_SECURITY_LANDLOCK=n)
 *   no-seccomp   seccomp() -> ENOSYS and prctl(PR_GET_SECCOMP / PR_SET_SECCOMP) -> EINVAL
 *                (CONFIG_SECCOMP=n)
 *   no-procfs    a fresh procfs refused with EPERM, as in containers that mask parts of /proc:
 *                fsmount() with fence's procfs attributes (nosuid, nodev, noexec; no other
 *                mount fence makes has exactly these) -> EPERM
 * Everything else is allowed. The filter is stacked below whatever fence installs, so it also
 * shows inside the sandbox as one filter (Seccomp_filters in /proc/self/status).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "degrade: add this architecture's AUDIT_ARCH"
#endif

static struct sock_filter f[32];
static unsigned short n;

static void put(unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
    f[n++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
}

#define LOAD(field) put(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field), 0, 0)
#define RET(v)      put(BPF_RET | BPF_K, (v), 0, 0)
/* if (A == k) return v; */
#define IF_RET(k, v) (put(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1), RET(v))

static int usage(void) {
    fprintf(stderr, "usage: degrade [no-landlock] [no-seccomp] [no-procfs] -- PROGRAM [ARGS...]\n");
    return 2;
}

int main(int argc, char **argv) {
    struct sock_fprog prog = {.filter = f};
    int no_landlock = 0, no_seccomp = 0, no_procfs = 0, i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "no-landlock") == 0)
            no_landlock = 1;
        else if (strcmp(argv[i], "no-seccomp") == 0)
            no_seccomp = 1;
        else if (strcmp(argv[i], "no-procfs") == 0)
            no_procfs = 1;
        else
            return usage();
    }
    if (i + 1 >= argc)
        return usage();

    LOAD(arch);
    put(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
    RET(SECCOMP_RET_ALLOW);
    LOAD(nr);
    if (no_landlock) {
        IF_RET(__NR_landlock_create_ruleset, SECCOMP_RET_ERRNO | ENOSYS);
        IF_RET(__NR_landlock_add_rule, SECCOMP_RET_ERRNO | ENOSYS);
        IF_RET(__NR_landlock_restrict_self, SECCOMP_RET_ERRNO | ENOSYS);
    }
    if (no_procfs) {
        /* fsmount: anything else is allowed once the attributes are loaded into A */
        put(BPF_JMP | BPF_JEQ | BPF_K, __NR_fsmount, 0, 4);
        LOAD(args[2]);
        IF_RET(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, SECCOMP_RET_ERRNO | EPERM);
        RET(SECCOMP_RET_ALLOW);
    }
    if (no_seccomp) {
        IF_RET(__NR_seccomp, SECCOMP_RET_ERRNO | ENOSYS);
        /* prctl: skip the argument checks (5 instructions) for any other call */
        put(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 5);
        LOAD(args[0]);
        IF_RET(PR_GET_SECCOMP, SECCOMP_RET_ERRNO | EINVAL);
        IF_RET(PR_SET_SECCOMP, SECCOMP_RET_ERRNO | EINVAL);
    }
    RET(SECCOMP_RET_ALLOW);
    prog.len = n;

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
        perror("degrade: installing the filter");
        return 1;
    }
    execvp(argv[i + 1], argv + i + 1);
    perror("degrade: exec");
    return 127;
}
