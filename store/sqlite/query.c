/* query.c - SQLite results as enum lethe_err, the handle's cache of prepared statements, the
 * bind and column helpers every table family uses, and atomic multi-statement calls. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

/* ---------------------------------------------------------------------------------------- */
/* Errors                                                                                   */

static enum lethe_err code_of(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return LETHE_ERR_INVALID;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return LETHE_ERR_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return LETHE_ERR_NOT_FOUND;
	case SQLITE_IOERR_NOMEM:
		return LETHE_ERR_NOMEM;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return LETHE_ERR_BUSY;
	case SQLITE_FULL:
		return LETHE_ERR_NOSPC;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		return LETHE_ERR_IO;
	case SQLITE_NOMEM:
		return LETHE_ERR_NOMEM;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return LETHE_ERR_PERMISSION;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_CONSTRAINT: /* triggers: an invariant lethe itself should have kept */
		return LETHE_ERR_INTERNAL;
	default: /* NOTADB, CORRUPT, SCHEMA, ERROR ("no such table"), ... */
		return LETHE_ERR_DATABASE;
	}
}

/* An I/O error SQLite met because the file system had no room left (writing the WAL, growing
 * the -shm wal-index, a checkpoint): say so, not "disk I/O error". */
static bool out_of_space(const struct lt_db *db, int rc)
{
	int e;

	if ((rc & 0xff) == SQLITE_FULL)
		return true;
	if ((rc & 0xff) != SQLITE_IOERR || !db->sql)
		return false;
	e = sqlite3_system_errno(db->sql);
	return e == ENOSPC || e == EDQUOT;
}

enum lethe_err lt_sq_fail(const struct lt_db *db, int rc, const char *what)
{
	enum lethe_err code = code_of(rc);
	/* The connection's message describes the last error it recorded; for a code it did not
	 * record (the fault simulation returns some without calling SQLite) that message would
	 * be another error's, or "not an error": name the code instead. */
	const char *msg = db->sql && sqlite3_extended_errcode(db->sql) == rc
			      ? sqlite3_errmsg(db->sql)
			      : sqlite3_errstr(rc);

	if (code == LETHE_ERR_BUSY)
		return lt_err(code, "%s: %s: %s (another process held it for more than %d ms)",
			      db->path, what, msg, db->busy_ms);
	if (out_of_space(db, rc))
		return lt_err(LETHE_ERR_NOSPC, "%s: %s: the disk is full (%s)", db->path, what,
			      msg);
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		return lt_err(code, "%s: %s: %s: not a lethe database, or corrupt", db->path, what,
			      msg);
	return lt_err(code, "%s: %s: %s", db->path, what, msg);
}

/* ---------------------------------------------------------------------------------------- */
/* Statements                                                                               */

enum lethe_err lt_sq_open(struct lt_sq_query *q, struct lt_db *db, const struct lt_sq *def)
{
	int rc;

	memset(q, 0, sizeof(*q));
	q->db = db;
	q->def = def;
	if (!db->stmts[def->slot]) {
		rc = sqlite3_prepare_v3(db->sql, def->sql, -1, SQLITE_PREPARE_PERSISTENT,
					&db->stmts[def->slot], NULL);
		if (rc != SQLITE_OK)
			return lt_sq_fail(db, rc, def->what);
		db->defs[def->slot] = def;
	}
	/* two statements numbered alike would run each other's SQL */
	assert(db->defs[def->slot] == def);
	/* Every use ends in lt_sq_close and no callback runs while a statement is active (pages
	 * are copied out first), so a cached statement is never in use when it is opened. */
	assert(!sqlite3_stmt_busy(db->stmts[def->slot]));
	q->st = db->stmts[def->slot];
	return LETHE_OK;
}

void lt_sq_close(struct lt_sq_query *q)
{
	if (q->st) {
		sqlite3_reset(q->st);
		sqlite3_clear_bindings(q->st);
		q->st = NULL;
	}
}

void lt_sq_int(struct lt_sq_query *q, int i, int64_t v)
{
	if (q->bind_rc == SQLITE_OK)
		q->bind_rc = sqlite3_bind_int64(q->st, i, v);
}

void lt_sq_text(struct lt_sq_query *q, int i, const char *s, size_t max)
{
	if (q->bind_rc == SQLITE_OK)
		q->bind_rc = sqlite3_bind_text(q->st, i, s ? s : "",
					       (int) (s ? strnlen(s, max) : 0), SQLITE_STATIC);
}

/* bind_blob binds NULL for a NULL pointer: an empty blob is bound as zeroblob(0) */
void lt_sq_blob(struct lt_sq_query *q, int i, const void *p, size_t len)
{
	if (q->bind_rc != SQLITE_OK)
		return;
	if (len > INT32_MAX)
		q->bind_rc = SQLITE_TOOBIG;
	else if (len == 0)
		q->bind_rc = sqlite3_bind_zeroblob(q->st, i, 0);
	else
		q->bind_rc = sqlite3_bind_blob(q->st, i, p, (int) len, SQLITE_STATIC);
}

