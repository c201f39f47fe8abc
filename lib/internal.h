/* internal.h - the store handle and the helpers lib/ shares between its files. */
#ifndef LT_LIB_INTERNAL_H
#define LT_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "common/config.h"
#include "common/err.h"
#include "common/str.h"
#include "common/uuid.h"
#include "crypt/prim.h"
#include "include/lethe.h"
#include "keys/anchor.h"
#include "keys/authority.h"
#include "keys/kekring.h"
#include "keys/keystore.h"
#include "store/db.h"
#include "store/objstore.h"

/*
 * Keys a handle holds, in one locked, wiped-on-free block. The master key itself is kept only
 * by officer handles (adding an officer needs it); a service handle keeps only what is derived
 * from it.
 */
struct lt_handle_keys {
	uint8_t mk[LT_MK_LEN];             /* zero unless officer */
	uint8_t oas[LT_KEY_LEN];           /* officer authority secret; zero unless officer */
	uint8_t kek_wrap[LT_KEY_LEN];      /* wraps KEK versions */
	uint8_t audit_mac[LT_KEY_LEN];     /* keys the audit chain */
	uint8_t audit_anchor[LT_KEY_LEN];  /* MACs the audit anchor (keys/anchor.h) */
	uint8_t name_commit[LT_KEY_LEN];   /* gives the salts of name commitments (keys/name.h) */
	uint8_t evidence_wrap[LT_KEY_LEN]; /* wraps the evidence signing seed */
	uint8_t evidence_seed[LT_ED25519_PRIV_LEN]; /* loaded on first signature */
	bool evidence_loaded;
	/* the public half derived from the seed (never meta.evidence_pub, only checked
	 * against it): set with evidence_signer */
	uint8_t evidence_pub[LT_ED25519_PUB_LEN];
	bool evidence_pub_known;
};

struct lethe_store {
	char *dir;
	char *keystore_path;
	char *officers_path; /* DIR/officers.luks (keys/authority.h) */
	/* what was damaged in the LUKS2 headers of keystore.luks and officers.luks when the
	 * handle opened, before libcryptsetup rewrote it ("" when intact): doctor reports it */
	struct lt_err_saved keystore_damage, officers_damage;
	char *db_path;
	struct lt_config cfg;
	struct lt_db *db;
	struct lt_objstore *objs;    /* where the objects' ciphertext lives */
	struct lt_handle_keys *keys; /* lt_secmem */
	/* MACs the metadata rows (keys/rowauth.h), attached to db once unlocked */
	struct lt_row_auth *row_auth;
	/* the evidence seed ready to sign (set up once by lt_evidence_key_load(): a sweep signs
	 * one certificate per object); wiped by lethe_store_close() */
	struct lt_ed25519_key *evidence_signer;
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who; /* the keyslot that unlocked the handle */
	/* the OAK public key the officer's passphrase opened (officer handles only) */
	uint8_t authority_pub[LT_ED25519_PUB_LEN];
	/* the roster of officers.luks that officer's unlock went by, held to the audit log by
	 * lt_authority_open() (officer handles only) */
	struct lt_authority roster;
	/* keys->oas holds this store's officer authority secret (an officer's handle, once
	 * officers.luks opened or was made): every record the handle appends is signed by the OAK
	 * (audit.c), set up from it on first use and wiped by lethe_store_close() */
	bool authority_ready;
	struct lt_ed25519_key *authority_signer;
	bool officer;
	/* inside lethe_key_auto() with [keys] auto_rotate = true: rotate, rewrap and retire run
	 * without an officer, audited as key.auto_* (lib/keyauto.c says why that is safe) */
	bool key_auto;
	/* actor, recorded in audit records and certificates (keyslot: who.name once unlocked) */
	struct lt_audit_actor actor;
	/* the KEK versions: the keystore's token as last read, unwrapped under keys->kek_wrap */
	struct lt_kek_ring keks;
	lethe_progress_fn progress;
	void *progress_ctx;
	bool in_tx;
	struct lt_audit_queue syslog_queue; /* sent to syslog on commit */
	/* why the clock could not be compared with the kernel's at open ("" when it was, and
	 * agreed): nothing is then shredded by this handle (clock.c) */
	struct lt_err_saved clock_unchecked;
	/* the newest audit record and certificate this handle appended in the open transaction,
	 * then, once committed, what it must anchor in the keystore (audit.c) */
	struct lt_audit_head tx_head;
	uint64_t tx_cert_seq;
	uint8_t tx_cert_sha256[32];
	struct lt_anchor anchor_due;
	uint64_t anchored_seq; /* the audit seq this handle last anchored */
	bool anchor_dirty;     /* anchor_due is ahead of the keystore's anchor */
	bool anchoring;        /* lt_audit_anchor() is at work */
	/* Why the handle cannot write, or NULL: a read-only file system (a snapshot, a read-only
	 * mount), no write permission, a full disk. Such a handle serves reads and writes
	 * nothing at all: no recovery at open, no unlink, no checkpoint, no audit record. */
	const char *read_only;
	enum lethe_err read_only_err; /* what a write is refused with: IO or NOSPC */
	bool write_refused;           /* lt_store_writable() refused one */
	/* audit records of operations that stood although meta.db could not take their record
	 * (read-only or full): each went to syslog instead; the caller is told too */
	uint64_t unaudited;
	const char *unaudited_why;
};

