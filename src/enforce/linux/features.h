/* SPDX-License-Identifier: MIT */
/*
 * features: what this host's kernel lets fence use, probed cheaply and without spawning
 * programs (no re-exec of fence, unlike the Go tool's §10.1 probes).
 *
 * features_probe() reads sysctls and asks the kernel directly (uname, landlock_create_ruleset
 * with the VERSION flag, SECCOMP_GET_ACTION_AVAIL, capget, one access()). With
 * FEATURES_PROBE_NAMESPACES it also clones a throwaway child into a new user + network
 * namespace that brings `lo` up, which is the only reliable test under Ubuntu's AppArmor
 * restriction (there the clone succeeds but capabilities inside are refused). The engine
 * decides what is fatal; fence_linux_features() renders the §3.8-style table.
 */
#pragma once

#include <stdbool.h>

#include "fence/fence.h"

typedef enum features_state {
    FEATURES_UNKNOWN = 0, /* not probed (namespaces without FEATURES_PROBE_NAMESPACES) */
    FEATURES_YES,
    FEATURES_NO,
} features_state;

enum {
    /* also run the real namespace probe (a throwaway child; ~1 ms) */
    FEATURES_PROBE_NAMESPACES = 1u << 0,
};

typedef struct linux_features {
    unsigned kernel_major, kernel_minor;
    char machine[65]; /* uname -m, e.g. "x86_64" */

    /* User namespaces for the calling (e)uid. From the sysctls: NO when one of them forbids
     * them, else UNKNOWN until the real probe runs (YES/NO). userns_detail names the blocking
     * sysctl and the fix, or what was probed. */
    features_state userns;
    char userns_detail[320];
    /* A network namespace with a usable loopback (real probe only). */
    features_state netns;
    char netns_detail[120];

    int landlock_abi;   /* > 0: ABI version; 0: unavailable */
    int landlock_errno; /* why unavailable (ENOSYS not built in, EOPNOTSUPP disabled at boot) */

    bool seccomp;        /* seccomp filters (SECCOMP_SET_MODE_FILTER) */
    bool seccomp_log;    /* SECCOMP_RET_LOG */
    bool seccomp_notify; /* SECCOMP_RET_USER_NOTIF (user-notification listener) */
    int seccomp_errno;   /* why seccomp() is unavailable */

    bool ebpf;      /* euid 0 or CAP_BPF effective */
    bool ebpf_root; /* true when because of euid 0 */

    bool wsl; /* WSLInterop registered in binfmt_misc */
} linux_features;

/* Fills *ret. Never fails: what cannot be read is reported as unavailable/unknown with a reason.
 * No allocation. The namespace probe forks a child that only makes raw syscalls and _exit()s,
 * so it is safe in a multi-threaded caller. */
void features_probe(unsigned flags, linux_features *ret);

/* The sysctl part of the user-namespace decision, separated from the reads for testing.
 * A value of -1 means "sysctl not present". */
typedef struct features_userns_facts {
    long max_user_namespaces;                   /* user.max_user_namespaces */
    long unprivileged_userns_clone;             /* kernel.unprivileged_userns_clone (Debian) */
    long apparmor_restrict_unprivileged_userns; /* kernel.apparmor_... (Ubuntu 23.10+) */
    bool privileged;        /* euid 0 or CAP_SYS_ADMIN: the last two do not apply */
    bool apparmor_confined; /* running under an AppArmor profile (which may allow userns) */
} features_userns_facts;

/* Sets f->userns (NO or UNKNOWN) and f->userns_detail from the facts. Pure. */
void features_userns_decide(const features_userns_facts *in, linux_features *f);

/* One-line problem statement for a refusal when user namespaces are unusable, naming the
 * sysctl and the fix (e.g. "unprivileged user namespaces are restricted by AppArmor
 * (kernel.apparmor_restrict_unprivileged_userns=1); ..."). Static or f-owned storage; NULL
 * when f->userns is not FEATURES_NO. */
const char *features_userns_problem(const linux_features *f);

/* Renders the `fence --linux-features` table for f (heading, blank line, padded columns with
 * dashes under the headers, 2-space indent). *ret is malloc'd (fence_free). Returns 0 or
 * -FENCE_E_NOMEM. fence_linux_features() is this over a full probe. */
int features_table(const linux_features *f, char **ret, fence_error *err);
