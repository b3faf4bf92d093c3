/*
 * Unit tests of topic building and validation: every channel in every
 * category, and each error code of the admin API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsgw/event.h>

#include "bybit_topic.h"

static const struct bybit_topic_conf conf = {
    .default_category = "linear",
    .default_depth = 1,
    .default_interval = "1",
    .have_credentials = 1,
};

static struct wsgw_sub_request req(const char *ch, const char *sym,
                                   const char *cat)
{
    struct wsgw_sub_request r = {0};
    r.channel_type = ch;
    r.symbol = sym;
    r.category = cat;
    return r;
}

/* Build r and expect success with this topic, stream and class. */
static void ok_r(const struct bybit_topic_conf *c, struct wsgw_sub_request r,
                 const char *topic, const char *stream, int cls)
{
    struct wsgw_topic t;
    struct wsgw_err err = {0};
    if (bybit_topic_build(c, &r, &t, &err) != WSGW_OK)
        fail_msg("%s/%s/%s refused: %s %s", r.channel_type,
                 r.symbol ? r.symbol : "-", r.category ? r.category : "-",
                 err.code ? err.code : "-", err.msg);
    assert_string_equal(t.topic, topic);
    assert_string_equal(t.stream, stream);
    assert_int_equal(t.cls, cls);
}

static void bad_r(const struct bybit_topic_conf *c, struct wsgw_sub_request r,
                  const char *code)
{
    struct wsgw_topic t;
    struct wsgw_err err = {0};
    if (bybit_topic_build(c, &r, &t, &err) == WSGW_OK)
        fail_msg("%s/%s/%s/%s accepted as %s", r.channel_type,
                 r.symbol ? r.symbol : "-", r.category ? r.category : "-",
                 r.topic ? r.topic : "-", t.topic);
    assert_non_null(err.code);
    if (strcmp(err.code, code) != 0)
        fail_msg("%s/%s: code %s (%s), expected %s", r.channel_type,
                 r.symbol ? r.symbol : "-", err.code, err.msg, code);
    assert_true(strlen(err.msg) > 0);
}

static void test_public_channels_every_category(void **state)
{
    (void)state;
    static const char *const cats[] = {"spot", "linear", "inverse"};
    static const char *const syms[] = {"BTCUSDT", "BTCUSDT", "BTCUSD"};
    char want[128];
    for (int i = 0; i < 3; i++) {
        const char *s = syms[i], *c = cats[i];
        snprintf(want, sizeof want, "publicTrade.%s", s);
        ok_r(&conf, req("trades", s, c), want, c, WSGW_CLASS_TRADES);
        snprintf(want, sizeof want, "tickers.%s", s);
        ok_r(&conf, req("ticker", s, c), want, c, WSGW_CLASS_TICKERS);
        ok_r(&conf, req("funding", s, c), want, c, WSGW_CLASS_TICKERS);
        snprintf(want, sizeof want, "orderbook.1.%s", s);
        ok_r(&conf, req("orderbook", s, c), want, c, WSGW_CLASS_ORDERBOOK);
        snprintf(want, sizeof want, "kline.1.%s", s);
        ok_r(&conf, req("kline", s, c), want, c, WSGW_CLASS_KLINES);
        if (i == 0) {
            bad_r(&conf, req("liquidation", s, c), "INVALID_PARAMETER");
        } else {
            snprintf(want, sizeof want, "allLiquidation.%s", s);
            ok_r(&conf, req("liquidation", s, c), want, c,
                 WSGW_CLASS_LIQUIDATIONS);
        }
    }
    /* option: trades per base coin, option symbols elsewhere */
    ok_r(&conf, req("trades", "BTC", "option"), "publicTrade.BTC", "option",
         WSGW_CLASS_TRADES);
    bad_r(&conf, req("trades", "BTC-28JUN24-60000-P", "option"),
          "INVALID_SYMBOL");
    ok_r(&conf, req("ticker", "BTC-28JUN24-60000-P", "option"),
         "tickers.BTC-28JUN24-60000-P", "option", WSGW_CLASS_TICKERS);
    ok_r(&conf, req("ticker", "ETH-3JAN25-3500-C-USDT", "option"),
         "tickers.ETH-3JAN25-3500-C-USDT", "option", WSGW_CLASS_TICKERS);
    ok_r(&conf, req("orderbook", "BTC-28JUN24-60000-P", "option"),
         "orderbook.25.BTC-28JUN24-60000-P", "option", WSGW_CLASS_ORDERBOOK);
    bad_r(&conf, req("ticker", "BTCUSDT", "option"), "INVALID_SYMBOL");
    bad_r(&conf, req("kline", "BTC-28JUN24-60000-P", "option"),
          "INVALID_PARAMETER");
    bad_r(&conf, req("liquidation", "BTC-28JUN24-60000-P", "option"),
          "INVALID_PARAMETER");
}

