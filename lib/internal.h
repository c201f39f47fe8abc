/* internal.h - the store handle and the helpers lib/ shares between its files. */
#ifndef LT_LIB_INTERNAL_H
#define LT_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "common/config.h"
#include "common/str.h"
#include "common/uuid.h"
#include "crypt/prim.h"
#include "include/lethe.h"
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
	uint8_t mk[LT_MK_LEN];                 /* zero unless officer */
	uint8_t kek_wrap[LT_KEY_LEN];          /* wraps KEK versions */
	uint8_t audit_mac[LT_KEY_LEN];         /* keys the audit chain */
	uint8_t evidence_wrap[LT_KEY_LEN];     /* wraps the evidence signing seed */
	uint8_t evidence_seed[LT_ED25519_PRIV_LEN]; /* loaded on first signature */
	bool evidence_loaded;
};

struct lethe_store {
	char *dir;
	char *keystore_path;
	char *db_path;
	struct lt_config cfg;
	struct lt_db *db;
	struct lt_objstore *objs;              /* where the objects' ciphertext lives */
	struct lt_handle_keys *keys;           /* lt_secmem */
	/* MACs the metadata rows (keys/rowauth.h), attached to db once unlocked */
	struct lt_row_auth *row_auth;
	/* the evidence seed ready to sign (set up once by lt_evidence_key_load(): a sweep signs
	 * one certificate per object); wiped by lethe_store_close() */
	struct lt_ed25519_key *evidence_signer;
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;               /* the keyslot that unlocked the handle */
	bool officer;
	/* actor, recorded in audit records and certificates (keyslot: who.name once unlocked) */
	struct lt_audit_actor actor;
	/* the KEK versions: the keystore's token as last read, unwrapped under keys->kek_wrap */
	struct lt_kek_ring keks;
	lethe_progress_fn progress;
	void *progress_ctx;
	bool in_tx;
	struct lt_audit_queue syslog_queue;    /* sent to syslog on commit */
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
 * and returns its error.
 */
enum lethe_err lt_audit_record(struct lethe_store *st, const struct lt_audit_event *ev);

/* Record a failure that happened before any key was available (audit_pending + syslog). */
void lt_audit_record_unkeyed(struct lt_db *db, const struct lt_config *cfg, const char *action,
			     const char *keyslot, enum lethe_err err, const char *error);

/* Fold audit_pending records into the chain (called by open once unlocked). */
enum lethe_err lt_audit_fold_pending(struct lethe_store *st);

/* ---- keys (keyops.c) ---- */

/* Load the evidence signing seed into st->keys and set up st->evidence_signer (once). */
enum lethe_err lt_evidence_key_load(struct lethe_store *st);

/* LETHE_ERR_NOT_OFFICER ("@p what needs an officer passphrase"), audited as @p action, unless
 * the handle was unlocked by an officer. */
enum lethe_err lt_need_officer(struct lethe_store *st, const char *action, const char *what);

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
enum lethe_err lt_shred_in_tx(struct lethe_store *st, const struct lt_db_object *obj,
			      int64_t now, const char *action, const char *reason,
			      const char *text, bool forced, char cert_id[LETHE_ID_LEN + 1]);

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

/* Progress report if a callback is set. */
void lt_progress(struct lethe_store *st, const char *what, uint64_t done, uint64_t total);


#endif
