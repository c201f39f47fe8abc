/* test_keys_wrap.c - purpose keys and wraps: round trips, and every binding of the AAD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "keys/keystore.h"
#include "keys/wrap.h"

static const char store_a[] = "0f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6";
static const char store_b[] = "1f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6";
static const char object_a[] = "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d";
static const char object_b[] = "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9e";

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t) (seed + i * 13);
}

static void test_mk_derive(void **state)
{
	uint8_t mk[LT_MK_LEN], a[LT_KEY_LEN], b[LT_KEY_LEN], c[LT_KEY_LEN], d[LT_KEY_LEN];

	(void) state;
	fill(mk, sizeof(mk), 1);
	assert_int_equal(lt_mk_derive(mk, store_a, LT_MK_KEK_WRAP, a), LETHE_OK);
	assert_int_equal(lt_mk_derive(mk, store_a, LT_MK_KEK_WRAP, b), LETHE_OK);
	assert_memory_equal(a, b, sizeof(a));
	/* Each purpose and each store has its own key. */
	assert_int_equal(lt_mk_derive(mk, store_a, LT_MK_AUDIT_MAC, b), LETHE_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(lt_mk_derive(mk, store_a, LT_MK_EVIDENCE_WRAP, c), LETHE_OK);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_memory_not_equal(b, c, sizeof(b));
	assert_int_equal(lt_mk_derive(mk, store_b, LT_MK_KEK_WRAP, d), LETHE_OK);
	assert_memory_not_equal(a, d, sizeof(a));
	assert_int_equal(lt_mk_derive(mk, store_a, LT_MK_ROW_MAC, d), LETHE_OK);
	assert_memory_not_equal(a, d, sizeof(a));
	assert_memory_not_equal(b, d, sizeof(b));
	assert_memory_not_equal(c, d, sizeof(c));
	assert_int_equal(lt_mk_derive(mk, store_a, (enum lt_mk_purpose) 1000, d),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_mk_derive(mk, store_a, (enum lt_mk_purpose) - 1, d), LETHE_ERR_INVALID);
}

/*
 * Known answer: HKDF-SHA256(salt = store id text, ikm = 32 x 0x00, info = label). Pins the
 * derivation so a change to it (which would orphan every store) cannot pass unnoticed.
 * Computed independently with: openssl kdf -keylen 32 -kdfopt digest:SHA256
 *   -kdfopt hexkey:00..00 -kdfopt salt:<store id> -kdfopt info:lethe/v1/kek-wrap HKDF
 */
static void test_mk_derive_known_answer(void **state)
{
	static const uint8_t expected[LT_KEY_LEN] = {
	    0x20, 0x0b, 0x2a, 0xd7, 0xc8, 0x29, 0x1a, 0x87, 0xfd, 0xe0, 0x65,
	    0xa8, 0xd5, 0x74, 0x2c, 0x4b, 0x6f, 0x14, 0xbb, 0x4b, 0xd5, 0x68,
	    0x95, 0x9a, 0x6c, 0xf4, 0x66, 0x94, 0x2e, 0xe7, 0x98, 0x20,
	};
	uint8_t mk[LT_MK_LEN] = {0};
	uint8_t out[LT_KEY_LEN];

	(void) state;
	assert_int_equal(lt_mk_derive(mk, store_a, LT_MK_KEK_WRAP, out), LETHE_OK);
	assert_memory_equal(out, expected, sizeof(out));
}

