/*
 * rabbitmq.c — the rabbitmq sink: events to durable RabbitMQ queues by
 * class, through one topic exchange per class, with publisher confirms.
 *
 * create parses and validates (URL, templates, consumer groups) and
 * allocates; start starts the publishing thread (rmq_sink.c), which
 * connects on its own, so a broker that is down at start-up delays
 * delivery but not the daemon; stop waits for outstanding confirms up to
 * stop_timeout and ends the thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np, pthread_setname_np */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <amqp_ssl_socket.h>

#include "rmq_conf.h"
#include "rmq_sink.h"

static void qarg(struct rmq_sink *s, const char *key, int64_t v)
{
    amqp_table_entry_t *e = &s->qarg_entries[s->qargs.num_entries++];
    e->key = amqp_cstring_bytes(key);
    e->value.kind = AMQP_FIELD_KIND_I64;
    e->value.value.i64 = v;
}

/* The queue arguments every declared queue carries. */
static void build_qargs(struct rmq_sink *s)
{
    const struct rmq_conf *c = s->conf;
    s->qargs.entries = s->qarg_entries;
    s->qargs.num_entries = 0;
    if (c->message_ttl_ms > 0)
        qarg(s, "x-message-ttl", c->message_ttl_ms);
    if (c->max_length > 0)
        qarg(s, "x-max-length", c->max_length);
    if (c->max_length_bytes > 0)
        qarg(s, "x-max-length-bytes", c->max_length_bytes);
    amqp_table_entry_t *e = &s->qarg_entries[s->qargs.num_entries++];
    e->key = amqp_cstring_bytes("x-overflow");
    e->value.kind = AMQP_FIELD_KIND_UTF8;
    e->value.value.bytes = amqp_cstring_bytes(rmq_overflow_name(c->overflow));
}

static int check_tls(const struct rmq_conf *c, const struct rmq_url *u,
                     struct wsgw_err *err)
{
    const char *tls_opt = c->ca_file     ? "ca_file"
                          : c->cert_file ? "cert_file"
                          : c->key_file  ? "key_file"
                                         : NULL;
    if (tls_opt && !u->info.ssl)
        return wsgw_err_set(err, NULL,
                            "option '%s' needs an amqps:// url (the url is "
                            "amqp://, not encrypted)",
                            tls_opt);
    if (!c->cert_file != !c->key_file)
        return wsgw_err_set(err, NULL,
                            "options 'cert_file' and 'key_file' go together");
    return WSGW_OK;
}

static void rmq_destroy(void *ctx);

/*
 * Instances with an amqps:// URL. rabbitmq-c sets up process-wide TLS
 * state (its BIO method) on the first TLS socket and frees it only in
 * amqp_uninitialize_ssl_library(): the last such instance calls it.
 * Instances are created and destroyed on the loop thread only.
 */
static int tls_instances;

static int rmq_create(struct wsgw_instance *in, const void *conf, void **ctx,
                      struct wsgw_err *err)
{
    const struct rmq_conf *c = conf;
    struct rmq_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return wsgw_err_set(err, NULL, "out of memory");
    s->in = in;
    s->conf = c;
    s->sockfd = -1;
    *ctx = s;

    if (rmq_url_parse(c->url, &s->url, err) != WSGW_OK ||
        check_tls(c, &s->url, err) != WSGW_OK ||
        rmq_topology_build(c, &s->topo, err) != WSGW_OK)
        goto fail;
    if (s->topo.declare_routed)
        s->topo.declare_mask |= wsgw_sink_classes(in);
    if (c->reconnect_max_ms < c->reconnect_min_ms) {
        wsgw_err_set(err, NULL,
                     "option 'reconnect_max' must not be less than "
                     "'reconnect_min'");
        goto fail;
    }
    if (s->url.info.ssl) {
        s->uses_tls = 1;
        tls_instances++;
    }
    for (int cls = 0; cls < WSGW_CLASS_COUNT; cls++)
        s->exchange[cls] = amqp_cstring_bytes(s->topo.cls[cls].exchange);
    build_qargs(s);

    snprintf(s->conn_name, sizeof(s->conn_name), "wsgw %s",
             wsgw_instance_name(in));
    s->copts = (struct rmq_conn_opts){
        .url = &s->url,
        .heartbeat_s = (int)((c->heartbeat_ms + 999) / 1000),
        .timeout_ms = c->connect_timeout_ms,
        .ca_file = c->ca_file,
        .cert_file = c->cert_file,
        .key_file = c->key_file,
        .verify_hostname = c->verify_hostname,
        .conn_name = s->conn_name,
    };

    size_t cap = (size_t)c->confirm_window;
    s->batch = calloc(cap, sizeof(*s->batch));
    s->done = calloc(cap, sizeof(*s->done));
    if (!s->batch || !s->done || rmq_window_init(&s->win, cap) != 0) {
        wsgw_err_set(err, NULL, "out of memory");
        goto fail;
    }
    return WSGW_OK;
fail:
    rmq_destroy(s);
    *ctx = NULL;
    return WSGW_ERR;
}

