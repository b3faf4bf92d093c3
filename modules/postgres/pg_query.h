/*
 * pg_query.h — the query parameters of GET /api/v1/balances and
 * /api/v1/balances/history, validated (pure; unit-tested).
 */
#ifndef WSGW_PG_QUERY_H
#define WSGW_PG_QUERY_H

#include <stdint.h>

#include <wsgw/core.h>

#define PG_LIMIT_DEFAULT 100
#define PG_LIMIT_MAX     1000
#define PG_OFFSET_MAX    1000000000

struct pg_balance_query {
    char coin[33];  /* upper-cased; "" = every coin          */
    int64_t limit;  /* 1..PG_LIMIT_MAX                        */
    int64_t offset; /* 0..PG_OFFSET_MAX                       */
    int has_from, has_to;
    int64_t from_ms, to_ms; /* inclusive bounds on event time */
};

/*
 * Validate the raw query values (NULL when absent). `history` enables
 * from/to (the latest-balances endpoint ignores them). WSGW_OK with q
 * filled, or WSGW_ERR with err->code "INVALID_PARAMETER" (a value that
 * is not what it must be; err->msg names it) or "INVALID_TIME_RANGE"
 * (from after to).
 */
int pg_balance_query_parse(const char *coin, const char *limit,
                           const char *offset, const char *from, const char *to,
                           int history, struct pg_balance_query *q,
                           struct wsgw_err *err);

#endif
