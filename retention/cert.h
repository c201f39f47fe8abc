/* cert.h - disposal certificates (NIST SP 800-88 style) and their verification.
 *
 * A certificate is a JSON object (common/json.h: keys in a fixed order, compact, ASCII) whose
 * exact bytes are signed with the store's Ed25519 evidence key; each names the SHA-256 of the
 * previous certificate's bytes, so the certificates form a chain an auditor checks with
 * `openssl pkeyutl -verify` and `sha256sum` alone.
 *
 * The bytes of a certificate are one line: compact JSON (no white space outside strings),
 * ASCII only (anything else in free text is \u-escaped), then "\n". The fields of version 2,
 * in this order, and nothing else (shown wrapped):
 *
 *   {"type":"lethe-disposal-certificate","version":2,"certificate_id":UUID,"seq":N,
 *    "store_id":UUID,
 *    "object":{"id":UUID,"group":G,"name_commit":HEX,"size":N,"ciphertext_sha256":HEX,
 *              "created_at":TIME,"retain_until":TIME},
 *    "policy":{"group":G,"retention":"365d","retention_seconds":N,"lock":BOOL},
 *    "reason":{"code":"retention-expired"|"manual","text":STRING|null,"forced":BOOL},
 *    "hold_check":"no hold on object or group",
 *    "sanitization":{"method":"cryptographic erase","standard":"NIST SP 800-88 Rev. 1",
 *                    "destroyed":{"dek_id":UUID,"kek_version":N},
 *                    "verification":"data key row deleted; ciphertext unlinked"},
 *    "actor":{"uid":N,"user":STRING,"keyslot":STRING},"host":STRING,
 *    "tool":{"name":"lethe","version":STRING},
 *    "shredded_at":TIME,"prev_sha256":HEX}
 *
 * name_commit is HMAC-SHA256(salt, name) under a salt only the store's keys give
 * (keys/name.h; `lethe evidence prove-name` reveals one object's salt). Version 1, written
 * before 0.2, has "version":1 and "name_sha256":HEX (the unsalted SHA-256 of the name) in its
 * place and is otherwise the same; the verifier accepts both in one chain.
 *
 * UUID: lower-case canonical text. HEX: 64 lower-case hex digits (SHA-256). TIME: RFC 3339
 * UTC to the second ("2026-11-23T11:34:05Z"). N: an integer in 0..2^53-1 (exact in every JSON
 * parser). prev_sha256 is last so that a line-oriented tool finds it at the end of the line;
 * it is 64 zeros in the first certificate (seq 1).
 *
 * An evidence directory (lt_cert_export_dir, `lethe evidence export DIR`) holds:
 *   evidence.pub.pem    the evidence public key, PEM SubjectPublicKeyInfo
 *   certificates.jsonl  the certificates' exact bytes, one after the other in chain order
 *                       (each is one line), from seq first_seq to last_seq
 *   certificates.sig    each one's Ed25519 signature, 64 raw bytes each, in the same order
 *   manifest.txt        exactly these lines (N decimal without leading zeros, HEX 64
 *                       lower-case hex digits):
 *                         lethe-disposal-manifest 1
 *                         first_seq N     (1 for a full export)
 *                         last_seq N      (first_seq - 1 when there are none)
 *                         count N         (last_seq - first_seq + 1)
 *                         prev_sha256 HEX (SHA-256 of certificate first_seq - 1; zeros for 1)
 *                         last_sha256 HEX (SHA-256 of certificate last_seq; else prev_sha256)
 *                         HEX  certificates.jsonl   (sha256sum's format: its SHA-256)
 *                         HEX  certificates.sig
 *   manifest.sig        Ed25519 signature of manifest.txt's exact bytes: 64 raw bytes. One
 *                       signature covers the export: `sha256sum -c` ties the files to it.
 *                       It cannot reveal an older export put in place of a newer one: the
 *                       README tells auditors to compare last_seq with the store's own list,
 *                       and an export's prev_sha256 with the previous one's last_sha256.
 *   README.txt          for auditors: the openssl and coreutils commands, and a POSIX sh
 *                       script that checks everything above without lethe
 * and nothing else. All files are 0644 (evidence holds no secret: names are committed to
 * under salts the store keeps); the
 * directory is created 0755 (less the umask). The verifier also reads the format written
 * before the manifest: ID.json and ID.sig per certificate, chain.txt ("lethe-disposal-chain
 * 1", then "<seq> <ID>" per certificate) and chain.sig, its signature.
 */
