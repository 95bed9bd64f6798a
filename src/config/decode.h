/* SPDX-License-Identifier: MIT */
/*
 * From JSONC text to a validated struct fence_config, remembering where each value was written.
 *
 * The decoder walks config_fields[] the way Go's encoding/json fills the Go tool's structs: a key
 * matches a field exactly, else case-insensitively (Unicode simple folding, so "AllowedDomains"
 * and "allowedDomains" are the same key); unknown keys (such as "$schema") are ignored; when a key
 * repeats, the last one wins; `null` unsets lists and tri-state booleans and leaves other fields
 * alone; a value of the wrong type is an error naming the key, the expected type and the
 * position. The position of every value (and of every list element) goes into a config_srcmap,
 * so that validation can point at the offending value.
 */
#pragma once

#include <stddef.h>

#include "config/config.h"
#include "config/jsonc.h"

/* Where each field's value was written. Positions with line 0 are unknown. */
typedef struct config_srcmap {
    jsonc_pos field[FENCE_CFG_KEY_COUNT];  /* the value of the key */
    jsonc_pos *items[FENCE_CFG_KEY_COUNT]; /* each element of a list field (malloc'd) */
    size_t n_items[FENCE_CFG_KEY_COUNT];
} config_srcmap;

void config_srcmap_done(config_srcmap *m);
/* Position of list element i of key, or of the key's value when unknown. NULL map = unknown. */
jsonc_pos config_srcmap_item(const config_srcmap *m, fence_config_key key, size_t i);
jsonc_pos config_srcmap_field(const config_srcmap *m, fence_config_key key);

/* What went wrong while reading one file, before it is phrased for the caller (a config file,
 * an extends file, @base). */
typedef enum config_diag_kind {
    CONFIG_DIAG_NONE = 0,
    CONFIG_DIAG_JSON,    /* syntax or type error: Go's "invalid JSON in ..." */
    CONFIG_DIAG_INVALID, /* a validation rule (§4.6): Go's "invalid configuration ..." */
} config_diag_kind;

typedef struct config_diag {
    config_diag_kind kind;
    jsonc_pos pos; /* line 0 = no position (configs built through the API) */
    char msg[384]; /* the Go message text, one line, no position */
} config_diag;

/* Decodes an object node into cfg (which must be initialised), recording positions in map
 * (NULL allowed). Returns 0, -FENCE_E_CONFIG with diag filled, or -FENCE_E_NOMEM. On failure
 * cfg holds a partial result; the caller frees it. */
int config_decode(const jsonc_node *root, struct fence_config *cfg, config_srcmap *map,
                  config_diag *diag);

/* Parses, decodes and validates JSONC text; applies the validation side effect (strictDenyRead
 * implies defaultDenyRead). Returns 1 and *ret (and *ret_map when not NULL; release with
 * config_srcmap_done) for a config, 0 when the text is empty or holds only whitespace and
 * comments (outputs untouched), -FENCE_E_CONFIG with diag filled, or -FENCE_E_NOMEM. */
int config_parse_text(const char *text, size_t len, struct fence_config **ret,
                      config_srcmap *ret_map, config_diag *diag);

/* Records "name:line:col: <prefix>: <diag msg>" (position omitted when unknown) in err. */
int config_diag_to_error(const config_diag *diag, const char *name, const char *prefix,
                         fence_error *err);
