/*
 * sim-client: a small libwebsockets client for testing bybit-sim (and any
 * Bybit-like server).  Connects, sends the given frames, prints every
 * received frame as one line, and reports how the connection ended with
 * '#' lines.  --bench checks the simulator's sequence tags and measures the
 * receive rate.
 *
 *   sim-client --url ws://127.0.0.1:PORT/v5/public/linear \
 *       --send '{"op":"subscribe","args":["publicTrade.BTCUSDT"]}' --count 5
 *
 * Output lines:  received text frames verbatim;  "#CONNECTED";
 * "#BINARY len=N";  "#TEXT len=N" (text frame longer than --max-print);
 * "#CLOSED code=N" (peer sent a close frame) or "#CLOSED abrupt" (no close
 * frame: FIN or RST);  "#ERROR reason";  "#TIMEOUT";  "#IDLE";  "#DONE";
 * "#BENCH {json}".  --ping-every sends {"req_id":"ping-N","op":"ping"}.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <libwebsockets.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SENDS  64
#define MAX_TOPICS 256

struct topic_seq {
    char name[128];
    uint64_t last;
    uint64_t events;
    uint64_t gaps;
};

struct cconn {
    struct lws *wsi;
    int idx;
    int next_send;
    int ping_due;
    unsigned pings;
    int closed;
    int peer_close_code;
    unsigned char *rx;
    size_t rx_len, rx_cap;
    struct topic_seq topics[MAX_TOPICS];
    int ntopics;
};

static struct {
    const char *url;
    const char *ca;
    const char *sends[MAX_SENDS];
    int nsends;
    char *auth_frame;
    long count;
    long count_data;
    double timeout;
    double idle;
    double ping_every;
    int quiet;
    int bench;
    int conns;
    size_t max_print;
} opt = {.timeout = 10, .conns = 1, .max_print = 65536};

static struct lws_context *ctx;
static struct cconn *conns;
static int open_conns, finished, exiting;
static long frames, data_frames;
static uint64_t events_total, gaps_total, first_ns, last_ns;
static double lat_sum_us;
static uint64_t lat_n;
static double last_rx_s;

static lws_sorted_usec_list_t wake_sul;

/* lws_service() sleeps until the next event; a 50 ms tick keeps the
 * --timeout and --idle checks in main() alive on a silent connection */
static double last_ping_s;
static double mono_s(void);

