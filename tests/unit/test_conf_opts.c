/*
 * test_conf_opts.c — option tables (conf_opts.c): every option type and
 * its bounds, defaults, and every error of wsgw_conf_apply with its exact
 * FILE:LINE:COL, the did-you-mean hint, and secrets never echoed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_tree.h"

#ifndef CONF_FIXTURES
#define CONF_FIXTURES "tests/unit/data/conf"
#endif

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)

/* A sink's options, one of each type. */
struct sink_conf {
    char *path;
    int64_t queue_size;
    int64_t flush_interval;
    int64_t max_size;
    int fsync;
    int format;
    struct wsgw_strlist tags;
    char *token;
    const struct wsgw_conf_node *extra;
    char *label;
};

static const char *const formats[] = {"json", "text", "csv", NULL};

static const struct wsgw_option sink_opts[] = {
    {"path", WSGW_OPT_STR, NULL, WSGW_OPT_REQUIRED,
     offsetof(struct sink_conf, path), 0, 0, NULL,
     "file to write, - for "
     "stdout"},
    {"queue_size", WSGW_OPT_INT, "1000", 0,
     offsetof(struct sink_conf, queue_size), 1, 100000, NULL, "events held"},
    {"flush_interval", WSGW_OPT_DURATION, "1s", 0,
     offsetof(struct sink_conf, flush_interval), 10, 3600 * 1000, NULL,
     "how often to flush"},
    {"max_size", WSGW_OPT_SIZE, "16MiB", 0,
     offsetof(struct sink_conf, max_size), 4 * KIB, GIB, NULL, "rotate after"},
    {"fsync", WSGW_OPT_BOOL, "off", 0, offsetof(struct sink_conf, fsync), 0, 0,
     NULL, "fsync after each flush"},
    {"format", WSGW_OPT_ENUM, "json", 0, offsetof(struct sink_conf, format), 0,
     0, formats, "line format"},
    {"tags", WSGW_OPT_STRLIST, "[a, b]", 0, offsetof(struct sink_conf, tags), 0,
     0, NULL, "labels"},
    {"token", WSGW_OPT_STR, NULL, WSGW_OPT_SECRET,
     offsetof(struct sink_conf, token), 0, 0, NULL, "auth token"},
    {"extra", WSGW_OPT_NODE, NULL, 0, offsetof(struct sink_conf, extra), 0, 0,
     NULL, "anything"},
    {"label", WSGW_OPT_STR, "default label", 0,
     offsetof(struct sink_conf, label), 0, 0, NULL, "a label"},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
};

static const char *const instance_keys[] = {"name", "module", NULL};

static char path_buf[1024];

static const char *fixture(const char *name)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", CONF_FIXTURES, name);
    return path_buf;
}

static struct wsgw_conf_node *load(const char *text)
{
    struct wsgw_err err;
    struct wsgw_conf_node *root =
        conf_load_string("t.yaml", text, strlen(text), &err);

    if (root == NULL)
        fail_msg("load failed: %s", err.msg);
    return root;
}

/* Apply the "s" map of `yaml` to `c` (zeroed first). */
static int apply_text(const char *yaml, const struct wsgw_option *opts,
                      struct sink_conf *c, struct wsgw_err *err)
{
    struct wsgw_conf_node *root = load(yaml);
    int rc;

    memset(c, 0, sizeof(*c));
    rc = wsgw_conf_apply(wsgw_conf_get(root, "s"), opts, instance_keys, c, err);
    conf_free(root);
    return rc;
}

/* Applying `yaml` fails with exactly `msg` and leaves nothing owned. */
static void assert_apply_error(const char *yaml, const char *msg)
{
    struct wsgw_err err;
    struct sink_conf c;

    if (apply_text(yaml, sink_opts, &c, &err) == WSGW_OK) {
        conf_release(sink_opts, &c);
        fail_msg("applied, expected: %s", msg);
    }
    assert_string_equal(err.msg, msg);
    /* On error apply freed what it had stored (valgrind confirms). */
    assert_null(c.path);
    assert_null(c.label);
    assert_null(c.tags.v);
}