static void test_defaults_and_records(void **state)
{
    (void)state;
    struct wsgw_topic t;
    struct wsgw_err err = {0};
    struct wsgw_sub_request r = req("trades", "ETHUSDT", NULL);
    assert_int_equal(bybit_topic_build(&conf, &r, &t, &err), WSGW_OK);
    assert_string_equal(t.topic, "publicTrade.ETHUSDT");
    assert_string_equal(t.stream, "linear");
    assert_string_equal(t.category, "linear");
    assert_string_equal(t.symbol, "ETHUSDT");
    assert_string_equal(t.channel_type, "trades");

    /* dated futures and numeric prefixes */
    ok_r(&conf, req("ticker", "BTC-26DEC25", NULL), "tickers.BTC-26DEC25",
         "linear", WSGW_CLASS_TICKERS);
    ok_r(&conf, req("ticker", "1000PEPEUSDT", NULL), "tickers.1000PEPEUSDT",
         "linear", WSGW_CLASS_TICKERS);

    /* a configured default category and depth */
    struct bybit_topic_conf c2 = conf;
    c2.default_category = "spot";
    c2.default_depth = 50;
    c2.default_interval = "5";
    ok_r(&c2, req("orderbook", "BTCUSDT", NULL), "orderbook.50.BTCUSDT", "spot",
         WSGW_CLASS_ORDERBOOK);
    ok_r(&c2, req("kline", "BTCUSDT", NULL), "kline.5.BTCUSDT", "spot",
         WSGW_CLASS_KLINES);
    /* the default depth is not valid for option: its finest depth */
    ok_r(&c2, req("orderbook", "BTC-28JUN24-60000-P", "option"),
         "orderbook.25.BTC-28JUN24-60000-P", "option", WSGW_CLASS_ORDERBOOK);
}

static void test_orderbook_depths(void **state)
{
    (void)state;
    static const int64_t fut[] = {1, 50, 200, 1000};
    char want[64];
    for (int s = BYBIT_SPOT; s <= BYBIT_INVERSE; s++) {
        for (size_t i = 0; i < 4; i++) {
            struct wsgw_sub_request r =
                req("orderbook", "BTCUSDT", bybit_stream_name(s));
            r.depth = fut[i];
            snprintf(want, sizeof want, "orderbook.%lld.BTCUSDT",
                     (long long)fut[i]);
            ok_r(&conf, r, want, bybit_stream_name(s), WSGW_CLASS_ORDERBOOK);
        }
        static const int64_t bad[] = {2, 25, 100, 500, -1};
        for (size_t i = 0; i < 5; i++) {
            struct wsgw_sub_request r =
                req("orderbook", "BTCUSDT", bybit_stream_name(s));
            r.depth = bad[i];
            bad_r(&conf, r, "INVALID_PARAMETER");
        }
    }
    struct wsgw_sub_request r =
        req("orderbook", "BTC-28JUN24-60000-P", "option");
    r.depth = 100;
    ok_r(&conf, r, "orderbook.100.BTC-28JUN24-60000-P", "option",
         WSGW_CLASS_ORDERBOOK);
    r.depth = 50;
    bad_r(&conf, r, "INVALID_PARAMETER");
    r.depth = 1;
    bad_r(&conf, r, "INVALID_PARAMETER");
    assert_true(bybit_depth_valid(BYBIT_OPTION, 25));
    assert_false(bybit_depth_valid(BYBIT_PRIVATE, 1));
}

