/*
 * test_sinkq.c — sink queues: overflow policies, THREAD pops with
 * timeouts and close, LOOP delivery with partial takes and retries on a
 * real event_base, counters (core/sinkq.c). Linked with -Wl,--wrap=free.
 */
#include <config.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <wsgw/wsgw.h>

#include "fake_instance.h"
#include "free_watch.h"
#include "loop_internal.h"
#include "runtime_internal.h"

static int64_t metric(const char *name, const char *labels)
{
    struct wsgw_metric *m = wsgw_counter(name, NULL, labels);
    int64_t v = wsgw_metric_value(m);
    wsgw_metric_unregister(m);
    return v;
}

/* Push events numbered from..to-1 one batch at a time; drop our refs. */
static void push_range(struct wsgw_instance *s, int from, int to, size_t batch)
{
    struct wsgw_event *evs[64];
    for (int i = from; i < to;) {
        size_t k = 0;
        while (k < batch && i < to)
            evs[k++] = ev_num(WSGW_CLASS_TRADES, i++);
        sinkq_push(s->q, evs, k);
        for (size_t j = 0; j < k; j++)
            wsgw_event_unref(evs[j]);
    }
}

static void expect_values(struct wsgw_instance *s, int from, int to)
{
    struct wsgw_event *out[FAKE_MAX];
    size_t k = wsgw_sink_pop(s, out, FAKE_MAX, 0);
    assert_int_equal(k, (size_t)(to - from));
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(ev_val(out[i]), from + (int)i);
        wsgw_event_unref(out[i]);
    }
}

static void test_drop_oldest_keeps_newest(void **state)
{
    struct wsgw_instance s;

    fake_sink(&s, "old", &fake_thread_mod, 5, 0, SINKQ_DROP_OLDEST, NULL);
    push_range(&s, 0, 8, 1); /* one at a time */
    assert_int_equal(wsgw_sink_depth(&s), 5);
    expect_values(&s, 3, 8);
    push_range(&s, 0, 12, 12); /* one batch larger than the queue */
    expect_values(&s, 7, 12);
    push_range(&s, 0, 7, 3); /* batches across the limit */
    expect_values(&s, 2, 7);
    assert_int_equal(
        metric("wsgw_sink_dropped_total", "sink=\"old\",reason=\"overflow\""),
        3 + 7 + 2);
    assert_int_equal(metric("wsgw_sink_received_total", "sink=\"old\""),
                     8 + 12 + 7);
    sinkq_free(s.q);
}

static void test_drop_newest_keeps_first(void **state)
{
    struct wsgw_instance s;

    fake_sink(&s, "new", &fake_thread_mod, 5, 0, SINKQ_DROP_NEWEST, NULL);
    push_range(&s, 0, 8, 1);
    expect_values(&s, 0, 5);
    push_range(&s, 0, 12, 12);
    expect_values(&s, 0, 5);
    assert_int_equal(
        metric("wsgw_sink_dropped_total", "sink=\"new\",reason=\"overflow\""),
        3 + 7);
    sinkq_free(s.q);
}

static void test_dropped_events_are_released(void **state)
{
    struct wsgw_instance s;
    struct wsgw_event *evs[3], *out[3];

    watch_reset();
    fake_sink(&s, "rel", &fake_thread_mod, 2, 0, SINKQ_DROP_OLDEST, NULL);
    for (int i = 0; i < 3; i++) {
        evs[i] = ev_num(0, i);
        watch(evs[i]);
    }
    sinkq_push(s.q, evs, 3);
    for (int i = 0; i < 3; i++)
        wsgw_event_unref(evs[i]);
    /* #0 was pushed out: the queue's reference went with it. */
    assert_true(freed(evs[0]));
    assert_false(freed(evs[1]));
    assert_int_equal(wsgw_sink_pop(&s, out, 3, 0), 2);
    wsgw_event_unref(out[0]);
    wsgw_event_unref(out[1]);
    assert_true(freed(evs[1]));
    assert_true(freed(evs[2]));
    sinkq_free(s.q);
}

