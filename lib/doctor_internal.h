/* doctor_internal.h - what the files of `lethe doctor` share: the run's state, the report
 * function and one check per concern (doctor.c runs them in order). */
#ifndef LT_LIB_DOCTOR_INTERNAL_H
#define LT_LIB_DOCTOR_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "include/lethe.h"
#include "lib/internal.h"

struct doctor {
	struct lethe_store *st;
	int repair;
	lethe_doctor_fn fn;
	void *ctx;
	uint64_t problems;
	enum lethe_err rc;
	/* files of shredded objects that could not be unlinked: reported once, by their check */
	char (*stuck)[LETHE_ID_LEN + 1];
	size_t nstuck, capstuck;
};

/* One finding: counted when it is a problem, passed to the caller's callback (a
 * lt_keys_report_fn, so keys/ reports through it too). */
void lt_doctor_vreport(void *ctx, enum lethe_doctor_level level, const char *check, const char *fmt,
		       va_list ap);
void lt_doctor_report(struct doctor *d, enum lethe_doctor_level level, const char *check,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* doctor_layout.c: the files and directories of the store, their owner and mode */
void lt_doctor_private(struct doctor *d, const char *path);
void lt_doctor_owned(struct doctor *d);
void lt_doctor_dirs(struct doctor *d);
void lt_doctor_strays(struct doctor *d);

/* doctor_keys.c: the keystore, officers.luks (their LUKS2 headers too), the primary KEK's age */
void lt_doctor_keys(struct doctor *d);
void lt_doctor_headers(struct doctor *d);

/* doctor_meta.c: the database, its rows, the audit anchor, shreds against the log and the
 * certificates, the recorded settings */
void lt_doctor_database(struct doctor *d);
void lt_doctor_rows(struct doctor *d);
void lt_doctor_audit(struct doctor *d);
void lt_doctor_evidence(struct doctor *d);
void lt_doctor_secconf(struct doctor *d);

/* doctor_objects.c: object files against rows, queued unlinks, staged writes */
void lt_doctor_leftovers(struct doctor *d);
void lt_doctor_unlinks(struct doctor *d);
void lt_doctor_objects(struct doctor *d);

#endif
