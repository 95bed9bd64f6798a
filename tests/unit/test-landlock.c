/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/enforce/linux/landlock: the tier -> rights table per ABI, plan building,
 * the -d dump (golden text), and real rulesets applied in forked children: filesystem tiers
 * (allowed works, the rest fails with EACCES, missing paths are reported and skipped), TCP port
 * rules (ABI >= 4) and the scopes (ABI >= 6), each with a control run without the rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "enforce/linux/landlock-abi.h"
#include "enforce/linux/landlock.h"
#include "util/cleanup.h"
#include "util/fbuf.h"

#define T(x) (1u << LANDLOCK_TIER_##x)

static void test_landlock_tier_rights(void **state) {
    static const struct {
        unsigned tiers;
        int abi;
        bool dir;
        uint64_t want;
    } cases[] = {
            {T(READ), 1, true,
             LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                     LANDLOCK_ACCESS_FS_EXECUTE},
            {T(READ), 7, false, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE},
            {T(EXECUTE), 7, true, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE},
            /* write: every ABI-1 right, REFER from 2, TRUNCATE from 3, never IOCTL_DEV */
            {T(WRITE), 1, true, (1ull << 13) - 1},
            {T(WRITE), 2, true, (1ull << 14) - 1},
            {T(WRITE), 7, true, (1ull << 15) - 1},
            {T(WRITE), 7, false,
             LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE},
            /* device: IOCTL_DEV from ABI 5 */
            {T(DEVICE), 4, true, (1ull << 15) - 1},
            {T(DEVICE), 5, true, (1ull << 16) - 1},
            {T(DEVICE), 5, false, LANDLOCK_ACCESS_FS_FILE_MASK},
            {T(READ) | T(EXECUTE), 3, true,
             LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                     LANDLOCK_ACCESS_FS_EXECUTE},
            {T(READ), 0, true, 0},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(landlock_tier_rights(cases[i].tiers, cases[i].abi, cases[i].dir),
                         cases[i].want);
}

static void test_landlock_plan_building(void **state) {
    landlock_plan p = LANDLOCK_PLAN_INIT;

    (void) state;
    assert_int_equal(landlock_plan_add_path(&p, "relative/x", LANDLOCK_TIER_READ), -EINVAL);
    assert_int_equal(landlock_plan_add_path(&p, NULL, LANDLOCK_TIER_READ), -EINVAL);
    assert_int_equal(landlock_plan_add_path(&p, "/x", LANDLOCK_TIER_MAX), -EINVAL);
    assert_int_equal(landlock_plan_add_path(&p, "/", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_path(&p, "/work", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_path(&p, "/work", LANDLOCK_TIER_WRITE), 0);
    assert_int_equal(p.n_paths, 2);
    assert_int_equal(p.paths[1].tiers, T(READ) | T(WRITE));
    assert_int_equal(landlock_plan_add_port(&p, false, 3128), 0);
    assert_int_equal(landlock_plan_add_port(&p, false, 3128), 0);
    assert_int_equal(landlock_plan_add_port(&p, true, 8080), 0);
    assert_int_equal(p.n_connect_ports, 1);
    assert_int_equal(p.n_bind_ports, 1);
    landlock_plan_done(&p);
    assert_null(p.paths);
    assert_int_equal(p.n_paths, 0);

    /* limits are enforced */
    for (unsigned i = 0; i < LANDLOCK_PLAN_MAX_PORTS; i++)
        assert_int_equal(landlock_plan_add_port(&p, true, (uint16_t) i), 0);
    assert_int_equal(landlock_plan_add_port(&p, true, 65000), -E2BIG);
    landlock_plan_done(&p);
}

static void build_sample(landlock_plan *p) {
    assert_int_equal(landlock_plan_add_path(p, "/", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_path(p, "/home/u/work", LANDLOCK_TIER_WRITE), 0);
    assert_int_equal(landlock_plan_add_path(p, "/dev", LANDLOCK_TIER_DEVICE), 0);
    assert_int_equal(landlock_plan_add_path(p, "/opt/tool", LANDLOCK_TIER_EXECUTE), 0);
    assert_int_equal(landlock_plan_add_path(p, "/opt/tool", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_port(p, false, 3128), 0);
    assert_int_equal(landlock_plan_add_port(p, false, 1080), 0);
    p->handle_net = true;
    p->scopes = LANDLOCK_PLAN_SCOPE_ABSTRACT_UNIX | LANDLOCK_PLAN_SCOPE_SIGNAL;
}

static void assert_dump(const landlock_plan *p, int abi, const char *want) {
    fbuf b = FBUF_INIT(1 << 16);

    assert_int_equal(landlock_plan_dump(p, abi, &b), 0);
    assert_string_equal(b.data, want);
    fbuf_done(&b);
}

static void test_landlock_dump(void **state) {
    landlock_plan p = LANDLOCK_PLAN_INIT;

    (void) state;
    build_sample(&p);
    assert_dump(&p, 7,
                "landlock: ABI 7, 16 filesystem rights handled, tcp bind+connect restricted, "
                "scopes abstract-unix+signal, audit log off\n"
                "  read           /\n"
                "  write          /home/u/work\n"
                "  device         /dev\n"
                "  read+execute   /opt/tool\n"
                "  tcp bind:    none\n"
                "  tcp connect: 3128, 1080\n");
    assert_dump(&p, 1,
                "landlock: ABI 1, 13 filesystem rights handled, tcp unrestricted, scopes none, "
                "audit log off\n"
                "  read           /\n"
                "  write          /home/u/work\n"
                "  device         /dev\n"
                "  read+execute   /opt/tool\n"
                "  tcp bind:    none\n"
                "  tcp connect: 3128, 1080\n"
                "  note: ABI < 2 has no REFER right: links and renames across directories are "
                "refused everywhere\n"
                "  note: ABI < 3: truncate() is not restricted\n"
                "  note: ABI < 5: device ioctls are not restricted\n"
                "  note: ABI < 4: TCP port rules are not enforced\n"
                "  note: ABI < 6: scopes are not enforced\n");
    p.handle_net = false;
    p.scopes = 0;
    p.audit_log = true;
    assert_dump(&p, 0,
                "landlock: unavailable on this kernel; rules not applied:\n"
                "  read           /\n"
                "  write          /home/u/work\n"
                "  device         /dev\n"
                "  read+execute   /opt/tool\n");
    landlock_plan_done(&p);

    /* the supervisor marks what the child will skip */
    assert_int_equal(landlock_plan_add_path(&p, "/", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_path(&p, "/nonexistent-fence-test/x", LANDLOCK_TIER_WRITE),
                     0);
    assert_int_equal(landlock_plan_check_paths(&p), 1);
    assert_dump(&p, 7,
                "landlock: ABI 7, 16 filesystem rights handled, tcp unrestricted, scopes none, "
                "audit log off\n"
                "  read           /\n"
                "  write          /nonexistent-fence-test/x  (not present: skipped)\n");
    landlock_plan_done(&p);
}

/* --- real rulesets in forked children --------------------------------------------------------- */

static void child_default_signals(void) {
    static const int sigs[] = {SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGSYS, SIGABRT};

    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        signal(sigs[i], SIG_DFL);
}

static int wait_child(pid_t pid) {
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1000;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int require_abi(int min) {
    int abi = landlock_abi();

    if (abi < min) {
        print_message("Landlock ABI %d on this host, test needs %d\n", abi, min);
        return -1;
    }
    return abi;
}

typedef struct fs_dirs {
    char root[64];
    char path[8][128];
} fs_dirs;

enum { D_RO, D_RW, D_SINGLE, D_EXEC, D_OTHER, D_MISSING, D_RO_FILE, D_EXEC_FILE };

static void make_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
}

static void fs_setup(fs_dirs *d) {
    static const char *const names[] = {"ro",    "rw",      "single",  "exec",
                                        "other", "missing", "ro/file", "exec/file"};

    strcpy(d->root, "/tmp/fence-test-landlock-XXXXXX");
    assert_non_null(mkdtemp(d->root));
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        snprintf(d->path[i], sizeof(d->path[i]), "%s/%s", d->root, names[i]);
    assert_int_equal(mkdir(d->path[D_RO], 0755), 0);
    assert_int_equal(mkdir(d->path[D_RW], 0755), 0);
    assert_int_equal(mkdir(d->path[D_EXEC], 0755), 0);
    assert_int_equal(mkdir(d->path[D_OTHER], 0755), 0);
    make_file(d->path[D_SINGLE]);
    make_file(d->path[D_RO_FILE]);
    make_file(d->path[D_EXEC_FILE]);
}

static void fs_teardown(fs_dirs *d) {
    static const int files[] = {D_RO_FILE, D_EXEC_FILE, D_SINGLE};
    static const int dirs[] = {D_RO, D_RW, D_EXEC, D_OTHER};

    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        assert_int_equal(unlink(d->path[files[i]]), 0);
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
        assert_int_equal(rmdir(d->path[dirs[i]]), 0);
    assert_int_equal(rmdir(d->root), 0);
}

static size_t skipped_index = (size_t) -1;
static int skipped_errno;

static void on_skip(void *userdata, size_t index, int err) {
    (void) userdata;
    skipped_index = index;
    skipped_errno = err;
}

static int expect_errno(int r, int e) {
    return r < 0 && errno == e;
}

/* Each check returns its own number on failure so the parent can name it. */
static int fs_checks(const fs_dirs *d) {
    char p[200];
    int fd;

    /* read tier: read works, writing and creating do not */
    fd = open(d->path[D_RO_FILE], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    close(fd);
    if (!expect_errno(open(d->path[D_RO_FILE], O_WRONLY | O_CLOEXEC), EACCES))
        return 2;
    snprintf(p, sizeof(p), "%s/new", d->path[D_RO]);
    if (!expect_errno(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), EACCES))
        return 3;
    /* write tier: create, write, mkdir, unlink */
    snprintf(p, sizeof(p), "%s/new", d->path[D_RW]);
    fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return 4;
    close(fd);
    if (unlink(p) < 0)
        return 5;
    snprintf(p, sizeof(p), "%s/dir", d->path[D_RW]);
    if (mkdir(p, 0700) < 0 || rmdir(p) < 0)
        return 6;
    /* a write rule on a single file (directory-only rights stripped, no EINVAL) */
    fd = open(d->path[D_SINGLE], O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return 7;
    close(fd);
    /* execute tier: files readable, directory not listable */
    fd = open(d->path[D_EXEC_FILE], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 8;
    close(fd);
    if (!expect_errno(open(d->path[D_EXEC], O_RDONLY | O_DIRECTORY | O_CLOEXEC), EACCES))
        return 9;
    /* no rule at all */
    if (!expect_errno(open(d->path[D_OTHER], O_RDONLY | O_DIRECTORY | O_CLOEXEC), EACCES))
        return 10;
    /* the missing path was reported as skipped */
    if (skipped_index != 5 || skipped_errno != ENOENT)
        return 11;
    return 0;
}

static void test_landlock_apply_fs(void **state) {
    landlock_plan p = LANDLOCK_PLAN_INIT;
    fs_dirs d;
    pid_t pid;

    (void) state;
    if (require_abi(1) < 0)
        skip();
    fs_setup(&d);
    assert_int_equal(landlock_plan_add_path(&p, d.path[D_RO], LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_path(&p, d.path[D_RW], LANDLOCK_TIER_WRITE), 0);
    assert_int_equal(landlock_plan_add_path(&p, d.path[D_SINGLE], LANDLOCK_TIER_WRITE), 0);
    assert_int_equal(landlock_plan_add_path(&p, d.path[D_EXEC], LANDLOCK_TIER_EXECUTE), 0);
    assert_int_equal(landlock_plan_add_path(&p, "/proc/self", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_path(&p, d.path[D_MISSING], LANDLOCK_TIER_READ), 0);

    /* control: without Landlock every check that expects a refusal fails */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        _exit(fs_checks(&d));
    }
    assert_int_equal(wait_child(pid), 2);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fence_error err = {0};

        child_default_signals();
        if (landlock_apply(&p, on_skip, NULL, &err) < 0)
            _exit(100);
        _exit(fs_checks(&d));
    }
    assert_int_equal(wait_child(pid), 0);
    landlock_plan_done(&p);
    fs_teardown(&d);
}

static int tcp_listener(uint16_t *ret_port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    *ret_port = ntohs(a.sin_port);
    return fd;
}

static int tcp_connect(uint16_t port) {
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

    if (fd < 0)
        return -errno;
    r = connect(fd, (struct sockaddr *) &a, sizeof(a));
    e = errno;
    close(fd);
    return r < 0 ? -e : 0;
}

static int tcp_bind_any(void) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

    if (fd < 0)
        return -errno;
    r = bind(fd, (struct sockaddr *) &a, sizeof(a));
    e = errno;
    close(fd);
    return r < 0 ? -e : 0;
}

static void test_landlock_apply_tcp(void **state) {
    landlock_plan p = LANDLOCK_PLAN_INIT;
    uint16_t allowed, other;
    _cleanup_close_ int l1 = -1, l2 = -1;
    pid_t pid;

    (void) state;
    if (require_abi(4) < 0)
        skip();
    l1 = tcp_listener(&allowed);
    l2 = tcp_listener(&other);
    assert_int_equal(landlock_plan_add_path(&p, "/", LANDLOCK_TIER_READ), 0);
    assert_int_equal(landlock_plan_add_port(&p, false, allowed), 0);
    p.handle_net = true;

    /* control: everything connects and binds */
    assert_int_equal(tcp_connect(other), 0);
    assert_int_equal(tcp_bind_any(), 0);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        if (landlock_apply(&p, NULL, NULL, NULL) < 0)
            _exit(100);
        if (tcp_connect(allowed) != 0)
            _exit(1);
        if (tcp_connect(other) != -EACCES)
            _exit(2);
        if (tcp_bind_any() != -EACCES)
            _exit(3);
        _exit(0);
    }
    assert_int_equal(wait_child(pid), 0);

    /* handle_net off (relaxed mode): TCP is not touched */
    p.handle_net = false;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        if (landlock_apply(&p, NULL, NULL, NULL) < 0)
            _exit(100);
        _exit(tcp_connect(other) == 0 && tcp_bind_any() == 0 ? 0 : 1);
    }
    assert_int_equal(wait_child(pid), 0);
    landlock_plan_done(&p);
}

static int abstract_connect(const char *name) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

    if (fd < 0)
        return -errno;
    memcpy(a.sun_path + 1, name, n);
    r = connect(fd, (struct sockaddr *) &a,
                (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n));
    e = errno;
    close(fd);
    return r < 0 ? -e : 0;
}

static int scoped_child(const landlock_plan *p, pid_t outsider, const char *abstract_name,
                        int want_signal, int want_connect) {
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        if (p && landlock_apply(p, NULL, NULL, NULL) < 0)
            _exit(100);
        if ((kill(outsider, 0) < 0 ? -errno : 0) != want_signal)
            _exit(1);
        if (abstract_connect(abstract_name) != want_connect)
            _exit(2);
        _exit(0);
    }
    return wait_child(pid);
}

static void test_landlock_scopes(void **state) {
    landlock_plan p = LANDLOCK_PLAN_INIT;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    char name[64];
    _cleanup_close_ int l = -1;
    pid_t outsider;

    (void) state;
    if (require_abi(6) < 0)
        skip();
    snprintf(name, sizeof(name), "fence-test-landlock-%d", getpid());
    l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(l >= 0);
    memcpy(a.sun_path + 1, name, strlen(name));
    assert_int_equal(bind(l, (struct sockaddr *) &a,
                          (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))),
                     0);
    assert_int_equal(listen(l, 4), 0);
    outsider = fork();
    assert_true(outsider >= 0);
    if (outsider == 0) {
        child_default_signals();
        pause();
        _exit(0);
    }
    assert_int_equal(landlock_plan_add_path(&p, "/", LANDLOCK_TIER_READ), 0);

    /* control: no scopes, both reach outside */
    assert_int_equal(scoped_child(&p, outsider, name, 0, 0), 0);
    p.scopes = LANDLOCK_PLAN_SCOPE_SIGNAL | LANDLOCK_PLAN_SCOPE_ABSTRACT_UNIX;
    assert_int_equal(scoped_child(&p, outsider, name, -EPERM, -EPERM), 0);

    kill(outsider, SIGKILL);
    wait_child(outsider);
    landlock_plan_done(&p);
}

static void test_landlock_audit_flag_accepted(void **state) {
    landlock_plan p = LANDLOCK_PLAN_INIT;
    pid_t pid;

    (void) state;
    if (require_abi(1) < 0)
        skip();
    assert_int_equal(landlock_plan_add_path(&p, "/", LANDLOCK_TIER_READ), 0);
    p.audit_log = true;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        _exit(landlock_apply(&p, NULL, NULL, NULL) < 0 ? 1 : 0);
    }
    assert_int_equal(wait_child(pid), 0);
    landlock_plan_done(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_landlock_tier_rights),
            cmocka_unit_test(test_landlock_plan_building),
            cmocka_unit_test(test_landlock_dump),
            cmocka_unit_test(test_landlock_apply_fs),
            cmocka_unit_test(test_landlock_apply_tcp),
            cmocka_unit_test(test_landlock_scopes),
            cmocka_unit_test(test_landlock_audit_flag_accepted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
