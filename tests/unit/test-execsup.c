/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/runtime/execsup (argv mode, spec §7.6) and the unotify dispatcher: a real
 * child process loads a filter that notifies execve/execveat (no namespaces, no privileges:
 * NO_NEW_PRIVS is enough), hands its listener over, and tries an exec; the test serves the
 * listener with execsup and checks what the exec did (ran, or failed with which errno) and the
 * log line. Also the "#!" parser against the kernel's rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "policy/cmdpol.h"
#include "runtime/execsup.h"
#include "runtime/unotify.h"
#include "util/cleanup.h"

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

extern char **environ;

/* ---- "#!" lines -------------------------------------------------------------------------- */

static void test_parse_shebang(void **state) {
    static const struct {
        const char *text;
        int want;
        const char *interp, *arg;
    } cases[] = {
            {"#!/bin/sh\necho hi\n", 1, "/bin/sh", NULL},
            {"#! /usr/bin/env  node  \n", 1, "/usr/bin/env", "node"},
            /* everything after the interpreter is ONE argument */
            {"#!/usr/bin/env -S git push\n", 1, "/usr/bin/env", "-S git push"},
            {"#!/usr/bin/git\tpush  origin \n", 1, "/usr/bin/git", "push  origin"},
            {"#!/bin/sh -e\r\n", 1, "/bin/sh", "-e\r"}, /* CR is not a blank for the kernel */
            {"#!/bin/sh\0 -x\n", 1, "/bin/sh", NULL},   /* a NUL ends the line */
            {"#!\n", -ENOEXEC, NULL, NULL},
            {"#!   \t \n", -ENOEXEC, NULL, NULL},
            {"#!", -ENOEXEC, NULL, NULL},
            {"echo hi\n", 0, NULL, NULL},
            {"\x7f"
             "ELF",
             0, NULL, NULL},
            {"#", 0, NULL, NULL},
    };
    execsup_shebang sb;

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = strlen(cases[i].text);
        int r;

        if (strncmp(cases[i].text, "#!/bin/sh", 9) == 0 && cases[i].text[9] == '\0')
            n = 14; /* the case with an embedded NUL */
        r = execsup_parse_shebang(cases[i].text, n, &sb);
        assert_int_equal(r, cases[i].want);
        if (r != 1)
            continue;
        assert_string_equal(sb.interp, cases[i].interp);
        assert_int_equal(sb.has_arg, cases[i].arg != NULL);
        if (cases[i].arg)
            assert_string_equal(sb.arg, cases[i].arg);
    }
}

static void test_parse_shebang_truncated(void **state) {
    char buf[EXECSUP_SHEBANG_MAX + 64];
    execsup_shebang sb;

    (void) state;
    /* the interpreter fills the kernel's buffer: refused */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "#!/", 3);
    assert_int_equal(execsup_parse_shebang(buf, sizeof(buf), &sb), -ENOEXEC);
    /* a complete interpreter and an argument cut by the buffer: the cut argument */
    memcpy(buf, "#!/bin/x ", 9);
    assert_int_equal(execsup_parse_shebang(buf, sizeof(buf), &sb), 1);
    assert_string_equal(sb.interp, "/bin/x");
    assert_int_equal(strlen(sb.arg), EXECSUP_SHEBANG_MAX - 9);
}

/* ---- a traced child ---------------------------------------------------------------------- */

typedef enum how {
    HOW_PLAIN,    /* execve(path, argv) */
    HOW_THREADED, /* the same from a process with a second thread */
    HOW_FEXEC,    /* execveat(open(path), "", argv, AT_EMPTY_PATH) */
    HOW_PROCFD,   /* execve("/proc/self/fd/N") of open(path) */
    HOW_DEVFD,    /* execve("/dev/fd/N") */
    HOW_BADPTR,   /* execve(<unmapped address>) */
} how;

typedef struct exec_case {
    const char *path;
    const char *const *argv;
    how how;
} exec_case;

typedef struct fixture {
    char dir[256];
    char log[4096]; /* the last log line */
    unsigned lines;
} fixture;

static void capture(void *userdata, const char *line) {
    fixture *f = userdata;

    snprintf(f->log, sizeof(f->log), "%s", line);
    f->lines++;
}

static int load_filter(void) {
    struct sock_filter insns[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
    struct sock_fprog prog = {.len = ARRAY_SIZE(insns), .filter = insns};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                         &prog);
}

