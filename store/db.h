/* db.h - the metadata interface: what lethe keeps about objects, keys, holds, disposal
 * certificates and its audit log, as records and calls that name no database.
 *
 * Design. The interface is this set of functions on an opaque handle, struct lt_db; exactly one
 * implementation is linked: store/sqlite/, the default. A second backend (PostgreSQL)
 * implements the same functions in a directory of its own and is chosen by the build; should
 * one build ever need both, lt_db_open() picks by the form of its path and the functions
 * dispatch through a table kept in the handle. Either way the change stays inside store/:
 * lib/, retention/, keys/ and audit/ call only what is declared here, and nothing outside
 * store/ names SQLite or SQL. (A table of function pointers today would be a layer with one
 * entry.)
 *
 * What every implementation guarantees:
 * - Durability: a commit that returned LETHE_OK survives a crash or power loss.
 * - Writes are serialized: lt_db_begin() takes the write lock at once (waiting up to the busy
 *   timeout, then LETHE_ERR_BUSY), so a transaction never fails later on a stale snapshot.
 * - Calls that change several records are atomic on their own: nested inside the caller's
 *   transaction when there is one, in their own transaction otherwise.
 * - Iterating calls deliver rows a page at a time, copied out, with nothing of the database
 *   in use while a callback runs: a callback may call any other lt_db_* function on the same
 *   handle, including ones that change the rows being iterated; callers that do should hold a
 *   transaction (lt_db_begin) around the loop.
 * - Destruction is real: a shred overwrites the wrapped DEK's bytes rather than unlinking
 *   them, and lt_db_purge() leaves no earlier version of a changed or deleted record anywhere
 *   in the database's files (a journal, a log, free pages).
 * - The store itself enforces the invariants a bug or a foreign client could break: object
 *   ids are lowercase UUIDs, a live object has a KEK version and a wrapped DEK and a shredded
 *   one neither, a DEK is only ever wrapped under an active KEK, at most one KEK is primary and
 *   a retired KEK is not it; audit records, certificates and checkpoints are append-only with
 *   seq = last + 1, and a certificate names a shredded object. (Who can edit the files can
 *   drop such rules: that is why audit records carry a MAC chain and certificates a signature.)
 * - Errors: LETHE_ERR_BUSY (another process held the lock too long), LETHE_ERR_DATABASE (not a
 *   lethe database, corrupt, modified: the detail says which), LETHE_ERR_NOSPC, LETHE_ERR_IO,
 *   LETHE_ERR_PERMISSION, LETHE_ERR_NOMEM; each call below adds its own. The detail names the
 *   database and the operation.
 */
#ifndef LT_STORE_DB_H
#define LT_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sizes.h"
#include "include/lethe.h"

#define LT_DB_SCHEMA_VERSION 3

struct lt_db;

/*
 * Open (or with @p create, create, private to the owner, failing if it exists) the database at
 * @p path (the default backend: a file, with its companion files), with a 30 s busy timeout,
 * migrated to LT_DB_SCHEMA_VERSION. Refuses a database (or a companion file) that is not
 * private and ours, or is a symlink (LETHE_ERR_PERMISSION); one that is missing, not a
 * database, corrupt, not lethe's or from a newer schema (LETHE_ERR_DATABASE, detail says
 * which); with @p create an existing one (LETHE_ERR_EXISTS). Busy: LETHE_ERR_BUSY.
 */
enum lethe_err lt_db_open(const char *path, bool create, struct lt_db **out);
/*
 * Open an existing database for reading only, writing nothing at all to its directory (no
 * companion file is created): a snapshot, a read-only mount, a full disk. The checks are
 * lt_db_open()'s; besides, a database at another schema version (it would need migrating:
 * LETHE_ERR_DATABASE) and, where no wal-index can be kept beside it, one whose log holds
 * commits not yet in the database file (LETHE_ERR_IO) are refused, the detail saying what to
 * do. On the handle
 * lt_db_begin() and lt_db_purge() fail (LETHE_ERR_IO), and so does any call that writes.
 */
enum lethe_err lt_db_open_read_only(const char *path, struct lt_db **out);
/* True for a handle from lt_db_open_read_only(). */
bool lt_db_read_only(const struct lt_db *db);
void lt_db_close(struct lt_db *db);

/* How long a call waits for another process's lock before LETHE_ERR_BUSY (default 30 000 ms;
 * tests shorten it). */
