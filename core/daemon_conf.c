/*
 * daemon_conf.c — the top level of the YAML file.
 *
 * The shape (every key optional except what a section needs):
 *
 *   log:      { level, format: json|text, file, levels: {NAME: level} }
 *   daemon:   { drain_timeout: 10s, state_dir, module_path }
 *   modules:  [names to load even if no entry uses them]
 *   sources:  [ {name, module, log_level, subscriptions, ...module options} ]
 *   sinks:    [ {name, module, log_level, queue_size, queue_bytes,
 *                overflow, required, ...module options} ]
 *   services: [ {name, module, log_level, ...module options} ]
 *   routes:   [ {from: SOURCE, classes: all | [class...], to: [SINK...]} ]
 *   store:    NAME of an instance whose module is a store (default: the
 *             built-in state file in daemon.state_dir)
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_tree.h"
#include "daemon_conf.h"
#include "sinkq.h"

#define OPT(n, t, d, f, field, lo, hi, ch, h)                                  \
    {                                                                          \
        n, t, d, f, offsetof(struct daemon_conf, field), lo, hi, ch, h         \
    }

static const char *const log_formats[] = {"json", "text", NULL};
static const char *const overflows[] = {"drop_oldest", "drop_newest", NULL};

static const struct wsgw_option top_options[] = {
    OPT("log", WSGW_OPT_NODE, NULL, 0, root, 0, 0, NULL,
        "logging: level, format, file, levels"),
    OPT("daemon", WSGW_OPT_NODE, NULL, 0, root, 0, 0, NULL,
        "daemon settings: drain_timeout, state_dir, module_path"),
    OPT("modules", WSGW_OPT_STRLIST, NULL, 0, modules, 0, 0, NULL,
        "modules to load even when no entry names them"),
    OPT("sources", WSGW_OPT_NODE, NULL, 0, root, 0, 0, NULL,
        "list of source instances"),
    OPT("sinks", WSGW_OPT_NODE, NULL, 0, root, 0, 0, NULL,
        "list of sink instances"),
    OPT("services", WSGW_OPT_NODE, NULL, 0, root, 0, 0, NULL,
        "list of service instances (admin API)"),
    OPT("routes", WSGW_OPT_NODE, NULL, 0, root, 0, 0, NULL,
        "which event classes go from which source to which sinks"),
    OPT("store", WSGW_OPT_STR, NULL, 0, store, 0, 0, NULL,
        "instance that stores subscriptions (default: state file)"),
    {NULL},
};

#define LOPT(n, t, d, field, ch, h)                                            \
    {                                                                          \
        n, t, d, 0, offsetof(struct log_section, field), 0, 0, ch, h           \
    }

static const char *const levels[] = {"error", "warn",  "info",
                                     "debug", "trace", NULL};

static const struct wsgw_option log_options[] = {
    LOPT("level", WSGW_OPT_STR, "info", level, NULL,
         "error, warn, info, debug or trace"),
    LOPT("format", WSGW_OPT_ENUM, "json", format, log_formats,
         "json (one object per line) or text"),
    LOPT("file", WSGW_OPT_STR, "stderr", file, NULL,
         "log file path, or stderr"),
    LOPT("levels", WSGW_OPT_NODE, NULL, levels, NULL,
         "level per instance or module name, e.g. {bybit: debug}"),
    {NULL},
};

#define DOPT(n, t, d, field, lo, hi, h)                                        \
    {                                                                          \
        n, t, d, 0, offsetof(struct daemon_section, field), lo, hi, NULL, h    \
    }

static const struct wsgw_option daemon_options[] = {
    DOPT("drain_timeout", WSGW_OPT_DURATION, "10s", drain_timeout_ms, 0,
         3600000, "how long SIGTERM waits for sinks to drain"),
    DOPT("state_dir", WSGW_OPT_STR, NULL, state_dir, 0, 0,
         "directory of the built-in subscription state file (default: "
         "$WSGW_STATE_DIR, else ./var)"),
    DOPT("module_path", WSGW_OPT_STR, NULL, module_path, 0, 0,
         "extra directories searched for modules (colon separated)"),
    {NULL},
};

#define EOPT(n, t, d, f, field, lo, hi, ch, h)                                 \
    {                                                                          \
        n, t, d, f, offsetof(struct entry_core, field), lo, hi, ch, h          \
    }

/* The keys every source, sink and service entry has. */
#define ENTRY_COMMON_OPTIONS                                                   \
    EOPT("name", WSGW_OPT_STR, NULL, WSGW_OPT_REQUIRED, name, 0, 0, NULL,      \
         "unique instance name"),                                              \
        EOPT("module", WSGW_OPT_STR, NULL, WSGW_OPT_REQUIRED, module, 0, 0,    \
             NULL, "module name or path to a .so"),                            \
        EOPT("log_level", WSGW_OPT_STR, NULL, 0, log_level, 0, 0, NULL,        \
             "log level of this instance")

