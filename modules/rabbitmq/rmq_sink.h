/*
 * rmq_sink.h — one rabbitmq sink instance and its publishing thread.
 *
 * The thread owns the connection, the confirm window and every event it
 * took from the core queue until the broker confirms it (then it is
 * counted delivered and unref'd) or the sink stops (then it is counted
 * dropped). While the broker is unreachable the thread takes nothing new:
 * events wait in the core's bounded sink queue, whose overflow policy
 * decides what is dropped.
 *
 * The loop thread touches only the fields marked "shared" (status, idle,
 * stop), through the mutex or atomics.
 */
#ifndef WSGW_RMQ_SINK_H
#define WSGW_RMQ_SINK_H

#include <pthread.h>
#include <stdatomic.h>

#include <amqp.h>

#include <wsgw/wsgw.h>

#include "rmq_conf.h"
#include "rmq_conn.h"
#include "rmq_window.h"

enum rmq_state {
    RMQ_STATE_STARTING = 0,
    RMQ_STATE_CONNECTING,
    RMQ_STATE_CONNECTED,
    RMQ_STATE_BLOCKED, /* the broker paused publishing (resource alarm) */
    RMQ_STATE_WAITING, /* disconnected, waiting to retry */
    RMQ_STATE_STOPPED
};

struct rmq_metrics {
    struct wsgw_metric *published, *confirmed, *republished, *nacked;
    struct wsgw_metric *in_flight, *connected, *reconnects;
};

struct rmq_sink {
    struct wsgw_instance *in;
    const struct rmq_conf *conf;
    struct rmq_topology topo;
    struct rmq_url url;
    struct rmq_conn_opts copts;
    char conn_name[160];
    amqp_bytes_t exchange[WSGW_CLASS_COUNT];
    amqp_table_entry_t qarg_entries[4];
    amqp_table_t qargs;
    struct rmq_metrics m;
    int uses_tls; /* amqps: counted in rabbitmq.c's tls_instances */

    /* shared */
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* wakes the thread's retry wait (stop) */
    int stopping;          /* mu */
    int64_t stop_deadline; /* mu; wsgw_mono_ms() */
    int sockfd;            /* mu; -1 when not connected */
    char last_error[600];  /* mu */
    atomic_int state;      /* enum rmq_state */
    atomic_size_t held;    /* events taken and not yet confirmed/dropped */
    pthread_t thread;
    int thread_started;
    int sync_ready; /* mu and cv initialized */

    /* sink thread only */
    amqp_connection_state_t conn;
    struct rmq_window win;
    struct wsgw_event **batch; /* confirm_window slots */
    void **done;               /* confirm_window slots */
    uint64_t next_tag;         /* delivery tag of the next publish */
    uint64_t next_seq;         /* order of events taken from the core */
    unsigned declared;         /* classes declared on this connection */
    unsigned attempt;          /* failed connection attempts in a row */
    int64_t retry_at_ms;
    int64_t connected_at_ms;
    int64_t nack_delay_ms;
    int64_t resend_at_ms;
    int ever_connected;
    int channel_closed; /* the broker closed the channel, not the socket */
    char why[600];      /* reason of the last failure, for the log */
};

/* The thread's body: arg is the struct rmq_sink. */
void *rmq_sink_main(void *arg);

/* Record the latest error for status() (any thread). */
void rmq_sink_set_error(struct rmq_sink *s, const char *msg);

#endif
