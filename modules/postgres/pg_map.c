/*
 * pg_map.c — wallet and position payloads to rows, driven by the column
 * tables of pg_table.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pg_map.h"

void pg_rowvec_clear(struct pg_rowvec *rv)
{
    for (size_t i = 0; i < rv->n; i++)
        pg_row_free(rv->v[i]);
    free(rv->v);
    memset(rv, 0, sizeof(*rv));
}

static int rowvec_push(struct pg_rowvec *rv, struct pg_row *r)
{
    if (rv->n == rv->cap) {
        size_t cap = rv->cap ? rv->cap * 2 : 8;
        struct pg_row **v = realloc(rv->v, cap * sizeof(*v));
        if (!v)
            return WSGW_ERR;
        rv->v = v;
        rv->cap = cap;
    }
    rv->v[rv->n++] = r;
    return WSGW_OK;
}

/* The state of building one row. */
struct rowb {
    const char *vals[PG_MAX_COLS];
    size_t lens[PG_MAX_COLS];
    char tmp[PG_MAX_COLS][40]; /* formatted numbers and times */
    int warned;
};

static void set_str(struct rowb *b, size_t i, const char *s, size_t len)
{
    b->vals[i] = s;
    b->lens[i] = len;
}

static void set_tmp(struct rowb *b, size_t i)
{
    set_str(b, i, b->tmp[i], strlen(b->tmp[i]));
}

/* 1 when s is an optionally signed run of digits. */
static int is_integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The field `key` of o, or NULL when absent, null or "". */
static json_t *field(json_t *o, const char *key)
{
    json_t *v = key ? json_object_get(o, key) : NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v) && json_string_length(v) == 0)
        return NULL;
    return v;
}

