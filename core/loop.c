/*
 * loop.c — the core's one libevent base.
 */
#include <config.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <wsgw/loop.h>

#include "loop_internal.h"

#define LOOP_MAX_CALLBACKS 64

static struct event_base *base;

int loop_init(struct wsgw_err *err)
{
    if (base)
        return WSGW_OK;
    /* Must precede the base: locks are attached when it is created. */
    if (evthread_use_pthreads() != 0)
        return wsgw_err_set(err, NULL, "libevent: cannot enable pthreads");
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return wsgw_err_set(err, NULL, "libevent: out of memory");
    /*
     * libevent runs callbacks activated while it runs callbacks in the
     * same pass. A producer thread that keeps a sink queue or a hand-off
     * busy would then keep the loop from ever polling sockets, timers and
     * signals again; this makes it poll after every LOOP_MAX_CALLBACKS.
     */
    event_config_set_max_dispatch_interval(cfg, NULL, LOOP_MAX_CALLBACKS, 0);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!base)
        return wsgw_err_set(err, NULL, "libevent: cannot create event base");
    return WSGW_OK;
}

void loop_free(void)
{
    if (base)
        event_base_free(base);
    base = NULL;
}

struct event_base *wsgw_event_base(void)
{
    return base;
}
