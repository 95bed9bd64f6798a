/* SPDX-License-Identifier: MIT */
/*
 * nsfactory: TCP sockets created inside the sandbox's network namespace, for the supervisor.
 *
 * A socket belongs to the network namespace of the process that creates it, for its whole
 * life. The supervisor lives in the host's namespace; to connect inbound (`-p`) traffic to a
 * service listening on the sandbox's private loopback it needs sockets made in the sandbox's.
 * It cannot enter that namespace itself: joining a network namespace needs CAP_SYS_ADMIN over
 * its owning user namespace *and* in one's own, so an unprivileged supervisor would have to
 * join the sandbox's user namespace and could never come back.
 *
 * So a small helper does it (DESIGN.md "Network"). The supervisor finds the namespaces from a
 * socket it already holds that was made inside (a proxy listener): SIOCGSKNS gives the socket's
 * network namespace, NS_GET_USERNS its owning user namespace; both work for the owner of the
 * sandbox's user namespace without any access to the sandbox's processes (which are
 * non-dumpable, so their /proc/PID/ns links and pidfd-based setns are closed to an unprivileged
 * supervisor). It forks the helper; the helper becomes non-dumpable, leaves the terminal's
 * session, closes every fd but its end of a socketpair and the two namespace fds, and joins the
 * user namespace, then the network namespace. An unprivileged caller may: a process in the
 * parent user namespace with the owner's euid has every capability in the child one. It stays
 * in the host's PID namespace, so the workload cannot name it (no pid: no ptrace, no signal,
 * no /proc entry), and it runs no code but this loop: read a request (an address family),
 * create a non-blocking TCP socket, send it back with SCM_RIGHTS. The supervisor connect()s
 * the socket itself. The helper exits when the supervisor closes the socketpair or dies
 * (PR_SET_PDEATHSIG).
 *
 * Requests are answered in order; callbacks always run from the loop.
 */
#pragma once

#include "fence/fence.h"
#include "runtime/evloop.h"

typedef struct nsfactory nsfactory;
typedef struct nsfactory_req nsfactory_req;

/* Requests sent to the helper and not yet answered, at most; more wait in the supervisor. */
#define NSFACTORY_IN_FLIGHT 32
/* Requests waiting in all, at most (then nsfactory_socket() answers -EBUSY). */
#define NSFACTORY_MAX_PENDING 4096
/* How long nsfactory_new() waits for the helper to report that it joined the namespaces. */
#define NSFACTORY_START_TIMEOUT_MS 5000

/* fd >= 0: a new non-blocking, close-on-exec TCP socket in the sandbox's network namespace,
 * owned by the callback; fd < 0: err is the errno why not (EPIPE when the helper is gone). */
typedef void (*nsfactory_cb)(void *userdata, int fd, int err);

/* Starts the helper for the network namespace of inside_sock (any socket made in the sandbox's
 * namespace; borrowed) and waits until it has joined it. Errors: -FENCE_E_SANDBOX with the
 * reason (namespace not reachable, setns refused), -FENCE_E_SPAWN, -FENCE_E_NOMEM. */
int nsfactory_new(evloop *loop, int inside_sock, nsfactory **ret, fence_error *err);

/* Asks for a socket of family (AF_INET or AF_INET6). Returns 0 with *ret set until the callback
 * has run or the request is cancelled; -EBUSY (too many waiting), -EPIPE (helper gone),
 * -EINVAL, -ENOMEM. The callback is never called from inside this function. */
int nsfactory_socket(nsfactory *f, int family, nsfactory_cb cb, void *userdata,
                     nsfactory_req **ret);

/* Withdraws a request whose callback has not run; a socket that arrives for it is closed. */
void nsfactory_cancel(nsfactory *f, nsfactory_req *req);

/* Stops the helper (SIGKILL, reaped), drops every pending request without calling back, frees.
 * NULL is fine. Must not be called from one of its callbacks. */
void nsfactory_free(nsfactory *f);

/* Process id of the helper (tests). */
int nsfactory_helper_pid(const nsfactory *f);