void lt_db_set_busy_timeout(struct lt_db *db, int milliseconds);

/* Begin a write transaction, taking the write lock now (waits for the busy timeout, then
 * LETHE_ERR_BUSY; no nesting); commit (a failed commit leaves no transaction open); roll back
 * (nothing open: a no-op). */
enum lethe_err lt_db_begin(struct lt_db *db);
enum lethe_err lt_db_commit(struct lt_db *db);
void lt_db_rollback(struct lt_db *db);

/*
 * Leave no earlier version of a changed or deleted record in the database's files: after
 * shreds (a sweep) and retirements, the old copies of the destroyed wrapped keys go. Waits for
 * other writers up to the busy timeout (LETHE_ERR_BUSY if it could not finish; a later purge
 * completes it).
 */
enum lethe_err lt_db_purge(struct lt_db *db);

/*
 * A long run of write transactions starts (@p on) or has ended: while on, the backend may
 * defer its own background maintenance, which the run ends with lt_db_purge() anyway. A sweep
 * sets it: each of its batches changes about a thousand scattered records, which maintenance
 * after every batch would write a second time.
 */
void lt_db_bulk(struct lt_db *db, bool on);

/* The database's own consistency check, and the counters it keeps (doctor).
 * LETHE_ERR_DATABASE with the first problem as detail. */
enum lethe_err lt_db_check(struct lt_db *db);

/* ---- row authentication (store/rowmac.h gives the encoding) ---- */

/*
 * The MAC of one row: HMAC-SHA256 under the row-MAC key of the @p len bytes at @p data into
 * @p mac (keys/rowauth.h); with @p expected, also compared with it in constant time
 * (LETHE_ERR_INTEGRITY, no detail, when they differ). Until a handle has one, it neither
 * verifies nor writes row MACs: that is a handle without keys (it records failures in
 * audit_pending and acts on nothing).
 */
typedef enum lethe_err (*lt_db_row_auth_fn)(void *ctx, const uint8_t *data, size_t len,
					    uint8_t mac[32], const uint8_t *expected);
void lt_db_set_row_auth(struct lt_db *db, lt_db_row_auth_fn fn, void *ctx);

/*
 * With an authenticator set, every row of meta, keks, objects, holds, pending_unlinks,
 * certificates and checkpoints is read with its MAC verified (LETHE_ERR_INTEGRITY naming the
 * table and the row otherwise) and written with a new one; each table has a digest (its row
 * count and the XOR of its rows' MACs, itself MAC'd) kept in the same transaction as the rows.
 *
 * lt_db_rowmac_sealed(): whether the tables have digests (a store made by a version before
 * row MACs has none until sealed). lt_db_rowmac_seal(): in the caller's transaction, MAC
 * every row as it stands and write the digests (trust on first use: for the first keyed
 * open of an upgraded store only).
 */
enum lethe_err lt_db_rowmac_sealed(struct lt_db *db, bool *sealed);
enum lethe_err lt_db_rowmac_seal(struct lt_db *db);

/*
 * What an operation that destroys or moves keys checks first, inside its transaction: every
 * row of the small tables (meta, keks, holds, pending_unlinks) and their digests; the
 * row counts of objects, certificates and checkpoints against their digests; the newest
 * certificate and checkpoint. LETHE_ERR_INTEGRITY with the first problem.
 */
enum lethe_err lt_db_rowmac_precheck(struct lt_db *db);

/* Every row of every table recomputed (doctor): @p fn gets each problem (table, detail), and
 * the call LETHE_ERR_INTEGRITY if there was one. */
typedef void (*lt_db_rowmac_problem_fn)(const char *table, const char *detail, void *ctx);
enum lethe_err lt_db_rowmac_check(struct lt_db *db, lt_db_rowmac_problem_fn fn, void *ctx);

/* Schema version found in the database. */
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
	int state; /* enum lethe_kek_state */
	int64_t created_at;
	int64_t retired_at;
	uint64_t objects; /* live objects under it (filled by list/get) */
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
/* State retired, retired_at = now, in one step with the check that no live DEK is wrapped
 * under it. Refused (LETHE_ERR_KEK_IN_USE) for the primary or while a live DEK is wrapped under
 * it; retiring a retired KEK succeeds. (The key itself is in the keystore, keys/.) */
enum lethe_err lt_db_kek_retire(struct lt_db *db, uint32_t version, int64_t now);

