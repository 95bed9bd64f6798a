/* SPDX-License-Identifier: MIT */
/* fence: the command-line client of libfence. (Skeleton; the CLI issue fills it in.) */
#include <stdio.h>
#include <string.h>

#include "fence/fence.h"

int main(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
        printf("fence - lightweight, container-free sandbox for running untrusted commands\n");
        printf("  Version: %s\n", fence_version());
        return 0;
    }
    fprintf(stderr, "Error: this build cannot run commands yet\n");
    return 1;
}
