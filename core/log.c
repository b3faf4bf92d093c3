/*
 * log.c — log lines (JSON or text) to stderr or a file, with per-instance
 * levels and suppression of repeated errors.
 *
 * Every line is built in memory and written with one write(2) under a
 * mutex, so lines of different threads never interleave (also on pipes,
 * where only writes up to PIPE_BUF are atomic by themselves).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <wsgw/core.h>
#include <wsgw/module.h>

#include "instance.h"
#include "json_escape.h"
#include "logger.h"

static const char *const LEVEL_NAMES[] = {"error", "warn", "info", "debug",
                                          "trace"};
static const char *const LEVEL_TEXT[] = {"ERROR", "WARN ", "INFO ", "DEBUG",
                                         "TRACE"};

/* A message longer than this is cut (and marked) rather than dropped. */
#define MSG_MAX   16384
#define MSG_STACK 1024

/*
 * Repeat suppression: ERROR/WARN lines are keyed by (instance, format
 * string pointer). The first line of a key opens a window of
 * REPEAT_WINDOW_MS; later lines in the window are only counted. When the
 * window has ended, the next log call (any line, any thread) writes
 * "<last suppressed message> (repeated N times)" once. log_shutdown()
 * writes the pending counts too.
 */
#define REPEAT_SLOTS 64
#define REPEAT_MSG   512
#ifndef REPEAT_WINDOW_MS /* a test shortens it */
#define REPEAT_WINDOW_MS 5000
#endif

struct repeat {
    const void *in;  /* key: instance (NULL: core)                      */
    const char *fmt; /* key: the format string's address                */
    int64_t start;   /* window start, monotonic ms; 0 = free slot        */
    uint64_t count;  /* suppressed in this window                        */
    int level;
    char module[64]; /* copies: the instance may be gone at flush time  */
    char instance[64];
    char msg[REPEAT_MSG]; /* the last suppressed message                */
};

static struct {
    pthread_mutex_t mu; /* fd, path, format, repeats, and every write    */
    int fd;             /* 2 or the log file                             */
    char *path;         /* the file (for reopen), or NULL                */
    enum log_format format;
    struct repeat repeats[REPEAT_SLOTS];
} lg = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .fd = STDERR_FILENO,
    .format = LOG_FORMAT_JSON,
};

static atomic_int core_level = WSGW_LOG_INFO;
static atomic_int pending_repeats; /* slots with count > 0 */

