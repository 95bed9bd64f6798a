/* SPDX-License-Identifier: MIT */
/*
 * Merge of two configs (spec §4.5), driven by config_fields[].merge, with the Go tool's exact
 * list rule: when one side's list is empty the other side's list is taken verbatim (duplicates
 * kept); otherwise base ++ override with every repeat dropped, first occurrence kept.
 *
 * The work is done in place (config_merge_into), so that resolving a chain folds every link into
 * one accumulator instead of copying the growing lists at each step; de-duplication uses a hash
 * set, keeping a merge linear in the list lengths.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/error.h"

static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 16777619u;
    return h;
}

/* Inserts s into the open-addressing set; false when it was already there. */
static bool set_add(const char **set, size_t mask, const char *s) {
    size_t h = hash_str(s) & mask;

    while (set[h]) {
        if (strcmp(set[h], s) == 0)
            return false;
        h = (h + 1) & mask;
    }
    set[h] = s;
    return true;
}

static int merge_strings(strv *acc, const strv *over) {
    _cleanup_free_ const char **set = NULL;
    size_t cap = 16, n = 0;
    char **v;

    if (over->n == 0)
        return 0;
    if (acc->n == 0)
        return strv_copy(acc, over); /* verbatim, duplicates kept */
    while (cap < 2 * (acc->n + over->n))
        cap <<= 1;
    set = calloc(cap, sizeof(*set));
    v = set ? realloc(acc->v, (acc->n + over->n + 1) * sizeof(char *)) : NULL;
    if (!v)
        return -ENOMEM;
    acc->v = v;
    /* drop repeats within acc (a verbatim copy may hold some), then append over's new items */
    for (size_t i = 0; i < acc->n; i++) {
        if (set_add(set, cap - 1, v[i]))
            v[n++] = v[i];
        else
            free(v[i]);
    }
    acc->n = n;
    v[n] = NULL;
    for (size_t i = 0; i < over->n; i++) {
        if (!set_add(set, cap - 1, over->v[i]))
            continue;
        if (!(v[acc->n] = strdup(over->v[i])))
            return -ENOMEM;
        v[++acc->n] = NULL;
    }
    return 0;
}

static int merge_ints(intv *acc, const intv *over) {
    intv tmp = {0};
    int r;

    if (over->n == 0)
        return 0;
    if (acc->n == 0)
        return intv_copy(acc, over);
    /* short lists (ports): the quadratic de-duplication is fine */
    if ((r = intv_extend_unique(&tmp, acc)) < 0 || (r = intv_extend_unique(&tmp, over)) < 0) {
        intv_done(&tmp);
        return r;
    }
    intv_done(acc);
    *acc = tmp;
    return 0;
}

static int merge_field(struct fence_config *acc, const config_field *f,
                       const struct fence_config *o) {
    switch (f->type) {
    case FENCE_TYPE_STRING_LIST:
        return merge_strings(CONFIG_FIELD_PTR(acc, f, strv), CONFIG_FIELD_PTR(o, f, const strv));
    case FENCE_TYPE_INT_LIST:
        return merge_ints(CONFIG_FIELD_PTR(acc, f, intv), CONFIG_FIELD_PTR(o, f, const intv));
    case FENCE_TYPE_BOOL:
        *CONFIG_FIELD_PTR(acc, f, bool) |= *CONFIG_FIELD_PTR(o, f, const bool);
        return 0;
    case FENCE_TYPE_TRISTATE: {
        tristate ov = *CONFIG_FIELD_PTR(o, f, const tristate);

        if (ov != TRI_UNSET)
            *CONFIG_FIELD_PTR(acc, f, tristate) = ov;
        return 0;
    }
    case FENCE_TYPE_INT: {
        int ov = *CONFIG_FIELD_PTR(o, f, const int);

        if (ov != 0)
            *CONFIG_FIELD_PTR(acc, f, int) = ov;
        return 0;
    }
    case FENCE_TYPE_STRING: {
        const char *ov = *CONFIG_FIELD_PTR(o, f, char *const);
        char **slot = CONFIG_FIELD_PTR(acc, f, char *), *copy;

        if (f->merge == MERGE_CLEAR) {
            free(*slot);
            *slot = NULL;
            return 0;
        }
        if (!ov || !*ov)
            return 0;
        if (!(copy = strdup(ov)))
            return -ENOMEM;
        free(*slot);
        *slot = copy;
        return 0;
    }
    }
    return 0;
}

int config_merge_into(struct fence_config *acc, const struct fence_config *o) {
    /* strictDenyRead implies defaultDenyRead on either side (Go: OR of all four) */
    bool ddr = acc->filesystem.default_deny_read || o->filesystem.default_deny_read ||
               acc->filesystem.strict_deny_read || o->filesystem.strict_deny_read;

    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        int r = merge_field(acc, &config_fields[i], o);

        if (r < 0)
            return r;
    }
    acc->filesystem.default_deny_read = ddr;
    return 0;
}

FENCE_API int fence_config_merge(const fence_config *base, const fence_config *override,
                                 fence_config **ret, fence_error *err) {
    _cleanup_(fence_config_freep) fence_config *res = NULL;

    if (!ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no result pointer given");
    /* Go: a nil side yields a copy of the other (or the default), extends cleared */
    res = base       ? fence_config_copy(base)
          : override ? fence_config_copy(override)
                     : fence_config_new();
    if (!res)
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    if (base && override && config_merge_into(res, override) < 0)
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    free(res->extends);
    res->extends = NULL;
    *ret = TAKE_PTR(res);
    return 0;
}
