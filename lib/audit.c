/* audit.c - the audit log of a store handle, composed from audit/: transactions whose records
 * reach syslog only once they commit, recording an event in the caller's transaction or in one
 * of its own, and the public audit calls (verify, export, checkpoint). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "keys/anchor.h"
#include "keys/authority.h"
#include "keys/evkey.h"
#include "lib/internal.h"

/* The handles audit/ appends with: this handle's database, chain key and syslog queue. */
static struct lt_audit_log audit_log(struct lethe_store *st)
{
	return (struct lt_audit_log){
	    .db = st->db,
	    .key = st->keys->audit_mac,
	    .syslog = st->cfg.syslog ? &st->syslog_queue : NULL,
	    .appended = &st->tx_head,
	    .store_id = st->store_id,
	};
}

/* The officer authority key of an officer's handle, set up once (NULL for any other handle). */
static enum lethe_err officer_signer(struct lethe_store *st, struct lt_ed25519_key **out)
{
	enum lethe_err rc = LETHE_OK;

	*out = NULL;
	if (!st->officer || !st->authority_ready)
		return LETHE_OK;
	if (!st->authority_signer)
		rc = lt_authority_signer(st->keys->oas, st->store_id, &st->authority_signer);
	*out = st->authority_signer;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* transactions                                                                             */

enum lethe_err lt_tx_begin(struct lethe_store *st)
{
	enum lethe_err rc = lt_store_writable(st);

	if (rc == LETHE_OK)
		rc = lt_db_begin(st->db);

	if (rc == LETHE_OK)
		st->in_tx = true;
	return rc;
}

/* Forget what the transaction appended: it did not commit. */
static void tx_forget(struct lethe_store *st)
{
	memset(&st->tx_head, 0, sizeof(st->tx_head));
	st->tx_cert_seq = 0;
}

/* What the transaction appended is committed: it is what the anchor must reach now. */
static void tx_promote(struct lethe_store *st)
{
	struct lt_anchor *due = &st->anchor_due;

	if (st->tx_head.seq > due->audit_seq) {
		due->audit_seq = st->tx_head.seq;
		memcpy(due->audit_mac, st->tx_head.mac, 32);
		st->anchor_dirty = true;
	}
	if (st->tx_cert_seq > due->cert_seq) {
		due->cert_seq = st->tx_cert_seq;
		memcpy(due->cert_sha256, st->tx_cert_sha256, 32);
		st->anchor_dirty = true;
	}
	tx_forget(st);
}

enum lethe_err lt_tx_commit(struct lethe_store *st)
{
	enum lethe_err rc = lt_db_commit(st->db);

	if (rc != LETHE_OK) {
		lt_tx_rollback(st);
		return rc;
	}
	st->in_tx = false;
	tx_promote(st);
	lt_audit_queue_flush(&st->syslog_queue, true);
	/* a long run (a sweep, a rewrap) anchors as it goes, not only when it closes */
	if (st->anchor_dirty && st->anchor_due.audit_seq - st->anchored_seq >= LT_ANCHOR_EVERY) {
		struct lt_err_saved saved;

		lt_err_save(&saved);
		(void) lt_audit_anchor(st, false);
		lt_err_restore(&saved, LETHE_OK);
	}
	return LETHE_OK;
}

void lt_tx_rollback(struct lethe_store *st)
{
	if (st->in_tx)
		lt_db_rollback(st->db);
	st->in_tx = false;
	tx_forget(st);
	lt_audit_queue_flush(&st->syslog_queue, false);
}

void lt_audit_note_cert(struct lethe_store *st, uint64_t seq, const uint8_t sha256[32])
{
	st->tx_cert_seq = seq;
	memcpy(st->tx_cert_sha256, sha256, 32);
}

/* ---------------------------------------------------------------------------------------- */
/* the anchor in the keystore                                                               */

#define ANCHOR_ACTION "audit.anchor"
#define INIT_ACTION   "init"

struct log_start {
	const uint8_t *key;
	bool init, anchored;
	enum lethe_err rc;
};

static int first_record(const struct lt_db_audit *rec, void *vctx)
{
	struct log_start *ls = vctx;
	uint8_t prev[32] = {0}, mac[32];

	if (rec->seq != 1 || strcmp(rec->action, INIT_ACTION) != 0)
		return 1;
	ls->rc = lt_audit_mac(ls->key, rec, prev, mac);
	if (ls->rc == LETHE_OK && lt_memeq(mac, rec->mac, 32)) {
		ls->init = true;
		ls->anchored = strstr(rec->error, LT_INIT_SEALED) != NULL;
	}
	return 1;
}

enum lethe_err lt_audit_log_start(struct lethe_store *st, bool *init, bool *anchored_at_init)
{
	struct log_start ls = {.key = st->keys->audit_mac};
	enum lethe_err rc;

