/* SPDX-License-Identifier: MIT */
/*
 * The canonical JSON writer (spec §4.7): the layout of the Go tool's json.MarshalIndent over its
 * "clean" structs. Keys come in config_fields[] order, sections in config_sections[] order; empty
 * lists, false, 0, unset tri-states, empty strings, empty sections and defaultAction "deny" are
 * omitted; 2-space indent; a final newline. Strings are escaped as Go escapes them (including its
 * HTML-safe \u003c, \u003e, \u0026 and \u2028/\u2029), so the output is byte-identical.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/jsonc.h"
#include "util/error.h"
#include "util/fbuf.h"

/* Bound on the text of one config (the input is bounded by JSONC_MAX_BYTES, merged chains by
 * the depth limit; escaping can grow a string sixfold). */
#define CONFIG_JSON_MAX (64u * 1024u * 1024u)

static int put_indent(fbuf *b, int level) {
    for (int i = 0; i < level; i++) {
        int r = fbuf_puts(b, "  ");

        if (r < 0)
            return r;
    }
    return 0;
}

static int put_string(fbuf *b, const char *str) {
    const unsigned char *s = (const unsigned char *) str;
    int r = fbuf_putc(b, '"');

    while (r >= 0 && *s) {
        unsigned char c = *s;
        uint32_t cp;
        size_t k;

        if (c >= 0x80) {
            k = jsonc_utf8_decode(s, SIZE_MAX, &cp);
            if (k == 0) { /* Go replaces invalid bytes with U+FFFD */
                r = fbuf_puts(b, "\\ufffd");
                s++;
            } else if (cp == 0x2028 || cp == 0x2029) {
                r = fbuf_printf(b, "\\u%04x", cp);
                s += k;
            } else {
                r = fbuf_append(b, s, k);
                s += k;
            }
            continue;
        }
        switch (c) {
        case '"':
            r = fbuf_puts(b, "\\\"");
            break;
        case '\\':
            r = fbuf_puts(b, "\\\\");
            break;
        case '\b':
            r = fbuf_puts(b, "\\b");
            break;
        case '\f':
            r = fbuf_puts(b, "\\f");
            break;
        case '\n':
            r = fbuf_puts(b, "\\n");
            break;
        case '\r':
            r = fbuf_puts(b, "\\r");
            break;
        case '\t':
            r = fbuf_puts(b, "\\t");
            break;
        case '<':
        case '>':
        case '&':
            r = fbuf_printf(b, "\\u%04x", c);
            break;
        default:
            r = c < 0x20 ? fbuf_printf(b, "\\u%04x", c) : fbuf_putc(b, (char) c);
        }
        s++;
    }
    return r < 0 ? r : fbuf_putc(b, '"');
}

static bool field_empty(const struct fence_config *cfg, const config_field *f) {
    switch (f->type) {
    case FENCE_TYPE_STRING: {
        const char *s = *CONFIG_FIELD_PTR(cfg, f, char *const);

        return !s || !*s || (f->key == FENCE_CFG_NETWORK_DEFAULT_ACTION && strcmp(s, "deny") == 0);
    }
    case FENCE_TYPE_BOOL:
        return !*CONFIG_FIELD_PTR(cfg, f, const bool);
    case FENCE_TYPE_TRISTATE:
        return *CONFIG_FIELD_PTR(cfg, f, const tristate) == TRI_UNSET;
    case FENCE_TYPE_INT:
        return *CONFIG_FIELD_PTR(cfg, f, const int) == 0;
    case FENCE_TYPE_STRING_LIST:
        return CONFIG_FIELD_PTR(cfg, f, const strv)->n == 0;
    case FENCE_TYPE_INT_LIST:
        return CONFIG_FIELD_PTR(cfg, f, const intv)->n == 0;
    }
    return true;
}

