/*
 * test_conf.c — the YAML loader (conf_tree.c) and ${VAR} interpolation
 * (conf_interp.c): the tree, positions, and every load-time error with
 * its exact FILE:LINE:COL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_interp.h"
#include "conf_tree.h"

#ifndef CONF_FIXTURES
#define CONF_FIXTURES "tests/unit/data/conf"
#endif

static char path_buf[1024];

static const char *fixture(const char *name)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", CONF_FIXTURES, name);
    return path_buf;
}

static struct wsgw_conf_node *load(const char *text, struct wsgw_err *err)
{
    return conf_load_string("t.yaml", text, strlen(text), err);
}

/* Loading `text` fails with exactly `msg`. */
static void assert_load_error(const char *text, const char *msg)
{
    struct wsgw_err err;
    struct wsgw_conf_node *root = load(text, &err);

    if (root != NULL) {
        conf_free(root);
        fail_msg("loaded, expected: %s", msg);
    }
    assert_string_equal(err.msg, msg);
}

/* Loading fixture `name` fails with "PATH:" followed by `rest`. */
static void assert_fixture_error(const char *name, const char *rest)
{
    struct wsgw_err err;
    char want[2048];
    struct wsgw_conf_node *root = conf_load_file(fixture(name), &err);

    if (root != NULL) {
        conf_free(root);
        fail_msg("%s loaded, expected an error", name);
    }
    snprintf(want, sizeof(want), "%s:%s", fixture(name), rest);
    assert_string_equal(err.msg, want);
}

/* The one scalar value of "v: TEXT", interpolated; caller frees *root. */
static const char *value_of(const char *yaml, struct wsgw_conf_node **root)
{
    struct wsgw_err err;

    *root = load(yaml, &err);
    if (*root == NULL)
        fail_msg("load failed: %s", err.msg);
    return wsgw_conf_scalar(wsgw_conf_get(*root, "v"));
}

static int setup_env(void **state)
{
    (void)state;
    setenv("WSGW_TEST_KEY", "k-123", 1);
    setenv("WSGW_TEST_EMPTY", "", 1);
    unsetenv("WSGW_TEST_UNSET");
    return 0;
}

/* ---- the tree --------------------------------------------------------- */

