/* keystore.c - the master key in a LUKS2 header file, one named keyslot per actor.
 *
 * keystore.luks is a detached LUKS2 header with no data behind it: libcryptsetup formats and
 * reads it as a regular file (no device-mapper, no loop device, no root). The LUKS2 volume
 * key is lethe's master key (MK); it is never written anywhere else.
 *
 * Layout: 16 KiB metadata (binary header + JSON, twice) and a keyslot area of 16 slots of
 * 128 KiB (a 256-bit key split into 4000 anti-forensic stripes), 2080 KiB in all; the file is
 * pre-sized and the (empty) data segment starts at its end.
 *
 * Keyslots: 0 holds the service key, a 256-bit random key that needs no stretching, so it
 * uses PBKDF2 at the minimum cost libcryptsetup allows and unlocks in a few milliseconds.
 * Officer keyslots use Argon2id at the configured cost. Who a keyslot belongs to is kept in
 * one LUKS2 token per keyslot: {"type":"lethe-slot","keyslots":["N"],"name":...,"role":...}.
 * The keyslot that opens the keystore identifies the actor; a passphrase is only ever tried
 * against officer keyslots, so it can never unlock as the service.
 *
 * KEK versions are kept in one more token, {"type":"lethe-keks","keyslots":[],"keks":{"1":HEX,
 * ...}}, so that retiring a version removes its only copy outside backups of this file.
 *
 * Officer add and remove, and KEK changes, hold an OFD write lock on the file across check and change, so two
 * concurrent removals cannot both see "two officers" and leave none. (libcryptsetup's own
 * flock() locks cover one header write each; OFD locks do not interact with them.)
 */
#include "keys/keystore.h"
#include "keys/luks.h"
#include "keys/luksdisk.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/name.h"
#include "common/str.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"

#define KEYSTORE_META_SIZE (UINT64_C(16) * 1024)
#define KEYSTORE_SLOT_SIZE (UINT64_C(128) * 1024)
#define KEYSTORE_KEYSLOTS  16
#define KEYSTORE_FILE_SIZE (2 * KEYSTORE_META_SIZE + KEYSTORE_KEYSLOTS * KEYSTORE_SLOT_SIZE)
#define KEYSTORE_LABEL     "lethe-keystore"

#define SERVICE_KEYSLOT       0
#define FIRST_OFFICER_KEYSLOT 1
#define SERVICE_NAME          "service"
#define TOKEN_TYPE            "lethe-slot"

/* PBKDF2 at libcryptsetup's floor: the service key already has 256 bits of entropy. */
#define SERVICE_PBKDF2_ITERATIONS 1000

/* ---- libcryptsetup plumbing --------------------------------------------------------- */

/* libcryptsetup's last error message in this thread, for details of unexpected failures. */
static _Thread_local char cs_message[256];

/*
 * libcryptsetup logs to stderr by default, which a library must not do. Its messages name
 * devices and operations, never key material; keep the last error for the detail.
 */
static void cs_log(int level, const char *msg, void *ctx)
{
	size_t n;

	(void) ctx;
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	n = strnlen(msg, sizeof(cs_message) - 1);
	memcpy(cs_message, msg, n);
	while (n > 0 && (cs_message[n - 1] == '\n' || cs_message[n - 1] == '.'))
		n--;
	cs_message[n] = '\0';
}

/*
 * Each context gets cs_log right after crypt_init: the process-wide default callback
 * (crypt_set_log_callback(NULL, ...)) belongs to the host, which may use libcryptsetup itself.
 * crypt_init of a file lt_check_private_file() has just accepted logs nothing in practice.
 */
static void cs_prepare(void)
{
	cs_message[0] = '\0';
}

/* "what: libcryptsetup's message" or "what: strerror(-r)". */
static enum lethe_err cs_fail(enum lethe_err code, int r, const char *path, const char *what)
{
	if (r == -ENOMEM)
		return lt_err(LETHE_ERR_NOMEM, "%s: %s: out of memory", path, what);
	if (cs_message[0] != '\0')
		return lt_err(code, "%s: %s: %s", path, what, cs_message);
	return lt_err_errno(code, -r, "%s: %s", path, what);
}

/* Open @p path as a LUKS2 keystore: permission check, crypt_init, crypt_load. */
static enum lethe_err keystore_open(const char *path, struct crypt_device **out)
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;
	int r;

	*out = NULL;
	rc = lt_check_private_file(path);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_KEYSTORE, "keystore %s does not exist", path);
	if (rc != LETHE_OK)
		return rc;
	cs_prepare();
	r = crypt_init(&cd, path);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot open keystore");
	crypt_set_log_callback(cd, cs_log, NULL);
	r = crypt_load(cd, CRYPT_LUKS2, NULL);
	if (r < 0) {
		crypt_free(cd);
		if (r == -ENOMEM)
			return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
		/* damaged headers are tampering or a failing disk (exit 4), not a permission */
		if (lt_luks_headers_check(path) == LETHE_ERR_INTEGRITY)
			return LETHE_ERR_INTEGRITY;
		return lt_err(LETHE_ERR_KEYSTORE, "%s is not a LUKS2 keystore, or it is corrupt",
			      path);
	}
	*out = cd;
	return LETHE_OK;
}

/* ---- names and tokens --------------------------------------------------------------- */

int lt_officer_name_valid(const char *name)
{
	return lt_name_valid(name, LETHE_OFFICER_MAX) && strcmp(name, SERVICE_NAME) != 0;
}

/* LUKS2 limits: keyslots and tokens a header can describe. */
#define LUKS2_KEYSLOTS_MAX 32
#define LUKS2_TOKENS_MAX   32

/* A keystore's named keyslots, read from its tokens. */
struct slot_table {
	struct lt_slot_info slot[KEYSTORE_KEYSLOTS];
	int token[KEYSTORE_KEYSLOTS]; /* the token naming each slot */
	size_t count;
	size_t officers;
	int service;                 /* index into slot[] of the service slot, -1 if none */
	int stale[LUKS2_TOKENS_MAX]; /* tokens naming no keyslot (crash during removal) */
	size_t nstale;
};

static bool keyslot_active(struct crypt_device *cd, int keyslot)
{
	crypt_keyslot_info info = crypt_keyslot_status(cd, keyslot);

	return info == CRYPT_SLOT_ACTIVE || info == CRYPT_SLOT_ACTIVE_LAST ||
	       info == CRYPT_SLOT_UNBOUND;
}

/* The one keyslot a token names, -1 for none (left by a crash during officer removal). */
static int token_keyslot(const struct lt_json *keyslots, const char *path, int token,
			 enum lethe_err *rc)
{
	const char *text;
	char *end;
	long v;

