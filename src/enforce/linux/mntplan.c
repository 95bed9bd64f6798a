/* SPDX-License-Identifier: MIT */
/* The mount plan: build (pure), dump, apply (child only); see mntplan.h. */
#include "enforce/linux/mntplan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "enforce/linux/gitscan.h"
#include "policy/fspol.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/path.h"

/* Upper bound on operations: a plan comes from a config and globs, which are bounded, but a
 * `**` pattern in a big tree could still produce many masks. */
#define MNTPLAN_MAX_OPS 20000
/* Nested dangerous names are looked for this deep below the workspace (Go: 3 sub-levels). */
#define DANGEROUS_DEPTH 4

/* ------------------------------------------------------------------------------------------
 * Building
 */

static int add_op(mntplan *p, mntop_kind kind, unsigned flags, unsigned mode, const char *src,
                  const char *dst, const char *why) {
    mntop *op;

    if (p->n >= MNTPLAN_MAX_OPS)
        return -E2BIG;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        mntop *ops = realloc(p->ops, cap * sizeof(*ops));
        if (!ops)
            return -ENOMEM;
        p->ops = ops;
        p->cap = cap;
    }
    op = &p->ops[p->n];
    *op = (mntop){.kind = kind, .flags = flags, .mode = mode, .why = why};
    if ((src && !(op->src = strdup(src))) || (dst && !(op->dst = strdup(dst)))) {
        free(op->src);
        return -ENOMEM;
    }
    p->n++;
    return 0;
}

