/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/policy/sshpol (spec §8): detection and option parsing, host patterns, the
 * evaluation order with every message, inheritDeny, allowAllCommands, and how the SSH policy
 * sits after the command rules in fence_check_command().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "policy/cmdparse.h"
#include "policy/sshpol.h"
#include "util/cleanup.h"

static void append(fence_config *cfg, fence_config_key key, const char *const *v) {
    for (; v && *v; v++)
        assert_int_equal(fence_config_list_append_string(cfg, key, *v), 0);
}

static void test_parse(void **state) {
    static const struct {
        const char *cmd, *host, *remote; /* host NULL: not an ssh invocation */
    } cases[] = {
            {"ssh server1.example.com", "server1.example.com", ""},
            {"ssh user@server1.example.com", "server1.example.com", ""},
            {"ssh server1.example.com ls -la", "server1.example.com", "ls -la"},
            {"ssh user@server1.example.com \"cat /var/log/app.log\"", "server1.example.com",
             "cat /var/log/app.log"},
            {"ssh -p 2222 server1.example.com", "server1.example.com", ""},
            {"ssh -i ~/.ssh/key server1.example.com ls", "server1.example.com", "ls"},
            {"ssh -v -t server1.example.com", "server1.example.com", ""},
            {"ssh -o StrictHostKeyChecking=no server1.example.com", "server1.example.com", ""},
            {"ssh -oStrictHostKeyChecking=no h uptime", "h", "uptime"},
            {"/usr/bin/ssh server1.example.com ls", "server1.example.com", "ls"},
            {"ssh -l root h", "h", ""}, /* -l does not change the host */
            {"ssh a@b@h x", "h", "x"},  /* last '@' */
            {"ssh -J jump h 'a && b'", "h", "a && b"},
            {"ssh -B eth0 h", "eth0", "h"}, /* -B is not in the Go list */
            {"ssh ssh://h", "ssh://h", ""}, /* URLs are not parsed */
            {"ssh", NULL, NULL},
            {"ssh -v", NULL, NULL},
            {"ssh user@", NULL, NULL},
            {"ls -la", NULL, NULL},
            {"sshpass -p password ssh server", NULL, NULL}, /* the first segment is sshpass */
            {"echo ssh server", NULL, NULL},
            {"scp f h:", NULL, NULL},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cmdparse *p = NULL;
        _cleanup_free_ char *host = NULL, *remote = NULL;
        int r;

        assert_int_equal(cmdparse_string(cases[i].cmd, strlen(cases[i].cmd), &p), 0);
        r = sshpol_parse(cmdparse_get(p, 0), &host, &remote);
        if (!cases[i].host) {
            if (r != 0)
                fail_msg("'%s' should not parse as ssh (host '%s')", cases[i].cmd, host);
        } else {
            if (r != 1)
                fail_msg("'%s' should parse as ssh", cases[i].cmd);
            assert_string_equal(host, cases[i].host);
            assert_string_equal(remote, cases[i].remote);
        }
        cmdparse_free(p);
    }
}

static void test_host_patterns(void **state) {
    static const struct {
        const char *host, *pattern;
        bool want;
    } cases[] = {
            {"server1.example.com", "*.example.com", true},
            {"a.b.example.com", "*.example.com", true},
            {"example.com", "*.example.com", false},
            {"prod-web-01", "prod-*", true},
            {"prod", "prod-*", false},
            {"anything", "*", true},
            {"HOST.Example.COM", "host.example.com", true},
            {"host.example.com", "HOST.*", true},
            {"web-01.eu.example.com", "web-*.*.example.com", true},
            {"web-01.example.com", "web-*.*.example.com", false},
            {"a", "a*a", false},
            {"aa", "a*a", true},
            {"abcabc", "*bc*bc", true},
            {"10.0.0.1", "10.0.*", true},
            {"host", "hos", false},
            {"host", "host?", false}, /* only '*' is a wildcard */
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (sshpol_host_matches(cases[i].host, cases[i].pattern) != cases[i].want)
            fail_msg("host '%s' vs '%s': want %d", cases[i].host, cases[i].pattern, cases[i].want);
}

typedef struct ssh_case {
    const char *cmd;
    const char *msg; /* NULL: allowed */
} ssh_case;

static void run(const fence_config *cfg, const ssh_case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        fence_error err = {0};
        int r = fence_check_command(cfg, cases[i].cmd, &err);

        if (!cases[i].msg) {
            if (r != 0)
                fail_msg("'%s' should be allowed, got: %s", cases[i].cmd, err.msg);
            continue;
        }
        if (r != -FENCE_E_BLOCKED)
            fail_msg("'%s' should be blocked (%d)", cases[i].cmd, r);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("'%s':\n got  %s\n want %s", cases[i].cmd, err.msg, cases[i].msg);
    }
}

