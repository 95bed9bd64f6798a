/* SPDX-License-Identifier: MIT */
/* Bounded whole-file reads. */
#pragma once

#include <stddef.h>

/* Reads fd to EOF into a NUL-terminated buffer of at most max bytes. Returns 0, -EFBIG when the
 * input is larger than max, -ENOMEM, or -errno from read(). *ret is freed by the caller. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* Same for a path opened with O_RDONLY|O_CLOEXEC. -EISDIR for a directory. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Sends len bytes of data on the unix socket sock, with fd attached (SCM_RIGHTS) unless fd < 0.
 * One sendmsg(MSG_NOSIGNAL); no allocation (usable after clone). 0 or -errno. */
int send_with_fd(int sock, const void *data, size_t len, int fd);

/* Receives one message of at most len bytes into data with recvmsg(MSG_CMSG_CLOEXEC | flags);
 * an attached fd (SCM_RIGHTS) goes to *ret_fd, else -1. A truncated message or control part
 * closes the fd and gives -EBADMSG. Returns the bytes received (0 at EOF) or -errno. */
long recv_with_fd(int sock, void *data, size_t len, int flags, int *ret_fd);
