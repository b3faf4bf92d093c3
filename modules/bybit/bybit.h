/*
 * bybit.h — the source instance shared by the module's files.
 *
 * Threads: the core's loop thread calls the module callbacks (bybit.c);
 * the module's own lws thread owns every connection (bybit_conn.c) and the
 * REST calls (bybit_rest.c). They share only:
 *   - the command inbox (mutex + lws_cancel_service()): loop -> lws;
 *   - per-stream status snapshots (under status_mtx): lws -> loop;
 *   - topic entries (struct bybit_tent), whose last-event time is atomic;
 *   - metrics (atomic by contract) and wsgw_emit()/wsgw_sub_ack()/
 *     wsgw_handoff_push(), which are thread-safe.
 */
#ifndef BYBIT_H
#define BYBIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libwebsockets.h>

#include <wsgw/wsgw.h>

#include "bybit_conf.h"
#include "bybit_normalize.h"
#include "bybit_subs.h"
#include "bybit_topic.h"

/* Connection states, as status() shows them. */
enum bybit_conn_state {
    BYBIT_IDLE = 0,       /* nothing needs the stream yet              */
    BYBIT_CONNECTING,     /* TCP/TLS/WebSocket handshake               */
    BYBIT_AUTHENTICATING, /* private: waiting for the auth answer      */
    BYBIT_CONNECTED,      /* subscribed (or subscribing), data flowing */
    BYBIT_BACKING_OFF     /* lost; waiting to reconnect                */
};

const char *bybit_state_name(int state);

/*
 * One topic the registry asked for, shared between the threads: created
 * on the loop thread, never freed before destroy (the lws thread may hold
 * a pointer), found once per frame on the lws thread.
 */
struct bybit_tent {
    struct bybit_tent *next; /* loop-side hash chain                     */
    int stream;              /* enum bybit_stream                        */
    char topic[128];
    _Atomic int64_t last_event_ms;
};

/* What the loop thread may read about a stream (under status_mtx). */
struct bybit_stream_status {
    int state;                  /* enum bybit_conn_state                */
    int needed;                 /* topics wanted on it                  */
    int64_t connected_since_ms; /* wall clock; 0 when not connected     */
    int64_t down_since_mono;    /* when it stopped being connected      */
    int64_t last_pong_ms;       /* wall clock; 0 never                  */
    int64_t last_message_ms;    /* wall clock of the last frame         */
    uint64_t reconnects;
    uint64_t auth_failures;
    size_t topics[4]; /* per enum bsub_state                  */
    char last_error[320];
};

/* Items of the loop -> lws inbox. */
enum bybit_cmd_kind { BYBIT_CMD_SUB, BYBIT_CMD_UNSUB, BYBIT_CMD_SYNC };

struct bybit_sync;

struct bybit_cmd {
    struct bybit_cmd *next;
    enum bybit_cmd_kind kind;
    struct bybit_tent *tent; /* SUB, UNSUB                              */
    struct bybit_sync *sync; /* SYNC: ownership passes to the lws side  */
};

/* What lws hands back through opaque user data. */
enum bybit_owner { BYBIT_OWNER_STREAM = 1, BYBIT_OWNER_SYNC = 2 };

struct bybit_outmsg {
    struct bybit_outmsg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes, then the text */
};

/* One connection (lws thread only, except `st`). */
struct bybit_conn {
    enum bybit_owner owner; /* first: lws opaque data tag               */
    struct bybit *b;
    int id; /* enum bybit_stream                        */
    const char *name;
    struct bybit_endpoint ep;
    int configured; /* has an endpoint (private: credentials)   */

    struct lws *wsi;
    int state;
    unsigned attempt; /* consecutive failed connections           */
    int healthy;      /* a pong or data arrived on this connection */
    int ever_started; /* a connection was attempted before        */
    int64_t next_connect_mono;
    int64_t conn_started_mono;
    int64_t last_rx_mono;
    int64_t last_ping_mono;
    int64_t auth_sent_mono;
    int64_t kill_mono;      /* when we asked lws to close it; 0 if not  */
    char close_reason[320]; /* what the peer said when closing          */

