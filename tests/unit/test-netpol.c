/* SPDX-License-Identifier: MIT */
/* Unit tests for netpol: §6.1 matching, deny-wins, the grey zone of §6.4, IP literal parsing in
 * every spelling, address classes, and the "names the host exactly" rule of the SSRF guard. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "policy/netpol.h"
#include "util/cleanup.h"

static void test_match(void **state) {
    static const struct {
        const char *host, *pattern;
        bool want;
    } cases[] = {
            {"example.com", "example.com", true},
            {"EXAMPLE.com", "example.COM", true},
            {"a.example.com", "example.com", false}, /* exact means exact */
            {"example.com", "*.example.com", false}, /* "*." does not cover the apex */
            {"a.example.com", "*.example.com", true},
            {"a.b.example.com", "*.example.com", true},
            {"A.B.Example.Com", "*.EXAMPLE.com", true},
            {"badexample.com", "*.example.com", false},
            {"example.com.evil.net", "*.example.com", false},
            {"example.com.evil.net", "example.com", false},
            {"anything", "*", true},
            {"", "*", true},
            {"127.0.0.1", "127.0.0.1", true},
            {"localhost", "localhost", true},
            {"x", "", false},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(netpol_match(cases[i].host, cases[i].pattern), cases[i].want);
}

static void test_decide(void **state) {
    static const char *allow[] = {"*.example.com", "api.github.com", "127.0.0.1", "localhost",
                                  NULL};
    static const char *deny[] = {"evil.example.com", "169.254.169.254", NULL};
    static const struct {
        const char *host;
        netpol_action want;
        netpol_reason reason;
        const char *rule;
    } cases[] = {
            {"a.example.com", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "*.example.com"},
            {"evil.example.com", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "evil.example.com"},
            {"EVIL.Example.COM", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "evil.example.com"},
            {"evil.example.com.", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "evil.example.com"},
            {"example.com", NETPOL_DENY, NETPOL_REASON_NO_MATCH, NULL},
            {"api.github.com", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "api.github.com"},
            {"api.github.com.", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "api.github.com"},
            {"github.com", NETPOL_DENY, NETPOL_REASON_NO_MATCH, NULL},
            {"127.0.0.1", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "127.0.0.1"},
            {"127.1", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "127.0.0.1"},
            {"[::ffff:127.0.0.1]", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "127.0.0.1"},
            {"127.0.0.2", NETPOL_DENY, NETPOL_REASON_NO_MATCH, NULL},
            /* every spelling of the denied metadata address is denied */
            {"169.254.169.254", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"2852039166", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"0xa9fea9fe", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"0251.0376.0251.0376", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"169.254.43518", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"::ffff:169.254.169.254", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"[::ffff:a9fe:a9fe]", NETPOL_DENY, NETPOL_REASON_DENIED_RULE, "169.254.169.254"},
            {"localhost", NETPOL_ALLOW, NETPOL_REASON_ALLOWED_RULE, "localhost"},
            {"", NETPOL_DENY, NETPOL_REASON_NO_MATCH, NULL},
    };
    const netpol p = {.allowed = allow, .denied = deny};

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        netpol_verdict v = netpol_decide(&p, cases[i].host, 443);

        if (v.action != cases[i].want || v.reason != cases[i].reason)
            fail_msg("host '%s': action %d reason %d", cases[i].host, v.action, v.reason);
        if (cases[i].rule)
            assert_string_equal(v.matched_rule, cases[i].rule);
        else
            assert_null(v.matched_rule);
    }
}

static void test_deny_wins_and_star(void **state) {
    static const char *allow[] = {"*", NULL};
    static const char *deny[] = {"*.evil.com", "evil.com", NULL};
    const netpol p = {.allowed = allow, .denied = deny};

    (void) state;
    assert_int_equal(netpol_decide(&p, "good.org", 80).action, NETPOL_ALLOW);
    assert_int_equal(netpol_decide(&p, "evil.com", 80).action, NETPOL_DENY);
    assert_int_equal(netpol_decide(&p, "x.evil.com", 80).action, NETPOL_DENY);
    assert_int_equal(netpol_decide(&p, "notevil.com", 80).action, NETPOL_ALLOW);
}

