/*
 * rmq-check — a small AMQP client for the rabbitmq sink's integration
 * tests: consume a queue and print every message as one JSON line
 * (properties, headers and the body), or declare a queue with chosen
 * arguments (to provoke an argument conflict).
 *
 *   rmq-check URL consume QUEUE [--count N] [--idle-ms MS] [--max-ms MS]
 *       one line per message, in queue order:
 *       {"exchange","routing_key","redelivered","content_type",
 *        "delivery_mode","message_id","timestamp","type",
 *        "headers":{...},"body":<the body: JSON as is, else a string>}
 *       Stops after N messages, or when none came for --idle-ms
 *       (default 3000), or after --max-ms (default 60000). Messages are
 *       acknowledged (removed from the queue). Exit 0, or 1 on errors.
 *   rmq-check URL declare QUEUE [KEY=VALUE ...]
 *       declare a durable queue with these arguments; a VALUE of digits
 *       is sent as a long integer, anything else as a string.
 *   rmq-check URL bench QUEUE [--count N] [--size BYTES] [--every K]
 *                             [--exchange NAME] [--like-sink]
 *       the bare rabbitmq-c publisher loop the sink is measured against:
 *       N persistent messages (default 100000) of BYTES (default 600) to
 *       a durable queue (TTL 24 h, max-length 100000, drop-head), in
 *       confirm mode, waiting for all confirms every K messages (default
 *       1000). Through the default exchange, or a topic exchange NAME
 *       bound with '#' as the sink does; --like-sink adds the sink's
 *       properties and headers. Prints messages/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <jansson.h>

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int rpc_ok(amqp_connection_state_t c, const char *what)
{
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return 1;
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *m = r.reply.decoded;
        fprintf(stderr, "rmq-check: %s: %.*s\n", what, (int)m->reply_text.len,
                (char *)m->reply_text.bytes);
    } else if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
               r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *m = r.reply.decoded;
        fprintf(stderr, "rmq-check: %s: %.*s\n", what, (int)m->reply_text.len,
                (char *)m->reply_text.bytes);
    } else {
        fprintf(stderr, "rmq-check: %s: %s\n", what,
                r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                    ? amqp_error_string2(r.library_error)
                    : "failed");
    }
    return 0;
}

static amqp_connection_state_t connect_url(const char *url)
{
    struct amqp_connection_info ci;
    char *buf = strdup(url);
    amqp_default_connection_info(&ci);
    if (!buf || amqp_parse_url(buf, &ci) != AMQP_STATUS_OK) {
        fprintf(stderr, "rmq-check: bad URL\n");
        exit(1);
    }
    if (!ci.vhost[0])
        ci.vhost = "/";
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    struct timeval tv = {10, 0};
    if (!s || amqp_socket_open_noblock(s, ci.host, ci.port, &tv) != 0) {
        fprintf(stderr, "rmq-check: cannot connect to %s:%d\n", ci.host,
                ci.port);
        exit(1);
    }
    amqp_rpc_reply_t r =
        amqp_login(c, ci.vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                   AMQP_SASL_METHOD_PLAIN, ci.user, ci.password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        fprintf(stderr, "rmq-check: login failed\n");
        exit(1);
    }
    amqp_channel_open(c, 1);
    if (!rpc_ok(c, "channel.open"))
        exit(1);
    free(buf);
    return c;
}

static json_t *bytes_json(amqp_bytes_t b)
{
    return json_stringn(b.bytes ? (const char *)b.bytes : "", b.len);
}

static json_t *field_json(const amqp_field_value_t *v)
{
    switch (v->kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
        return bytes_json(v->value.bytes);
    case AMQP_FIELD_KIND_I32:
        return json_integer(v->value.i32);
    case AMQP_FIELD_KIND_I64:
        return json_integer(v->value.i64);
    case AMQP_FIELD_KIND_BOOLEAN:
        return json_boolean(v->value.boolean);
    default:
        return json_sprintf("<kind %c>", v->kind);
    }
}

static void print_message(const amqp_envelope_t *e)
{
    const amqp_basic_properties_t *p = &e->message.properties;
    json_t *o = json_object();
    json_object_set_new(o, "exchange", bytes_json(e->exchange));
    json_object_set_new(o, "routing_key", bytes_json(e->routing_key));
    json_object_set_new(o, "redelivered", json_boolean(e->redelivered));
    if (p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
        json_object_set_new(o, "content_type", bytes_json(p->content_type));
    if (p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
        json_object_set_new(o, "delivery_mode", json_integer(p->delivery_mode));
    if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
        json_object_set_new(o, "message_id", bytes_json(p->message_id));
    if (p->_flags & AMQP_BASIC_TIMESTAMP_FLAG)
        json_object_set_new(o, "timestamp",
                            json_integer((json_int_t)p->timestamp));
    if (p->_flags & AMQP_BASIC_TYPE_FLAG)
        json_object_set_new(o, "type", bytes_json(p->type));
    if (p->_flags & AMQP_BASIC_HEADERS_FLAG) {
        json_t *h = json_object();
        for (int i = 0; i < p->headers.num_entries; i++) {
            const amqp_table_entry_t *t = &p->headers.entries[i];
            char key[256];
            snprintf(key, sizeof(key), "%.*s", (int)t->key.len,
                     (char *)t->key.bytes);
            json_object_set_new(h, key, field_json(&t->value));
        }
        json_object_set_new(o, "headers", h);
    }
    amqp_bytes_t b = e->message.body;
    json_t *body = json_loadb(b.bytes, b.len, JSON_DECODE_ANY, NULL);
    json_object_set_new(o, "body", body ? body : bytes_json(b));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(line);
    free(line);
    json_decref(o);
}

static int cmd_consume(amqp_connection_state_t c, const char *queue, int argc,
                       char **argv)
{
    long count = -1, idle_ms = 3000, max_ms = 60000;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--count"))
            count = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--idle-ms"))
            idle_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-ms"))
            max_ms = atol(argv[i + 1]);
        else {
            fprintf(stderr, "rmq-check: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    amqp_basic_qos(c, 1, 0, 2000, 0);
    if (!rpc_ok(c, "basic.qos"))
        return 1;
    amqp_basic_consume(c, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 1,
                       0, amqp_empty_table);
    if (!rpc_ok(c, "basic.consume"))
        return 1;
    int64_t start = now_ms(), last = start;
    long got = 0;
    while (count < 0 || got < count) {
        int64_t now = now_ms();
        if (now - last >= idle_ms || now - start >= max_ms)
            break;
        struct timeval tv = {0, 100000};
        amqp_envelope_t e;
        amqp_maybe_release_buffers(c);
        amqp_rpc_reply_t r = amqp_consume_message(c, &e, &tv, 0);
        if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
            r.library_error == AMQP_STATUS_TIMEOUT)
            continue;
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            fprintf(stderr, "rmq-check: consume failed\n");
            return 1;
        }
        print_message(&e);
        amqp_destroy_envelope(&e);
        got++;
        last = now_ms();
    }
    fflush(stdout);
    fprintf(stderr, "rmq-check: %ld messages from %s\n", got, queue);
    return 0;
}

static int cmd_declare(amqp_connection_state_t c, const char *queue, int argc,
                       char **argv)
{
    amqp_table_entry_t e[16];
    int n = 0;
    for (int i = 0; i < argc && n < 16; i++, n++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "rmq-check: expected KEY=VALUE, got %s\n", argv[i]);
            return 1;
        }
        *eq = '\0';
        e[n].key = amqp_cstring_bytes(argv[i]);
        const char *v = eq + 1;
        if (*v && strspn(v, "0123456789") == strlen(v)) {
            e[n].value.kind = AMQP_FIELD_KIND_I64;
            e[n].value.value.i64 = atoll(v);
        } else {
            e[n].value.kind = AMQP_FIELD_KIND_UTF8;
            e[n].value.value.bytes = amqp_cstring_bytes(v);
        }
    }
    amqp_table_t args = {n, e};
    amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, args);
    return rpc_ok(c, "queue.declare") ? 0 : 1;
}

/* Wait until every message up to `last` is confirmed. */
static int wait_confirms(amqp_connection_state_t c, uint64_t last)
{
    uint64_t confirmed = 0;
    while (confirmed < last) {
        amqp_frame_t f;
        if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK)
            return 0;
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            if (a->multiple || a->delivery_tag == confirmed + 1)
                confirmed = a->delivery_tag;
        } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            fprintf(stderr, "rmq-check: nack\n");
            return 0;
        }
    }
    amqp_maybe_release_buffers(c);
    return 1;
}

