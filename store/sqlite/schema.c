/* schema.c - the SQLite schema of the metadata store and its migrations.
 *
 * Schema versions 1 to 3 (PRAGMA user_version; PRAGMA application_id 0x4c455448 "LETH" marks the
 * file as lethe's). docs/KEYS.md (sections 7 and 8) describes the keks and objects columns.
 *   meta(key TEXT PRIMARY KEY, value BLOB)          store_id, evidence_pub, evidence_priv_wrapped
 *   keks(version INTEGER PRIMARY KEY, is_primary INT, state INT, created_at INT,
 *        retired_at INT, live_objects INT)
 *        the KEK versions' metadata only: the wrapped keys live in keystore.luks (see
 *        keys/keystore.h), so that retiring one leaves no copy in any meta.db backup;
 *        unique partial index on is_primary WHERE is_primary = 1: at most one primary;
 *        CHECK: a retired KEK is not the primary;
 *        live_objects is kept by triggers on objects, so counts cost O(1).
 *   objects(id TEXT PRIMARY KEY, grp TEXT, name TEXT, size INT, sha256 BLOB, created_at INT,
 *        retain_until INT, hold INT, hold_reason TEXT, kek_version INT NULL, wrapped_dek BLOB NULL,
 *        state INT, shredded_at INT, seg_log2 INT, locked INT)
 *        locked: the group's compliance lock when the object was written, fixed like
 *        retain_until so that no later config can unlock it;
 *        CHECK: live rows have a KEK version and a wrapped DEK, shredded rows have neither;
 *        trigger: a row may only name an active KEK (no DEK is ever wrapped under a retired one);
 *        index (retain_until, id) WHERE state = 0: sweeps cost what expired, not what is stored;
 *        index (kek_version) WHERE state = 0 (rowid implied): rewrap batches in storage order,
 *        and retire checks;
 *        indexes (created_at, id) and (grp, created_at, id): listings stream in order.
 *   group_holds(grp TEXT PRIMARY KEY, reason TEXT, set_at INT)  (schema 1 only: one hold a
 *        group; schema 2 moves it to holds)
 *   certificates(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, object_id TEXT UNIQUE, grp TEXT,
 *        reason TEXT, shredded_at INT, json BLOB, sig BLOB, sha256 BLOB)
 *        triggers: seq = last + 1, the object must be shredded, no UPDATE or DELETE.
 *   audit(seq INTEGER PRIMARY KEY, time_us INT, uid INT, user TEXT, keyslot TEXT, pid INT,
 *        host TEXT, action TEXT, object TEXT, grp TEXT, outcome TEXT, error TEXT, mac BLOB,
 *        unauth INT, auth_sig BLOB NULL)  (since schema 2: unauth 1 for a record folded from
 *        audit_pending; auth_sig the officer authority key's 64-byte signature of an officer's
 *        record, NULL on every other)
 *        triggers: seq = last + 1, no UPDATE or DELETE (append-only for SQL clients; the MAC
 *        chain, not the triggers, is what stops someone who can edit the file).
 *   audit_pending(id INTEGER PRIMARY KEY, ...the audit fields but seq and mac...)  failures
 *        recorded before any key was unlocked; folded into the chain by the next unlocked process.
 *   checkpoints(seq INTEGER PRIMARY KEY, audit_seq INT, audit_mac BLOB, time INT, json BLOB,
 *        sig BLOB)  triggers: seq = last + 1, no UPDATE or DELETE.
 *   pending_unlinks(id TEXT PRIMARY KEY)  files of shredded objects not yet unlinked.
 *
 * Schema version 2 adds mac BLOB (the row's MAC, store/rowmac.h) to meta, keks, objects,
 * pending_unlinks, certificates and checkpoints, and
 *   holds(object TEXT, grp TEXT, ref TEXT, set_at INT, set_by TEXT, mac BLOB,
 *        PRIMARY KEY (object, grp, ref))  legal holds that stack: one row per hold of an
 *        object (grp '') or of a group (object ''), each with its case reference; replaces
 *        group_holds, and takes the single hold of each 0.1 object (objects.hold stays the
 *        object's "has a hold of its own", hold_reason the reference of its newest);
 *   meta 'holds_stacked_after': the last audit seq written before holds stacked (a hold.set
 *        up to it replaced the object's or group's hold, a hold.clear cleared it); absent in
 *        a store made with schema 2;
 *   row_digests(tbl TEXT PRIMARY KEY, count INT, xor BLOB, mac BLOB)  per table: its rows,
 *        the XOR of their MACs, and a MAC over both (docs/KEYS.md section 12).
 */
#include <stdio.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

