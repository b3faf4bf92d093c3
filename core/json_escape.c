/*
 * json_escape.c — JSON string content from arbitrary bytes.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "json_escape.h"

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero when a byte of x is zero (the classic bit trick: exact for the
 * "any" question it answers). */
static inline uint64_t has_zero(uint64_t x)
{
    return (x - ONES) & ~x & HIGHS;
}

static inline int plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

int json_is_plain(const char *s, size_t len)
{
    size_t i = 0;

    /* Eight bytes at a time: the hot path checks every topic and type. */
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t bad = x & HIGHS;              /* >= 0x80 */
        bad |= (x - ONES * 0x20) & ~x & HIGHS; /* < 0x20  */
        bad |= has_zero(x ^ (ONES * '"'));
        bad |= has_zero(x ^ (ONES * '\\'));
        if (bad)
            return 0;
    }
    for (; i < len; i++)
        if (!plain_byte((unsigned char)s[i]))
            return 0;
    return 1;
}

size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

static const char SHORT_ESC[0x20] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
};

size_t json_escaped_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t out = 0;

    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c < 0x20) {
            out += SHORT_ESC[c] ? 2 : 6;
            i++;
        } else if (c == '"' || c == '\\') {
            out += 2;
            i++;
        } else if (c < 0x80) {
            out++;
            i++;
        } else {
            size_t n = utf8_seq(p + i, len - i);
            if (n) {
                out += n;
                i += n;
            } else {
                out += 6; /* \ufffd */
                i++;
            }
        }
    }
    return out;
}

char *json_escape(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c < 0x20) {
            *out++ = '\\';
            if (SHORT_ESC[c]) {
                *out++ = SHORT_ESC[c];
            } else {
                *out++ = 'u';
                *out++ = '0';
                *out++ = '0';
                *out++ = hex[c >> 4];
                *out++ = hex[c & 15];
            }
            i++;
        } else if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char)c;
            i++;
        } else if (c < 0x80) {
            *out++ = (char)c;
            i++;
        } else {
            size_t n = utf8_seq(p + i, len - i);
            if (n) {
                for (size_t k = 0; k < n; k++)
                    *out++ = (char)p[i + k];
                i += n;
            } else {
                for (const char *r = "\\ufffd"; *r; r++)
                    *out++ = *r;
                i++;
            }
        }
    }
    return out;
}
