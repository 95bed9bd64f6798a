/* SPDX-License-Identifier: MIT */
/*
 * directexec: see directexec.h. What bash 5 does with `bash -c 'prog args'`, as observed and
 * mirrored here:
 * - environment: PWD kept when it is absolute and names the working directory, else getcwd();
 *   SHLVL is the inherited level (bash adds one at start and takes it back for the in-place
 *   exec): a valid decimal number n gives max(n, 0), anything else 0, and from 999 on bash warns
 *   (we leave that to bash); OLDPWD is dropped unless it names a directory; `_` is the program's
 *   path. A set of variables bash rewrites or acts on at start-up makes us leave the job to bash.
 * - search: each $PATH element in order (one trailing '/' dropped), the first entry that exists,
 *   is not a directory and passes eaccess(X_OK); a name with a '/' is exec'd as it is. An empty,
 *   relative or '~' element, or no executable match, is left to bash.
 */
#include "enforce/linux/directexec.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* bash 5.2's builtins and reserved words: the shell runs these itself. `true` and `false`
 * without arguments behave the same as the programs and are not listed. */
static const char *const shell_words[] = {
        ".",        ":",       "[",       "[[",       "]]",      "{",        "}",       "!",
        "alias",    "bg",      "bind",    "break",    "builtin", "caller",   "case",    "cd",
        "command",  "compgen", "complete", "compopt", "continue", "coproc",  "declare", "dirs",
        "disown",   "do",      "done",    "echo",     "elif",    "else",     "enable",  "esac",
        "eval",     "exec",    "exit",    "export",   "fc",      "fg",       "fi",      "for",
        "function", "getopts", "hash",    "help",     "history", "if",       "in",      "jobs",
        "kill",     "let",     "local",   "logout",   "mapfile", "popd",     "printf",  "pushd",
        "pwd",      "read",    "readarray", "readonly", "return", "select",  "set",     "shift",
        "shopt",    "source",  "suspend", "test",     "then",    "time",     "times",   "trap",
        "type",     "typeset", "ulimit",  "umask",    "unalias", "unset",    "until",   "wait",
        "while",    NULL,
};

/* Environment variables bash rewrites, drops or acts on when it starts (every BASH* name is
 * covered by its prefix; BASH_FUNC_* are exported functions). */
static const char *const shell_vars[] = {
        "COMP_WORDBREAKS", "ENV",   "EPOCHREALTIME", "EPOCHSECONDS", "EXECIGNORE", "HISTCMD",
        "IFS",             "LINENO", "OPTERR",       "OPTIND",       "POSIXLY_CORRECT", "PPID",
        "PS1",             "PS2",   "PS4",           "RANDOM",       "SHELLOPTS",  "SRANDOM",
        NULL,
};

static bool in_list(const char *const *list, const char *s, size_t n) {
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
            return true;
    return false;
}

/* Characters that stand for themselves outside quotes in every position of a word. */
static bool plain_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("_@%+=:,./-", c) != NULL;
}

int directexec_words(const char *command, strv *ret) {
    _cleanup_free_ char *word = malloc(strlen(command) + 1);
    strv words = {0};
    const char *s = command;

    if (!word)
        return -ENOMEM;
    for (;;) {
        size_t n = 0;
        bool in_word = false;

        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            break;
        while (*s && *s != ' ' && *s != '\t') {
            unsigned char c = (unsigned char) *s;

            if (c == '\'') {
                const char *end = strchr(s + 1, '\'');

                if (!end)
                    goto complex;
                memcpy(word + n, s + 1, (size_t) (end - s - 1));
                n += (size_t) (end - s - 1);
                s = end + 1;
            } else if (c == '\\') {
                if (s[1] == '\0' || s[1] == '\n')
                    goto complex;
                word[n++] = s[1];
                s += 2;
            } else if (plain_char(c)) {
                word[n++] = (char) c;
                s++;
            } else {
                goto complex;
            }
            in_word = true;
        }
        if (in_word) {
            word[n] = '\0';
            if (strv_push(&words, word) < 0) {
                strv_done(&words);
                return -ENOMEM;
            }
        }
    }
    if (words.n == 0)
        goto complex;
    *ret = words;
    return 1;
complex:
    strv_done(&words);
    return 0;
}

/* bash's legal_number(): optional blanks, an optional sign, decimal digits, optional blanks. */
static bool shell_number(const char *s, long long *ret) {
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || errno != 0)
        return false;
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    if (*end != '\0')
        return false;
    *ret = v;
    return true;
}

