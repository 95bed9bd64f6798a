/* SPDX-License-Identifier: MIT */
/* The protected-names broker; see broker.h. */
#include "runtime/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "policy/fspol.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/path.h"

/* Symlinks followed while resolving one path (the kernel's own limit). */
#define BROKER_MAX_LINKS 40
/* The largest struct open_how accepted (the kernel's limit: one page). */
#define BROKER_OPEN_HOW_MAX 4096
/* Sandbox-view paths the broker builds: a directory plus one name. */
#define VIEW_MAX (PATH_MAX + NAME_MAX + 2)
/* Times an open retries a name that another process removes and creates under it. */
#define BROKER_OPEN_TRIES 8
/* Device numbers: /dev/tty is (5, 0); Unix98 pty terminals use majors 136-143. */
#define TTY_MAJOR_ALT   5
#define PTS_MAJOR_FIRST 136u
#define PTS_MAJORS      8u

/* The kernel's __O_TMPFILE: glibc's name for it includes O_DIRECTORY. */
#define O_TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)

#define RESOLVE_KNOWN                                                                              \
    (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |             \
     RESOLVE_IN_ROOT | RESOLVE_CACHED)
#define RESOLVE_SCOPED (RESOLVE_BENEATH | RESOLVE_IN_ROOT)

struct broker {
    broker_config cfg;
    pid_t pid;
    size_t notif_size, resp_size;
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    bool drop_caps;                        /* we have effective capabilities: drop them */
    struct __user_cap_data_struct caps[2]; /* our own, restored after each request */
    mode_t own_umask;                      /* ours, read once; never changed */
    int sandbox_root;                      /* the sandbox's "/", opened at the first request */
    unsigned long handled, refused;
};

/* Reads the start of a small procfs file (path relative to dirfd) as a string. Returns its
 * length or -errno. */
static int read_proc_text(int dirfd, const char *path, char *buf, size_t size) {
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return n < 0 ? -errno : -EIO;
    buf[n] = '\0';
    return (int) n;
}

/* The octal number after key ("\nUmask:\t", "flags:\t") in text, or def. */
static long octal_field(const char *text, const char *key, long def) {
    const char *f = strstr(text, key);
    return f ? strtol(f + strlen(key), NULL, 8) : def;
}

/* The supervisor's umask without changing it (umask(2) can only set). */
static mode_t read_own_umask(void) {
    char buf[1024];

    if (read_proc_text(AT_FDCWD, "/proc/self/status", buf, sizeof(buf)) < 0)
        return 022;
    return (mode_t) octal_field(buf, "\nUmask:\t", 022) & 0777;
}

int broker_new(const broker_config *cfg, pid_t pid, broker **ret, fence_error *err) {
    struct seccomp_notif_sizes sizes;
    broker *b;

    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
        return fence_error_set(err, FENCE_E_UNSUPPORTED, errno, "seccomp notification sizes");
    b = calloc(1, sizeof(*b));
    if (!b)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the broker");
    b->cfg = *cfg;
    b->pid = pid;
    b->sandbox_root = -1;
    b->notif_size = sizes.seccomp_notif > sizeof(*b->req) ? sizes.seccomp_notif : sizeof(*b->req);
    b->resp_size = sizes.seccomp_notif_resp > sizeof(*b->resp) ? sizes.seccomp_notif_resp
                                                               : sizeof(*b->resp);
    b->req = calloc(1, b->notif_size);
    b->resp = calloc(1, b->resp_size);
    b->own_umask = read_own_umask();
    if (!b->req || !b->resp) {
        broker_free(b);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the broker");
    }
    {
        /* without knowing our capabilities we could not give them up: fail closed */
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        if (syscall(SYS_capget, &h, b->caps) < 0) {
            int e = errno;
            broker_free(b);
            return fence_error_set(err, FENCE_E_SANDBOX, e, "reading our capabilities");
        }
        b->drop_caps = b->caps[0].effective || b->caps[1].effective;
    }
    *ret = b;
    return 0;
}

void broker_free(broker *b) {
    if (!b)
        return;
    safe_close(b->sandbox_root);
    free(b->req);
    free(b->resp);
    free(b);
}

unsigned long broker_handled(const broker *b) {
    return b->handled;
}

unsigned long broker_refused(const broker *b) {
    return b->refused;
}

/* ------------------------------------------------------------------------------------------
 * The request and the tracee
 */

typedef struct req_ctx {
    broker *b;
    int fd; /* listener */
    const struct seccomp_notif *req;
    pid_t pid;    /* the calling thread, in our PID namespace */
    bool cloexec; /* the created fd is to be O_CLOEXEC in the workload */
    /* from /proc/PID/status, read on demand */
    bool have_status;
    mode_t umask;
    pid_t tgid;           /* its process, in our PID namespace */
    long ns_tgid, ns_tid; /* the caller's ids in the sandbox's PID namespace */
} req_ctx;

/* The pid may have been reused since the kernel queued the request: everything read from
 * /proc/PID or its memory is trusted only once the request is still pending afterwards: each
 * read below checks it before its result is used (valid_fd). */
static int still_valid(req_ctx *c) {
    __u64 id = c->req->id;
    return ioctl(c->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -ENOENT : 0;
}

/* fd (or -errno) when the request is still pending; an fd opened from a reused pid is closed. */
static int valid_fd(req_ctx *c, int fd) {
    if (fd >= 0 && still_valid(c) < 0) {
        close(fd);
        return -ENOENT;
    }
    return fd;
}

/* Reads a NUL-terminated string of at most PATH_MAX bytes at addr in the caller. */
static int read_string(req_ctx *c, uint64_t addr, char *buf, size_t size) {
    pid_t pid = c->pid;
    size_t got = 0;

    if (!addr)
        return -EFAULT;
    while (got < size) {
        /* never cross a page in one read, so that a string ending near an unmapped page is
         * still read completely */
        size_t page = 4096 - ((addr + got) & 4095), want = size - got < page ? size - got : page;
        struct iovec local = {.iov_base = buf + got, .iov_len = want};
        struct iovec remote = {.iov_base = (void *) (uintptr_t) (addr + got), .iov_len = want};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

        if (n <= 0)
            return n < 0 ? -errno : -EFAULT;
        if (memchr(buf + got, '\0', (size_t) n))
            return still_valid(c);
        got += (size_t) n;
    }
    return -ENAMETOOLONG;
}

/* Opens /proc/PID/what of the caller. */
static int open_proc(req_ctx *c, const char *what, int flags) {
    char p[64];
    int fd;

    snprintf(p, sizeof(p), "/proc/%d/%s", (int) c->pid, what);
    fd = open(p, flags | O_CLOEXEC);
    return valid_fd(c, fd < 0 ? -errno : fd);
}

/* Last number of a "Key:\tN\tM..." line of /proc/PID/status (the innermost namespace's id). */
static long last_number(const char *buf, const char *key) {
    const char *l = strstr(buf, key), *e;
    long v = -1;

    if (!l)
        return -1;
    e = strchrnul(l + 1, '\n'); /* the key starts with the previous line's \n */
    for (const char *p = l + strlen(key); p < e;) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p)
            break;
        v = x;
        p = end;
    }
    return v;
}

