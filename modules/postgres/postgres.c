/*
 * postgres.c — the postgres module: a sink that stores balances and
 * positions, the subscription store, and the balance queries of the
 * admin API. This file holds the option table, the lifecycle, deliver()
 * and status(); the work is in pg_writer.c (writes), pg_store.c
 * (subscriptions), pg_api.c (queries), pg_map.c (payload -> rows).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_map.h"
#include "pg_sink.h"

static const double write_buckets[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static int pg_create(struct wsgw_instance *in, const void *conf, void **ctx,
                     struct wsgw_err *err)
{
    const struct pg_conf *c = conf;
    if (!c->dsn || !c->dsn[0])
        return wsgw_err_set(err, NULL, "option 'dsn' must not be empty");
    if (c->batch_max > c->buffer_max)
        return wsgw_err_set(err, NULL,
                            "batch_max (%lld) must not exceed buffer_max "
                            "(%lld)",
                            (long long)c->batch_max, (long long)c->buffer_max);
    if (c->retry_min_ms > c->retry_max_ms)
        return wsgw_err_set(err, NULL, "retry_min must not exceed retry_max");
    if (pg_migrate_check(pg_migrations, pg_migrations_count, err) != WSGW_OK)
        return WSGW_ERR;
    /* Reject a malformed DSN now (wsgw -t), without connecting. */
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(c->dsn, &perr);
    if (!opts) {
        wsgw_err_set(err, NULL,
                     "option 'dsn' is not a valid connection "
                     "string: %.*s",
                     perr ? (int)strcspn(perr, "\n") : 13,
                     perr ? perr : "out of memory");
        PQfreemem(perr);
        return WSGW_ERR;
    }
    PQconninfoFree(opts);

    struct pg_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return wsgw_err_set(err, NULL, "out of memory");
    s->in = in;
    s->conf = c;
    *ctx = s;
    return WSGW_OK;
}

static void make_metrics(struct pg_sink *s)
{
    const char *name = wsgw_instance_name(s->in);
    char labels[256];
    for (int t = 0; t < PG_T_COUNT; t++) {
        snprintf(labels, sizeof(labels), "sink=\"%s\",table=\"%s\"", name,
                 pg_table_def(t)->name);
        s->m_rows[t] =
            wsgw_counter("wsgw_postgres_rows_written_total",
                         "Rows written by the postgres sink", labels);
    }
    snprintf(labels, sizeof(labels), "sink=\"%s\"", name);
    s->m_write_seconds = wsgw_histogram(
        "wsgw_postgres_write_seconds",
        "Database write latency of one batch statement", labels, write_buckets,
        sizeof(write_buckets) / sizeof(write_buckets[0]));
    s->m_connected =
        wsgw_gauge("wsgw_postgres_connected",
                   "1 while the writer connection is up and ready", labels);
    s->m_buffered =
        wsgw_gauge("wsgw_postgres_buffered_rows",
                   "Rows waiting to be written (incl. in flight)", labels);
    s->m_rows_failed = wsgw_counter(
        "wsgw_postgres_rows_failed_total",
        "Rows the database refused for their data (skipped)", labels);
    s->m_rows_dropped =
        wsgw_counter("wsgw_postgres_rows_dropped_total",
                     "Rows dropped unwritten (buffer full, shutdown)", labels);
}

static int pg_start(void *ctx, struct wsgw_err *err)
{
    struct pg_sink *s = ctx;
    make_metrics(s);
    if (pg_writer_init(s, err) != WSGW_OK)
        return WSGW_ERR;
    if (s->conf->api && pg_api_start(s, err) != WSGW_OK)
        return WSGW_ERR;
    pg_writer_start(s);
    s->started = 1;
    return WSGW_OK;
}

static void pg_stop(void *ctx)
{
    struct pg_sink *s = ctx;
    pg_api_stop(s);
    pg_writer_stop(s);
}

static void pg_destroy(void *ctx)
{
    struct pg_sink *s = ctx;
    pg_api_free(s);
    pg_writer_free(s);
    free(s);
}

/* Rows of one event into the writer; counts the event when it has none. */
static void take_event(struct pg_sink *s, struct wsgw_event *ev)
{
    int cls = wsgw_event_class(ev);
    size_t len;
    const char *payload = wsgw_event_payload(ev, &len);
    struct pg_evmeta m = {
        .event_id = wsgw_event_id(ev),
        .trace_id = wsgw_event_trace_id(ev),
        .event_ms = wsgw_event_timestamp_ms(ev),
        .received_ms = wsgw_event_received_ns(ev) / 1000000,
    };
    struct pg_rowvec rv = {0};
    struct wsgw_err err = {0};
    int warned = 0, rc;

    if (cls == WSGW_CLASS_BALANCES) {
        rc = pg_map_wallet(payload, len, &m, &rv, &warned, &err);
    } else if (cls == WSGW_CLASS_POSITIONS) {
        rc = pg_map_position(payload, len, &m, &rv, &warned, &err);
    } else {
        if (!(s->warned_classes & (1u << cls))) {
            s->warned_classes |= 1u << cls;
            wsgw_warn(s->in,
                      "events of class %s have no table here: accepted "
                      "and not stored (route only balances and positions "
                      "to this sink)",
                      wsgw_class_name(cls));
        }
        wsgw_sink_count(s->in, WSGW_SINK_DELIVERED, 1);
        return;
    }
    if (rc != WSGW_OK) {
        wsgw_log_trace(s->in, WSGW_LOG_WARN, m.trace_id, "event %s skipped: %s",
                       m.event_id, err.msg);
        wsgw_sink_count(s->in, WSGW_SINK_FAILED, 1);
        return;
    }
    if (warned)
        wsgw_log_trace(s->in, WSGW_LOG_WARN, m.trace_id,
                       "event %s: a value was not a decimal string or "
                       "integer and is stored as NULL",
                       m.event_id);
    if (rv.n == 0) {
        wsgw_sink_count(s->in, WSGW_SINK_DELIVERED, 1);
        pg_rowvec_clear(&rv);
        return;
    }
    struct pg_evrec *rec = calloc(1, sizeof(*rec));
    if (!rec) {
        wsgw_error(s->in, "out of memory: event %s dropped", m.event_id);
        wsgw_sink_count(s->in, WSGW_SINK_DROPPED, 1);
        pg_rowvec_clear(&rv);
        return;
    }
    snprintf(rec->event_id, sizeof(rec->event_id), "%s", m.event_id);
    rec->rows_left = (unsigned)rv.n;
    for (size_t i = 0; i < rv.n; i++)
        rv.v[i]->ev = rec;
    pg_writer_add(s, rv.v, rv.n);
    free(rv.v); /* the rows now belong to the writer */
}