	*rc = LETHE_OK;
	if (!lt_json_is_array(keyslots) || lt_json_size(keyslots) > 1)
		goto bad;
	if (lt_json_size(keyslots) == 0)
		return -1;
	text = lt_json_string(lt_json_at(keyslots, 0));
	if (!text || text[0] < '0' || text[0] > '9')
		goto bad;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v >= KEYSTORE_KEYSLOTS)
		goto bad;
	return (int) v;
bad:
	*rc = lt_err(LETHE_ERR_KEYSTORE, "%s: token %d names no valid keyslot", path, token);
	return -1;
}

/* Check one lethe-slot token and add it to @p table. */
static enum lethe_err table_add(struct slot_table *table, struct crypt_device *cd, const char *path,
				int token, const struct lt_json *root)
{
	const char *name = lt_json_string(lt_json_get(root, "name"));
	const char *role = lt_json_string(lt_json_get(root, "role"));
	struct lt_slot_info *info;
	enum lethe_err rc;
	int keyslot;

	keyslot = token_keyslot(lt_json_get(root, "keyslots"), path, token, &rc);
	if (rc != LETHE_OK)
		return rc;
	if (keyslot < 0) {
		if (table->nstale < LUKS2_TOKENS_MAX)
			table->stale[table->nstale++] = token;
		return LETHE_OK;
	}
	if (!name || !role || table->count >= KEYSTORE_KEYSLOTS || !keyslot_active(cd, keyslot))
		return lt_err(LETHE_ERR_KEYSTORE, "%s: token %d is malformed", path, token);
	info = &table->slot[table->count];
	info->keyslot = keyslot;
	if (strcmp(role, "service") == 0 && strcmp(name, SERVICE_NAME) == 0 && table->service < 0)
		info->role = LT_SLOT_SERVICE;
	else if (strcmp(role, "officer") == 0 && lt_officer_name_valid(name))
		info->role = LT_SLOT_OFFICER;
	else
		return lt_err(LETHE_ERR_KEYSTORE, "%s: token %d has a bad name or role", path,
			      token);
	for (size_t i = 0; i < table->count; i++)
		if (table->slot[i].keyslot == keyslot || strcmp(table->slot[i].name, name) == 0)
			return lt_err(LETHE_ERR_KEYSTORE,
				      "%s: keyslot %d or name \"%s\" is named "
				      "twice",
				      path, keyslot, name);
	memcpy(info->name, name, strlen(name) + 1);
	table->token[table->count] = token;
	if (info->role == LT_SLOT_SERVICE)
		table->service = (int) table->count;
	else
		table->officers++;
	table->count++;
	return LETHE_OK;
}

/* Sort by keyslot: insertion sort, at most KEYSTORE_KEYSLOTS entries. */
static void table_sort(struct slot_table *table)
{
	for (size_t i = 1; i < table->count; i++) {
		for (size_t j = i; j > 0 && table->slot[j - 1].keyslot > table->slot[j].keyslot;
		     j--) {
			struct lt_slot_info s = table->slot[j];
			int t = table->token[j];

			table->slot[j] = table->slot[j - 1];
			table->token[j] = table->token[j - 1];
			table->slot[j - 1] = s;
			table->token[j - 1] = t;
			if (table->service == (int) j)
				table->service = (int) j - 1;
			else if (table->service == (int) j - 1)
				table->service = (int) j;
		}
	}
}

/* Read every lethe-slot token. A keystore without a service slot is not a lethe keystore. */
static enum lethe_err table_read(struct crypt_device *cd, const char *path,
				 struct slot_table *table)
{
	enum lethe_err rc = LETHE_OK;
	int max = crypt_token_max(CRYPT_LUKS2);

	if (max > LUKS2_TOKENS_MAX)
		max = LUKS2_TOKENS_MAX;

	memset(table, 0, sizeof(*table));
	table->service = -1;
	for (int token = 0; token < max && rc == LETHE_OK; token++) {
		const char *type = NULL;
		const char *json = NULL;
		crypt_token_info status;
		struct lt_json *root;

		status = crypt_token_status(cd, token, &type);
		if (status == CRYPT_TOKEN_INVALID || status == CRYPT_TOKEN_INACTIVE || !type ||
		    strcmp(type, TOKEN_TYPE) != 0)
			continue;
		if (crypt_token_json_get(cd, token, &json) < 0 || !json)
			return lt_err(LETHE_ERR_KEYSTORE, "%s: cannot read token %d", path, token);
		if (lt_json_parse(json, strlen(json), 0, &root) != LETHE_OK)
			return lt_err(LETHE_ERR_KEYSTORE, "%s: token %d is not JSON", path, token);
		rc = table_add(table, cd, path, token, root);
		lt_json_free(root);
	}
	if (rc == LETHE_OK && table->service < 0)
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s is not a lethe keystore (no service keyslot)",
			    path);
	if (rc == LETHE_OK)
		table_sort(table);
	return rc;
}

/* Write the token naming @p keyslot. */
static enum lethe_err token_write(struct crypt_device *cd, const char *path, int keyslot,
				  const char *name, enum lt_slot_role role)
{
	char slot_text[16];
	struct lt_json_build b;
	enum lethe_err rc;
	char *json = NULL;
	size_t len;
	int r;

	(void) snprintf(slot_text, sizeof(slot_text), "%d", keyslot);
	lt_json_begin(&b);
	lt_json_add_string(&b, "type", TOKEN_TYPE);
	lt_json_array_open(&b, "keyslots");
	lt_json_add_string(&b, NULL, slot_text);
	lt_json_close(&b);
	lt_json_add_string(&b, "name", name);
	lt_json_add_string(&b, "role", role == LT_SLOT_SERVICE ? "service" : "officer");
	if (lt_json_end(&b, LT_JSON_COMPACT, &json, &len) != LETHE_OK)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
	r = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
	rc = r < 0 ? cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot name keyslot") : LETHE_OK;
	free(json);
	return rc;
}

/* ---- keyslots ----------------------------------------------------------------------- */

