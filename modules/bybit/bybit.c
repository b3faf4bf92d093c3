/*
 * bybit.c — the bybit source module: options, lifecycle, status, and the
 * subscription operations the core's registry calls. The connections
 * themselves live on the module's lws thread (bybit_conn.c).
 */
#include "bybit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TENT_BUCKETS 1024

/* ---- topic entries (loop thread) ------------------------------------ */

static size_t tent_hash(int stream, const char *topic)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)stream;
    for (; *topic; topic++) {
        h ^= (unsigned char)*topic;
        h *= 1099511628211ULL;
    }
    return (size_t)(h & (TENT_BUCKETS - 1));
}

static struct bybit_tent *tent_find(struct bybit *b, int stream,
                                    const char *topic)
{
    struct bybit_tent *t = b->tents[tent_hash(stream, topic)];
    for (; t; t = t->next)
        if (t->stream == stream && strcmp(t->topic, topic) == 0)
            return t;
    return NULL;
}

static struct bybit_tent *tent_get(struct bybit *b, int stream,
                                   const char *topic)
{
    struct bybit_tent *t = tent_find(b, stream, topic);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->stream = stream;
    snprintf(t->topic, sizeof t->topic, "%s", topic);
    atomic_init(&t->last_event_ms, 0);
    size_t k = tent_hash(stream, topic);
    t->next = b->tents[k];
    b->tents[k] = t;
    return t;
}

/* ---- source operations (loop thread) -------------------------------- */

static int op_topic_build(void *ctx, const struct wsgw_sub_request *req,
                          struct wsgw_topic *out, struct wsgw_err *err)
{
    struct bybit *b = ctx;
    return bybit_topic_build(&b->tconf, req, out, err);
}

static void post_topic(struct bybit *b, enum bybit_cmd_kind kind,
                       const struct wsgw_topic *t)
{
    int stream = bybit_stream_from_name(t->stream);
    if (stream < 0) {
        wsgw_error(b->in, "topic %s names an unknown stream '%s'", t->topic,
                   t->stream);
        return;
    }
    struct bybit_tent *te = tent_get(b, stream, t->topic);
    struct bybit_cmd *cmd = te ? calloc(1, sizeof *cmd) : NULL;
    if (!cmd) {
        wsgw_error(b->in, "out of memory (un)subscribing %s", t->topic);
        return;
    }
    cmd->kind = kind;
    cmd->tent = te;
    bybit_cmd_post(b, cmd);
}

static void op_subscribe(void *ctx, const struct wsgw_topic *t)
{
    post_topic(ctx, BYBIT_CMD_SUB, t);
}

static void op_unsubscribe(void *ctx, const struct wsgw_topic *t)
{
    post_topic(ctx, BYBIT_CMD_UNSUB, t);
}

static int64_t op_last_event(void *ctx, const struct wsgw_topic *t)
{
    struct bybit *b = ctx;
    int stream = bybit_stream_from_name(t->stream);
    struct bybit_tent *te = stream < 0 ? NULL : tent_find(b, stream, t->topic);
    return te ? atomic_load_explicit(&te->last_event_ms, memory_order_relaxed)
              : 0;
}

static const struct wsgw_source_ops bybit_source_ops = {
    .topic_build = op_topic_build,
    .subscribe = op_subscribe,
    .unsubscribe = op_unsubscribe,
    .last_event = op_last_event,
};

/* ---- lifecycle -------------------------------------------------------- */

static void bybit_destroy(void *ctx);

