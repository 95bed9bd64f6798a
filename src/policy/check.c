/* SPDX-License-Identifier: MIT */
/*
 * fence_check_command(): the preflight check of a command string. See check.h.
 *
 * Per segment, in the order the parser found them: a command.allow match allows the segment
 * (and, as in the Go tool, skips its SSH check); then command.deny, then the default list,
 * then the SSH policy. The first refused segment decides. A string the parser cannot check
 * (too long, too deep, too large when expanded) is refused: failing closed.
 */
#include "policy/check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/sshpol.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Segments longer than this are shortened in messages (fence_error holds one line). */
#define CHECK_SHOWN_MAX 200

static int quote_shortened(fbuf *out, const char *s) {
    _cleanup_free_ char *cut = NULL;

    if (strlen(s) <= CHECK_SHOWN_MAX)
        return cmdpol_quote(out, s);
    cut = malloc(CHECK_SHOWN_MAX + 4);
    if (!cut)
        return -ENOMEM;
    memcpy(cut, s, CHECK_SHOWN_MAX);
    memcpy(cut + CHECK_SHOWN_MAX, "...", 4);
    return cmdpol_quote(out, cut);
}

static int blocked_message(fbuf *msg, const cmdparse_segment *seg, const cmdpol_verdict *v) {
    int r = fbuf_puts(msg, v->source == CMDPOL_DEFAULT
                                   ? "command blocked by default sandbox command policy: "
                                   : "command blocked by sandbox command policy: ");
    if (r >= 0)
        r = quote_shortened(msg, seg->text);
    if (r >= 0)
        r = fbuf_puts(msg, " matches ");
    if (r >= 0)
        r = cmdpol_quote(msg, v->rule->text);
    return r;
}

static int refuse_unparsable(int r, fence_error *err) {
    if (r == -ENOMEM)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "checking the command");
    return fence_error_set(err, FENCE_E_BLOCKED, 0,
                           "command refused: the command policy cannot check it: %s",
                           cmdparse_strerror(r));
}

int check_command(const cmdpol *pol, const char *command, fence_error *err) {
    _cleanup_(fbuf_done) fbuf msg = FBUF_INIT(4 * CMDPARSE_MAX_INPUT);
    cmdparse *parsed = NULL;
    int r;

    if (!pol || !command)
        return fence_error_set(err, FENCE_E_INVAL, 0, "check_command: NULL argument");
    r = cmdparse_string(command, strlen(command), &parsed);
    if (r < 0)
        return refuse_unparsable(r, err);
    for (size_t i = 0; i < cmdparse_count(parsed); i++) {
        const cmdparse_segment *seg = cmdparse_get(parsed, i);
        cmdpol_verdict v = cmdpol_decide(pol, seg);

        if (v.result == CMDPOL_ALLOWED)
            continue;
        if (v.result == CMDPOL_BLOCKED) {
            r = blocked_message(&msg, seg, &v);
            r = r < 0 ? -ENOMEM : 1;
            break;
        }
        r = sshpol_check(pol, seg, &msg);
        if (r != 0)
            break;
    }
    cmdparse_free(parsed);
    if (r < 0)
        return refuse_unparsable(r, err);
    if (r > 0)
        return fence_error_set(err, FENCE_E_BLOCKED, 0, "%s", msg.data);
    return 0;
}

FENCE_API int fence_check_command(const fence_config *cfg, const char *command, fence_error *err) {
    struct fence_config empty;
    cmdpol *pol = NULL;
    int r;

    if (!command)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_check_command: command is NULL");
    if (!cfg) {
        config_init(&empty); /* the built-in default: no rules of its own, defaults on */
        cfg = &empty;
    }
    r = cmdpol_new(cfg, &pol);
    if (r < 0)
        return fence_error_set(err, FENCE_E_NOMEM, -r, "compiling the command policy");
    r = check_command(pol, command, err);
    cmdpol_free(pol);
    return r;
}
