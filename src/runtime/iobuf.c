/* SPDX-License-Identifier: MIT */
/* iobuf: bounded byte queue; see iobuf.h. */
#include "runtime/iobuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define IOBUF_MIN 4096

size_t iobuf_room(const iobuf *b) {
    return b->len >= b->max ? 0 : b->max - b->len;
}

int membudget_charge(membudget *b, size_t n, const void *owner) {
    if (!b || n == 0)
        return 0;
    if (b->used > b->max || n > b->max - b->used) {
        if (b->reclaim)
            (void) b->reclaim(b->userdata, b->used + n - b->max, owner);
        if (b->used > b->max || n > b->max - b->used) {
            b->denied++;
            return -ENOMEM;
        }
    }
    membudget_force(b, n);
    return 0;
}

void membudget_force(membudget *b, size_t n) {
    if (!b)
        return;
    b->used += n;
    if (b->used > b->peak)
        b->peak = b->used;
}

void membudget_uncharge(membudget *b, size_t n) {
    if (b)
        b->used = n > b->used ? 0 : b->used - n;
}

/* Makes room for n more bytes at the tail: compacts first, then grows by doubling (from
 * IOBUF_MIN) up to max, charging the growth to the budget before allocating it. */
static int reserve(iobuf *b, size_t n) {
    size_t need, cap;
    char *p;

    if (n > iobuf_room(b))
        return -ENOBUFS;
    if (b->off + b->len + n <= b->cap)
        return 0;
    if (b->off > 0) {
        memmove(b->data, b->data + b->off, b->len);
        b->off = 0;
        if (b->len + n <= b->cap)
            return 0;
    }
    need = b->len + n;
    cap = b->cap ? b->cap : IOBUF_MIN;
    while (cap < need)
        cap = cap > b->max / 2 ? b->max : cap * 2;
    if (cap > b->max)
        cap = b->max;
    if (membudget_charge(b->budget, cap - b->cap, b->owner) < 0)
        return -ENOMEM;
    p = realloc(b->data, cap);
    if (!p) {
        membudget_uncharge(b->budget, cap - b->cap);
        return -ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int iobuf_append(iobuf *b, const void *p, size_t n) {
    int r;

    if (n == 0)
        return 0;
    r = reserve(b, n);
    if (r < 0)
        return r;
    memcpy(b->data + b->off + b->len, p, n);
    b->len += n;
    return 0;
}

int iobuf_printf(iobuf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= sizeof(tmp))
        return -ENOBUFS;
    return iobuf_append(b, tmp, (size_t) n);
}

void iobuf_consume(iobuf *b, size_t n) {
    if (n >= b->len) {
        b->off = b->len = 0;
        return;
    }
    b->off += n;
    b->len -= n;
}

ssize_t iobuf_read(iobuf *b, int fd, bool *ret_full) {
    size_t want = iobuf_room(b);
    ssize_t n;
    int r;

    if (want == 0)
        return -ENOBUFS;
    /* read into what is allocated; grow (doubling) only when that is full */
    if (b->cap > b->off + b->len) {
        if (b->cap - b->off - b->len < want)
            want = b->cap - b->off - b->len;
    } else if (want > (b->cap ? b->cap : IOBUF_MIN)) {
        want = b->cap ? b->cap : IOBUF_MIN;
    }
    r = reserve(b, want);
    if (r < 0)
        return r;
    n = recv(fd, b->data + b->off + b->len, want, MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    b->len += (size_t) n;
    if (ret_full)
        *ret_full = (size_t) n == want;
    return n;
}

ssize_t iobuf_write(iobuf *b, int fd) {
    ssize_t n;

    if (b->len == 0)
        return 0;
    n = send(fd, b->data + b->off, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    iobuf_consume(b, (size_t) n);
    return n;
}

ssize_t iobuf_move(iobuf *dst, iobuf *src, size_t n) {
    int r;

    if (n > src->len)
        n = src->len;
    if (n > iobuf_room(dst))
        n = iobuf_room(dst);
    if (n == 0)
        return 0;
    r = iobuf_append(dst, iobuf_head(src), n);
    if (r < 0)
        return r;
    iobuf_consume(src, n);
    return (ssize_t) n;
}

void iobuf_free(iobuf *b) {
    membudget_uncharge(b->budget, b->cap);
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}

void iobuf_trim(iobuf *b) {
    if (b->len == 0 && b->data)
        iobuf_free(b);
}
