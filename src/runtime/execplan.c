/* SPDX-License-Identifier: MIT */
/* The runtime exec policy's part of a run's plan; see execplan.h. */
#include "runtime/execplan.h"

#include <errno.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"

int execplan_require_notify(const linux_features *f, fence_error *err) {
    static const char prefix[] =
            "command.runtimeExecPolicy=\"argv\" requires Linux seccomp user notification support";

    if (f->seccomp && f->seccomp_notify)
        return 0;
    if (!f->seccomp)
        return fence_error_set(err, FENCE_E_UNSUPPORTED, 0,
                               "%s: seccomp filters are unavailable on this kernel (%s)", prefix,
                               f->seccomp_errno ? strerror(f->seccomp_errno)
                                                : "CONFIG_SECCOMP_FILTER");
    return fence_error_set(err, FENCE_E_UNSUPPORTED, 0,
                           "%s: the kernel does not accept SECCOMP_RET_USER_NOTIF (Linux %u.%u; "
                           "needs 5.0 or later)",
                           prefix, f->kernel_major, f->kernel_minor);
}

int execplan_build(const struct fence_config *cfg, const execdeny_facts *facts, execplan *ret,
                   fence_error *err) {
    const char *mode = cfg->command.runtime_exec_policy;

    memset(ret, 0, sizeof(*ret));
    if (mode && streq(mode, "argv")) {
        linux_features f;

        features_probe(0, &f);
        ret->argv_mode = true;
        return execplan_require_notify(&f, err);
    }
    return execdeny_resolve(cfg, facts, &ret->masks, &ret->warnings, err);
}

void execplan_done(execplan *p) {
    strv_done(&p->masks);
    strv_done(&p->warnings);
}

int execplan_describe(const execplan *p, fbuf *out) {
    if (p->argv_mode)
        return fbuf_puts(out, "runtime exec policy: argv (every execve/execveat checked by the "
                              "supervisor against the command rules)\n");
    return fbuf_printf(out,
                       "runtime exec policy: path (%zu program%s covered with /dev/null; "
                       "multi-token rules are checked before the run only)\n",
                       p->masks.n, p->masks.n == 1 ? "" : "s");
}
