/*
 * bybit_normalize.c — frames into event descriptions (see the header).
 */
#include "bybit_normalize.h"

#include <stdlib.h>
#include <string.h>

/* Order matters only for readability; lookups compare the whole name. */
static const struct bybit_family families[] = {
    {"publicTrade", WSGW_CLASS_TRADES, "trade", BYBIT_SYM_TOPIC, 1, 0, 0},
    {"tickers", WSGW_CLASS_TICKERS, "ticker", BYBIT_SYM_TOPIC, 1, 0, 0},
    {"orderbook", WSGW_CLASS_ORDERBOOK, "orderbook", BYBIT_SYM_TOPIC, 2, 1, 0},
    {"kline", WSGW_CLASS_KLINES, "kline", BYBIT_SYM_TOPIC, 2, 0, 0},
    {"allLiquidation", WSGW_CLASS_LIQUIDATIONS, "liquidation", BYBIT_SYM_TOPIC,
     1, 0, 0},
    /* deprecated by Bybit in 2025, still routed where it appears */
    {"liquidation", WSGW_CLASS_LIQUIDATIONS, "liquidation", BYBIT_SYM_TOPIC, 1,
     0, 0},
    {"order", WSGW_CLASS_ORDER_STATUS, "order", BYBIT_SYM_ITEM, 0, 0, 0},
    {"execution", WSGW_CLASS_EXECUTIONS, "execution", BYBIT_SYM_ITEM, 0, 0, 0},
    {"position", WSGW_CLASS_POSITIONS, "position", BYBIT_SYM_ITEM, 0, 0, 0},
    {"wallet", WSGW_CLASS_BALANCES, "balance", BYBIT_SYM_NONE, 0, 0, 1},
    /* the rarer topics: class other, event_type = the family name */
    {"insurance", WSGW_CLASS_OTHER, "insurance", BYBIT_SYM_NONE, 0, 0, 0},
    {"adlAlert", WSGW_CLASS_OTHER, "adlAlert", BYBIT_SYM_NONE, 0, 0, 0},
    {"priceLimit", WSGW_CLASS_OTHER, "priceLimit", BYBIT_SYM_TOPIC, 1, 0, 0},
    {"greeks", WSGW_CLASS_OTHER, "greeks", BYBIT_SYM_NONE, 0, 0, 0},
    {"system.status", WSGW_CLASS_OTHER, "system.status", BYBIT_SYM_NONE, 0, 0,
     0},
    {"strategy", WSGW_CLASS_OTHER, "strategy", BYBIT_SYM_ITEM, 0, 0, 0},
    {"dcp", WSGW_CLASS_OTHER, "dcp", BYBIT_SYM_NONE, 0, 0, 0},
    /* spot leveraged tokens (deprecated pages, still served) */
    {"kline_lt", WSGW_CLASS_OTHER, "kline_lt", BYBIT_SYM_TOPIC, 2, 0, 0},
    {"tickers_lt", WSGW_CLASS_OTHER, "tickers_lt", BYBIT_SYM_TOPIC, 1, 0, 0},
    {"lt", WSGW_CLASS_OTHER, "lt", BYBIT_SYM_TOPIC, 1, 0, 0},
};

const struct bybit_family *bybit_family_of(const char *topic, size_t len)
{
    static const char status[] = "system.status";
    size_t flen = 0;
    if (len == sizeof status - 1 && memcmp(topic, status, len) == 0) {
        flen = len;
    } else {
        while (flen < len && topic[flen] != '.')
            flen++;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        const char *name = families[i].name;
        if (strlen(name) == flen && memcmp(name, topic, flen) == 0)
            return &families[i];
    }
    return NULL;
}

/* Glue between the copied parts of a payload. */
static const char G_TOPIC[] = ",\"topic\":";
static const char G_TOPIC_FIRST[] = "\"topic\":";
static const char G_TYPE[] = ",\"type\":";
static const char G_CTS[] = ",\"cts\":";
static const char G_CLOSE[] = "}";
static const char G_DATA[] = "{\"data\":";
static const char G_ID[] = ",\"id\":";
static const char G_CTIME[] = ",\"creationTime\":";

