/* record.c - what an audit record holds, its MAC and its syslog line.
 *
 * MAC of record n = HMAC-SHA256(audit key, label || seq || time_us || uid || user ||
 * keyslot || pid || host || action || object || group || outcome || error || MAC of record
 * n-1), integers big-endian (u64 seq, i64 time, u32 uid, i32 pid), strings as u32 length then
 * bytes; the first record chains to 32 zero bytes. The label is "lethe-audit-v1", or
 * "lethe-audit-unauth-v1" for a record folded from audit_pending (written without a key): the
 * mark cannot be removed or added without breaking the MAC, and records of stores written
 * before the mark existed keep their MACs. The audit key is derived from the master
 * key, so someone holding only meta.db cannot recompute the chain; signed checkpoints make
 * dropping the newest records detectable.
 *
 * An officer's record also carries auth_sig: Ed25519, under the officer authority key (OAK,
 * keys/authority.h), over "lethe/v1/officer-act" || store id (36 bytes) || BE64(seq) || MAC.
 * The MAC covers every field and the chain before it, so the signature does too; it is not
 * itself under the MAC (it signs the MAC). The service holds the audit key but not the OAK:
 * it can rewrite the chain, not make an officer's action appear in it.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/syslog.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/timeutil.h"

/* Bounded copy that always terminates; NULL is copied as "". */
static void text_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Actor names go into signed certificates and syslog lines: printable ASCII only. */
static void ascii_only(char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			*s = '?';
}

void lt_audit_actor_self(struct lt_audit_actor *actor)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	memset(actor, 0, sizeof(*actor));
	actor->uid = (uint32_t) getuid();
	actor->pid = (int32_t) getpid();
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		text_copy(actor->user, sizeof(actor->user), res->pw_name);
	else
		snprintf(actor->user, sizeof(actor->user), "uid%u", actor->uid);
	if (gethostname(actor->host, sizeof(actor->host)) != 0)
		text_copy(actor->host, sizeof(actor->host), "unknown");
	actor->host[sizeof(actor->host) - 1] = '\0';
	ascii_only(actor->user);
	ascii_only(actor->host);
}

const char *lt_audit_outcome(enum lethe_err err)
{
	switch (err) {
	case LETHE_OK:
		return "ok";
	case LETHE_ERR_HELD:
	case LETHE_ERR_LOCKED:
	case LETHE_ERR_NOT_EXPIRED:
	case LETHE_ERR_KEK_IN_USE:
	case LETHE_ERR_LAST_OFFICER:
	case LETHE_ERR_SHORTENS:
	case LETHE_ERR_CLOCK:
	case LETHE_ERR_PERMISSION:
	case LETHE_ERR_NOT_OFFICER:
		return "refused";
	case LETHE_ERR_INTERNAL:
	case LETHE_ERR_NOMEM:
	case LETHE_ERR_IO:
	case LETHE_ERR_NOSPC:
	case LETHE_ERR_INVALID:
	case LETHE_ERR_CONFIG:
	case LETHE_ERR_NOT_FOUND:
	case LETHE_ERR_SHREDDED:
	case LETHE_ERR_EXISTS:
	case LETHE_ERR_INTEGRITY:
	case LETHE_ERR_UNLOCK:
	case LETHE_ERR_BUSY:
	case LETHE_ERR_KEYSTORE:
	case LETHE_ERR_DATABASE:
	case LETHE_ERR_CRYPTO:
		return "failed";
	}
	return "failed";
}

bool lt_audit_is_security(enum lethe_err err)
{
	return err == LETHE_ERR_INTEGRITY || err == LETHE_ERR_UNLOCK ||
	       err == LETHE_ERR_PERMISSION || err == LETHE_ERR_KEYSTORE ||
	       strcmp(lt_audit_outcome(err), "refused") == 0;
}