static int bybit_create(struct wsgw_instance *in, const void *conf, void **ctx,
                        struct wsgw_err *err)
{
    const struct bybit_conf *c = conf;
    if (bybit_stream_from_name(c->category) < 0 ||
        strcmp(c->category, "private") == 0)
        return wsgw_err_set(err, NULL,
                            "category '%s': expected spot, linear, inverse "
                            "or option",
                            c->category);
    if (!bybit_interval_valid(c->kline_interval))
        return wsgw_err_set(err, NULL,
                            "kline_interval '%s': expected 1, 3, 5, 15, 30, "
                            "60, 120, 240, 360, 720, D, W or M",
                            c->kline_interval);
    if (c->dead_after && c->dead_after <= c->ping_interval)
        return wsgw_err_set(err, NULL,
                            "dead_after (%" PRId64 " ms) must be longer than "
                            "ping_interval (%" PRId64 " ms)",
                            c->dead_after, c->ping_interval);
    if (c->backoff_min > c->backoff_max)
        return wsgw_err_set(err, NULL,
                            "backoff_min must not exceed backoff_max");
    if (c->ca_file && *c->ca_file && access(c->ca_file, R_OK) != 0)
        return wsgw_err_set(err, NULL, "ca_file %s cannot be read", c->ca_file);

    struct bybit *b = calloc(1, sizeof *b);
    if (!b)
        return wsgw_err_set(err, NULL, "out of memory");
    b->in = in;
    b->conf = c;
    /* first: destroy() tears these down whatever failed after */
    pthread_mutex_init(&b->inbox_mtx, NULL);
    pthread_mutex_init(&b->status_mtx, NULL);
    b->dead_after_ms = bybit_dead_after_ms(c);
    b->tconf.default_category = c->category;
    b->tconf.default_depth = c->orderbook_depth;
    b->tconf.default_interval = c->kline_interval;
    b->tconf.have_credentials = bybit_have_credentials(c);
    b->tents = calloc(TENT_BUCKETS, sizeof *b->tents);
    atomic_init(&b->stopping, 0);
    atomic_init(&b->syncs_in_flight, 0);
    if (!b->tents) {
        bybit_destroy(b);
        return wsgw_err_set(err, NULL, "out of memory");
    }
    if (bybit_urls_resolve(c, &b->urls, err) != WSGW_OK ||
        bybit_conn_init(b, err) != WSGW_OK) {
        bybit_destroy(b);
        return WSGW_ERR;
    }
    char labels[256];
    snprintf(labels, sizeof labels, "source=\"%s\",result=\"ok\"",
             wsgw_instance_name(in));
    b->m_syncs_ok = wsgw_counter("wsgw_bybit_balance_syncs_total",
                                 "REST balance syncs, by result", labels);
    snprintf(labels, sizeof labels, "source=\"%s\",result=\"failed\"",
             wsgw_instance_name(in));
    b->m_syncs_failed = wsgw_counter("wsgw_bybit_balance_syncs_total",
                                     "REST balance syncs, by result", labels);
    *ctx = b;
    return WSGW_OK;
}

static int bybit_start(void *ctx, struct wsgw_err *err)
{
    struct bybit *b = ctx;
    const struct bybit_conf *c = b->conf;
    if (!c->tls_verify)
        wsgw_warn(b->in, "tls_verify is false: server certificates are NOT "
                         "verified; use this for tests only");
    wsgw_info(b->in,
              "environment %s, public %s/{category}, private %s, "
              "ping every %" PRId64 " ms, dead after %" PRId64 " ms",
              bybit_env_names[c->environment], b->urls.public_base,
              b->urls.private_url[0] ? b->urls.private_url : "(no credentials)",
              c->ping_interval, b->dead_after_ms);
    if (bybit_rest_start(b, err) != WSGW_OK)
        return WSGW_ERR;
    return bybit_conn_start(b, err);
}

static void bybit_stop(void *ctx)
{
    bybit_conn_stop(ctx);
}

static void bybit_destroy(void *ctx)
{
    struct bybit *b = ctx;
    if (!b)
        return;
    bybit_conn_stop(b);
    bybit_rest_free(b);
    bybit_conn_free(b);
    for (size_t i = 0; b->tents && i < TENT_BUCKETS; i++) {
        struct bybit_tent *t = b->tents[i];
        while (t) {
            struct bybit_tent *next = t->next;
            free(t);
            t = next;
        }
    }
    free(b->tents);
    free(b->pend);
    free(b);
}

/* ---- status (loop thread) ------------------------------------------- */

static json_t *time_or_null(int64_t ms)
{
    char buf[WSGW_TIME_LEN + 1];
    if (ms <= 0)
        return json_null();
    wsgw_time_format(ms, buf);
    return json_string(buf);
}