static void test_no_config_and_empty(void **state) {
    const netpol none = {.no_config = true};
    const netpol empty = {0};
    netpol_verdict v;

    (void) state;
    v = netpol_decide(&none, "example.com", 443);
    assert_int_equal(v.action, NETPOL_DENY);
    assert_int_equal(v.reason, NETPOL_REASON_NO_CONFIG);
    v = netpol_decide(&empty, "example.com", 443);
    assert_int_equal(v.action, NETPOL_DENY);
    assert_int_equal(v.reason, NETPOL_REASON_NO_MATCH);
    assert_int_equal(netpol_decide(NULL, "x", 1).reason, NETPOL_REASON_NO_CONFIG);
}

static void test_from_config_upstream(void **state) {
    static const struct {
        const char *upstream, *action;
        bool want_upstream;
    } cases[] = {
            {NULL, NULL, false},
            {"http://proxy:8080", NULL, true}, /* upstream set, defaultAction empty: proxy */
            {"http://proxy:8080", "deny", false},
            {"http://proxy:8080", "proxy", true},
            {NULL, "proxy", true}, /* unvalidated config; the proxy then answers 502 */
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fence_config *cfg = fence_config_new();
        netpol p;
        netpol_verdict v;

        assert_non_null(cfg);
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS,
                                                         "allowed.com"),
                         0);
        assert_int_equal(fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_DENIED_DOMAINS,
                                                         "denied.com"),
                         0);
        fence_config_set_string(cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY, cases[i].upstream);
        fence_config_set_string(cfg, FENCE_CFG_NETWORK_DEFAULT_ACTION, cases[i].action);
        netpol_from_config(&p, cfg);
        assert_int_equal(p.upstream, cases[i].want_upstream);
        v = netpol_decide(&p, "grey.org", 443);
        assert_int_equal(v.action, cases[i].want_upstream ? NETPOL_UPSTREAM : NETPOL_DENY);
        assert_int_equal(v.reason, cases[i].want_upstream ? NETPOL_REASON_NO_MATCH_UPSTREAM
                                                          : NETPOL_REASON_NO_MATCH);
        /* deny and allow are never forwarded upstream */
        assert_int_equal(netpol_decide(&p, "denied.com", 443).action, NETPOL_DENY);
        assert_int_equal(netpol_decide(&p, "allowed.com", 443).action, NETPOL_ALLOW);
        fence_config_free(cfg);
    }
    {
        netpol p;

        netpol_from_config(&p, NULL);
        assert_true(p.no_config);
    }
}

