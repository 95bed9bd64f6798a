/* SPDX-License-Identifier: MIT */
/* Unit tests of the Claude Code settings import (src/config/import.c, spec §3.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/import.h"

typedef struct imported {
    fence_config *cfg;
    size_t rules;
    char *warnings;
} imported;

static void imported_done(imported *r) {
    fence_config_free(r->cfg);
    free(r->warnings);
}

static int import_str(const char *text, const char *extends, imported *ret, fence_error *err) {
    *ret = (imported){0};
    return import_claude_text(text, strlen(text), "settings.json", extends, &ret->cfg,
                              &ret->rules, &ret->warnings, err);
}

/* The list of key as one string "a|b|c" for compact assertions. */
static void list_str(const fence_config *cfg, fence_config_key key, char *buf, size_t size) {
    size_t n = fence_config_get_list_len(cfg, key);

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(buf, i ? "|" : "", size - strlen(buf) - 1);
        strncat(buf, fence_config_get_list_string(cfg, key, i), size - strlen(buf) - 1);
    }
}

static void test_mapping(void **state) {
    static const struct {
        const char *json;
        fence_config_key key;
        const char *want;
    } cases[] = {
        {"{\"permissions\":{\"allow\":[\"Bash(npm run test:*)\"]}}", FENCE_CFG_COMMAND_ALLOW,
         "npm run test"},
        {"{\"permissions\":{\"deny\":[\"Bash(git push)\", \"Bash(curl:*)\"]}}",
         FENCE_CFG_COMMAND_DENY, "git push|curl"},
        {"{\"permissions\":{\"ask\":[\"Bash(rm -rf:*)\"]}}", FENCE_CFG_COMMAND_DENY, "rm -rf"},
        {"{\"permissions\":{\"deny\":[\"Read(./.env)\", \"Read(./secrets/**)\"]}}",
         FENCE_CFG_FILESYSTEM_DENY_READ, "./.env|./secrets/**"},
        /* reading is allowed anyway: an allowed Read is not imported */
        {"{\"permissions\":{\"allow\":[\"Read(./src/**)\"]}}", FENCE_CFG_FILESYSTEM_DENY_READ, ""},
        {"{\"permissions\":{\"allow\":[\"Write(./out/**)\", \"Edit(./src/**)\"]}}",
         FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "./out/**|./src/**"},
        {"{\"permissions\":{\"deny\":[\"Edit(./.git/**)\"], \"ask\":[\"Write(/etc/**)\"]}}",
         FENCE_CFG_FILESYSTEM_DENY_WRITE, "./.git/**|/etc/**"},
        /* white space around the rule and inside the parentheses is trimmed */
        {"{\"permissions\":{\"allow\":[\"  Bash(  ls -la  )  \"]}}", FENCE_CFG_COMMAND_ALLOW,
         "ls -la"},
        /* duplicates are dropped, first occurrence kept */
        {"{\"permissions\":{\"deny\":[\"Bash(npm:*)\", \"Bash(npm)\", \"Bash(yarn)\"]}}",
         FENCE_CFG_COMMAND_DENY, "npm|yarn"},
        /* a greedy match, as the Go regexp: the last ')' closes */
        {"{\"permissions\":{\"deny\":[\"Bash(echo (x))\"]}}", FENCE_CFG_COMMAND_DENY, "echo (x)"},
        /* empty inner, other tools, lowercase tool names: nothing */
        {"{\"permissions\":{\"deny\":[\"Bash()\", \"Bash(:*)\", \"WebFetch(domain:x.com)\", "
         "\"bash(ls)\"]}}",
         FENCE_CFG_COMMAND_DENY, ""},
        /* keys match case-insensitively, the last duplicate wins (Go encoding/json) */
        {"{\"Permissions\":{\"DENY\":[\"Bash(a)\"], \"deny\":[\"Bash(b)\"]}}",
         FENCE_CFG_COMMAND_DENY, "b"},
        /* JSONC */
        {"// user settings\n{\"permissions\":{\"deny\":[\"Bash(a)\",],/* x */},}",
         FENCE_CFG_COMMAND_DENY, "a"},
    };
    char buf[256];

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fence_error err = {0};
        imported r;

        if (import_str(cases[i].json, NULL, &r, &err) != 0)
            fail_msg("case %zu: %s", i, err.msg);
        list_str(r.cfg, cases[i].key, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, buf, cases[i].want);
        assert_null(fence_config_get_string(r.cfg, FENCE_CFG_EXTENDS));
        imported_done(&r);
    }
}

