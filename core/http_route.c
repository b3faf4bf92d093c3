/*
 * http_route.c — the admin route table: registration, matching,
 * the request object, answers and the error shape of the API.
 *
 * Routes are few (tens) and requests are rare compared with events, so
 * the table is an array searched linearly; clarity wins over speed here.
 */
#include <config.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_route.h"
#include "json_escape.h"

#define MAX_SEGS   16
#define MAX_PARAMS 8

struct http_route {
    struct wsgw_instance *owner;
    char method[8];
    char *pattern;
    char **segs; /* literal text, or "{name}" for a parameter */
    size_t nsegs;
    unsigned flags;
    wsgw_route_fn fn;
    void *arg;
    json_t *operation;
};

static struct http_route *routes;
static size_t n_routes, cap_routes;

struct kv {
    char *k, *v;
};

struct hdr {
    char *name, *value;
};

struct wsgw_http_req {
    const struct wsgw_http_transport *t;
    void *tctx;
    char method[8];
    char *path; /* decoded, without the query */
    char **segs;
    size_t nsegs;
    int bad_path; /* undecodable: 400 */
    int no_match; /* empty segment, too deep: 404 */
    struct kv *query;
    size_t nquery;
    int bad_query;
    struct kv params[MAX_PARAMS];
    size_t nparams;
    char *body;
    size_t body_len;
    char trace_id[65];
    struct hdr *hdrs;
    size_t nhdrs;
    int status;
    int abandoned;
    int in_handler;
};

static void req_free(struct wsgw_http_req *req);

/* ---- decoding -------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(const char *s, size_t len, int plus_space)
{
    char *out = malloc(len + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;

        if (s[i] == '%' && i + 2 < len &&
            (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            if (hi == 0 && lo == 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (s[i] == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- patterns -------------------------------------------------------- */

static int is_param(const char *seg)
{
    return seg[0] == '{';
}

static void free_segs(char **segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
}

/*
 * Split a pattern into segments. Returns the count, or -1 with a reason
 * in *why when the pattern is malformed.
 */
static int split_pattern(const char *pattern, char ***out, const char **why)
{
    char **segs = calloc(MAX_SEGS, sizeof(*segs));
    size_t n = 0;
    const char *p = pattern;

    *why = "out of memory";
    if (!segs)
        return -1;
    *why = "must start with '/'";
    if (*p != '/')
        goto fail;
    if (strcmp(p, "/") == 0) {
        *out = segs;
        return 0;
    }
    while (*p == '/') {
        const char *start = ++p;
        size_t len;

        while (*p && *p != '/')
            p++;
        len = (size_t)(p - start);
        *why = "has an empty segment";
        if (len == 0)
            goto fail;
        *why = "has too many segments";
        if (n == MAX_SEGS)
            goto fail;
        if (start[0] == '{') {
            *why = "has a malformed {parameter}";
            if (len < 3 || start[len - 1] != '}')
                goto fail;
            for (size_t i = 1; i + 1 < len; i++)
                if (!isalnum((unsigned char)start[i]) && start[i] != '_')
                    goto fail;
            for (size_t i = 0; i < n; i++)
                if (strlen(segs[i]) == len &&
                    memcmp(segs[i], start, len) == 0) {
                    *why = "repeats a parameter name";
                    goto fail;
                }
        } else {
            *why = "has '{' or '}' inside a literal segment";
            if (memchr(start, '{', len) || memchr(start, '}', len))
                goto fail;
        }
        *why = "out of memory";
        segs[n] = strndup(start, len);
        if (!segs[n])
            goto fail;
        n++;
    }
    *out = segs;
    return (int)n;
fail:
    free_segs(segs, n);
    return -1;
}

/* Same shape: same length, same literals, parameters anywhere alike. */
static int same_shape(const struct http_route *r, char **segs, size_t n)
{
    if (r->nsegs != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (is_param(r->segs[i]) != is_param(segs[i]))
            return 0;
        if (!is_param(segs[i]) && strcmp(r->segs[i], segs[i]) != 0)
            return 0;
    }
    return 1;
}

static int method_known(const char *m)
{
    static const char *const known[] = {"GET", "POST",  "DELETE",
                                        "PUT", "PATCH", NULL};
    for (size_t i = 0; known[i]; i++)
        if (strcmp(m, known[i]) == 0)
            return 1;
    return 0;
}

