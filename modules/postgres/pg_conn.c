/*
 * pg_conn.c — an asynchronous libpq connection driven by libevent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "pg_conn.h"

struct pg_conn {
    struct wsgw_instance *in;
    char label[16];
    const char *dsn;
    int64_t connect_timeout_ms;
    struct pg_conn_cbs cbs;
    void *arg;

    PGconn *pg;
    enum pg_conn_state st;
    struct event *ev; /* on PQsocket(); recreated when fd or interest change */
    int ev_fd;
    short ev_what;
    int flushing;               /* PQflush() still has data to send    */
    struct wsgw_timer *timeout; /* connect or command deadline          */

    pg_result_fn cb;
    void *cb_arg;
    PGresult *res;
    char last_error[256];
};

static void on_io(evutil_socket_t fd, short what, void *arg);

/* libpq messages end in newlines and may span lines: one log line. */
static void one_line(char *dst, size_t size, const char *src)
{
    size_t o = 0;
    for (; src && *src && o + 1 < size; src++)
        dst[o++] = (*src == '\n' || *src == '\r' || *src == '\t') ? ' ' : *src;
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}

static void unwatch(struct pg_conn *c)
{
    if (c->ev) {
        event_free(c->ev);
        c->ev = NULL;
    }
}

static int watch(struct pg_conn *c, short what)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return WSGW_ERR;
    if (c->ev && c->ev_fd == fd && c->ev_what == what)
        return WSGW_OK;
    unwatch(c);
    c->ev = event_new(wsgw_event_base(), fd, what | EV_PERSIST, on_io, c);
    if (!c->ev || event_add(c->ev, NULL) != 0) {
        unwatch(c);
        return WSGW_ERR;
    }
    c->ev_fd = fd;
    c->ev_what = what;
    return WSGW_OK;
}

/* Tear down the libpq side; returns the pending callback (if any). */
static void teardown(struct pg_conn *c, pg_result_fn *cb, void **cb_arg)
{
    unwatch(c);
    wsgw_timer_stop(c->timeout);
    if (c->res) {
        PQclear(c->res);
        c->res = NULL;
    }
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    *cb = c->cb;
    *cb_arg = c->cb_arg;
    c->cb = NULL;
    c->cb_arg = NULL;
    c->st = PG_CONN_CLOSED;
    c->flushing = 0;
}

/* The connection failed: close, fail the command in flight, tell the
 * owner. */
static void conn_fail(struct pg_conn *c, const char *why)
{
    pg_result_fn cb;
    void *cb_arg;
    one_line(c->last_error, sizeof(c->last_error), why);
    teardown(c, &cb, &cb_arg);
    if (cb)
        cb(cb_arg, NULL);
    if (c->cbs.on_down)
        c->cbs.on_down(c->arg, c->last_error);
}

static void conn_fail_pq(struct pg_conn *c, const char *what)
{
    char buf[300];
    snprintf(buf, sizeof(buf), "%s: %s", what,
             c->pg ? PQerrorMessage(c->pg) : "no connection");
    conn_fail(c, buf);
}

static void on_timeout(void *arg)
{
    struct pg_conn *c = arg;
    conn_fail(c, c->st == PG_CONN_CONNECTING ? "connect timed out"
                                             : "no answer in time");
}

static void notice_processor(void *arg, const char *message)
{
    struct pg_conn *c = arg;
    if (wsgw_log_enabled(c->in, WSGW_LOG_DEBUG)) {
        char line[512];
        one_line(line, sizeof(line), message);
        wsgw_debug(c->in, "%s: server notice: %s", c->label, line);
    }
}

struct pg_conn *pg_conn_new(struct wsgw_instance *in, const char *label,
                            const char *dsn, int64_t connect_timeout_ms,
                            const struct pg_conn_cbs *cbs, void *arg)
{
    struct pg_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->in = in;
    snprintf(c->label, sizeof(c->label), "%s", label);
    c->dsn = dsn;
    c->connect_timeout_ms = connect_timeout_ms;
    c->cbs = *cbs;
    c->arg = arg;
    c->ev_fd = -1;
    c->timeout = wsgw_timer_new(on_timeout, c);
    if (!c->timeout) {
        pg_conn_free(c);
        return NULL;
    }
    return c;
}

void pg_conn_free(struct pg_conn *c)
{
    if (!c)
        return;
    pg_result_fn cb;
    void *cb_arg;
    teardown(c, &cb, &cb_arg);
    wsgw_timer_free(c->timeout);
    free(c);
}

