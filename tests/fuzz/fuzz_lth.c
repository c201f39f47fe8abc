/* fuzz_lth.c - arbitrary bytes as an LTH1 file for lt_lth_decrypt() under a fixed key and
 * object id: it must never crash, hang or leak, and whatever a range read returns must agree
 * with the whole-file read (seeds: tests/fuzz/corpus/lth/, made by gen_lth_seeds.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypt/lth.h"

/* The key and object id the seeds were made with (gen_lth_seeds.py). */
static const uint8_t fuzz_dek[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t fuzz_id[16] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
				    0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-lth", 0);
	size_t done = 0;

	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t) n;
	}
	return fd;
}

/* The contents of @p fd (malloc'd), *len bytes. */
static uint8_t *contents(int fd, size_t *len)
{
	struct stat st;
	uint8_t *buf;

	if (fstat(fd, &st) != 0)
		abort();
	*len = (size_t) st.st_size;
	buf = malloc(*len + 1);
	if (!buf || pread(fd, buf, *len, 0) != (ssize_t) *len)
		abort();
	return buf;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A range taken from the input's last 16 bytes, so that mutations explore ranges too. */
static void pick_range(const uint8_t *data, size_t size, uint64_t *offset, uint64_t *length)
{
	*offset = 0;
	*length = LETHE_TO_END;
	if (size < 16)
		return;
	*offset = le64(data + size - 16) % (size + 64);
	*length = le64(data + size - 8);
	if (!(*length >> 63))
		*length %= size + 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int in = memfd_with(data, size);
	int whole_fd = memfd_create("fuzz-whole", 0);
	int part_fd = memfd_create("fuzz-part", 0);
	uint64_t offset, length, whole_written = 0, part_written = 0;
	enum lethe_err whole_rc, part_rc;
	size_t whole_len, part_len;
	uint8_t *whole, *part;
	uint8_t id[16];
	unsigned seg_log2;

	if (whole_fd < 0 || part_fd < 0)
		abort();
	(void) lt_lth_peek(in, &seg_log2, id);
	pick_range(data, size, &offset, &length);
	whole_rc =
	    lt_lth_decrypt(fuzz_dek, fuzz_id, in, whole_fd, 0, LETHE_TO_END, 1, &whole_written);
	part_rc = lt_lth_decrypt(fuzz_dek, fuzz_id, in, part_fd, offset, length, 1, &part_written);
	whole = contents(whole_fd, &whole_len);
	part = contents(part_fd, &part_len);
	if (whole_written != whole_len || part_written != part_len)
		abort();
	/* A verified whole file makes every range exact: the same bytes, or "beyond the end". */
	if (whole_rc == LETHE_OK) {
		uint64_t want;

		if (offset > whole_len) {
			if (part_rc != LETHE_ERR_INVALID || part_len != 0)
				abort();
		} else {
			want = length < whole_len - offset ? length : whole_len - offset;
			if (part_rc != LETHE_OK || part_len != want ||
			    memcmp(part, whole + offset, (size_t) want) != 0)
				abort();
		}
	} else if (whole_rc != LETHE_ERR_INTEGRITY && whole_rc != LETHE_ERR_NOMEM) {
		abort(); /* only tampering can make a seekable in-memory file fail */
	}
	free(whole);
	free(part);
	close(part_fd);
	close(whole_fd);
	close(in);
	return 0;
}
