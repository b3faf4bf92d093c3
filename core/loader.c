/*
 * loader.c — dlopen modules and refuse the ones that do not fit.
 *
 * The version fields come first in the descriptor so they can be read
 * before anything else is trusted (Varnish's vmod_data rule).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

#ifndef WSGW_MODULE_DIR
#define WSGW_MODULE_DIR "/usr/local/lib/wsgw/modules"
#endif

static struct wsgw_loaded_module *loaded;
static struct wsgw_loaded_module **loaded_tail = &loaded;
static char *extra_dir;

void loader_set_path(const char *extra)
{
    free(extra_dir);
    extra_dir = extra ? strdup(extra) : NULL;
}

const struct wsgw_loaded_module *loader_modules(void)
{
    return loaded;
}

static int file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/*
 * Try the three layouts of one directory; on success copy the path into
 * out and return 1. Otherwise append what was tried to `tried`.
 */
static int try_dir(const char *dir, size_t dlen, const char *name, char *out,
                   char *tried, size_t tried_size)
{
    /* D/NAME.so, D/NAME/NAME.so, D/NAME/.libs/NAME.so, D/.libs/NAME.so */
    static const char *const subdir[] = {"", "%s/", "%s/.libs/", ".libs/"};
    for (size_t i = 0; i < sizeof(subdir) / sizeof(subdir[0]); i++) {
        char sub[300];
        snprintf(sub, sizeof(sub), "%s%s", strchr(subdir[i], '%') ? name : "",
                 strchr(subdir[i], '%') ? subdir[i] + 2 : subdir[i]);
        int n =
            snprintf(out, PATH_MAX, "%.*s/%s%s.so", (int)dlen, dir, sub, name);
        if (n < 0 || n >= PATH_MAX)
            continue;
        if (file_exists(out))
            return 1;
    }
    size_t used = strlen(tried);
    snprintf(tried + used, tried_size - used, "%s%.*s", used ? ", " : "",
             (int)dlen, dir);
    return 0;
}

static int search_list(const char *list, const char *name, char *out,
                       char *tried, size_t tried_size)
{
    const char *p = list;
    while (p && *p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && try_dir(p, len, name, out, tried, tried_size))
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int find_module(const char *name, char *out, struct wsgw_err *err)
{
    char tried[1024] = "";
    if (extra_dir && search_list(extra_dir, name, out, tried, sizeof(tried)))
        return WSGW_OK;
    if (search_list(getenv("WSGW_MODULE_PATH"), name, out, tried,
                    sizeof(tried)))
        return WSGW_OK;
    if (search_list(WSGW_MODULE_DIR, name, out, tried, sizeof(tried)))
        return WSGW_OK;
    return wsgw_err_set(err, NULL,
                        "module '%s' not found (looked for %s.so in: %s; set "
                        "WSGW_MODULE_PATH or -M to add a directory)",
                        name, name, tried);
}

static int valid_name(const char *name)
{
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

int loader_check_descriptor(const struct wsgw_module *m, const char *name,
                            const char *path, struct wsgw_err *err)
{
    if (m->abi.major != WSGW_ABI_MAJOR || m->abi.minor > WSGW_ABI_MINOR)
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s) was built for module ABI %u.%u; "
                            "this wsgw provides %d.%d: rebuild it against "
                            "this wsgw's headers",
                            name, path, m->abi.major, m->abi.minor,
                            WSGW_ABI_MAJOR, WSGW_ABI_MINOR);
    if (m->abi.size < offsetof(struct wsgw_module, reserved))
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s): descriptor is %u bytes, too "
                            "small for ABI %u.%u: the module is corrupt",
                            name, path, m->abi.size, m->abi.major,
                            m->abi.minor);
    if (!m->name || !m->create || !m->destroy)
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s): descriptor lacks a name, "
                            "create or destroy",
                            name, path);
    if (!m->provides)
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s) provides nothing (no source, "
                            "sink, store or service bit)",
                            name, path);
    if ((m->provides & WSGW_PROVIDES_SINK) && m->sink_mode == WSGW_SINK_LOOP &&
        !m->deliver)
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s) is a loop-mode sink without "
                            "deliver()",
                            name, path);
    if ((m->provides & WSGW_PROVIDES_STORE) &&
        (!m->store_ops || !m->store_ops->load || !m->store_ops->save))
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s) claims to be a store without "
                            "store_ops load/save",
                            name, path);
    if (m->conf_size == 0 && m->options && m->options[0].name)
        return wsgw_err_set(err, NULL,
                            "module '%s' (%s) declares options but no "
                            "conf_size",
                            name, path);
    return WSGW_OK;
}

