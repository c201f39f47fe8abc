/* db.h - the metadata database (SQLite, WAL, secure_delete): the only user of sqlite3.h.
 *
 * Schema version 1 (PRAGMA user_version; PRAGMA application_id 0x4c455448 "LETH" marks the
 * file as lethe's). store/db.c holds the exact SQL; docs/OPERATIONS.md shows it.
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
 *   group_holds(grp TEXT PRIMARY KEY, reason TEXT, set_at INT)
 *   certificates(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, object_id TEXT UNIQUE, grp TEXT,
 *        reason TEXT, shredded_at INT, json BLOB, sig BLOB, sha256 BLOB)
 *        triggers: seq = last + 1, the object must be shredded, no UPDATE or DELETE.
 *   audit(seq INTEGER PRIMARY KEY, time_us INT, uid INT, user TEXT, keyslot TEXT, pid INT,
 *        host TEXT, action TEXT, object TEXT, grp TEXT, outcome TEXT, error TEXT, mac BLOB)
 *        triggers: seq = last + 1, no UPDATE or DELETE (append-only for SQL clients; the MAC
 *        chain, not the triggers, is what stops someone who can edit the file).
 *   audit_pending(id INTEGER PRIMARY KEY, ...the audit fields but seq and mac...)  failures
 *        recorded before any key was unlocked; folded into the chain by the next unlocked process.
 *   checkpoints(seq INTEGER PRIMARY KEY, audit_seq INT, audit_mac BLOB, time INT, json BLOB,
 *        sig BLOB)  triggers: seq = last + 1, no UPDATE or DELETE.
 *   pending_unlinks(id TEXT PRIMARY KEY)  files of shredded objects not yet unlinked.
 *
 * Calls that run several statements are atomic on their own: a savepoint inside the caller's
 * transaction, or their own BEGIN IMMEDIATE outside one. Callbacks of the iterating calls run
 * with no statement active (rows are read a page at a time and copied out), so a callback may
 * call any other lt_db_* function on the same handle, including ones that change the rows
 * being iterated; callers that do should hold a transaction (lt_db_begin) around the loop.
 */
#ifndef LT_STORE_DB_H
#define LT_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

#define LT_DB_WRAPPED_LEN 60
#define LT_DB_SCHEMA_VERSION 1

struct lt_db;

/*
 * Open (or with @p create, create 0600 with O_EXCL semantics) the database at @p path: WAL,
 * secure_delete=ON, foreign_keys=ON, synchronous=FULL, a 30 s busy timeout, migrations to
 * LT_DB_SCHEMA_VERSION. Refuses a database (or its -wal/-shm) that is not 0600 and ours, or is
 * a symlink (LETHE_ERR_PERMISSION); one that is missing, not a SQLite file, corrupt in its
 * header, not lethe's (application_id) or from a newer schema (LETHE_ERR_DATABASE, detail says
 * which); with @p create an existing file (LETHE_ERR_EXISTS). Busy: LETHE_ERR_BUSY.
 */
enum lethe_err lt_db_open(const char *path, bool create, struct lt_db **out);
void lt_db_close(struct lt_db *db);

/* How long a call waits for another process's lock before LETHE_ERR_BUSY (default 30 000 ms;
 * tests shorten it). */
void lt_db_set_busy_timeout(struct lt_db *db, int milliseconds);

/* BEGIN IMMEDIATE (waits for the busy timeout, then LETHE_ERR_BUSY), COMMIT, ROLLBACK. */
enum lethe_err lt_db_begin(struct lt_db *db);
enum lethe_err lt_db_commit(struct lt_db *db);
void lt_db_rollback(struct lt_db *db);

/* PRAGMA wal_checkpoint(TRUNCATE), result checked (LETHE_ERR_BUSY if it could not finish). */
enum lethe_err lt_db_wal_checkpoint(struct lt_db *db);

