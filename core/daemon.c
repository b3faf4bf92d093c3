/*
 * daemon.c — the daemon's life: build the instances the YAML asks for,
 * start them, run the loop, and on SIGTERM stop sources, drain sinks
 * within the deadline and tear everything down in reverse.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf_node.h"
#include "conf_tree.h"
#include "daemon.h"
#include "daemon_conf.h"
#include "daemon_run.h"
#include "http_route.h"
#include "loader.h"
#include "logger.h"
#include "loop_internal.h"
#include "registry.h"
#include "router.h"
#include "runtime_internal.h"
#include "sinkq.h"

static struct {
    struct wsgw_conf_node *root;
    struct daemon_conf dc;
    struct wsgw_instance **inst;
    size_t n_inst;
    struct event *sig_term, *sig_int, *sig_hup;
    struct wsgw_timer *drain_timer;
    int stopping;
    int64_t drain_deadline;
    int64_t started_ms;
    int exit_code;
} d;

struct wsgw_instance **daemon_instances(size_t *n)
{
    *n = d.n_inst;
    return d.inst;
}

struct wsgw_instance *daemon_instance(const char *name)
{
    for (size_t i = 0; i < d.n_inst; i++)
        if (strcmp(d.inst[i]->name, name) == 0)
            return d.inst[i];
    return NULL;
}

int64_t daemon_started_ms(void)
{
    return d.started_ms;
}

json_t *daemon_routes_json(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < d.dc.n_routes; i++) {
        const struct route *r = &d.dc.routes[i];
        json_t *classes = json_array();
        json_t *to = json_array();
        for (int c = 0; c < WSGW_CLASS_COUNT; c++)
            if (r->classes & WSGW_CLASS_BIT(c))
                json_array_append_new(classes, json_string(wsgw_class_name(c)));
        for (size_t t = 0; t < r->to.n; t++)
            json_array_append_new(to, json_string(r->to.v[t]));
        json_array_append_new(arr, json_pack("{s:s, s:o, s:o}", "from", r->from,
                                             "classes", classes, "to", to));
    }
    return arr;
}

const char *wsgw_instance_name(const struct wsgw_instance *in)
{
    return in ? in->name : "core";
}

const char *wsgw_instance_module(const struct wsgw_instance *in)
{
    return in ? in->mod->name : "core";
}

unsigned wsgw_sink_classes(const struct wsgw_instance *sink)
{
    return sink ? sink->classes : 0;
}

/* ---- building instances ---------------------------------------------- */

static const unsigned kind_needs[] = {
    [INSTANCE_SOURCE] = WSGW_PROVIDES_SOURCE,
    [INSTANCE_SINK] = WSGW_PROVIDES_SINK,
    [INSTANCE_SERVICE] = WSGW_PROVIDES_SERVICE | WSGW_PROVIDES_STORE,
};
static const char *const kind_names[] = {"source", "sink", "service"};

static int in_table(const struct wsgw_option *t, const char *key)
{
    for (; t && t->name; t++)
        if (strcmp(t->name, key) == 0)
            return 1;
    return 0;
}

/* Names of a table, NULL-terminated, for wsgw_conf_apply's ignore list. */
static const char **table_names(const struct wsgw_option *t)
{
    size_t n = 0;
    for (const struct wsgw_option *o = t; o && o->name; o++)
        n++;
    const char **v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; v && i < n; i++)
        v[i] = t[i].name;
    return v;
}

/*
 * An unknown key of an entry: name it with everything allowed (core keys
 * and the module's) and the closest allowed name, if one is close.
 */
static int unknown_key(const struct entry *e, const struct wsgw_instance *in,
                       const struct wsgw_option *core_t,
                       const struct wsgw_option *mod_t, size_t i,
                       const char *key, struct wsgw_err *err)
{
    const char *names[128];
    char allowed[1024] = "";
    size_t n = 0;
    const struct wsgw_option *tables[] = {core_t, mod_t};
    for (int t = 0; t < 2; t++)
        for (const struct wsgw_option *o = tables[t]; o && o->name; o++) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof(allowed) - used, "%s%s",
                     used ? ", " : "", o->name);
            if (n < sizeof(names) / sizeof(names[0]))
                names[n++] = o->name;
        }
    const char *hint = conf_closest(key, names, n);
    return wsgw_err_set(err, NULL,
                        "%s: unknown option '%s' for %s '%s' (module %s); "
                        "allowed: %s%s%s%s",
                        wsgw_conf_where(e->node->keys[i]), key,
                        kind_names[e->kind], e->name, in->mod->name, allowed,
                        hint ? "; did you mean '" : "", hint ? hint : "",
                        hint ? "'?" : "");
}

