/* SPDX-License-Identifier: MIT */
/*
 * iobuf: a byte queue between a socket and a parser, with a hard maximum (STYLE.md §4). Bytes
 * are appended at the tail (by reads from a socket or by the code that builds a message) and
 * consumed from the head. Storage is allocated on first use and grows by doubling up to `max`,
 * so an idle connection holds no buffer memory. Storage may be charged to a membudget shared by
 * many buffers. Used by the HTTP proxy (and the budget by its tunnels).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A budget shared by many buffers (the proxy's global memory budget, and its fd pool): `used`
 * never exceeds `max` through membudget_charge(). When a charge does not fit, `reclaim` (if
 * set) is asked to free at least `need` units, never those of `except` (the buffer's owner,
 * which is in the middle of an operation); it returns what it freed. */
typedef struct membudget {
    size_t used;
    size_t max;
    size_t peak;
    uint64_t denied; /* charges refused after reclaiming */
    size_t (*reclaim)(void *userdata, size_t need, const void *except);
    void *userdata;
} membudget;

/* Charges n units; NULL b always succeeds. Returns 0 or -ENOMEM (nothing charged). */
int membudget_charge(membudget *b, size_t n, const void *owner);
/* Charges n units even past max (accounting for what is already committed). */
void membudget_force(membudget *b, size_t n);
void membudget_uncharge(membudget *b, size_t n);

typedef struct iobuf {
    char *data;
    size_t off; /* first unconsumed byte */
    size_t len; /* unconsumed bytes */
    size_t cap;
    size_t max;        /* hard limit on len */
    membudget *budget; /* charged with cap; NULL = none */
    const void *owner; /* passed to the budget's reclaim as the one not to touch */
} iobuf;

#define IOBUF_INIT(limit)                                                                          \
    ((iobuf){.data = NULL,                                                                         \
             .off = 0,                                                                             \
             .len = 0,                                                                             \
             .cap = 0,                                                                             \
             .max = (limit),                                                                       \
             .budget = NULL,                                                                       \
             .owner = NULL})
#define IOBUF_INIT_BUDGET(limit, b, own)                                                           \
    ((iobuf){.data = NULL,                                                                         \
             .off = 0,                                                                             \
             .len = 0,                                                                             \
             .cap = 0,                                                                             \
             .max = (limit),                                                                       \
             .budget = (b),                                                                        \
             .owner = (own)})

static inline const char *iobuf_head(const iobuf *b) {
    return b->data ? b->data + b->off : "";
}

static inline bool iobuf_full(const iobuf *b) {
    return b->len >= b->max;
}

/* Appends n bytes. Returns 0, -ENOBUFS past max, -ENOMEM (also when the budget is spent). */
int iobuf_append(iobuf *b, const void *p, size_t n);
int iobuf_printf(iobuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops n bytes from the head. */
void iobuf_consume(iobuf *b, size_t n);
/* Reads once from fd into the free space (growing up to max). Returns bytes read, 0 at EOF,
 * -EAGAIN when nothing is there, -ENOBUFS when the buffer is full, or -errno. When ret_full is
 * not NULL it tells whether the read filled all the space offered (so more may be waiting; a
 * shorter read means the socket was drained and another read would only return EAGAIN). */
ssize_t iobuf_read(iobuf *b, int fd, bool *ret_full);
/* Sends the head of the queue to fd once (MSG_NOSIGNAL). Returns bytes sent, -EAGAIN, or
 * -errno; 0 when the queue is empty. */
ssize_t iobuf_write(iobuf *b, int fd);
/* Moves up to n bytes from src's head to dst's tail (bounded by dst's room). Returns bytes
 * moved or -ENOMEM. */
ssize_t iobuf_move(iobuf *dst, iobuf *src, size_t n);
/* Room left before max. */
size_t iobuf_room(const iobuf *b);
/* Frees the storage (and gives it back to the budget). */
void iobuf_free(iobuf *b);
/* Frees the storage when nothing is queued: an idle connection holds no buffer memory. */
void iobuf_trim(iobuf *b);
