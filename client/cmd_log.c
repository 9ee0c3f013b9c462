/*  keten log verify: recompute the provenance log from its entries.  */
#include "cli.h"

#include "checkpoint.h"
#include "config.h"
#include "logverify.h"
#include "merkle.h"
#include "note.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_verify_usage[] =
    "Usage: keten log verify [--json]\n"
    "       keten log verify --file LOG.DB [--json]\n"
    "\n"
    "Without --file it asks this node's ketend (keten -c CONFIG or -s SOCKET).\n"
    "At a partner: check every kept receipt's inclusion proof against its\n"
    "checkpoint, and that checkpoint against the newest one this node verified\n"
    "(consistency proofs); exits 1 on a failed proof, a log alarm, or a witness\n"
    "whose receipts or alarms cannot be read.\n"
    "\n"
    "At the uitvoerder: recompute the whole provenance log (state-dir/log.db)\n"
    "from its entries - indexes without gaps, every leaf hash, every entry\n"
    "decodes, arrivals where the arrival index puts them, every stored\n"
    "interior hash, nothing indexed past the end, the stored tree head - and\n"
    "print its size and root.  On failure it names the first bad index and\n"
    "exits 1.  Reads the file only, in one snapshot; the daemon may be\n"
    "running.  Then every checkpoint it signed and stored must be signed by\n"
    "this log and match the entries.  A log cut back consistently to an\n"
    "earlier size is a valid smaller log: the partners' kept checkpoints\n"
    "show it (their `keten log verify` and status alarm).\n"
    "\n"
    "  --file PATH   the log file (default: log.db in the config's state-dir)\n"
    "  --json        print the result as JSON\n"
    "  -h, --help    this help\n";

/*  A partner's answer: every kept receipt against its checkpoint, every
 *  checkpoint against the newest verified one, and any alarm. */
static int
s_partner_result (json_t *result, bool as_json)
{
    json_t *w = json_object_get (result, "witness");
    if (!json_is_object (w)) {
        /*  Its witness could not be read: nothing verified, which is no
         *  "all well". */
        const char *error = json_string_value (json_object_get (result, "error"));
        cli_error ("%s", error ? error : "this node's log witness cannot be read");
        json_decref (result);
        return CLI_FAIL;
    }
    uint64_t n = 0, ok = 0, pending = 0, failed = 0, size = 0, bad = 0, unproven = 0;
    cli_json_uint (w, "unproven", &unproven);
    cli_json_uint (w, "receipts", &n);
    cli_json_uint (w, "verified", &ok);
    cli_json_uint (w, "pending", &pending);
    cli_json_uint (w, "failed", &failed);
    cli_json_uint (w, "checkpoint_size", &size);
    bool alarm = json_is_true (json_object_get (w, "alarm"));
    int rc = failed || alarm ? CLI_FAIL : CLI_OK;
    if (as_json)
        cli_print_json (w);
    else if (rc == CLI_OK)
        printf ("%llu receipts: %llu proven in checkpoints consistent with the newest verified "
                "(size %llu), %llu awaiting a consistency proof\n",
                (unsigned long long) n, (unsigned long long) ok, (unsigned long long) size,
                (unsigned long long) pending);
    if (!as_json && unproven)
        printf ("%llu accepted receipt%s came without a proof or without the log entry it is "
                "of (the uitvoerder could not make one, or is an older release): their delivery "
                "is not proven here\n",
                (unsigned long long) unproven, unproven == 1 ? "" : "s");
    if (rc != CLI_OK) {
        if (cli_json_uint (w, "first_bad_index", &bad))
            cli_error ("receipt proof failed: first bad log index %llu (%llu of %llu receipts "
                       "failed)",
                       (unsigned long long) bad, (unsigned long long) failed,
                       (unsigned long long) n);
        if (alarm)
            cli_error ("ALARM: the uitvoerder's log is not what this node verified before; "
                       "keten status shows the alarms");
    }
    json_decref (result);
    return rc;
}

/*  The uitvoerder's log file recomputed, and its stored checkpoints
 *  (checkpoints: the daemon's answer, or NULL when it was not reached). */
