/*  node_audit: the review of the access log and who holds which right, at
 *  every node (art. 15.2e-f).
 *
 *  The access table (daemon/store/access.c) holds every read of personal
 *  data and every refused command.  Art. 15.2e asks that it is looked at
 *  periodically; this file records that it was (`keten audit review`),
 *  says in status when it is due again (access/review-days after the last
 *  review, or after the node's first start when none was recorded yet),
 *  and answers art. 15.2f's "who is authorised for what" from the host's
 *  own group database and the roster (`keten audit grants`).
 */
#include "node_core.h"
#include "render.h"

#include "calendar.h"
#include "intake.h" /* intake_valid_date */

#include <grp.h>
#include <pwd.h>
#include <string.h>

#define S_DAY_MS (24ull * 3600 * 1000)
/*  A review's finding: text the reviewer writes, bounded. */
#define S_FINDING_MAX 2000
/*  At most this many users are listed per group: a directory service may
 *  hold very many; the answer says when it was cut. */
#define S_GRANT_USERS_MAX 1000

int
node_audit_first_start (node_t *self, kt_reason_t *reason)
{
    if (node_meta_get (self, "first_start_ms", -1) >= 0)
        return 0;
    return node_meta_set (self, "first_start_ms", self->started_ms, reason);
}

void
node_audit_status (node_t *self, json_t *status)
{
    uint64_t now = kt_now_ms ();
    uint64_t period = (uint64_t) self->config.access_review_days * S_DAY_MS;
    int64_t last = -1;
    kt_reason_t reason;
    if (access_review_last (self->access, &last, &reason) != 0) {
        /*  Not knowing is reported as due: the operator looks, and sees why
         *  in the journal. */
        kt_log (KT_LOG_ERROR, "status access_review_unreadable reason=\"%s\"", reason.text);
        json_object_set_new (status, "access_review_due", json_true ());
        json_object_set_new (status, "access_review_days",
                             json_integer (self->config.access_review_days));
        return;
    }
    /*  From the last review, or (none yet) from the node's first start. */
    int64_t first = node_meta_get (self, "first_start_ms", (int64_t) self->started_ms);
    uint64_t since = last >= 0 ? (uint64_t) last : (uint64_t) (first >= 0 ? first : 0);
    json_object_set_new (status, "access_review_due", json_boolean (now > since + period));
    json_object_set_new (status, "access_review_days",
                         json_integer (self->config.access_review_days));
    if (last >= 0)
        json_object_set_new (status, "access_review_last_ms", json_integer (last));
}

/*  A finding: 1..S_FINDING_MAX bytes, no control character but newline
 *  (jansson has checked it is UTF-8). */
static const char *
s_finding_problem (const char *text, size_t len)
{
    if (len < 1 || len > S_FINDING_MAX)
        return "finding must be 1..2000 bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            return "finding may hold no control characters but newlines";
    }
    return NULL;
}

void
node_audit_review (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    json_t *from = args ? json_object_get (args, "from") : NULL;
    json_t *to = args ? json_object_get (args, "to") : NULL;
    json_t *finding = args ? json_object_get (args, "finding") : NULL;
    /*  Today on the Dutch calendar (calendar.h), as the reviewer reads
     *  it, whatever the daemon's TZ. */
    char today[11];
    kt_local_date (kt_now_ms (), today);
    const char *problem = NULL;
    if (!json_is_string (from) || !intake_valid_date (json_string_value (from)))
        problem = "from must be a date YYYY-MM-DD";
    else if (!json_is_string (to) || !intake_valid_date (json_string_value (to)))
        problem = "to must be a date YYYY-MM-DD";
    else if (strcmp (json_string_value (from), json_string_value (to)) > 0)
        problem = "the period's start is after its end";
    else if (strcmp (json_string_value (to), today) > 0)
        problem = "the period ends after today: only what was logged can be reviewed";
    else if (!json_is_string (finding))
        problem = "finding must be a string";
    else
        problem = s_finding_problem (json_string_value (finding), json_string_length (finding));
    if (problem) {
        apiserver_reply_error (self->api, caller, problem);
        return;
    }
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    if (access_review_add (self->access, caller->uid, json_string_value (from),
                           json_string_value (to), json_string_value (finding), now,
                           &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    /*  The finding is the reviewer's text: not in the journal. */
    kt_log (KT_LOG_INFO, "access review recorded user=%s uid=%u from=%s to=%s", user,
            (unsigned) caller->uid, json_string_value (from), json_string_value (to));
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:I, s:s, s:s, s:s}", "at_ms", (json_int_t) now, "user", user,
                                   "from", json_string_value (from), "to", json_string_value (to)));
}

