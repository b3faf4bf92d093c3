/*
 * wsgw/wsgw.h — everything a module needs, in one include.
 *
 *   core.h     result codes, errors, instances, logging, time, ids
 *   conf.h     option tables and the configuration tree
 *   event.h    events, classes, wsgw_emit()
 *   loop.h     the loop, timers, hand-offs, sink queues
 *   metrics.h  counters, gauges, histograms
 *   http.h     admin routes
 *   subs.h     subscription sources and stores
 *   module.h   the descriptor a module exports
 */
#ifndef WSGW_WSGW_H_INCLUDED
#define WSGW_WSGW_H_INCLUDED

#include <wsgw/core.h>
#include <wsgw/conf.h>
#include <wsgw/event.h>
#include <wsgw/loop.h>
#include <wsgw/metrics.h>
#include <wsgw/http.h>
#include <wsgw/subs.h>
#include <wsgw/module.h>

#endif /* WSGW_WSGW_H_INCLUDED */
