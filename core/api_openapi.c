/*
 * api_openapi.c — GET /openapi.json: the core's base document (info,
 * security schemes, shared schemas and responses) plus the operation
 * object every route registered. Routes that leave out what OpenAPI
 * requires get it filled in (path parameters, a default response, the
 * security requirement and the 401 answer), so a module author only
 * writes what is specific to the endpoint.
 */
#include <config.h>
#include <ctype.h>
#include <string.h>

#include "api.h"
#include "http_route.h"

/* The schemas follow API.md; "Subscription" keeps the field names of the
 * Python service this replaces. */
static const char base_json[] =
    "{\"openapi\":\"3.1.0\","
    "\"info\":{\"title\":\"WebSocket Gateway API\",\"version\":\"\","
    "\"description\":\"Admin API of wsgw, the Bybit WebSocket gateway: "
    "subscriptions, health, status and metrics.\"},"
    "\"paths\":{},"
    "\"components\":{"
    "\"securitySchemes\":{"
    "\"ApiKeyHeader\":{\"type\":\"apiKey\",\"in\":\"header\","
    "\"name\":\"X-API-Key\"},"
    "\"ApiKeyQuery\":{\"type\":\"apiKey\",\"in\":\"query\","
    "\"name\":\"api_key\"}},"
    "\"schemas\":{"
    "\"ErrorBody\":{\"type\":\"object\","
    "\"required\":[\"error\",\"code\",\"details\"],\"properties\":{"
    "\"error\":{\"type\":\"string\"},\"code\":{\"type\":\"string\","
    "\"examples\":[\"INVALID_SYMBOL\"]},"
    "\"details\":{\"type\":\"object\"}}},"
    "\"Error\":{\"allOf\":[{\"$ref\":\"#/components/schemas/ErrorBody\"},"
    "{\"type\":\"object\",\"required\":[\"detail\"],\"properties\":{"
    "\"detail\":{\"$ref\":\"#/components/schemas/ErrorBody\"}}}]},"
    "\"SubscriptionCreate\":{\"type\":\"object\","
    "\"required\":[\"channel_type\",\"requesting_service\"],"
    "\"properties\":{"
    "\"channel_type\":{\"type\":\"string\",\"enum\":[\"trades\","
    "\"ticker\",\"orderbook\",\"kline\",\"liquidation\",\"order\","
    "\"execution\",\"position\",\"balance\",\"funding\"]},"
    "\"symbol\":{\"type\":[\"string\",\"null\"],"
    "\"examples\":[\"BTCUSDT\"]},"
    "\"requesting_service\":{\"type\":\"string\",\"minLength\":1,"
    "\"maxLength\":127},"
    "\"topic\":{\"type\":[\"string\",\"null\"],"
    "\"description\":\"explicit Bybit topic; must agree with "
    "channel_type\"},"
    "\"category\":{\"type\":\"string\",\"enum\":[\"linear\",\"spot\","
    "\"inverse\",\"option\"],\"default\":\"linear\"},"
    "\"depth\":{\"type\":\"integer\",\"description\":\"orderbook "
    "depth\"},"
    "\"interval\":{\"type\":[\"string\",\"integer\"],"
    "\"description\":\"kline interval\"}}},"
    "\"Subscription\":{\"type\":\"object\",\"required\":[\"id\","
    "\"channel_type\",\"symbol\",\"topic\",\"requesting_service\","
    "\"is_active\",\"created_at\",\"updated_at\",\"last_event_at\","
    "\"category\",\"status\"],\"properties\":{"
    "\"id\":{\"type\":\"string\",\"format\":\"uuid\"},"
    "\"channel_type\":{\"type\":\"string\"},"
    "\"symbol\":{\"type\":[\"string\",\"null\"]},"
    "\"topic\":{\"type\":\"string\"},"
    "\"requesting_service\":{\"type\":\"string\"},"
    "\"is_active\":{\"type\":\"boolean\"},"
    "\"created_at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"updated_at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"last_event_at\":{\"type\":[\"string\",\"null\"],"
    "\"format\":\"date-time\"},"
    "\"category\":{\"type\":\"string\"},"
    "\"stream\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"string\",\"enum\":[\"pending\",\"active\","
    "\"failed\"]},"
    "\"status_reason\":{\"type\":[\"string\",\"null\"]}}},"
    "\"SubscriptionList\":{\"type\":\"object\","
    "\"required\":[\"subscriptions\",\"total\"],\"properties\":{"
    "\"subscriptions\":{\"type\":\"array\",\"items\":"
    "{\"$ref\":\"#/components/schemas/Subscription\"}},"
    "\"total\":{\"type\":\"integer\"}}},"
    "\"SubscriptionCancelled\":{\"type\":\"object\","
    "\"required\":[\"message\",\"subscription_id\"],\"properties\":{"
    "\"message\":{\"type\":\"string\"},"
    "\"subscription_id\":{\"type\":\"string\",\"format\":\"uuid\"}}},"
    "\"ServiceCancelled\":{\"type\":\"object\","
    "\"required\":[\"message\",\"cancelled_count\"],\"properties\":{"
    "\"message\":{\"type\":\"string\"},"
    "\"cancelled_count\":{\"type\":\"integer\"}}},"
    "\"Health\":{\"type\":\"object\",\"required\":[\"status\","
    "\"service\",\"websocket_connected\",\"websocket_status\","
    "\"database_connected\",\"queue_connected\","
    "\"active_subscriptions\",\"last_heartbeat_at\",\"version\"],"
    "\"properties\":{"
    "\"status\":{\"type\":\"string\",\"enum\":[\"healthy\","
    "\"unhealthy\"]},"
    "\"service\":{\"type\":\"string\",\"const\":\"ws-gateway\"},"
    "\"websocket_connected\":{\"type\":\"boolean\"},"
    "\"websocket_status\":{\"type\":\"string\"},"
    "\"database_connected\":{\"type\":\"boolean\"},"
    "\"queue_connected\":{\"type\":\"boolean\"},"
    "\"active_subscriptions\":{\"type\":\"integer\"},"
    "\"last_heartbeat_at\":{\"type\":[\"string\",\"null\"],"
    "\"format\":\"date-time\"},"
    "\"version\":{\"type\":\"string\"},"
    "\"components\":{\"type\":\"object\",\"description\":\"per "
    "instance detail, grouped by health role\"}}},"
    "\"Status\":{\"type\":\"object\"}},"
    "\"responses\":{"
    "\"BadRequest\":{\"description\":\"Bad input\",\"content\":"
    "{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"Unauthorized\":{\"description\":\"Missing or wrong API key\","
    "\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"NotFound\":{\"description\":\"No such resource\",\"content\":"
    "{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"Conflict\":{\"description\":\"Already exists\",\"content\":"
    "{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"Unavailable\":{\"description\":\"The store (or source) is "
    "unavailable\",\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}}}}}";

