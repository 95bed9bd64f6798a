/* SPDX-License-Identifier: MIT */
/* The argv-mode exec supervisor; see execsup.h. */
#include "runtime/execsup.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"

#if defined(__x86_64__)
#define EXECSUP_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define EXECSUP_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "execsup: unknown native audit architecture"
#endif

/* Room for the path, EXECSUP_MAX_ARGS strings and their NULs: mapped once, touched only as far
 * as an exec needs, and given back after an exec that used more than ARENA_KEEP. */
#define ARENA_SIZE ((size_t) (EXECSUP_MAX_ARGS + 1) * EXECSUP_MAX_STRING)
#define ARENA_KEEP ((size_t) 256 * 1024)
/* Symlinks followed while resolving one program path (the kernel's limit). */
#define EXECSUP_MAX_LINKS 40
/* Arguments of the argv a "#!" chain gives the last interpreter. */
#define LEVEL_ARGV_MAX (EXECSUP_MAX_ARGS + 3 * EXECSUP_MAX_INTERP + 1)
/* Chunk size of the tracee reads: never cross a page in one read, so that a string ending just
 * before an unmapped page is still read completely. */
#define READ_PAGE 4096u

struct execsup {
    execsup_config cfg;
    bool bootstrapped;
    unsigned long checked, denied;
    unsigned long long cpu_ns;
    char *arena; /* ARENA_SIZE bytes */
    size_t used;
    size_t off[EXECSUP_MAX_ARGS]; /* argv strings in the arena */
};

int execsup_new(const execsup_config *cfg, execsup **ret, fence_error *err) {
    execsup *e;

    if (!cfg || !cfg->pol || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "execsup_new: bad argument");
    e = calloc(1, sizeof(*e));
    if (!e)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the exec supervisor");
    e->cfg = *cfg;
    e->arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e->arena == MAP_FAILED) {
        free(e);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the exec supervisor");
    }
    *ret = e;
    return 0;
}

void execsup_free(execsup *e) {
    if (!e)
        return;
    munmap(e->arena, ARENA_SIZE);
    free(e);
}

unsigned long execsup_checked(const execsup *e) {
    return e->checked;
}

unsigned long execsup_denied(const execsup *e) {
    return e->denied;
}

unsigned long long execsup_cpu_ns(const execsup *e) {
    return e->cpu_ns;
}

/* CPU time, not wall time: a CONTINUE often hands the CPU straight to the tracee, whose exec is
 * not the supervisor's cost. */
static unsigned long long cpu_now_ns(void) {
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (unsigned long long) ts.tv_sec * 1000000000ull + (unsigned long long) ts.tv_nsec;
}

/* =============================================================================================
 * "#!" lines
 */

static bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

int execsup_parse_shebang(const char *buf, size_t n, execsup_shebang *ret) {
    const char *end, *p, *i_end;
    bool whole_line;
    size_t len;

    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return 0;
    if (n > EXECSUP_SHEBANG_MAX)
        n = EXECSUP_SHEBANG_MAX;
    end = memchr(buf, '\n', n);
    whole_line = end != NULL;
    if (!end)
        end = buf + n;
    /* a NUL ends the line for the kernel's string copies too */
    p = memchr(buf, '\0', (size_t) (end - buf));
    if (p) {
        end = p;
        whole_line = true;
    }
    p = buf + 2;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    if (p == end)
        return -ENOEXEC;
    i_end = p;
    while (i_end < end && !is_blank(*i_end))
        i_end++;
    /* the buffer cut the line: the interpreter must have been complete */
    if (!whole_line && i_end == end && end == buf + n)
        return -ENOEXEC;
    len = (size_t) (i_end - p);
    memcpy(ret->interp, p, len);
    ret->interp[len] = '\0';
    p = i_end;
    while (p < end && is_blank(*p))
        p++;
    len = (size_t) (end - p);
    memcpy(ret->arg, p, len);
    ret->arg[len] = '\0';
    ret->has_arg = len > 0;
    return 1;
}

