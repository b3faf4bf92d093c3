/*
 * test_http_route.c — the admin route table: matching with {params},
 * literal-over-parameter precedence, 404/405/401, the trailing slash,
 * query and path decoding, the error shape, asynchronous answers and the
 * OpenAPI document built from the registered routes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "http_route.h"
#include "instance.h"
#include "registry.h"

/* ---- a transport that records what it was asked to send -------------- */

struct sent {
    int calls;
    int status;
    char ctype[64];
    char *body;
    char allow[64];
    char trace[80];
    struct wsgw_http_req *req; /* for the extra headers, during send */
    const char *key_header;    /* what header("X-API-Key") returns */
};

static void t_send(void *tctx, int status, const char *ctype, const char *body,
                   size_t len, const char *trace_id)
{
    struct sent *s = tctx;
    const char *name, *value;

    s->calls++;
    s->status = status;
    snprintf(s->ctype, sizeof(s->ctype), "%s", ctype);
    free(s->body);
    s->body = strndup(body, len);
    snprintf(s->trace, sizeof(s->trace), "%s", trace_id);
    s->allow[0] = '\0';
    for (size_t i = 0; (name = wsgw_http_resp_header(s->req, i, &value)); i++)
        if (strcmp(name, "Allow") == 0)
            snprintf(s->allow, sizeof(s->allow), "%s", value);
}

static const char *t_header(void *tctx, const char *name)
{
    struct sent *s = tctx;

    return strcasecmp(name, "X-API-Key") == 0 ? s->key_header : NULL;
}

static const struct wsgw_http_transport transport = {t_send, t_header};

/* Run one request through the table; the answer lands in *s. */
static void run(struct sent *s, const char *method, const char *path,
                const char *query, const char *body, int authenticated)
{
    struct wsgw_http_req *req;

    free(s->body);
    memset(s, 0, sizeof(*s));
    req = wsgw_http_req_new(&transport, s, method, path, query, body,
                            body ? strlen(body) : 0, NULL);
    assert_non_null(req);
    s->req = req;
    wsgw_http_dispatch(req, authenticated, WSGW_ROUTE_PUBLIC);
}

static json_t *body_json(const struct sent *s)
{
    json_t *j = json_loads(s->body, 0, NULL);

    assert_non_null(j);
    return j;
}

static void assert_error(const struct sent *s, int status, const char *code)
{
    json_t *j = body_json(s), *d;

    assert_int_equal(s->status, status);
    assert_string_equal(s->ctype, "application/json");
    assert_string_equal(json_string_value(json_object_get(j, "code")), code);
    assert_true(json_is_string(json_object_get(j, "error")));
    assert_true(json_is_object(json_object_get(j, "details")));
    /* The Python service's clients read the same fields under "detail". */
    d = json_object_get(j, "detail");
    assert_true(json_is_object(d));
    assert_true(
        json_equal(json_object_get(d, "error"), json_object_get(j, "error")));
    assert_true(
        json_equal(json_object_get(d, "code"), json_object_get(j, "code")));
    assert_true(json_equal(json_object_get(d, "details"),
                           json_object_get(j, "details")));
    assert_int_equal(json_object_size(j), 4);
    assert_int_equal(json_object_size(d), 3);
    json_decref(j);
}

/* ---- handlers -------------------------------------------------------- */

static char last_handler[64];
static char last_param[2][128];

static void h_echo(struct wsgw_http_req *req, void *arg)
{
    const char *a = wsgw_http_param(req, "id");
    const char *b = wsgw_http_param(req, "service_name");

    snprintf(last_handler, sizeof(last_handler), "%s", (const char *)arg);
    snprintf(last_param[0], sizeof(last_param[0]), "%s", a ? a : "");
    snprintf(last_param[1], sizeof(last_param[1]), "%s", b ? b : "");
    wsgw_http_reply_json(req, 200, json_pack("{s:s}", "handler", arg));
    /* Reading req after answering is allowed inside the handler. */
    assert_string_equal(wsgw_http_method(req), wsgw_http_method(req));
}

static struct wsgw_http_req *held;

static void h_hold(struct wsgw_http_req *req, void *arg)
{
    held = req;
}

static void h_query(struct wsgw_http_req *req, void *arg)
{
    const char *keys[] = {"a", "b", "c", "d", "e", "f", "missing"};
    json_t *o = json_object();

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = wsgw_http_query(req, keys[i]);
        json_object_set_new(o, keys[i], v ? json_string(v) : json_null());
    }
    wsgw_http_reply_json(req, 200, o);
}

