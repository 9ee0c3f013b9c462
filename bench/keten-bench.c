/*  keten-bench: drive N signals from a partner node to the uitvoerder
 *  through the partner's local API and report throughput and latency.
 *
 *  Each request asks to wait for the uitvoerder's receipt, so a response
 *  means: the partner stored and queued the signal, the uitvoerder
 *  verified, decrypted, stored it with fsync and logged it, and the
 *  partner recorded the signed receipt with fsync.  --inflight sets how
 *  many requests are outstanding at once (1 measures one in flight).
 */
#include "apiclient.h"
#include "util.h"

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
    fprintf (out, "usage: keten-bench --socket PATH --file SIGNAL.json [-n N] [--inflight K]\n");
}

int
main (int argc, char **argv)
{
    static const struct option options[] = {{"socket", required_argument, NULL, 's'},
                                             {"file", required_argument, NULL, 'f'},
                                             {"count", required_argument, NULL, 'n'},
                                             {"inflight", required_argument, NULL, 'k'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *socket_path = NULL, *file = NULL;
    long n = 10000, inflight = 1000;
    int opt;
    while ((opt = getopt_long (argc, argv, "s:f:n:k:h", options, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 's':
            socket_path = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'n':
            n = strtol (optarg, &end, 10);
            if (*end || n < 1 || n > 10000000) {
                fprintf (stderr, "keten-bench: -n must be 1..10000000\n");
                return 2;
            }
            break;
        case 'k':
            inflight = strtol (optarg, &end, 10);
            if (*end || inflight < 1 || inflight > 100000) {
                fprintf (stderr, "keten-bench: --inflight must be 1..100000\n");
                return 2;
            }
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
    kt_reason_t reason;
    char *text;
    size_t len;
    if (kt_read_file (file, 64 * 1024, &text, &len, &reason) != 0) {
        fprintf (stderr, "keten-bench: %s\n", reason.text);
        return 1;
    }
    json_error_t jerr;
    json_t *signal = json_loadb (text, len, 0, &jerr);
    free (text);
    if (!signal) {
        fprintf (stderr, "keten-bench: %s: %s\n", file, jerr.text);
        return 1;
    }
    apiclient_t *api = apiclient_connect (socket_path, &reason);
    if (!api) {
        fprintf (stderr, "keten-bench: %s\n", reason.text);
        return 1;
    }
    uint64_t *sent_at = calloc ((size_t) n, sizeof *sent_at);
    uint64_t *latency = calloc ((size_t) n, sizeof *latency);
    if (!sent_at || !latency)
        return 1;
    long next = 0, done = 0, refused = 0;
    uint64_t start = kt_mono_us ();
    int rc = 0;
    while (done < n) {
        while (next < n && next - done < inflight) {
            json_t *req = json_pack ("{s:I, s:s, s:{s:O, s:b}}", "id", (json_int_t) next, "cmd",
                                     "signal.submit", "args", "signal", signal, "wait", 1);
            sent_at[next] = kt_mono_us ();
            int src = apiclient_send (api, req, &reason);
            json_decref (req);
            if (src != 0) {
                fprintf (stderr, "keten-bench: %s\n", reason.text);
                rc = 1;
                goto out;
            }
            next++;
        }
        json_t *resp = apiclient_recv (api, 60000, &reason);
        if (!resp) {
            fprintf (stderr, "keten-bench: %s\n", reason.text);
            rc = 1;
            goto out;
        }
        json_int_t id = json_integer_value (json_object_get (resp, "id"));
        const char *state = json_string_value (json_object_get (
            json_object_get (resp, "result"), "state"));
        if (id < 0 || id >= n || !state || strcmp (state, "delivered") != 0) {
            refused++;
            if (refused == 1) {
                char *dump = json_dumps (resp, JSON_COMPACT);
                fprintf (stderr, "keten-bench: not delivered: %s\n", dump ? dump : "?");
                free (dump);
            }
        }
        if (id >= 0 && id < n)
            latency[done] = kt_mono_us () - sent_at[id];
        json_decref (resp);
        done++;
    }
    double secs = (double) (kt_mono_us () - start) / 1e6;
    qsort (latency, (size_t) done, sizeof *latency, s_cmp);
    printf ("signals=%ld inflight=%ld seconds=%.3f rate=%.0f/s p50_us=%llu p99_us=%llu "
            "max_us=%llu not_delivered=%ld\n",
            done, inflight, secs, (double) done / secs,
            (unsigned long long) latency[done / 2],
            (unsigned long long) latency[(size_t) ((double) done * 0.99)],
            (unsigned long long) latency[done - 1], refused);
    if (refused)
        rc = 1;
out:
    apiclient_destroy (&api);
    json_decref (signal);
    free (sent_at);
    free (latency);
    return rc;
}
