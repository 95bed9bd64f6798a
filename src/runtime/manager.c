/* SPDX-License-Identifier: MIT */
/*
 * fence_manager: one policy, the options of a run, and the sandbox runs made with it.
 *
 * A run is: probe the host, build the plan (mounts, Landlock rules, seccomp filter,
 * environment, shell argv, terminal mode), check that the host can enforce it (fail closed
 * unless the caller accepted a named weaker level), spawn the sandbox, and supervise it on
 * the manager's event loop until it exits. fence_manager_describe() builds the same plan and
 * renders it instead of running it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "config/config.h"
#include "enforce/linux/features.h"
#include "enforce/linux/landlock.h"
#include "enforce/linux/mntplan.h"
#include "enforce/linux/probe.h"
#include "enforce/linux/seccomp.h"
#include "enforce/linux/spawn.h"
#include "policy/check.h"
#include "policy/fspol.h"
#include "runtime/broker.h"
#include "runtime/evloop.h"
#include "runtime/execplan.h"
#include "runtime/netrun.h"
#include "runtime/rlog.h"
#include "runtime/supervise.h"
#include "runtime/unotify.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/path.h"
#include "util/strv.h"

extern char **environ;

/* Limits on what the API accepts. */
#define MANAGER_MAX_EXPOSED  256
#define DESCRIBE_MAX_BYTES   (4u << 20)
#define COMMAND_MAX_BYTES    (1u << 20)

struct fence_manager {
    fence_config *cfg;
    cmdpol *pol; /* the command policy, compiled once */
    rlog log;
    strv expose_ro, expose_rw;
    char *shell_mode; /* NULL = "default" */
    bool shell_login;
    int force_new_session; /* FENCE_UNSET, 0, 1 */
    char *workdir;
    unsigned allow_degraded;
    fence_execution_model model;
    evloop *loop;
    netrun_expose expose[NETRUN_MAX_EXPOSED]; /* -p */
    size_t n_expose;
    char *dns_servers; /* NULL: the system resolver */
};

/* Everything one run needs, built in the supervisor before anything is forked. */
typedef struct run_plan {
    host_facts facts;
    mntplan *mounts;
    landlock_plan landlock;
    bool use_landlock;
    int landlock_abi;
    seccomp_plan seccomp;
    seccomp_prog *prog;
    bool use_seccomp;
    char *shell;
    const char *shell_flag;
    char *argv[4];
    strv env;
    strv stripped;
    bool pty, new_session;
    int tty_fd;
    bool netns;
    bool broker;
    execplan exec; /* runtime exec policy: path masks or argv mode */
    strv banners;  /* weaker levels in effect and exec-deny warnings, printed once */
    netrun_plan net;
    directexec direct; /* the command run without the shell when bash would only exec it */
    bool late_denies;  /* path-mode exec denies resolved during the spawn (late_denies()) */
    const struct fence_config *deny_cfg; /* what late_denies() resolves with */
    const rlog *deny_log;
    execdeny_facts deny_facts;
    fbuf late_buf;     /* their canonical paths, NUL-terminated, for the init */
} run_plan;

static void run_plan_done(run_plan *p) {
    host_facts_done(&p->facts);
    mntplan_free(p->mounts);
    landlock_plan_done(&p->landlock);
    seccomp_prog_free(p->prog);
    free(p->shell);
    free(p->argv[2]);
    strv_done(&p->env);
    strv_done(&p->stripped);
    strv_done(&p->banners);
    execplan_done(&p->exec);
    directexec_done(&p->direct);
    fbuf_done(&p->late_buf);
    memset(p, 0, sizeof(*p));
}

/* ---------------------------------------------------------------------------------------------
 * Manager options
 */

FENCE_API int fence_manager_new(const fence_config *cfg, fence_manager **ret, fence_error *err) {
    fence_manager *m;

    if (!ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_manager_new: ret is NULL");
    m = calloc(1, sizeof(*m));
    if (!m)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating manager");
    m->cfg = cfg ? fence_config_copy(cfg) : fence_config_new();
    m->force_new_session = FENCE_UNSET;
    if (!m->cfg || cmdpol_new(m->cfg, &m->pol) < 0) {
        fence_config_free(m->cfg);
        free(m);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "copying config and command policy");
    }
    *ret = m;
    return 0;
}

FENCE_API void fence_manager_free(fence_manager *m) {
    if (!m)
        return;
    fence_manager_cleanup(m);
    fence_config_free(m->cfg);
    cmdpol_free(m->pol);
    strv_done(&m->expose_ro);
    strv_done(&m->expose_rw);
    free(m->shell_mode);
    free(m->workdir);
    free(m->dns_servers);
    free(m);
}

