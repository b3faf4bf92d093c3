/*
 * fake_instance.h — hand-built instances for runtime tests: a source, and
 * sinks with a fake module (THREAD mode, or LOOP mode whose deliver()
 * takes what the test allows and records it).
 */
#ifndef WSGW_TEST_FAKE_INSTANCE_H
#define WSGW_TEST_FAKE_INSTANCE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/wsgw.h>

#include "instance.h"
#include "sinkq.h"

#define FAKE_MAX 4096

/* What a LOOP sink was given; its ctx. */
struct fake_sink {
    size_t allow;        /* deliver() takes at most this many per call  */
    size_t calls;        /* deliver() calls                              */
    size_t offered_last; /* n of the last call                           */
    size_t n;            /* events taken, in order                       */
    struct wsgw_event *got[FAKE_MAX];
};

static inline size_t fake_deliver(void *ctx, struct wsgw_event **evs, size_t n)
{
    struct fake_sink *f = ctx;
    size_t take = n < f->allow ? n : f->allow;

    f->calls++;
    f->offered_last = n;
    for (size_t i = 0; i < take && f->n < FAKE_MAX; i++)
        f->got[f->n++] = evs[i];
    f->allow -= take;
    return take;
}

static const struct wsgw_module fake_thread_mod = {
    WSGW_MODULE_HEADER,
    .name = "fake_thread",
    .provides = WSGW_PROVIDES_SINK,
    .sink_mode = WSGW_SINK_THREAD,
};

static const struct wsgw_module fake_loop_mod = {
    WSGW_MODULE_HEADER,
    .name = "fake_loop",
    .provides = WSGW_PROVIDES_SINK,
    .sink_mode = WSGW_SINK_LOOP,
    .deliver = fake_deliver,
};

static const struct wsgw_module fake_source_mod = {
    WSGW_MODULE_HEADER,
    .name = "fake_source",
    .provides = WSGW_PROVIDES_SOURCE,
};

static inline void fake_source(struct wsgw_instance *in, const char *name)
{
    memset(in, 0, sizeof(*in));
    in->name = (char *)name;
    in->mod = &fake_source_mod;
    in->kind = INSTANCE_SOURCE;
    in->log_level = WSGW_LOG_INFO;
}

/* A sink with its queue; ctx may be NULL for THREAD sinks. */
static inline void fake_sink(struct wsgw_instance *in, const char *name,
                             const struct wsgw_module *mod, size_t max_events,
                             size_t max_bytes, enum sinkq_overflow policy,
                             void *ctx)
{
    struct sinkq_conf qc = {max_events, max_bytes, policy};

    memset(in, 0, sizeof(*in));
    in->name = (char *)name;
    in->mod = mod;
    in->kind = INSTANCE_SINK;
    in->log_level = WSGW_LOG_INFO;
    in->ctx = ctx;
    in->q = sinkq_new(in, &qc);
}

/* A small event of class cls whose payload is the number i. */
static inline struct wsgw_event *ev_num(int cls, int i)
{
    char num[32];
    int len = snprintf(num, sizeof(num), "%d", i);
    struct wsgw_iov part = {num, (size_t)len};
    struct wsgw_event_spec spec = {
        .cls = cls,
        .type = "test",
        .topic = "test.topic",
        .topic_len = 10,
        .trace_id = "t",
        .payload = &part,
        .payload_parts = 1,
    };
    return wsgw_event_new(&spec);
}

/* The number an ev_num() event carries. */
static inline int ev_val(const struct wsgw_event *ev)
{
    size_t len;
    const char *p = wsgw_event_payload(ev, &len);
    char buf[32];
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return atoi(buf);
}

#endif
