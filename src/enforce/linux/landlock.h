/* SPDX-License-Identifier: MIT */
/*
 * Landlock: the filesystem tiers of spec §10.4, TCP port rules and scopes, applied to the
 * workload as the last step before seccomp and execve.
 *
 * The engine fills a landlock_plan with plain data (expanded absolute paths with a tier, TCP
 * ports, scopes) in the supervisor; landlock_plan_dump() renders it for `fence -d`; the workload
 * child calls landlock_apply() after pivot_root, so the paths are resolved in the sandbox's own
 * view of the filesystem. Handled rights are computed for the running kernel's ABI (best effort
 * down to ABI 1): rights the kernel lacks are dropped, and file (non-directory) rules lose the
 * directory-only rights, which the kernel would refuse with EINVAL.
 *
 * Whether a kernel without Landlock is fatal is the caller's decision: landlock_apply() reports
 * it as -FENCE_E_UNSUPPORTED and does nothing else.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fence/fence.h"
#include "util/fbuf.h"

/* Access tiers (spec §10.4). A path given several tiers gets the union of their rights. */
typedef enum landlock_tier {
    LANDLOCK_TIER_READ = 0, /* READ_FILE | READ_DIR | EXECUTE */
    LANDLOCK_TIER_EXECUTE,  /* READ_FILE | EXECUTE */
    LANDLOCK_TIER_WRITE,    /* read + every write right, REFER and TRUNCATE (not IOCTL_DEV) */
    LANDLOCK_TIER_DEVICE,   /* every handled right, including IOCTL_DEV */
    LANDLOCK_TIER_MAX
} landlock_tier;

/* Scopes (ABI >= 6), requested with landlock_plan.scopes; ignored on older kernels. */
enum {
    LANDLOCK_PLAN_SCOPE_ABSTRACT_UNIX = 1u << 0, /* no connect to abstract sockets made outside */
    LANDLOCK_PLAN_SCOPE_SIGNAL = 1u << 1,        /* no signals to processes outside the domain */
};

typedef struct landlock_path_rule {
    char *path;     /* absolute, as seen inside the sandbox (after pivot_root); owned */
    unsigned tiers; /* bit set of (1u << landlock_tier) */
    bool missing;   /* set by landlock_plan_check_paths(): not on the host, will be skipped */
} landlock_path_rule;

typedef struct landlock_plan {
    landlock_path_rule *paths; /* in insertion order; one entry per distinct path */
    size_t n_paths;
    /* TCP: when handle_net is true (and the kernel has ABI >= 4), bind and connect are refused
     * except to the listed ports. False leaves TCP unrestricted (relaxed mode). On ABI < 4 the
     * port rules are silently not enforced (the dump says so): a caller that relies on them as
     * its egress control must check landlock_abi() >= 4 first and refuse otherwise. */
    bool handle_net;
    uint16_t *bind_ports;
    size_t n_bind_ports;
    uint16_t *connect_ports;
    size_t n_connect_ports;
    unsigned scopes; /* LANDLOCK_PLAN_SCOPE_* */
    /* ABI >= 7: let the kernel audit-log denials of the exec'd program
     * (LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON). Off by default: no host audit noise. */
    bool audit_log;
    /* The files behind fds 0-2 at apply time (a regular file or a terminal the command was
     * handed, usually outside the sandbox's view) may be reopened with the access their fd
     * has: `echo x > /dev/stderr` reopens fd 2's file, which no path rule covers. The fd
     * already grants that access (even truncation: ftruncate), so the rule adds nothing. */
    bool std_fds;
} landlock_plan;

#define LANDLOCK_PLAN_INIT ((landlock_plan){0})

/* Limits: a plan is built from a config, so its size is bounded explicitly. */
#define LANDLOCK_PLAN_MAX_PATHS 4096
#define LANDLOCK_PLAN_MAX_PORTS 1024

/* Adds (path, tier). path must be absolute; it is copied. A path already in the plan gets the
 * tier added to its set. Returns 0, -EINVAL (relative path, bad tier), -E2BIG (limit), -ENOMEM. */
int landlock_plan_add_path(landlock_plan *p, const char *path, landlock_tier tier);
/* Adds a TCP port allowed for bind (bind=true) or connect. Duplicates are ignored.
 * Returns 0, -E2BIG or -ENOMEM. Ports only take effect when p->handle_net is set. */
int landlock_plan_add_port(landlock_plan *p, bool bind, uint16_t port);
/* Supervisor side, for -d: marks the paths that do not exist on the host (the sandbox's view
 * is the host's for everything but the paths the mount plan replaces), so the dump can say
 * which rules the child will skip. One stat() per path; returns how many are missing. */
size_t landlock_plan_check_paths(landlock_plan *p);
/* Frees the contents; the plan is empty (LANDLOCK_PLAN_INIT) afterwards. */
void landlock_plan_done(landlock_plan *p);

/* The Landlock ABI of the running kernel: > 0, or -errno (-ENOSYS: not built in,
 * -EOPNOTSUPP: disabled at boot). One syscall, no side effects. */
int landlock_abi(void);

/* Access rights (LANDLOCK_ACCESS_FS_*) of a tier set, limited to what the given ABI handles;
 * is_dir=false drops the rights that only make sense on directories. Pure. */
uint64_t landlock_tier_rights(unsigned tiers, int abi, bool is_dir);

/* Called by landlock_apply() for each path rule it skips: err is the positive errno of the
 * open (ENOENT, ENOTDIR, EACCES, ELOOP). The callback must be async-signal-safe in spirit: it
 * runs in the forked child right before exec (no locks held by other threads). */
typedef void (*landlock_skip_fn)(void *userdata, size_t path_index, int err);

/* Builds the ruleset for the running kernel and restricts the calling thread: opens each path
 * O_PATH|O_CLOEXEC (missing ones are skipped and reported through on_skip, which may be NULL),
 * adds the rules, sets NO_NEW_PRIVS and calls landlock_restrict_self(). Child only: does not
 * allocate, leaves no fd behind. Returns 0; -FENCE_E_UNSUPPORTED when the kernel has no
 * Landlock; -FENCE_E_SANDBOX with "landlock: ..." naming the failing path or step otherwise. */
int landlock_apply(const landlock_plan *p, landlock_skip_fn on_skip, void *userdata,
                   fence_error *err);

/* Renders the plan for `fence -d` as it would apply with the given ABI (abi <= 0: "Landlock
 * unavailable"). Pure. Appends to out; returns 0 or the fbuf error. */
int landlock_plan_dump(const landlock_plan *p, int abi, fbuf *out);
