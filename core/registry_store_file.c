/*
 * registry_store_file.c — the built-in subscription store: every record
 * in one JSON file, STATE_DIR/subscriptions.json, for setups without a
 * database.
 *
 *   {"version": 1, "written_at": "...", "subscriptions": [Subscription…]}
 *
 * Writes are debounced: the first change arms a 100 ms timer and every
 * change until it fires lands in the same write. The write itself (temp
 * file, fsync, rename, fsync of the directory, so a crash leaves either
 * the old file or the new one) runs on a writer thread, because fsync can
 * take long and nothing slow may run on the loop. A failed write is
 * retried with backoff; until one succeeds the store reports itself
 * unavailable, so the API refuses changes (503) rather than accepting
 * what it cannot keep.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry_int.h"

#define DEBOUNCE_MS    100
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS   30000

struct store_file {
    char *dir, *path, *tmp;
    struct wsgw_sub_record *recs; /* the stored set, by id */
    size_t n, cap;
    int dirty;
    int timer_armed;
    struct wsgw_timer *timer;

    /* Shared with the writer thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* work for the writer             */
    pthread_cond_t done_cv;   /* a write finished               */
    struct snapshot *pending; /* newest set to write           */
    uint64_t gen_queued;      /* documents handed to the writer  */
    uint64_t gen_done;        /* newest document written         */
    uint64_t gen_failed;      /* newest document that failed     */
    int last_failed;
    int stop;
    int thread_started;
    pthread_t thread;
    int ok; /* atomic: writes possible */
};

static int record_from_json(json_t *o, struct wsgw_sub_record *r);

/*
 * A copy of the set for the writer thread, which serializes it: turning
 * thousands of records into JSON on the loop stalled the API for tens of
 * milliseconds (scripts/bench, admin create); a memcpy does not.
 */
struct snapshot {
    struct wsgw_sub_record *recs;
    size_t n;
};

static void snapshot_free(struct snapshot *snap)
{
    if (snap) {
        free(snap->recs);
        free(snap);
    }
}

static char *serialize(const struct snapshot *snap);

struct store_file *store_file_new(const char *dir)
{
    struct store_file *sf = calloc(1, sizeof(*sf));

    if (!sf)
        return NULL;
    sf->dir = strdup(dir);
    if (!sf->dir || asprintf(&sf->path, "%s/subscriptions.json", dir) < 0 ||
        asprintf(&sf->tmp, "%s/.subscriptions.json.tmp", dir) < 0) {
        free(sf->dir);
        free(sf);
        return NULL;
    }
    pthread_mutex_init(&sf->mu, NULL);
    pthread_cond_init(&sf->cv, NULL);
    pthread_cond_init(&sf->done_cv, NULL);
    return sf;
}

const char *store_file_path(const struct store_file *sf)
{
    return sf->path;
}

