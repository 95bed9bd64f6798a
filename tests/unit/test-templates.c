/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the built-in templates (spec §5): the embedded set and its order, descriptions,
 * each template's content against the lists of the spec, and that every template parses,
 * validates, resolves and survives truncation at every byte offset with a located error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/cleanup.h"

static fence_config *load(const char *name) {
    fence_config *cfg = NULL;
    fence_error err = {0};

    if (fence_config_load_template(name, &cfg, &err) < 0)
        fail_msg("template %s: %s", name, err.msg);
    return cfg;
}

static void test_template_set(void **state) {
    static const char *const names[] = {
            "agent-api-only", "code",         "code-relaxed",
            "code-strict",    "default-deny", "disable-telemetry",
            "git-readonly",   "hermes",       "local-dev-server",
            "npm-install",    "pip-install",  "workspace-write",
    };

    (void) state;
    assert_int_equal(fence_template_count(), ARRAY_SIZE(names));
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        assert_string_equal(fence_template_name(i), names[i]); /* sorted by name */
        assert_non_null(fence_template_description(i));
        assert_true(strlen(fence_template_description(i)) > 10);
        assert_non_null(fence_template_source(names[i]));
    }
    assert_null(fence_template_name(ARRAY_SIZE(names)));
    assert_null(fence_template_source("nope"));
    assert_non_null(fence_template_source("code.json"));
    assert_string_equal(fence_template_description(1),
                        "Production-ready config for AI coding agents (Claude Code, Codex, "
                        "Copilot, etc.)");
}

/* Every template parses and validates on its own, and resolves with its extends. */
static void test_templates_parse_validate_resolve(void **state) {
    (void) state;
    for (size_t i = 0; i < fence_template_count(); i++) {
        const char *name = fence_template_name(i), *src = fence_template_source(name);
        _cleanup_(fence_config_freep) fence_config *raw = NULL, *res = load(name);
        _cleanup_free_ char *json = NULL;
        fence_error err = {0};

        assert_int_equal(fence_config_parse(src, strlen(src), name, &raw, &err), 1);
        assert_int_equal(fence_config_validate(raw, &err), 0);
        assert_int_equal(fence_config_validate(res, &err), 0);
        assert_null(res->extends);
        /* round trip of the resolved config through the canonical writer */
        assert_int_equal(fence_config_to_json(res, &json, &err), 0);
        _cleanup_(fence_config_freep) fence_config *again = NULL;
        assert_int_equal(fence_config_parse(json, strlen(json), "json", &again, &err), 1);
        assert_true(config_equal(res, again));
    }
}

static bool has(const strv *l, const char *s) {
    return strv_contains(l, s);
}

static void test_template_code(void **state) {
    _cleanup_(fence_config_freep) fence_config *c = load("code");

    (void) state;
    assert_true(c->allow_pty);
    assert_true(c->network.allow_local_binding);
    assert_int_equal(c->network.allow_local_outbound, TRI_TRUE);
    assert_int_equal(c->network.allowed_domains.n, 41);
    assert_string_equal(c->network.allowed_domains.v[0], "api.openai.com");
    assert_true(has(&c->network.allowed_domains, "api.minimax.io"));
    assert_true(has(&c->network.allowed_domains, "api.minimaxi.com"));
    assert_true(has(&c->network.allowed_domains, "*.anthropic.com"));
    assert_true(has(&c->network.allowed_domains, "release-assets.githubusercontent.com"));
    assert_string_equal(c->network.allowed_domains.v[40], "models.dev");
    assert_int_equal(c->network.denied_domains.n, 5);
    assert_string_equal(c->network.denied_domains.v[0], "169.254.169.254");
    assert_true(has(&c->network.denied_domains, "statsig.anthropic.com"));
    assert_int_equal(c->filesystem.allow_write.n, 26);
    assert_string_equal(c->filesystem.allow_write.v[0], ".");
    assert_true(has(&c->filesystem.allow_write, "~/Library/Application Support/kiro-cli/**"));
    assert_string_equal(c->filesystem.allow_write.v[25], "~/.config/**");
    assert_int_equal(c->filesystem.deny_write.n, 6);
    assert_true(has(&c->filesystem.deny_write, "**/.env.*"));
    assert_int_equal(c->filesystem.deny_read.n, 13);
    assert_true(has(&c->filesystem.deny_read, "~/.ssh/id_*"));
    assert_true(has(&c->filesystem.deny_read, "~/.cargo/credentials.toml"));
    assert_int_equal(c->command.use_defaults, TRI_TRUE);
    assert_int_equal(c->command.deny.n, 35);
    assert_string_equal(c->command.deny.v[0], "git push");
    assert_true(has(&c->command.deny, "git checkout --"));
    assert_true(has(&c->command.deny, "sudo"));
    assert_string_equal(c->command.deny.v[34], "gh variable delete");
}

