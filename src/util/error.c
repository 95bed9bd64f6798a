/* SPDX-License-Identifier: MIT */
/* fence_error helpers; see error.h. */
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fence_error_setv(fence_error *err, int code, int sys_errno, const char *fmt, va_list ap) {
    size_t n;

    if (!err || err->code != 0)
        return -code;
    err->code = code;
    err->sys_errno = sys_errno;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    n = strlen(err->msg);
    if (sys_errno != 0 && n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(sys_errno));
    /* one line: a newline smuggled in through a user-controlled string would split the message */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -code;
}

int fence_error_set(fence_error *err, int code, int sys_errno, const char *fmt, ...) {
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = fence_error_setv(err, code, sys_errno, fmt, ap);
    va_end(ap);
    return r;
}

void fence_error_prefix(fence_error *err, const char *fmt, ...) {
    char old[sizeof(err->msg)];
    size_t n;
    va_list ap;

    if (!err || err->code == 0)
        return;
    memcpy(old, err->msg, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    n = strlen(err->msg);
    if (n + 2 < sizeof(err->msg)) {
        memcpy(err->msg + n, ": ", 2);
        n += 2;
        /* keep the tail of the original message; truncate it if the prefix is long */
        memcpy(err->msg + n, old, sizeof(err->msg) - n - 1);
        err->msg[sizeof(err->msg) - 1] = '\0';
    }
}

void fence_error_clear(fence_error *err) {
    if (err)
        memset(err, 0, sizeof(*err));
}

FENCE_API void fence_free(void *p) {
    free(p);
}

