/* SPDX-License-Identifier: MIT */
/* The protected-names broker; see broker.h. */
#include "runtime/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "policy/fspol.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/path.h"

/* Symlinks followed while resolving one path (the kernel's own limit). */
#define BROKER_MAX_LINKS 40

struct broker {
    broker_config cfg;
    pid_t pid;
    size_t notif_size, resp_size;
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    bool root; /* drop effective capabilities around each operation */
    unsigned long handled, refused;
};

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
    b->notif_size = sizes.seccomp_notif > sizeof(*b->req) ? sizes.seccomp_notif : sizeof(*b->req);
    b->resp_size = sizes.seccomp_notif_resp > sizeof(*b->resp) ? sizes.seccomp_notif_resp
                                                                : sizeof(*b->resp);
    b->req = calloc(1, b->notif_size);
    b->resp = calloc(1, b->resp_size);
    b->root = geteuid() == 0;
    if (!b->req || !b->resp) {
        broker_free(b);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the broker");
    }
    *ret = b;
    return 0;
}

void broker_free(broker *b) {
    if (!b)
        return;
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
 * Reading the tracee and its view
 */

/* Reads a NUL-terminated string of at most PATH_MAX bytes at addr in pid. */
static int read_string(pid_t pid, uint64_t addr, char *buf, size_t size) {
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
            return 0;
        got += (size_t) n;
    }
    return -ENAMETOOLONG;
}

static int open_proc(pid_t pid, const char *what, int flags) {
    char p[64];
    int fd;

    snprintf(p, sizeof(p), "/proc/%d/%s", (int) pid, what);
    fd = open(p, flags | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static mode_t tracee_umask(pid_t pid) {
    char p[64], buf[2048];
    const char *u;
    ssize_t n;
    int fd;

    snprintf(p, sizeof(p), "/proc/%d/status", (int) pid);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 022;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 022;
    buf[n] = '\0';
    u = strstr(buf, "\nUmask:\t");
    return u ? (mode_t) strtoul(u + 8, NULL, 8) & 0777 : 022;
}

/* The base a path starts from: the sandbox's root for absolute paths, else its cwd or the
 * directory fd it passed. */
static int open_base(pid_t pid, int dirfd, const char *path) {
    char what[32];

    if (path[0] == '/' || dirfd == AT_FDCWD)
        return open_proc(pid, path[0] == '/' ? "root" : "cwd", O_PATH | O_DIRECTORY);
    if (dirfd < 0)
        return -EBADF;
    snprintf(what, sizeof(what), "fd/%d", dirfd);
    return open_proc(pid, what, O_PATH);
}

/* Walks path from base inside the sandbox's view and returns its parent directory (O_PATH)
 * with the last name copied into name. The last component is followed when it is a symlink and
 * follow_last is set. */
static int resolve(int root, int base, const char *path, bool follow_last, char *name) {
    char work[2 * PATH_MAX], *rest;
    int cur, links = 0;

    if (strlen(path) >= PATH_MAX)
        return -ENAMETOOLONG;
    if (!*path)
        return -ENOENT;
    strcpy(work, path);
    rest = work;
    cur = fcntl(path[0] == '/' ? root : base, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return -errno;
    for (;;) {
        char *comp, *next;
        bool last;
        struct stat st;
        int fd;

        while (*rest == '/')
            rest++;
        if (!*rest) {
            /* "dir/" or "/": the directory itself has no parent+name form here */
            close(cur);
            return -EEXIST;
        }
        comp = rest;
        next = strchrnul(rest, '/');
        last = true;
        for (char *q = next; *q; q++)
            if (*q != '/') {
                last = false;
                break;
            }
        if (*next)
            *next++ = '\0';
        rest = next;
        if (strlen(comp) >= NAME_MAX + 1) {
            close(cur);
            return -ENAMETOOLONG;
        }
        if (last && !streq(comp, ".") && !streq(comp, "..")) {
            if (follow_last && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                goto symlink;
            strcpy(name, comp);
            return cur;
        }
        if (streq(comp, ".") && !last)
            continue;
        /* ".." at the sandbox's root stays there: its mount has no parent in that namespace */
        fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            close(cur);
            return -e;
        }
        if (fstat(fd, &st) < 0 || (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))) {
            close(fd);
            close(cur);
            return -ENOTDIR;
        }
        if (S_ISDIR(st.st_mode)) {
            close(cur);
            cur = fd;
            if (last) {
                /* "x/." or "x/..": an existing directory, nothing to create */
                close(cur);
                return -EEXIST;
            }
            continue;
        }
        close(fd);
    symlink: {
        char target[PATH_MAX], tail[PATH_MAX];
        ssize_t n = readlinkat(cur, comp, target, sizeof(target) - 1);

        if (++links > BROKER_MAX_LINKS || n <= 0) {
            close(cur);
            return n < 0 ? -errno : -ELOOP;
        }
        target[n] = '\0';
        if (strlen(rest) >= sizeof(tail)) {
            close(cur);
            return -ENAMETOOLONG;
        }
        strcpy(tail, rest);
        if ((size_t) n + 1 + strlen(tail) >= sizeof(work)) {
            close(cur);
            return -ENAMETOOLONG;
        }
        snprintf(work, sizeof(work), "%s%s%s", target, *tail ? "/" : "", tail);
        rest = work;
        if (target[0] == '/') {
            close(cur);
            cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
            if (cur < 0)
                return -errno;
        }
    }
    }
}

/* The sandbox-view path of a directory we hold (the kernel prints it relative to the root of
 * the sandbox's mount namespace, which our root cannot reach), joined with name. */
static int view_path(int dirfd, const char *name, char *out, size_t size) {
    char link[64], dir[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
    n = readlink(link, dir, sizeof(dir) - 1);
    if (n <= 0)
        return -errno;
    dir[n] = '\0';
    if (dir[0] != '/')
        return -ENOENT; /* deleted or not a path */
    if ((size_t) snprintf(out, size, "%s/%s", streq(dir, "/") ? "" : dir, name) >= size)
        return -ENAMETOOLONG;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Operations
 */

typedef struct req_ctx {
    broker *b;
    int fd; /* listener */
    pid_t pid;
    int root;
    bool cloexec; /* the created fd is to be O_CLOEXEC in the workload */
} req_ctx;

/* Runs op with the workload's effective rights: no capabilities (root) and its umask. */
typedef struct cred_save {
    struct __user_cap_data_struct caps[2];
    bool dropped;
    mode_t umask;
} cred_save;

static void creds_enter(req_ctx *c, cred_save *s) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};

    s->dropped = false;
    s->umask = umask(tracee_umask(c->pid));
    if (c->b->root && syscall(SYS_capget, &h, s->caps) == 0) {
        struct __user_cap_data_struct d[2];
        memcpy(d, s->caps, sizeof(d));
        d[0].effective = d[1].effective = 0;
        s->dropped = syscall(SYS_capset, &h, d) == 0;
    }
}

static void creds_leave(cred_save *s) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};

    if (s->dropped)
        syscall(SYS_capset, &h, s->caps);
    umask(s->umask);
}

