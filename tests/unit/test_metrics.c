/*
 * test_metrics.c — the registry and its Prometheus text (core/metrics.c).
 *
 * `test_metrics --dump` prints a populated registry instead of testing;
 * check_metrics_promtool.sh feeds that to `promtool check metrics`.
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

#include <cmocka.h>

#include <wsgw/wsgw.h>

#include "runtime_internal.h"

static int fresh(void **state)
{
    metrics_free_all();
    return 0;
}

static char *render(void)
{
    size_t len = 0;
    char *s = wsgw_metrics_render(&len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    return s;
}

static void test_render_exact(void **state)
{
    static const double bounds[] = {0.1, 0.5, 1};
    struct wsgw_metric *c = wsgw_counter("test_requests", "Requests served",
                                         "code=\"200\",method=\"GET\"");
    struct wsgw_metric *g = wsgw_gauge("test_temp", "Temperature", NULL);
    struct wsgw_metric *h = wsgw_histogram("test_latency_seconds", "Latency",
                                           "path=\"/x\"", bounds, 3);

    wsgw_counter_add(c, 2);
    wsgw_counter_add(c, 1);
    wsgw_gauge_set(g, 10);
    wsgw_gauge_add(g, -15);
    wsgw_histogram_observe(h, 0.25);
    wsgw_histogram_observe(h, 0.5); /* on a bound: le is inclusive */
    wsgw_histogram_observe(h, 0.5);
    wsgw_histogram_observe(h, 2);

    char *text = render();
    assert_string_equal(
        text, "# HELP test_requests_total Requests served\n"
              "# TYPE test_requests_total counter\n"
              "test_requests_total{code=\"200\",method=\"GET\"} 3\n"
              "# HELP test_temp Temperature\n"
              "# TYPE test_temp gauge\n"
              "test_temp -5\n"
              "# HELP test_latency_seconds Latency\n"
              "# TYPE test_latency_seconds histogram\n"
              "test_latency_seconds_bucket{path=\"/x\",le=\"0.1\"} 0\n"
              "test_latency_seconds_bucket{path=\"/x\",le=\"0.5\"} 3\n"
              "test_latency_seconds_bucket{path=\"/x\",le=\"1\"} 3\n"
              "test_latency_seconds_bucket{path=\"/x\",le=\"+Inf\"} 4\n"
              "test_latency_seconds_sum{path=\"/x\"} 3.25\n"
              "test_latency_seconds_count{path=\"/x\"} 4\n");
    free(text);
    assert_int_equal(wsgw_metric_value(c), 3);
    assert_int_equal(wsgw_metric_value(g), -5);
    assert_int_equal(wsgw_metric_value(h), 4);
}

static void test_families_grouped(void **state)
{
    struct wsgw_metric *a1 = wsgw_counter("fam_a_total", "A", "x=\"1\"");
    struct wsgw_metric *b = wsgw_gauge("fam_b", "B", NULL);
    struct wsgw_metric *a2 = wsgw_counter("fam_a_total", "A again", "x=\"2\"");
    wsgw_counter_add(a1, 1);
    wsgw_counter_add(a2, 2);
    wsgw_gauge_set(b, 7);

    char *text = render();
    /* Series of one family together under one HELP/TYPE, the first help. */
    assert_string_equal(text, "# HELP fam_a_total A\n"
                              "# TYPE fam_a_total counter\n"
                              "fam_a_total{x=\"1\"} 1\n"
                              "fam_a_total{x=\"2\"} 2\n"
                              "# HELP fam_b B\n"
                              "# TYPE fam_b gauge\n"
                              "fam_b 7\n");
    free(text);
}

static void test_same_pair_same_metric(void **state)
{
    struct wsgw_metric *a = wsgw_counter("same_total", "h", "k=\"v\"");
    struct wsgw_metric *b = wsgw_counter("same_total", "h", "k=\"v\"");
    struct wsgw_metric *c = wsgw_counter("same", "h", " k = \"v\" ,");
    struct wsgw_metric *d = wsgw_counter("same_total", "h", "k=\"w\"");

    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, c); /* _total added, labels canonical */
    assert_ptr_not_equal(a, d);

    /* Another type under a taken name is refused. */
    assert_null(wsgw_gauge("same_total", "h", "k=\"v\""));
    assert_null(wsgw_histogram("same_total", "h", NULL, NULL, 0));

    /* Registered three times: gone after the third unregister only. */
    wsgw_metric_unregister(a);
    wsgw_metric_unregister(b);
    char *text = render();
    assert_non_null(strstr(text, "same_total{k=\"v\"} 0\n"));
    free(text);
    wsgw_metric_unregister(c);
    text = render();
    assert_null(strstr(text, "k=\"v\""));
    assert_non_null(strstr(text, "same_total{k=\"w\"} 0\n"));
    free(text);
    wsgw_metric_unregister(d);
    text = render();
    assert_string_equal(text, ""); /* an empty family is not shown */
    free(text);
}

