/* db.c - the metadata database: SQLite in WAL mode with secure_delete, a versioned schema, and
 * prepared statements cached on the handle. The only file of lethe that includes sqlite3.h.
 *
 * Order: schema and migrations; statement table; statement helpers and error mapping; open
 * and close; transactions; then one section per table, in the order of db.h.
 */
#include "store/db.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "store/objfile.h"

/* "LETH": tells a lethe database from any other SQLite file before anything is written. */
#define LT_DB_APPLICATION_ID 0x4c455448
#define LT_DB_BUSY_MS 30000
/* Rows read per statement by the iterating calls: bounds memory, and no statement stays
 * active while callbacks run. */
#define LT_DB_PAGE 128

#define STR_(x) #x
#define STR(x) STR_(x)
#define WRAPPED_LEN_SQL STR(LT_DB_WRAPPED_LEN)

/* ---------------------------------------------------------------------------------------- */
/* Schema                                                                                   */

/*
 * Version 1. Triggers guard invariants against mistakes in lethe and in SQL clients; an
 * adversary who can write the file can drop them, which is why audit records carry a MAC chain
 * and certificates a signature.
 */
static const char schema_v1[] =
	"PRAGMA application_id = " STR(LT_DB_APPLICATION_ID) ";"
	"CREATE TABLE meta ("
	"  key   TEXT PRIMARY KEY NOT NULL,"
	"  value BLOB NOT NULL);"
	"CREATE TABLE keks ("
	"  version      INTEGER PRIMARY KEY CHECK (version >= 1),"
	"  is_primary   INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),"
	"  state        INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1)),"
	"  created_at   INTEGER NOT NULL,"
	"  retired_at   INTEGER NOT NULL DEFAULT 0,"
	"  live_objects INTEGER NOT NULL DEFAULT 0 CHECK (live_objects >= 0),"
	"  CHECK (state = 0 OR is_primary = 0));"
	"CREATE UNIQUE INDEX keks_one_primary ON keks (is_primary) WHERE is_primary = 1;"
	"CREATE TABLE objects ("
	"  id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),"
	"  grp          TEXT NOT NULL CHECK (length(grp) BETWEEN 1 AND 63"
	"                                    AND grp NOT GLOB '*[^A-Za-z0-9._-]*'),"
	"  name         TEXT NOT NULL,"
	"  size         INTEGER NOT NULL CHECK (size >= 0),"
	"  sha256       BLOB NOT NULL CHECK (length(sha256) = 32),"
	"  created_at   INTEGER NOT NULL,"
	"  retain_until INTEGER NOT NULL,"
	"  hold         INTEGER NOT NULL DEFAULT 0 CHECK (hold IN (0, 1)),"
	"  hold_reason  TEXT NOT NULL DEFAULT '',"
	"  kek_version  INTEGER REFERENCES keks (version),"
	"  wrapped_dek  BLOB CHECK (wrapped_dek IS NULL OR"
	"                           length(wrapped_dek) = " WRAPPED_LEN_SQL "),"
	"  state        INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1)),"
	"  shredded_at  INTEGER NOT NULL DEFAULT 0,"
	"  seg_log2     INTEGER NOT NULL,"
	/* compliance mode as it was when the object was written: like retain_until, a later
	 * config (or --config) cannot unlock it */
	"  locked       INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),"
	/* the shred is the NULL: a shredded row can never keep its key */
	"  CHECK ((state = 0 AND kek_version IS NOT NULL AND wrapped_dek IS NOT NULL) OR"
	"         (state = 1 AND kek_version IS NULL AND wrapped_dek IS NULL)));"
	"CREATE INDEX objects_expiry ON objects (retain_until, id) WHERE state = 0;"
	/* (kek_version, rowid): rewrap walks storage order, touching each page once */
	"CREATE INDEX objects_kek ON objects (kek_version) WHERE state = 0;"
	"CREATE INDEX objects_created ON objects (created_at, id);"
	"CREATE INDEX objects_group ON objects (grp, created_at, id);"
	/* a DEK is only ever wrapped under an active KEK: retiring one closes its horizon */
	"CREATE TRIGGER objects_kek_active_insert BEFORE INSERT ON objects"
	"  WHEN NEW.kek_version IS NOT NULL AND"
	"       (SELECT state FROM keks WHERE version = NEW.kek_version) IS NOT 0"
	"  BEGIN SELECT RAISE(ABORT, 'objects: data key wrapped under a retired or unknown KEK');"
	"  END;"
	"CREATE TRIGGER objects_kek_active_update BEFORE UPDATE OF kek_version ON objects"
	"  WHEN NEW.kek_version IS NOT NULL AND"
	"       (SELECT state FROM keks WHERE version = NEW.kek_version) IS NOT 0"
	"  BEGIN SELECT RAISE(ABORT, 'objects: data key wrapped under a retired or unknown KEK');"
	"  END;"
	/* keks.live_objects follows every change, in the same transaction */
	"CREATE TRIGGER objects_count_insert AFTER INSERT ON objects WHEN NEW.state = 0"
	"  BEGIN UPDATE keks SET live_objects = live_objects + 1"
	"        WHERE version = NEW.kek_version; END;"
	"CREATE TRIGGER objects_count_update AFTER UPDATE OF state, kek_version ON objects"
	"  WHEN OLD.state IS NOT NEW.state OR OLD.kek_version IS NOT NEW.kek_version"
	"  BEGIN UPDATE keks SET live_objects = live_objects - 1"
	"        WHERE OLD.state = 0 AND version = OLD.kek_version;"
	"        UPDATE keks SET live_objects = live_objects + 1"
	"        WHERE NEW.state = 0 AND version = NEW.kek_version; END;"
	"CREATE TRIGGER objects_count_delete AFTER DELETE ON objects WHEN OLD.state = 0"
	"  BEGIN UPDATE keks SET live_objects = live_objects - 1"
	"        WHERE version = OLD.kek_version; END;"
	"CREATE TABLE group_holds ("
	"  grp    TEXT PRIMARY KEY NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  set_at INTEGER NOT NULL);"
	"CREATE TABLE pending_unlinks ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36));"
	"CREATE TABLE certificates ("
	"  seq         INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  id          TEXT NOT NULL UNIQUE,"
	"  object_id   TEXT NOT NULL UNIQUE,"
	"  grp         TEXT NOT NULL,"
	"  reason      TEXT NOT NULL,"
	"  shredded_at INTEGER NOT NULL,"
	"  json        BLOB NOT NULL,"
	"  sig         BLOB NOT NULL CHECK (length(sig) = 64),"
	"  sha256      BLOB NOT NULL CHECK (length(sha256) = 32));"
	"CREATE TRIGGER certificates_chain BEFORE INSERT ON certificates"
	"  WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM certificates)"
	"  BEGIN SELECT RAISE(ABORT, 'certificates: seq must follow the last certificate'); END;"
	/* a certificate attests a shred that happened (in the same transaction) */
	"CREATE TRIGGER certificates_shredded BEFORE INSERT ON certificates"
	"  WHEN (SELECT state FROM objects WHERE id = NEW.object_id) IS NOT 1"
	"  BEGIN SELECT RAISE(ABORT, 'certificates: the object is not shredded'); END;"
	"CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates"
	"  BEGIN SELECT RAISE(ABORT, 'disposal certificates are append-only'); END;"
	"CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates"
	"  BEGIN SELECT RAISE(ABORT, 'disposal certificates are append-only'); END;"
	"CREATE TABLE audit ("
	"  seq     INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  time_us INTEGER NOT NULL,"
	"  uid     INTEGER NOT NULL,"
	"  user    TEXT NOT NULL,"
	"  keyslot TEXT NOT NULL,"
	"  pid     INTEGER NOT NULL,"
	"  host    TEXT NOT NULL,"
	"  action  TEXT NOT NULL,"
	"  object  TEXT NOT NULL,"
	"  grp     TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  error   TEXT NOT NULL,"
	"  mac     BLOB NOT NULL CHECK (length(mac) = 32));"
	"CREATE TRIGGER audit_chain BEFORE INSERT ON audit"
	"  WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit)"
	"  BEGIN SELECT RAISE(ABORT, 'audit: seq must follow the last record'); END;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TABLE audit_pending ("
	"  id      INTEGER PRIMARY KEY,"
	"  time_us INTEGER NOT NULL,"
	"  uid     INTEGER NOT NULL,"
	"  user    TEXT NOT NULL,"
	"  keyslot TEXT NOT NULL,"
	"  pid     INTEGER NOT NULL,"
	"  host    TEXT NOT NULL,"
	"  action  TEXT NOT NULL,"
	"  object  TEXT NOT NULL,"
	"  grp     TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  error   TEXT NOT NULL);"
	"CREATE TABLE checkpoints ("
	"  seq       INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  audit_seq INTEGER NOT NULL,"
	"  audit_mac BLOB NOT NULL CHECK (length(audit_mac) = 32),"
	"  time      INTEGER NOT NULL,"
	"  json      BLOB NOT NULL,"
	"  sig       BLOB NOT NULL CHECK (length(sig) = 64));"
	"CREATE TRIGGER checkpoints_chain BEFORE INSERT ON checkpoints"
	"  WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM checkpoints)"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints: seq must follow the last checkpoint'); END;"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;"
	"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;";

/*
 * Migrations, applied in order in one transaction. migrations[i] takes schema i to i + 1; a
 * schema change is one more entry here and LT_DB_SCHEMA_VERSION + 1.
 */
static const char *const migrations[] = {
	schema_v1,
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == LT_DB_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---------------------------------------------------------------------------------------- */
/* Statements                                                                               */

#define OBJ_COLS                                                                            \
	"id, grp, name, size, sha256, created_at, retain_until, hold, hold_reason, kek_version, " \
	"wrapped_dek, state, shredded_at, seg_log2, locked"
#define KEK_COLS "version, is_primary, state, created_at, retired_at, live_objects"
#define AUDIT_COLS "time_us, uid, user, keyslot, pid, host, action, object, grp, outcome, error"
#define CERT_COLS "seq, id, object_id, grp, reason, shredded_at, json, sig, sha256"

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_META_SET,
	ST_META_GET,
	ST_KEK_MAX,
	ST_KEK_UNSET_PRIMARY,
	ST_KEK_INSERT,
	ST_KEK_GET,
	ST_KEK_PRIMARY,
	ST_KEK_PAGE,
	ST_KEK_COUNT,
	ST_KEK_RETIRE,
	ST_OBJ_INSERT,
	ST_OBJ_GET,
	ST_OBJ_STATE,
	ST_OBJ_LIST_ALL,
	ST_OBJ_LIST_GROUP,
	ST_OBJ_EXPIRED,
	ST_OBJ_KEK_PAGE,
	ST_OBJ_KEK_NEXT,
	ST_OBJ_BY_ID,
	ST_OBJ_TOTALS_AFTER,
	ST_OBJ_SHRED,
	ST_UNLINK_ADD,
	ST_OBJ_HOLD_SET,
	ST_OBJ_HOLD_CLEAR,
	ST_OBJ_SET_UNTIL,
	ST_GROUP_UNTIL,
	ST_GROUP_OVERFLOW,
	ST_GROUP_BY,
	ST_OBJ_SET_DEK,
	ST_OBJ_COUNT_LIVE,
	ST_OBJ_COUNT_SHREDDED,
	ST_UNLINK_PAGE,
	ST_UNLINK_DONE,
	ST_GHOLD_SET,
	ST_GHOLD_CLEAR,
	ST_GHOLD_GET,
	ST_CERT_INSERT,
	ST_CERT_LAST,
	ST_CERT_PAGE,
	ST_CERT_COUNT,
	ST_AUDIT_LAST,
	ST_AUDIT_INSERT,
	ST_AUDIT_PAGE,
	ST_PENDING_ADD,
	ST_PENDING_PAGE,
	ST_PENDING_DELETE,
	ST_CP_INSERT,
	ST_CP_PAGE,
	ST_COUNT
};

