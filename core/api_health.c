/*
 * api_health.c — GET /health, public, for orchestrators and dashboards.
 *
 * The top-level fields are those of the Python service this replaces
 * (dashboards read them); wsgw adds "components": every instance's
 * status() output grouped by its module's health_role ("websocket",
 * "queue", "database", or "other").
 *
 * Rules:
 *  - 503 "unhealthy" when any source is DOWN (the source says DOWN once it
 *    has been disconnected longer than its reconnect window) or any sink
 *    with `required: true` is DOWN. DEGRADED (reconnecting) stays 200.
 *  - <role>_connected is true when the role has at least one instance and
 *    every one of them reports "connected": true (or, without that key,
 *    is UP). A role with no instance is false — nothing is connected —
 *    and <role>_configured (a wsgw addition) tells that apart from an
 *    outage; a deployment without a database stays healthy.
 *  - websocket_status is the "state" of the first websocket instance that
 *    is not UP, else of the first one; "not_configured" without any.
 *  - last_heartbeat_at is the oldest heartbeat among websocket instances
 *    (the stalest connection is what matters), null when none reported.
 */
#include <config.h>
#include <string.h>

#include "api.h"
#include "daemon.h"

static const char *const roles[] = {"websocket", "queue", "database"};

const char *api_health_name(int health)
{
    switch (health) {
    case WSGW_HEALTH_UP:
        return "up";
    case WSGW_HEALTH_DEGRADED:
        return "degraded";
    default:
        return "down";
    }
}

static const char *kind_name(enum instance_kind k)
{
    return k == INSTANCE_SOURCE ? "source"
           : k == INSTANCE_SINK ? "sink"
                                : "service";
}

struct role_sum {
    size_t count;
    int all_connected;
    const char *state;     /* borrowed from a status object */
    int state_is_bad;      /* state came from a non-UP instance */
    const char *heartbeat; /* oldest ISO time, borrowed */
};

/*
 * The instance's status object (a new reference) and its health. An
 * instance that is not started is DOWN; one without status() is UP.
 */
static json_t *instance_status(struct wsgw_instance *in, int *health)
{
    json_t *st = json_object();

    *health = WSGW_HEALTH_UP;
    if (!in->started) {
        *health = WSGW_HEALTH_DOWN;
        json_object_set_new(st, "state", json_string("not_started"));
    } else if (in->mod->status) {
        *health = in->mod->status(in->ctx, st);
        if (*health < WSGW_HEALTH_UP || *health > WSGW_HEALTH_DOWN)
            *health = WSGW_HEALTH_DOWN;
    }
    return st;
}

static void sum_role(struct role_sum *s, json_t *st, int health)
{
    json_t *c = json_object_get(st, "connected");
    const char *state = json_string_value(json_object_get(st, "state"));
    const char *hb =
        json_string_value(json_object_get(st, "last_heartbeat_at"));
    int connected =
        json_is_boolean(c) ? json_is_true(c) : health == WSGW_HEALTH_UP;

    if (s->count++ == 0)
        s->all_connected = 1;
    if (!connected)
        s->all_connected = 0;
    if (!state)
        state = api_health_name(health);
    if (!s->state || (health != WSGW_HEALTH_UP && !s->state_is_bad)) {
        s->state = state;
        s->state_is_bad = health != WSGW_HEALTH_UP;
    }
    if (hb && (!s->heartbeat || strcmp(hb, s->heartbeat) < 0))
        s->heartbeat = hb;
}

json_t *api_health_body(int *status)
{
    struct role_sum sums[3] = {{0}};
    json_t *body, *groups, *keep = json_array();
    struct wsgw_instance **ins;
    size_t n;
    int healthy = 1;

    groups = json_object();
    if (!groups || !keep) {
        json_decref(groups);
        json_decref(keep);
        return NULL;
    }
    ins = daemon_instances(&n);
    for (size_t i = 0; i < n; i++) {
        struct wsgw_instance *in = ins[i];
        const char *role = in->mod ? in->mod->health_role : NULL;
        const char *group = "other";
        json_t *st, *g;
        int health;

        if (!in->mod)
            continue;
        st = instance_status(in, &health);
        if (!st)
            continue;
        for (size_t r = 0; r < 3; r++)
            if (role && strcmp(role, roles[r]) == 0) {
                group = roles[r];
                sum_role(&sums[r], st, health);
            }
        if (health == WSGW_HEALTH_DOWN &&
            (in->kind == INSTANCE_SOURCE ||
             (in->kind == INSTANCE_SINK && in->required)))
            healthy = 0;
        json_object_set_new(st, "module", json_string(in->mod->name));
        json_object_set_new(st, "kind", json_string(kind_name(in->kind)));
        json_object_set_new(st, "health", json_string(api_health_name(health)));
        if (in->kind == INSTANCE_SINK)
            json_object_set_new(st, "required", json_boolean(in->required));
        g = json_object_get(groups, group);
        if (!g) {
            g = json_object();
            json_object_set_new(groups, group, g);
        }
        json_object_set(g, in->name, st);
        /* sums borrow strings from st: keep it alive until packed. */
        json_array_append_new(keep, st);
    }
    body = json_pack(
        "{s:s,s:s,s:b,s:s,s:b,s:b,s:I,s:o,s:s,s:b,s:b,s:b,s:I,s:O}", "status",
        healthy ? "healthy" : "unhealthy", "service", "ws-gateway",
        "websocket_connected", sums[0].all_connected, "websocket_status",
        sums[0].state ? sums[0].state : "not_configured", "database_connected",
        sums[2].all_connected, "queue_connected", sums[1].all_connected,
        "active_subscriptions", (json_int_t)wsgw_subs_active_count(),
        "last_heartbeat_at",
        sums[0].heartbeat ? json_string(sums[0].heartbeat) : json_null(),
        "version", wsgw_version(), "websocket_configured", sums[0].count > 0,
        "queue_configured", sums[1].count > 0, "database_configured",
        sums[2].count > 0, "uptime_seconds",
        (json_int_t)((wsgw_now_ms() - daemon_started_ms()) / 1000),
        "components", groups);
    json_decref(groups);
    json_decref(keep);
    if (status)
        *status = healthy ? 200 : 503;
    return body;
}

static void get_health(struct wsgw_http_req *req, void *arg)
{
    int status = 500;
    json_t *body = api_health_body(&status);

    if (!body) {
        wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    wsgw_http_reply_json(req, status, body);
}

int api_health_register(void)
{
    return wsgw_route_add(
        NULL, "GET", "/health", WSGW_ROUTE_PUBLIC, get_health, NULL,
        "{\"summary\":\"Health of the gateway\",\"operationId\":"
        "\"getHealth\",\"tags\":[\"meta\"],\"description\":\"503 when a "
        "source is down longer than its reconnect window or a required "
        "sink is down.\",\"responses\":{"
        "\"200\":{\"description\":\"Healthy\",\"content\":"
        "{\"application/json\":{\"schema\":"
        "{\"$ref\":\"#/components/schemas/Health\"}}}},"
        "\"503\":{\"description\":\"Unhealthy\",\"content\":"
        "{\"application/json\":{\"schema\":"
        "{\"$ref\":\"#/components/schemas/Health\"}}}}}}");
}
