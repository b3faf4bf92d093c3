/*
 * bybit_sign.c — HMAC-SHA256 signatures (see bybit_sign.h).
 */
#include "bybit_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int bybit_hmac_hex(const char *secret, const char *msg, size_t len,
                   char out[BYBIT_SIG_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    out[0] = '\0';
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
              (const unsigned char *)msg, len, mac, &maclen) ||
        maclen != BYBIT_SIG_LEN / 2)
        return -1;
    for (unsigned int i = 0; i < maclen; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[BYBIT_SIG_LEN] = '\0';
    return 0;
}

int bybit_auth_signature(const char *secret, int64_t expires_ms,
                         char out[BYBIT_SIG_LEN + 1])
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "GET/realtime%" PRId64, expires_ms);
    return bybit_hmac_hex(secret, msg, (size_t)n, out);
}

int bybit_rest_signature(const char *secret, int64_t timestamp_ms,
                         const char *api_key, int64_t recv_window_ms,
                         const char *query, char out[BYBIT_SIG_LEN + 1])
{
    size_t cap = strlen(api_key) + strlen(query) + 64;
    char *msg = malloc(cap);
    if (!msg) {
        out[0] = '\0';
        return -1;
    }
    int n = snprintf(msg, cap, "%" PRId64 "%s%" PRId64 "%s", timestamp_ms,
                     api_key, recv_window_ms, query);
    int rc = bybit_hmac_hex(secret, msg, (size_t)n, out);
    /* the message holds no secret, but keep the heap clean anyway */
    memset(msg, 0, cap);
    free(msg);
    return rc;
}