/*
 * The entry's keys belong either to the core (name, module, queue_size...)
 * or to the module: check both tables at once so an unknown key lists
 * everything that is allowed, then apply each table ignoring the other's.
 */
static int apply_entry(struct entry *e, struct wsgw_instance *in,
                       struct wsgw_err *err)
{
    const struct wsgw_option *core_t = entry_core_options(e->kind);
    const struct wsgw_option *mod_t = in->mod->options;
    for (size_t i = 0; i < wsgw_conf_len(e->node); i++) {
        const char *key;
        wsgw_conf_at(e->node, i, &key);
        if (in_table(core_t, key) || in_table(mod_t, key))
            continue;
        return unknown_key(e, in, core_t, mod_t, i, key, err);
    }
    const char **mod_names = table_names(mod_t);
    const char **core_names = table_names(core_t);
    int rc = WSGW_ERR;
    if (!mod_names || !core_names) {
        wsgw_err_set(err, NULL, "out of memory");
        goto out;
    }
    if (wsgw_conf_apply(e->node, core_t, mod_names, &e->core, err) != WSGW_OK)
        goto out;
    if (in->mod->conf_size) {
        in->conf = calloc(1, in->mod->conf_size);
        if (!in->conf) {
            wsgw_err_set(err, NULL, "out of memory");
            goto out;
        }
        if (mod_t && wsgw_conf_apply(e->node, mod_t, core_names, in->conf,
                                     err) != WSGW_OK)
            goto out;
    }
    rc = WSGW_OK;
out:
    free(mod_names);
    free(core_names);
    return rc;
}

static int level_for(const struct entry *e, const struct wsgw_instance *in,
                     struct wsgw_err *err)
{
    const char *lvl = e->core.log_level;
    const struct wsgw_conf_node *at = wsgw_conf_get(e->node, "log_level");
    const struct wsgw_conf_node *levels = d.dc.log.levels;
    if (!lvl && levels) {
        at = wsgw_conf_get(levels, e->name);
        if (!at)
            at = wsgw_conf_get(levels, in->mod->name);
        lvl = at ? wsgw_conf_scalar(at) : NULL;
    }
    if (!lvl)
        return log_level_parse(d.dc.log.level);
    int l = log_level_parse(lvl);
    if (l < 0)
        return wsgw_err_set(err, NULL,
                            "%s: log level: expected error, warn, info, "
                            "debug or trace, got '%s'",
                            wsgw_conf_where(at), lvl),
               -1;
    return l;
}

static struct wsgw_instance *build_instance(struct entry *e,
                                            struct wsgw_err *err)
{
    struct wsgw_err lerr = {0};
    const struct wsgw_loaded_module *lm = loader_load(e->module, &lerr);
    if (!lm) {
        wsgw_err_set(err, NULL, "%s: %s",
                     wsgw_conf_where(wsgw_conf_get(e->node, "module")),
                     lerr.msg);
        return NULL;
    }
    if (!(lm->mod->provides & kind_needs[e->kind])) {
        char what[64] = "";
        static const char *const bits[] = {"source", "sink", "store",
                                           "service"};
        for (int b = 0; b < 4; b++)
            if (lm->mod->provides & (1u << b))
                snprintf(what + strlen(what), sizeof(what) - strlen(what),
                         "%s%s", what[0] ? ", " : "", bits[b]);
        wsgw_err_set(err, NULL,
                     "%s: module '%s' cannot be used as a %s (it provides: "
                     "%s)",
                     wsgw_conf_where(wsgw_conf_get(e->node, "module")),
                     lm->mod->name, kind_names[e->kind], what);
        return NULL;
    }
    struct wsgw_instance *in = calloc(1, sizeof(*in));
    if (!in || !(in->name = strdup(e->name))) {
        free(in);
        wsgw_err_set(err, NULL, "out of memory");
        return NULL;
    }
    in->mod = lm->mod;
    in->lm = (struct wsgw_loaded_module *)lm;
    in->kind = e->kind;
    in->node = e->node;
    in->log_level = log_level_parse(d.dc.log.level);
    d.inst[d.n_inst++] = in; /* owned from here, even if the rest fails */
    if (apply_entry(e, in, err) != WSGW_OK)
        return NULL;
    int lvl = level_for(e, in, err);
    if (lvl < 0)
        return NULL;
    in->log_level = lvl;
    if (e->kind == INSTANCE_SINK) {
        in->required = e->core.required;
        for (size_t r = 0; r < d.dc.n_routes; r++)
            for (size_t t = 0; t < d.dc.routes[r].to.n; t++)
                if (strcmp(d.dc.routes[r].to.v[t], e->name) == 0)
                    in->classes |= d.dc.routes[r].classes;
        struct sinkq_conf qc = {
            .max_events = (size_t)e->core.queue_size,
            .max_bytes = (size_t)e->core.queue_bytes,
            .overflow = (enum sinkq_overflow)e->core.overflow,
        };
        in->q = sinkq_new(in, &qc);
        if (!in->q) {
            wsgw_err_set(err, NULL, "out of memory");
            return NULL;
        }
    }
    struct wsgw_err cerr = {0};
    if (in->mod->create(in, in->conf, &in->ctx, &cerr) != WSGW_OK) {
        wsgw_err_set(err, cerr.code, "%s: %s '%s': %s",
                     wsgw_conf_where(e->node), kind_names[e->kind], e->name,
                     cerr.msg[0] ? cerr.msg : "create failed");
        return NULL;
    }
    in->created = 1;
    return in;
}

