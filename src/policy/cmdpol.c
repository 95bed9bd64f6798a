/* SPDX-License-Identifier: MIT */
/*
 * Command policy: rule compilation, the §7.3 matcher, the decisions of §7.3 and §7.6, and the
 * messages. See cmdpol.h.
 */
#include "policy/cmdpol.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "config/validate.h"
#include "util/cleanup.h"

/* =============================================================================================
 * Rules
 */

/* clang-format off */
const char *const cmdpol_default_deny[] = {
    "shutdown", "reboot", "halt", "poweroff", "init 0", "init 6", "systemctl poweroff",
    "systemctl reboot", "systemctl halt", "insmod", "rmmod", "modprobe", "kexec", "mkfs",
    "mkfs.ext2", "mkfs.ext3", "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkfs.vfat", "mkfs.ntfs",
    "fdisk", "parted", "dd if=", "docker run -v /:/", "docker run --privileged", "chroot",
    "unshare", "nsenter", NULL,
};
/* clang-format on */

static void rule_done(cmdpol_rule *r) {
    free(r->tok); /* one block: the token vector, then the strings */
}

/* The Go tool's tokenizer: split on space/tab outside quotes; quote characters toggle and are
 * dropped; no escapes. Empty tokens are not kept. Everything of one rule lives in one block:
 * tok[] | text | token strings | first. */
static int rule_compile(cmdpol_rule *r, const char *text) {
    size_t len = strlen(text), max_tok = len / 2 + 2, k = 0;
    bool sq = false, dq = false;
    char *block, *strings, *cur;
    const char *base;
    size_t blen;

    *r = (cmdpol_rule){0};
    block = malloc(max_tok * sizeof(char *) + 4 * (len + 1));
    if (!block)
        return -ENOMEM;
    r->tok = (char **) block;
    r->text = block + max_tok * sizeof(char *);
    memcpy(r->text, text, len + 1);
    strings = cur = r->text + len + 1;
    for (size_t i = 0; i <= len; i++) {
        char ch = text[i];

        if (ch == '\'' && !dq) {
            sq = !sq;
        } else if (ch == '"' && !sq) {
            dq = !dq;
        } else if (ch == '\0' || ((ch == ' ' || ch == '\t') && !sq && !dq)) {
            if (k > 0) {
                cur[k] = '\0';
                r->tok[r->n++] = cur;
                cur += k + 1;
                k = 0;
            }
        } else
            cur[k++] = ch;
    }
    if (r->n == 0)
        return 0;
    /* the raw first token, then token 0 becomes its basename (a suffix, or "." / "/") */
    r->first = strings + 2 * (len + 1);
    strcpy(r->first, r->tok[0]);
    base = cmdparse_basename(r->tok[0], strlen(r->tok[0]), &blen);
    if (r->tok[0][strspn(r->tok[0], "/")] == '\0')
        strcpy(r->tok[0], "/"); /* tokens are never empty: only "///" gives the static "/" */
    else {
        memmove(r->tok[0], base, blen);
        r->tok[0][blen] = '\0';
    }
    return 0;
}

static int list_compile(cmdpol *p, cmdpol_list l, const char *const *v, size_t n) {
    if (n == 0)
        return 0;
    p->rules[l] = calloc(n, sizeof(cmdpol_rule));
    if (!p->rules[l])
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int r = rule_compile(&p->rules[l][i], v[i]);

        p->n_rules[l] = i + 1;
        if (r < 0)
            return r;
    }
    return 0;
}

void cmdpol_free(cmdpol *p) {
    if (!p)
        return;
    for (int l = 0; l < CMDPOL_LIST_COUNT; l++) {
        for (size_t i = 0; i < p->n_rules[l]; i++)
            rule_done(&p->rules[l][i]);
        free(p->rules[l]);
    }
    strv_done(&p->ssh_allowed_hosts);
    strv_done(&p->ssh_denied_hosts);
    free(p);
}

int cmdpol_new(const struct fence_config *cfg, cmdpol **ret) {
    cmdpol *p = calloc(1, sizeof(*p));
    size_t n_default = 0;
    int r;

    if (!p)
        return -ENOMEM;
    p->use_defaults = config_use_defaults(cfg);
    p->ssh_allow_all_commands = cfg->ssh.allow_all_commands;
    p->ssh_inherit_deny = cfg->ssh.inherit_deny;
    while (cmdpol_default_deny[n_default])
        n_default++;
    r = list_compile(p, CMDPOL_ALLOW, (const char *const *) cfg->command.allow.v,
                     cfg->command.allow.n);
    if (r >= 0)
        r = list_compile(p, CMDPOL_DENY, (const char *const *) cfg->command.deny.v,
                         cfg->command.deny.n);
    if (r >= 0 && p->use_defaults)
        r = list_compile(p, CMDPOL_DEFAULT, cmdpol_default_deny, n_default);
    if (r >= 0)
        r = list_compile(p, CMDPOL_SSH_ALLOWED, (const char *const *) cfg->ssh.allowed_commands.v,
                         cfg->ssh.allowed_commands.n);
    if (r >= 0)
        r = list_compile(p, CMDPOL_SSH_DENIED, (const char *const *) cfg->ssh.denied_commands.v,
                         cfg->ssh.denied_commands.n);
    if (r >= 0)
        r = strv_copy(&p->ssh_allowed_hosts, &cfg->ssh.allowed_hosts);
    if (r >= 0)
        r = strv_copy(&p->ssh_denied_hosts, &cfg->ssh.denied_hosts);
    if (r < 0) {
        cmdpol_free(p);
        return r;
    }
    *ret = p;
    return 0;
}

