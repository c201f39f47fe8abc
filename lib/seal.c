/* seal.c - the one sealing of a store from before row MACs, at its first keyed open.
 *
 * Its rows are MAC'd as they stand (trust on first use: docs/THREATS.md), recorded as
 * "store.seal" and anchored; a store whose log or keystore says it was sealed before is
 * refused instead (its digests were removed).
 */
#include <stdbool.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "keys/anchor.h"
#include "lib/internal.h"
#include "store/db.h"

/* Was this store sealed before? Its audit log says so (the chain's MAC keeps that honest):
 * then a store without digests had them removed, and sealing it again would bless the edit. */

static int seal_seen(const struct lt_db_audit *rec, void *ctx)
{
	bool *seen = ctx;

	if (strcmp(rec->action, "store.seal") == 0 ||
	    (strcmp(rec->action, "init") == 0 && strstr(rec->error, LT_INIT_SEALED))) {
		*seen = true;
		return 1;
	}
	return 0;
}

/*
 * Why a store without digests must not be sealed (NULL: it is one from before row MACs). Only
 * a store as 0.1.x left it is: a log that begins with its init record, no store.seal and no
 * sealed init record in it, and no anchor in the keystore (a store made by this release is
 * anchored at init, an upgraded one at the open that seals it). Removing the digests, the log
 * and the anchor together therefore does not bring trust on first use back.
 */
static const char *seal_refused(struct lethe_store *st, enum lethe_err *rc)
{
	struct lt_anchor a;
	bool seen = false, init = false, anchored = false, found = false;

	*rc = lt_audit_log_start(st, &init, &anchored);
	if (*rc != LETHE_OK)
		return NULL;
	if (!init)
		return "the audit log does not begin with the store's init record (records were "
		       "deleted)";
	*rc = lt_db_audit_list(st->db, 1, 0, seal_seen, &seen);
	if (*rc != LETHE_OK)
		return NULL;
	if (seen)
		return "its rows were sealed before";
	*rc = lt_anchor_read(st->keystore_path, st->keys->audit_anchor, st->store_id, &a, &found);
	if (*rc == LETHE_ERR_INTEGRITY) {
		lt_err_clear();
		*rc = LETHE_OK;
		found = true; /* a token, even a bad one, is an anchor someone made */
	}
	if (*rc != LETHE_OK)
		return NULL;
	if (found)
		return "keystore.luks holds an audit anchor, which only a sealed store has";
	return NULL;
}

/*
 * A store written by a version before row MACs has no digests: its rows are MAC'd as they
 * stand at its first keyed open, once (trust on first use: docs/THREATS.md), the audit
 * log says when, and the store is anchored then. A store that was sealed and lost its digests
 * is not sealed again: its rows then fail their checks, and doctor says why.
 */
enum lethe_err lt_store_seal(struct lethe_store *st)
{
	bool sealed = false;
	const char *why = NULL;
	enum lethe_err rc;

	rc = lt_db_rowmac_sealed(st->db, &sealed);
	if (rc != LETHE_OK || sealed)
		return rc;
	/* a read-only snapshot of an unsealed store is left as it is: its rows fail their checks,
	 * and a writable open seals it */
	if (st->read_only)
		return LETHE_OK;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* again under the write lock: another process may have sealed meanwhile */
	rc = lt_db_rowmac_sealed(st->db, &sealed);
	if (rc == LETHE_OK && !sealed)
		why = seal_refused(st, &rc);
	if (rc == LETHE_OK && !sealed && why)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: the row digests are missing and the store is not sealed again: %s "
			    "(see doctor)",
			    st->db_path, why);
	if (rc == LETHE_OK && !sealed)
		rc = lt_db_rowmac_seal(st->db);
	if (rc == LETHE_OK && !sealed)
		rc = lt_audit_append(st, &(struct lt_audit_event){
					     .action = "store.seal",
					     .error = "rows of a store from before row MACs sealed "
						      "as they stood"});
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	/* anchored by the open that sealed it (a failure is on syslog; the next writer tries) */
	if (rc == LETHE_OK && !sealed) {
		struct lt_err_saved saved;

		lt_err_save(&saved);
		(void) lt_audit_anchor(st, false);
		lt_err_restore(&saved, LETHE_OK);
	}
	return rc;
}
