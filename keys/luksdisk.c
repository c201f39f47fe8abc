/*
 * luksdisk.c - the two binary LUKS2 headers checked as they are on disk.
 *
 * LUKS2 keeps its metadata twice: a primary header at offset 0 and a backup header right
 * after it, at the primary's hdr_size. Each is a 4096-byte binary header followed by its JSON
 * area, hdr_size bytes in all; the binary header holds (big-endian) magic[6] at 0, version
 * u16 at 6, hdr_size u64 at 8, checksum_alg char[32] at 72, hdr_offset u64 at 256 and the
 * checksum at 448 (64 bytes, the digest first, then zeros), a hash over all hdr_size bytes
 * with the checksum field zeroed. libcryptsetup loads whichever is intact and newer, and
 * rewrites the other from it without a word to its caller: a zeroed primary, or a primary
 * damaged beside a backup rolled back to an older copy of the file, goes unnoticed unless
 * both are checked first, here.
 */
#include "keys/luksdisk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "crypt/prim.h"

#define BIN_SIZE 4096
#define CSUM_OFF 448
#define CSUM_LEN 64
#define HDR_MIN  ((uint64_t) 16384)
#define HDR_MAX  ((uint64_t) 4 << 20)

static const char magic1[6] = {'L', 'U', 'K', 'S', (char) 0xba, (char) 0xbe};
static const char magic2[6] = {'S', 'K', 'U', 'L', (char) 0xba, (char) 0xbe};

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* hdr_size is a power of two from 16 KiB to 4 MiB (the LUKS2 on-disk format). */
static bool size_valid(uint64_t size)
{
	return size >= HDR_MIN && size <= HDR_MAX && (size & (size - 1)) == 0;
}

/* Exactly @p len bytes at @p off; false on a short read (the file ends there). */
static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *) buf + done, len - done, (off_t) (off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t) n;
	}
	return true;
}

/*
 * The header at @p off: NULL when intact, else why not. *@p size is its hdr_size when its
 * binary header is sane (magic, version, size, offset), else 0.
 */
static const char *header_check(int fd, uint64_t off, const char magic[6], uint64_t *size)
{
	uint8_t bin[BIN_SIZE], digest[LT_SHA256_LEN];
	uint8_t *all = NULL;
	const char *why = NULL;
	uint64_t hdr_size;

	*size = 0;
	if (!read_at(fd, bin, sizeof(bin), off))
		return "missing (the file is too short)";
	if (memcmp(bin, magic, 6) != 0)
		return "no LUKS2 magic";
	if (bin[6] != 0 || bin[7] != 2)
		return "not version 2";
	hdr_size = be64(bin + 8);
	if (!size_valid(hdr_size))
		return "invalid header size";
	if (be64(bin + 256) != off)
		return "wrong header offset";
	*size = hdr_size;
	if (strncmp((const char *) bin + 72, "sha256", 32) != 0)
		return NULL; /* lethe writes sha256; another hash is libcryptsetup's to check */
	all = malloc(hdr_size);
	if (!all)
		return "out of memory";
	if (!read_at(fd, all, hdr_size, off)) {
		why = "truncated";
		goto out;
	}
	memset(all + CSUM_OFF, 0, CSUM_LEN);
	if (lt_sha256(all, hdr_size, digest) != LETHE_OK)
		why = "checksum not computed";
	else if (memcmp(digest, bin + CSUM_OFF, sizeof(digest)) != 0 ||
		 bin[CSUM_OFF + LT_SHA256_LEN] != 0)
		why = "checksum mismatch";
	lt_err_clear();
out:
	free(all);
	return why;
}

enum lethe_err lt_luks_headers_check(const char *path)
{
	const char *bad1, *bad2 = "not found at any offset the format allows";
	uint64_t size1 = 0, size2 = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lt_err_errno(errno == ENOMEM ? LETHE_ERR_NOMEM : LETHE_ERR_IO, errno, "%s",
				    path);
	bad1 = header_check(fd, 0, magic1, &size1);
	if (size1) {
		bad2 = header_check(fd, size1, magic2, &size2);
	} else {
		/* where libcryptsetup looks for the backup when the primary tells nothing */
		for (uint64_t off = HDR_MIN; off <= HDR_MAX; off *= 2) {
			const char *why = header_check(fd, off, magic2, &size2);

			if (size2 || (why && strcmp(why, "no LUKS2 magic") != 0 &&
				      strncmp(why, "missing", 7) != 0)) {
				bad2 = why;
				break;
			}
		}
	}
	close(fd);
	if (!bad1 && !bad2)
		return LETHE_OK;
	if (bad1 && bad2)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "%s: both LUKS2 headers are damaged (primary: %s; backup: %s): "
			      "restore the file from its backup",
			      path, bad1, bad2);
	return lt_err(LETHE_ERR_INTEGRITY,
		      "%s: the %s LUKS2 header is damaged (%s), the %s is intact", path,
		      bad1 ? "primary" : "backup", bad1 ? bad1 : bad2, bad1 ? "backup" : "primary");
}
