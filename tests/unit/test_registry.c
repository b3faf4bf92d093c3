/*
 * test_registry.c — the subscription registry with a fake source: topic
 * refcounts (shared topics subscribe once, the last cancel unsubscribes),
 * status from acks, 409, validation that changes nothing, a store that
 * refuses writes, the file store (atomic write, debounce, reload into a
 * fresh registry, a corrupt file), static subscriptions from YAML, and
 * the /api/v1/subscriptions endpoints end to end through the route
 * table.
 */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "api.h"
#include "conf_tree.h"
#include "http_route.h"
#include "instance.h"
#include "loop_internal.h"
#include "registry_int.h"

/* ---- the fake source ------------------------------------------------- */

struct fake {
    int subscribes, unsubscribes;
    char last_sub[160], last_unsub[160];
    int64_t last_event;
};

static struct fake fk;

static int valid_symbol(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
            return 0;
    return *s != '\0';
}

/* A tiny subset of Bybit's rules: enough to exercise every error path. */
static int fk_build(void *ctx, const struct wsgw_sub_request *req,
                    struct wsgw_topic *out, struct wsgw_err *err)
{
    const char *ch = req->channel_type;
    const char *sym = req->symbol;
    const char *cat = req->category ? req->category : "linear";
    char want[128];

    if (sym && (!*sym || strcmp(sym, "*") == 0))
        sym = NULL;
    if (strcmp(cat, "linear") != 0 && strcmp(cat, "spot") != 0)
        return wsgw_err_set(err, "INVALID_PARAMETER", "unknown category '%s'",
                            cat);
    if (!ch)
        return wsgw_err_set(err, "INVALID_CHANNEL_TYPE", "no channel");
    if (!strcmp(ch, "trades") || !strcmp(ch, "ticker") ||
        !strcmp(ch, "orderbook")) {
        if (!sym)
            return wsgw_err_set(err, "MISSING_SYMBOL", "%s needs a symbol", ch);
        if (!valid_symbol(sym))
            return wsgw_err_set(err, "INVALID_SYMBOL", "bad symbol '%s'", sym);
        if (!strcmp(ch, "trades"))
            snprintf(want, sizeof(want), "publicTrade.%s", sym);
        else if (!strcmp(ch, "ticker"))
            snprintf(want, sizeof(want), "tickers.%s", sym);
        else
            snprintf(want, sizeof(want), "orderbook.%lld.%s",
                     (long long)(req->depth ? req->depth : 1), sym);
        snprintf(out->stream, sizeof(out->stream), "%s", cat);
        snprintf(out->symbol, sizeof(out->symbol), "%s", sym);
    } else if (!strcmp(ch, "order")) {
        if (sym)
            return wsgw_err_set(err, "UNEXPECTED_SYMBOL",
                                "order takes no symbol");
        snprintf(want, sizeof(want), "order");
        snprintf(out->stream, sizeof(out->stream), "private");
    } else {
        return wsgw_err_set(err, "INVALID_CHANNEL_TYPE", "unknown channel '%s'",
                            ch);
    }
    if (req->topic) {
        /* An explicit topic must be of the channel's family. */
        size_t n = strcspn(want, ".");
        if (strncmp(req->topic, want, n) != 0)
            return wsgw_err_set(err, "INVALID_TOPIC",
                                "topic '%s' does not match channel %s",
                                req->topic, ch);
        snprintf(want, sizeof(want), "%s", req->topic);
    }
    snprintf(out->topic, sizeof(out->topic), "%s", want);
    snprintf(out->channel_type, sizeof(out->channel_type), "%s", ch);
    snprintf(out->category, sizeof(out->category), "%s", cat);
    out->cls = 0;
    return WSGW_OK;
}

static void fk_sub(void *ctx, const struct wsgw_topic *t)
{
    fk.subscribes++;
    snprintf(fk.last_sub, sizeof(fk.last_sub), "%s/%s", t->stream, t->topic);
}

static void fk_unsub(void *ctx, const struct wsgw_topic *t)
{
    fk.unsubscribes++;
    snprintf(fk.last_unsub, sizeof(fk.last_unsub), "%s/%s", t->stream,
             t->topic);
}

static int64_t fk_last_event(void *ctx, const struct wsgw_topic *t)
{
    return fk.last_event;
}

static const struct wsgw_source_ops fk_ops = {fk_build, fk_sub, fk_unsub,
                                              fk_last_event};

