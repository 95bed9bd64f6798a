/* SPDX-License-Identifier: MIT */
/* Host facts and the real-filesystem oracle; see probe.h. */
#include "enforce/linux/probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/fspol.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/path.h"

extern char **environ;

const char *probe_getenv(char **env, const char *name) {
    size_t n = strlen(name);

    if (!env)
        env = environ;
    for (; *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

static int real_resolve(void *data, const char *path, hostfs_entry *ret) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
    _cleanup_free_ char *canon = NULL;
    struct stat st;
    int fd;

    (void) data;
    /* Most paths have no symlink on the way: one openat2() tells, and the canonical form is
     * then the cleaned text (".." is lexical when no component is a link). realpath() would
     * readlink() every component: a plan resolves dozens of paths at each launch. */
    fd = path_is_abs(path) ? (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)) : -1;
    if (fd >= 0) {
        int r = fstat(fd, &st) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
            return r;
        canon = path_clean(path);
        if (!canon)
            return -ENOMEM;
    } else if (path_is_abs(path) && errno != ELOOP && errno != ENOSYS) {
        return -errno; /* missing (or unreachable) whether or not a link is on the way */
    } else {
        canon = realpath(path, NULL);
        if (!canon)
            return -errno;
        if (stat(canon, &st) < 0)
            return -errno;
    }
    ret->is_dir = S_ISDIR(st.st_mode);
    ret->is_sock = S_ISSOCK(st.st_mode);
    ret->dev = st.st_dev;
    ret->canonical = TAKE_PTR(canon);
    return 0;
}

typedef struct walk {
    const char *pattern;      /* glob mode */
    const char *const *names; /* find mode */
    bool sockets;             /* sockets mode: collect unix sockets, stay on one filesystem */
    const char *prune;        /* sockets mode: a directory not to enter, or NULL */
    strv *out;
    size_t seen, max_entries;
    unsigned max_depth;
    bool truncated;
} walk;

static bool name_in(const char *const *names, const char *s) {
    for (; *names; names++)
        if (streq(*names, s))
            return true;
    return false;
}

