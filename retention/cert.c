/* cert.c - assembling, building and signing disposal certificates.
 *
 * The layout is specified in cert.h. Every field is validated before anything is built: a
 * certificate is signed evidence, so one that would not verify, or that records a shred the
 * retention policy forbids, is never produced (cert_verify.c checks the same rules again).
 * lt_cert_issue() fills the fields of a shred from the object's row and the decision.
 */
#include "retention/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "common/uuid.h"
#include "crypt/prim.h"
#include "retention/cert_internal.h"
#include "retention/group.h"
#include "retention/policy.h"

/* Bounds on free text, so that a certificate stays far below LT_CERT_JSON_MAX even when every
 * byte is escaped as \u00XX (6 bytes). */
#define USER_MAX         255
#define HOST_MAX         255
#define KEYSLOT_MAX      63
#define TOOL_VERSION_MAX 63

static enum lethe_err need_id(enum lethe_err rc, const char *id, const char *what)
{
	if (rc == LETHE_OK && !lt_uuid_valid(id))
		rc = lt_err(LETHE_ERR_INVALID, "certificate: %s is not a lower-case UUID", what);
	return rc;
}

static enum lethe_err need_text(enum lethe_err rc, const char *text, size_t max, const char *what)
{
	if (rc != LETHE_OK)
		return rc;
	if (text == NULL)
		return lt_err(LETHE_ERR_INVALID, "certificate: %s is missing", what);
	if (strnlen(text, max + 1) > max)
		return lt_err(LETHE_ERR_INVALID, "certificate: %s is longer than %zu bytes", what,
			      max);
	if (!lt_utf8_valid(text))
		return lt_err(LETHE_ERR_INVALID, "certificate: %s is not valid UTF-8", what);
	return LETHE_OK;
}

static enum lethe_err need_time(enum lethe_err rc, int64_t seconds, const char *what)
{
	if (rc == LETHE_OK && (seconds < 0 || seconds > LT_RETENTION_TIME_MAX))
		rc = lt_err(LETHE_ERR_INVALID, "certificate: %s (%lld) is out of range", what,
			    (long long) seconds);
	return rc;
}

static enum lethe_err need_uint(enum lethe_err rc, uint64_t value, const char *what)
{
	if (rc == LETHE_OK && value > LT_CERT_UINT_MAX)
		rc = lt_err(LETHE_ERR_INVALID, "certificate: %s (%llu) is too large", what,
			    (unsigned long long) value);
	return rc;
}

/* The rules a certificate obeys, shared with the verifier's semantic checks. */
static enum lethe_err need_reason(enum lethe_err rc, const struct lt_cert_fields *f)
{
	if (rc != LETHE_OK)
		return rc;
	if (f->reason == NULL || (strcmp(f->reason, LT_CERT_REASON_EXPIRED) != 0 &&
				  strcmp(f->reason, LT_CERT_REASON_MANUAL) != 0))
		return lt_err(LETHE_ERR_INVALID, "certificate: reason must be \"%s\" or \"%s\"",
			      LT_CERT_REASON_EXPIRED, LT_CERT_REASON_MANUAL);
	/* A sweep never forces: an early shred is always an officer's manual act. */
	if (f->forced && strcmp(f->reason, LT_CERT_REASON_MANUAL) != 0)
		return lt_err(LETHE_ERR_INVALID, "certificate: a forced shred must be \"%s\"",
			      LT_CERT_REASON_MANUAL);
	if (strcmp(f->reason, LT_CERT_REASON_MANUAL) == 0 &&
	    (f->reason_text == NULL || f->reason_text[0] == '\0'))
		return lt_err(LETHE_ERR_INVALID, "certificate: a manual shred needs a reason text");
	if (f->reason_text != NULL)
		return need_text(rc, f->reason_text, LETHE_REASON_MAX, "reason text");
	return LETHE_OK;
}

/* The retention rules the verifier checks again (check_semantics): a certificate for a shred
 * lt_retention_may_shred() would have refused is a caller's bug, and is never signed. */
static enum lethe_err need_policy(enum lethe_err rc, const struct lt_cert_fields *f)
{
	if (rc != LETHE_OK || f->shredded_at >= f->retain_until)
		return rc;
	if (f->policy_lock)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: early shred in a locked group");
	if (!f->forced)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: early shred without force");
	return LETHE_OK;
}

static enum lethe_err check_fields(const struct lt_cert_fields *f)
{
	enum lethe_err rc = LETHE_OK;

