/*
 * pg_store.c — the subscription store: the registry's records live in the
 * subscriptions table.
 *
 * load() runs once at start-up on a short-lived blocking connection (the
 * loop is not serving yet): it applies the migrations, so the table
 * exists, and reads every record. save() queues an upsert for the
 * asynchronous writer (pg_writer.c), which retries it until it is stored.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_sink.h"

const char pg_store_upsert_sql[] =
    "INSERT INTO subscriptions (id, channel_type, symbol, topic,"
    " requesting_service, is_active, created_at, updated_at, last_event_at,"
    " category, stream, status, status_reason)"
    " VALUES ($1::uuid, $2, $3, $4, $5, $6::boolean, $7::timestamptz,"
    " $8::timestamptz, $9::timestamptz, $10, $11, $12, $13)"
    " ON CONFLICT (id) DO UPDATE SET channel_type = EXCLUDED.channel_type,"
    " symbol = EXCLUDED.symbol, topic = EXCLUDED.topic,"
    " requesting_service = EXCLUDED.requesting_service,"
    " is_active = EXCLUDED.is_active, updated_at = EXCLUDED.updated_at,"
    " last_event_at = EXCLUDED.last_event_at, category = EXCLUDED.category,"
    " stream = EXCLUDED.stream, status = EXCLUDED.status,"
    " status_reason = EXCLUDED.status_reason";

static const char load_sql[] =
    "SELECT id::text, channel_type, coalesce(symbol, ''), topic,"
    " coalesce(category, ''), coalesce(stream, ''), requesting_service,"
    " is_active::integer, coalesce(status, 'pending'),"
    " coalesce(status_reason, ''),"
    " (extract(epoch FROM created_at) * 1000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000)::bigint,"
    " coalesce((extract(epoch FROM last_event_at) * 1000)::bigint, 0)"
    " FROM subscriptions ORDER BY created_at, id";

static const char *empty_null(const char *s)
{
    return s[0] ? s : NULL;
}

void pg_store_params(const struct wsgw_sub_record *r, const char **vals,
                     char tmp[3][32])
{
    wsgw_time_format(r->created_at_ms, tmp[0]);
    wsgw_time_format(r->updated_at_ms ? r->updated_at_ms : r->created_at_ms,
                     tmp[1]);
    if (r->last_event_at_ms)
        wsgw_time_format(r->last_event_at_ms, tmp[2]);
    vals[0] = r->id;
    vals[1] = r->channel_type;
    vals[2] = empty_null(r->symbol);
    vals[3] = r->topic;
    vals[4] = r->requesting_service;
    vals[5] = r->is_active ? "t" : "f";
    vals[6] = tmp[0];
    vals[7] = tmp[1];
    vals[8] = r->last_event_at_ms ? tmp[2] : NULL;
    vals[9] = empty_null(r->category);
    vals[10] = empty_null(r->stream);
    vals[11] = r->status[0] ? r->status : WSGW_SUB_PENDING;
    vals[12] = empty_null(r->status_reason);
}

static void notice_to_debug(void *arg, const char *message)
{
    struct pg_sink *s = arg;
    wsgw_debug(s->in, "start-up connection: server notice: %.*s",
               (int)strcspn(message, "\n"), message);
}

/* One statement; WSGW_OK or WSGW_ERR with err naming `what`. A step
 * skipped because another process applied it counts as done. */
static int exec_ok(PGconn *pg, const char *sql, const char *what,
                   struct wsgw_err *err)
{
    PGresult *res = PQexec(pg, sql);
    char msg[256];
    int ok = pg_result_ok(res) ||
             strcmp(pg_result_state(res), PG_MIGRATE_SKIPPED_STATE) == 0;
    if (!ok)
        wsgw_err_set(err, NULL, "%s: SQLSTATE %s: %s", what,
                     res ? pg_result_state(res) : "",
                     res ? pg_result_message(res, msg, sizeof(msg))
                         : PQerrorMessage(pg));
    PQclear(res);
    return ok ? WSGW_OK : WSGW_ERR;
}

