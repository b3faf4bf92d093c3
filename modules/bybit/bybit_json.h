/*
 * bybit_json.h — a small validating JSON scanner for the hot path.
 *
 * Bybit frames are routed as the bytes Bybit sent: the scanner checks that
 * a frame is one valid JSON text (RFC 8259, UTF-8) and reports where its
 * values are, so the normalizer can copy item bytes instead of parsing and
 * re-serializing them. Nothing is allocated except the growable item array
 * of struct bj_frame, which the caller reuses from frame to frame.
 *
 * Keys are compared as raw bytes between the quotes: a key written with
 * escapes never matches (Bybit never escapes keys).
 */
#ifndef BYBIT_JSON_H
#define BYBIT_JSON_H

#include <stddef.h>
#include <stdint.h>

enum bj_kind {
    BJ_NONE = 0, /* absent */
    BJ_OBJECT,
    BJ_ARRAY,
    BJ_STRING,
    BJ_NUMBER,
    BJ_TRUE,
    BJ_FALSE,
    BJ_NULL
};

/* One JSON value inside a buffer: p..p+n are its bytes (strings with their
 * quotes). Borrowed from the scanned buffer. */
struct bj_value {
    const char *p;
    size_t n;
    enum bj_kind kind;
};

/* Why a text was refused; static strings used as metric label values. */
#define BJ_WHY_INVALID   "invalid_json"
#define BJ_WHY_TRUNCATED "truncated"
#define BJ_WHY_DEPTH     "too_deep"
#define BJ_WHY_SHAPE     "wrong_shape"
#define BJ_WHY_DUPLICATE "duplicate_key"

/* Deepest nesting accepted (Bybit's deepest is 4). */
#define BJ_MAX_DEPTH 64

/*
 * What the scanner found at the top level of a frame. `items` holds the
 * elements of `data` when it is an array; it is owned by the struct and
 * grown as needed (bj_frame_free releases it).
 */
struct bj_frame {
    struct bj_value topic, type, ts, cts, data, id, creation_time;
    struct bj_value op, success, ret_msg, req_id, ret_code;
    struct bj_value *items;
    size_t nitems;
    size_t cap;
};

void bj_frame_free(struct bj_frame *f);

/*
 * Scan buf[0..len) as one JSON object and fill f (its previous results are
 * reset). Returns 0, or -1 with *why set to a BJ_WHY_* string when the text
 * is not valid JSON, is not an object, nests too deeply, repeats a key the
 * scanner records, or when memory for the item array ran out (then
 * BJ_WHY_INVALID is not the reason: "out_of_memory").
 */
int bj_scan_frame(struct bj_frame *f, const char *buf, size_t len,
                  const char **why);

/*
 * Validate buf[0..len) as exactly one JSON value (any kind, surrounding
 * whitespace allowed). Returns 0, or -1 with *why set.
 */
int bj_validate(const char *buf, size_t len, const char **why);

/*
 * Find member `key` of the object `obj` (which must be a valid JSON object,
 * e.g. a scanned item). Returns 1 and fills *out when found, 0 when not.
 */
int bj_object_get(const struct bj_value *obj, const char *key,
                  struct bj_value *out);

/*
 * Call fn(arg, element) for each element of the array `arr` (valid JSON).
 * Stops early and returns fn's value when it returns non-zero; else 0.
 */
int bj_array_each(const struct bj_value *arr,
                  int (*fn)(void *arg, const struct bj_value *el), void *arg);

/* An integer number value (no fraction or exponent) into *out: 0 or -1. */
int bj_int64(const struct bj_value *v, int64_t *out);

/*
 * The contents of a string value without its quotes, when it has no escape
 * sequences: *s and *n are set and 0 returned; -1 otherwise.
 */
int bj_plain_string(const struct bj_value *v, const char **s, size_t *n);

/* 1 when the string value v has exactly the contents `lit` (no escapes). */
int bj_string_is(const struct bj_value *v, const char *lit);

#endif
