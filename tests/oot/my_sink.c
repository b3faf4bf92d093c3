/*
 * my_sink.c — a module written the way a user would, outside the wsgw
 * tree: compiled with `pkg-config --cflags wsgw` against the installed
 * headers only. It writes "class topic event_id" per event to a file, so
 * the test can check what it received.
 */
#include <stdio.h>
#include <stdlib.h>

#include <wsgw/wsgw.h>

struct my_conf {
    char *path;
};

struct my_sink {
    struct wsgw_instance *in;
    FILE *f;
    const struct my_conf *conf;
};

static int my_create(struct wsgw_instance *in, const void *conf, void **ctx,
                     struct wsgw_err *err)
{
    struct my_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return wsgw_err_set(err, NULL, "out of memory");
    s->in = in;
    s->conf = conf;
    *ctx = s;
    return WSGW_OK;
}

static int my_start(void *ctx, struct wsgw_err *err)
{
    struct my_sink *s = ctx;
    s->f = fopen(s->conf->path, "w");
    if (!s->f)
        return wsgw_err_set(err, NULL, "cannot open %s", s->conf->path);
    setvbuf(s->f, NULL, _IOLBF, 0);
    return WSGW_OK;
}

static size_t my_deliver(void *ctx, struct wsgw_event **evs, size_t n)
{
    struct my_sink *s = ctx;
    for (size_t i = 0; i < n; i++) {
        fprintf(s->f, "%s %s %s\n", wsgw_class_name(wsgw_event_class(evs[i])),
                wsgw_event_topic(evs[i]), wsgw_event_id(evs[i]));
        wsgw_event_unref(evs[i]);
    }
    wsgw_sink_count(s->in, WSGW_SINK_DELIVERED, n);
    return n;
}

static void my_stop(void *ctx)
{
    struct my_sink *s = ctx;
    if (s->f)
        fclose(s->f);
    s->f = NULL;
}

static void my_destroy(void *ctx)
{
    free(ctx);
}

static const struct wsgw_option my_options[] = {
    {"path", WSGW_OPT_STR, NULL, WSGW_OPT_REQUIRED,
     offsetof(struct my_conf, path), 0, 0, NULL, "where to write"},
    {NULL},
};

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "my_sink",
    .version = "0.0.1",
    .description = "out-of-tree example sink",
    .provides = WSGW_PROVIDES_SINK,
    .options = my_options,
    .conf_size = sizeof(struct my_conf),
    .create = my_create,
    .start = my_start,
    .stop = my_stop,
    .destroy = my_destroy,
    .sink_mode = WSGW_SINK_LOOP,
    .deliver = my_deliver,
};
