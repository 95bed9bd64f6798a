/* SPDX-License-Identifier: MIT */
/*
 * Our own definition of the Landlock user-space ABI, up to ABI 7 (Linux 6.15). Debian 12's
 * <linux/landlock.h> stops at ABI 2, so the structs, constants and syscall numbers that fence
 * uses are written out here, with the ABI version that introduced each one. Do not include
 * <linux/landlock.h> next to this file (the names are the kernel's, on purpose).
 *
 * Reference: the kernel's Documentation/userspace-api/landlock.rst and landlock(7).
 */
#pragma once

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef _UAPI_LINUX_LANDLOCK_H
#error "landlock-abi.h replaces <linux/landlock.h>; include only one of them"
#endif

/* The Landlock syscalls have the same number on every architecture (the unified table). */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

/* Highest ABI this header describes. */
#define LANDLOCK_ABI_KNOWN 7

/* landlock_create_ruleset() argument. The kernel accepts any prefix that covers the fields it
 * needs: 8 bytes (ABI 1-3), 16 bytes (ABI 4-5, net), 24 bytes (ABI 6+, scopes). */
struct landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

/* landlock_create_ruleset() flags */
#define LANDLOCK_CREATE_RULESET_VERSION (1u << 0) /* attr NULL, size 0: returns the ABI */
#define LANDLOCK_CREATE_RULESET_ERRATA  (1u << 1) /* attr NULL, size 0: returns errata bits */

/* landlock_add_rule() rule types */
enum landlock_rule_type {
    LANDLOCK_RULE_PATH_BENEATH = 1,
    LANDLOCK_RULE_NET_PORT = 2, /* ABI 4 */
};

struct landlock_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct landlock_net_port_attr { /* ABI 4 */
    uint64_t allowed_access;
    uint64_t port; /* host endianness */
};

/* Filesystem rights. ABI 1: bits 0-12. */
#define LANDLOCK_ACCESS_FS_EXECUTE     (1ull << 0)
#define LANDLOCK_ACCESS_FS_WRITE_FILE  (1ull << 1)
#define LANDLOCK_ACCESS_FS_READ_FILE   (1ull << 2)
#define LANDLOCK_ACCESS_FS_READ_DIR    (1ull << 3)
#define LANDLOCK_ACCESS_FS_REMOVE_DIR  (1ull << 4)
#define LANDLOCK_ACCESS_FS_REMOVE_FILE (1ull << 5)
#define LANDLOCK_ACCESS_FS_MAKE_CHAR   (1ull << 6)
#define LANDLOCK_ACCESS_FS_MAKE_DIR    (1ull << 7)
#define LANDLOCK_ACCESS_FS_MAKE_REG    (1ull << 8)
#define LANDLOCK_ACCESS_FS_MAKE_SOCK   (1ull << 9)
#define LANDLOCK_ACCESS_FS_MAKE_FIFO   (1ull << 10)
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK  (1ull << 11)
#define LANDLOCK_ACCESS_FS_MAKE_SYM    (1ull << 12)
#define LANDLOCK_ACCESS_FS_REFER       (1ull << 13) /* ABI 2: link/rename across directories */
#define LANDLOCK_ACCESS_FS_TRUNCATE    (1ull << 14) /* ABI 3 */
#define LANDLOCK_ACCESS_FS_IOCTL_DEV   (1ull << 15) /* ABI 5: ioctl on character/block devices */

/* Network rights (ABI 4) */
#define LANDLOCK_ACCESS_NET_BIND_TCP    (1ull << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ull << 1)

/* Scopes (ABI 6) */
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)
#define LANDLOCK_SCOPE_SIGNAL               (1ull << 1)

/* landlock_restrict_self() flags (ABI 7): audit logging of denials */
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF  (1u << 0)
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON    (1u << 1)
#define LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1u << 2)

/* Rights that apply to a file as opposed to a directory: a path-beneath rule on a file that
 * names any other right fails with EINVAL. */
#define LANDLOCK_ACCESS_FS_FILE_MASK                                                               \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |   \
     LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

static inline int landlock_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size,
                                          uint32_t flags) {
    return (int) syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

static inline int landlock_add_rule(int ruleset_fd, enum landlock_rule_type type, const void *attr,
                                    uint32_t flags) {
    return (int) syscall(__NR_landlock_add_rule, ruleset_fd, type, attr, flags);
}

static inline int landlock_restrict_self(int ruleset_fd, uint32_t flags) {
    return (int) syscall(__NR_landlock_restrict_self, ruleset_fd, flags);
}
