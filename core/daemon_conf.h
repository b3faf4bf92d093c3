/*
 * daemon_conf.h — the top level of the YAML file: which instances, which
 * routes, and the daemon's own settings. Validation only; nothing is
 * loaded or created here.
 */
#ifndef WSGW_DAEMON_CONF_H
#define WSGW_DAEMON_CONF_H

#include <wsgw/wsgw.h>

#include "instance.h"

/* `log:` */
struct log_section {
    char *level; /* error|warn|info|debug|trace          */
    int format;  /* 0 json, 1 text                       */
    char *file;  /* path, or "-" / "stderr"              */
    const struct wsgw_conf_node *levels; /* map name -> level */
};

/* `daemon:` */
struct daemon_section {
    int64_t drain_timeout_ms;
    char *state_dir;
    char *module_path;
};

/* Core keys of one `sources:`/`sinks:`/`services:` entry. */
struct entry_core {
    char *name;
    char *module;
    char *log_level;
    /* sinks */
    int64_t queue_size;
    int64_t queue_bytes;
    int overflow; /* enum sinkq_overflow */
    int required;
    /* sources */
    const struct wsgw_conf_node *subscriptions;
};

struct entry {
    char *name;   /* peeked before the full check, owned */
    char *module; /* peeked before the full check, owned */
    enum instance_kind kind;
    const struct wsgw_conf_node *node;
    struct entry_core core;
};

struct route {
    const struct wsgw_conf_node *node;
    char *from;
    unsigned classes;
    struct wsgw_strlist to;
    const struct wsgw_conf_node *to_node;
};

struct daemon_conf {
    const struct wsgw_conf_node *root;
    struct log_section log;
    struct daemon_section daemon;
    struct wsgw_strlist modules; /* preload list */
    struct entry *entries;
    size_t n_entries;
    struct route *routes;
    size_t n_routes;
    char *store;
    const struct wsgw_conf_node *store_node;
};

/*
 * Check the top level of `root` and the core keys of every entry (not the
 * module options: those need the module). Duplicate instance names,
 * routes naming unknown instances or classes are errors here.
 * WSGW_OK or WSGW_ERR with err->msg "FILE:LINE:COL: ...".
 */
int daemon_conf_parse(const struct wsgw_conf_node *root, struct daemon_conf *dc,
                      struct wsgw_err *err);
void daemon_conf_free(struct daemon_conf *dc);

/* The option table of an entry's core keys for its kind (for merging
 * unknown-key checks with the module's own table). */
const struct wsgw_option *entry_core_options(enum instance_kind kind);

#endif
