/*
 * fuzz_http.c — libFuzzer harness for the admin API's request handling:
 * core/http_route.c (path splitting and percent-decoding, query parsing,
 * route matching, 404/405/401, the JSON body, the error shape) and the
 * core's /api/v1/subscriptions endpoints (core/api_subscriptions.c with the
 * registry, topics built by modules/bybit/bybit_topic.c), /metrics and
 * /openapi.json, plus two probe routes that read path parameters, query
 * values and the body the way module handlers do.
 *
 * The registry runs with a fake source (the real bybit topic builder, no
 * network) and a fake store (always available, keeps nothing), so no
 * daemon, loop or file is needed; it is reset for every input.
 *
 * Input: up to 8 requests separated by a line "===". Each is
 *
 *   METHOD TARGET\n          TARGET = path[?query]; "$ID" in it stands for
 *   Name: value\n            the id of the last 201 answer of this input
 *   ...\n
 *   \n
 *   body
 *
 * The request is authenticated when it carries "X-API-Key: fuzz-key" (what
 * the transport decides); "X-Fuzz-Abandon: 1" makes the client go away
 * before the answer.
 *
 * Checks: every request is answered exactly once (never when abandoned);
 * the status is a real one and never 500 (nothing here runs out of memory,
 * so a 500 means an answer could not be built); a JSON answer is a JSON
 * object, and an error answer has the API's error shape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <wsgw/wsgw.h>

#include "api.h"
#include "bybit_topic.h"
#include "http_route.h"
#include "instance.h"
#include "logger.h"
#include "registry.h"

#define MAX_REQS    8
#define MAX_HEADERS 16

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_http: check failed: %s: ", #cond);           \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* ---- the fake transport ------------------------------------------------ */

struct fake_req {
    const char *hname[MAX_HEADERS], *hvalue[MAX_HEADERS];
    size_t nh;
    int sent;
    int status;
    char last_id[WSGW_UUID_LEN + 1];
    const char *method;
};

static void t_send(void *tctx, int status, const char *content_type,
                   const char *body, size_t len, const char *trace_id)
{
    struct fake_req *f = tctx;

    f->sent++;
    f->status = status;
    CHECK(f->sent == 1, "answered %d times", f->sent);
    CHECK(status >= 200 && status <= 599, "status %d", status);
    CHECK(status != 500, "500 for %s: %.*s", f->method, (int)len,
          body ? body : "");
    CHECK(trace_id && *trace_id, "no trace id");
    CHECK(content_type && *content_type, "no content type");
    if (strncmp(content_type, "application/json", 16) != 0)
        return;
    json_error_t e;
    json_t *j = json_loadb(body, len, 0, &e);
    CHECK(j && json_is_object(j), "answer %d is not a JSON object (%s): %.*s",
          status, j ? "not an object" : e.text, (int)len, body ? body : "");
    if (status >= 400) {
        json_t *d = json_object_get(j, "detail");
        CHECK(json_is_string(json_object_get(j, "error")) &&
                  json_is_string(json_object_get(j, "code")) &&
                  json_is_object(json_object_get(j, "details")) &&
                  json_is_object(d) &&
                  json_equal(json_object_get(d, "code"),
                             json_object_get(j, "code")),
              "error %d without the error shape: %.*s", status, (int)len, body);
    }
    if (status == 201) {
        const char *id = json_string_value(json_object_get(j, "id"));
        if (id && strlen(id) == WSGW_UUID_LEN)
            memcpy(f->last_id, id, WSGW_UUID_LEN + 1);
    }
    json_decref(j);
}

static const char *t_header(void *tctx, const char *name)
{
    struct fake_req *f = tctx;
    for (size_t i = 0; i < f->nh; i++)
        if (strcasecmp(f->hname[i], name) == 0)
            return f->hvalue[i];
    return NULL;
}

static const struct wsgw_http_transport transport = {t_send, t_header};

/* ---- probe routes: what module handlers do with a request ------------- */