FENCE_API int fence_manager_set_debug(fence_manager *m, int debug) {
    if (!m)
        return -FENCE_E_INVAL;
    m->log.debug = debug != 0;
    return 0;
}

FENCE_API int fence_manager_set_monitor(fence_manager *m, int monitor) {
    if (!m)
        return -FENCE_E_INVAL;
    m->log.monitor = monitor != 0;
    return 0;
}

FENCE_API int fence_manager_set_log_callback(fence_manager *m, fence_log_fn fn, void *userdata) {
    if (!m)
        return -FENCE_E_INVAL;
    m->log.fn = fn;
    m->log.userdata = userdata;
    return 0;
}

FENCE_API int fence_manager_add_exposed_port(fence_manager *m, const char *bind_addr, int port,
                                             fence_error *err) {
    netrun_expose e;
    int r;

    if (!m)
        return -FENCE_E_INVAL;
    r = netrun_expose_parse(bind_addr, port, &e, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < m->n_expose; i++)
        if (m->expose[i].port == e.port && streq(m->expose[i].addr, e.addr))
            return 0;
    if (m->n_expose == NETRUN_MAX_EXPOSED)
        return fence_error_set(err, FENCE_E_INVAL, 0, "exposing port %d: at most %d ports", port,
                               NETRUN_MAX_EXPOSED);
    m->expose[m->n_expose++] = e;
    return 0;
}

FENCE_API int fence_manager_set_dns_servers(fence_manager *m, const char *servers,
                                            fence_error *err) {
    char *copy = NULL;

    if (!m)
        return -FENCE_E_INVAL;
    if (servers && *servers && !(copy = strdup(servers)))
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "DNS servers");
    free(m->dns_servers);
    m->dns_servers = copy;
    return 0;
}

FENCE_API int fence_manager_set_execution_model(fence_manager *m, fence_execution_model model) {
    if (!m || (model != FENCE_SERVICE_IN_SANDBOX && model != FENCE_SERVICE_ON_HOST))
        return -FENCE_E_INVAL;
    m->model = model;
    return 0;
}

FENCE_API int fence_manager_expose_host_path(fence_manager *m, const char *path, int writable,
                                             fence_error *err) {
    _cleanup_free_ char *clean = NULL;
    strv *list;
    int r;

    if (!m)
        return -FENCE_E_INVAL;
    if (!path || !*path)
        return fence_error_set(err, FENCE_E_INVAL, 0, "expose host path: empty path");
    if (m->expose_ro.n + m->expose_rw.n >= MANAGER_MAX_EXPOSED)
        return fence_error_set(err, FENCE_E_INVAL, 0, "expose host path: too many paths");
    if (path_is_abs(path)) {
        clean = path_clean(path);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return fence_error_set(err, FENCE_E_INVAL, errno, "expose host path '%s'", path);
        clean = path_join(cwd, path);
    }
    if (!clean)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "expose host path");
    list = writable ? &m->expose_rw : &m->expose_ro;
    if (strv_contains(list, clean))
        return 0;
    r = strv_push(list, clean);
    return r < 0 ? fence_error_set(err, FENCE_E_NOMEM, -r, "expose host path") : 0;
}

FENCE_API int fence_manager_set_shell(fence_manager *m, const char *mode, int login,
                                      fence_error *err) {
    char *copy = NULL;

    if (!m)
        return -FENCE_E_INVAL;
    if (mode && *mode && !streq(mode, "default") && !streq(mode, "user"))
        return fence_error_set(err, FENCE_E_INVAL, 0,
                               "invalid shell mode \"%s\" (expected \"default\" or \"user\")",
                               mode);
    if (mode && *mode && !(copy = strdup(mode)))
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "shell mode");
    free(m->shell_mode);
    m->shell_mode = copy;
    m->shell_login = login != 0;
    return 0;
}

FENCE_API int fence_manager_set_force_new_session(fence_manager *m, int value) {
    if (!m || (value != FENCE_UNSET && value != 0 && value != 1))
        return -FENCE_E_INVAL;
    m->force_new_session = value;
    return 0;
}

FENCE_API int fence_manager_set_workdir(fence_manager *m, const char *dir, fence_error *err) {
    char *copy;

    if (!m)
        return -FENCE_E_INVAL;
    if (!dir || !path_is_abs(dir))
        return fence_error_set(err, FENCE_E_INVAL, 0, "workdir must be an absolute path");
    copy = realpath(dir, NULL);
    if (!copy)
        return fence_error_set(err, FENCE_E_INVAL, errno, "workdir '%s'", dir);
    free(m->workdir);
    m->workdir = copy;
    return 0;
}

