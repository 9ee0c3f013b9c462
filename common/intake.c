/*  intake: the one place where signal text from outside becomes a
 *  Keten__Signal (docs/ARCHITECTURE.md, "Conventions", rule 4).  Everything
 *  is checked here, with bounds, before any other module sees it; the
 *  format and its rules are in docs/SIGNAL-FORMAT.md.
 *
 *  One table (s_fields) drives all three directions - JSON to message,
 *  the checks, message to JSON - so a JSON signal and a protobuf signal
 *  from a kernpartij are held to exactly the same rules.
 *
 *  Reasons name the field path and the rule, never the value: a value
 *  may be personal data, and reasons end up in logs, receipts and
 *  terminals (util.h).
 */
#include "intake.h"

#include "calendar.h"

#include "items.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  Where a signal came from.  Convenant art. 7.1-7.2: third parties bring
 *  signals in through a kernpartij, and the original source is recorded;
 *  the source is always named (docs/SIGNAL-FORMAT.md, "Source kinds").
 *  "eigen" is the sending kernpartij's own observation. */
static const char *const s_source_kinds[] = {
    "eigen", "school",     "sociale-dienst", "jongerenwerk", "burger", "aivd-ambtsbericht",
    "zorg",  "leerplicht", "politie",        "om",           "anders",
};

/*  Wpg besluit (docs/SIGNAL-FORMAT.md, "Wpg basis"): art. 8/13 police data
 *  may be forwarded automatically, art. 9/10 data is held until the
 *  investigation interest is cleared and the OM consulted. */
static const struct {
    const char *name;
    Keten__WpgBasis value;
} s_wpg[] = {
    {"none", KETEN__WPG_BASIS__WPG_NONE},
    {"art-8-13", KETEN__WPG_BASIS__WPG_ART_8_13},
    {"art-9-10", KETEN__WPG_BASIS__WPG_ART_9_10},
};

#define S_COUNT(a) (sizeof (a) / sizeof (a)[0])

/*  The message a field lives in, and the JSON object that holds it. */
typedef enum { S_TOP, S_SUBJECT, S_MELDER, S_SOURCE, S_GROUPS } s_group_t;
static const char *const s_group_key[S_GROUPS] = {NULL, "subject", "melder", "source"};

typedef enum {
    S_TEXT,          /* free text on one line */
    S_LINES,         /* free text, \n and \t allowed */
    S_BIRTH_DATE,    /* date, 1900-01-01 .. today */
    S_OBSERVED_DATE, /* date, 1900-01-01 .. one day ahead */
    S_BSN,
    S_CATEGORY,    /* [a-z0-9-] */
    S_REF,         /* [A-Za-z0-9._/-] */
    S_SOURCE_KIND, /* s_source_kinds */
    S_LEGAL_BASIS, /* intake_rules.c */
    S_WPG,         /* enum, s_wpg */
    S_BOOL,
} s_kind_t;

typedef struct {
    s_group_t group;
    const char *key;  /* JSON key within the group's object */
    const char *path; /* the name reasons use */
    s_kind_t kind;
    size_t offset; /* of the member in the group's message */
    bool required;
    size_t min, max; /* bytes, for a non-empty string */
} s_field_t;

#define S_SIG(m) offsetof (Keten__Signal, m)
#define S_SUB(m) offsetof (Keten__Subject, m)
#define S_MEL(m) offsetof (Keten__Melder, m)

/*  In the order of the JSON form, which is also the order of the checks.
 *  An optional field with min > 0 is either absent or within bounds. */