static void test_warnings_and_count(void **state) {
    const char *json = "{\"permissions\":{"
                       "\"allow\":[\"Read\", \"Bash(ls)\", \"mcp__github\"],"
                       "\"deny\":[\"WebSearch\", \"Read(./.env)\"],"
                       "\"ask\":[\"Bash(git push:*)\", \"Edit\"]}}";
    fence_error err = {0};
    imported r;

    (void) state;
    assert_int_equal(import_str(json, "code", &r, &err), 0);
    assert_int_equal(r.rules, 7);
    assert_string_equal(r.warnings,
                        "Global tool permission \"Read\" skipped (fence uses path/command-based "
                        "rules)\n"
                        "Global tool permission \"mcp__github\" skipped (fence uses "
                        "path/command-based rules)\n"
                        "Global tool permission \"WebSearch\" skipped (fence uses "
                        "path/command-based rules)\n"
                        "Ask rule \"Bash(git push:*)\" converted to deny (fence doesn't support "
                        "interactive prompts)\n");
    assert_string_equal(fence_config_get_string(r.cfg, FENCE_CFG_EXTENDS), "code");
    imported_done(&r);
}

static void test_empty(void **state) {
    static const char *const empties[] = {"", "   \n\t", "// nothing\n", "{}",
                                          "{\"permissions\":null}", "{\"other\":[1,2]}",
                                          "{\"permissions\":{\"allow\":null}}"};

    (void) state;
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        fence_error err = {0};
        char *json = NULL;
        imported r;

        if (import_str(empties[i], NULL, &r, &err) != 0)
            fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(r.rules, 0);
        assert_string_equal(r.warnings, "");
        assert_int_equal(fence_config_to_json(r.cfg, &json, &err), 0);
        assert_string_equal(json, "{}\n");
        free(json);
        imported_done(&r);
    }
}

static void test_errors(void **state) {
    static const struct {
        const char *json;
        const char *want;
    } cases[] = {
        {"{\"permissions\":", "settings.json:1:16: invalid JSON in Claude settings: "},
        {"[1]", "settings.json:1:1: invalid JSON in Claude settings: expected an object"},
        {"{\"permissions\":[]}", "settings.json:1:16: invalid JSON in Claude settings: "
                                 "\"permissions\" must be an object"},
        {"{\"permissions\":{\"deny\":\"Bash(x)\"}}",
         "settings.json:1:24: invalid JSON in Claude settings: \"permissions.deny\" must be an "
         "array of strings"},
        {"{\"permissions\":{\"deny\":[\"Bash(\\u0000rm)\"]}}",
         "settings.json:1:25: invalid JSON in Claude settings: \"permissions.deny\" entry "
         "contains a NUL character"},
        {"{\"permissions\":{\"allow\":[\"ok\",\n  7]}}",
         "settings.json:2:3: invalid JSON in Claude settings: \"permissions.allow\" must be an "
         "array of strings"},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fence_error err = {0};
        imported r;

        assert_int_equal(import_str(cases[i].json, NULL, &r, &err), -FENCE_E_CONFIG);
        if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got '%s', want prefix '%s'", i, err.msg, cases[i].want);
        assert_null(strchr(err.msg, '\n'));
        assert_null(r.cfg);
    }
}

static void test_file(void **state) {
    char path[] = "/tmp/test-import-XXXXXX";
    const char *json = "{\"permissions\":{\"deny\":[\"Bash(sudo)\"]}}";
    fence_config *cfg = NULL;
    char *warnings = NULL;
    fence_error err = {0};
    size_t rules = 0;
    int fd;

    (void) state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t) strlen(json));
    close(fd);
    assert_int_equal(fence_import_claude(path, "local-dev-server", &cfg, &rules, &warnings, &err),
                     0);
    assert_int_equal(rules, 1);
    assert_string_equal(fence_config_get_list_string(cfg, FENCE_CFG_COMMAND_DENY, 0), "sudo");
    fence_config_free(cfg);
    free(warnings);
    unlink(path);

    memset(&err, 0, sizeof(err));
    assert_int_equal(fence_import_claude(path, NULL, &cfg, &rules, &warnings, &err),
                     -FENCE_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "failed to read Claude settings"));
    assert_non_null(strstr(err.msg, "No such file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping),          cmocka_unit_test(test_warnings_and_count),
        cmocka_unit_test(test_empty),            cmocka_unit_test(test_errors),
        cmocka_unit_test(test_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
