/* test_crypt_lth.c - the LTH1 format (crypt/lth.h): round trips, the known-answer vectors of
 * tests/kat/lth1_vectors.txt, every tampering the format must catch, and byte-range reads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "crypt/lth.h"
#include "crypt/prim.h"

#ifndef LETHE_KAT_DIR
#define LETHE_KAT_DIR "tests/kat"
#endif

#define HEADER_LEN ((size_t) 104)
#define TAG_LEN    ((size_t) 16)
#define S12        ((size_t) 4096)

static const uint8_t test_dek[32] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t test_id[16] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t test_salt[32] = {0x5a};

/* ---- helpers ---------------------------------------------------------------------------- */

struct bytes {
	uint8_t *data;
	size_t len;
};

static void bytes_free(struct bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = 2463534242u ^ seed;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t) x;
	}
	return p;
}

/* An in-memory file holding @p len bytes, positioned at 0. */
static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("lth-test", 0);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t) len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static struct bytes fd_contents(int fd)
{
	struct bytes b = {NULL, 0};
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	b.len = (size_t) st.st_size;
	b.data = malloc(b.len ? b.len : 1);
	assert_non_null(b.data);
	if (b.len)
		assert_int_equal(pread(fd, b.data, b.len, 0), (ssize_t) b.len);
	return b;
}

/* Encrypt @p pt with the fixed salt (deterministic) or a random one. */
static struct bytes encrypt_with(const uint8_t *pt, size_t len, unsigned seg_log2, unsigned threads,
				 const uint8_t *salt, const uint8_t *dek, const uint8_t *id)
{
	struct lt_lth_info info;
	struct bytes out;
	uint8_t digest[32];
	int in = memfd_with(pt, len);
	int fd = memfd_create("lth-out", 0);
	enum lethe_err rc;

	assert_true(fd >= 0);
	if (salt)
		rc = lt_lth_encrypt_salt(dek, id, seg_log2, salt, in, fd, threads, &info);
	else
		rc = lt_lth_encrypt(dek, id, seg_log2, in, fd, threads, &info);
	if (rc != LETHE_OK)
		fail_msg("encrypt: %d %s", rc, lt_err_detail());
	out = fd_contents(fd);
	assert_int_equal(info.plaintext_size, len);
	assert_int_equal(info.ciphertext_size, out.len);
	assert_int_equal(lt_sha256(out.data, out.len, digest), LETHE_OK);
	assert_memory_equal(digest, info.ciphertext_sha256, 32);
	close(in);
	close(fd);
	return out;
}

static struct bytes encrypt_buf(const uint8_t *pt, size_t len, unsigned seg_log2, unsigned threads)
{
	return encrypt_with(pt, len, seg_log2, threads, test_salt, test_dek, test_id);
}

/* Decrypt a range of @p ct; *out receives exactly what was written to the output fd. */
static enum lethe_err decrypt_range(const struct bytes *ct, const uint8_t *dek, const uint8_t *id,
				    uint64_t offset, uint64_t length, unsigned threads,
				    struct bytes *out)
{
	int in = memfd_with(ct->data, ct->len);
	int fd = memfd_create("lth-pt", 0);
	uint64_t written = 12345;
	enum lethe_err rc;

	assert_true(fd >= 0);
	rc = lt_lth_decrypt(dek, id, in, fd, offset, length, threads, &written);
	*out = fd_contents(fd);
	assert_int_equal(written, out->len);
	close(in);
	close(fd);
	return rc;
}

static enum lethe_err decrypt_all(const struct bytes *ct, unsigned threads, struct bytes *out)
{
	return decrypt_range(ct, test_dek, test_id, 0, LETHE_TO_END, threads, out);
}

static void assert_detail_has(const char *needle)
{
	if (!strstr(lt_err_detail(), needle))
		fail_msg("detail \"%s\" lacks \"%s\"", lt_err_detail(), needle);
}

/*
 * Decrypting @p ct must fail with LETHE_ERR_INTEGRITY, a detail containing @p detail, and
 * write only a prefix of @p pt (verified segments) of at most @p max_out bytes.
 */
static void expect_integrity(const struct bytes *ct, const uint8_t *pt, size_t pt_len,
			     unsigned threads, const char *detail, size_t max_out)
{
	struct bytes out;
	enum lethe_err rc = decrypt_all(ct, threads, &out);

	if (rc != LETHE_ERR_INTEGRITY)
		fail_msg("expected LETHE_ERR_INTEGRITY, got %d (%s)", rc, lt_err_detail());
	if (detail)
		assert_detail_has(detail);
	assert_true(out.len <= max_out);
	assert_true(out.len <= pt_len);
	if (out.len)
		assert_memory_equal(out.data, pt, out.len);
	bytes_free(&out);
}

static struct bytes bytes_dup(const uint8_t *data, size_t len)
{
	struct bytes b = {malloc(len ? len : 1), len};

	assert_non_null(b.data);
	memcpy(b.data, data, len);
	return b;
}

static uint64_t seg_pos(uint64_t index, unsigned seg_log2)
{
	return HEADER_LEN + index * (((uint64_t) 1 << seg_log2) + TAG_LEN);
}

/* ---- round trips ------------------------------------------------------------------------ */

static void round_trip(size_t len, unsigned seg_log2)
{
	uint8_t *pt = pattern(len, (unsigned) len);
	size_t seg = (size_t) 1 << seg_log2;
	size_t segments = len == 0 ? 1 : (len + seg - 1) / seg;
	struct bytes ct1 = encrypt_buf(pt, len, seg_log2, 1);
	struct bytes ct2 = encrypt_buf(pt, len, seg_log2, 2);
	struct bytes out;
	unsigned threads;

	assert_int_equal(ct1.len, HEADER_LEN + len + segments * TAG_LEN);
	/* The output does not depend on the thread count. */
	assert_int_equal(ct1.len, ct2.len);
	assert_memory_equal(ct1.data, ct2.data, ct1.len);
	for (threads = 0; threads <= 2; threads++) {
		assert_int_equal(decrypt_all(&ct1, threads, &out), LETHE_OK);
		assert_int_equal(out.len, len);
		if (len)
			assert_memory_equal(out.data, pt, len);
		bytes_free(&out);
	}
	bytes_free(&ct1);
	bytes_free(&ct2);
	free(pt);
}

