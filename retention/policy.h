/* policy.h - what retention allows: the one place that decides whether an object may go. */
#ifndef LT_RETENTION_POLICY_H
#define LT_RETENTION_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "include/lethe.h"

/* Everything the decision depends on. */
struct lt_shred_request {
	int64_t now;
	int64_t retain_until;
	bool object_hold;
	bool group_hold;
	bool group_locked;  /* compliance mode */
	bool force;         /* rm --force */
	bool officer;       /* the handle was unlocked by an officer */
};

/*
 * May the object be shredded now? LETHE_OK, or the refusal: LETHE_ERR_HELD (any hold, always
 * first), LETHE_ERR_LOCKED (before retain_until in a locked group, even forced by an officer),
 * LETHE_ERR_NOT_EXPIRED (before retain_until without force), LETHE_ERR_NOT_OFFICER (force
 * without an officer). Records the detail. "Before retain_until" means now < retain_until:
 * an object may go at retain_until itself.
 */
enum lethe_err lt_retention_may_shred(const struct lt_shred_request *req);

/*
 * The latest time lethe keeps: 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
 * retain_until saturates here, so that "forever" can still be printed and certified.
 */
#define LT_RETENTION_TIME_MAX INT64_C(253402300799)

/*
 * retain_until for an object created at @p created_at under @p retention (seconds), saturating
 * at LT_RETENTION_TIME_MAX; a negative retention counts as zero.
 */
int64_t lt_retention_until(int64_t created_at, int64_t retention);

#endif
