/*
 * test_event.c — the envelope, references and the class table
 * (core/event.c). Linked with -Wl,--wrap=free (free_watch.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include <wsgw/event.h>

#include "free_watch.h"
#include "json_escape.h"

/* 2026-11-26T20:25:19.123Z */
#define TS_MS 1795724719123LL

static struct wsgw_event_spec trade_spec(struct wsgw_iov *parts)
{
    static const char a[] = "{\"T\":1795724719123,\"s\":\"BTCUSDT\",";
    static const char b[] = "\"p\":\"91234.50\",\"v\":\"0.001\"";
    static const char c[] = ",\"topic\":\"publicTrade.BTCUSDT\"}";
    parts[0] = (struct wsgw_iov){a, sizeof(a) - 1};
    parts[1] = (struct wsgw_iov){b, sizeof(b) - 1};
    parts[2] = (struct wsgw_iov){c, sizeof(c) - 1};
    /* Topic and symbol are cut from a longer buffer: not terminated. */
    static const char frame[] = "publicTrade.BTCUSDTXYZ";
    return (struct wsgw_event_spec){
        .cls = WSGW_CLASS_TRADES,
        .type = "trade",
        .topic = frame,
        .topic_len = 19,
        .category = "linear",
        .symbol = frame + 12,
        .symbol_len = 7,
        .timestamp_ms = TS_MS,
        .received_ns = (TS_MS + 2) * 1000000 + 999999,
        .trace_id = "0123456789abcdef0123456789abcdef",
        .payload = parts,
        .payload_parts = 3,
    };
}

static void test_ts_constant(void **state)
{
    struct tm tm = {.tm_year = 126,
                    .tm_mon = 10,
                    .tm_mday = 26,
                    .tm_hour = 20,
                    .tm_min = 25,
                    .tm_sec = 19};
    assert_int_equal((int64_t)timegm(&tm) * 1000 + 123, TS_MS);
}

static void test_envelope_exact(void **state)
{
    struct wsgw_iov parts[3];
    struct wsgw_event_spec spec = trade_spec(parts);
    struct wsgw_event *ev = wsgw_event_new(&spec);
    char want[1024];
    size_t len;

    assert_non_null(ev);
    snprintf(want, sizeof(want),
             "{\"event_id\":\"%s\",\"event_type\":\"trade\","
             "\"topic\":\"publicTrade.BTCUSDT\","
             "\"timestamp\":\"2026-11-26T20:25:19.123Z\","
             "\"received_at\":\"2026-11-26T20:25:19.125Z\","
             "\"trace_id\":\"0123456789abcdef0123456789abcdef\","
             "\"payload\":{\"T\":1795724719123,\"s\":\"BTCUSDT\","
             "\"p\":\"91234.50\",\"v\":\"0.001\","
             "\"topic\":\"publicTrade.BTCUSDT\"}}",
             wsgw_event_id(ev));
    const char *json = wsgw_event_json(ev, &len);
    assert_string_equal(json, want);
    assert_int_equal(len, strlen(want));

    const char *payload = wsgw_event_payload(ev, &len);
    assert_int_equal(len, parts[0].len + parts[1].len + parts[2].len);
    assert_memory_equal(payload, parts[0].base, parts[0].len);
    assert_memory_equal(payload + parts[0].len, parts[1].base, parts[1].len);
    assert_memory_equal(payload + parts[0].len + parts[1].len, parts[2].base,
                        parts[2].len);

    assert_string_equal(wsgw_event_topic(ev), "publicTrade.BTCUSDT");
    assert_string_equal(wsgw_event_symbol(ev), "BTCUSDT");
    assert_string_equal(wsgw_event_category(ev), "linear");
    assert_string_equal(wsgw_event_type(ev), "trade");
    assert_string_equal(wsgw_event_trace_id(ev),
                        "0123456789abcdef0123456789abcdef");
    assert_int_equal(wsgw_event_class(ev), WSGW_CLASS_TRADES);
    assert_int_equal(wsgw_event_timestamp_ms(ev), TS_MS);
    assert_int_equal(wsgw_event_received_ns(ev), spec.received_ns);
    assert_true(wsgw_uuid_valid(wsgw_event_id(ev)));
    assert_int_equal(wsgw_event_id(ev)[14], '4');
    wsgw_event_unref(ev);
}

