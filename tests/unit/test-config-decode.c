/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for fence_config_parse (decode + validation, spec §4.1, §4.2, §4.6) and the canonical
 * writer (§4.7): key matching, types, null, duplicates, every validation message with its
 * position, the API validator without positions, exact output and round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/validate.h"
#include "util/cleanup.h"

static fence_config *parse_ok(const char *text) {
    fence_config *cfg = NULL;
    fence_error err = {0};
    int r = fence_config_parse(text, strlen(text), "t.json", &cfg, &err);

    if (r != 1)
        fail_msg("parse of %s: %d %s", text, r, err.msg);
    return cfg;
}

static void expect_error(const char *text, const char *want) {
    fence_config *cfg = NULL;
    fence_error err = {0};
    int r = fence_config_parse(text, strlen(text), "t.json", &cfg, &err);

    if (r != -FENCE_E_CONFIG || strcmp(err.msg, want) != 0)
        fail_msg("parse of %s:\n got  %d '%s'\n want '%s'", text, r, err.msg, want);
    assert_null(cfg);
}

static void test_decode_blank(void **state) {
    static const char *const blank[] = {"", "  \n\t", "// just a comment\n", "/* c */ // d"};
    fence_config *cfg = NULL;
    fence_error err = {0};

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(blank); i++) {
        assert_int_equal(fence_config_parse(blank[i], strlen(blank[i]), "x", &cfg, &err), 0);
        assert_null(cfg);
    }
}

static void test_decode_fields(void **state) {
    _cleanup_(fence_config_freep) fence_config *cfg = parse_ok(
            "{\n"
            "  \"$schema\": \"https://example/schema.json\",\n"
            "  \"extends\": \"code\",\n"
            "  \"allowPty\": true,\n"
            "  \"forceNewSession\": false,\n"
            "  \"network\": {\"allowedDomains\": [\"a.com\"], \"allowLocalOutboundPorts\": [80, "
            "443],\n"
            "              \"httpProxyPort\": 3128, \"upstreamProxy\": \"http://p:1\",\n"
            "              \"defaultAction\": \"proxy\", \"unknown\": {\"deep\": [1]}},\n"
            "  \"filesystem\": {\"strictDenyRead\": true, \"wslInterop\": null},\n"
            "  \"macos\": {\"mach\": {\"lookup\": [\"org.x.*\"]}},\n"
            "  \"command\": {\"useDefaults\": false, \"runtimeExecPolicy\": \"argv\"},\n"
            "  \"ssh\": {\"allowedHosts\": [\"*.corp\", \"::1\"], \"inheritDeny\": true},\n"
            "}\n");

    (void) state;
    assert_string_equal(cfg->extends, "code");
    assert_true(cfg->allow_pty);
    assert_int_equal(cfg->force_new_session, TRI_FALSE);
    assert_int_equal(cfg->network.allowed_domains.n, 1);
    assert_int_equal(cfg->network.allow_local_outbound_ports.n, 2);
    assert_int_equal(cfg->network.allow_local_outbound_ports.v[1], 443);
    assert_int_equal(cfg->network.http_proxy_port, 3128);
    assert_string_equal(cfg->network.default_action, "proxy");
    assert_int_equal(cfg->network.allow_local_outbound, TRI_UNSET);
    /* the validation side effect */
    assert_true(cfg->filesystem.strict_deny_read);
    assert_true(cfg->filesystem.default_deny_read);
    assert_int_equal(cfg->filesystem.wsl_interop, TRI_UNSET);
    assert_string_equal(cfg->macos.mach_lookup.v[0], "org.x.*");
    assert_int_equal(cfg->command.use_defaults, TRI_FALSE);
    assert_string_equal(cfg->command.runtime_exec_policy, "argv");
    assert_true(cfg->ssh.inherit_deny);
}

