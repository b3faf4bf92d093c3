/*
 * bybit_conn.c — the lws thread: one WebSocket connection per stream that
 * is needed, their liveness, reconnects, subscriptions, and the hot path
 * from a received frame to wsgw_emit().
 *
 * Everything here runs on the module's own thread (lws_service loop),
 * except where a function says otherwise. A 100 ms tick drives the
 * timers (pings, dead connections, backoff, ack timeouts) so no timer
 * state is shared with the core.
 */
#include "bybit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bybit_backoff.h"
#include "bybit_control.h"
#include "bybit_sign.h"

#define TICK_US   (100 * LWS_US_PER_MS)
#define RX_BUFFER 65536
/* a reassembly buffer above this is released after its message */
#define RX_KEEP (1024 * 1024)

static const char *const state_names[] = {
    "idle", "connecting", "authenticating", "connected", "backing_off"};

const char *bybit_state_name(int state)
{
    return state >= 0 && state <= BYBIT_BACKING_OFF ? state_names[state]
                                                    : "unknown";
}

const char *const bybit_malformed_reasons[] = {
    BJ_WHY_INVALID,   BJ_WHY_TRUNCATED,        BJ_WHY_DEPTH, BJ_WHY_SHAPE,
    BJ_WHY_DUPLICATE, BYBIT_WHY_UNKNOWN_TOPIC, "binary",     "too_large",
    "unexpected",     "out_of_memory",         NULL};

void bybit_count_malformed(struct bybit *b, const char *reason)
{
    for (size_t i = 0; bybit_malformed_reasons[i]; i++)
        if (strcmp(bybit_malformed_reasons[i], reason) == 0) {
            wsgw_counter_add(b->m_malformed[i], 1);
            return;
        }
}

/* ---- status shared with the loop ------------------------------------ */

static void st_lock(struct bybit *b)
{
    pthread_mutex_lock(&b->status_mtx);
}

static void st_unlock(struct bybit *b)
{
    pthread_mutex_unlock(&b->status_mtx);
}

static void set_state(struct bybit_conn *s, int state)
{
    int64_t mono = wsgw_mono_ms();
    s->state = state;
    st_lock(s->b);
    if (state == BYBIT_CONNECTED) {
        s->st.connected_since_ms = wsgw_now_ms();
        s->st.down_since_mono = 0;
    } else {
        s->st.connected_since_ms = 0;
        if (!s->st.down_since_mono)
            s->st.down_since_mono = mono;
    }
    s->st.state = state;
    st_unlock(s->b);
    wsgw_gauge_set(s->m_connected, state == BYBIT_CONNECTED);
}

static void set_error(struct bybit_conn *s, const char *msg)
{
    st_lock(s->b);
    snprintf(s->st.last_error, sizeof s->st.last_error, "%s", msg);
    st_unlock(s->b);
}

static void publish_counts(struct bybit_conn *s)
{
    size_t n[4];
    int needed = bsub_count(&s->subs) > 0;
    bsub_counts(&s->subs, n);
    st_lock(s->b);
    memcpy(s->st.topics, n, sizeof n);
    /* the health window starts when a stream becomes needed, not when it
     * last went down while nothing needed it */
    if (needed && !s->st.needed && s->state != BYBIT_CONNECTED)
        s->st.down_since_mono = wsgw_mono_ms();
    s->st.needed = needed;
    st_unlock(s->b);
}

/* ---- sending ----------------------------------------------------------- */

static void out_clear(struct bybit_conn *s)
{
    while (s->out_head) {
        struct bybit_outmsg *m = s->out_head;
        s->out_head = m->next;
        free(m);
    }
    s->out_tail = NULL;
}

/* Queue a text frame; written when lws says the socket is writable. */
static void stream_send(struct bybit_conn *s, const char *text, size_t len)
{
    if (!s->wsi)
        return;
    struct bybit_outmsg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) {
        wsgw_error(s->b->in, "out of memory queueing a request on %s", s->name);
        return;
    }
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    if (s->out_tail)
        s->out_tail->next = m;
    else
        s->out_head = m;
    s->out_tail = m;
    lws_callback_on_writable(s->wsi);
}

static void subs_send(void *arg, const char *text, size_t len)
{
    stream_send(arg, text, len);
}

