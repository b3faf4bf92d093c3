/*
 * Faults injected on command from the control server.  Everything runs on
 * the service thread: a fault only sets state on the connection and asks
 * for WRITEABLE; the send loop acts on it (reset, close) or the protocol
 * code consults it (stalls).  Garbage frames are queued like acks, so they
 * reach the client in order with the data.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_OVERSIZE (2u * 1024u * 1024u)

/* "client": "all" | id (number or string); "path": stream path filter */
int conn_matches(const struct conn *c, json_t *req)
{
    if (!c->open)
        return 0;
    json_t *cl = json_object_get(req, "client");
    if (json_is_integer(cl) && (unsigned)json_integer_value(cl) != c->id)
        return 0;
    if (json_is_string(cl) && strcmp(json_string_value(cl), "all") != 0 &&
        (unsigned)atoi(json_string_value(cl)) != c->id)
        return 0;
    const char *path = json_string_value(json_object_get(req, "path"));
    if (path && *path && strcmp(path, c->path) != 0)
        return 0;
    return 1;
}

static const char *first_topic(const struct conn *c)
{
    return c->subs ? c->subs->topic : "publicTrade.BTCUSDT";
}

static void garbage_text(struct conn *c, const char *what, size_t size,
                         struct obuf *b)
{
    unsigned long long ts = (unsigned long long)now_ms();
    char head[SIM_TOPIC_MAX + 96];
    snprintf(head, sizeof(head),
             "{\"topic\":\"%s\",\"type\":\"snapshot\",\"ts\":%llu,",
             first_topic(c), ts);
    if (!strcmp(what, "invalid_json")) {
        /* a data frame with a missing comma between two members */
        ob_puts(b, head);
        ob_puts(b, "\"data\":[{\"T\":1,\"s\":\"BTCUSDT\" \"S\":\"Buy\"}]}");
    } else if (!strcmp(what, "truncated")) {
        ob_puts(b, head);
        ob_puts(b, "\"data\":[{\"T\":1,\"s\":\"BTCUSDT\",\"S\":\"Bu");
    } else if (!strcmp(what, "unknown_topic")) {
        char t[160];
        snprintf(t, sizeof(t),
                 "{\"topic\":\"unknownTopic.BTCUSDT\",\"type\":"
                 "\"snapshot\",\"ts\":%llu,\"data\":{\"s\":\"BTCUSDT\"}}",
                 ts);
        ob_puts(b, t);
    } else if (!strcmp(what, "wrong_shape")) {
        /* valid JSON: ts as a string and data as a string */
        char t[SIM_TOPIC_MAX + 96];
        snprintf(t, sizeof(t),
                 "{\"topic\":\"%s\",\"type\":\"snapshot\","
                 "\"ts\":\"%llu\",\"data\":\"not an object\"}",
                 first_topic(c), ts);
        ob_puts(b, t);
    } else {
        /* oversized: valid JSON padded to the requested size */
        ob_puts(b, head);
        ob_puts(b, "\"data\":[],\"pad\":\"");
        size_t tail = 2;
        while (b->len + tail < size)
            ob_putc(b, 'x');
        ob_puts(b, "\"}");
    }
}

void fault_garbage(struct conn *c, const char *what, size_t size)
{
    if (!strcmp(what, "binary")) {
        unsigned char bin[64];
        for (size_t i = 0; i < sizeof(bin); i++)
            bin[i] = (unsigned char)(i * 37 + 1);
        conn_queue_frame(c, 0x2, (const char *)bin, sizeof(bin));
        return;
    }
    struct obuf b = {0};
    garbage_text(c, what, size, &b);
    conn_queue_text(c, b.p, b.len);
    ob_free(&b);
}

static int valid_what(const char *w)
{
    static const char *ok[] = {
        "invalid_json",  "truncated",   "binary", "oversized",
        "unknown_topic", "wrong_shape", NULL};
    for (const char **p = ok; *p; p++)
        if (!strcmp(w, *p))
            return 1;
    return 0;
}

static void apply_one(struct conn *c, const char *kind, const char *what,
                      json_t *req)
{
    json_int_t count = json_integer_value(json_object_get(req, "count"));
    json_int_t size = json_integer_value(json_object_get(req, "size"));
    json_int_t code = json_integer_value(json_object_get(req, "code"));
    if (!strcmp(kind, "reset")) {
        c->pending_reset = 1;
    } else if (!strcmp(kind, "close")) {
        c->pending_close = 1;
        c->close_code = code ? (int)code : 1001;
    } else if (!strcmp(kind, "stall_pongs")) {
        c->stall_pongs = 1;
    } else if (!strcmp(kind, "stall_data")) {
        c->stall_data = 1;
    } else if (!strcmp(kind, "resume")) {
        c->stall_pongs = c->stall_data = 0;
    } else if (!strcmp(kind, "garbage")) {
        for (json_int_t i = 0; i < (count > 0 ? count : 1); i++)
            fault_garbage(c, what, size > 0 ? (size_t)size : DEFAULT_OVERSIZE);
    } else if (!strcmp(kind, "skip_u")) {
        for (struct sub *s = c->subs; s; s = s->next)
            if (s->ti.fam == TF_ORDERBOOK)
                s->skip_u = 1;
    }
    conn_log(c, json_pack("{s:s,s:s}", "op", "fault", "kind", kind));
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

json_t *fault_apply(json_t *req, char *err, size_t errlen)
{
    static const char *kinds[] = {"reset",      "close",  "stall_pongs",
                                  "stall_data", "resume", "garbage",
                                  "skip_u",     NULL};
    const char *kind = json_string_value(json_object_get(req, "kind"));
    const char *what = json_string_value(json_object_get(req, "what"));
    int known = 0;
    for (const char **k = kinds; kind && *k; k++)
        known |= !strcmp(kind, *k);
    if (!known) {
        snprintf(err, errlen, "unknown or missing \"kind\"");
        return NULL;
    }
    if (!strcmp(kind, "garbage") && (!what || !valid_what(what))) {
        snprintf(err, errlen,
                 "garbage needs \"what\": invalid_json|truncated|"
                 "binary|oversized|unknown_topic|wrong_shape");
        return NULL;
    }
    json_t *ids = json_array();
    for (struct conn *c = g_conns; c; c = c->next) {
        if (!conn_matches(c, req))
            continue;
        apply_one(c, kind, what, req);
        json_array_append_new(ids, json_integer(c->id));
    }
    return json_pack("{s:b,s:s,s:o}", "ok", 1, "kind", kind, "clients", ids);
}

json_t *skip_u_apply(json_t *req)
{
    json_t *ids = json_array();
    const char *topic = json_string_value(json_object_get(req, "topic"));
    for (struct conn *c = g_conns; c; c = c->next) {
        if (!conn_matches(c, req))
            continue;
        int hit = 0;
        for (struct sub *s = c->subs; s; s = s->next) {
            if (s->ti.fam != TF_ORDERBOOK || (topic && strcmp(topic, s->topic)))
                continue;
            s->skip_u = 1;
            hit = 1;
        }
        if (hit)
            json_array_append_new(ids, json_integer(c->id));
    }
    return json_pack("{s:b,s:o}", "ok", 1, "clients", ids);
}
