/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/enforce/linux/execdeny (spec §7.5): which rules are masked, how tokens are
 * resolved ($PATH first match, common directories, '/' tokens against cwd, canonical paths),
 * multicall detection by (device, inode) with both warning forms, the accept list, and the
 * shell exemption. Works in a temporary directory holding fake bin directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "enforce/linux/execdeny.h"
#include "util/cleanup.h"

typedef struct fixture {
    char root[PATH_MAX];
    char path_env[3 * PATH_MAX];
} fixture;

/* snprintf() that says whether everything fitted. */
static bool fmt(char *buf, size_t size, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
static bool fmt(char *buf, size_t size, const char *format, ...) {
    va_list ap;
    int n;

    va_start(ap, format);
    n = vsnprintf(buf, size, format, ap);
    va_end(ap);
    return n >= 0 && (size_t) n < size;
}

static void at(const fixture *f, char *buf, const char *rel) {
    int n = snprintf(buf, PATH_MAX, "%s/%s", f->root, rel);

    assert_true(n > 0 && n < PATH_MAX);
}

static void make_file(const fixture *f, const char *rel, mode_t mode) {
    char p[PATH_MAX];
    int fd;

    at(f, p, rel);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    assert_int_equal(chmod(p, mode), 0);
}

static void make_dir(const fixture *f, const char *rel) {
    char p[PATH_MAX];

    at(f, p, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void set_mode(const fixture *f, const char *rel, mode_t mode) {
    char p[PATH_MAX];

    at(f, p, rel);
    assert_int_equal(chmod(p, mode), 0);
}

static void make_link(const fixture *f, const char *target_rel, const char *rel, bool hard) {
    char t[PATH_MAX], p[PATH_MAX];

    at(f, p, rel);
    if (hard) {
        at(f, t, target_rel);
        assert_int_equal(link(t, p), 0);
    } else
        assert_int_equal(symlink(target_rel, p), 0);
}

static int setup(void **state) {
    static const char *const aliases[] = {"cat", "head", "ls", "echo", "wc", "sort", "tool2"};
    fixture *f = calloc(1, sizeof(*f));
    char tmpl[] = "/tmp/test-execdeny-XXXXXX", p[PATH_MAX];

    assert_non_null(f);
    assert_non_null(mkdtemp(tmpl));
    assert_non_null(realpath(tmpl, f->root));
    at(f, p, "bin1");
    assert_int_equal(mkdir(p, 0755), 0);
    at(f, p, "bin2");
    assert_int_equal(mkdir(p, 0755), 0);
    make_file(f, "bin1/mytool", 0755);
    make_file(f, "bin1/notexec", 0644);
    make_file(f, "bin1/mysh", 0755);
    make_file(f, "bin1/multi", 0755);
    for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
        char rel[64];

        snprintf(rel, sizeof(rel), "bin1/%s", aliases[i]);
        make_link(f, "bin1/multi", rel, true);
    }
    make_link(f, "multi", "bin1/linkx", false);
    make_link(f, "mytool", "bin1/link-to-mytool", false);
    make_link(f, "mysh", "bin1/shlink", false);
    make_file(f, "bin2/mytool", 0755);
    make_file(f, "bin2/onlyhere", 0755);
    /* relative and empty entries are ignored */
    snprintf(f->path_env, sizeof(f->path_env), "%s/bin1::relative/bin:%s/bin2", f->root, f->root);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

typedef struct run_opts {
    const char *path_env; /* NULL: the fixture's */
    const char *deny[10];
    const char *accept[3];
    const char *cwd;
    const char *shell; /* relative to the fixture root */
    bool debug;
    bool defaults;
} run_opts;

/* Resolves o against the fixture without cmocka asserts (usable in a forked child): 0 or < 0. */
static int resolve_opts(const fixture *f, const run_opts *o, strv *paths, strv *warnings) {
    fence_config *cfg = fence_config_new();
    char shell[PATH_MAX];
    execdeny_facts facts = {
            .path_env = o->path_env ? o->path_env : f->path_env, .cwd = o->cwd, .debug = o->debug};
    fence_error err = {0};
    int r = cfg ? 0 : -ENOMEM;

    for (size_t i = 0; r >= 0 && o->deny[i]; i++)
        r = fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, o->deny[i]);
    for (size_t i = 0; r >= 0 && o->accept[i]; i++)
        r = fence_config_list_append_string(
                cfg, FENCE_CFG_COMMAND_ACCEPT_SHARED_BINARY_CANNOT_RUNTIME_DENY, o->accept[i]);
    if (r >= 0 && !o->defaults)
        r = fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, 0);
    if (r >= 0 && o->shell) {
        int n = snprintf(shell, sizeof(shell), "%s/%s", f->root, o->shell);

        r = n > 0 && (size_t) n < sizeof(shell) ? 0 : -ENAMETOOLONG;
        facts.shell_path = shell;
    }
    if (r >= 0)
        r = execdeny_resolve(cfg, &facts, paths, warnings, &err);
    fence_config_free(cfg);
    return r;
}

static void run(const fixture *f, const run_opts *o, strv *paths, strv *warnings) {
    assert_int_equal(resolve_opts(f, o, paths, warnings), 0);
}

/* The warning for the program at path_rel (under the fixture root) denied as token. */
static void warning_text(const fixture *f, char *buf, size_t size, const char *path_rel,
                         const char *token, const char *summary) {
    snprintf(buf, size,
             "[fence:linux] runtime exec deny warning for %s/%s (requested: %s): shared binary "
             "also implements critical commands [%s], which will be collaterally blocked. To skip "
             "runtime blocking of \"%s\" and silence this warning, add it to "
             "\"acceptSharedBinaryCannotRuntimeDeny\" in your command config.",
             f->root, path_rel, token, summary, token);
}

/* 0 when resolving o gives exactly the paths want (relative to the fixture root, NULL-terminated)
 * and, with a summary, one warning: for want[0] requested as o->deny[0]; without, none. Else
 * non-zero, with the difference on stderr. No cmocka asserts: forked children use it too. */
static int check(const fixture *f, const run_opts *o, const char *const *want,
                 const char *summary) {
    strv paths = {0}, warnings = {0};
    char p[PATH_MAX], w[4 * PATH_MAX];
    size_t n = 0;
    int bad = resolve_opts(f, o, &paths, &warnings) < 0 ? 1 : 0;

    for (; !bad && want[n]; n++) {
        at(f, p, want[n]);
        if (n >= paths.n || strcmp(paths.v[n], p) != 0) {
            fprintf(stderr, "deny '%s': path %zu is '%s', want '%s'\n", o->deny[0], n,
                    n < paths.n ? paths.v[n] : "(none)", p);
            bad = 2;
        }
    }
    if (!bad && paths.n != n) {
        fprintf(stderr, "deny '%s': %zu paths, want %zu (first extra: %s)\n", o->deny[0], paths.n,
                n, paths.v[n]);
        bad = 3;
    }
    if (!bad && summary) {
        warning_text(f, w, sizeof(w), want[0], o->deny[0], summary);
        if (warnings.n != 1 || strcmp(warnings.v[0], w) != 0) {
            fprintf(stderr, "deny '%s': %zu warnings, want one:\n  %s\ngot:\n  %s\n", o->deny[0],
                    warnings.n, w, warnings.n ? warnings.v[0] : "(none)");
            bad = 4;
        }
    } else if (!bad && warnings.n != 0) {
        fprintf(stderr, "deny '%s': unexpected warning %s\n", o->deny[0], warnings.v[0]);
        bad = 5;
    }
    strv_done(&paths);
    strv_done(&warnings);
    return bad;
}

/* Expected paths are relative to the fixture root; NULL-terminated. No warning. */
static void expect(const fixture *f, const run_opts *o, const char *const *want) {
    assert_int_equal(check(f, o, want, NULL), 0);
}

static void test_resolution(void **state) {
    fixture *f = *state;
    char abs[PATH_MAX];

    at(f, abs, "bin2/mytool");
    /* first $PATH match only; bin2/mytool is shadowed */
    expect(f, &(run_opts){.deny = {"mytool"}}, (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"onlyhere"}}, (const char *const[]){"bin2/onlyhere", NULL});
    /* canonical: a symlink resolves to its target; both names give one path */
    expect(f, &(run_opts){.deny = {"link-to-mytool"}}, (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"mytool", "link-to-mytool"}},
           (const char *const[]){"bin1/mytool", NULL});
    /* $PATH lookup needs an execute bit */
    expect(f, &(run_opts){.deny = {"notexec"}}, (const char *const[]){NULL});
    /* tokens with a '/' name one file, relative to cwd */
    expect(f, &(run_opts){.deny = {"./bin1/mytool"}, .cwd = f->root},
           (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"./bin1/mytool"}}, (const char *const[]){NULL});
    expect(f, &(run_opts){.deny = {abs}}, (const char *const[]){"bin2/mytool", NULL});
    expect(f, &(run_opts){.deny = {"/nonexistent/tool"}}, (const char *const[]){NULL});
    /* only single tokens without shell syntax are runtime rules */
    expect(f, &(run_opts){.deny = {"mytool --force", "mytool*", "x=mytool", "onlyhere"}},
           (const char *const[]){"bin2/onlyhere", NULL});
    /* sorted */
    expect(f, &(run_opts){.deny = {"onlyhere", "mytool"}},
           (const char *const[]){"bin1/mytool", "bin2/onlyhere", NULL});
    /* the shell the sandbox starts is never masked, named directly or through a link */
    expect(f, &(run_opts){.deny = {"mysh", "mytool"}, .shell = "bin1/mysh"},
           (const char *const[]){"bin1/mytool", NULL});
    expect(f, &(run_opts){.deny = {"mysh"}, .shell = "bin1/shlink"}, (const char *const[]){NULL});
}

