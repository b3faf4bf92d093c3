/*
 * bench-publish — the physical-limit row of the RabbitMQ benchmark: a bare
 * rabbitmq-c publisher loop that sends the gateway's own message bytes
 * with the same properties, persistence, topology and confirm window as
 * the rabbitmq sink, and nothing else (no core queue, no threads, no
 * envelope building).
 *
 *   bench-publish URL FILE [--seconds S] [--window N] [--exchange X]
 *                 [--queue Q]
 *
 * FILE holds event envelopes, one per line (bench-consume --save writes
 * them from a run of the gateway); they are published in a loop for S
 * seconds (default 10). Like the sink: a durable topic exchange X
 * (default bench.bare) bound with "#" to a durable queue Q (default
 * bench.bare) declared with x-message-ttl 24 h, x-max-length 100000,
 * x-overflow drop-head; routing key trades.linear.SYMBOL; content_type
 * application/json, delivery_mode 2, message_id, timestamp, type and the
 * headers event_type, topic, trace_id taken from each envelope; confirm
 * mode with at most N (default 1000, the sink's confirm_window)
 * unconfirmed messages, publishing while there is room, then reading every
 * confirm that has arrived (waiting only when the window is full).
 *
 * Prints one JSON object: published, confirmed, nacked, seconds,
 * confirmed_per_s, cpu_s (this process), bytes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <jansson.h>

struct msg {
    amqp_bytes_t body;
    char id[64], type[32], topic[128], trace[64], key[160];
    int64_t ts_s;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* r: what an RPC returned (amqp_login) or amqp_get_rpc_reply(). */
static int ok(amqp_rpc_reply_t r, const char *what)
{
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return 1;
    fprintf(stderr, "bench-publish: %s failed (%s)\n", what,
            r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                ? amqp_error_string2(r.library_error)
                : "server exception");
    return 0;
}

static void copy_str(char *dst, size_t n, json_t *v)
{
    snprintf(dst, n, "%s", json_string_value(v) ? json_string_value(v) : "");
}

static struct msg *load(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return NULL;
    }
    struct msg *m = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        json_t *j = json_loadb(line, (size_t)len, 0, NULL);
        if (!j)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            m = realloc(m, cap * sizeof(*m));
            if (!m)
                exit(1);
        }
        struct msg *x = &m[n++];
        memset(x, 0, sizeof(*x));
        x->body.len = (size_t)len;
        x->body.bytes = malloc((size_t)len);
        memcpy(x->body.bytes, line, (size_t)len);
        copy_str(x->id, sizeof(x->id), json_object_get(j, "event_id"));
        copy_str(x->type, sizeof(x->type), json_object_get(j, "event_type"));
        copy_str(x->topic, sizeof(x->topic), json_object_get(j, "topic"));
        copy_str(x->trace, sizeof(x->trace), json_object_get(j, "trace_id"));
        const char *dot = strchr(x->topic, '.');
        snprintf(x->key, sizeof(x->key), "trades.linear.%s",
                 dot ? dot + 1 : "_");
        x->ts_s = (int64_t)time(NULL);
        json_decref(j);
    }
    free(line);
    fclose(f);
    *count = n;
    return m;
}

