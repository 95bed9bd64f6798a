/* SPDX-License-Identifier: MIT */
/*
 * Path-mode runtime exec deny: resolution of single-token deny rules and multicall detection.
 * See execdeny.h. Resolution follows the Go tool: a token with a '/' names one file (relative to
 * cwd); a bare name is looked up on $PATH (first executable match) and in each of the common
 * binary directories; every hit is canonicalised (symlinks resolved, so a usr-merged /bin/x
 * masks /usr/bin/x). Multicall detection probes the critical command names, the deny tokens and
 * the targets' own names in the targets' directories, $PATH and the common directories, and
 * compares (device, inode).
 *
 * This runs on every launch, so it answers as many of those (directory, name) questions as it can
 * without a system call per question; the answers are the ones stat() and realpath() on each path
 * would give:
 * - a directory is opened once: missing, it holds nothing; small, it is read whole (getdents,
 *   which also says which entries are plain files, directories or symlinks); large, names are
 *   lstat()ed one by one as asked (cheaper than reading 1,300 entries for 75 names);
 * - a plain regular file (the listing says DT_REG, and no mount point anywhere has its name) is a
 *   file; its canonical path is the directory's realpath plus its name, and, when no target has a
 *   second hard link, it carries a target's inode exactly when it is that target's own entry;
 * - everything else (symlinks, unknown types, names of mount points, errors other than ENOENT and
 *   ENOTDIR, directories with a ".." in their path) is stat()ed by path, as it always was.
 */
#include "enforce/linux/execdeny.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/cmdpol.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fbuf.h"
#include "util/fileio.h"
#include "util/path.h"

/* Commands whose collateral loss would break ordinary scripts, most alarming first: the short
 * warning shows the first three (tier 1: coreutils and busybox; tier 2: busybox only). */
static const char *const critical[] = {
        "cat",      "head",  "tail",     "echo",   "sort",  "wc",      "cut",   "tr",
        "uniq",     "[",     "basename", "cp",     "date",  "dirname", "env",   "false",
        "id",       "ls",    "mkdir",    "mktemp", "mv",    "printf",  "pwd",   "readlink",
        "realpath", "rmdir", "tee",      "test",   "touch", "true",    "uname", "whoami",
        "grep",     "sed",   "awk",      "find",   "xargs", NULL,
};

static const char *const common_dirs[] = {"/usr/bin",          "/bin",           "/usr/local/bin",
                                          "/opt/homebrew/bin", "/opt/local/bin", NULL};

#define EXECDENY_DIRLIST_MAX    100000     /* entries read from one directory */
#define EXECDENY_NAMES_MAX      (8u << 20) /* bytes of names kept for one directory */
#define EXECDENY_GETDENTS_BUF   32768
#define EXECDENY_MOUNTINFO_MAX  (16u << 20) /* larger: every name counts as a mount point */
#define EXECDENY_MOUNTINFO_PATH "/proc/self/mountinfo"

typedef struct target {
    const char *token; /* borrowed from the compiled policy */
    char *path;
    struct {
        bool ok; /* stat(path) worked, with these results (read before the candidates) */
        mode_t mode;
        nlink_t nlink;
        dev_t dev;
        ino_t ino;
        dev_t ddev; /* the directory holding path, for by-name candidates */
        ino_t dino;
    } st;
} target;

typedef struct candidate {
    char *name;
    /* A plain file not stat()ed: it is target t exactly when name is t's basename and (dev, ino)
     * is the directory holding t. Otherwise (dev, ino) is the file's own. */
    bool by_name;
    dev_t dev;
    ino_t ino;
} candidate;

/* What is known about one name of a directory: its type as getdents or lstat() reports it, or
 * (in a dirlist's `followed`) what stat() through the dirlist's path says. */
typedef struct known {
    uint32_t name;      /* offset in the owning dirlist's `names` */
    uint32_t hash;      /* of the name */
    unsigned char type; /* DT_*; DT_UNKNOWN when not said */
    bool absent;        /* no such entry (followed: not a file) */
    bool have_st;       /* mode, nlink, dev, ino below are valid */
    mode_t mode;
    nlink_t nlink;
    dev_t dev;
    ino_t ino;
} known;

typedef struct knownv {
    known *v;
    size_t n, cap;
    uint32_t *slots; /* hash index: 1 + position in v, 0 = free; a power of two > 2n, or 0 */
    size_t n_slots;
} knownv;

typedef enum dirmode {
    DIR_BYPATH, /* not understood: every name is stat()ed by path */
    DIR_ABSENT, /* ENOENT/ENOTDIR: holds nothing */
    DIR_LISTED, /* ents holds every entry (getdents) */
    DIR_LOOKUP, /* ents holds the names lstat()ed so far */
} dirmode;

/* One directory, by the string it was named with ($PATH entry, common directory, a target's
 * directory). Two strings for the same directory (/bin and /usr/bin) share one entry table:
 * `table` points at the first one's. */
