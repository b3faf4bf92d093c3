/*
 * pg_row.c — rows, their queue and array literals.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_row.h"

struct pg_row *pg_row_new(enum pg_table t, size_t ncols,
                          const char *const *vals, const size_t *lens)
{
    size_t bytes = sizeof(struct pg_row) + ncols * sizeof(char *);
    for (size_t i = 0; i < ncols; i++)
        if (vals[i])
            bytes += lens[i] + 1;
    struct pg_row *r = malloc(bytes);
    if (!r)
        return NULL;
    r->ev = NULL;
    r->table = (uint16_t)t;
    r->ncols = (uint16_t)ncols;
    char *p = (char *)&r->v[ncols];
    for (size_t i = 0; i < ncols; i++) {
        if (!vals[i]) {
            r->v[i] = NULL;
            continue;
        }
        memcpy(p, vals[i], lens[i]);
        p[lens[i]] = '\0';
        r->v[i] = p;
        p += lens[i] + 1;
    }
    return r;
}

void pg_row_free(struct pg_row *r)
{
    free(r);
}

struct pg_evrec *pg_evrec_settle(struct pg_evrec *ev, enum pg_settle how)
{
    if (!ev)
        return NULL;
    if (how == PG_ROW_FAILED)
        ev->failed++;
    else if (how == PG_ROW_DROPPED)
        ev->dropped++;
    return --ev->rows_left == 0 ? ev : NULL;
}

void pg_rowq_init(struct pg_rowq *q)
{
    memset(q, 0, sizeof(*q));
}

void pg_rowq_free(struct pg_rowq *q)
{
    free(q->v);
    memset(q, 0, sizeof(*q));
}

static int rowq_grow(struct pg_rowq *q)
{
    if (q->n < q->cap)
        return WSGW_OK;
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct pg_row **v = malloc(cap * sizeof(*v));
    if (!v)
        return WSGW_ERR;
    for (size_t i = 0; i < q->n; i++)
        v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
    return WSGW_OK;
}

int pg_rowq_push_back(struct pg_rowq *q, struct pg_row *r)
{
    if (rowq_grow(q) != WSGW_OK)
        return WSGW_ERR;
    q->v[(q->head + q->n) % q->cap] = r;
    q->n++;
    return WSGW_OK;
}

int pg_rowq_push_front(struct pg_rowq *q, struct pg_row *r)
{
    if (rowq_grow(q) != WSGW_OK)
        return WSGW_ERR;
    q->head = (q->head + q->cap - 1) % q->cap;
    q->v[q->head] = r;
    q->n++;
    return WSGW_OK;
}

struct pg_row *pg_rowq_pop_front(struct pg_rowq *q)
{
    if (!q->n)
        return NULL;
    struct pg_row *r = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return r;
}

struct pg_row *pg_rowq_at(const struct pg_rowq *q, size_t i)
{
    return q->v[(q->head + i) % q->cap];
}

void pg_buf_init(struct pg_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void pg_buf_free(struct pg_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void pg_buf_reset(struct pg_buf *b)
{
    b->len = 0;
    b->oom = 0;
}

void pg_buf_add(struct pg_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void pg_buf_addc(struct pg_buf *b, char c)
{
    pg_buf_add(b, &c, 1);
}

size_t pg_array_literal(struct pg_buf *b, struct pg_row *const *rows, size_t n,
                        size_t col)
{
    size_t start = b->len;
    pg_buf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            pg_buf_addc(b, ',');
        const char *v = rows[i]->v[col];
        if (!v) {
            pg_buf_add(b, "NULL", 4);
            continue;
        }
        pg_buf_addc(b, '"');
        for (const char *s = v; *s;) {
            size_t run = strcspn(s, "\"\\");
            pg_buf_add(b, s, run);
            s += run;
            if (*s) {
                pg_buf_addc(b, '\\');
                pg_buf_addc(b, *s++);
            }
        }
        pg_buf_addc(b, '"');
    }
    pg_buf_addc(b, '}');
    pg_buf_addc(b, '\0');
    return start;
}
