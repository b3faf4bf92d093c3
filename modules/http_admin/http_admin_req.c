/*
 * http_admin_req.c — one HTTP request: from evhttp into the core's route
 * table and the answer back, the access log line, and the client going
 * away while a handler is still working.
 *
 * evhttp (libevent 2.1) has read the headers and the body when our
 * callback runs; a connection that trickles its request in is timed out
 * by evhttp without ever reaching us, so a slow client holds one socket
 * and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http_admin.h"

/* The transport's side of one request; owned here until answered. */
struct ha_req {
    struct ha *ha;
    struct evhttp_request *ev;
    struct evhttp_connection *evcon;
    struct wsgw_http_req *req;
    int64_t start_ns;
    int head;
    char method[8];
    char path[256]; /* for the log: raw path, never the query */
};

size_t ha_body_hard_cap(const struct ha_conf *c)
{
    size_t cap = (size_t)c->max_body * 4;

    return cap < (1u << 20) ? (1u << 20) : cap;
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "OTHER";
}

/* Printable for a log line: control bytes and quotes become '?'. */
static void log_safe(char *dst, size_t size, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? '?' : c;
    }
    dst[i] = '\0';
}

static void access_log(const struct ha_req *r, int status, const char *trace_id)
{
    double ms = (double)(wsgw_now_ns() - r->start_ns) / 1e6;

    if (status)
        wsgw_log_trace(r->ha->in, WSGW_LOG_INFO, trace_id, "%s %s %d %.1fms",
                       r->method, r->path, status, ms);
    else
        wsgw_log_trace(r->ha->in, WSGW_LOG_INFO, trace_id,
                       "%s %s closed by the client before the answer "
                       "%.1fms",
                       r->method, r->path, ms);
}

static void ha_send(void *tctx, int status, const char *content_type,
                    const char *body, size_t len, const char *trace_id)
{
    struct ha_req *r = tctx;
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->ev);
    struct evbuffer *buf = evbuffer_new();
    const char *name, *value;
    char clen[32];

    /* Answered: the close callback must not touch r any more. */
    evhttp_connection_set_closecb(r->evcon, NULL, NULL);
    evhttp_add_header(out, "Content-Type", content_type);
    evhttp_add_header(out, "X-Trace-Id", trace_id);
    evhttp_add_header(out, "Cache-Control", "no-store");
    for (size_t i = 0; (name = wsgw_http_resp_header(r->req, i, &value)); i++)
        evhttp_add_header(out, name, value);
    if (r->head) {
        /* HEAD: the length of the GET answer, without its body. */
        snprintf(clen, sizeof(clen), "%zu", len);
        evhttp_add_header(out, "Content-Length", clen);
    } else if (buf) {
        evbuffer_add(buf, body, len);
    }
    evhttp_send_reply(r->ev, status, NULL, buf);
    if (buf)
        evbuffer_free(buf);
    access_log(r, status, trace_id);
    r->ha->in_flight--;
    free(r);
}

static const char *ha_header(void *tctx, const char *name)
{
    struct ha_req *r = tctx;

    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

static const struct wsgw_http_transport transport = {ha_send, ha_header};

/* The connection closed with the answer still pending (or at stop). */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct ha_req *r = arg;

    wsgw_http_req_abandon(r->req);
    access_log(r, 0, wsgw_http_trace_id(r->req));
    r->ha->in_flight--;
    free(r);
}

/* After an answer, the connection waits for the next request. */
static void on_complete(struct evhttp_request *ev, void *arg)
{
    struct ha *ha = arg;
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    struct timeval tv = {ha->conf->idle_timeout_ms / 1000,
                         (ha->conf->idle_timeout_ms % 1000) * 1000};

    if (evcon)
        evhttp_connection_set_timeout_tv(evcon, &tv);
}

/*
 * Answers are written in more than one piece (headers, body); with Nagle
 * the last piece waited for the client's delayed ACK, 40 ms per request on
 * a kept-alive connection (measured by scripts/bench). libevent 2.1 has
 * no accept hook for socket options, so set it on each request.
 */
static void no_delay(struct evhttp_connection *evcon)
{
    struct bufferevent *bev =
        evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void ha_on_request(struct evhttp_request *ev, void *arg)
{
    struct ha *ha = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    struct evkeyvalq *hdrs = evhttp_request_get_input_headers(ev);
    size_t len = evbuffer_get_length(in);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : NULL;
    const char *key;
    struct timeval tv = {ha->conf->read_timeout_ms / 1000,
                         (ha->conf->read_timeout_ms % 1000) * 1000};
    struct ha_req *r = calloc(1, sizeof(*r));
    int authenticated;

    if (!r) {
        evhttp_send_error(ev, 500, NULL);
        return;
    }
    r->ha = ha;
    r->ev = ev;
    r->evcon = evhttp_request_get_connection(ev);
    r->start_ns = wsgw_now_ns();
    no_delay(r->evcon);
    snprintf(r->method, sizeof(r->method), "%s",
             method_name(evhttp_request_get_command(ev)));
    r->head = evhttp_request_get_command(ev) == EVHTTP_REQ_HEAD;
    log_safe(r->path, sizeof(r->path), path && *path ? path : "/");
    ha->requests++;
    ha->in_flight++;
    /* Writing the answer is bounded by read_timeout; waiting for the
     * next request on this connection by idle_timeout (on_complete). */
    if (r->evcon)
        evhttp_connection_set_timeout_tv(r->evcon, &tv);
    evhttp_request_set_on_complete_cb(ev, on_complete, ha);

    r->req = wsgw_http_req_new(&transport, r, r->method,
                               path && *path ? path : "/", query, body, len,
                               evhttp_find_header(hdrs, "X-Trace-Id"));
    if (!r->req) {
        ha->in_flight--;
        free(r);
        evhttp_send_error(ev, 500, NULL);
        return;
    }
    evhttp_connection_set_closecb(r->evcon, on_close, r);
    if (len > (size_t)ha->conf->max_body) {
        wsgw_http_error(
            r->req, 413, "PAYLOAD_TOO_LARGE",
            json_pack("{s:I}", "max_body", (json_int_t)ha->conf->max_body),
            "the request body is larger than %lld bytes",
            (long long)ha->conf->max_body);
        return;
    }
    key = evhttp_find_header(hdrs, "X-API-Key");
    authenticated = ha_key_ok(ha, key);
    if (!authenticated)
        authenticated = ha_key_ok(ha, wsgw_http_query(r->req, "api_key"));
    wsgw_http_dispatch(r->req, authenticated,
                       WSGW_ROUTE_PUBLIC |
                           (ha->conf->metrics_auth ? 0 : WSGW_ROUTE_METRICS));
}