void lt_audit_record_fill(struct lt_db_audit *rec, const struct lt_audit_actor *actor,
			  const struct lt_audit_event *ev, int64_t time_us)
{
	memset(rec, 0, sizeof(*rec));
	rec->time_us = time_us;
	rec->uid = actor->uid;
	text_copy(rec->user, sizeof(rec->user), actor->user);
	text_copy(rec->keyslot, sizeof(rec->keyslot), actor->keyslot);
	rec->pid = actor->pid;
	text_copy(rec->host, sizeof(rec->host), actor->host);
	text_copy(rec->action, sizeof(rec->action), ev->action);
	text_copy(rec->object, sizeof(rec->object), ev->object);
	text_copy(rec->group, sizeof(rec->group), ev->group);
	text_copy(rec->outcome, sizeof(rec->outcome), lt_audit_outcome(ev->err));
	text_copy(rec->error, sizeof(rec->error), ev->error);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t) (v >> 32));
	put_u32(p + 4, (uint32_t) v);
}

static enum lethe_err mac_str(struct lt_hmac *h, const char *s)
{
	uint8_t len[4];
	size_t n = strlen(s);
	enum lethe_err rc;

	put_u32(len, (uint32_t) n);
	rc = lt_hmac_update(h, len, 4);
	if (rc == LETHE_OK && n)
		rc = lt_hmac_update(h, s, n);
	return rc;
}

enum lethe_err lt_audit_mac(const uint8_t key[LT_KEY_LEN], const struct lt_db_audit *rec,
			    const uint8_t prev[32], uint8_t out[32])
{
	static const char plain[] = "lethe-audit-v1";
	static const char unauth[] = "lethe-audit-unauth-v1";
	const char *label = rec->unauthenticated ? unauth : plain;
	uint8_t fixed[8 + 8 + 4];
	uint8_t pid[4];
	struct lt_hmac *h = NULL;
	enum lethe_err rc;

	rc = lt_hmac_new(key, LT_KEY_LEN, &h);
	if (rc != LETHE_OK)
		return rc;
	put_u64(fixed, rec->seq);
	put_u64(fixed + 8, (uint64_t) rec->time_us);
	put_u32(fixed + 16, rec->uid);
	put_u32(pid, (uint32_t) rec->pid);
	rc = lt_hmac_update(h, label, strlen(label));
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, fixed, sizeof(fixed));
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->user);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->keyslot);
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, pid, 4);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->host);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->action);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->object);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->group);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->outcome);
	if (rc == LETHE_OK)
		rc = mac_str(h, rec->error);
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, prev, 32);
	if (rc == LETHE_OK)
		rc = lt_hmac_final(h, out);
	lt_hmac_free(h);
	return rc;
}

#define OFFICER_MSG_LEN (sizeof(LT_AUDIT_OFFICER_LABEL) - 1 + LETHE_ID_LEN + 8 + 32)

/* The bytes an officer's signature covers; @p store_id is LETHE_ID_LEN bytes. */
static enum lethe_err officer_msg(const char *store_id, const struct lt_db_audit *rec,
				  uint8_t msg[OFFICER_MSG_LEN])
{
	size_t at = sizeof(LT_AUDIT_OFFICER_LABEL) - 1;

	if (!store_id || strlen(store_id) != LETHE_ID_LEN)
		return LETHE_ERR_INVALID;
	memcpy(msg, LT_AUDIT_OFFICER_LABEL, at);
	memcpy(msg + at, store_id, LETHE_ID_LEN);
	at += LETHE_ID_LEN;
	put_u64(msg + at, rec->seq);
	memcpy(msg + at + 8, rec->mac, 32);
	return LETHE_OK;
}

enum lethe_err lt_audit_officer_sign(struct lt_ed25519_key *oak, const char *store_id,
				     struct lt_db_audit *rec)
{
	uint8_t msg[OFFICER_MSG_LEN];
	enum lethe_err rc;

	rc = officer_msg(store_id, rec, msg);
	if (rc != LETHE_OK)
		return lt_err(LETHE_ERR_INTERNAL, "audit record %llu: no store id to sign with",
			      (unsigned long long) rec->seq);
	rc = lt_ed25519_key_sign(oak, msg, sizeof(msg), rec->auth_sig);
	rec->has_auth_sig = rc == LETHE_OK;
	return rc;
}

