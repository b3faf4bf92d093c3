/*
 * runtime_internal.h — helpers the runtime files (util, event, router,
 * sinkq, metrics) share with each other and with the daemon. Internal:
 * not part of the module API.
 */
#ifndef WSGW_RUNTIME_INTERNAL_H
#define WSGW_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "instance.h"

/* ---- util.c ----------------------------------------------------------- */

/* 64 random bits from the fast per-thread generator (xoshiro256**, seeded
 * from getrandom, reseeded after fork). Not for secrets. */
uint64_t util_rand64(void);

/* Write n bytes as 2n lowercase hex digits (not terminated). */
void util_hex(char *out, const void *bytes, size_t n);

/* ---- sinkq.c ---------------------------------------------------------- */

/*
 * As sinkq_push(), and set queued[i] = 1 for every event i that entered
 * the queue (leave it untouched otherwise), so the router can tell which
 * events reached at least one sink. queued may be NULL.
 */
size_t sinkq_push_mark(struct wsgw_sinkq *q, struct wsgw_event **evs, size_t n,
                       unsigned char *queued);

/* ---- metrics.c -------------------------------------------------------- */

/* Free every metric (daemon exit, after every user is gone). */
void metrics_free_all(void);

/*
 * Append to out the Prometheus escaping of a label value (\\, \", \n), so
 * callers can build label text from names the user chose. Returns the
 * number of bytes the full escaped value needs (like snprintf: the output
 * is complete when that is < size); out is always terminated if size > 0.
 */
size_t metrics_label_escape(char *out, size_t size, const char *value);

#endif