int pg_conn_params(const char *dsn, int64_t connect_timeout_ms,
                   const char **keys, const char **vals, char *tmp,
                   size_t tmpsize)
{
    int n = 0;
    /* Earlier entries are defaults: the DSN ("dbname", last) overrides. */
    keys[n] = "fallback_application_name";
    vals[n++] = "wsgw";
    keys[n] = "keepalives";
    vals[n++] = "1";
    keys[n] = "keepalives_idle";
    vals[n++] = "10";
    keys[n] = "keepalives_interval";
    vals[n++] = "5";
    keys[n] = "keepalives_count";
    vals[n++] = "3";
    if (connect_timeout_ms > 0) {
        /* Used by the blocking start-up connection; libpq rounds up to
         * whole seconds (at least 2). */
        snprintf(tmp, tmpsize, "%lld",
                 (long long)((connect_timeout_ms + 999) / 1000));
        keys[n] = "connect_timeout";
        vals[n++] = tmp;
    }
    keys[n] = "dbname";
    vals[n++] = dsn;
    keys[n] = NULL;
    vals[n] = NULL;
    return n;
}

void pg_conn_connect(struct pg_conn *c)
{
    if (c->st != PG_CONN_CLOSED)
        return;
    const char *keys[10], *vals[10];
    char tmp[24];
    pg_conn_params(c->dsn, 0, keys, vals, tmp, sizeof(tmp));
    c->pg = PQconnectStartParams(keys, vals, 1);
    c->st = PG_CONN_CONNECTING;
    if (!c->pg) {
        conn_fail(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail_pq(c, "connect");
        return;
    }
    PQsetNoticeProcessor(c->pg, notice_processor, c);
    /* Before the first PQconnectPoll, behave as if it asked to write. */
    if (watch(c, EV_WRITE) != WSGW_OK) {
        conn_fail(c, "cannot watch the connection socket");
        return;
    }
    if (c->connect_timeout_ms > 0)
        wsgw_timer_start(c->timeout, (uint64_t)c->connect_timeout_ms, 0);
}

void pg_conn_close(struct pg_conn *c)
{
    pg_result_fn cb;
    void *cb_arg;
    teardown(c, &cb, &cb_arg);
    if (cb)
        cb(cb_arg, NULL);
}

enum pg_conn_state pg_conn_state(const struct pg_conn *c)
{
    return c->st;
}

const char *pg_conn_state_name(const struct pg_conn *c)
{
    static const char *const names[] = {"closed", "connecting", "idle", "busy"};
    return names[c->st];
}

const char *pg_conn_describe(const struct pg_conn *c, char *buf, size_t size)
{
    buf[0] = '\0';
    if (c->pg && (c->st == PG_CONN_IDLE || c->st == PG_CONN_BUSY)) {
        const char *host = PQhost(c->pg);
        snprintf(buf, size, "database %s on %s:%s as %s", PQdb(c->pg),
                 host && host[0] == '/' ? "socket" : host, PQport(c->pg),
                 PQuser(c->pg));
    }
    return buf;
}

const char *pg_conn_last_error(const struct pg_conn *c)
{
    return c->last_error;
}

static void connect_step(struct pg_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (watch(c, EV_READ) != WSGW_OK)
            conn_fail(c, "cannot watch the connection socket");
        return;
    case PGRES_POLLING_WRITING:
        if (watch(c, EV_WRITE) != WSGW_OK)
            conn_fail(c, "cannot watch the connection socket");
        return;
    case PGRES_POLLING_OK:
        break;
    default:
        conn_fail_pq(c, "connect");
        return;
    }
    wsgw_timer_stop(c->timeout);
    if (PQsetnonblocking(c->pg, 1) != 0) {
        conn_fail_pq(c, "set non-blocking");
        return;
    }
    c->st = PG_CONN_IDLE;
    if (watch(c, EV_READ) != WSGW_OK) {
        conn_fail(c, "cannot watch the connection socket");
        return;
    }
    c->last_error[0] = '\0';
    if (c->cbs.on_up)
        c->cbs.on_up(c->arg);
}

/* Keep the first error result, else the last one. */
static void keep_result(struct pg_conn *c, PGresult *r)
{
    if (c->res && PQresultStatus(c->res) == PGRES_FATAL_ERROR) {
        PQclear(r);
        return;
    }
    if (c->res)
        PQclear(c->res);
    c->res = r;
}

static void command_done(struct pg_conn *c)
{
    pg_result_fn cb = c->cb;
    void *cb_arg = c->cb_arg;
    PGresult *res = c->res;
    c->cb = NULL;
    c->cb_arg = NULL;
    c->res = NULL;
    wsgw_timer_stop(c->timeout);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        /* The server went away with (or instead of) the answer. */
        char why[300];
        const char *msg = res ? PQresultErrorMessage(res) : "";
        snprintf(why, sizeof(why), "connection lost: %s",
                 msg[0] ? msg : PQerrorMessage(c->pg));
        if (res)
            PQclear(res);
        c->cb = cb;
        c->cb_arg = cb_arg;
        conn_fail(c, why);
        return;
    }
    c->st = PG_CONN_IDLE;
    if (watch(c, EV_READ) != WSGW_OK) {
        c->cb = cb;
        c->cb_arg = cb_arg;
        if (res)
            PQclear(res);
        conn_fail(c, "cannot watch the connection socket");
        return;
    }
    if (cb)
        cb(cb_arg, res);
    if (res)
        PQclear(res);
}

