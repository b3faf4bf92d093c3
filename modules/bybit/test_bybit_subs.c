/*
 * Unit tests of control-frame classification (every row of
 * tests/data/bybit/control.jsonl) and of the per-stream subscription
 * state machine: batching limits, ack matching, failure splitting,
 * resubscription, timeouts.
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

#include "bybit_control.h"
#include "bybit_subs.h"
#include "bybit_topic.h"

/* ---- control frames --------------------------------------------------- */

static void test_control_rows(void **state)
{
    (void)state;
    static const struct {
        enum bybit_ctl_kind kind;
        int success;
    } want[] = {
        {BYBIT_CTL_AUTH, 1},      {BYBIT_CTL_AUTH, 1},
        {BYBIT_CTL_AUTH, 0},      {BYBIT_CTL_AUTH, 0},
        {BYBIT_CTL_PONG, 1},      {BYBIT_CTL_PONG, 1},
        {BYBIT_CTL_PONG, 1},      {BYBIT_CTL_PONG, 1},
        {BYBIT_CTL_PONG, 1},      {BYBIT_CTL_PONG, 1},
        {BYBIT_CTL_SUBSCRIBE, 1}, {BYBIT_CTL_SUBSCRIBE, 1},
        {BYBIT_CTL_SUBSCRIBE, 1}, {BYBIT_CTL_SUBSCRIBE, 1},
        {BYBIT_CTL_SUBSCRIBE, 1}, {BYBIT_CTL_UNSUBSCRIBE, 1},
        {BYBIT_CTL_COMMAND, 1},   {BYBIT_CTL_COMMAND, 1},
        {BYBIT_CTL_AUTH, 1},      {BYBIT_CTL_COMMAND, 1},
        {BYBIT_CTL_SUBSCRIBE, 0}, {BYBIT_CTL_SUBSCRIBE, 0},
        {BYBIT_CTL_AUTH, 1},      {BYBIT_CTL_AUTH, 1},
        {BYBIT_CTL_AUTH, 0},      {BYBIT_CTL_PONG, 1},
    };
    char path[512];
    snprintf(path, sizeof path, "%s/bybit/control.jsonl", TEST_DATA_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, row = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        assert_true(row < sizeof want / sizeof *want);
        struct bybit_ctl c;
        assert_int_equal(bybit_ctl_parse(line, (size_t)len, &c), 0);
        if (c.kind != want[row].kind || c.success != want[row].success)
            fail_msg("row %zu: kind %d success %d, expected %d %d", row + 1,
                     c.kind, c.success, want[row].kind, want[row].success);
        if (row == 2 || row == 3)
            assert_string_equal(c.ret_msg, "Params Error");
        if (row == 11)
            assert_string_equal(c.req_id, "10001");
        if (row == 16) {
            assert_non_null(c.success_topics);
            assert_int_equal(json_array_size(c.success_topics), 1);
            assert_int_equal(json_array_size(c.fail_topics), 0);
        }
        if (row == 17)
            assert_null(c.success_topics);
        if (row == 24)
            assert_string_equal(c.ret_msg, "Invalid sign");
        if (row == 20 || row == 21) {
            char topic[128];
            assert_int_equal(bybit_failed_topic(c.ret_msg, topic, sizeof topic),
                             1);
            assert_string_equal(topic, row == 20 ? "allLiquidation.ORDERUSDT"
                                                 : "dcp.future");
        }
        bybit_ctl_free(&c);
        row++;
    }
    assert_int_equal(row, sizeof want / sizeof *want);
    free(line);
    fclose(f);

    struct bybit_ctl c;
    assert_int_equal(bybit_ctl_parse("[1]", 3, &c), -1);
    assert_int_equal(bybit_ctl_parse("{\"x\":1}", 7, &c), 0);
    assert_int_equal(c.kind, BYBIT_CTL_UNKNOWN);
    bybit_ctl_free(&c);
    char t[16];
    assert_int_equal(bybit_failed_topic("Params Error", t, sizeof t), 0);
    assert_int_equal(bybit_failed_topic(NULL, t, sizeof t), 0);
}

/* ---- the state machine ------------------------------------------------ */

