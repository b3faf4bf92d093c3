/*
 * fuzz_conf.c — libFuzzer harness for the YAML configuration loader
 * (core/conf_tree.c, conf_interp.c, conf_opts.c) and the daemon's
 * top-level checks (core/daemon_conf.c).
 *
 * The input is a whole configuration file. It is loaded with
 * conf_load_string(); the tree is walked with every accessor of
 * wsgw/conf.h; every map is checked against a small option table holding
 * one option of each type (strictly, and again ignoring the keys the table
 * does not know, so the value parsers are reached); every scalar goes
 * through wsgw_conf_parse_scalar() for each type; and the root goes
 * through daemon_conf_parse() as `wsgw -t` does before loading modules.
 *
 * Checks besides "no crash, no leak, no UB": every error has a message;
 * a load error or a where() names the file; a secret option's value is
 * never quoted back in an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/conf.h>

#include "conf_tree.h"
#include "daemon_conf.h"

#define NAME "fuzz.yaml"

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_conf: check failed: %s: ", #cond);           \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

struct small {
    char *name;
    int64_t count;
    int enabled;
    int64_t interval;
    int64_t bytes;
    int mode;
    struct wsgw_strlist listen;
    const struct wsgw_conf_node *nested;
    char *api_secret;
    char *path;
};

static const char *const modes[] = {"drop_oldest", "drop_newest", NULL};

#define OFF(f) offsetof(struct small, f)
static const struct wsgw_option small_opts[] = {
    {"name", WSGW_OPT_STR, NULL, WSGW_OPT_REQUIRED, OFF(name), 0, 0, NULL,
     "a name"},
    {"queue_size", WSGW_OPT_INT, "100000", 0, OFF(count), 1, 100000000, NULL,
     "events"},
    {"required", WSGW_OPT_BOOL, "true", 0, OFF(enabled), 0, 0, NULL, NULL},
    {"flush_interval", WSGW_OPT_DURATION, "200ms", 0, OFF(interval), 0, 3600000,
     NULL, NULL},
    {"queue_bytes", WSGW_OPT_SIZE, "64MiB", 0, OFF(bytes), 1024,
     (int64_t)1 << 40, NULL, NULL},
    {"overflow", WSGW_OPT_ENUM, "drop_oldest", 0, OFF(mode), 0, 0, modes, NULL},
    {"listen", WSGW_OPT_STRLIST, NULL, 0, OFF(listen), 0, 0, NULL, NULL},
    {"subscriptions", WSGW_OPT_NODE, NULL, 0, OFF(nested), 0, 0, NULL, NULL},
    {"api_secret", WSGW_OPT_STR, NULL, WSGW_OPT_SECRET, OFF(api_secret), 0, 0,
     NULL, NULL},
    {"path", WSGW_OPT_STR, "-", 0, OFF(path), 0, 0, NULL, NULL},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
};

static const char *g_text; /* the input, NUL-terminated */

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)); p += 1)
        n++;
    return len ? n : 0;
}

/*
 * A secret must not show up in an error. Written in the file, its text
 * must occur only once there (else another option may legitimately quote
 * the same text); taken from the environment, it must not occur in the
 * file at all. Short values are skipped: they match any message.
 */
static void check_secret(const struct wsgw_conf_node *map,
                         const struct wsgw_err *err)
{
    const struct wsgw_conf_node *v = wsgw_conf_get(map, "api_secret");
    const char *s = wsgw_conf_scalar(v);
    if (!s || strlen(s) < 12)
        return;
    if (occurrences(g_text, s) != (conf_interpolated(v) ? 0u : 1u))
        return;
    CHECK(strstr(err->msg, s) == NULL, "secret quoted back: %s", err->msg);
}

static void apply_small(const struct wsgw_conf_node *map)
{
    struct small out;
    struct wsgw_err err;

    memset(&out, 0, sizeof(out));
    memset(&err, 0, sizeof(err));
    if (wsgw_conf_apply(map, small_opts, NULL, &out, &err) != WSGW_OK) {
        CHECK(err.msg[0], "strict apply failed without a message");
        check_secret(map, &err);
    }
    conf_release(small_opts, &out);

    /* again, skipping the keys the table does not know */
    size_t n = wsgw_conf_len(map);
    const char **ignore = calloc(n + 1, sizeof(*ignore));
    size_t k = 0;
    if (!ignore)
        return;
    for (size_t i = 0; i < n; i++) {
        const char *key = NULL;
        wsgw_conf_at(map, i, &key);
        int known = 0;
        for (const struct wsgw_option *o = small_opts; o->name; o++)
            known |= key && strcmp(key, o->name) == 0;
        if (key && !known)
            ignore[k++] = key;
    }
    memset(&out, 0, sizeof(out));
    memset(&err, 0, sizeof(err));
    if (wsgw_conf_apply(map, small_opts, ignore, &out, &err) != WSGW_OK) {
        CHECK(err.msg[0], "apply failed without a message");
        check_secret(map, &err);
    } else {
        CHECK(out.name != NULL, "required name missing after success");
        CHECK(out.count >= 1 && out.count <= 100000000, "bounds: %lld",
              (long long)out.count);
        CHECK(out.enabled == 0 || out.enabled == 1, "bool %d", out.enabled);
        CHECK(out.mode == 0 || out.mode == 1, "enum %d", out.mode);
        for (size_t i = 0; i < out.listen.n; i++)
            CHECK(out.listen.v[i] != NULL, "NULL in a string list");
    }
    conf_release(small_opts, &out);
    free(ignore);
}

