/* test_retention_cert.c - disposal certificates: the exact layout, build refusals, chains and
 * evidence directories that verify, every tamper detected with the exact problem, and the
 * auditor's own tools (openssl pkeyutl, sha256sum, the README's sh script) agreeing.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "crypt/prim.h"
#include "retention/cert.h"
#include "retention/policy.h"

#define CERT_FIXTURE_TMP "/tmp/lethe-cert-test-XXXXXX"
#include "cert_fixture.h"

static bool has_problem(const struct problems *p, const char *where, const char *what_part)
{
	for (size_t i = 0; i < p->count && i < MAX_PROBLEMS; i++) {
		if ((where == NULL || strcmp(where, p->where[i]) == 0) &&
		    strstr(p->what[i], what_part) != NULL)
			return true;
	}
	return false;
}

static void print_problems(const struct problems *p)
{
	for (size_t i = 0; i < p->count && i < MAX_PROBLEMS; i++)
		fprintf(stderr, "    problem: %s: %s\n", p->where[i], p->what[i]);
}

#define assert_problem(p, where, what)                                                             \
	do {                                                                                       \
		if (!has_problem((p), (where), (what))) {                                          \
			print_problems(p);                                                         \
			fail_msg("no problem \"%s: %s\"", (where) ? (where) : "*", (what));        \
		}                                                                                  \
	} while (0)

static enum lethe_err verify_items(const uint8_t *pub, const struct lt_cert_item *items, size_t n,
				   struct problems *p)
{
	memset(p, 0, sizeof(*p));
	return lt_cert_verify_chain(pub, items, n, collect, p);
}

/* The fixture's items at the given positions, in that order. */
static size_t pick(const struct fixture *fx, const int *order, size_t n, struct lt_cert_item *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = fx->items[order[i]];
	return n;
}

/* ---- building ------------------------------------------------------------------------------ */

/* The exact bytes of a version 1 certificate: any change to the format must show up here. */
static const char golden[] =
    "{\"type\":\"lethe-disposal-certificate\",\"version\":1,"
    "\"certificate_id\":\"c0000000-0000-4000-8000-000000000001\",\"seq\":1,"
    "\"store_id\":\"5702e000-0000-4000-8000-000000000001\","
    "\"object\":{\"id\":\"0b000000-0000-4000-8000-000000000001\",\"group\":\"default\","
    "\"name_sha256\":\"1010101010101010101010101010101010101010101010101010101010101010\","
    "\"size\":1000,"
    "\"ciphertext_sha256\":\"2020202020202020202020202020202020202020202020202020202020202020\","
    "\"created_at\":\"2026-01-01T00:00:00Z\",\"retain_until\":\"2026-01-08T00:00:00Z\"},"
    "\"policy\":{\"group\":\"default\",\"retention\":\"1w\",\"retention_seconds\":604800,"
    "\"lock\":false},"
    "\"reason\":{\"code\":\"retention-expired\",\"text\":null,\"forced\":false},"
    "\"hold_check\":\"no hold on object or group\","
    "\"sanitization\":{\"method\":\"cryptographic erase\","
    "\"standard\":\"NIST SP 800-88 Rev. 1\","
    "\"destroyed\":{\"dek_id\":\"0b000000-0000-4000-8000-000000000001\",\"kek_version\":1},"
    "\"verification\":\"data key row deleted; ciphertext unlinked\"},"
    "\"actor\":{\"uid\":998,\"user\":\"lethe\",\"keyslot\":\"service\"},"
    "\"host\":\"files01.example.com\",\"tool\":{\"name\":\"lethe\",\"version\":\"0.1.0\"},"
    "\"shredded_at\":\"2026-01-08T00:01:00Z\",\"prev_sha256\":\"" ZEROS64 "\"}\n";

static void test_build_golden(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(fx->len[0], strlen(golden));
	assert_memory_equal(fx->json[0], golden, strlen(golden));
}

/* Each case breaks one rule of struct lt_cert_fields. */
static enum lethe_err break_field(struct lt_cert_fields *f, int which, char *buf)
{
	switch (which) {
	case 0:
		f->certificate_id[0] = 'C';
		return LETHE_ERR_INVALID;
	case 1:
		strcpy(f->store_id, "../../../etc/passwd");
		return LETHE_ERR_INVALID;
	case 2:
		f->object_id[0] = '\0';
		return LETHE_ERR_INVALID;
	case 3:
		f->dek_id[35] = '\0';
		return LETHE_ERR_INVALID;
	case 4:
		strcpy(f->group, "a b");
		return LETHE_ERR_INVALID;
	case 5:
		f->seq = 0;
		return LETHE_ERR_INVALID;
	case 6:
		f->seq = UINT64_C(1) << 53;
		return LETHE_ERR_INVALID;
	case 7:
		f->size = UINT64_MAX;
		return LETHE_ERR_INVALID;
	case 8:
		f->policy_retention = -1;
		return LETHE_ERR_INVALID;
	case 9:
		f->created_at = -1;
		return LETHE_ERR_INVALID;
	case 10:
		f->retain_until = LT_RETENTION_TIME_MAX + 1;
		return LETHE_ERR_INVALID;
	case 11:
		f->shredded_at = INT64_MAX;
		return LETHE_ERR_INVALID;
	case 12:
		f->reason = "deleted";
		return LETHE_ERR_INVALID;
	case 13:
		f->reason = NULL;
		return LETHE_ERR_INVALID;
	case 14:
		f->forced = true;
		return LETHE_ERR_INVALID; /* a sweep never forces */
	case 15:
		f->reason = "manual";
		return LETHE_ERR_INVALID; /* without a text */
	case 16:
		f->reason = "manual";
		f->reason_text = "";
		return LETHE_ERR_INVALID;
	case 17:
		memset(buf, 'r', LETHE_REASON_MAX + 1);
		buf[LETHE_REASON_MAX + 1] = '\0';
		f->reason_text = buf;
		return LETHE_ERR_INVALID;
	case 18:
		f->reason_text = "bad \xc3\x28 utf-8";
		return LETHE_ERR_INVALID;
	case 19:
		f->reason_text = "overlong \xc0\xaf";
		return LETHE_ERR_INVALID;
	case 20:
		f->reason_text = "surrogate \xed\xa0\x80";
		return LETHE_ERR_INVALID;
	case 21:
		f->reason_text = "above U+10FFFF \xf4\x90\x80\x80";
		return LETHE_ERR_INVALID;
	case 22:
		f->reason_text = "cut \xe2\x80";
		return LETHE_ERR_INVALID;
	case 23:
		f->actor_user = NULL;
		return LETHE_ERR_INVALID;
	case 24:
		memset(buf, 'h', 256);
		buf[256] = '\0';
		f->host = buf;
		return LETHE_ERR_INVALID;
	case 25:
		f->tool_version = NULL;
		return LETHE_ERR_INVALID;
	case 26:
		memset(buf, 'k', 64);
		buf[64] = '\0';
		f->actor_keyslot = buf;
		return LETHE_ERR_INVALID;
	case 27:
		f->hold_checked_clear = false;
		return LETHE_ERR_INTERNAL;
	case 28: /* what lt_retention_may_shred() refuses is never certified */
		f->policy_lock = true;
		f->forced = true;
		f->reason = "manual";
		f->reason_text = "early";
		f->shredded_at = f->retain_until - 1;
		return LETHE_ERR_INTERNAL;
	case 29:
		f->shredded_at = f->retain_until - 1;
		return LETHE_ERR_INTERNAL;
	default:
		return LETHE_OK;
	}
}

