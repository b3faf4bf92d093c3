/*
 * bybit_topic.h — subscription requests into Bybit topics (API.md's
 * channel table), with the validation the admin API reports as 400s.
 * Pure: no I/O, no core state besides wsgw_err_set().
 */
#ifndef BYBIT_TOPIC_H
#define BYBIT_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/subs.h>

/* The connections a source keeps; index = enum bybit_stream. */
enum bybit_stream {
    BYBIT_SPOT = 0,
    BYBIT_LINEAR,
    BYBIT_INVERSE,
    BYBIT_OPTION,
    BYBIT_PRIVATE,
    BYBIT_STREAMS
};

/* "spot", "linear", "inverse", "option", "private". */
const char *bybit_stream_name(int stream);
/* The stream of a name, or -1. */
int bybit_stream_from_name(const char *name);

/* What topic building needs from the source's configuration. */
struct bybit_topic_conf {
    const char *default_category; /* "linear"                          */
    int64_t default_depth;        /* orderbook depth when none is asked */
    const char *default_interval; /* kline interval when none is asked  */
    int have_credentials;         /* private channels allowed           */
};

/*
 * Build and validate the topic for req (struct wsgw_source_ops.topic_build).
 * WSGW_OK with *out filled, or WSGW_ERR with err->code one of
 * INVALID_CHANNEL_TYPE, MISSING_SYMBOL, UNEXPECTED_SYMBOL, INVALID_SYMBOL,
 * INVALID_TOPIC, INVALID_PARAMETER and a message naming the problem.
 */
int bybit_topic_build(const struct bybit_topic_conf *c,
                      const struct wsgw_sub_request *req,
                      struct wsgw_topic *out, struct wsgw_err *err);

/* 1 when depth is a valid order book depth for the category's stream. */
int bybit_depth_valid(int stream, int64_t depth);
/* 1 when iv is a kline interval Bybit knows ("1", "60", "D"...). */
int bybit_interval_valid(const char *iv);

#endif
