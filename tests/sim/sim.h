/*
 * bybit-sim: a Bybit v5 WebSocket simulator for the wsgw tests.
 *
 * Shared types.  Everything runs on the single lws service thread, so no
 * locking anywhere: the control HTTP vhost, the WebSocket vhost and the
 * timers all mutate the same structures from lws callbacks.
 */
#ifndef BYBIT_SIM_H
#define BYBIT_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <libwebsockets.h>

#define SIM_MAX_CREDS 16
#define SIM_TOPIC_MAX 256
#define SIM_CHUNK     (64 * 1024)   /* one raw write in the send loop */
#define SIM_RX_MAX    (1024 * 1024) /* largest client frame we accept */

/* ---- growable output buffer (buf.c) ---- */

struct obuf {
    char *p;
    size_t len;
    size_t cap;
};

void ob_reserve(struct obuf *b, size_t extra);
void ob_put(struct obuf *b, const char *s, size_t n);
void ob_puts(struct obuf *b, const char *s);
void ob_putc(struct obuf *b, char c);
void ob_u64(struct obuf *b, uint64_t v);
void ob_i64(struct obuf *b, int64_t v);
/* fixed-point decimal: v / 10^dec, e.g. (6500012, 2) -> "65000.12" */
void ob_fixed(struct obuf *b, int64_t v, int dec);
/* JSON string with quotes and escapes */
void ob_jstr(struct obuf *b, const char *s);
void ob_free(struct obuf *b);

uint64_t now_ns(void);  /* CLOCK_REALTIME */
uint64_t mono_ns(void); /* CLOCK_MONOTONIC */
uint64_t now_ms(void);
uint32_t sim_rand(void); /* xorshift, deterministic per run */

/* ---- streams and topics (topics.c) ---- */

enum stream {
    ST_SPOT,
    ST_LINEAR,
    ST_INVERSE,
    ST_OPTION,
    ST_PRIVATE,
    ST__COUNT
};

enum family {
    TF_NONE,
    TF_TRADE,
    TF_TICKER,
    TF_ORDERBOOK,
    TF_KLINE,
    TF_ALLLIQ,
    TF_LIQ,
    TF_INSURANCE,
    TF_ADL,
    TF_PRICELIMIT,
    TF_ORDER,
    TF_EXEC,
    TF_EXECFAST,
    TF_POSITION,
    TF_WALLET,
    TF_GREEKS,
    TF_DCP,
    TF_STRATEGY,
    TF__COUNT
};

enum category { CAT_SPOT, CAT_LINEAR, CAT_INVERSE, CAT_OPTION, CAT__COUNT };

struct topic_info {
    enum family fam;
    char symbol[64];   /* market symbol, base coin (option trades) or pool */
    int depth;         /* orderbook depth */
    uint64_t kline_ms; /* kline interval length */
    char kline_iv[4];  /* interval as written in the topic */
    unsigned cats;     /* private: bit mask of categories to cycle */
};

const char *stream_name(enum stream st);
int stream_from_path(const char *path, enum stream *st);
/* 0 = valid topic for this stream; -1 = "handler not found" */
int topic_parse(enum stream st, const char *topic, struct topic_info *ti);
int family_is_private(enum family f);
const char *family_name(enum family f);
const char *category_name(int cat);

/* ---- symbols (symbols.c) ---- */

struct symbol {
    char name[64];
    int64_t mid; /* in price ticks */
    int pdec;    /* price decimals; one tick = 10^-pdec */
    int qdec;    /* size decimals */
};

int symbols_init(const char *list); /* NULL = default set */
int symbol_known(const char *name, enum stream st);
void symbol_info(const char *name, struct symbol *out);
const char *symbol_for_category(enum category cat, unsigned idx);
void symbols_free(void);

/* ---- configuration (options.c) ---- */

struct cred {
    char *key;
    char *secret;
};

