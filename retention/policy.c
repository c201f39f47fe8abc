/* policy.c - the retention decisions: whether an object may be shredded now, and when it may.
 *
 * Everything here is a pure function of its arguments (no clock, no database: the caller
 * reads the rows and the configuration), so that the decision table can be tested
 * exhaustively and every caller (rm, sweep, put, extend) decides alike.
 */
#include "retention/policy.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/name.h"
#include "common/timeutil.h"

bool lt_retention_expired(int64_t retain_until, int64_t now)
{
	return retain_until <= now;
}

/*
 * The order of the checks is the policy:
 *   1. a legal hold wins over everything, expired or not, officer or not;
 *   2. after retain_until (retain_until <= now) nothing else matters;
 *   3. before it, a locked group (compliance mode) refuses everyone, a forced officer included;
 *   4. otherwise only an officer's explicit force may shred early (governance mode).
 */
enum lethe_err lt_retention_may_shred(const struct lt_shred_request *req)
{
	char until[32];

	assert(req != NULL);
	if (req->object_hold)
		return lt_err(LETHE_ERR_HELD, "object is on legal hold");
	if (req->group_hold)
		return lt_err(LETHE_ERR_HELD, "group is on legal hold");
	if (lt_retention_expired(req->retain_until, req->now))
		return LETHE_OK;

	lt_time_format(req->retain_until, until, sizeof until);
	if (req->group_locked)
		return lt_err(LETHE_ERR_LOCKED, "group is locked (compliance mode) until %s",
			      until);
	if (!req->force)
		return lt_err(LETHE_ERR_NOT_EXPIRED,
			      "retained until %s (an officer may force an early shred)", until);
	if (!req->officer)
		return lt_err(LETHE_ERR_NOT_OFFICER,
			      "retained until %s: a forced early shred needs an officer", until);
	return LETHE_OK;
}

bool lt_retention_due(const struct lt_db_object *row, int64_t now)
{
	return row->state == LETHE_STATE_LIVE && lt_retention_expired(row->retain_until, now);
}

void lt_retention_object_policy(const struct lt_config *cfg, const struct lt_db_object *row,
				struct lt_group_policy *out)
{
	lt_group_policy_get(cfg, row->group, out);
	/* locked when written, or locked now: a config edit never unlocks an object */
	out->lock = out->lock || row->locked;
}

enum lethe_err lt_retention_may_remove(const struct lt_config *cfg,
				       const struct lt_retention_object *o, int64_t now, bool force,
				       bool officer, bool *forced)
{
	struct lt_group_policy policy;
	struct lt_shred_request req;
	enum lethe_err rc;

	*forced = false;
	lt_retention_object_policy(cfg, o->row, &policy);
	memset(&req, 0, sizeof(req));
	req.now = now;
	req.retain_until = o->row->retain_until;
	req.object_hold = o->row->hold;
	req.group_hold = o->group_hold;
	req.group_locked = policy.lock;
	req.force = force;
	req.officer = officer;
	rc = lt_retention_may_shred(&req);
	if (rc == LETHE_OK)
		*forced = force && !lt_retention_expired(req.retain_until, now);
	return rc;
}

/*
 * Expiry before holds, unlike lt_retention_may_shred(): a sweep passes over what is not due
 * without a word, and reports only the expired objects a hold keeps. Without force the two
 * agree on what may go.
 */
enum lt_sweep_action lt_retention_sweep_action(const struct lt_retention_object *o, int64_t now)
{
	if (!lt_retention_due(o->row, now))
		return LT_SWEEP_KEEP;
	if (o->row->hold || o->group_hold)
		return LT_SWEEP_HELD;
	return LT_SWEEP_SHRED;
}

bool lt_retention_hold_reason(const struct lt_retention_object *o, char *buf, size_t len)
{
	if (o->row->hold) {
		snprintf(buf, len, "%s", o->row->hold_reason);
		return true;
	}
	if (o->group_hold) {
		snprintf(buf, len, "group hold: %s",
			 o->group_hold_reason ? o->group_hold_reason : "");
		return true;
	}
	if (len)
		buf[0] = '\0';
	return false;
}

void lt_retention_on_put(const struct lt_config *cfg, int64_t now, struct lt_db_object *row)
{
	struct lt_group_policy policy;

	lt_group_policy_get(cfg, row->group, &policy);
	row->created_at = now;
	row->retain_until = lt_retention_until(now, policy.retention);
	row->locked = policy.lock;
}

enum lethe_err lt_retention_extend_to(const struct lt_db_object *row, int64_t until, int64_t by,
				      int64_t *target, bool *changes)
{
	char when[32];

	*target = until ? until : lt_retention_until(row->retain_until, by);
	*changes = *target > row->retain_until;
	if (*target >= row->retain_until)
		return LETHE_OK;
	lt_time_format(row->retain_until, when, sizeof(when));
	return lt_err(LETHE_ERR_SHORTENS,
		      "retention can only be lengthened: the object is "
		      "retained until %s",
		      when);
}

/*
 * Saturates at LT_RETENTION_TIME_MAX rather than INT64_MAX: a retain_until that RFC 3339
 * cannot print could not be shown by `stat` nor written into a disposal certificate.
 * A negative retention (never produced by the duration parser) counts as zero, so that a
 * caller's bug can never yield a retain_until before the object was created.
 */
