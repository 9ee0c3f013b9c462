/*  The police spool on a real directory and SQLite file: a file is claimed
 *  into work/ before it is read, a valid one is returned and moved to done/
 *  only after it was recorded, an invalid one goes to rejected/ with its
 *  reason beside it, and nothing is ever sent twice or replaced.  Every
 *  person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "intake.h"
#include "spool.h"
#include "spool_retain.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 8

/*  What the writer does between two steps of a start: before the start's
 *  renameat of the name s_between.name, s_between.fn runs, once (the
 *  link wraps renameat, tests/CMakeLists.txt). */
static struct {
    const char *name;
    void (*fn) (void *arg);
    void *arg;
} s_between;

/*  The same before a renameat2 (RENAME_NOREPLACE) of the name
 *  s_between2.name. */
static struct {
    const char *name;
    void (*fn) (void *arg);
    void *arg;
} s_between2;

int __real_renameat2 (int from_fd, const char *from, int to_fd, const char *to, unsigned flags);
int __wrap_renameat2 (int from_fd, const char *from, int to_fd, const char *to, unsigned flags);
int
__wrap_renameat2 (int from_fd, const char *from, int to_fd, const char *to, unsigned flags)
{
    if (s_between2.fn && strcmp (from, s_between2.name) == 0) {
        void (*fn) (void *) = s_between2.fn;
        s_between2.fn = NULL;
        fn (s_between2.arg);
    }
    return __real_renameat2 (from_fd, from, to_fd, to, flags);
}

int __real_renameat (int from_fd, const char *from, int to_fd, const char *to);
int __wrap_renameat (int from_fd, const char *from, int to_fd, const char *to);
int
__wrap_renameat (int from_fd, const char *from, int to_fd, const char *to)
{
    if (s_between.fn && strcmp (from, s_between.name) == 0) {
        void (*fn) (void *) = s_between.fn;
        s_between.fn = NULL;
        fn (s_between.arg);
    }
    return __real_renameat (from_fd, from, to_fd, to);
}

static const char *s_valid =
    "{\"subject\": {\"name\": \"Test Persoon\", \"birth_date\": \"2001-04-12\","
    " \"municipality\": \"Maastricht\"},"
    " \"description\": \"Fictional test signal.\", \"category\": \"uitingen\","
    " \"observed_on\": \"2026-01-10\","
    " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
    " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}";

typedef struct {
    char dir[64];    /* scratch: node.db, spool/ and spool.state/ */
    char spool[128]; /* the spool directory */
    char state[128]; /* ketend's own: work/, done/, rejected/ */
    sqlite3 *db;
    spool_t *spool_dir;
    spool_file_t files[MAX_FILES];
    size_t n_files; /* returned by the last scan, signals still owned */
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "spool") != 0)
        return -1;
    snprintf (f->spool, sizeof f->spool, "%s/spool", f->dir);
    snprintf (f->state, sizeof f->state, "%s/spool.state", f->dir);
    if (mkdir (f->spool, 0700) != 0)
        return -1;
    char path[160];
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    kt_reason_t r;
    f->db = store_open (path, &r);
    if (!f->db)
        fail_msg ("store_open: %s", r.text);
    f->spool_dir = spool_new (f->db, f->spool, f->state, &r);
    if (!f->spool_dir)
        fail_msg ("spool_new: %s", r.text);
    *state = f;
    return 0;
}

static void
s_free_files (fixture_t *f)
{
    for (size_t i = 0; i < f->n_files; i++)
        intake_signal_destroy (&f->files[i].signal);
    f->n_files = 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_free_files (f);
    spool_destroy (&f->spool_dir);
    store_close (&f->db);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

/*  state/sub/name for ketend's own work/, done/ and rejected/, else
 *  spool/sub/name (sub "" for the spool itself) into path. */
static void
s_path (const fixture_t *f, const char *sub, const char *name, char *path, size_t len)
{
    bool own =
        strcmp (sub, "work") == 0 || strcmp (sub, "done") == 0 || strcmp (sub, "rejected") == 0;
    snprintf (path, len, "%s%s%s/%s", own ? f->state : f->spool, *sub ? "/" : "", sub, name);
}

/*  Drop text as spool/name, the way a police system does: written under a
 *  dot name, then renamed. */
static void
s_drop (fixture_t *f, const char *name, const char *text)
{
    char tmp[512], path[512];
    s_path (f, "", ".drop.tmp", tmp, sizeof tmp);
    s_path (f, "", name, path, sizeof path);
    FILE *fp = fopen (tmp, "w");
    assert_non_null (fp);
    assert_int_equal (fwrite (text, 1, strlen (text), fp), strlen (text));
    assert_int_equal (fclose (fp), 0);
    assert_int_equal (rename (tmp, path), 0);
}

static bool
s_exists (const fixture_t *f, const char *sub, const char *name)
{
    char path[512];
    s_path (f, sub, name, path, sizeof path);
    struct stat st;
    return lstat (path, &st) == 0;
}

/*  The contents of sub/name into buf (NUL-terminated). */
static void
s_read (const fixture_t *f, const char *sub, const char *name, char *buf, size_t len)
{
    char path[512];
    s_path (f, sub, name, path, sizeof path);
    FILE *fp = fopen (path, "r");
    if (!fp)
        fail_msg ("%s/%s: %s", sub, name, strerror (errno));
    size_t n = fread (buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose (fp);
}

static size_t
s_scan (fixture_t *f)
{
    s_free_files (f);
    f->n_files = spool_scan (f->spool_dir, f->files, MAX_FILES);
    return f->n_files;
}

/*  What the partner does with a file returned: record it with a message
 *  id and commit, then (when done) let the spool move it to done/. */
static void
s_record (fixture_t *f, const spool_file_t *file, bool done)
{
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    assert_int_equal (store_begin (f->db, &r), 0);
    if (spool_record (f->spool_dir, file, id, &r) != 0)
        fail_msg ("spool_record: %s", r.text);
    assert_int_equal (store_commit (f->db, &r), 0);
    if (done)
        spool_done (f->spool_dir, file);
}

static void
test_a_valid_file_is_claimed_returned_and_done_after_its_record (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "2026-01-10-001.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    spool_file_t *file = &f->files[0];
    assert_string_equal (file->name, "2026-01-10-001.json");
    assert_non_null (file->signal);
    assert_string_equal (file->signal->subject->name, "Test Persoon");
    assert_int_equal (file->owner, geteuid ());
    uint8_t hash[32];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) s_valid, strlen (s_valid), NULL, 0);
    assert_memory_equal (file->hash, hash, sizeof hash);
    /*  Claimed: out of the spool, into work/, and not in done/ before the
     *  record is committed. */
    assert_false (s_exists (f, "", "2026-01-10-001.json"));
    assert_true (s_exists (f, "work", "2026-01-10-001.json"));
    assert_false (s_exists (f, "done", "2026-01-10-001.json"));
    s_record (f, file, true);
    assert_false (s_exists (f, "work", "2026-01-10-001.json"));
    char text[1024];
    s_read (f, "done", "2026-01-10-001.json", text, sizeof text);
    assert_string_equal (text, s_valid);
    assert_int_equal (s_scan (f), 0);
}

static void
test_rejected_file_gets_a_reason_file (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "broken.json", "{\"subject\": ");
    assert_int_equal (s_scan (f), 0);
    assert_false (s_exists (f, "", "broken.json"));
    assert_false (s_exists (f, "work", "broken.json"));
    assert_true (s_exists (f, "rejected", "broken.json"));
    char why[1024];
    s_read (f, "rejected", "broken.json.reason", why, sizeof why);
    assert_true (strlen (why) > 1);
    assert_int_equal (why[strlen (why) - 1], '\n');
    /*  Nothing about it is left to be sent. */
    assert_int_equal (s_scan (f), 0);
    assert_false (s_exists (f, "done", "broken.json"));
}

static void
test_invalid_signal_is_rejected_naming_the_field_not_the_value (void **state)
{
    fixture_t *f = *state;
    /*  Valid JSON, but the birth date is in the future. */
    char text[1024];
    snprintf (text, sizeof text, "%s", s_valid);
    char *birth = strstr (text, "2001-04-12");
    assert_non_null (birth);
    memcpy (birth, "2999-04-12", 10);
    s_drop (f, "future.json", text);
    assert_int_equal (s_scan (f), 0);
    char why[1024];
    s_read (f, "rejected", "future.json.reason", why, sizeof why);
    assert_non_null (strstr (why, "subject.birth_date"));
    assert_null (strstr (why, "2999"));
}

static void
test_overlong_name_is_rejected_under_a_short_name (void **state)
{
    fixture_t *f = *state;
    char name[SPOOL_NAME_MAX + 16];
    memset (name, 'a', SPOOL_NAME_MAX);
    snprintf (name + SPOOL_NAME_MAX - 4, sizeof name - SPOOL_NAME_MAX + 4, "zzzz.json");
    assert_true (strlen (name) > SPOOL_NAME_MAX);
    s_drop (f, name, s_valid);
    char path[512];
    s_path (f, "", name, path, sizeof path);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    char as[64], reason_name[80];
    snprintf (as, sizeof as, "name-too-long-%llu.json", (unsigned long long) st.st_ino);
    snprintf (reason_name, sizeof reason_name, "%s.reason", as);

    /*  Valid contents do not matter: the name does not fit the table. */
    assert_int_equal (s_scan (f), 0);
    assert_false (s_exists (f, "", name));
    assert_false (s_exists (f, "work", name));
    assert_true (s_exists (f, "rejected", as));
    char why[1024];
    s_read (f, "rejected", reason_name, why, sizeof why);
    assert_non_null (strstr (why, "more than the limit"));
    /*  The name it had is kept in its reason. */
    assert_non_null (strstr (why, name));
}

static void
test_a_file_with_a_second_name_is_refused (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "linked.json", s_valid);
    char path[512], other[512];
    s_path (f, "", "linked.json", path, sizeof path);
    snprintf (other, sizeof other, "%s/elsewhere.json", f->dir);
    assert_int_equal (link (path, other), 0);
    assert_int_equal (s_scan (f), 0);
    assert_true (s_exists (f, "rejected", "linked.json"));
    char why[1024];
    s_read (f, "rejected", "linked.json.reason", why, sizeof why);
    assert_non_null (strstr (why, "hard links"));
    /*  The other name is not touched. */
    struct stat st;
    assert_int_equal (stat (other, &st), 0);
}