int wsgw_route_add(struct wsgw_instance *owner, const char *method,
                   const char *pattern, unsigned flags, wsgw_route_fn fn,
                   void *arg, const char *openapi)
{
    const char *who = owner ? wsgw_instance_name(owner) : NULL;
    struct http_route r = {0};
    const char *why;
    json_error_t jerr;
    int n;

    if (!method || !pattern || !fn || !method_known(method)) {
        wsgw_error(owner,
                   "route %s %s: method must be one of GET, POST, "
                   "DELETE, PUT, PATCH and a handler is required",
                   method ? method : "(null)", pattern ? pattern : "(null)");
        return WSGW_ERR;
    }
    n = split_pattern(pattern, &r.segs, &why);
    if (n < 0) {
        wsgw_error(owner, "route %s %s: the pattern %s", method, pattern, why);
        return WSGW_ERR;
    }
    r.nsegs = (size_t)n;
    for (size_t i = 0; i < n_routes; i++) {
        if (strcmp(routes[i].method, method) == 0 &&
            same_shape(&routes[i], r.segs, r.nsegs)) {
            wsgw_error(
                owner, "route %s %s is already registered (as %s%s%s)", method,
                pattern, routes[i].pattern, routes[i].owner ? " by " : "",
                routes[i].owner ? wsgw_instance_name(routes[i].owner) : "");
            free_segs(r.segs, r.nsegs);
            return WSGW_ERR;
        }
    }
    if (openapi) {
        r.operation = json_loads(openapi, 0, &jerr);
        if (!r.operation || !json_is_object(r.operation)) {
            wsgw_error(owner,
                       "route %s %s: the OpenAPI operation is not a JSON "
                       "object (%s at line %d)",
                       method, pattern,
                       r.operation ? "not an object" : jerr.text, jerr.line);
            json_decref(r.operation);
            free_segs(r.segs, r.nsegs);
            return WSGW_ERR;
        }
    } else {
        r.operation = json_pack("{s:s}", "summary", pattern);
    }
    r.pattern = strdup(pattern);
    if (!r.operation || !r.pattern)
        goto nomem;
    if (n_routes == cap_routes) {
        size_t cap = cap_routes ? cap_routes * 2 : 32;
        struct http_route *nr = realloc(routes, cap * sizeof(*nr));

        if (!nr)
            goto nomem;
        routes = nr;
        cap_routes = cap;
    }
    r.owner = owner;
    snprintf(r.method, sizeof(r.method), "%s", method);
    r.flags = flags;
    r.fn = fn;
    r.arg = arg;
    routes[n_routes++] = r;
    wsgw_debug(owner, "route %s %s registered%s%s", method, pattern,
               who ? " by " : "", who ? who : "");
    return WSGW_OK;
nomem:
    wsgw_error(owner, "route %s %s: out of memory", method, pattern);
    json_decref(r.operation);
    free(r.pattern);
    free_segs(r.segs, r.nsegs);
    return WSGW_ERR;
}

static void route_release(struct http_route *r)
{
    free(r->pattern);
    free_segs(r->segs, r->nsegs);
    json_decref(r->operation);
}

void http_routes_remove(const struct wsgw_instance *owner)
{
    size_t o = 0;

    for (size_t i = 0; i < n_routes; i++) {
        if (owner && routes[i].owner == owner)
            route_release(&routes[i]);
        else
            routes[o++] = routes[i];
    }
    n_routes = o;
}

void http_routes_free(void)
{
    for (size_t i = 0; i < n_routes; i++)
        route_release(&routes[i]);
    free(routes);
    routes = NULL;
    n_routes = cap_routes = 0;
}

void http_routes_foreach(http_route_visit_fn fn, void *arg)
{
    for (size_t i = 0; i < n_routes; i++)
        fn(arg, routes[i].method, routes[i].pattern, routes[i].flags,
           routes[i].operation);
}

/* ---- requests -------------------------------------------------------- */

static int trace_id_sane(const char *s)
{
    size_t n = 0;

    if (!s)
        return 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_' &&
            s[n] != '.')
            return 0;
    return n > 0 && n <= 64;
}

static void new_trace_id(char *out)
{
    char uuid[WSGW_UUID_LEN + 1];
    size_t o = 0;

    wsgw_uuid4(uuid);
    for (size_t i = 0; uuid[i]; i++)
        if (uuid[i] != '-')
            out[o++] = uuid[i];
    out[o] = '\0';
}

