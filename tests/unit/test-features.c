/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/enforce/linux/features: the user-namespace decision from the sysctls
 * (Debian's switch, Ubuntu's AppArmor restriction, the global limit), the --linux-features
 * table as golden text, and the live probes checked against the kernel's own answers.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "enforce/linux/features.h"
#include "enforce/linux/landlock.h"
#include "util/cleanup.h"

static void test_features_userns_decide(void **state) {
    static const struct {
        features_userns_facts in;
        features_state want;
        const char *needle; /* in the detail */
    } cases[] = {
            /* plain modern kernel */
            {{15000, -1, -1, false, false}, FEATURES_UNKNOWN, NULL},
            /* global switch off: even root cannot */
            {{0, -1, -1, true, false}, FEATURES_NO, "user.max_user_namespaces=0"},
            /* Debian < 11 */
            {{15000, 0, -1, false, false}, FEATURES_NO, "kernel.unprivileged_userns_clone=0"},
            {{15000, 0, -1, true, false}, FEATURES_UNKNOWN, NULL},
            {{15000, 1, -1, false, false}, FEATURES_UNKNOWN, NULL},
            /* Ubuntu 24.04 */
            {{15000, 1, 1, false, false},
             FEATURES_NO,
             "kernel.apparmor_restrict_unprivileged_userns=1"},
            {{15000, 1, 1, false, true}, FEATURES_UNKNOWN, NULL}, /* under a profile */
            {{15000, 1, 1, true, false}, FEATURES_UNKNOWN, NULL}, /* root */
            {{15000, 1, 0, false, false}, FEATURES_UNKNOWN, NULL},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        linux_features f;

        memset(&f, 0, sizeof(f));
        features_userns_decide(&cases[i].in, &f);
        assert_int_equal(f.userns, cases[i].want);
        if (cases[i].needle) {
            assert_non_null(strstr(f.userns_detail, cases[i].needle));
            assert_non_null(strstr(f.userns_detail, "fix: "));
            assert_ptr_equal(features_userns_problem(&f), f.userns_detail);
        } else {
            assert_null(features_userns_problem(&f));
        }
    }
}

static void test_features_table_all_ok(void **state) {
    linux_features f = {
            .kernel_major = 6,
            .kernel_minor = 18,
            .machine = "x86_64",
            .userns = FEATURES_YES,
            .userns_detail = "available unprivileged",
            .netns = FEATURES_YES,
            .netns_detail = "loopback comes up in a new netns",
            .landlock_abi = 7,
            .seccomp = true,
            .seccomp_log = true,
            .seccomp_notify = true,
            .ebpf = true,
            .ebpf_root = true,
    };
    _cleanup_free_ char *text = NULL;

    (void) state;
    assert_int_equal(features_table(&f, &text, NULL), 0);
    assert_string_equal(
            text, "Linux Sandbox Features:\n"
                  "\n"
                  "  Capability                 Required For                                    "
                  "Status  Details\n"
                  "  -------------------------  ----------------------------------------------  "
                  "------  -------\n"
                  "  Kernel                     Linux sandbox baseline                          "
                  "info    6.18 (linux/x86_64)\n"
                  "  User namespaces            sandbox engine (required)                       "
                  "ok      available unprivileged\n"
                  "  Network namespace          direct network isolation                        "
                  "ok      loopback comes up in a new netns\n"
                  "  Landlock                   filesystem enforcement (required)               "
                  "ok      ABI v7\n"
                  "  Seccomp filter             syscall hardening (required)                    "
                  "ok      native-arch filter with argument checks\n"
                  "  Seccomp log action         violation diagnostics                           "
                  "ok      SECCOMP_RET_LOG accepted\n"
                  "  Seccomp user notification  runtimeExecPolicy: \"argv\", new protected files  "
                  "ok      SECCOMP_RET_USER_NOTIF accepted\n"
                  "  eBPF monitor               enhanced monitor mode                           "
                  "ok      available as root\n"
                  "\n"
                  "fence builds the sandbox itself: bubblewrap and socat are not needed.\n");
}