	rc = lt_db_audit_list(st->db, 1, INT64_MIN, first_record, &ls);
	if (rc == LETHE_OK)
		rc = ls.rc;
	*init = rc == LETHE_OK && ls.init;
	*anchored_at_init = *init && ls.anchored;
	return rc;
}

/* Why no anchor may be made from nothing for this log (NULL: it may, a store from before
 * anchors whose log begins with its init record). */
static const char *anchor_from_nothing(struct lethe_store *st, enum lethe_err *rc)
{
	bool init = false, anchored = false;

	*rc = lt_audit_log_start(st, &init, &anchored);
	if (*rc != LETHE_OK)
		return NULL;
	if (!init)
		return "the log does not begin with the store's init record: records were deleted";
	if (anchored)
		return "the init record says the store was anchored when it was made: the anchor "
		       "was removed";
	return NULL;
}

/* The anchor moves on only from a log that still holds the record it names, with its MAC: a
 * log cut back and grown again past it must fail `audit verify`, not be anchored anew. */
static enum lethe_err anchor_check(const struct lt_anchor *current, void *ctx)
{
	struct lethe_store *st = ctx;
	uint8_t mac[32];
	bool found = false;
	enum lethe_err rc;

	if (current->audit_seq == 0)
		return LETHE_OK;
	rc = lt_db_audit_mac_at(st->db, current->audit_seq, mac, &found);
	if (rc != LETHE_OK)
		return rc;
	if (!found || !lt_memeq(mac, current->audit_mac, 32))
		return lt_err(LETHE_ERR_INTEGRITY,
			      "the audit log no longer holds record %llu as the keystore's anchor "
			      "names it: records were deleted (or meta.db restored from a backup); "
			      "the anchor is left as it is",
			      (unsigned long long) current->audit_seq);
	return LETHE_OK;
}

/* A store from before anchors: anchor what this handle committed, then say so in the log (the
 * record that tells every later verifier that an anchor must exist), and anchor that too. */
static enum lethe_err anchor_first(struct lethe_store *st)
{
	enum lethe_err rc;

	rc = lt_anchor_advance(st->keystore_path, st->keys->audit_anchor, st->store_id,
			       &st->anchor_due, true, anchor_check, st);
	if (rc == LETHE_OK)
		rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_audit_append(st, &(struct lt_audit_event){.action = ANCHOR_ACTION});
	if (rc == LETHE_OK)
		return lt_tx_commit(st);
	lt_tx_rollback(st);
	return rc;
}

enum lethe_err lt_audit_anchor(struct lethe_store *st, bool create)
{
	uint64_t marker = 0;
	enum lethe_err rc;

