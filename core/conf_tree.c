/*
 * conf_tree.c — libyaml events to the node tree of conf_tree.h.
 *
 * One document, whose root is a map. Scalars are interpolated here, so
 * every consumer sees final text and its error can point at the very
 * '${' that failed. Anchors, aliases and tags are refused: a gateway's
 * config should say everything in plain sight, and its values are typed
 * by the option they set, not by YAML.
 */
#include "conf_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "conf_interp.h"
#include "conf_node.h"

/* Deeper nesting than any sane config; bounds the recursion. */
#define CONF_MAX_DEPTH 64

struct loader {
    yaml_parser_t parser;
    const char *file;
    const unsigned char *text;
    size_t len;
    struct wsgw_err *err;
};

int conf_err(struct wsgw_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return WSGW_ERR;
    err->code = NULL;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return WSGW_ERR;
}

const char *conf_kind_words(const struct wsgw_conf_node *n)
{
    switch (n->kind) {
    case WSGW_CONF_MAP:
        return "a map";
    case WSGW_CONF_SEQ:
        return "a list";
    default:
        return "a single value";
    }
}

static int fail_at(struct loader *ld, size_t line0, size_t col0,
                   const char *fmt, ...) WSGW_PRINTF(4, 5);

/* Report "FILE:LINE:COL: ..." from a 0-based libyaml position. */
static int fail_at(struct loader *ld, size_t line0, size_t col0,
                   const char *fmt, ...)
{
    char what[sizeof(ld->err->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return conf_err(ld->err, "%s:%zu:%zu: %s", ld->file, line0 + 1, col0 + 1,
                    what);
}

/* Line and column (0-based) of byte `off` of the input. */
static void byte_position(const struct loader *ld, size_t off, size_t *line,
                          size_t *col)
{
    *line = 0;
    *col = 0;
    for (size_t i = 0; i < off && i < ld->len; i++) {
        if (ld->text[i] == '\n') {
            (*line)++;
            *col = 0;
        } else if ((ld->text[i] & 0xC0) != 0x80) {
            (*col)++; /* count characters, not UTF-8 continuation bytes */
        }
    }
}

static int syntax_error(struct loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem ? p->problem : "unknown problem";
    size_t line, col;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return conf_err(ld->err, "%s: out of memory while parsing", ld->file);
    case YAML_READER_ERROR:
        /* The reader knows only a byte offset; find the line from it. */
        byte_position(ld, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return fail_at(ld, line, col, "invalid input: %s (byte 0x%02x)",
                           problem, (unsigned)p->problem_value & 0xFF);
        return fail_at(ld, line, col, "invalid input: %s", problem);
    default:
        if (p->context != NULL)
            return fail_at(ld, p->problem_mark.line, p->problem_mark.column,
                           "YAML syntax error: %s (%s at %zu:%zu)", problem,
                           p->context, p->context_mark.line + 1,
                           p->context_mark.column + 1);
        return fail_at(ld, p->problem_mark.line, p->problem_mark.column,
                       "YAML syntax error: %s", problem);
    }
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev))
        return syntax_error(ld);
    return WSGW_OK;
}

static struct wsgw_conf_node *
node_new(struct loader *ld, enum wsgw_conf_kind kind, const yaml_mark_t *m)
{
    struct wsgw_conf_node *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        conf_err(ld->err, "%s: out of memory", ld->file);
        return NULL;
    }
    n->kind = kind;
    n->file = ld->file;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static int node_push(struct loader *ld, struct wsgw_conf_node *parent,
                     struct wsgw_conf_node *key, struct wsgw_conf_node *val)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct wsgw_conf_node **v = realloc(parent->vals, cap * sizeof(*v));
        if (v == NULL)
            return conf_err(ld->err, "%s: out of memory", ld->file);
        parent->vals = v;
        if (parent->kind == WSGW_CONF_MAP) {
            struct wsgw_conf_node **k = realloc(parent->keys, cap * sizeof(*k));
            if (k == NULL)
                return conf_err(ld->err, "%s: out of memory", ld->file);
            parent->keys = k;
        }
        parent->cap = cap;
    }
    if (parent->kind == WSGW_CONF_MAP)
        parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
    return WSGW_OK;
}

