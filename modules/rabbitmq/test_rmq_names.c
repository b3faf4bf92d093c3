/*
 * test_rmq_names.c — queue/exchange name templates, name checks, routing
 * keys, and the AMQP message (properties, headers, key, body) built for
 * a real event.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rmq_message.h"
#include "rmq_names.h"

static void test_expand(void **state)
{
    char out[RMQ_NAME_MAX + 1];
    struct wsgw_err err = {0};
    struct rmq_var vars[] = {{"class", "trades"},
                             {"consumer", "risk-service"},
                             {"queue", "ws-gateway.trades"}};

    assert_int_equal(rmq_expand("ws-gateway.{class}", vars, 1, out, &err), 17);
    assert_string_equal(out, "ws-gateway.trades");
    assert_true(rmq_expand("{queue}.{consumer}", vars, 3, out, &err) > 0);
    assert_string_equal(out, "ws-gateway.trades.risk-service");
    assert_true(rmq_expand("{class}-{class}", vars, 1, out, &err) > 0);
    assert_string_equal(out, "trades-trades");
    assert_true(rmq_expand("plain", vars, 1, out, &err) > 0);
    assert_string_equal(out, "plain");
}

static void test_expand_errors(void **state)
{
    char out[RMQ_NAME_MAX + 1];
    struct wsgw_err err = {0};
    struct rmq_var vars[] = {{"class", "trades"}, {"consumer", "x"}};

    assert_int_equal(rmq_expand("q.{klass}", vars, 2, out, &err), -1);
    assert_non_null(strstr(err.msg, "unknown placeholder '{klass}'"));
    assert_non_null(strstr(err.msg, "{class}, {consumer}"));

    assert_int_equal(rmq_expand("q.{class", vars, 1, out, &err), -1);
    assert_non_null(strstr(err.msg, "without a closing"));

    assert_int_equal(rmq_expand("", vars, 1, out, &err), -1);
    assert_non_null(strstr(err.msg, "empty name"));

    char big[300];
    memset(big, 'a', 250);
    strcpy(big + 250, ".{class}"); /* 250 + 1 + 6 > 255 */
    assert_int_equal(rmq_expand(big, vars, 1, out, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 255"));
}

static void test_name_check(void **state)
{
    struct wsgw_err err = {0};
    assert_int_equal(rmq_name_check("queue", "ws-gateway.trades", &err),
                     WSGW_OK);
    assert_int_equal(rmq_name_check("queue", "amq.trades", &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "reserved 'amq.'"));
    assert_int_equal(rmq_name_check("exchange", "", &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "exchange name is empty"));
    assert_int_equal(rmq_name_check("queue", "a\tb", &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "control character"));
}

static void test_routing_key(void **state)
{
    char out[RMQ_NAME_MAX + 1];
    assert_int_equal(rmq_routing_key("trades", "linear", "BTCUSDT", out), 21);
    assert_string_equal(out, "trades.linear.BTCUSDT");
    rmq_routing_key("balances", "", NULL, out);
    assert_string_equal(out, "balances._._");
    rmq_routing_key("other", NULL, "", out);
    assert_string_equal(out, "other._._");
    /* A dot inside a part would add a word: it becomes '_'. */
    rmq_routing_key("tickers", "option", "BTC.30DEC", out);
    assert_string_equal(out, "tickers.option.BTC_30DEC");

    char sym[400];
    memset(sym, 'S', sizeof(sym) - 1);
    sym[sizeof(sym) - 1] = '\0';
    assert_int_equal(rmq_routing_key("trades", "spot", sym, out), RMQ_NAME_MAX);
    assert_int_equal(strlen(out), RMQ_NAME_MAX);
    assert_memory_equal(out, "trades.spot.SSS", 15);
}

static const char *header(const amqp_basic_properties_t *p, const char *key)
{
    static char buf[256];
    for (int i = 0; i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len == strlen(key) &&
            !memcmp(e->key.bytes, key, e->key.len)) {
            assert_int_equal(e->value.kind, AMQP_FIELD_KIND_UTF8);
            snprintf(buf, sizeof(buf), "%.*s", (int)e->value.value.bytes.len,
                     (char *)e->value.value.bytes.bytes);
            return buf;
        }
    }
    return NULL;
}

static int bytes_eq(amqp_bytes_t b, const char *s)
{
    return b.len == strlen(s) && memcmp(b.bytes, s, b.len) == 0;
}

static void test_message(void **state)
{
    static const char payload[] = "{\"s\":\"BTCUSDT\",\"p\":\"1.5\"}";
    struct wsgw_iov part = {payload, sizeof(payload) - 1};
    struct wsgw_event_spec spec = {
        .cls = WSGW_CLASS_TRADES,
        .type = "trade",
        .topic = "publicTrade.BTCUSDT",
        .topic_len = 19,
        .category = "linear",
        .symbol = "BTCUSDT",
        .symbol_len = 7,
        .timestamp_ms = 1795724719123LL,
        .received_ns = 1795724719125000000LL,
        .trace_id = "0123456789abcdef0123456789abcdef",
        .payload = &part,
        .payload_parts = 1,
    };
    struct wsgw_event *ev = wsgw_event_new(&spec);
    assert_non_null(ev);
    struct rmq_message m;
    rmq_message_build(&m, ev);
    const amqp_basic_properties_t *p = &m.props;

    assert_true(bytes_eq(m.routing_key, "trades.linear.BTCUSDT"));
    size_t len;
    const char *json = wsgw_event_json(ev, &len);
    assert_int_equal(m.body.len, len);
    assert_ptr_equal(m.body.bytes, json);

    amqp_flags_t want = AMQP_BASIC_CONTENT_TYPE_FLAG |
                        AMQP_BASIC_DELIVERY_MODE_FLAG |
                        AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                        AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
    assert_int_equal(p->_flags, want);
    assert_true(bytes_eq(p->content_type, "application/json"));
    assert_int_equal(p->delivery_mode, 2);
    assert_true(bytes_eq(p->message_id, wsgw_event_id(ev)));
    assert_int_equal(p->timestamp, 1795724719);
    assert_true(bytes_eq(p->type, "trade"));
    assert_int_equal(p->headers.num_entries, 3);
    assert_string_equal(header(p, "event_type"), "trade");
    assert_string_equal(header(p, "topic"), "publicTrade.BTCUSDT");
    assert_string_equal(header(p, "trace_id"),
                        "0123456789abcdef0123456789abcdef");
    wsgw_event_unref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),     cmocka_unit_test(test_expand_errors),
        cmocka_unit_test(test_name_check), cmocka_unit_test(test_routing_key),
        cmocka_unit_test(test_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
