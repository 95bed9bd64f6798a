/* SPDX-License-Identifier: MIT */
/* Pure filesystem decisions; see fspol.h. */
#include "policy/fspol.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/path.h"

const char *const fspol_dangerous_files[] = {
        ".gitconfig", ".gitmodules", ".bashrc",    ".bash_profile", ".zshrc",
        ".zprofile",  ".profile",    ".ripgreprc", ".mcp.json",     NULL,
};

const char *const fspol_dangerous_dirs[] = {".vscode", ".idea", NULL};

const char *const fspol_dangerous_home_paths[] = {"~/.config/git/config", NULL};

const char *const fspol_git_control_files[] = {"config", "commondir", "gitdir", "config.worktree",
                                               NULL};

const char *const fspol_default_read_paths[] = {
        "/bin",        "/sbin",    "/usr",          "/lib",         "/lib64", "/etc",
        "/proc",       "/sys",     "/dev",          "/opt",         "/run",   "/tmp",
        "/usr/local",  "/nix",     "/snap",         "~/.nvm",       "~/.fnm", "~/.volta",
        "~/.n",        "~/.pyenv", "~/.local/pipx", "~/.rbenv",     "~/.rvm", "~/.cargo/bin",
        "~/.rustup",   "~/go/bin", "~/.go",         "~/.local/bin", "~/bin",  "~/.bun/bin",
        "~/.deno/bin", NULL,
};

const char *const fspol_default_write_paths[] = {"~/.npm/_logs", "~/.fence/debug", NULL};

const char *const fspol_home_socket_dirs[] = {
        "~/.ssh",                    /* agents, ControlMaster sockets (open SSH sessions) */
        "~/.gnupg",                  /* gpg-agent without a runtime directory */
        "~/.docker",                 /* Docker Desktop: ~/.docker/run/docker.sock */
        "~/.colima",                 /* Colima's docker socket */
        "~/.rd",                     /* Rancher Desktop's */
        "~/.lima",                   /* Lima VMs' */
        "~/.1password",              /* 1Password's SSH agent */
        "~/.local/share/containers", /* podman machine */
        NULL,
};

const char *const fspol_home_socket_files[] = {"~/.bitwarden-ssh-agent.sock", NULL};

