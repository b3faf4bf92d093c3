/*
 * wsgw/loop.h — the core's event loop, timers, sink queues and
 * cross-thread hand-offs.
 *
 * The core runs one libevent loop ("the loop thread"). Module callbacks
 * (create, start, stop, destroy, status, deliver, route handlers, timer
 * and hand-off callbacks) all run on it and must never block. Modules
 * that need blocking libraries run their own threads and talk to the
 * loop only through the thread-safe functions here and wsgw_emit().
 */
#ifndef WSGW_LOOP_H_INCLUDED
#define WSGW_LOOP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>
#include <wsgw/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/*
 * The core's libevent base, for modules that add their own events on the
 * loop (libpq sockets, evhttp). Loop thread only; owned by the core.
 */
struct event_base *wsgw_event_base(void);

/* ---- timers (loop thread only) ---------------------------------------- */

struct wsgw_timer;

/* A stopped timer calling cb(arg) on the loop. NULL when out of memory.
 * The caller owns it and frees it with wsgw_timer_free(). */
struct wsgw_timer *wsgw_timer_new(void (*cb)(void *arg), void *arg);
/* (Re)arm: fire after ms, and then every ms if repeat. */
void wsgw_timer_start(struct wsgw_timer *t, uint64_t ms, int repeat);
void wsgw_timer_stop(struct wsgw_timer *t);
/* Stop and free; NULL is ok. */
void wsgw_timer_free(struct wsgw_timer *t);

/* ---- hand-off: any thread -> loop ------------------------------------- */

struct wsgw_handoff;

/*
 * A bounded queue of pointers from any thread to the loop: each pushed
 * item is passed to cb(arg, item) on the loop thread, in push order, and
 * cb then owns it. `drop` (may be NULL) receives the items still queued
 * when the hand-off is freed. Loop thread; NULL when out of memory.
 */
struct wsgw_handoff *wsgw_handoff_new(size_t capacity,
                                      void (*cb)(void *arg, void *item),
                                      void (*drop)(void *item), void *arg);
/*
 * Queue an item and wake the loop. Any thread. WSGW_OK, or WSGW_AGAIN when
 * full (the caller keeps the item).
 */
int wsgw_handoff_push(struct wsgw_handoff *h, void *item);
/* Loop thread; NULL is ok. */
void wsgw_handoff_free(struct wsgw_handoff *h);

/* ---- sink queues ------------------------------------------------------ */

/*
 * Every sink instance has a core-owned bounded queue, configured by the
 * core options every sink entry accepts:
 *   queue_size  (events, default 100000), queue_bytes (default 32MiB),
 *   overflow    drop_oldest (default) | drop_newest,
 *   required    (bool, default true: /health is 503 while it is DOWN).
 * The core counts received, dropped (overflow) and the depth; the sink
 * counts what it delivered, retried and dropped with wsgw_sink_count().
 */

/*
 * WSGW_SINK_THREAD sinks: take up to max events from the head of the
 * queue, waiting up to timeout_ms (0: do not wait) for the first one.
 * The references pass to the caller. Returns the number taken; 0 on
 * timeout or once the core has asked the sink to stop and the queue is
 * empty. Call from the sink's own thread only.
 */
size_t wsgw_sink_pop(struct wsgw_instance *sink, struct wsgw_event **evs,
                     size_t max, int timeout_ms);

/*
 * WSGW_SINK_LOOP sinks: offer the queue again now (after deliver() took
 * fewer than offered and the sink is ready again). Any thread.
 */
void wsgw_sink_wakeup(struct wsgw_instance *sink);

enum wsgw_sink_counter {
    WSGW_SINK_DELIVERED, /* written / confirmed                          */
    WSGW_SINK_RETRIED,   /* sent again (nack, reconnect)                  */
    WSGW_SINK_DROPPED,   /* given up by the sink (not overflow: the core) */
    WSGW_SINK_FAILED     /* refused for its data, skipped                 */
};
/* Add n to one of the sink's counters (feeds /metrics). Any thread. */
void wsgw_sink_count(struct wsgw_instance *sink, enum wsgw_sink_counter c,
                     uint64_t n);
/*
 * The classes routes send to this sink (WSGW_CLASS_BIT set), known from
 * create on: a sink can prepare for just those (declare their queues).
 */
unsigned wsgw_sink_classes(const struct wsgw_instance *sink);
/* Events waiting in the sink's core queue. Any thread. */
size_t wsgw_sink_depth(const struct wsgw_instance *sink);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_LOOP_H_INCLUDED */
