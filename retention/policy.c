/* policy.c - the retention decision: whether an object may be shredded now, and when it may.
 *
 * Everything here is a pure function of its arguments (no clock, no database), so that the
 * decision table can be tested exhaustively and every caller (rm, sweep) decides alike.
 */
#include "retention/policy.h"

#include <assert.h>

#include "common/err.h"
#include "common/timeutil.h"

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
	if (req->retain_until <= req->now)
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