static int build_routes(struct wsgw_err *err)
{
    for (size_t i = 0; i < d.dc.n_routes; i++) {
        const struct route *r = &d.dc.routes[i];
        struct wsgw_instance *src = daemon_instance(r->from);
        for (size_t t = 0; t < r->to.n; t++)
            if (router_add(src, r->classes, daemon_instance(r->to.v[t])) !=
                WSGW_OK)
                return wsgw_err_set(err, NULL, "out of memory");
    }
    return WSGW_OK;
}

static struct wsgw_instance *find_provider(unsigned bit)
{
    for (size_t i = 0; i < d.n_inst; i++)
        if (d.inst[i]->kind == INSTANCE_SOURCE &&
            (d.inst[i]->mod->provides & bit) && d.inst[i]->mod->source_ops)
            return d.inst[i];
    return NULL;
}

static const char *state_dir(void)
{
    if (d.dc.daemon.state_dir && *d.dc.daemon.state_dir)
        return d.dc.daemon.state_dir;
    const char *env = getenv("WSGW_STATE_DIR");
    return env && *env ? env : "var";
}

static int setup_registry(int test_only, struct wsgw_err *err)
{
    struct wsgw_instance *store = NULL;
    if (d.dc.store) {
        store = daemon_instance(d.dc.store);
        if (!(store->mod->provides & WSGW_PROVIDES_STORE))
            return wsgw_err_set(
                err, NULL, "%s: store '%s': module '%s' is not a store",
                wsgw_conf_where(d.dc.store_node), d.dc.store, store->mod->name);
    }
    if (registry_init(find_provider(WSGW_PROVIDES_SOURCE), store,
                      test_only ? NULL : state_dir(), err) != WSGW_OK)
        return WSGW_ERR;
    for (size_t i = 0; i < d.dc.n_entries; i++) {
        const struct entry *e = &d.dc.entries[i];
        if (e->kind == INSTANCE_SOURCE && e->core.subscriptions &&
            registry_add_static(e->core.subscriptions, err) != WSGW_OK)
            return WSGW_ERR;
    }
    return WSGW_OK;
}

/* ---- running --------------------------------------------------------- */

static int start_kind(enum instance_kind kind, struct wsgw_err *err)
{
    for (size_t i = 0; i < d.n_inst; i++) {
        struct wsgw_instance *in = d.inst[i];
        if (in->kind != kind)
            continue;
        struct wsgw_err serr = {0};
        if (in->mod->start && in->mod->start(in->ctx, &serr) != WSGW_OK)
            return wsgw_err_set(err, NULL,
                                "%s '%s' (module %s) failed to "
                                "start: %s",
                                kind_names[kind], in->name, in->mod->name,
                                serr.msg[0] ? serr.msg : "no reason given");
        in->started = 1;
        if (in->q && sinkq_start(in->q) != WSGW_OK)
            return wsgw_err_set(err, NULL, "sink '%s': queue failed to start",
                                in->name);
        wsgw_log(in, WSGW_LOG_INFO, "started (%s %s)", in->mod->name,
                 in->mod->version ? in->mod->version : "");
    }
    return WSGW_OK;
}

