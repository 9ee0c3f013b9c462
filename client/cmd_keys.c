/*  keten keygen, keten roster build: the offline commands that make a
 *  node's keys and the uitvoerder's signed roster.  */
#include "cli.h"

#include "keys.h"
#include "note.h"
#include "roster.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  dir/file, without doubling a trailing slash.  Returns 0, or -1 when it
 *  does not fit. */
static int
s_join (char *out, size_t len, const char *dir, const char *id, const char *ext)
{
    size_t dlen = strlen (dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
    int n = snprintf (out, len, "%s%s%s%s", dir, sep, id, ext);
    return n < 0 || (size_t) n >= len ? -1 : 0;
}

/* ---- keten keygen ------------------------------------------------------- */

static const char s_keygen_usage[] =
    "Usage: keten keygen --id ID --kind KIND --out DIR [--name \"Display name\"]\n"
    "                    [--storage-from OLD.secret]\n"
    "\n"
    "Make a node's keys: DIR/ID.secret (mode 0600, stays on the node) and\n"
    "DIR/ID.pub (mode 0644, for the uitvoerder to put in the roster).\n"
    "Existing files are never overwritten.\n"
    "\n"
    "  --id ID       the node's roster id: 1-64 of a-z 0-9 -, starting with a letter\n"
    "  --kind KIND   gemeente, politie, om, rvdk, reclassering, extern or uitvoerder\n"
    "  --out DIR     directory for the two files\n"
    "  --name NAME   display name, e.g. \"Politie eenheid Limburg\" (default: ID)\n"
    "  --storage-from OLD.secret\n"
    "                for a key rotation: keep the node's storage key from its\n"
    "                current key file (it wraps the data keys in keystore.db;\n"
    "                ketend refuses a key file whose storage key would leave them\n"
    "                unreadable)\n"
    "\n"
    "For the uitvoerder it also prints the roster verifier key that every\n"
    "node pins in its config as node/uitvoerder-key.\n";

typedef struct {
    const char *id, *kind, *dir, *name, *storage_from;
} s_keygen_t;

enum { OPT_ID = CLI_OPT_LONG + 1, OPT_KIND, OPT_OUT, OPT_NAME, OPT_STORAGE_FROM };

static int
s_keygen_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_keygen_t *k = arg;
    switch (opt) {
    case OPT_ID:
        return cli_opt_string (cmd, "id", value, KEYS_ID_MAX, &k->id);
    case OPT_KIND:
        return cli_opt_string (cmd, "kind", value, KEYS_KIND_MAX, &k->kind);
    case OPT_OUT:
        return cli_opt_string (cmd, "out", value, PATH_MAX - 1, &k->dir);
    case OPT_STORAGE_FROM:
        return cli_opt_string (cmd, "storage-from", value, PATH_MAX - 1, &k->storage_from);
    default: /* OPT_NAME */
        return cli_opt_string (cmd, "name", value, KEYS_NAME_MAX, &k->name);
    }
}

/*  The uitvoerder's roster verifier key, read back from the file the
 *  daemon will use, so the key printed is the one that will sign
 *  rosters. */
static int
s_print_verifier (const char *secret_path, const char *id)
{
    kt_reason_t reason;
    keys_secret_t *keys = keys_load_secret (secret_path, &reason);
    if (!keys) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    char vkey[NOTE_NAME_MAX + 64];
    int rc = note_verifier_format (vkey, sizeof vkey, keys->pub.id, keys->pub.signing_pk);
    keys_secret_destroy (&keys);
    if (rc != 0) {
        cli_error ("cannot format the roster verifier key for %s", id);
        return CLI_FAIL;
    }
    printf ("roster verifier key; pin it in every node's config (node section):\n"
            "    uitvoerder-key = \"%s\"\n",
            vkey);
    return CLI_OK;
}

