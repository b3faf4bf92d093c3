/*
 * bybit_subs.h — the topics of one stream and the requests in flight.
 *
 * A state machine with no I/O, driven by the connection code on the lws
 * thread (and by unit tests): it remembers every topic the stream should
 * carry, sends subscribe/unsubscribe requests in batches that respect
 * Bybit's per-request limits, matches acks to requests (by req_id, or in
 * order when Bybit omits it) and reports each topic's outcome.
 *
 * Not thread-safe: one owner thread.
 */
#ifndef BYBIT_SUBS_H
#define BYBIT_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "bybit_control.h"

/* Bybit's limits (PROTOCOL.md §3). */
#define BYBIT_ARGS_CHARS_MAX                                                   \
    21000                            /* public: args characters per connection \
                                      */
#define BYBIT_OPTION_ARGS_MAX   2000 /* option: args per connection */
#define BYBIT_SPOT_ARGS_PER_REQ 10   /* spot: args per request   */
#define BYBIT_ARGS_PER_REQ      100 /* our chunk size elsewhere               */
/* Unacknowledged requests are sent again this many times, then failed. */
#define BYBIT_SUB_TRIES 3

enum bsub_state {
    BSUB_WANT = 0, /* to be sent on the next pump                        */
    BSUB_SENT,     /* in a request, no answer yet                        */
    BSUB_ACTIVE,   /* acknowledged                                       */
    BSUB_FAILED    /* refused; not sent again until the next connection  */
};

enum bsub_op { BSUB_OP_SUBSCRIBE = 0, BSUB_OP_UNSUBSCRIBE = 1 };

struct bsub_req;

struct bsub_topic {
    char *topic; /* owned                                     */
    size_t len;
    void *user; /* the owner's per-topic data (last event)   */
    enum bsub_state state;
    unsigned tries;          /* requests sent without an answer           */
    struct bsub_req *req;    /* the request it is in while SENT           */
    struct bsub_topic *next; /* hash chain                             */
};

struct bsub_req {
    struct bsub_req *next; /* FIFO of requests in flight              */
    char req_id[32];
    enum bsub_op op;
    int64_t sent_ms;
    int single;    /* a one-topic retry: failures not split    */
    size_t n;      /* topics still unanswered                  */
    char **topics; /* owned copies; NULL entries are answered  */
    size_t cap;
};

struct bsub_callbacks {
    /* Send one request (JSON text, borrowed for the call). */
    void (*send)(void *arg, const char *text, size_t len);
    /*
     * A topic's answer: op, topic, ok, and Bybit's message when refused
     * (may be NULL). Only subscribes of topics still wanted are reported
     * as subscribe answers; unsubscribe answers are reported for logging.
     */
    void (*answer)(void *arg, enum bsub_op op, const char *topic, int ok,
                   const char *reason);
    void *arg;
};

struct bsub {
    int stream;     /* enum bybit_stream                      */
    char prefix[8]; /* req_id prefix, e.g. "li"               */
    struct bsub_callbacks cb;
    struct bsub_topic **buckets;
    size_t nbuckets;
    size_t ntopics;
    struct bsub_req *reqs; /* oldest first                           */
    unsigned seq;
    char **unsub; /* topics to unsubscribe on the next pump */
    size_t nunsub, capunsub;
};

/* Set up an empty stream table. 0 or -1 (out of memory). */
int bsub_init(struct bsub *s, int stream, const struct bsub_callbacks *cb);
void bsub_free(struct bsub *s);

/*
 * The stream should carry `topic` (a no-op when it already does; a topic
 * that FAILED is tried again). `user` is stored with it. Returns the
 * entry, or NULL when out of memory.
 */
struct bsub_topic *bsub_want(struct bsub *s, const char *topic, void *user);
/*
 * The stream should stop carrying `topic`. When it was sent on the
 * current connection (`connected`), an unsubscribe is queued for the
 * next pump. Returns the entry's user pointer or NULL if unknown.
 */
void *bsub_unwant(struct bsub *s, const char *topic, int connected);

/* The entry for a topic (hot path: one lookup per frame), or NULL. */
struct bsub_topic *bsub_lookup(const struct bsub *s, const char *topic,
                               size_t len);

/*
 * The connection was lost: requests in flight are forgotten and every
 * wanted topic (failed ones too) will be subscribed again.
 */
void bsub_reset(struct bsub *s);

/*
 * The connection is ready (open and, on the private stream, authed):
 * send every queued unsubscribe and every WANT topic, in batches.
 * Topics beyond Bybit's per-connection limits are reported failed.
 */
void bsub_pump(struct bsub *s, int64_t now_ms);

/*
 * An ack (kind SUBSCRIBE, UNSUBSCRIBE or COMMAND). Returns 1 when it
 * matched a request, 0 when not.
 */
int bsub_on_ack(struct bsub *s, const struct bybit_ctl *c, int64_t now_ms);

/*
 * Requests unanswered for timeout_ms: their topics are sent again, up to
 * BYBIT_SUB_TRIES requests, then reported failed. Call periodically.
 * Returns how many topics wait to be sent again (then call bsub_pump).
 */
size_t bsub_tick(struct bsub *s, int64_t now_ms, int64_t timeout_ms);

/* Topics wanted on this stream. */
static inline size_t bsub_count(const struct bsub *s)
{
    return s->ntopics;
}
/* Count of topics in each state into n[4] (status). */
void bsub_counts(const struct bsub *s, size_t n[4]);
/* Requests in flight. */
size_t bsub_inflight(const struct bsub *s);

#endif
