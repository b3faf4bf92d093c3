/*
 * bybit_subs.c — topics and requests of one stream (see bybit_subs.h).
 */
#include "bybit_subs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bybit_topic.h"

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int bsub_init(struct bsub *s, int stream, const struct bsub_callbacks *cb)
{
    memset(s, 0, sizeof *s);
    s->stream = stream;
    s->cb = *cb;
    snprintf(s->prefix, sizeof s->prefix, "%.3s", bybit_stream_name(stream));
    s->nbuckets = 64;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    return s->buckets ? 0 : -1;
}

static void req_free(struct bsub_req *r)
{
    for (size_t i = 0; i < r->cap; i++)
        free(r->topics[i]);
    free(r->topics);
    free(r);
}

static void unsub_clear(struct bsub *s)
{
    for (size_t i = 0; i < s->nunsub; i++)
        free(s->unsub[i]);
    s->nunsub = 0;
}

void bsub_free(struct bsub *s)
{
    for (size_t b = 0; b < s->nbuckets; b++) {
        struct bsub_topic *t = s->buckets[b];
        while (t) {
            struct bsub_topic *next = t->next;
            free(t->topic);
            free(t);
            t = next;
        }
    }
    free(s->buckets);
    while (s->reqs) {
        struct bsub_req *r = s->reqs;
        s->reqs = r->next;
        req_free(r);
    }
    unsub_clear(s);
    free(s->unsub);
    memset(s, 0, sizeof *s);
}

struct bsub_topic *bsub_lookup(const struct bsub *s, const char *topic,
                               size_t len)
{
    if (!s->buckets)
        return NULL;
    struct bsub_topic *t = s->buckets[hash(topic, len) & (s->nbuckets - 1)];
    for (; t; t = t->next)
        if (t->len == len && memcmp(t->topic, topic, len) == 0)
            return t;
    return NULL;
}

