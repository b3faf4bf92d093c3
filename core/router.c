/*
 * router.c — per source, the sink queues each event class goes to; and
 * wsgw_emit(), which pushes a batch to them with one lock per sink.
 *
 * Built on the loop thread before sources start and never changed after,
 * so emit reads it from any thread without a lock.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/event.h>
#include <wsgw/metrics.h>

#include "router.h"
#include "runtime_internal.h"
#include "sinkq.h"

/* Events per push: bounds the stack arrays of emit. */
#define EMIT_CHUNK 256

struct route_dest {
    struct wsgw_instance *sink;
    unsigned mask; /* WSGW_CLASS_BIT of the classes sent to it */
};

/*
 * The destinations of one source, each with the classes it takes. A
 * source has few sinks, so emit tests each destination's mask against the
 * classes present in a chunk instead of indexing by class.
 */
struct wsgw_router_src {
    size_t n;
    struct route_dest *dests;
    /* wsgw_source_events_total{source,class}: what the source emitted. */
    struct wsgw_metric *emitted[WSGW_CLASS_COUNT];
};

static void metrics_create(struct wsgw_router_src *r,
                           const struct wsgw_instance *src)
{
    char esc[256], labels[320];

    metrics_label_escape(esc, sizeof(esc), src->name ? src->name : "");
    for (int c = 0; c < WSGW_CLASS_COUNT; c++) {
        snprintf(labels, sizeof(labels), "source=\"%s\",class=\"%s\"", esc,
                 wsgw_class_name(c));
        r->emitted[c] =
            wsgw_counter("wsgw_source_events_total",
                         "Events emitted by a source, by class", labels);
    }
}

int router_add(struct wsgw_instance *src, unsigned class_mask,
               struct wsgw_instance *sink)
{
    struct wsgw_router_src *r = src->routes;

    if (!sink || !sink->q)
        return WSGW_ERR;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return WSGW_ERR;
        src->routes = r;
        metrics_create(r, src);
    }
    class_mask &= WSGW_CLASS_ALL;
    for (size_t d = 0; d < r->n; d++) {
        if (r->dests[d].sink == sink) {
            r->dests[d].mask |= class_mask;
            return WSGW_OK;
        }
    }
    struct route_dest *nd = realloc(r->dests, (r->n + 1) * sizeof(*nd));
    if (!nd)
        return WSGW_ERR;
    r->dests = nd;
    r->dests[r->n].sink = sink;
    r->dests[r->n].mask = class_mask;
    r->n++;
    return WSGW_OK;
}

void router_free(struct wsgw_instance *src)
{
    struct wsgw_router_src *r = src->routes;

    if (!r)
        return;
    for (int c = 0; c < WSGW_CLASS_COUNT; c++)
        wsgw_metric_unregister(r->emitted[c]);
    free(r->dests);
    free(r);
    src->routes = NULL;
}

/* One chunk: group by destination, push each group with one lock. */
static size_t emit_chunk(struct wsgw_router_src *r, struct wsgw_event **evs,
                         size_t n)
{
    struct wsgw_event *group[EMIT_CHUNK];
    unsigned char reached[EMIT_CHUNK];
    uint64_t per_class[WSGW_CLASS_COUNT] = {0};
    unsigned present = 0;
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        int c = wsgw_event_class(evs[i]);
        per_class[c]++;
        present |= WSGW_CLASS_BIT(c);
    }
    for (int c = 0; c < WSGW_CLASS_COUNT; c++)
        if (per_class[c])
            wsgw_counter_add(r->emitted[c], per_class[c]);

    memset(reached, 0, n);
    for (size_t d = 0; d < r->n; d++) {
        unsigned mask = r->dests[d].mask;
        size_t k = 0;
        if (!(mask & present))
            continue;
        if ((mask & present) == present) {
            sinkq_push_mark(r->dests[d].sink->q, evs, n, reached);
            continue;
        }
        /* Only part of the batch goes there: collect it, then map the
         * marks back by walking the batch the same way. */
        unsigned char marks[EMIT_CHUNK];
        for (size_t i = 0; i < n; i++)
            if (mask & WSGW_CLASS_BIT(wsgw_event_class(evs[i])))
                group[k++] = evs[i];
        memset(marks, 0, k);
        sinkq_push_mark(r->dests[d].sink->q, group, k, marks);
        for (size_t i = 0, j = 0; i < n; i++)
            if (mask & WSGW_CLASS_BIT(wsgw_event_class(evs[i])))
                reached[i] |= marks[j++];
    }
    for (size_t i = 0; i < n; i++) {
        count += reached[i];
        wsgw_event_unref(evs[i]);
    }
    return count;
}

size_t wsgw_emit(struct wsgw_instance *src, struct wsgw_event **evs, size_t n)
{
    struct wsgw_router_src *r = src ? src->routes : NULL;
    size_t count = 0;

    if (!r) {
        for (size_t i = 0; i < n; i++)
            wsgw_event_unref(evs[i]);
        return 0;
    }
    for (size_t off = 0; off < n; off += EMIT_CHUNK) {
        size_t k = n - off < EMIT_CHUNK ? n - off : EMIT_CHUNK;
        count += emit_chunk(r, evs + off, k);
    }
    return count;
}
