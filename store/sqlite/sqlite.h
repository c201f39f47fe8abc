/* sqlite.h - what the files of the SQLite metadata backend share: the handle, the statement
 * cache, the query helpers and the one pager. Private to store/sqlite/: nothing outside it
 * includes this header (or sqlite3.h).
 *
 * Each table family has its file (meta.c, kek.c, object.c, hold.c, unlink.c, cert.c, audit.c,
 * checkpoint.c) holding its SQL next to the code that binds and reads it; query.c turns SQLite
 * into enum lethe_err and keeps the prepared statements; pager.c walks any keyset-paginated
 * query; schema.c creates and migrates the schema; open.c opens, checks and maintains the file.
 */
#ifndef LT_STORE_SQLITE_H
#define LT_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/rowmac.h"

/* "LETH": tells a lethe database from any other SQLite file before anything is written. */
#define LT_SQ_APPLICATION_ID 0x4c455448
#define LT_SQ_BUSY_MS        30000
/* Rows read per statement by the iterating calls: bounds memory, and no statement stays
 * active while callbacks run. */
#define LT_SQ_PAGE 128
/* The text position of a page: ids, and the over-long ones of a malformed row. */
#define LT_SQ_POS_MAX 256
/* wal_autocheckpoint in pages: SQLite's default, and while lt_db_bulk() is on (64 MiB) */
#define LT_SQ_AUTOCHECKPOINT      1000
#define LT_SQ_BULK_AUTOCHECKPOINT 16384

#define LT_SQ_STR_(x) #x
#define LT_SQ_STR(x)  LT_SQ_STR_(x)

/*
 * One slot per statement in the handle's cache of prepared statements. The SQL itself is
 * defined by the file of its table family (a struct lt_sq); this list only numbers them.
 */
enum lt_sq_slot {
	/* query.c */
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
	/* meta.c */
	SQ_META_SET,
	SQ_META_GET,
	/* kek.c */
	SQ_KEK_MAX,
	SQ_KEK_UNSET_PRIMARY,
	SQ_KEK_INSERT,
	SQ_KEK_GET,
	SQ_KEK_PRIMARY,
	SQ_KEK_PAGE,
	SQ_KEK_COUNT,
	SQ_KEK_RETIRE,
	/* object.c */
	SQ_OBJ_INSERT,
	SQ_OBJ_GET,
	SQ_OBJ_STATE,
	SQ_OBJ_LIST_ALL,
	SQ_OBJ_LIST_GROUP,
	SQ_OBJ_EXPIRED,
	SQ_OBJ_KEK_PAGE,
	SQ_OBJ_KEK_NEXT,
	SQ_OBJ_BY_ID,
	SQ_OBJ_WITH_DEK,
	SQ_OBJ_TOTALS_AFTER,
	SQ_OBJ_SHRED,
	SQ_OBJ_HOLD_SET,
	SQ_OBJ_HOLD_CLEAR,
	SQ_OBJ_SET_UNTIL,
	SQ_GROUP_UNTIL,
	SQ_GROUP_OVERFLOW,
	SQ_GROUP_BY,
	SQ_OBJ_SET_DEK,
	SQ_OBJ_COUNT_LIVE,
	SQ_OBJ_COUNT_SHREDDED,
	SQ_OBJ_UNCONVERTED,
	SQ_OBJ_SET_NAME,
	/* unlink.c */
	SQ_UNLINK_ADD,
	SQ_UNLINK_PAGE,
	SQ_UNLINK_DONE,
	/* hold.c */
	SQ_HOLD_ADD,
	SQ_HOLD_GET,
	SQ_HOLD_REMOVE,
	SQ_HOLD_OF,
	SQ_HOLD_ALL,
	/* cert.c */
	SQ_CERT_INSERT,
	SQ_CERT_LAST,
	SQ_CERT_PAGE,
	SQ_CERT_COUNT,
	SQ_CERT_FOR_OBJECT,
	/* audit.c */
	SQ_AUDIT_LAST,
	SQ_AUDIT_LATEST,
	SQ_AUDIT_INSERT,
	SQ_AUDIT_PAGE,
	SQ_AUDIT_FIND_ACTION,
	SQ_AUDIT_ACTION_LAST_TIME,
	SQ_AUDIT_COUNT_OUTCOME,
	SQ_AUDIT_MAC_AT,
	SQ_AUDIT_NEWEST_OBJECT,
	SQ_AUDIT_NEWEST_GROUP,
	SQ_AUDIT_HOLDS_OBJECT,
	SQ_AUDIT_HOLDS_GROUP,
	SQ_AUDIT_GROUP_SINCE,
	SQ_AUDIT_OLDEST_OBJECT,
	SQ_PENDING_ADD,
	SQ_PENDING_PAGE,
	SQ_PENDING_DELETE,
	/* checkpoint.c */
	SQ_CP_INSERT,
	SQ_CP_PAGE,
	SQ_CP_NEXT,
	/* rowauth.c, and the per-table statements of struct lt_sq_table */
	SQ_DIGEST_GET,
	SQ_DIGEST_SET,
	SQ_DIGEST_ANY,
	SQ_SEAL_RECORD,
	SQ_KEK_SET_ROW,
	SQ_CERT_NEXT,
	SQ_CERT_NEWEST,
	SQ_CP_NEWEST,
	SQ_TABLE_FIRST,
	SQ_TABLE_LAST = SQ_TABLE_FIRST + 4 * LT_ROW_TABLES - 1,
	SQ_COUNT
};