static void grow(struct bsub *s)
{
    size_t nb = s->nbuckets * 2;
    struct bsub_topic **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* longer chains; still correct */
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct bsub_topic *t = s->buckets[i];
        while (t) {
            struct bsub_topic *next = t->next;
            size_t k = hash(t->topic, t->len) & (nb - 1);
            t->next = b[k];
            b[k] = t;
            t = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

/* Drop a queued unsubscribe of `topic` (it is wanted again). */
static void unsub_forget(struct bsub *s, const char *topic)
{
    for (size_t i = 0; i < s->nunsub; i++) {
        if (strcmp(s->unsub[i], topic) == 0) {
            free(s->unsub[i]);
            s->unsub[i] = s->unsub[--s->nunsub];
            return;
        }
    }
}

struct bsub_topic *bsub_want(struct bsub *s, const char *topic, void *user)
{
    size_t len = strlen(topic);
    struct bsub_topic *t = bsub_lookup(s, topic, len);
    unsub_forget(s, topic);
    if (t) {
        t->user = user;
        if (t->state == BSUB_FAILED) {
            t->state = BSUB_WANT;
            t->tries = 0;
        }
        return t;
    }
    t = calloc(1, sizeof *t);
    if (!t || !(t->topic = strdup(topic))) {
        free(t);
        return NULL;
    }
    t->len = len;
    t->user = user;
    t->state = BSUB_WANT;
    if (s->ntopics >= s->nbuckets * 2)
        grow(s);
    size_t k = hash(topic, len) & (s->nbuckets - 1);
    t->next = s->buckets[k];
    s->buckets[k] = t;
    s->ntopics++;
    return t;
}

void *bsub_unwant(struct bsub *s, const char *topic, int connected)
{
    size_t len = strlen(topic);
    struct bsub_topic **pp = &s->buckets[hash(topic, len) & (s->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        struct bsub_topic *t = *pp;
        if (t->len != len || memcmp(t->topic, topic, len) != 0)
            continue;
        *pp = t->next;
        s->ntopics--;
        if (connected && (t->state == BSUB_SENT || t->state == BSUB_ACTIVE)) {
            if (s->nunsub == s->capunsub) {
                size_t cap = s->capunsub ? s->capunsub * 2 : 16;
                char **u = realloc(s->unsub, cap * sizeof *u);
                if (u) {
                    s->unsub = u;
                    s->capunsub = cap;
                }
            }
            /* out of memory: the topic keeps flowing until reconnect,
             * and its events are still routed; nothing is corrupted */
            if (s->nunsub < s->capunsub)
                s->unsub[s->nunsub++] = t->topic;
            else
                free(t->topic);
        } else {
            free(t->topic);
        }
        void *user = t->user;
        free(t);
        return user;
    }
    return NULL;
}

void bsub_reset(struct bsub *s)
{
    while (s->reqs) {
        struct bsub_req *r = s->reqs;
        s->reqs = r->next;
        req_free(r);
    }
    unsub_clear(s);
    for (size_t b = 0; b < s->nbuckets; b++)
        for (struct bsub_topic *t = s->buckets[b]; t; t = t->next) {
            t->state = BSUB_WANT;
            t->tries = 0;
            t->req = NULL;
        }
}

/* Append a JSON string of plain topic text (escaping defensively). */
static size_t put_jstr(char *out, const char *s)
{
    size_t n = 0;
    out[n++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)sprintf(out + n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n++] = '"';
    return n;
}

/* Build and send one request for topics[0..n) and track it. */
static struct bsub_req *send_req(struct bsub *s, enum bsub_op op, char **topics,
                                 size_t n, int single, int64_t now_ms)
{
    struct bsub_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->topics = calloc(n, sizeof *r->topics);
    size_t cap = 96;
    for (size_t i = 0; i < n; i++)
        cap += strlen(topics[i]) * 6 + 3;
    char *text = malloc(cap);
    if (!r->topics || !text) {
        free(text);
        free(r->topics);
        free(r);
        return NULL;
    }
    r->cap = n;
    r->op = op;
    r->single = single;
    r->sent_ms = now_ms;
    snprintf(r->req_id, sizeof r->req_id, "%s-%u", s->prefix, ++s->seq);

    size_t len = (size_t)sprintf(
        text, "{\"req_id\":\"%s\",\"op\":\"%s\",\"args\":[", r->req_id,
        op == BSUB_OP_SUBSCRIBE ? "subscribe" : "unsubscribe");
    for (size_t i = 0; i < n; i++) {
        if (i)
            text[len++] = ',';
        len += put_jstr(text + len, topics[i]);
        r->topics[i] = strdup(topics[i]);
        if (r->topics[i])
            r->n++;
    }
    text[len++] = ']';
    text[len++] = '}';
    text[len] = '\0';

    /* FIFO: acks without a req_id answer the oldest request */
    struct bsub_req **pp = &s->reqs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
    s->cb.send(s->cb.arg, text, len);
    free(text);
    return r;
}

static void req_remove(struct bsub *s, struct bsub_req *r)
{
    for (struct bsub_req **pp = &s->reqs; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            req_free(r);
            return;
        }
    }
}

static int is_categorised(const char *topic)
{
    static const char *const cats[] = {".spot", ".linear", ".inverse",
                                       ".option"};
    size_t n = strlen(topic);
    for (size_t i = 0; i < 4; i++) {
        size_t k = strlen(cats[i]);
        if (n > k && strcmp(topic + n - k, cats[i]) == 0)
            return 1;
    }
    return 0;
}

/* Send topics[0..n) in requests of at most per_req args. */
static void send_batches(struct bsub *s, enum bsub_op op, char **topics,
                         struct bsub_topic **ents, size_t n, int64_t now_ms)
{
    size_t per_req =
        s->stream == BYBIT_SPOT ? BYBIT_SPOT_ARGS_PER_REQ : BYBIT_ARGS_PER_REQ;
    for (size_t i = 0; i < n; i += per_req) {
        size_t k = n - i < per_req ? n - i : per_req;
        struct bsub_req *r = send_req(s, op, topics + i, k, 0, now_ms);
        if (!r || !ents)
            continue;
        for (size_t j = 0; j < k; j++) {
            ents[i + j]->state = BSUB_SENT;
            ents[i + j]->req = r;
        }
    }
}

static void answer(struct bsub *s, enum bsub_op op, const char *topic, int ok,
                   const char *reason)
{
    if (s->cb.answer)
        s->cb.answer(s->cb.arg, op, topic, ok, reason);
}

void bsub_pump(struct bsub *s, int64_t now_ms)
{
    if (s->nunsub) {
        send_batches(s, BSUB_OP_UNSUBSCRIBE, s->unsub, NULL, s->nunsub, now_ms);
        unsub_clear(s);
    }

    /* what the connection already carries, against Bybit's limits */
    size_t chars = 0, count = 0, nwant = 0;
    for (size_t b = 0; b < s->nbuckets; b++)
        for (struct bsub_topic *t = s->buckets[b]; t; t = t->next) {
            if (t->state == BSUB_SENT || t->state == BSUB_ACTIVE) {
                chars += t->len;
                count++;
            } else if (t->state == BSUB_WANT) {
                nwant++;
            }
        }
    if (!nwant)
        return;
    char **names = malloc(nwant * sizeof *names);
    struct bsub_topic **ents = malloc(nwant * sizeof *ents);
    if (!names || !ents) {
        free(names);
        free(ents);
        return; /* retried on the next pump */
    }
    /* private: all-in-one and categorised topics go in separate requests */
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (size_t b = 0; b < s->nbuckets; b++)
            for (struct bsub_topic *t = s->buckets[b]; t; t = t->next) {
                if (t->state != BSUB_WANT || is_categorised(t->topic) != pass)
                    continue;
                if (s->stream != BYBIT_PRIVATE &&
                    chars + t->len > BYBIT_ARGS_CHARS_MAX) {
                    t->state = BSUB_FAILED;
                    answer(s, BSUB_OP_SUBSCRIBE, t->topic, 0,
                           "Bybit allows 21000 characters of topics per "
                           "connection and this one is full");
                    continue;
                }
                if (s->stream == BYBIT_OPTION &&
                    count + 1 > BYBIT_OPTION_ARGS_MAX) {
                    t->state = BSUB_FAILED;
                    answer(s, BSUB_OP_SUBSCRIBE, t->topic, 0,
                           "Bybit allows 2000 option topics per connection");
                    continue;
                }
                chars += t->len;
                count++;
                names[k] = t->topic;
                ents[k++] = t;
            }
        send_batches(s, BSUB_OP_SUBSCRIBE, names, ents, k, now_ms);
    }
    free(names);
    free(ents);
}

/* Record topic `name` of request r as answered (and report it). */
static void resolve(struct bsub *s, struct bsub_req *r, size_t i, int ok,
                    const char *reason)
{
    char *name = r->topics[i];
    if (!name)
        return;
    if (r->op == BSUB_OP_UNSUBSCRIBE) {
        answer(s, BSUB_OP_UNSUBSCRIBE, name, ok, reason);
    } else {
        struct bsub_topic *t = bsub_lookup(s, name, strlen(name));
        /* only the topic's current request speaks for it */
        if (t && t->req == r && t->state == BSUB_SENT) {
            t->state = ok ? BSUB_ACTIVE : BSUB_FAILED;
            t->req = NULL;
            t->tries = 0;
            answer(s, BSUB_OP_SUBSCRIBE, name, ok, reason);
        }
    }
    free(name);
    r->topics[i] = NULL;
    r->n--;
}

static struct bsub_req *find_req(struct bsub *s, const struct bybit_ctl *c)
{
    if (c->req_id[0]) {
        for (struct bsub_req *r = s->reqs; r; r = r->next)
            if (strcmp(r->req_id, c->req_id) == 0)
                return r;
        return NULL; /* someone else's id: not ours to guess */
    }
    for (struct bsub_req *r = s->reqs; r; r = r->next) {
        if (c->kind == BYBIT_CTL_COMMAND ||
            (c->kind == BYBIT_CTL_SUBSCRIBE && r->op == BSUB_OP_SUBSCRIBE) ||
            (c->kind == BYBIT_CTL_UNSUBSCRIBE && r->op == BSUB_OP_UNSUBSCRIBE))
            return r;
    }
    return NULL;
}

/* Option/spread acks: per-topic lists, matched to any request. */
static int on_topic_lists(struct bsub *s, const struct bybit_ctl *c)
{
    int matched = 0;
    for (int pass = 0; pass < 2; pass++) {
        json_t *list = pass == 0 ? c->success_topics : c->fail_topics;
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            const char *name = json_string_value(v);
            if (!name)
                continue;
            for (struct bsub_req *r = s->reqs; r; r = r->next) {
                size_t k;
                for (k = 0; k < r->cap; k++)
                    if (r->topics[k] && strcmp(r->topics[k], name) == 0)
                        break;
                if (k == r->cap)
                    continue;
                const char *why = c->ret_msg[0] ? c->ret_msg
                                                : "refused by Bybit "
                                                  "(failTopics)";
                resolve(s, r, k, pass == 0, pass == 0 ? NULL : why);
                matched = 1;
                break;
            }
        }
    }
    /* drop requests that are fully answered */
    struct bsub_req *r = s->reqs;
    while (r) {
        struct bsub_req *next = r->next;
        if (r->n == 0)
            req_remove(s, r);
        r = next;
    }
    return matched;
}

