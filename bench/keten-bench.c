/*  keten-bench: drive N signals from a partner node to the uitvoerder
 *  through the partner's local API and report throughput and latency.
 *
 *  Each request asks to wait for the uitvoerder's receipt, so an answer
 *  means: the partner stored and queued the signal, the uitvoerder
 *  verified, decrypted, stored it with fsync and logged it, and the
 *  partner recorded the signed receipt with fsync.  --inflight sets how
 *  many signals are outstanding at once (1 measures one in flight).
 *
 *  By default each signal goes as a binary submission of its own
 *  (docs/API.md, "Binary submissions"), as a broker's client publishes
 *  one message at a time; --batch B puts up to B in one submission (a
 *  signal's latency is then its submission's), and --json sends one JSON
 *  request per signal instead.  --subjects S (binary only) spreads the
 *  signals over S people, the file's subject under S names in turn: one
 *  (the default) takes the uitvoerder's path for a subject it knows, as
 *  many as signals a new subject for each.  --latencies FILE writes each
 *  signal's latency in µs, one per line, in the order the answers came:
 *  where in a run the slow ones fall (a burst's aftermath, or evenly).
 */
#include "apiclient.h"
#include "intake.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: keten-bench --socket PATH --file SIGNAL.json [-n N] [--inflight K]\n"
                  "                   [--batch B | --json] [--subjects S] [--latencies FILE]\n");
}

/*  The option flag's value arg as a number 1..max into *out; false, with
 *  the range said, when it is not one. */
static bool
s_count (const char *flag, const char *arg, long max, long *out)
{
    char *end;
    long v = strtol (arg, &end, 10);
    if (*end || v < 1 || v > max) {
        fprintf (stderr, "keten-bench: %s must be 1..%ld\n", flag, max);
        return false;
    }
    *out = v;
    return true;
}

typedef struct {
    apiclient_t *api;
    long n, inflight, batch;
    json_t *signal;   /* --json */
    long subjects;    /* binary: how many people the signals are about */
    uint8_t **packed; /* binary: the signal, packed, under each name */
    size_t *packed_len;
    uint64_t *sent_at;   /* per request */
    long *first, *count; /* binary: a request's signals */
    uint64_t *latency;   /* per signal */
    long done, refused;
} bench_t;

/*  Send request number next (its signals from *sent on); 0 or -1. */
static int
s_send (bench_t *b, long next, long *sent, kt_reason_t *reason)
{
    b->sent_at[next] = kt_mono_us ();
    if (b->signal) {
        json_t *req = json_pack ("{s:I, s:s, s:{s:O, s:b}}", "id", (json_int_t) next, "cmd",
                                 "signal.submit", "args", "signal", b->signal, "wait", 1);
        int rc = apiclient_send (b->api, req, reason);
        json_decref (req);
        (*sent)++;
        return rc;
    }
    long k = b->n - *sent < b->batch ? b->n - *sent : b->batch;
    ProtobufCBinaryData *signals = calloc ((size_t) k, sizeof *signals);
    if (!signals)
        return kt_fail (reason, "out of memory");
    for (long i = 0; i < k; i++) {
        long v = (*sent + i) % b->subjects;
        signals[i] = (ProtobufCBinaryData){b->packed_len[v], b->packed[v]};
    }
    Keten__ApiSubmit req = KETEN__API_SUBMIT__INIT;
    req.id = (uint64_t) next;
    req.n_signals = (size_t) k;
    req.signals = signals;
    req.wait = true;
    size_t len = keten__api_submit__get_packed_size (&req);
    uint8_t *buf = malloc (len);
    int rc = buf ? 0 : kt_fail (reason, "out of memory");
    if (buf) {
        keten__api_submit__pack (&req, buf);
        rc = apiclient_send_binary (b->api, buf, len, reason);
    }
    free (buf);
    free (signals);
    b->first[next] = *sent;
    b->count[next] = k;
    *sent += k;
    return rc;
}