FENCE_API int fence_manager_set_allow_degraded(fence_manager *m, unsigned flags) {
    if (!m)
        return -FENCE_E_INVAL;
    m->allow_degraded = flags;
    return 0;
}

FENCE_API int fence_manager_initialize(fence_manager *m, fence_error *err) {
    int r;

    if (!m)
        return -FENCE_E_INVAL;
    if (m->loop)
        return 0;
    r = evloop_new(&m->loop);
    if (r < 0)
        return fence_error_set(err, FENCE_E_NOMEM, -r, "creating the event loop");
    return 0;
}

FENCE_API int fence_manager_http_port(const fence_manager *m) {
    return m && m->cfg->network.http_proxy_port > 0 ? m->cfg->network.http_proxy_port : 3128;
}

FENCE_API int fence_manager_socks_port(const fence_manager *m) {
    return m && m->cfg->network.socks_proxy_port > 0 ? m->cfg->network.socks_proxy_port : 1080;
}

FENCE_API void fence_manager_cleanup(fence_manager *m) {
    if (!m)
        return;
    evloop_free(m->loop);
    m->loop = NULL;
}

FENCE_API int fence_is_supported(void) {
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Planning
 */

static char *find_in_path(const char *path_env, const char *name) {
    const char *p = path_env && *path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";

    while (*p) {
        const char *e = strchrnul(p, ':');
        char buf[4096];
        int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int) (e - p), e == p ? "." : p, name);
        struct stat st;

        if (e == p)
            n = snprintf(buf, sizeof(buf), "./%s", name);
        if (n > 0 && (size_t) n < sizeof(buf) && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
            access(buf, X_OK) == 0)
            return realpath(buf, NULL);
        p = *e ? e + 1 : e;
    }
    return NULL;
}

/* §10.9 with its exact messages. */
static int select_shell(const fence_manager *m, char **env, char **ret, fence_error *err) {
    static const char *const allowed[] = {"sh", "bash", "zsh", "ksh", "dash", "fish"};
    const char *shell;
    struct stat st;
    char *p;
    bool ok = false;

    if (!m->shell_mode || streq(m->shell_mode, "default")) {
        p = find_in_path(probe_getenv(env, "PATH"), "bash");
        if (!p)
            return fence_error_set(err, FENCE_E_SPAWN, 0, "shell \"bash\" not found");
        *ret = p;
        return 0;
    }
    shell = probe_getenv(env, "SHELL");
    if (!shell || !*shell)
        return fence_error_set(err, FENCE_E_SPAWN, 0,
                               "shell mode \"user\" requires $SHELL to be set");
    if (!path_is_abs(shell))
        return fence_error_set(err, FENCE_E_SPAWN, 0,
                               "shell mode \"user\" requires absolute $SHELL path, got \"%s\"",
                               shell);
    p = strrchr(shell, '/') + 1;
    for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
        ok = ok || streq(p, allowed[i]);
    if (!ok)
        return fence_error_set(err, FENCE_E_SPAWN, 0, "shell \"%s\" from $SHELL is not allowed",
                               shell);
    if (stat(shell, &st) < 0)
        return fence_error_set(err, FENCE_E_SPAWN, errno, "shell from $SHELL not found");
    if (S_ISDIR(st.st_mode) || access(shell, X_OK) < 0)
        return fence_error_set(err, FENCE_E_SPAWN, 0, "shell from $SHELL is not executable: \"%s\"",
                               shell);
    p = strdup(shell);
    if (!p)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "shell");
    *ret = p;
    return 0;
}

