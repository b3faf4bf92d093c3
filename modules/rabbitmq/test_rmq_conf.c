/*
 * test_rmq_conf.c — the sink's options as the core applies them from
 * YAML, and the topology they describe: templates, the class->name map,
 * consumer groups (classes, bindings, queue names) and every error with
 * its FILE:LINE:COL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "conf_tree.h"
#include "rmq_conf.h"

struct fixture {
    struct wsgw_conf_node *root;
    struct rmq_conf conf;
    struct rmq_topology topo;
    struct wsgw_err err;
};

/* Apply the YAML map under "sink:" and build the topology. */
static int build(struct fixture *f, const char *yaml)
{
    memset(f, 0, sizeof(*f));
    f->root = conf_load_string("t.yaml", yaml, strlen(yaml), &f->err);
    assert_non_null(f->root);
    if (wsgw_conf_apply(wsgw_conf_get(f->root, "sink"), rmq_options, NULL,
                        &f->conf, &f->err) != WSGW_OK)
        return WSGW_ERR;
    return rmq_topology_build(&f->conf, &f->topo, &f->err);
}

static void done(struct fixture *f)
{
    rmq_topology_free(&f->topo);
    conf_release(rmq_options, &f->conf);
    conf_free(f->root);
}

static const struct rmq_queue *queue(const struct fixture *f, int cls,
                                     const char *name)
{
    const struct rmq_class_topo *ct = &f->topo.cls[cls];
    for (size_t i = 0; i < ct->nqueues; i++)
        if (strcmp(ct->queues[i].name, name) == 0)
            return &ct->queues[i];
    return NULL;
}

static void test_defaults(void **state)
{
    struct fixture f;
    assert_int_equal(build(&f, "sink: {}\n"), WSGW_OK);
    assert_int_equal(f.conf.message_ttl_ms, 24LL * 3600 * 1000);
    assert_int_equal(f.conf.max_length, 100000);
    assert_int_equal(f.conf.overflow, RMQ_OVERFLOW_DROP_HEAD);
    assert_int_equal(f.conf.confirm_window, 1000);
    assert_int_equal(f.conf.heartbeat_ms, 30000);
    assert_int_equal(f.topo.declare_mask, 0);
    assert_int_equal(f.topo.declare_routed, 1);
    for (int c = 0; c < WSGW_CLASS_COUNT; c++) {
        char want[64];
        snprintf(want, sizeof(want), "ws-gateway.%s", wsgw_class_name(c));
        assert_string_equal(f.topo.cls[c].exchange, want);
        assert_int_equal(f.topo.cls[c].nqueues, 1);
        assert_string_equal(f.topo.cls[c].queues[0].name, want);
        assert_int_equal(f.topo.cls[c].queues[0].nkeys, 1);
        assert_string_equal(f.topo.cls[c].queues[0].keys[0], "#");
    }
    assert_string_equal(f.topo.cls[WSGW_CLASS_ORDER_STATUS].queues[0].name,
                        "ws-gateway.order_status");
    done(&f);
}

static void test_templates_and_name_map(void **state)
{
    struct fixture f;
    assert_int_equal(build(&f, "sink:\n"
                               "  exchange_template: wsgw.{class}\n"
                               "  queue_template: gw_{class}_q\n"
                               "  overflow: reject-publish\n"
                               "  queue_names:\n"
                               "    trades: trades_legacy\n"
                               "    order_status: orders\n"),
                     WSGW_OK);
    assert_int_equal(f.conf.overflow, RMQ_OVERFLOW_REJECT_PUBLISH);
    assert_string_equal(rmq_overflow_name(f.conf.overflow), "reject-publish");
    assert_string_equal(f.topo.cls[WSGW_CLASS_TRADES].exchange, "wsgw.trades");
    assert_non_null(queue(&f, WSGW_CLASS_TRADES, "trades_legacy"));
    assert_non_null(queue(&f, WSGW_CLASS_ORDER_STATUS, "orders"));
    assert_non_null(queue(&f, WSGW_CLASS_TICKERS, "gw_tickers_q"));
    done(&f);
}

