/*
 * api_metrics.c — GET /metrics: the Prometheus text exposition of every
 * metric (wsgw_metrics_render). Flagged WSGW_ROUTE_METRICS: public unless
 * the transport is configured to ask for a key (http_admin metrics_auth).
 */
#include <config.h>
#include <stdlib.h>

#include "api.h"

static void get_metrics(struct wsgw_http_req *req, void *arg)
{
    size_t len = 0;
    char *text = wsgw_metrics_render(&len);

    if (!text) {
        wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    wsgw_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                    len);
    free(text);
}

int api_metrics_register(void)
{
    return wsgw_route_add(
        NULL, "GET", "/metrics", WSGW_ROUTE_METRICS, get_metrics, NULL,
        "{\"summary\":\"Prometheus metrics\",\"operationId\":\"getMetrics\","
        "\"tags\":[\"meta\"],\"responses\":{\"200\":{\"description\":"
        "\"Prometheus text format 0.0.4\",\"content\":{\"text/plain\":"
        "{\"schema\":{\"type\":\"string\"}}}}}}");
}
