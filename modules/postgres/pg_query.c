/*
 * pg_query.c — validation of the balance endpoints' query parameters.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_query.h"

/* A whole decimal integer within [min, max]; no sign, no spaces. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s[0] || strlen(s) > 18)
        return WSGW_ERR;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return WSGW_ERR;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno || v < min || v > max)
        return WSGW_ERR;
    *out = v;
    return WSGW_OK;
}

int pg_balance_query_parse(const char *coin, const char *limit,
                           const char *offset, const char *from, const char *to,
                           int history, struct pg_balance_query *q,
                           struct wsgw_err *err)
{
    memset(q, 0, sizeof(*q));
    q->limit = PG_LIMIT_DEFAULT;

    if (coin) {
        size_t n = strlen(coin);
        if (n == 0 || n >= sizeof(q->coin))
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "coin must be 1 to %zu letters or digits",
                                sizeof(q->coin) - 1);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)coin[i];
            if (!isalnum(c))
                return wsgw_err_set(err, "INVALID_PARAMETER",
                                    "coin must be letters or digits");
            /* Bybit's coin names are upper case. */
            q->coin[i] = (char)toupper(c);
        }
    }
    if (limit && parse_int(limit, 1, PG_LIMIT_MAX, &q->limit) != WSGW_OK)
        return wsgw_err_set(err, "INVALID_PARAMETER",
                            "limit must be an integer from 1 to %d",
                            PG_LIMIT_MAX);
    if (offset && parse_int(offset, 0, PG_OFFSET_MAX, &q->offset) != WSGW_OK)
        return wsgw_err_set(err, "INVALID_PARAMETER",
                            "offset must be an integer from 0 to %d",
                            PG_OFFSET_MAX);
    if (!history)
        return WSGW_OK;
    if (from) {
        if (wsgw_time_parse(from, &q->from_ms) != WSGW_OK)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "from must be an ISO-8601 time such as "
                                "2026-11-26T20:25:19.123Z");
        q->has_from = 1;
    }
    if (to) {
        if (wsgw_time_parse(to, &q->to_ms) != WSGW_OK)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "to must be an ISO-8601 time such as "
                                "2026-11-26T20:25:19.123Z");
        q->has_to = 1;
    }
    if (q->has_from && q->has_to && q->from_ms > q->to_ms)
        return wsgw_err_set(err, "INVALID_TIME_RANGE",
                            "from must not be after to");
    return WSGW_OK;
}