enum lethe_err lt_sq_step(struct lt_sq_query *q, bool *row)
{
	int rc;

	*row = false;
	if (q->bind_rc != SQLITE_OK)
		return lt_sq_fail(q->db, q->bind_rc, q->def->what);
	rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW) {
		*row = true;
		return LETHE_OK;
	}
	if (rc == SQLITE_DONE)
		return LETHE_OK;
	return lt_sq_fail(q->db, rc, q->def->what);
}

enum lethe_err lt_sq_exec(struct lt_sq_query *q)
{
	bool row;

	return lt_sq_step(q, &row);
}

int64_t lt_sq_changes(const struct lt_sq_query *q)
{
#if SQLITE_VERSION_NUMBER >= 3037000
	return sqlite3_changes64(q->db->sql);
#else
	return sqlite3_changes(q->db->sql);
#endif
}

int64_t lt_sq_last_rowid(const struct lt_sq_query *q)
{
	return sqlite3_last_insert_rowid(q->db->sql);
}

enum lethe_err lt_sq_run(struct lt_db *db, const struct lt_sq *def)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, def);
	if (rc == LETHE_OK)
		rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

enum lethe_err lt_sq_run_text(struct lt_db *db, const struct lt_sq *def, const char *text,
			      size_t max)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, def);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, text, max);
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

void lt_sq_run_quiet(struct lt_db *db, const struct lt_sq *def)
{
	struct lt_err_saved saved;

	lt_err_save(&saved);
	(void) lt_sq_run(db, def);
	lt_err_restore(&saved, LETHE_OK);
}

/* ---------------------------------------------------------------------------------------- */
/* Columns                                                                                  */

static void q_corrupt(struct lt_sq_query *q, int col, const char *why)
{
	if (q->err == LETHE_OK)
		q->err =
		    lt_err(LETHE_ERR_DATABASE, "%s: %s: column %s %s: database modified or corrupt",
			   q->db->path, q->def->what, sqlite3_column_name(q->st, col), why);
}

static void q_nomem(struct lt_sq_query *q)
{
	if (q->err == LETHE_OK)
		q->err = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", q->db->path);
}

/*
 * The readers below take a column only in the storage class lethe writes it in. A MAC covers
 * the bytes lethe reads, and SQLite hands out the bytes of a BLOB as text or a number just the
 * same: a value cast to a BLOB (`UPDATE ... SET grp = CAST(grp AS BLOB)`) keeps its MAC, yet no
 * longer equals the text a lookup searches for. Such a row is refused where it is read.
 */
int64_t lt_sq_get_int(struct lt_sq_query *q, int col)
{
	int type = sqlite3_column_type(q->st, col);

	if (type != SQLITE_INTEGER && type != SQLITE_NULL) {
		q_corrupt(q, col, "is not an integer");
		return 0;
	}
	return sqlite3_column_int64(q->st, col);
}

bool lt_sq_get_null(struct lt_sq_query *q, int col)
{
	return sqlite3_column_type(q->st, col) == SQLITE_NULL;
}

int64_t lt_sq_get_range(struct lt_sq_query *q, int col, int64_t lo, int64_t hi)
{
	int type = sqlite3_column_type(q->st, col);
	int64_t v = sqlite3_column_int64(q->st, col);

	if (type != SQLITE_INTEGER || v < lo || v > hi) {
		q_corrupt(q, col, "is out of range");
		return lo;
	}
	return v;
}

