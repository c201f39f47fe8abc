/* test_keys_keystore.c - the LUKS2 keystore: create, unlock, officers, refusals, luksDump. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/uuid.h"
#include "keys/keystore.h"
#include "keys/wrap.h"
#include "tests/unit/keys_fixture.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double) (t1.tv_sec - t0->tv_sec) * 1e3 + (double) (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

static void test_create(void **state)
{
	struct keys_fixture *f = *state;
	uint8_t uuid[16];
	struct stat st;

	assert_int_equal(lt_keystore_create(f->keystore, f->service_key, "alice", KEYS_OFFICER_PASS,
					    strlen(KEYS_OFFICER_PASS), &tiny_kdf, f->mk,
					    f->store_id),
			 LETHE_OK);
	assert_false(all_zero(f->mk, sizeof(f->mk)));
	assert_int_equal(lt_uuid_parse(f->store_id, uuid), LETHE_OK);
	assert_int_equal(stat(f->keystore, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* 16 KiB metadata twice and 16 keyslots of 128 KiB. */
	assert_int_equal(st.st_size, 2 * 16384 + 16 * 131072);
	/* Never over an existing file. */
	assert_int_equal(lt_keystore_create(f->keystore, f->service_key, "alice", KEYS_OFFICER_PASS,
					    strlen(KEYS_OFFICER_PASS), &tiny_kdf, f->mk,
					    f->store_id),
			 LETHE_ERR_EXISTS);
}

static void test_create_refusals(void **state)
{
	struct keys_fixture *f = *state;

	assert_int_equal(lt_keystore_create(f->keystore, f->service_key, "service",
					    KEYS_OFFICER_PASS, strlen(KEYS_OFFICER_PASS), &tiny_kdf,
					    f->mk, f->store_id),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_keystore_create(f->keystore, f->service_key, "bad name",
					    KEYS_OFFICER_PASS, strlen(KEYS_OFFICER_PASS), &tiny_kdf,
					    f->mk, f->store_id),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_keystore_create(f->keystore, f->service_key, "alice", "", 0, &tiny_kdf,
					    f->mk, f->store_id),
			 LETHE_ERR_INVALID);
	/* An Argon2 cost libcryptsetup refuses fails cleanly and leaves no file behind. */
	{
		const struct lt_kdf_params bad = {.memory_kib = 1, .time_cost = 1, .parallel = 9};

		assert_int_not_equal(
		    lt_keystore_create(f->keystore, f->service_key, "alice", KEYS_OFFICER_PASS,
				       strlen(KEYS_OFFICER_PASS), &bad, f->mk, f->store_id),
		    LETHE_OK);
		assert_true(all_zero(f->mk, sizeof(f->mk)));
		assert_string_equal(f->store_id, "");
	}
	assert_int_not_equal(access(f->keystore, F_OK), 0);
}

static void test_unlock_service(void **state)
{
	struct keys_fixture *f = *state;
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;
	uint8_t mk[LT_MK_LEN];
	struct timespec t0;
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(
		    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id),
		    LETHE_OK);
		ms = ms_since(&t0);
		best = ms < best ? ms : best;
	}
	print_message("service unlock: %.2f ms (best of 5)\n", best);
	assert_memory_equal(mk, f->mk, LT_MK_LEN);
	assert_string_equal(store_id, f->store_id);
	assert_int_equal(who.keyslot, 0);
	assert_int_equal(who.role, LT_SLOT_SERVICE);
	assert_string_equal(who.name, "service");
}

static void test_unlock_officer(void **state)
{
	struct keys_fixture *f = *state;
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;
	uint8_t mk[LT_MK_LEN];
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, KEYS_OFFICER_PASS,
						       strlen(KEYS_OFFICER_PASS), mk, &who,
						       store_id),
			 LETHE_OK);
	print_message("officer unlock (Argon2id 32 KiB, t=4): %.2f ms\n", ms_since(&t0));
	assert_memory_equal(mk, f->mk, LT_MK_LEN);
	assert_string_equal(store_id, f->store_id);
	assert_int_equal(who.keyslot, 1);
	assert_int_equal(who.role, LT_SLOT_OFFICER);
	assert_string_equal(who.name, "alice");
}

