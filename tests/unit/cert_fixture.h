/* cert_fixture.h - what the unit tests of retention/'s disposal evidence (test_retention_cert.c,
 * test_retention_manifest.c) share: a five-certificate chain signed with a fresh key, a private
 * temporary directory removed by teardown, and a collector of reported problems.
 *
 * Define CERT_FIXTURE_TMP (a mkdtemp template, "/tmp/NAME-XXXXXX") before including it.
 */
#ifndef LT_TEST_CERT_FIXTURE_H
#define LT_TEST_CERT_FIXTURE_H

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/err.h"
#include "crypt/prim.h"
#include "retention/cert.h"

#ifndef CERT_FIXTURE_TMP
#error "define CERT_FIXTURE_TMP, the test's mkdtemp template, before including cert_fixture.h"
#endif

#define N_CERTS      5
#define STORE_ID     "5702e000-0000-4000-8000-000000000001"
#define OTHER_ID     "d0000000-0000-4000-8000-000000000099"
#define T2026        INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define DAY          86400
#define CHAIN_HEADER "lethe-disposal-chain 1\n"
#define ZEROS64      "0000000000000000000000000000000000000000000000000000000000000000"

/* Sign once with @p seed (a store signs through the key it keeps: struct lt_ed25519_key). */
static enum lethe_err sign_seed(const uint8_t seed[32], const void *msg, size_t len,
				uint8_t sig[64])
{
	struct lt_ed25519_key *key = NULL;
	enum lethe_err rc = lt_ed25519_key_new(seed, &key);

	if (rc == LETHE_OK)
		rc = lt_ed25519_key_sign(key, msg, len, sig);
	lt_ed25519_key_free(key);
	return rc;
}

/* ---- fixture: a 5-certificate chain signed with a fresh key ----------------------------- */

struct fixture {
	uint8_t seed[32];
	uint8_t pub[32];
	struct lt_ed25519_key *signer; /* the seed's, as a store keeps it */
	char *pem;
	char ids[N_CERTS][LETHE_ID_LEN + 1];
	char *json[N_CERTS];
	size_t len[N_CERTS];
	uint8_t sig[N_CERTS][64];
	struct lt_cert_item items[N_CERTS];
	char tmp[64]; /* private temporary directory, removed by teardown */
};

/* A string literal inside bytes that are not NUL-terminated (certificates are not). */
#define CONTAINS(buf, len, lit) memmem((buf), (len), (lit), sizeof(lit) - 1)

/* Certificate i of the test chain; #2 (seq 3) is an officer's forced early shred. */
static void fields_for(struct lt_cert_fields *f, size_t i, const uint8_t prev[32])
{
	memset(f, 0, sizeof(*f));
	snprintf(f->certificate_id, sizeof(f->certificate_id), "c0000000-0000-4000-8000-%012zx",
		 i + 1);
	f->seq = i + 1;
	strcpy(f->store_id, STORE_ID);
	snprintf(f->object_id, sizeof(f->object_id), "0b000000-0000-4000-8000-%012zx", i + 1);
	strcpy(f->group, i % 2 ? "finance" : "default");
	memset(f->name_sha256, 0x10 + (int) i, 32);
	f->version = 1;
	f->size = 1000 * (i + 1);
	memset(f->ciphertext_sha256, 0x20 + (int) i, 32);
	f->created_at = T2026 + (int64_t) i * 3600;
	f->policy_retention = 7 * DAY;
	f->retain_until = f->created_at + 7 * DAY;
	f->reason = "retention-expired";
	f->hold_checked_clear = true;
	strcpy(f->dek_id, f->object_id);
	f->kek_version = 1 + (uint32_t) i / 2;
	f->actor_uid = 998;
	f->actor_user = "lethe";
	f->actor_keyslot = "service";
	f->host = "files01.example.com";
	f->tool_version = "0.1.0";
	f->shredded_at = f->retain_until + 60;
	memcpy(f->prev_sha256, prev, 32);
	if (i == 2) {
		f->reason = "manual";
		f->reason_text = "case 2026-17: customer asked for erasure";
		f->forced = true;
		f->actor_keyslot = "alice";
		/* early, but not before the certificate ahead of it: a chain never goes back */
		f->shredded_at = f->retain_until - 60;
	}
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	uint8_t prev[32] = {0};
	struct lt_cert_fields f;

	if (fx == NULL || lt_ed25519_keygen(fx->seed, fx->pub) != LETHE_OK ||
	    lt_ed25519_key_new(fx->seed, &fx->signer) != LETHE_OK ||
	    lt_ed25519_pub_to_pem(fx->pub, &fx->pem) != LETHE_OK)
		return -1;
	for (size_t i = 0; i < N_CERTS; i++) {
		fields_for(&f, i, prev);
		if (lt_cert_build(&f, &fx->json[i], &fx->len[i]) != LETHE_OK ||
		    sign_seed(fx->seed, fx->json[i], fx->len[i], fx->sig[i]) != LETHE_OK ||
		    lt_sha256(fx->json[i], fx->len[i], prev) != LETHE_OK)
			return -1;
		strcpy(fx->ids[i], f.certificate_id);
		fx->items[i] = (struct lt_cert_item){fx->ids[i], (const uint8_t *) fx->json[i],
						     fx->len[i], fx->sig[i]};
	}
	strcpy(fx->tmp, CERT_FIXTURE_TMP);
	if (mkdtemp(fx->tmp) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	(void) nftw(fx->tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < N_CERTS; i++)
		free(fx->json[i]);
	free(fx->pem);
	lt_ed25519_key_free(fx->signer);
	free(fx);
	return 0;
}

/* ---- collecting problems ------------------------------------------------------------------ */

#define MAX_PROBLEMS 64

struct problems {
	size_t count;
	char where[MAX_PROBLEMS][128];
	char what[MAX_PROBLEMS][512];
};

static void collect(const char *where, const char *what, void *ctx)
{
	struct problems *p = ctx;

	if (p->count < MAX_PROBLEMS) {
		snprintf(p->where[p->count], sizeof(p->where[0]), "%s", where);
		snprintf(p->what[p->count], sizeof(p->what[0]), "%s", what);
	}
	p->count++;
}

#endif
