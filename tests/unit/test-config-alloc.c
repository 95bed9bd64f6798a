/* SPDX-License-Identifier: MIT */
/*
 * Fail-the-Nth-allocation test of the config loader (STYLE.md §10): for every N, the Nth
 * allocation made while resolving a chain (file -> file -> @base -> template -> template), writing
 * it as JSON and producing the chain text fails; each run must end in -FENCE_E_NOMEM (or success
 * once N passes the total) and leave no allocation behind.
 *
 * The executable replaces malloc/calloc/realloc/free with wrappers around glibc's __libc_*
 * functions (glibc routes its own internal allocations, e.g. strdup and realpath, through the
 * replacement). AddressSanitizer owns malloc itself, so the test is skipped in ASan builds.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/cleanup.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifndef HAVE_ASAN
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static int armed;      /* count and fail only while the code under test runs */
static long countdown; /* allocations left before the one that fails; <0 = never fail */
static long live;      /* allocations made minus frees, while armed */
static long total;     /* allocations attempted while armed */

static int should_fail(void) {
    if (!armed)
        return 0;
    total++;
    if (countdown < 0)
        return 0;
    return countdown-- == 0;
}

void *malloc(size_t n) {
    void *p;

    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    p = __libc_malloc(n);
    if (p && armed)
        live++;
    return p;
}

void *calloc(size_t n, size_t m) {
    void *p;

    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    p = __libc_calloc(n, m);
    if (p && armed)
        live++;
    return p;
}

void *realloc(void *old, size_t n) {
    void *p;

    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    p = __libc_realloc(old, n);
    if (armed && p && !old)
        live++;
    return p;
}

void free(void *p) {
    if (p && armed)
        live--;
    __libc_free(p);
}

static char root[PATH_MAX];

static void put(const char *rel, const char *content) {
    char path[PATH_MAX + 64];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* One full run of the code under test; returns its result code. */
static int run_once(const char *tmpl, const char *settings) {
    fence_config *cfg = NULL;
    fence_error err = {0};
    char *chain = NULL, *json = NULL;
    int r = fence_config_resolve(tmpl, settings, NULL, &cfg, &chain, &err);

    if (r == 0) {
        r = fence_config_to_json(cfg, &json, &err);
        free(json);
        free(chain);
        fence_config_free(cfg);
    }
    if (r < 0 && r != -FENCE_E_NOMEM)
        fail_msg("unexpected error %d: %s", r, err.msg);
    return r;
}

static void test_loader_nth_allocation_fails(void **state) {
    char settings[PATH_MAX + 32], dir[PATH_MAX + 32];
    long needed;

    (void) state;
    snprintf(root, sizeof(root), "/tmp/fence-test-alloc-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(dir, sizeof(dir), "%s/.config", root);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/.config/fence", root);
    mkdir(dir, 0755);
    setenv("HOME", root, 1);
    unsetenv("XDG_CONFIG_HOME");
    put("a.json",
        "// top\n{\"extends\": \"./b.json\", \"network\": {\"allowedDomains\": [\"a.com\"]}}");
    put("b.json", "{\"extends\": \"@base\", \"filesystem\": {\"allowWrite\": [\".\", \"/tmp\"]}}");
    put(".config/fence/fence.json", "{\"extends\": \"code-strict\", \"allowPty\": true}");
    snprintf(settings, sizeof(settings), "%s/a.json", root);

    /* a settings file resolving through a file, @base and two templates; then a template */
    for (int scenario = 0; scenario < 2; scenario++) {
        const char *tmpl = scenario ? "hermes" : NULL, *set = scenario ? NULL : settings;

        /* a dry run counts the allocations */
        countdown = -1;
        total = live = 0;
        armed = 1;
        assert_int_equal(run_once(tmpl, set), 0);
        armed = 0;
        needed = total;
        assert_int_equal(live, 0);
        assert_true(needed > 50);

        for (long n = 0; n <= needed; n++) {
            int r;

            countdown = n;
            live = 0;
            armed = 1;
            r = run_once(tmpl, set);
            armed = 0;
            if (n < needed && r != -FENCE_E_NOMEM)
                fail_msg("allocation %ld failing was not reported (%d)", n, r);
            if (n == needed)
                assert_int_equal(r, 0);
            if (live != 0)
                fail_msg("allocation %ld failing leaked %ld block(s)", n, live);
        }
        printf("scenario %d: checked %ld allocation failure points\n", scenario, needed);
    }
    snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
    assert_int_equal(system(dir), 0);
}
#else
static void test_loader_nth_allocation_fails(void **state) {
    (void) state;
    skip(); /* ASan replaces malloc itself */
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_loader_nth_allocation_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