static int64_t parse_ok(enum wsgw_opt_type type, const char *text)
{
    struct wsgw_err err;
    int64_t v = -12345;

    if (wsgw_conf_parse_scalar(type, text, &v, &err) != WSGW_OK)
        fail_msg("'%s' refused: %s", text, err.msg);
    return v;
}

static void assert_parse_error(enum wsgw_opt_type type, const char *text,
                               const char *phrase)
{
    struct wsgw_err err;
    int64_t v = -12345;

    if (wsgw_conf_parse_scalar(type, text, &v, &err) == WSGW_OK)
        fail_msg("'%s' accepted as %lld", text, (long long)v);
    assert_string_equal(err.msg, phrase);
    assert_int_equal(v, -12345); /* untouched on error */
}

static int setup_env(void **state)
{
    (void)state;
    setenv("WSGW_TEST_SECRET", "s3cr3t-value", 1);
    return 0;
}

/* ---- scalar parsing --------------------------------------------------- */

static void test_parse_durations(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "250ms"), 250);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "20s"), 20000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "5m"), 300000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "1h"), 3600000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "24h"), 86400000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "1d"), 86400000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "90"), 90000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "0"), 0);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "1h30m"), 5400000);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "1m 500ms"), 60500);
    assert_int_equal(parse_ok(WSGW_OPT_DURATION, "20 s"), 20000);

    static const char *const bad[] = {"",     "abc", "20x", "-1s",  "1.5s",
                                      "1h30", "s",   "20S", " 20s", "20s ",
                                      "20 ",  "1e3", "ms20"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_parse_error(WSGW_OPT_DURATION, bad[i],
                           "expected a duration such as 20s or 500ms");
    assert_parse_error(WSGW_OPT_DURATION, "9223372036854775807d",
                       "expected a duration such as 20s or 500ms (this one "
                       "is too long)");
    assert_parse_error(WSGW_OPT_DURATION, "99999999999999999999",
                       "expected a duration such as 20s or 500ms (this one "
                       "is too long)");
}

static void test_parse_sizes(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "512"), 512);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "0"), 0);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "64KiB"), 64 * KIB);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "16MiB"), 16 * MIB);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "1GiB"), GIB);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "2TiB"), 2 * 1024 * GIB);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "64KB"), 64000);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "1MB"), 1000000);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "3GB"), 3000000000LL);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "100B"), 100);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "1mib"), MIB);
    assert_int_equal(parse_ok(WSGW_OPT_SIZE, "64 KiB"), 64 * KIB);

    static const char *const bad[] = {"",           "1.5MB", "-1",      "KiB",
                                      "12 parsecs", "1K",    "1 MiB x", "1e6",
                                      "64 ",        " 64"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_parse_error(WSGW_OPT_SIZE, bad[i],
                           "expected a size such as 512, 64KiB or 16MiB");
    assert_parse_error(WSGW_OPT_SIZE, "9000000TiB",
                       "expected a size such as 512, 64KiB or 16MiB (this "
                       "one is too large)");
}

static void test_parse_ints(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(WSGW_OPT_INT, "0"), 0);
    assert_int_equal(parse_ok(WSGW_OPT_INT, "-5"), -5);
    assert_int_equal(parse_ok(WSGW_OPT_INT, "+7"), 7);
    assert_true(parse_ok(WSGW_OPT_INT, "9223372036854775807") == INT64_MAX);
    assert_true(parse_ok(WSGW_OPT_INT, "-9223372036854775808") == INT64_MIN);

    static const char *const bad[] = {"",   "abc", "1e3", "0x10", " 1",
                                      "1 ", "1.0", "-",   "--1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_parse_error(WSGW_OPT_INT, bad[i], "expected an integer");
    assert_parse_error(WSGW_OPT_INT, "9223372036854775808",
                       "expected an integer that fits in 64 bits");
    assert_parse_error(WSGW_OPT_INT, "-9223372036854775809",
                       "expected an integer that fits in 64 bits");
}

