/* hold.h - legal holds that stack: what a hold reference may be, how a hold's clearing is
 * worded in the audit log, and what the log says is in force (replayed record by record).
 *
 * Pure functions of their arguments, like policy.h (the caller reads the records), but for
 * lt_hold_legacy_until(), which reads one meta row.
 */
#ifndef LT_RETENTION_HOLD_H
#define LT_RETENTION_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"
#include "store/db.h"

/* A reference is 1..LETHE_REASON_MAX bytes with no control character (a case id is one line,
 * and the audit text of a clear ends its reference at a tab). LETHE_ERR_INVALID otherwise. */
enum lethe_err lt_hold_ref_check(const char *ref);

/* The audit text of a hold.clear: the reference, then a tab and @p why when given (a clear
 * that found no hold names the empty reference, so that no replay reads its why as one). */
#define LT_HOLD_CLEAR_DETAIL_MAX (2 * LETHE_REASON_MAX + 2)
void lt_hold_clear_detail(const char *ref, const char *why, char *buf, size_t len);

/* The references the audit log says hold one object, or one group. */
struct lt_hold_refs {
	char (*ref)[LETHE_REASON_MAX + 1];
	uint64_t *seq; /* the record that set each */
	size_t n, cap;
};

/*
 * One hold.set (@p set) or hold.clear record, with its text and @p seq, in log order.
 * @p legacy: written before holds stacked (schema 1, lethe 0.1), when a set replaced the one
 * hold and a clear cleared it. LETHE_ERR_NOMEM.
 */
/* The audit seq up to which hold records are 0.1's (@p legacy above): what the schema 2
 * upgrade recorded (meta holds_stacked_after), 0 in a store made since. */
enum lethe_err lt_hold_legacy_until(struct lt_db *db, uint64_t *seq);

enum lethe_err lt_hold_refs_apply(struct lt_hold_refs *r, bool set, bool legacy, const char *text,
				  uint64_t seq);
/* The seq of the newest record that set a hold still in force (0: none in force). */
uint64_t lt_hold_refs_newest(const struct lt_hold_refs *r);
void lt_hold_refs_free(struct lt_hold_refs *r);

#endif
