/*
 * bybit-sim entry point: parse options, load the sample templates, create
 * one lws context with two vhosts (WebSocket+REST, control HTTP) on
 * 127.0.0.1, print the ports, and run the single-threaded service loop
 * until SIGINT/SIGTERM or POST /shutdown.
 */
#include "sim.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct lws_context *g_ctx;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    if (g_ctx)
        lws_cancel_service(g_ctx);
}

static const struct lws_protocols ws_protocols[] = {
    {"bybit", server_callback, sizeof(struct server_pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}, /* 4.1 has no LWS_PROTOCOL_LIST_TERM */
};

static const struct lws_protocols control_protocols[] = {
    {"control", control_callback, sizeof(struct http_pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static struct lws_vhost *make_vhost(const char *name, int port,
                                    const struct lws_protocols *prot, int tls)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.vhost_name = name;
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = prot;
    info.keepalive_timeout = 60;
    if (tls) {
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        /* HTTP/1.1 only: REST clients and the X-BAPI-* headers stay on h1,
         * where lws exposes unknown headers to lws_hdr_custom_copy() */
        info.alpn = "http/1.1";
        info.ssl_cert_filepath = g_cfg.tls_cert;
        info.ssl_private_key_filepath = g_cfg.tls_key;
    }
    struct lws_vhost *vh = lws_create_vhost(g_ctx, &info);
    if (!vh)
        LOG_ERR("cannot listen for %s on 127.0.0.1:%d", name, port);
    return vh;
}

static int start(void)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (g_cfg.tls_cert)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    g_ctx = lws_create_context(&info);
    if (!g_ctx) {
        LOG_ERR("lws_create_context failed");
        return -1;
    }
    struct lws_vhost *ws =
        make_vhost("ws", g_cfg.port, ws_protocols, g_cfg.tls_cert != NULL);
    struct lws_vhost *ctl =
        make_vhost("control", g_cfg.control_port, control_protocols, 0);
    if (!ws || !ctl)
        return -1;
    /* machine-readable lines for scripts that started us with port 0 */
    printf("LISTEN %s 127.0.0.1:%d\n", g_cfg.tls_cert ? "wss" : "ws",
           lws_get_vhost_listen_port(ws));
    printf("CONTROL 127.0.0.1:%d\n", lws_get_vhost_listen_port(ctl));
    fflush(stdout);
    return 0;
}

static void cleanup(void)
{
    if (g_ctx)
        lws_context_destroy(g_ctx);
    g_ctx = NULL;
    conns_free_all();
    control_free();
    rest_reset();
    load_cleanup();
    templates_free();
    symbols_free();
    options_free(&g_cfg);
}

int main(int argc, char **argv)
{
    if (options_parse(argc, argv, &g_cfg))
        return 2;
    lws_set_log_level(g_cfg.verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR,
                      NULL);
    if (symbols_init(g_cfg.symbols) || templates_load(g_cfg.data_dir)) {
        cleanup();
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 0;
    if (start())
        rc = 1;
    while (!rc && !g_stop)
        if (lws_service(g_ctx, 0) < 0)
            break;
    if (!rc)
        stats_print(stdout);
    cleanup();
    return rc;
}
