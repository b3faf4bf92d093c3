/*
 * pg_writer.c — the asynchronous writer: one connection that migrates the
 * schema, then writes buffered rows in batches and subscription upserts.
 *
 * Rows wait in a bounded queue (buffer_max, oldest dropped first). A batch
 * takes up to batch_max rows when batch_max are waiting or flush_interval
 * after the first one arrived, groups them by table and sends one
 * prepared INSERT per table (unnest of array parameters). A statement
 * refused for its data (SQLSTATE class 22/23) is sent again row by row
 * so only the bad row is skipped; any other failure puts the rows back
 * and retries after a backoff; a lost connection reconnects with backoff.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_sink.h"

#define SAVES_MAX 10000

static const char *const insert_names[PG_T_COUNT] = {
    [PG_T_BALANCES] = "wsgw_insert_account_balances",
    [PG_T_MARGIN] = "wsgw_insert_account_margin_balances",
    [PG_T_POSITIONS] = "wsgw_insert_positions",
};
#define UPSERT_NAME "wsgw_upsert_subscription"

static void writer_down(struct pg_sink *s, const char *why);
static void on_up(void *arg);
static void on_down(void *arg, const char *why);

static void update_gauges(struct pg_sink *s)
{
    wsgw_gauge_set(s->m_buffered, (int64_t)pg_writer_buffered(s));
}

size_t pg_writer_buffered(const struct pg_sink *s)
{
    size_t n = s->buf.n;
    if (s->batch_active)
        for (size_t i = 0; i < s->batch.n; i++)
            n += s->batch.rows[i] != NULL;
    return n;
}

const char *pg_writer_state_name(const struct pg_sink *s)
{
    static const char *const names[] = {"down", "connecting", "migrating",
                                        "preparing", "ready"};
    return names[s->wstate];
}

int pg_writer_idle(const struct pg_sink *s)
{
    return s->buf.n == 0 && !s->batch_active && s->nsaves == 0 &&
           !s->save_active;
}

void pg_writer_settle_row(struct pg_sink *s, struct pg_row *r,
                          enum pg_settle how)
{
    struct pg_evrec *ev = pg_evrec_settle(r->ev, how);
    if (how == PG_ROW_FAILED) {
        s->rows_failed++;
        wsgw_counter_add(s->m_rows_failed, 1);
    } else if (how == PG_ROW_DROPPED) {
        s->rows_dropped++;
        wsgw_counter_add(s->m_rows_dropped, 1);
    }
    if (ev) {
        enum wsgw_sink_counter c = ev->failed    ? WSGW_SINK_FAILED
                                   : ev->dropped ? WSGW_SINK_DROPPED
                                                 : WSGW_SINK_DELIVERED;
        wsgw_sink_count(s->in, c, 1);
        free(ev);
    }
    pg_row_free(r);
}

static void drop_oldest(struct pg_sink *s)
{
    struct pg_row *r = pg_rowq_pop_front(&s->buf);
    if (r)
        pg_writer_settle_row(s, r, PG_ROW_DROPPED);
}

/* Keep the buffer within buffer_max by dropping the oldest rows. */
static void trim(struct pg_sink *s)
{
    size_t dropped = 0;
    while (s->buf.n > (size_t)s->conf->buffer_max) {
        drop_oldest(s);
        dropped++;
    }
    if (dropped)
        wsgw_warn(s->in,
                  "write buffer full (%" PRId64 " rows): dropped the %zu "
                  "oldest rows (%" PRIu64 " so far)",
                  s->conf->buffer_max, dropped, s->rows_dropped);
}

static int64_t next_delay(struct pg_sink *s)
{
    int64_t d = s->backoff_ms;
    /* Jitter: two daemons must not retry in lockstep. */
    int64_t delay = d / 2 + (int64_t)wsgw_random_below((uint64_t)d / 2 + 1);
    s->backoff_ms =
        d * 2 > s->conf->retry_max_ms ? s->conf->retry_max_ms : d * 2;
    return delay;
}

/* ---- in-flight work back to the queues -------------------------------- */