	/* The certificate states that the holds were checked: never issue one that could not. */
	if (!f->hold_checked_clear)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: legal holds were not checked");
	if (f->version != 1 && f->version != 2)
		return lt_err(LETHE_ERR_INVALID, "certificate: version %u is not 1 or 2",
			      f->version);
	rc = need_id(rc, f->certificate_id, "certificate id");
	rc = need_id(rc, f->store_id, "store id");
	rc = need_id(rc, f->object_id, "object id");
	rc = need_id(rc, f->dek_id, "data key id");
	if (rc == LETHE_OK && !lt_group_name_valid(f->group))
		rc = lt_err(LETHE_ERR_INVALID, "certificate: invalid group name");
	if (rc == LETHE_OK && f->seq == 0)
		rc = lt_err(LETHE_ERR_INVALID, "certificate: seq starts at 1");
	rc = need_uint(rc, f->seq, "seq");
	rc = need_uint(rc, f->size, "size");
	if (rc == LETHE_OK && f->policy_retention < 0)
		rc = lt_err(LETHE_ERR_INVALID, "certificate: negative retention");
	rc = need_uint(rc, (uint64_t) f->policy_retention, "retention");
	rc = need_time(rc, f->created_at, "created_at");
	rc = need_time(rc, f->retain_until, "retain_until");
	rc = need_time(rc, f->shredded_at, "shredded_at");
	rc = need_reason(rc, f);
	rc = need_policy(rc, f);
	rc = need_text(rc, f->actor_user, USER_MAX, "actor user");
	rc = need_text(rc, f->actor_keyslot, KEYSLOT_MAX, "actor keyslot");
	rc = need_text(rc, f->host, HOST_MAX, "host");
	rc = need_text(rc, f->tool_version, TOOL_VERSION_MAX, "tool version");
	return rc;
}

/* The text forms of the fields that are not already text. */
struct cert_text {
	char name_hash[LT_CERT_HEX_LEN + 1];
	char ciphertext_sha256[LT_CERT_HEX_LEN + 1];
	char prev_sha256[LT_CERT_HEX_LEN + 1];
	char created_at[32];
	char retain_until[32];
	char shredded_at[32];
	char retention[32];
};

static void cert_text_fill(const struct lt_cert_fields *f, struct cert_text *t)
{
	lt_hex(f->version == 1 ? f->name_sha256 : f->name_commit, LT_SHA256_LEN, t->name_hash);
	lt_hex(f->ciphertext_sha256, LT_SHA256_LEN, t->ciphertext_sha256);
	lt_hex(f->prev_sha256, LT_SHA256_LEN, t->prev_sha256);
	lt_time_format(f->created_at, t->created_at, sizeof(t->created_at));
	lt_time_format(f->retain_until, t->retain_until, sizeof(t->retain_until));
	lt_time_format(f->shredded_at, t->shredded_at, sizeof(t->shredded_at));
	lt_duration_format(f->policy_retention, t->retention, sizeof(t->retention));
}

/* The layout of a certificate, in order; cert.h shows it as JSON. */
static void cert_pack(struct lt_json_build *b, const struct lt_cert_fields *f,
		      const struct cert_text *t)
{
	lt_json_add_string(b, "type", LT_CERT_TYPE);
	lt_json_add_int(b, "version", f->version);
	lt_json_add_string(b, "certificate_id", f->certificate_id);
	lt_json_add_int(b, "seq", (int64_t) f->seq);
	lt_json_add_string(b, "store_id", f->store_id);
	lt_json_object_open(b, "object");
	lt_json_add_string(b, "id", f->object_id);
	lt_json_add_string(b, "group", f->group);
	lt_json_add_string(b, f->version == 1 ? "name_sha256" : "name_commit", t->name_hash);
	lt_json_add_int(b, "size", (int64_t) f->size);
	lt_json_add_string(b, "ciphertext_sha256", t->ciphertext_sha256);
	lt_json_add_string(b, "created_at", t->created_at);
	lt_json_add_string(b, "retain_until", t->retain_until);
	lt_json_close(b);
	lt_json_object_open(b, "policy");
	lt_json_add_string(b, "group", f->group);
	lt_json_add_string(b, "retention", t->retention);
	lt_json_add_int(b, "retention_seconds", f->policy_retention);
	lt_json_add_bool(b, "lock", f->policy_lock);
	lt_json_close(b);
	lt_json_object_open(b, "reason");
	lt_json_add_string(b, "code", f->reason);
	lt_json_add_string(b, "text", f->reason_text); /* NULL for sweeps: null */
	lt_json_add_bool(b, "forced", f->forced);
	lt_json_close(b);
	lt_json_add_string(b, "hold_check", LT_CERT_HOLD_CHECK);
	lt_json_object_open(b, "sanitization");
	lt_json_add_string(b, "method", LT_CERT_METHOD);
	lt_json_add_string(b, "standard", LT_CERT_STANDARD);
	lt_json_object_open(b, "destroyed");
	lt_json_add_string(b, "dek_id", f->dek_id);
	lt_json_add_int(b, "kek_version", f->kek_version);
	lt_json_close(b);
	lt_json_add_string(b, "verification", LT_CERT_VERIFICATION);
	lt_json_close(b);
	lt_json_object_open(b, "actor");
	lt_json_add_int(b, "uid", f->actor_uid);
	lt_json_add_string(b, "user", f->actor_user);
	lt_json_add_string(b, "keyslot", f->actor_keyslot);
	lt_json_close(b);
	lt_json_add_string(b, "host", f->host);
	lt_json_object_open(b, "tool");
	lt_json_add_string(b, "name", "lethe");
	lt_json_add_string(b, "version", f->tool_version);
	lt_json_close(b);
	lt_json_add_string(b, "shredded_at", t->shredded_at);
	lt_json_add_string(b, "prev_sha256", t->prev_sha256);
}

