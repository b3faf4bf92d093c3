/*
 * rmq_message.h — the AMQP message for one event: properties, headers
 * and routing key, built on the caller's stack without allocating.
 *
 *   body          the envelope JSON (wsgw_event_json)
 *   content_type  application/json
 *   delivery_mode 2 (persistent)
 *   message_id    event_id
 *   timestamp     the event's exchange time, in seconds
 *   type          event_type
 *   headers       event_type, topic, trace_id (long strings)
 *   routing key   {class}.{category}.{symbol} (rmq_routing_key)
 */
#ifndef WSGW_RMQ_MESSAGE_H
#define WSGW_RMQ_MESSAGE_H

#include <amqp.h>

#include <wsgw/event.h>

#include "rmq_names.h"

struct rmq_message {
    amqp_basic_properties_t props;
    amqp_table_entry_t headers[3];
    char key[RMQ_NAME_MAX + 1];
    amqp_bytes_t routing_key;
    amqp_bytes_t body;
};

/*
 * Fill m for ev. The strings are borrowed from ev, which must stay
 * referenced until the message is published.
 */
void rmq_message_build(struct rmq_message *m, const struct wsgw_event *ev);

#endif
