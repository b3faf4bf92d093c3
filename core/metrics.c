/*
 * metrics.c — the process-wide metric registry and its Prometheus text
 * exposition (format 0.0.4).
 *
 * Families (one name, one type, one help) hold series (one label set).
 * Registration and rendering take the registry mutex; updates are relaxed
 * atomics on the series and never lock. Families and series are rendered
 * in registration order, each family's HELP and TYPE once.
 */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/core.h>
#include <wsgw/metrics.h>

#include "runtime_internal.h"

enum mtype { M_COUNTER, M_GAUGE, M_HISTOGRAM };

static const char *const TYPE_NAMES[] = {"counter", "gauge", "histogram"};

struct family {
    char *name;
    char *help;
    enum mtype type;
    struct wsgw_metric *first, *last;
    struct family *next;
};

struct wsgw_metric {
    struct family *fam;
    char *labels; /* canonical label text, "" when none */
    struct wsgw_metric *next;
    unsigned refs; /* registrations not yet unregistered */

    _Atomic uint64_t value; /* counter, or gauge as int64 bits            */
    double (*fn)(void *);   /* gauge computed at scrape time              */
    void *arg;

    size_t nbounds; /* histogram */
    double *bounds;
    _Atomic uint64_t *buckets; /* nbounds + 1, not cumulative            */
    _Atomic uint64_t sum_bits; /* a double                               */
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct family *families, *families_last;

/* ---- names and labels ---------------------------------------------------- */

static int name_valid(const char *s, int colon)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (colon && c == ':') || (p != s && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

size_t metrics_label_escape(char *out, size_t size, const char *value)
{
    size_t n = 0;

    for (const char *p = value; *p; p++) {
        const char *rep = NULL;
        char one[2] = {*p, '\0'};
        if (*p == '\\')
            rep = "\\\\";
        else if (*p == '"')
            rep = "\\\"";
        else if (*p == '\n')
            rep = "\\n";
        else
            rep = one;
        for (; *rep; rep++, n++)
            if (n + 1 < size)
                out[n] = *rep;
    }
    if (size)
        out[n < size ? n : size - 1] = '\0';
    return n;
}

/*
 * Parse label text `a="x",b="y"` and write its canonical form into out
 * (at least 2 * strlen(text) + 1 bytes): no spaces, no trailing comma,
 * values escaped exactly as the exposition format wants. 0 on a syntax
 * error, a bad or reserved name, a duplicate, or `le` in a histogram.
 */
static int labels_canonical(const char *text, char *out, int histogram)
{
    const char *p = text;
    char *o = out;
    char names[16][64];
    int nnames = 0;

    *o = '\0';
    if (!text)
        return 1;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *n0 = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               *p == '_' || (p != n0 && *p >= '0' && *p <= '9'))
            p++;
        size_t nlen = (size_t)(p - n0);
        if (nlen == 0 || nlen >= sizeof(names[0]) || nnames == 16)
            return 0;
        if (nlen >= 2 && n0[0] == '_' && n0[1] == '_')
            return 0; /* reserved */
        if (histogram && nlen == 2 && memcmp(n0, "le", 2) == 0)
            return 0;
        for (int i = 0; i < nnames; i++)
            if (strlen(names[i]) == nlen && memcmp(names[i], n0, nlen) == 0)
                return 0;
        memcpy(names[nnames], n0, nlen);
        names[nnames++][nlen] = '\0';
        while (*p == ' ')
            p++;
        if (*p++ != '=')
            return 0;
        while (*p == ' ')
            p++;
        if (*p++ != '"')
            return 0;
        if (o != out)
            *o++ = ',';
        memcpy(o, n0, nlen);
        o += nlen;
        *o++ = '=';
        *o++ = '"';
        for (;;) {
            if (!*p)
                return 0;
            if (*p == '"') {
                p++;
                break;
            }
            if (*p == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n')) {
                *o++ = *p++;
                *o++ = *p++;
            } else if (*p == '\\') {
                *o++ = '\\';
                *o++ = '\\';
                p++;
            } else if (*p == '\n') {
                *o++ = '\\';
                *o++ = 'n';
                p++;
            } else {
                *o++ = *p++;
            }
        }
        *o++ = '"';
        while (*p == ' ')
            p++;
        if (*p && *p != ',')
            return 0;
    }
    *o = '\0';
    return 1;
}

