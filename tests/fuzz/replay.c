/* SPDX-License-Identifier: MIT */
/*
 * Replays a libFuzzer corpus through a target's LLVMFuzzerTestOneInput without libFuzzer, so the
 * unit suite exercises every seed (and every past finding) on each run, with sanitizers when the
 * build has them. Arguments: files or directories (read non-recursively).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
    char *buf = NULL;
    size_t len = 0;
    int r = read_full_file(path, 16u << 20, &buf, &len);

    if (r < 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *) buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int failed = 0, count = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        DIR *d;
        struct dirent *de;

        if (stat(argv[i], &st) < 0) {
            fprintf(stderr, "replay: %s: not found\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= replay_file(argv[i]);
            count++;
            continue;
        }
        d = opendir(argv[i]);
        if (!d)
            return 1;
        while ((de = readdir(d))) {
            char path[4096];

            if (de->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
            failed |= replay_file(path);
            count++;
        }
        closedir(d);
    }
    printf("replayed %d inputs\n", count);
    return failed || count == 0;
}
