/* SPDX-License-Identifier: MIT */
/*
 * rlog: where the runtime's diagnostic lines go ("[fence:http] ...", "[fence:linux] ...").
 * The library never prints: lines are handed to the manager's log callback, which the CLI points
 * at stderr or at --fence-log-file. With no callback, lines are dropped.
 */
#pragma once

#include <stdbool.h>

#include "fence/fence.h"

typedef struct rlog {
    fence_log_fn fn;
    void *userdata;
    bool debug;   /* -d: everything, including allowed traffic and filter decisions */
    bool monitor; /* -m: blocked requests and errors */
} rlog;

/* Emits one line (no trailing newline needed). */
void rlog_line(const rlog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define rlog_debug(l, ...)                                                                         \
    do {                                                                                           \
        if ((l)->debug)                                                                            \
            rlog_line((l), __VA_ARGS__);                                                           \
    } while (0)

/* Writes the local time as "HH:MM:SS" (the proxy log timestamp of spec §6.7) into buf[9]. */
void rlog_timestamp(char buf[static 9]);