static const struct wsgw_option source_options[] = {
    ENTRY_COMMON_OPTIONS,
    EOPT("subscriptions", WSGW_OPT_NODE, NULL, 0, subscriptions, 0, 0, NULL,
         "static subscriptions: [{channel, symbol, category, ...}]"),
    {NULL},
};

static const struct wsgw_option sink_options[] = {
    ENTRY_COMMON_OPTIONS,
    EOPT("queue_size", WSGW_OPT_INT, "100000", 0, queue_size, 0, 100000000,
         NULL, "events the sink's queue holds before overflow; 0: no limit"),
    EOPT("queue_bytes", WSGW_OPT_SIZE, "32MiB", 0, queue_bytes, 0,
         (int64_t)1 << 40, NULL, "bytes the sink's queue holds; 0: no limit"),
    EOPT("overflow", WSGW_OPT_ENUM, "drop_oldest", 0, overflow, 0, 0, overflows,
         "what a full queue drops: drop_oldest or drop_newest"),
    EOPT("required", WSGW_OPT_BOOL, "true", 0, required, 0, 0, NULL,
         "/health is unhealthy while this sink is down"),
    {NULL},
};

static const struct wsgw_option service_options[] = {
    ENTRY_COMMON_OPTIONS,
    {NULL},
};

const struct wsgw_option *entry_core_options(enum instance_kind kind)
{
    switch (kind) {
    case INSTANCE_SOURCE:
        return source_options;
    case INSTANCE_SINK:
        return sink_options;
    default:
        return service_options;
    }
}

static const char *const entry_kinds[] = {"sources", "sinks", "services"};

/* Read only name and module now: the full check needs the module's table. */
static int entry_peek(const struct wsgw_conf_node *item, enum instance_kind k,
                      struct entry *e, struct wsgw_err *err)
{
    if (wsgw_conf_kind(item) != WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: each item of '%s' must be a map with at "
                            "least name and module",
                            wsgw_conf_where(item), entry_kinds[k]);
    const char *keys[] = {"name", "module"};
    for (int i = 0; i < 2; i++) {
        const struct wsgw_conf_node *v = wsgw_conf_get(item, keys[i]);
        if (!v)
            return wsgw_err_set(err, NULL,
                                "%s: option '%s' is required in each item "
                                "of '%s'",
                                wsgw_conf_where(item), keys[i], entry_kinds[k]);
        if (wsgw_conf_kind(v) != WSGW_CONF_SCALAR || !*wsgw_conf_scalar(v))
            return wsgw_err_set(err, NULL,
                                "%s: option '%s': expected a non-empty "
                                "string",
                                wsgw_conf_where(v), keys[i]);
    }
    e->kind = k;
    e->node = item;
    e->name = strdup(wsgw_conf_scalar(wsgw_conf_get(item, "name")));
    e->module = strdup(wsgw_conf_scalar(wsgw_conf_get(item, "module")));
    if (!e->name || !e->module)
        return wsgw_err_set(err, NULL, "out of memory");
    return WSGW_OK;
}

static const struct entry *find_entry(const struct daemon_conf *dc,
                                      const char *name)
{
    for (size_t i = 0; i < dc->n_entries; i++)
        if (strcmp(dc->entries[i].name, name) == 0)
            return &dc->entries[i];
    return NULL;
}