static enum lethe_err set_officer_pbkdf(struct crypt_device *cd, const char *path,
					const struct lt_kdf_params *kdf)
{
	const struct crypt_pbkdf_type pbkdf = {
	    .type = CRYPT_KDF_ARGON2ID,
	    .iterations = kdf->time_cost,
	    .max_memory_kb = kdf->memory_kib,
	    .parallel_threads = kdf->parallel,
	    /* The cost is the operator's decision (lethe.conf), not a benchmark's. */
	    .flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	int r = crypt_set_pbkdf_type(cd, &pbkdf);

	if (r < 0)
		return cs_fail(r == -EINVAL ? LETHE_ERR_INVALID : LETHE_ERR_KEYSTORE, r, path,
			       "officer Argon2id cost refused");
	return LETHE_OK;
}

static const struct crypt_pbkdf_type service_pbkdf = {
    .type = CRYPT_KDF_PBKDF2,
    .hash = "sha256",
    .iterations = SERVICE_PBKDF2_ITERATIONS,
    .flags = CRYPT_PBKDF_NO_BENCHMARK,
};

/* Add officer @p name at @p keyslot (CRYPT_ANY_SLOT: the first free one) and name it. */
static enum lethe_err officer_slot_add(struct crypt_device *cd, const char *path, int keyslot,
				       const uint8_t *mk, const char *name, const char *passphrase,
				       size_t pass_len, const struct lt_kdf_params *kdf)
{
	enum lethe_err rc;
	int r;

	rc = set_officer_pbkdf(cd, path, kdf);
	if (rc != LETHE_OK)
		return rc;
	r = crypt_keyslot_add_by_volume_key(cd, keyslot, (const char *) mk, LT_MK_LEN, passphrase,
					    pass_len);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot add officer keyslot");
	LT_FAULT("officer.before_name"); /* a keyslot that opens the MK, without a name */
	rc = token_write(cd, path, r, name, LT_SLOT_OFFICER);
	/* An unnamed keyslot would open the MK yet be invisible to lethe: take it back. */
	if (rc != LETHE_OK)
		(void) crypt_keyslot_destroy(cd, r);
	return rc;
}

static enum lethe_err check_officer_args(const char *name, const char *passphrase, size_t pass_len,
					 const struct lt_kdf_params *kdf)
{
	if (!lt_officer_name_valid(name))
		return lt_err(LETHE_ERR_INVALID,
			      "bad officer name: 1..%d of A-Z a-z 0-9 . _ -, not \"service\"",
			      LETHE_OFFICER_MAX);
	if (!passphrase || pass_len == 0)
		return lt_err(LETHE_ERR_INVALID, "empty officer passphrase");
	if (!kdf)
		return lt_err(LETHE_ERR_INVALID, "no Argon2id cost given");
	return LETHE_OK;
}

static enum lethe_err copy_store_id(struct crypt_device *cd, const char *path,
				    char store_id[LETHE_ID_LEN + 1])
{
	const char *uuid = crypt_get_uuid(cd);

	if (!uuid || strlen(uuid) != LETHE_ID_LEN)
		return lt_err(LETHE_ERR_KEYSTORE, "%s: header has no valid UUID", path);
	memcpy(store_id, uuid, LETHE_ID_LEN + 1);
	return LETHE_OK;
}

/* ---- create ------------------------------------------------------------------------- */

/* An empty 0600 file of the header's size: libcryptsetup will not format a smaller one. */
static enum lethe_err header_file_create(const char *path)
{
	enum lethe_err rc = LETHE_OK;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return lt_err(LETHE_ERR_EXISTS, "keystore %s already exists", path);
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: create", path);
	}
	if (ftruncate(fd, KEYSTORE_FILE_SIZE) != 0) {
		rc = lt_err_errno(lt_err_from_errno(errno), errno, "%s: size", path);
		(void) unlink(path);
	}
	close(fd);
	return rc;
}

/* Make what libcryptsetup wrote durable: the file, then its directory entry. */
static enum lethe_err header_file_sync(const char *path)
{
	char dir[PATH_MAX];
	enum lethe_err rc;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "%s: open", path);
	rc = fsync(fd) == 0 ? LETHE_OK
			    : lt_err_errno(lt_err_from_errno(errno), errno, "%s: fsync", path);
	close(fd);
	if (rc == LETHE_OK)
		rc = lt_parent_dir(path, dir, sizeof(dir));
	if (rc == LETHE_OK)
		rc = lt_fsync_dir(dir);
	return rc;
}

static enum lethe_err header_format(struct crypt_device *cd, const char *path, const uint8_t *mk,
				    const char *label)
{
	struct crypt_params_luks2 params = {
	    .pbkdf = &service_pbkdf,
	    .sector_size = 512,
	    .label = label,
	};
	int r;

	r = crypt_set_metadata_size(cd, KEYSTORE_META_SIZE, KEYSTORE_KEYSLOTS * KEYSTORE_SLOT_SIZE);
	if (r == 0)
		r = crypt_set_data_offset(cd, KEYSTORE_FILE_SIZE / 512);
	if (r == 0)
		r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, (const char *) mk,
				 LT_MK_LEN, &params);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot format keystore");
	return LETHE_OK;
}

static enum lethe_err service_slot_add(struct crypt_device *cd, const char *path, const uint8_t *mk,
				       const uint8_t service_key[LT_SERVICE_KEY_LEN])
{
	int r;

	r = crypt_set_pbkdf_type(cd, &service_pbkdf);
	if (r == 0)
		r = crypt_keyslot_add_by_volume_key(cd, SERVICE_KEYSLOT, (const char *) mk,
						    LT_MK_LEN, (const char *) service_key,
						    LT_SERVICE_KEY_LEN);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot add service keyslot");
	return token_write(cd, path, SERVICE_KEYSLOT, SERVICE_NAME, LT_SLOT_SERVICE);
}

/* Format @p path around @p mk with the service and the first officer keyslot. */
static enum lethe_err keystore_build(const char *path, const uint8_t *mk,
				     const uint8_t service_key[LT_SERVICE_KEY_LEN],
				     const char *officer, const char *passphrase, size_t pass_len,
				     const struct lt_kdf_params *kdf,
				     char store_id[LETHE_ID_LEN + 1])
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;
	int r;

	cs_prepare();
	r = crypt_init(&cd, path);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot open new keystore");
	crypt_set_log_callback(cd, cs_log, NULL);
	rc = header_format(cd, path, mk, KEYSTORE_LABEL);
	if (rc == LETHE_OK)
		rc = service_slot_add(cd, path, mk, service_key);
	/* Since officers.luks, keystore.luks holds the service keyslot alone (officer NULL);
	 * an officer keyslot here is what releases before it made. */
	if (rc == LETHE_OK && officer)
		rc = officer_slot_add(cd, path, FIRST_OFFICER_KEYSLOT, mk, officer, passphrase,
				      pass_len, kdf);
	if (rc == LETHE_OK)
		rc = copy_store_id(cd, path, store_id);
	crypt_free(cd);
	return rc;
}

