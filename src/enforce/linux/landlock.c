/* SPDX-License-Identifier: MIT */
/*
 * Landlock plan (pure data, built in the supervisor) and its application in the workload child.
 * See landlock.h for the contract; this file holds the ABI-dependent rights computation, the
 * ruleset construction and the -d dump.
 */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "landlock-abi.h"
#include "util/cleanup.h"
#include "util/error.h"

#define FS_ABI1                                                                                    \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |   \
     LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |                                 \
     LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |   \
     LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

#define TIER_READ_RIGHTS                                                                           \
    (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE)
#define TIER_EXECUTE_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE)
#define TIER_WRITE_RIGHTS   ((FS_ABI1 | LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE))
#define TIER_DEVICE_RIGHTS  (TIER_WRITE_RIGHTS | LANDLOCK_ACCESS_FS_IOCTL_DEV)

static const char *const tier_names[LANDLOCK_TIER_MAX] = {
        [LANDLOCK_TIER_READ] = "read",
        [LANDLOCK_TIER_EXECUTE] = "execute",
        [LANDLOCK_TIER_WRITE] = "write",
        [LANDLOCK_TIER_DEVICE] = "device",
};

static const uint64_t tier_rights[LANDLOCK_TIER_MAX] = {
        [LANDLOCK_TIER_READ] = TIER_READ_RIGHTS,
        [LANDLOCK_TIER_EXECUTE] = TIER_EXECUTE_RIGHTS,
        [LANDLOCK_TIER_WRITE] = TIER_WRITE_RIGHTS,
        [LANDLOCK_TIER_DEVICE] = TIER_DEVICE_RIGHTS,
};

/* Filesystem rights the kernel of a given ABI understands (and that fence therefore handles:
 * every right the kernel knows is denied unless a rule grants it). */
static uint64_t fs_handled(int abi) {
    uint64_t r;

    if (abi < 1)
        return 0;
    r = FS_ABI1;
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return r;
}

static uint64_t net_handled(const landlock_plan *p, int abi) {
    if (!p->handle_net || abi < 4)
        return 0;
    return LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
}

static uint64_t scopes_handled(const landlock_plan *p, int abi) {
    uint64_t s = 0;

    if (abi < 6)
        return 0;
    if (p->scopes & LANDLOCK_PLAN_SCOPE_ABSTRACT_UNIX)
        s |= LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
    if (p->scopes & LANDLOCK_PLAN_SCOPE_SIGNAL)
        s |= LANDLOCK_SCOPE_SIGNAL;
    return s;
}

uint64_t landlock_tier_rights(unsigned tiers, int abi, bool is_dir) {
    uint64_t r = 0;

    for (int t = 0; t < LANDLOCK_TIER_MAX; t++)
        if (tiers & (1u << t))
            r |= tier_rights[t];
    r &= fs_handled(abi);
    if (!is_dir)
        r &= LANDLOCK_ACCESS_FS_FILE_MASK;
    return r;
}

int landlock_plan_add_path(landlock_plan *p, const char *path, landlock_tier tier) {
    landlock_path_rule *n;
    char *copy;

    if (!path || path[0] != '/' || (unsigned) tier >= LANDLOCK_TIER_MAX)
        return -EINVAL;
    for (size_t i = 0; i < p->n_paths; i++)
        if (streq(p->paths[i].path, path)) {
            p->paths[i].tiers |= 1u << tier;
            return 0;
        }
    if (p->n_paths >= LANDLOCK_PLAN_MAX_PATHS)
        return -E2BIG;
    copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    n = realloc(p->paths, (p->n_paths + 1) * sizeof(*n));
    if (!n) {
        free(copy);
        return -ENOMEM;
    }
    p->paths = n;
    p->paths[p->n_paths++] = (landlock_path_rule){.path = copy, .tiers = 1u << tier};
    return 0;
}

int landlock_plan_add_port(landlock_plan *p, bool bind, uint16_t port) {
    uint16_t **v = bind ? &p->bind_ports : &p->connect_ports;
    size_t *n = bind ? &p->n_bind_ports : &p->n_connect_ports;
    uint16_t *nv;

    for (size_t i = 0; i < *n; i++)
        if ((*v)[i] == port)
            return 0;
    if (*n >= LANDLOCK_PLAN_MAX_PORTS)
        return -E2BIG;
    nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    nv[(*n)++] = port;
    *v = nv;
    return 0;
}

size_t landlock_plan_check_paths(landlock_plan *p) {
    size_t n = 0;

    for (size_t i = 0; i < p->n_paths; i++) {
        struct stat st;

        p->paths[i].missing = stat(p->paths[i].path, &st) < 0;
        n += p->paths[i].missing;
    }
    return n;
}

