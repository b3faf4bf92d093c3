/*
 * pg_api.c — GET /api/v1/balances and GET /api/v1/balances/history.
 *
 * Queries run on a connection of their own, so they never wait behind a
 * write batch, and asynchronously: the handler returns at once and the
 * answer is sent from the result callback. The connection is opened on
 * demand and kept; requests wait in a short FIFO while it is busy. While
 * the writer cannot reach the database (or this connection fails) the
 * endpoints answer 503 DATABASE_UNAVAILABLE.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_query.h"
#include "pg_sink.h"

#define WAITING_MAX 64

enum api_kind { API_LATEST, API_HISTORY };

struct api_req {
    struct api_req *next;
    struct wsgw_http_req *req;
    enum api_kind kind;
    struct pg_balance_query q;
    int stage; /* LATEST: 0 balances, 1 margin summary */
    json_t *body;
};

struct pg_api {
    struct pg_sink *s;
    struct pg_conn *conn;
    struct api_req *head, *tail; /* head is in flight when conn is busy */
    size_t waiting;
};

/* Text columns shared by both endpoints; times as epoch milliseconds. */
#define BAL_COLS                                                               \
    "p.coin, p.wallet_balance::text, p.available_balance::text,"               \
    " p.frozen::text, p.equity::text, p.usd_value::text,"                      \
    " p.margin_collateral::integer, p.total_order_im::text,"                   \
    " p.total_position_im::text,"                                              \
    " (extract(epoch FROM p.event_timestamp) * 1000)::bigint,"                 \
    " (extract(epoch FROM p.received_at) * 1000)::bigint, p.trace_id, p.id"

/* $1 coin or NULL, $2 limit, $3 offset. One row even when the page is
 * empty (then p.* is NULL), so the total always comes back. */
static const char latest_sql[] =
    "WITH l AS (SELECT DISTINCT ON (coin) * FROM account_balances"
    " WHERE ($1::text IS NULL OR coin = $1)"
    " ORDER BY coin, event_timestamp DESC, id DESC)"
    " SELECT t.total, " BAL_COLS " FROM (SELECT count(*) AS total FROM l) t"
    " LEFT JOIN LATERAL (SELECT * FROM l ORDER BY coin"
    " LIMIT $2::bigint OFFSET $3::bigint) p ON true ORDER BY p.coin";

/* $1 coin, $2 from, $3 to (each NULL when absent), $4 limit, $5 offset. */
static const char history_sql[] =
    "WITH h AS (SELECT * FROM account_balances"
    " WHERE ($1::text IS NULL OR coin = $1)"
    " AND ($2::timestamptz IS NULL OR event_timestamp >= $2::timestamptz)"
    " AND ($3::timestamptz IS NULL OR event_timestamp <= $3::timestamptz))"
    " SELECT t.total, " BAL_COLS " FROM (SELECT count(*) AS total FROM h) t"
    " LEFT JOIN LATERAL (SELECT * FROM h ORDER BY event_timestamp DESC,"
    " id DESC LIMIT $4::bigint OFFSET $5::bigint) p ON true"
    " ORDER BY p.event_timestamp DESC, p.id DESC";

static const char margin_sql[] =
    "SELECT account_type, total_equity::text, total_wallet_balance::text,"
    " total_margin_balance::text, total_available_balance::text,"
    " total_initial_margin::text, total_maintenance_margin::text,"
    " total_order_im::text, base_currency,"
    " (extract(epoch FROM event_timestamp) * 1000)::bigint,"
    " (extract(epoch FROM received_at) * 1000)::bigint"
    " FROM account_margin_balances"
    " ORDER BY event_timestamp DESC, id DESC LIMIT 1";

static void api_pump(struct pg_api *a);

/* ---- JSON from result columns ----------------------------------------- */

static json_t *text_or_null(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return json_string(PQgetvalue(res, row, col));
}

static json_t *time_or_null(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    char t[WSGW_TIME_LEN + 1];
    wsgw_time_format(strtoll(PQgetvalue(res, row, col), NULL, 10), t);
    return json_string(t);
}

static json_t *bool_or_null(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return json_boolean(strcmp(PQgetvalue(res, row, col), "1") == 0);
}

