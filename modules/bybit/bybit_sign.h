/*
 * bybit_sign.h — Bybit's HMAC-SHA256 signatures (PROTOCOL.md §6, §12).
 */
#ifndef BYBIT_SIGN_H
#define BYBIT_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* Length of a hex SHA-256 signature, without the NUL. */
#define BYBIT_SIG_LEN 64

/*
 * Lowercase hex HMAC-SHA256(key = secret, message) into out (65 bytes,
 * NUL-terminated). Returns 0, or -1 when OpenSSL fails (out is then "").
 */
int bybit_hmac_hex(const char *secret, const char *msg, size_t len,
                   char out[BYBIT_SIG_LEN + 1]);

/* The WebSocket auth signature: HMAC of "GET/realtime" + expires_ms. */
int bybit_auth_signature(const char *secret, int64_t expires_ms,
                         char out[BYBIT_SIG_LEN + 1]);

/*
 * The REST signature of a GET: HMAC of timestamp + api_key + recv_window
 * + query (the query string without '?').
 */
int bybit_rest_signature(const char *secret, int64_t timestamp_ms,
                         const char *api_key, int64_t recv_window_ms,
                         const char *query, char out[BYBIT_SIG_LEN + 1]);

#endif
