/* SPDX-License-Identifier: MIT */
/*
 * mntplan: the mount plan of a sandbox (spec §9.4 and DESIGN.md "The Linux engine").
 *
 * mntplan_build() is pure: it turns the policy and the host facts (probe.h) into an ordered
 * list of operations; mntplan_dump() renders it for `fence -d` and golden tests;
 * mntplan_apply() runs it in the sandbox's init process, in its new mount namespace, and stops
 * at the first failing operation.
 *
 * Apply resolves every path once, through file descriptors: host sources with openat2()
 * RESOLVE_NO_SYMLINKS, targets in the new root with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, and mounts with open_tree()/move_mount()/fsmount()/mount_setattr() on
 * those fds. The planned paths are canonical (symlinks resolved at plan time), so a symlink met
 * at apply time was planted since: the launch fails with the operation's index and path instead
 * of following it onto the host.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "enforce/linux/probe.h"
#include "fence/fence.h"
#include "util/fbuf.h"
#include "util/strv.h"

typedef enum mntop_kind {
    MNTOP_ROOT_HOST,  /* new root: recursive read-only clone of the host "/" (nosuid, nodev) */
    MNTOP_ROOT_TMPFS, /* new root: empty tmpfs (allowlist view of defaultDenyRead) */
    MNTOP_BIND,       /* host src -> dst, recursive; MNTF_RO / MNTF_DEV */
    MNTOP_TMPFS,      /* fresh tmpfs at dst with mode */
    MNTOP_PROC,       /* fresh procfs at dst (MNTF_HOST_PROC: else the host's, read-only) */
    MNTOP_DEVPTS,     /* new devpts instance at dst */
    MNTOP_SYMLINK,    /* symlink dst -> src (src is the link text) */
    MNTOP_MKDIR,      /* directory dst with mode */
    MNTOP_REBIND_RO,  /* dst (already in the new root) re-bound read-only, recursively */
    MNTOP_MASK_FILE,  /* /dev/null bound read-only over the file dst */
    MNTOP_MASK_DIR,   /* empty read-only tmpfs over the directory dst */
    MNTOP_SEAL_RO,    /* the mount at dst made read-only (not recursive) */
} mntop_kind;

enum {
    MNTF_RO = 1u << 0,        /* read-only */
    MNTF_DEV = 1u << 1,       /* device nodes usable (no nodev) */
    MNTF_CREATE = 1u << 2,    /* create a missing target (inside fence's own tmpfs mounts) */
    MNTF_OPTIONAL = 1u << 3,  /* a missing target is skipped */
    MNTF_FILE = 1u << 4,      /* the source is not a directory (file mountpoint) */
    MNTF_HOST_PROC = 1u << 5, /* PROC: a refused procfs falls back to the host's, read-only */
};

typedef struct mntop {
    mntop_kind kind;
    unsigned flags;
    unsigned mode;   /* TMPFS / MKDIR */
    char *src;       /* host path (BIND), link text (SYMLINK), else NULL */
    char *dst;       /* absolute path inside the sandbox */
    const char *why; /* static: which rule produced it ("allowWrite", "denyRead", ...) */
} mntop;

typedef struct mntplan {
    mntop *ops;
    size_t n, cap;
    bool allowlist;  /* defaultDenyRead / strictDenyRead view */
    bool dev_host;   /* devices.mode resolved to host */
    char *chdir;     /* working directory inside the sandbox */
    strv readable;   /* allowlist mode: the paths bound read-only (for Landlock) */
    strv executable; /* those of them only allowExecute named: Landlock's execute tier */
    strv writable;   /* canonical writable binds, parents first (for Landlock and the broker) */
    strv protect;    /* normalised denyWrite patterns (for the broker) */
    strv git_dirs;   /* canonical ".git" directories found in the writable workspace (broker) */
    strv git_protect; /* canonical git control paths, existing or not (gitscan.h; broker) */
    strv notes;      /* lines for -d: skipped entries, truncated globs */
    strv warnings;   /* one-line warnings shown without -d (a writable entry through a symlink
                      * that may have been planted, skipped) */
} mntplan;

typedef struct mntplan_input {
    const struct fence_config *cfg;
    const host_facts *facts;
    const strv *expose_ro;  /* ExposeHostPath read-only (absolute) */
    const strv *expose_rw;  /* ExposeHostPath writable */
    const strv *exec_masks; /* canonical paths of runtime exec denies (§7.5): /dev/null over each */
    const char *shell;      /* canonical shell binary (made visible in the allowlist view) */
    bool allow_host_proc;   /* where procfs is refused (containers), bind the host's /proc
                             * read-only instead of failing (FENCE_ALLOW_HOST_PROC) */
} mntplan_input;

/* Builds the plan. Pure apart from the host_facts filesystem oracle. *ret is freed with
 * mntplan_free(). Returns 0, -FENCE_E_NOMEM or -FENCE_E_SANDBOX. */
int mntplan_build(const mntplan_input *in, mntplan **ret, fence_error *err);
void mntplan_free(mntplan *p);

/* Appends the plan as text, one operation per line ("  3 bind-rw  /w  (allowWrite)"). */
int mntplan_dump(const mntplan *p, fbuf *out);

/* Masks that arrive while the plan is being applied: the runtime exec denies, which the
 * supervisor resolves while the init sets up (they take about a millisecond of each launch).
 * wait() blocks until they are there and returns them as NUL-terminated canonical paths packed
 * in *ret_buf (len bytes); each one found in the sandbox's view is covered with /dev/null after
 * every planned operation, so nothing planned can hide it; one that is not there (not visible in
 * this view) is skipped. Child only: no allocation (the buffer is the callee's). */
typedef struct mntplan_late {
    int (*wait)(void *userdata, const char **ret_buf, size_t *ret_len);
    void *userdata;
} mntplan_late;

/* Applies the plan in the calling process, which must be alone in a new mount namespace with
 * CAP_SYS_ADMIN over it (the sandbox's init). Ends with pivot_root into the new root and a
 * chdir to p->chdir. Child only: no allocation. Returns 0, or 1 when /proc is the host's (the
 * MNTF_HOST_PROC fallback was taken: the caller says so). On failure returns -FENCE_E_* with
 * "mount op N: <what> '<path>': <strerror>" and leaves the namespace half-built (the caller
 * must exit). */
int mntplan_apply(const mntplan *p, const mntplan_late *late, fence_error *err);

/* The decisions apply takes when an operation fails, apart for tests (the fallback itself
 * needs a host that refuses procfs). mntplan_proc_fallback: does a fresh /proc refused with
 * error (-errno) fall back to the host's, read-only? mntplan_op_error: fills err for
 * operation i of p failing with error and returns -FENCE_E_*. Child-safe: no allocation. */
bool mntplan_proc_fallback(const mntop *op, int error);
int mntplan_op_error(const mntplan *p, size_t i, int error, fence_error *err);
