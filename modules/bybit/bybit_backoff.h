/*
 * bybit_backoff.h — how long to wait before reconnecting.
 */
#ifndef BYBIT_BACKOFF_H
#define BYBIT_BACKOFF_H

#include <stdint.h>

/* A lost connection is always retried within this (ISSUE: 30 s). */
#define BYBIT_BACKOFF_CAP_MS 30000

/*
 * The delay before attempt `attempt` (0 = first retry after a loss):
 * base = min_ms * 2^attempt, capped at max_ms (itself capped at
 * BYBIT_BACKOFF_CAP_MS), minus a jitter of up to a quarter of base taken
 * from `rnd` (any random number), so reconnecting clients spread out.
 * The result lies in [base * 3/4, base] and never exceeds the cap.
 */
int64_t bybit_backoff_ms(unsigned attempt, int64_t min_ms, int64_t max_ms,
                         uint64_t rnd);

#endif