static void test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, S12 - 1, S12, S12 + 1, 3 * S12, 3 * S12 + 7};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(sizes[i], 12);
	round_trip(0, LT_LTH_SEG_LOG2_DEFAULT);
	round_trip(1, LT_LTH_SEG_LOG2_DEFAULT);
	round_trip(65535, LT_LTH_SEG_LOG2_DEFAULT);
	round_trip(65536, LT_LTH_SEG_LOG2_DEFAULT);
	round_trip(65537, LT_LTH_SEG_LOG2_DEFAULT);
	round_trip((1u << 20) + 1, LT_LTH_SEG_LOG2_MAX);
}

static void test_round_trip_large_threads(void **state)
{
	size_t len = (8u << 20) + 12345;
	uint8_t *pt = pattern(len, 8);
	struct bytes ct1 = encrypt_buf(pt, len, 16, 1);
	struct bytes ct2 = encrypt_buf(pt, len, 16, 2);
	struct bytes ct0 = encrypt_buf(pt, len, 16, 0);
	struct bytes ct5 = encrypt_buf(pt, len, 12, 5);
	struct bytes ct5s = encrypt_buf(pt, len, 12, 1);
	struct bytes out;
	unsigned threads;

	(void) state;
	assert_int_equal(ct1.len, ct2.len);
	assert_memory_equal(ct1.data, ct2.data, ct1.len);
	assert_memory_equal(ct1.data, ct0.data, ct1.len);
	assert_memory_equal(ct5.data, ct5s.data, ct5.len);
	for (threads = 0; threads <= 3; threads++) {
		assert_int_equal(decrypt_all(&ct1, threads, &out), LETHE_OK);
		assert_int_equal(out.len, len);
		assert_memory_equal(out.data, pt, len);
		bytes_free(&out);
	}
	assert_int_equal(decrypt_all(&ct5, 2, &out), LETHE_OK);
	assert_memory_equal(out.data, pt, len);
	bytes_free(&out);
	bytes_free(&ct0);
	bytes_free(&ct1);
	bytes_free(&ct2);
	bytes_free(&ct5);
	bytes_free(&ct5s);
	free(pt);
}

static void test_random_salt(void **state)
{
	uint8_t pt[100] = {1};
	struct bytes a = encrypt_with(pt, sizeof(pt), 12, 1, NULL, test_dek, test_id);
	struct bytes b = encrypt_with(pt, sizeof(pt), 12, 1, NULL, test_dek, test_id);
	struct bytes out;

	(void) state;
	/* A fresh salt each time: nothing after the fixed fields repeats. */
	assert_memory_equal(a.data, b.data, 24);
	assert_memory_not_equal(a.data + 24, b.data + 24, 32);
	assert_memory_not_equal(a.data + HEADER_LEN, b.data + HEADER_LEN, sizeof(pt));
	assert_int_equal(decrypt_all(&a, 1, &out), LETHE_OK);
	assert_memory_equal(out.data, pt, sizeof(pt));
	bytes_free(&out);
	bytes_free(&a);
	bytes_free(&b);
}

/* Feeds a pipe from another thread, so that encryption reads a real pipe to its end. */
struct feeder {
	int fd;
	const uint8_t *data;
	size_t len;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t done = 0;

	while (done < f->len) {
		/* Odd-sized writes: the reader must not assume a write is a segment. */
		size_t chunk = f->len - done < 1000 ? f->len - done : 1000;
		ssize_t n = write(f->fd, f->data + done, chunk);

		if (n <= 0)
			break;
		done += (size_t) n;
	}
	close(f->fd);
	return NULL;
}

static void pipe_round_trip(size_t len, unsigned seg_log2, unsigned threads)
{
	uint8_t *pt = pattern(len, 77);
	struct bytes ref = encrypt_buf(pt, len, seg_log2, 1);
	struct lt_lth_info info;
	struct feeder f;
	struct bytes ct;
	pthread_t t;
	int fds[2];
	int out = memfd_create("lth-pipe", 0);

	assert_int_equal(pipe(fds), 0);
	f.fd = fds[1];
	f.data = pt;
	f.len = len;
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	assert_int_equal(lt_lth_encrypt_salt(test_dek, test_id, seg_log2, test_salt, fds[0], out,
					     threads, &info),
			 LETHE_OK);
	pthread_join(t, NULL);
	close(fds[0]);
	ct = fd_contents(out);
	assert_int_equal(info.plaintext_size, len);
	assert_int_equal(ct.len, ref.len);
	assert_memory_equal(ct.data, ref.data, ct.len);
	close(out);
	bytes_free(&ct);
	bytes_free(&ref);
	free(pt);
}

static void test_pipe_input(void **state)
{
	(void) state;
	pipe_round_trip(0, 12, 1);
	pipe_round_trip(0, 12, 2);
	pipe_round_trip(1, 12, 0);
	pipe_round_trip(S12, 12, 1);
	pipe_round_trip(S12, 12, 2);
	pipe_round_trip(3 * S12 + 1, 12, 2);
	pipe_round_trip((3u << 20) + 3, 16, 0);
	pipe_round_trip((3u << 20) + 3, 16, 1);
}

/* ---- known-answer vectors --------------------------------------------------------------- */

struct kat {
	char name[64];
	unsigned seg_log2;
	uint8_t dek[32], object_id[16], salt[32];
	struct bytes plaintext, ciphertext;
};

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	text = malloc((size_t) len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t) len, f), (size_t) len);
	text[len] = '\0';
	fclose(f);
	return text;
}

static void kat_hex(const char *value, struct bytes *out)
{
	out->len = strlen(value) / 2;
	out->data = malloc(out->len ? out->len : 1);
	assert_non_null(out->data);
	assert_int_equal(lt_unhex(value, out->data, out->len), LETHE_OK);
}

static void kat_set(struct kat *k, const char *key, const char *value)
{
	if (strcmp(key, "seg_log2") == 0)
		k->seg_log2 = (unsigned) strtoul(value, NULL, 10);
	else if (strcmp(key, "dek") == 0)
		assert_int_equal(lt_unhex(value, k->dek, 32), LETHE_OK);
	else if (strcmp(key, "object_id") == 0)
		assert_int_equal(lt_unhex(value, k->object_id, 16), LETHE_OK);
	else if (strcmp(key, "salt") == 0)
		assert_int_equal(lt_unhex(value, k->salt, 32), LETHE_OK);
	else if (strcmp(key, "plaintext") == 0)
		kat_hex(value, &k->plaintext);
	else if (strcmp(key, "ciphertext") == 0)
		kat_hex(value, &k->ciphertext);
}