static void test_build_rejects(void **state)
{
	static char buf[1024];
	uint8_t zeros[32] = {0};
	struct lt_cert_fields f;
	char *json;
	size_t len;

	(void) state;
	for (int which = 0;; which++) {
		enum lethe_err want;

		fields_for(&f, 0, zeros);
		want = break_field(&f, which, buf);
		if (want == LETHE_OK)
			break;
		json = (char *) 1;
		len = 1;
		lt_err_clear();
		if (lt_cert_build(&f, &json, &len) != want)
			fail_msg("case %d: expected %d (%s)", which, want, lt_err_detail());
		assert_null(json);
		assert_int_equal(len, 0);
		assert_true(strlen(lt_err_detail()) > 0);
	}
}

/* The edges of what is allowed are allowed. */
static void test_build_limits(void **state)
{
	static char text[LETHE_REASON_MAX + 1];
	uint8_t zeros[32] = {0};
	struct lt_cert_fields f;
	char *json;
	size_t len;

	(void) state;
	fields_for(&f, 0, zeros);
	f.seq = (UINT64_C(1) << 53) - 1;
	f.size = (UINT64_C(1) << 53) - 1;
	f.retain_until = LT_RETENTION_TIME_MAX;
	f.shredded_at = LT_RETENTION_TIME_MAX; /* at retain_until itself: no force needed */
	f.created_at = 0;
	memset(text, 'x', LETHE_REASON_MAX);
	f.reason_text = text;
	assert_int_equal(lt_cert_build(&f, &json, &len), LETHE_OK);
	assert_non_null(CONTAINS(json, len, "\"retain_until\":\"9999-12-31T23:59:59Z\""));
	assert_non_null(CONTAINS(json, len, "\"seq\":9007199254740991,"));
	free(json);
}

/* Free text comes out as ASCII, with control characters escaped, and means the same. */
static void test_build_escapes(void **state)
{
	static const char text[] = "K\xc3\xbcndigung \xe2\x80\x94 \x1b[31mred\x1b[0m \"q\" \\ "
				   "\t\xf0\x9f\x94\x92 \x7f";
	struct fixture *fx = *state;
	uint8_t zeros[32] = {0}, sig[64];
	struct lt_cert_fields f;
	struct lt_cert_item item;
	struct problems p;
	json_error_t jerr;
	json_t *root;
	char *json;
	size_t len;

	fields_for(&f, 0, zeros);
	f.reason = "manual";
	f.reason_text = text;
	f.host = "h\xc3\xb4te";
	assert_int_equal(lt_cert_build(&f, &json, &len), LETHE_OK);
	/* ASCII, and no control character but DEL (which no terminal acts on) left raw. */
	for (size_t i = 0; i + 1 < len; i++)
		assert_true(json[i] >= 0x20 && (unsigned char) json[i] < 0x80);
	assert_int_equal(json[len - 1], '\n');
	assert_non_null(CONTAINS(json, len, "\\u001B[31m"));
	assert_non_null(CONTAINS(json, len, "\\uD83D\\uDD12"));

	root = json_loadb(json, len, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(root, "reason"), "text")), text);
	json_decref(root);

	assert_int_equal(sign_seed(fx->seed, json, len, sig), LETHE_OK);
	item = (struct lt_cert_item){f.certificate_id, (const uint8_t *) json, len, sig};
	assert_int_equal(verify_items(fx->pub, &item, 1, &p), LETHE_OK);
	assert_int_equal(p.count, 0);
	free(json);
}

/* ---- verifying chains ---------------------------------------------------------------------- */

static void test_chain_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct problems p;

	assert_int_equal(verify_items(fx->pub, fx->items, N_CERTS, &p), LETHE_OK);
	assert_int_equal(p.count, 0);
	assert_int_equal(verify_items(fx->pub, fx->items, 0, &p), LETHE_OK);
	/* No callback is fine too. */
	assert_int_equal(lt_cert_verify_chain(fx->pub, fx->items, N_CERTS, NULL, NULL), LETHE_OK);
}

/* Each certificate links to the SHA-256 of the previous one's exact bytes. */
static void test_chain_links(void **state)
{
	struct fixture *fx = *state;
	char hex[65] = ZEROS64;
	uint8_t digest[32];

	for (size_t i = 0; i < N_CERTS; i++) {
		json_t *root = json_loadb(fx->json[i], fx->len[i], 0, NULL);

		assert_non_null(root);
		assert_int_equal(json_integer_value(json_object_get(root, "seq")), i + 1);
		assert_string_equal(json_string_value(json_object_get(root, "prev_sha256")), hex);
		json_decref(root);
		assert_int_equal(lt_sha256(fx->json[i], fx->len[i], digest), LETHE_OK);
		lt_hex(digest, 32, hex);
	}
}

/* Any single changed byte, anywhere in any certificate, is caught by its signature. */
static void test_tamper_every_byte(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	struct problems p;

	for (size_t k = 0; k < N_CERTS; k++) {
		uint8_t *copy = malloc(fx->len[k]);

		assert_non_null(copy);
		for (size_t j = 0; j < fx->len[k]; j++) {
			memcpy(items, fx->items, sizeof(items));
			memcpy(copy, fx->json[k], fx->len[k]);
			copy[j] ^= 0x01;
			items[k].json = copy;
			assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p),
					 LETHE_ERR_INTEGRITY);
			assert_problem(&p, fx->ids[k], "signature does not verify");
			if (k + 1 < N_CERTS)
				assert_problem(&p, fx->ids[k + 1], "the chain is broken here");
		}
		free(copy);
	}
}

static void test_tamper_signature(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	struct problems p;
	uint8_t sig[64];

	for (size_t k = 0; k < N_CERTS; k++) {
		for (size_t j = 0; j < 64; j++) {
			memcpy(items, fx->items, sizeof(items));
			memcpy(sig, fx->sig[k], 64);
			sig[j] ^= 0x80;
			items[k].sig = sig;
			assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p),
					 LETHE_ERR_INTEGRITY);
			assert_int_equal(p.count, 1);
			assert_problem(&p, fx->ids[k], "signature does not verify");
		}
	}
}

static void test_remove_middle(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	const int order[] = {0, 1, 3, 4};
	struct problems p;
	size_t n = pick(fx, order, 4, items);

	assert_int_equal(verify_items(fx->pub, items, n, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, 2);
	assert_problem(&p, fx->ids[3], "seq is 4, expected 3");
	assert_problem(&p, fx->ids[3], "the chain is broken here");
}

static void test_remove_first(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	const int order[] = {1, 2, 3, 4};
	struct problems p;
	size_t n = pick(fx, order, 4, items);

	assert_int_equal(verify_items(fx->pub, items, n, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, 2);
	assert_problem(&p, fx->ids[1], "seq is 2, expected 1");
	assert_problem(&p, fx->ids[1], "not zero in the first certificate");
}

/*
 * Dropping the newest certificates leaves a valid shorter chain: no certificate can vouch for
 * its successors. That is what chain.sig is for (see test_dir_tampers, cases "last removed").
 */
static void test_remove_last_needs_listing(void **state)
{
	struct fixture *fx = *state;
	struct problems p;

	assert_int_equal(verify_items(fx->pub, fx->items, N_CERTS - 1, &p), LETHE_OK);
}

static void test_swap(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	const int order[] = {0, 2, 1, 3, 4};
	struct problems p;
	size_t n = pick(fx, order, 5, items);

	assert_int_equal(verify_items(fx->pub, items, n, &p), LETHE_ERR_INTEGRITY);
	assert_problem(&p, fx->ids[2], "seq is 3, expected 2");
	assert_problem(&p, fx->ids[2], "the chain is broken here");
	assert_problem(&p, fx->ids[1], "seq is 2, expected 4");
	assert_problem(&p, fx->ids[1], "the chain is broken here");
	assert_problem(&p, fx->ids[3], "the chain is broken here");
}

static void test_duplicate(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS + 1];
	const int order[] = {0, 1, 2, 2, 3, 4};
	struct problems p;
	size_t n = pick(fx, order, 6, items);

	assert_int_equal(verify_items(fx->pub, items, n, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, 2);
	assert_problem(&p, fx->ids[2], "seq is 3, expected 4");
	assert_problem(&p, fx->ids[2], "the chain is broken here");
}

static void test_wrong_key(void **state)
{
	struct fixture *fx = *state;
	uint8_t other_seed[32], other_pub[32];
	struct problems p;

	assert_int_equal(lt_ed25519_keygen(other_seed, other_pub), LETHE_OK);
	assert_int_equal(verify_items(other_pub, fx->items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, N_CERTS);
	for (size_t k = 0; k < N_CERTS; k++)
		assert_problem(&p, fx->ids[k], "signature does not verify");
}

static void test_missing_parts(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	struct problems p;

	memcpy(items, fx->items, sizeof(items));
	items[1].sig = NULL;
	items[3].json = NULL;
	assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, 2);
	assert_problem(&p, fx->ids[1], "no signature");
	assert_problem(&p, fx->ids[3], "no certificate bytes");
}

static void test_names(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	struct problems p;

	memcpy(items, fx->items, sizeof(items));
	items[1].name = fx->ids[2];
	assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, 1);
	assert_problem(&p, fx->ids[2], "not the id it is filed under");

	/* A name that is not an id only labels messages. */
	items[1].name = "second certificate";
	assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_OK);
	items[1].name = NULL;
	items[1].sig = NULL;
	assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
	assert_problem(&p, "certificate #2", "no signature");

	/* Hostile text never reaches the callback raw. */
	items[1].name = "evil\x1b]0;pwned\x07\n";
	assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
	assert_problem(&p, "evil?]0;pwned??", "no signature");
}

