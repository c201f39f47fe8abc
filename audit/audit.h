/* audit.h - the audit log: records of who did what to which object with what outcome, chained
 * by an HMAC, verified, exported as JSON Lines, anchored by signed checkpoints and forwarded to
 * syslog once the transaction that carries them commits.
 *
 * audit/ works on the handles it is given (the metadata database, the chain key, the evidence
 * signing key, an actor) and knows nothing of the store handle: the caller begins and commits
 * the transactions, audit/ writes its rows into them and tells the caller's queue what to send
 * to syslog. The format of a record and of its MAC is described in record.c.
 */
#ifndef LT_AUDIT_AUDIT_H
#define LT_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"
#include "store/db.h"

/* ---- records (record.c) ---- */

/* Who acts, as every record (and every disposal certificate) names them. Printable ASCII. */
struct lt_audit_actor {
	uint32_t uid;
	int32_t pid;
	char user[64];                       /* the name of the uid, never $USER */
	char keyslot[LETHE_OFFICER_MAX + 1]; /* the keyslot that unlocked; "" before any */
	char host[256];
};

/* The process as actor: uid, pid, user name (getpwuid_r, else "uid<N>"), host name, no
 * keyslot. Bytes outside printable ASCII become '?'. */
void lt_audit_actor_self(struct lt_audit_actor *actor);

/* What an audit record says; NULL strings are stored empty. */
struct lt_audit_event {
	const char *action; /* "put", "get", "rm", "shred", "hold.set", "key.rotate", ... */
	const char *object;
	const char *group;
	enum lethe_err err; /* outcome: LETHE_OK "ok", policy refusals "refused", else "failed" */
	const char *error;  /* the detail of a failure */
};

/* The outcome word for an error code: "ok", "refused" (policy, permission) or "failed". */
const char *lt_audit_outcome(enum lethe_err err);

/* Failures a SIEM must see at LOG_WARNING: tampering, unlock and permission failures,
 * refusals. */
bool lt_audit_is_security(enum lethe_err err);

/* @p rec for @p ev by @p actor at @p time_us: every field but seq and mac. */
void lt_audit_record_fill(struct lt_db_audit *rec, const struct lt_audit_actor *actor,
			  const struct lt_audit_event *ev, int64_t time_us);

/* The MAC of @p rec (its seq and every field but mac) chained to @p prev, the MAC of the record
 * before it (32 zero bytes for the first). */
enum lethe_err lt_audit_mac(const uint8_t key[LT_KEY_LEN], const struct lt_db_audit *rec,
			    const uint8_t prev[32], uint8_t out[32]);

/* ---- officer signatures (record.c) ---- */

/* The domain of an officer's signature of a record (docs/KEYS.md section 3b). */
#define LT_AUDIT_OFFICER_LABEL "lethe/v1/officer-act"

/* Sign @p rec (its seq and mac set) with the officer authority key @p oak of store
 * @p store_id: Ed25519 over LT_AUDIT_OFFICER_LABEL || store id || BE64(seq) || mac, into
 * rec->auth_sig. */
enum lethe_err lt_audit_officer_sign(struct lt_ed25519_key *oak, const char *store_id,
				     struct lt_db_audit *rec);

/* Whether @p rec carries a valid signature of the officer authority key @p pub. */
/* As lt_audit_officer_sig_ok(), telling a signature that is missing or does not verify
 * (LETHE_ERR_INTEGRITY) from a failure to check it (OpenSSL out of memory: another error). */
enum lethe_err lt_audit_officer_sig_check(const uint8_t pub[LT_ED25519_PUB_LEN],
					  const char *store_id, const struct lt_db_audit *rec);
bool lt_audit_officer_sig_ok(const uint8_t pub[LT_ED25519_PUB_LEN], const char *store_id,
			     const struct lt_db_audit *rec);

/* Whether @p rec records something only an officer can do (a hold cleared, a forced rm, a key
 * rotated, rewrapped or retired, an officer added or removed or their passphrase changed, the
 * audit anchor moved back, the officer authority migrated), done: refusals and failures of
 * the service are not. */
bool lt_audit_officer_only(const struct lt_db_audit *rec);

/* Whether @p rec names an officer's keyslot as its actor (neither "" nor "service"). */
bool lt_audit_claims_officer(const struct lt_db_audit *rec);

/* Longest syslog line: each byte of a record's fields escaped at most 4 bytes, plus the keys. */
#define LT_AUDIT_LINE_MAX (4 * sizeof(struct lt_db_audit) + 256)

/* The syslog line of @p rec: key=value fields, every value quoted and escaped as needed. */
void lt_audit_format_line(const struct lt_db_audit *rec, char *buf, size_t len);