/*
 * What each statement is called in error details, and its SQL. "state = 0" is written out,
 * never bound: only a literal lets the planner use the partial indexes.
 */
static const struct {
	const char *what;
	const char *sql;
} stmt_def[ST_COUNT] = {
	[ST_BEGIN] = { "begin", "BEGIN IMMEDIATE" },
	[ST_COMMIT] = { "commit", "COMMIT" },
	[ST_ROLLBACK] = { "rollback", "ROLLBACK" },
	[ST_SAVEPOINT] = { "savepoint", "SAVEPOINT lt_call" },
	[ST_RELEASE] = { "release", "RELEASE lt_call" },
	[ST_ROLLBACK_TO] = { "rollback to", "ROLLBACK TO lt_call" },
	[ST_META_SET] = { "meta set", "INSERT INTO meta (key, value) VALUES (?1, ?2) "
				      "ON CONFLICT (key) DO UPDATE SET value = excluded.value" },
	[ST_META_GET] = { "meta get", "SELECT value FROM meta WHERE key = ?1" },
	[ST_KEK_MAX] = { "kek max", "SELECT coalesce(max(version), 0) FROM keks" },
	[ST_KEK_UNSET_PRIMARY] = { "kek insert",
				   "UPDATE keks SET is_primary = 0 WHERE is_primary = 1" },
	[ST_KEK_INSERT] = { "kek insert",
			    "INSERT INTO keks (version, is_primary, state, created_at, "
			    "retired_at) VALUES (?1, ?3, 0, ?4, 0)" },
	[ST_KEK_GET] = { "kek get", "SELECT " KEK_COLS " FROM keks WHERE version = ?1" },
	[ST_KEK_PRIMARY] = { "kek primary",
			     "SELECT " KEK_COLS " FROM keks WHERE is_primary = 1" },
	[ST_KEK_PAGE] = { "kek list", "SELECT " KEK_COLS " FROM keks WHERE version > ?1 "
				      "ORDER BY version LIMIT ?2" },
	[ST_KEK_COUNT] = { "kek count",
			   "SELECT count(*) FROM objects WHERE state = 0 AND kek_version = ?1" },
	[ST_KEK_RETIRE] = { "kek retire",
			    "UPDATE keks SET state = 1, retired_at = ?2 "
			    "WHERE version = ?1 AND state = 0 AND is_primary = 0 AND NOT EXISTS "
			    "(SELECT 1 FROM objects WHERE state = 0 AND kek_version = ?1)" },
	[ST_OBJ_INSERT] = { "object insert",
			    "INSERT INTO objects (" OBJ_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			    "?7, ?8, ?9, ?10, ?11, 0, 0, ?12, ?13)" },
	[ST_OBJ_GET] = { "object get", "SELECT " OBJ_COLS " FROM objects WHERE id = ?1" },
	[ST_OBJ_STATE] = { "object state",
			   "SELECT o.state, o.hold, EXISTS (SELECT 1 FROM group_holds g "
			   "WHERE g.grp = o.grp) FROM objects o WHERE o.id = ?1" },
	/* The iterating queries share their numbering: ?1, ?2 the keyset position, ?3 the
	 * page size, ?4 the bound, ?5 include shredded, ?6 the group. */
	[ST_OBJ_LIST_ALL] = { "object list",
			      "SELECT " OBJ_COLS " FROM objects WHERE (created_at, id) > (?1, ?2) "
			      "AND (?4 = 0 OR (state = 0 AND retain_until <= ?4)) "
			      "AND (?5 OR state = 0) ORDER BY created_at, id LIMIT ?3" },
	[ST_OBJ_LIST_GROUP] = { "object list",
				"SELECT " OBJ_COLS " FROM objects WHERE grp = ?6 "
				"AND (created_at, id) > (?1, ?2) "
				"AND (?4 = 0 OR (state = 0 AND retain_until <= ?4)) "
				"AND (?5 OR state = 0) ORDER BY created_at, id LIMIT ?3" },
	/* the sweep's candidates by the partial index; retention/ decides on each row */
	[ST_OBJ_EXPIRED] = { "expired scan",
			     "SELECT " OBJ_COLS " FROM objects WHERE state = 0 "
			     "AND retain_until <= ?4 AND (retain_until, id) > (?1, ?2) "
			     "ORDER BY retain_until, id LIMIT ?3" },
	/* ?1 is a rowid here: "rowid > ?" is a true index seek, a row value with rowid is not */
	[ST_OBJ_KEK_PAGE] = { "rewrap scan",
			      "SELECT " OBJ_COLS ", rowid FROM objects WHERE state = 0 "
			      "AND kek_version = ?4 AND rowid > ?1 ORDER BY rowid LIMIT ?3" },
	[ST_OBJ_KEK_NEXT] = { "rewrap scan",
			      "SELECT min(kek_version) FROM objects WHERE state = 0 "
			      "AND kek_version > ?1 AND kek_version < ?2" },
	/* a scrub's order: its position is one id (?1 and ?4 unused) */
	[ST_OBJ_BY_ID] = { "scrub scan",
			   "SELECT " OBJ_COLS " FROM objects WHERE state = 0 AND id > ?2 "
			   "ORDER BY id LIMIT ?3" },
	[ST_OBJ_TOTALS_AFTER] = { "scrub totals",
				  "SELECT count(*), coalesce(sum(size), 0) FROM objects "
				  "WHERE state = 0 AND id > ?1" },
	[ST_OBJ_SHRED] = { "object shred",
			   "UPDATE objects SET wrapped_dek = NULL, kek_version = NULL, state = 1, "
			   "shredded_at = ?2 WHERE id = ?1 AND state = 0 AND hold = 0 AND NOT EXISTS "
			   "(SELECT 1 FROM group_holds g WHERE g.grp = objects.grp)" },
	[ST_UNLINK_ADD] = { "object shred", "INSERT INTO pending_unlinks (id) VALUES (?1) "
					    "ON CONFLICT DO NOTHING" },
	[ST_OBJ_HOLD_SET] = { "object hold", "UPDATE objects SET hold = 1, hold_reason = ?2 "
					     "WHERE id = ?1 AND state = 0" },
	[ST_OBJ_HOLD_CLEAR] = { "object hold", "UPDATE objects SET hold = 0, hold_reason = '' "
					       "WHERE id = ?1" },
	[ST_OBJ_SET_UNTIL] = { "retention extend",
			       "UPDATE objects SET retain_until = ?2 WHERE id = ?1 AND state = 0 "
			       "AND retain_until <= ?2" },
	[ST_GROUP_UNTIL] = { "group extend",
			     "UPDATE objects SET retain_until = ?2 WHERE grp = ?1 AND state = 0 "
			     "AND retain_until < ?2" },
	[ST_GROUP_OVERFLOW] = { "group extend",
				"SELECT EXISTS (SELECT 1 FROM objects WHERE grp = ?1 AND state = 0 "
				"AND retain_until > ?2)" },
	[ST_GROUP_BY] = { "group extend", "UPDATE objects SET retain_until = retain_until + ?2 "
					  "WHERE grp = ?1 AND state = 0" },
	[ST_OBJ_SET_DEK] = { "object set dek",
			     "UPDATE objects SET kek_version = ?2, wrapped_dek = ?3 "
			     "WHERE id = ?1 AND state = 0" },
	[ST_OBJ_COUNT_LIVE] = { "object count", "SELECT count(*) FROM objects WHERE state = 0" },
	[ST_OBJ_COUNT_SHREDDED] = { "object count",
				    "SELECT count(*) FROM objects WHERE state = 1" },
	[ST_UNLINK_PAGE] = { "pending unlinks", "SELECT id FROM pending_unlinks WHERE id > ?1 "
						"ORDER BY id LIMIT ?2" },
	[ST_UNLINK_DONE] = { "unlink done", "DELETE FROM pending_unlinks WHERE id = ?1" },
	[ST_GHOLD_SET] = { "group hold", "INSERT INTO group_holds (grp, reason, set_at) "
					 "VALUES (?1, ?2, ?3) ON CONFLICT (grp) DO UPDATE "
					 "SET reason = excluded.reason, set_at = excluded.set_at" },
	[ST_GHOLD_CLEAR] = { "group hold", "DELETE FROM group_holds WHERE grp = ?1" },
	[ST_GHOLD_GET] = { "group hold", "SELECT reason FROM group_holds WHERE grp = ?1" },
	[ST_CERT_INSERT] = { "certificate insert",
			     "INSERT INTO certificates (" CERT_COLS ") "
			     "SELECT coalesce(max(seq), 0) + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 "
			     "FROM certificates" },
	[ST_CERT_LAST] = { "certificate last",
			   "SELECT seq, sha256 FROM certificates ORDER BY seq DESC LIMIT 1" },
	[ST_CERT_PAGE] = { "certificate list", "SELECT " CERT_COLS " FROM certificates "
					       "WHERE seq > ?1 ORDER BY seq LIMIT ?2" },
	[ST_CERT_COUNT] = { "certificate count",
			    "SELECT count(*) FROM certificates WHERE object_id = ?1" },
	[ST_AUDIT_LAST] = { "audit last",
			    "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1" },
	/* audit and audit_pending bind the shared fields as ?2..?12 */
	[ST_AUDIT_INSERT] = { "audit insert",
			      "INSERT INTO audit (seq, " AUDIT_COLS ", mac) VALUES (?1, ?2, ?3, "
			      "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)" },
	[ST_AUDIT_PAGE] = { "audit list", "SELECT seq, " AUDIT_COLS ", mac FROM audit "
					  "WHERE seq >= ?1 AND time_us >= ?2 "
					  "ORDER BY seq LIMIT ?3" },
	[ST_PENDING_ADD] = { "audit pending add",
			     "INSERT INTO audit_pending (" AUDIT_COLS ") VALUES (?2, ?3, ?4, ?5, "
			     "?6, ?7, ?8, ?9, ?10, ?11, ?12)" },
	[ST_PENDING_PAGE] = { "audit pending take",
			      "SELECT id, " AUDIT_COLS " FROM audit_pending WHERE id > ?1 "
			      "ORDER BY id LIMIT ?2" },
	[ST_PENDING_DELETE] = { "audit pending take",
				"DELETE FROM audit_pending WHERE id = ?1" },
	[ST_CP_INSERT] = { "checkpoint insert",
			   "INSERT INTO checkpoints (seq, audit_seq, audit_mac, time, json, sig) "
			   "SELECT coalesce(max(seq), 0) + 1, ?1, ?2, ?3, ?4, ?5 FROM checkpoints" },
	[ST_CP_PAGE] = { "checkpoint list",
			 "SELECT seq, audit_seq, audit_mac, time, json, sig FROM checkpoints "
			 "WHERE seq > ?1 ORDER BY seq LIMIT ?2" },
};

