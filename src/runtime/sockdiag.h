/* SPDX-License-Identifier: MIT */
/*
 * sockdiag: who is at the other end of a local TCP connection.
 *
 * SO_PEERCRED only works for unix sockets. For a TCP connection made on this host (both ends in
 * the supervisor's network namespace, e.g. over loopback), the kernel still knows the peer's
 * socket: one NETLINK_SOCK_DIAG request for the exact 4-tuple (the peer's local address is our
 * remote one and the other way round) returns it with the uid that created it. fence uses this
 * to refuse other local users on the relaxed-mode proxy listeners, which must live on host
 * loopback (spec/anchors.md §5 class 12).
 *
 * The lookup is a single request answered synchronously by the kernel while we send it; the
 * reply is read without blocking, so it never stalls the event loop.
 */
#pragma once

#include <sys/types.h>

/* The uid that owns the peer socket of the connected TCP socket fd, as seen from the caller's
 * user namespace. Returns 0 and *ret_uid; -ENOENT when no process holds such a socket here (the
 * peer closed it, or it is in another network namespace or on another host); -errno for other
 * failures. */
int sockdiag_peer_uid(int fd, uid_t *ret_uid);
