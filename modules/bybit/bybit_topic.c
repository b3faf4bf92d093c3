/*
 * bybit_topic.c — requests into topics (see bybit_topic.h).
 */
#include "bybit_topic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/event.h>

static const char *const stream_names[BYBIT_STREAMS] = {
    "spot", "linear", "inverse", "option", "private"};

const char *bybit_stream_name(int stream)
{
    return stream >= 0 && stream < BYBIT_STREAMS ? stream_names[stream] : "";
}

int bybit_stream_from_name(const char *name)
{
    for (int i = 0; name && i < BYBIT_STREAMS; i++)
        if (strcmp(name, stream_names[i]) == 0)
            return i;
    return -1;
}

/* The channel_type values of API.md. */
enum channel {
    CH_TRADES,
    CH_TICKER,
    CH_FUNDING,
    CH_ORDERBOOK,
    CH_KLINE,
    CH_LIQUIDATION,
    CH_ORDER,
    CH_EXECUTION,
    CH_POSITION,
    CH_BALANCE,
    CH_OTHER, /* wsgw's addition: the rarer topics, by explicit topic only */
    CH_COUNT
};

static const struct {
    const char *name;
    int cls;
    int priv;
    const char *base; /* topic, or its first segment */
} channels[CH_COUNT] = {
    [CH_TRADES] = {"trades", WSGW_CLASS_TRADES, 0, "publicTrade"},
    [CH_TICKER] = {"ticker", WSGW_CLASS_TICKERS, 0, "tickers"},
    /* Bybit v5 has no funding topic: funding rates ride on tickers */
    [CH_FUNDING] = {"funding", WSGW_CLASS_TICKERS, 0, "tickers"},
    [CH_ORDERBOOK] = {"orderbook", WSGW_CLASS_ORDERBOOK, 0, "orderbook"},
    [CH_KLINE] = {"kline", WSGW_CLASS_KLINES, 0, "kline"},
    [CH_LIQUIDATION] = {"liquidation", WSGW_CLASS_LIQUIDATIONS, 0,
                        "allLiquidation"},
    [CH_ORDER] = {"order", WSGW_CLASS_ORDER_STATUS, 1, "order"},
    [CH_EXECUTION] = {"execution", WSGW_CLASS_EXECUTIONS, 1, "execution"},
    [CH_POSITION] = {"position", WSGW_CLASS_POSITIONS, 1, "position"},
    [CH_BALANCE] = {"balance", WSGW_CLASS_BALANCES, 1, "wallet"},
    [CH_OTHER] = {"other", WSGW_CLASS_OTHER, 0, ""},
};

static int channel_from_name(const char *name)
{
    for (int i = 0; name && i < CH_COUNT; i++)
        if (strcmp(name, channels[i].name) == 0)
            return i;
    return -1;
}

/* PROTOCOL.md §9. */
static const int64_t futures_depths[] = {1, 50, 200, 1000};
static const int64_t option_depths[] = {25, 100};

int bybit_depth_valid(int stream, int64_t depth)
{
    const int64_t *d = futures_depths;
    size_t n = sizeof futures_depths / sizeof *futures_depths;
    if (stream == BYBIT_OPTION) {
        d = option_depths;
        n = sizeof option_depths / sizeof *option_depths;
    } else if (stream < 0 || stream > BYBIT_INVERSE) {
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (d[i] == depth)
            return 1;
    return 0;
}

static const char *depth_list(int stream)
{
    return stream == BYBIT_OPTION ? "25, 100" : "1, 50, 200, 1000";
}

static const char *const intervals[] = {"1",  "3",   "5",   "15",  "30",
                                        "60", "120", "240", "360", "720",
                                        "D",  "W",   "M",   NULL};

int bybit_interval_valid(const char *iv)
{
    for (size_t i = 0; iv && intervals[i]; i++)
        if (strcmp(iv, intervals[i]) == 0)
            return 1;
    return 0;
}

static int is_upper_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

/* A run of [A-Z0-9] at *p of at least one character; advances *p. */
static int take_alnum(const char **p)
{
    const char *s = *p;
    while (is_upper_alnum(**p))
        (*p)++;
    return *p > s;
}

#define SYMBOL_MAX 40

/* Spot/linear/inverse: BTCUSDT, 1000PEPEUSDT, BTC-26DEC25, BTCUSDT-26DEC25. */
static int symbol_plain_ok(const char *s)
{
    if (strlen(s) < 2 || strlen(s) > SYMBOL_MAX)
        return 0;
    const char *p = s;
    for (;;) {
        if (!take_alnum(&p))
            return 0;
        if (*p == '\0')
            return 1;
        if (*p++ != '-')
            return 0;
    }
}

/* A base coin: BTC (option trades are published per base coin). */
static int symbol_coin_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 16)
        return 0;
    const char *p = s;
    return take_alnum(&p) && *p == '\0';
}