/* Split and decode the path; marks bad_path instead of failing. */
static int parse_path(struct wsgw_http_req *req, const char *raw)
{
    size_t len = strlen(raw), plen = 0;
    const char *p = raw;

    req->segs = calloc(MAX_SEGS, sizeof(*req->segs));
    req->path = malloc(len + 2);
    if (!req->segs || !req->path)
        return WSGW_ERR;
    req->path[0] = '\0';
    if (raw[0] != '/')
        req->no_match = 1;
    /* One trailing slash is ignored: "/a/b/" is "/a/b". */
    if (len > 1 && raw[len - 1] == '/')
        len--;
    while (!req->no_match && p < raw + len && *p == '/') {
        const char *start = ++p;
        char *seg;

        while (p < raw + len && *p != '/')
            p++;
        if (p == start && start == raw + len && req->nsegs == 0)
            break; /* the root "/" */
        if (p == start || req->nsegs == MAX_SEGS) {
            req->no_match = 1;
            break;
        }
        seg = http_percent_decode(start, (size_t)(p - start), 0);
        if (!seg) {
            req->bad_path = 1;
            break;
        }
        req->segs[req->nsegs++] = seg;
        /* Keep the decoded path printable for logs and handlers. */
        char *np = realloc(req->path, plen + strlen(seg) + 2);
        if (!np)
            return WSGW_ERR;
        req->path = np;
        plen += (size_t)sprintf(req->path + plen, "/%s", seg);
    }
    if (req->bad_path || req->no_match) {
        /* Logs and errors then show what the client sent. */
        free(req->path);
        req->path = strdup(raw);
        return req->path ? WSGW_OK : WSGW_ERR;
    }
    if (req->nsegs == 0)
        strcpy(req->path, "/");
    return WSGW_OK;
}

static int parse_query(struct wsgw_http_req *req, const char *q)
{
    size_t cap = 0;

    if (!q || !*q)
        return WSGW_OK;
    while (*q) {
        const char *amp = strchr(q, '&');
        const char *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        const char *kend = eq ? eq : end;

        if (kend > q) {
            char *k = http_percent_decode(q, (size_t)(kend - q), 1);
            char *v =
                eq ? http_percent_decode(eq + 1, (size_t)(end - eq - 1), 1)
                   : strdup("");

            if (!k || !v) {
                free(k);
                free(v);
                req->bad_query = 1;
                return WSGW_OK;
            }
            if (req->nquery == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct kv *nq = realloc(req->query, ncap * sizeof(*nq));

                if (!nq) {
                    free(k);
                    free(v);
                    return WSGW_ERR;
                }
                req->query = nq;
                cap = ncap;
            }
            req->query[req->nquery].k = k;
            req->query[req->nquery].v = v;
            req->nquery++;
        }
        q = amp ? amp + 1 : end;
    }
    return WSGW_OK;
}

struct wsgw_http_req *wsgw_http_req_new(const struct wsgw_http_transport *t,
                                        void *tctx, const char *method,
                                        const char *path, const char *query,
                                        const char *body, size_t body_len,
                                        const char *trace_id)
{
    struct wsgw_http_req *req = calloc(1, sizeof(*req));

    if (!req)
        return NULL;
    req->t = t;
    req->tctx = tctx;
    snprintf(req->method, sizeof(req->method), "%s", method ? method : "");
    if (parse_path(req, path ? path : "") != WSGW_OK ||
        parse_query(req, query) != WSGW_OK)
        goto fail;
    if (body_len > 0) {
        req->body = malloc(body_len + 1);
        if (!req->body)
            goto fail;
        memcpy(req->body, body, body_len);
        req->body[body_len] = '\0';
        req->body_len = body_len;
    }
    if (trace_id_sane(trace_id))
        snprintf(req->trace_id, sizeof(req->trace_id), "%s", trace_id);
    else
        new_trace_id(req->trace_id);
    return req;
fail:
    req_free(req);
    return NULL;
}

static void req_free(struct wsgw_http_req *req)
{
    if (!req)
        return;
    free(req->path);
    if (req->segs)
        free_segs(req->segs, req->nsegs);
    for (size_t i = 0; i < req->nquery; i++) {
        free(req->query[i].k);
        free(req->query[i].v);
    }
    free(req->query);
    for (size_t i = 0; i < req->nparams; i++) {
        free(req->params[i].k);
        free(req->params[i].v);
    }
    for (size_t i = 0; i < req->nhdrs; i++) {
        free(req->hdrs[i].name);
        free(req->hdrs[i].value);
    }
    free(req->hdrs);
    free(req->body);
    free(req);
}

const char *wsgw_http_method(const struct wsgw_http_req *req)
{
    return req->method;
}

const char *wsgw_http_path(const struct wsgw_http_req *req)
{
    return req->path;
}

const char *wsgw_http_param(const struct wsgw_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].k, name) == 0)
            return req->params[i].v;
    return NULL;
}