static void batch_requeue(struct pg_sink *s)
{
    if (!s->batch_active)
        return;
    const struct pg_evrec *last = NULL;
    uint64_t events = 0;
    for (size_t i = s->batch.n; i-- > 0;) {
        struct pg_row *r = s->batch.rows[i];
        if (!r)
            continue;
        if (r->ev != last || !r->ev)
            events++;
        last = r->ev;
        if (pg_rowq_push_front(&s->buf, r) != WSGW_OK)
            pg_writer_settle_row(s, r, PG_ROW_DROPPED);
    }
    s->batch_active = 0;
    s->batch.n = 0;
    wsgw_sink_count(s->in, WSGW_SINK_RETRIED, events);
    trim(s);
    s->flush_due = 1;
}

static struct pg_save *find_save(struct pg_sink *s, const char *id)
{
    for (size_t i = 0; i < s->nsaves; i++)
        if (strcmp(s->saves[i].r.id, id) == 0)
            return &s->saves[i];
    return NULL;
}

static void save_requeue(struct pg_sink *s)
{
    if (!s->save_active)
        return;
    s->save_active = 0;
    /* A newer save of the same record supersedes this one. */
    if (find_save(s, s->save_inflight.r.id) || s->nsaves == s->saves_cap)
        return;
    memmove(&s->saves[1], &s->saves[0], s->nsaves * sizeof(s->saves[0]));
    s->saves[0] = s->save_inflight;
    s->nsaves++;
}

/* ---- timers ----------------------------------------------------------- */

static void on_retry(void *arg)
{
    struct pg_sink *s = arg;
    if (s->wstate == PG_W_DOWN) {
        s->wstate = PG_W_CONNECTING;
        pg_conn_connect(s->wconn);
        return;
    }
    s->retry_wait = 0;
    pg_writer_pump(s);
}

static void on_flush(void *arg)
{
    struct pg_sink *s = arg;
    s->flush_armed = 0;
    s->flush_due = 1;
    pg_writer_pump(s);
}

/* Wait before sending again on a working connection. */
static void retry_later(struct pg_sink *s)
{
    s->retry_wait = 1;
    wsgw_timer_start(s->retry_timer, (uint64_t)next_delay(s), 0);
}

/* ---- connection set-up: migrations, statements ------------------------ */

static void setup_failed(struct pg_sink *s, const char *what,
                         const PGresult *res)
{
    char msg[256], why[400];
    snprintf(why, sizeof(why), "%s: SQLSTATE %s: %s", what,
             pg_result_state(res), pg_result_message(res, msg, sizeof(msg)));
    /* Nothing is in flight inside a result callback: close quietly and
     * take the reconnect path. */
    pg_conn_close(s->wconn);
    writer_down(s, why);
}

static void writer_ready(struct pg_sink *s)
{
    char desc[256];
    s->wstate = PG_W_READY;
    s->db_ok = 1;
    s->backoff_ms = s->conf->retry_min_ms;
    s->connected_since_ms = wsgw_now_ms();
    wsgw_gauge_set(s->m_connected, 1);
    wsgw_info(s->in, "writer ready: %s, schema version %d, %zu rows waiting",
              pg_conn_describe(s->wconn, desc, sizeof(desc)), s->schema_version,
              pg_writer_buffered(s));
    if (s->buf.n)
        s->flush_due = 1;
    pg_writer_pump(s);
}

static void on_prepared(void *arg, PGresult *res);

static void prepare_next(struct pg_sink *s)
{
    s->wstate = PG_W_PREPARING;
    if (s->prep_i > PG_T_COUNT) {
        writer_ready(s);
        return;
    }
    const char *name, *sql;
    if (s->prep_i < PG_T_COUNT) {
        name = insert_names[s->prep_i];
        sql = s->insert_sql[s->prep_i];
    } else {
        name = UPSERT_NAME;
        sql = pg_store_upsert_sql;
    }
    if (pg_conn_prepare(s->wconn, name, sql, s->conf->write_timeout_ms,
                        on_prepared, s) != WSGW_OK)
        writer_down(s, pg_conn_last_error(s->wconn));
}

static void on_prepared(void *arg, PGresult *res)
{
    struct pg_sink *s = arg;
    if (!res)
        return; /* on_down follows */
    if (!pg_result_ok(res)) {
        setup_failed(s, "preparing statements", res);
        return;
    }
    s->prep_i++;
    prepare_next(s);
}

static void on_step(void *arg, PGresult *res);