enum lethe_err lt_keystore_create(const char *path, const uint8_t service_key[LT_SERVICE_KEY_LEN],
				  const char *officer, const char *passphrase, size_t pass_len,
				  const struct lt_kdf_params *kdf, uint8_t *mk,
				  char store_id[LETHE_ID_LEN + 1])
{
	enum lethe_err rc;

	store_id[0] = '\0';
	rc = officer ? check_officer_args(officer, passphrase, pass_len, kdf) : LETHE_OK;
	if (rc != LETHE_OK)
		return rc;
	rc = header_file_create(path);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_random(mk, LT_MK_LEN);
	if (rc == LETHE_OK)
		rc = keystore_build(path, mk, service_key, officer, passphrase, pass_len, kdf,
				    store_id);
	if (rc == LETHE_OK)
		rc = header_file_sync(path);
	if (rc != LETHE_OK) {
		/* Nothing half-made stays behind, least of all a header holding the MK. */
		lt_cleanse(mk, LT_MK_LEN);
		store_id[0] = '\0';
		(void) unlink(path);
	}
	return rc;
}

/* ---- unlock ------------------------------------------------------------------------- */

/*
 * Try @p secret against @p keyslot only. LETHE_ERR_UNLOCK when it does not open it;
 * @p mk is wiped on any failure.
 */
static enum lethe_err try_keyslot(struct crypt_device *cd, const char *path, int keyslot,
				  const void *secret, size_t secret_len, uint8_t *mk)
{
	size_t mk_len = LT_MK_LEN;
	int r;

	r = crypt_volume_key_get(cd, keyslot, (char *) mk, &mk_len, secret, secret_len);
	if (r >= 0 && mk_len == LT_MK_LEN)
		return LETHE_OK;
	lt_cleanse(mk, LT_MK_LEN);
	if (r >= 0)
		return lt_err(LETHE_ERR_KEYSTORE, "%s: master key has the wrong size", path);
	if (r == -EPERM || r == -ENOENT)
		return LETHE_ERR_UNLOCK; /* the caller words the detail */
	return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot read keyslot");
}

/* Open @p path and check it holds a 256-bit master key and lethe's keyslot names. */
static enum lethe_err unlock_prepare(const char *path, struct crypt_device **cd,
				     struct slot_table *table)
{
	enum lethe_err rc;

	memset(table, 0, sizeof(*table));
	table->service = -1;
	rc = keystore_open(path, cd);
	if (rc != LETHE_OK)
		return rc;
	if (crypt_get_volume_key_size(*cd) != LT_MK_LEN) {
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s: master key is not 256 bits", path);
		goto fail;
	}
	rc = table_read(*cd, path, table);
	if (rc != LETHE_OK)
		goto fail;
	return LETHE_OK;
fail:
	crypt_free(*cd);
	*cd = NULL;
	return rc;
}

static void who_clear(struct lt_slot_info *who, char store_id[LETHE_ID_LEN + 1])
{
	memset(who, 0, sizeof(*who));
	who->keyslot = -1;
	store_id[0] = '\0';
}

enum lethe_err lt_keystore_unlock_service(const char *path,
					  const uint8_t service_key[LT_SERVICE_KEY_LEN],
					  uint8_t *mk, struct lt_slot_info *who,
					  char store_id[LETHE_ID_LEN + 1])
{
	struct crypt_device *cd = NULL;
	struct slot_table table;
	const struct lt_slot_info *service;
	enum lethe_err rc;

	who_clear(who, store_id);
	rc = unlock_prepare(path, &cd, &table);
	if (rc != LETHE_OK)
		return rc;
	assert(table.service >= 0); /* table_read() refuses a keystore without one */
	service = &table.slot[table.service];
	if (service->keyslot != SERVICE_KEYSLOT) {
		/* a token is anyone's edit: the service key is only ever tried on keyslot 0 */
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s: the service name points at keyslot %d, not %d",
			    path, service->keyslot, SERVICE_KEYSLOT);
		crypt_free(cd);
		return rc;
	}
	rc = try_keyslot(cd, path, service->keyslot, service_key, LT_SERVICE_KEY_LEN, mk);
	if (rc == LETHE_ERR_UNLOCK)
		rc = lt_err(LETHE_ERR_UNLOCK, "the service keyfile does not open %s", path);
	if (rc == LETHE_OK)
		rc = copy_store_id(cd, path, store_id);
	if (rc == LETHE_OK)
		*who = *service;
	else
		lt_cleanse(mk, LT_MK_LEN);
	crypt_free(cd);
	return rc;
}

enum lethe_err lt_keystore_unlock_passphrase(const char *path, const char *passphrase,
					     size_t pass_len, uint8_t *mk, struct lt_slot_info *who,
					     char store_id[LETHE_ID_LEN + 1])
{
	struct crypt_device *cd = NULL;
	const struct lt_slot_info *opened = NULL;
	struct slot_table table;
	enum lethe_err rc;

	who_clear(who, store_id);
	if (!passphrase || pass_len == 0)
		return lt_err(LETHE_ERR_UNLOCK, "empty passphrase");
	rc = unlock_prepare(path, &cd, &table);
	if (rc != LETHE_OK)
		return rc;
	/*
	 * Officer keyslots only, one by one: a passphrase must never unlock as the service
	 * (CRYPT_ANY_SLOT would try the service keyslot too).
	 */
	rc = LETHE_ERR_UNLOCK;
	for (size_t i = 0; i < table.count && rc == LETHE_ERR_UNLOCK; i++) {
		if (table.slot[i].role != LT_SLOT_OFFICER)
			continue;
		rc = try_keyslot(cd, path, table.slot[i].keyslot, passphrase, pass_len, mk);
		opened = &table.slot[i];
	}
	if (rc == LETHE_ERR_UNLOCK)
		rc = lt_err(LETHE_ERR_UNLOCK, "wrong passphrase: it opens no officer keyslot of %s",
			    path);
	if (rc == LETHE_OK)
		rc = copy_store_id(cd, path, store_id);
	if (rc == LETHE_OK && opened) {
		*who = *opened;
	} else {
		if (rc == LETHE_OK)
			rc = lt_err(LETHE_ERR_INTERNAL, "%s: unlocked by no keyslot", path);
		lt_cleanse(mk, LT_MK_LEN);
	}
	crypt_free(cd);
	return rc;
}

/* ---- officers ----------------------------------------------------------------------- */

/*
 * Hold an OFD write lock on the whole keystore while an officer change checks and writes,
 * so concurrent changes (threads or processes) run one after the other.
 */
static enum lethe_err keystore_lock(const char *path, int *fd_out)
{
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	enum lethe_err rc;
	int fd;