struct rec {
    json_t *sent;    /* array of the requests sent (parsed)              */
    json_t *answers; /* array of [op, topic, ok, reason]                 */
};

static void rec_send(void *arg, const char *text, size_t len)
{
    struct rec *r = arg;
    json_error_t e;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fail_msg("request is not JSON (%s): %.*s", e.text, (int)len, text);
    json_array_append_new(r->sent, j);
}

static void rec_answer(void *arg, enum bsub_op op, const char *topic, int ok,
                       const char *reason)
{
    struct rec *r = arg;
    json_array_append_new(r->answers,
                          json_pack("[i,s,b,s?]", (int)op, topic, ok, reason));
}

struct fx {
    struct rec rec;
    struct bsub s;
};

static struct fx *fx_new(int stream)
{
    struct fx *f = calloc(1, sizeof *f);
    f->rec.sent = json_array();
    f->rec.answers = json_array();
    struct bsub_callbacks cb = {rec_send, rec_answer, &f->rec};
    assert_int_equal(bsub_init(&f->s, stream, &cb), 0);
    return f;
}

static void fx_free(struct fx *f)
{
    bsub_free(&f->s);
    json_decref(f->rec.sent);
    json_decref(f->rec.answers);
    free(f);
}

static json_t *sent(struct fx *f, size_t i)
{
    return json_array_get(f->rec.sent, i);
}

static const char *req_id(struct fx *f, size_t i)
{
    return json_string_value(json_object_get(sent(f, i), "req_id"));
}

static size_t nargs(struct fx *f, size_t i)
{
    return json_array_size(json_object_get(sent(f, i), "args"));
}

static void ack(struct fx *f, const char *text, int64_t now)
{
    struct bybit_ctl c;
    assert_int_equal(bybit_ctl_parse(text, strlen(text), &c), 0);
    bsub_on_ack(&f->s, &c, now);
    bybit_ctl_free(&c);
}

static void ack_id(struct fx *f, const char *id, int ok, const char *msg)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"success\":%s,\"ret_msg\":\"%s\",\"conn_id\":\"c\","
             "\"req_id\":\"%s\",\"op\":\"subscribe\"}",
             ok ? "true" : "false", msg, id);
    ack(f, buf, 0);
}

/* The answer for a topic: 1 ok, 0 failed, -1 none; *reason if failed. */
static int answer_of(struct fx *f, const char *topic, const char **reason)
{
    int res = -1;
    size_t i;
    json_t *a;
    json_array_foreach(f->rec.answers, i, a)
    {
        if (json_integer_value(json_array_get(a, 0)) != BSUB_OP_SUBSCRIBE ||
            strcmp(json_string_value(json_array_get(a, 1)), topic) != 0)
            continue;
        res = json_is_true(json_array_get(a, 2));
        if (reason)
            *reason = json_string_value(json_array_get(a, 3));
    }
    return res;
}

/* Want n topics named pre + number (zero-padded to `width`) + suf. */
static void want_n(struct fx *f, const char *pre, int width, const char *suf,
                   int n)
{
    char t[128];
    for (int i = 0; i < n; i++) {
        snprintf(t, sizeof t, "%s%0*d%s", pre, width, i, suf);
        assert_non_null(bsub_want(&f->s, t, NULL));
    }
}

static void test_spot_batches_of_ten(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_SPOT);
    want_n(f, "publicTrade.SYM", 0, "USDT", 25);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 3);
    size_t total = 0;
    for (size_t i = 0; i < 3; i++) {
        assert_true(nargs(f, i) <= 10);
        total += nargs(f, i);
        assert_string_equal(
            json_string_value(json_object_get(sent(f, i), "op")), "subscribe");
        assert_non_null(req_id(f, i));
    }
    assert_int_equal(total, 25);
    assert_string_not_equal(req_id(f, 0), req_id(f, 1));
    /* nothing more to send until something changes */
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 3);
    size_t n[4];
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_SENT], 25);
    fx_free(f);
}

