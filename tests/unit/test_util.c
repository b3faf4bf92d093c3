/*
 * test_util.c — times, ids, randomness, secrets and errors (core/util.c).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <wsgw/core.h>

static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void fmt_is(int64_t ms, const char *want)
{
    char out[WSGW_TIME_LEN + 1];
    memset(out, 'x', sizeof(out));
    assert_int_equal(wsgw_time_format(ms, out), WSGW_TIME_LEN);
    assert_string_equal(out, want);
}

static void test_time_format_known(void **state)
{
    fmt_is(0, "1970-01-01T00:00:00.000Z");
    fmt_is(utc_ms(2026, 11, 26, 20, 25, 19, 123), "2026-11-26T20:25:19.123Z");
    fmt_is(utc_ms(2024, 2, 29, 23, 59, 59, 999), "2024-02-29T23:59:59.999Z");
    fmt_is(utc_ms(2000, 3, 1, 0, 0, 0, 7), "2000-03-01T00:00:00.007Z");
    fmt_is(-1, "1969-12-31T23:59:59.999Z");
    fmt_is(-1000, "1969-12-31T23:59:59.000Z");
    fmt_is(-1001, "1969-12-31T23:59:58.999Z");
    /* Out of the four-digit years: clamped, never longer. */
    fmt_is(INT64_MAX, "9999-12-31T23:59:59.999Z");
    fmt_is(INT64_MIN, "0000-01-01T00:00:00.000Z");
    /* The per-thread cache: same second, neighbour seconds, back again. */
    int64_t b = utc_ms(2026, 1, 1, 0, 0, 0, 0);
    fmt_is(b + 5, "2026-01-01T00:00:00.005Z");
    fmt_is(b + 1005, "2026-01-01T00:00:01.005Z");
    fmt_is(b + 6, "2026-01-01T00:00:00.006Z");
    fmt_is(b + 3000, "2026-01-01T00:00:03.000Z");
    fmt_is(b + 6, "2026-01-01T00:00:00.006Z");
}

static void test_time_format_matches_gmtime(void **state)
{
    char out[WSGW_TIME_LEN + 1], want[64];
    for (int i = 0; i < 20000; i++) {
        int64_t ms = (int64_t)wsgw_random_below(253402300799999ULL);
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        wsgw_time_format(ms, out);
        assert_string_equal(out, want);
    }
}

static void parse_is(const char *s, int64_t want)
{
    int64_t ms = 42;
    if (wsgw_time_parse(s, &ms) != WSGW_OK)
        fail_msg("'%s' did not parse", s);
    assert_int_equal(ms, want);
}

static void parse_fails(const char *s)
{
    int64_t ms = 42;
    if (wsgw_time_parse(s, &ms) != WSGW_ERR)
        fail_msg("'%s' parsed", s);
    assert_int_equal(ms, 42);
}

static void test_time_parse(void **state)
{
    int64_t t = utc_ms(2026, 11, 26, 20, 25, 19, 123);

    parse_is("2026-11-26T20:25:19.123Z", t);
    parse_is("2026-11-26t20:25:19.123z", t);
    parse_is("2026-11-26 20:25:19.123", t);
    parse_is("2026-11-26T20:25:19.123456789Z", t);
    parse_is("2026-11-26T20:25:19,123Z", t);
    parse_is("2026-11-26T20:25:19.1Z", t - 23);
    parse_is("2026-11-26T20:25:19Z", t - 123);
    parse_is("2026-11-26T20:25Z", t - 19123);
    parse_is("2026-11-26", utc_ms(2026, 11, 26, 0, 0, 0, 0));
    parse_is("2026-11-26T21:25:19.123+01:00", t);
    parse_is("2026-11-27T01:55:19.123+05:30", t);
    parse_is("2026-11-26T12:25:19.123-0800", t);
    parse_is("2026-11-26T22:25:19.123+02", t);
    parse_is("1969-12-31T23:59:59.999Z", -1);
    parse_is("2024-02-29T00:00:00Z", utc_ms(2024, 2, 29, 0, 0, 0, 0));

    parse_fails("");
    parse_fails("2026");
    parse_fails("2026-11");
    parse_fails("2026-1-26");
    parse_fails("2026-13-01");
    parse_fails("2026-00-01");
    parse_fails("2025-02-29");
    parse_fails("2026-04-31");
    parse_fails("2026-11-26T24:00:00Z");
    parse_fails("2026-11-26T20:60:00Z");
    parse_fails("2026-11-26T20:25:61Z");
    parse_fails("2026-11-26T20");
    parse_fails("2026-11-26T20:25:19.Z");
    parse_fails("2026-11-26T20:25:19.123ZZ");
    parse_fails("2026-11-26T20:25:19+1");
    parse_fails("2026-11-26T20:25:19+25:00");
    parse_fails("2026-11-26 ");
    parse_fails("2026-11-26Tx");
    parse_fails("x2026-11-26");
    assert_int_equal(wsgw_time_parse(NULL, &t), WSGW_ERR);
}

static void test_time_round_trip(void **state)
{
    char out[WSGW_TIME_LEN + 1];
    for (int i = 0; i < 20000; i++) {
        int64_t ms = (int64_t)wsgw_random_below(253402300799999ULL * 2) -
                     62167219200000LL;
        if (ms > 253402300799999LL)
            continue;
        int64_t back;
        wsgw_time_format(ms, out);
        assert_int_equal(wsgw_time_parse(out, &back), WSGW_OK);
        assert_int_equal(back, ms);
    }
    /* And the current time. */
    int64_t now = wsgw_now_ms(), back;
    wsgw_time_format(now, out);
    assert_int_equal(wsgw_time_parse(out, &back), WSGW_OK);
    assert_int_equal(back, now);
}

