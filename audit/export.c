/* export.c - the audit log as JSON Lines: one compact object per record, in seq order, with its
 * MAC (and an officer's record its officer authority signature) in hex, for a SIEM or an
 * auditor. */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/timeutil.h"

struct export_ctx {
	int fd;
	uint64_t count;
	enum lethe_err rc;
};

static int export_one(const struct lt_db_audit *rec, void *vctx)
{
	struct export_ctx *x = vctx;
	char when[40], mac[65], sig[129];
	struct lt_json_build b;
	char *line;
	size_t len;

	lt_time_format_us(rec->time_us, when, sizeof(when));
	lt_hex(rec->mac, 32, mac);
	lt_json_begin(&b);
	lt_json_add_int(&b, "seq", (int64_t) rec->seq);
	lt_json_add_string(&b, "time", when);
	lt_json_add_int(&b, "uid", rec->uid);
	lt_json_add_string(&b, "user", rec->user);
	lt_json_add_string(&b, "keyslot", rec->keyslot);
	lt_json_add_int(&b, "pid", (int) rec->pid);
	lt_json_add_string(&b, "host", rec->host);
	lt_json_add_string(&b, "action", rec->action);
	lt_json_add_string(&b, "object", rec->object);
	lt_json_add_string(&b, "group", rec->group);
	lt_json_add_string(&b, "outcome", rec->outcome);
	lt_json_add_string(&b, "error", rec->error);
	/* folded from audit_pending: nothing in it is vouched for by a key */
	lt_json_add_bool(&b, "unauthenticated", rec->unauthenticated);
	lt_json_add_string(&b, "mac", mac);
	/* an officer's record: the officer authority key's signature (docs/KEYS.md), else null */
	if (rec->has_auth_sig)
		lt_hex(rec->auth_sig, sizeof(rec->auth_sig), sig);
	lt_json_add_string(&b, "auth_sig", rec->has_auth_sig ? sig : NULL);
	x->rc = lt_json_end(&b, LT_JSON_COMPACT, &line, &len);
	if (x->rc == LETHE_ERR_INVALID)
		x->rc = lt_err(LETHE_ERR_INTERNAL, "audit record %llu is not valid UTF-8",
			       (unsigned long long) rec->seq);
	if (x->rc != LETHE_OK)
		return 1;
	x->rc = lt_write_all(x->fd, line, len);
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