static const char *env_value(char *const *env, const char *name) {
    size_t n = strlen(name);

    for (; env && *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

/* Pushes the absolute path [s, s+n) (after %XX decoding when dbus is set). */
static int push_socket(strv *ret, const char *s, size_t n, bool dbus) {
    char buf[4096];
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < sizeof(buf); i++) {
        if (dbus && s[i] == '%' && i + 2 < n && isxdigit((unsigned char) s[i + 1]) &&
            isxdigit((unsigned char) s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            buf[k++] = (char) strtol(hex, NULL, 16);
            i += 2;
        } else {
            buf[k++] = s[i];
        }
    }
    buf[k] = '\0';
    if (k == 0 || buf[0] != '/' || k + 1 >= sizeof(buf) || memchr(buf, '\0', k))
        return 0;
    return strv_push(ret, buf) < 0 ? -ENOMEM : 1;
}

/* D-Bus server addresses: "unix:path=/run/user/1000/bus,guid=...;tcp:...". */
static int dbus_paths(const char *v, strv *ret) {
    int n = 0;

    while (v && *v) {
        const char *end = strchrnul(v, ';');
        if (strncmp(v, "unix:", 5) == 0) {
            for (const char *k = v + 5; k < end;) {
                const char *e = memchr(k, ',', (size_t) (end - k));
                if (!e)
                    e = end;
                if ((size_t) (e - k) > 5 && strncmp(k, "path=", 5) == 0) {
                    int r = push_socket(ret, k + 5, (size_t) (e - k - 5), true);
                    if (r < 0)
                        return r;
                    n += r;
                }
                k = e < end ? e + 1 : end;
            }
        }
        v = *end ? end + 1 : end;
    }
    return n;
}

int fspol_env_socket_paths(char *const *env, const char *xdg_runtime_dir, strv *ret) {
    static const char *const plain[] = {"SSH_AUTH_SOCK"};
    static const char *const urls[] = {"DOCKER_HOST", "CONTAINER_HOST"};
    static const char *const buses[] = {"DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS"};
    const char *v;
    int n = 0, r;

    for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
        if ((v = env_value(env, plain[i])) && (r = push_socket(ret, v, strlen(v), false)) != 0) {
            if (r < 0)
                return r;
            n += r;
        }
    for (size_t i = 0; i < ARRAY_SIZE(urls); i++)
        if ((v = env_value(env, urls[i])) && strncmp(v, "unix://", 7) == 0 &&
            (r = push_socket(ret, v + 7, strlen(v + 7), false)) != 0) {
            if (r < 0)
                return r;
            n += r;
        }
    for (size_t i = 0; i < ARRAY_SIZE(buses); i++)
        if ((v = env_value(env, buses[i])) && (r = dbus_paths(v, ret)) != 0) {
            if (r < 0)
                return r;
            n += r;
        }
    if ((v = env_value(env, "GPG_AGENT_INFO")) &&
        (r = push_socket(ret, v, strcspn(v, ":"), false)) != 0) {
        if (r < 0)
            return r;
        n += r;
    }
    if ((v = env_value(env, "WAYLAND_DISPLAY")) && *v) {
        _cleanup_free_ char *p = v[0] == '/'       ? strdup(v)
                                 : xdg_runtime_dir ? path_join(xdg_runtime_dir, v)
                                                   : NULL;
        if ((v[0] == '/' || xdg_runtime_dir) && !p)
            return -ENOMEM;
        if (p && (r = push_socket(ret, p, strlen(p), false)) != 0) {
            if (r < 0)
                return r;
            n += r;
        }
    }
    return n;
}

static bool in_list(const char *const *list, const char *s, size_t n) {
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && strncmp(list[i], s, n) == 0)
            return true;
    return false;
}

bool fspol_is_glob(const char *p) {
    return strpbrk(p, "*?[]") != NULL;
}

char *fspol_normalize(const char *p, const char *cwd, const char *home) {
    if (home && (streq(p, "~") || strncmp(p, "~/", 2) == 0))
        return path_join(home, p + 1);
    if (path_is_abs(p))
        return path_clean(p);
    return path_join(cwd, p);
}

static bool comp_has_meta(const char *c, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strchr("*?[]", c[i]))
            return true;
    return false;
}

int fspol_glob_classify(const char *pattern, fspol_glob_kind *ret_kind, char **ret_prefix) {
    size_t n = strlen(pattern), lit_end = 0;
    bool starstar = false, meta = false;
    const char *c = pattern;
    char *prefix;

    /* walk components: remember where the literal prefix ends and whether "**" appears */
    while (*c) {
        const char *e;

        while (*c == '/')
            c++;
        if (!*c)
            break;
        e = strchrnul(c, '/');
        if (comp_has_meta(c, (size_t) (e - c))) {
            meta = true;
            if (e - c == 2 && c[0] == '*' && c[1] == '*')
                starstar = true;
        } else if (!meta) {
            lit_end = (size_t) (e - pattern);
        }
        c = e;
    }
    if (!meta) {
        *ret_kind = FSPOL_GLOB_NONE;
        prefix = strdup(pattern);
    } else {
        if (starstar && n >= 3 && strcmp(pattern + n - 3, "/**") == 0 && lit_end == n - 3)
            *ret_kind = FSPOL_GLOB_TREE;
        else if (starstar)
            *ret_kind = FSPOL_GLOB_RECURSIVE;
        else
            *ret_kind = FSPOL_GLOB_SIMPLE;
        prefix = lit_end == 0 ? strdup("/") : strndup(pattern, lit_end);
    }
    if (!prefix)
        return -ENOMEM;
    *ret_prefix = prefix;
    return 0;
}

