/* clock.c - T3: whether this process may decide retention by the clock it reads.
 *
 * Two checks (retention/policy.h decides, this file gathers what they need): the process clock
 * against the time the kernel stamps on a new file (an LD_PRELOAD library that shifts
 * clock_gettime() does not shift that), at open and again for the very reading a decision is
 * taken on (a put's created_at, a shred's now: a library that answers the open's reading
 * truthfully and lies afterwards is caught there); before a shred, the clock against the
 * newest authenticated audit record (a clock set back, system-wide, is older than what the
 * store already wrote). A refusal goes to syslog, not into the chain: a record stamped by the clock
 * just refused would carry its time into the log, and the next check would trust it.
 */
#include <limits.h>
#include <stdio.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "retention/policy.h"

/* Tell syslog of a refusal (whatever [audit] syslog says: it is a security event). */
static void clock_refused(struct lethe_store *st, const char *action, enum lethe_err rc)
{
	struct lt_err_saved saved;

	lt_err_save(&saved);
	lt_audit_pending_add(
	    NULL, true, &st->actor,
	    &(struct lt_audit_event){.action = action, .err = rc, .error = saved.text});
	lt_err_restore(&saved, rc);
}

static enum lethe_err kernel_clock(struct lethe_store *st, int64_t *kernel_now)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/tmp", st->dir);
	return lt_fs_clock(dir, kernel_now);
}

enum lethe_err lt_clock_check_open(struct lethe_store *st)
{
	int64_t kernel_now = 0;
	enum lethe_err rc;

	rc = kernel_clock(st, &kernel_now);
	if (rc != LETHE_OK) {
		/* a read-only store can still be read; what would shred asks again and refuses */
		lt_err_save(&st->clock_unchecked);
		lt_err_clear();
		return LETHE_OK;
	}
	rc = lt_retention_clock_agrees(lt_now(), kernel_now);
	if (rc != LETHE_OK)
		clock_refused(st, "open", rc);
	return rc;
}

enum lethe_err lt_clock_now(struct lethe_store *st, const char *action, int64_t *now)
{
	int64_t kernel_now = 0;
	enum lethe_err rc;

	*now = lt_now();
	rc = kernel_clock(st, &kernel_now);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_retention_clock_agrees(*now, kernel_now);
	if (rc != LETHE_OK)
		clock_refused(st, action, rc);
	return rc;
}

enum lethe_err lt_clock_for_shred(struct lethe_store *st, const char *action, int64_t *now)
{
	int64_t newest_us = 0;
	uint64_t seq = 0;
	enum lethe_err rc;

	*now = 0;
	if (st->clock_unchecked.text[0]) {
		rc = lt_err(LETHE_ERR_CLOCK,
			    "cannot compare the clock with the kernel's, so no "
			    "shred is decided by it: %s",
			    st->clock_unchecked.text);
		clock_refused(st, action, rc);
		return rc;
	}
	rc = lt_audit_head(st->db, st->keys->audit_mac, &seq, &newest_us);
	if (rc != LETHE_OK)
		return rc;
	/* read after the head: a record another process appends meanwhile is not "later" */
	rc = lt_clock_now(st, action, now);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_retention_clock_not_before(*now, newest_us, seq);
	if (rc != LETHE_OK)
		clock_refused(st, action, rc);
	return rc;
}