static void test_parse_bools(void **state)
{
    static const char *const yes[] = {"true", "yes", "on", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "off", "False", "OFF"};

    (void)state;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(parse_ok(WSGW_OPT_BOOL, yes[i]), 1);
        assert_int_equal(parse_ok(WSGW_OPT_BOOL, no[i]), 0);
    }
    static const char *const bad[] = {"", "1", "0", "y", "maybe", "truee"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_parse_error(WSGW_OPT_BOOL, bad[i],
                           "expected true or false (also yes/no, on/off)");
}

static void test_parse_other_types(void **state)
{
    struct wsgw_err err;
    int64_t v = 7;

    (void)state;
    /* Any text is a string; *out is left alone. */
    assert_int_equal(wsgw_conf_parse_scalar(WSGW_OPT_STR, "x", &v, &err),
                     WSGW_OK);
    assert_int_equal(v, 7);
    /* ENUM needs its choices: only wsgw_conf_apply can parse it. */
    assert_int_equal(wsgw_conf_parse_scalar(WSGW_OPT_ENUM, "x", &v, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "this option type needs its table row: use "
                                 "wsgw_conf_apply()");
    assert_int_equal(wsgw_conf_parse_scalar(WSGW_OPT_INT, NULL, &v, &err),
                     WSGW_ERR);
}

/* ---- apply: values ---------------------------------------------------- */

static void test_apply_defaults(void **state)
{
    struct wsgw_err err;
    struct sink_conf c;

    (void)state;
    assert_int_equal(apply_text("s: {name: a, module: file, path: out}\n",
                                sink_opts, &c, &err),
                     WSGW_OK);
    assert_string_equal(c.path, "out");
    assert_int_equal(c.queue_size, 1000);
    assert_int_equal(c.flush_interval, 1000);
    assert_int_equal(c.max_size, 16 * MIB);
    assert_int_equal(c.fsync, 0);
    assert_int_equal(c.format, 0);
    assert_int_equal(c.tags.n, 2);
    assert_string_equal(c.tags.v[0], "a");
    assert_string_equal(c.tags.v[1], "b");
    assert_null(c.token);
    assert_null(c.extra);
    assert_string_equal(c.label, "default label");
    conf_release(sink_opts, &c);
    assert_null(c.path);
    assert_null(c.label);
    assert_int_equal(c.tags.n, 0);
    assert_null(c.tags.v);
}

static void test_apply_all_types(void **state)
{
    struct wsgw_conf_node *root = load("s:\n"
                                       "  path: /var/log/x.jsonl\n"
                                       "  queue_size: 5000\n"
                                       "  flush_interval: 250ms\n"
                                       "  max_size: 64MiB\n"
                                       "  fsync: yes\n"
                                       "  format: csv\n"
                                       "  tags: [x, \"y z\", '']\n"
                                       "  token: ${WSGW_TEST_SECRET}\n"
                                       "  extra: {deep: [1, 2]}\n"
                                       "  label: \"\"\n");
    const struct wsgw_conf_node *s = wsgw_conf_get(root, "s");
    struct wsgw_err err;
    struct sink_conf c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(wsgw_conf_apply(s, sink_opts, NULL, &c, &err), WSGW_OK);
    assert_string_equal(c.path, "/var/log/x.jsonl");
    assert_int_equal(c.queue_size, 5000);
    assert_int_equal(c.flush_interval, 250);
    assert_int_equal(c.max_size, 64 * MIB);
    assert_int_equal(c.fsync, 1);
    assert_int_equal(c.format, 2);
    assert_int_equal(c.tags.n, 3);
    assert_string_equal(c.tags.v[0], "x");
    assert_string_equal(c.tags.v[1], "y z");
    assert_string_equal(c.tags.v[2], "");
    assert_string_equal(c.token, "s3cr3t-value");
    assert_ptr_equal(c.extra, wsgw_conf_get(s, "extra"));
    assert_int_equal(wsgw_conf_kind(c.extra), WSGW_CONF_MAP);
    /* An empty STR is allowed unless the option is required. */
    assert_string_equal(c.label, "");
    /* Strings are copies: they outlive the tree. */
    conf_free(root);
    assert_string_equal(c.path, "/var/log/x.jsonl");
    assert_string_equal(c.tags.v[1], "y z");
    conf_release(sink_opts, &c);
}

static void test_apply_strlist_shapes(void **state)
{
    struct wsgw_err err;
    struct sink_conf c;

    (void)state;
    /* One scalar is a list of one. */
    assert_int_equal(
        apply_text("s: {path: p, tags: solo}\n", sink_opts, &c, &err), WSGW_OK);
    assert_int_equal(c.tags.n, 1);
    assert_string_equal(c.tags.v[0], "solo");
    conf_release(sink_opts, &c);
    /* [] and an empty value are empty lists (not the default). */
    assert_int_equal(
        apply_text("s: {path: p, tags: []}\n", sink_opts, &c, &err), WSGW_OK);
    assert_int_equal(c.tags.n, 0);
    assert_null(c.tags.v);
    conf_release(sink_opts, &c);
    assert_int_equal(
        apply_text("s:\n  path: p\n  tags:\n", sink_opts, &c, &err), WSGW_OK);
    assert_int_equal(c.tags.n, 0);
    conf_release(sink_opts, &c);
    assert_int_equal(apply_text("s: {path: p, tags: \"${WSGW_TEST_UNSET:-}\"}"
                                "\n",
                                sink_opts, &c, &err),
                     WSGW_OK);
    assert_int_equal(c.tags.n, 0);
    conf_release(sink_opts, &c);
}

static void test_apply_bounds_edges(void **state)
{
    struct wsgw_err err;
    struct sink_conf c;

    (void)state;
    assert_int_equal(apply_text("s: {path: p, queue_size: 1, flush_interval: "
                                "10ms, max_size: 4KiB}\n",
                                sink_opts, &c, &err),
                     WSGW_OK);
    assert_int_equal(c.queue_size, 1);
    assert_int_equal(c.flush_interval, 10);
    assert_int_equal(c.max_size, 4 * KIB);
    conf_release(sink_opts, &c);
    assert_int_equal(apply_text("s: {path: p, queue_size: 100000, "
                                "flush_interval: 1h, max_size: 1GiB}\n",
                                sink_opts, &c, &err),
                     WSGW_OK);
    assert_int_equal(c.queue_size, 100000);
    assert_int_equal(c.flush_interval, 3600000);
    assert_int_equal(c.max_size, GIB);
    conf_release(sink_opts, &c);

    assert_apply_error("s: {path: p, queue_size: 0}\n",
                       "t.yaml:1:26: option 'queue_size': expected an "
                       "integer between 1 and 100000, got '0'");
    assert_apply_error("s: {path: p, queue_size: 100001}\n",
                       "t.yaml:1:26: option 'queue_size': expected an "
                       "integer between 1 and 100000, got '100001'");
    assert_apply_error("s: {path: p, flush_interval: 9ms}\n",
                       "t.yaml:1:30: option 'flush_interval': expected a "
                       "duration between 10ms and 1h, got '9ms'");
    assert_apply_error("s: {path: p, flush_interval: 3600001ms}\n",
                       "t.yaml:1:30: option 'flush_interval': expected a "
                       "duration between 10ms and 1h, got '3600001ms'");
    assert_apply_error("s: {path: p, max_size: 4095}\n",
                       "t.yaml:1:24: option 'max_size': expected a size "
                       "between 4KiB and 1GiB, got '4095'");
    assert_apply_error("s: {path: p, max_size: 1025MiB}\n",
                       "t.yaml:1:24: option 'max_size': expected a size "
                       "between 4KiB and 1GiB, got '1025MiB'");
}

struct one_int {
    int64_t v;
};

static void test_apply_open_bounds(void **state)
{
    static const struct wsgw_option at_least[] = {
        {"v", WSGW_OPT_INT, NULL, 0, 0, 0, INT64_MAX, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    static const struct wsgw_option at_most[] = {
        {"v", WSGW_OPT_DURATION, NULL, 0, 0, INT64_MIN, 90000, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    static const struct wsgw_option unbounded[] = {
        {"v", WSGW_OPT_INT, NULL, 0, 0, 0, 0, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    struct wsgw_conf_node *root = load("a: {v: -1}\nb: {v: 2m}\n");
    struct one_int o = {0};
    struct wsgw_err err;

    (void)state;
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "a"), at_least, NULL, &o, &err),
        WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:8: option 'v': expected an "
                                 "integer of at least 0, got '-1'");
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "b"), at_most, NULL, &o, &err),
        WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:2:8: option 'v': expected a "
                                 "duration of at most 90s, got '2m'");
    /* min == max: no bounds at all. */
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "a"), unbounded, NULL, &o, &err),
        WSGW_OK);
    assert_int_equal(o.v, -1);
    conf_free(root);
}