/* path_rel is the one path masked, with the warning summary (for token = o->deny[0]). */
static void expect_warning(const fixture *f, const run_opts *o, const char *path_rel,
                           const char *token, const char *summary) {
    assert_string_equal(token, o->deny[0]);
    assert_int_equal(check(f, o, (const char *const[]){path_rel, NULL}, summary), 0);
}

static void test_multicall(void **state) {
    fixture *f = *state;

    /* aliases: cat echo head ls sort tool2 wc; critical first, in priority order */
    expect_warning(f, &(run_opts){.deny = {"tool2"}}, "bin1/tool2", "tool2",
                   "cat head echo +3 more detected aliases, use --debug for expanded details");
    expect_warning(f, &(run_opts){.deny = {"tool2"}, .debug = true}, "bin1/tool2", "tool2",
                   "cat head echo sort wc ls");
    /* through a symlink: the target's own name is an alias too, listed after the critical ones */
    expect_warning(f, &(run_opts){.deny = {"linkx"}}, "bin1/multi", "linkx",
                   "cat head echo +4 more detected aliases, use --debug for expanded details");
    expect_warning(f, &(run_opts){.deny = {"linkx"}, .debug = true}, "bin1/multi", "linkx",
                   "cat head echo sort wc ls multi");
    /* denied names are not collateral damage */
    expect_warning(f, &(run_opts){.deny = {"tool2"}, .debug = true}, "bin1/tool2", "tool2",
                   "cat head echo sort wc ls");
    /* accepted: left unmasked, silently (token or basename of the entry) */
    expect(f, &(run_opts){.deny = {"tool2"}, .accept = {"tool2"}}, (const char *const[]){NULL});
    expect(f, &(run_opts){.deny = {"tool2"}, .accept = {"/somewhere/tool2"}},
           (const char *const[]){NULL});
    expect(f, &(run_opts){.deny = {"tool2", "mytool"}, .accept = {"tool2"}},
           (const char *const[]){"bin1/mytool", NULL});
    /* an ordinary binary is not shared */
    expect(f, &(run_opts){.deny = {"mytool"}, .accept = {"mytool"}},
           (const char *const[]){"bin1/mytool", NULL});
}

