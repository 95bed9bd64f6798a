/* SPDX-License-Identifier: MIT */
/*
 * The JSONC reader: a recursive-descent parser over a byte buffer that builds a tree of
 * position-carrying nodes in an arena. See jsonc.h for the accepted language.
 */
#include "config/jsonc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------------------------- */

#define ARENA_CHUNK (16u * 1024u)

typedef struct arena_chunk arena_chunk;
struct arena_chunk {
    arena_chunk *prev;
    size_t used, cap;
    max_align_t data[];
};

struct jsonc_doc {
    arena_chunk *chunks;
    jsonc_node *root;
};

static void *arena_alloc(jsonc_doc *doc, size_t n) {
    arena_chunk *c = doc->chunks;
    size_t align = sizeof(max_align_t);
    void *p;

    n = (n + align - 1) / align * align;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        /* A dedicated chunk for a big block goes behind the current one, so the current chunk's
         * free space stays usable. */
        if (cap > ARENA_CHUNK && doc->chunks) {
            c->prev = doc->chunks->prev;
            doc->chunks->prev = c;
        } else {
            c->prev = doc->chunks;
            doc->chunks = c;
        }
    }
    p = (char *) c->data + c->used;
    c->used += n;
    return p;
}

void jsonc_doc_free(jsonc_doc *doc) {
    if (!doc)
        return;
    while (doc->chunks) {
        arena_chunk *prev = doc->chunks->prev;

        free(doc->chunks);
        doc->chunks = prev;
    }
    free(doc);
}

const jsonc_node *jsonc_doc_root(const jsonc_doc *doc) {
    return doc->root;
}

const char *jsonc_type_name(jsonc_type t) {
    switch (t) {
    case JSONC_NULL:
        return "null";
    case JSONC_BOOL:
        return "a boolean";
    case JSONC_NUMBER:
        return "a number";
    case JSONC_STRING:
        return "a string";
    case JSONC_ARRAY:
        return "an array";
    case JSONC_OBJECT:
        return "an object";
    }
    return "a value";
}

/* ---- parser state and positions ------------------------------------------------------------ */

typedef struct parser {
    const unsigned char *s;
    size_t len;
    size_t i;
    /* position cursor: (line, col) of byte offset cur_off; offsets are requested in increasing
     * order, so computing positions costs O(n) for the whole document */
    size_t cur_off;
    uint32_t cur_line, cur_col;
    int depth;
    jsonc_doc *doc;
    jsonc_error *err;
} parser;

static jsonc_pos pos_at(parser *p, size_t off) {
    if (off < p->cur_off) {
        p->cur_off = 0;
        p->cur_line = 1;
        p->cur_col = 1;
    }
    if (off > p->len)
        off = p->len;
    for (; p->cur_off < off; p->cur_off++) {
        unsigned char b = p->s[p->cur_off];

        if (b == '\n') {
            p->cur_line++;
            p->cur_col = 1;
        } else if ((b & 0xC0) != 0x80) {
            p->cur_col++;
        }
    }
    return (jsonc_pos){.line = p->cur_line, .col = p->cur_col};
}