static void test_byte_limit(void **state)
{
    struct wsgw_instance s;
    struct wsgw_event *e = ev_num(0, 10);
    size_t len;

    wsgw_event_json(e, &len); /* every ev_num(0, 10..99) has this length */
    wsgw_event_unref(e);

    /* Room for three events by bytes, ten by count. */
    fake_sink(&s, "bytes_old", &fake_thread_mod, 10, 3 * len + len / 2,
              SINKQ_DROP_OLDEST, NULL);
    push_range(&s, 10, 16, 1);
    expect_values(&s, 13, 16);
    sinkq_free(s.q);

    fake_sink(&s, "bytes_new", &fake_thread_mod, 10, 3 * len + len / 2,
              SINKQ_DROP_NEWEST, NULL);
    push_range(&s, 10, 16, 6);
    expect_values(&s, 10, 13);
    sinkq_free(s.q);

    /* An event larger than the whole limit fits in no queue. */
    fake_sink(&s, "bytes_tiny", &fake_thread_mod, 10, len - 1,
              SINKQ_DROP_OLDEST, NULL);
    push_range(&s, 10, 12, 1);
    assert_int_equal(wsgw_sink_depth(&s), 0);
    assert_int_equal(metric("wsgw_sink_dropped_total",
                            "sink=\"bytes_tiny\",reason=\"overflow\""),
                     2);
    sinkq_free(s.q);
}

static void test_unlimited_grows(void **state)
{
    struct wsgw_instance s;

    fake_sink(&s, "big", &fake_thread_mod, 0, 0, SINKQ_DROP_OLDEST, NULL);
    push_range(&s, 0, 3000, 64); /* past the initial ring */
    assert_int_equal(wsgw_sink_depth(&s), 3000);
    expect_values(&s, 0, 3000);
    sinkq_free(s.q);
}

static void test_free_counts_leftovers(void **state)
{
    struct wsgw_instance s;

    fake_sink(&s, "left", &fake_thread_mod, 10, 0, SINKQ_DROP_OLDEST, NULL);
    struct wsgw_metric *m = wsgw_counter("wsgw_sink_dropped_total", NULL,
                                         "sink=\"left\",reason=\"shutdown\"");
    push_range(&s, 0, 4, 4);
    sinkq_free(s.q);
    assert_null(s.q);
    assert_int_equal(wsgw_metric_value(m), 4);
    wsgw_metric_unregister(m);
}

static void test_sink_counters(void **state)
{
    struct wsgw_instance s;

    fake_sink(&s, "cnt", &fake_thread_mod, 10, 0, SINKQ_DROP_OLDEST, NULL);
    wsgw_sink_count(&s, WSGW_SINK_DELIVERED, 5);
    wsgw_sink_count(&s, WSGW_SINK_RETRIED, 2);
    wsgw_sink_count(&s, WSGW_SINK_DROPPED, 3);
    wsgw_sink_count(&s, WSGW_SINK_FAILED, 1);
    assert_int_equal(metric("wsgw_sink_delivered_total", "sink=\"cnt\""), 5);
    assert_int_equal(metric("wsgw_sink_retried_total", "sink=\"cnt\""), 2);
    assert_int_equal(
        metric("wsgw_sink_dropped_total", "sink=\"cnt\",reason=\"sink\""), 3);
    assert_int_equal(metric("wsgw_sink_failed_total", "sink=\"cnt\""), 1);

    char *text = wsgw_metrics_render(NULL);
    assert_non_null(strstr(text, "\nwsgw_sink_queue_depth{sink=\"cnt\"} 0\n"));
    free(text);
    push_range(&s, 0, 3, 3);
    text = wsgw_metrics_render(NULL);
    assert_non_null(strstr(text, "\nwsgw_sink_queue_depth{sink=\"cnt\"} 3\n"));
    free(text);
    sinkq_free(s.q);
    /* Gone from the exposition with its queue. */
    text = wsgw_metrics_render(NULL);
    assert_null(strstr(text, "sink=\"cnt\""));
    free(text);

    wsgw_sink_count(NULL, WSGW_SINK_DELIVERED, 1);
    assert_int_equal(wsgw_sink_depth(NULL), 0);
}

