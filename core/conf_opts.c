/*
 * conf_opts.c — option tables against the node tree (wsgw/conf.h):
 * the node accessors, wsgw_conf_parse_scalar, wsgw_conf_apply and
 * conf_release.
 *
 * Errors follow nginx: a setter says what it expected and what it got in
 * a short phrase; wsgw_conf_apply adds "FILE:LINE:COL: option 'name': ".
 * A value is shown back only when it came literally from the file and its
 * option is not secret: secrets read "<secret>", and interpolated values
 * are named by their ${...} source, never by what the environment held.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_node.h"
#include "conf_tree.h"

#define MS_SECOND 1000LL
#define MS_MINUTE (60 * MS_SECOND)
#define MS_HOUR   (60 * MS_MINUTE)
#define MS_DAY    (24 * MS_HOUR)

/* Longest piece of a value quoted back in an error. */
#define QUOTE_MAX 64

/* ---- accessors -------------------------------------------------------- */

enum wsgw_conf_kind wsgw_conf_kind(const struct wsgw_conf_node *n)
{
    return n ? n->kind : WSGW_CONF_SCALAR;
}

const char *wsgw_conf_scalar(const struct wsgw_conf_node *n)
{
    return n != NULL && n->kind == WSGW_CONF_SCALAR ? n->text : NULL;
}

const struct wsgw_conf_node *wsgw_conf_get(const struct wsgw_conf_node *n,
                                           const char *key)
{
    if (n == NULL || n->kind != WSGW_CONF_MAP || key == NULL)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->keys[i]->text, key) == 0)
            return n->vals[i];
    return NULL;
}

size_t wsgw_conf_len(const struct wsgw_conf_node *n)
{
    return n != NULL && n->kind != WSGW_CONF_SCALAR ? n->n : 0;
}

const struct wsgw_conf_node *wsgw_conf_at(const struct wsgw_conf_node *n,
                                          size_t i, const char **key)
{
    if (key != NULL)
        *key = NULL;
    if (n == NULL || n->kind == WSGW_CONF_SCALAR || i >= n->n)
        return NULL;
    if (key != NULL && n->kind == WSGW_CONF_MAP)
        *key = n->keys[i]->text;
    return n->vals[i];
}

const char *wsgw_conf_where(const struct wsgw_conf_node *n)
{
    static _Thread_local char buf[4200];

    if (n == NULL)
        return "(unknown location)";
    snprintf(buf, sizeof(buf), "%s:%d:%d", n->file, n->line, n->col);
    return buf;
}

/* ---- scalar parsing --------------------------------------------------- */

#define PHRASE_INT      "expected an integer"
#define PHRASE_BOOL     "expected true or false (also yes/no, on/off)"
#define PHRASE_DURATION "expected a duration such as 20s or 500ms"
#define PHRASE_SIZE     "expected a size such as 512, 64KiB or 16MiB"

/* Decimal digits at *p into *v; 0 ok, -1 no digit, -2 over INT64_MAX. */
static int parse_digits(const char **p, uint64_t limit, uint64_t *v)
{
    const char *s = *p;

    *v = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*v > (limit - d) / 10)
            return -2;
        *v = *v * 10 + d;
    }
    *p = s;
    return 0;
}

static int parse_int(const char *s, int64_t *out, struct wsgw_err *err)
{
    int neg = 0;
    uint64_t v;

    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    switch (parse_digits(&s, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &v)) {
    case -2:
        return conf_err(err, "expected an integer that fits in 64 bits");
    case -1:
        return conf_err(err, PHRASE_INT);
    }
    if (*s != '\0')
        return conf_err(err, PHRASE_INT);
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return WSGW_OK;
}

static const struct unit {
    const char *name;
    int64_t mult;
} duration_units[] = {
    {"ms", 1},      {"s", MS_SECOND}, {"m", MS_MINUTE},
    {"h", MS_HOUR}, {"d", MS_DAY},    {NULL, 0},
};