static const struct wsgw_module fk_mod = {
    .abi = WSGW_MODULE_ABI,
    .name = "fake",
    .provides = WSGW_PROVIDES_SOURCE,
    .source_ops = &fk_ops,
};

static struct wsgw_instance src = {.name = "fake",
                                   .mod = &fk_mod,
                                   .ctx = &fk,
                                   .kind = INSTANCE_SOURCE,
                                   .log_level = WSGW_LOG_WARN,
                                   .created = 1,
                                   .started = 1};

/* ---- a store module that can be switched off -------------------------- */

struct fstore {
    int available;
    int saves;
};

static struct fstore fst;

static int fs_load(void *ctx,
                   void (*cb)(void *, const struct wsgw_sub_record *),
                   void *arg, struct wsgw_err *err)
{
    return WSGW_OK;
}

static int fs_save(void *ctx, const struct wsgw_sub_record *r)
{
    if (!fst.available)
        return WSGW_AGAIN;
    fst.saves++;
    return WSGW_OK;
}

static int fs_avail(void *ctx)
{
    return fst.available;
}

static const struct wsgw_store_ops fs_ops = {fs_load, fs_save, fs_avail};

static const struct wsgw_module fs_mod = {
    .abi = WSGW_MODULE_ABI,
    .name = "fstore",
    .provides = WSGW_PROVIDES_STORE,
    .store_ops = &fs_ops,
};

static struct wsgw_instance store_in = {.name = "db",
                                        .mod = &fs_mod,
                                        .ctx = &fst,
                                        .kind = INSTANCE_SINK,
                                        .log_level = WSGW_LOG_WARN,
                                        .created = 1,
                                        .started = 1};

/* ---- helpers --------------------------------------------------------- */

static char dir[64];

static int group_setup(void **state)
{
    struct wsgw_err err = {0};

    assert_int_equal(loop_init(&err), WSGW_OK);
    return 0;
}

static int group_teardown(void **state)
{
    loop_free();
    return 0;
}

static void rm_dir(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    char p[512];

    if (!dp)
        return;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
            continue;
        snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
        unlink(p);
    }
    closedir(dp);
    rmdir(d);
}

