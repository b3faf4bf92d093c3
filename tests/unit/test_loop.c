/*
 * test_loop.c — hand-offs and timers on a real event_base
 * (core/handoff.c, core/timer.c, core/loop.c).
 */
#include <config.h>

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include <wsgw/wsgw.h>

#include "loop_internal.h"

static int setup(void **state)
{
    struct wsgw_err err;
    return loop_init(&err) == WSGW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    loop_free();
    return 0;
}

static void guard_cb(evutil_socket_t fd, short what, void *arg)
{
    *(int *)arg = 1;
}

/* Run the loop until *done or 5 s passed (then fail). */
static void loop_until(const int *done)
{
    int expired = 0;
    struct event *guard = evtimer_new(wsgw_event_base(), guard_cb, &expired);
    struct timeval tv = {5, 0};
    evtimer_add(guard, &tv);
    while (!*done && !expired)
        event_base_loop(wsgw_event_base(), EVLOOP_ONCE);
    event_free(guard);
    assert_true(*done);
}

/* ---- hand-off ------------------------------------------------------------ */

#define ITEMS 20000

struct sink {
    uintptr_t got[ITEMS];
    size_t n;
    int done;
    size_t want;
};

static void take(void *arg, void *item)
{
    struct sink *s = arg;
    if (s->n < ITEMS)
        s->got[s->n] = (uintptr_t)item;
    s->n++;
    if (s->n >= s->want)
        s->done = 1;
}

struct pusher {
    struct wsgw_handoff *h;
    uintptr_t from, to;
};

static void *push_thread(void *arg)
{
    struct pusher *p = arg;
    for (uintptr_t i = p->from; i < p->to;) {
        if (wsgw_handoff_push(p->h, (void *)i) == WSGW_OK)
            i++;
        else
            sched_yield(); /* full: the loop drains, try again */
    }
    return NULL;
}

static void test_handoff_order_from_thread(void **state)
{
    static struct sink s;
    pthread_t t;

    s = (struct sink){.want = ITEMS};
    struct wsgw_handoff *h = wsgw_handoff_new(256, take, NULL, &s);
    assert_non_null(h);
    struct pusher p = {h, 1, ITEMS + 1};
    pthread_create(&t, NULL, push_thread, &p);
    loop_until(&s.done);
    pthread_join(t, NULL);
    assert_int_equal(s.n, ITEMS);
    for (size_t i = 0; i < ITEMS; i++)
        assert_int_equal(s.got[i], i + 1);
    wsgw_handoff_free(h);
}

static size_t dropped;
static uintptr_t dropped_sum;

static void drop(void *item)
{
    dropped++;
    dropped_sum += (uintptr_t)item;
}

static void test_handoff_full_and_free(void **state)
{
    static struct sink s;

    s = (struct sink){.want = 4};
    struct wsgw_handoff *h = wsgw_handoff_new(4, take, drop, &s);
    for (uintptr_t i = 1; i <= 4; i++)
        assert_int_equal(wsgw_handoff_push(h, (void *)i), WSGW_OK);
    /* Full: the caller keeps the item. */
    assert_int_equal(wsgw_handoff_push(h, (void *)5), WSGW_AGAIN);
    loop_until(&s.done);
    assert_int_equal(s.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(s.got[i], i + 1);
    /* Drained: room again. */
    assert_int_equal(wsgw_handoff_push(h, (void *)5), WSGW_OK);
    assert_int_equal(wsgw_handoff_push(h, (void *)6), WSGW_OK);
    /* Freed with items still queued: they go to drop, cb never sees them. */
    dropped = 0;
    dropped_sum = 0;
    wsgw_handoff_free(h);
    assert_int_equal(dropped, 2);
    assert_int_equal(dropped_sum, 11);
    event_base_loop(wsgw_event_base(), EVLOOP_NONBLOCK);
    assert_int_equal(s.n, 4);
    wsgw_handoff_free(NULL);
}

static void test_handoff_many_pushes_one_drain(void **state)
{
    static struct sink s;

    s = (struct sink){.want = 3000};
    struct wsgw_handoff *h = wsgw_handoff_new(5000, take, NULL, &s);
    for (uintptr_t i = 1; i <= 3000; i++)
        assert_int_equal(wsgw_handoff_push(h, (void *)i), WSGW_OK);
    loop_until(&s.done);
    for (size_t i = 0; i < 3000; i++)
        assert_int_equal(s.got[i], i + 1);
    wsgw_handoff_free(h);
}

/* ---- timers ----------------------------------------------------------------
 */

struct tick {
    int n;
    int stop_at;
    int done;
    struct wsgw_timer *t;
    int free_in_cb;
};

static void tick_cb(void *arg)
{
    struct tick *k = arg;
    k->n++;
    if (k->n >= k->stop_at) {
        k->done = 1;
        if (k->free_in_cb) {
            wsgw_timer_free(k->t);
            k->t = NULL;
        } else {
            wsgw_timer_stop(k->t);
        }
    }
}

static void run_for_ms(int ms)
{
    int expired = 0;
    struct event *guard = evtimer_new(wsgw_event_base(), guard_cb, &expired);
    struct timeval tv = {0, ms * 1000};
    evtimer_add(guard, &tv);
    while (!expired)
        event_base_loop(wsgw_event_base(), EVLOOP_ONCE);
    event_free(guard);
}

static void test_timer_one_shot(void **state)
{
    struct tick k = {.stop_at = 1};

    k.t = wsgw_timer_new(tick_cb, &k);
    assert_non_null(k.t);
    wsgw_timer_start(k.t, 10, 0);
    loop_until(&k.done);
    run_for_ms(50);
    assert_int_equal(k.n, 1); /* once only */
    /* Restartable after firing. */
    k.done = 0;
    k.stop_at = 2;
    wsgw_timer_start(k.t, 1, 0);
    loop_until(&k.done);
    assert_int_equal(k.n, 2);
    wsgw_timer_free(k.t);
}

static void test_timer_repeat_and_stop(void **state)
{
    struct tick k = {.stop_at = 5};

    k.t = wsgw_timer_new(tick_cb, &k);
    wsgw_timer_start(k.t, 5, 1);
    loop_until(&k.done);
    run_for_ms(40);
    assert_int_equal(k.n, 5); /* stopped from its callback */
    wsgw_timer_free(k.t);
}

static void test_timer_free_in_callback(void **state)
{
    struct tick k = {.stop_at = 3, .free_in_cb = 1};

    k.t = wsgw_timer_new(tick_cb, &k);
    wsgw_timer_start(k.t, 2, 1);
    loop_until(&k.done);
    assert_null(k.t);
    run_for_ms(20);
    assert_int_equal(k.n, 3);
}

static void test_timer_stop_before_firing(void **state)
{
    struct tick k = {.stop_at = 1};

    k.t = wsgw_timer_new(tick_cb, &k);
    wsgw_timer_start(k.t, 10, 0);
    wsgw_timer_stop(k.t);
    run_for_ms(40);
    assert_int_equal(k.n, 0);
    /* Re-arming a running timer replaces its schedule. */
    wsgw_timer_start(k.t, 10000, 1);
    wsgw_timer_start(k.t, 5, 0);
    loop_until(&k.done);
    run_for_ms(20);
    assert_int_equal(k.n, 1);
    wsgw_timer_free(k.t);
    wsgw_timer_free(NULL);
    wsgw_timer_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handoff_order_from_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_handoff_full_and_free, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_handoff_many_pushes_one_drain,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_one_shot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_repeat_and_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timer_free_in_callback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timer_stop_before_firing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
