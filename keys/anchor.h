/* anchor.h - the audit anchor: the newest audit record and disposal certificate that writers of
 * the store committed, under a MAC by a key derived from the master key, kept in keystore.luks
 * (a LUKS2 token of type "lethe-anchor"), outside meta.db.
 *
 * Deleting the newest audit records (with their checkpoints), or the whole log, leaves a log
 * that does not reach the anchor: `audit verify` fails. The anchor only moves forward: each
 * field pair (audit seq and MAC, certificate seq and SHA-256) is replaced only by a larger seq.
 * The token is 124 bytes in hex, docs/KEYS.md section 5 gives every byte:
 *
 *   0   4  "LTA1"
 *   4   8  audit seq, big-endian            12  32  that record's chain MAC
 *   44  8  certificate seq, big-endian      52  32  that certificate's SHA-256
 *   84  8  time of the last advance (microseconds since the epoch, big-endian, signed)
 *   92 32  HMAC-SHA256(anchor key, "lethe/v1/audit-anchor" || store id (36 bytes) || bytes 0..91)
 *
 * The anchor key is lt_mk_derive(MK, store id, LT_MK_AUDIT_ANCHOR): someone without a key
 * cannot write an anchor; the holder of the service keyfile can (docs/THREATS.md, T2).
 */
#ifndef LT_KEYS_ANCHOR_H
#define LT_KEYS_ANCHOR_H

#include <stdbool.h>
#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"

#define LT_ANCHOR_TOKEN_TYPE "lethe-anchor"
#define LT_ANCHOR_LEN        124

struct lt_anchor {
	uint64_t audit_seq; /* 0: no record anchored */
	uint8_t audit_mac[32];
	uint64_t cert_seq; /* 0: no certificate anchored */
	uint8_t cert_sha256[32];
	int64_t time_us; /* when it last advanced */
};

/*
 * Read the anchor of the keystore at @p keystore. *@p found tells whether there is one; when
 * there is, its MAC is checked under @p key (the anchor key) for @p store_id.
 * @return LETHE_OK; LETHE_ERR_INTEGRITY (the token is malformed or its MAC fails: the detail
 *         says which); LETHE_ERR_KEYSTORE, LETHE_ERR_PERMISSION, LETHE_ERR_NOMEM.
 */
enum lethe_err lt_anchor_read(const char *keystore, const uint8_t key[LT_KEY_LEN],
			      const char *store_id, struct lt_anchor *out, bool *found);

/* Called with the anchor about to be replaced: anything but LETHE_OK keeps it as it is. */
typedef enum lethe_err (*lt_anchor_check_fn)(const struct lt_anchor *current, void *ctx);

/*
 * Move the anchor forward to what @p seen holds, under the keystore's lock: a field pair is
 * replaced only when its seq in @p seen is larger, and only once @p check (when set) accepted
 * the anchor it replaces (the caller shows its log still holds what that anchor names, so a
 * log cut back and grown again never moves the anchor); nothing is written when nothing
 * moves. With @p reset, the anchor is replaced by @p seen whatever it held (an officer's
 * acknowledgement that records were lost, after a restore). When
 * there is no anchor yet, one is created only with @p create (else LETHE_ERR_NOT_FOUND, and
 * nothing is written). An anchor whose MAC fails is never overwritten (LETHE_ERR_INTEGRITY):
 * it stays for `audit verify` to report. Durable when it returns.
 */
enum lethe_err lt_anchor_advance(const char *keystore, const uint8_t key[LT_KEY_LEN],
				 const char *store_id, const struct lt_anchor *seen, bool create,
				 lt_anchor_check_fn check, void *check_ctx);

/* Replace the anchor by @p seen (created if missing), whatever it held. */
enum lethe_err lt_anchor_reset(const char *keystore, const uint8_t key[LT_KEY_LEN],
			       const char *store_id, const struct lt_anchor *seen);

/* The token body of @p a (LT_ANCHOR_LEN bytes, MAC included); for tests and docs/KEYS.md. */
enum lethe_err lt_anchor_encode(const uint8_t key[LT_KEY_LEN], const char *store_id,
				const struct lt_anchor *a, uint8_t out[LT_ANCHOR_LEN]);

/* Parse and check a token body (LETHE_ERR_INTEGRITY when its magic or MAC is wrong). */
enum lethe_err lt_anchor_decode(const uint8_t key[LT_KEY_LEN], const char *store_id,
				const uint8_t in[LT_ANCHOR_LEN], struct lt_anchor *out);

#endif