static bool is_dir_at(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool under_list(const strv *l, const char *path) {
    for (size_t i = 0; i < l->n; i++)
        if (path_is_under(path, l->v[i]))
            return true;
    return false;
}

/* Whether entry (NAME=value) is SSH_AUTH_SOCK or a D-Bus address whose every unix socket is
 * hidden by a mask of the plan: the variable is then dropped, so that programs see no agent or
 * bus at once instead of a refused connection (docs/linux-engine.md, "Unix sockets"). */
static bool names_masked_socket(const run_plan *p, char *entry) {
    static const char *const vars[] = {
            "SSH_AUTH_SOCK=", "DBUS_SESSION_BUS_ADDRESS=", "DBUS_SYSTEM_BUS_ADDRESS="};
    char *const one[] = {entry, NULL};
    const host_facts *f = &p->facts;
    strv paths = {0};
    bool known = false, masked;

    for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
        known |= strncmp(entry, vars[i], strlen(vars[i])) == 0;
    masked = known && fspol_env_socket_paths(one, NULL, &paths) > 0;
    for (size_t i = 0; masked && i < paths.n; i++) {
        hostfs_entry e = {0};
        const char *path =
                f->fs->resolve(f->fs_data, paths.v[i], &e) == 0 ? e.canonical : paths.v[i];
        bool hidden = false;

        for (size_t k = 0; !hidden && k < p->mounts->n; k++) {
            const mntop *op = &p->mounts->ops[k];
            hidden = (op->kind == MNTOP_MASK_FILE && streq(op->dst, path)) ||
                     (op->kind == MNTOP_MASK_DIR && path_is_under(path, op->dst));
        }
        masked = hidden;
        free(e.canonical);
    }
    strv_done(&paths);
    return masked;
}

/* §10.10: strip LD_* and DYLD_*, and BASH_ENV/ENV (read by the shell fence itself starts:
 * a file named there, if writable in the sandbox, would run at the start of every later
 * sandboxed command); strip SSH_AUTH_SOCK and the D-Bus addresses whose sockets are masked;
 * set FENCE_SANDBOX=1; repair TMPDIR and XDG_RUNTIME_DIR. */
static int build_env(run_plan *p, char **env) {
    const host_facts *f = &p->facts;
    char line[256];
    int r = 0;

    for (char **e = env; *e && r >= 0; e++) {
        size_t n = strcspn(*e, "=");
        if (strncmp(*e, "LD_", 3) == 0 || strncmp(*e, "DYLD_", 5) == 0 ||
            (n == 8 && strncmp(*e, "BASH_ENV", 8) == 0) || (n == 3 && strncmp(*e, "ENV", 3) == 0) ||
            names_masked_socket(p, *e)) {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int) (n < 127 ? n : 127), *e);
            r = strv_push(&p->stripped, name);
            continue;
        }
        if ((n == 13 && strncmp(*e, "FENCE_SANDBOX", 13) == 0) ||
            (n == 6 && strncmp(*e, "TMPDIR", 6) == 0) ||
            (n == 15 && strncmp(*e, "XDG_RUNTIME_DIR", 15) == 0))
            continue;
        r = strv_push(&p->env, *e);
    }
    if (r >= 0)
        r = strv_push(&p->env, "FENCE_SANDBOX=1");
    if (r >= 0 && f->tmpdir) {
        /* kept only when it is a directory the sandbox can write */
        bool ok = path_is_abs(f->tmpdir) && under_list(&p->mounts->writable, f->tmpdir) &&
                  is_dir_at(f->tmpdir);
        snprintf(line, sizeof(line), "TMPDIR=%s", ok ? f->tmpdir : "/tmp");
        r = strv_push(&p->env, ok && strlen(f->tmpdir) < 200 ? line : "TMPDIR=/tmp");
    }
    if (r >= 0 && f->xdg_runtime_dir) {
        snprintf(line, sizeof(line), "XDG_RUNTIME_DIR=/tmp/fence-runtime-%u", (unsigned) f->uid);
        r = strv_push(&p->env, line);
    }
    return r;
}

static int build_landlock(run_plan *p, const struct fence_config *cfg) {
    landlock_plan *ll = &p->landlock;
    int r = 0;

    if (!p->mounts->allowlist) {
        /* the product promise is "read most of the machine": mounts do the read masking */
        r = landlock_plan_add_path(ll, "/", LANDLOCK_TIER_READ);
    } else {
        for (size_t i = 0; r >= 0 && i < p->mounts->readable.n; i++) {
            const char *path = p->mounts->readable.v[i];
            r = landlock_plan_add_path(ll, path,
                                       strv_contains(&p->mounts->executable, path)
                                               ? LANDLOCK_TIER_EXECUTE
                                               : LANDLOCK_TIER_READ);
        }
        if (r >= 0)
            r = landlock_plan_add_path(ll, "/proc", LANDLOCK_TIER_READ);
    }
    if (r >= 0)
        r = landlock_plan_add_path(ll, "/dev", LANDLOCK_TIER_DEVICE);
    if (r >= 0)
        r = landlock_plan_add_path(ll, "/tmp", LANDLOCK_TIER_WRITE);
    for (size_t i = 0; r >= 0 && i < p->mounts->writable.n; i++)
        r = landlock_plan_add_path(ll, p->mounts->writable.v[i], LANDLOCK_TIER_WRITE);
    ll->scopes = LANDLOCK_PLAN_SCOPE_ABSTRACT_UNIX | LANDLOCK_PLAN_SCOPE_SIGNAL;
    ll->std_fds = true;
    (void) cfg;
    return r;
}