/*  One answer: its signals done, their latency kept.  0 or -1. */
static int
s_recv (bench_t *b, long requests, kt_reason_t *reason)
{
    if (b->signal) {
        json_t *resp = apiclient_recv (b->api, 60000, reason);
        if (!resp)
            return -1;
        json_int_t id = json_integer_value (json_object_get (resp, "id"));
        const char *state =
            json_string_value (json_object_get (json_object_get (resp, "result"), "state"));
        if (id < 0 || id >= requests || !state || strcmp (state, "delivered") != 0) {
            if (++b->refused == 1) {
                char *dump = json_dumps (resp, JSON_COMPACT);
                fprintf (stderr, "keten-bench: not delivered: %s\n", dump ? dump : "?");
                free (dump);
            }
        }
        if (id >= 0 && id < requests)
            b->latency[b->done] = kt_mono_us () - b->sent_at[id];
        json_decref (resp);
        b->done++;
        return 0;
    }
    size_t len;
    uint8_t *buf = apiclient_recv_binary (b->api, 60000, &len, reason);
    if (!buf)
        return -1;
    Keten__ApiSubmitted *a = keten__api_submitted__unpack (NULL, len, buf);
    free (buf);
    if (!a || a->id >= (uint64_t) requests) {
        keten__api_submitted__free_unpacked (a, NULL);
        return kt_fail (reason, "an answer that is not one to a request of ours");
    }
    long k = b->count[a->id];
    uint64_t took = kt_mono_us () - b->sent_at[a->id];
    for (long i = 0; i < k; i++) {
        bool ok = !*a->error && a->n_outcomes == (size_t) k &&
                  a->outcomes[i]->state == KETEN__API_STATE__API_DELIVERED;
        if (!ok && ++b->refused == 1)
            fprintf (stderr, "keten-bench: not delivered: %s\n",
                     *a->error ? a->error : "an outcome other than delivered");
        b->latency[b->done++] = took;
    }
    keten__api_submitted__free_unpacked (a, NULL);
    return 0;
}

static int
s_signal (bench_t *b, const char *file, bool json)
{
    kt_reason_t reason;
    char *text;
    size_t len;
    if (kt_read_file (file, 64 * 1024, &text, &len, &reason) != 0) {
        fprintf (stderr, "keten-bench: %s\n", reason.text);
        return -1;
    }
    int rc = 0;
    if (json) {
        json_error_t jerr;
        b->signal = json_loadb (text, len, 0, &jerr);
        if (!b->signal) {
            fprintf (stderr, "keten-bench: %s: %s\n", file, jerr.text);
            rc = -1;
        }
    } else {
        Keten__Signal *s = NULL;
        b->packed = calloc ((size_t) b->subjects, sizeof *b->packed);
        b->packed_len = calloc ((size_t) b->subjects, sizeof *b->packed_len);
        if (!b->packed || !b->packed_len) {
            fprintf (stderr, "keten-bench: out of memory\n");
            rc = -1;
        } else if (intake_signal_from_json (text, len, &s, &reason) != 0) {
            fprintf (stderr, "keten-bench: %s: %s\n", file, reason.text);
            rc = -1;
        } else if (b->subjects > 1 && *s->subject->bsn) {
            /*  A BSN makes every name the same person. */
            fprintf (stderr, "keten-bench: --subjects needs a signal file without a BSN\n");
            intake_signal_destroy (&s);
            rc = -1;
        } else {
            char *name = s->subject->name, other[300];
            for (long v = 0; rc == 0 && v < b->subjects; v++) {
                if (v > 0) {
                    /*  The v-th person: the name with letters for v. */
                    char tag[8];
                    size_t t = 0;
                    for (long x = v; x > 0 && t < sizeof tag - 1; x /= 26)
                        tag[t++] = (char) ('a' + x % 26);
                    tag[t] = 0;
                    /*  Within the intake's 200 bytes for a name. */
                    snprintf (other, sizeof other, "%.190s Q%s", name, tag);
                    s->subject->name = other;
                }
                b->packed_len[v] = keten__signal__get_packed_size (s);
                b->packed[v] = malloc (b->packed_len[v] ? b->packed_len[v] : 1);
                if (b->packed[v])
                    keten__signal__pack (s, b->packed[v]);
                else
                    rc = -1;
            }
            s->subject->name = name;
            intake_signal_destroy (&s);
        }
    }
    free (text);
    return rc;
}

