/*
 * registry.c — the subscription registry: the desired set of records,
 * the reference-counted exchange topics they share, acks from the source
 * and persistence through a store (a module's store_ops or the built-in
 * state file). The policy is described in registry_int.h.
 *
 * Writes go to the store first and change memory only when the store has
 * accepted them, so "the store is unavailable" (503) changes nothing.
 * Sizes are small (hundreds to a few thousand records), so records and
 * topics live in arrays searched linearly.
 */
#include <config.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "registry_int.h"

#define PERSIST_INTERVAL_MS 60000
#define ACK_QUEUE           8192

struct reg_topic {
    struct reg_topic *hnext; /* chain in R.topic_idx */
    struct wsgw_topic t;
    size_t refs;
    int requested; /* source_ops->subscribe was called */
    char status[16];
    char reason[256];
};

struct reg_rec {
    struct reg_rec *id_next;  /* chain in R.id_idx                       */
    struct reg_rec *key_next; /* chain in R.key_idx (service+stream+topic) */
    struct wsgw_sub_record r;
    struct reg_topic *topic; /* while active and subscribable */
    int64_t saved_last_event;
    int is_static;
};

struct ack_item {
    struct wsgw_instance *src;
    char stream[16];
    char topic[128];
    int ok;
    char reason[256];
};

static struct {
    int inited;
    int loaded;
    struct wsgw_instance *source;
    struct wsgw_instance *store_in;
    const struct wsgw_store_ops *store_ops;
    void *store_ctx;
    struct store_file *file;
    char *state_dir;
    struct reg_rec **recs;
    size_t n_recs, cap_recs;
    struct reg_topic **topics;
    size_t n_topics, cap_topics;
    /* Hash indexes (buckets = power of two): lookups stay O(1) however
     * many records a long-lived deployment accumulates. */
    struct reg_rec **id_idx, **key_idx;
    struct reg_topic **topic_idx;
    size_t nbuckets, ntopic_buckets;
    struct wsgw_handoff *acks; /* read by other threads: atomic access */
    struct wsgw_timer *persist;
    struct wsgw_metric *gauges[4];
} R;

/* ---- helpers --------------------------------------------------------- */