static void test_labels_escaped_and_checked(void **state)
{
    char esc[64];

    assert_int_equal(metrics_label_escape(esc, sizeof(esc), "a\"b\\c\nd"), 10);
    assert_string_equal(esc, "a\\\"b\\\\c\\nd");
    assert_int_equal(metrics_label_escape(esc, 4, "abcdef"), 6);
    assert_string_equal(esc, "abc");

    struct wsgw_metric *m =
        wsgw_gauge("lab", "h", "name=\"q\\\"uote\",other=\"back\\\\slash\"");
    assert_non_null(m);
    /* A lone backslash and a raw newline are escaped on the way in. */
    struct wsgw_metric *n = wsgw_gauge("lab", "h", "name=\"a\\b\nc\"");
    assert_non_null(n);
    char *text = render();
    assert_non_null(
        strstr(text, "lab{name=\"q\\\"uote\",other=\"back\\\\slash\"} 0\n"));
    assert_non_null(strstr(text, "lab{name=\"a\\\\b\\nc\"} 0\n"));
    free(text);

    assert_null(wsgw_gauge("lab", "h", "name=unquoted"));
    assert_null(wsgw_gauge("lab", "h", "name=\"open"));
    assert_null(wsgw_gauge("lab", "h", "=\"v\""));
    assert_null(wsgw_gauge("lab", "h", "1x=\"v\""));
    assert_null(wsgw_gauge("lab", "h", "__x=\"v\""));
    assert_null(wsgw_gauge("lab", "h", "a=\"1\",a=\"2\""));
    assert_null(wsgw_gauge("lab", "h", "a=\"1\" b=\"2\""));
    assert_null(wsgw_histogram("labh", "h", "le=\"1\"", NULL, 0));
    assert_null(wsgw_gauge("bad-name", "h", NULL));
    assert_null(wsgw_gauge("9lives", "h", NULL));
    assert_null(wsgw_gauge("", "h", NULL));
    assert_null(wsgw_gauge(NULL, "h", NULL));
    assert_non_null(wsgw_gauge("ns:sub_name", "colons are fine", NULL));
}

static void test_help_escaped_and_defaulted(void **state)
{
    wsgw_gauge("helpy", "line one\nback\\slash", NULL);
    wsgw_gauge("helpless", NULL, NULL);
    char *text = render();
    assert_non_null(strstr(text, "# HELP helpy line one\\nback\\\\slash\n"));
    assert_non_null(strstr(text, "# HELP helpless helpless\n"));
    free(text);
}

static double fn_value;

static double gauge_cb(void *arg)
{
    return *(double *)arg;
}

static void test_gauge_fn(void **state)
{
    fn_value = 2.5;
    struct wsgw_metric *m =
        wsgw_gauge_fn("computed", "at scrape", "a=\"b\"", gauge_cb, &fn_value);
    assert_non_null(m);
    char *text = render();
    assert_non_null(strstr(text, "computed{a=\"b\"} 2.5\n"));
    free(text);
    fn_value = 1e21;
    text = render();
    assert_non_null(strstr(text, "computed{a=\"b\"} 1e+21\n"));
    free(text);
    assert_null(wsgw_gauge_fn("computed", "x", "a=\"c\"", NULL, NULL));
    /* A plain gauge cannot share the series of a computed one. */
    assert_null(wsgw_gauge("computed", "x", "a=\"b\""));
    wsgw_metric_unregister(m);
    text = render();
    assert_null(strstr(text, "computed"));
    free(text);
}

