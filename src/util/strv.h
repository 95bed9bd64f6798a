/* SPDX-License-Identifier: MIT */
/*
 * strv / intv: small owned vectors of strings and ints. A strv's `v` is NULL-terminated whenever
 * it is non-NULL, so it can be handed to code that expects a `char **` list (execve, policy
 * matchers). An empty vector has v == NULL and n == 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct strv {
    char **v;
    size_t n;
} strv;

typedef struct intv {
    int *v;
    size_t n;
} intv;

/* Appends a copy of s. Returns 0 or -ENOMEM. */
int strv_push(strv *l, const char *s);
/* Appends s itself, taking ownership (freed on failure too). */
int strv_push_take(strv *l, char *s);
/* Appends each item of src that is not yet in dst, keeping the first occurrence (§4.5). */
int strv_extend_unique(strv *dst, const strv *src);
/* Replaces dst's contents with a deep copy of src (dst is emptied first). */
int strv_copy(strv *dst, const strv *src);
bool strv_contains(const strv *l, const char *s);
void strv_done(strv *l);

int intv_push(intv *l, int x);
int intv_extend_unique(intv *dst, const intv *src);
int intv_copy(intv *dst, const intv *src);
bool intv_contains(const intv *l, int x);
void intv_done(intv *l);