static void test_kline_intervals(void **state)
{
    (void)state;
    static const char *const good[] = {"1",  "3",   "5",   "15",  "30",
                                       "60", "120", "240", "360", "720",
                                       "D",  "W",   "M"};
    char want[64];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct wsgw_sub_request r = req("kline", "BTCUSDT", "spot");
        r.interval = good[i];
        snprintf(want, sizeof want, "kline.%s.BTCUSDT", good[i]);
        ok_r(&conf, r, want, "spot", WSGW_CLASS_KLINES);
    }
    static const char *const bad[] = {"2", "1m", "d", "1h", "0", "1440"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct wsgw_sub_request r = req("kline", "BTCUSDT", "linear");
        r.interval = bad[i];
        bad_r(&conf, r, "INVALID_PARAMETER");
    }
}

static void test_private_channels(void **state)
{
    (void)state;
    ok_r(&conf, req("order", NULL, NULL), "order", "private",
         WSGW_CLASS_ORDER_STATUS);
    ok_r(&conf, req("order", "*", NULL), "order", "private",
         WSGW_CLASS_ORDER_STATUS);
    ok_r(&conf, req("order", "", NULL), "order", "private",
         WSGW_CLASS_ORDER_STATUS);
    ok_r(&conf, req("order", NULL, "linear"), "order.linear", "private",
         WSGW_CLASS_ORDER_STATUS);
    ok_r(&conf, req("execution", NULL, NULL), "execution", "private",
         WSGW_CLASS_EXECUTIONS);
    ok_r(&conf, req("execution", NULL, "spot"), "execution.spot", "private",
         WSGW_CLASS_EXECUTIONS);
    ok_r(&conf, req("position", NULL, NULL), "position", "private",
         WSGW_CLASS_POSITIONS);
    ok_r(&conf, req("position", NULL, "inverse"), "position.inverse", "private",
         WSGW_CLASS_POSITIONS);
    bad_r(&conf, req("position", NULL, "spot"), "INVALID_PARAMETER");
    ok_r(&conf, req("balance", NULL, NULL), "wallet", "private",
         WSGW_CLASS_BALANCES);
    ok_r(&conf, req("balance", "*", "linear"), "wallet", "private",
         WSGW_CLASS_BALANCES);
    bad_r(&conf, req("order", "BTCUSDT", NULL), "UNEXPECTED_SYMBOL");
    bad_r(&conf, req("balance", "USDT", NULL), "UNEXPECTED_SYMBOL");
    bad_r(&conf, req("execution", NULL, "futures"), "INVALID_PARAMETER");

    struct bybit_topic_conf nocred = conf;
    nocred.have_credentials = 0;
    bad_r(&nocred, req("order", NULL, NULL), "INVALID_PARAMETER");
    bad_r(&nocred, req("balance", NULL, NULL), "INVALID_PARAMETER");
}

static void test_error_codes(void **state)
{
    (void)state;
    bad_r(&conf, req("trade", "BTCUSDT", NULL), "INVALID_CHANNEL_TYPE");
    bad_r(&conf, req("Trades", "BTCUSDT", NULL), "INVALID_CHANNEL_TYPE");
    bad_r(&conf, req(NULL, "BTCUSDT", NULL), "INVALID_CHANNEL_TYPE");
    bad_r(&conf, req("", "BTCUSDT", NULL), "INVALID_CHANNEL_TYPE");
    bad_r(&conf, req("trades", NULL, NULL), "MISSING_SYMBOL");
    bad_r(&conf, req("ticker", "", NULL), "MISSING_SYMBOL");
    bad_r(&conf, req("orderbook", "*", NULL), "MISSING_SYMBOL");
    static const char *const badsyms[] = {
        "btcusdt",  "BTC USDT",
        "BTC/USDT", "BTC_USDT",
        "B",        "-BTC",
        "BTC-",     "BTC--X",
        "BTC.USDT", "BTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDT",
        "BTC\"X",   "é"};
    for (size_t i = 0; i < sizeof badsyms / sizeof *badsyms; i++)
        bad_r(&conf, req("trades", badsyms[i], NULL), "INVALID_SYMBOL");
    static const char *const badopts[] = {
        "BTC-28JUN24-60000",   "BTC-28JUN24-60000-X", "BTC-2024-60000-P",
        "BTC-28JUN24-P-60000", "BTC-28jun24-60000-P", "BTC-28JUN24-60000-P-"};
    for (size_t i = 0; i < sizeof badopts / sizeof *badopts; i++)
        bad_r(&conf, req("ticker", badopts[i], "option"), "INVALID_SYMBOL");
    bad_r(&conf, req("trades", "BTCUSDT", "futures"), "INVALID_PARAMETER");
    bad_r(&conf, req("trades", "BTCUSDT", "private"), "INVALID_PARAMETER");
}

