/* SPDX-License-Identifier: MIT */
/*
 * netrun: the network plumbing of one sandboxed run (spec/fence-behaviour.md §6.5, §6.6,
 * DESIGN.md "Network").
 *
 * With a network namespace (the normal case), the sandbox has nothing but its own loopback:
 *  - the engine creates the proxy listeners there (127.0.0.1 and ::1, on 3128 and 1080 or
 *    network.httpProxyPort/socksProxyPort) and hands them to the supervisor, whose event loop
 *    serves them with the proxy module: a connection from inside lands directly in the proxy;
 *  - allowLocalOutboundPorts: listeners on 127.0.0.1:PORT and [::1]:PORT inside, relayed by
 *    the supervisor to the same address and port on the host's loopback;
 *  - `-p ADDR:PORT`: a listener on the host, relayed into the sandbox to 127.0.0.1:PORT (or
 *    [::1]:PORT), with sockets made in the sandbox's namespace by the nsfactory helper; not
 *    with --service-execution-model on-host (the service binds on the host itself).
 *
 * Without one (relaxed mode, allowedDomains ["*"]), the proxies still run, on host loopback at
 * random ports, and accept only connections whose peer socket belongs to the same uid
 * (sockdiag.h): other local users cannot use them. The sandbox shares the host's network, so
 * nothing is relayed.
 *
 * Landlock TCP rules (ABI >= 4) are the second layer. With a netns and allowLocalBinding off,
 * the workload may connect only to the proxy ports, the allowLocalOutboundPorts and its own -p
 * ports, and bind only the -p ports. allowLocalBinding on lets it serve and use any port on its
 * private loopback, so TCP is then left to the namespace alone. In relaxed mode direct
 * connections are what the user asked for: no TCP rules. A run without a netns that is not
 * relaxed (a degraded level) restricts connect to the host proxies' ports and the
 * allowLocalOutboundPorts.
 *
 * A run goes: netrun_plan_build() while planning (pure), netrun_start() before the sandbox is
 * spawned (binds the host listeners, so a busy -p port fails the run before anything starts;
 * creates the proxy), netrun_env()/netrun_landlock() for the spawn, netrun_attach() once the
 * sandbox exists (its listeners to the proxy and relays, the helper if -p is used), and
 * netrun_free() after it exited.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enforce/linux/landlock.h"
#include "enforce/linux/spawn.h"
#include "fence/fence.h"
#include "runtime/evloop.h"
#include "runtime/rlog.h"
#include "util/fbuf.h"
#include "util/strv.h"

struct fence_config;

/* -p entries per run. */
#define NETRUN_MAX_EXPOSED 32
/* allowLocalOutboundPorts entries: two in-sandbox listeners each, next to the four proxy ones. */
#define NETRUN_MAX_OUTBOUND_PORTS ((SANDBOX_MAX_LISTENERS - 4) / 2)

#define NETRUN_NO_PROXY "localhost,127.0.0.1,::1"

/* One -p exposure. */
typedef struct netrun_expose {
    int family;    /* of addr */
    char addr[48]; /* numeric, as parsed */
    uint16_t port;
} netrun_expose;

typedef enum netrun_role {
    NETRUN_ROLE_HTTP = 0,
    NETRUN_ROLE_SOCKS,
    NETRUN_ROLE_OUTBOUND,
} netrun_role;

typedef struct netrun_plan {
    bool netns;                     /* the sandbox gets its own network namespace */
    bool relaxed;                   /* allowedDomains contains "*" */
    uint16_t http_port, socks_port; /* in the sandbox's namespace (netns) */
    /* listeners the engine creates in the sandbox's namespace, and what each one is for */
    sandbox_listener listeners[SANDBOX_MAX_LISTENERS];
    netrun_role roles[SANDBOX_MAX_LISTENERS];
    size_t n_listeners;
    uint16_t outbound[NETRUN_MAX_OUTBOUND_PORTS];
    size_t n_outbound;
    netrun_expose expose[NETRUN_MAX_EXPOSED];
    size_t n_expose;
    bool relay_inbound; /* -p is relayed into the sandbox (netns, service in the sandbox) */
    bool on_host;       /* --service-execution-model on-host */
    bool allow_binding; /* network.allowLocalBinding */
    bool warn_outbound; /* allowLocalOutbound without ports: the §6.6 warning */
} netrun_plan;

/* Parses one exposure: bind_addr an IP literal (NULL = "127.0.0.1"), port 1-65535.
 * Errors (-FENCE_E_INVAL): "exposing port N: ...". */
int netrun_expose_parse(const char *bind_addr, int port, netrun_expose *ret, fence_error *err);

/* Plans the run's network (pure). netns says whether the sandbox gets a network namespace (the
 * caller's decision: normally !relaxed). Errors (-FENCE_E_CONFIG), e.g. "network.
 * allowLocalOutboundPorts entry 3128 conflicts with a reserved in-sandbox proxy port". */
int netrun_plan_build(const struct fence_config *cfg, bool netns, const netrun_expose *expose,
                      size_t n_expose, fence_execution_model model, netrun_plan *ret,
                      fence_error *err);

/* Adds the planned TCP rules to ll (ports of the in-sandbox listeners; for a run without a
 * netns, netrun_landlock() adds the host proxies' ports once they are known). Returns 0,
 * -E2BIG or -ENOMEM. */
int netrun_plan_landlock(const netrun_plan *p, landlock_plan *ll);

/* Renders the plan for `fence -d` (listeners, relays, the proxy variables). */
int netrun_plan_dump(const netrun_plan *p, fbuf *out);

/* The [fence] lines of §6.6 a run prints once (through log, whatever the verbosity). */
void netrun_plan_warn(const netrun_plan *p, const rlog *log);

typedef struct netrun netrun;

typedef struct netrun_options {
    const char *dns_servers; /* "ip:port,..." for the proxies' resolver; NULL = system */
} netrun_options;

/* Creates the proxy on loop for cfg (copied) and binds the host-side listeners (relaxed-mode
 * proxies, -p). plan and log are borrowed and must outlive the netrun. Errors: -FENCE_E_PROXY
 * ("exposing port 8080 on 127.0.0.1: Address already in use"), -FENCE_E_CONFIG,
 * -FENCE_E_NOMEM. */
int netrun_start(evloop *loop, const struct fence_config *cfg, const netrun_plan *plan,
                 const rlog *log, const netrun_options *opts, netrun **ret, fence_error *err);

/* Replaces any proxy variables in env (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY in both
 * cases, FTP_PROXY) with the §6.5 set pointing at this run's proxies. Returns 0 or -ENOMEM. */
int netrun_env(const netrun *n, strv *env);

/* Completes ll for a run without a netns (the host proxies' ports). Returns 0 or -errno. */
int netrun_landlock(const netrun *n, landlock_plan *ll);

/* Once the sandbox exists: takes its listener fds (sb->listener_fds entries become -1), hands
 * them to the proxy and the relays, starts the namespace helper when -p is relayed, and starts
 * serving. Raises RLIMIT_NOFILE's soft limit to the hard one and blocks SIGPIPE in the calling
 * thread (splice(2) raises it); netrun_free() restores both. */
int netrun_attach(netrun *n, sandbox *sb, fence_error *err);

/* The host port of the relaxed-mode proxy listener of that role (0 when none). */
int netrun_host_port(const netrun *n, netrun_role role);

/* Stops the proxy, the relays and the helper; closes every listener. NULL is fine. */
void netrun_free(netrun *n);
