/*
 * Message templates, loaded from the real sample messages at start.
 *
 * Each sample row is parsed once with jansson; the fields that must change
 * per message (topic, times, symbol, prices, ids, book levels, sequence
 * numbers) are replaced by marker strings, the row is dumped back to compact
 * JSON (jansson keeps key order) and the text is cut at the markers into
 * literal segments and slots.  Rendering a frame is then memcpy of literals
 * plus a few integer conversions: no jansson on the hot path, and every
 * message keeps the exact shape and key order of its sample.
 */
#include "sim.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_ALL_PUBLIC                                                           \
    ((1u << ST_SPOT) | (1u << ST_LINEAR) | (1u << ST_INVERSE) |                \
     (1u << ST_OPTION))
#define S_FUT ((1u << ST_LINEAR) | (1u << ST_INVERSE))
#define C_ANY (-1)

struct tspec {
    unsigned streams;
    enum family fam;
    enum variant var;
    int cat; /* private: category, C_ANY otherwise */
    const char *file;
    int row; /* 1-based line in the file */
    struct tmpl *t;
};

/* Which sample row each message kind is built from (see README). */
static struct tspec specs[] = {
    {1u << ST_SPOT, TF_ORDERBOOK, TV_SNAPSHOT, C_ANY, "public-spot.jsonl", 3,
     NULL},
    {1u << ST_SPOT, TF_ORDERBOOK, TV_DELTA, C_ANY, "public-spot.jsonl", 4,
     NULL},
    {S_ALL_PUBLIC, TF_ORDERBOOK, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 1,
     NULL},
    {S_ALL_PUBLIC, TF_ORDERBOOK, TV_DELTA, C_ANY, "public-linear.jsonl", 2,
     NULL},
    {1u << ST_SPOT, TF_TRADE, TV_SNAPSHOT, C_ANY, "public-spot.jsonl", 6, NULL},
    {S_FUT, TF_TRADE, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 13, NULL},
    {1u << ST_OPTION, TF_TRADE, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 13,
     NULL},
    {1u << ST_SPOT, TF_TICKER, TV_SNAPSHOT, C_ANY, "public-spot.jsonl", 7,
     NULL},
    {1u << ST_LINEAR, TF_TICKER, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 9,
     NULL},
    {1u << ST_LINEAR, TF_TICKER, TV_DELTA, C_ANY, "public-linear.jsonl", 10,
     NULL},
    {1u << ST_INVERSE, TF_TICKER, TV_SNAPSHOT, C_ANY, "public-inverse.jsonl", 1,
     NULL},
    {1u << ST_INVERSE, TF_TICKER, TV_DELTA, C_ANY, "public-inverse.jsonl", 2,
     NULL},
    {1u << ST_OPTION, TF_TICKER, TV_SNAPSHOT, C_ANY, "public-option.jsonl", 2,
     NULL},
    {S_ALL_PUBLIC, TF_KLINE, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 14,
     NULL},
    {S_FUT, TF_ALLLIQ, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 16, NULL},
    {S_FUT, TF_LIQ, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 17, NULL},
    {S_FUT, TF_INSURANCE, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 19, NULL},
    {S_FUT, TF_ADL, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 20, NULL},
    {S_ALL_PUBLIC, TF_PRICELIMIT, TV_SNAPSHOT, C_ANY, "public-linear.jsonl", 22,
     NULL},
    {1u << ST_PRIVATE, TF_ORDER, TV_SNAPSHOT, CAT_OPTION, "private.jsonl", 1,
     NULL},
    {1u << ST_PRIVATE, TF_ORDER, TV_SNAPSHOT, C_ANY, "private.jsonl", 2, NULL},
    {1u << ST_PRIVATE, TF_EXEC, TV_SNAPSHOT, C_ANY, "private.jsonl", 3, NULL},
    {1u << ST_PRIVATE, TF_EXECFAST, TV_SNAPSHOT, C_ANY, "private.jsonl", 6,
     NULL},
    {1u << ST_PRIVATE, TF_POSITION, TV_SNAPSHOT, CAT_INVERSE, "private.jsonl",
     9, NULL},
    {1u << ST_PRIVATE, TF_POSITION, TV_SNAPSHOT, C_ANY, "private.jsonl", 7,
     NULL},
    {1u << ST_PRIVATE, TF_WALLET, TV_SNAPSHOT, C_ANY, "private.jsonl", 12,
     NULL},
    {1u << ST_PRIVATE, TF_GREEKS, TV_SNAPSHOT, C_ANY, "private.jsonl", 13,
     NULL},
    {1u << ST_PRIVATE, TF_STRATEGY, TV_SNAPSHOT, C_ANY, "private.jsonl", 14,
     NULL},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static json_t *g_rest_wallet;
static char g_dir[PATH_MAX + 64];

/* ---- markers ---- */

static json_t *marker(enum slot s)
{
    char m[4] = {'\x01', (char)('0' + s / 10), (char)('0' + s % 10), 0};
    return json_string(m);
}

static void set_slot(json_t *obj, const char *key, enum slot s)
{
    if (json_object_get(obj, key))
        json_object_set_new(obj, key, marker(s));
}

/* price fields that are blank or zero in the sample stay as they are */
static void set_price(json_t *obj, const char *key, enum slot s)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (v && *v && strcmp(v, "0") != 0)
        json_object_set_new(obj, key, marker(s));
}

