/*
 * rmq_window.h — the publisher-confirm window: which published events
 * the broker has not confirmed yet, and which must be published again.
 *
 * A pure data structure (no broker, no locks; the sink thread owns it),
 * so the confirm bookkeeping is unit-tested on its own.
 *
 * Every item carries `seq`, its position in the order the sink took
 * events from the core queue. Published items sit in a ring in publish
 * order with their delivery tags; the broker's basic.ack / basic.nack
 * (with the `multiple` flag) mark them; rmq_window_collect() then takes
 * resolved items off the head: acked ones are handed back as confirmed,
 * nacked ones move to the resend list. A lost connection moves every
 * unconfirmed item to the resend list. The resend list is kept sorted by
 * seq, so items go out again in their original order, before anything
 * newer (rmq_window_blocked() tells the publisher to wait).
 *
 * Capacity: published + waiting-to-resend items never exceed `cap`.
 */
#ifndef WSGW_RMQ_WINDOW_H
#define WSGW_RMQ_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct rmq_slot {
    void *item;
    uint64_t seq;
    uint64_t tag;
    int state; /* RMQ_PENDING, RMQ_ACKED, RMQ_NACKED */
};

struct rmq_entry {
    void *item;
    uint64_t seq;
};

enum { RMQ_PENDING = 0, RMQ_ACKED = 1, RMQ_NACKED = 2 };

struct rmq_window {
    size_t cap;
    struct rmq_slot *ring; /* published, in publish (= tag) order */
    size_t head, len;
    size_t nacked;            /* NACKED slots still in the ring       */
    struct rmq_entry *resend; /* to publish again, sorted by seq      */
    size_t rhead, rlen;
};

/* Allocate room for cap items. 0 on success, -1 when out of memory. */
int rmq_window_init(struct rmq_window *w, size_t cap);
/* Free the arrays (not the items: take them out first). */
void rmq_window_fini(struct rmq_window *w);

/* Items held: published and unconfirmed, plus waiting to be resent. */
size_t rmq_window_held(const struct rmq_window *w);
/* How many new items may be taken now: cap - held. */
size_t rmq_window_room(const struct rmq_window *w);
/* Items waiting to be resent. */
size_t rmq_window_resend_len(const struct rmq_window *w);
/*
 * 1 while new items must wait: something is waiting to be resent, or a
 * nacked item is still in the ring (behind an unresolved one), so that
 * what is published again goes out before anything newer.
 */
int rmq_window_blocked(const struct rmq_window *w);

/*
 * Record a published item. Tags of one channel are consecutive: `tag`
 * must be the previous item's tag + 1 (any tag when the ring is empty).
 * 0, or -1 when the ring is full or the tag is not the next one.
 */
int rmq_window_sent(struct rmq_window *w, void *item, uint64_t seq,
                    uint64_t tag);

/*
 * The broker confirmed (ack) or refused (nack) `tag`, or with `multiple`
 * every tag up to and including it. Tags already resolved or unknown are
 * ignored. Returns how many items changed state.
 */
size_t rmq_window_ack(struct rmq_window *w, uint64_t tag, int multiple);
size_t rmq_window_nack(struct rmq_window *w, uint64_t tag, int multiple);

/*
 * Take resolved items off the head of the ring, in publish order, up to
 * the first unresolved one: acked items are written to out (at most max;
 * collection stops when out is full), nacked ones move to the resend
 * list. Returns the number written to out; the caller owns them.
 */
size_t rmq_window_collect(struct rmq_window *w, void **out, size_t max);

/* Take the first item to resend: 1 with item and seq set, or 0. */
int rmq_window_next_resend(struct rmq_window *w, void **item, uint64_t *seq);

/*
 * Put an item that could not be published back on the resend list, in
 * seq order. 0, or -1 when the window is full (held == cap).
 */
int rmq_window_requeue(struct rmq_window *w, void *item, uint64_t seq);

/*
 * The channel is gone: acked items still in the ring are written to out
 * (at most max; the caller sizes out to cap), every other item moves to
 * the resend list in seq order. The ring is empty afterwards, ready for
 * the tags of a new channel. Returns the number written to out.
 */
size_t rmq_window_lost(struct rmq_window *w, void **out, size_t max);

/*
 * Take every held item (ring and resend list), e.g. to drop them at
 * shutdown. Writes at most max to out; returns how many.
 */
size_t rmq_window_take_all(struct rmq_window *w, void **out, size_t max);

#endif
