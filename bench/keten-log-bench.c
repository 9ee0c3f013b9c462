/*  keten-log-bench: the provenance log on its own - appends per second in
 *  batches (each batch one fsync'd commit, as the uitvoerder does), the
 *  time to reopen it (a restart reads the stored tree head), and the time
 *  for a full `log verify` of every entry, and inclusion proofs per second
 *  (one per receipt: random entries against the current size, and each
 *  proof checked with merkle_verify_inclusion outside the timing) and
 *  consistency proofs per second (random old size to the current one),
 *  and `keten log show --type` on it: every 100th entry is a
 *  MESSAGE_REFUSED, and the time to list the newest 100 and 10,000 of
 *  them, and 100 from the middle of the log's time, is measured.
 *
 *  usage: keten-log-bench DIR [N [BATCH]]   (defaults 1000000, 1000)
 */
#include "logverify.h"
#include "provlog.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_count (void *arg, uint64_t index, const Keten__LogEntry *entry, kt_reason_t *reason)
{
    (void) index;
    (void) reason;
    *(long *) arg += entry->event == KETEN__LOG_EVENT__MESSAGE_REFUSED;
    return 0;
}

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
    uint64_t middle_ms = 0;
    uint64_t start = kt_mono_us ();
    for (long done = 0; done < n;) {
        if (provlog_begin (log, &r) != 0)
            break;
        for (long i = 0; i < batch && done < n; i++, done++) {
            kt_ordered_id (id, sizeof id);
            randombytes_buf (commitment, sizeof commitment);
            randombytes_buf (hash, sizeof hash);
            e.time_ms = kt_now_ms ();
            if (done == n / 2)
                middle_ms = e.time_ms;
            uint64_t index;
            /*  One in a hundred refused, as a busy day's log might hold. */
            bool refused = done % 100 == 99;
            e.event =
                refused ? KETEN__LOG_EVENT__MESSAGE_REFUSED : KETEN__LOG_EVENT__MESSAGE_RECEIVED;
            if ((refused ? provlog_append (log, &e, &index, &r)
                         : provlog_append_received (log, &e, &index, &r)) != 0) {
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
    /*  log show --type message_refused: newest 100, newest 10,000, and
     *  100 from the middle (--since). */
    long listed[3] = {0, 0, 0};
    double type_ms[3];
    const size_t limits[3] = {100, 10000, 100};
    for (int q = 0; q < 3; q++) {
        start = kt_mono_us ();
        if (provlog_each_event (log, KETEN__LOG_EVENT__MESSAGE_REFUSED, q == 2 ? middle_ms : 0,
                                UINT64_MAX, q != 2, limits[q], s_count, &listed[q], &r) != 0) {
            fprintf (stderr, "keten-log-bench: %s\n", r.text);
            return 1;
        }
        type_ms[q] = (double) (kt_mono_us () - start) / 1e3;
    }
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
    printf ("by_type: newest_100_ms=%.2f (%ld) newest_10000_ms=%.2f (%ld) since_middle_100_ms=%.2f "
            "(%ld)\n",
            type_ms[0], listed[0], type_ms[1], listed[1], type_ms[2], listed[2]);
    return rc == 0 ? 0 : 1;
}
