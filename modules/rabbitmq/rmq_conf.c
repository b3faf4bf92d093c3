/*
 * rmq_conf.c — the option table and the topology it describes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rmq_conf.h"
#include "rmq_names.h"

static const char *const overflow_choices[] = {"drop-head", "reject-publish",
                                               "reject-publish-dlx", NULL};

const char *rmq_overflow_name(int overflow)
{
    if (overflow < 0 || overflow > RMQ_OVERFLOW_REJECT_PUBLISH_DLX)
        return overflow_choices[0];
    return overflow_choices[overflow];
}

#define OFF(f) offsetof(struct rmq_conf, f)

const struct wsgw_option rmq_options[] = {
    {"url", WSGW_OPT_STR, "amqp://guest:guest@127.0.0.1:5672/", WSGW_OPT_SECRET,
     OFF(url), 0, 0, NULL,
     "broker URL amqp://user:password@host:port/vhost or amqps://..."},
    {"heartbeat", WSGW_OPT_DURATION, "30s", 0, OFF(heartbeat_ms), 0, 65535000,
     NULL, "AMQP heartbeat interval; 0 disables heartbeats"},
    {"connect_timeout", WSGW_OPT_DURATION, "10s", 0, OFF(connect_timeout_ms),
     100, 600000, NULL, "limit for TCP/TLS connect, login and each declare"},
    {"ca_file", WSGW_OPT_STR, NULL, 0, OFF(ca_file), 0, 0, NULL,
     "amqps: CA certificates (PEM) to verify the broker; default: the "
     "system's"},
    {"cert_file", WSGW_OPT_STR, NULL, 0, OFF(cert_file), 0, 0, NULL,
     "amqps: client certificate chain (PEM), with key_file"},
    {"key_file", WSGW_OPT_STR, NULL, 0, OFF(key_file), 0, 0, NULL,
     "amqps: client private key (PEM), with cert_file"},
    {"verify_hostname", WSGW_OPT_BOOL, "true", 0, OFF(verify_hostname), 0, 0,
     NULL, "amqps: check the broker certificate names the URL's host"},
    {"exchange_template", WSGW_OPT_STR, "ws-gateway.{class}", 0,
     OFF(exchange_template), 0, 0, NULL,
     "name of each class's topic exchange; {class} is the class name"},
    {"queue_template", WSGW_OPT_STR, "ws-gateway.{class}", 0,
     OFF(queue_template), 0, 0, NULL,
     "name of each class's default queue; {class} is the class name"},
    {"queue_names", WSGW_OPT_NODE, NULL, 0, OFF(queue_names), 0, 0, NULL,
     "map class -> default queue name, overriding queue_template"},
    {"default_queues", WSGW_OPT_BOOL, "true", 0, OFF(default_queues), 0, 0,
     NULL, "declare each class's default queue (bound with '#')"},
    {"consumer_queue_template", WSGW_OPT_STR, "{queue}.{consumer}", 0,
     OFF(consumer_queue_template), 0, 0, NULL,
     "name of a consumer group's queue; {queue} {class} {consumer}"},
    {"consumers", WSGW_OPT_NODE, NULL, 0, OFF(consumers), 0, 0, NULL,
     "consumer groups: list of {name, classes, bind, queue}"},
    {"declare_classes", WSGW_OPT_STRLIST, "routed", 0, OFF(declare_classes), 0,
     0, NULL,
     "classes whose exchange and queues are declared on connect (routed: "
     "those the routes send here; all; none; or names); others on their "
     "first event"},
    {"message_ttl", WSGW_OPT_DURATION, "24h", 0, OFF(message_ttl_ms), 0,
     4294967295LL, NULL, "x-message-ttl of every queue; 0 for none"},
    {"max_length", WSGW_OPT_INT, "100000", 0, OFF(max_length), 0, 2147483647LL,
     NULL, "x-max-length of every queue; 0 for none"},
    {"max_length_bytes", WSGW_OPT_SIZE, "0", 0, OFF(max_length_bytes), 0,
     (1LL << 50), NULL, "x-max-length-bytes of every queue; 0 for none"},
    {"overflow", WSGW_OPT_ENUM, "drop-head", 0, OFF(overflow), 0, 0,
     overflow_choices, "x-overflow: what a full queue does"},
    {"confirm_window", WSGW_OPT_INT, "1000", 0, OFF(confirm_window), 1, 65535,
     NULL, "most events published and not yet confirmed by the broker"},
    {"reconnect_min", WSGW_OPT_DURATION, "500ms", 0, OFF(reconnect_min_ms), 10,
     600000, NULL, "first delay before reconnecting; doubles per failure"},
    {"reconnect_max", WSGW_OPT_DURATION, "30s", 0, OFF(reconnect_max_ms), 10,
     3600000, NULL, "longest delay between reconnect attempts"},
    {"stop_timeout", WSGW_OPT_DURATION, "2s", 0, OFF(stop_timeout_ms), 0,
     600000, NULL, "at shutdown, how long to wait for outstanding confirms"},
    {NULL},
};

/* "trades, tickers, ..." for error messages. */
static const char *class_list(void)
{
    static char buf[256];
    size_t k = 0;
    for (int c = 0; c < WSGW_CLASS_COUNT && k < sizeof(buf); c++)
        k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s", c ? ", " : "",
                              wsgw_class_name(c));
    return buf;
}