static int
s_file_result (const char *path, json_t *checkpoints, bool as_json)
{
    uint64_t size = 0, bad = 0, n_cp = 0, bad_cp = 0, first_cp = 0;
    uint8_t root[32];
    char hex[65];
    kt_reason_t reason;
    if (logverify_file (path, &size, root, &bad, &reason) != 0) {
        if (as_json) {
            json_t *r = json_pack ("{s:b, s:I, s:s}", "ok", 0, "first_bad_index", (json_int_t) bad,
                                   "reason", reason.text);
            cli_print_json (r);
            json_decref (r);
        }
        cli_error ("%s: verification failed at index %llu: %s", path, (unsigned long long) bad,
                   reason.text);
        return CLI_FAIL;
    }
    cli_json_uint (checkpoints, "checkpoints", &n_cp);
    cli_json_uint (checkpoints, "bad", &bad_cp);
    kt_hex (hex, root, 32);
    if (as_json) {
        json_t *r = json_pack ("{s:b, s:I, s:s, s:I, s:I}", "ok", bad_cp == 0, "size",
                               (json_int_t) size, "root", hex, "checkpoints", (json_int_t) n_cp,
                               "checkpoints_bad", (json_int_t) bad_cp);
        cli_print_json (r);
        json_decref (r);
    } else
        printf ("%s: %llu entries verified, root %s%s\n", path, (unsigned long long) size, hex,
                checkpoints ? "" : " (stored checkpoints not checked)");
    if (checkpoints && !as_json && bad_cp == 0)
        printf ("%llu stored checkpoints: each signed by this log and matching its entries\n",
                (unsigned long long) n_cp);
    if (bad_cp) {
        cli_json_uint (checkpoints, "first_bad_size", &first_cp);
        cli_error ("%llu stored checkpoint(s) do not match the log; the first at size %llu",
                   (unsigned long long) bad_cp, (unsigned long long) first_cp);
        return CLI_FAIL;
    }
    return CLI_OK;
}

enum { OPT_FILE = CLI_OPT_LONG + 1, OPT_JSON };

typedef struct {
    const char *file;
    bool as_json;
} s_verify_t;

static int
s_verify_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_verify_t *v = arg;
    if (opt == OPT_FILE)
        return cli_opt_string (cmd, "file", value, 4000, &v->file);
    if (v->as_json)
        return cli_usage_error (cmd, "--json given twice");
    v->as_json = true;
    return 0;
}

int
cmd_log_verify (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"file", required_argument, NULL, OPT_FILE},
                                            {"json", no_argument, NULL, OPT_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "log verify";
    s_verify_t v = {NULL, false};
    int rc = cli_options (cmd, argc, argv, options, s_verify_usage, s_verify_option, &v);
    if (rc)
        return CLI_DONE (rc);
    const char *file = v.file;
    bool as_json = v.as_json;
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    char path[PATH_MAX + 16];
    json_t *result = NULL;
    if (file)
        snprintf (path, sizeof path, "%s", file);
    else {
        /*  Ask the node: a partner checks its kept receipts against its
         *  newest checkpoint; the uitvoerder checks its stored checkpoints
         *  and names its log file, which is recomputed here. */
        result = cli_call (cli, "log.verify", NULL, CLI_WAIT_TIMEOUT_MS, NULL);
        if (!result && !cli->config_path)
            return CLI_FAIL;
        const char *role = result ? json_string_value (json_object_get (result, "role")) : NULL;
        if (role && strcmp (role, "partner") == 0)
            return s_partner_result (result, as_json);
        const char *log_path =
            result ? json_string_value (json_object_get (result, "log_path")) : NULL;
        if (log_path)
            snprintf (path, sizeof path, "%s", log_path);
        else {
            config_t config;
            kt_reason_t reason;
            if (config_load (cli->config_path, &config, &reason) != 0) {
                cli_error ("%s", reason.text);
                json_decref (result);
                return CLI_FAIL;
            }
            snprintf (path, sizeof path, "%s/log.db", config.state_dir);
            cli_error ("ketend is not reachable: verifying the file only, not the stored "
                       "checkpoints");
        }
    }
    rc = s_file_result (path, result ? json_object_get (result, "checkpoints") : NULL, as_json);
    json_decref (result);
    return rc;
}

static const char s_checkpoints_usage[] =
    "Usage: keten log checkpoints [--json]   (uitvoerder)\n"
    "\n"
    "The checkpoints the uitvoerder signed over its provenance log, newest first:\n"
    "size, when signed, which witnesses cosigned, root.\n"
    "\n"
    "  --json        print the result as JSON\n"
    "  -h, --help    this help\n";

