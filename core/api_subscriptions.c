/*
 * api_subscriptions.c — /api/v1/subscriptions: create, list, get, cancel
 * one, cancel a service's. The contract is API.md; the registry does the
 * work (registry_int.h), this file turns requests and results into HTTP.
 */
#include <config.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "http_route.h"
#include "registry_int.h"

#define SERVICE_MAX 127

static void reply_result(struct wsgw_http_req *req, enum reg_result res,
                         const struct wsgw_err *e)
{
    switch (res) {
    case REG_INVALID:
        wsgw_http_error(req, 400, e->code ? e->code : "INVALID_PARAMETER", NULL,
                        "%s", e->msg);
        break;
    case REG_EXISTS:
        wsgw_http_error(req, 409, "SUBSCRIPTION_EXISTS", NULL, "%s", e->msg);
        break;
    case REG_NOT_FOUND:
        wsgw_http_error(req, 404, "NOT_FOUND", NULL, "%s", e->msg);
        break;
    case REG_UNAVAILABLE:
        wsgw_http_set_header(req, "Retry-After", "5");
        wsgw_http_error(req, 503, e->code ? e->code : "STORE_UNAVAILABLE", NULL,
                        "%s", e->msg);
        break;
    default:
        wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "%s",
                        e->msg[0] ? e->msg : "internal error");
        break;
    }
}

/* A JSON member that must be a string (or absent/null). */
static int opt_string(struct wsgw_http_req *req, json_t *body, const char *key,
                      const char *code, const char **out)
{
    json_t *v = json_object_get(body, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return WSGW_OK;
    if (!json_is_string(v)) {
        wsgw_http_error(req, 400, code, json_pack("{s:s}", "field", key),
                        "'%s' must be a string", key);
        return WSGW_ERR;
    }
    *out = json_string_value(v);
    return WSGW_OK;
}

static int valid_service(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > SERVICE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return http_utf8_valid(s, n);
}

static void post_subscription(struct wsgw_http_req *req, void *arg)
{
    struct wsgw_sub_request sr = {0};
    struct wsgw_sub_record rec;
    struct wsgw_err e = {0};
    const char *service;
    char interval[32];
    json_t *body = wsgw_http_json_body(req), *v;
    enum reg_result res;

    if (!body)
        return;
    v = json_object_get(body, "requesting_service");
    if (!json_is_string(v) || !valid_service(json_string_value(v))) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER",
                        json_pack("{s:s}", "field", "requesting_service"),
                        "'requesting_service' is required: a name of 1 to "
                        "%d printable characters",
                        SERVICE_MAX);
        goto out;
    }
    service = json_string_value(v);
    if (strcmp(service, REGISTRY_CONFIG_SERVICE) == 0) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER",
                        json_pack("{s:s}", "field", "requesting_service"),
                        "'%s' is reserved for the subscriptions of the "
                        "configuration file",
                        REGISTRY_CONFIG_SERVICE);
        goto out;
    }
    v = json_object_get(body, "channel_type");
    if (!json_is_string(v) || !*json_string_value(v)) {
        wsgw_http_error(req, 400, "INVALID_CHANNEL_TYPE",
                        json_pack("{s:s}", "field", "channel_type"),
                        "'channel_type' is required (trades, ticker, "
                        "orderbook, kline, liquidation, order, execution, "
                        "position, balance)");
        goto out;
    }
    sr.channel_type = json_string_value(v);
    if (opt_string(req, body, "symbol", "INVALID_SYMBOL", &sr.symbol) ||
        opt_string(req, body, "topic", "INVALID_TOPIC", &sr.topic) ||
        opt_string(req, body, "category", "INVALID_PARAMETER", &sr.category))
        goto out;
    v = json_object_get(body, "depth");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            wsgw_http_error(req, 400, "INVALID_PARAMETER",
                            json_pack("{s:s}", "field", "depth"),
                            "'depth' must be a positive integer");
            goto out;
        }
        sr.depth = json_integer_value(v);
    }
    v = json_object_get(body, "interval");
    if (json_is_integer(v)) {
        snprintf(interval, sizeof(interval), "%lld",
                 (long long)json_integer_value(v));
        sr.interval = interval;
    } else if (opt_string(req, body, "interval", "INVALID_PARAMETER",
                          &sr.interval)) {
        goto out;
    }
    res = registry_create(&sr, service, &rec, &e);
    if (res == REG_OK)
        wsgw_http_reply_json(req, 201, registry_record_json(&rec));
    else
        reply_result(req, res, &e);
out:
    json_decref(body);
}

