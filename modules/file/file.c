/*
 * file.c — the file sink: every routed event as one JSON line, to a file
 * or stdout.
 *
 * It is the embedded default sink and the reference for module authors,
 * so it shows the whole contract in few lines: an option table, create
 * that only parses, start that opens, a loop-mode deliver() that takes
 * what it can, a timer, reopen on SIGHUP, status, and a descriptor last.
 *
 * Lines are gathered in a buffer and written when it fills or every
 * flush_interval, so a busy stream costs one write(2) per buffer, not per
 * event.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wsgw/wsgw.h>

struct file_conf {
    char *path;
    int64_t flush_interval_ms;
    int64_t buffer_size;
};

struct file_sink {
    struct wsgw_instance *in;
    const struct file_conf *conf;
    int fd;
    int is_stdout;
    char *buf;
    size_t used;
    struct wsgw_timer *flush_timer;
    struct wsgw_metric *written;
    struct wsgw_metric *write_errors;
    char last_error[128];
};

static int file_open(struct file_sink *s, struct wsgw_err *err)
{
    if (s->is_stdout) {
        s->fd = STDOUT_FILENO;
        return WSGW_OK;
    }
    int fd =
        open(s->conf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return wsgw_err_set(err, NULL, "cannot open %s: %s", s->conf->path,
                            strerror(errno));
    s->fd = fd;
    return WSGW_OK;
}

/* Write the buffer out. A failed write drops the buffer (counted): a full
 * disk must not stop the stream, and the lines would be stale anyway. */
static void file_flush(struct file_sink *s)
{
    size_t off = 0;
    while (off < s->used) {
        ssize_t n = write(s->fd, s->buf + off, s->used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(s->last_error, sizeof(s->last_error), "write: %s",
                     strerror(errno));
            wsgw_error(s->in, "cannot write %s: %s; %zu bytes dropped",
                       s->conf->path, strerror(errno), s->used - off);
            wsgw_counter_add(s->write_errors, 1);
            break;
        }
        off += (size_t)n;
    }
    s->used = 0;
}

static void on_flush_timer(void *arg)
{
    struct file_sink *s = arg;
    if (s->used)
        file_flush(s);
}

static size_t file_deliver(void *ctx, struct wsgw_event **evs, size_t n)
{
    struct file_sink *s = ctx;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *json = wsgw_event_json(evs[i], &len);
        if (s->used + len + 1 > (size_t)s->conf->buffer_size)
            file_flush(s);
        if (len + 1 > (size_t)s->conf->buffer_size) {
            /* Larger than the whole buffer: write it on its own. */
            if (write(s->fd, json, len) < 0 || write(s->fd, "\n", 1) < 0)
                wsgw_counter_add(s->write_errors, 1);
        } else {
            memcpy(s->buf + s->used, json, len);
            s->buf[s->used + len] = '\n';
            s->used += len + 1;
        }
        wsgw_event_unref(evs[i]);
    }
    wsgw_counter_add(s->written, n);
    wsgw_sink_count(s->in, WSGW_SINK_DELIVERED, n);
    if (s->conf->flush_interval_ms == 0)
        file_flush(s);
    return n;
}

static int file_create(struct wsgw_instance *in, const void *conf, void **ctx,
                       struct wsgw_err *err)
{
    const struct file_conf *c = conf;
    struct file_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return wsgw_err_set(err, NULL, "out of memory");
    s->in = in;
    s->conf = c;
    s->fd = -1;
    s->is_stdout = strcmp(c->path, "-") == 0 || strcmp(c->path, "stdout") == 0;
    *ctx = s;
    return WSGW_OK;
}

static int file_start(void *ctx, struct wsgw_err *err)
{
    struct file_sink *s = ctx;
    char labels[160];
    snprintf(labels, sizeof(labels), "sink=\"%s\"", wsgw_instance_name(s->in));
    s->written = wsgw_counter("wsgw_file_lines_total",
                              "Event lines written by the file sink", labels);
    s->write_errors = wsgw_counter("wsgw_file_write_errors_total",
                                   "Failed writes of the file sink", labels);
    s->buf = malloc((size_t)s->conf->buffer_size);
    if (!s->buf)
        return wsgw_err_set(err, NULL, "out of memory");
    if (file_open(s, err) != WSGW_OK)
        return WSGW_ERR;
    if (s->conf->flush_interval_ms > 0) {
        s->flush_timer = wsgw_timer_new(on_flush_timer, s);
        if (!s->flush_timer)
            return wsgw_err_set(err, NULL, "out of memory");
        wsgw_timer_start(s->flush_timer, (uint64_t)s->conf->flush_interval_ms,
                         1);
    }
    return WSGW_OK;
}

static void file_stop(void *ctx)
{
    struct file_sink *s = ctx;
    wsgw_timer_free(s->flush_timer);
    s->flush_timer = NULL;
    if (s->fd >= 0)
        file_flush(s);
}

static void file_reopen(void *ctx)
{
    struct file_sink *s = ctx;
    if (s->is_stdout || s->fd < 0)
        return;
    file_flush(s);
    struct wsgw_err err = {0};
    int old = s->fd;
    if (file_open(s, &err) != WSGW_OK) {
        wsgw_error(s->in, "reopen: %s; keeping the old file", err.msg);
        s->fd = old;
        return;
    }
    close(old);
}

static void file_destroy(void *ctx)
{
    struct file_sink *s = ctx;
    if (s->fd >= 0 && !s->is_stdout)
        close(s->fd);
    free(s->buf);
    free(s);
}

static int file_status(void *ctx, json_t *out)
{
    struct file_sink *s = ctx;
    json_object_set_new(out, "path", json_string(s->conf->path));
    json_object_set_new(out, "connected", json_boolean(s->fd >= 0));
    json_object_set_new(out, "state",
                        json_string(s->fd >= 0 ? "open" : "closed"));
    if (s->last_error[0])
        json_object_set_new(out, "last_error", json_string(s->last_error));
    return s->fd >= 0 ? WSGW_HEALTH_UP : WSGW_HEALTH_DOWN;
}

static const struct wsgw_option file_options[] = {
    {"path", WSGW_OPT_STR, "-", 0, offsetof(struct file_conf, path), 0, 0, NULL,
     "file to append JSON lines to; - or stdout for standard output"},
    {"flush_interval", WSGW_OPT_DURATION, "1s", 0,
     offsetof(struct file_conf, flush_interval_ms), 0, 3600000, NULL,
     "write buffered lines at least this often; 0 writes every batch"},
    {"buffer_size", WSGW_OPT_SIZE, "256KiB", 0,
     offsetof(struct file_conf, buffer_size), 4096, 1 << 30, NULL,
     "bytes gathered before a write"},
    {NULL},
};

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "file",
    .version = "1.0.0",
    .description = "JSON lines to a file or stdout",
    .provides = WSGW_PROVIDES_SINK,
    .options = file_options,
    .conf_size = sizeof(struct file_conf),
    .create = file_create,
    .start = file_start,
    .stop = file_stop,
    .destroy = file_destroy,
    .status = file_status,
    .reopen = file_reopen,
    .sink_mode = WSGW_SINK_LOOP,
    .deliver = file_deliver,
};