/* ---- the content of a certificate (re-signed, so only the content is wrong) ---------------- */

struct content_case {
	size_t cert;      /* which certificate of the chain to change */
	const char *find; /* replaced once */
	const char *replace;
	const char *problem; /* expected in a problem about that certificate */
};

static const struct content_case content_cases[] = {
    {1, "\"version\":1,", "\"version\":3,", "field version is not 1 or 2"},
    /* a version 1 certificate relabelled 2 has the unsalted hash where the commitment goes */
    {1, "\"version\":1,", "\"version\":2,", "unexpected field object.name_sha256"},
    {1, "\"version\":1,", "\"version\":2,", "field object.name_commit is missing"},
    {1, "\"seq\":2,", "\"seq\":\"2\",", "field seq is not an integer"},
    {1, "\"seq\":2,", "\"seq\":2.0,", "field seq is not an integer"},
    {1, "\"size\":2000,", "\"size\":9007199254740992,", "field object.size is not an integer"},
    {1, "\"size\":2000,", "\"size\":-1,", "field object.size is not an integer"},
    {1, "\"size\":2000,", "\"size\":99999999999999999999999,", "not valid JSON"},
    {1, "disposal-certificate", "disposal-certificatf", "field type is not the fixed text"},
    {1, "cryptographic erase", "overwrite", "field sanitization.method is not the fixed"},
    {1, "no hold on object", "a hold on object", "field hold_check is not the fixed text"},
    {1, ",\"host\":", ",\"hostname\":", "field host is missing"},
    {1, ",\"host\":", ",\"hostname\":", "unexpected field hostname"},
    {1, "\"hold_check\":", "\"extra\":1,\"hold_check\":", "unexpected field extra"},
    {1, "\"kek_version\":1}", "\"kek_version\":1,\"key\":\"x\"}",
     "unexpected field sanitization.destroyed.key"},
    {1, "\"store_id\":", "\"seq\":2,\"store_id\":", "not valid JSON: duplicate object key"},
    {1, "{\"type\"", "{ \"type\"", "not in canonical form"},
    {1, "\"}\n", "\"}", "not in canonical form"},
    {1, "\"}\n", "\"}\n\n", "not in canonical form"},
    {1, "\"}\n", "\"}\nx", "not valid JSON"},
    {1, "lethe-disposal", "l\\u0065the-disposal", "not in canonical form"},
    {1, "\"certificate_id\":\"c0000000-0000-4000-8000-000000000002\",\"seq\":2,",
     "\"seq\":2,\"certificate_id\":\"c0000000-0000-4000-8000-000000000002\",",
     "field certificate_id is out of order"},
    {1, "\"created_at\":\"2026-01-01T01:00:00Z\"", "\"created_at\":\"2026-01-01 01:00:00Z\"",
     "field object.created_at is not an RFC 3339 UTC time"},
    {1, "\"created_at\":\"2026-01-01T01:00:00Z\"", "\"created_at\":\"2026-02-30T01:00:00Z\"",
     "field object.created_at is not an RFC 3339 UTC time"},
    {1, "\"name_sha256\":\"1111", "\"name_sha256\":\"111", "field object.name_sha256 is not 64"},
    {1, "\"name_sha256\":\"1111", "\"name_sha256\":\"A111", "field object.name_sha256 is not 64"},
    {1, "\"id\":\"0b000000", "\"id\":\"0B000000", "field object.id is not a lower-case UUID"},
    {1, "\"group\":\"finance\"", "\"group\":\"fin/ance\"", "field object.group is not a group"},
    {1, "\"policy\":{\"group\":\"finance\"", "\"policy\":{\"group\":\"default\"",
     "policy.group differs from object.group"},
    {1, "\"lock\":false", "\"lock\":0", "field policy.lock is not true or false"},
    {1, "\"code\":\"retention-expired\"", "\"code\":\"expired\"", "field reason.code is not"},
    {1, "\"text\":null", "\"text\":7", "field reason.text is not a string or null"},
    {1, "\"host\":\"files01", "\"host\":\"files01\\u0000", "not valid JSON"},
    {1,
     "\"policy\":{\"group\":\"finance\",\"retention\":\"1w\",\"retention_seconds\":604800,"
     "\"lock\":false}",
     "\"policy\":[]", "field policy is not an object"},
    {1, "\"forced\":false", "\"forced\":true", "reason.forced is true but reason.code"},
    {2, "\"lock\":false", "\"lock\":true", "shredded before retain_until in a locked"},
    {2, "\"forced\":true", "\"forced\":false", "shredded before retain_until without an"},
    {2, "\"text\":\"case 2026-17: customer asked for erasure\"", "\"text\":null",
     "a manual shred without reason.text"},
    /* a certificate that contradicts its own policy fields, or its place in the chain */
    {1, "\"retain_until\":\"2026-01-08T01:00:00Z\"", "\"retain_until\":\"2026-01-01T01:00:00Z\"",
     "object.retain_until is earlier than object.created_at plus policy.retention_seconds"},
    {1, "\"retention_seconds\":604800", "\"retention_seconds\":1209600",
     "the retention it states was not kept"},
    {1, "\"retention\":\"1w\"", "\"retention\":\"2w\"",
     "policy.retention does not say policy.retention_seconds"},
    {1, "\"shredded_at\":\"2026-01-08T01:01:00Z\"", "\"shredded_at\":\"2025-12-31T00:00:00Z\"",
     "shredded_at is earlier than object.created_at"},
    {3, "\"shredded_at\":\"2026-01-08T03:01:00Z\"", "\"shredded_at\":\"2026-01-08T01:30:00Z\"",
     "shredded_at goes backwards"},
    {1, "\"store_id\":\"5702e000", "\"store_id\":\"5702e001", "differs from the first"},
    {1, "\"certificate_id\":\"c0000000-0000-4000-8000-000000000002\"",
     "\"certificate_id\":\"c0000000-0000-4000-8000-000000000009\"", "not the id it is filed under"},
};