struct lt_db {
	sqlite3 *sql;
	char *path;
	int busy_ms;
	sqlite3_stmt *stmts[ST_COUNT]; /* prepared on first use, finalized by lt_db_close */
};

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

/* Record why SQLite failed, once, naming the file and the operation. */
static enum lethe_err db_fail(const struct lt_db *db, int rc, const char *what)
{
	enum lethe_err code = code_of(rc);
	const char *msg = db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc);

	if (code == LETHE_ERR_BUSY)
		return lt_err(code, "%s: %s: %s (another process held it for more than %d ms)",
			      db->path, what, msg, db->busy_ms);
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		return lt_err(code, "%s: %s: %s: not a lethe database, or corrupt", db->path,
			      what, msg);
	return lt_err(code, "%s: %s: %s", db->path, what, msg);
}

/* ---------------------------------------------------------------------------------------- */
/* Statement helpers                                                                        */

/*
 * One use of a cached statement: bind, step, read, close. Bind and read errors are kept in the
 * struct and reported by q_step / the caller, so call sites stay a list of binds and reads.
 */
struct q {
	struct lt_db *db;
	enum stmt id;
	sqlite3_stmt *st;
	int bind_rc;        /* first failed bind */
	enum lethe_err err; /* first malformed column */
};

static enum lethe_err q_open(struct q *q, struct lt_db *db, enum stmt id)
{
	int rc;

	memset(q, 0, sizeof(*q));
	q->db = db;
	q->id = id;
	if (!db->stmts[id]) {
		rc = sqlite3_prepare_v3(db->sql, stmt_def[id].sql, -1, SQLITE_PREPARE_PERSISTENT,
					&db->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return db_fail(db, rc, stmt_def[id].what);
	}
	/* Every use ends in q_close and no callback runs while a statement is active (pages
	 * are copied out first), so a cached statement is never in use when it is opened. */
	assert(!sqlite3_stmt_busy(db->stmts[id]));
	q->st = db->stmts[id];
	return LETHE_OK;
}

/* Reset and unbind: no read transaction stays open and no caller buffer stays bound. */
static void q_close(struct q *q)
{
	if (q->st) {
		sqlite3_reset(q->st);
		sqlite3_clear_bindings(q->st);
		q->st = NULL;
	}
}

static void q_int(struct q *q, int i, int64_t v)
{
	if (q->bind_rc == SQLITE_OK)
		q->bind_rc = sqlite3_bind_int64(q->st, i, v);
}

/* Bind at most @p max bytes of @p s (NULL binds ""): fixed arrays need not be terminated. */
static void q_text(struct q *q, int i, const char *s, size_t max)
{
	if (q->bind_rc == SQLITE_OK)
		q->bind_rc = sqlite3_bind_text(q->st, i, s ? s : "", (int)(s ? strnlen(s, max) : 0),
					       SQLITE_STATIC);
}

/* A zero-length blob, not NULL, when @p len is 0 (bind_blob binds NULL for a NULL pointer). */
static void q_blob(struct q *q, int i, const void *p, size_t len)
{
	if (q->bind_rc != SQLITE_OK)
		return;
	if (len > INT32_MAX)
		q->bind_rc = SQLITE_TOOBIG;
	else if (len == 0)
		q->bind_rc = sqlite3_bind_zeroblob(q->st, i, 0);
	else
		q->bind_rc = sqlite3_bind_blob(q->st, i, p, (int)len, SQLITE_STATIC);
}

/* Step once: *row says whether a row came back. */
static enum lethe_err q_step(struct q *q, bool *row)
{
	int rc;

	*row = false;
	if (q->bind_rc != SQLITE_OK)
		return db_fail(q->db, q->bind_rc, stmt_def[q->id].what);
	rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW) {
		*row = true;
		return LETHE_OK;
	}
	if (rc == SQLITE_DONE)
		return LETHE_OK;
	return db_fail(q->db, rc, stmt_def[q->id].what);
}

/* Step a statement that returns no rows. */
static enum lethe_err q_exec(struct q *q)
{
	bool row;

	return q_step(q, &row);
}

static int64_t q_changes(const struct q *q)
{
#if SQLITE_VERSION_NUMBER >= 3037000
	return sqlite3_changes64(q->db->sql);
#else
	return sqlite3_changes(q->db->sql);
#endif
}

/* Open, step and close a statement without parameters. */
static enum lethe_err run(struct lt_db *db, enum stmt id)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, id);
	if (rc == LETHE_OK)
		rc = q_exec(&q);
	q_close(&q);
	return rc;
}

/* As run(), on a path that is already failing: keep the first failure's detail. */
static void run_quiet(struct lt_db *db, enum stmt id)
{
	char saved[1024];

	snprintf(saved, sizeof(saved), "%s", lt_err_detail());
	(void)run(db, id);
	lt_err(LETHE_OK, "%s", saved);
}

static void q_corrupt(struct q *q, int col, const char *why)
{
	if (q->err == LETHE_OK)
		q->err = lt_err(LETHE_ERR_DATABASE, "%s: %s: column %s %s: database modified or "
				"corrupt", q->db->path, stmt_def[q->id].what,
				sqlite3_column_name(q->st, col), why);
}

static int64_t q_get_int(struct q *q, int col)
{
	return sqlite3_column_int64(q->st, col);
}

/* An integer column that must lie in [lo, hi]. */
static int64_t q_get_range(struct q *q, int col, int64_t lo, int64_t hi)
{
	int64_t v = sqlite3_column_int64(q->st, col);

	if (sqlite3_column_type(q->st, col) != SQLITE_INTEGER || v < lo || v > hi) {
		q_corrupt(q, col, "is out of range");
		return lo;
	}
	return v;
}

/* A NOT NULL text column into @p buf; longer than @p cap - 1 bytes is corruption. */
static void q_get_text(struct q *q, int col, char *buf, size_t cap)
{
	const unsigned char *s = sqlite3_column_text(q->st, col);
	size_t n = (size_t)sqlite3_column_bytes(q->st, col);

	buf[0] = '\0';
	if (!s) {
		if (sqlite3_column_type(q->st, col) == SQLITE_NULL)
			q_corrupt(q, col, "is NULL");
		else if (q->err == LETHE_OK)
			q->err = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", q->db->path);
		return;
	}
	if (n >= cap) {
		q_corrupt(q, col, "is too long");
		return;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* A blob of exactly @p len bytes; NULL is allowed only when @p present is given. */
static void q_get_blob(struct q *q, int col, uint8_t *buf, size_t len, bool *present)
{
	const void *p = sqlite3_column_blob(q->st, col);
	size_t n = (size_t)sqlite3_column_bytes(q->st, col);

	memset(buf, 0, len);
	if (present)
		*present = false;
	if (sqlite3_column_type(q->st, col) == SQLITE_NULL) {
		if (!present)
			q_corrupt(q, col, "is NULL");
		return;
	}
	if (!p || n != len) {
		q_corrupt(q, col, "has the wrong length");
		return;
	}
	memcpy(buf, p, len);
	if (present)
		*present = true;
}

/* A blob of any length, copied to a malloc'd buffer (the caller frees it). */
static uint8_t *q_dup_blob(struct q *q, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(q->st, col);
	size_t n = (size_t)sqlite3_column_bytes(q->st, col);
	uint8_t *copy = malloc(n ? n : 1);

	*len = 0;
	if (!copy) {
		if (q->err == LETHE_OK)
			q->err = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", q->db->path);
		return NULL;
	}
	if (n)
		memcpy(copy, p, n);
	*len = n;
	return copy;
}

/* Run a query returning one integer (count, max, EXISTS). */
static enum lethe_err query_int(struct lt_db *db, enum stmt id, const char *text, int64_t arg,
				int64_t arg2, int64_t *out)
{
	struct q q;
	bool row = false;
	enum lethe_err rc;

	*out = 0;
	rc = q_open(&q, db, id);
	if (rc != LETHE_OK)
		return rc;
	if (text)
		q_text(&q, 1, text, LT_PATH_MAX);
	else if (sqlite3_bind_parameter_count(q.st) >= 1)
		q_int(&q, 1, arg);
	if (sqlite3_bind_parameter_count(q.st) >= 2)
		q_int(&q, 2, arg2);
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && row)
		*out = q_get_int(&q, 0);
	q_close(&q);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Atomic multi-statement calls                                                             */

/*
 * A call that runs several statements must not leave half its work behind: it takes its own
 * BEGIN IMMEDIATE when the caller holds no transaction (so the write lock is taken up front,
 * with the busy timeout, instead of failing on a stale read snapshot), or a savepoint inside
 * the caller's transaction.
 */
static enum lethe_err call_begin(struct lt_db *db, bool *own)
{
	*own = sqlite3_get_autocommit(db->sql) != 0;
	return run(db, *own ? ST_BEGIN : ST_SAVEPOINT);
}

static enum lethe_err call_end(struct lt_db *db, bool own, enum lethe_err rc)
{
	if (rc == LETHE_OK) {
		rc = run(db, own ? ST_COMMIT : ST_RELEASE);
		if (rc == LETHE_OK)
			return LETHE_OK;
	}
	/* A full disk, an I/O error or a busy wait may have rolled everything back already. */
	if (!sqlite3_get_autocommit(db->sql)) {
		if (own) {
			run_quiet(db, ST_ROLLBACK);
		} else {
			run_quiet(db, ST_ROLLBACK_TO);
			run_quiet(db, ST_RELEASE);
		}
	}
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Open and close                                                                           */

/* A single-row PRAGMA (or none: *value stays 0). */
static enum lethe_err pragma_int(struct lt_db *db, const char *sql, int64_t *value)
{
	sqlite3_stmt *st = NULL;
	enum lethe_err rc = LETHE_OK;
	int src;

	*value = 0;
	src = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (src == SQLITE_OK) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			*value = sqlite3_column_int64(st, 0);
			src = SQLITE_OK;
		} else if (src == SQLITE_DONE) {
			src = SQLITE_OK;
		}
	}
	if (src != SQLITE_OK)
		rc = db_fail(db, src, sql);
	sqlite3_finalize(st);
	return rc;
}

/* Refuse a WAL or shared-memory file that others can read: the WAL holds the same rows. */
static enum lethe_err check_sidecar(const char *path, const char *suffix)
{
	char side[LT_PATH_MAX];
	struct stat st;

	if (snprintf(side, sizeof(side), "%s%s", path, suffix) >= (int)sizeof(side))
		return lt_err(LETHE_ERR_INVALID, "%s: path too long", path);
	if (lstat(side, &st) != 0 && errno == ENOENT)
		return LETHE_OK; /* SQLite creates it with the database file's mode */
	return lt_check_private_file(side);
}

/* The database file itself, created 0600 and exclusively before SQLite ever sees it. */
static enum lethe_err create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return lt_err(LETHE_ERR_EXISTS, "%s already exists", path);
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: create", path);
	}
	close(fd);
	return LETHE_OK;
}

