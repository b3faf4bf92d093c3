/*
 * logger.h — the core's side of logging: configuration and reopening.
 * Modules log through wsgw_log() (wsgw/core.h).
 */
#ifndef WSGW_LOGGER_H
#define WSGW_LOGGER_H

#include <wsgw/core.h>

enum log_format { LOG_FORMAT_JSON = 0, LOG_FORMAT_TEXT = 1 };

struct log_conf {
    int level; /* default level (enum wsgw_log_level)      */
    enum log_format format;
    const char *file; /* NULL or "-" or "stderr": stderr          */
};

/*
 * Apply the configuration (before modules are created). Opens the file;
 * WSGW_OK or WSGW_ERR with err filled. Until called, logs go to stderr as
 * JSON at info.
 */
int log_configure(const struct log_conf *c, struct wsgw_err *err);
/* SIGHUP: reopen the file (keeps the old one if the reopen fails). */
void log_reopen(void);
/* Flush suppressed-repeat counts and close the file. */
void log_shutdown(void);
/* Parse "error|warn|info|debug|trace" into a level; -1 if unknown. */
int log_level_parse(const char *s);

#endif
