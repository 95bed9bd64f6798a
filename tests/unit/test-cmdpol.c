/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/policy/cmdpol and the preflight check (check.c): the parser's segments,
 * the §7.3 matcher, the verdicts of §7.1-§7.4 including every example of the spec, the bypass
 * attempts the parser must see through, the ones that remain by design, the §7.6 exec decision
 * and log line, Go-compatible quoting, and the parser's limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "policy/check.h"
#include "policy/cmdpol.h"
#include "util/cleanup.h"
#include "util/error.h"

/* The built-in `code` template (spec §5.1): 35 deny rules, useDefaults true. */
static fence_config *code_cfg(void) {
    fence_config *cfg = NULL;
    fence_error err = {0};

    if (fence_config_load_template("code", &cfg, &err) < 0)
        fail_msg("loading the code template: %s", err.msg);
    assert_int_equal(fence_config_get_list_len(cfg, FENCE_CFG_COMMAND_DENY), 35);
    return cfg;
}

/* A config with the given deny and allow lists; use_defaults: TRI_UNSET, TRI_FALSE, TRI_TRUE. */
static fence_config *make_cfg(const char *const *deny, const char *const *allow,
                              tristate defaults) {
    fence_config *cfg = fence_config_new();

    assert_non_null(cfg);
    for (; deny && *deny; deny++)
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_DENY, *deny), 0);
    for (; allow && *allow; allow++)
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_COMMAND_ALLOW, *allow), 0);
    if (defaults != TRI_UNSET)
        assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, defaults), 0);
    return cfg;
}

/* Checks cmd; returns 1 when blocked (the message in *msg), 0 when allowed. */
static int check(const fence_config *cfg, const char *cmd, char *msg, size_t msg_size) {
    fence_error err = {0};
    int r = fence_check_command(cfg, cmd, &err);

    if (msg)
        snprintf(msg, msg_size, "%s", err.msg);
    if (r == 0)
        return 0;
    if (r != -FENCE_E_BLOCKED)
        fail_msg("%s: unexpected error %d: %s", cmd, r, err.msg);
    assert_int_equal(err.code, FENCE_E_BLOCKED);
    return 1;
}

/* The rule named in a block message (`... matches "RULE"`), for table comparisons. */
static const char *matched_rule(const char *msg, char *buf, size_t size) {
    const char *m = strstr(msg, "\" matches \"");
    size_t n;

    if (!m)
        return "";
    m += strlen("\" matches \"");
    n = strlen(m);
    if (n > 0 && m[n - 1] == '"')
        n--;
    snprintf(buf, size, "%.*s", (int) n, m);
    return buf;
}

/* ---- parser ---------------------------------------------------------------------------------- */

static void test_parse_segments(void **state) {
    static const struct {
        const char *in;
        const char *seg[8]; /* expected segment texts, in order */
    } cases[] = {
            /* Go-compatible splitting (§7.2) */
            {"ls", {"ls"}},
            {"ls && pwd", {"ls", "pwd"}},
            {"ls || pwd", {"ls", "pwd"}},
            {"ls; pwd", {"ls", "pwd"}},
            {"ls | grep foo", {"ls", "grep foo"}},
            {"ls && pwd || echo fail; date", {"ls", "pwd", "echo fail", "date"}},
            {"echo \"hello && world\"", {"echo \"hello && world\""}},
            {"echo 'a; b'", {"echo 'a; b'"}},
            {"bash -c \"ls && git push\"", {"bash -c \"ls && git push\"", "ls", "git push"}},
            {"  git   push  ", {"git   push"}},
            {"git push 2>&1 >/dev/null", {"git push 2>&1 >/dev/null"}},
            /* deviations: more separators and nested constructs */
            {"(ls && pwd)", {"ls", "pwd"}},
            {"true & git push", {"true", "git push"}},
            {"a\nb", {"a", "b"}},
            {"a |& b", {"a", "b"}},
            {"{ a; b; } > out", {"a", "b"}},
            {"echo $(a) `b`", {"a", "b", "echo $(a) `b`"}},
            {"echo \"$(a)\"", {"a", "echo \"$(a)\""}},
            {"diff <(a) >(b)", {"a", "b", "diff <(a) >(b)"}},
            {"x=$(a)", {"a"}},
            {"echo ${x:-$(a)}", {"a", "echo ${x:-$(a)}"}},
            {"echo $(( $(a) + 1 ))", {"a", "echo $(( $(a) + 1 ))"}},
            {"echo $( (a) )", {"a", "echo $( (a) )"}},
            {"echo $((a) )", {"a", "echo $((a) )"}},
            {"echo $(( (1) + (2) ))", {"echo $(( (1) + (2) ))"}},
            {"((a)) && ((b) )", {"b"}},
            {"coproc n ( a )", {"a"}},
            {"if a; then b; elif c; then d; else e; fi", {"a", "b", "c", "d", "e"}},
            {"while a; do b; done; until c; do d; done", {"a", "b", "c", "d"}},
            {"for i in $(a); do b $i; done", {"a", "b $i"}},
            {"case $x in p|q) a;; (r) b;& *) c;;& esac", {"a", "b", "c"}},
            {"echo $(case x in a) b;; esac)", {"b", "echo $(case x in a) b;; esac)"}},
            {"f() { a; }; f", {"a", "f"}},
            {"function f { a; }", {"a"}},
            {"[[ -f x && $(a) ]] && b", {"a", "b"}},
            {"(( i++ )) && a", {"a"}},
            {"arr=(x $(a) y); b", {"a", "b"}},
            {"! a", {"a"}},
            {"coproc a b", {"a b"}},
            {"coproc n { a; }", {"a"}},
            /* redirections are not words */
            {"2>/dev/null a b", {"2>/dev/null a b"}},
            {"a >/dev/null b", {"a >/dev/null b"}},
            {"{fd}>/dev/null a", {"{fd}>/dev/null a"}},
            {"a &>/dev/null", {"a &>/dev/null"}},
            /* here-documents: bodies are data unless a shell reads them */
            {"cat <<EOF\ngit push\nEOF\nls", {"cat <<EOF", "ls"}},
            {"cat <<-EOF\n\tgit push\n\tEOF\nls", {"cat <<-EOF", "ls"}},
            {"cat <<'EOF'\n$(a)\nEOF", {"cat <<'EOF'"}},
            {"cat <<EOF\n$(a)\nEOF", {"cat <<EOF", "a"}},
            {"bash <<EOF\na\nEOF", {"bash <<EOF", "a"}},
            {"bash <<< 'a; b'", {"bash <<< 'a; b'", "a", "b"}},
            {"echo 'a' | sh", {"echo 'a'", "sh", "a"}},
            {"cat <<EOF | sh\na\nEOF", {"cat <<EOF", "sh", "a"}},
            /* unwrapping keeps the outer form */
            {"X=1 a b", {"X=1 a b", "a b"}},
            {"env -i A=1 a b", {"env -i A=1 a b", "a b"}},
            {"sudo -u root a", {"sudo -u root a", "a"}},
            {"time -p nice -n 5 a", {"time -p nice -n 5 a", "nice -n 5 a", "a"}},
            {"timeout -s KILL 5 a", {"timeout -s KILL 5 a", "a"}},
            {"xargs -0 -I {} a {}", {"xargs -0 -I {} a {}", "a {}"}},
            {"find . -exec a {} \\; -execdir b {} +",
             {"find . -exec a {} \\; -execdir b {} +", "a {}", "b {}"}},
            {"command -v a", {"command -v a"}},
            {"eval 'a; b'", {"eval 'a; b'", "a", "b"}},
            {"env -S 'a b' c", {"env -S 'a b' c", "env a b c", "a b c"}},
            /* nothing to check */
            {"", {NULL}},
            {"   ", {NULL}},
            {"# a comment", {NULL}},
            {"X=1", {NULL}},
            {"> out", {NULL}},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cmdparse *p = NULL;
        size_t n = 0;

        assert_int_equal(cmdparse_string(cases[i].in, strlen(cases[i].in), &p), 0);
        while (n < ARRAY_SIZE(cases[i].seg) && cases[i].seg[n])
            n++;
        for (size_t k = 0; k < cmdparse_count(p) && k < n; k++)
            if (strcmp(cmdparse_get(p, k)->text, cases[i].seg[k]) != 0)
                fail_msg("%s: segment %zu is '%s', want '%s'", cases[i].in, k,
                         cmdparse_get(p, k)->text, cases[i].seg[k]);
        if (cmdparse_count(p) != n)
            fail_msg("%s: %zu segments, want %zu", cases[i].in, cmdparse_count(p), n);
        cmdparse_free(p);
    }
}