void lt_sq_get_text(struct lt_sq_query *q, int col, char *buf, size_t cap)
{
	/* the type first: sqlite3_column_type() is undefined after a conversion */
	int type = sqlite3_column_type(q->st, col);
	const unsigned char *s;
	size_t n;

	buf[0] = '\0';
	if (type == SQLITE_NULL) {
		q_corrupt(q, col, "is NULL");
		return;
	}
	if (type != SQLITE_TEXT) {
		q_corrupt(q, col, "is not text");
		return;
	}
	s = sqlite3_column_text(q->st, col);
	n = (size_t) sqlite3_column_bytes(q->st, col);
	if (!s) {
		q_nomem(q);
		return;
	}
	if (n >= cap) {
		q_corrupt(q, col, "is too long");
		return;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

void lt_sq_get_blob(struct lt_sq_query *q, int col, uint8_t *buf, size_t len, bool *present)
{
	int type = sqlite3_column_type(q->st, col);
	const void *p;
	size_t n;

	memset(buf, 0, len);
	if (present)
		*present = false;
	if (type == SQLITE_NULL) {
		if (!present)
			q_corrupt(q, col, "is NULL");
		return;
	}
	if (type != SQLITE_BLOB) {
		q_corrupt(q, col, "is not a BLOB");
		return;
	}
	p = sqlite3_column_blob(q->st, col);
	n = (size_t) sqlite3_column_bytes(q->st, col);
	if (!p || n != len) {
		q_corrupt(q, col, "has the wrong length");
		return;
	}
	memcpy(buf, p, len);
	if (present)
		*present = true;
}

uint8_t *lt_sq_dup_blob(struct lt_sq_query *q, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(q->st, col);
	size_t n = (size_t) sqlite3_column_bytes(q->st, col);
	uint8_t *copy = malloc(n ? n : 1);

	*len = 0;
	if (!copy) {
		q_nomem(q);
		return NULL;
	}
	if (n)
		memcpy(copy, p, n);
	*len = n;
	return copy;
}

const void *lt_sq_peek_blob(struct lt_sq_query *q, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(q->st, col);

	*len = (size_t) sqlite3_column_bytes(q->st, col);
	return p;
}

enum lethe_err lt_sq_query_int(struct lt_db *db, const struct lt_sq *def, const char *text,
			       int64_t arg, int64_t arg2, int64_t *out)
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	*out = 0;
	rc = lt_sq_open(&q, db, def);
	if (rc != LETHE_OK)
		return rc;
	if (text)
		lt_sq_text(&q, 1, text, 4096);
	else if (sqlite3_bind_parameter_count(q.st) >= 1)
		lt_sq_int(&q, 1, arg);
	if (sqlite3_bind_parameter_count(q.st) >= 2)
		lt_sq_int(&q, 2, arg2);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row)
		*out = lt_sq_get_int(&q, 0);
	lt_sq_close(&q);
	return rc;
}

enum lethe_err lt_sq_last_row(struct lt_db *db, const struct lt_sq *def, uint64_t *seq,
			      uint8_t out[32])
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	*seq = 0;
	memset(out, 0, 32);
	rc = lt_sq_open(&q, db, def);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		*seq = (uint64_t) lt_sq_get_range(&q, 0, 1, INT64_MAX);
		lt_sq_get_blob(&q, 1, out, 32, NULL);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Transactions                                                                             */

const struct lt_sq lt_sq_begin = {SQ_BEGIN, "begin", "BEGIN IMMEDIATE"};
const struct lt_sq lt_sq_commit = {SQ_COMMIT, "commit", "COMMIT"};
const struct lt_sq lt_sq_rollback = {SQ_ROLLBACK, "rollback", "ROLLBACK"};
static const struct lt_sq sq_savepoint = {SQ_SAVEPOINT, "savepoint", "SAVEPOINT lt_call"};
static const struct lt_sq sq_release = {SQ_RELEASE, "release", "RELEASE lt_call"};
static const struct lt_sq sq_rollback_to = {SQ_ROLLBACK_TO, "rollback to", "ROLLBACK TO lt_call"};

bool lt_sq_in_tx(const struct lt_db *db)
{
	return sqlite3_get_autocommit(db->sql) == 0;
}

enum lethe_err lt_sq_call_begin(struct lt_db *db, bool *own)
{
	enum lethe_err rc;

	*own = !lt_sq_in_tx(db);
	rc = lt_sq_run(db, *own ? &lt_sq_begin : &sq_savepoint);
	if (rc == LETHE_OK && *own)
		lt_sq_auth_reset(db);
	else if (rc == LETHE_OK)
		lt_sq_auth_savepoint(db);
	return rc;
}

enum lethe_err lt_sq_call_end(struct lt_db *db, bool own, enum lethe_err rc)
{
	/* the digests changed by the call go in with it */
	if (rc == LETHE_OK && own)
		rc = lt_sq_auth_flush(db);
	if (rc == LETHE_OK) {
		rc = lt_sq_run(db, own ? &lt_sq_commit : &sq_release);
		if (rc == LETHE_OK) {
			if (own)
				lt_sq_auth_reset(db);
			else
				lt_sq_auth_release(db, false);
			return LETHE_OK;
		}
	}
	/* A full disk, an I/O error or a busy wait may have rolled everything back already. */
	if (lt_sq_in_tx(db)) {
		if (own) {
			lt_sq_run_quiet(db, &lt_sq_rollback);
		} else {
			lt_sq_run_quiet(db, &sq_rollback_to);
			lt_sq_run_quiet(db, &sq_release);
		}
	}
	if (own || !lt_sq_in_tx(db))
		lt_sq_auth_reset(db);
	else
		lt_sq_auth_release(db, true);
	return rc;
}

enum lethe_err lt_sq_call1_begin(struct lt_db *db, enum lt_row_table table, bool *own)
{
	if (!lt_sq_in_tx(db))
		return lt_sq_call_begin(db, own);
	*own = false;
	return lt_sq_digest_load(db, table);
}

enum lethe_err lt_sq_call1_end(struct lt_db *db, bool own, enum lethe_err rc)
{
	return own ? lt_sq_call_end(db, true, rc) : rc;
}