	*fd_out = -1;
	rc = lt_open_private(path, O_RDWR, &fd);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_KEYSTORE, "keystore %s does not exist", path);
	if (rc != LETHE_OK)
		return rc;
	while (fcntl(fd, F_OFD_SETLKW, &lock) != 0) {
		if (errno == EINTR)
			continue;
		rc = lt_err_errno(LETHE_ERR_IO, errno, "%s: lock", path);
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return LETHE_OK;
}

static void keystore_unlock_file(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the last descriptor releases the OFD lock */
}

static const struct lt_slot_info *table_find(const struct slot_table *table, const char *name,
					     size_t *index)
{
	for (size_t i = 0; i < table->count; i++) {
		if (strcmp(table->slot[i].name, name) == 0) {
			*index = i;
			return &table->slot[i];
		}
	}
	return NULL;
}

/* The master key must be this keystore's: a keyslot for another MK would open nothing. */
static enum lethe_err check_mk(struct crypt_device *cd, const char *path, const uint8_t *mk)
{
	if (crypt_volume_key_verify(cd, (const char *) mk, LT_MK_LEN) < 0)
		return lt_err(LETHE_ERR_KEYSTORE,
			      "%s: the master key does not belong to this "
			      "keystore",
			      path);
	return LETHE_OK;
}

enum lethe_err lt_keystore_officer_add(const char *path, const uint8_t *mk, const char *name,
				       const char *passphrase, size_t pass_len,
				       const struct lt_kdf_params *kdf)
{
	struct crypt_device *cd = NULL;
	struct slot_table table;
	enum lethe_err rc;
	size_t index;
	int lock_fd = -1;

	rc = check_officer_args(name, passphrase, pass_len, kdf);
	if (rc != LETHE_OK)
		return rc;
	rc = keystore_lock(path, &lock_fd);
	if (rc != LETHE_OK)
		return rc;
	rc = unlock_prepare(path, &cd, &table);
	if (rc != LETHE_OK)
		goto out;
	rc = check_mk(cd, path, mk);
	if (rc != LETHE_OK)
		goto out;
	if (table_find(&table, name, &index)) {
		rc = lt_err(LETHE_ERR_EXISTS, "officer \"%s\" already exists", name);
		goto out;
	}
	if (table.count >= KEYSTORE_KEYSLOTS) {
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s: no free keyslot (at most %d officers)", path,
			    KEYSTORE_KEYSLOTS - 1);
		goto out;
	}
	rc = officer_slot_add(cd, path, CRYPT_ANY_SLOT, mk, name, passphrase, pass_len, kdf);
out:
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

/*
 * Destroy the keyslot first, then its token: if a crash comes between the two, what remains
 * is a name without a keyslot (ignored), never a working keyslot without a name.
 */
static enum lethe_err officer_slot_remove(struct crypt_device *cd, const char *path,
					  const struct slot_table *table, size_t index)
{
	int r;

	r = crypt_keyslot_destroy(cd, table->slot[index].keyslot);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot destroy keyslot");
	r = crypt_token_json_set(cd, table->token[index], NULL);
	if (r < 0)
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot remove keyslot name");
	return LETHE_OK;
}

/*
 * Lock the keystore and read its keyslot table for a change of officer @p name: *@p slot the
 * keyslot of that name (NULL: none), *@p index its place in @p table. The caller frees *@p cd
 * and drops *@p lock_fd whatever this returns.
 */
static enum lethe_err officer_change_begin(const char *path, const char *name, int *lock_fd,
					   struct crypt_device **cd, struct slot_table *table,
					   const struct lt_slot_info **slot, size_t *index)
{
	enum lethe_err rc;

	*slot = NULL;
	rc = keystore_lock(path, lock_fd);
	if (rc == LETHE_OK)
		rc = unlock_prepare(path, cd, table);
	if (rc == LETHE_OK)
		*slot = table_find(table, name, index);
	return rc;
}

enum lethe_err lt_keystore_officer_remove(const char *path, const char *name)
{
	struct crypt_device *cd = NULL;
	const struct lt_slot_info *slot;
	struct slot_table table;
	enum lethe_err rc;
	size_t index = 0;
	int lock_fd = -1;

	if (!name || strcmp(name, SERVICE_NAME) == 0)
		return lt_err(LETHE_ERR_INVALID, "the service keyslot cannot be removed");
	rc = officer_change_begin(path, name, &lock_fd, &cd, &table, &slot, &index);
	if (rc == LETHE_OK)
		rc = lt_luks_officer_removable(name, slot && slot->role == LT_SLOT_OFFICER,
					       table.officers);
	if (rc == LETHE_OK)
		rc = officer_slot_remove(cd, path, &table, index);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

enum lethe_err lt_keystore_slots(const char *path, struct lt_slot_info *slots, size_t max,
				 size_t *count)
{
	struct crypt_device *cd = NULL;
	struct slot_table table;
	enum lethe_err rc;

	*count = 0;
	rc = unlock_prepare(path, &cd, &table);
	if (rc != LETHE_OK)
		return rc;
	for (size_t i = 0; i < table.count && i < max; i++)
		slots[i] = table.slot[i];
	*count = table.count < max ? table.count : max;
	if (table.count > max)
		rc = lt_err(LETHE_ERR_INVALID, "%s has %zu keyslots, more than %zu", path,
			    table.count, max);
	crypt_free(cd);
	return rc;
}

/* ---- repair ------------------------------------------------------------------------- */

static bool table_has_keyslot(const struct slot_table *table, int keyslot)
{
	for (size_t i = 0; i < table->count; i++)
		if (table->slot[i].keyslot == keyslot)
			return true;
	return false;
}

/* Active keyslots no token names: each opens the MK yet is no actor lethe knows. */
static size_t unnamed_keyslots(struct crypt_device *cd, const struct slot_table *table,
			       int keyslots[LUKS2_KEYSLOTS_MAX])
{
	int max = crypt_keyslot_max(CRYPT_LUKS2);
	size_t n = 0;

	if (max > LUKS2_KEYSLOTS_MAX)
		max = LUKS2_KEYSLOTS_MAX;
	for (int k = 0; k < max; k++)
		if (keyslot_active(cd, k) && !table_has_keyslot(table, k))
			keyslots[n++] = k;
	return n;
}

enum lethe_err lt_keystore_unnamed(const char *path, size_t *count)
{
	int keyslots[LUKS2_KEYSLOTS_MAX];
	struct crypt_device *cd = NULL;
	struct slot_table table;
	enum lethe_err rc;

