/*  agendabox: weegploeg and casusoverleg agendas received.  */
#include "agendabox.h"

#include "meeting.h"

#include "calendar.h"
#include "items.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define AGENDA_MAX_ITEMS 64
#define AGENDA_MAX_TEXT 128
#define AGENDA_MAX_DESCRIPTION 65536

struct _agendabox_t {
    sqlite3 *db;
    keystore_t *keystore;
};

static const char *const s_migrations[] = {
    "CREATE TABLE agenda (meeting_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL,"
    " cancelled INTEGER NOT NULL, starts_at TEXT NOT NULL, duration_min INTEGER NOT NULL,"
    " location TEXT NOT NULL, case_refs TEXT NOT NULL, received_ms INTEGER NOT NULL,"
    " message_id BLOB NOT NULL, key_id BLOB NOT NULL, body BLOB NOT NULL);",
    "ALTER TABLE agenda ADD COLUMN kind TEXT NOT NULL DEFAULT 'weegploeg';",
};

static const char *
s_kind_name (Keten__WeegploegAgenda__Kind kind)
{
    return kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG ? "casusoverleg" : "weegploeg";
}

const char *
agenda_event_name (agenda_event_t event)
{
    switch (event) {
    case AGENDA_NEW:
        return "new";
    case AGENDA_UPDATED:
        return "update";
    case AGENDA_CANCELLED:
        return "cancel";
    default:
        return "stale";
    }
}

agendabox_t *
agendabox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason)
{
    agendabox_t *self =
        store_module_new (sizeof *self, db, "agendabox", STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->db = db;
        self->keystore = keystore;
    }
    return self;
}

bool
agendabox_present (sqlite3 *db)
{
    kt_reason_t reason;
    int present = store_one (db, "SELECT 1 FROM schema_version WHERE module='agendabox'", NULL,
                             NULL, NULL, "look for the agenda table", &reason);
    if (present < 0)
        kt_log (KT_LOG_ERROR, "agenda lookup_failed reason=\"%s\"", reason.text);
    return present > 0;
}

