/* chain.c - appending to the audit chain: each record is MACed over the one before it and
 * inserted in the transaction of the change it records; its syslog line waits in the caller's
 * queue until that transaction commits, so syslog never tells of a change that was rolled back.
 * Failures before unlock wait in audit_pending, unchained, until an unlocked process folds them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/syslog.h"
#include "common/timeutil.h"
#include "common/utf8.h"

void lt_audit_queue_flush(struct lt_audit_queue *q, bool send)
{
	size_t i;

	for (i = 0; i < q->len; i++) {
		if (send)
			lt_syslog_send(true, q->lines[i].security, q->lines[i].text);
		free(q->lines[i].text);
	}
	q->len = 0;
}

void lt_audit_queue_free(struct lt_audit_queue *q)
{
	lt_audit_queue_flush(q, false);
	free(q->lines);
	q->lines = NULL;
	q->cap = 0;
}

static enum lethe_err queue_line(struct lt_audit_queue *q, const struct lt_db_audit *rec,
				 bool security)
{
	char line[LT_AUDIT_LINE_MAX];
	struct lt_audit_line *l;

	if (!q)
		return LETHE_OK;
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8;

		l = realloc(q->lines, cap * sizeof(*l));
		if (!l)
			return LETHE_ERR_NOMEM;
		q->lines = l;
		q->cap = cap;
	}
	lt_audit_format_line(rec, line, sizeof(line));
	l = &q->lines[q->len];
	l->text = strdup(line);
	if (!l->text)
		return LETHE_ERR_NOMEM;
	l->security = security;
	q->len++;
	return LETHE_OK;
}

/* Chain and insert a filled record (everything but seq and mac). */
static enum lethe_err chain_append(const struct lt_audit_log *log, struct lt_db_audit *rec,
				   bool security)
{
	uint8_t prev[32];
	uint64_t seq;
	enum lethe_err rc;

	rc = lt_db_audit_last(log->db, &seq, prev);
	if (rc != LETHE_OK)
		return rc;
	rec->seq = seq + 1;
	rc = lt_audit_mac(log->key, rec, prev, rec->mac);
	/* an officer's handle vouches for what it did, never for a record folded from
	 * audit_pending */
	if (rc == LETHE_OK && log->officer && !rec->unauthenticated)
		rc = lt_audit_officer_sign(log->officer, log->store_id, rec);
	if (rc == LETHE_OK)
		rc = lt_db_audit_insert(log->db, rec);
	if (rc == LETHE_OK)
		rc = queue_line(log->syslog, rec, security);
	if (rc == LETHE_OK && log->appended) {
		log->appended->seq = rec->seq;
		memcpy(log->appended->mac, rec->mac, 32);
	}
	return rc;
}

enum lethe_err lt_audit_event_append(const struct lt_audit_log *log,
				     const struct lt_audit_actor *actor,
				     const struct lt_audit_event *ev)
{
	struct lt_db_audit rec;

	lt_audit_record_fill(&rec, actor, ev, lt_now_us());
	return chain_append(log, &rec, lt_audit_is_security(ev->err));
}

void lt_audit_pending_add(struct lt_db *db, bool syslog, const struct lt_audit_actor *actor,
			  const struct lt_audit_event *ev)
{
	struct lt_db_audit rec;
	char line[LT_AUDIT_LINE_MAX];

	lt_audit_record_fill(&rec, actor, ev, lt_now_us());
	if (db)
		lt_db_audit_pending_add(db, &rec);
	lt_audit_format_line(&rec, line, sizeof(line));
	lt_syslog_send(syslog, lt_audit_is_security(ev->err), line);
}

/* Append @p text to @p dst (of @p size, terminated) as valid UTF-8: a byte that starts no valid
 * sequence becomes '?', and a sequence that does not fit whole is left out, with the rest. */
static void append_utf8(char *dst, size_t size, const char *text)
{
	size_t at = strlen(dst), left = strlen(text);
	const unsigned char *p = (const unsigned char *) text;

	while (left > 0) {
		size_t n = lt_utf8_len(p, left);

		if (n == 0 || *p == 0) {
			if (at + 1 >= size)
				break;
			dst[at++] = '?';
			p++;
			left--;
			continue;
		}
		if (at + n >= size)
			break;
		memcpy(dst + at, p, n);
		at += n;
		p += n;
		left -= n;
	}
	dst[at] = '\0';
}

struct fold_ctx {
	const struct lt_audit_log *log;
	enum lethe_err rc;
};

static int fold_one(const struct lt_db_audit *pending, void *vctx)
{
	struct fold_ctx *ctx = vctx;
	struct lt_db_audit rec = *pending;
	char when[40];

	lt_time_format_us(pending->time_us, when, sizeof(when));
	rec.unauthenticated = true;
	rec.time_us = lt_now_us();
	memset(rec.keyslot, 0, sizeof(rec.keyslot));
	/* the claims go into the error text, cut to fit: never into fields a reader trusts */
	snprintf(rec.error, sizeof(rec.error), "pending since %s, keyslot \"", when);
	append_utf8(rec.error, sizeof(rec.error), pending->keyslot);
	append_utf8(rec.error, sizeof(rec.error), "\": ");
	append_utf8(rec.error, sizeof(rec.error), pending->error);
	ctx->rc = chain_append(ctx->log, &rec, false);
	return ctx->rc != LETHE_OK;
}

enum lethe_err lt_audit_pending_fold(const struct lt_audit_log *log)
{
	struct fold_ctx ctx = {log, LETHE_OK};
	enum lethe_err rc;

	rc = lt_db_audit_pending_take(log->db, fold_one, &ctx);
	return rc == LETHE_OK ? ctx.rc : rc;
}

void lt_audit_report_unwritten(const char *action, const char *why)
{
	char error[1200], line[4 * sizeof(error) + 256];
	struct lt_logfmt f;

	snprintf(error, sizeof(error), "audit record could not be written: %s", why);
	lt_logfmt_init(&f, line, sizeof(line));
	lt_logfmt_str(&f, "action", action);
	lt_logfmt_str(&f, "outcome", "failed");
	lt_logfmt_str(&f, "error", error);
	lt_syslog_send(true, true, line);
}