#ifndef LT_RETENTION_CERT_H
#define LT_RETENTION_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/sizes.h"
#include "include/lethe.h"
#include "store/db.h"

struct lt_ed25519_key;

#define LT_CERT_TYPE "lethe-disposal-certificate"
/* The version lt_cert_issue() writes; the verifier reads 1 too. */
#define LT_CERT_VERSION 2
/* The largest certificate the verifier reads (lt_cert_build's stay below 8 KiB). */
#define LT_CERT_JSON_MAX 65536
/* The largest chain.txt the verifier reads and the exporter writes: ~4.6 million lines. */
#define LT_CERT_CHAIN_MAX ((size_t) 256 * 1024 * 1024)

/*
 * What a certificate says. lt_cert_build refuses (LETHE_ERR_INVALID) ids that are not
 * lower-case UUIDs, an invalid group, seq 0, integers above 2^53-1, times outside
 * 1970..9999 (LT_RETENTION_TIME_MAX), a reason other than "retention-expired"/"manual", a
 * forced shred that is not "manual", a "manual" one without reason_text, free text that is not
 * UTF-8 or too long; and (LETHE_ERR_INTERNAL) a certificate whose holds were not checked, or
 * that shreds before retain_until in a locked group or without force. shredded_at should be
 * the "now" that lt_retention_may_shred() allowed.
 */
struct lt_cert_fields {
	char certificate_id[LETHE_ID_LEN + 1];
	uint64_t seq; /* position in the chain, from 1 */
	char store_id[LETHE_ID_LEN + 1];
	char object_id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	unsigned version; /* 1 or 2 (LT_CERT_VERSION); anything else is refused */
	/* the name itself is confidential: version 2 states its salted commitment, version 1
	 * (read, and written only to test that it still verifies) its unsalted hash */
	uint8_t name_commit[LT_SHA256_LEN];
	uint8_t name_sha256[LT_SHA256_LEN];
	uint64_t size;
	uint8_t ciphertext_sha256[LT_SHA256_LEN];
	int64_t created_at;
	int64_t retain_until;
	int64_t policy_retention; /* seconds, the group's policy now */
	bool policy_lock;
	const char *reason;            /* "retention-expired" or "manual" */
	const char *reason_text;       /* rm --reason, NULL for sweeps (JSON null);
						  at most LETHE_REASON_MAX bytes */
	bool forced;                   /* officer early shred */
	bool hold_checked_clear;       /* object and group holds were checked: none */
	char dek_id[LETHE_ID_LEN + 1]; /* = object id: one DEK per object */
	uint32_t kek_version;
	uint32_t actor_uid;
	const char *actor_user;    /* at most 255 bytes */
	const char *actor_keyslot; /* at most 63 bytes */
	const char *host;          /* at most 255 bytes */
	const char *tool_version;  /* at most 63 bytes */
	int64_t shredded_at;
	uint8_t prev_sha256[LT_SHA256_LEN]; /* zeros for the first certificate */
};

/*
 * Build the certificate's bytes (malloc'd, not NUL-terminated JSON text + "\n"; free()).
 * @return LETHE_OK; LETHE_ERR_INVALID (see struct lt_cert_fields); LETHE_ERR_INTERNAL;
 *         LETHE_ERR_NOMEM.
 */
enum lethe_err lt_cert_build(const struct lt_cert_fields *f, char **json, size_t *len);

/* What a disposal certificate records besides the object's row: the decision, who took it,
 * and the chain it joins. */
