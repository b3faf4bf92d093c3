/*
 * util.c — errors, clocks, ISO-8601 times, ids and randomness.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <wsgw/core.h>

#include "runtime_internal.h"

int wsgw_err_set(struct wsgw_err *err, const char *code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return WSGW_ERR;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return WSGW_ERR;
}

const char *wsgw_version(void)
{
    return PACKAGE_VERSION;
}

/* ---- clocks ----------------------------------------------------------- */

int64_t wsgw_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wsgw_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t wsgw_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- calendar (proleptic Gregorian, after H. Hinnant's algorithms) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ---- ISO-8601 formatting ---------------------------------------------- */

/* Years 0000..9999 keep the text at WSGW_TIME_LEN characters. */
#define TIME_MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define TIME_MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/*
 * "YYYY-MM-DDTHH:MM:SS" of the last seconds this thread formatted. Two
 * slots (by parity) so that an event's exchange time and receive time,
 * which often straddle a second, both hit.
 */
struct time_cache {
    int64_t sec;
    char text[19];
};
static __thread struct time_cache time_cache[2] = {{INT64_MIN, ""},
                                                   {INT64_MIN, ""}};

static void format_seconds(int64_t sec, char *p)
{
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    unsigned sod = (unsigned)(sec - days * 86400);
    int64_t y;
    unsigned m, d;

    civil_from_days(days, &y, &m, &d);
    put2(p, (unsigned)(y / 100));
    put2(p + 2, (unsigned)(y % 100));
    p[4] = '-';
    put2(p + 5, m);
    p[7] = '-';
    put2(p + 8, d);
    p[10] = 'T';
    put2(p + 11, sod / 3600);
    p[13] = ':';
    put2(p + 14, sod / 60 % 60);
    p[16] = ':';
    put2(p + 17, sod % 60);
}

size_t wsgw_time_format(int64_t ms, char *out)
{
    if (ms < TIME_MIN_MS)
        ms = TIME_MIN_MS;
    else if (ms > TIME_MAX_MS)
        ms = TIME_MAX_MS;

    int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    unsigned frac = (unsigned)(ms - sec * 1000);
    struct time_cache *c = &time_cache[sec & 1];

    if (c->sec != sec) {
        format_seconds(sec, c->text);
        c->sec = sec;
    }
    memcpy(out, c->text, sizeof(c->text));
    out[19] = '.';
    out[20] = (char)('0' + frac / 100);
    put2(out + 21, frac % 100);
    out[23] = 'Z';
    out[24] = '\0';
    return WSGW_TIME_LEN;
}

/* ---- ISO-8601 parsing ------------------------------------------------- */

/* n decimal digits at *p into *v; advances *p. 0 when not n digits. */
static int digits(const char **p, int n, unsigned *v)
{
    unsigned r = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        r = r * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *v = r;
    return 1;
}

/*
 * Accepted: YYYY-MM-DD, optionally followed by 'T' (or 't' or ' ') and
 * HH:MM[:SS[.fraction]], then 'Z', '+hh:mm', '-hh:mm', '+hhmm' or '+hh'.
 * A time without a zone is taken as UTC: the gateway speaks UTC only.
 * Fractions beyond milliseconds are truncated.
 */
int wsgw_time_parse(const char *s, int64_t *ms)
{
    const char *p = s;
    unsigned year, mon, day, hh = 0, mm = 0, ss = 0, frac = 0;
    int64_t off_min = 0;

    if (!s || !ms)
        return WSGW_ERR;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) ||
        *p++ != '-' || !digits(&p, 2, &day))
        return WSGW_ERR;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
        return WSGW_ERR;

    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm))
            return WSGW_ERR;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &ss))
                return WSGW_ERR;
            if (*p == '.' || *p == ',') {
                int n = 0;
                p++;
                if (*p < '0' || *p > '9')
                    return WSGW_ERR;
                for (; *p >= '0' && *p <= '9'; p++, n++)
                    if (n < 3)
                        frac = frac * 10 + (unsigned)(*p - '0');
                for (; n < 3; n++)
                    frac *= 10;
            }
        }
        if (hh > 23 || mm > 59 || ss > 59)
            return WSGW_ERR;

        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            unsigned oh, om = 0;
            if (!digits(&p, 2, &oh))
                return WSGW_ERR;
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &om))
                    return WSGW_ERR;
            } else if (*p >= '0' && *p <= '9') {
                if (!digits(&p, 2, &om))
                    return WSGW_ERR;
            }
            if (oh > 23 || om > 59)
                return WSGW_ERR;
            off_min = sign * (int64_t)(oh * 60 + om);
        }
    }
    if (*p != '\0')
        return WSGW_ERR;

    int64_t days = days_from_civil(year, mon, day);
    *ms = ((days * 86400 + hh * 3600 + mm * 60 + ss) - off_min * 60) * 1000 +
          frac;
    return WSGW_OK;
}

