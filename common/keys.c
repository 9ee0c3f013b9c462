/*  keys: a node's key files (ZPL, docs/KEYS.md).
 *
 *  The secret file is the one thing on a node that lets someone speak for
 *  its organisation, so it is read the way OpenSSH reads a private key: no
 *  symlinks, owner only, and every byte that held a secret is wiped once
 *  the keys are in sodium_malloc'd memory.
 */
#include "keys.h"

#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*  A key file is a few hundred bytes; anything much bigger is not one. */
#define KEYS_FILE_MAX (16 * 1024)
#define KEYS_SECTION "keten-keys"

typedef enum {
    K_ID,
    K_NAME,
    K_KIND,
    K_TRANSPORT_PK,
    K_SIGNING_PK,
    K_ENCRYPTION_PK,
    K_TRANSPORT_SK, /* first secret field: only in ID.secret */
    K_SIGNING_SK,
    K_ENCRYPTION_SK,
    K_STORAGE_KEY,
    K_COUNT
} s_field_t;

static const char *s_field_names[K_COUNT] = {
    "id",
    "name",
    "kind",
    "transport-public",
    "signing-public",
    "encryption-public",
    "transport-secret",
    "signing-secret",
    "encryption-secret",
    "storage-secret",
};

/*  art. 1 and bijlage 1: the organisations that can be party to the
 *  convenant, plus the uitvoerder that keeps the shared files (art. 5). */
static const char *s_kinds[] = {"gemeente",     "politie", "om",        "rvdk",
                                "reclassering", "extern",  "uitvoerder"};

bool
keys_valid_kind (const char *kind)
{
    if (!kind)
        return false;
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
        if (streq (kind, s_kinds[i]))
            return true;
    return false;
}

bool
keys_valid_name (const char *name)
{
    if (!name)
        return false;
    const unsigned char *p = (const unsigned char *) name;
    size_t len = strlen (name);
    if (len < 1 || len > KEYS_NAME_MAX)
        return false;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f || c == '"')
                return false;
            i++;
            continue;
        }
        /*  Multibyte UTF-8: shortest form only, no surrogates, no C1
         *  controls (U+0080..U+009F), nothing past U+10FFFF. */
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
        } else
            return false;
        if (i + n > len)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return false;
        i += n;
    }
    return true;
}

/*  One "    key = value" line as keten keygen writes it (a subset of ZPL). */
static bool
s_key_line_ok (const char *p, size_t n)
{
    if (n < 4 || memcmp (p, "    ", 4) != 0)
        return false;
    size_t i = 4;
    while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || p[i] == '-'))
        i++;
    if (i == 4)
        return false;
    while (i < n && p[i] == ' ')
        i++;
    if (i == n || p[i] != '=')
        return false;
    for (i++; i < n && p[i] == ' '; i++)
        ;
    if (i < n && p[i] == '"') {
        const char *quote = memchr (p + i + 1, '"', n - i - 1);
        if (!quote)
            return false;
        for (i = (size_t) (quote - p) + 1; i < n && p[i] == ' '; i++)
            ;
        return i == n || p[i] == '#';
    }
    return i == n || p[i] != '\'';
}

/*  Key files are written by keten keygen: accept only that shape, before
 *  zconfig sees the text.  zconfig prints a line it cannot parse to
 *  stdout, and in a secret file that line may hold a key.  Errors here
 *  name the line number, never its contents. */