static void test_histogram_edges(void **state)
{
    static const double with_inf[] = {1, 2, 1.0 / 0.0};
    static const double unsorted[] = {2, 1};
    static const double tiny[] = {0.005, 0.1};

    assert_null(wsgw_histogram("h_bad", "h", NULL, unsorted, 2));
    struct wsgw_metric *h = wsgw_histogram("h_inf", "h", NULL, with_inf, 3);
    assert_non_null(h);
    wsgw_histogram_observe(h, -1);
    wsgw_histogram_observe(h, 1.5);
    wsgw_histogram_observe(h, 0.0 / 0.0); /* NaN is ignored */
    struct wsgw_metric *t = wsgw_histogram("h_tiny", "h", NULL, tiny, 2);
    struct wsgw_metric *none = wsgw_histogram("h_none", "h", NULL, NULL, 0);
    wsgw_histogram_observe(none, 3);

    char *text = render();
    assert_non_null(strstr(text, "h_inf_bucket{le=\"1\"} 1\n"
                                 "h_inf_bucket{le=\"2\"} 2\n"
                                 "h_inf_bucket{le=\"+Inf\"} 2\n"
                                 "h_inf_sum 0.5\n"
                                 "h_inf_count 2\n"));
    assert_non_null(strstr(text, "h_tiny_bucket{le=\"0.005\"} 0\n"
                                 "h_tiny_bucket{le=\"0.1\"} 0\n"));
    assert_non_null(strstr(text, "h_none_bucket{le=\"+Inf\"} 1\n"
                                 "h_none_sum 3\n"
                                 "h_none_count 1\n"));
    free(text);
    (void)t;
}

static void test_null_metric_is_harmless(void **state)
{
    wsgw_counter_add(NULL, 1);
    wsgw_gauge_set(NULL, 1);
    wsgw_gauge_add(NULL, 1);
    wsgw_histogram_observe(NULL, 1);
    wsgw_metric_unregister(NULL);
    assert_int_equal(wsgw_metric_value(NULL), 0);
}

#define THREADS 4
#define ADDS    100000

static void *adder(void *arg)
{
    static const double b[] = {0.5};
    struct wsgw_metric *c = wsgw_counter("race_total", "r", NULL);
    struct wsgw_metric *g = wsgw_gauge("race_gauge", "r", NULL);
    struct wsgw_metric *h = wsgw_histogram("race_hist", "r", NULL, b, 1);
    for (int i = 0; i < ADDS; i++) {
        wsgw_counter_add(c, 1);
        wsgw_gauge_add(g, i % 2 ? 1 : -1);
        wsgw_histogram_observe(h, 1);
    }
    return arg;
}

static void test_concurrent_updates(void **state)
{
    pthread_t t[THREADS];

    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(wsgw_metric_value(wsgw_counter("race_total", "r", NULL)),
                     THREADS * ADDS);
    assert_int_equal(wsgw_metric_value(wsgw_gauge("race_gauge", "r", NULL)), 0);
    char *text = render();
    char want[128];
    snprintf(want, sizeof(want), "race_hist_sum %d\nrace_hist_count %d\n",
             THREADS * ADDS, THREADS * ADDS);
    assert_non_null(strstr(text, want));
    free(text);
}

/* A registry with every kind of metric, for promtool. */
static void populate(void)
{
    static const double b[] = {0.001, 0.01, 0.1, 1, 10};
    for (int s = 0; s < 2; s++) {
        char l[64];
        snprintf(l, sizeof(l), "sink=\"s%d \\\"q\\\"\",reason=\"overflow\"", s);
        wsgw_counter_add(
            wsgw_counter("wsgw_sink_dropped_total", "Events dropped", l),
            (uint64_t)s * 7);
        snprintf(l, sizeof(l), "sink=\"s%d\"", s);
        wsgw_counter_add(wsgw_counter("wsgw_sink_received", "Events routed", l),
                         1000);
        wsgw_gauge_set(wsgw_gauge("wsgw_sink_queue_depth", "Waiting", l), s);
        struct wsgw_metric *h = wsgw_histogram("wsgw_sink_latency_seconds",
                                               "Receive to delivery", l, b, 5);
        for (int i = 0; i < 50; i++)
            wsgw_histogram_observe(h, i * 0.01);
    }
    fn_value = 0.25;
    wsgw_gauge_fn("wsgw_computed_ratio", "Computed\nat scrape", NULL, gauge_cb,
                  &fn_value);
    wsgw_gauge_set(wsgw_gauge("wsgw_up", "Up", NULL), 1);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--dump") == 0) {
        populate();
        char *text = wsgw_metrics_render(NULL);
        fputs(text, stdout);
        free(text);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_render_exact, fresh),
        cmocka_unit_test_setup(test_families_grouped, fresh),
        cmocka_unit_test_setup(test_same_pair_same_metric, fresh),
        cmocka_unit_test_setup(test_labels_escaped_and_checked, fresh),
        cmocka_unit_test_setup(test_help_escaped_and_defaulted, fresh),
        cmocka_unit_test_setup(test_gauge_fn, fresh),
        cmocka_unit_test_setup(test_histogram_edges, fresh),
        cmocka_unit_test_setup(test_null_metric_is_harmless, fresh),
        cmocka_unit_test_setup(test_concurrent_updates, fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