/* Options: BASE-DMMMYY-STRIKE-C|P, optionally -QUOTE (BTC-28JUN24-60000-P). */
static int symbol_option_ok(const char *s)
{
    if (strlen(s) > SYMBOL_MAX)
        return 0;
    const char *p = s;
    if (!take_alnum(&p) || *p++ != '-')
        return 0;
    /* expiry: 1-2 digits, 3 letters, 2 digits */
    int d = 0;
    while (is_digit(*p) && d < 3) {
        p++;
        d++;
    }
    if (d < 1 || d > 2)
        return 0;
    for (int i = 0; i < 3; i++)
        if (!is_upper(*p++))
            return 0;
    if (!is_digit(p[0]) || !is_digit(p[1]))
        return 0;
    p += 2;
    if (*p++ != '-' || !is_digit(*p))
        return 0;
    while (is_digit(*p))
        p++;
    if (*p++ != '-' || (*p != 'C' && *p != 'P'))
        return 0;
    p++;
    if (*p == '\0')
        return 1;
    if (*p++ != '-' || !take_alnum(&p))
        return 0;
    return *p == '\0';
}

static int has_lower(const char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            return 1;
    return 0;
}

static int symbol_given(const char *s)
{
    return s && *s && strcmp(s, "*") != 0;
}

static int check_symbol(int ch, int stream, const char *sym,
                        struct wsgw_err *err)
{
    int ok;
    const char *example = "BTCUSDT";
    if (stream == BYBIT_OPTION && ch == CH_TRADES) {
        ok = symbol_coin_ok(sym);
        example = "BTC (option trades are published per base coin)";
    } else if (stream == BYBIT_OPTION) {
        ok = symbol_option_ok(sym);
        example = "BTC-28JUN24-60000-P";
    } else {
        ok = symbol_plain_ok(sym);
    }
    if (ok)
        return WSGW_OK;
    return wsgw_err_set(err, "INVALID_SYMBOL",
                        "invalid symbol '%.64s' for category %s: expected "
                        "uppercase letters and digits%s, e.g. %s",
                        sym, bybit_stream_name(stream),
                        has_lower(sym) ? " (symbols are upper case)" : "",
                        example);
}

/* The rarer topics a subscription may name explicitly (class other). */
enum other_family {
    OF_NONE = 0,
    OF_INSURANCE,  /* insurance.{USDT|USDC|inverse}: linear, inverse      */
    OF_ADL,        /* adlAlert.{USDT|USDC|inverse}: linear, inverse       */
    OF_PRICELIMIT, /* priceLimit.{symbol}: spot, linear                  */
    OF_GREEKS,     /* greeks: private                                    */
    OF_STRATEGY,   /* strategy: private                                  */
    OF_DCP         /* dcp.{future|spot|option}: private                  */
};

