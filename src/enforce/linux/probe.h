/* SPDX-License-Identifier: MIT */
/*
 * probe: the host facts the sandbox plan is computed from (STYLE.md §7). Scalars (cwd, home,
 * ids, container markers, resolv.conf target) are read once; filesystem questions (does this
 * path exist, what is its canonical form, which paths match this glob) go through a small
 * table of functions so that the plan builder stays pure: probe_host() wires them to the real
 * filesystem, unit tests to an in-memory table.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "fence/fence.h"
#include "util/strv.h"

/* Glob expansion and the dangerous-name walk read at most this many directory entries per
 * call (then stop and report truncation): a `**` pattern in a huge tree must not stall the
 * launch. The plan refuses to start when a scan it relies on for protection was truncated. */
#define PROBE_GLOB_MAX_ENTRIES 200000
#define PROBE_GLOB_MAX_DEPTH   64
/* The unix-socket walks (of /run and a few directories in home) run at every launch: a host
 * with thousands of container runtime directories under /run stops here (noted in -d). */
#define PROBE_SOCKET_MAX_ENTRIES 20000
/* Files the probe reads for the plan (git's config files, ".git" files) are at most this big. */
#define PROBE_READ_MAX (1u << 20)

/* The budgets of probe_hostfs_ops, passed as its data (NULL: the defaults above). Tests set
 * small ones to reach truncation without a huge tree. */
typedef struct probe_limits {
    size_t walk_max_entries;   /* glob and find walks */
    size_t socket_max_entries; /* the sockets walk */
} probe_limits;

typedef struct hostfs_entry {
    bool is_dir;
    bool is_sock; /* a unix socket */
    dev_t dev;
    char *canonical; /* symlinks resolved; malloc'd, the caller frees */
} hostfs_entry;

typedef struct hostfs_ops {
    /* Resolves an absolute path, following symlinks. 0 and *ret filled, or -errno (-ENOENT). */
    int (*resolve)(void *data, const char *path, hostfs_entry *ret);
    /* Appends to *ret the existing paths (not canonicalised) matching an absolute pattern,
     * sorted. Returns the number appended (>= 0) or -errno; *ret_truncated is set when the walk
     * hit PROBE_GLOB_MAX_ENTRIES. */
    int (*glob)(void *data, const char *pattern, strv *ret, bool *ret_truncated);
    /* Appends the paths below root (at most max_depth levels down, not entering symlinks or
     * directories named "node_modules") whose last component is in names (NULL-terminated).
     * The names directly in root are always looked up (lstat), outside the walk's budget, so a
     * truncated walk still reports them. Returns the number appended or -errno. */
    int (*find)(void *data, const char *root, unsigned max_depth, const char *const *names,
                strv *ret, bool *ret_truncated);
    /* Appends the unix sockets below root (a directory; a missing one has none), at most
     * max_depth levels down, staying on root's filesystem (no other mount is entered: a FUSE
     * mount could hang the walk), not entering symlinks, nor prune (a path, may be NULL).
     * Returns the number appended or -errno. */
    int (*sockets)(void *data, const char *root, unsigned max_depth, const char *prune, strv *ret,
                   bool *ret_truncated);
    /* Could a process with uid, gid and the caller's supplementary groups add, remove or
     * replace entries of the directory dir? Judged by owner and mode bits alone (the owner can
     * always chmod; capabilities do not count, so root "can write" what root owns). 1 yes,
     * 0 no, -errno. */
    int (*user_writable)(void *data, const char *dir, uid_t uid, gid_t gid);
    /* Reads a regular file (following symlinks) of at most max bytes into a NUL-terminated
     * malloc'd *ret. 0 or -errno (-ENOENT, -EFBIG). May be NULL: nothing can be read. */
    int (*read)(void *data, const char *path, size_t max, char **ret);
} hostfs_ops;

typedef struct host_facts {
    char *cwd;  /* absolute, canonical */
    char *home; /* $HOME, clean; NULL when unset */
    uid_t uid;
    gid_t gid;
    bool in_container;     /* /.dockerenv, /run/.containerenv, container cgroups (§10.2) */
    bool wsl;              /* WSLInterop in binfmt_misc */
    char *resolv_target;   /* canonical target of /etc/resolv.conf when it is a symlink, or NULL */
    char *tmpdir;          /* $TMPDIR or NULL */
    char *xdg_runtime_dir; /* $XDG_RUNTIME_DIR or NULL */
    char *xdg_config_home; /* $XDG_CONFIG_HOME when absolute (clean), or NULL */
    strv env_sockets;      /* unix sockets the environment names (fspol_env_socket_paths) */
    const hostfs_ops *fs;
    void *fs_data;
} host_facts;

/* Fills *ret from the calling process and the real filesystem. env is the environment the
 * command will get (NULL = environ); cwd is the workspace (NULL = the process's current
 * directory, which is never changed). Returns 0 or -FENCE_E_* with err. */
int probe_host(char **env, const char *cwd, host_facts *ret, fence_error *err);
void host_facts_done(host_facts *f);

/* The real-filesystem implementation of hostfs_ops (data: a const probe_limits *, or NULL). */
extern const hostfs_ops probe_hostfs_ops;

/* Looks NAME up in env (a NULL-terminated "K=V" list). Borrowed pointer to the value or NULL. */
const char *probe_getenv(char **env, const char *name);
