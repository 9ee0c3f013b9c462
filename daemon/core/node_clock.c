/*  node_clock: the federation's word on this node's wall clock, and the
 *  guard of the steps that cannot be undone (docs/RETENTION.md, "A clock
 *  the federation confirms").  Every authenticated heartbeat - the
 *  members' at the uitvoerder, the uitvoerder's replies at a member - is
 *  a measurement, also one the acceptance window refused: a clock far
 *  off is exactly what it must show.  Memory only; the monotonic clock
 *  says how old a measurement is and how long a step has waited.
 */
#include "node_core.h"

#include "clockcheck.h"

#include <string.h>

/*  How long retention may wait before the warning is raised without a
 *  peer that disagrees (a start waits for the first heartbeat), and
 *  when the wait becomes critical. */
#define NODE_CLOCK_WAIT_WARN_MS (15u * 60 * 1000)
#define NODE_CLOCK_WAIT_CRIT_MS (24u * 3600 * 1000)

static uint64_t
s_mono_ms (void)
{
    return kt_mono_us () / 1000;
}

/*  ms as whole seconds, rounded: the wall and monotonic clocks are read
 *  a moment apart, so a step of 60 s may measure 59,999 ms. */
static long long
s_round_s (int64_t ms)
{
    return (long long) (ms >= 0 ? (ms + 500) / 1000 : -((-ms + 500) / 1000));
}

/*  The operator's confirmation, ended or voided by a step or by a peer
 *  whose skew moved: said once. */
static void
s_operator (node_t *self, uint64_t mono, uint64_t wall)
{
    int64_t step = 0;
    clockcheck_operator_t o = clockcheck_operator (self->clock, mono, wall, &step);
    if (o == CLOCKCHECK_OPERATOR_ENDED)
        kt_log (KT_LOG_INFO, "clock operator_confirmation_ended: the guarded steps wait again for "
                             "a peer that confirms this node's clock, or keten clock confirm");
    else if (o == CLOCKCHECK_OPERATOR_STEPPED)
        kt_log (KT_LOG_ERROR,
                "clock operator_confirmation_void step_s=%lld: this node's wall clock stepped "
                "%lld s since the operator confirmed it; the guarded steps wait for a peer that "
                "confirms it, or a new keten clock confirm once it is checked again",
                (long long) s_round_s (step), (long long) s_round_s (step));
    else if (o == CLOCKCHECK_OPERATOR_PEER_MOVED) {
        const char *peer = clockcheck_operator_moved_peer (self->clock);
        kt_log (KT_LOG_ERROR,
                "clock operator_confirmation_void peer=%s moved_s=%lld: %s's clock less this "
                "node's moved %lld s since the operator confirmed it, more than clock-skew-ms "
                "(one of the two clocks drifted or was slewed); the guarded steps wait for a "
                "peer that confirms it, or a new keten clock confirm once it is checked again",
                peer, (long long) s_round_s (step), peer, (long long) s_round_s (step));
    }
}

/*  The verdict now; a wall clock past INT64_MAX / 2 confirms nothing. */
static clockcheck_verdict_t
s_verdict (node_t *self, uint64_t mono)
{
    uint64_t wall = kt_now_ms ();
    if (wall >= (uint64_t) INT64_MAX / 2 || mono >= (uint64_t) INT64_MAX / 2)
        return (clockcheck_verdict_t){0};
    s_operator (self, mono, wall);
    return clockcheck_verdict (self->clock, mono, wall, self->config.clock_skew_ms);
}

void
node_clock_heard (node_t *self, const node_message_t *m)
{
    const envelope_opened_t *o = &m->opened;
    if (!self->clock || !o->header || !o->sender || !m->peer ||
        o->header->type != KETEN__MESSAGE_TYPE__HEARTBEAT)
        return;
    uint64_t now = kt_now_ms ();
    uint64_t sent = o->header->created_ms;
    if (sent >= (uint64_t) INT64_MAX / 2 || now >= (uint64_t) INT64_MAX / 2)
        return;
    int64_t skew = (int64_t) sent - (int64_t) now;
    const char *peer = m->peer->member->id;
    clockcheck_heard_t h =
        clockcheck_heard (self->clock, peer, skew, s_mono_ms (), now, self->config.clock_skew_ms);
    /*  Said when a peer's agreement changes, not per heartbeat. */
    if (h == CLOCKCHECK_HEARD_DISAGREES)
        kt_log (KT_LOG_ERROR,
                "clock disagrees peer=%s skew_s=%lld: %s's clock is %lld s %s this node's, "
                "outside clock-skew-ms; whichever is wrong, retention's destruction waits here "
                "until the clocks agree (docs/OPERATIONS.md, \"Clocks\")",
                peer, (long long) (skew / 1000), peer,
                (long long) ((skew < 0 ? -skew : skew) / 1000), skew < 0 ? "behind" : "ahead of");
    else if (h == CLOCKCHECK_HEARD_AGREES)
        kt_log (KT_LOG_INFO, "clock agrees peer=%s skew_ms=%lld", peer, (long long) skew);
    /*  A measurement may void the operator's confirmation: said now, not
     *  at the next verdict. */
    s_operator (self, s_mono_ms (), now);
}

bool
node_clock_confirmed (node_t *self, char *why, size_t len)
{
    clockcheck_verdict_t v = s_verdict (self, s_mono_ms ());
    clockcheck_words (&v, why, len);
    return v.confirmed;
}