static int fail_at(parser *p, size_t off, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail_at(parser *p, size_t off, const char *fmt, ...) {
    va_list ap;

    if (p->err) {
        p->err->pos = pos_at(p, off);
        va_start(ap, fmt);
        vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int fail_nomem(parser *p) {
    if (p->err) {
        p->err->pos = (jsonc_pos){0, 0};
        snprintf(p->err->msg, sizeof(p->err->msg), "out of memory");
    }
    return -ENOMEM;
}

/* Describes the byte at offset off for "unexpected ..." messages. */
static int fail_unexpected(parser *p, size_t off, const char *what) {
    unsigned char c;

    if (off >= p->len)
        return fail_at(p, off, "unexpected end of input%s%s", what ? ", " : "", what ? what : "");
    c = p->s[off];
    if (c == '\'')
        return fail_at(p, off, "single quotes are not allowed, use double quotes");
    if (c >= 0x21 && c < 0x7f)
        return fail_at(p, off, "unexpected character '%c'%s%s", c, what ? ", " : "",
                       what ? what : "");
    return fail_at(p, off, "unexpected byte 0x%02X%s%s", c, what ? ", " : "", what ? what : "");
}

/* ---- whitespace and comments --------------------------------------------------------------- */

/* Skips whitespace and comments. Returns 0, or -EINVAL for an unterminated block comment or a
 * lone '/'. */
static int skip_ws(parser *p) {
    while (p->i < p->len) {
        unsigned char c = p->s[p->i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p->i++;
        } else if (c == '/' && p->i + 1 < p->len && p->s[p->i + 1] == '/') {
            const unsigned char *nl = memchr(p->s + p->i, '\n', p->len - p->i);

            p->i = nl ? (size_t) (nl - p->s) : p->len;
        } else if (c == '/' && p->i + 1 < p->len && p->s[p->i + 1] == '*') {
            size_t start = p->i, j;

            for (j = p->i + 2; j + 1 < p->len; j++)
                if (p->s[j] == '*' && p->s[j + 1] == '/')
                    break;
            if (j + 1 >= p->len)
                return fail_at(p, start, "unterminated comment");
            p->i = j + 2;
        } else if (c == '/') {
            return fail_at(p, p->i, "unexpected character '/' (comments start with // or /*)");
        } else {
            break;
        }
    }
    return 0;
}

static size_t skip_bom(const unsigned char *s, size_t len) {
    return len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF ? 3 : 0;
}

bool jsonc_is_blank(const char *text, size_t len) {
    parser p = {.s = (const unsigned char *) text, .len = len, .cur_line = 1, .cur_col = 1};

    p.i = skip_bom(p.s, len);
    return skip_ws(&p) == 0 && p.i == p.len;
}

/* ---- scalars ------------------------------------------------------------------------------- */

static jsonc_node *node_new(parser *p, jsonc_type type, size_t off) {
    jsonc_node *n = arena_alloc(p->doc, sizeof(*n));

    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->pos = pos_at(p, off);
    return n;
}

size_t jsonc_utf8_decode(const unsigned char *s, size_t avail, uint32_t *ret_cp) {
    unsigned char c = s[0];
    uint32_t cp;
    size_t n;

    if (c < 0x80) {
        *ret_cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    /* stops at the first byte that is not a continuation (a NUL terminator included) */
    for (size_t k = 1; k < n; k++) {
        if (k >= avail || (s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates and code points above U+10FFFF are invalid */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *ret_cp = cp;
    return n;
}

static int hex4(const unsigned char *s, uint32_t *ret) {
    uint32_t v = 0;

    for (int k = 0; k < 4; k++) {
        unsigned char c = s[k];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t) (c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t) (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t) (c - 'A' + 10);
        else
            return -1;
    }
    *ret = v;
    return 0;
}

static size_t utf8_put(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char) (0xC0 | (cp >> 6));
        out[1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char) (0xE0 | (cp >> 12));
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char) (0xF0 | (cp >> 18));
    out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the \u escape at s[i] (pointing at the backslash); on success stores the code point
 * and advances *i past the escape (two escapes for a surrogate pair). */
static int parse_u_escape(parser *p, size_t *i, uint32_t *ret_cp) {
    size_t at = *i;
    uint32_t hi, lo;

    if (at + 6 > p->len || hex4(p->s + at + 2, &hi) < 0)
        return fail_at(p, at, "invalid \\u escape (expected 4 hex digits)");
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail_at(p, at, "invalid \\u escape: unpaired UTF-16 low surrogate \\u%04X", hi);
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (at + 12 > p->len || p->s[at + 6] != '\\' || p->s[at + 7] != 'u' ||
            hex4(p->s + at + 8, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
            return fail_at(p, at, "invalid \\u escape: unpaired UTF-16 high surrogate \\u%04X", hi);
        *ret_cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        *i = at + 12;
        return 0;
    }
    *ret_cp = hi;
    *i = at + 6;
    return 0;
}

/* Parses the string starting at the opening quote p->s[p->i]; stores the decoded text (in the
 * arena) and its length. */
static int parse_string_raw(parser *p, const char **ret, size_t *ret_len) {
    size_t start = p->i, end, i, n = 0;
    char *out;
    int r;

    /* first pass: find the closing quote to bound the decoded size */
    for (end = start + 1; end < p->len; end++) {
        if (p->s[end] == '\\')
            end++;
        else if (p->s[end] == '"')
            break;
    }
    if (end >= p->len)
        return fail_at(p, start, "unterminated string");
    out = arena_alloc(p->doc, end - start);
    if (!out)
        return fail_nomem(p);

    for (i = start + 1; i < end;) {
        unsigned char c = p->s[i];

        if (c == '\\') {
            unsigned char e = p->s[i + 1];
            uint32_t cp = 0;

            switch (e) {
            case '"':
            case '\\':
            case '/':
                out[n++] = (char) e;
                break;
            case 'b':
                out[n++] = '\b';
                break;
            case 'f':
                out[n++] = '\f';
                break;
            case 'n':
                out[n++] = '\n';
                break;
            case 'r':
                out[n++] = '\r';
                break;
            case 't':
                out[n++] = '\t';
                break;
            case 'u':
                r = parse_u_escape(p, &i, &cp);
                if (r < 0)
                    return r;
                n += utf8_put(out + n, cp);
                continue;
            default:
                if (e >= 0x21 && e < 0x7f)
                    return fail_at(p, i, "invalid escape '\\%c' in string", e);
                return fail_at(p, i, "invalid escape in string");
            }
            i += 2;
        } else if (c < 0x20) {
            return fail_at(p, i, "control character U+%04X in string (write it as an escape)", c);
        } else {
            uint32_t cp;
            size_t k = jsonc_utf8_decode(p->s + i, end - i, &cp);

            if (k == 0)
                return fail_at(p, i, "invalid UTF-8 byte 0x%02X in string", c);
            memcpy(out + n, p->s + i, k);
            n += k;
            i += k;
        }
    }
    out[n] = '\0';
    p->i = end + 1;
    *ret = out;
    *ret_len = n;
    return 0;
}

static int parse_number(parser *p, jsonc_node **ret) {
    size_t start = p->i, i = p->i;
    jsonc_node *n;
    char *lit;

    if (i < p->len && p->s[i] == '-')
        i++;
    if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
        return fail_unexpected(p, i, "expected a digit");
    if (p->s[i] == '0' && i + 1 < p->len && p->s[i + 1] >= '0' && p->s[i + 1] <= '9')
        return fail_at(p, start, "numbers cannot have leading zeros");
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
        i++;
    if (i < p->len && p->s[i] == '.') {
        i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
            return fail_unexpected(p, i, "expected a digit after '.'");
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
            return fail_unexpected(p, i, "expected a digit in the exponent");
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    n = node_new(p, JSONC_NUMBER, start);
    lit = n ? arena_alloc(p->doc, i - start + 1) : NULL;
    if (!lit)
        return fail_nomem(p);
    memcpy(lit, p->s + start, i - start);
    lit[i - start] = '\0';
    n->str = lit;
    n->str_len = i - start;
    p->i = i;
    *ret = n;
    return 0;
}

static int parse_literal(parser *p, jsonc_node **ret) {
    static const struct {
        const char *word;
        jsonc_type type;
        bool value;
    } words[] = {
            {"true", JSONC_BOOL, true},
            {"false", JSONC_BOOL, false},
            {"null", JSONC_NULL, false},
    };

    for (size_t k = 0; k < ARRAY_SIZE(words); k++) {
        size_t wl = strlen(words[k].word);
        jsonc_node *n;

        if (p->len - p->i < wl || memcmp(p->s + p->i, words[k].word, wl) != 0)
            continue;
        n = node_new(p, words[k].type, p->i);
        if (!n)
            return fail_nomem(p);
        n->boolean = words[k].value;
        p->i += wl;
        *ret = n;
        return 0;
    }
    return fail_unexpected(p, p->i, "expected a value");
}

/* ---- containers ---------------------------------------------------------------------------- */

static int parse_value(parser *p, jsonc_node **ret);

static void append_child(jsonc_node *parent, jsonc_node **tail, jsonc_node *child) {
    if (*tail)
        (*tail)->next = child;
    else
        parent->first = child;
    *tail = child;
    parent->count++;
}

static int enter(parser *p) {
    if (++p->depth > JSONC_MAX_DEPTH)
        return fail_at(p, p->i, "nesting deeper than %d levels", JSONC_MAX_DEPTH);
    return 0;
}

static int parse_member(parser *p, jsonc_node *obj, jsonc_node **tail) {
    jsonc_pos key_pos = pos_at(p, p->i);
    const char *key;
    size_t key_len;
    jsonc_node *v;
    int r;

    if (p->i >= p->len || p->s[p->i] != '"')
        return fail_unexpected(p, p->i, "expected a key in double quotes");
    if ((r = parse_string_raw(p, &key, &key_len)) < 0)
        return r;
    if ((r = skip_ws(p)) < 0)
        return r;
    if (p->i >= p->len || p->s[p->i] != ':')
        return fail_unexpected(p, p->i, "expected ':' after object key");
    p->i++;
    if ((r = skip_ws(p)) < 0)
        return r;
    if ((r = parse_value(p, &v)) < 0)
        return r;
    v->key = key;
    v->key_len = key_len;
    v->key_pos = key_pos;
    append_child(obj, tail, v);
    return 0;
}

/* Parses an array or an object (at '[' or '{'). Elements are separated by commas; a comma may
 * also follow the last element (the JSONC trailing comma). */
static int parse_container(parser *p, jsonc_type type, jsonc_node **ret) {
    bool object = type == JSONC_OBJECT;
    char close = object ? '}' : ']';
    jsonc_node *c, *tail = NULL;
    int r;

    if ((r = enter(p)) < 0)
        return r;
    c = node_new(p, type, p->i);
    if (!c)
        return fail_nomem(p);
    p->i++; /* '[' or '{' */
    if ((r = skip_ws(p)) < 0)
        return r;
    while (p->i >= p->len || p->s[p->i] != close) {
        jsonc_node *v;

        if (object)
            r = parse_member(p, c, &tail);
        else if ((r = parse_value(p, &v)) >= 0)
            append_child(c, &tail, v);
        if (r < 0 || (r = skip_ws(p)) < 0)
            return r;
        if (p->i < p->len && p->s[p->i] == ',') {
            p->i++;
            if ((r = skip_ws(p)) < 0)
                return r;
            continue; /* the closing bracket right after a comma: a trailing comma, allowed */
        }
        if (p->i >= p->len || p->s[p->i] != close)
            return fail_unexpected(p, p->i,
                                   object ? "expected ',' or '}' in object"
                                          : "expected ',' or ']' in array");
    }
    p->i++; /* the closing bracket */
    p->depth--;
    *ret = c;
    return 0;
}

static int parse_value(parser *p, jsonc_node **ret) {
    unsigned char c;
    jsonc_node *n;
    int r;

    if (p->i >= p->len)
        return fail_unexpected(p, p->i, "expected a value");
    c = p->s[p->i];
    switch (c) {
    case '{':
        return parse_container(p, JSONC_OBJECT, ret);
    case '[':
        return parse_container(p, JSONC_ARRAY, ret);
    case '"':
        n = node_new(p, JSONC_STRING, p->i);
        if (!n)
            return fail_nomem(p);
        if ((r = parse_string_raw(p, &n->str, &n->str_len)) < 0)
            return r;
        *ret = n;
        return 0;
    case 't':
    case 'f':
    case 'n':
        return parse_literal(p, ret);
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p, ret);
        return fail_unexpected(p, p->i, "expected a value");
    }
}

int jsonc_parse(const char *text, size_t len, jsonc_doc **ret, jsonc_error *ret_error) {
    _cleanup_(jsonc_doc_freep) jsonc_doc *doc = NULL;
    parser p = {
            .s = (const unsigned char *) text,
            .len = len,
            .cur_line = 1,
            .cur_col = 1,
            .err = ret_error,
    };
    jsonc_node *root;
    int r;

    if (len > JSONC_MAX_BYTES) {
        if (ret_error) {
            ret_error->pos = (jsonc_pos){0, 0};
            snprintf(ret_error->msg, sizeof(ret_error->msg), "file is larger than %u bytes",
                     JSONC_MAX_BYTES);
        }
        return -EFBIG;
    }
    doc = calloc(1, sizeof(*doc));
    if (!doc)
        return fail_nomem(&p);
    p.doc = doc;
    p.i = skip_bom(p.s, len);
    if ((r = skip_ws(&p)) < 0)
        return r;
    if (p.i >= p.len)
        return fail_at(&p, p.i, "no value (the document is empty)");
    if ((r = parse_value(&p, &root)) < 0)
        return r;
    if ((r = skip_ws(&p)) < 0)
        return r;
    if (p.i < p.len)
        return fail_unexpected(&p, p.i, "expected the end of the document after the value");
    doc->root = root;
    *ret = TAKE_PTR(doc);
    return 0;
}
