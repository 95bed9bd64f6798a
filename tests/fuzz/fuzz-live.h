/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets that drive a live proxy: one evloop and one proxy per process
 * (created on first use, with a policy that lets nothing through, a resolver pointed at a
 * closed port and short timeouts), and a feeder that writes an input into a client socketpair in
 * fuzzer-chosen pieces, runs the loop after each, half-closes, and runs the loop until the proxy
 * has let go of the connection, handing everything the proxy sent to a sink.
 */
#pragma once

#include <assert.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "runtime/evloop.h"
#include "runtime/proxy.h"

typedef struct fuzz_live {
    evloop *loop;
    proxy *px;
} fuzz_live;

static void fuzz_live_init(fuzz_live *fl) {
    fence_config *cfg = fence_config_new();
    proxy_options o = {.dns_servers = "127.0.0.1:1",
                       .header_timeout_ms = 50,
                       .keepalive_timeout_ms = 50,
                       .handshake_timeout_ms = 50};

    signal(SIGPIPE, SIG_IGN);
    fence_config_list_append_string(cfg, FENCE_CFG_NETWORK_DENIED_DOMAINS, "*.denied.test");
    if (evloop_new(&fl->loop) < 0 || proxy_new(fl->loop, cfg, NULL, &o, &fl->px, NULL) < 0)
        abort();
    fence_config_free(cfg);
}

typedef size_t (*fuzz_piece_fn)(uint8_t pattern, size_t i);
typedef void (*fuzz_sink_fn)(const uint8_t *p, size_t n, void *userdata);

static void fuzz_live_drain(int fd, fuzz_sink_fn sink, void *userdata) {
    uint8_t buf[65536];
    ssize_t k;

    while ((k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        if (sink)
            sink(buf, (size_t) k, userdata);
}

static void fuzz_live_feed(fuzz_live *fl, proxy_kind kind, const uint8_t *buf, size_t len,
                           uint8_t pattern, fuzz_piece_fn piece, fuzz_sink_fn sink,
                           void *userdata) {
    proxy_stats st;
    size_t at = 0;
    int sv[2];

    if (!fl->loop)
        fuzz_live_init(fl);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    if (proxy_adopt(fl->px, kind, sv[1]) < 0)
        abort();
    for (size_t i = 0; at < len; i++) {
        size_t n = piece(pattern, i);

        if (n > len - at)
            n = len - at;
        if (send(sv[0], buf + at, n, MSG_NOSIGNAL) < 0)
            break;
        at += n;
        evloop_run_once(fl->loop, 0);
        fuzz_live_drain(sv[0], sink, userdata);
    }
    shutdown(sv[0], SHUT_WR);
    /* the proxy has timeouts of its own; this only bounds a bug */
    for (int i = 0; i < 2000; i++) {
        proxy_get_stats(fl->px, &st);
        if (st.active == 0)
            break;
        evloop_run_once(fl->loop, 1);
        fuzz_live_drain(sv[0], sink, userdata);
    }
    proxy_get_stats(fl->px, &st);
    assert(st.active == 0);
    fuzz_live_drain(sv[0], sink, userdata);
    close(sv[0]);
}
