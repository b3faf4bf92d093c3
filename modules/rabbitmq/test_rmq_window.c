/*
 * test_rmq_window.c — the confirm window as a data structure: which
 * events ack/nack (single and multiple) confirm or send again, and that
 * whatever is sent again keeps its original order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rmq_window.h"

/* Items are small integers (their seq) cast to pointers. */
#define IT(i) ((void *)(uintptr_t)(i))
#define ID(p) ((int)(uintptr_t)(p))

/* Publish items seq from..to with tags starting at tag. */
static void send_range(struct rmq_window *w, int from, int to, uint64_t tag)
{
    for (int i = from; i <= to; i++)
        assert_int_equal(rmq_window_sent(w, IT(i), (uint64_t)i, tag++), 0);
}

static void expect_items(void **got, size_t n, const int *want, size_t nwant)
{
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ID(got[i]), want[i]);
}

/* Drain the resend list and compare it with want. */
static void expect_resend(struct rmq_window *w, const int *want, size_t n)
{
    void *item;
    uint64_t seq;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rmq_window_next_resend(w, &item, &seq), 1);
        assert_int_equal(ID(item), want[i]);
        assert_int_equal(seq, (uint64_t)want[i]);
    }
    assert_int_equal(rmq_window_next_resend(w, &item, &seq), 0);
}

static void test_ack_multiple_confirms_prefix(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 5, 1);
    assert_int_equal(rmq_window_held(&w), 5);
    assert_int_equal(rmq_window_room(&w), 3);

    assert_int_equal(rmq_window_ack(&w, 3, 1), 3);
    int want[] = {1, 2, 3};
    expect_items(out, rmq_window_collect(&w, out, 8), want, 3);
    assert_int_equal(rmq_window_held(&w), 2);
    assert_int_equal(rmq_window_blocked(&w), 0);

    /* An ack for tags already collected changes nothing. */
    assert_int_equal(rmq_window_ack(&w, 3, 1), 0);
    assert_int_equal(rmq_window_ack(&w, 2, 0), 0);
    assert_int_equal(rmq_window_ack(&w, 5, 1), 2);
    int want2[] = {4, 5};
    expect_items(out, rmq_window_collect(&w, out, 8), want2, 2);
    assert_int_equal(rmq_window_held(&w), 0);
    rmq_window_fini(&w);
}

static void test_single_acks_out_of_order(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 3, 1);
    assert_int_equal(rmq_window_ack(&w, 3, 0), 1);
    /* The head is still unconfirmed: nothing is handed back yet. */
    assert_int_equal(rmq_window_collect(&w, out, 8), 0);
    assert_int_equal(rmq_window_ack(&w, 1, 0), 1);
    int want1[] = {1};
    expect_items(out, rmq_window_collect(&w, out, 8), want1, 1);
    assert_int_equal(rmq_window_ack(&w, 2, 0), 1);
    int want2[] = {2, 3};
    expect_items(out, rmq_window_collect(&w, out, 8), want2, 2);
    /* Unknown tags are ignored. */
    assert_int_equal(rmq_window_ack(&w, 99, 0), 0);
    assert_int_equal(rmq_window_nack(&w, 99, 1), 0);
    rmq_window_fini(&w);
}

static void test_nack_multiple_resends_in_order(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 6, 1);
    assert_int_equal(rmq_window_ack(&w, 2, 1), 2);
    assert_int_equal(rmq_window_nack(&w, 4, 1), 2); /* 3 and 4 */
    assert_int_equal(rmq_window_blocked(&w), 1);
    int want[] = {1, 2};
    expect_items(out, rmq_window_collect(&w, out, 8), want, 2);
    /* 3 and 4 wait to be sent again; 5 and 6 are still in flight. */
    assert_int_equal(rmq_window_resend_len(&w), 2);
    assert_int_equal(rmq_window_held(&w), 4);
    assert_int_equal(rmq_window_room(&w), 4);
    assert_int_equal(rmq_window_blocked(&w), 1);
    int again[] = {3, 4};
    expect_resend(&w, again, 2);
    rmq_window_fini(&w);
}

static void test_nack_behind_pending_blocks_new(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 3, 1);
    assert_int_equal(rmq_window_nack(&w, 2, 0), 1);
    /* 1 is unresolved, so 2 stays in the ring, and nothing new may go
     * out before it is sent again. */
    assert_int_equal(rmq_window_collect(&w, out, 8), 0);
    assert_int_equal(rmq_window_resend_len(&w), 0);
    assert_int_equal(rmq_window_blocked(&w), 1);
    assert_int_equal(rmq_window_ack(&w, 1, 0), 1);
    int want[] = {1};
    expect_items(out, rmq_window_collect(&w, out, 8), want, 1);
    assert_int_equal(rmq_window_resend_len(&w), 1);
    int again[] = {2};
    expect_resend(&w, again, 1);
    assert_int_equal(rmq_window_blocked(&w), 0);
    rmq_window_fini(&w);
}