/*
 * A statement: its cache slot, what it is called in error details, and its SQL. "state = 0"
 * is written out, never bound: only a literal lets the planner use the partial indexes.
 */
struct lt_sq {
	enum lt_sq_slot slot;
	const char *what;
	const char *sql;
};

/* A table's digest as this handle knows it (rowauth.c). */
struct lt_sq_digest {
	bool loaded; /* read and verified in the current write transaction */
	bool dirty;  /* changed: written before the commit */
	uint64_t count;
	uint8_t xor_of_macs[LT_ROWMAC_LEN];
};

#define LT_SQ_SAVEPOINTS 4

/* Row authentication state of a handle (rowauth.c). */
struct lt_sq_auth {
	lt_db_row_auth_fn fn; /* NULL: a handle without keys */
	void *ctx;
	struct lt_sq_digest d[LT_ROW_TABLES];
	/* small tables whose rows were all checked against the digest in this transaction */
	bool verified[LT_ROW_TABLES];
	/* the digests as they were when each open savepoint began */
	struct lt_sq_digest saved[LT_SQ_SAVEPOINTS][LT_ROW_TABLES];
	int depth;
	/* Rows read checked (or written) earlier in this transaction, which no other writer can
	 * change before it ends: a sweep chains each certificate to the one before and asks about
	 * the same group's hold for every object of a batch. Forgotten at its end and when a
	 * savepoint rolls back. */
	struct {
		bool known;
		uint64_t seq;
		uint8_t sha256[32];
	} cert_newest;
	struct {
		bool known;
		bool held, has_mac;
		char group[LETHE_GROUP_MAX + 1];
		char reason[LETHE_REASON_MAX + 1];
		uint8_t mac[LT_ROWMAC_LEN];
	} ghold;
};

struct lt_db {
	sqlite3 *sql;
	struct lt_sq_auth auth;
	char *path;
	int busy_ms;
	bool read_only;                /* lt_db_open_read_only(): no transaction, no checkpoint */
	sqlite3_stmt *stmts[SQ_COUNT]; /* prepared on first use, finalized by lt_db_close */
	const struct lt_sq *defs[SQ_COUNT]; /* which statement each slot holds */
};

/* ---- errors (query.c) ---- */

/* Record why SQLite failed (@p rc), once, naming the file and the operation. */
enum lethe_err lt_sq_fail(const struct lt_db *db, int rc, const char *what);

/* ---- one use of a cached statement (query.c) ---- */