static const struct unit size_units[] = {
    {"B", 1},
    {"KB", 1000LL},
    {"MB", 1000LL * 1000},
    {"GB", 1000LL * 1000 * 1000},
    {"TB", 1000LL * 1000 * 1000 * 1000},
    {"KiB", 1LL << 10},
    {"MiB", 1LL << 20},
    {"GiB", 1LL << 30},
    {"TiB", 1LL << 40},
    {NULL, 0},
};

/* The unit at *p (longest letters run), case-sensitive or not. */
static const struct unit *parse_unit(const char **p, const struct unit *units,
                                     int nocase)
{
    const char *s = *p;
    size_t n = 0;

    while (isalpha((unsigned char)s[n]))
        n++;
    for (const struct unit *u = units; n > 0 && u->name != NULL; u++) {
        if (strlen(u->name) == n && (nocase ? strncasecmp(s, u->name, n)
                                            : strncmp(s, u->name, n)) == 0) {
            *p = s + n;
            return u;
        }
    }
    return NULL;
}

/*
 * "250ms", "20s", "5m", "1h", "1d", "1h30m", or a bare number of seconds.
 * A space may separate a number from its unit.
 */
static int parse_duration(const char *s, int64_t *out, struct wsgw_err *err)
{
    int64_t total = 0;
    int parts = 0;

    do {
        const struct unit *u;
        uint64_t v;
        int rc = parse_digits(&s, INT64_MAX, &v), space;

        if (rc == -2)
            return conf_err(err, PHRASE_DURATION " (this one is too long)");
        if (rc == -1)
            return conf_err(err, PHRASE_DURATION);
        space = *s == ' ';
        while (*s == ' ')
            s++;
        u = parse_unit(&s, duration_units, 0);
        if (u == NULL) {
            /* Only a lone bare number means seconds: "1h30" is a typo. */
            if (*s != '\0' || parts > 0 || space)
                return conf_err(err, PHRASE_DURATION);
            u = &duration_units[1];
        }
        if (v > (uint64_t)((INT64_MAX - total) / u->mult))
            return conf_err(err, PHRASE_DURATION " (this one is too long)");
        total += (int64_t)v * u->mult;
        parts++;
        if (*s == ' ') {
            /* A space may only separate parts: "1m 30s", not "20s ". */
            while (*s == ' ')
                s++;
            if (!isdigit((unsigned char)*s))
                return conf_err(err, PHRASE_DURATION);
        }
    } while (*s != '\0');
    *out = total;
    return WSGW_OK;
}

/* "512", "64KiB", "16MiB", "1GiB", "64KB", "1MB" (units in any case). */
static int parse_size(const char *s, int64_t *out, struct wsgw_err *err)
{
    const struct unit *u = &size_units[0];
    uint64_t v;
    int rc = parse_digits(&s, INT64_MAX, &v);

    if (rc == -2)
        return conf_err(err, PHRASE_SIZE " (this one is too large)");
    if (rc == -1)
        return conf_err(err, PHRASE_SIZE);
    if (*s == ' ') {
        while (*s == ' ')
            s++;
        if (*s == '\0') /* "64 " */
            return conf_err(err, PHRASE_SIZE);
    }
    if (*s != '\0') {
        u = parse_unit(&s, size_units, 1);
        if (u == NULL || *s != '\0')
            return conf_err(err, PHRASE_SIZE);
    }
    if (v > (uint64_t)(INT64_MAX / u->mult))
        return conf_err(err, PHRASE_SIZE " (this one is too large)");
    *out = (int64_t)v * u->mult;
    return WSGW_OK;
}

static int parse_bool(const char *s, int64_t *out, struct wsgw_err *err)
{
    static const char *const yes[] = {"true", "yes", "on", NULL};
    static const char *const no[] = {"false", "no", "off", NULL};

    for (int i = 0; yes[i] != NULL; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return WSGW_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return WSGW_OK;
        }
    }
    return conf_err(err, PHRASE_BOOL);
}