static size_t pg_deliver(void *ctx, struct wsgw_event **evs, size_t n)
{
    struct pg_sink *s = ctx;
    for (size_t i = 0; i < n; i++) {
        take_event(s, evs[i]);
        wsgw_event_unref(evs[i]);
    }
    return n;
}

static int pg_idle(void *ctx)
{
    return pg_writer_idle(ctx);
}

static int pg_status(void *ctx, json_t *out)
{
    struct pg_sink *s = ctx;
    int ready = s->wstate == PG_W_READY;
    char desc[256];
    json_object_set_new(out, "connected", json_boolean(ready));
    json_object_set_new(out, "state", json_string(pg_writer_state_name(s)));
    if (ready)
        json_object_set_new(
            out, "database",
            json_string(pg_conn_describe(s->wconn, desc, sizeof(desc))));
    json_object_set_new(out, "last_error",
                        s->last_error[0] ? json_string(s->last_error)
                                         : json_null());
    json_object_set_new(out, "schema_version", json_integer(s->schema_version));
    json_object_set_new(out, "buffered_rows",
                        json_integer((json_int_t)pg_writer_buffered(s)));
    json_object_set_new(out, "buffer_max",
                        json_integer((json_int_t)s->conf->buffer_max));
    json_object_set_new(out, "rows_written",
                        json_integer((json_int_t)s->rows_written));
    json_object_set_new(out, "rows_failed",
                        json_integer((json_int_t)s->rows_failed));
    json_object_set_new(out, "rows_dropped",
                        json_integer((json_int_t)s->rows_dropped));
    json_object_set_new(out, "pending_subscription_writes",
                        json_integer((json_int_t)(s->nsaves + s->save_active)));
    pg_api_status(s, out);
    if (ready)
        return WSGW_HEALTH_UP;
    /* Set up but not yet ready, and no failure since the database last
     * answered: working on it. */
    return s->db_ok ? WSGW_HEALTH_DEGRADED : WSGW_HEALTH_DOWN;
}

static const struct wsgw_store_ops pg_store_ops = {
    .load = pg_store_load,
    .save = pg_store_save,
    .available = pg_store_available,
};

#define OPT(n, t, d, f, field, lo, hi, h)                                      \
    {                                                                          \
        n, WSGW_OPT_##t, d, f, offsetof(struct pg_conf, field), lo, hi, NULL,  \
            h                                                                  \
    }

static const struct wsgw_option pg_options[] = {
    OPT("dsn", STR, NULL, WSGW_OPT_REQUIRED | WSGW_OPT_SECRET, dsn, 0, 0,
        "libpq connection string or URI, e.g. "
        "postgresql://user@127.0.0.1:5432/wsgw"),
    OPT("flush_interval", DURATION, "200ms", 0, flush_interval_ms, 1, 60000,
        "write waiting rows at least this often"),
    OPT("batch_max", INT, "500", 0, batch_max, 1, 100000,
        "rows per batch (a full batch is written at once)"),
    OPT("buffer_max", INT, "100000", 0, buffer_max, 1, 100000000,
        "rows kept while the database is down or slow; the oldest are "
        "dropped beyond it"),
    OPT("connect_timeout", DURATION, "5s", 0, connect_timeout_ms, 100, 600000,
        "give up a connection attempt after this long"),
    OPT("write_timeout", DURATION, "10s", 0, write_timeout_ms, 100, 3600000,
        "reconnect when a write gets no answer within this"),
    OPT("query_timeout", DURATION, "5s", 0, query_timeout_ms, 100, 600000,
        "answer 503 when a balance query takes longer"),
    OPT("retry_min", DURATION, "250ms", 0, retry_min_ms, 10, 600000,
        "first reconnect / retry delay (doubles up to retry_max)"),
    OPT("retry_max", DURATION, "5s", 0, retry_max_ms, 10, 3600000,
        "longest reconnect / retry delay"),
    OPT("migrate", BOOL, "true", 0, migrate, 0, 0,
        "apply the schema migrations on start"),
    OPT("api", BOOL, "true", 0, api, 0, 0,
        "serve GET /api/v1/balances and /api/v1/balances/history"),
    {NULL},
};

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "postgres",
    .version = "1.0.0",
    .description = "PostgreSQL: balances and positions, subscription store, "
                   "balance queries",
    .provides = WSGW_PROVIDES_SINK | WSGW_PROVIDES_STORE,
    .health_role = "database",
    .options = pg_options,
    .conf_size = sizeof(struct pg_conf),
    .create = pg_create,
    .start = pg_start,
    .stop = pg_stop,
    .destroy = pg_destroy,
    .status = pg_status,
    .sink_mode = WSGW_SINK_LOOP,
    .deliver = pg_deliver,
    .idle = pg_idle,
    .store_ops = &pg_store_ops,
};