static void subs_answer(void *arg, enum bsub_op op, const char *topic, int ok,
                        const char *reason)
{
    struct bybit_conn *s = arg;
    if (op == BSUB_OP_SUBSCRIBE)
        wsgw_sub_ack(s->b->in, s->name, topic, ok, reason);
    else if (!ok)
        wsgw_warn(s->b->in, "unsubscribe of %s on %s refused by Bybit: %s",
                  topic, s->name, reason ? reason : "no reason given");
}

/* ---- connecting and losing connections ------------------------------ */

static void stream_connect(struct bybit_conn *s);

/* Close the live connection; the CLOSED callback schedules the retry. */
static void stream_kill(struct bybit_conn *s, const char *why)
{
    snprintf(s->close_reason, sizeof s->close_reason, "%s", why);
    if (s->wsi) {
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        if (!s->kill_mono)
            s->kill_mono = wsgw_mono_ms();
    }
}

/* The connection is gone (error, close, kill): plan the next one. */
static void stream_lost(struct bybit_conn *s, const char *why)
{
    struct bybit *b = s->b;
    int was = s->state;
    s->wsi = NULL;
    s->kill_mono = 0;
    out_clear(s);
    bsub_reset(&s->subs);
    if (was == BYBIT_IDLE || was == BYBIT_BACKING_OFF)
        return; /* already handled (a late callback of a dead wsi) */

    const char *reason = s->close_reason[0] ? s->close_reason : why;
    char msg[320];
    snprintf(msg, sizeof msg, "%s", reason);
    s->close_reason[0] = '\0';
    set_error(s, msg);

    if (atomic_load(&b->stopping)) {
        set_state(s, BYBIT_IDLE);
        return;
    }
    /* a connection that worked restarts the backoff; one that never got a
     * pong or data (refused key, dead server) keeps growing it */
    if (s->healthy)
        s->attempt = 0;
    if (!bsub_count(&s->subs)) {
        set_state(s, BYBIT_IDLE);
        wsgw_info(b->in, "connection %s closed (%s); no topics need it",
                  s->ep.url, msg);
        return;
    }
    int64_t delay =
        bybit_backoff_ms(s->attempt, b->conf->backoff_min, b->conf->backoff_max,
                         wsgw_random_below(UINT64_MAX));
    if (s->attempt < 64)
        s->attempt++;
    s->next_connect_mono = wsgw_mono_ms() + delay;
    set_state(s, BYBIT_BACKING_OFF);
    wsgw_warn(b->in, "connection %s lost (%s); reconnecting in %" PRId64 " ms",
              s->ep.url, msg, delay);
    publish_counts(s);
}

static void stream_connect(struct bybit_conn *s)
{
    struct bybit *b = s->b;
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = b->lws;
    i.address = s->ep.host;
    i.port = s->ep.port;
    i.path = s->ep.path;
    i.host = s->ep.host;
    i.origin = s->ep.host;
    if (s->ep.tls) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (!b->conf->tls_verify)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    i.local_protocol_name = "bybit";
    i.pwsi = &s->wsi;
    i.opaque_user_data = s;

    if (s->ever_started) {
        wsgw_counter_add(s->m_reconnects, 1);
        st_lock(b);
        s->st.reconnects++;
        st_unlock(b);
    }
    s->ever_started = 1;
    s->healthy = 0;
    s->close_reason[0] = '\0';
    s->kill_mono = 0;
    s->conn_started_mono = wsgw_mono_ms();
    set_state(s, BYBIT_CONNECTING);
    wsgw_debug(b->in, "connecting to %s", s->ep.url);
    if (!lws_client_connect_via_info(&i) && s->state == BYBIT_CONNECTING)
        stream_lost(s, "cannot start the connection");
}

static void send_auth(struct bybit_conn *s)
{
    const struct bybit_conf *c = s->b->conf;
    int64_t expires = wsgw_now_ms() + c->auth_expiry;
    char sig[BYBIT_SIG_LEN + 1];
    if (bybit_auth_signature(c->api_secret, expires, sig) < 0) {
        stream_kill(s, "cannot compute the auth signature");
        return;
    }
    json_t *j = json_pack("{s:s,s:s,s:[s,I,s]}", "req_id", "auth", "op", "auth",
                          "args", c->api_key, (json_int_t)expires, sig);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        stream_kill(s, "out of memory building the auth request");
        return;
    }
    stream_send(s, text, strlen(text));
    free(text);
    s->auth_sent_mono = wsgw_mono_ms();
}

