/* SPDX-License-Identifier: MIT */
/* Unit tests for src/policy/fspol: normalisation, glob classes and matching, protected names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/fspol.h"
#include "util/cleanup.h"

static void test_normalize(void **state) {
    static const struct {
        const char *in, *want;
    } cases[] = {
            {"~", "/home/u"},
            {"~/.ssh/id_*", "/home/u/.ssh/id_*"},
            {".", "/w"},
            {"./a/../b", "/w/b"},
            {"**/.env", "/w/**/.env"},
            {"/etc//x/", "/etc/x"},
            {"~user", "/w/~user"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *got = fspol_normalize(cases[i].in, "/w", "/home/u");
        assert_string_equal(got, cases[i].want);
    }
}

static void test_classify(void **state) {
    static const struct {
        const char *in;
        fspol_glob_kind kind;
        const char *prefix;
    } cases[] = {
            {"/a/b", FSPOL_GLOB_NONE, "/a/b"},
            {"/h/.cache/**", FSPOL_GLOB_TREE, "/h/.cache"},
            {"/h/.claude*", FSPOL_GLOB_SIMPLE, "/h"},
            {"/w/**/.env", FSPOL_GLOB_RECURSIVE, "/w"},
            {"/w/**/d/**", FSPOL_GLOB_RECURSIVE, "/w"},
            {"/*/x", FSPOL_GLOB_SIMPLE, "/"},
            {"/**", FSPOL_GLOB_TREE, "/"},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fspol_glob_kind k;
        _cleanup_free_ char *prefix = NULL;
        assert_int_equal(fspol_glob_classify(cases[i].in, &k, &prefix), 0);
        assert_int_equal(k, cases[i].kind);
        assert_string_equal(prefix, cases[i].prefix);
    }
}

