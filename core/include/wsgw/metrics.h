/*
 * wsgw/metrics.h — counters, gauges and histograms for /metrics.
 *
 * Metrics live in one process-wide registry owned by the core; modules
 * get pointers they never free. A metric is identified by name + label
 * text: asking again for the same pair returns the same metric, so two
 * instances of a module share a family and differ by labels. Names follow
 * Prometheus rules (wsgw_<area>_<what>[_total|_seconds|_bytes]); labels
 * are given as Prometheus label text, e.g. `sink="mq",class="trades"`.
 *
 * Updates are lock-free atomics: safe from any thread and cheap enough
 * for the hot path.
 */
#ifndef WSGW_METRICS_H_INCLUDED
#define WSGW_METRICS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wsgw_metric;

/*
 * Find or create. `labels` may be NULL. Returns NULL when out of memory
 * or when the name exists with another type (a programming error, logged);
 * every update function accepts NULL and does nothing with it.
 */
struct wsgw_metric *wsgw_counter(const char *name, const char *help,
                                 const char *labels);
struct wsgw_metric *wsgw_gauge(const char *name, const char *help,
                               const char *labels);
/* bounds: n ascending upper bounds (a +Inf bucket is implied). Copied. */
struct wsgw_metric *wsgw_histogram(const char *name, const char *help,
                                   const char *labels, const double *bounds,
                                   size_t n);
/*
 * A gauge computed at scrape time by fn(arg) on the loop thread. fn must
 * stay callable until wsgw_metric_unregister(m) (call it from destroy).
 */
struct wsgw_metric *wsgw_gauge_fn(const char *name, const char *help,
                                  const char *labels, double (*fn)(void *arg),
                                  void *arg);
/* Remove a metric from the exposition (gauge_fn owners before freeing). */
void wsgw_metric_unregister(struct wsgw_metric *m);

void wsgw_counter_add(struct wsgw_metric *m, uint64_t n);
void wsgw_gauge_set(struct wsgw_metric *m, int64_t v);
void wsgw_gauge_add(struct wsgw_metric *m, int64_t delta);
void wsgw_histogram_observe(struct wsgw_metric *m, double v);

/* Current value of a counter or gauge (tests, status). */
int64_t wsgw_metric_value(const struct wsgw_metric *m);

/*
 * Prometheus text exposition (format 0.0.4) of every metric, into a new
 * malloc'd NUL-terminated string owned by the caller; *len set if not
 * NULL. NULL when out of memory. Loop thread (runs gauge_fn callbacks).
 */
char *wsgw_metrics_render(size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_METRICS_H_INCLUDED */