/* The caller's umask and process ids (one read of /proc/PID/status per request). */
static int load_status(req_ctx *c) {
    char buf[4096], path[48];

    if (c->have_status)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int) c->pid);
    if (read_proc_text(AT_FDCWD, path, buf, sizeof(buf)) < 0 || still_valid(c) < 0)
        return -ESRCH;
    c->umask = (mode_t) octal_field(buf, "\nUmask:\t", 022) & 0777;
    c->tgid = (pid_t) last_number(buf, "\nTgid:");
    c->ns_tgid = last_number(buf, "\nNStgid:");
    c->ns_tid = last_number(buf, "\nNSpid:");
    c->have_status = true;
    return 0;
}

/* Every process in the sandbox has the same root: chroot, pivot_root and new mount namespaces
 * are refused by its seccomp filter. It is opened once, from the first caller. */
static int sandbox_root(req_ctx *c) {
    int fd;

    if (c->b->sandbox_root >= 0)
        return c->b->sandbox_root;
    fd = open_proc(c, "root", O_PATH | O_DIRECTORY);
    if (fd < 0)
        return fd;
    c->b->sandbox_root = fd;
    return fd;
}

/* The directory a relative path starts from: the caller's cwd or the directory fd it passed. */
static int open_base(req_ctx *c, int dirfd) {
    char what[32];

    if (dirfd == AT_FDCWD)
        return open_proc(c, "cwd", O_PATH | O_DIRECTORY);
    if (dirfd < 0)
        return -EBADF;
    snprintf(what, sizeof(what), "fd/%d", dirfd);
    return open_proc(c, what, O_PATH);
}

/* The sandbox-view path of an fd we hold (the kernel prints it relative to the root of the
 * sandbox's mount namespace, which our root cannot reach), joined with name (may be NULL). */
static int view_path(int fd, const char *name, char *out, size_t size) {
    char link[64], dir[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, dir, sizeof(dir) - 1);
    if (n <= 0)
        return -errno;
    dir[n] = '\0';
    if (dir[0] != '/')
        return -ENOENT; /* deleted or not a path */
    if (!name)
        return (size_t) snprintf(out, size, "%s", dir) >= size ? -ENAMETOOLONG : 0;
    if ((size_t) snprintf(out, size, "%s/%s", streq(dir, "/") ? "" : dir, name) >= size)
        return -ENAMETOOLONG;
    return 0;
}

static int mount_id(int fd, uint64_t *ret) {
    struct statx stx;

    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0)
        return -errno;
    *ret = stx.stx_mnt_id;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Resolving a path in the sandbox's view
 */

/* Where a path leads: the directory holding its last name, or (through a /proc magic link)
 * the object itself. */
typedef struct target {
    int parent;              /* O_PATH directory, or -1 */
    char name[NAME_MAX + 1]; /* last component in parent */
    int obj;                 /* the object a /proc/.../fd/N magic link names, or -1 */
    int obj_flags;           /* the open flags of the caller's fd N (fdinfo), -1 unknown */
    char view[VIEW_MAX];     /* sandbox-view path of parent/name; "" until computed */
} target;

#define TARGET_INIT ((target){.parent = -1, .obj = -1, .obj_flags = -1})

static void target_done(target *t) {
    t->parent = safe_close(t->parent);
    t->obj = safe_close(t->obj);
}

/* The view path of parent/name, computed when the resolver could not build it as text. */
static int target_view(target *t) {
    if (t->view[0])
        return 0;
    return view_path(t->parent, t->name, t->view, sizeof(t->view));
}

typedef struct walk {
    req_ctx *c;
    int root;  /* the sandbox's root */
    int scope; /* RESOLVE_BENEATH/IN_ROOT: the directory the lookup may not leave */
    uint64_t resolve;
    uint64_t mnt; /* RESOLVE_NO_XDEV: the mount the lookup must stay on */
    bool follow_last;
    bool dir_ok; /* a path naming a directory itself ("/", "x/.") is parent = it, name "." */
    int cur;
    unsigned depth; /* components below scope */
    unsigned links;
} walk;

static int walk_enter(walk *w, int fd) {
    if (w->resolve & RESOLVE_NO_XDEV) {
        uint64_t id;
        int r = mount_id(fd, &id);
        if (r < 0 || id != w->mnt) {
            close(fd);
            return r < 0 ? r : -EXDEV;
        }
    }
    safe_close(w->cur);
    w->cur = fd;
    return 0;
}