static int
s_check_key_lines (const char *data, size_t len, const char *path, kt_reason_t *reason)
{
    const char *p = data, *end = data + len;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *e = nl ? nl : end;
        while (e > p && isspace ((unsigned char) e[-1]))
            e--;
        size_t n = (size_t) (e - p);
        bool section = n == strlen (KEYS_SECTION) && memcmp (p, KEYS_SECTION, n) == 0;
        if (n > 0 && p[0] != '#' && !section && !s_key_line_ok (p, n))
            return kt_fail (reason,
                            "%s: line %zu is not '" KEYS_SECTION "', a comment or "
                            "'    key = value'",
                            path, line);
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/*  zconfig_chunk_load copies each line through a 1 KiB buffer on its own
 *  stack.  Called from the same frame right after, this overwrites that
 *  region so no line of a secret file survives there. */
static void __attribute__ ((noinline)) s_scrub_stack (void)
{
    uint8_t pad[4096];
    sodium_memzero (pad, sizeof pad);
    __asm__ __volatile__("" : : "r"(pad) : "memory");
}

/*  Wipe every secret value in the parsed tree before it is freed. */
static void
s_wipe_secret_values (zconfig_t *root)
{
    zconfig_t *section = root ? zconfig_locate (root, KEYS_SECTION) : NULL;
    for (zconfig_t *item = section ? zconfig_child (section) : NULL; item;
         item = zconfig_next (item)) {
        char *value = zconfig_value (item);
        for (int k = K_TRANSPORT_SK; k < K_COUNT; k++)
            if (value && streq (zconfig_name (item), s_field_names[k]))
                sodium_memzero (value, strlen (value));
    }
}

/*  Decode one hex field of exactly len bytes. */
static int
s_hex_field (uint8_t *out, size_t len, const char *value, s_field_t field, const char *path,
             kt_reason_t *reason)
{
    if (kt_unhex (out, len, value) != 0)
        return kt_fail (reason, "%s: %s must be %zu hex digits", path, s_field_names[field],
                        2 * len);
    return 0;
}

/*  The values of the one section, indexed by field: unknown, duplicate and
 *  nested keys refused, and every field a file of its kind needs present.
 *  sec: whether this is a secret file. */
static int
s_collect_values (zconfig_t *section, const char *path, bool sec, const char *value[K_COUNT],
                  kt_reason_t *reason)
{
    for (int k = 0; k < K_COUNT; k++)
        value[k] = NULL;
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        int k = 0;
        while (k < K_COUNT && !streq (name, s_field_names[k]))
            k++;
        if (k == K_COUNT)
            return kt_fail (reason, "%s: unknown key " KEYS_SECTION "/%s", path, name);
        if (value[k])
            return kt_fail (reason, "%s: duplicate key %s", path, name);
        if (zconfig_child (item))
            return kt_fail (reason, "%s: %s must be a value, not a section", path, name);
        /*  A .pub file is handed to other organisations: one that carries
         *  a secret is a mistake that must not travel further. */
        if (k >= K_TRANSPORT_SK && !sec)
            return kt_fail (reason, "%s holds secret key %s; a .pub file must not", path, name);
        value[k] = zconfig_value (item);
    }
    for (int k = 0; k < K_COUNT; k++) {
        if (k == K_NAME || (k >= K_TRANSPORT_SK && !sec))
            continue;
        if (!value[k])
            return kt_fail (reason, "%s: missing key %s", path, s_field_names[k]);
    }
    return 0;
}

/*  The public fields, each checked for form. */
static int
s_decode_public (const char *const value[K_COUNT], const char *path, keys_public_t *pub,
                 kt_reason_t *reason)
{
    if (!kt_valid_node_id (value[K_ID]))
        return kt_fail (reason, "%s: id '%.64s' must be 1..64 of [a-z0-9-] starting with a letter",
                        path, value[K_ID]);
    if (!keys_valid_kind (value[K_KIND]))
        return kt_fail (reason,
                        "%s: kind '%.16s' is not one of gemeente, politie, om, rvdk, "
                        "reclassering, extern, uitvoerder",
                        path, value[K_KIND]);
    const char *name = value[K_NAME] ? value[K_NAME] : value[K_ID];
    if (!keys_valid_name (name))
        return kt_fail (reason,
                        "%s: name must be 1..%d bytes of UTF-8 without control "
                        "characters or '\"'",
                        path, KEYS_NAME_MAX);
    memset (pub, 0, sizeof *pub);
    snprintf (pub->id, sizeof pub->id, "%s", value[K_ID]);
    snprintf (pub->name, sizeof pub->name, "%s", name);
    snprintf (pub->kind, sizeof pub->kind, "%s", value[K_KIND]);
    if (s_hex_field (pub->transport_pk, 32, value[K_TRANSPORT_PK], K_TRANSPORT_PK, path, reason) ||
        s_hex_field (pub->signing_pk, 32, value[K_SIGNING_PK], K_SIGNING_PK, path, reason) ||
        s_hex_field (pub->encryption_pk, 32, value[K_ENCRYPTION_PK], K_ENCRYPTION_PK, path, reason))
        return -1;
    if (!keys_encryption_usable (pub->encryption_pk))
        return kt_fail (reason, "%s: %s is a key of low order, which encrypts for everyone", path,
                        s_field_names[K_ENCRYPTION_PK]);
    return 0;
}

