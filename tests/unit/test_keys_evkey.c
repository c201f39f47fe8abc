/* test_keys_evkey.c - the evidence key: created into the metadata, loaded back, signs what its
 * stored public half verifies; missing, another store's or another wrapping key's refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "crypt/prim.h"
#include "keys/evkey.h"
#include "store/db.h"
#include "tests/unit/keys_fixture.h"

#define STORE_ID "5702e000-0000-4000-8000-000000000001"
#define OTHER_ID "d0000000-0000-4000-8000-000000000099"

static void test_create_load_sign(void **state)
{
	struct keys_fixture *f = *state;
	uint8_t wrap[LT_KEY_LEN], other[LT_KEY_LEN];
	uint8_t seed[LT_ED25519_PRIV_LEN], back[LT_ED25519_PRIV_LEN];
	uint8_t pub[LT_ED25519_PUB_LEN], sig[64];
	struct lt_ed25519_key *signer = NULL;
	static const char msg[] = "a certificate";

	memset(wrap, 0x21, sizeof(wrap));
	memset(other, 0x22, sizeof(other));
	assert_int_equal(lt_evkey_pub(f->db, pub), LETHE_ERR_DATABASE);
	assert_string_equal(lt_err_detail(), "the evidence public key is missing");
	assert_int_equal(lt_evkey_load(f->db, STORE_ID, wrap, back), LETHE_ERR_DATABASE);
	assert_string_equal(lt_err_detail(),
			    "the evidence signing key is missing from the database");

	assert_int_equal(lt_evkey_create(f->db, STORE_ID, wrap, seed), LETHE_OK);
	assert_int_equal(lt_evkey_load(f->db, STORE_ID, wrap, back), LETHE_OK);
	assert_memory_equal(seed, back, sizeof(seed));
	assert_int_equal(lt_evkey_pub(f->db, pub), LETHE_OK);
	assert_int_equal(lt_ed25519_key_new(back, &signer), LETHE_OK);
	assert_int_equal(lt_ed25519_key_sign(signer, msg, sizeof(msg), sig), LETHE_OK);
	lt_ed25519_key_free(signer);
	assert_int_equal(lt_ed25519_verify(pub, msg, sizeof(msg), sig), LETHE_OK);
	/* bound to its store and its wrapping key */
	assert_int_equal(lt_evkey_load(f->db, OTHER_ID, wrap, back), LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "the evidence signing key does not unwrap");
	assert_int_equal(lt_evkey_load(f->db, STORE_ID, other, back), LETHE_ERR_INTEGRITY);
	/* a truncated row is a missing key */
	assert_int_equal(lt_db_meta_set(f->db, "evidence_priv_wrapped", seed, 10), LETHE_OK);
	assert_int_equal(lt_evkey_load(f->db, STORE_ID, wrap, back), LETHE_ERR_DATABASE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_load_sign, keys_setup_db, keys_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
