/*
 * http_admin.c — the admin API transport module: evhttp listening on one
 * or more addresses (IPv4 and IPv6), API keys, limits, timeouts; every
 * request goes to the core's route table (wsgw_http_dispatch), so the
 * endpoints themselves live with whoever registered them.
 *
 * create only parses (so `wsgw -t` checks the listen addresses), start
 * binds, stop closes the listening sockets, destroy frees the server and
 * with it any connection still open.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/http.h>
#include <event2/util.h>

#include "http_admin.h"

/*
 * "127.0.0.1:4400", "[::1]:4400", "0.0.0.0:4400", "[::]:4400". A port of
 * 0 asks the kernel for a free one (the bound address is logged).
 */
static int parse_listen(const char *s, struct ha_listener *l,
                        struct wsgw_err *err)
{
    const char *colon, *host = s;
    size_t hlen;
    char *end;
    long port;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            goto bad;
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            goto bad; /* a bare IPv6 address needs brackets */
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= sizeof(l->host))
        goto bad;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || port < 0 || port > 65535)
        goto bad;
    memcpy(l->host, host, hlen);
    l->host[hlen] = '\0';
    l->port = (uint16_t)port;
    return WSGW_OK;
bad:
    return wsgw_err_set(err, NULL,
                        "option 'listen': '%s' is not HOST:PORT (IPv6 as "
                        "[ADDR]:PORT, e.g. [::1]:4400)",
                        s);
}

static void ha_destroy(void *ctx);

static int ha_create(struct wsgw_instance *in, const void *conf, void **ctx,
                     struct wsgw_err *err)
{
    struct ha *ha = calloc(1, sizeof(*ha));

    if (!ha)
        return wsgw_err_set(err, NULL, "out of memory");
    ha->in = in;
    ha->conf = conf;
    if (ha->conf->listen.n == 0) {
        wsgw_err_set(err, NULL,
                     "option 'listen': at least one address is needed");
        goto fail;
    }
    ha->listeners = calloc(ha->conf->listen.n, sizeof(*ha->listeners));
    if (!ha->listeners) {
        wsgw_err_set(err, NULL, "out of memory");
        goto fail;
    }
    ha->n_listeners = ha->conf->listen.n;
    for (size_t i = 0; i < ha->n_listeners; i++)
        if (parse_listen(ha->conf->listen.v[i], &ha->listeners[i], err) !=
            WSGW_OK)
            goto fail;
    if (ha_keys_load(ha, err) != WSGW_OK)
        goto fail;
    *ctx = ha;
    return WSGW_OK;
fail:
    /* A failed create is not destroyed by the core. */
    ha_destroy(ha);
    return WSGW_ERR;
}

static void describe_bound(struct ha_listener *l)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = l->port;
    evutil_socket_t fd = evhttp_bound_socket_get_fd(l->bound);

    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
            port = ntohs(a->sin6_port);
            snprintf(l->bound_as, sizeof(l->bound_as), "[%s]:%d", addr, port);
            return;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
        port = ntohs(a->sin_port);
    }
    snprintf(l->bound_as, sizeof(l->bound_as), "%s:%d", addr, port);
}