enum lethe_err lt_audit_officer_sig_check(const uint8_t pub[LT_ED25519_PUB_LEN],
					  const char *store_id, const struct lt_db_audit *rec)
{
	uint8_t msg[OFFICER_MSG_LEN];
	enum lethe_err rc;

	if (!rec->has_auth_sig)
		return lt_err(LETHE_ERR_INTEGRITY, "audit record %llu has no officer signature",
			      (unsigned long long) rec->seq);
	rc = officer_msg(store_id, rec, msg);
	if (rc == LETHE_OK)
		rc = lt_ed25519_verify(pub, msg, sizeof(msg), rec->auth_sig);
	return rc;
}

bool lt_audit_officer_sig_ok(const uint8_t pub[LT_ED25519_PUB_LEN], const char *store_id,
			     const struct lt_db_audit *rec)
{
	struct lt_err_saved saved;
	bool ok;

	lt_err_save(&saved);
	ok = lt_audit_officer_sig_check(pub, store_id, rec) == LETHE_OK;
	lt_err_restore(&saved, LETHE_OK);
	return ok;
}

bool lt_audit_officer_only(const struct lt_db_audit *rec)
{
	static const char *const actions[] = {
	    "hold.clear",
	    "key.rotate",
	    "key.rewrap",
	    "key.retire",
	    "officer.add",
	    "officer.remove",
	    "officer.passwd",
	    "audit.reanchor",
	    "officer.migrate",
	    /* reserved for officer changes that shorten or unlock retention */
	    "retention.shorten",
	    "retention.unlock",
	};
	size_t i;

	if (strcmp(rec->outcome, "ok") != 0)
		return false;
	/* an rm before the object expired: only an officer forces one (lib/shred.c) */
	if (strcmp(rec->action, "rm") == 0)
		return strncmp(rec->error, "forced", 6) == 0;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(rec->action, actions[i]) == 0)
			return true;
	return false;
}

bool lt_audit_claims_officer(const struct lt_db_audit *rec)
{
	return rec->keyslot[0] != '\0' && strcmp(rec->keyslot, "service") != 0;
}

/*
 * One line of key=value fields for syslog. Every value goes through lt_logfmt, which quotes and
 * escapes anything that is not plainly a word: the user, host, group and error text come from
 * outside lethe and must not be able to add or pose as fields.
 */
void lt_audit_format_line(const struct lt_db_audit *rec, char *buf, size_t len)
{
	struct lt_logfmt f;
	char when[40], mac[65];

	lt_time_format_us(rec->time_us, when, sizeof(when));
	/* seq and MAC let a SIEM see a gap, or a record rewritten later; a record not in the
	 * chain yet (seq 0) has no MAC */
	if (rec->seq == 0)
		snprintf(mac, sizeof(mac), "-");
	else
		lt_hex(rec->mac, 32, mac);
	lt_logfmt_init(&f, buf, len);
	lt_logfmt_u64(&f, "seq", rec->seq);
	lt_logfmt_str(&f, "mac", mac);
	lt_logfmt_str(&f, "time", when);
	lt_logfmt_str(&f, "action", rec->action);
	lt_logfmt_str(&f, "outcome", rec->outcome);
	lt_logfmt_str(&f, "object", rec->object[0] ? rec->object : "-");
	lt_logfmt_str(&f, "group", rec->group[0] ? rec->group : "-");
	lt_logfmt_u64(&f, "uid", rec->uid);
	lt_logfmt_str(&f, "user", rec->user);
	lt_logfmt_str(&f, "keyslot", rec->keyslot[0] ? rec->keyslot : "-");
	lt_logfmt_i64(&f, "pid", rec->pid);
	lt_logfmt_str(&f, "host", rec->host);
	lt_logfmt_str(&f, "error", rec->error);
	if (rec->unauthenticated)
		lt_logfmt_str(&f, "unauthenticated", "true");
}