/* A fresh registry with the file store in a new directory. */
static int setup(void **state)
{
    struct wsgw_err err = {0};

    memset(&fk, 0, sizeof(fk));
    snprintf(dir, sizeof(dir), "/tmp/wsgw-test-registry-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
    assert_int_equal(registry_load(&err), WSGW_OK);
    return 0;
}

static int teardown(void **state)
{
    registry_free();
    http_routes_free();
    rm_dir(dir);
    return 0;
}

static enum reg_result add(const char *service, const char *channel,
                           const char *symbol, struct wsgw_sub_record *out)
{
    struct wsgw_sub_request req = {.channel_type = channel, .symbol = symbol};
    struct wsgw_err err = {0};

    return registry_create(&req, service, out, &err);
}

static size_t total_records(void)
{
    struct registry_counts c;

    registry_counts(&c);
    return c.active + c.pending + c.failed + c.inactive;
}

/* Let the loop run until nothing is pending or timeout_ms passed. */
static void pump(int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

    event_base_loopexit(wsgw_event_base(), &tv);
    event_base_dispatch(wsgw_event_base());
}

/* ---- tests: refcounts, acks, conflicts ------------------------------- */

static void test_refcount(void **state)
{
    struct wsgw_sub_record a, b, c;
    int was;

    assert_int_equal(add("svc-a", "trades", "BTCUSDT", &a), REG_OK);
    assert_int_equal(fk.subscribes, 1);
    assert_string_equal(fk.last_sub, "linear/publicTrade.BTCUSDT");
    assert_string_equal(a.status, WSGW_SUB_PENDING);
    assert_int_equal(add("svc-b", "trades", "BTCUSDT", &b), REG_OK);
    assert_int_equal(fk.subscribes, 1); /* shared */
    assert_string_not_equal(a.id, b.id);
    assert_int_equal(wsgw_subs_active_count(), 2);

    assert_int_equal(registry_cancel(a.id, NULL, &was), REG_OK);
    assert_int_equal(was, 1);
    assert_int_equal(fk.unsubscribes, 0); /* b still needs it */
    assert_int_equal(registry_cancel(b.id, NULL, &was), REG_OK);
    assert_int_equal(fk.unsubscribes, 1);
    assert_string_equal(fk.last_unsub, "linear/publicTrade.BTCUSDT");
    /* A second cancel is harmless and unsubscribes nothing more. */
    assert_int_equal(registry_cancel(b.id, NULL, &was), REG_OK);
    assert_int_equal(was, 0);
    assert_int_equal(fk.unsubscribes, 1);

    assert_int_equal(add("svc-c", "trades", "BTCUSDT", &c), REG_OK);
    assert_int_equal(fk.subscribes, 2);
    assert_int_equal(wsgw_subs_active_count(), 1);
    /* The same symbol on another stream is another topic. */
    {
        struct wsgw_sub_request req = {
            .channel_type = "trades", .symbol = "BTCUSDT", .category = "spot"};
        struct wsgw_err err = {0};
        assert_int_equal(registry_create(&req, "svc-c", NULL, &err), REG_OK);
        assert_int_equal(fk.subscribes, 3);
        assert_string_equal(fk.last_sub, "spot/publicTrade.BTCUSDT");
    }
}

static void test_cancel_service(void **state)
{
    size_t n = 0;

    assert_int_equal(add("svc-a", "trades", "BTCUSDT", NULL), REG_OK);
    assert_int_equal(add("svc-a", "ticker", "BTCUSDT", NULL), REG_OK);
    assert_int_equal(add("svc-b", "ticker", "BTCUSDT", NULL), REG_OK);
    assert_int_equal(registry_cancel_service("svc-a", &n), REG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(fk.unsubscribes, 1); /* trades only: b keeps ticker */
    assert_int_equal(registry_cancel_service("svc-a", &n), REG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(registry_cancel_service("nobody", &n), REG_OK);
    assert_int_equal(n, 0);
}

static void test_acks(void **state)
{
    struct wsgw_sub_record a, b, c, r;
    struct wsgw_instance other = src;

    assert_int_equal(add("svc-a", "trades", "BTCUSDT", &a), REG_OK);
    assert_int_equal(add("svc-b", "trades", "BTCUSDT", &b), REG_OK);
    registry_ack("linear", "publicTrade.BTCUSDT", 1, NULL);
    assert_int_equal(registry_get(a.id, &r), REG_OK);
    assert_string_equal(r.status, WSGW_SUB_ACTIVE);
    assert_int_equal(registry_get(b.id, &r), REG_OK);
    assert_string_equal(r.status, WSGW_SUB_ACTIVE);
    /* After a reconnect the exchange may refuse: both follow. */
    registry_ack("linear", "publicTrade.BTCUSDT", 0,
                 "Invalid symbol :[publicTrade.BTCUSDT]");
    assert_int_equal(registry_get(b.id, &r), REG_OK);
    assert_string_equal(r.status, WSGW_SUB_FAILED);
    assert_string_equal(r.status_reason,
                        "Invalid symbol :[publicTrade.BTCUSDT]");
    /* A new record on a failed topic shows the failure. */
    assert_int_equal(add("svc-c", "trades", "BTCUSDT", &c), REG_OK);
    assert_string_equal(c.status, WSGW_SUB_FAILED);
    /* Unknown topics and other streams are ignored. */
    registry_ack("linear", "tickers.ETHUSDT", 1, NULL);
    registry_ack("spot", "publicTrade.BTCUSDT", 1, NULL);
    assert_int_equal(registry_get(a.id, &r), REG_OK);
    assert_string_equal(r.status, WSGW_SUB_FAILED);
    {
        struct registry_counts n;
        registry_counts(&n);
        assert_int_equal(n.failed, 3);
        assert_int_equal(n.topics, 1);
    }

    /* Through the thread-safe entry point and the loop. */
    wsgw_sub_ack(&src, "linear", "publicTrade.BTCUSDT", 1, NULL);
    wsgw_sub_ack(&other, "linear", "publicTrade.BTCUSDT", 0, "not ours");
    pump(50);
    assert_int_equal(registry_get(a.id, &r), REG_OK);
    assert_string_equal(r.status, WSGW_SUB_ACTIVE);
    assert_string_equal(r.status_reason, "");

    /* An ack for a cancelled topic does not bring it back. */
    registry_cancel(a.id, NULL, NULL);
    registry_cancel(b.id, NULL, NULL);
    registry_cancel(c.id, NULL, NULL);
    registry_ack("linear", "publicTrade.BTCUSDT", 0, "late");
    assert_int_equal(wsgw_subs_active_count(), 0);
    assert_int_equal(registry_get(a.id, &r), REG_OK);
    assert_int_equal(r.is_active, 0);
    assert_string_equal(r.status, WSGW_SUB_ACTIVE);
}

static void test_conflict_and_reactivate(void **state)
{
    struct wsgw_sub_record a, again;
    struct wsgw_sub_request req = {.channel_type = "trades",
                                   .symbol = "BTCUSDT"};
    struct wsgw_err err = {0};

    assert_int_equal(add("svc-a", "trades", "BTCUSDT", &a), REG_OK);
    assert_int_equal(registry_create(&req, "svc-a", NULL, &err), REG_EXISTS);
    assert_string_equal(err.code, "SUBSCRIPTION_EXISTS");
    assert_int_equal(total_records(), 1);
    assert_int_equal(fk.subscribes, 1);
    /* Cancelled: asking again reactivates the same record. */
    assert_int_equal(registry_cancel(a.id, NULL, NULL), REG_OK);
    assert_int_equal(registry_create(&req, "svc-a", &again, &err), REG_OK);
    assert_string_equal(again.id, a.id);
    assert_int_equal(again.is_active, 1);
    assert_int_equal(again.created_at_ms, a.created_at_ms);
    assert_true(again.updated_at_ms >= a.updated_at_ms);
    assert_int_equal(total_records(), 1);
    assert_int_equal(fk.subscribes, 2);
    /* A different depth is a different topic, not a conflict. */
    req.channel_type = "orderbook";
    assert_int_equal(registry_create(&req, "svc-a", NULL, &err), REG_OK);
    req.depth = 50;
    assert_int_equal(registry_create(&req, "svc-a", NULL, &err), REG_OK);
    assert_string_equal(fk.last_sub, "linear/orderbook.50.BTCUSDT");
}

static void test_validation_changes_nothing(void **state)
{
    static const struct {
        const char *channel, *symbol, *topic, *category, *code;
    } bad[] = {
        {"nope", "BTCUSDT", NULL, NULL, "INVALID_CHANNEL_TYPE"},
        {"trades", NULL, NULL, NULL, "MISSING_SYMBOL"},
        {"order", "BTCUSDT", NULL, NULL, "UNEXPECTED_SYMBOL"},
        {"trades", "btc-usdt", NULL, NULL, "INVALID_SYMBOL"},
        {"trades", "BTCUSDT", "tickers.BTCUSDT", NULL, "INVALID_TOPIC"},
        {"trades", "BTCUSDT", NULL, "futures", "INVALID_PARAMETER"},
    };

    assert_int_equal(add("svc-a", "ticker", "BTCUSDT", NULL), REG_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wsgw_sub_request req = {.channel_type = bad[i].channel,
                                       .symbol = bad[i].symbol,
                                       .topic = bad[i].topic,
                                       .category = bad[i].category};
        struct wsgw_err err = {0};

        assert_int_equal(registry_create(&req, "svc-a", NULL, &err),
                         REG_INVALID);
        assert_string_equal(err.code, bad[i].code);
    }
    assert_int_equal(total_records(), 1);
    assert_int_equal(fk.subscribes, 1);
    /* "*" is "no symbol" for account-wide channels. */
    assert_int_equal(add("svc-a", "order", "*", NULL), REG_OK);
}

static void test_store_unavailable(void **state)
{
    struct wsgw_err err = {0};
    struct wsgw_sub_record a;
    size_t n;

    registry_free();
    memset(&fk, 0, sizeof(fk));
    fst.available = 1;
    fst.saves = 0;
    assert_int_equal(registry_init(&src, &store_in, NULL, &err), WSGW_OK);
    assert_int_equal(registry_load(&err), WSGW_OK);
    assert_int_equal(add("svc-a", "trades", "BTCUSDT", &a), REG_OK);
    assert_int_equal(fst.saves, 1);

    fst.available = 0;
    assert_int_equal(add("svc-b", "ticker", "BTCUSDT", NULL), REG_UNAVAILABLE);
    assert_int_equal(registry_cancel(a.id, NULL, NULL), REG_UNAVAILABLE);
    assert_int_equal(registry_cancel_service("svc-a", &n), REG_UNAVAILABLE);
    assert_int_equal(total_records(), 1);
    assert_int_equal(wsgw_subs_active_count(), 1);
    assert_int_equal(fk.subscribes, 1);
    assert_int_equal(fk.unsubscribes, 0);
    /* Validation still comes first: a bad request is a 400, not a 503. */
    assert_int_equal(add("svc-b", "nope", "BTCUSDT", NULL), REG_INVALID);

    fst.available = 1;
    assert_int_equal(registry_cancel(a.id, NULL, NULL), REG_OK);
    assert_int_equal(fk.unsubscribes, 1);
}

static void test_no_source(void **state)
{
    struct wsgw_err err = {0};

    registry_free();
    assert_int_equal(registry_init(NULL, NULL, dir, &err), WSGW_OK);
    assert_int_equal(registry_load(&err), WSGW_OK);
    assert_int_equal(add("svc-a", "trades", "BTCUSDT", NULL), REG_UNAVAILABLE);
}

/* ---- tests: the file store ------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

struct snapshot {
    struct wsgw_sub_record r[16];
    size_t n;
};

static void snap(void *arg, const struct wsgw_sub_record *r)
{
    struct snapshot *s = arg;

    if (s->n < 16)
        s->r[s->n++] = *r;
}

static void test_file_reload(void **state)
{
    struct wsgw_sub_record a, b, c;
    struct snapshot before = {0}, after = {0};
    struct wsgw_err err = {0};
    char path[128], tmp[128];
    struct stat st;

    assert_int_equal(add("svc-a", "trades", "BTCUSDT", &a), REG_OK);
    assert_int_equal(add("svc-b", "trades", "BTCUSDT", &b), REG_OK);
    assert_int_equal(add("svc-b", "order", NULL, &c), REG_OK);
    registry_ack("linear", "publicTrade.BTCUSDT", 0, "refused");
    fk.last_event = 1790000000123;
    assert_int_equal(registry_cancel(a.id, NULL, NULL), REG_OK);
    registry_foreach(snap, &before);
    assert_int_equal(before.n, 3);
    registry_free(); /* flushes */

    snprintf(path, sizeof(path), "%s/subscriptions.json", dir);
    snprintf(tmp, sizeof(tmp), "%s/.subscriptions.json.tmp", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_not_equal(stat(tmp, &st), 0); /* no temp file left */

    memset(&fk, 0, sizeof(fk));
    assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
    assert_int_equal(registry_load(&err), WSGW_OK);
    /* Two active records on two topics: each topic subscribed once. */
    assert_int_equal(fk.subscribes, 2);
    registry_foreach(snap, &after);
    assert_int_equal(after.n, before.n);
    for (size_t i = 0; i < before.n; i++) {
        const struct wsgw_sub_record *x = &before.r[i], *y = &after.r[i];

        assert_string_equal(x->id, y->id);
        assert_string_equal(x->requesting_service, y->requesting_service);
        assert_string_equal(x->channel_type, y->channel_type);
        assert_string_equal(x->symbol, y->symbol);
        assert_string_equal(x->topic, y->topic);
        assert_string_equal(x->category, y->category);
        assert_string_equal(x->stream, y->stream);
        assert_int_equal(x->is_active, y->is_active);
        assert_int_equal(x->created_at_ms, y->created_at_ms);
        assert_int_equal(x->updated_at_ms, y->updated_at_ms);
        if (!x->is_active) {
            /* Saved when it was cancelled. */
            assert_int_equal(y->last_event_at_ms, 1790000000123);
            assert_string_equal(x->status, y->status);
        } else {
            /* Subscribed again: waiting for the exchange's answer. */
            assert_string_equal(y->status, WSGW_SUB_PENDING);
        }
    }
    /* The reloaded set still refcounts: svc-b's cancel unsubscribes. */
    assert_int_equal(registry_cancel(b.id, NULL, NULL), REG_OK);
    assert_int_equal(fk.unsubscribes, 1);
    assert_string_equal(fk.last_unsub, "linear/publicTrade.BTCUSDT");
}

static void test_file_debounce(void **state)
{
    char path[128], *text;

    snprintf(path, sizeof(path), "%s/subscriptions.json", dir);
    assert_int_equal(add("svc-a", "trades", "BTCUSDT", NULL), REG_OK);
    assert_int_equal(add("svc-a", "trades", "ETHUSDT", NULL), REG_OK);
    assert_int_equal(add("svc-a", "trades", "SOLUSDT", NULL), REG_OK);
    /* Written by the loop's debounce timer, without a flush. */
    for (int i = 0; i < 50 && access(path, F_OK) != 0; i++)
        pump(50);
    text = slurp(path);
    for (int i = 0; i < 50 && (!text || !strstr(text, "SOLUSDT")); i++) {
        free(text);
        pump(50);
        text = slurp(path);
    }
    assert_non_null(text);
    assert_non_null(strstr(text, "publicTrade.BTCUSDT"));
    assert_non_null(strstr(text, "publicTrade.ETHUSDT"));
    assert_non_null(strstr(text, "publicTrade.SOLUSDT"));
    free(text);
}

static void test_file_corrupt(void **state)
{
    char path[128];
    struct wsgw_err err = {0};
    FILE *f;
    DIR *dp;
    struct dirent *e;
    int aside = 0;

    registry_free();
    snprintf(path, sizeof(path), "%s/subscriptions.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"subscriptions\": [ {\"id\": ", f);
    fclose(f);
    assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
    /* Unreadable is not fatal: the daemon goes on, the file is kept. */
    assert_int_equal(registry_load(&err), WSGW_OK);
    assert_int_equal(total_records(), 0);
    dp = opendir(dir);
    while ((e = readdir(dp)) != NULL)
        if (strncmp(e->d_name, "subscriptions.json.corrupt-", 27) == 0)
            aside = 1;
    closedir(dp);
    assert_true(aside);
    assert_int_equal(add("svc-a", "trades", "BTCUSDT", NULL), REG_OK);
}

static void test_file_unwritable(void **state)
{
    struct wsgw_err err = {0};
    char sub[128];
    FILE *f;

    /* The state "directory" is a file: the store is unavailable. */
    registry_free();
    snprintf(sub, sizeof(sub), "%s/not-a-dir", dir);
    f = fopen(sub, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(registry_init(&src, NULL, sub, &err), WSGW_OK);
    assert_int_equal(registry_load(&err), WSGW_OK);
    assert_int_equal(add("svc-a", "trades", "BTCUSDT", NULL), REG_UNAVAILABLE);
    assert_int_equal(total_records(), 0);
    assert_int_equal(fk.subscribes, 0);
}

static void test_last_event(void **state)
{
    struct wsgw_sub_record a, r;
    char path[128], *text;

    assert_int_equal(add("svc-a", "trades", "BTCUSDT", &a), REG_OK);
    assert_int_equal(a.last_event_at_ms, 0);
    fk.last_event = 1790000000456;
    /* Rendering asks the source: no write per event. */
    assert_int_equal(registry_get(a.id, &r), REG_OK);
    assert_int_equal(r.last_event_at_ms, 1790000000456);
    registry_persist_last_events();
    registry_free();
    snprintf(path, sizeof(path), "%s/subscriptions.json", dir);
    text = slurp(path);
    assert_non_null(strstr(text, "2026-09-21T"));
    free(text);
    memset(&fk, 0, sizeof(fk));
    {
        struct wsgw_err err = {0};
        assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
        assert_int_equal(registry_load(&err), WSGW_OK);
    }
    assert_int_equal(registry_get(a.id, &r), REG_OK);
    assert_int_equal(r.last_event_at_ms, 1790000000456);
}

/* ---- tests: static subscriptions ------------------------------------- */

static struct wsgw_conf_node *yaml(const char *text)
{
    struct wsgw_err err = {0};
    struct wsgw_conf_node *root =
        conf_load_string("test.yaml", text, strlen(text), &err);

    if (!root)
        fail_msg("yaml: %s", err.msg);
    return root;
}

static void test_static(void **state)
{
    struct wsgw_conf_node *root;
    struct wsgw_err err = {0};
    struct snapshot s1 = {0}, s2 = {0};

    registry_free();
    memset(&fk, 0, sizeof(fk));
    assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
    root = yaml("subscriptions:\n"
                "  - {channel: trades, symbol: BTCUSDT}\n"
                "  - {channel_type: orderbook, symbol: ETHUSDT, depth: 50}\n"
                "  - {channel: order}\n");
    assert_int_equal(
        registry_add_static(wsgw_conf_get(root, "subscriptions"), &err),
        WSGW_OK);
    /* Nothing is subscribed before the daemon has started the source. */
    assert_int_equal(fk.subscribes, 0);
    assert_int_equal(registry_load(&err), WSGW_OK);
    assert_int_equal(fk.subscribes, 3);
    registry_foreach(snap, &s1);
    assert_int_equal(s1.n, 3);
    assert_string_equal(s1.r[0].requesting_service, "config");
    assert_string_equal(s1.r[1].topic, "orderbook.50.ETHUSDT");
    registry_free();

    /* Restart with one item dropped from the YAML: the ids stay, the
     * dropped one is cancelled. */
    assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
    conf_free(root);
    root = yaml("subscriptions:\n"
                "  - {channel: trades, symbol: BTCUSDT}\n"
                "  - {channel: order}\n");
    assert_int_equal(
        registry_add_static(wsgw_conf_get(root, "subscriptions"), &err),
        WSGW_OK);
    assert_int_equal(registry_load(&err), WSGW_OK);
    registry_foreach(snap, &s2);
    assert_int_equal(s2.n, 3);
    for (size_t i = 0; i < s1.n; i++) {
        struct wsgw_sub_record r;

        assert_int_equal(registry_get(s1.r[i].id, &r), REG_OK);
        assert_int_equal(r.is_active,
                         strcmp(r.topic, "orderbook.50.ETHUSDT") != 0);
        assert_int_equal(r.created_at_ms, s1.r[i].created_at_ms);
    }
    conf_free(root);
}

static void test_static_errors(void **state)
{
    static const struct {
        const char *yaml, *where, *what;
    } cases[] = {
        {"subscriptions:\n  - {channel: trades, symbol: btc}\n",
         "test.yaml:2:5", "bad symbol"},
        {"subscriptions:\n  - {channel: trades}\n", "test.yaml:2:5",
         "needs a symbol"},
        {"subscriptions:\n  - {channel: trades, symbol: BTCUSDT, size: 1}\n",
         "test.yaml:2:", "size"},
        {"subscriptions:\n  - {symbol: BTCUSDT}\n", "test.yaml:2:5",
         "needs 'channel'"},
        {"subscriptions:\n  - {channel: trades, channel_type: trades, "
         "symbol: BTCUSDT}\n",
         "test.yaml:2:5", "not both"},
        {"subscriptions:\n  - {channel: trades, symbol: BTCUSDT}\n"
         "  - {channel: trades, symbol: BTCUSDT}\n",
         "test.yaml:3:5", "listed twice"},
        {"subscriptions: trades\n", "test.yaml:1:16", "expected a list"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wsgw_conf_node *root = yaml(cases[i].yaml);
        struct wsgw_err err = {0};

        registry_free();
        assert_int_equal(registry_init(&src, NULL, dir, &err), WSGW_OK);
        assert_int_equal(
            registry_add_static(wsgw_conf_get(root, "subscriptions"), &err),
            WSGW_ERR);
        if (strncmp(err.msg, cases[i].where, strlen(cases[i].where)) != 0 ||
            !strstr(err.msg, cases[i].what))
            fail_msg("case %zu: got '%s'", i, err.msg);
        conf_free(root);
    }
    assert_int_equal(registry_load(&(struct wsgw_err){0}), WSGW_OK);
}

/* ---- tests: the endpoints -------------------------------------------- */

struct sent {
    int status;
    char *body;
};

static void t_send(void *tctx, int status, const char *ctype, const char *body,
                   size_t len, const char *trace_id)
{
    struct sent *s = tctx;

    s->status = status;
    free(s->body);
    s->body = strndup(body, len);
}

static const struct wsgw_http_transport transport = {t_send, NULL};

static json_t *call(const char *method, const char *path, const char *query,
                    const char *body, int *status)
{
    struct sent s = {0};
    struct wsgw_http_req *req =
        wsgw_http_req_new(&transport, &s, method, path, query, body,
                          body ? strlen(body) : 0, NULL);
    json_t *j;

    wsgw_http_dispatch(req, 1, WSGW_ROUTE_PUBLIC);
    *status = s.status;
    j = json_loads(s.body, 0, NULL);
    if (!j)
        fail_msg("not JSON: %s", s.body);
    free(s.body);
    return j;
}

static const char *code_of(json_t *j)
{
    return json_string_value(json_object_get(j, "code"));
}

static void expect_code(const char *method, const char *path, const char *body,
                        int status, const char *code)
{
    int st;
    json_t *j = call(method, path, NULL, body, &st);

    if (st != status || strcmp(code_of(j) ? code_of(j) : "", code) != 0)
        fail_msg("%s %s %s: got %d %s", method, path, body ? body : "", st,
                 code_of(j) ? code_of(j) : "(none)");
    json_decref(j);
}

static void test_api(void **state)
{
    int st;
    json_t *j, *list;
    char id[64], path[128];

    assert_int_equal(api_subscriptions_register(), WSGW_OK);
    j = call("POST", "/api/v1/subscriptions", NULL,
             "{\"channel_type\":\"trades\",\"symbol\":\"BTCUSDT\","
             "\"requesting_service\":\"svc-a\"}",
             &st);
    assert_int_equal(st, 201);
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j, "id")));
    assert_true(wsgw_uuid_valid(id));
    assert_string_equal(json_string_value(json_object_get(j, "topic")),
                        "publicTrade.BTCUSDT");
    assert_string_equal(json_string_value(json_object_get(j, "status")),
                        "pending");
    assert_true(json_is_true(json_object_get(j, "is_active")));
    assert_true(json_is_null(json_object_get(j, "last_event_at")));
    assert_string_equal(json_string_value(json_object_get(j, "category")),
                        "linear");
    assert_true(json_is_string(json_object_get(j, "created_at")));
    json_decref(j);

    j = call("POST", "/api/v1/subscriptions", NULL,
             "{\"channel_type\":\"order\",\"symbol\":\"*\","
             "\"requesting_service\":\"svc-b\"}",
             &st);
    assert_int_equal(st, 201);
    assert_true(json_is_null(json_object_get(j, "symbol")));
    json_decref(j);

    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"symbol\":\"BTCUSDT\","
                "\"requesting_service\":\"svc-a\"}",
                409, "SUBSCRIPTION_EXISTS");
    expect_code("POST", "/api/v1/subscriptions", "{\"channel_type\":", 400,
                "INVALID_JSON");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"x\",\"requesting_service\":\"s\"}", 400,
                "INVALID_CHANNEL_TYPE");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"requesting_service\":\"s\"}", 400, "INVALID_CHANNEL_TYPE");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"requesting_service\":\"s\"}",
                400, "MISSING_SYMBOL");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"order\",\"symbol\":\"BTCUSDT\","
                "\"requesting_service\":\"s\"}",
                400, "UNEXPECTED_SYMBOL");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"symbol\":\"b$\","
                "\"requesting_service\":\"s\"}",
                400, "INVALID_SYMBOL");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"symbol\":42,"
                "\"requesting_service\":\"s\"}",
                400, "INVALID_SYMBOL");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"symbol\":\"BTCUSDT\","
                "\"topic\":\"tickers.BTCUSDT\",\"requesting_service\":\"s\"}",
                400, "INVALID_TOPIC");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"symbol\":\"BTCUSDT\"}", 400,
                "INVALID_PARAMETER");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"trades\",\"symbol\":\"BTCUSDT\","
                "\"requesting_service\":\"config\"}",
                400, "INVALID_PARAMETER");
    expect_code("POST", "/api/v1/subscriptions",
                "{\"channel_type\":\"orderbook\",\"symbol\":\"BTCUSDT\","
                "\"depth\":\"deep\",\"requesting_service\":\"s\"}",
                400, "INVALID_PARAMETER");
    assert_int_equal(total_records(), 2);

    /* List and its filters. */
    j = call("GET", "/api/v1/subscriptions", NULL, NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    j = call("GET", "/api/v1/subscriptions", "requesting_service=svc-b", NULL,
             &st);
    list = json_object_get(j, "subscriptions");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(list, 0), "channel_type")),
                        "order");
    json_decref(j);
    j = call("GET", "/api/v1/subscriptions", "channel_type=trades", NULL, &st);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);

    /* Get, malformed id, unknown id. */
    snprintf(path, sizeof(path), "/api/v1/subscriptions/%s", id);
    j = call("GET", path, NULL, NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "id")), id);
    json_decref(j);
    expect_code("GET", "/api/v1/subscriptions/not-a-uuid", NULL, 400,
                "INVALID_PARAMETER");
    expect_code("DELETE", "/api/v1/subscriptions/not-a-uuid", NULL, 400,
                "INVALID_PARAMETER");
    expect_code("GET",
                "/api/v1/subscriptions/00000000-0000-4000-8000-000000000000",
                NULL, 404, "NOT_FOUND");
    expect_code("DELETE",
                "/api/v1/subscriptions/00000000-0000-4000-8000-000000000000",
                NULL, 404, "NOT_FOUND");

    /* Delete, then the filters see it inactive. */
    j = call("DELETE", path, NULL, NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(
        json_string_value(json_object_get(j, "subscription_id")), id);
    json_decref(j);
    j = call("GET", "/api/v1/subscriptions", "is_active=false", NULL, &st);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
    j = call("GET", "/api/v1/subscriptions", "is_active=true", NULL, &st);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
    j = call("GET", "/api/v1/subscriptions", "is_active=maybe", NULL, &st);
    assert_int_equal(st, 400);
    json_decref(j);

    /* By service. */
    j = call("DELETE", "/api/v1/subscriptions/by-service/svc-b", NULL, NULL,
             &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "cancelled_count")),
                     1);
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "Cancelled 1 subscriptions for service 'svc-b'");
    json_decref(j);
    assert_int_equal(wsgw_subs_active_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refcount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_and_reactivate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_validation_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_unavailable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_debounce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_unwritable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
