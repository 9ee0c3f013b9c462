/*  keten-floor: what the guarantees cost on this machine, one primitive at
 *  a time, in one run (issue #17: "a measured floor").  A signal with one
 *  in flight waits, in order, for: the politie node's durable commit,
 *  an Ed25519 signature on its batch, the CurveZMQ hop, the uitvoerder's
 *  verification, its durable commits (log and weegploeg file, at once),
 *  a signature on the new checkpoint and one on the receipt's batch, the
 *  hop back, and the politie node's verification of both; the caller
 *  asks and is answered over the node's local socket.  Each is measured
 *  here alone (p50 of many), and two sums are printed: with the durable
 *  waits as bare fdatasyncs (no store at all), and as the SQLite commits
 *  of the fixed stack (one 1 KiB row, WAL, synchronous=FULL, keten's
 *  store_open; the uitvoerder's two files at once, as keten commits
 *  them).  A third sum lets the signing run while the commits wait and
 *  the receipt's two verifications run at once, every overlap keten's
 *  protocol allows.  The CurveZMQ round trip is measured twice: as the
 *  scheduler places the threads, and with both ends on one CPU, where no
 *  wake-up waits for a CPU that halted; the last sum takes the lower.
 *  No implementation of the protocol on this stack can answer one
 *  signal faster on this machine than that last sum.  Last, the path
 *  itself is run end to end on real parts (commits, hop, signatures,
 *  verifications, nothing else) for its spread, the p99 as well as the
 *  p50: as scheduled, pinned to each of the first four CPUs in turn
 *  (the best reported), and with the politie node's commit beside the
 *  hop instead of before it, as keten runs it (the caller is still
 *  answered only once both ends are durable), to show what the overlap
 *  gains on the p50 and costs on the p99 where both nodes share a disk.
 *  Last of all the least the guarantees themselves need: the politie node's
 *  commit beside the hop, the uitvoerder's signal and log entry in one
 *  file and one commit, and one signature each way (the receipt's
 *  batch, no checkpoint signature of its own); and that once more with
 *  the politie node's commit before the hop, whose p99 does not meet
 *  the uitvoerder's syncs on a shared disk.
 *
 *  Every file is first written until its write-ahead log has been
 *  checkpointed and begun again, so that commits overwrite it, as a
 *  running node's do: a log that still grows costs each fdatasync a
 *  second write, the file's new size.
 *
 *  usage: keten-floor DIR   (DIR on the disk the state directories use)
 */
#include "floor.h"
#include "store.h"

#include <czmq.h>
#include <sched.h>
#include <sys/wait.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 2000

static double s_samples[ROUNDS];

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_p50 (void)
{
    qsort (s_samples, ROUNDS, sizeof s_samples[0], s_cmp);
    return s_samples[ROUNDS / 2];
}

static double
s_us (void)
{
    return (double) zclock_usecs ();
}

/*  A thread and a barrier, or the bench stops: a wait on a thread that
 *  was never made would hang it. */
static void
s_thread (pthread_t *t, void *(*fn) (void *) )
{
    if (pthread_create (t, NULL, fn, NULL) != 0) {
        fprintf (stderr, "keten-floor: cannot start a thread\n");
        exit (1);
    }
}

static void
s_barrier (pthread_barrier_t *b)
{
    if (pthread_barrier_init (b, NULL, 2) != 0) {
        fprintf (stderr, "keten-floor: cannot make a barrier\n");
        exit (1);
    }
}

/*  A second thread doing one job per round beside the main thread: the
 *  main thread starts a round with s_beside_round and waits for its end
 *  with s_beside_wait. */
static pthread_barrier_t s_beside_go, s_beside_done;
static void (*volatile s_beside_job) (void); /* NULL: the thread ends */
static pthread_t s_beside;

static void *
s_beside_thread (void *arg)
{
    (void) arg;
    for (;;) {
        pthread_barrier_wait (&s_beside_go);
        if (!s_beside_job)
            return NULL;
        s_beside_job ();
        pthread_barrier_wait (&s_beside_done);
    }
}