static void probe_params(struct wsgw_http_req *req, void *arg)
{
    const char *a = wsgw_http_param(req, "a");
    const char *b = wsgw_http_param(req, "b");
    const char *from = wsgw_http_query(req, "from");
    const char *coin = wsgw_http_query(req, "coin");
    int64_t ms;

    /* arg 1: the literal "/fuzz/lit/x/{b}", which must win over {a} */
    CHECK((arg ? !a : a != NULL) && b, "parameters of a matched route wrong");
    CHECK(wsgw_http_param(req, "nope") == NULL, "unknown parameter found");
    if (from && wsgw_time_parse(from, &ms) != WSGW_OK) {
        wsgw_http_error(req, 400, "INVALID_TIME_RANGE", NULL,
                        "'from' is not an ISO-8601 time: %s", from);
        return;
    }
    if (coin && !*coin) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER", NULL,
                        "no such coin: '%s' (in %s)", coin,
                        wsgw_http_path(req));
        return;
    }
    wsgw_http_reply(req, 200, "text/plain", "ok", 2);
}

static void probe_body(struct wsgw_http_req *req, void *arg)
{
    size_t len;
    const char *raw = wsgw_http_body(req, &len);
    json_t *body = wsgw_http_json_body(req);

    if (!body)
        return;
    CHECK(raw && len > 0, "a JSON body from an empty body");
    /* give the object back, as an echoing handler would */
    wsgw_http_reply_json(req, 200, json_pack("{s:o}", "echo", body));
}

/* ---- the registry's fake source and store ------------------------------ */

static const struct bybit_topic_conf topic_conf = {"linear", 1, "1", 1};

static int src_topic_build(void *ctx, const struct wsgw_sub_request *req,
                           struct wsgw_topic *out, struct wsgw_err *err)
{
    return bybit_topic_build(&topic_conf, req, out, err);
}
static void src_sub(void *ctx, const struct wsgw_topic *t)
{
    CHECK(t->topic[0] && t->stream[0], "subscribe without a topic");
}
static int64_t src_last_event(void *ctx, const struct wsgw_topic *t)
{
    return 0;
}
static const struct wsgw_source_ops source_ops = {src_topic_build, src_sub,
                                                  src_sub, src_last_event};

static int store_load(void *ctx,
                      void (*cb)(void *arg, const struct wsgw_sub_record *r),
                      void *arg, struct wsgw_err *err)
{
    return WSGW_OK;
}
static int store_save(void *ctx, const struct wsgw_sub_record *r)
{
    CHECK(wsgw_uuid_valid(r->id), "saving a record without a valid id");
    return WSGW_OK;
}
static int store_available(void *ctx)
{
    return 1;
}
static const struct wsgw_store_ops store_ops = {store_load, store_save,
                                                store_available};

static struct wsgw_module fake_mod;
static struct wsgw_instance src_in, store_in;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* an info line per subscription would drown the fuzzer's output */
    struct log_conf lc = {WSGW_LOG_ERROR, LOG_FORMAT_TEXT, "stderr"};
    struct wsgw_err err;
    if (log_configure(&lc, &err) != WSGW_OK) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    fake_mod.name = "fuzz";
    fake_mod.provides = WSGW_PROVIDES_SOURCE | WSGW_PROVIDES_STORE;
    fake_mod.source_ops = &source_ops;
    fake_mod.store_ops = &store_ops;
    src_in.name = "bybit";
    src_in.mod = &fake_mod;
    src_in.kind = INSTANCE_SOURCE;
    store_in.name = "store";
    store_in.mod = &fake_mod;
    store_in.kind = INSTANCE_SERVICE;

    if (api_subscriptions_register() != WSGW_OK ||
        api_metrics_register() != WSGW_OK ||
        api_openapi_register() != WSGW_OK ||
        wsgw_route_add(NULL, "GET", "/fuzz/{a}/x/{b}", 0, probe_params, NULL,
                       NULL) != WSGW_OK ||
        wsgw_route_add(NULL, "GET", "/fuzz/lit/x/{b}", WSGW_ROUTE_PUBLIC,
                       probe_params, (void *)1, NULL) != WSGW_OK ||
        wsgw_route_add(NULL, "POST", "/fuzz/body", WSGW_ROUTE_PUBLIC,
                       probe_body, NULL, NULL) != WSGW_OK ||
        wsgw_route_add(NULL, "PUT", "/fuzz/body", 0, probe_body, NULL, NULL) !=
            WSGW_OK) {
        fprintf(stderr, "fuzz_http: route registration failed\n");
        abort();
    }
    return 0;
}

