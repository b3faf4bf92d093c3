/*
 * bybit_conf.h — the source's options and what create() derives from
 * them: the endpoints of each stream for the chosen environment.
 */
#ifndef BYBIT_CONF_H
#define BYBIT_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/conf.h>
#include <wsgw/core.h>

enum bybit_env {
    BYBIT_ENV_MAINNET,
    BYBIT_ENV_TESTNET,
    BYBIT_ENV_DEMO,
    BYBIT_ENV_CUSTOM
};

/* The option struct (layout of bybit_options[]); strings owned by the core. */
struct bybit_conf {
    int environment; /* enum bybit_env */
    char *public_url;
    char *private_url;
    char *rest_url;
    char *api_key;
    char *api_secret;
    char *ca_file;
    int tls_verify;
    char *category;
    int64_t orderbook_depth;
    char *kline_interval;
    int64_t ping_interval; /* ms */
    int64_t dead_after;    /* ms; 0: 2 x ping_interval + 5 s */
    int64_t backoff_min;   /* ms */
    int64_t backoff_max;   /* ms, at most 30 s */
    int64_t connect_timeout;
    int64_t ack_timeout;
    int64_t health_window;
    int64_t max_frame; /* bytes */
    int64_t auth_expiry;
    int64_t recv_window;
    int64_t rest_timeout;
};

extern const struct wsgw_option bybit_options[];
extern const char *const bybit_env_names[];

/* A parsed ws://, wss://, http:// or https:// URL. */
struct bybit_endpoint {
    int tls;
    int port;
    char host[256];
    char path[512]; /* starts with '/' */
    char url[800];  /* the whole URL, for status and logs */
};

/*
 * Parse url. `ws` selects the schemes accepted: ws/wss (1) or http/https
 * (0). WSGW_OK, or WSGW_ERR with err naming what is wrong.
 */
int bybit_endpoint_parse(const char *url, int ws, struct bybit_endpoint *ep,
                         struct wsgw_err *err);

/* Where each stream of the source connects. */
struct bybit_urls {
    char public_base[512]; /* ".../v5/public": the category is appended */
    char private_url[512]; /* "" when there are no credentials          */
    char rest_base[512];   /* "" when there are no credentials          */
};

/*
 * The URLs for the configured environment, explicit URLs taking
 * precedence (PROTOCOL.md §1; demo = private and REST on the demo hosts,
 * public data from mainnet). WSGW_OK, or WSGW_ERR when `custom` lacks a
 * URL it needs or a URL is malformed.
 */
int bybit_urls_resolve(const struct bybit_conf *c, struct bybit_urls *u,
                       struct wsgw_err *err);

/* The liveness deadline actually used (dead_after or its default). */
int64_t bybit_dead_after_ms(const struct bybit_conf *c);

/* 1 when both api_key and api_secret are set. */
int bybit_have_credentials(const struct bybit_conf *c);

#endif
