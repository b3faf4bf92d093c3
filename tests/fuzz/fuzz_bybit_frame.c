/*
 * fuzz_bybit_frame.c — libFuzzer harness for the bybit frame normalizer
 * (modules/bybit/bybit_normalize.c + bybit_json.c) and the event envelope
 * it feeds (core/event.c).
 *
 * The input is one WebSocket text frame, exactly as the lws thread would
 * hand it over. It is normalized twice, as a public linear frame and as a
 * private frame (category from each item), with one long-lived struct
 * bybit_norm like the module keeps per connection. Beyond "no crash, no
 * leak, no undefined behaviour", the harness checks what consumers rely
 * on, with jansson as the independent referee:
 *   - a frame the scanner accepts (DATA or CONTROL) is valid JSON;
 *   - a frame jansson accepts as an object is not refused as invalid;
 *   - every emitted payload is one valid JSON object whose "topic" is the
 *     frame's topic;
 *   - every envelope built from it is a valid JSON object with the keys of
 *     wsgw/event.h, and its "payload" is the payload.
 * A frame without a topic (CONTROL) also goes where the module sends it:
 * bybit_ctl_parse() (bybit_control.c), then bsub_on_ack() of a linear and
 * an option stream table (bybit_subs.c) holding topics with a request in
 * flight ("lin-1", "opt-1"), then retries and timeouts (bsub_tick): every
 * answer names a topic the table holds, at most once per request.
 * A failed check aborts, which libFuzzer reports as a crash with the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <wsgw/event.h>

#include "bybit_control.h"
#include "bybit_normalize.h"
#include "bybit_subs.h"
#include "bybit_topic.h"

static struct bybit_norm g_norm; /* reused across frames, as the module does */

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_bybit_frame: check failed: %s: ", #cond);    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/*
 * jansson refuses some texts RFC 8259 allows: integers beyond int64, reals
 * beyond double, "\u0000" inside a key. Those are no verdict on the scanner.
 */
static int jansson_limit(const json_error_t *e)
{
    enum json_error_code c = json_error_code(e);
    return c == json_error_numeric_overflow ||
           c == json_error_null_byte_in_key || c == json_error_out_of_memory;
}

static json_t *load(const char *p, size_t n, json_error_t *e)
{
    return json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, e);
}

static char *join_payload(const struct wsgw_event_spec *spec, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < spec->payload_parts; i++)
        total += spec->payload[i].len;
    char *out = malloc(total + 1);
    CHECK(out != NULL, "out of memory");
    size_t off = 0;
    for (size_t i = 0; i < spec->payload_parts; i++) {
        memcpy(out + off, spec->payload[i].base, spec->payload[i].len);
        off += spec->payload[i].len;
    }
    out[off] = '\0';
    *len = off;
    return out;
}

static void check_envelope(const struct wsgw_event_spec *spec,
                           const json_t *payload)
{
    struct wsgw_event *ev = wsgw_event_new(spec);
    CHECK(ev != NULL, "wsgw_event_new returned NULL");
    size_t len;
    const char *text = wsgw_event_json(ev, &len);
    json_error_t e;
    json_t *env = load(text, len, &e);
    CHECK(env || jansson_limit(&e), "envelope is not JSON (%s): %.*s", e.text,
          (int)len, text);
    if (env) {
        static const char *const keys[] = {
            "event_id",    "event_type", "topic",   "timestamp",
            "received_at", "trace_id",   "payload", NULL};
        CHECK(json_is_object(env), "envelope is not an object");
        for (const char *const *k = keys; *k; k++)
            CHECK(json_object_get(env, *k), "envelope lacks \"%s\"", *k);
        CHECK(json_object_size(env) == 7, "envelope has %zu keys",
              json_object_size(env));
        CHECK(json_equal(json_object_get(env, "payload"), payload),
              "envelope payload differs from the payload");
        const char *topic = json_string_value(json_object_get(env, "topic"));
        CHECK(topic && strlen(topic) == spec->topic_len &&
                  memcmp(topic, spec->topic, spec->topic_len) == 0,
              "envelope topic differs");
        json_decref(env);
    }
    wsgw_event_unref(ev);
}

static void check_events(const struct bybit_norm *n)
{
    for (size_t i = 0; i < n->nev; i++) {
        struct wsgw_event_spec spec;
        bybit_norm_spec(n, i, &spec);
        CHECK(spec.cls >= 0 && spec.cls < WSGW_CLASS_COUNT, "class %d",
              spec.cls);
        CHECK(spec.type && *spec.type, "no event type");
        CHECK(spec.topic_len > 0 && spec.topic_len < 128, "topic length %zu",
              spec.topic_len);
        CHECK(spec.timestamp_ms == 0 || (spec.timestamp_ms >= BYBIT_TS_MIN &&
                                         spec.timestamp_ms < BYBIT_TS_MAX),
              "timestamp %lld out of range", (long long)spec.timestamp_ms);

        size_t len;
        char *text = join_payload(&spec, &len);
        json_error_t e;
        json_t *p = load(text, len, &e);
        CHECK(p || jansson_limit(&e), "payload %zu is not JSON (%s): %s", i,
              e.text, text);
        if (p) {
            CHECK(json_is_object(p), "payload %zu is not an object: %s", i,
                  text);
            /* the added "topic" is last, so it wins over any copy in data */
            const char *t = json_string_value(json_object_get(p, "topic"));
            CHECK(t && strlen(t) == spec.topic_len &&
                      memcmp(t, spec.topic, spec.topic_len) == 0,
                  "payload %zu topic differs: %s", i, text);
            check_envelope(&spec, p);
            json_decref(p);
        }
        free(text);
    }
}