struct lt_cert_disposal {
	const char *store_id;
	const struct lt_config *cfg; /* the policy is the object's (lt_retention_object_policy) */
	const char *reason;          /* "retention-expired" or "manual" */
	const char *reason_text;     /* rm --reason; NULL for sweeps */
	bool forced;                 /* early, as lt_retention_may_remove() said */
	int64_t shredded_at;         /* the "now" retention decided at */
	uint32_t actor_uid;
	const char *actor_user;
	const char *actor_keyslot;
	const char *host;
	const char *tool_version;
	uint64_t prev_seq;          /* the chain's newest certificate: its seq (0: none) */
	const uint8_t *prev_sha256; /* and its SHA-256 (LT_SHA256_LEN bytes, zeros when none) */
};

/*
 * Issue the certificate of shredding @p row (as read before the shred) that @p d describes:
 * its fields (version 2, a fresh certificate id, seq prev_seq + 1, the name commitment the row
 * holds, the object's policy,
 * holds checked clear: the caller shreds only what retention allowed), its bytes as
 * lt_cert_build() makes them, their signature by @p signer (the evidence key) and their
 * SHA-256, into @p out, ready for lt_db_cert_insert(). out->json is malloc'd: free() it, also
 * on failure (then NULL).
 * @return LETHE_OK, or what lt_cert_build() or signing returned.
 */
enum lethe_err lt_cert_issue(const struct lt_db_object *row, const struct lt_cert_disposal *d,
			     struct lt_ed25519_key *signer, struct lt_db_cert *out);

/* One certificate of a chain as the verifier sees it. */
struct lt_cert_item {
	const char *name; /* for messages: the certificate id or file name; when it is a
				 UUID, the certificate's certificate_id must equal it */
	const uint8_t *json;
	size_t len;
	const uint8_t *sig; /* 64 bytes */
};

/* Called for each problem: what certificate, what is wrong. */
typedef void (*lt_cert_problem_fn)(const char *where, const char *what, void *ctx);

/*
 * Verify a chain in order: each signature under @p pub, each certificate's "seq" is its
 * position (1..n: each one more than the previous), each "prev_sha256" is the SHA-256 of the
 * previous one's bytes (zeros for the first), the same store_id throughout, and each parses
 * (strict: no duplicate keys) to exactly the layout above, in canonical form, with fields of
 * the right types and no retention rule broken (shredded before retain_until in a locked group,
 * or without force). Reports every problem through @p fn (may be NULL), naming the item.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY if any problem was reported; LETHE_ERR_NOMEM or
 *         LETHE_ERR_CRYPTO when the check itself could not run.
 */
enum lethe_err lt_cert_verify_chain(const uint8_t pub[LT_ED25519_PUB_LEN],
				    const struct lt_cert_item *items, size_t count,
				    lt_cert_problem_fn fn, void *ctx);

/*
 * Read an exported evidence directory (see the top of this file) and verify it: chain.sig over
 * chain.txt, chain.txt's syntax and seqs (and no id listed twice; problems name "chain.txt
 * line N", counting its first line as 1), every listed certificate as
 * lt_cert_verify_chain() does and that its seq matches its line; reports listed certificates
 * that are missing, certificate files (*.json, *.sig) not listed, .sig files that are not 64
 * bytes, symlinks, non-regular and oversized files (nothing is followed or read unbounded).
 * @p count receives the certificates read. Verifies against the directory's own
 * evidence.pub.pem: that proves integrity, not origin (see lt_cert_verify_dir_key()).
 * @return LETHE_OK; LETHE_ERR_INVALID (@p dir is not a directory or has no evidence.pub.pem);
 *         LETHE_ERR_INTEGRITY (problems reported); LETHE_ERR_IO (some files could not be read,
 *         nothing else wrong); LETHE_ERR_NOMEM; LETHE_ERR_CRYPTO.
 */
enum lethe_err lt_cert_verify_dir(const char *dir, lt_cert_problem_fn fn, void *ctx,
				  uint64_t *count);

/*
 * As lt_cert_verify_dir(), but against the trusted public key @p pub (e.g. the store's own):
 * an evidence.pub.pem holding another key is reported, and every signature is checked under
 * @p pub. @p pub NULL: the directory's key, as lt_cert_verify_dir().
 */
enum lethe_err lt_cert_verify_dir_key(const char *dir, const uint8_t pub[LT_ED25519_PUB_LEN],
				      lt_cert_problem_fn fn, void *ctx, uint64_t *count);