static int send_fd(int sock, int fd) {
    char c = 'L';
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

    memset(u.buf, 0, sizeof(u.buf));
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock) {
    char c;
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm;
    int fd = -1;

    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    cm = CMSG_FIRSTHDR(&msg);
    if (cm && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

static void *block_forever(void *arg) {
    int fd = *(int *) arg;
    char c;

    (void) !read(fd, &c, 1); /* until the process execs or exits */
    return NULL;
}

static _Noreturn void child(const exec_case *c, int sock, int errpipe, int threadpipe) {
    char **argv = (char **) c->argv;
    char procpath[64];
    int listener = load_filter(), fd = -1, e;
    pthread_t t;

    if (listener < 0 || send_fd(sock, listener) < 0)
        _exit(90);
    close(listener);
    close(sock);
    if (c->how == HOW_THREADED && pthread_create(&t, NULL, block_forever, &threadpipe) != 0)
        _exit(91);
    if (c->how == HOW_FEXEC || c->how == HOW_PROCFD || c->how == HOW_DEVFD) {
        fd = open(c->path, O_RDONLY); /* not CLOEXEC: the exec goes through it */
        if (fd < 0)
            _exit(92);
    }
    /* the program's output is not the test's */
    dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO);
    switch (c->how) {
    case HOW_FEXEC:
        syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
        break;
    case HOW_PROCFD:
    case HOW_DEVFD:
        snprintf(procpath, sizeof(procpath), "%s/%d",
                 c->how == HOW_PROCFD ? "/proc/self/fd" : "/dev/fd", fd);
        execve(procpath, argv, environ);
        break;
    case HOW_BADPTR: {
        const char *volatile bad = (const char *) 8;
        execve(bad, argv, environ);
        break;
    }
    default:
        execve(c->path, argv, environ);
    }
    e = errno;
    (void) !write(errpipe, &e, sizeof(e));
    _exit(100);
}

/* Runs c in a traced child served by es. Returns the errno of the failed exec, or 0 when the
 * program ran (and exited 0). */
static int run_case(execsup *es, const exec_case *c) {
    int sv[2], ep[2], tp[2], listener, status = 0, e = 0;
    unotify *u = NULL;
    pid_t pid;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
    assert_int_equal(pipe2(tp, O_CLOEXEC), 0);
    assert_int_equal(unotify_new(&u, NULL), 0);
    unotify_set_exec(u, es);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        close(ep[0]);
        close(tp[1]);
        child(c, sv[1], ep[1], tp[0]);
    }
    close(sv[1]);
    close(ep[1]);
    close(tp[0]);
    listener = recv_fd(sv[0]);
    close(sv[0]);
    assert_true(listener >= 0);
    for (;;) {
        /* the exec's answer ends the errpipe (exec closes it, or the child writes errno) */
        struct pollfd p[2] = {{.fd = listener, .events = POLLIN}, {.fd = ep[0], .events = POLLIN}};

        assert_true(poll(p, 2, 10000) > 0);
        if (p[0].revents & POLLIN)
            unotify_handle(u, listener);
        if (p[1].revents)
            break;
    }
    if (read(ep[0], &e, sizeof(e)) != sizeof(e))
        e = 0;
    close(tp[1]);
    close(ep[0]);
    close(listener);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (e == 0)
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unotify_free(u);
    return e;
}

static fence_config *make_cfg(const char *const *deny, bool defaults) {
    fence_config *cfg = fence_config_new();

    assert_non_null(cfg);
    for (; deny && *deny; deny++)
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, *deny), 0);
    assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, defaults), 0);
    return cfg;
}

typedef struct harness {
    fixture *f;
    fence_config *cfg;
    cmdpol *pol;
    rlog log;
    execsup *es;
} harness;

static void harness_init(harness *h, fixture *f, const char *const *deny, bool bootstrap) {
    execsup_config ec;

    memset(h, 0, sizeof(*h));
    h->f = f;
    h->cfg = make_cfg(deny, false);
    assert_int_equal(cmdpol_new(h->cfg, &h->pol), 0);
    h->log = (rlog){.fn = capture, .userdata = f};
    ec = (execsup_config){.pol = h->pol, .bootstrap = bootstrap, .log = &h->log};
    assert_int_equal(execsup_new(&ec, &h->es, NULL), 0);
    f->log[0] = '\0';
    f->lines = 0;
}