void landlock_plan_done(landlock_plan *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n_paths; i++)
        free(p->paths[i].path);
    free(p->paths);
    free(p->bind_ports);
    free(p->connect_ports);
    *p = LANDLOCK_PLAN_INIT;
}

int landlock_abi(void) {
    int abi = landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

    return abi < 0 ? -errno : abi;
}

/* ---------------------------------------------------------------------------------------------
 * Apply (child side): no allocation, every fd closed before returning.
 */

static bool skippable_open_error(int e) {
    /* A path that is not there in the sandbox's view (or not reachable by this uid) cannot be
     * accessed through it either, so dropping its rule grants nothing. */
    return e == ENOENT || e == ENOTDIR || e == EACCES || e == ELOOP;
}

static int add_path_rules(int ruleset, const landlock_plan *p, int abi, landlock_skip_fn on_skip,
                          void *userdata, fence_error *err) {
    for (size_t i = 0; i < p->n_paths; i++) {
        const landlock_path_rule *rule = &p->paths[i];
        struct landlock_path_beneath_attr attr;
        _cleanup_close_ int fd = -1;
        struct stat st;

        /* O_PATH follows symlinks (merged-/usr systems have /bin -> usr/bin): the rule lands on
         * the inode the name leads to now. Mounts are the first layer against planted links;
         * a rule can never grant more than the mount under it allows (read-only stays EROFS). */
        fd = open(rule->path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
            if (skippable_open_error(errno)) {
                if (on_skip)
                    on_skip(userdata, i, errno);
                continue;
            }
            return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: open '%s'", rule->path);
        }
        if (fstat(fd, &st) < 0)
            return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: stat '%s'", rule->path);
        attr.allowed_access = landlock_tier_rights(rule->tiers, abi, S_ISDIR(st.st_mode));
        attr.parent_fd = fd;
        if (attr.allowed_access == 0)
            continue;
        if (landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) < 0)
            return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: rule %zu on '%s'", i,
                                   rule->path);
    }
    return 0;
}

/* landlock_plan.std_fds: a rule on the very file behind each of fds 0-2 (pipes and sockets
 * are not path-checked and need none), with only the access that fd was opened with. */
static int add_std_fd_rules(int ruleset, int abi, fence_error *err) {
    for (int fd = 0; fd < 3; fd++) {
        struct landlock_path_beneath_attr attr = {0};
        _cleanup_close_ int file = -1;
        char path[32];
        struct stat st;
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || (fl & O_PATH) || fstat(fd, &st) < 0 ||
            !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
            continue;
        if ((fl & O_ACCMODE) != O_WRONLY)
            attr.allowed_access |= LANDLOCK_ACCESS_FS_READ_FILE;
        if ((fl & O_ACCMODE) != O_RDONLY)
            attr.allowed_access |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
        if (S_ISCHR(st.st_mode))
            attr.allowed_access |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
        attr.allowed_access &= fs_handled(abi);
        /* the sandbox's own /proc: the magic link leads to the file itself */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        file = open(path, O_PATH | O_CLOEXEC);
        if (file < 0 || attr.allowed_access == 0)
            continue;
        attr.parent_fd = file;
        if (landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) < 0)
            return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: rule on fd %d", fd);
    }
    return 0;
}

static int add_port_rules(int ruleset, const uint16_t *ports, size_t n, uint64_t right,
                          fence_error *err) {
    for (size_t i = 0; i < n; i++) {
        struct landlock_net_port_attr attr = {.allowed_access = right, .port = ports[i]};

        if (landlock_add_rule(ruleset, LANDLOCK_RULE_NET_PORT, &attr, 0) < 0)
            return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: tcp %s port %u",
                                   right == LANDLOCK_ACCESS_NET_BIND_TCP ? "bind" : "connect",
                                   ports[i]);
    }
    return 0;
}