static void remove_files(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char name[LT_PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) < (int)sizeof(name))
			(void)unlink(name);
}

/* Connection settings that hold for this handle only; none of them touches the file. */
static enum lethe_err configure(struct lt_db *db)
{
	static const char pragmas[] =
		"PRAGMA trusted_schema = OFF;"  /* schema code cannot call side-effect functions */
		"PRAGMA cell_size_check = ON;"  /* catch corrupt pages before using them */
		"PRAGMA foreign_keys = ON;"
		"PRAGMA recursive_triggers = ON;" /* REPLACE fires delete triggers (append-only) */
		"PRAGMA temp_store = MEMORY;"   /* sorts never spill rows to temporary files */
		"PRAGMA cache_size = -16384;";  /* 16 MiB: index pages of millions of objects */
	int64_t on = 0;
	enum lethe_err rc;
	int src;

	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, db->busy_ms);
	/* Defensive: no writable_schema, no journal tricks from SQL; no double-quoted strings. */
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	src = sqlite3_exec(db->sql, pragmas, NULL, NULL, NULL);
	if (src != SQLITE_OK)
		return db_fail(db, src, "configure");
	/* secure_delete overwrites freed cells: a shredded DEK's bytes do not linger in pages. */
	rc = pragma_int(db, "PRAGMA secure_delete = ON", &on);
	if (rc == LETHE_OK && on != 1)
		rc = lt_err(LETHE_ERR_DATABASE, "%s: secure_delete cannot be enabled", db->path);
	if (rc == LETHE_OK)
		rc = pragma_int(db, "PRAGMA foreign_keys", &on);
	if (rc == LETHE_OK && on != 1)
		rc = lt_err(LETHE_ERR_DATABASE, "%s: foreign keys cannot be enabled", db->path);
	return rc;
}

/*
 * The first reads of the file: is it a SQLite database, is it lethe's, is it from this
 * version or older? Done before anything is written, so a foreign file is never touched.
 */
static enum lethe_err identify(struct lt_db *db, bool create)
{
	int64_t app = 0, version = 0, tables = 0;
	enum lethe_err rc;

	rc = pragma_int(db, "PRAGMA application_id", &app);
	if (rc == LETHE_OK)
		rc = pragma_int(db, "PRAGMA user_version", &version);
	if (rc == LETHE_OK)
		rc = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
	if (rc != LETHE_OK)
		return rc;
	if (create)
		return LETHE_OK; /* our own empty file */
	if (app != LT_DB_APPLICATION_ID)
		return lt_err(LETHE_ERR_DATABASE, "%s is not a lethe database (%s)", db->path,
			      tables == 0 ? "it is empty: did init finish?"
					  : "another application's SQLite database");
	if (version > LT_DB_SCHEMA_VERSION)
		return lt_err(LETHE_ERR_DATABASE, "%s was created by a newer lethe (schema %lld; "
			      "this build knows up to %d): upgrade lethe", db->path,
			      (long long)version, LT_DB_SCHEMA_VERSION);
	if (version < 1)
		return lt_err(LETHE_ERR_DATABASE, "%s has no lethe schema", db->path);
	return LETHE_OK;
}

/* WAL (readers never block the writer) with a sync of the log at every commit: an
 * acknowledged put survives power loss. */
static enum lethe_err set_durability(struct lt_db *db)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int64_t sync = 0;
	enum lethe_err rc = LETHE_OK;
	int src;

	src = sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_ROW) {
		rc = db_fail(db, src, "journal_mode");
		goto out;
	}
	mode = sqlite3_column_text(st, 0);
	if (!mode || strcmp((const char *)mode, "wal") != 0) {
		rc = lt_err(LETHE_ERR_DATABASE, "%s: cannot use WAL mode (journal mode stays %s); "
			    "is the store on a network file system?", db->path,
			    mode ? (const char *)mode : "unknown");
		goto out;
	}
	rc = pragma_int(db, "PRAGMA synchronous = FULL", &sync);
	if (rc == LETHE_OK)
		rc = pragma_int(db, "PRAGMA synchronous", &sync);
	if (rc == LETHE_OK && sync != 2)
		rc = lt_err(LETHE_ERR_DATABASE, "%s: synchronous=FULL cannot be set", db->path);
out:
	sqlite3_finalize(st);
	return rc;
}

static enum lethe_err apply_migrations(struct lt_db *db, int64_t from)
{
	char sql[64];
	int src;

	for (int64_t v = from; v < LT_DB_SCHEMA_VERSION; v++) {
		src = sqlite3_exec(db->sql, migrations[v], NULL, NULL, NULL);
		if (src != SQLITE_OK) {
			db_fail(db, src, "migration");
			return lt_err(LETHE_ERR_DATABASE, "%s: migration to schema %lld failed: %s",
				      db->path, (long long)v + 1, sqlite3_errmsg(db->sql));
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", LT_DB_SCHEMA_VERSION);
	src = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
	return src == SQLITE_OK ? LETHE_OK : db_fail(db, src, "migration");
}

/* Bring the schema to LT_DB_SCHEMA_VERSION; the common case (already there) takes no lock. */
static enum lethe_err migrate(struct lt_db *db)
{
	int64_t version = 0;
	enum lethe_err rc;

	rc = pragma_int(db, "PRAGMA user_version", &version);
	if (rc != LETHE_OK || version == LT_DB_SCHEMA_VERSION)
		return rc;
	rc = lt_db_begin(db);
	if (rc != LETHE_OK)
		return rc;
	/* Again under the write lock: another process may have migrated meanwhile. */
	rc = pragma_int(db, "PRAGMA user_version", &version);
	if (rc == LETHE_OK && version > LT_DB_SCHEMA_VERSION)
		rc = lt_err(LETHE_ERR_DATABASE, "%s was created by a newer lethe (schema %lld)",
			    db->path, (long long)version);
	if (rc == LETHE_OK && version < LT_DB_SCHEMA_VERSION)
		rc = apply_migrations(db, version);
	if (rc == LETHE_OK)
		return lt_db_commit(db);
	lt_db_rollback(db);
	return rc;
}

static enum lethe_err connect_db(struct lt_db *db, bool create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	enum lethe_err rc;
	int src;

	src = sqlite3_open_v2(db->path, &db->sql, flags, NULL);
	if (src != SQLITE_OK)
		return db_fail(db, src, "open");
	rc = configure(db);
	if (rc == LETHE_OK)
		rc = identify(db, create);
	if (rc == LETHE_OK)
		rc = set_durability(db);
	if (rc == LETHE_OK)
		rc = migrate(db);
	return rc;
}

/*
 * Open and prepare the connection. The -wal and -shm files SQLite creates are as private as
 * the database file (0600) whatever the process umask is: SQLite's unix VFS creates them with
 * the database file's mode and fchmod()s them to it. That is checked here rather than forced
 * with umask(), which is per process and belongs to the program liblethe runs in.
 */
static enum lethe_err connect_private(struct lt_db *db, bool create)
{
	enum lethe_err rc = connect_db(db, create);

	if (rc == LETHE_OK)
		rc = check_sidecar(db->path, "-wal");
	if (rc == LETHE_OK)
		rc = check_sidecar(db->path, "-shm");
	return rc;
}

static enum lethe_err check_existing(const char *path)
{
	enum lethe_err rc = lt_check_private_file(path);

	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_DATABASE, "%s does not exist: not an initialised store",
			      path);
	if (rc == LETHE_OK)
		rc = check_sidecar(path, "-wal");
	if (rc == LETHE_OK)
		rc = check_sidecar(path, "-shm");
	return rc;
}

enum lethe_err lt_db_open(const char *path, bool create, struct lt_db **out)
{
	char parent[LT_PATH_MAX];
	struct lt_db *db = NULL;
	bool created = false;
	enum lethe_err rc;

	*out = NULL;
	if (!path || !*path || strlen(path) >= LT_PATH_MAX - 16)
		return lt_err(LETHE_ERR_INVALID, "database path missing or too long");
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	db->busy_ms = LT_DB_BUSY_MS;
	if (create) {
		rc = lt_parent_dir(path, parent, sizeof(parent));
		if (rc == LETHE_OK)
			rc = create_file(path);
		created = rc == LETHE_OK;
	} else {
		rc = check_existing(path);
	}
	if (rc == LETHE_OK)
		rc = connect_private(db, create);
	/* the new file's directory entry is durable before the store is */
	if (rc == LETHE_OK && create)
		rc = lt_fsync_dir(parent);
out:
	if (rc != LETHE_OK) {
		lt_db_close(db);
		if (created)
			remove_files(path);
		return rc;
	}
	*out = db;
	return LETHE_OK;
}

void lt_db_close(struct lt_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	/* the last connection checkpoints and removes the WAL */
	sqlite3_close_v2(db->sql);
	free(db->path);
	free(db);
}

void lt_db_set_busy_timeout(struct lt_db *db, int milliseconds)
{
	db->busy_ms = milliseconds;
	sqlite3_busy_timeout(db->sql, milliseconds);
}

/* ---------------------------------------------------------------------------------------- */
/* Transactions and maintenance                                                             */

enum lethe_err lt_db_begin(struct lt_db *db)
{
	return run(db, ST_BEGIN);
}

/* A failed COMMIT leaves no transaction open behind it. */
enum lethe_err lt_db_commit(struct lt_db *db)
{
	enum lethe_err rc = run(db, ST_COMMIT);

