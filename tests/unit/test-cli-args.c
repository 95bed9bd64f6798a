/* SPDX-License-Identifier: MIT */
/* Unit tests of the CLI's table-driven parser (src/cli/args.c): pflag's forms and messages,
 * non-interspersed commands, and cobra's subcommand lookup behind flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/args.h"

enum { O_DEBUG, O_MON, O_SET, O_PORT, O_COUNT };

static const cli_option opts[O_COUNT] = {
    [O_DEBUG] = {"debug", 'd', CLI_BOOL, NULL, "d"},
    [O_MON] = {"monitor", 'm', CLI_BOOL, NULL, "m"},
    [O_SET] = {"settings", 's', CLI_STRING, "PATH", "s"},
    [O_PORT] = {"port", 'p', CLI_STRING_ARRAY, "SPEC", "p"},
};

static const cli_option sub_opts[] = {{"template", 't', CLI_STRING, "NAME", "t"}};

static const cli_command leaf = {.name = "show", .path = "x grp show", .options = sub_opts,
                                 .n_options = 1, .interspersed = true};
static const cli_command *const grp_subs[] = {&leaf, NULL};
static const cli_command grp = {.name = "grp", .path = "x grp", .subcommands = grp_subs,
                                .interspersed = true};
static const cli_command *const root_subs[] = {&grp, NULL};
static const cli_command root = {.name = "x", .path = "x", .options = opts,
                                 .n_options = O_COUNT, .subcommands = root_subs};

/* Parses a NULL-terminated argv for root; returns the result code. */
static int parse(char **argv, cli_parsed *p, fence_error *err) {
    int argc = 0;

    while (argv[argc])
        argc++;
    memset(err, 0, sizeof(*err));
    return cli_parse(&root, argc, argv, p, err);
}

static void test_forms(void **state) {
    char *argv[] = {"-dm", "-s=a", "--port", "1", "-p2", "--port=3", "-p", "-4", "cmd", "-d",
                    NULL};
    fence_error err;
    cli_parsed p;

    (void) state;
    assert_int_equal(parse(argv, &p, &err), 0);
    assert_true(p.values[O_DEBUG].b && p.values[O_MON].b);
    assert_string_equal(p.values[O_SET].s, "a");
    assert_int_equal(p.values[O_PORT].list.n, 4);
    assert_string_equal(p.values[O_PORT].list.v[3], "-4"); /* a value may look like a flag */
    /* not interspersed: everything from the first positional on belongs to the command */
    assert_int_equal(p.n_args, 2);
    assert_string_equal(p.args[0], "cmd");
    assert_string_equal(p.args[1], "-d");
    cli_parsed_done(&p);
}

static void test_bool_values_and_dash(void **state) {
    char *argv[] = {"--debug=false", "-m=T", "--settings", "--", "--", "-x", NULL};
    fence_error err;
    cli_parsed p;

    (void) state;
    assert_int_equal(parse(argv, &p, &err), 0);
    assert_true(p.values[O_DEBUG].set && !p.values[O_DEBUG].b);
    assert_true(p.values[O_MON].b);
    assert_string_equal(p.values[O_SET].s, "--"); /* --settings takes the next word */
    assert_true(p.dash);
    assert_int_equal(p.n_args, 1);
    assert_string_equal(p.args[0], "-x");
    cli_parsed_done(&p);
}

static void test_errors(void **state) {
    static const struct {
        char *argv[4];
        const char *msg;
    } cases[] = {
        {{"--nope"}, "unknown flag: --nope"},
        {{"-dz"}, "unknown shorthand flag: 'z' in -dz"},
        {{"-s"}, "flag needs an argument: 's' in -s"},
        {{"-ds"}, "flag needs an argument: 's' in -ds"},
        {{"--port"}, "flag needs an argument: --port"},
        {{"--debug=2"}, "invalid argument \"2\" for \"-d, --debug\" flag: strconv.ParseBool: "
                        "parsing \"2\": invalid syntax"},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[5] = {cases[i].argv[0], cases[i].argv[1], cases[i].argv[2], NULL, NULL};
        fence_error err;
        cli_parsed p;

        assert_int_equal(parse(argv, &p, &err), -FENCE_E_INVAL);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

static void test_help(void **state) {
    char *argv1[] = {"-dh", NULL}, *argv2[] = {"--help", "x", NULL};
    fence_error err;
    cli_parsed p;

    (void) state;
    assert_int_equal(parse(argv1, &p, &err), 0);
    assert_true(p.help && p.values[O_DEBUG].b);
    cli_parsed_done(&p);
    assert_int_equal(parse(argv2, &p, &err), 0);
    assert_true(p.help);
    cli_parsed_done(&p);
}

static void test_find_command(void **state) {
    static const struct {
        char *argv[6];
        const cli_command *want;
        int left;
    } cases[] = {
        {{"grp", "show"}, &leaf, 0},
        {{"-s", "grp", "grp", "show", "-t", "a"}, &leaf, 4}, /* "grp" after -s is its value */
        /* cobra's quirk: at grp's level the root's -d is unknown, so it is taken to consume
         * "show" and the lookup stops at grp (whose parse then refuses -d) */
        {{"-d", "grp", "show"}, &grp, 2},
        {{"-t", "v", "grp", "show"}, &leaf, 2}, /* unknown flags are assumed to take a value */
        {{"--settings=grp", "cmd", "grp"}, &root, 3},
        {{"--", "grp", "show"}, &root, 3},
        {{"ls", "grp"}, &root, 2},
        {{"grp", "nope"}, &grp, 1},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const cli_command *cmd = NULL;
        char **rest = NULL;
        fence_error err = {0};
        int argc = 0, n = -1;

        char *argv[6];

        while (argc < 6 && cases[i].argv[argc]) {
            argv[argc] = cases[i].argv[argc];
            argc++;
        }
        assert_int_equal(cli_find_command(&root, argc, argv, &cmd, &n, &rest, &err), 0);
        if (cmd != cases[i].want || n != cases[i].left)
            fail_msg("case %zu: got %s with %d left", i, cmd->path, n);
        free(rest);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),  cmocka_unit_test(test_bool_values_and_dash),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_help),
        cmocka_unit_test(test_find_command),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