/* One balance object from row `row` of a latest/history result (column 0
 * is the total), keys in the order API.md lists them. */
static json_t *balance_json(const PGresult *res, int row, int history)
{
    json_t *o = json_object();
    if (history)
        json_object_set_new(
            o, "id", json_integer(strtoll(PQgetvalue(res, row, 13), NULL, 10)));
    json_object_set_new(o, "coin", text_or_null(res, row, 1));
    json_object_set_new(o, "wallet_balance", text_or_null(res, row, 2));
    json_object_set_new(o, "available_balance", text_or_null(res, row, 3));
    json_object_set_new(o, "frozen", text_or_null(res, row, 4));
    if (history) {
        json_object_set_new(o, "event_timestamp", time_or_null(res, row, 10));
        json_object_set_new(o, "received_at", time_or_null(res, row, 11));
        json_object_set_new(o, "trace_id", text_or_null(res, row, 12));
    }
    json_object_set_new(o, "equity", text_or_null(res, row, 5));
    json_object_set_new(o, "usd_value", text_or_null(res, row, 6));
    json_object_set_new(o, "margin_collateral", bool_or_null(res, row, 7));
    json_object_set_new(o, "total_order_im", text_or_null(res, row, 8));
    json_object_set_new(o, "total_position_im", text_or_null(res, row, 9));
    if (!history) {
        json_object_set_new(o, "event_timestamp", time_or_null(res, row, 10));
        json_object_set_new(o, "received_at", time_or_null(res, row, 11));
    }
    return o;
}

static json_t *margin_json(const PGresult *res)
{
    static const char *const names[] = {"account_type",
                                        "total_equity",
                                        "total_wallet_balance",
                                        "total_margin_balance",
                                        "total_available_balance",
                                        "total_initial_margin",
                                        "total_maintenance_margin",
                                        "total_order_im",
                                        "base_currency"};
    if (PQntuples(res) == 0)
        return json_null();
    json_t *o = json_object();
    for (int i = 0; i < 9; i++)
        json_object_set_new(o, names[i], text_or_null(res, 0, i));
    json_object_set_new(o, "event_timestamp", time_or_null(res, 0, 9));
    json_object_set_new(o, "received_at", time_or_null(res, 0, 10));
    return o;
}

/* ---- requests --------------------------------------------------------- */

static void unavailable(struct wsgw_http_req *req, const char *why)
{
    wsgw_http_error(req, 503, "DATABASE_UNAVAILABLE", NULL,
                    "the database is unavailable: %s", why);
}

static void req_free(struct api_req *r)
{
    json_decref(r->body);
    free(r);
}

static struct api_req *pop_head(struct pg_api *a)
{
    struct api_req *r = a->head;
    if (r) {
        a->head = r->next;
        if (!a->head)
            a->tail = NULL;
        a->waiting--;
    }
    return r;
}

static void fail_all(struct pg_api *a, const char *why)
{
    struct api_req *r;
    while ((r = pop_head(a))) {
        unavailable(r->req, why);
        req_free(r);
    }
}

static void on_result(void *arg, PGresult *res)
{
    struct pg_api *a = arg;
    struct api_req *r = a->head;
    char msg[256];
    if (!r)
        return;
    if (!res) {
        /* on_down follows and answers the rest. */
        pop_head(a);
        unavailable(r->req, pg_conn_last_error(a->conn));
        req_free(r);
        return;
    }
    if (!pg_result_ok(res)) {
        pop_head(a);
        wsgw_log_trace(a->s->in, WSGW_LOG_ERROR, wsgw_http_trace_id(r->req),
                       "balance query failed: SQLSTATE %s: %s",
                       pg_result_state(res),
                       pg_result_message(res, msg, sizeof(msg)));
        unavailable(r->req, "the query failed");
        req_free(r);
        api_pump(a);
        return;
    }
    if (r->stage == 0) {
        int history = r->kind == API_HISTORY;
        int n = PQntuples(res);
        json_t *list = json_array();
        int64_t total = n ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
        for (int i = 0; i < n; i++)
            if (!PQgetisnull(res, i, 1))
                json_array_append_new(list, balance_json(res, i, history));
        r->body = json_object();
        json_object_set_new(r->body, "balances", list);
        if (!history) {
            r->stage = 1;
            json_object_set_new(r->body, "total", json_integer(total));
            api_pump(a);
            return;
        }
        json_object_set_new(r->body, "total", json_integer(total));
    } else {
        json_object_set_new(r->body, "margin_balance", margin_json(res));
        /* Keep "total" last, as the API document lists it. */
        json_t *total = json_incref(json_object_get(r->body, "total"));
        json_object_del(r->body, "total");
        json_object_set_new(r->body, "total", total);
    }
    pop_head(a);
    wsgw_http_reply_json(r->req, 200, r->body);
    r->body = NULL;
    req_free(r);
    api_pump(a);
}