/*
 * Open, bind, step, read, close. Bind and read errors are kept in the struct and reported by
 * lt_sq_step() / the caller (q->err), so call sites stay a list of binds and reads.
 */
struct lt_sq_query {
	struct lt_db *db;
	const struct lt_sq *def;
	sqlite3_stmt *st;
	int bind_rc;        /* first failed bind */
	enum lethe_err err; /* first malformed column */
};

enum lethe_err lt_sq_open(struct lt_sq_query *q, struct lt_db *db, const struct lt_sq *def);
/* Reset and unbind: no read transaction stays open and no caller buffer stays bound. */
void lt_sq_close(struct lt_sq_query *q);

void lt_sq_int(struct lt_sq_query *q, int i, int64_t v);
/* Bind at most @p max bytes of @p s (NULL binds ""): fixed arrays need not be terminated. */
void lt_sq_text(struct lt_sq_query *q, int i, const char *s, size_t max);
/* A zero-length blob, not NULL, when @p len is 0. */
void lt_sq_blob(struct lt_sq_query *q, int i, const void *p, size_t len);

/* Step once: *row says whether a row came back. */
enum lethe_err lt_sq_step(struct lt_sq_query *q, bool *row);
/* Step a statement that returns no rows. */
enum lethe_err lt_sq_exec(struct lt_sq_query *q);
/* Rows changed by the statement just stepped. */
int64_t lt_sq_changes(const struct lt_sq_query *q);
/* The rowid of the row the statement just stepped inserted. */
int64_t lt_sq_last_rowid(const struct lt_sq_query *q);

int64_t lt_sq_get_int(struct lt_sq_query *q, int col);
bool lt_sq_get_null(struct lt_sq_query *q, int col);
/* An integer column that must lie in [lo, hi] (else q->err, database corrupt). */
int64_t lt_sq_get_range(struct lt_sq_query *q, int col, int64_t lo, int64_t hi);
/* A NOT NULL text column into @p buf; longer than @p cap - 1 bytes is corruption. */
void lt_sq_get_text(struct lt_sq_query *q, int col, char *buf, size_t cap);
/* A blob of exactly @p len bytes; NULL is allowed only when @p present is given. */
void lt_sq_get_blob(struct lt_sq_query *q, int col, uint8_t *buf, size_t len, bool *present);
/* A blob of any length, copied to a malloc'd buffer (the caller frees it). */
uint8_t *lt_sq_dup_blob(struct lt_sq_query *q, int col, size_t *len);
/* A blob of any length in place (valid until the next step or close); NULL when empty. */
const void *lt_sq_peek_blob(struct lt_sq_query *q, int col, size_t *len);

/* Open, step and close a statement without parameters; lt_sq_run_quiet() keeps the error
 * detail of a path that is already failing. */
enum lethe_err lt_sq_run(struct lt_db *db, const struct lt_sq *def);
void lt_sq_run_quiet(struct lt_db *db, const struct lt_sq *def);
/* Open, step and close a statement whose one parameter, ?1, is @p text (at most @p max bytes). */
enum lethe_err lt_sq_run_text(struct lt_db *db, const struct lt_sq *def, const char *text,
			      size_t max);

/* A query returning one integer (count, max, EXISTS): ?1 = @p text, or else @p arg when the
 * statement has a parameter; ?2 = @p arg2 when it has two. */
enum lethe_err lt_sq_query_int(struct lt_db *db, const struct lt_sq *def, const char *text,
			       int64_t arg, int64_t arg2, int64_t *out);

/* The newest row's seq (column 0) and 32-byte blob (column 1); 0 and zeros when none. */
enum lethe_err lt_sq_last_row(struct lt_db *db, const struct lt_sq *def, uint64_t *seq,
			      uint8_t out[32]);

/* ---- transactions (query.c) ---- */

extern const struct lt_sq lt_sq_begin, lt_sq_commit, lt_sq_rollback;

/* True while a transaction is open on the handle. */
bool lt_sq_in_tx(const struct lt_db *db);

