/* evidence_gen.c - write an evidence export of N generated certificates, for timing the
 * auditor's verification (bench/evidence). The certificates are well-formed and chained and
 * signed with a fresh key, as a store's would be; nothing else about them is real.
 *
 *   bench_evidence_gen N DIR     prints the key's fingerprint
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypt/prim.h"
#include "retention/cert.h"

#define T2026 INT64_C(1767225600)

int main(int argc, char **argv)
{
	uint8_t seed[32], pub[32], prev[LT_SHA256_LEN] = {0};
	struct lt_ed25519_key *signer = NULL;
	struct lt_cert_item *items;
	struct lt_cert_fields f;
	char *pem = NULL, fpr[LT_CERT_FPR_HEX_LEN + 1], (*ids)[LETHE_ID_LEN + 1];
	uint8_t(*sigs)[LT_ED25519_SIG_LEN];
	size_t n;

	if (argc != 3 || (n = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_evidence_gen N DIR\n");
		return 2;
	}
	items = calloc(n, sizeof(*items));
	ids = calloc(n, sizeof(*ids));
	sigs = calloc(n, sizeof(*sigs));
	if (items == NULL || ids == NULL || sigs == NULL ||
	    lt_ed25519_keygen(seed, pub) != LETHE_OK ||
	    lt_ed25519_key_new(seed, &signer) != LETHE_OK ||
	    lt_ed25519_pub_to_pem(pub, &pem) != LETHE_OK) {
		fprintf(stderr, "bench_evidence_gen: setup failed\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *json;
		size_t len;

		memset(&f, 0, sizeof(f));
		snprintf(f.certificate_id, sizeof(f.certificate_id),
			 "c0000000-0000-4000-8000-%012zx", (i + 1) & 0xffffffffffffu);
		f.seq = i + 1;
		strcpy(f.store_id, "5702e000-0000-4000-8000-000000000001");
		snprintf(f.object_id, sizeof(f.object_id), "0b000000-0000-4000-8000-%012zx",
			 (i + 1) & 0xffffffffffffu);
		strcpy(f.group, "default");
		memset(f.name_sha256, (int) (i & 0xff), sizeof(f.name_sha256));
		f.version = LT_CERT_VERSION;
		memset(f.name_commit, (int) (i & 0xff), sizeof(f.name_commit));
		f.size = 4096 + i;
		memset(f.ciphertext_sha256, (int) ((i >> 8) & 0xff), sizeof(f.ciphertext_sha256));
		f.created_at = T2026 + (int64_t) i;
		f.policy_retention = 86400;
		f.retain_until = f.created_at + 86400;
		f.reason = "retention-expired";
		f.hold_checked_clear = true;
		strcpy(f.dek_id, f.object_id);
		f.kek_version = 1;
		f.actor_uid = 998;
		f.actor_user = "lethe";
		f.actor_keyslot = "service";
		f.host = "files01.example.com";
		f.tool_version = "0.2.0";
		f.shredded_at = T2026 + 86400 + (int64_t) n + (int64_t) i;
		memcpy(f.prev_sha256, prev, sizeof(prev));
		if (lt_cert_build(&f, &json, &len) != LETHE_OK ||
		    lt_ed25519_key_sign(signer, json, len, sigs[i]) != LETHE_OK ||
		    lt_sha256(json, len, prev) != LETHE_OK) {
			fprintf(stderr, "bench_evidence_gen: certificate %zu: %s\n", i + 1,
				lt_err_detail());
			return 1;
		}
		strcpy(ids[i], f.certificate_id);
		items[i] = (struct lt_cert_item){ids[i], (const uint8_t *) json, len, sigs[i]};
	}
	struct lt_cert_export e = {pem, items, n, 1, NULL, signer, NULL};
	if (lt_cert_export_dir(argv[2], &e) != LETHE_OK) {
		fprintf(stderr, "bench_evidence_gen: export: %s\n", lt_err_detail());
		return 1;
	}
	lt_cert_fingerprint_hex(pub, fpr);
	printf("%s\n", fpr);
	for (size_t i = 0; i < n; i++)
		free((void *) items[i].json);
	free(items);
	free(ids);
	free(sigs);
	free(pem);
	lt_ed25519_key_free(signer);
	return 0;
}
