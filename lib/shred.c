/* shred.c - crypto-shredding (rm, sweep), legal holds and retention changes.
 *
 * A shred is one transaction: the wrapped DEK is set to NULL (secure_delete zeroes the freed
 * bytes), the row marked shredded and queued for unlink, the signed certificate and the audit
 * record appended. The ciphertext is unlinked after the commit; a crash in between leaves the
 * id in pending_unlinks, which the next open finishes. Without its DEK the ciphertext, and
 * every copy of it in backups, is noise: that is the erase.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "retention/cert.h"
#include "retention/group.h"
#include "retention/policy.h"
#include "store/db.h"
#include "store/objfile.h"

enum lethe_err lt_shred_in_tx(struct lethe_store *st, const struct lt_db_object *obj,
			      int64_t now, const char *action, const char *reason,
			      const char *text, bool forced, char cert_id[LETHE_ID_LEN + 1])
{
	struct lt_audit_event ev = { .action = action, .object = obj->id, .group = obj->group };
	struct lt_cert_disposal d = {
		.store_id = st->store_id, .cfg = &st->cfg, .reason = reason, .reason_text = text,
		.forced = forced, .shredded_at = now, .actor_uid = st->uid, .actor_user = st->user,
		.actor_keyslot = st->who.name, .host = st->host, .tool_version = LETHE_VERSION_STRING,
	};
	struct lt_db_cert cert = { 0 };
	uint8_t prev_sha256[32];
	uint64_t seq;
	enum lethe_err rc;

	rc = lt_evidence_key_load(st);
	if (rc == LETHE_OK)
		rc = lt_db_cert_last(st->db, &d.prev_seq, prev_sha256);
	d.prev_sha256 = prev_sha256;
	if (rc == LETHE_OK)
		rc = lt_db_object_shred(st->db, obj->id, now);
	if (rc == LETHE_OK)
		rc = lt_cert_issue(obj, &d, st->evidence_signer, &cert);
	if (rc == LETHE_OK)
		rc = lt_db_cert_insert(st->db, &cert, &seq);
	ev.error = forced ? "forced early shred by officer" : text;
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK && cert_id)
		memcpy(cert_id, cert.id, LETHE_ID_LEN + 1);
	free((void *)cert.json);
	return rc;
}

struct unlink_ctx {
	struct lethe_store *st;
	char (*ids)[LETHE_ID_LEN + 1];
	size_t n, cap;
	enum lethe_err rc;
};

static int collect_unlink(const char *id, void *vctx)
{
	struct unlink_ctx *u = vctx;

	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		void *p = realloc(u->ids, cap * sizeof(*u->ids));

		if (!p) {
			u->rc = LETHE_ERR_NOMEM;
			return 1;
		}
		u->ids = p;
		u->cap = cap;
	}
	lt_strlcpy(u->ids[u->n++], id, LETHE_ID_LEN + 1);
	return 0;
}

/* Dequeue, in one transaction, the files of @p ids whose @p errnos entry is 0 (gone, durably). */
static enum lethe_err dequeue_gone(struct lethe_store *st, const char (*ids)[LETHE_ID_LEN + 1],
				   const int *errnos, size_t n, size_t *done)
{
	enum lethe_err rc;
	size_t i, count = 0;

	rc = lt_db_begin(st->db);
	for (i = 0; rc == LETHE_OK && i < n; i++) {
		if (errnos[i] != 0)
			continue;
		rc = lt_db_unlink_done(st->db, ids[i]);
		count++;
	}
	if (rc == LETHE_OK)
		rc = lt_db_commit(st->db);
	else
		lt_db_rollback(st->db);
	if (rc == LETHE_OK && done)
		*done = count;
	return rc;
}