static int check(req_ctx *c, int parent, const char *name, fspol_create_kind kind) {
    fspol_protect p = {.workspace = c->b->cfg.workspace, .home = c->b->cfg.home,
                       .allow_git_config = c->b->cfg.allow_git_config,
                       .deny_write = c->b->cfg.deny_write};
    char path[PATH_MAX + NAME_MAX + 2];
    const char *why;
    int r = view_path(parent, name, path, sizeof(path));

    if (r < 0)
        return r;
    why = fspol_create_denied(&p, path, kind);
    if (!why)
        return 0;
    c->b->refused++;
    if (c->b->cfg.log && (c->b->cfg.log->debug || c->b->cfg.log->monitor))
        rlog_line(c->b->cfg.log, "[fence:linux] refused creating \"%s\" (%s)", path, why);
    return -EACCES;
}

typedef struct ppath {
    int parent;
    char name[NAME_MAX + 1];
} ppath;

static int get_path(req_ctx *c, int dirfd, uint64_t addr, bool follow_last, ppath *out) {
    char path[PATH_MAX];
    _cleanup_close_ int base = -1;
    int r = read_string(c->pid, addr, path, sizeof(path));

    if (r < 0)
        return r;
    base = open_base(c->pid, dirfd, path);
    if (base < 0)
        return base;
    r = resolve(c->root, base, path, follow_last, out->name);
    if (r < 0)
        return r;
    out->parent = r;
    return 0;
}

