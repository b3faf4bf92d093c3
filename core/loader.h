/*
 * loader.h — finding, opening and checking module shared objects.
 */
#ifndef WSGW_LOADER_H
#define WSGW_LOADER_H

#include <wsgw/wsgw.h>

struct wsgw_loaded_module {
    char *name;                    /* as asked for                        */
    char *path;                    /* the file that was opened            */
    void *handle;                  /* dlopen handle                       */
    const struct wsgw_module *mod; /* its descriptor, checked             */
    struct wsgw_loaded_module *next;
};

/*
 * The directories searched for a module name, in order: `extra` (the -M
 * option; may be NULL), then $WSGW_MODULE_PATH (colon separated), then
 * the install directory. Each directory D is tried as D/NAME.so,
 * D/NAME/NAME.so and D/NAME/.libs/NAME.so (the build tree).
 */
void loader_set_path(const char *extra);

/*
 * Load module `name` — a bare name searched in the path, or a file path
 * (contains '/') — once: a module loaded before is returned again. The
 * descriptor is checked (ABI major equal, minor not newer, size, name,
 * callbacks its `provides` needs) before the module is used. Returns the
 * loaded module, owned by the loader, or NULL with err set to a sentence
 * naming the module, the file and the cause.
 */
const struct wsgw_loaded_module *loader_load(const char *name,
                                             struct wsgw_err *err);

/* Every module loaded so far, in load order (linked by ->next). */
const struct wsgw_loaded_module *loader_modules(void);

/* dlclose and free everything (after every instance was destroyed). */
void loader_unload_all(void);

/* Check a descriptor as loader_load does; WSGW_OK or WSGW_ERR + err. */
int loader_check_descriptor(const struct wsgw_module *m, const char *name,
                            const char *path, struct wsgw_err *err);

#endif