static int note(mntplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(mntplan *p, const char *fmt, ...) {
    char line[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return strv_push(&p->notes, line);
}

/* A resolved path set: canonical paths with their type, in insertion order, unique. */
typedef struct pset {
    strv paths;
    bool *is_dir;
    size_t cap;
} pset;

static void pset_done(pset *s) {
    strv_done(&s->paths);
    free(s->is_dir);
    *s = (pset){0};
}

static int pset_add(pset *s, const char *path, bool is_dir) {
    int r;

    if (strv_contains(&s->paths, path))
        return 0;
    if (s->paths.n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        bool *d = realloc(s->is_dir, cap * sizeof(*d));
        if (!d)
            return -ENOMEM;
        s->is_dir = d;
        s->cap = cap;
    }
    r = strv_push(&s->paths, path);
    if (r < 0)
        return r;
    s->is_dir[s->paths.n - 1] = is_dir;
    return 0;
}

typedef struct builder {
    const mntplan_input *in;
    const host_facts *f;
    mntplan *p;
    strv tmp_ro;    /* read-only paths below /tmp: bound after the private /tmp is mounted */
    char fail[700]; /* why the plan is refused (with -EOVERFLOW): a protecting scan truncated */
} builder;

/* Escape class 3 (anchors.md §5): a symlink in a directory this user can write may have
 * been planted by an earlier sandboxed run (~/.npm/_logs -> ~) to turn a later run's writable
 * entry into the home directory. A writable entry follows a symlink only when the directory
 * holding the link is not the user's to write (usr-merge /lib -> usr/lib, /var/run -> /run);
 * otherwise the entry is skipped with a warning. path is absolute and clean, canonical its
 * resolved form. Returns 1 to follow, 0 when skipped, or -errno. */
static int links_trusted(builder *b, const char *path, const char *canonical, const char *why) {
    const host_facts *f = b->f;
    _cleanup_free_ char *cur = NULL, *link = NULL, *target = NULL;
    const char *p = path;
    char line[1200];
    int w = 0;

    if (streq(path, canonical))
        return 1; /* no symlink on the way (the canonical form of such a path is itself) */
    cur = strdup("/");
    if (!cur)
        return -ENOMEM;
    while (*p) {
        const char *end;
        _cleanup_free_ char *name = NULL, *cand = NULL;
        hostfs_entry e = {0};
        int r;

        while (*p == '/')
            p++;
        end = strchrnul(p, '/');
        if (end == p)
            break;
        name = strndup(p, (size_t) (end - p));
        if (!name)
            return -ENOMEM;
        p = end;
        if (streq(name, "."))
            continue;
        cand = streq(name, "..") ? path_dir(cur) : path_join(cur, name);
        if (!cand)
            return -ENOMEM;
        r = f->fs->resolve(f->fs_data, cand, &e);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            w = r; /* the whole path resolved a moment ago: something is changing it */
            link = TAKE_PTR(cand);
            break;
        }
        if (!streq(name, "..") && !streq(e.canonical, cand)) {
            w = f->fs->user_writable(f->fs_data, cur, f->uid, f->gid);
            if (w != 0) {
                link = TAKE_PTR(cand);
                target = e.canonical;
                break;
            }
        }
        free(cur);
        cur = e.canonical;
    }
    if (!link)
        return 1;
    if (w < 0 && !target)
        snprintf(line, sizeof(line),
                 "[fence] WARNING: %s: skipping '%s' ('%s' changed while planning: %s)", why, path,
                 link, strerror(-w));
    else
        snprintf(line, sizeof(line),
                 "[fence] WARNING: %s: skipping '%s': %s%s%sa symlink to '%s' in a directory "
                 "this user can write (an earlier sandboxed run may have planted it); name the "
                 "target itself to allow it",
                 why, path, streq(link, path) ? "" : "'", streq(link, path) ? "" : link,
                 streq(link, path) ? "" : "' is ", target);
    return strv_push(&b->p->warnings, line) < 0 ? -ENOMEM : 0;
}

/* A scan the protection relies on stopped at its budget: refuse rather than leave what it did
 * not see writable (review1 finding 3). */
static int refuse_truncated(builder *b, const char *what, const char *where) {
    snprintf(b->fail, sizeof(b->fail),
             "%s stopped after %d entries at '%s', so what lies beyond could not be protected; "
             "make fewer paths writable (allowWrite a subdirectory) or narrow the pattern, or "
             "remove the directory holding most entries",
             what, PROBE_GLOB_MAX_ENTRIES, where);
    return -EOVERFLOW;
}

/* Resolves one absolute path and adds its canonical form; a missing path is noted. */
static int add_resolved(builder *b, pset *out, const char *path, const char *why) {
    hostfs_entry e = {0};
    int r = b->f->fs->resolve(b->f->fs_data, path, &e);

    if (r == -ENOENT || r == -ENOTDIR || r == -EACCES || r == -ELOOP) {
        char line[600];
        snprintf(line, sizeof(line), "%s: skipping '%s' (%s)", why, path, strerror(-r));
        return strv_push(&b->p->notes, line);
    }
    if (r < 0)
        return r;
    if (streq(why, "allowWrite")) {
        r = links_trusted(b, path, e.canonical, why);
        if (r <= 0) {
            free(e.canonical);
            return r;
        }
    }
    /* A writable path reached through a symlink that lives in the workspace may have been
     * planted by an earlier sandboxed run ("build -> ~/.ssh"): never follow it out. */
    if (streq(why, "allowWrite") && !streq(e.canonical, path) && path_is_under(path, b->f->cwd) &&
        !path_is_under(e.canonical, b->f->cwd)) {
        char line[600];
        snprintf(line, sizeof(line),
                 "%s: skipping '%s' (a symlink in the workspace to '%s' outside it)", why, path,
                 e.canonical);
        free(e.canonical);
        return strv_push(&b->p->notes, line);
    }
    r = pset_add(out, e.canonical, e.is_dir);
    free(e.canonical);
    return r;
}

/* Normalises each config entry (§9.1), expands globs against the host, resolves symlinks. */
static int expand(builder *b, const strv *list, pset *out, const char *why) {
    for (size_t i = 0; i < list->n; i++) {
        _cleanup_free_ char *norm = fspol_normalize(list->v[i], b->f->cwd, b->f->home);
        strv matches = {0};
        bool truncated = false;
        int r;

        if (!norm)
            return -ENOMEM;
        if (!fspol_is_glob(norm))
            r = add_resolved(b, out, norm, why);
        else {
            r = b->f->fs->glob(b->f->fs_data, norm, &matches, &truncated);
            for (size_t j = 0; r >= 0 && j < matches.n; j++)
                r = add_resolved(b, out, matches.v[j], why);
            if (r >= 0 && truncated)
                r = streq(why, "denyRead") || streq(why, "denyWrite")
                            ? refuse_truncated(b,
                                               streq(why, "denyRead") ? "the denyRead glob"
                                                                      : "the denyWrite glob",
                                               norm)
                            : note(b->p, "glob '%s' stopped after too many entries", norm);
            strv_done(&matches);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static size_t depth_of(const char *p) {
    size_t n = 0;
    for (; *p; p++)
        if (*p == '/' && p[1])
            n++;
    return n;
}

static bool under_any(const strv *set, const char *path) {
    for (size_t i = 0; i < set->n; i++)
        if (path_is_under(path, set->v[i]))
            return true;
    return false;
}

/* Is path visible in the new root? Always with the host view; in the allowlist view only
 * below something bound. */
static bool visible(const builder *b, const char *path) {
    /* the private /tmp shows only what is bound into it */
    if (path_is_under(path, "/tmp"))
        return streq(path, "/tmp") || under_any(&b->tmp_ro, path) ||
               under_any(&b->p->writable, path);
    if (!b->p->allowlist)
        return true;
    return under_any(&b->p->readable, path) || under_any(&b->p->writable, path) ||
           path_is_under(path, "/dev") || path_is_under(path, "/proc");
}

static int plan_allowlist_root(builder *b) {
    const struct fence_config *cfg = b->in->cfg;
    pset ro = {0};
    size_t exec_from = 0, exec_to = 0;
    int r = add_op(b->p, MNTOP_ROOT_TMPFS, 0, 0755, NULL, "/", "defaultDenyRead");

    if (r < 0)
        return r;
    if (!cfg->filesystem.strict_deny_read)
        for (size_t i = 0; r >= 0 && fspol_default_read_paths[i]; i++) {
            const char *d = fspol_default_read_paths[i];
            _cleanup_free_ char *norm = fspol_normalize(d, b->f->cwd, b->f->home);
            hostfs_entry e = {0};

            if (!norm)
                r = -ENOMEM;
            else if (!b->f->home && d[0] == '~')
                continue;
            else if (streq(norm, "/dev") || streq(norm, "/proc") || streq(norm, "/tmp"))
                continue;
            else if (b->f->fs->resolve(b->f->fs_data, norm, &e) == 0) {
                /* a usr-merged /bin -> /usr/bin: bind the target, recreate the link */
                if (!streq(e.canonical, norm))
                    r = add_op(b->p, MNTOP_SYMLINK, MNTF_CREATE, 0, e.canonical, norm,
                               "default read (symlink)");
                if (r >= 0)
                    r = pset_add(&ro, e.canonical, e.is_dir);
                free(e.canonical);
            }
        }
    if (r >= 0)
        r = expand(b, &cfg->filesystem.allow_read, &ro, "allowRead");
    /* allowExecute entries not already readable get Landlock's execute tier (no listing) */
    exec_from = ro.paths.n;
    if (r >= 0)
        r = expand(b, &cfg->filesystem.allow_execute, &ro, "allowExecute");
    exec_to = ro.paths.n;
    if (r >= 0 && b->f->resolv_target)
        r = add_resolved(b, &ro, b->f->resolv_target, "resolv.conf target");
    if (r >= 0 && b->in->shell)
        r = add_resolved(b, &ro, b->in->shell, "shell");
    if (r >= 0 && b->f->wsl && cfg->filesystem.wsl_interop != TRI_FALSE)
        r = add_resolved(b, &ro, "/init", "wslInterop");
    for (size_t i = 0; r >= 0 && i < ro.paths.n; i++) {
        const char *path = ro.paths.v[i];
        /* /dev, /proc and /tmp get their own mounts; a nested entry is already covered */
        if (path_is_under(path, "/tmp") && !streq(path, "/tmp")) {
            r = strv_push(&b->tmp_ro, path);
            continue;
        }
        if (path_is_under(path, "/dev") || path_is_under(path, "/proc") ||
            path_is_under(path, "/tmp") || under_any(&b->p->readable, path))
            continue;
        r = strv_push(&b->p->readable, path);
        if (r >= 0 && i >= exec_from && i < exec_to)
            r = strv_push(&b->p->executable, path);
    }
    /* parents first, so that a child bind is not hidden by its parent's */
    for (size_t d = 0; r >= 0 && d < 64; d++)
        for (size_t i = 0; r >= 0 && i < b->p->readable.n; i++)
            if (depth_of(b->p->readable.v[i]) == d) {
                const char *path = b->p->readable.v[i];
                bool nested = false;
                size_t k;
                /* /usr/bin (from /bin -> usr/bin) is already inside /usr */
                for (k = 0; k < b->p->readable.n && !nested; k++)
                    nested = k != i && depth_of(b->p->readable.v[k]) < d &&
                             path_is_under(path, b->p->readable.v[k]);
                if (nested)
                    continue;
                for (k = 0; k < ro.paths.n && !streq(ro.paths.v[k], path); k++)
                    ;
                r = add_op(b->p, MNTOP_BIND,
                           MNTF_RO | MNTF_CREATE |
                                   (k < ro.paths.n && !ro.is_dir[k] ? MNTF_FILE : 0),
                           0, path, path, "read allowlist");
            }
    pset_done(&ro);
    return r;
}

static int plan_dev(builder *b) {
    static const char *const core[] = {"null", "zero", "full", "random", "urandom", "tty"};
    static const char *const links[][2] = {
            {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
            {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
            {"pts/ptmx", "/dev/ptmx"},
    };
    const struct fence_config *cfg = b->in->cfg;
    const char *mode = cfg->devices.mode;
    pset allow = {0};
    int r;

    if (mode && streq(mode, "host")) {
        b->p->dev_host = true;
        return add_op(b->p, MNTOP_BIND, MNTF_DEV | MNTF_CREATE, 0, "/dev", "/dev", "devices.mode");
    }
    r = add_op(b->p, MNTOP_TMPFS, MNTF_CREATE, 0755, NULL, "/dev", "minimal /dev");
    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(core); i++) {
        char path[32];
        snprintf(path, sizeof(path), "/dev/%s", core[i]);
        r = add_op(b->p, MNTOP_BIND, MNTF_DEV | MNTF_CREATE | MNTF_FILE | MNTF_OPTIONAL, 0, path,
                   path, "minimal /dev");
    }
    if (r >= 0)
        r = expand(b, &cfg->devices.allow, &allow, "devices.allow");
    for (size_t i = 0; r >= 0 && i < allow.paths.n; i++) {
        const char *path = allow.paths.v[i];
        if (!path_is_under(path, "/dev") || streq(path, "/dev"))
            r = note(b->p, "devices.allow: skipping '%s' (not below /dev)", path);
        else
            r = add_op(b->p, MNTOP_BIND, MNTF_DEV | MNTF_CREATE | (allow.is_dir[i] ? 0 : MNTF_FILE),
                       0, path, path, "devices.allow");
    }
    pset_done(&allow);
    if (r >= 0)
        r = add_op(b->p, MNTOP_DEVPTS, MNTF_CREATE, 0, NULL, "/dev/pts", "minimal /dev");
    if (r >= 0)
        r = add_op(b->p, MNTOP_TMPFS, MNTF_CREATE, 01777, NULL, "/dev/shm", "minimal /dev");
    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(links); i++)
        r = add_op(b->p, MNTOP_SYMLINK, 0, 0, links[i][0], links[i][1], "minimal /dev");
    if (r >= 0)
        r = add_op(b->p, MNTOP_SEAL_RO, 0, 0, NULL, "/dev", "minimal /dev");
    return r;
}

static int plan_proc_tmp(builder *b) {
    static const char *const covered[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
                                          "/proc/bus"};
    int r = add_op(b->p, MNTOP_PROC, MNTF_CREATE | (b->in->allow_host_proc ? MNTF_HOST_PROC : 0), 0,
                   NULL, "/proc", "fresh /proc");

    /* writable in a fresh procfs but global to the host: keep them read-only */
    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(covered); i++)
        r = add_op(b->p, MNTOP_REBIND_RO, MNTF_OPTIONAL, 0, NULL, covered[i], "fresh /proc");
    if (r >= 0)
        r = add_op(b->p, MNTOP_TMPFS, MNTF_CREATE, 01777, NULL, "/tmp", "private /tmp");
    if (r >= 0 && b->f->xdg_runtime_dir) {
        char dir[64];
        snprintf(dir, sizeof(dir), "/tmp/fence-runtime-%u", (unsigned) b->f->uid);
        r = add_op(b->p, MNTOP_MKDIR, 0, 0700, NULL, dir, "XDG_RUNTIME_DIR");
    }
    return r;
}

static int plan_writable(builder *b, pset *w) {
    const struct fence_config *cfg = b->in->cfg;
    pset defaults = {0};
    int r = expand(b, &cfg->filesystem.allow_write, w, "allowWrite");

    /* §9.2 default writable paths, when they exist (the /dev and /tmp ones are moot here) */
    for (size_t i = 0; r >= 0 && b->f->home && fspol_default_write_paths[i]; i++) {
        _cleanup_free_ char *norm =
                fspol_normalize(fspol_default_write_paths[i], b->f->cwd, b->f->home);
        hostfs_entry e = {0};
        if (!norm)
            r = -ENOMEM;
        else if (b->f->fs->resolve(b->f->fs_data, norm, &e) == 0) {
            r = links_trusted(b, norm, e.canonical, "default write path");
            if (r > 0)
                r = pset_add(&defaults, e.canonical, e.is_dir);
            free(e.canonical);
        }
    }
    for (size_t i = 0; r >= 0 && i < defaults.paths.n; i++)
        r = pset_add(w, defaults.paths.v[i], defaults.is_dir[i]);
    pset_done(&defaults);
    /* a workspace below /tmp stays visible (read-only unless allowed) despite the private /tmp */
    if (r >= 0 && !b->p->allowlist && path_is_under(b->f->cwd, "/tmp") && !streq(b->f->cwd, "/tmp"))
        r = strv_push(&b->tmp_ro, b->f->cwd);
    for (size_t d = 0; r >= 0 && d < 64; d++)
        for (size_t i = 0; r >= 0 && i < w->paths.n; i++) {
            const char *path = w->paths.v[i];
            if (depth_of(path) != d || streq(path, "/tmp"))
                continue;
            if (path_is_under(path, "/dev") || path_is_under(path, "/proc")) {
                r = note(b->p, "allowWrite: skipping '%s' (/dev and /proc have their own mounts)",
                         path);
                continue;
            }
            r = strv_push(&b->p->writable, path);
            if (r >= 0 && !streq(path, "/"))
                r = add_op(b->p, MNTOP_BIND, MNTF_CREATE | (w->is_dir[i] ? 0 : MNTF_FILE), 0, path,
                           path, "allowWrite");
        }
    for (size_t i = 0; r >= 0 && i < b->tmp_ro.n; i++) {
        const char *path = b->tmp_ro.v[i];
        hostfs_entry e = {0};
        if (under_any(&b->p->writable, path))
            continue;
        if (b->f->fs->resolve(b->f->fs_data, path, &e) < 0)
            continue;
        free(e.canonical);
        r = add_op(b->p, MNTOP_BIND, MNTF_RO | MNTF_CREATE | (e.is_dir ? 0 : MNTF_FILE), 0, path,
                   path, b->p->allowlist ? "read allowlist" : "workspace below /tmp");
        if (r >= 0 && b->p->allowlist)
            r = strv_push(&b->p->readable, path);
    }
    return r;
}

/* Late overlays (§9.4 step 11) with precedence mask-dir > mask-file > read-only. */
typedef struct overlay {
    char *path;
    int strength; /* 3 mask-dir, 2 mask-file, 1 read-only */
    bool is_dir;
    const char *why;
} overlay;

typedef struct oset {
    overlay *v;
    size_t n, cap;
} oset;

static void oset_done(oset *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].path);
    free(s->v);
}

static int oset_add(oset *s, const char *path, int strength, bool is_dir, const char *why) {
    for (size_t i = 0; i < s->n; i++)
        if (streq(s->v[i].path, path)) {
            if (strength > s->v[i].strength) {
                s->v[i].strength = strength;
                s->v[i].why = why;
            }
            return 0;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        overlay *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n] =
            (overlay){.path = strdup(path), .strength = strength, .is_dir = is_dir, .why = why};
    if (!s->v[s->n].path)
        return -ENOMEM;
    s->n++;
    return 0;
}

static int cmp_overlay(const void *a, const void *b) {
    const overlay *x = a, *y = b;
    size_t dx = depth_of(x->path), dy = depth_of(y->path);

    if (dx != dy)
        return dx < dy ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Only a path that the sandbox could otherwise write needs a read-only overlay. */
static bool needs_ro(const builder *b, const char *path) {
    return under_any(&b->p->writable, path) ||
           (b->in->expose_rw && under_any(b->in->expose_rw, path));
}

/* Git's control paths (gitscan.h) of the ".git" names found and of the repositories enclosing
 * the workspace and each writable root: read-only where writable, and for the broker. */
static int protect_git(builder *b, const strv *dot_gits, oset *o) {
    const host_facts *f = b->f;
    gitscan_result gs = {0};
    strv roots = {0};
    int r = strv_push(&roots, f->cwd);

    for (size_t i = 0; r >= 0 && i < b->p->writable.n; i++)
        r = strv_push(&roots, b->p->writable.v[i]);
    if (r >= 0)
        r = gitscan_collect(f, dot_gits, &roots, b->in->cfg->filesystem.allow_git_config, &gs);
    if (r >= 0 && gs.truncated) {
        /* what the scan did not see would be left writable (second review, finding 2) */
        snprintf(b->fail, sizeof(b->fail),
                 "the git scan reached its limit (%s), so the repositories beyond could not be "
                 "protected; remove the excess entries (an earlier sandboxed run may have made "
                 "them) or make fewer paths writable",
                 gs.truncated_at);
        r = -EOVERFLOW;
    }
    for (size_t i = 0; r >= 0 && i < gs.git_dirs.n; i++)
        if (!strv_contains(&b->p->git_dirs, gs.git_dirs.v[i]))
            r = strv_push(&b->p->git_dirs, gs.git_dirs.v[i]);
    for (size_t i = 0; r >= 0 && i < gs.protect.n; i++) {
        hostfs_entry e = {0};

        r = strv_push(&b->p->git_protect, gs.protect.v[i]);
        if (r >= 0 && f->fs->resolve(f->fs_data, gs.protect.v[i], &e) == 0 &&
            needs_ro(b, e.canonical))
            r = oset_add(o, e.canonical, 1, e.is_dir, "git control path");
        free(e.canonical);
    }
    for (size_t i = 0; r >= 0 && i < gs.notes.n; i++)
        r = strv_push(&b->p->notes, gs.notes.v[i]);
    gitscan_result_done(&gs);
    strv_done(&roots);
    return r;
}

static int collect_dangerous(builder *b, oset *o) {
    const host_facts *f = b->f;
    const char *names[32];
    size_t k = 0;
    strv found = {0}, dot_gits = {0}, roots = {0};
    const char *truncated_in = NULL;
    bool trunc = false;
    int r = 0;

    for (size_t i = 0; fspol_dangerous_files[i]; i++)
        names[k++] = fspol_dangerous_files[i];
    for (size_t i = 0; fspol_dangerous_dirs[i]; i++)
        names[k++] = fspol_dangerous_dirs[i];
    names[k++] = ".git";
    names[k] = NULL;

    if (needs_ro(b, f->cwd)) {
        r = f->fs->find(f->fs_data, f->cwd, DANGEROUS_DEPTH, names, &found, &trunc);
        truncated_in = trunc ? f->cwd : NULL;
        r = r < 0 ? r : strv_push(&roots, f->cwd);
    }
    /* and every other writable root and rw exposure: a repository there has its .git/config
     * as writable as one in the workspace (second review, finding 3) */
    for (size_t i = 0; r >= 0 && i < b->p->writable.n; i++)
        r = strv_push(&roots, b->p->writable.v[i]);
    for (size_t i = 0; r >= 0 && b->in->expose_rw && i < b->in->expose_rw->n; i++)
        r = strv_push(&roots, b->in->expose_rw->v[i]);
    for (size_t i = 0; r >= 0 && i < roots.n; i++) {
        const char *root = roots.v[i];
        bool seen = false;

        /* the cwd (walked above) comes first; a nested root is walked itself (the outer
         * walk's depth may end above its contents) */
        for (size_t j = 0; !seen && j < i; j++)
            seen = streq(root, roots.v[j]);
        if (seen || (i == 0 && needs_ro(b, f->cwd)))
            continue;
        r = f->fs->find(f->fs_data, root, DANGEROUS_DEPTH, names, &found, &trunc);
        if (r >= 0 && trunc && !truncated_in)
            truncated_in = root;
    }
    if (r >= 0 && truncated_in)
        r = refuse_truncated(b, "the dangerous-path scan", truncated_in);
    if (r >= 0 && f->home)
        for (size_t i = 0; fspol_dangerous_files[i] && r >= 0; i++) {
            _cleanup_free_ char *p = path_join(f->home, fspol_dangerous_files[i]);
            r = p ? strv_push(&found, p) : -ENOMEM;
        }
    for (size_t i = 0; r >= 0 && i < found.n; i++) {
        const char *path = found.v[i], *base = strrchr(path, '/') + 1;
        hostfs_entry e = {0};

        if (streq(base, ".git")) {
            r = strv_push(&dot_gits, path);
            continue;
        }
        if (f->fs->resolve(f->fs_data, path, &e) < 0)
            continue;
        if (needs_ro(b, e.canonical) && !path_is_under(e.canonical, "/dev") &&
            !path_is_under(e.canonical, "/proc"))
            r = oset_add(o, e.canonical, 1, e.is_dir, "dangerous path");
        free(e.canonical);
    }
    if (r >= 0)
        r = protect_git(b, &dot_gits, o);
    strv_done(&found);
    strv_done(&dot_gits);
    strv_done(&roots);
    return r;
}

/* Escape class 2 (anchors.md §5): the unix sockets of host daemons. A read-only bind does not
 * stop connect() and a network namespace does not isolate pathname sockets, so each socket the
 * sandbox could reach gets /dev/null bound over it (connect: ECONNREFUSED, sendto: the same),
 * and /run/user, where the per-user daemons listen (D-Bus, systemd --user, podman, pipewire,
 * gpg-agent), an empty tmpfs: that also covers sockets made there later. Where they are:
 * /run (and /var/run), four levels down, on its own filesystem; $XDG_RUNTIME_DIR; the
 * sockets the environment names; fspol's list under home. network.allowUnixSockets keeps
 * the ones it names (a path, a directory, a glob), allowAllUnixSockets keeps all. */
#define RUN_SOCKET_DEPTH  4
#define HOME_SOCKET_DEPTH 2

static bool socket_allowed(const pset *allow, const char *path) {
    for (size_t i = 0; i < allow->paths.n; i++)
        if (path_is_under(path, allow->paths.v[i]))
            return true;
    return false;
}

static int walk_sockets(builder *b, const char *root, unsigned depth, const char *prune,
                        strv *found) {
    const host_facts *f = b->f;
    bool trunc = false;
    int r = f->fs->sockets(f->fs_data, root, depth, prune, found, &trunc);

    if (r >= 0 && trunc)
        r = note(b->p, "unix sockets: the walk of '%s' stopped after too many entries", root);
    return r < 0 ? r : 0;
}

/* /run/user: hidden whole, unless an allowed socket lies below it (then walked per user). */
static int plan_run_user(builder *b, const pset *allow, oset *o, strv *found, char **ret_masked) {
    const host_facts *f = b->f;
    hostfs_entry e = {0};
    strv users = {0};
    bool trunc = false;
    int r = 0;

    *ret_masked = NULL;
    if (f->fs->resolve(f->fs_data, "/run/user", &e) < 0)
        return 0;
    if (!e.is_dir || !visible(b, e.canonical)) {
        free(e.canonical);
        return 0;
    }
    for (size_t i = 0; i < allow->paths.n; i++)
        if (path_is_under(allow->paths.v[i], e.canonical)) {
            /* each /run/user/UID is its own tmpfs: walk them one by one */
            _cleanup_free_ char *pattern = path_join(e.canonical, "*");
            r = pattern ? f->fs->glob(f->fs_data, pattern, &users, &trunc) : -ENOMEM;
            for (size_t k = 0; r >= 0 && k < users.n; k++)
                r = walk_sockets(b, users.v[k], RUN_SOCKET_DEPTH - 1, NULL, found);
            strv_done(&users);
            free(e.canonical);
            return r;
        }
    r = oset_add(o, e.canonical, 3, true, "unix sockets");
    if (r >= 0)
        *ret_masked = e.canonical;
    else
        free(e.canonical);
    return r;
}

static int plan_unix_sockets(builder *b, oset *o) {
    const struct fence_config *cfg = b->in->cfg;
    const host_facts *f = b->f;
    _cleanup_free_ char *run_user = NULL;
    pset allow = {0};
    strv found = {0};
    size_t masked = 0;
    int r;

    if (cfg->network.allow_all_unix_sockets)
        return note(b->p, "allowAllUnixSockets: the host's unix sockets stay reachable");
    r = expand(b, &cfg->network.allow_unix_sockets, &allow, "allowUnixSockets");
    if (r >= 0)
        r = plan_run_user(b, &allow, o, &found, &run_user);
    /* /run, and /var/run unless it is /run again (the usual symlink) */
    for (int i = 0; r >= 0 && i < 2; i++) {
        hostfs_entry e = {0};
        if (f->fs->resolve(f->fs_data, i ? "/var/run" : "/run", &e) < 0)
            continue;
        if (e.is_dir && (i == 0 || !streq(e.canonical, "/run")))
            r = walk_sockets(b, e.canonical, RUN_SOCKET_DEPTH, run_user, &found);
        free(e.canonical);
    }
    if (r >= 0 && f->xdg_runtime_dir && !path_is_under(f->xdg_runtime_dir, "/run"))
        r = walk_sockets(b, f->xdg_runtime_dir, RUN_SOCKET_DEPTH - 1, NULL, &found);
    for (size_t i = 0; r >= 0 && f->home && fspol_home_socket_dirs[i]; i++) {
        _cleanup_free_ char *dir = fspol_normalize(fspol_home_socket_dirs[i], f->cwd, f->home);
        r = dir ? walk_sockets(b, dir, HOME_SOCKET_DEPTH, NULL, &found) : -ENOMEM;
    }
    for (size_t i = 0; r >= 0 && f->home && fspol_home_socket_files[i]; i++) {
        char *file = fspol_normalize(fspol_home_socket_files[i], f->cwd, f->home);
        r = file ? strv_push_take(&found, file) : -ENOMEM;
    }
    for (size_t i = 0; r >= 0 && i < f->env_sockets.n; i++)
        r = strv_push(&found, f->env_sockets.v[i]);
    for (size_t i = 0; r >= 0 && i < found.n; i++) {
        hostfs_entry e = {0};

        if (f->fs->resolve(f->fs_data, found.v[i], &e) < 0)
            continue;
        if (e.is_sock && visible(b, e.canonical) && !socket_allowed(&allow, e.canonical) &&
            !(run_user && path_is_under(e.canonical, run_user))) {
            size_t before = o->n;
            r = oset_add(o, e.canonical, 2, false, "unix socket");
            masked += o->n > before;
        }
        free(e.canonical);
    }
    if (r >= 0 && (masked || run_user))
        r = note(b->p, "unix sockets: %zu hidden under /dev/null%s", masked,
                 run_user ? ", /run/user hidden" : "");
    strv_done(&found);
    pset_done(&allow);
    return r;
}

static int plan_overlays(builder *b) {
    const struct fence_config *cfg = b->in->cfg;
    pset deny_read = {0}, deny_write = {0};
    oset o = {0};
    int r = expand(b, &cfg->filesystem.deny_read, &deny_read, "denyRead");

    for (size_t i = 0; r >= 0 && i < deny_read.paths.n; i++)
        if (visible(b, deny_read.paths.v[i]))
            r = oset_add(&o, deny_read.paths.v[i], deny_read.is_dir[i] ? 3 : 2, deny_read.is_dir[i],
                         "denyRead");
    if (r >= 0)
        r = collect_dangerous(b, &o);
    if (r >= 0)
        r = plan_unix_sockets(b, &o);
    if (r >= 0)
        r = expand(b, &cfg->filesystem.deny_write, &deny_write, "denyWrite");
    for (size_t i = 0; r >= 0 && i < deny_write.paths.n; i++)
        if (needs_ro(b, deny_write.paths.v[i]))
            r = oset_add(&o, deny_write.paths.v[i], 1, deny_write.is_dir[i], "denyWrite");
    for (size_t i = 0; r >= 0 && b->in->exec_masks && i < b->in->exec_masks->n; i++)
        if (visible(b, b->in->exec_masks->v[i]))
            r = oset_add(&o, b->in->exec_masks->v[i], 2, false, "runtime exec deny");
    pset_done(&deny_read);
    pset_done(&deny_write);
    if (r < 0) {
        oset_done(&o);
        return r;
    }
    if (o.n > 1)
        qsort(o.v, o.n, sizeof(*o.v), cmp_overlay);
    for (size_t i = 0; r >= 0 && i < o.n; i++) {
        bool dropped = false;
        mntop_kind kind;

        /* under a masked directory nothing is visible; under a read-only tree, a read-only
         * entry adds nothing (the re-bind is recursive) */
        for (size_t j = 0; j < i && !dropped; j++)
            if (o.v[j].strength > 0 && path_is_under(o.v[i].path, o.v[j].path) &&
                (o.v[j].strength == 3 || (o.v[j].strength == 1 && o.v[i].strength == 1)))
                dropped = true;
        if (dropped) {
            o.v[i].strength = 0;
            continue;
        }
        kind = o.v[i].strength == 3   ? MNTOP_MASK_DIR
               : o.v[i].strength == 2 ? MNTOP_MASK_FILE
                                      : MNTOP_REBIND_RO;
        if (kind == MNTOP_MASK_FILE && o.v[i].is_dir)
            kind = MNTOP_MASK_DIR;
        r = add_op(b->p, kind, 0, 0, NULL, o.v[i].path, o.v[i].why);
    }
    oset_done(&o);
    return r;
}

/* ExposeHostPath (§9.4 step 12). The writable ones are planned before the late overlays, so
 * that the dangerous-path, denyWrite and denyRead overlays below them still apply; the
 * read-only ones after, as the Go tool does. */
static int plan_expose(builder *b, bool rw) {
    {
        const strv *list = rw ? b->in->expose_rw : b->in->expose_ro;
        for (size_t i = 0; list && i < list->n; i++) {
            hostfs_entry e = {0};
            int r = b->f->fs->resolve(b->f->fs_data, list->v[i], &e);

            if (r < 0) {
                char line[600];
                snprintf(line, sizeof(line),
                         "ExposeHostPath: skipping \"%s\" (does not exist on host at "
                         "sandbox-launch time)",
                         list->v[i]);
                if (strv_push(&b->p->notes, line) < 0)
                    return -ENOMEM;
                continue;
            }
            if (rw) {
                r = links_trusted(b, list->v[i], e.canonical, "ExposeHostPath rw");
                if (r <= 0) {
                    free(e.canonical);
                    if (r < 0)
                        return r;
                    continue;
                }
            }
            r = add_op(b->p, MNTOP_BIND,
                       MNTF_CREATE | (rw ? 0 : MNTF_RO) | (e.is_dir ? 0 : MNTF_FILE), 0,
                       e.canonical, e.canonical, rw ? "ExposeHostPath rw" : "ExposeHostPath");
            if (r >= 0 && rw)
                r = strv_push(&b->p->writable, e.canonical);
            if (r >= 0 && !rw && b->p->allowlist)
                r = strv_push(&b->p->readable, e.canonical);
            free(e.canonical);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int mntplan_build(const mntplan_input *in, mntplan **ret, fence_error *err) {
    const struct fence_config *cfg = in->cfg;
    mntplan *p = calloc(1, sizeof(*p));
    builder b = {.in = in, .f = in->facts, .p = p};
    pset w = {0};
    int r;

    if (!p)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the mount plan");
    p->allowlist = cfg->filesystem.default_deny_read || cfg->filesystem.strict_deny_read;
    if (p->allowlist)
        r = plan_allowlist_root(&b);
    else
        r = add_op(p, MNTOP_ROOT_HOST, MNTF_RO, 0, NULL, "/", "read-only host");
    if (r >= 0)
        r = plan_dev(&b);
    if (r >= 0)
        r = plan_proc_tmp(&b);
    if (r >= 0)
        r = plan_writable(&b, &w);
    /* a writable "/" (allowWrite: ["/"]) keeps the host root writable */
    if (r >= 0 && strv_contains(&p->writable, "/") && !p->allowlist)
        p->ops[0].flags &= ~MNTF_RO;
    for (size_t i = 0; r >= 0 && i < cfg->filesystem.deny_write.n; i++) {
        char *norm = fspol_normalize(cfg->filesystem.deny_write.v[i], b.f->cwd, b.f->home);
        r = norm ? strv_push_take(&p->protect, norm) : -ENOMEM;
    }
    if (r >= 0)
        r = plan_expose(&b, true);
    if (r >= 0)
        r = plan_overlays(&b);
    if (r >= 0)
        r = plan_expose(&b, false);
    pset_done(&w);
    if (r >= 0) {
        const char *dir = visible(&b, b.f->cwd) ? b.f->cwd : "/";
        if (!streq(dir, b.f->cwd))
            r = note(p, "working directory '%s' is not visible in the sandbox; using /", b.f->cwd);
        if (r >= 0 && !(p->chdir = strdup(dir)))
            r = -ENOMEM;
    }
    strv_done(&b.tmp_ro);
    if (r < 0) {
        mntplan_free(p);
        if (r == -EOVERFLOW)
            return fence_error_set(err, FENCE_E_SANDBOX, 0, "%s", b.fail);
        if (r == -E2BIG)
            return fence_error_set(err, FENCE_E_SANDBOX, 0,
                                   "mount plan: more than %d operations (narrow the globs)",
                                   MNTPLAN_MAX_OPS);
        return fence_error_set(err, FENCE_E_NOMEM, -r, "building the mount plan");
    }
    *ret = p;
    return 0;
}

void mntplan_free(mntplan *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->ops[i].src);
        free(p->ops[i].dst);
    }
    free(p->ops);
    free(p->chdir);
    strv_done(&p->readable);
    strv_done(&p->executable);
    strv_done(&p->writable);
    strv_done(&p->protect);
    strv_done(&p->git_dirs);
    strv_done(&p->git_protect);
    strv_done(&p->notes);
    strv_done(&p->warnings);
    free(p);
}

static const char *op_name(const mntop *op) {
    switch (op->kind) {
    case MNTOP_ROOT_HOST:
        return op->flags & MNTF_RO ? "root-ro" : "root-rw";
    case MNTOP_ROOT_TMPFS:
        return "root-tmpfs";
    case MNTOP_BIND:
        return op->flags & MNTF_DEV ? "bind-dev" : op->flags & MNTF_RO ? "bind-ro" : "bind-rw";
    case MNTOP_TMPFS:
        return "tmpfs";
    case MNTOP_PROC:
        return "proc";
    case MNTOP_DEVPTS:
        return "devpts";
    case MNTOP_SYMLINK:
        return "symlink";
    case MNTOP_MKDIR:
        return "mkdir";
    case MNTOP_REBIND_RO:
        return "rebind-ro";
    case MNTOP_MASK_FILE:
        return "mask-file";
    case MNTOP_MASK_DIR:
        return "mask-dir";
    case MNTOP_SEAL_RO:
        return "seal-ro";
    }
    return "?";
}

int mntplan_dump(const mntplan *p, fbuf *out) {
    int r = fbuf_printf(out, "mounts (%s view):\n", p->allowlist ? "allowlist" : "read-only host");

    for (size_t i = 0; r >= 0 && i < p->n; i++) {
        const mntop *op = &p->ops[i];
        r = fbuf_printf(out, "  %3zu %-10s %s", i, op_name(op), op->dst);
        if (r >= 0 && op->src && op->kind == MNTOP_SYMLINK)
            r = fbuf_printf(out, " -> %s", op->src);
        else if (r >= 0 && op->src && !streq(op->src, op->dst))
            r = fbuf_printf(out, " <- %s", op->src);
        if (r >= 0 && (op->kind == MNTOP_TMPFS || op->kind == MNTOP_MKDIR))
            r = fbuf_printf(out, " mode=%04o", op->mode);
        if (r >= 0 && op->kind == MNTOP_PROC)
            r = fbuf_puts(out, op->flags & MNTF_HOST_PROC
                                       ? " (host /proc read-only if procfs is refused)"
                                       : " (no fallback if procfs is refused)");
        if (r >= 0)
            r = fbuf_printf(out, "%s  [%s]\n", op->flags & MNTF_OPTIONAL ? " optional" : "",
                            op->why);
    }
    if (r >= 0)
        r = fbuf_printf(out, "  chdir %s\n", p->chdir ? p->chdir : "/");
    for (size_t i = 0; r >= 0 && i < p->notes.n; i++)
        r = fbuf_printf(out, "  note: %s\n", p->notes.v[i]);
    return r;
}

/* ------------------------------------------------------------------------------------------
 * Applying (in the sandbox's init, after fork: no allocation)
 */

#define RESOLVE_SAFE (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

static int xopenat2(int dirfd, const char *path, int flags, unsigned long long resolve) {
    struct open_how how = {.flags = (unsigned long long) (flags | O_CLOEXEC), .resolve = resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int) fd;
}

/* The path of dst relative to the new root ("." for "/"). */
static const char *rel_of(const char *dst) {
    while (*dst == '/')
        dst++;
    return *dst ? dst : ".";
}

/* Opens dst inside the new root (O_PATH), refusing symlinks anywhere on the way. With create,
 * missing components are made (directories, and a last file when is_file) - only ever needed
 * inside fence's own tmpfs mounts, since every other target exists on the host. */
static int open_target(int root, const char *dst, bool is_file, bool create) {
    char buf[4096];
    char *comp, *save = NULL;
    int cur, fd = xopenat2(root, rel_of(dst), O_PATH, RESOLVE_IN_ROOT | RESOLVE_SAFE);

    if (fd >= 0 || fd != -ENOENT || !create)
        return fd;
    if (strlen(dst) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, rel_of(dst));
    cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return -errno;
    for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
        bool last = save == NULL || *save == '\0';
        int next = xopenat2(cur, comp, O_PATH, RESOLVE_BENEATH | RESOLVE_SAFE);

        if (next == -ENOENT) {
            int r = last && is_file ? mknodat(cur, comp, S_IFREG | 0644, 0)
                                    : mkdirat(cur, comp, 0755);
            if (r < 0 && errno != EEXIST) {
                next = -errno;
            } else {
                next = xopenat2(cur, comp, O_PATH, RESOLVE_BENEATH | RESOLVE_SAFE);
            }
        }
        close(cur);
        if (next < 0)
            return next;
        cur = next;
    }
    return cur;
}

static int set_attr(int fd, unsigned long long set, bool recursive) {
    struct mount_attr attr = {.attr_set = set, .propagation = MS_PRIVATE};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) <
        0)
        return -errno;
    return 0;
}

