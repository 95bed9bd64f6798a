/* SPDX-License-Identifier: MIT */
/*
 * Golden-file tests of the mount plan: a matrix of configs against an in-memory host
 * filesystem (tests/unit/golden/mntplan-*.txt). FENCE_UPDATE_GOLDEN=1 rewrites the files; review
 * the diff like any other change.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "enforce/linux/mntplan.h"
#include "policy/fspol.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/path.h"

/* The fake host: 'd' directory, 'f' file, 's' unix socket, 'l' symlink (target). */
static const struct fake_entry {
    const char *path;
    char type;
    const char *target;
} fake_fs[] = {
        {"/", 'd', NULL},
        {"/bin", 'l', "/usr/bin"},
        {"/dev", 'd', NULL},
        {"/dev/null", 'f', NULL},
        {"/dev/zero", 'f', NULL},
        {"/dev/full", 'f', NULL},
        {"/dev/random", 'f', NULL},
        {"/dev/urandom", 'f', NULL},
        {"/dev/tty", 'f', NULL},
        {"/dev/kvm", 'f', NULL},
        {"/etc", 'd', NULL},
        {"/etc/resolv.conf", 'l', "/run/resolv/resolv.conf"},
        {"/home", 'd', NULL},
        {"/home/u", 'd', NULL},
        {"/home/u/.bashrc", 'f', NULL},
        {"/home/u/.cache", 'd', NULL},
        {"/home/u/.cache/pip", 'd', NULL},
        {"/home/u/.cache/planted", 'l', "/home/u"},
        {"/home/u/.npm", 'd', NULL},
        {"/home/u/.npm/_logs", 'l', "/home/u"},
        {"/home/u/.ssh", 'd', NULL},
        {"/home/u/.ssh/id_ed25519", 'f', NULL},
        {"/home/u/.ssh/known_hosts", 'f', NULL},
        {"/home/u/.ssh/cm-git@host:22", 's', NULL},
        {"/home/u/.docker", 'd', NULL},
        {"/home/u/.docker/run", 'd', NULL},
        {"/home/u/.docker/run/docker.sock", 's', NULL},
        {"/home/u/agent.sock", 's', NULL},
        {"/home/u/work", 'd', NULL},
        {"/home/u/work/.git", 'd', NULL},
        {"/home/u/work/.git/hooks", 'd', NULL},
        {"/home/u/work/.git/config", 'f', NULL},
        {"/home/u/work/.env", 'f', NULL},
        {"/home/u/work/src", 'd', NULL},
        {"/home/u/work/src/.env.local", 'f', NULL},
        {"/home/u/work/src/.vscode", 'd', NULL},
        {"/home/u/work/node_modules", 'd', NULL},
        {"/home/u/work/node_modules/.bashrc", 'f', NULL},
        {"/home/u/work/out", 'l', "/home/u/.ssh"},
        {"/lib", 'l', "/usr/lib"},
        {"/opt", 'd', NULL},
        {"/proc", 'd', NULL},
        {"/run", 'd', NULL},
        {"/run/resolv", 'd', NULL},
        {"/run/resolv/resolv.conf", 'f', NULL},
        {"/run/docker.sock", 's', NULL},
        {"/run/dbus", 'd', NULL},
        {"/run/dbus/system_bus_socket", 's', NULL},
        {"/run/user", 'd', NULL},
        {"/run/user/1000", 'd', NULL},
        {"/run/user/1000/bus", 's', NULL},
        {"/sys", 'd', NULL},
        {"/tmp", 'd', NULL},
        {"/usr", 'd', NULL},
        {"/usr/bin", 'd', NULL},
        {"/usr/bin/bash", 'f', NULL},
        {"/usr/lib", 'd', NULL},
        {"/var", 'd', NULL},
};

static const struct fake_entry *fake_find(const char *path) {
    for (size_t i = 0; i < ARRAY_SIZE(fake_fs); i++)
        if (streq(fake_fs[i].path, path))
            return &fake_fs[i];
    return NULL;
}

