/* SPDX-License-Identifier: MIT */
/*
 * Importing Claude Code permission settings into a fence policy (spec §3.6). The public entry
 * point is fence_import_claude() (fence.h), which reads a file; import_claude_text() is the
 * same conversion on text in memory, for tests and the fuzzer.
 */
#pragma once

#include <stddef.h>

#include "fence/fence.h"

/* Claude settings files are a few KiB; anything larger than the config limit is refused. */
#define IMPORT_MAX_BYTES (1024u * 1024u)

/* Converts Claude settings text. `name` (a path or label) prefixes located errors.
 * Same outputs as fence_import_claude(). */
int import_claude_text(const char *text, size_t len, const char *name, const char *extends,
                       fence_config **ret_cfg, size_t *ret_rules, char **ret_warnings,
                       fence_error *err);
