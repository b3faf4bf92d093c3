/*
 * rmq_names.h — queue and exchange names from templates, and routing keys.
 *
 * Pure string work (no broker, no allocation), shared by option parsing
 * at create time and by the publisher's hot path.
 */
#ifndef WSGW_RMQ_NAMES_H
#define WSGW_RMQ_NAMES_H

#include <stddef.h>

#include <wsgw/core.h>

/* Longest AMQP short string: queue, exchange and routing key names. */
#define RMQ_NAME_MAX 255

/* One {key} of a template and what it stands for. */
struct rmq_var {
    const char *key;
    const char *val;
};

/*
 * Expand `tmpl`, replacing every {key} by its value from vars[0..n).
 * Writes a NUL-terminated name into out (RMQ_NAME_MAX + 1 bytes).
 * Returns its length, or -1 with err filled: an unknown {placeholder}
 * (the message lists the known ones), an unclosed brace, or a result
 * that is empty or longer than RMQ_NAME_MAX.
 */
int rmq_expand(const char *tmpl, const struct rmq_var *vars, size_t n,
               char *out, struct wsgw_err *err);

/*
 * Check a queue or exchange name the broker will accept from us: 1 to
 * RMQ_NAME_MAX bytes, no control characters, not in the broker's reserved
 * "amq." namespace. `what` names it in the message ("queue", "exchange").
 * WSGW_OK, or WSGW_ERR with err filled.
 */
int rmq_name_check(const char *what, const char *name, struct wsgw_err *err);

/*
 * Build the routing key "{class}.{category}.{symbol}" into out
 * (RMQ_NAME_MAX + 1 bytes): an empty or NULL part becomes "_", and a '.'
 * inside a part becomes '_' so every key has exactly three words for
 * topic bindings ("trades.*.BTCUSDT"). Truncated at RMQ_NAME_MAX.
 * Returns the length.
 */
size_t rmq_routing_key(const char *cls, const char *category,
                       const char *symbol, char *out);

#endif
