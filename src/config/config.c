/* SPDX-License-Identifier: MIT */
/*
 * The field table of struct fence_config and the public accessors built on it. See config.h.
 */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define F(k, sec, nm, p, t, member, m)                                                             \
    [k] = {.key = k,                                                                               \
           .section = sec,                                                                         \
           .name = nm,                                                                             \
           .path = p,                                                                              \
           .type = t,                                                                              \
           .offset = offsetof(struct fence_config, member),                                        \
           .merge = m}

#define S  FENCE_TYPE_STRING
#define B  FENCE_TYPE_BOOL
#define T  FENCE_TYPE_TRISTATE
#define I  FENCE_TYPE_INT
#define SL FENCE_TYPE_STRING_LIST
#define IL FENCE_TYPE_INT_LIST

/* clang-format off */
const config_field config_fields[FENCE_CFG_KEY_COUNT] = {
    F(FENCE_CFG_EXTENDS, NULL, "extends", "extends", S, extends, MERGE_CLEAR),
    F(FENCE_CFG_ALLOW_PTY, NULL, "allowPty", "allowPty", B, allow_pty, MERGE_OR),
    F(FENCE_CFG_FORCE_NEW_SESSION, NULL, "forceNewSession", "forceNewSession", T, force_new_session, MERGE_SET_WINS),

    F(FENCE_CFG_NETWORK_ALLOWED_DOMAINS, "network", "allowedDomains", "network.allowedDomains", SL, network.allowed_domains, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_NETWORK_DENIED_DOMAINS, "network", "deniedDomains", "network.deniedDomains", SL, network.denied_domains, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_NETWORK_ALLOW_UNIX_SOCKETS, "network", "allowUnixSockets", "network.allowUnixSockets", SL, network.allow_unix_sockets, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_NETWORK_ALLOW_ALL_UNIX_SOCKETS, "network", "allowAllUnixSockets", "network.allowAllUnixSockets", B, network.allow_all_unix_sockets, MERGE_OR),
    F(FENCE_CFG_NETWORK_ALLOW_LOCAL_BINDING, "network", "allowLocalBinding", "network.allowLocalBinding", B, network.allow_local_binding, MERGE_OR),
    F(FENCE_CFG_NETWORK_ALLOW_LOCAL_OUTBOUND, "network", "allowLocalOutbound", "network.allowLocalOutbound", T, network.allow_local_outbound, MERGE_SET_WINS),
    F(FENCE_CFG_NETWORK_ALLOW_LOCAL_OUTBOUND_PORTS, "network", "allowLocalOutboundPorts", "network.allowLocalOutboundPorts", IL, network.allow_local_outbound_ports, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_NETWORK_HTTP_PROXY_PORT, "network", "httpProxyPort", "network.httpProxyPort", I, network.http_proxy_port, MERGE_NONZERO_WINS),
    F(FENCE_CFG_NETWORK_SOCKS_PROXY_PORT, "network", "socksProxyPort", "network.socksProxyPort", I, network.socks_proxy_port, MERGE_NONZERO_WINS),
    F(FENCE_CFG_NETWORK_UPSTREAM_PROXY, "network", "upstreamProxy", "network.upstreamProxy", S, network.upstream_proxy, MERGE_NONEMPTY_WINS),
    F(FENCE_CFG_NETWORK_DEFAULT_ACTION, "network", "defaultAction", "network.defaultAction", S, network.default_action, MERGE_NONEMPTY_WINS),

    F(FENCE_CFG_FILESYSTEM_DEFAULT_DENY_READ, "filesystem", "defaultDenyRead", "filesystem.defaultDenyRead", B, filesystem.default_deny_read, MERGE_OR),
    F(FENCE_CFG_FILESYSTEM_STRICT_DENY_READ, "filesystem", "strictDenyRead", "filesystem.strictDenyRead", B, filesystem.strict_deny_read, MERGE_OR),
    F(FENCE_CFG_FILESYSTEM_WSL_INTEROP, "filesystem", "wslInterop", "filesystem.wslInterop", T, filesystem.wsl_interop, MERGE_SET_WINS),
    F(FENCE_CFG_FILESYSTEM_ALLOW_READ, "filesystem", "allowRead", "filesystem.allowRead", SL, filesystem.allow_read, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_FILESYSTEM_ALLOW_EXECUTE, "filesystem", "allowExecute", "filesystem.allowExecute", SL, filesystem.allow_execute, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_FILESYSTEM_DENY_READ, "filesystem", "denyRead", "filesystem.denyRead", SL, filesystem.deny_read, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_FILESYSTEM_ALLOW_WRITE, "filesystem", "allowWrite", "filesystem.allowWrite", SL, filesystem.allow_write, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_FILESYSTEM_DENY_WRITE, "filesystem", "denyWrite", "filesystem.denyWrite", SL, filesystem.deny_write, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_FILESYSTEM_ALLOW_GIT_CONFIG, "filesystem", "allowGitConfig", "filesystem.allowGitConfig", B, filesystem.allow_git_config, MERGE_OR),

    F(FENCE_CFG_DEVICES_MODE, "devices", "mode", "devices.mode", S, devices.mode, MERGE_NONEMPTY_WINS),
    F(FENCE_CFG_DEVICES_ALLOW, "devices", "allow", "devices.allow", SL, devices.allow, MERGE_APPEND_UNIQUE),

    F(FENCE_CFG_MACOS_MACH_LOOKUP, "macos.mach", "lookup", "macos.mach.lookup", SL, macos.mach_lookup, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_MACOS_MACH_REGISTER, "macos.mach", "register", "macos.mach.register", SL, macos.mach_register, MERGE_APPEND_UNIQUE),

    F(FENCE_CFG_COMMAND_DENY, "command", "deny", "command.deny", SL, command.deny, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_COMMAND_ALLOW, "command", "allow", "command.allow", SL, command.allow, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_COMMAND_USE_DEFAULTS, "command", "useDefaults", "command.useDefaults", T, command.use_defaults, MERGE_SET_WINS),
    F(FENCE_CFG_COMMAND_ACCEPT_SHARED_BINARY_CANNOT_RUNTIME_DENY, "command", "acceptSharedBinaryCannotRuntimeDeny", "command.acceptSharedBinaryCannotRuntimeDeny", SL, command.accept_shared_binary_cannot_runtime_deny, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_COMMAND_RUNTIME_EXEC_POLICY, "command", "runtimeExecPolicy", "command.runtimeExecPolicy", S, command.runtime_exec_policy, MERGE_NONEMPTY_WINS),

    F(FENCE_CFG_SSH_ALLOWED_HOSTS, "ssh", "allowedHosts", "ssh.allowedHosts", SL, ssh.allowed_hosts, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_SSH_DENIED_HOSTS, "ssh", "deniedHosts", "ssh.deniedHosts", SL, ssh.denied_hosts, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_SSH_ALLOWED_COMMANDS, "ssh", "allowedCommands", "ssh.allowedCommands", SL, ssh.allowed_commands, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_SSH_DENIED_COMMANDS, "ssh", "deniedCommands", "ssh.deniedCommands", SL, ssh.denied_commands, MERGE_APPEND_UNIQUE),
    F(FENCE_CFG_SSH_ALLOW_ALL_COMMANDS, "ssh", "allowAllCommands", "ssh.allowAllCommands", B, ssh.allow_all_commands, MERGE_OR),
    F(FENCE_CFG_SSH_INHERIT_DENY, "ssh", "inheritDeny", "ssh.inheritDeny", B, ssh.inherit_deny, MERGE_OR),
};
/* clang-format on */