/* Number of UTF-8 characters in the first `n` bytes of s. */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

/*
 * Where byte `off` of a scalar's value sits in the file. Exact when the
 * scalar is on one line and its source is its value (plain or quoted
 * without escapes); otherwise the scalar's start.
 */
static void scalar_offset_position(const yaml_event_t *ev, size_t off,
                                   size_t *line, size_t *col)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    size_t span = ev->end_mark.index - ev->start_mark.index;
    size_t quote;

    *line = ev->start_mark.line;
    *col = ev->start_mark.column;
    switch (ev->data.scalar.style) {
    case YAML_PLAIN_SCALAR_STYLE:
        quote = 0;
        break;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        quote = 1;
        break;
    default:
        return;
    }
    if (ev->end_mark.line != ev->start_mark.line ||
        span != utf8_chars(v, len) + 2 * quote)
        return;
    *col += quote + utf8_chars(v, off);
}

static int refuse_anchor_tag(struct loader *ld, const yaml_event_t *ev,
                             const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor != NULL)
        return fail_at(ld, ev->start_mark.line, ev->start_mark.column,
                       "anchors (&%s) are not allowed: write the value out "
                       "so the configuration stays explicit",
                       (const char *)anchor);
    if (tag != NULL) {
        /* Show the tag as written: libyaml expands "!!" to its prefix. */
        static const char core[] = "tag:yaml.org,2002:";
        const char *t = (const char *)tag;
        int short_form = strncmp(t, core, sizeof(core) - 1) == 0;
        return fail_at(ld, ev->start_mark.line, ev->start_mark.column,
                       "tags (%s%s) are not allowed: a value's type comes "
                       "from the option it sets",
                       short_form ? "!!" : "",
                       short_form ? t + sizeof(core) - 1 : t);
    }
    return WSGW_OK;
}

static struct wsgw_conf_node *
scalar_node(struct loader *ld, const yaml_event_t *ev, int interpolate)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    struct wsgw_conf_node *n;

    if (refuse_anchor_tag(ld, ev, ev->data.scalar.anchor,
                          ev->data.scalar.tag) != WSGW_OK)
        return NULL;
    if (memchr(v, '\0', len) != NULL) {
        fail_at(ld, ev->start_mark.line, ev->start_mark.column,
                "a NUL character is not allowed in a value");
        return NULL;
    }
    n = node_new(ld, WSGW_CONF_SCALAR, &ev->start_mark);
    if (n == NULL)
        return NULL;
    n->null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len == 0;

    if (!interpolate) {
        n->text = strndup(v, len);
    } else {
        struct wsgw_err why;
        size_t off = 0, line, col;

        n->text = conf_interp(v, len, NULL, NULL, &n->interpolated, &off, &why);
        if (n->text == NULL) {
            scalar_offset_position(ev, off, &line, &col);
            fail_at(ld, line, col, "%s", why.msg);
            conf_free(n);
            return NULL;
        }
        if (n->interpolated)
            n->raw = strndup(v, len);
        if (n->interpolated && n->raw == NULL) {
            conf_free(n);
            conf_err(ld->err, "%s: out of memory", ld->file);
            return NULL;
        }
    }
    if (n->text == NULL) {
        conf_free(n);
        conf_err(ld->err, "%s: out of memory", ld->file);
        return NULL;
    }
    return n;
}

static struct wsgw_conf_node *parse_node(struct loader *ld, yaml_event_t *ev,
                                         int depth);

