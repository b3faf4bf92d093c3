/*
 * bybit_conf.c — options, environments and endpoints (see bybit_conf.h).
 */
#include "bybit_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bybit_backoff.h"

const char *const bybit_env_names[] = {"mainnet", "testnet", "demo", "custom",
                                       NULL};

#define OPT(name, type, def, flags, field, min, max, choices, help)            \
    {                                                                          \
        name, type, def, flags, offsetof(struct bybit_conf, field), min, max,  \
            choices, help                                                      \
    }

const struct wsgw_option bybit_options[] = {
    OPT("environment", WSGW_OPT_ENUM, "mainnet", 0, environment, 0, 0,
        bybit_env_names,
        "mainnet, testnet, demo (private stream and REST on the demo hosts) "
        "or custom (URLs below)"),
    OPT("public_url", WSGW_OPT_STR, NULL, 0, public_url, 0, 0, NULL,
        "base URL of the public streams, e.g. wss://stream.bybit.com/v5/public"
        " (the category is appended)"),
    OPT("private_url", WSGW_OPT_STR, NULL, 0, private_url, 0, 0, NULL,
        "URL of the private stream, e.g. wss://stream.bybit.com/v5/private"),
    OPT("rest_url", WSGW_OPT_STR, NULL, 0, rest_url, 0, 0, NULL,
        "base URL of the REST API, e.g. https://api.bybit.com"),
    OPT("api_key", WSGW_OPT_STR, NULL, WSGW_OPT_SECRET, api_key, 0, 0, NULL,
        "API key for the private stream and REST (usually ${BYBIT_API_KEY})"),
    OPT("api_secret", WSGW_OPT_STR, NULL, WSGW_OPT_SECRET, api_secret, 0, 0,
        NULL, "API secret (usually ${BYBIT_API_SECRET})"),
    OPT("ca_file", WSGW_OPT_STR, NULL, 0, ca_file, 0, 0, NULL,
        "PEM file of CA certificates to verify servers with, instead of the "
        "system store"),
    OPT("tls_verify", WSGW_OPT_BOOL, "true", 0, tls_verify, 0, 0, NULL,
        "verify server certificates (false is for tests and warns at start)"),
    OPT("category", WSGW_OPT_STR, "linear", 0, category, 0, 0, NULL,
        "category of subscriptions that name none: spot, linear, inverse or "
        "option"),
    OPT("orderbook_depth", WSGW_OPT_INT, "1", 0, orderbook_depth, 1, 1000, NULL,
        "order book depth of subscriptions that name none"),
    OPT("kline_interval", WSGW_OPT_STR, "1", 0, kline_interval, 0, 0, NULL,
        "kline interval of subscriptions that name none"),
    OPT("ping_interval", WSGW_OPT_DURATION, "20s", 0, ping_interval, 100,
        600000, NULL, "how often {\"op\":\"ping\"} is sent on each connection"),
    OPT("dead_after", WSGW_OPT_DURATION, "0", 0, dead_after, 0, 3600000, NULL,
        "a connection silent (no pong, no data) this long is replaced; 0: "
        "2 x ping_interval + 5s"),
    OPT("backoff_min", WSGW_OPT_DURATION, "1s", 0, backoff_min, 100,
        BYBIT_BACKOFF_CAP_MS, NULL, "first reconnect delay"),
    OPT("backoff_max", WSGW_OPT_DURATION, "30s", 0, backoff_max, 100,
        BYBIT_BACKOFF_CAP_MS, NULL, "longest reconnect delay (at most 30s)"),
    OPT("connect_timeout", WSGW_OPT_DURATION, "10s", 0, connect_timeout, 500,
        120000, NULL, "limit for TCP, TLS and WebSocket handshakes"),
    OPT("ack_timeout", WSGW_OPT_DURATION, "10s", 0, ack_timeout, 100, 120000,
        NULL, "wait for a subscribe or auth answer before asking again"),
    OPT("health_window", WSGW_OPT_DURATION, "60s", 0, health_window, 1000,
        86400000, NULL,
        "a needed connection down longer than this makes /health unhealthy"),
    OPT("max_frame", WSGW_OPT_SIZE, "4MiB", 0, max_frame, 1024,
        1024 * 1024 * 1024, NULL, "larger frames are refused and counted"),
    OPT("auth_expiry", WSGW_OPT_DURATION, "10s", 0, auth_expiry, 1000, 600000,
        NULL, "how far in the future the auth request's expires lies"),
    OPT("recv_window", WSGW_OPT_DURATION, "5s", 0, recv_window, 100, 60000,
        NULL, "REST X-BAPI-RECV-WINDOW"),
    OPT("rest_timeout", WSGW_OPT_DURATION, "10s", 0, rest_timeout, 500, 120000,
        NULL, "limit for the REST balance call"),
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
};

int bybit_have_credentials(const struct bybit_conf *c)
{
    return c->api_key && *c->api_key && c->api_secret && *c->api_secret;
}