static int parse_entries(struct daemon_conf *dc, struct wsgw_err *err)
{
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        const struct wsgw_conf_node *seq =
            wsgw_conf_get(dc->root, entry_kinds[k]);
        if (!seq)
            continue;
        if (wsgw_conf_kind(seq) != WSGW_CONF_SEQ)
            return wsgw_err_set(err, NULL,
                                "%s: option '%s': expected a list of "
                                "instances (- name: ..., module: ...)",
                                wsgw_conf_where(seq), entry_kinds[k]);
        total += wsgw_conf_len(seq);
    }
    dc->entries = calloc(total ? total : 1, sizeof(*dc->entries));
    if (!dc->entries)
        return wsgw_err_set(err, NULL, "out of memory");
    for (int k = 0; k < 3; k++) {
        const struct wsgw_conf_node *seq =
            wsgw_conf_get(dc->root, entry_kinds[k]);
        for (size_t i = 0; seq && i < wsgw_conf_len(seq); i++) {
            const struct wsgw_conf_node *item = wsgw_conf_at(seq, i, NULL);
            struct entry *e = &dc->entries[dc->n_entries];
            if (entry_peek(item, (enum instance_kind)k, e, err) != WSGW_OK) {
                free(e->name);
                free(e->module);
                memset(e, 0, sizeof(*e));
                return WSGW_ERR;
            }
            const struct entry *dup = find_entry(dc, e->name);
            dc->n_entries++;
            if (dup) {
                /* wsgw_conf_where() reuses one buffer: copy the first. */
                char first[256];
                snprintf(first, sizeof(first), "%s",
                         wsgw_conf_where(wsgw_conf_get(dup->node, "name")));
                return wsgw_err_set(
                    err, NULL,
                    "%s: duplicate instance name '%s' (first used at %s)",
                    wsgw_conf_where(wsgw_conf_get(item, "name")), e->name,
                    first);
            }
        }
    }
    return WSGW_OK;
}

static int parse_classes(const struct wsgw_conf_node *n, unsigned *mask,
                         struct wsgw_err *err)
{
    *mask = 0;
    if (!n) {
        *mask = WSGW_CLASS_ALL;
        return WSGW_OK;
    }
    if (wsgw_conf_kind(n) == WSGW_CONF_SCALAR) {
        const char *s = wsgw_conf_scalar(n);
        if (strcmp(s, "all") == 0) {
            *mask = WSGW_CLASS_ALL;
            return WSGW_OK;
        }
        int c = wsgw_class_from_name(s);
        if (c < 0)
            goto bad;
        *mask = WSGW_CLASS_BIT(c);
        return WSGW_OK;
    }
    if (wsgw_conf_kind(n) != WSGW_CONF_SEQ)
        goto bad;
    for (size_t i = 0; i < wsgw_conf_len(n); i++) {
        const struct wsgw_conf_node *item = wsgw_conf_at(n, i, NULL);
        const char *s = wsgw_conf_scalar(item);
        int c = s ? wsgw_class_from_name(s) : -1;
        if (c < 0) {
            n = item;
            goto bad;
        }
        *mask |= WSGW_CLASS_BIT(c);
    }
    return WSGW_OK;
bad:;
    char names[256] = "";
    for (int c = 0; c < WSGW_CLASS_COUNT; c++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof(names) - used, "%s%s", c ? ", " : "",
                 wsgw_class_name(c));
    }
    return wsgw_err_set(err, NULL,
                        "%s: option 'classes': expected all or a list of "
                        "event classes (%s)",
                        wsgw_conf_where(n), names);
}

static int parse_routes(struct daemon_conf *dc, struct wsgw_err *err)
{
    static const struct wsgw_option route_options[] = {
        {"from", WSGW_OPT_STR, NULL, WSGW_OPT_REQUIRED,
         offsetof(struct route, from), 0, 0, NULL, "source instance name"},
        {"classes", WSGW_OPT_NODE, NULL, 0, offsetof(struct route, node), 0, 0,
         NULL, "all, or a list of event classes"},
        {"to", WSGW_OPT_STRLIST, NULL, WSGW_OPT_REQUIRED,
         offsetof(struct route, to), 0, 0, NULL, "sink instance names"},
        {NULL},
    };
    const struct wsgw_conf_node *seq = wsgw_conf_get(dc->root, "routes");
    if (!seq)
        return WSGW_OK;
    if (wsgw_conf_kind(seq) != WSGW_CONF_SEQ)
        return wsgw_err_set(err, NULL,
                            "%s: option 'routes': expected a list of "
                            "{from, classes, to}",
                            wsgw_conf_where(seq));
    size_t n = wsgw_conf_len(seq);
    dc->routes = calloc(n ? n : 1, sizeof(*dc->routes));
    if (!dc->routes)
        return wsgw_err_set(err, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct wsgw_conf_node *item = wsgw_conf_at(seq, i, NULL);
        struct route *r = &dc->routes[i];
        dc->n_routes++;
        if (wsgw_conf_kind(item) != WSGW_CONF_MAP)
            return wsgw_err_set(err, NULL,
                                "%s: each route must be a map {from, "
                                "classes, to}",
                                wsgw_conf_where(item));
        if (wsgw_conf_apply(item, route_options, NULL, r, err) != WSGW_OK)
            return WSGW_ERR;
        const struct wsgw_conf_node *classes = r->node;
        r->node = item;
        r->to_node = wsgw_conf_get(item, "to");
        if (parse_classes(classes, &r->classes, err) != WSGW_OK)
            return WSGW_ERR;
        const struct entry *src = find_entry(dc, r->from);
        if (!src || src->kind != INSTANCE_SOURCE)
            return wsgw_err_set(
                err, NULL, "%s: route from '%s': %s",
                wsgw_conf_where(wsgw_conf_get(item, "from")), r->from,
                src ? "is not a source" : "no source of that name");
        for (size_t t = 0; t < r->to.n; t++) {
            const struct entry *dst = find_entry(dc, r->to.v[t]);
            if (!dst || dst->kind != INSTANCE_SINK) {
                const struct wsgw_conf_node *at = r->to_node;
                if (wsgw_conf_kind(at) == WSGW_CONF_SEQ)
                    at = wsgw_conf_at(at, t, NULL);
                return wsgw_err_set(
                    err, NULL, "%s: route to '%s': %s", wsgw_conf_where(at),
                    r->to.v[t], dst ? "is not a sink" : "no sink of that name");
            }
        }
    }
    return WSGW_OK;
}

