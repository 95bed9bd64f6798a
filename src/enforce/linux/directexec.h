/* SPDX-License-Identifier: MIT */
/*
 * directexec: run a simple command without the shell, exactly as `bash -c` would have run it.
 *
 * fence runs every command as `<shell> -c <string>` (§3.1, §10.9): `fence -- npm install` becomes
 * `bash -c 'npm install'`. For a string that is one simple command, bash parses it, finds the
 * program on $PATH and execs it in place (no fork), so the only trace bash leaves is in the
 * environment (PWD, SHLVL, `_`, OLDPWD) — and about 2 ms of start-up on every launch. When the
 * string is a plain list of words (unquoted safe characters, single quotes, backslash escapes: what
 * the argv quoting of `fence -- cmd args` produces) naming a program rather than a builtin or
 * keyword, and the environment holds nothing that changes how bash starts (BASH_ENV, SHELLOPTS,
 * exported functions, ...), the workload does bash's part itself: the same $PATH search, the same
 * environment edits, the same exec. Anything else, and every case it is not sure of, runs the
 * shell as before: when the search finds nothing, or the exec fails in a way bash would report,
 * the workload execs the shell with the original string, so bash itself prints its message.
 *
 * directexec_prepare() runs in the supervisor and allocates everything; directexec_try() runs in
 * the workload after clone (no allocation: spawn.h) and returns only to fall back to the shell.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "util/strv.h"

typedef struct directexec {
    bool enabled;      /* false: run the shell */
    strv words;        /* the command's argv */
    char **envp;       /* the workload's environment as bash would pass it on; the slots below
                          are filled in by directexec_try() */
    char *shlvl;       /* the "SHLVL=..." entry made for it */
    size_t pwd_slot;   /* "PWD=..." */
    size_t under_slot; /* "_=<the program's path>" */
    size_t old_slot;   /* OLDPWD, kept only when it names a directory (then NULL-terminated) */
    const char *oldpwd;     /* the "OLDPWD=..." entry, or NULL */
    const char *path_value; /* $PATH, borrowed from the environment */
    const char *pwd_value;  /* $PWD, borrowed, or NULL */
    char pwd[PATH_MAX + 8];
    char under[PATH_MAX + 8];
} directexec;

/* Splits `command` into words if it is a plain list of words: 1 (words in *ret), 0 when it uses
 * anything else of the shell's syntax, -ENOMEM. */
int directexec_words(const char *command, strv *ret);

/* Decides whether `<shell> <flag> <command>` can run without the shell under the environment
 * `envp` (the workload's, NULL-terminated; borrowed until directexec_done) and prepares it.
 * ret->enabled tells. Returns 0 or -ENOMEM. */
int directexec_prepare(const char *shell, const char *flag, const char *command, char *const *envp,
                       directexec *ret);

/* In the workload, just before it would exec the shell: searches $PATH as bash does, fixes the
 * environment and execs the program. Returns only when the shell is to run instead. */
void directexec_try(directexec *d);

void directexec_done(directexec *d);
