/*
 * rmq_sink.c — the publishing thread: connect with backoff, declare,
 * publish in batches, read confirms, republish what was not confirmed.
 *
 * One channel, one publisher, events published in the order they were
 * taken from the core queue; anything sent again (after a nack or a lost
 * connection) goes out, in its original order, before anything newer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "rmq_message.h"
#include "rmq_sink.h"

/* Waiting for the first event when nothing is in flight: short enough
 * to keep heartbeats flowing and notice a stop promptly. */
#define IDLE_WAIT_MS 100
/* Waiting for confirms while events may still arrive. */
#define CONFIRM_WAIT_MS 5
/* Waiting for confirms with a full window (nothing else to do). */
#define FULL_WAIT_MS 100
/* A connection that stayed up this long resets the backoff. */
#define STABLE_MS         10000
#define NACK_DELAY_MIN_MS 100
#define NACK_DELAY_MAX_MS 5000

enum { PUMP_OK, PUMP_LOST, PUMP_DONE };

void rmq_sink_set_error(struct rmq_sink *s, const char *msg)
{
    pthread_mutex_lock(&s->mu);
    snprintf(s->last_error, sizeof(s->last_error), "%s", msg);
    pthread_mutex_unlock(&s->mu);
}

static void set_state(struct rmq_sink *s, enum rmq_state st)
{
    atomic_store(&s->state, (int)st);
    wsgw_gauge_set(s->m.connected,
                   st == RMQ_STATE_CONNECTED || st == RMQ_STATE_BLOCKED);
}

static void update_held(struct rmq_sink *s)
{
    size_t held = rmq_window_held(&s->win);
    atomic_store(&s->held, held);
    wsgw_gauge_set(s->m.in_flight, (int64_t)held);
}

/* Hand confirmed events back: count them delivered and drop our refs. */
static void release_confirmed(struct rmq_sink *s, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        wsgw_event_unref(s->done[i]);
    wsgw_sink_count(s->in, WSGW_SINK_DELIVERED, n);
    wsgw_counter_add(s->m.confirmed, n);
}