static const struct wsgw_source_ops *src_ops(void)
{
    if (!R.source || !R.source->mod || !R.source->mod->source_ops ||
        !R.source->mod->source_ops->topic_build)
        return NULL;
    return R.source->mod->source_ops;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static int store_available(void)
{
    if (!R.store_ops)
        return 0;
    return !R.store_ops->available || R.store_ops->available(R.store_ctx);
}

/* WSGW_OK when the store took the record. */
static int store_save(const struct wsgw_sub_record *r)
{
    if (!R.store_ops || !R.store_ops->save)
        return WSGW_AGAIN;
    return R.store_ops->save(R.store_ctx, r) == WSGW_OK ? WSGW_OK : WSGW_AGAIN;
}

static int64_t live_last_event(const struct reg_rec *rec)
{
    const struct wsgw_source_ops *ops = src_ops();
    int64_t v = rec->r.last_event_at_ms;

    /* The source's ctx is gone once it is destroyed: only ask while the
     * daemon still has it. */
    if (rec->topic && ops && ops->last_event && R.source->created) {
        int64_t live = ops->last_event(R.source->ctx, &rec->topic->t);
        if (live > v)
            v = live;
    }
    return v;
}

static void view(const struct reg_rec *rec, struct wsgw_sub_record *out)
{
    *out = rec->r;
    out->last_event_at_ms = live_last_event(rec);
}

/* FNV-1a over NUL-separated parts. */
static size_t hash_parts(const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 3 && parts[i]; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return (size_t)h;
}

static size_t id_slot(const char *id)
{
    return hash_parts(id, NULL, NULL) & (R.nbuckets - 1);
}

static size_t key_slot(const char *service, const char *stream,
                       const char *topic)
{
    return hash_parts(service, stream, topic) & (R.nbuckets - 1);
}

static size_t topic_slot(const char *stream, const char *topic)
{
    return hash_parts(stream, topic, NULL) & (R.ntopic_buckets - 1);
}

static void idx_link(struct reg_rec *rec)
{
    size_t i = id_slot(rec->r.id);
    size_t k = key_slot(rec->r.requesting_service, rec->r.stream, rec->r.topic);
    rec->id_next = R.id_idx[i];
    R.id_idx[i] = rec;
    rec->key_next = R.key_idx[k];
    R.key_idx[k] = rec;
}

static void idx_unlink(struct reg_rec *rec)
{
    struct reg_rec **pp = &R.id_idx[id_slot(rec->r.id)];
    while (*pp && *pp != rec)
        pp = &(*pp)->id_next;
    if (*pp)
        *pp = rec->id_next;
    pp = &R.key_idx[key_slot(rec->r.requesting_service, rec->r.stream,
                             rec->r.topic)];
    while (*pp && *pp != rec)
        pp = &(*pp)->key_next;
    if (*pp)
        *pp = rec->key_next;
}

/* Keep about one record per bucket; rebuild both indexes when doubling. */
static int idx_reserve(size_t n)
{
    if (n < R.nbuckets && R.id_idx)
        return WSGW_OK;
    size_t nb = R.nbuckets ? R.nbuckets : 256;
    while (nb <= n)
        nb *= 2;
    struct reg_rec **ids = calloc(nb, sizeof(*ids));
    struct reg_rec **keys = calloc(nb, sizeof(*keys));
    if (!ids || !keys) {
        free(ids);
        free(keys);
        return WSGW_ERR;
    }
    free(R.id_idx);
    free(R.key_idx);
    R.id_idx = ids;
    R.key_idx = keys;
    R.nbuckets = nb;
    for (size_t i = 0; i < R.n_recs; i++)
        idx_link(R.recs[i]);
    return WSGW_OK;
}

static void topic_link(struct reg_topic *tp)
{
    size_t i = topic_slot(tp->t.stream, tp->t.topic);
    tp->hnext = R.topic_idx[i];
    R.topic_idx[i] = tp;
}

static int topic_reserve(size_t n)
{
    if (n < R.ntopic_buckets && R.topic_idx)
        return WSGW_OK;
    size_t nb = R.ntopic_buckets ? R.ntopic_buckets : 256;
    while (nb <= n)
        nb *= 2;
    struct reg_topic **b = calloc(nb, sizeof(*b));
    if (!b)
        return WSGW_ERR;
    free(R.topic_idx);
    R.topic_idx = b;
    R.ntopic_buckets = nb;
    for (size_t i = 0; i < R.n_topics; i++)
        topic_link(R.topics[i]);
    return WSGW_OK;
}

static struct reg_rec *find_id(const char *id)
{
    if (!R.nbuckets)
        return NULL;
    for (struct reg_rec *c = R.id_idx[id_slot(id)]; c; c = c->id_next)
        if (strcmp(c->r.id, id) == 0)
            return c;
    return NULL;
}

/*
 * The record of service for stream+topic: the active one if any, else
 * the most recently updated cancelled one, else NULL.
 */
static struct reg_rec *find_key(const char *service, const char *stream,
                                const char *topic)
{
    struct reg_rec *best = NULL;

    if (!R.nbuckets)
        return NULL;
    for (struct reg_rec *c = R.key_idx[key_slot(service, stream, topic)]; c;
         c = c->key_next) {
        if (strcmp(c->r.requesting_service, service) != 0 ||
            strcmp(c->r.stream, stream) != 0 || strcmp(c->r.topic, topic) != 0)
            continue;
        if (c->r.is_active)
            return c;
        if (!best || c->r.updated_at_ms > best->r.updated_at_ms)
            best = c;
    }
    return best;
}

static struct reg_topic *find_topic(const char *stream, const char *topic)
{
    if (!R.ntopic_buckets)
        return NULL;
    for (struct reg_topic *tp = R.topic_idx[topic_slot(stream, topic)]; tp;
         tp = tp->hnext)
        if (strcmp(tp->t.stream, stream) == 0 &&
            strcmp(tp->t.topic, topic) == 0)
            return tp;
    return NULL;
}

static int grow(void *arrp, size_t *cap, size_t n, size_t elem)
{
    void **arr = arrp;
    size_t ncap;
    void *na;

    if (n < *cap)
        return WSGW_OK;
    ncap = *cap ? *cap * 2 : 64;
    na = realloc(*arr, ncap * elem);
    if (!na)
        return WSGW_ERR;
    *arr = na;
    *cap = ncap;
    return WSGW_OK;
}

static struct reg_rec *rec_add(const struct wsgw_sub_record *r)
{
    struct reg_rec *rec;

    if (grow(&R.recs, &R.cap_recs, R.n_recs, sizeof(*R.recs)) != WSGW_OK ||
        idx_reserve(R.n_recs + 1) != WSGW_OK)
        return NULL;
    rec = calloc(1, sizeof(*rec));
    if (!rec)
        return NULL;
    rec->r = *r;
    rec->saved_last_event = r->last_event_at_ms;
    R.recs[R.n_recs++] = rec;
    idx_link(rec);
    return rec;
}

/* Take a reference on t's topic for rec; subscribe on the first one. */
static int topic_attach(struct reg_rec *rec, const struct wsgw_topic *t)
{
    struct reg_topic *tp = find_topic(t->stream, t->topic);

    if (!tp) {
        if (grow(&R.topics, &R.cap_topics, R.n_topics, sizeof(*R.topics)) !=
                WSGW_OK ||
            topic_reserve(R.n_topics + 1) != WSGW_OK)
            return WSGW_ERR;
        tp = calloc(1, sizeof(*tp));
        if (!tp)
            return WSGW_ERR;
        tp->t = *t;
        copy_str(tp->status, sizeof(tp->status), WSGW_SUB_PENDING);
        R.topics[R.n_topics++] = tp;
        topic_link(tp);
    }
    tp->refs++;
    rec->topic = tp;
    copy_str(rec->r.status, sizeof(rec->r.status), tp->status);
    copy_str(rec->r.status_reason, sizeof(rec->r.status_reason), tp->reason);
    if (R.loaded && !tp->requested) {
        tp->requested = 1;
        src_ops()->subscribe(R.source->ctx, &tp->t);
    }
    return WSGW_OK;
}

/* Drop rec's reference; unsubscribe and forget the topic on the last. */
static void topic_detach(struct reg_rec *rec)
{
    struct reg_topic *tp = rec->topic;

    rec->topic = NULL;
    if (!tp || --tp->refs > 0)
        return;
    if (tp->requested && src_ops() && src_ops()->unsubscribe)
        src_ops()->unsubscribe(R.source->ctx, &tp->t);
    for (size_t i = 0; i < R.n_topics; i++)
        if (R.topics[i] == tp) {
            R.topics[i] = R.topics[--R.n_topics];
            break;
        }
    struct reg_topic **pp = &R.topic_idx[topic_slot(tp->t.stream, tp->t.topic)];
    while (*pp && *pp != tp)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = tp->hnext;
    free(tp);
}

static void fill_from_topic(struct wsgw_sub_record *r,
                            const struct wsgw_topic *t)
{
    copy_str(r->channel_type, sizeof(r->channel_type), t->channel_type);
    copy_str(r->symbol, sizeof(r->symbol), t->symbol);
    copy_str(r->topic, sizeof(r->topic), t->topic);
    copy_str(r->category, sizeof(r->category), t->category);
    copy_str(r->stream, sizeof(r->stream), t->stream);
}

static int build_topic(const struct wsgw_sub_request *req, struct wsgw_topic *t,
                       struct wsgw_err *err)
{
    memset(t, 0, sizeof(*t));
    if (src_ops()->topic_build(R.source->ctx, req, t, err) != WSGW_OK) {
        if (err && !err->code)
            err->code = "INVALID_PARAMETER";
        return WSGW_ERR;
    }
    return WSGW_OK;
}

/* ---- lifecycle ------------------------------------------------------- */

int registry_init(struct wsgw_instance *source, struct wsgw_instance *store,
                  const char *state_dir, struct wsgw_err *err)
{
    if (R.inited)
        registry_free();
    memset(&R, 0, sizeof(R));
    R.source = source;
    R.store_in = store;
    if (store) {
        if (!store->mod || !store->mod->store_ops ||
            !store->mod->store_ops->save || !store->mod->store_ops->load)
            return wsgw_err_set(err, NULL,
                                "store '%s': module '%s' provides no "
                                "subscription store",
                                wsgw_instance_name(store),
                                wsgw_instance_module(store));
        R.store_ops = store->mod->store_ops;
        R.store_ctx = store->ctx;
    } else {
        R.state_dir = strdup(state_dir && *state_dir ? state_dir : ".");
        R.file = R.state_dir ? store_file_new(R.state_dir) : NULL;
        if (!R.file)
            return wsgw_err_set(err, NULL, "registry: out of memory");
        R.store_ops = &store_file_ops;
        R.store_ctx = R.file;
    }
    R.inited = 1;
    return WSGW_OK;
}

struct static_item {
    char *channel;
    char *channel_type;
    char *symbol;
    char *category;
    int64_t depth;
    char *interval;
    char *topic;
};

int registry_add_static(const struct wsgw_conf_node *seq, struct wsgw_err *err)
{
    static const struct wsgw_option opts[] = {
        {"channel", WSGW_OPT_STR, NULL, 0,
         offsetof(struct static_item, channel), 0, 0, NULL,
         "channel: trades, ticker, orderbook, kline, liquidation, order, "
         "execution, position, balance"},
        {"channel_type", WSGW_OPT_STR, NULL, 0,
         offsetof(struct static_item, channel_type), 0, 0, NULL,
         "the same as channel (the API's name)"},
        {"symbol", WSGW_OPT_STR, NULL, 0, offsetof(struct static_item, symbol),
         0, 0, NULL, "instrument, e.g. BTCUSDT"},
        {"category", WSGW_OPT_STR, NULL, 0,
         offsetof(struct static_item, category), 0, 0, NULL,
         "linear (default), spot, inverse, option"},
        {"depth", WSGW_OPT_INT, NULL, 0, offsetof(struct static_item, depth), 1,
         1000, NULL, "orderbook depth"},
        {"interval", WSGW_OPT_STR, NULL, 0,
         offsetof(struct static_item, interval), 0, 0, NULL,
         "kline interval: 1 3 5 15 30 60 120 240 360 720 D W M"},
        {"topic", WSGW_OPT_STR, NULL, 0, offsetof(struct static_item, topic), 0,
         0, NULL, "an explicit topic instead"},
        {NULL}};
    size_t n;

    if (!seq)
        return WSGW_OK;
    if (wsgw_conf_kind(seq) != WSGW_CONF_SEQ)
        return wsgw_err_set(err, NULL,
                            "%s: option 'subscriptions': expected a list of "
                            "{channel, symbol, category, depth, interval, "
                            "topic}",
                            wsgw_conf_where(seq));
    if (!R.inited)
        return wsgw_err_set(err, NULL, "registry: not initialized");
    n = wsgw_conf_len(seq);
    if (n && !src_ops())
        return wsgw_err_set(err, NULL,
                            "%s: subscriptions need a source module that "
                            "takes subscriptions",
                            wsgw_conf_where(seq));
    for (size_t i = 0; i < n; i++) {
        const struct wsgw_conf_node *item = wsgw_conf_at(seq, i, NULL);
        struct static_item it = {0};
        struct wsgw_sub_request req = {0};
        struct wsgw_sub_record r = {0};
        struct wsgw_topic t;
        struct wsgw_err e = {0};
        struct reg_rec *rec, *dup;
        char where[256];
        int rc = WSGW_ERR;

        copy_str(where, sizeof(where), wsgw_conf_where(item));
        if (wsgw_conf_kind(item) != WSGW_CONF_MAP)
            return wsgw_err_set(err, NULL,
                                "%s: each subscription must be a map "
                                "{channel, symbol, ...}",
                                where);
        if (wsgw_conf_apply(item, opts, NULL, &it, err) != WSGW_OK)
            goto done;
        if (it.channel && it.channel_type) {
            wsgw_err_set(err, NULL,
                         "%s: give 'channel' or 'channel_type', not both",
                         where);
            goto done;
        }
        req.channel_type = it.channel ? it.channel : it.channel_type;
        if (!req.channel_type && !it.topic) {
            wsgw_err_set(err, NULL,
                         "%s: subscription needs 'channel' (trades, ticker, "
                         "orderbook, ...)",
                         where);
            goto done;
        }
        req.symbol = it.symbol;
        req.category = it.category;
        req.topic = it.topic;
        req.depth = it.depth;
        req.interval = it.interval;
        if (build_topic(&req, &t, &e) != WSGW_OK) {
            wsgw_err_set(err, e.code, "%s: subscription: %s", where, e.msg);
            goto done;
        }
        dup = find_key(REGISTRY_CONFIG_SERVICE, t.stream, t.topic);
        if (dup && dup->r.is_active) {
            wsgw_err_set(err, NULL,
                         "%s: subscription to topic '%s' (%s) is listed "
                         "twice",
                         where, t.topic, t.stream);
            goto done;
        }
        wsgw_uuid4(r.id);
        fill_from_topic(&r, &t);
        copy_str(r.requesting_service, sizeof(r.requesting_service),
                 REGISTRY_CONFIG_SERVICE);
        r.is_active = 1;
        r.created_at_ms = r.updated_at_ms = wsgw_now_ms();
        rec = rec_add(&r);
        if (!rec || topic_attach(rec, &t) != WSGW_OK) {
            if (rec) {
                idx_unlink(rec);
                R.recs[--R.n_recs] = NULL;
                free(rec);
            }
            wsgw_err_set(err, NULL, "registry: out of memory");
            goto done;
        }
        rec->is_static = 1;
        rc = WSGW_OK;
    done:
        free(it.channel);
        free(it.channel_type);
        free(it.symbol);
        free(it.category);
        free(it.interval);
        free(it.topic);
        if (rc != WSGW_OK)
            return WSGW_ERR;
    }
    return WSGW_OK;
}

/* ---- loading --------------------------------------------------------- */

struct loaded {
    struct wsgw_sub_record *v;
    size_t n, cap;
    int nomem;
};

static void collect(void *arg, const struct wsgw_sub_record *r)
{
    struct loaded *l = arg;

    if (grow(&l->v, &l->cap, l->n, sizeof(*l->v)) != WSGW_OK) {
        l->nomem = 1;
        return;
    }
    l->v[l->n] = *r;
    /* Strings from a store are trusted to fit but not to be terminated. */
    l->v[l->n].id[sizeof(r->id) - 1] = '\0';
    l->v[l->n].requesting_service[sizeof(r->requesting_service) - 1] = '\0';
    l->v[l->n].topic[sizeof(r->topic) - 1] = '\0';
    l->v[l->n].stream[sizeof(r->stream) - 1] = '\0';
    l->v[l->n].status_reason[sizeof(r->status_reason) - 1] = '\0';
    l->n++;
}

/* A stored record of an API client: add it, subscribed again if active. */
static void merge_client(const struct wsgw_sub_record *sr)
{
    struct wsgw_sub_record r = *sr;
    struct wsgw_sub_request req = {0};
    struct wsgw_topic t;
    struct wsgw_err e = {0};
    struct reg_rec *rec;
    int ok = 0;

    if (r.is_active && src_ops()) {
        req.channel_type = r.channel_type;
        req.symbol = r.symbol[0] ? r.symbol : NULL;
        req.category = r.category[0] ? r.category : NULL;
        req.topic = r.topic;
        ok = build_topic(&req, &t, &e) == WSGW_OK;
        if (ok)
            fill_from_topic(&r, &t);
    }
    if (r.is_active && !ok) {
        /* Kept visible and cancellable, but not sent to the exchange. */
        copy_str(r.status, sizeof(r.status), WSGW_SUB_FAILED);
        if (!src_ops())
            copy_str(r.status_reason, sizeof(r.status_reason),
                     "no source takes subscriptions");
        else
            snprintf(r.status_reason, sizeof(r.status_reason),
                     "no longer valid: %.200s", e.msg);
        wsgw_warn(NULL, "subscription %s of '%s' (%s) cannot be restored: %s",
                  r.id, r.requesting_service, r.topic, r.status_reason);
    }
    rec = rec_add(&r);
    if (!rec) {
        wsgw_error(NULL, "registry: out of memory restoring %s", r.id);
        return;
    }
    if (ok && topic_attach(rec, &t) != WSGW_OK)
        wsgw_error(NULL, "registry: out of memory restoring %s", r.id);
}

static void merge(const struct wsgw_sub_record *sr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct wsgw_sub_record *r = &sr[i];
        struct reg_rec *st;

        if (!r->id[0] || find_id(r->id)) {
            wsgw_warn(NULL, "store: record '%s' is a duplicate; skipped",
                      r->id);
            continue;
        }
        if (strcmp(r->requesting_service, REGISTRY_CONFIG_SERVICE) != 0) {
            merge_client(r);
            continue;
        }
        /* The YAML is the truth for "config" records: a stored one keeps
         * its id if the YAML still lists it, else it is cancelled. */
        st = find_key(REGISTRY_CONFIG_SERVICE, r->stream, r->topic);
        if (st && st->is_static == 1) {
            idx_unlink(st);
            memcpy(st->r.id, r->id, sizeof(st->r.id));
            idx_link(st);
            st->r.created_at_ms = r->created_at_ms;
            st->r.last_event_at_ms = r->last_event_at_ms;
            st->saved_last_event = r->last_event_at_ms;
            st->is_static = 2; /* adopted a stored id */
        } else {
            struct wsgw_sub_record c = *r;
            struct reg_rec *rec;

            if (c.is_active) {
                c.is_active = 0;
                c.updated_at_ms = wsgw_now_ms();
                if (store_save(&c) != WSGW_OK)
                    wsgw_warn(NULL,
                              "store: could not save the cancel of "
                              "%s",
                              c.id);
                wsgw_info(NULL,
                          "subscription %s (%s) is no longer in the "
                          "configuration: cancelled",
                          c.id, c.topic);
            }
            rec = rec_add(&c);
            if (!rec)
                wsgw_error(NULL, "registry: out of memory restoring %s", c.id);
        }
    }
}