static const s_field_t s_fields[] = {
    {S_SUBJECT, "name", "subject.name", S_TEXT, S_SUB (name), true, 1, 200},
    {S_SUBJECT, "birth_date", "subject.birth_date", S_BIRTH_DATE, S_SUB (birth_date), true, 10, 10},
    {S_SUBJECT, "address", "subject.address", S_TEXT, S_SUB (address), false, 0, 300},
    {S_SUBJECT, "municipality", "subject.municipality", S_TEXT, S_SUB (municipality), true, 1, 100},
    {S_SUBJECT, "bsn", "subject.bsn", S_BSN, S_SUB (bsn), false, 9, 9},
    {S_TOP, "description", "description", S_LINES, S_SIG (description), true, 1, 10000},
    {S_TOP, "category", "category", S_CATEGORY, S_SIG (category), true, 1, 64},
    {S_TOP, "observed_on", "observed_on", S_OBSERVED_DATE, S_SIG (observed_on), true, 10, 10},
    {S_MELDER, "name", "melder.name", S_TEXT, S_MEL (name), true, 1, 200},
    {S_MELDER, "contact", "melder.contact", S_TEXT, S_MEL (contact), true, 1, 200},
    {S_SOURCE, "kind", "source.kind", S_SOURCE_KIND, S_SIG (source_kind), true, 1, 32},
    {S_SOURCE, "detail", "source.detail", S_TEXT, S_SIG (source_detail), false, 0, 500},
    {S_TOP, "wpg_basis", "wpg_basis", S_WPG, S_SIG (wpg_basis), false, 0, 0},
    {S_TOP, "legal_basis", "legal_basis", S_LEGAL_BASIS, S_SIG (legal_basis), true, 1, 32},
    {S_TOP, "special_category", "special_category", S_BOOL, S_SIG (special_category), false, 0, 0},
    {S_TOP, "criminal_data", "criminal_data", S_BOOL, S_SIG (criminal_data), false, 0, 0},
    {S_TOP, "local_ref", "local_ref", S_REF, S_SIG (local_ref), false, 1, 64},
};

/*  What a field of a coded kind must look like, for reasons; NULL for
 *  free text.  The last entry sizes the table to every kind. */
static const char *const s_kind_rule[] = {
    [S_BIRTH_DATE] = "not a valid date YYYY-MM-DD",
    [S_OBSERVED_DATE] = "not a valid date YYYY-MM-DD",
    [S_BSN] = "not 9 digits passing the elfproef",
    [S_CATEGORY] = "must be 1 to 64 of a-z, 0-9 and -",
    [S_REF] = "must be 1 to 64 of A-Z, a-z, 0-9 and . _ / -",
    [S_SOURCE_KIND] = "not a known source kind (docs/SIGNAL-FORMAT.md)",
    [S_LEGAL_BASIS] = "not a known legal basis (docs/SIGNAL-FORMAT.md)",
    [S_BOOL] = NULL,
};

/*  The message a group's fields live in; NULL when a (protobuf) signal
 *  lacks it.  Source fields are flat in Signal. */
static char *
s_base (const Keten__Signal *signal, s_group_t group)
{
    switch (group) {
    case S_SUBJECT:
        return (char *) signal->subject;
    case S_MELDER:
        return (char *) signal->melder;
    default:
        return (char *) signal;
    }
}

static const char *
s_wpg_name (Keten__WpgBasis value)
{
    for (size_t i = 0; i < S_COUNT (s_wpg); i++)
        if (s_wpg[i].value == value)
            return s_wpg[i].name;
    return NULL;
}

static bool
s_charset (const char *s, const char *extra, bool upper)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
              strchr (extra, c)))
            return false;
    }
    return true;
}

/*  Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant,
 *  days_from_civil), so date bounds are integer comparisons. */