const char *wsgw_http_query(const struct wsgw_http_req *req, const char *name)
{
    /* The first occurrence wins: "?a=1&a=2" reads a as 1. */
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].k, name) == 0)
            return req->query[i].v;
    return NULL;
}

const char *wsgw_http_header(const struct wsgw_http_req *req, const char *name)
{
    if (req->abandoned || !req->t || !req->t->header)
        return NULL;
    return req->t->header(req->tctx, name);
}

const char *wsgw_http_body(const struct wsgw_http_req *req, size_t *len)
{
    if (len)
        *len = req->body_len;
    return req->body_len ? req->body : NULL;
}

const char *wsgw_http_trace_id(const struct wsgw_http_req *req)
{
    return req->trace_id;
}

int wsgw_http_status(const struct wsgw_http_req *req)
{
    return req->status;
}

json_t *wsgw_http_json_body(struct wsgw_http_req *req)
{
    json_error_t jerr;
    json_t *j;

    if (!req->body_len) {
        wsgw_http_error(req, 400, "INVALID_JSON", NULL,
                        "the request body is empty; a JSON object is "
                        "expected");
        return NULL;
    }
    j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        wsgw_http_error(
            req, 400, "INVALID_JSON",
            json_pack("{s:i,s:i}", "line", jerr.line, "column", jerr.column),
            "the request body is not valid JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        wsgw_http_error(req, 400, "INVALID_JSON", NULL,
                        "the request body must be a JSON object");
        return NULL;
    }
    return j;
}

int wsgw_http_set_header(struct wsgw_http_req *req, const char *name,
                         const char *value)
{
    struct hdr *nh;

    if (req->status || !name || !value || strpbrk(name, "\r\n:") ||
        strpbrk(value, "\r\n"))
        return WSGW_ERR;
    nh = realloc(req->hdrs, (req->nhdrs + 1) * sizeof(*nh));
    if (!nh)
        return WSGW_ERR;
    req->hdrs = nh;
    nh[req->nhdrs].name = strdup(name);
    nh[req->nhdrs].value = strdup(value);
    if (!nh[req->nhdrs].name || !nh[req->nhdrs].value) {
        free(nh[req->nhdrs].name);
        free(nh[req->nhdrs].value);
        return WSGW_ERR;
    }
    req->nhdrs++;
    return WSGW_OK;
}

const char *wsgw_http_resp_header(const struct wsgw_http_req *req, size_t i,
                                  const char **value)
{
    if (i >= req->nhdrs)
        return NULL;
    if (value)
        *value = req->hdrs[i].value;
    return req->hdrs[i].name;
}

/* ---- answering ------------------------------------------------------- */

static void count_status(int status)
{
    char labels[32];

    snprintf(labels, sizeof(labels), "status=\"%d\"", status);
    wsgw_counter_add(wsgw_counter("wsgw_http_requests_total",
                                  "Admin API requests answered, by status",
                                  labels),
                     1);
}

void wsgw_http_reply(struct wsgw_http_req *req, int status,
                     const char *content_type, const char *body, size_t len)
{
    if (req->status) {
        wsgw_error(NULL,
                   "%s %s was answered twice (%d, then %d): the second "
                   "answer is dropped",
                   req->method, req->path, req->status, status);
        return;
    }
    req->status = status;
    count_status(status);
    if (!req->abandoned && req->t && req->t->send)
        req->t->send(req->tctx, status, content_type, body, len, req->trace_id);
    /* Inside the handler the dispatcher frees it once the handler
     * returns, so a handler may still read req after answering. */
    if (!req->in_handler)
        req_free(req);
}