/* ---- one request --------------------------------------------------------- */

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    CHECK(s != NULL, "out of memory");
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Replace "$ID" in the target with the last created id. */
static char *expand_id(const char *t, const char *id)
{
    const char *at = strstr(t, "$ID");
    if (!at || !*id)
        return dupn(t, strlen(t));
    size_t head = (size_t)(at - t), idl = strlen(id), tail = strlen(at + 3);
    char *s = malloc(head + idl + tail + 1);
    CHECK(s != NULL, "out of memory");
    memcpy(s, t, head);
    memcpy(s + head, id, idl);
    memcpy(s + head + idl, at + 3, tail + 1);
    return s;
}

static void one_request(const char *p, size_t n, char *last_id)
{
    struct fake_req f;
    memset(&f, 0, sizeof(f));
    memcpy(f.last_id, last_id, sizeof(f.last_id));

    /* the head ends at the first empty line; the rest is the body */
    size_t head_end = n, body_off = n;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '\n' && p[i + 1] == '\n') {
            head_end = i;
            body_off = i + 2;
            break;
        }
    char *head = dupn(p, head_end);
    char *save = NULL;
    char *line = strtok_r(head, "\n", &save);
    if (!line) {
        free(head);
        return;
    }
    char *sp = strchr(line, ' ');
    if (!sp) {
        free(head);
        return;
    }
    *sp = '\0';
    char *method = line;
    char *target = expand_id(sp + 1, last_id);
    char *q = strchr(target, '?');
    if (q)
        *q++ = '\0';
    while ((line = strtok_r(NULL, "\n", &save)) && f.nh < MAX_HEADERS) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        f.hname[f.nh] = line;
        f.hvalue[f.nh++] = v;
    }
    f.method = method;
    const char *key = t_header(&f, "X-API-Key");
    int authenticated = key && wsgw_secret_equal(key, "fuzz-key");
    const char *ab = t_header(&f, "X-Fuzz-Abandon");
    int abandon = ab && strcmp(ab, "1") == 0;

    struct wsgw_http_req *req =
        wsgw_http_req_new(&transport, &f, method, target, q, p + body_off,
                          n - body_off, t_header(&f, "X-Trace-Id"));
    CHECK(req != NULL, "wsgw_http_req_new failed");
    CHECK(*wsgw_http_trace_id(req), "no trace id");
    if (abandon)
        wsgw_http_req_abandon(req);
    wsgw_http_dispatch(req, authenticated,
                       WSGW_ROUTE_PUBLIC | WSGW_ROUTE_METRICS);
    /* every route here answers before it returns */
    CHECK(f.sent == (abandon ? 0 : 1), "sent %d answers", f.sent);
    memcpy(last_id, f.last_id, sizeof(f.last_id));
    free(target);
    free(head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wsgw_err err;
    char last_id[WSGW_UUID_LEN + 1] = "";
    /* an exact-size copy, so ASan sees any read past the input */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);

    memset(&err, 0, sizeof(err));
    CHECK(registry_init(&src_in, &store_in, NULL, &err) == WSGW_OK, "%s",
          err.msg);
    const char *p = buf, *end = buf + size;
    for (int r = 0; r < MAX_REQS && p < end; r++) {
        const char *sep = NULL;
        for (const char *s = p; s + 5 <= end; s++)
            if (memcmp(s, "\n===\n", 5) == 0) {
                sep = s;
                break;
            }
        const char *stop = sep ? sep : end;
        one_request(p, (size_t)(stop - p), last_id);
        p = sep ? sep + 5 : end;
    }
    registry_free();
    free(buf);
    return 0;
}