/* Resolves symlinks component by component (enough for these tables). */
static int fake_resolve(void *data, const char *path, hostfs_entry *ret) {
    char cur[1100] = "", work[1100];
    const char *p = path;
    (void) data;

    for (int hops = 0; hops < 16;) {
        const char *e;
        char next[1100];
        const struct fake_entry *f;

        while (*p == '/')
            p++;
        if (!*p)
            break;
        e = strchrnul(p, '/');
        {
            size_t cn = strlen(cur), n = (size_t) (e - p);
            if (cn + n + 2 > sizeof(next))
                return -ENAMETOOLONG;
            memcpy(next, cur, cn);
            next[cn] = '/';
            memcpy(next + cn + 1, p, n);
            next[cn + 1 + n] = '\0';
        }
        f = fake_find(next);
        if (!f)
            return -ENOENT;
        if (f->type == 'l') {
            /* restart from the root with the (absolute) target and the rest */
            snprintf(work, sizeof(work), "%s%s", f->target, e);
            strcpy(cur, "");
            p = work;
            hops++;
            continue;
        }
        strcpy(cur, next);
        p = e;
    }
    if (!*cur)
        strcpy(cur, "/");
    {
        const struct fake_entry *f = fake_find(cur);
        if (!f)
            return -ENOENT;
        ret->is_dir = f->type == 'd';
        ret->is_sock = f->type == 's';
        ret->dev = 1;
        ret->canonical = strdup(cur);
    }
    return ret->canonical ? 0 : -ENOMEM;
}

static int fake_glob(void *data, const char *pattern, strv *ret, bool *trunc) {
    int n = 0;
    (void) data;
    *trunc = false;
    for (size_t i = 0; i < ARRAY_SIZE(fake_fs); i++)
        if (fspol_glob_match(pattern, fake_fs[i].path)) {
            if (strv_push(ret, fake_fs[i].path) < 0)
                return -ENOMEM;
            n++;
        }
    return n;
}

static int fake_find_names(void *data, const char *root, unsigned max_depth,
                           const char *const *names, strv *ret, bool *trunc) {
    size_t rn = strlen(root);
    int n = 0;
    (void) data;
    *trunc = false;
    for (size_t i = 0; i < ARRAY_SIZE(fake_fs); i++) {
        const char *p = fake_fs[i].path, *base = strrchr(p, '/') + 1;
        unsigned depth = 0;
        if (strncmp(p, root, rn) != 0 || p[rn] != '/' || strstr(p + rn, "/node_modules/"))
            continue;
        for (const char *c = p + rn; *c; c++)
            depth += *c == '/';
        if (depth > max_depth)
            continue;
        for (const char *const *nm = names; *nm; nm++)
            if (streq(*nm, base)) {
                if (strv_push(ret, p) < 0)
                    return -ENOMEM;
                n++;
            }
    }
    return n;
}

/* Sockets below root, at most max_depth levels down (the fake host has one filesystem but
 * /run/user/UID, as on real hosts). */
static int fake_sockets(void *data, const char *root, unsigned max_depth, const char *prune,
                        strv *ret, bool *trunc) {
    size_t rn = strlen(root);
    int n = 0;
    (void) data;
    (void) prune;
    *trunc = false;
    for (size_t i = 0; i < ARRAY_SIZE(fake_fs); i++) {
        const char *p = fake_fs[i].path;
        unsigned depth = 0;
        if (fake_fs[i].type != 's' || strncmp(p, root, rn) != 0 || p[rn] != '/')
            continue;
        if (streq(root, "/run") && strncmp(p, "/run/user/", 10) == 0)
            continue; /* another filesystem */
        for (const char *c = p + rn; *c; c++)
            depth += *c == '/';
        if (depth > max_depth)
            continue;
        if (strv_push(ret, p) < 0)
            return -ENOMEM;
        n++;
    }
    return n;
}

/* The user (1000) owns its home; everything else is root's, 0755. */
static int fake_user_writable(void *data, const char *dir, uid_t uid, gid_t gid) {
    (void) data;
    (void) gid;
    if (!fake_find(dir))
        return -ENOENT;
    return uid == 0 || (uid == 1000 && path_is_under(dir, "/home/u"));
}

static const hostfs_ops fake_ops = {.resolve = fake_resolve,
                                    .glob = fake_glob,
                                    .find = fake_find_names,
                                    .sockets = fake_sockets,
                                    .user_writable = fake_user_writable};