/* mkdir -p, mode 0700: the file lists what other services subscribe. */
static int make_dirs(const char *dir)
{
    char *p = strdup(dir);
    int rc = 0;

    if (!p)
        return -1;
    for (char *s = p + 1; *s && rc == 0; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* One atomic replacement of the file; 0, or -1 with errno. */
static int write_file(const struct store_file *sf, const char *doc)
{
    int fd, dfd, saved;

    fd = open(sf->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (write_all(fd, doc, strlen(doc)) != 0 || fsync(fd) != 0) {
        saved = errno;
        close(fd);
        unlink(sf->tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) != 0 || rename(sf->tmp, sf->path) != 0) {
        saved = errno;
        unlink(sf->tmp);
        errno = saved;
        return -1;
    }
    /* The rename is durable only once the directory is synced. */
    dfd = open(sf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    if (fsync(dfd) != 0) {
        saved = errno;
        close(dfd);
        errno = saved;
        return -1;
    }
    close(dfd);
    return 0;
}

static void *writer_main(void *arg)
{
    struct store_file *sf = arg;
    int64_t backoff = RETRY_FIRST_MS;

    pthread_mutex_lock(&sf->mu);
    for (;;) {
        struct snapshot *snap;
        char *doc;
        uint64_t gen;
        int rc, err;

        while (!sf->pending && !sf->stop)
            pthread_cond_wait(&sf->cv, &sf->mu);
        if (!sf->pending)
            break;
        snap = sf->pending;
        sf->pending = NULL;
        gen = sf->gen_queued;
        pthread_mutex_unlock(&sf->mu);

        doc = serialize(snap);
        if (doc) {
            rc = write_file(sf, doc);
            err = errno;
        } else {
            rc = -1;
            err = ENOMEM;
        }
        free(doc);

        pthread_mutex_lock(&sf->mu);
        if (rc == 0) {
            snapshot_free(snap);
            if (sf->last_failed)
                wsgw_info(NULL, "subscription store: %s written again",
                          sf->path);
            sf->last_failed = 0;
            backoff = RETRY_FIRST_MS;
            __atomic_store_n(&sf->ok, 1, __ATOMIC_RELEASE);
            if (gen > sf->gen_done)
                sf->gen_done = gen;
            pthread_cond_broadcast(&sf->done_cv);
            continue;
        }
        wsgw_error(NULL, "subscription store: cannot write %s: %s", sf->path,
                   strerror(err));
        sf->last_failed = 1;
        if (gen > sf->gen_failed)
            sf->gen_failed = gen;
        __atomic_store_n(&sf->ok, 0, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&sf->done_cv);
        /* Retry unless a newer document replaced this one meanwhile. */
        if (!sf->pending)
            sf->pending = snap;
        else
            snapshot_free(snap);
        if (sf->stop)
            break;
        {
            struct timespec ts;

            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += backoff / 1000;
            ts.tv_nsec += (backoff % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&sf->cv, &sf->mu, &ts);
        }
        backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
    }
    pthread_mutex_unlock(&sf->mu);
    return NULL;
}

static void debounce_fire(void *arg);

int store_file_open(struct store_file *sf, struct wsgw_err *err)
{
    struct stat st;

    if (make_dirs(sf->dir) != 0)
        return wsgw_err_set(err, NULL, "cannot create state directory %s: %s",
                            sf->dir, strerror(errno));
    if (stat(sf->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return wsgw_err_set(err, NULL, "state directory %s is not a directory",
                            sf->dir);
    if (access(sf->dir, W_OK) != 0)
        return wsgw_err_set(err, NULL, "state directory %s is not writable",
                            sf->dir);
    if (!sf->timer)
        sf->timer = wsgw_timer_new(debounce_fire, sf);
    if (!sf->thread_started) {
        if (pthread_create(&sf->thread, NULL, writer_main, sf) != 0)
            return wsgw_err_set(err, NULL, "cannot start the writer thread");
        sf->thread_started = 1;
    }
    __atomic_store_n(&sf->ok, 1, __ATOMIC_RELEASE);
    return WSGW_OK;
}

static char *serialize(const struct snapshot *sf)
{
    json_t *arr = json_array(), *doc;
    char now[WSGW_TIME_LEN + 1];
    char *text;

    if (!arr)
        return NULL;
    for (size_t i = 0; i < sf->n; i++)
        json_array_append_new(arr, registry_record_json(&sf->recs[i]));
    wsgw_time_format(wsgw_now_ms(), now);
    doc = json_pack("{s:i,s:s,s:o}", "version", 1, "written_at", now,
                    "subscriptions", arr);
    if (!doc)
        return NULL;
    text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return NULL;
    /* A trailing newline keeps the file friendly to tail and diff. */
    {
        size_t len = strlen(text);
        char *t = realloc(text, len + 2);

        if (!t) {
            free(text);
            return NULL;
        }
        t[len] = '\n';
        t[len + 1] = '\0';
        text = t;
    }
    return text;
}

/* Hand the current set to the writer; returns its generation, 0 if none. */
static uint64_t queue_write(struct store_file *sf)
{
    struct snapshot *snap;
    uint64_t gen;

    if (!sf->dirty)
        return 0;
    snap = calloc(1, sizeof(*snap));
    if (snap && sf->n) {
        snap->recs = malloc(sf->n * sizeof(*snap->recs));
        if (snap->recs)
            memcpy(snap->recs, sf->recs, sf->n * sizeof(*snap->recs));
    }
    if (!snap || (sf->n && !snap->recs)) {
        snapshot_free(snap);
        wsgw_error(NULL, "subscription store: out of memory copying the set");
        return 0;
    }
    snap->n = sf->n;
    sf->dirty = 0;
    pthread_mutex_lock(&sf->mu);
    snapshot_free(sf->pending); /* superseded: the new set has everything */
    sf->pending = snap;
    gen = ++sf->gen_queued;
    pthread_cond_signal(&sf->cv);
    pthread_mutex_unlock(&sf->mu);
    return gen;
}

static void debounce_fire(void *arg)
{
    struct store_file *sf = arg;

    sf->timer_armed = 0;
    queue_write(sf);
}

int store_file_flush(struct store_file *sf)
{
    uint64_t gen;
    int rc = WSGW_OK;

    if (!sf)
        return WSGW_OK;
    if (sf->timer_armed) {
        wsgw_timer_stop(sf->timer);
        sf->timer_armed = 0;
    }
    gen = queue_write(sf);
    if (!sf->thread_started) {
        /* Not opened (tests, or a start that failed): write inline. */
        struct snapshot *snap;
        char *doc = NULL;

        pthread_mutex_lock(&sf->mu);
        snap = sf->pending;
        sf->pending = NULL;
        pthread_mutex_unlock(&sf->mu);
        if (snap && (!(doc = serialize(snap)) || write_file(sf, doc) != 0)) {
            wsgw_error(NULL, "subscription store: cannot write %s: %s",
                       sf->path, doc ? strerror(errno) : "out of memory");
            rc = WSGW_ERR;
        }
        free(doc);
        snapshot_free(snap);
        return rc;
    }
    pthread_mutex_lock(&sf->mu);
    while (gen && sf->gen_done < gen && sf->gen_failed < gen)
        pthread_cond_wait(&sf->done_cv, &sf->mu);
    if (gen && sf->gen_done < gen)
        rc = WSGW_ERR;
    pthread_mutex_unlock(&sf->mu);
    return rc;
}

void store_file_free(struct store_file *sf)
{
    if (!sf)
        return;
    store_file_flush(sf);
    if (sf->thread_started) {
        pthread_mutex_lock(&sf->mu);
        sf->stop = 1;
        pthread_cond_signal(&sf->cv);
        pthread_mutex_unlock(&sf->mu);
        pthread_join(sf->thread, NULL);
    }
    if (sf->pending)
        wsgw_error(NULL,
                   "subscription store: the last changes could not be "
                   "written to %s",
                   sf->path);
    wsgw_timer_free(sf->timer);
    snapshot_free(sf->pending);
    pthread_mutex_destroy(&sf->mu);
    pthread_cond_destroy(&sf->cv);
    pthread_cond_destroy(&sf->done_cv);
    free(sf->recs);
    free(sf->dir);
    free(sf->path);
    free(sf->tmp);
    free(sf);
}

/* ---- store_ops ------------------------------------------------------- */

static int upsert(struct store_file *sf, const struct wsgw_sub_record *r)
{
    for (size_t i = 0; i < sf->n; i++)
        if (strcmp(sf->recs[i].id, r->id) == 0) {
            sf->recs[i] = *r;
            return WSGW_OK;
        }
    if (sf->n == sf->cap) {
        size_t cap = sf->cap ? sf->cap * 2 : 64;
        struct wsgw_sub_record *nr = realloc(sf->recs, cap * sizeof(*nr));

        if (!nr)
            return WSGW_ERR;
        sf->recs = nr;
        sf->cap = cap;
    }
    sf->recs[sf->n++] = *r;
    return WSGW_OK;
}

static int fs_save(void *ctx, const struct wsgw_sub_record *r)
{
    struct store_file *sf = ctx;

    if (!__atomic_load_n(&sf->ok, __ATOMIC_ACQUIRE))
        return WSGW_AGAIN;
    if (upsert(sf, r) != WSGW_OK)
        return WSGW_AGAIN;
    sf->dirty = 1;
    if (!sf->timer_armed && sf->timer) {
        wsgw_timer_start(sf->timer, DEBOUNCE_MS, 0);
        sf->timer_armed = 1;
    }
    return WSGW_OK;
}

static int fs_available(void *ctx)
{
    struct store_file *sf = ctx;

    return __atomic_load_n(&sf->ok, __ATOMIC_ACQUIRE);
}

/* Move an unreadable file aside, so it is kept for a human to look at
 * and the next write does not destroy it. */
static void quarantine(const struct store_file *sf)
{
    char *aside = NULL;

    if (asprintf(&aside, "%s.corrupt-%lld", sf->path,
                 (long long)wsgw_now_ms()) < 0)
        return;
    if (rename(sf->path, aside) == 0)
        wsgw_error(NULL, "subscription store: moved the unreadable file to %s",
                   aside);
    free(aside);
}

static int fs_load(void *ctx,
                   void (*cb)(void *arg, const struct wsgw_sub_record *r),
                   void *arg, struct wsgw_err *err)
{
    struct store_file *sf = ctx;
    json_error_t jerr;
    json_t *doc, *arr, *it;
    size_t i;

    doc = json_load_file(sf->path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (access(sf->path, F_OK) != 0 && errno == ENOENT)
            return WSGW_OK; /* first start */
        wsgw_err_set(err, NULL, "%s: line %d: %s", sf->path, jerr.line,
                     jerr.text);
        quarantine(sf);
        return WSGW_ERR;
    }
    arr = json_object_get(doc, "subscriptions");
    if (!json_is_array(arr)) {
        json_decref(doc);
        wsgw_err_set(err, NULL, "%s: no \"subscriptions\" list", sf->path);
        quarantine(sf);
        return WSGW_ERR;
    }
    json_array_foreach(arr, i, it)
    {
        struct wsgw_sub_record r;

        if (record_from_json(it, &r) != WSGW_OK) {
            wsgw_warn(NULL, "%s: subscription #%zu is malformed; skipped",
                      sf->path, i + 1);
            continue;
        }
        /* Keep the loaded set so the next write carries all of it. */
        upsert(sf, &r);
        cb(arg, &r);
    }
    json_decref(doc);
    return WSGW_OK;
}

const struct wsgw_store_ops store_file_ops = {
    .load = fs_load,
    .save = fs_save,
    .available = fs_available,
};

/* ---- parsing --------------------------------------------------------- */

static int get_str(json_t *o, const char *key, char *dst, size_t size,
                   int required)
{
    json_t *v = json_object_get(o, key);
    const char *s;

    if (!v || json_is_null(v)) {
        dst[0] = '\0';
        return required ? WSGW_ERR : WSGW_OK;
    }
    s = json_string_value(v);
    if (!s || strlen(s) >= size)
        return WSGW_ERR;
    memcpy(dst, s, strlen(s) + 1);
    return WSGW_OK;
}

static int get_time(json_t *o, const char *key, int64_t *ms)
{
    json_t *v = json_object_get(o, key);

    *ms = 0;
    if (!v || json_is_null(v))
        return WSGW_OK;
    if (!json_is_string(v))
        return WSGW_ERR;
    return wsgw_time_parse(json_string_value(v), ms);
}

static int record_from_json(json_t *o, struct wsgw_sub_record *r)
{
    memset(r, 0, sizeof(*r));
    if (!json_is_object(o) ||
        get_str(o, "id", r->id, sizeof(r->id), 1) != WSGW_OK ||
        !wsgw_uuid_valid(r->id) ||
        get_str(o, "channel_type", r->channel_type, sizeof(r->channel_type),
                1) != WSGW_OK ||
        get_str(o, "symbol", r->symbol, sizeof(r->symbol), 0) != WSGW_OK ||
        get_str(o, "topic", r->topic, sizeof(r->topic), 1) != WSGW_OK ||
        get_str(o, "category", r->category, sizeof(r->category), 0) !=
            WSGW_OK ||
        get_str(o, "stream", r->stream, sizeof(r->stream), 0) != WSGW_OK ||
        get_str(o, "requesting_service", r->requesting_service,
                sizeof(r->requesting_service), 1) != WSGW_OK ||
        get_str(o, "status", r->status, sizeof(r->status), 0) != WSGW_OK ||
        get_str(o, "status_reason", r->status_reason, sizeof(r->status_reason),
                0) != WSGW_OK ||
        !json_is_boolean(json_object_get(o, "is_active")) ||
        get_time(o, "created_at", &r->created_at_ms) != WSGW_OK ||
        get_time(o, "updated_at", &r->updated_at_ms) != WSGW_OK ||
        get_time(o, "last_event_at", &r->last_event_at_ms) != WSGW_OK)
        return WSGW_ERR;
    r->is_active = json_is_true(json_object_get(o, "is_active"));
    if (!r->status[0])
        memcpy(r->status, WSGW_SUB_PENDING, sizeof(WSGW_SUB_PENDING));
    return WSGW_OK;
}
