/*
 * pg_table.h — the tables the sink writes and how each column is filled.
 *
 * One declarative table per destination: column name, SQL type and where
 * the value comes from (a Bybit field, the event envelope, a constant).
 * pg_map.c fills rows from it and pg_writer.c builds the INSERT from it,
 * so the mapping and the statement cannot disagree.
 */
#ifndef WSGW_PG_TABLE_H
#define WSGW_PG_TABLE_H

#include <stddef.h>

enum pg_table {
    PG_T_BALANCES = 0, /* account_balances: one row per coin         */
    PG_T_MARGIN,       /* account_margin_balances: one per account   */
    PG_T_POSITIONS,    /* positions: one per position event          */
    PG_T_COUNT
};

/* Where a column's value comes from. */
enum pg_src {
    PG_SRC_DEC,      /* decimal: a JSON string verbatim ("" = NULL) or
                        an integer; a JSON real is refused (NULL)      */
    PG_SRC_TEXT,     /* a JSON string ("" = NULL)                      */
    PG_SRC_BOOL,     /* true/false (or "true"/"false")                 */
    PG_SRC_INT,      /* a JSON integer or an integer string            */
    PG_SRC_MS_TIME,  /* ms since the epoch (string or integer) -> ISO  */
    PG_SRC_PARENT,   /* a JSON string of the enclosing account item    */
    PG_SRC_CONST,    /* the text in `key`                              */
    PG_SRC_RAW,      /* the JSON object itself, as received            */
    PG_SRC_EVENT_ID, /* the event's uuid                               */
    PG_SRC_EVENT_TS, /* the event's exchange time (ISO)                */
    PG_SRC_RECEIVED, /* when the gateway read the frame (ISO)          */
    PG_SRC_TRACE_ID  /* the event's trace id                           */
};

struct pg_col {
    const char *name; /* SQL column                                   */
    const char *type; /* SQL type of the unnest() array element       */
    enum pg_src src;
    const char *key; /* JSON field (or the constant for PG_SRC_CONST) */
    const char *alt; /* fallback JSON field when key is absent/empty */
};

struct pg_table_def {
    const char *name; /* SQL table */
    const struct pg_col *cols;
    size_t ncols;
};

#define PG_MAX_COLS 40

/* The definition of table t (t < PG_T_COUNT). */
const struct pg_table_def *pg_table_def(enum pg_table t);

/* Index of column `name` in table t, or -1. */
int pg_table_col(enum pg_table t, const char *name);

/*
 * The batch INSERT of table t: every column as one array parameter,
 * zipped by unnest(), so one prepared statement takes any number of rows:
 *   INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::numeric[])
 * A new string owned by the caller, or NULL when out of memory.
 */
char *pg_table_insert_sql(enum pg_table t);

#endif
