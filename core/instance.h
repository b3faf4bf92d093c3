/*
 * instance.h — the core's record of one configured module instance.
 * Internal: modules see only the opaque struct wsgw_instance.
 */
#ifndef WSGW_INSTANCE_H
#define WSGW_INSTANCE_H

#include <wsgw/wsgw.h>

struct wsgw_sinkq;
struct wsgw_router_src;
struct wsgw_loaded_module;

enum instance_kind { INSTANCE_SOURCE, INSTANCE_SINK, INSTANCE_SERVICE };

struct wsgw_instance {
    char *name;                    /* owned                              */
    const struct wsgw_module *mod; /* from the loaded module             */
    struct wsgw_loaded_module *lm; /* dlopen handle, owned by the loader */
    enum instance_kind kind;
    const struct wsgw_conf_node *node; /* its YAML map (owned by the tree) */
    void *conf;                        /* option struct, owned (conf_size)   */
    void *ctx;                         /* the module's context               */
    int log_level;                     /* enum wsgw_log_level                */
    int created;                       /* create() succeeded                 */
    int started;                       /* start() succeeded                  */

    /* sinks */
    struct wsgw_sinkq *q; /* core queue; owned                          */
    int required;         /* DOWN makes /health 503                     */
    unsigned classes;     /* classes routed to this sink                */

    /* sources: per-class destination sinks, built from routes           */
    struct wsgw_router_src *routes; /* owned                            */
};

#endif