static void test_republished_keep_original_order(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 3, 1);
    assert_int_equal(rmq_window_nack(&w, 1, 0), 1);
    assert_int_equal(rmq_window_collect(&w, out, 8), 0);
    void *item;
    uint64_t seq;
    assert_int_equal(rmq_window_next_resend(&w, &item, &seq), 1);
    assert_int_equal(ID(item), 1);
    /* Sent again with the channel's next tag: ring order is 2, 3, 1. */
    assert_int_equal(rmq_window_sent(&w, item, seq, 4), 0);
    /* Then the connection drops: 1, 2, 3 go out again in seq order. */
    assert_int_equal(rmq_window_lost(&w, out, 8), 0);
    assert_int_equal(rmq_window_held(&w), 3);
    int again[] = {1, 2, 3};
    expect_resend(&w, again, 3);
    rmq_window_fini(&w);
}

static void test_lost_keeps_acked_and_resends_rest(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 5, 10);
    assert_int_equal(rmq_window_ack(&w, 11, 0), 1);
    assert_int_equal(rmq_window_nack(&w, 13, 0), 1);
    int acked[] = {2};
    expect_items(out, rmq_window_lost(&w, out, 8), acked, 1);
    assert_int_equal(rmq_window_blocked(&w), 1);
    /* New channel, tags start again at 1. */
    assert_int_equal(rmq_window_held(&w), 4);
    int again[] = {1, 3, 4, 5};
    expect_resend(&w, again, 4);
    assert_int_equal(rmq_window_sent(&w, IT(1), 1, 1), 0);
    rmq_window_fini(&w);
}

static void test_requeue_sorted(void **state)
{
    struct rmq_window w;
    assert_int_equal(rmq_window_init(&w, 4), 0);
    assert_int_equal(rmq_window_requeue(&w, IT(7), 7), 0);
    assert_int_equal(rmq_window_requeue(&w, IT(5), 5), 0);
    assert_int_equal(rmq_window_requeue(&w, IT(9), 9), 0);
    assert_int_equal(rmq_window_requeue(&w, IT(6), 6), 0);
    assert_int_equal(rmq_window_requeue(&w, IT(8), 8), -1); /* full */
    int again[] = {5, 6, 7, 9};
    expect_resend(&w, again, 4);
    rmq_window_fini(&w);
}

static void test_capacity_and_tag_checks(void **state)
{
    struct rmq_window w;
    assert_int_equal(rmq_window_init(&w, 3), 0);
    assert_int_equal(rmq_window_sent(&w, IT(1), 1, 1), 0);
    assert_int_equal(rmq_window_sent(&w, IT(2), 2, 3), -1); /* skips 2 */
    assert_int_equal(rmq_window_sent(&w, IT(2), 2, 2), 0);
    assert_int_equal(rmq_window_requeue(&w, IT(9), 9), 0);
    assert_int_equal(rmq_window_room(&w), 0);
    assert_int_equal(rmq_window_sent(&w, IT(3), 3, 3), -1); /* full */
    rmq_window_fini(&w);
}

static void test_wraparound(void **state)
{
    struct rmq_window w;
    void *out[4];
    uint64_t tag = 1;
    int next = 1;
    assert_int_equal(rmq_window_init(&w, 4), 0);
    for (int round = 0; round < 50; round++) {
        int first = next;
        for (int i = 0; i < 3; i++, next++)
            assert_int_equal(
                rmq_window_sent(&w, IT(next), (uint64_t)next, tag++), 0);
        assert_int_equal(rmq_window_ack(&w, tag - 1, 1), 3);
        size_t n = rmq_window_collect(&w, out, 4);
        assert_int_equal(n, 3);
        for (int i = 0; i < 3; i++)
            assert_int_equal(ID(out[i]), first + i);
    }
    rmq_window_fini(&w);
}

static void test_collect_respects_max(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 1, 4, 1);
    assert_int_equal(rmq_window_ack(&w, 4, 1), 4);
    int first[] = {1, 2};
    expect_items(out, rmq_window_collect(&w, out, 2), first, 2);
    int rest[] = {3, 4};
    expect_items(out, rmq_window_collect(&w, out, 8), rest, 2);
    rmq_window_fini(&w);
}

static void test_take_all(void **state)
{
    struct rmq_window w;
    void *out[8];
    assert_int_equal(rmq_window_init(&w, 8), 0);
    send_range(&w, 2, 4, 1);
    assert_int_equal(rmq_window_nack(&w, 1, 0), 1);
    assert_int_equal(rmq_window_requeue(&w, IT(1), 1), 0);
    int all[] = {1, 2, 3, 4};
    expect_items(out, rmq_window_take_all(&w, out, 8), all, 4);
    assert_int_equal(rmq_window_held(&w), 0);
    assert_int_equal(rmq_window_blocked(&w), 0);
    rmq_window_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_multiple_confirms_prefix),
        cmocka_unit_test(test_single_acks_out_of_order),
        cmocka_unit_test(test_nack_multiple_resends_in_order),
        cmocka_unit_test(test_nack_behind_pending_blocks_new),
        cmocka_unit_test(test_republished_keep_original_order),
        cmocka_unit_test(test_lost_keeps_acked_and_resends_rest),
        cmocka_unit_test(test_requeue_sorted),
        cmocka_unit_test(test_capacity_and_tag_checks),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_collect_respects_max),
        cmocka_unit_test(test_take_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