static void test_kek_wrap(void **state)
{
	uint8_t wrap_key[LT_KEY_LEN], kek[LT_KEY_LEN], out[LT_KEY_LEN];
	uint8_t wrapped[LT_WRAPPED_LEN], again[LT_WRAPPED_LEN];

	(void) state;
	fill(wrap_key, sizeof(wrap_key), 9);
	assert_int_equal(lt_key_generate(kek), LETHE_OK);
	assert_int_equal(lt_kek_wrap(wrap_key, store_a, 1, kek, wrapped), LETHE_OK);
	assert_int_equal(lt_kek_unwrap(wrap_key, store_a, 1, wrapped, out), LETHE_OK);
	assert_memory_equal(out, kek, sizeof(kek));
	/* A random nonce: the same key wraps differently each time. */
	assert_int_equal(lt_kek_wrap(wrap_key, store_a, 1, kek, again), LETHE_OK);
	assert_memory_not_equal(wrapped, again, sizeof(wrapped));
	/* Bound to its version and its store. */
	assert_int_equal(lt_kek_unwrap(wrap_key, store_a, 2, wrapped, out), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "KEK version 2"));
	assert_int_equal(lt_kek_unwrap(wrap_key, store_b, 1, wrapped, out), LETHE_ERR_INTEGRITY);
	wrap_key[0] ^= 1;
	assert_int_equal(lt_kek_unwrap(wrap_key, store_a, 1, wrapped, out), LETHE_ERR_INTEGRITY);
	wrap_key[0] ^= 1;
	for (size_t i = 0; i < LT_WRAPPED_LEN; i++) {
		wrapped[i] ^= 0x40;
		assert_int_equal(lt_kek_unwrap(wrap_key, store_a, 1, wrapped, out),
				 LETHE_ERR_INTEGRITY);
		wrapped[i] ^= 0x40;
	}
	assert_int_equal(lt_kek_wrap(wrap_key, NULL, 1, kek, wrapped), LETHE_ERR_INVALID);
}

static void test_dek_wrap(void **state)
{
	uint8_t kek[LT_KEY_LEN], other_kek[LT_KEY_LEN], dek[LT_KEY_LEN], out[LT_KEY_LEN];
	uint8_t wrapped[LT_WRAPPED_LEN];

	(void) state;
	assert_int_equal(lt_key_generate(kek), LETHE_OK);
	assert_int_equal(lt_key_generate(other_kek), LETHE_OK);
	assert_int_equal(lt_key_generate(dek), LETHE_OK);
	assert_int_equal(lt_dek_wrap(kek, store_a, object_a, "finance", 3, dek, wrapped), LETHE_OK);
	assert_int_equal(lt_dek_unwrap(kek, store_a, object_a, "finance", 3, wrapped, out),
			 LETHE_OK);
	assert_memory_equal(out, dek, sizeof(dek));
	/* Moved to another object, group, KEK version or store: it does not unwrap. */
	assert_int_equal(lt_dek_unwrap(kek, store_a, object_b, "finance", 3, wrapped, out),
			 LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), object_b));
	assert_int_equal(lt_dek_unwrap(kek, store_a, object_a, "hr", 3, wrapped, out),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(kek, store_a, object_a, "finance", 4, wrapped, out),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(kek, store_b, object_a, "finance", 3, wrapped, out),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(other_kek, store_a, object_a, "finance", 3, wrapped, out),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_wrap(kek, store_a, NULL, "g", 1, dek, wrapped), LETHE_ERR_INVALID);
}

/* Length prefixes: shifting bytes between adjacent fields changes the AAD. */
static void test_dek_fields_unambiguous(void **state)
{
	uint8_t kek[LT_KEY_LEN], dek[LT_KEY_LEN], out[LT_KEY_LEN];
	uint8_t wrapped[LT_WRAPPED_LEN];

	(void) state;
	fill(kek, sizeof(kek), 3);
	fill(dek, sizeof(dek), 4);
	assert_int_equal(lt_dek_wrap(kek, "s", "ab", "c", 1, dek, wrapped), LETHE_OK);
	assert_int_equal(lt_dek_unwrap(kek, "s", "a", "bc", 1, wrapped, out), LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(kek, "sa", "b", "c", 1, wrapped, out), LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(kek, "s", "ab", "c", 1, wrapped, out), LETHE_OK);
	/* A DEK wrap is not a KEK wrap, even under the same key. */
	assert_int_equal(lt_kek_wrap(kek, store_a, 1, dek, wrapped), LETHE_OK);
	assert_int_equal(lt_dek_unwrap(kek, store_a, "", "", 1, wrapped, out), LETHE_ERR_INTEGRITY);
}

/*
 * A rewrap commits only a wrap it has proven: unwrapped again under the new KEK as obtained
 * independently, with the AAD the row will carry. A wrapping key that is not the new KEK (a
 * stale or freed buffer) fails the proof, and nothing usable is left in the output.
 */