static void test_apply_absent_or_empty_section(void **state)
{
    struct wsgw_err err;
    struct sink_conf c;
    static const struct wsgw_option opt_only[] = {
        {"queue_size", WSGW_OPT_INT, "7", 0,
         offsetof(struct sink_conf, queue_size), 0, 0, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    struct wsgw_conf_node *root = load("s:\n");

    (void)state;
    /* "s:" with nothing, or no section at all: every default applies. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "s"), opt_only, NULL, &c, &err),
        WSGW_OK);
    assert_int_equal(c.queue_size, 7);
    memset(&c, 0, sizeof(c));
    assert_int_equal(wsgw_conf_apply(NULL, opt_only, NULL, &c, &err), WSGW_OK);
    assert_int_equal(c.queue_size, 7);
    /* Without a node, a missing required option has no place to name. */
    assert_int_equal(wsgw_conf_apply(NULL, sink_opts, NULL, &c, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "option 'path' is required: expected a "
                                 "string (file to write, - for stdout)");
    conf_free(root);
}

static void test_apply_ignore_list(void **state)
{
    struct wsgw_err err;
    struct sink_conf c;

    (void)state;
    assert_int_equal(
        apply_text("s: {name: x, module: y, path: p}\n", sink_opts, &c, &err),
        WSGW_OK);
    conf_release(sink_opts, &c);
    /* Without the ignore list, "name" is an unknown option. */
    struct wsgw_conf_node *root = load("s: {name: x, path: p}\n");
    memset(&c, 0, sizeof(c));
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "s"), sink_opts, NULL, &c, &err),
        WSGW_ERR);
    assert_string_equal(err.msg,
                        "t.yaml:1:5: unknown option 'name'; allowed: path, "
                        "queue_size, flush_interval, max_size, fsync, "
                        "format, tags, token, extra, label");
    conf_free(root);
}