	*count = 0;
	rc = unlock_prepare(path, &cd, &table);
	if (rc != LETHE_OK)
		return rc;
	*count = unnamed_keyslots(cd, &table, keyslots);
	crypt_free(cd);
	return LETHE_OK;
}

/* Destroy every unnamed keyslot, then drop every token that names no keyslot. */
static enum lethe_err repair_locked(struct crypt_device *cd, const char *path,
				    const struct slot_table *table, size_t *destroyed)
{
	int keyslots[LUKS2_KEYSLOTS_MAX];
	size_t n = unnamed_keyslots(cd, table, keyslots);
	int r;

	for (size_t i = 0; i < n; i++) {
		r = crypt_keyslot_destroy(cd, keyslots[i]);
		if (r < 0)
			return cs_fail(LETHE_ERR_KEYSTORE, r, path,
				       "cannot destroy unnamed keyslot");
		(*destroyed)++;
	}
	for (size_t i = 0; i < table->nstale; i++) {
		r = crypt_token_json_set(cd, table->stale[i], NULL);
		if (r < 0)
			return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot remove stale name");
	}
	return LETHE_OK;
}

enum lethe_err lt_keystore_repair(const char *path, size_t *destroyed)
{
	struct crypt_device *cd = NULL;
	struct slot_table table;
	enum lethe_err rc;
	int lock_fd = -1;

	*destroyed = 0;
	rc = keystore_lock(path, &lock_fd);
	if (rc != LETHE_OK)
		return rc;
	rc = unlock_prepare(path, &cd, &table);
	if (rc == LETHE_OK)
		rc = repair_locked(cd, path, &table, destroyed);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

/* ---- KEK versions ------------------------------------------------------------------- */

#define KEKS_TOKEN_TYPE "lethe-keks"

/* The token holding the KEKs (-1 when none yet) and its parsed JSON (NULL when none). */
static enum lethe_err keks_token_find(struct crypt_device *cd, const char *path, int *token_out,
				      struct lt_json **root_out)
{
	int max = crypt_token_max(CRYPT_LUKS2);

	*token_out = -1;
	*root_out = NULL;
	if (max > LUKS2_TOKENS_MAX)
		max = LUKS2_TOKENS_MAX;
	for (int token = 0; token < max; token++) {
		const char *type = NULL;
		const char *json = NULL;
		crypt_token_info status = crypt_token_status(cd, token, &type);

		if (status == CRYPT_TOKEN_INVALID || status == CRYPT_TOKEN_INACTIVE || !type ||
		    strcmp(type, KEKS_TOKEN_TYPE) != 0)
			continue;
		if (crypt_token_json_get(cd, token, &json) < 0 || !json)
			return lt_err(LETHE_ERR_KEYSTORE, "%s: cannot read token %d", path, token);
		(void) lt_json_parse(json, strlen(json), LT_JSON_NO_DUPLICATES, root_out);
		if (!lt_json_is_object(lt_json_get(*root_out, "keks"))) {
			lt_json_free(*root_out);
			*root_out = NULL;
			return lt_err(LETHE_ERR_KEYSTORE, "%s: the KEK token is corrupt", path);
		}
		*token_out = token;
		return LETHE_OK;
	}
	return LETHE_OK;
}

/* Parse one "version": "hex" member. */
static bool kek_entry_parse(const char *key, const struct lt_json *value,
			    struct lt_keystore_kek *out)
{
	char *end = NULL;
	unsigned long v;
	const char *hex = lt_json_string(value);

