/*
 * bybit_rest.c — POST /api/v1/balances/sync: a signed REST call to
 * Bybit's GET /v5/account/wallet-balance?accountType=UNIFIED, made by lws
 * on the module's thread, whose result goes through the pipeline as a
 * wallet event and is answered on the loop thread through a hand-off.
 *
 * Ownership: the handler (loop) allocates a struct bybit_sync and posts
 * it to the lws thread, which owns it from then on and frees it when its
 * connection is gone. The answer travels separately (struct sync_result)
 * through b->sync_results and is freed by the loop after replying.
 */
#include "bybit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bybit_json.h"
#include "bybit_sign.h"

#define SYNC_MAX_IN_FLIGHT 8
#define SYNC_BODY_MAX      (8 * 1024 * 1024)
#define WALLET_QUERY       "accountType=UNIFIED"

struct bybit_sync {
    enum bybit_owner owner; /* first: lws opaque data tag */
    struct bybit *b;
    struct bybit_sync *next; /* calls in progress (lws thread) */
    struct wsgw_http_req *req;
    char trace_id[33];
    struct bybit_endpoint ep;
    char path[700];
    char ts[24], recv_window[24], sign[BYBIT_SIG_LEN + 1];
    struct lws *wsi;
    unsigned http_status;
    char *body;
    size_t len, cap;
    int64_t started_mono;
    int done;       /* the answer was handed to the loop              */
    int connecting; /* inside lws_client_connect_via_info()            */
    int failed;     /* its connection failed while connecting          */
};

struct sync_result {
    struct bybit *b;
    struct wsgw_http_req *req;
    char trace_id[33];
    int status;
    const char *code; /* error code, NULL on success */
    char msg[400];
    json_t *body; /* success */
};

/* ---- loop thread: the route and its answers -------------------------- */

static void reply_result(void *arg, void *item)
{
    struct bybit *b = arg;
    struct sync_result *r = item;
    atomic_fetch_sub(&b->syncs_in_flight, 1);
    if (r->code)
        wsgw_http_error(r->req, r->status, r->code, NULL, "%s", r->msg);
    else
        wsgw_http_reply_json(r->req, r->status, r->body);
    free(r);
}

/* At destroy: the request can no longer be answered by us (its transport
 * may already be gone); the core frees what it owns. */
static void drop_result(void *item)
{
    struct sync_result *r = item;
    json_decref(r->body);
    free(r);
}

static void on_sync_request(struct wsgw_http_req *req, void *arg)
{
    struct bybit *b = arg;
    if (!bybit_have_credentials(b->conf) || !b->urls.rest_base[0]) {
        wsgw_http_error(req, 501, "NOT_CONFIGURED", NULL,
                        "balance sync needs api_key and api_secret on "
                        "source '%s'",
                        wsgw_instance_name(b->in));
        return;
    }
    if (!b->thread_running) {
        wsgw_http_error(req, 503, "UNAVAILABLE", NULL,
                        "the bybit source is not running");
        return;
    }
    if (atomic_fetch_add(&b->syncs_in_flight, 1) >= SYNC_MAX_IN_FLIGHT) {
        atomic_fetch_sub(&b->syncs_in_flight, 1);
        wsgw_http_error(req, 503, "BUSY", NULL,
                        "%d balance syncs are already in progress",
                        SYNC_MAX_IN_FLIGHT);
        return;
    }
    struct bybit_sync *job = calloc(1, sizeof *job);
    struct bybit_cmd *cmd = calloc(1, sizeof *cmd);
    if (!job || !cmd) {
        free(job);
        free(cmd);
        atomic_fetch_sub(&b->syncs_in_flight, 1);
        wsgw_http_error(req, 500, "INTERNAL", NULL, "out of memory");
        return;
    }
    job->owner = BYBIT_OWNER_SYNC;
    job->b = b;
    job->req = req;
    snprintf(job->trace_id, sizeof job->trace_id, "%s",
             wsgw_http_trace_id(req) ? wsgw_http_trace_id(req) : "");
    cmd->kind = BYBIT_CMD_SYNC;
    cmd->sync = job;
    bybit_cmd_post(b, cmd);
}