static void check_golden(const char *name, const char *text) {
    char path[1024];
    _cleanup_free_ char *want = NULL;
    const char *src = getenv("FENCE_SOURCE_ROOT");

    snprintf(path, sizeof(path), "%s/tests/unit/golden/mntplan-%s.txt", src ? src : ".", name);
    if (getenv("FENCE_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return;
    }
    assert_int_equal(read_full_file(path, 1 << 20, &want, NULL), 0);
    if (!streq(want, text))
        fail_msg("golden %s differs; got:\n%s", name, text);
}

static void run_case_as(const char *name, fence_config *cfg, const strv *expose_rw, uid_t uid,
                        bool host_proc) {
    static char *env_sockets[] = {"/home/u/agent.sock", "/nonexistent.sock"};
    host_facts f = {.cwd = "/home/u/work",
                    .home = "/home/u",
                    .uid = uid,
                    .gid = uid,
                    .resolv_target = "/run/resolv/resolv.conf",
                    .fs = &fake_ops,
                    .env_sockets = {.v = env_sockets, .n = 2}};
    mntplan_input in = {.cfg = cfg,
                        .facts = &f,
                        .expose_rw = expose_rw,
                        .shell = "/usr/bin/bash",
                        .allow_host_proc = host_proc};
    mntplan *p = NULL;
    fbuf out = FBUF_INIT(1 << 20);
    fence_error err = {0};
    _cleanup_free_ char *text = NULL;

    assert_int_equal(mntplan_build(&in, &p, &err), 0);
    assert_int_equal(mntplan_dump(p, &out), 0);
    for (size_t i = 0; i < p->writable.n; i++)
        fbuf_printf(&out, "  writable %s\n", p->writable.v[i]);
    for (size_t i = 0; i < p->protect.n; i++)
        fbuf_printf(&out, "  protect %s\n", p->protect.v[i]);
    for (size_t i = 0; i < p->executable.n; i++)
        fbuf_printf(&out, "  execute-only %s\n", p->executable.v[i]);
    for (size_t i = 0; i < p->git_dirs.n; i++)
        fbuf_printf(&out, "  git-dir %s\n", p->git_dirs.v[i]);
    for (size_t i = 0; i < p->warnings.n; i++)
        fbuf_printf(&out, "  warning %s\n", p->warnings.v[i]);
    text = fbuf_steal(&out);
    check_golden(name, text);
    mntplan_free(p);
    fence_config_free(cfg);
}

static void run_case(const char *name, fence_config *cfg, const strv *expose_rw) {
    run_case_as(name, cfg, expose_rw, 1000, false);
}

static void test_default(void **state) {
    (void) state;
    run_case("default", fence_config_new(), NULL);
}

static void test_code(void **state) {
    fence_config *cfg = fence_config_new();
    (void) state;
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, ".");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "~/.cache/**");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "./out");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_DENY_WRITE, "**/.env");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_DENY_WRITE, "**/.env.*");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_DENY_READ, "~/.ssh/id_*");
    run_case("code", cfg, NULL);
}

static void test_allowlist(void **state) {
    fence_config *cfg = fence_config_new();
    (void) state;
    fence_config_set_bool(cfg, FENCE_CFG_FILESYSTEM_DEFAULT_DENY_READ, 1);
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_READ, ".");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_EXECUTE, "/var");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_EXECUTE, "./src");
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_DENY_READ, "./.env");
    run_case("allowlist", cfg, NULL);
}

static void test_devices_expose(void **state) {
    fence_config *cfg = fence_config_new();
    static char *rw[] = {"/var", NULL};
    static const strv expose = {.v = rw, .n = 1};
    (void) state;
    fence_config_list_append_string(cfg, FENCE_CFG_DEVICES_ALLOW, "/dev/kvm");
    fence_config_list_append_string(cfg, FENCE_CFG_DEVICES_ALLOW, "/etc");
    fence_config_set_bool(cfg, FENCE_CFG_FILESYSTEM_ALLOW_GIT_CONFIG, 1);
    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, ".");
    run_case("devices-expose", cfg, &expose);
}

static void test_unix_sockets_allowed(void **state) {
    fence_config *cfg = fence_config_new();
    (void) state;
    fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_ALLOW_UNIX_SOCKETS,
                                    "/run/user/1000/bus");
    fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_ALLOW_UNIX_SOCKETS, "~/.docker");
    fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_ALLOW_UNIX_SOCKETS, "/run/d*.sock");
    run_case("sockets-allowed", cfg, NULL);
}

static void test_unix_sockets_all(void **state) {
    fence_config *cfg = fence_config_new();
    (void) state;
    fence_config_set_bool(cfg, FENCE_CFG_NETWORK_ALLOW_ALL_UNIX_SOCKETS, 1);
    run_case("sockets-all", cfg, NULL);
}

static void test_strict_host_dev(void **state) {
    fence_config *cfg = fence_config_new();
    (void) state;
    fence_config_set_bool(cfg, FENCE_CFG_FILESYSTEM_STRICT_DENY_READ, 1);
    fence_config_set_string(cfg, FENCE_CFG_DEVICES_MODE, "host");
    run_case("strict-hostdev", cfg, NULL);
}