static void kat_check(const struct kat *k)
{
	struct bytes ct, out;
	unsigned threads;

	for (threads = 1; threads <= 2; threads++) {
		ct = encrypt_with(k->plaintext.data, k->plaintext.len, k->seg_log2, threads,
				  k->salt, k->dek, k->object_id);
		if (ct.len != k->ciphertext.len || memcmp(ct.data, k->ciphertext.data, ct.len) != 0)
			fail_msg("KAT %s: ciphertext differs", k->name);
		bytes_free(&ct);
		assert_int_equal(decrypt_range(&k->ciphertext, k->dek, k->object_id, 0,
					       LETHE_TO_END, threads, &out),
				 LETHE_OK);
		assert_int_equal(out.len, k->plaintext.len);
		if (out.len)
			assert_memory_equal(out.data, k->plaintext.data, out.len);
		bytes_free(&out);
	}
}

static void test_kat_vectors(void **state)
{
	char *text = read_text(LETHE_KAT_DIR "/lth1_vectors.txt");
	struct kat k;
	char *line, *save = NULL;
	int count = 0, open = 0;

	(void) state;
	memset(&k, 0, sizeof(k));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(line, " =");
		const char *value;

		if (line[0] == '#' || !eq)
			continue;
		*eq = '\0';
		value = eq[2] == ' ' ? eq + 3 : eq + 2;
		if (strcmp(line, "name") == 0) {
			if (open) {
				kat_check(&k);
				count++;
				bytes_free(&k.plaintext);
				bytes_free(&k.ciphertext);
			}
			memset(&k, 0, sizeof(k));
			snprintf(k.name, sizeof(k.name), "%s", value);
			open = 1;
			continue;
		}
		kat_set(&k, line, value);
	}
	if (open) {
		kat_check(&k);
		count++;
	}
	bytes_free(&k.plaintext);
	bytes_free(&k.ciphertext);
	free(text);
	assert_int_equal(count, 4);
}

/* ---- tampering -------------------------------------------------------------------------- */

/* 9000 bytes at 4 KiB: segments of 4096, 4096 and 808 bytes. */
#define SMALL_LEN 9000u

static void test_bit_flip_everywhere(void **state)
{
	uint8_t *pt = pattern(SMALL_LEN, 1);
	struct bytes ct = encrypt_buf(pt, SMALL_LEN, 12, 1);
	struct bytes out;
	size_t i;

	(void) state;
	for (i = 0; i < ct.len; i++) {
		/* Everything written precedes the flipped segment: whole verified segments. */
		size_t max_out = i < HEADER_LEN ? 0 : (i - HEADER_LEN) / (S12 + TAG_LEN) * S12;
		enum lethe_err rc;

		ct.data[i] ^= (uint8_t) (1u << (i % 8));
		rc = decrypt_all(&ct, i % 2 ? 1 : 2, &out);
		ct.data[i] ^= (uint8_t) (1u << (i % 8));
		if (rc != LETHE_ERR_INTEGRITY)
			fail_msg("flip at %zu: rc %d", i, rc);
		assert_true(out.len <= max_out);
		assert_int_equal(out.len % S12, 0);
		if (out.len)
			assert_memory_equal(out.data, pt, out.len);
		bytes_free(&out);
	}
	bytes_free(&ct);
	free(pt);
}

static void test_flip_details(void **state)
{
	uint8_t *pt = pattern(SMALL_LEN, 2);
	struct bytes ct = encrypt_buf(pt, SMALL_LEN, 12, 1);

	(void) state;
	ct.data[seg_pos(1, 12) + 10] ^= 1;
	expect_integrity(&ct, pt, SMALL_LEN, 1, "segment 1 failed authentication", S12);
	ct.data[seg_pos(1, 12) + 10] ^= 1;
	ct.data[seg_pos(2, 12) + 3] ^= 1;
	expect_integrity(&ct, pt, SMALL_LEN, 1, "final segment 2 failed authentication", 2 * S12);
	ct.data[seg_pos(2, 12) + 3] ^= 1;
	ct.data[60] ^= 1; /* the commitment */
	expect_integrity(&ct, pt, SMALL_LEN, 1, "key commitment mismatch", 0);
	ct.data[60] ^= 1;
	ct.data[30] ^= 1; /* the salt: another key, so the commitment fails first */
	expect_integrity(&ct, pt, SMALL_LEN, 1, "key commitment mismatch", 0);
	ct.data[30] ^= 1;
	ct.data[95] ^= 1; /* the header tag */
	expect_integrity(&ct, pt, SMALL_LEN, 1, "header failed authentication", 0);
	ct.data[95] ^= 1;
	ct.data[6] = 13; /* another valid segment size: the header tag covers it */
	expect_integrity(&ct, pt, SMALL_LEN, 1, "header failed authentication", 0);
	bytes_free(&ct);
	free(pt);
}

static void test_hostile_headers(void **state)
{
	uint8_t *pt = pattern(100, 3);
	struct bytes ct = encrypt_buf(pt, 100, 12, 1);
	struct bytes bad;
	unsigned seg_log2;
	uint8_t id[16];
	static const struct {
		size_t offset;
		uint8_t value;
		const char *detail;
	} cases[] = {
	    {0, 'X', "bad magic"},
	    {3, '2', "bad magic"},
	    {4, 0, "unsupported LTH1 version 0"},
	    {4, 2, "unsupported LTH1 version 2"},
	    {5, 0, "unsupported LTH1 suite 0"},
	    {5, 7, "unsupported LTH1 suite 7"},
	    {6, 11, "segment size 2^11 out of range"},
	    {6, 21, "segment size 2^21 out of range"},
	    {6, 255, "segment size 2^255 out of range"},
	    {6, 0, "segment size 2^0 out of range"},
	    {7, 1, "reserved header byte"},
	};
	size_t i;
	int fd;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = bytes_dup(ct.data, ct.len);
		bad.data[cases[i].offset] = cases[i].value;
		expect_integrity(&bad, pt, 100, 1, cases[i].detail, 0);
		fd = memfd_with(bad.data, bad.len);
		assert_int_equal(lt_lth_peek(fd, &seg_log2, id), LETHE_ERR_INTEGRITY);
		assert_detail_has(cases[i].detail);
		close(fd);
		bytes_free(&bad);
	}
	/* A header cut short, and files too short to hold a magic. */
	for (i = 0; i < HEADER_LEN; i++) {
		bad = bytes_dup(ct.data, i);
		expect_integrity(&bad, pt, 100, 1,
				 i < 4 ? "bad magic" : "file truncated inside the header", 0);
		bytes_free(&bad);
	}
	fd = memfd_with(ct.data, ct.len);
	assert_int_equal(lt_lth_peek(fd, &seg_log2, id), LETHE_OK);
	assert_int_equal(seg_log2, 12);
	assert_memory_equal(id, test_id, 16);
	close(fd);
	bytes_free(&ct);
	free(pt);
}

