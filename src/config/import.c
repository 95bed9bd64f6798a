/* SPDX-License-Identifier: MIT */
/*
 * Claude Code settings -> fence policy (spec §3.6). Only permissions.allow, .deny and .ask are
 * read; keys match case-insensitively and the last duplicate wins, as Go's encoding/json does.
 *
 *   Bash(X)            allow -> command.allow     deny/ask -> command.deny      (X minus ":*")
 *   Read(P)            allow -> ignored           deny/ask -> filesystem.denyRead
 *   Write(P), Edit(P)  allow -> filesystem.allowWrite   deny/ask -> filesystem.denyWrite
 *   bare tool name     skipped with a warning (allow and deny lists)
 *
 * Every ask rule that names something becomes a deny, with a warning. Duplicates are dropped.
 */
#include "config/import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/jsonc.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/fileio.h"

/* Warnings text: one line per rule, bounded by the input size. */
#define IMPORT_WARNINGS_MAX (4u * IMPORT_MAX_BYTES)


enum { LIST_ALLOW, LIST_DENY, LIST_ASK, LIST_COUNT };

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* s[0..*len) trimmed of surrounding white space: returns the new start, updates *len. */
static const char *trim(const char *s, size_t *len) {
    while (*len > 0 && is_space(*s)) {
        s++;
        (*len)--;
    }
    while (*len > 0 && is_space(s[*len - 1]))
        (*len)--;
    return s;
}

/* When rule is "Tool(inner)" with a non-empty inner that has no newline (Go's `^Tool\((.+)\)$`),
 * returns inner's start and sets *ret_len; NULL otherwise. */
static const char *tool_arg(const char *rule, size_t len, const char *tool, size_t *ret_len) {
    size_t t = strlen(tool);
    const char *inner = rule + t + 1;
    size_t n;

    if (len < t + 3 || strncmp(rule, tool, t) != 0 || rule[t] != '(' || rule[len - 1] != ')')
        return NULL;
    n = len - t - 2;
    if (memchr(inner, '\n', n))
        return NULL;
    *ret_len = n;
    return inner;
}

static int add_unique(strv *l, const char *s, size_t len) {
    _cleanup_free_ char *copy = strndup(s, len);

    if (!copy)
        return -ENOMEM;
    if (strv_contains(l, copy))
        return 0;
    return strv_push_take(l, TAKE_PTR(copy));
}

static int apply_rule(struct fence_config *cfg, const char *rule, size_t len, bool allow) {
    static const char *const tools[] = {"Bash", "Read", "Write", "Edit"};
    const char *arg;
    size_t n;

    rule = trim(rule, &len);
    for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
        arg = tool_arg(rule, len, tools[i], &n);
        if (!arg)
            continue;
        arg = trim(arg, &n);
        if (i == 0 && n >= 2 && arg[n - 2] == ':' && arg[n - 1] == '*')
            n -= 2;
        if (n == 0)
            return 0;
        switch (i) {
        case 0:
            return add_unique(allow ? &cfg->command.allow : &cfg->command.deny, arg, n);
        case 1:
            return allow ? 0 : add_unique(&cfg->filesystem.deny_read, arg, n);
        default:
            return add_unique(allow ? &cfg->filesystem.allow_write : &cfg->filesystem.deny_write,
                              arg, n);
        }
    }
    return 0; /* other tools (WebFetch(...), mcp__...) have no fence equivalent */
}

/* A rule without "(" names a whole tool; fence has no such rules. */
static bool is_global_tool(const char *rule, size_t len) {
    return memchr(rule, '(', len) == NULL;
}

/* Appends rule as a quoted string with Go %q-style escapes. */
static int quote(fbuf *b, const char *s, size_t len) {
    int r = fbuf_putc(b, '"');

    for (size_t i = 0; r == 0 && i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c == '"' || c == '\\')
            r = fbuf_printf(b, "\\%c", c);
        else if (c == '\n')
            r = fbuf_puts(b, "\\n");
        else if (c == '\t')
            r = fbuf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            r = fbuf_printf(b, "\\x%02x", c);
        else
            r = fbuf_putc(b, (char) c);
    }
    return r < 0 ? r : fbuf_putc(b, '"');
}

static int warn(fbuf *w, const char *rule, size_t len, bool ask) {
    int r = fbuf_puts(w, ask ? "Ask rule " : "Global tool permission ");

    if (r == 0)
        r = quote(w, rule, len);
    if (r == 0)
        r = fbuf_puts(w, ask ? " converted to deny (fence doesn't support interactive prompts)\n"
                             : " skipped (fence uses path/command-based rules)\n");
    return r;
}

