/* policy.h - what retention allows: the one place that decides whether an object may go.
 *
 * Expiry, legal holds, lock (compliance mode) and forced removal are decided here and nowhere
 * else: rm asks lt_retention_may_remove(), the sweep lt_retention_sweep_action(), `ls
 * --expired` lt_retention_due(), a put takes its retain_until from lt_retention_on_put() and an
 * extension from lt_retention_extend_to(). The store's queries may narrow what is read (the
 * sweep's expired-objects index), never decide.
 */
#ifndef LT_RETENTION_POLICY_H
#define LT_RETENTION_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "include/lethe.h"
#include "retention/group.h"
#include "store/db.h"

/* Everything the decision depends on. */
struct lt_shred_request {
	int64_t now;
	int64_t retain_until;
	bool object_hold;
	bool group_hold;
	bool group_locked; /* compliance mode */
	bool force;        /* rm --force */
	bool officer;      /* the handle was unlocked by an officer */
};

/*
 * May the object be shredded now? LETHE_OK, or the refusal: LETHE_ERR_HELD (any hold, always
 * first), LETHE_ERR_LOCKED (before retain_until in a locked group, even forced by an officer),
 * LETHE_ERR_NOT_EXPIRED (before retain_until without force), LETHE_ERR_NOT_OFFICER (force
 * without an officer). Records the detail. "Before retain_until" means now < retain_until:
 * an object may go at retain_until itself.
 */
enum lethe_err lt_retention_may_shred(const struct lt_shred_request *req);

/* Has retention run out at @p now? An object may go at retain_until itself. */
bool lt_retention_expired(int64_t retain_until, int64_t now);

/* Is @p row due at @p now: live, and its retention run out? (Holds are not looked at.) */
bool lt_retention_due(const struct lt_db_object *row, int64_t now);

/* What the decisions about one object read: its row, and its group's legal hold (a row of
 * its own), both as read in the caller's transaction. */
struct lt_retention_object {
	const struct lt_db_object *row;
	bool group_hold;
	const char *group_hold_reason; /* the group hold's case reference, when group_hold */
};

/*
 * The policy that applies to @p row under @p cfg: its group's retention, and locked when the
 * row was locked when written or its group is locked now (a config edit never unlocks an
 * object).
 */
void lt_retention_object_policy(const struct lt_config *cfg, const struct lt_db_object *row,
				struct lt_group_policy *out);

/*
 * rm: may @p o go at @p now, asked with @p force by an officer or not? lt_retention_may_shred()
 * on the object's facts, the lock as lt_retention_object_policy() says. On LETHE_OK, *forced
 * says whether this is an early (forced) shred, which its certificate records.
 */
enum lethe_err lt_retention_may_remove(const struct lt_config *cfg,
				       const struct lt_retention_object *o, int64_t now, bool force,
				       bool officer, bool *forced);

/* What a sweep does with one object. */
enum lt_sweep_action {
	LT_SWEEP_KEEP,  /* not live, or not expired (extended since it was listed) */
	LT_SWEEP_HELD,  /* expired but on legal hold: kept, and reported */
	LT_SWEEP_SHRED, /* expired, no hold */
};

/* The sweep's decision for @p o at @p now (the row read again inside the sweep's
 * transaction: a listing may be stale). Never shreds what lt_retention_may_shred() refuses
 * without force. Records no error detail. */
enum lt_sweep_action lt_retention_sweep_action(const struct lt_retention_object *o, int64_t now);

/*
 * Why @p o is held, into @p buf (cut to @p len): the object's own hold reason first, else
 * "group hold: " and the group's; empty and false when it is not held.
 */
bool lt_retention_hold_reason(const struct lt_retention_object *o, char *buf, size_t len);

/*
 * A new object's retention, fixed when its row commits (like S3 Object Lock): created_at
 * @p now, retain_until from its group's retention, and locked if its group is locked now.
 * Sets those three fields of @p row, whose group must be set.
 */
void lt_retention_on_put(const struct lt_config *cfg, int64_t now, struct lt_db_object *row);

/*
 * What a put fixed, as its audit record states it (the record's detail): "created_at=TIME
 * retain_until=TIME lock=true|false", TIMEs RFC 3339 UTC. The evidence verifier holds each
 * certificate against it: a row edited after the put cannot shorten what the log says.
 */
#define LT_RETENTION_PUT_DETAIL_MAX 128
void lt_retention_put_detail(const struct lt_db_object *row, char *buf, size_t len);

/* Parse what lt_retention_put_detail() wrote; false for anything else (a put record of an
 * older release has no detail). */
bool lt_retention_put_detail_parse(const char *text, int64_t *created_at, int64_t *retain_until,
				   bool *lock);

/*
 * The detail of a retention.extend record: "lengthened N object(s)", then " to
 * retain_until=TIME" when the extension names a date every object it lengthened now has at
 * least (one object; a group --until). A rolled-back row with an earlier retain_until
 * contradicts it (lib/shred.c). @p until 0: no date (a group --by, each object its own).
 */
void lt_retention_extend_detail(uint64_t lengthened, int64_t until, char *buf, size_t len);

/* The date of lt_retention_extend_detail(); false when the record names none. */
bool lt_retention_extend_detail_parse(const char *text, int64_t *until);

/*
 * The detail of a group --by retention.extend: "lengthened N object(s) by Ss", @p by in
 * seconds. Every object of the group that existed then was retained @p by longer: replayed
 * from the put's retain_until, these records give the least retain_until a row may have
 * (lib/shred.c). The parse accepts only that exact text (false for a record of an older
 * release, which named no duration).
 */
void lt_retention_extend_by_detail(uint64_t lengthened, int64_t by, char *buf, size_t len);
bool lt_retention_extend_by_parse(const char *text, int64_t *by);

/*
 * `retention extend` of one object: the new retain_until into *target, @p until (absolute)
 * when it is not 0, else the current one plus @p by (saturating at LT_RETENTION_TIME_MAX).
 * Retention is only ever lengthened: LETHE_ERR_SHORTENS (with the detail) when the target is
 * earlier. *changes is false when the target is the current retain_until.
 */
enum lethe_err lt_retention_extend_to(const struct lt_db_object *row, int64_t until, int64_t by,
				      int64_t *target, bool *changes);

/*
 * T3, the clock (docs/THREATS.md). How far this process's clock may stand from the time the
 * kernel stamps on a new file before it is called faked: file times are coarse (a clock tick,
 * a second on some file systems, the server's clock on a network file system), and a smaller
 * shift gains an attacker no more than this.
 */
#define LT_RETENTION_CLOCK_SKEW_MAX 300

/*
 * Does the process's clock @p now agree with @p kernel_now (the mtime the kernel gave a new
 * file, common/fsutil.h lt_fs_clock())? LETHE_ERR_CLOCK, with both times and the difference,
 * when they stand more than LT_RETENTION_CLOCK_SKEW_MAX apart: the process reads a clock the
 * kernel does not keep (an LD_PRELOAD library, a debugger).
 */
enum lethe_err lt_retention_clock_agrees(int64_t now, int64_t kernel_now);

/*
 * May a shred be decided at @p now? Not when @p now is earlier than @p newest_us, the time of
 * the newest authenticated audit record (number @p seq; 0: none): the clock has gone back, so
 * retention decisions and certificates would run backwards. LETHE_ERR_CLOCK with both times.
 * Compared in whole seconds (retention is decided in seconds).
 */
enum lethe_err lt_retention_clock_not_before(int64_t now, int64_t newest_us, uint64_t seq);

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
