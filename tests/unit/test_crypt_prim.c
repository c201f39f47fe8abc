/* test_crypt_prim.c - known answers and failure behaviour of the primitives in crypt/prim.h
 * and crypt/secmem.h. Expected values come from the RFCs and the GCM specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/hex.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"

/* Decode a hex literal of the test into a fresh buffer (test helper: aborts the test on bad
 * input). */
static uint8_t *unhex_alloc(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *out = malloc(n ? n : 1);

	assert_non_null(out);
	assert_int_equal(lt_unhex(hex, out, n), LETHE_OK);
	*len = n;
	return out;
}

static void assert_hex_equal(const void *bytes, size_t len, const char *expected)
{
	char *hex = malloc(2 * len + 1);

	assert_non_null(hex);
	lt_hex(bytes, len, hex);
	assert_string_equal(hex, expected);
	free(hex);
}

/* ---- SHA-256 and HMAC ------------------------------------------------------------------- */

static void test_sha256_abc(void **state)
{
	uint8_t md[LT_SHA256_LEN];
	struct lt_sha256 *h = NULL;

	(void) state;
	/* FIPS 180-2 appendix B.1. */
	assert_int_equal(lt_sha256("abc", 3, md), LETHE_OK);
	assert_hex_equal(md, sizeof(md),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* Streaming, byte by byte, gives the same digest. */
	assert_int_equal(lt_sha256_new(&h), LETHE_OK);
	assert_int_equal(lt_sha256_update(h, "a", 1), LETHE_OK);
	assert_int_equal(lt_sha256_update(h, "b", 1), LETHE_OK);
	assert_int_equal(lt_sha256_update(h, "c", 1), LETHE_OK);
	assert_int_equal(lt_sha256_final(h, md), LETHE_OK);
	lt_sha256_free(h);
	assert_hex_equal(md, sizeof(md),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	lt_sha256_free(NULL);
}

static void test_hmac_rfc4231_case2(void **state)
{
	static const char expected[] =
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	const char *data = "what do ya want for nothing?";
	uint8_t mac[LT_SHA256_LEN];
	struct lt_hmac *h = NULL;

	(void) state;
	assert_int_equal(lt_hmac_sha256("Jefe", 4, data, strlen(data), mac), LETHE_OK);
	assert_hex_equal(mac, sizeof(mac), expected);
	assert_int_equal(lt_hmac_new("Jefe", 4, &h), LETHE_OK);
	assert_int_equal(lt_hmac_update(h, data, 10), LETHE_OK);
	assert_int_equal(lt_hmac_update(h, data + 10, strlen(data) - 10), LETHE_OK);
	assert_int_equal(lt_hmac_final(h, mac), LETHE_OK);
	lt_hmac_free(h);
	assert_hex_equal(mac, sizeof(mac), expected);
	lt_hmac_free(NULL);
}

/* ---- HKDF ------------------------------------------------------------------------------- */

static void test_hkdf_rfc5869_case1(void **state)
{
	size_t ikm_len, salt_len, info_len;
	uint8_t *ikm = unhex_alloc("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", &ikm_len);
	uint8_t *salt = unhex_alloc("000102030405060708090a0b0c", &salt_len);
	uint8_t *info = unhex_alloc("f0f1f2f3f4f5f6f7f8f9", &info_len);
	uint8_t okm[42];

	(void) state;
	assert_int_equal(lt_hkdf(salt, salt_len, ikm, ikm_len, info, info_len, okm, sizeof(okm)),
			 LETHE_OK);
	assert_hex_equal(okm, sizeof(okm),
			 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
			 "34007208d5b887185865");
	free(ikm);
	free(salt);
	free(info);
}

static void test_hkdf_rfc5869_case3(void **state)
{
	uint8_t ikm[22];
	uint8_t okm[42];

	(void) state;
	/* Case 3: no salt, no info. */
	memset(ikm, 0x0b, sizeof(ikm));
	assert_int_equal(lt_hkdf(NULL, 0, ikm, sizeof(ikm), NULL, 0, okm, sizeof(okm)), LETHE_OK);
	assert_hex_equal(okm, sizeof(okm),
			 "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
			 "9d201395faa4b61a96c8");
}

/* ---- AES-256-GCM ------------------------------------------------------------------------ */

/* The GCM specification (McGrew and Viega), test case 16: AES-256, 96-bit IV, AAD. */
static const char gcm16_key[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char gcm16_iv[] = "cafebabefacedbaddecaf888";
static const char gcm16_aad[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char gcm16_pt[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
			       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char gcm16_ct[] = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
			       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
static const char gcm16_tag[] = "76fc6ece0f4e1768cddf8853bb2d551b";

struct gcm16 {
	uint8_t *key, *iv, *aad, *pt, *ct;
	size_t key_len, iv_len, aad_len, pt_len, ct_len;
	uint8_t tag[LT_GCM_TAG_LEN];
};

static void gcm16_load(struct gcm16 *v)
{
	v->key = unhex_alloc(gcm16_key, &v->key_len);
	v->iv = unhex_alloc(gcm16_iv, &v->iv_len);
	v->aad = unhex_alloc(gcm16_aad, &v->aad_len);
	v->pt = unhex_alloc(gcm16_pt, &v->pt_len);
	v->ct = unhex_alloc(gcm16_ct, &v->ct_len);
	assert_int_equal(lt_unhex(gcm16_tag, v->tag, sizeof(v->tag)), LETHE_OK);
}

static void gcm16_free(struct gcm16 *v)
{
	free(v->key);
	free(v->iv);
	free(v->aad);
	free(v->pt);
	free(v->ct);
}

static void test_gcm_nist_vector(void **state)
{
	struct gcm16 v;
	uint8_t out[64];
	uint8_t tag[LT_GCM_TAG_LEN];

	(void) state;
	gcm16_load(&v);
	assert_int_equal(lt_gcm_seal(v.key, v.iv, v.aad, v.aad_len, v.pt, v.pt_len, out, tag),
			 LETHE_OK);
	assert_memory_equal(out, v.ct, v.ct_len);
	assert_memory_equal(tag, v.tag, sizeof(tag));
	assert_int_equal(lt_gcm_open(v.key, v.iv, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, out),
			 LETHE_OK);
	assert_memory_equal(out, v.pt, v.pt_len);
	/* In place. */
	memcpy(out, v.pt, v.pt_len);
	assert_int_equal(lt_gcm_seal(v.key, v.iv, v.aad, v.aad_len, out, v.pt_len, out, tag),
			 LETHE_OK);
	assert_memory_equal(out, v.ct, v.ct_len);
	gcm16_free(&v);
}

static void test_gcm_open_rejects_and_wipes(void **state)
{
	struct gcm16 v;
	uint8_t out[64];
	uint8_t zero[64] = {0};

	(void) state;
	gcm16_load(&v);
	/* Flipped ciphertext bit: no plaintext comes out. */
	v.ct[5] ^= 0x01;
	memset(out, 0x55, sizeof(out));
	assert_int_equal(lt_gcm_open(v.key, v.iv, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, out),
			 LETHE_ERR_INTEGRITY);
	assert_memory_equal(out, zero, v.ct_len);
	v.ct[5] ^= 0x01;
	/* Flipped AAD bit. */
	v.aad[0] ^= 0x80;
	assert_int_equal(lt_gcm_open(v.key, v.iv, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, out),
			 LETHE_ERR_INTEGRITY);
	v.aad[0] ^= 0x80;
	/* Flipped tag bit. */
	v.tag[15] ^= 0x01;
	assert_int_equal(lt_gcm_open(v.key, v.iv, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, out),
			 LETHE_ERR_INTEGRITY);
	v.tag[15] ^= 0x01;
	/* Wrong nonce. */
	v.iv[11] ^= 0x01;
	assert_int_equal(lt_gcm_open(v.key, v.iv, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, out),
			 LETHE_ERR_INTEGRITY);
	gcm16_free(&v);
}

static void test_gcm_empty(void **state)
{
	uint8_t key[LT_KEY_LEN] = {0};
	uint8_t nonce[LT_GCM_NONCE_LEN] = {0};
	uint8_t tag[LT_GCM_TAG_LEN];

	(void) state;
	/* GCM spec test case 13: zero key, zero IV, nothing at all. */
	assert_int_equal(lt_gcm_seal(key, nonce, NULL, 0, NULL, 0, NULL, tag), LETHE_OK);
	assert_hex_equal(tag, sizeof(tag), "530f8afbc74536b9a963b4f1c4cb738b");
	assert_int_equal(lt_gcm_open(key, nonce, NULL, 0, NULL, 0, tag, NULL), LETHE_OK);
	tag[0] ^= 1;
	assert_int_equal(lt_gcm_open(key, nonce, NULL, 0, NULL, 0, tag, NULL), LETHE_ERR_INTEGRITY);
}

/* ---- key wrap --------------------------------------------------------------------------- */

static void test_wrap_round_trip_and_aad_binding(void **state)
{
	uint8_t kek[LT_KEY_LEN], other_kek[LT_KEY_LEN], key[LT_KEY_LEN], back[LT_KEY_LEN];
	uint8_t wrapped[LT_WRAPPED_LEN], wrapped2[LT_WRAPPED_LEN];
	uint8_t zero[LT_KEY_LEN] = {0};
	static const char aad[] = "lethe/v1/dek store=1 object=a";
	static const char other_aad[] = "lethe/v1/dek store=1 object=b";
	size_t i;

	(void) state;
	assert_int_equal(lt_random(kek, sizeof(kek)), LETHE_OK);
	assert_int_equal(lt_random(other_kek, sizeof(other_kek)), LETHE_OK);
	assert_int_equal(lt_random(key, sizeof(key)), LETHE_OK);
	assert_int_equal(lt_key_wrap(kek, aad, sizeof(aad), key, wrapped), LETHE_OK);
	assert_int_equal(lt_key_unwrap(kek, aad, sizeof(aad), wrapped, back), LETHE_OK);
	assert_memory_equal(back, key, sizeof(key));

	/* Fresh nonce each time: wrapping twice gives different bytes. */
	assert_int_equal(lt_key_wrap(kek, aad, sizeof(aad), key, wrapped2), LETHE_OK);
	assert_memory_not_equal(wrapped, wrapped2, sizeof(wrapped));

	/* Moved to another row (other AAD), other KEK, or any bit flipped: refused, key wiped. */
	memset(back, 0x77, sizeof(back));
	assert_int_equal(lt_key_unwrap(kek, other_aad, sizeof(other_aad), wrapped, back),
			 LETHE_ERR_INTEGRITY);
	assert_memory_equal(back, zero, sizeof(back));
	assert_string_not_equal(lt_err_detail(), "");
	assert_int_equal(lt_key_unwrap(other_kek, aad, sizeof(aad), wrapped, back),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_key_unwrap(kek, aad, sizeof(aad) - 1, wrapped, back),
			 LETHE_ERR_INTEGRITY);
	for (i = 0; i < LT_WRAPPED_LEN; i++) {
		wrapped[i] ^= 0x04;
		assert_int_equal(lt_key_unwrap(kek, aad, sizeof(aad), wrapped, back),
				 LETHE_ERR_INTEGRITY);
		wrapped[i] ^= 0x04;
	}
	assert_int_equal(lt_key_unwrap(kek, aad, sizeof(aad), wrapped, back), LETHE_OK);
	assert_memory_equal(back, key, sizeof(key));
}

/* One expanded KEK used for many wraps and unwraps, a failed unwrap among them, interleaved
 * with a second expanded key: the same bytes and answers as the one-shot calls, each time. */
static void test_gcm_key_reuse(void **state)
{
	uint8_t kek[LT_KEY_LEN], other_kek[LT_KEY_LEN], key[LT_KEY_LEN], back[LT_KEY_LEN];
	uint8_t wrapped[LT_WRAPPED_LEN], prev[LT_WRAPPED_LEN] = {0};
	uint8_t zero[LT_KEY_LEN] = {0};
	static const char aad[] = "lethe/v1/dek store=1 object=a";
	static const char other_aad[] = "lethe/v1/dek store=1 object=b";
	struct lt_gcm_key *k = NULL, *other = NULL;

	(void) state;
	assert_int_equal(lt_random(kek, sizeof(kek)), LETHE_OK);
	assert_int_equal(lt_random(other_kek, sizeof(other_kek)), LETHE_OK);
	assert_int_equal(lt_gcm_key_new(kek, &k), LETHE_OK);
	assert_int_equal(lt_gcm_key_new(other_kek, &other), LETHE_OK);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(lt_random(key, sizeof(key)), LETHE_OK);
		assert_int_equal(lt_key_wrap_with(k, aad, sizeof(aad), key, wrapped), LETHE_OK);
		assert_memory_not_equal(wrapped, prev, sizeof(wrapped)); /* a fresh nonce */
		memcpy(prev, wrapped, sizeof(prev));
		/* what the expanded key wrapped, the one-shot unwrap opens, and the reverse */
		assert_int_equal(lt_key_unwrap(kek, aad, sizeof(aad), wrapped, back), LETHE_OK);
		assert_memory_equal(back, key, sizeof(key));
		memset(back, 0, sizeof(back));
		assert_int_equal(lt_key_unwrap_with(k, aad, sizeof(aad), wrapped, back), LETHE_OK);
		assert_memory_equal(back, key, sizeof(key));
		/* a refusal (wrong AAD, wrong key, a flipped bit) wipes and leaves the key usable */
		memset(back, 0x77, sizeof(back));
		assert_int_equal(lt_key_unwrap_with(k, other_aad, sizeof(other_aad), wrapped, back),
				 LETHE_ERR_INTEGRITY);
		assert_memory_equal(back, zero, sizeof(back));
		assert_int_equal(lt_key_unwrap_with(other, aad, sizeof(aad), wrapped, back),
				 LETHE_ERR_INTEGRITY);
		wrapped[i % LT_WRAPPED_LEN] ^= 0x10;
		assert_int_equal(lt_key_unwrap_with(k, aad, sizeof(aad), wrapped, back),
				 LETHE_ERR_INTEGRITY);
		wrapped[i % LT_WRAPPED_LEN] ^= 0x10;
		assert_int_equal(lt_key_unwrap_with(k, aad, sizeof(aad), wrapped, back), LETHE_OK);
		assert_memory_equal(back, key, sizeof(key));
		/* and the one-shot wrap opens under the expanded key */
		assert_int_equal(lt_key_wrap(kek, aad, sizeof(aad), key, wrapped), LETHE_OK);
		assert_int_equal(lt_key_unwrap_with(k, aad, sizeof(aad), wrapped, back), LETHE_OK);
		assert_memory_equal(back, key, sizeof(key));
	}
	lt_gcm_key_free(other);
	lt_gcm_key_free(k);
	lt_gcm_key_free(NULL);
}

/* ---- Ed25519 ---------------------------------------------------------------------------- */

static const char ed_priv[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char ed_pub[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char ed_sig[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
    "cf9b46bd25bf5f0595bbe24655141438e7a100b";

static void test_ed25519_rfc8032_test1(void **state)
{
	uint8_t priv[LT_ED25519_PRIV_LEN], pub[LT_ED25519_PUB_LEN], sig[LT_ED25519_SIG_LEN];
	struct lt_ed25519_key *key = NULL;

	(void) state;
	assert_int_equal(lt_unhex(ed_priv, priv, sizeof(priv)), LETHE_OK);
	assert_int_equal(lt_unhex(ed_pub, pub, sizeof(pub)), LETHE_OK);
	assert_int_equal(lt_ed25519_key_new(priv, &key), LETHE_OK);
	assert_int_equal(lt_ed25519_key_sign(key, "", 0, sig), LETHE_OK);
	lt_ed25519_key_free(key);
	assert_hex_equal(sig, sizeof(sig), ed_sig);
	assert_int_equal(lt_ed25519_verify(pub, "", 0, sig), LETHE_OK);
	assert_int_equal(lt_ed25519_verify(pub, "x", 1, sig), LETHE_ERR_INTEGRITY);
	sig[63] ^= 0x01;
	assert_int_equal(lt_ed25519_verify(pub, "", 0, sig), LETHE_ERR_INTEGRITY);
}

static void test_ed25519_prepared_key(void **state)
{
	uint8_t priv[LT_ED25519_PRIV_LEN], sig[LT_ED25519_SIG_LEN], pub[LT_ED25519_PUB_LEN];
	struct lt_ed25519_key *key = NULL;

	(void) state;
	assert_int_equal(lt_unhex(ed_priv, priv, sizeof(priv)), LETHE_OK);
	assert_int_equal(lt_unhex(ed_pub, pub, sizeof(pub)), LETHE_OK);
	assert_int_equal(lt_ed25519_key_new(priv, &key), LETHE_OK);
	assert_non_null(key);
	/* The RFC 8032 answer, and again on reuse. */
	assert_int_equal(lt_ed25519_key_sign(key, "", 0, sig), LETHE_OK);
	assert_hex_equal(sig, sizeof(sig), ed_sig);
	assert_int_equal(lt_ed25519_key_sign(key, "abc", 3, sig), LETHE_OK);
	assert_int_equal(lt_ed25519_verify(pub, "abc", 3, sig), LETHE_OK);
	lt_ed25519_key_free(key);
	lt_ed25519_key_free(NULL);
	assert_int_equal(lt_ed25519_key_sign(NULL, "", 0, sig), LETHE_ERR_CRYPTO);
}

static void test_ed25519_keygen_sign_verify(void **state)
{
	uint8_t priv[LT_ED25519_PRIV_LEN], pub[LT_ED25519_PUB_LEN], pub2[LT_ED25519_PUB_LEN];
	uint8_t sig[LT_ED25519_SIG_LEN];
	struct lt_ed25519_key *key = NULL;
	static const char msg[] = "{\"object\":\"3f1c\"}";

	(void) state;
	assert_int_equal(lt_ed25519_keygen(priv, pub), LETHE_OK);
	assert_int_equal(lt_ed25519_keygen(priv, pub2), LETHE_OK);
	assert_memory_not_equal(pub, pub2, sizeof(pub));
	assert_int_equal(lt_ed25519_key_new(priv, &key), LETHE_OK);
	assert_int_equal(lt_ed25519_key_sign(key, msg, strlen(msg), sig), LETHE_OK);
	lt_ed25519_key_free(key);
	assert_int_equal(lt_ed25519_verify(pub2, msg, strlen(msg), sig), LETHE_OK);
	assert_int_equal(lt_ed25519_verify(pub, msg, strlen(msg), sig), LETHE_ERR_INTEGRITY);
}

static void test_ed25519_pem(void **state)
{
	static const char expected_pem[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	    "-----END PUBLIC KEY-----\n";
	static const char rsa_pem[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMOKfOStdkblfaklLJM64ZqAKxtGsYo5\n"
	    "t227q1ZwiMExED+mSx5Kie3S8XdYExtzdcreiktpBaZ5A+gjE1VJOfkCAwEAAQ==\n"
	    "-----END PUBLIC KEY-----\n";
	uint8_t pub[LT_ED25519_PUB_LEN], back[LT_ED25519_PUB_LEN];
	char *pem = NULL;

	(void) state;
	assert_int_equal(lt_unhex(ed_pub, pub, sizeof(pub)), LETHE_OK);
	assert_int_equal(lt_ed25519_pub_to_pem(pub, &pem), LETHE_OK);
	assert_string_equal(pem, expected_pem);
	assert_int_equal(lt_ed25519_pub_from_pem(pem, strlen(pem), back), LETHE_OK);
	assert_memory_equal(back, pub, sizeof(pub));
	free(pem);
	assert_int_equal(lt_ed25519_pub_from_pem("garbage", 7, back), LETHE_ERR_INVALID);
	assert_int_equal(lt_ed25519_pub_from_pem(rsa_pem, strlen(rsa_pem), back),
			 LETHE_ERR_INVALID);
}

/* ---- misc ------------------------------------------------------------------------------- */

static void test_memeq(void **state)
{
	(void) state;
	assert_true(lt_memeq("abcd", "abcd", 4));
	assert_false(lt_memeq("abcd", "abce", 4));
	assert_true(lt_memeq("a", "b", 0));
}

static void test_random(void **state)
{
	uint8_t a[32] = {0}, b[32] = {0};

	(void) state;
	assert_int_equal(lt_random(a, sizeof(a)), LETHE_OK);
	assert_int_equal(lt_random(b, sizeof(b)), LETHE_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(lt_random(a, 0), LETHE_OK);
}

static void test_secmem(void **state)
{
	struct rlimit core_before, core_after;
	uint8_t *p;
	size_t i;

	(void) state;
	assert_int_equal(getrlimit(RLIMIT_CORE, &core_before), 0);
	p = lt_secmem_alloc(100);
	assert_non_null(p);
	/* per page only: the process's core dump limit is its host's to set */
	assert_int_equal(getrlimit(RLIMIT_CORE, &core_after), 0);
	assert_int_equal(core_after.rlim_cur, core_before.rlim_cur);
	for (i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0xab, 100);
	lt_cleanse(p, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	lt_secmem_free(p, 100);
	lt_secmem_free(NULL, 10);
	p = lt_secmem_alloc(0);
	assert_non_null(p);
	lt_secmem_free(p, 0);
	assert_null(lt_secmem_alloc(SIZE_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_abc),
	    cmocka_unit_test(test_hmac_rfc4231_case2),
	    cmocka_unit_test(test_hkdf_rfc5869_case1),
	    cmocka_unit_test(test_hkdf_rfc5869_case3),
	    cmocka_unit_test(test_gcm_nist_vector),
	    cmocka_unit_test(test_gcm_open_rejects_and_wipes),
	    cmocka_unit_test(test_gcm_empty),
	    cmocka_unit_test(test_wrap_round_trip_and_aad_binding),
	    cmocka_unit_test(test_gcm_key_reuse),
	    cmocka_unit_test(test_ed25519_rfc8032_test1),
	    cmocka_unit_test(test_ed25519_keygen_sign_verify),
	    cmocka_unit_test(test_ed25519_prepared_key),
	    cmocka_unit_test(test_ed25519_pem),
	    cmocka_unit_test(test_memeq),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_secmem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