static void test_good_fixture_tree(void **state)
{
    struct wsgw_err err;
    struct wsgw_conf_node *root = conf_load_file(fixture("good.yaml"), &err);
    const struct wsgw_conf_node *log, *mods, *src, *sink, *n;
    const char *key;
    char want[1200];

    (void)state;
    if (root == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(wsgw_conf_kind(root), WSGW_CONF_MAP);
    assert_int_equal(wsgw_conf_len(root), 7);
    assert_string_equal(conf_file(root), fixture("good.yaml"));

    n = wsgw_conf_at(root, 0, &key);
    assert_string_equal(key, "log");
    assert_ptr_equal(n, wsgw_conf_get(root, "log"));
    n = wsgw_conf_at(root, 6, &key);
    assert_string_equal(key, "quoted_empty");
    assert_null(wsgw_conf_at(root, 7, &key));
    assert_null(key);

    log = wsgw_conf_get(root, "log");
    assert_int_equal(wsgw_conf_kind(log), WSGW_CONF_MAP);
    assert_string_equal(wsgw_conf_scalar(wsgw_conf_get(log, "format")), "json");
    /* A flow map starts at its '{'. */
    assert_int_equal(conf_line(log), 2);
    assert_int_equal(conf_column(log), 6);

    mods = wsgw_conf_get(root, "modules");
    assert_int_equal(wsgw_conf_kind(mods), WSGW_CONF_SEQ);
    assert_int_equal(wsgw_conf_len(mods), 2);
    assert_string_equal(wsgw_conf_scalar(wsgw_conf_at(mods, 1, &key)), "file");
    assert_null(key); /* sequences have no keys */

    src = wsgw_conf_at(wsgw_conf_get(root, "sources"), 0, NULL);
    /* A block map starts at its first key. */
    assert_int_equal(conf_line(src), 5);
    assert_int_equal(conf_column(src), 5);
    n = wsgw_conf_get(src, "api_key");
    assert_string_equal(wsgw_conf_scalar(n), "k-123");
    assert_true(conf_interpolated(n));
    assert_int_equal(conf_line(n), 8);
    assert_int_equal(conf_column(n), 14);
    snprintf(want, sizeof(want), "%s:8:14", fixture("good.yaml"));
    assert_string_equal(wsgw_conf_where(n), want);
    n = wsgw_conf_get(src, "api_secret");
    assert_string_equal(wsgw_conf_scalar(n), "");
    assert_true(conf_interpolated(n));
    n = wsgw_conf_get(src, "ping_interval");
    assert_string_equal(wsgw_conf_scalar(n), "20s");
    assert_false(conf_interpolated(n));

    sink = wsgw_conf_at(wsgw_conf_get(root, "sinks"), 0, NULL);
    assert_string_equal(wsgw_conf_scalar(wsgw_conf_get(sink, "note")),
                        "price in $: ak-123b");

    n = wsgw_conf_get(root, "empty");
    assert_int_equal(wsgw_conf_kind(n), WSGW_CONF_SCALAR);
    assert_string_equal(wsgw_conf_scalar(n), "");
    assert_string_equal(wsgw_conf_scalar(wsgw_conf_get(root, "quoted_empty")),
                        "");

    /* Accessors on the wrong kind answer "nothing", never crash. */
    assert_null(wsgw_conf_scalar(log));
    assert_null(wsgw_conf_get(mods, "x"));
    assert_null(wsgw_conf_get(n, "x"));
    assert_int_equal(wsgw_conf_len(n), 0);
    assert_null(wsgw_conf_at(n, 0, NULL));
    assert_null(wsgw_conf_get(NULL, "x"));
    assert_int_equal(wsgw_conf_len(NULL), 0);
    assert_null(wsgw_conf_scalar(NULL));
    conf_free(root);
}

static void test_where_is_per_call_text(void **state)
{
    struct wsgw_err err;
    struct wsgw_conf_node *root = load("a: 1\nb:\n  - x\n  - y\n", &err);
    char first[64];

    (void)state;
    assert_non_null(root);
    snprintf(first, sizeof(first), "%s",
             wsgw_conf_where(wsgw_conf_get(root, "a")));
    assert_string_equal(first, "t.yaml:1:4");
    assert_string_equal(
        wsgw_conf_where(wsgw_conf_at(wsgw_conf_get(root, "b"), 1, NULL)),
        "t.yaml:4:5");
    assert_string_equal(wsgw_conf_where(root), "t.yaml:1:1");
    conf_free(root);
}

static void test_keys_are_not_interpolated(void **state)
{
    struct wsgw_err err;
    struct wsgw_conf_node *root = load("${WSGW_TEST_KEY}: 1\n", &err);
    const char *key;

    (void)state;
    assert_non_null(root);
    wsgw_conf_at(root, 0, &key);
    assert_string_equal(key, "${WSGW_TEST_KEY}");
    conf_free(root);
}

static void test_empty_documents_are_empty_maps(void **state)
{
    struct wsgw_err err;
    struct wsgw_conf_node *root;

    (void)state;
    root = conf_load_file(fixture("comments_only.yaml"), &err);
    assert_non_null(root);
    assert_int_equal(wsgw_conf_kind(root), WSGW_CONF_MAP);
    assert_int_equal(wsgw_conf_len(root), 0);
    conf_free(root);

    root = load("", &err);
    assert_non_null(root);
    assert_int_equal(wsgw_conf_len(root), 0);
    conf_free(root);

    root = load("---\n", &err);
    assert_non_null(root);
    assert_int_equal(wsgw_conf_kind(root), WSGW_CONF_MAP);
    assert_int_equal(wsgw_conf_len(root), 0);
    conf_free(root);
}

static void test_multiline_and_block_scalars(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: |\n  a ${WSGW_TEST_KEY}\n  b\n", &root),
                        "a k-123\nb\n");
    assert_true(conf_interpolated(wsgw_conf_get(root, "v")));
    conf_free(root);
    assert_string_equal(value_of("v: \"tab\\there\"\n", &root), "tab\there");
    conf_free(root);
}