static void
s_beside_start (void)
{
    s_barrier (&s_beside_go);
    s_barrier (&s_beside_done);
    s_thread (&s_beside, s_beside_thread);
}

static void
s_beside_round (void (*job) (void))
{
    s_beside_job = job;
    pthread_barrier_wait (&s_beside_go);
}

static void
s_beside_wait (void)
{
    pthread_barrier_wait (&s_beside_done);
}

static void
s_beside_stop (void)
{
    s_beside_job = NULL;
    pthread_barrier_wait (&s_beside_go);
    pthread_join (s_beside, NULL);
    pthread_barrier_destroy (&s_beside_go);
    pthread_barrier_destroy (&s_beside_done);
}

/* ---- durable waits ------------------------------------------------------ */

static int s_fd[2];
static char s_page[8192];
static int s_round;

static void
s_write_sync (int fd, int round)
{
    if (pwrite (fd, s_page, sizeof s_page, (off_t) (round % 64) * (off_t) sizeof s_page) < 0 ||
        fdatasync (fd) != 0) {
        perror ("keten-floor: pwrite/fdatasync");
        exit (1);
    }
}

static void
s_second (void)
{
    s_write_sync (s_fd[1], s_round);
}

static void
s_disk (const char *dir, double *one, double *two_seq, double *two_par)
{
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/floor-%d", dir, i);
        s_fd[i] = open (path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (s_fd[i] < 0) {
            perror (path);
            exit (1);
        }
        unlink (path);
    }
    s_beside_start ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_write_sync (s_fd[0], i);
        s_samples[i] = s_us () - t0;
    }
    *one = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_write_sync (s_fd[0], i);
        s_write_sync (s_fd[1], i);
        s_samples[i] = s_us () - t0;
    }
    *two_seq = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_round = i;
        s_beside_round (s_second);
        s_write_sync (s_fd[0], i);
        s_beside_wait ();
        s_samples[i] = s_us () - t0;
    }
    *two_par = s_p50 ();
    s_beside_stop ();
    close (s_fd[0]);
    close (s_fd[1]);
}

/*  Public-key work beside the main thread: keten's protocol lets each
 *  node sign while its commit waits for the disk (nothing leaves before
 *  both are done), and the politie node's two verifications of a
 *  receipt (its batch, its checkpoint) run on the two cores at once.
 *  The thread does s_job's count of signatures or verifications each
 *  round. */
static uint8_t s_pk[crypto_sign_PUBLICKEYBYTES], s_sk[crypto_sign_SECRETKEYBYTES];
static uint8_t s_msg[200], s_sig[crypto_sign_BYTES];
static int s_job_signs, s_job_verifies;

static void
s_pk_work (int signs, int verifies)
{
    for (int i = 0; i < signs; i++)
        crypto_sign_detached (s_sig, NULL, s_msg, sizeof s_msg, s_sk);
    for (int i = 0; i < verifies; i++)
        if (crypto_sign_verify_detached (s_sig, s_msg, sizeof s_msg, s_pk) != 0)
            exit (1);
}

static void
s_pk_job (void)
{
    s_pk_work (s_job_signs, s_job_verifies);
}

static void
s_job_start (int signs, int verifies)
{
    s_job_signs = signs;
    s_job_verifies = verifies;
    s_beside_round (s_pk_job);
}

/*  The same waits as SQLite commits of one 1 KiB row: one file, and two
 *  files at once (the second on store.c's commit thread, as the
 *  uitvoerder commits log.db and the weegploeg file). */
static void
s_add (sqlite3 *db)
{
    kt_reason_t reason;
    if (store_begin (db, &reason) != 0 ||
        store_run (db, "INSERT INTO t (body) VALUES (?)", STORE_VALUES (STORE_BLOB (s_page, 1024)),
                   "add a row", &reason) != 1) {
        fprintf (stderr, "keten-floor: %s\n", reason.text);
        exit (1);
    }
}

/*  Commits before any is timed: more frames than the log holds before
 *  store.c's checkpoint (1,000 pages, at least one a commit), so that it
 *  has been checkpointed and begun again (on the AMD EPYC of
 *  docs/PERFORMANCE.md the path's p50 was 871 us after 100 such commits,
 *  778 us after 1,500). */
