/* SPDX-License-Identifier: MIT */
/* Lookup of the embedded templates and the public fence_template_* functions; see templates.h. */
#include "config/templates.h"

#include <stdio.h>
#include <string.h>

#include "fence/fence.h"

char *templates_normalize_name(char *buf, size_t size, const char *name) {
    size_t n = strlen(name);

    if (n >= 5 && strcmp(name + n - 5, ".json") == 0)
        n -= 5;
    snprintf(buf, size, "%.*s", (int) n, name);
    return buf;
}

const template_entry *templates_find(const char *name) {
    size_t n;

    if (!name)
        return NULL;
    n = strlen(name);
    if (n >= 5 && strcmp(name + n - 5, ".json") == 0)
        n -= 5;
    for (size_t i = 0; i < template_table_len; i++)
        if (strlen(template_table[i].name) == n && memcmp(template_table[i].name, name, n) == 0)
            return &template_table[i];
    return NULL;
}

FENCE_API size_t fence_template_count(void) {
    return template_table_len;
}

FENCE_API const char *fence_template_name(size_t i) {
    return i < template_table_len ? template_table[i].name : NULL;
}

FENCE_API const char *fence_template_description(size_t i) {
    return i < template_table_len ? template_table[i].description : NULL;
}

FENCE_API const char *fence_template_source(const char *name) {
    const template_entry *t = templates_find(name);

    return t ? t->source : NULL;
}
