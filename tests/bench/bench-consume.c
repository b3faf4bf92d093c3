/*
 * bench-consume — the benchmark's consumer: reads the gateway's events
 * (JSON lines from the file sink, through a FIFO or a file, or messages
 * from a RabbitMQ queue) and accounts for every event by the sequence
 * number and send stamp the simulator embeds ("seq-ns" in a trade's "i",
 * else in "_sim").
 *
 *   bench-consume --file PATH [options]          read PATH to EOF (a FIFO:
 *                                                until the writer closes)
 *   bench-consume --amqp URL --queue Q [options] consume Q (auto-ack)
 *
 * options:
 *   --expect FILE     the simulator's /stats JSON
 * ({"topics":{T:{"events":N}}}), read at the end: events it sent that never
 * arrived are counted as lost
 *   --idle-ms MS      stop after MS without a message once one came
 *                     (AMQP; default 3000)
 *   --max-ms MS       stop after MS in any case (default 600000)
 *   --save FILE       write the first --save-max lines (default 100000)
 *                     verbatim to FILE (the bare publisher's input)
 *   --declare         (AMQP) declare the queue first, durable, with the
 *                     rabbitmq sink's default arguments, so consuming can
 *                     start before the gateway has connected
 *
 * Prints one JSON object: events, topics, distinct, duplicates,
 * out_of_order (an event whose sequence number is below one already seen
 * on its topic), lost, untagged, first_ns/last_ns (arrival of the first
 * and last event), events_per_s over that span, and latency percentiles
 * (arrival minus the simulator's send stamp, in microseconds; the clock is
 * CLOCK_REALTIME on one machine).
 *
 * Events are stamped on arrival per read(2) or per AMQP message, so
 * parsing never adds to the latency measured. The scan is a few memmem()
 * calls per line: the consumer must outrun the gateway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <jansson.h>

/* ---- per-topic accounting ------------------------------------------ */

struct topic {
    char *name;
    uint64_t count;
    uint64_t distinct;
    uint64_t max_seq;
    uint8_t *seen; /* bit per sequence number */
    size_t seen_bytes;
    struct topic *next; /* hash chain */
};

#define NBUCKETS 4096
static struct topic *buckets[NBUCKETS];
static size_t ntopics;

static struct {
    uint64_t events, untagged, dups, ooo;
    uint64_t first_ns, last_ns;
    uint32_t *lat; /* microseconds */
    size_t nlat, caplat;
    FILE *save;
    long save_left;
} g;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "bench-consume: out of memory\n");
        exit(1);
    }
    return q;
}