const char *cmdpol_rule_runtime_token(const cmdpol_rule *r) {
    if (!r || r->n != 1 || !r->first)
        return NULL;
    if (r->first[strspn(r->first, " \t\n\r\v\f")] == '\0' || strpbrk(r->first, "*?[]|&;()<>$`="))
        return NULL;
    return r->first;
}

/* =============================================================================================
 * Matcher (§7.3)
 */

/* The actual tokens of a segment or of an exec'd argv. */
typedef struct toks {
    const cmdparse_word *w;  /* preflight words ... */
    const char *const *argv; /* ... or exec arguments */
    size_t n;
    const char *name; /* basename of token 0 (NULL = unknown) */
    size_t name_len;
    bool name_is_pattern;
} toks;

static inline const char *tk_text(const toks *t, size_t i) {
    return t->w ? t->w[i].text : t->argv[i];
}

static bool word_eq(const cmdparse_word *w, const char *r) {
    if (!w->pattern)
        return streq(w->text, r);
    if (!(w->flags & CMDPARSE_WORD_LITERAL))
        return false; /* `$x`: unknown */
    return fnmatch(w->pattern, r, 0) == 0;
}

static bool tk_eq(const toks *t, size_t i, const char *r) {
    return t->w ? word_eq(&t->w[i], r) : streq(t->argv[i], r);
}

static bool name_eq(const toks *t, const char *r) {
    if (!t->name)
        return false;
    if (t->name_is_pattern)
        return fnmatch(t->name, r, 0) == 0;
    return strlen(r) == t->name_len && memcmp(t->name, r, t->name_len) == 0;
}

static bool has_suffix(const char *s, char c) {
    size_t n = strlen(s);
    return n > 0 && s[n - 1] == c;
}

static bool subcommand_like(const char *tok) {
    return tok[0] != '\0' && !streq(tok, "--") && tok[0] != '-' && !has_suffix(tok, '=');
}

/* Skips leading global flags before the first subcommand (a `--long` without '=' or a
 * two-character short flag also takes the following non-flag token as its value unless that
 * token is the subcommand itself). */
static size_t skip_global_flags(const toks *t, size_t pos, const char *want) {
    while (pos < t->n) {
        const char *tok = tk_text(t, pos);
        bool takes;

        if (streq(tok, "--") || tok[0] != '-')
            return pos;
        pos++;
        takes = (tok[1] == '-' && !strchr(tok, '=')) || (tok[1] != '-' && strlen(tok) == 2);
        if (takes && pos < t->n) {
            const char *next = tk_text(t, pos);

            if (!streq(next, "--") && next[0] != '-' && !tk_eq(t, pos, want))
                pos++;
        }
    }
    return pos;
}

static bool rule_matches(const toks *t, const cmdpol_rule *r) {
    size_t pos = 1;
    bool leading = true;

    if (t->n == 0 || r->n == 0 || t->n < r->n || !name_eq(t, r->tok[0]))
        return false;
    for (size_t k = 1; k < r->n; k++) {
        const char *want = r->tok[k];

        if (has_suffix(want, '=')) {
            bool found = false;
            size_t wl = strlen(want);

            for (size_t j = pos; j < t->n && !found; j++)
                found = strncmp(tk_text(t, j), want, wl) == 0;
            if (!found)
                return false;
            continue;
        }
        if (leading && subcommand_like(want)) {
            pos = skip_global_flags(t, pos, want);
            leading = false;
        }
        if (pos >= t->n || !tk_eq(t, pos, want))
            return false;
        pos++;
    }
    return true;
}

static const cmdpol_rule *match_list(const cmdpol *p, cmdpol_list l, const toks *t) {
    for (size_t i = 0; i < p->n_rules[l]; i++)
        if (rule_matches(t, &p->rules[l][i]))
            return &p->rules[l][i];
    return NULL;
}

static toks seg_toks(const cmdparse_segment *seg) {
    return (toks){.w = seg->words,
                  .n = seg->n_words,
                  .name = seg->name,
                  .name_len = seg->name_len,
                  .name_is_pattern = seg->name_is_pattern};
}

const cmdpol_rule *cmdpol_match(const cmdpol *p, cmdpol_list list, const cmdparse_segment *seg) {
    toks t = seg_toks(seg);

    if ((unsigned) list >= CMDPOL_LIST_COUNT)
        return NULL;
    return match_list(p, list, &t);
}