static void stop_kind(enum instance_kind kind)
{
    for (size_t i = d.n_inst; i-- > 0;) {
        struct wsgw_instance *in = d.inst[i];
        if (in->kind != kind || !in->started)
            continue;
        if (in->q)
            sinkq_close(in->q);
        if (in->mod->stop)
            in->mod->stop(in->ctx);
        if (in->q)
            sinkq_stop(in->q);
        in->started = 0;
    }
}

static int sinks_drained(void)
{
    for (size_t i = 0; i < d.n_inst; i++) {
        struct wsgw_instance *in = d.inst[i];
        if (in->kind != INSTANCE_SINK || !in->started)
            continue;
        if (sinkq_depth(in->q) > 0)
            return 0;
        if (in->mod->idle && !in->mod->idle(in->ctx))
            return 0;
    }
    return 1;
}

static void finish_stop(void)
{
    stop_kind(INSTANCE_SINK);
    stop_kind(INSTANCE_SERVICE);
    event_base_loopbreak(wsgw_event_base());
}

static void drain_tick(void *arg)
{
    (void)arg;
    if (sinks_drained()) {
        wsgw_log(NULL, WSGW_LOG_INFO, "sinks drained; stopping");
        finish_stop();
    } else if (wsgw_mono_ms() >= d.drain_deadline) {
        size_t left = 0;
        for (size_t i = 0; i < d.n_inst; i++)
            if (d.inst[i]->q)
                left += sinkq_depth(d.inst[i]->q);
        wsgw_log(NULL, WSGW_LOG_WARN,
                 "drain deadline of %lld ms passed with %zu events queued; "
                 "stopping anyway",
                 (long long)d.dc.daemon.drain_timeout_ms, left);
        finish_stop();
    }
}

