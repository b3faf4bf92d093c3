/*
 * test_pg_map.c — Bybit wallet and position payloads to rows (pg_map.c),
 * with the recorded samples of tests/data/bybit, and the batch statement
 * text they are written with (pg_table.c, pg_row.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "pg_map.h"

#define EVENT_ID "0b8e5f0e-6a3c-4f5e-9d7a-2f1c3b4a5d6e"
#define TRACE_ID "0123456789abcdef0123456789abcdef"

/* Line `n` (1-based) of a sample file, malloc'd. */
static char *sample_line(const char *file, int n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/bybit/%s", TEST_DATA_DIR, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = -1;
    for (int i = 0; i < n; i++)
        len = getline(&line, &cap, f);
    fclose(f);
    assert_true(len > 0);
    assert_non_null(line);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

static struct pg_evmeta meta(int64_t event_ms)
{
    return (struct pg_evmeta){
        .event_id = EVENT_ID,
        .trace_id = TRACE_ID,
        .event_ms = event_ms,
        .received_ms = event_ms + 5,
    };
}

/* Value of column `name` of row r ("<NULL>" for NULL). */
static const char *col(const struct pg_row *r, const char *name)
{
    int i = pg_table_col(r->table, name);
    assert_true(i >= 0);
    return r->v[i] ? r->v[i] : "<NULL>";
}

static const char *iso(int64_t ms, char *buf)
{
    wsgw_time_format(ms, buf);
    return buf;
}

static void map_wallet_line(int n, struct pg_rowvec *rv, int *warned)
{
    char *line = sample_line("private.jsonl", n);
    struct wsgw_err err = {0};
    json_t *msg = json_loads(line, 0, NULL);
    assert_non_null(msg);
    struct pg_evmeta m =
        meta(json_integer_value(json_object_get(msg, "creationTime")));
    assert_int_equal(pg_map_wallet(line, strlen(line), &m, rv, warned, &err),
                     WSGW_OK);
    json_decref(msg);
    free(line);
}

static void test_wallet_one_coin(void **state)
{
    struct pg_rowvec rv = {0};
    int warned = 0;
    char t[32];
    map_wallet_line(10, &rv, &warned);
    assert_int_equal(rv.n, 2);
    assert_int_equal(warned, 0);

    const struct pg_row *a = rv.v[0];
    assert_int_equal(a->table, PG_T_MARGIN);
    assert_string_equal(col(a, "account_type"), "UNIFIED");
    assert_string_equal(col(a, "total_equity"), "10262.91335023");
    assert_string_equal(col(a, "total_wallet_balance"), "9684.46297164");
    assert_string_equal(col(a, "total_margin_balance"), "9684.46297164");
    assert_string_equal(col(a, "total_available_balance"), "9556.6056555");
    assert_string_equal(col(a, "total_initial_margin"), "0");
    assert_string_equal(col(a, "total_maintenance_margin"), "0");
    assert_string_equal(col(a, "total_order_im"), "<NULL>");
    assert_string_equal(col(a, "base_currency"), "USD");
    assert_string_equal(col(a, "account_im_rate"), "0");
    assert_string_equal(col(a, "account_ltv"), "0");
    assert_string_equal(col(a, "event_id"), EVENT_ID);
    assert_string_equal(col(a, "trace_id"), TRACE_ID);
    assert_string_equal(col(a, "event_timestamp"), "2023-11-15T07:52:02.104Z");
    assert_string_equal(col(a, "received_at"), iso(1700034722109, t));

    const struct pg_row *b = rv.v[1];
    assert_int_equal(b->table, PG_T_BALANCES);
    assert_string_equal(col(b, "coin"), "BTC");
    assert_string_equal(col(b, "account_type"), "UNIFIED");
    assert_string_equal(col(b, "wallet_balance"), "0.00102964");
    assert_string_equal(col(b, "available_balance"), "0.00102964");
    assert_string_equal(col(b, "frozen"), "0");
    assert_string_equal(col(b, "equity"), "0.00102964");
    assert_string_equal(col(b, "usd_value"), "36.70759517");
    assert_string_equal(col(b, "margin_collateral"), "t");
    /* "" is NULL, never 0 */
    assert_string_equal(col(b, "total_order_im"), "<NULL>");
    assert_string_equal(col(b, "total_position_im"), "<NULL>");
    assert_string_equal(col(b, "total_position_mm"), "<NULL>");
    assert_string_equal(col(b, "cum_realised_pnl"), "-0.00000973");
    assert_string_equal(col(b, "event_timestamp"), "2023-11-15T07:52:02.104Z");
    pg_rowvec_clear(&rv);
}

static void test_wallet_six_coins(void **state)
{
    static const char *const coins[] = {"USDC", "BTC",   "ETH",
                                        "USDT", "EOS3L", "BIT"};
    struct pg_rowvec rv = {0};
    int warned = 0;
    map_wallet_line(11, &rv, &warned);
    assert_int_equal(rv.n, 7); /* 1 account row + 6 coin rows */
    assert_int_equal(rv.v[0]->table, PG_T_MARGIN);
    assert_string_equal(col(rv.v[0], "total_perp_upl"), "-2.62129051");
    assert_string_equal(col(rv.v[0], "account_im_rate"), "0.016");
    assert_string_equal(col(rv.v[0], "account_mm_rate"), "0.003");
    assert_string_equal(col(rv.v[0], "total_initial_margin"), "205.72562486");
    assert_string_equal(col(rv.v[0], "event_timestamp"),
                        "2022-12-30T01:37:42.482Z");
    for (size_t i = 1; i < 7; i++) {
        assert_int_equal(rv.v[i]->table, PG_T_BALANCES);
        assert_string_equal(col(rv.v[i], "coin"), coins[i - 1]);
        /* no "locked", no "marginCollateral" in this revision */
        assert_string_equal(col(rv.v[i], "frozen"), "<NULL>");
        assert_string_equal(col(rv.v[i], "margin_collateral"), "<NULL>");
    }
    const struct pg_row *usdc = rv.v[1], *usdt = rv.v[4], *eos = rv.v[5];
    assert_string_equal(col(usdc, "wallet_balance"), "201.34882644");
    assert_string_equal(col(usdc, "available_balance"), "0");
    assert_string_equal(col(usdc, "total_position_im"), "202.99874213");
    assert_string_equal(col(usdt, "available_balance"), "11723.92075829");
    assert_string_equal(col(usdt, "usd_value"), "11613.58597018");
    assert_string_equal(col(usdt, "unrealised_pnl"), "-1.8975");
    assert_string_equal(col(eos, "accrued_interest"), "<NULL>");
    assert_string_equal(col(eos, "usd_value"), "0");
    assert_string_equal(col(rv.v[2], "accrued_interest"), "0");
    pg_rowvec_clear(&rv);
}

static void test_wallet_three_coins_collateral(void **state)
{
    struct pg_rowvec rv = {0};
    int warned = 0;
    map_wallet_line(12, &rv, &warned);
    assert_int_equal(rv.n, 4);
    assert_string_equal(col(rv.v[0], "total_equity"), "19620.93864593");
    assert_string_equal(col(rv.v[0], "total_maintenance_margin"),
                        "277.05763376");
    const struct pg_row *btc = rv.v[2], *usdt = rv.v[3];
    assert_string_equal(col(btc, "coin"), "BTC");
    assert_string_equal(col(btc, "margin_collateral"), "t");
    assert_string_equal(col(btc, "frozen"), "0");
    assert_string_equal(col(usdt, "coin"), "USDT");
    assert_string_equal(col(usdt, "total_order_im"), "7539.624");
    assert_string_equal(col(usdt, "total_position_im"), "1179.1604584");
    assert_string_equal(col(usdt, "wallet_balance"), "106.03036732");
    assert_string_equal(col(usdt, "equity"), "4.93036732");
    assert_string_equal(col(usdt, "cum_realised_pnl"), "-55295.06268939");
    pg_rowvec_clear(&rv);
}

/* The REST reply, re-wrapped as the wallet event the sync emits. */
static void test_wallet_from_rest(void **state)
{
    char *line = sample_line("rest-wallet-balance.jsonl", 1);
    json_t *reply = json_loads(line, 0, NULL);
    json_t *list = json_object_get(json_object_get(reply, "result"), "list");
    json_t *ev = json_pack("{s:O,s:s,s:s,s:I}", "data", list, "topic", "wallet",
                           "id", "rest-sync", "creationTime",
                           json_integer_value(json_object_get(reply, "time")));
    char *payload = json_dumps(ev, JSON_COMPACT);
    struct pg_rowvec rv = {0};
    struct wsgw_err err = {0};
    struct pg_evmeta m = meta(1690872862481);
    assert_int_equal(
        pg_map_wallet(payload, strlen(payload), &m, &rv, NULL, &err), WSGW_OK);
    assert_int_equal(rv.n, 2);
    assert_string_equal(col(rv.v[0], "total_equity"), "3.31216591");
    assert_string_equal(col(rv.v[0], "total_available_balance"), "3.00326056");
    assert_string_equal(col(rv.v[1], "coin"), "BTC");
    assert_string_equal(col(rv.v[1], "wallet_balance"), "0");
    assert_string_equal(col(rv.v[1], "margin_collateral"), "t");
    assert_string_equal(col(rv.v[1], "event_timestamp"),
                        "2023-08-01T06:54:22.481Z");
    pg_rowvec_clear(&rv);
    free(payload);
    json_decref(ev);
    json_decref(reply);
    free(line);
}

/* Payload of position line n as the bybit source emits it: the data item
 * with "topic" added. */
static char *position_payload(int n, int64_t *event_ms)
{
    char *line = sample_line("private.jsonl", n);
    json_t *msg = json_loads(line, 0, NULL);
    json_t *item = json_array_get(json_object_get(msg, "data"), 0);
    json_object_set(item, "topic", json_object_get(msg, "topic"));
    char *p = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
    *event_ms = json_integer_value(json_object_get(msg, "creationTime"));
    json_decref(msg);
    free(line);
    return p;
}

static struct pg_row *map_position_line(int n, char **payload_out)
{
    int64_t ms;
    char *payload = position_payload(n, &ms);
    struct pg_rowvec rv = {0};
    struct wsgw_err err = {0};
    struct pg_evmeta m = meta(ms);
    int warned = 0;
    assert_int_equal(
        pg_map_position(payload, strlen(payload), &m, &rv, &warned, &err),
        WSGW_OK);
    assert_int_equal(rv.n, 1);
    assert_int_equal(warned, 0);
    struct pg_row *r = rv.v[0];
    free(rv.v);
    *payload_out = payload;
    return r;
}

static void test_position_flat(void **state)
{
    char *payload, t[32];
    struct pg_row *r = map_position_line(7, &payload);
    assert_int_equal(r->table, PG_T_POSITIONS);
    assert_string_equal(col(r, "category"), "linear");
    assert_string_equal(col(r, "symbol"), "BTCUSDT");
    assert_string_equal(col(r, "side"), ""); /* flat: kept as sent */
    assert_string_equal(col(r, "size"), "0");
    assert_string_equal(col(r, "position_idx"), "2");
    assert_string_equal(col(r, "avg_price"), "0"); /* from entryPrice */
    assert_string_equal(col(r, "entry_price"), "0");
    assert_string_equal(col(r, "mark_price"), "28184.5");
    assert_string_equal(col(r, "leverage"), "10");
    assert_string_equal(col(r, "cur_realised_pnl"), "1.26");
    assert_string_equal(col(r, "cum_realised_pnl"), "-25.06579337");
    assert_string_equal(col(r, "liq_price"), "0");
    assert_string_equal(col(r, "bust_price"), "<NULL>");
    assert_string_equal(col(r, "trade_mode"), "0");
    assert_string_equal(col(r, "position_status"), "Normal");
    assert_string_equal(col(r, "seq"), "8327597863");
    assert_string_equal(col(r, "created_time"), iso(1694402496913, t));
    assert_string_equal(col(r, "updated_time"), iso(1697682317038, t));
    assert_string_equal(col(r, "event_timestamp"), iso(1697682317044, t));
    assert_string_equal(col(r, "raw"), payload);
    assert_non_null(strstr(col(r, "raw"), "\"topic\":\"position\""));
    pg_row_free(r);
    free(payload);
}

static void test_position_long_and_inverse(void **state)
{
    char *payload;
    struct pg_row *r = map_position_line(8, &payload);
    assert_string_equal(col(r, "symbol"), "XRPUSDT");
    assert_string_equal(col(r, "side"), "Buy");
    assert_string_equal(col(r, "size"), "75");
    assert_string_equal(col(r, "entry_price"), "0.3615");
    assert_string_equal(col(r, "position_value"), "27.1125");
    assert_string_equal(col(r, "unrealised_pnl"), "-1.8075");
    assert_string_equal(col(r, "liq_price"), "<NULL>"); /* "" */
    assert_string_equal(col(r, "position_im"), "2.72589075");
    assert_string_equal(col(r, "cur_realised_pnl"), "<NULL>"); /* absent */
    pg_row_free(r);
    free(payload);

    r = map_position_line(9, &payload);
    assert_string_equal(col(r, "category"), "inverse");
    assert_string_equal(col(r, "symbol"), "BTCUSD");
    assert_string_equal(col(r, "entry_price"), "19358.58553268");
    assert_string_equal(col(r, "avg_price"), "19358.58553268");
    assert_string_equal(col(r, "bust_price"), "15.00"); /* text untouched */
    assert_string_equal(col(r, "position_balance"), "0.0000156");
    assert_string_equal(col(r, "seq"), "<NULL>");
    pg_row_free(r);
    free(payload);
}

static void test_position_avg_price_preferred(void **state)
{
    const char *p = "{\"symbol\":\"ETHUSDT\",\"category\":\"linear\","
                    "\"avgPrice\":\"3000.5\",\"entryPrice\":\"2999\","
                    "\"size\":\"1\",\"side\":\"Sell\",\"topic\":\"position\"}";
    struct pg_rowvec rv = {0};
    struct wsgw_err err = {0};
    struct pg_evmeta m = meta(1700000000000);
    assert_int_equal(pg_map_position(p, strlen(p), &m, &rv, NULL, &err),
                     WSGW_OK);
    assert_string_equal(col(rv.v[0], "avg_price"), "3000.5");
    assert_string_equal(col(rv.v[0], "entry_price"), "2999");
    pg_rowvec_clear(&rv);
}

static void test_bad_payloads(void **state)
{
    struct pg_rowvec rv = {0};
    struct wsgw_err err = {0};
    struct pg_evmeta m = meta(1);
    const char *notjson = "{\"data\":[";
    const char *nodata = "{\"topic\":\"wallet\"}";
    const char *badacct = "{\"data\":[1]}";
    const char *nocoin = "{\"data\":[{\"accountType\":\"UNIFIED\","
                         "\"coin\":[{\"walletBalance\":\"1\"}]}]}";
    assert_int_equal(
        pg_map_wallet(notjson, strlen(notjson), &m, &rv, NULL, &err), WSGW_ERR);
    assert_int_equal(pg_map_wallet(nodata, strlen(nodata), &m, &rv, NULL, &err),
                     WSGW_ERR);
    assert_int_equal(
        pg_map_wallet(badacct, strlen(badacct), &m, &rv, NULL, &err), WSGW_ERR);
    assert_int_equal(pg_map_wallet(nocoin, strlen(nocoin), &m, &rv, NULL, &err),
                     WSGW_ERR);
    assert_non_null(strstr(err.msg, "coin[0]"));
    const char *nosym = "{\"side\":\"Buy\",\"topic\":\"position\"}";
    assert_int_equal(pg_map_position(nosym, strlen(nosym), &m, &rv, NULL, &err),
                     WSGW_ERR);
    assert_int_equal(rv.n, 0); /* nothing left behind */
}

/* Amounts never go through a double: a JSON real is refused (NULL and a
 * warning), an integer is printed exactly. */
static void test_numbers_not_strings(void **state)
{
    const char *p = "{\"data\":[{\"accountType\":\"UNIFIED\","
                    "\"totalEquity\":0.1,\"totalWalletBalance\":"
                    "12345678901234567,\"coin\":[]}]}";
    struct pg_rowvec rv = {0};
    struct wsgw_err err = {0};
    struct pg_evmeta m = meta(0); /* unknown exchange time: received */
    int warned = 0;
    assert_int_equal(pg_map_wallet(p, strlen(p), &m, &rv, &warned, &err),
                     WSGW_OK);
    assert_int_equal(rv.n, 1);
    assert_int_equal(warned, 1);
    assert_string_equal(col(rv.v[0], "total_equity"), "<NULL>");
    assert_string_equal(col(rv.v[0], "total_wallet_balance"),
                        "12345678901234567");
    assert_string_equal(col(rv.v[0], "event_timestamp"),
                        col(rv.v[0], "received_at"));
    pg_rowvec_clear(&rv);
}

static void test_array_literal(void **state)
{
    const char *v1[] = {"a\"b", "12.50"};
    const char *v2[] = {NULL, "c\\d"};
    const char *v3[] = {"NULL", ""};
    size_t l1[] = {3, 5}, l2[] = {0, 3}, l3[] = {4, 0};
    struct pg_row *rows[3] = {
        pg_row_new(PG_T_BALANCES, 2, v1, l1),
        pg_row_new(PG_T_BALANCES, 2, v2, l2),
        pg_row_new(PG_T_BALANCES, 2, v3, l3),
    };
    struct pg_buf b;
    pg_buf_init(&b);
    size_t o0 = pg_array_literal(&b, rows, 3, 0);
    size_t o1 = pg_array_literal(&b, rows, 3, 1);
    assert_string_equal(b.p + o0, "{\"a\\\"b\",NULL,\"NULL\"}");
    assert_string_equal(b.p + o1, "{\"12.50\",\"c\\\\d\",\"\"}");
    pg_buf_free(&b);
    for (int i = 0; i < 3; i++)
        pg_row_free(rows[i]);
}

static void test_insert_sql(void **state)
{
    char *sql = pg_table_insert_sql(PG_T_MARGIN);
    assert_non_null(sql);
    assert_non_null(strstr(sql, "INSERT INTO account_margin_balances "
                                "(event_id, account_type, total_equity,"));
    assert_non_null(strstr(sql, "SELECT * FROM unnest($1::uuid[], "
                                "$2::text[], $3::numeric[],"));
    assert_non_null(strstr(sql, "::timestamptz[], $17::text[])"));
    free(sql);
    sql = pg_table_insert_sql(PG_T_POSITIONS);
    assert_non_null(strstr(sql, "::jsonb[])"));
    free(sql);
    assert_null(pg_table_insert_sql(PG_T_COUNT));
}

static void test_rowq(void **state)
{
    struct pg_rowq q;
    pg_rowq_init(&q);
    struct pg_row *r[200];
    for (int i = 0; i < 200; i++) {
        const char *v[] = {"x"};
        size_t l[] = {1};
        r[i] = pg_row_new(PG_T_BALANCES, 1, v, l);
        assert_int_equal(pg_rowq_push_back(&q, r[i]), WSGW_OK);
    }
    assert_ptr_equal(pg_rowq_pop_front(&q), r[0]);
    assert_int_equal(pg_rowq_push_front(&q, r[0]), WSGW_OK);
    for (int i = 0; i < 200; i++) {
        assert_ptr_equal(pg_rowq_at(&q, (size_t)i), r[i]);
    }
    for (int i = 0; i < 200; i++)
        pg_row_free(pg_rowq_pop_front(&q));
    assert_null(pg_rowq_pop_front(&q));
    pg_rowq_free(&q);
}

static void test_evrec_settle(void **state)
{
    struct pg_evrec ev = {.rows_left = 3};
    assert_null(pg_evrec_settle(&ev, PG_ROW_WRITTEN));
    assert_null(pg_evrec_settle(&ev, PG_ROW_FAILED));
    assert_ptr_equal(pg_evrec_settle(&ev, PG_ROW_DROPPED), &ev);
    assert_int_equal(ev.failed, 1);
    assert_int_equal(ev.dropped, 1);
    assert_null(pg_evrec_settle(NULL, PG_ROW_WRITTEN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wallet_one_coin),
        cmocka_unit_test(test_wallet_six_coins),
        cmocka_unit_test(test_wallet_three_coins_collateral),
        cmocka_unit_test(test_wallet_from_rest),
        cmocka_unit_test(test_position_flat),
        cmocka_unit_test(test_position_long_and_inverse),
        cmocka_unit_test(test_position_avg_price_preferred),
        cmocka_unit_test(test_bad_payloads),
        cmocka_unit_test(test_numbers_not_strings),
        cmocka_unit_test(test_array_literal),
        cmocka_unit_test(test_insert_sql),
        cmocka_unit_test(test_rowq),
        cmocka_unit_test(test_evrec_settle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
