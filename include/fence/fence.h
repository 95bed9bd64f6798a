/* SPDX-License-Identifier: MIT */
/*
 * libfence: run semi-trusted commands in a sandbox that lets them read most of the machine,
 * write only where a policy allows, reach only the network destinations it allows (through
 * filtering HTTP and SOCKS5 proxies), and refuses the commands it forbids.
 *
 * This is the only installed header. It is C99 without extensions. Everything is reached
 * through opaque handles; `fence_error` is the only public struct. Within one major version the
 * ABI stays compatible: functions and enum constants are only ever added (docs/symbols.txt
 * lists each symbol with the version that added it).
 *
 * Conventions
 *  - Fallible functions return an int: >= 0 on success, a negative FENCE_E_* code on failure.
 *    When an `fence_error *err` is passed (NULL is allowed) it receives a one-line message.
 *  - Output parameters are named ret_* and are written only on success.
 *  - Strings returned as `char *` are malloc'd and freed by the caller with fence_free().
 *    Strings returned as `const char *` are borrowed; each function says for how long.
 *  - The library never prints and never exits. Diagnostics reach the caller through the log
 *    callback of a manager (fence_manager_set_log_callback).
 *  - Handles are not thread-safe: use one handle from one thread at a time.
 */
#ifndef FENCE_FENCE_H
#define FENCE_FENCE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define FENCE_API __attribute__((visibility("default")))
#else
#define FENCE_API
#endif

#define FENCE_VERSION_MAJOR 0
#define FENCE_VERSION_MINOR 1
#define FENCE_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH". Static storage. */
FENCE_API const char *fence_version(void);

/* ---------------------------------------------------------------------------------------------
 * Errors
 */

/* Error codes. Append-only: never renumbered. Functions return the negated value. */
enum {
    FENCE_E_OK = 0,
    FENCE_E_INVAL = 1,       /* invalid argument (a programmer error at the API) */
    FENCE_E_NOMEM = 2,       /* out of memory */
    FENCE_E_IO = 3,          /* reading or writing a file failed */
    FENCE_E_CONFIG = 4,      /* a configuration file is malformed or invalid */
    FENCE_E_NOTFOUND = 5,    /* a named file or template does not exist */
    FENCE_E_BLOCKED = 6,     /* the command policy refuses the command (not an internal error) */
    FENCE_E_SANDBOX = 7,     /* setting up or applying the sandbox failed */
    FENCE_E_UNSUPPORTED = 8, /* this host lacks a kernel feature the policy needs */
    FENCE_E_PROXY = 9,       /* the network proxies could not be started */
    FENCE_E_STATE = 10,      /* call not valid in the handle's current state */
    FENCE_E_SPAWN = 11       /* the command could not be started */
};

typedef struct fence_error {
    int code;      /* FENCE_E_*, 0 when no error was recorded */
    int sys_errno; /* errno behind the failure, 0 if none */
    char msg[512]; /* one line, no trailing newline; config errors start with file:line:col */
} fence_error;

/* Frees memory returned by this library (strings, string arrays are documented separately). */
FENCE_API void fence_free(void *p);

/* ---------------------------------------------------------------------------------------------
 * Configuration (spec/fence-behaviour.md §4)
 *
 * A fence_config holds one policy. Fields are addressed by fence_config_key; each key has one
 * value type. Booleans that the Go tool stores as pointers are tri-state (unset / false / true);
 * plain booleans are false when unset. Enumerated strings (devices.mode,
 * command.runtimeExecPolicy, network.defaultAction) are strings, as in the JSON files.
 */

typedef struct fence_config fence_config;

typedef enum fence_value_type {
    FENCE_TYPE_STRING = 0,      /* NULL when unset */
    FENCE_TYPE_BOOL = 1,        /* 0 or 1 */
    FENCE_TYPE_TRISTATE = 2,    /* FENCE_UNSET, 0 or 1 */
    FENCE_TYPE_INT = 3,         /* 0 when unset */
    FENCE_TYPE_STRING_LIST = 4, /* ordered, duplicates allowed as written */
    FENCE_TYPE_INT_LIST = 5
} fence_value_type;

#define FENCE_UNSET (-1)

