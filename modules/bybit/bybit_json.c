/*
 * bybit_json.c — the validating JSON scanner (see bybit_json.h).
 *
 * Recursive descent over the bytes with a depth limit. Every rule of
 * RFC 8259 is checked (string escapes, control characters, UTF-8 without
 * overlong forms or surrogates, number grammar, literals, nothing after
 * the value), because whatever passes goes to the sinks verbatim.
 */
#include "bybit_json.h"

#include <stdlib.h>
#include <string.h>

struct scan {
    const char *p;   /* next byte                        */
    const char *end; /* one past the last byte           */
    const char *why; /* set on the first error           */
};

static int fail(struct scan *s, const char *why)
{
    if (!s->why)
        s->why = why;
    return -1;
}

/* Running out of input inside a value is "truncated", anything else not. */
static int fail_at(struct scan *s)
{
    return fail(s, s->p >= s->end ? BJ_WHY_TRUNCATED : BJ_WHY_INVALID);
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u" into *cp. */
static int scan_u4(struct scan *s, unsigned *cp)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (s->p >= s->end)
            return fail(s, BJ_WHY_TRUNCATED);
        int h = hexval((unsigned char)*s->p++);
        if (h < 0)
            return fail(s, BJ_WHY_INVALID);
        v = v << 4 | (unsigned)h;
    }
    *cp = v;
    return 0;
}

/* One escape sequence; s->p is just after the backslash. */
static int scan_escape(struct scan *s)
{
    if (s->p >= s->end)
        return fail(s, BJ_WHY_TRUNCATED);
    switch (*s->p++) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return 0;
    case 'u': {
        unsigned cp, lo;
        if (scan_u4(s, &cp) < 0)
            return -1;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(s, BJ_WHY_INVALID); /* lone low surrogate */
        if (cp < 0xD800 || cp > 0xDBFF)
            return 0;
        /* a high surrogate must be followed by \u and a low one */
        if (s->end - s->p < 2)
            return fail(s, BJ_WHY_TRUNCATED);
        if (s->p[0] != '\\' || s->p[1] != 'u')
            return fail(s, BJ_WHY_INVALID);
        s->p += 2;
        if (scan_u4(s, &lo) < 0)
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(s, BJ_WHY_INVALID);
        return 0;
    }
    default:
        return fail(s, BJ_WHY_INVALID);
    }
}

/* One multi-byte UTF-8 sequence starting at s->p (a byte >= 0x80). */
static int scan_utf8(struct scan *s)
{
    const unsigned char *u = (const unsigned char *)s->p;
    size_t left = (size_t)(s->end - s->p);
    unsigned c = u[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF; /* bounds of the second byte */

    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return fail(s, BJ_WHY_INVALID);
    }
    if (left < need)
        return fail(s, BJ_WHY_TRUNCATED);
    if (u[1] < lo || u[1] > hi)
        return fail(s, BJ_WHY_INVALID);
    for (size_t i = 2; i < need; i++)
        if (u[i] < 0x80 || u[i] > 0xBF)
            return fail(s, BJ_WHY_INVALID);
    s->p += need;
    return 0;
}

/* A string; s->p at the opening quote. */
static int scan_string(struct scan *s)
{
    s->p++;
    for (;;) {
        /* the common case: plain printable ASCII */
        while (s->p < s->end) {
            unsigned char c = (unsigned char)*s->p;
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
                break;
            s->p++;
        }
        if (s->p >= s->end)
            return fail(s, BJ_WHY_TRUNCATED);
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c == '\\') {
            s->p++;
            if (scan_escape(s) < 0)
                return -1;
        } else if (c >= 0x80) {
            if (scan_utf8(s) < 0)
                return -1;
        } else {
            return fail(s, BJ_WHY_INVALID); /* raw control character */
        }
    }
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int scan_digits(struct scan *s)
{
    if (s->p >= s->end)
        return fail(s, BJ_WHY_TRUNCATED);
    if (!is_digit(*s->p))
        return fail(s, BJ_WHY_INVALID);
    while (s->p < s->end && is_digit(*s->p))
        s->p++;
    return 0;
}

static int scan_number(struct scan *s)
{
    if (*s->p == '-')
        s->p++;
    if (s->p >= s->end)
        return fail(s, BJ_WHY_TRUNCATED);
    if (*s->p == '0')
        s->p++;
    else if (scan_digits(s) < 0)
        return -1;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (scan_digits(s) < 0)
            return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (scan_digits(s) < 0)
            return -1;
    }
    return 0;
}

static int scan_literal(struct scan *s, const char *lit, size_t n)
{
    size_t left = (size_t)(s->end - s->p);
    if (left < n) {
        if (memcmp(s->p, lit, left) == 0)
            return fail(s, BJ_WHY_TRUNCATED);
        return fail(s, BJ_WHY_INVALID);
    }
    if (memcmp(s->p, lit, n) != 0)
        return fail(s, BJ_WHY_INVALID);
    s->p += n;
    return 0;
}

static int scan_value(struct scan *s, int depth, struct bj_value *out);

