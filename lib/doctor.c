/* doctor.c - recovery after crashes (cheap part at every open) and the full health check. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "keys/check.h"
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

/* ---------------------------------------------------------------------------------------- */

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

/* One finding: counted when it is a problem, passed to the caller's callback. */
static void vreport(void *ctx, enum lethe_doctor_level level, const char *check, const char *fmt,
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

static void report(struct doctor *d, enum lethe_doctor_level level, const char *check,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct doctor *d, enum lethe_doctor_level level, const char *check,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, level, check, fmt, ap);
	va_end(ap);
}

static void check_private(struct doctor *d, const char *path)
{
	if (lt_check_private_file(path) == LETHE_OK)
		report(d, LETHE_DOCTOR_OK, "permissions", "%s is 0600 and ours", path);
	else
		report(d, LETHE_DOCTOR_ERROR, "permissions", "%s", lt_err_detail());
}

static void owned_report(const char *path, enum lethe_err rc, const char *detail, void *vctx)
{
	struct doctor *d = vctx;

	if (rc == LETHE_OK)
		report(d, LETHE_DOCTOR_OK, "permissions", "%s is ours and writable by nobody else",
		       path);
	else
		report(d, LETHE_DOCTOR_ERROR, "permissions", "%s", detail);
}

/* lethe.conf and the store's directories: settings and files only the store's owner writes. */
static void check_owned(struct doctor *d)
{
	char conf[PATH_MAX];

	snprintf(conf, sizeof(conf), "%s/lethe.conf", d->st->dir);
	(void) lt_store_check_owned(d->st->dir, conf, owned_report, d);
	lt_err_clear();
}

/* How long before [keys] rotation runs out doctor starts warning, at most. */
#define ROTATION_NOTICE ((int64_t) 14 * 86400)

/*
 * officers.luks's roster against the audit log (lt_officer_roster_check): NULL when it is not
 * older, else why (kept in @p why). A roster that cannot be read is keys/'s to report; the log's
 * newest officer record failing its MAC or signature counts as older: nothing is destroyed
 * on its word.
 */
static const char *roster_stale(struct doctor *d, struct lt_err_saved *why)
{
	struct lethe_store *st = d->st;
	struct lt_authority *a = calloc(1, sizeof(*a));
	const char *stale = NULL;

	if (a && access(st->officers_path, F_OK) == 0 &&
	    lt_authority_read(st->officers_path, st->store_id, a) == LETHE_OK &&
	    lt_officer_roster_check(st, a) != LETHE_OK) {
		stale = lt_err_save(why);
	}
	lt_err_clear();
	free(a);
	return stale;
}

static void check_keys(struct doctor *d)
{
	struct lethe_store *st = d->st;
	int64_t age = 0;
	struct lt_err_saved why;

	if (lt_keys_check(st->keystore_path, st->officers_path, st->store_id, st->db, d->repair,
			  roster_stale(d, &why), vreport, d) != LETHE_OK)
		return;
	/* --repair may have changed the keystore: read its KEK token afresh */
	lt_kek_ring_forget(&st->keks);
	if (lethe_key_primary_age(st, &age) != LETHE_OK) {
		report(d, LETHE_DOCTOR_ERROR, "keys", "no primary KEK: %s", lt_err_detail());
		return;
	}
	/* Warned a tenth of the period ahead (at most two weeks): time for an officer to plan. */
	int64_t ahead =
	    st->cfg.rotation / 10 < ROTATION_NOTICE ? st->cfg.rotation / 10 : ROTATION_NOTICE;

	if (st->cfg.rotation > 0 && age > st->cfg.rotation)
		report(d, LETHE_DOCTOR_WARN, "keys",
		       "the primary KEK is %lld days old, older than "
		       "[keys] rotation: run `lethe key rotate` and `lethe key rewrap`",
		       (long long) (age / 86400));
	else if (st->cfg.rotation > 0 && age > st->cfg.rotation - ahead)
		report(d, LETHE_DOCTOR_WARN, "keys",
		       "the primary KEK is %lld days old: [keys] "
		       "rotation runs out in %lld seconds (%lld days); plan `lethe key rotate` and "
		       "`lethe key rewrap`",
		       (long long) (age / 86400), (long long) (st->cfg.rotation - age),
		       (long long) ((st->cfg.rotation - age) / 86400));
	else
		report(d, LETHE_DOCTOR_OK, "keys", "primary KEK is %lld days old",
		       (long long) (age / 86400));
}