static void ack_deliver(void *arg, void *item)
{
    struct ack_item *a = item;

    if (a->src == R.source)
        registry_ack(a->stream, a->topic, a->ok,
                     a->reason[0] ? a->reason : NULL);
    free(a);
}

static void persist_tick(void *arg)
{
    registry_persist_last_events();
}

static double gauge_count(void *arg)
{
    struct registry_counts c;
    int which = (int)(intptr_t)arg;

    registry_counts(&c);
    switch (which) {
    case 0:
        return (double)c.active;
    case 1:
        return (double)c.pending;
    case 2:
        return (double)c.failed;
    default:
        return (double)c.topics;
    }
}

static void gauges_register(void)
{
    static const char *const labels[] = {
        "status=\"active\"", "status=\"pending\"", "status=\"failed\""};
    const char *help = "Active subscription records by status of their "
                       "exchange topic";

    for (int i = 0; i < 3; i++)
        R.gauges[i] = wsgw_gauge_fn("wsgw_subscriptions", help, labels[i],
                                    gauge_count, (void *)(intptr_t)i);
    R.gauges[3] = wsgw_gauge_fn("wsgw_subscription_topics",
                                "Exchange topics subscribed (shared by the "
                                "records that need them)",
                                NULL, gauge_count, (void *)(intptr_t)3);
}