/* The parts of a request once the topic (if any) has been taken apart. */
struct parts {
    int ch;
    const char *symbol;    /* public: required                          */
    const char *category;  /* NULL: default                              */
    int64_t depth;         /* 0: default                                 */
    const char *depth_tok; /* explicit topic: "50", "rpi", "full"       */
    const char *interval;  /* NULL: default                              */
    const char *topic;     /* explicit topic, copied as given            */
    int other;             /* CH_OTHER: enum other_family                */
    const char *param;     /* CH_OTHER: the text after the family's dot  */
};

static int copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int build_private(const struct bybit_topic_conf *c,
                         const struct parts *pt, struct wsgw_topic *out,
                         struct wsgw_err *err)
{
    const char *name = channels[pt->ch].name;
    if (!c->have_credentials)
        return wsgw_err_set(err, "INVALID_PARAMETER",
                            "channel '%s' is private: configure api_key "
                            "and api_secret on the bybit source",
                            name);
    const char *cat = pt->category && *pt->category ? pt->category : NULL;
    if (cat) {
        int st = bybit_stream_from_name(cat);
        if (st < 0 || st == BYBIT_PRIVATE)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "invalid category '%.32s': expected spot, "
                                "linear, inverse or option",
                                cat);
        if (pt->ch == CH_POSITION && st == BYBIT_SPOT)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "channel 'position' has no spot category");
    }
    if (pt->topic) {
        if (copy(out->topic, sizeof out->topic, pt->topic) < 0)
            return wsgw_err_set(err, "INVALID_TOPIC", "topic too long");
    } else if (cat && pt->ch != CH_BALANCE) {
        snprintf(out->topic, sizeof out->topic, "%s.%s", channels[pt->ch].base,
                 cat);
    } else {
        snprintf(out->topic, sizeof out->topic, "%s", channels[pt->ch].base);
    }
    /* the record shows the category only where the topic has one */
    if (cat && pt->ch != CH_BALANCE)
        copy(out->category, sizeof out->category, cat);
    copy(out->stream, sizeof out->stream, "private");
    return WSGW_OK;
}

static int build_public(const struct bybit_topic_conf *c,
                        const struct parts *pt, struct wsgw_topic *out,
                        struct wsgw_err *err)
{
    const char *cat =
        pt->category && *pt->category ? pt->category : c->default_category;
    int st = bybit_stream_from_name(cat);
    if (st < 0 || st == BYBIT_PRIVATE)
        return wsgw_err_set(err, "INVALID_PARAMETER",
                            "invalid category '%.32s': expected spot, linear, "
                            "inverse or option",
                            cat);
    if (!symbol_given(pt->symbol))
        return wsgw_err_set(err, "MISSING_SYMBOL",
                            "channel '%s' needs a symbol",
                            channels[pt->ch].name);
    if (check_symbol(pt->ch, st, pt->symbol, err) != WSGW_OK)
        return WSGW_ERR;