enum lethe_err lt_finish_unlinks(struct lethe_store *st, lt_unlink_left_fn left, void *ctx,
				 size_t *done)
{
	struct unlink_ctx u = { st, NULL, 0, 0, LETHE_OK };
	int *errnos = NULL;
	size_t gone = 0, i, first = SIZE_MAX;
	char why[512];
	enum lethe_err rc;

	if (done)
		*done = 0;
	rc = lt_db_unlink_pending(st->db, collect_unlink, &u);
	if (rc == LETHE_OK)
		rc = u.rc;
	if (rc != LETHE_OK || u.n == 0)
		goto out;
	errnos = calloc(u.n, sizeof(*errnos));
	if (!errnos) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	/* Every file is tried: one that cannot be unlinked stays queued on its own. One file (rm):
	 * unlink it and fsync its directory. More (sweeps, recovery): unlink them several at a
	 * time, then one syncfs() makes them all durable, instead of one directory fsync (a disk
	 * cache flush) per file. Rows leave pending_unlinks only after that. */
	errnos[0] = lt_obj_unlink_try(st->dir, u.ids[0]);
	gone = errnos[0] == 0;
	if (u.n > 1) {
		LT_FAULT("shred.mid_unlink"); /* some files unlinked, the rest not yet */
		gone += lt_obj_unlink_many(st->dir, (const char (*)[LETHE_ID_LEN + 1])(u.ids + 1),
					   u.n - 1, errnos + 1);
	}
	LT_FAULT("shred.after_unlink"); /* files gone, still queued */
	if (gone && u.n == 1)
		rc = lt_obj_unlink(st->dir, u.ids[0]); /* gone already: fsyncs its directory */
	else if (gone)
		rc = lt_obj_unlinks_sync(st->dir);
	if (rc == LETHE_OK && gone)
		rc = dequeue_gone(st, (const char (*)[LETHE_ID_LEN + 1])u.ids, errnos, u.n, done);
	if (rc != LETHE_OK) {
		/* nothing is known durable, or nothing was dequeued: every file stays queued */
		lt_strlcpy(why, lt_err_detail(), sizeof(why));
		for (i = 0; left && i < u.n; i++)
			left(u.ids[i], why, ctx);
		lt_err(rc, "%s", why);
		goto out;
	}
	for (i = 0; i < u.n; i++) {
		if (errnos[i] == 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		rc = lt_obj_unlink_error(st->dir, u.ids[i], errnos[i]);
		if (left)
			left(u.ids[i], lt_err_detail(), ctx);
	}
	if (first != SIZE_MAX) {
		/* the detail callers see is the first file's */
		rc = lt_obj_unlink_error(st->dir, u.ids[first], errnos[first]);
		lt_err_prefix("%zu file(s) of shredded objects could not be unlinked and stay "
			      "queued; the first", u.n - gone);
	}
out:
	free(errnos);
	free(u.ids);
	return rc;
}

static enum lethe_err rm_in_tx(struct lethe_store *st, const char *id, const char *reason,
			       bool force, struct lt_db_object *row, char *cert_id)
{
	struct lt_retention_object o = { .row = row };
	int64_t now;
	bool forced;
	enum lethe_err rc;

	rc = lt_db_object_get(st->db, id, row);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "no such object");
	if (rc != LETHE_OK)
		return rc;
	if (row->state == LETHE_STATE_SHREDDED)
		return lt_err(LETHE_ERR_SHREDDED, "object was already crypto-shredded");
	rc = lt_db_group_hold_get(st->db, row->group, &o.group_hold, NULL);
	if (rc != LETHE_OK)
		return rc;
	now = lt_now();
	rc = lt_retention_may_remove(&st->cfg, &o, now, force, st->officer, &forced);
	if (rc != LETHE_OK)
		return rc;
	return lt_shred_in_tx(st, row, now, "rm", "manual", reason, forced, cert_id);
}

