/*
 * Unit tests of the normalizer on every sample message of tests/data/bybit
 * and on malformed input. Expectations are computed here independently
 * (jansson parse of the sample) and compared with what the normalizer
 * describes: class, event type, topic, timestamp, category, symbol, and a
 * payload that parses to the item plus the added keys while its item part
 * is the sample's own bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bybit_normalize.h"

#ifndef TEST_DATA_DIR
#error TEST_DATA_DIR must name tests/data
#endif

struct expect_family {
    const char *prefix;
    int cls;
    const char *type;
    int sym_dots; /* symbol after this many dots; 0 = item's "symbol" */
    int no_symbol;
};

/* The channel table of API.md and the issue, written out again. */
static const struct expect_family expect[] = {
    {"publicTrade", WSGW_CLASS_TRADES, "trade", 1, 0},
    {"tickers", WSGW_CLASS_TICKERS, "ticker", 1, 0},
    {"orderbook", WSGW_CLASS_ORDERBOOK, "orderbook", 2, 0},
    {"kline", WSGW_CLASS_KLINES, "kline", 2, 0},
    {"allLiquidation", WSGW_CLASS_LIQUIDATIONS, "liquidation", 1, 0},
    {"liquidation", WSGW_CLASS_LIQUIDATIONS, "liquidation", 1, 0},
    {"order", WSGW_CLASS_ORDER_STATUS, "order", 0, 0},
    {"execution", WSGW_CLASS_EXECUTIONS, "execution", 0, 0},
    {"position", WSGW_CLASS_POSITIONS, "position", 0, 0},
    {"wallet", WSGW_CLASS_BALANCES, "balance", 0, 1},
    {"insurance", WSGW_CLASS_OTHER, "insurance", 0, 1},
    {"adlAlert", WSGW_CLASS_OTHER, "adlAlert", 0, 1},
    {"priceLimit", WSGW_CLASS_OTHER, "priceLimit", 1, 0},
    {"greeks", WSGW_CLASS_OTHER, "greeks", 0, 1},
    {"system.status", WSGW_CLASS_OTHER, "system.status", 0, 1},
    {"strategy", WSGW_CLASS_OTHER, "strategy", 0, 0},
    {"kline_lt", WSGW_CLASS_OTHER, "kline_lt", 2, 0},
    {"tickers_lt", WSGW_CLASS_OTHER, "tickers_lt", 1, 0},
    {"lt", WSGW_CLASS_OTHER, "lt", 1, 0},
};

static const struct expect_family *expect_for(const char *topic)
{
    if (strcmp(topic, "system.status") == 0)
        return &expect[14];
    size_t n = strcspn(topic, ".");
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (strlen(expect[i].prefix) == n &&
            strncmp(expect[i].prefix, topic, n) == 0)
            return &expect[i];
    return NULL;
}

/* The concatenated payload of event i, malloc'd and NUL-terminated. */
static char *payload_of(const struct bybit_norm *n, size_t i, size_t *len)
{
    struct wsgw_event_spec spec;
    bybit_norm_spec(n, i, &spec);
    size_t total = 0;
    for (size_t k = 0; k < spec.payload_parts; k++)
        total += spec.payload[k].len;
    char *p = malloc(total + 1);
    assert_non_null(p);
    size_t off = 0;
    for (size_t k = 0; k < spec.payload_parts; k++) {
        memcpy(p + off, spec.payload[k].base, spec.payload[k].len);
        off += spec.payload[k].len;
    }
    p[off] = '\0';
    *len = off;
    return p;
}

/* The JSON text of a member exactly as the sample wrote it (compact). */
static char *member_text(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
}

static int64_t expected_ts(json_t *msg)
{
    json_t *ts = json_object_get(msg, "ts");
    if (!ts)
        ts = json_object_get(msg, "creationTime");
    if (!json_is_integer(ts))
        return 0;
    int64_t t = json_integer_value(ts);
    return t >= BYBIT_TS_MIN && t < BYBIT_TS_MAX ? t : 0;
}

static const char *symbol_after_dots(const char *topic, int dots)
{
    const char *p = topic;
    for (int i = 0; i < dots; i++) {
        p = strchr(p, '.');
        if (!p)
            return NULL;
        p++;
    }
    return p;
}

static int g_events, g_lines;