static void test_match(void **state) {
    static const struct {
        const char *pat, *path;
        bool want;
    } cases[] = {
            {"/w/**/.env", "/w/.env", true},
            {"/w/**/.env", "/w/a/b/.env", true},
            {"/w/**/.env", "/w/a/b/.env.x", false},
            {"/w/**/.env.*", "/w/a/.env.local", true},
            {"/w/**/*.pem", "/w/k.pem", true},
            {"/w/**/*.pem", "/other/k.pem", false},
            {"/h/.cache/**", "/h/.cache", true},
            {"/h/.cache/**", "/h/.cache/a/b", true},
            {"/h/.claude*", "/h/.claude.json", true},
            {"/h/.claude*", "/h/.claude/x", false},
            {"/a/*/c", "/a/b/c", true},
            {"/a/*/c", "/a/b/x/c", false},
            {"/a/?/c", "/a/bb/c", false},
            {"/a/[bx]/c", "/a/x/c", true},
            {"/a/[!bx]/c", "/a/x/c", false},
            {"/w/**/d/**", "/w/q/d/z", true},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(fspol_glob_match(cases[i].pat, cases[i].path), cases[i].want);
}

static void test_create_denied(void **state) {
    static char *dw[] = {"/w/**/.env", "/w/secret", NULL};
    static const strv deny_write = {.v = dw, .n = 2};
    static const struct {
        const char *path;
        fspol_create_kind kind;
        bool git_cfg;
        bool denied;
    } cases[] = {
            {"/w/main.c", FSPOL_CREATE_FILE, false, false},
            {"/w/.bashrc", FSPOL_CREATE_FILE, false, true},
            {"/w/sub/deep/.mcp.json", FSPOL_RENAME_FILE, false, true},
            {"/h/.bashrc", FSPOL_CREATE_FILE, false, true},
            {"/h/sub/.bashrc", FSPOL_CREATE_FILE, false, false},
            {"/h/notes", FSPOL_CREATE_FILE, false, false},
            {"/w/.vscode", FSPOL_CREATE_DIR, false, true},
            {"/w/a/.idea/x.xml", FSPOL_CREATE_FILE, false, true},
            {"/w/.git", FSPOL_CREATE_DIR, false, false},
            {"/w/.git", FSPOL_RENAME_DIR, false, true},
            {"/w/.git", FSPOL_CREATE_SYMLINK, false, true},
            {"/w/.git/hooks", FSPOL_CREATE_DIR, false, false},
            {"/w/.git/hooks", FSPOL_RENAME_DIR, false, true},
            {"/w/.git/hooks", FSPOL_CREATE_SYMLINK, false, true},
            {"/w/.git/hooks/pre-commit", FSPOL_CREATE_FILE, false, true},
            {"/w/.git/hooks/pre-commit", FSPOL_RENAME_FILE, false, true},
            {"/w/.git/hooks/pre-commit.sample", FSPOL_CREATE_FILE, false, false},
            {"/w/.git/hooks/x/y.sample", FSPOL_CREATE_FILE, false, true},
            {"/w/.git/modules/s/hooks/post-checkout", FSPOL_CREATE_FILE, false, true},
            {"/w/.git/config", FSPOL_CREATE_FILE, false, true},
            {"/w/.git/config", FSPOL_RENAME_FILE, true, false},
            {"/w/.git/config.lock", FSPOL_CREATE_FILE, false, false},
            {"/w/.git/objects/ab/cd", FSPOL_CREATE_FILE, false, false},
            {"/w/x/.env", FSPOL_CREATE_FILE, false, true},
            {"/w/secret", FSPOL_CREATE_DIR, false, true},
            {"/w/secret/a", FSPOL_CREATE_FILE, false, true},
            {"/tmp/.bashrc", FSPOL_CREATE_FILE, false, false},
            /* review1 finding 2: .git only by mkdir, anywhere */
            {"/w/.git", FSPOL_CREATE_FILE, false, true},
            {"/w/.git", FSPOL_RENAME_FILE, false, true},
            {"/w/sub/.git", FSPOL_CREATE_FILE, false, true},
            {"/tmp/r/.git", FSPOL_CREATE_SYMLINK, false, true},
            {"/tmp/r/.git", FSPOL_CREATE_DIR, false, false},
            {"/tmp/r/.git/hooks/post-checkout", FSPOL_CREATE_FILE, false, true},
            {"/w/.git/commondir", FSPOL_CREATE_FILE, false, true},
            {"/w/.git/gitdir", FSPOL_RENAME_FILE, false, true},
            {"/w/.git/config.worktree", FSPOL_CREATE_FILE, true, true},
            {"/w/.git/worktrees/x/commondir", FSPOL_CREATE_FILE, false, true},
            /* ~/.config/git/config and what would bring one */
            {"/h/.config/git/config", FSPOL_CREATE_FILE, false, true},
            {"/h/.config/git", FSPOL_RENAME_DIR, false, true},
            {"/h/.config", FSPOL_CREATE_SYMLINK, false, true},
            {"/h/.config/git", FSPOL_CREATE_DIR, false, false},
            {"/h/.config/git/ignore", FSPOL_CREATE_FILE, false, false},
            {"/h/.config/gitx", FSPOL_RENAME_DIR, false, false},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fspol_protect p = {.workspace = "/w",
                           .home = "/h",
                           .deny_write = &deny_write,
                           .allow_git_config = cases[i].git_cfg};
        const char *why = fspol_create_denied(&p, cases[i].path, cases[i].kind);
        if ((why != NULL) != cases[i].denied)
            fail_msg("%s kind %d: got %s", cases[i].path, cases[i].kind, why ? why : "allowed");
    }
}

/* git init: a new repository gets its config; one that existed at launch does not. */
static void test_create_denied_git_config(void **state) {
    static char *gd[] = {"/w/.git", "/w/vendor/lib/.git", NULL};
    static const strv git_dirs = {.v = gd, .n = 2};
    static const struct {
        const char *path;
        bool denied;
    } cases[] = {
            {"/w/.git/config", true}, /* existed at launch (also after mv .git aside) */
            {"/w/vendor/lib/.git/config", true},
            {"/w/.git/modules/s/config", true},     /* a submodule's, inside an existing .git */
            {"/w/new/.git/config", false},          /* git init in a new directory */
            {"/w/new/.git/hooks/pre-commit", true}, /* hooks stay refused in new repositories */
            {"/w/new/.git/hooks/pre-commit.sample", false},
    };

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        fspol_protect p = {.workspace = "/w", .home = "/h", .git_dirs = &git_dirs};
        const char *why = fspol_create_denied(&p, cases[i].path, FSPOL_CREATE_FILE);
        if ((why != NULL) != cases[i].denied)
            fail_msg("%s: got %s", cases[i].path, why ? why : "allowed");
    }
    {
        /* a new repository's control files are its own, like its config */
        fspol_protect p = {.workspace = "/w", .home = "/h", .git_dirs = &git_dirs};
        assert_null(fspol_create_denied(&p, "/w/new/.git/commondir", FSPOL_CREATE_FILE));
        assert_non_null(fspol_create_denied(&p, "/w/.git/commondir", FSPOL_CREATE_FILE));
    }
    {
        /* git_protect: a hooksPath directory may be made, nothing in it nor above it brought */
        static char *gp[] = {"/w/.husky/_", "/s/repo.git/config", NULL};
        static const strv prot = {.v = gp, .n = 2};
        fspol_protect p = {.workspace = "/w", .home = "/h", .git_protect = &prot};
        assert_null(fspol_create_denied(&p, "/w/.husky/_", FSPOL_CREATE_DIR));
        assert_non_null(fspol_create_denied(&p, "/w/.husky/_/pre-commit", FSPOL_CREATE_FILE));
        assert_non_null(fspol_create_denied(&p, "/w/.husky", FSPOL_RENAME_DIR));
        assert_non_null(fspol_create_denied(&p, "/w/.husky", FSPOL_CREATE_SYMLINK));
        assert_null(fspol_create_denied(&p, "/w/.husky", FSPOL_CREATE_DIR));
        assert_null(fspol_create_denied(&p, "/w/.husky/pre-commit", FSPOL_CREATE_FILE));
        assert_non_null(fspol_create_denied(&p, "/s/repo.git/config", FSPOL_RENAME_FILE));
        assert_null(fspol_create_denied(&p, "/s/repo.git/configx", FSPOL_CREATE_FILE));
    }
    {
        /* without the list every repository counts as existing */
        fspol_protect p = {.workspace = "/w", .home = "/h"};
        assert_non_null(fspol_create_denied(&p, "/w/new/.git/config", FSPOL_CREATE_FILE));
    }
}

