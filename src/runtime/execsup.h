/* SPDX-License-Identifier: MIT */
/*
 * execsup: the runtime exec policy `argv` (spec §7.6) on the supervisor's side.
 *
 * In argv mode the workload's seccomp filter sends every execve/execveat to the supervisor's
 * user-notification listener. For each, execsup reads the program path and the argv from the
 * tracee's memory with process_vm_readv (bounded as in the Go tool: EXECSUP_MAX_ARGS arguments
 * of at most EXECSUP_MAX_STRING bytes), re-validates the notification id after reading (so the
 * pid was not reused meanwhile), resolves the path in the sandbox's view (from /proc/PID/root
 * with RESOLVE_IN_ROOT; procfs paths such as /proc/self/fd/N, /dev/fd/N and execveat with
 * AT_EMPTY_PATH through /proc/PID), so that a symlinked alias is seen under its target's name,
 * and follows "#!" lines the way the kernel does: the interpreter of a script is started inside
 * the kernel without a second execve, so it is checked here with the argv the kernel will give
 * it. Each program is decided by cmdpol_decide_exec(): allow rules, command.deny, the default
 * list. The argv is read only when a deny rule names the program at all.
 *
 * Allowed: SECCOMP_USER_NOTIF_FLAG_CONTINUE, but only when the tracee is single-threaded (as the
 * Go tool requires: another thread could rewrite the strings after the check). Denied: -EPERM and
 * the §7.6 log line through the manager's log callback; an exec that cannot be inspected is
 * denied with its reason. The shell the sandbox starts (the first exec) is allowed unchecked.
 *
 * CONTINUE lets the kernel read the path and argv again after the check; docs/command-policy.md
 * lists what a process racing the check can still do.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "fence/fence.h"
#include "policy/cmdpol.h"
#include "runtime/rlog.h"

struct seccomp_notif;

/* Limits on what is read from a tracee (the Go tool's). An exec with more arguments, or with a
 * longer string, is denied when a deny rule names the program (its argv cannot be checked) and
 * allowed otherwise (no rule could match it whatever the arguments). */
#define EXECSUP_MAX_ARGS   256
#define EXECSUP_MAX_STRING (32 * 1024)
/* "#!" interpreters followed (the kernel's BINPRM_MAX_RECURSION) and the bytes of the first line
 * the kernel reads (BINPRM_BUF_SIZE). */
#define EXECSUP_MAX_INTERP  4
#define EXECSUP_SHEBANG_MAX 256

typedef struct execsup_config {
    const cmdpol *pol; /* the manager's compiled policy; must outlive the execsup */
    /* The first exec on the listener is the workload starting the shell fence chose: allowed
     * unchecked. It is necessarily that one (only the workload carries the filter, and it has no
     * children before its exec), and its memory is the sandbox init's, which fence cannot read
     * when unprivileged (the init is not dumpable). */
    bool bootstrap;
    const rlog *log; /* blocked execs are always logged; allowed ones with -d */
} execsup_config;

typedef struct execsup execsup;

/* Returns 0, or -FENCE_E_NOMEM. The config's pointers are borrowed. */
int execsup_new(const execsup_config *cfg, execsup **ret, fence_error *err);
void execsup_free(execsup *e);

/* Decides and answers one execve/execveat notification received on notify_fd. */
void execsup_answer(execsup *e, int notify_fd, const struct seccomp_notif *req);

/* Counters for tests and -d: notifications answered, execs refused, and the CPU time the
 * supervisor spent answering them (nanoseconds). */
unsigned long execsup_checked(const execsup *e);
unsigned long execsup_denied(const execsup *e);
unsigned long long execsup_cpu_ns(const execsup *e);

/* The interpreter line of a script as the kernel parses it (fs/binfmt_script.c). */
typedef struct execsup_shebang {
    char interp[EXECSUP_SHEBANG_MAX];
    char arg[EXECSUP_SHEBANG_MAX]; /* the optional argument: the rest of the line, one string */
    bool has_arg;
} execsup_shebang;

/* Parses the first n bytes of a file. Returns 1 for a "#!" line with an interpreter, 0 when the
 * file is not a script, -ENOEXEC when the kernel would refuse the line (no interpreter, or the
 * interpreter truncated by the buffer). Pure. */
int execsup_parse_shebang(const char *buf, size_t n, execsup_shebang *ret);