struct list_filter {
    const char *service;
    const char *channel;
    int active; /* -1: any */
    json_t *arr;
};

static void list_one(void *arg, const struct wsgw_sub_record *r)
{
    struct list_filter *f = arg;

    if (f->service && strcmp(f->service, r->requesting_service) != 0)
        return;
    if (f->channel && strcmp(f->channel, r->channel_type) != 0)
        return;
    if (f->active >= 0 && f->active != r->is_active)
        return;
    json_array_append_new(f->arr, registry_record_json(r));
}

static int parse_bool(const char *s)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1"))
        return 1;
    if (!strcasecmp(s, "false") || !strcmp(s, "0"))
        return 0;
    return -1;
}

static void get_subscriptions(struct wsgw_http_req *req, void *arg)
{
    struct list_filter f = {0};
    const char *active = wsgw_http_query(req, "is_active");

    f.service = wsgw_http_query(req, "requesting_service");
    f.channel = wsgw_http_query(req, "channel_type");
    f.active = -1;
    if (active && *active) {
        f.active = parse_bool(active);
        if (f.active < 0) {
            wsgw_http_error(req, 400, "INVALID_PARAMETER",
                            json_pack("{s:s}", "field", "is_active"),
                            "'is_active' must be true or false");
            return;
        }
    }
    if (f.service && !*f.service)
        f.service = NULL;
    if (f.channel && !*f.channel)
        f.channel = NULL;
    f.arr = json_array();
    if (!f.arr) {
        wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    registry_foreach(list_one, &f);
    wsgw_http_reply_json(req, 200,
                         json_pack("{s:I,s:o}", "total",
                                   (json_int_t)json_array_size(f.arr),
                                   "subscriptions", f.arr));
}

/* The {id} parameter, or NULL after answering 400. */
static const char *path_id(struct wsgw_http_req *req)
{
    const char *id = wsgw_http_param(req, "id");

    if (!id || !wsgw_uuid_valid(id)) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER",
                        json_pack("{s:s}", "field", "id"),
                        "the subscription id must be a UUID");
        return NULL;
    }
    return id;
}

static void get_subscription(struct wsgw_http_req *req, void *arg)
{
    struct wsgw_sub_record rec;
    const char *id = path_id(req);

    if (!id)
        return;
    if (registry_get(id, &rec) != REG_OK) {
        wsgw_http_error(req, 404, "NOT_FOUND", NULL,
                        "no subscription with id %s", id);
        return;
    }
    wsgw_http_reply_json(req, 200, registry_record_json(&rec));
}

static void delete_subscription(struct wsgw_http_req *req, void *arg)
{
    struct wsgw_sub_record rec;
    struct wsgw_err e = {0};
    const char *id = path_id(req);
    enum reg_result res;
    int was_active = 0;

    if (!id)
        return;
    res = registry_cancel(id, &rec, &was_active);
    if (res != REG_OK) {
        if (res == REG_NOT_FOUND)
            snprintf(e.msg, sizeof(e.msg), "no subscription with id %s", id);
        else
            snprintf(e.msg, sizeof(e.msg),
                     "the subscription store is unavailable; nothing was "
                     "changed");
        reply_result(req, res, &e);
        return;
    }
    /* Cancelling twice is not an error: the client's wish holds. */
    wsgw_http_reply_json(req, 200,
                         json_pack("{s:s,s:s}", "message",
                                   was_active
                                       ? "Subscription cancelled"
                                       : "Subscription was already cancelled",
                                   "subscription_id", id));
}

static void delete_by_service(struct wsgw_http_req *req, void *arg)
{
    const char *service = wsgw_http_param(req, "service_name");
    struct wsgw_err e = {0};
    char msg[256];
    size_t n = 0;
    enum reg_result res;

    if (!service || !valid_service(service)) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER",
                        json_pack("{s:s}", "field", "service_name"),
                        "the service name must be 1 to %d printable "
                        "characters",
                        SERVICE_MAX);
        return;
    }
    res = registry_cancel_service(service, &n);
    if (res != REG_OK) {
        snprintf(e.msg, sizeof(e.msg),
                 "the subscription store is unavailable; %zu subscriptions "
                 "were cancelled before it failed",
                 n);
        reply_result(req, res, &e);
        return;
    }
    snprintf(msg, sizeof(msg), "Cancelled %zu subscriptions for service '%s'",
             n, service);
    wsgw_http_reply_json(req, 200,
                         json_pack("{s:s,s:I}", "message", msg,
                                   "cancelled_count", (json_int_t)n));
}

/* ---- OpenAPI operation objects --------------------------------------- */