/* The columns audit and audit_pending share. */
/* clang-format off */
#define AUDIT_FIELDS \
	"  time_us INTEGER NOT NULL," \
	"  uid     INTEGER NOT NULL," \
	"  user    TEXT NOT NULL," \
	"  keyslot TEXT NOT NULL," \
	"  pid     INTEGER NOT NULL," \
	"  host    TEXT NOT NULL," \
	"  action  TEXT NOT NULL," \
	"  object  TEXT NOT NULL," \
	"  grp     TEXT NOT NULL," \
	"  outcome TEXT NOT NULL," \
	"  error   TEXT NOT NULL"
/* clang-format on */

/*
 * Version 1. Triggers guard invariants against mistakes in lethe and in SQL clients; an
 * adversary who can write the file can drop them, which is why audit records carry a MAC chain
 * and certificates a signature. (One clause a line, as SQL reads: not for clang-format.)
 */
/* clang-format off */
static const char schema_v1[] =
	"PRAGMA application_id = " LT_SQ_STR(LT_SQ_APPLICATION_ID) ";"
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
	"                           length(wrapped_dek) = " LT_SQ_STR(LT_WRAPPED_LEN) "),"
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
	AUDIT_FIELDS ","
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
	AUDIT_FIELDS ");"
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
/* clang-format on */

/*
 * Version 2 (0.2.0):
 * - audit.unauth marks a record folded from audit_pending, written without a key
 *   (audit/chain.c): its MAC covers the mark, and nothing in it is attributed to an actor;
 * - audit.auth_sig: the officer authority key's signature of an officer's record (audit/record.c,
 *   docs/KEYS.md), which `audit verify` requires on every officer action;
 * - audit_time: the record with the latest time, found without a scan: a clock earlier than it
 *   stops shreds (T3, lib/clock.c), whatever records were appended after it;
 * - audit_object and audit_group: the newest hold, extension and put records of an object and
 *   of its group, found in a few index steps before each shred, which a rolled-back or
 *   rewritten row must agree with (lib/shred.c);
 * - holds: legal holds that stack (see the top of this file), with the 0.1 holds moved in and
 *   who placed each taken from the newest hold.set record of its object or group;
 * - row MACs (store/rowmac.h): every table lethe acts on gets a mac column (NULL until the
 *   first keyed open seals an upgraded store), and row_digests keeps, per table, the row count
 *   and the XOR of the rows' MACs under a MAC of its own. The append-only triggers of
 *   certificates and checkpoints let the seal fill in mac and nothing else.
 */
/* clang-format off */
#define MAC_COLUMN " ADD COLUMN mac BLOB CHECK (mac IS NULL OR length(mac) = 32);"
static const char schema_v2[] =
	"ALTER TABLE audit ADD COLUMN unauth INTEGER NOT NULL DEFAULT 0 CHECK (unauth IN (0, 1));"
	"ALTER TABLE audit ADD COLUMN auth_sig BLOB CHECK (auth_sig IS NULL OR length(auth_sig) = 64);"
	"CREATE INDEX audit_time ON audit (time_us, seq);"
	"CREATE INDEX audit_object ON audit (object, seq);"
	"CREATE INDEX audit_group ON audit (grp, action, seq);"
	"ALTER TABLE meta" MAC_COLUMN
	"ALTER TABLE keks" MAC_COLUMN
	"ALTER TABLE objects" MAC_COLUMN
	"ALTER TABLE pending_unlinks" MAC_COLUMN
	"ALTER TABLE certificates" MAC_COLUMN
	"ALTER TABLE checkpoints" MAC_COLUMN
	"DROP TRIGGER certificates_no_update;"
	"CREATE TRIGGER certificates_no_update BEFORE UPDATE OF seq, id, object_id, grp, reason,"
	"  shredded_at, json, sig, sha256 ON certificates"
	"  BEGIN SELECT RAISE(ABORT, 'disposal certificates are append-only'); END;"
	"DROP TRIGGER checkpoints_no_update;"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OF seq, audit_seq, audit_mac, time,"
	"  json, sig ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;"
	"CREATE TABLE row_digests ("
	"  tbl   TEXT PRIMARY KEY NOT NULL,"
	"  count INTEGER NOT NULL CHECK (count >= 0),"
	"  xor   BLOB NOT NULL CHECK (length(xor) = 32),"
	"  mac   BLOB NOT NULL CHECK (length(mac) = 32));"
	"CREATE TABLE holds ("
	"  object TEXT NOT NULL CHECK (object = '' OR length(object) = 36),"
	"  grp    TEXT NOT NULL,"
	"  ref    TEXT NOT NULL CHECK (length(CAST(ref AS BLOB)) BETWEEN 1 AND "
	LT_SQ_STR(LETHE_REASON_MAX) "),"
	"  set_at INTEGER NOT NULL,"
	"  set_by TEXT NOT NULL,"
	"  mac    BLOB CHECK (mac IS NULL OR length(mac) = 32),"
	"  PRIMARY KEY (object, grp, ref),"
	"  CHECK ((object = '') <> (grp = '')));"
	/* a 0.1 store's holds, with who placed each as its newest hold.set record says */
	"INSERT INTO holds (object, grp, ref, set_at, set_by)"
	"  SELECT '', g.grp, CASE g.reason WHEN '' THEN '(no reference)' ELSE g.reason END,"
	"  g.set_at, coalesce((SELECT a.user || ' (' || a.keyslot || ')'"
	"    FROM audit a WHERE a.grp = g.grp AND a.action = 'hold.set' AND a.object = ''"
	"    AND a.outcome = 'ok' ORDER BY a.seq DESC LIMIT 1), '')"
	"  FROM group_holds g;"
	/* (a held 0.1 object without a reference, which none could set, keeps its hold) */
	"UPDATE objects SET hold_reason = '(no reference)' WHERE hold = 1 AND hold_reason = '';"
	"INSERT INTO holds (object, grp, ref, set_at, set_by)"
	"  SELECT o.id, '', o.hold_reason, coalesce((SELECT a.time_us / 1000000 FROM audit a"
	"    WHERE a.object = o.id AND a.action = 'hold.set' AND a.outcome = 'ok'"
	"    ORDER BY a.seq DESC LIMIT 1), o.created_at),"
	"  coalesce((SELECT a.user || ' (' || a.keyslot || ')' FROM audit a WHERE a.object = o.id"
	"    AND a.action = 'hold.set' AND a.outcome = 'ok' ORDER BY a.seq DESC LIMIT 1), '')"
	"  FROM objects o WHERE o.hold = 1;"
	"DROP TABLE group_holds;"
	/* (a new store has no record before it: no row, which reads as 0) */
	"INSERT INTO meta (key, value) SELECT 'holds_stacked_after', CAST(max(seq) AS TEXT)"
	"  FROM audit HAVING count(*) > 0;";
