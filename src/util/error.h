/* SPDX-License-Identifier: MIT */
/*
 * Recording errors in a fence_error (STYLE.md §3). fence_error_set() keeps the first error
 * recorded, appends strerror(sys_errno) when sys_errno is non-zero, and returns -code so that
 * "record and return" is one statement.
 */
#pragma once

#include <stdarg.h>

#include "fence/fence.h"

int fence_error_set(fence_error *err, int code, int sys_errno, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int fence_error_setv(fence_error *err, int code, int sys_errno, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
/* Prefixes an already recorded message with "prefix: " (used to add context on the way up). */
void fence_error_prefix(fence_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears err (NULL is fine). */
void fence_error_clear(fence_error *err);
