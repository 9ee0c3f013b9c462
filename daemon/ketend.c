/*  ketend: the keten node daemon.  One process per node; see README.md.  */
#include "config.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "keyring.h"
#include "keys.h"
#include "keystore.h"
#include "node.h"
#include "node_core.h" /* node_role_t: --check runs the role's config check */
#include "partner.h"
#include "peercred.h" /* --check resolves the rights' groups as a start does */
#include "roster.h"
#include "service.h"
#include "store.h"
#include "uitvoerder.h"

#include <czmq.h>
#include <sodium.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: ketend --config FILE\n"
                  "\n"
                  "Run a keten node as configured in FILE (ZPL; examples in configs/).\n"
                  "\n"
                  "  -c, --config FILE   node configuration (required)\n"
                  "  -t, --check         check config, keys and roster, then exit; warn\n"
                  "                      about access groups missing or not set\n"
                  "  -h, --help          this help\n"
                  "  -V, --version       print the version\n"
                  "\n"
                  "Exit status: 0 after a clean stop (or --check found nothing wrong);\n"
                  "78 (EX_CONFIG) when the config, key file or roster is wrong, this node\n"
                  "is not in the roster, the role's settings are refused or a database\n"
                  "was migrated by a newer release (a restart will not help); 1 on any\n"
                  "other failure (a port in use, a database that cannot be opened now);\n"
                  "2 on wrong arguments.\n");
}

/*  Whether right guards commands that can be used at this node, so that
 *  its setting unset is worth a note: a held signal (intake/release-group)
 *  holds Wpg data, which only the police sends; a spool signal
 *  (intake/representative-group) comes from a spool.  kind: this node's
 *  ("" when the roster did not say). */
static bool
s_right_used (const config_t *config, const char *kind, node_right_t right)
{
    if (right == NODE_RIGHT_RELEASE)
        return streq (kind, "politie");
    if (right == NODE_RIGHT_REPRESENTATIVE)
        return *config->spool_dir != 0;
    return true;
}

/*  --check, on the local API's rights (docs/API.md, "Who may do what"):
 *  a group that does not exist on this host is warned about by its
 *  setting, and the rights nobody holds because their setting is unset
 *  are named in a note.  Warnings only: a package installs its config
 *  before the operator has made the groups, and an unset group refuses,
 *  it never allows.  Returns the number of missing groups. */
static int
s_check_groups (const config_t *config, const char *kind)
{
    int warnings = 0;
    char unset[512] = "";
    size_t used = 0;
    for (node_right_t r = NODE_RIGHT_NONE + 1; r < NODE_RIGHT_COUNT; r++) {
        const char *group = node_right_group (config, r);
        const char *setting = node_right_setting (r);
        if (!*group && !s_right_used (config, kind, r))
            continue;
        if (!*group) {
            int n = snprintf (unset + used, sizeof unset - used, "%s%s", used ? ", " : "", setting);
            if (n > 0 && (size_t) n < sizeof unset - used)
                used += (size_t) n;
            continue;
        }
        /*  As a start resolves it (node_rights_resolve): once, to a gid. */
        gid_t gid;
        kt_reason_t why;
        int found = peercred_group_gid (group, &gid, &why);
        if (found == 0)
            fprintf (stderr,
                     "ketend: warning: %s = %s: no such group on this host; nobody holds "
                     "this right until it is made (groupadd %s) and ketend is started "
                     "again\n",
                     setting, group, group);
        else if (found < 0)
            fprintf (stderr,
                     "ketend: warning: %s = %s: %s; nobody holds this right until it "
                     "can be looked up at a start\n",
                     setting, group, why.text);
        warnings += found != 1;
    }
    /*  Often meant (a gemeente has no release group), so a note. */
    if (used)
        fprintf (stderr, "ketend: note: not set, so nobody may use the commands they guard: %s\n",
                 unset);
    return warnings;
}

/*  --check, on the key file's storage key: a start refuses a key file
 *  whose storage key did not wrap the data keys in keystore.db (a
 *  rotation without keten keygen --storage-from), as a configuration
 *  problem.  --check compares them the same way, reading the file only:
 *  a start's open would migrate it, and a keystore from before the
 *  storage check would get its check row written.  No keystore.db yet
 *  (a node not started before): nothing to compare.  One that cannot be
 *  read now (a lock, another user's state directory) is said and passes,
 *  as the start meets it as it may.  KEYSTORE_OTHER_STORAGE_KEY with the
 *  start's reason, or 0. */
static int
s_check_storage (const config_t *config, const keys_secret_t *keys, kt_reason_t *reason)
{
    char path[PATH_MAX + 32];
    struct stat st;
    snprintf (path, sizeof path, "%s/keystore.db", config->state_dir);
    if (lstat (path, &st) != 0 && errno == ENOENT)
        return 0;
    kt_reason_t why;
    keystore_t *keystore = keystore_open_readonly (path, keys->storage_key, &why);
    int rc = keystore ? keystore_check_storage (keystore, &why) : -1;
    keystore_destroy (&keystore);
    if (rc == KEYSTORE_OTHER_STORAGE_KEY) {
        *reason = why;
        return rc;
    }
    if (rc != 0)
        fprintf (stderr,
                 "ketend: warning: the key file's storage key is not compared with %s now: %s; "
                 "a start compares it\n",
                 path, why.text);
    return 0;
}

