/*
 * http_route.h — the core side of the admin route table (wsgw/http.h):
 * what the daemon and the core's own endpoints need beyond the public
 * API. Loop thread only.
 *
 * Matching policy (documented in modules/http_admin/README.md):
 *  - a path is split on '/'; every segment is percent-decoded on its own,
 *    so "%2F" inside a segment stays part of that segment;
 *  - one trailing slash is ignored ("/api/v1/subscriptions/" is the list);
 *    empty segments elsewhere ("//") match nothing;
 *  - among the patterns that match, the most literal one wins: segments
 *    are compared left to right and a literal beats a parameter, so
 *    "/by-service/{name}" is chosen over "/{id}" for "/by-service/x";
 *  - the method is then looked up on that pattern: missing is 405 with an
 *    Allow header listing the pattern's methods (HEAD is served by GET);
 *  - a path no pattern matches is 404.
 */
#ifndef WSGW_HTTP_ROUTE_H
#define WSGW_HTTP_ROUTE_H

#include <jansson.h>

#include <wsgw/wsgw.h>

/* Remove the routes `owner` registered (the daemon, on destroy). */
void http_routes_remove(const struct wsgw_instance *owner);

/* Remove every route (daemon exit, tests). */
void http_routes_free(void);

/*
 * Call fn for every route in registration order with its method, its
 * pattern, its flags and its OpenAPI operation object (borrowed).
 */
typedef void (*http_route_visit_fn)(void *arg, const char *method,
                                    const char *pattern, unsigned flags,
                                    const json_t *operation);
void http_routes_foreach(http_route_visit_fn fn, void *arg);

/*
 * Percent-decode `len` bytes of `s` into a new string owned by the caller.
 * plus_space: '+' becomes ' ' (query strings). A malformed escape ("%4",
 * "%zz") is kept as it is; an escape that decodes to NUL makes the result
 * NULL (there is no sane use for it and it would truncate the value), as
 * does running out of memory.
 */
char *http_percent_decode(const char *s, size_t len, int plus_space);

/* 1 when s[0..n) is valid UTF-8 (client input quoted into JSON). */
int http_utf8_valid(const char *s, size_t n);

#endif