/* Does any writable place let a protected name (§9.3, denyWrite) come into existence? */
static bool needs_broker(const run_plan *p) {
    const host_facts *f = &p->facts;

    for (size_t i = 0; i < p->mounts->writable.n; i++) {
        const char *w = p->mounts->writable.v[i];
        if (path_is_under(f->cwd, w) || path_is_under(w, f->cwd) ||
            (f->home && path_is_under(f->home, w)) || p->mounts->protect.n > 0)
            return true;
        for (size_t k = 0; k < p->mounts->git_protect.n; k++)
            if (path_is_under(p->mounts->git_protect.v[k], w))
                return true;
    }
    return false;
}

/* Whether the run may resolve the path-mode exec denies while the sandbox's init sets up
 * (sandbox_spec.late_masks): about a millisecond of each launch then overlaps the init's
 * namespace and mount work instead of preceding it. The masks then go on after every planned
 * mount; `fence -d` shows them in the plan, resolved first. */
static bool late_denies_possible(const struct fence_config *cfg) {
    const char *mode = cfg->command.runtime_exec_policy;

    return !(mode && streq(mode, "argv"));
}

/* sandbox_spec.late_masks: runs in S while the init sets up. */
static int late_denies(void *userdata, const char **ret_buf, size_t *ret_len, fence_error *err) {
    run_plan *p = userdata;
    strv masks = {0}, warnings = {0};
    int r = execdeny_resolve(p->deny_cfg, &p->deny_facts, &masks, &warnings, err);

    for (size_t i = 0; r >= 0 && i < warnings.n; i++)
        rlog_line(p->deny_log, "%s", warnings.v[i]);
    for (size_t i = 0; r >= 0 && i < masks.n; i++)
        if (fbuf_puts(&p->late_buf, masks.v[i]) < 0 || fbuf_putc(&p->late_buf, '\0') < 0)
            r = fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "runtime exec denies");
    strv_done(&masks);
    strv_done(&warnings);
    if (r < 0)
        return r;
    *ret_buf = p->late_buf.data ? p->late_buf.data : "";
    *ret_len = p->late_buf.len;
    return 0;
}