    const char *sym = pt->symbol;
    switch (pt->ch) {
    case CH_TRADES:
    case CH_TICKER:
    case CH_FUNDING:
        snprintf(out->topic, sizeof out->topic, "%s.%s", channels[pt->ch].base,
                 sym);
        break;
    case CH_LIQUIDATION:
        if (st != BYBIT_LINEAR && st != BYBIT_INVERSE)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "channel 'liquidation' exists for linear "
                                "and inverse only, not %s",
                                cat);
        snprintf(out->topic, sizeof out->topic, "allLiquidation.%s", sym);
        break;
    case CH_ORDERBOOK:
        if (pt->depth_tok && (strcmp(pt->depth_tok, "rpi") == 0 ||
                              strcmp(pt->depth_tok, "full") == 0)) {
            if (st == BYBIT_OPTION)
                return wsgw_err_set(err, "INVALID_PARAMETER",
                                    "orderbook.%s does not exist for option",
                                    pt->depth_tok);
            snprintf(out->topic, sizeof out->topic, "orderbook.%s.%s",
                     pt->depth_tok, sym);
            break;
        }
        int64_t depth = pt->depth;
        if (pt->depth_tok) {
            char *end;
            depth = strtoll(pt->depth_tok, &end, 10);
            if (*end || !is_digit(*pt->depth_tok))
                depth = -1;
        } else if (depth == 0) {
            /* the configured default, or the category's finest depth */
            depth = bybit_depth_valid(st, c->default_depth)
                        ? c->default_depth
                        : (st == BYBIT_OPTION ? option_depths[0]
                                              : futures_depths[0]);
        }
        if (!bybit_depth_valid(st, depth))
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "invalid orderbook depth %lld for %s: "
                                "expected one of %s",
                                (long long)depth, cat, depth_list(st));
        snprintf(out->topic, sizeof out->topic, "orderbook.%lld.%s",
                 (long long)depth, sym);
        break;
    case CH_KLINE: {
        if (st == BYBIT_OPTION)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "channel 'kline' does not exist for option");
        const char *iv =
            pt->interval && *pt->interval ? pt->interval : c->default_interval;
        if (!bybit_interval_valid(iv))
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "invalid kline interval '%.16s': expected 1, "
                                "3, 5, 15, 30, 60, 120, 240, 360, 720, D, W "
                                "or M",
                                iv);
        snprintf(out->topic, sizeof out->topic, "kline.%s.%s", iv, sym);
        break;
    }
    default:
        return wsgw_err_set(err, "INVALID_CHANNEL_TYPE",
                            "not a public channel");
    }
    if (pt->topic && strcmp(pt->topic, out->topic) != 0)
        return wsgw_err_set(err, "INVALID_TOPIC",
                            "topic '%.100s' is not valid (expected a form "
                            "like '%.100s')",
                            pt->topic, out->topic);
    copy(out->symbol, sizeof out->symbol, sym);
    copy(out->category, sizeof out->category, cat);
    copy(out->stream, sizeof out->stream, cat);
    return WSGW_OK;
}

static int build_other(const struct bybit_topic_conf *c, const struct parts *pt,
                       const char *req_symbol, struct wsgw_topic *out,
                       struct wsgw_err *err)
{
    if (!pt->topic)
        return wsgw_err_set(err, "INVALID_TOPIC",
                            "channel 'other' needs an explicit topic: "
                            "insurance.USDT, adlAlert.USDT, "
                            "priceLimit.BTCUSDT, greeks, strategy or "
                            "dcp.future");
    if (copy(out->topic, sizeof out->topic, pt->topic) < 0)
        return wsgw_err_set(err, "INVALID_TOPIC", "topic too long");
    if (pt->other == OF_GREEKS || pt->other == OF_STRATEGY ||
        pt->other == OF_DCP) {
        if (symbol_given(req_symbol))
            return wsgw_err_set(err, "UNEXPECTED_SYMBOL",
                                "topic '%.100s' is account-wide: symbol "
                                "must be absent, empty or \"*\"",
                                pt->topic);
        if (!c->have_credentials)
            return wsgw_err_set(err, "INVALID_PARAMETER",
                                "topic '%.100s' is private: configure "
                                "api_key and api_secret on the bybit source",
                                pt->topic);
        copy(out->stream, sizeof out->stream, "private");
        return WSGW_OK;
    }
    const char *cat =
        pt->category && *pt->category ? pt->category : c->default_category;
    int st = bybit_stream_from_name(cat);
    int ok = pt->other == OF_PRICELIMIT
                 ? st == BYBIT_SPOT || st == BYBIT_LINEAR
                 : st == BYBIT_LINEAR || st == BYBIT_INVERSE;
    if (!ok)
        return wsgw_err_set(err, "INVALID_PARAMETER",
                            "topic '%.100s' does not exist for category "
                            "'%.32s'",
                            pt->topic, cat);
    if (pt->other == OF_PRICELIMIT) {
        if (check_symbol(CH_TICKER, st, pt->param, err) != WSGW_OK)
            return WSGW_ERR;
        if (symbol_given(req_symbol) && strcmp(req_symbol, pt->param) != 0)
            return wsgw_err_set(err, "INVALID_TOPIC",
                                "topic '%.100s' does not agree with symbol "
                                "'%.64s'",
                                pt->topic, req_symbol);
        copy(out->symbol, sizeof out->symbol, pt->param);
    } else if (strcmp(pt->param, "USDT") != 0 &&
               strcmp(pt->param, "USDC") != 0 &&
               strcmp(pt->param, "inverse") != 0) {
        return wsgw_err_set(err, "INVALID_TOPIC",
                            "'%.100s': the pool is USDT, USDC or inverse",
                            pt->topic);
    }
    copy(out->category, sizeof out->category, cat);
    copy(out->stream, sizeof out->stream, cat);
    return WSGW_OK;
}