static amqp_table_entry_t header(const char *k, const char *v)
{
    amqp_table_entry_t e;
    e.key = amqp_cstring_bytes(k);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = amqp_cstring_bytes(v);
    return e;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: bench-publish URL FILE [--seconds S] [--window N] "
              "[--exchange X] [--queue Q]\n",
              stderr);
        return 2;
    }
    const char *url = argv[1], *file = argv[2];
    const char *exchange = "bench.bare", *queue = "bench.bare";
    double seconds = 10;
    uint64_t window = 1000;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--window"))
            window = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--exchange"))
            exchange = argv[i + 1];
        else if (!strcmp(argv[i], "--queue"))
            queue = argv[i + 1];
    }
    size_t nmsg;
    struct msg *msgs = load(file, &nmsg);
    if (!msgs || !nmsg) {
        fprintf(stderr, "bench-publish: no events in %s\n", file);
        return 1;
    }

    struct amqp_connection_info ci;
    char *u = strdup(url);
    amqp_default_connection_info(&ci);
    if (amqp_parse_url(u, &ci) != AMQP_STATUS_OK) {
        fprintf(stderr, "bench-publish: bad URL\n");
        return 1;
    }
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    if (!s || amqp_socket_open(s, ci.host, ci.port) != AMQP_STATUS_OK) {
        fprintf(stderr, "bench-publish: cannot connect\n");
        return 1;
    }
    if (!ok(amqp_login(c, ci.vhost[0] ? ci.vhost : "/", 0, 131072, 30,
                       AMQP_SASL_METHOD_PLAIN, ci.user, ci.password),
            "login"))
        return 1;
    amqp_channel_open(c, 1);
    if (!ok(amqp_get_rpc_reply(c), "channel.open"))
        return 1;
    amqp_exchange_declare(c, 1, amqp_cstring_bytes(exchange),
                          amqp_cstring_bytes("topic"), 0, 1, 0, 0,
                          amqp_empty_table);
    if (!ok(amqp_get_rpc_reply(c), "exchange.declare"))
        return 1;
    amqp_table_entry_t qargs[3];
    qargs[0].key = amqp_cstring_bytes("x-message-ttl");
    qargs[0].value.kind = AMQP_FIELD_KIND_I64;
    qargs[0].value.value.i64 = 86400000;
    qargs[1].key = amqp_cstring_bytes("x-max-length");
    qargs[1].value.kind = AMQP_FIELD_KIND_I64;
    qargs[1].value.value.i64 = 100000;
    qargs[2].key = amqp_cstring_bytes("x-overflow");
    qargs[2].value.kind = AMQP_FIELD_KIND_UTF8;
    qargs[2].value.value.bytes = amqp_cstring_bytes("drop-head");
    amqp_table_t qt = {3, qargs};
    amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, qt);
    if (!ok(amqp_get_rpc_reply(c), "queue.declare"))
        return 1;
    amqp_queue_bind(c, 1, amqp_cstring_bytes(queue),
                    amqp_cstring_bytes(exchange), amqp_cstring_bytes("#"),
                    amqp_empty_table);
    if (!ok(amqp_get_rpc_reply(c), "queue.bind"))
        return 1;
    amqp_confirm_select(c, 1);
    if (!ok(amqp_get_rpc_reply(c), "confirm.select"))
        return 1;

    uint64_t published = 0, confirmed = 0, nacked = 0, bytes = 0;
    double t0 = mono_s(), end = t0 + seconds;
    int stopping = 0;
    size_t next = 0;
    for (;;) {
        if (!stopping && mono_s() >= end)
            stopping = 1;
        if (stopping && confirmed + nacked >= published)
            break;
        while (!stopping && published - confirmed - nacked < window) {
            struct msg *m = &msgs[next];
            next = (next + 1) % nmsg;
            amqp_table_entry_t h[3] = {header("event_type", m->type),
                                       header("topic", m->topic),
                                       header("trace_id", m->trace)};
            amqp_basic_properties_t p;
            memset(&p, 0, sizeof(p));
            p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
                       AMQP_BASIC_DELIVERY_MODE_FLAG |
                       AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                       AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
            p.content_type = amqp_cstring_bytes("application/json");
            p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
            p.message_id = amqp_cstring_bytes(m->id);
            p.timestamp = (uint64_t)m->ts_s;
            p.type = amqp_cstring_bytes(m->type);
            p.headers.num_entries = 3;
            p.headers.entries = h;
            int st = amqp_basic_publish(c, 1, amqp_cstring_bytes(exchange),
                                        amqp_cstring_bytes(m->key), 0, 0, &p,
                                        m->body);
            if (st != AMQP_STATUS_OK) {
                fprintf(stderr, "bench-publish: publish: %s\n",
                        amqp_error_string2(st));
                return 1;
            }
            published++;
            bytes += m->body.len;
        }
        /* wait for the first confirm only when nothing else can be done */
        struct timeval wait = {0, 200000}, zero = {0, 0};
        for (int first = 1;; first = 0) {
            amqp_frame_t f;
            int st =
                amqp_simple_wait_frame_noblock(c, &f, first ? &wait : &zero);
            if (st == AMQP_STATUS_TIMEOUT)
                break;
            if (st != AMQP_STATUS_OK) {
                fprintf(stderr, "bench-publish: %s\n", amqp_error_string2(st));
                return 1;
            }
            if (f.frame_type != AMQP_FRAME_METHOD)
                continue;
            if (f.payload.method.id == AMQP_BASIC_ACK_METHOD ||
                f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
                int is_ack = f.payload.method.id == AMQP_BASIC_ACK_METHOD;
                uint64_t tag =
                    is_ack ? ((amqp_basic_ack_t *)f.payload.method.decoded)
                                 ->delivery_tag
                           : ((amqp_basic_nack_t *)f.payload.method.decoded)
                                 ->delivery_tag;
                int multiple =
                    is_ack ? ((amqp_basic_ack_t *)f.payload.method.decoded)
                                 ->multiple
                           : ((amqp_basic_nack_t *)f.payload.method.decoded)
                                 ->multiple;
                uint64_t done = confirmed + nacked;
                uint64_t n = multiple ? (tag > done ? tag - done : 0) : 1;
                if (is_ack)
                    confirmed += n;
                else
                    nacked += n;
            } else if (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
                       f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
                fprintf(stderr, "bench-publish: the broker closed us\n");
                return 1;
            }
        }
        amqp_maybe_release_buffers(c);
    }
    double secs = mono_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
    printf("{\"published\":%llu,\"confirmed\":%llu,\"nacked\":%llu,"
           "\"seconds\":%.3f,\"confirmed_per_s\":%.1f,\"cpu_s\":%.3f,"
           "\"bytes\":%llu,\"distinct_messages\":%zu}\n",
           (unsigned long long)published, (unsigned long long)confirmed,
           (unsigned long long)nacked, secs, (double)confirmed / secs, cpu,
           (unsigned long long)bytes, nmsg);
    for (size_t i = 0; i < nmsg; i++)
        free(msgs[i].body.bytes);
    free(msgs);
    free(u);
    return 0;
}