static void
test_a_symbolic_link_is_rejected_not_followed (void **state)
{
    fixture_t *f = *state;
    char target[512], path[512];
    snprintf (target, sizeof target, "%s/secret.json", f->dir);
    FILE *fp = fopen (target, "w");
    assert_non_null (fp);
    fputs (s_valid, fp);
    fclose (fp);
    s_path (f, "", "link.json", path, sizeof path);
    assert_int_equal (symlink (target, path), 0);
    assert_int_equal (s_scan (f), 0);
    char why[1024];
    s_read (f, "rejected", "link.json.reason", why, sizeof why);
    assert_non_null (strstr (why, "symbolic link"));
    struct stat st;
    assert_int_equal (stat (target, &st), 0);
}

static void
test_a_file_over_the_size_limit_is_rejected (void **state)
{
    fixture_t *f = *state;
    size_t len = INTAKE_MAX_BYTES + 1;
    char *big = malloc (len + 1);
    assert_non_null (big);
    memset (big, ' ', len);
    big[len] = '\0';
    s_drop (f, "big.json", big);
    free (big);
    assert_int_equal (s_scan (f), 0);
    char why[1024];
    s_read (f, "rejected", "big.json.reason", why, sizeof why);
    assert_non_null (strstr (why, "more than the limit"));
}

static void
test_work_in_progress_names_are_left_alone (void **state)
{
    fixture_t *f = *state;
    s_drop (f, ".2026-01-10-002.json", s_valid);
    s_drop (f, "2026-01-10-003.json.tmp", s_valid);
    s_drop (f, "notes.txt", "not a signal");
    s_drop (f, ".json", s_valid);
    assert_int_equal (s_scan (f), 0);
    assert_true (s_exists (f, "", ".2026-01-10-002.json"));
    assert_true (s_exists (f, "", "2026-01-10-003.json.tmp"));
    assert_true (s_exists (f, "", "notes.txt"));
    assert_true (s_exists (f, "", ".json"));
    assert_false (s_exists (f, "rejected", "notes.txt.reason"));
}

static void
test_a_file_seen_again_after_its_record_is_only_moved_to_done (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "crash.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    /*  Recorded and committed, then a crash before spool_done. */
    s_record (f, &f->files[0], false);
    assert_true (s_exists (f, "work", "crash.json"));
    /*  The next scan finds it by name and hash: not returned, moved. */
    assert_int_equal (s_scan (f), 0);
    assert_false (s_exists (f, "work", "crash.json"));
    assert_true (s_exists (f, "done", "crash.json"));
}

/*  art. 13: the record of the file a signal came from goes with the
 *  signal; a file dropped again after that is a new one. */
static void
test_a_record_goes_with_its_signal (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "gone.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    assert_int_equal (store_begin (f->db, &r), 0);
    assert_int_equal (spool_record (f->spool_dir, &f->files[0], id, &r), 0);
    assert_int_equal (store_commit (f->db, &r), 0);
    spool_done (f->spool_dir, &f->files[0]);
    assert_true (s_exists (f, "done", "gone.json"));
    /*  Another file in done/, under another name: it stays. */
    s_drop (f, "other.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    s_record (f, &f->files[0], true);
    assert_int_equal (store_int (f->db, "SELECT count(*) FROM spool", -1), 2);
    assert_int_equal (spool_forget (f->spool_dir, id, &r), 0);
    assert_int_equal (store_int (f->db, "SELECT count(*) FROM spool", -1), 1);
    /*  Its file goes with it (its signal destroyed before its receipt),
     *  else nothing would ever take it from done/. */
    assert_false (s_exists (f, "done", "gone.json"));
    assert_true (s_exists (f, "done", "other.json"));
    s_drop (f, "gone.json", s_valid);
    assert_int_equal (s_scan (f), 1);
}

static void
test_a_file_returned_but_not_recorded_is_returned_again (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "again.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    /*  Nothing recorded (a failed transaction): it waits in work/. */
    assert_int_equal (s_scan (f), 1);
    assert_string_equal (f->files[0].name, "again.json");
    s_record (f, &f->files[0], true);
    assert_true (s_exists (f, "done", "again.json"));
}

static void
test_a_later_file_of_the_same_name_never_replaces_the_earlier (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "same.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    s_record (f, &f->files[0], true);
    /*  A new file under the same name, with other contents. */
    char second[1024];
    snprintf (second, sizeof second, "%s", s_valid);
    memcpy (strstr (second, "Fictional"), "Fictitious", 10);
    s_drop (f, "same.json", second);
    assert_int_equal (s_scan (f), 1);
    s_record (f, &f->files[0], true);
    char text[1024];
    s_read (f, "done", "same.json", text, sizeof text);
    assert_string_equal (text, s_valid);
    s_read (f, "done", "same.1.json", text, sizeof text);
    assert_string_equal (text, second);
    /*  The same for rejected/: each with its own reason. */
    s_drop (f, "bad.json", "[");
    assert_int_equal (s_scan (f), 0);
    s_drop (f, "bad.json", "{");
    assert_int_equal (s_scan (f), 0);
    s_read (f, "rejected", "bad.json", text, sizeof text);
    assert_string_equal (text, "[");
    s_read (f, "rejected", "bad.1.json", text, sizeof text);
    assert_string_equal (text, "{");
    assert_true (s_exists (f, "rejected", "bad.json.reason"));
    assert_true (s_exists (f, "rejected", "bad.1.json.reason"));
}

static void
test_past_max_the_rest_stays_in_the_spool_unclaimed (void **state)
{
    fixture_t *f = *state;
    s_drop (f, "a.json", s_valid);
    s_drop (f, "b.json", s_valid);
    s_drop (f, "c.json", s_valid);
    spool_file_t files[2];
    size_t n = spool_scan (f->spool_dir, files, 2);
    assert_int_equal (n, 2);
    /*  Sorted by name: the oldest first when writers use sortable names. */
    assert_string_equal (files[0].name, "a.json");
    assert_string_equal (files[1].name, "b.json");
    assert_true (s_exists (f, "", "c.json"));
    assert_false (s_exists (f, "work", "c.json"));
    for (size_t i = 0; i < n; i++) {
        s_record (f, &files[i], true);
        intake_signal_destroy (&files[i].signal);
    }
    assert_int_equal (s_scan (f), 1);
    assert_string_equal (f->files[0].name, "c.json");
}

/* ---- what the spool keeps (art. 13, spool_retain) ----------------------- */

/*  The settled signals of a test: spool_settled_fn over a short list. */
typedef struct {
    uint8_t ids[4][KT_ID_LEN];
    size_t n;
    bool broken; /* the outbox cannot be read */
} settled_list_t;

static int
s_settled (void *arg, const uint8_t id[KT_ID_LEN])
{
    settled_list_t *l = arg;
    if (l->broken)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        if (memcmp (l->ids[i], id, KT_ID_LEN) == 0)
            return 1;
    return 0;
}

/*  Drop text as name, scan, record it as id and move it to done/. */
static void
s_forward (fixture_t *f, const char *name, const char *text, uint8_t id[KT_ID_LEN])
{
    s_drop (f, name, text);
    assert_int_equal (s_scan (f), 1);
    randombytes_buf (id, KT_ID_LEN);
    kt_reason_t r;
    assert_int_equal (store_begin (f->db, &r), 0);
    if (spool_record (f->spool_dir, &f->files[0], id, &r) != 0)
        fail_msg ("spool_record: %s", r.text);
    assert_int_equal (store_commit (f->db, &r), 0);
    spool_done (f->spool_dir, &f->files[0]);
    assert_true (s_exists (f, "done", name));
}

static int
s_collect_id (void *arg, const uint8_t id[KT_ID_LEN])
{
    settled_list_t *l = arg;
    if (l->n < 4)
        memcpy (l->ids[l->n++], id, KT_ID_LEN);
    return 0;
}

static spool_retain_t *
s_retain (fixture_t *f, settled_list_t *settled)
{
    kt_reason_t r;
    spool_retain_t *retain = spool_retain_new (f->spool_dir, 14, s_settled, settled, &r);
    if (!retain)
        fail_msg ("spool_retain_new: %s", r.text);
    return retain;
}

static void
test_a_recorded_file_is_found_by_its_content_hash_alone (void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    s_forward (f, "hash.json", s_valid, id);
    uint8_t hash[32];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) s_valid, strlen (s_valid), NULL, 0);
    settled_list_t found = {0};
    kt_reason_t r;
    assert_int_equal (spool_each_by_hash (f->spool_dir, hash, s_collect_id, &found, &r), 0);
    assert_int_equal (found.n, 1);
    assert_memory_equal (found.ids[0], id, KT_ID_LEN);
    /*  Other content: nothing, whatever the name. */
    hash[0] ^= 1;
    found.n = 0;
    assert_int_equal (spool_each_by_hash (f->spool_dir, hash, s_collect_id, &found, &r), 0);
    assert_int_equal (found.n, 0);
}

static int
s_int_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

static int64_t
s_count (sqlite3 *db, const char *sql, const store_value_t *values)
{
    int64_t n = -1;
    kt_reason_t r;
    if (store_one (db, sql, values, s_int_row, &n, "count", &r) != 1)
        fail_msg ("%s: %s", sql, r.text);
    return n;
}

/*  art. 13: the row outlives the file, and a name may say who a signal
 *  is about: the table keeps the name's BLAKE2b-256 only. */
static void
test_the_table_keeps_a_hash_of_the_name_never_the_name (void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    s_forward (f, "Jansen-Pietje.json", s_valid, id);
    assert_int_equal (s_count (f->db,
                               "SELECT count(*) FROM pragma_table_info('spool') WHERE type=?",
                               STORE_VALUES (STORE_TEXT ("TEXT"))),
                      0);
    uint8_t name_hash[32];
    crypto_generichash (name_hash, sizeof name_hash, (const uint8_t *) "Jansen-Pietje.json", 18,
                        NULL, 0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM spool WHERE name_hash=?",
                               STORE_VALUES (STORE_BLOB (name_hash, 32))),
                      1);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM spool WHERE instr(name_hash, ?) > 0",
                               STORE_VALUES (STORE_TEXT ("Jansen"))),
                      0);
}

/*  A node.db of the first schema (names in clear): migrated to name
 *  hashes, and a file it recorded is still recognised when it comes back. */