/* @p json with the first @p find replaced by @p replace (malloc'd). */
static char *replace_once(const char *json, size_t len, const char *find, const char *replace,
			  size_t *out_len)
{
	const char *at = memmem(json, len, find, strlen(find));
	size_t head, flen = strlen(find), rlen = strlen(replace);
	char *out;

	if (at == NULL)
		fail_msg("\"%s\" is not in the certificate", find);
	head = (size_t) (at - json);
	out = malloc(len - flen + rlen + 1);
	assert_non_null(out);
	memcpy(out, json, head);
	memcpy(out + head, replace, rlen);
	memcpy(out + head + rlen, at + flen, len - head - flen);
	*out_len = len - flen + rlen;
	return out;
}

static void test_content_rules(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	struct problems p;
	uint8_t sig[64];

	for (size_t c = 0; c < sizeof(content_cases) / sizeof(content_cases[0]); c++) {
		const struct content_case *cc = &content_cases[c];
		size_t len;
		char *json = replace_once(fx->json[cc->cert], fx->len[cc->cert], cc->find,
					  cc->replace, &len);

		assert_int_equal(sign_seed(fx->seed, json, len, sig), LETHE_OK);
		memcpy(items, fx->items, sizeof(items));
		items[cc->cert] =
		    (struct lt_cert_item){fx->ids[cc->cert], (uint8_t *) json, len, sig};
		assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
		if (!has_problem(&p, fx->ids[cc->cert], cc->problem)) {
			print_problems(&p);
			fail_msg("case %zu: no problem \"%s\"", c, cc->problem);
		}
		assert_false(has_problem(&p, NULL, "signature"));
		free(json);
	}
}

/* A missing or malformed parent is reported once, not once per field under it. */
static void test_content_no_cascade(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item item;
	struct problems p;
	uint8_t sig[64];
	size_t len;
	char *json = replace_once(fx->json[0], fx->len[0],
				  "\"policy\":{\"group\":\"default\",\"retention\":\"1w\","
				  "\"retention_seconds\":604800,\"lock\":false}",
				  "\"policy\":\"none\"", &len);

	assert_int_equal(sign_seed(fx->seed, json, len, sig), LETHE_OK);
	item = (struct lt_cert_item){fx->ids[0], (uint8_t *) json, len, sig};
	assert_int_equal(verify_items(fx->pub, &item, 1, &p), LETHE_ERR_INTEGRITY);
	assert_int_equal(p.count, 1);
	assert_problem(&p, fx->ids[0], "field policy is not an object");
	free(json);
}

static void test_content_hostile(void **state)
{
	struct fixture *fx = *state;
	static const char *const inputs[] = {
	    "",     "\n",         "[]\n",         "null\n",
	    "{}\n", "{\"type\":", "\xff\xfe{}\n", "{\"a\":\"\xc3\x28\"}\n",
	};
	struct lt_cert_item item;
	struct problems p;
	uint8_t sig[64];
	size_t depth = 20000;
	char *deep = malloc(2 * depth + 2);

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t len = strlen(inputs[i]);

		assert_int_equal(sign_seed(fx->seed, inputs[i], len, sig), LETHE_OK);
		item = (struct lt_cert_item){"x", (const uint8_t *) inputs[i], len, sig};
		assert_int_equal(verify_items(fx->pub, &item, 1, &p), LETHE_ERR_INTEGRITY);
		assert_true(p.count >= 1);
	}
	/* Nesting deep enough to exhaust a naive recursive parser's stack. */
	assert_non_null(deep);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[2 * depth] = '\n';
	item = (struct lt_cert_item){"deep", (const uint8_t *) deep, 2 * depth + 1, sig};
	assert_int_equal(verify_items(fx->pub, &item, 1, &p), LETHE_ERR_INTEGRITY);
	free(deep);
}

static void test_content_too_large(void **state)
{
	struct fixture *fx = *state;
	struct lt_cert_item items[N_CERTS];
	struct problems p;
	uint8_t *big = calloc(1, LT_CERT_JSON_MAX + 1);

	assert_non_null(big);
	memcpy(big, fx->json[1], fx->len[1]);
	memcpy(items, fx->items, sizeof(items));
	items[1].json = big;
	items[1].len = LT_CERT_JSON_MAX + 1;
	assert_int_equal(verify_items(fx->pub, items, N_CERTS, &p), LETHE_ERR_INTEGRITY);
	assert_problem(&p, fx->ids[1], "larger than 65536 bytes");
	free(big);
}