/* ---- the chain (chain.c) ---- */

/* A syslog line waiting for its transaction to commit. */
struct lt_audit_line {
	bool security;
	char *text;
};

/* Syslog lines of records appended in a transaction, sent only once it commits. */
struct lt_audit_queue {
	struct lt_audit_line *lines;
	size_t len, cap;
};

/* Send the queued lines to syslog (@p send, after a commit) or drop them (a rollback). */
void lt_audit_queue_flush(struct lt_audit_queue *q, bool send);

/* Drop what is queued and free the queue. */
void lt_audit_queue_free(struct lt_audit_queue *q);

/* A record of the chain as its writer knows it: its seq and MAC. */
struct lt_audit_head {
	uint64_t seq; /* 0: none */
	uint8_t mac[32];
};

/* Where appended records go. Nothing here is owned: the caller keeps it alive. */
struct lt_audit_log {
	struct lt_db *db;              /* inside the caller's transaction */
	const uint8_t *key;            /* LT_KEY_LEN bytes: the key of the MAC chain */
	struct lt_audit_queue *syslog; /* NULL: records are not forwarded */
	/* when set, receives each record appended (the caller keeps it only if it commits):
	 * what this writer may anchor, computed here rather than read back from the file */
	struct lt_audit_head *appended;
	/* an officer's handle: the officer authority key, which signs each record appended
	 * (NULL: records are not signed); @p store_id goes into the signature */
	struct lt_ed25519_key *officer;
	const char *store_id;
};

/* Append a record of @p ev by @p actor, now, to the chain (inside the caller's transaction),
 * and queue its syslog line. */
enum lethe_err lt_audit_event_append(const struct lt_audit_log *log,
				     const struct lt_audit_actor *actor,
				     const struct lt_audit_event *ev);

/*
 * Record a failure that happened before any key was available: the record waits in
 * audit_pending of @p db (when not NULL; its own short transaction) until an unlocked process
 * folds it into the chain, and goes to syslog at once when @p syslog. Best effort: a record that
 * cannot be stored still reaches syslog. Changes the error detail.
 */
void lt_audit_pending_add(struct lt_db *db, bool syslog, const struct lt_audit_actor *actor,
			  const struct lt_audit_event *ev);

/*
 * Fold the audit_pending records into the chain, in order (inside the caller's transaction).
 * Nothing vouches for what they say (anyone who can write meta.db can add one), so each is
 * marked unauthenticated (covered by its MAC), takes the time of the fold, and attributes
 * nothing to an actor: the keyslot it names moves into its error text as a claim, with the
 * time it claims. Their lines are queued at LOG_INFO with their seq and MAC: the failure
 * itself was forwarded, at LOG_WARNING, when it happened (lt_audit_pending_add).
 */
enum lethe_err lt_audit_pending_fold(const struct lt_audit_log *log);

/* Tell syslog (at LOG_WARNING, whatever the configuration) that the record of @p action could
 * not be written, and why. */
void lt_audit_report_unwritten(const char *action, const char *why);

/* ---- verification (verify.c) ---- */

/* A point of the chain kept out of meta.db (the keystore's anchor, a checkpoint file): the log
 * must hold record @p seq with this MAC. @p what names it in problems. */
struct lt_audit_mark {
	const char *what;
	struct lt_audit_head head;
};

/* How far a record's time may lie behind the one before it, or ahead of the verifier's clock,
 * before verification reports it: clocks are stepped by NTP, never by this much. */
#define LT_AUDIT_BACKWARDS_SLACK_US INT64_C(1000000)
#define LT_AUDIT_FUTURE_SLACK_US    INT64_C(300000000)

struct lt_audit_verify_opts {
	const uint8_t *key; /* LT_KEY_LEN bytes: the chain key */
	/* the pinned officer authority key: every officer action (lt_audit_officer_only()) and
	 * every record naming an officer's keyslot, from lt_audit_officer_from() on, must carry
	 * its valid signature, and any signature before must verify too (NULL: the store has no
	 * officer authority yet, nothing is checked) */
	const uint8_t *officer_pub;
	uint64_t *officer_exempt; /* when set: receives how many records predate the authority */
	const char *store_id;     /* the store checkpoints must name (NULL: not checked) */
	const struct lt_audit_mark *marks;
	size_t nmarks;
	int64_t now_us;    /* the verifier's time (0: the clock's) */
	bool require_init; /* the log must begin with its "init" record (a store's does) */
	lethe_problem_fn fn;
	void *ctx;
};

