/* SPDX-License-Identifier: MIT */
/*
 * Config files, extends chains and discovery. See resolve.h.
 *
 * An extends chain is resolved the way the Go tool does it: starting from the loaded config,
 * each `extends` value names the next link — "@base" (the user's default config, or the
 * built-in default when there is none), a file path (it contains '/' or '\' or starts with '.';
 * relative to the directory of the file holding it, or to the current directory when there is
 * no file), or a built-in template name. Each link is loaded without resolving its own extends
 * and validated; repeats are detected by key (template:NAME, special:@base, file:<realpath>);
 * after at most CONFIG_MAX_EXTENDS_DEPTH hops the links are merged from the farthest to the
 * nearest, so nearer files override. Every error is located at the `extends` value that led to
 * it.
 */
#include "config/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/decode.h"
#include "config/templates.h"
#include "config/validate.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

#define CHAIN_TEXT_MAX (64u * 1024u)

/* ---- files -------------------------------------------------------------------------------- */

int config_read_file(const char *path, char **ret, size_t *ret_len, struct stat *ret_st) {
    _cleanup_close_ int fd = -1;
    struct stat st;

    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if (ret_st)
        *ret_st = st;
    return read_full_fd(fd, CONFIG_MAX_FILE_BYTES, ret, ret_len);
}

static const char *read_error_text(int r, char *buf, size_t size) {
    if (r == -EFBIG)
        snprintf(buf, size, "file is larger than %u bytes", CONFIG_MAX_FILE_BYTES);
    else if (r == -EINVAL)
        snprintf(buf, size, "not a regular file");
    else
        snprintf(buf, size, "%s", strerror(-r));
    return buf;
}

/* Absolute, cleaned form of path (relative to base_dir, or to the cwd when base_dir is NULL). */
static char *make_abs(const char *path, const char *base_dir) {
    char cwd[PATH_MAX];

    if (path_is_abs(path))
        return path_clean(path);
    if (base_dir && *base_dir) {
        if (path_is_abs(base_dir))
            return path_join(base_dir, path);
        _cleanup_free_ char *b = make_abs(base_dir, NULL);
        return b ? path_join(b, path) : NULL;
    }
    if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    return path_join(cwd, path);
}

