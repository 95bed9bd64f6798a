/* SPDX-License-Identifier: MIT */
/*
 * Path-mode runtime exec deny: resolution of single-token deny rules and multicall detection.
 * See execdeny.h. Resolution follows the Go tool: a token with a '/' names one file (relative to
 * cwd); a bare name is looked up on $PATH (first executable match) and in each of the common
 * binary directories; every hit is canonicalised (symlinks resolved, so a usr-merged /bin/x
 * masks /usr/bin/x). Multicall detection probes the critical command names, the deny tokens and
 * the targets' own names in the targets' directories, $PATH and the common directories, and
 * compares (device, inode).
 */
#include "enforce/linux/execdeny.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/cmdpol.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/path.h"

/* Commands whose collateral loss would break ordinary scripts, most alarming first: the short
 * warning shows the first three (tier 1: coreutils and busybox; tier 2: busybox only). */
static const char *const critical[] = {
        "cat",      "head",  "tail",     "echo",   "sort",  "wc",      "cut",   "tr",
        "uniq",     "[",     "basename", "cp",     "date",  "dirname", "env",   "false",
        "id",       "ls",    "mkdir",    "mktemp", "mv",    "printf",  "pwd",   "readlink",
        "realpath", "rmdir", "tee",      "test",   "touch", "true",    "uname", "whoami",
        "grep",     "sed",   "awk",      "find",   "xargs", NULL,
};

static const char *const common_dirs[] = {"/usr/bin",          "/bin",           "/usr/local/bin",
                                          "/opt/homebrew/bin", "/opt/local/bin", NULL};

typedef struct target {
    const char *token; /* borrowed from the compiled policy */
    char *path;
} target;

typedef struct candidate {
    char *name;
    dev_t dev;
    ino_t ino;
} candidate;

/* Which of the names the resolver looks for one directory holds, read once. Probing every deny
 * token and critical name in every $PATH directory with stat() took ~1,000 lookups and several ms
 * of each launch on a host with a long $PATH; one listing per directory answers "absent" without a
 * lookup. */
typedef struct dirlist {
    char *dir;
    strv names;  /* sorted */
    bool listed; /* false: could not be read (or too large): fall back to stat() */
    dev_t dev;   /* the directory's identity: /bin and /usr/bin are read once */
    ino_t ino;
} dirlist;

#define EXECDENY_DIRLIST_MAX 100000 /* entries kept per directory */

typedef struct resolver {
    const execdeny_facts *facts;
    strv wanted; /* sorted: the critical names and the deny tokens with their basenames */
    dirlist *lists;
    size_t n_lists, cap_lists;
    cmdpol *pol;
    target *t;
    size_t n_t, cap_t;
    strv deny_tokens; /* tokens and their basenames */
    strv dirs;
    candidate *cand;
    size_t n_cand, cap_cand;
} resolver;

static void resolver_done(resolver *rs) {
    for (size_t i = 0; i < rs->n_t; i++)
        free(rs->t[i].path);
    free(rs->t);
    for (size_t i = 0; i < rs->n_cand; i++)
        free(rs->cand[i].name);
    free(rs->cand);
    strv_done(&rs->deny_tokens);
    strv_done(&rs->dirs);
    for (size_t i = 0; i < rs->n_lists; i++) {
        free(rs->lists[i].dir);
        strv_done(&rs->lists[i].names);
    }
    free(rs->lists);
    strv_done(&rs->wanted);
    cmdpol_free(rs->pol);
}

static int critical_index(const char *name) {
    for (int i = 0; critical[i]; i++)
        if (streq(critical[i], name))
            return i;
    return -1;
}

/* Go's filepath.Base as a new string. */
static char *base_dup(const char *p) {
    size_t len;
    const char *b = cmdparse_basename(p, strlen(p), &len);

    return strndup(b, len);
}

static bool is_file(const char *p, struct stat *ret) {
    struct stat st;

    if (stat(p, &st) < 0 || S_ISDIR(st.st_mode))
        return false;
    if (ret)
        *ret = st;
    return true;
}