static void migrate_next(struct pg_sink *s)
{
    if (s->mig_i == s->npending) {
        s->prep_i = 0;
        prepare_next(s);
        return;
    }
    char *sql = pg_migrate_step_sql(s->pending[s->mig_i]);
    if (!sql) {
        pg_conn_close(s->wconn);
        writer_down(s, "out of memory");
        return;
    }
    int rc = pg_conn_query(s->wconn, sql, 0, on_step, s);
    free(sql);
    if (rc != WSGW_OK)
        writer_down(s, pg_conn_last_error(s->wconn));
}

static void on_step(void *arg, PGresult *res)
{
    struct pg_sink *s = arg;
    if (!res)
        return;
    const struct pg_migration *m = s->pending[s->mig_i];
    if (pg_result_ok(res)) {
        wsgw_info(s->in, "applied migration %03d_%s", m->version, m->name);
    } else if (strcmp(pg_result_state(res), PG_MIGRATE_SKIPPED_STATE) == 0) {
        wsgw_info(s->in, "migration %03d_%s was applied by another process",
                  m->version, m->name);
    } else {
        char what[128];
        snprintf(what, sizeof(what), "migration %03d_%s failed", m->version,
                 m->name);
        setup_failed(s, what, res);
        return;
    }
    if (m->version > s->schema_version)
        s->schema_version = m->version;
    s->mig_i++;
    migrate_next(s);
}