static void check_item_event(const struct bybit_norm *n, size_t i,
                             const char *line, json_t *msg, json_t *item,
                             const char *category,
                             const struct expect_family *ef)
{
    const char *topic = json_string_value(json_object_get(msg, "topic"));
    struct wsgw_event_spec spec;
    bybit_norm_spec(n, i, &spec);

    assert_int_equal(spec.cls, ef->cls);
    assert_string_equal(spec.type, ef->type);
    assert_int_equal(spec.topic_len, strlen(topic));
    assert_memory_equal(spec.topic, topic, spec.topic_len);
    assert_int_equal(spec.timestamp_ms, expected_ts(msg));

    /* category: the stream's, or the item's own on the private stream */
    const char *want_cat = category;
    if (!category) {
        json_t *c = json_object_get(item, "category");
        want_cat = json_is_string(c) ? json_string_value(c) : NULL;
    }
    if (want_cat) {
        assert_non_null(spec.category);
        assert_string_equal(spec.category, want_cat);
    } else {
        assert_null(spec.category);
    }

    /* symbol: from the topic, or the item's "symbol" on private topics */
    const char *want_sym = NULL;
    if (ef->no_symbol) {
        want_sym = NULL;
    } else if (ef->sym_dots) {
        want_sym = symbol_after_dots(topic, ef->sym_dots);
        json_t *s = json_object_get(item, "symbol");
        if (!s)
            s = json_object_get(item, "s");
        if (json_is_string(s) && ef->cls != WSGW_CLASS_TRADES)
            assert_string_equal(json_string_value(s), want_sym);
    } else {
        json_t *s = json_object_get(item, "symbol");
        want_sym = json_is_string(s) ? json_string_value(s) : NULL;
    }
    if (want_sym) {
        assert_int_equal(spec.symbol_len, strlen(want_sym));
        assert_memory_equal(spec.symbol, want_sym, spec.symbol_len);
    } else {
        assert_null(spec.symbol);
    }

    /* payload: valid JSON equal to item + topic (+ type, cts) */
    size_t plen;
    char *payload = payload_of(n, i, &plen);
    json_error_t jerr;
    json_t *got = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, &jerr);
    if (!got)
        fail_msg("payload is not JSON (%s): %s", jerr.text, payload);
    json_t *want = json_deep_copy(item);
    json_object_set_new(want, "topic", json_string(topic));
    char suffix[256];
    int sl = snprintf(suffix, sizeof suffix, "\"topic\":\"%s\"", topic);
    if (ef->cls == WSGW_CLASS_ORDERBOOK) {
        json_t *type = json_object_get(msg, "type");
        json_t *cts = json_object_get(msg, "cts");
        if (type) {
            json_object_set(want, "type", type);
            char *t = member_text(type);
            sl += snprintf(suffix + sl, sizeof suffix - (size_t)sl,
                           ",\"type\":%s", t);
            free(t);
        }
        if (cts) {
            json_object_set(want, "cts", cts);
            char *t = member_text(cts);
            sl += snprintf(suffix + sl, sizeof suffix - (size_t)sl,
                           ",\"cts\":%s", t);
            free(t);
        }
    }
    if (!json_equal(got, want)) {
        char *w = json_dumps(want, JSON_COMPACT);
        fail_msg("payload differs:\n got  %s\n want %s", payload, w);
    }
    /* the added keys come last, and the rest is the sample's own bytes */
    strcat(suffix, "}");
    size_t suf = strlen(suffix);
    assert_true(plen > suf);
    assert_memory_equal(payload + plen - suf, suffix, suf);
    size_t body = plen - suf; /* item bytes up to before its '}' */
    if (body > 1 && payload[body - 1] == ',')
        body--; /* the separator we added */
    char *orig = malloc(body + 2);
    memcpy(orig, payload, body);
    orig[body] = '}';
    orig[body + 1] = '\0';
    if (!strstr(line, orig))
        fail_msg("item bytes not copied verbatim: %s", orig);
    free(orig);
    json_decref(got);
    json_decref(want);
    free(payload);
    g_events++;
}