static bool comp_match(const char *p, size_t pn, const char *s, size_t sn) {
    char pb[512], sb[256];

    if (!comp_has_meta(p, pn))
        return pn == sn && memcmp(p, s, pn) == 0;
    if (pn >= sizeof(pb) || sn >= sizeof(sb))
        return false;
    memcpy(pb, p, pn);
    pb[pn] = '\0';
    memcpy(sb, s, sn);
    sb[sn] = '\0';
    return fnmatch(pb, sb, FNM_NOESCAPE) == 0;
}

static const char *next_comp(const char *e) {
    return *e ? e + 1 : e;
}

static bool match_rec(const char *p, const char *s, unsigned depth) {
    if (depth > 32)
        return false;
    for (;;) {
        const char *pe, *se;

        if (!*p)
            return !*s;
        pe = strchrnul(p, '/');
        if (pe - p == 2 && p[0] == '*' && p[1] == '*') {
            const char *rest = next_comp(pe), *t = s;

            if (!*rest)
                return true;
            for (;;) {
                if (match_rec(rest, t, depth + 1))
                    return true;
                if (!*t)
                    return false;
                t = next_comp(strchrnul(t, '/'));
            }
        }
        if (!*s)
            return false;
        se = strchrnul(s, '/');
        if (!comp_match(p, (size_t) (pe - p), s, (size_t) (se - s)))
            return false;
        p = next_comp(pe);
        s = next_comp(se);
    }
}

bool fspol_glob_match(const char *pattern, const char *path) {
    if (pattern[0] != '/' || path[0] != '/')
        return false;
    while (*pattern == '/')
        pattern++;
    while (*path == '/')
        path++;
    return match_rec(pattern, path, 0);
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
    size_t m = strlen(suffix);
    return n > m && memcmp(s + n - m, suffix, m) == 0;
}

/* The rules for paths below a ".git" component. c points at the component after ".git";
 * base/bn is the last component; existing: that ".git" existed at launch. */
static const char *git_rule(const fspol_protect *p, bool existing, const char *c, const char *base,
                            size_t bn, fspol_create_kind kind) {
    while (*c) {
        const char *e = strchrnul(c, '/');
        size_t n = (size_t) (e - c);

        if (n == 5 && memcmp(c, "hooks", 5) == 0) {
            if (!*e) /* the hooks directory itself: an empty new one is harmless */
                return kind == FSPOL_CREATE_DIR ? NULL : "git hooks directory";
            if (c + n + 1 == base && (kind == FSPOL_CREATE_FILE || kind == FSPOL_RENAME_FILE) &&
                ends_with(base, bn, ".sample"))
                return NULL; /* inert templates written by `git init` */
            return "git hook";
        }
        if (!*e && existing && n == 6 && memcmp(c, "config", 6) == 0)
            return p->allow_git_config ? NULL : "git config";
        /* commondir, gitdir and config.worktree re-point git at another repository or add
         * configuration, even with a read-only config (review1 finding 2) */
        if (!*e && existing && in_list(fspol_git_control_files, c, n))
            return "git control file";
        c = next_comp(e);
    }
    return NULL;
}

/* Did the ".git" directory path[0..n) exist at launch? */
static bool git_dir_existed(const fspol_protect *p, const char *path, size_t n) {
    if (!p->git_dirs)
        return true;
    for (size_t i = 0; i < p->git_dirs->n; i++)
        if (strlen(p->git_dirs->v[i]) == n && strncmp(p->git_dirs->v[i], path, n) == 0)
            return true;
    return false;
}

/* Under the paths of git_protect nothing may come into existence (but the path itself as an
 * empty directory), and no directory or symlink may appear above one (it would bring its own
 * contents there). */
static const char *protect_rule(const strv *list, const char *path, fspol_create_kind kind) {
    bool brings = kind == FSPOL_RENAME_DIR || kind == FSPOL_CREATE_SYMLINK;

    for (size_t i = 0; list && i < list->n; i++) {
        const char *g = list->v[i];
        if (streq(path, g) ? kind != FSPOL_CREATE_DIR
                           : path_is_under(path, g) || (brings && path_is_under(g, path)))
            return "git control path";
    }
    return NULL;
}