struct sim_config {
    int port;
    int control_port;
    const char *tls_cert;
    const char *tls_key;
    int idle_timeout; /* seconds, 0 = never */
    double rate;      /* frames per topic per second */
    int rate_max;     /* as fast as the client reads */
    uint64_t count;   /* events per topic per connection, 0 = unlimited */
    double duration;  /* seconds of data per topic, 0 = unlimited */
    int batch;        /* trades per publicTrade frame */
    int tag;          /* embed seq + send ns */
    const char *data_dir;
    const char *symbols;
    struct cred creds[SIM_MAX_CREDS];
    int ncreds;
    int recv_window_ms; /* REST */
    int verbose;
};

extern struct sim_config g_cfg;
int options_parse(int argc, char **argv, struct sim_config *cfg);
void options_free(struct sim_config *cfg);

/* ---- templates (templates.c) ---- */

enum slot {
    SL_NONE,
    SL_TOPIC,
    SL_TS,     /* envelope ms (number) */
    SL_TS_STR, /* ms as string */
    SL_CTS,
    SL_CS,
    SL_OPT_ID,  /* option envelope id: topic-cs-ts */
    SL_PRIV_ID, /* private envelope id */
    SL_SYM,
    SL_BIDS,
    SL_ASKS,
    SL_U,
    SL_XSEQ,
    SL_TRADE_T,
    SL_PRICE, /* last/trade price, string */
    SL_BID,
    SL_ASK,
    SL_MARK,
    SL_QTY,
    SL_SIDE,
    SL_TRADE_ID,
    SL_TICKDIR,
    SL_KSTART,
    SL_KEND,
    SL_OPEN,
    SL_HIGH,
    SL_LOW,
    SL_PRICE_UP,
    SL_PRICE_DN,
    SL_CATEGORY,
    SL_UUID,
    SL_SIM,        /* "seq-ns" tag */
    SL_ITEMS,      /* data array rendered from the item template */
    SL_KINTERVAL,  /* kline interval as in the topic */
    SL_UNDERLYING, /* option: index price of the base coin */
    SL__COUNT
};

struct seg {
    const char *lit;
    uint32_t litlen;
    uint16_t slot;
};

struct tmpl {
    char *text; /* dumped JSON, segments point into it */
    struct seg *segs;
    int nseg;
    struct tmpl *item; /* for SL_ITEMS */
    int nitems;        /* items in the sample */
};

enum variant { TV_SNAPSHOT, TV_DELTA, TV__COUNT };

int templates_load(const char *dir);
const struct tmpl *template_get(enum stream st, enum family f, enum variant v,
                                enum category cat);
void templates_free(void);
json_t *templates_rest_wallet(void); /* borrowed */
json_t *templates_json(void);

/* ---- connections, subscriptions (server.c, conn.c) ---- */

struct book {
    int depth;
    int64_t *size[2]; /* [0] bids, [1] asks; index k = k+1 ticks from mid */
};

struct sub {
    char topic[SIM_TOPIC_MAX];
    struct topic_info ti;
    struct symbol sym;
    uint64_t start_mono;
    uint64_t frames; /* frames sent */
    uint64_t events; /* seq of the last event sent */
    uint64_t u;      /* orderbook update id */
    uint64_t xseq;   /* cross sequence */
    uint64_t cs;
    int snapshot_sent;
    int skip_u;      /* pending fault: jump u by one extra */
    unsigned cat_rr; /* private: round-robin category */
    int64_t last_px;
    int64_t prev_px;
    struct book book;
    uint64_t k_start; /* kline: open candle */
    int64_t k_open, k_high, k_low;
    struct symbol psym[CAT__COUNT]; /* private: symbol per category */
    struct symbol under;            /* option: the base coin's spot pair */
    struct sub *next;
};

struct outq {
    struct outq *next;
    size_t len;
    unsigned char data[]; /* a complete ws frame (header + payload) */
};

