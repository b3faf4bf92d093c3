/*
 * handoff.c — a bounded queue of pointers from any thread to the loop.
 *
 * Producers lock a mutex for a few stores (contention is low: one or two
 * producer threads); the wake-up is event_active() on an event of the
 * core base, coalesced by an atomic flag so a burst of pushes costs one
 * wake-up. The loop drains in push order.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <event2/event.h>

#include <wsgw/loop.h>

/* Items per callback before yielding to the rest of the loop. */
#define DRAIN_MAX   1024
#define DRAIN_CHUNK 64

struct wsgw_handoff {
    pthread_mutex_t mu;
    void **ring;
    size_t cap, head, count;
    struct event *ev;
    atomic_int pending; /* a wake-up is on its way */
    void (*cb)(void *arg, void *item);
    void (*drop)(void *item);
    void *arg;
};

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wsgw_handoff *h = arg;
    void *items[DRAIN_CHUNK];
    size_t done = 0, k;

    /* Cleared first: a push from now on wakes us again. */
    atomic_store(&h->pending, 0);
    do {
        pthread_mutex_lock(&h->mu);
        for (k = 0; k < DRAIN_CHUNK && h->count; k++) {
            items[k] = h->ring[h->head];
            h->head = (h->head + 1) % h->cap;
            h->count--;
        }
        pthread_mutex_unlock(&h->mu);
        for (size_t i = 0; i < k; i++)
            h->cb(h->arg, items[i]);
        done += k;
    } while (k == DRAIN_CHUNK && done < DRAIN_MAX);

    if (k == DRAIN_CHUNK && !atomic_exchange(&h->pending, 1))
        event_active(h->ev, EV_READ, 0); /* more: next loop iteration */
}

struct wsgw_handoff *wsgw_handoff_new(size_t capacity,
                                      void (*cb)(void *arg, void *item),
                                      void (*drop)(void *item), void *arg)
{
    struct event_base *base = wsgw_event_base();
    struct wsgw_handoff *h;

    if (!base || !cb)
        return NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->cap = capacity ? capacity : 1;
    h->ring = calloc(h->cap, sizeof(*h->ring));
    h->ev = event_new(base, -1, 0, drain_cb, h);
    if (!h->ring || !h->ev) {
        if (h->ev)
            event_free(h->ev);
        free(h->ring);
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->cb = cb;
    h->drop = drop;
    h->arg = arg;
    return h;
}

int wsgw_handoff_push(struct wsgw_handoff *h, void *item)
{
    pthread_mutex_lock(&h->mu);
    if (h->count == h->cap) {
        pthread_mutex_unlock(&h->mu);
        return WSGW_AGAIN;
    }
    h->ring[(h->head + h->count) % h->cap] = item;
    h->count++;
    pthread_mutex_unlock(&h->mu);

    if (!atomic_exchange(&h->pending, 1))
        event_active(h->ev, EV_READ, 0);
    return WSGW_OK;
}

void wsgw_handoff_free(struct wsgw_handoff *h)
{
    if (!h)
        return;
    event_free(h->ev);
    while (h->count) {
        void *item = h->ring[h->head];
        h->head = (h->head + 1) % h->cap;
        h->count--;
        if (h->drop)
            h->drop(item);
    }
    pthread_mutex_destroy(&h->mu);
    free(h->ring);
    free(h);
}