int registry_load(struct wsgw_err *err)
{
    struct loaded l = {0};
    struct wsgw_err e = {0};
    struct wsgw_handoff *h;
    int rc = WSGW_OK;

    if (!R.inited)
        return wsgw_err_set(err, NULL, "registry: not initialized");
    if (R.store_in)
        R.store_ctx = R.store_in->ctx;
    if (R.file && store_file_open(R.file, &e) != WSGW_OK)
        wsgw_error(NULL,
                   "subscription store: %s; subscription changes are "
                   "refused (503) until the daemon is restarted with a "
                   "writable state directory",
                   e.msg);
    e.code = NULL;
    e.msg[0] = '\0';
    if (R.store_ops->load(R.store_ctx, collect, &l, &e) != WSGW_OK) {
        wsgw_error(NULL,
                   "subscription store: cannot be read (%s); starting from "
                   "the configured subscriptions alone",
                   e.msg);
        l.n = 0;
    } else if (l.nomem) {
        wsgw_error(NULL, "subscription store: out of memory while loading");
    }
    merge(l.v, l.n);
    free(l.v);

    /* Static records: saved so their ids are stable across restarts. */
    for (size_t i = 0; i < R.n_recs; i++)
        if (R.recs[i]->is_static == 1 && store_save(&R.recs[i]->r) != WSGW_OK)
            wsgw_warn(NULL, "subscription store: could not save %s",
                      R.recs[i]->r.id);

    h = wsgw_handoff_new(ACK_QUEUE, ack_deliver, free, NULL);
    if (!h)
        rc = wsgw_err_set(err, NULL, "registry: out of memory");
    __atomic_store_n(&R.acks, h, __ATOMIC_RELEASE);
    R.loaded = 1;
    for (size_t i = 0; i < R.n_topics; i++) {
        R.topics[i]->requested = 1;
        src_ops()->subscribe(R.source->ctx, &R.topics[i]->t);
    }
    R.persist = wsgw_timer_new(persist_tick, NULL);
    if (R.persist)
        wsgw_timer_start(R.persist, PERSIST_INTERVAL_MS, 1);
    gauges_register();
    {
        struct registry_counts c;
        registry_counts(&c);
        wsgw_info(NULL,
                  "subscriptions: %zu active on %zu exchange topics, %zu "
                  "cancelled",
                  wsgw_subs_active_count(), c.topics, c.inactive);
    }
    return rc;
}

