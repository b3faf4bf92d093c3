/*
 * test_pg_query.c — validation of the balance endpoints' query
 * parameters (pg_query.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pg_query.h"

static int parse(const char *coin, const char *limit, const char *offset,
                 const char *from, const char *to, int history,
                 struct pg_balance_query *q, struct wsgw_err *err)
{
    memset(err, 0, sizeof(*err));
    return pg_balance_query_parse(coin, limit, offset, from, to, history, q,
                                  err);
}

static void test_defaults(void **state)
{
    struct pg_balance_query q;
    struct wsgw_err err;
    assert_int_equal(parse(NULL, NULL, NULL, NULL, NULL, 1, &q, &err), WSGW_OK);
    assert_string_equal(q.coin, "");
    assert_int_equal(q.limit, 100);
    assert_int_equal(q.offset, 0);
    assert_false(q.has_from);
    assert_false(q.has_to);
}

static void test_valid_values(void **state)
{
    struct pg_balance_query q;
    struct wsgw_err err;
    assert_int_equal(parse("usdt", "1", "0", NULL, NULL, 0, &q, &err), WSGW_OK);
    assert_string_equal(q.coin, "USDT");
    assert_int_equal(q.limit, 1);
    assert_int_equal(parse("EOS3L", "1000", "250", NULL, NULL, 0, &q, &err),
                     WSGW_OK);
    assert_string_equal(q.coin, "EOS3L");
    assert_int_equal(q.limit, 1000);
    assert_int_equal(q.offset, 250);
}

static void test_bad_limit_offset(void **state)
{
    static const char *const bad_limits[] = {
        "0",   "1001", "-1", "",   "abc",
        "1.5", " 5",   "5 ", "+5", "99999999999999999999"};
    static const char *const bad_offsets[] = {"-1", "x", "", "1e3",
                                              "1000000001"};
    struct pg_balance_query q;
    struct wsgw_err err;
    for (size_t i = 0; i < sizeof(bad_limits) / sizeof(*bad_limits); i++) {
        assert_int_equal(
            parse(NULL, bad_limits[i], NULL, NULL, NULL, 1, &q, &err),
            WSGW_ERR);
        assert_string_equal(err.code, "INVALID_PARAMETER");
        assert_non_null(strstr(err.msg, "limit"));
    }
    for (size_t i = 0; i < sizeof(bad_offsets) / sizeof(*bad_offsets); i++) {
        assert_int_equal(
            parse(NULL, NULL, bad_offsets[i], NULL, NULL, 0, &q, &err),
            WSGW_ERR);
        assert_string_equal(err.code, "INVALID_PARAMETER");
        assert_non_null(strstr(err.msg, "offset"));
    }
}

static void test_bad_coin(void **state)
{
    struct pg_balance_query q;
    struct wsgw_err err;
    assert_int_equal(parse("", NULL, NULL, NULL, NULL, 0, &q, &err), WSGW_ERR);
    assert_string_equal(err.code, "INVALID_PARAMETER");
    assert_int_equal(parse("US'DT", NULL, NULL, NULL, NULL, 0, &q, &err),
                     WSGW_ERR);
    assert_int_equal(parse("BTC-USD", NULL, NULL, NULL, NULL, 0, &q, &err),
                     WSGW_ERR);
    assert_int_equal(parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", NULL, NULL,
                           NULL, NULL, 0, &q, &err),
                     WSGW_ERR);
}

static void test_time_range(void **state)
{
    struct pg_balance_query q;
    struct wsgw_err err;
    assert_int_equal(parse("BTC", NULL, NULL, "2023-11-15T07:52:02.104Z",
                           "2023-11-15T07:52:02.104Z", 1, &q, &err),
                     WSGW_OK); /* inclusive: from == to is a range */
    assert_true(q.has_from && q.has_to);
    assert_int_equal(q.from_ms, 1700034722104LL);
    assert_int_equal(q.to_ms, 1700034722104LL);

    assert_int_equal(parse(NULL, NULL, NULL, "2023-11-15", NULL, 1, &q, &err),
                     WSGW_OK);
    assert_true(q.has_from);
    assert_false(q.has_to);
    assert_int_equal(q.from_ms, 1700006400000LL);

    assert_int_equal(parse(NULL, NULL, NULL, "2023-11-16T00:00:00Z",
                           "2023-11-15T23:59:59.999Z", 1, &q, &err),
                     WSGW_ERR);
    assert_string_equal(err.code, "INVALID_TIME_RANGE");

    assert_int_equal(parse(NULL, NULL, NULL, "yesterday", NULL, 1, &q, &err),
                     WSGW_ERR);
    assert_string_equal(err.code, "INVALID_PARAMETER");
    assert_non_null(strstr(err.msg, "from"));
    assert_int_equal(
        parse(NULL, NULL, NULL, NULL, "2023-13-01T00:00:00Z", 1, &q, &err),
        WSGW_ERR);
    assert_string_equal(err.code, "INVALID_PARAMETER");
    assert_non_null(strstr(err.msg, "to"));
}

/* The latest-balances endpoint has no time filter: from/to are ignored. */
static void test_latest_ignores_times(void **state)
{
    struct pg_balance_query q;
    struct wsgw_err err;
    assert_int_equal(
        parse(NULL, NULL, NULL, "garbage", "2020-01-01", 0, &q, &err), WSGW_OK);
    assert_false(q.has_from);
    assert_false(q.has_to);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_valid_values),
        cmocka_unit_test(test_bad_limit_offset),
        cmocka_unit_test(test_bad_coin),
        cmocka_unit_test(test_time_range),
        cmocka_unit_test(test_latest_ignores_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
