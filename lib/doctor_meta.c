/* doctor_meta.c - doctor's checks of the metadata: schema, SQLite's own check, row MACs, the
 * audit anchor, shreds against certificates and the audit log, the security settings
 * recorded. */
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "lib/doctor_internal.h"
#include "lib/internal.h"
#include "retention/policy.h"
#include "store/db.h"

void lt_doctor_database(struct doctor *d)
{
	int version = 0;
	uint64_t shredded = 0, certs = 0;

	if (lt_db_schema_version(d->st->db, &version) != LETHE_OK ||
	    version != LT_DB_SCHEMA_VERSION)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "schema", "schema version %d, expected %d",
				 version, LT_DB_SCHEMA_VERSION);
	else
		lt_doctor_report(d, LETHE_DOCTOR_OK, "schema", "version %d", version);
	if (lt_db_check(d->st->db) != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "database", "%s", lt_err_detail());
	else
		lt_doctor_report(d, LETHE_DOCTOR_OK, "database", "quick_check ok");
	if (lt_db_object_count(d->st->db, LETHE_STATE_SHREDDED, &shredded) == LETHE_OK &&
	    lt_db_cert_last(d->st->db, &certs, (uint8_t[32]){0}) == LETHE_OK) {
		if (shredded != certs)
			lt_doctor_report(d, LETHE_DOCTOR_ERROR, "evidence",
					 "%llu shredded objects but %llu "
					 "certificates",
					 (unsigned long long) shredded, (unsigned long long) certs);
		else
			lt_doctor_report(d, LETHE_DOCTOR_OK, "evidence",
					 "one certificate per shredded object "
					 "(%llu)",
					 (unsigned long long) certs);
	}
}
/* One row (or table digest) that is not as lethe wrote it. */
static void row_problem(const char *table, const char *detail, void *vctx)
{
	struct doctor *d = vctx;

	lt_doctor_report(d, LETHE_DOCTOR_ERROR, "rows", "%s: %s", table, detail);
}

/* Every row of every authenticated table against its MAC, every table against its digest. */
void lt_doctor_rows(struct doctor *d)
{
	uint64_t before = d->problems;
	enum lethe_err rc = lt_db_rowmac_check(d->st->db, row_problem, d);

	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "rows", "%s", lt_err_detail());
	else if (d->problems == before)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "rows",
				 "every row matches its MAC and every table its "
				 "digest");
}

static void audit_problem(const char *where, const char *what, void *vctx)
{
	struct doctor *d = vctx;

	lt_doctor_report(d, LETHE_DOCTOR_ERROR, "audit", "%s: %s", where, what);
}

/* The newest authenticated record dated ahead of the clock (a clock that lied for that one
 * reading, or a system-wide jump since undone): every sweep and rm refuses until then, so
 * disposal has stopped, and doctor says so. */
static void audit_future(struct doctor *d)
{
	char when[40];
	int64_t newest_us = 0, now = lt_now();
	uint64_t seq = 0;

	if (lt_audit_head(d->st->db, d->st->keys->audit_mac, &seq, &newest_us) != LETHE_OK) {
		lt_err_clear();
		return; /* the anchor check above, and audit verify, say why */
	}
	if (seq == 0 || newest_us / 1000000 <= now + LT_RETENTION_CLOCK_SKEW_MAX)
		return;
	lt_time_format_us(newest_us, when, sizeof(when));
	lt_doctor_report(d, LETHE_DOCTOR_ERROR, "audit",
			 "audit record %llu is dated %s, ahead of the clock: no sweep or rm "
			 "shreds anything until then (a clock that was wrong when it was "
			 "written); run lethe audit verify",
			 (unsigned long long) seq, when);
}

/* The audit anchor and the start of the log (the whole chain is `audit verify`'s). */
void lt_doctor_audit(struct doctor *d)
{
	bool bad = false;
	enum lethe_err rc = lt_audit_check_anchor(d->st, audit_problem, d, &bad);

	if (rc != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "audit", "%s", lt_err_detail());
	else if (!bad)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "audit",
				 "the log begins with its init record and "
				 "reaches the keystore's anchor");
	lt_err_clear();
	audit_future(d);
}

static void evidence_problem(const char *where, const char *what, void *vctx)
{
	struct doctor *d = vctx;

	lt_doctor_report(d, LETHE_DOCTOR_ERROR, "evidence", "%s: %s", where, what);
}

/*
 * Shreds against the audit log and the certificates, as `evidence verify` checks them
 * (retention/cert_store.c: one pass over the objects, the certificates and the log each):
 * every shredded row has its certificate and an authenticated rm or sweep.shred record, every
 * shred record its certificate, every certificate its put.
 */
void lt_doctor_evidence(struct doctor *d)
{
	uint64_t before = d->problems, count = 0;
	enum lethe_err rc = lethe_evidence_verify(d->st, evidence_problem, d, &count);

	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "evidence", "%s", lt_err_detail());
	else if (rc == LETHE_ERR_INTEGRITY && d->problems == before)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "evidence", "%s", lt_err_detail());
	else if (d->problems == before)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "evidence",
				 "%llu certificate(s): every shredded object has its certificate "
				 "and its shred record in the audit log, every shred record its "
				 "certificate",
				 (unsigned long long) count);
	lt_err_clear();
}

/* The security settings of lethe.conf against those recorded (an open records a change). */
void lt_doctor_secconf(struct doctor *d)
{
	char what[400];
	bool differs = false, recorded = false;
	enum lethe_err rc = lt_secconf_compare(d->st, what, sizeof(what), &differs, &recorded);

	if (rc == LETHE_ERR_INTEGRITY)
		return; /* reported by lt_doctor_rows() */
	if (rc != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "config", "%s", lt_err_detail());
	else if (differs)
		lt_doctor_report(
		    d, LETHE_DOCTOR_ERROR, "config",
		    "the security settings of lethe.conf differ from those recorded in meta.db, "
		    "and no config.change record says so yet: %s",
		    what);
	else if (!recorded)
		lt_doctor_report(d, LETHE_DOCTOR_WARN, "config",
				 "no security settings recorded in meta.db "
				 "(the next writable open records them)");
	else
		lt_doctor_report(d, LETHE_DOCTOR_OK, "config",
				 "the security settings are those recorded");
}
