/*
 * daemon.h — the running daemon as other core parts see it: its
 * instances, its routes and its settings. Loop thread only.
 */
#ifndef WSGW_DAEMON_H
#define WSGW_DAEMON_H

#include <jansson.h>

#include "instance.h"

/* Every instance, in creation order (sources, sinks, services). */
struct wsgw_instance **daemon_instances(size_t *n);
/* The instance named `name`, or NULL. */
struct wsgw_instance *daemon_instance(const char *name);
/*
 * The routes as configured, a new JSON array owned by the caller:
 * [{"from": "bybit", "classes": ["trades", ...], "to": ["mq"]}, ...].
 */
json_t *daemon_routes_json(void);
/* Start time of the daemon (ms since epoch). */
int64_t daemon_started_ms(void);

#endif