/*
 * A call that runs several statements must not leave half its work behind: it takes its own
 * BEGIN IMMEDIATE when the caller holds no transaction (so the write lock is taken up front,
 * with the busy timeout, instead of failing on a stale read snapshot), or a savepoint inside
 * the caller's transaction. lt_sq_call_end() commits (or releases) on @p rc == LETHE_OK, else
 * rolls back, and returns the outcome.
 */
enum lethe_err lt_sq_call_begin(struct lt_db *db, bool *own);
enum lethe_err lt_sq_call_end(struct lt_db *db, bool own, enum lethe_err rc);
/*
 * The same for a call that writes with one statement and then changes the digest of @p table
 * (a rewrap's UPDATE, a dequeued unlink's DELETE, a certificate's INSERT): inside the
 * caller's transaction it takes no savepoint, since a statement that fails leaves nothing
 * behind and the digest is loaded before it (nothing after the statement can fail). Outside
 * one it is lt_sq_call_begin(). A rewrap or a sweep makes one such call per row.
 */
enum lethe_err lt_sq_call1_begin(struct lt_db *db, enum lt_row_table table, bool *own);
enum lethe_err lt_sq_call1_end(struct lt_db *db, bool own, enum lethe_err rc);

/* ---- the pager (pager.c) ---- */

/* The rows an iterating call delivers, and so which of its caller's callbacks takes them. */
enum lt_sq_rows {
	LT_SQ_KEKS,
	LT_SQ_OBJECTS,
	LT_SQ_IDS,
	LT_SQ_CERTS,
	LT_SQ_AUDIT,
	LT_SQ_CHECKPOINTS,
};

union lt_sq_fn {
	lt_db_kek_fn kek;
	lt_db_object_fn object;
	lt_db_id_fn id;
	lt_db_cert_fn cert;
	lt_db_audit_fn audit;
	lt_db_checkpoint_fn checkpoint;
};

struct lt_sq_pager;
/* Copy the current row into @p row and set the pager's position to it. */
typedef void (*lt_sq_read_fn)(struct lt_sq_query *q, struct lt_sq_pager *p, void *row);

/*
 * A keyset-paginated query: each page is one statement from the position after the last row
 * delivered, copied out and closed before any row is delivered. So deliveries may change the
 * rows (shred, rewrap, delete) and may call any lt_db_* function, and each page costs an index
 * seek plus what it returns.
 *
 * Every page query takes ?1 = the position (an integer key), ?2 = the position's text key
 * (an id), ?3 = the page size; @p bind binds what else it needs (?4 and up).
 */
struct lt_sq_pager {
	const struct lt_sq *query;
	size_t row_size; /* bytes of one copied row */
	size_t limit;    /* rows still to deliver (SIZE_MAX: all) */
	int64_t pos;     /* ?1 */
	/* ?2: room for a malformed (over-long) id too, so that a scan moves past it */
	char pos_id[LT_SQ_POS_MAX];
	/* bind ?4 and up (NULL: nothing more) */
	void (*bind)(struct lt_sq_query *q, const struct lt_sq_pager *p);
	lt_sq_read_fn read;
	/* free what read allocated in @p row (NULL: nothing) */
	void (*release)(void *row);
	/* rows go to fn.<rows>(row, fn_ctx), or to @p deliver when it is set: non-zero stops
	 * the walk (a deliver that fails sets rc) */
	enum lt_sq_rows rows;
	union lt_sq_fn fn;
	void *fn_ctx;
	int (*deliver)(struct lt_sq_pager *p, void *row);
	void *ctx;         /* the caller's, for bind, read and deliver */
	enum lethe_err rc; /* why a delivery stopped the walk, if it failed */
	bool stopped;      /* a delivery stopped the walk */
};

/* A pager over every row of @p query from the start (position 0, ""), for @p rows. */
void lt_sq_pager_init(struct lt_sq_pager *p, const struct lt_sq *query, size_t row_size,
		      lt_sq_read_fn read, enum lt_sq_rows rows, void *fn_ctx);

