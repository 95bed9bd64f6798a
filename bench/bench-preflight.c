/* SPDX-License-Identifier: MIT */
/*
 * Preflight cost: checking a 10-segment command chain under the built-in `code` template's
 * command policy (its 35 deny rules plus the 29 defaults), as fence does before every run. Prints
 * the median, 90th percentile and minimum of many single checks, for the whole public call (compile
 * the policy, parse, match), for parse + match with an already compiled policy, and for the
 * allocation-free exec-time decision of argv mode.
 *   bench-preflight [ITERATIONS]      (default 20000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "policy/check.h"
#include "policy/cmdpol.h"

/* Ten simple commands, the kind an agent sends: chains, a pipe, quoting, redirections. */
static const char chain[] =
        "cd /work/repo && git status --short && npm ci --no-audit && npm run build -- --prod && "
        "npm test 2>&1 | tee test.log; git add -A && git commit -m \"build: update bundle\" && "
        "ls -la dist || echo 'no output' >&2";

static double now_us(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *t, size_t n) {
    qsort(t, n, sizeof(*t), cmp_double);
    printf("  %-48s median %8.2f us   p90 %8.2f us   min %8.2f us\n", what, t[n / 2], t[n * 9 / 10],
           t[0]);
}

int main(int argc, char **argv) {
    size_t iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000, warmup;
    double *t = calloc(iterations ? iterations : 1, sizeof(double));
    fence_config *cfg = NULL;
    const char *exec_argv[] = {"git", "push", "origin", "main"};
    cmdparse *parsed = NULL;
    cmdpol *pol = NULL;
    fence_error err = {0};
    volatile int sink = 0;

    if (!t || iterations < 10) {
        fprintf(stderr, "bench-preflight: ITERATIONS must be at least 10\n");
        return 2;
    }
    warmup = iterations / 10;
    if (fence_config_load_template("code", &cfg, &err) < 0) {
        fprintf(stderr, "bench-preflight: %s\n", err.msg);
        return 1;
    }
    if (cmdpol_new(cfg, &pol) < 0 || cmdparse_string(chain, strlen(chain), &parsed) < 0)
        return 1;
    if (fence_check_command(cfg, chain, &err) != 0) {
        fprintf(stderr, "bench-preflight: the chain should pass: %s\n", err.msg);
        return 1;
    }
    printf("preflight: %zu-segment chain, code template (%zu deny + %zu default rules), "
           "%zu runs\n",
           cmdparse_count(parsed), pol->n_rules[CMDPOL_DENY], pol->n_rules[CMDPOL_DEFAULT],
           iterations);
    cmdparse_free(parsed);

    for (size_t i = 0; i < warmup + iterations; i++) {
        double a = now_us();
        sink += fence_check_command(cfg, chain, NULL);
        if (i >= warmup)
            t[i - warmup] = now_us() - a;
    }
    report("fence_check_command (compile, parse, match)", t, iterations);

    for (size_t i = 0; i < warmup + iterations; i++) {
        double a = now_us();
        sink += check_command(pol, chain, NULL);
        if (i >= warmup)
            t[i - warmup] = now_us() - a;
    }
    report("check_command (parse, match; compiled policy)", t, iterations);

    for (size_t i = 0; i < warmup + iterations; i++) {
        double a = now_us();
        sink += (int) cmdpol_decide_exec(pol, "/usr/bin/git", NULL, exec_argv, 4).result;
        if (i >= warmup)
            t[i - warmup] = now_us() - a;
    }
    report("cmdpol_decide_exec (argv mode, one exec)", t, iterations);

    cmdpol_free(pol);
    fence_config_free(cfg);
    free(t);
    return sink == -1;
}