/* A directory holding a protected git path may not be renamed away (second review 1). */
static void test_move_denied(void **state) {
    static char *gd[] = {"/w/lib/.git", NULL};
    static const strv git_dirs = {.v = gd, .n = 1};
    static char *gp[] = {"/w/.husky/_", NULL};
    static const strv prot = {.v = gp, .n = 1};
    fspol_protect p = {
            .workspace = "/w", .home = "/h", .git_dirs = &git_dirs, .git_protect = &prot};

    (void) state;
    assert_non_null(fspol_move_denied(&p, "/w/lib"));
    assert_non_null(fspol_move_denied(&p, "/w/lib/.git"));
    assert_non_null(fspol_move_denied(&p, "/w"));
    assert_non_null(fspol_move_denied(&p, "/w/.husky"));
    assert_non_null(fspol_move_denied(&p, "/w/.husky/_"));
    assert_null(fspol_move_denied(&p, "/w/lib/src"));
    assert_null(fspol_move_denied(&p, "/w/li"));
    assert_null(fspol_move_denied(&p, "/w/.husky/_/pre-commit"));
    assert_non_null(fspol_move_denied(&p, "relative"));
}

static void test_env_socket_paths(void **state) {
    static char *env[] = {
            "HOME=/h",
            "SSH_AUTH_SOCK=/tmp/ssh-x/agent.1",
            "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus,guid=12;unix:abstract=/x;"
            "unix:guid=1,path=/run/my%20bus",
            "DBUS_SYSTEM_BUS_ADDRESS=tcp:host=localhost,port=1",
            "DOCKER_HOST=unix:///home/u/.colima/docker.sock",
            "CONTAINER_HOST=ssh://core@host/run/podman.sock",
            "WAYLAND_DISPLAY=wayland-0",
            "GPG_AGENT_INFO=/h/.gnupg/S.gpg-agent:0:1",
            NULL,
    };
    static const char *const want[] = {
            "/tmp/ssh-x/agent.1", "/home/u/.colima/docker.sock", "/run/user/1000/bus",
            "/run/my bus",        "/h/.gnupg/S.gpg-agent",       "/run/user/1000/wayland-0",
    };
    static char *relative[] = {"SSH_AUTH_SOCK=agent", "WAYLAND_DISPLAY=wayland-0", NULL};
    strv got = {0};

    (void) state;
    assert_int_equal(fspol_env_socket_paths(env, "/run/user/1000", &got), ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(got.v[i], want[i]);
    strv_done(&got);
    /* relative values and a missing runtime directory name nothing */
    assert_int_equal(fspol_env_socket_paths(relative, NULL, &got), 0);
    assert_int_equal(got.n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create_denied_git_config),
            cmocka_unit_test(test_env_socket_paths),
            cmocka_unit_test(test_move_denied),
            cmocka_unit_test(test_normalize),
            cmocka_unit_test(test_classify),
            cmocka_unit_test(test_match),
            cmocka_unit_test(test_create_denied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