#define WARM_COMMITS 1200

static void
s_warm (sqlite3 *db)
{
    kt_reason_t reason;
    for (int i = 0; i < WARM_COMMITS; i++) {
        s_add (db);
        floor_check (store_commit (db, &reason), &reason);
    }
}

static void
s_store (const char *dir, double *one, double *two_par, double *one_signed, double *two_signed,
         double *two_verified)
{
    sqlite3 *db[2];
    kt_reason_t reason;
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/floor-%d.db", dir, i);
        floor_remove (path);
        db[i] = store_open (path, &reason);
        floor_check (!db[i], &reason);
        floor_check (store_exec (db[i],
                                 "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
                                 &reason),
                     &reason);
        s_warm (db[i]);
    }
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_add (db[0]);
        floor_check (store_commit (db[0], &reason), &reason);
        s_samples[i] = s_us () - t0;
    }
    *one = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_add (db[1]);
        floor_check (store_commit_start (db[1], &reason), &reason);
        s_add (db[0]);
        floor_check (store_commit (db[0], &reason), &reason);
        floor_check (store_commit_wait (db[1], &reason), &reason);
        s_samples[i] = s_us () - t0;
    }
    *two_par = s_p50 ();
    /*  The politie node's commit with its batch signed meanwhile; the
     *  uitvoerder's two with the checkpoint and the receipts' batch
     *  signed meanwhile; the receipt's two verifications at once. */
    crypto_sign_keypair (s_pk, s_sk);
    randombytes_buf (s_msg, sizeof s_msg);
    s_beside_start ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_job_start (1, 0);
        s_add (db[0]);
        floor_check (store_commit (db[0], &reason), &reason);
        s_beside_wait ();
        s_samples[i] = s_us () - t0;
    }
    *one_signed = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_job_start (2, 0);
        s_add (db[1]);
        floor_check (store_commit_start (db[1], &reason), &reason);
        s_add (db[0]);
        floor_check (store_commit (db[0], &reason), &reason);
        floor_check (store_commit_wait (db[1], &reason), &reason);
        s_beside_wait ();
        s_samples[i] = s_us () - t0;
    }
    *two_signed = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_job_start (0, 1);
        s_pk_work (0, 1);
        s_beside_wait ();
        s_samples[i] = s_us () - t0;
    }
    *two_verified = s_p50 ();
    s_beside_stop ();
    store_close (&db[0]);
    store_close (&db[1]);
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/floor-%d.db", dir, i);
        floor_remove (path);
    }
}

/*  The caller's hop: 1 KiB over a local stream socket to a thread that
 *  answers with 1 KiB (the node's API socket, without its JSON). */
static int s_pair[2];

static void *
s_echo (void *arg)
{
    (void) arg;
    char buf[1024];
    for (;;) {
        size_t got = 0;
        while (got < sizeof buf) {
            ssize_t r = read (s_pair[1], buf + got, sizeof buf - got);
            if (r <= 0)
                return NULL;
            got += (size_t) r;
        }
        if (write (s_pair[1], buf, sizeof buf) != (ssize_t) sizeof buf)
            return NULL;
    }
}

static double
s_local_round_trip (void)
{
    if (socketpair (AF_UNIX, SOCK_STREAM, 0, s_pair) != 0) {
        perror ("keten-floor: socketpair");
        exit (1);
    }
    pthread_t t;
    s_thread (&t, s_echo);
    char buf[1024];
    memset (buf, 'k', sizeof buf);
    for (int i = -100; i < ROUNDS; i++) {
        double t0 = s_us ();
        size_t got = 0;
        if (write (s_pair[0], buf, sizeof buf) != (ssize_t) sizeof buf)
            exit (1);
        while (got < sizeof buf) {
            ssize_t r = read (s_pair[0], buf + got, sizeof buf - got);
            if (r <= 0)
                exit (1);
            got += (size_t) r;
        }
        if (i >= 0)
            s_samples[i] = s_us () - t0;
    }
    close (s_pair[0]);
    pthread_join (t, NULL);
    close (s_pair[1]);
    return s_p50 ();
}

