/*
 * REST on the WebSocket port: GET /v5/account/wallet-balance with Bybit's
 * request signature (PROTOCOL.md §12), answered from
 * rest-wallet-balance.jsonl or with Bybit's error shape.
 *
 * The query string is rebuilt from lws's parsed arguments joined by '&';
 * lws %-decodes them, so a client that signs an escaped query (coin=A%2CB)
 * must sign the decoded form here (documented in README).
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static json_t *g_rest_log;

json_t *rest_log(void)
{
    if (!g_rest_log)
        g_rest_log = json_array();
    return g_rest_log;
}

void rest_reset(void)
{
    json_decref(g_rest_log);
    g_rest_log = NULL;
}

static int header(struct lws *wsi, const char *name, char *dst, int len)
{
    /* lws stores unknown header names as sent; try both usual spellings */
    char lower[64];
    int n = (int)strlen(name);
    for (int i = 0; i <= n && i < (int)sizeof(lower); i++)
        lower[i] =
            (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    dst[0] = '\0';
    if (lws_hdr_custom_copy(wsi, dst, len, lower, n) >= 0)
        return 0;
    if (lws_hdr_custom_copy(wsi, dst, len, name, n) >= 0)
        return 0;
    dst[0] = '\0';
    return -1;
}

static void query_string(struct lws *wsi, char *q, size_t len)
{
    size_t used = 0;
    char frag[512];
    q[0] = '\0';
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                      WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n <= 0)
            break;
        used +=
            (size_t)snprintf(q + used, len - used, "%s%s", i ? "&" : "", frag);
        if (used >= len)
            break;
    }
}

static json_t *error_reply(int code, const char *msg)
{
    return json_pack("{s:i,s:s,s:{},s:{},s:I}", "retCode", code, "retMsg", msg,
                     "result", "retExtInfo", "time", (json_int_t)now_ms());
}

static json_t *wallet_reply(void)
{
    json_t *j = json_deep_copy(templates_rest_wallet());
    json_object_set_new(j, "time", json_integer((json_int_t)now_ms()));
    return j;
}

/* Bybit: valid if server_time - recv_window <= timestamp < server_time + 1000
 */
static json_t *check(struct lws *wsi, const char *q, const char **result)
{
    char key[128], ts[32], rw[32], sign[160];
    header(wsi, "X-BAPI-API-KEY:", key, sizeof(key));
    header(wsi, "X-BAPI-TIMESTAMP:", ts, sizeof(ts));
    header(wsi, "X-BAPI-RECV-WINDOW:", rw, sizeof(rw));
    header(wsi, "X-BAPI-SIGN:", sign, sizeof(sign));
    if (!*rw)
        snprintf(rw, sizeof(rw), "5000");

    const char *secret = cred_secret(key);
    if (!*key || !secret) {
        *result = "unknown api key";
        return error_reply(10003, "API key is invalid.");
    }
    long long t = atoll(ts), now = (long long)now_ms(), w = atoll(rw);
    if (!*ts || t < now - w || t >= now + 1000) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "invalid request, please check your server timestamp or "
                 "recv_window param. req_timestamp[%s],server_timestamp[%lld],"
                 "recv_window[%s]",
                 ts, now, rw);
        *result = "timestamp outside recv_window";
        return error_reply(10002, msg);
    }
    char payload[1024], want[65];
    int n = snprintf(payload, sizeof(payload), "%s%s%s%s", ts, key, rw, q);
    hmac_sha256_hex(secret, payload, (size_t)n, want);
    if (strcmp(sign, want) != 0) {
        char msg[1100];
        snprintf(msg, sizeof(msg), "error sign! origin_string[%s]", payload);
        *result = "wrong signature";
        return error_reply(10004, msg);
    }
    if (!strstr(q, "accountType=UNIFIED")) {
        *result = "accountType not UNIFIED";
        return error_reply(10001, "accountType only support UNIFIED.");
    }
    *result = "ok";
    return wallet_reply();
}

int rest_request(struct lws *wsi, struct http_pss *h)
{
    if (strcmp(h->uri, "/v5/account/wallet-balance") != 0 || h->post) {
        json_t *e = json_pack("{s:s}", "error", "not found");
        return http_reply_json(wsi, h, 404, e);
    }
    char q[1024];
    const char *result = "?";
    query_string(wsi, q, sizeof(q));
    json_t *reply = check(wsi, q, &result);
    json_array_append_new(
        rest_log(), json_pack("{s:I,s:s,s:s,s:s}", "t", (json_int_t)now_ms(),
                              "path", h->uri, "query", q, "result", result));
    LOG_DBG("REST %s?%s -> %s", h->uri, q, result);
    return http_reply_json(wsi, h, 200, reply);
}
