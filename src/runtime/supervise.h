/* SPDX-License-Identifier: MIT */
/*
 * supervise: the supervisor's side of a running sandbox (spec §10.8). One evloop serves the
 * sandbox's pidfd and control socket, the signals fence receives (signalfd), the PTY relay and
 * the seccomp user-notification listener; the caller may register more fds (the proxies).
 *
 *  - Signals: the first SIGINT/SIGTERM/SIGHUP is forwarded (to the PTY's foreground group in
 *    relay mode, else to the workload through the sandbox's init), the second kills the
 *    sandbox; SIGQUIT, SIGUSR1/2 are forwarded; SIGWINCH resizes the PTY or is forwarded.
 *  - Job control without a PTY (tty_fd >= 0): when the workload stops, fence takes the
 *    terminal back and stops itself; when continued, it hands the terminal back and continues
 *    the sandbox's process group.
 *  - PTY relay: the host terminal in raw mode (restored on every exit path, and around a
 *    Ctrl-Z of fence itself), both directions relayed with bounded buffers, output drained
 *    before returning.
 *  - Exit status: the workload's, 128+N when killed by signal N.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "enforce/linux/spawn.h"
#include "runtime/evloop.h"
#include "runtime/rlog.h"

/* Handles one pending seccomp notification on fd (called when the listener is readable). */
typedef void (*supervise_notify_fn)(void *userdata, int notify_fd);

typedef struct supervise_opts {
    const rlog *log;
    bool pty;          /* relay sb->pty_master <-> stdin/stdout */
    int tty_fd;        /* >= 0: job-control hand-off on this terminal (no PTY) */
    supervise_notify_fn on_notify;
    void *notify_data;
} supervise_opts;

/* Blocks the signals supervise_run() handles in the calling thread, saving the old mask in
 * *ret_old. Called before the sandbox is spawned: a SIGINT that arrives once the command runs
 * but before supervise_run() has its signalfd then waits for it instead of killing fence with
 * the default action. Restore with pthread_sigmask(SIG_SETMASK, ret_old, NULL). */
void supervise_block_signals(sigset_t *ret_old);

/* Runs until the sandbox's init has exited; *ret_status is the exit status. The loop is the
 * caller's (it may hold other registrations); supervise removes its own before returning. */
int supervise_run(evloop *loop, sandbox *sb, const supervise_opts *opts, int *ret_status,
                  fence_error *err);