	if (st->anchoring || !st->anchor_dirty)
		return LETHE_OK;
	st->anchoring = true;
	rc = lt_anchor_advance(st->keystore_path, st->keys->audit_anchor, st->store_id,
			       &st->anchor_due, create, anchor_check, st);
	if (rc == LETHE_ERR_NOT_FOUND) {
		rc = lt_db_audit_find_action(st->db, ANCHOR_ACTION, &marker);
		if (rc == LETHE_OK && marker) {
			rc = lt_err(LETHE_ERR_INTEGRITY,
				    "%s: the audit anchor is missing, though audit record %llu "
				    "says it was created",
				    st->keystore_path, (unsigned long long) marker);
		} else if (rc == LETHE_OK) {
			/* trust on first use only for a log as a store from before anchors has
			 * it: an anchor made from a deleted log would bless the deletion */
			const char *why = anchor_from_nothing(st, &rc);

			if (rc == LETHE_OK && why)
				rc = lt_err(LETHE_ERR_INTEGRITY,
					    "%s: the audit anchor is missing and %s; no anchor is "
					    "made from this log",
					    st->keystore_path, why);
			else if (rc == LETHE_OK)
				rc = anchor_first(st);
		}
		if (rc == LETHE_OK)
			rc = lt_anchor_advance(st->keystore_path, st->keys->audit_anchor,
					       st->store_id, &st->anchor_due, false, anchor_check,
					       st);
	}
	if (rc == LETHE_OK) {
		st->anchored_seq = st->anchor_due.audit_seq;
		st->anchor_dirty = false;
	} else {
		lt_audit_report_unwritten(ANCHOR_ACTION, lt_err_detail());
	}
	st->anchoring = false;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* records                                                                                  */

enum lethe_err lt_audit_append(struct lethe_store *st, const struct lt_audit_event *ev)
{
	struct lt_audit_log log = audit_log(st);
	enum lethe_err rc = officer_signer(st, &log.officer);

	if (rc != LETHE_OK)
		return rc;
	return lt_audit_event_append(&log, &st->actor, ev);
}

/*
 * The store cannot take the record of an operation that stands (a read on a snapshot, on a
 * full disk): syslog gets the record itself (without a chain position) and a warning that
 * meta.db lacks it, and the handle counts it for its caller. An operation that failed for
 * the same reason (a write refused on a read-only handle, or that met the full disk) is not
 * counted: its own error says so already.
 */
static void record_elsewhere(struct lethe_store *st, const struct lt_audit_event *ev,
			     const char *why)
{
	lt_audit_pending_add(NULL, st->cfg.syslog, &st->actor, ev);
	lt_audit_report_unwritten(ev->action, why);
	if (st->write_refused || ev->err == LETHE_ERR_NOSPC)
		return;
	st->unaudited++;
	st->unaudited_why = why;
}

enum lethe_err lt_audit_record(struct lethe_store *st, const struct lt_audit_event *ev)
{
	struct lt_err_saved saved;
	enum lethe_err rc;

	/* the caller's detail is what the user must see, whatever happens here */
	lt_err_save(&saved);
	if (st->read_only) {
		/* nothing is attempted: a read-only handle writes nothing */
		record_elsewhere(st, ev, st->read_only);
		return lt_err_restore(&saved, LETHE_OK);
	}
	rc = lt_tx_begin(st);
	if (rc == LETHE_OK) {
		rc = lt_audit_append(st, ev);
		if (rc == LETHE_OK)
			rc = lt_tx_commit(st);
		else
			lt_tx_rollback(st);
	}
	if (rc == LETHE_ERR_NOSPC) {
		record_elsewhere(st, ev, "the disk is full");
		return lt_err_restore(&saved, LETHE_OK);
	}
	if (rc != LETHE_OK)
		lt_audit_report_unwritten(ev->action, lt_err_detail());
	return lt_err_restore(&saved, rc);
}

void lt_audit_record_unkeyed(struct lt_db *db, const struct lt_config *cfg, const char *action,
			     const char *keyslot, enum lethe_err err, const char *error)
{
	struct lt_audit_actor actor;
	struct lt_audit_event ev = {.action = action, .err = err};
	struct lt_err_saved saved;

	/* @p error may be the detail itself: it becomes the detail, and a copy nothing below
	 * overwrites */
	lt_err(LETHE_OK, "%s", error ? error : "");
	ev.error = lt_err_save(&saved);
	/* the actor as far as the process knows it, from its uid as on every other record (never
	 * from $USER, which whoever runs lethe chooses): no keyslot opened */
	lt_audit_actor_self(&actor);
	lt_strlcpy(actor.keyslot, keyslot ? keyslot : "", sizeof(actor.keyslot));
	/* a read-only database takes nothing: syslog alone has it */
	lt_audit_pending_add(lt_db_read_only(db) ? NULL : db, cfg ? cfg->syslog : true, &actor,
			     &ev);
	lt_err_restore(&saved, LETHE_OK);
}

enum lethe_err lt_audit_fold_pending(struct lethe_store *st)
{
	struct lt_audit_log log = audit_log(st);
	enum lethe_err rc;

	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_audit_pending_fold(&log);
	if (rc == LETHE_OK)
		return lt_tx_commit(st);
	lt_tx_rollback(st);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* public calls                                                                             */

/* The keystore's anchor as a mark the log must reach; a missing or bad anchor is itself a
 * problem (told to @p fn, *bad set) once the log says an anchor was made. */
static enum lethe_err keystore_mark(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
				    struct lt_audit_mark *mark, bool *have, bool *bad)
{
	struct lt_anchor a;
	uint64_t marker = 0, last = 0;
	uint8_t mac[32];
	bool found = false;
	char what[200];
	enum lethe_err rc;