/* ---- evidence directories ---------------------------------------------------------------- */

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	assert_true(snprintf(out, size, "%s/%s", dir, name) < (int) size);
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	struct stat st;
	uint8_t *buf;
	FILE *f;

	path_in(path, sizeof(path), dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc((size_t) st.st_size + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t) st.st_size, f);
	assert_int_equal(*len, (size_t) st.st_size);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static void spit(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	path_in(path, sizeof(path), dir, name);
	(void) unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void unlink_in(const char *dir, const char *name)
{
	char path[512];

	path_in(path, sizeof(path), dir, name);
	assert_int_equal(unlink(path), 0);
}

static void flip_in(const char *dir, const char *name, size_t offset)
{
	size_t len;
	uint8_t *buf = slurp(dir, name, &len);

	assert_true(offset < len);
	buf[offset] ^= 0x01;
	spit(dir, name, buf, len);
	free(buf);
}

static void file_name(char *out, size_t size, const char *id, const char *suffix)
{
	snprintf(out, size, "%s%s", id, suffix);
}

/* Write chain.txt, and sign it with the store's key when @p resign (an insider's listing). */
static void set_chain_txt(struct fixture *fx, const char *dir, const char *text, bool resign)
{
	uint8_t sig[64];

	spit(dir, "chain.txt", text, strlen(text));
	if (resign) {
		assert_int_equal(sign_seed(fx->seed, text, strlen(text), sig), LETHE_OK);
		spit(dir, "chain.sig", sig, sizeof(sig));
	}
}

/* chain.txt as exported, without the lines of certificates @p skip_a and @p skip_b (-1). */
static void chain_txt_without(struct fixture *fx, int skip_a, int skip_b, char *out, size_t size)
{
	size_t used = (size_t) snprintf(out, size, "%s", CHAIN_HEADER);

	for (int i = 0; i < N_CERTS; i++) {
		if (i == skip_a || i == skip_b)
			continue;
		used += (size_t) snprintf(out + used, size - used, "%d %s\n", i + 1, fx->ids[i]);
	}
}

/* An evidence directory in the format exports wrote before the manifest (ID.json, ID.sig,
 * chain.txt, chain.sig): the verifier still reads those an auditor holds. */
static void export_to(struct fixture *fx, const char *dir, size_t count)
{
	char name[64], text[1024];

	assert_int_equal(lt_mkdir_p(dir, 0755), LETHE_OK);
	spit(dir, "evidence.pub.pem", fx->pem, strlen(fx->pem));
	for (size_t i = 0; i < count; i++) {
		file_name(name, sizeof(name), fx->ids[i], ".json");
		spit(dir, name, fx->json[i], fx->len[i]);
		file_name(name, sizeof(name), fx->ids[i], ".sig");
		spit(dir, name, fx->sig[i], 64);
	}
	chain_txt_without(fx, -1, -1, text, sizeof(text));
	if (count < N_CERTS) {
		char *cut = text;

		for (size_t line = 0; line <= count; line++)
			cut = strchr(cut, '\n') + 1;
		*cut = '\0';
	}
	set_chain_txt(fx, dir, text, true);
}

static enum lethe_err verify_dir(const char *dir, struct problems *p, uint64_t *count)
{
	memset(p, 0, sizeof(*p));
	return lt_cert_verify_dir(dir, collect, p, count);
}

static void tamper_flip_json(struct fixture *fx, const char *dir)
{
	char name[64];

	file_name(name, sizeof(name), fx->ids[2], ".json");
	flip_in(dir, name, 100);
}

static void tamper_flip_sig(struct fixture *fx, const char *dir)
{
	char name[64];

	file_name(name, sizeof(name), fx->ids[2], ".sig");
	flip_in(dir, name, 7);
}

static void tamper_short_sig(struct fixture *fx, const char *dir)
{
	char name[64];

	file_name(name, sizeof(name), fx->ids[2], ".sig");
	spit(dir, name, fx->sig[2], 63);
}

static void tamper_long_sig(struct fixture *fx, const char *dir)
{
	uint8_t sig[65] = {0};
	char name[64];

	memcpy(sig, fx->sig[2], 64);
	file_name(name, sizeof(name), fx->ids[2], ".sig");
	spit(dir, name, sig, sizeof(sig));
}

static void remove_cert(struct fixture *fx, const char *dir, int k)
{
	char name[64];

	file_name(name, sizeof(name), fx->ids[k], ".json");
	unlink_in(dir, name);
	file_name(name, sizeof(name), fx->ids[k], ".sig");
	unlink_in(dir, name);
}

static void tamper_remove_middle(struct fixture *fx, const char *dir)
{
	remove_cert(fx, dir, 2);
}

static void tamper_remove_middle_listed(struct fixture *fx, const char *dir)
{
	char text[512];

	remove_cert(fx, dir, 2);
	chain_txt_without(fx, 2, -1, text, sizeof(text));
	set_chain_txt(fx, dir, text, false);
}

static void tamper_remove_last_listed(struct fixture *fx, const char *dir)
{
	char text[512];

	remove_cert(fx, dir, N_CERTS - 1);
	chain_txt_without(fx, N_CERTS - 1, -1, text, sizeof(text));
	set_chain_txt(fx, dir, text, false);
}

static void rename_in(const char *dir, const char *from, const char *to)
{
	char a[512], b[512];

	path_in(a, sizeof(a), dir, from);
	path_in(b, sizeof(b), dir, to);
	assert_int_equal(rename(a, b), 0);
}

static void tamper_swap(struct fixture *fx, const char *dir)
{
	const char *suffixes[] = {".json", ".sig"};

	for (int s = 0; s < 2; s++) {
		char one[64], two[64];

		file_name(one, sizeof(one), fx->ids[1], suffixes[s]);
		file_name(two, sizeof(two), fx->ids[2], suffixes[s]);
		rename_in(dir, one, "swap.tmp");
		rename_in(dir, two, one);
		rename_in(dir, "swap.tmp", two);
	}
}

static void tamper_duplicate(struct fixture *fx, const char *dir)
{
	spit(dir, OTHER_ID ".json", fx->json[2], fx->len[2]);
	spit(dir, OTHER_ID ".sig", fx->sig[2], 64);
}

static void tamper_unlisted(struct fixture *fx, const char *dir)
{
	spit(dir, "notes.json", fx->json[0], fx->len[0]);
}

static void tamper_odd_name(struct fixture *fx, const char *dir)
{
	spit(dir, "x\x1b[2J.sig", fx->sig[0], 64);
}

static void tamper_other_key(struct fixture *fx, const char *dir)
{
	uint8_t seed[32], pub[32];
	char *pem;

	(void) fx;
	assert_int_equal(lt_ed25519_keygen(seed, pub), LETHE_OK);
	assert_int_equal(lt_ed25519_pub_to_pem(pub, &pem), LETHE_OK);
	spit(dir, "evidence.pub.pem", pem, strlen(pem));
	free(pem);
}

static void tamper_bad_pem(struct fixture *fx, const char *dir)
{
	(void) fx;
	spit(dir, "evidence.pub.pem", "-----BEGIN PUBLIC KEY-----\n", 27);
}

static void tamper_symlink(struct fixture *fx, const char *dir)
{
	char name[64], target[512], link[512];

	/* Even pointing at the genuine bytes: evidence is files, not references to files. */
	snprintf(target, sizeof(target), "%s/elsewhere.json", fx->tmp);
	file_name(name, sizeof(name), fx->ids[2], ".json");
	rename_in(dir, name, "../elsewhere.json");
	path_in(link, sizeof(link), dir, name);
	assert_int_equal(symlink(target, link), 0);
}

static void tamper_huge(struct fixture *fx, const char *dir)
{
	char name[64], path[512];
	int fd;

	file_name(name, sizeof(name), fx->ids[2], ".json");
	path_in(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t) 1 << 30), 0); /* sparse: costs nothing */
	close(fd);
}

static void tamper_fifo(struct fixture *fx, const char *dir)
{
	char name[64], path[512];

	file_name(name, sizeof(name), fx->ids[2], ".json");
	unlink_in(dir, name);
	path_in(path, sizeof(path), dir, name);
	assert_int_equal(mkfifo(path, 0644), 0); /* opening it would block forever */
}

static void tamper_dir_entry(struct fixture *fx, const char *dir)
{
	char name[64], path[512];

	file_name(name, sizeof(name), fx->ids[2], ".json");
	unlink_in(dir, name);
	path_in(path, sizeof(path), dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void tamper_listing_path(struct fixture *fx, const char *dir)
{
	char text[512];

	snprintf(text, sizeof(text),
		 CHAIN_HEADER "1 %s\n2 %s\n3 ../../../../../../etc/passwd\n4 %s\n5 %s\n",
		 fx->ids[0], fx->ids[1], fx->ids[3], fx->ids[4]);
	set_chain_txt(fx, dir, text, true);
}

static void tamper_listing_crlf(struct fixture *fx, const char *dir)
{
	char text[512];

	snprintf(text, sizeof(text), CHAIN_HEADER "1 %s\r\n2 %s\n3 %s\n4 %s\n5 %s", fx->ids[0],
		 fx->ids[1], fx->ids[2], fx->ids[3], fx->ids[4]);
	set_chain_txt(fx, dir, text, true);
}

static void tamper_listing_twice(struct fixture *fx, const char *dir)
{
	char text[512];

	snprintf(text, sizeof(text), CHAIN_HEADER "1 %s\n2 %s\n3 %s\n4 %s\n5 %s\n6 %s\n",
		 fx->ids[0], fx->ids[1], fx->ids[2], fx->ids[2], fx->ids[3], fx->ids[4]);
	set_chain_txt(fx, dir, text, true);
}

static void tamper_listing_seq(struct fixture *fx, const char *dir)
{
	char text[512];

	snprintf(text, sizeof(text), CHAIN_HEADER "1 %s\n2 %s\n7 %s\n8 %s\n9 %s\n", fx->ids[0],
		 fx->ids[1], fx->ids[2], fx->ids[3], fx->ids[4]);
	set_chain_txt(fx, dir, text, true);
}

static void tamper_no_chain_txt(struct fixture *fx, const char *dir)
{
	(void) fx;
	unlink_in(dir, "chain.txt");
}

static void tamper_no_chain_sig(struct fixture *fx, const char *dir)
{
	(void) fx;
	unlink_in(dir, "chain.sig");
}

static void tamper_listing_header(struct fixture *fx, const char *dir)
{
	char text[512];

	chain_txt_without(fx, -1, -1, text, sizeof(text));
	set_chain_txt(fx, dir, text + strlen(CHAIN_HEADER), true);
}

static void tamper_short_chain_sig(struct fixture *fx, const char *dir)
{
	spit(dir, "chain.sig", fx->sig[0], 10);
}

static void tamper_huge_chain_txt(struct fixture *fx, const char *dir)
{
	char path[512];
	int fd;

	(void) fx;
	path_in(path, sizeof(path), dir, "chain.txt");
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t) LT_CERT_CHAIN_MAX + 1), 0);
	close(fd);
}

