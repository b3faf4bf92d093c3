/*
 * Control server: a second lws vhost speaking plain HTTP with JSON in and
 * out, for test scripts (curl).  It runs in the same service loop as the
 * WebSocket vhost, so it can touch connections directly.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define CONTROL_BODY_MAX (64 * 1024)

volatile int g_stop;

/* ---- refusals ---- */

struct refusal {
    int count;
    char msg[256];
    json_t *filter; /* client/path of the POST /refuse request */
};

static struct refusal g_refuse_sub, g_refuse_auth;
static json_t *g_gone; /* per-topic counts of connections forgotten */

void refuse_take(const char *what, struct conn *c, char *msg, size_t msglen,
                 int *refused)
{
    struct refusal *r = !strcmp(what, "auth") ? &g_refuse_auth : &g_refuse_sub;
    *refused = 0;
    if (r->count <= 0 || (r->filter && !conn_matches(c, r->filter)))
        return;
    r->count--;
    *refused = 1;
    snprintf(msg, msglen, "%s", r->msg);
}

static json_t *refuse_set(json_t *req, char *err, size_t errlen)
{
    const char *next = json_string_value(json_object_get(req, "next"));
    struct refusal *r = NULL;
    if (next && !strcmp(next, "subscribe"))
        r = &g_refuse_sub;
    else if (next && !strcmp(next, "auth"))
        r = &g_refuse_auth;
    if (!r) {
        snprintf(err, errlen, "\"next\" must be \"subscribe\" or \"auth\"");
        return NULL;
    }
    json_t *cnt = json_object_get(req, "count");
    r->count = cnt ? (int)json_integer_value(cnt) : 1;
    const char *m = json_string_value(json_object_get(req, "ret_msg"));
    snprintf(r->msg, sizeof(r->msg), "%s", m ? m : "");
    json_decref(r->filter);
    r->filter = json_incref(req);
    return json_pack("{s:b,s:s,s:i}", "ok", 1, "next", next, "count", r->count);
}

/* ---- views ---- */

static void add_counts(json_t *obj, const char *topic, json_int_t f,
                       json_int_t e)
{
    json_t *prev = json_object_get(obj, topic);
    f += json_integer_value(json_object_get(prev, "frames"));
    e += json_integer_value(json_object_get(prev, "events"));
    json_object_set_new(obj, topic,
                        json_pack("{s:I,s:I}", "frames", f, "events", e));
}

static json_t *conn_topics(const struct conn *c)
{
    json_t *t = json_deep_copy(c->sent);
    for (const struct sub *s = c->subs; s; s = s->next)
        add_counts(t, s->topic, (json_int_t)s->frames, (json_int_t)s->events);
    return t;
}

static void merge_into(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v)
    {
        add_counts(dst, k, json_integer_value(json_object_get(v, "frames")),
                   json_integer_value(json_object_get(v, "events")));
    }
}

json_t *stats_json(void)
{
    json_t *topics = json_object(), *clients = json_array();
    json_int_t total = 0;
    if (g_gone)
        merge_into(topics, g_gone);
    for (const struct conn *c = g_conns; c; c = c->next) {
        json_t *ct = conn_topics(c);
        merge_into(topics, ct);
        json_array_append_new(
            clients, json_pack("{s:i,s:s,s:b,s:o}", "id", (int)c->id, "path",
                               c->path, "open", c->open, "topics", ct));
    }
    const char *k;
    json_t *v;
    json_object_foreach(topics, k, v)
    {
        total += json_integer_value(json_object_get(v, "frames"));
    }
    return json_pack("{s:I,s:o,s:o}", "total_frames", total, "topics", topics,
                     "clients", clients);
}

void stats_print(FILE *f)
{
    json_t *j = stats_json();
    char *s = json_dumps(j, JSON_COMPACT);
    fprintf(f, "STATS %s\n", s ? s : "{}");
    fflush(f);
    free(s);
    json_decref(j);
}

json_t *conn_json(const struct conn *c)
{
    json_t *subs = json_array();
    for (const struct sub *s = c->subs; s; s = s->next)
        json_array_append_new(subs, json_string(s->topic));
    json_t *j =
        json_pack("{s:i,s:s,s:s,s:I,s:b,s:s,s:o,s:O}", "id", (int)c->id, "path",
                  c->path, "conn_id", c->conn_id, "connected_at",
                  (json_int_t)c->connected_ms, "open", c->open, "auth",
                  c->authed        ? "ok"
                  : c->auth_failed ? "failed"
                                   : "none",
                  "subscriptions", subs, "log", c->log);
    if (c->authed)
        json_object_set_new(j, "auth_key", json_string(c->auth_key));
    if (!c->open)
        json_object_set_new(j, "closed_at",
                            json_integer((json_int_t)c->closed_ms));
    json_object_set_new(j, "stall_pongs", json_boolean(c->stall_pongs));
    json_object_set_new(j, "stall_data", json_boolean(c->stall_data));
    return j;
}

