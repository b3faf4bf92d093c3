/*
 * conf_node.h — the layout of a configuration node: the loader
 * (conf_tree.c) builds it, the option checker (conf_opts.c) reads it, and
 * core code that must point at a key (not its value) reads keys[i]
 * (daemon.c). Modules use the accessors of wsgw/conf.h only. Nodes are
 * read-only once loaded and owned by the root (conf_free).
 */
#ifndef WSGW_CONF_NODE_H
#define WSGW_CONF_NODE_H

#include <wsgw/conf.h>

struct wsgw_conf_node {
    enum wsgw_conf_kind kind;
    const char *file; /* the root's file_owned                       */
    char *file_owned; /* the root only                                 */
    int line, col;    /* 1-based                                       */

    /* scalars */
    char *text;       /* after interpolation, NUL-terminated; owned    */
    char *raw;        /* source text when interpolated, else NULL      */
    int interpolated; /* a ${...} was expanded                         */
    int null;         /* an empty plain scalar ("key:" with no value)  */

    /* maps and sequences: n entries; keys[] only for maps */
    size_t n, cap;
    struct wsgw_conf_node **keys; /* scalar nodes, not interpolated    */
    struct wsgw_conf_node **vals;
};

/* Fill err with "FMT..." (no location); returns WSGW_ERR. */
int conf_err(struct wsgw_err *err, const char *fmt, ...) WSGW_PRINTF(2, 3);

/* "a map", "a list" or "a single value": what a node is, in words. */
const char *conf_kind_words(const struct wsgw_conf_node *n);

/*
 * The name in names[0..n) closest to `word` within two edits (insert,
 * delete, change or swap two letters; case ignored), or NULL: for
 * "did you mean '...'?" after an unknown key.
 */
const char *conf_closest(const char *word, const char *const *names, size_t n);

#endif