typedef struct dirlist {
    char *dir;
    dirmode mode;
    bool is_dir; /* what stat(dir) says */
    bool dotdot; /* the string has a ".." component, so path_join() (lexical) and the kernel
                  * (physical) may not mean the same directory: only absence is trusted */
    dev_t dev;
    ino_t ino;
    struct dirlist *table;
    fbuf names; /* NUL-terminated names that ents and followed point into */
    knownv ents;
    knownv followed;
    char *real; /* realpath(dir) once asked; NULL when it failed */
    bool real_done;
} dirlist;

/* The answer to "is dir/name a file?". */
typedef struct hit {
    bool file;    /* exists and, following symlinks, is not a directory */
    bool plain;   /* a regular file named directly: no symlink, no mount point, no ".." */
    bool have_st; /* mode, nlink, dev, ino are stat(dir/name)'s */
    mode_t mode;
    nlink_t nlink;
    dev_t dev;
    ino_t ino;
    dev_t ddev; /* the directory's identity */
    ino_t dino;
} hit;

typedef struct resolver {
    const execdeny_facts *facts;
    strv wanted; /* sorted: the critical names and the deny tokens with their basenames */
    dirlist **lists;
    size_t n_lists, cap_lists;
    bool mounts_read;
    bool mounts_unknown; /* mountinfo unreadable: any name may be a mount point */
    strv mount_names;    /* sorted basenames of every mount point */
    cmdpol *pol;
    target *t;
    size_t n_t, cap_t;
    strv deny_tokens;                               /* tokens and their basenames */
    strv path_dirs;                                 /* the absolute entries of $PATH, in order */
    dirlist **path_lists;                           /* their dirlists, once asked */
    dirlist *common_lists[ARRAY_SIZE(common_dirs)]; /* same for common_dirs */
    strv dirs;
    bool by_name; /* no target is hard linked or otherwise unusual: plain files need no stat */
    candidate *cand;
    size_t n_cand, cap_cand;
} resolver;

static void dirlist_free(dirlist *l) {
    if (!l)
        return;
    free(l->dir);
    fbuf_done(&l->names);
    free(l->ents.v);
    free(l->ents.slots);
    free(l->followed.v);
    free(l->followed.slots);
    free(l->real);
    free(l);
}

static void resolver_done(resolver *rs) {
    for (size_t i = 0; i < rs->n_t; i++)
        free(rs->t[i].path);
    free(rs->t);
    for (size_t i = 0; i < rs->n_cand; i++)
        free(rs->cand[i].name);
    free(rs->cand);
    strv_done(&rs->deny_tokens);
    strv_done(&rs->path_dirs);
    free(rs->path_lists);
    strv_done(&rs->dirs);
    for (size_t i = 0; i < rs->n_lists; i++)
        dirlist_free(rs->lists[i]);
    free(rs->lists);
    strv_done(&rs->mount_names);
    strv_done(&rs->wanted);
    cmdpol_free(rs->pol);
}

static int critical_index(const char *name) {
    for (int i = 0; critical[i]; i++)
        if (streq(critical[i], name))
            return i;
    return -1;
}

/* Go's filepath.Base as a new string. */
static char *base_dup(const char *p) {
    size_t len;
    const char *b = cmdparse_basename(p, strlen(p), &len);

    return strndup(b, len);
}

static bool is_file(const char *p, struct stat *ret) {
    struct stat st;

    if (stat(p, &st) < 0 || S_ISDIR(st.st_mode))
        return false;
    if (ret)
        *ret = st;
    return true;
}

/* Room for one more element in a heap vector *v of *cap elements holding n (doubling). */
static int grow(void *v, size_t *cap, size_t n, size_t elem) {
    void **vp = v, *nv;
    size_t ncap;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    nv = realloc(*vp, ncap * elem);
    if (!nv)
        return -ENOMEM;
    *vp = nv;
    *cap = ncap;
    return 0;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool in_sorted(const strv *l, const char *name) {
    return l->n && bsearch(&name, l->v, l->n, sizeof(char *), cmp_name);
}

/* A name that can only be one entry of the directory. */
static bool plain_name(const char *name) {
    return name[0] && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

static bool has_dotdot(const char *p) {
    for (const char *s = strstr(p, ".."); s; s = strstr(s + 1, ".."))
        if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
            return true;
    return false;
}

/* ---- mount points: the one way a directory entry can stand for another file ---- */

/* Decodes the octal escapes (\040 for a space) mountinfo writes in place. */
static void unescape_mountinfo(char *s) {
    char *w = s;

    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *w++ = (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
            s += 3;
        } else
            *w++ = *s;
    }
    *w = '\0';
}

/* Collects the last component of every mount point (field 5 of each mountinfo line). A file
 * mounted on an entry makes stat() of that entry report the mounted file, which the directory
 * listing cannot show; such names are always stat()ed. */
static int read_mount_names(resolver *rs) {
    _cleanup_free_ char *text = NULL;
    size_t len;
    char *line, *next;
    int r;

    rs->mounts_read = true;
    r = read_full_file(EXECDENY_MOUNTINFO_PATH, EXECDENY_MOUNTINFO_MAX, &text, &len);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        rs->mounts_unknown = true;
        return 0;
    }
    for (line = text; *line; line = next) {
        char *f = line, *end, *slash;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        for (int i = 0; i < 4 && f; i++) {
            f = strchr(f, ' ');
            f = f ? f + 1 : NULL;
        }
        if (!f || !(end = strchr(f, ' '))) {
            rs->mounts_unknown = true; /* not the format we know: trust no listing */
            return 0;
        }
        *end = '\0';
        unescape_mountinfo(f);
        slash = strrchr(f, '/');
        if (slash && slash[1] && strv_push(&rs->mount_names, slash + 1) < 0)
            return -ENOMEM;
    }
    if (rs->mount_names.n > 1)
        qsort(rs->mount_names.v, rs->mount_names.n, sizeof(char *), cmp_name);
    return 0;
}

