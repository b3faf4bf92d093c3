/*
 * Output buffer and number formatting for the hot path.  The load mode
 * renders hundreds of thousands of frames per second, so numbers are
 * written with hand-rolled digit loops instead of snprintf.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void ob_reserve(struct obuf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        LOG_ERR("out of memory growing a buffer to %zu bytes", cap);
        abort();
    }
    b->p = p;
    b->cap = cap;
}

void ob_put(struct obuf *b, const char *s, size_t n)
{
    ob_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void ob_puts(struct obuf *b, const char *s)
{
    ob_put(b, s, strlen(s));
}

void ob_putc(struct obuf *b, char c)
{
    ob_reserve(b, 1);
    b->p[b->len++] = c;
}

void ob_u64(struct obuf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ob_reserve(b, (size_t)n);
    while (n)
        b->p[b->len++] = tmp[--n];
}

void ob_i64(struct obuf *b, int64_t v)
{
    if (v < 0) {
        ob_putc(b, '-');
        ob_u64(b, (uint64_t)(-(v + 1)) + 1);
    } else {
        ob_u64(b, (uint64_t)v);
    }
}

void ob_fixed(struct obuf *b, int64_t v, int dec)
{
    if (v < 0) {
        ob_putc(b, '-');
        v = -v;
    }
    if (dec <= 0) {
        ob_u64(b, (uint64_t)v);
        return;
    }
    uint64_t p10 = 1;
    for (int i = 0; i < dec; i++)
        p10 *= 10;
    ob_u64(b, (uint64_t)v / p10);
    ob_putc(b, '.');
    uint64_t frac = (uint64_t)v % p10;
    char tmp[24] = {0};
    for (int i = dec - 1; i >= 0; i--) {
        tmp[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    ob_put(b, tmp, (size_t)dec);
}

void ob_jstr(struct obuf *b, const char *s)
{
    ob_putc(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            ob_putc(b, '\\');
            ob_putc(b, (char)ch);
        } else if (ch < 0x20) {
            static const char hex[] = "0123456789abcdef";
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            ob_put(b, esc, 6);
        } else {
            ob_putc(b, (char)ch);
        }
    }
    ob_putc(b, '"');
}

void ob_free(struct obuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_ms(void)
{
    return now_ns() / 1000000ull;
}

uint32_t sim_rand(void)
{
    static uint32_t x = 2463534242u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}
