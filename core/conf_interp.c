/*
 * conf_interp.c — ${VAR} / ${VAR:-default} / $$ expansion (conf_interp.h).
 */
#include "conf_interp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void phrase(struct wsgw_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    err->code = NULL;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static int is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static const char *env_lookup(const char *name, void *arg)
{
    (void)arg;
    return getenv(name);
}

#define SYNTAX_HINT                                                            \
    "expected ${VAR} or ${VAR:-default}, VAR made of letters, digits and '_'"

char *conf_interp(const char *in, size_t len, conf_lookup_fn lookup, void *arg,
                  int *expanded, size_t *err_off, struct wsgw_err *err)
{
    struct buf out = {NULL, 0, 0};
    char name[256];
    size_t i = 0;

    if (lookup == NULL)
        lookup = env_lookup;
    *expanded = 0;
    if (buf_add(&out, "", 0) < 0)
        goto nomem;

    while (i < len) {
        const char *dollar = memchr(in + i, '$', len - i);
        size_t plain = dollar ? (size_t)(dollar - (in + i)) : len - i;

        if (buf_add(&out, in + i, plain) < 0)
            goto nomem;
        i += plain;
        if (i >= len)
            break;

        /* in[i] == '$' */
        if (i + 1 < len && in[i + 1] == '$') {
            if (buf_add(&out, "$", 1) < 0)
                goto nomem;
            i += 2;
            continue;
        }
        if (i + 1 >= len || in[i + 1] != '{') {
            if (buf_add(&out, "$", 1) < 0)
                goto nomem;
            i += 1;
            continue;
        }

        size_t start = i, j = i + 2, n = 0;
        const char *close = memchr(in + j, '}', len - j);
        if (close == NULL) {
            *err_off = start;
            phrase(err, "unterminated '${': " SYNTAX_HINT);
            goto fail;
        }
        if (j >= len || !is_name_start(in[j])) {
            *err_off = start;
            phrase(err, "invalid variable reference: " SYNTAX_HINT);
            goto fail;
        }
        while (j < len && is_name_char(in[j])) {
            if (n + 1 >= sizeof(name)) {
                *err_off = start;
                phrase(err, "variable name too long (at most %zu characters)",
                       sizeof(name) - 1);
                goto fail;
            }
            name[n++] = in[j++];
        }
        name[n] = '\0';

        const char *value = lookup(name, arg);
        size_t end = (size_t)(close - in);
        if (in + j == close) {
            if (value == NULL) {
                *err_off = start;
                phrase(err,
                       "environment variable '%s' is not set (write "
                       "${%s:-default} to give it a default)",
                       name, name);
                goto fail;
            }
            if (buf_add(&out, value, strlen(value)) < 0)
                goto nomem;
        } else if (end - j >= 2 && in[j] == ':' && in[j + 1] == '-') {
            const char *def = in + j + 2;
            size_t deflen = end - j - 2;
            for (size_t k = 0; k + 1 < deflen; k++) {
                if (def[k] == '$' && def[k + 1] == '{') {
                    *err_off = start;
                    phrase(err, "a default cannot contain '${': nested "
                                "references are not supported");
                    goto fail;
                }
            }
            /* Shell semantics: the default also replaces an empty value. */
            if (value != NULL && value[0] != '\0') {
                if (buf_add(&out, value, strlen(value)) < 0)
                    goto nomem;
            } else if (buf_add(&out, def, deflen) < 0) {
                goto nomem;
            }
        } else {
            *err_off = start;
            phrase(err, "invalid variable reference: " SYNTAX_HINT);
            goto fail;
        }
        *expanded = 1;
        i = end + 1;
    }
    return out.p;

nomem:
    *err_off = i;
    phrase(err, "out of memory");
fail:
    free(out.p);
    return NULL;
}
