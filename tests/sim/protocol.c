/*
 * The request side of the Bybit v5 protocol: subscribe, unsubscribe, ping
 * and auth, answered with each stream kind's own ack shape (PROTOCOL.md
 * §4-6, tests/data/bybit/control.jsonl).  Requests are rare, so jansson is
 * fine here; key order follows the samples because jansson keeps insertion
 * order.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define SPOT_MAX_ARGS         10
#define OPTION_MAX_ARGS       2000
#define PUBLIC_MAX_ARGS_CHARS 21000

/* ---- output queue ---- */

void frame_header(struct obuf *b, int opcode, size_t len)
{
    unsigned char h[10];
    size_t n;
    h[0] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        h[1] = (unsigned char)len;
        n = 2;
    } else if (len < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        n = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
        n = 10;
    }
    ob_put(b, (const char *)h, n);
}

void conn_queue_frame(struct conn *c, int opcode, const char *s, size_t len)
{
    struct obuf hdr = {0};
    frame_header(&hdr, opcode, len);
    struct outq *q = malloc(sizeof(*q) + hdr.len + len);
    if (!q) {
        LOG_ERR("conn %u: out of memory queueing %zu bytes", c->id, len);
        ob_free(&hdr);
        return;
    }
    q->next = NULL;
    q->len = hdr.len + len;
    memcpy(q->data, hdr.p, hdr.len);
    memcpy(q->data + hdr.len, s, len);
    ob_free(&hdr);
    if (c->q_tail)
        c->q_tail->next = q;
    else
        c->q_head = q;
    c->q_tail = q;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

void conn_queue_text(struct conn *c, const char *s, size_t len)
{
    conn_queue_frame(c, 0x1, s, len);
}

void conn_queue_json(struct conn *c, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (s) {
        conn_queue_text(c, s, strlen(s));
        free(s);
    }
    json_decref(j);
}

void conn_log(struct conn *c, json_t *rec)
{
    json_object_set_new(rec, "t", json_integer((json_int_t)now_ms()));
    json_array_append_new(c->log, rec);
}

/* ---- subscriptions ---- */

static struct sub *sub_find(struct conn *c, const char *topic)
{
    for (struct sub *s = c->subs; s; s = s->next)
        if (strcmp(s->topic, topic) == 0)
            return s;
    return NULL;
}

/* keep what the topic sent, for the stats after it is gone */
static void sub_account(struct conn *c, struct sub *s)
{
    json_t *prev = json_object_get(c->sent, s->topic);
    json_int_t f = json_integer_value(json_object_get(prev, "frames"));
    json_int_t e = json_integer_value(json_object_get(prev, "events"));
    json_object_set_new(c->sent, s->topic,
                        json_pack("{s:I,s:I}", "frames",
                                  (json_int_t)(f + (json_int_t)s->frames),
                                  "events",
                                  (json_int_t)(e + (json_int_t)s->events)));
}

void sub_free(struct sub *s)
{
    gen_sub_free(s);
    free(s);
}

static void sub_add(struct conn *c, const char *topic,
                    const struct topic_info *ti)
{
    struct sub *s = calloc(1, sizeof(*s));
    snprintf(s->topic, sizeof(s->topic), "%s", topic);
    s->ti = *ti;
    s->start_mono = mono_ns();
    gen_sub_init(c, s);
    /* append: frames go out in subscription order */
    struct sub **pp = &c->subs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = s;
    c->args_chars += strlen(topic);
    c->nargs++;
    load_arm(c);
}

static int sub_remove(struct conn *c, const char *topic)
{
    for (struct sub **pp = &c->subs; *pp; pp = &(*pp)->next) {
        struct sub *s = *pp;
        if (strcmp(s->topic, topic) != 0)
            continue;
        *pp = s->next;
        sub_account(c, s);
        c->args_chars -= strlen(topic);
        c->nargs--;
        sub_free(s);
        return 0;
    }
    return -1;
}

/* ---- acks per stream kind ---- */

static json_t *req_id_of(json_t *req)
{
    json_t *r = json_object_get(req, "req_id");
    if (json_is_string(r))
        return json_incref(r);
    if (json_is_integer(r)) /* echo numbers as text, like Bybit's strings */
        return json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(r));
    return NULL;
}

