/* SPDX-License-Identifier: MIT */
/*
 * Validation of one config (spec §4.6), with the Go tool's message texts and its rule order (the
 * first failing rule is reported), each error located at the offending value when a source map
 * is available.
 */
#pragma once

#include <stddef.h>

#include "config/config.h"
#include "config/decode.h"

/* Checks cfg. map may be NULL (no positions). Returns 0, or -FENCE_E_CONFIG with diag filled
 * (kind CONFIG_DIAG_INVALID). Does not apply the strictDenyRead side effect: see
 * config_parse_text(). */
int config_check(const struct fence_config *cfg, const config_srcmap *map, config_diag *diag);

/* Writes s quoted as Go's %q does (strconv.Quote): double quotes, backslash escapes for quotes,
 * backslashes and control characters, invalid UTF-8 as \xNN. Always NUL-terminates; truncates
 * to size. Returns buf. */
char *config_quote(char *buf, size_t size, const char *s);