	errno = 0;
	v = strtoul(key, &end, 10);
	if (errno || !end || *end || key[0] == '0' || v == 0 || v > UINT32_MAX || !hex ||
	    strlen(hex) != 2 * LT_WRAPPED_LEN)
		return false;
	out->version = (uint32_t) v;
	return lt_unhex(hex, out->wrapped, LT_WRAPPED_LEN) == LETHE_OK;
}

/* The members of the KEK token's "keks" carried into its new version: all but one. */
struct keks_copy {
	struct lt_json_build *b;
	const char *skip;
};

static int kek_copy(const char *key, const struct lt_json *value, void *ctx)
{
	struct keks_copy *k = ctx;

	if (strcmp(key, k->skip) != 0)
		lt_json_add_value(k->b, key, value);
	return 0;
}

/*
 * Write the KEK token (created when @p token < 0): its "keks" are those of @p keks (NULL: none
 * yet) with member @p key set to @p hex, or removed when @p hex is NULL.
 */
static enum lethe_err keks_token_write(struct crypt_device *cd, const char *path, int token,
				       const struct lt_json *keks, const char *key, const char *hex)
{
	struct lt_json_build b;
	struct keks_copy copy = {&b, key};
	enum lethe_err rc;
	char *json = NULL;
	size_t len;
	int r;

	lt_json_begin(&b);
	lt_json_add_string(&b, "type", KEKS_TOKEN_TYPE);
	lt_json_array_open(&b, "keyslots");
	lt_json_close(&b);
	lt_json_object_open(&b, "keks");
	(void) lt_json_each(keks, kek_copy, &copy);
	if (hex)
		lt_json_add_string(&b, key, hex);
	lt_json_close(&b);
	if (lt_json_end(&b, LT_JSON_SORTED, &json, &len) != LETHE_OK)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
	r = crypt_token_json_set(cd, token < 0 ? CRYPT_ANY_TOKEN : token, json);
	rc = r < 0 ? cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot write the KEK token") : LETHE_OK;
	if (rc == LETHE_OK)
		rc = header_file_sync(path);
	free(json);
	return rc;
}

/* Open, lock and read the KEK token (*root NULL when there is none yet): the common start of
 * put and remove. */
static enum lethe_err keks_begin(const char *path, int *lock_fd, struct crypt_device **cd,
				 int *token, struct lt_json **root)
{
	enum lethe_err rc;

	*root = NULL;
	rc = keystore_lock(path, lock_fd);
	if (rc == LETHE_OK)
		rc = keystore_open(path, cd);
	if (rc == LETHE_OK)
		rc = keks_token_find(*cd, path, token, root);
	return rc;
}

enum lethe_err lt_keystore_kek_put(const char *path, uint32_t version,
				   const uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct crypt_device *cd = NULL;
	char key[16], hex[2 * LT_WRAPPED_LEN + 1];
	struct lt_json *root = NULL;
	const struct lt_json *keks;
	enum lethe_err rc;
	int lock_fd = -1, token = -1;

	if (version == 0)
		return lt_err(LETHE_ERR_INVALID, "KEK version 0 does not exist");
	rc = keks_begin(path, &lock_fd, &cd, &token, &root);
	if (rc != LETHE_OK)
		goto out;
	keks = lt_json_get(root, "keks");
	(void) snprintf(key, sizeof(key), "%u", version);
	if (!lt_json_get(keks, key) && lt_json_size(keks) >= LT_KEYSTORE_KEKS_MAX) {
		rc = lt_err(LETHE_ERR_KEK_IN_USE,
			    "%d KEK versions are active already: rewrap "
			    "and retire old versions first",
			    LT_KEYSTORE_KEKS_MAX);
		goto out;
	}
	lt_hex(wrapped, LT_WRAPPED_LEN, hex);
	rc = keks_token_write(cd, path, token, keks, key, hex);
out:
	lt_json_free(root);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

enum lethe_err lt_keystore_kek_remove(const char *path, uint32_t version)
{
	struct crypt_device *cd = NULL;
	char key[16];
	struct lt_json *root = NULL;
	const struct lt_json *keks;
	enum lethe_err rc;
	int lock_fd = -1, token = -1;

	rc = keks_begin(path, &lock_fd, &cd, &token, &root);
	if (rc != LETHE_OK)
		goto out;
	keks = lt_json_get(root, "keks");
	(void) snprintf(key, sizeof(key), "%u", version);
	if (token < 0 || !lt_json_get(keks, key))
		goto out;
	rc = keks_token_write(cd, path, token, keks, key, NULL);
out:
	lt_json_free(root);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

/* The KEK token's members being read into an array of at most @p max. */
struct keks_read {
	const char *path;
	struct lt_keystore_kek *keks;
	size_t max, n;
	enum lethe_err rc;
};

static int kek_read(const char *key, const struct lt_json *value, void *ctx)
{
	struct keks_read *r = ctx;

	if (r->n == r->max) {
		r->rc = lt_err(LETHE_ERR_KEYSTORE, "%s: more KEK versions than expected", r->path);
		return 1;
	}
	if (!kek_entry_parse(key, value, &r->keks[r->n])) {
		r->rc = lt_err(LETHE_ERR_KEYSTORE, "%s: KEK token entry \"%.16s\" is corrupt",
			       r->path, key);
		return 1;
	}
	r->n++;
	return 0;
}

static int kek_cmp(const void *a, const void *b)
{
	const struct lt_keystore_kek *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

enum lethe_err lt_keystore_keks(const char *path, struct lt_keystore_kek *keks, size_t max,
				size_t *count)
{
	struct crypt_device *cd = NULL;
	struct lt_json *root = NULL;
	struct keks_read r = {path, keks, max, 0, LETHE_OK};
	enum lethe_err rc;
	int token = -1;

	*count = 0;
	rc = keystore_open(path, &cd);
	if (rc == LETHE_OK)
		rc = keks_token_find(cd, path, &token, &root);
	if (rc != LETHE_OK || !root)
		goto out;
	if (lt_json_each(lt_json_get(root, "keks"), kek_read, &r) != 0) {
		rc = r.rc;
		goto out;
	}
	qsort(keks, r.n, sizeof(*keks), kek_cmp);
	*count = r.n;
out:
	lt_json_free(root);
	crypt_free(cd);
	return rc;
}

/* ---- other tokens ------------------------------------------------------------------- */

/* fsync the file alone: for a rewrite in place, which changes no directory entry. */
static enum lethe_err header_file_fsync(const char *path)
{
	enum lethe_err rc = LETHE_OK;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "%s: open", path);
	if (fsync(fd) != 0)
		rc = lt_err_errno(lt_err_from_errno(errno), errno, "%s: fsync", path);
	close(fd);
	return rc;
}

/* The first active token of @p type (-1 when none) and its JSON (libcryptsetup's buffer). */
static enum lethe_err typed_token_find(struct crypt_device *cd, const char *path, const char *type,
				       int *token_out, const char **json_out)
{
	int max = crypt_token_max(CRYPT_LUKS2);

	*token_out = -1;
	*json_out = NULL;
	if (max > LUKS2_TOKENS_MAX)
		max = LUKS2_TOKENS_MAX;
	for (int token = 0; token < max; token++) {
		const char *t = NULL;
		crypt_token_info status = crypt_token_status(cd, token, &t);

		if (status == CRYPT_TOKEN_INVALID || status == CRYPT_TOKEN_INACTIVE || !t ||
		    strcmp(t, type) != 0)
			continue;
		if (crypt_token_json_get(cd, token, json_out) < 0 || !*json_out)
			return lt_err(LETHE_ERR_KEYSTORE, "%s: cannot read token %d", path, token);
		*token_out = token;
		return LETHE_OK;
	}
	return LETHE_OK;
}

enum lethe_err lt_keystore_token_read(const char *path, const char *type, char **json)
{
	struct crypt_device *cd = NULL;
	const char *found = NULL;
	enum lethe_err rc;
	int token = -1;

	*json = NULL;
	rc = keystore_open(path, &cd);
	if (rc == LETHE_OK)
		rc = typed_token_find(cd, path, type, &token, &found);
	if (rc == LETHE_OK && found) {
		*json = strdup(found);
		if (!*json)
			rc = LETHE_ERR_NOMEM;
	}
	crypt_free(cd);
	return rc;
}

enum lethe_err lt_keystore_token_update(const char *path, const char *type,
					lt_keystore_token_fn update, void *ctx)
{
	struct crypt_device *cd = NULL;
	const char *found = NULL;
	char *replacement = NULL;
	enum lethe_err rc;
	int lock_fd = -1, token = -1, r;

	rc = keystore_lock(path, &lock_fd);
	if (rc == LETHE_OK)
		rc = keystore_open(path, &cd);
	if (rc == LETHE_OK)
		rc = typed_token_find(cd, path, type, &token, &found);
	if (rc == LETHE_OK)
		rc = update(found, &replacement, ctx);
	if (rc == LETHE_OK && replacement) {
		r = crypt_token_json_set(cd, token < 0 ? CRYPT_ANY_TOKEN : token, replacement);
		if (r < 0)
			rc = cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot write a token");
		/* the file is rewritten in place: its directory entry does not change */
		if (rc == LETHE_OK)
			rc = header_file_fsync(path);
	}
	free(replacement);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

/* ---- since officers.luks: the service keyslot alone -------------------------------------- */

enum lethe_err lt_keystore_id(const char *path, char store_id[LETHE_ID_LEN + 1])
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;

	store_id[0] = '\0';
	rc = keystore_open(path, &cd);
	if (rc == LETHE_OK)
		rc = copy_store_id(cd, path, store_id);
	crypt_free(cd);
	return rc;
}

enum lethe_err lt_keystore_mk_check(const char *path, const uint8_t *mk)
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;
	int r;

	rc = keystore_open(path, &cd);
	r = rc == LETHE_OK ? crypt_volume_key_verify(cd, (const char *) mk, LT_MK_LEN) : 0;
	if (r == -EPERM)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: the master key does not belong to this "
			    "keystore",
			    path);
	else if (r < 0)
		rc = cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot check the master key");
	crypt_free(cd);
	return rc;
}

/* Every active keyslot but the service's, and every lethe-slot token but the service's. */
static enum lethe_err foreign_read(struct crypt_device *cd, const char *path,
				   struct lt_keystore_foreign *f)
{
	int kmax = crypt_keyslot_max(CRYPT_LUKS2), tmax = crypt_token_max(CRYPT_LUKS2);