static void make_metrics(struct rmq_sink *s)
{
    char l[200];
    snprintf(l, sizeof(l), "sink=\"%s\"", wsgw_instance_name(s->in));
    s->m.published = wsgw_counter("wsgw_rabbitmq_published_total",
                                  "Messages published (including again)", l);
    s->m.confirmed = wsgw_counter("wsgw_rabbitmq_confirmed_total",
                                  "Messages confirmed by the broker", l);
    s->m.republished =
        wsgw_counter("wsgw_rabbitmq_republished_total",
                     "Messages published again after a nack or a lost "
                     "connection",
                     l);
    s->m.nacked =
        wsgw_counter("wsgw_rabbitmq_nacked_total",
                     "Messages refused by the broker (basic.nack)", l);
    s->m.in_flight = wsgw_gauge("wsgw_rabbitmq_in_flight",
                                "Events taken by the sink and not yet "
                                "confirmed",
                                l);
    s->m.connected = wsgw_gauge("wsgw_rabbitmq_connected",
                                "1 while connected to the broker", l);
    s->m.reconnects = wsgw_counter("wsgw_rabbitmq_reconnects_total",
                                   "Connections re-established after a loss "
                                   "or failure",
                                   l);
}

static int rmq_start(void *ctx, struct wsgw_err *err)
{
    struct rmq_sink *s = ctx;
    pthread_condattr_t ca;

    make_metrics(s);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->sync_ready = 1;

    int rc = pthread_create(&s->thread, NULL, rmq_sink_main, s);
    if (rc != 0)
        return wsgw_err_set(err, NULL, "cannot start the publishing thread: %s",
                            strerror(rc));
    pthread_setname_np(s->thread, "wsgw-rabbitmq");
    s->thread_started = 1;
    return WSGW_OK;
}

static void rmq_stop(void *ctx)
{
    struct rmq_sink *s = ctx;
    if (!s->thread_started)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    s->stop_deadline = wsgw_mono_ms() + s->conf->stop_timeout_ms;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);

    /* Give the thread the stop timeout plus a moment to close politely;
     * if it is stuck in a blocking write (a broker that stopped reading),
     * cut the socket so it returns. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = s->conf->stop_timeout_ms + 1000;
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    if (pthread_timedjoin_np(s->thread, NULL, &ts) != 0) {
        pthread_mutex_lock(&s->mu);
        if (s->sockfd >= 0)
            shutdown(s->sockfd, SHUT_RDWR);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    s->thread_started = 0;
}

static void rmq_destroy(void *ctx)
{
    struct rmq_sink *s = ctx;
    if (!s)
        return;
    if (s->thread_started)
        rmq_stop(s);
    if (s->sync_ready) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    rmq_window_fini(&s->win);
    free(s->batch);
    free(s->done);
    rmq_topology_free(&s->topo);
    rmq_url_free(&s->url);
    if (s->uses_tls && --tls_instances == 0)
        amqp_uninitialize_ssl_library();
    free(s);
}

static int rmq_idle(void *ctx)
{
    struct rmq_sink *s = ctx;
    return atomic_load(&s->held) == 0;
}

static const char *state_name(int st)
{
    static const char *const names[] = {"starting", "connecting",   "connected",
                                        "blocked",  "disconnected", "stopped"};
    return st >= 0 && st <= RMQ_STATE_STOPPED ? names[st] : "unknown";
}

static int rmq_status(void *ctx, json_t *out)
{
    struct rmq_sink *s = ctx;
    int st = atomic_load(&s->state);
    int up = st == RMQ_STATE_CONNECTED || st == RMQ_STATE_BLOCKED;

    json_object_set_new(out, "connected", json_boolean(up));
    json_object_set_new(out, "state", json_string(state_name(st)));
    json_object_set_new(out, "url", json_string(s->url.shown));
    json_object_set_new(out, "in_flight",
                        json_integer((json_int_t)atomic_load(&s->held)));
    json_object_set_new(out, "confirm_window",
                        json_integer(s->conf->confirm_window));
    if (s->sync_ready) {
        pthread_mutex_lock(&s->mu);
        json_object_set_new(out, "last_error",
                            s->last_error[0] ? json_string(s->last_error)
                                             : json_null());
        pthread_mutex_unlock(&s->mu);
    }
    if (st == RMQ_STATE_BLOCKED)
        return WSGW_HEALTH_DEGRADED;
    return up ? WSGW_HEALTH_UP : WSGW_HEALTH_DOWN;
}

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "rabbitmq",
    .version = "1.0.0",
    .description = "events to durable RabbitMQ queues per class, with "
                   "publisher confirms",
    .provides = WSGW_PROVIDES_SINK,
    .health_role = "queue",
    .options = rmq_options,
    .conf_size = sizeof(struct rmq_conf),
    .create = rmq_create,
    .start = rmq_start,
    .stop = rmq_stop,
    .destroy = rmq_destroy,
    .status = rmq_status,
    .sink_mode = WSGW_SINK_THREAD,
    .idle = rmq_idle,
};