/* Send what libpq still buffers; 0 done, 1 more to send, -1 failed. */
static int flush_step(struct pg_conn *c)
{
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_fail_pq(c, "send");
        return -1;
    }
    c->flushing = r == 1;
    if (watch(c, c->flushing ? EV_READ | EV_WRITE : EV_READ) != WSGW_OK) {
        conn_fail(c, "cannot watch the connection socket");
        return -1;
    }
    return r;
}

static void busy_step(struct pg_conn *c, short what)
{
    if (what & EV_READ) {
        if (!PQconsumeInput(c->pg)) {
            conn_fail_pq(c, "connection lost");
            return;
        }
    }
    if (c->flushing && flush_step(c) < 0)
        return;
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            command_done(c);
            return;
        }
        keep_result(c, r);
    }
}

static void idle_step(struct pg_conn *c)
{
    /* Nothing is expected: this is the server closing the connection (or
     * a notice). Read it so a dead server is noticed while idle. */
    if (!PQconsumeInput(c->pg)) {
        conn_fail_pq(c, "connection lost");
        return;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r)
            break;
        PQclear(r);
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        conn_fail_pq(c, "connection lost");
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    struct pg_conn *c = arg;
    (void)fd;
    switch (c->st) {
    case PG_CONN_CONNECTING:
        connect_step(c);
        break;
    case PG_CONN_BUSY:
        busy_step(c, what);
        break;
    case PG_CONN_IDLE:
        idle_step(c);
        break;
    case PG_CONN_CLOSED:
        unwatch(c);
        break;
    }
}

/* A send failed: close without callbacks; the caller reports it. */
static int send_failed(struct pg_conn *c, const char *what)
{
    pg_result_fn cb;
    void *cb_arg;
    char why[300];
    snprintf(why, sizeof(why), "%s: %s", what,
             c->pg ? PQerrorMessage(c->pg) : "no connection");
    one_line(c->last_error, sizeof(c->last_error), why);
    teardown(c, &cb, &cb_arg);
    return WSGW_ERR;
}

/* After PQsend*: flush and wait for the answer. */
static int sent(struct pg_conn *c, int ok, int64_t timeout_ms, pg_result_fn cb,
                void *arg)
{
    if (!ok)
        return send_failed(c, "send");
    int r = PQflush(c->pg);
    if (r < 0)
        return send_failed(c, "send");
    c->flushing = r == 1;
    if (watch(c, c->flushing ? EV_READ | EV_WRITE : EV_READ) != WSGW_OK)
        return send_failed(c, "watch");
    c->st = PG_CONN_BUSY;
    c->cb = cb;
    c->cb_arg = arg;
    if (timeout_ms > 0)
        wsgw_timer_start(c->timeout, (uint64_t)timeout_ms, 0);
    return WSGW_OK;
}

int pg_conn_query(struct pg_conn *c, const char *sql, int64_t timeout_ms,
                  pg_result_fn cb, void *arg)
{
    if (c->st != PG_CONN_IDLE)
        return WSGW_ERR;
    return sent(c, PQsendQuery(c->pg, sql), timeout_ms, cb, arg);
}

int pg_conn_query_params(struct pg_conn *c, const char *sql, int nparams,
                         const char *const *values, int64_t timeout_ms,
                         pg_result_fn cb, void *arg)
{
    if (c->st != PG_CONN_IDLE)
        return WSGW_ERR;
    return sent(
        c, PQsendQueryParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0),
        timeout_ms, cb, arg);
}

int pg_conn_prepare(struct pg_conn *c, const char *name, const char *sql,
                    int64_t timeout_ms, pg_result_fn cb, void *arg)
{
    if (c->st != PG_CONN_IDLE)
        return WSGW_ERR;
    return sent(c, PQsendPrepare(c->pg, name, sql, 0, NULL), timeout_ms, cb,
                arg);
}

int pg_conn_exec_prepared(struct pg_conn *c, const char *name, int nparams,
                          const char *const *values, int64_t timeout_ms,
                          pg_result_fn cb, void *arg)
{
    if (c->st != PG_CONN_IDLE)
        return WSGW_ERR;
    return sent(
        c, PQsendQueryPrepared(c->pg, name, nparams, values, NULL, NULL, 0),
        timeout_ms, cb, arg);
}

const char *pg_result_state(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

const char *pg_result_message(const PGresult *res, char *buf, size_t size)
{
    const char *m =
        res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m && res)
        m = PQresultErrorMessage(res);
    one_line(buf, size, m ? m : "");
    return buf;
}

int pg_result_is_data_error(const PGresult *res)
{
    const char *s = pg_result_state(res);
    return (s[0] == '2' && (s[1] == '2' || s[1] == '3'));
}

int pg_result_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}