struct dir_case {
	const char *label;
	void (*tamper)(struct fixture *fx, const char *dir);
	const char *where; /* "ID2", "ID2.json", "ID2.sig" name certificate #2 (seq 3) */
	const char *what;
	size_t problems; /* exact count, or 0 for "at least one" */
};

static const struct dir_case dir_cases[] = {
    {"byte changed", tamper_flip_json, "ID2", "signature does not verify", 0},
    {"signature changed", tamper_flip_sig, "ID2", "signature does not verify", 1},
    {"signature 63 bytes", tamper_short_sig, "ID2.sig", "is 63 bytes, expected 64", 1},
    {"signature 65 bytes", tamper_long_sig, "ID2.sig", "is larger than 64 bytes", 1},
    {"middle removed", tamper_remove_middle, "ID2.json", "is missing", 1},
    {"middle removed and unlisted", tamper_remove_middle_listed, "chain.sig", "does not verify", 0},
    {"middle removed and unlisted", tamper_remove_middle_listed, "ID3", "the chain is broken here",
     0},
    {"last removed and unlisted", tamper_remove_last_listed, "chain.sig", "does not verify", 1},
    {"two swapped", tamper_swap, "ID1", "not the id it is filed under", 0},
    {"duplicated", tamper_duplicate, OTHER_ID ".json", "is not listed in chain.txt", 2},
    {"unlisted file", tamper_unlisted, "notes.json", "is not listed in chain.txt", 1},
    {"control characters in a name", tamper_odd_name, "x?[2J.sig", "is not listed", 1},
    {"another key", tamper_other_key, "chain.sig", "does not verify", N_CERTS + 1},
    {"not a key", tamper_bad_pem, "evidence.pub.pem", "not a PEM Ed25519 public key", 1},
    {"symlink", tamper_symlink, "ID2.json", "is a symbolic link", 0},
    {"1 GiB certificate", tamper_huge, "ID2.json", "is larger than 65536 bytes", 0},
    {"FIFO", tamper_fifo, "ID2.json", "is not a regular file", 0},
    {"directory", tamper_dir_entry, "ID2.json", "is not a regular file", 0},
    {"path in chain.txt", tamper_listing_path, "chain.txt line 4", "not \"<seq> <certificate-id>\"",
     0},
    {"path in chain.txt", tamper_listing_path, "ID2.json", "is not listed in chain.txt", 0},
    {"CRLF in chain.txt", tamper_listing_crlf, "chain.txt line 2", "not \"<seq>", 0},
    {"CRLF in chain.txt", tamper_listing_crlf, "chain.txt", "last line has no newline", 0},
    {"listed twice", tamper_listing_twice, "chain.txt", "more than once", 0},
    {"listed twice", tamper_listing_twice, "ID2", "seq is 3, expected 4", 0},
    {"seq in chain.txt", tamper_listing_seq, "chain.txt line 4", "seq 7, expected 3", 1 + 3},
    {"seq in chain.txt", tamper_listing_seq, "ID2", "seq 3 differs from chain.txt's 7", 0},
    {"no chain.txt", tamper_no_chain_txt, "chain.txt", "is missing", 1 + 2 * N_CERTS},
    {"no first line", tamper_listing_header, "chain.txt", "does not start with the line", 1},
    {"no chain.sig", tamper_no_chain_sig, "chain.sig", "is missing", 1},
    {"chain.sig 10 bytes", tamper_short_chain_sig, "chain.sig", "is 10 bytes", 1},
    {"huge chain.txt", tamper_huge_chain_txt, "chain.txt", "is larger than", 0},
};

/* "ID2.json" -> "<id of certificate 2>.json". */
static void expand_where(struct fixture *fx, const char *where, char *out, size_t size)
{
	if (strncmp(where, "ID", 2) == 0 && where[2] >= '0' && where[2] <= '9')
		snprintf(out, size, "%s%s", fx->ids[where[2] - '0'], where + 3);
	else
		snprintf(out, size, "%s", where);
}

static void test_dir_tampers(void **state)
{
	struct fixture *fx = *state;

	for (size_t c = 0; c < sizeof(dir_cases) / sizeof(dir_cases[0]); c++) {
		const struct dir_case *dc = &dir_cases[c];
		char dir[128], where[128];
		struct problems p;
		uint64_t count;

		snprintf(dir, sizeof(dir), "%s/case%zu", fx->tmp, c);
		export_to(fx, dir, N_CERTS);
		dc->tamper(fx, dir);
		expand_where(fx, dc->where, where, sizeof(where));
		if (verify_dir(dir, &p, &count) != LETHE_ERR_INTEGRITY ||
		    !has_problem(&p, where, dc->what) ||
		    (dc->problems != 0 && p.count != dc->problems)) {
			print_problems(&p);
			fail_msg("case \"%s\": want \"%s: %s\" (%zu problems), got %zu problems",
				 dc->label, where, dc->what, dc->problems, p.count);
		}
	}
}

static void test_dir_pinned_key(void **state)
{
	struct fixture *fx = *state;
	uint8_t other_seed[32], other_pub[32];
	char dir[128];
	struct problems p;
	uint64_t count;

	snprintf(dir, sizeof(dir), "%s/pinned", fx->tmp);
	export_to(fx, dir, N_CERTS);
	memset(&p, 0, sizeof(p));
	assert_int_equal(lt_cert_verify_dir_key(dir, fx->pub, collect, &p, &count), LETHE_OK);
	assert_int_equal(count, N_CERTS);

	/* Someone re-signed everything with their own key: only a pinned key notices. */
	assert_int_equal(lt_ed25519_keygen(other_seed, other_pub), LETHE_OK);
	memset(&p, 0, sizeof(p));
	assert_int_equal(lt_cert_verify_dir_key(dir, other_pub, collect, &p, &count),
			 LETHE_ERR_INTEGRITY);
	assert_problem(&p, "evidence.pub.pem", "is not the expected evidence public key");
	assert_problem(&p, fx->ids[0], "signature does not verify");
	assert_problem(&p, "chain.sig", "does not verify");
}

static void test_dir_not_evidence(void **state)
{
	struct fixture *fx = *state;
	char dir[128], file[160];
	struct problems p;
	uint64_t count = 7;

	snprintf(dir, sizeof(dir), "%s/nothing-here", fx->tmp);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INVALID);
	assert_int_equal(count, 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INVALID);
	assert_non_null(strstr(lt_err_detail(), "not an evidence directory"));
	snprintf(file, sizeof(file), "%s/file", dir);
	spit(dir, "file", "x", 1);
	assert_int_equal(verify_dir(file, &p, &count), LETHE_ERR_INVALID);

	export_to(fx, dir, N_CERTS);
	unlink_in(dir, "evidence.pub.pem");
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INVALID);
}

/* ---- the auditor's tools ------------------------------------------------------------------- */

static bool have_tools(void)
{
	return system("command -v openssl > /dev/null 2>&1 && "
		      "command -v sha256sum > /dev/null 2>&1") == 0;
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int openssl_verify(const char *dir, const char *msg, const char *sig)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl pkeyutl -verify -pubin -inkey evidence.pub.pem -rawin "
		 "-in '%s' -sigfile '%s' > /dev/null 2>&1",
		 dir, msg, sig);
	return run(cmd);
}

