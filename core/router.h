/*
 * router.h — routes from a source's event classes to sink queues.
 *
 * Built on the loop thread before anything starts (router_add), then read
 * without locks from any thread by wsgw_emit() (event.h).
 */
#ifndef WSGW_ROUTER_H
#define WSGW_ROUTER_H

#include "instance.h"

/*
 * Send events of the classes in class_mask (WSGW_CLASS_BIT set) from
 * source `src` to sink `sink` (which must have its queue). Adding the same
 * pair twice merges the masks. WSGW_OK or WSGW_ERR (out of memory).
 */
int router_add(struct wsgw_instance *src, unsigned class_mask,
               struct wsgw_instance *sink);
/* Free src->routes. */
void router_free(struct wsgw_instance *src);

#endif
