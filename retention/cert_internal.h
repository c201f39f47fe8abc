/* cert_internal.h - what the files of retention/'s disposal evidence share: the fixed texts of
 * a certificate, the id syntax, and the streaming chain verifier. Not for other modules.
 */
#ifndef LT_RETENTION_CERT_INTERNAL_H
#define LT_RETENTION_CERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "crypt/prim.h"
#include "retention/cert.h"

/*
 * Compact (no insignificant white space) and ASCII-only: non-ASCII and control characters in
 * free text are \u-escaped, so the signed bytes never depend on a terminal's or a tool's idea
 * of an encoding, cannot carry terminal escape sequences, and grep/sed read them the same in
 * every locale. Keys keep the order they are added in.
 */
#define LT_CERT_JSON_FORM LT_JSON_ASCII

/* Largest integer every JSON parser reads exactly (I-JSON, RFC 7493: 2^53 - 1). */
#define LT_CERT_UINT_MAX ((UINT64_C(1) << 53) - 1)

/* A SHA-256 as certificates write it: lower-case hex. */
#define LT_CERT_HEX_LEN (2 * (size_t) LT_SHA256_LEN)

/* The fixed texts of a version 1 certificate. */
#define LT_CERT_HOLD_CHECK     "no hold on object or group"
#define LT_CERT_METHOD         "cryptographic erase"
#define LT_CERT_STANDARD       "NIST SP 800-88 Rev. 1"
#define LT_CERT_VERIFICATION   "data key row deleted; ciphertext unlinked"
#define LT_CERT_REASON_EXPIRED "retention-expired"
#define LT_CERT_REASON_MANUAL  "manual"

/* What a well-formed certificate says about its object and its retention. */
struct lt_cert_facts {
	char object_id[LETHE_ID_LEN + 1];
	char group[LETHE_GROUP_MAX + 1];
	int64_t created_at, retain_until, shredded_at;
	int64_t retention; /* policy.retention_seconds */
	bool lock;         /* policy.lock */
	bool forced;       /* reason.forced */
};

/*
 * A chain being verified one certificate at a time: what the next certificate is checked
 * against, and the problems so far. Only the previous certificate's hash is kept, never the
 * certificates themselves.
 */
struct lt_cert_chain {
	const uint8_t *pub;
	lt_cert_problem_fn fn;
	void *ctx;
	uint64_t problems;     /* everything reported */
	uint64_t io_problems;  /* of which: files that could not be read (not tampering) */
	uint64_t position;     /* of the certificate being checked, from 1 */
	uint64_t expected_seq; /* the seq the next certificate must carry */
	bool prev_known;       /* false after a certificate that could not be read at all */
	uint8_t prev_sha256[LT_SHA256_LEN];
	bool have_store_id;
	char store_id[LETHE_ID_LEN + 1];
	bool last_has_seq; /* the seq of the certificate checked last, if it had one */
	uint64_t last_seq;
	bool have_shredded_at; /* the newest shredded_at seen so far along the chain */
	int64_t max_shredded_at;
	/* What the certificate checked last says, for checks against the store (cert_store.c);
	 * valid when its fields all had the right types. */
	bool last_facts_ok;
	struct lt_cert_facts last_facts;
};

/* Start a chain verified under @p pub; problems go to @p fn (may be NULL). */
void lt_cert_chain_init(struct lt_cert_chain *c, const uint8_t *pub, lt_cert_problem_fn fn,
			void *ctx);

/* Report a problem about @p where; both strings reach the callback as printable ASCII. */
void lt_cert_report(struct lt_cert_chain *c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Check the certificate at the next position: its signature when @p sig is not NULL (a missing
 * signature is reported by the caller, who knows why), its content, its links to the previous
 * one, and that its certificate_id is @p expect_id unless that is NULL. Problems are reported;
 * only a failure to check at all (memory, the crypto library) is returned.
 */
enum lethe_err lt_cert_chain_check(struct lt_cert_chain *c, const char *where,
				   const char *expect_id, const uint8_t *json, size_t len,
				   const uint8_t *sig);

/* A certificate that could not be read at all takes the next position. */
void lt_cert_chain_skip(struct lt_cert_chain *c);

/* LETHE_OK; LETHE_ERR_INTEGRITY if anything but unreadable files was reported; otherwise
 * LETHE_ERR_IO if some files could not be read. Records the detail. */
enum lethe_err lt_cert_chain_result(const struct lt_cert_chain *c);

#endif