static void on_versions(void *arg, PGresult *res)
{
    struct pg_sink *s = arg;
    if (!res)
        return;
    if (!pg_result_ok(res)) {
        setup_failed(s, "reading schema_migrations", res);
        return;
    }
    int n = PQntuples(res);
    int64_t *applied = calloc((size_t)n + 1, sizeof(*applied));
    if (!applied) {
        pg_conn_close(s->wconn);
        writer_down(s, "out of memory");
        return;
    }
    int latest = pg_migrate_latest(pg_migrations, pg_migrations_count);
    s->schema_version = 0;
    for (int i = 0; i < n; i++) {
        applied[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        if (applied[i] > s->schema_version)
            s->schema_version = (int)applied[i];
    }
    if (s->schema_version > latest)
        wsgw_warn(s->in,
                  "the database has schema version %d, newer than this "
                  "build's %d: writing anyway",
                  s->schema_version, latest);
    s->npending = pg_migrate_pending(pg_migrations, pg_migrations_count,
                                     applied, (size_t)n, s->pending);
    free(applied);
    s->mig_i = 0;
    migrate_next(s);
}

static void on_bootstrap(void *arg, PGresult *res)
{
    struct pg_sink *s = arg;
    if (!res)
        return;
    if (!pg_result_ok(res)) {
        setup_failed(s, "creating schema_migrations", res);
        return;
    }
    if (pg_conn_query(s->wconn, pg_migrate_versions_sql(),
                      s->conf->write_timeout_ms, on_versions, s) != WSGW_OK)
        writer_down(s, pg_conn_last_error(s->wconn));
}

static void on_up(void *arg)
{
    struct pg_sink *s = arg;
    if (!s->conf->migrate) {
        s->prep_i = 0;
        prepare_next(s);
        return;
    }
    s->wstate = PG_W_MIGRATING;
    /* Migrations may take long (indexes on big tables): no timeout. */
    if (pg_conn_query(s->wconn, pg_migrate_bootstrap_sql(), 0, on_bootstrap,
                      s) != WSGW_OK)
        writer_down(s, pg_conn_last_error(s->wconn));
}

static void writer_down(struct pg_sink *s, const char *why)
{
    enum pg_wstate was = s->wstate;
    batch_requeue(s);
    save_requeue(s);
    snprintf(s->last_error, sizeof(s->last_error), "%s", why);
    s->wstate = PG_W_DOWN;
    s->db_ok = 0;
    s->retry_wait = 0;
    wsgw_gauge_set(s->m_connected, 0);
    update_gauges(s);
    if (s->stopping)
        return;
    int64_t delay = next_delay(s);
    if (was == PG_W_CONNECTING)
        wsgw_warn(s->in,
                  "cannot connect to the database: %s; %zu rows waiting; "
                  "retrying in %" PRId64 " ms",
                  why, pg_writer_buffered(s), delay);
    else
        wsgw_error(s->in,
                   "database connection lost (%s): %s; %zu rows waiting; "
                   "reconnecting in %" PRId64 " ms",
                   was == PG_W_READY ? "writing" : "setting up", why,
                   pg_writer_buffered(s), delay);
    wsgw_timer_start(s->retry_timer, (uint64_t)delay, 0);
}

static void on_down(void *arg, const char *why)
{
    writer_down(arg, why);
}

/* ---- subscription upserts --------------------------------------------- */

static void on_saved(void *arg, PGresult *res);

static void send_save(struct pg_sink *s)
{
    s->save_inflight = s->saves[0];
    s->nsaves--;
    memmove(&s->saves[0], &s->saves[1], s->nsaves * sizeof(s->saves[0]));
    s->save_active = 1;
    const char *vals[PG_STORE_UPSERT_NPARAMS];
    char tmp[3][32];
    pg_store_params(&s->save_inflight.r, vals, tmp);
    if (pg_conn_exec_prepared(s->wconn, UPSERT_NAME, PG_STORE_UPSERT_NPARAMS,
                              vals, s->conf->write_timeout_ms, on_saved,
                              s) != WSGW_OK)
        writer_down(s, pg_conn_last_error(s->wconn));
}

static void on_saved(void *arg, PGresult *res)
{
    struct pg_sink *s = arg;
    char msg[256];
    if (!res)
        return;
    if (pg_result_ok(res)) {
        s->save_active = 0;
        wsgw_debug(s->in, "subscription %s stored", s->save_inflight.r.id);
    } else if (pg_result_is_data_error(res)) {
        s->save_active = 0;
        wsgw_error(s->in,
                   "subscription %s refused (SQLSTATE %s: %s): not "
                   "stored",
                   s->save_inflight.r.id, pg_result_state(res),
                   pg_result_message(res, msg, sizeof(msg)));
    } else {
        snprintf(s->last_error, sizeof(s->last_error),
                 "storing a subscription: SQLSTATE %s: %s",
                 pg_result_state(res),
                 pg_result_message(res, msg, sizeof(msg)));
        save_requeue(s);
        retry_later(s);
        wsgw_error(s->in, "%s; retrying", s->last_error);
        return;
    }
    pg_writer_pump(s);
}

int pg_writer_save(struct pg_sink *s, const struct wsgw_sub_record *r)
{
    if (!s->db_ok || s->stopping)
        return WSGW_AGAIN;
    struct pg_save *old = find_save(s, r->id);
    if (old) {
        old->r = *r;
    } else {
        if (s->nsaves == s->saves_cap)
            return WSGW_AGAIN;
        s->saves[s->nsaves++].r = *r;
    }
    pg_writer_pump(s);
    return WSGW_OK;
}

/* ---- row batches ------------------------------------------------------ */

static void batch_form(struct pg_sink *s)
{
    struct pg_batch *b = &s->batch;
    size_t take = s->buf.n < (size_t)s->conf->batch_max
                      ? s->buf.n
                      : (size_t)s->conf->batch_max;
    size_t count[PG_T_COUNT] = {0}, at[PG_T_COUNT];
    for (size_t i = 0; i < take; i++)
        count[pg_rowq_at(&s->buf, i)->table]++;
    b->nunits = 0;
    size_t pos = 0;
    for (int t = 0; t < PG_T_COUNT; t++) {
        at[t] = pos;
        if (count[t]) {
            b->units[b->nunits++] = (struct pg_unit){
                .table = (uint16_t)t,
                .start = (uint32_t)pos,
                .count = (uint32_t)count[t],
            };
        }
        pos += count[t];
    }
    /* Stable by table, so each table's rows keep their order. */
    for (size_t i = 0; i < take; i++) {
        struct pg_row *r = pg_rowq_pop_front(&s->buf);
        b->rows[at[r->table]++] = r;
    }
    b->n = take;
    b->cur = 0;
    s->batch_active = 1;
    if (s->buf.n == 0)
        s->flush_due = 0;
}

static void on_unit(void *arg, PGresult *res);

static void batch_send(struct pg_sink *s)
{
    struct pg_batch *b = &s->batch;
    struct pg_unit *u = &b->units[b->cur];
    const struct pg_table_def *d = pg_table_def(u->table);
    struct pg_row **rows = &b->rows[u->start + u->done];
    size_t n = u->single ? 1 : u->count;
    size_t off[PG_MAX_COLS];
    const char *vals[PG_MAX_COLS];

    pg_buf_reset(&s->params);
    for (size_t c = 0; c < d->ncols; c++)
        off[c] = pg_array_literal(&s->params, rows, n, c);
    if (s->params.oom) {
        wsgw_error(s->in, "out of memory building a batch of %zu rows", n);
        batch_requeue(s);
        retry_later(s);
        return;
    }
    for (size_t c = 0; c < d->ncols; c++)
        vals[c] = s->params.p + off[c];
    b->unit_rows = n;
    b->sent_ns = wsgw_now_ns();
    if (pg_conn_exec_prepared(s->wconn, insert_names[u->table], (int)d->ncols,
                              vals, s->conf->write_timeout_ms, on_unit,
                              s) != WSGW_OK)
        writer_down(s, pg_conn_last_error(s->wconn));
}

/* The statement's rows settled: advance within the unit or to the next. */
static void unit_advance(struct pg_batch *b, size_t settled)
{
    struct pg_unit *u = &b->units[b->cur];
    u->done += (uint32_t)settled;
    if (u->done >= u->count)
        b->cur++;
}

static void on_unit(void *arg, PGresult *res)
{
    struct pg_sink *s = arg;
    struct pg_batch *b = &s->batch;
    char msg[256];
    if (!res)
        return; /* on_down puts the rows back */
    struct pg_unit *u = &b->units[b->cur];
    const char *table = pg_table_def(u->table)->name;
    size_t first = u->start + u->done, n = b->unit_rows;

    wsgw_histogram_observe(s->m_write_seconds,
                           (double)(wsgw_now_ns() - b->sent_ns) / 1e9);
    if (pg_result_ok(res)) {
        for (size_t i = first; i < first + n; i++) {
            pg_writer_settle_row(s, b->rows[i], PG_ROW_WRITTEN);
            b->rows[i] = NULL;
        }
        s->rows_written += n;
        wsgw_counter_add(s->m_rows[u->table], n);
        s->backoff_ms = s->conf->retry_min_ms;
        unit_advance(b, n);
    } else if (pg_result_is_data_error(res) && n > 1) {
        wsgw_warn(s->in,
                  "%s: %zu rows refused (SQLSTATE %s: %s); writing them one "
                  "by one to skip the bad ones",
                  table, n, pg_result_state(res),
                  pg_result_message(res, msg, sizeof(msg)));
        u->single = 1;
    } else if (pg_result_is_data_error(res)) {
        struct pg_row *r = b->rows[first];
        wsgw_error(s->in,
                   "%s: row of event %s refused (SQLSTATE %s: %s): "
                   "skipped",
                   table, r->ev ? r->ev->event_id : "?", pg_result_state(res),
                   pg_result_message(res, msg, sizeof(msg)));
        pg_writer_settle_row(s, r, PG_ROW_FAILED);
        b->rows[first] = NULL;
        unit_advance(b, 1);
    } else {
        int64_t delay = s->backoff_ms;
        snprintf(s->last_error, sizeof(s->last_error),
                 "writing %s: SQLSTATE %s: %s", table, pg_result_state(res),
                 pg_result_message(res, msg, sizeof(msg)));
        wsgw_error(s->in, "%s; %zu rows kept, retrying in about %" PRId64 " ms",
                   s->last_error, pg_writer_buffered(s), delay);
        batch_requeue(s);
        retry_later(s);
        update_gauges(s);
        return;
    }
    if (b->cur == b->nunits) {
        s->batch_active = 0;
        b->n = 0;
    }
    update_gauges(s);
    pg_writer_pump(s);
}

void pg_writer_pump(struct pg_sink *s)
{
    if (s->wstate != PG_W_READY || s->retry_wait ||
        pg_conn_state(s->wconn) != PG_CONN_IDLE)
        return;
    int rows_due =
        s->batch_active ||
        (s->buf.n && (s->flush_due || s->buf.n >= (size_t)s->conf->batch_max));
    /* Saves go first, but alternate with due row batches so a burst of
     * subscription updates cannot hold the rows back. */
    if (s->nsaves && !(rows_due && s->last_was_save)) {
        s->last_was_save = 1;
        send_save(s);
        return;
    }
    s->last_was_save = 0;
    if (!s->batch_active) {
        if (!s->buf.n)
            return;
        if (!s->flush_due && s->buf.n < (size_t)s->conf->batch_max) {
            if (!s->flush_armed) {
                s->flush_armed = 1;
                wsgw_timer_start(s->flush_timer,
                                 (uint64_t)s->conf->flush_interval_ms, 0);
            }
            return;
        }
        batch_form(s);
    }
    batch_send(s);
}

void pg_writer_add(struct pg_sink *s, struct pg_row **rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pg_rowq_push_back(&s->buf, rows[i]) != WSGW_OK) {
            wsgw_error(s->in, "out of memory: row of event %s dropped",
                       rows[i]->ev ? rows[i]->ev->event_id : "?");
            pg_writer_settle_row(s, rows[i], PG_ROW_DROPPED);
        }
    }
    trim(s);
    update_gauges(s);
    if (!s->flush_armed && !s->flush_due && s->buf.n) {
        s->flush_armed = 1;
        wsgw_timer_start(s->flush_timer, (uint64_t)s->conf->flush_interval_ms,
                         0);
    }
    pg_writer_pump(s);
}