int daemon_conf_parse(const struct wsgw_conf_node *root, struct daemon_conf *dc,
                      struct wsgw_err *err)
{
    memset(dc, 0, sizeof(*dc));
    if (wsgw_conf_kind(root) != WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: the configuration must be a map (log, "
                            "sources, sinks, services, routes, ...)",
                            wsgw_conf_where(root));
    struct daemon_conf top = {0};
    if (wsgw_conf_apply(root, top_options, NULL, &top, err) != WSGW_OK) {
        conf_release(top_options, &top);
        return WSGW_ERR;
    }
    dc->modules = top.modules;
    dc->store = top.store;
    dc->root = root;
    dc->store_node = wsgw_conf_get(root, "store");

    const struct wsgw_conf_node *log = wsgw_conf_get(root, "log");
    const struct wsgw_conf_node *dmn = wsgw_conf_get(root, "daemon");
    if (log && wsgw_conf_kind(log) != WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: option 'log': expected a map (level, "
                            "format, file, levels)",
                            wsgw_conf_where(log));
    if (dmn && wsgw_conf_kind(dmn) != WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: option 'daemon': expected a map "
                            "(drain_timeout, state_dir, module_path)",
                            wsgw_conf_where(dmn));
    /* Absent sections still get their defaults: apply an empty map. */
    if (wsgw_conf_apply(log, log_options, NULL, &dc->log, err) != WSGW_OK ||
        wsgw_conf_apply(dmn, daemon_options, NULL, &dc->daemon, err) != WSGW_OK)
        return WSGW_ERR;
    for (const char *const *l = levels;; l++) {
        if (!*l)
            return wsgw_err_set(err, NULL,
                                "%s: option 'level': expected error, warn, "
                                "info, debug or trace, got '%s'",
                                wsgw_conf_where(wsgw_conf_get(log, "level")),
                                dc->log.level);
        if (strcmp(*l, dc->log.level) == 0)
            break;
    }
    if (parse_entries(dc, err) != WSGW_OK)
        return WSGW_ERR;
    if (parse_routes(dc, err) != WSGW_OK)
        return WSGW_ERR;
    if (dc->store && !find_entry(dc, dc->store))
        return wsgw_err_set(err, NULL,
                            "%s: store '%s': no instance of that name",
                            wsgw_conf_where(dc->store_node), dc->store);
    return WSGW_OK;
}

void daemon_conf_free(struct daemon_conf *dc)
{
    for (size_t i = 0; i < dc->n_entries; i++) {
        struct entry *e = &dc->entries[i];
        conf_release(entry_core_options(e->kind), &e->core);
        free(e->name);
        free(e->module);
    }
    free(dc->entries);
    static const struct wsgw_option route_release[] = {
        {"from", WSGW_OPT_STR, NULL, 0, offsetof(struct route, from), 0, 0,
         NULL, NULL},
        {"to", WSGW_OPT_STRLIST, NULL, 0, offsetof(struct route, to), 0, 0,
         NULL, NULL},
        {NULL},
    };
    for (size_t i = 0; i < dc->n_routes; i++)
        conf_release(route_release, &dc->routes[i]);
    free(dc->routes);
    conf_release(log_options, &dc->log);
    conf_release(daemon_options, &dc->daemon);
    conf_release(top_options, &(struct daemon_conf){.modules = dc->modules,
                                                    .store = dc->store});
    memset(dc, 0, sizeof(*dc));
}