static void test_all_aliases_denied(void **state) {
    fixture *f = *state;
    strv paths = {0}, warnings = {0};
    char p[PATH_MAX];

    /* every alias is itself denied: nothing collateral, no warning for the shared binary */
    run(f, &(run_opts){.deny = {"tool2", "cat", "head", "ls", "echo", "wc", "sort"}}, &paths,
        &warnings);
    at(f, p, "bin1/tool2");
    assert_true(strv_contains(&paths, p));
    at(f, p, "bin1/cat");
    assert_true(strv_contains(&paths, p));
    for (size_t i = 0; i < warnings.n; i++)
        assert_null(strstr(warnings.v[i], f->root));
    strv_done(&paths);
    strv_done(&warnings);
}

/* $PATH entries that are missing, below a missing directory or a regular file hold nothing; the
 * lookup goes on to the next entry. */
static void test_missing_path_dirs(void **state) {
    fixture *f = *state;
    char env[5 * PATH_MAX];

    make_file(f, "afile", 0755);
    assert_true(fmt(env, sizeof(env), "%s/missing:%s/missing/deeper:%s/afile:%s/bin2", f->root,
                    f->root, f->root, f->root));
    expect(f, &(run_opts){.path_env = env, .deny = {"mytool"}},
           (const char *const[]){"bin2/mytool", NULL});
    expect(f, &(run_opts){.path_env = env, .deny = {"onlyhere", "afile", "deeper"}},
           (const char *const[]){"bin2/onlyhere", NULL});
    assert_true(fmt(env, sizeof(env), "%s/missing", f->root));
    expect(f, &(run_opts){.path_env = env, .deny = {"mytool"}}, (const char *const[]){NULL});
}

