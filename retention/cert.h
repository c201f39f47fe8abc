/* cert.h - disposal certificates (NIST SP 800-88 style) and their verification.
 *
 * A certificate is a JSON object (jansson, keys in a fixed order, compact, UTF-8) whose exact
 * bytes are signed with the store's Ed25519 evidence key; each names the SHA-256 of the
 * previous certificate's bytes, so the certificates form a chain an auditor checks with
 * `openssl pkeyutl -verify` and `sha256sum` alone.
 */
#ifndef LT_RETENTION_CERT_H
#define LT_RETENTION_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

struct lt_cert_fields {
	char certificate_id[LETHE_ID_LEN + 1];
	uint64_t seq;                          /* position in the chain, from 1 */
	char store_id[LETHE_ID_LEN + 1];
	char object_id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	uint8_t name_sha256[32];               /* the name itself is confidential */
	uint64_t size;
	uint8_t ciphertext_sha256[32];
	int64_t created_at;
	int64_t retain_until;
	int64_t policy_retention;              /* seconds, the group's policy now */
	bool policy_lock;
	const char *reason;                    /* "retention-expired" or "manual" */
	const char *reason_text;               /* rm --reason, NULL for sweeps */
	bool forced;                           /* officer early shred */
	bool hold_checked_clear;               /* object and group holds were checked: none */
	char dek_id[LETHE_ID_LEN + 1];         /* = object id: one DEK per object */
	uint32_t kek_version;
	uint32_t actor_uid;
	const char *actor_user;
	const char *actor_keyslot;
	const char *host;
	const char *tool_version;
	int64_t shredded_at;
	uint8_t prev_sha256[32];               /* zeros for the first certificate */
};

/* Build the certificate's bytes (malloc'd, not NUL-terminated JSON text + "\n"). */
enum lethe_err lt_cert_build(const struct lt_cert_fields *f, char **json, size_t *len);

/* Sign @p json with the evidence key seed. */
enum lethe_err lt_cert_sign(const uint8_t seed[32], const void *json, size_t len,
			    uint8_t sig[64]);

/* One certificate of a chain as the verifier sees it. */
struct lt_cert_item {
	const char *name;     /* for messages: the certificate id or file name */
	const uint8_t *json;
	size_t len;
	const uint8_t *sig;   /* 64 bytes */
};

/* Called for each problem: what certificate, what is wrong. */
typedef void (*lt_cert_problem_fn)(const char *where, const char *what, void *ctx);

/*
 * Verify a chain in order: each signature under @p pub, each certificate's "seq" is its
 * position (1..n), each "prev_sha256" is the SHA-256 of the previous one's bytes, and the JSON
 * parses with the required fields. Reports every problem; LETHE_ERR_INTEGRITY if any.
 */
enum lethe_err lt_cert_verify_chain(const uint8_t pub[32], const struct lt_cert_item *items,
				    size_t count, lt_cert_problem_fn fn, void *ctx);

/*
 * Read an exported evidence directory (evidence.pub.pem, chain.txt listing "<seq> <id>" per
 * line, <id>.json, <id>.sig) and verify it as above; also reports certificate files missing
 * from chain.txt or present on disk but not listed. @p count receives the certificates read.
 */
enum lethe_err lt_cert_verify_dir(const char *dir, lt_cert_problem_fn fn, void *ctx,
				  uint64_t *count);

#endif