	*have = false;
	rc = lt_anchor_read(st->keystore_path, st->keys->audit_anchor, st->store_id, &a, &found);
	if (rc == LETHE_ERR_INTEGRITY) {
		if (fn)
			fn("audit anchor", lt_err_detail(), ctx);
		*bad = true;
		return LETHE_OK;
	}
	if (rc != LETHE_OK)
		return rc;
	if (found) {
		mark->what = "audit anchor";
		mark->head.seq = a.audit_seq;
		memcpy(mark->head.mac, a.audit_mac, 32);
		*have = true;
		return LETHE_OK;
	}
	rc = lt_db_audit_find_action(st->db, ANCHOR_ACTION, &marker);
	if (rc == LETHE_OK)
		rc = lt_db_audit_last(st->db, &last, mac);
	if (rc != LETHE_OK)
		return rc;
	if (marker) {
		snprintf(
		    what, sizeof(what),
		    "missing from keystore.luks, though audit record %llu says it was made: it "
		    "was removed, with the records it named, or the keystore was replaced",
		    (unsigned long long) marker);
	} else if (last == 0) {
		snprintf(
		    what, sizeof(what),
		    "none in keystore.luks and the audit log is empty: every store has its init "
		    "record, so the log was deleted");
	} else {
		const char *why = anchor_from_nothing(st, &rc);

		if (rc != LETHE_OK)
			return rc;
		if (!why)
			return LETHE_OK; /* a store from before anchors: its first writer anchors it */
		snprintf(what, sizeof(what), "none in keystore.luks, and %s", why);
	}
	if (fn)
		fn("audit anchor", what, ctx);
	*bad = true;
	return LETHE_OK;
}

enum lethe_err lt_audit_check_anchor(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
				     bool *bad)
{
	struct lt_audit_mark mark;
	bool have = false, found = false, init = false, anchored = false;
	uint8_t mac[32];
	char what[200];
	enum lethe_err rc;

	memset(&mark, 0, sizeof(mark));
	rc = keystore_mark(st, fn, ctx, &mark, &have, bad);
	if (rc == LETHE_OK && have && mark.head.seq) {
		rc = lt_db_audit_mac_at(st->db, mark.head.seq, mac, &found);
		if (rc == LETHE_OK && (!found || !lt_memeq(mac, mark.head.mac, 32))) {
			snprintf(what, sizeof(what),
				 found
				     ? "names record %llu with another MAC: the log was rewritten "
				       "from there on"
				     : "names record %llu, which the log does not hold: the newest "
				       "records were deleted",
				 (unsigned long long) mark.head.seq);
			if (fn)
				fn("audit anchor", what, ctx);
			*bad = true;
		}
	}
	if (rc == LETHE_OK)
		rc = lt_audit_log_start(st, &init, &anchored);
	if (rc == LETHE_OK && !init) {
		if (fn)
			fn("audit log",
			   "the log does not begin with the store's init record: "
			   "records were deleted",
			   ctx);
		*bad = true;
	}
	return rc;
}

/* The checkpoint in @p path (checkpoint-SEQ.json) and its signature (checkpoint-SEQ.sig). */
static enum lethe_err file_mark(struct lethe_store *st, const char *path,
				struct lt_audit_mark *mark)
{
	uint8_t pub[LT_ED25519_PUB_LEN], sig[LT_ED25519_SIG_LEN];
	char *json = NULL, *sigbuf = NULL, *sig_path = NULL;
	size_t len = 0, sig_len = 0, base;
	enum lethe_err rc;