static bool is_dir(const char *p) {
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int grow(void *v, size_t *cap, size_t n, size_t elem);

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Reads which of the wanted names dir holds into l; l->listed stays false when dir cannot be
 * read whole. */
static int list_dir(const strv *wanted, dirlist *l) {
    DIR *d = opendir(l->dir);
    struct dirent *e;
    size_t seen = 0;
    int r = 0;

    if (!d)
        return errno == ENOMEM ? -ENOMEM : 0;
    errno = 0;
    while ((e = readdir(d)) && ++seen <= EXECDENY_DIRLIST_MAX) {
        const char *name = e->d_name;

        if (wanted->n && bsearch(&name, wanted->v, wanted->n, sizeof(char *), cmp_name)) {
            r = strv_push(&l->names, name);
            if (r < 0)
                break;
        }
    }
    if (r >= 0 && !e && errno == 0) {
        l->listed = true;
        if (l->names.n > 1)
            qsort(l->names.v, l->names.n, sizeof(char *), cmp_name);
    }
    closedir(d);
    return r < 0 ? r : 0;
}

/* Whether dir/name is a non-directory (following symlinks), with its stat in *ret. Looks the
 * name up in dir's listing first. 1 yes, 0 no, -ENOMEM. */
static int file_in(resolver *rs, const char *dir, const char *name, struct stat *ret) {
    _cleanup_free_ char *p = NULL;
    dirlist *l = NULL, *same = NULL;
    struct stat st;
    bool have;

    for (size_t i = 0; i < rs->n_lists && !l; i++)
        if (streq(rs->lists[i].dir, dir))
            l = &rs->lists[i];
    if (!l) {
        if (grow(&rs->lists, &rs->cap_lists, rs->n_lists, sizeof(*rs->lists)) < 0)
            return -ENOMEM;
        l = &rs->lists[rs->n_lists];
        *l = (dirlist){.dir = strdup(dir)};
        if (!l->dir)
            return -ENOMEM;
        rs->n_lists++;
        have = stat(dir, &st) == 0;
        if (have) {
            l->dev = st.st_dev;
            l->ino = st.st_ino;
            for (size_t i = 0; i + 1 < rs->n_lists && !same; i++)
                if (rs->lists[i].listed && rs->lists[i].dev == st.st_dev &&
                    rs->lists[i].ino == st.st_ino)
                    same = &rs->lists[i];
        }
        if (same) {
            for (size_t i = 0; i < same->names.n; i++)
                if (strv_push(&l->names, same->names.v[i]) < 0)
                    return -ENOMEM;
            l->listed = true;
        } else if (have && list_dir(&rs->wanted, l) < 0)
            return -ENOMEM;
    }
    if (l->listed && rs->wanted.n &&
        bsearch(&name, rs->wanted.v, rs->wanted.n, sizeof(char *), cmp_name) &&
        (!l->names.n || !bsearch(&name, l->names.v, l->names.n, sizeof(char *), cmp_name)))
        return 0; /* a name the listing looked for and did not see */
    p = path_join(dir, name);
    if (!p)
        return -ENOMEM;
    return is_file(p, ret) ? 1 : 0;
}

/* realpath(), or the path itself when it cannot be resolved. */
static char *canonical(const char *p) {
    char *r = realpath(p, NULL);

    return r ? r : strdup(p);
}

/* Room for one more element in a heap vector *v of *cap elements holding n (doubling). */
static int grow(void *v, size_t *cap, size_t n, size_t elem) {
    void **vp = v, *nv;
    size_t ncap;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    nv = realloc(*vp, ncap * elem);
    if (!nv)
        return -ENOMEM;
    *vp = nv;
    *cap = ncap;
    return 0;
}

static int add_target(resolver *rs, const char *token, const char *found) {
    _cleanup_free_ char *path = canonical(found);

    if (!path)
        return -ENOMEM;
    for (size_t i = 0; i < rs->n_t; i++)
        if (rs->t[i].token == token && streq(rs->t[i].path, path))
            return 0;
    if (grow(&rs->t, &rs->cap_t, rs->n_t, sizeof(*rs->t)) < 0)
        return -ENOMEM;
    rs->t[rs->n_t++] = (target){.token = token, .path = TAKE_PTR(path)};
    return 0;
}

/* Calls fn(dir) for each absolute entry of $PATH. Relative entries are skipped: they would
 * depend on fence's own working directory (Go's LookPath refuses them too, ErrDot). */
static int for_each_path_dir(const char *path_env, int (*fn)(resolver *, const char *, void *),
                             resolver *rs, void *userdata) {
    const char *p = path_env;

    while (p && *p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t) (colon - p) : strlen(p);
        _cleanup_free_ char *dir = strndup(p, n);
        int r;

        if (!dir)
            return -ENOMEM;
        if (dir[0] == '/') {
            r = fn(rs, dir, userdata);
            if (r != 0)
                return r;
        }
        p = colon ? colon + 1 : p + n;
    }
    return 0;
}