static void test_decode_key_matching(void **state) {
    /* Go's encoding/json: exact match first, else case-insensitive (with Unicode folding of
     * the Kelvin sign and long s); the last duplicate wins; null unsets lists and tri-states
     * and leaves plain values alone */
    _cleanup_(fence_config_freep) fence_config *cfg = parse_ok(
            "{\"NETWORK\": {\"AllowedDomains\": [\"a.com\"], \"allowedDomains\": [\"b.com\"],\n"
            "             \"deniedDomain\xC5\xBF\": [\"c.com\"]},\n"
            "  \"allowpty\": true, \"allowPty\": null,\n"
            "  \"Filesystem\": {\"allowWrite\": [\"x\"]}, \"filesystem\": {\"allowWrite\": null,\n"
            "                  \"denyRead\": [\"y\"]},\n"
            "  \"command\": {\"useDefaults\": true}, \"command\": {\"useDefaults\": null},\n"
            "  \"ssh\": {\"allowAllCommands\": true}, \"ssh\": null,\n"
            "  \"devices\": {\"\xE2\x84\xAA\": 1, \"mode\": \"host\", \"MODE\": \"\"}}");

    (void) state;
    assert_int_equal(cfg->network.allowed_domains.n, 1);
    assert_string_equal(cfg->network.allowed_domains.v[0], "b.com");
    assert_string_equal(cfg->network.denied_domains.v[0], "c.com");
    assert_true(cfg->allow_pty);
    assert_int_equal(cfg->filesystem.allow_write.n, 0);
    assert_int_equal(cfg->filesystem.deny_read.n, 1);
    assert_int_equal(cfg->command.use_defaults, TRI_UNSET);
    assert_true(cfg->ssh.allow_all_commands);
    assert_null(cfg->devices.mode); /* "" is Go's zero value: unset */
}

static void test_decode_null_elements(void **state) {
    /* a null list element is "" in Go, which validation then rejects */
    (void) state;
    expect_error("{\"filesystem\": {\"allowRead\": [\"a\", null]}}",
                 "t.json:1:36: invalid configuration: filesystem.allowRead contains empty path");
    expect_error("{\"network\": {\"allowLocalOutboundPorts\": [null]}}",
                 "t.json:1:42: invalid configuration: invalid network.allowLocalOutboundPorts "
                 "entry 0 (expected 1-65535)");
}