int
node_clock_guard (node_t *self, const char *what, kt_reason_t *reason)
{
    uint64_t mono = s_mono_ms ();
    clockcheck_verdict_t v = s_verdict (self, mono);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    if (v.confirmed) {
        if (self->clock_waiting_mono_ms)
            kt_log (KT_LOG_INFO, "%s resumed waited_s=%llu: %s", what,
                    (unsigned long long) ((mono - self->clock_waiting_mono_ms) / 1000), words);
        self->clock_waiting_mono_ms = 0;
        return 0;
    }
    if (!self->clock_waiting_mono_ms) {
        self->clock_waiting_mono_ms = mono ? mono : 1;
        kt_log (v.disagree ? KT_LOG_ERROR : KT_LOG_INFO,
                "%s deferred: %s; nothing is destroyed until its peers confirm this node's clock "
                "(docs/RETENTION.md, \"A clock the federation confirms\")",
                what, words);
    }
    return kt_fail (reason, "%s waits for a clock the federation confirms: %s", what, words);
}

void
node_clock_status (node_t *self, json_t *r)
{
    uint64_t mono = s_mono_ms ();
    clockcheck_verdict_t v = s_verdict (self, mono);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    json_t *c = json_pack ("{s:b, s:I, s:I, s:s}", "confirmed", v.confirmed, "agree",
                           (json_int_t) v.agree, "disagree", (json_int_t) v.disagree, "why", words);
    if (!c)
        return;
    /*  The start's window: the peers' word counts after it. */
    if (v.settling_ms)
        json_object_set_new (c, "settling_s",
                             json_integer ((json_int_t) ((v.settling_ms + 999) / 1000)));
    if (v.disagree) {
        json_object_set_new (c, "skew_ms", json_integer ((json_int_t) v.skew_ms));
        json_object_set_new (c, "peer", json_string (v.peer));
    }
    /*  keten clock confirm in force: how long still, and whether the
     *  guard rests on it alone (statuscheck.c: clock_confirmed_by_operator). */
    if (v.operator_left_ms) {
        json_object_set_new (c, "operator_left_s",
                             json_integer ((json_int_t) (v.operator_left_ms / 1000)));
        json_object_set_new (c, "by_operator", json_boolean (v.by_operator));
    }
    /*  Retention waits (node_clock_guard): a warning once a peer
     *  disagrees or it has waited a quarter of an hour, critical after a
     *  day (statuscheck.c: retention_clock_waiting, retention_clock_overdue). */
    if (self->clock_waiting_mono_ms && !v.confirmed) {
        uint64_t waited = mono - self->clock_waiting_mono_ms;
        json_object_set_new (c, "retention_waiting_s", json_integer ((json_int_t) (waited / 1000)));
        if (waited >= NODE_CLOCK_WAIT_CRIT_MS)
            json_object_set_new (c, "retention_overdue", json_true ());
        else if (v.disagree || waited >= NODE_CLOCK_WAIT_WARN_MS)
            json_object_set_new (c, "retention_waiting", json_true ());
    }
    json_object_set_new (r, "clock", c);
    /*  Peers that measured us disagree and no more of them agree (the
     *  operator's word settles the guard, not the disagreement): this
     *  node's own alarm (docs/OPERATIONS.md, "Clocks"). */
    json_t *alarms = json_object_get (r, "alarms");
    if (v.disagree && (v.agree <= v.disagree || v.by_operator) && json_is_array (alarms))
        json_array_append_new (alarms, json_string ("clock_skew"));
}

/*  keten clock confirm: the operator states that they checked this
 *  node's wall clock against an outside source (docs/OPERATIONS.md,
 *  "Confirming the clock by hand").  Recorded in the access table (no
 *  case_ref: nothing was read) and the journal, before it counts. */
void
node_clock_confirm (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    json_t *h = json_object_get (args, "hours");
    json_int_t hours = h ? json_integer_value (h) : 24;
    if (hours < 1 || hours > (json_int_t) (CLOCKCHECK_OPERATOR_MAX_MS / 3600000u)) {
        apiserver_reply_error (self->api, caller, "hours must be an integer from 1 to 24");
        return;
    }
    uint64_t mono = s_mono_ms (), wall = kt_now_ms ();
    if (wall >= (uint64_t) INT64_MAX / 2 || mono >= (uint64_t) INT64_MAX / 2) {
        apiserver_reply_error (self->api, caller, "this node's wall clock cannot be read");
        return;
    }
    char what[64], user[65];
    snprintf (what, sizeof what, "clock.confirm:%lldh", (long long) hours);
    kt_reason_t reason;
    if (node_record_act (self, caller, what, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "clock confirm_not_recorded reason=\"%s\"", reason.text);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    uint64_t for_ms = (uint64_t) hours * 3600u * 1000u;
    clockcheck_operator_confirm (self->clock, mono, wall, for_ms);
    access_user_name (caller->uid, user, sizeof user);
    clockcheck_verdict_t v = s_verdict (self, mono);
    kt_log (KT_LOG_WARN,
            "clock confirmed_by_operator user=%s uid=%u hours=%lld wall_ms=%llu peers_agree=%zu "
            "peers_disagree=%zu: the operator states this node's clock is right; the guarded "
            "steps run on it until it ends, the clock steps or a peer's skew moves",
            user, (unsigned) caller->uid, (long long) hours, (unsigned long long) wall, v.agree,
            v.disagree);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:I, s:I, s:I, s:I}", "wall_ms", (json_int_t) wall, "until_ms",
                                   (json_int_t) (wall + for_ms), "agree", (json_int_t) v.agree,
                                   "disagree", (json_int_t) v.disagree));
}