/* Steps to the parent directory of the walk's current one. */
static int walk_up(walk *w) {
    int fd;

    if (w->depth == 0 && (w->resolve & RESOLVE_SCOPED))
        /* IN_ROOT: ".." at the scope's root stays there */
        return w->resolve & RESOLVE_BENEATH ? -EXDEV : 0;
    /* ".." at the sandbox's root stays there: its mount has no parent in that namespace */
    fd = openat(w->cur, "..", O_PATH | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (w->depth > 0)
        w->depth--;
    return walk_enter(w, fd);
}

/* Restarts at the root an absolute path (or symlink target) refers to. */
static int walk_restart(walk *w) {
    int fd;

    if (w->resolve & RESOLVE_BENEATH)
        return -EXDEV;
    fd = fcntl(w->resolve & RESOLVE_IN_ROOT ? w->scope : w->root, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    w->depth = 0;
    return walk_enter(w, fd);
}

/* Is the magic link comp of directory w->cur one of the caller's own (/proc/<its pid>/...)? */
static int own_proc_entry(walk *w, char *dirview, size_t size) {
    char own[48];
    int r = load_status(w->c);

    if (r < 0)
        return r;
    r = view_path(w->cur, NULL, dirview, size);
    if (r < 0)
        return r;
    snprintf(own, sizeof(own), "/proc/%ld", w->c->ns_tgid);
    return path_is_under(dirview, own) ? 0 : -EACCES;
}

/* An fd we got by following a magic link is only walked into when it is a directory of the
 * sandbox's own tree: its view path, looked up from the sandbox's root, is the same object. A
 * caller's fd inherited from outside (a host directory as stdin) names a place the sandbox
 * cannot see, and Landlock would refuse the caller's own lookup through it. */
static int inside_view(walk *w, int fd) {
    char view[PATH_MAX];
    struct statx a, b;
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve =
                                   RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    _cleanup_close_ int again = -1;
    int r = view_path(fd, NULL, view, sizeof(view));

    if (r < 0)
        return -EACCES;
    again = (int) syscall(SYS_openat2, w->root, view, &how, sizeof(how));
    if (again < 0)
        return -EACCES;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &a) < 0 ||
        statx(again, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &b) < 0)
        return -errno;
    if (a.stx_ino != b.stx_ino || a.stx_mnt_id != b.stx_mnt_id ||
        a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor)
        return -EACCES;
    return 0;
}

/* The open flags of the caller's fd behind /proc/<pid>/fd/<name> (dir is that "fd" dir). */
static int fd_flags(int fd_dir, const char *name) {
    char p[NAME_MAX + 16], buf[512];
    int r;

    snprintf(p, sizeof(p), "../fdinfo/%s", name);
    r = read_proc_text(fd_dir, p, buf, sizeof(buf));
    return r < 0 ? r : (int) octal_field(buf, "flags:\t", -EIO);
}

/* A symlink in procfs: "self" and "thread-self" name the caller in the sandbox's PID namespace
 * (the kernel would answer with ours, which does not exist there); every other one is a magic
 * link (fd/N, cwd, root, exe), which the kernel follows for us. Returns 1 when the walk goes on
 * with *tail spliced, 0 when w->cur is now the object, or -errno. */
static int proc_link(walk *w, const char *comp, bool last, target *t, char *splice, size_t size) {
    char dirview[PATH_MAX];
    int r, fd;

    r = load_status(w->c);
    if (r < 0)
        return r;
    if (streq(comp, "self")) {
        snprintf(splice, size, "%ld", w->c->ns_tgid);
        return 1;
    }
    if (streq(comp, "thread-self")) {
        snprintf(splice, size, "%ld/task/%ld", w->c->ns_tgid, w->c->ns_tid);
        return 1;
    }
    if (w->resolve & RESOLVE_NO_MAGICLINKS)
        return -ELOOP;
    if (w->resolve & RESOLVE_SCOPED)
        return -EXDEV;
    r = own_proc_entry(w, dirview, sizeof(dirview));
    if (r < 0)
        return r;
    fd = openat(w->cur, comp, O_PATH | O_CLOEXEC);
    fd = valid_fd(w->c, fd < 0 ? -errno : fd);
    if (fd < 0)
        return fd;
    if (last) {
        /* reopening one of the caller's fds: only fd/N, with its flags known */
        size_t n = strlen(dirview);
        if (n < 3 || strcmp(dirview + n - 3, "/fd") != 0) {
            close(fd);
            return -EACCES;
        }
        t->obj_flags = fd_flags(w->cur, comp);
        t->obj = fd;
        return still_valid(w->c);
    }
    r = inside_view(w, fd);
    if (r < 0) {
        close(fd);
        return r;
    }
    r = walk_enter(w, fd);
    return r < 0 ? r : 2;
}

/* Component-by-component lookup, with the semantics of the kernel's and of openat2's RESOLVE_*
 * flags. */
static int walk_path(walk *w, const char *path, target *t) {
    char work[2 * PATH_MAX], tail[PATH_MAX], *rest = work;

    if (strlen(path) >= PATH_MAX)
        return -ENAMETOOLONG;
    strcpy(work, path);
    if (path[0] == '/') {
        int r = walk_restart(w);
        if (r < 0)
            return r;
    }
    for (;;) {
        char comp[NAME_MAX + 1], *next, splice[64];
        bool last = true;
        struct stat st;
        struct statfs sf;
        int fd, r;

        while (*rest == '/')
            rest++;
        if (!*rest && w->dir_ok) {
            strcpy(t->name, ".");
            return 0;
        }
        if (!*rest)
            return -EEXIST; /* "/" or "dir/": the directory itself */
        next = strchrnul(rest, '/');
        if ((size_t) (next - rest) > NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(comp, rest, (size_t) (next - rest));
        comp[next - rest] = '\0';
        for (char *q = next; *q; q++)
            if (*q != '/') {
                last = false;
                break;
            }
        rest = *next ? next + 1 : next;
        if (streq(comp, ".") || streq(comp, "..")) {
            if (last && !w->dir_ok)
                return -EEXIST; /* "x/." or "x/..": an existing directory */
            if (streq(comp, "..") && (r = walk_up(w)) < 0)
                return r;
            if (!last)
                continue;
            strcpy(t->name, ".");
            return 0;
        }
        if (last && !w->follow_last) {
            strcpy(t->name, comp);
            return 0;
        }
        fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT && last) {
                strcpy(t->name, comp); /* a new name */
                return 0;
            }
            return -errno;
        }
        if (fstat(fd, &st) < 0) {
            r = -errno;
            close(fd);
            return r;
        }
        if (!S_ISLNK(st.st_mode)) {
            if (last) {
                close(fd);
                strcpy(t->name, comp);
                return 0;
            }
            if (!S_ISDIR(st.st_mode)) {
                close(fd);
                return -ENOTDIR;
            }
            w->depth++;
            r = walk_enter(w, fd);
            if (r < 0)
                return r;
            continue;
        }
        close(fd);
        if ((w->resolve & RESOLVE_NO_SYMLINKS) || ++w->links > BROKER_MAX_LINKS)
            return -ELOOP;
        splice[0] = '\0';
        if (fstatfs(w->cur, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
            r = proc_link(w, comp, last, t, splice, sizeof(splice));
            if (r < 0 || r == 0)
                return r; /* the object (0) or an error */
            if (r == 2)
                continue; /* walked into the object */
        }
        /* splice the link's target (or the procfs id) in front of the rest */
        if (strlen(rest) >= sizeof(tail))
            return -ENAMETOOLONG;
        strcpy(tail, rest);
        if (splice[0]) {
            snprintf(work, sizeof(work), "%s%s%s", splice, *tail ? "/" : "", tail);
        } else {
            ssize_t n = readlinkat(w->cur, comp, work, PATH_MAX);
            if (n <= 0 || n >= PATH_MAX)
                return n < 0 ? -errno : -ENAMETOOLONG;
            work[n] = '\0';
            if ((size_t) n + 1 + strlen(tail) >= sizeof(work))
                return -ENAMETOOLONG;
            if (*tail) {
                work[n] = '/';
                strcpy(work + n + 1, tail);
            }
            if (work[0] == '/') {
                r = walk_restart(w);
                if (r < 0)
                    return r;
            }
        }
        rest = work;
    }
}