/*
 * PRAGMA wal_autocheckpoint: after a commit that leaves more than @p pages in the WAL, SQLite
 * copies them into the database and fsyncs it (its default: 1000, LT_DB_AUTOCHECKPOINT). A
 * sweep raises it while it runs: each of its batches dirties about a thousand scattered pages,
 * and a checkpoint after every batch writes them a second time and adds an fsync; the sweep
 * ends with lt_db_wal_checkpoint() anyway.
 */
#define LT_DB_AUTOCHECKPOINT 1000
void lt_db_set_autocheckpoint(struct lt_db *db, int pages);

/* PRAGMA quick_check (doctor). LETHE_ERR_DATABASE with the first problem as detail. */
enum lethe_err lt_db_check(struct lt_db *db);

/* Schema version found on disk. */
enum lethe_err lt_db_schema_version(struct lt_db *db, int *version);

/* meta: small named values. get: LETHE_ERR_NOT_FOUND when absent; *len receives the stored
 * size, which may exceed @p max: then only @p max bytes were copied (callers check *len). */
enum lethe_err lt_db_meta_set(struct lt_db *db, const char *key, const void *value, size_t len);
enum lethe_err lt_db_meta_get(struct lt_db *db, const char *key, void *value, size_t max,
			      size_t *len);

/* ---- KEKs ---- */
struct lt_db_kek {
	uint32_t version;
	bool primary;
	int state;                         /* enum lethe_kek_state */
	int64_t created_at;
	int64_t retired_at;
	uint64_t objects;                  /* live objects under it (filled by list/get) */
};
/* Insert a new version (must be max+1); with kek->primary, clears the previous primary. */
enum lethe_err lt_db_kek_insert(struct lt_db *db, const struct lt_db_kek *kek);
/* Highest version in use (0 when none). */
enum lethe_err lt_db_kek_max_version(struct lt_db *db, uint32_t *version);
enum lethe_err lt_db_kek_get(struct lt_db *db, uint32_t version, struct lt_db_kek *out);
enum lethe_err lt_db_kek_primary(struct lt_db *db, struct lt_db_kek *out);
typedef int (*lt_db_kek_fn)(const struct lt_db_kek *kek, void *ctx);
enum lethe_err lt_db_kek_list(struct lt_db *db, lt_db_kek_fn fn, void *ctx);
/* Number of live objects whose DEK is wrapped under @p version. */
enum lethe_err lt_db_kek_count_objects(struct lt_db *db, uint32_t version, uint64_t *count);
/* NULL the wrapped KEK (secure_delete zeroes the bytes), state retired, retired_at = now.
 * Refused (LETHE_ERR_KEK_IN_USE) for the primary or while a live DEK is wrapped under it;
 * retiring a retired KEK succeeds. */
enum lethe_err lt_db_kek_retire(struct lt_db *db, uint32_t version, int64_t now);

/* ---- objects ---- */
struct lt_db_object {
	char id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char name[LETHE_NAME_MAX + 1];
	uint64_t size;
	uint8_t sha256[32];
	int64_t created_at;
	int64_t retain_until;
	bool hold;                          /* the object's own hold */
	char hold_reason[LETHE_REASON_MAX + 1];
	uint32_t kek_version;               /* 0 once shredded */
	bool has_dek;
	uint8_t wrapped_dek[LT_DB_WRAPPED_LEN];
	int state;                          /* enum lethe_state */
	int64_t shredded_at;
	unsigned seg_log2;
	bool locked;                        /* group locked (compliance mode) at write time */
};
enum lethe_err lt_db_object_insert(struct lt_db *db, const struct lt_db_object *obj);
/* LETHE_ERR_NOT_FOUND when no such id. */
enum lethe_err lt_db_object_get(struct lt_db *db, const char *id, struct lt_db_object *out);
typedef int (*lt_db_object_fn)(const struct lt_db_object *obj, void *ctx);
/*
 * Objects of @p group (NULL: all), ordered by created_at then id. With @p expired_before > 0
 * only live objects with retain_until <= expired_before (a narrowing: what is expired is
 * retention's to say); @p include_shredded adds shredded.
 */