static void test_parse_ip(void **state) {
    static const struct {
        const char *text;
        int family;
        const char *canon; /* NULL: not an IP literal */
    } cases[] = {
            {"127.0.0.1", AF_INET, "127.0.0.1"},
            {"127.1", AF_INET, "127.0.0.1"},
            {"127.0.1", AF_INET, "127.0.0.1"},
            {"2130706433", AF_INET, "127.0.0.1"},
            {"0x7f000001", AF_INET, "127.0.0.1"},
            {"0X7F.1", AF_INET, "127.0.0.1"},
            {"0177.0.0.1", AF_INET, "127.0.0.1"},
            {"0", AF_INET, "0.0.0.0"},
            {"0.0.0.0", AF_INET, "0.0.0.0"},
            {"255.255.255.255", AF_INET, "255.255.255.255"},
            {"4294967295", AF_INET, "255.255.255.255"},
            {"1.2.3.4.", AF_INET, "1.2.3.4"},
            {"::1", AF_INET6, "::1"},
            {"[::1]", AF_INET6, "::1"},
            {"::ffff:127.0.0.1", AF_INET6, "::ffff:127.0.0.1"},
            {"FE80::1", AF_INET6, "fe80::1"},
            {"4294967296", 0, NULL},
            {"256.0.0.1", 0, NULL},
            {"1.2.3.4.5", 0, NULL},
            {"1.2.3.256", 0, NULL},
            {"1.2.65536", 0, NULL},
            {"1..2", 0, NULL},
            {".1.2.3", 0, NULL},
            {"1.2.3.4..", 0, NULL},
            {"08", 0, NULL}, /* not octal */
            {"0x", 0, NULL}, /* no digits */
            {"1.2.3.-4", 0, NULL},
            {"example.com", 0, NULL},
            {"1e2", 0, NULL},
            {"", 0, NULL},
            {"[]", 0, NULL},
            {"[1.2.3.4]", 0, NULL}, /* brackets are for IPv6 only */
            {"fe80::1%eth0", 0, NULL},
            {"[::1", 0, NULL},
            {" 127.0.0.1", 0, NULL},
            {"127.0.0.1 ", 0, NULL},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        netpol_ip ip;
        char buf[NETPOL_IP_STRLEN];
        int r = netpol_parse_ip(cases[i].text, &ip);

        if (!cases[i].canon) {
            if (r != -EINVAL)
                fail_msg("'%s' parsed as an IP", cases[i].text);
            continue;
        }
        if (r != 0)
            fail_msg("'%s' not parsed", cases[i].text);
        assert_int_equal(ip.family, cases[i].family);
        assert_string_equal(netpol_ip_format(&ip, buf), cases[i].canon);
    }
    assert_int_equal(netpol_parse_ip(NULL, &(netpol_ip){0}), -EINVAL);
}

static void test_classify(void **state) {
    static const struct {
        const char *ip;
        netpol_ip_class want;
    } cases[] = {
            {"8.8.8.8", NETPOL_IP_PUBLIC},
            {"1.1.1.1", NETPOL_IP_PUBLIC},
            {"203.0.113.7", NETPOL_IP_PUBLIC},
            {"127.0.0.1", NETPOL_IP_LOOPBACK},
            {"127.255.255.254", NETPOL_IP_LOOPBACK},
            {"0.0.0.0", NETPOL_IP_UNSPECIFIED},
            {"0.1.2.3", NETPOL_IP_UNSPECIFIED},
            {"10.0.0.1", NETPOL_IP_PRIVATE},
            {"172.16.0.1", NETPOL_IP_PRIVATE},
            {"172.31.255.255", NETPOL_IP_PRIVATE},
            {"172.32.0.1", NETPOL_IP_PUBLIC},
            {"172.15.255.255", NETPOL_IP_PUBLIC},
            {"192.168.1.1", NETPOL_IP_PRIVATE},
            {"192.169.1.1", NETPOL_IP_PUBLIC},
            {"169.254.169.254", NETPOL_IP_LINK_LOCAL},
            {"100.64.0.1", NETPOL_IP_SHARED},
            {"100.100.100.200", NETPOL_IP_SHARED},
            {"100.128.0.1", NETPOL_IP_PUBLIC},
            {"224.0.0.1", NETPOL_IP_MULTICAST},
            {"255.255.255.255", NETPOL_IP_RESERVED},
            {"::1", NETPOL_IP_LOOPBACK},
            {"::", NETPOL_IP_UNSPECIFIED},
            {"::2", NETPOL_IP_RESERVED},
            {"2001:db8::1", NETPOL_IP_PUBLIC},
            {"2606:4700::1111", NETPOL_IP_PUBLIC},
            {"fc00::1", NETPOL_IP_PRIVATE},
            {"fd12:3456::1", NETPOL_IP_PRIVATE},
            {"fe80::1", NETPOL_IP_LINK_LOCAL},
            {"febf::1", NETPOL_IP_LINK_LOCAL},
            {"fec0::1", NETPOL_IP_PRIVATE},
            {"ff02::1", NETPOL_IP_MULTICAST},
            {"::ffff:127.0.0.1", NETPOL_IP_LOOPBACK},
            {"::ffff:169.254.169.254", NETPOL_IP_LINK_LOCAL},
            {"::ffff:8.8.8.8", NETPOL_IP_PUBLIC},
            {"::127.0.0.1", NETPOL_IP_LOOPBACK},          /* IPv4-compatible */
            {"::ffff:0:10.0.0.1", NETPOL_IP_PRIVATE},     /* SIIT */
            {"64:ff9b::a9fe:a9fe", NETPOL_IP_LINK_LOCAL}, /* NAT64 of 169.254.169.254 */
            {"64:ff9b::808:808", NETPOL_IP_PUBLIC},
            {"2002:7f00:1::", NETPOL_IP_LOOPBACK}, /* 6to4 of 127.0.0.1 */
            {"2002:0808:0808::", NETPOL_IP_PUBLIC},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        netpol_ip ip;

        assert_int_equal(netpol_parse_ip(cases[i].ip, &ip), 0);
        if (netpol_classify(&ip) != cases[i].want)
            fail_msg("%s: class %s, want %s", cases[i].ip,
                     netpol_ip_class_name(netpol_classify(&ip)),
                     netpol_ip_class_name(cases[i].want));
    }
    for (int c = NETPOL_IP_PUBLIC; c <= NETPOL_IP_RESERVED; c++)
        assert_string_not_equal(netpol_ip_class_name((netpol_ip_class) c), "unknown");
}