static int do_open(req_ctx *c, int dirfd, uint64_t addr, uint64_t flags, mode_t mode,
                   int *ret_fd) {
    ppath p = {.parent = -1};
    cred_save s;
    bool creating = (flags & O_CREAT) && !((flags & O_TMPFILE) == O_TMPFILE);
    int r = get_path(c, dirfd, addr, !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)),
                     &p);
    int fd;

    if (r < 0)
        return r;
    c->cloexec = flags & O_CLOEXEC;
    if (creating) {
        struct stat st;
        /* an existing name is opened, not created: no check, and no O_CREAT, so that a name
         * removed behind our back cannot be created unchecked */
        if (fstatat(p.parent, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (flags & O_EXCL) {
                close(p.parent);
                return -EEXIST;
            }
            flags &= ~(uint64_t) O_CREAT;
            creating = false;
        }
    }
    if (creating) {
        r = check(c, p.parent, p.name, FSPOL_CREATE_FILE);
        if (r < 0) {
            close(p.parent);
            return r;
        }
    }
    creds_enter(c, &s);
    fd = openat(p.parent, p.name, (int) (flags | O_CLOEXEC) | O_NOFOLLOW, mode);
    if (fd < 0 && errno == ELOOP && !(flags & O_NOFOLLOW))
        errno = ELOOP; /* the name became a symlink after we resolved it: refuse */
    r = fd < 0 ? -errno : 0;
    creds_leave(&s);
    close(p.parent);
    if (r < 0)
        return r;
    *ret_fd = fd;
    return 0;
}

static int do_mkdir(req_ctx *c, int dirfd, uint64_t addr, mode_t mode) {
    ppath p = {.parent = -1};
    cred_save s;
    int r = get_path(c, dirfd, addr, false, &p);

    if (r < 0)
        return r;
    r = check(c, p.parent, p.name, FSPOL_CREATE_DIR);
    if (r >= 0) {
        creds_enter(c, &s);
        r = mkdirat(p.parent, p.name, mode) < 0 ? -errno : 0;
        creds_leave(&s);
    }
    close(p.parent);
    return r;
}

static int do_mknod(req_ctx *c, int dirfd, uint64_t addr, mode_t mode, dev_t dev) {
    ppath p = {.parent = -1};
    cred_save s;
    int r = get_path(c, dirfd, addr, false, &p);

    if (r < 0)
        return r;
    r = check(c, p.parent, p.name, FSPOL_CREATE_FILE);
    if (r >= 0) {
        creds_enter(c, &s);
        r = mknodat(p.parent, p.name, mode, dev) < 0 ? -errno : 0;
        creds_leave(&s);
    }
    close(p.parent);
    return r;
}

static int do_symlink(req_ctx *c, uint64_t target_addr, int dirfd, uint64_t addr) {
    char target[PATH_MAX];
    ppath p = {.parent = -1};
    cred_save s;
    int r = read_string(c->pid, target_addr, target, sizeof(target));

    if (r < 0)
        return r;
    r = get_path(c, dirfd, addr, false, &p);
    if (r < 0)
        return r;
    r = check(c, p.parent, p.name, FSPOL_CREATE_SYMLINK);
    if (r >= 0) {
        creds_enter(c, &s);
        r = symlinkat(target, p.parent, p.name) < 0 ? -errno : 0;
        creds_leave(&s);
    }
    close(p.parent);
    return r;
}

static int do_link(req_ctx *c, int olddirfd, uint64_t oldaddr, int newdirfd, uint64_t newaddr,
                   int flags) {
    ppath o = {.parent = -1}, n = {.parent = -1};
    cred_save s;
    int r;

    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (flags & AT_EMPTY_PATH)
        return -EPERM; /* linking an open fd (O_TMPFILE) needs CAP_DAC_READ_SEARCH anyway */
    r = get_path(c, olddirfd, oldaddr, flags & AT_SYMLINK_FOLLOW, &o);
    if (r < 0)
        return r;
    r = get_path(c, newdirfd, newaddr, false, &n);
    if (r >= 0)
        r = check(c, n.parent, n.name, FSPOL_CREATE_FILE);
    if (r >= 0) {
        creds_enter(c, &s);
        r = linkat(o.parent, o.name, n.parent, n.name, 0) < 0 ? -errno : 0;
        creds_leave(&s);
    }
    safe_close(o.parent);
    safe_close(n.parent);
    return r;
}

static int kind_of(int parent, const char *name, fspol_create_kind *ret) {
    struct stat st;

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    *ret = S_ISDIR(st.st_mode) ? FSPOL_RENAME_DIR
           : S_ISLNK(st.st_mode) ? FSPOL_CREATE_SYMLINK
                                 : FSPOL_RENAME_FILE;
    return 0;
}

/* A directory may not be moved into the workspace from outside it: EXDEV makes `mv` copy it
 * through the broker instead, so its contents are checked name by name. */
static int cross_check(req_ctx *c, int from, const char *from_name, int to, const char *to_name,
                       fspol_create_kind kind) {
    char a[PATH_MAX + NAME_MAX + 2], b[PATH_MAX + NAME_MAX + 2];
    const char *ws = c->b->cfg.workspace;

    if (kind != FSPOL_RENAME_DIR || !ws)
        return 0;
    if (view_path(from, from_name, a, sizeof(a)) < 0 || view_path(to, to_name, b, sizeof(b)) < 0)
        return -EXDEV;
    if (path_is_under(b, ws) && !path_is_under(a, ws))
        return -EXDEV;
    return 0;
}

