/* SPDX-License-Identifier: MIT */
/*
 * Loading config files, resolving `extends` chains (spec §4.4) and discovering the config to use
 * (spec §4.3). The public functions fence_config_load*, fence_config_resolve and the path
 * functions live here; this header exposes the pieces that tests and benchmarks use directly.
 */
#pragma once

#include <stddef.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config/jsonc.h"

/* At most this many extends hops; the next one is "extends chain too deep (max 10)". */
#define CONFIG_MAX_EXTENDS_DEPTH 10

/* Largest config file read (the JSONC reader's own limit). */
#define CONFIG_MAX_FILE_BYTES JSONC_MAX_BYTES

/* Reads a config file: a regular file of at most CONFIG_MAX_FILE_BYTES, opened without blocking
 * (a FIFO or a device is refused rather than waited on). Returns 0, or -errno (-ENOENT,
 * -EISDIR, -EFBIG, -EINVAL for a file that is not regular, ...). *ret is freed by the caller;
 * *ret_st (NULL allowed) receives the opened file's status, the identity used for cycles. */
int config_read_file(const char *path, char **ret, size_t *ret_len, struct stat *ret_st);

/* The user's config directory (<$XDG_CONFIG_HOME or ~/.config>/fence), as the Go tool computes
 * it. Returns 0 and *ret (NULL when neither $XDG_CONFIG_HOME (absolute) nor $HOME is set; caller
 * frees), or -ENOMEM. */
int config_user_dir(char **ret);
