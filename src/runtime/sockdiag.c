/* SPDX-License-Identifier: MIT */
/* sockdiag: the owner of a local TCP peer through NETLINK_SOCK_DIAG; see sockdiag.h. */
#include "runtime/sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

/* TCP_TIME_WAIT of the kernel's enum (include/net/tcp_states.h); netinet/tcp.h has it under
 * another name, which clashes with linux/ headers. */
#define TCP_TIME_WAIT_STATE 6

typedef struct endpoint {
    int family;
    uint8_t addr[16];
    uint16_t port; /* network byte order */
} endpoint;

/* Reads a sockaddr; an IPv4-mapped IPv6 address becomes the IPv4 one (that is the family of
 * the peer's socket then). */
static int endpoint_of(const struct sockaddr_storage *ss, endpoint *ret) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    memset(ret, 0, sizeof(*ret));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *) ss;

        ret->family = AF_INET;
        memcpy(ret->addr, &a->sin_addr, 4);
        ret->port = a->sin_port;
        return 0;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) ss;

        if (memcmp(a->sin6_addr.s6_addr, mapped, 12) == 0) {
            ret->family = AF_INET;
            memcpy(ret->addr, a->sin6_addr.s6_addr + 12, 4);
        } else {
            ret->family = AF_INET6;
            memcpy(ret->addr, a->sin6_addr.s6_addr, 16);
        }
        ret->port = a->sin6_port;
        return 0;
    }
    return -EAFNOSUPPORT;
}

int sockdiag_peer_uid(int fd, uid_t *ret_uid) {
    struct sockaddr_storage ls, ps;
    socklen_t ll = sizeof(ls), pl = sizeof(ps);
    endpoint me, peer;
    struct {
        struct nlmsghdr h;
        struct inet_diag_req_v2 r;
    } req;
    union {
        char buf[1024];
        struct nlmsghdr align;
    } resp;
    const struct nlmsghdr *h = &resp.align;
    const struct inet_diag_msg *m;
    _cleanup_close_ int nl = -1;
    ssize_t n;
    int r;

    if (getsockname(fd, (struct sockaddr *) &ls, &ll) < 0 ||
        getpeername(fd, (struct sockaddr *) &ps, &pl) < 0)
        return -errno;
    if ((r = endpoint_of(&ls, &me)) < 0 || (r = endpoint_of(&ps, &peer)) < 0)
        return r;
    if (me.family != peer.family)
        return -ENOENT;

    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = sizeof(req);
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST; /* one exact socket, not a dump */
    req.h.nlmsg_seq = 1;
    req.r.sdiag_family = (uint8_t) peer.family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = ~0u;
    /* the peer's socket: its source is our remote end, its destination our local end */
    req.r.id.idiag_sport = peer.port;
    req.r.id.idiag_dport = me.port;
    memcpy(req.r.id.idiag_src, peer.addr, 16);
    memcpy(req.r.id.idiag_dst, me.addr, 16);
    req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

    nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -errno;
    if (send(nl, &req, sizeof(req), 0) < 0)
        return -errno;
    /* the kernel answers an exact request while handling the send: never wait for it */
    n = recv(nl, resp.buf, sizeof(resp.buf), MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN ? -ETIMEDOUT : -errno;
    if ((size_t) n < sizeof(*h) || h->nlmsg_len > (size_t) n || h->nlmsg_seq != 1)
        return -EBADMSG;
    if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
            return -EBADMSG;
        return e->error < 0 ? e->error : -ENOENT;
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
        return -EBADMSG;
    m = NLMSG_DATA(h);
    /* the kernel found it by these keys; check anyway that it is the socket we asked about */
    if (m->idiag_family != peer.family || m->id.idiag_sport != peer.port ||
        m->id.idiag_dport != me.port || memcmp(m->id.idiag_src, peer.addr, 16) != 0 ||
        memcmp(m->id.idiag_dst, me.addr, 16) != 0)
        return -ENOENT;
    /* a socket no process holds any more (closed: orphaned, or in TIME_WAIT, which reports
     * uid 0) vouches for nobody */
    if (m->idiag_inode == 0 || m->idiag_state == TCP_TIME_WAIT_STATE)
        return -ENOENT;
    *ret_uid = (uid_t) m->idiag_uid;
    return 0;
}