static int fail_at(fence_error *err, const char *name, jsonc_pos pos, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int fail_at(fence_error *err, const char *name, jsonc_pos pos, const char *fmt, ...) {
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return fence_error_set(err, FENCE_E_CONFIG, 0, "%s:%u:%u: invalid JSON in Claude settings: %s",
                           name, pos.line, pos.col, what);
}

/* Finds permissions.allow/deny/ask; lists[i] stays NULL when absent or null. */
static int find_lists(const jsonc_node *root, const char *name, const jsonc_node **lists,
                      fence_error *err) {
    static const char *const names[LIST_COUNT] = {"allow", "deny", "ask"};
    const jsonc_node *perms = NULL;

    if (root->type != JSONC_OBJECT)
        return fail_at(err, name, root->pos, "expected an object at the top level, found %s",
                       jsonc_type_name(root->type));
    for (const jsonc_node *m = root->first; m; m = m->next)
        if (strcasecmp(m->key, "permissions") == 0)
            perms = m;
    if (!perms || perms->type == JSONC_NULL)
        return 0;
    if (perms->type != JSONC_OBJECT)
        return fail_at(err, name, perms->pos, "\"permissions\" must be an object, found %s",
                       jsonc_type_name(perms->type));
    for (const jsonc_node *m = perms->first; m; m = m->next)
        for (size_t i = 0; i < LIST_COUNT; i++)
            if (strcasecmp(m->key, names[i]) == 0)
                lists[i] = m->type == JSONC_NULL ? NULL : m;
    for (size_t i = 0; i < LIST_COUNT; i++) {
        if (!lists[i])
            continue;
        if (lists[i]->type != JSONC_ARRAY)
            return fail_at(err, name, lists[i]->pos,
                           "\"permissions.%s\" must be an array of strings, found %s", names[i],
                           jsonc_type_name(lists[i]->type));
        for (const jsonc_node *e = lists[i]->first; e; e = e->next) {
            if (e->type != JSONC_STRING && e->type != JSONC_NULL)
                return fail_at(err, name, e->pos,
                               "\"permissions.%s\" must be an array of strings, found %s",
                               names[i], jsonc_type_name(e->type));
            /* a C string cannot carry it, and a truncated rule would mean something else */
            if (e->type == JSONC_STRING && strlen(e->str) != e->str_len)
                return fail_at(err, name, e->pos,
                               "\"permissions.%s\" entry contains a NUL character", names[i]);
        }
    }
    return 0;
}

static int convert(const jsonc_node *const *lists, struct fence_config *cfg, fbuf *warnings,
                   size_t *ret_rules) {
    size_t rules = 0;
    int r;

    for (size_t i = 0; i < LIST_COUNT; i++) {
        if (!lists[i])
            continue;
        for (const jsonc_node *e = lists[i]->first; e; e = e->next) {
            const char *s = e->type == JSONC_STRING ? e->str : ""; /* null decodes as "" */
            size_t len = e->type == JSONC_STRING ? e->str_len : 0, tl = len;
            const char *t = trim(s, &tl);
            bool global = is_global_tool(t, tl);

            rules++;
            r = apply_rule(cfg, s, len, i == LIST_ALLOW);
            if (r == 0 && i != LIST_ASK && global)
                r = warn(warnings, s, len, false);
            if (r == 0 && i == LIST_ASK && !global)
                r = warn(warnings, s, len, true);
            if (r < 0)
                return r;
        }
    }
    *ret_rules = rules;
    return 0;
}

int import_claude_text(const char *text, size_t len, const char *name, const char *extends,
                       fence_config **ret_cfg, size_t *ret_rules, char **ret_warnings,
                       fence_error *err) {
    _cleanup_(jsonc_doc_freep) jsonc_doc *doc = NULL;
    _cleanup_(fence_config_freep) fence_config *cfg = NULL;
    _cleanup_free_ char *w = NULL;
    const jsonc_node *lists[LIST_COUNT] = {NULL};
    fbuf warnings = FBUF_INIT(IMPORT_WARNINGS_MAX);
    size_t rules = 0;
    jsonc_error jerr;
    int r;

    if (!text || !name || !ret_cfg || !ret_rules || !ret_warnings)
        return fence_error_set(err, FENCE_E_INVAL, 0, "import_claude_text: NULL argument");
    cfg = fence_config_new();
    if (!cfg)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");

    if (!jsonc_is_blank(text, len)) {
        r = jsonc_parse(text, len, &doc, &jerr);
        if (r == -ENOMEM)
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
        if (r < 0)
            return fail_at(err, name, jerr.pos, "%s", jerr.msg);
        r = find_lists(jsonc_doc_root(doc), name, lists, err);
        if (r < 0)
            return r;
        r = convert(lists, cfg, &warnings, &rules);
        if (r < 0) {
            fbuf_done(&warnings);
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
        }
    }
    if (extends && *extends && fence_config_set_string(cfg, FENCE_CFG_EXTENDS, extends) < 0) {
        fbuf_done(&warnings);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    }
    w = fbuf_steal(&warnings);
    fbuf_done(&warnings);
    if (!w)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");

    *ret_cfg = TAKE_PTR(cfg);
    *ret_rules = rules;
    *ret_warnings = TAKE_PTR(w);
    return 0;
}

FENCE_API int fence_import_claude(const char *path, const char *extends, fence_config **ret_cfg,
                                  size_t *ret_rules, char **ret_warnings, fence_error *err) {
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r;

    if (!path)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_import_claude: path is NULL");
    r = read_full_file(path, IMPORT_MAX_BYTES, &text, &len);
    if (r == -EFBIG)
        return fence_error_set(err, FENCE_E_IO, 0,
                               "failed to read Claude settings '%s': larger than %u bytes", path,
                               IMPORT_MAX_BYTES);
    if (r == -ENOMEM)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "out of memory");
    if (r < 0)
        return fence_error_set(err, r == -ENOENT ? FENCE_E_NOTFOUND : FENCE_E_IO, -r,
                               "failed to read Claude settings '%s'", path);
    return import_claude_text(text, len, path, extends, ret_cfg, ret_rules, ret_warnings, err);
}