static void h_json(struct wsgw_http_req *req, void *arg)
{
    json_t *j = wsgw_http_json_body(req);

    if (!j)
        return;
    wsgw_http_reply_json(req, 200, j);
}

static int setup(void **state)
{
    assert_int_equal(wsgw_route_add(NULL, "GET", "/api/v1/subscriptions", 0,
                                    h_echo, "list", NULL),
                     WSGW_OK);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/api/v1/subscriptions/{id}",
                                    0, h_echo, "get", NULL),
                     WSGW_OK);
    assert_int_equal(wsgw_route_add(NULL, "DELETE",
                                    "/api/v1/subscriptions/{id}", 0, h_echo,
                                    "delete", NULL),
                     WSGW_OK);
    assert_int_equal(
        wsgw_route_add(NULL, "DELETE",
                       "/api/v1/subscriptions/by-service/{service_name}", 0,
                       h_echo, "by-service", NULL),
        WSGW_OK);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/health", WSGW_ROUTE_PUBLIC,
                                    h_echo, "health", NULL),
                     WSGW_OK);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/metrics", WSGW_ROUTE_METRICS,
                                    h_echo, "metrics", NULL),
                     WSGW_OK);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/q", 0, h_query, NULL, NULL),
                     WSGW_OK);
    assert_int_equal(
        wsgw_route_add(NULL, "POST", "/json", 0, h_json, NULL, NULL), WSGW_OK);
    assert_int_equal(
        wsgw_route_add(NULL, "GET", "/hold", 0, h_hold, NULL, NULL), WSGW_OK);
    return 0;
}

static int teardown(void **state)
{
    http_routes_free();
    return 0;
}

/* ---- tests ----------------------------------------------------------- */

static void test_params(void **state)
{
    struct sent s = {0};

    run(&s, "GET",
        "/api/v1/subscriptions/123e4567-e89b-12d3-a456-"
        "426614174000",
        NULL, NULL, 1);
    assert_int_equal(s.status, 200);
    assert_string_equal(last_handler, "get");
    assert_string_equal(last_param[0], "123e4567-e89b-12d3-a456-426614174000");
    run(&s, "DELETE", "/api/v1/subscriptions/abc", NULL, NULL, 1);
    assert_string_equal(last_handler, "delete");
    assert_string_equal(last_param[0], "abc");
    run(&s, "GET", "/api/v1/subscriptions", NULL, NULL, 1);
    assert_string_equal(last_handler, "list");
    assert_string_equal(last_param[0], "");
    /* Segments are decoded one by one: %2F stays inside its segment. */
    run(&s, "DELETE", "/api/v1/subscriptions/by-service/a%20b%2Fc", NULL, NULL,
        1);
    assert_int_equal(s.status, 200);
    assert_string_equal(last_handler, "by-service");
    assert_string_equal(last_param[1], "a b/c");
    free(s.body);
}

static void test_literal_wins(void **state)
{
    struct sent s = {0};

    /* "by-service" literal beats {id}, for DELETE ... */
    run(&s, "DELETE", "/api/v1/subscriptions/by-service/svc", NULL, NULL, 1);
    assert_string_equal(last_handler, "by-service");
    assert_string_equal(last_param[1], "svc");
    /* ... and regardless of registration order. */
    assert_int_equal(
        wsgw_route_add(NULL, "GET", "/x/{name}", 0, h_echo, "param", NULL),
        WSGW_OK);
    assert_int_equal(
        wsgw_route_add(NULL, "GET", "/x/lit", 0, h_echo, "literal", NULL),
        WSGW_OK);
    run(&s, "GET", "/x/lit", NULL, NULL, 1);
    assert_string_equal(last_handler, "literal");
    run(&s, "GET", "/x/other", NULL, NULL, 1);
    assert_string_equal(last_handler, "param");
    /* The most literal pattern decides; its methods decide 405. */
    run(&s, "GET", "/api/v1/subscriptions/by-service/svc", NULL, NULL, 1);
    assert_error(&s, 405, "METHOD_NOT_ALLOWED");
    assert_string_equal(s.allow, "DELETE");
    free(s.body);
}

