/* doctor.c - the full health check: one check per concern (doctor_*.c), run in order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "lib/doctor_internal.h"
#include "lib/internal.h"

/* One finding: counted when it is a problem, passed to the caller's callback. */
void lt_doctor_vreport(void *ctx, enum lethe_doctor_level level, const char *check, const char *fmt,
		       va_list ap)
{
	struct doctor *d = ctx;
	char detail[1200];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	if (level == LETHE_DOCTOR_ERROR)
		d->problems++;
	if (d->fn)
		d->fn(level, check, detail, d->ctx);
}

void lt_doctor_report(struct doctor *d, enum lethe_doctor_level level, const char *check,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lt_doctor_vreport(d, level, check, fmt, ap);
	va_end(ap);
}

LETHE_API enum lethe_err lethe_doctor(struct lethe_store *st, int repair, lethe_doctor_fn fn,
				      void *ctx, uint64_t *problems)
{
	struct doctor d;

	lt_err_clear();
	if (problems)
		*problems = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	if (repair && st->read_only)
		return lt_store_writable(st); /* repairs write; say why they cannot */
	memset(&d, 0, sizeof(d));
	d.st = st;
	d.repair = repair;
	d.fn = fn;
	d.ctx = ctx;
	lt_doctor_private(&d, st->cfg.keyfile);
	lt_doctor_private(&d, st->keystore_path);
	lt_doctor_private(&d, st->db_path);
	lt_doctor_owned(&d);
	lt_doctor_report(&d, LETHE_DOCTOR_OK, "config", "loaded");
	lt_doctor_headers(&d);
	lt_doctor_keys(&d);
	lt_doctor_database(&d);
	lt_doctor_rows(&d);
	lt_doctor_audit(&d);
	lt_doctor_evidence(&d);
	lt_doctor_secconf(&d);
	lt_doctor_dirs(&d);
	lt_doctor_leftovers(&d);
	lt_doctor_unlinks(&d);
	lt_doctor_objects(&d);
	lt_doctor_strays(&d);
	free(d.stuck);
	if (problems)
		*problems = d.problems;
	lt_audit_record(st,
			&(struct lt_audit_event){.action = repair ? "doctor.repair" : "doctor",
						 .err = d.problems ? LETHE_ERR_INTEGRITY : LETHE_OK,
						 .error = d.problems ? "problems found" : NULL});
	return LETHE_OK;
}
