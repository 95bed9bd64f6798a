/* SPDX-License-Identifier: MIT */
/* strv / intv: owned vectors; see strv.h. */
#include "util/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_push_take(strv *l, char *s) {
    char **v;

    if (!s)
        return -ENOMEM;
    v = realloc(l->v, (l->n + 2) * sizeof(char *));
    if (!v) {
        free(s);
        return -ENOMEM;
    }
    v[l->n++] = s;
    v[l->n] = NULL;
    l->v = v;
    return 0;
}

int strv_push(strv *l, const char *s) {
    return strv_push_take(l, strdup(s));
}

bool strv_contains(const strv *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

int strv_extend_unique(strv *dst, const strv *src) {
    for (size_t i = 0; i < src->n; i++) {
        int r;

        if (strv_contains(dst, src->v[i]))
            continue;
        r = strv_push(dst, src->v[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

int strv_copy(strv *dst, const strv *src) {
    strv_done(dst);
    for (size_t i = 0; i < src->n; i++) {
        int r = strv_push(dst, src->v[i]);

        if (r < 0) {
            strv_done(dst);
            return r;
        }
    }
    return 0;
}

void strv_done(strv *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int intv_push(intv *l, int x) {
    int *v = realloc(l->v, (l->n + 1) * sizeof(int));

    if (!v)
        return -ENOMEM;
    v[l->n++] = x;
    l->v = v;
    return 0;
}

bool intv_contains(const intv *l, int x) {
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == x)
            return true;
    return false;
}

int intv_extend_unique(intv *dst, const intv *src) {
    for (size_t i = 0; i < src->n; i++) {
        int r;

        if (intv_contains(dst, src->v[i]))
            continue;
        r = intv_push(dst, src->v[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

int intv_copy(intv *dst, const intv *src) {
    intv_done(dst);
    for (size_t i = 0; i < src->n; i++) {
        int r = intv_push(dst, src->v[i]);

        if (r < 0) {
            intv_done(dst);
            return r;
        }
    }
    return 0;
}

void intv_done(intv *l) {
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