static void test_decode_type_errors(void **state) {
    static const struct {
        const char *text, *want;
    } cases[] = {
            {"[]",
             "t.json:1:1: invalid JSON in config file: the top level must be an object, found "
             "an array"},
            {"null", "t.json:1:1: invalid JSON in config file: the top level must be an object, "
                     "found null"},
            {"{\"allowPty\": \"yes\"}", "t.json:1:14: invalid JSON in config file: allowPty: "
                                        "expected a boolean, found a string"},
            {"{\"forceNewSession\": 1}",
             "t.json:1:21: invalid JSON in config file: forceNewSession: "
             "expected a boolean or null, found a number"},
            {"{\"network\": []}", "t.json:1:13: invalid JSON in config file: network: expected an "
                                  "object, found an array"},
            {"{\"macos\": {\"mach\": 3}}",
             "t.json:1:20: invalid JSON in config file: macos.mach: expected an object, found a "
             "number"},
            {"{\"network\": {\"allowedDomains\": \"a.com\"}}",
             "t.json:1:32: invalid JSON in config file: network.allowedDomains: expected an array "
             "of "
             "strings, found a string"},
            {"{\"network\": {\"allowedDomains\": [\"a.com\", 7]}}",
             "t.json:1:42: invalid JSON in config file: network.allowedDomains[1]: expected a "
             "string, "
             "found a number"},
            {"{\"network\": {\"httpProxyPort\": 1.5}}",
             "t.json:1:31: invalid JSON in config file: network.httpProxyPort: expected an "
             "integer, "
             "found 1.5"},
            {"{\"network\": {\"httpProxyPort\": 1e3}}",
             "t.json:1:31: invalid JSON in config file: network.httpProxyPort: expected an "
             "integer, "
             "found 1e3"},
            {"{\"network\": {\"socksProxyPort\": 99999999999}}",
             "t.json:1:32: invalid JSON in config file: network.socksProxyPort: integer "
             "99999999999 "
             "is out of range"},
            {"{\"network\": {\"allowLocalOutboundPorts\": [\"80\"]}}",
             "t.json:1:42: invalid JSON in config file: network.allowLocalOutboundPorts[0]: "
             "expected "
             "an integer, found a string"},
            {"{\"extends\": [\"code\"]}", "t.json:1:13: invalid JSON in config file: extends: "
                                          "expected a string, found an array"},
            {"{\"extends\": \"a\\u0000b\"}", "t.json:1:13: invalid JSON in config file: extends: "
                                             "strings must not contain NUL characters (\\u0000)"},
            {"{\"a\": 1,,}",
             "t.json:1:9: invalid JSON in config file: unexpected character ',', expected a key in "
             "double quotes"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        expect_error(cases[i].text, cases[i].want);
}

/* Every rule of §4.6, located at the offending value. */
static void test_validate_messages(void **state) {
    static const struct {
        const char *section, *body, *want;
    } cases[] = {
            {"network", "\"allowedDomains\": [\"ok.com\", @\"https://a.com\"]",
             "invalid allowed domain \"https://a.com\": domain pattern cannot contain protocol, "
             "path, "
             "or port"},
            {"network", "\"allowedDomains\": [@\"a.com/x\"]",
             "invalid allowed domain \"a.com/x\": domain pattern cannot contain protocol, path, or "
             "port"},
            {"network", "\"allowedDomains\": [@\"a.com:443\"]",
             "invalid allowed domain \"a.com:443\": domain pattern cannot contain protocol, path, "
             "or "
             "port"},
            {"network", "\"allowedDomains\": [@\"*.com\"]",
             "invalid allowed domain \"*.com\": wildcard pattern too broad (e.g., *.com not "
             "allowed)"},
            {"network", "\"allowedDomains\": [@\"*..com\"]",
             "invalid allowed domain \"*..com\": invalid domain format"},
            {"network", "\"allowedDomains\": [@\"*.a..com\"]",
             "invalid allowed domain \"*.a..com\": invalid domain format"},
            {"network", "\"allowedDomains\": [@\"*.a.com.\"]",
             "invalid allowed domain \"*.a.com.\": invalid domain format"},
            {"network", "\"allowedDomains\": [@\"a*.com\"]",
             "invalid allowed domain \"a*.com\": only *.domain.com wildcard patterns are allowed"},
            {"network", "\"allowedDomains\": [@\"intranet\"]",
             "invalid allowed domain \"intranet\": invalid domain format"},
            {"network", "\"allowedDomains\": [@\".a.com\"]",
             "invalid allowed domain \".a.com\": invalid domain format"},
            {"network", "\"allowedDomains\": [@\"\"]",
             "invalid allowed domain \"\": invalid domain format"},
            {"network", "\"deniedDomains\": [@\"*.org\"]",
             "invalid denied domain \"*.org\": wildcard pattern too broad (e.g., *.com not "
             "allowed)"},
            {"network", "\"allowedDomains\": [@\"a\\tb\"]",
             "invalid allowed domain \"a\\tb\": invalid domain format"},
            {"network", "\"upstreamProxy\": @\"localhost:8080\"",
             "invalid network.upstreamProxy: missing scheme: URL must start with http:// (got "
             "\"localhost:8080\")"},
            {"network", "\"upstreamProxy\": @\"https://p:1\"",
             "invalid network.upstreamProxy: scheme \"https\" is not supported; only http:// "
             "upstream "
             "proxies are supported"},
            {"network", "\"upstreamProxy\": @\"1http://p\"",
             "invalid network.upstreamProxy: scheme \"\" is not supported; only http:// upstream "
             "proxies are supported"},
            {"network", "\"upstreamProxy\": @\"http://\"",
             "invalid network.upstreamProxy: URL has no host"},
            {"network", "\"upstreamProxy\": @\"http://user@:8080/x\"",
             "invalid network.upstreamProxy: URL has no host"},
            {"network", "\"upstreamProxy\": @\"://p\"",
             "invalid network.upstreamProxy: invalid URL: parse \"://p\": missing protocol scheme"},
            {"network", "\"upstreamProxy\": @\"http://p:80a\"",
             "invalid network.upstreamProxy: invalid URL: parse \"http://p:80a\": invalid port "
             "\":80a\" after host"},
            {"network", "\"upstreamProxy\": @\"http://[::1\"",
             "invalid network.upstreamProxy: invalid URL: parse \"http://[::1\": missing ']' in "
             "host"},
            {"network", "\"defaultAction\": @\"allow\"",
             "invalid network.defaultAction \"allow\": must be \"deny\" or \"proxy\""},
            {"network", "\"defaultAction\": @\"proxy\"",
             "network.defaultAction \"proxy\" requires network.upstreamProxy to be set"},
            {"network", "\"allowLocalOutboundPorts\": [80, @0]",
             "invalid network.allowLocalOutboundPorts entry 0 (expected 1-65535)"},
            {"network", "\"allowLocalOutboundPorts\": [@65536]",
             "invalid network.allowLocalOutboundPorts entry 65536 (expected 1-65535)"},
            {"macos", "\"mach\": {\"lookup\": [@\"\"]}",
             "invalid macos.mach.lookup entry \"\": empty Mach service pattern"},
            {"macos", "\"mach\": {\"lookup\": [@\"a*b\"]}",
             "invalid macos.mach.lookup entry \"a*b\": wildcards are only allowed as a single "
             "trailing "
             "'*'"},
            {"macos", "\"mach\": {\"register\": [@\"**\"]}",
             "invalid macos.mach.register entry \"**\": wildcards are only allowed as a single "
             "trailing '*'"},
            {"filesystem", "\"allowRead\": [@\"\"]", "filesystem.allowRead contains empty path"},
            {"filesystem", "\"allowExecute\": [@\"\"]",
             "filesystem.allowExecute contains empty path"},
            {"filesystem", "\"denyRead\": [@\"\"]", "filesystem.denyRead contains empty path"},
            {"filesystem", "\"allowWrite\": [@\"\"]", "filesystem.allowWrite contains empty path"},
            {"filesystem", "\"denyWrite\": [@\"\"]", "filesystem.denyWrite contains empty path"},
            {"devices", "\"mode\": @\"all\"",
             "invalid devices.mode \"all\" (expected one of: auto, minimal, host)"},
            {"devices", "\"allow\": [@\"\"]", "devices.allow contains empty path"},
            {"devices", "\"allow\": [@\"/dev/../dev/\"]",
             "devices.allow path \"/dev/../dev/\" is too broad; use devices.mode \"host\" instead"},
            {"devices", "\"allow\": [@\"/etc/passwd\"]",
             "devices.allow path \"/etc/passwd\" must be under /dev/"},
            {"devices", "\"allow\": [@\"/dev/../etc\"]",
             "devices.allow path \"/dev/../etc\" must be under /dev/"},
            {"command", "\"deny\": [@\"\"]", "command.deny contains empty command"},
            {"command", "\"allow\": [@\"\"]", "command.allow contains empty command"},
            {"command", "\"runtimeExecPolicy\": @\"seccomp\"",
             "invalid command.runtimeExecPolicy \"seccomp\" (expected one of: path, argv)"},
            {"ssh", "\"allowedHosts\": [@\"\"]",
             "invalid ssh.allowedHosts \"\": empty host pattern"},
            {"ssh", "\"allowedHosts\": [@\"ssh://h\"]",
             "invalid ssh.allowedHosts \"ssh://h\": host pattern cannot contain protocol or path"},
            {"ssh", "\"deniedHosts\": [@\"h:22\"]",
             "invalid ssh.deniedHosts \"h:22\": host pattern cannot contain port; specify port in "
             "SSH "
             "command instead"},
            {"ssh", "\"allowedHosts\": [@\"git@h\"]",
             "invalid ssh.allowedHosts \"git@h\": host pattern should not contain username; "
             "specify "
             "just the host"},
            {"ssh", "\"allowedCommands\": [@\"\"]", "ssh.allowedCommands contains empty command"},
            {"ssh", "\"deniedCommands\": [@\"\"]", "ssh.deniedCommands contains empty command"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char text[512], want[640], body[256];
        const char *at = strchr(cases[i].body, '@');
        size_t k = (size_t) (at - cases[i].body);

        /* '@' marks the offending value; the body sits on line 3 after 4 spaces */
        snprintf(body, sizeof(body), "%.*s%s", (int) k, cases[i].body, at + 1);
        snprintf(text, sizeof(text), "{\n  \"%s\": {\n    %s\n  }\n}\n", cases[i].section, body);
        snprintf(want, sizeof(want), "t.json:3:%zu: invalid configuration: %s", k + 5,
                 cases[i].want);
        expect_error(text, want);
    }
}

static void test_validate_accepts(void **state) {
    _cleanup_(fence_config_freep) fence_config *cfg = parse_ok(
            "{\"network\": {\"allowedDomains\": [\"localhost\", \"*\", \"*.a.b\", \"1.2.3.4\", "
            "\"a..b\"],\n"
            "  \"upstreamProxy\": \"HTTP://u:p@[::1]:8080/path\", \"defaultAction\": \"proxy\",\n"
            "  \"allowLocalOutboundPorts\": [1, 65535]},\n"
            " \"macos\": {\"mach\": {\"lookup\": [\"*\", \"org.chromium.*\", \"x\"]}},\n"
            " \"devices\": {\"mode\": \"minimal\", \"allow\": [\"/dev/dri/\", \"/dev//kvm\"]},\n"
            " \"ssh\": {\"allowedHosts\": [\"fe80::1\", \"::1\", \"a:b:c\", \"prod-*\"]}}");

    (void) state;
    assert_non_null(cfg);
}

static void test_validate_api(void **state) {
    _cleanup_(fence_config_freep) fence_config *cfg = fence_config_new();
    fence_error err = {0};

    (void) state;
    assert_int_equal(fence_config_validate(cfg, &err), 0);
    assert_int_equal(
            fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS, "*.com"), 0);
    /* built through the API: no position prefix */
    assert_int_equal(fence_config_validate(cfg, &err), -FENCE_E_CONFIG);
    assert_string_equal(err.msg, "invalid configuration: invalid allowed domain \"*.com\": "
                                 "wildcard pattern too broad (e.g., *.com not allowed)");
    /* no side effect on a const config */
    fence_config_list_clear(cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS);
    fence_config_set_bool(cfg, FENCE_CFG_FILESYSTEM_STRICT_DENY_READ, 1);
    assert_int_equal(fence_config_validate(cfg, NULL), 0);
    assert_false(cfg->filesystem.default_deny_read);
}

static void test_quote(void **state) {
    static const struct {
        const char *in, *want;
    } cases[] = {
            {"", "\"\""},
            {"a\"b\\c", "\"a\\\"b\\\\c\""},
            {"\x01\x7f\n\t", "\"\\x01\\x7f\\n\\t\""},
            {"caf\xC3\xA9", "\"caf\xC3\xA9\""},
            {"\xFF", "\"\\xff\""},
            {"\xE2\x80\xA8", "\"\\u2028\""},
    };
    char buf[64];

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_string_equal(config_quote(buf, sizeof(buf), cases[i].in), cases[i].want);
    config_quote(buf, 8, "abcdefghijkl");
    assert_int_equal(strlen(buf), 7);
}

static void test_writer_exact(void **state) {
    _cleanup_(fence_config_freep) fence_config *cfg = parse_ok(
            "{\"ssh\": {\"inheritDeny\": true}, \"extends\": \"./b.json\", \"allowPty\": false,\n"
            " \"network\": {\"defaultAction\": \"deny\", \"allowLocalOutbound\": false,\n"
            "             \"allowedDomains\": [], \"allowLocalOutboundPorts\": [8080, 80]},\n"
            " \"macos\": {\"mach\": {\"register\": [\"a<b>&c\"]}},\n"
            " \"devices\": {\"allow\": []}, \"command\": {\"useDefaults\": true},\n"
            " \"filesystem\": {\"strictDenyRead\": true, \"denyRead\": "
            "[\"\\u2029\\\"\\\\\\u0001\"]}}");
    static const char want[] = "{\n"
                               "  \"extends\": \"./b.json\",\n"
                               "  \"network\": {\n"
                               "    \"allowLocalOutbound\": false,\n"
                               "    \"allowLocalOutboundPorts\": [\n"
                               "      8080,\n"
                               "      80\n"
                               "    ]\n"
                               "  },\n"
                               "  \"filesystem\": {\n"
                               "    \"defaultDenyRead\": true,\n"
                               "    \"strictDenyRead\": true,\n"
                               "    \"denyRead\": [\n"
                               "      \"\\u2029\\\"\\\\\\u0001\"\n"
                               "    ]\n"
                               "  },\n"
                               "  \"macos\": {\n"
                               "    \"mach\": {\n"
                               "      \"register\": [\n"
                               "        \"a\\u003cb\\u003e\\u0026c\"\n"
                               "      ]\n"
                               "    }\n"
                               "  },\n"
                               "  \"command\": {\n"
                               "    \"useDefaults\": true\n"
                               "  },\n"
                               "  \"ssh\": {\n"
                               "    \"inheritDeny\": true\n"
                               "  }\n"
                               "}\n";
    _cleanup_free_ char *json = NULL;
    fence_error err = {0};

    (void) state;
    assert_int_equal(fence_config_to_json(cfg, &json, &err), 0);
    assert_string_equal(json, want);
}

static void test_writer_empty(void **state) {
    _cleanup_(fence_config_freep) fence_config *cfg = fence_config_new();
    _cleanup_free_ char *json = NULL;

    (void) state;
    assert_int_equal(fence_config_to_json(cfg, &json, NULL), 0);
    assert_string_equal(json, "{}\n");
}

static void test_writer_round_trip(void **state) {
    static const char *const texts[] = {
            ("{\"network\": {\"allowedDomains\": [\"a.com\", \"a.com\", \"\xC3\xA9.fr\"], "
            "\"allowAllUnixSockets\": true, \"allowUnixSockets\": [\"/s\"], \"allowLocalBinding\": "
            "true, \"httpProxyPort\": -1, \"socksProxyPort\": 1080}, \"forceNewSession\": true}"),
            ("{\"filesystem\": {\"wslInterop\": false, \"allowRead\": [\"~/x\"], \"allowExecute\": "
            "[\"/bin\"], \"allowWrite\": [\".\"], \"denyWrite\": [\"**/.env\"], "
            "\"allowGitConfig\": "
            "true}, \"devices\": {\"mode\": \"host\", \"allow\": [\"/dev/kvm\"]}}"),
            ("{\"command\": {\"deny\": [\"git push\"], \"allow\": [\"git push origin docs\"], "
            "\"acceptSharedBinaryCannotRuntimeDeny\": [\"python\"], \"runtimeExecPolicy\": "
            "\"path\"}, \"ssh\": {\"allowedHosts\": [\"h.corp\"], \"deniedHosts\": [\"x.corp\"], "
            "\"allowedCommands\": [\"ls\"], \"deniedCommands\": [\"rm\"], \"allowAllCommands\": "
            "true}}"),
            ("{\"network\": {\"upstreamProxy\": \"http://127.0.0.1:8080\", \"defaultAction\": "
            "\"proxy\"}, \"macos\": {\"mach\": {\"lookup\": [\"a\"], \"register\": [\"b*\"]}}}"),
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        _cleanup_(fence_config_freep) fence_config *a = parse_ok(texts[i]), *b = NULL;
        _cleanup_free_ char *ja = NULL, *jb = NULL;

        assert_int_equal(fence_config_to_json(a, &ja, NULL), 0);
        b = parse_ok(ja);
        assert_true(config_equal(a, b));
        assert_int_equal(fence_config_to_json(b, &jb, NULL), 0);
        assert_string_equal(ja, jb);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decode_blank),
            cmocka_unit_test(test_decode_fields),
            cmocka_unit_test(test_decode_key_matching),
            cmocka_unit_test(test_decode_null_elements),
            cmocka_unit_test(test_decode_type_errors),
            cmocka_unit_test(test_validate_messages),
            cmocka_unit_test(test_validate_accepts),
            cmocka_unit_test(test_validate_api),
            cmocka_unit_test(test_quote),
            cmocka_unit_test(test_writer_exact),
            cmocka_unit_test(test_writer_empty),
            cmocka_unit_test(test_writer_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