typedef enum fence_config_key {
    FENCE_CFG_EXTENDS = 0,
    FENCE_CFG_ALLOW_PTY,
    FENCE_CFG_FORCE_NEW_SESSION,
    FENCE_CFG_NETWORK_ALLOWED_DOMAINS,
    FENCE_CFG_NETWORK_DENIED_DOMAINS,
    FENCE_CFG_NETWORK_ALLOW_UNIX_SOCKETS,
    FENCE_CFG_NETWORK_ALLOW_ALL_UNIX_SOCKETS,
    FENCE_CFG_NETWORK_ALLOW_LOCAL_BINDING,
    FENCE_CFG_NETWORK_ALLOW_LOCAL_OUTBOUND,
    FENCE_CFG_NETWORK_ALLOW_LOCAL_OUTBOUND_PORTS,
    FENCE_CFG_NETWORK_HTTP_PROXY_PORT,
    FENCE_CFG_NETWORK_SOCKS_PROXY_PORT,
    FENCE_CFG_NETWORK_UPSTREAM_PROXY,
    FENCE_CFG_NETWORK_DEFAULT_ACTION,
    FENCE_CFG_FILESYSTEM_DEFAULT_DENY_READ,
    FENCE_CFG_FILESYSTEM_STRICT_DENY_READ,
    FENCE_CFG_FILESYSTEM_WSL_INTEROP,
    FENCE_CFG_FILESYSTEM_ALLOW_READ,
    FENCE_CFG_FILESYSTEM_ALLOW_EXECUTE,
    FENCE_CFG_FILESYSTEM_DENY_READ,
    FENCE_CFG_FILESYSTEM_ALLOW_WRITE,
    FENCE_CFG_FILESYSTEM_DENY_WRITE,
    FENCE_CFG_FILESYSTEM_ALLOW_GIT_CONFIG,
    FENCE_CFG_DEVICES_MODE,
    FENCE_CFG_DEVICES_ALLOW,
    FENCE_CFG_MACOS_MACH_LOOKUP,
    FENCE_CFG_MACOS_MACH_REGISTER,
    FENCE_CFG_COMMAND_DENY,
    FENCE_CFG_COMMAND_ALLOW,
    FENCE_CFG_COMMAND_USE_DEFAULTS,
    FENCE_CFG_COMMAND_ACCEPT_SHARED_BINARY_CANNOT_RUNTIME_DENY,
    FENCE_CFG_COMMAND_RUNTIME_EXEC_POLICY,
    FENCE_CFG_SSH_ALLOWED_HOSTS,
    FENCE_CFG_SSH_DENIED_HOSTS,
    FENCE_CFG_SSH_ALLOWED_COMMANDS,
    FENCE_CFG_SSH_DENIED_COMMANDS,
    FENCE_CFG_SSH_ALLOW_ALL_COMMANDS,
    FENCE_CFG_SSH_INHERIT_DENY,
    FENCE_CFG_KEY_COUNT /* not a key; grows when keys are added */
} fence_config_key;

/* The key's JSON path, e.g. "network.allowedDomains". Static storage; NULL for a bad key. */
FENCE_API const char *fence_config_key_name(fence_config_key key);
/* The key for a JSON path, or -FENCE_E_NOTFOUND. */
FENCE_API int fence_config_key_lookup(const char *name);
/* The key's value type, or -FENCE_E_INVAL for a bad key. */
FENCE_API int fence_config_key_type(fence_config_key key);

/* A new, empty config: the built-in default policy (no network, no writes beyond the default
 * writable paths, default command denies active). NULL on allocation failure. */
FENCE_API fence_config *fence_config_new(void);
/* A deep copy, or NULL on allocation failure. */
FENCE_API fence_config *fence_config_copy(const fence_config *cfg);
FENCE_API void fence_config_free(fence_config *cfg);

/* Getters. A key of the wrong type is a programmer error: they return 0 / NULL.
 * Borrowed strings stay valid until the config is changed or freed. */
FENCE_API int fence_config_get_bool(const fence_config *cfg, fence_config_key key);
FENCE_API const char *fence_config_get_string(const fence_config *cfg, fence_config_key key);
FENCE_API long fence_config_get_int(const fence_config *cfg, fence_config_key key);
FENCE_API size_t fence_config_get_list_len(const fence_config *cfg, fence_config_key key);
FENCE_API const char *fence_config_get_list_string(const fence_config *cfg, fence_config_key key,
                                                   size_t i);
