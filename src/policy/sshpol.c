/* SPDX-License-Identifier: MIT */
/*
 * SSH policy (§8). See sshpol.h.
 *
 * Deliberate fidelity to the Go tool: only the basename `ssh` counts (scp, sftp, rsync -e ssh
 * do not); options are recognised from a fixed list of value-taking flags and every other
 * `-…` token is skipped alone; `-l user` does not change the host; ssh:// URLs are not parsed;
 * command-level messages leave the host empty ("(host: , command: …)"). The remote command is
 * split with this project's parser, which finds more commands than the Go splitter (a single
 * `&`, subshells, substitutions): stricter, never looser.
 */
#include "policy/sshpol.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

bool sshpol_active(const cmdpol *p) {
    return p->ssh_allowed_hosts.n > 0 || p->ssh_denied_hosts.n > 0;
}

/* Case-insensitive glob where '*' is the only wildcard. */
static bool glob_ci(const char *s, const char *p) {
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p && tolower((unsigned char) *p) == tolower((unsigned char) *s)) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else
            return false;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool sshpol_host_matches(const char *host, const char *pattern) {
    return glob_ci(host, pattern);
}

static bool is_ssh(const cmdparse_segment *seg) {
    if (!seg->name)
        return false;
    if (seg->name_is_pattern) /* `ss?` could well be ssh */
        return fnmatch(seg->name, "ssh", 0) == 0;
    return seg->name_len == 3 && memcmp(seg->name, "ssh", 3) == 0;
}

int sshpol_parse(const cmdparse_segment *seg, char **ret_host, char **ret_remote) {
    static const char *const with_value[] = {"-p", "-l", "-i", "-o", "-F", "-J", "-W",
                                             "-b", "-c", "-D", "-E", "-e", "-I", "-L",
                                             "-m", "-O", "-Q", "-R", "-S", "-w", NULL};
    const char *host = NULL, *at;
    size_t i, len = 0;
    char *h, *rem, *p;

    if (!is_ssh(seg))
        return 0;
    for (i = 1; i < seg->n_words; i++) {
        const char *t = seg->words[i].text;
        bool takes = false;

        for (const char *const *o = with_value; *o && !takes; o++)
            takes = strcmp(t, *o) == 0;
        if (takes) {
            i++;
            continue;
        }
        if (t[0] == '-')
            continue;
        host = t;
        break;
    }
    if (!host)
        return 0;
    at = strrchr(host, '@');
    if (at)
        host = at + 1;
    if (host[0] == '\0')
        return 0;
    for (size_t k = i + 1; k < seg->n_words; k++)
        len += strlen(seg->words[k].text) + 1;
    h = strdup(host);
    rem = p = malloc(len + 1);
    if (!h || !rem) {
        free(h);
        free(rem);
        return -ENOMEM;
    }
    for (size_t k = i + 1; k < seg->n_words; k++) {
        size_t n = strlen(seg->words[k].text);

        if (k > i + 1)
            *p++ = ' ';
        memcpy(p, seg->words[k].text, n);
        p += n;
    }
    *p = '\0';
    *ret_host = h;
    *ret_remote = rem;
    return 1;
}

static int block(fbuf *msg, const char *host, const char *remote, const char *reason) {
    int r;

    if (remote[0])
        r = fbuf_printf(msg, "SSH command blocked: %s (host: %s, command: %s)", reason, host,
                        remote);
    else
        r = fbuf_printf(msg, "SSH blocked: %s (host: %s)", reason, host);
    return r < 0 ? r : 1;
}

/* reason = `<prefix>"<segment>"<middle>"<rule>"` with Go %q quoting. */
static int reason_for(fbuf *out, const char *prefix, const char *segment, const char *middle,
                      const char *rule) {
    int r = fbuf_puts(out, prefix);

    if (r >= 0)
        r = cmdpol_quote(out, segment);
    if (r >= 0 && middle)
        r = fbuf_puts(out, middle);
    if (r >= 0 && rule)
        r = cmdpol_quote(out, rule);
    return r;
}

static int check_remote_segment(const cmdpol *p, const cmdparse_segment *seg, const char *remote,
                                fbuf *msg) {
    _cleanup_(fbuf_done) fbuf reason = FBUF_INIT(CMDPARSE_MAX_INPUT * 2 + 256);
    const cmdpol_rule *rule;
    int r;

    if (p->ssh_inherit_deny) {
        rule = cmdpol_match(p, CMDPOL_DENY, seg);
        if (rule) {
            r = reason_for(&reason, "command ", seg->text, " matches inherited global deny ",
                           rule->text);
            return r < 0 ? r : block(msg, "", remote, reason.data);
        }
        rule = cmdpol_match(p, CMDPOL_DEFAULT, seg);
        if (rule) {
            r = reason_for(&reason, "command ", seg->text, " matches inherited default deny ",
                           rule->text);
            return r < 0 ? r : block(msg, "", remote, reason.data);
        }
    }
    rule = cmdpol_match(p, CMDPOL_SSH_DENIED, seg);
    if (rule) {
        r = reason_for(&reason, "command ", seg->text, " matches ssh.deniedCommands ", rule->text);
        return r < 0 ? r : block(msg, "", remote, reason.data);
    }
    if (p->ssh_allow_all_commands)
        return 0;
    if (p->n_rules[CMDPOL_SSH_ALLOWED] > 0) {
        if (cmdpol_match(p, CMDPOL_SSH_ALLOWED, seg))
            return 0;
        r = reason_for(&reason, "command ", seg->text, " not in ssh.allowedCommands", NULL);
        return r < 0 ? r : block(msg, "", remote, reason.data);
    }
    return block(msg, "", remote,
                 "no ssh.allowedCommands configured (allowlist mode requires explicit commands)");
}

int sshpol_check(const cmdpol *p, const cmdparse_segment *seg, fbuf *msg) {
    _cleanup_free_ char *host = NULL, *remote = NULL;
    _cleanup_(fbuf_done) fbuf reason = FBUF_INIT(64 * 1024);
    cmdparse *parsed = NULL;
    bool allowed = false;
    int r;

    if (!sshpol_active(p))
        return 0;
    r = sshpol_parse(seg, &host, &remote);
    if (r <= 0)
        return r;
    for (size_t i = 0; i < p->ssh_denied_hosts.n; i++)
        if (sshpol_host_matches(host, p->ssh_denied_hosts.v[i])) {
            r = fbuf_puts(&reason, "host matches denied pattern ");
            if (r >= 0)
                r = cmdpol_quote(&reason, p->ssh_denied_hosts.v[i]);
            return r < 0 ? r : block(msg, host, remote, reason.data);
        }
    for (size_t i = 0; i < p->ssh_allowed_hosts.n && !allowed; i++)
        allowed = sshpol_host_matches(host, p->ssh_allowed_hosts.v[i]);
    if (p->ssh_allowed_hosts.n > 0 && !allowed)
        return block(msg, host, remote, "host not in allowedHosts");
    if (remote[0] == '\0')
        return 0; /* interactive session on an allowed host */
    r = cmdparse_string(remote, strlen(remote), &parsed);
    if (r < 0)
        return r;
    for (size_t i = 0; i < cmdparse_count(parsed) && r == 0; i++)
        r = check_remote_segment(p, cmdparse_get(parsed, i), remote, msg);
    cmdparse_free(parsed);
    return r;
}
