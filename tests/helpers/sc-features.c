/* SPDX-License-Identifier: MIT */
/*
 * sc-features: prints fence_linux_features() through the public API, for
 * tests/integration/test_linux_features.py (which runs it as root and as an unprivileged user,
 * and in every build, sanitizers included, where loading libfence.so into python would not
 * work).
 */
#include <stdio.h>

#include "fence/fence.h"

int main(void) {
    fence_error err = {0};
    char *text = NULL;

    if (fence_linux_features(&text, &err) < 0) {
        fprintf(stderr, "Error: %s\n", err.msg);
        return 1;
    }
    fputs(text, stdout);
    fence_free(text);
    return 0;
}