/*
 * A refused subscribe: Bybit names one topic in ret_msg and does not say
 * what happened to the others, so each of them is asked for alone; one
 * bad topic must not fail its neighbours.
 */
static void on_sub_failure(struct bsub *s, struct bsub_req *r, const char *msg,
                           int64_t now_ms)
{
    char named[128];
    size_t hit = r->cap;
    if (bybit_failed_topic(msg, named, sizeof named))
        for (size_t i = 0; i < r->cap; i++)
            if (r->topics[i] && strcmp(r->topics[i], named) == 0)
                hit = i;

    if (hit < r->cap) {
        /* "already subscribed": the topic is there, which is success */
        int ok = strstr(msg, "already subscribed") != NULL;
        resolve(s, r, hit, ok, ok ? NULL : msg);
    } else if (r->n == 1 || r->single) {
        for (size_t i = 0; i < r->cap; i++)
            resolve(s, r, i, 0, msg);
    }
    for (size_t i = 0; i < r->cap; i++) {
        char *name = r->topics[i];
        if (!name)
            continue;
        struct bsub_topic *t = bsub_lookup(s, name, strlen(name));
        if (t && t->req == r && t->state == BSUB_SENT) {
            struct bsub_req *one =
                send_req(s, BSUB_OP_SUBSCRIBE, &name, 1, 1, now_ms);
            t->req = one;
            if (!one)
                t->state = BSUB_WANT; /* out of memory: next pump */
        }
    }
}

