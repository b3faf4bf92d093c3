/*
 * test_log.c — log lines, levels, repeat suppression, files and reopen
 * (core/log.c). Built with core/log.c and REPEAT_WINDOW_MS=1000, so the
 * suppression window ends within the test.
 */
#include <config.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include <wsgw/wsgw.h>

#include "instance.h"
#include "logger.h"

static char dir[] = "/tmp/wsgw-test-log-XXXXXX";
static char path[256];

static const struct wsgw_module bybit_mod = {
    WSGW_MODULE_HEADER,
    .name = "bybit",
};

static struct wsgw_instance inst(const char *name, int level)
{
    struct wsgw_instance in = {0};
    in.name = (char *)name;
    in.mod = &bybit_mod;
    in.log_level = level;
    return in;
}

static int configure(enum log_format format, int level)
{
    struct log_conf c = {.level = level, .format = format, .file = path};
    struct wsgw_err err = {0};
    unlink(path);
    return log_configure(&c, &err);
}

static int setup_json(void **state)
{
    return configure(LOG_FORMAT_JSON, WSGW_LOG_INFO) == WSGW_OK ? 0 : -1;
}

static int setup_text(void **state)
{
    return configure(LOG_FORMAT_TEXT, WSGW_LOG_INFO) == WSGW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    log_shutdown();
    unlink(path);
    return 0;
}

/* The file's lines, as a NULL-terminated array of strings. */
static char **read_lines(size_t *n)
{
    static char *lines[20000];
    static char *buf;
    FILE *f = fopen(path, "r");
    size_t cap = 0;

    for (size_t i = 0; lines[i]; i++)
        lines[i] = NULL;
    free(buf);
    buf = NULL;
    *n = 0;
    if (!f)
        return lines;
    ssize_t len = getdelim(&buf, &cap, '\0', f);
    fclose(f);
    if (len <= 0)
        return lines;
    assert_int_equal(buf[len - 1], '\n'); /* complete lines only */
    for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        if (*n < 19999)
            lines[(*n)++] = p;
    }
    return lines;
}