static struct wsgw_conf_node *parse_map(struct loader *ld,
                                        const yaml_event_t *start, int depth)
{
    struct wsgw_conf_node *map =
        node_new(ld, WSGW_CONF_MAP, &start->start_mark);
    yaml_event_t ev;

    if (map == NULL)
        return NULL;
    for (;;) {
        struct wsgw_conf_node *key, *val;

        if (next_event(ld, &ev) != WSGW_OK)
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return map;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            fail_at(ld, ev.start_mark.line, ev.start_mark.column,
                    "expected a plain key (a name), got %s",
                    ev.type == YAML_MAPPING_START_EVENT    ? "a map"
                    : ev.type == YAML_SEQUENCE_START_EVENT ? "a list"
                                                           : "an alias");
            yaml_event_delete(&ev);
            goto fail;
        }
        /* Keys are names, never interpolated. */
        key = scalar_node(ld, &ev, 0);
        yaml_event_delete(&ev);
        if (key == NULL)
            goto fail;
        for (size_t i = 0; i < map->n; i++) {
            if (strcmp(map->keys[i]->text, key->text) == 0) {
                conf_err(ld->err,
                         "%s:%d:%d: duplicate key '%s' (first at %d:%d)",
                         ld->file, key->line, key->col, key->text,
                         map->keys[i]->line, map->keys[i]->col);
                conf_free(key);
                goto fail;
            }
        }
        if (next_event(ld, &ev) != WSGW_OK) {
            conf_free(key);
            goto fail;
        }
        val = parse_node(ld, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (val == NULL || node_push(ld, map, key, val) != WSGW_OK) {
            conf_free(key);
            conf_free(val);
            goto fail;
        }
    }
fail:
    conf_free(map);
    return NULL;
}

static struct wsgw_conf_node *parse_seq(struct loader *ld,
                                        const yaml_event_t *start, int depth)
{
    struct wsgw_conf_node *seq =
        node_new(ld, WSGW_CONF_SEQ, &start->start_mark);
    yaml_event_t ev;

    if (seq == NULL)
        return NULL;
    for (;;) {
        struct wsgw_conf_node *val;

        if (next_event(ld, &ev) != WSGW_OK)
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return seq;
        }
        val = parse_node(ld, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (val == NULL || node_push(ld, seq, NULL, val) != WSGW_OK) {
            conf_free(val);
            goto fail;
        }
    }
fail:
    conf_free(seq);
    return NULL;
}

