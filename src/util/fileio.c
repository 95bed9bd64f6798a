/* SPDX-License-Identifier: MIT */
/* Bounded whole-file reads; see fileio.h. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fbuf.h"

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len) {
    fbuf b = FBUF_INIT(max);
    int r;

    for (;;) {
        ssize_t k;

        r = fbuf_reserve(&b, 4096);
        if (r == -ENOBUFS) {
            /* Less than 4 KiB of room: read what still fits, plus one byte to detect excess. */
            size_t room = b.max - b.len;
            char probe[1];

            if (room) {
                r = fbuf_reserve(&b, room);
                if (r < 0)
                    goto fail;
                k = read(fd, b.data + b.len, room);
            } else {
                k = read(fd, probe, 1);
                if (k > 0) {
                    r = -EFBIG;
                    goto fail;
                }
            }
        } else if (r < 0) {
            goto fail;
        } else {
            k = read(fd, b.data + b.len, b.cap - b.len - 1);
        }
        if (k < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            goto fail;
        }
        if (k == 0)
            break;
        b.len += (size_t) k;
        b.data[b.len] = '\0';
    }
    if (ret_len)
        *ret_len = b.len;
    *ret = fbuf_steal(&b);
    return *ret ? 0 : -ENOMEM;
fail:
    fbuf_done(&b);
    return r;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len) {
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    return read_full_fd(fd, max, ret, ret_len);
}