static void check_database(struct doctor *d)
{
	int version = 0;
	uint64_t shredded = 0, certs = 0;

	if (lt_db_schema_version(d->st->db, &version) != LETHE_OK ||
	    version != LT_DB_SCHEMA_VERSION)
		report(d, LETHE_DOCTOR_ERROR, "schema", "schema version %d, expected %d", version,
		       LT_DB_SCHEMA_VERSION);
	else
		report(d, LETHE_DOCTOR_OK, "schema", "version %d", version);
	if (lt_db_check(d->st->db) != LETHE_OK)
		report(d, LETHE_DOCTOR_ERROR, "database", "%s", lt_err_detail());
	else
		report(d, LETHE_DOCTOR_OK, "database", "quick_check ok");
	if (lt_db_object_count(d->st->db, LETHE_STATE_SHREDDED, &shredded) == LETHE_OK &&
	    lt_db_cert_last(d->st->db, &certs, (uint8_t[32]){0}) == LETHE_OK) {
		if (shredded != certs)
			report(d, LETHE_DOCTOR_ERROR, "evidence",
			       "%llu shredded objects but %llu "
			       "certificates",
			       (unsigned long long) shredded, (unsigned long long) certs);
		else
			report(d, LETHE_DOCTOR_OK, "evidence",
			       "one certificate per shredded object "
			       "(%llu)",
			       (unsigned long long) certs);
	}
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

/* One row (or table digest) that is not as lethe wrote it. */
static void row_problem(const char *table, const char *detail, void *vctx)
{
	struct doctor *d = vctx;

	report(d, LETHE_DOCTOR_ERROR, "rows", "%s: %s", table, detail);
}

/* Every row of every authenticated table against its MAC, every table against its digest. */
static void check_rows(struct doctor *d)
{
	uint64_t before = d->problems;
	enum lethe_err rc = lt_db_rowmac_check(d->st->db, row_problem, d);

	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY)
		report(d, LETHE_DOCTOR_ERROR, "rows", "%s", lt_err_detail());
	else if (d->problems == before)
		report(d, LETHE_DOCTOR_OK, "rows",
		       "every row matches its MAC and every table its "
		       "digest");
}

static void audit_problem(const char *where, const char *what, void *vctx)
{
	struct doctor *d = vctx;

	report(d, LETHE_DOCTOR_ERROR, "audit", "%s: %s", where, what);
}

/* The audit anchor and the start of the log (the whole chain is `audit verify`'s). */
static void check_audit(struct doctor *d)
{
	bool bad = false;
	enum lethe_err rc = lt_audit_check_anchor(d->st, audit_problem, d, &bad);

	if (rc != LETHE_OK)
		report(d, LETHE_DOCTOR_ERROR, "audit", "%s", lt_err_detail());
	else if (!bad)
		report(d, LETHE_DOCTOR_OK, "audit",
		       "the log begins with its init record and "
		       "reaches the keystore's anchor");
}

/* The security settings of lethe.conf against those recorded (an open records a change). */
static void check_secconf(struct doctor *d)
{
	char what[400];
	bool differs = false, recorded = false;
	enum lethe_err rc = lt_secconf_compare(d->st, what, sizeof(what), &differs, &recorded);

	if (rc == LETHE_ERR_INTEGRITY)
		return; /* reported by check_rows() */
	if (rc != LETHE_OK)
		report(d, LETHE_DOCTOR_ERROR, "config", "%s", lt_err_detail());
	else if (differs)
		report(d, LETHE_DOCTOR_ERROR, "config",
		       "the security settings of lethe.conf differ from those recorded in meta.db, "
		       "and no config.change record says so yet: %s",
		       what);
	else if (!recorded)
		report(d, LETHE_DOCTOR_WARN, "config",
		       "no security settings recorded in meta.db "
		       "(the next writable open records them)");
	else
		report(d, LETHE_DOCTOR_OK, "config", "the security settings are those recorded");
}