static void test_truncation_everywhere(void **state)
{
	uint8_t *pt = pattern(SMALL_LEN, 4);
	struct bytes ct = encrypt_buf(pt, SMALL_LEN, 12, 1);
	struct bytes cut;
	size_t len;

	(void) state;
	for (len = 0; len < ct.len; len++) {
		cut = bytes_dup(ct.data, len);
		expect_integrity(&cut, pt, SMALL_LEN, len % 2 ? 1 : 2, NULL, SMALL_LEN);
		bytes_free(&cut);
	}
	/* At each segment boundary, the detail says where. */
	cut = bytes_dup(ct.data, HEADER_LEN);
	expect_integrity(&cut, pt, SMALL_LEN, 1, "file truncated after the header (no segment)", 0);
	bytes_free(&cut);
	cut = bytes_dup(ct.data, seg_pos(1, 12));
	expect_integrity(&cut, pt, SMALL_LEN, 1, "file truncated after segment 0", 0);
	bytes_free(&cut);
	cut = bytes_dup(ct.data, seg_pos(2, 12));
	expect_integrity(&cut, pt, SMALL_LEN, 1, "file truncated after segment 1", S12);
	bytes_free(&cut);
	/* Mid-segment: fewer bytes than a tag, and more. */
	cut = bytes_dup(ct.data, seg_pos(2, 12) + 5);
	expect_integrity(&cut, pt, SMALL_LEN, 1, "shorter than a tag", 2 * S12);
	bytes_free(&cut);
	cut = bytes_dup(ct.data, seg_pos(2, 12) + 500);
	expect_integrity(&cut, pt, SMALL_LEN, 1, "final segment 2 failed authentication", 2 * S12);
	bytes_free(&cut);
	cut = bytes_dup(ct.data, HEADER_LEN + 5);
	expect_integrity(&cut, pt, SMALL_LEN, 1, "5 bytes after the header, shorter than a tag", 0);
	bytes_free(&cut);
	cut = bytes_dup(ct.data, seg_pos(1, 12) - 1);
	expect_integrity(&cut, pt, SMALL_LEN, 1, "final segment 0 failed authentication", 0);
	bytes_free(&cut);
	bytes_free(&ct);
	free(pt);
}

static struct bytes appended(const struct bytes *ct, size_t extra)
{
	struct bytes b = {malloc(ct->len + extra), ct->len + extra};

	assert_non_null(b.data);
	memcpy(b.data, ct->data, ct->len);
	memset(b.data + ct->len, 0xa5, extra);
	return b;
}

static void test_appended_bytes(void **state)
{
	static const size_t extras[] = {1,
					15,
					16,
					17,
					100,
					S12 + TAG_LEN - 1,
					S12 + TAG_LEN,
					S12 + TAG_LEN + 1,
					S12 + 2 * TAG_LEN,
					3 * (S12 + TAG_LEN)};
	uint8_t *pt = pattern(SMALL_LEN, 5);
	struct bytes partial = encrypt_buf(pt, SMALL_LEN, 12, 1);
	struct bytes full = encrypt_buf(pt, 2 * S12, 12, 1);
	struct bytes b;
	size_t i;

	(void) state;
	for (i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		b = appended(&partial, extras[i]);
		expect_integrity(&b, pt, SMALL_LEN, 1, NULL, SMALL_LEN);
		bytes_free(&b);
		/*
		 * Behind a final segment that fills its whole size, the detail can say so, except
		 * when the extra bytes make the file look like one more whole segment plus a few
		 * bytes (the reader then looks at the wrong segment for a final one).
		 */
		b = appended(&full, extras[i]);
		if (extras[i] == S12 + TAG_LEN + 1 || extras[i] == S12 + 2 * TAG_LEN) {
			expect_integrity(&b, pt, 2 * S12, 1, NULL, 2 * S12);
		} else {
			expect_integrity(&b, pt, 2 * S12, 1,
					 "trailing data after the final segment 1", 2 * S12);
			expect_integrity(&b, pt, 2 * S12, 2,
					 "trailing data after the final segment 1", 2 * S12);
		}
		bytes_free(&b);
	}
	/* A whole segment's worth appended to the partial file: segment 2 is read in full. */
	b = appended(&partial, 2 * (S12 + TAG_LEN));
	expect_integrity(&b, pt, SMALL_LEN, 1, "segment 2 failed authentication", 2 * S12);
	bytes_free(&b);
	bytes_free(&partial);
	bytes_free(&full);
	free(pt);
}

/*
 * Re-seal segments the way a writer that knows the key would: a test-side implementation of
 * docs/FORMAT.md on the primitives, to build files the C writer never produces.
 */
static void reseal(struct bytes *ct, const uint8_t *dek, const uint8_t *id, uint64_t index,
		   uint8_t flag, const uint8_t *pt, size_t len, uint64_t pos)
{
	uint8_t info[16 + 1 + 16];
	uint8_t key[32], nonce[12] = {0};

	memcpy(info, "LTH1 payload key", 16); /* NOLINT(bugprone-not-null-terminated-result) */
	info[16] = 1;
	memcpy(info + 17, id, 16);
	assert_int_equal(lt_hkdf(ct->data + 24, 32, dek, 32, info, 33, key, 32), LETHE_OK);
	nonce[7] = (uint8_t) (index >> 24);
	nonce[8] = (uint8_t) (index >> 16);
	nonce[9] = (uint8_t) (index >> 8);
	nonce[10] = (uint8_t) index;
	nonce[11] = flag;
	assert_true(pos + len + TAG_LEN <= ct->len);
	assert_int_equal(lt_gcm_seal(key, nonce, ct->data, HEADER_LEN, pt, len, ct->data + pos,
				     ct->data + pos + len),
			 LETHE_OK);
}

static void test_empty_final_segment(void **state)
{
	uint8_t *pt = pattern(2 * S12, 6);
	struct bytes ct = encrypt_buf(pt, 2 * S12, 12, 1);
	struct bytes forged = appended(&ct, TAG_LEN);
	struct bytes out;

	(void) state;
	/* The test-side sealer agrees with the writer: re-sealing the final segment changes
	 * nothing. */
	reseal(&forged, test_dek, test_id, 1, 1, pt + S12, S12, seg_pos(1, 12));
	assert_memory_equal(forged.data, ct.data, ct.len);
	/* regular 0, regular 1, then a correctly sealed empty final segment 2. */
	reseal(&forged, test_dek, test_id, 1, 0, pt + S12, S12, seg_pos(1, 12));
	reseal(&forged, test_dek, test_id, 2, 1, NULL, 0, seg_pos(2, 12));
	expect_integrity(&forged, pt, 2 * S12, 1, "empty final segment after segment 1", 0);
	/* The same file without the empty segment is a truncation. */
	forged.len -= TAG_LEN;
	expect_integrity(&forged, pt, 2 * S12, 1, "file truncated after segment 1", S12);
	/* ...and with segment 1 final again it is whole. */
	reseal(&forged, test_dek, test_id, 1, 1, pt + S12, S12, seg_pos(1, 12));
	assert_int_equal(decrypt_all(&forged, 1, &out), LETHE_OK);
	assert_int_equal(out.len, 2 * S12);
	bytes_free(&out);
	bytes_free(&forged);
	bytes_free(&ct);
	free(pt);
}

