/* SPDX-License-Identifier: MIT */
/* The git control paths a sandbox must not write; see gitscan.h. */
#include "enforce/linux/gitscan.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/fspol.h"
#include "util/cleanup.h"
#include "util/path.h"

#define CFG_NAME_MAX  512
#define CFG_VALUE_MAX 4096
/* Nesting of includes and of commondir/modules links followed. */
#define GITSCAN_MAX_DEPTH 8

/* ------------------------------------------------------------------------------------------
 * Config syntax (git-config(1) "CONFIGURATION FILE"): sections, subsections, quoted values,
 * escapes, comments and continuation lines.
 */

static const char *skip_blank(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    return s;
}

static const char *next_line(const char *s) {
    const char *e = strchr(s, '\n');
    return e ? e + 1 : s + strlen(s);
}

/* "[name]" or "[name \"sub\"]" at s (on '['). Returns the end (after ']') or NULL. */
static const char *parse_section(const char *s, char *sec, size_t size) {
    size_t k = 0;

    for (s++; isalnum((unsigned char) *s) || *s == '-' || *s == '.'; s++)
        if (k + 1 < size)
            sec[k++] = (char) tolower((unsigned char) *s);
    if (*s == ' ' || *s == '\t') {
        s = skip_blank(s);
        if (*s++ != '"')
            return NULL;
        if (k + 1 < size)
            sec[k++] = '.';
        for (; *s && *s != '"' && *s != '\n'; s++) {
            if (*s == '\\' && s[1] && s[1] != '\n')
                s++;
            if (k + 1 < size)
                sec[k++] = *s;
        }
        if (*s++ != '"')
            return NULL;
    }
    sec[k] = '\0';
    return *s == ']' && k > 0 && k + 1 < size ? s + 1 : NULL;
}

/* A value after "=": returns the position after it (after its line). *ok false when too long. */
static const char *parse_value(const char *s, char *val, bool *ok) {
    size_t k = 0, keep = 0;
    bool quoted = false;

    *ok = true;
    s = skip_blank(s);
    for (; *s && *s != '\n'; s++) {
        char c = *s;

        if (c == '\\') {
            if (s[1] == '\n') { /* continuation */
                s++;
                continue;
            }
            c = s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' : s[1] == 'b' ? '\b' : s[1];
            if (!c)
                break;
            s++;
        } else if (c == '"') {
            quoted = !quoted;
            keep = k;
            continue;
        } else if (!quoted && (c == '#' || c == ';')) {
            break;
        }
        if (k + 1 >= CFG_VALUE_MAX) {
            *ok = false;
            break;
        }
        val[k++] = c;
        if (quoted || (*s != ' ' && *s != '\t' && *s != '\r') || s[-1] == '\\')
            keep = k;
    }
    val[keep] = '\0';
    return next_line(s);
}