static void harness_done(harness *h) {
    execsup_free(h->es);
    cmdpol_free(h->pol);
    fence_config_free(h->cfg);
}

static void make_script(const fixture *f, const char *name, const char *text, char *ret_path) {
    int fd;

    snprintf(ret_path, PATH_MAX, "%s/%s", f->dir, name);
    fd = open(ret_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");

    snprintf(f->dir, sizeof(f->dir), "%s/test-execsup-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    (void) !system(cmd);
    free(f);
    return 0;
}

static const char *const deny_true_push[] = {"true push", NULL};

static void test_rules(void **state) {
    static const char *const push[] = {"true", "push", NULL};
    static const char *const status[] = {"true", "status", NULL};
    static const char *const flagged[] = {"true", "-C", "/x", "push", "origin", NULL};
    static const char *const renamed[] = {"anything", "push", NULL};
    static const char *const none[] = {NULL};
    fixture *f = *state;
    harness h;

    harness_init(&h, f, deny_true_push, false);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", status, HOW_PLAIN}), 0);
    assert_int_equal(f->lines, 0u);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_PLAIN}), EPERM);
    assert_string_equal(f->log, "[fence:linux] Runtime exec policy blocked exec=\"/bin/true\" "
                                "argv=[\"true\", \"push\"] matched=\"true push\" "
                                "source=command.deny");
    /* the global flags before the subcommand are skipped, as in preflight (§7.3) */
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", flagged, HOW_PLAIN}), EPERM);
    /* argv[0] is replaced by the program's name */
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", renamed, HOW_PLAIN}), EPERM);
    /* no argv at all */
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", none, HOW_PLAIN}), 0);
    assert_int_equal(execsup_denied(h.es), 3u);
    assert_int_equal(execsup_checked(h.es), 5u);
    harness_done(&h);
}

static void test_aliases(void **state) {
    static const char *const push[] = {"x", "push", NULL};
    static const char *const ok[] = {"x", "status", NULL};
    fixture *f = *state;
    char alias[PATH_MAX], chain[PATH_MAX], rel[PATH_MAX];
    harness h;

    snprintf(alias, sizeof(alias), "%s/alias", f->dir);
    snprintf(chain, sizeof(chain), "%s/chain", f->dir);
    assert_int_equal(symlink("/bin/true", alias), 0);
    assert_int_equal(symlink("alias", chain), 0); /* relative, two hops */
    harness_init(&h, f, deny_true_push, false);
    assert_int_equal(run_case(h.es, &(exec_case){alias, push, HOW_PLAIN}), EPERM);
    assert_non_null(strstr(f->log, "exec=\""));
    assert_non_null(strstr(f->log, "/alias\" argv=[\"x\", \"push\"] matched=\"true push\""));
    assert_int_equal(run_case(h.es, &(exec_case){chain, push, HOW_PLAIN}), EPERM);
    assert_int_equal(run_case(h.es, &(exec_case){alias, ok, HOW_PLAIN}), 0);
    /* relative to the tracee's cwd (the test runs in some directory; use a ../ walk from it) */
    assert_true(getcwd(rel, sizeof(rel)) != NULL);
    {
        char up[PATH_MAX * 2] = "";
        for (const char *p = rel; *p; p++)
            if (*p == '/' && p[1])
                strcat(up, "../");
        strcat(up, alias + 1);
        assert_int_equal(run_case(h.es, &(exec_case){up, push, HOW_PLAIN}), EPERM);
    }
    /* the program reached through its open fd */
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_FEXEC}), EPERM);
    assert_non_null(strstr(f->log, "exec=\"/dev/fd/"));
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", ok, HOW_FEXEC}), 0);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_PROCFD}), EPERM);
    assert_int_equal(run_case(h.es, &(exec_case){alias, push, HOW_DEVFD}), EPERM);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", ok, HOW_DEVFD}), 0);
    harness_done(&h);
}