/* The fast case: an absolute path or one below the base, without symlinks: one openat2()
 * finds the parent, and the view path is the cleaned text. */
static int resolve_fast(req_ctx *c, int root, int base, const char *path, target *t) {
    char dir[PATH_MAX];
    const char *slash, *name;
    size_t len = strlen(path);
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd;

    (void) c;
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0 || len >= sizeof(dir))
        return -EAGAIN;
    memcpy(dir, path, len);
    dir[len] = '\0';
    slash = strrchr(dir, '/');
    name = slash ? slash + 1 : dir;
    if (!*name || streq(name, ".") || streq(name, "..") || strlen(name) > NAME_MAX)
        return -EAGAIN;
    strcpy(t->name, name);
    if (slash == dir)
        strcpy(dir, "/");
    else if (slash)
        dir[slash - dir] = '\0';
    else
        strcpy(dir, ".");
    how.resolve |= path[0] == '/' ? RESOLVE_IN_ROOT : RESOLVE_BENEATH;
    fd = (int) syscall(SYS_openat2, path[0] == '/' ? root : base, dir, &how, sizeof(how));
    if (fd < 0)
        return errno == ELOOP || errno == EXDEV || errno == EAGAIN ? -EAGAIN : -errno;
    t->parent = fd;
    if (path[0] == '/') {
        _cleanup_free_ char *clean = path_clean(dir);
        if (clean && (size_t) snprintf(t->view, sizeof(t->view), "%s/%s",
                                       streq(clean, "/") ? "" : clean, t->name) >= sizeof(t->view))
            t->view[0] = '\0';
    }
    return 0;
}

typedef struct lookup {
    int dirfd;        /* as the caller passed it */
    uint64_t resolve; /* openat2's RESOLVE_* flags, else 0 */
    bool follow_last;
    bool dir_ok; /* the path may name a directory itself (walk.dir_ok) */
} lookup;

/* Resolves path (already read from the caller) to a target. */
static int resolve(req_ctx *c, const lookup *l, const char *path, target *t) {
    _cleanup_close_ int base = -1;
    walk w = {.c = c,
              .resolve = l->resolve,
              .follow_last = l->follow_last,
              .dir_ok = l->dir_ok,
              .cur = -1};
    int root, r;

    *t = TARGET_INIT;
    if (l->resolve & ~(uint64_t) RESOLVE_KNOWN)
        return -EINVAL;
    if (l->resolve & RESOLVE_CACHED)
        return -EAGAIN; /* "not from the cache alone": callers retry without it */
    if (!*path)
        return -ENOENT;
    root = sandbox_root(c);
    if (root < 0)
        return root;
    if (path[0] != '/' || (l->resolve & RESOLVE_SCOPED) || (l->resolve & RESOLVE_NO_XDEV)) {
        base = open_base(c, l->dirfd);
        if (base < 0)
            return base;
    }
    if (!l->follow_last && !(l->resolve & (RESOLVE_SCOPED | RESOLVE_NO_XDEV))) {
        r = resolve_fast(c, root, base, path, t);
        if (r != -EAGAIN)
            return r;
        t->name[0] = '\0';
    }
    w.root = root;
    w.scope = base;
    if ((l->resolve & RESOLVE_NO_XDEV) && (r = mount_id(base, &w.mnt)) < 0)
        return r;
    w.cur = fcntl(path[0] == '/' || base < 0 ? root : base, F_DUPFD_CLOEXEC, 3);
    if (w.cur < 0)
        return -errno;
    r = walk_path(&w, path, t);
    if (r >= 0 && t->obj < 0)
        t->parent = TAKE_FD(w.cur);
    safe_close(w.cur);
    return r;
}

/* Reads the path argument at addr and resolves it. */
static int get_target(req_ctx *c, const lookup *l, uint64_t addr, char *path, target *t) {
    int r = read_string(c, addr, path, PATH_MAX);

    *t = TARGET_INIT;
    return r < 0 ? r : resolve(c, l, path, t);
}

/* ------------------------------------------------------------------------------------------
 * Operations
 */

/* The mode a creating call of the caller gets: its mode less its umask. We create with that;
 * the kernel then also takes our umask away, so bits that ours removes and the caller's does
 * not are put back afterwards (fix_mode). */
static int caller_mode(req_ctx *c, mode_t mode, mode_t *ret) {
    /* Read every time: a umask cached from an earlier request gave a file the wrong mode once
     * under load (test_library_leaves_process_state_alone); one /proc read is cheap. */
    int r = load_status(c);

    if (r < 0)
        return r;
    *ret = mode & ~c->umask & 07777;
    return 0;
}

static bool needs_fix(req_ctx *c, mode_t want) {
    return (want & 0777 & c->b->own_umask) != 0;
}

/* Sets the permission bits of what fd (any kind, O_PATH too) names to want's. */
static void fix_mode(int fd, mode_t want) {
    char p[64];
    struct stat st;

    if (fstat(fd, &st) < 0)
        return;
    snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
    chmod(p, (st.st_mode & 07000) | (want & 0777));
}

static fspol_protect protect_of(const broker *b) {
    return (fspol_protect){.workspace = b->cfg.workspace,
                           .home = b->cfg.home,
                           .allow_git_config = b->cfg.allow_git_config,
                           .deny_write = b->cfg.deny_write,
                           .git_dirs = b->cfg.git_dirs,
                           .git_protect = b->cfg.git_protect};
}