int gitscan_parse_config(const char *text, int (*fn)(void *u, const char *key, const char *value),
                         void *u) {
    char sec[CFG_NAME_MAX] = "", key[CFG_NAME_MAX * 2];
    _cleanup_free_ char *val = malloc(CFG_VALUE_MAX);
    const char *s = text;

    if (!val)
        return -ENOMEM;
    while (*s) {
        size_t k, sn;
        bool ok;
        int r;

        s = skip_blank(s);
        if (*s == '[') {
            const char *e = parse_section(s, sec, sizeof(sec));
            if (!e) {
                sec[0] = '\0';
                s = next_line(s);
                continue;
            }
            s = skip_blank(e); /* a key may follow on the same line */
        }
        if (!isalpha((unsigned char) *s) || !sec[0]) {
            s = next_line(s);
            continue;
        }
        sn = strlen(sec);
        memcpy(key, sec, sn);
        key[sn] = '.';
        for (k = sn + 1; isalnum((unsigned char) *s) || *s == '-'; s++)
            if (k + 1 < sizeof(key))
                key[k++] = (char) tolower((unsigned char) *s);
        key[k] = '\0';
        s = skip_blank(s);
        if (*s == '=') {
            s = parse_value(s + 1, val, &ok);
            if (!ok)
                continue;
        } else {
            strcpy(val, "true");
            s = next_line(s);
        }
        r = fn(u, key, val);
        if (r != 0)
            return r;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The scan
 */

static const char *base_of(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

typedef struct scan {
    const host_facts *f;
    bool allow_git_config;
    gitscan_result *res;
    strv seen_dirs;    /* git directories visited */
    strv seen_configs; /* config files parsed */
    strv global_hooks; /* relative core.hooksPath of the global configs: per work tree */
} scan;

static int add_note(scan *s, const char *what, const char *path) {
    char line[600];

    snprintf(line, sizeof(line), "git: %s '%s'", what, path);
    return strv_contains(&s->res->notes, line) ? 0 : strv_push(&s->res->notes, line);
}

/* A bound reached: noted, and the result marked truncated (fails closed in the caller). */
static int truncated(scan *s, const char *what, const char *path) {
    if (!s->res->truncated) {
        s->res->truncated = true;
        snprintf(s->res->truncated_at, sizeof(s->res->truncated_at), "%s '%s'", what, path);
    }
    return add_note(s, what, path);
}

/* The canonical form of path, existing or not: its longest existing prefix resolved. */
static char *canonical(scan *s, const char *path, unsigned depth) {
    hostfs_entry e = {0};
    _cleanup_free_ char *dir = NULL, *cdir = NULL;

    if (s->f->fs->resolve(s->f->fs_data, path, &e) == 0)
        return e.canonical;
    if (streq(path, "/") || depth > 64)
        return path_clean(path);
    dir = path_dir(path);
    cdir = dir ? canonical(s, dir, depth + 1) : NULL;
    return cdir ? path_join(cdir, base_of(path)) : NULL;
}

static int protect(scan *s, const char *path) {
    char *c;

    if (s->res->protect.n >= GITSCAN_MAX_PROTECT)
        return truncated(s, "too many git control paths at", path);
    c = canonical(s, path, 0);
    if (!c)
        return -ENOMEM;
    if (strv_contains(&s->res->protect, c)) {
        free(c);
        return 0;
    }
    return strv_push_take(&s->res->protect, c);
}

/* value relative to base (a directory), "~/" relative to home. NULL when it cannot be made
 * absolute (*ret_oom tells allocation failures). */
static char *locate(scan *s, const char *value, const char *base, bool *ret_oom) {
    char *p = NULL;

    *ret_oom = false;
    if (!*value)
        return NULL;
    if (value[0] == '~' && (value[1] == '/' || !value[1]))
        p = s->f->home ? path_join(s->f->home, value + 1) : NULL;
    else if (path_is_abs(value))
        p = path_clean(value);
    else if (base)
        p = path_join(base, value);
    else
        return NULL;
    *ret_oom = !p && (s->f->home || value[0] != '~');
    return p;
}

/* A core.hooksPath directory; husky >= 9 points it at ".husky/_", whose wrappers run the
 * scripts one level up. */
static int protect_hooks(scan *s, const char *dir) {
    int r = protect(s, dir);

    if (r >= 0 && streq(base_of(dir), "_")) {
        _cleanup_free_ char *up = path_dir(dir);
        r = up ? protect(s, up) : -ENOMEM;
    }
    return r;
}

typedef struct cfg_ctx {
    scan *s;
    const char *dir;      /* the config file's directory (includes are relative to it) */
    const char *worktree; /* the work tree relative hooksPath is taken from, or NULL (global) */
    unsigned depth;
    int err;
} cfg_ctx;

static int parse_file(scan *s, const char *path, const char *worktree, bool global, unsigned depth);

static int on_key(void *u, const char *key, const char *value) {
    cfg_ctx *c = u;
    size_t kn = strlen(key);
    _cleanup_free_ char *p = NULL;
    bool oom;
    int r = 0;

    if (streq(key, "core.hookspath")) {
        if (!c->worktree && !path_is_abs(value) && value[0] != '~')
            /* relative in a global config: relative to each repository's work tree */
            return strv_contains(&c->s->global_hooks, value)
                           ? 0
                           : (strv_push(&c->s->global_hooks, value) < 0 ? -ENOMEM : 0);
        p = locate(c->s, value, c->worktree, &oom);
        r = p ? protect_hooks(c->s, p) : oom ? -ENOMEM : 0;
    } else if (streq(key, "include.path") ||
               (strncmp(key, "includeif.", 10) == 0 && kn > 15 && streq(key + kn - 5, ".path"))) {
        p = locate(c->s, value, c->dir, &oom);
        if (p) {
            r = protect(c->s, p);
            if (r >= 0)
                r = parse_file(c->s, p, c->worktree, !c->worktree, c->depth + 1);
        } else if (oom) {
            r = -ENOMEM;
        }
    }
    return r < 0 ? r : 0;
}

/* Parses one config file for hooksPath and includes. */
static int parse_file(scan *s, const char *path, const char *worktree, bool global,
                      unsigned depth) {
    _cleanup_free_ char *text = NULL, *dir = NULL;
    cfg_ctx c = {.s = s, .worktree = global ? NULL : worktree, .depth = depth};
    int r;

    if (!s->f->fs->read || strv_contains(&s->seen_configs, path))
        return 0;
    r = s->f->fs->read(s->f->fs_data, path, PROBE_READ_MAX, &text);
    if (r == -ENOMEM)
        return r;
    if (r == -ENOENT || r == -ENOTDIR)
        return 0; /* only configs that exist count against the bound */
    if (depth > GITSCAN_MAX_DEPTH)
        return truncated(s, "config includes nested too deep at", path);
    if (s->seen_configs.n >= GITSCAN_MAX_CONFIGS)
        return truncated(s, "too many git config files at", path);
    r = strv_push(&s->seen_configs, path);
    if (r < 0)
        return r;
    if (!text)
        return add_note(s, "cannot read config", path);
    dir = path_dir(path);
    if (!dir)
        return -ENOMEM;
    c.dir = dir;
    return gitscan_parse_config(text, on_key, &c);
}

static int on_worktree_key(void *u, const char *key, const char *value) {
    char **ret = u;

    if (!streq(key, "core.worktree"))
        return 0;
    free(*ret);
    *ret = strdup(value);
    return *ret ? 0 : -ENOMEM;
}

/* core.worktree of a git directory's config (a submodule's names its work tree), or NULL. */
static int core_worktree(scan *s, const char *cfg, char **ret) {
    _cleanup_free_ char *text = NULL;
    int r;

    *ret = NULL;
    if (!s->f->fs->read || s->f->fs->read(s->f->fs_data, cfg, PROBE_READ_MAX, &text) < 0)
        return 0;
    r = gitscan_parse_config(text, on_worktree_key, ret);
    if (r < 0) {
        free(*ret);
        *ret = NULL;
    }
    return r;
}

/* The first line of a small file, trimmed (".git" files, commondir, gitdir). */
static int read_line(scan *s, const char *path, char **ret) {
    char *text = NULL;
    int r;

    *ret = NULL;
    if (!s->f->fs->read)
        return 0;
    r = s->f->fs->read(s->f->fs_data, path, PROBE_READ_MAX, &text);
    if (r < 0)
        return r == -ENOMEM ? r : 0;
    text[strcspn(text, "\r\n")] = '\0';
    *ret = text;
    return 0;
}

static int git_dir(scan *s, const char *dir, const char *worktree, unsigned depth);

/* D/modules: each submodule's git directory, at any depth (names may contain '/'). */
static int modules(scan *s, const char *dir, unsigned depth) {
    _cleanup_free_ char *pattern = path_join(dir, "*");
    strv sub = {0};
    bool trunc = false;
    int r;

    if (!pattern)
        return -ENOMEM;
    if (depth > GITSCAN_MAX_DEPTH)
        return truncated(s, "git submodules nested too deep at", dir);
    r = s->f->fs->glob(s->f->fs_data, pattern, &sub, &trunc);
    if (r >= 0 && trunc)
        r = truncated(s, "too many entries in", dir);
    for (size_t i = 0; r >= 0 && i < sub.n; i++) {
        _cleanup_free_ char *head = path_join(sub.v[i], "HEAD");
        hostfs_entry e = {0};

        if (!head) {
            r = -ENOMEM;
            break;
        }
        if (s->f->fs->resolve(s->f->fs_data, sub.v[i], &e) < 0)
            continue;
        if (e.is_dir) {
            hostfs_entry h = {0};
            if (s->f->fs->resolve(s->f->fs_data, head, &h) == 0)
                r = git_dir(s, e.canonical, NULL, depth + 1);
            else
                r = modules(s, e.canonical, depth + 1);
            free(h.canonical);
        }
        free(e.canonical);
    }
    strv_done(&sub);
    return r;
}

/* D/worktrees/X: their control files and the ".git" file of each linked work tree. */
static int worktrees(scan *s, const char *dir) {
    _cleanup_free_ char *pattern = path_join(dir, "*");
    strv wt = {0};
    bool trunc = false;
    int r;

    if (!pattern)
        return -ENOMEM;
    r = s->f->fs->glob(s->f->fs_data, pattern, &wt, &trunc);
    if (r >= 0 && trunc)
        r = truncated(s, "too many entries in", dir);
    for (size_t i = 0; r >= 0 && i < wt.n; i++) {
        _cleanup_free_ char *gitdir = path_join(wt.v[i], "gitdir"), *dotgit = NULL;
        _cleanup_free_ char *tree = NULL, *cfg = path_join(wt.v[i], "config.worktree");

        if (!gitdir || !cfg) {
            r = -ENOMEM;
            break;
        }
        for (size_t k = 0; r >= 0 && fspol_git_control_files[k]; k++) {
            _cleanup_free_ char *p = path_join(wt.v[i], fspol_git_control_files[k]);
            r = p ? protect(s, p) : -ENOMEM;
        }
        if (r >= 0)
            r = read_line(s, gitdir, &dotgit);
        if (r >= 0 && dotgit && path_is_abs(dotgit)) {
            r = protect(s, dotgit);
            tree = r >= 0 ? path_dir(dotgit) : NULL;
            if (r >= 0 && !tree)
                r = -ENOMEM;
        }
        if (r >= 0)
            r = parse_file(s, cfg, tree, false, 0);
    }
    strv_done(&wt);
    return r;
}

/* A git directory (canonical): its control files, its config's hooksPath and includes, the
 * common directory it points at, its submodules and linked work trees. worktree: its work
 * tree, NULL when unknown (then core.worktree is used). */
static int git_dir(scan *s, const char *dir, const char *worktree, unsigned depth) {
    _cleanup_free_ char *cfg = NULL, *common = NULL, *core_wt = NULL, *tree = NULL;
    _cleanup_free_ char *sub = NULL;
    bool oom = false;
    int r = 0;

    if (strv_contains(&s->seen_dirs, dir))
        return 0;
    if (depth > GITSCAN_MAX_DEPTH)
        return truncated(s, "git directories linked too deep at", dir);
    if (s->seen_dirs.n >= GITSCAN_MAX_GIT_DIRS)
        return truncated(s, "too many git directories at", dir);
    r = strv_push(&s->seen_dirs, dir);
    if (r >= 0 && streq(base_of(dir), ".git") && !strv_contains(&s->res->git_dirs, dir))
        r = strv_push(&s->res->git_dirs, dir);
    if (r >= 0) {
        _cleanup_free_ char *hooks = path_join(dir, "hooks");
        r = hooks ? protect(s, hooks) : -ENOMEM;
    }
    for (size_t k = 0; r >= 0 && fspol_git_control_files[k]; k++) {
        _cleanup_free_ char *p = NULL;
        if (s->allow_git_config && streq(fspol_git_control_files[k], "config"))
            continue;
        p = path_join(dir, fspol_git_control_files[k]);
        r = p ? protect(s, p) : -ENOMEM;
    }
    if (r < 0)
        return r;

    cfg = path_join(dir, "config");
    if (!cfg)
        return -ENOMEM;
    if (!worktree) {
        r = core_worktree(s, cfg, &core_wt);
        if (r >= 0 && core_wt && !(worktree = tree = locate(s, core_wt, dir, &oom)) && oom)
            r = -ENOMEM;
    }
    if (r >= 0)
        r = parse_file(s, cfg, worktree, false, 0);
    for (size_t i = 0; r >= 0 && worktree && i < s->global_hooks.n; i++) {
        _cleanup_free_ char *h = path_join(worktree, s->global_hooks.v[i]);
        r = h ? protect_hooks(s, h) : -ENOMEM;
    }
    if (r >= 0) {
        _cleanup_free_ char *p = path_join(dir, "commondir");
        r = p ? read_line(s, p, &common) : -ENOMEM;
    }
    if (r >= 0 && common && *common) {
        _cleanup_free_ char *c = locate(s, common, dir, &oom);
        hostfs_entry e = {0};
        if (c && s->f->fs->resolve(s->f->fs_data, c, &e) == 0 && e.is_dir)
            r = git_dir(s, e.canonical, worktree, depth + 1);
        else if (oom)
            r = -ENOMEM;
        free(e.canonical);
    }
    if (r >= 0)
        r = (sub = path_join(dir, "modules")) ? modules(s, sub, depth) : -ENOMEM;
    free(sub);
    if (r >= 0)
        r = (sub = path_join(dir, "worktrees")) ? worktrees(s, sub) : -ENOMEM;
    return r;
}

/* A ".git" name: a directory, or a file "gitdir: X" (submodules, linked work trees). */
static int dot_git(scan *s, const char *path) {
    _cleanup_free_ char *tree = path_dir(path), *line = NULL, *target = NULL;
    hostfs_entry e = {0};
    bool oom = false;
    int r;

    if (!tree)
        return -ENOMEM;
    if (s->f->fs->resolve(s->f->fs_data, path, &e) < 0)
        return 0;
    if (e.is_dir) {
        r = git_dir(s, e.canonical, tree, 0);
        free(e.canonical);
        return r;
    }
    free(e.canonical);
    r = protect(s, path);
    if (r >= 0)
        r = read_line(s, path, &line);
    if (r < 0 || !line || strncmp(line, "gitdir:", 7) != 0)
        return r;
    target = locate(s, skip_blank(line + 7), tree, &oom);
    if (!target)
        return oom ? -ENOMEM : 0;
    e = (hostfs_entry){0};
    if (s->f->fs->resolve(s->f->fs_data, target, &e) < 0 || !e.is_dir) {
        free(e.canonical);
        return 0;
    }
    r = git_dir(s, e.canonical, tree, 0);
    free(e.canonical);
    return r;
}

/* Global configs: protected themselves (but /etc/gitconfig, which the sandbox cannot write
 * anyway), read for hooksPath and includes. */
static int globals(scan *s) {
    const host_facts *f = s->f;
    _cleanup_free_ char *xdg =
            f->xdg_config_home ? path_join(f->xdg_config_home, "git/config") : NULL;
    int r = parse_file(s, "/etc/gitconfig", NULL, true, 0);

    if (f->xdg_config_home && !xdg)
        return -ENOMEM;
    for (size_t i = 0; r >= 0 && f->home && fspol_dangerous_home_paths[i]; i++) {
        _cleanup_free_ char *p = fspol_normalize(fspol_dangerous_home_paths[i], f->cwd, f->home);
        r = p ? protect(s, p) : -ENOMEM;
        if (r >= 0)
            r = parse_file(s, p, NULL, true, 0);
    }
    if (r >= 0 && f->home) {
        _cleanup_free_ char *p = path_join(f->home, ".gitconfig");
        r = p ? parse_file(s, p, NULL, true, 0) : -ENOMEM;
    }
    if (r >= 0 && xdg) {
        r = protect(s, xdg);
        if (r >= 0)
            r = parse_file(s, xdg, NULL, true, 0);
    }
    return r;
}

int gitscan_collect(const host_facts *f, const strv *dot_gits, const strv *roots,
                    bool allow_git_config, gitscan_result *ret) {
    scan s = {.f = f, .allow_git_config = allow_git_config, .res = ret};
    int r;

    *ret = (gitscan_result){0};
    r = globals(&s);
    for (size_t i = 0; r >= 0 && dot_gits && i < dot_gits->n; i++)
        r = dot_git(&s, dot_gits->v[i]);
    /* the repositories enclosing each root: every ".git" up to "/" (moving a nearer one aside
     * makes git use the next) */
    for (size_t i = 0; r >= 0 && roots && i < roots->n; i++) {
        _cleanup_free_ char *d = path_clean(roots->v[i]);

        for (unsigned n = 0; r >= 0 && d && n < 4096; n++) {
            _cleanup_free_ char *g = path_join(d, ".git");
            char *up;

            r = g ? dot_git(&s, g) : -ENOMEM;
            if (streq(d, "/"))
                break;
            up = path_dir(d);
            free(d);
            d = up;
        }
        if (r >= 0 && !d)
            r = -ENOMEM;
    }
    strv_done(&s.seen_dirs);
    strv_done(&s.seen_configs);
    strv_done(&s.global_hooks);
    return r < 0 ? r : 0;
}

void gitscan_result_done(gitscan_result *r) {
    strv_done(&r->git_dirs);
    strv_done(&r->protect);
    strv_done(&r->notes);
}