	if (rc != LETHE_OK && !sqlite3_get_autocommit(db->sql))
		run_quiet(db, ST_ROLLBACK);
	return rc;
}

void lt_db_rollback(struct lt_db *db)
{
	if (db && !sqlite3_get_autocommit(db->sql))
		run_quiet(db, ST_ROLLBACK);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TRUNCATE: copy every frame back and cut the WAL to zero bytes, so frames that held shredded
 * DEKs no longer exist in it. SQLite returns SQLITE_BUSY at once, without calling the busy
 * handler, while another connection holds the checkpoint lock (its auto-checkpoint after a
 * commit, another sweep or retire): under concurrent writers that is frequent, so retry for
 * as long as the busy timeout allows. */
enum lethe_err lt_db_wal_checkpoint(struct lt_db *db)
{
	int64_t start = monotonic_ms();
	int log = 0, done = 0;
	int src;

	for (;;) {
		src = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log,
						&done);
		if ((src & 0xff) != SQLITE_BUSY || monotonic_ms() - start >= db->busy_ms)
			break;
		usleep(10000);
	}
	if (src != SQLITE_OK)
		return db_fail(db, src, "wal checkpoint");
	return LETHE_OK;
}

void lt_db_set_autocheckpoint(struct lt_db *db, int pages)
{
	/* only fails for a closed handle */
	(void)sqlite3_wal_autocheckpoint(db->sql, pages);
}

/* First row of a check pragma: "ok" or the first problem. */
static enum lethe_err check_pragma(struct lt_db *db, const char *sql, bool ok_row)
{
	sqlite3_stmt *st = NULL;
	enum lethe_err rc = LETHE_OK;
	const unsigned char *text;
	int src;

	src = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		text = sqlite3_column_text(st, 0);
		if (!ok_row || !text || strcmp((const char *)text, "ok") != 0) {
			char line[256];

			/* the detail is one line: quick_check rows may hold several */
			snprintf(line, sizeof(line), "%s", text ? (const char *)text : "problem");
			for (char *c = line; *c; c++)
				if (*c == '\n' || *c == '\r')
					*c = ' ';
			rc = lt_err(LETHE_ERR_DATABASE, "%s: %s: %s", db->path,
				    ok_row ? sql : "consistency check", line);
		}
	} else if (src != SQLITE_DONE) {
		rc = db_fail(db, src, sql);
	}
	sqlite3_finalize(st);
	return rc;
}

enum lethe_err lt_db_check(struct lt_db *db)
{
	static const char counters[] =
		"SELECT 'KEK version ' || version || ' counts ' || live_objects || "
		"' live objects, the objects table has ' || n FROM (SELECT version, live_objects, "
		"(SELECT count(*) FROM objects WHERE state = 0 AND kek_version = k.version) AS n "
		"FROM keks k) WHERE n != live_objects";
	enum lethe_err rc;

	rc = check_pragma(db, "PRAGMA quick_check", true);
	if (rc == LETHE_OK)
		rc = check_pragma(db, "PRAGMA foreign_key_check", false);
	if (rc == LETHE_OK)
		rc = check_pragma(db, counters, false);
	return rc;
}

enum lethe_err lt_db_schema_version(struct lt_db *db, int *version)
{
	int64_t v = 0;
	enum lethe_err rc = pragma_int(db, "PRAGMA user_version", &v);

	*version = (int)v;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* meta                                                                                     */

enum lethe_err lt_db_meta_set(struct lt_db *db, const char *key, const void *value, size_t len)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_META_SET);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, key, 256);
	q_blob(&q, 2, value, len);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_meta_get(struct lt_db *db, const char *key, void *value, size_t max,
			      size_t *len)
{
	const void *p;
	struct q q;
	bool row = false;
	size_t n;
	enum lethe_err rc;

	*len = 0;
	rc = q_open(&q, db, ST_META_GET);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, key, 256);
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = LETHE_ERR_NOT_FOUND; /* an expected answer: no detail */
	if (rc == LETHE_OK) {
		p = sqlite3_column_blob(q.st, 0);
		n = (size_t)sqlite3_column_bytes(q.st, 0);
		if (n && p && value)
			memcpy(value, p, n < max ? n : max);
		*len = n;
	}
	q_close(&q);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* KEKs                                                                                     */

static void q_get_kek(struct q *q, struct lt_db_kek *k)
{
	memset(k, 0, sizeof(*k));
	k->version = (uint32_t)q_get_range(q, 0, 1, UINT32_MAX);
	k->primary = q_get_int(q, 1) != 0;
	k->state = (int)q_get_range(q, 2, LETHE_KEK_ACTIVE, LETHE_KEK_RETIRED);
	k->created_at = q_get_int(q, 3);
	k->retired_at = q_get_int(q, 4);
	k->objects = (uint64_t)q_get_range(q, 5, 0, INT64_MAX);
}

enum lethe_err lt_db_kek_max_version(struct lt_db *db, uint32_t *version)
{
	int64_t v = 0;
	enum lethe_err rc = query_int(db, ST_KEK_MAX, NULL, 0, 0, &v);

	*version = rc == LETHE_OK ? (uint32_t)v : 0;
	return rc;
}

static enum lethe_err kek_insert_row(struct lt_db *db, const struct lt_db_kek *kek)
{
	uint32_t max = 0;
	struct q q;
	enum lethe_err rc;

	rc = lt_db_kek_max_version(db, &max);
	if (rc != LETHE_OK)
		return rc;
	if (kek->version != max + 1)
		return lt_err(LETHE_ERR_INVALID, "KEK version %u does not follow version %u",
			      kek->version, max);
	if (kek->primary) {
		rc = run(db, ST_KEK_UNSET_PRIMARY);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = q_open(&q, db, ST_KEK_INSERT);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, kek->version);
	q_int(&q, 3, kek->primary ? 1 : 0);
	q_int(&q, 4, kek->created_at);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_kek_insert(struct lt_db *db, const struct lt_db_kek *kek)
{
	bool own;
	enum lethe_err rc;

	if (kek->state != LETHE_KEK_ACTIVE)
		return lt_err(LETHE_ERR_INVALID, "a new KEK must be active");
	rc = call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return call_end(db, own, kek_insert_row(db, kek));
}

/* One KEK row by a statement taking ?1 = version (or none). */
static enum lethe_err kek_one(struct lt_db *db, enum stmt id, uint32_t version,
			      struct lt_db_kek *out)
{
	struct q q;
	bool row = false;
	enum lethe_err rc;

	memset(out, 0, sizeof(*out));
	rc = q_open(&q, db, id);
	if (rc != LETHE_OK)
		return rc;
	if (id == ST_KEK_GET)
		q_int(&q, 1, version);
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = id == ST_KEK_GET ? lt_err(LETHE_ERR_NOT_FOUND, "no KEK version %u", version)
				      : lt_err(LETHE_ERR_NOT_FOUND, "no primary KEK");
	if (rc == LETHE_OK) {
		q_get_kek(&q, out);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_kek_get(struct lt_db *db, uint32_t version, struct lt_db_kek *out)
{
	return kek_one(db, ST_KEK_GET, version, out);
}

enum lethe_err lt_db_kek_primary(struct lt_db *db, struct lt_db_kek *out)
{
	return kek_one(db, ST_KEK_PRIMARY, 0, out);
}

/* Up to LT_DB_PAGE KEKs after version @p after into @p page. */
static enum lethe_err kek_page(struct lt_db *db, uint32_t after, struct lt_db_kek *page,
			       size_t *n)
{
	struct q q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = q_open(&q, db, ST_KEK_PAGE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, after);
	q_int(&q, 2, LT_DB_PAGE);
	while (rc == LETHE_OK && *n < LT_DB_PAGE) {
		rc = q_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		q_get_kek(&q, &page[(*n)++]);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_kek_list(struct lt_db *db, lt_db_kek_fn fn, void *ctx)
{
	struct lt_db_kek *page = malloc(LT_DB_PAGE * sizeof(*page));
	uint32_t after = 0;
	size_t n = 0;
	enum lethe_err rc = LETHE_OK;

	if (!page)
		return lt_err(LETHE_ERR_NOMEM, "kek list: out of memory");
	do {
		rc = kek_page(db, after, page, &n);
		for (size_t i = 0; rc == LETHE_OK && i < n; i++)
			if (fn(&page[i], ctx))
				goto out;
		if (n)
			after = page[n - 1].version;
	} while (rc == LETHE_OK && n == LT_DB_PAGE);
out:
	free(page);
	return rc;
}

enum lethe_err lt_db_kek_count_objects(struct lt_db *db, uint32_t version, uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc = query_int(db, ST_KEK_COUNT, NULL, version, 0, &n);

	*count = rc == LETHE_OK ? (uint64_t)n : 0;
	return rc;
}

/* Why a retire changed nothing. */
static enum lethe_err kek_retire_refused(struct lt_db *db, uint32_t version)
{
	struct lt_db_kek kek;
	uint64_t live = 0;
	enum lethe_err rc;

	rc = lt_db_kek_get(db, version, &kek);
	if (rc != LETHE_OK)
		return rc;
	if (kek.state == LETHE_KEK_RETIRED)
		return LETHE_OK; /* already destroyed: what was asked holds */
	if (kek.primary)
		return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u is the primary", version);
	rc = lt_db_kek_count_objects(db, version, &live);
	if (rc != LETHE_OK)
		return rc;
	return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u still wraps %llu live data keys",
		      version, (unsigned long long)live);
}

/* One statement: the in-use check and the destruction cannot be separated by a put. */
enum lethe_err lt_db_kek_retire(struct lt_db *db, uint32_t version, int64_t now)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_KEK_RETIRE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, version);
	q_int(&q, 2, now);
	rc = q_exec(&q);
	if (rc == LETHE_OK && q_changes(&q) == 0) {
		q_close(&q);
		return kek_retire_refused(db, version);
	}
	q_close(&q);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Objects                                                                                  */

static void q_get_object(struct q *q, struct lt_db_object *o)
{
	memset(o, 0, sizeof(*o));
	q_get_text(q, 0, o->id, sizeof(o->id));
	q_get_text(q, 1, o->group, sizeof(o->group));
	q_get_text(q, 2, o->name, sizeof(o->name));
	o->size = (uint64_t)q_get_range(q, 3, 0, INT64_MAX);
	q_get_blob(q, 4, o->sha256, sizeof(o->sha256), NULL);
	o->created_at = q_get_int(q, 5);
	o->retain_until = q_get_int(q, 6);
	o->hold = q_get_int(q, 7) != 0;
	q_get_text(q, 8, o->hold_reason, sizeof(o->hold_reason));
	if (sqlite3_column_type(q->st, 9) != SQLITE_NULL)
		o->kek_version = (uint32_t)q_get_range(q, 9, 1, UINT32_MAX);
	q_get_blob(q, 10, o->wrapped_dek, sizeof(o->wrapped_dek), &o->has_dek);
	o->state = (int)q_get_range(q, 11, LETHE_STATE_LIVE, LETHE_STATE_SHREDDED);
	o->shredded_at = q_get_int(q, 12);
	o->seg_log2 = (unsigned)q_get_range(q, 13, 0, 63);
	o->locked = q_get_int(q, 14) != 0;
}

static enum lethe_err object_check(const struct lt_db_object *obj)
{
	if (!lt_obj_id_valid(obj->id))
		return lt_err(LETHE_ERR_INVALID, "object id is not a lowercase UUID");
	if (strnlen(obj->group, sizeof(obj->group)) == sizeof(obj->group) ||
	    strnlen(obj->name, sizeof(obj->name)) == sizeof(obj->name) ||
	    strnlen(obj->hold_reason, sizeof(obj->hold_reason)) == sizeof(obj->hold_reason))
		return lt_err(LETHE_ERR_INVALID, "object %s: unterminated field", obj->id);
	if (obj->state != LETHE_STATE_LIVE || !obj->has_dek || obj->kek_version == 0)
		return lt_err(LETHE_ERR_INVALID, "object %s: a new object is live and has a "
			      "wrapped data key", obj->id);
	if (obj->size > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "object %s: size out of range", obj->id);
	return LETHE_OK;
}

enum lethe_err lt_db_object_insert(struct lt_db *db, const struct lt_db_object *obj)
{
	struct q q;
	enum lethe_err rc;

	rc = object_check(obj);
	if (rc != LETHE_OK)
		return rc;
	rc = q_open(&q, db, ST_OBJ_INSERT);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, obj->id, sizeof(obj->id));
	q_text(&q, 2, obj->group, sizeof(obj->group));
	q_text(&q, 3, obj->name, sizeof(obj->name));
	q_int(&q, 4, (int64_t)obj->size);
	q_blob(&q, 5, obj->sha256, sizeof(obj->sha256));
	q_int(&q, 6, obj->created_at);
	q_int(&q, 7, obj->retain_until);
	q_int(&q, 8, obj->hold ? 1 : 0);
	q_text(&q, 9, obj->hold_reason, sizeof(obj->hold_reason));
	q_int(&q, 10, obj->kek_version);
	q_blob(&q, 11, obj->wrapped_dek, sizeof(obj->wrapped_dek));
	q_int(&q, 12, obj->seg_log2);
	q_int(&q, 13, obj->locked ? 1 : 0);
	rc = q_exec(&q);
	q_close(&q);
	if (rc == LETHE_ERR_EXISTS)
		lt_err_prefix("object %s", obj->id);
	return rc;
}

enum lethe_err lt_db_object_get(struct lt_db *db, const char *id, struct lt_db_object *out)
{
	char key[LETHE_ID_LEN + 1];
	struct q q;
	bool row = false;
	enum lethe_err rc;