static int refuse(req_ctx *c, const char *what, const target *t, const char *why) {
    c->b->refused++;
    if (c->b->cfg.log && (c->b->cfg.log->debug || c->b->cfg.log->monitor))
        rlog_line(c->b->cfg.log, "[fence:linux] refused %s \"%s\" (%s)", what, t->view, why);
    return -EACCES;
}

static int check(req_ctx *c, target *t, fspol_create_kind kind) {
    fspol_protect p = protect_of(c->b);
    const char *why;
    int r = target_view(t);

    if (r < 0)
        return r;
    why = fspol_create_denied(&p, t->view, kind);
    return why ? refuse(c, "creating", t, why) : 0;
}

/* An entry renamed away may not carry protected git paths with it (fspol_move_denied). */
static int check_move(req_ctx *c, target *t) {
    fspol_protect p = protect_of(c->b);
    const char *why;
    int r = target_view(t);

    if (r < 0)
        return r;
    why = fspol_move_denied(&p, t->view);
    return why ? refuse(c, "moving", t, why) : 0;
}

/* A process's session and controlling terminal (fields 6 and 7 of /proc/PID/stat; tty 0 is
 * none). */
static int stat_tty(const char *path, long *ret_sid, dev_t *ret_tty) {
    char buf[1024];
    const char *p;
    unsigned long tty;

    if (read_proc_text(AT_FDCWD, path, buf, sizeof(buf)) < 0)
        return -ESRCH;
    p = strrchr(buf, ')'); /* the end of the command name, which may hold anything */
    if (!p || sscanf(p + 1, " %*c %*d %*d %ld %lu", ret_sid, &tty) != 2)
        return -EIO;
    *ret_tty = (dev_t) tty;
    return 0;
}

/* What /dev/tty (obj) names for the caller: its controlling terminal, which is not ours. A
 * caller in our session with our terminal shares it, and the kernel's lookup done by us finds
 * it (obj itself, *ret_obj stays -1). A caller in a session of its own can only have made a pty
 * of the sandbox's devpts its terminal: found there by number (and device). Anything else is
 * ENXIO, the kernel's answer when there is no controlling terminal. */
static int ctty_object(req_ctx *c, int *ret_obj) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve =
                                   RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    char path[48];
    long sid, own_sid;
    dev_t tty, own_tty;
    unsigned maj;
    struct stat st;
    int root, fd, r;

    *ret_obj = -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int) c->pid);
    r = stat_tty(path, &sid, &tty);
    if (r >= 0)
        r = still_valid(c);
    if (r < 0)
        return r;
    if (tty == 0)
        return -ENXIO;
    if (stat_tty("/proc/self/stat", &own_sid, &own_tty) == 0 && own_sid == sid && own_tty == tty)
        return 0;
    maj = major(tty);
    if (maj < PTS_MAJOR_FIRST || maj >= PTS_MAJOR_FIRST + PTS_MAJORS)
        return -ENXIO;
    root = sandbox_root(c);
    if (root < 0)
        return root;
    snprintf(path, sizeof(path), "dev/pts/%u", (maj - PTS_MAJOR_FIRST) * 256 + minor(tty));
    fd = (int) syscall(SYS_openat2, root, path, &how, sizeof(how));
    if (fd < 0)
        return -ENXIO;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != tty) {
        close(fd);
        return -ENXIO;
    }
    *ret_obj = fd;
    return 0;
}

/* Opens what obj (an O_PATH fd) names as the caller's open(2) with flags would, but never
 * waiting: the supervisor's one event loop serves every request, the proxies and the signals.
 * A FIFO, a terminal or a device is opened with O_NONBLOCK (a FIFO without a reader answers
 * ENXIO instead of waiting for one; its reader does not wait for a writer), which is taken back
 * off the new fd unless the caller asked for it. Never O_NOCTTY-less: the supervisor does not
 * take a terminal. /dev/tty is the caller's terminal, not the supervisor's (ctty_object); a
 * socket cannot be opened (ENXIO, as the kernel answers). A symlink (obj is never followed) is
 * -ELOOP, for the caller to look up again following it, unless O_NOFOLLOW asked for it
 * (O_PATH). With O_TMPFILE obj is the directory the unnamed file is made in, with mode. */
static int open_object(req_ctx *c, int obj, uint64_t flags, mode_t mode, int *ret_fd) {
    int oflags = (int) (flags & ~(uint64_t) (O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NONBLOCK |
                 O_NOCTTY | O_CLOEXEC;
    _cleanup_close_ int tty = -1;
    struct stat st;
    char p[64];
    int fd, fl;

    if (fstat(obj, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode) && !(flags & O_NOFOLLOW))
        return -ELOOP;
    if (flags & O_PATH) {
        if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode))
            return -ENOTDIR;
        fd = fcntl(obj, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            return -errno;
        *ret_fd = fd;
        return 0;
    }
    if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode))
        return -ENOTDIR; /* the kernel checks this before the type: a symlink too */
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (flags & O_TMPFILE_BIT) {
        /* O_EXCL stays: it keeps the file from ever being linked */
        fd = openat(obj, ".", (int) flags | O_NOCTTY | O_CLOEXEC, mode);
        if (fd < 0)
            return -errno;
        *ret_fd = fd;
        return 0;
    }
    if (S_ISSOCK(st.st_mode))
        return -ENXIO;
    if (S_ISDIR(st.st_mode) && (flags & O_CREAT))
        return -EISDIR;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(TTY_MAJOR_ALT, 0)) {
        int r = ctty_object(c, &tty);
        if (r < 0)
            return r;
        if (tty >= 0)
            obj = tty;
    }
    snprintf(p, sizeof(p), "/proc/self/fd/%d", obj);
    fd = open(p, oflags);
    if (fd < 0)
        return -errno;
    if (!(flags & O_NONBLOCK) &&
        ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    *ret_fd = fd;
    return 0;
}

/* open of one of the caller's own fds through /proc/self/fd/N or /dev/std*: the kernel would
 * reopen the file it names; we do, with no more access than that fd has (it may be a host file
 * the sandbox was handed only for reading). */