int wsgw_conf_parse_scalar(enum wsgw_opt_type type, const char *text,
                           int64_t *out, struct wsgw_err *err)
{
    int64_t v = 0;
    int rc;

    if (text == NULL)
        return conf_err(err, "expected a value");
    switch (type) {
    case WSGW_OPT_STR:
        rc = WSGW_OK;
        break;
    case WSGW_OPT_INT:
        rc = parse_int(text, &v, err);
        break;
    case WSGW_OPT_BOOL:
        rc = parse_bool(text, &v, err);
        break;
    case WSGW_OPT_DURATION:
        rc = parse_duration(text, &v, err);
        break;
    case WSGW_OPT_SIZE:
        rc = parse_size(text, &v, err);
        break;
    default:
        return conf_err(err, "this option type needs its table row: use "
                             "wsgw_conf_apply()");
    }
    if (rc == WSGW_OK && out != NULL && type != WSGW_OPT_STR)
        *out = v;
    return rc;
}

/* ---- error wording ---------------------------------------------------- */

/* s in single quotes, control characters escaped, cut at QUOTE_MAX. */
static void quote(const char *s, char *buf, size_t sz)
{
    size_t o = 0, i;

    buf[o++] = '\'';
    /* Cut only between UTF-8 characters. */
    for (i = 0; s[i] != '\0' && o + 8 < sz &&
                (i < QUOTE_MAX || ((unsigned char)s[i] & 0xC0) == 0x80);
         i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(buf + o, sz - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (s[i] != '\0' && o + 5 < sz) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
}

/* What value `v` is, safe to print: ", got ..." follows the phrase. */
static void got_words(const struct wsgw_option *o,
                      const struct wsgw_conf_node *v, char *buf, size_t sz)
{
    char q[QUOTE_MAX * 4 + 16];

    if (v->kind != WSGW_CONF_SCALAR) {
        snprintf(buf, sz, "%s", conf_kind_words(v));
    } else if (v->text[0] == '\0') {
        snprintf(buf, sz, "an empty value");
    } else if (o != NULL && (o->flags & WSGW_OPT_SECRET)) {
        snprintf(buf, sz, "<secret>");
    } else if (v->interpolated) {
        quote(v->raw, q, sizeof(q));
        snprintf(buf, sz, "%s (from the environment; value not shown)", q);
    } else {
        quote(v->text, q, sizeof(q));
        snprintf(buf, sz, "%s", q);
    }
}

/* A duration or size in the largest unit that divides it. */
static void human(enum wsgw_opt_type type, int64_t v, char *buf, size_t sz)
{
    static const struct unit dur[] = {
        {"d", MS_DAY}, {"h", MS_HOUR}, {"m", MS_MINUTE}, {"s", MS_SECOND}};
    static const struct unit size[] = {{"TiB", 1LL << 40},
                                       {"GiB", 1LL << 30},
                                       {"MiB", 1LL << 20},
                                       {"KiB", 1LL << 10}};
    const struct unit *u = type == WSGW_OPT_DURATION ? dur : size;
    const char *last = type == WSGW_OPT_DURATION ? "ms" : "";

    for (int i = 0; i < 4 && v != 0; i++) {
        if (v % u[i].mult == 0) {
            snprintf(buf, sz, "%lld%s", (long long)(v / u[i].mult), u[i].name);
            return;
        }
    }
    snprintf(buf, sz, "%lld%s", (long long)v, last);
}

/* "expected an integer between 1 and 10" and the like. */
static void expected_bounded(const struct wsgw_option *o, char *buf, size_t sz)
{
    const char *what = o->type == WSGW_OPT_INT        ? "an integer"
                       : o->type == WSGW_OPT_DURATION ? "a duration"
                                                      : "a size";
    char lo[32], hi[32];

    human(o->type, o->min, lo, sizeof(lo));
    human(o->type, o->max, hi, sizeof(hi));
    if (o->type == WSGW_OPT_INT) {
        snprintf(lo, sizeof(lo), "%lld", (long long)o->min);
        snprintf(hi, sizeof(hi), "%lld", (long long)o->max);
    }
    if (o->max == INT64_MAX)
        snprintf(buf, sz, "expected %s of at least %s", what, lo);
    else if (o->min == INT64_MIN)
        snprintf(buf, sz, "expected %s of at most %s", what, hi);
    else
        snprintf(buf, sz, "expected %s between %s and %s", what, lo, hi);
}

/* "expected ..." for an option as a whole (missing required). */
static void expected_words(const struct wsgw_option *o, char *buf, size_t sz)
{
    size_t n;

    switch (o->type) {
    case WSGW_OPT_STR:
        snprintf(buf, sz, "expected a string");
        break;
    case WSGW_OPT_INT:
    case WSGW_OPT_DURATION:
    case WSGW_OPT_SIZE:
        if (o->min < o->max)
            expected_bounded(o, buf, sz);
        else
            snprintf(buf, sz, "%s",
                     o->type == WSGW_OPT_INT        ? PHRASE_INT
                     : o->type == WSGW_OPT_DURATION ? PHRASE_DURATION
                                                    : PHRASE_SIZE);
        break;
    case WSGW_OPT_BOOL:
        snprintf(buf, sz, PHRASE_BOOL);
        break;
    case WSGW_OPT_ENUM:
        n = (size_t)snprintf(buf, sz, "expected one of");
        for (size_t i = 0; o->choices[i] != NULL && n < sz; i++)
            n += (size_t)snprintf(buf + n, sz - n, "%s %s", i == 0 ? ":" : ",",
                                  o->choices[i]);
        break;
    case WSGW_OPT_STRLIST:
        snprintf(buf, sz, "expected a string or a list of strings");
        break;
    default:
        snprintf(buf, sz, "expected a value");
        break;
    }
}

/* Optimal string alignment distance, case-insensitive, capped at 3. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int d[34][34];

    if (la > 32 || lb > 32)
        return 3;
    if ((la > lb ? la - lb : lb - la) > 2)
        return 3;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            int best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb] > 3 ? 3 : d[la][lb];
}

const char *conf_closest(const char *word, const char *const *names,
                         size_t nnames)
{
    const char *best = NULL;
    int bestd = 3;

    for (size_t i = 0; i < nnames; i++) {
        int d = edit_distance(word, names[i]);
        if (d < bestd && (size_t)d < strlen(names[i])) {
            best = names[i];
            bestd = d;
        }
    }
    return best;
}

static int fail_node(struct wsgw_err *err, const struct wsgw_conf_node *at,
                     const char *opt, const char *what)
{
    const char *where = at != NULL ? wsgw_conf_where(at) : NULL;

    if (where != NULL && opt != NULL)
        return conf_err(err, "%s: option '%s': %s", where, opt, what);
    if (where != NULL)
        return conf_err(err, "%s: %s", where, what);
    if (opt != NULL)
        return conf_err(err, "option '%s': %s", opt, what);
    return conf_err(err, "%s", what);
}

/* ---- setters ---------------------------------------------------------- */

/*
 * Store node `v` as option `o` into `out`. On error returns WSGW_ERR with
 * err->msg = "expected ..., got ..." and *at = the node to blame.
 */
static int set_value(const struct wsgw_option *o,
                     const struct wsgw_conf_node *v, void *out,
                     const struct wsgw_conf_node **at, struct wsgw_err *err)
{
    char *field = (char *)out + o->offset;
    char got[QUOTE_MAX * 4 + 64], exp[400];
    struct wsgw_err why;
    int64_t num;
    int iv;

    *at = v;
    if (o->type == WSGW_OPT_NODE) {
        memcpy(field, &v, sizeof(v));
        return WSGW_OK;
    }
    got_words(o, v, got, sizeof(got));

    if (o->type == WSGW_OPT_STRLIST) {
        struct wsgw_strlist l = {0, NULL};

        if (v->kind == WSGW_CONF_MAP)
            return conf_err(err,
                            "expected a string or a list of strings, "
                            "got %s",
                            got);
        if (v->kind == WSGW_CONF_SEQ) {
            for (size_t i = 0; i < v->n; i++) {
                if (v->vals[i]->kind != WSGW_CONF_SCALAR) {
                    *at = v->vals[i];
                    return conf_err(err,
                                    "expected a list of strings, got %s "
                                    "as item %zu",
                                    conf_kind_words(v->vals[i]), i + 1);
                }
            }
        }
        /* One scalar is a list of one; an empty one is an empty list. */
        l.n = v->kind == WSGW_CONF_SEQ ? v->n : v->text[0] != '\0';
        if (l.n > 0) {
            l.v = calloc(l.n, sizeof(*l.v));
            if (l.v == NULL)
                return conf_err(err, "out of memory");
        }
        for (size_t i = 0; i < l.n; i++) {
            const char *s =
                v->kind == WSGW_CONF_SEQ ? v->vals[i]->text : v->text;
            l.v[i] = strdup(s);
            if (l.v[i] == NULL) {
                struct wsgw_strlist tmp = l;
                for (size_t k = 0; k < i; k++)
                    free(tmp.v[k]);
                free(tmp.v);
                return conf_err(err, "out of memory");
            }
        }
        memcpy(field, &l, sizeof(l));
        return WSGW_OK;
    }

    if (v->kind != WSGW_CONF_SCALAR) {
        expected_words(o, exp, sizeof(exp));
        return conf_err(err, "%s, got %s", exp, got);
    }

    switch (o->type) {
    case WSGW_OPT_STR: {
        char *s;
        if ((o->flags & WSGW_OPT_REQUIRED) && v->text[0] == '\0')
            return conf_err(err, "expected a non-empty string, got %s", got);
        s = strdup(v->text);
        if (s == NULL)
            return conf_err(err, "out of memory");
        memcpy(field, &s, sizeof(s));
        return WSGW_OK;
    }
    case WSGW_OPT_ENUM:
        for (int i = 0; o->choices[i] != NULL; i++) {
            if (strcmp(o->choices[i], v->text) == 0) {
                memcpy(field, &i, sizeof(i));
                return WSGW_OK;
            }
        }
        expected_words(o, exp, sizeof(exp));
        if (!(o->flags & WSGW_OPT_SECRET) && !v->interpolated) {
            size_t n = 0;
            const char *hint;
            while (o->choices[n] != NULL)
                n++;
            hint = conf_closest(v->text, (const char *const *)o->choices, n);
            if (hint != NULL)
                return conf_err(err, "%s, got %s; did you mean '%s'?", exp, got,
                                hint);
        }
        return conf_err(err, "%s, got %s", exp, got);
    case WSGW_OPT_BOOL:
        if (wsgw_conf_parse_scalar(o->type, v->text, &num, &why) != WSGW_OK)
            return conf_err(err, "%s, got %s", why.msg, got);
        iv = (int)num;
        memcpy(field, &iv, sizeof(iv));
        return WSGW_OK;
    case WSGW_OPT_INT:
    case WSGW_OPT_DURATION:
    case WSGW_OPT_SIZE:
        if (wsgw_conf_parse_scalar(o->type, v->text, &num, &why) != WSGW_OK)
            return conf_err(err, "%s, got %s", why.msg, got);
        if (o->min < o->max && (num < o->min || num > o->max)) {
            expected_bounded(o, exp, sizeof(exp));
            return conf_err(err, "%s, got %s", exp, got);
        }
        memcpy(field, &num, sizeof(num));
        return WSGW_OK;
    default:
        return conf_err(err, "unknown option type %d", (int)o->type);
    }
}

/* The default of `o` parsed like input; a bad one is the module's bug. */
static int set_default(const struct wsgw_option *o, void *out,
                       const struct wsgw_conf_node *map, struct wsgw_err *err)
{
    const struct wsgw_conf_node *at;
    struct wsgw_conf_node tmp, *tree = NULL;
    const struct wsgw_conf_node *v = &tmp;
    struct wsgw_err why;
    int rc;

    if (o->type == WSGW_OPT_STRLIST) {
        /* A list default is YAML too: "[a, b]" or "a". */
        size_t len = strlen(o->def) + 4;
        char *text = malloc(len);
        if (text == NULL)
            return conf_err(err, "out of memory");
        snprintf(text, len, "v: %s", o->def);
        tree = conf_load_string("default", text, strlen(text), &why);
        free(text);
        v = tree != NULL ? wsgw_conf_get(tree, "v") : NULL;
        if (v == NULL) {
            conf_free(tree);
            rc = WSGW_ERR;
            goto bad;
        }
    } else {
        memset(&tmp, 0, sizeof(tmp));
        tmp.kind = WSGW_CONF_SCALAR;
        tmp.text = (char *)o->def;
        tmp.null = o->def[0] == '\0';
    }
    rc = set_value(o, v, out, &at, &why);
    conf_free(tree);
    if (rc == WSGW_OK)
        return WSGW_OK;
bad : {
    char what[2 * sizeof(err->msg)];
    snprintf(what, sizeof(what),
             "invalid default \"%s\" in the option table (a bug in the "
             "module): %s",
             (o->flags & WSGW_OPT_SECRET) ? "<secret>" : o->def, why.msg);
    return fail_node(err, map, o->name, what);
}
}

/* Free what set_value stored for `o` and zero the field. */
static void release_one(const struct wsgw_option *o, void *out)
{
    char *field = (char *)out + o->offset;

    if (o->type == WSGW_OPT_STR) {
        char *s;
        memcpy(&s, field, sizeof(s));
        free(s);
        s = NULL;
        memcpy(field, &s, sizeof(s));
    } else if (o->type == WSGW_OPT_STRLIST) {
        struct wsgw_strlist l;
        memcpy(&l, field, sizeof(l));
        for (size_t i = 0; i < l.n; i++)
            free(l.v[i]);
        free(l.v);
        memset(field, 0, sizeof(l));
    }
}

void conf_release(const struct wsgw_option *opts, void *out)
{
    if (opts == NULL || out == NULL)
        return;
    for (const struct wsgw_option *o = opts; o->name != NULL; o++)
        release_one(o, out);
}

/* Zero the field of an absent option that has no default. */
static void set_zero(const struct wsgw_option *o, void *out)
{
    static const size_t sizes[] = {
        [WSGW_OPT_STR] = sizeof(char *),
        [WSGW_OPT_INT] = sizeof(int64_t),
        [WSGW_OPT_BOOL] = sizeof(int),
        [WSGW_OPT_DURATION] = sizeof(int64_t),
        [WSGW_OPT_SIZE] = sizeof(int64_t),
        [WSGW_OPT_ENUM] = sizeof(int),
        [WSGW_OPT_STRLIST] = sizeof(struct wsgw_strlist),
        [WSGW_OPT_NODE] = sizeof(const struct wsgw_conf_node *),
    };

    memset((char *)out + o->offset, 0, sizes[o->type]);
}

/* Programming errors in a table, found before any value is read. */
static int check_table(const struct wsgw_option *opts,
                       const struct wsgw_conf_node *map, struct wsgw_err *err)
{
    for (const struct wsgw_option *o = opts; o->name != NULL; o++) {
        const char *bug = NULL;

        if ((unsigned)o->type > WSGW_OPT_NODE)
            bug = "unknown option type in the option table (a bug in the "
                  "module)";
        else if (o->type == WSGW_OPT_ENUM &&
                 (o->choices == NULL || o->choices[0] == NULL))
            bug = "an ENUM option without choices in the option table (a "
                  "bug in the module)";
        else if (o->type == WSGW_OPT_NODE && o->def != NULL)
            bug = "a NODE option cannot have a default (a bug in the "
                  "module)";
        if (bug != NULL)
            return fail_node(err, map, o->name, bug);
    }
    return WSGW_OK;
}

static int unknown_key(const struct wsgw_conf_node *key,
                       const struct wsgw_option *opts,
                       const char *const *ignore, struct wsgw_err *err)
{
    const char *names[256];
    size_t n = 0, used = 0, fixed;
    char head[2 * sizeof(err->msg) + 4200], tail[200], list[sizeof(err->msg)];
    char q[QUOTE_MAX * 4 + 16];
    const char *hint;

    for (size_t i = 0; ignore != NULL && ignore[i] != NULL && n < 256; i++)
        names[n++] = ignore[i];
    for (const struct wsgw_option *o = opts; o->name != NULL && n < 256; o++)
        names[n++] = o->name;

    quote(key->text, q, sizeof(q));
    snprintf(head, sizeof(head), "%s: unknown option %s", wsgw_conf_where(key),
             q);
    hint = conf_closest(key->text, names, n);
    tail[0] = '\0';
    if (hint != NULL)
        snprintf(tail, sizeof(tail), "; did you mean '%.100s'?", hint);

    /* Fit the list between head and tail; cut it with "..." if needed. */
    fixed = strlen(head) + strlen(tail) + sizeof("; allowed: , ...");
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]) + (i ? 2 : 0);
        if (fixed + used + len >= sizeof(err->msg)) {
            snprintf(list + used, sizeof(list) - used, "%s...", i ? ", " : "");
            break;
        }
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                 i ? ", " : "", names[i]);
    }
    if (n == 0)
        snprintf(list, sizeof(list), "(none)");
    return conf_err(err, "%s; allowed: %s%s", head, list, tail);
}

