/*
 * rmq_message.c — properties and headers of one event's message.
 */
#include <string.h>

#include "rmq_message.h"

static amqp_bytes_t str_bytes(const char *s)
{
    return (amqp_bytes_t){.len = strlen(s), .bytes = (void *)s};
}

static void header(amqp_table_entry_t *e, const char *key, const char *val)
{
    e->key = str_bytes(key);
    e->value.kind = AMQP_FIELD_KIND_UTF8;
    e->value.value.bytes = str_bytes(val);
}

void rmq_message_build(struct rmq_message *m, const struct wsgw_event *ev)
{
    amqp_basic_properties_t *p = &m->props;
    size_t len;
    const char *json = wsgw_event_json(ev, &len);

    m->body = (amqp_bytes_t){.len = len, .bytes = (void *)json};
    m->routing_key.len =
        rmq_routing_key(wsgw_class_name(wsgw_event_class(ev)),
                        wsgw_event_category(ev), wsgw_event_symbol(ev), m->key);
    m->routing_key.bytes = m->key;

    header(&m->headers[0], "event_type", wsgw_event_type(ev));
    header(&m->headers[1], "topic", wsgw_event_topic(ev));
    header(&m->headers[2], "trace_id", wsgw_event_trace_id(ev));

    p->_flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
    p->content_type = amqp_cstring_bytes("application/json");
    p->delivery_mode = AMQP_DELIVERY_PERSISTENT;
    p->message_id = str_bytes(wsgw_event_id(ev));
    p->timestamp = (uint64_t)(wsgw_event_timestamp_ms(ev) / 1000);
    p->type = str_bytes(wsgw_event_type(ev));
    p->headers.num_entries = 3;
    p->headers.entries = m->headers;
}
