/*
 * wsgw/module.h — what a module is: its descriptor, its option table and
 * its lifecycle.
 *
 * A module is a shared object that exports exactly one symbol,
 * `wsgw_module` (WSGW_MODULE_SYMBOL), a const struct wsgw_module. The core
 * dlopen()s it with RTLD_NOW|RTLD_LOCAL, checks the three version fields
 * before it reads anything else, validates the instance's options against
 * the module's option table, and only then calls module code.
 *
 * One descriptor, many instances: every `sources:`, `sinks:` or `services:`
 * entry of the YAML that names the module is one instance, with its own
 * option struct and its own context.
 *
 * Lifecycle and failure contract (after Varnish's VMOD events):
 *
 *   create   parse and allocate only: no sockets, no threads, no files
 *            opened for writing. `wsgw -t` runs create + destroy, so every
 *            option error a module can find must be found here. May fail.
 *   start    open connections, start threads, register timers. May fail;
 *            then the core stops and destroys the instances that started
 *            and destroys this one without calling stop.
 *   stop     sources: stop producing (close exchange connections).
 *            services: stop accepting requests.
 *            sinks: called once the core queue is drained (or the drain
 *            deadline passed): flush what can be flushed quickly, end the
 *            thread, count what is left as dropped. Cannot fail.
 *   destroy  free everything. Cannot fail. Called after stop, or after a
 *            failed start, or after create under `wsgw -t`.
 *
 * Shutdown order: sources stop, then the core drains sinks until every
 * sink queue is empty and every sink reports idle() (or the deadline,
 * daemon.drain_timeout, default 10 s), then sinks and services stop, then
 * everything is destroyed in reverse creation order.
 *
 * ABI policy: WSGW_ABI_MAJOR changes when anything in a public header is
 * changed or removed; WSGW_ABI_MINOR when something is appended. The core
 * refuses a module of another major, or of a newer minor than itself.
 *
 * ABI history:
 *   1.0  first version.
 */
#ifndef WSGW_MODULE_H_INCLUDED
#define WSGW_MODULE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <wsgw/conf.h>
#include <wsgw/core.h>
#include <wsgw/event.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WSGW_ABI_MAJOR 1
#define WSGW_ABI_MINOR 0

/* The one symbol a module exports. */
#define WSGW_MODULE_SYMBOL "wsgw_module"

/* The version fields of a descriptor, first in it and checked first. */
struct wsgw_abi {
    uint32_t major; /* WSGW_ABI_MAJOR the module was built with */
    uint32_t minor; /* WSGW_ABI_MINOR the module was built with */
    uint32_t size;  /* sizeof(struct wsgw_module) it was built with */
};

/* Every descriptor initializer has `.abi = WSGW_MODULE_ABI,`. */
#define WSGW_MODULE_ABI                                                        \
    {                                                                          \
        WSGW_ABI_MAJOR, WSGW_ABI_MINOR, sizeof(struct wsgw_module)             \
    }
/* Shorthand for `.abi = WSGW_MODULE_ABI` (prefer the explicit form: code
 * formatters align it better). */
#define WSGW_MODULE_HEADER .abi = WSGW_MODULE_ABI

/* What a module provides (struct wsgw_module.provides). */
enum wsgw_provides {
    WSGW_PROVIDES_SOURCE = 1u << 0, /* emits events (sources: in YAML)      */
    WSGW_PROVIDES_SINK = 1u << 1,   /* receives routed events (sinks:)      */
    WSGW_PROVIDES_STORE = 1u << 2,  /* persists subscriptions (store_ops)   */
    WSGW_PROVIDES_SERVICE = 1u << 3 /* neither; e.g. the admin transport    */
};

/* Health a module reports through status(). */
enum wsgw_health {
    WSGW_HEALTH_UP = 0,       /* working                                    */
    WSGW_HEALTH_DEGRADED = 1, /* working around a problem (reconnecting)    */
    WSGW_HEALTH_DOWN = 2      /* not working; /health is 503 if it matters  */
};

/* How a sink consumes its core queue (struct wsgw_module.sink_mode). */
enum wsgw_sink_mode {
    /*
     * The core calls deliver() on the loop thread whenever events wait.
     * For sinks whose work is quick or asynchronous on the loop (file,
     * libpq in non-blocking mode).
     */
    WSGW_SINK_LOOP = 0,
    /*
     * The module runs its own thread and takes events with
     * wsgw_sink_pop(); deliver is not called. For blocking client
     * libraries (rabbitmq-c).
     */
    WSGW_SINK_THREAD = 1
};

struct wsgw_source_ops; /* wsgw/subs.h */
struct wsgw_store_ops;  /* wsgw/subs.h */

struct wsgw_module {
    /* Checked before anything else: `.abi = WSGW_MODULE_ABI`. */
    struct wsgw_abi abi;

    const char *name;        /* must equal the file name without ".so"  */
    const char *version;     /* the module's own version, for -V/status */
    const char *description; /* one line                                */
    unsigned provides;       /* enum wsgw_provides bits                 */

    /*
     * Which /health field this module's instances feed: "websocket"
     * (websocket_connected/_status, last_heartbeat_at), "queue"
     * (queue_connected) or "database" (database_connected); NULL for none.
     */
    const char *health_role;

    /*
     * Options, ended by an entry whose name is NULL. The core allocates
     * conf_size zeroed bytes, applies defaults and the YAML values at each
     * option's offset, validates types and bounds, and owns that memory
     * (and every string in it) until after destroy.
     */
    const struct wsgw_option *options;
    size_t conf_size;

    /*
     * create: conf is the validated option struct (owned by the core);
     * store the instance context in *ctx. Return WSGW_OK, or WSGW_ERR with
     * err filled (the core prints it with the instance name).
     */
    int (*create)(struct wsgw_instance *in, const void *conf, void **ctx,
                  struct wsgw_err *err);
    int (*start)(void *ctx, struct wsgw_err *err);
    void (*stop)(void *ctx);
    void (*destroy)(void *ctx);

    /*
     * Optional. Fill `out` (an empty JSON object owned by the caller) with
     * this instance's state for /api/v1/status and /health, and return its
     * enum wsgw_health. Loop thread. Keys with a meaning to /health:
     * "connected" (bool), "state" (string), "last_heartbeat_at" (ISO
     * time string or null).
     */
    int (*status)(void *ctx, json_t *out);

    /* Optional. SIGHUP: reopen files. Loop thread. */
    void (*reopen)(void *ctx);

    /* Sinks only. */
    enum wsgw_sink_mode sink_mode;
    /*
     * WSGW_SINK_LOOP: take up to n events. Return how many were taken
     * (0..n); the references of the taken ones pass to the sink, which
     * unrefs each once it is done. Events not taken stay at the head of
     * the queue, in order; the core offers them again after
     * wsgw_sink_wakeup() or after a short retry delay.
     */
    size_t (*deliver)(void *ctx, struct wsgw_event **evs, size_t n);
    /*
     * Optional. 1 when the sink holds nothing in flight (everything it
     * took is written or confirmed), else 0. The drain at shutdown waits
     * for it.
     */
    int (*idle)(void *ctx);

    /* Sources that take subscriptions from the registry (wsgw/subs.h). */
    const struct wsgw_source_ops *source_ops;
    /* Stores (wsgw/subs.h). */
    const struct wsgw_store_ops *store_ops;

    /* Room to grow without a major bump: must be zero. */
    void *reserved[8];
};

#ifdef __cplusplus
}
#endif

#endif /* WSGW_MODULE_H_INCLUDED */
