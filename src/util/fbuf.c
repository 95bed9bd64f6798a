/* SPDX-License-Identifier: MIT */
/* fbuf: bounded growing buffer; see fbuf.h. */
#include "util/fbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fbuf_reserve(fbuf *b, size_t n) {
    size_t need, cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return -ENOBUFS;
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int fbuf_append(fbuf *b, const void *p, size_t n) {
    int r = fbuf_reserve(b, n);

    if (r < 0)
        return r;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int fbuf_puts(fbuf *b, const char *s) {
    return fbuf_append(b, s, strlen(s));
}

int fbuf_putc(fbuf *b, char c) {
    return fbuf_append(b, &c, 1);
}

int fbuf_vprintf(fbuf *b, const char *fmt, va_list ap) {
    va_list aq;
    int n, r;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return -EINVAL;
    r = fbuf_reserve(b, (size_t) n);
    if (r < 0)
        return r;
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    b->len += (size_t) n;
    return 0;
}

int fbuf_printf(fbuf *b, const char *fmt, ...) {
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = fbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

char *fbuf_steal(fbuf *b) {
    char *p;

    if (!b->data) {
        if (fbuf_reserve(b, 0) < 0)
            return NULL;
        b->data[0] = '\0'; /* nothing was appended: the empty string */
    }
    p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void fbuf_done(fbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