/* The node that starts with event `ev` (the caller deletes ev). */
static struct wsgw_conf_node *parse_node(struct loader *ld, yaml_event_t *ev,
                                         int depth)
{
    if (depth > CONF_MAX_DEPTH) {
        fail_at(ld, ev->start_mark.line, ev->start_mark.column,
                "nesting deeper than %d levels", CONF_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return scalar_node(ld, ev, 1);
    case YAML_MAPPING_START_EVENT:
        if (refuse_anchor_tag(ld, ev, ev->data.mapping_start.anchor,
                              ev->data.mapping_start.tag) != WSGW_OK)
            return NULL;
        return parse_map(ld, ev, depth);
    case YAML_SEQUENCE_START_EVENT:
        if (refuse_anchor_tag(ld, ev, ev->data.sequence_start.anchor,
                              ev->data.sequence_start.tag) != WSGW_OK)
            return NULL;
        return parse_seq(ld, ev, depth);
    case YAML_ALIAS_EVENT:
        fail_at(ld, ev->start_mark.line, ev->start_mark.column,
                "aliases (*%s) are not allowed: write the value out so the "
                "configuration stays explicit",
                (const char *)ev->data.alias.anchor);
        return NULL;
    default:
        fail_at(ld, ev->start_mark.line, ev->start_mark.column,
                "unexpected YAML event %d", (int)ev->type);
        return NULL;
    }
}

/* The whole stream: at most one document, whose root is a map. */
static struct wsgw_conf_node *parse_stream(struct loader *ld)
{
    struct wsgw_conf_node *root = NULL;
    yaml_event_t ev;
    yaml_mark_t zero = {0, 0, 0};

    if (next_event(ld, &ev) != WSGW_OK)
        return NULL;
    yaml_event_delete(&ev); /* STREAM-START */
    if (next_event(ld, &ev) != WSGW_OK)
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        /* Nothing but comments: every option takes its default. */
        yaml_event_delete(&ev);
        return node_new(ld, WSGW_CONF_MAP, &zero);
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */

    if (next_event(ld, &ev) != WSGW_OK)
        return NULL;
    root = parse_node(ld, &ev, 1);
    yaml_event_delete(&ev);
    if (root == NULL)
        return NULL;
    if (root->kind == WSGW_CONF_SCALAR && root->null) {
        /* "---" alone: an empty document, the same as an empty file. */
        root->kind = WSGW_CONF_MAP;
        free(root->text);
        root->text = NULL;
    } else if (root->kind != WSGW_CONF_MAP) {
        conf_err(ld->err,
                 "%s:%d:%d: expected a map of sections at the top level, "
                 "got %s",
                 ld->file, root->line, root->col, conf_kind_words(root));
        goto fail;
    }

    if (next_event(ld, &ev) != WSGW_OK)
        goto fail;
    yaml_event_delete(&ev); /* DOCUMENT-END */
    if (next_event(ld, &ev) != WSGW_OK)
        goto fail;
    if (ev.type != YAML_STREAM_END_EVENT) {
        fail_at(ld, ev.start_mark.line, ev.start_mark.column,
                "only one YAML document is allowed (found a second '---')");
        yaml_event_delete(&ev);
        goto fail;
    }
    yaml_event_delete(&ev);
    return root;
fail:
    conf_free(root);
    return NULL;
}

struct wsgw_conf_node *conf_load_string(const char *name, const char *text,
                                        size_t len, struct wsgw_err *err)
{
    struct loader ld;
    struct wsgw_conf_node *root;
    char *file = strdup(name ? name : "<string>");

    if (file == NULL) {
        conf_err(err, "%s: out of memory", name ? name : "<string>");
        return NULL;
    }
    memset(&ld, 0, sizeof(ld));
    ld.file = file;
    ld.text = (const unsigned char *)text;
    ld.len = len;
    ld.err = err;
    if (!yaml_parser_initialize(&ld.parser)) {
        conf_err(err, "%s: out of memory", file);
        free(file);
        return NULL;
    }
    yaml_parser_set_input_string(&ld.parser, ld.text, len);
    root = parse_stream(&ld);
    yaml_parser_delete(&ld.parser);
    if (root == NULL) {
        free(file);
        return NULL;
    }
    root->file_owned = file;
    return root;
}

struct wsgw_conf_node *conf_load_file(const char *path, struct wsgw_err *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0;
    struct wsgw_conf_node *root;

    if (f == NULL) {
        conf_err(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16384;
            char *p = realloc(text, ncap);
            if (p == NULL) {
                conf_err(err, "%s: out of memory", path);
                goto fail;
            }
            text = p;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        conf_err(err, "%s: cannot read: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    root = conf_load_string(path, text, len, err);
    free(text);
    return root;
fail:
    fclose(f);
    free(text);
    return NULL;
}

void conf_free(struct wsgw_conf_node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys != NULL)
            conf_free(n->keys[i]);
        conf_free(n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->text);
    free(n->raw);
    free(n->file_owned);
    free(n);
}

int conf_line(const struct wsgw_conf_node *n)
{
    return n ? n->line : 0;
}

int conf_column(const struct wsgw_conf_node *n)
{
    return n ? n->col : 0;
}

const char *conf_file(const struct wsgw_conf_node *n)
{
    return n ? n->file : "";
}

int conf_interpolated(const struct wsgw_conf_node *n)
{
    return n != NULL && n->kind == WSGW_CONF_SCALAR && n->interpolated;
}
