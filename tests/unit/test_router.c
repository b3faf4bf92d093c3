/*
 * test_router.c — routes from source classes to sink queues, and the
 * references emit takes and gives (core/router.c). Linked with
 * -Wl,--wrap=free (free_watch.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <wsgw/wsgw.h>

#include "fake_instance.h"
#include "free_watch.h"
#include "router.h"

static size_t pop_all(struct wsgw_instance *sink, struct wsgw_event **out)
{
    return wsgw_sink_pop(sink, out, FAKE_MAX, 0);
}

static void test_two_sources_three_sinks(void **state)
{
    struct wsgw_instance a, b, s1, s2, s3;
    struct wsgw_event *out[FAKE_MAX];

    watch_reset();
    fake_source(&a, "a");
    fake_source(&b, "b");
    fake_sink(&s1, "s1", &fake_thread_mod, 100, 0, SINKQ_DROP_OLDEST, NULL);
    fake_sink(&s2, "s2", &fake_thread_mod, 100, 0, SINKQ_DROP_OLDEST, NULL);
    fake_sink(&s3, "s3", &fake_thread_mod, 100, 0, SINKQ_DROP_OLDEST, NULL);

    /* a: trades -> s1, s2; balances+positions -> s3; (later) tickers -> s1
     * b: everything -> s3; tickers -> s1 */
    assert_int_equal(router_add(&a, WSGW_CLASS_BIT(WSGW_CLASS_TRADES), &s1),
                     WSGW_OK);
    assert_int_equal(router_add(&a, WSGW_CLASS_BIT(WSGW_CLASS_TRADES), &s2),
                     WSGW_OK);
    assert_int_equal(router_add(&a,
                                WSGW_CLASS_BIT(WSGW_CLASS_BALANCES) |
                                    WSGW_CLASS_BIT(WSGW_CLASS_POSITIONS),
                                &s3),
                     WSGW_OK);
    assert_int_equal(router_add(&b, WSGW_CLASS_ALL, &s3), WSGW_OK);
    assert_int_equal(router_add(&b, WSGW_CLASS_BIT(WSGW_CLASS_TICKERS), &s1),
                     WSGW_OK);

    struct wsgw_event *evs[4] = {
        ev_num(WSGW_CLASS_TRADES, 1), ev_num(WSGW_CLASS_BALANCES, 2),
        ev_num(WSGW_CLASS_TICKERS, 3), ev_num(WSGW_CLASS_POSITIONS, 4)};
    struct wsgw_event *trade = evs[0], *bal = evs[1], *tick = evs[2],
                      *pos = evs[3];
    for (int i = 0; i < 4; i++)
        watch(evs[i]);

    /* The ticker goes nowhere from a: freed by emit itself. */
    assert_int_equal(wsgw_emit(&a, evs, 4), 3);
    assert_true(freed(tick));
    assert_false(freed(trade));
    assert_int_equal(wsgw_sink_depth(&s1), 1);
    assert_int_equal(wsgw_sink_depth(&s2), 1);
    assert_int_equal(wsgw_sink_depth(&s3), 2);

    /* The trade is shared by s1 and s2: freed when both let it go. */
    assert_int_equal(pop_all(&s1, out), 1);
    assert_ptr_equal(out[0], trade);
    wsgw_event_unref(out[0]);
    assert_false(freed(trade));
    assert_int_equal(pop_all(&s2, out), 1);
    assert_ptr_equal(out[0], trade);
    wsgw_event_unref(out[0]);
    assert_true(freed(trade));

    assert_int_equal(pop_all(&s3, out), 2);
    assert_ptr_equal(out[0], bal);
    assert_ptr_equal(out[1], pos);
    wsgw_event_unref(out[0]);
    wsgw_event_unref(out[1]);
    assert_true(freed(bal));
    assert_true(freed(pos));

    /* b: a ticker reaches s1 and s3, an order only s3. */
    evs[0] = ev_num(WSGW_CLASS_TICKERS, 5);
    evs[1] = ev_num(WSGW_CLASS_ORDER_STATUS, 6);
    assert_int_equal(wsgw_emit(&b, evs, 2), 2);
    assert_int_equal(wsgw_sink_depth(&s1), 1);
    assert_int_equal(wsgw_sink_depth(&s2), 0);
    assert_int_equal(wsgw_sink_depth(&s3), 2);
    assert_int_equal(pop_all(&s1, out), 1);
    assert_int_equal(ev_val(out[0]), 5);
    wsgw_event_unref(out[0]);
    assert_int_equal(pop_all(&s3, out), 2);
    assert_int_equal(ev_val(out[0]), 5);
    assert_int_equal(ev_val(out[1]), 6);
    wsgw_event_unref(out[0]);
    wsgw_event_unref(out[1]);

    /* Adding a pair again merges the masks: a's tickers now reach s1. */
    assert_int_equal(router_add(&a, WSGW_CLASS_BIT(WSGW_CLASS_TICKERS), &s1),
                     WSGW_OK);
    evs[0] = ev_num(WSGW_CLASS_TICKERS, 7);
    evs[1] = ev_num(WSGW_CLASS_TRADES, 8);
    assert_int_equal(wsgw_emit(&a, evs, 2), 2);
    assert_int_equal(pop_all(&s1, out), 2);
    assert_int_equal(ev_val(out[0]), 7);
    assert_int_equal(ev_val(out[1]), 8);
    wsgw_event_unref(out[0]);
    wsgw_event_unref(out[1]);
    assert_int_equal(pop_all(&s2, out), 1);
    assert_int_equal(ev_val(out[0]), 8);
    wsgw_event_unref(out[0]);

    router_free(&a);
    router_free(&b);
    assert_null(a.routes);
    sinkq_free(s1.q);
    sinkq_free(s2.q);
    sinkq_free(s3.q);
}