/*
 * Check the whole chain of @p db: sequence numbers without gaps, every MAC, every checkpoint's
 * signature (against the store's evidence public key) and then only its signed JSON (never the
 * unsigned audit_seq/audit_mac columns beside it, which must agree with it), that each
 * checkpoint and each of @p o->marks names a record the log holds with that MAC, so that the
 * log reaches all of them, that times neither go backwards nor lie in the future (beyond
 * the slacks above), that no unauthenticated record claims more than a failed open or
 * unlock (nothing else is ever recorded without a key), that every officer action carries
 * the officer authority's signature (@p o->officer_pub), and that every record by an officer
 * is by one on the roster the log records at that point (roster.c). Each problem goes to @p o->fn (when set) with where ("audit record N",
 * "audit checkpoint N", a mark's name) and what; the walk stops at the first broken record
 * (a time problem does not stop it). *@p intact tells whether none was found, *@p records how
 * many records verified. Returns an error only when the check could not be made.
 */
enum lethe_err lt_audit_verify_with(struct lt_db *db, const struct lt_audit_verify_opts *o,
				    uint64_t *records, bool *intact);

/* How the init record of a store made with its officer authority begins its text (the
 * authority's fingerprint follows). */
#define LT_AUDIT_INIT_AUTHORITY "officer authority "

/*
 * The first record from which officer actions carry the officer authority's signature: 1 for a
 * store made with its authority (*@p born: its init record names it); for a store made before
 * officers.luks, its first "officer.migrate" record (what came before was written when no such
 * key existed), or 1 when it has none. The walk checks that record's own signature, and its MAC
 * chains every record before it: the boundary cannot be moved without the OAK.
 */
enum lethe_err lt_audit_officer_from(struct lt_db *db, uint64_t *seq, bool *born);

/* lt_audit_verify_with() with the chain key alone: no marks, checkpoints of any store id. */
enum lethe_err lt_audit_verify(struct lt_db *db, const uint8_t key[LT_KEY_LEN], lethe_problem_fn fn,
			       void *ctx, uint64_t *records, bool *intact);

/* ---- the latest record (head.c) ---- */

/*
 * The record of the chain with the latest time (not necessarily the last appended), its MAC
 * checked under @p key: *@p seq and *@p time_us (0 and 0 for an empty log).
 * LETHE_ERR_INTEGRITY when it fails its MAC or the record before it is missing. What the clock
 * is checked against before a shred (T3, docs/THREATS.md).
 */
enum lethe_err lt_audit_head(struct lt_db *db, const uint8_t key[LT_KEY_LEN], uint64_t *seq,
			     int64_t *time_us);

/*
 * The newest record of @p action (outcome ok, under a key) naming object @p object, or group
 * @p group and no object when @p object is NULL (lt_db_audit_newest), its MAC checked against
 * the record before it under @p key: an edited record is LETHE_ERR_INTEGRITY, never a
 * different answer. *@p found false when there is none.
 */
enum lethe_err lt_audit_newest(struct lt_db *db, const uint8_t key[LT_KEY_LEN], const char *object,
			       const char *group, const char *action, struct lt_db_audit *rec,
			       bool *found);

/*
 * Every hold.set and hold.clear record of object @p object, or of group @p group and no object
 * when @p object is NULL (lt_db_audit_holds), oldest first, each MAC checked as
 * lt_audit_newest() does before @p fn sees it (non-zero stops the walk).
 */
enum lethe_err lt_audit_holds(struct lt_db *db, const uint8_t key[LT_KEY_LEN], const char *object,
			      const char *group, lt_db_audit_fn fn, void *ctx);

/*
 * Every record lt_audit_newest() could answer for group @p group with seq > @p after, in seq
 * order, each one's MAC checked the same way before @p fn sees it (@p fn returns non-zero to
 * stop): an edited record is LETHE_ERR_INTEGRITY.
 */
enum lethe_err lt_audit_group_since(struct lt_db *db, const uint8_t key[LT_KEY_LEN],
				    const char *group, const char *action, uint64_t after,
				    lt_db_audit_fn fn, void *ctx);

/* The oldest record of @p action naming object @p object (lt_db_audit_oldest), its MAC checked
 * as lt_audit_newest() does: an object's first put, the only one that states its terms. */
enum lethe_err lt_audit_oldest(struct lt_db *db, const uint8_t key[LT_KEY_LEN], const char *object,
			       const char *action, struct lt_db_audit *rec, bool *found);

/* ---- the officer roster as the log tells it (roster.c) ---- */

#define LT_AUDIT_ROSTER_MAX 32 /* officers at once: those of officers.luks, or of a 0.1.0 store */

