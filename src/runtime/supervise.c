/* SPDX-License-Identifier: MIT */
/* The supervisor loop: signals, job control, PTY relay, exit status; see supervise.h. */
#include "runtime/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"

/* Relay buffer per direction: a terminal never needs more, and it bounds what fence holds. */
#define RELAY_BUF 16384

typedef struct sup {
    evloop *loop;
    sandbox *sb;
    const supervise_opts *o;
    int sfd;
    unsigned strikes;
    bool exited;
    int i_status;      /* I's exit code */
    bool have_wstatus; /* W's exact wait status came over the control socket */
    int wstatus;
    /* PTY relay */
    bool raw;
    struct termios saved;
    char up[RELAY_BUF]; /* stdin -> master */
    size_t up_len, up_off;
    bool stdin_watched;
} sup;

static const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void pidfd_kill(sup *s, int sig) {
    if (syscall(SYS_pidfd_send_signal, s->sb->pidfd, sig, NULL, 0) < 0 && sig == SIGKILL)
        kill(s->sb->pid, SIGKILL);
}

static void raw_enter(sup *s) {
    struct termios raw;

    if (s->raw || tcgetattr(STDIN_FILENO, &s->saved) < 0)
        return;
    raw = s->saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        s->raw = true;
}

static void raw_leave(sup *s) {
    if (s->raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
        s->raw = false;
    }
}

static void copy_winsize(sup *s) {
    struct winsize ws;

    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(s->sb->pty_master, TIOCSWINSZ, &ws); /* the kernel signals the foreground group */
}

static void forward(sup *s, int sig) {
    if (s->o->pty) {
        pid_t pgrp = 0;
        if (ioctl(s->sb->pty_master, TIOCGPGRP, &pgrp) == 0 && pgrp > 0 && kill(-pgrp, sig) == 0)
            return;
    }
    /* the init forwards it to the workload (its group when it leads one) */
    kill(s->sb->pid, sig);
}

/* Ctrl-Z of the workload without a PTY: give the terminal back, stop like a normal job, and
 * when continued (fg/bg) hand it over again and continue the sandbox's group. */
static void job_stopped(sup *s) {
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    int tty = s->o->tty_fd;

    sigaction(SIGTTOU, &ign, &old);
    tcsetpgrp(tty, getpgrp());
    kill(getpid(), SIGSTOP);
    /* running again */
    if (tcgetpgrp(tty) == getpgrp())
        tcsetpgrp(tty, s->sb->pid);
    sigaction(SIGTTOU, &old, NULL);
    kill(-s->sb->pid, SIGCONT);
}

static void on_ctl(evloop *loop, int fd, uint32_t events, void *userdata) {
    sup *s = userdata;
    sandbox_event ev;
    int r;

    while ((r = sandbox_read_event(s->sb, &ev)) > 0) {
        if (ev.type == SANDBOX_EV_EXITED) {
            s->have_wstatus = true;
            s->wstatus = ev.value;
        } else if (ev.type == SANDBOX_EV_STOPPED && s->o->tty_fd >= 0 && !s->o->pty) {
            job_stopped(s);
        }
    }
    if (r < 0)
        evloop_del(loop, fd);
}

