/* SPDX-License-Identifier: MIT */
/* Bounded whole-file reads. */
#pragma once

#include <stddef.h>

/* Reads fd to EOF into a NUL-terminated buffer of at most max bytes. Returns 0, -EFBIG when the
 * input is larger than max, -ENOMEM, or -errno from read(). *ret is freed by the caller. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* Same for a path opened with O_RDONLY|O_CLOEXEC. -EISDIR for a directory. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