static void
test_names_recorded_before_are_hashed_and_still_recognised (void **state)
{
    fixture_t *f = *state;
    char path[160];
    snprintf (path, sizeof path, "%s/node-v1.db", f->dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    if (!db)
        fail_msg ("store_open: %s", r.text);
    uint8_t hash[32], id[KT_ID_LEN];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) s_valid, strlen (s_valid), NULL, 0);
    randombytes_buf (id, sizeof id);
    assert_int_equal (
        store_exec (db,
                    "CREATE TABLE spool (name TEXT NOT NULL, hash BLOB NOT NULL, message_id BLOB"
                    " NOT NULL, owner INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY"
                    " (name, hash));"
                    "INSERT INTO schema_version (module, version) VALUES ('spool', 1);",
                    &r),
        0);
    assert_int_equal (store_run (db, "INSERT INTO spool VALUES ('old.json', ?, ?, 0, 1)",
                                 STORE_VALUES (STORE_BLOB (hash, 32), STORE_BLOB (id, KT_ID_LEN)),
                                 "insert", &r),
                      1);
    spool_t *spool = spool_new (db, f->spool, f->state, &r);
    if (!spool)
        fail_msg ("spool_new: %s", r.text);
    assert_int_equal (s_count (db, "SELECT count(*) FROM spool WHERE message_id=?",
                               STORE_VALUES (STORE_BLOB (id, KT_ID_LEN))),
                      1);
    assert_int_equal (s_count (db, "SELECT count(*) FROM pragma_table_info('spool') WHERE name=?",
                               STORE_VALUES (STORE_TEXT ("name"))),
                      0);
    s_drop (f, "old.json", s_valid);
    spool_file_t files[MAX_FILES];
    assert_int_equal (spool_scan (spool, files, MAX_FILES), 0);
    assert_true (s_exists (f, "done", "old.json"));
    spool_destroy (&spool);
    store_close (&db);
}

static void
test_a_done_file_is_forgotten_only_once_its_signal_is_settled (void **state)
{
    fixture_t *f = *state;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    uint8_t id[KT_ID_LEN];
    s_forward (f, "settle.json", s_valid, id);
    /*  Pending (or held: never queued): kept. */
    assert_int_equal (spool_retain_done (retain), 0);
    assert_true (s_exists (f, "done", "settle.json"));
    /*  The outbox cannot be read: kept too. */
    memcpy (settled.ids[settled.n++], id, KT_ID_LEN);
    settled.broken = true;
    assert_int_equal (spool_retain_done (retain), 0);
    assert_true (s_exists (f, "done", "settle.json"));
    /*  Settled: gone, and a second pass has nothing to do. */
    settled.broken = false;
    assert_int_equal (spool_retain_done (retain), 1);
    assert_false (s_exists (f, "done", "settle.json"));
    assert_int_equal (spool_retain_done (retain), 0);
    /*  Dropped again: still known as sent (not returned), moved to done/
     *  and forgotten again. */
    s_drop (f, "settle.json", s_valid);
    assert_int_equal (s_scan (f), 0);
    assert_true (s_exists (f, "done", "settle.json"));
    assert_int_equal (spool_retain_done (retain), 1);
    assert_false (s_exists (f, "done", "settle.json"));
    spool_retain_destroy (&retain);
    assert_null (retain);
}

static void
test_a_done_file_stays_while_any_signal_of_its_content_is_unsettled (void **state)
{
    fixture_t *f = *state;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN];
    s_forward (f, "a.json", s_valid, a);
    s_forward (f, "b.json", s_valid, b); /* the same bytes, another signal */
    memcpy (settled.ids[settled.n++], a, KT_ID_LEN);
    assert_int_equal (spool_retain_done (retain), 0);
    assert_true (s_exists (f, "done", "a.json"));
    assert_true (s_exists (f, "done", "b.json"));
    memcpy (settled.ids[settled.n++], b, KT_ID_LEN);
    assert_int_equal (spool_retain_done (retain), 2);
    /*  A file ketend never recorded (put there by hand) is not its own. */
    char path[512];
    s_path (f, "done", "by-hand.json", path, sizeof path);
    FILE *fp = fopen (path, "w");
    assert_non_null (fp);
    fputs ("{}", fp);
    fclose (fp);
    assert_int_equal (spool_retain_done (retain), 0);
    assert_true (s_exists (f, "done", "by-hand.json"));
    spool_retain_destroy (&retain);
}

static void
test_a_rejected_file_goes_with_its_reason_keep_days_after_the_rejection (void **state)
{
    fixture_t *f = *state;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    uint64_t before = kt_now_ms ();
    s_drop (f, "bad.json", "{");
    assert_int_equal (s_scan (f), 0);
    uint64_t after = kt_now_ms ();
    assert_true (s_exists (f, "rejected", "bad.json"));
    /*  The rejection time is the reason's mtime, set from ketend's clock. */
    char path[512];
    struct stat st;
    s_path (f, "rejected", "bad.json.reason", path, sizeof path);
    assert_int_equal (stat (path, &st), 0);
    uint64_t at = (uint64_t) st.st_mtim.tv_sec * 1000 + (uint64_t) st.st_mtim.tv_nsec / 1000000;
    assert_true (at >= before / 1000 * 1000 && at <= after);
    spool_retain_status_t rs;
    kt_reason_t r;
    uint64_t day = 86400ULL * 1000;
    assert_int_equal (spool_retain_status (retain, after, &rs, &r), 0);
    assert_int_equal (rs.waiting, 1);
    assert_int_equal (rs.next_removal_ms, at + 14 * day);
    assert_int_equal (rs.within_warning, 0);
    assert_int_equal (rs.keep_days, 14);
    /*  Two days before: the warning. */
    assert_int_equal (spool_retain_status (retain, at + 12 * day, &rs, &r), 0);
    assert_int_equal (rs.within_warning, 1);
    /*  A moment before the 14 days: kept. */
    assert_int_equal (spool_retain_rejected (retain, at + 14 * day - 1), 0);
    assert_true (s_exists (f, "rejected", "bad.json"));
    assert_true (s_exists (f, "rejected", "bad.json.reason"));
    /*  An entry without a reason is not ketend's: left alone. */
    s_path (f, "rejected", "no-reason.json", path, sizeof path);
    FILE *fp = fopen (path, "w");
    assert_non_null (fp);
    fclose (fp);
    /*  At 14 days: the file and its reason, once. */
    assert_int_equal (spool_retain_rejected (retain, at + 14 * day), 1);
    assert_false (s_exists (f, "rejected", "bad.json"));
    assert_false (s_exists (f, "rejected", "bad.json.reason"));
    assert_true (s_exists (f, "rejected", "no-reason.json"));
    assert_int_equal (spool_retain_rejected (retain, at + 15 * day), 0);
    /*  A directory dropped under a signal's name is rejected like any
     *  entry that is not a file, and goes whole, not through a link: the
     *  link in it points at a directory with a file in it, which stays. */
    char outside[512], kept[600];
    s_path (f, "", "outside", outside, sizeof outside);
    assert_int_equal (mkdir (outside, 0700), 0);
    snprintf (kept, sizeof kept, "%s/kept.txt", outside);
    fp = fopen (kept, "w");
    assert_non_null (fp);
    fclose (fp);
    s_path (f, "", "d.json", path, sizeof path);
    assert_int_equal (mkdir (path, 0700), 0);
    s_path (f, "d.json", "inner.json", path, sizeof path);
    fp = fopen (path, "w");
    assert_non_null (fp);
    fclose (fp);
    s_path (f, "d.json", "link", path, sizeof path);
    assert_int_equal (symlink (outside, path), 0);
    assert_int_equal (s_scan (f), 0);
    assert_true (s_exists (f, "rejected", "d.json"));
    uint64_t later = kt_now_ms ();
    assert_int_equal (spool_retain_rejected (retain, later + 14 * day + 1000), 1);
    assert_false (s_exists (f, "rejected", "d.json"));
    assert_int_equal (access (kept, F_OK), 0);
    assert_int_equal (spool_retain_status (retain, at + 15 * day, &rs, &r), 0);
    assert_int_equal (rs.waiting, 0);
    assert_int_equal (rs.next_removal_ms, 0);
    spool_retain_destroy (&retain);
}

/*  An empty file at path. */
static void
s_touch (const char *path)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true (fd >= 0);
    close (fd);
}

/*  Directory path (in a buffer of size bytes) made, and n more nested in
 *  it, named PREFIX00, PREFIX01, ...: path then names the deepest; its
 *  length is returned. */
static size_t
s_nest (char *path, size_t size, const char *prefix, int n)
{
    size_t len = strlen (path);
    assert_int_equal (mkdir (path, 0700), 0);
    for (int d = 0; d < n; d++) {
        len += (size_t) snprintf (path + len, size - len, "/%s%02d", prefix, d);
        assert_int_equal (mkdir (path, 0700), 0);
    }
    return len;
}

/*  A dropped directory with more entries than a pass may remove, nested
 *  deeper than the removal opens directories: each pass makes at most its
 *  budget of calls (10,000), the next going on with the entry it was cut
 *  in, and moves what is too deep up into the entry's own directory; in
 *  three passes it is gone whole, its reason after it. */
static void
test_a_large_deep_rejected_directory_goes_over_several_passes (void **state)
{
    fixture_t *f = *state;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    char path[4096];
    /*  40 levels deep, a file at the bottom. */
    s_path (f, "", "big.json", path, sizeof path);
    size_t len = s_nest (path, sizeof path, "d", 40);
    snprintf (path + len, sizeof path - len, "/bottom.txt");
    s_touch (path);
    s_path (f, "big.json", "", path, sizeof path);
    for (int i = 0; i < 25000; i++) {
        char name[4200];
        snprintf (name, sizeof name, "%sf%05d", path, i);
        s_touch (name);
    }
    assert_int_equal (s_scan (f), 0);
    assert_true (s_exists (f, "rejected", "big.json"));
    uint64_t day = 86400ULL * 1000, later = kt_now_ms () + 14 * day + 1000;
    /*  The first pass stops at its budget. */
    assert_int_equal (spool_retain_rejected (retain, later), 0);
    assert_true (s_exists (f, "rejected", "big.json"));
    assert_true (s_exists (f, "rejected", "big.json.reason"));
    s_path (f, "rejected", "big.json", path, sizeof path);
    size_t left = 0;
    DIR *dir = opendir (path);
    assert_non_null (dir);
    for (struct dirent *de; (de = readdir (dir));)
        left += de->d_name[0] == 'f';
    closedir (dir);
    assert_true (left >= 25000 - 10000 && left < 25000);
    int passes = 1;
    while (s_exists (f, "rejected", "big.json") && passes < 10) {
        spool_retain_rejected (retain, later);
        passes++;
    }
    assert_false (s_exists (f, "rejected", "big.json"));
    assert_false (s_exists (f, "rejected", "big.json.reason"));
    /*  25,000 files at 10,000 calls a pass, each pass going on with the
     *  entry the last was cut in. */
    assert_int_equal (passes, 3);
    spool_retain_destroy (&retain);
}

/*  Rejected directories the node cannot empty (the writer made a
 *  directory in them read-only; not as root, which may anyway) neither
 *  make a pass go past its budget nor hold up the other expired entries:
 *  the next pass goes on where it stopped.  An empty read-only directory
 *  16 deep, which can be removed but not moved, goes. */