static void check_wallet_event(const struct bybit_norm *n, const char *line,
                               json_t *msg)
{
    struct wsgw_event_spec spec;
    bybit_norm_spec(n, 0, &spec);
    assert_int_equal(spec.cls, WSGW_CLASS_BALANCES);
    assert_string_equal(spec.type, "balance");
    assert_int_equal(spec.timestamp_ms, expected_ts(msg));
    assert_null(spec.category);
    assert_null(spec.symbol);

    size_t plen;
    char *payload = payload_of(n, 0, &plen);
    json_t *got = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(got);
    json_t *want = json_object();
    json_object_set(want, "data", json_object_get(msg, "data"));
    json_object_set(want, "topic", json_object_get(msg, "topic"));
    if (json_object_get(msg, "id"))
        json_object_set(want, "id", json_object_get(msg, "id"));
    if (json_object_get(msg, "creationTime"))
        json_object_set(want, "creationTime",
                        json_object_get(msg, "creationTime"));
    assert_true(json_equal(got, want));
    assert_int_equal(json_object_size(got), json_object_size(want));
    /* the data array is the sample's bytes */
    assert_memory_equal(payload, "{\"data\":[", 9);
    const char *end = strstr(payload, "],\"topic\":");
    assert_non_null(end);
    size_t dlen = (size_t)(end + 1 - (payload + 8));
    char *data = strndup(payload + 8, dlen);
    assert_non_null(strstr(line, data));
    free(data);
    json_decref(got);
    json_decref(want);
    free(payload);
    g_events++;
}

static void check_file(const char *name, const char *category)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bybit/%s", TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    struct bybit_norm n = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lines = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        lines++;
        json_t *msg = json_loads(line, 0, NULL);
        assert_non_null(msg);
        const char *topic = json_string_value(json_object_get(msg, "topic"));
        assert_non_null(topic);
        const struct expect_family *ef = expect_for(topic);
        if (!ef)
            fail_msg("%s:%d: topic %s not in the test's table", name, lines,
                     topic);

        int kind = bybit_normalize(&n, line, (size_t)len, category);
        if (kind != BYBIT_FRAME_DATA)
            fail_msg("%s:%d: not DATA (%d, %s)", name, lines, kind,
                     n.why ? n.why : "-");
        json_t *data = json_object_get(msg, "data");
        if (ef->cls == WSGW_CLASS_BALANCES) {
            assert_int_equal(n.nev, 1);
            check_wallet_event(&n, line, msg);
        } else if (json_is_object(data)) {
            assert_int_equal(n.nev, 1);
            check_item_event(&n, 0, line, msg, data, category, ef);
        } else {
            assert_true(json_is_array(data));
            assert_int_equal(n.nev, json_array_size(data));
            for (size_t i = 0; i < n.nev; i++)
                check_item_event(&n, i, line, msg, json_array_get(data, i),
                                 category, ef);
        }
        json_decref(msg);
        g_lines++;
    }
    assert_true(lines > 0);
    free(line);
    fclose(f);
    bybit_norm_free(&n);
}

static void test_public_linear(void **state)
{
    (void)state;
    check_file("public-linear.jsonl", "linear");
}

static void test_public_spot(void **state)
{
    (void)state;
    check_file("public-spot.jsonl", "spot");
}

static void test_public_inverse(void **state)
{
    (void)state;
    check_file("public-inverse.jsonl", "inverse");
}

static void test_public_option(void **state)
{
    (void)state;
    check_file("public-option.jsonl", "option");
}

static void test_public_misc_status(void **state)
{
    (void)state;
    check_file("public-misc-status.jsonl", "linear");
}

static void test_private(void **state)
{
    (void)state;
    check_file("private.jsonl", NULL);
}

static void each_line(const char *name,
                      void (*fn)(const char *line, size_t len, void *arg),
                      void *arg)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bybit/%s", TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len)
            fn(line, (size_t)len, arg);
    }
    free(line);
    fclose(f);
}

static void expect_control(const char *line, size_t len, void *arg)
{
    struct bybit_norm *n = arg;
    int kind = bybit_normalize(n, line, len, "linear");
    if (kind != BYBIT_FRAME_CONTROL)
        fail_msg("not CONTROL (%d): %s", kind, line);
    assert_int_equal(n->nev, 0);
}

static void test_control_rows_are_not_routed(void **state)
{
    (void)state;
    struct bybit_norm n = {0};
    each_line("control.jsonl", expect_control, &n);
    each_line("trade.jsonl", expect_control, &n);
    bybit_norm_free(&n);
}

static void expect_truncated(const char *line, size_t len, void *arg)
{
    struct bybit_norm *n = arg;
    size_t step = len < 800 ? 1 : 7;
    for (size_t k = 0; k < len; k += step) {
        int kind = bybit_normalize(n, line, k, "linear");
        if (kind != BYBIT_FRAME_MALFORMED)
            fail_msg("prefix of %zu/%zu bytes not refused: %.60s", k, len,
                     line);
        assert_int_equal(n->nev, 0);
    }
}