/* ---- transactions that carry audit records (audit.c) ---- */

/* lt_db_begin(); audit records appended until commit go to syslog only if it commits. */
enum lethe_err lt_tx_begin(struct lethe_store *st);
enum lethe_err lt_tx_commit(struct lethe_store *st);
void lt_tx_rollback(struct lethe_store *st);

/* Append a record of @p ev (struct in audit/audit.h) by the handle's actor inside the caller's
 * transaction. */
enum lethe_err lt_audit_append(struct lethe_store *st, const struct lt_audit_event *ev);

/*
 * Record an event in a transaction of its own (read-only operations, refusals, failures).
 * Keeps the caller's error detail intact; a failure to record is reported on syslog only,
 * and returns its error. Except when the store cannot take the record (a read-only handle,
 * a full disk): the operation must not fail for it, so the record goes to syslog with a
 * warning, is counted for lethe_store_unaudited(), and LETHE_OK is returned.
 */
enum lethe_err lt_audit_record(struct lethe_store *st, const struct lt_audit_event *ev);

/* Record a failure that happened before any key was available (audit_pending + syslog). */
void lt_audit_record_unkeyed(struct lt_db *db, const struct lt_config *cfg, const char *action,
			     const char *keyslot, enum lethe_err err, const char *error);

/* Fold audit_pending records into the chain (called by open once unlocked). */
enum lethe_err lt_audit_fold_pending(struct lethe_store *st);

/* A certificate @p seq with @p sha256 was appended in the open transaction: anchored with it. */
void lt_audit_note_cert(struct lethe_store *st, uint64_t seq, const uint8_t sha256[32]);

/*
 * Move the keystore's audit anchor forward to what this handle committed (close does it, and
 * a commit after LT_ANCHOR_EVERY records). On a store not anchored yet (one from before
 * anchors, or a new one with @p create), create the anchor and append the "audit.anchor"
 * record that says it exists; on a store whose log has that record but whose keystore lost
 * the anchor, create nothing (`audit verify` reports it). Best effort for the caller: a failure
 * is reported to syslog and returned.
 */
#define LT_ANCHOR_EVERY 4096
enum lethe_err lt_audit_anchor(struct lethe_store *st, bool create);

/* What the init record of a store made with row MACs and the audit anchor says (a store from
 * 0.1.x has an init record without it). */
#define LT_INIT_SEALED "row MACs sealed"