static void
test_unremovable_rejected_entries_do_not_hold_up_the_others (void **state)
{
    if (geteuid () == 0)
        skip ();
    fixture_t *f = *state;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    char path[4096], name[64];
    for (int i = 0; i < 700; i++) {
        snprintf (name, sizeof name, "stuck-%03d.json", i);
        s_path (f, "", name, path, sizeof path);
        size_t len = s_nest (path, sizeof path, "c", 15);
        snprintf (path + len, sizeof path - len, "/f");
        s_touch (path);
        path[len] = '\0';
        assert_int_equal (chmod (path, 0500), 0);
    }
    for (int i = 0; i < 300; i++) {
        snprintf (name, sizeof name, "plain-%03d.json", i);
        s_drop (f, name, "{");
    }
    s_path (f, "", "empty-deep.json", path, sizeof path);
    s_nest (path, sizeof path, "e", 16);
    assert_int_equal (chmod (path, 0500), 0);
    for (int n = 0; n < 20 && s_scan (f) == 0; n++) {
        DIR *dir = opendir (f->spool);
        size_t left = 0;
        for (struct dirent *de; dir && (de = readdir (dir));)
            left += strstr (de->d_name, ".json") != NULL;
        if (dir)
            closedir (dir);
        if (left == 0)
            break;
    }
    assert_true (s_exists (f, "rejected", "plain-299.json"));
    assert_true (s_exists (f, "rejected", "stuck-699.json"));
    uint64_t later = kt_now_ms () + 15 * 86400ULL * 1000;
    /*  700 entries of about 19 calls each: more than one pass may make. */
    spool_retain_rejected (retain, later);
    int plain_left = 0;
    for (int i = 0; i < 300; i++) {
        snprintf (name, sizeof name, "plain-%03d.json", i);
        plain_left += s_exists (f, "rejected", name);
    }
    assert_true (plain_left > 0);
    for (int pass = 0; pass < 3; pass++)
        spool_retain_rejected (retain, later);
    for (int i = 0; i < 300; i++) {
        snprintf (name, sizeof name, "plain-%03d.json", i);
        assert_false (s_exists (f, "rejected", name));
    }
    assert_false (s_exists (f, "rejected", "empty-deep.json"));
    /*  The stuck ones stay (logged), emptied as far as they can be. */
    assert_true (s_exists (f, "rejected", "stuck-000.json"));
    spool_retain_destroy (&retain);
}

static void
test_an_orphan_reason_is_removed_and_never_counted (void **state)
{
    fixture_t *f = *state;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    /*  What a crash between the file's removal and its reason's leaves. */
    char path[512];
    s_path (f, "rejected", "orphan.json.reason", path, sizeof path);
    FILE *fp = fopen (path, "w");
    assert_non_null (fp);
    fputs ("earlier reason\n", fp);
    fclose (fp);
    uint64_t now = kt_now_ms (), day = 86400ULL * 1000;
    spool_retain_status_t rs;
    kt_reason_t r;
    assert_int_equal (spool_retain_status (retain, now, &rs, &r), 0);
    assert_int_equal (rs.waiting, 0);
    assert_int_equal (spool_retain_rejected (retain, now + 15 * day), 1);
    assert_false (s_exists (f, "rejected", "orphan.json.reason"));
    spool_retain_destroy (&retain);
}

/*  A state directory, or a done/ or rejected/ in it, made by someone else
 *  before ketend first started would give that user every signal:
 *  refused, like such a work/.  Needs root to give a directory away;
 *  skipped otherwise. */
static void
test_a_subdirectory_owned_by_another_user_is_refused (void **state)
{
    (void) state;
    if (geteuid () != 0) {
        skip ();
        return;
    }
    const char *const subs[] = {"", "work", "done", "rejected"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char dir[64], spool[128], own[128], path[192];
        assert_int_equal (testutil_tmpdir (dir, sizeof dir, "spool-owner"), 0);
        snprintf (spool, sizeof spool, "%s/spool", dir);
        snprintf (own, sizeof own, "%s/spool.state", dir);
        assert_int_equal (mkdir (spool, 0700), 0);
        assert_int_equal (mkdir (own, 0700), 0);
        snprintf (path, sizeof path, "%s/%s", own, subs[i]);
        if (*subs[i])
            assert_int_equal (mkdir (path, 0700), 0);
        assert_int_equal (chown (path, 65534, 65534), 0);
        snprintf (path, sizeof path, "%s/node.db", dir);
        kt_reason_t r;
        char want[48];
        if (*subs[i])
            snprintf (want, sizeof want, "%s/ belongs to uid 65534", subs[i]);
        else
            snprintf (want, sizeof want, "spool.state belongs to uid 65534");
        /*  ketend --check and the start's check refuse it (exit 78), not
         *  only the start itself (exit 1, restarted for ever). */
        assert_int_equal (spool_check (spool, own, geteuid (), &r), -1);
        if (!strstr (r.text, want))
            fail_msg ("check, %s: %s", subs[i], r.text);
        sqlite3 *db = store_open (path, &r);
        assert_non_null (db);
        spool_t *spool_dir = spool_new (db, spool, own, &r);
        assert_null (spool_dir);
        if (!strstr (r.text, want))
            fail_msg ("%s: %s", subs[i], r.text);
        store_close (&db);
        testutil_rmtree (dir);
    }
}

/*  art. 13: a destroyed signal whose done/ file was numbered
 *  (STEM.1.json: an earlier file of that name was still in done/) leaves
 *  done/ with it; the other file under the name stays. */
static void
test_a_numbered_done_file_goes_with_its_destroyed_signal (void **state)
{
    fixture_t *f = *state;
    uint8_t id1[KT_ID_LEN], id2[KT_ID_LEN];
    s_forward (f, "dup.json", s_valid, id1);
    /*  The same name, other content (a second signal), while the first
     *  still waits for its receipt. */
    char other[1024];
    snprintf (other, sizeof other, "%s", s_valid);
    char *d = strstr (other, "Fictional test signal.");
    assert_non_null (d);
    d[0] = 'f';
    s_drop (f, "dup.json", other);
    assert_int_equal (s_scan (f), 1);
    randombytes_buf (id2, KT_ID_LEN);
    kt_reason_t r;
    assert_int_equal (store_begin (f->db, &r), 0);
    assert_int_equal (spool_record (f->spool_dir, &f->files[0], id2, &r), 0);
    assert_int_equal (store_commit (f->db, &r), 0);
    spool_done (f->spool_dir, &f->files[0]);
    assert_true (s_exists (f, "done", "dup.1.json"));
    /*  The second signal is destroyed before its receipt. */
    assert_int_equal (spool_forget (f->spool_dir, id2, &r), 0);
    assert_false (s_exists (f, "done", "dup.1.json"));
    assert_true (s_exists (f, "done", "dup.json"));
}

/* ---- where ketend's own directories are, and the layout before ---------- */

/*  The spool's own work/, done/ and rejected/ of the layout before: the
 *  state's renamed back into the spool, as an older ketend kept them. */
static void
s_old_layout (fixture_t *f)
{
    spool_destroy (&f->spool_dir);
    const char *const subs[] = {"work", "done", "rejected"};
    for (size_t i = 0; i < 3; i++) {
        char from[256], to[256];
        snprintf (from, sizeof from, "%s/%s", f->state, subs[i]);
        snprintf (to, sizeof to, "%s/%s", f->spool, subs[i]);
        assert_int_equal (rename (from, to), 0);
    }
}

/*  A start: the spool opened again. */
static void
s_reopen (fixture_t *f)
{
    spool_destroy (&f->spool_dir);
    kt_reason_t r;
    f->spool_dir = spool_new (f->db, f->spool, f->state, &r);
    if (!f->spool_dir)
        fail_msg ("spool_new: %s", r.text);
}

/*  Whether the spool holds a directory sub. */
static bool
s_old_exists (const fixture_t *f, const char *sub)
{
    char path[256];
    snprintf (path, sizeof path, "%s/%s", f->spool, sub);
    struct stat st;
    return lstat (path, &st) == 0;
}

/*  The valid signal with its description's first word replaced by word
 *  (9 letters): other content, so another hash. */
static void
s_variant (char *out, size_t cap, const char *word)
{
    snprintf (out, cap, "%s", s_valid);
    char *at = strstr (out, "Fictional");
    assert_non_null (at);
    memcpy (at, word, 9);
}

/*  text into path (a new file). */
static void
s_write_file (const char *path, const char *text)
{
    FILE *fp = fopen (path, "wx");
    if (!fp)
        fail_msg ("%s: %s", path, strerror (errno));
    fputs (text, fp);
    fclose (fp);
}

/*  What a writer can reach is the spool alone: nothing of ketend's is
 *  made in it, and the state directory beside it is ketend's, 0700. */
static void
test_ketends_directories_are_made_beside_the_spool_not_in_it (void **state)
{
    fixture_t *f = *state;
    DIR *d = opendir (f->spool);
    assert_non_null (d);
    for (struct dirent *de; (de = readdir (d));)
        if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
            fail_msg ("the spool holds %s", de->d_name);
    closedir (d);
    struct stat st;
    assert_int_equal (stat (f->state, &st), 0);
    assert_int_equal (st.st_uid, geteuid ());
    assert_int_equal (st.st_mode & 0777, 0700);
    s_drop (f, "beside.json", s_valid);
    assert_int_equal (s_scan (f), 1);
    assert_true (s_exists (f, "work", "beside.json"));
    s_record (f, &f->files[0], true);
    assert_true (s_exists (f, "done", "beside.json"));
    /*  Made writable for a group by hand: closed again at the next start
     *  (a group may still read it; its setgid bit goes, see below); so
     *  are done/ and rejected/ (others could put a file there, or rename
     *  one away), keeping what they may read. */
    assert_int_equal (chmod (f->state, 02775), 0);
    const char *const subs[] = {"done", "rejected"};
    const mode_t modes[] = {0777, 0750};
    char path[512];
    for (size_t i = 0; i < 2; i++) {
        snprintf (path, sizeof path, "%s/%s", f->state, subs[i]);
        assert_int_equal (chmod (path, modes[i] | 022), 0);
    }
    s_reopen (f);
    assert_int_equal (stat (f->state, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0755);
    for (size_t i = 0; i < 2; i++) {
        snprintf (path, sizeof path, "%s/%s", f->state, subs[i]);
        assert_int_equal (stat (path, &st), 0);
        assert_int_equal (st.st_mode & 07777, modes[i] & 0755);
    }
}

/*  What RestrictSUIDSGID=yes (both units) makes of a chmod that sets a
 *  setuid or setgid bit: EPERM, as systemd's filter does
 *  (seccomp_restrict_sxid), for fchmod and fchmodat.  0, or -1 where no
 *  filter can be installed. */
static int
s_restrict_suid_sgid (void)
{
#if defined(__NR_fchmod) && defined(__NR_fchmodat)
    /*  The low half of a 64-bit argument. */
    const unsigned low = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0;
    struct sock_filter filter[] = {
        BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_fchmod, 1, 0),
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_fchmodat, 2, 4),
        BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[1]) + low),
        BPF_JUMP (BPF_JMP | BPF_JA, 1, 0, 0),
        BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[2]) + low),
        BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 1, 0),
        BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return -1;
    return 0;