static void test_wrong_keys(void **state)
{
	struct keys_fixture *f = *state;
	char store_id[LETHE_ID_LEN + 1] = "x";
	struct lt_slot_info who;
	uint8_t key[32];
	uint8_t mk[LT_MK_LEN];

	memcpy(key, f->service_key, sizeof(key));
	key[31] ^= 1;
	memset(mk, 0x55, sizeof(mk));
	assert_int_equal(lt_keystore_unlock_service(f->keystore, key, mk, &who, store_id),
			 LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "keyfile does not open"));
	assert_true(all_zero(mk, sizeof(mk)));
	assert_string_equal(store_id, "");
	assert_int_equal(who.keyslot, -1);

	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, "wrong", 5, mk, &who, store_id),
			 LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "wrong passphrase"));
	assert_true(all_zero(mk, sizeof(mk)));
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, KEYS_OFFICER_PASS,
						       strlen(KEYS_OFFICER_PASS) - 1, mk, &who,
						       store_id),
			 LETHE_ERR_UNLOCK);
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, "", 0, mk, &who, store_id),
			 LETHE_ERR_UNLOCK);
	/* The service key given as a passphrase must not open the keystore as the service. */
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, (const char *) f->service_key,
						       32, mk, &who, store_id),
			 LETHE_ERR_UNLOCK);
	/* Nor an officer passphrase as the service key (it is tried on the service slot only). */
	{
		uint8_t as_key[32] = {0};

		memcpy(as_key, KEYS_OFFICER_PASS,
		       sizeof(as_key) < strlen(KEYS_OFFICER_PASS) ? sizeof(as_key)
								  : strlen(KEYS_OFFICER_PASS));
		assert_int_equal(
		    lt_keystore_unlock_service(f->keystore, as_key, mk, &who, store_id),
		    LETHE_ERR_UNLOCK);
	}
	/* No secret in the detail. */
	assert_null(strstr(lt_err_detail(), KEYS_OFFICER_PASS));
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t) len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_bad_keystores(void **state)
{
	struct keys_fixture *f = *state;
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;
	uint8_t mk[LT_MK_LEN];
	static uint8_t junk[65536];

	assert_int_equal(
	    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id),
	    LETHE_ERR_KEYSTORE);
	assert_non_null(strstr(lt_err_detail(), "does not exist"));
	write_file(f->keystore, "", 0, 0600);
	assert_int_equal(
	    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id),
	    LETHE_ERR_KEYSTORE);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t) (i * 7 + 3);
	write_file(f->keystore, junk, sizeof(junk), 0600);
	assert_int_equal(
	    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id),
	    LETHE_ERR_KEYSTORE);
	assert_non_null(strstr(lt_err_detail(), "not a LUKS2 keystore"));
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, "x", 1, mk, &who, store_id),
			 LETHE_ERR_KEYSTORE);
}

static void test_loose_permissions(void **state)
{
	struct keys_fixture *f = *state;
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;
	uint8_t mk[LT_MK_LEN];
	char link[320];

	assert_int_equal(chmod(f->keystore, 0644), 0);
	assert_int_equal(
	    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id),
	    LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lt_err_detail(), "chmod 600"));
	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "bob", "pw", 2, &tiny_kdf),
			 LETHE_ERR_PERMISSION);
	assert_int_equal(chmod(f->keystore, 0640), 0);
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, KEYS_OFFICER_PASS,
						       strlen(KEYS_OFFICER_PASS), mk, &who,
						       store_id),
			 LETHE_ERR_PERMISSION);
	assert_int_equal(chmod(f->keystore, 0600), 0);
	snprintf(link, sizeof(link), "%s/link.luks", f->dir);
	assert_int_equal(symlink(f->keystore, link), 0);
	assert_int_equal(lt_keystore_unlock_service(link, f->service_key, mk, &who, store_id),
			 LETHE_ERR_PERMISSION);
}

static size_t list(struct keys_fixture *f, struct lt_slot_info *slots, size_t max)
{
	size_t count = 99;

	assert_int_equal(lt_keystore_slots(f->keystore, slots, max, &count), LETHE_OK);
	return count;
}

static void unlock_as(struct keys_fixture *f, const char *pass, const char *name, int keyslot)
{
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;
	uint8_t mk[LT_MK_LEN];

	assert_int_equal(
	    lt_keystore_unlock_passphrase(f->keystore, pass, strlen(pass), mk, &who, store_id),
	    LETHE_OK);
	assert_memory_equal(mk, f->mk, LT_MK_LEN);
	assert_string_equal(who.name, name);
	assert_int_equal(who.keyslot, keyslot);
	assert_int_equal(who.role, LT_SLOT_OFFICER);
}

