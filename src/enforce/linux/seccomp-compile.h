/* SPDX-License-Identifier: MIT */
/*
 * Build-time seccomp compiler (libseccomp): used by seccomp-gen and the unit test, never on the
 * launch path. See seccomp-compile.c.
 */
#pragma once

#include <linux/filter.h>
#include <stddef.h>

#include "fence/fence.h"
#include "seccomp.h"

/* The native number of a syscall by name, or -1 when this architecture does not have it
 * (fallback_nr is used when libseccomp does not know the name). */
int seccomp_resolve_nr(const char *name, int fallback_nr);

/* Compiles plan for the native architecture. *ret_insns (malloc'd, freed by the caller) holds
 * *ret_len instructions. Returns 0, -FENCE_E_NOMEM or -FENCE_E_SANDBOX ("seccomp: ..."). */
int seccomp_compile(const seccomp_plan *plan, struct sock_filter **ret_insns, size_t *ret_len,
                    fence_error *err);