/* subscribe/unsubscribe/auth answer for spot, linear, inverse, private */
static json_t *op_ack(struct conn *c, json_t *req, const char *op, int ok,
                      const char *msg)
{
    json_t *rid = req_id_of(req);
    json_t *a = json_object();
    json_object_set_new(a, "success", json_boolean(ok));
    switch (c->st) {
    case ST_SPOT:
        json_object_set_new(a, "ret_msg", json_string(ok ? op : msg));
        json_object_set_new(a, "conn_id", json_string(c->conn_id));
        if (rid)
            json_object_set(a, "req_id", rid);
        break;
    case ST_LINEAR:
    case ST_INVERSE:
        json_object_set_new(a, "ret_msg", json_string(ok ? "" : msg));
        json_object_set_new(a, "conn_id", json_string(c->conn_id));
        json_object_set_new(a, "req_id",
                            rid ? json_incref(rid) : json_string(""));
        break;
    default:
        json_object_set_new(a, "ret_msg", json_string(ok ? "" : msg));
        json_object_set_new(a, "op", json_string(op));
        json_object_set_new(a, "conn_id", json_string(c->conn_id));
        if (rid)
            json_object_set(a, "req_id", rid);
        json_decref(rid);
        return a;
    }
    json_object_set_new(a, "op", json_string(op));
    json_decref(rid);
    return a;
}

static json_t *option_ack(struct conn *c, json_t *ok, json_t *fail)
{
    json_t *a = json_object();
    json_object_set_new(a, "success", json_boolean(json_array_size(fail) == 0));
    json_object_set_new(a, "conn_id", json_string(c->conn_id));
    json_object_set_new(
        a, "data",
        json_pack("{s:o,s:o}", "failTopics", fail, "successTopics", ok));
    json_object_set_new(a, "type", json_string("COMMAND_RESP"));
    return a;
}

static json_t *pong(struct conn *c, json_t *req)
{
    json_t *rid = req_id_of(req);
    json_t *a = json_object();
    char ms[24];
    snprintf(ms, sizeof(ms), "%llu", (unsigned long long)now_ms());
    switch (c->st) {
    case ST_OPTION:
        json_object_set_new(a, "args", json_pack("[s]", ms));
        json_object_set_new(a, "op", json_string("pong"));
        break;
    case ST_PRIVATE:
        if (rid)
            json_object_set(a, "req_id", rid);
        json_object_set_new(a, "op", json_string("pong"));
        json_object_set_new(a, "args", json_pack("[s]", ms));
        json_object_set_new(a, "conn_id", json_string(c->conn_id));
        break;
    default:
        json_decref(a);
        a = op_ack(c, req, "ping", 1, NULL);
        json_object_set_new(a, "ret_msg", json_string("pong"));
        break;
    }
    json_decref(rid);
    return a;
}

/* ---- request handlers ---- */

static json_t *log_rec(const char *op, json_t *req)
{
    json_t *rec = json_pack("{s:s}", "op", op);
    json_t *rid = req_id_of(req);
    if (rid)
        json_object_set_new(rec, "req_id", rid);
    json_t *args = json_object_get(req, "args");
    if (args)
        json_object_set(rec, "args", args);
    return rec;
}

