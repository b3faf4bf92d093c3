/*
 * Command line parsing.  Every option has a long form only; values are
 * validated here so the rest of the program can trust g_cfg.
 */
#include "sim.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct sim_config g_cfg;

static void usage(FILE *f)
{
    fputs(
        "usage: bybit-sim [options]\n"
        "  --port N              WebSocket/REST port on 127.0.0.1 (0 = pick "
        "one; default 0)\n"
        "  --control-port N      control HTTP port (0 = pick one; default 0)\n"
        "  --tls-cert FILE --tls-key FILE   serve wss:// and https:// instead\n"
        "  --api-key K --api-secret S       credentials (repeat the pair for "
        "more)\n"
        "  --idle-timeout SEC    drop clients silent that long (default 600, 0 "
        "= never)\n"
        "  --rate N|max          data frames per topic per second (default 3)\n"
        "  --count N             events per topic per connection, then stop "
        "(default unlimited)\n"
        "  --duration SEC        seconds of data per topic after subscribe "
        "(default unlimited)\n"
        "  --batch K             trades per publicTrade frame (default 1)\n"
        "  --no-tag              realistic trade ids, no \"_sim\" field (no "
        "seq/send stamp)\n"
        "  --data-dir DIR        sample files (default tests/data/bybit from "
        "cwd or binary)\n"
        "  --symbols A,B,..|any  known symbols (default: a built-in set)\n"
        "  --verbose             log requests on stderr\n",
        f);
}

static int add_cred_part(struct sim_config *cfg, const char *v, int secret)
{
    /* a key opens a new pair, a secret completes the last open pair */
    if (!secret) {
        if (cfg->ncreds >= SIM_MAX_CREDS) {
            LOG_ERR("too many --api-key options (max %d)", SIM_MAX_CREDS);
            return -1;
        }
        cfg->creds[cfg->ncreds++].key = strdup(v);
        return 0;
    }
    if (cfg->ncreds == 0 || cfg->creds[cfg->ncreds - 1].secret) {
        LOG_ERR("--api-secret must follow an --api-key");
        return -1;
    }
    cfg->creds[cfg->ncreds - 1].secret = strdup(v);
    return 0;
}

static int parse_num(const char *opt, const char *v, double lo, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || d < lo) {
        LOG_ERR("bad value for %s: '%s'", opt, v);
        return -1;
    }
    *out = d;
    return 0;
}

enum {
    O_PORT = 1,
    O_CPORT,
    O_CERT,
    O_KEY,
    O_APIKEY,
    O_APISECRET,
    O_IDLE,
    O_RATE,
    O_COUNT,
    O_DURATION,
    O_BATCH,
    O_NOTAG,
    O_DATADIR,
    O_SYMBOLS,
    O_VERBOSE,
    O_HELP
};

static int apply(struct sim_config *cfg, int opt, const char *v)
{
    double d = 0;
    switch (opt) {
    case O_PORT:
    case O_CPORT:
        if (parse_num("--port", v, 0, &d) || d > 65535)
            return -1;
        *(opt == O_PORT ? &cfg->port : &cfg->control_port) = (int)d;
        return 0;
    case O_CERT:
        cfg->tls_cert = v;
        return 0;
    case O_KEY:
        cfg->tls_key = v;
        return 0;
    case O_APIKEY:
        return add_cred_part(cfg, v, 0);
    case O_APISECRET:
        return add_cred_part(cfg, v, 1);
    case O_IDLE:
        if (parse_num("--idle-timeout", v, 0, &d))
            return -1;
        cfg->idle_timeout = (int)d;
        return 0;
    case O_RATE:
        if (strcmp(v, "max") == 0) {
            cfg->rate_max = 1;
            return 0;
        }
        if (parse_num("--rate", v, 0.001, &d))
            return -1;
        cfg->rate = d;
        return 0;
    case O_COUNT:
        if (parse_num("--count", v, 0, &d))
            return -1;
        cfg->count = (uint64_t)d;
        return 0;
    case O_DURATION:
        return parse_num("--duration", v, 0, &cfg->duration);
    case O_BATCH:
        if (parse_num("--batch", v, 1, &d) || d > 1024)
            return -1;
        cfg->batch = (int)d;
        return 0;
    case O_NOTAG:
        cfg->tag = 0;
        return 0;
    case O_DATADIR:
        cfg->data_dir = v;
        return 0;
    case O_SYMBOLS:
        cfg->symbols = v;
        return 0;
    case O_VERBOSE:
        cfg->verbose = 1;
        return 0;
    default:
        return -1;
    }
}

int options_parse(int argc, char **argv, struct sim_config *cfg)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, O_PORT},
        {"control-port", required_argument, NULL, O_CPORT},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_KEY},
        {"api-key", required_argument, NULL, O_APIKEY},
        {"api-secret", required_argument, NULL, O_APISECRET},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"rate", required_argument, NULL, O_RATE},
        {"count", required_argument, NULL, O_COUNT},
        {"duration", required_argument, NULL, O_DURATION},
        {"batch", required_argument, NULL, O_BATCH},
        {"no-tag", no_argument, NULL, O_NOTAG},
        {"data-dir", required_argument, NULL, O_DATADIR},
        {"symbols", required_argument, NULL, O_SYMBOLS},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(cfg, 0, sizeof(*cfg));
    cfg->idle_timeout = 600;
    cfg->rate = 3;
    cfg->batch = 1;
    cfg->tag = 1;

    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == O_HELP) {
            usage(stdout);
            exit(0);
        }
        if (opt == '?' || apply(cfg, opt, optarg)) {
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        LOG_ERR("unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        LOG_ERR("--tls-cert and --tls-key go together");
        return -1;
    }
    for (int i = 0; i < cfg->ncreds; i++) {
        if (!cfg->creds[i].secret) {
            LOG_ERR("--api-key %s has no --api-secret", cfg->creds[i].key);
            return -1;
        }
    }
    return 0;
}

void options_free(struct sim_config *cfg)
{
    for (int i = 0; i < cfg->ncreds; i++) {
        free(cfg->creds[i].key);
        free(cfg->creds[i].secret);
    }
    cfg->ncreds = 0;
}