static void test_linear_batches(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    want_n(f, "tickers.S", 0, "USDT", 250);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(nargs(f, i) <= BYBIT_ARGS_PER_REQ);
    /* every ack by req_id makes its topics active */
    for (size_t i = 0; i < 3; i++)
        ack_id(f, req_id(f, i), 1, "");
    size_t n[4];
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_ACTIVE], 250);
    assert_int_equal(json_array_size(f->rec.answers), 250);
    assert_int_equal(bsub_inflight(&f->s), 0);
    fx_free(f);
}

static void test_private_never_mixes_categorised(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_PRIVATE);
    const char *topics[] = {"order",           "order.linear", "wallet",
                            "execution.spot",  "position",     "execution",
                            "position.inverse"};
    for (size_t i = 0; i < 7; i++)
        bsub_want(&f->s, topics[i], NULL);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *args = json_object_get(sent(f, i), "args");
        int cat = -1;
        size_t k;
        json_t *v;
        json_array_foreach(args, k, v)
        {
            int c = strchr(json_string_value(v), '.') != NULL;
            if (cat >= 0)
                assert_int_equal(c, cat);
            cat = c;
        }
    }
    /* the private ack has no req_id: answered in order */
    ack(f,
        "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\","
        "\"conn_id\":\"x\"}",
        0);
    assert_int_equal(bsub_inflight(&f->s), 1);
    ack(f,
        "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\","
        "\"conn_id\":\"x\"}",
        0);
    assert_int_equal(bsub_inflight(&f->s), 0);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(answer_of(f, topics[i], NULL), 1);
    fx_free(f);
}

static void test_failure_naming_one_topic(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    bsub_want(&f->s, "publicTrade.BTCUSDT", NULL);
    bsub_want(&f->s, "dcp.future", NULL);
    bsub_want(&f->s, "tickers.BTCUSDT", NULL);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 1);
    ack_id(f, req_id(f, 0), 0, "error:handler not found,topic:dcp.future");

    const char *why = NULL;
    assert_int_equal(answer_of(f, "dcp.future", &why), 0);
    assert_string_equal(why, "error:handler not found,topic:dcp.future");
    /* its neighbours are not failed: each is asked for alone */
    assert_int_equal(answer_of(f, "publicTrade.BTCUSDT", NULL), -1);
    assert_int_equal(answer_of(f, "tickers.BTCUSDT", NULL), -1);
    assert_int_equal(json_array_size(f->rec.sent), 3);
    assert_int_equal(nargs(f, 1), 1);
    assert_int_equal(nargs(f, 2), 1);
    ack_id(f, req_id(f, 1), 1, "");
    ack_id(f, req_id(f, 2), 1, "");
    assert_int_equal(answer_of(f, "publicTrade.BTCUSDT", NULL), 1);
    assert_int_equal(answer_of(f, "tickers.BTCUSDT", NULL), 1);
    size_t n[4];
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_ACTIVE], 2);
    assert_int_equal(n[BSUB_FAILED], 1);
    /* a failed topic is not sent again on this connection... */
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 3);
    /* ...but is after a reconnect */
    bsub_reset(&f->s);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 4);
    assert_int_equal(nargs(f, 3), 3);
    fx_free(f);
}

static void test_failure_naming_nothing(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_INVERSE);
    want_n(f, "tickers.S", 0, "USD", 3);
    bsub_pump(&f->s, 0);
    ack_id(f, req_id(f, 0), 0, "some unexpected failure");
    assert_int_equal(json_array_size(f->rec.answers), 0);
    assert_int_equal(json_array_size(f->rec.sent), 4);
    /* the single retries: one fails for good, not split further */
    ack_id(f, req_id(f, 1), 1, "");
    ack_id(f, req_id(f, 2), 0, "error:oops");
    ack_id(f, req_id(f, 3), 1, "");
    assert_int_equal(json_array_size(f->rec.answers), 3);
    assert_int_equal(json_array_size(f->rec.sent), 4);
    size_t n[4];
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_ACTIVE], 2);
    assert_int_equal(n[BSUB_FAILED], 1);
    fx_free(f);
}