void registry_free(void)
{
    struct wsgw_handoff *h;

    if (!R.inited)
        return;
    if (R.loaded)
        registry_persist_last_events();
    wsgw_timer_free(R.persist);
    for (int i = 0; i < 4; i++)
        if (R.gauges[i])
            wsgw_metric_unregister(R.gauges[i]);
    h = __atomic_exchange_n(&R.acks, NULL, __ATOMIC_ACQ_REL);
    wsgw_handoff_free(h);
    store_file_free(R.file);
    for (size_t i = 0; i < R.n_recs; i++)
        free(R.recs[i]);
    free(R.recs);
    for (size_t i = 0; i < R.n_topics; i++)
        free(R.topics[i]);
    free(R.topics);
    free(R.id_idx);
    free(R.key_idx);
    free(R.topic_idx);
    free(R.state_dir);
    memset(&R, 0, sizeof(R));
}

/* ---- operations ------------------------------------------------------ */

enum reg_result registry_create(const struct wsgw_sub_request *req,
                                const char *service,
                                struct wsgw_sub_record *out,
                                struct wsgw_err *err)
{
    struct wsgw_topic t;
    struct wsgw_sub_record r;
    struct reg_rec *rec;
    struct reg_topic *tp;

    if (!R.inited || !src_ops()) {
        wsgw_err_set(err, "SOURCE_UNAVAILABLE",
                     "no source takes subscriptions");
        return REG_UNAVAILABLE;
    }
    if (build_topic(req, &t, err) != WSGW_OK)
        return REG_INVALID;
    rec = find_key(service, t.stream, t.topic);
    if (rec && rec->r.is_active) {
        wsgw_err_set(err, "SUBSCRIPTION_EXISTS",
                     "service '%s' already has an active subscription to "
                     "topic '%s' (%s)",
                     service, t.topic, rec->r.id);
        if (out)
            view(rec, out);
        return REG_EXISTS;
    }
    if (!store_available()) {
        wsgw_err_set(err, "STORE_UNAVAILABLE",
                     "the subscription store is unavailable; nothing was "
                     "changed");
        return REG_UNAVAILABLE;
    }
    if (rec) {
        r = rec->r;
    } else {
        memset(&r, 0, sizeof(r));
        wsgw_uuid4(r.id);
        copy_str(r.requesting_service, sizeof(r.requesting_service), service);
        r.created_at_ms = wsgw_now_ms();
    }
    fill_from_topic(&r, &t);
    r.is_active = 1;
    r.updated_at_ms = wsgw_now_ms();
    tp = find_topic(t.stream, t.topic);
    copy_str(r.status, sizeof(r.status), tp ? tp->status : WSGW_SUB_PENDING);
    copy_str(r.status_reason, sizeof(r.status_reason), tp ? tp->reason : "");
    if (store_save(&r) != WSGW_OK) {
        wsgw_err_set(err, "STORE_UNAVAILABLE",
                     "the subscription store refused the write; nothing "
                     "was changed");
        return REG_UNAVAILABLE;
    }
    if (rec)
        rec->r = r;
    else if (!(rec = rec_add(&r)))
        goto nomem;
    if (topic_attach(rec, &t) != WSGW_OK) {
        /* Memory says inactive so a retry can reactivate it. */
        rec->r.is_active = 0;
        goto nomem;
    }
    wsgw_info(NULL, "subscription %s: '%s' subscribed to %s (%s)%s", rec->r.id,
              service, t.topic, t.stream,
              rec->topic->refs > 1 ? " (shared)" : "");
    if (out)
        view(rec, out);
    return REG_OK;
nomem:
    wsgw_err_set(err, "INTERNAL_ERROR", "out of memory");
    return REG_NOMEM;
}