/* ---- the security settings recorded in meta.db (secconf.c) ---- */

/* Record the handle's security settings in meta (inside the caller's transaction). */
enum lethe_err lt_secconf_record(struct lethe_store *st);
/* Compare the handle's security settings with those recorded: *@p differs, and @p what says
 * "SETTING OLD -> NEW; ..."; *@p recorded false when none are recorded. */
enum lethe_err lt_secconf_compare(struct lethe_store *st, char *what, size_t max, bool *differs,
				  bool *recorded);
/* At a writable open: settings changed since recorded are appended as "config.change" (sent
 * to syslog even when they turn it off) and recorded anew; none recorded (a store from before
 * this check) are recorded with "config.record". */
enum lethe_err lt_secconf_open(struct lethe_store *st);

/*
 * How the audit log begins: *@p init when record 1 is an "init" record whose chain MAC
 * verifies; *@p anchored_at_init when that record says the store was sealed and anchored when
 * it was made (LT_INIT_SEALED). Every store's log begins so; one that does not had records
 * deleted, and nothing is sealed or anchored from it.
 */
enum lethe_err lt_audit_log_start(struct lethe_store *st, bool *init, bool *anchored_at_init);

/*
 * The checks of the anchor that need no walk of the chain (doctor): the anchor missing where
 * the log says or implies one was made, the log not reaching the anchor, the log not beginning
 * with its init record. Each problem goes to @p fn; *@p bad set when there is one.
 */
enum lethe_err lt_audit_check_anchor(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
				     bool *bad);

/* ---- officers only (keyops.c) ---- */

/* LETHE_ERR_NOT_OFFICER ("@p what needs an officer passphrase"), audited as @p action, unless
 * the handle was unlocked by an officer. */
enum lethe_err lt_need_officer(struct lethe_store *st, const char *action, const char *what);

/* ---- disposal evidence: the key (evidence.c), the store's check (evidence_verify.c) ---- */

/* Load the evidence signing seed into st->keys and set up st->evidence_signer (once), and
 * its public half into st->keys->evidence_pub after checking that meta.evidence_pub is that
 * key (LETHE_ERR_INTEGRITY when the database holds another). */
enum lethe_err lt_evidence_key_load(struct lethe_store *st);

/* The store's evidence public key, bound to the master key (lt_evidence_key_load()). */
enum lethe_err lt_evidence_pub(struct lethe_store *st, uint8_t pub[LT_ED25519_PUB_LEN]);

/*
 * The store's certificates checked under the evidence key bound to the master key, against the
 * rest of the store and the keystore's anchor; each problem to @p fn (when set), *@p count the
 * certificates checked. LETHE_ERR_INTEGRITY, naming the first problem, when there is any.
 */
enum lethe_err lt_evidence_check(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
				 uint64_t *count);

/* ---- officer authority (officer.c) ---- */

/*
 * Whether roster @p a (read from officers.luks) is not older than the audit log's newest
 * officer.add or officer.remove record, which must carry @p a's authority's signature:
 * LETHE_ERR_INTEGRITY, saying so, when it is (officers.luks rolled back or an older roster
 * replayed, docs/THREATS.md T1). The officer open and doctor ask.
 */
enum lethe_err lt_officer_roster_check(struct lethe_store *st, const struct lt_authority *a);

/*
 * After an officer unlock: the OAK that signed officers.luks must be the one meta.db pinned
 * (an officers.luks from elsewhere, or made by someone holding MK, is refused: exit 4).
 * A store from before officers.luks (no pin, no file) is migrated here: officers.luks is
 * made around a new authority for this officer, pinned, audited, and the officer's keyslot
 * in keystore.luks destroyed.
 */
enum lethe_err lt_authority_open(struct lethe_store *st, bool legacy, const char *passphrase,
				 size_t pass_len);

/* ---- shredding (shred.c) ---- */