static void test_officers(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_slot_info slots[16];
	uint8_t other_mk[LT_MK_LEN];
	uint8_t mk[LT_MK_LEN];
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;

	assert_int_equal(list(f, slots, 16), 2);
	assert_string_equal(slots[0].name, "service");
	assert_int_equal(slots[0].role, LT_SLOT_SERVICE);
	assert_int_equal(slots[0].keyslot, 0);
	assert_string_equal(slots[1].name, "alice");
	assert_int_equal(slots[1].role, LT_SLOT_OFFICER);

	assert_int_equal(
	    lt_keystore_officer_add(f->keystore, f->mk, "bob", "bob's pass", 10, &tiny_kdf),
	    LETHE_OK);
	assert_int_equal(list(f, slots, 16), 3);
	assert_string_equal(slots[2].name, "bob");
	assert_int_equal(slots[2].keyslot, 2);
	unlock_as(f, "bob's pass", "bob", 2);
	unlock_as(f, KEYS_OFFICER_PASS, "alice", 1);

	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "bob", "x", 1, &tiny_kdf),
			 LETHE_ERR_EXISTS);
	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "service", "x", 1, &tiny_kdf),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "", "x", 1, &tiny_kdf),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "carol", "", 0, &tiny_kdf),
			 LETHE_ERR_INVALID);
	/* A master key that is not this keystore's cannot make a keyslot. */
	memcpy(other_mk, f->mk, sizeof(other_mk));
	other_mk[0] ^= 0x80;
	assert_int_equal(lt_keystore_officer_add(f->keystore, other_mk, "carol", "x", 1, &tiny_kdf),
			 LETHE_ERR_KEYSTORE);
	assert_int_equal(list(f, slots, 16), 3);

	assert_int_equal(lt_keystore_officer_remove(f->keystore, "nobody"), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_keystore_officer_remove(f->keystore, "service"), LETHE_ERR_INVALID);
	assert_int_equal(lt_keystore_officer_remove(f->keystore, "alice"), LETHE_OK);
	assert_int_equal(list(f, slots, 16), 2);
	assert_string_equal(slots[1].name, "bob");
	/* The removed officer's passphrase opens nothing any more. */
	assert_int_equal(lt_keystore_unlock_passphrase(f->keystore, KEYS_OFFICER_PASS,
						       strlen(KEYS_OFFICER_PASS), mk, &who,
						       store_id),
			 LETHE_ERR_UNLOCK);
	assert_int_equal(lt_keystore_officer_remove(f->keystore, "bob"), LETHE_ERR_LAST_OFFICER);
	unlock_as(f, "bob's pass", "bob", 2);
	/* The freed keyslot is reused, and the service still unlocks. */
	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "alice", "new", 3, &tiny_kdf),
			 LETHE_OK);
	unlock_as(f, "new", "alice", 1);
	assert_int_equal(
	    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id), LETHE_OK);
	assert_int_equal(lt_keystore_slots(f->keystore, slots, 1, &(size_t){0}), LETHE_ERR_INVALID);
}

/* "officer-NN-xxx...": LETHE_OFFICER_MAX bytes. */
static void officer_name(char name[LETHE_OFFICER_MAX + 1], int i)
{
	memset(name, 'x', LETHE_OFFICER_MAX);
	name[LETHE_OFFICER_MAX] = '\0';
	memcpy(name, "officer-", 8);
	name[8] = (char) ('0' + i / 10);
	name[9] = (char) ('0' + i % 10);
	name[10] = '-';
}

/* 15 officers with the longest names fit: the LUKS2 JSON area holds every keyslot and name. */
static void test_keystore_full(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_slot_info slots[16];
	char name[LETHE_OFFICER_MAX + 1];

	for (int i = 2; i <= 15; i++) {
		officer_name(name, i);
		assert_int_equal(strlen(name), LETHE_OFFICER_MAX);
		if (lt_keystore_officer_add(f->keystore, f->mk, name, name, strlen(name),
					    &tiny_kdf) != LETHE_OK)
			fail_msg("officer %d: %s", i, lt_err_detail());
	}
	assert_int_equal(list(f, slots, 16), 16);
	assert_int_equal(
	    lt_keystore_officer_add(f->keystore, f->mk, "one-too-many", "x", 1, &tiny_kdf),
	    LETHE_ERR_KEYSTORE);
	assert_non_null(strstr(lt_err_detail(), "no free keyslot"));
	officer_name(name, 15);
	unlock_as(f, name, name, 15);
}