static int reopen_obj(req_ctx *c, const target *t, uint64_t flags, int *ret_fd) {
    int acc = (int) (flags & O_ACCMODE), have;

    if (t->obj_flags < 0 || (t->obj_flags & O_PATH))
        return -EACCES;
    have = t->obj_flags & O_ACCMODE;
    if ((acc != have && have != O_RDWR) || ((flags & O_TRUNC) && have == O_RDONLY))
        return -EACCES;
    if ((flags & O_CREAT) && (flags & O_EXCL))
        return -EEXIST;
    return open_object(c, t->obj, flags, 0, ret_fd);
}

/* openat(parent, name) as the caller asked, never following a symlink, creating the name only
 * when create is set, and then with O_EXCL: an existing name is opened by open_object, never by
 * the creating call (which would wait on a FIFO). *ret_created tells whether the file is new. */
static int open_in(req_ctx *c, const target *t, uint64_t flags, mode_t want, bool create,
                   bool *ret_created, int *ret_fd) {
    int make = (int) (flags & ~(uint64_t) O_EXCL) | O_EXCL | O_CREAT | O_NOFOLLOW | O_NOCTTY |
               O_CLOEXEC;

    *ret_created = false;
    /* a name that vanishes between the two calls is tried again, a few times */
    for (int tries = 0; tries < BROKER_OPEN_TRIES; tries++) {
        _cleanup_close_ int obj = -1;
        if (create) {
            int fd = openat(t->parent, t->name, make, want);
            if (fd >= 0) {
                *ret_created = true;
                *ret_fd = fd;
                return 0;
            }
            if (errno != EEXIST)
                return -errno;
            if (flags & O_EXCL)
                return -EEXIST;
        }
        obj = openat(t->parent, t->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (obj >= 0)
            return open_object(c, obj, flags, want, ret_fd);
        if (errno != ENOENT || !create)
            return -errno;
    }
    return -ENOENT;
}

/* Nothing is opened or created in procfs on the caller's behalf (we are not under its Landlock
 * domain, which keeps /proc read-only): only its own fds are reopened (reopen_obj). */
static int not_procfs(int dirfd) {
    struct statfs sf;

    if (fstatfs(dirfd, &sf) < 0)
        return -errno;
    return sf.f_type == PROC_SUPER_MAGIC ? -EACCES : 0;
}

/* With O_PATH the kernel ignores the other flags, O_CREAT included. */
static uint64_t open_flags(uint64_t flags) {
    return flags & O_PATH ? flags & (uint64_t) (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                          : flags;
}

static int do_open(req_ctx *c, int dirfd, uint64_t addr, uint64_t flags_in, mode_t mode,
                   uint64_t resolve_flags, int *ret_fd) {
    uint64_t flags = open_flags(flags_in);
    char path[PATH_MAX];
    bool tmp = flags & O_TMPFILE_BIT;
    /* O_TMPFILE names the directory the unnamed file is made in: ".", "/", "dir/" too */
    lookup l = {.dirfd = dirfd, .resolve = resolve_flags, .dir_ok = tmp};
    bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
    bool create = (flags & O_CREAT) && !tmp, created;
    target t = TARGET_INIT;
    mode_t want = 0;
    int r = read_string(c, addr, path, sizeof(path));

    if (r < 0)
        return r;
    /* the kernel's checks of the flags, before any lookup */
    if (tmp && ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || (flags & O_ACCMODE) == O_RDONLY))
        return -EINVAL;
    if (create && path[0] && path[strlen(path) - 1] == '/')
        return -EISDIR; /* the kernel's answer to O_CREAT on "name/" */
    c->cloexec = flags & O_CLOEXEC;
    /* first without following the last name; when it turns out to be a symlink the caller
     * wants followed, again with it followed (a fresh lookup: the target is checked too) */
    for (int pass = 0; pass < 2; pass++, target_done(&t)) {
        r = resolve(c, &l, path, &t);
        if (r >= 0 && (create || tmp))
            r = caller_mode(c, mode, &want);
        if (r >= 0)
            r = still_valid(c);
        if (r < 0)
            break;
        if (t.obj >= 0) {
            r = reopen_obj(c, &t, flags, ret_fd);
            break;
        }
        r = not_procfs(t.parent);
        if (r < 0 && follow && pass == 0) {
            l.follow_last = true; /* /dev/fd/N: the name in procfs is a magic link */
            continue;
        }
        if (r < 0)
            break;
        /* a protected name may still be opened when it exists: never created here */
        r = create ? check(c, &t, FSPOL_CREATE_FILE) : 0;
        if (r == -EACCES && (flags & O_EXCL)) {
            struct stat st;
            r = fstatat(t.parent, t.name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? -EEXIST : -EACCES;
            break;
        }
        if (r < 0 && r != -EACCES)
            break;
        r = open_in(c, &t, flags, want, create && r == 0, &created, ret_fd);
        if (r == -ENOENT && create)
            r = -EACCES; /* a refused name that does not exist */
        if (r == -ELOOP && follow && pass == 0) {
            l.follow_last = true;
            continue;
        }
        if (r >= 0 && (created || tmp) && needs_fix(c, want))
            fix_mode(*ret_fd, want);
        break;
    }
    target_done(&t);
    return r;
}

/* mkdir and mknod: create with the caller's mode, put back what our umask took. */
static int do_make(req_ctx *c, int dirfd, uint64_t addr, mode_t mode, dev_t dev, bool dir) {
    char path[PATH_MAX];
    lookup l = {.dirfd = dirfd};
    target t;
    mode_t want;
    int r = get_target(c, &l, addr, path, &t);

    if (r >= 0)
        r = caller_mode(c, mode & 07777, &want);
    if (r >= 0)
        r = still_valid(c);
    if (r >= 0)
        r = check(c, &t, dir ? FSPOL_CREATE_DIR : FSPOL_CREATE_FILE);
    if (r >= 0) {
        r = dir ? mkdirat(t.parent, t.name, want)
                : mknodat(t.parent, t.name, (mode & S_IFMT) | want, dev);
        r = r < 0 ? -errno : 0;
        if (r == 0 && needs_fix(c, want)) {
            int fd = openat(t.parent, t.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                fix_mode(fd, want);
                close(fd);
            }
        }
    }
    target_done(&t);
    return r;
}

static int do_symlink(req_ctx *c, uint64_t target_addr, int dirfd, uint64_t addr) {
    char text[PATH_MAX], path[PATH_MAX];
    lookup l = {.dirfd = dirfd};
    target t = TARGET_INIT;
    int r = read_string(c, target_addr, text, sizeof(text));

    if (r >= 0)
        r = get_target(c, &l, addr, path, &t);
    if (r >= 0)
        r = still_valid(c);
    if (r >= 0)
        r = check(c, &t, FSPOL_CREATE_SYMLINK);
    if (r >= 0) {
        r = symlinkat(text, t.parent, t.name) < 0 ? -errno : 0;
    }
    target_done(&t);
    return r;
}

/* The old side of linkat(AT_EMPTY_PATH): the caller's fd itself. */
static int caller_fd(req_ctx *c, int fd) {
    int pidfd, r = load_status(c);

    if (r < 0)
        return r;
    pidfd = (int) syscall(SYS_pidfd_open, c->tgid, 0);
    if (pidfd < 0)
        return -errno;
    r = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    r = r < 0 ? -errno : r;
    close(pidfd);
    return valid_fd(c, r);
}

/* A hard link brings what its source is: a symlink (linkat without AT_SYMLINK_FOLLOW links the
 * link itself) is checked as one, so ".git" cannot become a link to a directory that way. */
static int link_kind(int fd, const target *o, fspol_create_kind *ret) {
    struct stat st;

    if (fd >= 0 ? fstat(fd, &st) < 0 : fstatat(o->parent, o->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    *ret = S_ISLNK(st.st_mode) ? FSPOL_CREATE_SYMLINK : FSPOL_CREATE_FILE;
    return 0;
}

static int do_link(req_ctx *c, int olddirfd, uint64_t oldaddr, int newdirfd, uint64_t newaddr,
                   int flags) {
    char opath[PATH_MAX], npath[PATH_MAX], p[64];
    lookup lo = {.dirfd = olddirfd, .follow_last = flags & AT_SYMLINK_FOLLOW};
    lookup ln = {.dirfd = newdirfd};
    target o = TARGET_INIT, n = TARGET_INIT;
    fspol_create_kind kind = FSPOL_CREATE_FILE;
    _cleanup_close_ int fd = -1;
    int r = 0;

    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    r = read_string(c, oldaddr, opath, sizeof(opath));
    if (r >= 0 && !*opath && (flags & AT_EMPTY_PATH)) {
        /* linking an open file (O_TMPFILE): the kernel's own checks apply to our link of the
         * same file through /proc/self/fd (same mount only; not an O_EXCL tmpfile) */
        if (olddirfd == AT_FDCWD)
            return -EPERM; /* the caller's cwd is a directory */
        fd = caller_fd(c, olddirfd);
        r = fd < 0 ? fd : 0;
    } else if (r >= 0) {
        r = resolve(c, &lo, opath, &o);
        if (r >= 0 && o.obj >= 0)
            fd = TAKE_FD(o.obj);
    }
    if (r >= 0)
        r = get_target(c, &ln, newaddr, npath, &n);
    if (r >= 0)
        r = still_valid(c);
    if (r >= 0)
        r = link_kind(fd, &o, &kind);
    if (r >= 0)
        r = check(c, &n, kind);
    if (r >= 0) {
        if (fd >= 0) {
            snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
            r = linkat(AT_FDCWD, p, n.parent, n.name, AT_SYMLINK_FOLLOW);
        } else {
            r = linkat(o.parent, o.name, n.parent, n.name, 0);
        }
        r = r < 0 ? -errno : 0;
    }
    target_done(&o);
    target_done(&n);
    return r;
}

static int kind_of(const target *t, fspol_create_kind *ret) {
    struct stat st;

    if (fstatat(t->parent, t->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    *ret = S_ISDIR(st.st_mode)   ? FSPOL_RENAME_DIR
           : S_ISLNK(st.st_mode) ? FSPOL_CREATE_SYMLINK
                                 : FSPOL_RENAME_FILE;
    return 0;
}

/* A directory may not be moved into the workspace from outside it: EXDEV makes `mv` copy it
 * through the broker instead, so its contents are checked name by name. */
static int cross_check(req_ctx *c, target *from, target *to, fspol_create_kind kind) {
    const char *ws = c->b->cfg.workspace;

    if (kind != FSPOL_RENAME_DIR || !ws)
        return 0;
    if (target_view(from) < 0 || target_view(to) < 0)
        return -EXDEV;
    if (path_is_under(to->view, ws) && !path_is_under(from->view, ws))
        return -EXDEV;
    return 0;
}

static int do_rename(req_ctx *c, int olddirfd, uint64_t oldaddr, int newdirfd, uint64_t newaddr,
                     unsigned flags) {
    char opath[PATH_MAX], npath[PATH_MAX];
    lookup lo = {.dirfd = olddirfd}, ln = {.dirfd = newdirfd};
    target o = TARGET_INIT, n = TARGET_INIT;
    fspol_create_kind ko = FSPOL_RENAME_FILE, kn = FSPOL_RENAME_FILE;
    int r = get_target(c, &lo, oldaddr, opath, &o);

    if (r >= 0)
        r = get_target(c, &ln, newaddr, npath, &n);
    if (r >= 0)
        r = still_valid(c);
    if (r >= 0)
        r = kind_of(&o, &ko);
    if (r >= 0)
        r = check_move(c, &o);
    if (r >= 0)
        r = check(c, &n, ko);
    if (r >= 0)
        r = cross_check(c, &o, &n, ko);
    if (r >= 0 && (flags & RENAME_EXCHANGE)) {
        /* the other entry moves to the old name */
        r = kind_of(&n, &kn);
        if (r >= 0)
            r = check_move(c, &n);
        if (r >= 0)
            r = check(c, &o, kn);
        if (r >= 0)
            r = cross_check(c, &n, &o, kn);
    }
    if (r >= 0) {
        r = renameat2(o.parent, o.name, n.parent, n.name, flags) < 0 ? -errno : 0;
    }
    target_done(&o);
    target_done(&n);
    return r;
}

/* openat2's struct open_how: a larger struct is fine when the bytes we do not know are zero. */
static int read_open_how(req_ctx *c, uint64_t addr, uint64_t size, struct open_how *how) {
    char buf[BROKER_OPEN_HOW_MAX];
    struct iovec local = {.iov_base = buf, .iov_len = size};
    struct iovec remote = {.iov_base = (void *) (uintptr_t) addr, .iov_len = size};

    if (size < sizeof(*how))
        return -EINVAL;
    if (size > sizeof(buf))
        return -E2BIG;
    if (process_vm_readv(c->pid, &local, 1, &remote, 1, 0) != (ssize_t) size)
        return -EFAULT;
    if (still_valid(c) < 0)
        return -ENOENT;
    for (size_t i = sizeof(*how); i < size; i++)
        if (buf[i])
            return -E2BIG;
    memcpy(how, buf, sizeof(*how));
    if ((how->flags >> 32) || (how->mode && !(how->flags & (O_CREAT | O_TMPFILE_BIT))))
        return -EINVAL;
    return 0;
}

/* A request is served with the workload's rights, from the first read of its arguments to the
 * answer: no effective capabilities (when fence runs as root they would bypass every permission
 * check of the path walk and of the operation). Capabilities are per thread: the supervisor's
 * are put back afterwards. The umask is never touched: it belongs to the whole process, and to
 * the library's caller. */
static int caps_drop(broker *b) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];

    if (!b->drop_caps)
        return 0;
    memcpy(d, b->caps, sizeof(d));
    d[0].effective = d[1].effective = 0;
    return syscall(SYS_capset, &h, d) < 0 ? -EPERM : 0;
}

static void caps_restore(broker *b) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};

    if (b->drop_caps)
        syscall(SYS_capset, &h, b->caps);
}

void broker_handle(void *userdata, int notify_fd) {
    broker *b = userdata;

    memset(b->req, 0, b->notif_size);
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, b->req) < 0)
        return; /* the caller gave up (signal) or the filter is gone */
    broker_answer(b, notify_fd, b->req);
}