/* ---- fast random numbers: xoshiro256** per thread --------------------- */

struct rng {
    uint64_t s[4];
    unsigned gen; /* fork generation it was seeded in */
    int seeded;
};
static __thread struct rng rng;
static atomic_uint fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void)
{
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

static void atfork_register(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r)
{
    pthread_once(&atfork_once, atfork_register);
    if (wsgw_random_bytes(r->s, sizeof(r->s)) != WSGW_OK) {
        /* No getrandom: still distinct per thread and per start. */
        uint64_t x = (uint64_t)wsgw_now_ns() ^ (uint64_t)(uintptr_t)r ^
                     ((uint64_t)getpid() << 32);
        for (int i = 0; i < 4; i++)
            r->s[i] = splitmix64(&x);
    }
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* the one state xoshiro cannot leave */
    r->gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
    r->seeded = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t util_rand64(void)
{
    struct rng *r = &rng;

    if (!r->seeded ||
        r->gen != atomic_load_explicit(&fork_gen, memory_order_relaxed))
        rng_seed(r);

    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t wsgw_random_below(uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Reject the low values that would make `r % n` favour small ones. */
    uint64_t threshold = -n % n;
    for (;;) {
        uint64_t r = util_rand64();
        if (r >= threshold)
            return r % n;
    }
}

int wsgw_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return WSGW_ERR;
        }
        p += r;
        n -= (size_t)r;
    }
    return WSGW_OK;
}

/* ---- ids -------------------------------------------------------------- */

static const char HEX[] = "0123456789abcdef";

void util_hex(char *out, const void *bytes, size_t n)
{
    const unsigned char *b = bytes;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[b[i] >> 4];
        out[2 * i + 1] = HEX[b[i] & 15];
    }
}

void wsgw_uuid4(char *out)
{
    uint64_t w[2] = {util_rand64(), util_rand64()};
    unsigned char b[16];

    memcpy(b, w, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    util_hex(out, b, 4);
    out[8] = '-';
    util_hex(out + 9, b + 4, 2);
    out[13] = '-';
    util_hex(out + 14, b + 6, 2);
    out[18] = '-';
    util_hex(out + 19, b + 8, 2);
    out[23] = '-';
    util_hex(out + 24, b + 10, 6);
    out[36] = '\0';
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

int wsgw_uuid_valid(const char *s)
{
    if (!s)
        return 0;
    for (int i = 0; i < WSGW_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!is_hex(s[i])) {
            return 0; /* also stops at a short string's NUL */
        }
    }
    return s[WSGW_UUID_LEN] == '\0';
}

/* ---- secrets ---------------------------------------------------------- */

int wsgw_secret_equal(const char *a, const char *b)
{
    if (!a || !b)
        return 0;

    size_t la = strlen(a), lb = strlen(b);
    /* volatile: keep the compiler from ending the loop at the first
     * difference. Every byte of a is read whatever the content. */
    volatile unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++) {
        unsigned char cb = lb ? (unsigned char)b[i < lb ? i : i % lb] : 0;
        diff |= (unsigned char)a[i] ^ cb;
    }
    return diff == 0;
}
