/* SPDX-License-Identifier: MIT */
/*
 * The config decoder: JSONC tree -> struct fence_config through config_fields[]. See decode.h.
 */
#include "config/decode.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/validate.h"
#include "util/error.h"

void config_srcmap_done(config_srcmap *m) {
    if (!m)
        return;
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++)
        free(m->items[i]);
    memset(m, 0, sizeof(*m));
}

jsonc_pos config_srcmap_field(const config_srcmap *m, fence_config_key key) {
    if (!m || (unsigned) key >= FENCE_CFG_KEY_COUNT)
        return (jsonc_pos){0, 0};
    return m->field[key];
}

jsonc_pos config_srcmap_item(const config_srcmap *m, fence_config_key key, size_t i) {
    if (!m || (unsigned) key >= FENCE_CFG_KEY_COUNT)
        return (jsonc_pos){0, 0};
    if (i < m->n_items[key] && m->items[key])
        return m->items[key][i];
    return m->field[key];
}

static int diag_set(config_diag *diag, config_diag_kind kind, jsonc_pos pos, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int diag_set(config_diag *diag, config_diag_kind kind, jsonc_pos pos, const char *fmt, ...) {
    va_list ap;

    diag->kind = kind;
    diag->pos = pos;
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    return -FENCE_E_CONFIG;
}

static int diag_nomem(config_diag *diag) {
    diag->kind = CONFIG_DIAG_NONE;
    diag->pos = (jsonc_pos){0, 0};
    snprintf(diag->msg, sizeof(diag->msg), "out of memory");
    return -FENCE_E_NOMEM;
}

/* ---- key matching ------------------------------------------------------------------------ */

/* Go's encoding/json matches a key to a field name exactly, else by "folded" comparison: each
 * rune mapped to upper(lower(r)). Field names are ASCII, so besides ASCII letters only the four
 * runes whose fold is an ASCII letter can match: U+0130 and U+0131 (I), U+017F (S), U+212A (K). */
static int fold_next(const char **p, const char *end) {
    const unsigned char *s = (const unsigned char *) *p;

    if (s[0] < 0x80) {
        *p += 1;
        return s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0];
    }
    if (end - *p >= 2 && s[0] == 0xC4 && (s[1] == 0xB0 || s[1] == 0xB1)) {
        *p += 2;
        return 'I';
    }
    if (end - *p >= 2 && s[0] == 0xC5 && s[1] == 0xBF) {
        *p += 2;
        return 'S';
    }
    if (end - *p >= 3 && s[0] == 0xE2 && s[1] == 0x84 && s[2] == 0xAA) {
        *p += 3;
        return 'K';
    }
    return -1; /* any other non-ASCII rune cannot fold to an ASCII field name */
}

static bool key_fold_equal(const char *key, size_t key_len, const char *name) {
    const char *p = key, *end = key + key_len;

    for (; *name; name++) {
        int c;

        if (p >= end)
            return false;
        c = fold_next(&p, end);
        if (c < 0 || c != (*name >= 'a' && *name <= 'z' ? *name - 'a' + 'A' : *name))
            return false;
    }
    return p == end;
}

/* Index of the name matching key among names[0..n), or -1. */
static int match_key(const char *key, size_t key_len, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == key_len && memcmp(names[i], key, key_len) == 0)
            return (int) i;
    for (size_t i = 0; i < n; i++)
        if (key_fold_equal(key, key_len, names[i]))
            return (int) i;
    return -1;
}

/* ---- values ------------------------------------------------------------------------------ */

static const char *expected_name(fence_value_type t) {
    switch (t) {
    case FENCE_TYPE_STRING:
        return "a string";
    case FENCE_TYPE_BOOL:
        return "a boolean";
    case FENCE_TYPE_TRISTATE:
        return "a boolean or null";
    case FENCE_TYPE_INT:
        return "an integer";
    case FENCE_TYPE_STRING_LIST:
        return "an array of strings";
    case FENCE_TYPE_INT_LIST:
        return "an array of integers";
    }
    return "a value";
}

/* Reads an integer literal; Go decodes numbers into int fields with strconv.ParseInt, so a
 * fraction or an exponent is a type error even when the value is integral. */
static int decode_int(const jsonc_node *n, const char *what, int *ret, config_diag *diag) {
    const char *s = n->str;
    long long v;
    char *end;

    if (n->type != JSONC_NUMBER)
        return diag_set(diag, CONFIG_DIAG_JSON, n->pos, "%s: expected an integer, found %s", what,
                        jsonc_type_name(n->type));
    if (strpbrk(s, ".eE"))
        return diag_set(diag, CONFIG_DIAG_JSON, n->pos, "%s: expected an integer, found %s", what,
                        s);
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end || v < INT_MIN || v > INT_MAX)
        return diag_set(diag, CONFIG_DIAG_JSON, n->pos, "%s: integer %s is out of range", what, s);
    *ret = (int) v;
    return 0;
}