static void test_consumers(void **state)
{
    struct fixture f;
    assert_int_equal(
        build(&f, "sink:\n"
                  "  queue_names: { trades: legacy_trades }\n"
                  "  consumers:\n"
                  "    - { name: risk-service, classes: [trades, tickers],\n"
                  "        bind: \"trades.*.BTCUSDT\" }\n"
                  "    - name: audit\n"
                  "    - name: books\n"
                  "      classes: orderbook\n"
                  "      bind: [\"*.linear.BTCUSDT\", \"*.spot.#\"]\n"
                  "      queue: books-{class}\n"),
        WSGW_OK);
    /* trades: the default queue, then the groups, in config order. */
    const struct rmq_class_topo *tr = &f.topo.cls[WSGW_CLASS_TRADES];
    assert_int_equal(tr->nqueues, 3);
    assert_string_equal(tr->queues[0].name, "legacy_trades");
    assert_string_equal(tr->queues[1].name, "legacy_trades.risk-service");
    assert_int_equal(tr->queues[1].nkeys, 1);
    assert_string_equal(tr->queues[1].keys[0], "trades.*.BTCUSDT");
    assert_string_equal(tr->queues[2].name, "legacy_trades.audit");
    assert_string_equal(tr->queues[2].keys[0], "#");

    assert_non_null(
        queue(&f, WSGW_CLASS_TICKERS, "ws-gateway.tickers.risk-service"));
    assert_null(
        queue(&f, WSGW_CLASS_BALANCES, "ws-gateway.balances.risk-service"));
    assert_non_null(
        queue(&f, WSGW_CLASS_BALANCES, "ws-gateway.balances.audit"));

    const struct rmq_queue *b =
        queue(&f, WSGW_CLASS_ORDERBOOK, "books-orderbook");
    assert_non_null(b);
    assert_int_equal(b->nkeys, 2);
    assert_string_equal(b->keys[0], "*.linear.BTCUSDT");
    assert_string_equal(b->keys[1], "*.spot.#");
    assert_int_equal(f.topo.cls[WSGW_CLASS_TRADES].nqueues, 3);
    assert_int_equal(f.topo.cls[WSGW_CLASS_ORDERBOOK].nqueues, 3);
    done(&f);
}

static void test_no_default_queues_and_declare_classes(void **state)
{
    struct fixture f;
    assert_int_equal(build(&f, "sink:\n"
                               "  default_queues: false\n"
                               "  declare_classes: [trades, balances]\n"
                               "  consumers: [{ name: only, classes: all }]\n"),
                     WSGW_OK);
    assert_int_equal(f.topo.declare_mask,
                     WSGW_CLASS_BIT(WSGW_CLASS_TRADES) |
                         WSGW_CLASS_BIT(WSGW_CLASS_BALANCES));
    for (int c = 0; c < WSGW_CLASS_COUNT; c++)
        assert_int_equal(f.topo.cls[c].nqueues, 1);
    assert_string_equal(f.topo.cls[WSGW_CLASS_KLINES].queues[0].name,
                        "ws-gateway.klines.only");
    done(&f);
}

/* Build must fail with err containing want. */
static void expect_error(const char *yaml, const char *want)
{
    struct fixture f;
    assert_int_equal(build(&f, yaml), WSGW_ERR);
    if (!strstr(f.err.msg, want))
        fail_msg("error '%s' does not contain '%s'", f.err.msg, want);
    done(&f);
}

static void test_errors(void **state)
{
    expect_error("sink:\n  consumers:\n    - { name: r, classes: [trade] }\n",
                 "t.yaml:3:28: option 'classes': unknown class 'trade'");
    expect_error("sink:\n  consumers:\n    - { name: r, clases: all }\n",
                 "t.yaml:3:18: unknown option 'clases'");
    expect_error("sink:\n  consumers:\n    - { classes: all }\n", "'name'");
    expect_error("sink:\n  consumers:\n    - { name: 'a b' }\n",
                 "t.yaml:3:15: option 'name': expected a consumer group");
    expect_error("sink:\n  consumers:\n    - { name: a }\n    - { name: a }\n",
                 "t.yaml:4:7: option 'consumers': consumer group 'a' is "
                 "listed twice");
    expect_error("sink:\n  consumers: { name: a }\n",
                 "t.yaml:2:14: option 'consumers': expected a list");
    expect_error("sink:\n  consumers:\n    - { name: a, queue: 'q.{group}' }\n",
                 "unknown placeholder '{group}'");
    expect_error("sink:\n  consumers:\n    - { name: a, bind: {x: 1} }\n",
                 "option 'bind': expected a routing pattern");
    expect_error("sink:\n  queue_names: { trade: x }\n",
                 "t.yaml:2:25: option 'queue_names': unknown class 'trade'");
    expect_error("sink:\n  queue_names: { trades: amq.trades }\n",
                 "reserved 'amq.'");
    expect_error("sink:\n  queue_names: [trades]\n",
                 "option 'queue_names': expected a map");
    expect_error("sink:\n  queue_template: 'q.{klass}'\n",
                 "option 'queue_template': template 'q.{klass}': unknown");
    expect_error("sink:\n  exchange_template: 'amq.{class}'\n",
                 "option 'exchange_template': exchange name 'amq.trades'");
    expect_error("sink:\n  declare_classes: [trades, nope]\n",
                 "option 'declare_classes': unknown class 'nope'");
    expect_error("sink:\n  overflow: drop-tail\n", "overflow");
    expect_error("sink:\n  confirm_window: 0\n", "confirm_window");
    expect_error("sink:\n"
                 "  consumers:\n    - { name: a, classes: [trades] }\n"
                 "  consumer_queue_template: 'fixed'\n"
                 "  queue_template: 'fixed'\n",
                 "queue 'fixed' is already used for class trades");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_templates_and_name_map),
        cmocka_unit_test(test_consumers),
        cmocka_unit_test(test_no_default_queues_and_declare_classes),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
