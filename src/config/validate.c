/* SPDX-License-Identifier: MIT */
/*
 * Config validation (spec §4.6). Rule order and message texts follow the Go tool's
 * Config.Validate(), so that the first error reported is the same one; each message is
 * located at the offending value through the source map. See validate.h.
 */
#include "config/validate.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/path.h"

/* ---- Go %q ------------------------------------------------------------------------------- */

static bool rune_printable(uint32_t r) {
    if (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0xa0) || r == 0xad)
        return false;
    if ((r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
        (r >= 0x205f && r <= 0x206f) || r == 0x3000 || r == 0xfeff ||
        (r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe000 && r <= 0xf8ff))
        return false;
    if (r == 0x1680 || r == 0x180e || (r & 0xfffe) == 0xfffe || r >= 0xf0000)
        return false; /* a space, a format character, non-characters, planes 15-16 private use */
    return true;
}

char *config_quote(char *buf, size_t size, const char *str) {
    const unsigned char *s = (const unsigned char *) str;
    size_t w = 0;

#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(buf + w, size - w, __VA_ARGS__);                                         \
        if (k_ < 0 || (size_t) k_ >= size - w)                                                     \
            goto truncated;                                                                        \
        w += (size_t) k_;                                                                          \
    } while (0)

    if (size == 0)
        return buf;
    buf[0] = '\0';
    PUT("\"");
    while (*s) {
        uint32_t r;
        size_t k = jsonc_utf8_decode(s, SIZE_MAX, &r);

        if (k == 0) {
            PUT("\\x%02x", s[0]);
            s++;
            continue;
        }
        if (r == '"' || r == '\\')
            PUT("\\%c", (char) r);
        else if (rune_printable(r))
            PUT("%.*s", (int) k, (const char *) s);
        else if (r == '\a')
            PUT("\\a");
        else if (r == '\b')
            PUT("\\b");
        else if (r == '\f')
            PUT("\\f");
        else if (r == '\n')
            PUT("\\n");
        else if (r == '\r')
            PUT("\\r");
        else if (r == '\t')
            PUT("\\t");
        else if (r == '\v')
            PUT("\\v");
        else if (r < 0x20 || r == 0x7f)
            PUT("\\x%02x", r);
        else if (r < 0x10000)
            PUT("\\u%04x", r);
        else
            PUT("\\U%08x", r);
        s += k;
    }
    PUT("\"");
    return buf;
truncated:
    /* keep the result recognisable as cut short */
    if (size >= 5)
        memcpy(buf + size - 5, "...\"", 5);
    else
        buf[size - 1] = '\0';
    return buf;
#undef PUT
}

/* ---- rules -------------------------------------------------------------------------------- */

typedef struct checker {
    const config_srcmap *map;
    config_diag *diag;
} checker;