static json_t *parse(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %s", e.text, line);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static void test_json_line_shape(void **state)
{
    struct wsgw_instance in = inst("bybit-main", WSGW_LOG_INFO);
    size_t n;

    wsgw_log(NULL, WSGW_LOG_INFO, "core says %d", 42);
    wsgw_log_trace(&in, WSGW_LOG_WARN, "0123abcd", "reconnecting in %d s", 5);
    wsgw_log(&in, WSGW_LOG_ERROR,
             "quote \" backslash \\ nl \n tab \t bad \xff");
    char **l = read_lines(&n);
    assert_int_equal(n, 3);

    static const char *const keys[] = {"time",     "level",   "module",
                                       "instance", "message", "trace_id"};
    json_t *j = parse(l[1]);
    size_t k = 0;
    for (void *it = json_object_iter(j); it;
         it = json_object_iter_next(j, it), k++)
        assert_string_equal(json_object_iter_key(it), keys[k]);
    assert_int_equal(k, 6);
    assert_string_equal(str(j, "level"), "warn");
    assert_string_equal(str(j, "module"), "bybit");
    assert_string_equal(str(j, "instance"), "bybit-main");
    assert_string_equal(str(j, "message"), "reconnecting in 5 s");
    assert_string_equal(str(j, "trace_id"), "0123abcd");
    int64_t ms;
    assert_int_equal(strlen(str(j, "time")), WSGW_TIME_LEN);
    assert_int_equal(wsgw_time_parse(str(j, "time"), &ms), WSGW_OK);
    assert_true(ms <= wsgw_now_ms() && ms > wsgw_now_ms() - 60000);
    json_decref(j);

    j = parse(l[0]);
    assert_int_equal(json_object_size(j), 5); /* no trace id: no key */
    assert_string_equal(str(j, "level"), "info");
    assert_string_equal(str(j, "module"), "core");
    assert_string_equal(str(j, "instance"), "core");
    assert_string_equal(str(j, "message"), "core says 42");
    json_decref(j);

    j = parse(l[2]);
    assert_string_equal(str(j, "level"), "error");
    assert_string_equal(str(j, "message"),
                        "quote \" backslash \\ nl \n tab \t bad \xef\xbf\xbd");
    json_decref(j);
}

static void test_levels(void **state)
{
    struct wsgw_instance quiet = inst("quiet", WSGW_LOG_ERROR);
    struct wsgw_instance loud = inst("loud", WSGW_LOG_TRACE);
    size_t n;

    wsgw_log(NULL, WSGW_LOG_DEBUG, "core debug: hidden at info");
    wsgw_debug(NULL, "hidden too");
    wsgw_log(&quiet, WSGW_LOG_WARN, "quiet warn: hidden");
    wsgw_log(&quiet, WSGW_LOG_ERROR, "quiet error");
    wsgw_debug(&loud, "loud debug");
    wsgw_log(&loud, WSGW_LOG_TRACE, "loud trace");

    assert_false(wsgw_log_enabled(NULL, WSGW_LOG_DEBUG));
    assert_true(wsgw_log_enabled(NULL, WSGW_LOG_INFO));
    assert_false(wsgw_log_enabled(&quiet, WSGW_LOG_WARN));
    assert_true(wsgw_log_enabled(&loud, WSGW_LOG_TRACE));

    char **l = read_lines(&n);
    assert_int_equal(n, 3);
    assert_non_null(strstr(l[0], "\"message\":\"quiet error\""));
    assert_non_null(strstr(l[1], "\"level\":\"debug\""));
    assert_non_null(strstr(l[2], "\"level\":\"trace\""));

    assert_int_equal(log_level_parse("error"), WSGW_LOG_ERROR);
    assert_int_equal(log_level_parse("WARN"), WSGW_LOG_WARN);
    assert_int_equal(log_level_parse("warning"), WSGW_LOG_WARN);
    assert_int_equal(log_level_parse("info"), WSGW_LOG_INFO);
    assert_int_equal(log_level_parse("debug"), WSGW_LOG_DEBUG);
    assert_int_equal(log_level_parse("trace"), WSGW_LOG_TRACE);
    assert_int_equal(log_level_parse("verbose"), -1);
    assert_int_equal(log_level_parse(NULL), -1);
}

static void fail_once(const struct wsgw_instance *in, int i)
{
    /* One call site: one format string pointer. */
    wsgw_log(in, WSGW_LOG_ERROR, "broker down (attempt %d)", i);
}

static void test_repeats_suppressed(void **state)
{
    struct wsgw_instance a = inst("mq", WSGW_LOG_INFO);
    struct wsgw_instance b = inst("mq2", WSGW_LOG_INFO);
    size_t n;

    for (int i = 1; i <= 10; i++)
        fail_once(&a, i);
    fail_once(&b, 1); /* another instance: its own key */
    wsgw_log(&a, WSGW_LOG_ERROR, "another format"); /* another key */
    wsgw_log(&a, WSGW_LOG_INFO, "info is never suppressed");
    wsgw_log(&a, WSGW_LOG_INFO, "info is never suppressed");
    char **l = read_lines(&n);
    assert_int_equal(n, 5);
    assert_non_null(strstr(l[0], "broker down (attempt 1)\""));
    assert_non_null(strstr(l[1], "\"instance\":\"mq2\""));

    /* After the window, the next line reports the count first. */
    usleep(1100 * 1000);
    fail_once(&a, 11);
    l = read_lines(&n);
    assert_int_equal(n, 7);
    json_t *j = parse(l[5]);
    assert_string_equal(str(j, "message"),
                        "broker down (attempt 10) (repeated 9 times)");
    assert_string_equal(str(j, "level"), "error");
    assert_string_equal(str(j, "instance"), "mq");
    json_decref(j);
    assert_non_null(strstr(l[6], "broker down (attempt 11)\""));

    /* A window's count is also reported by any later line... */
    fail_once(&a, 12);
    fail_once(&a, 13);
    usleep(1100 * 1000);
    wsgw_log(NULL, WSGW_LOG_INFO, "unrelated");
    l = read_lines(&n);
    assert_int_equal(n, 9);
    assert_non_null(strstr(l[7], "(attempt 13) (repeated 2 times)"));
    assert_non_null(strstr(l[8], "unrelated"));

    /* ...and by the shutdown. */
    fail_once(&a, 14);
    fail_once(&a, 15);
    fail_once(&a, 16);
    l = read_lines(&n);
    assert_int_equal(n, 10);
    log_shutdown();
    l = read_lines(&n);
    assert_int_equal(n, 11);
    assert_non_null(strstr(l[10], "(attempt 16) (repeated 2 times)"));
}

static void test_text_format(void **state)
{
    struct wsgw_instance in = inst("main", WSGW_LOG_INFO);
    struct wsgw_instance same = inst("bybit", WSGW_LOG_INFO);
    size_t n;

    wsgw_log_trace(&in, WSGW_LOG_WARN, "abc", "two\nlines");
    wsgw_log(&same, WSGW_LOG_INFO, "plain");
    wsgw_log(NULL, WSGW_LOG_ERROR, "from the core");
    char **l = read_lines(&n);
    assert_int_equal(n, 3);
    assert_int_equal(l[0][WSGW_TIME_LEN - 1], 'Z');
    assert_string_equal(l[0] + WSGW_TIME_LEN,
                        " WARN  bybit/main: two\\x0alines trace_id=abc");
    assert_string_equal(l[1] + WSGW_TIME_LEN, " INFO  bybit: plain");
    assert_string_equal(l[2] + WSGW_TIME_LEN, " ERROR core: from the core");
}

static void test_long_messages(void **state)
{
    static char big[40000];
    size_t n;

    memset(big, 'x', sizeof(big) - 1);
    wsgw_log(NULL, WSGW_LOG_INFO, "%.*s", 3000, big);
    wsgw_log(NULL, WSGW_LOG_INFO, "%s", big);
    char **l = read_lines(&n);
    assert_int_equal(n, 2);
    json_t *j = parse(l[0]);
    assert_int_equal(strlen(str(j, "message")), 3000);
    json_decref(j);
    j = parse(l[1]);
    const char *m = str(j, "message");
    assert_true(strlen(m) < 17000 && strlen(m) > 16000);
    assert_string_equal(m + strlen(m) - 3, "...");
    json_decref(j);
}

#define THREADS 4
#define LINES   2000

static void *log_thread(void *arg)
{
    struct wsgw_instance in = inst("t", WSGW_LOG_INFO);
    char pad[300];
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        wsgw_log(&in, WSGW_LOG_INFO, "thread %ld line %d %s", (long)arg, i,
                 pad);
    return NULL;
}

static void test_threads_do_not_interleave(void **state)
{
    pthread_t t[THREADS];
    size_t n;

    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, log_thread, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char **l = read_lines(&n);
    assert_int_equal(n, THREADS * LINES);
    int next[THREADS] = {0};
    for (size_t i = 0; i < n; i++) {
        json_t *j = parse(l[i]);
        long th;
        int line;
        assert_int_equal(
            sscanf(str(j, "message"), "thread %ld line %d", &th, &line), 2);
        /* Each thread's lines in its own order. */
        assert_int_equal(line, next[th]++);
        json_decref(j);
    }
}

static void test_reopen(void **state)
{
    char moved[300];
    size_t n;

    wsgw_log(NULL, WSGW_LOG_INFO, "before rotation");
    snprintf(moved, sizeof(moved), "%s.1", path);
    assert_int_equal(rename(path, moved), 0);
    wsgw_log(NULL, WSGW_LOG_INFO, "still to the old file");
    log_reopen();
    wsgw_log(NULL, WSGW_LOG_INFO, "after rotation");

    char **l = read_lines(&n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(l[0], "log file reopened"));
    assert_non_null(strstr(l[1], "after rotation"));

    FILE *f = fopen(moved, "r");
    char line[1024];
    int count = 0;
    while (fgets(line, sizeof(line), f))
        count++;
    fclose(f);
    assert_int_equal(count, 2);
    unlink(moved);
}

static void test_configure_errors(void **state)
{
    struct wsgw_err err = {0};
    struct log_conf c = {.level = WSGW_LOG_INFO,
                         .format = LOG_FORMAT_JSON,
                         .file = "/nonexistent-dir/x/wsgw.log"};

    assert_int_equal(log_configure(&c, &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x/wsgw.log"));
    c.file = path;
    c.level = 9;
    assert_int_equal(log_configure(&c, &err), WSGW_ERR);
    /* stderr spellings need no file. */
    c.level = WSGW_LOG_INFO;
    c.file = "-";
    assert_int_equal(log_configure(&c, &err), WSGW_OK);
    c.file = NULL;
    assert_int_equal(log_configure(&c, &err), WSGW_OK);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/wsgw.log", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_line_shape, setup_json,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_levels, setup_json, teardown),
        cmocka_unit_test_setup_teardown(test_repeats_suppressed, setup_json,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_text_format, setup_text, teardown),
        cmocka_unit_test_setup_teardown(test_long_messages, setup_json,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_threads_do_not_interleave,
                                        setup_json, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup_json, teardown),
        cmocka_unit_test_setup_teardown(test_configure_errors, setup_json,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(dir);
    return rc;
}
