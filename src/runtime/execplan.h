/* SPDX-License-Identifier: MIT */
/*
 * execplan: what the runtime exec policy (spec §7.5, §7.6) adds to the plan of a run.
 *
 * `path` (the default): the single-token deny rules resolved to the programs they name on this
 * host (execdeny_resolve), which the mount plan covers with /dev/null inside the sandbox, and the
 * multicall warnings that go with them (logged at every run, not only with -d, as in the Go tool).
 * `argv` (command.runtimeExecPolicy): no masks; the workload's execve/execveat go to the
 * supervisor (execsup), so the run is refused when the kernel cannot notify them.
 */
#pragma once

#include <stdbool.h>

#include "config/config.h"
#include "enforce/linux/execdeny.h"
#include "enforce/linux/features.h"
#include "fence/fence.h"
#include "util/fbuf.h"
#include "util/strv.h"

typedef struct execplan {
    bool argv_mode;
    strv masks;    /* path mode: canonical programs to cover with /dev/null */
    strv warnings; /* path mode: "[fence:linux] runtime exec deny warning for ..." lines */
} execplan;

/* Fills *ret for cfg. Path mode resolves the rules with facts; argv mode probes the kernel and
 * fails with -FENCE_E_UNSUPPORTED when it has no seccomp user notification. -FENCE_E_NOMEM. */
int execplan_build(const struct fence_config *cfg, const execdeny_facts *facts, execplan *ret,
                   fence_error *err);
void execplan_done(execplan *p);

/* The argv-mode refusal for a host described by f: 0 when user notification is available, else
 * -FENCE_E_UNSUPPORTED with `command.runtimeExecPolicy="argv" requires Linux seccomp user
 * notification support: <reason>`. Pure. */
int execplan_require_notify(const linux_features *f, fence_error *err);

/* One line for `fence -d`. */
int execplan_describe(const execplan *p, fbuf *out);
