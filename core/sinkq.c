/*
 * sinkq.c — the bounded queue in front of every sink, its overflow
 * policy, its counters, and the two ways a sink consumes it.
 *
 * A ring of event pointers under one mutex: producers push whole batches
 * (one lock per batch), the consumer takes up to 256 at a time. Limits of
 * 0 mean "no limit" for that dimension.
 *
 * WSGW_SINK_LOOP: a push wakes the loop with event_active() on wake_ev;
 * an atomic flag coalesces a burst of pushes into one wake-up. The
 * callback offers batches to mod->deliver(); what the sink does not take
 * goes back to the head of the queue, and the queue is offered again
 * after wsgw_sink_wakeup() or a 100 ms timer, not on every push (a sink
 * that just refused would refuse again).
 *
 * WSGW_SINK_THREAD: the sink's thread waits on a condition variable in
 * wsgw_sink_pop().
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <wsgw/loop.h>
#include <wsgw/metrics.h>
#include <wsgw/module.h>

#include "runtime_internal.h"
#include "sinkq.h"

#define DELIVER_BATCH  256
#define DELIVER_ROUNDS 16 /* batches per callback before yielding the loop */
#define RETRY_MS       100
#define RING_MIN       1024

struct wsgw_sinkq {
    struct wsgw_instance *sink;
    struct sinkq_conf conf;
    int loop_mode;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wsgw_event **ring; /* cap is a power of two                    */
    size_t cap, head, count;
    size_t bytes; /* sum of envelope lengths of what is queued */
    int waiters;  /* threads in wsgw_sink_pop                  */
    int closed;

    atomic_int started; /* LOOP: wake_ev exists and may be activated     */
    atomic_int stopped; /* LOOP: no more deliver() calls                 */
    struct event *wake_ev;
    int wake_fd; /* LOOP: eventfd that wake_ev reads         */
    struct event *retry_ev;
    atomic_int wake_pending; /* a wake-up is on its way                 */
    atomic_int blocked;      /* the sink refused; wait for wakeup/timer  */
    atomic_uint wake_gen;    /* counts wsgw_sink_wakeup() calls          */

    struct wsgw_metric *received, *delivered, *retried, *failed;
    struct wsgw_metric *dropped_overflow, *dropped_sink, *dropped_shutdown;
    struct wsgw_metric *depth, *depth_bytes;
};

/* ---- the ring (caller holds mu) ------------------------------------------ */

static int ring_reserve(struct wsgw_sinkq *q, size_t need)
{
    size_t cap = q->cap;

    if (need <= cap)
        return WSGW_OK;
    while (cap < need)
        cap *= 2;
    struct wsgw_event **r = malloc(cap * sizeof(*r));
    if (!r)
        return WSGW_ERR;
    for (size_t i = 0; i < q->count; i++)
        r[i] = q->ring[(q->head + i) & (q->cap - 1)];
    free(q->ring);
    q->ring = r;
    q->cap = cap;
    q->head = 0;
    return WSGW_OK;
}

static size_t ev_bytes(const struct wsgw_event *ev)
{
    size_t len;
    wsgw_event_json(ev, &len);
    return len;
}

static void ring_push_back(struct wsgw_sinkq *q, struct wsgw_event *ev)
{
    q->ring[(q->head + q->count) & (q->cap - 1)] = ev;
    q->count++;
    q->bytes += ev_bytes(ev);
}

static void ring_push_front(struct wsgw_sinkq *q, struct wsgw_event *ev)
{
    q->head = (q->head - 1) & (q->cap - 1);
    q->ring[q->head] = ev;
    q->count++;
    q->bytes += ev_bytes(ev);
}