/* Whether some mount point carries this name. */
static bool mount_name(const resolver *rs, const char *name) {
    return rs->mounts_unknown || in_sorted(&rs->mount_names, name);
}

/* ---- what a directory holds ---- */

static const char *known_name(const dirlist *l, const known *k) {
    return l->names.data + k->name;
}

/* FNV-1a */
static uint32_t name_hash(const char *s) {
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 16777619u;
    return h;
}

/* The entry for name in kv (owned by l), or NULL. */
static known *known_find(const dirlist *l, const knownv *kv, const char *name) {
    uint32_t h = name_hash(name);

    if (!kv->n_slots)
        return NULL;
    for (size_t i = h & (kv->n_slots - 1);; i = (i + 1) & (kv->n_slots - 1)) {
        uint32_t slot = kv->slots[i];

        if (!slot)
            return NULL;
        if (kv->v[slot - 1].hash == h && streq(known_name(l, &kv->v[slot - 1]), name))
            return &kv->v[slot - 1];
    }
}

/* Rebuilds kv's hash index for its n entries. */
static int known_index(knownv *kv) {
    size_t n_slots = 16;
    uint32_t *slots;

    while (n_slots <= 2 * kv->n)
        n_slots *= 2;
    slots = calloc(n_slots, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t k = 0; k < kv->n; k++) {
        size_t i = kv->v[k].hash & (n_slots - 1);

        while (slots[i])
            i = (i + 1) & (n_slots - 1);
        slots[i] = (uint32_t) (k + 1);
    }
    free(kv->slots);
    kv->slots = slots;
    kv->n_slots = n_slots;
    return 0;
}

/* Stores name in l->names and appends an entry for it to kv (*ret), not yet indexed. -ENOBUFS
 * when l has too many names to keep, -ENOMEM. */
static int known_push(dirlist *l, knownv *kv, const char *name, size_t len, known **ret) {
    size_t off = l->names.len;
    int r;

    if (off > UINT32_MAX || kv->n >= UINT32_MAX - 1)
        return -ENOBUFS;
    if (grow(&kv->v, &kv->cap, kv->n, sizeof(known)) < 0)
        return -ENOMEM;
    r = fbuf_append(&l->names, name, len + 1);
    if (r < 0)
        return r;
    kv->v[kv->n] = (known){.name = (uint32_t) off, .hash = name_hash(name), .type = DT_UNKNOWN};
    *ret = &kv->v[kv->n++];
    return 0;
}

/* Same, indexed at once. NULL: out of memory (a lookup table is small: running out of room for
 * its names is treated the same way). */
static known *known_add(dirlist *l, knownv *kv, const char *name) {
    known *k;

    if (known_push(l, kv, name, strlen(name), &k) < 0)
        return NULL;
    if (2 * kv->n >= kv->n_slots) {
        if (known_index(kv) < 0) {
            kv->n--;
            return NULL;
        }
    } else {
        size_t i = k->hash & (kv->n_slots - 1);

        while (kv->slots[i])
            i = (i + 1) & (kv->n_slots - 1);
        kv->slots[i] = (uint32_t) kv->n;
    }
    return k;
}

/* Reads every entry of l->dir into l->ents and makes it DIR_LISTED; leaves it as it was when
 * the directory cannot be read whole. */
static int dir_list(dirlist *l) {
    _cleanup_close_ int fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *buf = NULL;
    size_t seen = 0;
    int r;

    if (fd < 0)
        return errno == ENOMEM ? -ENOMEM : 0;
    buf = malloc(EXECDENY_GETDENTS_BUF);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t got = getdents64(fd, buf, EXECDENY_GETDENTS_BUF);

        if (got == 0)
            break;
        if (got < 0)
            goto partial;
        for (ssize_t off = 0; off < got;) {
            const struct dirent64 *de = (const void *) (buf + off);
            known *k;

            off += de->d_reclen;
            if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                continue;
            if (++seen > EXECDENY_DIRLIST_MAX)
                goto partial;
            r = known_push(l, &l->ents, de->d_name, strlen(de->d_name), &k);
            if (r == -ENOBUFS)
                goto partial;
            if (r < 0)
                return r;
            k->type = de->d_type;
        }
    }
    r = known_index(&l->ents);
    if (r < 0)
        return r;
    l->mode = DIR_LISTED;
    return 0;
partial:
    l->ents.n = 0;
    fbuf_done(&l->names);
    return 0;
}

