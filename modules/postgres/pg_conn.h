/*
 * pg_conn.h — one asynchronous PostgreSQL connection on the core loop.
 *
 * libpq in non-blocking mode driven by a libevent event on PQsocket():
 * PQconnectStartParams/PQconnectPoll to connect, PQsendQuery* + PQflush to
 * send, PQconsumeInput/PQisBusy/PQgetResult to read. Nothing here waits
 * on the database. One command is in flight at a time; the owner queues
 * its own work. The connection does not reconnect by itself: the owner
 * decides when (the writer with backoff, the API on demand).
 *
 * Loop thread only. Callbacks must not free the connection.
 */
#ifndef WSGW_PG_CONN_H
#define WSGW_PG_CONN_H

#include <stdint.h>

#include <libpq-fe.h>
#include <wsgw/wsgw.h>

struct pg_conn;

/*
 * The result of one command: the first error result, else the last
 * result. Owned by the connection, cleared after the callback returns.
 * NULL when the connection failed, was lost or timed out before the
 * command completed (the connection is then closed and on_down follows).
 */
typedef void (*pg_result_fn)(void *arg, PGresult *res);

struct pg_conn_cbs {
    /* Connected and idle: commands can be sent. */
    void (*on_up)(void *arg);
    /* A connection attempt failed or the connection was lost/closed for
     * an error; `why` is a one-line reason. The connection is closed. */
    void (*on_down)(void *arg, const char *why);
};

/*
 * A closed connection for `dsn` (borrowed: must outlive the connection;
 * never logged, it may hold a password). `label` names it in logs
 * ("writer", "api"). NULL when out of memory.
 */
struct pg_conn *pg_conn_new(struct wsgw_instance *in, const char *label,
                            const char *dsn, int64_t connect_timeout_ms,
                            const struct pg_conn_cbs *cbs, void *arg);
/* Close (no callbacks) and free. NULL is ok. */
void pg_conn_free(struct pg_conn *c);

/* Start connecting when closed; no-op otherwise. on_up or on_down follow. */
void pg_conn_connect(struct pg_conn *c);
/*
 * Close now without calling on_down; a command in flight gets its
 * callback with NULL first.
 */
void pg_conn_close(struct pg_conn *c);

enum pg_conn_state {
    PG_CONN_CLOSED,
    PG_CONN_CONNECTING,
    PG_CONN_IDLE,
    PG_CONN_BUSY
};
enum pg_conn_state pg_conn_state(const struct pg_conn *c);
/* "closed", "connecting", "idle", "busy". */
const char *pg_conn_state_name(const struct pg_conn *c);
/* "database D on HOST:PORT as USER" while connected, else "". Into buf. */
const char *pg_conn_describe(const struct pg_conn *c, char *buf, size_t size);
/* The last error (connect failure, loss, timeout), or "". */
const char *pg_conn_last_error(const struct pg_conn *c);

/*
 * Send one command when idle. The callback runs exactly once, later, on
 * the loop (never from inside these calls). timeout_ms > 0: no result
 * within it closes the connection (callback NULL, then on_down).
 * values are text parameters (NULL = SQL NULL), copied by libpq before
 * return. WSGW_OK, or WSGW_ERR when not idle or the send failed (then
 * neither the callback nor on_down runs: a failed send closes the
 * connection and the caller handles it, reason in pg_conn_last_error()).
 */
int pg_conn_query(struct pg_conn *c, const char *sql, int64_t timeout_ms,
                  pg_result_fn cb, void *arg);
int pg_conn_query_params(struct pg_conn *c, const char *sql, int nparams,
                         const char *const *values, int64_t timeout_ms,
                         pg_result_fn cb, void *arg);
int pg_conn_prepare(struct pg_conn *c, const char *name, const char *sql,
                    int64_t timeout_ms, pg_result_fn cb, void *arg);
int pg_conn_exec_prepared(struct pg_conn *c, const char *name, int nparams,
                          const char *const *values, int64_t timeout_ms,
                          pg_result_fn cb, void *arg);

/* The SQLSTATE of an error result, or "" (never NULL). */
const char *pg_result_state(const PGresult *res);
/* The primary message of an error result on one line, into buf. */
const char *pg_result_message(const PGresult *res, char *buf, size_t size);
/* 1 when the result is an error caused by the data (SQLSTATE class 22 or
 * 23): sending it again cannot succeed. */
int pg_result_is_data_error(const PGresult *res);
/* 1 for PGRES_COMMAND_OK / PGRES_TUPLES_OK. */
int pg_result_ok(const PGresult *res);

/*
 * The connection options wsgw sets before the user's DSN (which may
 * override them): application name, TCP keepalives. keys/vals receive up
 * to 8 entries plus the dsn as "dbname" and a NULL terminator; returns
 * the count. Shared with the blocking start-up connection.
 */
int pg_conn_params(const char *dsn, int64_t connect_timeout_ms,
                   const char **keys, const char **vals, char *tmp,
                   size_t tmpsize);

#endif