static int cmd_bench(amqp_connection_state_t c, const char *queue, int argc,
                     char **argv)
{
    long count = 100000, size = 600, every = 1000;
    const char *exchange = NULL;
    int like_sink = 0;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "0";
        if (!strcmp(argv[i], "--count"))
            count = atol(v), i++;
        else if (!strcmp(argv[i], "--size"))
            size = atol(v), i++;
        else if (!strcmp(argv[i], "--every"))
            every = atol(v), i++;
        else if (!strcmp(argv[i], "--exchange"))
            exchange = v, i++;
        else if (!strcmp(argv[i], "--like-sink"))
            like_sink = 1;
        else {
            fprintf(stderr, "rmq-check: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    if (count < 1 || size < 1 || every < 1) {
        fprintf(stderr, "rmq-check: --count, --size, --every must be > 0\n");
        return 1;
    }
    amqp_table_entry_t e[3] = {
        {amqp_cstring_bytes("x-message-ttl"),
         {.kind = AMQP_FIELD_KIND_I64, .value.i64 = 86400000}},
        {amqp_cstring_bytes("x-max-length"),
         {.kind = AMQP_FIELD_KIND_I64, .value.i64 = 100000}},
        {amqp_cstring_bytes("x-overflow"),
         {.kind = AMQP_FIELD_KIND_UTF8,
          .value.bytes = amqp_cstring_bytes("drop-head")}}};
    amqp_table_t args = {3, e};
    amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, args);
    if (!rpc_ok(c, "queue.declare"))
        return 1;
    amqp_bytes_t ex = amqp_empty_bytes, key = amqp_cstring_bytes(queue);
    if (exchange) {
        ex = amqp_cstring_bytes(exchange);
        key = amqp_cstring_bytes("trades.linear.BTCUSDT");
        amqp_exchange_declare(c, 1, ex, amqp_cstring_bytes("topic"), 0, 1, 0, 0,
                              amqp_empty_table);
        if (!rpc_ok(c, "exchange.declare"))
            return 1;
        amqp_queue_bind(c, 1, amqp_cstring_bytes(queue), ex,
                        amqp_cstring_bytes("#"), amqp_empty_table);
        if (!rpc_ok(c, "queue.bind"))
            return 1;
    }
    amqp_confirm_select(c, 1);
    if (!rpc_ok(c, "confirm.select"))
        return 1;
    char *body = malloc((size_t)size);
    if (!body)
        return 1;
    memset(body, 'x', (size_t)size);
    amqp_bytes_t b = {(size_t)size, body};
    amqp_basic_properties_t p = {
        ._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG,
        .delivery_mode = 2,
        .content_type = amqp_cstring_bytes("application/json")};
    /* The properties and headers the sink sets (rmq_message.h). */
    amqp_table_entry_t h[3] = {
        {amqp_cstring_bytes("event_type"),
         {.kind = AMQP_FIELD_KIND_UTF8,
          .value.bytes = amqp_cstring_bytes("trade")}},
        {amqp_cstring_bytes("topic"),
         {.kind = AMQP_FIELD_KIND_UTF8,
          .value.bytes = amqp_cstring_bytes("publicTrade.BTCUSDT")}},
        {amqp_cstring_bytes("trace_id"),
         {.kind = AMQP_FIELD_KIND_UTF8,
          .value.bytes =
              amqp_cstring_bytes("0123456789abcdef0123456789abcdef")}}};
    if (like_sink) {
        p._flags |= AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
                    AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
        p.headers = (amqp_table_t){3, h};
        p.message_id =
            amqp_cstring_bytes("093550a0-bd98-4af6-a076-397a371fff89");
        p.type = amqp_cstring_bytes("trade");
        p.timestamp = (uint64_t)(now_ms() / 1000);
    }
    int64_t start = now_ms();
    for (long i = 1; i <= count; i++) {
        if (amqp_basic_publish(c, 1, ex, key, 0, 0, &p, b) != 0) {
            fprintf(stderr, "rmq-check: publish failed\n");
            return 1;
        }
        if ((i % every == 0 || i == count) && !wait_confirms(c, (uint64_t)i))
            return 1;
    }
    int64_t ms = now_ms() - start;
    printf("%ld messages of %ld bytes%s%s, confirms every %ld: %.0f msg/s\n",
           count, size, exchange ? " via a topic exchange" : "",
           like_sink ? " with the sink's headers" : "", every,
           ms > 0 ? count * 1000.0 / (double)ms : 0.0);
    free(body);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: rmq-check URL consume QUEUE [--count N] "
                        "[--idle-ms MS] [--max-ms MS]\n"
                        "       rmq-check URL declare QUEUE [KEY=VALUE ...]\n"
                        "       rmq-check URL bench QUEUE [--count N] "
                        "[--size BYTES] [--every K] [--exchange NAME] "
                        "[--like-sink]\n");
        return 2;
    }
    amqp_connection_state_t c = connect_url(argv[1]);
    int rc;
    if (!strcmp(argv[2], "consume"))
        rc = cmd_consume(c, argv[3], argc - 4, argv + 4);
    else if (!strcmp(argv[2], "bench"))
        rc = cmd_bench(c, argv[3], argc - 4, argv + 4);
    else if (!strcmp(argv[2], "declare"))
        rc = cmd_declare(c, argv[3], argc - 4, argv + 4);
    else {
        fprintf(stderr, "rmq-check: unknown command %s\n", argv[2]);
        rc = 2;
    }
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
    return rc;
}