void wsgw_http_reply_json(struct wsgw_http_req *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    json_decref(body);
    if (!text) {
        static const char oom[] =
            "{\"error\":\"out of memory\",\"code\":\"INTERNAL_ERROR\","
            "\"details\":{},\"detail\":{\"error\":\"out of memory\","
            "\"code\":\"INTERNAL_ERROR\",\"details\":{}}}";
        wsgw_http_reply(req, 500, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    wsgw_http_reply(req, status, "application/json", text, strlen(text));
    free(text);
}

int http_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = p[i] < 0x80 ? 1 : utf8_seq(p + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

/* Replace every byte that is not part of valid UTF-8 with '?', in place:
 * messages quote client input, and JSON strings must be UTF-8. */
static void utf8_sanitize(char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t l = p[i] < 0x80 ? 1 : utf8_seq(p + i, n - i);
        if (!l) {
            s[i++] = '?';
            continue;
        }
        i += l;
    }
}

void wsgw_http_error(struct wsgw_http_req *req, int status, const char *code,
                     json_t *details, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *body, *detail;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_sanitize(msg);
    if (!details || !json_is_object(details)) {
        json_decref(details);
        details = json_object();
    }
    detail = json_pack("{s:s,s:s,s:O}", "error", msg, "code",
                       code ? code : "ERROR", "details", details);
    body =
        json_pack("{s:s,s:s,s:o,s:o}", "error", msg, "code",
                  code ? code : "ERROR", "details", details, "detail", detail);
    wsgw_http_reply_json(req, status, body);
}

void wsgw_http_req_abandon(struct wsgw_http_req *req)
{
    req->abandoned = 1;
    req->t = NULL;
    req->tctx = NULL;
}

/* ---- dispatch -------------------------------------------------------- */

/* <0: a is more specific, >0: b is, 0: alike. */
static int specificity(const struct http_route *a, const struct http_route *b)
{
    for (size_t i = 0; i < a->nsegs; i++) {
        int pa = is_param(a->segs[i]), pb = is_param(b->segs[i]);

        if (pa != pb)
            return pa ? 1 : -1;
    }
    return 0;
}

static int route_matches(const struct http_route *r,
                         const struct wsgw_http_req *req)
{
    if (r->nsegs != req->nsegs)
        return 0;
    for (size_t i = 0; i < r->nsegs; i++)
        if (!is_param(r->segs[i]) && strcmp(r->segs[i], req->segs[i]) != 0)
            return 0;
    return 1;
}

static int bind_params(struct wsgw_http_req *req, const struct http_route *r)
{
    for (size_t i = 0; i < r->nsegs; i++) {
        const char *s = r->segs[i];

        if (!is_param(s) || req->nparams == MAX_PARAMS)
            continue;
        req->params[req->nparams].k = strndup(s + 1, strlen(s) - 2);
        req->params[req->nparams].v = strdup(req->segs[i]);
        if (!req->params[req->nparams].k || !req->params[req->nparams].v) {
            free(req->params[req->nparams].k);
            free(req->params[req->nparams].v);
            return WSGW_ERR;
        }
        req->nparams++;
    }
    return WSGW_OK;
}

void wsgw_http_dispatch(struct wsgw_http_req *req, int authenticated,
                        unsigned public_flags)
{
    const struct http_route *best = NULL, *hit = NULL, *get = NULL;
    char allow[64] = "";
    int is_head = strcmp(req->method, "HEAD") == 0;

    if (req->bad_path) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER", NULL,
                        "the request path is malformed");
        return;
    }
    for (size_t i = 0; i < n_routes && !req->no_match; i++)
        if (route_matches(&routes[i], req) &&
            (!best || specificity(&routes[i], best) < 0))
            best = &routes[i];
    if (!best) {
        wsgw_http_error(req, 404, "NOT_FOUND", NULL, "no such endpoint: %s",
                        req->path);
        return;
    }
    for (size_t i = 0; i < n_routes; i++) {
        const struct http_route *r = &routes[i];

        if (!same_shape(r, best->segs, best->nsegs))
            continue;
        if (strcmp(r->method, req->method) == 0)
            hit = r;
        if (strcmp(r->method, "GET") == 0)
            get = r;
        if (strlen(allow) + strlen(r->method) + 8 < sizeof(allow))
            sprintf(allow + strlen(allow), "%s%s", allow[0] ? ", " : "",
                    r->method);
    }
    if (get && strlen(allow) + 8 < sizeof(allow))
        strcat(allow, ", HEAD");
    /* HEAD is GET without the body (the transport drops the body). */
    if (!hit && is_head)
        hit = get;
    if (!hit) {
        wsgw_http_set_header(req, "Allow", allow);
        wsgw_http_error(req, 405, "METHOD_NOT_ALLOWED",
                        json_pack("{s:s}", "allow", allow),
                        "method %s is not allowed on %s (allowed: %s)",
                        req->method, req->path, allow);
        return;
    }
    if (!authenticated && !(hit->flags & public_flags)) {
        wsgw_http_error(req, 401, "UNAUTHORIZED", NULL,
                        "a valid API key is required (X-API-Key header or "
                        "api_key query parameter)");
        return;
    }
    if (req->bad_query) {
        wsgw_http_error(req, 400, "INVALID_PARAMETER", NULL,
                        "the query string is malformed");
        return;
    }
    if (bind_params(req, hit) != WSGW_OK) {
        wsgw_http_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    req->in_handler = 1;
    hit->fn(req, hit->arg);
    req->in_handler = 0;
    if (req->status)
        req_free(req);
}
