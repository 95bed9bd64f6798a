/* SPDX-License-Identifier: MIT */
/*
 * Config benchmark: the CPU cost of resolving a 10-deep extends chain of files ending in the
 * `code` template (fence_config_load_resolved: read, parse, validate and merge 11 configs),
 * compared in the same run with the cost of starting the fence process (`fence --version`).
 *
 *   bench-config FENCE_BINARY [ROUNDS]
 *
 * Resolve cost: CLOCK_PROCESS_CPUTIME_ID over batches of resolves, median per resolve over the
 * rounds. Process start: posix_spawn + waitpid of `fence --version` (stdout to /dev/null), wall
 * time and the child's CPU time (getrusage(RUSAGE_CHILDREN) deltas), medians over the runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fence/fence.h"

#define CHAIN_FILES 10  /* f0 -> f1 -> ... -> f9 -> code: ten extends hops */
#define BATCH       100 /* resolves per timed batch */

extern char **environ;

static double now_ns(clockid_t clk) {
    struct timespec ts;

    clock_gettime(clk, &ts);
    return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double rusage_children_ns(void) {
    struct rusage ru;

    getrusage(RUSAGE_CHILDREN, &ru);
    return ((double) ru.ru_utime.tv_sec + (double) ru.ru_stime.tv_sec) * 1e9 +
           ((double) ru.ru_utime.tv_usec + (double) ru.ru_stime.tv_usec) * 1e3;
}

static int write_chain(const char *dir) {
    for (int i = 0; i < CHAIN_FILES; i++) {
        char path[PATH_MAX + 32];
        FILE *f;

        snprintf(path, sizeof(path), "%s/f%d.json", dir, i);
        f = fopen(path, "w");
        if (!f)
            return -1;
        /* each file adds a little of its own, like a real layered config */
        if (i + 1 < CHAIN_FILES)
            fprintf(f, "// layer %d\n{\n  \"extends\": \"./f%d.json\",\n", i, i + 1);
        else
            fprintf(f, "{\n  \"extends\": \"code\",\n");
        fprintf(f,
                "  \"network\": {\"allowedDomains\": [\"layer%d.example.com\", "
                "\"*.l%d.example.org\"]},\n"
                "  \"filesystem\": {\"allowWrite\": [\"~/.cache/layer%d\"], \"denyRead\": "
                "[\"~/.secret%d\"]},\n"
                "  \"command\": {\"deny\": [\"tool%d publish\"]}\n}\n",
                i, i, i, i, i);
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *fence = argc > 1 ? argv[1] : "fence";
    int rounds = argc > 2 ? atoi(argv[2]) : 41;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[PATH_MAX], first[PATH_MAX + 16];
    double *resolve = calloc((size_t) rounds, sizeof(double));
    int runs = rounds * 10;
    double *wall = calloc((size_t) runs, sizeof(double)),
           *cpu = calloc((size_t) runs, sizeof(double));
    char *spawn_argv[] = {(char *) fence, (char *) "--version", NULL};
    posix_spawn_file_actions_t fa;
    fence_error err = {0};

    if (!resolve || !wall || !cpu || rounds < 1)
        return 1;
    snprintf(dir, sizeof(dir), "%s/fence-bench-config-XXXXXX", tmp);
    if (!mkdtemp(dir) || write_chain(dir) < 0) {
        perror("bench-config: temp dir");
        return 1;
    }
    snprintf(first, sizeof(first), "%s/f0.json", dir);

    /* resolve: a warm-up batch, then timed batches */
    for (int r = -1; r < rounds; r++) {
        double t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);

        for (int k = 0; k < BATCH; k++) {
            fence_config *cfg = NULL;

            if (fence_config_load_resolved(first, &cfg, &err) != 1) {
                fprintf(stderr, "bench-config: resolve failed: %s\n", err.msg);
                return 1;
            }
            fence_config_free(cfg);
        }
        if (r >= 0)
            resolve[r] = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0) / BATCH;
    }

    /* process start */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    for (int i = -5; i < runs; i++) {
        double w0 = now_ns(CLOCK_MONOTONIC), c0 = rusage_children_ns();
        pid_t pid;
        int status;

        if (posix_spawn(&pid, fence, &fa, NULL, spawn_argv, environ) != 0) {
            fprintf(stderr, "bench-config: cannot run %s\n", fence);
            return 1;
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench-config: %s --version failed\n", fence);
            return 1;
        }
        if (i >= 0) {
            wall[i] = now_ns(CLOCK_MONOTONIC) - w0;
            cpu[i] = rusage_children_ns() - c0;
        }
    }
    posix_spawn_file_actions_destroy(&fa);

    {
        double res = median(resolve, (size_t) rounds), w = median(wall, (size_t) runs);
        double c = median(cpu, (size_t) runs);

        printf("config: resolve a %d-deep extends chain of files ending in `code`\n", CHAIN_FILES);
        printf("  baseline  fence --version            wall %8.1f us   cpu %8.1f us   (median of "
               "%d runs)\n",
               w / 1e3, c / 1e3, runs);
        printf("  measured  fence_config_load_resolved cpu  %8.1f us                  (median of "
               "%d x %d)\n",
               res / 1e3, rounds, BATCH);
        printf("  ratio     resolve cpu / process start wall %.2fx, / process start cpu %.2fx\n",
               res / w, c > 0 ? res / c : 0.0);
    }
    for (int i = 0; i < CHAIN_FILES; i++) {
        char path[PATH_MAX + 32];

        snprintf(path, sizeof(path), "%s/f%d.json", dir, i);
        unlink(path);
    }
    rmdir(dir);
    free(resolve);
    free(wall);
    free(cpu);
    return 0;
}