static enum reg_result cancel_rec(struct reg_rec *rec)
{
    struct wsgw_sub_record r = rec->r;

    r.is_active = 0;
    r.updated_at_ms = wsgw_now_ms();
    r.last_event_at_ms = live_last_event(rec);
    if (store_save(&r) != WSGW_OK)
        return REG_UNAVAILABLE;
    rec->r = r;
    rec->saved_last_event = r.last_event_at_ms;
    topic_detach(rec);
    wsgw_info(NULL, "subscription %s: '%s' cancelled %s (%s)", r.id,
              r.requesting_service, r.topic, r.stream);
    return REG_OK;
}

enum reg_result registry_cancel(const char *id, struct wsgw_sub_record *out,
                                int *was_active)
{
    struct reg_rec *rec = R.inited ? find_id(id) : NULL;
    enum reg_result res;

    if (!rec)
        return REG_NOT_FOUND;
    if (was_active)
        *was_active = rec->r.is_active;
    if (rec->r.is_active) {
        if (!store_available())
            return REG_UNAVAILABLE;
        res = cancel_rec(rec);
        if (res != REG_OK)
            return res;
    }
    if (out)
        view(rec, out);
    return REG_OK;
}

enum reg_result registry_cancel_service(const char *service, size_t *count)
{
    size_t n = 0;