static void test_explicit_topics(void **state)
{
    (void)state;
    struct wsgw_sub_request r = req("trades", NULL, NULL);
    r.topic = "publicTrade.BTCUSDT";
    ok_r(&conf, r, "publicTrade.BTCUSDT", "linear", WSGW_CLASS_TRADES);
    r.symbol = "BTCUSDT";
    ok_r(&conf, r, "publicTrade.BTCUSDT", "linear", WSGW_CLASS_TRADES);
    r.symbol = "ETHUSDT";
    bad_r(&conf, r, "INVALID_TOPIC");

    r = req("orderbook", NULL, "spot");
    r.topic = "orderbook.200.BTCUSDT";
    ok_r(&conf, r, "orderbook.200.BTCUSDT", "spot", WSGW_CLASS_ORDERBOOK);
    r.topic = "orderbook.rpi.BTCUSDT";
    ok_r(&conf, r, "orderbook.rpi.BTCUSDT", "spot", WSGW_CLASS_ORDERBOOK);
    r.topic = "orderbook.300.BTCUSDT";
    bad_r(&conf, r, "INVALID_PARAMETER");
    r.topic = "orderbook.050.BTCUSDT";
    bad_r(&conf, r, "INVALID_TOPIC");

    r = req("funding", NULL, NULL);
    r.topic = "tickers.BTCUSDT";
    ok_r(&conf, r, "tickers.BTCUSDT", "linear", WSGW_CLASS_TICKERS);
    r = req("kline", NULL, "inverse");
    r.topic = "kline.D.BTCUSD";
    ok_r(&conf, r, "kline.D.BTCUSD", "inverse", WSGW_CLASS_KLINES);
    r = req("liquidation", NULL, NULL);
    r.topic = "allLiquidation.BTCUSDT";
    ok_r(&conf, r, "allLiquidation.BTCUSDT", "linear", WSGW_CLASS_LIQUIDATIONS);
    r.topic = "liquidation.BTCUSDT"; /* deprecated by Bybit */
    bad_r(&conf, r, "INVALID_TOPIC");

    /* the topic must agree with channel_type */
    r = req("ticker", NULL, NULL);
    r.topic = "publicTrade.BTCUSDT";
    bad_r(&conf, r, "INVALID_TOPIC");
    r = req("order", NULL, NULL);
    r.topic = "wallet";
    bad_r(&conf, r, "INVALID_TOPIC");
    r.topic = "order.linear";
    ok_r(&conf, r, "order.linear", "private", WSGW_CLASS_ORDER_STATUS);
    r.topic = "order.futures";
    bad_r(&conf, r, "INVALID_TOPIC");
    r = req("execution", NULL, NULL);
    r.topic = "execution.fast";
    ok_r(&conf, r, "execution.fast", "private", WSGW_CLASS_EXECUTIONS);
    r.topic = "execution.fast.linear";
    ok_r(&conf, r, "execution.fast.linear", "private", WSGW_CLASS_EXECUTIONS);
    r = req("position", NULL, "linear");
    r.topic = "position.inverse";
    bad_r(&conf, r, "INVALID_TOPIC");
    r.topic = "position";
    bad_r(&conf, r, "INVALID_TOPIC");

    /* garbage and unsupported topics */
    static const char *const bad[] = {"",
                                      ".",
                                      "publicTrade",
                                      "publicTrade.",
                                      "orderbook.BTCUSDT",
                                      "kline..BTCUSDT",
                                      "insurance",
                                      "dcp",
                                      "greeks.x",
                                      "dcp.linear",
                                      "noSuchTopic.BTCUSDT",
                                      "wallet.linear",
                                      "tickers.btcusdt"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = req(NULL, NULL, NULL);
        r.topic = bad[i];
        if (!*bad[i]) {
            bad_r(&conf, r, "INVALID_CHANNEL_TYPE");
            continue;
        }
        struct wsgw_topic t;
        struct wsgw_err err = {0};
        if (bybit_topic_build(&conf, &r, &t, &err) == WSGW_OK)
            fail_msg("topic %s accepted", bad[i]);
        assert_true(strcmp(err.code, "INVALID_TOPIC") == 0 ||
                    strcmp(err.code, "INVALID_SYMBOL") == 0);
    }
    /* a topic alone implies its channel */
    r = req(NULL, NULL, NULL);
    r.topic = "tickers.ETHUSDT";
    ok_r(&conf, r, "tickers.ETHUSDT", "linear", WSGW_CLASS_TICKERS);
}