/* Words of the first segment, joined with '|'. */
static void test_parse_words(void **state) {
    static const struct {
        const char *in, *words;
    } cases[] = {
            {"g\"i\"t push", "git|push"},   {"g'i't push", "git|push"},
            {"\\git push", "git|push"},     {"gi\\\npush x", "gipush|x"},
            {"\"git\" push", "git|push"},   {"$'\\x67\\151t' push", "git|push"},
            {"$'a\\'b' c", "a'b|c"},        {"$'a\\0b' c", "a|c"},
            {"$\"git\" push", "git|push"},  {"git${IFS}push", "git|push"},
            {"git$IFS'push'", "git|push"},  {"\"git${IFS}push\"", "git${IFS}push"},
            {"{git,push} x", "git|push|x"}, {"a{b,c}d", "abd|acd"},
            {"x{1..3}", "x1|x2|x3"},        {"{c..a}", "c|b|a"},
            {"{1..9..4}", "1|5|9"},         {"'{a,b}' {x}", "{a,b}|{x}"},
            {"{a,{b,c}}", "a|b|c"},         {"echo \"a\\\"b\\$c\"", "echo|a\"b$c"},
            {"echo 'x'\"y\"z", "echo|xyz"}, {"echo \"\"", "echo|"},
            {"a=(1 2) b", "a=(1 2)|b"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cmdparse *p = NULL;
        const cmdparse_segment *seg;
        char got[256] = "";

        assert_int_equal(cmdparse_string(cases[i].in, strlen(cases[i].in), &p), 0);
        seg = cmdparse_get(p, 0);
        assert_non_null(seg);
        for (size_t k = 0; k < seg->n_words; k++) {
            if (k > 0)
                strcat(got, "|");
            strcat(got, seg->words[k].text);
        }
        if (strcmp(got, cases[i].words) != 0)
            fail_msg("%s: words '%s', want '%s'", cases[i].in, got, cases[i].words);
        cmdparse_free(p);
    }
}

static void test_parse_word_flags(void **state) {
    cmdparse *p = NULL;
    const cmdparse_segment *s;
    const char *in = "X=1 \"$y\" g* '*' pre$z";

    (void) state;
    assert_int_equal(cmdparse_string(in, strlen(in), &p), 0);
    s = cmdparse_get(p, 0);
    assert_int_equal(s->n_words, 5);
    assert_true(s->words[0].flags & CMDPARSE_WORD_ASSIGN);
    assert_true(s->words[1].flags & CMDPARSE_WORD_DYNAMIC);
    assert_false(s->words[1].flags & CMDPARSE_WORD_LITERAL);
    assert_string_equal(s->words[1].pattern, "*");
    assert_true(s->words[2].flags & CMDPARSE_WORD_GLOB);
    assert_string_equal(s->words[2].pattern, "g*");
    assert_null(s->words[3].pattern); /* quoted: a literal star */
    assert_string_equal(s->words[4].pattern, "pre*");
    /* the unwrapped form starts at the command word, whose name is unknown */
    s = cmdparse_get(p, 1);
    assert_non_null(s);
    assert_null(s->name);
    cmdparse_free(p);
}

/* ---- matcher (§7.3) -------------------------------------------------------------------------- */

static bool matches(const char *command, const char *rule) {
    const char *deny[] = {rule, NULL};
    fence_config *cfg = make_cfg(deny, NULL, TRI_FALSE);
    cmdpol *pol = NULL;
    cmdparse *p = NULL;
    bool m;

    assert_int_equal(cmdpol_new(cfg, &pol), 0);
    assert_int_equal(cmdparse_string(command, strlen(command), &p), 0);
    assert_true(cmdparse_count(p) > 0);
    m = cmdpol_match(pol, CMDPOL_DENY, cmdparse_get(p, 0)) != NULL;
    cmdparse_free(p);
    cmdpol_free(pol);
    fence_config_free(cfg);
    return m;
}

static void test_match_prefix(void **state) {
    static const struct {
        const char *command, *rule;
        bool want;
    } cases[] = {
            {"git push", "git push", true},
            {"git push origin main", "git push", true},
            {"git pushall", "git push", false},
            {"git status", "git push", false},
            {"gitpush", "git push", false},
            {"git", "git push", false},
            /* tokens ending in '=' are presence checks anywhere after */
            {"dd if=/dev/zero", "dd if=", true},
            {"dd of=/tmp/file", "dd of=", true},
            {"dd if=/dev/zero of=/tmp/file", "dd if=", true},
            {"dd of=/tmp/file if=/dev/zero", "dd if=", true},
            {"dd of=/tmp/file if=/dev/zero", "dd of=", true},
            {"dd if=", "dd if=", true},
            {"dd if /dev/zero", "dd if=", false},
            {"'ddx=/path'", "dd=", false}, /* quoted: unquoted it is an assignment */
            {"dd iflag=direct", "dd if=", false},
            {"dd oflag=sync", "dd of=", false},
            {"git push --force", "git push", true},
            /* global flags are skipped before the first subcommand only */
            {"git -C /repo push", "git push", true},
            {"git -C /repo -c a=b push origin", "git push", true},
            {"git --git-dir /x push", "git push", true},
            {"git --git-dir=/x push", "git push", true},
            {"git -p push", "git push", true},
            {"docker --debug run --privileged", "docker run --privileged", true},
            {"docker --context=prod run --privileged", "docker run --privileged", true},
            {"docker --context prod run --privileged", "docker run --privileged", true},
            {"docker run --name test --privileged", "docker run --privileged", false},
            {"docker foo run --privileged", "docker run --privileged", false},
            {"docker run -v /:/ img", "docker run -v /:/", true},
            {"docker run -v /:/x img", "docker run -v /:/", false},
            {"git checkout -- file", "git checkout --", true},
            {"git checkout main", "git checkout --", false},
            /* basename of the command word on both sides */
            {"/usr/bin/git push", "git push", true},
            {"/usr/local/bin/git push origin main", "git push", true},
            {"./git push", "git push", true},
            {"../bin/git push", "git push", true},
            {"git push", "/usr/bin/git push", true},
            {"sudo dd if=/dev/zero", "dd if=", false},
            /* rule tokenisation: quotes removed, no escapes */
            {"git commit -m x", "git 'commit' \"-m\"", true},
            {"echo a b", "echo 'a b'", false},
            /* patterns: a glob or expansion stands for any text */
            {"gi? push", "git push", true},
            {"/usr/bin/g* push", "git push", true},
            {"${d}git push", "git push", true},
            {"git pu$x", "git push", true},
            {"git p[uv]sh", "git push", true},
            {"git '*'", "git push", false},
            {"$cmd push", "git push", false},
            {"git $sub", "git push", false},
            {"ls *", "ls -la", false}, /* only wildcards: unknown, like $x */
            {"rm -rf *", "rm -rf /", false},
            {"git pu*", "git push", true},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (matches(cases[i].command, cases[i].rule) != cases[i].want)
            fail_msg("'%s' vs rule '%s': want %s", cases[i].command, cases[i].rule,
                     cases[i].want ? "match" : "no match");
}

/* ---- verdicts ----------------------------------------------------------------------------------
 */

typedef struct verdict_case {
    const char *cmd;
    const char *rule; /* NULL: allowed */
} verdict_case;

static void run_verdicts(const fence_config *cfg, const verdict_case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char msg[512], rule[256];
        int blocked = check(cfg, cases[i].cmd, msg, sizeof(msg));

        if (!cases[i].rule && blocked)
            fail_msg("'%s' should be allowed, got: %s", cases[i].cmd, msg);
        if (cases[i].rule && !blocked)
            fail_msg("'%s' should be blocked by '%s'", cases[i].cmd, cases[i].rule);
        if (cases[i].rule && strcmp(matched_rule(msg, rule, sizeof(rule)), cases[i].rule) != 0)
            fail_msg("'%s': blocked by '%s', want '%s' (%s)", cases[i].cmd, rule, cases[i].rule,
                     msg);
    }
}

/* The Go tool's own examples and the spec's (§7.2-§7.4). */
static void test_verdict_go_examples(void **state) {
    static const char *const deny[] = {"git push", "rm -rf", NULL};
    static const verdict_case cases[] = {
            {"git push", "git push"},
            {"rm -rf", "rm -rf"},
            {"git push origin main", "git push"},
            {"rm -rf /", "rm -rf"},
            {"rm -rf .", "rm -rf"},
            {"git status", NULL},
            {"git pull", NULL},
            {"rm file.txt", NULL},
            {"rm -r dir", NULL},
            {"echo git push", NULL},
            {"ls && git push", "git push"},
            {"git push && ls", "git push"},
            {"ls && echo hello && git push origin main", "git push"},
            {"ls || git push", "git push"},
            {"git status || git push", "git push"},
            {"ls; git push", "git push"},
            {"git push; ls", "git push"},
            {"echo hello | git push", "git push"},
            {"git status | grep something", NULL},
            {"ls && echo hi || git push", "git push"},
            {"ls; pwd; git push origin main", "git push"},
            {"ls && pwd", NULL},
            {"bash -c \"git push\"", "git push"},
            {"bash -c 'git push origin main'", "git push"},
            {"sh -c \"git push\"", "git push"},
            {"zsh -c \"git push\"", "git push"},
            {"bash -c \"ls && git push\"", "git push"},
            {"sh -c 'git status; git push'", "git push"},
            {"bash -c \"git status\"", NULL},
            {"bash -c 'ls && pwd'", NULL},
            {"bash -lc \"git push\"", "git push"},
            {"/bin/bash -c \"git push\"", "git push"},
            {"/usr/bin/zsh -c 'git push origin main'", "git push"},
            {"/usr/bin/git push", "git push"},
            {"/usr/local/bin/git push origin main", "git push"},
            {"./git push", "git push"},
            {"../bin/git push", "git push"},
            {"git push \"origin\" \"main\"", "git push"},
            {"git push 'origin' 'main'", "git push"},
            {"echo \"git push\"", NULL},
            {"grep \"git push\" log.txt", NULL},
            {"", NULL},
            {"   ", NULL},
            {"rm", NULL},
            {"rm -f", NULL},
            {"rmdir", NULL},
            {"git -C /repo push", "git push"},
    };
    fence_config *cfg = make_cfg(deny, NULL, TRI_FALSE);

    (void) state;
    run_verdicts(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

static void test_verdict_allow_first(void **state) {
    static const char *const deny[] = {"git push", NULL};
    static const char *const allow[] = {"git push origin docs", NULL};
    static const verdict_case cases[] = {
            {"git push origin docs", NULL},
            {"git push origin docs --force", NULL},
            {"git push origin main", "git push"},
            {"git push", "git push"},
            /* an allowed outer form does not exempt the command inside it */
            {"env git push origin docs", NULL},
            {"env git push origin main", "git push"},
    };
    fence_config *cfg = make_cfg(deny, allow, TRI_FALSE);

    (void) state;
    run_verdicts(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

static void test_verdict_defaults(void **state) {
    static const verdict_case on[] = {
            {"shutdown", "shutdown"},
            {"shutdown -h now", "shutdown"},
            {"reboot", "reboot"},
            {"halt", "halt"},
            {"poweroff", "poweroff"},
            {"init 0", "init 0"},
            {"init 6", "init 6"},
            {"init 3", NULL},
            {"systemctl reboot", "systemctl reboot"},
            {"systemctl status", NULL},
            {"insmod malicious.ko", "insmod"},
            {"rmmod module", "rmmod"},
            {"modprobe x", "modprobe"},
            {"kexec -l k", "kexec"},
            {"mkfs.ext4 /dev/sda1", "mkfs.ext4"},
            {"fdisk /dev/sda", "fdisk"},
            {"parted /dev/sda", "parted"},
            {"dd if=/dev/zero of=/dev/sda", "dd if="},
            {"docker run -v /:/ x", "docker run -v /:/"},
            {"docker --debug run --privileged x", "docker run --privileged"},
            {"chroot /", "chroot"},
            {"unshare -r", "unshare"},
            {"nsenter -t 1", "nsenter"},
            {"ls", NULL},
            {"git status", NULL},
            {"npm install", NULL},
    };
    static const verdict_case off[] = {
            {"shutdown", NULL},
            {"dd if=/dev/zero", NULL},
    };
    fence_config *unset = make_cfg(NULL, NULL, TRI_UNSET);
    fence_config *yes = make_cfg(NULL, NULL, TRI_TRUE);
    fence_config *no = make_cfg(NULL, NULL, TRI_FALSE);
    size_t n = 0;

    (void) state;
    while (cmdpol_default_deny[n])
        n++;
    assert_int_equal(n, 29);
    run_verdicts(unset, on, ARRAY_SIZE(on));
    run_verdicts(yes, on, ARRAY_SIZE(on));
    run_verdicts(NULL, on, ARRAY_SIZE(on)); /* no config: the built-in default */
    run_verdicts(no, off, ARRAY_SIZE(off));
    fence_config_free(unset);
    fence_config_free(yes);
    fence_config_free(no);
}

/* Bypass attempts against the `code` template: each must be refused. */
static void test_verdict_bypasses(void **state) {
    static const verdict_case cases[] = {
            /* quoting and escapes */
            {"g'i't push", "git push"},
            {"g\"i\"t push", "git push"},
            {"\"git\" push", "git push"},
            {"'git' 'push'", "git push"},
            {"\\git push", "git push"},
            {"\\g\\i\\t \\p\\u\\s\\h", "git push"},
            {"gi\\\nt push", "git push"},
            {"$'git' push", "git push"},
            {"$'\\x67\\x69\\x74' push", "git push"},
            {"$'\\u0067it' push", "git push"},
            {"$\"git\" push", "git push"},
            /* IFS and brace expansion */
            {"git${IFS}push", "git push"},
            {"git$IFS'push'", "git push"},
            {"{git,push}", "git push"},
            {"{git,push} origin", "git push"},
            {"git {push,x}", "git push"},
            /* paths and globs */
            {"/usr/bin/git push", "git push"},
            {"./git push", "git push"},
            {"//usr//bin//git/ push", "git push"},
            {"/usr/bin/gi? push", "git push"},
            {"/usr/bin/g[i]t push", "git push"},
            {"${HOME}/bin/git push", "git push"},
            {"\"$d\"/sudo ls", "sudo"},
            /* separators the Go tool misses */
            {"(git push)", "git push"},
            {"( cd x && git push )", "git push"},
            {"true & git push", "git push"},
            {"true\ngit push", "git push"},
            {"true\r\ngit push", "git push"},
            {"ls;git push", "git push"},
            {"{ git push; }", "git push"},
            {"! git push", "git push"},
            {"if true; then git push; fi", "git push"},
            {"while git push; do :; done", "git push"},
            {"for x in 1; do git push; done", "git push"},
            {"case a in a) git push;; esac", "git push"},
            {"f() { git push; }; f", "git push"},
            {"[[ -n x ]] && git push", "git push"},
            /* substitutions */
            {"$(git push)", "git push"},
            {"echo $(git push)", "git push"},
            {"echo `git push`", "git push"},
            {"echo \"$(git push)\"", "git push"},
            {"echo \"`git push`\"", "git push"},
            {"x=$(git push)", "git push"},
            {"echo ${x:-$(git push)}", "git push"},
            {"cat <(git push)", "git push"},
            {"echo $(( $(git push) ))", "git push"},
            {"echo `echo \\`git push\\``", "git push"},
            {"cat <<EOF\n$(git push)\nEOF", "git push"},
            /* substitutions whose output is literal stand for that output */
            {"$(echo git) push", "git push"},
            {"`printf git` push", "git push"},
            {"\"$(echo -n git)\" push", "git push"},
            {"git $(echo push)", "git push"},
            {"$(echo git push)", "git push"},
            {"$SHELL -c 'git push'", "git push"},
            {"${SHELL:-sh} -lc 'git push'", "git push"},
            {"/bin/*sh -c 'git push'", "git push"},
            {"\"$BASH\" -e -c 'ls; git push'", "git push"},
            {"bash -c \"$(cat <<'EOF'\ngit status\ngit push\nEOF\n)\"", "git push"},
            {"eval \"$(printf 'git push')\"", "git push"},
            {"sh -c \"$(cat <<< 'git push')\"", "git push"},
            /* wrappers */
            {"env git push", "git push"},
            {"env -i PATH=/x git push", "git push"},
            {"env -u HOME -C /tmp git push", "git push"},
            {"env -S 'git push'", "git push"},
            {"env sh -c 'git push'", "git push"},
            {"FOO=1 git push", "git push"},
            {"A=1 B=\"x y\" git push", "git push"},
            {"command git push", "git push"},
            {"command -- git push", "git push"},
            {"command -p git push", "git push"},
            {"exec git push", "git push"},
            {"exec -a x git push", "git push"},
            {"builtin eval git push", "git push"},
            {"nohup git push &", "git push"},
            {"time git push", "git push"},
            {"time -p git push", "git push"},
            {"nice git push", "git push"},
            {"nice -n 5 git push", "git push"},
            {"nice -5 git push", "git push"},
            {"nice --adjustment=5 git push", "git push"},
            {"time nice -n 5 git push", "git push"},
            {"timeout 5 git push", "git push"},
            {"timeout -k 1 -s TERM 5s git push", "git push"},
            {"timeout --signal KILL 5 git push", "git push"},
            {"timeout --sig KILL 5 git push", "git push"},
            {"stdbuf -oL git push", "git push"},
            {"setsid -f git push", "git push"},
            {"ionice -c 3 git push", "git push"},
            {"taskset -c 0 git push", "git push"},
            {"chrt -f 1 git push", "git push"},
            {"flock /tmp/l git push", "git push"},
            {"flock -w 5 /tmp/l -c 'git push'", "git push"},
            {"watch -n 1 git push", "git push"},
            {"watch 'git push'", "git push"},
            {"strace -f -o /dev/null git push", "git push"},
            {"busybox sh -c 'git push'", "git push"},
            {"unbuffer git push", "git push"},
            {"xargs git push", "git push"},
            {"xargs -0 -n 1 -P 4 git push", "git push"},
            {"xargs -I{} git push {}", "git push"},
            {"echo x | xargs -r git push", "git push"},
            {"find . -exec git push \\;", "git push"},
            {"find . -execdir git push {} +", "git push"},
            {"find . -name x -ok git push ';'", "git push"},
            {"eval git push", "git push"},
            {"eval 'git push'", "git push"},
            {"eval \"ls; git push\"", "git push"},
            {"sudo git push", "sudo"},
            {"doas git push", "git push"},
            {"su -c 'git push'", "git push"},
            {"su - root -c 'git push'", "git push"},
            {"runuser -u me -- git push", "git push"},
            {"script -qc 'git push' /dev/null", "git push"},
            /* nested shells */
            {"bash -c 'git push'", "git push"},
            {"bash -xc 'git push'", "git push"},
            {"bash -e -o pipefail -c 'git push'", "git push"},
            {"bash --norc -c 'git push'", "git push"},
            {"bash -c -- 'git push'", "git push"},
            {"dash -c 'git push'", "git push"},
            {"ksh -c 'git push'", "git push"},
            {"fish -c 'git push'", "git push"},
            {"fish --command='git push'", "git push"},
            {"sh -c 'sh -c \"git push\"'", "git push"},
            {"sh -c \"echo \\$(git push)\"", "git push"},
            {"bash <<EOF\ngit push\nEOF", "git push"},
            {"bash -s <<'EOF'\ngit push\nEOF", "git push"},
            {"bash <<< 'git push'", "git push"},
            {"bash /dev/stdin <<< 'git push'", "git push"},
            {"echo 'git push' | bash", "git push"},
            {"echo git push | sh -s", "git push"},
            {"printf 'git push\\n' | sh", "git push"},
            {"printf '%s\\n' 'git push' | bash", "git push"},
            {"cat <<EOF | bash\ngit push\nEOF", "git push"},
            {"source /dev/stdin <<< 'git push'", "git push"},
            /* other rules of the template */
            {"gh pr create --fill", "gh pr create"},
            {"gh --repo x/y pr create", "gh pr create"},
            {"npm publish", "npm publish"},
            {"git checkout -- .", "git checkout --"},
            {"GIT_DIR=x git -C y reset --hard", "git reset"},
    };
    fence_config *cfg = code_cfg();

    (void) state;
    run_verdicts(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

/* What must keep working under the `code` template (no false positives). */
static void test_verdict_no_false_positives(void **state) {
    static const verdict_case cases[] = {
            {"git status && git diff | less", NULL},
            {"git commit -m 'do not git push yet'", NULL},
            {"git commit -m \"$(cat msg)\"", NULL},
            {"git commit -m \"$(cat <<'EOF'\nfix: do not git push; sudo rm\nEOF\n)\"", NULL},
            {"echo \"$(echo git push)\"", NULL},
            {"echo git push", NULL},
            {"echo 'git push' > notes.txt", NULL},
            {"printf 'git push\\n'", NULL},
            {"grep -r 'sudo' .", NULL},
            {"cat <<'EOF' > script.sh\ngit push\nsudo reboot\nEOF", NULL},
            {"cat > notes.md <<EOF\nremember: git push origin main\nEOF", NULL},
            {"command -v sudo", NULL},
            {"which sudo gh", NULL},
            {"type sudo", NULL},
            {"man sudo", NULL},
            {"sudoku", NULL},
            {"git pushall", NULL},
            {"git log --grep push", NULL},
            {"npm install && npm test", NULL},
            {"rm -rf node_modules", NULL},
            {"docker run --name x --privileged img", NULL},
            {"gh pr view 12", NULL},
            {"gh pr list | head", NULL},
            {"git -C x status", NULL},
            {"ls *.c", NULL},
            {"for f in *.c; do gcc -c $f; done", NULL},
            {"echo {push,pull}", NULL},
            {"x='git push'; echo \"$x\"", NULL},
            {"case $1 in push) echo p;; esac", NULL},
            {"[[ $x == \"git push\" ]] && echo y", NULL},
            {"echo $((1 + 2))", NULL},
            {"find . -name '*.o' -delete", NULL},
            {"xargs -0 rm -f < list", NULL},
            {"make -j4 2>&1 | tee build.log", NULL},
            {"python3 -c 'print(1)'", NULL},
            {"$CC -c file.c -o file.o", NULL},
            {"echo 'git push' | $PAGER", NULL},
            {"bash ./script.sh", NULL},
            {"dd bs=1M count=1 < /dev/zero > f", NULL},
    };
    fence_config *cfg = code_cfg();

    (void) state;
    run_verdicts(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

/* Bypasses that remain by design: the command or its arguments are computed at run time or
 * live outside the string. The runtime exec policies (§7.5 path masks for single-token rules,
 * §7.6 argv mode) are what stops these. Asserted so that the report's list stays true. */
static void test_verdict_known_limits(void **state) {
    static const verdict_case cases[] = {
            {"X=git; $X push", NULL},         /* variable indirection */
            {"x=$(echo git); $x push", NULL}, /* ... also when assigned from a substitution */
            {"$(cat cmd.txt) push", NULL},    /* command word from a file */
            {"$(echo $c) push", NULL},        /* a substitution whose output is not literal */
            {"echo push | xargs git", NULL},  /* argument from stdin */
            {"alias g=git\ng push", NULL},    /* aliases (and bash -c does not expand them) */
            {"bash ./deploy.sh", NULL},       /* script files */
            {"cp /usr/bin/git /tmp/g; /tmp/g push", NULL},             /* renamed copies */
            {"python3 -c \"import os; os.system('git push')\"", NULL}, /* other interpreters */
            {"git -c alias.p=push p", NULL},                           /* program-level aliases */
            {"curl -s x | sh", NULL}, /* scripts from the network or files */
    };
    fence_config *cfg = code_cfg();

    (void) state;
    run_verdicts(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

static void test_messages(void **state) {
    static const char *const deny[] = {"git push", NULL};
    fence_config *cfg = make_cfg(deny, NULL, TRI_UNSET);
    char msg[512];

    (void) state;
    assert_int_equal(check(cfg, "git push origin main", msg, sizeof(msg)), 1);
    assert_string_equal(msg, "command blocked by sandbox command policy: \"git push origin main\" "
                             "matches \"git push\"");
    assert_int_equal(check(cfg, "shutdown -h now", msg, sizeof(msg)), 1);
    assert_string_equal(msg, "command blocked by default sandbox command policy: "
                             "\"shutdown -h now\" matches \"shutdown\"");
    assert_int_equal(check(cfg, "ls && git push \"origin\"", msg, sizeof(msg)), 1);
    assert_string_equal(msg, "command blocked by sandbox command policy: "
                             "\"git push \\\"origin\\\"\" matches \"git push\"");
    assert_int_equal(check(cfg, "bash -c 'ls && git push'", msg, sizeof(msg)), 1);
    assert_string_equal(msg, "command blocked by sandbox command policy: \"git push\" matches "
                             "\"git push\"");
    assert_int_equal(check(cfg, "git push 2>&1", msg, sizeof(msg)), 1);
    assert_string_equal(msg, "command blocked by sandbox command policy: \"git push 2>&1\" "
                             "matches \"git push\"");
    fence_config_free(cfg);
}

/* ---- exec-time decision (§7.6) -----------------------------------------------------------------
 */

static void test_exec_decision(void **state) {
    static const char *const deny[] = {"git push", NULL};
    static const char *const allow[] = {"git push origin docs", NULL};
    static const struct {
        const char *path, *resolved;
        const char *argv[6];
        cmdpol_result want;
        cmdpol_list source;
    } cases[] = {
            {"/usr/bin/git", NULL, {"git", "push", "origin", "main"}, CMDPOL_BLOCKED, CMDPOL_DENY},
            {"/usr/bin/git", NULL, {"anything", "push"}, CMDPOL_BLOCKED, CMDPOL_DENY},
            {"/usr/bin/git", NULL, {"git", "status"}, CMDPOL_NO_MATCH, 0},
            {"/usr/bin/git", NULL, {"git", "-C", "/r", "push"}, CMDPOL_BLOCKED, CMDPOL_DENY},
            {"/usr/bin/git", NULL, {"git", "push", "origin", "docs"}, CMDPOL_ALLOWED, 0},
            {"/sbin/shutdown", NULL, {"shutdown", "-h"}, CMDPOL_BLOCKED, CMDPOL_DEFAULT},
            {"/bin/dd", NULL, {"dd", "of=/x", "if=/dev/zero"}, CMDPOL_BLOCKED, CMDPOL_DEFAULT},
            /* no path basename: argv[0]'s */
            {"/", NULL, {"/usr/bin/git", "push"}, CMDPOL_BLOCKED, CMDPOL_DENY},
            {"", NULL, {"git", "push"}, CMDPOL_BLOCKED, CMDPOL_DENY},
            /* no splitting, no nested shells at exec time: the shell's own exec is checked later */
            {"/bin/bash", NULL, {"bash", "-c", "git push"}, CMDPOL_NO_MATCH, 0},
            /* a symlink named otherwise: checked under the resolved name too */
            {"/tmp/g", "/usr/bin/git", {"g", "push"}, CMDPOL_BLOCKED, CMDPOL_DENY},
            {"/tmp/g", "/usr/bin/git", {"g", "status"}, CMDPOL_NO_MATCH, 0},
            {"/tmp/git", "/usr/bin/git", {"git", "push", "origin", "docs"}, CMDPOL_ALLOWED, 0},
            /* no argv at all */
            {"/usr/sbin/reboot", NULL, {NULL}, CMDPOL_BLOCKED, CMDPOL_DEFAULT},
    };
    fence_config *cfg = make_cfg(deny, allow, TRI_UNSET);
    cmdpol *pol = NULL;

    (void) state;
    assert_int_equal(cmdpol_new(cfg, &pol), 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t argc = 0;
        cmdpol_verdict v;

        while (argc < ARRAY_SIZE(cases[i].argv) && cases[i].argv[argc])
            argc++;
        v = cmdpol_decide_exec(pol, cases[i].path, cases[i].resolved, cases[i].argv, argc);
        if (v.result != cases[i].want)
            fail_msg("exec %s (case %zu): result %d, want %d", cases[i].path, i, v.result,
                     cases[i].want);
        if (v.result == CMDPOL_BLOCKED)
            assert_int_equal(v.source, cases[i].source);
    }
    cmdpol_free(pol);
    fence_config_free(cfg);
}

static void test_exec_log_line(void **state) {
    static const char *const deny[] = {"git push", NULL};
    static const char *const argv[] = {"git", "push", "a \"b\""};
    static const char *const argv2[] = {"dd", "if=/dev/zero"};
    fence_config *cfg = make_cfg(deny, NULL, TRI_UNSET);
    _cleanup_(fbuf_done) fbuf line = FBUF_INIT(4096);
    _cleanup_(fbuf_done) fbuf line2 = FBUF_INIT(4096);
    cmdpol *pol = NULL;
    cmdpol_verdict v;

    (void) state;
    assert_int_equal(cmdpol_new(cfg, &pol), 0);
    v = cmdpol_decide_exec(pol, "/usr/bin/git", NULL, argv, 3);
    assert_int_equal(v.result, CMDPOL_BLOCKED);
    assert_int_equal(cmdpol_format_exec_block(&line, "/usr/bin/git", argv, 3, &v), 0);
    assert_string_equal(line.data,
                        "[fence:linux] Runtime exec policy blocked exec=\"/usr/bin/git\" "
                        "argv=[\"git\", \"push\", \"a \\\"b\\\"\"] matched=\"git push\" "
                        "source=command.deny");
    v = cmdpol_decide_exec(pol, "/usr/bin/dd", NULL, argv2, 2);
    assert_int_equal(cmdpol_format_exec_block(&line2, "/usr/bin/dd", argv2, 2, &v), 0);
    assert_string_equal(line2.data,
                        "[fence:linux] Runtime exec policy blocked exec=\"/usr/bin/dd\" "
                        "argv=[\"dd\", \"if=/dev/zero\"] matched=\"dd if=\" "
                        "source=default");
    cmdpol_free(pol);
    fence_config_free(cfg);
}

/* ---- helpers -----------------------------------------------------------------------------------
 */

static void test_quote(void **state) {
    static const struct {
        const char *in, *want;
    } cases[] = {
            {"git push", "\"git push\""},
            {"a\"b\\c", "\"a\\\"b\\\\c\""},
            {"\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""},
            {"\x01\x1b\x7f", "\"\\x01\\x1b\\x7f\""},
            {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
            {"\xff"
             "a",
             "\"\\xffa\""},
            {"\xc2\xa0", "\"\\u00a0\""},
            {"\xe2\x80\x8b", "\"\\u200b\""},
            {"\xf3\xb0\x80\x80", "\"\\U000f0000\""},
            {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},
            {"", "\"\""},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_(fbuf_done) fbuf b = FBUF_INIT(256);

        assert_int_equal(cmdpol_quote(&b, cases[i].in), 0);
        assert_string_equal(b.data, cases[i].want);
    }
}

static void test_runtime_token(void **state) {
    static const struct {
        const char *rule, *want;
    } cases[] = {
            {"sudo", "sudo"},
            {"  chroot  ", "chroot"},
            {"/usr/bin/sudo", "/usr/bin/sudo"},
            {"'my tool'", "my tool"},
            {"git push", NULL},
            {"dd if=", NULL},
            {"rm*", NULL},
            {"a;b", NULL},
            {"$x", NULL},
            {"a=b", NULL},
            {"''", NULL},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *deny[] = {cases[i].rule, NULL};
        fence_config *cfg = make_cfg(deny, NULL, TRI_FALSE);
        cmdpol *pol = NULL;
        const char *tok;

        assert_int_equal(cmdpol_new(cfg, &pol), 0);
        tok = cmdpol_rule_runtime_token(&pol->rules[CMDPOL_DENY][0]);
        if (!cases[i].want)
            assert_null(tok);
        else {
            assert_non_null(tok);
            assert_string_equal(tok, cases[i].want);
        }
        cmdpol_free(pol);
        fence_config_free(cfg);
    }
}

/* ---- limits ------------------------------------------------------------------------------------
 */

static char *repeat(const char *piece, size_t times, const char *tail) {
    size_t n = strlen(piece), t = strlen(tail);
    char *s = malloc(n * times + t + 1);

    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * n, piece, n);
    memcpy(s + n * times, tail, t + 1);
    return s;
}

static void test_limits(void **state) {
    cmdparse *p = NULL;
    fence_error err = {0};
    _cleanup_free_ char *longest = repeat("a", CMDPARSE_MAX_INPUT, "");
    _cleanup_free_ char *too_long = repeat("a", CMDPARSE_MAX_INPUT + 1, "");
    _cleanup_free_ char *deep = repeat("$(", 200, "git push");
    _cleanup_free_ char *shallow = repeat("$(", 10, "git push");
    _cleanup_free_ char *wide = repeat("a;", CMDPARSE_MAX_SEGMENTS + 1, "");
    _cleanup_free_ char *braces = repeat("{a,b}", 60, "");
    _cleanup_free_ char *quotes = repeat("\"$(", 100, "");

    (void) state;
    assert_int_equal(cmdparse_string(longest, strlen(longest), &p), 0);
    cmdparse_free(p);
    assert_int_equal(cmdparse_string(too_long, strlen(too_long), &p), -E2BIG);
    assert_int_equal(fence_check_command(NULL, too_long, &err), -FENCE_E_BLOCKED);
    assert_string_equal(err.msg, "command refused: the command policy cannot check it: the "
                                 "command string is longer than 131071 bytes");
    assert_int_equal(cmdparse_string(deep, strlen(deep), &p), -ELOOP);
    fence_error_clear(&err);
    assert_int_equal(fence_check_command(NULL, deep, &err), -FENCE_E_BLOCKED);
    assert_non_null(strstr(err.msg, "deeper than 64 levels"));
    assert_int_equal(cmdparse_string(quotes, strlen(quotes), &p), -ELOOP);
    assert_int_equal(cmdparse_string(shallow, strlen(shallow), &p), 0);
    assert_string_equal(cmdparse_get(p, 0)->text, "git push");
    cmdparse_free(p);
    assert_int_equal(cmdparse_string(wide, strlen(wide), &p), -ERANGE);
    /* brace expansion is capped, not refused */
    assert_int_equal(cmdparse_string(braces, strlen(braces), &p), 0);
    assert_int_equal(cmdparse_get(p, 0)->n_words, CMDPARSE_BRACE_MAX);
    cmdparse_free(p);
    /* eval of a brace expansion multiplies the text to read: the step budget refuses it */
    {
        _cleanup_free_ char *braces8 = repeat("{a,b}", 8, "");
        _cleanup_free_ char *amplified = NULL;
        _cleanup_free_ char *tail = repeat("x", 15000, "");

        assert_true(asprintf(&amplified, "eval %s%s", braces8, tail) > 0);
        assert_int_equal(cmdparse_string(amplified, strlen(amplified), &p), -ETIMEDOUT);
        fence_error_clear(&err);
        assert_int_equal(fence_check_command(NULL, amplified, &err), -FENCE_E_BLOCKED);
        assert_non_null(strstr(err.msg, "takes too long to analyse"));
    }
    /* a NUL ends the string, as it would for the shell */
    assert_int_equal(cmdparse_string("ls\0git push", 11, &p), 0);
    assert_int_equal(cmdparse_count(p), 1);
    cmdparse_free(p);
    assert_int_equal(fence_check_command(NULL, NULL, NULL), -FENCE_E_INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_segments),
            cmocka_unit_test(test_parse_words),
            cmocka_unit_test(test_parse_word_flags),
            cmocka_unit_test(test_match_prefix),
            cmocka_unit_test(test_verdict_go_examples),
            cmocka_unit_test(test_verdict_allow_first),
            cmocka_unit_test(test_verdict_defaults),
            cmocka_unit_test(test_verdict_bypasses),
            cmocka_unit_test(test_verdict_no_false_positives),
            cmocka_unit_test(test_verdict_known_limits),
            cmocka_unit_test(test_messages),
            cmocka_unit_test(test_exec_decision),
            cmocka_unit_test(test_exec_log_line),
            cmocka_unit_test(test_quote),
            cmocka_unit_test(test_runtime_token),
            cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
