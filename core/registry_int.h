/*
 * registry_int.h — the subscription registry as the admin endpoints, the
 * built-in file store and the tests see it. Loop thread only.
 *
 * Records: one per (requesting service, stream, topic). The topic pins
 * channel, symbol and category (and the orderbook depth or kline
 * interval), so this is the (service, channel, symbol, category) record
 * of subs.h made exact. Records are never deleted: a cancel marks them
 * inactive. Asking again for a cancelled record's key reactivates that
 * record (same id, created_at kept, updated_at new), so the set does not
 * grow with every subscribe/cancel cycle of a client.
 *
 * Topics: every active record holds one reference on the exchange topic
 * (stream + topic) it needs. source_ops->subscribe runs when a topic gets
 * its first reference, source_ops->unsubscribe when it loses its last.
 * The topic's ack status is copied into each of its active records.
 */
#ifndef WSGW_REGISTRY_INT_H
#define WSGW_REGISTRY_INT_H

#include <jansson.h>

#include <wsgw/wsgw.h>

#include "registry.h"

/* The service name of subscriptions from the YAML. */
#define REGISTRY_CONFIG_SERVICE "config"

enum reg_result {
    REG_OK = 0,
    REG_INVALID,     /* bad request: err->code is the API's 400 code     */
    REG_EXISTS,      /* the service already has this topic, active       */
    REG_NOT_FOUND,   /* no record with this id                           */
    REG_UNAVAILABLE, /* no source, or the store refuses writes now       */
    REG_NOMEM
};

/*
 * Create (or reactivate) the record of `service` for `req`. The request
 * is validated by the source's topic_build first; nothing changes unless
 * REG_OK is returned. On REG_OK *out is the record as the API shows it.
 */
enum reg_result registry_create(const struct wsgw_sub_request *req,
                                const char *service,
                                struct wsgw_sub_record *out,
                                struct wsgw_err *err);

/*
 * Cancel record `id`. REG_OK with *out the record (now inactive) and
 * *was_active telling whether this call cancelled it (0: it already was).
 */
enum reg_result registry_cancel(const char *id, struct wsgw_sub_record *out,
                                int *was_active);

/* Cancel every active record of `service`; *count how many. */
enum reg_result registry_cancel_service(const char *service, size_t *count);

/* Copy record `id` into *out (last_event_at current). REG_NOT_FOUND. */
enum reg_result registry_get(const char *id, struct wsgw_sub_record *out);

/*
 * Call fn for every record, oldest first, with last_event_at current.
 * Records are copies: fn may not call back into the registry.
 */
void registry_foreach(void (*fn)(void *arg, const struct wsgw_sub_record *r),
                      void *arg);

struct registry_counts {
    size_t active, pending, failed; /* active records by status        */
    size_t inactive;                /* cancelled records               */
    size_t topics;                  /* exchange topics subscribed      */
};
void registry_counts(struct registry_counts *c);

/*
 * Apply a source's ack for stream + topic (what wsgw_sub_ack() hands to
 * the loop). Unknown topics are ignored: a late ack for a topic that was
 * cancelled meanwhile must not resurrect anything.
 */
void registry_ack(const char *stream, const char *topic, int ok,
                  const char *reason);

/*
 * Save last_event_at of active records whose value moved since it was
 * last saved (the periodic job; also run by registry_free).
 */
void registry_persist_last_events(void);

/* The record as the API shows it: a new JSON object, NULL if no memory. */
json_t *registry_record_json(const struct wsgw_sub_record *r);

/* ---- the built-in file store (registry_store_file.c) ------------------ */

struct store_file;

/* A store for `dir`/subscriptions.json. No I/O yet. NULL if no memory. */
struct store_file *store_file_new(const char *dir);
/*
 * Create the directory if missing and start the writer thread. WSGW_OK,
 * or WSGW_ERR with err filled (the store then reports unavailable).
 */
int store_file_open(struct store_file *sf, struct wsgw_err *err);
/* The path of the state file (owned by sf). */
const char *store_file_path(const struct store_file *sf);
/* Write what is pending now and wait for it. WSGW_OK or WSGW_ERR. */
int store_file_flush(struct store_file *sf);
/* Flush, stop the writer and free. NULL is ok. */
void store_file_free(struct store_file *sf);
/* Its store_ops; the ctx is the struct store_file. */
extern const struct wsgw_store_ops store_file_ops;

#endif