static int ha_start(void *ctx, struct wsgw_err *err)
{
    struct ha *ha = ctx;
    const struct ha_conf *c = ha->conf;
    struct timeval tv = {c->read_timeout_ms / 1000,
                         (c->read_timeout_ms % 1000) * 1000};

    if (ha_keys_ensure(ha, err) != WSGW_OK)
        return WSGW_ERR;
    ha->http = evhttp_new(wsgw_event_base());
    if (!ha->http)
        return wsgw_err_set(err, NULL, "cannot create the HTTP server");
    evhttp_set_max_body_size(ha->http, (ev_ssize_t)ha_body_hard_cap(c));
    evhttp_set_max_headers_size(ha->http, (ev_ssize_t)c->max_headers);
    evhttp_set_timeout_tv(ha->http, &tv);
    /* Every method reaches the route table, which answers 405 in JSON. */
    evhttp_set_allowed_methods(
        ha->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                      EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(ha->http, ha_on_request, ha);
    for (size_t i = 0; i < ha->n_listeners; i++) {
        struct ha_listener *l = &ha->listeners[i];

        l->bound = evhttp_bind_socket_with_handle(ha->http, l->host, l->port);
        if (!l->bound)
            return wsgw_err_set(err, NULL, "cannot listen on %s: %s",
                                c->listen.v[i], strerror(errno));
        describe_bound(l);
        wsgw_info(ha->in, "admin API listening on %s", l->bound_as);
    }
    return WSGW_OK;
}

static void ha_stop(void *ctx)
{
    struct ha *ha = ctx;

    for (size_t i = 0; i < ha->n_listeners; i++)
        if (ha->http && ha->listeners[i].bound) {
            evhttp_del_accept_socket(ha->http, ha->listeners[i].bound);
            ha->listeners[i].bound = NULL;
        }
}

static void ha_destroy(void *ctx)
{
    struct ha *ha = ctx;

    if (!ha)
        return;
    /* Frees open connections; a pending request is abandoned first. */
    if (ha->http)
        evhttp_free(ha->http);
    ha_keys_free(ha);
    free(ha->listeners);
    free(ha);
}

static int ha_status(void *ctx, json_t *out)
{
    struct ha *ha = ctx;
    json_t *addrs = json_array();
    int listening = 0;

    for (size_t i = 0; i < ha->n_listeners; i++)
        if (ha->listeners[i].bound) {
            json_array_append_new(addrs,
                                  json_string(ha->listeners[i].bound_as));
            listening = 1;
        }
    json_object_set_new(out, "state",
                        json_string(listening ? "listening" : "stopped"));
    json_object_set_new(out, "listen", addrs);
    json_object_set_new(out, "requests",
                        json_integer((json_int_t)ha->requests));
    json_object_set_new(out, "in_flight",
                        json_integer((json_int_t)ha->in_flight));
    json_object_set_new(out, "api_keys", json_integer((json_int_t)ha->n_keys));
    return listening ? WSGW_HEALTH_UP : WSGW_HEALTH_DOWN;
}

static const struct wsgw_option ha_options[] = {
    {"listen", WSGW_OPT_STRLIST, "127.0.0.1:4400", 0,
     offsetof(struct ha_conf, listen), 0, 0, NULL,
     "HOST:PORT to listen on, one or a list; IPv6 as [::1]:4400"},
    {"api_keys", WSGW_OPT_STRLIST, NULL, WSGW_OPT_SECRET,
     offsetof(struct ha_conf, api_keys), 0, 0, NULL,
     "keys accepted in X-API-Key or ?api_key= (also $WSGW_API_KEY); "
     "empty ones are ignored; none: one is generated and logged once"},
    {"metrics_auth", WSGW_OPT_BOOL, "false", 0,
     offsetof(struct ha_conf, metrics_auth), 0, 0, NULL,
     "require a key for /metrics too"},
    {"max_body", WSGW_OPT_SIZE, "64KiB", 0, offsetof(struct ha_conf, max_body),
     1, 16 << 20, NULL, "largest request body; larger is 413"},
    {"max_headers", WSGW_OPT_SIZE, "16KiB", 0,
     offsetof(struct ha_conf, max_headers), 1024, 1 << 20, NULL,
     "largest request head (request line and headers)"},
    {"read_timeout", WSGW_OPT_DURATION, "10s", 0,
     offsetof(struct ha_conf, read_timeout_ms), 100, 3600000, NULL,
     "longest silence while a request is read or an answer written"},
    {"idle_timeout", WSGW_OPT_DURATION, "60s", 0,
     offsetof(struct ha_conf, idle_timeout_ms), 100, 86400000, NULL,
     "how long a kept-alive connection may wait for its next request"},
    {NULL},
};

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "http_admin",
    .version = "1.0.0",
    .description = "admin HTTP API (evhttp): subscriptions, health, "
                   "status, metrics",
    .provides = WSGW_PROVIDES_SERVICE,
    .options = ha_options,
    .conf_size = sizeof(struct ha_conf),
    .create = ha_create,
    .start = ha_start,
    .stop = ha_stop,
    .destroy = ha_destroy,
    .status = ha_status,
};