static void test_wrong_key_and_object(void **state)
{
	uint8_t *pt = pattern(SMALL_LEN, 7);
	struct bytes ct = encrypt_buf(pt, SMALL_LEN, 12, 1);
	uint8_t dek[32], id[16];
	struct bytes out;

	(void) state;
	memcpy(dek, test_dek, 32);
	dek[31] ^= 1;
	assert_int_equal(decrypt_range(&ct, dek, test_id, 0, LETHE_TO_END, 1, &out),
			 LETHE_ERR_INTEGRITY);
	assert_detail_has("key commitment mismatch (wrong key or object id)");
	assert_int_equal(out.len, 0);
	bytes_free(&out);
	memcpy(id, test_id, 16);
	id[0] ^= 1;
	assert_int_equal(decrypt_range(&ct, test_dek, id, 0, LETHE_TO_END, 1, &out),
			 LETHE_ERR_INTEGRITY);
	assert_detail_has("key commitment mismatch");
	assert_detail_has("another object id");
	assert_int_equal(out.len, 0);
	bytes_free(&out);
	/* Renaming the file onto another object (header id edited to match): still refused. */
	memcpy(ct.data + 8, id, 16);
	assert_int_equal(decrypt_range(&ct, test_dek, id, 0, LETHE_TO_END, 1, &out),
			 LETHE_ERR_INTEGRITY);
	assert_detail_has("key commitment mismatch");
	bytes_free(&out);
	bytes_free(&ct);
	free(pt);
}

static void test_header_from_other_file(void **state)
{
	uint8_t *pt = pattern(SMALL_LEN, 8);
	uint8_t other_salt[32] = {0x77};
	/* Same key, same object, same plaintext: only the salt differs (a retried write). */
	struct bytes a = encrypt_buf(pt, SMALL_LEN, 12, 1);
	struct bytes b = encrypt_with(pt, SMALL_LEN, 12, 1, other_salt, test_dek, test_id);

	(void) state;
	memcpy(a.data, b.data, HEADER_LEN);
	expect_integrity(&a, pt, SMALL_LEN, 1, "segment 0 failed authentication", 0);
	expect_integrity(&a, pt, SMALL_LEN, 2, "segment 0 failed authentication", 0);
	bytes_free(&a);
	bytes_free(&b);
	free(pt);
}

static void test_segment_reorder_duplicate_remove(void **state)
{
	size_t len = 4 * S12 + 100; /* segments 0..3 full, 4 final */
	size_t stride = S12 + TAG_LEN;
	uint8_t *pt = pattern(len, 9);
	struct bytes ct = encrypt_buf(pt, len, 12, 1);
	struct bytes b;
	uint8_t *tmp = malloc(stride);

	(void) state;
	assert_non_null(tmp);
	/* Swap segments 1 and 2. */
	b = bytes_dup(ct.data, ct.len);
	memcpy(tmp, b.data + seg_pos(1, 12), stride);
	memcpy(b.data + seg_pos(1, 12), b.data + seg_pos(2, 12), stride);
	memcpy(b.data + seg_pos(2, 12), tmp, stride);
	expect_integrity(&b, pt, len, 1, "segment 1 failed authentication", S12);
	expect_integrity(&b, pt, len, 2, "segment 1 failed authentication", S12);
	bytes_free(&b);
	/* Duplicate segment 1 (inserted after itself). */
	b.len = ct.len + stride;
	b.data = malloc(b.len);
	assert_non_null(b.data);
	memcpy(b.data, ct.data, seg_pos(2, 12));
	memcpy(b.data + seg_pos(2, 12), ct.data + seg_pos(1, 12), ct.len - seg_pos(1, 12));
	expect_integrity(&b, pt, len, 1, "segment 2 failed authentication", 2 * S12);
	bytes_free(&b);
	/* Remove segment 2. */
	b.len = ct.len - stride;
	b.data = malloc(b.len);
	assert_non_null(b.data);
	memcpy(b.data, ct.data, seg_pos(2, 12));
	memcpy(b.data + seg_pos(2, 12), ct.data + seg_pos(3, 12), ct.len - seg_pos(3, 12));
	expect_integrity(&b, pt, len, 1, "segment 2 failed authentication", 2 * S12);
	bytes_free(&b);
	/* The final segment replaced by the first bytes of segment 0. */
	b = bytes_dup(ct.data, ct.len);
	memcpy(b.data + seg_pos(4, 12), ct.data + seg_pos(0, 12), 116);
	expect_integrity(&b, pt, len, 1, NULL, 4 * S12);
	bytes_free(&b);
	free(tmp);
	bytes_free(&ct);
	free(pt);
}

static void test_splice_across_files(void **state)
{
	uint8_t *pt = pattern(SMALL_LEN, 10);
	uint8_t other_salt[32] = {0x99};
	uint8_t other_dek[32] = {0x42};
	struct bytes a = encrypt_buf(pt, SMALL_LEN, 12, 1);
	struct bytes same_key = encrypt_with(pt, SMALL_LEN, 12, 1, other_salt, test_dek, test_id);
	struct bytes other_key = encrypt_with(pt, SMALL_LEN, 12, 1, test_salt, other_dek, test_id);
	struct bytes b;

	(void) state;
	/* The same plaintext segment from another file of the same key and object. */
	b = bytes_dup(a.data, a.len);
	memcpy(b.data + seg_pos(1, 12), same_key.data + seg_pos(1, 12), S12 + TAG_LEN);
	expect_integrity(&b, pt, SMALL_LEN, 1, "segment 1 failed authentication", S12);
	bytes_free(&b);
	/* From a file of another key, even with the same salt. */
	b = bytes_dup(a.data, a.len);
	memcpy(b.data + seg_pos(2, 12), other_key.data + seg_pos(2, 12), 808 + TAG_LEN);
	expect_integrity(&b, pt, SMALL_LEN, 2, "final segment 2 failed authentication", 2 * S12);
	bytes_free(&b);
	bytes_free(&a);
	bytes_free(&same_key);
	bytes_free(&other_key);
	free(pt);
}