static void test_clocks(void **state)
{
    int64_t ms = wsgw_now_ms(), ns = wsgw_now_ns();
    /* Same clock, two units: they agree to within a second. */
    assert_true(ns / 1000000 - ms < 1000 && ns / 1000000 - ms > -1000);
    assert_true(ms > utc_ms(2020, 1, 1, 0, 0, 0, 0));
    int64_t m1 = wsgw_mono_ms(), m2 = wsgw_mono_ms();
    assert_true(m2 >= m1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_uuid4(void **state)
{
    enum { N = 20000 };
    char(*ids)[WSGW_UUID_LEN + 1] = malloc(N * sizeof(*ids));
    assert_non_null(ids);

    for (int i = 0; i < N; i++) {
        char *u = ids[i];
        memset(u, 'x', WSGW_UUID_LEN + 1);
        wsgw_uuid4(u);
        assert_int_equal(strlen(u), WSGW_UUID_LEN);
        assert_true(wsgw_uuid_valid(u));
        assert_int_equal(u[14], '4');           /* version */
        assert_non_null(strchr("89ab", u[19])); /* variant */
        for (int k = 0; k < WSGW_UUID_LEN; k++)
            assert_false(u[k] >= 'A' && u[k] <= 'F'); /* lowercase */
    }
    qsort(ids, N, sizeof(*ids), cmp_str);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_uuid_valid(void **state)
{
    assert_true(wsgw_uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
    assert_true(wsgw_uuid_valid("123E4567-E89B-12D3-A456-426614174000"));
    assert_true(wsgw_uuid_valid("00000000-0000-0000-0000-000000000000"));
    assert_false(wsgw_uuid_valid(NULL));
    assert_false(wsgw_uuid_valid(""));
    assert_false(wsgw_uuid_valid("123e4567-e89b-12d3-a456-42661417400"));
    assert_false(wsgw_uuid_valid("123e4567-e89b-12d3-a456-4266141740000"));
    assert_false(wsgw_uuid_valid("123e4567e89b-12d3-a456-4266141740000"));
    assert_false(wsgw_uuid_valid("123e4567-e89b-12d3-a456_426614174000"));
    assert_false(wsgw_uuid_valid("g23e4567-e89b-12d3-a456-426614174000"));
    assert_false(wsgw_uuid_valid("{23e4567-e89b-12d3-a456-426614174000}"));
}

static void test_random(void **state)
{
    unsigned char buf[64] = {0}, zero[64] = {0};
    int seen[10] = {0};

    assert_int_equal(wsgw_random_bytes(buf, sizeof(buf)), WSGW_OK);
    assert_memory_not_equal(buf, zero, sizeof(buf));
    assert_int_equal(wsgw_random_bytes(buf, 0), WSGW_OK);

    assert_int_equal(wsgw_random_below(0), 0);
    assert_int_equal(wsgw_random_below(1), 0);
    for (int i = 0; i < 10000; i++) {
        uint64_t r = wsgw_random_below(10);
        assert_true(r < 10);
        seen[r]++;
    }
    /* Every value comes up (1000 expected each; 0 has odds ~e^-1000). */
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 0);
    for (int i = 0; i < 1000; i++)
        assert_true(wsgw_random_below(UINT64_MAX) < UINT64_MAX);
}

static void test_secret_equal(void **state)
{
    assert_true(wsgw_secret_equal("s3cret-key", "s3cret-key"));
    assert_true(wsgw_secret_equal("", ""));
    assert_false(wsgw_secret_equal("s3cret-key", "s3cret-kex"));
    assert_false(wsgw_secret_equal("s3cret-key", "X3cret-key"));
    assert_false(wsgw_secret_equal("s3cret-key", "s3cret-ke"));
    assert_false(wsgw_secret_equal("s3cret-ke", "s3cret-key"));
    assert_false(wsgw_secret_equal("abcabc", "abc"));
    assert_false(wsgw_secret_equal("abc", "abcabc"));
    assert_false(wsgw_secret_equal("", "a"));
    assert_false(wsgw_secret_equal("a", ""));
    assert_false(wsgw_secret_equal(NULL, "a"));
    assert_false(wsgw_secret_equal("a", NULL));
    assert_false(wsgw_secret_equal(NULL, NULL));
}

static void test_err_and_version(void **state)
{
    struct wsgw_err err = {0};

    assert_int_equal(wsgw_err_set(&err, "INVALID_SYMBOL", "bad %s %d", "x", 7),
                     WSGW_ERR);
    assert_string_equal(err.code, "INVALID_SYMBOL");
    assert_string_equal(err.msg, "bad x 7");
    assert_int_equal(wsgw_err_set(NULL, NULL, "ignored"), WSGW_ERR);

    char big[1000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    wsgw_err_set(&err, NULL, "%s", big);
    assert_null(err.code);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);

    assert_string_equal(wsgw_version(), PACKAGE_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_format_known),
        cmocka_unit_test(test_time_format_matches_gmtime),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_round_trip),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_uuid4),
        cmocka_unit_test(test_uuid_valid),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_err_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
