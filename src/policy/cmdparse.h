/* SPDX-License-Identifier: MIT */
/*
 * The preflight parser of the command policy (spec/fence-behaviour.md §7.2, with the
 * deviations of DESIGN.md): turns a shell command string into the simple commands it would run.
 * Pure: no system calls; all memory of one parse comes from one arena with a hard budget.
 *
 * The parser understands what a POSIX shell (and bash) does with a command string well enough
 * to find every command word that is written out in it:
 *  - lists and pipelines: `&&` `||` `;` `|` `|&` `&` newlines; `( … )`, `{ …; }`, `if/while/
 *    until/for/select/case` bodies, function bodies; `[[ … ]]` and `(( … ))` are scanned for
 *    substitutions only;
 *  - quoting: '…', "…", $'…' (decoded), $"…", backslash escapes and line continuations, so
 *    `g"i"t`, `\git`, `gi\<newline>t` are the word `git`;
 *  - substitutions, which run commands: $( … ), backticks, <( … ), >( … ), including inside
 *    double quotes, ${ … } operands, $(( … )) and here-documents without a quoted delimiter;
 *  - unquoted $IFS / ${IFS…} split words as the default IFS would (`git${IFS}push`);
 *  - brace expansion ({git,push}, {a..c}) before matching;
 *  - redirections (`>x`, `2>&1`, `<<EOF`, `<<<w`, `&>x`, `{fd}>x`) are removed from the words;
 *  - each simple command is then unwrapped: leading assignments, wrappers (env, command, exec,
 *    nohup, time, nice, timeout, xargs, sudo, doas, stdbuf, setsid, ionice, taskset, chrt,
 *    flock, watch, su/runuser/script -c, strace, busybox, …), `find -exec … ;`, `eval`, and
 *    nested shells (sh/bash/zsh/ksh/dash/fish/… with -c), whose script is parsed in turn; a
 *    shell that reads its script from stdin is fed the here-document, here-string, or the
 *    literal output of `echo`/`printf`/`cat <<EOF` piped into it.
 * Every form is reported as a segment — the whole simple command as written (what the Go tool
 * checks) and each unwrapped inner command — and each segment is checked on its own.
 *
 * What cannot be known from the text is not guessed: a command word made only of an expansion
 * (`$cmd`, `$(…)`) names no rule; a word that is partly literal (`g$x`, `gi?`, `${d}/git`) is
 * matched as a pattern in which the expansion or glob stands for any text. Scripts run from
 * files, aliases, functions invoked by name after definition elsewhere, and commands that other
 * programs start (make, npm scripts, git hooks, python -c) are invisible here; the runtime exec
 * policies (§7.5/§7.6) cover those.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Limits of the preflight parser. A string longer than CMDPARSE_MAX_INPUT cannot be handed to
 * `sh -c` anyway (MAX_ARG_STRLEN is 131072 bytes including the NUL). */
#define CMDPARSE_MAX_INPUT    131071
#define CMDPARSE_MAX_DEPTH    64          /* nested quotes, substitutions, subshells, scripts */
#define CMDPARSE_MAX_SEGMENTS 16384       /* simple commands (and unwrapped forms) per check */
#define CMDPARSE_MAX_WORDS    262144      /* words across all segments */
#define CMDPARSE_MAX_MEMORY   (32u << 20) /* parser arena */
#define CMDPARSE_MAX_WORD     (1u << 20)  /* one word */
#define CMDPARSE_BRACE_MAX    256         /* words one brace expansion yields (rest dropped) */
#define CMDPARSE_BRACE_BYTES  (4u << 20)  /* bytes one brace expansion may copy on the way */
/* Reader steps per input byte (plus a floor): bounds re-reading of nested scripts. */
#define CMDPARSE_STEPS_PER_BYTE 64u
#define CMDPARSE_STEPS_MIN      (1u << 20)

enum {
    CMDPARSE_WORD_DYNAMIC = 1u << 0, /* contains an expansion or substitution */
    CMDPARSE_WORD_GLOB = 1u << 1,    /* contains an unquoted * ? or [ */
    CMDPARSE_WORD_LITERAL = 1u << 2, /* has a character that is neither an expansion nor an
                                      unquoted * or ?; a word without one matches no rule token */
    CMDPARSE_WORD_ASSIGN = 1u << 3,  /* NAME=value before the command word */
    CMDPARSE_WORD_QUOTED = 1u << 4   /* some part of it was quoted or escaped */
};

typedef struct cmdparse_word {
    const char *text;    /* quotes removed, escapes decoded, expansions kept as written ("$x") */
    const char *pattern; /* fnmatch(3) pattern (expansion -> "*", quoted specials escaped) when
                            the word is DYNAMIC or GLOB, else NULL */
    unsigned flags;      /* CMDPARSE_WORD_* */
    const char *src;     /* the script text the word was read from, and its range there */
    size_t start, end;
} cmdparse_word;

typedef struct cmdparse_segment {
    const char *text;           /* the command as written (for messages) */
    const cmdparse_word *words; /* words[0] is the command word */
    size_t n_words;
    const char *name; /* basename of words[0] (Go filepath.Base), pattern form when
                         name_is_pattern; NULL when the name is unknown ($cmd) */
    size_t name_len;
    bool name_is_pattern;
} cmdparse_segment;

typedef struct cmdparse cmdparse;

/* Parses a command string. Returns 0 and *ret (free with cmdparse_free), or: -E2BIG (longer than
 * CMDPARSE_MAX_INPUT), -ERANGE (too many commands or words), -ENOBUFS (too much memory),
 * -ETIMEDOUT (too many reader steps), -ELOOP (nested deeper than CMDPARSE_MAX_DEPTH), -ENOMEM.
 * cmdparse_strerror() gives the reason as text. Segments borrow from *ret. */
int cmdparse_string(const char *s, size_t len, cmdparse **ret);
size_t cmdparse_count(const cmdparse *p);
const cmdparse_segment *cmdparse_get(const cmdparse *p, size_t i);
void cmdparse_free(cmdparse *p);
/* A one-line reason for a cmdparse_string() failure ("it nests constructs deeper than …"). */
const char *cmdparse_strerror(int r);

/* Go's filepath.Base of [p, p+n) without allocating: the last element without trailing
 * slashes, "." for an empty string, "/" for slashes only. Points into p or a static string. */
const char *cmdparse_basename(const char *p, size_t n, size_t *ret_len);