/* ---- apply: errors, from the fixture ---------------------------------- */

/* Apply sinks[i] of sink_errors.yaml; expect "PATH:" + rest. */
static void assert_sink_error(size_t i, const char *rest)
{
    struct wsgw_err err;
    struct sink_conf c;
    char want[2048];
    struct wsgw_conf_node *root =
        conf_load_file(fixture("sink_errors.yaml"), &err);

    if (root == NULL)
        fail_msg("%s", err.msg);
    memset(&c, 0, sizeof(c));
    if (wsgw_conf_apply(wsgw_conf_at(wsgw_conf_get(root, "sinks"), i, NULL),
                        sink_opts, instance_keys, &c, &err) == WSGW_OK) {
        conf_release(sink_opts, &c);
        conf_free(root);
        fail_msg("sink %zu applied", i);
    }
    conf_free(root);
    snprintf(want, sizeof(want), "%s:%s", fixture("sink_errors.yaml"), rest);
    assert_string_equal(err.msg, want);
}

static void test_error_unknown_key_did_you_mean(void **state)
{
    (void)state;
    assert_sink_error(0, "5:5: unknown option 'quue_size'; allowed: name, "
                         "module, path, queue_size, flush_interval, "
                         "max_size, fsync, format, tags, token, extra, "
                         "label; did you mean 'queue_size'?");
    /* Nothing within edit distance 2: no guess. */
    assert_sink_error(1, "8:5: unknown option 'colour'; allowed: name, "
                         "module, path, queue_size, flush_interval, "
                         "max_size, fsync, format, tags, token, extra, "
                         "label");
}