/* ---- registration ------------------------------------------------------ */

static struct family *family_find(const char *name)
{
    for (struct family *f = families; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static void metric_free(struct wsgw_metric *m)
{
    free(m->labels);
    free(m->bounds);
    free((void *)m->buckets);
    free(m);
}

/*
 * Find or create the series (name, labels). For histograms, bounds must
 * be ascending; for gauge_fn, fn is set. Returns NULL (logged) on a
 * programming error or out of memory.
 */
static struct wsgw_metric *metric_get(const char *name, const char *help,
                                      const char *labels, enum mtype type,
                                      const double *bounds, size_t nbounds,
                                      double (*fn)(void *), void *arg)
{
    char fullname[256];
    char *canon;
    struct family *f;
    struct wsgw_metric *m = NULL;

    if (!name_valid(name, 1) || strlen(name) + 7 > sizeof(fullname)) {
        wsgw_log(NULL, WSGW_LOG_ERROR, "metric name '%s' is invalid",
                 name ? name : "(null)");
        return NULL;
    }
    /* Counters are exposed with the conventional suffix in every case, so
     * wsgw_counter("x") and wsgw_counter("x_total") are one counter. */
    size_t nl = strlen(name);
    if (type == M_COUNTER && (nl < 6 || strcmp(name + nl - 6, "_total") != 0))
        snprintf(fullname, sizeof(fullname), "%s_total", name);
    else
        snprintf(fullname, sizeof(fullname), "%s", name);

    for (size_t i = 0; type == M_HISTOGRAM && i < nbounds; i++) {
        if (isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
            wsgw_log(NULL, WSGW_LOG_ERROR,
                     "metric %s: histogram bounds must ascend", fullname);
            return NULL;
        }
    }

    canon = malloc(labels ? 2 * strlen(labels) + 1 : 1);
    if (!canon)
        return NULL;
    if (!labels_canonical(labels, canon, type == M_HISTOGRAM)) {
        wsgw_log(NULL, WSGW_LOG_ERROR, "metric %s: invalid labels '%s'",
                 fullname, labels);
        free(canon);
        return NULL;
    }

    pthread_mutex_lock(&reg_mu);
    f = family_find(fullname);
    if (f && f->type != type) {
        pthread_mutex_unlock(&reg_mu);
        wsgw_log(NULL, WSGW_LOG_ERROR,
                 "metric %s exists as a %s, asked for a %s", fullname,
                 TYPE_NAMES[f->type], TYPE_NAMES[type]);
        free(canon);
        return NULL;
    }
    if (f) {
        for (m = f->first; m; m = m->next)
            if (strcmp(m->labels, canon) == 0)
                break;
    }
    if (m) {
        free(canon);
        if ((fn != NULL) != (m->fn != NULL)) {
            pthread_mutex_unlock(&reg_mu);
            wsgw_log(NULL, WSGW_LOG_ERROR,
                     "metric %s{%s}: a plain gauge and a computed one",
                     fullname, m->labels);
            return NULL;
        }
        if (fn) { /* the newest owner's callback is the one that lives */
            m->fn = fn;
            m->arg = arg;
        }
        m->refs++;
        pthread_mutex_unlock(&reg_mu);
        return m;
    }

    if (!f) {
        f = calloc(1, sizeof(*f));
        if (!f)
            goto oom;
        f->name = strdup(fullname);
        /* promtool wants help text; a missing one still says something. */
        f->help = strdup(help && *help ? help : fullname);
        f->type = type;
        if (!f->name || !f->help) {
            free(f->name);
            free(f->help);
            free(f);
            goto oom;
        }
        if (families_last)
            families_last->next = f;
        else
            families = f;
        families_last = f;
    }

    m = calloc(1, sizeof(*m));
    if (!m)
        goto oom;
    m->fam = f;
    m->labels = canon;
    canon = NULL;
    m->refs = 1;
    m->fn = fn;
    m->arg = arg;
    if (type == M_HISTOGRAM) {
        m->nbounds = nbounds;
        m->bounds = malloc((nbounds ? nbounds : 1) * sizeof(double));
        m->buckets = calloc(nbounds + 1, sizeof(*m->buckets));
        if (!m->bounds || !m->buckets) {
            metric_free(m);
            goto oom;
        }
        if (nbounds)
            memcpy(m->bounds, bounds, nbounds * sizeof(double));
    }
    if (f->last)
        f->last->next = m;
    else
        f->first = m;
    f->last = m;
    pthread_mutex_unlock(&reg_mu);
    return m;

oom:
    pthread_mutex_unlock(&reg_mu);
    free(canon);
    return NULL;
}

struct wsgw_metric *wsgw_counter(const char *name, const char *help,
                                 const char *labels)
{
    return metric_get(name, help, labels, M_COUNTER, NULL, 0, NULL, NULL);
}

struct wsgw_metric *wsgw_gauge(const char *name, const char *help,
                               const char *labels)
{
    return metric_get(name, help, labels, M_GAUGE, NULL, 0, NULL, NULL);
}

struct wsgw_metric *wsgw_histogram(const char *name, const char *help,
                                   const char *labels, const double *bounds,
                                   size_t n)
{
    if (n && !bounds)
        return NULL;
    /* A +Inf bound is the implied bucket; accept and drop it. */
    while (n && isinf(bounds[n - 1]) && bounds[n - 1] > 0)
        n--;
    return metric_get(name, help, labels, M_HISTOGRAM, bounds, n, NULL, NULL);
}

struct wsgw_metric *wsgw_gauge_fn(const char *name, const char *help,
                                  const char *labels, double (*fn)(void *arg),
                                  void *arg)
{
    if (!fn)
        return NULL;
    return metric_get(name, help, labels, M_GAUGE, NULL, 0, fn, arg);
}

void wsgw_metric_unregister(struct wsgw_metric *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&reg_mu);
    if (--m->refs > 0) {
        pthread_mutex_unlock(&reg_mu);
        return;
    }
    struct family *f = m->fam;
    struct wsgw_metric *prev = NULL;
    for (struct wsgw_metric *x = f->first; x; prev = x, x = x->next) {
        if (x != m)
            continue;
        if (prev)
            prev->next = m->next;
        else
            f->first = m->next;
        if (f->last == m)
            f->last = prev;
        break;
    }
    pthread_mutex_unlock(&reg_mu);
    metric_free(m);
}

void metrics_free_all(void)
{
    pthread_mutex_lock(&reg_mu);
    struct family *f = families;
    families = families_last = NULL;
    pthread_mutex_unlock(&reg_mu);

    while (f) {
        struct family *next = f->next;
        for (struct wsgw_metric *m = f->first, *mn; m; m = mn) {
            mn = m->next;
            metric_free(m);
        }
        free(f->name);
        free(f->help);
        free(f);
        f = next;
    }
}

/* ---- updates ------------------------------------------------------------ */

void wsgw_counter_add(struct wsgw_metric *m, uint64_t n)
{
    if (m)
        atomic_fetch_add_explicit(&m->value, n, memory_order_relaxed);
}

void wsgw_gauge_set(struct wsgw_metric *m, int64_t v)
{
    if (m)
        atomic_store_explicit(&m->value, (uint64_t)v, memory_order_relaxed);
}

void wsgw_gauge_add(struct wsgw_metric *m, int64_t delta)
{
    /* Two's complement: adding the unsigned image subtracts too. */
    if (m)
        atomic_fetch_add_explicit(&m->value, (uint64_t)delta,
                                  memory_order_relaxed);
}

static uint64_t dbl_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bits_dbl(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

void wsgw_histogram_observe(struct wsgw_metric *m, double v)
{
    size_t i = 0;

    if (!m || !m->buckets || isnan(v))
        return;
    while (i < m->nbounds && v > m->bounds[i])
        i++;
    atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);

    uint64_t old = atomic_load_explicit(&m->sum_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(
        &m->sum_bits, &old, dbl_bits(bits_dbl(old) + v), memory_order_relaxed,
        memory_order_relaxed))
        ;
}

int64_t wsgw_metric_value(const struct wsgw_metric *m)
{
    if (!m)
        return 0;
    if (m->fn)
        return (int64_t)m->fn(m->arg);
    if (m->buckets) {
        uint64_t n = 0;
        for (size_t i = 0; i <= m->nbounds; i++)
            n += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
        return (int64_t)n;
    }
    return (int64_t)atomic_load_explicit(&m->value, memory_order_relaxed);
}

/* ---- exposition --------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
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
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Shortest text that reads back as the same double; Prometheus spells
 * infinities and NaN its own way. */
static void fmt_double(char *out, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(out, size, "NaN");
    } else if (isinf(v)) {
        snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(out, size, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
}

static void help_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_add(b, "\\\\", 2);
        else if (*s == '\n')
            buf_add(b, "\\n", 2);
        else
            buf_add(b, s, 1);
    }
}

