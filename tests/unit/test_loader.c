/*
 * test_loader.c — the module loader accepts a good module and refuses,
 * with a message naming the cause, a wrong ABI, a newer minor, a missing
 * descriptor, a misnamed module and a missing file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader.h"

#define TMODS TEST_BUILD_DIR "/tests/unit/tmods"

static int setup(void **state)
{
    (void)state;
    setenv("WSGW_MODULE_PATH", TMODS, 1);
    loader_set_path(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    loader_unload_all();
    return 0;
}

static void loads_good_module(void **state)
{
    (void)state;
    struct wsgw_err err = {0};
    const struct wsgw_loaded_module *l = loader_load("good", &err);
    assert_non_null(l);
    assert_string_equal(l->mod->name, "good");
    assert_string_equal(l->mod->version, "1.2.3");
    assert_non_null(strstr(l->path, "good.so"));
    /* Loading again returns the same module. */
    assert_ptr_equal(loader_load("good", &err), l);
}

static void loads_by_path(void **state)
{
    (void)state;
    struct wsgw_err err = {0};
    const struct wsgw_loaded_module *l =
        loader_load(TMODS "/.libs/good.so", &err);
    assert_non_null(l);
    assert_string_equal(l->mod->name, "good");
}

static void refuses(const char *name, const char *expect)
{
    struct wsgw_err err = {0};
    assert_null(loader_load(name, &err));
    if (!strstr(err.msg, expect))
        fail_msg("error for %s was '%s', expected it to contain '%s'", name,
                 err.msg, expect);
}

static void refuses_wrong_abi(void **state)
{
    (void)state;
    refuses("wrong_abi", "was built for module ABI 9.0");
}

static void refuses_newer_minor(void **state)
{
    (void)state;
    refuses("newer_minor", "rebuild it against this wsgw's headers");
}

static void refuses_missing_descriptor(void **state)
{
    (void)state;
    refuses("no_descriptor", "does not export 'wsgw_module'");
}

static void refuses_misnamed(void **state)
{
    (void)state;
    refuses("misnamed", "calls itself 'somebody_else'");
}

static void reports_missing_module(void **state)
{
    (void)state;
    refuses("nosuchmodule", "module 'nosuchmodule' not found");
    refuses("../evil", "module file ../evil");
    refuses("bad name!", "is not a module name");
}

static void checks_descriptor_rules(void **state)
{
    (void)state;
    struct wsgw_err err = {0};
    struct wsgw_module m = {.abi = WSGW_MODULE_ABI, .name = "x"};
    assert_int_equal(loader_check_descriptor(&m, "x", "x.so", &err), WSGW_ERR);
    assert_non_null(strstr(err.msg, "lacks a name, create or destroy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(loads_good_module, setup, teardown),
        cmocka_unit_test_setup_teardown(loads_by_path, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_wrong_abi, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_newer_minor, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_missing_descriptor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refuses_misnamed, setup, teardown),
        cmocka_unit_test_setup_teardown(reports_missing_module, setup,
                                        teardown),
        cmocka_unit_test(checks_descriptor_rules),
    };
    return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
