/*
 * Signatures: the private stream's auth (PROTOCOL.md §6) and the REST
 * request signature (§12) are both lowercase hex HMAC-SHA256.
 */
#include "sim.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <strings.h>

void hmac_sha256_hex(const char *key, const char *msg, size_t msglen,
                     char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const char hex[] = "0123456789abcdef";

    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
              msglen, mac, &maclen)) {
        LOG_ERR("HMAC-SHA256 failed");
        maclen = 0;
    }
    for (unsigned i = 0; i < maclen; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * maclen] = '\0';
}

const char *cred_secret(const char *key)
{
    for (int i = 0; i < g_cfg.ncreds; i++)
        if (strcmp(g_cfg.creds[i].key, key) == 0)
            return g_cfg.creds[i].secret;
    return NULL;
}

int ws_auth_check(const char *key, int64_t expires, const char *sig,
                  const char **why)
{
    const char *secret = cred_secret(key);
    if (!secret) {
        *why = "unknown api key";
        return -1;
    }
    if (expires <= (int64_t)now_ms()) {
        *why = "expired";
        return -1;
    }
    char msg[64], want[65];
    int n = snprintf(msg, sizeof(msg), "GET/realtime%lld", (long long)expires);
    hmac_sha256_hex(secret, msg, (size_t)n, want);
    /* Bybit documents lowercase hex; accept either case like a lenient server
     */
    if (strlen(sig) != 64 || strcasecmp(sig, want) != 0) {
        *why = "wrong signature";
        return -1;
    }
    *why = "ok";
    return 0;
}