/* name{labels[,extra]} value\n */
static void sample(struct buf *b, const char *name, const char *suffix,
                   const char *labels, const char *extra, const char *value)
{
    buf_str(b, name);
    buf_str(b, suffix);
    if (*labels || extra) {
        buf_add(b, "{", 1);
        buf_str(b, labels);
        if (extra) {
            if (*labels)
                buf_add(b, ",", 1);
            buf_str(b, extra);
        }
        buf_add(b, "}", 1);
    }
    buf_add(b, " ", 1);
    buf_str(b, value);
    buf_add(b, "\n", 1);
}

static void render_histogram(struct buf *b, const struct family *f,
                             const struct wsgw_metric *m)
{
    char v[64], le[80];
    uint64_t cum = 0;

    for (size_t i = 0; i <= m->nbounds; i++) {
        cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
        if (i < m->nbounds) {
            fmt_double(v, sizeof(v), m->bounds[i]);
            snprintf(le, sizeof(le), "le=\"%s\"", v);
        } else {
            snprintf(le, sizeof(le), "le=\"+Inf\"");
        }
        snprintf(v, sizeof(v), "%llu", (unsigned long long)cum);
        sample(b, f->name, "_bucket", m->labels, le, v);
    }
    fmt_double(
        v, sizeof(v),
        bits_dbl(atomic_load_explicit(&m->sum_bits, memory_order_relaxed)));
    sample(b, f->name, "_sum", m->labels, NULL, v);
    /* The +Inf bucket, so that _count always equals it. */
    snprintf(v, sizeof(v), "%llu", (unsigned long long)cum);
    sample(b, f->name, "_count", m->labels, NULL, v);
}

