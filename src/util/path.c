/* SPDX-License-Identifier: MIT */
/* Lexical path helpers; see path.h. */
#include "util/path.h"

#include <stdlib.h>
#include <string.h>

bool path_is_abs(const char *p) {
    return p[0] == '/';
}

char *path_clean(const char *p) {
    size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
    bool rooted = p[0] == '/';
    char *out;

    if (n == 0)
        return strdup(".");
    out = malloc(n + 2);
    if (!out)
        return NULL;
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (p[r] == '/') {
            r++;
        } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
            r++;
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                /* drop the last element written */
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && p[r] != '/'; r++)
                out[w++] = p[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

char *path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *tmp, *res;

    if (la == 0)
        return lb ? path_clean(b) : strdup("");
    if (lb == 0)
        return path_clean(a);
    tmp = malloc(la + lb + 2);
    if (!tmp)
        return NULL;
    memcpy(tmp, a, la);
    tmp[la] = '/';
    memcpy(tmp + la + 1, b, lb + 1);
    res = path_clean(tmp);
    free(tmp);
    return res;
}

char *path_base(const char *p) {
    size_t n = strlen(p);
    const char *s;

    if (n == 0)
        return strdup(".");
    while (n > 0 && p[n - 1] == '/')
        n--;
    if (n == 0)
        return strdup("/");
    s = p + n;
    while (s > p && s[-1] != '/')
        s--;
    return strndup(s, (size_t) (p + n - s));
}

char *path_dir(const char *p) {
    const char *slash = strrchr(p, '/');
    char *tmp, *res;

    if (!slash)
        return strdup(".");
    tmp = strndup(p, (size_t) (slash - p) + 1);
    if (!tmp)
        return NULL;
    res = path_clean(tmp);
    free(tmp);
    return res;
}

bool path_is_under(const char *path, const char *prefix) {
    size_t n = strlen(prefix);

    if (strcmp(prefix, "/") == 0)
        return path[0] == '/';
    if (strncmp(path, prefix, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/';
}