/* ---- THREAD mode ----------------------------------------------------------
 */

struct popper {
    struct wsgw_instance *sink;
    int timeout_ms;
    size_t got;
    int first;
    int64_t waited_ms;
};

static void *pop_thread(void *arg)
{
    struct popper *p = arg;
    struct wsgw_event *out[16];
    int64_t t0 = wsgw_mono_ms();

    p->got = wsgw_sink_pop(p->sink, out, 16, p->timeout_ms);
    p->waited_ms = wsgw_mono_ms() - t0;
    p->first = p->got ? ev_val(out[0]) : -1;
    for (size_t i = 0; i < p->got; i++)
        wsgw_event_unref(out[i]);
    return NULL;
}

static void test_pop_waits_for_push(void **state)
{
    struct wsgw_instance s;
    pthread_t t;

    fake_sink(&s, "popw", &fake_thread_mod, 10, 0, SINKQ_DROP_OLDEST, NULL);
    struct popper p = {&s, 10000, 0, 0, 0};
    pthread_create(&t, NULL, pop_thread, &p);
    usleep(20000); /* let it wait; the pop must not depend on it */
    push_range(&s, 7, 9, 2);
    pthread_join(t, NULL);
    assert_true(p.got >= 1);
    assert_int_equal(p.first, 7);
    assert_true(p.waited_ms < 10000);
    sinkq_free(s.q);
}

static void test_pop_timeout(void **state)
{
    struct wsgw_instance s;
    struct wsgw_event *out[4];
    pthread_t t;

    fake_sink(&s, "popt", &fake_thread_mod, 10, 0, SINKQ_DROP_OLDEST, NULL);
    /* 0: do not wait. */
    assert_int_equal(wsgw_sink_pop(&s, out, 4, 0), 0);

    struct popper p = {&s, 50, 0, 0, 0};
    pthread_create(&t, NULL, pop_thread, &p);
    pthread_join(t, NULL);
    assert_int_equal(p.got, 0);
    /* It waited (not returned early); no upper bound is asserted. */
    assert_true(p.waited_ms >= 45);
    sinkq_free(s.q);
}

static void test_close_semantics(void **state)
{
    struct wsgw_instance s;
    struct wsgw_event *out[4];
    pthread_t t;

    /* A thread waiting without a deadline is released by close. */
    fake_sink(&s, "close", &fake_thread_mod, 10, 0, SINKQ_DROP_OLDEST, NULL);
    struct popper p = {&s, -1, 0, 0, 0};
    pthread_create(&t, NULL, pop_thread, &p);
    usleep(20000);
    sinkq_close(s.q);
    pthread_join(t, NULL);
    assert_int_equal(p.got, 0);

    /* After close, what is queued still comes out, then 0 at once. */
    push_range(&s, 0, 6, 6);
    assert_int_equal(wsgw_sink_pop(&s, out, 4, 1000), 4);
    for (int i = 0; i < 4; i++)
        wsgw_event_unref(out[i]);
    assert_int_equal(wsgw_sink_pop(&s, out, 4, 1000), 2);
    wsgw_event_unref(out[0]);
    wsgw_event_unref(out[1]);
    int64_t t0 = wsgw_mono_ms();
    assert_int_equal(wsgw_sink_pop(&s, out, 4, 5000), 0);
    assert_true(wsgw_mono_ms() - t0 < 5000);
    sinkq_free(s.q);
}

/* ---- LOOP mode -------------------------------------------------------------
 */

static int loop_setup(void **state)
{
    struct wsgw_err err;
    return loop_init(&err) == WSGW_OK ? 0 : -1;
}

static int loop_teardown(void **state)
{
    loop_free();
    return 0;
}

/* Run what is ready without blocking. */
static void loop_run_ready(void)
{
    event_base_loop(wsgw_event_base(), EVLOOP_NONBLOCK);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    *(int *)arg = 1;
}