static int decode_string_value(const jsonc_node *n, const char *what, char **ret,
                               config_diag *diag) {
    char *s;

    if (n->type != JSONC_STRING)
        return diag_set(diag, CONFIG_DIAG_JSON, n->pos, "%s: expected a string, found %s", what,
                        jsonc_type_name(n->type));
    if (strlen(n->str) != n->str_len)
        return diag_set(diag, CONFIG_DIAG_JSON, n->pos,
                        "%s: strings must not contain NUL characters (\\u0000)", what);
    s = strdup(n->str);
    if (!s)
        return diag_nomem(diag);
    *ret = s;
    return 0;
}

/* Turns "path: ..." into "path[i]: ..." once an element failed (the index is formatted only on
 * this error path). */
static int element_error(config_diag *diag, const char *path, size_t i, int r) {
    size_t n = strlen(path);
    char rest[sizeof(diag->msg)];

    if (diag->kind != CONFIG_DIAG_JSON || strncmp(diag->msg, path, n) != 0)
        return r;
    snprintf(rest, sizeof(rest), "%s", diag->msg + n);
    snprintf(diag->msg, sizeof(diag->msg), "%.64s[%zu]%.300s", path, i, rest);
    return r;
}

static int decode_list(const config_field *f, const jsonc_node *n, struct fence_config *cfg,
                       config_srcmap *map, config_diag *diag) {
    bool strings = f->type == FENCE_TYPE_STRING_LIST;
    strv *sl = strings ? CONFIG_FIELD_PTR(cfg, f, strv) : NULL;
    intv *il = strings ? NULL : CONFIG_FIELD_PTR(cfg, f, intv);
    jsonc_pos *items = NULL;
    size_t i = 0;
    int r;

    /* like a Go slice, a repeated key or null replaces the whole list */
    if (strings)
        strv_done(sl);
    else
        intv_done(il);
    if (map) {
        free(map->items[f->key]);
        map->items[f->key] = NULL;
        map->n_items[f->key] = 0;
    }
    if (n->type == JSONC_NULL)
        return 0;
    if (n->type != JSONC_ARRAY)
        return diag_set(diag, CONFIG_DIAG_JSON, n->pos, "%s: expected %s, found %s", f->path,
                        expected_name(f->type), jsonc_type_name(n->type));
    if (map && n->count) {
        items = calloc(n->count, sizeof(*items));
        if (!items)
            return diag_nomem(diag);
        map->items[f->key] = items;
        map->n_items[f->key] = n->count;
    }
    for (const jsonc_node *e = n->first; e; e = e->next, i++) {
        if (items)
            items[i] = e->pos;
        if (strings) {
            char *s = NULL;

            /* Go leaves a null element at its zero value: "" (rejected by validation) */
            if (e->type == JSONC_NULL)
                s = strdup("");
            else if ((r = decode_string_value(e, f->path, &s, diag)) < 0)
                return element_error(diag, f->path, i, r);
            if (strv_push_take(sl, s) < 0)
                return diag_nomem(diag);
        } else {
            int v = 0;

            if (e->type != JSONC_NULL && (r = decode_int(e, f->path, &v, diag)) < 0)
                return element_error(diag, f->path, i, r);
            if (intv_push(il, v) < 0)
                return diag_nomem(diag);
        }
    }
    return 0;
}

static int decode_field(const config_field *f, const jsonc_node *n, struct fence_config *cfg,
                        config_srcmap *map, config_diag *diag) {
    int r;

    if (map)
        map->field[f->key] = n->pos;
    switch (f->type) {
    case FENCE_TYPE_STRING_LIST:
    case FENCE_TYPE_INT_LIST:
        return decode_list(f, n, cfg, map, diag);
    case FENCE_TYPE_TRISTATE:
        if (n->type == JSONC_NULL) {
            *CONFIG_FIELD_PTR(cfg, f, tristate) = TRI_UNSET;
            return 0;
        }
        if (n->type != JSONC_BOOL)
            break;
        *CONFIG_FIELD_PTR(cfg, f, tristate) = n->boolean ? TRI_TRUE : TRI_FALSE;
        return 0;
    default:
        break;
    }
    if (n->type == JSONC_NULL) /* Go: null into a non-pointer scalar is a no-op */
        return 0;
    switch (f->type) {
    case FENCE_TYPE_BOOL:
        if (n->type != JSONC_BOOL)
            break;
        *CONFIG_FIELD_PTR(cfg, f, bool) = n->boolean;
        return 0;
    case FENCE_TYPE_INT:
        return decode_int(n, f->path, CONFIG_FIELD_PTR(cfg, f, int), diag);
    case FENCE_TYPE_STRING: {
        char *s = NULL, **slot = CONFIG_FIELD_PTR(cfg, f, char *);

        if ((r = decode_string_value(n, f->path, &s, diag)) < 0)
            return r;
        free(*slot);
        *slot = NULL;
        if (*s) /* "" is Go's zero value: unset */
            *slot = s;
        else
            free(s);
        return 0;
    }
    default:
        break;
    }
    return diag_set(diag, CONFIG_DIAG_JSON, n->pos, "%s: expected %s, found %s", f->path,
                    expected_name(f->type), jsonc_type_name(n->type));
}

/* ---- objects ----------------------------------------------------------------------------- */