static int scan_object(struct scan *s, int depth)
{
    s->p++; /* '{' */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        skip_ws(s);
        if (s->p >= s->end)
            return fail(s, BJ_WHY_TRUNCATED);
        if (*s->p != '"')
            return fail(s, BJ_WHY_INVALID);
        if (scan_string(s) < 0)
            return -1;
        skip_ws(s);
        if (s->p >= s->end)
            return fail(s, BJ_WHY_TRUNCATED);
        if (*s->p++ != ':')
            return fail(s, BJ_WHY_INVALID);
        if (scan_value(s, depth, NULL) < 0)
            return -1;
        skip_ws(s);
        if (s->p >= s->end)
            return fail(s, BJ_WHY_TRUNCATED);
        char c = *s->p++;
        if (c == '}')
            return 0;
        if (c != ',')
            return fail(s, BJ_WHY_INVALID);
    }
}

static int scan_array(struct scan *s, int depth)
{
    s->p++; /* '[' */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (scan_value(s, depth, NULL) < 0)
            return -1;
        skip_ws(s);
        if (s->p >= s->end)
            return fail(s, BJ_WHY_TRUNCATED);
        char c = *s->p++;
        if (c == ']')
            return 0;
        if (c != ',')
            return fail(s, BJ_WHY_INVALID);
    }
}

/* One value after optional whitespace; its span into *out if not NULL. */
static int scan_value(struct scan *s, int depth, struct bj_value *out)
{
    skip_ws(s);
    if (s->p >= s->end)
        return fail(s, BJ_WHY_TRUNCATED);
    const char *start = s->p;
    enum bj_kind kind;
    int rc;

    switch (*s->p) {
    case '{':
        if (depth >= BJ_MAX_DEPTH)
            return fail(s, BJ_WHY_DEPTH);
        kind = BJ_OBJECT;
        rc = scan_object(s, depth + 1);
        break;
    case '[':
        if (depth >= BJ_MAX_DEPTH)
            return fail(s, BJ_WHY_DEPTH);
        kind = BJ_ARRAY;
        rc = scan_array(s, depth + 1);
        break;
    case '"':
        kind = BJ_STRING;
        rc = scan_string(s);
        break;
    case 't':
        kind = BJ_TRUE;
        rc = scan_literal(s, "true", 4);
        break;
    case 'f':
        kind = BJ_FALSE;
        rc = scan_literal(s, "false", 5);
        break;
    case 'n':
        kind = BJ_NULL;
        rc = scan_literal(s, "null", 4);
        break;
    default:
        if (*s->p == '-' || is_digit(*s->p)) {
            kind = BJ_NUMBER;
            rc = scan_number(s);
        } else {
            return fail_at(s);
        }
    }
    if (rc < 0)
        return -1;
    if (out) {
        out->p = start;
        out->n = (size_t)(s->p - start);
        out->kind = kind;
    }
    return 0;
}

int bj_validate(const char *buf, size_t len, const char **why)
{
    struct scan s = {buf, buf + len, NULL};
    if (scan_value(&s, 0, NULL) == 0) {
        skip_ws(&s);
        if (s.p == s.end)
            return 0;
        fail(&s, BJ_WHY_INVALID);
    }
    if (why)
        *why = s.why;
    return -1;
}

void bj_frame_free(struct bj_frame *f)
{
    free(f->items);
    f->items = NULL;
    f->nitems = f->cap = 0;
}

static int push_item(struct bj_frame *f, const struct bj_value *v)
{
    if (f->nitems == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct bj_value *n = realloc(f->items, cap * sizeof *n);
        if (!n)
            return -1;
        f->items = n;
        f->cap = cap;
    }
    f->items[f->nitems++] = *v;
    return 0;
}

/* The `data` array: each element's span goes to f->items. */
static int scan_data_array(struct scan *s, struct bj_frame *f)
{
    const char *start = s->p;
    s->p++; /* '[' */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
    } else {
        for (;;) {
            struct bj_value el;
            if (scan_value(s, 2, &el) < 0)
                return -1;
            if (push_item(f, &el) < 0)
                return fail(s, "out_of_memory");
            skip_ws(s);
            if (s->p >= s->end)
                return fail(s, BJ_WHY_TRUNCATED);
            char c = *s->p++;
            if (c == ']')
                break;
            if (c != ',')
                return fail(s, BJ_WHY_INVALID);
        }
    }
    f->data.p = start;
    f->data.n = (size_t)(s->p - start);
    f->data.kind = BJ_ARRAY;
    return 0;
}

/* Which recorded field a top-level key names, or NULL. */
static struct bj_value *field_for(struct bj_frame *f, const char *k, size_t n)
{
#define KEY(lit, field)                                                        \
    if (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)                        \
        return &f->field;
    switch (n) {
    case 2:
        KEY("ts", ts);
        KEY("id", id);
        KEY("op", op);
        break;
    case 3:
        KEY("cts", cts);
        break;
    case 4:
        KEY("type", type);
        KEY("data", data);
        break;
    case 5:
        KEY("topic", topic);
        break;
    case 6:
        KEY("req_id", req_id);
        break;
    case 7:
        KEY("success", success);
        KEY("ret_msg", ret_msg);
        KEY("retCode", ret_code);
        break;
    case 12:
        KEY("creationTime", creation_time);
        break;
    }
#undef KEY
    return NULL;
}