/* Run the loop until the fake has `want` events (or 5 s: a failure). */
static void loop_until(struct fake_sink *f, size_t want)
{
    int expired = 0;
    struct event *guard = evtimer_new(wsgw_event_base(), stop_cb, &expired);
    struct timeval tv = {5, 0};
    evtimer_add(guard, &tv);
    while (f->n < want && !expired)
        event_base_loop(wsgw_event_base(), EVLOOP_ONCE);
    event_free(guard);
    assert_int_equal(f->n, want);
}

static void check_order(struct fake_sink *f, size_t from_idx, size_t to_idx,
                        int first_val)
{
    for (size_t i = from_idx; i < to_idx; i++)
        assert_int_equal(ev_val(f->got[i]), first_val + (int)(i - from_idx));
}

static void release(struct fake_sink *f)
{
    for (size_t i = 0; i < f->n; i++)
        wsgw_event_unref(f->got[i]);
}

static void test_loop_deliver_partial_then_wakeup(void **state)
{
    static struct fake_sink f;
    struct wsgw_instance s;

    memset(&f, 0, sizeof(f));
    fake_sink(&s, "loop1", &fake_loop_mod, 1000, 0, SINKQ_DROP_OLDEST, &f);
    /* Events queued before start are delivered once it starts. */
    push_range(&s, 0, 10, 10);
    loop_run_ready();
    assert_int_equal(f.calls, 0);
    f.allow = 3;
    assert_int_equal(sinkq_start(s.q), WSGW_OK);
    loop_run_ready();
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.offered_last, 10);
    assert_int_equal(f.n, 3);
    check_order(&f, 0, 3, 0);
    /* The rest waits at the head, in order. */
    assert_int_equal(wsgw_sink_depth(&s), 7);

    /* A refusing sink is not offered again on each push. */
    push_range(&s, 10, 11, 1);
    loop_run_ready();
    assert_int_equal(f.calls, 1);

    /* The sink says it is ready: everything comes, still in order. */
    f.allow = 1000;
    wsgw_sink_wakeup(&s);
    loop_run_ready();
    assert_int_equal(f.n, 11);
    check_order(&f, 0, 11, 0);
    assert_int_equal(wsgw_sink_depth(&s), 0);

    /* Normal flow: each push is delivered. */
    push_range(&s, 11, 14, 1);
    loop_run_ready();
    assert_int_equal(f.n, 14);
    check_order(&f, 0, 14, 0);

    release(&f);
    sinkq_stop(s.q);
    sinkq_free(s.q);
}

static void test_loop_retry_timer(void **state)
{
    static struct fake_sink f;
    struct wsgw_instance s;

    memset(&f, 0, sizeof(f));
    fake_sink(&s, "loop2", &fake_loop_mod, 1000, 0, SINKQ_DROP_OLDEST, &f);
    assert_int_equal(sinkq_start(s.q), WSGW_OK);
    f.allow = 0;
    push_range(&s, 0, 5, 5);
    loop_run_ready();
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.n, 0);
    /* No wakeup: the retry timer offers the queue again by itself. */
    f.allow = 2;
    loop_until(&f, 2);
    f.allow = 1000;
    loop_until(&f, 5);
    check_order(&f, 0, 5, 0);
    release(&f);
    sinkq_stop(s.q);
    sinkq_free(s.q);
}

static void test_loop_batches_and_stop(void **state)
{
    static struct fake_sink f;
    struct wsgw_instance s;

    memset(&f, 0, sizeof(f));
    f.allow = 100000;
    fake_sink(&s, "loop3", &fake_loop_mod, 10000, 0, SINKQ_DROP_OLDEST, &f);
    assert_int_equal(sinkq_start(s.q), WSGW_OK);
    push_range(&s, 0, 600, 64);
    loop_until(&f, 600);
    check_order(&f, 0, 600, 0);
    /* Batches of at most 256. */
    assert_true(f.calls >= 3);

    /* After stop, nothing is delivered any more. */
    size_t calls = f.calls;
    sinkq_stop(s.q);
    push_range(&s, 600, 610, 10);
    wsgw_sink_wakeup(&s);
    loop_run_ready();
    assert_int_equal(f.calls, calls);
    assert_int_equal(wsgw_sink_depth(&s), 10);
    release(&f);
    sinkq_free(s.q);
}

