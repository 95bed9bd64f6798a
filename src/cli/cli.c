/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fence commands; see cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/path.h"

/* Longest answer line read at the overwrite prompt; the rest of a longer line is ignored. */
#define PROMPT_LINE_MAX 256

int cli_fail(const fence_error *err) {
    fflush(stdout);
    fprintf(stderr, "Error: %s\n", err->code ? err->msg : "unknown error");
    return 1;
}

int cli_failf(const char *fmt, ...) {
    va_list ap;

    fflush(stdout);
    fputs("Error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

void cli_print_lines(FILE *f, const char *prefix, const char *text) {
    while (*text) {
        size_t n = strcspn(text, "\n");

        fprintf(f, "%s%.*s\n", prefix, (int) n, text);
        text += n + (text[n] == '\n');
    }
    fflush(f);
}

/* Go trims and lower-cases the answer; only "y" and "yes" go on. */
static bool answer_is_yes(const char *line) {
    size_t len;

    while (*line == ' ' || *line == '\t')
        line++;
    len = strlen(line);
    while (len > 0 && strchr(" \t\r\n", line[len - 1]))
        len--;
    return (len == 1 && strncasecmp(line, "y", 1) == 0) ||
           (len == 3 && strncasecmp(line, "yes", 3) == 0);
}

bool cli_confirm_overwrite(const char *path) {
    char line[PROMPT_LINE_MAX] = "";
    struct stat st;

    if (stat(path, &st) < 0)
        return true;
    printf("File \"%s\" already exists. Overwrite? [y/N] ", path);
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin) || !answer_is_yes(line)) {
        printf("Aborted.\n");
        return false;
    }
    return true;
}

/* mkdir -p with mode 0750 for every missing component. */
static int make_parents(const char *path, fence_error *err) {
    _cleanup_free_ char *dir = path_dir(path);
    struct stat st;
    int r;

    if (!dir)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0
                                   : fence_error_set(err, FENCE_E_IO, ENOTDIR,
                                                     "failed to create config directory '%s'", dir);
    if (!streq(dir, "/") && !streq(dir, ".")) {
        r = make_parents(dir, err);
        if (r < 0)
            return r;
    }
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return fence_error_set(err, FENCE_E_IO, errno, "failed to create config directory '%s'",
                               dir);
    return 0;
}

static int write_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        s += w;
        n -= (size_t) w;
    }
    return 0;
}

int cli_write_config_file(const char *path, const char *header, const char *body,
                          fence_error *err) {
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    r = make_parents(path, err);
    if (r < 0)
        return r;
    if (asprintf(&tmp, "%s.fence-tmp-XXXXXX", path) < 0) {
        tmp = NULL;
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    }
    fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return fence_error_set(err, FENCE_E_IO, errno, "failed to write config '%s'", path);
    r = write_all(fd, header ? header : "", header ? strlen(header) : 0);
    if (r == 0)
        r = write_all(fd, body, strlen(body));
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return fence_error_set(err, FENCE_E_IO, -r, "failed to write config '%s'", path);
    }
    return 0;
}