static int malformed(struct bybit_norm *n, const char *why)
{
    n->why = why;
    n->nev = 0;
    n->niov = 0;
    return BYBIT_FRAME_MALFORMED;
}

static int add_iov(struct bybit_norm *n, const char *p, size_t len)
{
    if (n->niov == n->cap_iov) {
        size_t cap = n->cap_iov ? n->cap_iov * 2 : 256;
        struct wsgw_iov *v = realloc(n->iov, cap * sizeof *v);
        if (!v)
            return -1;
        n->iov = v;
        n->cap_iov = cap;
    }
    n->iov[n->niov].base = p;
    n->iov[n->niov].len = len;
    n->niov++;
    return 0;
}

#define ADD_LIT(n, lit) add_iov((n), (lit), sizeof(lit) - 1)

static struct bybit_norm_event *add_event(struct bybit_norm *n)
{
    if (n->nev == n->cap_ev) {
        size_t cap = n->cap_ev ? n->cap_ev * 2 : 64;
        struct bybit_norm_event *e = realloc(n->ev, cap * sizeof *e);
        if (!e)
            return NULL;
        n->ev = e;
        n->cap_ev = cap;
    }
    struct bybit_norm_event *e = &n->ev[n->nev++];
    memset(e, 0, sizeof *e);
    e->iov_off = n->niov;
    return e;
}

static void set_category(struct bybit_norm_event *e, const char *s, size_t len)
{
    if (len >= sizeof e->category)
        len = sizeof e->category - 1;
    memcpy(e->category, s, len);
    e->category[len] = '\0';
}

/* One event for one object item. Returns 0 or -1 (out of memory). */
static int item_event(struct bybit_norm *n, const struct bj_value *item,
                      const char *category)
{
    const struct bybit_family *fam = n->family;
    struct bybit_norm_event *e = add_event(n);
    if (!e)
        return -1;

    if (fam->sym == BYBIT_SYM_TOPIC) {
        /* the symbol follows a fixed number of dots: an option strike
         * or a future spread may itself hold a dot */
        size_t k = 0;
        int dots = 0;
        while (k < n->topic_len && dots < fam->sym_skip)
            if (n->topic[k++] == '.')
                dots++;
        if (dots == fam->sym_skip && k < n->topic_len) {
            e->symbol = n->topic + k;
            e->symbol_len = n->topic_len - k;
        }
    }
    if (category) {
        set_category(e, category, strlen(category));
    } else {
        struct bj_value v;
        const char *s;
        size_t len;
        if (bj_object_get(item, "category", &v) &&
            bj_plain_string(&v, &s, &len) == 0)
            set_category(e, s, len);
    }
    if (fam->sym == BYBIT_SYM_ITEM) {
        struct bj_value v;
        const char *s;
        size_t len;
        if (bj_object_get(item, "symbol", &v) &&
            bj_plain_string(&v, &s, &len) == 0 && len > 0) {
            e->symbol = s;
            e->symbol_len = len;
        }
    }

    /* the item without its closing brace, then the added members */
    const char *q = item->p + 1;
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')
        q++;
    int empty = *q == '}';
    if (add_iov(n, item->p, item->n - 1) < 0)
        return -1;
    if ((empty ? ADD_LIT(n, G_TOPIC_FIRST) : ADD_LIT(n, G_TOPIC)) < 0 ||
        add_iov(n, n->f.topic.p, n->f.topic.n) < 0)
        return -1;
    if (fam->orderbook) {
        if (n->f.type.kind != BJ_NONE &&
            (ADD_LIT(n, G_TYPE) < 0 ||
             add_iov(n, n->f.type.p, n->f.type.n) < 0))
            return -1;
        if (n->f.cts.kind != BJ_NONE &&
            (ADD_LIT(n, G_CTS) < 0 || add_iov(n, n->f.cts.p, n->f.cts.n) < 0))
            return -1;
    }
    if (ADD_LIT(n, G_CLOSE) < 0)
        return -1;
    e = &n->ev[n->nev - 1];
    e->iov_n = n->niov - e->iov_off;
    return 0;
}