static int plan_run(fence_manager *m, const char *command, run_plan *p, bool late,
                    fence_error *err) {
    const struct fence_config *cfg = m->cfg;
    char **env = environ;
    mntplan_input in = {.cfg = cfg, .facts = &p->facts, .expose_ro = &m->expose_ro,
                        .expose_rw = &m->expose_rw};
    int fns, r;

    p->tty_fd = -1;
    if (!command)
        return fence_error_set(err, FENCE_E_INVAL, 0, "no command");
    if (strlen(command) > COMMAND_MAX_BYTES)
        return fence_error_set(err, FENCE_E_INVAL, 0, "command longer than %u bytes",
                               COMMAND_MAX_BYTES);
    r = select_shell(m, env, &p->shell, err);
    if (r < 0)
        return r;
    /* the workdir is the sandbox's: the caller's own current directory is left alone */
    r = probe_host(env, m->workdir, &p->facts, err);
    if (r < 0)
        return r;
    in.shell = p->shell;
    {
        execdeny_facts ef = {.path_env = probe_getenv(env, "PATH"),
                             .cwd = p->facts.cwd,
                             .shell_path = p->shell,
                             .debug = m->log.debug};
        p->late_denies = late && late_denies_possible(cfg);
        p->deny_facts = ef;
        p->deny_cfg = cfg;
        p->deny_log = &m->log;
        p->late_buf = FBUF_INIT(SANDBOX_LATE_MASKS_MAX);
        r = p->late_denies ? 0 : execplan_build(cfg, &ef, &p->exec, err);
        for (size_t i = 0; r >= 0 && i < p->exec.warnings.n; i++)
            if (strv_push(&p->banners, p->exec.warnings.v[i]) < 0)
                r = fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "banner");
        if (r < 0)
            return r;
    }
    in.exec_masks = &p->exec.masks;
    in.allow_host_proc = m->allow_degraded & FENCE_ALLOW_HOST_PROC;
    r = mntplan_build(&in, &p->mounts, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < p->mounts->warnings.n; i++)
        if (strv_push(&p->banners, p->mounts->warnings.v[i]) < 0)
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "banner");

    /* Landlock: fail closed unless the weaker level was accepted */
    p->landlock_abi = landlock_abi();
    if (p->landlock_abi > 0) {
        p->use_landlock = true;
        r = build_landlock(p, cfg);
        if (r < 0)
            return fence_error_set(err, r == -ENOMEM ? FENCE_E_NOMEM : FENCE_E_SANDBOX, -r,
                                   "building the Landlock rules");
    } else if (m->allow_degraded & FENCE_ALLOW_NO_LANDLOCK) {
        r = strv_push(&p->banners, "[fence] WARNING: Landlock is unavailable on this kernel; "
                                   "running at the weaker level \"no-landlock\" (mount "
                                   "namespace and seccomp only)");
        if (r < 0)
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "banner");
    } else {
        return fence_error_set(err, FENCE_E_UNSUPPORTED, 0,
                               "Landlock is unavailable on this kernel (%s; needs Linux >= 5.13 "
                               "with CONFIG_SECURITY_LANDLOCK and \"landlock\" in the lsm= "
                               "boot list); to run without it, accept the weaker level with "
                               "--allow-degraded=no-landlock",
                               strerror(-p->landlock_abi));
    }

    /* seccomp: the filter is compiled here, loaded by the workload in one call */
    p->broker = needs_broker(p);
    p->seccomp.notify =
            (p->broker ? SECCOMP_NOTIFY_CREATE : 0) | (p->exec.argv_mode ? SECCOMP_NOTIFY_EXEC : 0);
    if (prctl(PR_GET_SECCOMP) < 0 && errno == EINVAL) {
        if (!(m->allow_degraded & FENCE_ALLOW_NO_SECCOMP))
            return fence_error_set(err, FENCE_E_UNSUPPORTED, 0,
                                   "seccomp filters are unavailable on this kernel "
                                   "(CONFIG_SECCOMP_FILTER); to run without them, accept the "
                                   "weaker level with --allow-degraded=no-seccomp");
        p->broker = false;
        r = strv_push(&p->banners, "[fence] WARNING: seccomp is unavailable on this kernel; "
                                   "running at the weaker level \"no-seccomp\" (no syscall "
                                   "filter, new protected names not guarded)");
        if (r < 0)
            return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "banner");
    } else {
        p->use_seccomp = true;
        r = seccomp_build(&p->seccomp, &p->prog, err);
        if (r < 0)
            return r;
    }

    r = build_env(p, env);
    if (r < 0)
        return fence_error_set(err, FENCE_E_NOMEM, -r, "building the environment");
    p->shell_flag = m->shell_login ? "-lc" : "-c";
    p->argv[0] = p->shell;
    p->argv[1] = (char *) p->shell_flag;
    p->argv[2] = strdup(command);
    if (!p->argv[2])
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "command");

    /* terminal (§9.4 step 1, §10.8) */
    {
        bool in_tty = isatty(STDIN_FILENO), out_tty = isatty(STDOUT_FILENO);
        p->pty = cfg->allow_pty && in_tty && out_tty;
        fns = m->force_new_session != FENCE_UNSET ? m->force_new_session : cfg->force_new_session;
        p->new_session = fns == TRI_UNSET ? !p->pty : fns == TRI_TRUE;
        if (!p->pty && !p->new_session && in_tty && tcgetpgrp(STDIN_FILENO) == getpgrp())
            p->tty_fd = STDIN_FILENO;
    }
    p->netns = !config_relaxed_network(cfg);
    r = netrun_plan_build(cfg, p->netns, m->expose, m->n_expose, m->model, &p->net, err);
    if (r < 0)
        return r;
    if (p->use_landlock && netrun_plan_landlock(&p->net, &p->landlock) < 0)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "building the Landlock TCP rules");
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Describe and run
 */

/* Whether the workload can exec the command itself instead of `bash -c` (directexec.h), once the
 * environment is final. Not in argv mode: there the supervisor lets the workload's first exec
 * through unchecked (execsup.h: it cannot read the workload's memory yet), which is only right
 * for the shell fence chose. */
static int plan_direct(run_plan *p, fence_error *err) {
    if (p->exec.argv_mode)
        return 0;
    if (directexec_prepare(p->shell, p->shell_flag, p->argv[2], p->env.v, &p->direct) < 0)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "preparing the command");
    return 0;
}