    *count = 0;
    if (!R.inited)
        return REG_OK;
    for (size_t i = 0; i < R.n_recs; i++)
        if (R.recs[i]->r.is_active &&
            strcmp(R.recs[i]->r.requesting_service, service) == 0)
            n++;
    if (n == 0)
        return REG_OK;
    if (!store_available())
        return REG_UNAVAILABLE;
    for (size_t i = 0; i < R.n_recs; i++) {
        struct reg_rec *rec = R.recs[i];

        if (!rec->r.is_active ||
            strcmp(rec->r.requesting_service, service) != 0)
            continue;
        /* A store failing half-way: report what was done honestly. */
        if (cancel_rec(rec) != REG_OK)
            return REG_UNAVAILABLE;
        (*count)++;
    }
    return REG_OK;
}

enum reg_result registry_get(const char *id, struct wsgw_sub_record *out)
{
    struct reg_rec *rec = R.inited ? find_id(id) : NULL;

    if (!rec)
        return REG_NOT_FOUND;
    view(rec, out);
    return REG_OK;
}

void registry_foreach(void (*fn)(void *arg, const struct wsgw_sub_record *r),
                      void *arg)
{
    for (size_t i = 0; i < R.n_recs; i++) {
        struct wsgw_sub_record r;

        view(R.recs[i], &r);
        fn(arg, &r);
    }
}