/* Walk the pages until the query returns a short page, @p p->limit rows went out, or a
 * delivery stopped; may be called again with a new position (the limit carries over). */
enum lethe_err lt_sq_page(struct lt_db *db, struct lt_sq_pager *p);

/* For a read function: *@p blob, which points into the statement, replaced by a copy of its
 * @p len bytes that outlives it (the pager's release frees it); NULL when reading the row
 * failed already, or on failure ("@p what: out of memory" into q->err). */
void lt_sq_keep_blob(struct lt_sq_query *q, const uint8_t **blob, size_t len, const char *what);

/* What a full listing saw of its table: the rows, and their MACs XORed. */
struct lt_sq_tally {
	uint64_t count;
	uint8_t xor_of_macs[LT_ROWMAC_LEN];
};

/* One row a full listing saw: counted, and its @p mac XORed in when @p present. */
void lt_sq_tally_add(struct lt_sq_tally *t, const uint8_t mac[LT_ROWMAC_LEN], bool present);

/*
 * Page @p p over the whole of @p table (its read function adds each row to the struct
 * lt_sq_tally at p->ctx, set here); unless a delivery stopped the walk, the rows seen must be
 * what the table's digest says (lt_sq_digest_match()): none deleted or inserted outside lethe.
 */
enum lethe_err lt_sq_page_whole(struct lt_db *db, struct lt_sq_pager *p, enum lt_row_table table);

/* ---- schema (schema.c) ---- */

/* Create or migrate the schema to LT_DB_SCHEMA_VERSION (takes the write lock only when it
 * must change). */
enum lethe_err lt_sq_migrate(struct lt_db *db);

/* A single-row PRAGMA or query (or none: *value stays 0), prepared for this use only. */
enum lethe_err lt_sq_pragma_int(struct lt_db *db, const char *sql, int64_t *value);

/* ---- row authentication (rowauth.c) ---- */

/* How the rows of one table are walked, checked and sealed (each table family defines its
 * own): walk is "SELECT <columns>, mac, rowid FROM t WHERE rowid > ?1 ORDER BY rowid LIMIT
 * ?3"; encode builds the row's encoding from the current row of a walk (or of any query with
 * the same leading columns) and names its key in @p key; it records a malformed column in
 * q->err. */
struct lt_sq_table {
	enum lt_row_table table;
	int ncols;            /* columns before mac, rowid in walk */
	struct lt_sq walk;    /* ... WHERE rowid > ?1 ORDER BY rowid LIMIT ?3 */
	struct lt_sq macs;    /* SELECT mac FROM t */
	struct lt_sq count;   /* SELECT count(*) FROM t */
	struct lt_sq set_mac; /* UPDATE t SET mac = ?2 WHERE rowid = ?1 */
	void (*encode)(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap);
};

/* The slot of statement @p k (0..3) of table @p t. */
#define LT_SQ_TSLOT(t, k) ((enum lt_sq_slot)(SQ_TABLE_FIRST + 4 * (t) + (k)))

/* The struct lt_sq_table of table family @p t: the SQL table @p name (a string literal) whose
 * columns @p cols end with its mac, column @p ncols, and the row encoder @p encode. */
#define LT_SQ_TABLE(t, name, cols, ncols, encode)                                                  \
	{                                                                                          \
		(t), (ncols),                                                                      \
		    {LT_SQ_TSLOT(t, 0), name " walk",                                              \
		     "SELECT " cols ", rowid FROM " name                                           \
		     " WHERE rowid > ?1 ORDER BY rowid LIMIT ?3"},                                 \
		    {LT_SQ_TSLOT(t, 1), name " macs", "SELECT mac FROM " name},                    \
		    {LT_SQ_TSLOT(t, 2), name " count", "SELECT count(*) FROM " name},              \
		    {LT_SQ_TSLOT(t, 3), name " seal",                                              \
		     "UPDATE " name " SET mac = ?2 WHERE rowid = ?1"},                             \
		    (encode),                                                                      \
	}

