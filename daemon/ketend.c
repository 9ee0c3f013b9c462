/*  ketend: the keten node daemon.  One process per node; see README.md.  */
#include "config.h"
#include "node.h"

#include <czmq.h>
#include <sodium.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: ketend --config FILE\n"
                  "\n"
                  "Run a keten node as configured in FILE (ZPL; examples in configs/).\n"
                  "\n"
                  "  -c, --config FILE   node configuration (required)\n"
                  "  -t, --check         check config, keys and roster, then exit\n"
                  "  -h, --help          this help\n"
                  "  -V, --version       print the version\n");
}

int
main (int argc, char **argv)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    const char *config_path = NULL;
    int opt;
    while ((opt = getopt_long (argc, argv, "c:hV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            s_usage (stdout);
            return 0;
        case 'V':
            printf ("ketend %s\n", KETEN_VERSION);
            return 0;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (!config_path || optind != argc) {
        s_usage (stderr);
        return 2;
    }
    /*  libsodium's own ChaCha20 generator, seeded from getrandom(): the
     *  default on Debian makes one getrandom() system call per call, and a
     *  message needs several random values (ids, salts, keys, nonces).
     *  Must be chosen before sodium_init. */
    randombytes_set_implementation (&randombytes_internal_implementation);
    kt_log_set_ident ("ketend");
    config_t config;
    kt_reason_t reason;
    if (config_load (config_path, &config, &reason) != 0) {
        fprintf (stderr, "ketend: %s\n", reason.text);
        return 1;
    }
    kt_log_set_ident (config.id);
    if (streq (config.log_level, "debug"))
        kt_log_set_level (KT_LOG_DEBUG);
    else if (streq (config.log_level, "warn"))
        kt_log_set_level (KT_LOG_WARN);
    else if (streq (config.log_level, "error"))
        kt_log_set_level (KT_LOG_ERROR);
    /*  CZMQ's own log lines would go to stdout; keep them off. */
    zsys_set_logstream (NULL);
    zsys_set_logsystem (false);
    zsys_init ();
    node_t *node = node_new (&config, &reason);
    if (!node) {
        fprintf (stderr, "ketend: %s\n", reason.text);
        return 1;
    }
    int rc = node_run (node);
    node_destroy (&node);
    return rc == 0 ? 0 : 1;
}