static void test_large_tamper_parallel(void **state)
{
	size_t len = 256 * S12 + 10;
	uint8_t *pt = pattern(len, 11);
	struct bytes ct = encrypt_buf(pt, len, 12, 2);
	struct bytes out;

	(void) state;
	ct.data[seg_pos(100, 12) + 7] ^= 0x10;
	assert_int_equal(decrypt_all(&ct, 2, &out), LETHE_ERR_INTEGRITY);
	assert_detail_has("segment 100 failed authentication");
	/* Every segment before it, and nothing else. */
	assert_int_equal(out.len, 100 * S12);
	assert_memory_equal(out.data, pt, out.len);
	bytes_free(&out);
	ct.data[seg_pos(100, 12) + 7] ^= 0x10;
	ct.data[ct.len - 1] ^= 0x01;
	assert_int_equal(decrypt_all(&ct, 2, &out), LETHE_ERR_INTEGRITY);
	assert_detail_has("final segment 256 failed authentication");
	assert_int_equal(out.len, 256 * S12);
	bytes_free(&out);
	bytes_free(&ct);
	free(pt);
}

/* ---- byte ranges ------------------------------------------------------------------------ */

static void check_range(const struct bytes *ct, const uint8_t *pt, size_t len, uint64_t offset,
			uint64_t length, unsigned threads)
{
	struct bytes out;
	enum lethe_err rc = decrypt_range(ct, test_dek, test_id, offset, length, threads, &out);
	uint64_t want;

	if (offset > len) {
		if (rc != LETHE_ERR_INVALID)
			fail_msg("offset %llu past %zu: rc %d", (unsigned long long) offset, len,
				 rc);
		assert_int_equal(out.len, 0);
		bytes_free(&out);
		return;
	}
	if (rc != LETHE_OK)
		fail_msg("range %llu+%llu: rc %d %s", (unsigned long long) offset,
			 (unsigned long long) length, rc, lt_err_detail());
	want = length < len - offset ? length : len - offset;
	assert_int_equal(out.len, want);
	if (want)
		assert_memory_equal(out.data, pt + offset, want);
	bytes_free(&out);
}

static void test_ranges_at_edges(void **state)
{
	size_t len = 3 * S12 + 100;
	uint8_t *pt = pattern(len, 12);
	struct bytes ct = encrypt_buf(pt, len, 12, 1);
	const uint64_t offsets[] = {0,           1,       S12 - 1, S12, S12 + 1, 2 * S12,
				    3 * S12 - 1, 3 * S12, len - 1, len, len + 1, (uint64_t) 1 << 40,
				    UINT64_MAX};
	const uint64_t lengths[] = {0,       1,           2,   S12 - 1,        S12,
				    S12 + 1, 2 * S12 + 1, len, UINT64_MAX - 5, LETHE_TO_END};
	size_t i, j;
	unsigned threads;

	(void) state;
	for (threads = 1; threads <= 2; threads++)
		for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
			for (j = 0; j < sizeof(lengths) / sizeof(lengths[0]); j++)
				check_range(&ct, pt, len, offsets[i], lengths[j], threads);
	bytes_free(&ct);
	free(pt);
}

static void test_ranges_random_parallel(void **state)
{
	size_t len = 300 * S12 + 1234;
	uint8_t *pt = pattern(len, 13);
	struct bytes ct = encrypt_buf(pt, len, 12, 0);
	uint32_t x = 12345;
	int i;

	(void) state;
	for (i = 0; i < 100; i++) {
		uint64_t offset, length;

		x = x * 1103515245u + 12345u;
		offset = x % (len + 10);
		x = x * 1103515245u + 12345u;
		length = i % 10 == 0 ? LETHE_TO_END : x % (len / 2);
		check_range(&ct, pt, len, offset, length, i % 3);
	}
	bytes_free(&ct);
	free(pt);
}

