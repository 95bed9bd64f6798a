/* SPDX-License-Identifier: MIT */
/*
 * The command-string parser of the command policy. See cmdparse.h for what it understands and
 * what it leaves to the runtime.
 *
 * Parser structure: a recursive-descent reader over a `src` (one script text). parse_list()
 * reads commands separated by control operators; parse_command() reads the words and
 * redirections of one simple command (handling reserved words); lex_word() reads one word,
 * recording per character whether it was unquoted, quoted, or part of an expansion, and
 * descends into substitutions by calling parse_list() on the same text. When a simple command
 * ends, finalize() hands its words to process_form(), which emits it as a segment and unwraps
 * wrappers and nested shells. Every recursive step goes through depth_enter(), so nesting is
 * capped; every allocation comes from one arena with a hard budget.
 */
#include "policy/cmdparse.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fbuf.h"

/* =============================================================================================
 * Arena and parse context
 */

typedef struct achunk {
    struct achunk *next;
    size_t used, cap;
    char data[];
} achunk;

#define ARENA_CHUNK 65536u

struct cmdparse {
    achunk *chunks;
    cmdparse_segment *seg;
    size_t n_seg;
};

/* Per-character attributes of a word being built. */
enum { A_LIT = 0, A_QUOTED = 1, A_DYN = 2, A_DYNSTART = 3 };
#define IS_DYN(a) ((a) >= A_DYN)

typedef struct hdoc {
    const char *delim;
    size_t delim_len;
    bool quoted;     /* delimiter quoted: body is literal, no substitutions */
    bool strip_tabs; /* <<- */
    bool feed_shell; /* the body is the script of a shell reading stdin */
    bool read;       /* body/body_len are set */
    const char *body;
    size_t body_len;
} hdoc;

typedef struct src {
    const char *s;
    size_t len, pos;
    hdoc *hd; /* here-documents whose bodies follow the next newline: [next_hd, n_hd) */
    size_t n_hd, cap_hd, next_hd;
} src;

typedef struct pctx {
    achunk *chunks;
    size_t mem;
    cmdparse_segment *seg;
    size_t n_seg, cap_seg;
    size_t n_words;
    unsigned depth;
    int err;
    size_t steps, max_steps; /* every loop of the reader counts: re-reading is bounded */
    /* set by parse_list(): the literal output of the list when it is one command whose output
     * is known (echo/printf with literal arguments, cat of a here-document), else NULL */
    const char *static_out;
} pctx;

static int fail(pctx *c, int r) {
    if (c->err == 0)
        c->err = r;
    return c->err;
}

/* Makes room for one more element in a heap vector *v of *cap elements holding n (doubling,
 * starting at `first`, never beyond `max`: -ERANGE). */
static int grow(pctx *c, void *v, size_t *cap, size_t n, size_t elem, size_t first, size_t max) {
    void **vp = v, *nv;
    size_t ncap;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : first;
    if (ncap > max)
        return fail(c, -ERANGE);
    nv = realloc(*vp, ncap * elem);
    if (!nv)
        return fail(c, -ENOMEM);
    *vp = nv;
    *cap = ncap;
    return 0;
}

static void *xalloc(pctx *c, size_t n) {
    achunk *ch = c->chunks;
    size_t off;

    if (c->err)
        return NULL;
    n = (n + 7) & ~(size_t) 7;
    if (ch) {
        off = (ch->used + 7) & ~(size_t) 7;
        if (off + n <= ch->cap) {
            ch->used = off + n;
            return ch->data + off;
        }
    }
    {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

        if (c->mem + cap > CMDPARSE_MAX_MEMORY) {
            fail(c, -ENOBUFS);
            return NULL;
        }
        ch = malloc(sizeof(*ch) + cap);
        if (!ch) {
            fail(c, -ENOMEM);
            return NULL;
        }
        c->mem += cap;
        ch->cap = cap;
        ch->used = n;
        /* keep the partly used chunk in front when the new one is a one-off big block */
        if (c->chunks && cap == n) {
            ch->next = c->chunks->next;
            c->chunks->next = ch;
        } else {
            ch->next = c->chunks;
            c->chunks = ch;
        }
        return ch->data;
    }
}

static char *xstrndup(pctx *c, const char *s, size_t n) {
    char *p = xalloc(c, n + 1);

    if (!p)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void chunks_free(achunk *ch) {
    while (ch) {
        achunk *next = ch->next;
        free(ch);
        ch = next;
    }
}

/* One step of the reader. Some constructs are read twice (a script word: once as a word, once
 * as the script); the step budget bounds the total however they nest. */
static int step(pctx *c) {
    if (++c->steps > c->max_steps)
        return fail(c, -ETIMEDOUT);
    return c->err;
}

static int depth_enter(pctx *c) {
    if (c->err)
        return c->err;
    if (++c->depth > CMDPARSE_MAX_DEPTH)
        return fail(c, -ELOOP);
    return 0;
}

static void depth_leave(pctx *c) {
    c->depth--;
}

static inline int peek(const src *s, size_t k) {
    return s->pos + k < s->len ? (unsigned char) s->s[s->pos + k] : -1;
}

static bool is_name_start(int ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool is_name_char(int ch) {
    return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

static bool is_blank(int ch) {
    return ch == ' ' || ch == '\t';
}

/* Characters that end an unquoted word. */
static bool is_meta(int ch) {
    return ch < 0 || ch == ' ' || ch == '\t' || ch == '\n' || ch == ';' || ch == '&' || ch == '|' ||
           ch == '(' || ch == ')' || ch == '<' || ch == '>';
}

/* Skips blanks and backslash-newline continuations. */
static void skip_blanks(src *s) {
    for (;;) {
        int ch = peek(s, 0);

        if (is_blank(ch))
            s->pos++;
        else if (ch == '\\' && peek(s, 1) == '\n')
            s->pos += 2;
        else
            return;
    }
}

static void skip_comment(src *s) {
    while (s->pos < s->len && s->s[s->pos] != '\n')
        s->pos++;
}

/* =============================================================================================
 * Words under construction
 */

typedef struct wbuf {
    char *c;
    uint8_t *a;
    size_t n, cap;
    bool active; /* a word has started (even an empty "" one) */
    bool quoted;
    size_t start; /* offset in the src where it started */
} wbuf;

static void wb_init(wbuf *w, size_t start) {
    *w = (wbuf){.start = start};
}

static void wb_done(wbuf *w) {
    free(w->c);
    free(w->a);
    *w = (wbuf){0};
}

static void wb_reset(wbuf *w, size_t start) {
    w->n = 0;
    w->active = false;
    w->quoted = false;
    w->start = start;
}

static int wb_put(pctx *c, wbuf *w, char ch, uint8_t attr) {
    if (!w)
        return 0;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        char *nc;
        uint8_t *na;

        if (cap > CMDPARSE_MAX_WORD)
            return fail(c, -ENOBUFS);
        nc = realloc(w->c, cap);
        if (!nc)
            return fail(c, -ENOMEM);
        w->c = nc;
        na = realloc(w->a, cap);
        if (!na)
            return fail(c, -ENOMEM);
        w->a = na;
        w->cap = cap;
    }
    w->c[w->n] = ch;
    w->a[w->n] = attr;
    w->n++;
    w->active = true;
    return 0;
}

/* Appends raw source text of an expansion; the first character marks where it starts. */
static int wb_put_dyn(pctx *c, wbuf *w, const char *p, size_t n) {
    if (!w)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int r = wb_put(c, w, p[i], i == 0 ? A_DYNSTART : A_DYN);
        if (r < 0)
            return r;
    }
    if (n == 0)
        w->active = true;
    return 0;
}

static int wb_put_utf8(pctx *c, wbuf *w, uint32_t cp) {
    char b[4];
    size_t n;
    int r = 0;

    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        b[0] = (char) cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char) (0xc0 | (cp >> 6));
        b[1] = (char) (0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char) (0xe0 | (cp >> 12));
        b[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char) (0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char) (0xf0 | (cp >> 18));
        b[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char) (0x80 | (cp & 0x3f));
        n = 4;
    }
    for (size_t i = 0; i < n && r >= 0; i++)
        r = wb_put(c, w, b[i], A_QUOTED);
    return r;
}

