/*
 * Topic grammar per stream kind.  A topic that does not parse for the
 * stream it was sent to is what Bybit answers with
 * "error:handler not found,topic:X".
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static const char *stream_names[ST__COUNT] = {
    "/v5/public/spot",   "/v5/public/linear", "/v5/public/inverse",
    "/v5/public/option", "/v5/private",
};

const char *stream_name(enum stream st)
{
    return st < ST__COUNT ? stream_names[st] : "?";
}

int stream_from_path(const char *path, enum stream *st)
{
    for (int i = 0; i < ST__COUNT; i++) {
        size_t n = strlen(stream_names[i]);
        /* tolerate a trailing slash, nothing else */
        if (strncmp(path, stream_names[i], n) == 0 &&
            (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0'))) {
            *st = (enum stream)i;
            return 0;
        }
    }
    return -1;
}

int family_is_private(enum family f)
{
    return f >= TF_ORDER;
}

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int parse_kline(const char *iv, struct topic_info *ti)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } ivs[] = {
        {"1", 60000},         {"3", 180000},     {"5", 300000},
        {"15", 900000},       {"30", 1800000},   {"60", 3600000},
        {"120", 7200000},     {"240", 14400000}, {"360", 21600000},
        {"720", 43200000},    {"D", 86400000},   {"W", 604800000},
        {"M", 2592000000ull},
    };
    for (size_t i = 0; i < sizeof(ivs) / sizeof(ivs[0]); i++) {
        if (strcmp(iv, ivs[i].name) == 0) {
            ti->kline_ms = ivs[i].ms;
            snprintf(ti->kline_iv, sizeof(ti->kline_iv), "%s", iv);
            return 0;
        }
    }
    return -1;
}

static int parse_depth(enum stream st, const char *d, struct topic_info *ti)
{
    static const char *const fut[] = {"1", "50", "200", "1000", NULL};
    static const char *const opt[] = {"25", "100", NULL};
    if (!one_of(d, st == ST_OPTION ? opt : fut))
        return -1;
    ti->depth = atoi(d);
    return 0;
}

static unsigned category_bit(const char *c, int allow_spot)
{
    if (strcmp(c, "spot") == 0)
        return allow_spot ? 1u << CAT_SPOT : 0;
    if (strcmp(c, "linear") == 0)
        return 1u << CAT_LINEAR;
    if (strcmp(c, "inverse") == 0)
        return 1u << CAT_INVERSE;
    if (strcmp(c, "option") == 0)
        return 1u << CAT_OPTION;
    return 0;
}

static int parse_private(const char *topic, struct topic_info *ti)
{
    static const struct {
        const char *name;
        enum family fam;
        int has_cat;
        int spot;
    } fams[] = {
        {"execution.fast", TF_EXECFAST, 1, 1},
        {"execution", TF_EXEC, 1, 1},
        {"order", TF_ORDER, 1, 1},
        {"position", TF_POSITION, 1, 0},
        {"wallet", TF_WALLET, 0, 0},
        {"greeks", TF_GREEKS, 0, 0},
        {"strategy", TF_STRATEGY, 0, 0},
    };
    static const char *const dcp[] = {"dcp.future", "dcp.spot", "dcp.option",
                                      NULL};
    if (one_of(topic, dcp)) {
        ti->fam = TF_DCP;
        return 0;
    }
    for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
        size_t n = strlen(fams[i].name);
        if (strncmp(topic, fams[i].name, n) != 0)
            continue;
        unsigned all = (fams[i].spot ? 1u << CAT_SPOT : 0) | 1u << CAT_LINEAR |
                       1u << CAT_INVERSE | 1u << CAT_OPTION;
        if (topic[n] == '\0') {
            ti->fam = fams[i].fam;
            ti->cats = all;
            return 0;
        }
        if (topic[n] == '.' && fams[i].has_cat) {
            unsigned bit = category_bit(topic + n + 1, fams[i].spot);
            if (!bit)
                return -1;
            ti->fam = fams[i].fam;
            ti->cats = bit;
            return 0;
        }
        /* "execution.fast" also starts with "execution": keep looking */
    }
    return -1;
}

static int parse_public(enum stream st, char *t, struct topic_info *ti)
{
    static const char *const pools[] = {"USDT", "USDC", "inverse", NULL};
    int futures = st == ST_LINEAR || st == ST_INVERSE;
    char *first = t, *rest = strchr(t, '.');
    if (!rest)
        return -1;
    *rest++ = '\0';
    const char *sym = rest;

    if (strcmp(first, "orderbook") == 0 || strcmp(first, "kline") == 0) {
        char *dot = strchr(rest, '.');
        if (!dot)
            return -1;
        *dot = '\0';
        sym = dot + 1;
        if (first[0] == 'o') {
            ti->fam = TF_ORDERBOOK;
            if (parse_depth(st, rest, ti))
                return -1;
        } else {
            ti->fam = TF_KLINE;
            if (st == ST_OPTION || parse_kline(rest, ti))
                return -1;
        }
    } else if (strcmp(first, "publicTrade") == 0) {
        ti->fam = TF_TRADE;
        /* options trade topics take the base coin, not a contract */
        if (st == ST_OPTION && strchr(sym, '-'))
            return -1;
    } else if (strcmp(first, "tickers") == 0) {
        ti->fam = TF_TICKER;
    } else if (futures && strcmp(first, "allLiquidation") == 0) {
        ti->fam = TF_ALLLIQ;
    } else if (futures && strcmp(first, "liquidation") == 0) {
        ti->fam = TF_LIQ;
    } else if (futures && strcmp(first, "insurance") == 0) {
        ti->fam = TF_INSURANCE;
    } else if (futures && strcmp(first, "adlAlert") == 0) {
        ti->fam = TF_ADL;
    } else if ((st == ST_SPOT || st == ST_LINEAR) &&
               strcmp(first, "priceLimit") == 0) {
        ti->fam = TF_PRICELIMIT;
    } else {
        return -1;
    }
    if (ti->fam == TF_INSURANCE || ti->fam == TF_ADL) {
        if (!one_of(sym, pools))
            return -1;
    } else if (!symbol_known(sym, st)) {
        return -1;
    }
    snprintf(ti->symbol, sizeof(ti->symbol), "%s", sym);
    return 0;
}

int topic_parse(enum stream st, const char *topic, struct topic_info *ti)
{
    memset(ti, 0, sizeof(*ti));
    if (strlen(topic) >= SIM_TOPIC_MAX)
        return -1;
    if (st == ST_PRIVATE)
        return parse_private(topic, ti);
    char tmp[SIM_TOPIC_MAX];
    snprintf(tmp, sizeof(tmp), "%s", topic);
    return parse_public(st, tmp, ti);
}

const char *family_name(enum family f)
{
    static const char *names[TF__COUNT] = {
        "none",           "publicTrade", "tickers",
        "orderbook",      "kline",       "allLiquidation",
        "liquidation",    "insurance",   "adlAlert",
        "priceLimit",     "order",       "execution",
        "execution.fast", "position",    "wallet",
        "greeks",         "dcp",         "strategy",
    };
    return f < TF__COUNT ? names[f] : "?";
}

const char *category_name(int cat)
{
    static const char *names[CAT__COUNT] = {"spot", "linear", "inverse",
                                            "option"};
    return cat >= 0 && cat < CAT__COUNT ? names[cat] : "?";
}