/* ---- control frames: acks against a stream's subscription table ---- */

static const char *const sub_topics[] = {
    "publicTrade.BTCUSDT",          "orderbook.50.BTCUSDT", "tickers.ETHUSDT",
    "tickers.BTC-27DEC25-100000-C", "publicTrade.BTC",      NULL};

static size_t g_answers;

static void sub_send(void *arg, const char *text, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(text, len, 0, &e);
    CHECK(j && json_is_object(j), "request is not a JSON object: %.*s",
          (int)len, text);
    json_decref(j);
}

static void sub_answer(void *arg, enum bsub_op op, const char *topic, int ok,
                       const char *reason)
{
    int known = 0;
    CHECK(topic != NULL, "an answer without a topic");
    for (const char *const *t = sub_topics; *t; t++)
        known |= strcmp(*t, topic) == 0;
    CHECK(known, "answer for a topic never asked: %s", topic);
    CHECK(op == BSUB_OP_SUBSCRIBE || op == BSUB_OP_UNSUBSCRIBE, "op %d",
          (int)op);
    g_answers++;
}

static void ack_pass(const char *buf, size_t len)
{
    struct bybit_ctl c;
    memset(&c, 0, sizeof(c));
    if (bybit_ctl_parse(buf, len, &c) != 0)
        return;
    CHECK(memchr(c.ret_msg, 0, sizeof(c.ret_msg)) != NULL, "ret_msg");
    CHECK(memchr(c.req_id, 0, sizeof(c.req_id)) != NULL, "req_id");
    char failed[128];
    if (bybit_failed_topic(c.ret_msg, failed, sizeof(failed)))
        CHECK(memchr(failed, 0, sizeof(failed)) != NULL, "failed topic");

    static const int streams[] = {BYBIT_LINEAR, BYBIT_OPTION};
    for (size_t k = 0; k < 2; k++) {
        struct bsub s;
        struct bsub_callbacks cb = {sub_send, sub_answer, NULL};
        CHECK(bsub_init(&s, streams[k], &cb) == 0, "bsub_init");
        for (const char *const *t = sub_topics; *t; t++)
            CHECK(bsub_want(&s, *t, NULL) != NULL, "bsub_want");
        bsub_pump(&s, 1000);
        g_answers = 0;
        bsub_on_ack(&s, &c, 1500);
        /* an ack answers the topics of one request, each at most once */
        CHECK(g_answers <= 5, "%zu answers to one ack", g_answers);
        bsub_unwant(&s, "tickers.ETHUSDT", 1);
        for (int64_t now = 20000; now <= 80000; now += 20000)
            if (bsub_tick(&s, now, 10000))
                bsub_pump(&s, now);
        bsub_reset(&s);
        bsub_pump(&s, 90000);
        bsub_free(&s);
    }
    bybit_ctl_free(&c);
}

static void one_pass(const char *buf, size_t len, const char *category)
{
    int kind = bybit_normalize(&g_norm, buf, len, category);
    json_error_t e;
    json_t *ref = load(buf, len, &e);

    CHECK(kind == BYBIT_FRAME_DATA || kind == BYBIT_FRAME_CONTROL ||
              kind == BYBIT_FRAME_MALFORMED,
          "kind %d", kind);
    if (kind != BYBIT_FRAME_MALFORMED) {
        CHECK(ref || jansson_limit(&e),
              "scanner accepted a frame jansson refuses (%s)", e.text);
        CHECK(!ref || json_is_object(ref),
              "accepted a frame that is no object");
    } else {
        CHECK(g_norm.why && *g_norm.why, "malformed without a reason");
        CHECK(g_norm.nev == 0, "malformed with %zu events", g_norm.nev);
        /*
         * jansson keeps the last of duplicate keys; the scanner refuses
         * duplicates of the keys it records, and any frame that is not an
         * object is the wrong shape. Plain "invalid" must mean invalid.
         * (jansson lets a raw NUL byte between tokens pass: no referee.)
         */
        if (ref && json_is_object(ref) && !memchr(buf, '\0', len))
            CHECK(strcmp(g_norm.why, BJ_WHY_INVALID) != 0 &&
                      strcmp(g_norm.why, BJ_WHY_TRUNCATED) != 0,
                  "scanner called a valid object %s", g_norm.why);
    }
    if (kind == BYBIT_FRAME_DATA)
        check_events(&g_norm);
    else if (kind == BYBIT_FRAME_CONTROL && category)
        ack_pass(buf, len);
    json_decref(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so ASan sees any read past the frame */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    one_pass(buf, size, "linear");
    one_pass(buf, size, NULL);
    free(buf);
    return 0;
}
