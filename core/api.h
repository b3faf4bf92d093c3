/*
 * api.h — the core's own admin endpoints. Each api_*.c registers its
 * routes with its OpenAPI operation objects; core_routes_register()
 * (registry.h) calls them all. Loop thread only.
 */
#ifndef WSGW_API_H
#define WSGW_API_H

#include <jansson.h>

#include <wsgw/wsgw.h>

/* GET /health (public). */
int api_health_register(void);
/* GET /api/v1/status. */
int api_status_register(void);
/* GET /metrics (WSGW_ROUTE_METRICS). */
int api_metrics_register(void);
/* GET /openapi.json (public). */
int api_openapi_register(void);
/* The five /api/v1/subscriptions endpoints. */
int api_subscriptions_register(void);

/*
 * The OpenAPI 3.1 document: the core's base (info, components) plus one
 * operation per registered route. A new reference owned by the caller,
 * or NULL when out of memory.
 */
json_t *api_openapi_document(void);

/*
 * The /health body and its HTTP status (200 or 503) into *status. A new
 * reference owned by the caller, or NULL when out of memory.
 */
json_t *api_health_body(int *status);

/* The name of a wsgw_health value: "up", "degraded", "down". */
const char *api_health_name(int health);

#endif