static void test_dek_rewrap(void **state)
{
	uint8_t old_kek[LT_KEY_LEN], new_kek[LT_KEY_LEN], stale[LT_KEY_LEN], dek[LT_KEY_LEN];
	uint8_t old_wrapped[LT_WRAPPED_LEN], new_wrapped[LT_WRAPPED_LEN], zero[LT_WRAPPED_LEN];
	uint8_t scratch[LT_DEK_REWRAP_SCRATCH], out[LT_KEY_LEN];

	(void) state;
	fill(old_kek, sizeof(old_kek), 1);
	fill(new_kek, sizeof(new_kek), 2);
	fill(stale, sizeof(stale), 3);
	fill(dek, sizeof(dek), 4);
	memset(zero, 0, sizeof(zero));
	assert_int_equal(lt_dek_wrap(old_kek, store_a, object_a, "g", 1, dek, old_wrapped),
			 LETHE_OK);

	assert_int_equal(lt_dek_rewrap(store_a, object_a, "g", old_kek, 1, old_wrapped, new_kek,
				       new_kek, 2, new_wrapped, scratch),
			 LETHE_OK);
	assert_int_equal(lt_dek_unwrap(new_kek, store_a, object_a, "g", 2, new_wrapped, out),
			 LETHE_OK);
	assert_memory_equal(out, dek, sizeof(dek));
	for (size_t i = 0; i < sizeof(scratch); i++)
		assert_int_equal(scratch[i], 0);

	/* wrapped under a key that is not the new KEK: the proof fails, the wrap is wiped */
	assert_int_equal(lt_dek_rewrap(store_a, object_a, "g", old_kek, 1, old_wrapped, stale,
				       new_kek, 2, new_wrapped, scratch),
			 LETHE_ERR_INTEGRITY);
	assert_memory_equal(new_wrapped, zero, sizeof(zero));
	assert_non_null(strstr(lt_err_detail(), object_a));
	assert_non_null(strstr(lt_err_detail(), "new wrap"));

	/* the old wrap does not unwrap under the KEK it records */
	assert_int_equal(lt_dek_rewrap(store_a, object_a, "g", stale, 1, old_wrapped, new_kek,
				       new_kek, 2, new_wrapped, scratch),
			 LETHE_ERR_INTEGRITY);
	assert_memory_equal(new_wrapped, zero, sizeof(zero));
	assert_null(strstr(lt_err_detail(), "new wrap"));
	assert_int_equal(lt_dek_rewrap(store_a, object_b, "g", old_kek, 1, old_wrapped, new_kek,
				       new_kek, 2, new_wrapped, scratch),
			 LETHE_ERR_INTEGRITY);
}

static void test_evidence_wrap(void **state)
{
	uint8_t wrap_key[LT_KEY_LEN], seed[LT_ED25519_PRIV_LEN], out[LT_ED25519_PRIV_LEN];
	uint8_t wrapped[LT_WRAPPED_LEN];

	(void) state;
	fill(wrap_key, sizeof(wrap_key), 5);
	fill(seed, sizeof(seed), 6);
	assert_int_equal(lt_evkey_wrap(wrap_key, store_a, seed, wrapped), LETHE_OK);
	assert_int_equal(lt_evkey_unwrap(wrap_key, store_a, wrapped, out), LETHE_OK);
	assert_memory_equal(out, seed, sizeof(seed));
	assert_int_equal(lt_evkey_unwrap(wrap_key, store_b, wrapped, out), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "evidence signing key"));
	/* Not interchangeable with a KEK wrap of the same bytes. */
	assert_int_equal(lt_kek_unwrap(wrap_key, store_a, 0, wrapped, out), LETHE_ERR_INTEGRITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mk_derive),
	    cmocka_unit_test(test_mk_derive_known_answer),
	    cmocka_unit_test(test_kek_wrap),
	    cmocka_unit_test(test_dek_wrap),
	    cmocka_unit_test(test_dek_fields_unambiguous),
	    cmocka_unit_test(test_dek_rewrap),
	    cmocka_unit_test(test_evidence_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
