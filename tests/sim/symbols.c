/*
 * Symbol universe: which symbols exist (decides "handler not found") and a
 * plausible price scale per symbol so generated prices look like the market.
 */
#include "sim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *default_symbols =
    /* spot and linear */
    "BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,DOGEUSDT,ADAUSDT,BNBUSDT,LTCUSDT,"
    "MNTUSDT,ROSEUSDT,ETHBTC,BTCUSDC,ETHUSDC,"
    /* USDC perpetuals and dated futures */
    "BTCPERP,ETHPERP,SOLPERP,BTC-26DEC25,ETH-26DEC25,"
    /* inverse */
    "BTCUSD,ETHUSD,XRPUSD,SOLUSD,ADAUSD,"
    /* options */
    "BTC-27DEC25-100000-C,BTC-27DEC25-100000-P,BTC-28JUN24-60000-P,"
    "ETH-27DEC25-4000-C,ETH-27DEC25-4000-P,SOL-27DEC25-200-C";

static char **g_syms;
static int g_nsyms;
static int g_any;

struct scale {
    const char *prefix;
    double price;
    int pdec;
    int qdec;
};

/* Longest prefixes first: ETHBTC must win over ETH. */
static const struct scale scales[] = {
    {"ETHBTC", 0.05, 6, 4}, {"BTC", 65000.0, 2, 3}, {"ETH", 3200.0, 2, 3},
    {"SOL", 150.0, 3, 2},   {"XRP", 0.5, 4, 1},     {"DOGE", 0.15, 5, 0},
    {"ADA", 0.45, 4, 1},    {"BNB", 580.0, 2, 3},   {"LTC", 80.0, 2, 2},
    {"MNT", 0.9, 4, 1},     {"ROSE", 0.07, 5, 0},
};

int symbols_init(const char *list)
{
    if (list && strcmp(list, "any") == 0) {
        g_any = 1;
        list = default_symbols;
    }
    if (!list || !*list)
        list = default_symbols;
    char *copy = strdup(list);
    if (!copy)
        return -1;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char **n = realloc(g_syms, sizeof(*g_syms) * (size_t)(g_nsyms + 1));
        if (!n) {
            free(copy);
            return -1;
        }
        g_syms = n;
        g_syms[g_nsyms++] = strdup(t);
    }
    free(copy);
    return 0;
}

void symbols_free(void)
{
    for (int i = 0; i < g_nsyms; i++)
        free(g_syms[i]);
    free(g_syms);
    g_syms = NULL;
    g_nsyms = 0;
}

/* BASE-DDMMMYY-STRIKE-C|P, optionally with a -USDT/-USDC settle suffix */
static int is_option_symbol(const char *s)
{
    const char *d1 = strchr(s, '-');
    if (!d1)
        return 0;
    const char *d2 = strchr(d1 + 1, '-');
    if (!d2)
        return 0;
    const char *d3 = strchr(d2 + 1, '-');
    if (!d3 || (d3[1] != 'C' && d3[1] != 'P'))
        return 0;
    return d3[2] == '\0' || d3[2] == '-';
}

static int well_formed(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) &&
            *s != '-')
            return 0;
    return 1;
}

static int listed(const char *name)
{
    for (int i = 0; i < g_nsyms; i++)
        if (strcmp(g_syms[i], name) == 0)
            return 1;
    return 0;
}

/* Option publicTrade topics use the base coin: publicTrade.BTC */
static int option_base_listed(const char *base)
{
    size_t n = strlen(base);
    for (int i = 0; i < g_nsyms; i++)
        if (is_option_symbol(g_syms[i]) && strncmp(g_syms[i], base, n) == 0 &&
            g_syms[i][n] == '-')
            return 1;
    return 0;
}

int symbol_known(const char *name, enum stream st)
{
    if (!well_formed(name))
        return 0;
    if (st == ST_OPTION) {
        if (!strchr(name, '-')) /* base coin of option trades */
            return g_any || option_base_listed(name);
        return is_option_symbol(name) && (g_any || listed(name));
    }
    if (is_option_symbol(name))
        return 0;
    return g_any || listed(name);
}

void symbol_info(const char *name, struct symbol *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", name);
    double price = 10.0;
    int pdec = 3, qdec = 2;
    if (is_option_symbol(name) || strchr(name, '-') == NULL) {
        for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
            if (strncmp(name, scales[i].prefix, strlen(scales[i].prefix)) ==
                0) {
                price = scales[i].price;
                pdec = scales[i].pdec;
                qdec = scales[i].qdec;
                break;
            }
        }
    } else {
        /* dated futures BTC-26DEC25 trade near the perpetual */
        price = strncmp(name, "ETH", 3) == 0 ? 3250.0 : 66000.0;
        pdec = 1;
        qdec = 3;
    }
    if (is_option_symbol(name)) {
        price = price * 0.03; /* option premium, a few % of spot */
        pdec = 1;
        qdec = 2;
    }
    double scale = 1.0;
    for (int i = 0; i < pdec; i++)
        scale *= 10.0;
    out->mid = (int64_t)(price * scale + 0.5);
    out->pdec = pdec;
    out->qdec = qdec;
}

const char *symbol_for_category(enum category cat, unsigned idx)
{
    static const char *spot[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    static const char *linear[] = {"BTCUSDT", "ETHUSDT", "XRPUSDT"};
    static const char *inverse[] = {"BTCUSD", "ETHUSD"};
    static const char *option[] = {"BTC-27DEC25-100000-C",
                                   "ETH-27DEC25-4000-P"};
    switch (cat) {
    case CAT_SPOT:
        return spot[idx % 3];
    case CAT_LINEAR:
        return linear[idx % 3];
    case CAT_INVERSE:
        return inverse[idx % 2];
    default:
        return option[idx % 2];
    }
}
