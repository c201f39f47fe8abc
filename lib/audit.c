/* audit.c - the audit log: records appended in the transaction of the change they record,
 * chained with HMAC-SHA256 under a key derived from the master key, forwarded to syslog.
 *
 * MAC of record n = HMAC(audit key, "lethe-audit-v1" || seq || time_us || uid || user ||
 * keyslot || pid || host || action || object || group || outcome || error || MAC of record
 * n-1), integers big-endian (u64 seq, i64 time, u32 uid, i32 pid), strings as u32 length then
 * bytes; the first record chains to 32 zero bytes. Someone holding only meta.db cannot
 * recompute it; signed checkpoints make dropping the newest records detectable.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "audit/syslog.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "lib/internal.h"

/* ---------------------------------------------------------------------------------------- */
/* transactions                                                                             */

static void log_queue_clear(struct lethe_store *st, bool send)
{
	size_t i;

	for (i = 0; i < st->log_len; i++) {
		if (send)
			lt_syslog_send(st->cfg.syslog, st->log_queue[i].security,
				     st->log_queue[i].text);
		free(st->log_queue[i].text);
	}
	st->log_len = 0;
}

enum lethe_err lt_tx_begin(struct lethe_store *st)
{
	enum lethe_err rc = lt_db_begin(st->db);

	if (rc == LETHE_OK)
		st->in_tx = true;
	return rc;
}

enum lethe_err lt_tx_commit(struct lethe_store *st)
{
	enum lethe_err rc = lt_db_commit(st->db);

	if (rc != LETHE_OK) {
		lt_tx_rollback(st);
		return rc;
	}
	st->in_tx = false;
	log_queue_clear(st, true);
	return LETHE_OK;
}

void lt_tx_rollback(struct lethe_store *st)
{
	if (st->in_tx)
		lt_db_rollback(st->db);
	st->in_tx = false;
	log_queue_clear(st, false);
}

/* ---------------------------------------------------------------------------------------- */
/* records                                                                                  */

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

