/*
 * registry.h — the subscription registry (core). Written by the
 * registry/HTTP area; the daemon calls these in this order:
 *   registry_init -> registry_add_static (per source entry) ->
 *   [modules start] -> registry_load -> ... -> registry_free.
 * Loop thread only.
 */
#ifndef WSGW_REGISTRY_H
#define WSGW_REGISTRY_H

#include "instance.h"

/*
 * source: the instance whose module has source_ops (NULL: none; the API
 * then answers 503 for writes). store: an instance whose module has
 * store_ops, or NULL for the built-in state file `subscriptions.json` in
 * state_dir (created if missing). state_dir NULL means `wsgw -t`: check
 * only, touch no file. WSGW_OK or WSGW_ERR with err filled.
 */
int registry_init(struct wsgw_instance *source, struct wsgw_instance *store,
                  const char *state_dir, struct wsgw_err *err);

/*
 * Static subscriptions from a source entry's `subscriptions:` sequence
 * (items: {channel, symbol?, category?, depth?, interval?, topic?});
 * records of requesting_service "config". Validated with the source's
 * topic_build, errors as FILE:LINE:COL. Runs under `wsgw -t` too.
 */
int registry_add_static(const struct wsgw_conf_node *seq, struct wsgw_err *err);

/*
 * After modules started: load the store, merge with the static set and
 * ask the source for every active topic. A store that cannot be read is
 * logged and the daemon goes on with the static set.
 */
int registry_load(struct wsgw_err *err);

void registry_free(void);

/* Register the core's admin routes (health, status, metrics, openapi,
 * subscriptions). WSGW_OK or WSGW_ERR. */
int core_routes_register(void);

#endif