/* ~/.gitconfig and the other home names of fspol_dangerous_files, ~/.config/git/config. */
static const char *home_rule(const fspol_protect *p, const char *path, const char *base, size_t bn,
                             fspol_create_kind kind) {
    const char *sub;
    size_t hn, sn;

    if (!p->home)
        return NULL;
    hn = streq(p->home, "/") ? 0 : strlen(p->home);
    if (in_list(fspol_dangerous_files, base, bn) && (size_t) (base - path) == hn + 1 &&
        strncmp(path, p->home, hn) == 0)
        return "dangerous file";
    if (strncmp(path, p->home, hn) != 0 || path[hn] != '/')
        return NULL;
    sub = path + hn; /* "/.config/git" */
    sn = strlen(sub);
    for (size_t i = 0; fspol_dangerous_home_paths[i]; i++) {
        const char *rel = fspol_dangerous_home_paths[i] + 1; /* "/.config/git/config" */

        /* the file itself, or a directory or symlink above it that would bring one */
        if (streq(sub, rel) || ((kind == FSPOL_RENAME_DIR || kind == FSPOL_CREATE_SYMLINK) &&
                                strncmp(rel, sub, sn) == 0 && rel[sn] == '/'))
            return "dangerous file";
    }
    return NULL;
}

const char *fspol_create_denied(const fspol_protect *p, const char *path, fspol_create_kind kind) {
    const char *base = strrchr(path, '/'), *rel, *c, *why;
    bool in_ws;
    size_t bn;

    if (!base || path[0] != '/')
        return "not an absolute path";
    base++;
    bn = strlen(base);

    if (p->deny_write)
        for (size_t i = 0; i < p->deny_write->n; i++) {
            const char *pat = p->deny_write->v[i];
            if (fspol_is_glob(pat) ? fspol_glob_match(pat, path) : path_is_under(path, pat))
                return "denyWrite";
        }
    if ((why = home_rule(p, path, base, bn, kind)) ||
        (why = protect_rule(p->git_protect, path, kind)))
        return why;

    in_ws = p->workspace && path_is_under(path, p->workspace) && !streq(path, p->workspace);
    if (in_ws && in_list(fspol_dangerous_files, base, bn))
        return "dangerous file";
    rel = in_ws ? path + strlen(p->workspace) : path;
    while (*rel == '/')
        rel++;
    /* dangerous directories in the workspace; ".git" rules everywhere (a repository enclosing
     * the workspace, or in another writable place, runs its hooks on the host too) */
    for (c = rel; *c; c = next_comp(strchrnul(c, '/'))) {
        const char *e = strchrnul(c, '/');
        size_t n = (size_t) (e - c);

        if (in_ws && in_list(fspol_dangerous_dirs, c, n))
            return "dangerous directory";
        if (n == 4 && memcmp(c, ".git", 4) == 0) {
            if (!*e)
                /* a new repository (mkdir .git) is fine; a file ("gitdir: elsewhere"), a
                 * symlink, a link or a directory moved into place would bring their own
                 * hooks and config */
                return kind == FSPOL_CREATE_DIR ? NULL : "git directory";
            return git_rule(p, git_dir_existed(p, path, (size_t) (e - path)), e + 1, base, bn,
                            kind);
        }
    }
    return NULL;
}

static bool holds_any(const strv *list, const char *path) {
    for (size_t i = 0; list && i < list->n; i++)
        if (path_is_under(list->v[i], path))
            return true;
    return false;
}

const char *fspol_move_denied(const fspol_protect *p, const char *path) {
    if (path[0] != '/')
        return "not an absolute path";
    if (holds_any(p->git_dirs, path))
        return "holds a git directory";
    if (holds_any(p->git_protect, path))
        return "holds a git control path";
    return NULL;
}