static void test_openssl_verifies(void **state)
{
	struct fixture *fx = *state;
	char dir[128], json[64], sig[64];

	if (!have_tools())
		skip();
	snprintf(dir, sizeof(dir), "%s/openssl", fx->tmp);
	export_to(fx, dir, N_CERTS);
	for (size_t i = 0; i < N_CERTS; i++) {
		file_name(json, sizeof(json), fx->ids[i], ".json");
		file_name(sig, sizeof(sig), fx->ids[i], ".sig");
		assert_int_equal(openssl_verify(dir, json, sig), 0);
	}
	assert_int_equal(openssl_verify(dir, "chain.txt", "chain.sig"), 0);

	/* And openssl sees tampering as lethe does. */
	file_name(json, sizeof(json), fx->ids[2], ".json");
	file_name(sig, sizeof(sig), fx->ids[2], ".sig");
	flip_in(dir, json, 10);
	assert_int_not_equal(openssl_verify(dir, json, sig), 0);
	file_name(sig, sizeof(sig), fx->ids[3], ".sig");
	file_name(json, sizeof(json), fx->ids[1], ".json");
	assert_int_not_equal(openssl_verify(dir, json, sig), 0);
}

/* sha256sum of certificate k is the prev_sha256 of certificate k+1. */
static void test_sha256sum_chain(void **state)
{
	struct fixture *fx = *state;
	char dir[128], cmd[512], hex[65] = ZEROS64;

	if (!have_tools())
		skip();
	snprintf(dir, sizeof(dir), "%s/sha256sum", fx->tmp);
	export_to(fx, dir, N_CERTS);
	for (size_t i = 0; i < N_CERTS; i++) {
		json_t *root = json_loadb(fx->json[i], fx->len[i], 0, NULL);
		FILE *out;

		assert_string_equal(json_string_value(json_object_get(root, "prev_sha256")), hex);
		json_decref(root);
		snprintf(cmd, sizeof(cmd), "sha256sum '%s/%s.json'", dir, fx->ids[i]);
		out = popen(cmd, "r");
		assert_non_null(out);
		assert_non_null(fgets(hex, sizeof(hex), out));
		assert_int_equal(strlen(hex), 64);
		assert_int_equal(pclose(out), 0);
	}
}

/* ---- the fuzz corpus ------------------------------------------------------------------------ */

