/*
 * pg_migrate.c — migration list checks and the SQL that applies them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_migrate.h"

#define PG_STR_(x) #x
#define PG_STR(x)  PG_STR_(x)

int pg_migrate_check(const struct pg_migration *m, size_t n,
                     struct wsgw_err *err)
{
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (!m[i].name || !m[i].name[0] || !m[i].sql)
            return wsgw_err_set(err, NULL, "migration %d has no name or SQL",
                                m[i].version);
        if (m[i].version <= prev)
            return wsgw_err_set(err, NULL,
                                "migration %d_%s is out of order: versions "
                                "must increase (previous %d)",
                                m[i].version, m[i].name, prev);
        prev = m[i].version;
    }
    return WSGW_OK;
}

const char *pg_migrate_bootstrap_sql(void)
{
    /* The lock keeps two first starts from racing on CREATE TABLE. */
    return "SELECT pg_advisory_xact_lock(" PG_STR(
        PG_MIGRATE_LOCK_KEY) ");"
                             "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version integer PRIMARY KEY,"
                             " name text NOT NULL,"
                             " applied_at timestamptz NOT NULL DEFAULT now())";
}

const char *pg_migrate_versions_sql(void)
{
    return "SELECT version::text FROM schema_migrations ORDER BY version";
}

size_t pg_migrate_pending(const struct pg_migration *m, size_t n,
                          const int64_t *applied, size_t na,
                          const struct pg_migration **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int done = 0;
        for (size_t j = 0; j < na && !done; j++)
            done = applied[j] == m[i].version;
        if (!done)
            out[k++] = &m[i];
    }
    return k;
}

/* Lock, skip-check, the migration, the record: one implicit transaction. */
#define STEP_FMT                                                               \
    "SELECT pg_advisory_xact_lock(%d);\n"                                      \
    "DO $wsgw_guard$BEGIN IF EXISTS (SELECT 1 FROM schema_migrations "         \
    "WHERE version = %d) THEN RAISE EXCEPTION 'migration %d already "          \
    "applied' USING ERRCODE = '" PG_MIGRATE_SKIPPED_STATE "'; END IF; "        \
    "END$wsgw_guard$;\n"                                                       \
    "%s\n;\n"                                                                  \
    "INSERT INTO schema_migrations (version, name) VALUES (%d, '%s')"

char *pg_migrate_step_sql(const struct pg_migration *m)
{
    /* Names come from file names; quote them anyway. */
    char name[256];
    size_t o = 0;
    for (const char *p = m->name; *p && o + 2 < sizeof(name); p++) {
        if (*p == '\'')
            name[o++] = '\'';
        name[o++] = *p;
    }
    name[o] = '\0';

    int len = snprintf(NULL, 0, STEP_FMT, PG_MIGRATE_LOCK_KEY, m->version,
                       m->version, m->sql, m->version, name);
    if (len < 0)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return NULL;
    snprintf(s, (size_t)len + 1, STEP_FMT, PG_MIGRATE_LOCK_KEY, m->version,
             m->version, m->sql, m->version, name);
    return s;
}

int pg_migrate_latest(const struct pg_migration *m, size_t n)
{
    return n ? m[n - 1].version : 0;
}
