/*
 * api_status.c — GET /api/v1/status: what an operator wants to see at a
 * glance. Connections are the sources' status() objects (state, URL,
 * connected since, reconnects, last error, last pong — whatever the
 * source reports), sinks add their queue depth, then the loaded modules
 * with their versions, the configured routes and the subscription
 * counts.
 */
#include <config.h>
#include <string.h>

#include "api.h"
#include "daemon.h"
#include "loader.h"
#include "registry_int.h"
#include "runtime_internal.h"

#define STR_(x)      #x
#define STR(x)       STR_(x)
#define WSGW_ABI_STR STR(WSGW_ABI_MAJOR) "." STR(WSGW_ABI_MINOR)

static json_t *provides_json(unsigned p)
{
    json_t *a = json_array();

    if (p & WSGW_PROVIDES_SOURCE)
        json_array_append_new(a, json_string("source"));
    if (p & WSGW_PROVIDES_SINK)
        json_array_append_new(a, json_string("sink"));
    if (p & WSGW_PROVIDES_STORE)
        json_array_append_new(a, json_string("store"));
    if (p & WSGW_PROVIDES_SERVICE)
        json_array_append_new(a, json_string("service"));
    return a;
}

static json_t *modules_json(void)
{
    json_t *a = json_array();

    for (const struct wsgw_loaded_module *m = loader_modules(); m; m = m->next)
        json_array_append_new(
            a,
            json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", m->mod->name, "version",
                      m->mod->version ? m->mod->version : "", "description",
                      m->mod->description ? m->mod->description : "", "path",
                      m->path ? m->path : "", "provides",
                      provides_json(m->mod->provides)));
    return a;
}

/* The sink's counters, read from the series its queue keeps (sinkq.c). */
static void sink_counters(struct wsgw_instance *in, json_t *out)
{
    static const char *const names[][2] = {
        {"received", "wsgw_sink_received_total"},
        {"delivered", "wsgw_sink_delivered_total"},
        {"retried", "wsgw_sink_retried_total"},
        {"failed", "wsgw_sink_failed_total"},
    };
    static const char *const reasons[] = {"overflow", "sink", "shutdown"};
    char esc[256], labels[320];
    int64_t dropped = 0;

    metrics_label_escape(esc, sizeof(esc), in->name);
    snprintf(labels, sizeof(labels), "sink=\"%s\"", esc);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_object_set_new(out, names[i][0],
                            json_integer(wsgw_metric_value(
                                wsgw_counter(names[i][1], NULL, labels))));
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        snprintf(labels, sizeof(labels), "sink=\"%s\",reason=\"%s\"", esc,
                 reasons[i]);
        dropped += wsgw_metric_value(
            wsgw_counter("wsgw_sink_dropped_total", NULL, labels));
    }
    json_object_set_new(out, "dropped", json_integer(dropped));
}

static json_t *instance_json(struct wsgw_instance *in)
{
    json_t *st = json_object();
    int health = WSGW_HEALTH_UP;

    if (!in->started)
        health = WSGW_HEALTH_DOWN;
    else if (in->mod->status)
        health = in->mod->status(in->ctx, st);
    json_object_set_new(st, "module", json_string(in->mod->name));
    json_object_set_new(st, "health", json_string(api_health_name(health)));
    if (in->kind == INSTANCE_SINK) {
        json_object_set_new(st, "required", json_boolean(in->required));
        json_object_set_new(st, "queue_depth",
                            json_integer((json_int_t)wsgw_sink_depth(in)));
        if (in->q)
            sink_counters(in, st);
    }
    return st;
}

static void get_status(struct wsgw_http_req *req, void *arg)
{
    json_t *sources = json_object(), *sinks = json_object();
    json_t *services = json_object(), *routes = daemon_routes_json();
    struct registry_counts c;
    struct wsgw_instance **ins;
    char started[WSGW_TIME_LEN + 1];
    size_t n;

    ins = daemon_instances(&n);
    for (size_t i = 0; i < n; i++) {
        struct wsgw_instance *in = ins[i];
        json_t *group = in->kind == INSTANCE_SOURCE ? sources
                        : in->kind == INSTANCE_SINK ? sinks
                                                    : services;

        if (in->mod)
            json_object_set_new(group, in->name, instance_json(in));
    }
    registry_counts(&c);
    wsgw_time_format(daemon_started_ms(), started);
    wsgw_http_reply_json(
        req, 200,
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:{s:I,s:I,s:I,"
                  "s:I,s:I}}",
                  "service", "ws-gateway", "version", wsgw_version(), "abi",
                  WSGW_ABI_STR, "started_at", started, "uptime_seconds",
                  (json_int_t)((wsgw_now_ms() - daemon_started_ms()) / 1000),
                  "connections", sources, "sinks", sinks, "services", services,
                  "modules", modules_json(), "routes",
                  routes ? routes : json_array(), "subscriptions", "active",
                  (json_int_t)c.active, "pending", (json_int_t)c.pending,
                  "failed", (json_int_t)c.failed, "cancelled",
                  (json_int_t)c.inactive, "topics", (json_int_t)c.topics));
}

int api_status_register(void)
{
    return wsgw_route_add(
        NULL, "GET", "/api/v1/status", 0, get_status, NULL,
        "{\"summary\":\"Gateway status\",\"operationId\":\"getStatus\","
        "\"tags\":[\"meta\"],\"description\":\"Connections, sinks with "
        "queue depth, loaded modules with versions, routes and "
        "subscription counts.\",\"responses\":{\"200\":{\"description\":"
        "\"Status\",\"content\":{\"application/json\":{\"schema\":"
        "{\"$ref\":\"#/components/schemas/Status\"}}}}}}");
}
