/*  ketend: the keten node daemon.  One process per node; see README.md.  */
#include "config.h"
#include "keys.h"
#include "node.h"
#include "roster.h"
#include "service.h"

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

/*  --check: what a start would refuse first, without binding anything:
 *  the config (already loaded), the secret keys and their file mode, the
 *  roster against the pinned key, and this node's place in it. */
static int
s_check (const config_t *config)
{
    kt_reason_t reason;
    if (sodium_init () < 0) {
        fprintf (stderr, "ketend: libsodium cannot initialise\n");
        return 1;
    }
    keys_secret_t *keys = keys_load_secret (config->key_file, &reason);
    roster_t *roster = keys ? roster_load (config->roster_file, config->uitvoerder_key, &reason)
                            : NULL;
    const roster_member_t *me = roster ? roster_find (roster, config->id) : NULL;
    int rc = 1;
    if (!keys || !roster)
        fprintf (stderr, "ketend: %s\n", reason.text);
    else if (strcmp (keys->pub.id, config->id) != 0)
        fprintf (stderr, "ketend: %s holds the keys of %s, but this node is configured as %s\n",
                 config->key_file, keys->pub.id, config->id);
    else if (!me)
        fprintf (stderr, "ketend: %s is not a member of the roster %s\n", config->id,
                 config->roster_file);
    else if (memcmp (me->signing_pk, keys->pub.signing_pk, 32) != 0
             || memcmp (me->transport_pk, keys->pub.transport_pk, 32) != 0)
        fprintf (stderr, "ketend: the roster lists other keys for %s than %s holds\n",
                 config->id, config->key_file);
    else {
        printf ("ok: %s (%s, %s), roster %s version %llu\n", me->id, me->kind,
                roster_role_name (me->role), roster->federation,
                (unsigned long long) roster->version);
        rc = 0;
    }
    roster_destroy (&roster);
    keys_secret_destroy (&keys);
    return rc;
}

int
main (int argc, char **argv)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                             {"check", no_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    const char *config_path = NULL;
    bool check_only = false;
    int opt;
    while ((opt = getopt_long (argc, argv, "c:thV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check_only = true;
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
        service_status ("%s", reason.text);
        return 1;
    }
    if (check_only)
        return s_check (&config);
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
        service_status ("%s", reason.text);
        return 1;
    }
    /*  node_new has bound the transport and the API socket: from here on a
     *  client that connects is served (Type=notify; the watchdog timer is
     *  registered by node_run on the node's loop). */
    char status[128];
    snprintf (status, sizeof status, "node %s serving", config.id);
    service_ready (status);
    int rc = node_run (node);
    service_stopping ();
    node_destroy (&node);
    return rc == 0 ? 0 : 1;
}