static const char *base_name(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    size_t n = strcspn(b, ".");
    if (n >= size)
        n = size - 1;
    memcpy(buf, b, n);
    buf[n] = '\0';
    return buf;
}

const struct wsgw_loaded_module *loader_load(const char *name,
                                             struct wsgw_err *err)
{
    for (struct wsgw_loaded_module *l = loaded; l; l = l->next)
        if (strcmp(l->name, name) == 0)
            return l;

    char path[PATH_MAX];
    char want[256];
    if (strchr(name, '/')) {
        if (snprintf(path, sizeof(path), "%s", name) >= (int)sizeof(path))
            return wsgw_err_set(err, NULL, "module path too long"), NULL;
        if (!file_exists(path))
            return wsgw_err_set(err, NULL, "module file %s: %s", path,
                                strerror(errno)),
                   NULL;
        base_name(path, want, sizeof(want));
    } else {
        if (!valid_name(name))
            return wsgw_err_set(err, NULL,
                                "'%s' is not a module name (letters, digits, "
                                "'_' and '-'; or a path to a .so)",
                                name),
                   NULL;
        if (find_module(name, path, err) != WSGW_OK)
            return NULL;
        snprintf(want, sizeof(want), "%s", name);
    }

    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        wsgw_err_set(err, NULL, "cannot load module '%s' from %s: %s", want,
                     path, why ? why : "unknown error");
        return NULL;
    }
    const struct wsgw_module *m = dlsym(h, WSGW_MODULE_SYMBOL);
    if (!m) {
        wsgw_err_set(err, NULL,
                     "%s does not export '%s': not a wsgw module (see the "
                     "module author's guide in README.md)",
                     path, WSGW_MODULE_SYMBOL);
        dlclose(h);
        return NULL;
    }
    if (loader_check_descriptor(m, want, path, err) != WSGW_OK) {
        dlclose(h);
        return NULL;
    }
    if (strcmp(m->name, want) != 0) {
        wsgw_err_set(err, NULL,
                     "%s calls itself '%s', not '%s': a module's name must "
                     "match its file name",
                     path, m->name, want);
        dlclose(h);
        return NULL;
    }

    struct wsgw_loaded_module *l = calloc(1, sizeof(*l));
    if (!l || !(l->name = strdup(name)) || !(l->path = strdup(path))) {
        if (l) {
            free(l->name);
            free(l);
        }
        dlclose(h);
        wsgw_err_set(err, NULL, "out of memory loading module '%s'", name);
        return NULL;
    }
    l->handle = h;
    l->mod = m;
    *loaded_tail = l;
    loaded_tail = &l->next;
    return l;
}

void loader_unload_all(void)
{
    struct wsgw_loaded_module *l = loaded;
    while (l) {
        struct wsgw_loaded_module *next = l->next;
        /* Under valgrind/ASan keep the code mapped so leak reports can
         * still name module frames. */
        if (!getenv("WSGW_NO_DLCLOSE"))
            dlclose(l->handle);
        free(l->name);
        free(l->path);
        free(l);
        l = next;
    }
    loaded = NULL;
    loaded_tail = &loaded;
    free(extra_dir);
    extra_dir = NULL;
}