static int describe_plan(const run_plan *p, fbuf *out) {
    int r = fbuf_printf(out, "command: %s %s %s\n", p->argv[0], p->argv[1], p->argv[2]);

    if (r >= 0 && p->direct.enabled)
        r = fbuf_printf(out, "exec: '%s' directly, found on $PATH inside the sandbox as bash "
                             "would (bash runs instead if it is not found or cannot be run)\n",
                        p->direct.words.v[0]);
    else if (r >= 0)
        r = fbuf_puts(out, "exec: through the shell\n");

    if (r >= 0)
        r = fbuf_printf(out, "namespaces: user mount pid ipc uts%s\n", p->netns ? " net" : "");
    if (r >= 0)
        r = fbuf_printf(out, "terminal: %s\n",
                        p->pty           ? "pty relay"
                        : p->new_session ? "new session"
                        : p->tty_fd >= 0 ? "job control (shared terminal)"
                                         : "inherited");
    if (r >= 0)
        r = mntplan_dump(p->mounts, out);
    if (r >= 0)
        r = landlock_plan_dump(&p->landlock, p->use_landlock ? p->landlock_abi : 0, out);
    if (r >= 0 && p->use_seccomp)
        r = seccomp_dump(&p->seccomp, p->prog, out);
    if (r >= 0)
        r = execplan_describe(&p->exec, out);
    if (r >= 0)
        r = fbuf_printf(out, "protected-names broker: %s\n",
                        p->broker ? "on (new dangerous/denyWrite names refused)"
                                  : "off (nothing writable where a protected name could be made)");
    if (r >= 0 && p->stripped.n > 0) {
        r = fbuf_puts(out, "environment: stripped");
        for (size_t i = 0; r >= 0 && i < p->stripped.n; i++)
            r = fbuf_printf(out, " %s", p->stripped.v[i]);
        if (r >= 0)
            r = fbuf_putc(out, '\n');
    }
    for (size_t i = 0; r >= 0 && i < p->env.n; i++)
        if (strncmp(p->env.v[i], "FENCE_", 6) == 0 || strncmp(p->env.v[i], "TMPDIR=", 7) == 0 ||
            strncmp(p->env.v[i], "XDG_RUNTIME_DIR=", 16) == 0)
            r = fbuf_printf(out, "environment: %s\n", p->env.v[i]);
    if (r >= 0)
        r = netrun_plan_dump(&p->net, out);
    for (size_t i = 0; r >= 0 && i < p->banners.n; i++)
        r = fbuf_printf(out, "%s\n", p->banners.v[i]);
    return r;
}

FENCE_API int fence_manager_describe(fence_manager *m, const char *command, char **ret,
                                     fence_error *err) {
    run_plan p = {0};
    fbuf out = FBUF_INIT(DESCRIBE_MAX_BYTES);
    char *text;
    int r;

    if (!m || !ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_manager_describe: bad argument");
    r = plan_run(m, command, &p, false, err);
    if (r >= 0)
        r = plan_direct(&p, err);
    if (r >= 0 && describe_plan(&p, &out) < 0)
        r = fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "rendering the plan");
    run_plan_done(&p);
    if (r < 0) {
        fbuf_done(&out);
        return r;
    }
    text = fbuf_steal(&out);
    if (!text)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "rendering the plan");
    *ret = text;
    return 0;
}

/* A failed sandbox start on a host without usable user namespaces: say which and how to fix. */
static void explain_userns(fence_error *err) {
    linux_features f;
    const char *why;
    char old[sizeof(err->msg)];

    if (!err)
        return;
    features_probe(0, &f);
    why = features_userns_problem(&f);
    if (!why)
        return;
    memcpy(old, err->msg, sizeof(old));
    old[200] = '\0'; /* the probe's explanation comes first and must fit */
    snprintf(err->msg, sizeof(err->msg), "%.300s (%.200s)", why, old);
    err->code = FENCE_E_UNSUPPORTED;
}

static void log_plan(fence_manager *m, const run_plan *p) {
    for (size_t i = 0; i < p->banners.n; i++)
        rlog_line(&m->log, "%s", p->banners.v[i]);
    if (m->log.debug && p->stripped.n > 0) {
        char line[1024];
        size_t n = (size_t) snprintf(line, sizeof(line), "[fence] Stripped dangerous env vars: [");
        for (size_t i = 0; i < p->stripped.n && n < sizeof(line); i++)
            n += (size_t) snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "",
                                   p->stripped.v[i]);
        rlog_line(&m->log, "%s]", line);
    }
}

