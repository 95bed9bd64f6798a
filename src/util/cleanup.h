/* SPDX-License-Identifier: MIT */
/*
 * Scope-bound cleanup helpers for locals (STYLE.md §4). A variable declared with one of the
 * _cleanup_*_ attributes is released when it goes out of scope; TAKE_PTR/TAKE_FD hand the
 * ownership out and leave NULL / -1 behind so that the cleanup becomes a no-op.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) {
    free(*(void **) p);
}

/* close() that keeps errno, so that error paths can still report the original failure. */
static inline int safe_close(int fd) {
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return -1;
}

static inline void closep(int *fd) {
    *fd = safe_close(*fd);
}

static inline void fclosep(FILE **f) {
    if (*f) {
        int saved = errno;
        fclose(*f);
        errno = saved;
    }
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares `static inline void name##p(type **p)` calling `fn(*p)` when non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, fn)                                                      \
    static inline void fn##p(type **p) {                                                           \
        if (*p)                                                                                    \
            fn(*p);                                                                                \
    }

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tp_ = (p);                                                                  \
        (p) = NULL;                                                                                \
        _tp_;                                                                                      \
    })

#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tf_ = (fd);                                                                           \
        (fd) = -1;                                                                                 \
        _tf_;                                                                                      \
    })

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

#define streq(a, b) (strcmp((a), (b)) == 0)