#else
    return -1;
#endif
}

/*  A state directory left setgid and group-writable (a site that shares
 *  it with a group) is closed at start under the units' RestrictSUIDSGID=
 *  yes as well: the mode ketend sets carries no setuid or setgid bit,
 *  which the filter would refuse, failing every start.  The start runs
 *  in a child, which the filter is installed in. */
static void
test_a_setgid_state_directory_is_closed_under_restrict_suid_sgid (void **state)
{
    fixture_t *f = *state;
    spool_destroy (&f->spool_dir);
    assert_int_equal (chmod (f->state, 02775), 0);
    struct stat st;
    assert_int_equal (stat (f->state, &st), 0);
    if (!(st.st_mode & S_ISGID)) {
        skip (); /* not kept here (no member of the directory's group) */
        return;
    }
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        if (s_restrict_suid_sgid () != 0)
            _exit (77);
        /*  The filter works: the bits it refuses are refused. */
        int fd = open (f->state, O_RDONLY | O_DIRECTORY);
        if (fd < 0 || fchmod (fd, 02775) == 0 || errno != EPERM)
            _exit (3);
        close (fd);
        char path[160];
        snprintf (path, sizeof path, "%s/node.db", f->dir);
        kt_reason_t r;
        sqlite3 *db = store_open (path, &r);
        spool_t *sp = db ? spool_new (db, f->spool, f->state, &r) : NULL;
        if (!sp)
            fprintf (stderr, "spool_new: %s\n", r.text);
        int rc = sp ? 0 : 1;
        spool_destroy (&sp);
        store_close (&db);
        _exit (rc);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    if (WEXITSTATUS (status) == 77) {
        skip (); /* no seccomp filter here */
        return;
    }
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_int_equal (stat (f->state, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0755);
    s_reopen (f);
}

/*  A start of this ketend on the layout before: work/, done/ and
 *  rejected/ each move whole into the state directory and leave the
 *  spool.  What was in work/ is handled as before: a file not yet
 *  recorded is returned (sent once), one recorded before the crash is
 *  only moved to done/; done/ keeps its file until the receipt, rejected/
 *  its file beside its reason. */
static void
test_the_layout_before_moves_into_the_state_directory_whole (void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    s_forward (f, "sent.json", s_valid, id);
    s_drop (f, "bad.json", "{");
    assert_int_equal (s_scan (f), 0);
    /*  Recorded and committed, not yet moved: what a crash leaves. */
    char other[1024];
    s_variant (other, sizeof other, "Imaginary");
    s_drop (f, "committed.json", other);
    assert_int_equal (s_scan (f), 1);
    s_record (f, &f->files[0], false);
    s_free_files (f);
    s_old_layout (f);
    /*  Claimed, not recorded: what a crash leaves too. */
    char path[512];
    char third[1024];
    s_variant (third, sizeof third, "Contrived");
    snprintf (path, sizeof path, "%s/work/inflight.json", f->spool);
    s_write_file (path, third);
    s_reopen (f);
    assert_false (s_old_exists (f, "work"));
    assert_false (s_old_exists (f, "done"));
    assert_false (s_old_exists (f, "rejected"));
    assert_true (s_exists (f, "done", "sent.json"));
    assert_true (s_exists (f, "rejected", "bad.json"));
    assert_true (s_exists (f, "rejected", "bad.json.reason"));
    assert_int_equal (s_scan (f), 1);
    assert_string_equal (f->files[0].name, "inflight.json");
    assert_true (s_exists (f, "done", "committed.json"));
    s_record (f, &f->files[0], true);
    assert_true (s_exists (f, "done", "inflight.json"));
    assert_int_equal (s_scan (f), 0);
    /*  done/ still forgets on its receipt, where it is now. */
    settled_list_t settled = {0};
    memcpy (settled.ids[settled.n++], id, KT_ID_LEN);
    spool_retain_t *retain = s_retain (f, &settled);
    assert_int_equal (spool_retain_done (retain), 1);
    assert_false (s_exists (f, "done", "sent.json"));
    spool_retain_destroy (&retain);
}

/*  Where the state directory holds files already (a start of this layout,
 *  then of an older ketend, then this one again), the old directories'
 *  files join them without replacing any: done/ under the next numbered
 *  name, rejected/ under a name of the file's inode with its reason
 *  beside it, an orphan reason only where its name is free.  work/ is
 *  emptied by the scans: a file waits while its name is taken, and keeps
 *  it, so the spool table still knows it. */
static void
test_the_layout_before_joins_a_state_directory_in_use (void **state)
{
    fixture_t *f = *state;
    char second[1024], third[1024], fourth[1024], fifth[1024], path[512], text[1024];
    s_variant (second, sizeof second, "Imaginary");
    s_variant (third, sizeof third, "Fabricate");
    s_variant (fourth, sizeof fourth, "Simulated");
    s_variant (fifth, sizeof fifth, "Contrived");
    /*  In the state directory: a.json sent, bad.json rejected, w.json
     *  returned but not recorded (still in work/). */
    uint8_t id1[KT_ID_LEN], id2[KT_ID_LEN];
    s_forward (f, "a.json", s_valid, id1);
    s_forward (f, "a.json", second, id2); /* done/a.1.json, soon the old one */
    s_drop (f, "bad.json", "{\"new\": ");
    s_drop (f, "w.json", third);
    assert_int_equal (s_scan (f), 1);
    s_free_files (f);
    spool_destroy (&f->spool_dir);
    /*  The old layout's directories, as an older ketend left them. */
    const char *const subs[] = {"work", "done", "rejected"};
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/%s", f->spool, subs[i]);
        assert_int_equal (mkdir (path, 0700), 0);
    }
    s_path (f, "done", "a.1.json", path, sizeof path);
    snprintf (text, sizeof text, "%s/done/a.json", f->spool);
    assert_int_equal (rename (path, text), 0);
    snprintf (path, sizeof path, "%s/rejected/bad.json", f->spool);
    s_write_file (path, "{\"old\": ");
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    unsigned long long old_ino = (unsigned long long) st.st_ino;
    snprintf (path, sizeof path, "%s/rejected/bad.json.reason", f->spool);
    s_write_file (path, "old reason\n");
    snprintf (path, sizeof path, "%s/rejected/orphan.json.reason", f->spool);
    s_write_file (path, "old orphan\n");
    snprintf (path, sizeof path, "%s/rejected/lone.json.reason", f->spool);
    s_write_file (path, "lone orphan\n");
    s_path (f, "rejected", "orphan.json.reason", path, sizeof path);
    s_write_file (path, "new orphan\n");
    snprintf (path, sizeof path, "%s/work/w.json", f->spool);
    s_write_file (path, fifth);
    snprintf (path, sizeof path, "%s/work/x.json", f->spool);
    s_write_file (path, fourth);

    s_reopen (f);
    assert_false (s_old_exists (f, "done"));
    assert_false (s_old_exists (f, "rejected"));
    s_read (f, "done", "a.json", text, sizeof text);
    assert_string_equal (text, s_valid);
    s_read (f, "done", "a.1.json", text, sizeof text);
    assert_string_equal (text, second);
    s_read (f, "rejected", "bad.json", text, sizeof text);
    assert_string_equal (text, "{\"new\": ");
    char moved[64];
    snprintf (moved, sizeof moved, "bad.%016llx.json", old_ino);
    s_read (f, "rejected", moved, text, sizeof text);
    assert_string_equal (text, "{\"old\": ");
    snprintf (moved, sizeof moved, "bad.%016llx.json.reason", old_ino);
    s_read (f, "rejected", moved, text, sizeof text);
    assert_string_equal (text, "old reason\n");
    s_read (f, "rejected", "orphan.json.reason", text, sizeof text);
    assert_string_equal (text, "new orphan\n");
    s_read (f, "rejected", "lone.json.reason", text, sizeof text);
    assert_string_equal (text, "lone orphan\n");
    /*  work/: the state's w.json first, the old x.json beside it; the old
     *  w.json waits for its name. */
    assert_true (s_old_exists (f, "work"));
    assert_int_equal (s_scan (f), 2);
    assert_string_equal (f->files[0].name, "w.json");
    assert_string_equal (f->files[1].name, "x.json");
    s_record (f, &f->files[0], true);
    s_record (f, &f->files[1], true);
    assert_int_equal (s_scan (f), 1);
    assert_string_equal (f->files[0].name, "w.json");
    assert_memory_equal (f->files[0].signal->description, "Contrived", 9);
    s_record (f, &f->files[0], true);
    assert_true (s_exists (f, "done", "w.1.json"));
    assert_int_equal (s_scan (f), 0);
    assert_false (s_old_exists (f, "work"));
    /*  Both a.json files leave done/ on their receipts. */
    settled_list_t settled = {0};
    memcpy (settled.ids[settled.n++], id1, KT_ID_LEN);
    memcpy (settled.ids[settled.n++], id2, KT_ID_LEN);
    spool_retain_t *retain = s_retain (f, &settled);
    assert_int_equal (spool_retain_done (retain), 2);
    assert_false (s_exists (f, "done", "a.json"));
    assert_false (s_exists (f, "done", "a.1.json"));
    spool_retain_destroy (&retain);
}

/*  The writer, between the start's look at the spool's old done/ and its
 *  move: done/ renamed aside, a directory of its choosing (here one with
 *  a signal file) put in its place. */
static void
s_swap_done (void *arg)
{
    const fixture_t *f = arg;
    char from[256], to[256];
    snprintf (from, sizeof from, "%s/done", f->spool);
    snprintf (to, sizeof to, "%s/done.aside", f->spool);
    assert_int_equal (rename (from, to), 0);
    assert_int_equal (mkdir (from, 0700), 0);
    snprintf (to, sizeof to, "%s/done/planted.json", f->spool);
    s_write_file (to, s_valid);
}

/*  The layout before, with its done/ swapped for another directory while
 *  the start moves it: the directory moved is not the one looked at, so
 *  it goes back into the spool and the start fails; nothing of it
 *  becomes ketend's done/, or joins it.  Once done/ is back, a start
 *  moves it. */