/* Class set of a scalar "all" / class name, or a list of class names. */
static int parse_classes(const struct wsgw_conf_node *n, const char *opt,
                         unsigned *mask, struct wsgw_err *err)
{
    size_t count = wsgw_conf_kind(n) == WSGW_CONF_SEQ ? wsgw_conf_len(n) : 1;
    *mask = 0;
    if (wsgw_conf_kind(n) == WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: option '%s': expected 'all', a class name "
                            "or a list of class names, got a map",
                            wsgw_conf_where(n), opt);
    for (size_t i = 0; i < count; i++) {
        const struct wsgw_conf_node *item =
            wsgw_conf_kind(n) == WSGW_CONF_SEQ ? wsgw_conf_at(n, i, NULL) : n;
        const char *s = wsgw_conf_scalar(item);
        if (!s)
            return wsgw_err_set(err, NULL,
                                "%s: option '%s': expected a class name",
                                wsgw_conf_where(item), opt);
        if (strcmp(s, "all") == 0) {
            *mask |= WSGW_CLASS_ALL;
            continue;
        }
        int c = wsgw_class_from_name(s);
        if (c < 0)
            return wsgw_err_set(err, NULL,
                                "%s: option '%s': unknown class '%s' "
                                "(classes: all, %s)",
                                wsgw_conf_where(item), opt, s, class_list());
        *mask |= WSGW_CLASS_BIT(c);
    }
    if (*mask == 0)
        return wsgw_err_set(err, NULL, "%s: option '%s': no class given",
                            wsgw_conf_where(n), opt);
    return WSGW_OK;
}

/* Append a queue (taking ownership of name and keys) to a class. */
static int add_queue(struct rmq_class_topo *ct, char *name, char **keys,
                     size_t nkeys, struct wsgw_err *err)
{
    struct rmq_queue *q =
        realloc(ct->queues, (ct->nqueues + 1) * sizeof(*ct->queues));
    if (!q) {
        free(name);
        for (size_t i = 0; i < nkeys; i++)
            free(keys[i]);
        free(keys);
        return wsgw_err_set(err, NULL, "out of memory");
    }
    ct->queues = q;
    q[ct->nqueues++] = (struct rmq_queue){name, nkeys, keys};
    return WSGW_OK;
}

/* A copy of `n` strings as an owned array, or NULL when out of memory. */
static char **dup_keys(const char *const *v, size_t n)
{
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    for (size_t i = 0; keys && i < n; i++)
        if (!(keys[i] = strdup(v[i]))) {
            while (i--)
                free(keys[i]);
            free(keys);
            return NULL;
        }
    return keys;
}