FENCE_API long fence_config_get_list_int(const fence_config *cfg, fence_config_key key, size_t i);

/* Setters. Strings are copied. set_bool takes 0/1 (and FENCE_UNSET for tri-state keys);
 * set_string(NULL) unsets. They do not validate: call fence_config_validate(). */
FENCE_API int fence_config_set_bool(fence_config *cfg, fence_config_key key, int value);
FENCE_API int fence_config_set_string(fence_config *cfg, fence_config_key key, const char *value);
FENCE_API int fence_config_set_int(fence_config *cfg, fence_config_key key, long value);
FENCE_API int fence_config_list_append_string(fence_config *cfg, fence_config_key key,
                                              const char *value);
FENCE_API int fence_config_list_append_int(fence_config *cfg, fence_config_key key, long value);
FENCE_API int fence_config_list_clear(fence_config *cfg, fence_config_key key);

/* Validates cfg with the rules of §4.6. Returns 0 or -FENCE_E_CONFIG with the message. */
FENCE_API int fence_config_validate(const fence_config *cfg, fence_error *err);

/* Parses JSONC text (comments and trailing commas allowed; unknown keys ignored) and validates
 * it. `name` is used in messages (a path, or a label such as "<stdin>"). Does not resolve
 * `extends`. Returns 1 and sets *ret when a config was read, 0 when the text is empty or holds
 * only whitespace and comments (*ret untouched), or -FENCE_E_CONFIG with one of
 *   "name:line:col: invalid JSON in config file: <what>"      (syntax, or a value of wrong type)
 *   "name:line:col: invalid configuration: <Go message>"      (a §4.6 rule; at the bad value)
 * Lines and columns are 1-based; columns count code points. */
FENCE_API int fence_config_parse(const char *text, size_t len, const char *name,
                                 fence_config **ret, fence_error *err);

/* Loads and validates one file without resolving `extends` (Go: LoadConfig). Returns 1 and sets
 * *ret, 0 when the file does not exist or is blank (as fence_config_parse), or a negative error:
 * -FENCE_E_CONFIG as fence_config_parse with name = path, -FENCE_E_IO for a file that cannot be
 * read, is not a regular file (a FIFO is refused, never waited on) or exceeds 1 MiB. */
FENCE_API int fence_config_load(const char *path, fence_config **ret, fence_error *err);

/* Loads a file and resolves its `extends` chain relative to the file (Go: LoadConfigResolved).
 * Same return convention as fence_config_load. */
FENCE_API int fence_config_load_resolved(const char *path, fence_config **ret, fence_error *err);

/* Resolves a built-in template by name (".json" suffix tolerated), including its own extends.
 * Returns 1 and sets *ret; -FENCE_E_NOTFOUND with `template "X" not found` when there is no such
 * template. */
FENCE_API int fence_config_load_template(const char *name, fence_config **ret, fence_error *err);

/* Merges per §4.5: override's fields win or are appended as specified; `extends` is cleared.
 * Either input may be NULL (treated as an empty config). */
FENCE_API int fence_config_merge(const fence_config *base, const fence_config *override,
                                 fence_config **ret, fence_error *err);

/* Resolves the policy the way the CLI does (§4.3): a template name wins, then an explicit
 * settings path (which must exist), then discovery upward from start_dir (NULL = the current
 * directory), the user config directory, the legacy paths, and the built-in default. Any of
 * template_name and settings_path may be NULL. When ret_chain is not NULL it receives the
 * "Active config chain:" text of §3.5 (lines separated by '\n', with a final newline).
 * Returns 0 and sets *ret (never NULL: the built-in default when nothing was found). Errors are
 * one line, ready for "Error: %s": `template "X" not found` (-FENCE_E_NOTFOUND),
 * `settings file not found: P`, `settings path is a directory: P`, the fence_config_load ones,
 * and the extends errors of §4.4 located at the `extends` value that caused them, e.g.
 * `/p/fence.json:2:14: extends file not found: "./base.json"` or
 * `/p/fence.json:2:14: invalid configuration in extends file "./b.json": /p/b.json:3:5: ...`. */
FENCE_API int fence_config_resolve(const char *template_name, const char *settings_path,
                                   const char *start_dir, fence_config **ret, char **ret_chain,
                                   fence_error *err);