static void drain_master(sup *s) {
    char buf[RELAY_BUF];

    for (;;) {
        ssize_t n = read(s->sb->pty_master, buf, sizeof(buf));
        if (n <= 0)
            return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(STDOUT_FILENO, buf + off, (size_t) (n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return;
            off += w;
        }
    }
}

static void on_pidfd(evloop *loop, int fd, uint32_t events, void *userdata) {
    sup *s = userdata;
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
        return;
    s->exited = true;
    s->i_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
    on_ctl(loop, s->sb->ctl, EPOLLIN, s); /* the exact status may still be queued */
    if (s->o->pty)
        drain_master(s);
    evloop_quit(loop, 0);
}

static void on_signal(evloop *loop, int fd, uint32_t events, void *userdata) {
    sup *s = userdata;
    struct signalfd_siginfo si;

    while (read(fd, &si, sizeof(si)) == sizeof(si)) {
        int sig = (int) si.ssi_signo;

        switch (sig) {
        case SIGINT:
        case SIGTERM:
        case SIGHUP:
            /* first one forwarded, the second one kills the sandbox */
            if (++s->strikes >= 2)
                pidfd_kill(s, SIGKILL);
            else
                forward(s, sig);
            break;
        case SIGWINCH:
            if (s->o->pty)
                copy_winsize(s);
            else
                forward(s, sig);
            break;
        default:
            forward(s, sig);
        }
    }
}

static void on_master(evloop *loop, int fd, uint32_t events, void *userdata);

static void flush_up(sup *s) {
    while (s->up_off < s->up_len) {
        ssize_t n = write(s->sb->pty_master, s->up + s->up_off, s->up_len - s->up_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        s->up_off += (size_t) n;
    }
    if (s->up_off == s->up_len)
        s->up_off = s->up_len = 0;
}

static void on_stdin(evloop *loop, int fd, uint32_t events, void *userdata) {
    sup *s = userdata;
    ssize_t n;

    if (s->up_len > 0)
        return;
    n = read(fd, s->up, sizeof(s->up));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        evloop_del(loop, fd);
        s->stdin_watched = false;
        return;
    }
    s->up_len = (size_t) n;
    s->up_off = 0;
    flush_up(s);
    if (s->up_len > 0) {
        /* the pty is full: wait until it drains before reading more */
        evloop_del(loop, fd);
        s->stdin_watched = false;
        evloop_mod(loop, s->sb->pty_master, EPOLLIN | EPOLLOUT);
    }
}

static void on_master(evloop *loop, int fd, uint32_t events, void *userdata) {
    sup *s = userdata;
    char buf[RELAY_BUF];

    if (events & EPOLLOUT) {
        flush_up(s);
        if (s->up_len == 0) {
            evloop_mod(loop, fd, EPOLLIN);
            if (!s->stdin_watched && evloop_add(loop, STDIN_FILENO, EPOLLIN, on_stdin, s) == 0)
                s->stdin_watched = true;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            /* EIO: every holder of the terminal side is gone */
            evloop_del(loop, fd);
            return;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(STDOUT_FILENO, buf + off, (size_t) (n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += w;
        }
    }
}

static void on_notify(evloop *loop, int fd, uint32_t events, void *userdata) {
    sup *s = userdata;

    if (!(events & EPOLLIN)) {
        evloop_del(loop, fd); /* the filtered processes are all gone */
        return;
    }
    s->o->on_notify(s->o->notify_data, fd);
}

static void handled_set(sigset_t *set) {
    sigemptyset(set);
    for (size_t i = 0; i < ARRAY_SIZE(handled_signals); i++)
        sigaddset(set, handled_signals[i]);
}

void supervise_block_signals(sigset_t *ret_old) {
    sigset_t set;

    handled_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, ret_old);
}

int supervise_run(evloop *loop, sandbox *sb, const supervise_opts *opts, int *ret_status,
                  fence_error *err) {
    sup *s = calloc(1, sizeof(*s));
    sigset_t set, old;
    int r;

    if (!s)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating the supervisor");
    s->loop = loop;
    s->sb = sb;
    s->o = opts;
    handled_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->sfd < 0) {
        r = fence_error_set(err, FENCE_E_SPAWN, errno, "signalfd");
        goto out;
    }
    if (evloop_add(loop, s->sfd, EPOLLIN, on_signal, s) < 0 ||
        evloop_add(loop, sb->pidfd, EPOLLIN, on_pidfd, s) < 0 ||
        evloop_add(loop, sb->ctl, EPOLLIN, on_ctl, s) < 0) {
        r = fence_error_set(err, FENCE_E_SPAWN, ENOMEM, "registering the sandbox");
        goto out;
    }
    if (sb->notify_fd >= 0 && opts->on_notify &&
        evloop_add(loop, sb->notify_fd, EPOLLIN, on_notify, s) < 0) {
        r = fence_error_set(err, FENCE_E_SPAWN, ENOMEM, "registering the seccomp listener");
        goto out;
    }
    if (opts->pty && sb->pty_master >= 0) {
        fcntl(sb->pty_master, F_SETFL, fcntl(sb->pty_master, F_GETFL) | O_NONBLOCK);
        raw_enter(s);
        copy_winsize(s);
        if (evloop_add(loop, sb->pty_master, EPOLLIN, on_master, s) < 0) {
            r = fence_error_set(err, FENCE_E_SPAWN, ENOMEM, "registering the pty");
            goto out;
        }
        if (evloop_add(loop, STDIN_FILENO, EPOLLIN, on_stdin, s) == 0)
            s->stdin_watched = true;
    }

    r = evloop_run(loop);
    if (r < 0) {
        r = fence_error_set(err, FENCE_E_SPAWN, -r, "supervisor loop");
        goto out;
    }
    *ret_status = s->have_wstatus ? sandbox_exit_code(s->wstatus) : s->i_status;
    sb->pidfd = safe_close(sb->pidfd); /* reaped */
    r = 0;
out:
    raw_leave(s);
    evloop_del(loop, sb->ctl);
    evloop_del(loop, STDIN_FILENO);
    if (sb->pty_master >= 0)
        evloop_del(loop, sb->pty_master);
    if (sb->notify_fd >= 0)
        evloop_del(loop, sb->notify_fd);
    if (sb->pidfd >= 0)
        evloop_del(loop, sb->pidfd);
    if (s->sfd >= 0) {
        evloop_del(loop, s->sfd);
        close(s->sfd);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(s);
    return r;
}