void lt_actor_fill(struct lethe_store *st, struct lt_db_audit *rec)
{
	rec->uid = st->uid;
	lt_strlcpy(rec->user, st->user, sizeof(rec->user));
	lt_strlcpy(rec->keyslot, st->who.name, sizeof(rec->keyslot));
	rec->pid = st->pid;
	lt_strlcpy(rec->host, st->host, sizeof(rec->host));
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static enum lethe_err mac_str(struct lt_hmac *h, const char *s)
{
	uint8_t len[4];
	size_t n = strlen(s);
	enum lethe_err rc;

	put_u32(len, (uint32_t)n);
	rc = lt_hmac_update(h, len, 4);
	if (rc == LETHE_OK && n)
		rc = lt_hmac_update(h, s, n);
	return rc;
}

/* The MAC of @p rec chained to @p prev. */
static enum lethe_err audit_mac(const uint8_t key[LT_KEY_LEN], const struct lt_db_audit *rec,
				const uint8_t prev[32], uint8_t out[32])
{
	static const char label[] = "lethe-audit-v1";
	uint8_t fixed[8 + 8 + 4];
	uint8_t pid[4];
	struct lt_hmac *h = NULL;
	enum lethe_err rc;

	rc = lt_hmac_new(key, LT_KEY_LEN, &h);
	if (rc != LETHE_OK)
		return rc;
	put_u64(fixed, rec->seq);
	put_u64(fixed + 8, (uint64_t)rec->time_us);
	put_u32(fixed + 16, rec->uid);
	put_u32(pid, (uint32_t)rec->pid);
	rc = lt_hmac_update(h, label, sizeof(label) - 1);
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

/* Longest syslog line: each byte of a record's fields escaped at most 4 bytes, plus the keys. */
#define AUDIT_LINE_MAX (4 * sizeof(struct lt_db_audit) + 256)

/*
 * One line of key=value fields for syslog. Every value goes through lt_logfmt, which quotes and
 * escapes anything that is not plainly a word: the user, host, group and error text come from
 * outside lethe and must not be able to add or pose as fields.
 */
void lt_audit_format_line(const struct lt_db_audit *rec, char *buf, size_t len)
{
	struct lt_logfmt f;
	char when[40];

	lt_time_format_us(rec->time_us, when, sizeof(when));
	lt_logfmt_init(&f, buf, len);
	lt_logfmt_u64(&f, "seq", rec->seq);
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
}

static enum lethe_err queue_line(struct lethe_store *st, const struct lt_db_audit *rec,
				  bool security)
{
	char line[AUDIT_LINE_MAX];
	struct lt_log_line *q;

	if (!st->cfg.syslog)
		return LETHE_OK;
	if (st->log_len == st->log_cap) {
		size_t cap = st->log_cap ? st->log_cap * 2 : 8;

		q = realloc(st->log_queue, cap * sizeof(*q));
		if (!q)
			return LETHE_ERR_NOMEM;
		st->log_queue = q;
		st->log_cap = cap;
	}
	lt_audit_format_line(rec, line, sizeof(line));
	q = &st->log_queue[st->log_len];
	q->text = strdup(line);
	if (!q->text)
		return LETHE_ERR_NOMEM;
	q->security = security;
	st->log_len++;
	return LETHE_OK;
}

/* Chain and insert a filled record (everything but seq and mac). */
static enum lethe_err append_record(struct lethe_store *st, struct lt_db_audit *rec,
				    bool security)
{
	uint8_t prev[32];
	uint64_t seq;
	enum lethe_err rc;

	rc = lt_db_audit_last(st->db, &seq, prev);
	if (rc != LETHE_OK)
		return rc;
	rec->seq = seq + 1;
	rc = audit_mac(st->keys->audit_mac, rec, prev, rec->mac);
	if (rc == LETHE_OK)
		rc = lt_db_audit_insert(st->db, rec);
	if (rc == LETHE_OK)
		rc = queue_line(st, rec, security);
	return rc;
}

static void event_fill(struct lethe_store *st, const struct lt_audit_event *ev,
		       struct lt_db_audit *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->time_us = lt_now_us();
	lt_actor_fill(st, rec);
	lt_strlcpy(rec->action, ev->action, sizeof(rec->action));
	lt_strlcpy(rec->object, ev->object ? ev->object : "", sizeof(rec->object));
	lt_strlcpy(rec->group, ev->group ? ev->group : "", sizeof(rec->group));
	lt_strlcpy(rec->outcome, lt_audit_outcome(ev->err), sizeof(rec->outcome));
	lt_strlcpy(rec->error, ev->error ? ev->error : "", sizeof(rec->error));
}

enum lethe_err lt_audit_append(struct lethe_store *st, const struct lt_audit_event *ev)
{
	struct lt_db_audit rec;

	event_fill(st, ev, &rec);
	return append_record(st, &rec, lt_audit_is_security(ev->err));
}

enum lethe_err lt_audit_record(struct lethe_store *st, const struct lt_audit_event *ev)
{
	char saved[1024];
	enum lethe_err rc;

	/* the caller's detail is what the user must see, whatever happens here */
	lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
	rc = lt_tx_begin(st);
	if (rc == LETHE_OK) {
		rc = lt_audit_append(st, ev);
		if (rc == LETHE_OK)
			rc = lt_tx_commit(st);
		else
			lt_tx_rollback(st);
	}
	if (rc != LETHE_OK) {
		char error[1200], line[4 * sizeof(error) + 256];
		struct lt_logfmt f;

		snprintf(error, sizeof(error), "audit record could not be written: %s",
			 lt_err_detail());
		lt_logfmt_init(&f, line, sizeof(line));
		lt_logfmt_str(&f, "action", ev->action);
		lt_logfmt_str(&f, "outcome", "failed");
		lt_logfmt_str(&f, "error", error);
		lt_syslog_send(true, true, line);
	}
	lt_err(LETHE_OK, "%s", saved);
	return rc;
}

void lt_audit_record_unkeyed(struct lt_db *db, const struct lt_config *cfg, const char *action,
			     const char *keyslot, enum lethe_err err, const char *error)
{
	struct lethe_store tmp;
	struct lt_db_audit rec;
	char line[AUDIT_LINE_MAX], saved[1024];

	lt_strlcpy(saved, error ? error : "", sizeof(saved));
	memset(&tmp, 0, sizeof(tmp));
	/* the actor as far as the process knows it, from its uid as on every other record (never
	 * from $USER, which whoever runs lethe chooses): no keyslot opened */
	lt_actor_identity(&tmp);
	lt_strlcpy(tmp.who.name, keyslot ? keyslot : "", sizeof(tmp.who.name));
	memset(&rec, 0, sizeof(rec));
	rec.time_us = lt_now_us();
	lt_actor_fill(&tmp, &rec);
	lt_strlcpy(rec.action, action, sizeof(rec.action));
	lt_strlcpy(rec.outcome, lt_audit_outcome(err), sizeof(rec.outcome));
	lt_strlcpy(rec.error, saved, sizeof(rec.error));
	if (db)
		lt_db_audit_pending_add(db, &rec);
	lt_audit_format_line(&rec, line, sizeof(line));
	lt_syslog_send(cfg ? cfg->syslog : true, lt_audit_is_security(err), line);
	lt_err(LETHE_OK, "%s", saved);
}

struct fold_ctx {
	struct lethe_store *st;
	enum lethe_err rc;
};

static int fold_one(const struct lt_db_audit *pending, void *vctx)
{
	struct fold_ctx *ctx = vctx;
	struct lt_db_audit rec = *pending;

	/* only failures before unlock are pending: all are security events */
	ctx->rc = append_record(ctx->st, &rec, true);
	return ctx->rc != LETHE_OK;
}

enum lethe_err lt_audit_fold_pending(struct lethe_store *st)
{
	struct fold_ctx ctx = { st, LETHE_OK };
	enum lethe_err rc;

	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_db_audit_pending_take(st->db, fold_one, &ctx);
	if (rc == LETHE_OK)
		rc = ctx.rc;
	if (rc == LETHE_OK)
		return lt_tx_commit(st);
	lt_tx_rollback(st);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* verify                                                                                   */

struct verify_ctx {
	struct lethe_store *st;
	lethe_problem_fn fn;
	void *fctx;
	uint64_t expect_seq;
	uint8_t prev[32];
	uint64_t count;
	bool bad;
	enum lethe_err rc;
	/* checkpoints to match as records stream by */
	struct lt_db_checkpoint_copy {
		uint64_t seq, audit_seq;
		uint8_t mac[32];
	} *cps;
	size_t ncps;
};

/* @p kind is "audit record" or "audit checkpoint"; @p n its sequence number. */
static void problem(struct verify_ctx *v, const char *kind, uint64_t n, const char *what)
{
	char where[64];

	snprintf(where, sizeof(where), "%s %llu", kind, (unsigned long long)n);
	if (v->fn)
		v->fn(where, what, v->fctx);
	v->bad = true;
}

static int verify_one(const struct lt_db_audit *rec, void *vctx)
{
	struct verify_ctx *v = vctx;
	uint8_t mac[32];
	size_t i;

	if (rec->seq != v->expect_seq) {
		char what[128];

		snprintf(what, sizeof(what), "expected record %llu here: records were deleted or "
			 "reordered", (unsigned long long)v->expect_seq);
		problem(v, "audit record", rec->seq, what);
		return 1;
	}
	v->rc = audit_mac(v->st->keys->audit_mac, rec, v->prev, mac);
	if (v->rc != LETHE_OK)
		return 1;
	if (!lt_memeq(mac, rec->mac, 32)) {
		problem(v, "audit record", rec->seq,
			"MAC mismatch: the record, or one before it, was modified, deleted or "
			"reordered");
		return 1;
	}
	for (i = 0; i < v->ncps; i++) {
		if (v->cps[i].audit_seq == rec->seq && !lt_memeq(v->cps[i].mac, rec->mac, 32))
			problem(v, "audit checkpoint", v->cps[i].seq,
				"the record it signed has a different MAC now");
	}
	memcpy(v->prev, rec->mac, 32);
	v->expect_seq++;
	v->count++;
	return v->bad;
}

static int collect_cp(const struct lt_db_checkpoint *cp, void *vctx)
{
	struct verify_ctx *v = vctx;
	uint8_t pub[LT_ED25519_PUB_LEN];
	size_t len = 0;
	struct lt_db_checkpoint_copy *n;

	if (lt_db_meta_get(v->st->db, "evidence_pub", pub, sizeof(pub), &len) != LETHE_OK ||
	    len != sizeof(pub)) {
		problem(v, "audit checkpoint", cp->seq, "no evidence public key in store");
		return 0;
	}
	if (lt_ed25519_verify(pub, cp->json, cp->json_len, cp->sig) != LETHE_OK)
		problem(v, "audit checkpoint", cp->seq, "signature does not verify");
	n = realloc(v->cps, (v->ncps + 1) * sizeof(*n));
	if (!n) {
		v->rc = LETHE_ERR_NOMEM;
		return 1;
	}
	v->cps = n;
	n[v->ncps].seq = cp->seq;
	n[v->ncps].audit_seq = cp->audit_seq;
	memcpy(n[v->ncps].mac, cp->audit_mac, 32);
	v->ncps++;
	return 0;
}

LETHE_API enum lethe_err lethe_audit_verify(struct lethe_store *st, lethe_problem_fn fn,
					    void *ctx, uint64_t *records)
{
	struct verify_ctx v;
	enum lethe_err rc;
	size_t i;

	lt_err_clear();
	if (records)
		*records = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	memset(&v, 0, sizeof(v));
	v.st = st;
	v.fn = fn;
	v.fctx = ctx;
	v.expect_seq = 1;
	rc = lt_db_checkpoint_list(st->db, collect_cp, &v);
	if (rc == LETHE_OK)
		rc = v.rc;
	if (rc == LETHE_OK)
		rc = lt_db_audit_list(st->db, 0, INT64_MIN, verify_one, &v);
	if (rc == LETHE_OK)
		rc = v.rc;
	if (rc == LETHE_OK && !v.bad) {
		for (i = 0; i < v.ncps; i++) {
			if (v.cps[i].audit_seq >= v.expect_seq) {
				char what[160];

				snprintf(what, sizeof(what), "signed record %llu but the log ends at "
					 "%llu: the newest records were deleted",
					 (unsigned long long)v.cps[i].audit_seq,
					 (unsigned long long)(v.expect_seq - 1));
				problem(&v, "audit checkpoint", v.cps[i].seq, what);
				break;
			}
		}
	}
	free(v.cps);
	if (records)
		*records = v.count;
	if (rc != LETHE_OK)
		return rc;
	if (v.bad) {
		lt_audit_record(st, &(struct lt_audit_event){ .action = "audit.verify",
							       .err = LETHE_ERR_INTEGRITY,
							       .error = "audit chain broken" });
		return lt_err(LETHE_ERR_INTEGRITY, "audit log verification failed");
	}
	return LETHE_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* export                                                                                   */

struct export_ctx {
	int fd;
	uint64_t count;
	enum lethe_err rc;
};

static int export_one(const struct lt_db_audit *rec, void *vctx)
{
	struct export_ctx *x = vctx;
	char when[40], mac[65];
	json_t *o;
	char *line;

	lt_time_format_us(rec->time_us, when, sizeof(when));
	lt_hex(rec->mac, 32, mac);
	o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		      "seq", (json_int_t)rec->seq, "time", when, "uid", (json_int_t)rec->uid,
		      "user", rec->user, "keyslot", rec->keyslot, "pid", (int)rec->pid, "host",
		      rec->host, "action", rec->action, "object", rec->object, "group",
		      rec->group, "outcome", rec->outcome, "error", rec->error, "mac", mac);
	if (!o) {
		x->rc = lt_err(LETHE_ERR_INTERNAL, "audit record %llu is not valid UTF-8",
			       (unsigned long long)rec->seq);
		return 1;
	}
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line) {
		x->rc = LETHE_ERR_NOMEM;
		return 1;
	}
	x->rc = lt_write_all(x->fd, line, strlen(line));
	if (x->rc == LETHE_OK)
		x->rc = lt_write_all(x->fd, "\n", 1);
	free(line);
	if (x->rc != LETHE_OK)
		return 1;
	x->count++;
	return 0;
}

LETHE_API enum lethe_err lethe_audit_export(struct lethe_store *st, int fd, uint64_t since_seq,
					    int64_t since_time, uint64_t *count)
{
	struct export_ctx x = { fd, 0, LETHE_OK };
	int64_t since_us;
	enum lethe_err rc;

	lt_err_clear();
	if (count)
		*count = 0;
	if (!st || fd < 0)
		return lt_err(LETHE_ERR_INVALID, "no store or output");
	since_us = since_time > INT64_MIN / 1000000 && since_time < INT64_MAX / 1000000
			   ? since_time * 1000000
			   : INT64_MIN;
	rc = lt_db_audit_list(st->db, since_seq, since_us, export_one, &x);
	if (rc == LETHE_OK)
		rc = x.rc;
	if (count)
		*count = x.count;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* checkpoints                                                                              */

static enum lethe_err checkpoint_write_dir(const char *dir, uint64_t seq, const char *json,
					   size_t len, const uint8_t sig[64])
{
	char path[4200];
	enum lethe_err rc;

	rc = lt_mkdir_p(dir, 0755);
	if (rc != LETHE_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/checkpoint-%llu.json", dir, (unsigned long long)seq);
	rc = lt_write_file_atomic(path, json, len, 0644);
	if (rc != LETHE_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/checkpoint-%llu.sig", dir, (unsigned long long)seq);
	return lt_write_file_atomic(path, sig, 64, 0644);
}

LETHE_API enum lethe_err lethe_audit_checkpoint(struct lethe_store *st, const char *dir,
						uint64_t *seq)
{
	struct lt_db_checkpoint cp;
	struct lt_audit_event ev = { .action = "audit.checkpoint" };
	char mac_hex[65], when[32];
	char *json = NULL;
	json_t *o = NULL;
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
	rc = lt_audit_append(st, &ev);
	if (rc != LETHE_OK)
		goto out;
	memset(&cp, 0, sizeof(cp));
	rc = lt_db_audit_last(st->db, &cp.audit_seq, cp.audit_mac);
	if (rc != LETHE_OK)
		goto out;
	cp.time = lt_now();
	lt_hex(cp.audit_mac, 32, mac_hex);
	lt_time_format(cp.time, when, sizeof(when));
	o = json_pack("{s:s, s:i, s:s, s:I, s:s, s:s}", "type", "lethe-audit-checkpoint",
		      "version", 1, "store_id", st->store_id, "audit_seq",
		      (json_int_t)cp.audit_seq, "audit_mac", mac_hex, "time", when);
	json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!json) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	cp.json = (const uint8_t *)json;
	cp.json_len = strlen(json);
	rc = lt_ed25519_sign(st->keys->evidence_seed, cp.json, cp.json_len, cp.sig);
	if (rc == LETHE_OK)
		rc = lt_db_checkpoint_insert(st->db, &cp);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	if (rc == LETHE_OK && dir)
		rc = checkpoint_write_dir(dir, cp.audit_seq, json, cp.json_len, cp.sig);
	if (rc == LETHE_OK && seq)
		*seq = cp.audit_seq;
out:
	if (st->in_tx)
		lt_tx_rollback(st);
	json_decref(o);
	free(json);
	return rc;
}