static int migrate_sync(struct pg_sink *s, PGconn *pg, struct wsgw_err *err)
{
    if (exec_ok(pg, pg_migrate_bootstrap_sql(), "creating schema_migrations",
                err) != WSGW_OK)
        return WSGW_ERR;
    PGresult *res = PQexec(pg, pg_migrate_versions_sql());
    if (!pg_result_ok(res)) {
        char msg[256];
        wsgw_err_set(err, NULL, "reading schema_migrations: %s",
                     pg_result_message(res, msg, sizeof(msg)));
        PQclear(res);
        return WSGW_ERR;
    }
    size_t n = (size_t)PQntuples(res);
    int64_t *applied = calloc(n + 1, sizeof(*applied));
    const struct pg_migration **pending =
        calloc(pg_migrations_count + 1, sizeof(*pending));
    if (!applied || !pending) {
        free(applied);
        free(pending);
        PQclear(res);
        return wsgw_err_set(err, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        applied[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    PQclear(res);
    size_t np = pg_migrate_pending(pg_migrations, pg_migrations_count, applied,
                                   n, pending);
    int rc = WSGW_OK;
    for (size_t i = 0; i < np && rc == WSGW_OK; i++) {
        char *sql = pg_migrate_step_sql(pending[i]);
        char what[128];
        snprintf(what, sizeof(what), "migration %03d_%s", pending[i]->version,
                 pending[i]->name);
        rc = sql ? exec_ok(pg, sql, what, err)
                 : wsgw_err_set(err, NULL, "out of memory");
        free(sql);
        if (rc == WSGW_OK)
            wsgw_info(s->in, "applied %s", what);
    }
    free(applied);
    free(pending);
    return rc;
}

static void copy_field(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

int pg_store_load(void *ctx,
                  void (*cb)(void *arg, const struct wsgw_sub_record *r),
                  void *arg, struct wsgw_err *err)
{
    struct pg_sink *s = ctx;
    const char *keys[10], *vals[10];
    char tmp[24];
    pg_conn_params(s->conf->dsn, s->conf->connect_timeout_ms, keys, vals, tmp,
                   sizeof(tmp));
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s",
                 pg ? PQerrorMessage(pg) : "out of memory");
        msg[strcspn(msg, "\n")] = '\0';
        PQfinish(pg);
        return wsgw_err_set(err, NULL, "cannot read subscriptions: connect: %s",
                            msg);
    }
    PQsetNoticeProcessor(pg, notice_to_debug, s);
    if (s->conf->migrate && migrate_sync(s, pg, err) != WSGW_OK) {
        PQfinish(pg);
        return WSGW_ERR;
    }
    PGresult *res = PQexec(pg, load_sql);
    if (!pg_result_ok(res)) {
        char msg[256];
        wsgw_err_set(err, NULL, "cannot read subscriptions: SQLSTATE %s: %s",
                     pg_result_state(res),
                     pg_result_message(res, msg, sizeof(msg)));
        PQclear(res);
        PQfinish(pg);
        return WSGW_ERR;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        struct wsgw_sub_record r;
        memset(&r, 0, sizeof(r));
        copy_field(r.id, sizeof(r.id), PQgetvalue(res, i, 0));
        copy_field(r.channel_type, sizeof(r.channel_type),
                   PQgetvalue(res, i, 1));
        copy_field(r.symbol, sizeof(r.symbol), PQgetvalue(res, i, 2));
        copy_field(r.topic, sizeof(r.topic), PQgetvalue(res, i, 3));
        copy_field(r.category, sizeof(r.category), PQgetvalue(res, i, 4));
        copy_field(r.stream, sizeof(r.stream), PQgetvalue(res, i, 5));
        copy_field(r.requesting_service, sizeof(r.requesting_service),
                   PQgetvalue(res, i, 6));
        r.is_active = strcmp(PQgetvalue(res, i, 7), "1") == 0;
        copy_field(r.status, sizeof(r.status), PQgetvalue(res, i, 8));
        copy_field(r.status_reason, sizeof(r.status_reason),
                   PQgetvalue(res, i, 9));
        r.created_at_ms = strtoll(PQgetvalue(res, i, 10), NULL, 10);
        r.updated_at_ms = strtoll(PQgetvalue(res, i, 11), NULL, 10);
        r.last_event_at_ms = strtoll(PQgetvalue(res, i, 12), NULL, 10);
        cb(arg, &r);
    }
    PQclear(res);
    PQfinish(pg);
    /* The database answered: accept saves until the writer says otherwise. */
    s->db_ok = 1;
    wsgw_info(s->in, "loaded %d subscriptions", n);
    return WSGW_OK;
}

int pg_store_save(void *ctx, const struct wsgw_sub_record *r)
{
    return pg_writer_save(ctx, r);
}

int pg_store_available(void *ctx)
{
    struct pg_sink *s = ctx;
    return s->db_ok && !s->stopping;
}