static void
test_a_directory_swapped_in_during_the_move_goes_back (void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    s_forward (f, "kept.json", s_valid, id);
    s_old_layout (f);
    s_between.name = "done";
    s_between.arg = f;
    s_between.fn = s_swap_done;
    kt_reason_t r;
    assert_null (spool_new (f->db, f->spool, f->state, &r));
    assert_null (s_between.fn);
    if (!strstr (r.text, "the spool's done/ was replaced by another directory"))
        fail_msg ("%s", r.text);
    char path[512];
    snprintf (path, sizeof path, "%s/done/planted.json", f->spool);
    assert_int_equal (access (path, F_OK), 0);
    assert_false (s_exists (f, "done", "planted.json"));
    snprintf (path, sizeof path, "%s/done.aside/kept.json", f->spool);
    assert_int_equal (access (path, F_OK), 0);
    /*  The writer's directory gone, ketend's back: the next start. */
    snprintf (path, sizeof path, "%s/done/planted.json", f->spool);
    assert_int_equal (unlink (path), 0);
    snprintf (path, sizeof path, "%s/done", f->spool);
    assert_int_equal (rmdir (path), 0);
    char aside[512];
    snprintf (aside, sizeof aside, "%s/done.aside", f->spool);
    assert_int_equal (rename (aside, path), 0);
    s_reopen (f);
    assert_false (s_old_exists (f, "done"));
    assert_true (s_exists (f, "done", "kept.json"));
    /*  Where the state's done/ holds files already, the old one's join
     *  them one by one: from the directory looked at, never from the one
     *  put in its place.  (A copy of kept.json, recorded as sent: a
     *  done/ of the layout before, which is moved whole where it can.) */
    spool_destroy (&f->spool_dir);
    assert_int_equal (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/done/kept.json", f->spool);
    s_write_file (path, s_valid);
    s_between.fn = s_swap_done;
    s_reopen (f);
    assert_null (s_between.fn);
    assert_true (s_exists (f, "done", "kept.1.json"));
    assert_false (s_exists (f, "done", "planted.json"));
    snprintf (path, sizeof path, "%s/done/planted.json", f->spool);
    assert_int_equal (access (path, F_OK), 0);
}

/*  Rename spool/a to spool/b (a test's writer). */
static void
s_spool_rename (const fixture_t *f, const char *a, const char *b)
{
    char from[256], to[256];
    snprintf (from, sizeof from, "%s/%s", f->spool, a);
    snprintf (to, sizeof to, "%s/%s", f->spool, b);
    assert_int_equal (rename (from, to), 0);
}

/*  The writer renames the layout before's directories into each other's
 *  names before the first start of this ketend: its work/ (a file
 *  claimed, never sent) named done/, its done/ (a file sent, waiting for
 *  its receipt) named rejected/, its rejected/ named work/.  Taken by
 *  their names, the claimed file became a done/ one, never sent and kept
 *  for good (retention did not know its hash).  Taken by what each file
 *  is: the claimed file is claimed and sent once, the sent one waits in
 *  done/ for its receipt, the rejected one keeps its reason, and both
 *  forwarded files leave done/ on their receipts. */
static void
test_old_directories_renamed_into_each_others_names_are_taken_by_content (void **state)
{
    fixture_t *f = *state;
    uint8_t sent[KT_ID_LEN], fresh[KT_ID_LEN];
    s_forward (f, "sent.json", s_valid, sent);
    s_drop (f, "bad.json", "{");
    assert_int_equal (s_scan (f), 0);
    s_old_layout (f);
    char other[1024], path[512], text[1024];
    s_variant (other, sizeof other, "Imaginary");
    snprintf (path, sizeof path, "%s/work/new.json", f->spool);
    s_write_file (path, other);
    s_spool_rename (f, "work", "x");
    s_spool_rename (f, "done", "work");
    s_spool_rename (f, "x", "done");
    s_spool_rename (f, "rejected", "x");
    s_spool_rename (f, "work", "rejected");
    s_spool_rename (f, "x", "work");
    s_reopen (f);
    assert_true (s_exists (f, "done", "sent.json"));
    assert_false (s_exists (f, "done", "new.json"));
    assert_int_equal (s_scan (f), 1);
    assert_string_equal (f->files[0].name, "new.json");
    assert_memory_equal (f->files[0].signal->description, "Imaginary", 9);
    randombytes_buf (fresh, KT_ID_LEN);
    kt_reason_t r;
    assert_int_equal (store_begin (f->db, &r), 0);
    assert_int_equal (spool_record (f->spool_dir, &f->files[0], fresh, &r), 0);
    assert_int_equal (store_commit (f->db, &r), 0);
    spool_done (f->spool_dir, &f->files[0]);
    assert_int_equal (s_scan (f), 0);
    assert_int_equal (s_scan (f), 0);
    assert_false (s_old_exists (f, "work"));
    assert_false (s_old_exists (f, "done"));
    assert_false (s_old_exists (f, "rejected"));
    /*  The rejected file beside its reason, under its inode's name. */
    snprintf (path, sizeof path, "%s/rejected", f->state);
    DIR *d = opendir (path);
    assert_non_null (d);
    size_t files = 0, reasons = 0;
    for (struct dirent *de; (de = readdir (d));) {
        if (de->d_name[0] == '.')
            continue;
        size_t len = strlen (de->d_name);
        if (len > 7 && strcmp (de->d_name + len - 7, ".reason") == 0) {
            reasons++;
            continue;
        }
        files++;
        s_read (f, "rejected", de->d_name, text, sizeof text);
        assert_string_equal (text, "{");
        snprintf (path, sizeof path, "%s.reason", de->d_name);
        assert_true (s_exists (f, "rejected", path));
    }
    closedir (d);
    assert_int_equal (files, 1);
    assert_int_equal (reasons, 1);
    settled_list_t settled = {0};
    memcpy (settled.ids[settled.n++], sent, KT_ID_LEN);
    memcpy (settled.ids[settled.n++], fresh, KT_ID_LEN);
    spool_retain_t *retain = s_retain (f, &settled);
    assert_int_equal (spool_retain_done (retain), 2);
    assert_int_equal (spool_retain_done (retain), 0);
    assert_false (s_exists (f, "done", "sent.json"));
    assert_false (s_exists (f, "done", "new.json"));
    spool_retain_destroy (&retain);
}

/*  The writer, once more: a done/ of its own in the spool again, right
 *  before the start puts back the one it put in the place of ketend's. */
static void
s_make_done (void *arg)
{
    const fixture_t *f = arg;
    char path[256];
    snprintf (path, sizeof path, "%s/done", f->spool);
    assert_int_equal (mkdir (path, 0700), 0);
}

/*  The directory the writer swapped in while the start moved done/ goes
 *  back into the spool even where the writer made another done/ there
 *  meanwhile: under a name of its own, never left as ketend's done/
 *  (which the next start would take for ketend's own). */
static void
test_a_directory_swapped_in_goes_back_under_its_own_name_where_the_writer_made_another (
    void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    s_forward (f, "kept.json", s_valid, id);
    s_old_layout (f);
    s_between.name = "done";
    s_between.arg = f;
    s_between.fn = s_swap_done;
    s_between2.name = "done";
    s_between2.arg = f;
    s_between2.fn = s_make_done;
    kt_reason_t r;
    assert_null (spool_new (f->db, f->spool, f->state, &r));
    assert_null (s_between.fn);
    assert_null (s_between2.fn);
    if (!strstr (r.text, "that one is back in the spool"))
        fail_msg ("%s", r.text);
    assert_false (s_exists (f, "done", "planted.json"));
    char path[512];
    snprintf (path, sizeof path, "%s/done", f->state);
    assert_int_equal (access (path, F_OK), -1);
    DIR *d = opendir (f->spool);
    assert_non_null (d);
    bool found = false;
    for (struct dirent *de; (de = readdir (d));)
        if (strncmp (de->d_name, "done.returned.", 14) == 0) {
            snprintf (path, sizeof path, "%s/%s/planted.json", f->spool, de->d_name);
            found = access (path, F_OK) == 0;
        }
    closedir (d);
    assert_true (found);
}

/*  Whether a file in the state's done/ holds text. */
static bool
s_done_holds (const fixture_t *f, const char *text)
{
    char path[512], buf[2048];
    snprintf (path, sizeof path, "%s/done", f->state);
    DIR *d = opendir (path);
    assert_non_null (d);
    bool found = false;
    for (struct dirent *de; !found && (de = readdir (d));)
        if (de->d_name[0] != '.') {
            s_read (f, "done", de->d_name, buf, sizeof buf);
            found = strstr (buf, text) != NULL;
        }
    closedir (d);
    return found;
}

/*  art. 13: a file of the old done/ whose name is taken in the state's
 *  is numbered from the name its record has, so that it still leaves
 *  done/ with its signal when that is destroyed before its receipt: from
 *  its own name where it came in under it, even one that looks numbered
 *  (rapport.12.json), from the name it came in under where it was
 *  numbered itself (x.1.json, for x.json). */
static void
test_a_merged_done_file_goes_with_its_destroyed_signal (void **state)
{
    fixture_t *f = *state;
    char second[1024], third[1024], fourth[1024], path[512], to[512];
    s_variant (second, sizeof second, "Imaginary");
    s_variant (third, sizeof third, "Fabricate");
    s_variant (fourth, sizeof fourth, "Simulated");
    uint8_t id[5][KT_ID_LEN];
    snprintf (to, sizeof to, "%s/done", f->spool);
    assert_int_equal (mkdir (to, 0700), 0);
    /*  What an older ketend, run in between, left in the spool's done/:
     *  rapport.12.json (second) and x.json's second, numbered x.1.json. */
    s_forward (f, "rapport.12.json", s_valid, id[0]);
    s_forward (f, "rapport.12.json", second, id[1]);
    s_path (f, "done", "rapport.12.1.json", path, sizeof path);
    snprintf (to, sizeof to, "%s/done/rapport.12.json", f->spool);
    assert_int_equal (rename (path, to), 0);
    s_forward (f, "x.json", s_valid, id[2]);
    s_forward (f, "x.json", third, id[3]);
    s_path (f, "done", "x.1.json", path, sizeof path);
    snprintf (to, sizeof to, "%s/done/x.1.json", f->spool);
    assert_int_equal (rename (path, to), 0);
    s_forward (f, "x.json", fourth, id[4]); /* done/x.1.json again */
    s_reopen (f);
    assert_false (s_old_exists (f, "done"));
    assert_true (s_done_holds (f, "Imaginary"));
    assert_true (s_done_holds (f, "Fabricate"));
    /*  Both destroyed before their receipts: their files go. */
    kt_reason_t r;
    assert_int_equal (spool_forget (f->spool_dir, id[1], &r), 0);
    assert_false (s_done_holds (f, "Imaginary"));
    assert_int_equal (spool_forget (f->spool_dir, id[3], &r), 0);
    assert_false (s_done_holds (f, "Fabricate"));
    assert_true (s_done_holds (f, "Fictional"));
    assert_true (s_done_holds (f, "Simulated"));
}

/*  A numbered file of the old done/ that cannot be read when the start
 *  merges it (the writer made it unreadable) cannot be told by its
 *  record: it stays where it is, for the next start, rather than go under
 *  a name its record does not know (rapport.1.1.json, which spool_forget
 *  could not match, so its plaintext stayed past its signal) or be
 *  rejected.  Readable again, it joins done/ numbered from the name it
 *  came in under, and leaves with its signal.  Root reads it anyway:
 *  run unprivileged only (unit/test_daemon_spool_unprivileged). */
static void
test_an_unreadable_old_done_file_stays_for_the_next_start (void **state)
{
    fixture_t *f = *state;
    if (geteuid () == 0) {
        skip ();
        return;
    }
    char second[1024], third[1024], path[512], to[512];
    s_variant (second, sizeof second, "Imaginary");
    s_variant (third, sizeof third, "Fabricate");
    uint8_t id[3][KT_ID_LEN];
    s_forward (f, "rapport.json", s_valid, id[0]);
    s_forward (f, "rapport.json", second, id[1]); /* done/rapport.1.json */
    snprintf (to, sizeof to, "%s/done", f->spool);
    assert_int_equal (mkdir (to, 0700), 0);
    s_path (f, "done", "rapport.1.json", path, sizeof path);
    snprintf (to, sizeof to, "%s/done/rapport.1.json", f->spool);
    assert_int_equal (rename (path, to), 0);
    s_forward (f, "rapport.json", third, id[2]); /* done/rapport.1.json again */
    assert_int_equal (chmod (to, 0), 0);
    s_reopen (f);
    assert_int_equal (s_scan (f), 0);
    assert_int_equal (s_scan (f), 0);
    assert_int_equal (access (to, F_OK), 0);
    assert_false (s_exists (f, "done", "rapport.1.1.json"));
    assert_false (s_exists (f, "work", "rapport.1.json"));
    assert_false (s_exists (f, "rejected", "rapport.1.json"));
    assert_int_equal (chmod (to, 0600), 0);
    s_reopen (f);
    assert_int_equal (access (to, F_OK), -1);
    assert_false (s_old_exists (f, "done"));
    assert_true (s_exists (f, "done", "rapport.2.json"));
    kt_reason_t r;
    assert_int_equal (spool_forget (f->spool_dir, id[1], &r), 0);
    assert_false (s_done_holds (f, "Imaginary"));
}

/*  A crash while rejected/ joins a state directory in use, between a
 *  file's reason and the file: the next start puts the file beside its
 *  reason again, under the name of its inode, so rejected/ never keeps a
 *  file without its reason.  A reason under the file's own name there is
 *  no sign of it (an orphan of another file may have that name): such a
 *  file, without its reason, is claimed like a spool file, and rejected
 *  again. */
static void
test_a_crash_between_a_rejected_files_reason_and_the_file_is_mended (void **state)
{
    fixture_t *f = *state;
    char path[512], to[512], text[256];
    s_drop (f, "taken.json", "{");
    assert_int_equal (s_scan (f), 0);
    spool_destroy (&f->spool_dir);
    snprintf (path, sizeof path, "%s/rejected", f->spool);
    assert_int_equal (mkdir (path, 0700), 0);
    /*  free.json: a reason of its name in the state's rejected/. */
    snprintf (path, sizeof path, "%s/rejected/free.json", f->spool);
    s_write_file (path, "{\"free\": ");
    s_path (f, "rejected", "free.json.reason", path, sizeof path);
    s_write_file (path, "free reason\n");
    /*  taken.json: its reason went ahead under its inode's name. */
    snprintf (path, sizeof path, "%s/rejected/taken.json", f->spool);
    s_write_file (path, "{\"taken\": ");
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    snprintf (text, sizeof text, "taken.%016llx.json", (unsigned long long) st.st_ino);
    snprintf (to, sizeof to, "%s.reason", text);
    s_path (f, "rejected", to, path, sizeof path);
    s_write_file (path, "taken reason\n");
    s_reopen (f);
    char got[256];
    assert_int_equal (s_scan (f), 0);
    assert_int_equal (s_scan (f), 0); /* the one that finds it empty */
    assert_false (s_old_exists (f, "rejected"));
    s_read (f, "rejected", "free.1.json", got, sizeof got);
    assert_string_equal (got, "{\"free\": ");
    s_read (f, "rejected", text, got, sizeof got);
    assert_string_equal (got, "{\"taken\": ");
    s_read (f, "rejected", to, got, sizeof got);
    assert_string_equal (got, "taken reason\n");
    s_read (f, "rejected", "taken.json", got, sizeof got);
    assert_string_equal (got, "{");
    spool_retain_status_t rs;
    kt_reason_t r;
    settled_list_t settled = {0};
    spool_retain_t *retain = s_retain (f, &settled);
    assert_int_equal (spool_retain_status (retain, kt_now_ms (), &rs, &r), 0);
    assert_int_equal (rs.waiting, 3);
    spool_retain_destroy (&retain);
}

/*  A directory named like one of ketend's in the spool that is not
 *  ketend's (the writer made it, after the change or to look like the
 *  layout before) is the writer's: left alone, nothing in it read or
 *  moved.  Needs root to make it another user's; skipped otherwise. */
static void
test_a_writers_directory_named_like_ketends_is_left_alone (void **state)
{
    fixture_t *f = *state;
    if (geteuid () != 0) {
        skip ();
        return;
    }
    const char *const subs[] = {"work", "done", "rejected"};
    char path[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/%s", f->spool, subs[i]);
        assert_int_equal (mkdir (path, 0700), 0);
        snprintf (path, sizeof path, "%s/%s/planted.json", f->spool, subs[i]);
        s_write_file (path, s_valid);
        assert_int_equal (chown (path, 65534, 65534), 0);
        snprintf (path, sizeof path, "%s/%s", f->spool, subs[i]);
        assert_int_equal (chown (path, 65534, 65534), 0);
    }
    s_reopen (f);
    assert_int_equal (s_scan (f), 0);
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/%s/planted.json", f->spool, subs[i]);
        assert_int_equal (access (path, F_OK), 0);
        assert_false (s_exists (f, subs[i], "planted.json"));
    }
}