/* ---- crypto ------------------------------------------------------------- */

static void
s_crypto (double *sign, double *verify, double *sha, double *aead)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    uint8_t m[200], sig[crypto_sign_BYTES], buf[1024], out[1024 + 16], key[32], nonce[24];
    crypto_sign_keypair (pk, sk);
    randombytes_buf (m, sizeof m);
    randombytes_buf (buf, sizeof buf);
    randombytes_buf (key, sizeof key);
    randombytes_buf (nonce, sizeof nonce);
    for (int i = 0; i < ROUNDS; i++) {
        m[0] = (uint8_t) i;
        double t0 = s_us ();
        crypto_sign_detached (sig, NULL, m, sizeof m, sk);
        s_samples[i] = s_us () - t0;
    }
    *sign = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        if (crypto_sign_verify_detached (sig, m, sizeof m, pk) != 0)
            exit (1);
        s_samples[i] = s_us () - t0;
    }
    *verify = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        uint8_t h[32];
        double t0 = s_us ();
        crypto_hash_sha256 (h, buf, sizeof buf);
        s_samples[i] = s_us () - t0;
        buf[0] ^= h[0];
    }
    *sha = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        crypto_aead_xchacha20poly1305_ietf_encrypt (out, NULL, buf, sizeof buf, NULL, 0, NULL,
                                                    nonce, key);
        s_samples[i] = s_us () - t0;
        nonce[0]++;
    }
    *aead = s_p50 ();
}

/* ---- the hop ------------------------------------------------------------ */

/*  What a pinned child measures: two figures into out. */
typedef void (pinned_fn) (const char *dir, double out[2]);

/*  fn run in a child process pinned to CPU cpu (-1: the CPU this one is
 *  on) before it starts any thread (threads take the affinity of the
 *  thread that makes them); its two figures into out, -1 when they
 *  cannot be measured.  A child that hangs ends itself. */
static void
s_pinned (int cpu, pinned_fn *fn, const char *dir, double out[2])
{
    out[0] = out[1] = -1;
    int fd[2];
    if (pipe (fd) != 0)
        return;
    pid_t pid = fork ();
    if (pid < 0) {
        close (fd[0]);
        close (fd[1]);
        return;
    }
    if (pid == 0) {
        alarm (300);
        close (fd[0]);
        if (cpu < 0)
            cpu = sched_getcpu ();
        cpu_set_t one;
        CPU_ZERO (&one);
        CPU_SET (cpu < 0 ? 0 : cpu, &one);
        double got[2] = {-1, -1};
        if (sched_setaffinity (0, sizeof one, &one) == 0)
            fn (dir, got);
        _exit (write (fd[1], got, sizeof got) == (ssize_t) sizeof got ? 0 : 1);
    }
    close (fd[1]);
    if (read (fd[0], out, 2 * sizeof out[0]) != (ssize_t) (2 * sizeof out[0]))
        out[0] = out[1] = -1;
    close (fd[0]);
    int status;
    waitpid (pid, &status, 0);
}

static double s_curve_round_trip (void);

static void
s_hop_job (const char *dir, double out[2])
{
    (void) dir;
    out[0] = s_curve_round_trip ();
}

/*  The same round trip with every thread of both ends on one CPU.  On a
 *  virtual machine whose idle CPUs halt, most of the round trip as the
 *  scheduler places the threads is the four wake-ups of a CPU that
 *  halted; on one CPU none of them halts.  -1 when it cannot be
 *  measured. */
static double
s_curve_round_trip_one_cpu (void)
{
    double got[2];
    s_pinned (-1, s_hop_job, NULL, got);
    return got[0];
}