int log_level_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i <= WSGW_LOG_TRACE; i++)
        if (strcasecmp(s, LEVEL_NAMES[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return WSGW_LOG_WARN;
    return -1;
}

int wsgw_log_enabled(const struct wsgw_instance *in, int level)
{
    int max = in ? in->log_level
                 : atomic_load_explicit(&core_level, memory_order_relaxed);
    return level <= max;
}

/* ---- writing ------------------------------------------------------------ */

/* Write all of buf; caller holds lg.mu. A failing log has nowhere to
 * report to, so errors end the attempt silently. */
static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(lg.fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUTS(p, lit) put((p), (lit), sizeof(lit) - 1)

/* Text format: control characters become escapes so a line stays one
 * line; everything else is copied. */
static size_t text_escaped_len(const char *s, size_t n)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += (unsigned char)s[i] < 0x20 ? 4 : 1;
    return r;
}

static char *text_escape(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else {
            *p++ = (char)c;
        }
    }
    return p;
}

/*
 * Build one line and write it; caller holds lg.mu. module/instance NULL
 * means the core.
 */
static void write_line(int level, const char *module, const char *instance,
                       const char *trace_id, const char *msg, size_t msglen)
{
    char stack[2048], ts[WSGW_TIME_LEN + 1];
    size_t mlen, ilen, tlen = trace_id ? strlen(trace_id) : 0, need;
    char *buf, *p;

    if (!module)
        module = "core";
    if (!instance)
        instance = "core";
    mlen = strlen(module);
    ilen = strlen(instance);
    wsgw_time_format(wsgw_now_ms(), ts);

    if (lg.format == LOG_FORMAT_JSON)
        need = 96 + json_escaped_len(module, mlen) +
               json_escaped_len(instance, ilen) +
               json_escaped_len(msg, msglen) + json_escaped_len(trace_id, tlen);
    else
        need = 64 + text_escaped_len(module, mlen) +
               text_escaped_len(instance, ilen) +
               text_escaped_len(msg, msglen) + text_escaped_len(trace_id, tlen);
    buf = need <= sizeof(stack) ? stack : malloc(need);
    if (!buf)
        return;
    p = buf;

    if (lg.format == LOG_FORMAT_JSON) {
        p = PUTS(p, "{\"time\":\"");
        p = put(p, ts, WSGW_TIME_LEN);
        p = PUTS(p, "\",\"level\":\"");
        p = put(p, LEVEL_NAMES[level], strlen(LEVEL_NAMES[level]));
        p = PUTS(p, "\",\"module\":\"");
        p = json_escape(p, module, mlen);
        p = PUTS(p, "\",\"instance\":\"");
        p = json_escape(p, instance, ilen);
        p = PUTS(p, "\",\"message\":\"");
        p = json_escape(p, msg, msglen);
        if (tlen) {
            p = PUTS(p, "\",\"trace_id\":\"");
            p = json_escape(p, trace_id, tlen);
        }
        p = PUTS(p, "\"}\n");
    } else {
        p = put(p, ts, WSGW_TIME_LEN);
        *p++ = ' ';
        p = put(p, LEVEL_TEXT[level], 5);
        *p++ = ' ';
        p = text_escape(p, module, mlen);
        if (strcmp(module, instance) != 0) {
            *p++ = '/';
            p = text_escape(p, instance, ilen);
        }
        p = PUTS(p, ": ");
        p = text_escape(p, msg, msglen);
        if (tlen) {
            p = PUTS(p, " trace_id=");
            p = text_escape(p, trace_id, tlen);
        }
        *p++ = '\n';
    }
    write_all(buf, (size_t)(p - buf));
    if (buf != stack)
        free(buf);
}

/* ---- repeat suppression (caller holds lg.mu) ------------------------ */

static void repeat_report(struct repeat *r)
{
    char msg[REPEAT_MSG + 64];
    int n;

    if (r->count == 0)
        return;
    n = snprintf(msg, sizeof(msg), "%s (repeated %llu times)", r->msg,
                 (unsigned long long)r->count);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;
    write_line(r->level, r->module, r->instance, NULL, msg, (size_t)n);
    r->count = 0;
    atomic_fetch_sub_explicit(&pending_repeats, 1, memory_order_relaxed);
}

static void repeat_flush_expired(int64_t now)
{
    for (int i = 0; i < REPEAT_SLOTS; i++) {
        struct repeat *r = &lg.repeats[i];
        if (r->count && now - r->start >= REPEAT_WINDOW_MS)
            repeat_report(r);
    }
}

static void copy_name(char *dst, size_t size, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * 1 when this line repeats one already written in the current window and
 * must only be counted.
 */
static int repeat_suppress(const struct wsgw_instance *in, int level,
                           const char *fmt, const char *msg, size_t msglen,
                           int64_t now)
{
    /* Errors are rare: a scan of the table costs nothing next to the
     * write, and unlike a hash it never mixes up two keys. */
    struct repeat *r = NULL, *victim = &lg.repeats[0];
    for (int i = 0; i < REPEAT_SLOTS; i++) {
        struct repeat *x = &lg.repeats[i];
        if (x->start && x->in == in && x->fmt == fmt) {
            r = x;
            break;
        }
        if (!x->start || (victim->start && x->start < victim->start))
            victim = x;
    }
    if (!r)
        r = victim;

    if (r->start && r->in == in && r->fmt == fmt &&
        now - r->start < REPEAT_WINDOW_MS) {
        if (r->count++ == 0)
            atomic_fetch_add_explicit(&pending_repeats, 1,
                                      memory_order_relaxed);
        if (msglen >= sizeof(r->msg))
            msglen = sizeof(r->msg) - 1;
        memcpy(r->msg, msg, msglen);
        r->msg[msglen] = '\0';
        r->level = level;
        return 1;
    }
    /* Window over, or another key takes the slot: report, then restart. */
    repeat_report(r);
    r->in = in;
    r->fmt = fmt;
    r->start = now ? now : 1;
    r->level = level;
    copy_name(r->module, sizeof(r->module),
              in && in->mod ? in->mod->name : NULL);
    copy_name(r->instance, sizeof(r->instance), in ? in->name : NULL);
    if (!r->module[0])
        copy_name(r->module, sizeof(r->module), "core");
    if (!r->instance[0])
        copy_name(r->instance, sizeof(r->instance), "core");
    return 0;
}

/* ---- the API ---------------------------------------------------------- */

void wsgw_logv(const struct wsgw_instance *in, int level, const char *trace_id,
               const char *fmt, va_list ap)
{
    char stack[MSG_STACK];
    char *msg = stack;
    int n;
    va_list ap2;

    if (level < WSGW_LOG_ERROR)
        level = WSGW_LOG_ERROR;
    if (level > WSGW_LOG_TRACE)
        level = WSGW_LOG_TRACE;
    if (!wsgw_log_enabled(in, level) || !fmt)
        return;

    va_copy(ap2, ap);
    n = vsnprintf(stack, sizeof(stack), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= sizeof(stack)) {
        size_t size = (size_t)n < MSG_MAX ? (size_t)n + 1 : MSG_MAX;
        char *big = malloc(size);
        if (big) {
            vsnprintf(big, size, fmt, ap2);
            msg = big;
            if ((size_t)n >= size) {
                memcpy(big + size - 4, "...", 4);
                n = (int)size - 1;
            }
        } else {
            memcpy(stack + sizeof(stack) - 4, "...", 4);
            n = sizeof(stack) - 1;
        }
    }
    va_end(ap2);

    const char *module = in && in->mod ? in->mod->name : NULL;
    const char *instance = in ? in->name : NULL;
    int64_t now = wsgw_mono_ms();

    pthread_mutex_lock(&lg.mu);
    if (atomic_load_explicit(&pending_repeats, memory_order_relaxed) > 0)
        repeat_flush_expired(now);
    if (level > WSGW_LOG_WARN ||
        !repeat_suppress(in, level, fmt, msg, (size_t)n, now))
        write_line(level, module, instance, trace_id, msg, (size_t)n);
    pthread_mutex_unlock(&lg.mu);

    if (msg != stack)
        free(msg);
}

void wsgw_log(const struct wsgw_instance *in, int level, const char *fmt, ...)
{
    va_list ap;

    if (!wsgw_log_enabled(in, level))
        return;
    va_start(ap, fmt);
    wsgw_logv(in, level, NULL, fmt, ap);
    va_end(ap);
}

void wsgw_log_trace(const struct wsgw_instance *in, int level,
                    const char *trace_id, const char *fmt, ...)
{
    va_list ap;

    if (!wsgw_log_enabled(in, level))
        return;
    va_start(ap, fmt);
    wsgw_logv(in, level, trace_id, fmt, ap);
    va_end(ap);
}

/* ---- configuration ---------------------------------------------------- */

static int is_stderr(const char *file)
{
    return !file || !*file || strcmp(file, "-") == 0 ||
           strcmp(file, "stderr") == 0;
}

static int open_log(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int log_configure(const struct log_conf *c, struct wsgw_err *err)
{
    int fd = STDERR_FILENO;
    char *path = NULL;

    if (c->level < WSGW_LOG_ERROR || c->level > WSGW_LOG_TRACE)
        return wsgw_err_set(err, NULL, "log level %d out of range", c->level);
    if (!is_stderr(c->file)) {
        path = strdup(c->file);
        if (!path)
            return wsgw_err_set(err, NULL, "out of memory");
        fd = open_log(path);
        if (fd < 0) {
            int e = errno;
            free(path);
            return wsgw_err_set(err, NULL, "cannot open log file %s: %s",
                                c->file, strerror(e));
        }
    }

    pthread_mutex_lock(&lg.mu);
    if (lg.fd != STDERR_FILENO)
        close(lg.fd);
    free(lg.path);
    lg.fd = fd;
    lg.path = path;
    lg.format = c->format;
    atomic_store(&core_level, c->level);
    pthread_mutex_unlock(&lg.mu);
    return WSGW_OK;
}

void log_reopen(void)
{
    int fd, e = 0;

    pthread_mutex_lock(&lg.mu);
    if (!lg.path) {
        pthread_mutex_unlock(&lg.mu);
        return;
    }
    fd = open_log(lg.path);
    if (fd >= 0) {
        close(lg.fd);
        lg.fd = fd;
    } else {
        e = errno;
    }
    pthread_mutex_unlock(&lg.mu);

    if (fd < 0)
        wsgw_log(NULL, WSGW_LOG_ERROR,
                 "cannot reopen log file: %s (still writing the old one)",
                 strerror(e));
    else
        wsgw_log(NULL, WSGW_LOG_INFO, "log file reopened");
}

void log_shutdown(void)
{
    pthread_mutex_lock(&lg.mu);
    for (int i = 0; i < REPEAT_SLOTS; i++) {
        repeat_report(&lg.repeats[i]);
        lg.repeats[i].start = 0;
    }
    if (lg.fd != STDERR_FILENO)
        close(lg.fd);
    lg.fd = STDERR_FILENO;
    free(lg.path);
    lg.path = NULL;
    pthread_mutex_unlock(&lg.mu);
}