static void test_404_405(void **state)
{
    struct sent s = {0};
    json_t *j;

    run(&s, "GET", "/nope", NULL, NULL, 1);
    assert_error(&s, 404, "NOT_FOUND");
    run(&s, "GET", "/api/v1/subscriptions/a/b/c", NULL, NULL, 1);
    assert_error(&s, 404, "NOT_FOUND");
    run(&s, "GET", "/api//v1/subscriptions", NULL, NULL, 1);
    assert_error(&s, 404, "NOT_FOUND");
    run(&s, "PUT", "/api/v1/subscriptions/abc", NULL, NULL, 1);
    assert_error(&s, 405, "METHOD_NOT_ALLOWED");
    assert_string_equal(s.allow, "GET, DELETE, HEAD");
    j = body_json(&s);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(j, "details"), "allow")),
                        "GET, DELETE, HEAD");
    json_decref(j);
    /* 404/405 come before authentication. */
    run(&s, "GET", "/nope", NULL, NULL, 0);
    assert_int_equal(s.status, 404);
    free(s.body);
}

static void test_trailing_slash(void **state)
{
    struct sent s = {0};

    run(&s, "GET", "/api/v1/subscriptions/", NULL, NULL, 1);
    assert_int_equal(s.status, 200);
    assert_string_equal(last_handler, "list");
    run(&s, "GET", "/health/", NULL, NULL, 0);
    assert_string_equal(last_handler, "health");
    /* Only one slash is forgiven. */
    run(&s, "GET", "/health//", NULL, NULL, 0);
    assert_int_equal(s.status, 404);
    free(s.body);
}

static void test_auth(void **state)
{
    struct sent s = {0};
    struct wsgw_http_req *req;

    run(&s, "GET", "/api/v1/subscriptions", NULL, NULL, 0);
    assert_error(&s, 401, "UNAUTHORIZED");
    run(&s, "GET", "/health", NULL, NULL, 0);
    assert_int_equal(s.status, 200);
    /* /metrics is public only when the transport passes the flag. */
    run(&s, "GET", "/metrics", NULL, NULL, 0);
    assert_int_equal(s.status, 401);
    free(s.body);
    memset(&s, 0, sizeof(s));
    req = wsgw_http_req_new(&transport, &s, "GET", "/metrics", NULL, NULL, 0,
                            NULL);
    s.req = req;
    wsgw_http_dispatch(req, 0, WSGW_ROUTE_PUBLIC | WSGW_ROUTE_METRICS);
    assert_int_equal(s.status, 200);
    free(s.body);
}

static void test_head(void **state)
{
    struct sent s = {0};

    run(&s, "HEAD", "/health", NULL, NULL, 0);
    assert_int_equal(s.status, 200);
    assert_string_equal(last_handler, "health");
    free(s.body);
}

static void test_query(void **state)
{
    struct sent s = {0};
    json_t *j;

    run(&s, "GET", "/q", "a=1&b=hello%20world&c=x+y&d=%zz&e&a=2&f=%E2%82%AC",
        NULL, 1);
    assert_int_equal(s.status, 200);
    j = body_json(&s);
    assert_string_equal(json_string_value(json_object_get(j, "a")), "1");
    assert_string_equal(json_string_value(json_object_get(j, "b")),
                        "hello world");
    assert_string_equal(json_string_value(json_object_get(j, "c")), "x y");
    assert_string_equal(json_string_value(json_object_get(j, "d")), "%zz");
    assert_string_equal(json_string_value(json_object_get(j, "e")), "");
    assert_string_equal(json_string_value(json_object_get(j, "f")),
                        "\xE2\x82\xAC");
    assert_true(json_is_null(json_object_get(j, "missing")));
    json_decref(j);
    /* A NUL byte would cut the value short: refused. */
    run(&s, "GET", "/q", "a=x%00y", NULL, 1);
    assert_error(&s, 400, "INVALID_PARAMETER");
    run(&s, "GET", "/api/v1/subscriptions/a%00b", NULL, NULL, 1);
    assert_error(&s, 400, "INVALID_PARAMETER");
    free(s.body);
}

static void test_decode(void **state)
{
    char *v;

    v = http_percent_decode("a%41%4a+%", 9, 0);
    assert_string_equal(v, "aAJ+%");
    free(v);
    v = http_percent_decode("a+b%2", 5, 1);
    assert_string_equal(v, "a b%2");
    free(v);
    assert_null(http_percent_decode("%00", 3, 0));
}