/* Every live row has a regular file. */
static int live_has_file(const struct lt_db_object *obj, void *vctx)
{
	struct doctor *d = vctx;
	char path[PATH_MAX];
	enum lethe_err rc;

	if (obj->bad != LETHE_OK)
		return 0; /* reported by check_rows() */

	if (lt_objstore_where(d->st->objs, obj->id, path, sizeof(path)) != LETHE_OK)
		return 0;
	LT_FAULT("doctor.before_file_check"); /* rows listed, files not looked at yet */
	rc = lt_objstore_probe(d->st->objs, obj->id);
	if (rc == LETHE_ERR_INTEGRITY) {
		report(d, LETHE_DOCTOR_ERROR, "objects", "object %s: %s is not a regular file",
		       obj->id, path);
	} else if (rc != LETHE_OK) {
		if (rc == LETHE_ERR_NOT_FOUND && !still_live(d, obj->id))
			return 0;
		report(d, LETHE_DOCTOR_ERROR, "objects", "object %s: file missing (%s)", obj->id,
		       path);
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
		report(d, d->repair ? LETHE_DOCTOR_REPAIRED : LETHE_DOCTOR_ERROR, "objects",
		       "%s: not an object file%s", path, d->repair ? ", removed" : "");
		if (d->repair && lt_objstore_remove_stray(d->st->objs, path) != LETHE_OK)
			report(d, LETHE_DOCTOR_ERROR, "objects", "%s", lt_err_detail());
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
			report(d, LETHE_DOCTOR_REPAIRED, "objects", "%s: %s, removed", path, what);
		else
			report(d, LETHE_DOCTOR_ERROR, "objects",
			       "%s: %s (doctor --repair removes "
			       "it)",
			       path, what);
	}
	free(row);
	return 0;
}