static void test_already_subscribed_is_success(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    bsub_want(&f->s, "allLiquidation.ORDERUSDT", NULL);
    bsub_pump(&f->s, 0);
    ack_id(f, req_id(f, 0), 0,
           "error:already subscribed,topic:allLiquidation.ORDERUSDT");
    assert_int_equal(answer_of(f, "allLiquidation.ORDERUSDT", NULL), 1);
    fx_free(f);
}

static void test_option_topic_lists(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_OPTION);
    bsub_want(&f->s, "orderbook.100.BTC-6JAN23-18000-C", NULL);
    bsub_want(&f->s, "tickers.BTC-6JAN23-18000-C", NULL);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 1);
    ack(f,
        "{\"success\":true,\"conn_id\":\"a\",\"data\":{\"failTopics\":"
        "[\"tickers.BTC-6JAN23-18000-C\"],\"successTopics\":"
        "[\"orderbook.100.BTC-6JAN23-18000-C\"]},\"type\":\"COMMAND_RESP\"}",
        0);
    assert_int_equal(answer_of(f, "orderbook.100.BTC-6JAN23-18000-C", NULL), 1);
    assert_int_equal(answer_of(f, "tickers.BTC-6JAN23-18000-C", NULL), 0);
    assert_int_equal(bsub_inflight(&f->s), 0);

    /* the early shape without lists answers the oldest request */
    bsub_want(&f->s, "tickers.ETH-6JAN23-1000-P", NULL);
    bsub_pump(&f->s, 0);
    ack(f, "{\"success\":true,\"conn_id\":\"a\",\"type\":\"COMMAND_RESP\"}", 0);
    assert_int_equal(answer_of(f, "tickers.ETH-6JAN23-1000-P", NULL), 1);
    fx_free(f);
}

static void test_unsubscribe_and_rewant(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    int user = 7;
    bsub_want(&f->s, "tickers.AUSDT", &user);
    bsub_want(&f->s, "tickers.BUSDT", NULL);
    bsub_pump(&f->s, 0);
    ack_id(f, req_id(f, 0), 1, "");
    struct bsub_topic *t = bsub_lookup(&f->s, "tickers.AUSDTxyz", 13);
    assert_non_null(t);
    assert_ptr_equal(t->user, &user);
    assert_null(bsub_lookup(&f->s, "tickers.AUSDT", 12));

    assert_ptr_equal(bsub_unwant(&f->s, "tickers.AUSDT", 1), &user);
    assert_int_equal(bsub_count(&f->s), 1);
    assert_null(bsub_unwant(&f->s, "tickers.NOPE", 1));
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 2);
    json_t *u = sent(f, 1);
    assert_string_equal(json_string_value(json_object_get(u, "op")),
                        "unsubscribe");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(u, "args"), 0)),
        "tickers.AUSDT");
    size_t before = json_array_size(f->rec.answers);
    ack(f,
        "{\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"c\",\"req_id\":"
        "\"lin-2\",\"op\":\"unsubscribe\"}",
        0);
    assert_int_equal(bsub_inflight(&f->s), 0);
    /* an unsubscribe answer is not a subscribe answer */
    json_t *last = json_array_get(f->rec.answers, before);
    assert_int_equal(json_integer_value(json_array_get(last, 0)),
                     BSUB_OP_UNSUBSCRIBE);

    /* unwanted while disconnected: nothing to send */
    bsub_unwant(&f->s, "tickers.BUSDT", 0);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 2);

    /* unwanted then wanted again before the pump: no unsubscribe */
    bsub_want(&f->s, "tickers.CUSDT", NULL);
    bsub_pump(&f->s, 0);
    bsub_unwant(&f->s, "tickers.CUSDT", 1);
    bsub_want(&f->s, "tickers.CUSDT", NULL);
    bsub_pump(&f->s, 0);
    json_t *last_req = sent(f, json_array_size(f->rec.sent) - 1);
    assert_string_equal(json_string_value(json_object_get(last_req, "op")),
                        "subscribe");
    fx_free(f);
}