static bool file_exists(const char *path) {
    struct stat st;

    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Loads one file (no extends). 1 = config, 0 = missing or blank, <0 = error in err. The error
 * texts are the Go Load() ones with our location in front. */
static int load_file(const char *path, const char *name, fence_config **ret, config_srcmap *ret_map,
                     struct stat *ret_st, fence_error *err) {
    _cleanup_free_ char *text = NULL;
    config_diag diag = {0};
    char why[128];
    size_t len = 0;
    int r;

    r = config_read_file(path, &text, &len, ret_st);
    if (r == -ENOENT)
        return 0;
    if (r == -ENOMEM)
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    if (r < 0)
        return fence_error_set(err, FENCE_E_IO, 0, "failed to read config file %s: %s", name,
                               read_error_text(r, why, sizeof(why)));
    r = config_parse_text(text, len, ret, ret_map, &diag);
    if (r >= 0)
        return r;
    return config_diag_to_error(&diag, name,
                                diag.kind == CONFIG_DIAG_INVALID ? "invalid configuration"
                                                                 : "invalid JSON in config file",
                                err);
}

/* ---- paths (spec §4.3) -------------------------------------------------------------------- */

static const char *env_nonempty(const char *name) {
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

int config_user_dir(char **ret) {
    const char *xdg = env_nonempty("XDG_CONFIG_HOME"), *home = env_nonempty("HOME");
    _cleanup_free_ char *cfg = NULL;

    *ret = NULL;
    /* Go's os.UserConfigDir ignores a relative $XDG_CONFIG_HOME (it is an error there, and the
     * tool then falls back to ~/.config) */
    if (xdg && path_is_abs(xdg))
        *ret = path_join(xdg, "fence");
    else if (home && (cfg = path_join(home, ".config")))
        *ret = path_join(cfg, "fence");
    else if (!home)
        return 0;
    return *ret ? 0 : -ENOMEM;
}

/* <user dir>/fence.json, or "fence.json" (the cwd) when there is no user dir, as in the Go tool.
 * NULL on allocation failure. */
static char *default_path_in(const char *dir) {
    return dir ? path_join(dir, "fence.json") : strdup("fence.json");
}

FENCE_API char *fence_config_default_path(void) {
    _cleanup_free_ char *dir = NULL;

    if (config_user_dir(&dir) < 0)
        return NULL;
    return default_path_in(dir);
}

FENCE_API char *fence_config_resolve_default_path(void) {
    static const char *const names[] = {"fence.jsonc", "fence.json"};
    static const char *const legacy[] = {".fence.jsonc", ".fence.json"};
    _cleanup_free_ char *dir = NULL;
    const char *home = env_nonempty("HOME");

    if (config_user_dir(&dir) < 0)
        return NULL;
    for (size_t i = 0; dir && i < ARRAY_SIZE(names); i++) {
        char *p = path_join(dir, names[i]);

        if (!p || file_exists(p))
            return p;
        free(p);
    }
    for (size_t i = 0; home && i < ARRAY_SIZE(legacy); i++) {
        char *p = path_join(home, legacy[i]);

        if (!p || file_exists(p))
            return p;
        free(p);
    }
    return default_path_in(dir);
}

/* The nearest fence.jsonc / fence.json from start_dir up to '/'; NULL when none (or ENOMEM:
 * *ret_nomem tells). */
static char *find_project_config(const char *start_dir, bool *ret_nomem) {
    _cleanup_free_ char *cur = make_abs(start_dir ? start_dir : ".", NULL);

    *ret_nomem = !cur;
    while (cur) {
        static const char *const names[] = {"fence.jsonc", "fence.json"};
        char *parent;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
            char *p = path_join(cur, names[i]);

            if (!p) {
                *ret_nomem = true;
                return NULL;
            }
            if (file_exists(p))
                return p;
            free(p);
        }
        if (strcmp(cur, "/") == 0)
            return NULL;
        parent = path_dir(cur);
        if (!parent) {
            *ret_nomem = true;
            return NULL;
        }
        free(cur);
        cur = parent;
    }
    return NULL;
}

FENCE_API char *fence_config_resolve_path(const char *start_dir) {
    bool nomem;
    char *p = find_project_config(start_dir, &nomem);

    if (p || nomem)
        return p;
    return fence_config_resolve_default_path();
}

/* ---- extends chains ----------------------------------------------------------------------- */

typedef struct chain_link {
    fence_config *cfg;
    config_srcmap map;
    char *name;     /* for messages: the file path, or "<template NAME>" */
    char *base_dir; /* where relative extends paths start; NULL = the cwd */
} chain_link;

typedef struct chain {
    chain_link links[CONFIG_MAX_EXTENDS_DEPTH + 1];
    size_t n;
    strv seen;       /* target keys */
    char *user_path; /* fence_config_resolve_default_path(), for step labels */
    fbuf *text;      /* the "Active config chain" steps, or NULL */
} chain;

static void chain_done(chain *c) {
    for (size_t i = 0; i < c->n; i++) {
        fence_config_free(c->links[i].cfg);
        config_srcmap_done(&c->links[i].map);
        free(c->links[i].name);
        free(c->links[i].base_dir);
    }
    strv_done(&c->seen);
    free(c->user_path);
    c->n = 0;
}

/* Prefix "name:line:col: " of the extends value of link l (for errors it caused). */
static void where_extends(const chain_link *l, char *buf, size_t size) {
    jsonc_pos pos = config_srcmap_field(&l->map, FENCE_CFG_EXTENDS);

    if (pos.line)
        snprintf(buf, size, "%s:%u:%u: ", l->name, pos.line, pos.col);
    else
        snprintf(buf, size, "%s: ", l->name);
}

static int nomem(fence_error *err) {
    return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
}

/* Records the key of a target; a repeat is a cycle. Returns 1 for new, 0 for seen, -ENOMEM. */
/* a ++ b ++ c, malloc'd. (Not asprintf: glibc's swallows some allocation failures by falling back
 * to another buffer, which would make the allocation-failure test nondeterministic.) */
static char *concat3(const char *a, const char *b, const char *c) {
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);

    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

static int chain_see(chain *c, const char *kind, const char *what) {
    _cleanup_free_ char *key = concat3(kind, ":", what);

    if (!key)
        return -ENOMEM;
    if (strv_contains(&c->seen, key))
        return 0;
    return strv_push_take(&c->seen, TAKE_PTR(key)) < 0 ? -ENOMEM : 1;
}

/* Records a file as seen; its identity is the inode the read came from (the Go tool uses the
 * symlink-resolved path: the inode also catches hard links and bind mounts, and costs no extra
 * system call since the file was just fstat'ed). 1 = new, 0 = seen, -ENOMEM. */
static int chain_see_file(chain *c, const struct stat *st) {
    char id[64];

    snprintf(id, sizeof(id), "%llu:%llu", (unsigned long long) st->st_dev,
             (unsigned long long) st->st_ino);
    return chain_see(c, "file", id);
}

static int chain_step(chain *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int chain_step(chain *c, const char *fmt, ...) {
    va_list ap;
    int r;

    if (!c->text)
        return 0;
    /* called after the link is added: link k (k >= 1) is step k, indented by 4*(k-1) spaces */
    for (size_t i = 2; i < c->n; i++)
        if ((r = fbuf_puts(c->text, "    ")) < 0)
            return r;
    if ((r = fbuf_puts(c->text, "\u2514\u2500\u2500 ")) < 0)
        return r;
    va_start(ap, fmt);
    r = fbuf_vprintf(c->text, fmt, ap);
    va_end(ap);
    return r < 0 ? r : fbuf_putc(c->text, '\n');
}

static int parse_template(const template_entry *t, fence_config **ret, config_srcmap *map,
                          fence_error *err) {
    config_diag diag = {0};
    char name[96];
    int r;

    snprintf(name, sizeof(name), "<template %s>", t->name);
    r = config_parse_text(t->source, t->source_len, ret, map, &diag);
    if (r > 0)
        return 0;
    if (r == 0) /* an empty template is a build defect; treat it as the default config */
        return (*ret = fence_config_new()) ? 0 : nomem(err);
    return config_diag_to_error(&diag, name, "invalid template", err);
}

/* Appends the link named by extends value `ext` of link `from` (index c->n - 1). */
static int link_template(chain *c, const char *ext, const char *where, fence_error *err) {
    chain_link *l = &c->links[c->n];
    const template_entry *t;
    char norm[256], q[300];
    int r;

    templates_normalize_name(norm, sizeof(norm), ext);
    t = templates_find(norm);
    if (!t)
        return fence_error_set(err, FENCE_E_NOTFOUND, 0, "%stemplate %s not found", where,
                               config_quote(q, sizeof(q), norm));
    r = chain_see(c, "template", norm);
    if (r == 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0, "%scircular extends detected: %s", where,
                               config_quote(q, sizeof(q), ext));
    if (r < 0 || !(l->name = concat3("<template ", t->name, ">")))
        return nomem(err);
    c->n++; /* chain_done() now frees the link, whatever happens next */
    if ((r = parse_template(t, &l->cfg, &l->map, err)) < 0)
        return r;
    return chain_step(c, "builtin template: %s", t->name) < 0 ? nomem(err) : 0;
}

/* Registers the link just loaded from `path` (its cfg and map set) so that chain_done() frees it,
 * and records the file as seen: a repeat is "circular extends detected: <quoted_ext>". */
static int link_add_file(chain *c, const char *path, const struct stat *st, const char *where,
                         const char *quoted_ext, fence_error *err) {
    chain_link *l = &c->links[c->n];
    int r;

    l->name = strdup(path);
    l->base_dir = path_dir(path);
    c->n++;
    if (!l->name || !l->base_dir)
        return nomem(err);
    r = chain_see_file(c, st);
    if (r == 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0, "%scircular extends detected: %s", where,
                               quoted_ext);
    return r < 0 ? nomem(err) : 0;
}

static int link_file(chain *c, const char *ext, const char *base_dir, const char *where,
                     fence_error *err) {
    chain_link *l = &c->links[c->n];
    _cleanup_free_ char *text = NULL, *abs = NULL;
    config_diag diag = {0};
    char q[300], why[128];
    struct stat st;
    size_t len = 0;
    int r;

    config_quote(q, sizeof(q), ext);
    abs = make_abs(ext, base_dir);
    if (!abs)
        return errno == ENOMEM ? nomem(err)
                               : fence_error_set(err, FENCE_E_IO, errno,
                                                 "%sfailed to resolve path %s", where, q);
    r = config_read_file(abs, &text, &len, &st);
    if (r == -ENOENT)
        return fence_error_set(err, FENCE_E_NOTFOUND, 0, "%sextends file not found: %s", where, q);
    if (r == -ENOMEM)
        return nomem(err);
    if (r < 0)
        return fence_error_set(err, FENCE_E_IO, 0, "%sfailed to read extends file %s: %s", where, q,
                               read_error_text(r, why, sizeof(why)));
    r = config_parse_text(text, len, &l->cfg, &l->map, &diag);
    if (r == 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0, "%sextends file is empty: %s", where, q);
    if (r == -FENCE_E_NOMEM)
        return nomem(err);
    if (r < 0) {
        char inner[sizeof(diag.msg) + 64];

        if (diag.pos.line)
            snprintf(inner, sizeof(inner), "%s:%u:%u", abs, diag.pos.line, diag.pos.col);
        else
            snprintf(inner, sizeof(inner), "%s", abs);
        return fence_error_set(err, FENCE_E_CONFIG, 0, "%s%s extends file %s: %s: %s", where,
                               diag.kind == CONFIG_DIAG_INVALID ? "invalid configuration in"
                                                                : "invalid JSON in",
                               q, inner, diag.msg);
    }
    if ((r = link_add_file(c, abs, &st, where, q, err)) < 0)
        return r;
    r = c->user_path && strcmp(abs, c->user_path) == 0 ? chain_step(c, "user config: %s", abs)
                                                       : chain_step(c, "file: %s", abs);
    return r < 0 ? nomem(err) : 0;
}

static int link_base(chain *c, const char *where, fence_error *err) {
    chain_link *l = &c->links[c->n];
    fence_error inner = {0};
    const char *path = c->user_path;
    struct stat st;
    char q[300];
    int r;

    r = chain_see(c, "special", "@base");
    if (r == 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0, "%scircular extends detected: \"@base\"",
                               where);
    if (r < 0)
        return nomem(err);
    r = load_file(path, path, &l->cfg, &l->map, &st, &inner);
    if (r < 0)
        return fence_error_set(err, inner.code, 0, "%sfailed to load @base config %s: %s", where,
                               config_quote(q, sizeof(q), path), inner.msg);
    if (r == 0) {
        l->cfg = fence_config_new();
        l->name = strdup("<builtin default>");
        c->n++;
        if (!l->cfg || !l->name)
            return nomem(err);
        r = chain_step(c, "@base builtin default (no config loaded from %s)", path);
        return r < 0 ? nomem(err) : 0;
    }
    if ((r = link_add_file(c, path, &st, where, "\"@base\"", err)) < 0)
        return r;
    return chain_step(c, "@base user config: %s", path) < 0 ? nomem(err) : 0;
}

static bool is_extends_path(const char *v) {
    return strpbrk(v, "/\\") || v[0] == '.';
}

/* Follows the extends values from the last link until a link has none, then merges. */
static int chain_resolve(chain *c, fence_config **ret, fence_error *err) {
    _cleanup_(fence_config_freep) fence_config *acc = NULL;
    int r;

    for (size_t depth = 0;; depth++) {
        chain_link *cur = &c->links[c->n - 1];
        const char *ext = cur->cfg->extends;
        char where[PATH_MAX + 64];

        if (!ext || !*ext)
            break;
        where_extends(cur, where, sizeof(where));
        if (depth >= CONFIG_MAX_EXTENDS_DEPTH)
            return fence_error_set(err, FENCE_E_CONFIG, 0, "%sextends chain too deep (max %d)",
                                   where, CONFIG_MAX_EXTENDS_DEPTH);
        if (strcmp(ext, "@base") == 0)
            r = link_base(c, where, err);
        else if (is_extends_path(ext))
            r = link_file(c, ext, cur->base_dir, where, err);
        else
            r = link_template(c, ext, where, err);
        if (r < 0)
            return r;
    }
    /* fold from the root-most link (taken over, not copied) down to the first: nearer links
     * override */
    acc = TAKE_PTR(c->links[c->n - 1].cfg);
    for (size_t i = c->n - 1; i-- > 0;)
        if (config_merge_into(acc, c->links[i].cfg) < 0)
            return nomem(err);
    *ret = TAKE_PTR(acc);
    return 0;
}

/* Sets up the chain's first link from an already loaded config (taking cfg and map). */
static int chain_start(chain *c, fence_config *cfg, config_srcmap *map, const char *name,
                       const char *base_dir, fbuf *text, fence_error *err) {
    chain_link *l = &c->links[0];

    l->cfg = cfg;
    if (map)
        l->map = *map;
    c->n = 1;
    c->text = text;
    l->name = strdup(name);
    l->base_dir = base_dir ? strdup(base_dir) : NULL;
    c->user_path = fence_config_resolve_default_path();
    if (!l->name || (base_dir && !l->base_dir) || !c->user_path)
        return nomem(err);
    return 0;
}

/* Loads path and resolves its chain. 1 = config, 0 = none (missing/blank), <0 error. */
static int load_resolved(const char *path, fbuf *text, fence_config **ret, fence_error *err) {
    _cleanup_free_ char *abs = NULL, *dir = NULL;
    chain c = {0};
    fence_config *cfg = NULL;
    config_srcmap map = {0};
    struct stat st;
    int r, abs_errno;

    r = load_file(path, path, &cfg, &map, &st, err);
    if (r <= 0)
        return r;
    abs = make_abs(path, NULL);
    abs_errno = errno;
    dir = abs ? path_dir(abs) : NULL;
    r = chain_start(&c, cfg, &map, path, dir, text, err);
    if (r >= 0 && !abs && abs_errno != ENOMEM)
        r = fence_error_set(err, FENCE_E_IO, abs_errno, "cannot resolve the directory of '%s'",
                            path);
    else if (r >= 0 && !dir)
        r = nomem(err);
    /* the starting file itself is a target already seen: a chain coming back to it is a cycle */
    if (r >= 0 && chain_see_file(&c, &st) < 0)
        r = nomem(err);
    if (r >= 0)
        r = chain_resolve(&c, ret, err);
    chain_done(&c);
    return r < 0 ? r : 1;
}

static int load_template(const char *name, fbuf *text, fence_config **ret, fence_error *err) {
    const template_entry *t = templates_find(name);
    fence_config *cfg = NULL;
    config_srcmap map = {0};
    chain c = {0};
    char norm[256], q[300], label[96];
    int r;

    if (!t)
        return fence_error_set(
                err, FENCE_E_NOTFOUND, 0, "template %s not found",
                config_quote(q, sizeof(q), templates_normalize_name(norm, sizeof(norm), name)));
    if ((r = parse_template(t, &cfg, &map, err)) < 0)
        return r;
    snprintf(label, sizeof(label), "<template %s>", t->name);
    r = chain_start(&c, cfg, &map, label, NULL, text, err);
    if (r >= 0)
        r = chain_resolve(&c, ret, err);
    chain_done(&c);
    return r;
}

/* ---- public ------------------------------------------------------------------------------- */

FENCE_API int fence_config_parse(const char *text, size_t len, const char *name, fence_config **ret,
                                 fence_error *err) {
    config_diag diag = {0};
    int r;

    if ((!text && len) || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no text or result pointer given");
    if (!name)
        name = "<config>";
    r = config_parse_text(text ? text : "", len, ret, NULL, &diag);
    if (r >= 0)
        return r;
    return config_diag_to_error(&diag, name,
                                diag.kind == CONFIG_DIAG_INVALID ? "invalid configuration"
                                                                 : "invalid JSON in config file",
                                err);
}

FENCE_API int fence_config_load(const char *path, fence_config **ret, fence_error *err) {
    if (!path || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no path or result pointer given");
    return load_file(path, path, ret, NULL, NULL, err);
}

FENCE_API int fence_config_load_resolved(const char *path, fence_config **ret, fence_error *err) {
    if (!path || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no path or result pointer given");
    return load_resolved(path, NULL, ret, err);
}

FENCE_API int fence_config_load_template(const char *name, fence_config **ret, fence_error *err) {
    int r;

    if (!name || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no template name or result pointer given");
    r = load_template(name, NULL, ret, err);
    return r < 0 ? r : 1;
}

/* Resolves the explicit settings file (which must exist). */
static int resolve_settings(const char *settings_path, fbuf *text, fence_config **ret,
                            fence_error *err) {
    _cleanup_free_ char *abs = make_abs(settings_path, NULL);
    struct stat st;

    if (!abs)
        return errno == ENOMEM
                       ? nomem(err)
                       : fence_error_set(err, FENCE_E_IO, errno,
                                         "cannot resolve settings path '%s'", settings_path);
    if (stat(abs, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fence_error_set(err, FENCE_E_NOTFOUND, 0, "settings file not found: %s", abs);
        return fence_error_set(err, FENCE_E_IO, errno, "cannot access settings file %s", abs);
    }
    if (S_ISDIR(st.st_mode))
        return fence_error_set(err, FENCE_E_IO, 0, "settings path is a directory: %s", abs);
    if (text && fbuf_printf(text, "settings file: %s\n", abs) < 0)
        return nomem(err);
    return load_resolved(abs, text, ret, err);
}

/* Discovery (§4.3): project walk, then the user config, then the built-in default. */
static int resolve_discovered(const char *start_dir, fbuf *text, fence_config **ret,
                              fence_error *err) {
    _cleanup_free_ char *project = NULL, *user = NULL;
    bool oom;

    project = find_project_config(start_dir, &oom);
    if (oom)
        return nomem(err);
    if (project) {
        if (text && fbuf_printf(text, "project config: %s\n", project) < 0)
            return nomem(err);
        return load_resolved(project, text, ret, err);
    }
    user = fence_config_resolve_default_path();
    if (!user)
        return nomem(err);
    if (file_exists(user)) {
        if (text && fbuf_printf(text, "user config: %s\n", user) < 0)
            return nomem(err);
        return load_resolved(user, text, ret, err);
    }
    if (text && fbuf_printf(text, "builtin default (no config loaded from %s)\n", user) < 0)
        return nomem(err);
    return 0;
}

FENCE_API int fence_config_resolve(const char *template_name, const char *settings_path,
                                   const char *start_dir, fence_config **ret, char **ret_chain,
                                   fence_error *err) {
    fbuf text = FBUF_INIT(CHAIN_TEXT_MAX);
    fbuf *tp = ret_chain ? &text : NULL;
    fence_config *cfg = NULL;
    int r;

    if (!ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no result pointer given");
    if (tp && fbuf_puts(tp, "Active config chain:\n") < 0)
        return nomem(err);
    if (template_name && *template_name) {
        char norm[256];

        templates_normalize_name(norm, sizeof(norm), template_name);
        r = tp && templates_find(norm) ? fbuf_printf(tp, "builtin template: %s\n", norm) : 0;
        r = r < 0 ? nomem(err) : load_template(norm, tp, &cfg, err);
    } else if (settings_path && *settings_path) {
        r = resolve_settings(settings_path, tp, &cfg, err);
    } else {
        r = resolve_discovered(start_dir, tp, &cfg, err);
    }
    if (r >= 0 && !cfg && !(cfg = fence_config_new()))
        r = nomem(err);
    if (r >= 0 && tp && !(*ret_chain = fbuf_steal(tp)))
        r = nomem(err);
    fbuf_done(&text);
    if (r < 0) {
        fence_config_free(cfg);
        return r;
    }
    *ret = cfg;
    return 0;
}
