/* SPDX-License-Identifier: MIT */
/*
 * jsonc: a small, strict JSON reader that also accepts the two JSONC extensions of fence's config
 * files (comments: `//` to end of line and block comments; trailing commas in arrays and objects)
 * and keeps the line and column of every value and key, so that a validation error can name
 * file:line:col of the offending value (jansson cannot report positions of values).
 *
 * Everything else is strict RFC 8259: no NaN/Infinity, no single quotes, no leading zeros or '+',
 * no raw control characters in strings, valid \u escapes (surrogate pairs combined, lone
 * surrogates rejected), valid UTF-8 only, nothing after the top-level value. A UTF-8 byte order
 * mark at the start is skipped. Input size and nesting depth are bounded (JSONC_MAX_BYTES,
 * JSONC_MAX_DEPTH).
 *
 * Lines and columns are 1-based; a column counts code points (a tab is one column), which is what
 * editors show. All nodes and decoded strings of a document live in one arena owned by the
 * jsonc_doc and are freed together by jsonc_doc_free().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

/* Largest document accepted (config files are a few KiB). */
#define JSONC_MAX_BYTES (1024u * 1024u)
/* Deepest nesting of arrays/objects accepted (fence's schema needs 3). */
#define JSONC_MAX_DEPTH 64

typedef enum jsonc_type {
    JSONC_NULL,
    JSONC_BOOL,
    JSONC_NUMBER,
    JSONC_STRING,
    JSONC_ARRAY,
    JSONC_OBJECT,
} jsonc_type;

typedef struct jsonc_pos {
    uint32_t line; /* 0 = unknown */
    uint32_t col;
} jsonc_pos;

typedef struct jsonc_node jsonc_node;
struct jsonc_node {
    jsonc_type type;
    jsonc_pos pos;    /* where the value starts */
    jsonc_node *next; /* next element of the containing array / member of the object */

    /* set when the node is the value of an object member */
    const char *key; /* decoded, NUL-terminated */
    size_t key_len;
    jsonc_pos key_pos;

    bool boolean;    /* JSONC_BOOL */
    const char *str; /* JSONC_STRING: decoded, NUL-terminated (may hold an embedded NUL: see
                        str_len); JSONC_NUMBER: the literal text, NUL-terminated */
    size_t str_len;
    jsonc_node *first; /* JSONC_ARRAY, JSONC_OBJECT: children in document order */
    size_t count;
};

typedef struct jsonc_doc jsonc_doc;

/* Where and why parsing failed. msg is one line without position. */
typedef struct jsonc_error {
    jsonc_pos pos;
    char msg[160];
} jsonc_error;

/* Parses text[0..len). Returns 0 and a document (free with jsonc_doc_free), -EINVAL with
 * *ret_error filled for malformed input (including "empty"), -EFBIG when len > JSONC_MAX_BYTES
 * (also described in *ret_error), or -ENOMEM. */
int jsonc_parse(const char *text, size_t len, jsonc_doc **ret, jsonc_error *ret_error);

/* The top-level value. Valid until jsonc_doc_free(). */
const jsonc_node *jsonc_doc_root(const jsonc_doc *doc);
void jsonc_doc_free(jsonc_doc *doc);
DEFINE_TRIVIAL_CLEANUP_FUNC(jsonc_doc, jsonc_doc_free)

/* True when text holds nothing but whitespace and comments (an unterminated block comment counts
 * as content, so that it is reported as an error). */
bool jsonc_is_blank(const char *text, size_t len);

/* Decodes the UTF-8 sequence at s (at most avail bytes; a NUL-terminated string may pass
 * SIZE_MAX). Returns its length and *ret_cp, or 0 for an invalid sequence (overlong forms, UTF-16
 * surrogates and code points above U+10FFFF included). */
size_t jsonc_utf8_decode(const unsigned char *s, size_t avail, uint32_t *ret_cp);

/* A noun for the type, for messages: "a string", "an array", ... */
const char *jsonc_type_name(jsonc_type t);