static void test_reset_resubscribes_everything(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_SPOT);
    want_n(f, "orderbook.1.S", 0, "USDT", 15);
    bsub_pump(&f->s, 0);
    ack_id(f, req_id(f, 0), 1, "");
    ack_id(f, req_id(f, 1), 1, "");
    size_t n[4];
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_ACTIVE], 15);
    bsub_reset(&f->s);
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_WANT], 15);
    assert_int_equal(bsub_inflight(&f->s), 0);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), 4);
    assert_int_equal(nargs(f, 2) + nargs(f, 3), 15);
    fx_free(f);
}

static void test_ack_timeouts(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    bsub_want(&f->s, "tickers.XUSDT", NULL);
    bsub_pump(&f->s, 1000);
    bsub_tick(&f->s, 5000, 10000); /* not yet */
    assert_int_equal(bsub_inflight(&f->s), 1);
    for (int i = 1; i < BYBIT_SUB_TRIES; i++) {
        bsub_tick(&f->s, 1000 + i * 20000, 10000);
        bsub_pump(&f->s, 1000 + i * 20000);
        assert_int_equal(json_array_size(f->rec.sent), (size_t)i + 1);
        assert_int_equal(answer_of(f, "tickers.XUSDT", NULL), -1);
    }
    bsub_tick(&f->s, 1000000, 10000);
    const char *why = NULL;
    assert_int_equal(answer_of(f, "tickers.XUSDT", &why), 0);
    assert_non_null(why);
    /* a late ack of a forgotten request changes nothing */
    size_t before = json_array_size(f->rec.answers);
    ack_id(f, req_id(f, 0), 1, "");
    assert_int_equal(json_array_size(f->rec.answers), before);
    /* wanted again: tried again */
    bsub_want(&f->s, "tickers.XUSDT", NULL);
    bsub_pump(&f->s, 0);
    assert_int_equal(json_array_size(f->rec.sent), BYBIT_SUB_TRIES + 1);
    fx_free(f);
}

static void test_connection_char_limit(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    /* 1000 topics of 30 characters: 30,000 > 21,000 */
    want_n(f, "orderbook.1000.LONGSYM", 7, "T", 1000);
    bsub_pump(&f->s, 0);
    size_t args = 0, chars = 0;
    for (size_t i = 0; i < json_array_size(f->rec.sent); i++) {
        json_t *a = json_object_get(sent(f, i), "args");
        size_t k;
        json_t *v;
        json_array_foreach(a, k, v)
        {
            chars += strlen(json_string_value(v));
            args++;
        }
    }
    assert_true(chars <= BYBIT_ARGS_CHARS_MAX);
    size_t n[4];
    bsub_counts(&f->s, n);
    assert_int_equal(n[BSUB_SENT], args);
    assert_int_equal(n[BSUB_FAILED], 1000 - args);
    assert_int_equal(json_array_size(f->rec.answers), 1000 - args);
    fx_free(f);
}

static void test_many_topics_hash(void **state)
{
    (void)state;
    struct fx *f = fx_new(BYBIT_LINEAR);
    want_n(f, "publicTrade.S", 0, "USDT", 5000);
    assert_int_equal(bsub_count(&f->s), 5000);
    char t[64];
    for (int i = 0; i < 5000; i += 111) {
        snprintf(t, sizeof t, "publicTrade.S%dUSDT", i);
        assert_non_null(bsub_lookup(&f->s, t, strlen(t)));
    }
    /* wanting twice is one topic */
    bsub_want(&f->s, "publicTrade.S7USDT", NULL);
    assert_int_equal(bsub_count(&f->s), 5000);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_rows),
        cmocka_unit_test(test_spot_batches_of_ten),
        cmocka_unit_test(test_linear_batches),
        cmocka_unit_test(test_private_never_mixes_categorised),
        cmocka_unit_test(test_failure_naming_one_topic),
        cmocka_unit_test(test_failure_naming_nothing),
        cmocka_unit_test(test_already_subscribed_is_success),
        cmocka_unit_test(test_option_topic_lists),
        cmocka_unit_test(test_unsubscribe_and_rewant),
        cmocka_unit_test(test_reset_resubscribes_everything),
        cmocka_unit_test(test_ack_timeouts),
        cmocka_unit_test(test_connection_char_limit),
        cmocka_unit_test(test_many_topics_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