static void wake(lws_sorted_usec_list_t *sul)
{
    double now = mono_s();
    if (opt.ping_every > 0 && now - last_ping_s >= opt.ping_every) {
        last_ping_s = now;
        for (int k = 0; k < opt.conns; k++) {
            if (conns[k].wsi && !conns[k].closed) {
                conns[k].ping_due = 1;
                lws_callback_on_writable(conns[k].wsi);
            }
        }
    }
    lws_sul_schedule(ctx, 0, sul, wake, 50000);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* one '#' status line: "#WHAT" or "#WHAT detail" */
static void event(const char *what, const char *detail)
{
    printf("#%s%s%s\n", what, *detail ? " " : "", detail);
    fflush(stdout);
}

/* ---- bench: sequence tags "seq-ns" in "_sim" or a trade's "i" ---- */

static struct topic_seq *topic_of(struct cconn *c, const char *p, size_t n)
{
    for (int i = 0; i < c->ntopics; i++)
        if (strlen(c->topics[i].name) == n && !memcmp(c->topics[i].name, p, n))
            return &c->topics[i];
    if (c->ntopics == MAX_TOPICS || n >= sizeof(c->topics[0].name))
        return NULL;
    struct topic_seq *t = &c->topics[c->ntopics++];
    memcpy(t->name, p, n);
    t->name[n] = '\0';
    return t;
}

static void tag_seen(struct topic_seq *t, const char *p, uint64_t now)
{
    char *end;
    uint64_t seq = strtoull(p, &end, 10);
    if (*end != '-')
        return;
    uint64_t ns = strtoull(end + 1, NULL, 10);
    if (seq != t->last + 1)
        t->gaps++, gaps_total++;
    t->last = seq;
    t->events++;
    events_total++;
    if (ns && now > ns) {
        lat_sum_us += (double)(now - ns) / 1000.0;
        lat_n++;
    }
}

static void bench_frame(struct cconn *c, const char *s, size_t len)
{
    const char *tp = memmem(s, len, "\"topic\":\"", 9);
    if (!tp)
        return;
    tp += 9;
    const char *te = memchr(tp, '"', (size_t)(s + len - tp));
    if (!te)
        return;
    struct topic_seq *t = topic_of(c, tp, (size_t)(te - tp));
    if (!t)
        return;
    uint64_t now = now_ns();
    const char *key = "\"_sim\":\"";
    size_t klen = 8;
    if (!memmem(s, len, key, klen)) {
        key = "\"i\":\"";
        klen = 5;
    }
    for (const char *p = s;
         (p = memmem(p, (size_t)(s + len - p), key, klen));) {
        p += klen;
        tag_seen(t, p, now);
    }
}

/* ---- frames ---- */

static void on_message(struct cconn *c, int binary)
{
    frames++;
    if (!first_ns)
        first_ns = now_ns();
    last_ns = now_ns();
    int is_data = !binary && memmem(c->rx, c->rx_len, "\"topic\":", 8) != NULL;
    if (is_data)
        data_frames++;
    if (opt.bench && is_data)
        bench_frame(c, (const char *)c->rx, c->rx_len);
    if (!opt.quiet) {
        if (binary)
            printf("#BINARY len=%zu\n", c->rx_len);
        else if (c->rx_len > opt.max_print)
            printf("#TEXT len=%zu\n", c->rx_len);
        else {
            fwrite(c->rx, 1, c->rx_len, stdout);
            putchar('\n');
        }
    }
    if ((opt.count && frames >= opt.count) ||
        (opt.count_data && data_frames >= opt.count_data))
        finished = 1;
}

static int rx_append(struct cconn *c, const void *in, size_t len)
{
    if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 65536;
        while (cap < c->rx_len + len)
            cap *= 2;
        unsigned char *n = realloc(c->rx, cap);
        if (!n)
            return -1;
        c->rx = n;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return 0;
}

static int send_next(struct cconn *c)
{
    const char *f = NULL;
    char ping[64];
    int total = opt.nsends + (opt.auth_frame ? 1 : 0);
    if (c->next_send < total) {
        if (opt.auth_frame)
            f = c->next_send == 0 ? opt.auth_frame
                                  : opt.sends[c->next_send - 1];
        else
            f = opt.sends[c->next_send];
        c->next_send++;
    } else if (c->ping_due) {
        c->ping_due = 0;
        snprintf(ping, sizeof(ping), "{\"req_id\":\"ping-%u\",\"op\":\"ping\"}",
                 ++c->pings);
        f = ping;
    } else {
        return 0;
    }
    size_t n = strlen(f);
    unsigned char *buf = malloc(LWS_PRE + n);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, f, n);
    int w = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
    free(buf);
    if (w < (int)n)
        return -1;
    if (c->next_send < total || c->ping_due)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static void conn_done(struct cconn *c)
{
    if (c->closed)
        return;
    c->closed = 1;
    open_conns--;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct cconn *c = lws_get_opaque_user_data(wsi);
    char tmp[32];

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        event("ERROR", in ? (const char *)in : "connection error");
        if (c)
            conn_done(c);
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        event("CONNECTED", "");
        last_rx_s = mono_s();
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return c ? send_next(c) : 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        last_rx_s = mono_s();
        if (rx_append(c, in, len))
            return -1;
        if (lws_is_final_fragment(wsi)) {
            on_message(c, lws_frame_is_binary(wsi));
            c->rx_len = 0;
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2)
            c->peer_close_code =
                ((unsigned char *)in)[0] << 8 | ((unsigned char *)in)[1];
        else
            c->peer_close_code = 1005;
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (exiting) /* our own teardown, not the server's doing */
            break;
        if (c && c->peer_close_code) {
            snprintf(tmp, sizeof(tmp), "code=%d", c->peer_close_code);
            event("CLOSED", tmp);
        } else {
            event("CLOSED", "abrupt");
        }
        if (c)
            conn_done(c);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"sim-client", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- options ---- */

static char *make_auth(const char *spec)
{
    /* KEY:SECRET[:EXPIRES_OFFSET_MS] */
    char *dup = strdup(spec), *key = dup, *secret = strchr(dup, ':');
    if (!secret) {
        free(dup);
        return NULL;
    }
    *secret++ = '\0';
    long long off = 10000;
    char *o = strchr(secret, ':');
    if (o) {
        *o++ = '\0';
        off = atoll(o);
    }
    long long expires = (long long)(now_ns() / 1000000ull) + off;
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "GET/realtime%lld", expires);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg,
         (size_t)n, mac, &maclen);
    char hex[65];
    for (unsigned i = 0; i < maclen; i++)
        sprintf(hex + 2 * i, "%02x", mac[i]);
    char *frame = malloc(256 + strlen(key));
    sprintf(
        frame,
        "{\"req_id\":\"auth-1\",\"op\":\"auth\",\"args\":[\"%s\",%lld,\"%s\"]}",
        key, expires, hex);
    free(dup);
    return frame;
}

static void usage(void)
{
    fputs("usage: sim-client --url ws[s]://HOST:PORT/PATH [--ca FILE]\n"
          "  [--send JSON]... [--auth KEY:SECRET[:EXPIRES_OFFSET_MS]]\n"
          "  [--count N] [--count-data N] [--timeout SEC] [--idle SEC]\n"
          "  [--conns N] [--quiet] [--bench] [--max-print BYTES]\n"
          "  [--ping-every SEC]\n",
          stderr);
}