/* $PATH entries are joined with the name lexically, as Go's filepath.Join does: "dangling/.." is
 * the fixture root even though dangling leads nowhere, and "bin2/./././..." is bin2 even when
 * it is too long for the kernel. */
static void test_dotdot_path_entry(void **state) {
    fixture *f = *state;
    char env[2 * PATH_MAX];

    make_link(f, "nowhere/deeper", "dangling", false);
    assert_true(fmt(env, sizeof(env), "%s/dangling/../bin2", f->root));
    expect(f, &(run_opts){.path_env = env, .deny = {"onlyhere"}},
           (const char *const[]){"bin2/onlyhere", NULL});
    /* longer than PATH_MAX as written, short once cleaned */
    assert_true(fmt(env, sizeof(env), "%s/bin2", f->root));
    for (size_t n = strlen(env); n + 2 < sizeof(env) - 1; n += 2)
        memcpy(env + n, "/.", 3);
    expect(f, &(run_opts){.path_env = env, .deny = {"onlyhere"}},
           (const char *const[]){"bin2/onlyhere", NULL});
}

/* busybox style: the aliases are symlinks to one regular file (a single link). */
static void test_symlinked_multicall(void **state) {
    fixture *f = *state;
    static const char *const aliases[] = {"cat", "echo", "bbtool"};

    make_file(f, "bin2/bbox", 0755);
    for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
        char rel[64];

        snprintf(rel, sizeof(rel), "bin2/%s", aliases[i]);
        make_link(f, "bbox", rel, false);
    }
    /* bin1's cat and echo (another file, earlier on $PATH) are not aliases of bbox */
    expect_warning(f, &(run_opts){.deny = {"bbtool"}}, "bin2/bbox", "bbtool",
                   "cat echo +1 more detected aliases, use --debug for expanded details");
    expect_warning(f, &(run_opts){.deny = {"bbtool"}, .debug = true}, "bin2/bbox", "bbtool",
                   "cat echo bbox");
    /* bbtool is neither critical nor denied here: not probed */
    expect_warning(f, &(run_opts){.deny = {"bbox"}, .debug = true}, "bin2/bbox", "bbox",
                   "cat echo");
    /* a plain file of the same name elsewhere is another program */
    expect(f, &(run_opts){.deny = {"mytool"}}, (const char *const[]){"bin1/mytool", NULL});
}

/* A directory larger than EXECDENY_LIST_MAX_BYTES is not read: names are looked up one by one.
 * Same answers: plain files, non-executables, directories, symlinked and hard-linked multicall
 * binaries. */