/* ---- interpolation ---------------------------------------------------- */

static void test_interp_set_variable(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: ${WSGW_TEST_KEY}\n", &root), "k-123");
    assert_true(conf_interpolated(wsgw_conf_get(root, "v")));
    conf_free(root);
}

static void test_interp_default_when_unset_or_empty(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: ${WSGW_TEST_UNSET:-guest}\n", &root),
                        "guest");
    assert_true(conf_interpolated(wsgw_conf_get(root, "v")));
    conf_free(root);
    /* As in the shell, ":-" also replaces an empty value. */
    assert_string_equal(value_of("v: ${WSGW_TEST_EMPTY:-guest}\n", &root),
                        "guest");
    conf_free(root);
    /* A set variable wins over its default. */
    assert_string_equal(value_of("v: ${WSGW_TEST_KEY:-guest}\n", &root),
                        "k-123");
    conf_free(root);
    /* A default may hold spaces, colons and slashes. */
    assert_string_equal(
        value_of("v: \"${WSGW_TEST_UNSET:-amqp://g:g@h:1/ x}\"\n", &root),
        "amqp://g:g@h:1/ x");
    conf_free(root);
}

static void test_interp_empty_default(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: ${WSGW_TEST_UNSET:-}\n", &root), "");
    assert_true(conf_interpolated(wsgw_conf_get(root, "v")));
    conf_free(root);
}

static void test_interp_set_but_empty_without_default(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: ${WSGW_TEST_EMPTY}\n", &root), "");
    conf_free(root);
}

static void test_interp_inside_text(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: a${WSGW_TEST_KEY}b\n", &root), "ak-123b");
    conf_free(root);
    assert_string_equal(
        value_of("v: '${WSGW_TEST_KEY}/${WSGW_TEST_UNSET:-x}'\n", &root),
        "k-123/x");
    conf_free(root);
}

static void test_interp_dollar_escapes(void **state)
{
    struct wsgw_conf_node *root;

    (void)state;
    assert_string_equal(value_of("v: $$\n", &root), "$");
    /* $$ alone is not interpolation: nothing came from the environment. */
    assert_false(conf_interpolated(wsgw_conf_get(root, "v")));
    conf_free(root);
    assert_string_equal(value_of("v: \"$${WSGW_TEST_KEY}\"\n", &root),
                        "${WSGW_TEST_KEY}");
    assert_false(conf_interpolated(wsgw_conf_get(root, "v")));
    conf_free(root);
    assert_string_equal(value_of("v: $$$$x\n", &root), "$$x");
    conf_free(root);
    /* A '$' before anything but '{' or '$' stays itself. */
    assert_string_equal(value_of("v: pa$word$\n", &root), "pa$word$");
    conf_free(root);
}

static void test_interp_unset_is_error_at_its_position(void **state)
{
    (void)state;
    assert_fixture_error("unset_var.yaml",
                         "3:18: environment variable 'WSGW_TEST_UNSET' is "
                         "not set (write ${WSGW_TEST_UNSET:-default} to give "
                         "it a default)");
    /* Inside quotes the column still points at the '$'. */
    assert_load_error("a:\n  b: \"x ${WSGW_TEST_UNSET}\"\n",
                      "t.yaml:2:9: environment variable 'WSGW_TEST_UNSET' "
                      "is not set (write ${WSGW_TEST_UNSET:-default} to give "
                      "it a default)");
    /* Counted in characters, as libyaml counts columns. */
    assert_load_error("a: é${WSGW_TEST_UNSET}\n",
                      "t.yaml:1:5: environment variable 'WSGW_TEST_UNSET' "
                      "is not set (write ${WSGW_TEST_UNSET:-default} to give "
                      "it a default)");
    /* A second reference fails after the first expanded fine. */
    assert_load_error("a: ${WSGW_TEST_KEY}${WSGW_TEST_UNSET}\n",
                      "t.yaml:1:20: environment variable 'WSGW_TEST_UNSET' "
                      "is not set (write ${WSGW_TEST_UNSET:-default} to give "
                      "it a default)");
}