    struct bsub subs;
    struct bybit_outmsg *out_head, *out_tail;

    /* a message being reassembled from fragments */
    char *rx;
    size_t rx_len, rx_cap, rx_total;
    int rx_skip, rx_binary;
    int64_t rx_ns;

    struct bybit_norm norm;

    struct wsgw_metric *m_frames, *m_reconnects, *m_connected;

    struct bybit_stream_status st; /* under b->status_mtx               */
};

/* The instance context. */
struct bybit {
    struct wsgw_instance *in;
    /*
     * lws thread: events of the frames read in one lws_service() pass,
     * emitted together after it (one queue lock and at most one wake-up
     * of the core per pass instead of per frame).
     */
    struct wsgw_event **pend;
    size_t npend, cap_pend;
    const struct bybit_conf *conf;
    struct bybit_urls urls;
    struct bybit_topic_conf tconf;
    int64_t dead_after_ms;

    /* loop side */
    struct bybit_tent **tents;
    size_t ntent_buckets;
    struct wsgw_handoff *sync_results;
    atomic_int syncs_in_flight;

    /* the lws thread */
    struct lws_context *lws;
    pthread_t thread;
    int thread_running;
    atomic_int stopping;
    lws_sorted_usec_list_t tick;
    unsigned ticks;
    struct bybit_conn streams[BYBIT_STREAMS];
    struct bybit_sync *syncs; /* REST calls in progress (lws thread)     */

    /* loop -> lws */
    pthread_mutex_t inbox_mtx;
    struct bybit_cmd *inbox_head, *inbox_tail;

    /* lws -> loop */
    pthread_mutex_t status_mtx;

    /* metrics (labels carry the instance name) */
    struct wsgw_metric *m_events[WSGW_CLASS_COUNT];
    struct wsgw_metric *m_bytes;
    struct wsgw_metric *m_malformed[16]; /* by bybit_malformed_reasons[] */
    struct wsgw_metric *m_syncs_ok, *m_syncs_failed;
};

/* ---- bybit_conn.c (lws thread unless noted) ------------------------- */

/* Set up streams and metrics (create; loop thread; the mutexes exist
 * already). WSGW_OK/WSGW_ERR. */
int bybit_conn_init(struct bybit *b, struct wsgw_err *err);
/* Create the lws context and start the thread (start; loop thread). */
int bybit_conn_start(struct bybit *b, struct wsgw_err *err);
/* Stop the thread, close everything (stop; loop thread). */
void bybit_conn_stop(struct bybit *b);
/* Free what init allocated (destroy; loop thread, thread not running). */
void bybit_conn_free(struct bybit *b);
/* Queue a command for the lws thread and wake it. Any thread. */
void bybit_cmd_post(struct bybit *b, struct bybit_cmd *cmd);
/* The label values of wsgw_bybit_malformed_total, NULL-terminated. */
extern const char *const bybit_malformed_reasons[];
/* Count a malformed or refused frame by reason (any thread). */
void bybit_count_malformed(struct bybit *b, const char *reason);

/* ---- bybit_rest.c ---------------------------------------------------- */

/* Register POST /api/v1/balances/sync (start; loop thread). */
int bybit_rest_start(struct bybit *b, struct wsgw_err *err);
/* lws thread: begin the REST call of a queued sync. */
void bybit_rest_begin(struct bybit *b, struct bybit_sync *job);
/* lws thread: the lws callback for REST connections. */
int bybit_rest_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        struct bybit_sync *job, void *in, size_t len);
/* lws thread: time out REST calls that take too long. */
void bybit_rest_tick(struct bybit *b, int64_t now_mono);
/* lws thread, at stop: fail every call still in progress. */
void bybit_rest_abort_all(struct bybit *b);
/* loop thread, destroy: free what is left. */
void bybit_rest_free(struct bybit *b);

#endif