	/* @p id may be out->id, which the memset below clears */
	snprintf(key, sizeof(key), "%s", id ? id : "");
	memset(out, 0, sizeof(*out));
	rc = q_open(&q, db, ST_OBJ_GET);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, key, sizeof(key));
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no object %s", key);
	if (rc == LETHE_OK) {
		q_get_object(&q, out);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

/*
 * A keyset-paginated object query: each page is one statement from the position after the last
 * row delivered, copied out and closed before any callback runs. So callbacks may change the
 * rows (shred, rewrap), and each page costs an index seek plus what it returns.
 */
struct obj_scan {
	enum stmt id;
	const char *group;        /* ST_OBJ_LIST_GROUP */
	int64_t bound;            /* ?4: expired_before, now, or the KEK version */
	bool include_shredded;    /* ?5 */
	int64_t pos;              /* ?1: created_at, retain_until or rowid of the last row */
	char pos_id[LETHE_ID_LEN + 1]; /* ?2 */
	size_t limit;             /* rows still to deliver */
	bool stopped;             /* a callback asked to stop */
};

/* The keyset column of @p o for the scan's ordering. */
static int64_t scan_key(const struct obj_scan *s, const struct lt_db_object *o)
{
	if (s->id == ST_OBJ_EXPIRED)
		return o->retain_until;
	return o->created_at;
}

static enum lethe_err scan_page(struct lt_db *db, struct obj_scan *s,
				struct lt_db_object *page, size_t want, size_t *n)
{
	struct q q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = q_open(&q, db, s->id);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, s->pos);
	q_text(&q, 2, s->pos_id, sizeof(s->pos_id));
	q_int(&q, 3, (int64_t)want);
	if (sqlite3_bind_parameter_count(q.st) >= 4)
		q_int(&q, 4, s->bound);
	if (s->id == ST_OBJ_LIST_ALL || s->id == ST_OBJ_LIST_GROUP)
		q_int(&q, 5, s->include_shredded ? 1 : 0);
	if (s->id == ST_OBJ_LIST_GROUP)
		q_text(&q, 6, s->group, LETHE_GROUP_MAX + 1);
	while (rc == LETHE_OK && *n < want) {
		rc = q_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		q_get_object(&q, &page[(*n)++]);
		if (s->id == ST_OBJ_KEK_PAGE) /* the keyset is the rowid, column 14 */
			s->pos = q_get_int(&q, 14);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

static enum lethe_err scan_run(struct lt_db *db, struct obj_scan *s, lt_db_object_fn fn,
			       void *ctx)
{
	struct lt_db_object *page = malloc(LT_DB_PAGE * sizeof(*page));
	size_t want, n = 0;
	enum lethe_err rc = LETHE_OK;

	if (!page)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", stmt_def[s->id].what);
	while (rc == LETHE_OK && s->limit > 0 && !s->stopped) {
		want = s->limit < LT_DB_PAGE ? s->limit : LT_DB_PAGE;
		rc = scan_page(db, s, page, want, &n);
		if (rc != LETHE_OK || n == 0)
			break;
		if (s->id != ST_OBJ_KEK_PAGE)
			s->pos = scan_key(s, &page[n - 1]);
		memcpy(s->pos_id, page[n - 1].id, sizeof(s->pos_id));
		for (size_t i = 0; i < n && !s->stopped; i++) {
			s->limit--;
			s->stopped = fn(&page[i], ctx) != 0;
		}
		if (n < want)
			break;
	}
	free(page);
	return rc;
}

enum lethe_err lt_db_object_list(struct lt_db *db, const char *group, int64_t expired_before,
				 bool include_shredded, lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = {
		.id = group ? ST_OBJ_LIST_GROUP : ST_OBJ_LIST_ALL,
		.group = group,
		.bound = expired_before > 0 ? expired_before : 0,
		.include_shredded = include_shredded,
		.pos = INT64_MIN,
		.limit = SIZE_MAX,
	};

	return scan_run(db, &s, fn, ctx);
}

enum lethe_err lt_db_object_expired(struct lt_db *db, int64_t now, int64_t after_until,
				    const char *after_id, size_t limit, lt_db_object_fn fn,
				    void *ctx)
{
	struct obj_scan s = {
		.id = ST_OBJ_EXPIRED,
		.bound = now,
		.pos = after_until,
		.limit = limit,
	};

	snprintf(s.pos_id, sizeof(s.pos_id), "%s", after_id ? after_id : "");
	return scan_run(db, &s, fn, ctx);
}

enum lethe_err lt_db_object_live_by_id(struct lt_db *db, const char *after_id, size_t limit,
				       lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = { .id = ST_OBJ_BY_ID, .limit = limit };

	snprintf(s.pos_id, sizeof(s.pos_id), "%s", after_id ? after_id : "");
	return scan_run(db, &s, fn, ctx);
}

enum lethe_err lt_db_object_live_totals(struct lt_db *db, const char *after_id, uint64_t *count,
					uint64_t *bytes)
{
	struct q q;
	bool row = false;
	enum lethe_err rc;

	*count = 0;
	*bytes = 0;
	rc = q_open(&q, db, ST_OBJ_TOTALS_AFTER);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, after_id ? after_id : "", LETHE_ID_LEN + 1);
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && row) {
		*count = (uint64_t)q_get_range(&q, 0, 0, INT64_MAX);
		*bytes = (uint64_t)q_get_range(&q, 1, 0, INT64_MAX);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

/* The lowest KEK version in (@p above, @p below) that still wraps a live DEK; 0 if none. */
static enum lethe_err kek_next_in_use(struct lt_db *db, int64_t above, int64_t below,
				      int64_t *version)
{
	return query_int(db, ST_OBJ_KEK_NEXT, NULL, above, below, version);
}

/*
 * Versions below the primary, then above it (a KEK inserted without becoming primary); within
 * a version, storage (rowid) order, so a batch of rewraps dirties each table page once instead
 * of one page per row. Every step is an index seek: a batch costs what it returns.
 */
enum lethe_err lt_db_object_not_under(struct lt_db *db, uint32_t primary_version, size_t limit,
				      lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = { .id = ST_OBJ_KEK_PAGE, .limit = limit };
	int64_t version = 0;
	enum lethe_err rc = LETHE_OK;

	for (int side = 0; side < 2; side++) {
		int64_t above = side == 0 ? 0 : primary_version;
		int64_t below = side == 0 ? (int64_t)primary_version : INT64_MAX;

		while (rc == LETHE_OK && !s.stopped && s.limit > 0) {
			rc = kek_next_in_use(db, above, below, &version);
			if (rc != LETHE_OK || version == 0)
				break;
			s.bound = version;
			s.pos = 0;
			rc = scan_run(db, &s, fn, ctx);
			above = version;
		}
	}
	return rc;
}

/* Why an UPDATE of a live object changed nothing: no such object, shredded, or held. */
static enum lethe_err object_refused(struct lt_db *db, const char *id, bool check_hold)
{
	struct q q;
	bool row = false;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_OBJ_STATE);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, id, LETHE_ID_LEN + 1);
	rc = q_step(&q, &row);
	if (rc != LETHE_OK)
		goto out;
	if (!row)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no object %.*s", LETHE_ID_LEN, id);
	else if (q_get_int(&q, 0) != LETHE_STATE_LIVE)
		rc = lt_err(LETHE_ERR_SHREDDED, "object %s has been shredded", id);
	else if (check_hold && q_get_int(&q, 1))
		rc = lt_err(LETHE_ERR_HELD, "object %s is on legal hold", id);
	else if (check_hold && q_get_int(&q, 2))
		rc = lt_err(LETHE_ERR_HELD, "the group of object %s is on legal hold", id);
	else
		rc = lt_err(LETHE_ERR_INTERNAL, "object %s: update refused", id);
out:
	q_close(&q);
	return rc;
}

/* An UPDATE keyed by ?1 = id and one integer ?2 (and an optional blob ?3). */
static enum lethe_err object_update(struct lt_db *db, enum stmt id, const char *oid,
				    int64_t value, const void *blob, size_t blob_len,
				    int64_t *changed)
{
	struct q q;
	enum lethe_err rc;

	*changed = 0;
	rc = q_open(&q, db, id);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, oid, LETHE_ID_LEN + 1);
	q_int(&q, 2, value);
	if (blob)
		q_blob(&q, 3, blob, blob_len);
	rc = q_exec(&q);
	if (rc == LETHE_OK)
		*changed = q_changes(&q);
	q_close(&q);
	return rc;
}

static enum lethe_err object_shred_rows(struct lt_db *db, const char *id, int64_t now)
{
	int64_t changed = 0;
	struct q q;
	enum lethe_err rc;