/* ---- objects ---- */
/* An encrypted name: nonce || ciphertext (as long as the name) || tag. */
#define LT_NAME_ENC_MIN (LT_GCM_NONCE_LEN + LT_GCM_TAG_LEN)
#define LT_NAME_ENC_MAX (LT_NAME_ENC_MIN + LETHE_NAME_MAX)
struct lt_db_object {
	char id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char name[LETHE_NAME_MAX + 1];
	uint64_t size;
	uint8_t sha256[32];
	int64_t created_at;
	int64_t retain_until;
	bool hold; /* the object's own hold */
	char hold_reason[LETHE_REASON_MAX + 1];
	uint32_t kek_version; /* 0 once shredded */
	bool has_dek;
	uint8_t wrapped_dek[LT_WRAPPED_LEN];
	int state; /* enum lethe_state */
	int64_t shredded_at;
	unsigned seg_log2;
	bool locked; /* group locked (compliance mode) at write time */
	/* The name, encrypted under a key derived from the DEK (keys/name.h): nonce || ciphertext
	 * || tag, NULL once shredded; @p name is "" then, and holds a name in clear only in a row
	 * from before names were encrypted (schema 3), until its first keyed open. */
	bool has_name_enc;
	size_t name_enc_len;
	uint8_t name_enc[LT_NAME_ENC_MAX];
	/* HMAC of the name under the object's name salt (keys/name.h), what its certificate
	 * states; absent only in a row from before schema 3 not yet converted. */
	bool has_name_commit;
	uint8_t name_commit[LT_SHA256_LEN];
	/* Scans only: LETHE_OK, or why this row cannot be trusted (LETHE_ERR_INTEGRITY: its MAC
	 * fails; LETHE_ERR_DATABASE: a column is malformed), with @p bad_detail saying so. Such a
	 * row is delivered so that a scan goes on past it; only its id (possibly empty) is
	 * meaningful, and callers must not act on it. lt_db_object_get() returns the error
	 * instead. */
	enum lethe_err bad;
	char bad_detail[200];
	/* the row's MAC as read (store/ only: it guards a write of the row read) */
	bool has_mac;
	uint8_t mac[32];
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
 * the position (@p after_until, @p after_id) (pass INT64_MIN, "" to start). Its cost grows
 * with what expired, not with what is stored (an index of live objects by retain_until).
 * These are the sweep's candidates only: the decision is retention's
 * (lt_retention_sweep_action() on each row read again), the query only narrows.
 */
enum lethe_err lt_db_object_expired(struct lt_db *db, int64_t now, int64_t after_until,
				    const char *after_id, size_t limit, lt_db_object_fn fn,
				    void *ctx);
/* Crypto-shred the record: the wrapped DEK's bytes overwritten and gone, no KEK version,
 * state shredded, shredded_at = now, and the object's file queued for unlinking (atomically).
 * LETHE_ERR_SHREDDED if it already was; LETHE_ERR_HELD if the object or its group is on legal
 * hold (checked here too, in the same step). */
enum lethe_err lt_db_object_shred(struct lt_db *db, const char *id, int64_t now);
/* The same for @p row as read (lt_db_object_get or a scan) in the caller's transaction: the
 * row is not read again, and LETHE_ERR_INTEGRITY if it changed since. */
enum lethe_err lt_db_object_shred_row(struct lt_db *db, const struct lt_db_object *row,
				      int64_t now);
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
 * (those below the primary first) and then in the order the backend stores them, so that a
 * batch of rewraps touches each stored page once; it costs what it returns. */
enum lethe_err lt_db_object_not_under(struct lt_db *db, uint32_t primary_version, size_t limit,
				      lt_db_object_fn fn, void *ctx);
/* Every record holding a wrapped data key, whatever its state says, read from the records
 * themselves and never through an index a writer of the store could have edited (a full scan):
 * for the checks before a KEK is destroyed. */
enum lethe_err lt_db_object_with_dek(struct lt_db *db, lt_db_object_fn fn, void *ctx);
/*
 * Up to @p limit live objects with id > @p after_id ("" to start), in id order: the order of a
 * scrub, whose position is then one id. Each page is one index seek.
 */
enum lethe_err lt_db_object_live_by_id(struct lt_db *db, const char *after_id, size_t limit,
				       lt_db_object_fn fn, void *ctx);
/* How many live objects have id > @p after_id ("" for all), and their plaintext bytes. */
enum lethe_err lt_db_object_live_totals(struct lt_db *db, const char *after_id, uint64_t *count,
					uint64_t *bytes);
/* Replace an object's wrapped DEK and KEK version (rewrap). */
enum lethe_err lt_db_object_set_dek(struct lt_db *db, const char *id, uint32_t kek_version,
				    const uint8_t wrapped[LT_WRAPPED_LEN]);
/* The same for @p row as read in the caller's transaction (see lt_db_object_shred_row). */
enum lethe_err lt_db_object_set_dek_row(struct lt_db *db, const struct lt_db_object *row,
					uint32_t kek_version,
					const uint8_t wrapped[LT_WRAPPED_LEN]);
/*
 * Up to @p limit objects whose name is not yet encrypted and committed (rows of a store from
 * before schema 3: has_name_commit false), in storage order from the start: each call after
 * lt_db_object_set_name_row() on those returned finds the next ones.
 */
enum lethe_err lt_db_object_unconverted_names(struct lt_db *db, size_t limit, lt_db_object_fn fn,
					      void *ctx);
/* For @p row as read in the caller's transaction: the clear name column emptied, and the
 * encrypted name (@p name_enc NULL: none, for a shredded row) and commitment written. */
enum lethe_err lt_db_object_set_name_row(struct lt_db *db, const struct lt_db_object *row,
					 const uint8_t *name_enc, size_t name_enc_len,
					 const uint8_t commit[LT_SHA256_LEN]);
/* Counts for doctor and sweeps. */
enum lethe_err lt_db_object_count(struct lt_db *db, int state, uint64_t *count);

/* ---- unlinks a crash may have interrupted ---- */
/* The files of shredded objects not yet unlinked, in id order (queued by lt_db_object_shred);
 * lt_db_unlink_done() dequeues one (absent: fine). store/unlinker.h drives both. */
typedef int (*lt_db_id_fn)(const char *id, void *ctx);
/* Queued ids whose row is shredded and holds no data key (a queued live object is skipped:
 * its file is never a candidate for unlinking). */
enum lethe_err lt_db_unlink_pending(struct lt_db *db, lt_db_id_fn fn, void *ctx);
enum lethe_err lt_db_unlink_done(struct lt_db *db, const char *id);

/* ---- legal holds ----
 * One row per hold: an object's (object set, group "") or a group's (object "", group set),
 * each with its own case reference; holds stack and are cleared one by one. An object's row
 * keeps, in objects.hold, whether it has at least one hold of its own (and in hold_reason the
 * reference of the newest), so that listings and sweeps decide from the row they read. */
#define LT_HOLD_SETBY_MAX 127
struct lt_db_hold {
	char object[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	char ref[LETHE_REASON_MAX + 1];
	int64_t set_at;
	char set_by[LT_HOLD_SETBY_MAX + 1]; /* who placed it: "user (keyslot)" */
};
/* Add @p h; *added false when that reference already holds that target (nothing changes). */
enum lethe_err lt_db_hold_add(struct lt_db *db, const struct lt_db_hold *h, bool *added);
/* Remove the hold @p ref of object @p object or group @p group (one of them NULL);
 * *removed false when there is none. */
enum lethe_err lt_db_hold_remove(struct lt_db *db, const char *object, const char *group,
				 const char *ref, bool *removed);
typedef int (*lt_db_hold_fn)(const struct lt_db_hold *h, void *ctx);
/* The holds of object @p object, or of group @p group, or (both NULL) all of them: group holds
 * first, each ordered by when it was set. Read checked, the table against its digest. */
enum lethe_err lt_db_hold_list(struct lt_db *db, const char *object, const char *group,
			       lt_db_hold_fn fn, void *ctx);
/* *held false when the group has no hold; reason (may be NULL) receives the reference of its
 * newest. */
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
	uint8_t sha256[32]; /* SHA-256 of json, computed by the caller (store/ has no OpenSSL) */
};
/* Insert with seq = last + 1 (in the caller's transaction). LETHE_ERR_EXISTS if the object
 * already has a certificate. */
enum lethe_err lt_db_cert_insert(struct lt_db *db, const struct lt_db_cert *cert, uint64_t *seq);
/* The newest certificate's seq and its stored sha256 (zeros, seq 0, when none). */
enum lethe_err lt_db_cert_last(struct lt_db *db, uint64_t *seq, uint8_t sha256[32]);
typedef int (*lt_db_cert_fn)(const struct lt_db_cert *cert, void *ctx);
enum lethe_err lt_db_cert_list(struct lt_db *db, lt_db_cert_fn fn, void *ctx);
enum lethe_err lt_db_cert_count_for_object(struct lt_db *db, const char *object_id,
					   uint64_t *count);
/* The id of the certificate of @p object_id, or "" when it has none. */
enum lethe_err lt_db_cert_id_for_object(struct lt_db *db, const char *object_id,
					char id[LETHE_ID_LEN + 1]);

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
	char outcome[16]; /* ok, refused, failed */
	char error[512];
	/* folded from audit_pending: written without a key, so its fields are claims that no
	 * key vouches for (covered by the MAC like every field; always false in audit_pending) */
	bool unauthenticated;
	uint8_t mac[32];
	/* an officer's record: the officer authority key's Ed25519 signature over the store id, seq
	 * and mac (audit/record.c); absent (NULL in the table) on every other record */
	bool has_auth_sig;
	uint8_t auth_sig[64];
};
/* Newest record's seq and mac (0 and zeros when empty). */
enum lethe_err lt_db_audit_last(struct lt_db *db, uint64_t *seq, uint8_t mac[32]);
/* The record with the latest time (the highest seq among equals): its seq and mac (0 and
 * zeros when empty). */
