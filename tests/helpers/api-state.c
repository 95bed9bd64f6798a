/* SPDX-License-Identifier: MIT */
/*
 * api-state: checks that libfence leaves process-wide state alone while it runs a sandbox for
 * its caller (test_sandbox_broker.py). fence's CLI cannot show this: it is about what a
 * program linking libfence sees. This is the only thing in the tests that drives the public API
 * directly; every sandbox otherwise starts through the `fence` binary.
 *
 *   api-state WORKDIR COMMAND
 *
 * Sets its umask to 077, runs COMMAND with `filesystem.allowWrite: ["."]` in WORKDIR (given
 * with fence_manager_set_workdir(), the process staying in its own directory) so that the
 * protected-names broker serves the command's file creations, while a second thread keeps
 * reading the process's umask from /proc/self/status. Prints "umask-changed N" (how often
 * another value was seen), "cwd-changed 0|1" and "status N", and exits 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fence/fence.h"

static atomic_int stop;
static atomic_long changed;

static unsigned read_umask(void) {
    char buf[512];
    FILE *f = fopen("/proc/self/status", "re");
    unsigned u = 0777;

    if (!f)
        return u;
    while (fgets(buf, sizeof(buf), f))
        if (sscanf(buf, "Umask: %o", &u) == 1)
            break;
    fclose(f);
    return u;
}

static void *watch(void *arg) {
    (void) arg;
    while (!atomic_load(&stop))
        if (read_umask() != 077)
            atomic_fetch_add(&changed, 1);
    return NULL;
}

int main(int argc, char **argv) {
    char before[4096], after[4096];
    fence_config *cfg;
    fence_manager *m = NULL;
    fence_error err = {0};
    pthread_t t;
    int status = -1;

    if (argc != 3) {
        fprintf(stderr, "usage: api-state WORKDIR COMMAND\n");
        return 2;
    }
    umask(077);
    if (!getcwd(before, sizeof(before)))
        return 2;
    cfg = fence_config_new();
    if (!cfg || fence_config_list_append_string(cfg, FENCE_CFG_FILESYSTEM_ALLOW_WRITE, ".") < 0 ||
        fence_manager_new(cfg, &m, &err) < 0 || fence_manager_set_workdir(m, argv[1], &err) < 0) {
        fprintf(stderr, "Error: %s\n", err.msg);
        return 1;
    }
    if (pthread_create(&t, NULL, watch, NULL) != 0)
        return 2;
    if (fence_manager_run(m, argv[2], &status, &err) < 0)
        fprintf(stderr, "Error: %s\n", err.msg);
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    if (!getcwd(after, sizeof(after)))
        return 2;
    printf("umask-changed %ld\ncwd-changed %d\nstatus %d\n", atomic_load(&changed),
           strcmp(before, after) != 0, status);
    fence_manager_free(m);
    fence_config_free(cfg);
    return 0;
}