const char *const config_sections[] = {"network", "filesystem", "devices", "macos.mach",
                                       "command", "ssh",        NULL};

void config_init(struct fence_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++)
        if (config_fields[i].type == FENCE_TYPE_TRISTATE)
            *CONFIG_FIELD_PTR(cfg, &config_fields[i], tristate) = TRI_UNSET;
}

void config_done(struct fence_config *cfg) {
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];

        switch (f->type) {
        case FENCE_TYPE_STRING:
            free(*CONFIG_FIELD_PTR(cfg, f, char *));
            break;
        case FENCE_TYPE_STRING_LIST:
            strv_done(CONFIG_FIELD_PTR(cfg, f, strv));
            break;
        case FENCE_TYPE_INT_LIST:
            intv_done(CONFIG_FIELD_PTR(cfg, f, intv));
            break;
        default:
            break;
        }
    }
    config_init(cfg);
}

bool config_use_defaults(const struct fence_config *cfg) {
    return cfg->command.use_defaults != TRI_FALSE;
}

bool config_allow_local_outbound(const struct fence_config *cfg) {
    if (cfg->network.allow_local_outbound == TRI_UNSET)
        return cfg->network.allow_local_binding;
    return cfg->network.allow_local_outbound == TRI_TRUE;
}

bool config_relaxed_network(const struct fence_config *cfg) {
    return strv_contains(&cfg->network.allowed_domains, "*");
}