enum lethe_err lt_db_audit_latest(struct lt_db *db, uint64_t *seq, uint8_t mac[32]);
/* Append with rec->seq (must be last + 1). */
enum lethe_err lt_db_audit_insert(struct lt_db *db, const struct lt_db_audit *rec);
typedef int (*lt_db_audit_fn)(const struct lt_db_audit *rec, void *ctx);
/* Records with seq >= since_seq and time_us >= since_time_us, in seq order. */
enum lethe_err lt_db_audit_list(struct lt_db *db, uint64_t since_seq, int64_t since_time_us,
				lt_db_audit_fn fn, void *ctx);
/* The MAC of record @p seq; *@p found false when there is no such record. */
enum lethe_err lt_db_audit_mac_at(struct lt_db *db, uint64_t seq, uint8_t mac[32], bool *found);
/* The newest record whose action is @p action, with outcome ok and written under a key (not
 * folded from audit_pending), naming object @p object or, when @p object is NULL, naming group
 * @p group and no object; *@p found false when there is none. A few index steps (audit_object,
 * audit_group): cheap enough to ask before every shred. */
enum lethe_err lt_db_audit_newest(struct lt_db *db, const char *object, const char *group,
				  const char *action, struct lt_db_audit *rec, bool *found);
/* Every hold.set and hold.clear record (outcome ok, not folded from audit_pending) of object
 * @p object or, when NULL, of group @p group and no object, oldest first; @p fn returns
 * non-zero to stop. Not authenticated here (audit/ checks each record's MAC). */
