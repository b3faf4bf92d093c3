/*
 * bybit_normalize.h — one Bybit frame into event descriptions.
 *
 * A pure function of the frame's bytes: no network, no core state, so it
 * is unit-tested on every sample message. The frame is validated by the
 * scanner (bybit_json.h) and each event's payload is described as parts
 * (struct wsgw_iov) pointing into the frame plus a few constant glue
 * strings, so wsgw_event_new() copies Bybit's bytes once and nothing is
 * re-serialized:
 *
 *   item events   {...item members...,"topic":"<topic>"}
 *   orderbook     {...item members...,"topic":"..","type":"..","cts":..}
 *                 (type and cts only when the message has them)
 *   wallet        {"data":[...],"topic":"wallet","id":"..","creationTime":..}
 *                 (id and creationTime only when the message has them)
 */
#ifndef BYBIT_NORMALIZE_H
#define BYBIT_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/event.h>

#include "bybit_json.h"

enum bybit_frame_kind {
    BYBIT_FRAME_DATA = 0, /* a topic message: events described        */
    BYBIT_FRAME_CONTROL,  /* valid JSON without a topic: ack, pong... */
    BYBIT_FRAME_MALFORMED /* refused; bybit_norm.why says why          */
};

/* Where an event's routing symbol comes from. */
enum bybit_sym_from {
    BYBIT_SYM_NONE = 0, /* none (pools, account-wide data)               */
    BYBIT_SYM_TOPIC,    /* the topic's text after sym_skip dots          */
    BYBIT_SYM_ITEM      /* the item's "symbol" member (private topics)   */
};

/* A topic family: the part of a topic that picks class and event type. */
struct bybit_family {
    const char *name; /* "publicTrade", "orderbook", "system.status"  */
    int cls;          /* enum wsgw_class                               */
    const char *type; /* event_type                                    */
    enum bybit_sym_from sym;
    int sym_skip;  /* BYBIT_SYM_TOPIC: dots before the symbol       */
    int orderbook; /* payload also gets the message's type and cts  */
    int wallet;    /* one event holding the whole data array        */
};

/*
 * The family of a topic (the text before the first '.', or the whole
 * topic "system.status"), or NULL when the topic is unknown.
 */
const struct bybit_family *bybit_family_of(const char *topic, size_t len);

/* Timestamps outside [2000-01-01, 2100-01-01) are treated as unknown. */
#define BYBIT_TS_MIN 946684800000LL
#define BYBIT_TS_MAX 4102444800000LL

/* Why a frame was refused (besides the scanner's BJ_WHY_* reasons). */
#define BYBIT_WHY_UNKNOWN_TOPIC "unknown_topic"

struct bybit_norm_event {
    const char *symbol; /* into the frame; NULL when none            */
    size_t symbol_len;
    char category[16]; /* NUL-terminated; "" when none              */
    size_t iov_off;    /* first payload part in bybit_norm.iov      */
    size_t iov_n;
};

/*
 * The result of the last bybit_normalize() call. Everything points into
 * the frame buffer, which must outlive the use of the result. The arrays
 * are owned by the struct and reused between frames (zero-initialize it
 * once, bybit_norm_free() at the end).
 */
struct bybit_norm {
    struct bj_frame f; /* the scanner's findings              */
    const char *topic; /* DATA: topic text (no quotes)        */
    size_t topic_len;
    const struct bybit_family *family; /* DATA                           */
    int64_t timestamp_ms;              /* DATA: ts or creationTime, or 0      */
    const char *why;                   /* MALFORMED: static reason string     */
    struct bybit_norm_event *ev;       /* DATA: nev events                    */
    size_t nev, cap_ev;
    struct wsgw_iov *iov; /* payload parts of all events         */
    size_t niov, cap_iov;
};

/*
 * Classify and normalize buf[0..len). `category` is the stream's category
 * for public streams ("linear"), NULL for the private stream (each item's
 * "category" member is used then). Returns enum bybit_frame_kind.
 */
int bybit_normalize(struct bybit_norm *n, const char *buf, size_t len,
                    const char *category);

/*
 * Fill the event spec of event i of the last DATA frame: class, type,
 * topic, category, symbol, timestamp and payload. The caller sets
 * received_ns and trace_id. The spec borrows from n and the frame.
 */
void bybit_norm_spec(const struct bybit_norm *n, size_t i,
                     struct wsgw_event_spec *spec);

void bybit_norm_free(struct bybit_norm *n);

#endif
