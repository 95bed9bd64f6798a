/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the command policy: the preflight parser, the matcher and the SSH policy on
 * arbitrary command strings under a fixed policy (the `code` template's deny list, defaults on,
 * an allow exception and an SSH policy), plus the exec-time decision on the same bytes split at
 * NULs into an argv, where cmdpol_exec_may_block() must say yes whenever the decision blocks.
 * Must never crash, leak, or take long; limits must fail cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/check.h"
#include "policy/cmdpol.h"
#include "util/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const deny[] = {
        "git push",     "git reset", "git clean",   "git checkout --",
        "git rebase",   "git merge", "npm publish", "sudo",
        "gh pr create", "gh api",    "dd if=",      "docker run -v /:/",
        "rm -rf /",     NULL,
};

static cmdpol *policy(void) {
    struct fence_config cfg;
    cmdpol *p = NULL;

    config_init(&cfg);
    for (const char *const *d = deny; *d; d++)
        strv_push(&cfg.command.deny, *d);
    strv_push(&cfg.command.allow, "git push origin docs");
    strv_push(&cfg.ssh.allowed_hosts, "*.example.com");
    strv_push(&cfg.ssh.denied_hosts, "prod-*");
    strv_push(&cfg.ssh.allowed_commands, "ls");
    strv_push(&cfg.ssh.denied_commands, "rm");
    cfg.ssh.inherit_deny = true;
    if (cmdpol_new(&cfg, &p) < 0)
        abort();
    config_done(&cfg);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cmdpol *p = policy();
    _cleanup_free_ char *s = malloc(size + 1);
    const char *argv[64];
    size_t argc = 0;
    fence_error err = {0};

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    (void) check_command(p, s, &err);

    /* the same bytes as an exec: path, then argv split at NULs */
    for (size_t i = 0; i < size && argc < 64;) {
        argv[argc++] = s + i;
        i += strlen(s + i) + 1;
    }
    if (argc > 0) {
        const char *resolved = argc > 1 ? argv[1] : NULL;
        cmdpol_verdict v = cmdpol_decide_exec(p, argv[0], resolved, argv + 1, argc - 1);

        /* the supervisor skips reading the argv when this says no: it must never miss a block */
        if (v.result == CMDPOL_BLOCKED &&
            !cmdpol_exec_may_block(p, argv[0], resolved, argc > 1 ? argv[1] : NULL))
            abort();
        if (v.result == CMDPOL_BLOCKED) {
            fbuf line = FBUF_INIT(1 << 20);
            if (cmdpol_format_exec_block(&line, argv[0], argv + 1, argc - 1, &v) < 0)
                abort();
            fbuf_done(&line);
        }
    }
    cmdpol_free(p);
    return 0;
}