int64_t lt_retention_until(int64_t created_at, int64_t retention)
{
	int64_t until;

	if (retention < 0)
		retention = 0;
	if (created_at >= LT_RETENTION_TIME_MAX)
		return LT_RETENTION_TIME_MAX;
	if (__builtin_add_overflow(created_at, retention, &until) || until > LT_RETENTION_TIME_MAX)
		return LT_RETENTION_TIME_MAX;
	return until;
}

enum lethe_err lt_retention_clock_agrees(int64_t now, int64_t kernel_now)
{
	char a[32], b[32];
	int64_t diff = now - kernel_now;

	if (diff <= LT_RETENTION_CLOCK_SKEW_MAX && diff >= -LT_RETENTION_CLOCK_SKEW_MAX)
		return LETHE_OK;
	lt_time_format(now, a, sizeof(a));
	lt_time_format(kernel_now, b, sizeof(b));
	return lt_err(LETHE_ERR_CLOCK,
		      "the clock this process reads (%s) is %lld s %s the kernel's (%s, the time "
		      "of a new file): the process clock is faked (LD_PRELOAD?), and lethe does "
		      "not act on it",
		      a, (long long) (diff < 0 ? -diff : diff), diff < 0 ? "behind" : "ahead of",
		      b);
}

enum lethe_err lt_retention_clock_not_before(int64_t now, int64_t newest_us, uint64_t seq)
{
	/* floor division: a record at 12:00:00.7 is not after a clock reading 12:00:00 */
	int64_t newest = newest_us / 1000000 - (newest_us % 1000000 < 0 ? 1 : 0);
	char a[32], b[32];

	if (seq == 0 || now >= newest)
		return LETHE_OK;
	lt_time_format(now, a, sizeof(a));
	lt_time_format(newest, b, sizeof(b));
	return lt_err(LETHE_ERR_CLOCK,
		      "the clock (%s) is earlier than the newest authenticated record (audit "
		      "record %llu, %s): the clock was set back, or was ahead when that record "
		      "was written; nothing is shredded until the clock passes %s",
		      a, (unsigned long long) seq, b, b);
}

void lt_retention_put_detail(const struct lt_db_object *row, char *buf, size_t len)
{
	char created[32], until[32];

	lt_time_format(row->created_at, created, sizeof(created));
	lt_time_format(row->retain_until, until, sizeof(until));
	(void) snprintf(buf, len, "created_at=%s retain_until=%s lock=%s", created, until,
			row->locked ? "true" : "false");
}

bool lt_retention_put_detail_parse(const char *text, int64_t *created_at, int64_t *retain_until,
				   bool *lock)
{
	char created[32], until[32], locked[8], again[LT_RETENTION_PUT_DETAIL_MAX];
	struct lt_db_object row;
	enum lethe_err rc;

	if (sscanf(text, "created_at=%31s retain_until=%31s lock=%7s", created, until, locked) != 3)
		return false;
	rc = lt_time_parse(created, created_at);
	if (rc == LETHE_OK)
		rc = lt_time_parse(until, retain_until);
	lt_err_clear(); /* not a detail of anyone's failure */
	if (rc != LETHE_OK)
		return false;
	*lock = strcmp(locked, "true") == 0;
	/* only the exact text lt_retention_put_detail() writes */
	memset(&row, 0, sizeof(row));
	row.created_at = *created_at;
	row.retain_until = *retain_until;
	row.locked = *lock;
	lt_retention_put_detail(&row, again, sizeof(again));
	return strcmp(again, text) == 0;
}

void lt_retention_extend_detail(uint64_t lengthened, int64_t until, char *buf, size_t len)
{
	char date[32];

	if (!until) {
		(void) snprintf(buf, len, "lengthened %llu object(s)",
				(unsigned long long) lengthened);
		return;
	}
	lt_time_format(until, date, sizeof(date));
	(void) snprintf(buf, len, "lengthened %llu object(s) to retain_until=%s",
			(unsigned long long) lengthened, date);
}

void lt_retention_extend_by_detail(uint64_t lengthened, int64_t by, char *buf, size_t len)
{
	(void) snprintf(buf, len, "lengthened %llu object(s) by %llds",
			(unsigned long long) lengthened, (long long) by);
}

bool lt_retention_extend_by_parse(const char *text, int64_t *by)
{
	unsigned long long n;
	long long v;
	char again[128];

	*by = 0;
	if (sscanf(text, "lengthened %llu object(s) by %llds", &n, &v) != 2 || v <= 0)
		return false;
	/* only the exact text lt_retention_extend_by_detail() writes */
	lt_retention_extend_by_detail(n, v, again, sizeof(again));
	if (strcmp(again, text) != 0)
		return false;
	*by = v;
	return true;
}

bool lt_retention_extend_detail_parse(const char *text, int64_t *until)
{
	const char *p = strstr(text, " to retain_until=");
	char date[32];
	enum lethe_err rc;

	*until = 0;
	if (!p || sscanf(p, " to retain_until=%31s", date) != 1)
		return false;
	rc = lt_time_parse(date, until);
	lt_err_clear(); /* not a detail of anyone's failure */
	return rc == LETHE_OK;
}