/* stat("dir/."): unlike stat("dir"), it also fails when dir cannot be searched, that is when
 * the entries a listing reports could not be reached (stat() of them by path fails). */
static int stat_dot(const char *dir, struct stat *ret) {
    char dot[PATH_MAX];
    int n = snprintf(dot, sizeof(dot), "%s/.", dir);

    if (n < 0 || (size_t) n >= sizeof(dot)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return stat(dot, ret);
}

/* Finds out what kind of directory l is (see dirmode). */
static int dir_open(resolver *rs, dirlist *l) {
    struct stat st;
    bool searchable = true;

    l->table = l;
    l->dotdot = has_dotdot(l->dir);
    l->is_dir = true;
    if (stat_dot(l->dir, &st) < 0) {
        /* Missing or not a directory: so is every dir/name. Not for a ".." path, whose names
         * are stat()ed by their lexical path_join(), which may well exist. */
        if (!l->dotdot && (errno == ENOENT || errno == ENOTDIR)) {
            l->mode = DIR_ABSENT;
            l->is_dir = false;
            return 0;
        }
        /* Cannot be searched (or stranger): every name is stat()ed by path and fails the same
         * way. A ".." path still takes the absent names from its listing, as it always did. */
        searchable = false;
        l->mode = DIR_BYPATH;
        l->is_dir = stat(l->dir, &st) == 0 && S_ISDIR(st.st_mode);
        if (!l->is_dir || !l->dotdot)
            return 0;
    }
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    for (size_t i = 0; i < rs->n_lists; i++) {
        dirlist *o = rs->lists[i];

        if (o != l && o->table == o && (o->mode == DIR_LISTED || o->mode == DIR_LOOKUP) &&
            o->dev == st.st_dev && o->ino == st.st_ino) {
            l->table = o;
            l->mode = o->mode;
            return 0;
        }
    }
    /* Reading a directory costs about 4.5 ns per byte of st_size (0.13 us per entry on ext4),
     * one lstat() about 1.5 us (both on a guest where a system call costs 1 us). With the usual
     * ~75 names the break-even is near 25 KiB: /usr/bin (36 KiB, 1,300 entries) is cheaper to
     * ask, /usr/sbin (4 KiB, 175) to read. A ".." path is always read: only its listing says
     * what its physical directory holds. */
    if (l->dotdot || st.st_size <= EXECDENY_LIST_MAX_BYTES) {
        int r = dir_list(l);
        if (r < 0)
            return r;
    }
    if (l->mode != DIR_LISTED)
        l->mode = searchable && !l->dotdot ? DIR_LOOKUP : DIR_BYPATH;
    return 0;
}

static int dir_get(resolver *rs, const char *dir, dirlist **ret) {
    dirlist *l;
    int r;

    for (size_t i = 0; i < rs->n_lists; i++)
        if (streq(rs->lists[i]->dir, dir)) {
            *ret = rs->lists[i];
            return 0;
        }
    if (grow(&rs->lists, &rs->cap_lists, rs->n_lists, sizeof(*rs->lists)) < 0)
        return -ENOMEM;
    l = calloc(1, sizeof(*l));
    if (!l || !(l->dir = strdup(dir))) {
        free(l);
        return -ENOMEM;
    }
    l->names = FBUF_INIT(EXECDENY_NAMES_MAX);
    rs->lists[rs->n_lists++] = l;
    if (!rs->mounts_read) {
        r = read_mount_names(rs);
        if (r < 0)
            return r;
    }
    r = dir_open(rs, l);
    if (r < 0)
        return r;
    *ret = l;
    return 0;
}

/* stat(dir/name) through l's own path, following symlinks, as the resolver always did; kept. */
static int by_path(dirlist *l, const char *name, hit *ret) {
    _cleanup_free_ char *p = NULL;
    known *k = known_find(l, &l->followed, name);
    struct stat st = {0};

    if (!k) {
        p = path_join(l->dir, name);
        if (!p)
            return -ENOMEM;
        if (!is_file(p, &st))
            st.st_mode = S_IFDIR; /* not a file, whatever the reason */
        k = known_add(l, &l->followed, name);
        if (!k)
            return -ENOMEM;
        k->absent = S_ISDIR(st.st_mode);
        k->have_st = !k->absent;
        k->mode = st.st_mode;
        k->nlink = st.st_nlink;
        k->dev = st.st_dev;
        k->ino = st.st_ino;
    }
    *ret = (hit){.file = !k->absent,
                 .have_st = !k->absent,
                 .mode = k->mode,
                 .nlink = k->nlink,
                 .dev = k->dev,
                 .ino = k->ino};
    return 0;
}

/* The entry for name in l's table, looked up (lstat) and remembered in DIR_LOOKUP mode. NULL in
 * *ret when the lookup failed in an unexpected way (the caller falls back to by_path). The lookup
 * goes through the table's own path: the one whose stat("dir/.") worked, so the physical
 * directory that a listing would have read. */
static int dir_entry(dirlist *l, const char *name, const known **ret) {
    dirlist *t = l->table;
    char p[PATH_MAX];
    struct stat st;
    known *k = known_find(t, &t->ents, name);
    int n;

    *ret = k;
    if (k || t->mode == DIR_LISTED) {
        static const known missing = {.absent = true};
        if (!k)
            *ret = &missing;
        return 0;
    }
    /* The path as given, not path_join()ed (lexical): the directory the kernel found. */
    n = snprintf(p, sizeof(p), "%s/%s", t->dir, name);
    if (n < 0 || (size_t) n >= sizeof(p))
        return 0;
    if (lstat(p, &st) < 0) {
        if (errno == ENOMEM)
            return -ENOMEM;
        if (errno != ENOENT && errno != ENOTDIR)
            return 0; /* EACCES, ELOOP...: let stat() by path answer */
        st.st_mode = 0;
    }
    k = known_add(t, &t->ents, name);
    if (!k)
        return -ENOMEM;
    k->absent = st.st_mode == 0;
    k->type = S_ISREG(st.st_mode)   ? DT_REG
              : S_ISDIR(st.st_mode) ? DT_DIR
              : S_ISLNK(st.st_mode) ? DT_LNK
                                    : DT_UNKNOWN;
    if (k->type == DT_REG) {
        k->have_st = true;
        k->mode = st.st_mode;
        k->nlink = st.st_nlink;
        k->dev = st.st_dev;
        k->ino = st.st_ino;
    }
    *ret = k;
    return 0;
}

/* Whether l->dir/name is a file (following symlinks), and what else is known about it. need_st:
 * fill mode, dev and ino even when that costs a stat(). */
static int dir_query(resolver *rs, dirlist *l, const char *name, bool need_st, hit *ret) {
    const known *k;
    int r;

    *ret = (hit){0};
    if (l->mode == DIR_ABSENT)
        return 0;
    if (l->mode == DIR_BYPATH || !plain_name(name))
        return by_path(l, name, ret);
    r = dir_entry(l, name, &k);
    if (r < 0)
        return r;
    if (!k)
        return by_path(l, name, ret);
    if (k->absent) {
        /* a ".." path: only names the old listing looked for were answered by it */
        if (l->dotdot && !in_sorted(&rs->wanted, name))
            return by_path(l, name, ret);
        return 0;
    }
    if (l->dotdot)
        return by_path(l, name, ret);
    if (k->type == DT_DIR)
        return 0; /* only a directory can be mounted on a directory */
    if (k->type != DT_REG || mount_name(rs, name))
        return by_path(l, name, ret);
    if (!k->have_st && need_st) {
        r = by_path(l, name, ret);
        if (r < 0 || !ret->file)
            return r;
    } else
        *ret = (hit){.file = true,
                     .have_st = k->have_st,
                     .mode = k->mode,
                     .nlink = k->nlink,
                     .dev = k->dev,
                     .ino = k->ino};
    ret->plain = true;
    ret->ddev = l->dev;
    ret->dino = l->ino;
    return 0;
}

/* realpath(), or the path itself when it cannot be resolved. */
static char *canonical(const char *p) {
    char *r = realpath(p, NULL);

    return r ? r : strdup(p);
}

/* realpath(l->dir), computed once; NULL when it fails. */
static const char *dir_real(dirlist *l) {
    if (!l->real_done) {
        l->real = realpath(l->dir, NULL);
        l->real_done = true;
    }
    return l->real;
}

/* canonical(dir/name) for a hit: realpath(dir) + name when the file is plain (its own name is
 * not a symlink), so one realpath() serves every plain file of the directory. */
static char *hit_path(dirlist *l, const char *name, const hit *h) {
    _cleanup_free_ char *p = NULL;
    const char *real = h->plain ? dir_real(l) : NULL;

    /* realpath(dir/name) fails past PATH_MAX (it readlink()s the whole path) */
    if (real && strlen(real) + 1 + strlen(name) < PATH_MAX)
        return path_join(real, name);
    p = path_join(l->dir, name);
    return p ? canonical(p) : NULL;
}

static int add_target(resolver *rs, const char *token, char *found) {
    _cleanup_free_ char *path = found;

    if (!path)
        return -ENOMEM;
    for (size_t i = 0; i < rs->n_t; i++)
        if (rs->t[i].token == token && streq(rs->t[i].path, path))
            return 0;
    if (grow(&rs->t, &rs->cap_t, rs->n_t, sizeof(*rs->t)) < 0)
        return -ENOMEM;
    rs->t[rs->n_t++] = (target){.token = token, .path = TAKE_PTR(path)};
    return 0;
}

/* Splits $PATH into rs->path_dirs: its absolute entries, in order. Relative entries are skipped:
 * they would depend on fence's own working directory (Go's LookPath refuses them too, ErrDot). */
static int split_path(resolver *rs) {
    const char *p = rs->facts->path_env;

    while (p && *p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t) (colon - p) : strlen(p);
        char *dir;

        if (p[0] == '/') {
            dir = strndup(p, n);
            if (!dir || strv_push_take(&rs->path_dirs, dir) < 0)
                return -ENOMEM;
        }
        p = colon ? colon + 1 : p + n;
    }
    rs->path_lists = calloc(rs->path_dirs.n + 1, sizeof(*rs->path_lists));
    return rs->path_lists ? 0 : -ENOMEM;
}

