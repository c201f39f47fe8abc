/* test_keys_authority.c - officers.luks: create, unlock (any officer, or one by name), officer
 * add and remove, a roster edited without the authority, another store's file, unrostered
 * keyslots. */
#include <libcryptsetup.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "keys/authority.h"
#include "keys/wrap.h"

/* Argon2id at libcryptsetup's floor, so tests run in milliseconds. */
static const struct lt_kdf_params tiny_kdf = {.memory_kib = 32, .time_cost = 4, .parallel = 1};

static const char store_id[] = "5f7e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b";
static const char other_id[] = "00000000-2b4d-4e6f-8a9b-0c1d2e3f4a5b";
static const char alice_pass[] = "alice passphrase";
static const char bob_pass[] = "bob passphrase";

struct fixture {
	char dir[256];
	char path[300];
	uint8_t mk[LT_MK_LEN];
	uint8_t oas[LT_KEY_LEN];
	uint8_t pub[LT_ED25519_PUB_LEN];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/lethe-authority-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/officers.luks", f->dir);
	for (size_t i = 0; i < sizeof(f->mk); i++)
		f->mk[i] = (uint8_t) (0x40 + i);
	if (lt_authority_create(f->path, store_id, f->mk, "alice", alice_pass, strlen(alice_pass),
				&tiny_kdf, f->oas, f->pub) != LETHE_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_create_and_unlock(void **state)
{
	struct fixture *f = *state;
	uint8_t oas[LT_KEY_LEN], mk[LT_MK_LEN], pub[LT_ED25519_PUB_LEN];
	struct lt_slot_info who;
	struct lt_authority a;

	assert_int_equal(lt_authority_read(f->path, store_id, &a), LETHE_OK);
	assert_int_equal(a.count, 1);
	assert_string_equal(a.officer[0].name, "alice");
	assert_int_equal(a.serial, 1);
	assert_memory_equal(a.pub, f->pub, sizeof(a.pub));
	assert_int_equal(lt_authority_unlock(f->path, store_id, NULL, alice_pass,
					     strlen(alice_pass), oas, mk, &who, pub, NULL),
			 LETHE_OK);
	assert_memory_equal(mk, f->mk, sizeof(mk));
	assert_memory_equal(oas, f->oas, sizeof(oas));
	assert_memory_equal(pub, f->pub, sizeof(pub));
	assert_string_equal(who.name, "alice");
	assert_int_equal(who.role, LT_SLOT_OFFICER);
	/* by name: that keyslot alone */
	assert_int_equal(lt_authority_unlock(f->path, store_id, "alice", alice_pass,
					     strlen(alice_pass), oas, mk, &who, pub, NULL),
			 LETHE_OK);
	assert_int_equal(lt_authority_unlock(f->path, store_id, "bob", alice_pass,
					     strlen(alice_pass), oas, mk, &who, pub, NULL),
			 LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "no officer \"bob\""));
	assert_int_equal(
	    lt_authority_unlock(f->path, store_id, NULL, "wrong", 5, oas, mk, &who, pub, NULL),
	    LETHE_ERR_UNLOCK);
	/* another store's id: its roster and wrapped MK are not this store's */
	assert_int_equal(lt_authority_read(f->path, other_id, &a), LETHE_ERR_INTEGRITY);
}

static void test_add_remove(void **state)
{
	struct fixture *f = *state;
	uint8_t oas[LT_KEY_LEN], mk[LT_MK_LEN], pub[LT_ED25519_PUB_LEN];
	struct lt_slot_info who;
	struct lt_authority a;

	assert_int_equal(lt_authority_officer_add(f->path, store_id, f->oas, "bob", bob_pass,
						  strlen(bob_pass), &tiny_kdf, NULL, NULL),
			 LETHE_OK);
	assert_int_equal(lt_authority_officer_add(f->path, store_id, f->oas, "bob", bob_pass,
						  strlen(bob_pass), &tiny_kdf, NULL, NULL),
			 LETHE_ERR_EXISTS);
	assert_int_equal(lt_authority_unlock(f->path, store_id, NULL, bob_pass, strlen(bob_pass),
					     oas, mk, &who, pub, NULL),
			 LETHE_OK);
	assert_string_equal(who.name, "bob");
	assert_memory_equal(mk, f->mk, sizeof(mk));
	/* an authority secret that is not this file's changes nothing */
	memset(oas, 0x11, sizeof(oas));
	assert_int_equal(lt_authority_officer_remove(f->path, store_id, oas, "alice", NULL, NULL),
			 LETHE_ERR_KEYSTORE);
	assert_int_equal(
	    lt_authority_officer_remove(f->path, store_id, f->oas, "alice", NULL, NULL), LETHE_OK);
	assert_int_equal(lt_authority_officer_remove(f->path, store_id, f->oas, "bob", NULL, NULL),
			 LETHE_ERR_LAST_OFFICER);
	assert_int_equal(lt_authority_unlock(f->path, store_id, NULL, alice_pass,
					     strlen(alice_pass), oas, mk, &who, pub, NULL),
			 LETHE_ERR_UNLOCK);
	assert_int_equal(lt_authority_read(f->path, store_id, &a), LETHE_OK);
	assert_int_equal(a.count, 1);
	assert_int_equal(a.serial, 3);
}

/* Replace the roster token with @p json (the way `cryptsetup token import --token-replace`
 * would). */
static void token_replace(const char *path, const char *from, const char *to)
{
	struct crypt_device *cd = NULL;
	const char *json = NULL;
	char *edited, *at;
	int token = -1;

	assert_int_equal(crypt_init(&cd, path), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	for (int t = 0; t < 32 && token < 0; t++) {
		const char *type = NULL;

		if (crypt_token_status(cd, t, &type) != CRYPT_TOKEN_INACTIVE && type &&
		    strcmp(type, "lethe-authority") == 0)
			token = t;
	}
	assert_true(token >= 0);
	assert_int_equal(crypt_token_json_get(cd, token, &json), 0);
	edited = calloc(1, strlen(json) + strlen(to) + 1);
	assert_non_null(edited);
	at = strstr(json, from);
	assert_non_null(at);
	memcpy(edited, json, (size_t) (at - json));
	strcat(edited, to);
	strcat(edited, at + strlen(from));
	assert_true(crypt_token_json_set(cd, token, edited) >= 0);
	free(edited);
	crypt_free(cd);
}

static void test_renamed(void **state)
{
	struct fixture *f = *state;
	uint8_t oas[LT_KEY_LEN], mk[LT_MK_LEN], pub[LT_ED25519_PUB_LEN];
	struct lt_slot_info who;
	struct lt_authority a;

	token_replace(f->path, "\"alice\"", "\"carol\"");
	assert_int_equal(lt_authority_read(f->path, store_id, &a), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "signature does not verify"));
	assert_int_equal(lt_authority_unlock(f->path, store_id, NULL, alice_pass,
					     strlen(alice_pass), oas, mk, &who, pub, NULL),
			 LETHE_ERR_INTEGRITY);
	assert_string_equal(who.name, "");
}

static void test_unrostered(void **state)
{
	struct fixture *f = *state;
	struct crypt_device *cd = NULL;
	size_t n = 9;

	assert_int_equal(lt_authority_unrostered(f->path, store_id, false, &n), LETHE_OK);
	assert_int_equal(n, 0);
	/* a keyslot added with the authority secret but named by no roster (a crash in add) */
	assert_int_equal(crypt_init(&cd, f->path), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_true(
	    crypt_keyslot_add_by_volume_key(cd, 5, (const char *) f->oas, LT_KEY_LEN, "x", 1) == 5);
	crypt_free(cd);
	assert_int_equal(lt_authority_unrostered(f->path, store_id, false, &n), LETHE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lt_authority_unrostered(f->path, store_id, true, &n), LETHE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lt_authority_unrostered(f->path, store_id, false, &n), LETHE_OK);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_unlock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_renamed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unrostered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
