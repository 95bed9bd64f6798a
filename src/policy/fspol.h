/* SPDX-License-Identifier: MIT */
/*
 * fspol: pure filesystem decisions (spec §9). Path normalisation (`~`, relative paths), glob
 * classification and matching (`*`, `?`, `[...]`, `**`), the built-in path lists of §9.2 and
 * the mandatory dangerous names of §9.3, and the "may this name be created?" decision used by
 * the protected-names broker. No system calls: host facts (cwd, home) are arguments.
 */
#pragma once

#include <stdbool.h>

#include "util/strv.h"

/* §9.3: names protected against writes wherever the policy applies them. NULL-terminated. */
extern const char *const fspol_dangerous_files[];
extern const char *const fspol_dangerous_dirs[];
/* Files in home (besides fspol_dangerous_files directly in it) that git reads as configuration:
 * "~/" relative, NULL-terminated. $XDG_CONFIG_HOME/git/config is added by the plan. */
extern const char *const fspol_dangerous_home_paths[];
/* Names in a git directory that re-point git or add configuration: config, commondir, gitdir,
 * config.worktree. NULL-terminated. */
extern const char *const fspol_git_control_files[];
/* §9.2 default readable paths that matter on Linux (allowlist mode unless strictDenyRead);
 * entries starting with "~/" are relative to the home directory. NULL-terminated. */
extern const char *const fspol_default_read_paths[];
/* §9.2 default writable paths that matter on Linux ("~/" relative). NULL-terminated. */
extern const char *const fspol_default_write_paths[];

/* Unix sockets of host daemons (escape class 2) looked for under home (directories walked two
 * levels deep, single files), "~/" relative. NULL-terminated. */
extern const char *const fspol_home_socket_dirs[];
extern const char *const fspol_home_socket_files[];

/* Appends to ret the absolute paths of the unix sockets that env (a NULL-terminated "K=V"
 * list) names: SSH_AUTH_SOCK, the unix:path= parts of DBUS_SESSION_BUS_ADDRESS and
 * DBUS_SYSTEM_BUS_ADDRESS (%XX decoded), DOCKER_HOST and CONTAINER_HOST "unix://PATH",
 * WAYLAND_DISPLAY (absolute, or relative to xdg_runtime_dir, which may be NULL) and
 * GPG_AGENT_INFO ("PATH:PID:1"). Relative and malformed values are skipped. Returns the number
 * appended or -ENOMEM. */
int fspol_env_socket_paths(char *const *env, const char *xdg_runtime_dir, strv *ret);

/* True when p contains a glob metacharacter (`*`, `?`, `[`, `]`). */
bool fspol_is_glob(const char *p);

/* §9.1: "~" and "~/x" become home-relative, relative paths (globs too) become cwd-relative,
 * and the result is cleaned. cwd and home must be absolute; home may be NULL (then "~" is kept
 * relative to cwd, as "~" literally). Returns malloc'd text, NULL on allocation failure. */
char *fspol_normalize(const char *p, const char *cwd, const char *home);

typedef enum fspol_glob_kind {
    FSPOL_GLOB_NONE,      /* a literal path */
    FSPOL_GLOB_TREE,      /* dir followed by a final "**" component: means dir itself */
    FSPOL_GLOB_SIMPLE,    /* metacharacters but no "**": expand level by level */
    FSPOL_GLOB_RECURSIVE, /* contains "**" elsewhere: needs a walk from the literal prefix */
} fspol_glob_kind;

/* Classifies an absolute, normalised pattern. For FSPOL_GLOB_TREE *ret_prefix is the directory;
 * otherwise it is the longest literal leading directory ("/" at worst). malloc'd. */
int fspol_glob_classify(const char *pattern, fspol_glob_kind *ret_kind, char **ret_prefix);

/* Matches an absolute path against an absolute pattern: `*` and `?` never match '/', `[...]`
 * is a character class (`!` or `^` negates), a whole component `**` matches zero or more
 * components. */
bool fspol_glob_match(const char *pattern, const char *path);

/* Why a name may not be created, or NULL when it may. */
typedef struct fspol_protect {
    const char *workspace; /* absolute, clean: the cwd of the run */
    const char *home;      /* absolute, clean, or NULL */
    bool allow_git_config;
    const strv *deny_write; /* normalised denyWrite patterns (absolute), may be NULL */
    /* The ".git" directories of the workspace that existed at launch (absolute, clean). NULL:
     * treat every ".git" as existing. */
    const strv *git_dirs;
    /* Git control paths found at launch (absolute, clean; may be NULL): hooks directories
     * (core.hooksPath, a separate git dir's hooks), config files git reads (global, included,
     * a submodule's or worktree's). Nothing may be created at or below them (but the path
     * itself as an empty directory), nor a directory or symlink above them. */
    const strv *git_protect;
} fspol_protect;

typedef enum fspol_create_kind {
    FSPOL_CREATE_FILE,    /* open(O_CREAT), mknod, hard link of a non-symlink */
    FSPOL_CREATE_DIR,     /* mkdir */
    FSPOL_CREATE_SYMLINK, /* symlink, or a hard link of one: may point at a directory */
    FSPOL_RENAME_FILE,    /* a non-directory renamed onto this name */
    FSPOL_RENAME_DIR,     /* a directory renamed onto this name (brings its contents) */
} fspol_create_kind;

/* Decides whether `path` (absolute and clean, in the sandbox's view) may come into existence by
 * the given kind of call. Returns NULL, or a static reason ("dangerous file", ...). Rules:
 *  - any path matching a denyWrite pattern, or below a denyWrite literal;
 *  - a dangerous file name directly in home, ~/.config/git/config (or a directory or symlink
 *    that would bring one), anything under git_protect;
 *  - a dangerous file name anywhere under the workspace; anything at or below a dangerous
 *    directory name under the workspace;
 *  - anywhere (a repository enclosing the workspace runs hooks on the host as well):
 *    ".git" itself only by mkdir (a file "gitdir: elsewhere", a symlink, a hard link or a
 *    renamed directory would bring their own hooks and config); anything below a
 *    ".../.git/.../hooks" directory except inert "*.sample" files (so `git init` works); a
 *    "hooks" name inside a ".git" tree only by mkdir;
 *  - config, commondir, gitdir, config.worktree below a ".git" that existed at launch
 *    (git_dirs); config only unless allow_git_config: a repository the sandbox makes (`git
 *    init`) gets its config, an existing one cannot be re-pointed or given a new config by
 *    moving its ".git" aside. */
const char *fspol_create_denied(const fspol_protect *p, const char *path, fspol_create_kind kind);

/* Why the existing entry `path` (absolute and clean, in the sandbox's view) may not be renamed
 * away, or NULL when it may: it is, or holds, a git directory that existed at launch
 * (git_dirs) or a git control path (git_protect). Moving its parent would carry the protected
 * names along, and below the new name nothing knows them: commondir, config... could be created
 * there and the directory moved back by a later run (second review, finding 1). */
const char *fspol_move_denied(const fspol_protect *p, const char *path);
