/*
 * wsgw/conf.h — module options and the configuration tree.
 *
 * A module declares its options as a table; the core checks the YAML
 * against it before any module code runs and writes the values into a
 * struct the core allocates and owns (Fluent Bit's config_map, nginx's
 * command table). Unknown keys, wrong types, out-of-range values, missing
 * required options are errors reported as FILE:LINE:COL: ... and listed
 * by `wsgw -t`.
 *
 * Options too structured for a table (lists of maps, say) are of type
 * WSGW_OPT_NODE: the module gets the YAML node and walks it with the
 * accessors below, reporting errors with wsgw_conf_where(); it can check
 * nested maps against a table of its own with wsgw_conf_apply().
 *
 * Every string the core stores in an option struct is owned by the core
 * and lives until after the instance is destroyed.
 */
#ifndef WSGW_CONF_H_INCLUDED
#define WSGW_CONF_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <wsgw/core.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wsgw_opt_type {
    WSGW_OPT_STR,      /* char *                                            */
    WSGW_OPT_INT,      /* int64_t, within [min, max] when min < max        */
    WSGW_OPT_BOOL,     /* int, 0 or 1 (true/false/yes/no/on/off)            */
    WSGW_OPT_DURATION, /* int64_t milliseconds: 250ms, 20s, 5m, 1h, 24h;
                          a bare number is seconds                          */
    WSGW_OPT_SIZE,     /* int64_t bytes: 512, 64KiB, 16MiB, 1GiB (also KB…) */
    WSGW_OPT_ENUM,     /* int, index into choices[]                        */
    WSGW_OPT_STRLIST,  /* struct wsgw_strlist: a sequence of scalars, or
                          one scalar (a list of one)                        */
    WSGW_OPT_NODE      /* const struct wsgw_conf_node *: any YAML value     */
};

enum wsgw_opt_flags {
    WSGW_OPT_REQUIRED = 1u << 0, /* absent is an error                     */
    WSGW_OPT_SECRET = 1u << 1,   /* never printed back (errors, dumps)      */
};

/* A table row. Tables end with a row whose name is NULL. */
struct wsgw_option {
    const char *name;
    enum wsgw_opt_type type;
    const char *def;            /* default as YAML text, parsed like input;
                                   NULL: zero/NULL/empty when absent        */
    unsigned flags;             /* enum wsgw_opt_flags                      */
    size_t offset;              /* offsetof(struct my_conf, field)          */
    int64_t min, max;           /* bounds for INT/DURATION/SIZE if min<max  */
    const char *const *choices; /* ENUM: NULL-terminated names              */
    const char *help;           /* one line, shown in errors and docs       */
};

struct wsgw_strlist {
    size_t n;
    char **v; /* n strings; owned by the core */
};

/* A node of the parsed YAML; owned by the core for the process lifetime. */
struct wsgw_conf_node;

enum wsgw_conf_kind { WSGW_CONF_SCALAR, WSGW_CONF_MAP, WSGW_CONF_SEQ };

enum wsgw_conf_kind wsgw_conf_kind(const struct wsgw_conf_node *n);
/* Scalar text after ${VAR} interpolation; NULL if not a scalar. */
const char *wsgw_conf_scalar(const struct wsgw_conf_node *n);
/* Map value for key, or NULL (also when n is not a map). */
const struct wsgw_conf_node *wsgw_conf_get(const struct wsgw_conf_node *n,
                                           const char *key);
/* Number of children: map entries or sequence items; 0 for scalars. */
size_t wsgw_conf_len(const struct wsgw_conf_node *n);
/* i-th sequence item or map value; i-th map key into *key if not NULL. */
const struct wsgw_conf_node *wsgw_conf_at(const struct wsgw_conf_node *n,
                                          size_t i, const char **key);
/* "FILE:LINE:COL" of the node (1-based), in a static per-thread buffer. */
const char *wsgw_conf_where(const struct wsgw_conf_node *n);

/*
 * Check map node `n` against `opts` and fill `out` (a struct of the
 * options' layout; strings owned by the core). Keys in `ignore`
 * (NULL-terminated, may be NULL) are skipped. On error returns WSGW_ERR
 * with err->msg = "FILE:LINE:COL: ..." naming the option and what was
 * expected; unknown keys list the allowed ones.
 */
int wsgw_conf_apply(const struct wsgw_conf_node *n,
                    const struct wsgw_option *opts, const char *const *ignore,
                    void *out, struct wsgw_err *err);

/*
 * Free the strings and string lists that wsgw_conf_apply() stored in
 * `out` for table `opts` (for nested tables a module applied itself; the
 * core releases instance option structs on its own). Fields are reset.
 */
void wsgw_conf_release(const struct wsgw_option *opts, void *out);

/*
 * Parse one scalar as an option of this type into *out (int64_t for
 * INT/DURATION/SIZE, int for BOOL). WSGW_OK or WSGW_ERR with a short
 * phrase in err ("expected a duration such as 20s or 500ms").
 */
int wsgw_conf_parse_scalar(enum wsgw_opt_type type, const char *text,
                           int64_t *out, struct wsgw_err *err);

#ifdef __cplusplus
}
#endif

#endif /* WSGW_CONF_H_INCLUDED */
