/*
 * pg_table.c — the column tables of account_balances,
 * account_margin_balances and positions (see sql/001_init.sql), and the
 * batch INSERT built from them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_table.h"

#define COL(n, t, s, k)                                                        \
    {                                                                          \
        n, t, PG_SRC_##s, k, NULL                                              \
    }
#define COL_ALT(n, t, s, k, a)                                                 \
    {                                                                          \
        n, t, PG_SRC_##s, k, a                                                 \
    }
#define ENVELOPE                                                               \
    COL("event_timestamp", "timestamptz", EVENT_TS, NULL),                     \
        COL("received_at", "timestamptz", RECEIVED, NULL),                     \
        COL("trace_id", "text", TRACE_ID, NULL)

/* One row per coin[] item of a wallet account item. available_balance is
 * availableToWithdraw as sent (never computed); frozen is locked. */
static const struct pg_col balances_cols[] = {
    COL("event_id", "uuid", EVENT_ID, NULL),
    COL("account_type", "text", PARENT, "accountType"),
    COL("coin", "text", TEXT, "coin"),
    COL("wallet_balance", "numeric", DEC, "walletBalance"),
    COL("available_balance", "numeric", DEC, "availableToWithdraw"),
    COL("frozen", "numeric", DEC, "locked"),
    COL("equity", "numeric", DEC, "equity"),
    COL("usd_value", "numeric", DEC, "usdValue"),
    COL("margin_collateral", "boolean", BOOL, "marginCollateral"),
    COL("total_order_im", "numeric", DEC, "totalOrderIM"),
    COL("total_position_im", "numeric", DEC, "totalPositionIM"),
    COL("total_position_mm", "numeric", DEC, "totalPositionMM"),
    COL("unrealised_pnl", "numeric", DEC, "unrealisedPnl"),
    COL("cum_realised_pnl", "numeric", DEC, "cumRealisedPnl"),
    COL("borrow_amount", "numeric", DEC, "borrowAmount"),
    COL("accrued_interest", "numeric", DEC, "accruedInterest"),
    ENVELOPE,
};

/* One row per wallet account item. Bybit sends no account-level
 * totalOrderIM: the column stays NULL unless it ever does. */
static const struct pg_col margin_cols[] = {
    COL("event_id", "uuid", EVENT_ID, NULL),
    COL("account_type", "text", TEXT, "accountType"),
    COL("total_equity", "numeric", DEC, "totalEquity"),
    COL("total_wallet_balance", "numeric", DEC, "totalWalletBalance"),
    COL("total_margin_balance", "numeric", DEC, "totalMarginBalance"),
    COL("total_available_balance", "numeric", DEC, "totalAvailableBalance"),
    COL("total_initial_margin", "numeric", DEC, "totalInitialMargin"),
    COL("total_maintenance_margin", "numeric", DEC, "totalMaintenanceMargin"),
    COL("total_order_im", "numeric", DEC, "totalOrderIM"),
    COL("base_currency", "text", CONST, "USD"),
    COL("account_im_rate", "numeric", DEC, "accountIMRate"),
    COL("account_mm_rate", "numeric", DEC, "accountMMRate"),
    COL("total_perp_upl", "numeric", DEC, "totalPerpUPL"),
    COL("account_ltv", "numeric", DEC, "accountLTV"),
    ENVELOPE,
};

/* One row per position event. Bybit renamed entryPrice to avgPrice;
 * both columns are filled from whichever was sent. */
static const struct pg_col positions_cols[] = {
    COL("event_id", "uuid", EVENT_ID, NULL),
    COL("category", "text", TEXT, "category"),
    COL("symbol", "text", TEXT, "symbol"),
    COL("side", "text", TEXT, "side"),
    COL("size", "numeric", DEC, "size"),
    COL("position_idx", "integer", INT, "positionIdx"),
    COL_ALT("avg_price", "numeric", DEC, "avgPrice", "entryPrice"),
    COL_ALT("entry_price", "numeric", DEC, "entryPrice", "avgPrice"),
    COL("position_value", "numeric", DEC, "positionValue"),
    COL("mark_price", "numeric", DEC, "markPrice"),
    COL("unrealised_pnl", "numeric", DEC, "unrealisedPnl"),
    COL("cur_realised_pnl", "numeric", DEC, "curRealisedPnl"),
    COL("cum_realised_pnl", "numeric", DEC, "cumRealisedPnl"),
    COL("leverage", "numeric", DEC, "leverage"),
    COL("liq_price", "numeric", DEC, "liqPrice"),
    COL("bust_price", "numeric", DEC, "bustPrice"),
    COL("take_profit", "numeric", DEC, "takeProfit"),
    COL("stop_loss", "numeric", DEC, "stopLoss"),
    COL("position_im", "numeric", DEC, "positionIM"),
    COL("position_mm", "numeric", DEC, "positionMM"),
    COL("position_balance", "numeric", DEC, "positionBalance"),
    COL("trade_mode", "integer", INT, "tradeMode"),
    COL("position_status", "text", TEXT, "positionStatus"),
    COL("seq", "bigint", INT, "seq"),
    COL("created_time", "timestamptz", MS_TIME, "createdTime"),
    COL("updated_time", "timestamptz", MS_TIME, "updatedTime"),
    ENVELOPE,
    COL("raw", "jsonb", RAW, NULL),
};

#define DEF(n, c)                                                              \
    {                                                                          \
        n, c, sizeof(c) / sizeof(c[0])                                         \
    }
static const struct pg_table_def tables[PG_T_COUNT] = {
    [PG_T_BALANCES] = DEF("account_balances", balances_cols),
    [PG_T_MARGIN] = DEF("account_margin_balances", margin_cols),
    [PG_T_POSITIONS] = DEF("positions", positions_cols),
};

_Static_assert(sizeof(positions_cols) / sizeof(positions_cols[0]) <=
                   PG_MAX_COLS,
               "PG_MAX_COLS too small");

const struct pg_table_def *pg_table_def(enum pg_table t)
{
    return (unsigned)t < PG_T_COUNT ? &tables[t] : NULL;
}

int pg_table_col(enum pg_table t, const char *name)
{
    const struct pg_table_def *d = pg_table_def(t);
    for (size_t i = 0; d && i < d->ncols; i++)
        if (strcmp(d->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

char *pg_table_insert_sql(enum pg_table t)
{
    const struct pg_table_def *d = pg_table_def(t);
    if (!d)
        return NULL;
    size_t cap = 128 + strlen(d->name);
    for (size_t i = 0; i < d->ncols; i++)
        cap += 2 * strlen(d->cols[i].name) + strlen(d->cols[i].type) + 16;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = (size_t)snprintf(s, cap, "INSERT INTO %s (", d->name);
    for (size_t i = 0; i < d->ncols; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s%s", i ? ", " : "",
                              d->cols[i].name);
    o += (size_t)snprintf(s + o, cap - o, ") SELECT * FROM unnest(");
    for (size_t i = 0; i < d->ncols; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s$%zu::%s[]", i ? ", " : "",
                              i + 1, d->cols[i].type);
    snprintf(s + o, cap - o, ")");
    return s;
}