struct lt_audit_officer {
	char name[LETHE_OFFICER_MAX + 1];
	int keyslot; /* -1: a record of an earlier release did not say */
};

/* Who is an officer after the records replayed so far. */
struct lt_audit_roster {
	bool known;      /* an init (with its authority) or officer.migrate record began it */
	uint32_t serial; /* of officers.luks's roster, as the newest record stating one said */
	uint64_t seq;    /* the newest record that changed it */
	size_t count;
	struct lt_audit_officer officer[LT_AUDIT_ROSTER_MAX];
	/* the officers the log removed since (the newest LT_AUDIT_ROSTER_MAX, not added again) */
	size_t ngone;
	char gone[LT_AUDIT_ROSTER_MAX][LETHE_OFFICER_MAX + 1];
};

/* The detail of an officer.add or officer.remove record: "NAME keyslot=K roster=S", the
 * officer, their keyslot of officers.luks and the serial of the roster the change wrote. */
void lt_audit_officer_detail(char *buf, size_t len, const char *name, int keyslot, uint32_t serial);

/* Parse such a detail, or the bare "NAME" of an earlier release (*@p keyslot -1, *@p serial 0).
 * False when it names no officer. */
bool lt_audit_officer_detail_parse(const char *text, char name[LETHE_OFFICER_MAX + 1], int *keyslot,
				   uint32_t *serial);

/* Whether @p rec begins a roster: a store's init record naming its authority, or an
 * officer.migrate record; its officer (rec->keyslot) holds keyslot 0. */
bool lt_audit_roster_begins(const struct lt_db_audit *rec);

/* Officer @p name on @p r, or NULL. */
const struct lt_audit_officer *lt_audit_roster_find(const struct lt_audit_roster *r,
						    const char *name);

/* Whether the log removed officer @p name (and did not add them again). */
bool lt_audit_roster_removed(const struct lt_audit_roster *r, const char *name);

/* Replay @p rec (in log order) into @p r. False, with @p why, when it contradicts the roster:
 * an officer added twice, given a keyslot another officer holds, removed without being on it,
 * or a detail naming no officer. A change the log did not see (a crash between writing the
 * roster and its record: the serial skips one, or a record of an earlier release states none)
 * excuses the first three. Records of other actions change nothing. */
bool lt_audit_roster_apply(struct lt_audit_roster *r, const struct lt_db_audit *rec, char *why,
			   size_t why_len);

/* The newest successful officer.add, officer.remove or officer.migrate record, its MAC checked
 * (lt_audit_newest: a few index steps): what officers.luks's roster must not be older than. */
enum lethe_err lt_audit_roster_newest(struct lt_db *db, const uint8_t key[LT_KEY_LEN],
				      struct lt_db_audit *rec, bool *found);

/* ---- export (export.c) ---- */

/*
 * Write the records with seq >= @p since_seq and time >= @p since_time (seconds) to @p fd as
 * JSON Lines, in order; *@p count counts the records written. LETHE_ERR_IO when @p fd fails.
 */
enum lethe_err lt_audit_export(struct lt_db *db, int fd, uint64_t since_seq, int64_t since_time,
			       uint64_t *count);

/* ---- checkpoints (checkpoint.c) ---- */

/* A signed statement of the newest record's seq and MAC: the exact JSON bytes and the raw
 * Ed25519 signature over them. */
struct lt_audit_checkpoint {
	uint64_t audit_seq;
	char *json;
	size_t json_len;
	uint8_t sig[LT_ED25519_SIG_LEN];
};

/*
 * Inside the caller's transaction: sign the newest record of @p db with the evidence key
 * @p signer (the checkpoint covers the record of its own making when the caller appended one)
 * and append the checkpoint. @p cp is filled for lt_audit_checkpoint_write();
 * lt_audit_checkpoint_free() it whatever the result.
 */
enum lethe_err lt_audit_checkpoint_add(struct lt_db *db, const char *store_id,
				       struct lt_ed25519_key *signer,
				       struct lt_audit_checkpoint *cp);

/* What the signed JSON of a checkpoint states: the record it signed, for @p store_id (NULL:
 * any). LETHE_ERR_INTEGRITY when @p json is not a checkpoint (of that store). The signature
 * is the caller's to check first. */
enum lethe_err lt_audit_checkpoint_parse(const void *json, size_t len, const char *store_id,
					 struct lt_audit_head *out);

/* Write checkpoint-<audit_seq>.json and .sig into @p dir (created if needed), atomically. */
enum lethe_err lt_audit_checkpoint_write(const char *dir, const struct lt_audit_checkpoint *cp);

void lt_audit_checkpoint_free(struct lt_audit_checkpoint *cp);

#endif