/* Read object @p id's row into @p row: LETHE_ERR_NOT_FOUND ("no such object") or
 * LETHE_ERR_SHREDDED ("already crypto-shredded") unless it is live. */
enum lethe_err lt_live_row(struct lethe_store *st, const char *id, struct lt_db_object *row);

/*
 * Inside a transaction: destroy object @p obj's DEK, write its signed certificate and the audit
 * record (@p action: "rm" or "sweep.shred"), at @p now: the time the retention decision was
 * taken at, so the certificate states exactly what was decided. @p reason "retention-expired"
 * or "manual";
 * @p text the rm reason (or NULL).
 */
/*
 * Before a shred: the row of @p obj (and @p group_held, its group's hold as group_holds says)
 * must be at least as protective as the audit log says it was made: no hold set (on it or its
 * group) that no later record cleared, no extension or put date later than its retain_until,
 * no put lock it lacks. A rolled-back or rewritten row (its MAC valid) is LETHE_ERR_INTEGRITY
 * naming the record, and so is a record used that fails its MAC.
 */
enum lethe_err lt_shred_log_check(struct lethe_store *st, const struct lt_db_object *obj,
				  bool group_held);
enum lethe_err lt_shred_in_tx(struct lethe_store *st, const struct lt_db_object *obj, int64_t now,
			      const char *action, const char *reason, const char *text, bool forced,
			      char cert_id[LETHE_ID_LEN + 1]);

/* ---- the clock (clock.c, T3 of docs/THREATS.md) ---- */

/* At open: LETHE_ERR_CLOCK when the process clock and the kernel's (the time of a new file in
 * tmp/) stand more than LT_RETENTION_CLOCK_SKEW_MAX apart. */
enum lethe_err lt_clock_check_open(struct lethe_store *st);

/* The time a decision is taken on (@p action: "put", ...): lt_now(), checked against the
 * kernel's like at open (LETHE_ERR_CLOCK, sent to syslog here), or the error of reading it. */
enum lethe_err lt_clock_now(struct lethe_store *st, const char *action, int64_t *now);

/*
 * Before shredding (@p action: "sweep", "rm"): *@p now, the time the decision is taken at;
 * LETHE_ERR_CLOCK when it is earlier than the newest authenticated audit record or the clock
 * could not be checked at open, LETHE_ERR_INTEGRITY when that record fails its MAC. A clock
 * refusal is sent to syslog here and must not be recorded in the chain by the caller.
 */
enum lethe_err lt_clock_for_shred(struct lethe_store *st, const char *action, int64_t *now);

/* ---- recovery (doctor.c) ---- */

/* The cheap recovery every open runs: staged writes of dead processes, pending unlinks. It
 * never fails the open: what it cannot finish stays for the next open and for doctor. */
void lt_recover_cheap(struct lethe_store *st);

/* ---- row MACs ---- */

/* Before an operation destroys or moves keys, inside its transaction: the metadata it depends
 * on is as lethe wrote it (lt_db_rowmac_precheck); LETHE_ERR_INTEGRITY otherwise, audited by the
 * caller's failure path. */
enum lethe_err lt_rows_precheck(struct lethe_store *st);

/* ---- helpers (api.c) ---- */

/*
 * The paths whose content decides what lethe does: the store directory @p dir, its lethe.conf
 * @p conf, objects/ and tmp/, each owned by the running user and not group- or world-writable
 * (lt_check_owned()). Missing ones are skipped. @p fn, when set, hears of each path checked
 * (@p detail NULL when it passed). Returns the first failure (LETHE_ERR_PERMISSION with the
 * fix in the detail).
 */
typedef void (*lt_store_owned_fn)(const char *path, enum lethe_err rc, const char *detail,
				  void *ctx);
enum lethe_err lt_store_check_owned(const char *dir, const char *conf, lt_store_owned_fn fn,
				    void *ctx);