struct conn {
    struct lws *wsi;
    unsigned id;
    enum stream st;
    char path[96];
    char conn_id[96];
    uint64_t connected_ms;
    uint64_t closed_ms;
    int open;
    int authed;
    int auth_failed;
    char auth_key[128];
    struct sub *subs;
    size_t args_chars; /* public: total length of subscribed args */
    unsigned nargs;    /* option: subscribed args */
    struct outq *q_head, *q_tail;
    int idle_secs; /* --idle-timeout or private ?max_active_time= */
    int stall_pongs;
    int stall_data;
    int pending_reset;
    int pending_close;
    int close_code;
    unsigned char *rx;
    size_t rx_len;
    json_t *log;  /* array of request records */
    json_t *sent; /* object topic -> frames sent */
    uint64_t total_frames;
    lws_sorted_usec_list_t sul;
    struct conn *next;
};

extern struct conn *g_conns;
extern struct lws_context *g_ctx;

/* protocol.c */
void proto_on_frame(struct conn *c, const char *buf, size_t len);
void conn_queue_text(struct conn *c, const char *s, size_t len);
void conn_queue_frame(struct conn *c, int opcode, const char *s, size_t len);
void conn_queue_json(struct conn *c, json_t *j); /* steals j */
void conn_log(struct conn *c, json_t *rec);      /* steals rec */
void sub_free(struct sub *s);
struct conn *conn_find(unsigned id);

/* generator.c: render one frame of the topic into b (payload only) */
void gen_frame(struct conn *c, struct sub *s, struct obuf *b);
void gen_sub_init(struct conn *c, struct sub *s);
void gen_sub_free(struct sub *s);

/* load.c: scheduling and the send loop */
int load_writable(struct conn *c);
void load_arm(struct conn *c);
void load_stop(struct conn *c);
void frame_header(struct obuf *b, int opcode, size_t len);

/* auth.c */
void hmac_sha256_hex(const char *key, const char *msg, size_t msglen,
                     char out[65]);
const char *cred_secret(const char *key);
int ws_auth_check(const char *key, int64_t expires, const char *sig,
                  const char **why);

/* http.c: small helpers shared by the REST route and the control server */
struct http_pss {
    char uri[256];
    int post;
    struct obuf body_in;
    char *body_out;
    size_t out_len;
    int code;
};
int http_reply(struct lws *wsi, struct http_pss *h, int code, char *body);
int http_reply_json(struct lws *wsi, struct http_pss *h, int code, json_t *j);
int http_writeable(struct lws *wsi, struct http_pss *h);
void http_pss_free(struct http_pss *h);

/* rest.c */
int rest_request(struct lws *wsi, struct http_pss *h);
json_t *rest_log(void);
void rest_reset(void);

/* control.c */
int control_callback(struct lws *wsi, enum lws_callback_reasons reason,
                     void *user, void *in, size_t len);
void refuse_take(const char *what, struct conn *c, char *msg, size_t msglen,
                 int *refused);
void stats_print(FILE *f);
json_t *stats_json(void);
extern volatile int g_stop;
void control_free(void);

/* faults.c */
json_t *fault_apply(json_t *req, char *err, size_t errlen);
json_t *skip_u_apply(json_t *req);
void fault_garbage(struct conn *c, const char *what, size_t size);
int conn_matches(const struct conn *c, json_t *req);

/* server.c */
int server_callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len);
struct server_pss {
    struct conn *c;
    struct http_pss http;
};
void conns_free_all(void);
void conns_reset_log(void);
json_t *conn_json(const struct conn *c);
void load_cleanup(void);

#define LOG_ERR(...)                                                           \
    do {                                                                       \
        fprintf(stderr, "bybit-sim: " __VA_ARGS__);                            \
        fputc('\n', stderr);                                                   \
    } while (0)
#define LOG_DBG(...)                                                           \
    do {                                                                       \
        if (g_cfg.verbose) {                                                   \
            fprintf(stderr, "bybit-sim: " __VA_ARGS__);                        \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

#endif
