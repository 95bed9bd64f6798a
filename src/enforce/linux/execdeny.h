/* SPDX-License-Identifier: MIT */
/*
 * Runtime exec policy `path` (spec/fence-behaviour.md §7.5): the single-token deny rules
 * (command.deny and, unless useDefaults is false, the default list) resolved to the canonical
 * paths of the programs they name on this host. The mount plan masks each path with /dev/null
 * inside the sandbox, so that a program the preflight allowed cannot exec them either.
 *
 * A path whose inode also carries a "critical" command (a multicall binary such as busybox or
 * a Nix coreutils) is still masked, with a warning naming the commands that go with it, unless
 * the rule's token is listed in command.acceptSharedBinaryCannotRuntimeDeny (then it is left
 * alone, silently). The shell the sandbox starts is never masked.
 *
 * Reads the filesystem (stat, lstat, getdents, realpath, /proc/self/mountinfo); everything else
 * about the host comes in as facts. The answers are those of stat() and realpath() on every
 * (directory, name) path, found with as few system calls as possible (see execdeny.c).
 */
#pragma once

#include <stdbool.h>

#include "config/config.h"
#include "fence/fence.h"
#include "util/strv.h"

typedef struct execdeny_facts {
    const char *path_env;   /* the host's $PATH; NULL or "" = none */
    const char *cwd;        /* base for relative rule tokens with a '/'; NULL = ignore those */
    const char *shell_path; /* the shell the sandbox starts; it and its resolved path are never
                               masked. NULL = none */
    bool debug;             /* warnings list every alias (fence -d) instead of three */
} execdeny_facts;

/* A directory whose st_size is above this is not read whole: the names the resolver asks about are
 * lstat()ed one by one instead. */
#define EXECDENY_LIST_MAX_BYTES (24 * 1024)

/* Every warning line starts with this (the Go tool's Linux log prefix). */
#define EXECDENY_WARNING_PREFIX "[fence:linux] "

/* Computes the paths to mask (sorted, unique, canonical) and the warning lines (sorted) for
 * cfg. Returns 0, or -FENCE_E_NOMEM. On failure nothing is written to the outputs. */
int execdeny_resolve(const struct fence_config *cfg, const execdeny_facts *facts, strv *ret_paths,
                     strv *ret_warnings, fence_error *err);