/* A refusal for the owners of the store's files (@p rc, LETHE_ERR_PERMISSION): the fix in
 * full, naming the store's owner (api.c), or @p rc when none applies. */
enum lethe_err lt_store_owner_fix(const struct lethe_store *st, enum lethe_err rc);
/* LETHE_OK if the handle can write; else the refusal, saying why (read-only, disk full). Every
 * write starts here (lt_tx_begin() calls it), before it changes anything. */
enum lethe_err lt_store_writable(struct lethe_store *st);

/* The Argon2id cost of new officer keyslots, from [keys] officer_kdf_* (officer.c). */
struct lt_kdf_params lt_officer_kdf(struct lethe_store *st);

/* The checks every hold and extension call starts with: a store, and one target (an object or
 * a group: hold.c). */
enum lethe_err lt_hold_args(struct lethe_store *st, const char *id, const char *group);

/* ---- object names (names.c) ---- */

/* Encrypt @p name into @p row (its id set) under @p dek and commit to it: name_enc and
 * name_commit set, the clear name column empty. */
enum lethe_err lt_names_protect(struct lethe_store *st, struct lt_db_object *row,
				const uint8_t dek[LT_KEY_LEN], const char *name);

/* Names of many rows (a listing): each KEK version unwrapped once. */
struct lt_names_reader {
	struct lt_kek_ring_cache keks;
	uint8_t *dek;        /* lt_secmem scratch: the DEK, then the name key (2 * LT_KEY_LEN) */
	struct lt_hkdf *kdf; /* the name keys' HKDF, set up once */
};
enum lethe_err lt_names_reader_init(struct lethe_store *st, struct lt_names_reader *r);
/* The name of @p row: "" once shredded; LETHE_ERR_INTEGRITY when it does not decrypt. */
enum lethe_err lt_names_read(struct lt_names_reader *r, const struct lt_db_object *row,
			     char name[LETHE_NAME_MAX + 1]);
void lt_names_reader_free(struct lt_names_reader *r);

/* At a writable keyed open: the clear names of a store from before schema 3 encrypted, in
 * one transaction recorded as "store.names" (nothing to do: no transaction). */
enum lethe_err lt_names_convert(struct lethe_store *st);

/* Progress report if a callback is set. */
void lt_progress(struct lethe_store *st, const char *what, uint64_t done, uint64_t total);

/* ---- the handle that init and open share (api.c, seal.c) ---- */

/* "@p dir/@p name", malloc'd (NULL when out of memory). */
char *lt_path_join(const char *dir, const char *name);
/* A handle for the store in @p dir with the default configuration, nothing opened or unlocked
 * yet (NULL when out of memory). */
struct lethe_store *lt_store_alloc(const char *dir);
/* The handle's purpose keys (KEK wrap, audit MAC and anchor, evidence wrap, row MAC), derived
 * from the master key @p mk for the handle's store_id. */
enum lethe_err lt_store_derive_keys(struct lethe_store *st, const uint8_t *mk);
/* At open (unlock.c): the master key from the service keyfile, or from @p o's passphrase (of
 * officer @p officer only, when not NULL; *@p legacy: officer keyslots of keystore.luks), and
 * the handle's keys derived from it. */
enum lethe_err lt_store_unlock(struct lethe_store *st, const struct lethe_open_opts *o,
			       const char *officer, bool *legacy);
/* At open: seal the rows of a store from before row MACs, once (seal.c says when it refuses). */
enum lethe_err lt_store_seal(struct lethe_store *st);

/* Progress of a put or a get (object.c): plaintext bytes so far, out of a total (0 when not
 * known); lt_data_progress_cb() is the crypt/lth.h callback that reports it. */
struct lt_data_progress {
	struct lethe_store *st;
	const char *what;
	uint64_t done, total;
};
void lt_data_progress_cb(uint64_t file_bytes, uint64_t plaintext_bytes, void *ctx);

#endif