/*  ketend's directories cannot go where the writer could rename them: in
 *  the spool, or under a directory others may write (the sticky bit, which
 *  keeps others from renaming what is not theirs, excepted); the checks
 *  change nothing, and a spool not there yet is the start's to say. */
static void
test_a_state_directory_the_writer_could_rename_is_refused (void **state)
{
    fixture_t *f = *state;
    char own[256], open_dir[256];
    kt_reason_t r;
    assert_int_equal (spool_check (f->spool, f->state, geteuid (), &r), 0);
    assert_int_equal (spool_check (f->spool, f->spool, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, "is the same as the spool"));
    snprintf (own, sizeof own, "%s/own", f->spool);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, "is inside the spool"));
    /*  Whole, with its advice: within KT_REASON_MAX for paths as long as
     *  a unit's (/var/spool/keten/politie-limburg). */
    assert_non_null (strstr (r.text, "(default SPOOL-DIR.state)"));
    assert_false (s_exists (f, "", "own"));
    snprintf (open_dir, sizeof open_dir, "%s/open", f->dir);
    assert_int_equal (mkdir (open_dir, 0700), 0);
    assert_int_equal (chmod (open_dir, 0775), 0);
    snprintf (own, sizeof own, "%s/open/own", f->dir);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, "must be writable by ketend's user and root only"));
    assert_non_null (strstr (r.text, "/var/spool/keten, 0755"));
    assert_int_equal (chmod (open_dir, 01777), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), 0);
    assert_int_equal (access (own, F_OK), -1);
    /*  Another user's directory: they may rename in it. */
    assert_int_equal (chmod (open_dir, 0755), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid () + 1, &r), geteuid () == 0 ? 0 : -1);
    /*  ... which may be ketend's user's, the check run as another (root,
     *  before the node's state directory tells ketend's user): said so,
     *  never "use one like /var/spool/keten", which it may be. */
    uid_t owner = geteuid (), user = geteuid () + 1;
    if (geteuid () == 0) {
        owner = 65534;
        user = 0;
        assert_int_equal (chown (open_dir, owner, owner), 0);
    }
    assert_int_equal (spool_check (f->spool, own, user, &r), -1);
    char said[300];
    snprintf (said, sizeof said, "if ketend runs as uid %u, run the check as that user",
              (unsigned) owner);
    if (!strstr (r.text, said) || strstr (r.text, "/var/spool/keten"))
        fail_msg ("%s", r.text);
    if (geteuid () == 0)
        assert_int_equal (chown (open_dir, 0, 0), 0);
    /*  Further up as well: whoever may rename a directory the state
     *  directory is in may put another tree in its place.  The message
     *  names the one. */
    char deep[300], want[400];
    snprintf (deep, sizeof deep, "%s/open/deep", f->dir);
    assert_int_equal (mkdir (deep, 0755), 0);
    snprintf (own, sizeof own, "%s/open/deep/own", f->dir);
    assert_int_equal (chmod (open_dir, 0777), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    snprintf (want, sizeof want, "; %s (uid %u, mode 0777) is not", open_dir,
              (unsigned) geteuid ());
    if (!strstr (r.text, want))
        fail_msg ("%s", r.text);
    assert_int_equal (mkdir (own, 0700), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, want));
    assert_int_equal (chmod (open_dir, 01777), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), 0);
    assert_int_equal (chmod (open_dir, 0755), 0);
    snprintf (own, sizeof own, "%s/nowhere/own", f->dir);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, "cannot be made"));
    /*  A spool that is not there at all: the setup's, with the way out. */
    snprintf (own, sizeof own, "%s/missing", f->dir);
    assert_int_equal (spool_check (own, f->state, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, "does not exist; make it, e.g. install -d"));
    /*  One of ketend's directories in it that is no directory. */
    snprintf (own, sizeof own, "%s/other.state", f->dir);
    assert_int_equal (mkdir (own, 0700), 0);
    char path[300];
    snprintf (path, sizeof path, "%s/done", own);
    s_write_file (path, "");
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    assert_non_null (strstr (r.text, "done is not a directory"));
    /*  A start refuses the same, before it makes anything. */
    spool_destroy (&f->spool_dir);
    snprintf (own, sizeof own, "%s/own", f->spool);
    assert_null (spool_new (f->db, f->spool, own, &r));
    assert_non_null (strstr (r.text, "is inside the spool"));
    assert_false (s_exists (f, "", "own"));
}

