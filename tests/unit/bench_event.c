/*
 * bench_event.c — how many trade events per second one core pushes
 * through the hot path: wsgw_event_new -> wsgw_emit (router, one sink
 * queue) -> wsgw_sink_pop -> wsgw_event_unref.
 *
 * Not a test: it asserts nothing about speed, it prints the figure.
 *   tests/unit/bench_event [events] [batch] [thread]
 * (default 1000000 events in frames of 64). With "thread", a second
 * thread pops and unrefs, as a WSGW_SINK_THREAD sink would, so the figure
 * includes the cross-thread hand-over (and needs two cores).
 */
#include <config.h>

#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

struct consumer {
    struct wsgw_instance *sink;
    size_t total, bytes;
};

static void *consume(void *arg)
{
    struct consumer *c = arg;
    struct wsgw_event *evs[256];
    size_t done = 0;

    while (done < c->total) {
        size_t k = wsgw_sink_pop(c->sink, evs, 256, 1000);
        for (size_t i = 0; i < k; i++) {
            size_t len;
            wsgw_event_json(evs[i], &len);
            c->bytes += len;
            wsgw_event_unref(evs[i]);
        }
        done += k;
    }
    return NULL;
}

/* CPU time of the whole process (both threads), so that a busy machine
 * does not make the path look slower than it is. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    size_t batch = argc > 2 ? strtoull(argv[2], NULL, 10) : 64;
    int threaded = argc > 3 && strcmp(argv[3], "thread") == 0;
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
    struct consumer cons = {.sink = &sink, .total = total};
    pthread_t th;
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
    double c0 = cpu_seconds();
    if (threaded)
        pthread_create(&th, NULL, consume, &cons);
    while (done < total) {
        /* The consumer must see every event: wait rather than overflow. */
        while (threaded && wsgw_sink_depth(&sink) > qc.max_events / 2)
            usleep(100);
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
        done += n;
        if (threaded)
            continue;
        size_t k = wsgw_sink_pop(&sink, evs, n, 0);
        for (size_t i = 0; i < k; i++) {
            size_t len;
            wsgw_event_json(evs[i], &len);
            bytes += len;
            wsgw_event_unref(evs[i]);
        }
    }
    if (threaded) {
        pthread_join(th, NULL);
        bytes = cons.bytes;
    }
    double secs = (double)(wsgw_now_ns() - t0) / 1e9;
    double cpu = cpu_seconds() - c0;

    printf("%zu events, batch %zu%s: %.0f events/s wall (%.3f s), "
           "%.0f events per CPU-second (%.0f ns CPU/event), "
           "%.1f MB/s of envelopes\n",
           total, batch, threaded ? ", consumer thread" : "",
           (double)total / secs, secs, (double)total / cpu,
           cpu * 1e9 / (double)total, (double)bytes / secs / 1e6);
    router_free(&src);
    sinkq_free(sink.q);
    free(evs);
    return 0;
}