static const char sync_openapi[] =
    "{\"summary\":\"Fetch the wallet balance from Bybit and store it\","
    "\"description\":\"Calls Bybit's REST GET /v5/account/wallet-balance?"
    "accountType=UNIFIED (signed) and routes the result like a wallet "
    "event (class balances, event_type balance, id rest-sync-<uuid>).\","
    "\"tags\":[\"balances\"],"
    "\"responses\":{"
    "\"200\":{\"description\":\"Balances fetched and routed\",\"content\":"
    "{\"application/json\":{\"schema\":{\"type\":\"object\",\"properties\":"
    "{\"updated_coins\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"updated_count\":{\"type\":\"integer\"}},"
    "\"required\":[\"updated_coins\",\"updated_count\"]}}}},"
    "\"501\":{\"description\":\"No Bybit credentials configured\","
    "\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"502\":{\"description\":\"Bybit failed or refused "
    "(BALANCE_SYNC_FAILED)\",\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"503\":{\"description\":\"The source is not running or busy\","
    "\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}}}}";

int bybit_rest_start(struct bybit *b, struct wsgw_err *err)
{
    b->sync_results =
        wsgw_handoff_new(SYNC_MAX_IN_FLIGHT * 2, reply_result, drop_result, b);
    if (!b->sync_results)
        return wsgw_err_set(err, NULL, "out of memory");
    /* with several bybit sources, the first one serves the sync */
    if (wsgw_route_add(b->in, "POST", "/api/v1/balances/sync", 0,
                       on_sync_request, b, sync_openapi) != WSGW_OK)
        wsgw_warn(b->in, "POST /api/v1/balances/sync is already served by "
                         "another source; this one does not sync balances");
    return WSGW_OK;
}

void bybit_rest_free(struct bybit *b)
{
    wsgw_handoff_free(b->sync_results);
    b->sync_results = NULL;
    while (b->syncs) {
        struct bybit_sync *j = b->syncs;
        b->syncs = j->next;
        free(j->body);
        free(j);
    }
}

/* ---- lws thread ------------------------------------------------------- */

static void job_unlink(struct bybit *b, struct bybit_sync *job)
{
    for (struct bybit_sync **pp = &b->syncs; *pp; pp = &(*pp)->next)
        if (*pp == job) {
            *pp = job->next;
            return;
        }
}

static void job_free(struct bybit_sync *job)
{
    job_unlink(job->b, job);
    free(job->body);
    free(job);
}

/* Hand an answer to the loop (once): r is filled but for req/trace. */
static void hand_back(struct bybit_sync *job, struct sync_result *r)
{
    struct bybit *b = job->b;
    r->b = b;
    r->req = job->req;
    snprintf(r->trace_id, sizeof r->trace_id, "%s", job->trace_id);
    if (wsgw_handoff_push(b->sync_results, r) != WSGW_OK) {
        /* cannot happen while in-flight calls are capped below capacity */
        wsgw_error(b->in, "balance sync answer lost: hand-off full");
        json_decref(r->body);
        free(r);
    }
}

/* Answer 200 with body (stolen). */
static void finish_ok(struct bybit_sync *job, json_t *body)
{
    struct sync_result *r = job->done ? NULL : calloc(1, sizeof *r);
    if (!r) {
        if (!job->done)
            wsgw_error(job->b->in, "out of memory answering a balance sync");
        json_decref(body);
        return;
    }
    job->done = 1;
    r->status = 200;
    r->body = body;
    wsgw_counter_add(job->b->m_syncs_ok, 1);
    hand_back(job, r);
}

/* Answer with the API error shape. */
static void finish_err(struct bybit_sync *job, int status, const char *code,
                       const char *fmt, ...) WSGW_PRINTF(4, 5);