static int send_head(struct pg_api *a)
{
    struct api_req *r = a->head;
    const struct pg_balance_query *q = &r->q;
    int64_t timeout = a->s->conf->query_timeout_ms;
    char limit[24], offset[24], from[WSGW_TIME_LEN + 1], to[WSGW_TIME_LEN + 1];
    const char *coin = q->coin[0] ? q->coin : NULL;
    snprintf(limit, sizeof(limit), "%" PRId64, q->limit);
    snprintf(offset, sizeof(offset), "%" PRId64, q->offset);

    if (r->kind == API_LATEST && r->stage == 1)
        return pg_conn_query_params(a->conn, margin_sql, 0, NULL, timeout,
                                    on_result, a);
    if (r->kind == API_LATEST) {
        const char *vals[3] = {coin, limit, offset};
        return pg_conn_query_params(a->conn, latest_sql, 3, vals, timeout,
                                    on_result, a);
    }
    if (q->has_from)
        wsgw_time_format(q->from_ms, from);
    if (q->has_to)
        wsgw_time_format(q->to_ms, to);
    const char *vals[5] = {coin, q->has_from ? from : NULL,
                           q->has_to ? to : NULL, limit, offset};
    return pg_conn_query_params(a->conn, history_sql, 5, vals, timeout,
                                on_result, a);
}

static void api_pump(struct pg_api *a)
{
    if (!a->head)
        return;
    switch (pg_conn_state(a->conn)) {
    case PG_CONN_CLOSED:
        pg_conn_connect(a->conn);
        return;
    case PG_CONN_IDLE:
        if (send_head(a) != WSGW_OK)
            fail_all(a, pg_conn_last_error(a->conn));
        return;
    default:
        return;
    }
}

static void on_up(void *arg)
{
    api_pump(arg);
}

static void on_down(void *arg, const char *why)
{
    struct pg_api *a = arg;
    if (a->head)
        wsgw_warn(a->s->in, "balance queries: %s", why);
    fail_all(a, why);
}

static void handle(struct wsgw_http_req *req, void *arg, enum api_kind kind)
{
    struct pg_api *a = arg;
    struct wsgw_err err = {0};
    struct pg_balance_query q;
    if (pg_balance_query_parse(
            wsgw_http_query(req, "coin"), wsgw_http_query(req, "limit"),
            wsgw_http_query(req, "offset"), wsgw_http_query(req, "from"),
            wsgw_http_query(req, "to"), kind == API_HISTORY, &q,
            &err) != WSGW_OK) {
        wsgw_http_error(req, 400, err.code, NULL, "%s", err.msg);
        return;
    }
    if (a->s->stopping || !a->s->db_ok) {
        unavailable(req,
                    a->s->last_error[0] ? a->s->last_error : "not connected");
        return;
    }
    if (a->waiting >= WAITING_MAX) {
        unavailable(req, "too many balance queries waiting");
        return;
    }
    struct api_req *r = calloc(1, sizeof(*r));
    if (!r) {
        wsgw_http_error(req, 500, "INTERNAL", NULL, "out of memory");
        return;
    }
    r->req = req;
    r->kind = kind;
    r->q = q;
    if (a->tail)
        a->tail->next = r;
    else
        a->head = r;
    a->tail = r;
    a->waiting++;
    if (a->head == r)
        api_pump(a);
}