/* Sleep until `at_ms` (wsgw_mono_ms) or a stop request. */
static void wait_until(struct rmq_sink *s, int64_t at_ms)
{
    int64_t d = at_ms - wsgw_mono_ms();
    if (d <= 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += d / 1000;
    ts.tv_nsec += (d % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stopping &&
           pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&s->mu);
}

/* Next attempt after an exponential delay with jitter: [d/2, d]. */
static int64_t schedule_retry(struct rmq_sink *s)
{
    int64_t d = s->conf->reconnect_min_ms;
    for (unsigned i = 0; i < s->attempt && d < s->conf->reconnect_max_ms; i++)
        d *= 2;
    if (d > s->conf->reconnect_max_ms)
        d = s->conf->reconnect_max_ms;
    d = d / 2 + (int64_t)wsgw_random_below((uint64_t)(d / 2) + 1);
    s->attempt++;
    s->retry_at_ms = wsgw_mono_ms() + d;
    set_state(s, RMQ_STATE_WAITING);
    return d;
}

static void drop_connection(struct rmq_sink *s, int polite)
{
    if (!s->conn)
        return;
    if (polite)
        amqp_connection_close(s->conn, AMQP_REPLY_SUCCESS);
    pthread_mutex_lock(&s->mu);
    s->sockfd = -1;
    amqp_destroy_connection(s->conn);
    pthread_mutex_unlock(&s->mu);
    s->conn = NULL;
}

static int declare(struct rmq_sink *s, int cls)
{
    if (rmq_declare_class(s->conn, &s->topo.cls[cls], &s->qargs, s->why,
                          sizeof(s->why)) != WSGW_OK) {
        amqp_rpc_reply_t r = amqp_get_rpc_reply(s->conn);
        s->channel_closed = r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
                            r.reply.id == AMQP_CHANNEL_CLOSE_METHOD;
        return WSGW_ERR;
    }
    s->declared |= WSGW_CLASS_BIT(cls);
    return WSGW_OK;
}

static int open_connection(struct rmq_sink *s)
{
    set_state(s, RMQ_STATE_CONNECTING);
    s->conn = rmq_connect(&s->copts, s->why, sizeof(s->why));
    if (!s->conn)
        return WSGW_ERR;
    s->declared = 0;
    s->next_tag = 1;
    for (int cls = 0; cls < WSGW_CLASS_COUNT; cls++)
        if ((s->topo.declare_mask & WSGW_CLASS_BIT(cls)) &&
            declare(s, cls) != WSGW_OK) {
            drop_connection(s, s->channel_closed);
            s->channel_closed = 0;
            return WSGW_ERR;
        }
    pthread_mutex_lock(&s->mu);
    s->sockfd = amqp_get_sockfd(s->conn);
    s->last_error[0] = '\0';
    pthread_mutex_unlock(&s->mu);
    set_state(s, RMQ_STATE_CONNECTED);
    s->connected_at_ms = wsgw_mono_ms();
    size_t waiting = rmq_window_resend_len(&s->win);
    if (s->ever_connected) {
        wsgw_counter_add(s->m.reconnects, 1);
        wsgw_info(s->in,
                  "reconnected to %s; publishing %zu unconfirmed events "
                  "again first",
                  s->url.shown, waiting);
    } else {
        wsgw_info(s->in, "connected to %s (confirm window %lld)", s->url.shown,
                  (long long)s->conf->confirm_window);
    }
    s->ever_connected = 1;
    return WSGW_OK;
}

/* What an operator should do about a failure, when we know. */
static const char *advice(const char *why)
{
    if (strstr(why, "inequivalent arg"))
        return "; the queue exists with other arguments: delete it or set "
               "message_ttl, max_length, max_length_bytes and overflow to "
               "match";
    if (strstr(why, "ACCESS_REFUSED"))
        return "; check the user, password and vhost permissions";
    return "";
}

static void connect_failed(struct rmq_sink *s)
{
    rmq_sink_set_error(s, s->why);
    int64_t d = schedule_retry(s);
    if (strstr(s->why, "PRECONDITION_FAILED"))
        wsgw_error(s->in,
                   "%s%s; events are kept (within the sink queue limits) and "
                   "the declaration is retried in %lld ms",
                   s->why, advice(s->why), (long long)d);
    else
        wsgw_warn(s->in, "%s%s; retrying in %lld ms (attempt %u)", s->why,
                  advice(s->why), (long long)d, s->attempt);
}

static void connection_lost(struct rmq_sink *s)
{
    release_confirmed(s, rmq_window_lost(&s->win, s->done, s->win.cap));
    drop_connection(s, s->channel_closed);
    s->channel_closed = 0;
    rmq_sink_set_error(s, s->why);
    update_held(s);
    if (wsgw_mono_ms() - s->connected_at_ms >= STABLE_MS)
        s->attempt = 0;
    int64_t d = schedule_retry(s);
    wsgw_warn(s->in,
              "connection to %s lost: %s%s; %zu unconfirmed events will be "
              "published again, reconnecting in %lld ms",
              s->url.shown, s->why, advice(s->why),
              rmq_window_resend_len(&s->win), (long long)d);
}

/* Publish one event and record it in the window. WSGW_ERR: connection
 * unusable, reason in s->why, the event not recorded. */
static int publish(struct rmq_sink *s, struct wsgw_event *ev, uint64_t seq)
{
    int cls = wsgw_event_class(ev);
    if (!(s->declared & WSGW_CLASS_BIT(cls)) && declare(s, cls) != WSGW_OK)
        return WSGW_ERR;
    struct rmq_message m;
    rmq_message_build(&m, ev);
    int st = amqp_basic_publish(s->conn, RMQ_CHANNEL, s->exchange[cls],
                                m.routing_key, 0, 0, &m.props, m.body);
    if (st != AMQP_STATUS_OK) {
        snprintf(s->why, sizeof(s->why), "publish failed: %s",
                 amqp_error_string2(st));
        return WSGW_ERR;
    }
    if (rmq_window_sent(&s->win, ev, seq, s->next_tag++) != 0) {
        /* Cannot happen while tags and room are kept right; be loud. */
        snprintf(s->why, sizeof(s->why),
                 "confirm window out of step (tag %llu): a bug",
                 (unsigned long long)(s->next_tag - 1));
        rmq_window_requeue(&s->win, ev, seq);
        return WSGW_ERR;
    }
    return WSGW_OK;
}

static int publish_resend(struct rmq_sink *s)
{
    size_t sent = 0;
    int rc = WSGW_OK;
    void *item;
    uint64_t seq;
    while (s->win.len < s->win.cap &&
           rmq_window_next_resend(&s->win, &item, &seq)) {
        if (publish(s, item, seq) != WSGW_OK) {
            rmq_window_requeue(&s->win, item, seq);
            rc = WSGW_ERR;
            break;
        }
        sent++;
    }
    if (sent) {
        wsgw_sink_count(s->in, WSGW_SINK_RETRIED, sent);
        wsgw_counter_add(s->m.republished, sent);
        wsgw_counter_add(s->m.published, sent);
    }
    return rc;
}

static int publish_new(struct rmq_sink *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (publish(s, s->batch[i], ++s->next_seq) != WSGW_OK) {
            /* This one and the rest of the batch wait for the next
             * connection, in order. */
            rmq_window_requeue(&s->win, s->batch[i], s->next_seq);
            for (size_t j = i + 1; j < n; j++)
                rmq_window_requeue(&s->win, s->batch[j], ++s->next_seq);
            wsgw_counter_add(s->m.published, i);
            return WSGW_ERR;
        }
    }
    wsgw_counter_add(s->m.published, n);
    return WSGW_OK;
}