#undef MAC_COLUMN
/* clang-format on */

/*
 * Version 3: object names encrypted at rest (docs/KEYS.md section 8). name_enc holds the name
 * encrypted under a key derived from the object's DEK (NULL once shredded, so the shred
 * destroys the name with the key); name_commit the HMAC of the name under its salt, which the
 * certificate states. Rows migrated keep name_commit NULL and their name in clear until the
 * first keyed open converts them (lib/names.c); the name column is '' afterwards.
 */
/* clang-format off */
static const char schema_v3[] =
	"ALTER TABLE objects ADD COLUMN name_enc BLOB CHECK (name_enc IS NULL OR"
	"  length(name_enc) BETWEEN 28 AND 1051);"
	"ALTER TABLE objects ADD COLUMN name_commit BLOB CHECK (name_commit IS NULL OR"
	"  length(name_commit) = 32);"
	/* the rows not yet converted, found at each open without a scan (empty once they are) */
	"CREATE INDEX objects_unconverted ON objects (id) WHERE name_commit IS NULL;";
/* clang-format on */
_Static_assert(LT_NAME_ENC_MIN == 28 && LT_NAME_ENC_MAX == 1051,
	       "schema_v3 states the bounds of name_enc as literals");

/*
 * Migrations, applied in order in one transaction. migrations[i] takes schema i to i + 1; a
 * schema change is one more entry here and LT_DB_SCHEMA_VERSION + 1.
 */
static const char *const migrations[] = {
    schema_v1,
    schema_v2,
    schema_v3,
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == LT_DB_SCHEMA_VERSION,
	       "one migration per schema version");

enum lethe_err lt_sq_pragma_int(struct lt_db *db, const char *sql, int64_t *value)
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
		rc = lt_sq_fail(db, src, sql);
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
			lt_sq_fail(db, src, "migration");
			return lt_err(LETHE_ERR_DATABASE, "%s: migration to schema %lld failed: %s",
				      db->path, (long long) v + 1, sqlite3_errmsg(db->sql));
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", LT_DB_SCHEMA_VERSION);
	src = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
	return src == SQLITE_OK ? LETHE_OK : lt_sq_fail(db, src, "migration");
}

/* The common case (already there) takes no lock. */
enum lethe_err lt_sq_migrate(struct lt_db *db)
{
	int64_t version = 0;
	enum lethe_err rc;

	rc = lt_sq_pragma_int(db, "PRAGMA user_version", &version);
	if (rc != LETHE_OK || version == LT_DB_SCHEMA_VERSION)
		return rc;
	rc = lt_db_begin(db);
	if (rc != LETHE_OK)
		return rc;
	/* Again under the write lock: another process may have migrated meanwhile. */
	rc = lt_sq_pragma_int(db, "PRAGMA user_version", &version);
	if (rc == LETHE_OK && version > LT_DB_SCHEMA_VERSION)
		rc = lt_err(LETHE_ERR_DATABASE, "%s was created by a newer lethe (schema %lld)",
			    db->path, (long long) version);
	if (rc == LETHE_OK && version < LT_DB_SCHEMA_VERSION)
		rc = apply_migrations(db, version);
	if (rc == LETHE_OK)
		return lt_db_commit(db);
	lt_db_rollback(db);
	return rc;
}