/* Open and (on the private stream) authenticated: subscribe everything. */
static void stream_ready(struct bybit_conn *s)
{
    set_state(s, BYBIT_CONNECTED);
    s->last_ping_mono = wsgw_mono_ms();
    wsgw_info(s->b->in, "connected to %s; subscribing %zu topics", s->ep.url,
              bsub_count(&s->subs));
    bsub_pump(&s->subs, wsgw_mono_ms());
    publish_counts(s);
}

static void on_established(struct bybit_conn *s)
{
    s->last_rx_mono = wsgw_mono_ms();
    if (s->id == BYBIT_PRIVATE) {
        set_state(s, BYBIT_AUTHENTICATING);
        send_auth(s);
    } else {
        stream_ready(s);
    }
}

/* ---- received frames ----------------------------------------------- */

static void make_trace_id(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t v[2] = {wsgw_random_below(UINT64_MAX),
                     wsgw_random_below(UINT64_MAX)};
    for (int i = 0; i < 32; i++)
        out[i] = hex[(v[i / 16] >> (60 - 4 * (i % 16))) & 0xf];
    out[32] = '\0';
}

/* Hand what the last service pass produced to the core, in order. */
static void flush_events(struct bybit *b)
{
    if (b->npend) {
        wsgw_emit(b->in, b->pend, b->npend);
        b->npend = 0;
    }
}

/* Frames read in one pass beyond this are emitted at once anyway. */
#define PEND_MAX 1024

static void emit_events(struct bybit_conn *s)
{
    struct bybit *b = s->b;
    struct bybit_norm *n = &s->norm;
    if (b->npend + n->nev > b->cap_pend) {
        size_t cap = b->npend + n->nev < 256 ? 256 : 2 * (b->npend + n->nev);
        struct wsgw_event **e = realloc(b->pend, cap * sizeof *e);
        if (!e) {
            bybit_count_malformed(b, "out_of_memory");
            return;
        }
        b->pend = e;
        b->cap_pend = cap;
    }
    char trace[33];
    make_trace_id(trace);
    size_t k = 0;
    for (size_t i = 0; i < n->nev; i++) {
        struct wsgw_event_spec spec;
        bybit_norm_spec(n, i, &spec);
        spec.received_ns = s->rx_ns;
        spec.trace_id = trace;
        struct wsgw_event *ev = wsgw_event_new(&spec);
        if (ev) {
            b->pend[b->npend++] = ev;
            k++;
        }
    }
    if (k < n->nev)
        wsgw_error(b->in, "out of memory: %zu events of %.*s lost", n->nev - k,
                   (int)n->topic_len, n->topic);
    if (k)
        wsgw_counter_add(b->m_events[n->family->cls], k);
    if (b->npend >= PEND_MAX)
        flush_events(b);
}

static void on_control(struct bybit_conn *s, const char *buf, size_t len)
{
    struct bybit *b = s->b;
    struct bybit_ctl c;
    if (bybit_ctl_parse(buf, len, &c) < 0) {
        bybit_count_malformed(b, "unexpected");
        return;
    }
    switch (c.kind) {
    case BYBIT_CTL_PONG:
        if (s->state == BYBIT_CONNECTED)
            s->healthy = 1;
        st_lock(b);
        s->st.last_pong_ms = wsgw_now_ms();
        st_unlock(b);
        break;
    case BYBIT_CTL_AUTH:
        if (s->state != BYBIT_AUTHENTICATING)
            break;
        if (c.success) {
            wsgw_info(b->in, "authenticated on %s", s->ep.url);
            stream_ready(s);
        } else {
            char why[300];
            snprintf(why, sizeof why, "Bybit refused the API key: %s",
                     c.ret_msg[0] ? c.ret_msg : "no reason given");
            wsgw_error(b->in, "authentication on %s failed: %s", s->ep.url,
                       why);
            st_lock(b);
            s->st.auth_failures++;
            st_unlock(b);
            stream_kill(s, why);
        }
        break;
    case BYBIT_CTL_SUBSCRIBE:
    case BYBIT_CTL_UNSUBSCRIBE:
    case BYBIT_CTL_COMMAND:
        if (!bsub_on_ack(&s->subs, &c, wsgw_mono_ms()))
            wsgw_debug(b->in, "unmatched ack on %s: %.*s", s->name,
                       (int)(len < 300 ? len : 300), buf);
        publish_counts(s);
        break;
    default:
        bybit_count_malformed(b, "unexpected");
        wsgw_warn(b->in, "unexpected frame on %s (%zu bytes) ignored: %.*s",
                  s->name, len, (int)(len < 200 ? len : 200), buf);
        break;
    }
    bybit_ctl_free(&c);
}