static void on_latest(struct wsgw_http_req *req, void *arg)
{
    handle(req, arg, API_LATEST);
}

static void on_history(struct wsgw_http_req *req, void *arg)
{
    handle(req, arg, API_HISTORY);
}

/* ---- OpenAPI operation objects ---------------------------------------- */

#define P_COIN                                                                 \
    "{\"name\":\"coin\",\"in\":\"query\",\"required\":false,"                  \
    "\"description\":\"Only this coin (e.g. USDT; case-insensitive)\","        \
    "\"schema\":{\"type\":\"string\"}}"
#define P_LIMIT                                                                \
    "{\"name\":\"limit\",\"in\":\"query\",\"required\":false,"                 \
    "\"schema\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,"         \
    "\"default\":100}}"
#define P_OFFSET                                                               \
    "{\"name\":\"offset\",\"in\":\"query\",\"required\":false,"                \
    "\"schema\":{\"type\":\"integer\",\"minimum\":0,\"default\":0}}"
#define P_TIME(n, d)                                                           \
    "{\"name\":\"" n "\",\"in\":\"query\",\"required\":false,"                 \
    "\"description\":\"" d "\","                                               \
    "\"schema\":{\"type\":\"string\",\"format\":\"date-time\"}}"
#define DEC   "{\"type\":\"string\",\"description\":\"decimal\"}"
#define DECN  "{\"type\":[\"string\",\"null\"],\"description\":\"decimal\"}"
#define TIME  "{\"type\":\"string\",\"format\":\"date-time\"}"
#define BOOLN "{\"type\":[\"boolean\",\"null\"]}"
#define BAL_PROPS                                                              \
    "\"coin\":{\"type\":\"string\"},\"wallet_balance\":" DECN                  \
    ",\"available_balance\":" DECN ",\"frozen\":" DECN ",\"equity\":" DECN     \
    ",\"usd_value\":" DECN ",\"margin_collateral\":" BOOLN                     \
    ",\"total_order_im\":" DECN ",\"total_position_im\":" DECN                 \
    ",\"event_timestamp\":" TIME ",\"received_at\":" TIME
#define ERR_RESP(d)                                                            \
    "{\"description\":\"" d "\",\"content\":{\"application/json\":"            \
    "{\"schema\":{\"type\":\"object\",\"properties\":{\"error\":"              \
    "{\"type\":\"string\"},\"code\":{\"type\":\"string\"}}}}}}"

static const char latest_openapi[] =
    "{\"summary\":\"Latest balance per coin and account margin summary\","
    "\"description\":\"From the account_balances and "
    "account_margin_balances tables; amounts are decimal strings exactly "
    "as Bybit sent them.\","
    "\"tags\":[\"balances\"],"
    "\"parameters\":[" P_COIN "," P_LIMIT "," P_OFFSET "],"
    "\"responses\":{\"200\":{\"description\":\"Balances\",\"content\":"
    "{\"application/json\":{\"schema\":{\"type\":\"object\",\"properties\":"
    "{\"balances\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"properties\":{" BAL_PROPS "}}},"
    "\"margin_balance\":{\"type\":[\"object\",\"null\"],\"properties\":{"
    "\"account_type\":{\"type\":\"string\"},\"total_equity\":" DECN ","
    "\"total_wallet_balance\":" DECN ",\"total_margin_balance\":" DECN ","
    "\"total_available_balance\":" DECN ",\"total_initial_margin\":" DECN ","
    "\"total_maintenance_margin\":" DECN ",\"total_order_im\":" DECN ","
    "\"base_currency\":{\"type\":\"string\"},\"event_timestamp\":" TIME ","
    "\"received_at\":" TIME "}},"
    "\"total\":{\"type\":\"integer\"}}}}}},"
    "\"400\":" ERR_RESP(
        "INVALID_PARAMETER") ","
                             "\"401\":" ERR_RESP(
                                 "UNAUTHORIZED") ","
                                                 "\"503\":" ERR_RESP("DATABASE_"
                                                                     "UNAVAILAB"
                                                                     "LE") "}}";

