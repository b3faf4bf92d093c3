/*
 * Unit tests of the validating JSON scanner: what it accepts, what it
 * refuses and why, and the spans it reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bybit_json.h"

static int valid(const char *s)
{
    const char *why = NULL;
    return bj_validate(s, strlen(s), &why) == 0;
}

static const char *why_of(const char *s, size_t len)
{
    const char *why = NULL;
    if (bj_validate(s, len, &why) == 0)
        return NULL;
    return why;
}

static void test_accepts_valid_json(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{}",
        "[]",
        " {\"a\" : [1, -2.5e+3, 0, 0.0, 1E9, true, false, null]} ",
        "\"\\u00e9\\n\\t\\\"\\\\\\/\"",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", /* é € 😀 */
        "\"\\ud83d\\ude00\"",                       /* surrogate pair */
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}",
        "-0",
        "123",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        if (!valid(ok[i]))
            fail_msg("refused valid JSON #%zu: %s", i, ok[i]);
    }
}

static void test_refuses_invalid_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{a:1}",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "[1,]",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[+1]",
        "[tru]",
        "[nul1]",
        "\"\\x\"",
        "\"\\u12G4\"",
        "\"\\udc00\"",
        "\"\\ud800x\"",
        "\"\\ud800\\u0041\"",
        "\"a\tb\"",
        "{} {}",
        "{}x",
        "[1 2]",
        "\"\xc0\xaf\"",
        /* overlong */ "\"\xed\xa0\x80\"",
        "\"\xf5\x80\x80\x80\"",
        "\"\x80\"",
        "{\"a\":1}}",
        "NaN",
        "[Infinity]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *why = why_of(bad[i], strlen(bad[i]));
        if (!why)
            fail_msg("accepted invalid JSON #%zu: %s", i, bad[i]);
        assert_string_equal(why, BJ_WHY_INVALID);
    }
}

static void test_truncated_is_named(void **state)
{
    (void)state;
    const char *s = "{\"topic\":\"publicTrade.BTCUSDT\",\"data\":[{\"p\":"
                    "\"1.5\",\"x\":true,\"u\":\"\\u00e9\xc3\xa9\"}]}";
    size_t n = strlen(s);
    assert_null(why_of(s, n));
    for (size_t k = 0; k < n; k++) {
        const char *why = why_of(s, k);
        if (!why)
            fail_msg("prefix of %zu bytes accepted", k);
        assert_string_equal(why, BJ_WHY_TRUNCATED);
    }
}

static void test_depth_limit(void **state)
{
    (void)state;
    char buf[2 * (BJ_MAX_DEPTH + 2) + 1];
    size_t n = 0;
    for (int i = 0; i < BJ_MAX_DEPTH; i++)
        buf[n++] = '[';
    for (int i = 0; i < BJ_MAX_DEPTH; i++)
        buf[n++] = ']';
    assert_null(why_of(buf, n));
    n = 0;
    for (int i = 0; i < BJ_MAX_DEPTH + 1; i++)
        buf[n++] = '[';
    for (int i = 0; i < BJ_MAX_DEPTH + 1; i++)
        buf[n++] = ']';
    assert_string_equal(why_of(buf, n), BJ_WHY_DEPTH);
}

static void test_binary_and_nul(void **state)
{
    (void)state;
    const char bin[] = {'\x00', '\x01', '\xff', '{', '}'};
    assert_non_null(why_of(bin, sizeof bin));
    const char nul_in_string[] = "{\"a\":\"x\0y\"}";
    assert_string_equal(why_of(nul_in_string, sizeof nul_in_string - 1),
                        BJ_WHY_INVALID);
    const char trailing_nul[] = "{}\0";
    assert_string_equal(why_of(trailing_nul, 3), BJ_WHY_INVALID);
}