static void on_message(struct bybit_conn *s, const char *buf, size_t len)
{
    struct bybit *b = s->b;
    const char *cat = s->id == BYBIT_PRIVATE ? NULL : s->name;
    switch (bybit_normalize(&s->norm, buf, len, cat)) {
    case BYBIT_FRAME_DATA: {
        struct bybit_norm *n = &s->norm;
        if (s->state == BYBIT_CONNECTED)
            s->healthy = 1;
        struct bsub_topic *t = bsub_lookup(&s->subs, n->topic, n->topic_len);
        if (t && t->user) {
            struct bybit_tent *te = t->user;
            atomic_store_explicit(&te->last_event_ms, s->rx_ns / 1000000,
                                  memory_order_relaxed);
        }
        emit_events(s);
        break;
    }
    case BYBIT_FRAME_CONTROL:
        on_control(s, buf, len);
        break;
    default:
        bybit_count_malformed(b, s->norm.why);
        wsgw_warn(b->in, "malformed frame on %s (%s, %zu bytes) dropped",
                  s->name, s->norm.why, len);
        break;
    }
}

static void on_receive(struct bybit_conn *s, struct lws *wsi, const char *in,
                       size_t len)
{
    struct bybit *b = s->b;
    int first = lws_is_first_fragment(wsi);
    int final = lws_is_final_fragment(wsi);
    if (first) {
        s->rx_len = 0;
        s->rx_total = 0;
        s->rx_skip = 0;
        s->rx_binary = lws_frame_is_binary(wsi);
        s->rx_ns = wsgw_now_ns();
    }
    s->rx_total += len;
    wsgw_counter_add(b->m_bytes, len);
    /* any byte is a sign of life: a large frame may take a while */
    s->last_rx_mono = wsgw_mono_ms();
    if (!s->rx_skip && s->rx_total > (size_t)b->conf->max_frame) {
        s->rx_skip = 1;
    } else if (!s->rx_skip && !(first && final)) {
        if (s->rx_len + len > s->rx_cap) {
            size_t cap = s->rx_cap ? s->rx_cap : RX_BUFFER;
            while (cap < s->rx_len + len)
                cap *= 2;
            char *p = realloc(s->rx, cap);
            if (!p) {
                s->rx_skip = 2;
            } else {
                s->rx = p;
                s->rx_cap = cap;
            }
        }
        if (!s->rx_skip) {
            memcpy(s->rx + s->rx_len, in, len);
            s->rx_len += len;
        }
    }
    if (!final)
        return;

    wsgw_counter_add(s->m_frames, 1);
    st_lock(b);
    s->st.last_message_ms = s->rx_ns / 1000000;
    st_unlock(b);
    if (s->rx_skip == 1) {
        bybit_count_malformed(b, "too_large");
        wsgw_warn(b->in,
                  "frame of %zu bytes on %s exceeds max_frame (%" PRId64
                  " bytes); dropped",
                  s->rx_total, s->name, b->conf->max_frame);
    } else if (s->rx_skip) {
        bybit_count_malformed(b, "out_of_memory");
        wsgw_error(b->in, "out of memory reading a frame of %zu bytes on %s",
                   s->rx_total, s->name);
    } else if (s->rx_binary) {
        bybit_count_malformed(b, "binary");
        wsgw_warn(b->in, "binary frame of %zu bytes on %s dropped", s->rx_total,
                  s->name);
    } else if (first) {
        on_message(s, in, len); /* whole in one piece: no copy */
    } else {
        on_message(s, s->rx, s->rx_len);
    }
    s->rx_len = 0;
    if (s->rx_cap > RX_KEEP) {
        free(s->rx);
        s->rx = NULL;
        s->rx_cap = 0;
    }
}

/* ---- the inbox -------------------------------------------------------- */

void bybit_cmd_post(struct bybit *b, struct bybit_cmd *cmd)
{
    cmd->next = NULL;
    pthread_mutex_lock(&b->inbox_mtx);
    if (b->inbox_tail)
        b->inbox_tail->next = cmd;
    else
        b->inbox_head = cmd;
    b->inbox_tail = cmd;
    pthread_mutex_unlock(&b->inbox_mtx);
    if (b->lws)
        lws_cancel_service(b->lws);
}