/* =============================================================================================
 * One request
 */

typedef struct level {
    const char *path; /* as the kernel will open it (the level's exec path) */
    char resolved[PATH_MAX];
    bool have_resolved;
    execsup_shebang sb; /* levels >= 1: the interpreter line that named this level */
} level;

typedef struct exec_req {
    execsup *e;
    int fd; /* listener */
    const struct seccomp_notif *req;
    pid_t pid;
    int root; /* /proc/PID/root, opened on first use */
    const char *syscall;
    int dirfd;
    uint64_t path_addr, argv_addr;
    int flags;
    char fdpath[32]; /* "/dev/fd/N" for execveat(AT_EMPTY_PATH): what the kernel calls it */
    /* argv as read */
    bool argv_read, argv_truncated;
    const char *argv_fail; /* why it could not be read */
    size_t argc;
    const char *argv[EXECSUP_MAX_ARGS];
    /* the "#!" chain */
    level lv[EXECSUP_MAX_INTERP + 1];
    /* outcome */
    bool deny;
    cmdpol_verdict verdict;
    fbuf msg;
} exec_req;

static bool id_valid(const exec_req *x) {
    uint64_t id = x->req->id;
    return ioctl(x->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Reads the NUL-terminated string at addr into the arena. Returns its offset, -ENAMETOOLONG when
 * it is longer than EXECSUP_MAX_STRING, -EFAULT or -errno when it cannot be read. */
static long read_string(exec_req *x, uint64_t addr) {
    execsup *e = x->e;
    size_t start = e->used, got = 0;

    if (!addr)
        return -EFAULT;
    if (ARENA_SIZE - start < EXECSUP_MAX_STRING)
        return -ENOBUFS;
    while (got < EXECSUP_MAX_STRING) {
        size_t page = READ_PAGE - ((addr + got) & (READ_PAGE - 1));
        size_t want = EXECSUP_MAX_STRING - got < page ? EXECSUP_MAX_STRING - got : page;
        struct iovec local = {.iov_base = e->arena + start + got, .iov_len = want};
        struct iovec remote = {.iov_base = (void *) (uintptr_t) (addr + got), .iov_len = want};
        ssize_t n = process_vm_readv(x->pid, &local, 1, &remote, 1, 0);
        char *nul;

        if (n <= 0)
            return n < 0 ? -errno : -EFAULT;
        nul = memchr(e->arena + start + got, '\0', (size_t) n);
        if (nul) {
            e->used = (size_t) (nul - e->arena) + 1;
            return (long) start;
        }
        got += (size_t) n;
    }
    return -ENAMETOOLONG;
}

/* Reads the argv vector (at most EXECSUP_MAX_ARGS strings); a longer vector or a longer string
 * sets argv_truncated. */
static void read_argv(exec_req *x) {
    execsup *e = x->e;
    size_t n = 0;

    x->argv_read = true;
    while (x->argv_addr) {
        uint64_t addr = x->argv_addr + n * sizeof(uint64_t), ptrs[64];
        size_t room = (READ_PAGE - (addr & (READ_PAGE - 1))) / sizeof(uint64_t), got;
        struct iovec local = {.iov_base = ptrs}, remote = {.iov_base = (void *) (uintptr_t) addr};
        ssize_t r;

        if (room == 0)
            room = 1; /* a misaligned pointer across the page end */
        if (room > ARRAY_SIZE(ptrs))
            room = ARRAY_SIZE(ptrs);
        if (room > EXECSUP_MAX_ARGS + 1 - n)
            room = EXECSUP_MAX_ARGS + 1 - n;
        local.iov_len = remote.iov_len = room * sizeof(uint64_t);
        r = process_vm_readv(x->pid, &local, 1, &remote, 1, 0);
        if (r < (ssize_t) sizeof(uint64_t)) {
            x->argv_fail = r < 0 ? strerror(errno) : "short read";
            return;
        }
        got = (size_t) r / sizeof(uint64_t);
        for (size_t i = 0; i < got; i++, n++) {
            long off;

            if (ptrs[i] == 0) {
                x->argc = n;
                goto done;
            }
            if (n == EXECSUP_MAX_ARGS) {
                x->argv_truncated = true;
                x->argc = n;
                goto done;
            }
            off = read_string(x, ptrs[i]);
            if (off == -ENAMETOOLONG) {
                x->argv_truncated = true;
                x->argc = n;
                goto done;
            }
            if (off < 0) {
                x->argv_fail = strerror((int) -off);
                return;
            }
            e->off[n] = (size_t) off;
        }
    }
    x->argc = n;
done:
    for (size_t i = 0; i < x->argc; i++)
        x->argv[i] = e->arena + e->off[i];
}

/* ---------------------------------------------------------------------------------------------
 * Resolving a program path in the sandbox's view
 */

/* Opens /proc/PID/<what> of the tracee. Nothing pins the pid meanwhile: the answer is sent only
 * when the notification is still valid afterwards, i.e. the tracee never stopped waiting, so
 * the pid was still its own. */
static int proc_open(const exec_req *x, const char *what, int flags) {
    char p[64];

    snprintf(p, sizeof(p), "/proc/%d/%s", (int) x->pid, what);
    return open(p, flags | O_CLOEXEC);
}

static int proc_root(exec_req *x) {
    if (x->root < 0)
        x->root = proc_open(x, "root", O_PATH | O_DIRECTORY);
    return x->root;
}

static bool on_procfs_root(int dirfd) {
    struct statfs sf;
    struct stat st;

    /* the root directory of a procfs has inode 1 */
    return fstatfs(dirfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC && fstat(dirfd, &st) == 0 &&
           st.st_ino == 1;
}

/* The directory a relative path starts from: the tracee's cwd or the directory fd it passed. */
static int open_base(exec_req *x, int dirfd) {
    char what[32];

    if (dirfd == AT_FDCWD)
        return proc_open(x, "cwd", O_PATH | O_DIRECTORY);
    if (dirfd < 0)
        return -1;
    snprintf(what, sizeof(what), "fd/%d", dirfd);
    return proc_open(x, what, O_PATH | O_DIRECTORY);
}

/* Resolves path component by component in the sandbox's view, following symlinks by hand. Used
 * when openat2(RESOLVE_IN_ROOT) refuses: procfs's "self" names the reader (fence, which has no
 * pid in the sandbox), and magic links (/proc/N/fd/M, /proc/N/exe) are refused when scoped.
 * Here "self" and "thread-self" in the sandbox's procfs become the tracee's /proc entry, and
 * procfs links are opened by the kernel. Returns an O_PATH fd or -errno. */
static int walk(exec_req *x, int start, const char *path) {
    char work[2 * PATH_MAX];
    char *rest = work;
    int cur, links = 0;

    if (strlen(path) >= PATH_MAX)
        return -ENAMETOOLONG;
    strcpy(work, path);
    cur = fcntl(path[0] == '/' ? proc_root(x) : start, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return -errno;
    for (;;) {
        char *comp, target[PATH_MAX], tail[PATH_MAX];
        struct stat st;
        ssize_t n;
        int fd;

        while (*rest == '/')
            rest++;
        if (!*rest)
            return cur;
        comp = rest;
        rest = strchrnul(rest, '/');
        if (*rest)
            *rest++ = '\0';
        if ((streq(comp, "self") || streq(comp, "thread-self")) && on_procfs_root(cur)) {
            close(cur);
            cur = proc_open(x, "", O_PATH | O_DIRECTORY);
            if (cur < 0)
                return -errno;
            continue;
        }
        fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            int e = errno;
            safe_close(fd);
            close(cur);
            return -e;
        }
        if (!S_ISLNK(st.st_mode)) {
            close(cur);
            cur = fd;
            continue;
        }
        close(fd);
        if (++links > EXECSUP_MAX_LINKS) {
            close(cur);
            return -ELOOP;
        }
        {
            struct statfs sf;
            if (fstatfs(cur, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
                /* a procfs link (fd/N, exe, cwd...): the kernel knows where it leads */
                fd = openat(cur, comp, O_PATH | O_CLOEXEC);
                if (fd >= 0) {
                    close(cur);
                    cur = fd;
                    continue;
                }
            }
        }
        n = readlinkat(cur, comp, target, sizeof(target) - 1);
        if (n <= 0 || strlen(rest) >= sizeof(tail) ||
            (size_t) n + 1 + strlen(rest) >= sizeof(work)) {
            int e = n < 0 ? errno : ENAMETOOLONG;
            close(cur);
            return -e;
        }
        target[n] = '\0';
        strcpy(tail, rest);
        snprintf(work, sizeof(work), "%s%s%s", target, *tail ? "/" : "", tail);
        rest = work;
        if (target[0] == '/') {
            close(cur);
            cur = fcntl(proc_root(x), F_DUPFD_CLOEXEC, 3);
            if (cur < 0)
                return -errno;
        }
    }
}

/* Opens the program path names for the tracee (dirfd as execveat's; AT_EMPTY_PATH: the fd
 * itself). Returns an O_PATH fd of the final target (symlinks followed) or -errno. */
static int open_program(exec_req *x, int dirfd, const char *path, bool empty_path) {
    _cleanup_close_ int base = -1;
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    char what[32];
    int fd;

    if (empty_path) {
        snprintf(what, sizeof(what), "fd/%d", dirfd);
        fd = proc_open(x, what, O_PATH);
        return fd < 0 ? -errno : fd;
    }
    if (!*path)
        return -ENOENT;
    if (path[0] == '/') {
        if (proc_root(x) < 0)
            return -errno;
        fd = (int) syscall(SYS_openat2, x->root, path, &how, sizeof(how));
    } else {
        char dir[PATH_MAX], full[2 * PATH_MAX + 2];
        ssize_t n;

        base = open_base(x, dirfd);
        if (base < 0 || proc_root(x) < 0)
            return -errno;
        /* the base's sandbox-view path: the kernel prints it from the root of the sandbox's
         * mount namespace, which is not under fence's root */
        snprintf(what, sizeof(what), "/proc/self/fd/%d", base);
        n = readlink(what, dir, sizeof(dir) - 1);
        if (n > 0 && dir[0] == '/') {
            dir[n] = '\0';
            snprintf(full, sizeof(full), "%s/%s", streq(dir, "/") ? "" : dir, path);
            fd = (int) syscall(SYS_openat2, x->root, full, &how, sizeof(how));
        } else
            fd = -1, errno = ENOENT;
    }
    if (fd >= 0)
        return fd;
    return walk(x, base >= 0 ? base : x->root, path);
}

/* The sandbox-view path of an fd we hold, without the " (deleted)" mark. */
static bool fd_path(int fd, char *out, size_t size) {
    char link[64];
    ssize_t n;
    static const char deleted[] = " (deleted)";

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, out, size - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    if ((size_t) n > sizeof(deleted) - 1 && streq(out + n - (sizeof(deleted) - 1), deleted))
        out[n - (sizeof(deleted) - 1)] = '\0';
    return true;
}

/* Reads the interpreter line of the program fd: 1 (script, *sb filled), 0 (not a script or not
 * a regular file: the kernel decides), -errno when it cannot be read. */
static int read_shebang(int fd, execsup_shebang *sb) {
    char link[64], buf[EXECSUP_SHEBANG_MAX];
    _cleanup_close_ int rd = -1;
    struct stat st;
    ssize_t n;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
        return 0;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    rd = open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (rd < 0)
        return -errno;
    n = pread(rd, buf, sizeof(buf), 0);
    if (n < 0)
        return -errno;
    return execsup_parse_shebang(buf, (size_t) n, sb) > 0 ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Decision
 */

/* The argv the kernel gives the program of level k: for k = 0 the tracee's; for a script's
 * interpreter `interp [arg] <script path> <the script's argv without argv[0]>`. */
static size_t level_argv(const exec_req *x, size_t k, const char **out) {
    size_t n = 0;

    for (size_t j = k; j >= 1; j--) {
        out[n++] = x->lv[j].sb.interp;
        if (x->lv[j].sb.has_arg)
            out[n++] = x->lv[j].sb.arg;
        if (j == 1)
            out[n++] = x->lv[0].path;
    }
    for (size_t i = k > 0 ? 1 : 0; i < x->argc; i++)
        out[n++] = x->argv[i];
    return n;
}

static void inspect_fail(exec_req *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void inspect_fail(exec_req *x, const char *fmt, ...) {
    va_list ap;

    x->deny = true;
    fbuf_done(&x->msg);
    fbuf_printf(&x->msg, "[fence:linux] Runtime exec policy blocked pid=%d: unable to inspect %s: ",
                (int) x->pid, x->syscall);
    va_start(ap, fmt);
    fbuf_vprintf(&x->msg, fmt, ap);
    va_end(ap);
}

/* Checks the program of level k. Returns true when the exec is decided (denied). */
static bool check_level(exec_req *x, size_t k) {
    const cmdpol *pol = x->e->cfg.pol;
    level *l = &x->lv[k];
    const char *resolved = l->have_resolved ? l->resolved : NULL;
    /* argv[0] only counts when the path has no basename; an interpreter is its own argv[0] */
    const char *argv0 = k > 0 ? l->sb.interp : x->argv_read && x->argc ? x->argv[0] : NULL;
    const char *argv[LEVEL_ARGV_MAX];
    size_t argc;

    if (!cmdpol_exec_may_block(pol, l->path, resolved, argv0))
        return false; /* no deny rule names the program: its arguments do not matter */
    if (!x->argv_read)
        read_argv(x);
    if (x->argv_fail) {
        inspect_fail(x, "read argv: %s", x->argv_fail);
        return true;
    }
    if (x->argv_truncated) {
        inspect_fail(x, "read argv: more than %d arguments or one longer than %d bytes",
                     EXECSUP_MAX_ARGS, EXECSUP_MAX_STRING);
        return true;
    }
    argc = level_argv(x, k, argv);
    x->verdict = cmdpol_decide_exec(pol, l->path, resolved, argv, argc);
    if (x->verdict.result != CMDPOL_BLOCKED)
        return false;
    x->deny = true;
    fbuf_done(&x->msg);
    cmdpol_format_exec_block(&x->msg, l->path, argv, argc, &x->verdict);
    return true;
}

/* Walks the program and its "#!" interpreters; sets x->deny and x->msg when refused. */
static void evaluate(exec_req *x, const char *path) {
    bool empty = (x->flags & AT_EMPTY_PATH) && !*path;

    x->lv[0].path = empty ? x->fdpath : path;
    for (size_t k = 0; k <= EXECSUP_MAX_INTERP; k++) {
        level *l = &x->lv[k];
        _cleanup_close_ int fd = -1;
        int r;

        fd = k == 0 ? open_program(x, x->dirfd, path, empty)
                    : open_program(x, AT_FDCWD, l->path, false);
        if (fd >= 0)
            l->have_resolved = fd_path(fd, l->resolved, sizeof(l->resolved));
        if (check_level(x, k) || fd < 0)
            return;
        if (k == EXECSUP_MAX_INTERP)
            return; /* the kernel gives up here too (ELOOP) */
        r = read_shebang(fd, &x->lv[k + 1].sb);
        if (r < 0) {
            inspect_fail(x, "read the first line of \"%s\": %s", l->path, strerror(-r));
            return;
        }
        if (r == 0)
            return;
        x->lv[k + 1].path = x->lv[k + 1].sb.interp;
    }
}

/* The tracee's thread count: procfs gives its task directory 2 + threads links (one stat
 * instead of listing the directory). */
static int thread_count(exec_req *x) {
    char p[64];
    struct stat st;

    snprintf(p, sizeof(p), "/proc/%d/task", (int) x->pid);
    if (stat(p, &st) < 0)
        return -errno;
    return st.st_nlink > 2 ? (int) (st.st_nlink - 2) : -EIO;
}

static void reply(exec_req *x, bool allow) {
    struct seccomp_notif_resp resp = {.id = x->req->id};

    if (allow)
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    else
        resp.error = -EPERM;
    ioctl(x->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Before CONTINUE: no other thread may rewrite the strings the kernel is going to read again. */
static void check_single_threaded(exec_req *x) {
    const char *argv[LEVEL_ARGV_MAX];
    size_t argc = 0;
    int n = thread_count(x);

    if (n == 1)
        return;
    if (n < 0) {
        inspect_fail(x, "count the threads: %s", strerror(-n));
        return;
    }
    if (!x->argv_read)
        read_argv(x);
    if (!x->argv_fail)
        argc = level_argv(x, 0, argv);
    x->deny = true;
    fbuf_done(&x->msg);
    fbuf_puts(&x->msg, "[fence:linux] Runtime exec policy blocked ");
    cmdpol_format_exec(&x->msg, x->lv[0].path, argv, argc);
    fbuf_puts(&x->msg, ": multithreaded exec cannot be safely continued in argv mode");
}

static void answer(execsup *e, int notify_fd, const struct seccomp_notif *req) {
    exec_req x = {.e = e,
                  .fd = notify_fd,
                  .req = req,
                  .pid = (pid_t) req->pid,
                  .root = -1,
                  .msg = FBUF_INIT(64 * 1024)};
    const cmdpol *pol = e->cfg.pol;
    const __u64 *a = req->data.args;
    const char *path;
    long off;
    bool bootstrap = !e->bootstrapped;

    e->checked++;
    e->bootstrapped = true;
    e->used = 0;
    if (req->data.arch != EXECSUP_AUDIT_ARCH ||
        (req->data.nr != __NR_execve && req->data.nr != __NR_execveat)) {
        reply(&x, false); /* not ours: the filter routes only the native exec calls here */
        return;
    }
    if (req->data.nr == __NR_execve) {
        x.syscall = "execve";
        x.dirfd = AT_FDCWD;
        x.path_addr = a[0];
        x.argv_addr = a[1];
    } else {
        x.syscall = "execveat";
        x.dirfd = (int) a[0];
        x.path_addr = a[1];
        x.argv_addr = a[2];
        x.flags = (int) a[4];
        snprintf(x.fdpath, sizeof(x.fdpath), "/dev/fd/%d", x.dirfd);
    }
    if (bootstrap && e->cfg.bootstrap) {
        reply(&x, true); /* the sandbox's own shell, started by fence */
        return;
    }
    if (!id_valid(&x))
        goto out; /* the tracee is gone */

    off = read_string(&x, x.path_addr);
    if (off < 0) {
        inspect_fail(&x, "read exec path: %s", strerror((int) -off));
        goto decided;
    }
    path = e->arena + off;
    if (pol->n_rules[CMDPOL_DENY] + pol->n_rules[CMDPOL_DEFAULT] == 0)
        goto decided; /* nothing can be denied: nothing to guard either */
    evaluate(&x, path);
    if (!x.deny)
        check_single_threaded(&x);
decided:
    /* everything read above belongs to the tracee only if it is still waiting */
    if (!id_valid(&x))
        goto out;
    if (x.deny) {
        e->denied++;
        rlog_line(e->cfg.log, "%s", x.msg.data ? x.msg.data : "");
    } else if (e->cfg.log && e->cfg.log->debug) {
        rlog_line(e->cfg.log, "[fence:linux] argv exec allowed for pid=%d", (int) x.pid);
    }
    reply(&x, !x.deny);
out:
    if (e->used > ARENA_KEEP)
        madvise(e->arena, ARENA_SIZE, MADV_DONTNEED);
    safe_close(x.root);
    fbuf_done(&x.msg);
}

void execsup_answer(execsup *e, int notify_fd, const struct seccomp_notif *req) {
    unsigned long long t0 = cpu_now_ns();

    answer(e, notify_fd, req);
    e->cpu_ns += cpu_now_ns() - t0;
}
