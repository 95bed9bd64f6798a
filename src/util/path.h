/* SPDX-License-Identifier: MIT */
/*
 * Lexical path helpers (no system calls): cleaning with the semantics of Go's filepath.Clean,
 * joining, splitting and component-wise prefix tests. Functions returning char * allocate; the
 * caller frees; NULL means out of memory.
 */
#pragma once

#include <stdbool.h>

/* Lexically normalises p: repeated '/' collapsed, '.' dropped, 'x/..' removed, '..' at the root
 * dropped, no trailing '/'. "" becomes ".". Same rules as Go's filepath.Clean. */
char *path_clean(const char *p);
/* Joins a and b with '/' and cleans the result; an empty part is ignored. */
char *path_join(const char *a, const char *b);
/* Last element after cleaning ("/" for the root, "." for ""), as Go's filepath.Base. */
char *path_base(const char *p);
/* Everything but the last element, cleaned, as Go's filepath.Dir. */
char *path_dir(const char *p);
bool path_is_abs(const char *p);
/* True when path equals prefix or lies below it, comparing whole components
 * ("/a/bc" is not under "/a/b"). Both must be clean. */
bool path_is_under(const char *path, const char *prefix);
