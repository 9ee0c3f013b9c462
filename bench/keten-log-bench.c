/*  keten-log-bench: the provenance log on its own - appends per second in
 *  batches (each batch one fsync'd commit, as the uitvoerder does), the
 *  time to reopen it (a restart reads the stored tree head), and the time
 *  for a full `log verify` of every entry, and inclusion proofs per second
 *  (one per receipt: random entries against the current size, and each
 *  proof checked with merkle_verify_inclusion outside the timing) and
 *  consistency proofs per second (random old size to the current one).
 *
 *  usage: keten-log-bench DIR [N [BATCH]]   (defaults 1000000, 1000)
 */
#include "logverify.h"
#include "provlog.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc < 2 || sodium_init () < 0) {
        fprintf (stderr, "usage: keten-log-bench DIR [N [BATCH]]\n");
        return 2;
    }
    long n = argc > 2 ? atol (argv[2]) : 1000000;
    long batch = argc > 3 ? atol (argv[3]) : 1000;
    if (n < 1 || batch < 1) {
        fprintf (stderr, "keten-log-bench: N and BATCH must be positive\n");
        return 2;
    }
    char path[4096];
    snprintf (path, sizeof path, "%s/log.db", argv[1]);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    if (!log) {
        fprintf (stderr, "keten-log-bench: %s\n", r.text);
        return 1;
    }
    /*  Entries shaped like a real arrival: id, commitment, header hash. */
    uint8_t id[16], commitment[32], hash[32];
    char *recipients[1] = {(char *) "uitvoerder-limburg"};
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    e.message_type = KETEN__MESSAGE_TYPE__SIGNAL;
    e.node = (char *) "politie-limburg";
    e.recipients = recipients;
    e.n_recipients = 1;
    e.message_id.data = id;
    e.message_id.len = sizeof id;
    e.body_commitment.data = commitment;
    e.body_commitment.len = sizeof commitment;
    e.header_hash.data = hash;
    e.header_hash.len = sizeof hash;
    uint64_t start = kt_mono_us ();
    for (long done = 0; done < n;) {
        if (provlog_begin (log, &r) != 0)
            break;
        for (long i = 0; i < batch && done < n; i++, done++) {
            kt_ordered_id (id, sizeof id);
            randombytes_buf (commitment, sizeof commitment);
            randombytes_buf (hash, sizeof hash);
            e.time_ms = kt_now_ms ();
            uint64_t index;
            if (provlog_append_received (log, &e, &index, &r) != 0) {
                fprintf (stderr, "keten-log-bench: %s\n", r.text);
                return 1;
            }
        }
        if (provlog_commit (log, &r) != 0) {
            fprintf (stderr, "keten-log-bench: %s\n", r.text);
            return 1;
        }
    }
    double append_s = (double) (kt_mono_us () - start) / 1e6;
    uint64_t size = provlog_size (log);
    provlog_destroy (&log);

    start = kt_mono_us ();
    log = provlog_open (path, &r);
    double open_s = (double) (kt_mono_us () - start) / 1e6;
    if (!log) {
        fprintf (stderr, "keten-log-bench: %s\n", r.text);
        return 1;
    }
    /*  Proofs, as the uitvoerder serves them: against the current size. */
    enum { PROOFS = 200000 };
    uint8_t root_now[32];
    provlog_root (log, root_now);
    uint64_t *picks = malloc (PROOFS * sizeof *picks);
    if (!picks)
        return 1;
    for (long i = 0; i < PROOFS; i++)
        picks[i] = ((uint64_t) randombytes_random () << 32 | randombytes_random ()) % size;
    uint8_t path_[MERKLE_MAX_PATH][32];
    size_t n_path;
    start = kt_mono_us ();
    for (long i = 0; i < PROOFS; i++)
        if (provlog_inclusion_proof (log, picks[i], size, path_, &n_path, &r) != 0) {
            fprintf (stderr, "keten-log-bench: %s\n", r.text);
            return 1;
        }
    double incl_s = (double) (kt_mono_us () - start) / 1e6;
    start = kt_mono_us ();
    for (long i = 0; i < PROOFS; i++)
        if (provlog_consistency_proof (log, picks[i] + 1, size, path_, &n_path, &r) != 0) {
            fprintf (stderr, "keten-log-bench: %s\n", r.text);
            return 1;
        }
    double cons_s = (double) (kt_mono_us () - start) / 1e6;
    /*  Spot-check the proofs (not timed). */
    for (long i = 0; i < 1000; i++) {
        uint8_t leaf[32];
        if (provlog_inclusion_proof (log, picks[i], size, path_, &n_path, &r) != 0 ||
            provlog_leaf (log, picks[i], leaf, &r) != 0 ||
            !merkle_verify_inclusion (leaf, picks[i], size, (const uint8_t (*)[32]) path_, n_path,
                                      root_now)) {
            fprintf (stderr, "keten-log-bench: proof of %llu does not verify\n",
                     (unsigned long long) picks[i]);
            return 1;
        }
    }
    free (picks);
    provlog_destroy (&log);

    uint64_t vsize, bad;
    uint8_t root[32];
    start = kt_mono_us ();
    int rc = logverify_file (path, &vsize, root, &bad, &r);
    double verify_s = (double) (kt_mono_us () - start) / 1e6;
    printf ("entries=%llu batch=%ld append_s=%.2f appends_per_s=%.0f reopen_ms=%.1f verify_s=%.2f "
            "inclusion_proofs_per_s=%.0f consistency_proofs_per_s=%.0f verified=%s\n",
            (unsigned long long) size, batch, append_s, (double) n / append_s, open_s * 1000,
            verify_s, PROOFS / incl_s, PROOFS / cons_s, rc == 0 ? "yes" : r.text);
    return rc == 0 ? 0 : 1;
}