static const char history_openapi[] =
    "{\"summary\":\"Balance history per coin\","
    "\"description\":\"Rows of account_balances, newest first; from and to "
    "are inclusive bounds on the event time.\","
    "\"tags\":[\"balances\"],"
    "\"parameters\":[" P_COIN "," P_TIME(
        "from",
        "Earliest event time "
        "(inclusive)") "," P_TIME("to",
                                  "Latest event time "
                                  "(inclusive)") "," P_LIMIT "," P_OFFSET "],"
                                                 "\"responses\":"
                                                 "{\"200\":{"
                                                 "\"description"
                                                 "\":\"Balance "
                                                 "rows\","
                                                 "\"content\":"
                                                 "{\"application"
                                                 "/json\":{"
                                                 "\"schema\":{"
                                                 "\"type\":"
                                                 "\"object\","
                                                 "\"properties\""
                                                 ":"
                                                 "{\"balances\":"
                                                 "{\"type\":"
                                                 "\"array\","
                                                 "\"items\":{"
                                                 "\"type\":"
                                                 "\"object\","
                                                 "\"properties\""
                                                 ":{\"id\":{"
                                                 "\"type\":"
                                                 "\"integer\"}"
                                                 "," BAL_PROPS ","
                                                 "\"trace_id\":{"
                                                 "\"type\":["
                                                 "\"string\","
                                                 "\"null\"]}}}},"
                                                 "\"total\":{"
                                                 "\"type\":"
                                                 "\"integer\"}}}"
                                                 "}}},"
                                                 "\"400\""
                                                 ":" ERR_RESP(
                                                     "INVALID_"
                                                     "PARAMETER "
                                                     "or "
                                                     "INVALID_"
                                                     "TIME_"
                                                     "RANGE") ","
                                                              "\"401\""
                                                              ":" ERR_RESP(
                                                                  "UNAUTHORIZE"
                                                                  "D") ","
                                                                       "\"503\""
                                                                       ":" ERR_RESP(
                                                                           "DAT"
                                                                           "ABA"
                                                                           "SE_"
                                                                           "UNA"
                                                                           "VAI"
                                                                           "LAB"
                                                                           "LE") "}}";

/* ---- lifecycle -------------------------------------------------------- */

int pg_api_start(struct pg_sink *s, struct wsgw_err *err)
{
    static const struct pg_conn_cbs cbs = {on_up, on_down};
    struct pg_api *a = calloc(1, sizeof(*a));
    if (!a)
        return wsgw_err_set(err, NULL, "out of memory");
    a->s = s;
    s->api = a;
    a->conn = pg_conn_new(s->in, "api", s->conf->dsn,
                          s->conf->connect_timeout_ms, &cbs, a);
    if (!a->conn)
        return wsgw_err_set(err, NULL, "out of memory");
    if (wsgw_route_add(s->in, "GET", "/api/v1/balances", 0, on_latest, a,
                       latest_openapi) != WSGW_OK ||
        wsgw_route_add(s->in, "GET", "/api/v1/balances/history", 0, on_history,
                       a, history_openapi) != WSGW_OK)
        return wsgw_err_set(err, NULL,
                            "cannot register the /api/v1/balances routes "
                            "(another postgres instance has them? set "
                            "api: false on all but one)");
    /* Warm up, so the first query does not pay for the connection. */
    pg_conn_connect(a->conn);
    return WSGW_OK;
}

void pg_api_stop(struct pg_sink *s)
{
    struct pg_api *a = s->api;
    if (!a)
        return;
    pg_conn_close(a->conn);
    fail_all(a, "shutting down");
}

void pg_api_free(struct pg_sink *s)
{
    struct pg_api *a = s->api;
    if (!a)
        return;
    pg_conn_free(a->conn);
    fail_all(a, "shutting down");
    free(a);
    s->api = NULL;
}

void pg_api_status(struct pg_sink *s, json_t *out)
{
    struct pg_api *a = s->api;
    if (!a)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(pg_conn_state_name(a->conn)));
    json_object_set_new(o, "waiting", json_integer((json_int_t)a->waiting));
    if (pg_conn_last_error(a->conn)[0])
        json_object_set_new(o, "last_error",
                            json_string(pg_conn_last_error(a->conn)));
    json_object_set_new(out, "query_connection", o);
}