static void test_interp_unset_in_escaped_scalar_points_at_scalar(void **state)
{
    (void)state;
    /* An escape makes source and value differ: blame the scalar's start. */
    assert_load_error("a: \"\\t${WSGW_TEST_UNSET}\"\n",
                      "t.yaml:1:4: environment variable 'WSGW_TEST_UNSET' "
                      "is not set (write ${WSGW_TEST_UNSET:-default} to give "
                      "it a default)");
}

static void test_interp_syntax_errors(void **state)
{
    (void)state;
    assert_load_error("a: \"x${WSGW_TEST_KEY\"\n",
                      "t.yaml:1:6: unterminated '${': expected ${VAR} or "
                      "${VAR:-default}, VAR made of letters, digits and '_'");
    assert_load_error("a: ${1X}\n",
                      "t.yaml:1:4: invalid variable reference: expected "
                      "${VAR} or ${VAR:-default}, VAR made of letters, "
                      "digits and '_'");
    assert_load_error("a: \"${}\"\n",
                      "t.yaml:1:5: invalid variable reference: expected "
                      "${VAR} or ${VAR:-default}, VAR made of letters, "
                      "digits and '_'");
    assert_load_error("a: ${X:?must be set}\n",
                      "t.yaml:1:4: invalid variable reference: expected "
                      "${VAR} or ${VAR:-default}, VAR made of letters, "
                      "digits and '_'");
    assert_load_error("a: \"${WSGW_TEST_UNSET:-${WSGW_TEST_KEY}}\"\n",
                      "t.yaml:1:5: a default cannot contain '${': nested "
                      "references are not supported");
}

static const char *fake_lookup(const char *name, void *arg)
{
    (void)arg;
    return strcmp(name, "SECRET") == 0 ? "s3cr3t" : NULL;
}

static void test_interp_direct(void **state)
{
    struct wsgw_err err;
    const char *in = "x=${SECRET} y=${NOPE}";
    size_t off = 99;
    int expanded = -1;
    char *out;

    (void)state;
    out = conf_interp(in, 11, fake_lookup, NULL, &expanded, &off, &err);
    assert_string_equal(out, "x=s3cr3t");
    assert_int_equal(expanded, 1);
    free(out);

    out = conf_interp(in, strlen(in), fake_lookup, NULL, &expanded, &off, &err);
    assert_null(out);
    assert_int_equal(off, 14);
    assert_string_equal(err.msg, "environment variable 'NOPE' is not set "
                                 "(write ${NOPE:-default} to give it a "
                                 "default)");
    /* The message names the variable, never another one's value. */
    assert_null(strstr(err.msg, "s3cr3t"));

    out = conf_interp("plain", 5, fake_lookup, NULL, &expanded, &off, &err);
    assert_string_equal(out, "plain");
    assert_int_equal(expanded, 0);
    free(out);

    out = conf_interp("", 0, fake_lookup, NULL, &expanded, &off, &err);
    assert_string_equal(out, "");
    free(out);
}

/* ---- load-time errors ------------------------------------------------- */

static void test_yaml_syntax_error(void **state)
{
    (void)state;
    assert_fixture_error("syntax_error.yaml",
                         "4:1: YAML syntax error: did not find expected ',' "
                         "or ']' (while parsing a flow sequence at 3:8)");
    assert_fixture_error("tab_indent.yaml",
                         "2:1: YAML syntax error: found character that "
                         "cannot start any token (while scanning for the "
                         "next token at 2:1)");
    assert_load_error("a: b: c\n", "t.yaml:1:5: YAML syntax error: mapping "
                                   "values are not allowed in this context");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    assert_fixture_error("bad_utf8.yaml", "2:10: invalid input: invalid "
                                          "leading UTF-8 octet (byte 0xff)");
}