static long
s_days (long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/*  Today on the Dutch calendar (Europe/Amsterdam, calendar.h), whatever
 *  TZ this node runs in: the dates in a signal are Dutch calendar dates,
 *  not UTC instants. */
static long
s_today (void)
{
    return (long) kt_local_day (kt_now_ms ());
}

/*  Parse a strict date; -1 when it is not one. */
static int
s_parse_date (const char *s, long *days)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen (s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
            return -1;
    long y = (s[0] - '0') * 1000L + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    long m = (s[5] - '0') * 10L + (s[6] - '0');
    long d = (s[8] - '0') * 10L + (s[9] - '0');
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return -1;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return -1;
    if (days)
        *days = s_days (y, m, d);
    return 0;
}

bool
intake_valid_date (const char *s)
{
    return s_parse_date (s, NULL) == 0;
}

bool
intake_valid_bsn (const char *s)
{
    if (!s || strlen (s) != 9)
        return false;
    int sum = 0;
    bool nonzero = false;
    for (int i = 0; i < 9; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        nonzero |= d != 0;
        /*  Elfproef: weights 9..2 for the first eight digits, -1 for the
         *  last; the sum is a multiple of 11. */
        sum += i < 8 ? (9 - i) * d : -d;
    }
    return nonzero && sum % 11 == 0;
}

/*  The rules of one non-empty string field beyond length and text. */
static int
s_check_coded (const s_field_t *f, const char *v, long today, kt_reason_t *reason)
{
    bool ok = true;
    long days = 0;
    switch (f->kind) {
    case S_BIRTH_DATE:
        if (s_parse_date (v, &days) != 0)
            ok = false;
        else if (days < s_days (1900, 1, 1) || days > today)
            return kt_fail (reason, "%s: must be between 1900-01-01 and today", f->path);
        break;
    case S_OBSERVED_DATE:
        if (s_parse_date (v, &days) != 0)
            ok = false;
        /*  One day of slack for a sender in another time zone or with a
         *  clock just past midnight. */
        else if (days > today + 1)
            return kt_fail (reason, "%s: more than one day in the future", f->path);
        /*  The birth date's lower bound: no observation is older. */
        else if (days < s_days (1900, 1, 1))
            return kt_fail (reason, "%s: must not be before 1900-01-01", f->path);
        break;
    case S_BSN:
        ok = intake_valid_bsn (v);
        break;
    case S_CATEGORY:
        /*  Only the form: the referentiekader's categories are versioned
         *  in the roster (art. 7.3) and checked by the weegploeg. */
        ok = s_charset (v, "-", false);
        break;
    case S_REF:
        ok = s_charset (v, "._/-", true);
        break;
    case S_SOURCE_KIND:
        ok = false;
        for (size_t i = 0; i < S_COUNT (s_source_kinds); i++)
            ok |= strcmp (v, s_source_kinds[i]) == 0;
        break;
    case S_LEGAL_BASIS:
        ok = intake_legal_basis_known (v);
        break;
    default:
        break;
    }
    return ok ? 0 : kt_fail (reason, "%s: %s", f->path, s_kind_rule[f->kind]);
}

/*  Every rule, on a signal however it arrived. */
/*  An OS user as access_user_name writes it: a login name or "uid:N". */
static bool
s_os_user (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_' || *p == ':'))
            return false;
    return true;
}

static int
s_check (const Keten__Signal *signal, kt_reason_t *reason)
{
    if (!signal)
        return kt_fail (reason, "no signal");
    if (!signal->subject)
        return kt_fail (reason, "subject: required");
    if (!signal->melder)
        return kt_fail (reason, "melder: required");
    long today = s_today ();
    for (size_t i = 0; i < S_COUNT (s_fields); i++) {
        const s_field_t *f = &s_fields[i];
        const char *member = s_base (signal, f->group) + f->offset;
        if (f->kind == S_BOOL)
            continue;
        if (f->kind == S_WPG) {
            if (!s_wpg_name (*(const Keten__WpgBasis *) member))
                return kt_fail (reason, "%s: must be none, art-8-13 or art-9-10", f->path);
            continue;
        }
        const char *v = *(char *const *) member;
        size_t len = v ? strlen (v) : 0;
        if (len == 0) {
            if (f->required)
                return kt_fail (reason, "%s: required, must not be empty", f->path);
            continue;
        }
        if (len < f->min || len > f->max) {
            if (s_kind_rule[f->kind])
                return kt_fail (reason, "%s: %s", f->path, s_kind_rule[f->kind]);
            return kt_fail (reason, "%s: must be %zu to %zu bytes", f->path, f->min, f->max);
        }
        intake_text_t t = intake_text_check (v, len, f->kind == S_LINES);
        if (t == INTAKE_TEXT_UTF8)
            return kt_fail (reason, "%s: not valid UTF-8", f->path);
        if (t == INTAKE_TEXT_CONTROL)
            return kt_fail (reason, "%s: contains a control character%s", f->path,
                            f->kind == S_LINES ? " other than newline and tab" : "");

        if (s_check_coded (f, v, today, reason) != 0)
            return -1;
    }
    /*  Police data is processed under the Wpg, so a signal marked as
     *  police data needs a Wpg basis: otherwise art. 9/10 data could pass
     *  as ordinary data and be shared outside its purpose
     *  (docs/SIGNAL-FORMAT.md, "Wpg basis" and "Legal bases"). */
    if (signal->wpg_basis != KETEN__WPG_BASIS__WPG_NONE &&
        strncmp (signal->legal_basis, "wpg-", 4) != 0)
        return kt_fail (reason,
                        "legal_basis: wpg_basis is set, so it must be a Wpg basis (wpg-...)");
    /*  The fields only the police node sets (art. 7.2a, the Wpg
     *  machtigingsbesluit): absent, or a name of bounded text. */
    const struct {
        const char *path, *value;
    } names[] = {{"representative", signal->representative},
                 {"confirmed_by", signal->confirmed_by},
                 {"om_officer", signal->om_officer},
                 {"bevoegd_functionaris", signal->bevoegd_functionaris},
                 {"released_by", signal->released_by}};
    for (size_t i = 0; i < S_COUNT (names); i++)
        if (names[i].value && *names[i].value && !intake_name_ok (names[i].value))
            return kt_fail (reason, "%s: must be 1 to %d bytes of text on one line, not blank",
                            names[i].path, INTAKE_NAME_MAX);
    /*  Who confirmed or released it is an OS user (a login name, or
     *  "uid:N"), and the uitvoerder puts it in the provenance log: a word,
     *  never free text that could carry a person's name. */
    const char *users[] = {signal->confirmed_by, signal->released_by};
    for (size_t i = 0; i < S_COUNT (users); i++)
        if (users[i] && *users[i] && !s_os_user (users[i]))
            return kt_fail (reason, "%s: must be an OS user name (1..64 letters, digits, .-_:)",
                            i ? "released_by" : "confirmed_by");
    /*  art. 7.2: the source is always named (docs/SIGNAL-FORMAT.md,
     *  "Source kinds"); "anders" names nothing by itself. */
    if (strcmp (signal->source_kind, "anders") == 0 &&
        !(signal->source_detail && *signal->source_detail))
        return kt_fail (reason, "source.detail: required when source.kind is anders");
    return items_check (signal, reason);
}

int
intake_signal_check (const Keten__Signal *signal, kt_reason_t *reason)
{
    return s_check (signal, reason);
}

int
intake_signal_new (const Keten__Signal *signal, kt_reason_t *reason)
{
    for (size_t i = 0; i < S_COUNT (s_fields); i++) {
        const s_field_t *f = &s_fields[i];
        if (f->kind != S_TEXT && f->kind != S_LINES)
            continue;
        const char *v = *(char *const *) (s_base (signal, f->group) + f->offset);
        if (!v || !*v)
            continue;
        /*  A required text of spaces only says nothing (a name of three
         *  spaces names nobody). */
        if (f->required && intake_text_blank (v))
            return kt_fail (reason, "%s: required, must not be blank", f->path);
        uint32_t cp = intake_text_reorders (v, f->kind == S_LINES);
        if (cp)
            return kt_fail (reason,
                            "%s: contains U+%04X, a character that changes how the text reads "
                            "(bidi formatting or a line separator); remove it",
                            f->path, (unsigned) cp);
    }
    for (size_t i = 0; i < signal->n_items; i++)
        if (items_new_item (signal->items[i], i, reason) != 0)
            return -1;
    return items_wpg_held (signal, reason);
}

/*  Keys are named in reasons only when they look like a field name: a
 *  key is sender text too, and could be anything. */
static bool
s_plain_key (const char *key)
{
    size_t len = strlen (key);
    return len >= 1 && len <= 40 && s_charset (key, "_-", true);
}

static int
s_known_keys (json_t *obj, s_group_t group, kt_reason_t *reason)
{
    for (void *it = json_object_iter (obj); it; it = json_object_iter_next (obj, it)) {
        const char *key = json_object_iter_key (it);
        bool known = false;
        for (size_t g = S_SUBJECT; g < S_GROUPS && group == S_TOP; g++)
            known |= strcmp (key, s_group_key[g]) == 0;
        known |= group == S_TOP && strcmp (key, "items") == 0; /* items.c */
        for (size_t i = 0; i < S_COUNT (s_fields); i++)
            known |= s_fields[i].group == group && strcmp (key, s_fields[i].key) == 0;
        if (known)
            continue;
        const char *where = group == S_TOP ? "" : s_group_key[group];
        const char *colon = group == S_TOP ? "" : ": ";
        if (s_plain_key (key))
            return kt_fail (reason, "%s%sunknown key \"%s\"", where, colon, key);
        return kt_fail (reason, "%s%sunknown key (not shown: not a plain field name)", where,
                        colon);
    }
    return 0;
}

/*  Point the fields of signal (whose subject and melder are set) at the
 *  strings in root, checking the shape: objects, keys, types.  Nothing is
 *  allocated; the strings stay root's. */
static int
s_decode (json_t *root, Keten__Signal *signal, kt_reason_t *reason)
{
    json_t *obj[S_GROUPS] = {root};
    if (!json_is_object (root))
        return kt_fail (reason, "a signal must be a JSON object");
    if (s_known_keys (root, S_TOP, reason) != 0)
        return -1;
    for (int g = S_SUBJECT; g < S_GROUPS; g++) {
        obj[g] = json_object_get (root, s_group_key[g]);
        if (!obj[g])
            continue; /* reported at its first field, in field order */
        if (!json_is_object (obj[g]))
            return kt_fail (reason, "%s: must be an object", s_group_key[g]);
        if (s_known_keys (obj[g], (s_group_t) g, reason) != 0)
            return -1;
    }
    for (size_t i = 0; i < S_COUNT (s_fields); i++) {
        const s_field_t *f = &s_fields[i];
        if (!obj[f->group])
            return kt_fail (reason, "%s: required", s_group_key[f->group]);
        json_t *v = json_object_get (obj[f->group], f->key);
        char *member = s_base (signal, f->group) + f->offset;
        if (!v) {
            if (f->required)
                return kt_fail (reason, "%s: required", f->path);
            continue;
        }
        if (f->kind == S_BOOL) {
            if (!json_is_boolean (v))
                return kt_fail (reason, "%s: must be true or false", f->path);
            *(protobuf_c_boolean *) member = json_is_true (v);
            continue;
        }
        if (!json_is_string (v))
            return kt_fail (reason, "%s: must be a string", f->path);
        const char *s = json_string_value (v);
        if (strlen (s) != json_string_length (v))
            return kt_fail (reason, "%s: contains a NUL character", f->path);
        if (f->kind == S_WPG) {
            size_t k = 0;
            while (k < S_COUNT (s_wpg) && strcmp (s, s_wpg[k].name) != 0)
                k++;
            /*  Wpg machtigingsbesluit art. 1(2): art. 9 and 10(1)(a) and
             *  (c) data only.  Data a police system marks as art. 10(1)(b)
             *  has no basis to leave the police at all, so it is refused
             *  here rather than held (docs/SIGNAL-FORMAT.md, "Wpg basis"). */
            if (k == S_COUNT (s_wpg) && strcmp (s, "art-10-1-b") == 0)
                return kt_fail (reason,
                                "%s: art. 10(1)(b) Wpg data is not covered by the Wpg "
                                "machtigingsbesluit (only art. 9 and 10(1)(a) and (c)); it is "
                                "not forwarded",
                                f->path);
            if (k == S_COUNT (s_wpg))
                return kt_fail (reason, "%s: must be none, art-8-13 or art-9-10", f->path);
            *(Keten__WpgBasis *) member = s_wpg[k].value;
            continue;
        }
        /*  An optional field is left out, not given empty, when it has a
         *  form (bsn, local_ref): "" is neither absent nor valid. */
        if (!f->required && f->min > 0 && *s == '\0')
            return kt_fail (reason, "%s: empty; leave the key out when there is none", f->path);
        *(char **) member = (char *) s;
    }
    return 0;
}

int
intake_signal_from_object (json_t *obj, Keten__Signal **signal_p, kt_reason_t *reason)
{
    Keten__Signal signal;
    Keten__Subject subject;
    Keten__Melder melder;
    if (!signal_p)
        return kt_fail (reason, "no place for the signal");
    *signal_p = NULL;
    keten__signal__init (&signal);
    keten__subject__init (&subject);
    keten__melder__init (&melder);
    signal.subject = &subject;
    signal.melder = &melder;
    if (s_decode (obj, &signal, reason) != 0)
        return -1;
    Keten__SignalItem **items = NULL;
    if (items_decode (json_object_get (obj, "items"), &items, &signal.n_items, reason) != 0)
        return -1;
    signal.items = items;
    /*  New data: art. 9/10 Wpg data only as a held signal, too. */
    if (s_check (&signal, reason) != 0 || intake_signal_new (&signal, reason) != 0) {
        items_free (items, signal.n_items);
        return -1;
    }

    /*  Pack and unpack to get a copy that owns all of its strings, so that
     *  keten__signal__free_unpacked frees it whole: one allocator, one
     *  free, no hand-written walk over nested messages to get wrong. */
    size_t size = keten__signal__get_packed_size (&signal);
    /*  As large as a binary submission may be: a signal in a request of
     *  the local API (whose frame may be 1 MiB) is held to it too. */
    if (size > INTAKE_MAX_BYTES) {
        items_free (items, signal.n_items);
        return kt_fail (reason, "signal is larger than %d bytes", INTAKE_MAX_BYTES);
    }
    uint8_t *buf = malloc (size ? size : 1);
    if (!buf) {
        items_free (items, signal.n_items);
        return kt_fail (reason, "out of memory");
    }
    keten__signal__pack (&signal, buf);
    items_free (items, signal.n_items);
    Keten__Signal *copy = keten__signal__unpack (NULL, size, buf);
    free (buf);
    if (!copy)
        return kt_fail (reason, "out of memory");
    *signal_p = copy;
    return 0;
}

/*  Whether message m, or one inside it, carries fields this release does
 *  not know. */
static bool
s_unknown_fields (const Keten__Signal *m)
{
    if (m->base.n_unknown_fields || (m->subject && m->subject->base.n_unknown_fields) ||
        (m->melder && m->melder->base.n_unknown_fields))
        return true;
    for (size_t i = 0; i < m->n_items; i++)
        if (m->items[i]->base.n_unknown_fields)
            return true;
    return false;
}

int
intake_signal_from_packed (const uint8_t *data, size_t len, Keten__Signal **signal_p,
                           kt_reason_t *reason)
{
    if (!signal_p)
        return kt_fail (reason, "no place for the signal");
    *signal_p = NULL;
    if (len > INTAKE_MAX_BYTES)
        return kt_fail (reason, "signal is larger than %d bytes", INTAKE_MAX_BYTES);
    Keten__Signal *s = keten__signal__unpack (NULL, len, data);
    if (!s)
        return kt_fail (reason, "not a packed Signal message");
    int rc = 0;
    if (s_unknown_fields (s))
        rc = kt_fail (reason, "has fields a Signal does not");
    /*  What the police node sets itself (art. 7.2a, the Wpg
     *  machtigingsbesluit) never comes from a caller, as in JSON. */
    else if (s->released_ms || s->opsporingsbelang_checked || s->om_consulted ||
             *s->representative || *s->confirmed_by || *s->om_officer || *s->bevoegd_functionaris ||
             *s->released_by)
        rc = kt_fail (reason, "sets a field only the police node sets (release, representative)");
    /*  A string with a NUL inside would be cut there without a word:
     *  packed again, the signal would be shorter than it came. */
    else if (keten__signal__get_packed_size (s) != len)
        rc = kt_fail (reason, "not in the canonical encoding (a NUL in a string, a field "
                              "given twice or an empty one written out)");
    else if ((rc = s_check (s, reason)) == 0)
        rc = intake_signal_new (s, reason);
    if (rc != 0) {
        keten__signal__free_unpacked (s, NULL);
        return -1;
    }
    *signal_p = s;
    return 0;
}

/*  jansson's error codes, in our words.  err.text quotes the text near the
 *  error ("near 'Jansen'"), which may be personal data, so it is never
 *  shown: only these words and the position. */
static const struct {
    enum json_error_code code;
    const char *what;
} s_json_errors[] = {
    {json_error_invalid_utf8, "not valid UTF-8"},
    {json_error_duplicate_key, "duplicate key"},
    {json_error_null_character, "NUL character in a string"},
    {json_error_null_byte_in_key, "NUL character in a key"},
    {json_error_premature_end_of_input, "JSON ends too early"},
    {json_error_end_of_input_expected, "text after the JSON value"},
    {json_error_numeric_overflow, "number out of range"},
    {json_error_stack_overflow, "nested too deeply"},
    {json_error_out_of_memory, "out of memory"},
};

const char *
intake_json_error (const json_error_t *err)
{
    for (size_t i = 0; i < S_COUNT (s_json_errors); i++)
        if (s_json_errors[i].code == json_error_code (err))
            return s_json_errors[i].what;
    return "not valid JSON";
}

int
intake_signal_from_json (const char *text, size_t len, Keten__Signal **signal_p,
                         kt_reason_t *reason)
{
    if (signal_p)
        *signal_p = NULL;
    /*  Bound first: nothing larger is even parsed. */
    if (len > INTAKE_MAX_BYTES)
        return kt_fail (reason, "signal is larger than %d bytes", INTAKE_MAX_BYTES);
    if (!text || len == 0)
        return kt_fail (reason, "signal is empty");
    /*  jansson refuses \u0000 in strings unless JSON_ALLOW_NUL is given,
     *  and refuses a scalar at the top level unless JSON_DECODE_ANY is. */
    json_error_t err;
    json_t *root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return kt_fail (reason, "%s at line %d, column %d", intake_json_error (&err), err.line,
                        err.column);
    int rc = intake_signal_from_object (root, signal_p, reason);
    json_decref (root);
    return rc;
}

void
intake_signal_destroy (Keten__Signal **signal_p)
{
    if (signal_p && *signal_p) {
        keten__signal__free_unpacked (*signal_p, NULL);
        *signal_p = NULL;
    }
}

/*  Set key to value (taken, also on failure) in obj; -1 when either
 *  could not be made or the set failed. */
static int
s_set (json_t *obj, const char *key, json_t *value)
{
    if (!obj || !value) {
        json_decref (value);
        return -1;
    }
    return json_object_set_new (obj, key, value);
}

json_t *
intake_signal_to_object (const Keten__Signal *signal)
{
    if (!signal)
        return NULL;
    json_t *root = json_object ();
    json_t *obj[S_GROUPS] = {root};
    int rc = root ? 0 : -1;
    for (size_t i = 0; i < S_COUNT (s_fields) && rc == 0; i++) {
        const s_field_t *f = &s_fields[i];
        const char *base = s_base (signal, f->group);
        if (!base)
            continue;
        const char *member = base + f->offset;
        json_t *value = NULL;
        /*  Empty optional fields and defaults are left out, as a sender
         *  would: to_object (from_json (x)) gives back x. */
        if (f->kind == S_BOOL) {
            if (*(const protobuf_c_boolean *) member)
                value = json_true ();
        } else if (f->kind == S_WPG) {
            Keten__WpgBasis wpg = *(const Keten__WpgBasis *) member;
            if (wpg != KETEN__WPG_BASIS__WPG_NONE) {
                const char *name = s_wpg_name (wpg);
                if (!name)
                    rc = -1;
                else
                    value = json_string (name);
                if (!value)
                    rc = -1;
            }
        } else {
            const char *s = *(char *const *) member;
            /*  json_string refuses invalid UTF-8: an unchecked signal
             *  yields NULL rather than invalid JSON. */
            if (s && *s && !(value = json_string (s)))
                rc = -1;
        }
        if (!value || rc != 0)
            continue;
        if (!obj[f->group]) {
            obj[f->group] = json_object ();
            rc = s_set (root, s_group_key[f->group], obj[f->group]);
            if (rc != 0) {
                json_decref (value);
                continue;
            }
        }
        rc = s_set (obj[f->group], f->key, value);
    }
    json_t *items = rc == 0 ? items_to_json (signal->items, signal->n_items) : NULL;
    if (items)
        rc = s_set (root, "items", items);
    if (rc != 0) {
        json_decref (root);
        return NULL;
    }
    return root;
}