/* Pushes from another thread wake the loop. */
struct producer {
    struct wsgw_instance *sink;
    int n;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    push_range(p->sink, 0, p->n, 7);
    return NULL;
}

static void test_loop_wakeup_from_thread(void **state)
{
    static struct fake_sink f;
    struct wsgw_instance s;
    pthread_t t;

    memset(&f, 0, sizeof(f));
    f.allow = 100000;
    fake_sink(&s, "loop4", &fake_loop_mod, 100000, 0, SINKQ_DROP_OLDEST, &f);
    assert_int_equal(sinkq_start(s.q), WSGW_OK);
    struct producer p = {&s, 3000};
    pthread_create(&t, NULL, produce, &p);
    loop_until(&f, 3000);
    pthread_join(t, NULL);
    check_order(&f, 0, 3000, 0);
    release(&f);
    sinkq_stop(s.q);
    sinkq_free(s.q);
}

/*
 * While a delivery is out, pushes may fill the queue; what deliver() did
 * not take goes back at the head and the policy applies again: under
 * drop_oldest the given-back events (the oldest) go, under drop_newest the
 * latest pushes go. This deliver() pushes 4 events itself, then takes 1.
 */
static struct wsgw_instance pb_sink;
static size_t pb_taken;

static size_t pushing_deliver(void *ctx, struct wsgw_event **evs, size_t n)
{
    push_range(&pb_sink, 4, 8, 4);
    pb_taken = (size_t)ev_val(evs[0]);
    wsgw_event_unref(evs[0]);
    return 1;
}

static const struct wsgw_module pushing_mod = {
    WSGW_MODULE_HEADER,
    .name = "pushing",
    .provides = WSGW_PROVIDES_SINK,
    .sink_mode = WSGW_SINK_LOOP,
    .deliver = pushing_deliver,
};

static void put_back_case(enum sinkq_overflow policy, int first)
{
    struct wsgw_event *out[8];

    fake_sink(&pb_sink, policy == SINKQ_DROP_OLDEST ? "pb_old" : "pb_new",
              &pushing_mod, 4, 0, policy, NULL);
    assert_int_equal(sinkq_start(pb_sink.q), WSGW_OK);
    push_range(&pb_sink, 0, 4, 4);
    loop_run_ready();
    assert_int_equal(pb_taken, 0);
    sinkq_stop(pb_sink.q);
    /* wsgw_sink_pop reads the same ring. */
    assert_int_equal(wsgw_sink_pop(&pb_sink, out, 8, 0), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ev_val(out[i]), first + i);
        wsgw_event_unref(out[i]);
    }
    sinkq_free(pb_sink.q);
}

static void test_loop_put_back_respects_policy(void **state)
{
    put_back_case(SINKQ_DROP_OLDEST, 4); /* 1, 2, 3 given back and dropped */
    put_back_case(SINKQ_DROP_NEWEST, 1); /* 5, 6, 7 dropped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_oldest_keeps_newest),
        cmocka_unit_test(test_drop_newest_keeps_first),
        cmocka_unit_test(test_dropped_events_are_released),
        cmocka_unit_test(test_byte_limit),
        cmocka_unit_test(test_unlimited_grows),
        cmocka_unit_test(test_free_counts_leftovers),
        cmocka_unit_test(test_sink_counters),
        cmocka_unit_test(test_pop_waits_for_push),
        cmocka_unit_test(test_pop_timeout),
        cmocka_unit_test(test_close_semantics),
        cmocka_unit_test_setup_teardown(test_loop_deliver_partial_then_wakeup,
                                        loop_setup, loop_teardown),
        cmocka_unit_test_setup_teardown(test_loop_retry_timer, loop_setup,
                                        loop_teardown),
        cmocka_unit_test_setup_teardown(test_loop_batches_and_stop, loop_setup,
                                        loop_teardown),
        cmocka_unit_test_setup_teardown(test_loop_wakeup_from_thread,
                                        loop_setup, loop_teardown),
        cmocka_unit_test_setup_teardown(test_loop_put_back_respects_policy,
                                        loop_setup, loop_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