static const char *norm_string(const config_field *f, const char *s) {
    if (!s || !*s)
        return "";
    if (f->key == FENCE_CFG_NETWORK_DEFAULT_ACTION && strcmp(s, "deny") == 0)
        return "";
    return s;
}

bool config_equal(const struct fence_config *a, const struct fence_config *b) {
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];

        switch (f->type) {
        case FENCE_TYPE_STRING:
            if (strcmp(norm_string(f, *CONFIG_FIELD_PTR(a, f, char *const)),
                       norm_string(f, *CONFIG_FIELD_PTR(b, f, char *const))) != 0)
                return false;
            break;
        case FENCE_TYPE_BOOL:
            if (*CONFIG_FIELD_PTR(a, f, const bool) != *CONFIG_FIELD_PTR(b, f, const bool))
                return false;
            break;
        case FENCE_TYPE_TRISTATE:
            if (*CONFIG_FIELD_PTR(a, f, const tristate) != *CONFIG_FIELD_PTR(b, f, const tristate))
                return false;
            break;
        case FENCE_TYPE_INT:
            if (*CONFIG_FIELD_PTR(a, f, const int) != *CONFIG_FIELD_PTR(b, f, const int))
                return false;
            break;
        case FENCE_TYPE_STRING_LIST: {
            const strv *la = CONFIG_FIELD_PTR(a, f, const strv),
                       *lb = CONFIG_FIELD_PTR(b, f, const strv);

            if (la->n != lb->n)
                return false;
            for (size_t k = 0; k < la->n; k++)
                if (strcmp(la->v[k], lb->v[k]) != 0)
                    return false;
            break;
        }
        case FENCE_TYPE_INT_LIST: {
            const intv *la = CONFIG_FIELD_PTR(a, f, const intv),
                       *lb = CONFIG_FIELD_PTR(b, f, const intv);

            if (la->n != lb->n || (la->n && memcmp(la->v, lb->v, la->n * sizeof(int)) != 0))
                return false;
            break;
        }
        }
    }
    return true;
}

/* ---- public accessors -------------------------------------------------------------------- */

static const config_field *field_of(fence_config_key key, fence_value_type type) {
    if ((unsigned) key >= FENCE_CFG_KEY_COUNT || config_fields[key].type != type)
        return NULL;
    return &config_fields[key];
}

FENCE_API const char *fence_config_key_name(fence_config_key key) {
    if ((unsigned) key >= FENCE_CFG_KEY_COUNT)
        return NULL;
    return config_fields[key].path;
}