struct remover {
	const char *path;
	const char *name;
	enum lethe_err rc;
};

static void *remove_thread(void *arg)
{
	struct remover *r = arg;

	r->rc = lt_keystore_officer_remove(r->path, r->name);
	return NULL;
}

/* Two removals at once with two officers: one wins, the other finds the last officer. */
static void test_concurrent_remove(void **state)
{
	struct keys_fixture *f = *state;
	struct remover a = {f->keystore, "alice", LETHE_ERR_INTERNAL};
	struct remover b = {f->keystore, "bob", LETHE_ERR_INTERNAL};
	struct lt_slot_info slots[16];
	pthread_t ta, tb;

	/* valgrind (3.19) keeps a thread blocked in libcryptsetup's F_OFD_SETLKW from yielding to
	 * the thread that holds the lock: the two removals would wait for each other forever. */
	if (getenv("LETHE_VALGRIND"))
		skip();
	assert_int_equal(lt_keystore_officer_add(f->keystore, f->mk, "bob", "b", 1, &tiny_kdf),
			 LETHE_OK);
	assert_int_equal(pthread_create(&ta, NULL, remove_thread, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, remove_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_true((a.rc == LETHE_OK && b.rc == LETHE_ERR_LAST_OFFICER) ||
		    (b.rc == LETHE_OK && a.rc == LETHE_ERR_LAST_OFFICER));
	assert_int_equal(list(f, slots, 16), 2);
}

static int have_cryptsetup(void)
{
	return system("command -v cryptsetup >/dev/null 2>&1") == 0;
}

/* Run "cryptsetup ARGS 'PATH' 2>/dev/null | FILTER" and return its status. */
static int cryptsetup(const char *args, const char *path, const char *filter)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cryptsetup %s '%s' 2>/dev/null %s", args, path, filter);
	return system(cmd);
}

static void test_luks_dump(void **state)
{
	struct keys_fixture *f = *state;

	if (!have_cryptsetup())
		skip();
	assert_int_equal(cryptsetup("isLuks --type luks2", f->keystore, ""), 0);
	assert_int_equal(cryptsetup("luksDump", f->keystore, ">/dev/null"), 0);
	assert_int_equal(cryptsetup("luksDump", f->keystore, "| grep -q 'lethe-slot'"), 0);
	assert_int_equal(cryptsetup("luksDump", f->keystore, "| grep -q 'argon2id'"), 0);
	assert_int_equal(cryptsetup("luksDump", f->keystore, "| grep -q 'Label:.*lethe-keystore'"),
			 0);
}

/* Format DIR/NAME with cryptsetup(8): a valid LUKS2 header that lethe did not make. */
static void luks_format(struct keys_fixture *f, const char *name, const char *options)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && head -c 32 /dev/urandom > kf && truncate -s 1M %s && "
		 "cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 "
		 "--pbkdf-force-iterations 1000 "
		 "--luks2-metadata-size 16k --luks2-keyslots-size 256k --key-file kf %s %s "
		 ">/dev/null 2>&1 && chmod 600 %s",
		 f->dir, name, options, name, name);
	assert_int_equal(system(cmd), 0);
	snprintf(f->keystore, sizeof(f->keystore), "%s/%s", f->dir, name);
}

static void expect_keystore_error(struct keys_fixture *f, const char *fragment)
{
	char store_id[LETHE_ID_LEN + 1];
	struct lt_slot_info who;
	uint8_t mk[LT_MK_LEN];

	assert_int_equal(
	    lt_keystore_unlock_service(f->keystore, f->service_key, mk, &who, store_id),
	    LETHE_ERR_KEYSTORE);
	if (!strstr(lt_err_detail(), fragment))
		fail_msg("got \"%s\", want \"%s\"", lt_err_detail(), fragment);
}

