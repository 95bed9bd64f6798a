/* SPDX-License-Identifier: MIT */
/*
 * The built-in templates (spec §5), embedded at build time by templates/embed.py from
 * templates/NAME.json into template_table[] (sorted by name).
 */
#pragma once

#include <stddef.h>

typedef struct template_entry {
    const char *name;
    const char *description;
    const char *source; /* the JSON text, exactly as in templates/NAME.json */
    size_t source_len;
} template_entry;

extern const template_entry template_table[];
extern const size_t template_table_len;

/* The template called `name`, with a ".json" suffix tolerated; NULL when there is none. */
const template_entry *templates_find(const char *name);

/* Copies name without a trailing ".json" into buf (truncated to size). Returns buf. */
char *templates_normalize_name(char *buf, size_t size, const char *name);