static void test_big_directory(void **state) {
    fixture *f = *state;
    char env[PATH_MAX], p[PATH_MAX];
    struct stat st = {0};

    make_dir(f, "big");
    at(f, env, "big");
    for (int i = 0; i < 20000 && st.st_size <= EXECDENY_LIST_MAX_BYTES; i++) {
        char rel[64];

        snprintf(rel, sizeof(rel), "big/filler-entry-%05d", i);
        make_file(f, rel, 0644);
        if (i % 64 == 0)
            assert_int_equal(stat(env, &st), 0);
    }
    assert_true(st.st_size > EXECDENY_LIST_MAX_BYTES);
    make_file(f, "big/bigtool", 0755);
    make_file(f, "big/noexec", 0644);
    make_dir(f, "big/subtool");
    make_file(f, "big/bbox", 0755);
    make_link(f, "bbox", "big/cat", false);
    make_link(f, "bbox", "big/head", false);
    make_link(f, "bbox", "big/bbtool", false);
    make_file(f, "big/hmulti", 0755);
    make_link(f, "big/hmulti", "big/ls", true);
    make_link(f, "big/hmulti", "big/hmtool", true);
    at(f, p, "big/bigtool");

    expect(f, &(run_opts){.path_env = env, .deny = {"bigtool"}},
           (const char *const[]){"big/bigtool", NULL});
    expect(f, &(run_opts){.path_env = env, .deny = {"noexec", "subtool", "absent"}},
           (const char *const[]){NULL});
    expect(f, &(run_opts){.path_env = env, .deny = {p}},
           (const char *const[]){"big/bigtool", NULL});
    expect_warning(f, &(run_opts){.path_env = env, .deny = {"bbtool"}}, "big/bbox", "bbtool",
                   "cat head +1 more detected aliases, use --debug for expanded details");
    expect_warning(f, &(run_opts){.path_env = env, .deny = {"bbtool"}, .debug = true}, "big/bbox",
                   "bbtool", "cat head bbox");
    expect_warning(f, &(run_opts){.path_env = env, .deny = {"hmtool"}}, "big/hmtool", "hmtool",
                   "ls");
    /* the same directory under a second name (a symlink) answers the same */
    make_link(f, "big", "biglink", false);
    assert_true(fmt(env, sizeof(env), "%s/biglink:%s/big", f->root, f->root));
    expect_warning(f, &(run_opts){.path_env = env, .deny = {"hmtool"}}, "big/hmtool", "hmtool",
                   "ls");
}

/* Runs fn(f) in a child process and returns its exit status; the child exits 77 when the test
 * cannot run there. */
static int in_child(int (*fn)(const fixture *), const fixture *f) {
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn(f));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int unreadable_checks(const fixture *f) {
    char env[4 * PATH_MAX];

    /* root reads and searches everything: become nobody */
    if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                           setresuid(65534, 65534, 65534) < 0))
        return 77;
    if (!fmt(env, sizeof(env), "%s/xonly:%s/noperm:%s/ronly", f->root, f->root, f->root))
        return 3;
    /* searchable but not readable (0111): found by looking the name up, aliases too */
    if (check(f, &(run_opts){.path_env = env, .deny = {"xtool"}},
              (const char *const[]){"xonly/xtool", NULL}, "head"))
        return 1;
    /* not searchable (0000, 0444): stat() of anything inside fails, so nothing is found */
    if (check(f, &(run_opts){.path_env = env, .deny = {"nptool", "rtool"}},
              (const char *const[]){NULL}, NULL))
        return 2;
    return 0;
}

static void test_unreadable_path_dirs(void **state) {
    fixture *f = *state;
    int r;

    set_mode(f, ".", 0755); /* mkdtemp's 0700 would stop nobody at the root */
    make_dir(f, "xonly");
    make_file(f, "xonly/xtool", 0755);
    make_link(f, "xtool", "xonly/head", false);
    make_dir(f, "noperm");
    make_file(f, "noperm/nptool", 0755);
    make_dir(f, "ronly");
    make_file(f, "ronly/rtool", 0755);
    set_mode(f, "xonly", 0111);
    set_mode(f, "noperm", 0000);
    set_mode(f, "ronly", 0444);
    r = in_child(unreadable_checks, f);
    set_mode(f, "xonly", 0755);
    set_mode(f, "noperm", 0755);
    set_mode(f, "ronly", 0755);
    if (r == 77)
        skip();
    assert_int_equal(r, 0);
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;

    if (fd >= 0)
        close(fd);
    return n == (ssize_t) strlen(text) ? 0 : -1;
}

/* In a private user and mount namespace: a file mounted on mnt/cat makes it the same inode as
 * mnt/mtool, which the directory listing cannot show; a directory mounted elsewhere is the same
 * directory but not the same place. */