int
cmd_keygen (cli_t *cli, int argc, char **argv)
{
    (void) cli;
    static const struct option options[] = {
        {"id", required_argument, NULL, OPT_ID},
        {"kind", required_argument, NULL, OPT_KIND},
        {"out", required_argument, NULL, OPT_OUT},
        {"name", required_argument, NULL, OPT_NAME},
        {"storage-from", required_argument, NULL, OPT_STORAGE_FROM},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0}};
    const char *cmd = "keygen";
    s_keygen_t k = {NULL, NULL, NULL, NULL, NULL};
    int rc = cli_options (cmd, argc, argv, options, s_keygen_usage, s_keygen_option, &k);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (!k.id || !k.kind || !k.dir)
        return cli_usage_error (cmd, "--id, --kind and --out are required");
    if (!kt_valid_node_id (k.id))
        return cli_usage_error (cmd, "--id must be 1-64 of a-z 0-9 -, starting with a letter");
    if (!keys_valid_kind (k.kind))
        return cli_usage_error (cmd, "--kind must be one of gemeente, politie, om, rvdk, "
                                     "reclassering, extern, uitvoerder");
    char secret_path[PATH_MAX], pub_path[PATH_MAX];
    if (s_join (secret_path, sizeof secret_path, k.dir, k.id, ".secret") != 0 ||
        s_join (pub_path, sizeof pub_path, k.dir, k.id, ".pub") != 0)
        return cli_usage_error (cmd, "--out is too long");

    kt_reason_t reason;
    /*  A key rotation keeps the node's storage key: it wraps the data keys
     *  in keystore.db, and a new one would leave them unreadable. */
    keys_secret_t *old = NULL;
    if (k.storage_from) {
        if (!(old = keys_load_secret (k.storage_from, &reason))) {
            cli_error ("%s", reason.text);
            return CLI_FAIL;
        }
        if (strcmp (old->pub.id, k.id) != 0 || strcmp (old->pub.kind, k.kind) != 0) {
            cli_error ("%s holds the keys of %s (%s), not of %s (%s): a rotation keeps the "
                       "node's id and kind",
                       k.storage_from, old->pub.id, old->pub.kind, k.id, k.kind);
            keys_secret_destroy (&old);
            return CLI_FAIL;
        }
    }
    rc =
        keys_generate_keeping (k.id, k.kind, k.name, k.dir, old ? old->storage_key : NULL, &reason);
    keys_secret_destroy (&old);
    if (rc != 0) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    printf ("wrote %s (mode 0600: keep it on this node)\n", secret_path);
    printf ("wrote %s (mode 0644: give it to the uitvoerder for the roster)\n", pub_path);
    if (strcmp (k.kind, "uitvoerder") != 0)
        return CLI_OK;
    return s_print_verifier (secret_path, k.id);
}

/* ---- keten roster build ------------------------------------------------- */

static const char s_roster_usage[] =
    "Usage: keten roster build --federation NAME --version N --signer UITVOERDER.secret\n"
    "                          --referentiekader FILE --out FILE PUBFILE...\n"
    "\n"
    "Build the federation roster (the convenant as data) from the members'\n"
    "ID.pub files, sign it with the uitvoerder's key and write it to FILE\n"
    "(mode 0644).  The uitvoerder's own ID.pub must be among the PUBFILEs.\n"
    "\n"
    "  --federation NAME   the federation, e.g. pga-limburg\n"
    "  --version N         roster version; nodes refuse a lower one than they hold\n"
    "  --signer FILE       the uitvoerder's ID.secret\n"
    "  --referentiekader FILE\n"
    "                      the region's referentiekader (art. 7.3): checked, and its\n"
    "                      version, SHA-256 and example flag go into the roster; a\n"
    "                      test federation may use configs/referentiekader-example.zpl\n"
    "                      (its nodes then need node/test-federation = 1)\n"
    "  --out FILE          where to write the signed roster\n";

typedef struct {
    const char *federation, *version_text, *signer_path, *out, *kader_path;
    uint64_t version;
} s_roster_t;

enum { OPT_FEDERATION = CLI_OPT_LONG + 1, OPT_VERSION, OPT_SIGNER, OPT_ROSTER_OUT, OPT_KADER };

static int
s_roster_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_roster_t *r = arg;
    switch (opt) {
    case OPT_FEDERATION:
        return cli_opt_string (cmd, "federation", value, 64, &r->federation);
    case OPT_VERSION:
        if (cli_opt_string (cmd, "version", value, 20, &r->version_text))
            return CLI_USAGE;
        return cli_opt_uint (cmd, "version", value, 1, INT64_MAX, &r->version);
    case OPT_SIGNER:
        return cli_opt_string (cmd, "signer", value, PATH_MAX - 1, &r->signer_path);
    case OPT_KADER:
        return cli_opt_string (cmd, "referentiekader", value, PATH_MAX - 1, &r->kader_path);
    default: /* OPT_ROSTER_OUT */
        return cli_opt_string (cmd, "out", value, PATH_MAX - 1, &r->out);
    }
}