static void test_error_unknown_key_variants(void **state)
{
    (void)state;
    /* A swap of two letters is one edit; case does not count. */
    assert_apply_error("s: {path: p, queue_szie: 1}\n",
                       "t.yaml:1:14: unknown option 'queue_szie'; allowed: "
                       "name, module, path, queue_size, flush_interval, "
                       "max_size, fsync, format, tags, token, extra, label; "
                       "did you mean 'queue_size'?");
    /* Two edits away is still a guess; three is not. */
    assert_apply_error("s: {path: p, quue_sie: 1}\n",
                       "t.yaml:1:14: unknown option 'quue_sie'; allowed: "
                       "name, module, path, queue_size, flush_interval, "
                       "max_size, fsync, format, tags, token, extra, label; "
                       "did you mean 'queue_size'?");
    assert_apply_error("s: {path: p, quu_sie: 1}\n",
                       "t.yaml:1:14: unknown option 'quu_sie'; allowed: "
                       "name, module, path, queue_size, flush_interval, "
                       "max_size, fsync, format, tags, token, extra, label");
    assert_apply_error("s: {PATH: p}\n",
                       "t.yaml:1:5: unknown option 'PATH'; allowed: name, "
                       "module, path, queue_size, flush_interval, max_size, "
                       "fsync, format, tags, token, extra, label; did you "
                       "mean 'path'?");
}

static void test_error_unknown_key_long_list_is_cut(void **state)
{
    static struct wsgw_option many[80];
    static char names[80][24];
    struct wsgw_conf_node *root = load("s: {nope: 1}\n");
    struct wsgw_err err;
    char c[4096] = {0};

    (void)state;
    for (int i = 0; i < 79; i++) {
        snprintf(names[i], sizeof(names[i]), "option_number_%02d", i);
        many[i].name = names[i];
        many[i].type = WSGW_OPT_INT;
    }
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "s"), many, NULL, c, &err),
        WSGW_ERR);
    assert_true(strncmp(err.msg,
                        "t.yaml:1:5: unknown option 'nope'; "
                        "allowed: option_number_00, ",
                        60) == 0);
    assert_true(strlen(err.msg) < sizeof(err.msg));
    assert_non_null(strstr(err.msg, ", ..."));
    conf_free(root);
}

static void test_error_wrong_kind(void **state)
{
    (void)state;
    /* A map where a scalar is expected. */
    assert_sink_error(2, "11:11: option 'path': expected a string, got a "
                         "map");
    /* A list where a map is expected. */
    assert_sink_error(11, "36:5: expected a map of options, got a list");
    assert_apply_error("s: {path: p, queue_size: [1]}\n",
                       "t.yaml:1:26: option 'queue_size': expected an "
                       "integer between 1 and 100000, got a list");
    assert_apply_error("s: just text\n", "t.yaml:1:4: expected a map of "
                                         "options, got 'just text'");
    assert_apply_error("s: {path: p, tags: {a: 1}}\n",
                       "t.yaml:1:20: option 'tags': expected a string or a "
                       "list of strings, got a map");
    /* A bad list item is blamed where it is. */
    assert_apply_error("s:\n  path: p\n  tags:\n    - a\n    - [b]\n",
                       "t.yaml:5:7: option 'tags': expected a list of "
                       "strings, got a list as item 2");
}

static void test_error_bad_values(void **state)
{
    (void)state;
    assert_sink_error(3, "14:21: option 'flush_interval': expected a "
                         "duration such as 20s or 500ms, got 'abc'");
    assert_sink_error(4, "17:15: option 'max_size': expected a size such as "
                         "512, 64KiB or 16MiB, got '12 parsecs'");
    assert_sink_error(5, "20:17: option 'queue_size': expected an integer, "
                         "got 'lots'");
    assert_sink_error(6, "23:12: option 'fsync': expected true or false "
                         "(also yes/no, on/off), got 'maybe'");
    assert_sink_error(7, "26:13: option 'format': expected one of: json, "
                         "text, csv, got 'jsonl'; did you mean 'json'?");
    assert_sink_error(8, "29:17: option 'queue_size': expected an integer "
                         "between 1 and 100000, got '0'");
    assert_apply_error("s: {path: p, format: xml}\n",
                       "t.yaml:1:22: option 'format': expected one of: json, "
                       "text, csv, got 'xml'");
    assert_apply_error("s: {path: p, fsync: \"\"}\n",
                       "t.yaml:1:21: option 'fsync': expected true or false "
                       "(also yes/no, on/off), got an empty value");
    /* A long value is cut, between UTF-8 characters. */
    assert_apply_error("s: {path: p, queue_size: "
                       "abcdefghijabcdefghijabcdefghijabcdefghij"
                       "abcdefghijabcdefghijabcééé}\n",
                       "t.yaml:1:26: option 'queue_size': expected an "
                       "integer, got '"
                       "abcdefghijabcdefghijabcdefghijabcdefghij"
                       "abcdefghijabcdefghijabcé...'");
    assert_apply_error("s: {path: p, queue_size: \"a\\nb\"}\n",
                       "t.yaml:1:26: option 'queue_size': expected an "
                       "integer, got 'a\\nb'");
}