FENCE_API int fence_config_key_lookup(const char *name) {
    if (!name)
        return -FENCE_E_INVAL;
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++)
        if (strcmp(config_fields[i].path, name) == 0)
            return (int) i;
    return -FENCE_E_NOTFOUND;
}

FENCE_API int fence_config_key_type(fence_config_key key) {
    if ((unsigned) key >= FENCE_CFG_KEY_COUNT)
        return -FENCE_E_INVAL;
    return (int) config_fields[key].type;
}

FENCE_API fence_config *fence_config_new(void) {
    fence_config *cfg = malloc(sizeof(*cfg));

    if (cfg)
        config_init(cfg);
    return cfg;
}

FENCE_API void fence_config_free(fence_config *cfg) {
    if (!cfg)
        return;
    config_done(cfg);
    free(cfg);
}

FENCE_API fence_config *fence_config_copy(const fence_config *src) {
    fence_config *cfg;

    if (!src)
        return NULL;
    cfg = fence_config_new();
    if (!cfg)
        return NULL;
    for (size_t i = 0; i < FENCE_CFG_KEY_COUNT; i++) {
        const config_field *f = &config_fields[i];
        int r = 0;

        switch (f->type) {
        case FENCE_TYPE_STRING: {
            const char *s = *CONFIG_FIELD_PTR(src, f, char *const);
            if (s && !(*CONFIG_FIELD_PTR(cfg, f, char *) = strdup(s)))
                r = -ENOMEM;
            break;
        }
        case FENCE_TYPE_BOOL:
            *CONFIG_FIELD_PTR(cfg, f, bool) = *CONFIG_FIELD_PTR(src, f, const bool);
            break;
        case FENCE_TYPE_TRISTATE:
            *CONFIG_FIELD_PTR(cfg, f, tristate) = *CONFIG_FIELD_PTR(src, f, const tristate);
            break;
        case FENCE_TYPE_INT:
            *CONFIG_FIELD_PTR(cfg, f, int) = *CONFIG_FIELD_PTR(src, f, const int);
            break;
        case FENCE_TYPE_STRING_LIST:
            r = strv_copy(CONFIG_FIELD_PTR(cfg, f, strv), CONFIG_FIELD_PTR(src, f, const strv));
            break;
        case FENCE_TYPE_INT_LIST:
            r = intv_copy(CONFIG_FIELD_PTR(cfg, f, intv), CONFIG_FIELD_PTR(src, f, const intv));
            break;
        }
        if (r < 0) {
            fence_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

FENCE_API int fence_config_get_bool(const fence_config *cfg, fence_config_key key) {
    const config_field *f = field_of(key, FENCE_TYPE_BOOL);

    if (cfg && f)
        return *CONFIG_FIELD_PTR(cfg, f, const bool) ? 1 : 0;
    f = field_of(key, FENCE_TYPE_TRISTATE);
    if (cfg && f)
        return *CONFIG_FIELD_PTR(cfg, f, const tristate);
    return 0;
}

FENCE_API const char *fence_config_get_string(const fence_config *cfg, fence_config_key key) {
    const config_field *f = field_of(key, FENCE_TYPE_STRING);

    return cfg && f ? *CONFIG_FIELD_PTR(cfg, f, char *const) : NULL;
}

FENCE_API long fence_config_get_int(const fence_config *cfg, fence_config_key key) {
    const config_field *f = field_of(key, FENCE_TYPE_INT);

    return cfg && f ? *CONFIG_FIELD_PTR(cfg, f, const int) : 0;
}

FENCE_API size_t fence_config_get_list_len(const fence_config *cfg, fence_config_key key) {
    const config_field *f = field_of(key, FENCE_TYPE_STRING_LIST);

    if (cfg && f)
        return CONFIG_FIELD_PTR(cfg, f, const strv)->n;
    f = field_of(key, FENCE_TYPE_INT_LIST);
    if (cfg && f)
        return CONFIG_FIELD_PTR(cfg, f, const intv)->n;
    return 0;
}

FENCE_API const char *fence_config_get_list_string(const fence_config *cfg, fence_config_key key,
                                                   size_t i) {
    const config_field *f = field_of(key, FENCE_TYPE_STRING_LIST);
    const strv *l;

    if (!cfg || !f)
        return NULL;
    l = CONFIG_FIELD_PTR(cfg, f, const strv);
    return i < l->n ? l->v[i] : NULL;
}

FENCE_API long fence_config_get_list_int(const fence_config *cfg, fence_config_key key, size_t i) {
    const config_field *f = field_of(key, FENCE_TYPE_INT_LIST);
    const intv *l;

    if (!cfg || !f)
        return 0;
    l = CONFIG_FIELD_PTR(cfg, f, const intv);
    return i < l->n ? l->v[i] : 0;
}

FENCE_API int fence_config_set_bool(fence_config *cfg, fence_config_key key, int value) {
    const config_field *f;

    if (!cfg)
        return -FENCE_E_INVAL;
    f = field_of(key, FENCE_TYPE_BOOL);
    if (f && (value == 0 || value == 1)) {
        *CONFIG_FIELD_PTR(cfg, f, bool) = value;
        return 0;
    }
    f = field_of(key, FENCE_TYPE_TRISTATE);
    if (f && (value == FENCE_UNSET || value == 0 || value == 1)) {
        *CONFIG_FIELD_PTR(cfg, f, tristate) = (tristate) value;
        return 0;
    }
    return -FENCE_E_INVAL;
}

FENCE_API int fence_config_set_string(fence_config *cfg, fence_config_key key, const char *value) {
    const config_field *f = field_of(key, FENCE_TYPE_STRING);
    char *copy = NULL;

    if (!cfg || !f)
        return -FENCE_E_INVAL;
    if (value && !(copy = strdup(value)))
        return -FENCE_E_NOMEM;
    free(*CONFIG_FIELD_PTR(cfg, f, char *));
    *CONFIG_FIELD_PTR(cfg, f, char *) = copy;
    return 0;
}

FENCE_API int fence_config_set_int(fence_config *cfg, fence_config_key key, long value) {
    const config_field *f = field_of(key, FENCE_TYPE_INT);

    if (!cfg || !f || value < -2147483647L - 1 || value > 2147483647L)
        return -FENCE_E_INVAL;
    *CONFIG_FIELD_PTR(cfg, f, int) = (int) value;
    return 0;
}

FENCE_API int fence_config_list_append_string(fence_config *cfg, fence_config_key key,
                                              const char *value) {
    const config_field *f = field_of(key, FENCE_TYPE_STRING_LIST);

    if (!cfg || !f || !value)
        return -FENCE_E_INVAL;
    return strv_push(CONFIG_FIELD_PTR(cfg, f, strv), value) < 0 ? -FENCE_E_NOMEM : 0;
}

FENCE_API int fence_config_list_append_int(fence_config *cfg, fence_config_key key, long value) {
    const config_field *f = field_of(key, FENCE_TYPE_INT_LIST);

    if (!cfg || !f || value < -2147483647L - 1 || value > 2147483647L)
        return -FENCE_E_INVAL;
    return intv_push(CONFIG_FIELD_PTR(cfg, f, intv), (int) value) < 0 ? -FENCE_E_NOMEM : 0;
}

FENCE_API int fence_config_list_clear(fence_config *cfg, fence_config_key key) {
    const config_field *f;

    if (!cfg)
        return -FENCE_E_INVAL;
    if ((f = field_of(key, FENCE_TYPE_STRING_LIST))) {
        strv_done(CONFIG_FIELD_PTR(cfg, f, strv));
        return 0;
    }
    if ((f = field_of(key, FENCE_TYPE_INT_LIST))) {
        intv_done(CONFIG_FIELD_PTR(cfg, f, intv));
        return 0;
    }
    return -FENCE_E_INVAL;
}