int bj_scan_frame(struct bj_frame *f, const char *buf, size_t len,
                  const char **why)
{
    struct bj_value *items = f->items;
    size_t cap = f->cap;
    memset(f, 0, sizeof *f);
    f->items = items;
    f->cap = cap;

    struct scan s = {buf, buf + len, NULL};
    skip_ws(&s);
    if (s.p >= s.end) {
        fail(&s, BJ_WHY_TRUNCATED);
        goto bad;
    }
    if (*s.p != '{') {
        /* a valid non-object is the wrong shape; garbage is invalid */
        if (bj_validate(buf, len, why) == 0)
            *why = BJ_WHY_SHAPE;
        return -1;
    }
    s.p++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            skip_ws(&s);
            if (s.p >= s.end) {
                fail(&s, BJ_WHY_TRUNCATED);
                goto bad;
            }
            if (*s.p != '"') {
                fail(&s, BJ_WHY_INVALID);
                goto bad;
            }
            const char *k = s.p + 1;
            if (scan_string(&s) < 0)
                goto bad;
            size_t kn = (size_t)(s.p - 1 - k);
            skip_ws(&s);
            if (s.p >= s.end) {
                fail(&s, BJ_WHY_TRUNCATED);
                goto bad;
            }
            if (*s.p++ != ':') {
                fail(&s, BJ_WHY_INVALID);
                goto bad;
            }
            struct bj_value *dst = field_for(f, k, kn);
            if (dst && dst->kind != BJ_NONE) {
                fail(&s, BJ_WHY_DUPLICATE);
                goto bad;
            }
            skip_ws(&s);
            if (dst == &f->data && s.p < s.end && *s.p == '[') {
                if (scan_data_array(&s, f) < 0)
                    goto bad;
            } else if (scan_value(&s, 1, dst) < 0) {
                goto bad;
            }
            skip_ws(&s);
            if (s.p >= s.end) {
                fail(&s, BJ_WHY_TRUNCATED);
                goto bad;
            }
            char c = *s.p++;
            if (c == '}')
                break;
            if (c != ',') {
                fail(&s, BJ_WHY_INVALID);
                goto bad;
            }
        }
    }
    skip_ws(&s);
    if (s.p != s.end) {
        fail(&s, BJ_WHY_INVALID);
        goto bad;
    }
    return 0;
bad:
    *why = s.why ? s.why : BJ_WHY_INVALID;
    return -1;
}

int bj_object_get(const struct bj_value *obj, const char *key,
                  struct bj_value *out)
{
    if (obj->kind != BJ_OBJECT)
        return 0;
    size_t klen = strlen(key);
    struct scan s = {obj->p + 1, obj->p + obj->n, NULL};
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}')
        return 0;
    while (s.p < s.end) {
        skip_ws(&s);
        if (s.p >= s.end || *s.p != '"')
            return 0;
        const char *k = s.p + 1;
        if (scan_string(&s) < 0)
            return 0;
        size_t kn = (size_t)(s.p - 1 - k);
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ':')
            return 0;
        struct bj_value v;
        if (scan_value(&s, 1, &v) < 0)
            return 0;
        if (kn == klen && memcmp(k, key, klen) == 0) {
            *out = v;
            return 1;
        }
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ',')
            return 0;
    }
    return 0;
}

int bj_array_each(const struct bj_value *arr,
                  int (*fn)(void *arg, const struct bj_value *el), void *arg)
{
    if (arr->kind != BJ_ARRAY)
        return 0;
    struct scan s = {arr->p + 1, arr->p + arr->n, NULL};
    skip_ws(&s);
    if (s.p < s.end && *s.p == ']')
        return 0;
    while (s.p < s.end) {
        struct bj_value el;
        if (scan_value(&s, 1, &el) < 0)
            return 0;
        int rc = fn(arg, &el);
        if (rc)
            return rc;
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ',')
            return 0;
    }
    return 0;
}

int bj_int64(const struct bj_value *v, int64_t *out)
{
    /* 18 digits always fit an int64_t */
    if (v->kind != BJ_NUMBER || v->n == 0 || v->n > 19)
        return -1;
    const char *p = v->p, *e = v->p + v->n;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p == e || e - p > 18)
        return -1;
    int64_t x = 0;
    for (; p < e; p++) {
        if (!is_digit(*p))
            return -1; /* fraction or exponent */
        x = x * 10 + (*p - '0');
    }
    *out = neg ? -x : x;
    return 0;
}

int bj_plain_string(const struct bj_value *v, const char **s, size_t *n)
{
    if (v->kind != BJ_STRING || v->n < 2)
        return -1;
    if (memchr(v->p + 1, '\\', v->n - 2))
        return -1;
    *s = v->p + 1;
    *n = v->n - 2;
    return 0;
}

int bj_string_is(const struct bj_value *v, const char *lit)
{
    const char *s;
    size_t n;
    if (bj_plain_string(v, &s, &n) < 0)
        return 0;
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}
