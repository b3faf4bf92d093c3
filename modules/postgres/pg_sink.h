/*
 * pg_sink.h — the postgres module's instance: options and the state the
 * writer (pg_writer.c), the store (pg_store.c) and the balance API
 * (pg_api.c) share. Internal to the module. Loop thread only.
 */
#ifndef WSGW_PG_SINK_H
#define WSGW_PG_SINK_H

#include <stdint.h>

#include <wsgw/wsgw.h>

#include "pg_conn.h"
#include "pg_migrate.h"
#include "pg_row.h"
#include "pg_table.h"

struct pg_conf {
    char *dsn;
    int64_t flush_interval_ms;
    int64_t batch_max;
    int64_t buffer_max;
    int64_t connect_timeout_ms;
    int64_t write_timeout_ms;
    int64_t query_timeout_ms;
    int64_t retry_min_ms;
    int64_t retry_max_ms;
    int migrate;
    int api;
};

/* The writer connection's phases. */
enum pg_wstate {
    PG_W_DOWN,       /* closed; a reconnect is scheduled             */
    PG_W_CONNECTING, /* PQconnectPoll in progress                    */
    PG_W_MIGRATING,  /* applying migrations                          */
    PG_W_PREPARING,  /* preparing the statements                     */
    PG_W_READY       /* writing                                      */
};

/* One group of batch rows of one table, sent as one statement. */
struct pg_unit {
    uint16_t table;
    uint32_t start, count;
    uint32_t done; /* rows settled (single-row mode)            */
    int single;    /* a multi-row send failed for data: one by one */
};

/* The rows in flight. */
struct pg_batch {
    struct pg_row **rows; /* owned; grouped by table; NULL once settled */
    size_t n;
    struct pg_unit units[PG_T_COUNT];
    size_t nunits, cur;
    size_t unit_rows; /* rows of the statement in flight        */
    int64_t sent_ns;
};

/* A subscription record waiting to be upserted. */
struct pg_save {
    struct wsgw_sub_record r;
};

struct pg_api;

struct pg_sink {
    struct wsgw_instance *in;
    const struct pg_conf *conf;
    int started, stopping;

    /* the writer */
    struct pg_conn *wconn;
    enum pg_wstate wstate;
    int db_ok;          /* the database answered lately: store available */
    int64_t backoff_ms; /* next reconnect / retry delay                  */
    struct wsgw_timer *retry_timer;
    int retry_wait; /* a batch or save waits for retry_timer          */
    struct wsgw_timer *flush_timer;
    int flush_armed, flush_due;
    const struct pg_migration **pending;
    size_t npending, mig_i;
    int schema_version;
    int prep_i;
    char *insert_sql[PG_T_COUNT];

    struct pg_rowq buf; /* rows waiting, oldest first */
    struct pg_batch batch;
    int batch_active;
    struct pg_buf params;

    struct pg_save *saves; /* waiting upserts, oldest first; one per id */
    size_t nsaves, saves_cap;
    struct pg_save save_inflight;
    int save_active;
    int last_was_save; /* alternate saves and row batches */

    char last_error[256];
    int64_t connected_since_ms;
    uint64_t rows_written, rows_failed, rows_dropped;
    unsigned warned_classes;

    struct wsgw_metric *m_rows[PG_T_COUNT];
    struct wsgw_metric *m_write_seconds;
    struct wsgw_metric *m_connected;
    struct wsgw_metric *m_buffered;
    struct wsgw_metric *m_rows_failed;
    struct wsgw_metric *m_rows_dropped;

    struct pg_api *api;
};

/* ---- pg_writer.c ------------------------------------------------------ */

/* Allocate the writer's timers, statements and connection; WSGW_OK or
 * WSGW_ERR (err filled). */
int pg_writer_init(struct pg_sink *s, struct wsgw_err *err);
/* Start connecting (and migrating) in the background. */
void pg_writer_start(struct pg_sink *s);
/* Close the connection; count what is still buffered as dropped. */
void pg_writer_stop(struct pg_sink *s);
void pg_writer_free(struct pg_sink *s);
/* Queue the rows of one event (takes them and the evrec); drops the
 * oldest waiting rows when the buffer is full. */
void pg_writer_add(struct pg_sink *s, struct pg_row **rows, size_t n);
/* Queue a subscription upsert; WSGW_OK or WSGW_AGAIN (unavailable/full). */
int pg_writer_save(struct pg_sink *s, const struct wsgw_sub_record *r);
/* Send what is due, if the connection is free. */
void pg_writer_pump(struct pg_sink *s);
/* 1 when nothing is buffered or in flight. */
int pg_writer_idle(const struct pg_sink *s);
/* Rows buffered plus in flight. */
size_t pg_writer_buffered(const struct pg_sink *s);
/* "down", "connecting", "migrating", "preparing", "ready". */
const char *pg_writer_state_name(const struct pg_sink *s);
/* Settle one row (counting its event once all its rows settled) and
 * free it. */
void pg_writer_settle_row(struct pg_sink *s, struct pg_row *r,
                          enum pg_settle how);

/* ---- pg_store.c ------------------------------------------------------- */

/* store_ops.load: blocking, start-up only; migrates first. */
int pg_store_load(void *ctx,
                  void (*cb)(void *arg, const struct wsgw_sub_record *r),
                  void *arg, struct wsgw_err *err);
int pg_store_save(void *ctx, const struct wsgw_sub_record *r);
int pg_store_available(void *ctx);
/* The upsert statement and how to turn a record into its parameters. */
extern const char pg_store_upsert_sql[];
#define PG_STORE_UPSERT_NPARAMS 13
/* Text parameters of r into vals, using tmp (>= 3 * 32 bytes). */
void pg_store_params(const struct wsgw_sub_record *r, const char **vals,
                     char tmp[3][32]);

/* ---- pg_api.c --------------------------------------------------------- */

/* Register the balance routes and create the query connection. */
int pg_api_start(struct pg_sink *s, struct wsgw_err *err);
/* Answer what waits with 503 and close the connection. */
void pg_api_stop(struct pg_sink *s);
void pg_api_free(struct pg_sink *s);
/* The query connection's state for status(). */
void pg_api_status(struct pg_sink *s, json_t *out);

#endif