static int fail(checker *c, jsonc_pos pos, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(checker *c, jsonc_pos pos, const char *fmt, ...) {
    va_list ap;

    c->diag->kind = CONFIG_DIAG_INVALID;
    c->diag->pos = pos;
    va_start(ap, fmt);
    vsnprintf(c->diag->msg, sizeof(c->diag->msg), fmt, ap);
    va_end(ap);
    return -FENCE_E_CONFIG;
}

static const char *domain_error(const char *p) {
    size_t n = strlen(p);

    if (strcmp(p, "localhost") == 0)
        return NULL;
    if (strstr(p, "://") || strchr(p, '/') || strchr(p, ':'))
        return "domain pattern cannot contain protocol, path, or port";
    if (strcmp(p, "*") == 0)
        return NULL;
    if (strncmp(p, "*.", 2) == 0) {
        const char *d = p + 2;
        size_t dn = n - 2;

        if (!strchr(d, '.'))
            return "wildcard pattern too broad (e.g., *.com not allowed)";
        if (d[0] == '.' || d[dn - 1] == '.' || strstr(d, ".."))
            return "invalid domain format";
        return NULL;
    }
    if (strchr(p, '*'))
        return "only *.domain.com wildcard patterns are allowed";
    if (!strchr(p, '.') || p[0] == '.' || p[n - 1] == '.')
        return "invalid domain format";
    return NULL;
}

static const char *mach_error(const char *p) {
    size_t n = strlen(p);

    if (n == 0)
        return "empty Mach service pattern";
    if (strcmp(p, "*") == 0)
        return NULL;
    /* strings.TrimSuffix(p, "*") removes one star; any star left is an error */
    if (p[n - 1] == '*')
        n--;
    if (n == 0 || memchr(p, '*', n))
        return "wildcards are only allowed as a single trailing '*'";
    return NULL;
}

static size_t count_char(const char *s, char ch) {
    size_t n = 0;

    for (; *s; s++)
        n += *s == ch;
    return n;
}

static const char *host_error(const char *p) {
    if (!*p)
        return "empty host pattern";
    if (strstr(p, "://") || strchr(p, '/'))
        return "host pattern cannot contain protocol or path";
    if (strchr(p, ':') && !strstr(p, "::") && count_char(p, ':') < 2)
        return "host pattern cannot contain port; specify port in SSH command instead";
    if (strchr(p, '@'))
        return "host pattern should not contain username; specify just the host";
    return NULL;
}

/* The subset of Go's url.Parse that decides the upstreamProxy messages: the scheme (letters,
 * then letters, digits, '+', '-', '.'), and the host of the authority (userinfo and port
 * stripped; a bracketed IPv6 literal; a non-numeric port is an error). Writes the message. */
static bool upstream_error(const char *u, char *msg, size_t size) {
    char q[160], scheme[64];
    const char *colon, *auth, *end, *host, *host_end;
    size_t sl;

    if (!strstr(u, "://")) {
        snprintf(msg, size, "missing scheme: URL must start with http:// (got %s)",
                 config_quote(q, sizeof(q), u));
        return true;
    }
    for (const unsigned char *s = (const unsigned char *) u; *s; s++)
        if (*s < 0x20 || *s == 0x7f) {
            snprintf(msg, size, "invalid URL: parse %s: net/url: invalid control character in URL",
                     config_quote(q, sizeof(q), u));
            return true;
        }
    colon = strchr(u, ':');
    sl = (size_t) (colon - u);
    if (sl == 0) {
        snprintf(msg, size, "invalid URL: parse %s: missing protocol scheme",
                 config_quote(q, sizeof(q), u));
        return true;
    }
    /* a first character that is not a letter means "no scheme" for url.Parse */
    for (size_t i = 0; i < sl; i++) {
        char ch = u[i];
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        bool other = (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';

        if (!letter && !(other && i > 0)) {
            sl = 0;
            break;
        }
    }
    snprintf(scheme, sizeof(scheme), "%.*s", (int) (sl < sizeof(scheme) ? sl : 0), u);
    if (sl == 0 || strcasecmp(scheme, "http") != 0) {
        snprintf(msg, size,
                 "scheme %s is not supported; only http:// upstream proxies are supported",
                 config_quote(q, sizeof(q), sl ? scheme : ""));
        return true;
    }
    auth = colon + 3; /* "http://" */
    end = auth + strcspn(auth, "/?#");
    host = auth;
    for (const char *s = auth; s < end; s++)
        if (*s == '@')
            host = s + 1;
    if (*host == '[') {
        const char *rb = memchr(host, ']', (size_t) (end - host));

        if (!rb) {
            snprintf(msg, size, "invalid URL: parse %s: missing ']' in host",
                     config_quote(q, sizeof(q), u));
            return true;
        }
        host_end = rb + 1;
    } else {
        host_end = memchr(host, ':', (size_t) (end - host));
        if (!host_end)
            host_end = end;
    }
    if (host_end < end) {
        /* Go's validOptionalPort: ':' followed by digits only */
        bool ok = *host_end == ':';

        for (const char *s = host_end + 1; ok && s < end; s++)
            ok = *s >= '0' && *s <= '9';
        if (!ok) {
            char port[48], pq[64];

            snprintf(port, sizeof(port), "%.*s", (int) (end - host_end), host_end);
            snprintf(msg, size, "invalid URL: parse %s: invalid port %s after host",
                     config_quote(q, sizeof(q), u), config_quote(pq, sizeof(pq), port));
            return true;
        }
    }
    if (host_end == host || (host[0] == '[' && host_end - host <= 2)) {
        snprintf(msg, size, "URL has no host");
        return true;
    }
    return false;
}

/* "invalid <what> <value>: <reason>" for the first element of list `key` that rule() rejects. */
static int check_list(checker *c, const struct fence_config *cfg, fence_config_key key,
                      const char *what, const char *(*rule)(const char *) ) {
    const strv *l = CONFIG_FIELD_PTR(cfg, &config_fields[key], const strv);
    char q[300];

    for (size_t i = 0; i < l->n; i++) {
        const char *e = rule(l->v[i]);

        if (e)
            return fail(c, config_srcmap_item(c->map, key, i), "invalid %s %s: %s", what,
                        config_quote(q, sizeof(q), l->v[i]), e);
    }
    return 0;
}

/* "<path> contains empty <what>" for the first empty string of a list. */
static int check_nonempty(checker *c, const struct fence_config *cfg, fence_config_key key,
                          const char *what) {
    const strv *l = CONFIG_FIELD_PTR(cfg, &config_fields[key], const strv);

    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i][0])
            return fail(c, config_srcmap_item(c->map, key, i), "%s contains empty %s",
                        config_fields[key].path, what);
    return 0;
}

