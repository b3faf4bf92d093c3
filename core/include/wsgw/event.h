/*
 * wsgw/event.h — events, their classes, and how sources emit them.
 *
 * An event is one normalized exchange message (or one item of one). It is
 * created by a source with wsgw_event_new(), immutable from then on,
 * reference counted, and shared by every sink it is routed to. Its
 * envelope JSON is built once, at creation:
 *
 *   {"event_id":"<uuid>","event_type":"trade","topic":"publicTrade.BTCUSDT",
 *    "timestamp":"2026-11-26T20:25:19.123Z",
 *    "received_at":"2026-11-26T20:25:19.125Z",
 *    "trace_id":"<32 hex>","payload":<payload bytes, verbatim>}
 *
 * Keys appear in exactly that order; the payload is copied verbatim from
 * the parts the source passes, never re-serialized.
 */
#ifndef WSGW_EVENT_H_INCLUDED
#define WSGW_EVENT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Event classes: what routes select and what queues are named after
 * (rabbitmq: ws-gateway.{class}). The names live in one table in the core:
 * wsgw_class_name() / wsgw_class_from_name().
 */
enum wsgw_class {
    WSGW_CLASS_TRADES = 0,   /* "trades"       publicTrade              */
    WSGW_CLASS_TICKERS,      /* "tickers"      tickers (incl. funding)  */
    WSGW_CLASS_ORDERBOOK,    /* "orderbook"    orderbook.*              */
    WSGW_CLASS_ORDER_STATUS, /* "order_status" order                    */
    WSGW_CLASS_BALANCES,     /* "balances"     wallet                   */
    WSGW_CLASS_POSITIONS,    /* "positions"    position                 */
    WSGW_CLASS_EXECUTIONS,   /* "executions"   execution, execution.fast */
    WSGW_CLASS_KLINES,       /* "klines"       kline                    */
    WSGW_CLASS_LIQUIDATIONS, /* "liquidations" allLiquidation, liquidation */
    WSGW_CLASS_OTHER,        /* "other"        insurance, adlAlert, ... */
    WSGW_CLASS_COUNT
};

/* Bit of a class in a class set (routes). */
#define WSGW_CLASS_BIT(c) (1u << (c))
#define WSGW_CLASS_ALL    ((1u << WSGW_CLASS_COUNT) - 1)

/* The class's name ("trades"), or NULL when out of range. */
const char *wsgw_class_name(int cls);
/* The class for a name, or -1 when unknown. */
int wsgw_class_from_name(const char *name);

/* A piece of payload text; the payload is the concatenation of the parts. */
struct wsgw_iov {
    const char *base;
    size_t len;
};

/* What a source knows about a new event. Borrowed for the call only. */
struct wsgw_event_spec {
    int cls;           /* enum wsgw_class                                */
    const char *type;  /* event_type: "trade", "ticker", "orderbook", ... */
    const char *topic; /* exchange topic; need not be NUL-terminated     */
    size_t topic_len;
    const char *category; /* "linear", "spot", ...; NULL if none          */
    const char *symbol;   /* routing symbol; NULL if none; not terminated */
    size_t symbol_len;
    int64_t timestamp_ms; /* exchange time; 0 = unknown (then received)   */
    int64_t received_ns;  /* when the frame was read (wsgw_now_ns())      */
    /*
     * Ties log lines of one message together; all events of one frame
     * share it. NULL: a new one is made. At most 32 characters are kept.
     */
    const char *trace_id;
    const struct wsgw_iov *payload; /* one JSON value, in parts           */
    size_t payload_parts;
};

/* Opaque; read it through the accessors below. */
struct wsgw_event;

/*
 * Build an event: one allocation holding the envelope JSON and the fields.
 * Returns it with one reference, owned by the caller, or NULL when out of
 * memory. The payload parts must together be one JSON value; they are not
 * validated (the source vouches for them).
 */
struct wsgw_event *wsgw_event_new(const struct wsgw_event_spec *spec);

/* Take another reference. Any thread. Returns ev. */
struct wsgw_event *wsgw_event_ref(struct wsgw_event *ev);
/* Drop a reference; the last one frees the event. Any thread. NULL is ok. */
void wsgw_event_unref(struct wsgw_event *ev);

/* Accessors. Pointers stay valid while the caller holds a reference. */
const char *wsgw_event_json(const struct wsgw_event *ev, size_t *len);
const char *wsgw_event_payload(const struct wsgw_event *ev, size_t *len);
int wsgw_event_class(const struct wsgw_event *ev);
const char *wsgw_event_type(const struct wsgw_event *ev);
const char *wsgw_event_id(const struct wsgw_event *ev);       /* uuid text   */
const char *wsgw_event_topic(const struct wsgw_event *ev);    /* terminated  */
const char *wsgw_event_category(const struct wsgw_event *ev); /* or ""    */
const char *wsgw_event_symbol(const struct wsgw_event *ev);   /* or ""    */
const char *wsgw_event_trace_id(const struct wsgw_event *ev);
int64_t wsgw_event_timestamp_ms(const struct wsgw_event *ev);
int64_t wsgw_event_received_ns(const struct wsgw_event *ev);

/*
 * Emit events from source instance `src` into the router: each event goes
 * to the queue of every sink that a route sends its class to. Takes the
 * caller's reference of each event in every case. Any thread; one lock per
 * destination sink per call, so emit a frame's events together. Returns
 * the number of events that reached at least one sink queue.
 */
size_t wsgw_emit(struct wsgw_instance *src, struct wsgw_event **evs, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_EVENT_H_INCLUDED */
