/*
 * bybit_backoff.c — exponential backoff with jitter (see the header).
 */
#include "bybit_backoff.h"

int64_t bybit_backoff_ms(unsigned attempt, int64_t min_ms, int64_t max_ms,
                         uint64_t rnd)
{
    if (max_ms <= 0 || max_ms > BYBIT_BACKOFF_CAP_MS)
        max_ms = BYBIT_BACKOFF_CAP_MS;
    if (min_ms <= 0)
        min_ms = 1;
    if (min_ms > max_ms)
        min_ms = max_ms;
    int64_t base = min_ms;
    for (unsigned i = 0; i < attempt && base < max_ms; i++)
        base *= 2;
    if (base > max_ms)
        base = max_ms;
    int64_t spread = base / 4;
    return base - (int64_t)(rnd % (uint64_t)(spread + 1));
}
