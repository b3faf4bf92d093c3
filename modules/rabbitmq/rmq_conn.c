/*
 * rmq_conn.c — connecting, logging in and declaring (see rmq_conn.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <openssl/ssl.h>

#include "rmq_conn.h"
#include "rmq_names.h"

int rmq_url_parse(const char *url, struct rmq_url *u, struct wsgw_err *err)
{
    *u = (struct rmq_url){0};
    if (strncmp(url, "amqp://", 7) != 0 && strncmp(url, "amqps://", 8) != 0)
        return wsgw_err_set(err, NULL,
                            "option 'url': expected amqp://user:password@"
                            "host:port/vhost or amqps://...");
    if (!(u->buf = strdup(url)))
        return wsgw_err_set(err, NULL, "out of memory");
    amqp_default_connection_info(&u->info);
    if (amqp_parse_url(u->buf, &u->info) != AMQP_STATUS_OK) {
        rmq_url_free(u);
        return wsgw_err_set(err, NULL,
                            "option 'url': not a valid AMQP URL (expected "
                            "amqp[s]://user:password@host:port/vhost, with "
                            "%%-escapes for special characters)");
    }
    /* "amqp://host/" means the default vhost, as most clients read it
     * (the strict URI spec would make it the empty vhost "", which no
     * broker has by default). */
    if (u->info.vhost[0] == '\0')
        u->info.vhost = "/";
    /* Shown: the default vhost as an empty path, others escaped. */
    char vh[300];
    size_t k = 0;
    const char *v = u->info.vhost;
    if (strcmp(v, "/") != 0)
        for (; *v && k + 4 < sizeof(vh); v++)
            k += (size_t)(*v == '/'
                              ? snprintf(vh + k, sizeof(vh) - k, "%%2f")
                              : snprintf(vh + k, sizeof(vh) - k, "%c", *v));
    vh[k] = '\0';
    snprintf(u->shown, sizeof(u->shown), "%s://%s@%s:%d/%s",
             u->info.ssl ? "amqps" : "amqp", u->info.user, u->info.host,
             u->info.port, vh);
    return WSGW_OK;
}

void rmq_url_free(struct rmq_url *u)
{
    if (u->buf) {
        /* The copy holds the password. */
        memset(u->buf, 0, strlen(u->buf));
        free(u->buf);
    }
    *u = (struct rmq_url){0};
}

void rmq_reply_str(amqp_rpc_reply_t r, char *buf, size_t n)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        snprintf(buf, n, "ok");
        break;
    case AMQP_RESPONSE_NONE:
        snprintf(buf, n, "no reply from the broker");
        break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        snprintf(buf, n, "%s", amqp_error_string2(r.library_error));
        break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = r.reply.decoded;
            snprintf(buf, n, "the broker closed the connection: %.*s",
                     (int)m->reply_text.len, (char *)m->reply_text.bytes);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = r.reply.decoded;
            snprintf(buf, n, "the broker closed the channel: %.*s",
                     (int)m->reply_text.len, (char *)m->reply_text.bytes);
        } else {
            snprintf(buf, n, "unexpected broker method 0x%08x",
                     (unsigned)r.reply.id);
        }
        break;
    }
}