static void on_nacked(struct rmq_sink *s, size_t n)
{
    wsgw_counter_add(s->m.nacked, n);
    s->nack_delay_ms =
        s->nack_delay_ms ? s->nack_delay_ms * 2 : NACK_DELAY_MIN_MS;
    if (s->nack_delay_ms > NACK_DELAY_MAX_MS)
        s->nack_delay_ms = NACK_DELAY_MAX_MS;
    s->resend_at_ms = wsgw_mono_ms() + s->nack_delay_ms;
    wsgw_warn(s->in,
              "the broker refused %zu events (basic.nack%s); publishing "
              "them again in %lld ms",
              n,
              s->conf->overflow != RMQ_OVERFLOW_DROP_HEAD
                  ? ", a queue is full with overflow reject-publish"
                  : "",
              (long long)s->nack_delay_ms);
}

static void on_close(struct rmq_sink *s, const amqp_frame_t *f)
{
    amqp_bytes_t text = {0, NULL};
    int conn_level = f->payload.method.id == AMQP_CONNECTION_CLOSE_METHOD;
    if (conn_level) {
        amqp_connection_close_t *m = f->payload.method.decoded;
        text = m->reply_text;
        amqp_connection_close_ok_t ok = {0};
        amqp_send_method(s->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    } else {
        amqp_channel_close_t *m = f->payload.method.decoded;
        text = m->reply_text;
        s->channel_closed = 1; /* the connection itself is still fine */
    }
    snprintf(s->why, sizeof(s->why), "the broker closed the %s: %.*s",
             conn_level ? "connection" : "channel", (int)text.len,
             (char *)text.bytes);
}

/* Read what the broker sent: confirms above all. The first read waits up
 * to wait_ms, the rest only take what is already there. */
static int read_frames(struct rmq_sink *s, int wait_ms)
{
    struct timeval tv = {.tv_sec = wait_ms / 1000,
                         .tv_usec = (wait_ms % 1000) * 1000};
    struct timeval zero = {0, 0};
    size_t acked = 0, nacked = 0;
    int rc = WSGW_OK;

    for (int first = 1;; first = 0) {
        amqp_frame_t f;
        int st =
            amqp_simple_wait_frame_noblock(s->conn, &f, first ? &tv : &zero);
        if (st == AMQP_STATUS_TIMEOUT)
            break;
        if (st != AMQP_STATUS_OK) {
            snprintf(s->why, sizeof(s->why), "%s", amqp_error_string2(st));
            rc = WSGW_ERR;
            break;
        }
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue; /* e.g. the content of a basic.return */
        switch (f.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            acked += rmq_window_ack(&s->win, a->delivery_tag, a->multiple);
            break;
        }
        case AMQP_BASIC_NACK_METHOD: {
            amqp_basic_nack_t *a = f.payload.method.decoded;
            nacked += rmq_window_nack(&s->win, a->delivery_tag, a->multiple);
            break;
        }
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD:
            on_close(s, &f);
            rc = WSGW_ERR;
            break;
        case AMQP_CONNECTION_BLOCKED_METHOD: {
            amqp_connection_blocked_t *b = f.payload.method.decoded;
            set_state(s, RMQ_STATE_BLOCKED);
            wsgw_warn(s->in, "the broker blocked publishing: %.*s",
                      (int)b->reason.len, (char *)b->reason.bytes);
            break;
        }
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            set_state(s, RMQ_STATE_CONNECTED);
            wsgw_info(s->in, "the broker unblocked publishing");
            break;
        default:
            break;
        }
        if (rc != WSGW_OK)
            break;
    }
    if (rc == WSGW_OK)
        amqp_maybe_release_buffers(s->conn);
    if (nacked)
        on_nacked(s, nacked);
    else if (acked)
        s->nack_delay_ms = 0;
    return rc;
}