static void test_features_table_degraded(void **state) {
    linux_features f = {
            .kernel_major = 5,
            .kernel_minor = 4,
            .machine = "aarch64",
            .userns = FEATURES_NO,
            .netns = FEATURES_NO,
            .netns_detail = "needs user namespaces",
            .landlock_errno = ENOSYS,
            .seccomp_errno = ENOSYS,
            .wsl = true,
    };
    features_userns_facts facts = {15000, 1, 1, false, false};
    _cleanup_free_ char *text = NULL;

    (void) state;
    features_userns_decide(&facts, &f);
    assert_int_equal(features_table(&f, &text, NULL), 0);
    /* every missing piece says so, with its reason; the WSL row appears */
    assert_non_null(strstr(text, "  Kernel  "));
    assert_non_null(strstr(text, "5.4 (linux/aarch64)\n"));
    assert_non_null(strstr(text, "unavailable  unprivileged user namespaces are restricted by "
                                 "AppArmor (kernel.apparmor_restrict_unprivileged_userns=1)"));
    assert_non_null(strstr(text, "unavailable  kernel support or permissions unavailable\n"));
    assert_non_null(strstr(text, "unavailable  seccomp(): Function not implemented\n"));
    assert_non_null(strstr(text, "unavailable  needs root or CAP_BPF\n"));
    assert_non_null(strstr(text, "  WSL interop  "));
    assert_non_null(strstr(text, "detected     WSLInterop registered; AF_VSOCK is refused"));
    assert_null(strstr(text, "ubblewrap  ")); /* no bwrap row, only the closing sentence */
}

static void test_features_probe_matches_kernel(void **state) {
    struct utsname u;
    linux_features f;
    unsigned maj = 0, min = 0;
    int abi = landlock_abi();

    (void) state;
    features_probe(0, &f);
    assert_int_equal(uname(&u), 0);
    assert_int_equal(sscanf(u.release, "%u.%u", &maj, &min), 2);
    assert_int_equal(f.kernel_major, maj);
    assert_int_equal(f.kernel_minor, min);
    assert_string_equal(f.machine, u.machine);
    assert_int_equal(f.landlock_abi, abi > 0 ? abi : 0);
    assert_int_equal(f.ebpf_root, geteuid() == 0);
    /* without the namespace probe, nothing is claimed to work */
    assert_int_not_equal(f.userns, FEATURES_YES);
    assert_int_equal(f.netns, FEATURES_UNKNOWN);
    /* the user-notification action implies filters */
    if (f.seccomp_notify)
        assert_true(f.seccomp);
}

static void test_features_probe_namespaces(void **state) {
    linux_features f;

    (void) state;
    features_probe(FEATURES_PROBE_NAMESPACES, &f);
    assert_int_not_equal(f.userns, FEATURES_UNKNOWN);
    assert_int_not_equal(f.netns, FEATURES_UNKNOWN);
    assert_true(f.userns_detail[0] != '\0');
    if (f.userns == FEATURES_YES)
        assert_int_equal(f.netns, FEATURES_YES);
    else
        assert_non_null(features_userns_problem(&f));
}

/* The probe child must not depend on the caller's SIGCHLD disposition: with SIGCHLD ignored the
 * kernel would reap a SIGCHLD child before its status is read. */
static void test_features_probe_with_sigchld_ignored(void **state) {
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    linux_features a, b;

    (void) state;
    features_probe(FEATURES_PROBE_NAMESPACES, &a);
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    features_probe(FEATURES_PROBE_NAMESPACES, &b);
    assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
    assert_int_equal(a.userns, b.userns);
    assert_int_equal(a.netns, b.netns);
    assert_string_equal(a.netns_detail, b.netns_detail);
}

static void test_features_public_table(void **state) {
    char *text = NULL;
    fence_error err = {0};

    (void) state;
    assert_int_equal(fence_linux_features(&text, &err), 0);
    assert_non_null(text);
    assert_true(strncmp(text, "Linux Sandbox Features:\n\n  Capability  ", 39) == 0);
    assert_non_null(strstr(text, "\n  Landlock  "));
    assert_int_equal(fence_linux_features(NULL, &err), -FENCE_E_INVAL);
    fence_free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_features_userns_decide),
            cmocka_unit_test(test_features_table_all_ok),
            cmocka_unit_test(test_features_table_degraded),
            cmocka_unit_test(test_features_probe_matches_kernel),
            cmocka_unit_test(test_features_probe_namespaces),
            cmocka_unit_test(test_features_probe_with_sigchld_ignored),
            cmocka_unit_test(test_features_public_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
