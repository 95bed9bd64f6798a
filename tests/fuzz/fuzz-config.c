/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the config reader: any input either fails with a one-line error located in
 * the file, is blank, or yields a config that (1) validates, (2) survives the canonical writer
 * unchanged (parse(to_json(x)) == x, and to_json is a fixed point), and (3) merges with a
 * template into a config that validates and round-trips too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "fuzz-config: invariant failed: %s (line %d)\n", #x, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* x -> JSON -> y must give y == x and the same JSON again. */
static void check_round_trip(const fence_config *x) {
    fence_config *y = NULL;
    fence_error err = {0};
    char *j1 = NULL, *j2 = NULL;

    CHECK(fence_config_to_json(x, &j1, &err) == 0);
    CHECK(fence_config_parse(j1, strlen(j1), "json", &y, &err) == 1);
    CHECK(config_equal(x, y));
    CHECK(fence_config_to_json(y, &j2, &err) == 0);
    CHECK(strcmp(j1, j2) == 0);
    free(j1);
    free(j2);
    fence_config_free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const templates[] = {"code", "disable-telemetry", "code-strict"};
    fence_config *cfg = NULL, *tmpl = NULL, *merged = NULL;
    fence_error err = {0};
    int r = fence_config_parse((const char *) data, size, "in.json", &cfg, &err);

    if (r < 0) {
        unsigned line, col;

        CHECK(r == -FENCE_E_CONFIG);
        CHECK(strchr(err.msg, '\n') == NULL);
        CHECK(sscanf(err.msg, "in.json:%u:%u: ", &line, &col) == 2 && line >= 1 && col >= 1);
        CHECK(cfg == NULL);
        return 0;
    }
    if (r == 0)
        return 0;
    CHECK(fence_config_validate(cfg, &err) == 0);
    CHECK(!cfg->filesystem.strict_deny_read || cfg->filesystem.default_deny_read);
    check_round_trip(cfg);

    CHECK(fence_config_load_template(templates[size % 3], &tmpl, &err) == 1);
    CHECK(fence_config_merge(tmpl, cfg, &merged, &err) == 0);
    CHECK(merged->extends == NULL);
    CHECK(fence_config_validate(merged, &err) == 0);
    check_round_trip(merged);

    fence_config_free(merged);
    fence_config_free(tmpl);
    fence_config_free(cfg);
    return 0;
}