struct keyslot {
    const char *key;
    enum slot slot;
};

static void set_slots(json_t *obj, const struct keyslot *ks)
{
    for (; ks->key; ks++)
        set_slot(obj, ks->key, ks->slot);
}

static void mark_private_item(json_t *it)
{
    static const struct keyslot ks[] = {
        {"category", SL_CATEGORY},
        {"symbol", SL_SYM},
        {"orderId", SL_UUID},
        {"execId", SL_UUID},
        {"createdTime", SL_TS_STR},
        {"updatedTime", SL_TS_STR},
        {"execTime", SL_TS_STR},
        {"seq", SL_XSEQ},
        {NULL, 0},
    };
    static const char *prices[] = {"price",
                                   "avgPrice",
                                   "execPrice",
                                   "orderPrice",
                                   "lastPriceOnCreated",
                                   "entryPrice",
                                   "markPrice",
                                   NULL};
    set_slots(it, ks);
    for (const char **p = prices; *p; p++)
        set_price(it, *p, SL_PRICE);
}

static void mark_item(json_t *it, enum family fam, enum stream st)
{
    static const struct keyslot book[] = {{"s", SL_SYM},    {"b", SL_BIDS},
                                          {"a", SL_ASKS},   {"u", SL_U},
                                          {"seq", SL_XSEQ}, {NULL, 0}};
    static const struct keyslot trade[] = {
        {"T", SL_TRADE_T},  {"s", SL_SYM},    {"S", SL_SIDE},
        {"v", SL_QTY},      {"p", SL_PRICE},  {"L", SL_TICKDIR},
        {"i", SL_TRADE_ID}, {"seq", SL_XSEQ}, {"mP", SL_MARK},
        {NULL, 0}};
    static const struct keyslot ticker[] = {
        {"symbol", SL_SYM},      {"lastPrice", SL_PRICE},
        {"markPrice", SL_MARK},  {"bid1Price", SL_BID},
        {"ask1Price", SL_ASK},   {"bidPrice", SL_BID},
        {"askPrice", SL_ASK},    {"bid1Size", SL_QTY},
        {"ask1Size", SL_QTY},    {"bidSize", SL_QTY},
        {"askSize", SL_QTY},     {"highPrice24h", SL_HIGH},
        {"lowPrice24h", SL_LOW}, {NULL, 0}};
    static const struct keyslot kline[] = {
        {"start", SL_KSTART}, {"end", SL_KEND},           {"open", SL_OPEN},
        {"close", SL_PRICE},  {"high", SL_HIGH},          {"low", SL_LOW},
        {"timestamp", SL_TS}, {"interval", SL_KINTERVAL}, {NULL, 0}};
    static const struct keyslot liq[] = {
        {"T", SL_TRADE_T},   {"s", SL_SYM},     {"S", SL_SIDE},
        {"v", SL_QTY},       {"p", SL_PRICE},   {"updatedTime", SL_TS},
        {"symbol", SL_SYM},  {"side", SL_SIDE}, {"size", SL_QTY},
        {"price", SL_PRICE}, {NULL, 0}};
    static const struct keyslot plim[] = {{"symbol", SL_SYM},
                                          {"buyLmt", SL_PRICE_UP},
                                          {"sellLmt", SL_PRICE_DN},
                                          {NULL, 0}};
    static const struct keyslot ins[] = {{"updateTime", SL_TS_STR}, {NULL, 0}};

    switch (fam) {
    case TF_ORDERBOOK:
        set_slots(it, book);
        break;
    case TF_TRADE:
        set_slots(it, trade);
        break;
    case TF_TICKER:
        set_slots(it, ticker);
        if (st != ST_OPTION) /* option indexPrice is the underlying */
            set_slot(it, "indexPrice", SL_MARK);
        break;
    case TF_KLINE:
        set_slots(it, kline);
        break;
    case TF_ALLLIQ:
    case TF_LIQ:
        set_slots(it, liq);
        break;
    case TF_PRICELIMIT:
        set_slots(it, plim);
        break;
    case TF_INSURANCE:
        set_slots(it, ins);
        break;
    case TF_ORDER:
    case TF_EXEC:
    case TF_EXECFAST:
    case TF_POSITION:
        mark_private_item(it);
        break;
    default:
        break;
    }
    if (g_cfg.tag && fam != TF_TRADE)
        json_object_set_new(it, "_sim", marker(SL_SIM));
}