static json_t *clients_json(void)
{
    json_t *a = json_array();
    for (const struct conn *c = g_conns; c; c = c->next)
        json_array_append_new(a, conn_json(c));
    return json_pack("{s:o}", "clients", a);
}

static json_t *reset_log(void)
{
    /* keep the counts of connections we forget, for the exit stats */
    if (!g_gone)
        g_gone = json_object();
    for (const struct conn *c = g_conns; c; c = c->next)
        if (!c->open)
            merge_into(g_gone, c->sent);
    conns_reset_log();
    rest_reset();
    return json_pack("{s:b}", "ok", 1);
}

/* ---- routing ---- */

static json_t *err_json(const char *msg)
{
    return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static int route_get(struct lws *wsi, struct http_pss *h)
{
    const char *u = h->uri;
    if (!strcmp(u, "/health"))
        return http_reply_json(wsi, h, 200, json_pack("{s:b}", "ok", 1));
    if (!strcmp(u, "/clients"))
        return http_reply_json(wsi, h, 200, clients_json());
    if (!strcmp(u, "/stats")) {
        stats_print(stdout);
        return http_reply_json(wsi, h, 200, stats_json());
    }
    if (!strcmp(u, "/templates"))
        return http_reply_json(wsi, h, 200, templates_json());
    if (!strcmp(u, "/rest"))
        return http_reply_json(wsi, h, 200,
                               json_pack("{s:O}", "requests", rest_log()));
    return http_reply_json(wsi, h, 404, err_json("no such resource"));
}

static int route_post(struct lws *wsi, struct http_pss *h)
{
    json_error_t jerr;
    char err[256] = "";
    json_t *req = h->body_in.len
                      ? json_loadb(h->body_in.p, h->body_in.len, 0, &jerr)
                      : json_object();
    if (!json_is_object(req)) {
        json_decref(req);
        return http_reply_json(wsi, h, 400,
                               err_json("body must be a JSON object"));
    }
    const char *u = h->uri;
    json_t *res = NULL;
    if (!strcmp(u, "/fault"))
        res = fault_apply(req, err, sizeof(err));
    else if (!strcmp(u, "/refuse"))
        res = refuse_set(req, err, sizeof(err));
    else if (!strcmp(u, "/skip_u"))
        res = skip_u_apply(req);
    else if (!strcmp(u, "/reset-log"))
        res = reset_log();
    else if (!strcmp(u, "/stats")) {
        stats_print(stdout);
        res = stats_json();
    } else if (!strcmp(u, "/shutdown")) {
        g_stop = 1;
        lws_cancel_service(g_ctx);
        res = json_pack("{s:b}", "ok", 1);
    } else {
        snprintf(err, sizeof(err), "no such resource");
    }
    json_decref(req);
    if (!res)
        return http_reply_json(
            wsi, h, strcmp(err, "no such resource") ? 400 : 404, err_json(err));
    return http_reply_json(wsi, h, 200, res);
}

int control_callback(struct lws *wsi, enum lws_callback_reasons reason,
                     void *user, void *in, size_t len)
{
    struct http_pss *h = user;
    char cl[24];

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        snprintf(h->uri, sizeof(h->uri), "%s", (const char *)in);
        h->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        h->body_in.len = 0;
        if (!h->post)
            return route_get(wsi, h);
        /* a POST without a body gets no BODY_COMPLETION: answer now */
        cl[0] = '\0';
        lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH);
        if (atoi(cl) <= 0)
            return route_post(wsi, h);
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        if (h->body_in.len + len > CONTROL_BODY_MAX)
            return -1;
        ob_put(&h->body_in, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return route_post(wsi, h);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(wsi, h);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (h)
            http_pss_free(h);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

void control_free(void)
{
    json_decref(g_refuse_sub.filter);
    json_decref(g_refuse_auth.filter);
    g_refuse_sub.filter = g_refuse_auth.filter = NULL;
    json_decref(g_gone);
    g_gone = NULL;
}