/* Finding 5 (escape class 3): symlinks planted by an earlier run in writable places of home
 * (~/.npm/_logs -> ~, ~/.cache/planted -> ~) are not followed; the usr-merge /lib -> /usr/lib
 * (in root's "/") is, for a user. For root, "/" is its own: that link is skipped too. */
static void test_planted_links(void **state) {
    (void) state;
    for (int root = 0; root < 2; root++) {
        fence_config *cfg = fence_config_new();
        fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "~/.npm");
        fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "~/.cache/**");
        fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "/lib");
        run_case_as(root ? "planted-links-root" : "planted-links", cfg, NULL, root ? 0 : 1000,
                    false);
    }
}

static mntplan *build_plan(fence_config *cfg, const strv *expose_rw, bool host_proc) {
    host_facts f = {
            .cwd = "/home/u/work", .home = "/home/u", .uid = 1000, .gid = 1000, .fs = &fake_ops};
    mntplan_input in = {
            .cfg = cfg, .facts = &f, .expose_rw = expose_rw, .allow_host_proc = host_proc};
    mntplan *p = NULL;
    fence_error err = {0};

    assert_int_equal(mntplan_build(&in, &p, &err), 0);
    return p;
}

static size_t op_index(const mntplan *p, mntop_kind kind, const char *dst) {
    for (size_t i = 0; i < p->n; i++)
        if (p->ops[i].kind == kind && streq(p->ops[i].dst, dst))
            return i;
    fail_msg("no operation %d on %s", (int) kind, dst);
    return 0;
}

/* Finding 9: a writable ExposeHostPath over the workspace comes before the read-only overlays
 * of .git/hooks and .git/config (and denyWrite), so that they still apply. */
static void test_expose_rw_before_overlays(void **state) {
    static char *rw[] = {"/home/u/work", NULL};
    static const strv expose = {.v = rw, .n = 1};
    fence_config *cfg = fence_config_new();
    mntplan *p;
    size_t bind;
    (void) state;

    fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_DENY_WRITE, "./.env");
    p = build_plan(cfg, &expose, false);
    bind = op_index(p, MNTOP_BIND, "/home/u/work");
    assert_false(p->ops[bind].flags & MNTF_RO);
    assert_true(bind < op_index(p, MNTOP_REBIND_RO, "/home/u/work/.git/hooks"));
    assert_true(bind < op_index(p, MNTOP_REBIND_RO, "/home/u/work/.git/config"));
    assert_true(bind < op_index(p, MNTOP_REBIND_RO, "/home/u/work/.env"));
    assert_true(strv_contains(&p->writable, "/home/u/work"));
    mntplan_free(p);
    fence_config_free(cfg);
}

/* Finding 11: the host /proc fallback only when accepted; otherwise the refusal names the
 * level. */
static void test_proc_fallback(void **state) {
    (void) state;
    for (int allow = 0; allow < 2; allow++) {
        fence_config *cfg = fence_config_new();
        mntplan *p = build_plan(cfg, NULL, allow);
        size_t i = op_index(p, MNTOP_PROC, "/proc");
        fence_error err = {0};

        assert_int_equal(!!(p->ops[i].flags & MNTF_HOST_PROC), allow);
        assert_int_equal(mntplan_proc_fallback(&p->ops[i], -EPERM), allow);
        assert_int_equal(mntplan_proc_fallback(&p->ops[i], -EACCES), allow);
        assert_false(mntplan_proc_fallback(&p->ops[i], -ENOMEM));
        assert_false(mntplan_proc_fallback(&p->ops[0], -EPERM));
        if (!allow) {
            assert_int_equal(mntplan_op_error(p, i, -EPERM, &err), -FENCE_E_UNSUPPORTED);
            assert_non_null(strstr(err.msg, "refuses a fresh /proc"));
            assert_non_null(strstr(err.msg, "--allow-degraded=host-proc"));
        }
        /* any other failure is reported as the operation that failed */
        err = (fence_error){0};
        assert_int_equal(mntplan_op_error(p, i, -ENOMEM, &err), -FENCE_E_SANDBOX);
        assert_null(strstr(err.msg, "host-proc"));
        mntplan_free(p);
        fence_config_free(cfg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_default),
            cmocka_unit_test(test_code),
            cmocka_unit_test(test_allowlist),
            cmocka_unit_test(test_devices_expose),
            cmocka_unit_test(test_strict_host_dev),
            cmocka_unit_test(test_unix_sockets_allowed),
            cmocka_unit_test(test_unix_sockets_all),
            cmocka_unit_test(test_planted_links),
            cmocka_unit_test(test_expose_rw_before_overlays),
            cmocka_unit_test(test_proc_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