/* check one topic for subscribe; NULL = fine, else Bybit's message */
static const char *sub_check(struct conn *c, const char *topic,
                             struct topic_info *ti, char *msg, size_t n)
{
    if (topic_parse(c->st, topic, ti)) {
        snprintf(msg, n, "error:handler not found,topic:%s", topic);
        return msg;
    }
    if (sub_find(c, topic)) {
        snprintf(msg, n, "error:already subscribed,topic:%s", topic);
        return msg;
    }
    if (c->st == ST_OPTION && c->nargs >= OPTION_MAX_ARGS) {
        snprintf(msg, n, "error:args count exceeds %d,topic:%s",
                 OPTION_MAX_ARGS, topic);
        return msg;
    }
    if (c->st != ST_PRIVATE &&
        c->args_chars + strlen(topic) > PUBLIC_MAX_ARGS_CHARS) {
        snprintf(msg, n, "error:args length exceeds %d,topic:%s",
                 PUBLIC_MAX_ARGS_CHARS, topic);
        return msg;
    }
    return NULL;
}

static void do_option_subscribe(struct conn *c, json_t *args, int sub,
                                json_t *rec, int refused)
{
    json_t *ok = json_array(), *fail = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(args, i, v)
    {
        const char *topic = json_string_value(v);
        struct topic_info ti;
        char msg[SIM_TOPIC_MAX + 64];
        int good;
        if (!topic || refused)
            good = 0;
        else if (sub)
            good = sub_check(c, topic, &ti, msg, sizeof(msg)) == NULL;
        else
            good = sub_remove(c, topic) == 0;
        if (good && sub)
            sub_add(c, topic, &ti);
        json_array_append(good ? ok : fail, v);
    }
    json_object_set_new(rec, "result",
                        json_string(json_array_size(fail) ? "partial" : "ok"));
    json_object_set(rec, "failTopics", fail);
    conn_queue_json(c, option_ack(c, ok, fail));
}

static void do_subscribe(struct conn *c, json_t *req, const char *op)
{
    int sub = strcmp(op, "subscribe") == 0;
    json_t *args = json_object_get(req, "args");
    json_t *rec = log_rec(op, req);
    char msg[SIM_TOPIC_MAX + 64] = "";
    int refused = 0;

    if (sub)
        refuse_take("subscribe", c, msg, sizeof(msg), &refused);
    if (c->st == ST_OPTION && json_is_array(args)) {
        do_option_subscribe(c, args, sub, rec, refused);
        conn_log(c, rec);
        return;
    }
    if (refused && !*msg)
        snprintf(msg, sizeof(msg), "error:handler not found,topic:%s",
                 json_string_value(json_array_get(args, 0))
                     ? json_string_value(json_array_get(args, 0))
                     : "");
    const char *err = refused ? msg : NULL;
    size_t nargs = json_array_size(args);
    if (!err && (!json_is_array(args) || nargs == 0)) {
        snprintf(msg, sizeof(msg), "error:args is empty");
        err = msg;
    }
    if (!err && sub && c->st == ST_SPOT && nargs > SPOT_MAX_ARGS) {
        snprintf(msg, sizeof(msg), "error:args size >%d", SPOT_MAX_ARGS);
        err = msg;
    }
    /* private topics need auth first: the whole request is refused */
    if (!err && c->st == ST_PRIVATE && !c->authed) {
        snprintf(msg, sizeof(msg), "Request not authorized");
        err = msg;
    }
    /* per topic: valid ones take effect, the ack names the first failure */
    for (size_t i = 0; !refused && err != msg && i < nargs; i++) {
        const char *topic = json_string_value(json_array_get(args, i));
        struct topic_info ti;
        char one[SIM_TOPIC_MAX + 64];
        const char *bad = NULL;
        if (!topic) {
            snprintf(one, sizeof(one), "error:handler not found,topic:");
            bad = one;
        } else if (sub) {
            bad = sub_check(c, topic, &ti, one, sizeof(one));
            if (!bad)
                sub_add(c, topic, &ti);
        } else if (sub_remove(c, topic)) {
            snprintf(one, sizeof(one), "error:not subscribed,topic:%s", topic);
            bad = one;
        }
        if (bad && !err) {
            snprintf(msg, sizeof(msg), "%s", bad);
            err = msg;
        }
    }
    json_object_set_new(rec, "result", json_string(err ? err : "ok"));
    conn_log(c, rec);
    conn_queue_json(c, op_ack(c, req, op, err == NULL, err));
}

