/*
 * wsgw/core.h — the basics every module uses: result codes, the error
 * buffer, the instance handle, logging and time.
 *
 * Threads: functions here are safe from any thread unless noted.
 */
#ifndef WSGW_CORE_H_INCLUDED
#define WSGW_CORE_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WSGW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WSGW_PRINTF(f, a)
#endif

/* Result codes. Functions returning int use these unless they say otherwise. */
#define WSGW_OK    0
#define WSGW_ERR   (-1)
#define WSGW_AGAIN (-2) /* not now; try again later (full, busy, down) */

/*
 * An error a callee fills for its caller to report once, at the boundary.
 * `code` is an optional machine code (e.g. "INVALID_SYMBOL", used by the
 * admin API); `msg` is a human sentence without the context the caller
 * adds (file:line:col, instance name).
 */
struct wsgw_err {
    const char *code; /* static string or NULL */
    char msg[512];
};

/* Fill err (if not NULL) with a formatted message; returns WSGW_ERR. */
int wsgw_err_set(struct wsgw_err *err, const char *code, const char *fmt, ...)
    WSGW_PRINTF(3, 4);

/*
 * An instance of a module: one `sources:`, `sinks:` or `services:` entry.
 * Opaque; owned by the core; valid from create until after destroy.
 */
struct wsgw_instance;

/* The instance's name from the YAML (e.g. "bybit", "mq"). */
const char *wsgw_instance_name(const struct wsgw_instance *in);
/* The module's name (e.g. "rabbitmq"). */
const char *wsgw_instance_module(const struct wsgw_instance *in);

/* ---- logging ---------------------------------------------------------- */

enum wsgw_log_level {
    WSGW_LOG_ERROR = 0,
    WSGW_LOG_WARN = 1,
    WSGW_LOG_INFO = 2,
    WSGW_LOG_DEBUG = 3,
    WSGW_LOG_TRACE = 4
};

/*
 * Log one line for instance `in` (NULL: the core). JSON lines by default
 * ({"time","level","module","instance","message","trace_id"?}), or plain
 * text; to stderr or the configured file. The level is checked first, so
 * a disabled level costs one comparison. Identical repeated ERROR/WARN
 * lines (same instance, same format string) within a few seconds are
 * suppressed and later reported with a count. Never pass secrets.
 */
void wsgw_log(const struct wsgw_instance *in, int level, const char *fmt, ...)
    WSGW_PRINTF(3, 4);
/* As wsgw_log, with a trace id that ties the line to a message or request. */
void wsgw_log_trace(const struct wsgw_instance *in, int level,
                    const char *trace_id, const char *fmt, ...)
    WSGW_PRINTF(4, 5);
void wsgw_logv(const struct wsgw_instance *in, int level, const char *trace_id,
               const char *fmt, va_list ap);
/* 1 when a line of this level would be written for this instance. */
int wsgw_log_enabled(const struct wsgw_instance *in, int level);

#define wsgw_error(in, ...) wsgw_log((in), WSGW_LOG_ERROR, __VA_ARGS__)
#define wsgw_warn(in, ...)  wsgw_log((in), WSGW_LOG_WARN, __VA_ARGS__)
#define wsgw_info(in, ...)  wsgw_log((in), WSGW_LOG_INFO, __VA_ARGS__)
#define wsgw_debug(in, ...)                                                    \
    do {                                                                       \
        if (wsgw_log_enabled((in), WSGW_LOG_DEBUG))                            \
            wsgw_log((in), WSGW_LOG_DEBUG, __VA_ARGS__);                       \
    } while (0)

/* ---- time and ids ----------------------------------------------------- */

/* Wall clock, milliseconds since the epoch. */
int64_t wsgw_now_ms(void);
/* Wall clock, nanoseconds since the epoch (latency stamps). */
int64_t wsgw_now_ns(void);
/* Monotonic clock, milliseconds (timeouts, backoff). */
int64_t wsgw_mono_ms(void);

/* Length of an ISO-8601 UTC time with milliseconds: 2026-11-26T20:25:19.123Z */
#define WSGW_TIME_LEN 24
/*
 * Write `ms` as ISO-8601 UTC with milliseconds and 'Z' into out (at least
 * WSGW_TIME_LEN + 1 bytes), NUL-terminated. Returns WSGW_TIME_LEN.
 */
size_t wsgw_time_format(int64_t ms, char *out);
/*
 * Parse an ISO-8601 time (date, or date and time with optional fraction
 * and 'Z' or ±hh:mm offset) into ms since the epoch. WSGW_OK or WSGW_ERR.
 */
int wsgw_time_parse(const char *s, int64_t *ms);

/* Length of a UUID in text: 8-4-4-4-12 hex digits. */
#define WSGW_UUID_LEN 36
/* Write a random (version 4) UUID, NUL-terminated, into out[37]. Fast and
 * thread-safe (per-thread generator seeded from the OS), not for secrets. */
void wsgw_uuid4(char *out);
/* 1 when s is a UUID in canonical text form (any version). */
int wsgw_uuid_valid(const char *s);

/* Fill buf with n cryptographically random bytes. WSGW_OK or WSGW_ERR. */
int wsgw_random_bytes(void *buf, size_t n);
/* A uniformly random number in [0, n) from the fast per-thread generator. */
uint64_t wsgw_random_below(uint64_t n);

/*
 * Compare two strings in time that depends only on their lengths (API
 * keys). 1 when equal.
 */
int wsgw_secret_equal(const char *a, const char *b);

/* The daemon's version string ("0.1.0"). */
const char *wsgw_version(void);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_CORE_H_INCLUDED */