/* Canonical JSON of §4.7 (2-space indent, fixed key order, empties omitted, final newline). */
FENCE_API int fence_config_to_json(const fence_config *cfg, char **ret, fence_error *err);

/* Config paths (§4.3); each returns a malloc'd path, or NULL on allocation failure. Without
 * $HOME and $XDG_CONFIG_HOME the user directory is unknown and, as in the Go tool, the path is
 * "fence.json" (relative to the current directory).
 * default_path: where `config init` writes (<user config dir>/fence.json).
 * resolve_default_path: the user config that would be loaded (steps 2-4).
 * resolve_path: steps 1-4 starting the upward walk at start_dir (NULL = cwd). */
FENCE_API char *fence_config_default_path(void);
FENCE_API char *fence_config_resolve_default_path(void);
FENCE_API char *fence_config_resolve_path(const char *start_dir);

/* Built-in templates, sorted by name. Returns the number of templates; name/description of
 * index i are static strings (NULL past the end). */
FENCE_API size_t fence_template_count(void);
FENCE_API const char *fence_template_name(size_t i);
FENCE_API const char *fence_template_description(size_t i);
/* The template's JSON text as embedded (static storage), or NULL when unknown. */
FENCE_API const char *fence_template_source(const char *name);

/* ---------------------------------------------------------------------------------------------
 * Preflight checks (pure: no sandbox, no I/O)
 */

/* Checks a shell command string against the command and SSH policy (§7, §8).
 * Returns 0 when allowed, -FENCE_E_BLOCKED with the §7.4/§8 message when refused. A string the
 * check cannot analyse (longer than 131071 bytes, nested deeper than 64 levels, expanding to
 * more than 16384 commands) is refused the same way, with the reason. cfg NULL = the built-in
 * default policy. -FENCE_E_INVAL for a NULL command, -FENCE_E_NOMEM. Thread-safe for distinct
 * or unchanging configs (no state is kept). docs/command-policy.md describes the parser. */
FENCE_API int fence_check_command(const fence_config *cfg, const char *command, fence_error *err);

/* ---------------------------------------------------------------------------------------------
 * Manager: one sandboxed run (or several sequential runs) under one policy
 */

typedef struct fence_manager fence_manager;

/* Where a service run with -p binds (§3.2 --service-execution-model). */
typedef enum fence_execution_model {
    FENCE_SERVICE_IN_SANDBOX = 0,
    FENCE_SERVICE_ON_HOST = 1
} fence_execution_model;

/* Protections that can be given up explicitly (fail-closed otherwise). Bit flags. */
enum {
    FENCE_ALLOW_NO_LANDLOCK = 1 << 0, /* run without Landlock when the kernel lacks it */
    FENCE_ALLOW_NO_NETNS = 1 << 1,    /* run without a network namespace (proxy-only) */
    FENCE_ALLOW_NO_SECCOMP = 1 << 2,  /* run without the seccomp filter (and the broker that
                                         guards protected names not yet created) */
    FENCE_ALLOW_HOST_PROC = 1 << 3    /* where a fresh /proc is refused (containers), show the
                                         host's /proc read-only: host processes visible */
};

/* Log callback: receives one diagnostic line without trailing newline ("[fence:http] ..."). */
typedef void (*fence_log_fn)(void *userdata, const char *line);

/* Creates a manager for cfg (copied). */
FENCE_API int fence_manager_new(const fence_config *cfg, fence_manager **ret, fence_error *err);
/* Stops everything the manager started (the sandbox is killed) and frees it. NULL is fine. */
FENCE_API void fence_manager_free(fence_manager *m);

FENCE_API int fence_manager_set_debug(fence_manager *m, int debug);
FENCE_API int fence_manager_set_monitor(fence_manager *m, int monitor);
FENCE_API int fence_manager_set_log_callback(fence_manager *m, fence_log_fn fn, void *userdata);
/* Adds an inbound exposure (-p): bind_addr must be an IP literal (NULL = "127.0.0.1"), port
 * 1-65535. A run listens on bind_addr:port on the host and relays each connection to port on
 * the sandbox's loopback (127.0.0.1, else ::1), unless the execution model is
 * FENCE_SERVICE_ON_HOST. At most 32 exposures; duplicates are ignored. -FENCE_E_INVAL with
 * "exposing port N: ..." for a bad address or port. */
FENCE_API int fence_manager_add_exposed_port(fence_manager *m, const char *bind_addr, int port,
                                             fence_error *err);