enum lethe_err lt_db_object_list(struct lt_db *db, const char *group, int64_t expired_before,
				 bool include_shredded, lt_db_object_fn fn, void *ctx);
/*
 * Up to @p limit live objects with retain_until <= @p now, ordered by (retain_until, id), after
 * the position (@p after_until, @p after_id) (pass INT64_MIN, "" to start). Uses the partial
 * index: cost grows with what expired. These are the sweep's candidates only: the decision is
 * retention's (lt_retention_sweep_action() on each row read again), the query only narrows.
 */
enum lethe_err lt_db_object_expired(struct lt_db *db, int64_t now, int64_t after_until,
				    const char *after_id, size_t limit, lt_db_object_fn fn,
				    void *ctx);
/* Crypto-shred the row: wrapped_dek and kek_version NULL, state shredded, shredded_at = now,
 * and the id queued in pending_unlinks. LETHE_ERR_SHREDDED if it already was; LETHE_ERR_HELD
 * if the object or its group is on legal hold (checked here too, in the same statement). */
enum lethe_err lt_db_object_shred(struct lt_db *db, const char *id, int64_t now);
enum lethe_err lt_db_object_set_hold(struct lt_db *db, const char *id, bool hold,
				     const char *reason);
/* Never shortens: LETHE_ERR_SHORTENS when @p until is before the current retain_until. */
enum lethe_err lt_db_object_set_retain_until(struct lt_db *db, const char *id, int64_t until);
/* Live objects of @p group with retain_until < @p until get @p until; *changed the count. */
enum lethe_err lt_db_group_extend_until(struct lt_db *db, const char *group, int64_t until,
					uint64_t *changed);
/* Live objects of @p group get retain_until += @p by (> 0; LETHE_ERR_INVALID if any would
 * overflow); *changed the count. */
enum lethe_err lt_db_group_extend_by(struct lt_db *db, const char *group, int64_t by,
				     uint64_t *changed);
/* Up to @p limit live objects whose kek_version != @p primary_version, ordered by KEK version
 * (those below the primary first) and then storage order: a batch of rewraps touches each
 * table page once, and costs what it returns. */
enum lethe_err lt_db_object_not_under(struct lt_db *db, uint32_t primary_version, size_t limit,
				      lt_db_object_fn fn, void *ctx);
/*
 * Up to @p limit live objects with id > @p after_id ("" to start), in id order: the order of a
 * scrub, whose position is then one id. Uses the primary key: each page is one index seek.
 */
enum lethe_err lt_db_object_live_by_id(struct lt_db *db, const char *after_id, size_t limit,
				       lt_db_object_fn fn, void *ctx);
/* How many live objects have id > @p after_id ("" for all), and their plaintext bytes. */
enum lethe_err lt_db_object_live_totals(struct lt_db *db, const char *after_id, uint64_t *count,
					uint64_t *bytes);
/* Replace an object's wrapped DEK and KEK version (rewrap). */
enum lethe_err lt_db_object_set_dek(struct lt_db *db, const char *id, uint32_t kek_version,
				    const uint8_t wrapped[LT_DB_WRAPPED_LEN]);
/* Counts for doctor and sweeps. */
enum lethe_err lt_db_object_count(struct lt_db *db, int state, uint64_t *count);

/* ---- unlinks a crash may have interrupted ---- */
typedef int (*lt_db_id_fn)(const char *id, void *ctx);
enum lethe_err lt_db_unlink_pending(struct lt_db *db, lt_db_id_fn fn, void *ctx);
enum lethe_err lt_db_unlink_done(struct lt_db *db, const char *id);

/* ---- group holds ---- */
enum lethe_err lt_db_group_hold_set(struct lt_db *db, const char *group, const char *reason,
				    int64_t now);
