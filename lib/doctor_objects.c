/* doctor_objects.c - recovery after crashes (the cheap part at every open) and doctor's
 * checks of object files against rows, of queued unlinks and of staged writes. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "lib/doctor_internal.h"
#include "lib/internal.h"
#include "store/db.h"
#include "store/objstore.h"
#include "store/unlinker.h"

static int row_exists(const char *id, void *vctx)
{
	struct lethe_store *st = vctx;
	struct lt_db_object *row = malloc(sizeof(*row));
	int found;

	if (!row)
		return 1; /* when in doubt, keep the object file */
	found = lt_db_object_get(st->db, id, row) != LETHE_ERR_NOT_FOUND;
	free(row);
	return found;
}

/*
 * Each step is best effort: one file that cannot be removed (a read-only or immutable
 * directory, an I/O error) must not stop every command on the store. What is left is retried
 * by the next open and reported by doctor, with its cause.
 */
void lt_recover_cheap(struct lethe_store *st)
{
	size_t n = 0;

	/* a restore from a backup brings no tmp/ back (and should not) */
	(void) lt_objstore_prepare(st->objs);
	(void) lt_objstore_recover(st->objs, row_exists, st, &n);
	(void) lt_unlinks_finish(st->db, st->objs, NULL, NULL, NULL);
	lt_err_clear();
}

/* Is @p id's row live right now? (Rows are listed a page at a time: a sweep or an rm in
 * another process may have shredded it, and unlinked its file, since.) */
static bool still_live(struct doctor *d, const char *id)
{
	struct lt_db_object *row = malloc(sizeof(*row));
	bool live;

	if (!row)
		return true; /* when in doubt, report */
	live = lt_db_object_get(d->st->db, id, row) != LETHE_OK || row->state == LETHE_STATE_LIVE;
	free(row);
	return live;
}

/* Every live row has a regular file. */
static int live_has_file(const struct lt_db_object *obj, void *vctx)
{
	struct doctor *d = vctx;
	char path[PATH_MAX];
	enum lethe_err rc;

	if (obj->bad != LETHE_OK)
		return 0; /* reported by lt_doctor_rows() */

	if (lt_objstore_where(d->st->objs, obj->id, path, sizeof(path)) != LETHE_OK)
		return 0;
	LT_FAULT("doctor.before_file_check"); /* rows listed, files not looked at yet */
	rc = lt_objstore_probe(d->st->objs, obj->id);
	if (rc == LETHE_ERR_INTEGRITY) {
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "objects",
				 "object %s: %s is not a regular file", obj->id, path);
	} else if (rc != LETHE_OK) {
		if (rc == LETHE_ERR_NOT_FOUND && !still_live(d, obj->id))
			return 0;
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "objects", "object %s: file missing (%s)",
				 obj->id, path);
	}
	return 0;
}

/* Every file has a live row. */
static int file_has_row(const char *id, const char *path, void *vctx)
{
	struct doctor *d = vctx;
	struct lt_db_object *row;
	enum lethe_err rc;

	if (!id) {
		lt_doctor_report(d, d->repair ? LETHE_DOCTOR_REPAIRED : LETHE_DOCTOR_ERROR,
				 "objects", "%s: not an object file%s", path,
				 d->repair ? ", removed" : "");
		if (d->repair && lt_objstore_remove_stray(d->st->objs, path) != LETHE_OK)
			lt_doctor_report(d, LETHE_DOCTOR_ERROR, "objects", "%s", lt_err_detail());
		return 0;
	}
	for (size_t i = 0; i < d->nstuck; i++)
		if (strcmp(d->stuck[i], id) == 0)
			return 0;
	row = malloc(sizeof(*row));
	if (!row)
		return 1;
	rc = lt_db_object_get(d->st->db, id, row);
	/* A put links its file before its row commits, and keeps its staged file (locked) from
	 * before the link until after the commit: with either in place the file is no orphan. */
	if (rc == LETHE_ERR_NOT_FOUND && (lt_objstore_put_pending(d->st->objs, id) ||
					  lt_db_object_get(d->st->db, id, row) == LETHE_OK)) {
		free(row);
		return 0;
	}
	if (rc == LETHE_ERR_NOT_FOUND || (rc == LETHE_OK && row->state != LETHE_STATE_LIVE)) {
		const char *what = rc == LETHE_ERR_NOT_FOUND ? "orphan file whose key never "
							       "committed"
							     : "file of a shredded object";

		if (d->repair && lt_objstore_delete(d->st->objs, id) == LETHE_OK)
			lt_doctor_report(d, LETHE_DOCTOR_REPAIRED, "objects", "%s: %s, removed",
					 path, what);
		else
			lt_doctor_report(d, LETHE_DOCTOR_ERROR, "objects",
					 "%s: %s (doctor --repair removes "
					 "it)",
					 path, what);
	}
	free(row);
	return 0;
}