static void drain_inbox(struct bybit *b)
{
    pthread_mutex_lock(&b->inbox_mtx);
    struct bybit_cmd *c = b->inbox_head;
    b->inbox_head = b->inbox_tail = NULL;
    pthread_mutex_unlock(&b->inbox_mtx);
    if (!c)
        return;

    int touched[BYBIT_STREAMS] = {0};
    while (c) {
        struct bybit_cmd *next = c->next;
        struct bybit_conn *s = c->tent ? &b->streams[c->tent->stream] : NULL;
        switch (c->kind) {
        case BYBIT_CMD_SUB:
            if (!s->configured) {
                wsgw_sub_ack(b->in, s->name, c->tent->topic, 0,
                             "the private stream needs api_key and "
                             "api_secret");
                break;
            }
            if (!bsub_want(&s->subs, c->tent->topic, c->tent))
                wsgw_error(b->in, "out of memory subscribing %s",
                           c->tent->topic);
            touched[s->id] = 1;
            break;
        case BYBIT_CMD_UNSUB:
            bsub_unwant(&s->subs, c->tent->topic, s->state == BYBIT_CONNECTED);
            touched[s->id] = 1;
            break;
        case BYBIT_CMD_SYNC:
            bybit_rest_begin(b, c->sync);
            break;
        }
        free(c);
        c = next;
    }
    for (int i = 0; i < BYBIT_STREAMS; i++) {
        struct bybit_conn *s = &b->streams[i];
        if (!touched[i])
            continue;
        if (s->state == BYBIT_CONNECTED)
            bsub_pump(&s->subs, wsgw_mono_ms());
        else if (s->state == BYBIT_IDLE && bsub_count(&s->subs))
            stream_connect(s);
        publish_counts(s);
    }
}

/* ---- timers ------------------------------------------------------------ */

static void send_ping(struct bybit_conn *s, int64_t now)
{
    static const char ping[] = "{\"op\":\"ping\"}";
    stream_send(s, ping, sizeof ping - 1);
    s->last_ping_mono = now;
}

static void stream_tick(struct bybit_conn *s, int64_t now, int publish)
{
    struct bybit *b = s->b;
    const struct bybit_conf *c = b->conf;
    char why[160];
    /* lws normally reports a killed connection at once; never wait for a
     * report that does not come */
    if (s->kill_mono && now - s->kill_mono > 5000) {
        if (s->wsi)
            lws_set_opaque_user_data(s->wsi, NULL);
        stream_lost(s, "connection did not close");
    }
    switch (s->state) {
    case BYBIT_IDLE:
        if (s->configured && bsub_count(&s->subs))
            stream_connect(s);
        break;
    case BYBIT_BACKING_OFF:
        if (now >= s->next_connect_mono) {
            if (bsub_count(&s->subs))
                stream_connect(s);
            else
                set_state(s, BYBIT_IDLE);
        }
        break;
    case BYBIT_CONNECTING:
        if (now - s->conn_started_mono > c->connect_timeout) {
            snprintf(why, sizeof why,
                     "handshake took longer than %" PRId64 " ms",
                     c->connect_timeout);
            if (s->wsi)
                stream_kill(s, why);
            else
                stream_lost(s, why);
        }
        break;
    case BYBIT_AUTHENTICATING:
        if (now - s->auth_sent_mono > c->ack_timeout)
            stream_kill(s, "no answer to the auth request");
        break;
    case BYBIT_CONNECTED:
        if (now - s->last_rx_mono > b->dead_after_ms) {
            snprintf(why, sizeof why,
                     "no pong and no data for %" PRId64 " ms: connection "
                     "presumed dead",
                     now - s->last_rx_mono);
            wsgw_warn(b->in, "%s on %s", why, s->ep.url);
            stream_kill(s, why);
            break;
        }
        if (now - s->last_ping_mono >= c->ping_interval)
            send_ping(s, now);
        if (bsub_tick(&s->subs, now, c->ack_timeout))
            bsub_pump(&s->subs, now);
        break;
    }
    if (publish)
        publish_counts(s);
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct bybit *b =
        (struct bybit *)((char *)sul - offsetof(struct bybit, tick));
    int64_t now = wsgw_mono_ms();
    int publish = (++b->ticks % 10) == 0; /* topic counts once a second */
    for (int i = 0; i < BYBIT_STREAMS; i++)
        stream_tick(&b->streams[i], now, publish);
    bybit_rest_tick(b, now);
    if (!atomic_load(&b->stopping))
        lws_sul_schedule(b->lws, 0, &b->tick, on_tick, TICK_US);
}

