/* fuzz_lth_edit.c - property fuzzing of LTH1 against an attacker who edits the file: the input
 * is a list of edits (flip, truncate, append, duplicate, swap, delete) and a plaintext; the
 * plaintext is encrypted, the edits applied, and then:
 *   - an unchanged file decrypts to exactly the plaintext;
 *   - a changed file never decrypts as a whole (LETHE_ERR_INTEGRITY);
 *   - any range read that succeeds returns the original plaintext's bytes.
 * Input: byte 0 = number of edits (mod 9), then 8 bytes per edit (kind, 4-byte position,
 * 3-byte argument), then the plaintext. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypt/lth.h"

#define SEG_LOG2 12
#define STRIDE   ((1u << SEG_LOG2) + 16)
#define EDIT_LEN 8

static const uint8_t edit_dek[32] = {0xa0, 0xa1, 0xa2, 0xa3};
static const uint8_t edit_id[16] = {0x51, 0x52, 0x53};
static const uint8_t edit_salt[32] = {0x77};

struct buf {
	uint8_t *data;
	size_t len;
};

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-edit", 0);
	size_t done = 0;

	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t) n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static struct buf contents(int fd)
{
	struct buf b;
	struct stat st;

	if (fstat(fd, &st) != 0)
		abort();
	b.len = (size_t) st.st_size;
	b.data = malloc(b.len + 1);
	if (!b.data || pread(fd, b.data, b.len, 0) != (ssize_t) b.len)
		abort();
	return b;
}

/* Replace [at, at + cut) of @p b with @p ins_len bytes of @p ins. */
static void splice_bytes(struct buf *b, size_t at, size_t cut, const uint8_t *ins, size_t ins_len)
{
	uint8_t *out = malloc(b->len - cut + ins_len + 1);

	if (!out)
		abort();
	memcpy(out, b->data, at);
	if (ins_len)
		memcpy(out + at, ins, ins_len);
	memcpy(out + at + ins_len, b->data + at + cut, b->len - at - cut);
	free(b->data);
	b->data = out;
	b->len = b->len - cut + ins_len;
}

static void apply_edit(struct buf *ct, const uint8_t *e)
{
	uint32_t pos =
	    (uint32_t) e[1] | (uint32_t) e[2] << 8 | (uint32_t) e[3] << 16 | (uint32_t) e[4] << 24;
	uint32_t arg = (uint32_t) e[5] | (uint32_t) e[6] << 8 | (uint32_t) e[7] << 16;
	size_t at = ct->len ? pos % ct->len : 0;
	uint8_t *copy;
	size_t n, a, b;

	switch (e[0] % 6) {
	case 0: /* flip bits */
		if (ct->len)
			ct->data[at] ^= (uint8_t) (arg | 1);
		break;
	case 1: /* truncate */
		ct->len = at;
		break;
	case 2: /* append */
		n = arg % 9000;
		copy = calloc(1, n + 1);
		if (!copy)
			abort();
		memset(copy, (int) (arg >> 16), n);
		splice_bytes(ct, ct->len, 0, copy, n);
		free(copy);
		break;
	case 3: /* duplicate a chunk (a segment when arg says so) in place */
		n = arg & 1 ? STRIDE : arg % 5000;
		if (n > ct->len - at)
			n = ct->len - at;
		copy = malloc(n + 1);
		if (!copy)
			abort();
		memcpy(copy, ct->data + at, n);
		splice_bytes(ct, at, 0, copy, n);
		free(copy);
		break;
	case 4: /* swap two segments */
		a = 104 + (size_t) (pos % 8) * STRIDE;
		b = 104 + (size_t) (arg % 8) * STRIDE;
		if (a + STRIDE <= ct->len && b + STRIDE <= ct->len && a != b) {
			copy = malloc(STRIDE);
			if (!copy)
				abort();
			memcpy(copy, ct->data + a, STRIDE);
			memmove(ct->data + a, ct->data + b, STRIDE);
			memcpy(ct->data + b, copy, STRIDE);
			free(copy);
		}
		break;
	default: /* delete a chunk */
		n = arg & 1 ? STRIDE : arg % 5000;
		if (n > ct->len - at)
			n = ct->len - at;
		splice_bytes(ct, at, n, NULL, 0);
		break;
	}
}

static void check_range(int in, const uint8_t *pt, size_t pt_len, uint64_t offset, uint64_t length)
{
	int out = memfd_create("fuzz-edit-range", 0);
	uint64_t written = 0;
	enum lethe_err rc;
	struct buf got;

	if (out < 0)
		abort();
	rc = lt_lth_decrypt(edit_dek, edit_id, in, out, offset, length, 1, &written);
	got = contents(out);
	if (got.len != written)
		abort();
	/* Whatever came out, success or not, is the original plaintext at that place. */
	if (got.len && (offset > pt_len || got.len > pt_len - offset ||
			memcmp(got.data, pt + offset, got.len) != 0))
		abort();
	if (rc == LETHE_OK && offset <= pt_len) {
		uint64_t want = length < pt_len - offset ? length : pt_len - offset;

		/* Success on a range short of the end is allowed on a damaged file (the final
		 * segment is not read), but the bytes must be all of the range. */
		if (got.len != want)
			abort();
	}
	free(got.data);
	close(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lt_lth_info info;
	size_t edits, pt_len, i;
	const uint8_t *pt;
	struct buf orig, ct;
	int in, out, changed;
	uint64_t written = 0;
	enum lethe_err rc;

	if (size < 1)
		return 0;
	edits = data[0] % 9;
	if (size < 1 + edits * EDIT_LEN)
		return 0;
	pt = data + 1 + edits * EDIT_LEN;
	pt_len = size - 1 - edits * EDIT_LEN;

	in = memfd_with(pt, pt_len);
	out = memfd_create("fuzz-edit-ct", 0);
	if (out < 0 || lt_lth_encrypt_salt(edit_dek, edit_id, SEG_LOG2, edit_salt, in, out, 1,
					   &info) != LETHE_OK)
		abort();
	orig = contents(out);
	close(in);
	close(out);

	ct.len = orig.len;
	ct.data = malloc(ct.len + 1);
	if (!ct.data)
		abort();
	memcpy(ct.data, orig.data, ct.len);
	for (i = 0; i < edits; i++)
		apply_edit(&ct, data + 1 + i * EDIT_LEN);
	changed = ct.len != orig.len || memcmp(ct.data, orig.data, ct.len) != 0;

	in = memfd_with(ct.data, ct.len);
	rc = lt_lth_decrypt(edit_dek, edit_id, in, -1, 0, LETHE_TO_END, 1, &written);
	if (changed ? rc != LETHE_ERR_INTEGRITY : rc != LETHE_OK)
		abort();
	check_range(in, pt, pt_len, 0, LETHE_TO_END);
	if (edits > 0) {
		const uint8_t *e = data + 1;

		check_range(in, pt, pt_len, (e[1] | (uint64_t) e[2] << 8) % (pt_len + 2),
			    (e[5] | (uint64_t) e[6] << 8) % (pt_len + 2));
	}
	close(in);
	free(ct.data);
	free(orig.data);
	return 0;
}
