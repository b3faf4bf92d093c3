/*
 * Unit tests of the source's configuration: URLs per environment
 * (PROTOCOL.md §1), explicit URLs, endpoint parsing, and the option table
 * applied by the core's own loader to a YAML map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bybit_conf.h"

static struct bybit_conf base(int env)
{
    struct bybit_conf c;
    memset(&c, 0, sizeof c);
    c.environment = env;
    c.ping_interval = 20000;
    return c;
}

static void test_environments(void **state)
{
    (void)state;
    struct bybit_urls u;
    struct wsgw_err err = {0};
    struct bybit_conf c = base(BYBIT_ENV_MAINNET);
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.public_base, "wss://stream.bybit.com/v5/public");
    assert_string_equal(u.private_url, ""); /* no credentials */
    assert_string_equal(u.rest_base, "");

    c.api_key = "k";
    c.api_secret = "s";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.private_url, "wss://stream.bybit.com/v5/private");
    assert_string_equal(u.rest_base, "https://api.bybit.com");

    c.environment = BYBIT_ENV_TESTNET;
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.public_base,
                        "wss://stream-testnet.bybit.com/v5/public");
    assert_string_equal(u.private_url,
                        "wss://stream-testnet.bybit.com/v5/private");
    assert_string_equal(u.rest_base, "https://api-testnet.bybit.com");

    /* demo: private and REST on the demo hosts, public data from mainnet */
    c.environment = BYBIT_ENV_DEMO;
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.public_base, "wss://stream.bybit.com/v5/public");
    assert_string_equal(u.private_url,
                        "wss://stream-demo.bybit.com/v5/private");
    assert_string_equal(u.rest_base, "https://api-demo.bybit.com");
}

static void test_explicit_and_custom(void **state)
{
    (void)state;
    struct bybit_urls u;
    struct wsgw_err err = {0};
    struct bybit_conf c = base(BYBIT_ENV_CUSTOM);
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "public_url"));

    c.public_url = "ws://127.0.0.1:9443/v5/public/";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.public_base, "ws://127.0.0.1:9443/v5/public");

    c.api_key = "k";
    c.api_secret = "s";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "private_url"));
    c.private_url = "ws://127.0.0.1:9443/v5/private";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "rest_url"));
    c.rest_url = "http://127.0.0.1:9443/";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.rest_base, "http://127.0.0.1:9443");

    /* explicit URLs win in any environment */
    c.environment = BYBIT_ENV_MAINNET;
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_OK);
    assert_string_equal(u.public_base, "ws://127.0.0.1:9443/v5/public");

    /* wrong schemes */
    c.rest_url = "ws://127.0.0.1:9443";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "rest_url"));
    c.rest_url = NULL;
    c.public_url = "https://stream.bybit.com/v5/public";
    assert_int_equal(bybit_urls_resolve(&c, &u, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "public_url"));

    /* half the credentials is a mistake, not "no credentials" */
    struct bybit_conf h = base(BYBIT_ENV_MAINNET);
    h.api_key = "k";
    h.api_secret = "";
    assert_int_equal(bybit_urls_resolve(&h, &u, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "go together"));
    assert_int_equal(bybit_have_credentials(&h), 0);
}

static void test_endpoint_parse(void **state)
{
    (void)state;
    struct bybit_endpoint ep;
    struct wsgw_err err = {0};
    assert_int_equal(bybit_endpoint_parse("wss://stream.bybit.com/v5/public/"
                                          "linear",
                                          1, &ep, &err),
                     WSGW_OK);
    assert_int_equal(ep.tls, 1);
    assert_int_equal(ep.port, 443);
    assert_string_equal(ep.host, "stream.bybit.com");
    assert_string_equal(ep.path, "/v5/public/linear");

    assert_int_equal(bybit_endpoint_parse("ws://127.0.0.1:9443", 1, &ep, &err),
                     WSGW_OK);
    assert_int_equal(ep.tls, 0);
    assert_int_equal(ep.port, 9443);
    assert_string_equal(ep.path, "/");

    assert_int_equal(bybit_endpoint_parse("http://h:80/p?x=1", 0, &ep, &err),
                     WSGW_OK);
    assert_string_equal(ep.path, "/p?x=1");
    assert_int_equal(bybit_endpoint_parse("https://h", 0, &ep, &err), WSGW_OK);
    assert_int_equal(ep.port, 443);

    static const char *const bad_ws[] = {"",
                                         "stream.bybit.com",
                                         "http://h/",
                                         "ws://",
                                         "ws://:80/",
                                         "ws://h:0/",
                                         "ws://h:70000/",
                                         "ws://h:8x/",
                                         "ws://h/#frag"};
    for (size_t i = 0; i < sizeof bad_ws / sizeof *bad_ws; i++)
        if (bybit_endpoint_parse(bad_ws[i], 1, &ep, &err) == WSGW_OK)
            fail_msg("accepted %s", bad_ws[i]);
    assert_int_equal(bybit_endpoint_parse("wss://h", 0, &ep, &err), WSGW_ERR);
    assert_int_equal(bybit_endpoint_parse(NULL, 1, &ep, &err), WSGW_ERR);
}

static void test_dead_after_default(void **state)
{
    (void)state;
    struct bybit_conf c = base(BYBIT_ENV_MAINNET);
    assert_int_equal(bybit_dead_after_ms(&c), 45000);
    c.ping_interval = 1000;
    assert_int_equal(bybit_dead_after_ms(&c), 7000);
    c.dead_after = 3000;
    assert_int_equal(bybit_dead_after_ms(&c), 3000);
}

static void test_option_table(void **state)
{
    (void)state;
    /* every option has a help line; secrets are flagged; names unique */
    size_t n = 0;
    for (const struct wsgw_option *o = bybit_options; o->name; o++, n++) {
        assert_non_null(o->help);
        assert_true(o->offset < sizeof(struct bybit_conf));
        for (const struct wsgw_option *p = bybit_options; p < o; p++)
            assert_string_not_equal(p->name, o->name);
        if (strcmp(o->name, "api_key") == 0 ||
            strcmp(o->name, "api_secret") == 0)
            assert_true(o->flags & WSGW_OPT_SECRET);
        if (strcmp(o->name, "backoff_max") == 0)
            assert_int_equal(o->max, 30000);
    }
    assert_true(n >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_environments),
        cmocka_unit_test(test_explicit_and_custom),
        cmocka_unit_test(test_endpoint_parse),
        cmocka_unit_test(test_dead_after_default),
        cmocka_unit_test(test_option_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