FENCE_API int fence_manager_set_execution_model(fence_manager *m, fence_execution_model model);
/* Makes a host path visible at the same path, read-only or writable. */
FENCE_API int fence_manager_expose_host_path(fence_manager *m, const char *path, int writable,
                                             fence_error *err);
/* Shell selection (§10.9): mode "default" (bash from PATH) or "user" ($SHELL); login = -lc. */
FENCE_API int fence_manager_set_shell(fence_manager *m, const char *mode, int login,
                                      fence_error *err);
/* Overrides the config's forceNewSession: FENCE_UNSET, 0 or 1. */
FENCE_API int fence_manager_set_force_new_session(fence_manager *m, int value);
/* The workspace root for relative paths and dangerous-path protection (default: cwd). */
FENCE_API int fence_manager_set_workdir(fence_manager *m, const char *dir, fence_error *err);
/* FENCE_ALLOW_* flags: protections the caller accepts to lose on this host. */
FENCE_API int fence_manager_set_allow_degraded(fence_manager *m, unsigned flags);
/* The DNS servers the proxies resolve with, as "ip:port,[ip6]:port,..." instead of the system's
 * /etc/resolv.conf (/etc/hosts is still read first). NULL or "" = the system configuration.
 * Meant for tests and unusual hosts; it is not part of the config file on purpose (a policy
 * must not choose who answers its names). The list is copied; a malformed one makes the next
 * run fail with -FENCE_E_PROXY. */
FENCE_API int fence_manager_set_dns_servers(fence_manager *m, const char *servers,
                                            fence_error *err);

/* Starts what the runs need (proxies). Idempotent; called by the run functions if needed. */
FENCE_API int fence_manager_initialize(fence_manager *m, fence_error *err);

/* Runs `command` with `<shell> -c command` inside a new sandbox, relaying signals and the
 * terminal, and returns when it has exited. A string bash would only exec as it is (one plain
 * command naming a program) is exec'd the same way without starting bash. *ret_status is the exit status (128+N when killed
 * by signal N). Preflight refusal returns -FENCE_E_BLOCKED before anything starts. */
FENCE_API int fence_manager_run(fence_manager *m, const char *command, int *ret_status,
                                fence_error *err);

/* The plan the next run would apply (mounts, Landlock rules, seccomp, environment, listeners),
 * as text, for `fence -d`. */
FENCE_API int fence_manager_describe(fence_manager *m, const char *command, char **ret,
                                     fence_error *err);

/* Ports the sandbox uses to reach the proxies (inside its network namespace). */
FENCE_API int fence_manager_http_port(const fence_manager *m);
FENCE_API int fence_manager_socks_port(const fence_manager *m);

/* Stops proxies and helpers; the manager can be initialized again. */
FENCE_API void fence_manager_cleanup(fence_manager *m);

/* ---------------------------------------------------------------------------------------------
 * Host
 */

/* 1 on a platform with a sandbox engine in this build (Linux), else 0. */
FENCE_API int fence_is_supported(void);

/* The `fence --linux-features` table (§3.8, this engine's rows), malloc'd text. */
FENCE_API int fence_linux_features(char **ret, fence_error *err);

/* ---------------------------------------------------------------------------------------------
 * Importing other tools' settings (spec §3.6)
 */

/* Converts the permissions of a Claude Code settings file (JSONC; empty = no rules) into a new
 * config: Bash(X) -> command.allow/deny (a trailing ":*" dropped), Read(P) deny -> denyRead,
 * Write(P)/Edit(P) -> allowWrite/denyWrite, ask rules -> deny. `extends` (NULL or "" = none) is
 * set as the config's extends. *ret_rules receives the number of rules read; *ret_warnings a
 * malloc'd text of "...\n"-terminated lines (empty when none) naming rules that were skipped
 * or converted. The config is freed with fence_config_free, the text with fence_free.
 * Errors: -FENCE_E_NOTFOUND / -FENCE_E_IO reading, -FENCE_E_CONFIG with
 * "path:line:col: invalid JSON in Claude settings: ..." for malformed or mistyped input. */
FENCE_API int fence_import_claude(const char *path, const char *extends, fence_config **ret_cfg,
                                  size_t *ret_rules, char **ret_warnings, fence_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FENCE_FENCE_H */