static int ignored(const char *key, const char *const *ignore)
{
    for (size_t i = 0; ignore != NULL && ignore[i] != NULL; i++)
        if (strcmp(key, ignore[i]) == 0)
            return 1;
    return 0;
}

int wsgw_conf_apply(const struct wsgw_conf_node *n,
                    const struct wsgw_option *opts, const char *const *ignore,
                    void *out, struct wsgw_err *err)
{
    size_t nopts = 0;
    unsigned char *seen = NULL, *stored = NULL;
    const struct wsgw_conf_node *at;
    struct wsgw_err why;
    int rc = WSGW_ERR;

    if (opts == NULL || out == NULL)
        return conf_err(err, "wsgw_conf_apply: no option table or output");
    if (check_table(opts, n, err) != WSGW_OK)
        return WSGW_ERR;
    if (n != NULL && n->kind != WSGW_CONF_MAP &&
        !(n->kind == WSGW_CONF_SCALAR && n->null)) {
        char got[QUOTE_MAX * 4 + 64], what[sizeof(got) + 64];
        got_words(NULL, n, got, sizeof(got));
        snprintf(what, sizeof(what), "expected a map of options, got %s", got);
        return fail_node(err, n, NULL, what);
    }
    while (opts[nopts].name != NULL)
        nopts++;
    seen = calloc(nopts + 1, 1);
    stored = calloc(nopts + 1, 1);
    if (seen == NULL || stored == NULL) {
        conf_err(err, "out of memory");
        goto done;
    }

    for (size_t i = 0; n != NULL && n->kind == WSGW_CONF_MAP && i < n->n; i++) {
        const struct wsgw_conf_node *key = n->keys[i];
        size_t k;

        if (ignored(key->text, ignore))
            continue;
        for (k = 0; k < nopts; k++)
            if (strcmp(opts[k].name, key->text) == 0)
                break;
        if (k == nopts) {
            unknown_key(key, opts, ignore, err);
            goto done;
        }
        seen[k] = 1;
        if (set_value(&opts[k], n->vals[i], out, &at, &why) != WSGW_OK) {
            fail_node(err, at, opts[k].name, why.msg);
            goto done;
        }
        stored[k] = 1;
    }

    for (size_t k = 0; k < nopts; k++) {
        const struct wsgw_option *o = &opts[k];
        char exp[400], what[sizeof(exp) + 200];

        if (seen[k])
            continue;
        if (o->flags & WSGW_OPT_REQUIRED) {
            expected_words(o, exp, sizeof(exp));
            if (o->help != NULL)
                snprintf(what, sizeof(what), "is required: %s (%s)", exp,
                         o->help);
            else
                snprintf(what, sizeof(what), "is required: %s", exp);
            if (n != NULL)
                conf_err(err, "%s: option '%s' %s", wsgw_conf_where(n), o->name,
                         what);
            else
                conf_err(err, "option '%s' %s", o->name, what);
            goto done;
        }
        if (o->def == NULL) {
            set_zero(o, out);
            continue;
        }
        if (set_default(o, out, n, err) != WSGW_OK)
            goto done;
        stored[k] = 1;
    }
    rc = WSGW_OK;

done:
    if (rc != WSGW_OK && stored != NULL)
        for (size_t k = 0; k < nopts; k++)
            if (stored[k])
                release_one(&opts[k], out);
    free(seen);
    free(stored);
    return rc;
}

void wsgw_conf_release(const struct wsgw_option *opts, void *out)
{
    conf_release(opts, out);
}