static void test_anchor_alias_tag_refused(void **state)
{
    (void)state;
    assert_fixture_error("anchor.yaml",
                         "1:11: anchors (&common) are not allowed: write the "
                         "value out so the configuration stays explicit");
    assert_fixture_error("alias.yaml",
                         "3:12: aliases (*common) are not allowed: write the "
                         "value out so the configuration stays explicit");
    assert_fixture_error("tag.yaml", "3:17: tags (!!int) are not allowed: a "
                                     "value's type comes from the option it "
                                     "sets");
    assert_load_error("a: !local x\n",
                      "t.yaml:1:4: tags (!local) are not allowed: a value's "
                      "type comes from the option it sets");
    assert_load_error("a: &x [1]\n",
                      "t.yaml:1:4: anchors (&x) are not allowed: write the "
                      "value out so the configuration stays explicit");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    assert_fixture_error("duplicate_key.yaml",
                         "4:3: duplicate key 'level' (first at 2:3)");
    assert_load_error("a: {x: 1, x: 2}\n",
                      "t.yaml:1:11: duplicate key 'x' (first at 1:5)");
}

static void test_document_shape_errors(void **state)
{
    (void)state;
    assert_fixture_error("two_documents.yaml",
                         "2:1: only one YAML document is allowed (found a "
                         "second '---')");
    assert_fixture_error("root_list.yaml",
                         "1:1: expected a map of sections at the top level, "
                         "got a list");
    assert_load_error("just text\n", "t.yaml:1:1: expected a map of sections "
                                     "at the top level, got a single value");
    assert_load_error("? [a, b]\n: c\n", "t.yaml:1:3: expected a plain key "
                                         "(a name), got a list");
    assert_load_error("a: \"x\\0y\"\n",
                      "t.yaml:1:4: a NUL character is not allowed in a "
                      "value");
}

static void test_nesting_limit(void **state)
{
    char text[300];
    size_t n = 0;

    (void)state;
    n += (size_t)snprintf(text, sizeof(text), "a: ");
    for (int i = 0; i < 70; i++)
        text[n++] = '[';
    text[n] = '\0';
    assert_load_error(text, "t.yaml:1:67: nesting deeper than 64 levels");
}

static void test_missing_file(void **state)
{
    struct wsgw_err err;

    (void)state;
    assert_null(conf_load_file(fixture("no_such_file.yaml"), &err));
    char want[1200];
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory",
             fixture("no_such_file.yaml"));
    assert_string_equal(err.msg, want);
    conf_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_fixture_tree),
        cmocka_unit_test(test_where_is_per_call_text),
        cmocka_unit_test(test_keys_are_not_interpolated),
        cmocka_unit_test(test_empty_documents_are_empty_maps),
        cmocka_unit_test(test_multiline_and_block_scalars),
        cmocka_unit_test(test_interp_set_variable),
        cmocka_unit_test(test_interp_default_when_unset_or_empty),
        cmocka_unit_test(test_interp_empty_default),
        cmocka_unit_test(test_interp_set_but_empty_without_default),
        cmocka_unit_test(test_interp_inside_text),
        cmocka_unit_test(test_interp_dollar_escapes),
        cmocka_unit_test(test_interp_unset_is_error_at_its_position),
        cmocka_unit_test(test_interp_unset_in_escaped_scalar_points_at_scalar),
        cmocka_unit_test(test_interp_syntax_errors),
        cmocka_unit_test(test_interp_direct),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_anchor_alias_tag_refused),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_document_shape_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_missing_file),
    };

    return cmocka_run_group_tests(tests, setup_env, NULL);
}