static void test_error_missing_required(void **state)
{
    (void)state;
    assert_sink_error(9, "30:5: option 'path' is required: expected a string "
                         "(file to write, - for stdout)");
    /* Present but empty is not enough for a required string. */
    assert_apply_error("s:\n  path:\n",
                       "t.yaml:2:8: option 'path': expected a non-empty "
                       "string, got an empty value");
    assert_apply_error("s: {path: \"${WSGW_TEST_UNSET:-}\"}\n",
                       "t.yaml:1:11: option 'path': expected a non-empty "
                       "string, got an empty value");
}

static void test_error_release_partial(void **state)
{
    (void)state;
    /* path, label and tags were stored before the bad value: freed. */
    assert_apply_error("s: {path: p, label: l, tags: [a], queue_size: x}\n",
                       "t.yaml:1:47: option 'queue_size': expected an "
                       "integer, got 'x'");
}

/* ---- secrets ---------------------------------------------------------- */

static void test_secret_never_echoed(void **state)
{
    static const char *const levels[] = {"low", "high", NULL};
    struct secret_conf {
        int64_t pin;
        int level;
    } sc;
    static const struct wsgw_option secret_opts[] = {
        {"pin", WSGW_OPT_INT, NULL, WSGW_OPT_SECRET,
         offsetof(struct secret_conf, pin), 0, 9999, NULL, NULL},
        {"level", WSGW_OPT_ENUM, NULL, WSGW_OPT_SECRET,
         offsetof(struct secret_conf, level), 0, 0, levels, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    struct wsgw_conf_node *root =
        load("a: {pin: hunter2}\nb: {pin: 123456}\nc: {level: hihg}\n");
    struct wsgw_err err;

    (void)state;
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "a"), secret_opts, NULL, &sc, &err),
        WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:10: option 'pin': expected an "
                                 "integer, got <secret>");
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "b"), secret_opts, NULL, &sc, &err),
        WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:2:10: option 'pin': expected an "
                                 "integer between 0 and 9999, got <secret>");
    /* No did-you-mean either: it would half-print the secret. */
    assert_int_equal(
        wsgw_conf_apply(wsgw_conf_get(root, "c"), secret_opts, NULL, &sc, &err),
        WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:3:12: option 'level': expected one "
                                 "of: low, high, got <secret>");
    conf_free(root);

    /* A secret list item of the wrong kind: only its kind is named. */
    assert_sink_error(10, "35:12: option 'token': expected a string, got a "
                          "list");
}

