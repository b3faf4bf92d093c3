/*
 * pg_migrate.h — the schema migrations of the postgres module.
 *
 * Each migration is one file modules/postgres/sql/NNN_name.sql, embedded
 * into the module at build time (include.am generates pg_sql_gen.c with
 * the table below). They are applied in version order, each in its own
 * transaction, and recorded in schema_migrations(version, name,
 * applied_at). Two daemons starting together serialize on a
 * transaction-scoped advisory lock; a migration applied by the other one
 * in the meantime is detected inside the transaction and skipped, so no
 * lock is ever held across a client round trip (a blocking load() and the
 * asynchronous writer of the same process cannot deadlock).
 */
#ifndef WSGW_PG_MIGRATE_H
#define WSGW_PG_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>

struct pg_migration {
    int version;      /* NNN of the file name; > 0                  */
    const char *name; /* the rest of the file name, without ".sql" */
    const char *sql;  /* the file's text                            */
};

/* The embedded migrations, in file-name order (pg_sql_gen.c). */
extern const struct pg_migration pg_migrations[];
extern const size_t pg_migrations_count;

/* The advisory lock key migrations take ("wsgw" in ASCII, 0x77736777). */
#define PG_MIGRATE_LOCK_KEY 2004051831

/*
 * SQLSTATE a migration step raises when the version was recorded by
 * another process after we listed the applied versions: "already done".
 */
#define PG_MIGRATE_SKIPPED_STATE "WS001"

/*
 * Check a migration list: versions strictly increasing and positive,
 * names and SQL present. WSGW_OK, or WSGW_ERR with err naming the entry.
 */
int pg_migrate_check(const struct pg_migration *m, size_t n,
                     struct wsgw_err *err);

/* Creates schema_migrations if missing (one statement string). */
const char *pg_migrate_bootstrap_sql(void);
/* Lists the applied versions, ascending (one text column). */
const char *pg_migrate_versions_sql(void);

/*
 * The migrations of list m[0..n) whose versions are not in applied[0..na)
 * (any order), in list order, into out[] (room for n). Returns how many.
 */
size_t pg_migrate_pending(const struct pg_migration *m, size_t n,
                          const int64_t *applied, size_t na,
                          const struct pg_migration **out);

/*
 * The text of one migration step: lock, skip-check, the migration's SQL
 * and the schema_migrations insert, as one simple-query string (one
 * implicit transaction). A new string owned by the caller, or NULL when
 * out of memory.
 */
char *pg_migrate_step_sql(const struct pg_migration *m);

/* The newest version in the list (0 when empty). */
int pg_migrate_latest(const struct pg_migration *m, size_t n);

#endif
