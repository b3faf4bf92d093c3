/*
 * rmq_names.c — templates, name checks and routing keys.
 */
#include <stdio.h>
#include <string.h>

#include "rmq_names.h"

int rmq_expand(const char *tmpl, const struct rmq_var *vars, size_t n,
               char *out, struct wsgw_err *err)
{
    size_t len = 0;
    const char *p = tmpl;

    while (*p) {
        const char *piece = p;
        size_t plen = 1;
        if (*p == '{') {
            const char *end = strchr(p + 1, '}');
            if (!end)
                return wsgw_err_set(err, NULL,
                                    "template '%s': '{' without a closing '}'",
                                    tmpl);
            size_t klen = (size_t)(end - p - 1);
            size_t i;
            for (i = 0; i < n; i++)
                if (strlen(vars[i].key) == klen &&
                    memcmp(vars[i].key, p + 1, klen) == 0)
                    break;
            if (i == n) {
                char known[128] = "";
                size_t k = 0;
                for (size_t j = 0; j < n && k < sizeof(known); j++)
                    k += (size_t)snprintf(known + k, sizeof(known) - k,
                                          "%s{%s}", j ? ", " : "", vars[j].key);
                return wsgw_err_set(err, NULL,
                                    "template '%s': unknown placeholder "
                                    "'{%.*s}' (known: %s)",
                                    tmpl, (int)klen, p + 1, known);
            }
            piece = vars[i].val;
            plen = strlen(piece);
            p = end + 1;
        } else {
            p++;
        }
        if (len + plen > RMQ_NAME_MAX)
            return wsgw_err_set(err, NULL,
                                "template '%s' gives a name longer than %d "
                                "bytes",
                                tmpl, RMQ_NAME_MAX);
        memcpy(out + len, piece, plen);
        len += plen;
    }
    out[len] = '\0';
    if (len == 0)
        return wsgw_err_set(err, NULL, "template '%s' gives an empty name",
                            tmpl);
    return (int)len;
}

int rmq_name_check(const char *what, const char *name, struct wsgw_err *err)
{
    size_t len = strlen(name);
    if (len == 0)
        return wsgw_err_set(err, NULL, "%s name is empty", what);
    if (len > RMQ_NAME_MAX)
        return wsgw_err_set(err, NULL,
                            "%s name '%.40s...' is longer than %d "
                            "bytes",
                            what, name, RMQ_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return wsgw_err_set(err, NULL,
                                "%s name '%s' contains a control character",
                                what, name);
    if (strncmp(name, "amq.", 4) == 0)
        return wsgw_err_set(err, NULL,
                            "%s name '%s' is in the broker's reserved "
                            "'amq.' namespace",
                            what, name);
    return WSGW_OK;
}

/* Append one routing-key word; returns the new length. */
static size_t put_word(char *out, size_t len, const char *s)
{
    if (!s || !*s)
        s = "_";
    for (; *s && len < RMQ_NAME_MAX; s++)
        out[len++] = *s == '.' ? '_' : *s;
    return len;
}

size_t rmq_routing_key(const char *cls, const char *category,
                       const char *symbol, char *out)
{
    size_t len = put_word(out, 0, cls);
    if (len < RMQ_NAME_MAX)
        out[len++] = '.';
    len = put_word(out, len, category);
    if (len < RMQ_NAME_MAX)
        out[len++] = '.';
    len = put_word(out, len, symbol);
    out[len] = '\0';
    return len;
}