static int put_value(fbuf *b, const struct fence_config *cfg, const config_field *f, int level) {
    int r = 0;

    switch (f->type) {
    case FENCE_TYPE_STRING:
        return put_string(b, *CONFIG_FIELD_PTR(cfg, f, char *const));
    case FENCE_TYPE_BOOL:
        return fbuf_puts(b, *CONFIG_FIELD_PTR(cfg, f, const bool) ? "true" : "false");
    case FENCE_TYPE_TRISTATE:
        return fbuf_puts(b,
                         *CONFIG_FIELD_PTR(cfg, f, const tristate) == TRI_TRUE ? "true" : "false");
    case FENCE_TYPE_INT:
        return fbuf_printf(b, "%d", *CONFIG_FIELD_PTR(cfg, f, const int));
    case FENCE_TYPE_STRING_LIST:
    case FENCE_TYPE_INT_LIST: {
        bool strings = f->type == FENCE_TYPE_STRING_LIST;
        size_t n = strings ? CONFIG_FIELD_PTR(cfg, f, const strv)->n
                           : CONFIG_FIELD_PTR(cfg, f, const intv)->n;

        r = fbuf_puts(b, "[\n");
        for (size_t i = 0; r >= 0 && i < n; i++) {
            if ((r = put_indent(b, level + 1)) < 0)
                break;
            if (strings)
                r = put_string(b, CONFIG_FIELD_PTR(cfg, f, const strv)->v[i]);
            else
                r = fbuf_printf(b, "%d", CONFIG_FIELD_PTR(cfg, f, const intv)->v[i]);
            if (r >= 0)
                r = fbuf_puts(b, i + 1 < n ? ",\n" : "\n");
        }
        if (r >= 0)
            r = put_indent(b, level);
        return r < 0 ? r : fbuf_putc(b, ']');
    }
    }
    return 0;
}

/* True when `sec` equals `path` or `path` lies below it ("macos" holds "macos.mach"). */
static bool section_within(const char *path, const char *sec) {
    size_t n = strlen(sec);

    return strncmp(path, sec, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

static bool section_empty(const struct fence_config *cfg, const char *sec) {
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++)
        if (config_fields[i].section && section_within(config_fields[i].section, sec) &&
            !field_empty(cfg, &config_fields[i]))
            return false;
    return true;
}

static int put_key(fbuf *b, bool *first, const char *name, int level) {
    int r = fbuf_puts(b, *first ? "\n" : ",\n");

    *first = false;
    if (r >= 0)
        r = put_indent(b, level);
    if (r >= 0)
        r = put_string(b, name);
    return r < 0 ? r : fbuf_puts(b, ": ");
}

/* Writes the object at section path sec ("" = top level) at nesting level `level`. */
static int put_object(fbuf *b, const struct fence_config *cfg, const char *sec, int level) {
    size_t seclen = strlen(sec);
    const char *done[8];
    size_t ndone = 0;
    bool first = true;
    int r = fbuf_putc(b, '{');

    for (size_t i = 0; r >= 0 && i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];

        if (strcmp(f->section ? f->section : "", sec) != 0 || field_empty(cfg, f))
            continue;
        if ((r = put_key(b, &first, f->name, level + 1)) >= 0)
            r = put_value(b, cfg, f, level + 1);
    }
    /* sub-objects directly below sec, in config_sections order */
    for (size_t i = 0; r >= 0 && config_sections[i]; i++) {
        const char *s = config_sections[i], *rest, *dot;
        char sub[64], name[32];
        size_t len;
        bool seen = false;

        if (seclen && !(strncmp(s, sec, seclen) == 0 && s[seclen] == '.'))
            continue;
        rest = seclen ? s + seclen + 1 : s;
        dot = strchr(rest, '.');
        len = dot ? (size_t) (dot - rest) : strlen(rest);
        if (len >= sizeof(name))
            continue;
        snprintf(name, sizeof(name), "%.*s", (int) len, rest);
        snprintf(sub, sizeof(sub), "%s%s%s", sec, seclen ? "." : "", name);
        for (size_t k = 0; k < ndone; k++)
            seen |= strcmp(done[k], s) == 0 || section_within(done[k], sub);
        if (seen || section_empty(cfg, sub) || ndone >= ARRAY_SIZE(done))
            continue;
        done[ndone++] = s;
        if ((r = put_key(b, &first, name, level + 1)) >= 0)
            r = put_object(b, cfg, sub, level + 1);
    }
    if (r >= 0 && !first) {
        r = fbuf_putc(b, '\n');
        if (r >= 0)
            r = put_indent(b, level);
    }
    return r < 0 ? r : fbuf_putc(b, '}');
}

FENCE_API int fence_config_to_json(const fence_config *cfg, char **ret, fence_error *err) {
    fbuf b = FBUF_INIT(CONFIG_JSON_MAX);
    char *s;
    int r;

    if (!cfg || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no config given");
    r = put_object(&b, cfg, "", 0);
    if (r >= 0)
        r = fbuf_putc(&b, '\n');
    if (r < 0) {
        fbuf_done(&b);
        if (r == -ENOBUFS)
            return fence_error_set(err, FENCE_E_CONFIG, 0, "config is too large to serialise");
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    }
    s = fbuf_steal(&b);
    if (!s)
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    *ret = s;
    return 0;
}