enum lethe_err lt_cert_build(const struct lt_cert_fields *f, char **json, size_t *len)
{
	struct cert_text text;
	struct lt_json_build b;
	char *bytes = NULL;
	size_t n = 0;
	enum lethe_err rc;

	*json = NULL;
	*len = 0;
	rc = check_fields(f);
	if (rc != LETHE_OK)
		return rc;
	cert_text_fill(f, &text);
	lt_json_begin(&b);
	cert_pack(&b, f, &text);
	rc = lt_json_end(&b, LT_CERT_JSON_FORM, &bytes, &n);
	if (rc != LETHE_OK) {
		/* Every input was validated above: only memory can run out here. */
		lt_err_prefix("certificate");
		return rc;
	}
	if (n >= LT_CERT_JSON_MAX) {
		free(bytes);
		return lt_err(LETHE_ERR_INTERNAL, "certificate: cannot serialise (%zu bytes)", n);
	}
	/* The signed bytes: the compact JSON text and one "\n" (in place of the NUL). */
	bytes[n] = '\n';
	*json = bytes;
	*len = n + 1;
	return LETHE_OK;
}

/* The fields of a certificate for shredding @p row as @p d says. */
static enum lethe_err issue_fields(const struct lt_db_object *row, const struct lt_cert_disposal *d,
				   struct lt_cert_fields *f)
{
	struct lt_group_policy policy;

	memset(f, 0, sizeof(*f));
	lt_uuid_generate(f->certificate_id);
	f->seq = d->prev_seq + 1;
	memcpy(f->prev_sha256, d->prev_sha256, LT_SHA256_LEN);
	snprintf(f->store_id, sizeof(f->store_id), "%s", d->store_id);
	snprintf(f->object_id, sizeof(f->object_id), "%s", row->id);
	snprintf(f->group, sizeof(f->group), "%s", row->group);
	f->size = row->size;
	memcpy(f->ciphertext_sha256, row->sha256, LT_SHA256_LEN);
	f->created_at = row->created_at;
	f->retain_until = row->retain_until;
	lt_retention_object_policy(d->cfg, row, &policy);
	f->policy_retention = policy.retention;
	/* The retention the object was kept under: its group's now, unless the group's retention
	 * was lengthened after the put (retain_until stays as the put fixed it, like S3 Object
	 * Lock); then what the put fixed, so that the certificate states a policy its own
	 * retain_until satisfies. A row edited to shorten retain_until is not believed here
	 * either: the verifier compares the certificate with the put record of the audit log. */
	if (lt_retention_until(row->created_at, policy.retention) > row->retain_until)
		f->policy_retention =
		    row->retain_until > row->created_at ? row->retain_until - row->created_at : 0;
	f->policy_lock = policy.lock;
	f->reason = d->reason;
	f->reason_text = d->reason_text;
	f->forced = d->forced;
	f->hold_checked_clear = true;
	/* one data key per object, named after it */
	snprintf(f->dek_id, sizeof(f->dek_id), "%s", row->id);
	f->kek_version = row->kek_version;
	f->actor_uid = d->actor_uid;
	f->actor_user = d->actor_user;
	f->actor_keyslot = d->actor_keyslot;
	f->host = d->host;
	f->tool_version = d->tool_version;
	f->shredded_at = d->shredded_at;
	/* the name itself is confidential: the certificate names it by the commitment made at the
	 * put (or at the conversion of a store from before encrypted names) */
	f->version = LT_CERT_VERSION;
	if (!row->has_name_commit)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "object %s: its row holds no name commitment (a store from before "
			      "encrypted names, not yet converted by a writable keyed open)",
			      row->id);
	memcpy(f->name_commit, row->name_commit, LT_SHA256_LEN);
	return LETHE_OK;
}

enum lethe_err lt_cert_issue(const struct lt_db_object *row, const struct lt_cert_disposal *d,
			     struct lt_ed25519_key *signer, struct lt_db_cert *out)
{
	struct lt_cert_fields f;
	char *json = NULL;
	size_t len = 0;
	enum lethe_err rc;

	memset(out, 0, sizeof(*out));
	rc = issue_fields(row, d, &f);
	if (rc == LETHE_OK)
		rc = lt_cert_build(&f, &json, &len);
	/* lt_cert_sign() with the seed, minus re-deriving its public half per certificate */
	if (rc == LETHE_OK)
		rc = lt_ed25519_key_sign(signer, json, len, out->sig);
	if (rc == LETHE_OK)
		rc = lt_sha256(json, len, out->sha256);
	if (rc != LETHE_OK) {
		free(json);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->seq = f.seq;
	memcpy(out->id, f.certificate_id, sizeof(out->id));
	memcpy(out->object_id, f.object_id, sizeof(out->object_id));
	memcpy(out->group, f.group, sizeof(out->group));
	snprintf(out->reason, sizeof(out->reason), "%s", d->reason);
	out->shredded_at = f.shredded_at;
	out->json = (const uint8_t *) json;
	out->json_len = len;
	return LETHE_OK;
}