static void fill_dec(struct rowb *b, size_t i, json_t *v)
{
    if (json_is_string(v)) {
        set_str(b, i, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        snprintf(b->tmp[i], sizeof(b->tmp[i]), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        set_tmp(b, i);
    } else {
        /* A JSON real already went through a double: not exact. */
        b->warned = 1;
    }
}

static void fill_int(struct rowb *b, size_t i, json_t *v)
{
    if (json_is_integer(v)) {
        snprintf(b->tmp[i], sizeof(b->tmp[i]), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        set_tmp(b, i);
    } else if (json_is_string(v) && is_integer_text(json_string_value(v))) {
        set_str(b, i, json_string_value(v), json_string_length(v));
    } else {
        b->warned = 1;
    }
}

static void fill_bool(struct rowb *b, size_t i, json_t *v)
{
    const char *s = NULL;
    if (json_is_boolean(v))
        s = json_is_true(v) ? "t" : "f";
    else if (json_is_string(v) && strcmp(json_string_value(v), "true") == 0)
        s = "t";
    else if (json_is_string(v) && strcmp(json_string_value(v), "false") == 0)
        s = "f";
    if (s)
        set_str(b, i, s, 1);
    else
        b->warned = 1;
}

static void fill_ms_time(struct rowb *b, size_t i, json_t *v)
{
    long long ms;
    if (json_is_integer(v)) {
        ms = (long long)json_integer_value(v);
    } else if (json_is_string(v) && is_integer_text(json_string_value(v))) {
        ms = strtoll(json_string_value(v), NULL, 10);
    } else {
        b->warned = 1;
        return;
    }
    wsgw_time_format((int64_t)ms, b->tmp[i]);
    set_tmp(b, i);
}

/*
 * Build a row of table t from item o (parent: the enclosing account item
 * or NULL; raw: the payload text for PG_SRC_RAW) and append it.
 */
static int map_row(enum pg_table t, json_t *o, json_t *parent, const char *raw,
                   size_t raw_len, const struct pg_evmeta *m,
                   struct pg_rowvec *out, int *warned)
{
    const struct pg_table_def *d = pg_table_def(t);
    struct rowb b;
    int64_t ev_ms = m->event_ms > 0 ? m->event_ms : m->received_ms;

    memset(b.vals, 0, sizeof(b.vals));
    b.warned = 0;
    for (size_t i = 0; i < d->ncols; i++) {
        const struct pg_col *c = &d->cols[i];
        json_t *v;
        switch (c->src) {
        case PG_SRC_DEC:
        case PG_SRC_TEXT:
        case PG_SRC_BOOL:
        case PG_SRC_INT:
        case PG_SRC_MS_TIME:
            v = field(o, c->key);
            if (!v && c->alt)
                v = field(o, c->alt);
            if (!v) {
                /* A text field sent as "" stays "" (flat side). */
                json_t *e = json_object_get(o, c->key);
                if (c->src == PG_SRC_TEXT && json_is_string(e))
                    set_str(&b, i, "", 0);
                break;
            }
            if (c->src == PG_SRC_DEC)
                fill_dec(&b, i, v);
            else if (c->src == PG_SRC_INT)
                fill_int(&b, i, v);
            else if (c->src == PG_SRC_BOOL)
                fill_bool(&b, i, v);
            else if (c->src == PG_SRC_MS_TIME)
                fill_ms_time(&b, i, v);
            else if (json_is_string(v))
                set_str(&b, i, json_string_value(v), json_string_length(v));
            else
                b.warned = 1;
            break;
        case PG_SRC_PARENT:
            v = parent ? field(parent, c->key) : NULL;
            if (v && json_is_string(v))
                set_str(&b, i, json_string_value(v), json_string_length(v));
            break;
        case PG_SRC_CONST:
            set_str(&b, i, c->key, strlen(c->key));
            break;
        case PG_SRC_RAW:
            set_str(&b, i, raw, raw_len);
            break;
        case PG_SRC_EVENT_ID:
            if (m->event_id && m->event_id[0])
                set_str(&b, i, m->event_id, strlen(m->event_id));
            break;
        case PG_SRC_EVENT_TS:
            wsgw_time_format(ev_ms, b.tmp[i]);
            set_tmp(&b, i);
            break;
        case PG_SRC_RECEIVED:
            wsgw_time_format(m->received_ms, b.tmp[i]);
            set_tmp(&b, i);
            break;
        case PG_SRC_TRACE_ID:
            if (m->trace_id && m->trace_id[0])
                set_str(&b, i, m->trace_id, strlen(m->trace_id));
            break;
        }
    }
    if (b.warned && warned)
        *warned = 1;
    struct pg_row *r = pg_row_new(t, d->ncols, b.vals, b.lens);
    if (!r || rowvec_push(out, r) != WSGW_OK) {
        pg_row_free(r);
        return WSGW_ERR;
    }
    return WSGW_OK;
}

/* Undo what was appended since `mark`. */
static void rowvec_truncate(struct pg_rowvec *rv, size_t mark)
{
    while (rv->n > mark)
        pg_row_free(rv->v[--rv->n]);
}

int pg_map_wallet(const char *payload, size_t len, const struct pg_evmeta *m,
                  struct pg_rowvec *out, int *warned, struct wsgw_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(payload, len, 0, &jerr);
    if (!root)
        return wsgw_err_set(err, NULL, "wallet payload is not JSON: %s",
                            jerr.text);
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        json_decref(root);
        return wsgw_err_set(err, NULL, "wallet payload has no data array");
    }
    size_t mark = out->n;
    size_t i;
    json_t *acct;
    json_array_foreach(data, i, acct)
    {
        json_t *coins = json_object_get(acct, "coin");
        if (!json_is_object(acct) || (coins && !json_is_array(coins))) {
            rowvec_truncate(out, mark);
            json_decref(root);
            return wsgw_err_set(err, NULL,
                                "wallet data[%zu] is not an account item", i);
        }
        if (map_row(PG_T_MARGIN, acct, NULL, NULL, 0, m, out, warned) !=
            WSGW_OK)
            goto oom;
        size_t j;
        json_t *coin;
        json_array_foreach(coins, j, coin)
        {
            if (!json_is_object(coin) || !field(coin, "coin")) {
                rowvec_truncate(out, mark);
                json_decref(root);
                return wsgw_err_set(
                    err, NULL, "wallet data[%zu].coin[%zu] has no coin", i, j);
            }
            if (map_row(PG_T_BALANCES, coin, acct, NULL, 0, m, out, warned) !=
                WSGW_OK)
                goto oom;
        }
    }
    json_decref(root);
    return WSGW_OK;
oom:
    rowvec_truncate(out, mark);
    json_decref(root);
    return wsgw_err_set(err, NULL, "out of memory");
}

int pg_map_position(const char *payload, size_t len, const struct pg_evmeta *m,
                    struct pg_rowvec *out, int *warned, struct wsgw_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(payload, len, 0, &jerr);
    if (!root)
        return wsgw_err_set(err, NULL, "position payload is not JSON: %s",
                            jerr.text);
    if (!json_is_object(root) || !field(root, "symbol")) {
        json_decref(root);
        return wsgw_err_set(err, NULL, "position payload has no symbol");
    }
    int rc = map_row(PG_T_POSITIONS, root, NULL, payload, len, m, out, warned);
    json_decref(root);
    if (rc != WSGW_OK)
        return wsgw_err_set(err, NULL, "out of memory");
    return WSGW_OK;
}
