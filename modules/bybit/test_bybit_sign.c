/*
 * Unit tests of the signatures (the vectors of PROTOCOL.md §6 and §12,
 * cross-checked against OpenSSL's HMAC here) and of the reconnect backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bybit_backoff.h"
#include "bybit_sign.h"

static void test_auth_vector(void **state)
{
    (void)state;
    char sig[BYBIT_SIG_LEN + 1];
    assert_int_equal(bybit_auth_signature("test-secret", 1662350400000LL, sig),
                     0);
    assert_string_equal(
        sig,
        "f072aab6fa18cd774da998325df6cfc87c3ccf10d5722e6b43b570c5feaf6172");
    /* the same through the generic helper and the documented message */
    const char *msg = "GET/realtime1662350400000";
    char sig2[BYBIT_SIG_LEN + 1];
    assert_int_equal(bybit_hmac_hex("test-secret", msg, strlen(msg), sig2), 0);
    assert_string_equal(sig, sig2);
    /* another secret or expiry gives another signature */
    assert_int_equal(bybit_auth_signature("test-secreT", 1662350400000LL, sig2),
                     0);
    assert_string_not_equal(sig, sig2);
    assert_int_equal(bybit_auth_signature("test-secret", 1662350400001LL, sig2),
                     0);
    assert_string_not_equal(sig, sig2);
}

static void test_rest_vector(void **state)
{
    (void)state;
    char sig[BYBIT_SIG_LEN + 1];
    assert_int_equal(
        bybit_rest_signature("test-secret", 1658384314791LL, "XXXXXXXXXX", 5000,
                             "accountType=UNIFIED&coin=BTC,USDT", sig),
        0);
    assert_string_equal(
        sig,
        "e6e502d6d88abad917612a6f4bde7935d3e22f7bb980ca1b9bcba60fcd13d30b");
}

static void test_rfc4231_case2(void **state)
{
    (void)state;
    /* RFC 4231 test case 2: key "Jefe" */
    const char *msg = "what do ya want for nothing?";
    char sig[BYBIT_SIG_LEN + 1];
    assert_int_equal(bybit_hmac_hex("Jefe", msg, strlen(msg), sig), 0);
    assert_string_equal(
        sig,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_backoff_min_and_growth(void **state)
{
    (void)state;
    /* jitter 0: exactly min * 2^attempt */
    assert_int_equal(bybit_backoff_ms(0, 1000, 30000, 0), 1000);
    assert_int_equal(bybit_backoff_ms(1, 1000, 30000, 0), 2000);
    assert_int_equal(bybit_backoff_ms(2, 1000, 30000, 0), 4000);
    assert_int_equal(bybit_backoff_ms(4, 1000, 30000, 0), 16000);
    assert_int_equal(bybit_backoff_ms(5, 1000, 30000, 0), 30000);
    assert_int_equal(bybit_backoff_ms(6, 500, 30000, 0), 30000);
    assert_int_equal(bybit_backoff_ms(3, 500, 8000, 0), 4000);
    assert_int_equal(bybit_backoff_ms(4, 500, 8000, 0), 8000);
}

static void test_backoff_jitter_range(void **state)
{
    (void)state;
    for (unsigned attempt = 0; attempt < 12; attempt++) {
        int64_t base = 750;
        for (unsigned i = 0; i < attempt && base < 30000; i++)
            base *= 2;
        if (base > 30000)
            base = 30000;
        int64_t lo = INT64_MAX, hi = 0;
        for (uint64_t r = 0; r < 20000; r += 7) {
            int64_t d = bybit_backoff_ms(attempt, 750, 30000, r * 2654435761u);
            assert_true(d >= base - base / 4);
            assert_true(d <= base);
            if (d < lo)
                lo = d;
            if (d > hi)
                hi = d;
        }
        /* the jitter really spreads the delays */
        assert_true(hi - lo >= base / 8);
    }
}

static void test_backoff_never_above_30s(void **state)
{
    (void)state;
    static const int64_t maxes[] = {0, -5, 30000, 60000, 3600000};
    for (size_t m = 0; m < sizeof maxes / sizeof *maxes; m++)
        for (unsigned attempt = 0; attempt < 100; attempt += 3)
            for (uint64_t r = 0; r < 1000; r += 97) {
                int64_t d = bybit_backoff_ms(attempt, 1000, maxes[m], r);
                assert_true(d > 0);
                assert_true(d <= BYBIT_BACKOFF_CAP_MS);
            }
    /* a min above the cap is capped too */
    assert_true(bybit_backoff_ms(0, 120000, 30000, 0) <= 30000);
    /* attempt counts that would overflow a shift stay capped */
    assert_int_equal(bybit_backoff_ms(4000000000u, 1000, 30000, 0), 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_vector),
        cmocka_unit_test(test_rest_vector),
        cmocka_unit_test(test_rfc4231_case2),
        cmocka_unit_test(test_backoff_min_and_growth),
        cmocka_unit_test(test_backoff_jitter_range),
        cmocka_unit_test(test_backoff_never_above_30s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