static const char *env_value(char *const *envp, const char *name) {
    size_t n = strlen(name);

    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* Whether the environment leaves bash's start-up as plain as we mirror it. */
static bool env_plain(char *const *envp) {
    const char *lc_all;

    for (size_t i = 0; envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        size_t n = eq ? (size_t) (eq - envp[i]) : strlen(envp[i]);

        if (!eq || strncmp(envp[i], "BASH", 4) == 0 || in_list(shell_vars, envp[i], n))
            return false;
        /* a name given twice: which one a program sees is up to how it reads its environment */
        for (size_t j = 0; j < i; j++)
            if (strncmp(envp[j], envp[i], n + 1) == 0)
                return false;
    }
    /* bash warns about an LC_ALL it cannot load */
    lc_all = env_value(envp, "LC_ALL");
    if (lc_all && *lc_all) {
        locale_t l = newlocale(LC_ALL_MASK, lc_all, (locale_t) 0);

        if (!l)
            return false;
        freelocale(l);
    }
    return true;
}

static bool is_name(const char *var, const char *name) {
    size_t n = strlen(name);

    return strncmp(var, name, n) == 0 && var[n] == '=';
}

int directexec_prepare(const char *shell, const char *flag, const char *command, char *const *envp,
                       directexec *ret) {
    const char *base = strrchr(shell, '/'), *shlvl;
    long long level = 0;
    size_t n = 0, k = 0;
    strv words = {0};
    char num[32];
    int r;

    memset(ret, 0, sizeof(*ret));
    base = base ? base + 1 : shell;
    if (!envp || strcmp(base, "bash") != 0 || strcmp(flag, "-c") != 0 || !env_plain(envp))
        return 0;
    ret->path_value = env_value(envp, "PATH");
    ret->pwd_value = env_value(envp, "PWD");
    if (!ret->path_value)
        return 0; /* bash's own default search path */
    shlvl = env_value(envp, "SHLVL");
    if (shlvl && !shell_number(shlvl, &level))
        level = 0;
    if (level >= 999)
        return 0; /* bash warns that the level is too high */
    r = directexec_words(command, &words);
    if (r <= 0)
        return r;
    if (in_list(shell_words, words.v[0], strlen(words.v[0])) || words.v[0][0] == '\0' ||
        (words.n > 1 && (strcmp(words.v[0], "true") == 0 || strcmp(words.v[0], "false") == 0)) ||
        strchr(words.v[0], '=')) {
        strv_done(&words);
        return 0;
    }
    ret->words = words;

    while (envp[n])
        n++;
    ret->envp = calloc(n + 5, sizeof(char *));
    if (!ret->envp)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (is_name(envp[i], "PWD") || is_name(envp[i], "SHLVL") || is_name(envp[i], "_"))
            continue;
        if (is_name(envp[i], "OLDPWD")) {
            ret->oldpwd = envp[i];
            continue;
        }
        ret->envp[k++] = envp[i];
    }
    snprintf(num, sizeof(num), "SHLVL=%lld", level < 0 ? 0 : level);
    ret->shlvl = strdup(num);
    if (!ret->shlvl)
        goto nomem;
    ret->envp[k++] = ret->shlvl;
    ret->pwd_slot = k++;
    ret->under_slot = k++;
    ret->old_slot = k;
    ret->enabled = true;
    return 0;
nomem:
    directexec_done(ret);
    return -ENOMEM;
}

void directexec_done(directexec *d) {
    free(d->envp);
    free(d->shlvl);
    strv_done(&d->words);
    memset(d, 0, sizeof(*d));
}

/* ---- in the workload: no allocation from here on --------------------------------------------- */

static bool put(char *buf, size_t size, size_t *at, const char *s, size_t n) {
    if (*at + n >= size)
        return false;
    memcpy(buf + *at, s, n);
    *at += n;
    buf[*at] = '\0';
    return true;
}

/* The program's path as bash would build it into d->under + 2, or false to leave it to bash. */
static bool search(directexec *d) {
    const char *name = d->words.v[0], *p = d->path_value;
    char *out = d->under + 2;
    size_t size = sizeof(d->under) - 2, name_len = strlen(name), at;
    struct stat st;

    if (strchr(name, '/')) {
        at = 0;
        return put(out, size, &at, name, name_len);
    }
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t) (colon - p) : strlen(p);

        if (n == 0 || p[0] != '/' || (n == 1 && p[0] == '/'))
            return false; /* the current directory, relative or odd: bash knows */
        if (p[n - 1] == '/')
            n--;
        at = 0;
        if (put(out, size, &at, p, n) && put(out, size, &at, "/", 1) &&
            put(out, size, &at, name, name_len) && stat(out, &st) == 0 && !S_ISDIR(st.st_mode) &&
            faccessat(AT_FDCWD, out, X_OK, AT_EACCESS) == 0)
            return true;
        if (!colon)
            return false;
        p = colon + 1;
    }
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void directexec_try(directexec *d) {
    struct stat st;
    size_t at = 4;

    if (!d || !d->enabled || !search(d))
        return;
    d->under[0] = '_';
    d->under[1] = '=';
    memcpy(d->pwd, "PWD=", 4);
    if (d->pwd_value && d->pwd_value[0] == '/' && same_file(d->pwd_value, ".")) {
        if (!put(d->pwd, sizeof(d->pwd), &at, d->pwd_value, strlen(d->pwd_value)))
            return;
    } else if (!getcwd(d->pwd + 4, sizeof(d->pwd) - 4)) {
        return;
    }
    d->envp[d->pwd_slot] = d->pwd;
    d->envp[d->under_slot] = d->under;
    d->envp[d->old_slot] = NULL;
    if (d->oldpwd && stat(d->oldpwd + strlen("OLDPWD="), &st) == 0 && S_ISDIR(st.st_mode))
        d->envp[d->old_slot] = (char *) d->oldpwd;

    execve(d->under + 2, d->words.v, d->envp);
    /* ENOEXEC (a script without "#!", which bash runs itself), a vanished file, a refusal:
     * the shell does it again and says what bash says */
}