enum lethe_err lt_db_audit_holds(struct lt_db *db, const char *object, const char *group,
				 lt_db_audit_fn fn, void *ctx);
/* Every record like lt_db_audit_newest()'s for group @p group (no object), with seq > @p after,
 * in seq order; @p fn returns non-zero to stop. One walk of audit_group. */
enum lethe_err lt_db_audit_group_since(struct lt_db *db, const char *group, const char *action,
				       uint64_t after, lt_db_audit_fn fn, void *ctx);
/* The oldest record of @p action (outcome ok, under a key) naming object @p object: what an
 * object's put said when it was made, whatever was appended later. Also one index step. */
enum lethe_err lt_db_audit_oldest(struct lt_db *db, const char *object, const char *action,
				  struct lt_db_audit *rec, bool *found);
/* The seq of the first record whose action is @p action (0 when there is none). */
enum lethe_err lt_db_audit_find_action(struct lt_db *db, const char *action, uint64_t *seq);
/* The latest time_us of a record of @p action with outcome ok (0 when there is none). */
enum lethe_err lt_db_audit_action_last_time(struct lt_db *db, const char *action, int64_t *time_us);
/* How many records have outcome @p outcome ("failed", "refused"): a full scan (metrics). */
enum lethe_err lt_db_audit_count_outcome(struct lt_db *db, const char *outcome, uint64_t *count);
/* Failures recorded without a key (outside any transaction: its own short one; rec->seq and
 * mac are ignored); taken (read and deleted) inside the caller's transaction: a record is
 * deleted once @p fn returned 0 for it, and @p fn returning non-zero stops with that record
 * kept. */
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