static struct timeval tv_ms(int64_t ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

static amqp_socket_t *new_socket(amqp_connection_state_t c,
                                 const struct rmq_conn_opts *o, char *why,
                                 size_t whylen)
{
    if (!o->url->info.ssl) {
        amqp_socket_t *s = amqp_tcp_socket_new(c);
        if (!s)
            snprintf(why, whylen, "cannot create a TCP socket");
        return s;
    }
    amqp_socket_t *s = amqp_ssl_socket_new(c);
    if (!s) {
        snprintf(why, whylen, "cannot create a TLS socket");
        return NULL;
    }
    amqp_ssl_socket_set_verify_peer(s, 1);
    amqp_ssl_socket_set_verify_hostname(s, o->verify_hostname ? 1 : 0);
    amqp_ssl_socket_set_ssl_versions(s, AMQP_TLSv1_2, AMQP_TLSvLATEST);
    if (o->ca_file) {
        if (amqp_ssl_socket_set_cacert(s, o->ca_file) != AMQP_STATUS_OK) {
            snprintf(why, whylen, "cannot load CA file %s", o->ca_file);
            return NULL;
        }
    } else {
        /* rabbitmq-c starts with an empty trust store. */
        SSL_CTX *ctx = amqp_ssl_socket_get_context(s);
        if (!ctx || SSL_CTX_set_default_verify_paths(ctx) != 1) {
            snprintf(why, whylen, "cannot load the system CA store");
            return NULL;
        }
    }
    if (o->cert_file && amqp_ssl_socket_set_key(s, o->cert_file, o->key_file) !=
                            AMQP_STATUS_OK) {
        snprintf(why, whylen, "cannot load client certificate %s / key %s",
                 o->cert_file, o->key_file);
        return NULL;
    }
    return s;
}

amqp_connection_state_t rmq_connect(const struct rmq_conn_opts *o, char *why,
                                    size_t whylen)
{
    const struct amqp_connection_info *u = &o->url->info;
    amqp_connection_state_t c = amqp_new_connection();
    if (!c) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    struct timeval tv = tv_ms(o->timeout_ms);
    amqp_set_handshake_timeout(c, &tv);
    amqp_set_rpc_timeout(c, &tv);

    amqp_socket_t *sock = new_socket(c, o, why, whylen);
    if (!sock)
        goto fail;
    int st = amqp_socket_open_noblock(sock, u->host, u->port, &tv);
    if (st != AMQP_STATUS_OK) {
        /* rabbitmq-c folds refused/unreachable into "socket error" and
         * leaves errno unreliable: say what it means for an operator. */
        snprintf(why, whylen, "cannot connect to %s:%d: %s", u->host, u->port,
                 st == AMQP_STATUS_SOCKET_ERROR
                     ? "connection refused or host unreachable"
                     : amqp_error_string2(st));
        goto fail;
    }

    amqp_table_entry_t cap[] = {
        {.key = amqp_cstring_bytes("connection.blocked"),
         .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}},
    };
    amqp_table_entry_t props[] = {
        {.key = amqp_cstring_bytes("connection_name"),
         .value = {.kind = AMQP_FIELD_KIND_UTF8,
                   .value.bytes = amqp_cstring_bytes(o->conn_name)}},
        {.key = amqp_cstring_bytes("product"),
         .value = {.kind = AMQP_FIELD_KIND_UTF8,
                   .value.bytes = amqp_cstring_bytes("wsgw")}},
        {.key = amqp_cstring_bytes("capabilities"),
         .value = {.kind = AMQP_FIELD_KIND_TABLE, .value.table = {1, cap}}},
    };
    amqp_table_t ptable = {3, props};
    amqp_rpc_reply_t r = amqp_login_with_properties(
        c, u->vhost, 0, AMQP_DEFAULT_FRAME_SIZE, o->heartbeat_s, &ptable,
        AMQP_SASL_METHOD_PLAIN, u->user, u->password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        char s[400];
        rmq_reply_str(r, s, sizeof(s));
        snprintf(why, whylen, "login as '%s' to vhost '%s' failed: %s", u->user,
                 u->vhost, s);
        goto fail;
    }
    amqp_channel_open(c, RMQ_CHANNEL);
    r = amqp_get_rpc_reply(c);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        amqp_confirm_select(c, RMQ_CHANNEL);
        r = amqp_get_rpc_reply(c);
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        char s[400];
        rmq_reply_str(r, s, sizeof(s));
        snprintf(why, whylen, "opening a confirm-mode channel failed: %s", s);
        goto fail;
    }
    return c;
fail:
    rmq_disconnect(c, 0);
    return NULL;
}

static int declare_failed(amqp_connection_state_t c, const char *what,
                          const char *name, char *why, size_t whylen)
{
    char s[600];
    rmq_reply_str(amqp_get_rpc_reply(c), s, sizeof(s));
    snprintf(why, whylen, "cannot declare %s '%s': %s", what, name, s);
    return WSGW_ERR;
}

int rmq_declare_class(amqp_connection_state_t c,
                      const struct rmq_class_topo *ct,
                      const amqp_table_t *qargs, char *why, size_t whylen)
{
    amqp_bytes_t ex = amqp_cstring_bytes(ct->exchange);
    amqp_exchange_declare(c, RMQ_CHANNEL, ex, amqp_cstring_bytes("topic"), 0, 1,
                          0, 0, amqp_empty_table);
    if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
        return declare_failed(c, "exchange", ct->exchange, why, whylen);

    for (size_t i = 0; i < ct->nqueues; i++) {
        const struct rmq_queue *q = &ct->queues[i];
        amqp_bytes_t qn = amqp_cstring_bytes(q->name);
        amqp_queue_declare(c, RMQ_CHANNEL, qn, 0, 1, 0, 0, *qargs);
        if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
            return declare_failed(c, "queue", q->name, why, whylen);
        for (size_t k = 0; k < q->nkeys; k++) {
            amqp_queue_bind(c, RMQ_CHANNEL, qn, ex,
                            amqp_cstring_bytes(q->keys[k]), amqp_empty_table);
            if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) {
                char what[RMQ_NAME_MAX * 2 + 64];
                snprintf(what, sizeof(what),
                         "binding of queue '%s' to "
                         "exchange '%s' with key",
                         q->name, ct->exchange);
                return declare_failed(c, what, q->keys[k], why, whylen);
            }
        }
    }
    return WSGW_OK;
}

void rmq_disconnect(amqp_connection_state_t c, int polite)
{
    if (!c)
        return;
    if (polite)
        amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}