/* $PATH lookup: the first regular file with an execute bit (1 = found, stop). */
static int lookpath_dir(resolver *rs, const char *dir, void *userdata) {
    const char *token = userdata;
    _cleanup_free_ char *p = NULL;
    struct stat st;
    int r = file_in(rs, dir, token, &st);

    if (r <= 0)
        return r;
    if (!(st.st_mode & 0111))
        return 0;
    p = path_join(dir, token);
    if (!p)
        return -ENOMEM;
    return add_target(rs, token, p) < 0 ? -ENOMEM : 1;
}

static int resolve_token(resolver *rs, const char *token) {
    int r;

    if (strchr(token, '/')) {
        _cleanup_free_ char *abs = NULL;

        if (token[0] == '/')
            abs = strdup(token);
        else if (rs->facts->cwd)
            abs = path_join(rs->facts->cwd, token);
        else
            return 0;
        if (!abs)
            return -ENOMEM;
        return is_file(abs, NULL) ? add_target(rs, token, abs) : 0;
    }
    r = for_each_path_dir(rs->facts->path_env, lookpath_dir, rs, (void *) token);
    if (r < 0)
        return r;
    for (const char *const *d = common_dirs; *d; d++) {
        _cleanup_free_ char *p = NULL;

        r = file_in(rs, *d, token, NULL);
        if (r <= 0) {
            if (r < 0)
                return r;
            continue;
        }
        p = path_join(*d, token);
        if (!p || add_target(rs, token, p) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int add_dir(resolver *rs, const char *dir, void *userdata) {
    (void) userdata;
    if (strv_contains(&rs->dirs, dir) || !is_dir(dir))
        return 0;
    return strv_push(&rs->dirs, dir);
}

static int add_probe(strv *names, const char *name) {
    _cleanup_free_ char *b = base_dup(name);

    if (!b)
        return -ENOMEM;
    if (b[0] == '\0' || streq(b, ".") || streq(b, "/") || strv_contains(names, b))
        return 0;
    return strv_push(names, b);
}

/* Every (dir, probe name) that exists, with its identity. */
static int build_candidates(resolver *rs) {
    strv names = {0};
    int r = 0;

    for (size_t i = 0; i < rs->n_t && r >= 0; i++)
        r = add_probe(&names, rs->t[i].path);
    for (size_t i = 0; critical[i] && r >= 0; i++)
        r = add_probe(&names, critical[i]);
    for (size_t i = 0; i < rs->deny_tokens.n && r >= 0; i++)
        r = add_probe(&names, rs->deny_tokens.v[i]);
    for (size_t i = 0; i < rs->n_t && r >= 0; i++) {
        _cleanup_free_ char *d = path_dir(rs->t[i].path);
        r = d ? add_dir(rs, d, NULL) : -ENOMEM;
    }
    if (r >= 0)
        r = for_each_path_dir(rs->facts->path_env, add_dir, rs, NULL);
    for (const char *const *d = common_dirs; *d && r >= 0; d++)
        r = add_dir(rs, *d, NULL);
    for (size_t d = 0; d < rs->dirs.n && r >= 0; d++)
        for (size_t k = 0; k < names.n && r >= 0; k++) {
            struct stat st;

            r = file_in(rs, rs->dirs.v[d], names.v[k], &st);
            if (r <= 0)
                continue;
            if (grow(&rs->cand, &rs->cap_cand, rs->n_cand, sizeof(*rs->cand)) < 0) {
                r = -ENOMEM;
                break;
            }
            rs->cand[rs->n_cand] =
                    (candidate){.name = strdup(names.v[k]), .dev = st.st_dev, .ino = st.st_ino};
            if (!rs->cand[rs->n_cand].name)
                r = -ENOMEM;
            else
                rs->n_cand++, r = 0;
        }
    strv_done(&names);
    return r;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int cmp_critical(const void *a, const void *b) {
    return critical_index(*(char *const *) a) - critical_index(*(char *const *) b);
}

static bool accepted(const strv *accept, const char *token) {
    _cleanup_free_ char *tb = base_dup(token);

    for (size_t i = 0; tb && i < accept->n; i++) {
        _cleanup_free_ char *ab = base_dup(accept->v[i]);

        if (streq(accept->v[i], token) || (ab && streq(ab, tb)))
            return true;
    }
    return false;
}

/* The warning for a target whose binary also implements critical commands, or NULL in *ret when
 * there is no collateral damage. Returns 1 when the mask is to be skipped (accepted). */
static int check_shared(resolver *rs, const struct fence_config *cfg, const target *t, char **ret) {
    _cleanup_free_ char *tb = base_dup(t->token);
    _cleanup_(fbuf_done) fbuf w = FBUF_INIT(64 * 1024);
    strv names = {0}, crit = {0}, other = {0};
    struct stat st;
    size_t shown;
    int r = 0;

    *ret = NULL;
    if (!tb)
        return -ENOMEM;
    if (stat(t->path, &st) < 0)
        return 0;
    for (size_t i = 0; i < rs->n_cand && r >= 0; i++)
        if (rs->cand[i].dev == st.st_dev && rs->cand[i].ino == st.st_ino &&
            !strv_contains(&names, rs->cand[i].name))
            r = strv_push(&names, rs->cand[i].name);
    for (size_t i = 0; i < names.n && r >= 0; i++) {
        const char *n = names.v[i];

        if (streq(n, tb) || strv_contains(&rs->deny_tokens, n))
            continue;
        r = critical_index(n) >= 0 ? strv_push(&crit, n) : strv_push(&other, n);
    }
    if (r < 0 || names.n <= 1 || crit.n == 0)
        goto out;
    if (accepted(&cfg->command.accept_shared_binary_cannot_runtime_deny, t->token)) {
        r = 1;
        goto out;
    }
    qsort(crit.v, crit.n, sizeof(char *), cmp_critical);
    r = fbuf_printf(&w,
                    EXECDENY_WARNING_PREFIX "runtime exec deny warning for %s (requested: "
                                            "%s): shared binary also implements critical "
                                            "commands [",
                    t->path, t->token);
    shown = rs->facts->debug || crit.n < 3 ? crit.n : 3;
    for (size_t i = 0; i < shown && r >= 0; i++)
        r = fbuf_printf(&w, "%s%s", i ? " " : "", crit.v[i]);
    if (rs->facts->debug) {
        if (other.n > 1)
            qsort(other.v, other.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < other.n && r >= 0; i++)
            r = fbuf_printf(&w, " %s", other.v[i]);
    } else if (names.n - 1 > shown && r >= 0)
        r = fbuf_printf(&w, " +%zu more detected aliases, use --debug for expanded details",
                        names.n - 1 - shown);
    if (r >= 0)
        r = fbuf_puts(&w, "], which will be collaterally blocked. To skip runtime blocking of ");
    if (r >= 0)
        r = cmdpol_quote(&w, tb);
    if (r >= 0)
        r = fbuf_puts(&w, " and silence this warning, add it to "
                          "\"acceptSharedBinaryCannotRuntimeDeny\" in your command config.");
    if (r >= 0) {
        *ret = fbuf_steal(&w);
        r = *ret ? 0 : -ENOMEM;
    }
out:
    strv_done(&names);
    strv_done(&crit);
    strv_done(&other);
    return r < 0 ? -ENOMEM : r;
}

static void strv_remove(strv *l, const char *s) {
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        if (streq(l->v[i], s))
            free(l->v[i]);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
    if (l->v)
        l->v[k] = NULL;
}

static int resolve(resolver *rs, const struct fence_config *cfg, strv *paths, strv *warnings) {
    strv seen = {0};
    int r;

    r = cmdpol_new(cfg, &rs->pol);
    if (r < 0)
        return r;
    for (cmdpol_list l = CMDPOL_DENY; l <= CMDPOL_DEFAULT && r >= 0; l++)
        for (size_t i = 0; i < rs->pol->n_rules[l] && r >= 0; i++) {
            const char *tok = cmdpol_rule_runtime_token(&rs->pol->rules[l][i]);
            _cleanup_free_ char *b = NULL;

            if (!tok)
                continue;
            b = base_dup(tok);
            if (!b)
                return -ENOMEM;
            if (!strv_contains(&rs->deny_tokens, tok))
                r = strv_push(&rs->deny_tokens, tok);
            if (r >= 0 && !strv_contains(&rs->deny_tokens, b))
                r = strv_push(&rs->deny_tokens, b);
        }
    for (size_t i = 0; i < rs->deny_tokens.n && r >= 0; i++)
        r = strv_push(&rs->wanted, rs->deny_tokens.v[i]);
    for (size_t i = 0; critical[i] && r >= 0; i++)
        r = strv_push(&rs->wanted, critical[i]);
    if (r >= 0 && rs->wanted.n > 1)
        qsort(rs->wanted.v, rs->wanted.n, sizeof(char *), cmp_name);
    for (cmdpol_list l = CMDPOL_DENY; l <= CMDPOL_DEFAULT && r >= 0; l++)
        for (size_t i = 0; i < rs->pol->n_rules[l] && r >= 0; i++) {
            const char *tok = cmdpol_rule_runtime_token(&rs->pol->rules[l][i]);

            if (tok)
                r = resolve_token(rs, tok);
        }
    if (r >= 0 && rs->n_t > 0)
        r = build_candidates(rs);
    for (size_t i = 0; i < rs->n_t && r >= 0; i++) {
        char *warning = NULL;

        if (strv_contains(&seen, rs->t[i].path))
            continue;
        r = strv_push(&seen, rs->t[i].path);
        if (r >= 0)
            r = check_shared(rs, cfg, &rs->t[i], &warning);
        if (r >= 0 && warning)
            r = strv_push_take(warnings, warning);
        if (r == 0)
            r = strv_push(paths, rs->t[i].path);
        if (r == 1)
            r = 0; /* accepted: not masked */
    }
    strv_done(&seen);
    if (r >= 0 && rs->facts->shell_path) {
        _cleanup_free_ char *real = canonical(rs->facts->shell_path);

        if (!real)
            return -ENOMEM;
        strv_remove(paths, rs->facts->shell_path);
        strv_remove(paths, real);
    }
    return r;
}

int execdeny_resolve(const struct fence_config *cfg, const execdeny_facts *facts, strv *ret_paths,
                     strv *ret_warnings, fence_error *err) {
    resolver rs = {.facts = facts};
    strv paths = {0}, warnings = {0};
    int r;

    if (!cfg || !facts || !ret_paths || !ret_warnings)
        return fence_error_set(err, FENCE_E_INVAL, 0, "execdeny_resolve: NULL argument");
    r = resolve(&rs, cfg, &paths, &warnings);
    resolver_done(&rs);
    if (r < 0) {
        strv_done(&paths);
        strv_done(&warnings);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "resolving runtime exec denies");
    }
    if (paths.n > 1)
        qsort(paths.v, paths.n, sizeof(char *), cmp_str);
    if (warnings.n > 1)
        qsort(warnings.v, warnings.n, sizeof(char *), cmp_str);
    *ret_paths = paths;
    *ret_warnings = warnings;
    return 0;
}