static void test_foreign_luks2(void **state)
{
	struct keys_fixture *f = *state;
	char cmd[1200];

	if (!have_cryptsetup())
		skip();
	luks_format(f, "wide.luks", "--key-size 512");
	expect_keystore_error(f, "master key is not 256 bits");
	luks_format(f, "plain.luks", "--key-size 256");
	expect_keystore_error(f, "not a lethe keystore");

	/* A lethe-slot token with a role lethe never writes makes the keystore invalid. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf '%%s' '{\"type\":\"lethe-slot\",\"keyslots\":[\"0\"],"
		 "\"name\":\"service\",\"role\":\"root\"}' > tok.json && "
		 "cryptsetup token import --json-file tok.json plain.luks >/dev/null 2>&1",
		 f->dir);
	assert_int_equal(system(cmd), 0);
	expect_keystore_error(f, "bad name or role");
}

/* What a crash leaves: a keyslot without a name, a name without a keyslot. Repair clears both. */
static void test_unnamed_and_repair(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_slot_info slots[16];
	size_t count = 99, destroyed = 99;
	char cmd[1200];
	FILE *mk;

	if (!have_cryptsetup())
		skip();
	snprintf(cmd, sizeof(cmd), "%s/mk.bin", f->dir);
	mk = fopen(cmd, "w");
	assert_non_null(mk);
	assert_int_equal(fwrite(f->mk, 1, LT_MK_LEN, mk), LT_MK_LEN);
	fclose(mk);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && head -c 32 /dev/urandom > other.key && "
		 "cryptsetup luksAddKey -q --volume-key-file mk.bin --pbkdf pbkdf2 "
		 "--pbkdf-force-iterations 1000 --key-slot 7 keystore.luks other.key "
		 ">/dev/null 2>&1 "
		 "&& printf '%%s' '{\"type\":\"lethe-slot\",\"keyslots\":[],\"name\":\"ghost\","
		 "\"role\":\"officer\"}' > ghost.json && "
		 "cryptsetup token import --json-file ghost.json keystore.luks >/dev/null 2>&1",
		 f->dir);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(cryptsetup("luksDump", f->keystore, "| grep -q '^  7: luks2'"), 0);
	assert_int_equal(lt_keystore_unnamed(f->keystore, &count), LETHE_OK);
	assert_int_equal(count, 1);
	assert_int_equal(list(f, slots, 16), 2); /* neither shows up as an actor */
	assert_int_equal(lt_keystore_repair(f->keystore, &destroyed), LETHE_OK);
	assert_int_equal(destroyed, 1);
	assert_int_equal(lt_keystore_unnamed(f->keystore, &count), LETHE_OK);
	assert_int_equal(count, 0);
	assert_int_equal(cryptsetup("luksDump", f->keystore, "| grep -c lethe-slot | grep -qx 2"),
			 0);
	assert_int_equal(cryptsetup("luksDump", f->keystore, "| grep -q '^  7: luks2'"), 256);
	unlock_as(f, KEYS_OFFICER_PASS, "alice", 1);
	assert_int_equal(lt_keystore_repair(f->keystore, &destroyed), LETHE_OK);
	assert_int_equal(destroyed, 0);
}

static void test_officer_name_valid(void **state)
{
	(void) state;
	assert_true(lt_officer_name_valid("alice"));
	assert_true(lt_officer_name_valid("a.B_c-9"));
	assert_true(lt_officer_name_valid("Service"));
	assert_false(lt_officer_name_valid("service"));
	assert_false(lt_officer_name_valid(""));
	assert_false(lt_officer_name_valid(NULL));
	assert_false(lt_officer_name_valid("a b"));
	assert_false(lt_officer_name_valid("a\"b"));
	assert_false(lt_officer_name_valid("al\xc3\xaf"
					   "ce"));
	assert_true(lt_officer_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(lt_officer_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create, keys_setup_dir, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_create_refusals, keys_setup_dir, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_unlock_service, keys_setup_keystore,
					    keys_teardown),
	    cmocka_unit_test_setup_teardown(test_unlock_officer, keys_setup_keystore,
					    keys_teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_keys, keys_setup_keystore, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_keystores, keys_setup_dir, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_loose_permissions, keys_setup_keystore,
					    keys_teardown),
	    cmocka_unit_test_setup_teardown(test_officers, keys_setup_keystore, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_keystore_full, keys_setup_keystore, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_remove, keys_setup_keystore,
					    keys_teardown),
	    cmocka_unit_test_setup_teardown(test_luks_dump, keys_setup_keystore, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_luks2, keys_setup_dir, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_unnamed_and_repair, keys_setup_keystore,
					    keys_teardown),
	    cmocka_unit_test(test_officer_name_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
