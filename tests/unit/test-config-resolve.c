/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for config files, extends chains (spec §4.4) and discovery (§4.3, §3.5 chain text):
 * each test builds a temporary tree and points HOME / XDG_CONFIG_HOME at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/resolve.h"
#include "util/cleanup.h"

static char root[PATH_MAX];
static char old_cwd[PATH_MAX];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(p);
}

static int setup(void **state) {
    (void) state;
    snprintf(root, sizeof(root), "/tmp/fence-test-resolve-XXXXXX");
    if (!mkdtemp(root) || !getcwd(old_cwd, sizeof(old_cwd)))
        return -1;
    setenv("HOME", root, 1);
    unsetenv("XDG_CONFIG_HOME");
    return chdir(root);
}

static int teardown(void **state) {
    (void) state;
    if (chdir(old_cwd) < 0)
        return -1;
    return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes root/rel (creating directories) and returns the absolute path in a static buffer. */
static const char *put(const char *rel, const char *content) {
    static char path[PATH_MAX + 256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

/* Replaces every "@R" in tmpl with the test root; static buffer. */
static const char *R(const char *tmpl) {
    static char buf[4 * PATH_MAX];
    size_t w = 0;

    for (const char *p = tmpl; *p && w + PATH_MAX + 1 < sizeof(buf); p++) {
        if (p[0] == '@' && p[1] == 'R') {
            w += (size_t) snprintf(buf + w, sizeof(buf) - w, "%s", root);
            p++;
        } else {
            buf[w++] = *p;
        }
    }
    buf[w] = '\0';
    return buf;
}

static char *resolve_chain(const char *tmpl, const char *settings, const char *start,
                           fence_config **ret_cfg) {
    fence_config *cfg = NULL;
    fence_error err = {0};
    char *chain = NULL;
    int r = fence_config_resolve(tmpl, settings, start, &cfg, &chain, &err);

    if (r != 0)
        fail_msg("resolve failed: %s", err.msg);
    assert_non_null(cfg);
    if (ret_cfg)
        *ret_cfg = cfg;
    else
        fence_config_free(cfg);
    return chain;
}

static void expect_chain(const char *tmpl, const char *settings, const char *start,
                         const char *want) {
    _cleanup_free_ char *chain = resolve_chain(tmpl, settings, start, NULL);

    if (strcmp(chain, R(want)) != 0)
        fail_msg("chain:\n%s\nwant:\n%s", chain, R(want));
}

static void expect_resolve_error(const char *settings, int code, const char *want) {
    fence_config *cfg = NULL;
    fence_error err = {0};
    char *chain = NULL;
    int r = fence_config_resolve(NULL, settings, NULL, &cfg, &chain, &err);

    if (r != -code || strcmp(err.msg, R(want)) != 0)
        fail_msg("resolve %s:\n got  %d '%s'\n want %d '%s'", settings, r, err.msg, -code, R(want));
    assert_null(cfg);
    assert_null(chain);
    assert_null(strchr(err.msg, '\n'));
}

/* ---- discovery ---------------------------------------------------------------------------- */

static void test_discovery_default(void **state) {
    _cleanup_free_ char *p1 = fence_config_default_path(), *p2 = NULL, *p3 = NULL;
    fence_config *cfg = NULL;
    _cleanup_free_ char *chain = NULL;

    (void) state;
    chain = resolve_chain(NULL, NULL, root, &cfg);
    assert_string_equal(chain,
                        R("Active config chain:\n"
                          "builtin default (no config loaded from @R/.config/fence/fence.json)\n"));
    assert_true(config_equal(cfg, &(struct fence_config){.force_new_session = TRI_UNSET,
                                                         .network.allow_local_outbound = TRI_UNSET,
                                                         .filesystem.wsl_interop = TRI_UNSET,
                                                         .command.use_defaults = TRI_UNSET}));
    fence_config_free(cfg);
    p2 = fence_config_resolve_default_path();
    p3 = fence_config_resolve_path(root);
    assert_string_equal(p1, R("@R/.config/fence/fence.json"));
    assert_string_equal(p2, p1);
    assert_string_equal(p3, p1);
}

static void test_discovery_user_dirs(void **state) {
    _cleanup_free_ char *p = NULL;

    (void) state;
    /* legacy ~/.fence.json, then ~/.fence.jsonc preferred */
    put(".fence.json", "{\"allowPty\": true}");
    expect_chain(NULL, NULL, root, "Active config chain:\nuser config: @R/.fence.json\n");
    put(".fence.jsonc", "{}");
    expect_chain(NULL, NULL, root, "Active config chain:\nuser config: @R/.fence.jsonc\n");
    /* ~/.config/fence wins over legacy; fence.jsonc over fence.json */
    put(".config/fence/fence.json", "{}");
    expect_chain(NULL, NULL, root,
                 "Active config chain:\nuser config: @R/.config/fence/fence.json\n");
    put(".config/fence/fence.jsonc", "{}");
    expect_chain(NULL, NULL, root,
                 "Active config chain:\nuser config: @R/.config/fence/fence.jsonc\n");
    /* $XDG_CONFIG_HOME (absolute) replaces ~/.config; a relative one is ignored */
    setenv("XDG_CONFIG_HOME", R("@R/xdg"), 1);
    put("xdg/fence/fence.json", "{}");
    expect_chain(NULL, NULL, root, "Active config chain:\nuser config: @R/xdg/fence/fence.json\n");
    p = fence_config_default_path();
    assert_string_equal(p, R("@R/xdg/fence/fence.json"));
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    expect_chain(NULL, NULL, root,
                 "Active config chain:\nuser config: @R/.config/fence/fence.jsonc\n");
    unsetenv("XDG_CONFIG_HOME");
}

static void test_discovery_project_walk(void **state) {
    (void) state;
    put(".config/fence/fence.json", "{}");
    mkdir(R("@R/p"), 0755);
    mkdir(R("@R/p/a"), 0755);
    mkdir(R("@R/p/a/b"), 0755);
    put("p/fence.json", "{}");
    expect_chain(NULL, NULL, R("@R/p/a/b"),
                 "Active config chain:\nproject config: @R/p/fence.json\n");
    put("p/fence.jsonc", "{}");
    expect_chain(NULL, NULL, R("@R/p/a/b"),
                 "Active config chain:\nproject config: @R/p/fence.jsonc\n");
    /* a directory named fence.json is not a config */
    mkdir(R("@R/p/a/fence.json"), 0755);
    expect_chain(NULL, NULL, R("@R/p/a/b"),
                 "Active config chain:\nproject config: @R/p/fence.jsonc\n");
    /* the walk starts at the cwd when no start directory is given */
    assert_int_equal(chdir(R("@R/p/a/b")), 0);
    expect_chain(NULL, NULL, NULL, "Active config chain:\nproject config: @R/p/fence.jsonc\n");
    /* relative start dirs are relative to the cwd */
    expect_chain(NULL, NULL, "..", "Active config chain:\nproject config: @R/p/fence.jsonc\n");
}

static void test_discovery_settings_and_template(void **state) {
    fence_config *cfg = NULL;
    fence_error err = {0};

    (void) state;
    put("p/fence.json", "{}");
    put("s/my.json", "{\"extends\": \"code-relaxed\"}");
    /* --template wins over --settings and discovery */
    expect_chain("code-strict.json", "s/my.json", R("@R/p"),
                 "Active config chain:\nbuiltin template: code-strict\n"
                 "\xE2\x94\x94\xE2\x94\x80\xE2\x94\x80 builtin template: code\n");
    /* --settings (relative to the cwd) wins over discovery */
    expect_chain(NULL, "s/my.json", R("@R/p"),
                 "Active config chain:\nsettings file: @R/s/my.json\n"
                 "└── builtin template: code-relaxed\n"
                 "    └── builtin template: code\n");
    expect_resolve_error("s/none.json", FENCE_E_NOTFOUND,
                         "settings file not found: @R/s/none.json");
    expect_resolve_error("s", FENCE_E_IO, "settings path is a directory: @R/s");
    assert_int_equal(fence_config_resolve("nope.json", NULL, NULL, &cfg, NULL, &err),
                     -FENCE_E_NOTFOUND);
    assert_string_equal(err.msg, "template \"nope\" not found");
}

/* ---- extends ------------------------------------------------------------------------------ */

static void test_extends_chain_and_merge(void **state) {
    fence_config *cfg = NULL;
    _cleanup_free_ char *chain = NULL;

    (void) state;
    put(".config/fence/fence.json",
        "{\"extends\": \"git-readonly\", \"network\": {\"allowedDomains\": [\"user.com\"]}}");
    put("p/sub/base.jsonc", "// base\n{\"extends\": \"@base\", \"allowPty\": true,\n"
                            " \"network\": {\"allowedDomains\": [\"base.com\", \"user.com\"]}}");
    put("p/fence.json", "{\"extends\": \"./sub/base.jsonc\",\n"
                        " \"network\": {\"allowedDomains\": [\"proj.com\"]},\n"
                        " \"command\": {\"useDefaults\": false}}");
    chain = resolve_chain(NULL, NULL, R("@R/p"), &cfg);
    assert_string_equal(chain, R("Active config chain:\n"
                                 "project config: @R/p/fence.json\n"
                                 "└── file: @R/p/sub/base.jsonc\n"
                                 "    └── @base user config: @R/.config/fence/fence.json\n"
                                 "        └── builtin template: git-readonly\n"));
    /* root-most first, nearer files appended / overriding */
    assert_int_equal(cfg->network.allowed_domains.n, 3);
    assert_string_equal(cfg->network.allowed_domains.v[0], "user.com");
    assert_string_equal(cfg->network.allowed_domains.v[1], "base.com");
    assert_string_equal(cfg->network.allowed_domains.v[2], "proj.com");
    assert_true(cfg->allow_pty);
    assert_int_equal(cfg->command.use_defaults, TRI_FALSE);
    assert_string_equal(cfg->command.deny.v[0], "git push");
    assert_null(cfg->extends);
    fence_config_free(cfg);
}

static void test_extends_base_default_and_user_step(void **state) {
    (void) state;
    put("p/fence.json", "{\"extends\": \"@base\"}");
    expect_chain(NULL, NULL, R("@R/p"),
                 "Active config chain:\nproject config: @R/p/fence.json\n"
                 "└── @base builtin default (no config loaded from @R/.config/fence/fence.json)\n");
    /* a plain path to the user config is labelled as such */
    put(".config/fence/fence.json", "{}");
    put("p/fence.json", "{\"extends\": \"../.config/fence/fence.json\"}");
    expect_chain(NULL, NULL, R("@R/p"),
                 "Active config chain:\nproject config: @R/p/fence.json\n"
                 "└── user config: @R/.config/fence/fence.json\n");
}

static void test_extends_errors(void **state) {
    (void) state;
    put("e/empty.json", " \n// nothing\n");
    put("e/bad-json.json", "{\n  \"allowPty\": tru\n}");
    put("e/bad-config.json", "{\"command\": {\"deny\": [\"\"]}}");
    put("e/dir.json/x", "");
    put("e/notfound.json", "{\n  \"extends\": \"./missing.json\"\n}");
    put("e/empty-ext.json", "{\"extends\": \"./empty.json\"}");
    put("e/json-ext.json", "{\"extends\": \"./bad-json.json\"}");
    put("e/config-ext.json", "{\"extends\": \"./bad-config.json\"}");
    put("e/dir-ext.json", "{\"extends\": \"./dir.json\"}");
    put("e/tmpl-ext.json", "{\"extends\": \"no-such-template\"}");
    put("e/self.json", "{\"extends\": \"./self.json\"}");
    put("e/a.json", "{\"extends\": \"./b.json\"}");
    put("e/b.json", "{\"extends\": \"./a.json\"}");
    put("e/tmpl-loop.json", "{\"extends\": \"./tmpl-loop2.json\"}");
    put("e/tmpl-loop2.json", "{\"extends\": \"code-relaxed\"}");
    assert_int_equal(symlink("a.json", R("@R/e/alias.json")), 0);
    put("e/via-alias.json", "{\"extends\": \"./alias.json\"}");
    put("e/base-bad.json", "{\"extends\": \"@base\"}");

    expect_resolve_error("e/notfound.json", FENCE_E_NOTFOUND,
                         "@R/e/notfound.json:2:14: extends file not found: \"./missing.json\"");
    expect_resolve_error("e/empty-ext.json", FENCE_E_CONFIG,
                         "@R/e/empty-ext.json:1:13: extends file is empty: \"./empty.json\"");
    expect_resolve_error("e/json-ext.json", FENCE_E_CONFIG,
                         "@R/e/json-ext.json:1:13: invalid JSON in extends file "
                         "\"./bad-json.json\": @R/e/bad-json.json:2:15: unexpected character "
                         "'t', expected a value");
    expect_resolve_error("e/config-ext.json", FENCE_E_CONFIG,
                         "@R/e/config-ext.json:1:13: invalid configuration in extends file "
                         "\"./bad-config.json\": @R/e/bad-config.json:1:23: command.deny "
                         "contains empty command");
    expect_resolve_error("e/dir-ext.json", FENCE_E_IO,
                         "@R/e/dir-ext.json:1:13: failed to read extends file \"./dir.json\": Is "
                         "a directory");
    expect_resolve_error("e/tmpl-ext.json", FENCE_E_NOTFOUND,
                         "@R/e/tmpl-ext.json:1:13: template \"no-such-template\" not found");
    expect_resolve_error("e/self.json", FENCE_E_CONFIG,
                         "@R/e/self.json:1:13: circular extends detected: \"./self.json\"");
    expect_resolve_error("e/a.json", FENCE_E_CONFIG,
                         "@R/e/b.json:1:13: circular extends detected: \"./a.json\"");
    /* files are keyed by their symlink-resolved path */
    expect_resolve_error("e/via-alias.json", FENCE_E_CONFIG,
                         "@R/e/b.json:1:13: circular extends detected: \"./a.json\"");
    /* the @base file is loaded with Load(): its errors come wrapped */
    put(".config/fence/fence.json", "{\"network\": {\"allowedDomains\": [\"*.com\"]}}");
    expect_resolve_error("e/base-bad.json", FENCE_E_CONFIG,
                         "@R/e/base-bad.json:1:13: failed to load @base config "
                         "\"@R/.config/fence/fence.json\": @R/.config/fence/fence.json:1:33: "
                         "invalid configuration: invalid allowed domain \"*.com\": wildcard "
                         "pattern too broad (e.g., *.com not allowed)");
    /* @base twice is a cycle */
    put(".config/fence/fence.json", "{\"extends\": \"@base\"}");
    expect_resolve_error("e/base-bad.json", FENCE_E_CONFIG,
                         "@R/.config/fence/fence.json:1:13: circular extends detected: \"@base\"");
    /* the top-level file's own errors */
    expect_resolve_error("e/bad-json.json", FENCE_E_CONFIG,
                         "@R/e/bad-json.json:2:15: invalid JSON in config file: unexpected "
                         "character 't', expected a value");
}

static void test_extends_depth(void **state) {
    char name[32], body[64];
    fence_config *cfg = NULL;

    (void) state;
    /* f0 -> f1 -> ... -> f9 -> code: ten hops, the limit */
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "d/f%d.json", i);
        if (i < 9)
            snprintf(body, sizeof(body), "{\"extends\": \"./f%d.json\"}", i + 1);
        else
            snprintf(body, sizeof(body), "{\"extends\": \"code\"}");
        put(name, body);
    }
    _cleanup_free_ char *chain = resolve_chain(NULL, "d/f0.json", NULL, &cfg);
    assert_non_null(
            strstr(chain, "                                    └── builtin template: code\n"));
    assert_int_equal(cfg->network.allowed_domains.n, 41);
    fence_config_free(cfg);
    /* an eleventh hop is refused, located at the extends that would make it */
    put("d/f9.json", "{\"extends\": \"code-relaxed\"}");
    expect_resolve_error("d/f0.json", FENCE_E_CONFIG,
                         "<template code-relaxed>:2:14: extends chain too deep (max 10)");
}

static void test_extends_relative_to_cwd_for_templates_and_api(void **state) {
    fence_config *cfg = NULL;
    fence_error err = {0};

    (void) state;
    /* fence_config_parse has no file context: the library caller resolves nothing; load_resolved
     * resolves relative to the file */
    put("x/inner/base.json", "{\"allowPty\": true}");
    put("x/fence.json", "{\"extends\": \"inner/../inner/base.json\"}");
    assert_int_equal(chdir("/"), 0);
    assert_int_equal(fence_config_load_resolved(R("@R/x/fence.json"), &cfg, &err), 1);
    assert_true(cfg->allow_pty);
    fence_config_free(cfg);
    cfg = NULL;
    /* a missing file is "no config"; so is a blank one */
    assert_int_equal(fence_config_load_resolved(R("@R/x/none.json"), &cfg, &err), 0);
    assert_int_equal(fence_config_load(R("@R/x/none.json"), &cfg, &err), 0);
    put("x/blank.json", "\n\n");
    assert_int_equal(fence_config_load(R("@R/x/blank.json"), &cfg, &err), 0);
    assert_null(cfg);
    assert_int_equal(fence_config_load_template("code-strict", &cfg, &err), 1);
    assert_true(cfg->filesystem.default_deny_read);
    fence_config_free(cfg);
}

static void test_read_limits(void **state) {
    _cleanup_free_ char *big = malloc(CONFIG_MAX_FILE_BYTES + 2);
    fence_config *cfg = NULL;
    fence_error err = {0};
    char *text = NULL;
    size_t len;

    (void) state;
    /* a FIFO is refused at once instead of blocking on a writer */
    assert_int_equal(mkfifo(R("@R/fifo.json"), 0600), 0);
    assert_int_equal(config_read_file(R("@R/fifo.json"), &text, &len, NULL), -EINVAL);
    assert_int_equal(fence_config_load(R("@R/fifo.json"), &cfg, &err), -FENCE_E_IO);
    assert_string_equal(err.msg, R("failed to read config file @R/fifo.json: not a regular file"));
    /* an oversized file is refused with the limit in the message */
    memset(big, ' ', CONFIG_MAX_FILE_BYTES + 1);
    big[CONFIG_MAX_FILE_BYTES + 1] = '\0';
    put("big.json", big);
    memset(&err, 0, sizeof(err));
    assert_int_equal(fence_config_load(R("@R/big.json"), &cfg, &err), -FENCE_E_IO);
    assert_non_null(strstr(err.msg, "file is larger than 1048576 bytes"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_discovery_default, setup, teardown),
            cmocka_unit_test_setup_teardown(test_discovery_user_dirs, setup, teardown),
            cmocka_unit_test_setup_teardown(test_discovery_project_walk, setup, teardown),
            cmocka_unit_test_setup_teardown(test_discovery_settings_and_template, setup, teardown),
            cmocka_unit_test_setup_teardown(test_extends_chain_and_merge, setup, teardown),
            cmocka_unit_test_setup_teardown(test_extends_base_default_and_user_step, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_extends_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_extends_depth, setup, teardown),
            cmocka_unit_test_setup_teardown(test_extends_relative_to_cwd_for_templates_and_api,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