static int
s_review_row (void *arg, const access_review_t *row, kt_reason_t *reason)
{
    return render_append (
        arg,
        json_pack ("{s:I, s:I, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t) row->id, "at_ms",
                   (json_int_t) row->at_ms, "uid", (json_int_t) row->uid, "user", row->user, "from",
                   row->period_from, "to", row->period_to, "finding", row->finding),
        reason);
}

void
node_audit_reviews (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    json_t *list = json_array ();
    render_reply (self->api, caller, "reviews",
                  render_done (list, access_review_each (self->access, node_limit (args),
                                                         s_review_row, list, &reason)),
                  &reason);
}

static bool
s_listed (json_t *users, const char *name)
{
    for (size_t i = 0; i < json_array_size (users); i++)
        if (streq (json_string_value (json_array_get (users, i)), name))
            return true;
    return false;
}

/*  Add name to users unless listed; *cut when more than S_GRANT_USERS_MAX. */
static void
s_add_user (json_t *users, const char *name, bool *cut)
{
    if (*cut || s_listed (users, name))
        return;
    if (json_array_size (users) >= S_GRANT_USERS_MAX)
        *cut = true;
    else
        json_array_append_new (users, json_string (name));
}

void
node_audit_grants (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    /*  Who holds each right's group: its supplementary members, then every
     *  user whose primary group it is.  The user database is walked once
     *  for all rights (with a directory service behind it, each walk is a
     *  directory search on the event loop). */
    json_t *users[NODE_RIGHT_COUNT] = {0};
    gid_t gids[NODE_RIGHT_COUNT] = {0};
    bool cut[NODE_RIGHT_COUNT] = {0}, any = false;
    for (node_right_t r = NODE_RIGHT_NONE + 1; r < NODE_RIGHT_COUNT; r++) {
        const char *group = node_right_group (&self->config, r);
        struct group *gr = *group ? getgrnam (group) : NULL;
        if (!gr)
            continue;
        any = true;
        gids[r] = gr->gr_gid;
        users[r] = json_array ();
        for (char **m = gr->gr_mem; m && *m; m++)
            s_add_user (users[r], *m, &cut[r]);
    }
    if (any) {
        setpwent ();
        struct passwd *pw;
        while ((pw = getpwent ()))
            for (node_right_t r = NODE_RIGHT_NONE + 1; r < NODE_RIGHT_COUNT; r++)
                if (users[r] && pw->pw_gid == gids[r])
                    s_add_user (users[r], pw->pw_name, &cut[r]);
        endpwent ();
    }
    json_t *rights = json_array ();
    for (node_right_t r = NODE_RIGHT_NONE + 1; r < NODE_RIGHT_COUNT; r++) {
        const char *group = node_right_group (&self->config, r);
        json_t *row = json_pack ("{s:s, s:s}", "setting", node_right_setting (r), "group", group);
        json_object_set_new (row, "exists", json_boolean (users[r] != NULL));
        json_object_set_new (row, "users", users[r] ? users[r] : json_array ());
        if (cut[r])
            json_object_set_new (row, "users_cut", json_true ());
        json_array_append_new (rights, row);
    }
    /*  art. 15.2f: which member holds which role, as the signed roster in
     *  force says; the same at every node. */
    const roster_t *roster = keyring_roster (self->keyring);
    json_t *members = json_array ();
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        json_array_append_new (members, json_pack ("{s:s, s:s, s:s, s:b}", "id", m->id, "kind",
                                                   m->kind, "role", roster_role_name (m->role),
                                                   "active", roster_member_active (m, now)));
    }
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:o, s:I, s:o}", "node", self->config.id, "rights",
                                   rights, "roster_version", (json_int_t) roster->version,
                                   "members", members));
}
