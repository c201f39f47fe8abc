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
	if (rc == LETHE_OK)
		rc = lt_db_audit_insert(log->db, rec);
	if (rc == LETHE_OK)
		rc = queue_line(log->syslog, rec, security);
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

struct fold_ctx {
	const struct lt_audit_log *log;
	enum lethe_err rc;
};

static int fold_one(const struct lt_db_audit *pending, void *vctx)
{
	struct fold_ctx *ctx = vctx;
	struct lt_db_audit rec = *pending;

	/* only failures before unlock are pending: all are security events */
	ctx->rc = chain_append(ctx->log, &rec, true);
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
