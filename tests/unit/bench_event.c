/*
 * bench_event.c — how many trade events per second one core pushes
 * through the hot path: wsgw_event_new -> wsgw_emit (router, one sink
 * queue) -> wsgw_sink_pop -> wsgw_event_unref.
 *
 * Not a test: it asserts nothing about speed, it prints the figure.
 *   tests/unit/bench_event [events] [batch]   (default 1000000 and 64)
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/wsgw.h>

#include "instance.h"
#include "router.h"
#include "sinkq.h"

/* One item of a real publicTrade message. */
static const char ITEM[] =
    "{\"T\":1764188719123,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"0.001\","
    "\"p\":\"91234.50\",\"L\":\"PlusTick\",\"i\":\"2290000000123456789\","
    "\"BT\":false,\"RPI\":false,\"seq\":123456789";
static const char TOPIC_FIELD[] = ",\"topic\":\"publicTrade.BTCUSDT\"}";

int main(int argc, char **argv)
{
    size_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    size_t batch = argc > 2 ? strtoull(argv[2], NULL, 10) : 64;
    static const struct wsgw_module mod = {
        WSGW_MODULE_HEADER,
        .name = "bench",
        .provides = WSGW_PROVIDES_SINK,
        .sink_mode = WSGW_SINK_THREAD,
    };
    struct wsgw_instance src = {.name = "bybit", .kind = INSTANCE_SOURCE};
    struct wsgw_instance sink = {
        .name = "mq", .mod = &mod, .kind = INSTANCE_SINK};
    struct sinkq_conf qc = {
        .max_events = 100000, .max_bytes = 64u << 20, .overflow = 0};
    struct wsgw_iov parts[2] = {{ITEM, sizeof(ITEM) - 1},
                                {TOPIC_FIELD, sizeof(TOPIC_FIELD) - 1}};
    struct wsgw_event_spec spec = {
        .cls = WSGW_CLASS_TRADES,
        .type = "trade",
        .topic = "publicTrade.BTCUSDT",
        .topic_len = 19,
        .category = "linear",
        .symbol = "BTCUSDT",
        .symbol_len = 7,
        .payload = parts,
        .payload_parts = 2,
    };

    if (batch == 0 || batch > 4096 || total == 0) {
        fprintf(stderr, "usage: %s [events] [batch 1..4096]\n", argv[0]);
        return 2;
    }
    struct wsgw_event **evs = malloc(batch * sizeof(*evs));
    sink.q = sinkq_new(&sink, &qc);
    if (!evs || !sink.q || router_add(&src, WSGW_CLASS_ALL, &sink) != WSGW_OK)
        return 1;

    size_t done = 0, bytes = 0;
    int64_t t0 = wsgw_now_ns();
    while (done < total) {
        size_t n = total - done < batch ? total - done : batch;
        /* One frame: all items share the frame's receive time and trace. */
        spec.received_ns = wsgw_now_ns();
        spec.timestamp_ms = spec.received_ns / 1000000 - 3;
        spec.trace_id = NULL;
        for (size_t i = 0; i < n; i++) {
            evs[i] = wsgw_event_new(&spec);
            if (!evs[i])
                return 1;
            if (i == 0)
                spec.trace_id = wsgw_event_trace_id(evs[0]);
        }
        if (wsgw_emit(&src, evs, n) != n)
            return 1;
        size_t k = wsgw_sink_pop(&sink, evs, n, 0);
        for (size_t i = 0; i < k; i++) {
            size_t len;
            wsgw_event_json(evs[i], &len);
            bytes += len;
            wsgw_event_unref(evs[i]);
        }
        done += n;
    }
    double secs = (double)(wsgw_now_ns() - t0) / 1e9;

    printf("%zu events in %.3f s, batch %zu: %.0f events/s, %.0f ns/event, "
           "%.1f MB/s of envelopes\n",
           total, secs, batch, (double)total / secs, secs * 1e9 / (double)total,
           (double)bytes / secs / 1e6);
    router_free(&src);
    sinkq_free(sink.q);
    free(evs);
    return 0;
}