/* Take an explicit topic apart into *pt; WSGW_OK or INVALID_TOPIC. */
static int parse_topic(const char *topic, struct parts *pt, char *buf,
                       size_t cap, struct wsgw_err *err)
{
    if (copy(buf, cap, topic) < 0)
        return wsgw_err_set(err, "INVALID_TOPIC", "topic too long");
    char *dot = strchr(buf, '.');
    char *rest = NULL;
    if (dot) {
        *dot = '\0';
        rest = dot + 1;
    }
    const char *head = buf;
    pt->topic = topic;

    if (strcmp(head, "publicTrade") == 0 || strcmp(head, "tickers") == 0 ||
        strcmp(head, "allLiquidation") == 0) {
        if (!rest || !*rest)
            goto bad;
        pt->ch = head[0] == 'p'   ? CH_TRADES
                 : head[0] == 't' ? CH_TICKER
                                  : CH_LIQUIDATION;
        pt->symbol = rest;
        return WSGW_OK;
    }
    if (strcmp(head, "orderbook") == 0 || strcmp(head, "kline") == 0) {
        char *sym = rest ? strchr(rest, '.') : NULL;
        if (!sym || sym == rest || !sym[1])
            goto bad;
        *sym++ = '\0';
        pt->symbol = sym;
        if (head[0] == 'o') {
            pt->ch = CH_ORDERBOOK;
            pt->depth_tok = rest;
        } else {
            pt->ch = CH_KLINE;
            pt->interval = rest;
        }
        return WSGW_OK;
    }
    static const struct {
        const char *name;
        int fam;
        int param; /* 1: needs ".X", 0: none, 2: dcp's ".X" */
    } others[] = {{"insurance", OF_INSURANCE, 1},   {"adlAlert", OF_ADL, 1},
                  {"priceLimit", OF_PRICELIMIT, 1}, {"greeks", OF_GREEKS, 0},
                  {"strategy", OF_STRATEGY, 0},     {"dcp", OF_DCP, 2}};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        if (strcmp(head, others[i].name) != 0)
            continue;
        if (others[i].param == 0 ? rest != NULL : !rest || !*rest)
            goto bad;
        if (others[i].param == 2 && strcmp(rest, "future") != 0 &&
            strcmp(rest, "spot") != 0 && strcmp(rest, "option") != 0)
            goto bad;
        pt->ch = CH_OTHER;
        pt->other = others[i].fam;
        pt->param = rest;
        return WSGW_OK;
    }
    int ch = strcmp(head, "order") == 0       ? CH_ORDER
             : strcmp(head, "execution") == 0 ? CH_EXECUTION
             : strcmp(head, "position") == 0  ? CH_POSITION
             : strcmp(head, "wallet") == 0    ? CH_BALANCE
                                              : -1;
    if (ch < 0)
        goto bad;
    pt->ch = ch;
    if (!rest) {
        /* the all-in-one topic carries every category */
        if (pt->category && *pt->category && ch != CH_BALANCE)
            return wsgw_err_set(err, "INVALID_TOPIC",
                                "topic '%.100s' does not agree with category "
                                "'%.32s' (use '%s.%.32s')",
                                topic, pt->category, head, pt->category);
        return WSGW_OK;
    }
    if (ch == CH_BALANCE)
        goto bad;
    /* execution.fast and execution.fast.{category} */
    if (ch == CH_EXECUTION && strncmp(rest, "fast", 4) == 0 &&
        (rest[4] == '\0' || rest[4] == '.')) {
        rest += 4;
        if (!*rest)
            return WSGW_OK;
        rest++;
    }
    int st = bybit_stream_from_name(rest);
    if (st < 0 || st == BYBIT_PRIVATE || (ch == CH_POSITION && st == 0))
        goto bad;
    if (pt->category && *pt->category && strcmp(pt->category, rest) != 0)
        return wsgw_err_set(err, "INVALID_TOPIC",
                            "topic '%.100s' does not agree with category "
                            "'%.32s'",
                            topic, pt->category);
    pt->category = rest;
    return WSGW_OK;
