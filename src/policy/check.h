/* SPDX-License-Identifier: MIT */
/*
 * The preflight command check (§7, §8): every segment of a command string through the rule
 * lists and the SSH policy, with the Go tool's messages. fence_check_command() is the public
 * form; check_command() takes an already compiled policy (the manager keeps one per run).
 */
#pragma once

#include "fence/fence.h"
#include "policy/cmdpol.h"

/* Returns 0 when every segment is allowed, -FENCE_E_BLOCKED with the message of §7.4 or §8 (or
 * the reason the string cannot be checked) when refused, -FENCE_E_NOMEM, -FENCE_E_INVAL. */
int check_command(const cmdpol *pol, const char *command, fence_error *err);