struct dirent64_raw {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Per directory level; the walk reads entries with getdents64 itself (opendir's fdopendir
 * costs an fstat and two fcntl per directory, a third of a small directory's system calls). */
#define WALK_BUF 8192

/* Opens the subdirectory name of dirfd without following a symlink; in sockets mode without
 * entering another filesystem either (a FUSE mount whose daemon never answers would hang the
 * walk): RESOLVE_NO_XDEV refuses to cross the mount point. */
static int open_subdir(const walk *w, int dirfd, const char *name) {
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS | (w->sockets ? RESOLVE_NO_XDEV : 0)};

    return (int) syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/* Depth-first walk below dir (an absolute path, fd open on it and taken over); symlinks are
 * not followed. */
static int walk_dir(walk *w, int fd, char *path, size_t len, unsigned depth) {
    _cleanup_close_ int dfd = fd;
    _cleanup_free_ char *buf = malloc(WALK_BUF);
    int r;

    if (!buf)
        return -ENOMEM;
    for (;;) {
        long got = syscall(SYS_getdents64, dfd, buf, WALK_BUF);

        if (got <= 0)
            return 0; /* the end, or a directory we cannot read: skipped */
        for (long off = 0; off < got;) {
            struct dirent64_raw *de = (struct dirent64_raw *) (void *) (buf + off);
            size_t n = strlen(de->d_name);
            unsigned char type = de->d_type;
            bool is_dir;

            off += de->d_reclen;
            if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                continue;
            if (++w->seen > w->max_entries) {
                w->truncated = true;
                return 0;
            }
            if (len + 1 + n >= PATH_MAX)
                continue;
            if (len > 1)
                path[len] = '/';
            memcpy(path + (len > 1 ? len + 1 : len), de->d_name, n + 1);
            if (type == DT_UNKNOWN) {
                struct stat st;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISSOCK(st.st_mode) ? DT_SOCK : DT_REG;
            }
            is_dir = type == DT_DIR;
            /* (find: root's own names were looked up before the walk) */
            if (w->sockets ? type == DT_SOCK
                : w->names ? depth > 0 && name_in(w->names, de->d_name)
                           : fspol_glob_match(w->pattern, path)) {
                r = strv_push(w->out, path);
                if (r < 0)
                    return r;
            }
            if (is_dir && w->names && streq(de->d_name, "node_modules"))
                is_dir = false;
            if (is_dir && w->prune && streq(path, w->prune))
                is_dir = false;
            if (is_dir && depth + 1 < w->max_depth) {
                int sub = open_subdir(w, dfd, de->d_name);
                if (sub >= 0) {
                    r = walk_dir(w, sub, path, strlen(path), depth + 1);
                    if (r < 0 || w->truncated)
                        return r;
                }
            }
            path[len] = '\0';
        }
    }
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static unsigned count_components(const char *p) {
    unsigned n = 0;
    for (; *p; p++)
        if (*p == '/' && p[1] && p[1] != '/')
            n++;
    return n;
}

static int walk_from(walk *w, const char *root, bool *ret_truncated);

static size_t walk_budget(const void *data) {
    const probe_limits *l = data;
    return l ? l->walk_max_entries : PROBE_GLOB_MAX_ENTRIES;
}

static int real_glob(void *data, const char *pattern, strv *ret, bool *ret_truncated) {
    _cleanup_free_ char *prefix = NULL;
    fspol_glob_kind kind;
    walk w = {.pattern = pattern, .out = ret, .max_entries = walk_budget(data)};
    int r;

    *ret_truncated = false;
    r = fspol_glob_classify(pattern, &kind, &prefix);
    if (r < 0)
        return r;
    if (kind == FSPOL_GLOB_NONE || kind == FSPOL_GLOB_TREE) {
        if (access(prefix, F_OK) < 0)
            return 0;
        r = strv_push(ret, prefix);
        return r < 0 ? r : 1;
    }
    w.max_depth = kind == FSPOL_GLOB_SIMPLE ? count_components(pattern) - count_components(prefix)
                                            : PROBE_GLOB_MAX_DEPTH;
    return walk_from(&w, prefix, ret_truncated);
}

/* Walks below root (opened following symlinks) with w's mode; appends sorted matches. */
static int walk_from(walk *w, const char *root, bool *ret_truncated) {
    char path[PATH_MAX];
    size_t before = w->out->n;
    int fd, r;

    *ret_truncated = false;
    if (strlen(root) >= sizeof(path))
        return 0;
    strcpy(path, root);
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    for (size_t i = 0; w->names && w->names[i]; i++) {
        struct stat st;
        _cleanup_free_ char *p = NULL;

        if (fstatat(fd, w->names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        p = path_join(root, w->names[i]);
        r = p ? strv_push(w->out, p) : -ENOMEM;
        if (r < 0) {
            close(fd);
            return r;
        }
    }
    r = walk_dir(w, fd, path, strlen(path), 0);
    if (r < 0)
        return r;
    *ret_truncated = w->truncated;
    if (w->out->n - before > 1)
        qsort(w->out->v + before, w->out->n - before, sizeof(char *), cmp_str);
    return (int) (w->out->n - before);
}

static int real_find(void *data, const char *root, unsigned max_depth, const char *const *names,
                     strv *ret, bool *ret_truncated) {
    walk w = {.names = names, .out = ret, .max_depth = max_depth, .max_entries = walk_budget(data)};

    return walk_from(&w, root, ret_truncated);
}

static int real_sockets(void *data, const char *root, unsigned max_depth, const char *prune,
                        strv *ret, bool *ret_truncated) {
    const probe_limits *l = data;
    walk w = {.sockets = true,
              .prune = prune,
              .out = ret,
              .max_depth = max_depth,
              .max_entries = l ? l->socket_max_entries : PROBE_SOCKET_MAX_ENTRIES};

    return walk_from(&w, root, ret_truncated);
}

static int real_user_writable(void *data, const char *dir, uid_t uid, gid_t gid) {
    _cleanup_free_ gid_t *groups = NULL;
    struct stat st;
    int n;

    (void) data;
    if (stat(dir, &st) < 0)
        return -errno;
    if (st.st_uid == uid || (st.st_mode & S_IWOTH))
        return 1;
    if (!(st.st_mode & S_IWGRP))
        return 0;
    if (st.st_gid == gid)
        return 1;
    n = getgroups(0, NULL);
    if (n <= 0)
        return n < 0 ? -errno : 0;
    groups = calloc((size_t) n, sizeof(*groups));
    if (!groups)
        return -ENOMEM;
    n = getgroups(n, groups);
    if (n < 0)
        return -errno;
    for (int i = 0; i < n; i++)
        if (groups[i] == st.st_gid)
            return 1;
    return 0;
}

/* Never blocks: a FIFO or device planted where a config file was expected is refused. */
static int real_read(void *data, const char *path, size_t max, char **ret) {
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;

    (void) data;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    return read_full_fd(fd, max, ret, NULL);
}

const hostfs_ops probe_hostfs_ops = {.resolve = real_resolve,
                                     .glob = real_glob,
                                     .find = real_find,
                                     .sockets = real_sockets,
                                     .user_writable = real_user_writable,
                                     .read = real_read};

static bool in_container(void) {
    static const char *const marks[] = {"docker", "containerd", "kubepods",
                                        "libpod", "podman",     "lxc"};
    _cleanup_free_ char *cg = NULL;

    if (access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0)
        return true;
    if (read_full_file("/proc/1/cgroup", 1 << 16, &cg, NULL) < 0)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
        if (strstr(cg, marks[i]))
            return true;
    return false;
}

static int dup_env(char **env, const char *name, char **ret) {
    const char *v = probe_getenv(env, name);

    *ret = NULL;
    if (!v || !*v)
        return 0;
    *ret = strdup(v);
    return *ret ? 0 : -ENOMEM;
}

int probe_host(char **env, const char *cwd, host_facts *ret, fence_error *err) {
    host_facts f = {.uid = geteuid(), .gid = getegid(), .fs = &probe_hostfs_ops};
    char buf[PATH_MAX];
    const char *home;

    if (!cwd && !getcwd(buf, sizeof(buf)))
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "reading the current directory");
    f.cwd = realpath(cwd ? cwd : buf, NULL);
    if (!f.cwd)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "resolving '%s'", cwd ? cwd : buf);
    home = probe_getenv(env, "HOME");
    if (home && path_is_abs(home)) {
        f.home = path_clean(home);
        if (!f.home)
            goto oom;
    }
    {
        const char *x = probe_getenv(env, "XDG_CONFIG_HOME");
        if (x && path_is_abs(x) && !(f.xdg_config_home = path_clean(x)))
            goto oom;
    }
    if (dup_env(env, "TMPDIR", &f.tmpdir) < 0 ||
        dup_env(env, "XDG_RUNTIME_DIR", &f.xdg_runtime_dir) < 0)
        goto oom;
    if (fspol_env_socket_paths(env ? env : environ, f.xdg_runtime_dir, &f.env_sockets) < 0)
        goto oom;
    f.in_container = in_container();
    f.wsl = access("/proc/sys/fs/binfmt_misc/WSLInterop", F_OK) == 0 ||
            access("/proc/sys/fs/binfmt_misc/WSLInterop-late", F_OK) == 0;
    {
        struct stat st;
        if (lstat("/etc/resolv.conf", &st) == 0 && S_ISLNK(st.st_mode))
            f.resolv_target = realpath("/etc/resolv.conf", NULL);
    }
    *ret = f;
    return 0;
oom:
    host_facts_done(&f);
    return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "probing the host");
}

void host_facts_done(host_facts *f) {
    free(f->cwd);
    free(f->home);
    free(f->resolv_target);
    free(f->tmpdir);
    free(f->xdg_runtime_dir);
    free(f->xdg_config_home);
    strv_done(&f->env_sockets);
    *f = (host_facts){0};
}