bool
keys_encryption_usable (const uint8_t pk[32])
{
    /*  crypto_scalarmult refuses a point of low order (-1): the product
     *  with any scalar would be all zeros. */
    static const uint8_t scalar[32] = {0x4b, 0x65, 0x74, 0x65, 0x6e, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t out[crypto_scalarmult_BYTES];
    int rc = crypto_scalarmult (out, scalar, pk);
    sodium_memzero (out, sizeof out);
    return rc == 0;
}

/*  The secret fields, and that the public keys are the ones they derive. */
static int
s_decode_secret (const char *const value[K_COUNT], const char *path, const keys_public_t *pub,
                 keys_secret_t *sec, kt_reason_t *reason)
{
    if (s_hex_field (sec->transport_sk, 32, value[K_TRANSPORT_SK], K_TRANSPORT_SK, path, reason) ||
        s_hex_field (sec->signing_sk, 64, value[K_SIGNING_SK], K_SIGNING_SK, path, reason) ||
        s_hex_field (sec->encryption_sk, 32, value[K_ENCRYPTION_SK], K_ENCRYPTION_SK, path,
                     reason) ||
        s_hex_field (sec->storage_key, 32, value[K_STORAGE_KEY], K_STORAGE_KEY, path, reason))
        return -1;
    /*  A public key that does not belong to its secret would have the
     *  roster announce keys this node cannot use (or someone else's). */
    uint8_t derived[32];
    int rc = 0;
    if (crypto_scalarmult_base (derived, sec->transport_sk) != 0 ||
        sodium_memcmp (derived, pub->transport_pk, 32) != 0)
        rc = kt_fail (reason, "%s: transport-public does not match transport-secret", path);
    else if (crypto_scalarmult_base (derived, sec->encryption_sk) != 0 ||
             sodium_memcmp (derived, pub->encryption_pk, 32) != 0)
        rc = kt_fail (reason, "%s: encryption-public does not match encryption-secret", path);
    else if (sodium_memcmp (sec->signing_sk + 32, pub->signing_pk, 32) != 0)
        rc = kt_fail (reason, "%s: signing-public does not match signing-secret", path);
    else {
        /*  The tail of the libsodium form is only a copy: check that the
         *  seed really derives that public key. */
        uint8_t sk[64];
        crypto_sign_seed_keypair (derived, sk, sec->signing_sk);
        sodium_memzero (sk, sizeof sk);
        if (sodium_memcmp (derived, pub->signing_pk, 32) != 0)
            rc = kt_fail (reason, "%s: signing-secret seed does not derive signing-public", path);
    }
    sodium_memzero (derived, sizeof derived);
    return rc;
}

/*  Check the parsed tree and fill pub (and sec, for a secret file).
 *  Nothing is trusted: every field is checked for form, and a secret
 *  file's public keys must be the ones its secrets derive. */
static int
s_decode (zconfig_t *root, const char *path, keys_public_t *pub, keys_secret_t *sec,
          kt_reason_t *reason)
{
    zconfig_t *section = zconfig_child (root);
    if (!section || !streq (zconfig_name (section), KEYS_SECTION) || zconfig_next (section) ||
        *zconfig_value (section))
        return kt_fail (reason, "%s: expected exactly one section '" KEYS_SECTION "'", path);
    const char *value[K_COUNT];
    if (s_collect_values (section, path, sec != NULL, value, reason) != 0 ||
        s_decode_public (value, path, pub, reason) != 0)
        return -1;
    return sec ? s_decode_secret (value, path, pub, sec, reason) : 0;
}

/*  A key file that is not this process's.  Run as root on a file of
 *  another user (the daemon's, as it should be: ketend --check or keten
 *  keygen run as root), the way out is to run the same program as that
 *  user, not a chown. */
static int
s_refuse_owner (const char *path, uid_t owner, kt_reason_t *reason)
{
    struct passwd *pw = geteuid () == 0 ? getpwuid (owner) : NULL;
    if (pw) {
        char advice[160];
        return kt_fail (reason,
                        "%s belongs to %s (uid %u), not to root: a key file is read only as its "
                        "owner; run this as %s, e.g. %s",
                        path, pw->pw_name, (unsigned) owner, pw->pw_name,
                        kt_runuser_advice (advice, sizeof advice, pw->pw_name));
    }
    return kt_fail (reason,
                    "%s is owned by uid %u, not by this process (uid %u); chown it to the "
                    "daemon user, or run this as uid %u",
                    path, (unsigned) owner, (unsigned) geteuid (), (unsigned) owner);
}

/*  A secret key file must be 0600 and owned by the daemon user (docs/KEYS.md).
 *  Check the descriptor we read, not the name (no TOCTOU), and never
 *  follow a symlink planted in the key directory.  The open descriptor, or
 *  -1 with the reason. */
static int
s_open_secret (const char *path, kt_reason_t *reason)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return kt_fail (reason, "cannot open secret key file %s: %s", path,
                        errno == ELOOP ? "it is a symbolic link" : strerror (errno));
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return kt_fail (reason, "%s is not a regular file", path);
    }
    unsigned mode = (unsigned) st.st_mode & 07777;
    int rc = 0;
    if (st.st_uid != geteuid ())
        rc = s_refuse_owner (path, st.st_uid, reason);
    else if (mode & 077)
        rc = kt_fail (reason, "%s is %s by group/others (mode %04o); run chmod 600 %s", path,
                      (mode & 044)   ? "readable"
                      : (mode & 022) ? "writable"
                                     : "executable",
                      mode, path);
    else if (st.st_size > KEYS_FILE_MAX)
        rc = kt_fail (reason, "%s is %lld bytes, too large for a key file", path,
                      (long long) st.st_size);
    if (rc != 0) {
        close (fd);
        return -1;
    }
    return fd;
}