static void test_range_rules_on_damaged_files(void **state)
{
	size_t len = 3 * S12 + 100;
	uint8_t *pt = pattern(len, 14);
	struct bytes ct = encrypt_buf(pt, len, 12, 1);
	struct bytes b, out;

	(void) state;
	/* Final segment damaged: a range that stays clear of it still reads... */
	b = bytes_dup(ct.data, ct.len);
	b.data[b.len - 1] ^= 1;
	assert_int_equal(decrypt_range(&b, test_dek, test_id, 10, S12, 1, &out), LETHE_OK);
	assert_memory_equal(out.data, pt + 10, S12);
	bytes_free(&out);
	/* ...but reaching the end, or asking at or past the end, needs the final segment. */
	assert_int_equal(decrypt_range(&b, test_dek, test_id, 10, LETHE_TO_END, 1, &out),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(out.len, 3 * S12 - 10);
	bytes_free(&out);
	assert_int_equal(decrypt_range(&b, test_dek, test_id, len, 10, 1, &out),
			 LETHE_ERR_INTEGRITY);
	bytes_free(&out);
	assert_int_equal(decrypt_range(&b, test_dek, test_id, len + 5, 10, 1, &out),
			 LETHE_ERR_INTEGRITY);
	bytes_free(&out);
	assert_int_equal(decrypt_range(&b, test_dek, test_id, len - 1, 0, 1, &out),
			 LETHE_ERR_INTEGRITY);
	bytes_free(&out);
	bytes_free(&b);
	/* Truncated at a boundary: the claimed size is short, the final segment gives it away. */
	b = bytes_dup(ct.data, seg_pos(2, 12));
	assert_int_equal(decrypt_range(&b, test_dek, test_id, 2 * S12, 1, 1, &out),
			 LETHE_ERR_INTEGRITY);
	assert_detail_has("file truncated after segment 1");
	bytes_free(&out);
	assert_int_equal(decrypt_range(&b, test_dek, test_id, 0, S12, 1, &out), LETHE_OK);
	bytes_free(&out);
	bytes_free(&b);
	/* The empty file: offset 0 is its end; anything past it is invalid. */
	bytes_free(&ct);
	ct = encrypt_buf(pt, 0, 12, 1);
	assert_int_equal(decrypt_range(&ct, test_dek, test_id, 0, 10, 1, &out), LETHE_OK);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
	assert_int_equal(decrypt_range(&ct, test_dek, test_id, 1, 10, 1, &out), LETHE_ERR_INVALID);
	bytes_free(&out);
	bytes_free(&ct);
	free(pt);
}

/* ---- interface edges -------------------------------------------------------------------- */

static void test_verify_only(void **state)
{
	size_t len = 2 * S12 + 1;
	uint8_t *pt = pattern(len, 15);
	struct bytes ct = encrypt_buf(pt, len, 12, 1);
	int in = memfd_with(ct.data, ct.len);
	uint64_t written = 99;

	(void) state;
	assert_int_equal(lt_lth_decrypt(test_dek, test_id, in, -1, 0, LETHE_TO_END, 1, &written),
			 LETHE_OK);
	assert_int_equal(written, 0);
	close(in);
	ct.data[ct.len - 3] ^= 1;
	in = memfd_with(ct.data, ct.len);
	assert_int_equal(lt_lth_decrypt(test_dek, test_id, in, -1, 0, LETHE_TO_END, 1, &written),
			 LETHE_ERR_INTEGRITY);
	close(in);
	bytes_free(&ct);
	free(pt);
}

/* What lt_lth_verify() reported through its callback. */
struct verify_count {
	uint64_t file_bytes, plaintext_bytes, calls;
};

static void verify_counted(uint64_t file_bytes, uint64_t plaintext_bytes, void *ctx)
{
	struct verify_count *c = ctx;

	c->file_bytes += file_bytes;
	c->plaintext_bytes += plaintext_bytes;
	c->calls++;
}

static enum lethe_err verify_bytes(const struct bytes *ct, unsigned threads, uint8_t sha[32],
				   uint64_t *size, struct verify_count *count)
{
	int in = memfd_with(ct->data, ct->len);
	enum lethe_err rc;

	memset(count, 0, sizeof(*count));
	rc = lt_lth_verify(test_dek, test_id, in, threads, verify_counted, count, sha, size);
	close(in);
	return rc;
}

/* The scrub read: one pass gives the file's SHA-256 and checks every tag, for every size and
 * thread count; the callback sees every byte once. */
static void test_verify_hash(void **state)
{
	static const size_t lens[] = {0, 1, S12 - 1, S12, S12 + 1, 3 * S12, (size_t) 5 << 20};
	uint8_t sha[32], want[32];
	struct verify_count count;
	uint64_t size;

	(void) state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t *pt = pattern(lens[i], (unsigned) i + 40);
		struct bytes ct = encrypt_buf(pt, lens[i], 12, 1);

		assert_int_equal(lt_sha256(ct.data, ct.len, want), LETHE_OK);
		for (unsigned threads = 0; threads <= 3; threads++) {
			if (verify_bytes(&ct, threads, sha, &size, &count) != LETHE_OK)
				fail_msg("verify %zu bytes, %u threads: %s", lens[i], threads,
					 lt_err_detail());
			assert_memory_equal(sha, want, 32);
			assert_int_equal(size, lens[i]);
			assert_int_equal(count.file_bytes, ct.len);
			assert_int_equal(count.plaintext_bytes, lens[i]);
		}
		bytes_free(&ct);
		free(pt);
	}
}

/* A flipped bit anywhere, a truncation, appended bytes: verify fails as decryption does. */
static void test_verify_tamper(void **state)
{
	size_t len = (size_t) 3 << 20;
	uint8_t *pt = pattern(len, 41);
	struct bytes ct = encrypt_buf(pt, len, 16, 1);
	/* header: magic, reserved, salt, commitment, tag; segments 0 and 1; a middle one; the
	 * final segment, its tag, the last byte */
	uint64_t positions[12] = {0, 7, 30, 60, 95, 103, 104};
	struct verify_count count;
	uint8_t sha[32];
	uint64_t size;
	struct bytes cut;

	(void) state;
	positions[7] = seg_pos(1, 16) + 5;
	positions[8] = seg_pos(20, 16) + 100;
	positions[9] = ct.len - 17;
	positions[10] = ct.len - 16;
	positions[11] = ct.len - 1;
	for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		for (unsigned threads = 1; threads <= 2; threads++) {
			ct.data[positions[i]] ^= 0x10;
			if (verify_bytes(&ct, threads, sha, &size, &count) != LETHE_ERR_INTEGRITY)
				fail_msg("flip at %llu (%u threads) not caught",
					 (unsigned long long) positions[i], threads);
			ct.data[positions[i]] ^= 0x10;
			assert_int_equal(size, 0);
		}
	}
	cut = bytes_dup(ct.data, seg_pos(10, 16));
	assert_int_equal(verify_bytes(&cut, 2, sha, &size, &count), LETHE_ERR_INTEGRITY);
	assert_detail_has("file truncated after segment 9");
	bytes_free(&cut);
	cut = bytes_dup(ct.data, ct.len - 1);
	assert_int_equal(verify_bytes(&cut, 1, sha, &size, &count), LETHE_ERR_INTEGRITY);
	bytes_free(&cut);
	bytes_free(&ct);
	free(pt);
}

static void test_bad_arguments(void **state)
{
	struct lt_lth_info info;
	uint64_t written;
	int in = memfd_with("x", 1);
	int out = memfd_create("o", 0);
	int fds[2];

	(void) state;
	assert_int_equal(lt_lth_encrypt(test_dek, test_id, 11, in, out, 1, &info),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_lth_encrypt(test_dek, test_id, 21, in, out, 1, &info),
			 LETHE_ERR_INVALID);
	assert_int_equal(info.ciphertext_size, 0);
	/* Decryption reads with pread: a pipe is refused. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(lt_lth_decrypt(test_dek, test_id, fds[0], out, 0, 1, 1, &written),
			 LETHE_ERR_INVALID);
	close(fds[0]);
	close(fds[1]);
	close(in);
	close(out);
}

static void test_io_errors(void **state)
{
	size_t len = (2u << 20) + 1;
	uint8_t *pt = pattern(len, 16);
	struct bytes ct = encrypt_buf(pt, len, 16, 1);
	struct lt_lth_info info;
	uint64_t written;
	int ro = open("/dev/null", O_RDONLY);
	int wo = open("/dev/null", O_WRONLY);
	int in;
	unsigned threads;

	(void) state;
	assert_true(ro >= 0 && wo >= 0);
	for (threads = 1; threads <= 2; threads++) {
		/* Output not writable. */
		in = memfd_with(pt, len);
		assert_int_equal(lt_lth_encrypt(test_dek, test_id, 16, in, ro, threads, &info),
				 LETHE_ERR_IO);
		close(in);
		/* Input not readable. */
		assert_int_equal(lt_lth_encrypt(test_dek, test_id, 16, wo, wo, threads, &info),
				 LETHE_ERR_IO);
		in = memfd_with(ct.data, ct.len);
		assert_int_equal(
		    lt_lth_decrypt(test_dek, test_id, in, ro, 0, LETHE_TO_END, threads, &written),
		    LETHE_ERR_IO);
		assert_int_equal(written, 0);
		close(in);
	}
	close(ro);
	close(wo);
	bytes_free(&ct);
	free(pt);
}

