/*
 * main.c — the command line: run, test a configuration (-t), version.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsgw/module.h>

#include "daemon_run.h"

#ifndef WSGW_CONF_DIR
#define WSGW_CONF_DIR "/usr/local/etc/wsgw"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsgw [-t] [-c FILE] [-M DIR]\n"
            "       wsgw -V | -h\n"
            "\n"
            "  -c FILE  configuration file (default %s/wsgw.yaml)\n"
            "  -t       test the configuration: load and validate every "
            "module,\n"
            "           print the first error as FILE:LINE:COL and exit 1, "
            "or exit 0\n"
            "  -M DIR   search modules in DIR first (colon-separated list; "
            "also\n"
            "           $WSGW_MODULE_PATH)\n"
            "  -V       print version, module ABI and built-in modules\n"
            "  -h       this help\n"
            "\n"
            "Signals: TERM/INT stop sources and drain sinks (a second one "
            "exits at\n"
            "once), HUP reopens log and output files.\n",
            WSGW_CONF_DIR);
}

int main(int argc, char **argv)
{
    struct daemon_opts o = {.conf_path = WSGW_CONF_DIR "/wsgw.yaml"};
    int c;
    while ((c = getopt(argc, argv, "c:tM:Vh")) != -1) {
        switch (c) {
        case 'c':
            o.conf_path = optarg;
            break;
        case 't':
            o.test_only = 1;
            break;
        case 'M':
            o.module_dir = optarg;
            break;
        case 'V':
            printf("wsgw %s\nmodule ABI %d.%d\nmodules built: %s\n",
                   PACKAGE_VERSION, WSGW_ABI_MAJOR, WSGW_ABI_MINOR,
                   WSGW_BUILT_MODULES);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "wsgw: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 1;
    }
    return daemon_run(&o);
}
