/*
 * timer.c — one-shot and repeating timers on the core loop.
 */
#include <config.h>

#include <stdlib.h>

#include <event2/event.h>

#include <wsgw/loop.h>

struct wsgw_timer {
    struct event *ev;
    void (*cb)(void *arg);
    void *arg;
};

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wsgw_timer *t = arg;

    /* The callback may stop, restart or free t: touch nothing after. */
    t->cb(t->arg);
}

struct wsgw_timer *wsgw_timer_new(void (*cb)(void *arg), void *arg)
{
    struct event_base *base = wsgw_event_base();
    struct wsgw_timer *t;

    if (!base || !cb)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ev = evtimer_new(base, timer_cb, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    t->cb = cb;
    t->arg = arg;
    return t;
}

void wsgw_timer_start(struct wsgw_timer *t, uint64_t ms, int repeat)
{
    struct timeval tv;

    if (!t)
        return;
    /* A repeating 0 ms timer would spin the loop. */
    if (repeat && ms == 0)
        ms = 1;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    event_del(t->ev);
    /* EV_PERSIST re-arms from the scheduled time, so a repeating timer
     * does not drift by the callbacks' run time. */
    event_assign(t->ev, wsgw_event_base(), -1, repeat ? EV_PERSIST : 0,
                 timer_cb, t);
    event_add(t->ev, &tv);
}

void wsgw_timer_stop(struct wsgw_timer *t)
{
    if (t)
        event_del(t->ev);
}

void wsgw_timer_free(struct wsgw_timer *t)
{
    if (!t)
        return;
    event_free(t->ev);
    free(t);
}