static struct topic *topic_get(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    struct topic **b = &buckets[h % NBUCKETS];
    for (struct topic *t = *b; t; t = t->next)
        if (strlen(t->name) == n && memcmp(t->name, p, n) == 0)
            return t;
    struct topic *t = xrealloc(NULL, sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->name = xrealloc(NULL, n + 1);
    memcpy(t->name, p, n);
    t->name[n] = '\0';
    t->next = *b;
    *b = t;
    ntopics++;
    return t;
}

static void seq_seen(struct topic *t, uint64_t seq)
{
    size_t byte = (size_t)(seq >> 3);
    if (byte >= t->seen_bytes) {
        size_t nb = t->seen_bytes ? t->seen_bytes : 4096;
        while (nb <= byte)
            nb *= 2;
        t->seen = xrealloc(t->seen, nb);
        memset(t->seen + t->seen_bytes, 0, nb - t->seen_bytes);
        t->seen_bytes = nb;
    }
    uint8_t bit = (uint8_t)(1u << (seq & 7));
    t->count++;
    if (t->seen[byte] & bit) {
        g.dups++;
        return;
    }
    t->seen[byte] |= bit;
    t->distinct++;
    if (seq < t->max_seq)
        g.ooo++;
    else
        t->max_seq = seq;
}

static void lat_add(uint64_t arrival, uint64_t sent)
{
    if (g.nlat == g.caplat) {
        g.caplat = g.caplat ? g.caplat * 2 : 1 << 20;
        g.lat = xrealloc(g.lat, g.caplat * sizeof(*g.lat));
    }
    uint64_t us = arrival > sent ? (arrival - sent) / 1000 : 0;
    g.lat[g.nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Parse "seq-ns" at p (after the opening quote). */
static int parse_tag(const char *p, const char *end, uint64_t *seq,
                     uint64_t *ns)
{
    uint64_t a = 0, b = 0;
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9')
        a = a * 10 + (uint64_t)(*q++ - '0');
    if (q == p || q >= end || *q != '-')
        return -1;
    const char *r = ++q;
    while (q < end && *q >= '0' && *q <= '9')
        b = b * 10 + (uint64_t)(*q++ - '0');
    if (q == r || q >= end || *q != '"')
        return -1;
    *seq = a;
    *ns = b;
    return 0;
}

/* One event (an envelope): its topic and every tag in its payload. */
static void on_event(const char *s, size_t len, uint64_t arrival)
{
    const char *end = s + len;
    const char *tp = memmem(s, len, "\"topic\":\"", 9);
    if (g.save && g.save_left > 0) {
        fwrite(s, 1, len, g.save);
        fputc('\n', g.save);
        g.save_left--;
    }
    if (!tp) {
        g.untagged++;
        return;
    }
    tp += 9;
    const char *te = memchr(tp, '"', (size_t)(end - tp));
    if (!te) {
        g.untagged++;
        return;
    }
    struct topic *t = topic_get(tp, (size_t)(te - tp));
    const char *pl = memmem(te, (size_t)(end - te), "\"payload\":", 10);
    const char *from = pl ? pl : te;
    const char *key = "\"_sim\":\"";
    size_t klen = 8;
    if (!memmem(from, (size_t)(end - from), key, klen)) {
        key = "\"i\":\"";
        klen = 5;
    }
    int tagged = 0;
    for (const char *p = from;
         (p = memmem(p, (size_t)(end - p), key, klen)) != NULL;) {
        uint64_t seq, ns;
        p += klen;
        if (parse_tag(p, end, &seq, &ns) < 0)
            continue;
        tagged = 1;
        seq_seen(t, seq);
        lat_add(arrival, ns);
    }
    if (!tagged) {
        g.untagged++;
        return;
    }
    g.events++;
    if (!g.first_ns)
        g.first_ns = arrival;
    g.last_ns = arrival;
}

/* ---- sources --------------------------------------------------------- */

static int read_file(const char *path, uint64_t max_ms)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "bench-consume: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4 << 20, have = 0;
    char *buf = xrealloc(NULL, cap);
    uint64_t deadline = mono_ms() + max_ms;
    for (;;) {
        if (have == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t n = read(fd, buf + have, cap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        uint64_t arrival = now_ns();
        have += (size_t)n;
        size_t off = 0;
        for (;;) {
            char *nl = memchr(buf + off, '\n', have - off);
            if (!nl)
                break;
            on_event(buf + off, (size_t)(nl - (buf + off)), arrival);
            off = (size_t)(nl - buf) + 1;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        if (mono_ms() > deadline)
            break;
    }
    if (have)
        on_event(buf, have, now_ns());
    free(buf);
    close(fd);
    return 0;
}

/* r: what an RPC returned (amqp_login) or amqp_get_rpc_reply(). */
static int amqp_ok(amqp_rpc_reply_t r, const char *what)
{
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return 1;
    fprintf(stderr, "bench-consume: %s failed (%s)\n", what,
            r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                ? amqp_error_string2(r.library_error)
                : "server exception");
    return 0;
}

/* The sink's default queue arguments: 24 h TTL, 100000 max, drop-head. */
static void declare_queue(amqp_connection_state_t c, const char *queue)
{
    amqp_table_entry_t a[3];
    a[0].key = amqp_cstring_bytes("x-message-ttl");
    a[0].value.kind = AMQP_FIELD_KIND_I64;
    a[0].value.value.i64 = 86400000;
    a[1].key = amqp_cstring_bytes("x-max-length");
    a[1].value.kind = AMQP_FIELD_KIND_I64;
    a[1].value.value.i64 = 100000;
    a[2].key = amqp_cstring_bytes("x-overflow");
    a[2].value.kind = AMQP_FIELD_KIND_UTF8;
    a[2].value.value.bytes = amqp_cstring_bytes("drop-head");
    amqp_table_t t = {3, a};
    amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, t);
}

static int read_amqp(const char *url, const char *queue, int declare,
                     uint64_t idle_ms, uint64_t max_ms)
{
    struct amqp_connection_info ci;
    char *u = strdup(url);
    amqp_default_connection_info(&ci);
    if (!u || amqp_parse_url(u, &ci) != AMQP_STATUS_OK) {
        fprintf(stderr, "bench-consume: bad URL\n");
        return -1;
    }
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    if (!s || amqp_socket_open(s, ci.host, ci.port) != AMQP_STATUS_OK) {
        fprintf(stderr, "bench-consume: cannot connect to %s:%d\n", ci.host,
                ci.port);
        return -1;
    }
    if (!amqp_ok(amqp_login(c, ci.vhost[0] ? ci.vhost : "/", 0, 131072, 0,
                            AMQP_SASL_METHOD_PLAIN, ci.user, ci.password),
                 "login"))
        return -1;
    amqp_channel_open(c, 1);
    if (!amqp_ok(amqp_get_rpc_reply(c), "channel.open"))
        return -1;
    if (declare) {
        declare_queue(c, queue);
        if (!amqp_ok(amqp_get_rpc_reply(c), "queue.declare"))
            return -1;
    }
    amqp_basic_consume(c, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0,
                       1 /* no_ack */, 0, amqp_empty_table);
    if (!amqp_ok(amqp_get_rpc_reply(c), "basic.consume"))
        return -1;
    fprintf(stderr, "bench-consume: consuming %s\n", queue);

    uint64_t start = mono_ms(), last = 0;
    for (;;) {
        struct timeval tv = {0, 200000};
        amqp_envelope_t env;
        amqp_maybe_release_buffers(c);
        amqp_rpc_reply_t r = amqp_consume_message(c, &env, &tv, 0);
        uint64_t now = mono_ms();
        if (r.reply_type == AMQP_RESPONSE_NORMAL) {
            on_event(env.message.body.bytes, env.message.body.len, now_ns());
            amqp_destroy_envelope(&env);
            last = now;
        } else if (!(r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                     r.library_error == AMQP_STATUS_TIMEOUT)) {
            fprintf(stderr, "bench-consume: consume failed\n");
            break;
        }
        if (last && now - last > idle_ms)
            break;
        if (now - start > max_ms)
            break;
    }
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
    free(u);
    return 0;
}

/* ---- results --------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static json_t *pct(double q)
{
    if (!g.nlat)
        return json_null();
    size_t i = (size_t)(q * (double)(g.nlat - 1) + 0.5);
    return json_integer(g.lat[i]);
}

/* Events the simulator sent that never arrived, per its /stats. */
static int64_t count_lost(const char *expect, json_t *out)
{
    json_error_t e;
    json_t *st = json_load_file(expect, 0, &e);
    if (!st) {
        fprintf(stderr, "bench-consume: %s: %s\n", expect, e.text);
        return -1;
    }
    int64_t lost = 0, sent = 0;
    json_t *missing = json_object();
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(st, "topics"), name, v)
    {
        json_int_t n = json_integer_value(json_object_get(v, "events"));
        struct topic *t = topic_get(name, strlen(name));
        sent += n;
        if ((json_int_t)t->distinct < n) {
            lost += n - (json_int_t)t->distinct;
            if (json_object_size(missing) < 20)
                json_object_set_new(missing, name,
                                    json_integer(n - (json_int_t)t->distinct));
        }
    }
    json_object_set_new(out, "sent", json_integer(sent));
    json_object_set_new(out, "lost_by_topic", missing);
    json_decref(st);
    return lost;
}

static void usage(void)
{
    fputs("usage: bench-consume (--file PATH | --amqp URL --queue Q) "
          "[--declare] [--expect STATS.json] [--idle-ms MS] [--max-ms MS] "
          "[--save FILE [--save-max N]]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *file = NULL, *url = NULL, *queue = NULL, *expect = NULL;
    const char *save = NULL;
    int declare = 0;
    uint64_t idle_ms = 3000, max_ms = 600000;
    long save_max = 100000;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--declare")) {
            declare = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--file"))
            file = v;
        else if (!strcmp(a, "--amqp"))
            url = v;
        else if (!strcmp(a, "--queue"))
            queue = v;
        else if (!strcmp(a, "--expect"))
            expect = v;
        else if (!strcmp(a, "--idle-ms"))
            idle_ms = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--max-ms"))
            max_ms = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--save"))
            save = v;
        else if (!strcmp(a, "--save-max"))
            save_max = strtol(v, NULL, 10);
        else
            usage();
        i++;
    }
    if (!file == !url || (url && !queue))
        usage();
    if (save) {
        g.save = fopen(save, "w");
        if (!g.save) {
            fprintf(stderr, "bench-consume: %s: %s\n", save, strerror(errno));
            return 1;
        }
        g.save_left = save_max;
    }
    int rc = file ? read_file(file, max_ms)
                  : read_amqp(url, queue, declare, idle_ms, max_ms);
    if (g.save)
        fclose(g.save);
    if (rc < 0)
        return 1;

    json_t *out = json_object();
    int64_t lost = expect ? count_lost(expect, out) : -1;
    uint64_t distinct = 0;
    for (size_t b = 0; b < NBUCKETS; b++)
        for (struct topic *t = buckets[b]; t; t = t->next)
            distinct += t->distinct;
    qsort(g.lat, g.nlat, sizeof(*g.lat), cmp_u32);
    double span =
        g.last_ns > g.first_ns ? (double)(g.last_ns - g.first_ns) / 1e9 : 0.0;
    json_object_set_new(out, "events", json_integer((json_int_t)g.events));
    json_object_set_new(out, "tags", json_integer((json_int_t)g.nlat));
    json_object_set_new(out, "topics", json_integer((json_int_t)ntopics));
    json_object_set_new(out, "distinct", json_integer((json_int_t)distinct));
    json_object_set_new(out, "duplicates", json_integer((json_int_t)g.dups));
    json_object_set_new(out, "out_of_order", json_integer((json_int_t)g.ooo));
    json_object_set_new(out, "untagged", json_integer((json_int_t)g.untagged));
    json_object_set_new(out, "lost",
                        lost >= 0 ? json_integer(lost) : json_null());
    json_object_set_new(out, "first_ns", json_integer((json_int_t)g.first_ns));
    json_object_set_new(out, "last_ns", json_integer((json_int_t)g.last_ns));
    json_object_set_new(out, "span_s", json_real(span));
    json_object_set_new(out, "events_per_s",
                        span > 0 ? json_real((double)g.nlat / span)
                                 : json_null());
    json_object_set_new(out, "lat_p50_us", pct(0.50));
    json_object_set_new(out, "lat_p99_us", pct(0.99));
    json_object_set_new(out, "lat_p999_us", pct(0.999));
    json_object_set_new(out, "lat_max_us", pct(1.0));
    char *text = json_dumps(out, JSON_COMPACT);
    puts(text ? text : "{}");
    free(text);
    json_decref(out);
    return 0;
}