static void finish_err(struct bybit_sync *job, int status, const char *code,
                       const char *fmt, ...)
{
    struct sync_result *r = job->done ? NULL : calloc(1, sizeof *r);
    if (!r) {
        if (!job->done)
            wsgw_error(job->b->in, "out of memory answering a balance sync");
        return;
    }
    job->done = 1;
    r->status = status;
    r->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    wsgw_counter_add(job->b->m_syncs_failed, 1);
    wsgw_log_trace(job->b->in, WSGW_LOG_WARN, job->trace_id,
                   "balance sync failed: %s", r->msg);
    hand_back(job, r);
}

void bybit_rest_begin(struct bybit *b, struct bybit_sync *job)
{
    const struct bybit_conf *c = b->conf;
    job->next = b->syncs;
    b->syncs = job;
    job->started_mono = wsgw_mono_ms();

    struct wsgw_err err = {0};
    if (bybit_endpoint_parse(b->urls.rest_base, 0, &job->ep, &err) != WSGW_OK) {
        finish_err(job, 502, "BALANCE_SYNC_FAILED", "rest_url: %s", err.msg);
        job_free(job);
        return;
    }
    const char *base = strcmp(job->ep.path, "/") == 0 ? "" : job->ep.path;
    snprintf(job->path, sizeof job->path, "%s/v5/account/wallet-balance?%s",
             base, WALLET_QUERY);
    int64_t ts = wsgw_now_ms();
    snprintf(job->ts, sizeof job->ts, "%" PRId64, ts);
    snprintf(job->recv_window, sizeof job->recv_window, "%" PRId64,
             c->recv_window);
    if (bybit_rest_signature(c->api_secret, ts, c->api_key, c->recv_window,
                             WALLET_QUERY, job->sign) < 0) {
        finish_err(job, 502, "BALANCE_SYNC_FAILED",
                   "cannot compute the request signature");
        job_free(job);
        return;
    }

    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = b->lws;
    i.address = job->ep.host;
    i.port = job->ep.port;
    i.path = job->path;
    i.host = job->ep.host;
    i.origin = job->ep.host;
    i.method = "GET";
    if (job->ep.tls) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (!c->tls_verify)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    i.local_protocol_name = "bybit";
    i.pwsi = &job->wsi;
    i.opaque_user_data = job;
    wsgw_log_trace(b->in, WSGW_LOG_DEBUG, job->trace_id,
                   "balance sync: GET %s%s", b->urls.rest_base, job->path);
    job->connecting = 1;
    struct lws *wsi = lws_client_connect_via_info(&i);
    job->connecting = 0;
    if (!wsi || job->failed) {
        finish_err(job, 502, "BALANCE_SYNC_FAILED", "cannot connect to %s",
                   b->urls.rest_base);
        job_free(job);
    }
}

static int has_string(json_t *arr, json_t *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_equal(v, s))
            return 1;
    }
    return 0;
}

/* The coin names of every account in list, each once, in order. */
static void collect_coins(json_t *list, json_t *out)
{
    size_t i, k;
    json_t *acct, *coin;
    json_array_foreach(list, i, acct)
    {
        json_array_foreach(json_object_get(acct, "coin"), k, coin)
        {
            json_t *name = json_object_get(coin, "coin");
            if (json_is_string(name) && !has_string(out, name))
                json_array_append(out, name);
        }
    }
}

