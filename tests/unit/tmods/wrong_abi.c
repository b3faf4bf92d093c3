/* A module built for a future ABI major: the loader must refuse it. */
#include <wsgw/module.h>

static int wa_create(struct wsgw_instance *in, const void *conf, void **ctx,
                     struct wsgw_err *err)
{
    (void)in;
    (void)conf;
    (void)ctx;
    (void)err;
    return WSGW_OK;
}

static void wa_destroy(void *ctx)
{
    (void)ctx;
}

const struct wsgw_module wsgw_module = {
    .abi = {WSGW_ABI_MAJOR + 8, 0, sizeof(struct wsgw_module)},
    .name = "wrong_abi",
    .provides = WSGW_PROVIDES_SERVICE,
    .create = wa_create,
    .destroy = wa_destroy,
};
