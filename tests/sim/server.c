/*
 * The WebSocket vhost: accepts the five Bybit paths, tracks connections,
 * feeds complete client frames to the protocol code, runs the send loop on
 * WRITEABLE, and routes plain HTTP requests to the REST handler.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

struct conn *g_conns;
static unsigned g_next_id;

static void gen_conn_id(struct conn *c)
{
    static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
    static const char hex[] = "0123456789abcdef";
    char *p = c->conn_id;
    size_t n = sizeof(c->conn_id);
    uint32_t r[5];
    for (int i = 0; i < 5; i++)
        r[i] = sim_rand();
    switch (c->st) {
    case ST_PRIVATE:
        /* like "cejreaspqfh3sjdnldmg-p": 20 base32hex chars, dash, counter */
        for (int i = 0; i < 20; i++)
            p[i] = b32[(r[i / 4] >> ((i % 4) * 5)) & 31];
        snprintf(p + 20, n - 20, "-%x", c->id);
        break;
    case ST_OPTION:
        snprintf(p, n, "%08x%08x-%08x-%08x-%08x%08x-%08x", r[0], r[1], c->id,
                 r[2], r[3], r[4], r[0] ^ r[4]);
        break;
    default:
        /* UUID v4 text */
        for (int i = 0, k = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                p[i] = '-';
                continue;
            }
            p[i] = hex[(r[k / 8] >> ((k % 8) * 4)) & 15];
            k++;
        }
        p[14] = '4';
        p[36] = '\0';
        break;
    }
}

/*
 * Private URLs take ?max_active_time=30s..600s (also "1m", "10m").  Bybit
 * enforces that range; we accept from 1s so tests need not wait 30 s.
 */
static int max_active_time(struct lws *wsi)
{
    char buf[64];
    const char *v =
        lws_get_urlarg_by_name(wsi, "max_active_time=", buf, sizeof(buf));
    if (!v)
        return g_cfg.idle_timeout;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end == 'm')
        n *= 60;
    else if (*end != 's' && *end != '\0')
        n = -1;
    if (n < 1 || n > 600) {
        LOG_ERR("ignoring max_active_time=%s (want 1s..600s)", v);
        return g_cfg.idle_timeout;
    }
    return (int)n;
}

static struct conn *conn_new(struct lws *wsi)
{
    char path[96] = "";
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
    c->wsi = wsi;
    c->id = ++g_next_id;
    stream_from_path(path, &c->st);
    snprintf(c->path, sizeof(c->path), "%s", stream_name(c->st));
    gen_conn_id(c);
    c->connected_ms = now_ms();
    c->idle_secs =
        c->st == ST_PRIVATE ? max_active_time(wsi) : g_cfg.idle_timeout;
    c->open = 1;
    c->log = json_array();
    c->sent = json_object();
    struct conn **pp = &g_conns;
    while (*pp)
        pp = &(*pp)->next;
    *pp = c;
    return c;
}

static void conn_closed(struct conn *c)
{
    load_stop(c);
    c->open = 0;
    c->wsi = NULL;
    c->closed_ms = now_ms();
    while (c->subs) {
        struct sub *s = c->subs;
        c->subs = s->next;
        json_t *prev = json_object_get(c->sent, s->topic);
        json_int_t f = json_integer_value(json_object_get(prev, "frames"));
        json_int_t e = json_integer_value(json_object_get(prev, "events"));
        json_object_set_new(c->sent, s->topic,
                            json_pack("{s:I,s:I}", "frames",
                                      f + (json_int_t)s->frames, "events",
                                      e + (json_int_t)s->events));
        sub_free(s);
    }
    while (c->q_head) {
        struct outq *q = c->q_head;
        c->q_head = q->next;
        free(q);
    }
    c->q_tail = NULL;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
}

static void conn_destroy(struct conn *c)
{
    if (c->open)
        conn_closed(c);
    json_decref(c->log);
    json_decref(c->sent);
    free(c);
}

void conns_free_all(void)
{
    while (g_conns) {
        struct conn *c = g_conns;
        g_conns = c->next;
        conn_destroy(c);
    }
}

/* control /reset-log: forget closed connections and clear request logs */
void conns_reset_log(void)
{
    struct conn **pp = &g_conns;
    while (*pp) {
        struct conn *c = *pp;
        if (!c->open) {
            *pp = c->next;
            conn_destroy(c);
            continue;
        }
        json_array_clear(c->log);
        pp = &c->next;
    }
}

static void idle_timer(struct conn *c)
{
    if (c->idle_secs > 0)
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, c->idle_secs);
}

/* gather fragments; hand complete text messages to the protocol */
static int on_receive(struct conn *c, struct lws *wsi, const void *in,
                      size_t len)
{
    idle_timer(c);
    if (c->rx_len + len > SIM_RX_MAX) {
        LOG_ERR("conn %u: client message over %d bytes, closing", c->id,
                SIM_RX_MAX);
        return -1;
    }
    unsigned char *n = realloc(c->rx, c->rx_len + len + 1);
    if (!n)
        return -1;
    c->rx = n;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi))
        return 0;
    if (lws_frame_is_binary(wsi)) {
        conn_log(c, json_pack("{s:s,s:I}", "op", "binary", "len",
                              (json_int_t)c->rx_len));
    } else {
        c->rx[c->rx_len] = '\0';
        proto_on_frame(c, (const char *)c->rx, c->rx_len);
    }
    c->rx_len = 0;
    return 0;
}

static int on_http(struct lws *wsi, struct server_pss *pss, const char *uri)
{
    snprintf(pss->http.uri, sizeof(pss->http.uri), "%s", uri);
    pss->http.post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    return rest_request(wsi, &pss->http);
}

int server_callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct server_pss *pss = user;
    struct conn *c = pss ? pss->c : NULL;
    char path[128];
    enum stream st;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        path[0] = '\0';
        lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
        if (stream_from_path(path, &st)) {
            LOG_DBG("rejecting WebSocket upgrade for unknown path '%s'", path);
            return 1;
        }
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        pss->c = conn_new(wsi);
        if (!pss->c)
            return -1;
        idle_timer(pss->c);
        LOG_DBG("conn %u open on %s", pss->c->id, pss->c->path);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return c ? on_receive(c, wsi, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c ? load_writable(c) : 0;
    case LWS_CALLBACK_CLOSED:
        if (c) {
            LOG_DBG("conn %u closed", c->id);
            conn_closed(c);
            pss->c = NULL;
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, pss, (const char *)in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(wsi, &pss->http);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss)
            http_pss_free(&pss->http);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
