/* SPDX-License-Identifier: MIT */
/* Bounded whole-file reads; see fileio.h. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
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

int send_with_fd(int sock, const void *data, size_t len, int fd) {
    struct iovec iov = {.iov_base = (void *) data, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

    if (fd >= 0) {
        struct cmsghdr *c;

        memset(&u, 0, sizeof(u));
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof(u.buf);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

long recv_with_fd(int sock, void *data, size_t len, int flags, int *ret_fd) {
    struct iovec iov = {.iov_base = data, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    ssize_t n;

    *ret_fd = -1;
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)) && *ret_fd < 0)
            memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        if (*ret_fd >= 0)
            close(*ret_fd);
        *ret_fd = -1;
        return -EBADMSG;
    }
    return (long) n;
}
