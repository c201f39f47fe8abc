/* open.c - opening the SQLite metadata store (private files, WAL, secure_delete, lethe's own
 * schema), transactions, and its maintenance: checkpoints, consistency checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "store/sqlite/sqlite.h"

/* Paths the store handles; the database's own name plus "-wal" must fit. */
#define DB_PATH_MAX 4096

/* ---------------------------------------------------------------------------------------- */
/* Open and close                                                                           */

/* Refuse a WAL or shared-memory file that others can read: the WAL holds the same rows. */
static enum lethe_err check_sidecar(const char *path, const char *suffix)
{
	char side[DB_PATH_MAX];
	struct stat st;

	if (snprintf(side, sizeof(side), "%s%s", path, suffix) >= (int) sizeof(side))
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
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char name[DB_PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) < (int) sizeof(name))
			(void) unlink(name);
}

/* Connection settings that hold for this handle only; none of them touches the file. */
static enum lethe_err configure(struct lt_db *db)
{
	static const char pragmas[] =
	    "PRAGMA trusted_schema = OFF;" /* schema code cannot call side-effect functions */
	    "PRAGMA cell_size_check = ON;" /* catch corrupt pages before using them */
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA recursive_triggers = ON;" /* REPLACE fires delete triggers (append-only) */
	    "PRAGMA temp_store = MEMORY;"     /* sorts never spill rows to temporary files */
	    "PRAGMA cache_size = -16384;";    /* 16 MiB: index pages of millions of objects */
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
		return lt_sq_fail(db, src, "configure");
	/* secure_delete overwrites freed cells: a shredded DEK's bytes do not linger in pages. */
	rc = lt_sq_pragma_int(db, "PRAGMA secure_delete = ON", &on);
	if (rc == LETHE_OK && on != 1)
		rc = lt_err(LETHE_ERR_DATABASE, "%s: secure_delete cannot be enabled", db->path);
	if (rc == LETHE_OK)
		rc = lt_sq_pragma_int(db, "PRAGMA foreign_keys", &on);
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

	rc = lt_sq_pragma_int(db, "PRAGMA application_id", &app);
	if (rc == LETHE_OK)
		rc = lt_sq_pragma_int(db, "PRAGMA user_version", &version);
	if (rc == LETHE_OK)
		rc = lt_sq_pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
	if (rc != LETHE_OK)
		return rc;
	if (create)
		return LETHE_OK; /* our own empty file */
	if (app != LT_SQ_APPLICATION_ID)
		return lt_err(LETHE_ERR_DATABASE, "%s is not a lethe database (%s)", db->path,
			      tables == 0 ? "it is empty: did init finish?"
					  : "another application's SQLite database");
	if (version > LT_DB_SCHEMA_VERSION)
		return lt_err(LETHE_ERR_DATABASE,
			      "%s was created by a newer lethe (schema %lld; "
			      "this build knows up to %d): upgrade lethe",
			      db->path, (long long) version, LT_DB_SCHEMA_VERSION);
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
		rc = lt_sq_fail(db, src, "journal_mode");
		goto out;
	}
	mode = sqlite3_column_text(st, 0);
	if (!mode || strcmp((const char *) mode, "wal") != 0) {
		rc = lt_err(LETHE_ERR_DATABASE,
			    "%s: cannot use WAL mode (journal mode stays %s); "
			    "is the store on a network file system?",
			    db->path, mode ? (const char *) mode : "unknown");
		goto out;
	}
	rc = lt_sq_pragma_int(db, "PRAGMA synchronous = FULL", &sync);
	if (rc == LETHE_OK)
		rc = lt_sq_pragma_int(db, "PRAGMA synchronous", &sync);
	if (rc == LETHE_OK && sync != 2)
		rc = lt_err(LETHE_ERR_DATABASE, "%s: synchronous=FULL cannot be set", db->path);
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * A read-only connection (a snapshot, a read-only mount, a full disk): nothing is written,
 * not even the -shm wal-index or an empty -wal. SQLite reads a WAL database read-only
 * when the -shm file exists or can be created; on a read-only or full file system without one
 * it cannot, and there the database is opened "immutable" (no locks, no wal-index, no -wal).
 * That is exact only when meta.db alone holds every commit: with a non-empty -wal and no
 * usable -shm the commits in the -wal would be silently missing, so that case is refused.
 */
