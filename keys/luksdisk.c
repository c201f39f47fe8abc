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
#include <time.h>
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

/* Exactly @p len bytes at @p off: LETHE_OK; LETHE_ERR_NOT_FOUND (no detail) when the file ends
 * first; LETHE_ERR_IO when the read fails. */
static enum lethe_err read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *) buf + done, len - done, (off_t) (off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lt_err_errno(LETHE_ERR_IO, errno, "read LUKS2 header");
		if (n == 0)
			return LETHE_ERR_NOT_FOUND;
		done += (size_t) n;
	}
	return LETHE_OK;
}

/*
 * The header at @p off: *@p why NULL when intact, else why not. *@p size is its hdr_size when
 * its binary header is sane (magic, version, size, offset), else 0. A failure to check (out
 * of memory, a read or hash error) is returned, never taken for damage.
 */
static enum lethe_err header_check(int fd, uint64_t off, const char magic[6], uint64_t *size,
				   const char **why, bool *seen)
{
	uint8_t bin[BIN_SIZE], digest[LT_SHA256_LEN];
	uint8_t *all = NULL;
	uint64_t hdr_size;
	enum lethe_err rc;

	*size = 0;
	*why = NULL;
	rc = read_at(fd, bin, sizeof(bin), off);
	if (rc == LETHE_ERR_NOT_FOUND)
		*why = "missing (the file is too short)";
	if (rc != LETHE_OK)
		return rc == LETHE_ERR_NOT_FOUND ? LETHE_OK : rc;
	if (memcmp(bin, magic, 6) != 0)
		*why = "no LUKS2 magic";
	else
		*seen = true;
	if (*why)
		return LETHE_OK;
	if (bin[6] != 0 || bin[7] != 2)
		*why = "not version 2";
	if (!size_valid(hdr_size = be64(bin + 8)))
		*why = "invalid header size";
	else if (be64(bin + 256) != off)
		*why = "wrong header offset";
	if (*why)
		return LETHE_OK;
	*size = hdr_size;
	if (strncmp((const char *) bin + 72, "sha256", 32) != 0)
		return LETHE_OK; /* lethe writes sha256; another hash is libcryptsetup's to check */
	all = malloc(hdr_size);
	if (!all)
		return lt_err(LETHE_ERR_NOMEM, "out of memory");
	rc = read_at(fd, all, hdr_size, off);
	if (rc == LETHE_ERR_NOT_FOUND) {
		*why = "truncated";
		rc = LETHE_OK;
	}
	if (rc != LETHE_OK || *why)
		goto out;
	memset(all + CSUM_OFF, 0, CSUM_LEN);
	rc = lt_sha256(all, hdr_size, digest);
	if (rc == LETHE_OK && (!lt_memeq(digest, bin + CSUM_OFF, sizeof(digest)) ||
			       bin[CSUM_OFF + LT_SHA256_LEN] != 0))
		*why = "checksum mismatch";
out:
	free(all);
	return rc;
}

/*
 * A read lock against lethe's own keystore writers (their OFD write lock, keys/keystore.c), so
 * that a header being rewritten is not read half old, half new. Never waited for without end:
 * the caller may hold that write lock itself (a failed load inside a locked change), and a
 * held OFD lock conflicts with one asked for on another descriptor of the same process; after
 * about a second the headers are read as they are.
 */
static void read_lock(int fd)
{
	struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	const struct timespec pause = {0, 10 * 1000 * 1000};

	for (int i = 0; i < 100; i++) {
		if (fcntl(fd, F_OFD_SETLK, &lock) == 0 || (errno != EAGAIN && errno != EACCES))
			return;
		nanosleep(&pause, NULL);
	}
}

enum lethe_err lt_luks_headers_check(const char *path)
{
	const char *bad1 = NULL, *bad2 = "not found at any offset the format allows", *why;
	uint64_t size1 = 0, size2 = 0;
	bool seen = false;
	enum lethe_err rc;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lt_err_errno(errno == ENOMEM ? LETHE_ERR_NOMEM : LETHE_ERR_IO, errno, "%s",
				    path);
	read_lock(fd);
	lt_sha256_prepare();
	rc = header_check(fd, 0, magic1, &size1, &bad1, &seen);
	if (rc == LETHE_OK && size1) {
		rc = header_check(fd, size1, magic2, &size2, &bad2, &seen);
	} else {
		/* where libcryptsetup looks for the backup when the primary tells nothing */
		for (uint64_t off = HDR_MIN; rc == LETHE_OK && off <= HDR_MAX; off *= 2) {
			rc = header_check(fd, off, magic2, &size2, &why, &seen);
			if (rc == LETHE_OK &&
			    (size2 || (why && strcmp(why, "no LUKS2 magic") != 0 &&
				       strncmp(why, "missing", 7) != 0))) {
				bad2 = why;
				break;
			}
		}
	}
	close(fd);
	if (rc != LETHE_OK) {
		lt_err_prefix("%s", path);
		return rc;
	}
	if (!bad1 && !bad2)
		return LETHE_OK;
	/* no LUKS2 magic anywhere: not a LUKS2 file at all (empty, or something else) */
	if (!seen)
		return lt_err(LETHE_ERR_KEYSTORE, "%s: no LUKS2 header", path);
	if (bad1 && bad2)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "%s: both LUKS2 headers are damaged (primary: %s; backup: %s): "
			      "restore the file from its backup",
			      path, bad1, bad2);
	return lt_err(LETHE_ERR_INTEGRITY,
		      "%s: the %s LUKS2 header is damaged (%s), the %s is intact", path,
		      bad1 ? "primary" : "backup", bad1 ? bad1 : bad2, bad1 ? "backup" : "primary");
}