static int build_defaults(const struct rmq_conf *c, struct rmq_topology *t,
                          char (*qname)[RMQ_NAME_MAX + 1], struct wsgw_err *err)
{
    char name[RMQ_NAME_MAX + 1];
    struct wsgw_err why;

    for (int cls = 0; cls < WSGW_CLASS_COUNT; cls++) {
        struct rmq_var v = {"class", wsgw_class_name(cls)};
        if (rmq_expand(c->exchange_template, &v, 1, name, &why) < 0 ||
            rmq_name_check("exchange", name, &why) != WSGW_OK)
            return wsgw_err_set(err, NULL, "option 'exchange_template': %s",
                                why.msg);
        if (!(t->cls[cls].exchange = strdup(name)))
            return wsgw_err_set(err, NULL, "out of memory");
        if (rmq_expand(c->queue_template, &v, 1, qname[cls], &why) < 0 ||
            rmq_name_check("queue", qname[cls], &why) != WSGW_OK)
            return wsgw_err_set(err, NULL, "option 'queue_template': %s",
                                why.msg);
    }

    const struct wsgw_conf_node *map = c->queue_names;
    if (map && wsgw_conf_kind(map) != WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: option 'queue_names': expected a map of "
                            "class: queue name",
                            wsgw_conf_where(map));
    for (size_t i = 0; i < wsgw_conf_len(map); i++) {
        const char *key;
        const struct wsgw_conf_node *val = wsgw_conf_at(map, i, &key);
        int cls = wsgw_class_from_name(key);
        const char *s = wsgw_conf_scalar(val);
        if (cls < 0)
            return wsgw_err_set(err, NULL,
                                "%s: option 'queue_names': unknown class '%s' "
                                "(classes: %s)",
                                wsgw_conf_where(val), key, class_list());
        if (!s || rmq_name_check("queue", s, &why) != WSGW_OK)
            return wsgw_err_set(err, NULL, "%s: option 'queue_names': %s",
                                wsgw_conf_where(val),
                                s ? why.msg : "expected a queue name");
        snprintf(qname[cls], RMQ_NAME_MAX + 1, "%s", s);
    }

    if (!c->default_queues)
        return WSGW_OK;
    for (int cls = 0; cls < WSGW_CLASS_COUNT; cls++) {
        static const char *const all[] = {"#"};
        char *n = strdup(qname[cls]);
        char **keys = n ? dup_keys(all, 1) : NULL;
        if (!keys) {
            free(n);
            return wsgw_err_set(err, NULL, "out of memory");
        }
        if (add_queue(&t->cls[cls], n, keys, 1, err) != WSGW_OK)
            return WSGW_ERR;
    }
    return WSGW_OK;
}

/* A consumer group name: a word usable inside queue names. */
static int consumer_name_ok(const char *s)
{
    if (!*s || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("-_.:", *s)))
            return 0;
    return 1;
}

struct consumer_nodes {
    const struct wsgw_conf_node *name, *classes, *bind, *queue;
};

static const struct wsgw_option consumer_options[] = {
    {"name", WSGW_OPT_NODE, NULL, WSGW_OPT_REQUIRED,
     offsetof(struct consumer_nodes, name), 0, 0, NULL,
     "consumer group name, e.g. risk-service"},
    {"classes", WSGW_OPT_NODE, NULL, 0,
     offsetof(struct consumer_nodes, classes), 0, 0, NULL,
     "all (default) or a list of classes"},
    {"bind", WSGW_OPT_NODE, NULL, 0, offsetof(struct consumer_nodes, bind), 0,
     0, NULL, "routing pattern(s), e.g. trades.*.BTCUSDT; default #"},
    {"queue", WSGW_OPT_NODE, NULL, 0, offsetof(struct consumer_nodes, queue), 0,
     0, NULL, "queue name template; default consumer_queue_template"},
    {NULL},
};