static enum lethe_err uri_of(const char *path, const char *params, char *uri, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	n += (size_t) snprintf(uri, cap, "file:");
	for (const unsigned char *c = (const unsigned char *) path; *c && n + 4 < cap; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("/-._~", *c)) {
			uri[n++] = (char) *c;
		} else {
			uri[n++] = '%';
			uri[n++] = hex[*c >> 4];
			uri[n++] = hex[*c & 15];
		}
	}
	if (n + strlen(params) + 2 >= cap)
		return lt_err(LETHE_ERR_INVALID, "%s: path too long", path);
	snprintf(uri + n, cap - n, "?%s", params);
	return LETHE_OK;
}

static enum lethe_err open_uri(struct lt_db *db, const char *params)
{
	int flags =
	    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	char uri[3 * DB_PATH_MAX + 32];
	enum lethe_err rc;
	int src;

	sqlite3_close_v2(db->sql);
	db->sql = NULL;
	rc = uri_of(db->path, params, uri, sizeof(uri));
	if (rc != LETHE_OK)
		return rc;
	src = sqlite3_open_v2(uri, &db->sql, flags, NULL);
	if (src != SQLITE_OK)
		return lt_sq_fail(db, src, "open read-only");
	rc = configure(db);
	if (rc == LETHE_OK)
		rc = identify(db, false);
	return rc;
}

/* Whether the -wal holds anything: a missing or empty one holds no commit. */
static enum lethe_err wal_is_empty(const char *path, bool *empty)
{
	char wal[DB_PATH_MAX];
	struct stat st;

	*empty = false;
	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int) sizeof(wal))
		return lt_err(LETHE_ERR_INVALID, "%s: path too long", path);
	if (lstat(wal, &st) != 0) {
		if (errno != ENOENT)
			return lt_err_errno(LETHE_ERR_IO, errno, "%s", wal);
		*empty = true;
	} else {
		*empty = st.st_size == 0;
	}
	return LETHE_OK;
}

static enum lethe_err connect_read_only(struct lt_db *db)
{
	enum lethe_err rc = open_uri(db, "mode=ro");
	struct lt_err_saved saved;
	bool empty = false;

	if (rc != LETHE_ERR_IO && rc != LETHE_ERR_NOSPC)
		goto check_version;
	/* SQLite could not open or create the -shm wal-index (EROFS, EACCES, ENOSPC) */
	lt_err_save(&saved);
	rc = wal_is_empty(db->path, &empty);
	if (rc != LETHE_OK)
		return rc;
	if (!empty)
		return lt_err(LETHE_ERR_IO,
			      "%s-wal holds commits that cannot be read without a usable %s-shm "
			      "(%s): copy the store to a writable place and open the copy",
			      db->path, db->path, saved.text);
	rc = open_uri(db, "immutable=1");
check_version:
	if (rc == LETHE_OK) {
		int64_t version = 0;

		rc = lt_sq_pragma_int(db, "PRAGMA user_version", &version);
		/* migrating writes: an older schema is opened writable once, by this lethe */
		if (rc == LETHE_OK && version != LT_DB_SCHEMA_VERSION)
			rc = lt_err(LETHE_ERR_DATABASE,
				    "%s has schema %lld and this lethe needs %d: open it once "
				    "where it can be written to upgrade it",
				    db->path, (long long) version, LT_DB_SCHEMA_VERSION);
	}
	return rc;
}

static enum lethe_err connect_db(struct lt_db *db, bool create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	enum lethe_err rc;
	int src;

	src = sqlite3_open_v2(db->path, &db->sql, flags, NULL);
	if (src != SQLITE_OK)
		return lt_sq_fail(db, src, "open");
	rc = configure(db);
	if (rc == LETHE_OK)
		rc = identify(db, create);
	if (rc == LETHE_OK)
		rc = set_durability(db);
	if (rc == LETHE_OK)
		rc = lt_sq_migrate(db);
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

/* A handle for @p path, nothing connected yet. */
static enum lethe_err db_new(const char *path, struct lt_db **out)
{
	struct lt_db *db;
	enum lethe_err rc;

	*out = NULL;
	if (!path || !*path || strlen(path) >= DB_PATH_MAX - 16)
		return lt_err(LETHE_ERR_INVALID, "database path missing or too long");
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
		lt_db_close(db);
		return rc;
	}
	db->busy_ms = LT_SQ_BUSY_MS;
	*out = db;
	return LETHE_OK;
}

enum lethe_err lt_db_open_read_only(const char *path, struct lt_db **out)
{
	struct lt_db *db = NULL;
	enum lethe_err rc;