static struct wsgw_event *ring_pop_front(struct wsgw_sinkq *q)
{
    struct wsgw_event *ev = q->ring[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    q->bytes -= ev_bytes(ev);
    return ev;
}

static struct wsgw_event *ring_pop_back(struct wsgw_sinkq *q)
{
    struct wsgw_event *ev = q->ring[(q->head + q->count - 1) & (q->cap - 1)];
    q->count--;
    q->bytes -= ev_bytes(ev);
    return ev;
}

static size_t ring_take(struct wsgw_sinkq *q, struct wsgw_event **out,
                        size_t max)
{
    size_t k = 0;
    while (k < max && q->count)
        out[k++] = ring_pop_front(q);
    return k;
}

/* 1 when `len` more bytes and one more event exceed a limit. */
static int over_limit(const struct wsgw_sinkq *q, size_t len)
{
    return (q->conf.max_events && q->count >= q->conf.max_events) ||
           (q->conf.max_bytes && q->bytes + len > q->conf.max_bytes);
}

/* ---- metrics ---------------------------------------------------------------
 */

static double depth_fn(void *arg)
{
    return (double)sinkq_depth(arg);
}

static double bytes_fn(void *arg)
{
    struct wsgw_sinkq *q = arg;
    pthread_mutex_lock(&q->mu);
    size_t b = q->bytes;
    pthread_mutex_unlock(&q->mu);
    return (double)b;
}

static void metrics_create(struct wsgw_sinkq *q)
{
    char esc[256], l[320];

    metrics_label_escape(esc, sizeof(esc), q->sink->name ? q->sink->name : "");
    snprintf(l, sizeof(l), "sink=\"%s\"", esc);
    q->received = wsgw_counter("wsgw_sink_received_total",
                               "Events routed to the sink's queue", l);
    q->delivered = wsgw_counter("wsgw_sink_delivered_total",
                                "Events the sink wrote or had confirmed", l);
    q->retried = wsgw_counter("wsgw_sink_retried_total",
                              "Events the sink sent again", l);
    q->failed = wsgw_counter("wsgw_sink_failed_total",
                             "Events the sink refused for their data", l);
    q->depth =
        wsgw_gauge_fn("wsgw_sink_queue_depth",
                      "Events waiting in the sink's queue", l, depth_fn, q);
    q->depth_bytes = wsgw_gauge_fn("wsgw_sink_queue_bytes",
                                   "Envelope bytes waiting in the sink's queue",
                                   l, bytes_fn, q);

    static const char help[] = "Events dropped, by reason: overflow (queue "
                               "policy), sink (given up by the sink), "
                               "shutdown (left in the queue at exit)";
    snprintf(l, sizeof(l), "sink=\"%s\",reason=\"overflow\"", esc);
    q->dropped_overflow = wsgw_counter("wsgw_sink_dropped_total", help, l);
    snprintf(l, sizeof(l), "sink=\"%s\",reason=\"sink\"", esc);
    q->dropped_sink = wsgw_counter("wsgw_sink_dropped_total", help, l);
    snprintf(l, sizeof(l), "sink=\"%s\",reason=\"shutdown\"", esc);
    q->dropped_shutdown = wsgw_counter("wsgw_sink_dropped_total", help, l);
}

static void metrics_release(struct wsgw_sinkq *q)
{
    struct wsgw_metric *all[] = {q->received,        q->delivered,
                                 q->retried,         q->failed,
                                 q->depth,           q->depth_bytes,
                                 q->dropped_sink,    q->dropped_overflow,
                                 q->dropped_shutdown};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        wsgw_metric_unregister(all[i]);
}

/* ---- lifecycle -------------------------------------------------------------
 */

struct wsgw_sinkq *sinkq_new(struct wsgw_instance *sink,
                             const struct sinkq_conf *conf)
{
    struct wsgw_sinkq *q = calloc(1, sizeof(*q));
    pthread_condattr_t ca;

    if (!q)
        return NULL;
    q->sink = sink;
    q->wake_fd = -1;
    q->conf = *conf;
    q->loop_mode = !sink->mod || sink->mod->sink_mode == WSGW_SINK_LOOP;
    q->cap = RING_MIN;
    q->ring = malloc(q->cap * sizeof(*q->ring));
    if (!q->ring) {
        free(q);
        return NULL;
    }
    /* Producer and consumer hold the lock for a few pointer copies: an
     * adaptive mutex spins briefly instead of sleeping in the kernel,
     * which on a busy 2-core machine saved a context switch per batch. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&q->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    /* Pop timeouts must not jump with the wall clock. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    metrics_create(q);
    return q;
}

/*
 * Wake the loop through our own eventfd rather than event_active(): the
 * latter takes the event_base lock, which the loop holds while it
 * dispatches, and a producer thread then sleeps on it (measured: the
 * largest user of kernel time at 300k events/s).
 */
static void wake(struct wsgw_sinkq *q)
{
    if (!atomic_exchange(&q->wake_pending, 1)) {
        uint64_t one = 1;
        ssize_t n = write(q->wake_fd, &one, sizeof(one));
        (void)n; /* a full counter already means "wake up" */
    }
}

static void deliver_run(struct wsgw_sinkq *q);

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wsgw_sinkq *q = arg;
    uint64_t n;

    if (read(q->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        wsgw_log(q->sink, WSGW_LOG_ERROR, "sink queue wake-up: %s",
                 strerror(errno));
    /* Cleared first: a push from now on wakes us again. */
    atomic_store(&q->wake_pending, 0);
    if (!atomic_load(&q->blocked))
        deliver_run(q);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wsgw_sinkq *q = arg;

    atomic_store(&q->blocked, 0);
    deliver_run(q);
}

int sinkq_start(struct wsgw_sinkq *q)
{
    struct event_base *base = wsgw_event_base();

    if (!q->loop_mode) {
        atomic_store(&q->started, 1);
        return WSGW_OK;
    }
    if (!base || !q->sink->mod || !q->sink->mod->deliver)
        return WSGW_ERR;
    q->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->wake_fd < 0)
        return WSGW_ERR;
    q->wake_ev = event_new(base, q->wake_fd, EV_READ | EV_PERSIST, wake_cb, q);
    q->retry_ev = evtimer_new(base, retry_cb, q);
    if (!q->wake_ev || !q->retry_ev || event_add(q->wake_ev, NULL) < 0) {
        if (q->wake_ev)
            event_free(q->wake_ev);
        if (q->retry_ev)
            event_free(q->retry_ev);
        q->wake_ev = q->retry_ev = NULL;
        return WSGW_ERR;
    }
    atomic_store(&q->started, 1);
    /* Events routed before the start are waiting already. */
    if (sinkq_depth(q) > 0)
        wake(q);
    return WSGW_OK;
}

void sinkq_close(struct wsgw_sinkq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void sinkq_stop(struct wsgw_sinkq *q)
{
    atomic_store(&q->stopped, 1);
    if (q->wake_ev)
        event_del(q->wake_ev);
    if (q->retry_ev)
        event_del(q->retry_ev);
}

void sinkq_free(struct wsgw_sinkq *q)
{
    if (!q)
        return;
    sinkq_stop(q);
    if (q->wake_ev)
        event_free(q->wake_ev);
    if (q->retry_ev)
        event_free(q->retry_ev);
    if (q->wake_fd >= 0)
        close(q->wake_fd);

    size_t left = q->count;
    while (q->count)
        wsgw_event_unref(ring_pop_front(q));
    wsgw_counter_add(q->dropped_shutdown, left);
    metrics_release(q);
    if (q->sink && q->sink->q == q)
        q->sink->q = NULL;
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->ring);
    free(q);
}

size_t sinkq_depth(const struct wsgw_sinkq *q)
{
    struct wsgw_sinkq *mq = (struct wsgw_sinkq *)q; /* the lock only */
    size_t n;

    pthread_mutex_lock(&mq->mu);
    n = mq->count;
    pthread_mutex_unlock(&mq->mu);
    return n;
}

/* ---- producers ----------------------------------------------------------- */

size_t sinkq_push_mark(struct wsgw_sinkq *q, struct wsgw_event **evs, size_t n,
                       unsigned char *queued)
{
    size_t pushed = 0, dropped = 0, i = 0;
    int signal;

    if (n == 0)
        return 0;
    wsgw_counter_add(q->received, n);

    pthread_mutex_lock(&q->mu);
    if (q->conf.overflow == SINKQ_DROP_OLDEST && q->conf.max_events &&
        n > q->conf.max_events) {
        /* These would enter and be pushed out by the end of this same
         * batch: count them so, without touching the ring. */
        size_t skip = n - q->conf.max_events;
        for (; i < skip; i++)
            if (queued)
                queued[i] = 1;
        pushed += skip;
        dropped += skip;
    }
    for (; i < n; i++) {
        size_t len = ev_bytes(evs[i]);
        if (q->conf.max_bytes && len > q->conf.max_bytes) {
            dropped++; /* fits in no queue of this size */
            continue;
        }
        if (q->conf.overflow == SINKQ_DROP_OLDEST) {
            while (q->count && over_limit(q, len)) {
                wsgw_event_unref(ring_pop_front(q));
                dropped++;
            }
        } else if (over_limit(q, len)) {
            dropped++;
            continue;
        }
        if (ring_reserve(q, q->count + 1) != WSGW_OK) {
            dropped++; /* out of memory: the policy of last resort */
            continue;
        }
        ring_push_back(q, wsgw_event_ref(evs[i]));
        if (queued)
            queued[i] = 1;
        pushed++;
    }
    signal = q->waiters > 0 && q->count > 0;
    if (signal)
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);

    if (dropped)
        wsgw_counter_add(q->dropped_overflow, dropped);
    if (q->loop_mode && atomic_load(&q->started) && !atomic_load(&q->blocked))
        wake(q);
    return pushed;
}

size_t sinkq_push(struct wsgw_sinkq *q, struct wsgw_event **evs, size_t n)
{
    return sinkq_push_mark(q, evs, n, NULL);
}

/* ---- LOOP consumers ------------------------------------------------------ */

/*
 * Give back what deliver() did not take, at the head and in order, then
 * apply the policy again: pushes may have filled the queue meanwhile.
 */
static void put_back(struct wsgw_sinkq *q, struct wsgw_event **evs, size_t n)
{
    size_t dropped = 0;

    pthread_mutex_lock(&q->mu);
    if (ring_reserve(q, q->count + n) != WSGW_OK) {
        pthread_mutex_unlock(&q->mu);
        for (size_t i = 0; i < n; i++)
            wsgw_event_unref(evs[i]);
        wsgw_counter_add(q->dropped_overflow, n);
        return;
    }
    for (size_t i = n; i-- > 0;)
        ring_push_front(q, evs[i]);
    while (q->count && ((q->conf.max_events && q->count > q->conf.max_events) ||
                        (q->conf.max_bytes && q->bytes > q->conf.max_bytes))) {
        if (q->conf.overflow == SINKQ_DROP_OLDEST)
            wsgw_event_unref(ring_pop_front(q));
        else
            wsgw_event_unref(ring_pop_back(q));
        dropped++;
    }
    pthread_mutex_unlock(&q->mu);
    if (dropped)
        wsgw_counter_add(q->dropped_overflow, dropped);
}

static void deliver_run(struct wsgw_sinkq *q)
{
    struct wsgw_event *batch[DELIVER_BATCH];
    const struct wsgw_module *mod = q->sink->mod;

    for (int round = 0; round < DELIVER_ROUNDS; round++) {
        if (atomic_load(&q->stopped))
            return;
        pthread_mutex_lock(&q->mu);
        size_t k = ring_take(q, batch, DELIVER_BATCH);
        pthread_mutex_unlock(&q->mu);
        if (k == 0)
            return;

        unsigned gen = atomic_load(&q->wake_gen);
        size_t taken = mod->deliver(q->sink->ctx, batch, k);
        if (taken > k)
            taken = k;
        if (taken < k) {
            put_back(q, batch + taken, k - taken);
            atomic_store(&q->blocked, 1);
            /* A wakeup during deliver() means the sink is ready already. */
            if (atomic_load(&q->wake_gen) != gen) {
                atomic_store(&q->blocked, 0);
                wake(q);
            } else {
                struct timeval tv = {0, RETRY_MS * 1000};
                evtimer_add(q->retry_ev, &tv);
            }
            return;
        }
    }
    /* Still more: continue on the next loop iteration, not now, so that
     * a busy sink does not starve everything else on the loop. */
    if (sinkq_depth(q) > 0)
        wake(q);
}

void wsgw_sink_wakeup(struct wsgw_instance *sink)
{
    struct wsgw_sinkq *q = sink ? sink->q : NULL;

    if (!q || !q->loop_mode || !atomic_load(&q->started) ||
        atomic_load(&q->stopped))
        return;
    atomic_fetch_add(&q->wake_gen, 1);
    atomic_store(&q->blocked, 0);
    wake(q);
}

/* ---- THREAD consumers ---------------------------------------------------- */

size_t wsgw_sink_pop(struct wsgw_instance *sink, struct wsgw_event **evs,
                     size_t max, int timeout_ms)
{
    struct wsgw_sinkq *q = sink ? sink->q : NULL;
    struct timespec deadline;
    size_t k;

    if (!q || max == 0)
        return 0;
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
    }

    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed && timeout_ms != 0) {
        int rc;
        q->waiters++;
        if (timeout_ms < 0)
            rc = pthread_cond_wait(&q->cv, &q->mu);
        else
            rc = pthread_cond_timedwait(&q->cv, &q->mu, &deadline);
        q->waiters--;
        if (rc == ETIMEDOUT)
            break;
    }
    k = ring_take(q, evs, max);
    pthread_mutex_unlock(&q->mu);
    return k;
}

/* ---- counters -------------------------------------------------------------
 */

void wsgw_sink_count(struct wsgw_instance *sink, enum wsgw_sink_counter c,
                     uint64_t n)
{
    struct wsgw_sinkq *q = sink ? sink->q : NULL;

    if (!q)
        return;
    switch (c) {
    case WSGW_SINK_DELIVERED:
        wsgw_counter_add(q->delivered, n);
        break;
    case WSGW_SINK_RETRIED:
        wsgw_counter_add(q->retried, n);
        break;
    case WSGW_SINK_DROPPED:
        wsgw_counter_add(q->dropped_sink, n);
        break;
    case WSGW_SINK_FAILED:
        wsgw_counter_add(q->failed, n);
        break;
    }
}

size_t wsgw_sink_depth(const struct wsgw_instance *sink)
{
    return sink && sink->q ? sinkq_depth(sink->q) : 0;
}