	rc = object_update(db, ST_OBJ_SHRED, id, now, NULL, 0, &changed);
	if (rc == LETHE_OK && changed == 0)
		rc = object_refused(db, id, true);
	if (rc != LETHE_OK)
		return rc;
	rc = q_open(&q, db, ST_UNLINK_ADD);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, id, LETHE_ID_LEN + 1);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

/* The DEK's bytes are freed by the UPDATE and zeroed by secure_delete; the unlink is queued in
 * the same transaction, so a crash never leaves a keyless file nobody will remove. */
enum lethe_err lt_db_object_shred(struct lt_db *db, const char *id, int64_t now)
{
	bool own;
	enum lethe_err rc;

	rc = call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return call_end(db, own, object_shred_rows(db, id, now));
}

enum lethe_err lt_db_object_set_hold(struct lt_db *db, const char *id, bool hold,
				     const char *reason)
{
	int64_t changed = 0;
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, hold ? ST_OBJ_HOLD_SET : ST_OBJ_HOLD_CLEAR);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, id, LETHE_ID_LEN + 1);
	if (hold)
		q_text(&q, 2, reason, LETHE_REASON_MAX);
	rc = q_exec(&q);
	if (rc == LETHE_OK)
		changed = q_changes(&q);
	q_close(&q);
	if (rc == LETHE_OK && changed == 0)
		rc = object_refused(db, id, false);
	return rc;
}

enum lethe_err lt_db_object_set_retain_until(struct lt_db *db, const char *id, int64_t until)
{
	int64_t changed = 0;
	enum lethe_err rc;

	rc = object_update(db, ST_OBJ_SET_UNTIL, id, until, NULL, 0, &changed);
	if (rc != LETHE_OK || changed)
		return rc;
	rc = object_refused(db, id, false);
	if (rc == LETHE_ERR_INTERNAL) /* live, so the guard refused: it would shorten */
		rc = lt_err(LETHE_ERR_SHORTENS, "object %s: the new retain-until is earlier than "
			    "the current one", id);
	return rc;
}

/* A group-wide UPDATE with ?1 = group, ?2 = value. */
static enum lethe_err group_update(struct lt_db *db, enum stmt id, const char *group,
				   int64_t value, uint64_t *changed)
{
	struct q q;
	enum lethe_err rc;

	*changed = 0;
	rc = q_open(&q, db, id);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	q_int(&q, 2, value);
	rc = q_exec(&q);
	if (rc == LETHE_OK)
		*changed = (uint64_t)q_changes(&q);
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_group_extend_until(struct lt_db *db, const char *group, int64_t until,
					uint64_t *changed)
{
	return group_update(db, ST_GROUP_UNTIL, group, until, changed);
}

/* SQLite turns an overflowing integer sum into a REAL: refuse before that can happen. */
static enum lethe_err group_extend_rows(struct lt_db *db, const char *group, int64_t by,
					uint64_t *changed)
{
	int64_t overflow = 0;
	enum lethe_err rc;

	rc = query_int(db, ST_GROUP_OVERFLOW, group, 0, INT64_MAX - by, &overflow);
	if (rc == LETHE_OK && overflow)
		rc = lt_err(LETHE_ERR_INVALID, "group %s: extending by %lld s overflows a "
			    "retain-until", group, (long long)by);
	if (rc == LETHE_OK)
		rc = group_update(db, ST_GROUP_BY, group, by, changed);
	return rc;
}

enum lethe_err lt_db_group_extend_by(struct lt_db *db, const char *group, int64_t by,
				     uint64_t *changed)
{
	bool own;
	enum lethe_err rc;

	*changed = 0;
	if (by <= 0)
		return lt_err(LETHE_ERR_INVALID, "retention can only be extended by a positive "
			      "duration");
	rc = call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	rc = call_end(db, own, group_extend_rows(db, group, by, changed));
	if (rc != LETHE_OK)
		*changed = 0;
	return rc;
}

enum lethe_err lt_db_object_set_dek(struct lt_db *db, const char *id, uint32_t kek_version,
				    const uint8_t wrapped[LT_DB_WRAPPED_LEN])
{
	int64_t changed = 0;
	enum lethe_err rc;

	rc = object_update(db, ST_OBJ_SET_DEK, id, kek_version, wrapped, LT_DB_WRAPPED_LEN,
			   &changed);
	if (rc == LETHE_OK && changed == 0)
		rc = object_refused(db, id, false);
	return rc;
}

enum lethe_err lt_db_object_count(struct lt_db *db, int state, uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc;

	*count = 0;
	if (state != LETHE_STATE_LIVE && state != LETHE_STATE_SHREDDED)
		return lt_err(LETHE_ERR_INVALID, "no object state %d", state);
	rc = query_int(db, state == LETHE_STATE_LIVE ? ST_OBJ_COUNT_LIVE : ST_OBJ_COUNT_SHREDDED,
		       NULL, 0, 0, &n);
	*count = (uint64_t)n;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Pending unlinks                                                                          */

enum lethe_err lt_db_unlink_pending(struct lt_db *db, lt_db_id_fn fn, void *ctx)
{
	char (*ids)[LETHE_ID_LEN + 1] = malloc(LT_DB_PAGE * sizeof(*ids));
	char after[LETHE_ID_LEN + 1] = "";
	size_t n;
	bool row;
	struct q q;
	enum lethe_err rc = LETHE_OK;

	if (!ids)
		return lt_err(LETHE_ERR_NOMEM, "pending unlinks: out of memory");
	do {
		n = 0;
		rc = q_open(&q, db, ST_UNLINK_PAGE);
		if (rc != LETHE_OK)
			break;
		q_text(&q, 1, after, sizeof(after));
		q_int(&q, 2, LT_DB_PAGE);
		while (rc == LETHE_OK && n < LT_DB_PAGE && (rc = q_step(&q, &row)) == LETHE_OK &&
		       row) {
			q_get_text(&q, 0, ids[n++], sizeof(ids[0]));
			rc = q.err;
		}
		q_close(&q);
		for (size_t i = 0; rc == LETHE_OK && i < n; i++)
			if (fn(ids[i], ctx))
				goto out;
		if (n)
			memcpy(after, ids[n - 1], sizeof(after));
	} while (rc == LETHE_OK && n == LT_DB_PAGE);
out:
	free(ids);
	return rc;
}

enum lethe_err lt_db_unlink_done(struct lt_db *db, const char *id)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_UNLINK_DONE);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, id, LETHE_ID_LEN + 1);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Group holds                                                                              */

enum lethe_err lt_db_group_hold_set(struct lt_db *db, const char *group, const char *reason,
				    int64_t now)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_GHOLD_SET);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	q_text(&q, 2, reason, LETHE_REASON_MAX);
	q_int(&q, 3, now);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_group_hold_clear(struct lt_db *db, const char *group)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_GHOLD_CLEAR);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_group_hold_get(struct lt_db *db, const char *group, bool *held,
				    char reason[LETHE_REASON_MAX + 1])
{
	char text[LETHE_REASON_MAX + 1];
	struct q q;
	bool row = false;
	enum lethe_err rc;

	*held = false;
	if (reason)
		reason[0] = '\0';
	rc = q_open(&q, db, ST_GHOLD_GET);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && row) {
		q_get_text(&q, 0, text, sizeof(text));
		rc = q.err;
		*held = rc == LETHE_OK;
		if (*held && reason)
			memcpy(reason, text, sizeof(text));
	}
	q_close(&q);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Disposal certificates                                                                    */

/* Which unique column a duplicate certificate hit. */
static enum lethe_err cert_exists(struct lt_db *db, const struct lt_db_cert *cert)
{
	uint64_t n = 0;

	if (lt_db_cert_count_for_object(db, cert->object_id, &n) == LETHE_OK && n > 0)
		return lt_err(LETHE_ERR_EXISTS, "object %s already has a disposal certificate",
			      cert->object_id);
	return lt_err(LETHE_ERR_EXISTS, "certificate %s already exists", cert->id);
}

enum lethe_err lt_db_cert_insert(struct lt_db *db, const struct lt_db_cert *cert,
				 uint64_t *seq)
{
	struct q q;
	enum lethe_err rc;

	*seq = 0;
	if (!cert->json || cert->json_len == 0)
		return lt_err(LETHE_ERR_INVALID, "certificate %s has no content", cert->id);
	rc = q_open(&q, db, ST_CERT_INSERT);
	if (rc != LETHE_OK)
		return rc;
	q_text(&q, 1, cert->id, sizeof(cert->id));
	q_text(&q, 2, cert->object_id, sizeof(cert->object_id));
	q_text(&q, 3, cert->group, sizeof(cert->group));
	q_text(&q, 4, cert->reason, sizeof(cert->reason));
	q_int(&q, 5, cert->shredded_at);
	q_blob(&q, 6, cert->json, cert->json_len);
	q_blob(&q, 7, cert->sig, sizeof(cert->sig));
	q_blob(&q, 8, cert->sha256, sizeof(cert->sha256));
	rc = q_exec(&q);
	if (rc == LETHE_OK)
		*seq = (uint64_t)sqlite3_last_insert_rowid(db->sql);
	q_close(&q);
	if (rc == LETHE_ERR_EXISTS)
		rc = cert_exists(db, cert);
	return rc;
}

/* The newest row's seq and 32-byte blob (certificates: sha256; audit: mac). */
static enum lethe_err last_row(struct lt_db *db, enum stmt id, uint64_t *seq, uint8_t out[32])
{
	struct q q;
	bool row = false;
	enum lethe_err rc;

	*seq = 0;
	memset(out, 0, 32);
	rc = q_open(&q, db, id);
	if (rc != LETHE_OK)
		return rc;
	rc = q_step(&q, &row);
	if (rc == LETHE_OK && row) {
		*seq = (uint64_t)q_get_range(&q, 0, 1, INT64_MAX);
		q_get_blob(&q, 1, out, 32, NULL);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_cert_last(struct lt_db *db, uint64_t *seq, uint8_t sha256[32])
{
	return last_row(db, ST_CERT_LAST, seq, sha256);
}

static void q_get_cert(struct q *q, struct lt_db_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = (uint64_t)q_get_range(q, 0, 1, INT64_MAX);
	q_get_text(q, 1, c->id, sizeof(c->id));
	q_get_text(q, 2, c->object_id, sizeof(c->object_id));
	q_get_text(q, 3, c->group, sizeof(c->group));
	q_get_text(q, 4, c->reason, sizeof(c->reason));
	c->shredded_at = q_get_int(q, 5);
	c->json = q_dup_blob(q, 6, &c->json_len);
	q_get_blob(q, 7, c->sig, sizeof(c->sig), NULL);
	q_get_blob(q, 8, c->sha256, sizeof(c->sha256), NULL);
}

static void certs_free(struct lt_db_cert *page, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)page[i].json);
}