static void test_truncated_samples_refused(void **state)
{
    (void)state;
    struct bybit_norm n = {0};
    each_line("public-linear.jsonl", expect_truncated, &n);
    each_line("private.jsonl", expect_truncated, &n);
    each_line("control.jsonl", expect_truncated, &n);
    bybit_norm_free(&n);
}

static void test_malformed_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *why;
    } cases[] = {
        {"not json", 0, BJ_WHY_INVALID},
        {"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{\"p\":\"1\"}", 0,
         BJ_WHY_TRUNCATED},
        {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, BJ_WHY_INVALID},
        {"\xff\xfe{}", 0, BJ_WHY_INVALID},
        {"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{\"p\":\"\xc3\"}]}", 0,
         BJ_WHY_INVALID},
        {"[{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[]}]", 0, BJ_WHY_SHAPE},
        {"\"publicTrade.BTCUSDT\"", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":\"x\"}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[1,2]}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{},[]]}", 0,
         BJ_WHY_SHAPE},
        {"{\"topic\":\"publicTrade.BTCUSDT\"}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":42,\"data\":[]}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"\",\"data\":[]}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"public\\u0054rade.X\",\"data\":[]}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"wallet\",\"data\":{}}", 0, BJ_WHY_SHAPE},
        {"{\"topic\":\"nosuch.BTCUSDT\",\"data\":[]}", 0,
         BYBIT_WHY_UNKNOWN_TOPIC},
        {"{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[],\"data\":[]}", 0,
         BJ_WHY_DUPLICATE},
    };
    struct bybit_norm n = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        int kind = bybit_normalize(&n, cases[i].text, len, "linear");
        if (kind != BYBIT_FRAME_MALFORMED)
            fail_msg("#%zu accepted: %s", i, cases[i].text);
        if (strcmp(n.why, cases[i].why) != 0)
            fail_msg("#%zu: why %s, expected %s", i, n.why, cases[i].why);
        assert_int_equal(n.nev, 0);
    }
    bybit_norm_free(&n);
}

static void test_edge_items(void **state)
{
    (void)state;
    struct bybit_norm n = {0};
    size_t len;
    /* an empty item gets the topic without a leading comma */
    const char *t = "{\"topic\":\"publicTrade.BTCUSDT\",\"ts\":1700000000000,"
                    "\"data\":[{}, {\"p\" : \"1\" }]}";
    assert_int_equal(bybit_normalize(&n, t, strlen(t), "linear"),
                     BYBIT_FRAME_DATA);
    assert_int_equal(n.nev, 2);
    char *p = payload_of(&n, 0, &len);
    assert_string_equal(p, "{\"topic\":\"publicTrade.BTCUSDT\"}");
    free(p);
    p = payload_of(&n, 1, &len);
    assert_string_equal(p,
                        "{\"p\" : \"1\" ,\"topic\":\"publicTrade.BTCUSDT\"}");
    free(p);
    /* an empty data array is a valid frame without events */
    t = "{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[]}";
    assert_int_equal(bybit_normalize(&n, t, strlen(t), "linear"),
                     BYBIT_FRAME_DATA);
    assert_int_equal(n.nev, 0);
    /* implausible or non-integer ts: unknown (the core uses receipt time) */
    t = "{\"topic\":\"tickers.X\",\"ts\":171575661221,\"data\":{}}";
    assert_int_equal(bybit_normalize(&n, t, strlen(t), "linear"),
                     BYBIT_FRAME_DATA);
    assert_int_equal(n.timestamp_ms, 0);
    t = "{\"topic\":\"tickers.X\",\"ts\":\"1700000000000\",\"data\":{}}";
    assert_int_equal(bybit_normalize(&n, t, strlen(t), "linear"),
                     BYBIT_FRAME_DATA);
    assert_int_equal(n.timestamp_ms, 0);
    bybit_norm_free(&n);
}

static void test_counts(void **state)
{
    (void)state;
    /* every sample line was checked, each with at least one event */
    assert_int_equal(g_lines, 22 + 12 + 2 + 2 + 1 + 14);
    assert_true(g_events >= g_lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_linear),
        cmocka_unit_test(test_public_spot),
        cmocka_unit_test(test_public_inverse),
        cmocka_unit_test(test_public_option),
        cmocka_unit_test(test_public_misc_status),
        cmocka_unit_test(test_private),
        cmocka_unit_test(test_control_rows_are_not_routed),
        cmocka_unit_test(test_truncated_samples_refused),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_edge_items),
        cmocka_unit_test(test_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
