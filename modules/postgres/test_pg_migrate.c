/*
 * test_pg_migrate.c — the embedded migration list (generated from
 * modules/postgres/sql/NNN_name.sql) and the SQL that applies it
 * (pg_migrate.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg_migrate.h"

static void test_embedded_list_is_ordered(void **state)
{
    struct wsgw_err err = {0};
    assert_true(pg_migrations_count >= 1);
    assert_int_equal(pg_migrate_check(pg_migrations, pg_migrations_count, &err),
                     WSGW_OK);
    for (size_t i = 1; i < pg_migrations_count; i++)
        assert_true(pg_migrations[i].version > pg_migrations[i - 1].version);
    assert_int_equal(pg_migrations[0].version, 1);
    assert_string_equal(pg_migrations[0].name, "init");
    assert_int_equal(pg_migrate_latest(pg_migrations, pg_migrations_count),
                     pg_migrations[pg_migrations_count - 1].version);
}

/* The file's text is embedded verbatim (quotes, backslashes, lines). */
static void test_embedded_sql(void **state)
{
    const char *sql = pg_migrations[0].sql;
    static const char *const tables[] = {
        "CREATE TABLE IF NOT EXISTS subscriptions (",
        "CREATE TABLE IF NOT EXISTS account_balances (",
        "CREATE TABLE IF NOT EXISTS account_margin_balances (",
        "CREATE TABLE IF NOT EXISTS positions (",
    };
    for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
        assert_non_null(strstr(sql, tables[i]));
    assert_non_null(strstr(sql, "DEFAULT 'USD',\n"));
    assert_int_equal(sql[strlen(sql) - 1], '\n');
}

static void test_check_rejects_bad_lists(void **state)
{
    struct wsgw_err err = {0};
    const struct pg_migration swapped[] = {{2, "b", "SELECT 1"},
                                           {1, "a", "SELECT 1"}};
    const struct pg_migration dup[] = {{1, "a", "SELECT 1"},
                                       {1, "b", "SELECT 1"}};
    const struct pg_migration zero[] = {{0, "a", "SELECT 1"}};
    const struct pg_migration noname[] = {{1, "", "SELECT 1"}};
    assert_int_equal(pg_migrate_check(swapped, 2, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "out of order"));
    assert_int_equal(pg_migrate_check(dup, 2, &err), WSGW_ERR);
    assert_int_equal(pg_migrate_check(zero, 1, &err), WSGW_ERR);
    assert_int_equal(pg_migrate_check(noname, 1, &err), WSGW_ERR);
}

static void test_pending(void **state)
{
    const struct pg_migration list[] = {
        {1, "a", "A"}, {2, "b", "B"}, {5, "c", "C"}};
    const struct pg_migration *out[3];
    const int64_t none[1] = {0};
    const int64_t some[] = {5, 1};
    const int64_t all[] = {1, 2, 5, 7};
    assert_int_equal(pg_migrate_pending(list, 3, none, 0, out), 3);
    assert_ptr_equal(out[0], &list[0]);
    assert_ptr_equal(out[2], &list[2]);
    assert_int_equal(pg_migrate_pending(list, 3, some, 2, out), 1);
    assert_ptr_equal(out[0], &list[1]);
    assert_int_equal(pg_migrate_pending(list, 3, all, 4, out), 0);
}

static void test_step_sql(void **state)
{
    const struct pg_migration m = {3, "o'brien", "CREATE TABLE t (a int);"};
    char *sql = pg_migrate_step_sql(&m);
    assert_non_null(sql);
    /* lock first, then the guard, the migration, the record */
    const char *lock = strstr(sql, "pg_advisory_xact_lock(2004051831)");
    const char *guard = strstr(sql, "WHERE version = 3) THEN RAISE");
    const char *body = strstr(sql, "CREATE TABLE t (a int);");
    const char *rec = strstr(sql, "INSERT INTO schema_migrations (version, "
                                  "name) VALUES (3, 'o''brien')");
    assert_non_null(lock);
    assert_non_null(guard);
    assert_non_null(body);
    assert_non_null(rec);
    assert_true(lock < guard && guard < body && body < rec);
    assert_non_null(strstr(sql, "ERRCODE = '" PG_MIGRATE_SKIPPED_STATE "'"));
    free(sql);
    assert_non_null(strstr(pg_migrate_bootstrap_sql(),
                           "pg_advisory_xact_lock(2004051831)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_list_is_ordered),
        cmocka_unit_test(test_embedded_sql),
        cmocka_unit_test(test_check_rejects_bad_lists),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_step_sql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