static void test_json_body(void **state)
{
    struct sent s = {0};

    run(&s, "POST", "/json", NULL, "{\"a\":1}", 1);
    assert_int_equal(s.status, 200);
    run(&s, "POST", "/json", NULL, "{\"a\":", 1);
    assert_error(&s, 400, "INVALID_JSON");
    run(&s, "POST", "/json", NULL, "[1,2]", 1);
    assert_error(&s, 400, "INVALID_JSON");
    run(&s, "POST", "/json", NULL, NULL, 1);
    assert_error(&s, 400, "INVALID_JSON");
    free(s.body);
}

static void test_error_shape(void **state)
{
    struct sent s = {0};
    struct wsgw_http_req *req;
    json_t *j, *d;

    req = wsgw_http_req_new(&transport, &s, "GET", "/x", NULL, NULL, 0,
                            "client-trace-1");
    s.req = req;
    wsgw_http_error(req, 400, "INVALID_SYMBOL",
                    json_pack("{s:s}", "field", "symbol"), "bad %s", "symbol");
    assert_error(&s, 400, "INVALID_SYMBOL");
    assert_string_equal(s.trace, "client-trace-1");
    j = body_json(&s);
    assert_string_equal(json_string_value(json_object_get(j, "error")),
                        "bad symbol");
    d = json_object_get(json_object_get(j, "detail"), "details");
    assert_string_equal(json_string_value(json_object_get(d, "field")),
                        "symbol");
    json_decref(j);
    /* An insane client trace id is replaced by 32 hex digits. */
    free(s.body);
    memset(&s, 0, sizeof(s));
    req = wsgw_http_req_new(&transport, &s, "GET", "/x", NULL, NULL, 0,
                            "bad id\r\nX-Evil: 1");
    s.req = req;
    wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "x");
    assert_int_equal(strlen(s.trace), 32);
    free(s.body);
}

static void test_async_and_abandon(void **state)
{
    struct sent s = {0};
    struct wsgw_metric *m;
    int64_t before;

    m = wsgw_counter("wsgw_http_requests_total",
                     "Admin API requests answered, by status",
                     "status=\"202\"");
    before = wsgw_metric_value(m);
    held = NULL;
    run(&s, "GET", "/hold", NULL, NULL, 1);
    assert_non_null(held);
    assert_int_equal(s.calls, 0);
    assert_int_equal(wsgw_http_status(held), 0);
    wsgw_http_reply(held, 202, "text/plain", "later", 5);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.status, 202);
    assert_string_equal(s.body, "later");
    assert_int_equal(wsgw_metric_value(m), before + 1);
    /* The client went away: the late answer is discarded. */
    held = NULL;
    run(&s, "GET", "/hold", NULL, NULL, 1);
    wsgw_http_req_abandon(held);
    wsgw_http_reply_json(held, 200, json_object());
    assert_int_equal(s.calls, 0);
    free(s.body);
}

static void test_register_errors(void **state)
{
    /* Taken pair, whatever the parameter is called. */
    assert_int_equal(wsgw_route_add(NULL, "GET", "/api/v1/subscriptions/{x}", 0,
                                    h_echo, "dup", NULL),
                     WSGW_ERR);
    assert_int_equal(
        wsgw_route_add(NULL, "GET", "no-slash", 0, h_echo, "", NULL), WSGW_ERR);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/a//b", 0, h_echo, "", NULL),
                     WSGW_ERR);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/a/{b", 0, h_echo, "", NULL),
                     WSGW_ERR);
    assert_int_equal(
        wsgw_route_add(NULL, "GET", "/a/{b}/{b}", 0, h_echo, "", NULL),
        WSGW_ERR);
    assert_int_equal(wsgw_route_add(NULL, "FETCH", "/a", 0, h_echo, "", NULL),
                     WSGW_ERR);
    assert_int_equal(
        wsgw_route_add(NULL, "GET", "/a", 0, h_echo, "", "{not json"),
        WSGW_ERR);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/a", 0, h_echo, "", "[]"),
                     WSGW_ERR);
    assert_int_equal(wsgw_route_add(NULL, "GET", "/a", 0, NULL, "", NULL),
                     WSGW_ERR);
}

