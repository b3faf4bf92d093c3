/* A module that needs a newer minor than this core: refused. */
#include <wsgw/module.h>

static int nm_create(struct wsgw_instance *in, const void *conf, void **ctx,
                     struct wsgw_err *err)
{
    (void)in;
    (void)conf;
    (void)ctx;
    (void)err;
    return WSGW_OK;
}

static void nm_destroy(void *ctx)
{
    (void)ctx;
}

const struct wsgw_module wsgw_module = {
    .abi = {WSGW_ABI_MAJOR, WSGW_ABI_MINOR + 1, sizeof(struct wsgw_module)},
    .name = "newer_minor",
    .provides = WSGW_PROVIDES_SERVICE,
    .create = nm_create,
    .destroy = nm_destroy,
};