/* Binding keys of a consumer: a scalar or a list of scalars. */
static int parse_bind(const struct wsgw_conf_node *n, const char **keys,
                      size_t max, size_t *nkeys, struct wsgw_err *err)
{
    *nkeys = 0;
    if (!n) {
        keys[(*nkeys)++] = "#";
        return WSGW_OK;
    }
    size_t count = wsgw_conf_kind(n) == WSGW_CONF_SEQ ? wsgw_conf_len(n) : 1;
    if (wsgw_conf_kind(n) == WSGW_CONF_MAP || count == 0 || count > max)
        return wsgw_err_set(err, NULL,
                            "%s: option 'bind': expected a routing pattern "
                            "or a list of 1 to %zu patterns",
                            wsgw_conf_where(n), max);
    for (size_t i = 0; i < count; i++) {
        const struct wsgw_conf_node *item =
            wsgw_conf_kind(n) == WSGW_CONF_SEQ ? wsgw_conf_at(n, i, NULL) : n;
        const char *s = wsgw_conf_scalar(item);
        if (!s || !*s || strlen(s) > RMQ_NAME_MAX)
            return wsgw_err_set(err, NULL,
                                "%s: option 'bind': expected a routing "
                                "pattern such as trades.*.BTCUSDT (1 to %d "
                                "bytes)",
                                wsgw_conf_where(item), RMQ_NAME_MAX);
        keys[(*nkeys)++] = s;
    }
    return WSGW_OK;
}

#define MAX_BINDS 32

static int build_consumer(const struct rmq_conf *c, struct rmq_topology *t,
                          const struct wsgw_conf_node *item,
                          char (*qname)[RMQ_NAME_MAX + 1], struct wsgw_err *err)
{
    struct consumer_nodes cn = {0};
    struct wsgw_err why;
    if (wsgw_conf_kind(item) != WSGW_CONF_MAP)
        return wsgw_err_set(err, NULL,
                            "%s: option 'consumers': expected a map {name, "
                            "classes, bind, queue} as each item",
                            wsgw_conf_where(item));
    if (wsgw_conf_apply(item, consumer_options, NULL, &cn, err) != WSGW_OK)
        return WSGW_ERR;

    const char *name = wsgw_conf_scalar(cn.name);
    if (!name || !consumer_name_ok(name))
        return wsgw_err_set(err, NULL,
                            "%s: option 'name': expected a consumer group "
                            "name of letters, digits and - _ . : (1 to 128)",
                            wsgw_conf_where(cn.name));
    unsigned mask = WSGW_CLASS_ALL;
    if (cn.classes &&
        parse_classes(cn.classes, "classes", &mask, err) != WSGW_OK)
        return WSGW_ERR;
    const char *binds[MAX_BINDS];
    size_t nbinds;
    if (parse_bind(cn.bind, binds, MAX_BINDS, &nbinds, err) != WSGW_OK)
        return WSGW_ERR;
    const char *tmpl = c->consumer_queue_template;
    if (cn.queue && !(tmpl = wsgw_conf_scalar(cn.queue)))
        return wsgw_err_set(err, NULL,
                            "%s: option 'queue': expected a queue name "
                            "template",
                            wsgw_conf_where(cn.queue));

    for (int cls = 0; cls < WSGW_CLASS_COUNT; cls++) {
        if (!(mask & WSGW_CLASS_BIT(cls)))
            continue;
        struct rmq_var vars[] = {{"queue", qname[cls]},
                                 {"class", wsgw_class_name(cls)},
                                 {"consumer", name}};
        char qn[RMQ_NAME_MAX + 1];
        if (rmq_expand(tmpl, vars, 3, qn, &why) < 0 ||
            rmq_name_check("queue", qn, &why) != WSGW_OK)
            return wsgw_err_set(err, NULL, "%s: consumer '%s': %s",
                                wsgw_conf_where(cn.queue ? cn.queue : item),
                                name, why.msg);
        for (size_t i = 0; i < t->cls[cls].nqueues; i++)
            if (strcmp(t->cls[cls].queues[i].name, qn) == 0)
                return wsgw_err_set(err, NULL,
                                    "%s: consumer '%s': queue '%s' is "
                                    "already used for class %s (consumer "
                                    "names must differ)",
                                    wsgw_conf_where(item), name, qn,
                                    wsgw_class_name(cls));
        char *n = strdup(qn);
        char **keys = n ? dup_keys(binds, nbinds) : NULL;
        if (!keys) {
            free(n);
            return wsgw_err_set(err, NULL, "out of memory");
        }
        if (add_queue(&t->cls[cls], n, keys, nbinds, err) != WSGW_OK)
            return WSGW_ERR;
    }
    return WSGW_OK;
}