static int attach(int tree, int target) {
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return -errno;
    return 0;
}

/* A detached clone of a host path (resolved without following symlinks). */
static int clone_host(const char *src, unsigned long long attrs) {
    _cleanup_close_ int fd = xopenat2(AT_FDCWD, src, O_PATH, RESOLVE_SAFE);
    int tree, r;

    if (fd < 0)
        return fd;
    tree = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return -errno;
    r = set_attr(tree, attrs, true);
    if (r < 0) {
        close(tree);
        return r;
    }
    return tree;
}

static int new_fs(const char *type, const char *const *opts, unsigned long long attrs) {
    _cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
    int mnt;

    if (fs < 0)
        return -errno;
    for (size_t i = 0; opts && opts[i]; i += 2)
        if ((opts[i + 1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0)
                         : fsconfig(fs, FSCONFIG_SET_FLAG, opts[i], NULL, 0)) < 0)
            return -errno;
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -errno;
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned) attrs);
    return mnt < 0 ? -errno : mnt;
}

static int new_tmpfs(unsigned mode, bool ro) {
    char m[8];
    const char *opts[] = {"mode", m, NULL};

    snprintf(m, sizeof(m), "%04o", mode);
    return new_fs("tmpfs", opts,
                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0));
}

/* Splits dst into its parent (opened in the new root) and last name (copied into name). */
static int open_parent(int root, const char *dst, char *name, size_t size) {
    char dir[4096];
    const char *slash = strrchr(dst, '/');
    size_t n;

    if (!slash || !slash[1] || strlen(slash + 1) >= size)
        return -EINVAL;
    n = (size_t) (slash - dst);
    if (n >= sizeof(dir))
        return -ENAMETOOLONG;
    memcpy(dir, dst, n);
    dir[n] = '\0';
    strcpy(name, slash + 1);
    return open_target(root, n ? dir : "/", false, true);
}