int landlock_apply(const landlock_plan *p, landlock_skip_fn on_skip, void *userdata,
                   fence_error *err) {
    struct landlock_ruleset_attr attr = {0};
    _cleanup_close_ int ruleset = -1;
    uint32_t flags = 0;
    size_t attr_size;
    int abi, r;

    abi = landlock_abi();
    if (abi < 0)
        return fence_error_set(err, FENCE_E_UNSUPPORTED, -abi,
                               "landlock: not available on this kernel");
    attr.handled_access_fs = fs_handled(abi);
    attr.handled_access_net = net_handled(p, abi);
    attr.scoped = scopes_handled(p, abi);
    /* Pass only the prefix of the struct this ABI knows (older kernels reject unknown fields
     * only when non-zero, but a short struct is what they were built for). */
    attr_size = abi >= 6   ? sizeof(attr)
                : abi >= 4 ? offsetof(struct landlock_ruleset_attr, scoped)
                           : offsetof(struct landlock_ruleset_attr, handled_access_net);

    ruleset = landlock_create_ruleset(&attr, attr_size, 0);
    if (ruleset < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: create ruleset (ABI %d)",
                               abi);
    r = add_path_rules(ruleset, p, abi, on_skip, userdata, err);
    if (r >= 0 && p->std_fds)
        r = add_std_fd_rules(ruleset, abi, err);
    if (r < 0)
        return r;
    if (attr.handled_access_net) {
        r = add_port_rules(ruleset, p->bind_ports, p->n_bind_ports, LANDLOCK_ACCESS_NET_BIND_TCP,
                           err);
        if (r < 0)
            return r;
        r = add_port_rules(ruleset, p->connect_ports, p->n_connect_ports,
                           LANDLOCK_ACCESS_NET_CONNECT_TCP, err);
        if (r < 0)
            return r;
    }
    /* Required without CAP_SYS_ADMIN; the engine sets it earlier too (idempotent). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: set no_new_privs");
    if (p->audit_log && abi >= 7)
        flags |= LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON;
    if (landlock_restrict_self(ruleset, flags) < 0)
        return fence_error_set(err, FENCE_E_SANDBOX, errno, "landlock: restrict self (ABI %d)",
                               abi);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Dump
 */

/* "read+write" for a tier set; buf holds every tier name joined (well under 64 bytes). */
static const char *tiers_label(unsigned tiers, char buf[static 64]) {
    size_t n = 0;

    buf[0] = '\0';
    for (int t = 0; t < LANDLOCK_TIER_MAX; t++) {
        if (!(tiers & (1u << t)))
            continue;
        n += (size_t) snprintf(buf + n, 64 - n, "%s%s", n ? "+" : "", tier_names[t]);
    }
    return buf;
}

static int dump_ports(const char *what, const uint16_t *ports, size_t n, fbuf *out) {
    int r = fbuf_printf(out, "  tcp %-9s", what);

    if (r >= 0 && n == 0)
        r = fbuf_puts(out, "none");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = fbuf_printf(out, "%s%u", i ? ", " : "", ports[i]);
    return r < 0 ? r : fbuf_putc(out, '\n');
}

static int dump_notes(const landlock_plan *p, int abi, fbuf *out) {
    int r = 0;

    if (abi < 2)
        r = fbuf_puts(out, "  note: ABI < 2 has no REFER right: links and renames across "
                           "directories are refused everywhere\n");
    if (r >= 0 && abi < 3)
        r = fbuf_puts(out, "  note: ABI < 3: truncate() is not restricted\n");
    if (r >= 0 && abi < 5)
        r = fbuf_puts(out, "  note: ABI < 5: device ioctls are not restricted\n");
    if (r >= 0 && p->handle_net && abi < 4)
        r = fbuf_puts(out, "  note: ABI < 4: TCP port rules are not enforced\n");
    if (r >= 0 && p->scopes && abi < 6)
        r = fbuf_puts(out, "  note: ABI < 6: scopes are not enforced\n");
    return r;
}

int landlock_plan_dump(const landlock_plan *p, int abi, fbuf *out) {
    uint64_t scoped = scopes_handled(p, abi);
    int r;

    if (abi <= 0)
        r = fbuf_puts(out, "landlock: unavailable on this kernel; rules not applied:\n");
    else
        r = fbuf_printf(
                out,
                "landlock: ABI %d, %d filesystem rights handled, tcp %s, scopes %s%s%s, "
                "audit log %s\n",
                abi, __builtin_popcountll(fs_handled(abi)),
                net_handled(p, abi) ? "bind+connect restricted" : "unrestricted",
                scoped ? "" : "none",
                scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET ? "abstract-unix" : "",
                scoped & LANDLOCK_SCOPE_SIGNAL
                        ? (scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET ? "+signal" : "signal")
                        : "",
                p->audit_log && abi >= 7 ? "on" : "off");
    for (size_t i = 0; r >= 0 && i < p->n_paths; i++) {
        char label[64];

        r = fbuf_printf(out, "  %-14s %s%s\n", tiers_label(p->paths[i].tiers, label),
                        p->paths[i].path, p->paths[i].missing ? "  (not present: skipped)" : "");
    }
    if (r >= 0 && p->std_fds)
        r = fbuf_puts(out, "  the files of fds 0-2 (if not pipes or sockets), with their fd's "
                           "access\n");
    if (r >= 0 && p->handle_net) {
        r = dump_ports("bind:", p->bind_ports, p->n_bind_ports, out);
        if (r >= 0)
            r = dump_ports("connect:", p->connect_ports, p->n_connect_ports, out);
    }
    if (r >= 0 && abi > 0)
        r = dump_notes(p, abi, out);
    return r;
}
