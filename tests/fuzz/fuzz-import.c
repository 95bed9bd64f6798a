/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the Claude Code settings import (src/config/import.c): any input either
 * converts or fails with one located line; a converted config is valid, serialises, and parses
 * back to the same policy; the rule count never exceeds what the input could hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fence_config *cfg = NULL, *back = NULL;
    char *warnings = NULL, *json = NULL;
    fence_error err = {0};
    size_t rules = 0;
    int r;

    r = import_claude_text((const char *) data, size, "fuzz.json", "code", &cfg, &rules, &warnings,
                           &err);
    if (r < 0) {
        /* one line, located */
        if (strchr(err.msg, '\n') || strncmp(err.msg, "fuzz.json", 9) != 0 || cfg)
            abort();
        return 0;
    }
    if (rules > size || fence_config_validate(cfg, &err) < 0)
        abort();
    if (fence_config_to_json(cfg, &json, &err) < 0)
        abort();
    if (fence_config_parse(json, strlen(json), "roundtrip", &back, &err) != 1 ||
        !config_equal(cfg, back))
        abort();
    fence_config_free(back);
    fence_config_free(cfg);
    free(json);
    free(warnings);
    return 0;
}