static cmdpol_verdict decide(const cmdpol *p, const toks *t) {
    cmdpol_verdict v = {.result = CMDPOL_NO_MATCH};

    if (match_list(p, CMDPOL_ALLOW, t)) {
        v.result = CMDPOL_ALLOWED;
        return v;
    }
    for (cmdpol_list l = CMDPOL_DENY; l <= CMDPOL_DEFAULT; l++) {
        v.rule = match_list(p, l, t);
        if (v.rule) {
            v.result = CMDPOL_BLOCKED;
            v.source = l;
            return v;
        }
    }
    return v;
}

cmdpol_verdict cmdpol_decide(const cmdpol *p, const cmdparse_segment *seg) {
    toks t = seg_toks(seg);
    return decide(p, &t);
}

/* Go: filepath.Base(strings.TrimSpace(path)); false when that is "", "." or "/". */
static bool exec_name(const char *path, const char **ret, size_t *ret_len) {
    size_t n;
    const char *b;

    if (!path)
        return false;
    path += strspn(path, " \t\n\r\v\f");
    n = strlen(path);
    while (n > 0 && strchr(" \t\n\r\v\f", path[n - 1]))
        n--;
    b = cmdparse_basename(path, n, ret_len);
    if (*ret_len == 1 && (b[0] == '.' || b[0] == '/'))
        return false;
    *ret = b;
    return true;
}

cmdpol_verdict cmdpol_decide_exec(const cmdpol *p, const char *exec_path, const char *resolved_path,
                                  const char *const *argv, size_t argc) {
    static const char *const empty[] = {""};
    cmdpol_verdict v = {.result = CMDPOL_NO_MATCH};
    toks t = {.argv = argc ? argv : empty, .n = argc ? argc : 1};
    const char *alt;
    size_t alt_len;

    if (!exec_name(exec_path, &t.name, &t.name_len) &&
        !(argc > 0 && exec_name(argv[0], &t.name, &t.name_len)))
        return v;
    v = decide(p, &t);
    if (v.result != CMDPOL_NO_MATCH || !exec_name(resolved_path, &alt, &alt_len))
        return v;
    if (alt_len == t.name_len && memcmp(alt, t.name, alt_len) == 0)
        return v;
    t.name = alt;
    t.name_len = alt_len;
    return decide(p, &t);
}

static bool deny_names(const cmdpol *p, const char *name, size_t len) {
    for (cmdpol_list l = CMDPOL_DENY; l <= CMDPOL_DEFAULT; l++)
        for (size_t i = 0; i < p->n_rules[l]; i++) {
            const cmdpol_rule *r = &p->rules[l][i];

            if (r->n > 0 && strlen(r->tok[0]) == len && memcmp(r->tok[0], name, len) == 0)
                return true;
        }
    return false;
}

bool cmdpol_exec_may_block(const cmdpol *p, const char *exec_path, const char *resolved_path,
                           const char *argv0) {
    const char *name;
    size_t len;

    /* the same names cmdpol_decide_exec() tries, in the same order */
    if (!exec_name(exec_path, &name, &len)) {
        if (!argv0)
            return true;
        if (!exec_name(argv0, &name, &len))
            return false;
    }
    if (deny_names(p, name, len))
        return true;
    return exec_name(resolved_path, &name, &len) && deny_names(p, name, len);
}

/* =============================================================================================
 * Messages
 */

int cmdpol_quote(fbuf *out, const char *s) {
    /* \xNN is the longest escape per input byte; two quotes and the NUL */
    size_t size = 4 * strlen(s) + 3;
    _cleanup_free_ char *q = malloc(size);

    if (!q)
        return -ENOMEM;
    return fbuf_puts(out, config_quote(q, size, s));
}

int cmdpol_format_exec(fbuf *out, const char *exec_path, const char *const *argv, size_t argc) {
    int r = fbuf_puts(out, "exec=");

    if (r >= 0)
        r = cmdpol_quote(out, exec_path ? exec_path : "");
    if (r >= 0)
        r = fbuf_puts(out, " argv=[");
    for (size_t i = 0; i < argc && r >= 0; i++) {
        if (i > 0)
            r = fbuf_puts(out, ", ");
        if (r >= 0)
            r = cmdpol_quote(out, argv[i]);
    }
    return r < 0 ? r : fbuf_putc(out, ']');
}

int cmdpol_format_exec_block(fbuf *out, const char *exec_path, const char *const *argv, size_t argc,
                             const cmdpol_verdict *v) {
    int r = fbuf_puts(out, "[fence:linux] Runtime exec policy blocked ");

    if (r >= 0)
        r = cmdpol_format_exec(out, exec_path, argv, argc);
    if (r >= 0)
        r = fbuf_puts(out, " matched=");
    if (r >= 0)
        r = cmdpol_quote(out, v->rule ? v->rule->text : "");
    if (r >= 0)
        r = fbuf_printf(out, " source=%s",
                        v->source == CMDPOL_DEFAULT ? "default" : "command.deny");
    return r;
}