/*  A 1 KiB message to a CURVE server on loopback and its answer back. */
static double
s_curve_round_trip (void)
{
    floor_curve_t pair;
    floor_curve_new (&pair);
    zsock_t *server = pair.server, *client = pair.client;
    char payload[1024];
    memset (payload, 'k', sizeof payload);
    for (int i = -100; i < ROUNDS; i++) {
        double t0 = s_us ();
        zframe_t *f = zframe_new (payload, sizeof payload);
        zframe_send (&f, client, 0);
        zmsg_t *in = zmsg_recv (server);
        zframe_t *route = zmsg_pop (in);
        zmsg_destroy (&in);
        zframe_send (&route, server, ZFRAME_MORE);
        f = zframe_new (payload, sizeof payload);
        zframe_send (&f, server, 0);
        f = zframe_recv (client);
        zframe_destroy (&f);
        if (i >= 0)
            s_samples[i] = s_us () - t0;
    }
    floor_curve_destroy (&pair);
    return s_p50 ();
}

/* ---- the whole path, end to end ----------------------------------------- */

static double s_p99_value;

/*  The 99th percentile of s_samples (sorted by s_p50 first). */
static double
s_p99 (void)
{
    return s_samples[ROUNDS * 99 / 100];
}

/*  The politie node's commit beside the hop (the variant without the
 *  guarantee that its record is durable before the signal leaves): a
 *  thread of the bench's own commits it with plain sqlite3_exec, which
 *  touches none of store.c's kept statements.  The main thread meanwhile
 *  keeps using store.c on the other files; its cache could finalize one
 *  of this file's kept statements only when full (128), and this bench
 *  keeps about ten. */
static sqlite3 *s_side_db;

