/*
 * pg_map.h — Bybit wallet and position payloads to table rows.
 *
 * Pure functions (no I/O): the sink calls them in deliver(), the unit
 * tests with the recorded samples. Decimal strings are copied verbatim,
 * never through floating point; "" and null become SQL NULL. Which field
 * goes to which column is pg_table.c's table.
 */
#ifndef WSGW_PG_MAP_H
#define WSGW_PG_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>

#include "pg_row.h"

/* The envelope fields the rows carry. Borrowed for the call. */
struct pg_evmeta {
    const char *event_id; /* uuid text                         */
    const char *trace_id; /* may be NULL                       */
    int64_t event_ms;     /* exchange time; 0: use received_ms */
    int64_t received_ms;
};

/* A growable list of new rows, owned by whoever holds the list. */
struct pg_rowvec {
    struct pg_row **v;
    size_t n, cap;
};

/* Free the rows and the array. */
void pg_rowvec_clear(struct pg_rowvec *rv);

/*
 * A wallet event payload ({"data":[account…],"topic":"wallet",…}): per
 * account item one account_margin_balances row, then one account_balances
 * row per coin[] item, appended to out. WSGW_OK; WSGW_ERR with err filled
 * (out unchanged) when the payload is not a wallet message. `warned` (may
 * be NULL) is set to 1 when a value had to be dropped (a JSON real where a
 * decimal string belongs).
 */
int pg_map_wallet(const char *payload, size_t len, const struct pg_evmeta *m,
                  struct pg_rowvec *out, int *warned, struct wsgw_err *err);

/*
 * A position event payload (one position item with "topic" added): one
 * positions row, its raw column the payload as received.
 */
int pg_map_position(const char *payload, size_t len, const struct pg_evmeta *m,
                    struct pg_rowvec *out, int *warned, struct wsgw_err *err);

#endif