/* Run @p fn with writes to files limited to @p limit bytes (EFBIG past it). */
static void with_file_size_limit(rlim_t limit, void (*fn)(void *), void *arg)
{
	struct rlimit old, lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	fn(arg);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
}

struct nospc_case {
	int in, out;
	unsigned threads;
	int decrypt;
	enum lethe_err rc;
	uint64_t written;
};

static void nospc_run(void *arg)
{
	struct nospc_case *c = arg;
	struct lt_lth_info info;

	if (c->decrypt)
		c->rc = lt_lth_decrypt(test_dek, test_id, c->in, c->out, 0, LETHE_TO_END,
				       c->threads, &c->written);
	else
		c->rc = lt_lth_encrypt(test_dek, test_id, 16, c->in, c->out, c->threads, &info);
}

/* An LTH1 file kept in memory and read by range, as an object store other than files would
 * hand it over; counts what was read. */
struct mem_source {
	const struct bytes *file;
	uint64_t bytes_read; /* updated from the decryption's threads */
	bool size_fails;
};

static enum lethe_err mem_read_at(void *ctx, void *buf, size_t len, uint64_t offset, size_t *got)
{
	struct mem_source *m = ctx;
	size_t n = 0;

	if (offset < m->file->len)
		n = m->file->len - offset < len ? (size_t) (m->file->len - offset) : len;
	memcpy(buf, m->file->data + offset, n);
	__atomic_add_fetch(&m->bytes_read, n, __ATOMIC_RELAXED);
	*got = n;
	return LETHE_OK;
}

static enum lethe_err mem_size(void *ctx, uint64_t *size)
{
	struct mem_source *m = ctx;

	*size = m->file->len;
	return m->size_fails ? lt_err(LETHE_ERR_IO, "remote size unknown") : LETHE_OK;
}

/* Decryption and verification read through a byte source: a range reads only its segments. */
static void test_byte_source(void **state)
{
	const size_t len = 64 * S12 + 100;
	uint8_t *pt = pattern(len, 77);
	struct bytes ct = encrypt_buf(pt, len, 12, 1), out;
	struct mem_source m = {&ct, 0, false};
	struct lt_bytesrc src = {.read_at = mem_read_at, .size = mem_size, .ctx = &m};
	uint8_t sha[32], want[32];
	uint64_t written = 0, size = 0;
	int fd = memfd_create("lth-src", 0);

	(void) state;
	assert_true(fd >= 0);
	assert_int_equal(
	    lt_lth_decrypt_from(test_dek, test_id, &src, fd, 10 * S12 + 7, 3 * S12, 2, &written),
	    LETHE_OK);
	assert_int_equal(written, 3 * S12);
	out = fd_contents(fd);
	assert_memory_equal(out.data, pt + 10 * S12 + 7, 3 * S12);
	assert_true(m.bytes_read <= HEADER_LEN + 4 * (S12 + TAG_LEN));
	bytes_free(&out);
	close(fd);

	m.bytes_read = 0;
	assert_int_equal(lt_lth_verify_from(test_dek, test_id, &src, 2, NULL, NULL, sha, &size),
			 LETHE_OK);
	assert_int_equal(size, len);
	assert_int_equal(m.bytes_read, ct.len);
	assert_int_equal(lt_sha256(ct.data, ct.len, want), LETHE_OK);
	assert_memory_equal(sha, want, 32);

	m.size_fails = true;
	assert_int_equal(
	    lt_lth_decrypt_from(test_dek, test_id, &src, -1, 0, LETHE_TO_END, 1, &written),
	    LETHE_ERR_IO);
	assert_string_equal(lt_err_detail(), "remote size unknown");
	bytes_free(&ct);
	free(pt);
}

static void test_output_full_midway(void **state)
{
	size_t len = (2u << 20) + 1;
	uint8_t *pt = pattern(len, 17);
	struct bytes ct = encrypt_buf(pt, len, 16, 1);
	struct nospc_case c;
	struct bytes out;

	(void) state;
	signal(SIGXFSZ, SIG_IGN);
	for (c.threads = 1; c.threads <= 2; c.threads++) {
		for (c.decrypt = 0; c.decrypt <= 1; c.decrypt++) {
			c.in = c.decrypt ? memfd_with(ct.data, ct.len) : memfd_with(pt, len);
			c.out = memfd_create("full", 0);
			c.written = 0;
			with_file_size_limit(700000, nospc_run, &c);
			assert_int_equal(c.rc, LETHE_ERR_NOSPC);
			out = fd_contents(c.out);
			assert_true(out.len <= 700000);
			if (c.decrypt) {
				/* Whatever went out is verified plaintext; *written counts whole
				 * writes (the failed one may have gone out in part). */
				assert_true(out.len >= c.written);
				assert_true(c.written > 0);
				assert_memory_equal(out.data, pt, out.len);
			}
			bytes_free(&out);
			close(c.in);
			close(c.out);
		}
	}
	bytes_free(&ct);
	free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_sizes),
	    cmocka_unit_test(test_round_trip_large_threads),
	    cmocka_unit_test(test_random_salt),
	    cmocka_unit_test(test_pipe_input),
	    cmocka_unit_test(test_kat_vectors),
	    cmocka_unit_test(test_bit_flip_everywhere),
	    cmocka_unit_test(test_flip_details),
	    cmocka_unit_test(test_hostile_headers),
	    cmocka_unit_test(test_truncation_everywhere),
	    cmocka_unit_test(test_appended_bytes),
	    cmocka_unit_test(test_empty_final_segment),
	    cmocka_unit_test(test_wrong_key_and_object),
	    cmocka_unit_test(test_header_from_other_file),
	    cmocka_unit_test(test_segment_reorder_duplicate_remove),
	    cmocka_unit_test(test_splice_across_files),
	    cmocka_unit_test(test_large_tamper_parallel),
	    cmocka_unit_test(test_ranges_at_edges),
	    cmocka_unit_test(test_ranges_random_parallel),
	    cmocka_unit_test(test_range_rules_on_damaged_files),
	    cmocka_unit_test(test_verify_only),
	    cmocka_unit_test(test_verify_hash),
	    cmocka_unit_test(test_verify_tamper),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_io_errors),
	    cmocka_unit_test(test_output_full_midway),
	    cmocka_unit_test(test_byte_source),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
