/* SPDX-License-Identifier: MIT */
/* The seccomp notification dispatcher; see unotify.h. */
#include "runtime/unotify.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.h"

/* COMPAT(linux < 6.6): the headers of older distributions lack them */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

struct unotify {
    struct seccomp_notif *req;
    size_t req_size;
    execsup *exec;
    broker *broker;
    bool tuned;
};

int unotify_new(unotify **ret, fence_error *err) {
    struct seccomp_notif_sizes sizes;
    unotify *u;

    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
        return fence_error_set(err, FENCE_E_UNSUPPORTED, errno, "seccomp notification sizes");
    u = calloc(1, sizeof(*u));
    if (!u)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM,
                               "allocating the notification dispatcher");
    /* the kernel may write a larger struct than this build knows */
    u->req_size = sizes.seccomp_notif > sizeof(*u->req) ? sizes.seccomp_notif : sizeof(*u->req);
    u->req = calloc(1, u->req_size);
    if (!u->req) {
        free(u);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM,
                               "allocating the notification dispatcher");
    }
    *ret = u;
    return 0;
}

void unotify_free(unotify *u) {
    if (!u)
        return;
    free(u->req);
    free(u);
}

void unotify_set_exec(unotify *u, execsup *e) {
    u->exec = e;
}

void unotify_set_broker(unotify *u, broker *b) {
    u->broker = b;
}

void unotify_handle(void *userdata, int notify_fd) {
    unotify *u = userdata;
    struct seccomp_notif *req = u->req;
    bool exec;

    if (!u->tuned) {
        /* the tracee waits while the supervisor answers: hand the CPU over directly both ways
         * instead of waking the other side on another CPU (Linux 6.6; EINVAL before) */
        ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
        u->tuned = true;
    }
    memset(req, 0, u->req_size);
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
        return; /* the caller gave up (signal) or the filter is gone */
    exec = req->data.nr == __NR_execve || req->data.nr == __NR_execveat;
    if (exec && u->exec) {
        execsup_answer(u->exec, notify_fd, req);
    } else if (!exec && u->broker) {
        broker_answer(u->broker, notify_fd, req);
    } else {
        struct seccomp_notif_resp resp = {.id = req->id, .error = -EPERM};
        ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}