/* ---- lifecycle -------------------------------------------------------- */

int pg_writer_init(struct pg_sink *s, struct wsgw_err *err)
{
    static const struct pg_conn_cbs cbs = {on_up, on_down};
    pg_rowq_init(&s->buf);
    pg_buf_init(&s->params);
    for (int t = 0; t < PG_T_COUNT; t++)
        if (!(s->insert_sql[t] = pg_table_insert_sql(t)))
            return wsgw_err_set(err, NULL, "out of memory");
    s->batch.rows = calloc((size_t)s->conf->batch_max, sizeof(*s->batch.rows));
    s->pending = calloc(pg_migrations_count + 1, sizeof(*s->pending));
    s->saves_cap = SAVES_MAX;
    s->saves = calloc(s->saves_cap, sizeof(*s->saves));
    s->retry_timer = wsgw_timer_new(on_retry, s);
    s->flush_timer = wsgw_timer_new(on_flush, s);
    s->wconn = pg_conn_new(s->in, "writer", s->conf->dsn,
                           s->conf->connect_timeout_ms, &cbs, s);
    if (!s->batch.rows || !s->pending || !s->saves || !s->retry_timer ||
        !s->flush_timer || !s->wconn)
        return wsgw_err_set(err, NULL, "out of memory");
    s->backoff_ms = s->conf->retry_min_ms;
    return WSGW_OK;
}