void registry_counts(struct registry_counts *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < R.n_recs; i++) {
        const struct wsgw_sub_record *r = &R.recs[i]->r;

        if (!r->is_active)
            c->inactive++;
        else if (strcmp(r->status, WSGW_SUB_ACTIVE) == 0)
            c->active++;
        else if (strcmp(r->status, WSGW_SUB_FAILED) == 0)
            c->failed++;
        else
            c->pending++;
    }
    c->topics = R.n_topics;
}

size_t wsgw_subs_active_count(void)
{
    size_t n = 0;

    for (size_t i = 0; i < R.n_recs; i++)
        n += R.recs[i]->r.is_active ? 1 : 0;
    return n;
}

void registry_ack(const char *stream, const char *topic, int ok,
                  const char *reason)
{
    struct reg_topic *tp = R.inited ? find_topic(stream, topic) : NULL;
    const char *status = ok ? WSGW_SUB_ACTIVE : WSGW_SUB_FAILED;
    char why[256];

    if (!tp) {
        wsgw_debug(NULL, "ack for topic %s (%s) that nobody needs: ignored",
                   topic, stream);
        return;
    }
    copy_str(why, sizeof(why), ok ? "" : (reason ? reason : "refused"));
    if (strcmp(tp->status, status) == 0 && strcmp(tp->reason, why) == 0)
        return;
    copy_str(tp->status, sizeof(tp->status), status);
    copy_str(tp->reason, sizeof(tp->reason), why);
    if (ok)
        wsgw_debug(NULL, "topic %s (%s) is active", topic, stream);
    else
        wsgw_warn(NULL, "topic %s (%s) was refused by the exchange: %s", topic,
                  stream, why);
    for (size_t i = 0; i < R.n_recs; i++) {
        struct reg_rec *rec = R.recs[i];

        if (rec->topic != tp)
            continue;
        copy_str(rec->r.status, sizeof(rec->r.status), status);
        copy_str(rec->r.status_reason, sizeof(rec->r.status_reason), why);
        rec->r.updated_at_ms = wsgw_now_ms();
        /* Status is shown from memory; a lost save only costs the stored
         * copy an outdated status, which is recomputed at the next start. */
        if (store_save(&rec->r) != WSGW_OK)
            wsgw_debug(NULL, "store: status of %s not saved", rec->r.id);
    }
}

void wsgw_sub_ack(struct wsgw_instance *src, const char *stream,
                  const char *topic, int ok, const char *reason)
{
    struct wsgw_handoff *h = __atomic_load_n(&R.acks, __ATOMIC_ACQUIRE);
    struct ack_item *a;

    if (!h || !stream || !topic)
        return;
    a = calloc(1, sizeof(*a));
    if (!a)
        return;
    a->src = src;
    copy_str(a->stream, sizeof(a->stream), stream);
    copy_str(a->topic, sizeof(a->topic), topic);
    a->ok = ok;
    copy_str(a->reason, sizeof(a->reason), reason);
    if (wsgw_handoff_push(h, a) != WSGW_OK) {
        wsgw_warn(src,
                  "subscription ack for %s (%s) dropped: the registry's "
                  "queue is full",
                  topic, stream);
        free(a);
    }
}

void registry_persist_last_events(void)
{
    for (size_t i = 0; i < R.n_recs; i++) {
        struct reg_rec *rec = R.recs[i];
        int64_t v;

        if (!rec->r.is_active || !rec->topic)
            continue;
        v = live_last_event(rec);
        if (v <= rec->saved_last_event)
            continue;
        rec->r.last_event_at_ms = v;
        if (store_save(&rec->r) == WSGW_OK)
            rec->saved_last_event = v;
    }
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *time_or_null(int64_t ms)
{
    char buf[WSGW_TIME_LEN + 1];

    if (ms <= 0)
        return json_null();
    wsgw_time_format(ms, buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *registry_record_json(const struct wsgw_sub_record *r)
{
    return json_pack("{s:s,s:s,s:o,s:s,s:s,s:b,s:o,s:o,s:o,s:s,s:s,s:s,s:o}",
                     "id", r->id, "channel_type", r->channel_type, "symbol",
                     str_or_null(r->symbol), "topic", r->topic,
                     "requesting_service", r->requesting_service, "is_active",
                     r->is_active, "created_at", time_or_null(r->created_at_ms),
                     "updated_at", time_or_null(r->updated_at_ms),
                     "last_event_at", time_or_null(r->last_event_at_ms),
                     "category", r->category, "stream", r->stream, "status",
                     r->status, "status_reason", str_or_null(r->status_reason));
}