/* True when the word holds exactly `kw`, unquoted and without expansions. */
static bool wb_is(const wbuf *w, const char *kw) {
    size_t n = strlen(kw);

    if (!w->active || w->quoted || w->n != n || memcmp(w->c, kw, n) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (w->a[i] != A_LIT)
            return false;
    return true;
}

/* =============================================================================================
 * Simple commands under construction and what they tell the enclosing pipeline
 */

typedef struct cframe {
    cmdparse_word *w;
    size_t n, cap;
    const char *herestring; /* text of a <<< word */
    size_t hd_first, hd_count;
    bool stdin_redirect;
    bool assign_pos; /* every word so far was an assignment */
    bool spanned;    /* span_start/span_end hold the command's source text */
    size_t span_start, span_end;
} cframe;

typedef struct cmdinfo {
    bool stdin_shell;     /* a shell reading its script from the pipe */
    const char *out_text; /* literal standard output (echo, printf, cat <<<) */
    long out_hd;          /* here-document that is its standard output (cat <<EOF), or -1 */
} cmdinfo;

/* What process_form() learnt about the innermost command of one simple command. */
typedef struct formstate {
    bool stdin_shell;
    bool cat;
    const char *out_text;
} formstate;

enum { STOP_RPAREN = 1u << 0, STOP_CASE = 1u << 1 };
enum { LIST_END = 0, LIST_ESAC = 1, LIST_CASE_ITEM = 2 };

static int parse_list(pctx *c, src *s, unsigned stop);
static int parse_script(pctx *c, const char *text, size_t len);
static int lex_dollar(pctx *c, src *s, wbuf *w, cframe *cf, bool quoted);
static int lex_backtick(pctx *c, src *s, wbuf *w, cframe *cf, bool in_dquote);
static int scan_dquote(pctx *c, src *s, wbuf *w);
static int word_finish(pctx *c, src *s, wbuf *w, cframe *cf);
static int process_form(pctx *c, formstate *fs, cmdparse_word *W, size_t a, size_t b);

/* =============================================================================================
 * Lexer
 */

/* An unquoted $IFS / ${IFS…} ends the current word, as field splitting with the default IFS
 * does: `git${IFS}push` runs `git push`. */
static int wb_break(pctx *c, src *s, wbuf *w, cframe *cf) {
    int r = 0;

    if (!w)
        return 0;
    if (w->active)
        r = cf ? word_finish(c, s, w, cf) : 0;
    wb_reset(w, s->pos);
    return r;
}

/* Decodes $'…' (ANSI-C quoting). s->pos is at the '$'. */
static int lex_ansi(pctx *c, src *s, wbuf *w) {
    bool nul = false;
    int ch, r = 0;

    s->pos += 2;
    if (w) {
        w->quoted = true;
        w->active = true;
    }
    while (r >= 0 && (ch = peek(s, 0)) >= 0 && ch != '\'') {
        uint32_t v;

        s->pos++;
        if (ch != '\\') {
            if (!nul)
                r = wb_put(c, w, (char) ch, A_QUOTED);
            continue;
        }
        ch = peek(s, 0);
        if (ch < 0)
            break;
        s->pos++;
        switch (ch) {
        case 'a':
            v = 7;
            break;
        case 'b':
            v = 8;
            break;
        case 'e':
        case 'E':
            v = 27;
            break;
        case 'f':
            v = 12;
            break;
        case 'n':
            v = 10;
            break;
        case 'r':
            v = 13;
            break;
        case 't':
            v = 9;
            break;
        case 'v':
            v = 11;
            break;
        case 'c':
            if (peek(s, 0) < 0)
                continue;
            v = (uint32_t) peek(s, 0) & 0x1f;
            s->pos++;
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
            v = (uint32_t) (ch - '0');
            for (int k = 0; k < 2 && peek(s, 0) >= '0' && peek(s, 0) <= '7'; k++)
                v = v * 8 + (uint32_t) (peek(s, 0) - '0'), s->pos++;
            v &= 0xff;
            break;
        case 'x':
        case 'u':
        case 'U': {
            int max = ch == 'x' ? 2 : ch == 'u' ? 4 : 8, k;

            v = 0;
            for (k = 0; k < max; k++) {
                int h = peek(s, 0);
                if (h >= '0' && h <= '9')
                    v = v * 16 + (uint32_t) (h - '0');
                else if (h >= 'a' && h <= 'f')
                    v = v * 16 + (uint32_t) (h - 'a' + 10);
                else if (h >= 'A' && h <= 'F')
                    v = v * 16 + (uint32_t) (h - 'A' + 10);
                else
                    break;
                s->pos++;
            }
            if (k == 0) { /* no digits: kept as written */
                if (!nul) {
                    r = wb_put(c, w, '\\', A_QUOTED);
                    if (r >= 0)
                        r = wb_put(c, w, (char) ch, A_QUOTED);
                }
                continue;
            }
            if (ch != 'x') {
                if (v == 0)
                    nul = true;
                else if (!nul)
                    r = wb_put_utf8(c, w, v);
                continue;
            }
            break;
        }
        case '\\':
        case '\'':
        case '"':
        case '?':
            v = (uint32_t) ch;
            break;
        default:
            if (!nul) {
                r = wb_put(c, w, '\\', A_QUOTED);
                if (r >= 0)
                    r = wb_put(c, w, (char) ch, A_QUOTED);
            }
            continue;
        }
        if (v == 0)
            nul = true; /* bash ends the string at a NUL */
        else if (!nul)
            r = wb_put(c, w, (char) v, A_QUOTED);
    }
    if (peek(s, 0) == '\'')
        s->pos++;
    return r < 0 ? r : c->err;
}

/* After `$((` or `((` (pos at the text inside): does the first unmatched ')' come doubled, as
 * arithmetic ends, or single, as `$((a) b)` (a subshell in a substitution)? One linear pass
 * over quotes and parentheses, so that the choice never needs a second parse. */
static bool is_arithmetic(const src *s, size_t pos) {
    size_t level = 0;

    while (pos < s->len) {
        char ch = s->s[pos];

        if (ch == '\\') {
            pos += 2;
            continue;
        }
        if (ch == '\'' || ch == '"' || ch == '`') {
            for (pos++; pos < s->len && s->s[pos] != ch; pos++)
                if (s->s[pos] == '\\' && ch != '\'')
                    pos++;
        } else if (ch == '(')
            level++;
        else if (ch == ')') {
            if (level == 0)
                return pos + 1 < s->len && s->s[pos + 1] == ')';
            level--;
        }
        pos++;
    }
    return false; /* unterminated: read the text as commands */
}

/* One step over text that is scanned, not split into words (arithmetic, ${…} operands, array
 * values, here-document bodies): skips an escape, or a quoted string (single quotes only when
 * `squote`), and reads a substitution (its commands are parsed). Returns 1 when it consumed
 * something, 0 when the caller handles the character, or an error. */
static int scan_one(pctx *c, src *s, bool squote, bool dquote) {
    int ch = peek(s, 0), r;

    switch (ch) {
    case '\\':
        s->pos += peek(s, 1) >= 0 ? 2 : 1;
        return 1;
    case '\'':
        if (!squote)
            return 0;
        s->pos++;
        while (peek(s, 0) >= 0 && peek(s, 0) != '\'')
            s->pos++;
        if (peek(s, 0) == '\'')
            s->pos++;
        return 1;
    case '"':
        if (!dquote)
            return 0;
        s->pos++;
        r = scan_dquote(c, s, NULL);
        return r < 0 ? r : 1;
    case '$':
        r = lex_dollar(c, s, NULL, NULL, true);
        return r < 0 ? r : 1;
    case '`':
        r = lex_backtick(c, s, NULL, NULL, false);
        return r < 0 ? r : 1;
    default:
        return 0;
    }
}

/* Scans a balanced region after an opening delimiter: arithmetic $(( … )), (( … )), $[ … ],
 * parameter expansions ${ … } and array values ( … ), up to the matching `close` (doubled when
 * `double_close`) or the end. */
static int scan_nested(pctx *c, src *s, int open, int close, bool double_close) {
    int level = 0, r = depth_enter(c);

    if (r < 0)
        return r;
    while (step(c) >= 0) {
        int ch = peek(s, 0);

        if (ch < 0)
            break;
        r = scan_one(c, s, true, true);
        if (r < 0)
            break;
        if (r > 0)
            continue;
        s->pos++;
        if (ch == open)
            level++;
        else if (ch == close && level > 0)
            level--;
        else if (ch == close) {
            if (double_close && peek(s, 0) == close)
                s->pos++;
            break;
        }
    }
    depth_leave(c);
    return c->err; /* every failure is recorded there */
}

/* $( … ), <( … ), >( … ): the commands inside are parsed in place. s->pos is after the '('. */
static int lex_cmdsubst(pctx *c, src *s) {
    int r = depth_enter(c);

    if (r < 0)
        return r;
    r = parse_list(c, s, STOP_RPAREN);
    depth_leave(c);
    return r < 0 ? r : c->err;
}

/* Appends a substitution to the word: its literal output when parse_list() found it (trailing
 * newlines removed; field-split on blanks and newlines when unquoted, as the shell does), else
 * the raw text as an expansion. */
static int put_subst(pctx *c, src *s, wbuf *w, cframe *cf, bool quoted, const char *out,
                     size_t start) {
    size_t n;
    int r = 0;

    if (!w)
        return 0;
    if (!out)
        return wb_put_dyn(c, w, s->s + start, s->pos - start);
    n = strlen(out);
    while (n > 0 && out[n - 1] == '\n')
        n--;
    if (quoted)
        w->active = true;
    for (size_t i = 0; i < n && r >= 0; i++) {
        if (!quoted && (out[i] == ' ' || out[i] == '\t' || out[i] == '\n'))
            r = wb_break(c, s, w, cf);
        else
            r = wb_put(c, w, out[i], A_QUOTED); /* results are not globbed or brace-expanded */
    }
    return r < 0 ? r : c->err;
}

/* Everything after '$'. `quoted`: inside double quotes or a scan (no $'', no IFS splitting). */
static int lex_dollar(pctx *c, src *s, wbuf *w, cframe *cf, bool quoted) {
    size_t start = s->pos;
    int n = peek(s, 1), r = 0;

    if (n == '\'' && !quoted)
        return lex_ansi(c, s, w);
    if (n == '"' && !quoted) { /* $"…": locale translation, otherwise a double-quoted string */
        s->pos += 2;
        if (w) {
            w->quoted = true;
            w->active = true;
        }
        return scan_dquote(c, s, w);
    }
    if (n == '(') {
        if (peek(s, 2) == '(' && is_arithmetic(s, s->pos + 3)) {
            s->pos += 3;
            r = scan_nested(c, s, '(', ')', true);
            if (r < 0)
                return r;
            return wb_put_dyn(c, w, s->s + start, s->pos - start);
        }
        s->pos += 2;
        r = lex_cmdsubst(c, s);
        if (r < 0)
            return r;
        return put_subst(c, s, w, cf, quoted, c->static_out, start);
    }
    if (n == '{') {
        bool ifs;

        s->pos += 2;
        ifs = !quoted && s->len - s->pos >= 3 && memcmp(s->s + s->pos, "IFS", 3) == 0 &&
              !is_name_char(peek(s, 3));
        r = scan_nested(c, s, '{', '}', false); /* ${…}: braces nest */
        if (r < 0)
            return r;
        if (ifs)
            return wb_break(c, s, w, cf);
        return wb_put_dyn(c, w, s->s + start, s->pos - start);
    }
    if (n == '[') {
        s->pos += 2;
        r = scan_nested(c, s, '[', ']', false);
        if (r < 0)
            return r;
        return wb_put_dyn(c, w, s->s + start, s->pos - start);
    }
    if (is_name_start(n)) {
        s->pos++;
        while (is_name_char(peek(s, 0)))
            s->pos++;
        if (!quoted && s->pos - start == 4 && memcmp(s->s + start + 1, "IFS", 3) == 0)
            return wb_break(c, s, w, cf);
        return wb_put_dyn(c, w, s->s + start, s->pos - start);
    }
    if ((n >= '0' && n <= '9') || (n > 0 && strchr("@*#?-$!", n))) {
        s->pos += 2;
        return wb_put_dyn(c, w, s->s + start, s->pos - start);
    }
    s->pos++;
    return wb_put(c, w, '$', quoted ? A_QUOTED : A_LIT);
}

/* `…`: the text between the backquotes, with \` \\ \$ (and \" inside double quotes)
 * unescaped, is a script of its own. */
static int lex_backtick(pctx *c, src *s, wbuf *w, cframe *cf, bool in_dquote) {
    size_t start = s->pos, end, n = 0;
    char *text;
    int r;

    for (end = start + 1; end < s->len && s->s[end] != '`'; end++)
        if (s->s[end] == '\\' && end + 1 < s->len)
            end++;
    text = xalloc(c, end - start);
    if (!text)
        return c->err;
    for (s->pos = start + 1; s->pos < end; s->pos++) {
        int ch = peek(s, 0), nx = peek(s, 1);

        if (ch == '\\' && (nx == '`' || nx == '\\' || nx == '$' || (in_dquote && nx == '"')))
            text[n++] = (char) nx, s->pos++;
        else
            text[n++] = (char) ch;
    }
    text[n] = '\0';
    if (s->pos < s->len)
        s->pos++; /* the closing backquote */
    r = parse_script(c, text, n);
    if (r < 0)
        return r;
    return put_subst(c, s, w, cf, in_dquote, c->static_out, start);
}

/* Inside "…" (s->pos after the opening quote). */
static int scan_dquote(pctx *c, src *s, wbuf *w) {
    int r = depth_enter(c);

    if (r < 0)
        return r;
    while (r >= 0) {
        int ch = peek(s, 0), nx;

        if (step(c) < 0)
            break;
        if (ch < 0)
            break;
        if (ch == '"') {
            s->pos++;
            break;
        }
        if (ch == '\\') {
            nx = peek(s, 1);
            if (nx == '$' || nx == '`' || nx == '"' || nx == '\\') {
                r = wb_put(c, w, (char) nx, A_QUOTED);
                s->pos += 2;
            } else if (nx == '\n') {
                s->pos += 2;
            } else {
                r = wb_put(c, w, '\\', A_QUOTED);
                s->pos++;
            }
        } else if (ch == '$') {
            r = lex_dollar(c, s, w, NULL, true);
        } else if (ch == '`') {
            r = lex_backtick(c, s, w, NULL, true);
        } else {
            r = wb_put(c, w, (char) ch, A_QUOTED);
            s->pos++;
        }
    }
    depth_leave(c);
    return r < 0 ? r : c->err;
}

/* The word so far is `NAME=` or `NAME+=` (the start of an array assignment `NAME=(…)`). */
static bool wb_is_array_assign(const wbuf *w) {
    size_t n = w->n;

    if (n < 2 || w->c[n - 1] != '=' || w->a[n - 1] != A_LIT)
        return false;
    n--;
    if (w->c[n - 1] == '+')
        n--;
    if (n == 0 || !is_name_start((unsigned char) w->c[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (w->a[i] != A_LIT || !is_name_char((unsigned char) w->c[i]))
            return false;
    return true;
}

/* Reads one word at s->pos, which the caller checked is not a metacharacter. */
static int lex_word(pctx *c, src *s, wbuf *w, cframe *cf) {
    int r = 0;

    while (r >= 0 && !c->err) {
        int ch = peek(s, 0), nx = peek(s, 1);
        size_t start = s->pos;

        if (step(c) < 0)
            break;
        switch (ch) {
        case -1:
        case ' ':
        case '\t':
        case '\n':
        case ';':
        case '&':
        case '|':
        case ')':
            return c->err;
        case '(':
            if (!wb_is_array_assign(w))
                return c->err;
            s->pos++;
            r = scan_nested(c, s, '(', ')', false);
            if (r >= 0)
                r = wb_put_dyn(c, w, s->s + start, s->pos - start);
            break;
        case '<':
        case '>':
            if (nx != '(')
                return c->err;
            s->pos += 2; /* process substitution */
            r = lex_cmdsubst(c, s);
            if (r >= 0)
                r = wb_put_dyn(c, w, s->s + start, s->pos - start);
            break;
        case '\\':
            if (nx == '\n') {
                s->pos += 2;
            } else if (nx < 0) {
                s->pos++;
                r = wb_put(c, w, '\\', A_QUOTED);
            } else {
                s->pos += 2;
                w->quoted = true;
                r = wb_put(c, w, (char) nx, A_QUOTED);
            }
            break;
        case '\'':
            s->pos++;
            w->quoted = true;
            w->active = true;
            while (r >= 0 && (ch = peek(s, 0)) >= 0 && ch != '\'') {
                r = wb_put(c, w, (char) ch, A_QUOTED);
                s->pos++;
            }
            if (peek(s, 0) == '\'')
                s->pos++;
            break;
        case '"':
            s->pos++;
            w->quoted = true;
            w->active = true;
            r = scan_dquote(c, s, w);
            break;
        case '$':
            r = lex_dollar(c, s, w, cf, false);
            break;
        case '`':
            r = lex_backtick(c, s, w, cf, false);
            break;
        default:
            s->pos++;
            r = wb_put(c, w, (char) ch, A_LIT);
            break;
        }
    }
    return r < 0 ? r : c->err;
}

/* =============================================================================================
 * Words: brace expansion, patterns, assignments
 */

static bool is_assignment(const char *ch, const uint8_t *at, size_t n) {
    size_t i = 0;

    if (n == 0 || at[0] != A_LIT || !is_name_start((unsigned char) ch[0]))
        return false;
    while (i < n && at[i] == A_LIT && is_name_char((unsigned char) ch[i]))
        i++;
    if (i < n && ch[i] == '[' && at[i] == A_LIT) { /* a[i]=v */
        while (i < n && !(ch[i] == ']' && at[i] == A_LIT))
            i++;
        if (i < n)
            i++;
    }
    if (i < n && ch[i] == '+' && at[i] == A_LIT)
        i++;
    return i < n && ch[i] == '=' && at[i] == A_LIT;
}

/* NAME=value as text (env and sudo arguments, where the text is all we have). */
static bool text_is_assignment(const cmdparse_word *w) {
    const char *t = w->text;

    if (w->pattern || !is_name_start((unsigned char) t[0]))
        return false;
    while (is_name_char((unsigned char) *t))
        t++;
    return *t == '=';
}

static int cframe_push(pctx *c, cframe *cf, const cmdparse_word *word) {
    int r = grow(c, &cf->w, &cf->cap, cf->n, sizeof(*cf->w), 8, CMDPARSE_MAX_WORDS);

    if (r < 0)
        return r;
    cf->w[cf->n++] = *word;
    return 0;
}

static int add_word(pctx *c, src *s, const wbuf *w, cframe *cf, const char *ch, const uint8_t *at,
                    size_t n) {
    cmdparse_word word = {.src = s->s, .start = w->start, .end = s->pos};
    bool glob = false, dyn = false, lit = false;
    char *text, *pat;

    if (w->quoted)
        word.flags |= CMDPARSE_WORD_QUOTED;
    for (size_t i = 0; i < n; i++) {
        bool wild = at[i] == A_LIT && (ch[i] == '*' || ch[i] == '?');

        if (IS_DYN(at[i]))
            dyn = true;
        else if (!wild)
            lit = true; /* a word of only wildcards (`*`, `$x`) says nothing about its text */
        if (wild || (at[i] == A_LIT && ch[i] == '['))
            glob = true;
    }
    text = xstrndup(c, ch, n);
    if (!text)
        return c->err;
    word.text = text;
    if (dyn)
        word.flags |= CMDPARSE_WORD_DYNAMIC;
    if (glob)
        word.flags |= CMDPARSE_WORD_GLOB;
    if (lit || n == 0)
        word.flags |= CMDPARSE_WORD_LITERAL;
    if (dyn || glob) {
        size_t k = 0;
        bool star = false;

        pat = xalloc(c, 2 * n + 1);
        if (!pat)
            return c->err;
        for (size_t i = 0; i < n; i++) {
            if (IS_DYN(at[i])) {
                if (!star)
                    pat[k++] = '*';
                star = true;
                continue;
            }
            star = false;
            if (at[i] == A_QUOTED && strchr("*?[]\\", ch[i]))
                pat[k++] = '\\';
            pat[k++] = ch[i];
        }
        pat[k] = '\0';
        word.pattern = pat;
    }
    if (cf->assign_pos && is_assignment(ch, at, n))
        word.flags |= CMDPARSE_WORD_ASSIGN;
    else
        cf->assign_pos = false;
    return cframe_push(c, cf, &word);
}

typedef struct bexp {
    pctx *c;
    src *s;
    const wbuf *w;
    cframe *cf;
    size_t count; /* words produced */
    size_t bytes; /* bytes copied on the way: long words stop expanding early */
} bexp;

#define SEQ_MAX 1000000000000L /* keeps a..b..step arithmetic far from overflow */

/* A sequence expression a..b[..step] with integers or single letters. */
static bool parse_seq(const char *p, size_t n, long *ret_a, long *ret_b, long *ret_step,
                      bool *ret_chars) {
    char buf[64], *dots, *dots2, *end;
    long a, b, step = 1;

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    dots = strstr(buf, "..");
    if (!dots)
        return false;
    *dots = '\0';
    dots2 = strstr(dots + 2, "..");
    if (dots2) {
        *dots2 = '\0';
        errno = 0;
        step = strtol(dots2 + 2, &end, 10);
        if (*end || errno || dots2[2] == '\0' || step > SEQ_MAX || step < -SEQ_MAX)
            return false;
        if (step < 0)
            step = -step;
        if (step == 0)
            step = 1;
    }
    if (strlen(buf) == 1 && strlen(dots + 2) == 1 && !(buf[0] >= '0' && buf[0] <= '9') &&
        !(dots[2] >= '0' && dots[2] <= '9')) {
        if (!((buf[0] >= 'a' && buf[0] <= 'z') || (buf[0] >= 'A' && buf[0] <= 'Z')) ||
            !((dots[2] >= 'a' && dots[2] <= 'z') || (dots[2] >= 'A' && dots[2] <= 'Z')))
            return false;
        *ret_a = (unsigned char) buf[0];
        *ret_b = (unsigned char) dots[2];
        *ret_chars = true;
    } else {
        errno = 0;
        a = strtol(buf, &end, 10);
        if (*end || errno || buf[0] == '\0' || a > SEQ_MAX || a < -SEQ_MAX)
            return false;
        b = strtol(dots + 2, &end, 10);
        if (*end || errno || dots[2] == '\0' || b > SEQ_MAX || b < -SEQ_MAX)
            return false;
        *ret_a = a;
        *ret_b = b;
        *ret_chars = false;
    }
    *ret_step = step;
    return true;
}

static int brace_expand(bexp *e, const char *ch, const uint8_t *at, size_t n, unsigned lvl);

/* Expands prefix + alternative + suffix. */
static int brace_alt(bexp *e, const char *ch, const uint8_t *at, size_t n, size_t open,
                     size_t close, const char *alt, const uint8_t *alt_at, size_t alt_n,
                     unsigned lvl) {
    size_t len = open + alt_n + (n - close - 1);
    _cleanup_free_ char *nc = NULL;
    _cleanup_free_ uint8_t *na = NULL;

    e->bytes += len;
    if (e->bytes > CMDPARSE_BRACE_BYTES) {
        e->count = CMDPARSE_BRACE_MAX; /* as if capped: the words so far stay */
        return 0;
    }
    nc = malloc(len + 1);
    na = malloc(len + 1);
    if (!nc || !na)
        return fail(e->c, -ENOMEM);
    memcpy(nc, ch, open);
    memcpy(na, at, open);
    memcpy(nc + open, alt, alt_n);
    memcpy(na + open, alt_at, alt_n);
    memcpy(nc + open + alt_n, ch + close + 1, n - close - 1);
    memcpy(na + open + alt_n, at + close + 1, n - close - 1);
    return brace_expand(e, nc, na, len, lvl + 1);
}

/* Returns 1 when the braces at [open, close] were expanded, 0 when they are literal. */
static int brace_try(bexp *e, const char *ch, const uint8_t *at, size_t n, size_t open,
                     size_t close, unsigned lvl) {
    size_t commas = 0, level = 0, from = open + 1;
    long a, b, step;
    bool chars;
    int r;

    for (size_t i = open + 1; i < close; i++) {
        if (at[i] != A_LIT)
            continue;
        if (ch[i] == '{')
            level++;
        else if (ch[i] == '}')
            level--;
        else if (ch[i] == ',' && level == 0)
            commas++;
    }
    if (commas > 0) {
        level = 0;
        for (size_t i = open + 1; i <= close; i++) {
            bool sep = i == close;

            if (!sep && at[i] == A_LIT) {
                if (ch[i] == '{')
                    level++;
                else if (ch[i] == '}')
                    level--;
                else if (ch[i] == ',' && level == 0)
                    sep = true;
            }
            if (!sep)
                continue;
            r = brace_alt(e, ch, at, n, open, close, ch + from, at + from, i - from, lvl);
            if (r < 0 || e->count >= CMDPARSE_BRACE_MAX)
                return r < 0 ? r : 1;
            from = i + 1;
        }
        return 1;
    }
    for (size_t i = open + 1; i < close; i++)
        if (at[i] != A_LIT)
            return 0;
    if (!parse_seq(ch + open + 1, close - open - 1, &a, &b, &step, &chars))
        return 0;
    for (long v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step) {
        char item[32];
        uint8_t item_at[32];
        size_t k;

        if (chars) {
            item[0] = (char) v;
            k = 1;
        } else
            k = (size_t) snprintf(item, sizeof(item), "%ld", v);
        memset(item_at, A_LIT, k);
        r = brace_alt(e, ch, at, n, open, close, item, item_at, k, lvl);
        if (r < 0 || e->count >= CMDPARSE_BRACE_MAX)
            return r < 0 ? r : 1;
    }
    return 1;
}

/* The brace pair to expand first: the expandable pair (a top-level comma, or a sequence) that
 * opens leftmost. One pass with a stack, so that `{{{…}}}` stays linear. Returns 1 and the pair,
 * 0 when there is none, -ENOMEM. */
static int brace_find(const char *ch, const uint8_t *at, size_t n, size_t *ret_open,
                      size_t *ret_close) {
    struct open {
        size_t at;
        bool comma;
    } *stack = NULL;
    size_t depth = 0, best = SIZE_MAX, best_close = 0;

    for (size_t i = 0; i < n; i++) {
        if (at[i] != A_LIT)
            continue;
        if (ch[i] == '{') {
            if (!stack) {
                stack = malloc(n * sizeof(*stack));
                if (!stack)
                    return -ENOMEM;
            }
            stack[depth++] = (struct open){.at = i};
        } else if (ch[i] == ',' && depth > 0) {
            stack[depth - 1].comma = true;
        } else if (ch[i] == '}' && depth > 0) {
            struct open o = stack[--depth];
            long a, b, step;
            bool chars, expandable = o.comma;

            if (!expandable && i - o.at - 1 < 64) {
                expandable = true;
                for (size_t k = o.at + 1; k < i; k++)
                    expandable = expandable && at[k] == A_LIT;
                expandable =
                        expandable && parse_seq(ch + o.at + 1, i - o.at - 1, &a, &b, &step, &chars);
            }
            if (expandable && o.at < best) {
                best = o.at;
                best_close = i;
            }
        }
    }
    free(stack);
    if (best == SIZE_MAX)
        return 0;
    *ret_open = best;
    *ret_close = best_close;
    return 1;
}

static int brace_expand(bexp *e, const char *ch, const uint8_t *at, size_t n, unsigned lvl) {
    size_t open, close;
    int r;

    if (e->count >= CMDPARSE_BRACE_MAX)
        return 0; /* the rest is dropped: the first words are the ones rules look at */
    if (lvl < CMDPARSE_MAX_DEPTH) {
        r = brace_find(ch, at, n, &open, &close);
        if (r < 0)
            return fail(e->c, r);
        if (r > 0) {
            r = brace_try(e, ch, at, n, open, close, lvl);
            if (r != 0)
                return r < 0 ? r : 0;
        }
    }
    e->count++;
    return add_word(e->c, e->s, e->w, e->cf, ch, at, n);
}

static bool wb_has_brace(const wbuf *w) {
    for (size_t i = 0; i < w->n; i++)
        if (w->a[i] == A_LIT && w->c[i] == '{')
            return true;
    return false;
}

/* Completes the word: brace-expands it and appends the result to the command (or drops it
 * when there is no command, e.g. a case pattern). */
static int word_finish(pctx *c, src *s, wbuf *w, cframe *cf) {
    int r = 0;

    if (w->active && cf) {
        if (wb_has_brace(w) && !(cf->assign_pos && is_assignment(w->c, w->a, w->n))) {
            bexp e = {.c = c, .s = s, .w = w, .cf = cf};
            r = brace_expand(&e, w->c, w->a, w->n, 0);
        } else
            r = add_word(c, s, w, cf, w->c, w->a, w->n);
    }
    wb_reset(w, s->pos);
    return r < 0 ? r : c->err;
}

/* =============================================================================================
 * Segments
 */

const char *cmdparse_basename(const char *p, size_t n, size_t *ret_len) {
    size_t end = n, start;

    while (end > 0 && p[end - 1] == '/')
        end--;
    if (n == 0) {
        *ret_len = 1;
        return ".";
    }
    if (end == 0) {
        *ret_len = 1;
        return "/";
    }
    start = end;
    while (start > 0 && p[start - 1] != '/')
        start--;
    *ret_len = end - start;
    return p + start;
}

static int seg_name(pctx *c, cmdparse_segment *seg) {
    const cmdparse_word *w = &seg->words[0];
    const char *p;
    size_t len;
    bool lit = false;

    if (!w->pattern) {
        seg->name = cmdparse_basename(w->text, strlen(w->text), &seg->name_len);
        return 0;
    }
    if (!(w->flags & CMDPARSE_WORD_LITERAL))
        return 0; /* `$cmd`: unknown */
    p = cmdparse_basename(w->pattern, strlen(w->pattern), &len);
    for (size_t i = 0; i < len; i++)
        if (p[i] != '*' && p[i] != '?')
            lit = true;
    if (!lit)
        return 0; /* `$dir/$tool`, `/usr/bin/` + glob star: unknown */
    seg->name = xstrndup(c, p, len);
    if (!seg->name)
        return c->err;
    seg->name_len = len;
    seg->name_is_pattern = true;
    return 0;
}

/* The text a segment is shown with: the source span when its words are contiguous in one
 * script, else the words joined with spaces. */
static const char *seg_text(pctx *c, const cmdparse_word *W, size_t n) {
    bool span = true;
    size_t len = 0;
    char *t, *p;

    if (!W[0].src)
        span = false;
    for (size_t i = 1; i < n && span; i++)
        if (W[i].src != W[0].src || W[i].start < W[i - 1].start)
            span = false;
    if (span && W[n - 1].end >= W[0].start)
        return xstrndup(c, W[0].src + W[0].start, W[n - 1].end - W[0].start);
    for (size_t i = 0; i < n; i++)
        len += strlen(W[i].text) + 1;
    t = p = xalloc(c, len + 1);
    if (!t)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(W[i].text);

        if (i > 0)
            *p++ = ' ';
        memcpy(p, W[i].text, k);
        p += k;
    }
    *p = '\0';
    return t;
}

static int emit(pctx *c, const cmdparse_word *W, size_t n, const char *text) {
    cmdparse_segment seg = {.words = W, .n_words = n, .text = text};
    int r;

    if (n == 0)
        return 0;
    if (c->n_seg > 0 && c->seg[c->n_seg - 1].words == W && c->seg[c->n_seg - 1].n_words == n)
        return 0;
    if (c->n_seg >= CMDPARSE_MAX_SEGMENTS)
        return fail(c, -ERANGE);
    c->n_words += n;
    if (c->n_words > CMDPARSE_MAX_WORDS)
        return fail(c, -ERANGE);
    if (!seg.text)
        seg.text = seg_text(c, W, n);
    if (!seg.text)
        return c->err;
    r = seg_name(c, &seg);
    if (r < 0)
        return r;
    r = grow(c, &c->seg, &c->cap_seg, c->n_seg, sizeof(*c->seg), 16, 2 * CMDPARSE_MAX_SEGMENTS);
    if (r < 0)
        return r;
    c->seg[c->n_seg++] = seg;
    return 0;
}

/* =============================================================================================
 * Unwrapping: wrappers, nested shells, eval, find -exec
 */

/* Option parsing of a wrapper, getopt style, stopping at the first operand. */
typedef struct wrapper {
    const char *name;
    const char *req;         /* short options that take a value (attached or next word) */
    const char *opt;         /* short options with an optional attached value */
    const char *const *lreq; /* long options that take a value (--x V or --x=V) */
    unsigned char skip;      /* operands before the command (timeout's DURATION) */
    unsigned char kind;
} wrapper;

enum {
    WK_PLAIN,
    WK_ENV,     /* -S splits a string; NAME=value operands */
    WK_SUDO,    /* NAME=value operands; -e edits files */
    WK_COMMAND, /* -v / -V only describe */
    WK_XARGS,
    WK_FLOCK, /* FILE then a command or -c SCRIPT */
    WK_WATCH, /* the operands joined are a script, unless -x */
    WK_SU,    /* -c SCRIPT; runuser -u USER CMD */
    WK_SCRIPT /* script -c SCRIPT */
};

static const char *const l_env[] = {"unset", "chdir", "split-string", NULL};
static const char *const l_sudo[] = {"user",       "group",  "close-from", "chdir",
                                     "prompt",     "role",   "type",       "command-timeout",
                                     "other-user", "chroot", "host",       NULL};
static const char *const l_nice[] = {"adjustment", NULL};
static const char *const l_timeout[] = {"signal", "kill-after", NULL};
static const char *const l_time[] = {"format", "output", NULL};
static const char *const l_xargs[] = {"arg-file",  "delimiter",        "max-args", "max-procs",
                                      "max-chars", "process-slot-var", NULL};
static const char *const l_stdbuf[] = {"input", "output", "error", NULL};
static const char *const l_flock[] = {"timeout", "wait", "conflict-exit-code", "command", NULL};
static const char *const l_su[] = {
        "command", "group", "supp-group", "shell", "user", "whitelist-environment", NULL};
static const char *const l_script[] = {"command",        "echo",         "log-in",
                                       "log-out",        "log-io",       "log-timing",
                                       "logging-format", "output-limit", NULL};
static const char *const l_watch[] = {"interval", NULL};
static const char *const l_ionice[] = {"class", "classdata", "pid", "pgid", "uid", NULL};
static const char *const l_chroot[] = {"userspec", "groups", NULL};
static const char *const l_pkexec[] = {"user", NULL};

/* Sorted by name (bsearch). */
static const wrapper wrappers[] = {
        {"builtin", "", "", NULL, 0, WK_PLAIN},
        {"caffeinate", "tw", "", NULL, 0, WK_PLAIN},
        {"chronic", "", "", NULL, 0, WK_PLAIN},
        {"chroot", "", "", l_chroot, 1, WK_PLAIN},
        {"chrt", "TPD", "", NULL, 1, WK_PLAIN},
        {"command", "", "", NULL, 0, WK_COMMAND},
        {"doas", "uC", "", NULL, 0, WK_SUDO},
        {"env", "uCSP", "", l_env, 0, WK_ENV},
        {"exec", "a", "", NULL, 0, WK_PLAIN},
        {"flock", "wEc", "", l_flock, 1, WK_FLOCK},
        {"ionice", "cnpPu", "", l_ionice, 0, WK_PLAIN},
        {"ltrace", "aAeEfilnopsuwDxX", "", NULL, 0, WK_PLAIN},
        {"nice", "n", "", l_nice, 0, WK_PLAIN},
        {"nohup", "", "", NULL, 0, WK_PLAIN},
        {"pkexec", "", "", l_pkexec, 0, WK_PLAIN},
        {"runuser", "cgGsuw", "", l_su, 0, WK_SU},
        {"script", "cEIOmT", "t", l_script, 0, WK_SCRIPT},
        {"setsid", "", "", NULL, 0, WK_PLAIN},
        {"stdbuf", "ioe", "", l_stdbuf, 0, WK_PLAIN},
        {"strace", "abeEIoOpPsSuUX", "", NULL, 0, WK_PLAIN},
        {"su", "cgGsw", "", l_su, 0, WK_SU},
        {"sudo", "CDgpRrTtUu", "", l_sudo, 0, WK_SUDO},
        {"taskset", "", "", NULL, 1, WK_PLAIN},
        {"time", "fo", "", l_time, 0, WK_PLAIN},
        {"timeout", "sk", "", l_timeout, 1, WK_PLAIN},
        {"unbuffer", "", "", NULL, 0, WK_PLAIN},
        {"watch", "n", "d", l_watch, 0, WK_WATCH},
        {"xargs", "adEILnPs", "eil", l_xargs, 0, WK_XARGS},
};

static int wrapper_cmp(const void *key, const void *elem) {
    return strcmp(key, ((const wrapper *) elem)->name);
}

/* Shells whose -c script is recognised. csh-style shells and fish take the script as the value
 * of -c; the others take the first operand after the options. */
static const char *const shells[] = {"ash",   "bash", "csh",  "dash", "fish",  "ksh",
                                     "ksh93", "lksh", "mksh", "oksh", "pdksh", "posh",
                                     "rbash", "sh",   "tcsh", "yash", "zsh",   NULL};

static bool in_list(const char *const *l, const char *s) {
    for (; *l; l++)
        if (streq(*l, s))
            return true;
    return false;
}

typedef struct optit {
    const cmdparse_word *W;
    size_t i, end;
    size_t ci; /* position inside a short-option cluster; 0 = between words */
    const wrapper *spec;
    bool dashdash; /* stopped after "--" */
} optit;

static bool long_takes_value(const wrapper *spec, const char *name, size_t len) {
    if (!spec->lreq || len == 0)
        return false;
    for (const char *const *l = spec->lreq; *l; l++)
        if (strncmp(*l, name, len) == 0) /* getopt_long accepts unambiguous prefixes */
            return true;
    return false;
}

/* Next option: returns its letter, -1 for a long option (*ret_long = name up to '='), or 0 at
 * the first operand (it->i) / after "--". *ret_val is the option's value or NULL. */
static int optit_next(optit *it, const char **ret_long, size_t *ret_long_len,
                      const char **ret_val) {
    const char *t;
    int o;

    *ret_val = NULL;
    *ret_long = NULL;
    *ret_long_len = 0;
    if (it->ci == 0) {
        if (it->i >= it->end)
            return 0;
        if (it->W[it->i].pattern)
            return 0;
        t = it->W[it->i].text;
        if (streq(t, "--")) {
            it->i++;
            it->dashdash = true;
            return 0;
        }
        if (t[0] != '-' || t[1] == '\0')
            return 0;
        if (t[1] == '-') {
            const char *eq = strchr(t + 2, '=');
            size_t len = eq ? (size_t) (eq - t - 2) : strlen(t + 2);

            *ret_long = t + 2;
            *ret_long_len = len;
            it->i++;
            if (eq)
                *ret_val = eq + 1;
            else if (long_takes_value(it->spec, t + 2, len) && it->i < it->end)
                *ret_val = it->W[it->i++].text;
            return -1;
        }
        it->ci = 1;
    }
    t = it->W[it->i].text;
    o = (unsigned char) t[it->ci++];
    if (strchr(it->spec->req, o)) {
        if (t[it->ci])
            *ret_val = t + it->ci;
        else if (it->i + 1 < it->end)
            *ret_val = it->W[++it->i].text;
        it->i++;
        it->ci = 0;
        return o;
    }
    if (strchr(it->spec->opt, o)) {
        if (t[it->ci])
            *ret_val = t + it->ci;
        it->i++;
        it->ci = 0;
        return o;
    }
    if (t[it->ci] == '\0') {
        it->i++;
        it->ci = 0;
    }
    return o;
}

static bool long_is(const char *name, size_t len, const char *full) {
    return len > 0 && strncmp(full, name, len) == 0;
}

static bool is_stdin_path(const char *t) {
    return streq(t, "/dev/stdin") || streq(t, "/dev/fd/0") || streq(t, "/proc/self/fd/0");
}

/* Joins W[a..b) with spaces into the arena. */
static char *join_words(pctx *c, const cmdparse_word *W, size_t a, size_t b) {
    size_t len = 0;
    char *t, *p;

    for (size_t i = a; i < b; i++)
        len += strlen(W[i].text) + 1;
    t = p = xalloc(c, len + 1);
    if (!t)
        return NULL;
    for (size_t i = a; i < b; i++) {
        size_t k = strlen(W[i].text);

        if (i > a)
            *p++ = ' ';
        memcpy(p, W[i].text, k);
        p += k;
    }
    *p = '\0';
    return t;
}

static int parse_text(pctx *c, const char *t) {
    return parse_script(c, t, strlen(t));
}

static int do_shell(pctx *c, formstate *fs, cmdparse_word *W, size_t a, size_t b,
                    const char *name) {
    bool value_script = streq(name, "fish") || streq(name, "csh") || streq(name, "tcsh");
    bool cmode = false, scripts = false;
    size_t i = a + 1;
    int r;

    while (i < b) {
        const char *t = W[i].text;
        size_t used = 0;

        if (W[i].pattern)
            break;
        if (streq(t, "--") || streq(t, "-")) {
            i++;
            break;
        }
        if (t[0] == '-' && t[1] == '-') {
            const char *eq = strchr(t, '=');
            size_t len = eq ? (size_t) (eq - t) : strlen(t);

            if (value_script &&
                (strncmp(t, "--command", len) == 0 || strncmp(t, "--init-command", len) == 0) &&
                len > 2) {
                const char *v = eq ? eq + 1 : i + 1 < b ? W[++i].text : NULL;
                if (v) {
                    r = parse_text(c, v);
                    if (r < 0)
                        return r;
                }
                scripts = true;
            } else if (!eq && (streq(t, "--rcfile") || streq(t, "--init-file")))
                i++;
            i++;
            continue;
        }
        if ((t[0] == '-' || t[0] == '+') && t[1]) {
            for (const char *p = t + 1; *p; p++) {
                if ((*p == 'c' || (*p == 'C' && value_script)) && t[0] == '-') {
                    if (!value_script) {
                        cmode = true;
                        continue;
                    }
                    scripts = true;
                    if (p[1]) {
                        r = parse_text(c, p + 1);
                    } else if (i + 1 + used < b) {
                        used++;
                        r = parse_text(c, W[i + used].text);
                    } else
                        r = 0;
                    if (r < 0)
                        return r;
                    break;
                }
                if (*p == 'o' || *p == 'O')
                    used++; /* -o option-name */
                else if (*p == 's')
                    fs->stdin_shell = true;
            }
            i += 1 + used;
            continue;
        }
        break;
    }
    if (scripts)
        return 0;
    if (cmode)
        return i < b ? parse_text(c, W[i].text) : 0;
    if (i < b) {
        /* a script file: invisible here, unless it is stdin */
        if (is_stdin_path(W[i].text))
            fs->stdin_shell = true;
        else
            fs->stdin_shell = false;
        return 0;
    }
    fs->stdin_shell = true;
    return 0;
}

/* env -S STRING: the string is split into words (quotes and backslashes honoured) and takes the
 * place of the option; parsing then continues as if they had been given separately. */
static int env_split(pctx *c, formstate *fs, cmdparse_word *W, size_t a, size_t rest, size_t b,
                     const char *str) {
    size_t cap = 2 + (b - rest), n = 0, len = strlen(str);
    cmdparse_word *NW;
    char *buf;

    for (size_t i = 0; i < len; i++)
        if (is_blank(str[i]) || str[i] == '\n')
            cap++;
    NW = xalloc(c, (cap + 1) * sizeof(*NW));
    buf = xalloc(c, len + 1);
    if (!NW || !buf)
        return c->err;
    NW[n++] = W[a];
    for (size_t i = 0; i < len;) {
        char q = 0;
        size_t k = 0;
        bool any = false;

        while (i < len && (is_blank(str[i]) || str[i] == '\n'))
            i++;
        if (i >= len)
            break;
        while (i < len && (q || !(is_blank(str[i]) || str[i] == '\n'))) {
            char ch = str[i++];

            if (q && ch == q) {
                q = 0;
            } else if (!q && (ch == '\'' || ch == '"')) {
                q = ch;
                any = true;
            } else if (ch == '\\' && q != '\'' && i < len) {
                buf[k++] = str[i++];
            } else
                buf[k++] = ch;
        }
        if (k == 0 && !any)
            continue;
        NW[n] = (cmdparse_word){.text = xstrndup(c, buf, k), .flags = CMDPARSE_WORD_LITERAL};
        if (!NW[n].text)
            return c->err;
        n++;
    }
    for (size_t i = rest; i < b; i++)
        NW[n++] = W[i];
    return process_form(c, fs, NW, 0, n);
}

static int do_wrapper(pctx *c, formstate *fs, cmdparse_word *W, size_t a, size_t b,
                      const wrapper *spec) {
    optit it = {.W = W, .i = a + 1, .end = b, .spec = spec};
    bool scripts = false, exec_mode = false, user_mode = false, file_done = false;
    const char *lname, *val;
    size_t llen;
    int o, r;

    for (;;) {
        while ((o = optit_next(&it, &lname, &llen, &val)) != 0) {
            bool is_c = o == 'c' || (o == -1 && long_is(lname, llen, "command"));

            switch (spec->kind) {
            case WK_ENV:
                if ((o == 'S' || (o == -1 && long_is(lname, llen, "split-string"))) && val)
                    return env_split(c, fs, W, a, it.i, b, val);
                break;
            case WK_COMMAND:
                if (o == 'v' || o == 'V')
                    return 0; /* describes, does not run */
                break;
            case WK_SUDO:
                if (o == 'e')
                    return 0; /* sudoedit: files, not a command */
                break;
            case WK_WATCH:
                if (o == 'x' || (o == -1 && long_is(lname, llen, "exec")))
                    exec_mode = true;
                break;
            case WK_SU:
                if (o == 'u' || (o == -1 && long_is(lname, llen, "user")))
                    user_mode = true;
                /* fall through */
            case WK_SCRIPT:
            case WK_FLOCK:
                if (is_c && val) {
                    r = parse_text(c, val);
                    if (r < 0)
                        return r;
                    scripts = true;
                }
                break;
            default:
                break;
            }
        }
        if (it.dashdash || it.i >= b)
            break;
        /* su and script permute: options may follow operands (su - root -c CMD) */
        if ((spec->kind == WK_SU && !user_mode) || spec->kind == WK_SCRIPT) {
            it.i++;
            continue;
        }
        /* flock FILE -c CMD: options may follow the file */
        if (spec->kind == WK_FLOCK && !file_done) {
            file_done = true;
            it.i++;
            continue;
        }
        break;
    }
    if (scripts)
        return 0;
    if ((spec->kind == WK_SU && !user_mode) || spec->kind == WK_SCRIPT)
        return 0; /* su's operands are a user and shell arguments; script's a file */
    if (spec->kind == WK_FLOCK && !file_done && it.i < b)
        it.i++;
    for (unsigned k = 0; k < spec->skip && spec->kind != WK_FLOCK && it.i < b; k++)
        it.i++;
    if (spec->kind == WK_ENV || spec->kind == WK_SUDO)
        while (it.i < b && (text_is_assignment(&W[it.i]) || streq(W[it.i].text, "-")))
            it.i++;
    if (spec->kind == WK_WATCH && !exec_mode && it.i < b) {
        char *t = join_words(c, W, it.i, b);
        return t ? parse_text(c, t) : c->err;
    }
    return process_form(c, fs, W, it.i, b);
}

/* find … -exec CMD … ; / -execdir / -ok / -okdir: each command is a form of its own. */
static int do_find(pctx *c, formstate *fs, cmdparse_word *W, size_t a, size_t b) {
    for (size_t k = a + 1; k < b; k++) {
        const char *t = W[k].text;
        size_t e;
        formstate inner = {0};
        int r;

        if (W[k].pattern ||
            !(streq(t, "-exec") || streq(t, "-execdir") || streq(t, "-ok") || streq(t, "-okdir")))
            continue;
        for (e = k + 1; e < b; e++) {
            if (streq(W[e].text, ";"))
                break;
            if (streq(W[e].text, "+") && e > k + 1 && streq(W[e - 1].text, "{}"))
                break;
        }
        r = process_form(c, &inner, W, k + 1, e);
        if (r < 0)
            return r;
        k = e;
    }
    (void) fs;
    return 0;
}

/* The literal output of echo / printf, when every argument is literal. */
static char *echo_output(pctx *c, const cmdparse_word *W, size_t a, size_t b) {
    size_t i = a + 1;

    for (size_t k = i; k < b; k++)
        if (W[k].pattern)
            return NULL;
    while (i < b && W[i].text[0] == '-' && W[i].text[1] &&
           strspn(W[i].text + 1, "neE") == strlen(W[i].text + 1))
        i++;
    return join_words(c, W, i, b);
}

static char *printf_output(pctx *c, const cmdparse_word *W, size_t a, size_t b) {
    size_t arg;
    const char *fmt;
    fbuf out = FBUF_INIT(CMDPARSE_MAX_INPUT);
    bool conversions = false;
    char *ret;
    int r = 0;

    if (a + 1 >= b)
        return NULL;
    for (size_t k = a + 1; k < b; k++)
        if (W[k].pattern)
            return NULL;
    fmt = W[a + 1].text;
    arg = a + 2;
    do {
        for (const char *p = fmt; *p && r >= 0; p++) {
            if (*p == '\\' && p[1]) {
                static const char from[] = "abfnrtv\\\"'", to[] = "\a\b\f\n\r\t\v\\\"'";
                const char *e = strchr(from, p[1]);
                r = fbuf_putc(&out, e ? to[e - from] : p[1]);
                p++;
            } else if (*p == '%' && p[1] == '%') {
                r = fbuf_putc(&out, '%');
                p++;
            } else if (*p == '%' && (p[1] == 's' || p[1] == 'b')) {
                conversions = true;
                if (arg < b)
                    r = fbuf_puts(&out, W[arg++].text);
                p++;
            } else if (*p == '%') {
                fbuf_done(&out);
                return NULL; /* a numeric conversion: not worth emulating */
            } else
                r = fbuf_putc(&out, *p);
        }
    } while (r >= 0 && conversions && arg < b);
    if (r < 0) {
        fbuf_done(&out);
        if (r == -ENOMEM)
            fail(c, r); /* never mistake "out of memory" for "output unknown" */
        return NULL;
    }
    ret = xstrndup(c, out.data ? out.data : "", out.len);
    fbuf_done(&out);
    return ret;
}

/* The command word is unknown ($x) or a pattern that a shell's name matches. */
static bool maybe_shell(const cmdparse_word *w) {
    char pat[256];
    const char *p;
    size_t len;

    if (!(w->flags & CMDPARSE_WORD_LITERAL))
        return true;
    p = cmdparse_basename(w->pattern, strlen(w->pattern), &len);
    if (len >= sizeof(pat))
        return false;
    memcpy(pat, p, len);
    pat[len] = '\0';
    for (const char *const *sh = shells; *sh; sh++)
        if (fnmatch(pat, *sh, 0) == 0)
            return true;
    return false;
}

/* Emits W[a..b) as a segment and unwraps it: see cmdparse.h. */
static int process_form(pctx *c, formstate *fs, cmdparse_word *W, size_t a, size_t b) {
    const wrapper *wr;
    char name[256];
    const char *base;
    size_t len;
    int r;

    if (a >= b)
        return 0;
    r = depth_enter(c);
    if (r < 0)
        return r;
    r = emit(c, W + a, b - a, NULL);
    if (r < 0)
        goto out;
    if (W[a].pattern) {
        /* `$SHELL -c '…'`, `/bin/?sh -c '…'`: a -c script of what may be a shell is read as
         * one (harmless when it is not); nothing else is assumed about an unknown program */
        if (maybe_shell(&W[a])) {
            formstate ignored = {0};
            r = do_shell(c, &ignored, W, a, b, "sh");
        }
        goto out;
    }
    base = cmdparse_basename(W[a].text, strlen(W[a].text), &len);
    if (len >= sizeof(name))
        goto out;
    memcpy(name, base, len);
    name[len] = '\0';

    if (in_list(shells, name)) {
        r = do_shell(c, fs, W, a, b, name);
    } else if (streq(name, "eval")) {
        size_t i = a + 1;
        char *t;

        if (i < b && streq(W[i].text, "--"))
            i++;
        t = join_words(c, W, i, b);
        r = t ? parse_text(c, t) : c->err;
    } else if (streq(name, "source") || streq(name, ".")) {
        fs->stdin_shell = a + 1 < b && is_stdin_path(W[a + 1].text);
    } else if (streq(name, "find")) {
        r = do_find(c, fs, W, a, b);
    } else if (streq(name, "echo")) {
        fs->out_text = echo_output(c, W, a, b);
    } else if (streq(name, "printf")) {
        fs->out_text = printf_output(c, W, a, b);
    } else if (streq(name, "cat")) {
        fs->cat = true;
        for (size_t i = a + 1; i < b; i++)
            if (W[i].text[0] != '-' || streq(W[i].text, "-"))
                fs->cat = streq(W[i].text, "-");
    } else if (streq(name, "busybox") || streq(name, "toybox")) {
        if (a + 1 < b && W[a + 1].text[0] != '-')
            r = process_form(c, fs, W, a + 1, b);
    } else {
        wr = bsearch(name, wrappers, ARRAY_SIZE(wrappers), sizeof(wrappers[0]), wrapper_cmp);
        if (wr)
            r = do_wrapper(c, fs, W, a, b, wr);
    }
out:
    depth_leave(c);
    return r < 0 ? r : c->err;
}

/* =============================================================================================
 * Commands and lists
 */

/* A simple command ended: its words become segments. */
static int finalize(pctx *c, src *s, cframe *cf, cmdinfo *info) {
    formstate fs = {0};
    cmdparse_word *W;
    size_t a = 0;
    int r = 0;

    *info = (cmdinfo){.out_hd = -1};
    if (cf->n == 0)
        return 0;
    W = xalloc(c, cf->n * sizeof(*W));
    if (!W)
        return c->err;
    memcpy(W, cf->w, cf->n * sizeof(*W));
    while (a < cf->n && (W[a].flags & CMDPARSE_WORD_ASSIGN))
        a++;
    if (a < cf->n) {
        /* first the command as written, redirections included: the segment the Go tool sees */
        const char *text = NULL;

        if (cf->spanned && cf->span_end > cf->span_start)
            text = xstrndup(c, s->s + cf->span_start, cf->span_end - cf->span_start);
        r = c->err ? c->err : emit(c, W, cf->n, text);
        if (r >= 0)
            r = process_form(c, &fs, W, a, cf->n);
    }
    if (r < 0)
        return r;
    if (fs.stdin_shell) {
        if (cf->herestring) {
            r = parse_text(c, cf->herestring);
            if (r < 0)
                return r;
        }
        for (size_t k = cf->hd_first; k < cf->hd_first + cf->hd_count && k < s->n_hd; k++)
            s->hd[k].feed_shell = true;
        info->stdin_shell = !cf->stdin_redirect;
    }
    info->out_text = fs.out_text;
    if (fs.cat) {
        if (cf->herestring)
            info->out_text = cf->herestring;
        else if (cf->hd_count > 0)
            info->out_hd = (long) (cf->hd_first + cf->hd_count - 1);
    }
    return 0;
}

static bool at_redirection(const src *s) {
    size_t p = s->pos;
    int ch = peek(s, 0);

    if (ch == '&')
        return peek(s, 1) == '>';
    if (ch >= '0' && ch <= '9') {
        while (p < s->len && s->s[p] >= '0' && s->s[p] <= '9')
            p++;
    } else if (ch == '{') { /* {varname}>file */
        p++;
        if (p >= s->len || !is_name_start((unsigned char) s->s[p]))
            return false;
        while (p < s->len && is_name_char((unsigned char) s->s[p]))
            p++;
        if (p >= s->len || s->s[p] != '}')
            return false;
        p++;
    }
    if (p >= s->len || (s->s[p] != '<' && s->s[p] != '>'))
        return false;
    return !(p + 1 < s->len && s->s[p + 1] == '(');
}

static int hd_push(pctx *c, src *s, const wbuf *w, bool strip_tabs) {
    char *delim;
    int r = grow(c, &s->hd, &s->cap_hd, s->n_hd, sizeof(*s->hd), 4, CMDPARSE_MAX_INPUT);

    if (r < 0)
        return r;
    delim = xstrndup(c, w->c ? w->c : "", w->n);
    if (!delim)
        return c->err;
    s->hd[s->n_hd++] = (hdoc){
            .delim = delim, .delim_len = w->n, .quoted = w->quoted, .strip_tabs = strip_tabs};
    return 0;
}

static int parse_redirect(pctx *c, src *s, cframe *cf) {
    bool heredoc = false, strip = false, here_string = false;
    wbuf w;
    int ch, r;

    while (peek(s, 0) >= '0' && peek(s, 0) <= '9')
        s->pos++;
    if (peek(s, 0) == '{') {
        while (peek(s, 0) >= 0 && peek(s, 0) != '}')
            s->pos++;
        s->pos++;
    }
    ch = peek(s, 0);
    if (ch == '&') { /* &> &>> */
        s->pos += peek(s, 2) == '>' ? 3 : 2;
    } else if (ch == '<') {
        cf->stdin_redirect = true;
        if (peek(s, 1) == '<' && peek(s, 2) == '<') {
            here_string = true;
            s->pos += 3;
        } else if (peek(s, 1) == '<') {
            heredoc = true;
            strip = peek(s, 2) == '-';
            s->pos += strip ? 3 : 2;
        } else if (peek(s, 1) == '&' || peek(s, 1) == '>')
            s->pos += 2;
        else
            s->pos++;
    } else { /* > >> >& >| */
        s->pos++;
        if (peek(s, 0) == '>' || peek(s, 0) == '&' || peek(s, 0) == '|')
            s->pos++;
    }
    skip_blanks(s);
    ch = peek(s, 0);
    if (is_meta(ch) && !((ch == '<' || ch == '>') && peek(s, 1) == '('))
        return 0; /* no target: a syntax error the shell reports */
    wb_init(&w, s->pos);
    r = lex_word(c, s, &w, NULL);
    if (r >= 0 && heredoc)
        r = hd_push(c, s, &w, strip);
    else if (r >= 0 && here_string) {
        cf->herestring = xstrndup(c, w.c ? w.c : "", w.n);
        r = cf->herestring ? 0 : c->err;
    }
    if (r >= 0 && heredoc) {
        if (cf->hd_count == 0)
            cf->hd_first = s->n_hd - 1;
        cf->hd_count++;
    }
    wb_done(&w);
    return r;
}

/* Unescapes an unquoted here-document body the way the shell reads it (\$ \` \\ \newline). */
static char *hd_unescape(pctx *c, const char *p, size_t n) {
    char *t = xalloc(c, n + 1);
    size_t k = 0;

    if (!t)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n && strchr("$`\\\n", p[i + 1])) {
            if (p[i + 1] != '\n')
                t[k++] = p[i + 1];
            i++;
        } else
            t[k++] = p[i];
    }
    t[k] = '\0';
    return t;
}

/* The text `cat` prints for a here-document: NULL when it holds expansions (not literal). */
static const char *hd_output(pctx *c, const hdoc *hd) {
    if (!hd->read)
        return NULL;
    if (hd->quoted)
        return xstrndup(c, hd->body, hd->body_len);
    for (size_t i = 0; i < hd->body_len; i++) {
        if (hd->body[i] == '\\')
            i++;
        else if (hd->body[i] == '$' || hd->body[i] == '`')
            return NULL;
    }
    return hd_unescape(c, hd->body, hd->body_len);
}

/* Scans an unquoted here-document body for substitutions, which the shell runs. */
static int hd_scan(pctx *c, const char *p, size_t n) {
    src sub = {.s = p, .len = n};
    int r = 0;

    while (r >= 0 && sub.pos < sub.len && step(c) >= 0) {
        r = scan_one(c, &sub, false, false); /* quotes are plain text in a body */
        if (r == 0)
            sub.pos++;
    }
    free(sub.hd);
    return r < 0 ? r : c->err;
}

/* A newline token: the bodies of pending here-documents follow it. */
static int consume_newline(pctx *c, src *s) {
    s->pos++;
    while (s->next_hd < s->n_hd) {
        hdoc *hd = &s->hd[s->next_hd++];
        size_t body = s->pos, body_end = s->len;
        int r;

        while (s->pos < s->len) {
            const char *line = s->s + s->pos, *nl = memchr(line, '\n', s->len - s->pos);
            size_t llen = nl ? (size_t) (nl - line) : s->len - s->pos, skip = 0;

            if (hd->strip_tabs)
                while (skip < llen && line[skip] == '\t')
                    skip++;
            if (llen - skip == hd->delim_len && memcmp(line + skip, hd->delim, llen - skip) == 0) {
                body_end = s->pos;
                s->pos += llen + (nl ? 1 : 0);
                break;
            }
            s->pos += llen + (nl ? 1 : 0);
        }
        if (body_end > s->pos)
            body_end = s->pos;
        hd->read = true;
        hd->body = s->s + body;
        hd->body_len = body_end - body;
        if (!hd->quoted && !hd->feed_shell) { /* a fed body is parsed whole, below */
            r = hd_scan(c, s->s + body, body_end - body);
            if (r < 0)
                return r;
        }
        if (hd->feed_shell) {
            char *t = hd->quoted ? xstrndup(c, s->s + body, body_end - body)
                                 : hd_unescape(c, s->s + body, body_end - body);
            r = t ? parse_text(c, t) : c->err;
            if (r < 0)
                return r;
        }
    }
    return c->err;
}

/* case WORD in [(]PAT[|PAT]…) LIST ;; … esac */
static int parse_case(pctx *c, src *s) {
    wbuf w;
    int r = depth_enter(c);

    if (r < 0)
        return r;
    wb_init(&w, s->pos);
    skip_blanks(s);
    if (!is_meta(peek(s, 0)))
        r = lex_word(c, s, &w, NULL); /* the subject */
    while (r >= 0) {
        int ch;

        if (step(c) < 0)
            break;
        skip_blanks(s);
        ch = peek(s, 0);
        if (ch == '\n') {
            r = consume_newline(c, s);
            continue;
        }
        if (ch == '#') {
            skip_comment(s);
            continue;
        }
        if (ch < 0)
            break;
        wb_reset(&w, s->pos);
        if (!is_meta(ch)) {
            r = lex_word(c, s, &w, NULL);
            if (r < 0 || wb_is(&w, "esac"))
                break;
            if (wb_is(&w, "in"))
                continue;
        } else if (ch == '(' || ch == ';' || ch == '&' || ch == '|' || ch == '<' || ch == '>')
            s->pos++;
        /* rest of the patterns, up to ')' */
        for (;;) {
            if (step(c) < 0)
                goto out;
            skip_blanks(s);
            ch = peek(s, 0);
            if (ch < 0)
                goto out;
            if (ch == ')') {
                s->pos++;
                break;
            }
            if (ch == '\n') {
                r = consume_newline(c, s);
                if (r < 0)
                    goto out;
            } else if (is_meta(ch))
                s->pos++;
            else {
                wb_reset(&w, s->pos);
                r = lex_word(c, s, &w, NULL);
                if (r < 0)
                    goto out;
            }
        }
        r = parse_list(c, s, STOP_CASE);
        if (r != LIST_CASE_ITEM)
            break;
    }
out:
    wb_done(&w);
    depth_leave(c);
    return r < 0 ? r : c->err;
}

enum { M_NORMAL, M_NOCMD, M_COND };

static void span_note(cframe *cf, size_t start, size_t end) {
    if (!cf->spanned) {
        cf->spanned = true;
        cf->span_start = start;
    }
    cf->span_end = end;
}

/* One command: words, redirections, reserved words, subshells. Stops before a control
 * operator. Returns <0, LIST_END, or LIST_ESAC when `esac` ended a case item list. */
static int parse_command(pctx *c, src *s, unsigned stop, cmdinfo *info) {
    cframe cf = {.assign_pos = true};
    int mode = M_NORMAL, r = 0, ret = LIST_END;
    bool at_start = true;
    wbuf w;

    *info = (cmdinfo){.out_hd = -1};
    wb_init(&w, s->pos);
    while (r >= 0) {
        size_t before;
        int ch;

        if (step(c) < 0)
            break;
        skip_blanks(s);
        before = s->pos;
        ch = peek(s, 0);
        if (mode == M_COND && ch >= 0 && strchr("&|()<>", ch)) {
            s->pos++;
            continue;
        }
        if (ch < 0 || ch == '\n' || ch == ';' || ch == '|' || ch == ')')
            break;
        if (ch == '&' && peek(s, 1) != '>')
            break;
        if (ch == '#') {
            skip_comment(s);
            break;
        }
        if (ch == '(') {
            if ((at_start || mode == M_NOCMD) && peek(s, 1) == '(' &&
                is_arithmetic(s, s->pos + 2)) {
                s->pos += 2;
                r = scan_nested(c, s, '(', ')', true); /* (( arithmetic )) */
                at_start = false;
                continue;
            }
            if (!at_start && cf.n == 1 && !(cf.w[0].flags & CMDPARSE_WORD_QUOTED) &&
                !cf.w[0].pattern) {
                size_t p = s->pos + 1;

                while (p < s->len && is_blank(s->s[p]))
                    p++;
                if (p < s->len && s->s[p] == ')') { /* name () body: a function definition */
                    s->pos = p + 1;
                    cf.n = 0;
                    cf.spanned = false;
                    cf.assign_pos = true;
                    at_start = true;
                    continue;
                }
            }
            s->pos++;
            r = depth_enter(c);
            if (r >= 0) {
                r = parse_list(c, s, STOP_RPAREN);
                depth_leave(c);
            }
            at_start = false;
            continue;
        }
        if (mode != M_COND && (ch == '<' || ch == '>' || ch == '&' || at_redirection(s)) &&
            !((ch == '<' || ch == '>') && peek(s, 1) == '(')) {
            r = parse_redirect(c, s, &cf);
            if (s->pos == before)
                s->pos++;
            if (mode == M_NORMAL)
                span_note(&cf, before, s->pos);
            continue;
        }
        wb_reset(&w, s->pos);
        r = lex_word(c, s, &w, mode == M_NORMAL ? &cf : NULL);
        if (r < 0)
            break;
        if (s->pos == before) { /* cannot happen; never loop without progress */
            s->pos++;
            continue;
        }
        if (mode == M_NOCMD) {
            if (wb_is(&w, "do")) {
                mode = M_NORMAL;
                at_start = true;
            }
            continue;
        }
        if (mode == M_COND) {
            if (wb_is(&w, "]]"))
                mode = M_NOCMD; /* nothing after ]] is a command word */
            continue;
        }
        if (at_start && cf.n == 0) {
            if (wb_is(&w, "!") || wb_is(&w, "{") || wb_is(&w, "}") || wb_is(&w, "if") ||
                wb_is(&w, "then") || wb_is(&w, "else") || wb_is(&w, "elif") || wb_is(&w, "fi") ||
                wb_is(&w, "do") || wb_is(&w, "done") || wb_is(&w, "while") || wb_is(&w, "until"))
                continue;
            if (wb_is(&w, "esac")) {
                if (stop & STOP_CASE) {
                    ret = LIST_ESAC;
                    break;
                }
                continue;
            }
            if (wb_is(&w, "for") || wb_is(&w, "select")) {
                mode = M_NOCMD;
                continue;
            }
            if (wb_is(&w, "[[")) {
                mode = M_COND;
                continue;
            }
            if (wb_is(&w, "case")) {
                r = parse_case(c, s);
                at_start = false;
                mode = M_NOCMD;
                continue;
            }
            if (wb_is(&w, "function")) { /* function NAME [()] BODY */
                skip_blanks(s);
                if (!is_meta(peek(s, 0))) {
                    wb_reset(&w, s->pos);
                    r = lex_word(c, s, &w, NULL);
                }
                skip_blanks(s);
                if (peek(s, 0) == '(') {
                    size_t p = s->pos + 1;

                    while (p < s->len && is_blank(s->s[p]))
                        p++;
                    if (p < s->len && s->s[p] == ')')
                        s->pos = p + 1;
                }
                continue;
            }
            if (wb_is(&w, "coproc")) { /* coproc [NAME] { …; } | coproc CMD */
                size_t p;

                skip_blanks(s);
                /* a plain NAME followed by a compound command is the coprocess's name */
                for (p = s->pos; p < s->len && is_name_char((unsigned char) s->s[p]); p++)
                    ;
                if (p > s->pos && is_name_start((unsigned char) s->s[s->pos])) {
                    size_t q = p;

                    while (q < s->len && is_blank(s->s[q]))
                        q++;
                    if (q > p && q < s->len &&
                        (s->s[q] == '(' ||
                         (s->s[q] == '{' &&
                          (q + 1 == s->len || is_meta((unsigned char) s->s[q + 1])))))
                        s->pos = q;
                }
                continue;
            }
        }
        r = word_finish(c, s, &w, &cf);
        span_note(&cf, before, s->pos);
        at_start = false;
    }
    wb_done(&w);
    if (r >= 0 && mode != M_COND)
        r = finalize(c, s, &cf, info);
    free(cf.w);
    if (r < 0)
        return r;
    return c->err ? c->err : ret;
}

static int parse_list(pctx *c, src *s, unsigned stop) {
    cmdinfo prev = {.out_hd = -1};
    bool piped = false;
    size_t commands = 0;
    int r = depth_enter(c);

    if (r < 0)
        return r;
    r = LIST_END;
    for (;;) {
        cmdinfo cur;
        size_t before;
        int ch;

        if (step(c) < 0)
            break;
        skip_blanks(s);
        ch = peek(s, 0);
        if (ch < 0 || c->err)
            break;
        if (ch == '#') {
            skip_comment(s);
            continue;
        }
        if (ch == '\n') {
            r = consume_newline(c, s);
            if (r < 0)
                break;
            continue;
        }
        if (ch == ';') {
            if (peek(s, 1) == ';' || peek(s, 1) == '&') { /* ;; ;& ;;& */
                s->pos += 2;
                if (peek(s, 0) == '&')
                    s->pos++;
                if (stop & STOP_CASE) {
                    r = LIST_CASE_ITEM;
                    break;
                }
            } else
                s->pos++;
            piped = false;
            continue;
        }
        if (ch == ')') {
            if (stop & STOP_RPAREN) {
                s->pos++;
                break;
            }
            if (stop & STOP_CASE)
                break;
            s->pos++; /* stray: the shell reports a syntax error */
            continue;
        }
        if (ch == '&' && peek(s, 1) != '>') {
            s->pos += peek(s, 1) == '&' ? 2 : 1;
            piped = false;
            continue;
        }
        if (ch == '|') {
            if (peek(s, 1) == '|') {
                s->pos += 2;
                piped = false;
            } else {
                s->pos += peek(s, 1) == '&' ? 2 : 1;
                piped = true;
            }
            continue;
        }
        before = s->pos;
        r = parse_command(c, s, stop, &cur);
        if (r < 0 || r == LIST_ESAC)
            break;
        commands++;
        if (piped && cur.stdin_shell) {
            if (prev.out_text)
                r = parse_text(c, prev.out_text);
            if (prev.out_hd >= 0 && (size_t) prev.out_hd < s->n_hd)
                s->hd[prev.out_hd].feed_shell = true;
            if (r < 0)
                break;
        }
        prev = cur;
        piped = false;
        if (s->pos == before)
            s->pos++;
        r = LIST_END;
    }
    depth_leave(c);
    if (r < 0)
        return r;
    c->static_out = NULL;
    if (commands == 1 && prev.out_text)
        c->static_out = prev.out_text;
    else if (commands == 1 && prev.out_hd >= 0 && (size_t) prev.out_hd < s->n_hd)
        c->static_out = hd_output(c, &s->hd[prev.out_hd]);
    return c->err ? c->err : r;
}

/* Parses a script held in the arena (segments point into it) as its own text. */
static int parse_script(pctx *c, const char *text, size_t len) {
    src s = {.s = text, .len = len};
    int r = depth_enter(c);

    if (r < 0)
        return r;
    r = parse_list(c, &s, 0);
    free(s.hd);
    depth_leave(c);
    return r < 0 ? r : c->err;
}

int cmdparse_string(const char *str, size_t len, cmdparse **ret) {
    pctx c = {0};
    cmdparse *p;
    char *text;
    int r;

    if (!str || !ret)
        return -EINVAL;
    len = strnlen(str, len); /* a shell never receives a NUL inside its -c string */
    if (len > CMDPARSE_MAX_INPUT)
        return -E2BIG;
    c.max_steps = CMDPARSE_STEPS_PER_BYTE * len + CMDPARSE_STEPS_MIN;
    text = xstrndup(&c, str, len);
    r = text ? parse_script(&c, text, len) : c.err;
    if (r >= 0 && c.err)
        r = c.err;
    if (r < 0)
        goto fail;
    p = calloc(1, sizeof(*p));
    if (!p) {
        r = -ENOMEM;
        goto fail;
    }
    p->chunks = c.chunks;
    p->seg = c.seg;
    p->n_seg = c.n_seg;
    *ret = p;
    return 0;
fail:
    chunks_free(c.chunks);
    free(c.seg);
    return r;
}

size_t cmdparse_count(const cmdparse *p) {
    return p ? p->n_seg : 0;
}

const cmdparse_segment *cmdparse_get(const cmdparse *p, size_t i) {
    return p && i < p->n_seg ? &p->seg[i] : NULL;
}

void cmdparse_free(cmdparse *p) {
    if (!p)
        return;
    chunks_free(p->chunks);
    free(p->seg);
    free(p);
}

const char *cmdparse_strerror(int r) {
    switch (r) {
    case -E2BIG:
        return "the command string is longer than " STRINGIFY(CMDPARSE_MAX_INPUT) " bytes";
    case -ELOOP:
        return "it nests constructs deeper than " STRINGIFY(CMDPARSE_MAX_DEPTH) " levels";
    case -ERANGE:
        return "it expands to more than " STRINGIFY(
                CMDPARSE_MAX_SEGMENTS) " commands or " STRINGIFY(CMDPARSE_MAX_WORDS) " words";
    case -ENOBUFS:
        return "its expansion needs more than 32 MiB";
    case -ETIMEDOUT:
        return "it takes too long to analyse (nested scripts re-read too often)";
    case -ENOMEM:
        return "out of memory";
    default:
        return "it cannot be parsed";
    }
}