/* The dirlist of the i-th $PATH directory. */
static int path_list(resolver *rs, size_t i, dirlist **ret) {
    int r = 0;

    if (!rs->path_lists[i])
        r = dir_get(rs, rs->path_dirs.v[i], &rs->path_lists[i]);
    *ret = rs->path_lists[i];
    return r;
}

/* $PATH lookup: the first regular file with an execute bit. */
static int lookpath(resolver *rs, const char *token) {
    for (size_t i = 0; i < rs->path_dirs.n; i++) {
        dirlist *l;
        hit h;
        int r = path_list(rs, i, &l);

        if (r >= 0)
            r = dir_query(rs, l, token, true, &h);
        if (r < 0)
            return r;
        if (h.file && (h.mode & 0111))
            return add_target(rs, token, hit_path(l, token, &h));
    }
    return 0;
}

static int resolve_token(resolver *rs, const char *token) {
    int r;

    if (strchr(token, '/')) {
        _cleanup_free_ char *abs = NULL;

        if (token[0] == '/')
            abs = strdup(token);
        else if (rs->facts->cwd)
            abs = path_join(rs->facts->cwd, token);
        else
            return 0;
        if (!abs)
            return -ENOMEM;
        return is_file(abs, NULL) ? add_target(rs, token, canonical(abs)) : 0;
    }
    r = lookpath(rs, token);
    for (size_t i = 0; common_dirs[i] && r >= 0; i++) {
        dirlist *l = rs->common_lists[i];
        hit h;

        if (!l)
            r = dir_get(rs, common_dirs[i], &rs->common_lists[i]);
        l = rs->common_lists[i];
        if (r >= 0)
            r = dir_query(rs, l, token, false, &h);
        if (r >= 0 && h.file)
            r = add_target(rs, token, hit_path(l, token, &h));
    }
    return r;
}