static void do_ping(struct conn *c, json_t *req)
{
    json_t *rec = log_rec("ping", req);
    json_object_set_new(rec, "answered", json_boolean(!c->stall_pongs));
    conn_log(c, rec);
    if (!c->stall_pongs)
        conn_queue_json(c, pong(c, req));
}

static void do_auth(struct conn *c, json_t *req)
{
    json_t *args = json_object_get(req, "args");
    const char *key = json_string_value(json_array_get(args, 0));
    json_t *jexp = json_array_get(args, 1);
    const char *sig = json_string_value(json_array_get(args, 2));
    /* docs and pybit send expires as a number, ccxt as a decimal string */
    int64_t expires = json_is_integer(jexp) ? json_integer_value(jexp)
                      : json_is_string(jexp)
                          ? strtoll(json_string_value(jexp), NULL, 10)
                          : 0;
    const char *why = "bad arguments";
    char msg[128] = "";
    int refused = 0, ok = 0;

    refuse_take("auth", c, msg, sizeof(msg), &refused);
    if (refused)
        why = "refused by control";
    else if (c->authed)
        why = "already authorized";
    else if (key && sig && json_array_size(args) == 3)
        ok = ws_auth_check(key, expires, sig, &why) == 0;

    int was_authed = c->authed;
    if (ok) {
        c->authed = 1;
        snprintf(c->auth_key, sizeof(c->auth_key), "%s", key);
    } else {
        c->auth_failed++;
    }
    json_t *rec = log_rec("auth", req);
    json_object_set_new(rec, "result", json_string(ok ? "ok" : why));
    conn_log(c, rec);
    if (!refused || !*msg)
        snprintf(msg, sizeof(msg), "%s",
                 was_authed && !refused ? "Request already authorized"
                                        : "Params Error");
    json_t *a = json_pack("{s:b,s:s,s:s,s:s}", "success", ok, "ret_msg",
                          ok ? "" : msg, "op", "auth", "conn_id", c->conn_id);
    conn_queue_json(c, a);
}

static void do_unknown(struct conn *c, json_t *req, const char *raw, size_t len,
                       const char *op)
{
    json_t *rec = json_pack("{s:s,s:s%}", "op", op ? op : "invalid", "raw", raw,
                            len > 200 ? (size_t)200 : len);
    if (!rec) /* not UTF-8: log without the raw text */
        rec = json_pack("{s:s}", "op", op ? op : "invalid");
    conn_log(c, rec);
    char msg[160];
    snprintf(msg, sizeof(msg), "error:handler not found,op:%s", op ? op : "");
    if (c->st == ST_OPTION) {
        json_t *a = json_pack("{s:b,s:s,s:s,s:s}", "success", 0, "ret_msg", msg,
                              "conn_id", c->conn_id, "type", "COMMAND_RESP");
        conn_queue_json(c, a);
        return;
    }
    conn_queue_json(c, op_ack(c, req, op ? op : "", 0, msg));
}

void proto_on_frame(struct conn *c, const char *buf, size_t len)
{
    json_error_t err;
    json_t *req = json_loadb(buf, len, 0, &err);
    const char *op = json_string_value(json_object_get(req, "op"));
    LOG_DBG("conn %u rx: %.*s", c->id, (int)(len > 300 ? 300 : len), buf);

    if (!op)
        do_unknown(c, req, buf, len, NULL);
    else if (!strcmp(op, "subscribe") || !strcmp(op, "unsubscribe"))
        do_subscribe(c, req, op);
    else if (!strcmp(op, "ping"))
        do_ping(c, req);
    else if (!strcmp(op, "auth") && c->st == ST_PRIVATE)
        do_auth(c, req);
    else
        do_unknown(c, req, buf, len, op);
    json_decref(req);
}

struct conn *conn_find(unsigned id)
{
    for (struct conn *c = g_conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}