void pg_writer_start(struct pg_sink *s)
{
    s->wstate = PG_W_CONNECTING;
    pg_conn_connect(s->wconn);
}

void pg_writer_stop(struct pg_sink *s)
{
    s->stopping = 1;
    wsgw_timer_stop(s->retry_timer);
    wsgw_timer_stop(s->flush_timer);
    pg_conn_close(s->wconn);
    batch_requeue(s);
    save_requeue(s);
    s->wstate = PG_W_DOWN;
    s->db_ok = 0;
    wsgw_gauge_set(s->m_connected, 0);
    size_t left = s->buf.n;
    while (s->buf.n)
        drop_oldest(s);
    if (left)
        wsgw_warn(s->in, "stopped with %zu rows not written: dropped", left);
    if (s->nsaves)
        wsgw_warn(s->in, "stopped with %zu subscription changes not stored",
                  s->nsaves);
    s->nsaves = 0;
    update_gauges(s);
}

void pg_writer_free(struct pg_sink *s)
{
    pg_conn_free(s->wconn);
    s->wconn = NULL;
    wsgw_timer_free(s->retry_timer);
    wsgw_timer_free(s->flush_timer);
    s->retry_timer = s->flush_timer = NULL;
    if (s->batch_active)
        for (size_t i = 0; i < s->batch.n; i++)
            if (s->batch.rows[i])
                pg_writer_settle_row(s, s->batch.rows[i], PG_ROW_DROPPED);
    s->batch_active = 0;
    while (s->buf.n)
        drop_oldest(s);
    pg_rowq_free(&s->buf);
    pg_buf_free(&s->params);
    for (int t = 0; t < PG_T_COUNT; t++)
        free(s->insert_sql[t]);
    free(s->batch.rows);
    free(s->pending);
    free(s->saves);
}