static int check_network(checker *c, const struct fence_config *cfg) {
    const char *up = cfg->network.upstream_proxy, *act = cfg->network.default_action;
    const intv *ports = &cfg->network.allow_local_outbound_ports;
    char q[300], msg[300];
    int r;

    if ((r = check_list(c, cfg, FENCE_CFG_NETWORK_ALLOWED_DOMAINS, "allowed domain",
                        domain_error)) < 0 ||
        (r = check_list(c, cfg, FENCE_CFG_NETWORK_DENIED_DOMAINS, "denied domain", domain_error)) <
                0)
        return r;
    if (up && *up && upstream_error(up, msg, sizeof(msg)))
        return fail(c, config_srcmap_field(c->map, FENCE_CFG_NETWORK_UPSTREAM_PROXY),
                    "invalid network.upstreamProxy: %s", msg);
    if (act && *act && strcmp(act, "deny") != 0) {
        jsonc_pos pos = config_srcmap_field(c->map, FENCE_CFG_NETWORK_DEFAULT_ACTION);

        if (strcmp(act, "proxy") != 0)
            return fail(c, pos, "invalid network.defaultAction %s: must be \"deny\" or \"proxy\"",
                        config_quote(q, sizeof(q), act));
        if (!up || !*up)
            return fail(c, pos,
                        "network.defaultAction \"proxy\" requires network.upstreamProxy to be set");
    }
    for (size_t i = 0; i < ports->n; i++)
        if (ports->v[i] < 1 || ports->v[i] > 65535)
            return fail(c,
                        config_srcmap_item(c->map, FENCE_CFG_NETWORK_ALLOW_LOCAL_OUTBOUND_PORTS, i),
                        "invalid network.allowLocalOutboundPorts entry %d (expected 1-65535)",
                        ports->v[i]);
    return 0;
}