static void test_hosts(void **state) {
    static const char *const allowed[] = {"*.example.com", "prod-*", NULL};
    static const char *const denied[] = {"prod-db.example.com", NULL};
    static const ssh_case cases[] = {
            {"ssh server1.example.com", NULL},
            {"ssh api.example.com", NULL},
            {"ssh prod-web-01", NULL},
            {"ssh prod-db.example.com",
             "SSH blocked: host matches denied pattern \"prod-db.example.com\" "
             "(host: prod-db.example.com)"},
            {"ssh deploy@prod-db.example.com uptime",
             "SSH command blocked: host matches denied pattern \"prod-db.example.com\" "
             "(host: prod-db.example.com, command: uptime)"},
            {"ssh other.org", "SSH blocked: host not in allowedHosts (host: other.org)"},
            {"ssh user@other.org ls", "SSH command blocked: host not in allowedHosts "
                                      "(host: other.org, command: ls)"},
            /* remote commands on an allowed host: allowlist mode without a list */
            {"ssh server1.example.com ls",
             "SSH command blocked: no ssh.allowedCommands configured (allowlist mode requires "
             "explicit commands) (host: , command: ls)"},
            /* found wherever the parser finds a command */
            {"ls && ssh other.org", "SSH blocked: host not in allowedHosts (host: other.org)"},
            {"env ssh other.org", "SSH blocked: host not in allowedHosts (host: other.org)"},
            {"echo $(ssh other.org)", "SSH blocked: host not in allowedHosts (host: other.org)"},
            {"sh -c 'ssh other.org'", "SSH blocked: host not in allowedHosts (host: other.org)"},
            {"/usr/bin/ss? other.org", "SSH blocked: host not in allowedHosts (host: other.org)"},
            /* not ssh */
            {"scp f other.org:", NULL},
            {"echo ssh other.org", NULL},
    };
    fence_config *cfg = fence_config_new();

    (void) state;
    append(cfg, FENCE_CFG_SSH_ALLOWED_HOSTS, allowed);
    append(cfg, FENCE_CFG_SSH_DENIED_HOSTS, denied);
    assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, 0), 0);
    run(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

static void test_commands(void **state) {
    static const char *const allowed[] = {"*.example.com", NULL};
    static const char *const cmds[] = {"ls", "cat", "git status", NULL};
    static const char *const denied_cmds[] = {"rm", "cat /etc/shadow", NULL};
    static const ssh_case cases[] = {
            {"ssh h.example.com", NULL},
            {"ssh h.example.com ls -la", NULL},
            {"ssh h.example.com 'ls && cat x'", NULL},
            {"ssh h.example.com git -C /srv status", NULL},
            {"ssh h.example.com rm -rf /",
             "SSH command blocked: command \"rm -rf /\" matches ssh.deniedCommands \"rm\" "
             "(host: , command: rm -rf /)"},
            {"ssh h.example.com 'ls; cat /etc/shadow'",
             "SSH command blocked: command \"cat /etc/shadow\" matches ssh.deniedCommands "
             "\"cat /etc/shadow\" (host: , command: ls; cat /etc/shadow)"},
            {"ssh h.example.com 'ls && sudo reboot'",
             "SSH command blocked: command \"sudo reboot\" not in ssh.allowedCommands "
             "(host: , command: ls && sudo reboot)"},
            /* remote splitting sees what the Go splitter misses */
            {"ssh h.example.com 'ls & rm x'",
             "SSH command blocked: command \"rm x\" matches ssh.deniedCommands \"rm\" "
             "(host: , command: ls & rm x)"},
            {"ssh h.example.com 'ls $(rm x)'",
             "SSH command blocked: command \"rm x\" matches ssh.deniedCommands \"rm\" "
             "(host: , command: ls $(rm x))"},
    };
    fence_config *cfg = fence_config_new();

    (void) state;
    append(cfg, FENCE_CFG_SSH_ALLOWED_HOSTS, allowed);
    append(cfg, FENCE_CFG_SSH_ALLOWED_COMMANDS, cmds);
    append(cfg, FENCE_CFG_SSH_DENIED_COMMANDS, denied_cmds);
    run(cfg, cases, ARRAY_SIZE(cases));
    fence_config_free(cfg);
}

static void test_allow_all_and_inherit(void **state) {
    static const char *const hosts[] = {"*", NULL};
    static const char *const deny[] = {"git push", NULL};
    static const char *const denied_cmds[] = {"rm", NULL};
    static const ssh_case allow_all[] = {
            {"ssh h anything --goes", NULL},
            {"ssh h rm -rf /", "SSH command blocked: command \"rm -rf /\" matches "
                               "ssh.deniedCommands \"rm\" (host: , command: rm -rf /)"},
            /* without inheritDeny the local lists do not apply remotely */
            {"ssh h git push", NULL},
            {"ssh h shutdown", NULL},
            /* the local rules still apply to the local segment */
            {"git push", "command blocked by sandbox command policy: \"git push\" matches "
                         "\"git push\""},
    };
    static const ssh_case inherit[] = {
            {"ssh h ls", NULL},
            {"ssh h 'ls; git push origin'",
             "SSH command blocked: command \"git push origin\" matches inherited global deny "
             "\"git push\" (host: , command: ls; git push origin)"},
            {"ssh h shutdown -h now",
             "SSH command blocked: command \"shutdown -h now\" matches inherited default deny "
             "\"shutdown\" (host: , command: shutdown -h now)"},
            /* inherited denies come first: same outcome as the documented order, other reason */
            {"ssh h rm x",
             "SSH command blocked: command \"rm x\" matches ssh.deniedCommands \"rm\" "
             "(host: , command: rm x)"},
    };
    static const ssh_case inherit_no_defaults[] = {
            {"ssh h shutdown -h now", NULL},
    };
    fence_config *cfg = fence_config_new();

    (void) state;
    append(cfg, FENCE_CFG_SSH_ALLOWED_HOSTS, hosts);
    append(cfg, FENCE_CFG_COMMAND_DENY, deny);
    append(cfg, FENCE_CFG_SSH_DENIED_COMMANDS, denied_cmds);
    assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_SSH_ALLOW_ALL_COMMANDS, 1), 0);
    run(cfg, allow_all, ARRAY_SIZE(allow_all));
    assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_SSH_INHERIT_DENY, 1), 0);
    run(cfg, inherit, ARRAY_SIZE(inherit));
    assert_int_equal(fence_config_set_bool(cfg, FENCE_CFG_COMMAND_USE_DEFAULTS, 0), 0);
    run(cfg, inherit_no_defaults, ARRAY_SIZE(inherit_no_defaults));
    fence_config_free(cfg);
}

