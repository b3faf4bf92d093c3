/*
 * loop.c — the core's one libevent base.
 */
#include <config.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <wsgw/loop.h>

#include "loop_internal.h"

static struct event_base *base;

int loop_init(struct wsgw_err *err)
{
    if (base)
        return WSGW_OK;
    /* Must precede the base: locks are attached when it is created. */
    if (evthread_use_pthreads() != 0)
        return wsgw_err_set(err, NULL, "libevent: cannot enable pthreads");
    base = event_base_new();
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