static enum lethe_err cert_page(struct lt_db *db, uint64_t after, struct lt_db_cert *page,
				size_t *n)
{
	struct q q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = q_open(&q, db, ST_CERT_PAGE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, (int64_t)after);
	q_int(&q, 2, LT_DB_PAGE);
	while (rc == LETHE_OK && *n < LT_DB_PAGE) {
		rc = q_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		q_get_cert(&q, &page[(*n)++]);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_cert_list(struct lt_db *db, lt_db_cert_fn fn, void *ctx)
{
	struct lt_db_cert *page = calloc(LT_DB_PAGE, sizeof(*page));
	uint64_t after = 0;
	size_t n = 0;
	bool stop = false;
	enum lethe_err rc;

	if (!page)
		return lt_err(LETHE_ERR_NOMEM, "certificate list: out of memory");
	do {
		rc = cert_page(db, after, page, &n);
		for (size_t i = 0; rc == LETHE_OK && i < n && !stop; i++)
			stop = fn(&page[i], ctx) != 0;
		if (n)
			after = page[n - 1].seq;
		certs_free(page, n);
	} while (rc == LETHE_OK && !stop && n == LT_DB_PAGE);
	free(page);
	return rc;
}

enum lethe_err lt_db_cert_count_for_object(struct lt_db *db, const char *object_id,
					   uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc = query_int(db, ST_CERT_COUNT, object_id, 0, 0, &n);

	*count = rc == LETHE_OK ? (uint64_t)n : 0;
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Audit                                                                                    */

enum lethe_err lt_db_audit_last(struct lt_db *db, uint64_t *seq, uint8_t mac[32])
{
	return last_row(db, ST_AUDIT_LAST, seq, mac);
}

/* The fields audit and audit_pending share, as ?2..?12. */
static void q_audit_fields(struct q *q, const struct lt_db_audit *r)
{
	q_int(q, 2, r->time_us);
	q_int(q, 3, r->uid);
	q_text(q, 4, r->user, sizeof(r->user));
	q_text(q, 5, r->keyslot, sizeof(r->keyslot));
	q_int(q, 6, r->pid);
	q_text(q, 7, r->host, sizeof(r->host));
	q_text(q, 8, r->action, sizeof(r->action));
	q_text(q, 9, r->object, sizeof(r->object));
	q_text(q, 10, r->group, sizeof(r->group));
	q_text(q, 11, r->outcome, sizeof(r->outcome));
	q_text(q, 12, r->error, sizeof(r->error));
}

/* The shared fields from columns 1..11 (column 0 is seq or the pending id). */
static void q_get_audit_fields(struct q *q, struct lt_db_audit *r)
{
	r->time_us = q_get_int(q, 1);
	r->uid = (uint32_t)q_get_range(q, 2, 0, UINT32_MAX);
	q_get_text(q, 3, r->user, sizeof(r->user));
	q_get_text(q, 4, r->keyslot, sizeof(r->keyslot));
	r->pid = (int32_t)q_get_range(q, 5, INT32_MIN, INT32_MAX);
	q_get_text(q, 6, r->host, sizeof(r->host));
	q_get_text(q, 7, r->action, sizeof(r->action));
	q_get_text(q, 8, r->object, sizeof(r->object));
	q_get_text(q, 9, r->group, sizeof(r->group));
	q_get_text(q, 10, r->outcome, sizeof(r->outcome));
	q_get_text(q, 11, r->error, sizeof(r->error));
}

enum lethe_err lt_db_audit_insert(struct lt_db *db, const struct lt_db_audit *rec)
{
	struct q q;
	enum lethe_err rc;

	if (rec->seq == 0 || rec->seq > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "audit record seq out of range");
	rc = q_open(&q, db, ST_AUDIT_INSERT);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, (int64_t)rec->seq);
	q_audit_fields(&q, rec);
	q_blob(&q, 13, rec->mac, sizeof(rec->mac));
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

static enum lethe_err audit_page(struct lt_db *db, uint64_t since_seq, int64_t since_time_us,
				 struct lt_db_audit *page, size_t *n)
{
	struct q q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = q_open(&q, db, ST_AUDIT_PAGE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, since_seq > INT64_MAX ? INT64_MAX : (int64_t)since_seq);
	q_int(&q, 2, since_time_us);
	q_int(&q, 3, LT_DB_PAGE);
	while (rc == LETHE_OK && *n < LT_DB_PAGE) {
		rc = q_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		memset(&page[*n], 0, sizeof(page[*n]));
		page[*n].seq = (uint64_t)q_get_range(&q, 0, 1, INT64_MAX);
		q_get_audit_fields(&q, &page[*n]);
		q_get_blob(&q, 12, page[*n].mac, sizeof(page[*n].mac), NULL);
		(*n)++;
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_audit_list(struct lt_db *db, uint64_t since_seq, int64_t since_time_us,
				lt_db_audit_fn fn, void *ctx)
{
	struct lt_db_audit *page = malloc(LT_DB_PAGE * sizeof(*page));
	size_t n = 0;
	enum lethe_err rc;

	if (!page)
		return lt_err(LETHE_ERR_NOMEM, "audit list: out of memory");
	do {
		rc = audit_page(db, since_seq, since_time_us, page, &n);
		for (size_t i = 0; rc == LETHE_OK && i < n; i++)
			if (fn(&page[i], ctx))
				goto out;
		if (n)
			since_seq = page[n - 1].seq + 1;
	} while (rc == LETHE_OK && n == LT_DB_PAGE);
out:
	free(page);
	return rc;
}

enum lethe_err lt_db_audit_pending_add(struct lt_db *db, const struct lt_db_audit *rec)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_PENDING_ADD);
	if (rc != LETHE_OK)
		return rc;
	q_audit_fields(&q, rec);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

/* Up to LT_DB_PAGE pending records after row id @p after; ids[] receives their row ids. */
static enum lethe_err pending_page(struct lt_db *db, int64_t after, struct lt_db_audit *page,
				   int64_t *ids, size_t *n)
{
	struct q q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = q_open(&q, db, ST_PENDING_PAGE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, after);
	q_int(&q, 2, LT_DB_PAGE);
	while (rc == LETHE_OK && *n < LT_DB_PAGE) {
		rc = q_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		memset(&page[*n], 0, sizeof(page[*n]));
		ids[*n] = q_get_int(&q, 0);
		q_get_audit_fields(&q, &page[*n]);
		(*n)++;
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

static enum lethe_err pending_delete(struct lt_db *db, int64_t id)
{
	struct q q;
	enum lethe_err rc;

	rc = q_open(&q, db, ST_PENDING_DELETE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, id);
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

static enum lethe_err pending_take_rows(struct lt_db *db, lt_db_audit_fn fn, void *ctx,
					struct lt_db_audit *page, int64_t *ids)
{
	int64_t after = 0;
	size_t n = 0;
	enum lethe_err rc;

	do {
		rc = pending_page(db, after, page, ids, &n);
		for (size_t i = 0; rc == LETHE_OK && i < n; i++) {
			if (fn(&page[i], ctx))
				return LETHE_OK;
			rc = pending_delete(db, ids[i]);
		}
		if (n)
			after = ids[n - 1];
	} while (rc == LETHE_OK && n == LT_DB_PAGE);
	return rc;
}

enum lethe_err lt_db_audit_pending_take(struct lt_db *db, lt_db_audit_fn fn, void *ctx)
{
	struct lt_db_audit *page = malloc(LT_DB_PAGE * sizeof(*page));
	int64_t *ids = malloc(LT_DB_PAGE * sizeof(*ids));
	bool own;
	enum lethe_err rc;

	if (!page || !ids) {
		rc = lt_err(LETHE_ERR_NOMEM, "audit pending take: out of memory");
		goto out;
	}
	rc = call_begin(db, &own);
	if (rc == LETHE_OK)
		rc = call_end(db, own, pending_take_rows(db, fn, ctx, page, ids));
out:
	free(ids);
	free(page);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Audit checkpoints                                                                        */

enum lethe_err lt_db_checkpoint_insert(struct lt_db *db, const struct lt_db_checkpoint *cp)
{
	struct q q;
	enum lethe_err rc;

	if (!cp->json || cp->json_len == 0 || cp->audit_seq > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "audit checkpoint has no content");
	rc = q_open(&q, db, ST_CP_INSERT);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, (int64_t)cp->audit_seq);
	q_blob(&q, 2, cp->audit_mac, sizeof(cp->audit_mac));
	q_int(&q, 3, cp->time);
	q_blob(&q, 4, cp->json, cp->json_len);
	q_blob(&q, 5, cp->sig, sizeof(cp->sig));
	rc = q_exec(&q);
	q_close(&q);
	return rc;
}

static void q_get_checkpoint(struct q *q, struct lt_db_checkpoint *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->seq = (uint64_t)q_get_range(q, 0, 1, INT64_MAX);
	cp->audit_seq = (uint64_t)q_get_range(q, 1, 0, INT64_MAX);
	q_get_blob(q, 2, cp->audit_mac, sizeof(cp->audit_mac), NULL);
	cp->time = q_get_int(q, 3);
	cp->json = q_dup_blob(q, 4, &cp->json_len);
	q_get_blob(q, 5, cp->sig, sizeof(cp->sig), NULL);
}

static enum lethe_err checkpoint_page(struct lt_db *db, uint64_t after,
				      struct lt_db_checkpoint *page, size_t *n)
{
	struct q q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = q_open(&q, db, ST_CP_PAGE);
	if (rc != LETHE_OK)
		return rc;
	q_int(&q, 1, (int64_t)after);
	q_int(&q, 2, LT_DB_PAGE);
	while (rc == LETHE_OK && *n < LT_DB_PAGE) {
		rc = q_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		q_get_checkpoint(&q, &page[(*n)++]);
		rc = q.err;
	}
	q_close(&q);
	return rc;
}

enum lethe_err lt_db_checkpoint_list(struct lt_db *db, lt_db_checkpoint_fn fn, void *ctx)
{
	struct lt_db_checkpoint *page = calloc(LT_DB_PAGE, sizeof(*page));
	uint64_t after = 0;
	size_t n = 0;
	bool stop = false;
	enum lethe_err rc;

	if (!page)
		return lt_err(LETHE_ERR_NOMEM, "checkpoint list: out of memory");
	do {
		rc = checkpoint_page(db, after, page, &n);
		for (size_t i = 0; rc == LETHE_OK && i < n && !stop; i++)
			stop = fn(&page[i], ctx) != 0;
		if (n)
			after = page[n - 1].seq;
		for (size_t i = 0; i < n; i++)
			free((void *)page[i].json);
	} while (rc == LETHE_OK && !stop && n == LT_DB_PAGE);
	free(page);
	return rc;
}