static void test_no_routes(void **state)
{
    struct wsgw_instance a;
    struct wsgw_event *evs[2] = {ev_num(0, 1), ev_num(1, 2)};

    fake_source(&a, "lonely");
    watch(evs[0]);
    watch(evs[1]);
    assert_int_equal(wsgw_emit(&a, evs, 2), 0);
    assert_true(freed(evs[0]));
    assert_true(freed(evs[1]));
    assert_int_equal(wsgw_emit(&a, NULL, 0), 0);
    evs[0] = ev_num(0, 3);
    watch(evs[0]);
    assert_int_equal(wsgw_emit(NULL, evs, 1), 0);
    assert_true(freed(evs[0]));
}

static void test_add_refuses_sink_without_queue(void **state)
{
    struct wsgw_instance a, s;

    fake_source(&a, "a");
    fake_source(&s, "not-a-sink");
    assert_int_equal(router_add(&a, WSGW_CLASS_ALL, &s), WSGW_ERR);
    assert_int_equal(router_add(&a, WSGW_CLASS_ALL, NULL), WSGW_ERR);
    router_free(&a);
}

/* A batch larger than emit's chunk, with classes interleaved: each sink
 * sees exactly its classes, in order. */
static void test_big_mixed_batch_keeps_order(void **state)
{
    enum { N = 1000 };
    struct wsgw_instance a, even, all;
    static struct wsgw_event *evs[N], *out[FAKE_MAX];

    fake_source(&a, "a");
    fake_sink(&even, "even", &fake_thread_mod, 10000, 0, SINKQ_DROP_OLDEST,
              NULL);
    fake_sink(&all, "all", &fake_thread_mod, 10000, 0, SINKQ_DROP_OLDEST, NULL);
    router_add(&a, WSGW_CLASS_BIT(WSGW_CLASS_TRADES), &even);
    router_add(&a, WSGW_CLASS_ALL, &all);
    for (int i = 0; i < N; i++)
        evs[i] = ev_num(i % 2 ? WSGW_CLASS_KLINES : WSGW_CLASS_TRADES, i);

    assert_int_equal(wsgw_emit(&a, evs, N), N);
    size_t k = pop_all(&even, out);
    assert_int_equal(k, N / 2);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(ev_val(out[i]), 2 * (int)i);
        wsgw_event_unref(out[i]);
    }
    k = pop_all(&all, out);
    assert_int_equal(k, N);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(ev_val(out[i]), (int)i);
        wsgw_event_unref(out[i]);
    }
    router_free(&a);
    sinkq_free(even.q);
    sinkq_free(all.q);
}

/* emit counts an event once however many queues took it, and not at all
 * when every queue refused it. */
static void test_reached_count(void **state)
{
    struct wsgw_instance a, s1, s2;
    struct wsgw_event *evs[3], *out[8];

    fake_source(&a, "a");
    fake_sink(&s1, "full1", &fake_thread_mod, 1, 0, SINKQ_DROP_NEWEST, NULL);
    fake_sink(&s2, "full2", &fake_thread_mod, 2, 0, SINKQ_DROP_NEWEST, NULL);
    router_add(&a, WSGW_CLASS_ALL, &s1);
    router_add(&a, WSGW_CLASS_ALL, &s2);
    for (int i = 0; i < 3; i++)
        evs[i] = ev_num(WSGW_CLASS_TRADES, i);
    /* s1 keeps #0, s2 keeps #0 and #1: #2 reached nobody. */
    assert_int_equal(wsgw_emit(&a, evs, 3), 2);
    assert_int_equal(pop_all(&s1, out), 1);
    wsgw_event_unref(out[0]);
    assert_int_equal(pop_all(&s2, out), 2);
    wsgw_event_unref(out[0]);
    wsgw_event_unref(out[1]);
    router_free(&a);
    sinkq_free(s1.q);
    sinkq_free(s2.q);
}

static void test_source_metrics(void **state)
{
    struct wsgw_instance a, s;
    struct wsgw_event *evs[3];

    fake_source(&a, "metered");
    fake_sink(&s, "m", &fake_thread_mod, 10, 0, SINKQ_DROP_OLDEST, NULL);
    router_add(&a, WSGW_CLASS_BIT(WSGW_CLASS_TRADES), &s);
    evs[0] = ev_num(WSGW_CLASS_TRADES, 0);
    evs[1] = ev_num(WSGW_CLASS_TRADES, 1);
    evs[2] = ev_num(WSGW_CLASS_KLINES, 2);
    wsgw_emit(&a, evs, 3);

    struct wsgw_metric *m = wsgw_counter("wsgw_source_events_total", NULL,
                                         "source=\"metered\",class=\"trades\"");
    assert_int_equal(wsgw_metric_value(m), 2);
    wsgw_metric_unregister(m);
    m = wsgw_counter("wsgw_source_events_total", NULL,
                     "source=\"metered\",class=\"klines\"");
    assert_int_equal(wsgw_metric_value(m), 1);
    wsgw_metric_unregister(m);
    m = wsgw_counter("wsgw_sink_received_total", NULL, "sink=\"m\"");
    assert_int_equal(wsgw_metric_value(m), 2);
    wsgw_metric_unregister(m);
    router_free(&a);
    sinkq_free(s.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_sources_three_sinks),
        cmocka_unit_test(test_no_routes),
        cmocka_unit_test(test_add_refuses_sink_without_queue),
        cmocka_unit_test(test_big_mixed_batch_keeps_order),
        cmocka_unit_test(test_reached_count),
        cmocka_unit_test(test_source_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