/*  --check: what a start would refuse first, without binding anything:
 *  the config (already loaded), the secret keys and their file mode, the
 *  roster against the pinned key, this node's place in it, the role's
 *  settings, the key file's storage key against keystore.db, and the
 *  schema versions of every database file against this build's (all
 *  read only).  Every refusal is a configuration problem: EX_CONFIG, as a
 *  start exits. */
static int
s_check (const config_t *config, const node_role_t *const *roles, size_t n_roles)
{
    kt_reason_t reason;
    if (sodium_init () < 0) {
        fprintf (stderr, "ketend: libsodium cannot initialise\n");
        return 1;
    }
    keys_secret_t *keys = keys_load_secret (config->key_file, &reason);
    /*  The roster a start would use (a newer kept one included), checked
     *  the way a start checks it - key rotation overlaps included. */
    roster_t *roster = keys ? node_newest_roster (config, &reason) : NULL;
    const roster_member_t *me = roster ? roster_find (roster, config->id) : NULL;
    char my_kind[sizeof me->kind] = "";
    if (me)
        snprintf (my_kind, sizeof my_kind, "%s", me->kind);
    int rc = EX_CONFIG;
    if (!keys || !roster)
        fprintf (stderr, "ketend: %s\n", reason.text);
    else if (node_roster_example_check (config, roster, &reason) != 0)
        fprintf (stderr, "ketend: %s\n", reason.text);
    else if (strcmp (keys->pub.id, config->id) != 0)
        fprintf (stderr, "ketend: %s holds the keys of %s, but this node is configured as %s\n",
                 config->key_file, keys->pub.id, config->id);
    else if (!me)
        fprintf (stderr, "ketend: %s is not a member of roster version %llu\n", config->id,
                 (unsigned long long) roster->version);
    else {
        char federation[sizeof roster->federation], kind[sizeof me->kind];
        snprintf (federation, sizeof federation, "%s", roster->federation);
        snprintf (kind, sizeof kind, "%s", me->kind);
        roster_role_t role = me->role;
        uint64_t version = roster->version;
        char until[sizeof me->previous_until] = "";
        keyring_t *ring = keyring_new (keys, &roster, &reason);
        /*  The settings of the role this node would serve, as a start
         *  checks them. */
        const node_role_t *serving = NULL;
        for (size_t i = 0; ring && !serving && i < n_roles; i++)
            if (roles[i]->serves & (1u << role))
                serving = roles[i];
        if (!ring)
            fprintf (stderr, "ketend: %s\n", reason.text);
        else if (!serving)
            fprintf (stderr, "ketend: this ketend has no role for a %s\n", roster_role_name (role));
        else if (node_config_member_check (config, keyring_self_member (ring), &reason) != 0 ||
                 serving->check (config, &reason) != 0)
            fprintf (stderr, "ketend: %s\n", reason.text);
        else if (s_check_storage (config, keys, &reason) != 0)
            fprintf (stderr, "ketend: %s\n", reason.text);
        /*  A file a newer release migrated: the start refuses it. */
        else if (store_schema_check_dir (config->state_dir, &reason) != 0)
            fprintf (stderr, "ketend: %s\n", reason.text);
        else {
            /*  A member that left still starts (its data stays for its
             *  retention periods, which it carries out), but sends
             *  nothing: said, as the group warnings are. */
            if (!roster_member_active (keyring_self_member (ring), kt_now_ms ()))
                fprintf (stderr,
                         "ketend: warning: %s is no longer an active member of roster version "
                         "%llu (leaves-at %s): a start sends nothing (expelled); its retention "
                         "goes on\n",
                         config->id, (unsigned long long) version,
                         keyring_self_member (ring)->leaves_at);
            if (keyring_self_previous (ring))
                snprintf (until, sizeof until, "%s", keyring_self_member (ring)->previous_until);
            printf ("ok: %s (%s, %s), roster %s version %llu%s%s\n", config->id, kind,
                    roster_role_name (role), federation, (unsigned long long) version,
                    *until ? "; rotated keys: this key file works until " : "", until);
            rc = 0;
        }
        keyring_destroy (&ring);
    }
    roster_destroy (&roster);
    keys_secret_destroy (&keys);
    s_check_groups (config, my_kind);
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
    store_setup ();
    kt_log_set_ident ("ketend");
    config_t config;
    kt_reason_t reason;
    /*  A configuration problem exits EX_CONFIG (78), which the units list
     *  in RestartPreventExitStatus=: restarting cannot cure it.  Anything
     *  else exits 1 and is restarted (docs/OPERATIONS.md, "Exit status"). */
    if (config_load (config_path, &config, &reason) != 0) {
        fprintf (stderr, "ketend: %s\n", reason.text);
        service_status ("%s", reason.text);
        return EX_CONFIG;
    }
    /*  The roles this ketend can take; the roster says which one it runs. */
    const node_role_t *const roles[] = {&uitvoerder_role, &partner_role};
    size_t n_roles = sizeof roles / sizeof roles[0];
    if (check_only)
        return s_check (&config, roles, n_roles);
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
    bool misconfigured;
    node_t *node = node_new (&config, roles, n_roles, &misconfigured, &reason);
    if (!node) {
        fprintf (stderr, "ketend: %s\n", reason.text);
        service_status ("%s", reason.text);
        return misconfigured || store_schema_newer_seen () ? EX_CONFIG : 1;
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