/* RFC 8032 section 7.1, TEST 1: the fixed key of tests/fuzz/fuzz_evidence.c. */
static const uint8_t rfc8032_seed[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static const uint8_t rfc8032_pub[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

#define CORPUS_DIR     LETHE_SOURCE_DIR "/tests/fuzz/corpus/evidence"
#define FUZZ_SEPARATOR "\n--lethe-fuzz-item--\n"
#define CORPUS_CERTS   3

struct bytes {
	uint8_t *data;
	size_t len;
};

static void bytes_add(struct bytes *b, const void *data, size_t len)
{
	b->data = realloc(b->data, b->len + len + 1);
	assert_non_null(b->data);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

/* One fuzz item: separator (but first), signature, certificate; @p sig NULL signs it anew. */
static void corpus_add(struct bytes *b, const char *json, size_t len, const uint8_t *sig)
{
	uint8_t fresh[64];

	if (b->len > 0)
		bytes_add(b, FUZZ_SEPARATOR, strlen(FUZZ_SEPARATOR));
	if (sig == NULL) {
		assert_int_equal(sign_seed(rfc8032_seed, json, len, fresh), LETHE_OK);
		sig = fresh;
	}
	bytes_add(b, sig, 64);
	bytes_add(b, json, len);
}

static void corpus_save(const char *name, struct bytes *b)
{
	spit(CORPUS_DIR, name, b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Write the seeds: valid chains, and each kind of damage, signed so it gets past the
 * signature where that is the point. Run with LETHE_REGEN_FUZZ_CORPUS=1 after a format change. */
static void corpus_regenerate(void)
{
	char *json[CORPUS_CERTS], *changed;
	size_t len[CORPUS_CERTS], changed_len;
	uint8_t sig[CORPUS_CERTS][64], prev[32] = {0};
	struct lt_cert_fields f;
	struct bytes b = {NULL, 0};

	for (size_t i = 0; i < CORPUS_CERTS; i++) {
		fields_for(&f, i, prev);
		assert_int_equal(lt_cert_build(&f, &json[i], &len[i]), LETHE_OK);
		assert_int_equal(sign_seed(rfc8032_seed, json[i], len[i], sig[i]), LETHE_OK);
		assert_int_equal(lt_sha256(json[i], len[i], prev), LETHE_OK);
	}
	corpus_add(&b, json[0], len[0], sig[0]);
	corpus_save("valid-one", &b);
	for (size_t i = 0; i < CORPUS_CERTS; i++)
		corpus_add(&b, json[i], len[i], sig[i]);
	corpus_save("valid-chain", &b);
	for (size_t i = 0; i < CORPUS_CERTS; i++) {
		uint8_t bad[64];

		memcpy(bad, sig[i], 64);
		bad[5] ^= (uint8_t) (i == 1);
		corpus_add(&b, json[i], len[i], bad);
	}
	corpus_save("tampered-signature", &b);
	corpus_add(&b, json[0], len[0], sig[0]);
	corpus_add(&b, json[2], len[2], sig[2]);
	corpus_save("broken-link", &b);
	corpus_add(&b, json[0], 100, sig[0]);
	corpus_save("truncated", &b);
	bytes_add(&b, "{}\n", 3);
	corpus_save("no-signature", &b);

	changed = replace_once(json[0], len[0], "{\"type\"", "{ \"type\"", &changed_len);
	corpus_add(&b, changed, changed_len, NULL);
	corpus_save("signed-noncanonical", &b);
	free(changed);
	changed =
	    replace_once(json[0], len[0], "\"store_id\":", "\"seq\":1,\"store_id\":", &changed_len);
	corpus_add(&b, changed, changed_len, NULL);
	corpus_save("signed-duplicate-key", &b);
	free(changed);
	changed = replace_once(json[2], len[2], "\"lock\":false", "\"lock\":true", &changed_len);
	corpus_add(&b, json[0], len[0], sig[0]);
	corpus_add(&b, json[1], len[1], sig[1]);
	corpus_add(&b, changed, changed_len, NULL);
	corpus_save("signed-locked-early-shred", &b);
	free(changed);
	for (size_t i = 0; i < CORPUS_CERTS; i++)
		free(json[i]);
}

/* The valid seeds of the fuzz corpus must stay valid, or the fuzzer explores only failures.
 * Same split as fuzz_evidence.c: items between separators, each a 64-byte signature and the
 * certificate, named by position (c0000000-0000-4000-8000-00000000000N). */
static void test_fuzz_corpus_valid(void **state)
{
	static const char *const seeds[] = {"valid-one", "valid-chain"};
	const size_t sep_len = strlen(FUZZ_SEPARATOR);

	(void) state;
	if (getenv("LETHE_REGEN_FUZZ_CORPUS") != NULL)
		corpus_regenerate();
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		struct lt_cert_item items[8];
		char names[8][LETHE_ID_LEN + 1];
		struct problems p;
		size_t len, n = 0;
		uint8_t *data = slurp(CORPUS_DIR, seeds[s], &len);
		const uint8_t *at = data, *end = data + len;

		while (n < 8) {
			const uint8_t *sep =
			    memmem(at, (size_t) (end - at), FUZZ_SEPARATOR, sep_len);
			const uint8_t *stop = sep ? sep : end;

			assert_true(stop - at > 64);
			snprintf(names[n], sizeof(names[n]), "c0000000-0000-4000-8000-%012zx",
				 n + 1);
			items[n] =
			    (struct lt_cert_item){names[n], at + 64, (size_t) (stop - at) - 64, at};
			n++;
			if (sep == NULL)
				break;
			at = sep + sep_len;
		}
		assert_int_equal(n, s == 0 ? 1 : CORPUS_CERTS);
		if (verify_items(rfc8032_pub, items, n, &p) != LETHE_OK) {
			print_problems(&p);
			fail_msg("corpus seed %s does not verify", seeds[s]);
		}
		free(data);
	}
}

/* ---- issuing the certificate of a shred ------------------------------------------------- */

static const char issue_config[] = "[group:locked]\nretention = 1d\nlock = true\n"
				   "[group:gov]\nretention = 7d\n";

/* A row of @p group written at T2026 and retained under that group's policy. */
static void issue_row(struct lt_db_object *row, const char *group, int64_t retention)
{
	memset(row, 0, sizeof(*row));
	strcpy(row->id, "0b000000-0000-4000-8000-0000000000aa");
	strcpy(row->group, group);
	/* the name itself is encrypted in the row: the certificate takes its commitment */
	row->has_name_commit = true;
	memset(row->name_commit, 0x5c, sizeof(row->name_commit));
	row->size = 4242;
	memset(row->sha256, 0xab, 32);
	row->created_at = T2026;
	row->retain_until = T2026 + retention;
	row->kek_version = 3;
	row->state = LETHE_STATE_LIVE;
}

static void issue_disposal(struct lt_cert_disposal *d, const struct lt_config *cfg,
			   int64_t shredded_at, uint64_t prev_seq, const uint8_t *prev)
{
	memset(d, 0, sizeof(*d));
	d->store_id = STORE_ID;
	d->cfg = cfg;
	d->reason = "retention-expired";
	d->shredded_at = shredded_at;
	d->actor_uid = 998;
	d->actor_user = "lethe";
	d->actor_keyslot = "service";
	d->host = "files01.example.com";
	d->tool_version = "0.1.0";
	d->prev_seq = prev_seq;
	d->prev_sha256 = prev;
}

static const char *json_str_at(json_t *root, const char *obj, const char *key)
{
	return json_string_value(json_object_get(obj ? json_object_get(root, obj) : root, key));
}

/*
 * What a shred's certificate says is taken from the row and the decision: ids, the chain
 * position, the hashed name, the object's policy (locked by its group or by the row), the
 * actor; the bytes are signed and hashed as stored, and issued certificates chain and verify.
 */
static void test_issue(void **state)
{
	struct fixture *fx = *state;
	struct lt_ed25519_key *signer = NULL;
	struct lt_config cfg;
	struct lt_db_object row;
	struct lt_cert_disposal d;
	struct lt_db_cert c1, c2;
	struct lt_cert_item items[2];
	uint8_t zeros[32] = {0}, digest[32];
	char hex[65];
	json_t *root;

	assert_int_equal(lt_ed25519_key_new(fx->seed, &signer), LETHE_OK);
	assert_int_equal(lt_config_parse(issue_config, strlen(issue_config), "t.conf", &cfg),
			 LETHE_OK);
	issue_row(&row, "locked", DAY);
	issue_disposal(&d, &cfg, row.retain_until + 5, 0, zeros);
	assert_int_equal(lt_cert_issue(&row, &d, signer, &c1), LETHE_OK);
	assert_int_equal(c1.seq, 1);
	assert_string_equal(c1.object_id, row.id);
	assert_string_equal(c1.group, "locked");
	assert_string_equal(c1.reason, "retention-expired");
	assert_int_equal(c1.shredded_at, row.retain_until + 5);
	assert_int_equal(c1.json[c1.json_len - 1], '\n');
	assert_int_equal(lt_sha256(c1.json, c1.json_len, digest), LETHE_OK);
	assert_memory_equal(digest, c1.sha256, 32);
	assert_int_equal(lt_ed25519_verify(fx->pub, c1.json, c1.json_len, c1.sig), LETHE_OK);
	/* the name is confidential: only its salted commitment is certified */
	assert_null(CONTAINS(c1.json, c1.json_len, "name_sha256"));
	root = json_loadb((const char *) c1.json, c1.json_len, 0, NULL);
	assert_non_null(root);
	assert_string_equal(json_str_at(root, NULL, "certificate_id"), c1.id);
	assert_string_equal(json_str_at(root, NULL, "store_id"), STORE_ID);
	assert_int_equal(json_integer_value(json_object_get(root, "version")), 2);
	lt_hex(row.name_commit, 32, hex);
	assert_string_equal(json_str_at(root, "object", "name_commit"), hex);
	assert_string_equal(json_str_at(root, NULL, "prev_sha256"), ZEROS64);
	assert_true(json_is_true(json_object_get(json_object_get(root, "policy"), "lock")));
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(root, "policy"), "retention_seconds")),
			 DAY);
	assert_string_equal(json_str_at(root, "actor", "keyslot"), "service");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(root, "sanitization"), "destroyed"),
			     "kek_version")),
			 3);
	json_decref(root);

	/* an early shred in a locked group is never certified */
	issue_disposal(&d, &cfg, row.created_at + 60, c1.seq, c1.sha256);
	d.reason = "manual";
	d.reason_text = "case 7";
	d.forced = true;
	assert_int_equal(lt_cert_issue(&row, &d, signer, &c2), LETHE_ERR_INTERNAL);
	assert_null(c2.json);
	/* a row locked when written stays locked under a config that unlocks its group */
	issue_row(&row, "gov", 7 * DAY);
	row.locked = true;
	assert_int_equal(lt_cert_issue(&row, &d, signer, &c2), LETHE_ERR_INTERNAL);
	/* an officer's forced early shred in an unlocked group is, and joins the chain (a
	 * later object: shredded after the certificate ahead of it) */
	row.locked = false;
	row.created_at += 30 * DAY;
	row.retain_until += 30 * DAY;
	d.shredded_at = row.created_at + 60;
	assert_int_equal(lt_cert_issue(&row, &d, signer, &c2), LETHE_OK);
	assert_int_equal(c2.seq, 2);
	assert_string_not_equal(c2.id, c1.id);
	root = json_loadb((const char *) c2.json, c2.json_len, 0, NULL);
	assert_non_null(root);
	assert_true(json_is_true(json_object_get(json_object_get(root, "reason"), "forced")));
	assert_string_equal(json_str_at(root, "reason", "text"), "case 7");
	assert_true(json_is_false(json_object_get(json_object_get(root, "policy"), "lock")));
	lt_hex(c1.sha256, 32, hex);
	assert_string_equal(json_str_at(root, NULL, "prev_sha256"), hex);
	json_decref(root);
	items[0] = (struct lt_cert_item){c1.id, c1.json, c1.json_len, c1.sig};
	items[1] = (struct lt_cert_item){c2.id, c2.json, c2.json_len, c2.sig};
	assert_int_equal(lt_cert_verify_chain(fx->pub, items, 2, NULL, NULL), LETHE_OK);
	free((void *) c2.json);

	/* a row from before encrypted names, not converted, has no commitment to state */
	row.has_name_commit = false;
	assert_int_equal(lt_cert_issue(&row, &d, signer, &c2), LETHE_ERR_INTEGRITY);
	assert_null(c2.json);
	lt_err_clear();

	free((void *) c1.json);
	lt_config_free(&cfg);
	lt_ed25519_key_free(signer);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_build_golden),
	    T(test_build_rejects),
	    T(test_build_limits),
	    T(test_build_escapes),
	    T(test_issue),
	    T(test_chain_roundtrip),
	    T(test_chain_links),
	    T(test_tamper_every_byte),
	    T(test_tamper_signature),
	    T(test_remove_middle),
	    T(test_remove_first),
	    T(test_remove_last_needs_listing),
	    T(test_swap),
	    T(test_duplicate),
	    T(test_wrong_key),
	    T(test_missing_parts),
	    T(test_names),
	    T(test_content_rules),
	    T(test_content_no_cascade),
	    T(test_content_hostile),
	    T(test_content_too_large),
	    T(test_dir_tampers),
	    T(test_dir_pinned_key),
	    T(test_dir_not_evidence),
	    T(test_openssl_verifies),
	    T(test_sha256sum_chain),
	    T(test_fuzz_corpus_valid),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