/* One round: resend, take and publish new events, read confirms. */
static int pump(struct rmq_sink *s, int stopping)
{
    size_t n = 0;

    if (rmq_window_resend_len(&s->win) > 0 &&
        wsgw_mono_ms() >= s->resend_at_ms && publish_resend(s) != WSGW_OK)
        return PUMP_LOST;

    size_t room = rmq_window_room(&s->win);
    if (!rmq_window_blocked(&s->win) && room > 0) {
        int idle = rmq_window_held(&s->win) == 0;
        n = wsgw_sink_pop(s->in, s->batch, room,
                          idle && !stopping ? IDLE_WAIT_MS : 0);
        if (n > 0) {
            /* Not idle from the moment they leave the core queue. */
            atomic_store(&s->held, rmq_window_held(&s->win) + n);
            int rc = publish_new(s, n);
            update_held(s);
            if (rc != WSGW_OK)
                return PUMP_LOST;
        } else if (stopping && idle) {
            return PUMP_DONE;
        }
    }

    int wait_ms = 0;
    if (n == 0 && rmq_window_held(&s->win) > 0)
        wait_ms = room == 0 || rmq_window_blocked(&s->win) ? FULL_WAIT_MS
                                                           : CONFIRM_WAIT_MS;
    if (read_frames(s, wait_ms) != WSGW_OK)
        return PUMP_LOST;
    release_confirmed(s, rmq_window_collect(&s->win, s->done, s->win.cap));
    update_held(s);
    return PUMP_OK;
}

static void finish(struct rmq_sink *s)
{
    drop_connection(s, 1);
    size_t n = rmq_window_take_all(&s->win, s->done, s->win.cap);
    for (size_t i = 0; i < n; i++)
        wsgw_event_unref(s->done[i]);
    if (n) {
        wsgw_sink_count(s->in, WSGW_SINK_DROPPED, n);
        wsgw_error(s->in,
                   "stopped with %zu events not confirmed by the broker at "
                   "%s: dropped",
                   n, s->url.shown);
    }
    update_held(s);
    set_state(s, RMQ_STATE_STOPPED);
}

void *rmq_sink_main(void *arg)
{
    struct rmq_sink *s = arg;

    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stopping = s->stopping;
        int64_t deadline = s->stop_deadline;
        pthread_mutex_unlock(&s->mu);

        if (stopping && (!s->conn || wsgw_mono_ms() >= deadline))
            break;
        if (!s->conn) {
            if (wsgw_mono_ms() < s->retry_at_ms)
                wait_until(s, s->retry_at_ms);
            else if (open_connection(s) != WSGW_OK)
                connect_failed(s);
            continue;
        }
        int rc = pump(s, stopping);
        if (rc == PUMP_DONE)
            break;
        if (rc == PUMP_LOST)
            connection_lost(s);
    }
    finish(s);
    return NULL;
}