/* Number of '.'-separated components in a section path ("" has none). */
static size_t path_depth(const char *s) {
    size_t n = *s ? 1 : 0;

    for (; *s; s++)
        n += *s == '.';
    return n;
}

/* Decodes the members of obj, an object at section path `sec` ("" = top level). The candidate
 * names are the fields of that section and the sub-sections directly below it. */
static int decode_object(const jsonc_node *obj, const char *sec, struct fence_config *cfg,
                         config_srcmap *map, config_diag *diag) {
    const char *names[FENCE_CFG_KEY_COUNT + 8];
    const config_field *fields[FENCE_CFG_KEY_COUNT + 8];
    char subs[8][32];
    size_t n = 0, nsub = 0, seclen = strlen(sec), depth = path_depth(sec);
    int r;

    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const char *fs = config_fields[i].section ? config_fields[i].section : "";

        if (strcmp(fs, sec) == 0) {
            names[n] = config_fields[i].name;
            fields[n++] = &config_fields[i];
        }
    }
    /* sub-sections: the next component of every section path below sec, once each */
    for (size_t i = 0; config_sections[i]; i++) {
        const char *s = config_sections[i], *rest, *dot;
        size_t len;
        bool dup = false;

        if (depth && (strncmp(s, sec, seclen) != 0 || s[seclen] != '.'))
            continue;
        rest = depth ? s + seclen + 1 : s;
        dot = strchr(rest, '.');
        len = dot ? (size_t) (dot - rest) : strlen(rest);
        if (len == 0 || len >= sizeof(subs[0]) || nsub >= ARRAY_SIZE(subs))
            continue;
        for (size_t k = 0; k < nsub; k++)
            dup |= strlen(subs[k]) == len && memcmp(subs[k], rest, len) == 0;
        if (dup)
            continue;
        memcpy(subs[nsub], rest, len);
        subs[nsub][len] = '\0';
        names[n] = subs[nsub++];
        fields[n++] = NULL;
    }

    for (const jsonc_node *m = obj->first; m; m = m->next) {
        int k = match_key(m->key, m->key_len, names, n);
        char sub[96];

        if (k < 0)
            continue; /* unknown keys are ignored, as in the Go tool */
        if (fields[k]) {
            if ((r = decode_field(fields[k], m, cfg, map, diag)) < 0)
                return r;
            continue;
        }
        snprintf(sub, sizeof(sub), "%s%s%s", sec, depth ? "." : "", names[k]);
        if (m->type == JSONC_NULL)
            continue;
        if (m->type != JSONC_OBJECT)
            return diag_set(diag, CONFIG_DIAG_JSON, m->pos, "%s: expected an object, found %s", sub,
                            jsonc_type_name(m->type));
        if ((r = decode_object(m, sub, cfg, map, diag)) < 0)
            return r;
    }
    return 0;
}

int config_decode(const jsonc_node *root, struct fence_config *cfg, config_srcmap *map,
                  config_diag *diag) {
    if (root->type != JSONC_OBJECT)
        return diag_set(diag, CONFIG_DIAG_JSON, root->pos,
                        "the top level must be an object, found %s", jsonc_type_name(root->type));
    return decode_object(root, "", cfg, map, diag);
}

int config_parse_text(const char *text, size_t len, struct fence_config **ret,
                      config_srcmap *ret_map, config_diag *diag) {
    _cleanup_(jsonc_doc_freep) jsonc_doc *doc = NULL;
    _cleanup_(fence_config_freep) fence_config *cfg = NULL;
    config_srcmap map = {0};
    jsonc_error jerr;
    int r;

    if (jsonc_is_blank(text, len))
        return 0;
    r = jsonc_parse(text, len, &doc, &jerr);
    if (r == -ENOMEM)
        return diag_nomem(diag);
    if (r < 0)
        return diag_set(diag, CONFIG_DIAG_JSON, jerr.pos, "%s", jerr.msg);
    cfg = fence_config_new();
    if (!cfg)
        return diag_nomem(diag);
    r = config_decode(jsonc_doc_root(doc), cfg, &map, diag);
    if (r >= 0)
        r = config_check(cfg, &map, diag);
    if (r < 0) {
        config_srcmap_done(&map);
        return r;
    }
    /* the one side effect of the Go tool's Validate() */
    if (cfg->filesystem.strict_deny_read)
        cfg->filesystem.default_deny_read = true;
    if (ret_map)
        *ret_map = map;
    else
        config_srcmap_done(&map);
    *ret = TAKE_PTR(cfg);
    return 1;
}

int config_diag_to_error(const config_diag *diag, const char *name, const char *prefix,
                         fence_error *err) {
    int code = diag->kind == CONFIG_DIAG_NONE ? FENCE_E_NOMEM : FENCE_E_CONFIG;

    if (diag->pos.line)
        return fence_error_set(err, code, 0, "%s:%u:%u: %s: %s", name, diag->pos.line,
                               diag->pos.col, prefix, diag->msg);
    return fence_error_set(err, code, 0, "%s: %s: %s", name, prefix, diag->msg);
}