/* Response objects shared by the operations below. */
#define R_400 "\"400\":{\"$ref\":\"#/components/responses/BadRequest\"}"
#define R_404 "\"404\":{\"$ref\":\"#/components/responses/NotFound\"}"
#define R_409 "\"409\":{\"$ref\":\"#/components/responses/Conflict\"}"
#define R_503 "\"503\":{\"$ref\":\"#/components/responses/Unavailable\"}"
#define SCHEMA(name)                                                           \
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":"                 \
    "\"#/components/schemas/" name "\"}}}"
#define ID_PARAM                                                               \
    "{\"name\":\"id\",\"in\":\"path\",\"required\":true,"                      \
    "\"schema\":{\"type\":\"string\",\"format\":\"uuid\"}}"

static const char op_post[] =
    "{\"summary\":\"Subscribe a service to a channel\","
    "\"operationId\":\"createSubscription\","
    "\"tags\":[\"subscriptions\"],"
    "\"description\":\"Services asking for the same topic share one "
    "exchange subscription. A cancelled subscription of the same service "
    "and topic is reactivated (same id).\","
    "\"requestBody\":{\"required\":true," SCHEMA(
        "SubscriptionCreate") "},"
                              "\"responses\":{"
                              "\"201\":{\"description\":\"Created\"," SCHEMA(
                                  "Subscription") "}," R_400 "," R_409 "," R_503
                                                  "}}";

static const char op_list[] =
    "{\"summary\":\"List subscriptions\","
    "\"operationId\":\"listSubscriptions\","
    "\"tags\":[\"subscriptions\"],"
    "\"parameters\":["
    "{\"name\":\"requesting_service\",\"in\":\"query\","
    "\"schema\":{\"type\":\"string\"}},"
    "{\"name\":\"is_active\",\"in\":\"query\","
    "\"schema\":{\"type\":\"boolean\"}},"
    "{\"name\":\"channel_type\",\"in\":\"query\","
    "\"schema\":{\"type\":\"string\"}}],"
    "\"responses\":{"
    "\"200\":{\"description\":\"Subscriptions, oldest first\"," SCHEMA(
        "SubscriptionList") "}," R_400 "}}";

static const char op_get[] =
    "{\"summary\":\"Get a subscription\","
    "\"operationId\":\"getSubscription\","
    "\"tags\":[\"subscriptions\"],"
    "\"parameters\":[" ID_PARAM "],"
    "\"responses\":{"
    "\"200\":{\"description\":\"The subscription\"," SCHEMA(
        "Subscription") "}," R_400 "," R_404 "}}";

static const char op_delete[] =
    "{\"summary\":\"Cancel a subscription\","
    "\"operationId\":\"deleteSubscription\","
    "\"tags\":[\"subscriptions\"],"
    "\"description\":\"Marks it inactive; the exchange subscription is "
    "dropped when no active subscription still needs the topic.\","
    "\"parameters\":[" ID_PARAM "],"
    "\"responses\":{"
    "\"200\":{\"description\":\"Cancelled\"," SCHEMA(
        "SubscriptionCancelled") "}," R_400 "," R_404 "," R_503 "}}";

static const char op_delete_service[] =
    "{\"summary\":\"Cancel every subscription of a service\","
    "\"operationId\":\"deleteServiceSubscriptions\","
    "\"tags\":[\"subscriptions\"],"
    "\"parameters\":[{\"name\":\"service_name\",\"in\":\"path\","
    "\"required\":true,\"schema\":{\"type\":\"string\"}}],"
    "\"responses\":{"
    "\"200\":{\"description\":\"Cancelled\"," SCHEMA(
        "ServiceCancelled") "}," R_400 "," R_503 "}}";

int api_subscriptions_register(void)
{
    static const char base[] = "/api/v1/subscriptions";
    int rc = 0;

    rc |=
        wsgw_route_add(NULL, "POST", base, 0, post_subscription, NULL, op_post);
    rc |=
        wsgw_route_add(NULL, "GET", base, 0, get_subscriptions, NULL, op_list);
    rc |= wsgw_route_add(NULL, "GET", "/api/v1/subscriptions/{id}", 0,
                         get_subscription, NULL, op_get);
    rc |= wsgw_route_add(NULL, "DELETE", "/api/v1/subscriptions/{id}", 0,
                         delete_subscription, NULL, op_delete);
    rc |= wsgw_route_add(NULL, "DELETE",
                         "/api/v1/subscriptions/by-service/{service_name}", 0,
                         delete_by_service, NULL, op_delete_service);
    return rc ? WSGW_ERR : WSGW_OK;
}