static void test_envelope_parses(void **state)
{
    static const char *const keys[] = {"event_id",  "event_type",  "topic",
                                       "timestamp", "received_at", "trace_id",
                                       "payload"};
    struct wsgw_iov parts[3];
    struct wsgw_event_spec spec = trade_spec(parts);
    struct wsgw_event *ev = wsgw_event_new(&spec);
    json_error_t jerr;
    size_t len;

    const char *text = wsgw_event_json(ev, &len);
    json_t *j = json_loadb(text, len, 0, &jerr);
    if (!j)
        fail_msg("envelope is not JSON: %s: %s", jerr.text, text);

    /* Keys in exactly the documented order (jansson keeps it). */
    size_t k = 0;
    for (void *it = json_object_iter(j); it;
         it = json_object_iter_next(j, it), k++) {
        assert_true(k < 7);
        assert_string_equal(json_object_iter_key(it), keys[k]);
    }
    assert_int_equal(k, 7);

    assert_string_equal(json_string_value(json_object_get(j, "event_id")),
                        wsgw_event_id(ev));
    assert_string_equal(json_string_value(json_object_get(j, "event_type")),
                        "trade");
    assert_string_equal(json_string_value(json_object_get(j, "topic")),
                        "publicTrade.BTCUSDT");
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")),
                        "2026-11-26T20:25:19.123Z");
    assert_string_equal(json_string_value(json_object_get(j, "received_at")),
                        "2026-11-26T20:25:19.125Z");
    assert_string_equal(json_string_value(json_object_get(j, "trace_id")),
                        "0123456789abcdef0123456789abcdef");
    int64_t ms;
    assert_int_equal(
        wsgw_time_parse(json_string_value(json_object_get(j, "timestamp")),
                        &ms),
        WSGW_OK);
    assert_int_equal(ms, TS_MS);

    json_t *p = json_object_get(j, "payload");
    assert_true(json_is_object(p));
    assert_int_equal(json_integer_value(json_object_get(p, "T")),
                     1795724719123LL);
    assert_string_equal(json_string_value(json_object_get(p, "s")), "BTCUSDT");
    assert_string_equal(json_string_value(json_object_get(p, "p")), "91234.50");
    assert_string_equal(json_string_value(json_object_get(p, "v")), "0.001");
    assert_string_equal(json_string_value(json_object_get(p, "topic")),
                        "publicTrade.BTCUSDT");
    json_decref(j);
    wsgw_event_unref(ev);
}

static void test_defaults(void **state)
{
    static const char one[] = "[1,2]";
    struct wsgw_iov part = {one, 5};
    struct wsgw_event_spec spec = {
        .cls = WSGW_CLASS_TICKERS,
        .type = "ticker",
        .topic = "tickers.ETHUSDT",
        .topic_len = 15,
        .payload = &part,
        .payload_parts = 1,
    };
    int64_t before = wsgw_now_ns();
    struct wsgw_event *a = wsgw_event_new(&spec);
    struct wsgw_event *b = wsgw_event_new(&spec);
    int64_t after = wsgw_now_ns();

    /* A new trace id per event when none is given: 32 hex digits. */
    const char *t = wsgw_event_trace_id(a);
    assert_int_equal(strlen(t), 32);
    assert_int_equal(strspn(t, "0123456789abcdef"), 32);
    assert_string_not_equal(t, wsgw_event_trace_id(b));
    assert_string_not_equal(wsgw_event_id(a), wsgw_event_id(b));

    /* Received now; the exchange time falls back to it. */
    assert_true(wsgw_event_received_ns(a) >= before &&
                wsgw_event_received_ns(a) <= after);
    assert_int_equal(wsgw_event_timestamp_ms(a),
                     wsgw_event_received_ns(a) / 1000000);
    assert_string_equal(wsgw_event_symbol(a), "");
    assert_string_equal(wsgw_event_category(a), "");

    json_t *j = json_loads(wsgw_event_json(a, NULL), 0, NULL);
    assert_non_null(j);
    char ts[WSGW_TIME_LEN + 1];
    wsgw_time_format(wsgw_event_timestamp_ms(a), ts);
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")), ts);
    assert_string_equal(json_string_value(json_object_get(j, "received_at")),
                        ts);
    assert_int_equal(json_array_size(json_object_get(j, "payload")), 2);
    json_decref(j);
    wsgw_event_unref(a);
    wsgw_event_unref(b);

    /* No payload at all still makes valid JSON. */
    spec.payload_parts = 0;
    a = wsgw_event_new(&spec);
    size_t len;
    assert_string_equal(wsgw_event_payload(a, &len), "null}");
    assert_int_equal(len, 4);
    j = json_loads(wsgw_event_json(a, NULL), 0, NULL);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "payload")));
    json_decref(j);
    wsgw_event_unref(a);

    /* An out-of-range class is filed as "other". */
    spec.cls = 99;
    a = wsgw_event_new(&spec);
    assert_int_equal(wsgw_event_class(a), WSGW_CLASS_OTHER);
    wsgw_event_unref(a);
}

