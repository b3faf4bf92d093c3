/*
 * bybit_control.c — control frames (see bybit_control.h).
 */
#include "bybit_control.h"

#include <string.h>

static const char *str_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int is(const char *s, const char *lit)
{
    return s && strcmp(s, lit) == 0;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int bybit_ctl_parse(const char *buf, size_t len, struct bybit_ctl *c)
{
    memset(c, 0, sizeof *c);
    c->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(c->root)) {
        json_decref(c->root);
        c->root = NULL;
        return -1;
    }
    json_t *r = c->root;
    const char *op = str_of(r, "op");
    const char *type = str_of(r, "type");
    const char *msg = str_of(r, "ret_msg");
    json_t *code = json_object_get(r, "retCode");

    if (json_is_integer(code)) {
        /* the order-entry stream's camelCase envelope */
        c->success = json_integer_value(code) == 0;
        copy(c->ret_msg, sizeof c->ret_msg, str_of(r, "retMsg"));
    } else {
        c->success = json_is_true(json_object_get(r, "success"));
        copy(c->ret_msg, sizeof c->ret_msg, msg);
    }
    copy(c->req_id, sizeof c->req_id, str_of(r, "req_id"));

    /* pybit/ccxt's test: ret_msg "pong" (spot/linear) or op "pong" */
    if (is(op, "pong") || (is(op, "ping") && is(msg, "pong"))) {
        c->kind = BYBIT_CTL_PONG;
        c->success = 1;
    } else if (is(op, "auth") || is(type, "AUTH_RESP")) {
        c->kind = BYBIT_CTL_AUTH;
    } else if (is(op, "subscribe")) {
        c->kind = BYBIT_CTL_SUBSCRIBE;
    } else if (is(op, "unsubscribe")) {
        c->kind = BYBIT_CTL_UNSUBSCRIBE;
    } else if (is(type, "COMMAND_RESP")) {
        c->kind = BYBIT_CTL_COMMAND;
        json_t *data = json_object_get(r, "data");
        json_t *ok = json_object_get(data, "successTopics");
        json_t *bad = json_object_get(data, "failTopics");
        c->success_topics = json_is_array(ok) ? ok : NULL;
        c->fail_topics = json_is_array(bad) ? bad : NULL;
    } else {
        c->kind = BYBIT_CTL_UNKNOWN;
    }
    return 0;
}

void bybit_ctl_free(struct bybit_ctl *c)
{
    json_decref(c->root);
    memset(c, 0, sizeof *c);
}

int bybit_failed_topic(const char *ret_msg, char *out, size_t cap)
{
    const char *p = ret_msg ? strstr(ret_msg, "topic:") : NULL;
    if (!p)
        return 0;
    p += 6;
    size_t n = strcspn(p, ", ;]\"");
    if (n == 0 || n >= cap)
        return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}