static int add_dir(resolver *rs, const char *dir) {
    dirlist *l;
    int r;

    if (strv_contains(&rs->dirs, dir))
        return 0;
    r = dir_get(rs, dir, &l);
    if (r < 0 || !l->is_dir)
        return r;
    return strv_push(&rs->dirs, dir);
}

static int add_probe(strv *names, const char *name) {
    _cleanup_free_ char *b = base_dup(name);

    if (!b)
        return -ENOMEM;
    if (b[0] == '\0' || streq(b, ".") || streq(b, "/") || strv_contains(names, b))
        return 0;
    return strv_push(names, b);
}

/* stat(t->path) into t, through the dirlist of its directory (whose entries may already be
 * known). */
static int stat_target(resolver *rs, target *t, dirlist **ret_dir) {
    _cleanup_free_ char *dir = path_dir(t->path), *base = base_dup(t->path), *again = NULL;
    hit h;
    int r;

    *ret_dir = NULL;
    if (!dir || !base)
        return -ENOMEM;
    again = path_join(dir, base);
    if (!again)
        return -ENOMEM;
    if (!streq(again, t->path) || has_dotdot(t->path)) {
        /* not a canonical path (realpath() failed): as it is */
        struct stat st = {0};

        t->st.ok = stat(t->path, &st) == 0;
        h = (hit){.mode = st.st_mode, .nlink = st.st_nlink, .dev = st.st_dev, .ino = st.st_ino};
    } else {
        r = dir_get(rs, dir, ret_dir);
        if (r >= 0)
            r = dir_query(rs, *ret_dir, base, true, &h);
        if (r < 0)
            return r;
        t->st.ok = h.file; /* a directory: matches no candidate either way */
    }
    t->st.mode = h.mode;
    t->st.nlink = h.nlink;
    t->st.dev = h.dev;
    t->st.ino = h.ino;
    return 0;
}

/* stat()s every target, and decides whether plain files can be matched by name: a file whose
 * only link is the target's own entry (st_nlink 1, not a mount point, on its directory's
 * device) has the target's inode exactly when it is that entry. */
static int stat_targets(resolver *rs) {
    rs->by_name = true;
    for (size_t i = 0; i < rs->n_t; i++) {
        target *t = &rs->t[i];
        _cleanup_free_ char *base = NULL;
        dirlist *l = NULL;
        int r;

        for (size_t j = 0; j < i; j++)
            if (streq(rs->t[j].path, t->path)) {
                t->st = rs->t[j].st;
                goto next;
            }
        r = stat_target(rs, t, &l);
        if (r < 0)
            return r;
        if (!t->st.ok)
            continue; /* never matched: check_shared() skips it */
        base = base_dup(t->path);
        if (!base)
            return -ENOMEM;
        if (!l || (l->mode != DIR_LISTED && l->mode != DIR_LOOKUP) || l->dev != t->st.dev ||
            !S_ISREG(t->st.mode) || t->st.nlink != 1 || mount_name(rs, base))
            rs->by_name = false;
        t->st.ddev = l ? l->dev : 0;
        t->st.dino = l ? l->ino : 0;
    next:;
    }
    return 0;
}

