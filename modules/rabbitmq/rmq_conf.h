/*
 * rmq_conf.h — the rabbitmq sink's options and the topology they describe.
 *
 * The option table is checked by the core; rmq_topology_build() then
 * turns the templates, the class->name map and the consumer groups into
 * the exact exchanges, queues and bindings to declare, validating every
 * name, so `wsgw -t` reports any mistake with its file position.
 */
#ifndef WSGW_RMQ_CONF_H
#define WSGW_RMQ_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/wsgw.h>

enum rmq_overflow {
    RMQ_OVERFLOW_DROP_HEAD = 0,
    RMQ_OVERFLOW_REJECT_PUBLISH,
    RMQ_OVERFLOW_REJECT_PUBLISH_DLX
};

/* The option struct the core fills (layout of rmq_options[]). */
struct rmq_conf {
    char *url;
    int64_t heartbeat_ms;
    int64_t connect_timeout_ms;
    char *ca_file;
    char *cert_file;
    char *key_file;
    int verify_hostname;
    char *exchange_template;
    char *queue_template;
    const struct wsgw_conf_node *queue_names;
    int default_queues;
    char *consumer_queue_template;
    const struct wsgw_conf_node *consumers;
    struct wsgw_strlist declare_classes;
    int64_t message_ttl_ms;
    int64_t max_length;
    int64_t max_length_bytes;
    int overflow; /* enum rmq_overflow */
    int64_t confirm_window;
    int64_t reconnect_min_ms;
    int64_t reconnect_max_ms;
    int64_t stop_timeout_ms;
};

/* The options, ended by a NULL name (the descriptor points at it). */
extern const struct wsgw_option rmq_options[];
/* The broker's x-overflow value for an enum rmq_overflow. */
const char *rmq_overflow_name(int overflow);

/* One queue to declare and bind to its class's exchange. */
struct rmq_queue {
    char *name; /* owned */
    size_t nkeys;
    char **keys; /* binding keys, owned; "#" = everything */
};

/* What one event class publishes to. */
struct rmq_class_topo {
    char *exchange; /* owned; topic exchange, durable */
    size_t nqueues;
    struct rmq_queue *queues; /* owned */
};

struct rmq_topology {
    struct rmq_class_topo cls[WSGW_CLASS_COUNT];
    /* Classes declared as soon as a connection opens (WSGW_CLASS_BIT);
     * the others are declared before their first event is published. */
    unsigned declare_mask;
    /* declare_classes has "routed": the caller adds wsgw_sink_classes(). */
    int declare_routed;
};

/*
 * Build the topology for conf into *t (zeroed first). Every class gets
 * its exchange, its default queue (unless default_queues is off) and one
 * queue per consumer group that takes the class. Returns WSGW_OK, or
 * WSGW_ERR with err->msg naming the option (and FILE:LINE:COL for the
 * structured options). On error *t holds nothing to free.
 */
int rmq_topology_build(const struct rmq_conf *conf, struct rmq_topology *t,
                       struct wsgw_err *err);
/* Free what rmq_topology_build() allocated. */
void rmq_topology_free(struct rmq_topology *t);

#endif
