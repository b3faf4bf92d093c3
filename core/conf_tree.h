/*
 * conf_tree.h — loading the YAML file into the node tree of wsgw/conf.h.
 *
 * Scalars are interpolated while loading: ${VAR} (an unset VAR is an
 * error naming it) and ${VAR:-default}; $$ is a literal $. Anchors and
 * aliases are refused, duplicate keys are errors. Every node remembers
 * file, line and column (1-based) for error messages.
 */
#ifndef WSGW_CONF_TREE_H
#define WSGW_CONF_TREE_H

#include <wsgw/conf.h>

/*
 * Parse `path`. Returns the root (a map) owned by the caller, or NULL with
 * err->msg = "FILE:LINE:COL: what was wrong, what was expected".
 */
struct wsgw_conf_node *conf_load_file(const char *path, struct wsgw_err *err);
/* The same from text in memory; `name` stands for the file in messages. */
struct wsgw_conf_node *conf_load_string(const char *name, const char *text,
                                        size_t len, struct wsgw_err *err);
/* Free a tree; NULL is ok. */
void conf_free(struct wsgw_conf_node *root);

/* Line and column (1-based) of a node. */
int conf_line(const struct wsgw_conf_node *n);
int conf_column(const struct wsgw_conf_node *n);
/* The file name a node came from (owned by the tree). */
const char *conf_file(const struct wsgw_conf_node *n);
/* 1 if the scalar came from a value containing ${...} that was expanded. */
int conf_interpolated(const struct wsgw_conf_node *n);

/*
 * Free the strings and string lists that wsgw_conf_apply() stored in
 * `out` for table `opts` (the core owns them; called after destroy).
 */
void conf_release(const struct wsgw_option *opts, void *out);

#endif