static void
s_side_commit (void)
{
    if (sqlite3_exec (s_side_db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        exit (1);
}

/*  What s_path leaves out or overlaps, or'ed together. */
#define PATH_BESIDE 1   /* the politie node's commit beside the hop */
#define PATH_ONE_FILE 2 /* the uitvoerder's signal and log entry in one commit */
#define PATH_ONE_SIG 4  /* one signature each way: no checkpoint signature */
#define PATH_LEAST (PATH_BESIDE | PATH_ONE_FILE | PATH_ONE_SIG)

/*  One signal's path with nothing of keten's own work in it, run in a
 *  row on real parts, so its spread is the floor's too: the politie
 *  node's commit and its batch signed; the CurveZMQ hop; the
 *  uitvoerder's verification, its two commits at once and two
 *  signatures; the hop back; the politie node's two verifications (mode
 *  0; the PATH_ flags take parts away).  The caller's local hop is left
 *  out (3 us).  p50 returned, p99 in s_p99_value. */
static double
s_path (const char *dir, int mode)
{
    bool beside = mode & PATH_BESIDE;
    int signatures = mode & PATH_ONE_SIG ? 1 : 2;
    static const char s_table[] = "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)";
    const char *names[3] = {"path-p.db", "path-u1.db", "path-u2.db"};
    sqlite3 *db[3] = {floor_db (dir, names[0], s_table), floor_db (dir, names[1], s_table),
                      floor_db (dir, names[2], s_table)};
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    uint8_t m[200], sig[crypto_sign_BYTES];
    crypto_sign_keypair (pk, sk);
    randombytes_buf (m, sizeof m);
    floor_curve_t pair;
    floor_curve_new (&pair);
    zsock_t *server = pair.server, *client = pair.client;
    char payload[1024];
    memset (payload, 'k', sizeof payload);
    kt_reason_t reason;
    for (int i = 0; i < (mode & PATH_ONE_FILE ? 2 : 3); i++) /* one file: path-u2.db unused */
        s_warm (db[i]);
    if (beside) {
        s_side_db = db[0];
        s_beside_start ();
    }
    for (int i = -100; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_add (db[0]);
        if (beside)
            s_beside_round (s_side_commit);
        else
            floor_check (store_commit (db[0], &reason), &reason);
        crypto_sign_detached (sig, NULL, m, sizeof m, sk);
        zframe_t *f = zframe_new (payload, sizeof payload);
        zframe_send (&f, client, 0);
        zmsg_t *in = zmsg_recv (server);
        zframe_t *route = zmsg_pop (in);
        zmsg_destroy (&in);
        if (crypto_sign_verify_detached (sig, m, sizeof m, pk) != 0)
            exit (1);
        if (mode & PATH_ONE_FILE) {
            /*  The signal's row and the log entry's, in one transaction. */
            s_add (db[1]);
            floor_check (store_run (db[1], "INSERT INTO t (body) VALUES (?)",
                                    STORE_VALUES (STORE_BLOB (s_page, 256)), "add a row",
                                    &reason) != 1,
                         &reason);
            floor_check (store_commit (db[1], &reason), &reason);
        } else {
            s_add (db[1]);
            floor_check (store_commit_start (db[1], &reason), &reason);
            s_add (db[2]);
            floor_check (store_commit (db[2], &reason), &reason);
            floor_check (store_commit_wait (db[1], &reason), &reason);
        }
        for (int k = 0; k < signatures; k++)
            crypto_sign_detached (sig, NULL, m, sizeof m, sk);
        zframe_send (&route, server, ZFRAME_MORE);
        f = zframe_new (payload, sizeof payload);
        zframe_send (&f, server, 0);
        f = zframe_recv (client);
        zframe_destroy (&f);
        for (int v = 0; v < signatures; v++)
            if (crypto_sign_verify_detached (sig, m, sizeof m, pk) != 0)
                exit (1);
        if (beside)
            s_beside_wait ();
        if (i >= 0)
            s_samples[i] = s_us () - t0;
    }
    if (beside)
        s_beside_stop ();
    floor_curve_destroy (&pair);
    for (int i = 0; i < 3; i++)
        floor_db_drop (&db[i], dir, names[i]);
    double p50 = s_p50 ();
    s_p99_value = s_p99 ();
    return p50;
}

static void
s_path_job (const char *dir, double out[2])
{
    out[0] = s_path (dir, 0);
    out[1] = s_p99_value;
}

/*  The path on each of the first four CPUs this process may use, one
 *  at a time: the lowest p50 and its p99 into best, its CPU in *cpu_p.
 *  Which CPU takes the disk's interrupts changes the commits. */
static void
s_path_one_cpu (const char *dir, double best[2], int *cpu_p)
{
    best[0] = best[1] = -1;
    *cpu_p = -1;
    cpu_set_t allowed;
    if (sched_getaffinity (0, sizeof allowed, &allowed) != 0)
        return;
    for (int cpu = 0, tried = 0; cpu < CPU_SETSIZE && tried < 4; cpu++) {
        if (!CPU_ISSET (cpu, &allowed))
            continue;
        tried++;
        double got[2];
        s_pinned (cpu, s_path_job, dir, got);
        if (got[0] > 0 && (best[0] < 0 || got[0] < best[0])) {
            best[0] = got[0];
            best[1] = got[1];
            *cpu_p = cpu;
        }
    }
}

int
main (int argc, char **argv)
{
    if (argc != 2 || sodium_init () < 0) {
        fprintf (stderr, "usage: keten-floor DIR\n");
        return 2;
    }
    double one, two_seq, two_par, sign, verify, sha, aead, db_one, db_two;
    double one_signed, two_signed, two_verified;
    /*  The pinned children first: a child must not inherit a store.c
     *  commit thread it does not have (fork copies only the calling
     *  thread), and store.c starts one in s_store. */
    double path_one_cpu[2];
    int path_cpu;
    s_path_one_cpu (argv[1], path_one_cpu, &path_cpu);
    double hop_one_cpu = s_curve_round_trip_one_cpu ();
    s_disk (argv[1], &one, &two_seq, &two_par);
    s_store (argv[1], &db_one, &db_two, &one_signed, &two_signed, &two_verified);
    s_crypto (&sign, &verify, &sha, &aead);
    double hop = s_curve_round_trip ();
    double path = s_path (argv[1], 0), path_p99 = s_p99_value;
    double beside = s_path (argv[1], PATH_BESIDE), beside_p99 = s_p99_value;
    double least = s_path (argv[1], PATH_LEAST), least_p99 = s_p99_value;
    double least_before = s_path (argv[1], PATH_LEAST & ~PATH_BESIDE),
           least_before_p99 = s_p99_value;
    double api = s_local_round_trip ();
    printf ("fdatasync p50: one file %.0f us, two files one after the other %.0f us, two at once "
            "%.0f us\n",
            one, two_seq, two_par);
    printf ("ed25519 p50: sign %.0f us, verify %.0f us\n", sign, verify);
    printf ("per KiB p50: sha256 %.1f us, xchacha20poly1305 %.1f us\n", sha, aead);
    printf ("sqlite commit of a 1 KiB row (WAL, synchronous=FULL) p50: one file %.0f us, two "
            "files at once %.0f us\n",
            db_one, db_two);
    printf ("curvezmq round trip, 1 KiB each way, p50: %.0f us; with both ends on one CPU %.0f "
            "us\n",
            hop, hop_one_cpu);
    printf ("local socket round trip, 1 KiB each way, p50: %.0f us\n", api);
    /*  The caller's hop; the politie node's commit; (its batch signed)
     *  the hop there and back; the uitvoerder's two commits at once;
     *  three signatures and three verifications (signal batch;
     *  checkpoint, receipt batch). */
    double crypto = 3 * sign + 3 * verify;
    double bare = api + one + hop + two_par + crypto;
    double stack = api + db_one + hop + db_two + crypto;
    printf ("floor, one signal in flight, bare fdatasyncs: %.0f us (local hop %.0f + politie %.0f "
            "+ round trip %.0f + uitvoerder %.0f + 3 signatures and 3 verifications %.0f)\n",
            bare, api, one, hop, two_par, crypto);
    printf ("floor, one signal in flight, SQLite commits: %.0f us (local hop %.0f + politie %.0f "
            "+ round trip %.0f + uitvoerder %.0f + 3 signatures and 3 verifications %.0f)\n",
            stack, api, db_one, hop, db_two, crypto);
    printf ("sqlite commits with the signing beside them p50: politie (1 signature) %.0f us, "
            "uitvoerder (2 files, 2 signatures) %.0f us; two verifications at once %.0f us\n",
            one_signed, two_signed, two_verified);
    /*  The same path with every overlap the protocol allows: the
     *  signatures made while the commits wait, the uitvoerder's
     *  verification of the signal before its commits (it must not store
     *  what it has not verified), the receipt's two verifications at
     *  once. */
    double overlapped = api + one_signed + hop + verify + two_signed + two_verified;
    printf ("floor, one signal in flight, SQLite commits, signing overlapped: %.0f us (local hop "
            "%.0f + politie %.0f + round trip %.0f + verification %.0f + uitvoerder %.0f + "
            "verifications %.0f)\n",
            overlapped, api, one_signed, hop, verify, two_signed, two_verified);
    /*  The lowest of the sums with the round trip of one CPU: what the
     *  path costs when no wake-up finds a halted CPU. */
    if (hop_one_cpu > 0) {
        double best = stack < overlapped ? stack : overlapped;
        double low = hop_one_cpu < hop ? hop_one_cpu : hop;
        printf ("floor, one signal in flight, SQLite commits, the hop on one CPU: %.0f us (the "
                "lower sum above with the lower round trip, %.0f us; as scheduled %.0f)\n",
                best - hop + low, hop_one_cpu, hop);
    }
    printf ("the path run end to end (commits, hop, signatures and verifications in a row, no "
            "caller's hop): p50 %.0f us, p99 %.0f us; on one CPU (the best, CPU %d) p50 %.0f "
            "us, p99 %.0f us\n",
            path, path_p99, path_cpu, path_one_cpu[0], path_one_cpu[1]);
    printf ("the same with the politie commit beside the hop instead of before it (as keten "
            "runs it): p50 %.0f us, p99 %.0f us\n",
            beside, beside_p99);
    printf ("the least the guarantees need, end to end (the politie commit beside the hop, the "
            "uitvoerder's signal and log entry in one commit of one file, one signature each "
            "way): p50 %.0f us, p99 %.0f us\n",
            least, least_p99);
    printf ("the same with the politie commit before the hop: p50 %.0f us, p99 %.0f us\n",
            least_before, least_before_p99);
    return 0;
}
