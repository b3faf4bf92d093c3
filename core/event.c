/*
 * event.c — events: one allocation holding the struct, the envelope JSON
 * and the NUL-terminated fields; the class name table.
 *
 * This is the hot path (every trade passes here): the envelope is built
 * with memcpy only, times come from the per-thread formatting cache and
 * ids from the per-thread generator, so an event costs one malloc.
 */
#include <config.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/event.h>

#include "json_escape.h"
#include "runtime_internal.h"

#define TRACE_MAX 32

struct wsgw_event {
    atomic_uint refs;
    int cls;
    int64_t timestamp_ms;
    int64_t received_ns;
    size_t json_len;
    size_t payload_off;
    size_t payload_len;
    const char *topic; /* the strings below point into data[] */
    const char *category;
    const char *symbol;
    const char *type;
    char id[WSGW_UUID_LEN + 1];
    char trace_id[TRACE_MAX + 1];
    /* envelope JSON, NUL, topic, NUL, category, NUL, symbol, NUL, type, NUL */
    char data[];
};

/* ---- classes ------------------------------------------------------------ */

static const char *const CLASS_NAMES[WSGW_CLASS_COUNT] = {
    [WSGW_CLASS_TRADES] = "trades",
    [WSGW_CLASS_TICKERS] = "tickers",
    [WSGW_CLASS_ORDERBOOK] = "orderbook",
    [WSGW_CLASS_ORDER_STATUS] = "order_status",
    [WSGW_CLASS_BALANCES] = "balances",
    [WSGW_CLASS_POSITIONS] = "positions",
    [WSGW_CLASS_EXECUTIONS] = "executions",
    [WSGW_CLASS_KLINES] = "klines",
    [WSGW_CLASS_LIQUIDATIONS] = "liquidations",
    [WSGW_CLASS_OTHER] = "other",
};

const char *wsgw_class_name(int cls)
{
    if (cls < 0 || cls >= WSGW_CLASS_COUNT)
        return NULL;
    return CLASS_NAMES[cls];
}

int wsgw_class_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < WSGW_CLASS_COUNT; i++)
        if (strcmp(CLASS_NAMES[i], name) == 0)
            return i;
    return -1;
}

/* ---- building ------------------------------------------------------------ */

#define LIT(s) s, sizeof(s) - 1

static const char K_ID[] = "{\"event_id\":\"";
static const char K_TYPE[] = "\",\"event_type\":\"";
static const char K_TOPIC[] = "\",\"topic\":\"";
static const char K_TS[] = "\",\"timestamp\":\"";
static const char K_RA[] = "\",\"received_at\":\"";
static const char K_TRACE[] = "\",\"trace_id\":\"";
static const char K_PAYLOAD[] = "\",\"payload\":";

/* Fixed bytes of the envelope: keys, quotes, two times, the id, "}". */
#define ENVELOPE_FIXED                                                         \
    (sizeof(K_ID) - 1 + WSGW_UUID_LEN + sizeof(K_TYPE) - 1 + sizeof(K_TOPIC) - \
     1 + sizeof(K_TS) - 1 + WSGW_TIME_LEN + sizeof(K_RA) - 1 + WSGW_TIME_LEN + \
     sizeof(K_TRACE) - 1 + sizeof(K_PAYLOAD) - 1 + 1)

static inline char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* Copy a field into the envelope, escaping only when it needs it. */
static inline char *put_str(char *p, const char *s, size_t n, int plain)
{
    return plain ? put(p, s, n) : json_escape(p, s, n);
}

static inline size_t str_len_json(const char *s, size_t n, int *plain)
{
    *plain = json_is_plain(s, n);
    return *plain ? n : json_escaped_len(s, n);
}

struct wsgw_event *wsgw_event_new(const struct wsgw_event_spec *spec)
{
    const char *type = spec->type ? spec->type : "";
    const char *topic = spec->topic ? spec->topic : "";
    const char *category = spec->category ? spec->category : "";
    const char *symbol = spec->symbol ? spec->symbol : "";
    size_t type_len = strlen(type);
    size_t topic_len = spec->topic ? spec->topic_len : 0;
    size_t cat_len = strlen(category);
    size_t sym_len = spec->symbol ? spec->symbol_len : 0;
    size_t payload_len = 0, trace_len;
    int type_plain, topic_plain, trace_plain;
    char trace[TRACE_MAX];

    for (size_t i = 0; i < spec->payload_parts; i++)
        payload_len += spec->payload[i].len;