/* Order with the command rules: allow skips the SSH check (a Go quirk kept as is); deny and
 * default rules come before it; no hosts configured = ssh is an ordinary command. */
static void test_order(void **state) {
    static const char *const hosts[] = {"*.example.com", NULL};
    static const char *const allow[] = {"ssh -p 2222", NULL};
    static const char *const deny[] = {"ssh -A", NULL};
    static const ssh_case with_hosts[] = {
            {"ssh -p 2222 other.org", NULL},
            {"ssh -p 22 other.org", "SSH blocked: host not in allowedHosts (host: other.org)"},
    };
    static const ssh_case no_hosts[] = {
            {"ssh anywhere.org rm -rf /", NULL},
            {"ssh -A h",
             "command blocked by sandbox command policy: \"ssh -A h\" matches \"ssh -A\""},
    };
    fence_config *cfg = fence_config_new();
    fence_config *plain = fence_config_new();

    (void) state;
    append(cfg, FENCE_CFG_SSH_ALLOWED_HOSTS, hosts);
    append(cfg, FENCE_CFG_COMMAND_ALLOW, allow);
    run(cfg, with_hosts, ARRAY_SIZE(with_hosts));
    append(plain, FENCE_CFG_COMMAND_DENY, deny);
    run(plain, no_hosts, ARRAY_SIZE(no_hosts));
    fence_config_free(cfg);
    fence_config_free(plain);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_host_patterns),
            cmocka_unit_test(test_hosts),
            cmocka_unit_test(test_commands),
            cmocka_unit_test(test_allow_all_and_inherit),
            cmocka_unit_test(test_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
