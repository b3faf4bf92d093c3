/*
 * wsgw/subs.h — subscriptions: what sources and stores implement for the
 * core's subscription registry.
 *
 * The registry (core) holds the desired set: one record per (requesting
 * service, channel, symbol, category). Records asking for the same topic
 * share one exchange subscription, reference counted: the source is asked
 * to subscribe when the first active record needs a topic and to
 * unsubscribe when the last one is cancelled. The source reports each
 * topic's acknowledgement with wsgw_sub_ack(); the registry shows it as the
 * record's status (pending, active, failed + reason).
 *
 * The registry knows no exchange: building and validating a topic from a
 * request is the source's job (source_ops.topic_build).
 */
#ifndef WSGW_SUBS_H_INCLUDED
#define WSGW_SUBS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A request for a subscription, as the API or YAML gave it. Borrowed. */
struct wsgw_sub_request {
    const char *channel_type; /* "trades", "ticker", "orderbook", ...      */
    const char *symbol;       /* NULL or "" when absent; "*" = none       */
    const char *category;     /* NULL: the source's default ("linear")    */
    const char *topic;        /* explicit topic to check, or NULL         */
    int64_t depth;            /* orderbook depth; 0 = default             */
    const char *interval;     /* kline interval; NULL = default           */
};

/* A built exchange topic: what the source subscribes. */
struct wsgw_topic {
    char topic[128];       /* "publicTrade.BTCUSDT"                       */
    char stream[16];       /* connection: spot|linear|inverse|option|private */
    char channel_type[24]; /* normalized channel ("trades")               */
    char symbol[64];       /* "" when none                                */
    char category[16];     /* the category the record shows               */
    int cls;               /* enum wsgw_class of its events               */
};

/* Implemented by a source module (struct wsgw_module.source_ops). */
struct wsgw_source_ops {
    /*
     * Build and validate the topic for `req`. Loop thread; no I/O.
     * WSGW_OK with *out filled, or WSGW_ERR with err->code one of the API's
     * 400 codes (INVALID_CHANNEL_TYPE, MISSING_SYMBOL, UNEXPECTED_SYMBOL,
     * INVALID_SYMBOL, INVALID_TOPIC, INVALID_PARAMETER) and a message.
     */
    int (*topic_build)(void *ctx, const struct wsgw_sub_request *req,
                       struct wsgw_topic *out, struct wsgw_err *err);
    /*
     * Ask the exchange for / to stop a topic. Loop thread; must not block:
     * queue it and return. The source batches what arrives together and,
     * after every reconnect, subscribes again everything it was asked for.
     * The answer comes back through wsgw_sub_ack().
     */
    void (*subscribe)(void *ctx, const struct wsgw_topic *t);
    void (*unsubscribe)(void *ctx, const struct wsgw_topic *t);
    /* When the last event of the topic arrived (ms since epoch), or 0. */
    int64_t (*last_event)(void *ctx, const struct wsgw_topic *t);
};

/*
 * A source reports the exchange's answer for a topic of a stream: ok, or
 * refused with the exchange's message (reason, copied; may be NULL). Any
 * thread (the report is handed to the loop).
 */
void wsgw_sub_ack(struct wsgw_instance *src, const char *stream,
                  const char *topic, int ok, const char *reason);

/* Record status values. */
#define WSGW_SUB_PENDING "pending"
#define WSGW_SUB_ACTIVE  "active"
#define WSGW_SUB_FAILED  "failed"

/* One registry record, as stored. Plain data; copy freely. */
struct wsgw_sub_record {
    char id[WSGW_UUID_LEN + 1];
    char channel_type[24];
    char symbol[64]; /* "" = null                                       */
    char topic[128];
    char category[16];
    char stream[16];
    char requesting_service[128];
    int is_active;
    char status[16];         /* pending | active | failed               */
    char status_reason[256]; /* Bybit's ret_msg when failed            */
    int64_t created_at_ms;
    int64_t updated_at_ms;
    int64_t last_event_at_ms; /* 0 = null                              */
};

/* Implemented by a store module (struct wsgw_module.store_ops). */
struct wsgw_store_ops {
    /*
     * Load every stored record (active and not) by calling
     * cb(arg, record) for each, on the loop thread, after start(). May
     * block briefly (start-up only). WSGW_OK, or WSGW_ERR with err filled
     * when the store cannot be read (the daemon then starts from the YAML
     * subscriptions alone and says so).
     */
    int (*load)(void *ctx,
                void (*cb)(void *arg, const struct wsgw_sub_record *r),
                void *arg, struct wsgw_err *err);
    /*
     * Insert or update one record (by id). Loop thread; must not block:
     * the store copies the record and writes it in the background,
     * retrying. WSGW_OK when accepted, WSGW_AGAIN when the store is
     * unavailable (the API then answers 503 and changes nothing).
     */
    int (*save)(void *ctx, const struct wsgw_sub_record *r);
    /* 1 when writes are currently possible. */
    int (*available)(void *ctx);
};

/* Number of active records (for /health). Loop thread. */
size_t wsgw_subs_active_count(void);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_SUBS_H_INCLUDED */