void
agendabox_destroy (agendabox_t **self_p)
{
    agendabox_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

/*  Printable text without control characters, at most max bytes (UTF-8
 *  is passed through; the .ics writer escapes what iCalendar needs). */
static bool
s_text (const char *s, size_t min, size_t max)
{
    if (!s)
        return false;
    size_t len = strlen (s);
    if (len < min || len > max)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/*  Like s_text, but line breaks are allowed (signal descriptions). */
static bool
s_multiline (const char *s, size_t max)
{
    if (!s || strlen (s) > max)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool
s_pattern (const char *s, const char *pattern)
{
    /*  pattern: '9' a digit, 'x' a lower-case hex digit, else literal. */
    if (!s || strlen (s) != strlen (pattern))
        return false;
    for (size_t i = 0; pattern[i]; i++) {
        char c = s[i];
        if (pattern[i] == '9'   ? !(c >= '0' && c <= '9')
            : pattern[i] == 'x' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                                : c != pattern[i])
            return false;
    }
    return true;
}

/*  A casusoverleg item: which case is on, and for a convenant party whose
 *  (name, birth date, municipality); nothing else.  A casuspartij's item
 *  may come without the subject: art. 6b keeps art. 9/10 Wpg data from it,
 *  so a subject only such data names is the case_ref only. */
static int
s_check_casus_item (const Keten__AgendaItem *it, size_t i, bool to_extern, kt_reason_t *reason)
{
    const Keten__Subject *s = it->subject;
    if (it->n_signals > 0)
        return kt_fail (reason, "agenda: casusoverleg item %zu carries signals", i + 1);
    if (to_extern)
        return s ? kt_fail (reason,
                            "agenda: casusoverleg item %zu carries personal data; an externe "
                            "casuspartner takes the case_ref only (art. 10.5)",
                            i + 1)
                 : 0;
    if (!s)
        return 0;
    if (!s_text (s->name, 1, AGENDA_MAX_TEXT) || !s_pattern (s->birth_date, "9999-99-99") ||
        !s_text (s->municipality, 1, AGENDA_MAX_TEXT) || *s->address || *s->bsn)
        return kt_fail (reason, "agenda: casusoverleg item %zu has an invalid subject", i + 1);
    return 0;
}

int
agendabox_check (const Keten__WeegploegAgenda *a, Keten__MessageType type, bool to_extern,
                 kt_reason_t *reason)
{
    bool casusoverleg = type == KETEN__MESSAGE_TYPE__CASUS_AGENDA;
    if (type != KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA && !casusoverleg)
        return kt_fail (reason, "agenda: not an agenda message type");
    /*  The kind must be the one the policy table checked, by type. */
    if (a->kind != (casusoverleg ? KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG
                                 : KETEN__WEEGPLOEG_AGENDA__KIND__WEEGPLOEG))
        return kt_fail (reason, "agenda: kind %d sent as %s", (int) a->kind,
                        casusoverleg ? "CASUS_AGENDA" : "WEEGPLOEG_AGENDA");
    if (!s_pattern (a->meeting_id, "w-xxxxxxxxxxxxxxxx"))
        return kt_fail (reason, "agenda: meeting_id is not w-<16 hex digits>");
    /*  A real Dutch minute, as meeting.c planned it: the start is kept,
     *  listed, sorted and put into an .ics (ics.c) as it came. */
    if (!a->starts_at || kt_local_start_check ("agenda: starts_at", a->starts_at, reason) != 0)
        return a->starts_at ? -1 : kt_fail (reason, "agenda: starts_at is missing");
    if (a->duration_min < 1 || a->duration_min > 720)
        return kt_fail (reason, "agenda: duration of %u minutes is out of range",
                        (unsigned) a->duration_min);
    if (!s_text (a->location, 1, AGENDA_MAX_TEXT))
        return kt_fail (reason, "agenda: location is empty, too long or has control characters");
    if (a->n_items > AGENDA_MAX_ITEMS || (a->cancelled && a->n_items > 0) ||
        (!a->cancelled && a->n_items == 0))
        return kt_fail (reason, "agenda: %zu items%s", a->n_items,
                        a->cancelled ? " on a cancellation" : " (1..64 expected)");
    for (size_t i = 0; i < a->n_items; i++) {
        const Keten__AgendaItem *it = a->items[i];
        const Keten__Subject *s = it->subject;
        if (!s_pattern (it->case_ref, "k-xxxxxxxxxxxxxxxx"))
            return kt_fail (reason, "agenda: item %zu has no valid case_ref", i + 1);
        if (casusoverleg) {
            if (s_check_casus_item (it, i, to_extern, reason) != 0)
                return -1;
            continue;
        }
        if (!s || !s_text (s->name, 1, AGENDA_MAX_TEXT) ||
            !s_pattern (s->birth_date, "9999-99-99") || !s_text (s->address, 0, 256) ||
            !s_text (s->municipality, 1, AGENDA_MAX_TEXT) || *s->bsn)
            return kt_fail (reason, "agenda: item %zu has an invalid subject", i + 1);
        if (it->n_signals < 1 || it->n_signals > MEETING_MAX_SIGNALS)
            return kt_fail (reason, "agenda: item %zu has %zu signals", i + 1, it->n_signals);
        for (size_t j = 0; j < it->n_signals; j++) {
            const Keten__AgendaSignal *g = it->signals[j];
            if (!s_text (g->sender, 1, 64) || !s_text (g->category, 1, 64) ||
                !s_pattern (g->observed_on, "9999-99-99") || !s_text (g->source_kind, 1, 64) ||
                !s_multiline (g->description, AGENDA_MAX_DESCRIPTION))
                return kt_fail (reason, "agenda: item %zu signal %zu is invalid", i + 1, j + 1);
            /*  art. 12.5: an item index per item (or none), and no item
             *  the uitvoerder would withhold. */
            if ((g->message_id.len != 0 && g->message_id.len != KT_ID_LEN) ||
                (g->n_item_index != 0 && g->n_item_index != g->n_items))
                return kt_fail (reason, "agenda: item %zu signal %zu is invalid", i + 1, j + 1);
            for (size_t k = 0; k < g->n_items; k++)
                if (g->items[k]->blocked || g->items[k]->deleted)
                    return kt_fail (reason, "agenda: item %zu signal %zu holds a withheld item",
                                    i + 1, j + 1);
        }
    }
    return 0;
}

typedef struct {
    int64_t seq;
    uint8_t *key_id;
} stored_t;

static int
s_stored_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    stored_t *st = arg;
    if (store_blob_is (q, 1, KEYSTORE_ID_LEN)) {
        st->seq = sqlite3_column_int64 (q, 0);
        memcpy (st->key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
    }
    return 0;
}

/*  The stored sequence of meeting_id, -1 when none, -2 (reason) when the
 *  table cannot be read. */
static int64_t
s_stored_sequence (agendabox_t *self, const char *meeting_id, uint8_t key_id[KEYSTORE_ID_LEN],
                   kt_reason_t *reason)
{
    stored_t st = {-1, key_id};
    if (store_one (self->db, "SELECT sequence, key_id FROM agenda WHERE meeting_id=?",
                   STORE_VALUES (STORE_TEXT (meeting_id)), s_stored_row, &st,
                   "read the agenda table", reason) < 0)
        return -2;
    return st.seq;
}

/*  The case_refs of items (at most AGENDA_MAX_ITEMS), comma-separated,
 *  into out: the agenda row's case_refs. */
static const char *
s_refs (Keten__AgendaItem *const *items, size_t n, char out[AGENDA_MAX_ITEMS * 20 + 1])
{
    *out = '\0';
    for (size_t i = 0; i < n && i < AGENDA_MAX_ITEMS; i++) {
        if (i)
            strcat (out, ",");
        strcat (out, items[i]->case_ref);
    }
    return out;
}

static int
s_write (agendabox_t *self, const uint8_t message_id[KT_ID_LEN], const Keten__WeegploegAgenda *a,
         const uint8_t key_id[KEYSTORE_ID_LEN], const uint8_t *sealed, size_t sealed_len,
         uint64_t now_ms, kt_reason_t *reason)
{
    char refs[AGENDA_MAX_ITEMS * 20 + 1] = "";
    for (size_t i = 0; i < a->n_items; i++) {
        if (i)
            strcat (refs, ",");
        strcat (refs, a->items[i]->case_ref);
    }
    return store_run (self->db,
                      "INSERT OR REPLACE INTO agenda (meeting_id, sequence, cancelled, starts_at,"
                      " duration_min, location, case_refs, received_ms, message_id, key_id, body,"
                      " kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                      STORE_VALUES (
                          STORE_TEXT (a->meeting_id), STORE_INT (a->sequence),
                          STORE_INT (a->cancelled), STORE_TEXT (a->starts_at),
                          STORE_INT (a->duration_min), STORE_TEXT (a->location), STORE_TEXT (refs),
                          STORE_INT (now_ms), STORE_BLOB (message_id, KT_ID_LEN),
                          STORE_BLOB (key_id, KEYSTORE_ID_LEN), STORE_BLOB (sealed, sealed_len),
                          STORE_TEXT (s_kind_name (a->kind))),
                      "store the agenda", reason) < 0
               ? -1
               : 0;
}

int
agendabox_store (agendabox_t *self, const uint8_t message_id[KT_ID_LEN],
                 const Keten__WeegploegAgenda *a, uint64_t now_ms, agenda_event_t *event_p,
                 kt_reason_t *reason)
{
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    int64_t stored = s_stored_sequence (self, a->meeting_id, key_id, reason);
    if (stored < -1)
        return -1;
    if (stored >= (int64_t) a->sequence) {
        *event_p = AGENDA_STALE;
        return 0;
    }
    /*  One key per meeting, kept across versions; shredding it makes every
     *  version unreadable (art. 13). */
    int rc = stored < 0 ? keystore_create (self->keystore, key_id, key, reason)
                        : keystore_get (self->keystore, key_id, key, reason);
    if (rc != 0)
        return -1;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    rc = keystore_seal_message (key, a->meeting_id, strlen (a->meeting_id), &a->base, &sealed,
                                &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    rc = s_write (self, message_id, a, key_id, sealed, sealed_len, now_ms, reason);
    free (sealed);
    if (rc == 0)
        *event_p = a->cancelled ? AGENDA_CANCELLED : stored < 0 ? AGENDA_NEW : AGENDA_UPDATED;
    return rc;
}

typedef struct {
    agendabox_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    agendabox_row_t row = {.meeting_id = store_text (q, 0),
                           .kind = store_text (q, 8),
                           .sequence = sqlite3_column_int64 (q, 1),
                           .cancelled = sqlite3_column_int (q, 2) != 0,
                           .starts_at = store_text (q, 3),
                           .duration_min = sqlite3_column_int (q, 4),
                           .location = store_text (q, 5),
                           .case_refs = store_text (q, 6),
                           .received_ms = (uint64_t) sqlite3_column_int64 (q, 7)};
    return v->fn (v->arg, &row, reason);
}

int
agendabox_each (agendabox_t *self, int limit, agendabox_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT meeting_id, sequence, cancelled, starts_at, duration_min,"
                       " location, case_refs, received_ms, kind FROM agenda"
                       " ORDER BY starts_at LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the agendas", reason);
}

int
agendabox_get (agendabox_t *self, const char *meeting_id, Keten__WeegploegAgenda **agenda_p,
               kt_reason_t *reason)
{
    keystore_record_t r = {self->keystore,
                           NULL,
                           meeting_id,
                           strlen (meeting_id),
                           1,
                           &keten__weegploeg_agenda__descriptor,
                           NULL,
                           KEYSTORE_NO_RECORD};
    if (store_one (self->db, "SELECT key_id, body FROM agenda WHERE meeting_id=?",
                   STORE_VALUES (STORE_TEXT (meeting_id)), keystore_record_row, &r,
                   "read the agenda", reason) < 0)
        return -1;
    *agenda_p = (Keten__WeegploegAgenda *) r.msg;
    if (r.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "no agenda for meeting %.24s on this node", meeting_id);
    if (r.result == KEYSTORE_TAMPERED)
        return kt_fail (reason, "the agenda of %.24s does not decrypt; the file may be damaged",
                        meeting_id);
    return r.msg ? 0 : kt_fail (reason, "the agenda of %.24s does not decode", meeting_id);
}

/*  ---- retention ---------------------------------------------------------- */

typedef struct {
    agendabox_case_fn *fn;
    void *arg;
} case_visit_t;

static int
s_case_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    case_visit_t *v = arg;
    const char *refs = store_text (q, 0);
    uint64_t received_ms = (uint64_t) sqlite3_column_int64 (q, 1);
    bool casusoverleg = strcmp (store_text (q, 2), "casusoverleg") == 0;
    /*  "k-..,k-..": each k-<16 hex> as its own string. */
    for (const char *p = refs; *p;) {
        size_t len = strcspn (p, ",");
        char ref[24];
        if (len > 0 && len < sizeof ref) {
            memcpy (ref, p, len);
            ref[len] = '\0';
            int rc = v->fn (v->arg, ref, received_ms, casusoverleg, reason);
            if (rc != 0)
                return rc;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int
agendabox_each_case (agendabox_t *self, agendabox_case_fn *fn, void *arg, kt_reason_t *reason)
{
    case_visit_t v = {fn, arg};
    return store_each (self->db, "SELECT case_refs, received_ms, kind FROM agenda", NULL, NULL,
                       s_case_row, &v, "list the agendas' subjects", reason);
}

int
agendabox_meetings_of (agendabox_t *self, const char *case_ref, store_text_fn *fn, void *arg,
                       kt_reason_t *reason)
{
    return store_each_text (self->db,
                            "SELECT meeting_id FROM agenda"
                            " WHERE instr(',' || case_refs || ',', ',' || ?1 || ',') > 0"
                            " ORDER BY starts_at",
                            STORE_VALUES (STORE_TEXT (case_ref)), fn, arg,
                            "find the agendas naming a subject", reason);
}

/*  Meeting ids, collected before any is rewritten. */
typedef struct {
    char (*ids)[32];
    size_t n, cap;
} meetings_t;

static int
s_collect_meeting (void *arg, const char *text, kt_reason_t *reason)
{
    meetings_t *m = arg;
    if (strlen (text) >= sizeof m->ids[0])
        return 0; /* not a meeting id agendabox_check let in */
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        char (*ids)[32] = realloc (m->ids, cap * sizeof *ids);
        if (!ids)
            return kt_fail (reason, "out of memory");
        m->ids = ids;
        m->cap = cap;
    }
    snprintf (m->ids[m->n++], sizeof m->ids[0], "%s", text);
    return 0;
}

/*  One agenda without case_ref's items, under a new key. */
static int
s_strip_one (agendabox_t *self, const char *meeting_id, const char *case_ref,
             agendabox_strip_fn *fn, void *arg, kt_reason_t *reason)
{
    uint8_t old_key_id[KEYSTORE_ID_LEN], key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    if (s_stored_sequence (self, meeting_id, old_key_id, reason) < -1)
        return -1;
    Keten__WeegploegAgenda *a = NULL;
    if (agendabox_get (self, meeting_id, &a, reason) != 0)
        return -1;
    Keten__AgendaItem **kept = calloc (a->n_items ? a->n_items : 1, sizeof *kept);
    if (!kept) {
        keten__weegploeg_agenda__free_unpacked (a, NULL);
        return kt_fail (reason, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < a->n_items; i++)
        if (strcmp (a->items[i]->case_ref, case_ref) != 0)
            kept[n++] = a->items[i];
    /*  A shallow copy with the kept items: a is freed as it was unpacked. */
    Keten__WeegploegAgenda copy = *a;
    copy.items = kept;
    copy.n_items = n;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_create (self->keystore, key_id, key, reason);
    if (rc == 0 && keystore_seal_message (key, meeting_id, strlen (meeting_id), &copy.base, &sealed,
                                          &sealed_len) != 0)
        rc = kt_fail (reason, "out of memory");
    sodium_memzero (key, sizeof key);
    if (rc == 0) {
        char refs[AGENDA_MAX_ITEMS * 20 + 1] = "";
        for (size_t i = 0; i < n && i < AGENDA_MAX_ITEMS; i++) {
            if (i)
                strcat (refs, ",");
            strcat (refs, kept[i]->case_ref);
        }
        if (store_run (self->db,
                       "UPDATE agenda SET case_refs=?, key_id=?, body=? WHERE meeting_id=?",
                       STORE_VALUES (STORE_TEXT (refs), STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                     STORE_BLOB (sealed, sealed_len), STORE_TEXT (meeting_id)),
                       "store the agenda without a subject", reason) < 0)
            rc = -1;
    }
    free (sealed);
    free (kept);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    return rc == 0 ? fn (arg, meeting_id, old_key_id, reason) : -1;
}

int
agendabox_strip (agendabox_t *self, const char *case_ref, agendabox_strip_fn *fn, void *arg,
                 kt_reason_t *reason)
{
    meetings_t m = {0};
    int rc = agendabox_meetings_of (self, case_ref, s_collect_meeting, &m, reason);
    for (size_t i = 0; rc == 0 && i < m.n; i++)
        rc = s_strip_one (self, m.ids[i], case_ref, fn, arg, reason);
    free (m.ids);
    return rc;
}

/*  ---- a node that is no longer a kernpartij (art. 8.4) ------------------ */

int
agendabox_each_weegploeg (agendabox_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (
        self->db, "SELECT meeting_id FROM agenda WHERE kind='weegploeg' ORDER BY meeting_id", NULL,
        fn, arg, "list the weegploeg agendas", reason);
}

int64_t
agendabox_forget_weegploeg (agendabox_t *self, agendabox_strip_fn *fn, void *arg,
                            kt_reason_t *reason)
{
    meetings_t m = {0};
    int rc = agendabox_each_weegploeg (self, s_collect_meeting, &m, reason);
    for (size_t i = 0; rc == 0 && i < m.n; i++) {
        uint8_t key_id[KEYSTORE_ID_LEN];
        if (s_stored_sequence (self, m.ids[i], key_id, reason) < -1 ||
            store_run (self->db, "DELETE FROM agenda WHERE meeting_id=? AND kind='weegploeg'",
                       STORE_VALUES (STORE_TEXT (m.ids[i])), "delete a weegploeg agenda",
                       reason) < 0 ||
            fn (arg, m.ids[i], key_id, reason) != 0)
            rc = -1;
    }
    free (m.ids);
    return rc == 0 ? (int64_t) m.n : -1;
}

/*  ---- correction (art. 12.5-12.6) ---------------------------------------- */

/*  Whether agenda item it still holds a signal a kernpartij brought in:
 *  the answers to the weegploeg's questions (source_kind "aanvulling",
 *  meeting.c) are no signal of their own. */
static bool
s_has_signal (const Keten__AgendaItem *it)
{
    for (size_t j = 0; j < it->n_signals; j++)
        if (strcmp (it->signals[j]->source_kind, "aanvulling") != 0)
            return true;
    return false;
}

/*  Item i of a taken out, its texts zeroed first. */
static void
s_drop_item (Keten__WeegploegAgenda *a, size_t i)
{
    Keten__AgendaItem *it = a->items[i];
    if (it->subject) {
        Keten__Subject *s = it->subject;
        sodium_memzero (s->name, strlen (s->name));
        sodium_memzero (s->birth_date, strlen (s->birth_date));
        sodium_memzero (s->address, strlen (s->address));
    }
    keten__agenda_item__free_unpacked (it, NULL);
    memmove (a->items + i, a->items + i + 1, (a->n_items - i - 1) * sizeof *a->items);
    a->n_items--;
}

/*  Apply c to the signal sent as signal_id in agenda a: 1 changed, 0 not
 *  in it, -1.  A whole signal's deletion that leaves its subject no
 *  signal (the police withdrew the only one, art. 7.2a, 12.5) takes the
 *  subject's item out: the agenda lists persons with signals to weigh,
 *  and this one has none left, so its name, birth date and address go
 *  too - as the uitvoerder composes the meeting from then on. */
static int
s_correct_agenda (Keten__WeegploegAgenda *a, const char *case_ref, const uint8_t *signal_id,
                  bool whole_signal, const items_change_t *c, kt_reason_t *reason)
{
    int changed = 0;
    for (size_t i = 0; i < a->n_items; i++) {
        Keten__AgendaItem *it = a->items[i];
        if (strcmp (it->case_ref, case_ref) != 0)
            continue;
        int was = 0;
        for (size_t j = 0; j < it->n_signals; j++) {
            Keten__AgendaSignal *g = it->signals[j];
            if (g->message_id.len != KT_ID_LEN ||
                memcmp (g->message_id.data, signal_id, KT_ID_LEN) != 0)
                continue;
            if (whole_signal) {
                for (size_t k = 0; k < g->n_items; k++)
                    sodium_memzero (g->items[k]->text, strlen (g->items[k]->text));
                sodium_memzero (g->description, strlen (g->description));
                keten__agenda_signal__free_unpacked (g, NULL);
                memmove (it->signals + j, it->signals + j + 1,
                         (it->n_signals - j - 1) * sizeof *it->signals);
                it->n_signals--;
                j--;
                was = 1;
                continue;
            }
            int rc = items_apply_copy (&g->items, &g->n_items, &g->item_index, &g->n_item_index, c,
                                       reason);
            if (rc < 0)
                return -1;
            was |= rc;
        }
        if (was && whole_signal && !s_has_signal (it))
            s_drop_item (a, i--);
        changed |= was;
    }
    return changed;
}

/*  One agenda corrected, under a new key. */
static int
s_correct_one (agendabox_t *self, const char *meeting_id, const char *case_ref,
               const uint8_t *signal_id, bool whole_signal, const items_change_t *c,
               agendabox_strip_fn *fn, void *arg, kt_reason_t *reason)
{
    uint8_t old_key_id[KEYSTORE_ID_LEN], key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    if (s_stored_sequence (self, meeting_id, old_key_id, reason) < -1)
        return -1;
    Keten__WeegploegAgenda *a = NULL;
    if (agendabox_get (self, meeting_id, &a, reason) != 0)
        return -1;
    int changed = s_correct_agenda (a, case_ref, signal_id, whole_signal, c, reason);
    char refs[AGENDA_MAX_ITEMS * 20 + 1];
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = changed < 0 ? -1 : 0;
    /*  Sealed again under a new key; the old one is the caller's to
     *  shred once this commits, so no copy of the old value (a backup, a
     *  free page) can be read again. */
    if (changed > 0)
        rc = keystore_create (self->keystore, key_id, key, reason);
    if (changed > 0 && rc == 0 &&
        keystore_seal_message (key, meeting_id, strlen (meeting_id), &a->base, &sealed,
                               &sealed_len) != 0)
        rc = kt_fail (reason, "out of memory");
    sodium_memzero (key, sizeof key);
    if (changed > 0 && rc == 0 &&
        store_run (self->db, "UPDATE agenda SET case_refs=?, key_id=?, body=? WHERE meeting_id=?",
                   STORE_VALUES (STORE_TEXT (s_refs (a->items, a->n_items, refs)),
                                 STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                 STORE_BLOB (sealed, sealed_len), STORE_TEXT (meeting_id)),
                   "store the corrected agenda", reason) < 0)
        rc = -1;
    free (sealed);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    return rc == 0 && changed > 0 ? fn (arg, meeting_id, old_key_id, reason) : rc;
}

int
agendabox_correct (agendabox_t *self, const char *case_ref, const uint8_t signal_id[KT_ID_LEN],
                   bool whole_signal, const items_change_t *c, agendabox_strip_fn *fn, void *arg,
                   kt_reason_t *reason)
{
    meetings_t m = {0};
    int rc = agendabox_meetings_of (self, case_ref, s_collect_meeting, &m, reason);
    for (size_t i = 0; rc == 0 && i < m.n; i++)
        rc = s_correct_one (self, m.ids[i], case_ref, signal_id, whole_signal, c, fn, arg, reason);
    free (m.ids);
    return rc;
}
