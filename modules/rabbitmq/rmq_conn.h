/*
 * rmq_conn.h — one AMQP connection: the URL, connecting (TCP or TLS),
 * login, the confirm-mode channel, declaring a class's topology, and
 * turning rabbitmq-c's replies into sentences for the log.
 *
 * Everything here blocks (bounded by the connect timeout, which is also
 * the RPC timeout) and runs on the sink thread only.
 */
#ifndef WSGW_RMQ_CONN_H
#define WSGW_RMQ_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <amqp.h>

#include <wsgw/core.h>

#include "rmq_conf.h"

/* The channel every publish goes on. */
#define RMQ_CHANNEL 1

struct rmq_url {
    char *buf; /* owned copy amqp_parse_url() points into */
    struct amqp_connection_info info;
    char shown[512]; /* the URL without its password, for logs/status */
};

/*
 * Parse an amqp:// or amqps:// URL into *u (user, password, host, port,
 * vhost; defaults guest/guest, 5672 or 5671, "/"). WSGW_OK, or WSGW_ERR
 * with err filled; the message never repeats the URL (it may hold a
 * password).
 */
int rmq_url_parse(const char *url, struct rmq_url *u, struct wsgw_err *err);
void rmq_url_free(struct rmq_url *u);

struct rmq_conn_opts {
    const struct rmq_url *url;
    int heartbeat_s;
    int64_t timeout_ms;  /* connect, TLS, login, each RPC */
    const char *ca_file; /* amqps; NULL: the system's CA store */
    const char *cert_file;
    const char *key_file;
    int verify_hostname;
    const char *conn_name; /* shown by rabbitmqctl list_connections */
};

/*
 * Connect, log in, open RMQ_CHANNEL and put it in confirm mode. Returns
 * the connection (owned by the caller: rmq_disconnect) or NULL with a
 * sentence in why.
 */
amqp_connection_state_t rmq_connect(const struct rmq_conn_opts *o, char *why,
                                    size_t whylen);

/*
 * Declare a class's exchange (topic, durable), its queues (durable, with
 * `qargs`) and their bindings. WSGW_OK, or WSGW_ERR with why naming the
 * exchange or queue and quoting the broker's reply (a queue that exists
 * with other arguments: "PRECONDITION_FAILED - inequivalent arg
 * 'x-max-length' for queue ..."). After an error the channel is closed:
 * the caller drops the connection.
 */
int rmq_declare_class(amqp_connection_state_t c,
                      const struct rmq_class_topo *ct,
                      const amqp_table_t *qargs, char *why, size_t whylen);

/* A sentence for a failed RPC reply. */
void rmq_reply_str(amqp_rpc_reply_t r, char *buf, size_t n);

/*
 * Close and free a connection. polite: send connection.close and wait
 * for the answer (bounded by the RPC timeout); else just drop the socket.
 */
void rmq_disconnect(amqp_connection_state_t c, int polite);

#endif