	base = strlen(path);
	if (base > 5 && strcmp(path + base - 5, ".json") == 0)
		base -= 5;
	sig_path = malloc(base + 5);
	if (!sig_path)
		return LETHE_ERR_NOMEM;
	memcpy(sig_path, path, base);
	memcpy(sig_path + base, ".sig", 5);
	rc = lt_read_file(path, 64 * 1024, &json, &len);
	if (rc == LETHE_OK) {
		rc = lt_read_file(sig_path, 1024, &sigbuf, &sig_len);
		if (rc == LETHE_ERR_NOT_FOUND)
			rc = lt_err(LETHE_ERR_NOT_FOUND, "%s: no signature beside the checkpoint",
				    sig_path);
	}
	if (rc == LETHE_OK && sig_len != sizeof(sig))
		rc = lt_err(LETHE_ERR_INVALID, "%s: not a checkpoint signature", sig_path);
	if (rc == LETHE_OK) {
		memcpy(sig, sigbuf, sizeof(sig));
		/* the evidence key bound to the master key, never meta.evidence_pub alone */
		rc = lt_evidence_pub(st, pub);
	}
	if (rc == LETHE_OK && lt_ed25519_verify(pub, json, len, sig) != LETHE_OK)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: the signature does not verify under this "
			    "store's evidence key",
			    path);
	if (rc == LETHE_OK &&
	    lt_audit_checkpoint_parse(json, len, st->store_id, &mark->head) != LETHE_OK)
		rc = lt_err(LETHE_ERR_INTEGRITY, "%s: %s", path, lt_err_detail());
	mark->what = "checkpoint file";
	free(json);
	free(sigbuf);
	free(sig_path);
	return rc;
}

/*
 * The officer authority key officer actions must be signed by: the one meta.db pinned at init
 * or at the migration (*@p have). A store without a pin and without officers.luks is one from
 * before officers.luks that no officer has opened yet: nothing of its log is signed. A pin
 * missing beside an officers.luks, or from a store whose init record names its authority, was
 * removed (or a migration was interrupted: the next officer open pins it): a problem, since
 * no officer action can be checked then.
 */
static enum lethe_err officer_pub(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
				  uint8_t pub[LT_ED25519_PUB_LEN], bool *have, bool *bad)
{
	uint64_t from = 0;
	size_t len = 0;
	bool born = false;
	enum lethe_err rc;

	*have = false;
	rc = lt_db_meta_get(st->db, LT_AUTHORITY_META_PUB, pub, LT_ED25519_PUB_LEN, &len);
	if (rc == LETHE_OK && len != LT_ED25519_PUB_LEN) {
		if (fn)
			fn("meta.officer_pub", "the pinned officer authority is malformed", ctx);
		*bad = true;
		return LETHE_OK;
	}
	if (rc == LETHE_OK) {
		*have = true;
		return LETHE_OK;
	}
	if (rc != LETHE_ERR_NOT_FOUND)
		return rc;
	rc = lt_audit_officer_from(st->db, &from, &born);
	if (rc != LETHE_OK)
		return rc;
	if (born || access(st->officers_path, F_OK) == 0) {
		if (fn)
			fn("meta.officer_pub",
			   born ? "missing, though audit record 1 names the store's officer "
				  "authority: "
				  "the pin was removed, and no officer action can be checked"
				: "missing, though officers.luks exists: the pin was removed (or a "
				  "migration interrupted: an officer open pins it), and no officer "
				  "action can be checked",
			   ctx);
		*bad = true;
	}
	lt_err_clear();
	return LETHE_OK;
}

static enum lethe_err audit_verify(struct lethe_store *st, const char *checkpoint_file,
				   lethe_problem_fn fn, void *ctx, uint64_t *records)
{
	struct lt_audit_mark marks[2];
	struct lt_audit_verify_opts o = {
	    .key = st->keys->audit_mac,
	    .store_id = st->store_id,
	    .marks = marks,
	    .require_init = true,
	    .fn = fn,
	    .ctx = ctx,
	};
	uint8_t oak_pub[LT_ED25519_PUB_LEN];
	bool intact = false, have = false, bad = false;
	enum lethe_err rc;

	memset(marks, 0, sizeof(marks));
	rc = officer_pub(st, fn, ctx, oak_pub, &have, &bad);
	if (rc != LETHE_OK)
		return rc;
	if (have)
		o.officer_pub = oak_pub;
	have = false;
	/* Checkpoints are verified under the evidence key: it must be the key bound to the
	 * master key, or a database edit could sign checkpoints of its own. */
	{
		uint8_t pub[LT_ED25519_PUB_LEN];

		rc = lt_evidence_pub(st, pub);
		if (rc == LETHE_ERR_INTEGRITY && fn)
			fn("meta.evidence_pub", lt_err_detail(), ctx);
		if (rc == LETHE_ERR_INTEGRITY)
			return lt_err(LETHE_ERR_INTEGRITY,
				      "audit log verification failed: the "
				      "evidence key in the database was replaced");
		if (rc != LETHE_OK)
			return rc;
	}
	if (checkpoint_file) {
		rc = file_mark(st, checkpoint_file, &marks[o.nmarks]);
		if (rc != LETHE_OK)
			return rc;
		o.nmarks++;
	}
	/* the anchor first, the log after it: a writer anchors only what it committed */
	rc = keystore_mark(st, fn, ctx, &marks[o.nmarks], &have, &bad);
	if (rc != LETHE_OK)
		return rc;
	o.nmarks += have;
	rc = lt_audit_verify_with(st->db, &o, records, &intact);
	if (rc != LETHE_OK)
		return rc;
	if (!intact || bad) {
		lt_audit_record(st, &(struct lt_audit_event){.action = "audit.verify",
							     .err = LETHE_ERR_INTEGRITY,
							     .error = "audit chain broken"});
		return lt_err(LETHE_ERR_INTEGRITY, "audit log verification failed");
	}
	return LETHE_OK;
}

LETHE_API enum lethe_err lethe_audit_verify(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
					    uint64_t *records)
{
	lt_err_clear();
	if (records)
		*records = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	return audit_verify(st, NULL, fn, ctx, records);
}

LETHE_API enum lethe_err lethe_audit_officer_authority(struct lethe_store *st, char fingerprint[65],
						       uint64_t *signed_from)
{
	uint8_t pub[LT_ED25519_PUB_LEN];
	size_t len = 0;
	bool born = false;
	enum lethe_err rc;

	lt_err_clear();
	if (fingerprint)
		fingerprint[0] = '\0';
	if (signed_from)
		*signed_from = 0;
	if (!st || !fingerprint || !signed_from)
		return lt_err(LETHE_ERR_INVALID, "no store or no output");
	rc = lt_db_meta_get(st->db, LT_AUTHORITY_META_PUB, pub, sizeof(pub), &len);
	if (rc == LETHE_ERR_NOT_FOUND || (rc == LETHE_OK && len != sizeof(pub))) {
		lt_err_clear();
		return LETHE_OK; /* audit verify reports a malformed pin */
	}
	if (rc == LETHE_OK)
		rc = lt_authority_fingerprint(pub, fingerprint);
	if (rc == LETHE_OK)
		rc = lt_audit_officer_from(st->db, signed_from, &born);
	return rc;
}

LETHE_API enum lethe_err lethe_audit_verify_anchor(struct lethe_store *st,
						   const char *checkpoint_file, lethe_problem_fn fn,
						   void *ctx, uint64_t *records)
{
	lt_err_clear();
	if (records)
		*records = 0;
	if (!st || !checkpoint_file || !*checkpoint_file)
		return lt_err(LETHE_ERR_INVALID, "no store or no checkpoint file");
	return audit_verify(st, checkpoint_file, fn, ctx, records);
}

LETHE_API enum lethe_err lethe_audit_reanchor(struct lethe_store *st, uint64_t *seq)
{
	struct lt_anchor old, now;
	struct lt_audit_head head;
	char what[200];
	bool found = false;
	enum lethe_err rc;

	lt_err_clear();
	if (seq)
		*seq = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, "audit.reanchor", "moving the audit anchor back");
	if (rc != LETHE_OK)
		return rc;
	rc = lt_anchor_read(st->keystore_path, st->keys->audit_anchor, st->store_id, &old, &found);
	if (rc == LETHE_ERR_INTEGRITY) {
		found = false;
		rc = LETHE_OK;
	}
	if (rc != LETHE_OK)
		return rc;
	if (found)
		snprintf(what, sizeof(what), "the anchor named record %llu, certificate %llu",
			 (unsigned long long) old.audit_seq, (unsigned long long) old.cert_seq);
	else
		snprintf(what, sizeof(what), "there was no valid anchor");
	/* the record that says the anchor was moved, by whom and from where, is anchored too */
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_audit_append(st,
			     &(struct lt_audit_event){.action = "audit.reanchor", .error = what});
	head = st->tx_head;
	memset(&now, 0, sizeof(now));
	if (rc == LETHE_OK)
		rc = lt_db_cert_last(st->db, &now.cert_seq, now.cert_sha256);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	if (rc != LETHE_OK)
		return rc;
	now.audit_seq = head.seq;
	memcpy(now.audit_mac, head.mac, 32);
	rc = lt_anchor_reset(st->keystore_path, st->keys->audit_anchor, st->store_id, &now);
	if (rc == LETHE_OK) {
		st->anchor_due = now;
		st->anchored_seq = now.audit_seq;
		st->anchor_dirty = false;
		if (seq)
			*seq = now.audit_seq;
	}
	return rc;
}

LETHE_API enum lethe_err lethe_audit_export(struct lethe_store *st, int fd, uint64_t since_seq,
					    int64_t since_time, uint64_t *count)
{
	lt_err_clear();
	if (count)
		*count = 0;
	if (!st || fd < 0)
		return lt_err(LETHE_ERR_INVALID, "no store or output");
	return lt_audit_export(st->db, fd, since_seq, since_time, count);
}

LETHE_API enum lethe_err lethe_audit_checkpoint(struct lethe_store *st, const char *dir,
						uint64_t *seq)
{
	struct lt_audit_checkpoint cp = {0};
	enum lethe_err rc;

	lt_err_clear();
	if (seq)
		*seq = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_evidence_key_load(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* the checkpoint covers its own audit record */
	rc = lt_audit_append(st, &(struct lt_audit_event){.action = "audit.checkpoint"});
	if (rc == LETHE_OK)
		rc = lt_audit_checkpoint_add(st->db, st->store_id, st->evidence_signer, &cp);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	if (rc == LETHE_OK && dir)
		rc = lt_audit_checkpoint_write(dir, &cp);
	if (rc == LETHE_OK && seq)
		*seq = cp.audit_seq;
	if (st->in_tx)
		lt_tx_rollback(st);
	lt_audit_checkpoint_free(&cp);
	return rc;
}
