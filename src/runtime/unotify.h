/* SPDX-License-Identifier: MIT */
/*
 * unotify: the dispatcher of the workload's seccomp user-notification listener. The kernel allows
 * one listener per filter stack, so the exec checks of argv mode (execsup) and the protected-names
 * broker share it: unotify receives each notification once and hands it to the module that
 * serves its syscall family. A notification nobody serves is refused with EPERM (fail closed).
 */
#pragma once

#include "fence/fence.h"
#include "runtime/broker.h"
#include "runtime/execsup.h"

typedef struct unotify unotify;

/* Returns 0, -FENCE_E_UNSUPPORTED (no user notification) or -FENCE_E_NOMEM. */
int unotify_new(unotify **ret, fence_error *err);
void unotify_free(unotify *u);

/* Who serves execve/execveat and who serves everything else (both borrowed; NULL = nobody). */
void unotify_set_exec(unotify *u, execsup *e);
void unotify_set_broker(unotify *u, broker *b);

/* Receives one notification from notify_fd and dispatches it (a supervise_notify_fn and a
 * sandbox_notify_fn). */
void unotify_handle(void *userdata, int notify_fd);
