/* test_keys_vectors.c - the key hierarchy of keys/wrap.h against tests/kat/keys_vectors.txt
 * (docs/KEYS.md, made by an independent implementation): from a fixed master key through the
 * derived keys, the wrapped KEKs and DEK and the evidence seed, to a decrypted object. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/uuid.h"
#include "crypt/lth.h"
#include "crypt/prim.h"
#include "keys/wrap.h"

#ifndef LETHE_KAT_DIR
#define LETHE_KAT_DIR "tests/kat"
#endif

#define MAX_VALUES 64

/* The vector file as key = value pairs (values point into one buffer). */
struct vectors {
	char *text;
	const char *key[MAX_VALUES];
	const char *value[MAX_VALUES];
	size_t n;
};

static struct vectors vec;

static int load(void **state)
{
	FILE *f = fopen(LETHE_KAT_DIR "/keys_vectors.txt", "r");
	char *line, *save = NULL;
	long len;

	(void) state;
	if (!f)
		fail_msg("cannot open %s: %s", LETHE_KAT_DIR "/keys_vectors.txt", strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	vec.text = malloc((size_t) len + 1);
	assert_non_null(vec.text);
	assert_int_equal(fread(vec.text, 1, (size_t) len, f), (size_t) len);
	vec.text[len] = '\0';
	fclose(f);
	for (line = strtok_r(vec.text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(line, " = ");

		if (line[0] == '#' || !eq)
			continue;
		assert_true(vec.n < MAX_VALUES);
		*eq = '\0';
		vec.key[vec.n] = line;
		vec.value[vec.n++] = eq + 3;
	}
	return 0;
}

static int unload(void **state)
{
	(void) state;
	free(vec.text);
	memset(&vec, 0, sizeof(vec));
	return 0;
}

static const char *text(const char *key)
{
	for (size_t i = 0; i < vec.n; i++)
		if (strcmp(vec.key[i], key) == 0)
			return vec.value[i];
	fail_msg("keys_vectors.txt has no \"%s\"", key);
	return NULL;
}

/* Exactly @p len bytes of hex. */
static void hex(const char *key, uint8_t *out, size_t len)
{
	if (strlen(text(key)) != 2 * len)
		fail_msg("%s: expected %zu bytes", key, len);
	assert_int_equal(lt_unhex(text(key), out, len), LETHE_OK);
}

/* Any length of hex, malloc'd. */
static uint8_t *hex_any(const char *key, size_t *len)
{
	uint8_t *out;

	*len = strlen(text(key)) / 2;
	out = malloc(*len ? *len : 1);
	assert_non_null(out);
	if (*len)
		assert_int_equal(lt_unhex(text(key), out, *len), LETHE_OK);
	return out;
}

static void test_master_key_derivations(void **state)
{
	static const struct {
		enum lt_mk_purpose purpose;
		const char *key;
	} purposes[] = {
	    {LT_MK_KEK_WRAP, "kek_wrap_key"},
	    {LT_MK_AUDIT_MAC, "audit_mac_key"},
	    {LT_MK_EVIDENCE_WRAP, "evidence_wrap_key"},
	};
	uint8_t mk[32], want[32], got[32];

	(void) state;
	hex("master_key", mk, sizeof(mk));
	for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++) {
		hex(purposes[i].key, want, sizeof(want));
		assert_int_equal(lt_mk_derive(mk, text("store_id"), purposes[i].purpose, got),
				 LETHE_OK);
		assert_memory_equal(got, want, 32);
	}
}

static void test_kek_unwrap(void **state)
{
	uint8_t wrap_key[32], wrapped[LT_WRAPPED_LEN], want[32], got[32];
	char name[32];

	(void) state;
	hex("kek_wrap_key", wrap_key, sizeof(wrap_key));
	for (uint32_t version = 1; version <= 2; version++) {
		snprintf(name, sizeof(name), "kek_%u_wrapped", version);
		hex(name, wrapped, sizeof(wrapped));
		snprintf(name, sizeof(name), "kek_%u", version);
		hex(name, want, sizeof(want));
		assert_int_equal(lt_kek_unwrap(wrap_key, text("store_id"), version, wrapped, got),
				 LETHE_OK);
		assert_memory_equal(got, want, 32);
		/* the version and the store id are bound into the wrap */
		assert_int_equal(
		    lt_kek_unwrap(wrap_key, text("store_id"), 3 - version, wrapped, got),
		    LETHE_ERR_INTEGRITY);
		assert_int_equal(lt_kek_unwrap(wrap_key, "5f7e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5c",
					       version, wrapped, got),
				 LETHE_ERR_INTEGRITY);
	}
}

/* A wrap made by the C code opens with the AAD bytes the document gives. */
static void test_kek_wrap_uses_documented_aad(void **state)
{
	uint8_t wrap_key[32], kek[32], wrapped[LT_WRAPPED_LEN], got[32];
	size_t aad_len;
	uint8_t *aad = hex_any("kek_1_aad", &aad_len);

	(void) state;
	hex("kek_wrap_key", wrap_key, sizeof(wrap_key));
	hex("kek_1", kek, sizeof(kek));
	assert_int_equal(lt_kek_wrap(wrap_key, text("store_id"), 1, kek, wrapped), LETHE_OK);
	assert_int_equal(lt_key_unwrap(wrap_key, aad, aad_len, wrapped, got), LETHE_OK);
	assert_memory_equal(got, kek, 32);
	free(aad);
}

static void test_dek_unwrap(void **state)
{
	uint8_t kek[32], wrapped[LT_WRAPPED_LEN], want[32], got[32];
	uint32_t version = (uint32_t) strtoul(text("kek_version"), NULL, 10);
	char name[16];

	(void) state;
	snprintf(name, sizeof(name), "kek_%u", version);
	hex(name, kek, sizeof(kek));
	hex("wrapped_dek", wrapped, sizeof(wrapped));
	hex("dek", want, sizeof(want));
	assert_int_equal(lt_dek_unwrap(kek, text("store_id"), text("object_id"), text("group"),
				       version, wrapped, got),
			 LETHE_OK);
	assert_memory_equal(got, want, 32);
	/* object id, group and KEK version are each bound into the wrap */
	assert_int_equal(lt_dek_unwrap(kek, text("store_id"),
				       "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1", text("group"),
				       version, wrapped, got),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(kek, text("store_id"), text("object_id"), "default", version,
				       wrapped, got),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_dek_unwrap(kek, text("store_id"), text("object_id"), text("group"),
				       version + 1, wrapped, got),
			 LETHE_ERR_INTEGRITY);
}

static void test_dek_wrap_uses_documented_aad(void **state)
{
	uint8_t kek[32], dek[32], wrapped[LT_WRAPPED_LEN], got[32];
	uint32_t version = (uint32_t) strtoul(text("kek_version"), NULL, 10);
	size_t aad_len;
	uint8_t *aad = hex_any("dek_aad", &aad_len);
	char name[16];

	(void) state;
	snprintf(name, sizeof(name), "kek_%u", version);
	hex(name, kek, sizeof(kek));
	hex("dek", dek, sizeof(dek));
	assert_int_equal(lt_dek_wrap(kek, text("store_id"), text("object_id"), text("group"),
				     version, dek, wrapped),
			 LETHE_OK);
	assert_int_equal(lt_key_unwrap(kek, aad, aad_len, wrapped, got), LETHE_OK);
	assert_memory_equal(got, dek, 32);
	free(aad);
}

static void test_evidence_seed_unwrap(void **state)
{
	uint8_t key[32], wrapped[LT_WRAPPED_LEN], want[32], got[32];
	uint8_t pub_want[LT_ED25519_PUB_LEN], sig[LT_ED25519_SIG_LEN];
	struct lt_ed25519_key *signer = NULL;

	(void) state;
	hex("evidence_wrap_key", key, sizeof(key));
	hex("evidence_priv_wrapped", wrapped, sizeof(wrapped));
	hex("evidence_seed", want, sizeof(want));
	hex("evidence_pub", pub_want, sizeof(pub_want));
	assert_int_equal(lt_evkey_unwrap(key, text("store_id"), wrapped, got), LETHE_OK);
	assert_memory_equal(got, want, 32);
	/* the public key in the vectors is this seed's */
	assert_int_equal(lt_ed25519_key_new(got, &signer), LETHE_OK);
	assert_int_equal(lt_ed25519_key_sign(signer, "m", 1, sig), LETHE_OK);
	lt_ed25519_key_free(signer);
	assert_int_equal(lt_ed25519_verify(pub_want, "m", 1, sig), LETHE_OK);
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("keys-kat", 0);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t) len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* The DEK of the chain decrypts the object file; the file is what lethe would write. */
static void test_object_file(void **state)
{
	uint8_t dek[32], salt[32], oid[16];
	size_t file_len, pt_len;
	uint8_t *file = hex_any("object_file", &file_len);
	uint8_t *plaintext = hex_any("plaintext", &pt_len);
	unsigned seg_log2 = (unsigned) strtoul(text("seg_log2"), NULL, 10);
	struct lt_lth_info info;
	uint8_t *out = malloc(file_len + pt_len + 1);
	uint64_t written = 0;
	int in, sink, pt_fd;
	char path[128];

	(void) state;
	assert_non_null(out);
	hex("dek", dek, sizeof(dek));
	hex("salt", salt, sizeof(salt));
	assert_int_equal(lt_uuid_parse(text("object_id"), oid), LETHE_OK);
	/* objects/ab/cd/<id>.lth: the id's first two pairs of hex digits */
	snprintf(path, sizeof(path), "objects/%.2s/%.2s/%s.lth", text("object_id"),
		 text("object_id") + 2, text("object_id"));
	assert_string_equal(path, text("object_path"));

	in = memfd_with(file, file_len);
	sink = memfd_create("keys-kat-out", 0);
	assert_true(sink >= 0);
	assert_int_equal(lt_lth_decrypt(dek, oid, in, sink, 0, LETHE_TO_END, 1, &written),
			 LETHE_OK);
	assert_int_equal(written, pt_len);
	assert_int_equal(pread(sink, out, pt_len + 1, 0), (ssize_t) pt_len);
	assert_memory_equal(out, plaintext, pt_len);
	close(in);
	close(sink);

	pt_fd = memfd_with(plaintext, pt_len);
	sink = memfd_create("keys-kat-ct", 0);
	assert_true(sink >= 0);
	assert_int_equal(lt_lth_encrypt_salt(dek, oid, seg_log2, salt, pt_fd, sink, 1, &info),
			 LETHE_OK);
	assert_int_equal(info.ciphertext_size, file_len);
	assert_int_equal(pread(sink, out, file_len + 1, 0), (ssize_t) file_len);
	assert_memory_equal(out, file, file_len);
	close(pt_fd);
	close(sink);
	free(out);
	free(file);
	free(plaintext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_master_key_derivations),
	    cmocka_unit_test(test_kek_unwrap),
	    cmocka_unit_test(test_kek_wrap_uses_documented_aad),
	    cmocka_unit_test(test_dek_unwrap),
	    cmocka_unit_test(test_dek_wrap_uses_documented_aad),
	    cmocka_unit_test(test_evidence_seed_unwrap),
	    cmocka_unit_test(test_object_file),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
