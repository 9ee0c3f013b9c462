/*  keys: key generation and key files.  */
#include "keys.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYS_FILE_MAX (64 * 1024)

static const char *s_kinds[]
    = {"gemeente", "politie", "om", "rvdk", "reclassering", "extern", "uitvoerder"};

bool
keys_valid_kind (const char *kind)
{
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
        if (kind && strcmp (kind, s_kinds[i]) == 0)
            return true;
    return false;
}

/*  A display name: 1..128 bytes, no control characters, no quotes (it is
 *  written into ZPL between double quotes). */
static bool
s_valid_name (const char *name)
{
    size_t len = name ? strlen (name) : 0;
    if (len < 1 || len > KEYS_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name[i];
        if (c < 0x20 || c == 0x7f || c == '"')
            return false;
    }
    return true;
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

int
keys_generate (const char *id, const char *kind, const char *name, const char *dir,
               kt_reason_t *reason)
{
    if (!kt_valid_node_id (id))
        return kt_fail (reason, "invalid id '%.64s': use 1-64 of a-z, 0-9 and '-', starting with "
                                "a letter",
                        id ? id : "");
    if (!keys_valid_kind (kind))
        return kt_fail (reason, "invalid kind '%.32s': one of gemeente, politie, om, rvdk, "
                                "reclassering, extern, uitvoerder",
                        kind ? kind : "");
    if (!name)
        name = id;
    if (!s_valid_name (name))
        return kt_fail (reason, "invalid name: 1-128 bytes without control characters or quotes");
    if (mkdir (dir, 0700) != 0 && errno != EEXIST)
        return kt_fail (reason, "cannot create %s: %s", dir, strerror (errno));
    char secret_path[PATH_MAX], public_path[PATH_MAX];
    if (snprintf (secret_path, sizeof secret_path, "%s/%s.secret", dir, id) >= PATH_MAX
        || snprintf (public_path, sizeof public_path, "%s/%s.pub", dir, id) >= PATH_MAX)
        return kt_fail (reason, "output path too long");
    if (s_exists (secret_path) || s_exists (public_path))
        return kt_fail (reason, "%s or %s already exists; refusing to overwrite keys", secret_path,
                        public_path);

    keys_secret_t *k = sodium_malloc (sizeof *k);
    if (!k)
        return kt_fail (reason, "out of memory");
    memset (k, 0, sizeof *k);
    crypto_box_keypair (k->pub.transport_pk, k->transport_sk);
    crypto_sign_keypair (k->pub.signing_pk, k->signing_sk);
    crypto_box_keypair (k->pub.encryption_pk, k->encryption_sk);
    randombytes_buf (k->storage_key, sizeof k->storage_key);

    char tp[65], sp[65], ep[65];
    kt_hex (tp, k->pub.transport_pk, 32);
    kt_hex (sp, k->pub.signing_pk, 32);
    kt_hex (ep, k->pub.encryption_pk, 32);
    char pub[1024];
    int plen = snprintf (pub, sizeof pub,
                         "#   keten public keys of %s (share this file with the uitvoerder)\n"
                         "keten-keys\n"
                         "    id = %s\n"
                         "    name = \"%s\"\n"
                         "    kind = %s\n"
                         "    transport-public = %s\n"
                         "    signing-public = %s\n"
                         "    encryption-public = %s\n",
                         id, id, name, kind, tp, sp, ep);
    /*  The secret text lives in sodium memory and is wiped after writing. */
    size_t cap = 2048;
    char *sec = sodium_malloc (cap);
    if (!sec) {
        sodium_free (k);
        return kt_fail (reason, "out of memory");
    }
    char ts[65], ss[129], es[65], st[65];
    kt_hex (ts, k->transport_sk, 32);
    kt_hex (ss, k->signing_sk, 64);
    kt_hex (es, k->encryption_sk, 32);
    kt_hex (st, k->storage_key, 32);
    int slen = snprintf (sec, cap,
                         "#   keten SECRET keys of %s - keep this file mode 0600, never share it\n"
                         "keten-keys\n"
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
                         id, id, name, kind, tp, sp, ep, ts, ss, es, st);
    sodium_memzero (ts, sizeof ts);
    sodium_memzero (ss, sizeof ss);
    sodium_memzero (es, sizeof es);
    sodium_memzero (st, sizeof st);
    int rc = 0;
    if (kt_write_file (secret_path, sec, (size_t) slen, 0600, reason) != 0
        || kt_write_file (public_path, pub, (size_t) plen, 0644, reason) != 0) {
        unlink (secret_path);
        rc = -1;
    }
    sodium_free (sec);
    sodium_free (k);
    return rc;
}

/*  Wipe every value in a parsed key file before it is freed. */
static void
s_wipe (zconfig_t *node)
{
    for (; node; node = zconfig_next (node)) {
        char *v = zconfig_value (node);
        if (v)
            sodium_memzero (v, strlen (v));
        s_wipe (zconfig_child (node));
    }
}

static int
s_get_hex (zconfig_t *root, const char *path, const char *key, uint8_t *out, size_t len,
           kt_reason_t *reason)
{
    const char *v = zconfig_get (root, key, NULL);
    if (!v || !*v)
        return kt_fail (reason, "%s: missing %s", path, key);
    if (kt_unhex (out, len, v) != 0)
        return kt_fail (reason, "%s: %s is not %zu hex digits", path, key, 2 * len);
    return 0;
}

static int
s_parse_public (zconfig_t *root, const char *path, keys_public_t *pub, kt_reason_t *reason)
{
    if (!root || strcmp (zconfig_name (root), "root") != 0 || !zconfig_locate (root, "keten-keys"))
        return kt_fail (reason, "%s: not a keten key file (no keten-keys section)", path);
    const char *id = zconfig_get (root, "keten-keys/id", NULL);
    const char *kind = zconfig_get (root, "keten-keys/kind", NULL);
    const char *name = zconfig_get (root, "keten-keys/name", id);
    if (!kt_valid_node_id (id))
        return kt_fail (reason, "%s: keten-keys/id is missing or invalid", path);
    if (!keys_valid_kind (kind))
        return kt_fail (reason, "%s: keten-keys/kind is missing or invalid", path);
    if (!s_valid_name (name))
        return kt_fail (reason, "%s: keten-keys/name is invalid", path);
    snprintf (pub->id, sizeof pub->id, "%s", id);
    snprintf (pub->kind, sizeof pub->kind, "%s", kind);
    snprintf (pub->name, sizeof pub->name, "%s", name);
    if (s_get_hex (root, path, "keten-keys/transport-public", pub->transport_pk, 32, reason) != 0
        || s_get_hex (root, path, "keten-keys/signing-public", pub->signing_pk, 32, reason) != 0
        || s_get_hex (root, path, "keten-keys/encryption-public", pub->encryption_pk, 32, reason)
               != 0)
        return -1;
    return 0;
}

static zconfig_t *
s_load (const char *path, char *data, kt_reason_t *reason)
{
    zconfig_t *root = zconfig_str_load (data);
    if (!root)
        kt_fail (reason, "%s: not valid ZPL", path);
    return root;
}

int
keys_load_public (const char *path, keys_public_t *out, kt_reason_t *reason)
{
    char *data;
    size_t len;
    if (kt_read_file (path, KEYS_FILE_MAX, &data, &len, reason) != 0)
        return -1;
    memset (out, 0, sizeof *out);
    zconfig_t *root = s_load (path, data, reason);
    free (data);
    if (!root)
        return -1;
    int rc = s_parse_public (root, path, out, reason);
    if (rc == 0 && zconfig_get (root, "keten-keys/transport-secret", NULL))
        rc = kt_fail (reason, "%s holds secret keys; give the .pub file instead", path);
    zconfig_destroy (&root);
    return rc;
}

keys_secret_t *
keys_load_secret (const char *path, kt_reason_t *reason)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        kt_fail (reason, "cannot open secret key file %s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        kt_fail (reason, "secret key file %s is not a regular file", path);
        return NULL;
    }
    if (st.st_uid != geteuid ()) {
        close (fd);
        kt_fail (reason, "secret key file %s is owned by uid %u, not by this daemon's uid %u",
                 path, (unsigned) st.st_uid, (unsigned) geteuid ());
        return NULL;
    }
    if (st.st_mode & 077) {
        close (fd);
        kt_fail (reason,
                 "secret key file %s is accessible by group or others (mode %04o); run chmod 600 %s",
                 path, (unsigned) (st.st_mode & 07777), path);
        return NULL;
    }
    if (st.st_size <= 0 || st.st_size > KEYS_FILE_MAX) {
        close (fd);
        kt_fail (reason, "secret key file %s has an implausible size", path);
        return NULL;
    }
    size_t size = (size_t) st.st_size;
    char *data = sodium_malloc (size + 1);
    keys_secret_t *k = sodium_malloc (sizeof *k);
    size_t got = 0;
    while (data && got < size) {
        ssize_t n = read (fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    if (!data || !k || got != size) {
        if (data)
            sodium_free (data);
        if (k)
            sodium_free (k);
        kt_fail (reason, "cannot read secret key file %s", path);
        return NULL;
    }
    data[size] = '\0';
    memset (k, 0, sizeof *k);
    zconfig_t *root = s_load (path, data, reason);
    sodium_free (data);
    int rc = root ? s_parse_public (root, path, &k->pub, reason) : -1;
    if (rc == 0)
        rc = s_get_hex (root, path, "keten-keys/transport-secret", k->transport_sk, 32, reason);
    if (rc == 0)
        rc = s_get_hex (root, path, "keten-keys/signing-secret", k->signing_sk, 64, reason);
    if (rc == 0)
        rc = s_get_hex (root, path, "keten-keys/encryption-secret", k->encryption_sk, 32, reason);
    if (rc == 0)
        rc = s_get_hex (root, path, "keten-keys/storage-secret", k->storage_key, 32, reason);
    if (root) {
        s_wipe (root);
        zconfig_destroy (&root);
    }
    if (rc == 0) {
        /*  The public keys must belong to the secret ones. */
        uint8_t check[32];
        crypto_scalarmult_base (check, k->transport_sk);
        if (sodium_memcmp (check, k->pub.transport_pk, 32) != 0)
            rc = kt_fail (reason, "%s: transport-public does not match transport-secret", path);
        crypto_scalarmult_base (check, k->encryption_sk);
        if (rc == 0 && sodium_memcmp (check, k->pub.encryption_pk, 32) != 0)
            rc = kt_fail (reason, "%s: encryption-public does not match encryption-secret", path);
        crypto_sign_ed25519_sk_to_pk (check, k->signing_sk);
        if (rc == 0 && sodium_memcmp (check, k->pub.signing_pk, 32) != 0)
            rc = kt_fail (reason, "%s: signing-public does not match signing-secret", path);
        sodium_memzero (check, sizeof check);
    }
    if (rc != 0) {
        sodium_free (k);
        return NULL;
    }
    return k;
}

void
keys_secret_destroy (keys_secret_t **self_p)
{
    if (*self_p) {
        sodium_free (*self_p);
        *self_p = NULL;
    }
}