static void test_environment_value_never_echoed(void **state)
{
    struct wsgw_err err;
    struct sink_conf c;

    (void)state;
    assert_int_equal(apply_text("s: {path: p, queue_size: "
                                "\"n=${WSGW_TEST_SECRET}\"}\n",
                                sink_opts, &c, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:26: option 'queue_size': expected "
                                 "an integer, got 'n=${WSGW_TEST_SECRET}' "
                                 "(from the environment; value not shown)");
    assert_null(strstr(err.msg, "s3cr3t"));
    /* Not even as a did-you-mean guess. */
    setenv("WSGW_TEST_SECRET", "jsn", 1);
    assert_int_equal(apply_text("s: {path: p, format: \"${WSGW_TEST_SECRET}\"}"
                                "\n",
                                sink_opts, &c, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:22: option 'format': expected one "
                                 "of: json, text, csv, got "
                                 "'${WSGW_TEST_SECRET}' (from the "
                                 "environment; value not shown)");
    setenv("WSGW_TEST_SECRET", "s3cr3t-value", 1);
}

/* ---- programming errors in tables ------------------------------------- */

static void test_bad_default_is_reported(void **state)
{
    static const struct wsgw_option bad_def[] = {
        {"timeout", WSGW_OPT_DURATION, "20 seconds", 0, 0, 0, 0, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    static const struct wsgw_option out_of_range_def[] = {
        {"n", WSGW_OPT_INT, "0", 0, 0, 1, 10, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    static const struct wsgw_option bad_list_def[] = {
        {"l", WSGW_OPT_STRLIST, "[a, {b: 1}]", 0, 0, 0, 0, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    struct wsgw_conf_node *root = load("s: {}\n");
    const struct wsgw_conf_node *s = wsgw_conf_get(root, "s");
    char out[64] = {0};
    struct wsgw_err err;

    (void)state;
    assert_int_equal(wsgw_conf_apply(s, bad_def, NULL, out, &err), WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:4: option 'timeout': invalid "
                                 "default \"20 seconds\" in the option table "
                                 "(a bug in the module): expected a duration "
                                 "such as 20s or 500ms, got '20 seconds'");
    assert_int_equal(wsgw_conf_apply(s, out_of_range_def, NULL, out, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:4: option 'n': invalid default "
                                 "\"0\" in the option table (a bug in the "
                                 "module): expected an integer between 1 "
                                 "and 10, got '0'");
    assert_int_equal(wsgw_conf_apply(s, bad_list_def, NULL, out, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "t.yaml:1:4: option 'l': invalid default "
                                 "\"[a, {b: 1}]\" in the option table (a bug "
                                 "in the module): expected a list of "
                                 "strings, got a map as item 2");
    conf_free(root);
}

static void test_bad_table_is_reported(void **state)
{
    static const struct wsgw_option no_choices[] = {
        {"mode", WSGW_OPT_ENUM, NULL, 0, 0, 0, 0, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    static const struct wsgw_option node_default[] = {
        {"n", WSGW_OPT_NODE, "{}", 0, 0, 0, 0, NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL},
    };
    char out[64] = {0};
    struct wsgw_err err;

    (void)state;
    assert_int_equal(wsgw_conf_apply(NULL, no_choices, NULL, out, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "option 'mode': an ENUM option without "
                                 "choices in the option table (a bug in the "
                                 "module)");
    assert_int_equal(wsgw_conf_apply(NULL, node_default, NULL, out, &err),
                     WSGW_ERR);
    assert_string_equal(err.msg, "option 'n': a NODE option cannot have a "
                                 "default (a bug in the module)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_durations),
        cmocka_unit_test(test_parse_sizes),
        cmocka_unit_test(test_parse_ints),
        cmocka_unit_test(test_parse_bools),
        cmocka_unit_test(test_parse_other_types),
        cmocka_unit_test(test_apply_defaults),
        cmocka_unit_test(test_apply_all_types),
        cmocka_unit_test(test_apply_strlist_shapes),
        cmocka_unit_test(test_apply_bounds_edges),
        cmocka_unit_test(test_apply_open_bounds),
        cmocka_unit_test(test_apply_absent_or_empty_section),
        cmocka_unit_test(test_apply_ignore_list),
        cmocka_unit_test(test_error_unknown_key_did_you_mean),
        cmocka_unit_test(test_error_unknown_key_variants),
        cmocka_unit_test(test_error_unknown_key_long_list_is_cut),
        cmocka_unit_test(test_error_wrong_kind),
        cmocka_unit_test(test_error_bad_values),
        cmocka_unit_test(test_error_missing_required),
        cmocka_unit_test(test_error_release_partial),
        cmocka_unit_test(test_secret_never_echoed),
        cmocka_unit_test(test_environment_value_never_echoed),
        cmocka_unit_test(test_bad_default_is_reported),
        cmocka_unit_test(test_bad_table_is_reported),
    };

    return cmocka_run_group_tests(tests, setup_env, NULL);
}
