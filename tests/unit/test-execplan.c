/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/runtime/execplan: path mode yields the exec masks (and no masks in argv mode),
 * argv mode is refused with the spec's message when the host cannot notify, and the -d line.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "runtime/execplan.h"
#include "util/cleanup.h"

static void test_require_notify(void **state) {
    linux_features f;
    fence_error err = {0};

    (void) state;
    memset(&f, 0, sizeof(f));
    f.seccomp = f.seccomp_notify = true;
    assert_int_equal(execplan_require_notify(&f, &err), 0);

    f.seccomp = f.seccomp_notify = false;
    f.seccomp_errno = ENOSYS;
    assert_int_equal(execplan_require_notify(&f, &err), -FENCE_E_UNSUPPORTED);
    assert_string_equal(err.msg, "command.runtimeExecPolicy=\"argv\" requires Linux seccomp user "
                                 "notification support: seccomp filters are unavailable on this "
                                 "kernel (Function not implemented)");

    memset(&err, 0, sizeof(err));
    f.seccomp = true;
    f.kernel_major = 4;
    f.kernel_minor = 19;
    assert_int_equal(execplan_require_notify(&f, &err), -FENCE_E_UNSUPPORTED);
    assert_string_equal(err.msg, "command.runtimeExecPolicy=\"argv\" requires Linux seccomp user "
                                 "notification support: the kernel does not accept "
                                 "SECCOMP_RET_USER_NOTIF (Linux 4.19; needs 5.0 or later)");
}

static void test_modes(void **state) {
    char dir[] = "/tmp/test-execplan-XXXXXX", prog[PATH_MAX], real[PATH_MAX];
    fence_config *cfg = fence_config_new();
    execdeny_facts facts = {.path_env = dir};
    fbuf out = FBUF_INIT(4096);
    execplan p;
    linux_features f;
    int fd, r;

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(prog, sizeof(prog), "%s/fenceprobe-tool", dir);
    fd = open(prog, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    close(fd);
    assert_non_null(realpath(prog, real));
    assert_int_equal(
            fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, "fenceprobe-tool"), 0);
    assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, 0), 0);

    /* path (the default): the program is masked */
    assert_int_equal(execplan_build(cfg, &facts, &p, NULL), 0);
    assert_false(p.argv_mode);
    assert_int_equal(p.masks.n, 1);
    assert_string_equal(p.masks.v[0], real);
    assert_int_equal(execplan_describe(&p, &out), 0);
    assert_string_equal(out.data, "runtime exec policy: path (1 program covered with /dev/null; "
                                  "multi-token rules are checked before the run only)\n");
    execplan_done(&p);
    fbuf_done(&out);

    /* argv: nothing masked; refused only where the kernel cannot notify */
    assert_int_equal(fence_config_set_string(cfg, FENCE_CFG_COMMAND_RUNTIME_EXEC_POLICY, "argv"),
                     0);
    features_probe(0, &f);
    r = execplan_build(cfg, &facts, &p, NULL);
    assert_int_equal(r, f.seccomp && f.seccomp_notify ? 0 : -FENCE_E_UNSUPPORTED);
    assert_true(p.argv_mode);
    assert_int_equal(p.masks.n, 0);
    assert_int_equal(execplan_describe(&p, &out), 0);
    assert_non_null(strstr(out.data, "runtime exec policy: argv"));
    execplan_done(&p);
    fbuf_done(&out);

    fence_config_free(cfg);
    unlink(prog);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_require_notify),
            cmocka_unit_test(test_modes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
