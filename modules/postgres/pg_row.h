/*
 * pg_row.h — rows waiting to be written, the queue that holds them and the
 * text buffers the batch statements are built in.
 *
 * A row is one allocation: the header, the column value pointers and the
 * value bytes. Values are text exactly as they go to PostgreSQL (decimal
 * strings untouched); NULL is SQL NULL.
 */
#ifndef WSGW_PG_ROW_H
#define WSGW_PG_ROW_H

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>

#include "pg_table.h"

/*
 * What the rows of one event share, so the sink counts events (delivered,
 * failed, dropped) once all their rows are settled. Owned by its rows: the
 * last row to settle frees it (pg_evrec_settle()).
 */
struct pg_evrec {
    unsigned rows_left; /* rows not yet written, failed or dropped     */
    unsigned failed;    /* rows refused by the database for their data */
    unsigned dropped;   /* rows dropped (buffer overflow, shutdown)    */
    char event_id[WSGW_UUID_LEN + 1];
};

struct pg_row {
    struct pg_evrec *ev; /* shared with the event's other rows; may be NULL */
    uint16_t table;      /* enum pg_table                                 */
    uint16_t ncols;
    const char *v[]; /* ncols values; NULL = SQL NULL */
};

/*
 * A new row of table t from ncols values given as (pointer, length);
 * vals[i] NULL for NULL. Copies everything. NULL when out of memory.
 */
struct pg_row *pg_row_new(enum pg_table t, size_t ncols,
                          const char *const *vals, const size_t *lens);
void pg_row_free(struct pg_row *r);

/* How a row settled, for pg_evrec_settle(). */
enum pg_settle { PG_ROW_WRITTEN, PG_ROW_FAILED, PG_ROW_DROPPED };

/*
 * Record that one row of ev settled. Returns ev when it was the event's
 * last row (the caller counts the event, then frees ev with free()),
 * else NULL. NULL ev is ok (returns NULL).
 */
struct pg_evrec *pg_evrec_settle(struct pg_evrec *ev, enum pg_settle how);

/* ---- a double-ended queue of rows ------------------------------------- */

struct pg_rowq {
    struct pg_row **v;
    size_t cap, head, n;
};

void pg_rowq_init(struct pg_rowq *q);
/* Frees the array, not the rows (pop them first). */
void pg_rowq_free(struct pg_rowq *q);
/* WSGW_OK, or WSGW_ERR when out of memory (the caller keeps r). */
int pg_rowq_push_back(struct pg_rowq *q, struct pg_row *r);
int pg_rowq_push_front(struct pg_rowq *q, struct pg_row *r);
/* The head row, removed; NULL when empty. */
struct pg_row *pg_rowq_pop_front(struct pg_rowq *q);
/* The i-th row from the head (i < n). */
struct pg_row *pg_rowq_at(const struct pg_rowq *q, size_t i);

/* ---- text buffers ----------------------------------------------------- */

struct pg_buf {
    char *p;
    size_t len, cap;
    int oom; /* an append failed; the content is incomplete */
};

void pg_buf_init(struct pg_buf *b);
void pg_buf_free(struct pg_buf *b);
void pg_buf_reset(struct pg_buf *b);
void pg_buf_add(struct pg_buf *b, const char *s, size_t n);
void pg_buf_addc(struct pg_buf *b, char c);

/*
 * Append column `col` of rows[0..n) as a PostgreSQL array literal
 * ({"a","b",NULL}), escaping quotes and backslashes, then a NUL so the
 * literal can be passed as a parameter. Returns the literal's offset in b.
 */
size_t pg_array_literal(struct pg_buf *b, struct pg_row *const *rows, size_t n,
                        size_t col);

#endif