/*  The writer owns the files it dropped, and may keep a descriptor to one
 *  and make it unreadable (fchmod 000) once ketend moved it to done/.
 *  Its content then cannot say what it was sent as; its name can, and
 *  done/ is ketend's: it goes with its signal when that is destroyed
 *  (spool_forget), and once every signal recorded under its name is
 *  settled (retention), rather than stay for good.  Root reads it
 *  anyway: run unprivileged only (unit/test_daemon_spool_unprivileged). */
static void
test_a_done_file_made_unreadable_goes_all_the_same (void **state)
{
    fixture_t *f = *state;
    if (geteuid () == 0) {
        skip ();
        return;
    }
    uint8_t gone[KT_ID_LEN], settled_id[KT_ID_LEN], other_id[KT_ID_LEN];
    char second[1024], third[1024], path[512];
    s_variant (second, sizeof second, "Imaginary");
    s_variant (third, sizeof third, "Fabricate");
    s_forward (f, "gone.json", s_valid, gone);
    s_path (f, "done", "gone.json", path, sizeof path);
    assert_int_equal (chmod (path, 0), 0);
    kt_reason_t r;
    assert_int_equal (spool_forget (f->spool_dir, gone, &r), 0);
    assert_false (s_exists (f, "done", "gone.json"));
    /*  Retention: numbered (its name's other file waits), then settled. */
    s_forward (f, "kept.json", second, other_id);
    s_forward (f, "kept.json", third, settled_id); /* done/kept.1.json */
    s_path (f, "done", "kept.1.json", path, sizeof path);
    assert_int_equal (chmod (path, 0), 0);
    settled_list_t settled = {0};
    memcpy (settled.ids[settled.n++], settled_id, KT_ID_LEN);
    spool_retain_t *retain = s_retain (f, &settled);
    assert_int_equal (spool_retain_done (retain), 0); /* kept.json's other one is not settled */
    assert_true (s_exists (f, "done", "kept.1.json"));
    memcpy (settled.ids[settled.n++], other_id, KT_ID_LEN);
    assert_int_equal (spool_retain_done (retain), 2);
    assert_false (s_exists (f, "done", "kept.1.json"));
    assert_false (s_exists (f, "done", "kept.json"));
    spool_retain_destroy (&retain);
}

/*  A directory named like one of ketend's in the spool that ketend may
 *  not read is left, and the line that says so names its owner, as for
 *  another user's.  Root reads it anyway: unprivileged only. */
static void
test_an_unreadable_old_directory_is_left_and_its_owner_said (void **state)
{
    fixture_t *f = *state;
    if (geteuid () == 0) {
        skip ();
        return;
    }
    char path[512], logp[160], line[512];
    snprintf (path, sizeof path, "%s/work", f->spool);
    assert_int_equal (mkdir (path, 0), 0);
    snprintf (logp, sizeof logp, "%s/log", f->dir);
    int saved = dup (2);
    int fd = open (logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (saved >= 0 && fd >= 0);
    dup2 (fd, 2);
    close (fd);
    s_reopen (f);
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    assert_int_equal (chmod (path, 0700), 0);
    FILE *fp = fopen (logp, "r");
    assert_non_null (fp);
    char want[64];
    snprintf (want, sizeof want, "spool layout_not_ketends dir=work uid=%u", (unsigned) geteuid ());
    bool found = false;
    while (!found && fgets (line, sizeof line, fp))
        found = strstr (line, want) != NULL;
    fclose (fp);
    if (!found)
        fail_msg ("no line with %s", want);
    assert_true (s_old_exists (f, "work"));
}

/*  Retention works on the done/ and rejected/ the start opened and
 *  checked, never on what their paths lead to later (another directory
 *  put in the state directory's place). */
static void
test_retention_works_on_the_directories_the_start_checked (void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    s_forward (f, "checked.json", s_valid, id);
    char moved[256], path[300];
    snprintf (moved, sizeof moved, "%s.moved", f->state);
    assert_int_equal (rename (f->state, moved), 0);
    assert_int_equal (mkdir (f->state, 0700), 0);
    snprintf (path, sizeof path, "%s/done", f->state);
    assert_int_equal (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/rejected", f->state);
    assert_int_equal (mkdir (path, 0700), 0);
    settled_list_t settled = {0};
    memcpy (settled.ids[settled.n++], id, KT_ID_LEN);
    spool_retain_t *retain = s_retain (f, &settled);
    assert_int_equal (spool_retain_done (retain), 1);
    snprintf (path, sizeof path, "%s/done/checked.json", moved);
    assert_int_equal (access (path, F_OK), -1);
    spool_retain_destroy (&retain);
    testutil_rmtree (f->state);
    assert_int_equal (rename (moved, f->state), 0);
}

/*  The state directory's path as configured is checked, not only the
 *  real directories above it: a path through a symbolic link in a
 *  directory others may write (they could point it elsewhere) is
 *  refused, though where it leads is fine. */
static void
test_a_state_directory_path_through_a_link_others_may_change_is_refused (void **state)
{
    fixture_t *f = *state;
    char open_dir[256], link[300], own[320], want[400];
    kt_reason_t r;
    snprintf (open_dir, sizeof open_dir, "%s/open", f->dir);
    assert_int_equal (mkdir (open_dir, 0755), 0);
    snprintf (link, sizeof link, "%s/st", open_dir);
    assert_int_equal (symlink (f->dir, link), 0);
    snprintf (own, sizeof own, "%s/spool.state", link);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), 0);
    assert_int_equal (chmod (open_dir, 0777), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), -1);
    snprintf (want, sizeof want, "; %s (uid %u, mode 0777) is not", open_dir,
              (unsigned) geteuid ());
    if (!strstr (r.text, want))
        fail_msg ("%s", r.text);
    assert_int_equal (chmod (open_dir, 01777), 0);
    assert_int_equal (spool_check (f->spool, own, geteuid (), &r), 0);
}

/*  A refusal is at most KT_REASON_MAX bytes: with the paths of a unit
 *  whose node id is 40 bytes long (/var/spool/keten/ID, 57 bytes, and
 *  ID.state) each still ends with its last path whole, after its advice. */
static void
test_refusals_are_whole_with_a_long_node_id (void **state)
{
    fixture_t *f = *state;
    char base[128], spool[256], own[300], want[512];
    kt_reason_t r;
    snprintf (base, sizeof base, "%s/k", f->dir);
    assert_int_equal (mkdir (base, 0755), 0);
    int pad = 57 - (int) strlen (base) - 1;
    assert_true (pad > 8);
    snprintf (spool, sizeof spool, "%s/%.*s", base, pad,
              "politie-limburg-noord-en-midden-limburg-eenheid-voorbeeld");
    assert_int_equal ((int) strlen (spool), 57);
    assert_int_equal (mkdir (spool, 0700), 0);
    snprintf (own, sizeof own, "%s/own", spool);
    assert_int_equal (spool_check (spool, own, geteuid (), &r), -1);
    snprintf (want, sizeof want, "(default SPOOL-DIR.state); it is inside the spool: %s", own);
    if (!strstr (r.text, want))
        fail_msg ("cut: %s", r.text);
    snprintf (own, sizeof own, "%s.state", spool);
    assert_int_equal (chmod (base, 0777), 0);
    assert_int_equal (spool_check (spool, own, geteuid (), &r), -1);
    snprintf (want, sizeof want, "; %s (uid %u, mode 0777) is not", base, (unsigned) geteuid ());
    if (!strstr (r.text, want))
        fail_msg ("cut: %s", r.text);
    assert_int_equal (chmod (base, 0755), 0);
    uid_t owner = geteuid (), user = geteuid () + 1;
    if (geteuid () == 0) {
        owner = 65534;
        user = 0;
        assert_int_equal (chown (base, owner, owner), 0);
    }
    /*  ketend's check, run as ketend's user. */
    char *program = program_invocation_short_name;
    program_invocation_short_name = "ketend";
    assert_int_equal (spool_check (spool, own, user, &r), -1);
    program_invocation_short_name = program;
    /*  The first one on the way that is not user's: the scratch
     *  directory itself, unprivileged. */
    snprintf (want, sizeof want, "(runuser -u USER -- ketend --check --config FILE): %s is not",
              geteuid () == 0 ? base : f->dir);
    if (!strstr (r.text, want))
        fail_msg ("cut: %s", r.text);
    if (geteuid () == 0)
        assert_int_equal (chown (base, 0, 0), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_a_valid_file_is_claimed_returned_and_done_after_its_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rejected_file_gets_a_reason_file, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_invalid_signal_is_rejected_naming_the_field_not_the_value, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_overlong_name_is_rejected_under_a_short_name, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_file_with_a_second_name_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_symbolic_link_is_rejected_not_followed, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_file_over_the_size_limit_is_rejected, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_work_in_progress_names_are_left_alone, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_file_seen_again_after_its_record_is_only_moved_to_done, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_record_goes_with_its_signal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_file_returned_but_not_recorded_is_returned_again,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_later_file_of_the_same_name_never_replaces_the_earlier, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_past_max_the_rest_stays_in_the_spool_unclaimed,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_recorded_file_is_found_by_its_content_hash_alone,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_table_keeps_a_hash_of_the_name_never_the_name,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_names_recorded_before_are_hashed_and_still_recognised,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_done_file_is_forgotten_only_once_its_signal_is_settled, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_done_file_stays_while_any_signal_of_its_content_is_unsettled, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_rejected_file_goes_with_its_reason_keep_days_after_the_rejection, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_large_deep_rejected_directory_goes_over_several_passes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_unremovable_rejected_entries_do_not_hold_up_the_others, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_orphan_reason_is_removed_and_never_counted,
                                         s_setup, s_teardown),
        cmocka_unit_test (test_a_subdirectory_owned_by_another_user_is_refused),
        cmocka_unit_test_setup_teardown (
            test_ketends_directories_are_made_beside_the_spool_not_in_it, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_setgid_state_directory_is_closed_under_restrict_suid_sgid, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_layout_before_moves_into_the_state_directory_whole, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_layout_before_joins_a_state_directory_in_use,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_crash_between_a_rejected_files_reason_and_the_file_is_mended, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_directory_swapped_in_during_the_move_goes_back,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_directory_swapped_in_goes_back_under_its_own_name_where_the_writer_made_another,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_merged_done_file_goes_with_its_destroyed_signal,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_old_directories_renamed_into_each_others_names_are_taken_by_content, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_an_unreadable_old_done_file_stays_for_the_next_start,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refusals_are_whole_with_a_long_node_id, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_retention_works_on_the_directories_the_start_checked,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_state_directory_path_through_a_link_others_may_change_is_refused, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_done_file_made_unreadable_goes_all_the_same,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_unreadable_old_directory_is_left_and_its_owner_said, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_writers_directory_named_like_ketends_is_left_alone,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_state_directory_the_writer_could_rename_is_refused,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_numbered_done_file_goes_with_its_destroyed_signal,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