int bsub_on_ack(struct bsub *s, const struct bybit_ctl *c, int64_t now_ms)
{
    if (c->kind == BYBIT_CTL_COMMAND && (c->success_topics || c->fail_topics))
        return on_topic_lists(s, c);
    struct bsub_req *r = find_req(s, c);
    if (!r)
        return 0;
    if (c->success) {
        for (size_t i = 0; i < r->cap; i++)
            resolve(s, r, i, 1, NULL);
    } else if (r->op == BSUB_OP_UNSUBSCRIBE) {
        for (size_t i = 0; i < r->cap; i++)
            resolve(s, r, i, 0, c->ret_msg);
    } else {
        on_sub_failure(s, r, c->ret_msg[0] ? c->ret_msg : "refused by Bybit",
                       now_ms);
    }
    req_remove(s, r);
    return 1;
}

size_t bsub_tick(struct bsub *s, int64_t now_ms, int64_t timeout_ms)
{
    size_t again = 0;
    struct bsub_req *r = s->reqs;
    while (r) {
        struct bsub_req *next = r->next;
        if (now_ms - r->sent_ms < timeout_ms) {
            r = next;
            continue;
        }
        for (size_t i = 0; r->op == BSUB_OP_SUBSCRIBE && i < r->cap; i++) {
            char *name = r->topics[i];
            struct bsub_topic *t =
                name ? bsub_lookup(s, name, strlen(name)) : NULL;
            if (!t || t->req != r || t->state != BSUB_SENT)
                continue;
            t->req = NULL;
            if (++t->tries >= BYBIT_SUB_TRIES) {
                t->state = BSUB_FAILED;
                answer(s, BSUB_OP_SUBSCRIBE, t->topic, 0,
                       "no answer from Bybit to the subscribe request");
            } else {
                t->state = BSUB_WANT;
                again++;
            }
        }
        req_remove(s, r);
        r = next;
    }
    return again;
}

void bsub_counts(const struct bsub *s, size_t n[4])
{
    n[0] = n[1] = n[2] = n[3] = 0;
    for (size_t b = 0; b < s->nbuckets; b++)
        for (struct bsub_topic *t = s->buckets[b]; t; t = t->next)
            n[t->state]++;
}

size_t bsub_inflight(const struct bsub *s)
{
    size_t n = 0;
    for (struct bsub_req *r = s->reqs; r; r = r->next)
        n++;
    return n;
}