static void test_names_exactly(void **state) {
    static const char *allow[] = {"localhost", "*.example.com", "127.0.0.1", "db.internal.",
                                  "*",         "10.1.2.3",      NULL};
    static const char *deny[] = {NULL};
    static const struct {
        const char *host;
        bool want;
    } cases[] = {
            {"localhost", true},
            {"LOCALHOST", true},
            {"localhost.", true},
            {"db.internal", true},
            {"a.example.com", false}, /* a wildcard is not enough */
            {"example.com", false},
            {"anything.org", false}, /* nor is "*" */
            {"127.0.0.1", true},
            {"127.1", true}, /* same address, other spelling */
            {"2130706433", true},
            {"::ffff:127.0.0.1", true},
            {"[::ffff:127.0.0.1]", true},
            {"127.0.0.2", false},
            {"10.1.2.3", true},
            {"10.1.2.4", false},
            {"", false},
    };
    const netpol p = {.allowed = allow, .denied = deny};
    const netpol none = {.no_config = true};

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (netpol_names_exactly(&p, cases[i].host) != cases[i].want)
            fail_msg("names_exactly('%s') != %d", cases[i].host, cases[i].want);
    assert_false(netpol_names_exactly(&none, "localhost"));
}

static void test_addr_allowed(void **state) {
    static const char *allow[] = {"localhost", "*.example.com", NULL};
    const netpol p = {.allowed = allow};
    netpol_ip lo, pub, meta;

    (void) state;
    assert_int_equal(netpol_parse_ip("127.0.0.1", &lo), 0);
    assert_int_equal(netpol_parse_ip("93.184.216.34", &pub), 0);
    assert_int_equal(netpol_parse_ip("169.254.169.254", &meta), 0);
    assert_true(netpol_addr_allowed(&p, "a.example.com", &pub));
    assert_false(netpol_addr_allowed(&p, "a.example.com", &lo)); /* rebinding to loopback */
    assert_false(netpol_addr_allowed(&p, "a.example.com", &meta));
    assert_true(netpol_addr_allowed(&p, "localhost", &lo));
    assert_true(netpol_addr_allowed(&p, "localhost", &meta)); /* the user named it */
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_match),
            cmocka_unit_test(test_decide),
            cmocka_unit_test(test_deny_wins_and_star),
            cmocka_unit_test(test_no_config_and_empty),
            cmocka_unit_test(test_from_config_upstream),
            cmocka_unit_test(test_parse_ip),
            cmocka_unit_test(test_classify),
            cmocka_unit_test(test_names_exactly),
            cmocka_unit_test(test_addr_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