static int add_candidate(resolver *rs, dirlist *l, const char *name) {
    candidate *c;
    hit h;
    int r = dir_query(rs, l, name, !rs->by_name, &h);

    if (r < 0 || !h.file)
        return r;
    if (grow(&rs->cand, &rs->cap_cand, rs->n_cand, sizeof(*rs->cand)) < 0)
        return -ENOMEM;
    c = &rs->cand[rs->n_cand];
    *c = (candidate){.name = strdup(name),
                     .by_name = !h.have_st,
                     .dev = h.have_st ? h.dev : h.ddev,
                     .ino = h.have_st ? h.ino : h.dino};
    if (!c->name)
        return -ENOMEM;
    rs->n_cand++;
    return 0;
}

/* Whether l answers every name as the directory whose entries it shares does, so that it adds
 * no candidate of its own: the same realpath is the same place, mount points included. */
static bool same_place(resolver *rs, dirlist *l) {
    dirlist *o = l->table;
    const char *a, *b;

    if (o == l || l->dotdot || o->dotdot || !strv_contains(&rs->dirs, o->dir))
        return false;
    a = dir_real(l);
    b = dir_real(o);
    return a && b && streq(a, b);
}

/* Every (dir, probe name) that exists, with its identity. */
static int build_candidates(resolver *rs) {
    strv names = {0};
    int r = 0;

    for (size_t i = 0; i < rs->n_t && r >= 0; i++)
        r = add_probe(&names, rs->t[i].path);
    for (size_t i = 0; critical[i] && r >= 0; i++)
        r = add_probe(&names, critical[i]);
    for (size_t i = 0; i < rs->deny_tokens.n && r >= 0; i++)
        r = add_probe(&names, rs->deny_tokens.v[i]);
    for (size_t i = 0; i < rs->n_t && r >= 0; i++) {
        _cleanup_free_ char *d = path_dir(rs->t[i].path);
        r = d ? add_dir(rs, d) : -ENOMEM;
    }
    for (size_t i = 0; i < rs->path_dirs.n && r >= 0; i++)
        r = add_dir(rs, rs->path_dirs.v[i]);
    for (const char *const *d = common_dirs; *d && r >= 0; d++)
        r = add_dir(rs, *d);
    if (r >= 0)
        r = stat_targets(rs);
    for (size_t d = 0; d < rs->dirs.n && r >= 0; d++) {
        dirlist *l;

        r = dir_get(rs, rs->dirs.v[d], &l);
        if (r < 0 || same_place(rs, l))
            continue;
        for (size_t k = 0; k < names.n && r >= 0; k++)
            r = add_candidate(rs, l, names.v[k]);
    }
    strv_done(&names);
    return r;
}