static int parse(int argc, char **argv)
{
    static const struct option lo[] = {
        {"url", 1, 0, 'u'},        {"ca", 1, 0, 'c'},
        {"send", 1, 0, 's'},       {"auth", 1, 0, 'a'},
        {"count", 1, 0, 'n'},      {"count-data", 1, 0, 'd'},
        {"timeout", 1, 0, 't'},    {"idle", 1, 0, 'i'},
        {"conns", 1, 0, 'm'},      {"quiet", 0, 0, 'q'},
        {"bench", 0, 0, 'b'},      {"max-print", 1, 0, 'p'},
        {"ping-every", 1, 0, 'P'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'u':
            opt.url = optarg;
            break;
        case 'c':
            opt.ca = optarg;
            break;
        case 's':
            if (opt.nsends == MAX_SENDS)
                return -1;
            opt.sends[opt.nsends++] = optarg;
            break;
        case 'a':
            opt.auth_frame = make_auth(optarg);
            if (!opt.auth_frame)
                return -1;
            break;
        case 'n':
            opt.count = atol(optarg);
            break;
        case 'd':
            opt.count_data = atol(optarg);
            break;
        case 't':
            opt.timeout = atof(optarg);
            break;
        case 'i':
            opt.idle = atof(optarg);
            break;
        case 'm':
            opt.conns = atoi(optarg);
            break;
        case 'q':
            opt.quiet = 1;
            break;
        case 'b':
            opt.bench = 1;
            break;
        case 'p':
            opt.max_print = (size_t)atol(optarg);
            break;
        case 'P':
            opt.ping_every = atof(optarg);
            break;
        default:
            return -1;
        }
    }
    return opt.url && opt.conns > 0 ? 0 : -1;
}

static int connect_one(struct cconn *c, const char *prot, const char *host,
                       int port, const char *path)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = ctx;
    i.address = host;
    i.port = port;
    i.path = path;
    i.host = host;
    i.origin = host;
    i.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
    i.local_protocol_name = "sim-client";
    i.opaque_user_data = c;
    i.pwsi = &c->wsi;
    if (!lws_client_connect_via_info(&i)) {
        event("ERROR", "connect failed");
        return -1;
    }
    return 0;
}

static void bench_report(void)
{
    double secs =
        first_ns && last_ns > first_ns ? (double)(last_ns - first_ns) / 1e9 : 0;
    printf("#BENCH {\"frames\":%ld,\"data_frames\":%ld,\"events\":%llu,"
           "\"gaps\":%llu,\"seconds\":%.3f,\"frames_per_s\":%.0f,"
           "\"events_per_s\":%.0f,\"avg_latency_us\":%.1f,\"topics\":[",
           frames, data_frames, (unsigned long long)events_total,
           (unsigned long long)gaps_total, secs,
           secs > 0 ? (double)data_frames / secs : 0,
           secs > 0 ? (double)events_total / secs : 0,
           lat_n ? lat_sum_us / (double)lat_n : 0);
    int first = 1;
    for (int k = 0; k < opt.conns; k++)
        for (int i = 0; i < conns[k].ntopics; i++) {
            struct topic_seq *t = &conns[k].topics[i];
            printf("%s{\"conn\":%d,\"topic\":\"%s\",\"events\":%llu,"
                   "\"last\":%llu,\"gaps\":%llu}",
                   first ? "" : ",", k, t->name, (unsigned long long)t->events,
                   (unsigned long long)t->last, (unsigned long long)t->gaps);
            first = 0;
        }
    printf("]}\n");
}

int main(int argc, char **argv)
{
    if (parse(argc, argv)) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    /* scripts watch the output file while we run: one line at a time */
    setvbuf(stdout, NULL, _IOLBF, 0);

    char urlbuf[512];
    const char *prot, *host, *path;
    int port;
    snprintf(urlbuf, sizeof(urlbuf), "%s", opt.url);
    if (lws_parse_uri(urlbuf, &prot, &host, &port, &path)) {
        fprintf(stderr, "sim-client: bad url %s\n", opt.url);
        return 2;
    }
    char fullpath[512];
    snprintf(fullpath, sizeof(fullpath), "/%s", path);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = opt.ca;
    ctx = lws_create_context(&info);
    if (!ctx)
        return 1;

    conns = calloc((size_t)opt.conns, sizeof(*conns));
    for (int k = 0; k < opt.conns; k++) {
        conns[k].idx = k;
        if (connect_one(&conns[k], prot, host, port, fullpath) == 0)
            open_conns++;
        else
            conns[k].closed = 1;
    }
    wake(&wake_sul);
    double start = mono_s();
    last_rx_s = start;
    int rc = 0;
    while (open_conns > 0 && !finished) {
        lws_service(ctx, 0);
        double now = mono_s();
        if (opt.timeout > 0 && now - start > opt.timeout) {
            event("TIMEOUT", "");
            rc = 3;
            break;
        }
        if (opt.idle > 0 && now - last_rx_s > opt.idle) {
            event("IDLE", "");
            break;
        }
    }
    if (finished)
        event("DONE", "");
    if (opt.bench)
        bench_report();
    fflush(stdout);
    lws_sul_cancel(&wake_sul);
    exiting = 1;
    lws_context_destroy(ctx);
    for (int k = 0; k < opt.conns; k++)
        free(conns[k].rx);
    free(conns);
    free(opt.auth_frame);
    return rc;
}
