/* SPDX-License-Identifier: MIT */
/*
 * Merge of two configs (spec §4.5), driven by config_fields[].merge, with the Go tool's exact
 * list rule: when one side's list is empty the other side's list is taken verbatim (duplicates
 * kept); otherwise base ++ override with every repeat dropped, first occurrence kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/error.h"

static int merge_strings(strv *dst, const strv *base, const strv *over) {
    strv tmp = {0};
    int r;

    if (base->n == 0 || over->n == 0)
        return strv_copy(dst, base->n ? base : over);
    if ((r = strv_extend_unique(&tmp, base)) < 0 || (r = strv_extend_unique(&tmp, over)) < 0) {
        strv_done(&tmp);
        return r;
    }
    strv_done(dst);
    *dst = tmp;
    return 0;
}

static int merge_ints(intv *dst, const intv *base, const intv *over) {
    intv tmp = {0};
    int r;

    if (base->n == 0 || over->n == 0)
        return intv_copy(dst, base->n ? base : over);
    if ((r = intv_extend_unique(&tmp, base)) < 0 || (r = intv_extend_unique(&tmp, over)) < 0) {
        intv_done(&tmp);
        return r;
    }
    intv_done(dst);
    *dst = tmp;
    return 0;
}

static int merge_field(struct fence_config *res, const config_field *f,
                       const struct fence_config *b, const struct fence_config *o) {
    switch (f->type) {
    case FENCE_TYPE_STRING_LIST:
        return merge_strings(CONFIG_FIELD_PTR(res, f, strv), CONFIG_FIELD_PTR(b, f, const strv),
                             CONFIG_FIELD_PTR(o, f, const strv));
    case FENCE_TYPE_INT_LIST:
        return merge_ints(CONFIG_FIELD_PTR(res, f, intv), CONFIG_FIELD_PTR(b, f, const intv),
                          CONFIG_FIELD_PTR(o, f, const intv));
    case FENCE_TYPE_BOOL:
        *CONFIG_FIELD_PTR(res, f, bool) =
                *CONFIG_FIELD_PTR(b, f, const bool) || *CONFIG_FIELD_PTR(o, f, const bool);
        return 0;
    case FENCE_TYPE_TRISTATE: {
        tristate ov = *CONFIG_FIELD_PTR(o, f, const tristate);

        *CONFIG_FIELD_PTR(res, f, tristate) =
                ov != TRI_UNSET ? ov : *CONFIG_FIELD_PTR(b, f, const tristate);
        return 0;
    }
    case FENCE_TYPE_INT: {
        int ov = *CONFIG_FIELD_PTR(o, f, const int);

        *CONFIG_FIELD_PTR(res, f, int) = ov != 0 ? ov : *CONFIG_FIELD_PTR(b, f, const int);
        return 0;
    }
    case FENCE_TYPE_STRING: {
        const char *ov = *CONFIG_FIELD_PTR(o, f, char *const);
        const char *bv = *CONFIG_FIELD_PTR(b, f, char *const);
        const char *v = ov && *ov ? ov : bv;
        char **slot = CONFIG_FIELD_PTR(res, f, char *);

        if (f->merge == MERGE_CLEAR || !v)
            return 0;
        *slot = strdup(v);
        return *slot ? 0 : -ENOMEM;
    }
    }
    return 0;
}

FENCE_API int fence_config_merge(const fence_config *base, const fence_config *override,
                                 fence_config **ret, fence_error *err) {
    _cleanup_(fence_config_freep) fence_config *res = NULL;

    if (!ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no result pointer given");
    if (!base || !override) {
        /* Go: a nil side yields a copy of the other (or the default), extends cleared */
        const fence_config *src = base ? base : override;

        res = src ? fence_config_copy(src) : fence_config_new();
        if (!res)
            return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
        free(res->extends);
        res->extends = NULL;
        *ret = TAKE_PTR(res);
        return 0;
    }
    res = fence_config_new();
    if (!res)
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++)
        if (merge_field(res, &config_fields[i], base, override) < 0)
            return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    /* strictDenyRead implies defaultDenyRead on either side */
    res->filesystem.default_deny_read =
            base->filesystem.default_deny_read || override->filesystem.default_deny_read ||
            base->filesystem.strict_deny_read || override->filesystem.strict_deny_read;
    *ret = TAKE_PTR(res);
    return 0;
}