/* Masks are all alike: the first of each kind is made, the others are clones of it (one
 * open_tree() instead of an open, a clone and a mount_setattr, or a new tmpfs superblock:
 * several per launch, one per host socket). The fds stay open until pivot_root. */
typedef struct apply_ctx {
    int root;
    int mask_file;  /* the first /dev/null mask, attached; -1 until made */
    int mask_dir;   /* the first empty read-only tmpfs mask, attached */
    bool host_proc; /* /proc is the host's (MNTF_HOST_PROC fallback taken) */
} apply_ctx;

static int mask_tree(int *first, bool dir) {
    if (*first >= 0) {
        int tree = open_tree(*first, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        return tree < 0 ? -errno : tree;
    }
    return dir ? new_tmpfs(0555, true)
               : clone_host("/dev/null", MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY);
}

static int apply_op(apply_ctx *ctx, const mntop *op) {
    _cleanup_close_ int tree = -1, tgt = -1;
    int root = ctx->root;
    bool create = op->flags & MNTF_CREATE, is_file = op->flags & MNTF_FILE;
    char name[256];
    int r;

    switch (op->kind) {
    case MNTOP_ROOT_HOST:
    case MNTOP_ROOT_TMPFS:
        return 0; /* done by the caller */
    case MNTOP_BIND:
        tree = clone_host(op->src, MOUNT_ATTR_NOSUID |
                                           (op->flags & MNTF_DEV ? 0 : MOUNT_ATTR_NODEV) |
                                           (op->flags & MNTF_RO ? MOUNT_ATTR_RDONLY : 0));
        if (tree == -ENOENT && (op->flags & MNTF_OPTIONAL))
            return 0;
        if (tree < 0)
            return tree;
        break;
    case MNTOP_TMPFS:
        tree = new_tmpfs(op->mode, op->flags & MNTF_RO);
        break;
    case MNTOP_MASK_DIR:
        tree = mask_tree(&ctx->mask_dir, true);
        break;
    case MNTOP_PROC:
        tree = new_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        /* COMPAT(containers that refuse procfs): a read-only bind of the host's, only when
         * the caller accepted that weaker level (host processes become visible) */
        if (mntplan_proc_fallback(op, tree)) {
            tree = clone_host("/proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_RDONLY);
            ctx->host_proc = true;
        }
        break;
    case MNTOP_DEVPTS: {
        static const char *const opts[] = {"newinstance", NULL,   "ptmxmode", "0666",
                                           "mode",        "0620", NULL};
        tree = new_fs("devpts", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        break;
    }
    case MNTOP_MASK_FILE:
        tree = mask_tree(&ctx->mask_file, false);
        break;
    case MNTOP_SYMLINK:
    case MNTOP_MKDIR:
        tgt = open_parent(root, op->dst, name, sizeof(name));
        if (tgt < 0)
            return tgt;
        r = op->kind == MNTOP_SYMLINK ? symlinkat(op->src, tgt, name)
                                      : mkdirat(tgt, name, op->mode);
        return r < 0 ? -errno : 0;
    case MNTOP_REBIND_RO:
    case MNTOP_SEAL_RO:
        tgt = open_target(root, op->dst, false, false);
        if (tgt == -ENOENT && (op->flags & MNTF_OPTIONAL))
            return 0;
        if (tgt < 0)
            return tgt;
        if (op->kind == MNTOP_SEAL_RO)
            return set_attr(tgt, MOUNT_ATTR_RDONLY, false);
        tree = open_tree(tgt, "",
                         AT_EMPTY_PATH | OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
            return -errno;
        r = set_attr(tree, MOUNT_ATTR_RDONLY, true);
        return r < 0 ? r : attach(tree, tgt);
    }
    if (tree < 0)
        return tree;
    tgt = open_target(root, op->dst, is_file, create);
    if (tgt == -ENOENT && (op->flags & MNTF_OPTIONAL))
        return 0;
    if (tgt < 0)
        return tgt;
    if (op->kind == MNTOP_MASK_FILE) {
        struct stat st;
        if (fstat(tgt, &st) < 0)
            return -errno;
        if (S_ISDIR(st.st_mode))
            return -EISDIR;
    }
    r = attach(tree, tgt);
    if (r >= 0 && op->kind == MNTOP_MASK_FILE && ctx->mask_file < 0)
        ctx->mask_file = TAKE_FD(tree);
    else if (r >= 0 && op->kind == MNTOP_MASK_DIR && ctx->mask_dir < 0)
        ctx->mask_dir = TAKE_FD(tree);
    return r;
}

static const char *op_verb(const mntop *op) {
    return op_name(op);
}

bool mntplan_proc_fallback(const mntop *op, int error) {
    return op->kind == MNTOP_PROC && (op->flags & MNTF_HOST_PROC) &&
           (error == -EPERM || error == -EACCES);
}

int mntplan_op_error(const mntplan *p, size_t i, int error, fence_error *err) {
    const mntop *op = &p->ops[i];

    if (op->kind == MNTOP_PROC && (error == -EPERM || error == -EACCES) &&
        !(op->flags & MNTF_HOST_PROC))
        return fence_error_set(err, FENCE_E_UNSUPPORTED, 0,
                               "mount op %zu: this host refuses a fresh /proc in the sandbox "
                               "(%s; usual in containers); to run with the host's /proc bound "
                               "read-only instead (host processes visible), accept the weaker "
                               "level with --allow-degraded=host-proc",
                               i, strerror(-error));
    if (op->src && op->kind == MNTOP_BIND)
        return fence_error_set(err, FENCE_E_SANDBOX, -error, "mount op %zu: %s '%s' on '%s'", i,
                               op_verb(op), op->src, op->dst);
    return fence_error_set(err, FENCE_E_SANDBOX, -error, "mount op %zu: %s '%s'", i, op_verb(op),
                           op->dst);
}

/* The late masks (mntplan_late), after every planned operation. */
static int apply_late(apply_ctx *ctx, const mntplan_late *late, fence_error *err) {
    const char *buf = NULL;
    size_t len = 0, at = 0;
    int r = late->wait(late->userdata, &buf, &len);

    if (r < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -r, "receiving the runtime exec denies");
    while (at < len) {
        const char *path = buf + at;
        size_t n = strnlen(path, len - at);
        mntop op = {.kind = MNTOP_MASK_FILE, .flags = MNTF_OPTIONAL, .dst = (char *) path};

        if (n == len - at || path[0] != '/')
            return fence_error_set(err, FENCE_E_SANDBOX, EBADMSG,
                                   "receiving the runtime exec denies: malformed list");
        r = apply_op(ctx, &op);
        if (r < 0)
            return fence_error_set(err, FENCE_E_SANDBOX, -r, "runtime exec deny: mask-file '%s'",
                                   path);
        at += n + 1;
    }
    return 0;
}

int mntplan_apply(const mntplan *p, const mntplan_late *late, fence_error *err) {
    _cleanup_close_ int root = -1, mask_file = -1, mask_dir = -1;
    apply_ctx ctx;
    int r;

    if (p->n == 0)
        return fence_error_set(err, FENCE_E_SANDBOX, 0, "mount plan is empty");
    /* nothing done here may propagate back to the host */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "making / private");

    if (p->ops[0].kind == MNTOP_ROOT_HOST)
        root = clone_host("/", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                       (p->ops[0].flags & MNTF_RO ? MOUNT_ATTR_RDONLY : 0));
    else
        root = new_tmpfs(0755, false);
    if (root < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, -root, "mount op 0: %s '/'",
                               op_verb(&p->ops[0]));
    /* stack the new root on "/": lookups from our root still see the host tree (sources),
     * while targets are resolved beneath the new root's fd */
    if (move_mount(root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "mount op 0: attaching the new root");

    ctx = (apply_ctx){.root = root, .mask_file = -1, .mask_dir = -1};
    for (size_t i = 1; i < p->n; i++) {
        const mntop *op = &p->ops[i];
        r = apply_op(&ctx, op);
        mask_file = ctx.mask_file; /* closed on every way out */
        mask_dir = ctx.mask_dir;
        if (r < 0)
            return mntplan_op_error(p, i, r, err);
    }
    if (late) {
        r = apply_late(&ctx, late, err);
        mask_file = ctx.mask_file;
        mask_dir = ctx.mask_dir;
        if (r < 0)
            return r;
    }
    if (p->allowlist && set_attr(root, MOUNT_ATTR_RDONLY, false) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "sealing the allowlist root");

    if (fchdir(root) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "entering the new root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "pivot_root");
    /* the old root now sits on top of the new one: detach it, host tree and all */
    if (umount2(".", MNT_DETACH) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "detaching the host root");
    if (chdir(p->chdir ? p->chdir : "/") < 0 && chdir("/") < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "chdir '/'");
    return ctx.host_proc ? 1 : 0;
}