void lt_doctor_objects(struct doctor *d)
{
	uint64_t before = d->problems;

	if (lt_db_object_list(d->st->db, NULL, 0, false, live_has_file, d) != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "objects", "%s", lt_err_detail());
	if (lt_objstore_list(d->st->objs, file_has_row, d) != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "objects", "%s", lt_err_detail());
	if (d->problems == before)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "objects",
				 "every live object has its file and every "
				 "file its object");
}

/* A file of a shredded object that could not be unlinked: what, why, and what to do. */
static void unlink_left(const char *id, const char *why, void *vctx)
{
	struct doctor *d = vctx;

	if (d->nstuck == d->capstuck) {
		size_t cap = d->capstuck ? d->capstuck * 2 : 16;
		void *p = realloc(d->stuck, cap * sizeof(*d->stuck));

		if (p) {
			d->stuck = p;
			d->capstuck = cap;
		}
	}
	if (d->nstuck < d->capstuck)
		lt_strlcpy(d->stuck[d->nstuck++], id, LETHE_ID_LEN + 1);
	lt_doctor_report(
	    d, LETHE_DOCTOR_ERROR, "unlinks",
	    "shredded object %s: its file could not be "
	    "unlinked: %s; its key is destroyed (the file is noise), but the file stays queued "
	    "and every open retries it; fix: let the store's account remove files in that "
	    "directory (chmod 700, chown, chattr -i, or a read-write mount)",
	    id, why);
}

/*
 * Unlinks queued by shreds. Every open retries them, so one still queued here either belongs
 * to a shred in progress in another process (it goes now) or cannot be unlinked (reported
 * with its cause). Retrying is what any open does, so doctor does it without --repair too.
 */
void lt_doctor_unlinks(struct doctor *d)
{
	uint64_t before = d->problems;
	size_t done = 0;
	enum lethe_err rc;

	rc = lt_unlinks_finish(d->st->db, d->st->objs, unlink_left, d, &done);
	if (done && d->repair)
		lt_doctor_report(d, LETHE_DOCTOR_REPAIRED, "unlinks",
				 "%zu interrupted unlink(s) finished", done);
	if (rc != LETHE_OK && d->problems == before)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "unlinks", "%s", lt_err_detail());
	else if (d->problems == before)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "unlinks",
				 "no file of a shredded object left to unlink");
}

void lt_doctor_leftovers(struct doctor *d)
{
	size_t n = 0;

	if (d->repair && lt_objstore_recover(d->st->objs, row_exists, d->st, &n) == LETHE_OK && n)
		lt_doctor_report(d, LETHE_DOCTOR_REPAIRED, "tmp",
				 "%zu staged write(s) of dead processes "
				 "removed",
				 n);
	n = 0;
	if (lt_objstore_leftovers(d->st->objs, &n) != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "tmp", "%s", lt_err_detail());
	else if (n)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "tmp",
				 "%zu leftover file(s) in %s/tmp (doctor "
				 "--repair removes them)",
				 n, d->st->dir);
	else
		lt_doctor_report(d, LETHE_DOCTOR_OK, "tmp", "no leftovers");
}