static bool cand_is(const candidate *c, const target *t, const char *tbase) {
    if (c->by_name)
        return c->dev == t->st.ddev && c->ino == t->st.dino && streq(c->name, tbase);
    return c->dev == t->st.dev && c->ino == t->st.ino;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int cmp_critical(const void *a, const void *b) {
    return critical_index(*(char *const *) a) - critical_index(*(char *const *) b);
}

static bool accepted(const strv *accept, const char *token) {
    _cleanup_free_ char *tb = base_dup(token);

    for (size_t i = 0; tb && i < accept->n; i++) {
        _cleanup_free_ char *ab = base_dup(accept->v[i]);

        if (streq(accept->v[i], token) || (ab && streq(ab, tb)))
            return true;
    }
    return false;
}

/* The warning for a target whose binary also implements critical commands, or NULL in *ret when
 * there is no collateral damage. Returns 1 when the mask is to be skipped (accepted). */
static int check_shared(resolver *rs, const struct fence_config *cfg, const target *t, char **ret) {
    _cleanup_free_ char *tb = base_dup(t->token), *pb = base_dup(t->path);
    _cleanup_(fbuf_done) fbuf w = FBUF_INIT(64 * 1024);
    strv names = {0}, crit = {0}, other = {0};
    size_t shown;
    int r = 0;

    *ret = NULL;
    if (!tb || !pb)
        return -ENOMEM;
    if (!t->st.ok)
        return 0;
    for (size_t i = 0; i < rs->n_cand && r >= 0; i++)
        if (cand_is(&rs->cand[i], t, pb) && !strv_contains(&names, rs->cand[i].name))
            r = strv_push(&names, rs->cand[i].name);
    for (size_t i = 0; i < names.n && r >= 0; i++) {
        const char *n = names.v[i];

        if (streq(n, tb) || strv_contains(&rs->deny_tokens, n))
            continue;
        r = critical_index(n) >= 0 ? strv_push(&crit, n) : strv_push(&other, n);
    }
    if (r < 0 || names.n <= 1 || crit.n == 0)
        goto out;
    if (accepted(&cfg->command.accept_shared_binary_cannot_runtime_deny, t->token)) {
        r = 1;
        goto out;
    }
    qsort(crit.v, crit.n, sizeof(char *), cmp_critical);
    r = fbuf_printf(&w,
                    EXECDENY_WARNING_PREFIX "runtime exec deny warning for %s (requested: "
                                            "%s): shared binary also implements critical "
                                            "commands [",
                    t->path, t->token);
    shown = rs->facts->debug || crit.n < 3 ? crit.n : 3;
    for (size_t i = 0; i < shown && r >= 0; i++)
        r = fbuf_printf(&w, "%s%s", i ? " " : "", crit.v[i]);
    if (rs->facts->debug) {
        if (other.n > 1)
            qsort(other.v, other.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < other.n && r >= 0; i++)
            r = fbuf_printf(&w, " %s", other.v[i]);
    } else if (names.n - 1 > shown && r >= 0)
        r = fbuf_printf(&w, " +%zu more detected aliases, use --debug for expanded details",
                        names.n - 1 - shown);
    if (r >= 0)
        r = fbuf_puts(&w, "], which will be collaterally blocked. To skip runtime blocking of ");
    if (r >= 0)
        r = cmdpol_quote(&w, tb);
    if (r >= 0)
        r = fbuf_puts(&w, " and silence this warning, add it to "
                          "\"acceptSharedBinaryCannotRuntimeDeny\" in your command config.");
    if (r >= 0) {
        *ret = fbuf_steal(&w);
        r = *ret ? 0 : -ENOMEM;
    }
out:
    strv_done(&names);
    strv_done(&crit);
    strv_done(&other);
    return r < 0 ? -ENOMEM : r;
}

static void strv_remove(strv *l, const char *s) {
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        if (streq(l->v[i], s))
            free(l->v[i]);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
    if (l->v)
        l->v[k] = NULL;
}

static int resolve(resolver *rs, const struct fence_config *cfg, strv *paths, strv *warnings) {
    strv seen = {0};
    int r;

    r = cmdpol_new(cfg, &rs->pol);
    if (r >= 0)
        r = split_path(rs);
    if (r < 0)
        return r;
    for (cmdpol_list l = CMDPOL_DENY; l <= CMDPOL_DEFAULT && r >= 0; l++)
        for (size_t i = 0; i < rs->pol->n_rules[l] && r >= 0; i++) {
            const char *tok = cmdpol_rule_runtime_token(&rs->pol->rules[l][i]);
            _cleanup_free_ char *b = NULL;

            if (!tok)
                continue;
            b = base_dup(tok);
            if (!b)
                return -ENOMEM;
            if (!strv_contains(&rs->deny_tokens, tok))
                r = strv_push(&rs->deny_tokens, tok);
            if (r >= 0 && !strv_contains(&rs->deny_tokens, b))
                r = strv_push(&rs->deny_tokens, b);
        }
    for (size_t i = 0; i < rs->deny_tokens.n && r >= 0; i++)
        r = strv_push(&rs->wanted, rs->deny_tokens.v[i]);
    for (size_t i = 0; critical[i] && r >= 0; i++)
        r = strv_push(&rs->wanted, critical[i]);
    if (r >= 0 && rs->wanted.n > 1)
        qsort(rs->wanted.v, rs->wanted.n, sizeof(char *), cmp_name);
    for (cmdpol_list l = CMDPOL_DENY; l <= CMDPOL_DEFAULT && r >= 0; l++)
        for (size_t i = 0; i < rs->pol->n_rules[l] && r >= 0; i++) {
            const char *tok = cmdpol_rule_runtime_token(&rs->pol->rules[l][i]);

            if (tok)
                r = resolve_token(rs, tok);
        }
    if (r >= 0 && rs->n_t > 0)
        r = build_candidates(rs);
    for (size_t i = 0; i < rs->n_t && r >= 0; i++) {
        char *warning = NULL;

        if (strv_contains(&seen, rs->t[i].path))
            continue;
        r = strv_push(&seen, rs->t[i].path);
        if (r >= 0)
            r = check_shared(rs, cfg, &rs->t[i], &warning);
        if (r >= 0 && warning)
            r = strv_push_take(warnings, warning);
        if (r == 0)
            r = strv_push(paths, rs->t[i].path);
        if (r == 1)
            r = 0; /* accepted: not masked */
    }
    strv_done(&seen);
    if (r >= 0 && rs->facts->shell_path) {
        _cleanup_free_ char *real = canonical(rs->facts->shell_path);

        if (!real)
            return -ENOMEM;
        strv_remove(paths, rs->facts->shell_path);
        strv_remove(paths, real);
    }
    return r;
}

int execdeny_resolve(const struct fence_config *cfg, const execdeny_facts *facts, strv *ret_paths,
                     strv *ret_warnings, fence_error *err) {
    resolver rs = {.facts = facts};
    strv paths = {0}, warnings = {0};
    int r;

    if (!cfg || !facts || !ret_paths || !ret_warnings)
        return fence_error_set(err, FENCE_E_INVAL, 0, "execdeny_resolve: NULL argument");
    r = resolve(&rs, cfg, &paths, &warnings);
    resolver_done(&rs);
    if (r < 0) {
        strv_done(&paths);
        strv_done(&warnings);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "resolving runtime exec denies");
    }
    if (paths.n > 1)
        qsort(paths.v, paths.n, sizeof(char *), cmp_str);
    if (warnings.n > 1)
        qsort(warnings.v, warnings.n, sizeof(char *), cmp_str);
    *ret_paths = paths;
    *ret_warnings = warnings;
    return 0;
}
