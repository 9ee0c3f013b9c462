/*  config: a node's ZPL configuration file (CZMQ zconfig), checked once
 *  here; the rest of the code receives only a validated config_t.
 *
 *  Relative paths in the file are taken relative to the file's directory.
 *  Unknown keys are errors (a typo must not silently fall back to a
 *  default).  Every key and its default is documented in configs/ and
 *  docs/CONFIG.md.
 */
#ifndef KETEN_CONFIG_H
#define KETEN_CONFIG_H

#include "util.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONFIG_ENDPOINT_MAX 255

typedef struct {
    /* node */
    char id[65];                     /* node/id: roster member id of this node */
    char key_file[PATH_MAX];         /* node/key-file: ID.secret */
    char state_dir[PATH_MAX];        /* node/state-dir: SQLite files live here */
    char socket_path[108];           /* node/socket: local API Unix socket */
    char roster_file[PATH_MAX];      /* node/roster: signed roster file */
    char uitvoerder_key[256];        /* node/uitvoerder-key: pinned roster signer (note verifier key) */
    char log_level[8];               /* node/log-level: debug|info|warn|error (info) */
    uint32_t test_federation;        /* node/test-federation: example referentiekader allowed (0; 0..1) */
    /* transport */
    char bind[CONFIG_ENDPOINT_MAX + 1];    /* transport/bind: uitvoerder only */
    char connect[CONFIG_ENDPOINT_MAX + 1]; /* transport/connect: partners only */
    uint32_t max_message;            /* transport/max-message bytes (1048576; 4096..67108864) */
    uint32_t hwm;                    /* transport/hwm messages (10000; 100..1000000) */
    uint32_t heartbeat_ms;           /* transport/heartbeat-ms (1000; 100..60000) */
    uint32_t heartbeat_timeout_ms;   /* transport/heartbeat-timeout-ms (5000; >= 2 x heartbeat) */
    /* delivery */
    uint32_t retry_min_ms;           /* delivery/retry-min-ms (200; 10..60000) */
    uint32_t retry_max_ms;           /* delivery/retry-max-ms (30000; >= retry-min, <= 3600000) */
    uint32_t max_inflight;           /* delivery/max-inflight (8192; 1..1000000) */
    uint32_t batch_max;              /* delivery/batch-max (256; 1..4096) */
    uint32_t clock_skew_ms;          /* delivery/clock-skew-ms (300000; 1000..3600000) */
    uint32_t max_age_s;              /* delivery/max-age-s (2592000 = 30 days; 60..31536000) */
    /* intake */
    char intake_key[48];             /* the first intake key the file sets, "" when it sets
                                        none (set by config_load) */
    char spool_dir[PATH_MAX];        /* intake/spool-dir: JSON signals forwarded automatically ("") */
    char spool_state_dir[PATH_MAX];  /* intake/spool-state-dir: ketend's own (SPOOL-DIR.state) */
    uint32_t spool_poll_ms;          /* intake/spool-poll-ms (500; 50..60000) */
    uint32_t rejected_keep_days;     /* intake/rejected-keep-days (14; 1..365) */
    char release_group[33];          /* intake/release-group: may release held signals ("": nobody) */
    char representative_group[33];   /* intake/representative-group: the police representative ("": nobody) */
    char representative_mode[16];    /* intake/representative-mode: auto (default) or confirm */
    bool representative_confirm;     /* representative-mode is confirm (set by config_load) */
    char representative[201];        /* intake/representative: the representative's name ("") */
    /* access: the local group each right needs (docs/API.md, "Who may do what"); "": nobody */
    char read_group[33];             /* access/read-group */
    char submit_group[33];           /* access/submit-group */
    char weegploeg_group[33];        /* access/weegploeg-group */
    char disclosure_group[33];       /* access/disclosure-group */
    char rights_group[33];           /* access/rights-group */
    char audit_group[33];            /* access/audit-group */
    char admin_group[33];            /* access/admin-group */
    uint32_t access_review_days;     /* access/review-days: access review due after (91; 1..3650) */
    /* agenda */
    char ics_dir[PATH_MAX];          /* agenda/ics-dir: write MEETING.ics here ("": off) */
    char agenda_hook[PATH_MAX];      /* agenda/hook: run on each agenda received ("": off) */
    uint32_t ics_personal_data;      /* agenda/ics-personal-data: names in the .ics (0; 0..1) */
    /* weegploeg (uitvoerder) */
    char referentiekader_file[PATH_MAX]; /* weegploeg/referentiekader: criteria file ("": none) */
    uint32_t review_days;            /* weegploeg/review-days: accuracy review (90; 1..3650) */
    /* metrics */
    char metrics_listen[64];         /* metrics/listen: Prometheus HOST:PORT ("": off) */
    uint32_t metrics_allow_remote;   /* metrics/allow-remote: beyond loopback (0; 0..1) */
} config_t;

/*  Load and validate path.  On failure the reason names the file, the key
 *  and what is wrong with it. */
int config_load (const char *path, config_t *out, kt_reason_t *reason);

/*  metrics/listen: "A.B.C.D:PORT" or "[IPv6]:PORT", PORT 1..65535 or "*"
 *  (any free port; *addr gets port 0).  *loopback tells whether the
 *  address is a loopback one.  The one parser of this key. */
int config_parse_listen (const char *text, struct sockaddr_storage *addr, socklen_t *addr_len,
                         bool *loopback, kt_reason_t *reason);

#endif