static void test_scripts(void **state) {
    static const char *const argv0[] = {"script", NULL};
    fixture *f = *state;
    char direct[PATH_MAX], nested[PATH_MAX], fine[PATH_MAX], text[PATH_MAX + 8];
    char want[3 * PATH_MAX];
    harness h;

    make_script(f, "direct", "#!/bin/true push\n", direct);
    snprintf(text, sizeof(text), "#!%s\n", direct);
    make_script(f, "nested", text, nested);
    make_script(f, "fine", "#! /bin/true  status\nexit 3\n", fine);
    harness_init(&h, f, deny_true_push, false);
    /* the kernel runs `/bin/true push <script>` without another execve */
    assert_int_equal(run_case(h.es, &(exec_case){direct, argv0, HOW_PLAIN}), EPERM);
    snprintf(want, sizeof(want),
             "[fence:linux] Runtime exec policy blocked exec=\"/bin/true\" argv=[\"/bin/true\", "
             "\"push\", \"%s\"] matched=\"true push\" source=command.deny",
             direct);
    assert_string_equal(f->log, want);
    /* two levels: nested -> direct -> /bin/true push direct nested */
    assert_int_equal(run_case(h.es, &(exec_case){nested, argv0, HOW_PLAIN}), EPERM);
    snprintf(want, sizeof(want), "argv=[\"/bin/true\", \"push\", \"%s\", \"%s\"]", direct, nested);
    assert_non_null(strstr(f->log, want));
    assert_int_equal(run_case(h.es, &(exec_case){fine, argv0, HOW_PLAIN}), 0);
    harness_done(&h);
}

static void test_multithreaded(void **state) {
    static const char *const argv[] = {"true", NULL};
    fixture *f = *state;
    harness h;

    harness_init(&h, f, deny_true_push, false);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", argv, HOW_THREADED}), EPERM);
    assert_string_equal(f->log, "[fence:linux] Runtime exec policy blocked exec=\"/bin/true\" "
                                "argv=[\"true\"]: multithreaded exec cannot be safely continued "
                                "in argv mode");
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", argv, HOW_PLAIN}), 0);
    harness_done(&h);
    /* a policy that can deny nothing has nothing to guard */
    harness_init(&h, f, NULL, false);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", argv, HOW_THREADED}), 0);
    harness_done(&h);
}

static void test_bootstrap(void **state) {
    static const char *const push[] = {"true", "push", NULL};
    fixture *f = *state;
    harness h;

    /* the first exec (the sandbox's shell) is fence's own */
    harness_init(&h, f, deny_true_push, true);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_PLAIN}), 0);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_PLAIN}), EPERM);
    harness_done(&h);
    /* without the bootstrap allowance the first one is checked like the others */
    harness_init(&h, f, deny_true_push, false);
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_PLAIN}), EPERM);
    harness_done(&h);
}

static void test_limits(void **state) {
    static const char *big[EXECSUP_MAX_ARGS + 8];
    static char long_arg[EXECSUP_MAX_STRING + 16];
    static const char *const with_long[] = {"true", long_arg, NULL};
    static const char *const push[] = {"true", "push", NULL};
    fixture *f = *state;
    harness h;

    big[0] = "true";
    for (size_t i = 1; i < ARRAY_SIZE(big) - 1; i++)
        big[i] = "push";
    memset(long_arg, 'x', sizeof(long_arg) - 1);
    harness_init(&h, f, deny_true_push, false);
    /* too many arguments for a program a rule names: cannot be checked, refused */
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", big, HOW_PLAIN}), EPERM);
    assert_non_null(strstr(f->log, "unable to inspect execve: read argv: more than 256"));
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", with_long, HOW_PLAIN}), EPERM);
    /* ... and allowed for one no rule names: its arguments cannot matter */
    big[0] = "echo";
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/echo", big, HOW_PLAIN}), 0);
    /* an unreadable path is an inspection failure */
    assert_int_equal(run_case(h.es, &(exec_case){"/bin/true", push, HOW_BADPTR}), EPERM);
    assert_non_null(strstr(f->log, "unable to inspect execve: read exec path: Bad address"));
    harness_done(&h);
}

static void test_dispatch_without_server(void **state) {
    static const char *const argv[] = {"true", NULL};

    (void) state;
    /* an exec nobody serves is refused (fail closed) */
    assert_int_equal(run_case(NULL, &(exec_case){"/bin/true", argv, HOW_PLAIN}), EPERM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_shebang),
            cmocka_unit_test(test_parse_shebang_truncated),
            cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
            cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
            cmocka_unit_test_setup_teardown(test_scripts, setup, teardown),
            cmocka_unit_test_setup_teardown(test_multithreaded, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
            cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
            cmocka_unit_test(test_dispatch_without_server),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
