/* SPDX-License-Identifier: MIT */
/*
 * broker: the protected-names broker (DESIGN.md "The Linux engine"). Mounts can only protect
 * names that exist; a new `.bashrc`, `.vscode/` or `.git/hooks/x` is refused here instead.
 *
 * The workload's seccomp filter sends the creating calls (open/openat/openat2 with O_CREAT,
 * creat, mkdir(at), mknod(at), rename(at)(2), link(at), symlink(at)) to the supervisor's
 * user-notification listener. For each, the broker reads the path arguments ONCE from the
 * workload's memory, resolves them itself in the sandbox's view (starting at /proc/PID/root,
 * /proc/PID/cwd or /proc/PID/fd/N, one component at a time, symlinks followed by hand with
 * absolute targets restarting at the sandbox's root, ".." clamped by the kernel at the
 * sandbox's root), asks fspol_create_denied() about the sandbox-view path of the parent
 * directory it holds open plus the new name, and then performs the call itself on that
 * parent fd (dropping its effective capabilities when fence runs as root, applying the
 * workload's umask), injecting a created fd with SECCOMP_IOCTL_NOTIF_ADDFD. It never lets the
 * kernel re-read the path (SECCOMP_USER_NOTIF_FLAG_CONTINUE would: the workload could rewrite
 * its memory after the check).
 *
 * Directories renamed into the workspace from outside get EXDEV, so `mv` copies them through
 * the broker file by file instead of bringing unchecked contents.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "fence/fence.h"
#include "runtime/rlog.h"
#include "util/strv.h"

typedef struct broker broker;

typedef struct broker_config {
    const char *workspace;  /* canonical, sandbox view = host view for the workspace */
    const char *home;       /* may be NULL */
    bool allow_git_config;
    const strv *deny_write; /* normalised denyWrite patterns */
    const strv *git_dirs;   /* ".git" directories of the workspace at launch (fspol_protect) */
    const strv *git_protect; /* git control paths found at launch (fspol_protect), may be NULL */
    const rlog *log;
} broker_config;

/* pid: the sandbox's init in the supervisor's PID namespace (only used for messages). The
 * config's strings must outlive the broker. */
int broker_new(const broker_config *cfg, pid_t pid, broker **ret, fence_error *err);
void broker_free(broker *b);

/* Receives and answers one notification from the listener fd (supervise_notify_fn). */
void broker_handle(void *userdata, int notify_fd);
/* Answers one notification already received (by a dispatcher sharing the listener). */
struct seccomp_notif;
void broker_answer(broker *b, int notify_fd, const struct seccomp_notif *req);

/* Counters for tests and -d. */
unsigned long broker_handled(const broker *b);
unsigned long broker_refused(const broker *b);
