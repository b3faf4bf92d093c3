/*
 * http_admin.h — the admin API transport: libevent's evhttp on the
 * core's loop, serving the core's route table (wsgw/http.h). Shared by
 * the module's files; not installed.
 */
#ifndef WSGW_HTTP_ADMIN_H
#define WSGW_HTTP_ADMIN_H

#include <stdint.h>

#include <wsgw/wsgw.h>

struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;

struct ha_conf {
    struct wsgw_strlist listen;
    struct wsgw_strlist api_keys;
    int metrics_auth;
    int64_t max_body;
    int64_t max_headers;
    int64_t read_timeout_ms;
    int64_t idle_timeout_ms;
};

struct ha_listener {
    char host[64];
    uint16_t port;
    struct evhttp_bound_socket *bound;
    char bound_as[80]; /* "127.0.0.1:4400" after bind (port 0 resolved) */
};

struct ha {
    struct wsgw_instance *in;
    const struct ha_conf *conf;
    struct evhttp *http;
    struct ha_listener *listeners;
    size_t n_listeners;
    char **keys; /* non-empty keys, owned, wiped on destroy */
    size_t n_keys;
    uint64_t requests;
    uint64_t in_flight;
};

/* ---- http_admin_keys.c ---------------------------------------------- */

/*
 * Collect the configured keys (api_keys, then $WSGW_API_KEY), skipping
 * empty ones. WSGW_OK or WSGW_ERR (out of memory).
 */
int ha_keys_load(struct ha *ha, struct wsgw_err *err);
/*
 * With no key configured, make one (32 hex digits from the OS's random
 * source) and log it once at INFO: the only place a key is ever printed.
 */
int ha_keys_ensure(struct ha *ha, struct wsgw_err *err);
/* 1 when `presented` equals one of the keys (constant time per key). */
int ha_key_ok(const struct ha *ha, const char *presented);
/* Wipe and free the keys. */
void ha_keys_free(struct ha *ha);

/* ---- http_admin_req.c ----------------------------------------------- */

/* evhttp's callback for every request (evhttp_set_gencb). */
void ha_on_request(struct evhttp_request *ev, void *arg);

/* The largest body evhttp buffers before refusing on its own: above
 * max_body we still answer 413 in JSON ourselves, up to this. */
size_t ha_body_hard_cap(const struct ha_conf *c);

#endif
