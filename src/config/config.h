/* SPDX-License-Identifier: MIT */
/*
 * The in-memory policy (spec/fence-behaviour.md §4.2) and the field table that describes it.
 *
 * struct fence_config is plain data. Everything that walks the schema — the JSONC decoder, the
 * merge of §4.5, the canonical writer of §4.7, the public getters/setters and the schema test —
 * does so through config_fields[], so adding a field is one struct member plus one table row.
 * Policy and enforcement code read the struct members directly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fence/fence.h"
#include "util/cleanup.h"
#include "util/strv.h"

/* Tri-state booleans (Go pointer booleans): TRI_UNSET, TRI_FALSE, TRI_TRUE. */
typedef int8_t tristate;
#define TRI_UNSET ((tristate) -1)
#define TRI_FALSE ((tristate) 0)
#define TRI_TRUE  ((tristate) 1)

struct fence_config {
    char *extends; /* NULL = none */
    bool allow_pty;
    tristate force_new_session;

    struct {
        strv allowed_domains;
        strv denied_domains;
        strv allow_unix_sockets;
        bool allow_all_unix_sockets;
        bool allow_local_binding;
        tristate allow_local_outbound; /* unset = value of allow_local_binding */
        intv allow_local_outbound_ports;
        int http_proxy_port;  /* 0 = default (3128) */
        int socks_proxy_port; /* 0 = default (1080) */
        char *upstream_proxy; /* NULL = none */
        char *default_action; /* NULL = "deny"; "deny" | "proxy" */
    } network;

    struct {
        bool default_deny_read;
        bool strict_deny_read;
        tristate wsl_interop;
        strv allow_read;
        strv allow_execute;
        strv deny_read;
        strv allow_write;
        strv deny_write;
        bool allow_git_config;
    } filesystem;

    struct {
        char *mode; /* NULL = auto; "auto" | "minimal" | "host" */
        strv allow;
    } devices;

    struct {
        strv mach_lookup;
        strv mach_register;
    } macos;

    struct {
        strv deny;
        strv allow;
        tristate use_defaults; /* unset = true */
        strv accept_shared_binary_cannot_runtime_deny;
        char *runtime_exec_policy; /* NULL = "path"; "path" | "argv" */
    } command;

    struct {
        strv allowed_hosts;
        strv denied_hosts;
        strv allowed_commands;
        strv denied_commands;
        bool allow_all_commands;
        bool inherit_deny;
    } ssh;
};

/* How a field merges (§4.5). */
typedef enum config_merge {
    MERGE_APPEND_UNIQUE, /* lists: base ++ override, first occurrence kept */
    MERGE_OR,            /* plain booleans */
    MERGE_SET_WINS,      /* tri-state: override when set */
    MERGE_NONEMPTY_WINS, /* strings: override when non-NULL and non-empty */
    MERGE_NONZERO_WINS,  /* ints: override when non-zero */
    MERGE_CLEAR          /* extends: cleared in the result */
} config_merge;

typedef struct config_field {
    fence_config_key key; /* index in config_fields[] equals the key */
    const char *section;  /* JSON object holding the key: NULL (top level), "network",
                             "filesystem", "devices", "macos.mach", "command", "ssh" */
    const char *name;     /* JSON key, camelCase */
    const char *path;     /* "section.name" or "name": fence_config_key_name() */
    fence_value_type type;
    size_t offset; /* offsetof(struct fence_config, ...) */
    config_merge merge;
} config_field;

/* One row per fence_config_key, in key order. The order of rows is also the canonical JSON
 * key order of §4.7 within each section. */
extern const config_field config_fields[FENCE_CFG_KEY_COUNT];

/* Sections in canonical output order (§4.7): top-level scalars first, then these objects. */
extern const char *const config_sections[];

/* Typed access to a field of cfg through its table row. */
#define CONFIG_FIELD_PTR(cfg, f, type) ((type *) ((char *) (cfg) + (f)->offset))

/* Frees every member; the struct can be reused after config_init(). */
void config_done(struct fence_config *cfg);
/* Sets every member to its unset value (all zero, tri-states TRI_UNSET). */
void config_init(struct fence_config *cfg);

/* True when a and b hold the same policy: every field equal, lists in the same order. A string
 * field that is NULL equals "" (Go's zero value), and network.defaultAction "deny" equals unset
 * (the canonical writer omits it). */
bool config_equal(const struct fence_config *a, const struct fence_config *b);

/* Merges o into acc in place with the rules of §4.5 (fence_config_merge(acc, o) without the copy);
 * acc's extends is cleared. Returns 0 or -ENOMEM (acc is then partly merged: free it). */
int config_merge_into(struct fence_config *acc, const struct fence_config *o);

DEFINE_TRIVIAL_CLEANUP_FUNC(fence_config, fence_config_free)

/* Convenience readers with the defaults of §4.2 applied. */
bool config_use_defaults(const struct fence_config *cfg);
bool config_allow_local_outbound(const struct fence_config *cfg);
bool config_relaxed_network(const struct fence_config *cfg); /* allowedDomains has "*" */