static void test_other_topics(void **state)
{
    (void)state;
    /* wsgw's addition: the rarer topics by explicit topic, class other */
    struct wsgw_sub_request r = req(NULL, NULL, NULL);
    r.topic = "insurance.USDT";
    ok_r(&conf, r, "insurance.USDT", "linear", WSGW_CLASS_OTHER);
    r.category = "inverse";
    r.topic = "adlAlert.inverse";
    ok_r(&conf, r, "adlAlert.inverse", "inverse", WSGW_CLASS_OTHER);
    r.category = "spot";
    bad_r(&conf, r, "INVALID_PARAMETER");
    r.topic = "priceLimit.BTCUSDT";
    ok_r(&conf, r, "priceLimit.BTCUSDT", "spot", WSGW_CLASS_OTHER);
    r.topic = "priceLimit.btc";
    bad_r(&conf, r, "INVALID_SYMBOL");
    r.category = "option";
    r.topic = "priceLimit.BTCUSDT";
    bad_r(&conf, r, "INVALID_PARAMETER");
    r = req("other", NULL, NULL);
    r.topic = "insurance.EUR";
    bad_r(&conf, r, "INVALID_TOPIC");
    r.topic = "greeks";
    ok_r(&conf, r, "greeks", "private", WSGW_CLASS_OTHER);
    r.topic = "strategy";
    ok_r(&conf, r, "strategy", "private", WSGW_CLASS_OTHER);
    r.topic = "dcp.future";
    ok_r(&conf, r, "dcp.future", "private", WSGW_CLASS_OTHER);
    r.symbol = "BTCUSDT";
    bad_r(&conf, r, "UNEXPECTED_SYMBOL");
    struct bybit_topic_conf nocred = conf;
    nocred.have_credentials = 0;
    r.symbol = NULL;
    bad_r(&nocred, r, "INVALID_PARAMETER");
    /* channel other needs a topic, and the topic must be an other one */
    bad_r(&conf, req("other", NULL, NULL), "INVALID_TOPIC");
    r = req("other", NULL, NULL);
    r.topic = "publicTrade.BTCUSDT";
    bad_r(&conf, r, "INVALID_TOPIC");
    r = req("trades", NULL, NULL);
    r.topic = "insurance.USDT";
    bad_r(&conf, r, "INVALID_TOPIC");
    struct wsgw_topic t;
    struct wsgw_err err = {0};
    r = req(NULL, NULL, NULL);
    r.topic = "priceLimit.ETHUSDT";
    assert_int_equal(bybit_topic_build(&conf, &r, &t, &err), WSGW_OK);
    assert_string_equal(t.channel_type, "other");
    assert_string_equal(t.symbol, "ETHUSDT");
}

static void test_stream_names(void **state)
{
    (void)state;
    for (int i = 0; i < BYBIT_STREAMS; i++)
        assert_int_equal(bybit_stream_from_name(bybit_stream_name(i)), i);
    assert_int_equal(bybit_stream_from_name("spread"), -1);
    assert_int_equal(bybit_stream_from_name(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_channels_every_category),
        cmocka_unit_test(test_defaults_and_records),
        cmocka_unit_test(test_orderbook_depths),
        cmocka_unit_test(test_kline_intervals),
        cmocka_unit_test(test_private_channels),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_explicit_topics),
        cmocka_unit_test(test_other_topics),
        cmocka_unit_test(test_stream_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