static void
s_checkpoints_print (json_t *r)
{
    static const char *const header[] = {"SIZE", "SIGNED (UTC)", "COSIGNED BY", "ROOT"};
    cli_table_t *t = cli_table_new (4, header);
    json_t *c;
    size_t i;
    json_array_foreach (json_object_get (r, "checkpoints"), i, c)
    {
        char size[24], when[32], who[CLI_CELL_MAX + 1], root[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (c, "size", &v);
        snprintf (size, sizeof size, "%llu", (unsigned long long) v);
        v = 0;
        cli_json_uint (c, "signed_ms", &v);
        cli_fmt_time (when, sizeof when, v);
        const char *cells[4] = {size, when, cli_json_str (c, "cosigners", who, sizeof who),
                                cli_json_str (c, "root", root, sizeof root)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

int
cmd_log_checkpoints (cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
        fputs (s_checkpoints_usage, stdout);
        return CLI_OK;
    }
    bool as_json = argc == 2 && strcmp (argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !as_json))
        return cli_usage_error ("log checkpoints", "only --json");
    json_t *r = cli_call (cli, "log.checkpoints", NULL, CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json)
        rc = cli_print_json (r);
    else
        s_checkpoints_print (r);
    json_decref (r);
    return rc;
}

/* ---- log proof ------------------------------------------------------------ */

static const char s_proof_usage[] =
    "Usage: keten log proof MESSAGE_ID [--vkey VKEY] [--json]   (uitvoerder)\n"
    "       keten log proof --index N [--vkey VKEY] [--json]\n"
    "\n"
    "For someone who checks the provenance log from outside: one entry - the one\n"
    "that logged the arrival of MESSAGE_ID (32 hex digits), or the one at index N -\n"
    "with the log's signed checkpoint as it stands (witness cosignatures\n"
    "included), the entry's inclusion proof in it (RFC 9162) and the entry's bytes.\n"
    "The command checks all of it here, as the third party would: the leaf is\n"
    "SHA-256(0x00 || entry), the proof leads to the checkpoint's root, and the\n"
    "checkpoint is signed by the log's key - VKEY (a C2SP verifier key, as\n"
    "`keten status` at the uitvoerder prints it under \"log key\") when given,\n"
    "else the key the uitvoerder names.  Exit 1 when any check fails.  No\n"
    "personal data: ids, actors and keten's own words.  Needs the audit group.\n"
    "\n"
    "  --index N     the entry at index N (0..), instead of a message's arrival\n"
    "  --vkey VKEY   the log's verifier key to check against (recommended: one\n"
    "                obtained apart from this answer)\n"
    "  --json        print the answer as JSON, with \"verified\": true|false\n"
    "  -h, --help    this help\n";

/*  Check a log.proof answer as a third party would; 0 or -1 with why. */
static int
s_proof_check (json_t *r, const char *vkey, kt_reason_t *reason)
{
    char name[NOTE_NAME_MAX + 1];
    uint8_t pk[32], leaf[32], want_leaf[32], path[MERKLE_MAX_PATH][32];
    const char *key = vkey ? vkey : json_string_value (json_object_get (r, "vkey"));
    const char *note = json_string_value (json_object_get (r, "checkpoint"));
    const char *b64 = json_string_value (json_object_get (r, "entry_base64"));
    const char *leaf_hex = json_string_value (json_object_get (r, "leaf_hash"));
    json_t *inclusion = json_object_get (r, "inclusion");
    json_int_t index = json_integer_value (json_object_get (r, "index"));
    if (!key || !note || !b64 || !leaf_hex || !json_is_array (inclusion) || index < 0 ||
        json_array_size (inclusion) > MERKLE_MAX_PATH)
        return kt_fail (reason, "the answer is not a log proof");
    if (note_verifier_parse (key, name, pk, reason) != 0)
        return -1;
    checkpoint_t cp;
    if (checkpoint_open (note, strlen (note), name, pk, &cp, reason) != 0)
        return -1;
    size_t max = strlen (b64), len = 0;
    uint8_t *entry = malloc (max ? max : 1);
    if (!entry)
        return kt_fail (reason, "out of memory");
    int rc = 0;
    if (sodium_base642bin (entry, max, b64, strlen (b64), NULL, &len, NULL,
                           sodium_base64_VARIANT_ORIGINAL) != 0)
        rc = kt_fail (reason, "the entry is not base64");
    else {
        merkle_leaf_hash (leaf, entry, len);
        if (kt_unhex (want_leaf, 32, leaf_hex) != 0 || sodium_memcmp (leaf, want_leaf, 32) != 0)
            rc = kt_fail (reason, "the entry's bytes do not give its leaf hash");
    }
    free (entry);
    for (size_t i = 0; rc == 0 && i < json_array_size (inclusion); i++) {
        const char *h = json_string_value (json_array_get (inclusion, i));
        if (!h || kt_unhex (path[i], 32, h) != 0)
            rc = kt_fail (reason, "the inclusion proof is not hex");
    }
    if (rc == 0 && (uint64_t) index >= cp.size)
        rc = kt_fail (reason, "entry %lld is not in the checkpoint's tree of %llu",
                      (long long) index, (unsigned long long) cp.size);
    if (rc == 0 && !merkle_verify_inclusion (leaf, (uint64_t) index, cp.size,
                                             (const uint8_t (*)[32]) path,
                                             json_array_size (inclusion), cp.root))
        rc = kt_fail (reason, "the inclusion proof does not lead to the checkpoint's root");
    return rc;
}

int
cmd_log_proof (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"index", required_argument, NULL, 'i'},
                                             {"vkey", required_argument, NULL, 'k'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *cmd = "log proof", *vkey = NULL;
    bool as_json = false, by_index = false;
    uint64_t index = 0;
    int opt;
    optind = 0;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'i':
            if (cli_opt_uint (cmd, "index", optarg, 0, (uint64_t) INT64_MAX, &index) != 0)
                return CLI_USAGE;
            by_index = true;
            break;
        case 'k':
            vkey = optarg;
            break;
        case 'j':
            as_json = true;
            break;
        case 'h':
            fputs (s_proof_usage, stdout);
            return CLI_OK;
        default:
            return cli_usage_error (cmd, "see keten log proof --help");
        }
    }
    const char *id = optind < argc ? argv[optind] : NULL;
    if ((id != NULL) == by_index || (id && optind + 1 != argc))
        return cli_usage_error (cmd, "give MESSAGE_ID or --index N");
    uint8_t bin[KT_ID_LEN];
    if (id && (strlen (id) != 2 * KT_ID_LEN || kt_unhex (bin, KT_ID_LEN, id) != 0))
        return cli_usage_error (cmd, "MESSAGE_ID must be 32 hex digits");
    json_t *args = id ? json_pack ("{s:s}", "message_id", id)
                      : json_pack ("{s:I}", "index", (json_int_t) index);
    json_t *r = cli_call (cli, "log.proof", args, CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    kt_reason_t why;
    bool ok = s_proof_check (r, vkey, &why) == 0;
    int rc = ok ? CLI_OK : CLI_FAIL;
    if (as_json) {
        json_object_set_new (r, "verified", json_boolean (ok));
        if (!ok)
            json_object_set_new (r, "problem", json_string (why.text));
        if (cli_print_json (r) != CLI_OK)
            rc = CLI_FAIL;
    } else {
        json_t *e = json_object_get (r, "entry");
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1];
        printf ("entry %lld of %lld: %s by %s%s%s\n",
                (long long) json_integer_value (json_object_get (r, "index")),
                (long long) json_integer_value (json_object_get (r, "tree_size")),
                cli_json_str (e, "event", a, sizeof a), cli_json_str (e, "node", b, sizeof b),
                json_object_get (e, "message_id") ? ", message " : "",
                json_object_get (e, "message_id") ? cli_json_str (e, "message_id", c, sizeof c)
                                                  : "");
        printf ("leaf hash %s\n", json_string_value (json_object_get (r, "leaf_hash")));
        printf ("inclusion proof (%zu hashes, leaf side first):\n",
                json_array_size (json_object_get (r, "inclusion")));
        size_t i;
        json_t *h;
        json_array_foreach (json_object_get (r, "inclusion"), i, h)
            printf ("  %s\n", json_string_value (h));
        printf ("entry (base64, as hashed): %s\n",
                json_string_value (json_object_get (r, "entry_base64")));
        printf ("checkpoint:\n%s", json_string_value (json_object_get (r, "checkpoint")));
        printf ("log key: %s\n", vkey ? vkey : json_string_value (json_object_get (r, "vkey")));
        if (ok)
            printf ("verified: the entry is in the tree of the checkpoint, signed by that key\n");
        else
            cli_error ("not verified: %s", why.text);
    }
    json_decref (r);
    return rc;
}