enum lethe_err lt_db_group_hold_clear(struct lt_db *db, const char *group);
/* *held false when the group has no hold; reason (may be NULL) receives it. */
enum lethe_err lt_db_group_hold_get(struct lt_db *db, const char *group, bool *held,
				    char reason[LETHE_REASON_MAX + 1]);

/* ---- disposal certificates ---- */
struct lt_db_cert {
	uint64_t seq;
	char id[LETHE_ID_LEN + 1];
	char object_id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char reason[32];
	int64_t shredded_at;
	const uint8_t *json; /* the exact signed bytes (valid during the callback / until free) */
	size_t json_len;
	uint8_t sig[64];
	uint8_t sha256[32];  /* SHA-256 of json, computed by the caller (store/ has no OpenSSL) */
};
/* Insert with seq = last + 1 (in the caller's transaction). LETHE_ERR_EXISTS if the object
 * already has a certificate. */
enum lethe_err lt_db_cert_insert(struct lt_db *db, const struct lt_db_cert *cert,
				 uint64_t *seq);
/* The newest certificate's seq and its stored sha256 (zeros, seq 0, when none). */
enum lethe_err lt_db_cert_last(struct lt_db *db, uint64_t *seq, uint8_t sha256[32]);
typedef int (*lt_db_cert_fn)(const struct lt_db_cert *cert, void *ctx);
enum lethe_err lt_db_cert_list(struct lt_db *db, lt_db_cert_fn fn, void *ctx);
enum lethe_err lt_db_cert_count_for_object(struct lt_db *db, const char *object_id,
					   uint64_t *count);

/* ---- audit ---- */
struct lt_db_audit {
	uint64_t seq;
	int64_t time_us;
	uint32_t uid;
	char user[64];
	char keyslot[LETHE_OFFICER_MAX + 1];
	int32_t pid;
	char host[256];
	char action[32];
	char object[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char outcome[16];  /* ok, refused, failed */
	char error[512];
	uint8_t mac[32];
};
/* Newest record's seq and mac (0 and zeros when empty). */
enum lethe_err lt_db_audit_last(struct lt_db *db, uint64_t *seq, uint8_t mac[32]);
/* Append with rec->seq (must be last + 1). */
enum lethe_err lt_db_audit_insert(struct lt_db *db, const struct lt_db_audit *rec);
typedef int (*lt_db_audit_fn)(const struct lt_db_audit *rec, void *ctx);
/* Records with seq >= since_seq and time_us >= since_time_us, in seq order. */
enum lethe_err lt_db_audit_list(struct lt_db *db, uint64_t since_seq, int64_t since_time_us,
				lt_db_audit_fn fn, void *ctx);
/* Failures recorded without a key (autocommit: its own short transaction; rec->seq and mac are
 * ignored); taken (read and deleted) inside the caller's transaction: a record is deleted once
 * @p fn returned 0 for it, and @p fn returning non-zero stops with that record kept. */
enum lethe_err lt_db_audit_pending_add(struct lt_db *db, const struct lt_db_audit *rec);
enum lethe_err lt_db_audit_pending_take(struct lt_db *db, lt_db_audit_fn fn, void *ctx);

/* ---- audit checkpoints ---- */
struct lt_db_checkpoint {
	uint64_t seq;
	uint64_t audit_seq;
	uint8_t audit_mac[32];
	int64_t time;
	const uint8_t *json;
	size_t json_len;
	uint8_t sig[64];
};
/* Append with seq = last + 1 (cp->seq is ignored). */
enum lethe_err lt_db_checkpoint_insert(struct lt_db *db, const struct lt_db_checkpoint *cp);
typedef int (*lt_db_checkpoint_fn)(const struct lt_db_checkpoint *cp, void *ctx);
enum lethe_err lt_db_checkpoint_list(struct lt_db *db, lt_db_checkpoint_fn fn, void *ctx);

#endif