extern const struct lt_sq_table lt_sq_meta_table, lt_sq_kek_table, lt_sq_object_table,
    lt_sq_hold_table, lt_sq_unlink_table, lt_sq_cert_table, lt_sq_cp_table;

/* Whether the handle authenticates rows. */
bool lt_sq_keyed(const struct lt_db *db);

/* The MAC of @p e (freed here) into @p mac. */
enum lethe_err lt_sq_mac(struct lt_db *db, struct lt_rowenc *e, uint8_t mac[LT_ROWMAC_LEN]);

/*
 * Check row @p key of @p table: @p e (freed here) against the stored @p mac (@p present false
 * when the column was NULL). LETHE_OK on a handle without keys. LETHE_ERR_INTEGRITY with
 * "meta.db: TABLE row KEY: ..." otherwise.
 */
enum lethe_err lt_sq_verify(struct lt_db *db, enum lt_row_table table, const char *key,
			    struct lt_rowenc *e, const uint8_t *mac, bool present);

/* A row of @p table went from @p old_mac to @p new_mac (NULL: absent, an insert or a delete):
 * its digest follows, in the current transaction. A no-op without keys. */
enum lethe_err lt_sq_digest_change(struct lt_db *db, enum lt_row_table table,
				   const uint8_t *old_mac, const uint8_t *new_mac);

/*
 * An insert into an append-only table numbered by seq (certificates, checkpoints): seq = last
 * + 1 (@p next: "SELECT coalesce(max(seq), 0) + 1 FROM t"), the row's MAC when the handle has
 * keys (@p encode: the row's encoding with that seq), @p insert with ?1 = seq, what @p bind
 * binds and the MAC as ?@p mac_param, then the table's digest. *@p seq receives the seq.
 */
struct lt_sq_append {
	const struct lt_sq *next, *insert;
	enum lt_row_table table;
	int mac_param;
	void (*encode)(struct lt_rowenc *e, const void *row, uint64_t seq);
	void (*bind)(struct lt_sq_query *q, const void *row);
};
enum lethe_err lt_sq_append(struct lt_db *db, const struct lt_sq_append *a, const void *row,
			    uint64_t *seq);

/* Load (read and check) the digest of @p table for the rest of the write transaction, so that
 * a lt_sq_digest_change() after it cannot fail. A no-op without keys or outside one. */
enum lethe_err lt_sq_digest_load(struct lt_db *db, enum lt_row_table table);

/* The rows of a small table, as a set, still match its digest: none deleted or inserted
 * (once per write transaction; every time outside one). A no-op without keys. */
enum lethe_err lt_sq_table_verify(struct lt_db *db, enum lt_row_table table);

/* A table walked whole (a full listing): @p count rows whose MACs XOR to @p xor_of_macs must
 * be what its digest says. A no-op without keys. */
enum lethe_err lt_sq_digest_match(struct lt_db *db, enum lt_row_table table, uint64_t count,
				  const uint8_t xor_of_macs[LT_ROWMAC_LEN]);

/*
 * The current row of @p q, a query whose leading columns are those of @p t's walk with the MAC
 * after them, checked against that MAC (t->encode builds its encoding and key), into q->err;
 * *@p mac receives the stored MAC, *@p present whether there was one. Nothing is checked on a
 * handle without keys, or once reading the row failed.
 */
void lt_sq_row_check(struct lt_sq_query *q, const struct lt_sq_table *t, uint8_t mac[LT_ROWMAC_LEN],
		     bool *present);

/* Transaction hooks (query.c, open.c): the digests are cached in a write transaction and
 * written just before it commits. */
void lt_sq_auth_reset(struct lt_db *db);
enum lethe_err lt_sq_auth_flush(struct lt_db *db);
void lt_sq_auth_savepoint(struct lt_db *db);
void lt_sq_auth_release(struct lt_db *db, bool rolled_back);

/* ---- shared between families ---- */

/* Queue object @p id's file for unlinking (unlink.c; part of a shred). */
enum lethe_err lt_sq_unlink_queue(struct lt_db *db, const char *id);

#endif