/*
 * Option trades: no sample exists.  Build them from the linear trade and
 * apply the documented differences (PROTOCOL.md §8): no "L", plus mark
 * price, index price and the two implied volatilities.
 */
static void fix_option_trade(json_t *it)
{
    json_object_del(it, "L");
    json_object_set_new(it, "mP", json_string("0"));
    json_object_set_new(it, "iP", marker(SL_UNDERLYING));
    json_object_set_new(it, "mIv", json_string("0.4905"));
    json_object_set_new(it, "iv", json_string("0.4812"));
}

/* ---- compile: dump and cut at markers ---- */

static int compile_text(struct tmpl *t, json_t *j)
{
    t->text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (!t->text)
        return -1;
    static const char pat[] = "\"\\u0001";
    size_t cap = 8;
    t->segs = calloc(cap, sizeof(*t->segs));
    const char *p = t->text;
    for (;;) {
        const char *m = strstr(p, pat);
        if (t->nseg + 1 >= (int)cap) {
            cap *= 2;
            t->segs = realloc(t->segs, cap * sizeof(*t->segs));
        }
        struct seg *sg = &t->segs[t->nseg++];
        sg->lit = p;
        if (!m) {
            sg->litlen = (uint32_t)strlen(p);
            sg->slot = SL_NONE;
            return 0;
        }
        sg->litlen = (uint32_t)(m - p);
        const char *d = m + sizeof(pat) - 1;
        sg->slot = (uint16_t)((d[0] - '0') * 10 + (d[1] - '0'));
        p = d + 3; /* two digits and the closing quote */
    }
}

static struct tmpl *compile(json_t *row, enum family fam, enum stream st)
{
    static const struct keyslot env[] = {
        {"topic", SL_TOPIC},     {"ts", SL_TS}, {"cts", SL_CTS},
        {"creationTime", SL_TS}, {"cs", SL_CS}, {NULL, 0}};
    struct tmpl *t = calloc(1, sizeof(*t));
    json_t *j = json_deep_copy(row);
    set_slots(j, env);
    if (json_object_get(j, "id"))
        set_slot(j, "id", st == ST_PRIVATE ? SL_PRIV_ID : SL_OPT_ID);

    json_t *data = json_object_get(j, "data");
    t->nitems = 1;
    if (json_is_object(data)) {
        mark_item(data, fam, st);
    } else if (json_is_array(data) && fam != TF_INSURANCE && fam != TF_ADL &&
               json_array_size(data) > 0) {
        /* one item template, repeated per trade in a batch */
        json_t *it = json_deep_copy(json_array_get(data, 0));
        if (fam == TF_TRADE && st == ST_OPTION)
            fix_option_trade(it);
        mark_item(it, fam, st);
        t->item = calloc(1, sizeof(*t->item));
        if (compile_text(t->item, it))
            goto fail;
        json_decref(it);
        json_object_set_new(j, "data", marker(SL_ITEMS));
    } else if (json_is_array(data)) {
        /* pools and ADL lists: keep every sample element, refresh times */
        size_t i;
        json_t *it;
        t->nitems = (int)json_array_size(data);
        json_array_foreach(data, i, it)
        {
            mark_item(it, fam, st);
        }
        /* one "_sim" tag per message is enough: keep it on the first */
        for (i = 1; i < json_array_size(data); i++)
            json_object_del(json_array_get(data, i), "_sim");
    }
    if (compile_text(t, j))
        goto fail;
    json_decref(j);
    return t;
fail:
    LOG_ERR("cannot compile a template");
    json_decref(j);
    return NULL;
}