/*
 * Verify the certificates held in @p db under @p pub (the store's evidence key, bound to its
 * master key) as lt_cert_verify_chain() does, and against the rest of the store: every
 * shredded object has a certificate and an authenticated shred record in the audit log
 * ("rm" or "sweep.shred", outcome ok: its forced removal or its sweep); every shred recorded
 * in the audit log ("rm",
 * "sweep.shred" with outcome ok) has one; every certificate has its object's put record in
 * the log and agrees with it (group, created_at; retain_until not earlier and lock not
 * weaker than the put fixed: lt_retention_put_detail()). The objects, the certificates and
 * the log are each read once (sorted sets, no per-object query). The audit log is read as stored:
 * `audit verify` is what authenticates it. @p count receives the certificates checked.
 * @return as lt_cert_verify_chain(); LETHE_ERR_DATABASE when the store cannot be read.
 */
enum lethe_err lt_cert_verify_store(struct lt_db *db, const uint8_t pub[LT_ED25519_PUB_LEN],
				    lt_cert_problem_fn fn, void *ctx, uint64_t *count);

/* A key pinned independently of an evidence directory: its public key, or its fingerprint
 * (lt_cert_fingerprint()'s bytes); both NULL: nothing pinned. */
struct lt_cert_pin {
	const uint8_t *pub; /* LT_ED25519_PUB_LEN bytes */
	const uint8_t *fpr; /* LT_SHA256_LEN bytes */
};

/*
 * As lt_cert_verify_dir_key(), with @p pin: a fingerprint pin is compared with the fingerprint
 * of evidence.pub.pem (a different one is reported). @p used receives the public key the set
 * was checked under; *@p have_used is false when there was none (no readable key).
 */
enum lethe_err lt_cert_verify_dir_pinned(const char *dir, const struct lt_cert_pin *pin,
					 lt_cert_problem_fn fn, void *ctx, uint64_t *count,
					 uint8_t used[LT_ED25519_PUB_LEN], bool *have_used);

/* The fingerprint of an evidence key: SHA-256 of its raw 32 bytes (what
 * `openssl pkey -pubin -outform DER | tail -c 32 | sha256sum` prints). */
#define LT_CERT_FPR_HEX_LEN 64
enum lethe_err lt_cert_fingerprint(const uint8_t pub[LT_ED25519_PUB_LEN],
				   uint8_t fpr[LT_SHA256_LEN]);
void lt_cert_fingerprint_hex(const uint8_t pub[LT_ED25519_PUB_LEN],
			     char hex[LT_CERT_FPR_HEX_LEN + 1]);

/* An export: the certificates from @p first_seq on, as the store holds them. */
struct lt_cert_export {
	const char *pub_pem; /* the evidence public key as lt_ed25519_pub_to_pem() writes it */
	const struct lt_cert_item *items; /* names are their certificate ids */
	size_t count;
	uint64_t first_seq;            /* items[0]'s seq: 1 for every certificate */
	const uint8_t *prev_sha256;    /* SHA-256 of certificate first_seq - 1; NULL when 1 */
	struct lt_ed25519_key *signer; /* the private half of pub_pem: signs manifest.txt */
	uint8_t *last_sha256;          /* NULL, or receives last_sha256 (LT_SHA256_LEN bytes) */
};

/*
 * Write an evidence directory @p dir (created 0755 if absent; see the top of this file) for
 * @p e. Refuses, writing nothing, a chain that does not verify from first_seq and
 * prev_sha256, and a directory that is not empty. Every file is written atomically, the
 * manifest's signature last.
 * @return LETHE_OK; LETHE_ERR_INVALID (a name that is not a UUID, a key pair that does not
 *         match); LETHE_ERR_INTEGRITY (the chain does not verify; the detail names the first
 *         problem); LETHE_ERR_EXISTS (@p dir is not empty); LETHE_ERR_IO; LETHE_ERR_NOSPC;
 *         LETHE_ERR_NOMEM; LETHE_ERR_CRYPTO.
 */
enum lethe_err lt_cert_export_dir(const char *dir, const struct lt_cert_export *e);

#endif