/* The wallet event, with the list's bytes exactly as Bybit sent them. */
static int emit_wallet(struct bybit_sync *job, const struct bj_value *list,
                       const struct bj_value *time, int64_t time_ms)
{
    struct bybit *b = job->b;
    char id[64], uuid[WSGW_UUID_LEN + 1], now[32];
    wsgw_uuid4(uuid);
    snprintf(id, sizeof id, "\"rest-sync-%s\"", uuid);
    int64_t received_ns = wsgw_now_ns();
    const char *ctime = time ? time->p : now;
    size_t ctime_len = time ? time->n : 0;
    if (!time)
        ctime_len = (size_t)snprintf(now, sizeof now, "%" PRId64,
                                     received_ns / 1000000);
    static const char p0[] = "{\"data\":";
    static const char p2[] = ",\"topic\":\"wallet\",\"id\":";
    static const char p4[] = ",\"creationTime\":";
    static const char p6[] = "}";
    const struct wsgw_iov parts[] = {
        {p0, sizeof p0 - 1}, {list->p, list->n},  {p2, sizeof p2 - 1},
        {id, strlen(id)},    {p4, sizeof p4 - 1}, {ctime, ctime_len},
        {p6, sizeof p6 - 1},
    };
    struct wsgw_event_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cls = WSGW_CLASS_BALANCES;
    spec.type = "balance";
    spec.topic = "wallet";
    spec.topic_len = 6;
    spec.timestamp_ms = time_ms;
    spec.received_ns = received_ns;
    spec.trace_id = job->trace_id[0] ? job->trace_id : NULL;
    spec.payload = parts;
    spec.payload_parts = sizeof parts / sizeof parts[0];
    struct wsgw_event *ev = wsgw_event_new(&spec);
    if (!ev)
        return -1;
    wsgw_emit(b->in, &ev, 1);
    wsgw_counter_add(b->m_events[WSGW_CLASS_BALANCES], 1);
    return 0;
}

static void complete(struct bybit_sync *job)
{
    const char *why = NULL;
    if (!job->body || bj_validate(job->body, job->len, &why) < 0) {
        finish_err(job, 502, "BALANCE_SYNC_FAILED",
                   "Bybit answered HTTP %u with %s", job->http_status,
                   job->body ? "a body that is not JSON" : "an empty body");
        return;
    }
    json_t *root = json_loadb(job->body, job->len, 0, NULL);
    json_t *code = json_object_get(root, "retCode");
    const char *msg = json_string_value(json_object_get(root, "retMsg"));
    if (job->http_status != 200 || !json_is_integer(code) ||
        json_integer_value(code) != 0) {
        finish_err(
            job, 502, "BALANCE_SYNC_FAILED",
            "Bybit refused the balance request (HTTP %u, retCode %" PRId64
            "): %s",
            job->http_status,
            json_is_integer(code) ? (int64_t)json_integer_value(code) : -1,
            msg ? msg : "no message");
        json_decref(root);
        return;
    }
    struct bj_value whole = {job->body, job->len, BJ_OBJECT}, result, list,
                    time;
    /* skip leading whitespace for the object span */
    while (whole.n && (*whole.p == ' ' || *whole.p == '\n' ||
                       *whole.p == '\r' || *whole.p == '\t')) {
        whole.p++;
        whole.n--;
    }
    if (!bj_object_get(&whole, "result", &result) ||
        !bj_object_get(&result, "list", &list) || list.kind != BJ_ARRAY) {
        finish_err(job, 502, "BALANCE_SYNC_FAILED",
                   "Bybit's answer has no result.list");
        json_decref(root);
        return;
    }
    int have_time =
        bj_object_get(&whole, "time", &time) && time.kind == BJ_NUMBER;
    int64_t time_ms = 0;
    if (have_time && (bj_int64(&time, &time_ms) < 0 || time_ms < BYBIT_TS_MIN ||
                      time_ms >= BYBIT_TS_MAX))
        time_ms = 0;

    if (emit_wallet(job, &list, have_time ? &time : NULL, time_ms) < 0) {
        finish_err(job, 502, "BALANCE_SYNC_FAILED",
                   "out of memory building the wallet event");
        json_decref(root);
        return;
    }
    json_t *coins = json_array();
    collect_coins(json_object_get(json_object_get(root, "result"), "list"),
                  coins);
    size_t n = json_array_size(coins);
    wsgw_log_trace(job->b->in, WSGW_LOG_INFO, job->trace_id,
                   "balance sync: %zu coins from Bybit", n);
    finish_ok(job, json_pack("{s:o,s:I}", "updated_coins", coins,
                             "updated_count", (json_int_t)n));
    json_decref(root);
}