static int wallet_event(struct bybit_norm *n)
{
    struct bybit_norm_event *e = add_event(n);
    if (!e)
        return -1;
    const struct bj_frame *f = &n->f;
    if (ADD_LIT(n, G_DATA) < 0 || add_iov(n, f->data.p, f->data.n) < 0 ||
        ADD_LIT(n, G_TOPIC) < 0 || add_iov(n, f->topic.p, f->topic.n) < 0)
        return -1;
    if (f->id.kind != BJ_NONE &&
        (ADD_LIT(n, G_ID) < 0 || add_iov(n, f->id.p, f->id.n) < 0))
        return -1;
    if (f->creation_time.kind != BJ_NONE &&
        (ADD_LIT(n, G_CTIME) < 0 ||
         add_iov(n, f->creation_time.p, f->creation_time.n) < 0))
        return -1;
    if (ADD_LIT(n, G_CLOSE) < 0)
        return -1;
    e = &n->ev[n->nev - 1];
    e->iov_n = n->niov - e->iov_off;
    return 0;
}

static int64_t frame_time(const struct bj_frame *f)
{
    int64_t t;
    const struct bj_value *v =
        f->ts.kind != BJ_NONE ? &f->ts : &f->creation_time;
    if (bj_int64(v, &t) < 0 || t < BYBIT_TS_MIN || t >= BYBIT_TS_MAX)
        return 0;
    return t;
}

int bybit_normalize(struct bybit_norm *n, const char *buf, size_t len,
                    const char *category)
{
    const char *why;
    n->nev = 0;
    n->niov = 0;
    n->why = NULL;
    n->topic = NULL;
    n->topic_len = 0;
    n->family = NULL;
    n->timestamp_ms = 0;

    if (bj_scan_frame(&n->f, buf, len, &why) < 0)
        return malformed(n, why);
    const struct bj_frame *f = &n->f;
    if (f->topic.kind == BJ_NONE)
        return BYBIT_FRAME_CONTROL;

    /* Bybit topics are short plain ASCII; anything else is not a topic */
    if (bj_plain_string(&f->topic, &n->topic, &n->topic_len) < 0 ||
        n->topic_len == 0 || n->topic_len >= 128)
        return malformed(n, BJ_WHY_SHAPE);
    n->family = bybit_family_of(n->topic, n->topic_len);
    if (!n->family)
        return malformed(n, BYBIT_WHY_UNKNOWN_TOPIC);
    n->timestamp_ms = frame_time(f);

    if (n->family->wallet) {
        if (f->data.kind != BJ_ARRAY)
            return malformed(n, BJ_WHY_SHAPE);
        if (wallet_event(n) < 0)
            return malformed(n, "out_of_memory");
        return BYBIT_FRAME_DATA;
    }
    if (f->data.kind == BJ_OBJECT) {
        if (item_event(n, &f->data, category) < 0)
            return malformed(n, "out_of_memory");
        return BYBIT_FRAME_DATA;
    }
    if (f->data.kind != BJ_ARRAY)
        return malformed(n, BJ_WHY_SHAPE);
    for (size_t i = 0; i < f->nitems; i++)
        if (f->items[i].kind != BJ_OBJECT)
            return malformed(n, BJ_WHY_SHAPE);
    for (size_t i = 0; i < f->nitems; i++)
        if (item_event(n, &f->items[i], category) < 0)
            return malformed(n, "out_of_memory");
    return BYBIT_FRAME_DATA;
}

void bybit_norm_spec(const struct bybit_norm *n, size_t i,
                     struct wsgw_event_spec *spec)
{
    const struct bybit_norm_event *e = &n->ev[i];
    memset(spec, 0, sizeof *spec);
    spec->cls = n->family->cls;
    spec->type = n->family->type;
    spec->topic = n->topic;
    spec->topic_len = n->topic_len;
    spec->category = e->category[0] ? e->category : NULL;
    spec->symbol = e->symbol;
    spec->symbol_len = e->symbol_len;
    spec->timestamp_ms = n->timestamp_ms;
    spec->payload = n->iov + e->iov_off;
    spec->payload_parts = e->iov_n;
}

void bybit_norm_free(struct bybit_norm *n)
{
    bj_frame_free(&n->f);
    free(n->ev);
    free(n->iov);
    n->ev = NULL;
    n->iov = NULL;
    n->nev = n->cap_ev = n->niov = n->cap_iov = 0;
}
