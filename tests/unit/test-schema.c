/* SPDX-License-Identifier: MIT */
/*
 * docs/schema/fence.schema.json against config_fields[]: every key of the loader is in the
 * schema with the matching JSON type, every key of the schema is one the loader knows, every
 * object forbids other keys, and each enum lists exactly the values the validator accepts.
 * The schema and the loader therefore cannot drift apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/jsonc.h"
#include "util/fileio.h"

static jsonc_doc *doc;

static const jsonc_node *member(const jsonc_node *obj, const char *key) {
    const jsonc_node *found = NULL;

    if (!obj || obj->type != JSONC_OBJECT)
        return NULL;
    for (const jsonc_node *m = obj->first; m; m = m->next)
        if (strcmp(m->key, key) == 0)
            found = m;
    return found;
}

/* The schema object describing a section ("network", "macos.mach") or the root (NULL). */
static const jsonc_node *section_schema(const char *section) {
    const jsonc_node *s = jsonc_doc_root(doc);
    char buf[64], *save = NULL;

    if (!section)
        return s;
    snprintf(buf, sizeof(buf), "%s", section);
    for (char *w = strtok_r(buf, ".", &save); w; w = strtok_r(NULL, ".", &save))
        s = member(member(s, "properties"), w);
    return s;
}

/* The schema's "type" of a property as "string" or "boolean|null". */
static void type_of(const jsonc_node *prop, char *buf, size_t size) {
    const jsonc_node *t = member(prop, "type");

    buf[0] = '\0';
    if (!t)
        return;
    if (t->type == JSONC_STRING) {
        snprintf(buf, size, "%s", t->str);
        return;
    }
    for (const jsonc_node *e = t->first; e; e = e->next) {
        strncat(buf, buf[0] ? "|" : "", size - strlen(buf) - 1);
        strncat(buf, e->str, size - strlen(buf) - 1);
    }
}

static const char *want_type(fence_value_type t) {
    switch (t) {
    case FENCE_TYPE_STRING:
        return "string";
    case FENCE_TYPE_BOOL:
        return "boolean";
    case FENCE_TYPE_TRISTATE:
        return "boolean|null";
    case FENCE_TYPE_INT:
        return "integer";
    case FENCE_TYPE_STRING_LIST:
    case FENCE_TYPE_INT_LIST:
        return "array";
    }
    return "?";
}

static int setup(void **state) {
    const char *root = getenv("FENCE_SOURCE_ROOT");
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    jsonc_error jerr;

    (void) state;
    snprintf(path, sizeof(path), "%s/docs/schema/fence.schema.json", root ? root : ".");
    if (read_full_file(path, JSONC_MAX_BYTES, &text, &len) < 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    if (jsonc_parse(text, len, &doc, &jerr) < 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", path, jerr.pos.line, jerr.pos.col, jerr.msg);
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

static int teardown(void **state) {
    (void) state;
    jsonc_doc_free(doc);
    return 0;
}

static void test_every_field_in_schema(void **state) {
    char got[64];

    (void) state;
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];
        const jsonc_node *prop = member(member(section_schema(f->section), "properties"), f->name);

        if (!prop)
            fail_msg("%s is missing from the schema", f->path);
        type_of(prop, got, sizeof(got));
        if (strcmp(got, want_type(f->type)) != 0)
            fail_msg("%s: schema type '%s', loader type '%s'", f->path, got, want_type(f->type));
        if (f->type == FENCE_TYPE_STRING_LIST || f->type == FENCE_TYPE_INT_LIST) {
            type_of(member(prop, "items"), got, sizeof(got));
            assert_string_equal(got, f->type == FENCE_TYPE_STRING_LIST ? "string" : "integer");
        }
        assert_non_null(member(prop, "description"));
    }
}

/* Whether name is a key of section (a field, or a nested section such as macos.mach). */
static int known(const char *section, const char *name) {
    char path[128];

    snprintf(path, sizeof(path), "%s%s%s", section ? section : "", section ? "." : "", name);
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++)
        if (strcmp(config_fields[i].path, path) == 0)
            return 1;
    for (size_t i = 0; config_sections[i]; i++)
        if (strcmp(config_sections[i], path) == 0 ||
            (strncmp(config_sections[i], path, strlen(path)) == 0 &&
             config_sections[i][strlen(path)] == '.'))
            return 1;
    return section == NULL && strcmp(name, "$schema") == 0;
}

static void check_object(const jsonc_node *obj, const char *section) {
    const jsonc_node *props = member(obj, "properties"), *ap = member(obj, "additionalProperties");

    assert_non_null(props);
    if (!ap || ap->type != JSONC_BOOL || ap->boolean)
        fail_msg("schema object '%s' must say additionalProperties: false",
                 section ? section : "(root)");
    for (const jsonc_node *p = props->first; p; p = p->next) {
        char sub[128];

        if (!known(section, p->key))
            fail_msg("schema key '%s%s%s' is unknown to the loader", section ? section : "",
                     section ? "." : "", p->key);
        if (member(p, "properties")) {
            snprintf(sub, sizeof(sub), "%s%s%s", section ? section : "", section ? "." : "",
                     p->key);
            check_object(p, sub);
        }
    }
}

static void test_no_unknown_keys(void **state) {
    (void) state;
    check_object(jsonc_doc_root(doc), NULL);
}

/* A config with key set to value that is otherwise valid (defaultAction "proxy" needs an
 * upstream proxy), validated. */
static int validate_with(fence_config_key key, const char *value, fence_error *err) {
    fence_config *cfg = fence_config_new();
    int r;

    assert_non_null(cfg);
    assert_int_equal(fence_config_set_string(cfg, FENCE_CFG_NETWORK_UPSTREAM_PROXY,
                                             "http://127.0.0.1:8080"),
                     0);
    assert_int_equal(fence_config_set_string(cfg, key, value), 0);
    r = fence_config_validate(cfg, err);
    fence_config_free(cfg);
    return r;
}

static void test_enums_match_validator(void **state) {
    size_t n_enums = 0;

    (void) state;
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];
        const jsonc_node *prop = member(member(section_schema(f->section), "properties"), f->name);
        const jsonc_node *e = member(prop, "enum");
        fence_error err = {0};

        if (!e)
            continue;
        n_enums++;
        for (const jsonc_node *v = e->first; v; v = v->next) {
            memset(&err, 0, sizeof(err));
            if (validate_with(f->key, v->str, &err) < 0)
                fail_msg("%s: schema value \"%s\" is refused: %s", f->path, v->str, err.msg);
        }
        memset(&err, 0, sizeof(err));
        assert_int_equal(validate_with(f->key, "not-in-the-schema", &err), -FENCE_E_CONFIG);
        /* "(expected one of: a, b, c)" must list the schema's values, in its order */
        if (strstr(err.msg, "expected one of: ")) {
            char want[256] = "expected one of: ";

            for (const jsonc_node *v = e->first; v; v = v->next) {
                strncat(want, v->str, sizeof(want) - strlen(want) - 1);
                strncat(want, v->next ? ", " : ")", sizeof(want) - strlen(want) - 1);
            }
            if (!strstr(err.msg, want))
                fail_msg("%s: validator says '%s', schema enum gives '%s'", f->path, err.msg,
                         want);
        }
    }
    assert_int_equal(n_enums, 3); /* devices.mode, command.runtimeExecPolicy, defaultAction */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field_in_schema),
        cmocka_unit_test(test_no_unknown_keys),
        cmocka_unit_test(test_enums_match_validator),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
