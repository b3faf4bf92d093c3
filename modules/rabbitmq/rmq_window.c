/*
 * rmq_window.c — the publisher-confirm window (see rmq_window.h).
 */
#include <stdlib.h>

#include "rmq_window.h"

int rmq_window_init(struct rmq_window *w, size_t cap)
{
    *w = (struct rmq_window){0};
    w->ring = calloc(cap, sizeof(*w->ring));
    w->resend = calloc(cap, sizeof(*w->resend));
    if (!w->ring || !w->resend) {
        rmq_window_fini(w);
        return -1;
    }
    w->cap = cap;
    return 0;
}

void rmq_window_fini(struct rmq_window *w)
{
    free(w->ring);
    free(w->resend);
    *w = (struct rmq_window){0};
}

size_t rmq_window_held(const struct rmq_window *w)
{
    return w->len + w->rlen;
}

size_t rmq_window_room(const struct rmq_window *w)
{
    return w->cap - w->len - w->rlen;
}

size_t rmq_window_resend_len(const struct rmq_window *w)
{
    return w->rlen;
}

int rmq_window_blocked(const struct rmq_window *w)
{
    return w->rlen > 0 || w->nacked > 0;
}

static struct rmq_slot *slot_at(const struct rmq_window *w, size_t i)
{
    return &w->ring[(w->head + i) % w->cap];
}

static struct rmq_entry *resend_at(const struct rmq_window *w, size_t i)
{
    return &w->resend[(w->rhead + i) % w->cap];
}

int rmq_window_sent(struct rmq_window *w, void *item, uint64_t seq,
                    uint64_t tag)
{
    if (w->len + w->rlen >= w->cap)
        return -1;
    if (w->len > 0 && slot_at(w, w->len - 1)->tag + 1 != tag)
        return -1;
    *slot_at(w, w->len) =
        (struct rmq_slot){.item = item, .seq = seq, .tag = tag};
    w->len++;
    return 0;
}

static size_t mark(struct rmq_window *w, uint64_t tag, int multiple, int state)
{
    if (w->len == 0)
        return 0;
    uint64_t first = slot_at(w, 0)->tag;
    if (tag < first)
        return 0;
    size_t last = (size_t)(tag - first);
    if (last >= w->len) {
        if (!multiple)
            return 0;
        last = w->len - 1; /* beyond what we sent: clamp */
    }
    size_t from = multiple ? 0 : last;
    size_t changed = 0;
    for (size_t i = from; i <= last; i++) {
        struct rmq_slot *s = slot_at(w, i);
        if (s->state != RMQ_PENDING)
            continue;
        s->state = state;
        if (state == RMQ_NACKED)
            w->nacked++;
        changed++;
    }
    return changed;
}

size_t rmq_window_ack(struct rmq_window *w, uint64_t tag, int multiple)
{
    return mark(w, tag, multiple, RMQ_ACKED);
}

size_t rmq_window_nack(struct rmq_window *w, uint64_t tag, int multiple)
{
    return mark(w, tag, multiple, RMQ_NACKED);
}

/* Insert into the resend list keeping it sorted by seq. The list is
 * nearly always appended to in order, so the shift is short. */
static void resend_insert(struct rmq_window *w, void *item, uint64_t seq)
{
    size_t i = w->rlen++;
    while (i > 0 && resend_at(w, i - 1)->seq > seq) {
        *resend_at(w, i) = *resend_at(w, i - 1);
        i--;
    }
    *resend_at(w, i) = (struct rmq_entry){.item = item, .seq = seq};
}

static void ring_pop(struct rmq_window *w)
{
    w->head = (w->head + 1) % w->cap;
    w->len--;
    if (w->len == 0)
        w->head = 0;
}

size_t rmq_window_collect(struct rmq_window *w, void **out, size_t max)
{
    size_t n = 0;
    while (w->len > 0) {
        struct rmq_slot *s = slot_at(w, 0);
        if (s->state == RMQ_PENDING)
            break;
        if (s->state == RMQ_ACKED) {
            if (n == max)
                break;
            out[n++] = s->item;
        } else {
            w->nacked--;
            resend_insert(w, s->item, s->seq);
        }
        ring_pop(w);
    }
    return n;
}

int rmq_window_next_resend(struct rmq_window *w, void **item, uint64_t *seq)
{
    if (w->rlen == 0)
        return 0;
    struct rmq_entry *e = resend_at(w, 0);
    *item = e->item;
    *seq = e->seq;
    w->rhead = (w->rhead + 1) % w->cap;
    w->rlen--;
    if (w->rlen == 0)
        w->rhead = 0;
    return 1;
}

int rmq_window_requeue(struct rmq_window *w, void *item, uint64_t seq)
{
    if (w->len + w->rlen >= w->cap)
        return -1;
    resend_insert(w, item, seq);
    return 0;
}

size_t rmq_window_lost(struct rmq_window *w, void **out, size_t max)
{
    size_t n = 0;
    while (w->len > 0) {
        struct rmq_slot *s = slot_at(w, 0);
        if (s->state == RMQ_ACKED && n < max)
            out[n++] = s->item;
        else
            resend_insert(w, s->item, s->seq);
        ring_pop(w);
    }
    w->nacked = 0;
    return n;
}

size_t rmq_window_take_all(struct rmq_window *w, void **out, size_t max)
{
    size_t n = 0;
    while (n < max && w->rlen > 0) {
        uint64_t seq;
        rmq_window_next_resend(w, &out[n++], &seq);
    }
    while (n < max && w->len > 0) {
        struct rmq_slot *s = slot_at(w, 0);
        if (s->state == RMQ_NACKED)
            w->nacked--;
        out[n++] = s->item;
        ring_pop(w);
    }
    return n;
}