/* ---- the lws callback ----------------------------------------------- */

static int on_stream_event(struct bybit_conn *s, struct lws *wsi,
                           enum lws_callback_reasons reason, void *in,
                           size_t len)
{
    /* callbacks of a connection already given up: nothing to do */
    if (s->wsi && wsi != s->wsi)
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        s->wsi = wsi;
        on_established(s);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(s, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        struct bybit_outmsg *m = s->out_head;
        if (!m)
            break;
        s->out_head = m->next;
        if (!s->out_head)
            s->out_tail = NULL;
        int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
        size_t mlen = m->len;
        free(m);
        if (n < (int)mlen) {
            snprintf(s->close_reason, sizeof s->close_reason, "write failed");
            return -1;
        }
        if (s->out_head)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *p = in;
        int code = len >= 2 ? (p[0] << 8 | p[1]) : 0;
        snprintf(s->close_reason, sizeof s->close_reason,
                 "closed by the server (code %d%s%.*s)", code,
                 len > 2 ? ": " : "", len > 2 ? (int)(len - 2) : 0,
                 len > 2 ? (const char *)in + 2 : "");
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char why[300];
        const char *text = in ? (const char *)in : "unknown error";
        /* OpenSSL's text is cryptic; say what usually causes it */
        snprintf(why, sizeof why, "connection failed: %s%s", text,
                 strstr(text, "SSL") ? " (TLS handshake failed: is the "
                                       "server certificate trusted? see "
                                       "ca_file)"
                                     : "");
        stream_lost(s, why);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        stream_lost(s, "connection closed");
        break;
    default:
        break;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    (void)user;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        struct bybit *b = lws_context_user(lws_get_context(wsi));
        if (b)
            drain_inbox(b);
        return 0;
    }
    enum bybit_owner *owner = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!owner)
        return 0;
    if (*owner == BYBIT_OWNER_STREAM)
        return on_stream_event((struct bybit_conn *)owner, wsi, reason, in,
                               len);
    return bybit_rest_callback(wsi, reason, (struct bybit_sync *)owner, in,
                               len);
}

static const struct lws_protocols protocols[] = {
    {"bybit", callback, 0, RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}, /* 4.1 has no LWS_PROTOCOL_LIST_TERM */
};

/* ---- lifecycle (loop thread) ---------------------------------------- */

static void lws_log(int level, const char *line)
{
    /* lws is chatty at reconnect time: its lines are debug detail, the
     * module logs what matters itself */
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    wsgw_debug(NULL, "lws: %.*s", (int)n, line);
    (void)level;
}

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;

static void lws_log_setup(void)
{
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
}

int bybit_conn_init(struct bybit *b, struct wsgw_err *err)
{
    char labels[256];
    const char *inst = wsgw_instance_name(b->in);
    for (int i = 0; i < BYBIT_STREAMS; i++) {
        struct bybit_conn *s = &b->streams[i];
        s->owner = BYBIT_OWNER_STREAM;
        s->b = b;
        s->id = i;
        s->name = bybit_stream_name(i);
        struct bsub_callbacks cb = {subs_send, subs_answer, s};
        if (bsub_init(&s->subs, i, &cb) < 0)
            return wsgw_err_set(err, NULL, "out of memory");
        struct wsgw_err perr = {0};
        char url[800];
        if (i == BYBIT_PRIVATE) {
            s->configured = b->urls.private_url[0] != '\0';
            snprintf(url, sizeof url, "%s", b->urls.private_url);
        } else {
            s->configured = 1;
            snprintf(url, sizeof url, "%s/%s", b->urls.public_base, s->name);
        }
        if (s->configured && bybit_endpoint_parse(url, 1, &s->ep, &perr))
            return wsgw_err_set(err, NULL, "%s", perr.msg);
        snprintf(labels, sizeof labels, "source=\"%s\",stream=\"%s\"", inst,
                 s->name);
        s->m_frames = wsgw_counter("wsgw_bybit_frames_total",
                                   "WebSocket messages received", labels);
        s->m_reconnects = wsgw_counter("wsgw_bybit_reconnects_total",
                                       "Reconnections of a stream", labels);
        s->m_connected = wsgw_gauge("wsgw_bybit_connected",
                                    "1 while the stream is connected (and "
                                    "authenticated)",
                                    labels);
    }
    for (int c = 0; c < WSGW_CLASS_COUNT; c++) {
        snprintf(labels, sizeof labels, "source=\"%s\",class=\"%s\"", inst,
                 wsgw_class_name(c));
        b->m_events[c] = wsgw_counter("wsgw_bybit_events_total",
                                      "Events emitted, by class", labels);
    }
    snprintf(labels, sizeof labels, "source=\"%s\"", inst);
    b->m_bytes = wsgw_counter("wsgw_bybit_bytes_total",
                              "WebSocket payload bytes received", labels);
    for (size_t i = 0; bybit_malformed_reasons[i]; i++) {
        snprintf(labels, sizeof labels, "source=\"%s\",reason=\"%s\"", inst,
                 bybit_malformed_reasons[i]);
        b->m_malformed[i] = wsgw_counter(
            "wsgw_bybit_malformed_total",
            "Frames refused (malformed, unexpected, too large)", labels);
    }
    return WSGW_OK;
}

