/*  util: reasons, logging, time, hex - the small things every module uses.
 *
 *  Error convention (docs/ARCHITECTURE.md, "Conventions", rule 5):
 *  functions return 0 on success and -1 on failure, and on failure fill a
 *  kt_reason_t the caller can show.  A reason never contains personal data
 *  or secret material.
 */
#ifndef KETEN_UTIL_H
#define KETEN_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_REASON_MAX 256

typedef struct {
    char text[KT_REASON_MAX];
} kt_reason_t;

/*  Fill reason (if not NULL) and return -1. */
int kt_fail (kt_reason_t *reason, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

typedef enum { KT_LOG_DEBUG, KT_LOG_INFO, KT_LOG_WARN, KT_LOG_ERROR } kt_log_level_t;

/*  Log one line to stderr as `ident level: event key=value...`.  Callers
 *  pass only ids, pseudonyms and counts - never personal data.  Under
 *  systemd (stderr is the stream JOURNAL_STREAM names) the line goes to the
 *  journal instead, with PRIORITY, SYSLOG_IDENTIFIER (the program),
 *  KETEN_EVENT (the line's first word) and KETEN_NODE (the ident, once
 *  kt_log_set_ident named the node) as fields. */
void kt_log (kt_log_level_t level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void kt_log_set_level (kt_log_level_t level);
void kt_log_set_ident (const char *ident);

/*  Advice, for a reason, to run again as user what this process was
 *  started as (program_invocation_short_name): "runuser -u USER --
 *  ketend --check --config FILE" for ketend, "runuser -u USER -- keten
 *  ... (the same command)" for keten or any other program.  Returns out. */
char *kt_runuser_advice (char *out, size_t len, const char *user);

/*  Wall clock in milliseconds since the epoch. */
uint64_t kt_now_ms (void);
/*  Monotonic clock in microseconds. */
uint64_t kt_mono_us (void);
/*  Whether a firing of a repeating zloop timer of period_ms is one to act
 *  on.  CZMQ's zloop moves a timer on by its period from when it was due,
 *  so after the loop was held (a stopped process, a frozen VM, a
 *  monotonic clock moved on) it fires once for every period missed, back
 *  to back: a partner's 10 ms pump held for an hour runs 360,000 times at
 *  once, its 200 ms heartbeat goes out 18,000 times.  A firing less than
 *  a quarter period after the last one acted on is skipped.  *last_ms:
 *  the monotonic ms of that one (0 before the first), kept by the caller. */
bool kt_timer_due (uint64_t *last_ms, uint64_t period_ms);

/*  Hex encoding into out (size >= 2*len+1).  Returns out. */
char *kt_hex (char *out, const uint8_t *bin, size_t len);
/*  Strict hex decoding of exactly outlen bytes.  Returns 0 or -1. */
int kt_unhex (uint8_t *out, size_t outlen, const char *hex);

/*  Random bytes from libsodium's generator (randombytes_buf), for
 *  requests of at most KT_RANDOM_POOLED bytes drawn KT_RANDOM_POOL bytes
 *  at a time into a pool of the calling thread's, in sodium_malloc
 *  memory.  Each call of the generator ketend uses reads the process id
 *  (a system call) and runs ChaCha20 twice, about 0.6 us on a slow
 *  machine; a signal needs three draws (issue #17).  Each byte is handed
 *  out once and wiped from the pool as it goes; a forked child empties
 *  the pool of the thread that forked (pthread_atfork), so parent and
 *  child never hand out the same bytes.  Larger requests, and every
 *  request when no pool can be made, go to randombytes_buf directly. */
#define KT_RANDOM_POOL 4096
#define KT_RANDOM_POOLED 256
void kt_random_buf (void *out, size_t len);

/*  Message ids are 16 bytes, time-ordered (kt_ordered_id below) except a
 *  held art. 9/10 Wpg signal's, which are all random; as text they are 32
 *  hex digits. */
#define KT_ID_LEN 16
#define KT_ID_HEX (2 * KT_ID_LEN + 1)

/*  Fill id with a time-ordered unique id: 6 bytes of big-endian
 *  milliseconds, then 10 random bytes.  Keys made this way are inserted at
 *  the right edge of a B-tree, so a batch of inserts dirties a few pages
 *  instead of one page per row (random keys), which is most of the write
 *  volume of a group commit.  80 random bits keep ids unguessable.  The
 *  16-byte ids a process makes increase in the order it makes them: one
 *  not greater than the one before (the same millisecond, or a clock set
 *  back) is the one before plus a random step below 2^56, so a receiver
 *  that has stored one sender's ids up to x knows a greater one of that
 *  sender's is new without a lookup (issue #17), and the next id still
 *  cannot be guessed from the one before. */
void kt_ordered_id (uint8_t *id, size_t len);
/*  The same with the random part (len - 6 bytes) given: drawn by the
 *  caller together with other random bytes it needs (NULL: id's own
 *  bytes past the sixth are kept). */
void kt_ordered_id_from (uint8_t *id, size_t len, const uint8_t *random);

/*  A member or node id: 1..64 of [a-z0-9-], starting with a letter. */
bool kt_valid_node_id (const char *id);

/*  zconfig stops at a NUL and silently cuts lines at 1024 bytes: refuse
 *  both, so that what is checked is what is in the file.  what names the
 *  text in the reason ("keten.cfg", "roster: text"). */
int kt_check_zpl_text (const char *data, size_t len, const char *what, kt_reason_t *reason);

/*  Read a whole regular file of at most max bytes into a NUL-terminated
 *  heap buffer (free with free()).  Refuses larger files. */
int kt_read_file (const char *path, size_t max, char **data_p, size_t *len_p, kt_reason_t *reason);
/*  Write data to path atomically and durably (temp file path.tmp.PID,
 *  fsync, rename, fsync of the directory) with mode.  On 0 the new file
 *  survives a power cut; on -1 path holds the old file, or (when only the
 *  directory's fsync failed) the new one, not yet durable. */
int kt_write_file (const char *path, const void *data, size_t len, int mode, kt_reason_t *reason);
/*  Remove, in dir, the temporary files kt_write_file leaves when a crash
 *  comes between its open and its rename: regular files named
 *  NAME.tmp.PID, PID all digits, whose NAME ends in suffix (".ics").
 *  Nothing else is touched.  Returns how many went, or -1 with reason
 *  (those it could remove are removed). */
int kt_remove_write_temps (const char *dir, const char *suffix, kt_reason_t *reason);

/*  A listing of the directory dir_fd names, from its start, on a
 *  duplicate of the descriptor (dir_fd stays open; closedir the result).
 *  NULL with errno when it cannot be opened. */
DIR *kt_dir_dup (int dir_fd);

#endif