/* Answers a request without an fd: an error, 0, or "let the kernel do it" (CONTINUE). */
static void respond(broker *b, int notify_fd, __u64 id, int error, __u32 flags) {
    struct seccomp_notif_resp *resp = b->resp;

    memset(resp, 0, b->resp_size);
    resp->id = id;
    resp->error = error;
    resp->flags = flags;
    ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

/* Serves one creating call (capabilities already dropped) and answers it. */
static void answer(broker *b, int notify_fd, const struct seccomp_notif *req) {
    req_ctx c = {.b = b, .fd = notify_fd, .req = req};
    const __u64 *a;
    int newfd = -1, r;

    c.pid = (pid_t) req->pid;
    a = req->data.args;
    if (req->data.arch != AUDIT_ARCH_X86_64) {
        r = -EPERM;
        goto respond;
    }
    if ((req->data.nr == __NR_open && (a[1] & O_PATH)) ||
        (req->data.nr == __NR_openat && (a[2] & O_PATH))) {
        /* O_PATH makes the kernel ignore O_CREAT, and the flags are in a register the caller
         * cannot change: nothing can be created, the kernel's own lookup serves (an O_PATH fd
         * could not be added to the caller anyway) */
        respond(b, notify_fd, req->id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
        return;
    }
    switch (req->data.nr) {
    case __NR_open:
        r = do_open(&c, AT_FDCWD, a[0], a[1], (mode_t) a[2], 0, &newfd);
        break;
    case __NR_creat:
        r = do_open(&c, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t) a[1], 0, &newfd);
        break;
    case __NR_openat:
        r = do_open(&c, (int) a[0], a[1], a[2], (mode_t) a[3], 0, &newfd);
        break;
    case __NR_openat2: {
        struct open_how how;
        r = read_open_how(&c, a[2], a[3], &how);
        if (r >= 0)
            r = do_open(&c, (int) a[0], a[1], how.flags, (mode_t) how.mode, how.resolve, &newfd);
        if (r >= 0 && (how.flags & O_PATH)) {
            /* an O_PATH file cannot be added to the caller (SECCOMP_IOCTL_NOTIF_ADDFD takes
             * no O_PATH fd), and the kernel's lookup would read open_how again, which the
             * caller may have changed to O_CREAT: "no openat2", which callers answer with
             * openat(O_PATH) (not brokered) */
            newfd = safe_close(newfd);
            r = -ENOSYS;
        }
        break;
    }
    case __NR_mkdir:
        r = do_make(&c, AT_FDCWD, a[0], (mode_t) a[1], 0, true);
        break;
    case __NR_mkdirat:
        r = do_make(&c, (int) a[0], a[1], (mode_t) a[2], 0, true);
        break;
    case __NR_mknod:
        r = do_make(&c, AT_FDCWD, a[0], (mode_t) a[1], (dev_t) a[2], false);
        break;
    case __NR_mknodat:
        r = do_make(&c, (int) a[0], a[1], (mode_t) a[2], (dev_t) a[3], false);
        break;
    case __NR_symlink:
        r = do_symlink(&c, a[0], AT_FDCWD, a[1]);
        break;
    case __NR_symlinkat:
        r = do_symlink(&c, a[0], (int) a[1], a[2]);
        break;
    case __NR_link:
        r = do_link(&c, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
        break;
    case __NR_linkat:
        r = do_link(&c, (int) a[0], a[1], (int) a[2], a[3], (int) a[4]);
        break;
    case __NR_rename:
        r = do_rename(&c, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
        break;
    case __NR_renameat:
        r = do_rename(&c, (int) a[0], a[1], (int) a[2], a[3], 0);
        break;
    case __NR_renameat2:
        r = do_rename(&c, (int) a[0], a[1], (int) a[2], a[3], (unsigned) a[4]);
        break;
    default:
        r = -EPERM; /* a family this broker does not serve: fail closed */
    }
respond:
    if (r >= 0 && newfd >= 0) {
        struct seccomp_notif_addfd add = {
                .id = req->id,
                .flags = SECCOMP_ADDFD_FLAG_SEND,
                .srcfd = (uint32_t) newfd,
                .newfd = 0,
                .newfd_flags = c.cloexec ? O_CLOEXEC : 0,
        };
        int ok = ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        close(newfd);
        if (ok >= 0)
            return; /* the kernel answered the call with the new fd number */
        r = -errno;
        if (r == -ENOENT)
            return; /* the caller is gone */
    }
    respond(b, notify_fd, req->id, r < 0 ? r : 0, 0);
}

void broker_answer(broker *b, int notify_fd, const struct seccomp_notif *req) {
    b->handled++;
    if (caps_drop(b) < 0) {
        respond(b, notify_fd, req->id, -EPERM, 0); /* never with our capabilities */
        return;
    }
    answer(b, notify_fd, req);
    caps_restore(b);
}