static void test_escaping(void **state)
{
    static const char topic[] = "we\"ird\\topic\n\x01\xff";
    struct wsgw_iov part = {"{}", 2};
    struct wsgw_event_spec spec = {
        .cls = WSGW_CLASS_OTHER,
        .type = "ty\"pe",
        .topic = topic,
        .topic_len = sizeof(topic) - 1,
        .trace_id = "tr\"ace-0123456789abcdef0123456789abcdef-cut",
        .payload = &part,
        .payload_parts = 1,
    };
    struct wsgw_event *ev = wsgw_event_new(&spec);
    json_error_t jerr;

    json_t *j = json_loads(wsgw_event_json(ev, NULL), 0, &jerr);
    if (!j)
        fail_msg("not JSON: %s", jerr.text);
    assert_string_equal(json_string_value(json_object_get(j, "event_type")),
                        "ty\"pe");
    /* The invalid byte becomes U+FFFD, the rest round-trips. */
    assert_string_equal(json_string_value(json_object_get(j, "topic")),
                        "we\"ird\\topic\n\x01\xef\xbf\xbd");
    /* At most 32 characters of a given trace id are kept. */
    assert_string_equal(json_string_value(json_object_get(j, "trace_id")),
                        "tr\"ace-0123456789abcdef012345678");
    assert_string_equal(wsgw_event_trace_id(ev),
                        "tr\"ace-0123456789abcdef012345678");
    /* The accessors keep the source's bytes. */
    assert_string_equal(wsgw_event_topic(ev), topic);
    assert_string_equal(wsgw_event_type(ev), "ty\"pe");
    json_decref(j);
    wsgw_event_unref(ev);

    /* Valid UTF-8 passes through untouched. */
    spec.topic = "caf\xc3\xa9.\xe2\x82\xac.\xf0\x9f\x98\x80";
    spec.topic_len = strlen(spec.topic);
    ev = wsgw_event_new(&spec);
    assert_non_null(strstr(wsgw_event_json(ev, NULL), spec.topic));
    wsgw_event_unref(ev);
}

static void test_refcount(void **state)
{
    struct wsgw_iov parts[3];
    struct wsgw_event_spec spec = trade_spec(parts);
    struct wsgw_event *ev = wsgw_event_new(&spec);

    watch(ev);
    assert_ptr_equal(wsgw_event_ref(ev), ev);
    wsgw_event_ref(ev);
    wsgw_event_unref(ev);
    wsgw_event_unref(ev);
    assert_false(freed(ev));
    /* Still readable while a reference is held. */
    assert_string_equal(wsgw_event_type(ev), "trade");
    wsgw_event_unref(ev);
    assert_true(freed(ev));
    wsgw_event_unref(NULL);
}

static void test_class_table(void **state)
{
    static const char *const names[WSGW_CLASS_COUNT] = {
        "trades",    "tickers",    "orderbook", "order_status", "balances",
        "positions", "executions", "klines",    "liquidations", "other"};

    for (int c = 0; c < WSGW_CLASS_COUNT; c++) {
        assert_string_equal(wsgw_class_name(c), names[c]);
        assert_int_equal(wsgw_class_from_name(names[c]), c);
        assert_int_equal(wsgw_class_from_name(wsgw_class_name(c)), c);
    }
    assert_null(wsgw_class_name(-1));
    assert_null(wsgw_class_name(WSGW_CLASS_COUNT));
    assert_int_equal(wsgw_class_from_name("trade"), -1);
    assert_int_equal(wsgw_class_from_name("Trades"), -1);
    assert_int_equal(wsgw_class_from_name(""), -1);
    assert_int_equal(wsgw_class_from_name(NULL), -1);
    assert_int_equal(WSGW_CLASS_ALL, (1u << 10) - 1);
}

static int plain_ref(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] >= 0x80 || s[i] == '"' || s[i] == '\\')
            return 0;
    return 1;
}

/* The word-at-a-time check agrees with the byte-by-byte definition, and
 * the escaper writes exactly the length it announces. */
static void test_json_escape_helpers(void **state)
{
    static const unsigned char pick[] = {'a',  'Z',  ' ',  '~',  0x7f, 0x1f,
                                         0x20, 0x80, 0xff, '"',  '\\', 0x00,
                                         0xc3, 0xa9, 0xe2, 0x82, 0xac, '\n'};
    unsigned char s[40];
    char out[40 * 6 + 1];

    for (int round = 0; round < 200000; round++) {
        size_t n = (size_t)wsgw_random_below(sizeof(s) + 1);
        int mostly_plain = round % 2;
        for (size_t i = 0; i < n; i++)
            s[i] = mostly_plain && wsgw_random_below(40)
                       ? 'a' + (unsigned char)wsgw_random_below(26)
                       : pick[wsgw_random_below(sizeof(pick))];
        assert_int_equal(json_is_plain((const char *)s, n), plain_ref(s, n));
        size_t want = json_escaped_len((const char *)s, n);
        char *end = json_escape(out, (const char *)s, n);
        assert_int_equal((size_t)(end - out), want);
        if (plain_ref(s, n)) {
            assert_int_equal(want, n);
            assert_memory_equal(out, s, n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_constant),
        cmocka_unit_test(test_envelope_exact),
        cmocka_unit_test(test_envelope_parses),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_class_table),
        cmocka_unit_test(test_json_escape_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