static int mount_checks(const fixture *f) {
    const run_opts o = {.path_env = NULL, .deny = {"mtool"}};
    char map[64], src[PATH_MAX], dst[PATH_MAX], env[PATH_MAX];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    run_opts with = o;

    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return 77;
    snprintf(map, sizeof(map), "0 %u 1", (unsigned) uid);
    if (write_text("/proc/self/uid_map", map) < 0 || write_text("/proc/self/setgroups", "deny") < 0)
        return 77;
    snprintf(map, sizeof(map), "0 %u 1", (unsigned) gid);
    if (write_text("/proc/self/gid_map", map) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return 77;
    at(f, src, "mnt/mtool");
    at(f, dst, "mnt/cat");
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
        return 77;
    at(f, env, "mnt");
    with.path_env = env;
    if (check(f, &with, (const char *const[]){"mnt/mtool", NULL}, "cat"))
        return 1;
    /* p2/bin is p1/bin mounted elsewhere: the same directory, another place. Its relative
     * symlink echo -> ../tool names p2/tool there, and p1/tool (the program) only through p1. */
    at(f, src, "p1/bin");
    at(f, dst, "p2/bin");
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
        return 77;
    if (!fmt(env, sizeof(env), "%s/p1:%s/p2/bin:%s/p1/bin", f->root, f->root, f->root))
        return 3;
    with.deny[0] = "tool";
    if (check(f, &with, (const char *const[]){"p1/tool", NULL}, "echo"))
        return 4;
    with.deny[0] = "mtool";
    at(f, env, "mnt");
    /* without /proc/self/mountinfo any name may be a mount point: the same answer */
    if (mount("none", "/proc", "tmpfs", 0, NULL) < 0)
        return 77;
    if (check(f, &with, (const char *const[]){"mnt/mtool", NULL}, "cat"))
        return 2;
    return 0;
}

static void test_mount_point(void **state) {
    fixture *f = *state;
    char env[PATH_MAX];
    int r;

    make_dir(f, "mnt");
    make_file(f, "mnt/mtool", 0755);
    make_file(f, "mnt/cat", 0755);
    make_dir(f, "p1");
    make_dir(f, "p1/bin");
    make_file(f, "p1/tool", 0755);
    make_link(f, "../tool", "p1/bin/echo", false);
    make_dir(f, "p2");
    make_dir(f, "p2/bin");
    /* control: without the mount, mnt/cat is another file */
    at(f, env, "mnt");
    expect(f, &(run_opts){.path_env = env, .deny = {"mtool"}},
           (const char *const[]){"mnt/mtool", NULL});
    r = in_child(mount_checks, f);
    if (r == 77)
        skip();
    assert_int_equal(r, 0);
}

static void test_defaults(void **state) {
    fixture *f = *state;
    strv paths = {0}, warnings = {0};
    struct stat st;

    run(f, &(run_opts){.defaults = true}, &paths, &warnings);
    for (size_t i = 0; i < paths.n; i++) {
        assert_true(paths.v[i][0] == '/');
        if (i > 0)
            assert_true(strcmp(paths.v[i - 1], paths.v[i]) < 0);
    }
    /* single-token default rules found in the common directories are masked */
    if (stat("/usr/bin/unshare", &st) == 0)
        assert_true(strv_contains(&paths, "/usr/bin/unshare"));
    if (stat("/usr/bin/nsenter", &st) == 0)
        assert_true(strv_contains(&paths, "/usr/bin/nsenter"));
    strv_done(&paths);
    strv_done(&warnings);
}

static void test_bad_arguments(void **state) {
    fence_error err = {0};
    strv a = {0}, b = {0};

    (void) state;
    assert_int_equal(execdeny_resolve(NULL, NULL, &a, &b, &err), -FENCE_E_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_resolution, setup, teardown),
            cmocka_unit_test_setup_teardown(test_multicall, setup, teardown),
            cmocka_unit_test_setup_teardown(test_all_aliases_denied, setup, teardown),
            cmocka_unit_test_setup_teardown(test_missing_path_dirs, setup, teardown),
            cmocka_unit_test_setup_teardown(test_dotdot_path_entry, setup, teardown),
            cmocka_unit_test_setup_teardown(test_symlinked_multicall, setup, teardown),
            cmocka_unit_test_setup_teardown(test_big_directory, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unreadable_path_dirs, setup, teardown),
            cmocka_unit_test_setup_teardown(test_mount_point, setup, teardown),
            cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
            cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
