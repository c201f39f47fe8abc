/* fuzz_evidence.c - libFuzzer target: the disposal evidence verifier must never crash, leak,
 * read out of bounds or accept what an auditor's own tools would reject.
 *
 * Input: up to MAX_ITEMS items separated by SEPARATOR; an item is a 64-byte Ed25519 signature
 * followed by the certificate bytes (an item shorter than 64 bytes has no signature). Item N
 * (from 1) is named c0000000-0000-4000-8000-00000000000N, so the certificate_id check runs.
 * The chain is verified under the fixed public key of RFC 8032 section 7.1 TEST 1; the valid
 * seeds in tests/fuzz/corpus/evidence/ are signed with its secret key (regenerate them with
 * LETHE_REGEN_FUZZ_CORPUS=1 tests/unit/test_retention_cert).
 *
 * Invariants (abort() makes libFuzzer keep the input):
 *   - the result is LETHE_OK, or LETHE_ERR_INTEGRITY with at least one problem reported
 *     (LETHE_ERR_NOMEM aside), and LETHE_OK reports none;
 *   - every problem's "where" and "what" are non-empty printable ASCII (they quote input);
 *   - an accepted chain passes the text checks of the README's shell script: each certificate
 *     begins with the type, version, its id and seq = its position, and ends with
 *     "prev_sha256":"<sha256 of the previous certificate, zeros for the first>"}\n.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "crypt/prim.h"
#include "retention/cert.h"

#define MAX_ITEMS 8
#define SIG_LEN   64

static const char SEPARATOR[] = "\n--lethe-fuzz-item--\n";

static const uint8_t rfc8032_test1_pub[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

static void check_text(const char *s)
{
	if (s == NULL || *s == '\0')
		abort();
	for (; *s != '\0'; s++) {
		if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
			abort();
	}
}

static void on_problem(const char *where, const char *what, void *ctx)
{
	check_text(where);
	check_text(what);
	(*(size_t *) ctx)++;
}

/* Split @p data into items; returns how many. */
static size_t split(const uint8_t *data, size_t size, struct lt_cert_item *items,
		    char names[][LETHE_ID_LEN + 1])
{
	const size_t sep_len = sizeof(SEPARATOR) - 1;
	const uint8_t *at = data, *end = data + size;
	size_t n = 0;

	while (n < MAX_ITEMS) {
		const uint8_t *sep = memmem(at, (size_t) (end - at), SEPARATOR, sep_len);
		size_t len = (size_t) ((sep ? sep : end) - at);

		(void) snprintf(names[n], LETHE_ID_LEN + 1, "c0000000-0000-4000-8000-%012zx",
				n + 1);
		items[n].name = names[n];
		items[n].sig = len >= SIG_LEN ? at : NULL;
		items[n].json = len >= SIG_LEN ? at + SIG_LEN : at;
		items[n].len = len >= SIG_LEN ? len - SIG_LEN : len;
		n++;
		if (sep == NULL)
			break;
		at = sep + sep_len;
	}
	return n;
}

static bool has_prefix(const struct lt_cert_item *item, const char *prefix)
{
	size_t n = strlen(prefix);

	return item->len >= n && memcmp(item->json, prefix, n) == 0;
}

static bool has_suffix(const struct lt_cert_item *item, const char *suffix)
{
	size_t n = strlen(suffix);

	return item->len >= n && memcmp(item->json + item->len - n, suffix, n) == 0;
}

/* What the auditor's script checks with sh, sed and sha256sum alone. */
static void check_accepted(const struct lt_cert_item *items, size_t n)
{
	uint8_t digest[LT_SHA256_LEN] = {0};
	char expect[256], hex[2 * LT_SHA256_LEN + 1];

	for (size_t i = 0; i < n; i++) {
		(void) snprintf(expect, sizeof(expect),
				"{\"type\":\"lethe-disposal-certificate\",\"version\":1,"
				"\"certificate_id\":\"%s\",\"seq\":%zu,",
				items[i].name, i + 1);
		if (items[i].sig == NULL || !has_prefix(&items[i], expect))
			abort();
		lt_hex(digest, sizeof(digest), hex);
		(void) snprintf(expect, sizeof(expect), "\"prev_sha256\":\"%s\"}\n", hex);
		if (!has_suffix(&items[i], expect))
			abort();
		if (lt_sha256(items[i].json, items[i].len, digest) != LETHE_OK)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lt_cert_item items[MAX_ITEMS];
	char names[MAX_ITEMS][LETHE_ID_LEN + 1];
	size_t n = split(data, size, items, names);
	size_t problems = 0;
	enum lethe_err rc;

	rc = lt_cert_verify_chain(rfc8032_test1_pub, items, n, on_problem, &problems);
	if (rc == LETHE_OK) {
		if (problems != 0)
			abort();
		check_accepted(items, n);
	} else if (rc == LETHE_ERR_INTEGRITY) {
		if (problems == 0)
			abort();
	} else if (rc != LETHE_ERR_NOMEM) {
		abort();
	}
	return 0;
}