static int check_devices(checker *c, const struct fence_config *cfg) {
    const char *mode = cfg->devices.mode;
    const strv *allow = &cfg->devices.allow;
    char q[300];
    int r;

    if (mode && *mode && strcmp(mode, "auto") != 0 && strcmp(mode, "minimal") != 0 &&
        strcmp(mode, "host") != 0)
        return fail(c, config_srcmap_field(c->map, FENCE_CFG_DEVICES_MODE),
                    "invalid devices.mode %s (expected one of: auto, minimal, host)",
                    config_quote(q, sizeof(q), mode));
    if ((r = check_nonempty(c, cfg, FENCE_CFG_DEVICES_ALLOW, "path")) < 0)
        return r;
    for (size_t i = 0; i < allow->n; i++) {
        _cleanup_free_ char *clean = path_clean(allow->v[i]);
        jsonc_pos pos = config_srcmap_item(c->map, FENCE_CFG_DEVICES_ALLOW, i);

        if (!clean) {
            c->diag->kind = CONFIG_DIAG_NONE;
            snprintf(c->diag->msg, sizeof(c->diag->msg), "out of memory");
            return -FENCE_E_NOMEM;
        }
        if (strcmp(clean, "/dev") == 0)
            return fail(c, pos,
                        "devices.allow path %s is too broad; use devices.mode \"host\" instead",
                        config_quote(q, sizeof(q), allow->v[i]));
        if (strncmp(clean, "/dev/", 5) != 0)
            return fail(c, pos, "devices.allow path %s must be under /dev/",
                        config_quote(q, sizeof(q), allow->v[i]));
    }
    return 0;
}

int config_check(const struct fence_config *cfg, const config_srcmap *map, config_diag *diag) {
    static const fence_config_key fs_lists[] = {
            FENCE_CFG_FILESYSTEM_ALLOW_READ, FENCE_CFG_FILESYSTEM_ALLOW_EXECUTE,
            FENCE_CFG_FILESYSTEM_DENY_READ,  FENCE_CFG_FILESYSTEM_ALLOW_WRITE,
            FENCE_CFG_FILESYSTEM_DENY_WRITE,
    };
    const char *policy = cfg->command.runtime_exec_policy;
    checker c = {.map = map, .diag = diag};
    char q[300];
    int r;

    if ((r = check_network(&c, cfg)) < 0)
        return r;
    if ((r = check_list(&c, cfg, FENCE_CFG_MACOS_MACH_LOOKUP, "macos.mach.lookup entry",
                        mach_error)) < 0 ||
        (r = check_list(&c, cfg, FENCE_CFG_MACOS_MACH_REGISTER, "macos.mach.register entry",
                        mach_error)) < 0)
        return r;
    for (size_t i = 0; i < ARRAY_SIZE(fs_lists); i++)
        if ((r = check_nonempty(&c, cfg, fs_lists[i], "path")) < 0)
            return r;
    if ((r = check_devices(&c, cfg)) < 0)
        return r;
    if ((r = check_nonempty(&c, cfg, FENCE_CFG_COMMAND_DENY, "command")) < 0 ||
        (r = check_nonempty(&c, cfg, FENCE_CFG_COMMAND_ALLOW, "command")) < 0)
        return r;
    if (policy && *policy && strcmp(policy, "path") != 0 && strcmp(policy, "argv") != 0)
        return fail(&c, config_srcmap_field(map, FENCE_CFG_COMMAND_RUNTIME_EXEC_POLICY),
                    "invalid command.runtimeExecPolicy %s (expected one of: path, argv)",
                    config_quote(q, sizeof(q), policy));
    if ((r = check_list(&c, cfg, FENCE_CFG_SSH_ALLOWED_HOSTS, "ssh.allowedHosts", host_error)) <
                0 ||
        (r = check_list(&c, cfg, FENCE_CFG_SSH_DENIED_HOSTS, "ssh.deniedHosts", host_error)) < 0)
        return r;
    if ((r = check_nonempty(&c, cfg, FENCE_CFG_SSH_ALLOWED_COMMANDS, "command")) < 0 ||
        (r = check_nonempty(&c, cfg, FENCE_CFG_SSH_DENIED_COMMANDS, "command")) < 0)
        return r;
    return 0;
}

FENCE_API int fence_config_validate(const fence_config *cfg, fence_error *err) {
    config_diag diag = {0};
    int r;

    if (!cfg)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no config given");
    r = config_check(cfg, NULL, &diag);
    if (r == -FENCE_E_NOMEM)
        return fence_error_set(err, FENCE_E_NOMEM, 0, "out of memory");
    if (r < 0)
        return fence_error_set(err, FENCE_E_CONFIG, 0, "invalid configuration: %s", diag.msg);
    return 0;
}