char *wsgw_metrics_render(size_t *len)
{
    struct buf b = {0};
    char v[64];

    buf_add(&b, "", 0); /* an empty registry is an empty string */
    pthread_mutex_lock(&reg_mu);
    for (struct family *f = families; f; f = f->next) {
        if (!f->first)
            continue;
        buf_str(&b, "# HELP ");
        buf_str(&b, f->name);
        buf_add(&b, " ", 1);
        help_escaped(&b, f->help);
        buf_str(&b, "\n# TYPE ");
        buf_str(&b, f->name);
        buf_add(&b, " ", 1);
        buf_str(&b, TYPE_NAMES[f->type]);
        buf_add(&b, "\n", 1);
        for (struct wsgw_metric *m = f->first; m; m = m->next) {
            uint64_t raw =
                atomic_load_explicit(&m->value, memory_order_relaxed);
            switch (f->type) {
            case M_COUNTER:
                snprintf(v, sizeof(v), "%llu", (unsigned long long)raw);
                sample(&b, f->name, "", m->labels, NULL, v);
                break;
            case M_GAUGE:
                if (m->fn)
                    fmt_double(v, sizeof(v), m->fn(m->arg));
                else
                    snprintf(v, sizeof(v), "%lld", (long long)(int64_t)raw);
                sample(&b, f->name, "", m->labels, NULL, v);
                break;
            case M_HISTOGRAM:
                render_histogram(&b, f, m);
                break;
            }
        }
    }
    pthread_mutex_unlock(&reg_mu);

    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}