/*  Up to size bytes from fd into buf; how many were read. */
static size_t
s_read_all (int fd, char *buf, size_t size)
{
    size_t len = 0;
    while (len < size) {
        ssize_t n = read (fd, buf + len, size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    return len;
}

/*  Parse the text of a secret file into keys.  zconfig's copies of the
 *  text are wiped here, in the frame that called the parser. */
static int
s_parse_secret (const char *buf, size_t len, const char *path, keys_secret_t *keys,
                kt_reason_t *reason)
{
    int rc = -1;
    zconfig_t *root = NULL;
    if (len > KEYS_FILE_MAX)
        kt_fail (reason, "%s is too large for a key file", path);
    else if (kt_check_zpl_text (buf, len, path, reason) == 0 &&
             s_check_key_lines (buf, len, path, reason) == 0) {
        /*  zconfig parses a copy held in a chunk: wipe the copy too. */
        zchunk_t *chunk = zchunk_new (buf, len);
        if (chunk) {
            root = zconfig_chunk_load (chunk);
            sodium_memzero (zchunk_data (chunk), zchunk_size (chunk));
            zchunk_destroy (&chunk);
        }
        s_scrub_stack ();
        if (!root)
            kt_fail (reason, "%s is not valid ZPL", path);
        else
            rc = s_decode (root, path, &keys->pub, keys, reason);
    }
    /*  A malformed file that zconfig refused mid-way has already been
     *  freed by zconfig; there is nothing left we can reach to wipe. */
    s_wipe_secret_values (root);
    zconfig_destroy (&root);
    return rc;
}

keys_secret_t *
keys_load_secret (const char *path, kt_reason_t *reason)
{
    if (sodium_init () < 0) {
        kt_fail (reason, "libsodium failed to initialise");
        return NULL;
    }
    int fd = s_open_secret (path, reason);
    if (fd < 0)
        return NULL;
    /*  The file text goes straight into guarded memory; sodium_free wipes
     *  it.  The result is allocated first so no exit path leaks. */
    char *buf = sodium_malloc (KEYS_FILE_MAX + 1);
    keys_secret_t *keys = sodium_malloc (sizeof *keys);
    if (!buf || !keys) {
        close (fd);
        sodium_free (buf);
        sodium_free (keys);
        kt_fail (reason, "out of secure memory reading %s", path);
        return NULL;
    }
    size_t len = s_read_all (fd, buf, KEYS_FILE_MAX + 1);
    close (fd);
    int rc = s_parse_secret (buf, len, path, keys, reason);
    sodium_free (buf);
    if (rc != 0)
        sodium_free (keys);
    return rc == 0 ? keys : NULL;
}

void
keys_secret_destroy (keys_secret_t **self_p)
{
    if (self_p && *self_p) {
        sodium_free (*self_p); /* wipes before it frees */
        *self_p = NULL;
    }
}

int
keys_parse_public (const char *data, size_t len, const char *what, keys_public_t *out,
                   kt_reason_t *reason)
{
    if (len > KEYS_FILE_MAX)
        return kt_fail (reason, "%s is larger than %d bytes", what, KEYS_FILE_MAX);
    int rc = kt_check_zpl_text (data, len, what, reason);
    if (rc == 0)
        rc = s_check_key_lines (data, len, what, reason);
    zconfig_t *root = NULL;
    if (rc == 0) {
        root = zconfig_str_load (data);
        if (!root)
            rc = kt_fail (reason, "%s is not valid ZPL", what);
    }
    keys_public_t pub;
    if (rc == 0)
        rc = s_decode (root, what, &pub, NULL, reason);
    if (rc == 0)
        *out = pub;
    zconfig_destroy (&root);
    return rc;
}

int
keys_load_public (const char *path, keys_public_t *out, kt_reason_t *reason)
{
    char *data = NULL;
    size_t len = 0;
    if (kt_read_file (path, KEYS_FILE_MAX, &data, &len, reason) != 0)
        return -1;
    int rc = keys_parse_public (data, len, path, out, reason);
    free (data);
    return rc;
}

/*  Create dir and any missing parents, owner-only: the key directory of
 *  a node holds its secret keys. */
static int
s_make_dir (const char *dir, kt_reason_t *reason)
{
    char path[PATH_MAX];
    if (snprintf (path, sizeof path, "%s", dir) >= (int) sizeof path || !*path)
        return kt_fail (reason, "invalid key directory '%s'", dir);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir (path, 0700) != 0 && errno != EEXIST)
                return kt_fail (reason, "cannot create directory %s: %s", path, strerror (errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
        return kt_fail (reason, "%s is not a directory", dir);
    return 0;
}

/*  A key file is never written over: say how to make new keys instead. */
static int
s_refuse_overwrite (const char *path, kt_reason_t *reason)
{
    return kt_fail (reason,
                    "refusing to overwrite %s: key files are never replaced in place; give "
                    "--out another directory and move the files into place from there (a key "
                    "rotation: docs/ROSTER.md)",
                    path);
}

/*  Claim a file name that must not exist yet (O_EXCL); kt_write_file then
 *  replaces the empty placeholder atomically with the real contents. */
static int
s_claim (const char *path, int mode, kt_reason_t *reason)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return errno == EEXIST ? s_refuse_overwrite (path, reason)
                               : kt_fail (reason, "cannot create %s: %s", path, strerror (errno));
    close (fd);
    return 0;
}

/*  The text of both files.  Everything here is sodium_malloc'd because the
 *  secret file's text is as secret as the keys. */
typedef struct {
    char transport_pk[65], signing_pk[65], encryption_pk[65];
    char transport_sk[65], signing_sk[129], encryption_sk[65], storage_key[65];
    char pub_text[1024];
    char secret_text[2048];
} s_key_text_t;

static int
s_format (s_key_text_t *t, const keys_secret_t *k)
{
    const keys_public_t *p = &k->pub;
    kt_hex (t->transport_pk, p->transport_pk, 32);
    kt_hex (t->signing_pk, p->signing_pk, 32);
    kt_hex (t->encryption_pk, p->encryption_pk, 32);
    kt_hex (t->transport_sk, k->transport_sk, 32);
    kt_hex (t->signing_sk, k->signing_sk, 64);
    kt_hex (t->encryption_sk, k->encryption_sk, 32);
    kt_hex (t->storage_key, k->storage_key, 32);
    int n =
        snprintf (t->pub_text, sizeof t->pub_text,
                  "#   keten public keys of %s (format: docs/KEYS.md)\n"
                  "#   Give this file to the uitvoerder for the roster.\n" KEYS_SECTION "\n"
                  "    id = %s\n"
                  "    name = \"%s\"\n"
                  "    kind = %s\n"
                  "    transport-public = %s\n"
                  "    signing-public = %s\n"
                  "    encryption-public = %s\n",
                  p->id, p->id, p->name, p->kind, t->transport_pk, t->signing_pk, t->encryption_pk);
    if (n < 0 || (size_t) n >= sizeof t->pub_text)
        return -1;
    n = snprintf (
        t->secret_text, sizeof t->secret_text,
        "#   keten SECRET keys of %s (format: docs/KEYS.md)\n"
        "#   Mode 0600, owned by the daemon user; never copy it off this node.\n" KEYS_SECTION "\n"
        "    id = %s\n"
        "    name = \"%s\"\n"
        "    kind = %s\n"
        "    transport-public = %s\n"
        "    signing-public = %s\n"
        "    encryption-public = %s\n"
        "    transport-secret = %s\n"
        "    signing-secret = %s\n"
        "    encryption-secret = %s\n"
        "    storage-secret = %s\n",
        p->id, p->id, p->name, p->kind, t->transport_pk, t->signing_pk, t->encryption_pk,
        t->transport_sk, t->signing_sk, t->encryption_sk, t->storage_key);
    return n < 0 || (size_t) n >= sizeof t->secret_text ? -1 : 0;
}

int
keys_generate (const char *id, const char *kind, const char *name, const char *dir,
               kt_reason_t *reason)
{
    return keys_generate_keeping (id, kind, name, dir, NULL, reason);
}

int
keys_generate_keeping (const char *id, const char *kind, const char *name, const char *dir,
                       const uint8_t *storage_key, kt_reason_t *reason)
{
    if (sodium_init () < 0)
        return kt_fail (reason, "libsodium failed to initialise");
    if (!kt_valid_node_id (id))
        return kt_fail (reason,
                        "invalid id '%.64s': use 1..64 of [a-z0-9-], starting with a "
                        "letter",
                        id ? id : "");
    if (!keys_valid_kind (kind))
        return kt_fail (reason,
                        "invalid kind '%.16s': use gemeente, politie, om, rvdk, "
                        "reclassering, extern or uitvoerder",
                        kind ? kind : "");
    if (!name)
        name = id;
    if (!keys_valid_name (name))
        return kt_fail (reason,
                        "invalid name: use 1..%d bytes of UTF-8 without control "
                        "characters or '\"'",
                        KEYS_NAME_MAX);
    char secret_path[PATH_MAX], pub_path[PATH_MAX];
    if (!dir ||
        snprintf (secret_path, sizeof secret_path, "%s/%s.secret", dir, id) >=
            (int) sizeof secret_path ||
        snprintf (pub_path, sizeof pub_path, "%s/%s.pub", dir, id) >= (int) sizeof pub_path)
        return kt_fail (reason, "key directory path is too long");
    if (s_make_dir (dir, reason) != 0)
        return -1;
    /*  Never replace a node's keys by accident: losing a secret key file
     *  takes the node out of the federation until a new roster is signed.
     *  Check both names before creating either. */
    struct stat st;
    if (lstat (secret_path, &st) == 0)
        return s_refuse_overwrite (secret_path, reason);
    if (lstat (pub_path, &st) == 0)
        return s_refuse_overwrite (pub_path, reason);
    if (s_claim (secret_path, 0600, reason) != 0)
        return -1;
    if (s_claim (pub_path, 0644, reason) != 0) {
        unlink (secret_path);
        return -1;
    }

    keys_secret_t *k = sodium_malloc (sizeof *k);
    s_key_text_t *t = sodium_malloc (sizeof *t);
    int rc = -1;
    if (!k || !t)
        kt_fail (reason, "out of secure memory");
    else {
        memset (k, 0, sizeof *k);
        snprintf (k->pub.id, sizeof k->pub.id, "%s", id);
        snprintf (k->pub.name, sizeof k->pub.name, "%s", name);
        snprintf (k->pub.kind, sizeof k->pub.kind, "%s", kind);
        /*  CurveZMQ transport keys are plain X25519 pairs. */
        crypto_box_keypair (k->pub.transport_pk, k->transport_sk);
        crypto_sign_keypair (k->pub.signing_pk, k->signing_sk);
        crypto_box_keypair (k->pub.encryption_pk, k->encryption_sk);
        if (storage_key)
            memcpy (k->storage_key, storage_key, sizeof k->storage_key);
        else
            randombytes_buf (k->storage_key, sizeof k->storage_key);
        if (s_format (t, k) != 0)
            kt_fail (reason, "key file text too long");
        else if (kt_write_file (secret_path, t->secret_text, strlen (t->secret_text), 0600,
                                reason) == 0 &&
                 kt_write_file (pub_path, t->pub_text, strlen (t->pub_text), 0644, reason) == 0)
            rc = 0;
    }
    if (rc != 0) {
        unlink (secret_path);
        unlink (pub_path);
    }
    sodium_free (t);
    sodium_free (k);
    return rc;
}