static void check_objects(struct doctor *d)
{
	uint64_t before = d->problems;

	if (lt_db_object_list(d->st->db, NULL, 0, false, live_has_file, d) != LETHE_OK)
		report(d, LETHE_DOCTOR_ERROR, "objects", "%s", lt_err_detail());
	if (lt_objstore_list(d->st->objs, file_has_row, d) != LETHE_OK)
		report(d, LETHE_DOCTOR_ERROR, "objects", "%s", lt_err_detail());
	if (d->problems == before)
		report(d, LETHE_DOCTOR_OK, "objects",
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
	report(d, LETHE_DOCTOR_ERROR, "unlinks",
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
static void check_unlinks(struct doctor *d)
{
	uint64_t before = d->problems;
	size_t done = 0;
	enum lethe_err rc;

	rc = lt_unlinks_finish(d->st->db, d->st->objs, unlink_left, d, &done);
	if (done && d->repair)
		report(d, LETHE_DOCTOR_REPAIRED, "unlinks", "%zu interrupted unlink(s) finished",
		       done);
	if (rc != LETHE_OK && d->problems == before)
		report(d, LETHE_DOCTOR_ERROR, "unlinks", "%s", lt_err_detail());
	else if (d->problems == before)
		report(d, LETHE_DOCTOR_OK, "unlinks",
		       "no file of a shredded object left to unlink");
}

/* The directories the store owns: present, ours, 0700 (--repair creates or chmods them). */
static void check_dirs(struct doctor *d)
{
	static const char *const names[] = {"objects", "tmp"};
	char path[PATH_MAX];
	struct stat sb;
	enum lethe_err rc;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->st->dir, names[i]);
		rc = lt_check_private_dir(path);
		if (rc == LETHE_OK) {
			report(d, LETHE_DOCTOR_OK, "directories", "%s is 0700 and ours", path);
			continue;
		}
		if (d->repair && rc == LETHE_ERR_NOT_FOUND &&
		    lt_objstore_prepare(d->st->objs) == LETHE_OK) {
			report(d, LETHE_DOCTOR_REPAIRED, "directories", "%s created", path);
			continue;
		}
		/* a directory of ours with the wrong mode: set it (never chown: whose is it?) */
		if (d->repair && lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    sb.st_uid == geteuid() && chmod(path, 0700) == 0) {
			report(d, LETHE_DOCTOR_REPAIRED, "directories", "%s: mode %04o set to 0700",
			       path, (unsigned) (sb.st_mode & 07777));
			continue;
		}
		report(d, LETHE_DOCTOR_ERROR, "directories", "%s%s", lt_err_detail(),
		       rc == LETHE_ERR_NOT_FOUND && !d->repair ? " (doctor --repair creates it)"
							       : "");
	}
}

static void check_leftovers(struct doctor *d)
{
	size_t n = 0;

	if (d->repair && lt_objstore_recover(d->st->objs, row_exists, d->st, &n) == LETHE_OK && n)
		report(d, LETHE_DOCTOR_REPAIRED, "tmp",
		       "%zu staged write(s) of dead processes "
		       "removed",
		       n);
	n = 0;
	if (lt_objstore_leftovers(d->st->objs, &n) != LETHE_OK)
		report(d, LETHE_DOCTOR_ERROR, "tmp", "%s", lt_err_detail());
	else if (n)
		report(d, LETHE_DOCTOR_ERROR, "tmp",
		       "%zu leftover file(s) in %s/tmp (doctor "
		       "--repair removes them)",
		       n, d->st->dir);
	else
		report(d, LETHE_DOCTOR_OK, "tmp", "no leftovers");
}

/*
 * DIR/lost+found, where the store is the root of a file system: a directory, and empty or not
 * ours to read (mkfs makes it root's). Files fsck put there may be pieces of the store's files
 * or of plaintext: a warning names them.
 */
static bool lost_found_empty(struct doctor *d, int dirfd_, const char *name)
{
	struct stat sb;
	struct dirent *e;
	size_t entries = 0;
	DIR *lf;
	int fd;

	if (strcmp(name, "lost+found") != 0 ||
	    fstatat(dirfd_, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode))
		return false;
	fd = openat(dirfd_, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return true; /* root's, 0700: as mkfs made it */
	lf = fdopendir(fd);
	if (!lf) {
		close(fd);
		return true;
	}
	while ((e = readdir(lf)) != NULL)
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(lf);
	if (entries)
		report(d, LETHE_DOCTOR_WARN, "store",
		       "%s/lost+found holds %zu file(s) fsck "
		       "recovered: pieces of store files or plaintext; look, then remove them",
		       d->st->dir, entries);
	return true;
}

/* Nothing in DIR but lethe's own files: anything else may be plaintext someone left. */
static void check_strays(struct doctor *d)
{
	static const char *const known[] = {
	    ".",       "..",          "lethe.conf",  "keystore.luks", "officers.luks",
	    "meta.db", "meta.db-wal", "meta.db-shm", "objects",       "tmp"};
	DIR *dir = opendir(d->st->dir);
	struct dirent *e;
	size_t i, strays = 0;

	if (!dir) {
		report(d, LETHE_DOCTOR_ERROR, "store", "%s: %s", d->st->dir, strerror(errno));
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		bool ok = false;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(e->d_name, known[i]) == 0;
		/* a store on a file system of its own shares its root with fsck's lost+found */
		ok |= lost_found_empty(d, dirfd(dir), e->d_name);
		if (!ok) {
			strays++;
			report(d, LETHE_DOCTOR_ERROR, "store",
			       "%s/%s: not a lethe file (remove it "
			       "if it holds plaintext)",
			       d->st->dir, e->d_name);
		}
	}
	closedir(dir);
	if (!strays)
		report(d, LETHE_DOCTOR_OK, "store", "no stray files");
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
	check_private(&d, st->cfg.keyfile);
	check_private(&d, st->keystore_path);
	check_private(&d, st->db_path);
	check_owned(&d);
	report(&d, LETHE_DOCTOR_OK, "config", "loaded");
	check_keys(&d);
	check_database(&d);
	check_rows(&d);
	check_audit(&d);
	check_secconf(&d);
	check_dirs(&d);
	check_leftovers(&d);
	check_unlinks(&d);
	check_objects(&d);
	check_strays(&d);
	free(d.stuck);
	if (problems)
		*problems = d.problems;
	lt_audit_record(st,
			&(struct lt_audit_event){.action = repair ? "doctor.repair" : "doctor",
						 .err = d.problems ? LETHE_ERR_INTEGRITY : LETHE_OK,
						 .error = d.problems ? "problems found" : NULL});
	return LETHE_OK;
}
