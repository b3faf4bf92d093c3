/*
 * daemon_run.h — what main() hands the daemon.
 */
#ifndef WSGW_DAEMON_RUN_H
#define WSGW_DAEMON_RUN_H

struct daemon_opts {
    const char *conf_path;
    const char *module_dir; /* -M; may be NULL */
    int test_only;          /* -t */
};

/* Run until stopped; returns the process exit status. */
int daemon_run(const struct daemon_opts *o);

#endif