static void test_template_others(void **state) {
    _cleanup_(fence_config_freep) fence_config *relaxed = load("code-relaxed.json");
    _cleanup_(fence_config_freep) fence_config *strict = load("code-strict");
    _cleanup_(fence_config_freep) fence_config *tele = load("disable-telemetry");
    _cleanup_(fence_config_freep) fence_config *git = load("git-readonly");
    _cleanup_(fence_config_freep) fence_config *dev = load("local-dev-server");
    _cleanup_(fence_config_freep) fence_config *hermes = load("hermes");
    _cleanup_(fence_config_freep) fence_config *dd = load("default-deny");
    _cleanup_(fence_config_freep) fence_config *ww = load("workspace-write");
    _cleanup_(fence_config_freep) fence_config *npm = load("npm-install");
    _cleanup_(fence_config_freep) fence_config *pip = load("pip-install");
    _cleanup_(fence_config_freep) fence_config *api = load("agent-api-only");

    (void) state;
    /* code-relaxed = code + "*" (relaxed network) */
    assert_int_equal(relaxed->network.allowed_domains.n, 42);
    assert_string_equal(relaxed->network.allowed_domains.v[41], "*");
    assert_true(config_relaxed_network(relaxed));
    assert_int_equal(relaxed->command.deny.n, 35);
    /* code-strict = code + defaultDenyRead + 16 allowRead paths */
    assert_true(strict->filesystem.default_deny_read);
    assert_int_equal(strict->filesystem.allow_read.n, 16);
    assert_string_equal(strict->filesystem.allow_read.v[0], ".");
    assert_string_equal(strict->filesystem.allow_read.v[15], "~/.cache");
    assert_int_equal(strict->network.allowed_domains.n, 41);
    /* disable-telemetry */
    assert_true(tele->allow_pty);
    assert_true(config_relaxed_network(tele));
    assert_int_equal(tele->network.allowed_domains.n, 1);
    assert_int_equal(tele->network.denied_domains.n, 45);
    assert_string_equal(tele->network.denied_domains.v[44], "firebase-settings.crashlytics.com");
    assert_int_equal(tele->filesystem.allow_write.n, 16);
    assert_string_equal(tele->filesystem.allow_write.v[15], "~/.opencode/**");
    /* git-readonly: no network, writes to . but not .git, six git denies (no rm -rf) */
    assert_int_equal(git->network.allowed_domains.n, 0);
    assert_int_equal(git->filesystem.allow_write.n, 1);
    assert_string_equal(git->filesystem.deny_write.v[0], ".git");
    assert_int_equal(git->command.deny.n, 6);
    assert_false(has(&git->command.deny, "rm -rf"));
    /* local-dev-server */
    assert_true(dev->network.allow_local_binding);
    assert_true(config_allow_local_outbound(dev));
    assert_int_equal(dev->filesystem.allow_write.n, 2);
    /* hermes = code + 34 domains + 2 writes */
    assert_int_equal(hermes->network.allowed_domains.n, 41 + 34);
    assert_true(has(&hermes->network.allowed_domains, "api.telegram.org"));
    assert_true(has(&hermes->network.allowed_domains, "*.fal.ai"));
    assert_int_equal(hermes->filesystem.allow_write.n, 26 + 2);
    assert_true(has(&hermes->filesystem.allow_write, "~/hermes-workspace/**"));
    /* historical examples */
    assert_int_equal(dd->network.allowed_domains.n + dd->filesystem.allow_write.n, 0);
    assert_string_equal(ww->filesystem.allow_write.v[0], ".");
    assert_int_equal(npm->network.allowed_domains.n, 2);
    assert_string_equal(npm->filesystem.allow_write.v[1], "node_modules");
    assert_string_equal(pip->network.allowed_domains.v[1], "files.pythonhosted.org");
    assert_string_equal(api->network.allowed_domains.v[1], "api.anthropic.com");
}

/* A config cut at any byte gives a one-line error located in the file, or "blank", never a
 * crash or a config. */
static void test_template_truncations(void **state) {
    (void) state;
    for (size_t t = 0; t < fence_template_count(); t++) {
        const char *src = fence_template_source(fence_template_name(t));
        size_t n = strlen(src);

        for (size_t cut = 0; cut < n; cut++) {
            fence_config *cfg = NULL;
            fence_error err = {0};
            unsigned line, col;
            int r = fence_config_parse(src, cut, "cut.json", &cfg, &err);

            /* a cut after the final '}' only loses the newline */
            if (cut == n - 1 && src[n - 1] == '\n') {
                assert_int_equal(r, 1);
                fence_config_free(cfg);
                continue;
            }
            if (cut == 0) {
                assert_int_equal(r, 0);
                continue;
            }
            if (r != -FENCE_E_CONFIG || sscanf(err.msg, "cut.json:%u:%u: ", &line, &col) != 2)
                fail_msg("cut %zu of %s: %d '%s'", cut, fence_template_name(t), r, err.msg);
            assert_null(strchr(err.msg, '\n'));
            assert_non_null(strstr(err.msg, ": invalid JSON in config file: "));
            assert_null(cfg);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_template_set),
            cmocka_unit_test(test_templates_parse_validate_resolve),
            cmocka_unit_test(test_template_code),
            cmocka_unit_test(test_template_others),
            cmocka_unit_test(test_template_truncations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
