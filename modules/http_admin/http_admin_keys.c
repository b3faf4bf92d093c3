/*
 * http_admin_keys.c — the admin API keys: configured, from the
 * environment, or generated; compared in constant time.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http_admin.h"

static int add_key(struct ha *ha, const char *k)
{
    char **nk;

    if (!k || !*k)
        return WSGW_OK; /* empty keys (an unset ${VAR:-}) are ignored */
    for (size_t i = 0; i < ha->n_keys; i++)
        if (strcmp(ha->keys[i], k) == 0)
            return WSGW_OK;
    nk = realloc(ha->keys, (ha->n_keys + 1) * sizeof(*nk));
    if (!nk)
        return WSGW_ERR;
    ha->keys = nk;
    nk[ha->n_keys] = strdup(k);
    if (!nk[ha->n_keys])
        return WSGW_ERR;
    ha->n_keys++;
    return WSGW_OK;
}

int ha_keys_load(struct ha *ha, struct wsgw_err *err)
{
    for (size_t i = 0; i < ha->conf->api_keys.n; i++)
        if (add_key(ha, ha->conf->api_keys.v[i]) != WSGW_OK)
            return wsgw_err_set(err, NULL, "out of memory");
    if (add_key(ha, getenv("WSGW_API_KEY")) != WSGW_OK)
        return wsgw_err_set(err, NULL, "out of memory");
    return WSGW_OK;
}

int ha_keys_ensure(struct ha *ha, struct wsgw_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    char key[2 * sizeof(raw) + 1];

    if (ha->n_keys > 0)
        return WSGW_OK;
    if (wsgw_random_bytes(raw, sizeof(raw)) != WSGW_OK)
        return wsgw_err_set(err, NULL,
                            "no API key configured and no random source to "
                            "generate one");
    for (size_t i = 0; i < sizeof(raw); i++) {
        key[2 * i] = hex[raw[i] >> 4];
        key[2 * i + 1] = hex[raw[i] & 15];
    }
    key[sizeof(key) - 1] = '\0';
    if (add_key(ha, key) != WSGW_OK) {
        OPENSSL_cleanse(key, sizeof(key));
        return wsgw_err_set(err, NULL, "out of memory");
    }
    wsgw_info(ha->in,
              "admin API key (generated, set WSGW_API_KEY to choose one): %s",
              key);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(raw, sizeof(raw));
    return WSGW_OK;
}

int ha_key_ok(const struct ha *ha, const char *presented)
{
    int ok = 0;

    if (!presented || !*presented)
        return 0;
    /* Every key is compared, so the time does not tell which matched. */
    for (size_t i = 0; i < ha->n_keys; i++)
        ok |= wsgw_secret_equal(presented, ha->keys[i]);
    return ok;
}

void ha_keys_free(struct ha *ha)
{
    for (size_t i = 0; i < ha->n_keys; i++) {
        OPENSSL_cleanse(ha->keys[i], strlen(ha->keys[i]));
        free(ha->keys[i]);
    }
    free(ha->keys);
    ha->keys = NULL;
    ha->n_keys = 0;
}
