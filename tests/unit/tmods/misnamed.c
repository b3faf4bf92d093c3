/* A module whose descriptor name differs from its file name: refused. */
#include <wsgw/module.h>

static int mn_create(struct wsgw_instance *in, const void *conf, void **ctx,
                     struct wsgw_err *err)
{
    (void)in;
    (void)conf;
    (void)ctx;
    (void)err;
    return WSGW_OK;
}

static void mn_destroy(void *ctx)
{
    (void)ctx;
}

const struct wsgw_module wsgw_module = {
    .abi = WSGW_MODULE_ABI,
    .name = "somebody_else",
    .provides = WSGW_PROVIDES_SERVICE,
    .create = mn_create,
    .destroy = mn_destroy,
};