static void parse_scalar_all(const char *text)
{
    static const enum wsgw_opt_type types[] = {
        WSGW_OPT_INT, WSGW_OPT_BOOL, WSGW_OPT_DURATION, WSGW_OPT_SIZE};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        int64_t v = 0;
        struct wsgw_err err;
        memset(&err, 0, sizeof(err));
        if (wsgw_conf_parse_scalar(types[i], text, &v, &err) != WSGW_OK)
            CHECK(err.msg[0], "parse_scalar(%d) failed without a message",
                  (int)types[i]);
        else if (types[i] == WSGW_OPT_BOOL)
            CHECK(v == 0 || v == 1, "bool parsed as %lld", (long long)v);
    }
}

static void walk(const struct wsgw_conf_node *n, int depth)
{
    const char *where = wsgw_conf_where(n);
    CHECK(where && strncmp(where, NAME ":", sizeof(NAME)) == 0, "where: %s",
          where ? where : "(null)");
    CHECK(conf_line(n) >= 1 && conf_column(n) >= 1, "line %d col %d",
          conf_line(n), conf_column(n));
    switch (wsgw_conf_kind(n)) {
    case WSGW_CONF_SCALAR:
        CHECK(wsgw_conf_scalar(n) != NULL, "scalar without text");
        CHECK(wsgw_conf_len(n) == 0, "scalar with children");
        parse_scalar_all(wsgw_conf_scalar(n));
        return;
    case WSGW_CONF_MAP:
        apply_small(n);
        for (size_t i = 0; i < wsgw_conf_len(n); i++) {
            const char *key = NULL;
            const struct wsgw_conf_node *v = wsgw_conf_at(n, i, &key);
            CHECK(key != NULL && v != NULL, "map entry %zu incomplete", i);
            /* keys are unique, so a lookup finds this very value */
            CHECK(wsgw_conf_get(n, key) == v, "lookup of '%s' differs", key);
            if (depth < 64)
                walk(v, depth + 1);
        }
        return;
    case WSGW_CONF_SEQ:
        CHECK(wsgw_conf_scalar(n) == NULL, "sequence with text");
        for (size_t i = 0; i < wsgw_conf_len(n); i++) {
            const struct wsgw_conf_node *v = wsgw_conf_at(n, i, NULL);
            CHECK(v != NULL, "sequence item %zu missing", i);
            if (depth < 64)
                walk(v, depth + 1);
        }
        return;
    }
    CHECK(0, "unknown kind %d", (int)wsgw_conf_kind(n));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* variables the shipped configs and the seeds interpolate */
    setenv("WSGW_FUZZ_SET", "value-from-env", 1);
    setenv("WSGW_API_KEY", "fuzz-api-key", 1);
    setenv("BYBIT_API_KEY", "fuzz-bybit-key", 1);
    setenv("BYBIT_API_SECRET", "fuzz-bybit-secret-0123456789", 1);
    setenv("WSGW_EMPTY", "", 1);
    unsetenv("WSGW_TEST_SURELY_UNSET_VAR");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    g_text = text;

    struct wsgw_err err;
    memset(&err, 0, sizeof(err));
    struct wsgw_conf_node *root = conf_load_string(NAME, text, size, &err);
    if (!root) {
        CHECK(err.msg[0], "load failed without a message");
    } else {
        walk(root, 0);
        struct daemon_conf dc;
        memset(&dc, 0, sizeof(dc));
        memset(&err, 0, sizeof(err));
        if (daemon_conf_parse(root, &dc, &err) != WSGW_OK)
            CHECK(err.msg[0], "daemon_conf_parse failed without a message");
        daemon_conf_free(&dc);
        conf_free(root);
    }
    g_text = NULL;
    free(text);
    return 0;
}