static void test_scan_frame_spans(void **state)
{
    (void)state;
    struct bj_frame f = {0};
    const char *why = NULL;
    const char *s = "{ \"topic\" : \"tickers.X\", \"type\":\"delta\",\"ts\":"
                    "1700000000000,\"cts\":5,\"data\": [ {\"a\":1} , {} ,"
                    "{\"b\":[1,{\"c\":\"}\"}]}], \"other\":{\"data\":1}}";
    assert_int_equal(bj_scan_frame(&f, s, strlen(s), &why), 0);
    assert_int_equal(f.topic.kind, BJ_STRING);
    assert_int_equal(f.topic.n, strlen("\"tickers.X\""));
    assert_memory_equal(f.topic.p, "\"tickers.X\"", f.topic.n);
    assert_true(bj_string_is(&f.type, "delta"));
    int64_t ts;
    assert_int_equal(bj_int64(&f.ts, &ts), 0);
    assert_int_equal(ts, 1700000000000LL);
    assert_int_equal(f.data.kind, BJ_ARRAY);
    assert_int_equal(f.nitems, 3);
    assert_memory_equal(f.items[0].p, "{\"a\":1}", f.items[0].n);
    assert_memory_equal(f.items[1].p, "{}", f.items[1].n);
    assert_memory_equal(f.items[2].p, "{\"b\":[1,{\"c\":\"}\"}]}",
                        f.items[2].n);
    assert_int_equal(f.id.kind, BJ_NONE);

    /* reuse: the previous results are reset */
    const char *t = "{\"op\":\"pong\"}";
    assert_int_equal(bj_scan_frame(&f, t, strlen(t), &why), 0);
    assert_int_equal(f.topic.kind, BJ_NONE);
    assert_int_equal(f.nitems, 0);
    assert_true(bj_string_is(&f.op, "pong"));
    bj_frame_free(&f);
}

static void test_scan_frame_refusals(void **state)
{
    (void)state;
    struct bj_frame f = {0};
    const char *why = NULL;
    static const struct {
        const char *text;
        const char *why;
    } cases[] = {
        {"[1,2]", BJ_WHY_SHAPE},
        {"\"topic\"", BJ_WHY_SHAPE},
        {"42", BJ_WHY_SHAPE},
        {"", BJ_WHY_TRUNCATED},
        {"   ", BJ_WHY_TRUNCATED},
        {"{\"topic\":\"a\",\"topic\":\"b\",\"data\":[]}", BJ_WHY_DUPLICATE},
        {"{\"topic\":\"a\",\"data\":[{]}", BJ_WHY_INVALID},
        {"{\"topic\":\"a\",\"data\":[{}", BJ_WHY_TRUNCATED},
        {"garbage", BJ_WHY_INVALID},
        {"{\"topic\":\"a\"}trailing", BJ_WHY_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        why = NULL;
        if (bj_scan_frame(&f, cases[i].text, strlen(cases[i].text), &why) == 0)
            fail_msg("accepted %s", cases[i].text);
        assert_non_null(why);
        if (strcmp(why, cases[i].why) != 0)
            fail_msg("%s: why %s, expected %s", cases[i].text, why,
                     cases[i].why);
    }
    bj_frame_free(&f);
}

static int count_el(void *arg, const struct bj_value *el)
{
    (void)el;
    (*(int *)arg)++;
    return 0;
}

static void test_object_get_and_helpers(void **state)
{
    (void)state;
    const char *s = "{\"category\":\"linear\", \"x\":{\"symbol\":\"NO\"},"
                    "\"symbol\" : \"BTCUSDT\",\"esc\":\"a\\\"b\","
                    "\"arr\":[1,[2],{\"k\":3}],\"big\":12345678901234567890,"
                    "\"neg\":-17,\"f\":1.5}";
    struct bj_value obj = {s, strlen(s), BJ_OBJECT}, v;
    assert_int_equal(bj_object_get(&obj, "symbol", &v), 1);
    assert_true(bj_string_is(&v, "BTCUSDT"));
    assert_int_equal(bj_object_get(&obj, "category", &v), 1);
    assert_true(bj_string_is(&v, "linear"));
    assert_int_equal(bj_object_get(&obj, "missing", &v), 0);
    assert_int_equal(bj_object_get(&obj, "esc", &v), 1);
    const char *p;
    size_t n;
    assert_int_equal(bj_plain_string(&v, &p, &n), -1);
    assert_int_equal(bj_object_get(&obj, "arr", &v), 1);
    int count = 0;
    bj_array_each(&v, count_el, &count);
    assert_int_equal(count, 3);
    int64_t x;
    assert_int_equal(bj_object_get(&obj, "big", &v), 1);
    assert_int_equal(bj_int64(&v, &x), -1); /* would overflow */
    assert_int_equal(bj_object_get(&obj, "neg", &v), 1);
    assert_int_equal(bj_int64(&v, &x), 0);
    assert_int_equal(x, -17);
    assert_int_equal(bj_object_get(&obj, "f", &v), 1);
    assert_int_equal(bj_int64(&v, &x), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_valid_json),
        cmocka_unit_test(test_refuses_invalid_json),
        cmocka_unit_test(test_truncated_is_named),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_binary_and_nul),
        cmocka_unit_test(test_scan_frame_spans),
        cmocka_unit_test(test_scan_frame_refusals),
        cmocka_unit_test(test_object_get_and_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
