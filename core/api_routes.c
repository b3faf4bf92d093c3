/*
 * api_routes.c — core_routes_register(): every endpoint the core serves.
 */
#include <config.h>
#include "api.h"
#include "registry.h"

int core_routes_register(void)
{
    if (api_health_register() != WSGW_OK || api_status_register() != WSGW_OK ||
        api_metrics_register() != WSGW_OK ||
        api_openapi_register() != WSGW_OK ||
        api_subscriptions_register() != WSGW_OK)
        return WSGW_ERR;
    return WSGW_OK;
}