static void tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    tmpl_free(t->item);
    free(t->text);
    free(t->segs);
    free(t);
}

/* ---- loading ---- */

static json_t *load_row(const char *file, int row)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/%s", g_dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        LOG_ERR("cannot open sample file %s", path);
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    json_t *j = NULL;
    while (getline(&line, &cap, f) > 0) {
        if (++n != row)
            continue;
        json_error_t err;
        j = json_loads(line, 0, &err);
        if (!j)
            LOG_ERR("%s:%d: %s", path, row, err.text);
        break;
    }
    if (n < row)
        LOG_ERR("%s has no line %d", path, row);
    free(line);
    fclose(f);
    return j;
}

static int dir_ok(const char *d)
{
    char p[PATH_MAX + 128];
    snprintf(p, sizeof(p), "%s/public-linear.jsonl", d);
    return access(p, R_OK) == 0;
}

/* --data-dir, else tests/data/bybit under the cwd, else next to the binary */
static int find_dir(const char *want)
{
    if (want) {
        snprintf(g_dir, sizeof(g_dir), "%s", want);
        return dir_ok(g_dir) ? 0 : -1;
    }
    snprintf(g_dir, sizeof(g_dir), "tests/data/bybit");
    if (dir_ok(g_dir))
        return 0;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    /* binary in tests/sim/ (or tests/sim/.libs/ under libtool) */
    static const char *rel[] = {"../data/bybit", "../../data/bybit",
                                "../../tests/data/bybit"};
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(g_dir, sizeof(g_dir), "%s/%s", exe, rel[i]);
        if (dir_ok(g_dir))
            return 0;
    }
    return -1;
}

static enum stream first_stream(unsigned mask)
{
    for (int i = 0; i < ST__COUNT; i++)
        if (mask & (1u << i))
            return (enum stream)i;
    return ST_LINEAR;
}

int templates_load(const char *dir)
{
    if (find_dir(dir)) {
        LOG_ERR("sample directory not found (tried %s); use --data-dir",
                dir ? dir : "tests/data/bybit and next to the binary");
        return -1;
    }
    for (size_t i = 0; i < NSPECS; i++) {
        json_t *row = load_row(specs[i].file, specs[i].row);
        if (!row)
            return -1;
        /* option trades differ from the linear sample they are built from */
        specs[i].t = compile(row, specs[i].fam, first_stream(specs[i].streams));
        json_decref(row);
        if (!specs[i].t)
            return -1;
    }
    g_rest_wallet = load_row("rest-wallet-balance.jsonl", 1);
    return g_rest_wallet ? 0 : -1;
}

const struct tmpl *template_get(enum stream st, enum family f, enum variant v,
                                enum category cat)
{
    for (size_t i = 0; i < NSPECS; i++) {
        const struct tspec *s = &specs[i];
        if ((s->streams & (1u << st)) && s->fam == f && s->var == v &&
            (s->cat == C_ANY || s->cat == (int)cat))
            return s->t;
    }
    return NULL;
}

json_t *templates_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < NSPECS; i++) {
        json_t *streams = json_array();
        for (int st = 0; st < ST__COUNT; st++)
            if (specs[i].streams & (1u << st))
                json_array_append_new(streams, json_string(stream_name(st)));
        json_array_append_new(
            a, json_pack("{s:o,s:s,s:s,s:s,s:s,s:i}", "streams", streams,
                         "family", family_name(specs[i].fam), "variant",
                         specs[i].var == TV_SNAPSHOT ? "snapshot" : "delta",
                         "category",
                         specs[i].cat == C_ANY ? "any"
                                               : category_name(specs[i].cat),
                         "file", specs[i].file, "row", specs[i].row));
    }
    return a;
}

json_t *templates_rest_wallet(void)
{
    return g_rest_wallet;
}

void templates_free(void)
{
    for (size_t i = 0; i < NSPECS; i++) {
        tmpl_free(specs[i].t);
        specs[i].t = NULL;
    }
    json_decref(g_rest_wallet);
    g_rest_wallet = NULL;
}