int
main (int argc, char **argv)
{
    static const struct option options[] = {
        {"socket", required_argument, NULL, 's'},   {"file", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},    {"inflight", required_argument, NULL, 'k'},
        {"batch", required_argument, NULL, 'b'},    {"json", no_argument, NULL, 'j'},
        {"subjects", required_argument, NULL, 'p'}, {"latencies", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *socket_path = NULL, *file = NULL, *latencies = NULL;
    bench_t b = {.n = 10000, .inflight = 1000, .batch = 1, .subjects = 1};
    bool json = false;
    int opt;
    while ((opt = getopt_long (argc, argv, "s:f:n:k:b:p:l:jh", options, NULL)) != -1) {
        switch (opt) {
        case 's':
            socket_path = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'n':
            if (!s_count ("-n", optarg, 10000000, &b.n))
                return 2;
            break;
        case 'k':
            /*  All on one connection, each waiting for its receipt: the
             *  node takes at most 16,384 such waits on one connection
             *  (docs/API.md, "Waits"). */
            if (!s_count ("--inflight", optarg, 16384, &b.inflight))
                return 2;
            break;
        case 'b':
            if (!s_count ("--batch", optarg, 1000, &b.batch))
                return 2;
            break;
        case 'j':
            json = true;
            break;
        case 'p':
            if (!s_count ("--subjects", optarg, 100000, &b.subjects))
                return 2;
            break;
        case 'l':
            latencies = optarg;
            break;
        case 'h':
            s_usage (stdout);
            return 0;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (!socket_path || !file) {
        s_usage (stderr);
        return 2;
    }
    if (b.batch > b.inflight)
        b.batch = b.inflight;
    if (json && b.subjects > 1) {
        fprintf (stderr, "keten-bench: --subjects goes with binary submissions only\n");
        return 2;
    }
    if (json)
        b.batch = 1;
    kt_reason_t reason;
    int rc = 1;
    FILE *lat = NULL;
    if (latencies && !(lat = fopen (latencies, "w"))) {
        fprintf (stderr, "keten-bench: cannot write %s: %s\n", latencies, strerror (errno));
        return 2;
    }
    if (s_signal (&b, file, json) != 0)
        goto out;
    b.api = apiclient_connect (socket_path, &reason);
    b.sent_at = calloc ((size_t) b.n, sizeof *b.sent_at);
    b.first = calloc ((size_t) b.n, sizeof *b.first);
    b.count = calloc ((size_t) b.n, sizeof *b.count);
    b.latency = calloc ((size_t) b.n, sizeof *b.latency);
    if (!b.api) {
        fprintf (stderr, "keten-bench: %s\n", reason.text);
        goto out;
    }
    if (!b.sent_at || !b.first || !b.count || !b.latency)
        goto out;
    long next = 0, sent = 0;
    uint64_t start = kt_mono_us ();
    while (b.done < b.n) {
        while (sent < b.n &&
               sent - b.done + (b.n - sent < b.batch ? b.n - sent : b.batch) <= b.inflight) {
            if (s_send (&b, next++, &sent, &reason) != 0) {
                fprintf (stderr, "keten-bench: %s\n", reason.text);
                goto out;
            }
        }
        if (s_recv (&b, next, &reason) != 0) {
            fprintf (stderr, "keten-bench: %s\n", reason.text);
            goto out;
        }
    }
    double secs = (double) (kt_mono_us () - start) / 1e6;
    for (long i = 0; lat && i < b.done; i++)
        fprintf (lat, "%llu\n", (unsigned long long) b.latency[i]);
    if (lat && fclose (lat) != 0) {
        lat = NULL;
        fprintf (stderr, "keten-bench: cannot write %s: %s\n", latencies, strerror (errno));
        goto out;
    }
    lat = NULL;
    qsort (b.latency, (size_t) b.done, sizeof *b.latency, s_cmp);
    printf ("signals=%ld inflight=%ld seconds=%.3f rate=%.0f/s p50_us=%llu p99_us=%llu "
            "max_us=%llu not_delivered=%ld api=%s batch=%ld\n",
            b.done, b.inflight, secs, (double) b.done / secs,
            (unsigned long long) b.latency[b.done / 2],
            (unsigned long long) b.latency[(size_t) ((double) b.done * 0.99)],
            (unsigned long long) b.latency[b.done - 1], b.refused, json ? "json" : "binary",
            b.batch);
    rc = b.refused ? 1 : 0;
out:
    if (lat)
        fclose (lat);
    apiclient_destroy (&b.api);
    json_decref (b.signal);
    for (long v = 0; b.packed && v < b.subjects; v++)
        free (b.packed[v]);
    free (b.packed);
    free (b.packed_len);
    free (b.sent_at);
    free (b.first);
    free (b.count);
    free (b.latency);
    return rc;
}