/*  Build and sign the roster from the n_files .pub files, check it the
 *  way every node will (signature, pinned key, contents) before anyone
 *  else sees it, and write it. */
static int
s_roster_write (const s_roster_t *r, char **files, size_t n_files)
{
    kt_reason_t reason;
    /*  art. 7.3: the criteria the weegploeg weighs against, checked the
     *  way the uitvoerder checks them, before anything is signed. */
    referentiekader_t rk;
    if (referentiekader_load (r->kader_path, &rk, NULL, &reason) != 0) {
        cli_error ("--referentiekader: %s", reason.text);
        return CLI_FAIL;
    }
    keys_secret_t *signer = keys_load_secret (r->signer_path, &reason);
    if (!signer) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    char *note = NULL;
    roster_t *roster = NULL;
    int rc = CLI_FAIL;
    char vkey[NOTE_NAME_MAX + 64];
    if (roster_build (r->federation, r->version, (const char *const *) files, n_files, signer, &rk,
                      &note, &reason) != 0)
        cli_error ("%s", reason.text);
    else if (note_verifier_format (vkey, sizeof vkey, signer->pub.id, signer->pub.signing_pk) != 0)
        cli_error ("cannot format the verifier key of %s", signer->pub.id);
    else if (!(roster = roster_parse (note, strlen (note), vkey, &reason)))
        cli_error ("the built roster does not verify: %s", reason.text);
    else if (kt_write_file (r->out, note, strlen (note), 0644, &reason) != 0)
        cli_error ("%s", reason.text);
    else {
        char sha[65];
        printf ("roster %s version %llu with %zu members written to %s\n", roster->federation,
                (unsigned long long) roster->version, roster->member_count, r->out);
        printf ("referentiekader %s sha256=%s%s\n", roster->referentiekader,
                kt_hex (sha, roster->referentiekader_sha256, 32),
                roster->referentiekader_example
                    ? " (an example: nodes refuse it unless node/test-federation = 1)"
                    : "");
        rc = CLI_OK;
    }
    roster_destroy (&roster);
    free (note);
    keys_secret_destroy (&signer);
    return rc;
}

int
cmd_roster_build (cli_t *cli, int argc, char **argv)
{
    (void) cli;
    static const struct option options[] = {{"federation", required_argument, NULL, OPT_FEDERATION},
                                            {"version", required_argument, NULL, OPT_VERSION},
                                            {"signer", required_argument, NULL, OPT_SIGNER},
                                            {"out", required_argument, NULL, OPT_ROSTER_OUT},
                                            {"referentiekader", required_argument, NULL, OPT_KADER},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "roster build";
    s_roster_t r = {NULL, NULL, NULL, NULL, NULL, 0};
    int rc = cli_options (cmd, argc, argv, options, s_roster_usage, s_roster_option, &r);
    if (rc)
        return CLI_DONE (rc);
    if (!r.federation || !r.version_text || !r.signer_path || !r.out)
        return cli_usage_error (cmd, "--federation, --version, --signer and --out are required");
    if (!r.kader_path)
        return cli_usage_error (cmd,
                                "--referentiekader FILE is required: the region's referentiekader "
                                "(art. 7.3); for a test federation "
                                "configs/referentiekader-example.zpl");
    size_t n_files = (size_t) (argc - optind);
    if (n_files == 0)
        return cli_usage_error (cmd, "give the members' PUBFILEs");
    if (n_files > ROSTER_MAX_MEMBERS)
        return cli_usage_error (cmd, "at most %d members", ROSTER_MAX_MEMBERS);
    for (int i = optind; i < argc; i++)
        if (!*argv[i] || strnlen (argv[i], PATH_MAX) >= PATH_MAX)
            return cli_usage_error (cmd, "PUBFILE %d is empty or too long", i - optind + 1);
    return s_roster_write (&r, argv + optind, n_files);
}
