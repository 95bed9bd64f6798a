/* SPDX-License-Identifier: MIT */
/* rlog: diagnostic lines to the manager's callback; see rlog.h. */
#include "runtime/rlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void rlog_line(const rlog *l, const char *fmt, ...) {
    char line[2048];
    va_list ap;

    if (!l || !l->fn)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    l->fn(l->userdata, line);
}

void rlog_timestamp(char buf[static 9]) {
    time_t t = time(NULL);
    struct tm tm;

    if (!localtime_r(&t, &tm)) {
        snprintf(buf, 9, "00:00:00");
        return;
    }
    strftime(buf, 9, "%H:%M:%S", &tm);
}