static void *thread_main(void *arg)
{
    struct bybit *b = arg;
    lws_sul_schedule(b->lws, 0, &b->tick, on_tick, TICK_US);
    drain_inbox(b);
    while (!atomic_load(&b->stopping)) {
        int rc = lws_service(b->lws, 0);
        flush_events(b);
        if (rc < 0)
            break;
    }
    lws_sul_cancel(&b->tick);
    bybit_rest_abort_all(b);
    return NULL;
}

int bybit_conn_start(struct bybit *b, struct wsgw_err *err)
{
    const struct bybit_conf *c = b->conf;
    pthread_once(&lws_log_once, lws_log_setup);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = b;
    info.gid = -1;
    info.uid = -1;
    info.client_ssl_ca_filepath = c->ca_file && *c->ca_file ? c->ca_file : NULL;
    info.connect_timeout_secs = (unsigned)((c->connect_timeout + 999) / 1000);
    info.timeout_secs = info.connect_timeout_secs;
    info.fd_limit_per_thread = 128;
    b->lws = lws_create_context(&info);
    if (!b->lws)
        return wsgw_err_set(
            err, NULL, "cannot create the libwebsockets context%s%s",
            info.client_ssl_ca_filepath ? " (check ca_file "
                                          "): "
                                        : "",
            info.client_ssl_ca_filepath ? info.client_ssl_ca_filepath : "");
    atomic_store(&b->stopping, 0);
    int rc = pthread_create(&b->thread, NULL, thread_main, b);
    if (rc != 0) {
        lws_context_destroy(b->lws);
        b->lws = NULL;
        return wsgw_err_set(err, NULL, "cannot start the bybit thread: %s",
                            strerror(rc));
    }
    b->thread_running = 1;
    return WSGW_OK;
}

void bybit_conn_stop(struct bybit *b)
{
    if (!b->thread_running)
        return;
    atomic_store(&b->stopping, 1);
    lws_cancel_service(b->lws);
    pthread_join(b->thread, NULL);
    b->thread_running = 0;
    /* closes every connection; their callbacks run here, see stopping */
    lws_context_destroy(b->lws);
    b->lws = NULL;
    for (int i = 0; i < BYBIT_STREAMS; i++) {
        struct bybit_conn *s = &b->streams[i];
        s->wsi = NULL;
        out_clear(s);
        if (s->state != BYBIT_IDLE)
            set_state(s, BYBIT_IDLE);
    }
}

void bybit_conn_free(struct bybit *b)
{
    for (int i = 0; i < BYBIT_STREAMS; i++) {
        struct bybit_conn *s = &b->streams[i];
        if (s->b != b)
            continue;
        bsub_free(&s->subs);
        out_clear(s);
        bybit_norm_free(&s->norm);
        free(s->rx);
    }
    pthread_mutex_lock(&b->inbox_mtx);
    struct bybit_cmd *c = b->inbox_head;
    b->inbox_head = b->inbox_tail = NULL;
    pthread_mutex_unlock(&b->inbox_mtx);
    while (c) {
        struct bybit_cmd *next = c->next;
        free(c); /* syncs in the inbox belong to bybit_rest_free */
        c = next;
    }
    pthread_mutex_destroy(&b->inbox_mtx);
    pthread_mutex_destroy(&b->status_mtx);
}