/* Declare every {param} of the pattern the operation left undeclared. */
static void add_path_params(json_t *op, const char *pattern)
{
    json_t *params = json_object_get(op, "parameters");
    const char *p = pattern;

    if (!json_is_array(params)) {
        params = json_array();
        json_object_set_new(op, "parameters", params);
    }
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        char name[64];
        int declared = 0;
        size_t i;
        json_t *it;

        if (!end || (size_t)(end - p - 1) >= sizeof(name))
            break;
        memcpy(name, p + 1, (size_t)(end - p - 1));
        name[end - p - 1] = '\0';
        json_array_foreach(params, i, it)
        {
            const char *in = json_string_value(json_object_get(it, "in"));
            const char *n = json_string_value(json_object_get(it, "name"));

            if (in && n && strcmp(in, "path") == 0 && strcmp(n, name) == 0)
                declared = 1;
        }
        if (!declared)
            json_array_append_new(params,
                                  json_pack("{s:s,s:s,s:b,s:{s:s}}", "name",
                                            name, "in", "path", "required", 1,
                                            "schema", "type", "string"));
        p = end;
    }
}

static void complete_operation(json_t *op, const char *pattern, unsigned flags)
{
    json_t *responses = json_object_get(op, "responses");

    add_path_params(op, pattern);
    if (!json_is_object(responses)) {
        responses = json_object();
        json_object_set_new(op, "responses", responses);
    }
    if (json_object_size(responses) == 0)
        json_object_set_new(responses, "default",
                            json_pack("{s:s}", "description", "Response"));
    if (json_object_get(op, "security"))
        return;
    if (flags & WSGW_ROUTE_PUBLIC) {
        json_object_set_new(op, "security", json_array());
    } else if (flags & WSGW_ROUTE_METRICS) {
        /* Public unless the transport is configured to ask for a key. */
        json_object_set_new(
            op, "security",
            json_pack("[{},{s:[]},{s:[]}]", "ApiKeyHeader", "ApiKeyQuery"));
    } else {
        json_object_set_new(
            op, "security",
            json_pack("[{s:[]},{s:[]}]", "ApiKeyHeader", "ApiKeyQuery"));
        if (!json_object_get(responses, "401"))
            json_object_set_new(
                responses, "401",
                json_pack("{s:s}", "$ref",
                          "#/components/responses/Unauthorized"));
    }
}

static void add_route(void *arg, const char *method, const char *pattern,
                      unsigned flags, const json_t *operation)
{
    json_t *paths = arg, *item = json_object_get(paths, pattern);
    json_t *op = json_deep_copy(operation);
    char m[8];
    size_t i;

    if (!op)
        return;
    for (i = 0; method[i] && i + 1 < sizeof(m); i++)
        m[i] = (char)tolower((unsigned char)method[i]);
    m[i] = '\0';
    if (!item) {
        item = json_object();
        json_object_set_new(paths, pattern, item);
    }
    complete_operation(op, pattern, flags);
    json_object_set_new(item, m, op);
}

json_t *api_openapi_document(void)
{
    json_t *doc = json_loads(base_json, 0, NULL);

    if (!doc)
        return NULL;
    json_object_set_new(json_object_get(doc, "info"), "version",
                        json_string(wsgw_version()));
    http_routes_foreach(add_route, json_object_get(doc, "paths"));
    return doc;
}

static void get_openapi(struct wsgw_http_req *req, void *arg)
{
    json_t *doc = api_openapi_document();

    if (!doc) {
        wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    wsgw_http_reply_json(req, 200, doc);
}

int api_openapi_register(void)
{
    return wsgw_route_add(
        NULL, "GET", "/openapi.json", WSGW_ROUTE_PUBLIC, get_openapi, NULL,
        "{\"summary\":\"This OpenAPI document\",\"operationId\":"
        "\"getOpenapi\",\"tags\":[\"meta\"],\"responses\":{\"200\":"
        "{\"description\":\"OpenAPI 3.1 document\",\"content\":"
        "{\"application/json\":{\"schema\":{\"type\":\"object\"}}}}}}");
}