static void begin_stop(const char *why)
{
    if (d.stopping) {
        wsgw_log(NULL, WSGW_LOG_WARN, "%s again: exiting now", why);
        log_shutdown();
        _exit(1);
    }
    d.stopping = 1;
    wsgw_log(NULL, WSGW_LOG_INFO,
             "%s: stopping sources, draining sinks (deadline %lld ms)", why,
             (long long)d.dc.daemon.drain_timeout_ms);
    stop_kind(INSTANCE_SOURCE);
    d.drain_deadline = wsgw_mono_ms() + d.dc.daemon.drain_timeout_ms;
    d.drain_timer = wsgw_timer_new(drain_tick, NULL);
    if (!d.drain_timer) {
        finish_stop();
        return;
    }
    wsgw_timer_start(d.drain_timer, 20, 1);
    drain_tick(NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        wsgw_log(NULL, WSGW_LOG_INFO, "SIGHUP: reopening log and output files");
        log_reopen();
        for (size_t i = 0; i < d.n_inst; i++)
            if (d.inst[i]->created && d.inst[i]->mod->reopen)
                d.inst[i]->mod->reopen(d.inst[i]->ctx);
        return;
    }
    begin_stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int add_signals(struct wsgw_err *err)
{
    struct event_base *base = wsgw_event_base();
    d.sig_term = evsignal_new(base, SIGTERM, on_signal, NULL);
    d.sig_int = evsignal_new(base, SIGINT, on_signal, NULL);
    d.sig_hup = evsignal_new(base, SIGHUP, on_signal, NULL);
    if (!d.sig_term || !d.sig_int || !d.sig_hup ||
        evsignal_add(d.sig_term, NULL) || evsignal_add(d.sig_int, NULL) ||
        evsignal_add(d.sig_hup, NULL))
        return wsgw_err_set(err, NULL, "cannot install signal handlers");
    return WSGW_OK;
}

/* ---- teardown -------------------------------------------------------- */

static void teardown(void)
{
    if (d.sig_term)
        event_free(d.sig_term);
    if (d.sig_int)
        event_free(d.sig_int);
    if (d.sig_hup)
        event_free(d.sig_hup);
    wsgw_timer_free(d.drain_timer);
    /* Anything still running (a failed start) stops before destroy. */
    stop_kind(INSTANCE_SOURCE);
    stop_kind(INSTANCE_SINK);
    stop_kind(INSTANCE_SERVICE);
    registry_free();
    for (size_t i = d.n_inst; i-- > 0;) {
        struct wsgw_instance *in = d.inst[i];
        if (in->created)
            in->mod->destroy(in->ctx);
        http_routes_remove(in);
        router_free(in);
    }
    for (size_t i = d.n_inst; i-- > 0;) {
        struct wsgw_instance *in = d.inst[i];
        sinkq_free(in->q);
        if (in->conf)
            conf_release(in->mod->options, in->conf);
        free(in->conf);
        free(in->name);
        free(in);
    }
    free(d.inst);
    http_routes_free();
    daemon_conf_free(&d.dc);
    loader_unload_all();
    conf_free(d.root);
    loop_free();
    metrics_free_all();
}

/* ---- entry point ----------------------------------------------------- */

static int build(const char *path, const char *module_dir, int test_only,
                 struct wsgw_err *err)
{
    d.root = conf_load_file(path, err);
    if (!d.root)
        return WSGW_ERR;
    if (daemon_conf_parse(d.root, &d.dc, err) != WSGW_OK)
        return WSGW_ERR;

    struct log_conf lc = {
        .level = log_level_parse(d.dc.log.level),
        .format = (enum log_format)d.dc.log.format,
        .file = test_only ? NULL : d.dc.log.file,
    };
    if (log_configure(&lc, err) != WSGW_OK)
        return WSGW_ERR;

    char path_buf[4096];
    if (module_dir && d.dc.daemon.module_path)
        snprintf(path_buf, sizeof(path_buf), "%s:%s", module_dir,
                 d.dc.daemon.module_path);
    loader_set_path(module_dir
                        ? (d.dc.daemon.module_path ? path_buf : module_dir)
                        : d.dc.daemon.module_path);
    for (size_t i = 0; i < d.dc.modules.n; i++) {
        struct wsgw_err lerr = {0};
        if (!loader_load(d.dc.modules.v[i], &lerr)) {
            const struct wsgw_conf_node *m = wsgw_conf_get(d.root, "modules");
            if (wsgw_conf_kind(m) == WSGW_CONF_SEQ)
                m = wsgw_conf_at(m, i, NULL);
            return wsgw_err_set(err, NULL, "%s: %s", wsgw_conf_where(m),
                                lerr.msg);
        }
    }
    if (loop_init(err) != WSGW_OK)
        return WSGW_ERR;

    d.inst = calloc(d.dc.n_entries ? d.dc.n_entries : 1, sizeof(*d.inst));
    if (!d.inst)
        return wsgw_err_set(err, NULL, "out of memory");
    for (size_t i = 0; i < d.dc.n_entries; i++)
        if (!build_instance(&d.dc.entries[i], err))
            return WSGW_ERR;
    if (build_routes(err) != WSGW_OK)
        return WSGW_ERR;
    return setup_registry(test_only, err);
}

int daemon_run(const struct daemon_opts *o)
{
    struct wsgw_err err = {0};
    int rc = 1;
    signal(SIGPIPE, SIG_IGN);
    d.started_ms = wsgw_now_ms();

    if (build(o->conf_path, o->module_dir, o->test_only, &err) != WSGW_OK) {
        if (o->test_only)
            fprintf(stderr,
                    "wsgw: %s\nwsgw: configuration file %s test "
                    "failed\n",
                    err.msg, o->conf_path);
        else
            wsgw_log(NULL, WSGW_LOG_ERROR, "%s", err.msg);
        goto out;
    }
    if (o->test_only) {
        fprintf(stderr,
                "wsgw: the configuration file %s syntax is ok\n"
                "wsgw: configuration file %s test is successful\n",
                o->conf_path, o->conf_path);
        rc = 0;
        goto out;
    }
    if (core_routes_register() != WSGW_OK || add_signals(&err) != WSGW_OK) {
        wsgw_log(NULL, WSGW_LOG_ERROR, "%s",
                 err.msg[0] ? err.msg : "cannot register core routes");
        goto out;
    }
    /* Sinks first so nothing emitted is lost, sources last. */
    if (start_kind(INSTANCE_SINK, &err) != WSGW_OK ||
        start_kind(INSTANCE_SERVICE, &err) != WSGW_OK ||
        start_kind(INSTANCE_SOURCE, &err) != WSGW_OK) {
        wsgw_log(NULL, WSGW_LOG_ERROR, "%s", err.msg);
        goto out;
    }
    if (registry_load(&err) != WSGW_OK)
        wsgw_log(NULL, WSGW_LOG_ERROR, "subscriptions: %s", err.msg);
    wsgw_log(NULL, WSGW_LOG_INFO, "wsgw %s running (%zu instances)",
             wsgw_version(), d.n_inst);
    event_base_dispatch(wsgw_event_base());
    wsgw_log(NULL, WSGW_LOG_INFO, "stopped");
    rc = 0;
out:
    teardown();
    log_shutdown();
    memset(&d, 0, sizeof(d));
    return rc;
}
