/*
 * sinkq.h — the bounded queue in front of every sink.
 *
 * Producers are any threads (wsgw_emit); the consumer is either the loop
 * (WSGW_SINK_LOOP: the queue calls mod->deliver) or the sink's own thread
 * (WSGW_SINK_THREAD: wsgw_sink_pop). Overflow policy, counters and gauges
 * (received, dropped, depth, delivered, retried, failed; labelled
 * sink="NAME") live here.
 */
#ifndef WSGW_SINKQ_H
#define WSGW_SINKQ_H

#include <stddef.h>

#include "instance.h"

enum sinkq_overflow { SINKQ_DROP_OLDEST = 0, SINKQ_DROP_NEWEST = 1 };

struct sinkq_conf {
    size_t max_events;
    size_t max_bytes; /* sum of envelope JSON lengths */
    enum sinkq_overflow overflow;
};

/* A queue for `sink`; NULL when out of memory. Owned by the instance. */
struct wsgw_sinkq *sinkq_new(struct wsgw_instance *sink,
                             const struct sinkq_conf *conf);
/*
 * Begin consuming: for WSGW_SINK_LOOP sinks, arm the loop event that
 * calls deliver() while events wait. Loop thread, after the sink started.
 */
int sinkq_start(struct wsgw_sinkq *q);
/*
 * Stop accepting pops after the queue is empty: wsgw_sink_pop() returns 0
 * once nothing is left (so a sink thread can finish), and no deliver()
 * calls are made after sinkq_stop(). Loop thread.
 */
void sinkq_close(struct wsgw_sinkq *q);
void sinkq_stop(struct wsgw_sinkq *q);
/* Unref what is left (counted as dropped) and free. NULL is ok. */
void sinkq_free(struct wsgw_sinkq *q);
size_t sinkq_depth(const struct wsgw_sinkq *q);

/*
 * Push n events (taking a new reference to each, the caller keeps its
 * own). Applies the overflow policy. Any thread. Returns how many were
 * queued.
 */
size_t sinkq_push(struct wsgw_sinkq *q, struct wsgw_event **evs, size_t n);

#endif