	*out = NULL;
	rc = db_new(path, &db);
	if (rc != LETHE_OK)
		return rc;
	db->read_only = true;
	rc = check_existing(path);
	if (rc == LETHE_OK)
		rc = connect_read_only(db);
	if (rc != LETHE_OK) {
		lt_db_close(db);
		return rc;
	}
	*out = db;
	return LETHE_OK;
}

bool lt_db_read_only(const struct lt_db *db)
{
	return db && db->read_only;
}

enum lethe_err lt_db_open(const char *path, bool create, struct lt_db **out)
{
	char parent[DB_PATH_MAX];
	struct lt_db *db = NULL;
	bool created = false;
	enum lethe_err rc;

	*out = NULL;
	rc = db_new(path, &db);
	if (rc != LETHE_OK)
		return rc;
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
	for (int i = 0; i < SQ_COUNT; i++)
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

/* A read-only handle never starts a write: its callers say why in their own words first. */
static enum lethe_err refuse_read_only(const struct lt_db *db, const char *what)
{
	return lt_err(LETHE_ERR_IO, "%s: %s: the database is open read-only", db->path, what);
}

enum lethe_err lt_db_begin(struct lt_db *db)
{
	enum lethe_err rc;

	if (db->read_only)
		return refuse_read_only(db, "begin");
	rc = lt_sq_run(db, &lt_sq_begin);
	lt_sq_auth_reset(db);
	return rc;
}

/* A failed COMMIT leaves no transaction open behind it. The digests the transaction changed
 * are written first, in it. */
enum lethe_err lt_db_commit(struct lt_db *db)
{
	enum lethe_err rc = lt_sq_auth_flush(db);

	if (rc == LETHE_OK)
		rc = lt_sq_run(db, &lt_sq_commit);
	if (rc != LETHE_OK && lt_sq_in_tx(db))
		lt_sq_run_quiet(db, &lt_sq_rollback);
	lt_sq_auth_reset(db);
	return rc;
}

void lt_db_rollback(struct lt_db *db)
{
	if (db && lt_sq_in_tx(db))
		lt_sq_run_quiet(db, &lt_sq_rollback);
	if (db)
		lt_sq_auth_reset(db);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TRUNCATE checkpoint: copy every frame back and cut the WAL to zero bytes, so frames that
 * held shredded DEKs no longer exist in it (secure_delete already zeroes what is freed in the
 * database file). SQLite returns SQLITE_BUSY at once, without calling the busy
 * handler, while another connection holds the checkpoint lock (its auto-checkpoint after a
 * commit, another sweep or retire): under concurrent writers that is frequent, so retry for
 * as long as the busy timeout allows. */
enum lethe_err lt_db_purge(struct lt_db *db)
{
	int64_t start = monotonic_ms();
	int log = 0, done = 0;
	int src;

	if (db->read_only)
		return refuse_read_only(db, "wal checkpoint");
	for (;;) {
		src = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log,
						&done);
		if ((src & 0xff) != SQLITE_BUSY || monotonic_ms() - start >= db->busy_ms)
			break;
		usleep(10000);
	}
	if (src != SQLITE_OK)
		return lt_sq_fail(db, src, "wal checkpoint");
	return LETHE_OK;
}

/*
 * wal_autocheckpoint: after a commit that leaves more than that many pages in the WAL, SQLite
 * copies them into the database and fsyncs it. A bulk run raises it from SQLite's default:
 * each sweep batch dirties about a thousand scattered pages, and a checkpoint after every
 * batch writes them a second time and adds an fsync; the run ends with lt_db_purge() anyway.
 */
void lt_db_bulk(struct lt_db *db, bool on)
{
	/* only fails for a closed handle */
	(void) sqlite3_wal_autocheckpoint(db->sql,
					  on ? LT_SQ_BULK_AUTOCHECKPOINT : LT_SQ_AUTOCHECKPOINT);
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
		if (!ok_row || !text || strcmp((const char *) text, "ok") != 0) {
			char line[256];

			/* the detail is one line: quick_check rows may hold several */
			snprintf(line, sizeof(line), "%s", text ? (const char *) text : "problem");
			for (char *c = line; *c; c++)
				if (*c == '\n' || *c == '\r')
					*c = ' ';
			rc = lt_err(LETHE_ERR_DATABASE, "%s: %s: %s", db->path,
				    ok_row ? sql : "consistency check", line);
		}
	} else if (src != SQLITE_DONE) {
		rc = lt_sq_fail(db, src, sql);
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
	enum lethe_err rc = lt_sq_pragma_int(db, "PRAGMA user_version", &v);

	*version = (int) v;
	return rc;
}
