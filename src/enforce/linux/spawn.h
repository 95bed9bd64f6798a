/* SPDX-License-Identifier: MIT */
/*
 * spawn: starts a sandbox from a finished plan (DESIGN.md "The Linux engine").
 *
 * Process shape: the supervisor S (the caller) clone3()s the init I into new user, mount, PID,
 * IPC, UTS and (unless relaxed) network namespaces. I maps its uid/gid to the caller's, brings
 * `lo` up, creates the planned listening sockets and sends them to S, applies the mount plan,
 * pivots into the new root, then forks the workload W and stays as a tiny init: it reaps
 * zombies, forwards signals to W, reports W stopping, continuing and exiting to S over the
 * control socket, and exits with W's status. W sets up its session and terminal, closes every
 * inherited fd, drops capabilities (bounding and ambient sets too, securebits locked),
 * applies Landlock and seccomp, sends the seccomp listener (if any) to S and execs the shell
 * (or, when directexec allows, the program bash would have exec'd).
 *
 * Errors before exec travel to S on a CLOEXEC pipe as a fence_error; sandbox_spawn() returns
 * only once W has exec'd (the pipe reached EOF) or with that error. The sandbox dies with S:
 * I has PR_SET_PDEATHSIG(SIGKILL) and watches a lifeline pipe whose other end only S holds.
 * Everything after clone3 is raw system calls on memory prepared by S: no allocation, so a
 * multi-threaded caller is safe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "enforce/linux/directexec.h"
#include "enforce/linux/landlock.h"
#include "enforce/linux/mntplan.h"
#include "enforce/linux/seccomp.h"
#include "fence/fence.h"

/* A listening socket created inside the sandbox's network namespace and handed to S. */
typedef struct sandbox_listener {
    int family;      /* AF_INET or AF_INET6 */
    char addr[48];   /* numeric address, e.g. "127.0.0.1" or "::1" */
    uint16_t port;
    bool optional; /* skipped (its fd stays -1) when the family or address does not exist
                      here, e.g. ::1 with IPv6 disabled */
} sandbox_listener;

#define SANDBOX_MAX_LISTENERS 64
/* Largest list of late masks (sandbox_spec.late_masks) in bytes. */
#define SANDBOX_LATE_MASKS_MAX (4u << 20)

/* Answers one pending seccomp notification on notify_fd (the listener is readable). */
typedef void (*sandbox_notify_fn)(void *userdata, int notify_fd);

typedef struct sandbox_spec {
    const mntplan *mounts;
    const landlock_plan *landlock; /* NULL: no Landlock (degraded level accepted) */
    const seccomp_prog *seccomp;   /* NULL: no seccomp (degraded level accepted) */
    bool seccomp_listener;         /* the filter has a user-notification listener */
    const char *exec_path;         /* the shell binary */
    char *const *argv;
    char *const *envp;
    directexec *direct; /* NULL, or tried before the shell (W writes into it) */
    /* NULL, or called by S right after the init is created, while the init sets up its
     * namespaces and applies the mount plan: returns masks to apply after the plan (mntplan_late:
     * NUL-terminated canonical paths in *ret_buf, kept valid by the callee until sandbox_spawn
     * returns), or < 0 with *err set to abort the launch. */
    int (*late_masks)(void *userdata, const char **ret_buf, size_t *ret_len, fence_error *err);
    void *late_masks_data;
    uid_t uid; /* outside ids to map to themselves */
    gid_t gid;
    bool netns;           /* new network namespace (not in relaxed mode) */
    bool new_session;     /* W calls setsid() */
    bool pty;             /* W gets a new PTY made inside the sandbox; its master goes to S */
    struct winsize winsize;
    int tty_fd;           /* >= 0: I takes its own process group and this terminal's foreground */
    const sandbox_listener *listeners;
    size_t n_listeners;
    /* Serves the listener while sandbox_spawn() waits for the workload's execve, which is
     * itself notified when the filter routes exec-family calls to the listener. NULL: the
     * supervisor serves it only after sandbox_spawn() returns. */
    sandbox_notify_fn on_notify;
    void *notify_data;
} sandbox_spec;

typedef struct sandbox {
    pid_t pid;        /* I, in S's PID namespace */
    int pidfd;        /* I */
    int ctl;          /* control socket (SOCK_SEQPACKET): status messages from I */
    int lifeline;     /* closing it kills the sandbox */
    int pty_master;   /* -1 unless spec.pty */
    int notify_fd;    /* seccomp listener, -1 unless spec.seccomp_listener */
    int listener_fds[SANDBOX_MAX_LISTENERS];
    size_t n_listener_fds;
    bool host_proc; /* /proc is the host's, read-only (mntplan's MNTF_HOST_PROC fallback) */
} sandbox;

#define SANDBOX_INIT                                                                               \
    ((sandbox){.pid = 0, .pidfd = -1, .ctl = -1, .lifeline = -1, .pty_master = -1,                \
               .notify_fd = -1})

/* Status messages from I on sandbox.ctl. */
typedef enum sandbox_event_type {
    SANDBOX_EV_STOPPED = 1,  /* value: the stop signal */
    SANDBOX_EV_CONTINUED,
    SANDBOX_EV_EXITED,       /* value: W's wait status */
    SANDBOX_EV_WPID,         /* value: W's pid in S's namespace is unknown; this is in I's */
} sandbox_event_type;

typedef struct sandbox_event {
    sandbox_event_type type;
    int value;
} sandbox_event;

/* Starts the sandbox and returns when the workload has exec'd. On failure nothing is left
 * running. Errors: -FENCE_E_SANDBOX / -FENCE_E_SPAWN / -FENCE_E_UNSUPPORTED with the child's
 * message ("mount op 7: bind-rw '/x' on '/x': Permission denied"). */
int sandbox_spawn(const sandbox_spec *spec, sandbox *ret, fence_error *err);

/* Reads one status message (non-blocking). Returns 1 and *ret, 0 when none is pending,
 * -EPIPE when I is gone, or -errno. */
int sandbox_read_event(sandbox *sb, sandbox_event *ret);

/* Exit status of a wait status: the code, or 128+N when killed by signal N. */
int sandbox_exit_code(int wstatus);

/* Kills the sandbox (if still running), reaps I and closes every fd. */
void sandbox_done(sandbox *sb);
