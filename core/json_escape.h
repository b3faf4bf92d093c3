/*
 * json_escape.h — writing text as the inside of a JSON string.
 *
 * Used by the envelope builder (event.c) and the log writer (log.c). Both
 * get text from outside (exchange topics, log arguments) that may hold
 * quotes, control characters or broken UTF-8; the output is always valid
 * JSON string content: '"', '\\' and control characters are escaped and
 * every byte that is not part of a valid UTF-8 sequence becomes \ufffd.
 */
#ifndef WSGW_JSON_ESCAPE_H
#define WSGW_JSON_ESCAPE_H

#include <stddef.h>

/* 1 when s[0..len) can be copied as is (printable ASCII without '"' and
 * '\\'): the common case, checked without decoding. */
int json_is_plain(const char *s, size_t len);

/* Length of the escaped form of s[0..len). */
size_t json_escaped_len(const char *s, size_t len);

/* Write the escaped form of s[0..len) to out (json_escaped_len bytes, not
 * terminated). Returns the end of what was written. */
char *json_escape(char *out, const char *s, size_t len);

/* Length of the valid multi-byte UTF-8 sequence starting at p (at most
 * `left` bytes available), or 0 when p does not start one (overlong,
 * surrogate, cut, above U+10FFFF) — and for ASCII, which callers handle
 * first. Also used by the admin API to check client input. */
size_t utf8_seq(const unsigned char *p, size_t left);

#endif