static int bybit_status(void *ctx, json_t *out)
{
    struct bybit *b = ctx;
    struct bybit_stream_status st[BYBIT_STREAMS];
    pthread_mutex_lock(&b->status_mtx);
    for (int i = 0; i < BYBIT_STREAMS; i++)
        st[i] = b->streams[i].st;
    pthread_mutex_unlock(&b->status_mtx);

    int64_t now = wsgw_mono_ms();
    int health = WSGW_HEALTH_UP, needed = 0, connected = 0;
    const char *state = "idle";
    int64_t last_pong = 0;
    json_t *conns = json_object();
    for (int i = 0; i < BYBIT_STREAMS; i++) {
        const struct bybit_conn *s = &b->streams[i];
        const struct bybit_stream_status *x = &st[i];
        if (x->last_pong_ms > last_pong)
            last_pong = x->last_pong_ms;
        int up = x->state == BYBIT_CONNECTED;
        if (x->needed) {
            needed++;
            connected += up;
            if (!up) {
                if (strcmp(state, "idle") == 0 ||
                    strcmp(state, "connected") == 0)
                    state = bybit_state_name(x->state);
                int down_long =
                    x->down_since_mono &&
                    now - x->down_since_mono > b->conf->health_window;
                if (down_long)
                    health = WSGW_HEALTH_DOWN;
                else if (health == WSGW_HEALTH_UP)
                    health = WSGW_HEALTH_DEGRADED;
            } else if (strcmp(state, "idle") == 0) {
                state = "connected";
            }
        }
        if (!s->configured || (x->state == BYBIT_IDLE && !x->needed &&
                               !x->reconnects && !x->last_error[0]))
            continue;
        json_t *topics =
            json_pack("{s:I,s:I,s:I,s:I}", "pending",
                      (json_int_t)(x->topics[BSUB_WANT] + x->topics[BSUB_SENT]),
                      "active", (json_int_t)x->topics[BSUB_ACTIVE], "failed",
                      (json_int_t)x->topics[BSUB_FAILED], "total",
                      (json_int_t)(x->topics[0] + x->topics[1] + x->topics[2] +
                                   x->topics[3]));
        json_object_set_new(
            conns, s->name,
            json_pack("{s:s,s:s,s:b,s:b,s:o,s:I,s:s?,s:o,s:o,s:o}", "state",
                      bybit_state_name(x->state), "url", s->ep.url, "connected",
                      up, "needed", x->needed, "connected_since",
                      time_or_null(x->connected_since_ms), "reconnects",
                      (json_int_t)x->reconnects, "last_error",
                      x->last_error[0] ? x->last_error : NULL, "last_pong_at",
                      time_or_null(x->last_pong_ms), "last_message_at",
                      time_or_null(x->last_message_ms), "topics", topics));
        if (i == BYBIT_PRIVATE)
            json_object_set_new(json_object_get(conns, s->name),
                                "auth_failures",
                                json_integer((json_int_t)x->auth_failures));
    }
    json_object_set_new(out, "connected",
                        json_boolean(needed > 0 && connected == needed));
    json_object_set_new(out, "state", json_string(state));
    json_object_set_new(out, "last_heartbeat_at", time_or_null(last_pong));
    json_object_set_new(out, "environment",
                        json_string(bybit_env_names[b->conf->environment]));
    json_object_set_new(out, "credentials",
                        json_boolean(bybit_have_credentials(b->conf)));
    json_object_set_new(out, "connections", conns);
    return health;
}

/* ---- the descriptor --------------------------------------------------- */

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "bybit",
    .version = "1.0.0",
    .description = "Bybit v5 WebSocket source: public and private streams, "
                   "normalized events, REST balance sync",
    .provides = WSGW_PROVIDES_SOURCE,
    .health_role = "websocket",
    .options = bybit_options,
    .conf_size = sizeof(struct bybit_conf),
    .create = bybit_create,
    .start = bybit_start,
    .stop = bybit_stop,
    .destroy = bybit_destroy,
    .status = bybit_status,
    .source_ops = &bybit_source_ops,
};