    if (spec->trace_id && spec->trace_id[0]) {
        trace_len = strnlen(spec->trace_id, TRACE_MAX);
        memcpy(trace, spec->trace_id, trace_len);
    } else {
        uint64_t r[2] = {util_rand64(), util_rand64()};
        util_hex(trace, r, sizeof(r));
        trace_len = TRACE_MAX;
    }

    size_t json_len = ENVELOPE_FIXED +
                      str_len_json(type, type_len, &type_plain) +
                      str_len_json(topic, topic_len, &topic_plain) +
                      str_len_json(trace, trace_len, &trace_plain) +
                      (payload_len ? payload_len : 4);
    size_t size = sizeof(struct wsgw_event) + json_len + 1 + topic_len + 1 +
                  cat_len + 1 + sym_len + 1 + type_len + 1;

    struct wsgw_event *ev = malloc(size);
    if (!ev)
        return NULL;

    atomic_init(&ev->refs, 1);
    ev->cls = spec->cls >= 0 && spec->cls < WSGW_CLASS_COUNT ? spec->cls
                                                             : WSGW_CLASS_OTHER;
    ev->received_ns = spec->received_ns ? spec->received_ns : wsgw_now_ns();
    ev->timestamp_ms =
        spec->timestamp_ms ? spec->timestamp_ms : ev->received_ns / 1000000;
    ev->json_len = json_len;
    wsgw_uuid4(ev->id);
    memcpy(ev->trace_id, trace, trace_len);
    ev->trace_id[trace_len] = '\0';

    char *p = ev->data;
    p = put(p, LIT(K_ID));
    p = put(p, ev->id, WSGW_UUID_LEN);
    p = put(p, LIT(K_TYPE));
    p = put_str(p, type, type_len, type_plain);
    p = put(p, LIT(K_TOPIC));
    p = put_str(p, topic, topic_len, topic_plain);
    p = put(p, LIT(K_TS));
    p += wsgw_time_format(ev->timestamp_ms, p);
    p = put(p, LIT(K_RA));
    p += wsgw_time_format(ev->received_ns / 1000000, p);
    p = put(p, LIT(K_TRACE));
    p = put_str(p, trace, trace_len, trace_plain);
    p = put(p, LIT(K_PAYLOAD));
    ev->payload_off = (size_t)(p - ev->data);
    if (payload_len) {
        for (size_t i = 0; i < spec->payload_parts; i++)
            p = put(p, spec->payload[i].base, spec->payload[i].len);
        ev->payload_len = payload_len;
    } else {
        p = put(p, LIT("null")); /* keep the envelope valid JSON */
        ev->payload_len = 4;
    }
    *p++ = '}';
    *p++ = '\0';

    ev->topic = p;
    p = put(p, topic, topic_len);
    *p++ = '\0';
    ev->category = p;
    p = put(p, category, cat_len);
    *p++ = '\0';
    ev->symbol = p;
    p = put(p, symbol, sym_len);
    *p++ = '\0';
    ev->type = p;
    p = put(p, type, type_len);
    *p = '\0';
    return ev;
}

/* ---- references ---------------------------------------------------------- */

struct wsgw_event *wsgw_event_ref(struct wsgw_event *ev)
{
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
    return ev;
}

void wsgw_event_unref(struct wsgw_event *ev)
{
    if (ev &&
        atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) == 1)
        free(ev);
}

/* ---- accessors ------------------------------------------------------------
 */

const char *wsgw_event_json(const struct wsgw_event *ev, size_t *len)
{
    if (len)
        *len = ev->json_len;
    return ev->data;
}

const char *wsgw_event_payload(const struct wsgw_event *ev, size_t *len)
{
    if (len)
        *len = ev->payload_len;
    return ev->data + ev->payload_off;
}

int wsgw_event_class(const struct wsgw_event *ev)
{
    return ev->cls;
}

const char *wsgw_event_type(const struct wsgw_event *ev)
{
    return ev->type;
}

const char *wsgw_event_id(const struct wsgw_event *ev)
{
    return ev->id;
}

const char *wsgw_event_topic(const struct wsgw_event *ev)
{
    return ev->topic;
}

const char *wsgw_event_category(const struct wsgw_event *ev)
{
    return ev->category;
}

const char *wsgw_event_symbol(const struct wsgw_event *ev)
{
    return ev->symbol;
}

const char *wsgw_event_trace_id(const struct wsgw_event *ev)
{
    return ev->trace_id;
}

int64_t wsgw_event_timestamp_ms(const struct wsgw_event *ev)
{
    return ev->timestamp_ms;
}

int64_t wsgw_event_received_ns(const struct wsgw_event *ev)
{
    return ev->received_ns;
}