static void test_remove_owner(void **state)
{
    static struct wsgw_instance owner = {.name = "mod",
                                         .log_level = WSGW_LOG_INFO};
    struct wsgw_instance *fake = &owner;
    struct sent s = {0};

    assert_int_equal(
        wsgw_route_add(fake, "GET", "/owned", 0, h_echo, "owned", NULL),
        WSGW_OK);
    run(&s, "GET", "/owned", NULL, NULL, 1);
    assert_int_equal(s.status, 200);
    http_routes_remove(fake);
    run(&s, "GET", "/owned", NULL, NULL, 1);
    assert_int_equal(s.status, 404);
    /* Core routes stay. */
    run(&s, "GET", "/health", NULL, NULL, 1);
    assert_int_equal(s.status, 200);
    free(s.body);
}

/* ---- OpenAPI --------------------------------------------------------- */

struct expect {
    json_t *paths;
    int missing;
};

static void check_route(void *arg, const char *method, const char *pattern,
                        unsigned flags, const json_t *operation)
{
    struct expect *e = arg;
    json_t *item = json_object_get(e->paths, pattern);
    char m[8];
    size_t i;

    for (i = 0; method[i]; i++)
        m[i] = (char)(method[i] - 'A' + 'a');
    m[i] = '\0';
    if (!json_is_object(json_object_get(item, m))) {
        fprintf(stderr, "missing in openapi: %s %s\n", method, pattern);
        e->missing++;
    }
}

static void test_openapi(void **state)
{
    struct expect e = {0};
    json_t *doc, *op, *params, *sec;
    struct sent s = {0};

    http_routes_free();
    assert_int_equal(core_routes_register(), WSGW_OK);
    /* A module's route, with a minimal operation object. */
    assert_int_equal(wsgw_route_add(NULL, "GET", "/api/v1/balances/{coin}", 0,
                                    h_echo, "module",
                                    "{\"summary\":\"Balances of a coin\"}"),
                     WSGW_OK);
    doc = api_openapi_document();
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")),
                        "3.1.0");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "info"), "title")),
                        "WebSocket Gateway API");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "info"), "version")),
                        wsgw_version());
    e.paths = json_object_get(doc, "paths");
    http_routes_foreach(check_route, &e);
    assert_int_equal(e.missing, 0);
    /* Every core endpoint of API.md is there with its method. */
    assert_non_null(json_object_get(
        json_object_get(e.paths, "/api/v1/subscriptions"), "post"));
    assert_non_null(json_object_get(
        json_object_get(e.paths, "/api/v1/subscriptions"), "get"));
    assert_non_null(json_object_get(
        json_object_get(e.paths, "/api/v1/subscriptions/{id}"), "delete"));
    assert_non_null(json_object_get(
        json_object_get(e.paths,
                        "/api/v1/subscriptions/by-service/{service_name}"),
        "delete"));
    assert_non_null(
        json_object_get(json_object_get(e.paths, "/health"), "get"));
    assert_non_null(
        json_object_get(json_object_get(e.paths, "/metrics"), "get"));
    assert_non_null(
        json_object_get(json_object_get(e.paths, "/openapi.json"), "get"));
    assert_non_null(
        json_object_get(json_object_get(e.paths, "/api/v1/status"), "get"));
    /* The module's route was completed: path parameter, responses,
     * security with the 401 answer. */
    op = json_object_get(json_object_get(e.paths, "/api/v1/balances/{coin}"),
                         "get");
    params = json_object_get(op, "parameters");
    assert_int_equal(json_array_size(params), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(params, 0), "name")),
        "coin");
    assert_non_null(json_object_get(json_object_get(op, "responses"), "401"));
    sec = json_object_get(op, "security");
    assert_int_equal(json_array_size(sec), 2);
    /* /health is public. */
    sec = json_object_get(
        json_object_get(json_object_get(e.paths, "/health"), "get"),
        "security");
    assert_int_equal(json_array_size(sec), 0);
    json_decref(doc);
    /* Served at /openapi.json without a key. */
    run(&s, "GET", "/openapi.json", NULL, NULL, 0);
    assert_int_equal(s.status, 200);
    doc = body_json(&s);
    assert_non_null(
        json_object_get(json_object_get(json_object_get(doc, "paths"),
                                        "/api/v1/balances/{coin}"),
                        "get"));
    json_decref(doc);
    free(s.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_literal_wins),
        cmocka_unit_test(test_404_405),
        cmocka_unit_test(test_trailing_slash),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_json_body),
        cmocka_unit_test(test_error_shape),
        cmocka_unit_test(test_async_and_abandon),
        cmocka_unit_test(test_register_errors),
        cmocka_unit_test(test_remove_owner),
        cmocka_unit_test(test_openapi),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
