/* test_keys_name.c - object names at rest: the name key and ciphertext as docs/KEYS.md section 8
 * specifies them (recomputed here from HMAC and AES-GCM alone), every binding of the
 * ciphertext, and the salted commitment of FORMAT.md section 12. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "keys/name.h"
#include "store/db.h"

static const char store_a[] = "0f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6";
static const char object_a[] = "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d";
static const char object_b[] = "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9e";
static const char guess[] = "HIV-test-result-John-Doe-1970-01-01.pdf";

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t) (seed + i * 13);
}

/* name key = HMAC-SHA256(DEK, "lethe/v1/name" || object id || 01); AAD = object id */
static void test_layout(void **state)
{
	uint8_t dek[LT_KEY_LEN], key[LT_KEY_LEN], enc[LT_NAME_ENC_MAX], scratch[LT_KEY_LEN];
	uint8_t info[13 + 36 + 1];
	char out[LETHE_NAME_MAX + 1], name[LETHE_NAME_MAX + 1];
	size_t len = 0, n = strlen(guess);

	(void) state;
	fill(dek, sizeof(dek), 7);
	assert_int_equal(lt_name_seal(dek, object_a, guess, enc, &len), LETHE_OK);
	assert_int_equal(len, LT_NAME_ENC_MIN + n);
	assert_null(memmem(enc, len, "John", 4));
	memcpy(info, "lethe/v1/name", 13);
	memcpy(info + 13, object_a, 36);
	info[49] = 1;
	assert_int_equal(lt_hmac_sha256(dek, sizeof(dek), info, sizeof(info), key), LETHE_OK);
	assert_int_equal(lt_gcm_open(key, enc, object_a, 36, enc + 12, n, enc + 12 + n, out),
			 LETHE_OK);
	assert_memory_equal(out, guess, n);
	assert_int_equal(lt_name_open(NULL, dek, object_a, enc, len, scratch, name), LETHE_OK);
	assert_string_equal(name, guess);
	/* and through a listing's HKDF, set up once */
	struct lt_hkdf *kdf = NULL;
	assert_int_equal(lt_hkdf_new(&kdf), LETHE_OK);
	assert_int_equal(lt_name_open(kdf, dek, object_a, enc, len, scratch, name), LETHE_OK);
	assert_string_equal(name, guess);
	lt_hkdf_free(kdf);
	/* an empty name is a ciphertext too */
	assert_int_equal(lt_name_seal(dek, object_a, "", enc, &len), LETHE_OK);
	assert_int_equal(len, LT_NAME_ENC_MIN);
	assert_int_equal(lt_name_open(NULL, dek, object_a, enc, len, scratch, name), LETHE_OK);
	assert_string_equal(name, "");
}

/* Another data key, another object, or a changed byte: nothing opens. */
static void test_bindings(void **state)
{
	uint8_t dek[LT_KEY_LEN], other[LT_KEY_LEN], enc[LT_NAME_ENC_MAX], scratch[LT_KEY_LEN];
	char name[LETHE_NAME_MAX + 1];
	size_t len = 0;

	(void) state;
	fill(dek, sizeof(dek), 7);
	fill(other, sizeof(other), 8);
	assert_int_equal(lt_name_seal(dek, object_a, guess, enc, &len), LETHE_OK);
	assert_int_equal(lt_name_open(NULL, other, object_a, enc, len, scratch, name),
			 LETHE_ERR_INTEGRITY);
	assert_string_equal(name, "");
	assert_int_equal(lt_name_open(NULL, dek, object_b, enc, len, scratch, name),
			 LETHE_ERR_INTEGRITY);
	enc[20] ^= 1;
	assert_int_equal(lt_name_open(NULL, dek, object_a, enc, len, scratch, name),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_name_open(NULL, dek, object_a, enc, LT_NAME_ENC_MIN - 1, scratch, name),
			 LETHE_ERR_INTEGRITY);
	lt_err_clear();
}

/* salt = HMAC(name-commit key, store id || object id); name_commit = HMAC(salt, name). */
static void test_commit(void **state)
{
	uint8_t ck[LT_KEY_LEN], salt[32], salt_b[32], commit[32], expect[32];
	uint8_t msg[72];
	char plain_hash_of_guess[32];

	(void) state;
	fill(ck, sizeof(ck), 3);
	assert_int_equal(lt_name_salt(ck, store_a, object_a, salt), LETHE_OK);
	memcpy(msg, store_a, 36);
	memcpy(msg + 36, object_a, 36);
	assert_int_equal(lt_hmac_sha256(ck, sizeof(ck), msg, sizeof(msg), expect), LETHE_OK);
	assert_memory_equal(salt, expect, 32);
	assert_int_equal(lt_name_commit(salt, guess, commit), LETHE_OK);
	assert_int_equal(lt_hmac_sha256(salt, 32, guess, strlen(guess), expect), LETHE_OK);
	assert_memory_equal(commit, expect, 32);
	/* not the unsalted hash a guess could be tested against */
	assert_int_equal(lt_sha256(guess, strlen(guess), (uint8_t *) plain_hash_of_guess),
			 LETHE_OK);
	assert_memory_not_equal(commit, plain_hash_of_guess, 32);
	/* each object has its own salt */
	assert_int_equal(lt_name_salt(ck, store_a, object_b, salt_b), LETHE_OK);
	assert_memory_not_equal(salt, salt_b, 32);
	assert_int_equal(lt_name_salt(ck, store_a, "not-a-uuid", salt_b), LETHE_ERR_INVALID);
	lt_err_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_bindings),
	    cmocka_unit_test(test_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
