/* SPDX-License-Identifier: MIT */
/*
 * gitscan: the git control paths a sandbox must not write (escape class 11, review1 findings
 * 2-4). Git runs code on the host from its configuration (core.fsmonitor, core.pager, filter
 * drivers...) and from hooks; a sandboxed command that could write either would run code on
 * the user's next `git status`. Starting from the ".git" names the dangerous-name scan found and
 * from the repositories enclosing the workspace and each writable root (walked up to "/"), it
 * lists, canonical:
 *  - every git directory (a ".git" directory, the one a ".git" file "gitdir: X" names, its
 *    commondir, each of its modules/ (recursively) and worktrees/): hooks/, config (unless
 *    allowGitConfig), commondir, gitdir, config.worktree; a ".git" file itself; the ".git" file
 *    of each linked worktree;
 *  - the directory core.hooksPath names in a repository's config or a global one (with its
 *    parent when it ends in "/_", husky's layout: the wrappers there run ../<hook>);
 *  - the global configs (~/.gitconfig, ~/.config/git/config, $XDG_CONFIG_HOME/git/config) and
 *    the files any of these configs include (include.path, includeIf.*.path).
 * Pure apart from the host_facts filesystem oracle (probe.h).
 */
#pragma once

#include <stdbool.h>

#include "enforce/linux/probe.h"
#include "util/strv.h"

/* Bounds: git directories visited, config files parsed, entries of the protected list. */
#define GITSCAN_MAX_GIT_DIRS 256
#define GITSCAN_MAX_CONFIGS  64
#define GITSCAN_MAX_PROTECT  4096

typedef struct gitscan_result {
    strv git_dirs; /* canonical ".git" directories (fspol_protect.git_dirs) */
    strv protect;  /* canonical control paths, existing or not (fspol_protect.git_protect) */
    strv notes;    /* for -d: skipped configs, limits reached */
    /* A bound was reached (too many git directories, configs, control paths or entries; too
     * deep): what lies beyond was not seen, so the caller must refuse to start (a sandbox can
     * make the names that exhaust the bounds). The first such note is in truncated_at. */
    bool truncated;
    char truncated_at[400];
} gitscan_result;

/* dot_gits: ".git" paths found by the dangerous-name scan (any type, may be NULL); roots:
 * directories whose enclosing repositories are protected too. Returns 0 or -ENOMEM; ret is
 * filled either way and freed with gitscan_result_done(). */
int gitscan_collect(const host_facts *f, const strv *dot_gits, const strv *roots,
                    bool allow_git_config, gitscan_result *ret);
void gitscan_result_done(gitscan_result *r);

/* Calls fn for each "section.key" (section and key lower-cased, the subsection kept as
 * written: "includeif.gitdir:~/w/.path") and value of a git config text. A key without "=" has
 * the value "true". Stops at the first non-zero fn result and returns it. Exposed for tests. */
int gitscan_parse_config(const char *text, int (*fn)(void *u, const char *key, const char *value),
                         void *u);
