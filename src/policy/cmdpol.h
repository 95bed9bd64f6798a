/* SPDX-License-Identifier: MIT */
/*
 * Command policy (spec/fence-behaviour.md §7): the compiled rule lists, the prefix matcher of
 * §7.3 applied to the segments cmdparse finds, the exec-time decision of §7.6 and the
 * Go-compatible quoting of the messages. Pure; the exec decision does not allocate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "policy/cmdparse.h"
#include "util/fbuf.h"

typedef enum cmdpol_list {
    CMDPOL_ALLOW = 0,   /* command.allow */
    CMDPOL_DENY,        /* command.deny */
    CMDPOL_DEFAULT,     /* §7.1 default list (empty when useDefaults is false) */
    CMDPOL_SSH_ALLOWED, /* ssh.allowedCommands */
    CMDPOL_SSH_DENIED,  /* ssh.deniedCommands */
    CMDPOL_LIST_COUNT
} cmdpol_list;

typedef struct cmdpol_rule {
    char *text;  /* as configured */
    char **tok;  /* Go tokenisation (space/tab split, quote characters removed); tok[0] is the
                    basename of the first token */
    size_t n;    /* 0: the rule has no tokens and matches nothing */
    char *first; /* the first token before taking its basename */
} cmdpol_rule;

/* A compiled policy: the rule lists plus the SSH settings, copied from a config. */
typedef struct cmdpol {
    cmdpol_rule *rules[CMDPOL_LIST_COUNT];
    size_t n_rules[CMDPOL_LIST_COUNT];
    strv ssh_allowed_hosts;
    strv ssh_denied_hosts;
    bool ssh_allow_all_commands;
    bool ssh_inherit_deny;
    bool use_defaults;
} cmdpol;

/* The §7.1 default deny list (29 entries), NULL-terminated. */
extern const char *const cmdpol_default_deny[];

/* Compiles cfg (not NULL) into *ret (free with cmdpol_free). 0 or -ENOMEM. */
int cmdpol_new(const struct fence_config *cfg, cmdpol **ret);
void cmdpol_free(cmdpol *p);

/* The first rule of `list` that matches the segment (§7.3), or NULL. */
const cmdpol_rule *cmdpol_match(const cmdpol *p, cmdpol_list list, const cmdparse_segment *seg);

typedef enum cmdpol_result {
    CMDPOL_NO_MATCH = 0, /* no rule: allowed (the SSH policy may still apply) */
    CMDPOL_ALLOWED,      /* a command.allow rule matched */
    CMDPOL_BLOCKED       /* a deny rule matched; see source */
} cmdpol_result;

typedef struct cmdpol_verdict {
    cmdpol_result result;
    cmdpol_list source;      /* CMDPOL_DENY or CMDPOL_DEFAULT when blocked */
    const cmdpol_rule *rule; /* matched rule, borrowed from the policy */
} cmdpol_verdict;

/* allow -> command.deny -> default list, as §7.3 (no SSH here). */
cmdpol_verdict cmdpol_decide(const cmdpol *p, const cmdparse_segment *seg);

/* §7.6 exec-time decision: argv[0] replaced by the basename of exec_path (argv[0]'s basename
 * when exec_path has none), then allow -> deny -> default; no splitting, no SSH. When
 * resolved_path (the exec path with symlinks resolved, may be NULL) has a different basename
 * and the first check matched no rule, it is checked under that name too, so that a symlink
 * named otherwise does not hide the program. Allocation-free. */
cmdpol_verdict cmdpol_decide_exec(const cmdpol *p, const char *exec_path, const char *resolved_path,
                                  const char *const *argv, size_t argc);

/* Whether cmdpol_decide_exec() could block an exec of this program whatever its arguments
 * are: some command.deny or default rule names it (by the basename of exec_path, of argv0 when
 * exec_path has none, or of resolved_path). When false the exec is allowed without reading
 * its argv. argv0 may be NULL when not known yet: then true if exec_path has no basename.
 * Allocation-free. */
bool cmdpol_exec_may_block(const cmdpol *p, const char *exec_path, const char *resolved_path,
                           const char *argv0);

/* Appends `exec="P" argv=["a", "b"]` (the common part of the §7.6 log lines). */
int cmdpol_format_exec(fbuf *out, const char *exec_path, const char *const *argv, size_t argc);

/* Appends the §7.6 log line for a blocked exec:
 * `[fence:linux] Runtime exec policy blocked exec="P" argv=["a", "b"] matched="R" source=S`. */
int cmdpol_format_exec_block(fbuf *out, const char *exec_path, const char *const *argv, size_t argc,
                             const cmdpol_verdict *v);

/* The single executable token of a rule for the path-mode exec deny (§7.5), or NULL when the
 * rule has several tokens or shell-matching characters (*?[]|&;()<>$`=). Borrowed. */
const char *cmdpol_rule_runtime_token(const cmdpol_rule *r);

/* Appends s quoted the way Go's %q does (strconv.Quote), for the messages of §7.4 and §8. */
int cmdpol_quote(fbuf *out, const char *s);