FENCE_API int fence_manager_run(fence_manager *m, const char *command, int *ret_status,
                                fence_error *err) {
    run_plan p = {0};
    sandbox sb = SANDBOX_INIT;
    sandbox_spec spec = {0};
    broker *bk = NULL;
    unotify *un = NULL;
    execsup *es = NULL;
    netrun *net = NULL;
    netrun_options nopts = {0};
    supervise_opts opts = {0};
    sigset_t sigmask;
    bool blocked = false;
    int status = 0, r;

    if (!m || !ret_status)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_manager_run: bad argument");
    /* the command policy refuses before anything starts: no proxy, no namespace, no mount */
    r = check_command(m->pol, command, err);
    if (r < 0)
        return r;
    r = fence_manager_initialize(m, err);
    if (r < 0)
        return r;
    r = plan_run(m, command, &p, true, err);
    if (r < 0)
        goto out;
    log_plan(m, &p);
    netrun_plan_warn(&p.net, &m->log);
    /* before the sandbox exists: host listeners (a busy -p port fails here), the proxy */
    nopts.dns_servers = m->dns_servers;
    r = netrun_start(m->loop, m->cfg, &p.net, &m->log, &nopts, &net, err);
    if (r >= 0 && (netrun_env(net, &p.env) < 0 || netrun_landlock(net, &p.landlock) < 0))
        r = fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "planning the network");
    if (r < 0)
        goto out;

    spec.mounts = p.mounts;
    spec.landlock = p.use_landlock ? &p.landlock : NULL;
    spec.seccomp = p.use_seccomp ? p.prog : NULL;
    spec.seccomp_listener = p.use_seccomp && p.seccomp.notify != 0;
    spec.exec_path = p.shell;
    spec.argv = p.argv;
    spec.envp = p.env.v;
    /* after netrun_env: the environment is final */
    r = plan_direct(&p, err);
    if (r < 0)
        goto out;
    spec.direct = &p.direct;
    if (p.late_denies) {
        spec.late_masks = late_denies;
        spec.late_masks_data = &p;
    }
    spec.uid = p.facts.uid;
    spec.gid = p.facts.gid;
    spec.netns = p.netns;
    spec.new_session = p.new_session;
    spec.pty = p.pty;
    spec.tty_fd = p.tty_fd;
    spec.listeners = p.net.listeners;
    spec.n_listeners = p.net.n_listeners;
    if (p.pty && ioctl(STDIN_FILENO, TIOCGWINSZ, &spec.winsize) < 0)
        ioctl(STDOUT_FILENO, TIOCGWINSZ, &spec.winsize);
    if (spec.seccomp_listener) {
        /* one listener, served from the workload's own execve on (argv mode checks it) */
        r = unotify_new(&un, err);
        if (r >= 0 && p.exec.argv_mode) {
            execsup_config ec = {.pol = m->pol, .bootstrap = true, .log = &m->log};
            r = execsup_new(&ec, &es, err);
            unotify_set_exec(un, es);
        }
        if (r < 0)
            goto out;
        spec.on_notify = unotify_handle;
        spec.notify_data = un;
    }

    supervise_block_signals(&sigmask); /* restored at out: */
    blocked = true;
    r = sandbox_spawn(&spec, &sb, err);
    if (r < 0) {
        if (r == -FENCE_E_UNSUPPORTED || (err && err->sys_errno == EPERM))
            explain_userns(err);
        fence_error_prefix(err, "failed to start command");
        goto out;
    }
    if (sb.host_proc)
        rlog_line(&m->log, "[fence] WARNING: this host refuses a fresh /proc; running at the "
                           "weaker level \"host-proc\" (the host's /proc read-only: host "
                           "processes visible)");
    /* the proxies serve the listeners from now on; early connections wait in their backlog */
    r = netrun_attach(net, &sb, err);
    if (r < 0)
        goto out;
    if (sb.notify_fd >= 0 && p.broker) {
        broker_config bc = {.workspace = p.facts.cwd, .home = p.facts.home,
                            .allow_git_config = m->cfg->filesystem.allow_git_config,
                            .deny_write = &p.mounts->protect,
                            .git_dirs = &p.mounts->git_dirs,
                            .git_protect = &p.mounts->git_protect, .log = &m->log};
        r = broker_new(&bc, sb.pid, &bk, err);
        if (r < 0)
            goto out;
        unotify_set_broker(un, bk);
    }
    if (sb.notify_fd >= 0) {
        opts.on_notify = unotify_handle;
        opts.notify_data = un;
    }
    opts.log = &m->log;
    opts.pty = p.pty;
    opts.tty_fd = p.tty_fd;
    r = supervise_run(m->loop, &sb, &opts, &status, err);
    if (r >= 0)
        *ret_status = status;
    if (es)
        rlog_debug(&m->log,
                   "[fence:linux] argv mode: %lu execs checked, %lu refused, %.1f us of "
                   "supervisor CPU each",
                   execsup_checked(es), execsup_denied(es),
                   execsup_checked(es) ? execsup_cpu_ns(es) / 1e3 / execsup_checked(es) : 0.0);
out:
    broker_free(bk);
    netrun_free(net);
    sandbox_done(&sb);
    execsup_free(es);
    unotify_free(un);
    if (blocked)
        pthread_sigmask(SIG_SETMASK, &sigmask, NULL);
    run_plan_done(&p);
    return r;
}