static int add_header(struct lws *wsi, const char *name, const char *value,
                      unsigned char **p, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value,
                                       (int)strlen(value), p, end);
}

int bybit_rest_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        struct bybit_sync *job, void *in, size_t len)
{
    const struct bybit_conf *c = job->b->conf;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        if (add_header(wsi, "X-BAPI-API-KEY:", c->api_key, p, end) ||
            add_header(wsi, "X-BAPI-TIMESTAMP:", job->ts, p, end) ||
            add_header(wsi, "X-BAPI-RECV-WINDOW:", job->recv_window, p, end) ||
            add_header(wsi, "X-BAPI-SIGN:", job->sign, p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        job->http_status = lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (job->len + len > SYNC_BODY_MAX) {
            finish_err(job, 502, "BALANCE_SYNC_FAILED",
                       "Bybit's answer is larger than %d bytes", SYNC_BODY_MAX);
            return -1;
        }
        if (job->len + len + 1 > job->cap) {
            size_t cap = job->cap ? job->cap : 16384;
            while (cap < job->len + len + 1)
                cap *= 2;
            char *nb = realloc(job->body, cap);
            if (!nb) {
                finish_err(job, 502, "BALANCE_SYNC_FAILED",
                           "out of memory reading Bybit's answer");
                return -1;
            }
            job->body = nb;
            job->cap = cap;
        }
        memcpy(job->body + job->len, in, len);
        job->len += len;
        return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096];
        char *px = buf + LWS_PRE;
        int lenx = (int)sizeof buf - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        return 0;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        complete(job);
        return -1; /* done with the connection: close it */
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        finish_err(job, 502, "BALANCE_SYNC_FAILED", "cannot reach %s: %s%s",
                   job->b->urls.rest_base,
                   in ? (const char *)in : "connection error",
                   in && strstr(in, "SSL") ? " (TLS handshake failed: is the "
                                             "server certificate trusted?)"
                                           : "");
        /* no later callback of this wsi may find the freed job */
        lws_set_opaque_user_data(wsi, NULL);
        if (job->connecting)
            job->failed = 1; /* bybit_rest_begin frees it */
        else
            job_free(job);
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        finish_err(job, 502, "BALANCE_SYNC_FAILED",
                   "connection to %s closed before the answer was complete",
                   job->b->urls.rest_base);
        lws_set_opaque_user_data(wsi, NULL);
        job_free(job);
        break;
    default:
        break;
    }
    return 0;
}

void bybit_rest_tick(struct bybit *b, int64_t now_mono)
{
    for (struct bybit_sync *j = b->syncs; j; j = j->next) {
        if (j->done || now_mono - j->started_mono <= b->conf->rest_timeout)
            continue;
        finish_err(j, 502, "BALANCE_SYNC_FAILED",
                   "no answer from %s within %" PRId64 " ms", b->urls.rest_base,
                   b->conf->rest_timeout);
        if (j->wsi)
            lws_set_timeout(j->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

void bybit_rest_abort_all(struct bybit *b)
{
    for (struct bybit_sync *j = b->syncs; j; j = j->next)
        finish_err(j, 503, "UNAVAILABLE",
                   "the gateway is stopping; balance sync abandoned");
    /* syncs still in the inbox were never started */
    pthread_mutex_lock(&b->inbox_mtx);
    struct bybit_cmd **pp = &b->inbox_head, *c;
    while ((c = *pp)) {
        if (c->kind == BYBIT_CMD_SYNC) {
            *pp = c->next;
            c->sync->next = b->syncs;
            b->syncs = c->sync;
            finish_err(c->sync, 503, "UNAVAILABLE",
                       "the gateway is stopping; balance sync abandoned");
            free(c);
        } else {
            pp = &c->next;
        }
    }
    b->inbox_tail = NULL;
    for (c = b->inbox_head; c; c = c->next)
        b->inbox_tail = c;
    pthread_mutex_unlock(&b->inbox_mtx);
}