static int build_declare_mask(const struct rmq_conf *c, unsigned *mask,
                              int *routed, struct wsgw_err *err)
{
    *mask = 0;
    *routed = 0;
    for (size_t i = 0; i < c->declare_classes.n; i++) {
        const char *s = c->declare_classes.v[i];
        int cls = wsgw_class_from_name(s);
        if (strcmp(s, "all") == 0)
            *mask |= WSGW_CLASS_ALL;
        else if (strcmp(s, "routed") == 0)
            *routed = 1;
        else if (strcmp(s, "none") == 0)
            ;
        else if (cls < 0)
            return wsgw_err_set(err, NULL,
                                "option 'declare_classes': unknown class "
                                "'%s' (routed, all, none, %s)",
                                s, class_list());
        else
            *mask |= WSGW_CLASS_BIT(cls);
    }
    return WSGW_OK;
}

int rmq_topology_build(const struct rmq_conf *c, struct rmq_topology *t,
                       struct wsgw_err *err)
{
    char qname[WSGW_CLASS_COUNT][RMQ_NAME_MAX + 1];
    *t = (struct rmq_topology){0};

    if (build_declare_mask(c, &t->declare_mask, &t->declare_routed, err) !=
            WSGW_OK ||
        build_defaults(c, t, qname, err) != WSGW_OK)
        goto fail;

    const struct wsgw_conf_node *list = c->consumers;
    if (list && wsgw_conf_kind(list) != WSGW_CONF_SEQ) {
        wsgw_err_set(err, NULL,
                     "%s: option 'consumers': expected a list of consumer "
                     "groups",
                     wsgw_conf_where(list));
        goto fail;
    }
    for (size_t i = 0; i < wsgw_conf_len(list); i++) {
        const struct wsgw_conf_node *item = wsgw_conf_at(list, i, NULL);
        const char *name = wsgw_conf_scalar(wsgw_conf_get(item, "name"));
        for (size_t j = 0; name && j < i; j++) {
            const char *other = wsgw_conf_scalar(
                wsgw_conf_get(wsgw_conf_at(list, j, NULL), "name"));
            if (other && strcmp(other, name) == 0) {
                wsgw_err_set(err, NULL,
                             "%s: option 'consumers': consumer group '%s' "
                             "is listed twice",
                             wsgw_conf_where(item), name);
                goto fail;
            }
        }
        if (build_consumer(c, t, item, qname, err) != WSGW_OK)
            goto fail;
    }
    return WSGW_OK;
fail:
    rmq_topology_free(t);
    return WSGW_ERR;
}

void rmq_topology_free(struct rmq_topology *t)
{
    for (int cls = 0; cls < WSGW_CLASS_COUNT; cls++) {
        struct rmq_class_topo *ct = &t->cls[cls];
        for (size_t i = 0; i < ct->nqueues; i++) {
            for (size_t k = 0; k < ct->queues[i].nkeys; k++)
                free(ct->queues[i].keys[k]);
            free(ct->queues[i].keys);
            free(ct->queues[i].name);
        }
        free(ct->queues);
        free(ct->exchange);
    }
    *t = (struct rmq_topology){0};
}
