/*
 * conf_interp.h — ${VAR} interpolation of configuration scalars.
 *
 * Syntax (docker-compose's subset, so it reads the same everywhere):
 *   ${VAR}            the value of VAR; an unset VAR is an error
 *   ${VAR:-default}   VAR if set and non-empty, else the literal default
 *                     (literal text up to the first '}'; may be empty)
 *   $$                a literal '$'
 *   $ before anything else is a literal '$' (so "pa$word" needs no escape)
 * VAR is [A-Za-z_][A-Za-z0-9_]*. Anything else inside ${...} is an error,
 * and so is '${' inside a default (no nesting).
 */
#ifndef WSGW_CONF_INTERP_H
#define WSGW_CONF_INTERP_H

#include <stddef.h>

#include <wsgw/core.h>

/* Looks up a variable; NULL when unset. getenv() in the daemon. */
typedef const char *(*conf_lookup_fn)(const char *name, void *arg);

/*
 * Expand `in` (`len` bytes, may hold no NUL). Returns a new NUL-terminated
 * string owned by the caller, with *expanded = 1 when at least one ${...}
 * was replaced (0 when the text had none, or only $$). On error returns
 * NULL, err->msg holds a short phrase without position ("environment
 * variable 'X' is not set ...") and *err_off the byte offset in `in` of
 * the '$' that starts the bad reference. The phrase never contains the
 * value of any variable. `lookup` NULL means getenv().
 */
char *conf_interp(const char *in, size_t len, conf_lookup_fn lookup, void *arg,
                  int *expanded, size_t *err_off, struct wsgw_err *err);

#endif