int64_t bybit_dead_after_ms(const struct bybit_conf *c)
{
    return c->dead_after > 0 ? c->dead_after : 2 * c->ping_interval + 5000;
}

int bybit_endpoint_parse(const char *url, int ws, struct bybit_endpoint *ep,
                         struct wsgw_err *err)
{
    memset(ep, 0, sizeof *ep);
    const char *expect = ws ? "ws:// or wss://" : "http:// or https://";
    const char *p;
    if (!url || !*url)
        return wsgw_err_set(err, NULL, "empty URL (expected %s)", expect);
    if (strlen(url) >= sizeof ep->url)
        return wsgw_err_set(err, NULL, "URL too long");
    if (ws && strncmp(url, "wss://", 6) == 0) {
        ep->tls = 1;
        p = url + 6;
    } else if (ws && strncmp(url, "ws://", 5) == 0) {
        p = url + 5;
    } else if (!ws && strncmp(url, "https://", 8) == 0) {
        ep->tls = 1;
        p = url + 8;
    } else if (!ws && strncmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        return wsgw_err_set(err, NULL, "'%.200s': expected a %s URL", url,
                            expect);
    }
    ep->port = ep->tls ? 443 : 80;
    size_t hl = strcspn(p, ":/?#");
    if (hl == 0 || hl >= sizeof ep->host)
        return wsgw_err_set(err, NULL, "'%.200s': no host", url);
    memcpy(ep->host, p, hl);
    p += hl;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 ||
            (*end && *end != '/' && *end != '?'))
            return wsgw_err_set(err, NULL, "'%.200s': bad port", url);
        ep->port = (int)port;
        p = end;
    }
    if (strchr(p, '#'))
        return wsgw_err_set(err, NULL, "'%.200s': fragments are not allowed",
                            url);
    snprintf(ep->path, sizeof ep->path, "%s%s", *p == '/' ? "" : "/", p);
    snprintf(ep->url, sizeof ep->url, "%s", url);
    return WSGW_OK;
}

static void strip_slash(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
}

int bybit_urls_resolve(const struct bybit_conf *c, struct bybit_urls *u,
                       struct wsgw_err *err)
{
    static const struct {
        const char *pub, *priv, *rest;
    } env[] = {
        [BYBIT_ENV_MAINNET] = {"wss://stream.bybit.com/v5/public",
                               "wss://stream.bybit.com/v5/private",
                               "https://api.bybit.com"},
        [BYBIT_ENV_TESTNET] = {"wss://stream-testnet.bybit.com/v5/public",
                               "wss://stream-testnet.bybit.com/v5/private",
                               "https://api-testnet.bybit.com"},
        /* demo trading: only the private stream exists on the demo host */
        [BYBIT_ENV_DEMO] = {"wss://stream.bybit.com/v5/public",
                            "wss://stream-demo.bybit.com/v5/private",
                            "https://api-demo.bybit.com"},
        [BYBIT_ENV_CUSTOM] = {NULL, NULL, NULL},
    };
    int e = c->environment;
    memset(u, 0, sizeof *u);
    if (e < 0 || e > BYBIT_ENV_CUSTOM)
        return wsgw_err_set(err, NULL, "unknown environment");

    const char *pub =
        c->public_url && *c->public_url ? c->public_url : env[e].pub;
    const char *priv =
        c->private_url && *c->private_url ? c->private_url : env[e].priv;
    const char *rest = c->rest_url && *c->rest_url ? c->rest_url : env[e].rest;
    int creds = bybit_have_credentials(c);
    struct bybit_endpoint ep;
    struct wsgw_err perr = {0};

    if (!pub)
        return wsgw_err_set(err, NULL, "environment custom needs public_url");
    if (bybit_endpoint_parse(pub, 1, &ep, &perr) != WSGW_OK)
        return wsgw_err_set(err, NULL, "public_url: %s", perr.msg);
    snprintf(u->public_base, sizeof u->public_base, "%s", pub);
    strip_slash(u->public_base);

    if (creds) {
        if (!priv)
            return wsgw_err_set(err, NULL,
                                "environment custom with "
                                "credentials needs private_url");
        if (bybit_endpoint_parse(priv, 1, &ep, &perr) != WSGW_OK)
            return wsgw_err_set(err, NULL, "private_url: %s", perr.msg);
        snprintf(u->private_url, sizeof u->private_url, "%s", priv);
        if (!rest)
            return wsgw_err_set(err, NULL,
                                "environment custom with "
                                "credentials needs rest_url");
        if (bybit_endpoint_parse(rest, 0, &ep, &perr) != WSGW_OK)
            return wsgw_err_set(err, NULL, "rest_url: %s", perr.msg);
        snprintf(u->rest_base, sizeof u->rest_base, "%s", rest);
        strip_slash(u->rest_base);
    } else if ((c->api_key && *c->api_key) !=
               (c->api_secret && *c->api_secret)) {
        return wsgw_err_set(err, NULL,
                            "api_key and api_secret go together: one of "
                            "them is empty");
    }
    return WSGW_OK;
}