static int do_rename(req_ctx *c, int olddirfd, uint64_t oldaddr, int newdirfd, uint64_t newaddr,
                     unsigned flags) {
    ppath o = {.parent = -1}, n = {.parent = -1};
    fspol_create_kind ko = FSPOL_RENAME_FILE, kn = FSPOL_RENAME_FILE;
    cred_save s;
    int r = get_path(c, olddirfd, oldaddr, false, &o);

    if (r < 0)
        return r;
    r = get_path(c, newdirfd, newaddr, false, &n);
    if (r >= 0)
        r = kind_of(o.parent, o.name, &ko);
    if (r >= 0)
        r = check(c, n.parent, n.name, ko);
    if (r >= 0)
        r = cross_check(c, o.parent, o.name, n.parent, n.name, ko);
    if (r >= 0 && (flags & RENAME_EXCHANGE)) {
        /* the other entry moves to the old name */
        r = kind_of(n.parent, n.name, &kn);
        if (r >= 0)
            r = check(c, o.parent, o.name, kn);
        if (r >= 0)
            r = cross_check(c, n.parent, n.name, o.parent, o.name, kn);
    }
    if (r >= 0) {
        creds_enter(c, &s);
        r = renameat2(o.parent, o.name, n.parent, n.name, flags) < 0 ? -errno : 0;
        creds_leave(&s);
    }
    safe_close(o.parent);
    safe_close(n.parent);
    return r;
}

static int read_open_how(pid_t pid, uint64_t addr, uint64_t size, struct open_how *how) {
    struct iovec local = {.iov_base = how, .iov_len = sizeof(*how)};
    struct iovec remote = {.iov_base = (void *) (uintptr_t) addr, .iov_len = sizeof(*how)};

    if (size < sizeof(*how))
        return -EINVAL;
    memset(how, 0, sizeof(*how));
    if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t) sizeof(*how))
        return -EFAULT;
    return 0;
}

void broker_handle(void *userdata, int notify_fd) {
    broker *b = userdata;

    memset(b->req, 0, b->notif_size);
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, b->req) < 0)
        return; /* the caller gave up (signal) or the filter is gone */
    broker_answer(b, notify_fd, b->req);
}

void broker_answer(broker *b, int notify_fd, const struct seccomp_notif *req) {
    struct seccomp_notif_resp *resp = b->resp;
    req_ctx c = {.b = b, .fd = notify_fd, .root = -1};
    const __u64 *a;
    int newfd = -1, r;

    b->handled++;
    c.pid = (pid_t) req->pid;
    a = req->data.args;
    c.root = open_proc(c.pid, "root", O_PATH | O_DIRECTORY);
    /* the pid may have been reused before we opened its /proc entries */
    if (c.root < 0 || ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
        r = -ENOENT;
        goto respond;
    }
    if (req->data.arch != AUDIT_ARCH_X86_64) {
        r = -EPERM;
        goto respond;
    }
    switch (req->data.nr) {
    case __NR_open:
        r = do_open(&c, AT_FDCWD, a[0], a[1], (mode_t) a[2], &newfd);
        break;
    case __NR_creat:
        r = do_open(&c, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t) a[1], &newfd);
        break;
    case __NR_openat:
        r = do_open(&c, (int) a[0], a[1], a[2], (mode_t) a[3], &newfd);
        break;
    case __NR_openat2: {
        struct open_how how;
        r = read_open_how(c.pid, a[2], a[3], &how);
        if (r >= 0)
            r = do_open(&c, (int) a[0], a[1], how.flags, (mode_t) how.mode, &newfd);
        break;
    }
    case __NR_mkdir:
        r = do_mkdir(&c, AT_FDCWD, a[0], (mode_t) a[1]);
        break;
    case __NR_mkdirat:
        r = do_mkdir(&c, (int) a[0], a[1], (mode_t) a[2]);
        break;
    case __NR_mknod:
        r = do_mknod(&c, AT_FDCWD, a[0], (mode_t) a[1], (dev_t) a[2]);
        break;
    case __NR_mknodat:
        r = do_mknod(&c, (int) a[0], a[1], (mode_t) a[2], (dev_t) a[3]);
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
    safe_close(c.root);
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
    memset(resp, 0, b->resp_size);
    resp->id = req->id;
    resp->error = r < 0 ? r : 0;
    resp->val = 0;
    ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}
