/*
 * loop_internal.h — creating and freeing the core's libevent base. The
 * daemon calls loop_init() first thing (before any module or sink queue
 * exists) and loop_free() last.
 */
#ifndef WSGW_LOOP_INTERNAL_H
#define WSGW_LOOP_INTERNAL_H

#include <wsgw/core.h>

/*
 * Turn on libevent's pthread locking (so event_active() works from any
 * thread) and create the base. WSGW_OK, or WSGW_ERR with err filled.
 */
int loop_init(struct wsgw_err *err);
/* Free the base; every event on it must be freed before. */
void loop_free(void);

#endif
