/* SPDX-License-Identifier: MIT */
/*
 * fence_manager: one policy, the options of a run, and (once the engine lands) the sandbox and
 * proxies it drives. PLACEHOLDER: options are stored, but this build has no sandbox engine yet,
 * so the run functions refuse plainly instead of pretending. The engine issue replaces this.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "runtime/rlog.h"
#include "util/error.h"

struct fence_manager {
    fence_config *cfg;
    rlog log;
};

FENCE_API int fence_manager_new(const fence_config *cfg, fence_manager **ret, fence_error *err) {
    fence_manager *m;

    if (!ret)
        return fence_error_set(err, FENCE_E_INVAL, 0, "fence_manager_new: ret is NULL");
    m = calloc(1, sizeof(*m));
    if (!m)
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "allocating manager");
    m->cfg = cfg ? fence_config_copy(cfg) : fence_config_new();
    if (!m->cfg) {
        free(m);
        return fence_error_set(err, FENCE_E_NOMEM, ENOMEM, "copying config");
    }
    *ret = m;
    return 0;
}

FENCE_API void fence_manager_free(fence_manager *m) {
    if (!m)
        return;
    fence_config_free(m->cfg);
    free(m);
}

FENCE_API int fence_manager_set_debug(fence_manager *m, int debug) {
    if (!m)
        return -FENCE_E_INVAL;
    m->log.debug = debug != 0;
    return 0;
}

FENCE_API int fence_manager_set_monitor(fence_manager *m, int monitor) {
    if (!m)
        return -FENCE_E_INVAL;
    m->log.monitor = monitor != 0;
    return 0;
}

FENCE_API int fence_manager_set_log_callback(fence_manager *m, fence_log_fn fn, void *userdata) {
    if (!m)
        return -FENCE_E_INVAL;
    m->log.fn = fn;
    m->log.userdata = userdata;
    return 0;
}

static int no_engine(fence_error *err) {
    return fence_error_set(err, FENCE_E_UNSUPPORTED, 0,
                           "this build cannot run commands yet: the sandbox engine is not built in");
}

FENCE_API int fence_manager_add_exposed_port(fence_manager *m, const char *bind_addr, int port,
                                             fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_set_execution_model(fence_manager *m, fence_execution_model model) {
    return m ? 0 : -FENCE_E_INVAL;
}

FENCE_API int fence_manager_expose_host_path(fence_manager *m, const char *path, int writable,
                                             fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_set_shell(fence_manager *m, const char *mode, int login,
                                      fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_set_force_new_session(fence_manager *m, int value) {
    return m ? 0 : -FENCE_E_INVAL;
}

FENCE_API int fence_manager_set_workdir(fence_manager *m, const char *dir, fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_set_allow_degraded(fence_manager *m, unsigned flags) {
    return m ? 0 : -FENCE_E_INVAL;
}

FENCE_API int fence_manager_initialize(fence_manager *m, fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_run(fence_manager *m, const char *command, int *ret_status,
                                fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_describe(fence_manager *m, const char *command, char **ret,
                                     fence_error *err) {
    return no_engine(err);
}

FENCE_API int fence_manager_http_port(const fence_manager *m) {
    return 3128;
}

FENCE_API int fence_manager_socks_port(const fence_manager *m) {
    return 1080;
}

FENCE_API void fence_manager_cleanup(fence_manager *m) {
}

FENCE_API int fence_is_supported(void) {
    return 0;
}
