/* A minimal valid module for the loader tests. */
#include <wsgw/module.h>

static int good_create(struct wsgw_instance *in, const void *conf, void **ctx,
                       struct wsgw_err *err)
{
    (void)in;
    (void)conf;
    (void)err;
    *ctx = NULL;
    return WSGW_OK;
}

static void good_destroy(void *ctx)
{
    (void)ctx;
}

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "good",
    .version = "1.2.3",
    .provides = WSGW_PROVIDES_SERVICE,
    .create = good_create,
    .destroy = good_destroy,
};