LETHE_API enum lethe_err lethe_object_rm(struct lethe_store *st, const char *id,
					 const char *reason, int force,
					 char cert_id_out[LETHE_ID_LEN + 1])
{
	struct lt_db_object *row;
	char cert_id[LETHE_ID_LEN + 1] = "";
	enum lethe_err rc;

	lt_err_clear();
	if (cert_id_out)
		memset(cert_id_out, 0, LETHE_ID_LEN + 1);
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_check_id(id);
	if (rc != LETHE_OK)
		return rc;
	if (!reason || !*reason)
		return lt_err(LETHE_ERR_INVALID, "a reason is required (--reason TEXT)");
	if (strlen(reason) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	row = calloc(1, sizeof(*row));
	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	rc = rm_in_tx(st, id, reason, force != 0, row, cert_id);
	if (rc == LETHE_OK) {
		LT_FAULT("rm.before_commit");
		rc = lt_tx_commit(st);
	} else {
		lt_tx_rollback(st);
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rm.after_commit");
		/* the shred is done; a file left is retried by the next open, reported by doctor */
		lt_finish_unlinks(st, NULL, NULL, NULL);
		lt_err_clear();
		if (cert_id_out)
			memcpy(cert_id_out, cert_id, sizeof(cert_id));
	}
out:
	if (rc != LETHE_OK && rc != LETHE_ERR_NOMEM) {
		char saved[1024];

		lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
		lt_audit_record(st, &(struct lt_audit_event){ .action = "rm", .object = id,
							       .group = row->group, .err = rc,
							       .error = saved });
	}
	free(row);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* sweep                                                                                    */

/* WAL pages (64 MiB) a sweep lets accumulate before SQLite checkpoints on its own. */
#define SWEEP_AUTOCHECKPOINT 16384

struct sweep_batch {
	struct lt_db_object *rows;
	size_t n, cap;
	enum lethe_err rc;
};

static int collect_expired(const struct lt_db_object *obj, void *vctx)
{
	struct sweep_batch *b = vctx;

	if (b->n == b->cap)
		return 1;
	b->rows[b->n++] = *obj;
	return 0;
}

/*
 * The files of the last committed batch, unlinked by a background thread while the next
 * batch is shredded: unlinks (several at a time) and the syncfs() after them mostly wait for
 * the disk, shredding mostly computes (a signature per certificate). Their pending_unlinks rows
 * are deleted in the next batch's transaction, and only once the thread reported them
 * unlinked and durable; a file that could not be unlinked stays queued, and
 * lt_finish_unlinks() at the end of the sweep retries it and reports it.
 */
struct sweep_unlinker {
	const char *dir;
	char (*ids)[LETHE_ID_LEN + 1];
	int *errnos;             /* per file: 0 once gone, else why not (it stays queued) */
	size_t n;
	bool running;
	pthread_t thread;
	enum lethe_err rc;       /* the sync of the files that went */
};

struct sweep_state {
	struct lethe_store *st;
	int dry_run;
	lethe_sweep_fn fn;
	void *ctx;
	struct lethe_sweep_result *res;
	int64_t now;
	struct sweep_unlinker unl;
	uint64_t unlinks_left;   /* files still queued at the end */
};

static void *sweep_unlinker_main(void *arg)
{
	struct sweep_unlinker *u = arg;

	size_t gone;

	u->errnos[0] = lt_obj_unlink_try(u->dir, u->ids[0]);
	gone = u->errnos[0] == 0;
	LT_FAULT("shred.mid_unlink"); /* some files unlinked, the rest not yet */
	gone += lt_obj_unlink_many(u->dir, (const char (*)[LETHE_ID_LEN + 1])(u->ids + 1),
				   u->n - 1, u->errnos + 1);
	u->rc = gone ? lt_obj_unlinks_sync(u->dir) : LETHE_OK;
	return NULL;
}

/* Wait for the background unlinks; true when those that went are durable (u->errnos says
 * which went). */
static bool sweep_unlinker_join(struct sweep_unlinker *u)
{
	if (!u->running)
		return false;
	pthread_join(u->thread, NULL);
	u->running = false;
	return u->rc == LETHE_OK;
}

/* Hand the @p n files of @p ids (just committed as shredded) to the background thread; if it
 * cannot start they stay queued for lt_finish_unlinks(). */
static void sweep_unlinker_start(struct sweep_unlinker *u, const char *dir, size_t n)
{
	sigset_t all, old;

	if (n == 0)
		return;
	u->dir = dir;
	u->n = n;
	u->rc = LETHE_OK;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	u->running = pthread_create(&u->thread, NULL, sweep_unlinker_main, u) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void sweep_event(struct sweep_state *s, enum lethe_sweep_event ev, const char *id,
			const char *detail)
{
	if (s->fn)
		s->fn(ev, id, detail, s->ctx);
}

/*
 * Handle one batch in one transaction. Each row is read again inside the transaction: another
 * sweeper may have shredded it, or a hold may have arrived, since the batch was listed. Events
 * for shredded objects are reported only once their transaction committed.
 */
static enum lethe_err sweep_one_batch(struct sweep_state *s, struct sweep_batch *b)
{
	struct lethe_store *st = s->st;
	struct lt_db_object *cur = NULL;
	struct lt_retention_object o;
	char group_reason[LETHE_REASON_MAX + 1], reason[LETHE_REASON_MAX + 32];
	bool *shred = NULL;
	size_t i, shredded = 0;
	enum lt_sweep_action action;
	enum lethe_err rc = LETHE_OK;

	cur = calloc(1, sizeof(*cur));
	shred = calloc(b->n, sizeof(*shred));
	if (!cur || !shred) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	if (!s->dry_run) {
		rc = lt_tx_begin(st);
		if (rc != LETHE_OK)
			goto out;
	}
	for (i = 0; rc == LETHE_OK && i < b->n; i++) {
		rc = lt_db_object_get(st->db, b->rows[i].id, cur);
		if (rc == LETHE_OK)
			rc = lt_db_group_hold_get(st->db, cur->group, &o.group_hold, group_reason);
		if (rc != LETHE_OK)
			break;
		o.row = cur;
		o.group_hold_reason = group_reason;
		action = lt_retention_sweep_action(&o, s->now);
		if (action == LT_SWEEP_KEEP)
			continue;
		if (action == LT_SWEEP_HELD) {
			lt_retention_hold_reason(&o, reason, sizeof(reason));
			s->res->held++;
			sweep_event(s, LETHE_SWEEP_HELD, cur->id, reason);
			continue;
		}
		if (!s->dry_run) {
			rc = lt_shred_in_tx(st, cur, s->now, "sweep.shred", "retention-expired",
					    NULL, false, NULL);
			if (rc != LETHE_OK)
				break;
		}
		shred[i] = true;
		shredded++;
	}
	/* the previous batch's files are gone and durable: dequeue them in this transaction */
	if (!s->dry_run && sweep_unlinker_join(&s->unl)) {
		LT_FAULT("shred.after_unlink"); /* files gone, still queued */
		for (i = 0; rc == LETHE_OK && i < s->unl.n; i++)
			if (s->unl.errnos[i] == 0)
				rc = lt_db_unlink_done(st->db, s->unl.ids[i]);
	}
	if (!s->dry_run) {
		if (rc == LETHE_OK) {
			LT_FAULT("sweep.before_commit");
			rc = lt_tx_commit(st);
		} else {
			lt_tx_rollback(st);
		}
	}
	if (rc != LETHE_OK)
		goto out;
	LT_FAULT("sweep.after_commit");
	s->unl.n = 0;
	for (i = 0; i < b->n; i++) {
		if (!shred[i])
			continue;
		sweep_event(s, LETHE_SWEEP_SHREDDED, b->rows[i].id, NULL);
		memcpy(s->unl.ids[s->unl.n++], b->rows[i].id, LETHE_ID_LEN + 1);
	}
	s->res->shredded += shredded;
	if (!s->dry_run)
		sweep_unlinker_start(&s->unl, st->dir, s->unl.n);
out:
	free(shred);
	free(cur);
	return rc;
}

static void sweep_unlink_left(const char *id, const char *why, void *ctx)
{
	struct sweep_state *s = ctx;

	s->unlinks_left++;
	sweep_event(s, LETHE_SWEEP_UNLINK_PENDING, id, why);
}

static enum lethe_err sweep_run(struct sweep_state *s)
{
	struct lethe_store *st = s->st;
	struct sweep_batch b;
	int64_t after_until = INT64_MIN;
	char after_id[LETHE_ID_LEN + 1] = "";
	uint64_t seen = 0;
	enum lethe_err rc = LETHE_OK;

	memset(&b, 0, sizeof(b));
	b.cap = st->cfg.sweep_batch ? st->cfg.sweep_batch : 500;
	b.rows = calloc(b.cap, sizeof(*b.rows));
	s->unl.ids = calloc(b.cap, sizeof(*s->unl.ids));
	s->unl.errnos = calloc(b.cap, sizeof(*s->unl.errnos));
	if (!b.rows || !s->unl.ids || !s->unl.errnos) {
		free(b.rows);
		free(s->unl.ids);
		free(s->unl.errnos);
		return LETHE_ERR_NOMEM;
	}
	for (;;) {
		b.n = 0;
		rc = lt_db_object_expired(st->db, s->now, after_until, after_id, b.cap,
					  collect_expired, &b);
		if (rc != LETHE_OK || b.n == 0)
			break;
		after_until = b.rows[b.n - 1].retain_until;
		lt_strlcpy(after_id, b.rows[b.n - 1].id, sizeof(after_id));
		rc = sweep_one_batch(s, &b);
		if (rc != LETHE_OK) {
			s->res->failed += b.n;
			sweep_event(s, LETHE_SWEEP_FAILED, b.rows[0].id, lt_err_detail());
			break;
		}
		seen += b.n;
		lt_progress(st, "sweep", seen, 0);
	}
	/* The last batch's files (and any a failure left queued): unlinked, synced, dequeued.
	 * The shreds are done (the keys are gone): a file that cannot be unlinked is reported and
	 * stays queued for the next open, it does not fail the sweep. */
	sweep_unlinker_join(&s->unl);
	if (!s->dry_run) {
		char saved[1024];

		lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
		(void)lt_finish_unlinks(st, sweep_unlink_left, s, NULL);
		if (rc != LETHE_OK)
			lt_err(rc, "%s", saved);
		else
			lt_err_clear();
	}
	free(s->unl.errnos);
	free(s->unl.ids);
	free(b.rows);
	return rc;
}

LETHE_API enum lethe_err lethe_sweep(struct lethe_store *st, int dry_run, lethe_sweep_fn fn,
				     void *ctx, struct lethe_sweep_result *result)
{
	struct lethe_sweep_result res = { 0, 0, 0 };
	struct sweep_state s = { .st = st, .dry_run = dry_run, .fn = fn, .ctx = ctx, .res = &res };
	char summary[160];
	enum lethe_err rc, rc2;

	lt_err_clear();
	if (result)
		memset(result, 0, sizeof(*result));
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	s.now = lt_now();
	/* checkpoint once at the end (below), not after every batch */
	if (!dry_run)
		lt_db_set_autocheckpoint(st->db, SWEEP_AUTOCHECKPOINT);
	rc = sweep_run(&s);
	lt_db_set_autocheckpoint(st->db, LT_DB_AUTOCHECKPOINT);
	if (dry_run)
		goto out;
	snprintf(summary, sizeof(summary), "shredded %llu, held %llu, failed %llu%s",
		 (unsigned long long)res.shredded, (unsigned long long)res.held,
		 (unsigned long long)res.failed,
		 s.unlinks_left ? ", files left to unlink (see doctor)" : "");
	{
		char saved[1024];

		lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
		rc2 = lt_audit_record(st, &(struct lt_audit_event){
			.action = "sweep", .err = rc,
			.error = rc == LETHE_OK ? summary : saved });
		if (rc == LETHE_OK)
			rc = rc2;
	}
	if (rc != LETHE_OK) {
		/* what was shredded before the failure must not stay in old pages either (the
		 * raised autocheckpoint let more of them wait); the failure's detail stays */
		if (res.shredded) {
			char saved[1024];

			lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
			(void)lt_db_wal_checkpoint(st->db);
			lt_err(rc, "%s", saved);
		}
		goto out;
	}
	rc = lethe_audit_checkpoint(st, NULL, NULL);
	LT_FAULT("sweep.before_checkpoint");
	/* old pages of the WAL still hold the wrapped keys just destroyed */
	if (rc == LETHE_OK && res.shredded)
		rc = lt_db_wal_checkpoint(st->db);
out:
	if (result)
		*result = res;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* holds                                                                                    */

static enum lethe_err one_target(const char *id, const char *group)
{
	if ((id == NULL) == (group == NULL))
		return lt_err(LETHE_ERR_INVALID, "name exactly one object id or one --group");
	if (id)
		return lt_check_id(id);
	if (!lt_group_name_valid(group))
		return lt_err(LETHE_ERR_INVALID, "group \"%.80s\" is not valid", group);
	return LETHE_OK;
}

static enum lethe_err live_row(struct lethe_store *st, const char *id, struct lt_db_object *row)
{
	enum lethe_err rc = lt_db_object_get(st->db, id, row);

	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "no such object");
	if (rc == LETHE_OK && row->state == LETHE_STATE_SHREDDED)
		return lt_err(LETHE_ERR_SHREDDED, "object was already crypto-shredded");
	return rc;
}

static enum lethe_err hold_change(struct lethe_store *st, const char *id, const char *group,
				  const char *reason, bool set)
{
	struct lt_db_object *row = calloc(1, sizeof(*row));
	/* the reason (case reference, or why the hold ends) goes into the audit record */
	struct lt_audit_event ev = { .action = set ? "hold.set" : "hold.clear", .object = id,
				     .group = group, .error = reason };
	enum lethe_err rc;

	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	if (id) {
		rc = live_row(st, id, row);
		if (rc == LETHE_OK) {
			ev.group = row->group;
			rc = lt_db_object_set_hold(st->db, id, set, set ? reason : "");
		}
	} else if (set) {
		rc = lt_db_group_hold_set(st->db, group, reason, lt_now());
	} else {
		rc = lt_db_group_hold_clear(st->db, group);
	}
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
out:
	if (rc != LETHE_OK) {
		char saved[1024];

		lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
		ev.err = rc;
		ev.error = saved;
		lt_audit_record(st, &ev);
	}
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_hold_set(struct lethe_store *st, const char *id,
					const char *group, const char *reason)
{
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = one_target(id, group);
	if (rc != LETHE_OK)
		return rc;
	if (!reason || !*reason)
		return lt_err(LETHE_ERR_INVALID, "a hold needs a reason (the case reference)");
	if (strlen(reason) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	return hold_change(st, id, group, reason, true);
}

LETHE_API enum lethe_err lethe_hold_clear(struct lethe_store *st, const char *id,
					  const char *group, const char *reason)
{
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = one_target(id, group);
	if (rc != LETHE_OK)
		return rc;
	if (!st->officer) {
		rc = lt_err(LETHE_ERR_NOT_OFFICER, "clearing a legal hold needs an officer "
			    "passphrase");
		lt_audit_record(st, &(struct lt_audit_event){ .action = "hold.clear",
							       .object = id, .group = group,
							       .err = rc, .error = lt_err_detail() });
		return rc;
	}
	if (reason && strlen(reason) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	return hold_change(st, id, group, reason, false);
}

/* ---------------------------------------------------------------------------------------- */
/* retention extend                                                                         */

static enum lethe_err extend_in_tx(struct lethe_store *st, const char *id, const char *group,
				   int64_t until, int64_t by, uint64_t *changed)
{
	struct lt_db_object *row;
	int64_t target;
	bool changes = false;
	enum lethe_err rc;

	if (group)
		return until ? lt_db_group_extend_until(st->db, group, until, changed)
			     : lt_db_group_extend_by(st->db, group, by, changed);
	row = calloc(1, sizeof(*row));
	if (!row)
		return LETHE_ERR_NOMEM;
	rc = live_row(st, id, row);
	if (rc == LETHE_OK)
		rc = lt_retention_extend_to(row, until, by, &target, &changes);
	if (rc == LETHE_OK && changes) {
		rc = lt_db_object_set_retain_until(st->db, id, target);
		*changed = 1;
	}
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_retention_extend(struct lethe_store *st, const char *id,
						const char *group, int64_t until, int64_t by,
						uint64_t *changed)
{
	struct lt_audit_event ev = { .action = "retention.extend", .object = id, .group = group };
	uint64_t n = 0;
	char detail[128];
	enum lethe_err rc;

	lt_err_clear();
	if (changed)
		*changed = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = one_target(id, group);
	if (rc != LETHE_OK)
		return rc;
	if ((until != 0) == (by != 0) || by < 0 || until < 0)
		return lt_err(LETHE_ERR_INVALID, "give exactly one of --until DATE or --by "
				  "DURATION");
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = extend_in_tx(st, id, group, until, by, &n);
	if (rc == LETHE_OK) {
		snprintf(detail, sizeof(detail), "lengthened %llu object(s)", (unsigned long long)n);
		ev.error = detail;
		rc = lt_audit_append(st, &ev);
	}
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	if (rc != LETHE_OK) {
		char saved[1024];

		lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
		ev.err = rc;
		ev.error = saved;
		lt_audit_record(st, &ev);
	} else if (changed) {
		*changed = n;
	}
	return rc;
}
