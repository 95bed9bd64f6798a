/* SPDX-License-Identifier: MIT */
/*
 * fbuf: a growing byte buffer with a hard maximum size (STYLE.md §4). Every buffer that holds
 * input from disk, the network or the sandbox is an fbuf created with a named limit, so that a
 * hostile peer cannot make fence allocate without bound. The contents are always followed by a
 * NUL byte (not counted in len), so text can be used as a C string directly.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

typedef struct fbuf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* hard limit on len; appends past it fail with -ENOBUFS */
} fbuf;

#define FBUF_INIT(limit) ((fbuf){.data = NULL, .len = 0, .cap = 0, .max = (limit)})

/* Returns 0, -ENOMEM, or -ENOBUFS when the result would exceed b->max. */
int fbuf_append(fbuf *b, const void *p, size_t n);
int fbuf_puts(fbuf *b, const char *s);
int fbuf_putc(fbuf *b, char c);
int fbuf_printf(fbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fbuf_vprintf(fbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Makes sure at least n more bytes fit without reallocation (still bounded by max). */
int fbuf_reserve(fbuf *b, size_t n);

/* Returns the NUL-terminated contents (an empty string when nothing was appended) and resets
 * the buffer; the caller frees the result. NULL only on allocation failure. */
char *fbuf_steal(fbuf *b);

/* Frees the contents; the buffer can be reused afterwards with the same limit. */
void fbuf_done(fbuf *b);