bad:
    return wsgw_err_set(err, "INVALID_TOPIC",
                        "'%.100s' is not a Bybit topic wsgw can subscribe",
                        topic);
}

int bybit_topic_build(const struct bybit_topic_conf *c,
                      const struct wsgw_sub_request *req,
                      struct wsgw_topic *out, struct wsgw_err *err)
{
    char buf[128];
    struct parts pt = {0};
    int req_ch = -1;
    memset(out, 0, sizeof *out);

    if (req->channel_type && *req->channel_type) {
        req_ch = channel_from_name(req->channel_type);
        if (req_ch < 0)
            return wsgw_err_set(err, "INVALID_CHANNEL_TYPE",
                                "unknown channel_type '%.32s': expected "
                                "trades, ticker, funding, orderbook, kline, "
                                "liquidation, order, execution, position, "
                                "balance (or other, with a topic)",
                                req->channel_type);
    } else if (!req->topic || !*req->topic) {
        return wsgw_err_set(err, "INVALID_CHANNEL_TYPE",
                            "channel_type is required");
    }
    pt.category = req->category;
    pt.depth = req->depth;
    pt.interval = req->interval;

    if (req->topic && *req->topic) {
        if (parse_topic(req->topic, &pt, buf, sizeof buf, err) != WSGW_OK)
            return WSGW_ERR;
        int agrees = req_ch < 0 || req_ch == pt.ch ||
                     (req_ch == CH_FUNDING && pt.ch == CH_TICKER);
        if (!agrees)
            return wsgw_err_set(err, "INVALID_TOPIC",
                                "topic '%.100s' does not belong to "
                                "channel_type '%s'",
                                req->topic, channels[req_ch].name);
        if (req_ch >= 0)
            pt.ch = req_ch;
        if (pt.ch != CH_OTHER && !channels[pt.ch].priv &&
            symbol_given(req->symbol) && strcmp(req->symbol, pt.symbol) != 0)
            return wsgw_err_set(err, "INVALID_TOPIC",
                                "topic '%.100s' does not agree with symbol "
                                "'%.64s'",
                                req->topic, req->symbol);
    } else {
        pt.ch = req_ch;
        pt.symbol = req->symbol;
    }

    int rc;
    if (pt.ch == CH_OTHER) {
        rc = build_other(c, &pt, req->symbol, out, err);
    } else if (channels[pt.ch].priv) {
        if (symbol_given(req->symbol))
            return wsgw_err_set(err, "UNEXPECTED_SYMBOL",
                                "channel '%s' is account-wide: symbol must "
                                "be absent, empty or \"*\"",
                                channels[pt.ch].name);
        rc = build_private(c, &pt, out, err);
    } else {
        rc = build_public(c, &pt, out, err);
    }
    if (rc != WSGW_OK)
        return rc;
    copy(out->channel_type, sizeof out->channel_type, channels[pt.ch].name);
    out->cls = channels[pt.ch].cls;
    return WSGW_OK;
}
