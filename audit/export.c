/* export.c - the audit log as JSON Lines: one compact object per record, in seq order, with its
 * MAC in hex, for a SIEM or an auditor. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"

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
	o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
		      (json_int_t) rec->seq, "time", when, "uid", (json_int_t) rec->uid, "user",
		      rec->user, "keyslot", rec->keyslot, "pid", (int) rec->pid, "host", rec->host,
		      "action", rec->action, "object", rec->object, "group", rec->group, "outcome",
		      rec->outcome, "error", rec->error, "mac", mac);
	if (!o) {
		x->rc = lt_err(LETHE_ERR_INTERNAL, "audit record %llu is not valid UTF-8",
			       (unsigned long long) rec->seq);
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

enum lethe_err lt_audit_export(struct lt_db *db, int fd, uint64_t since_seq, int64_t since_time,
			       uint64_t *count)
{
	struct export_ctx x = {fd, 0, LETHE_OK};
	int64_t since_us;
	enum lethe_err rc;

	/* a time too far out to count in microseconds filters nothing */
	since_us = since_time > INT64_MIN / 1000000 && since_time < INT64_MAX / 1000000
		       ? since_time * 1000000
		       : INT64_MIN;
	rc = lt_db_audit_list(db, since_seq, since_us, export_one, &x);
	if (rc == LETHE_OK)
		rc = x.rc;
	if (count)
		*count = x.count;
	return rc;
}