	memset(f, 0, sizeof(*f));
	f->service_token = -1;
	if (kmax > LUKS2_KEYSLOTS_MAX)
		kmax = LUKS2_KEYSLOTS_MAX;
	if (tmax > LUKS2_TOKENS_MAX)
		tmax = LUKS2_TOKENS_MAX;
	for (int k = 0; k < kmax; k++)
		if (k != SERVICE_KEYSLOT && keyslot_active(cd, k))
			f->keyslot[f->keyslots++] = k;
	for (int token = 0; token < tmax; token++) {
		const char *type = NULL, *json = NULL;
		struct lt_json *root = NULL;
		crypt_token_info status = crypt_token_status(cd, token, &type);
		bool service;

		if (status == CRYPT_TOKEN_INVALID || status == CRYPT_TOKEN_INACTIVE || !type ||
		    strcmp(type, TOKEN_TYPE) != 0)
			continue;
		if (crypt_token_json_get(cd, token, &json) < 0 || !json)
			return lt_err(LETHE_ERR_KEYSTORE, "%s: cannot read token %d", path, token);
		(void) lt_json_parse(json, strlen(json), 0, &root);
		service = lt_json_string(lt_json_get(root, "role")) &&
			  strcmp(lt_json_string(lt_json_get(root, "role")), "service") == 0;
		if (!service || f->service_token >= 0) {
			const char *name = lt_json_string(lt_json_get(root, "name"));

			if (f->tokens == 0)
				lt_strlcpy(f->first_name, name ? name : "", sizeof(f->first_name));
			f->token[f->tokens++] = token;
		} else {
			f->service_token = token;
		}
		lt_json_free(root);
	}
	return LETHE_OK;
}

enum lethe_err lt_keystore_foreign(const char *path, struct lt_keystore_foreign *f)
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;

	memset(f, 0, sizeof(*f));
	rc = keystore_open(path, &cd);
	if (rc == LETHE_OK)
		rc = foreign_read(cd, path, f);
	crypt_free(cd);
	return rc;
}

enum lethe_err lt_keystore_purge(const char *path, size_t *destroyed)
{
	struct crypt_device *cd = NULL;
	struct lt_keystore_foreign f;
	enum lethe_err rc;
	int lock_fd = -1, r;

	*destroyed = 0;
	rc = keystore_lock(path, &lock_fd);
	if (rc == LETHE_OK)
		rc = keystore_open(path, &cd);
	if (rc == LETHE_OK)
		rc = foreign_read(cd, path, &f);
	for (size_t i = 0; rc == LETHE_OK && i < f.keyslots; i++) {
		r = crypt_keyslot_destroy(cd, f.keyslot[i]);
		if (r < 0)
			rc = cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot destroy keyslot");
		else
			(*destroyed)++;
	}
	for (size_t i = 0; rc == LETHE_OK && i < f.tokens; i++) {
		r = crypt_token_json_set(cd, f.token[i], NULL);
		if (r < 0)
			rc = cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot remove token");
	}
	if (rc == LETHE_OK && (f.keyslots || f.tokens))
		rc = header_file_sync(path);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

enum lethe_err lt_keystore_legacy_drop(const char *path, const char *name)
{
	struct crypt_device *cd = NULL;
	const struct lt_slot_info *slot;
	struct slot_table table;
	enum lethe_err rc;
	size_t index = 0;
	int lock_fd = -1;

	rc = officer_change_begin(path, name, &lock_fd, &cd, &table, &slot, &index);
	if (rc == LETHE_OK && slot && slot->role == LT_SLOT_OFFICER)
		rc = officer_slot_remove(cd, path, &table, index);
	if (rc == LETHE_OK && slot)
		rc = header_file_sync(path);
	crypt_free(cd);
	keystore_unlock_file(lock_fd);
	return rc;
}

/* ---- shared with keys/authority.c (keys/luks.h) ------------------------------------------ */

enum lethe_err lt_luks_open(const char *path, struct crypt_device **out)
{
	return keystore_open(path, out);
}

enum lethe_err lt_luks_fail(enum lethe_err code, int r, const char *path, const char *what)
{
	return cs_fail(code, r, path, what);
}

enum lethe_err lt_luks_create(const char *path, const uint8_t *volume_key, const char *label,
			      struct crypt_device **out)
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;
	int r;

	*out = NULL;
	rc = header_file_create(path);
	if (rc != LETHE_OK)
		return rc;
	cs_prepare();
	r = crypt_init(&cd, path);
	if (r < 0) {
		(void) unlink(path);
		return cs_fail(LETHE_ERR_KEYSTORE, r, path, "cannot open new header");
	}
	crypt_set_log_callback(cd, cs_log, NULL);
	rc = header_format(cd, path, volume_key, label);
	if (rc != LETHE_OK) {
		crypt_free(cd);
		(void) unlink(path);
		return rc;
	}
	*out = cd;
	return LETHE_OK;
}

enum lethe_err lt_luks_sync(const char *path)
{
	return header_file_sync(path);
}

enum lethe_err lt_luks_lock(const char *path, int *fd)
{
	return keystore_lock(path, fd);
}

void lt_luks_unlock(int fd)
{
	keystore_unlock_file(fd);
}

enum lethe_err lt_luks_officer_pbkdf(struct crypt_device *cd, const char *path,
				     const struct lt_kdf_params *kdf)
{
	return set_officer_pbkdf(cd, path, kdf);
}

enum lethe_err lt_luks_try_keyslot(struct crypt_device *cd, const char *path, int keyslot,
				   const void *secret, size_t secret_len, uint8_t *key)
{
	return try_keyslot(cd, path, keyslot, secret, secret_len, key);
}

bool lt_luks_keyslot_active(struct crypt_device *cd, int keyslot)
{
	return keyslot_active(cd, keyslot);
}

enum lethe_err lt_luks_officer_removable(const char *name, bool found, size_t officers)
{
	if (!found)
		return lt_err(LETHE_ERR_NOT_FOUND, "no officer \"%s\"", name ? name : "");
	if (officers <= 1)
		return lt_err(LETHE_ERR_LAST_OFFICER,
			      "\"%s\" is the last officer; add another first", name);
	return LETHE_OK;
}
