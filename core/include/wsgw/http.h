/*
 * wsgw/http.h — the admin route table.
 *
 * The core and the modules register admin HTTP routes here (each module
 * owns its endpoints); a transport module (http_admin) owns sockets, TLS,
 * limits and authentication and hands each parsed request to
 * wsgw_http_dispatch(). Handlers never see the transport.
 *
 * Everything here runs on the loop thread.
 */
#ifndef WSGW_HTTP_H_INCLUDED
#define WSGW_HTTP_H_INCLUDED

#include <stddef.h>

#include <jansson.h>

#include <wsgw/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One request; owned by the core until it is answered and sent. */
struct wsgw_http_req;

/*
 * A route handler. It must answer exactly once with one of the
 * wsgw_http_reply* functions, either before returning or later on the
 * loop thread (after an asynchronous database query, say). Until it
 * answers, req stays valid even if the client has gone (the answer is
 * then discarded).
 */
typedef void (*wsgw_route_fn)(struct wsgw_http_req *req, void *arg);

enum wsgw_route_flags {
    WSGW_ROUTE_PUBLIC = 1u << 0,  /* no API key needed (/health)          */
    WSGW_ROUTE_METRICS = 1u << 1, /* public unless the transport says no  */
};

/*
 * Register `method` (GET, POST, DELETE, PUT, PATCH) on `pattern`, a path
 * whose segments may be `{name}` parameters ("/api/v1/subscriptions/{id}").
 * A literal segment wins over a parameter ("/by-service/x" over "/{id}").
 * `openapi` is the route's OpenAPI 3.1 operation object as JSON text
 * (summary, parameters, responses; it may $ref "#/components/schemas/..."
 * of the core's document); the core serves the union as /openapi.json.
 * `owner` is the registering instance (NULL for the core); its routes are
 * removed when it is destroyed. Returns WSGW_OK, or WSGW_ERR if the pair
 * is taken or the pattern or openapi text is malformed (logged).
 */
int wsgw_route_add(struct wsgw_instance *owner, const char *method,
                   const char *pattern, unsigned flags, wsgw_route_fn fn,
                   void *arg, const char *openapi);

/* ---- reading a request (handlers) ------------------------------------ */

const char *wsgw_http_method(const struct wsgw_http_req *req);
/* The decoded path, without the query. */
const char *wsgw_http_path(const struct wsgw_http_req *req);
/* Value of path parameter {name}, decoded; NULL if the route has none. */
const char *wsgw_http_param(const struct wsgw_http_req *req, const char *name);
/* Value of query parameter `name`, decoded; NULL when absent. */
const char *wsgw_http_query(const struct wsgw_http_req *req, const char *name);
/* Request header (case-insensitive name), or NULL. */
const char *wsgw_http_header(const struct wsgw_http_req *req, const char *name);
/* The body (not terminated); *len set. NULL with *len 0 when empty. */
const char *wsgw_http_body(const struct wsgw_http_req *req, size_t *len);
/* The request's trace id (also sent back as X-Trace-Id). */
const char *wsgw_http_trace_id(const struct wsgw_http_req *req);

/*
 * Parse the body as a JSON object. Returns a new reference owned by the
 * caller, or NULL after answering 400 INVALID_JSON itself (the handler
 * must then just return).
 */
json_t *wsgw_http_json_body(struct wsgw_http_req *req);

/* ---- answering ------------------------------------------------------- */

/* Answer with a JSON body; steals the reference to body. */
void wsgw_http_reply_json(struct wsgw_http_req *req, int status, json_t *body);
/* Answer with any body (copied). */
void wsgw_http_reply(struct wsgw_http_req *req, int status,
                     const char *content_type, const char *body, size_t len);
/*
 * Answer with the API error shape:
 * {"error": msg, "code": code, "details": details|{}, "detail": {the same}}.
 * Steals details (may be NULL).
 */
void wsgw_http_error(struct wsgw_http_req *req, int status, const char *code,
                     json_t *details, const char *fmt, ...) WSGW_PRINTF(5, 6);

/*
 * Add a header to the answer (Allow, Retry-After, Location); call before
 * replying. Name and value are copied. WSGW_OK, or WSGW_ERR when out of
 * memory, when the name or value holds CR or LF (header injection), or
 * when the request is already answered.
 */
int wsgw_http_set_header(struct wsgw_http_req *req, const char *name,
                         const char *value);

/* ---- the transport side (http_admin) --------------------------------- */

/* How the core hands a finished answer back to the transport. */
struct wsgw_http_transport {
    /*
     * Send the answer for the request the transport created with tctx.
     * Headers: Content-Type and X-Trace-Id. The body is borrowed for the
     * call. Not called when the transport abandoned the request.
     */
    void (*send)(void *tctx, int status, const char *content_type,
                 const char *body, size_t len, const char *trace_id);
    /* Look up a request header by name (case-insensitive), or NULL. */
    const char *(*header)(void *tctx, const char *name);
};

/*
 * Create a request from what the transport parsed. method, path (raw,
 * still percent-encoded) and query (raw text after '?', or NULL) are
 * copied; the body is copied. trace_id: the client's X-Trace-Id if it is
 * sane, else NULL for a new one. Returns NULL when out of memory.
 */
struct wsgw_http_req *wsgw_http_req_new(const struct wsgw_http_transport *t,
                                        void *tctx, const char *method,
                                        const char *path, const char *query,
                                        const char *body, size_t body_len,
                                        const char *trace_id);

/*
 * Route the request: 404/405 when nothing matches; 401 when the route
 * needs a key and `authenticated` is 0, unless (route flags &
 * public_flags). Otherwise the handler runs. The core owns req from here
 * and frees it after the answer is sent or discarded.
 */
void wsgw_http_dispatch(struct wsgw_http_req *req, int authenticated,
                        unsigned public_flags);

/* The client went away: discard the answer when it comes. */
void wsgw_http_req_abandon(struct wsgw_http_req *req);

/*
 * Inside send(): the i-th extra header of the answer (name returned,
 * value in *value); NULL past the last one.
 */
const char *wsgw_http_resp_header(const struct wsgw_http_req *req, size_t i,
                                  const char **value);

/* The status the request was answered with (0 if not yet): access logs. */
int wsgw_http_status(const struct wsgw_http_req *req);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_HTTP_H_INCLUDED */
