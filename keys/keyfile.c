/* keyfile.c - the service keyfile: exactly 32 random bytes in a private (0600) file. */
#include "keys/keyfile.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"

enum lethe_err lt_keyfile_create(const char *path, uint8_t key[LT_SERVICE_KEY_LEN])
{
	enum lethe_err rc;

	rc = lt_random(key, LT_SERVICE_KEY_LEN);
	if (rc == LETHE_OK)
		rc = lt_write_file_new(path, key, LT_SERVICE_KEY_LEN);
	if (rc == LETHE_ERR_EXISTS)
		rc = lt_err(rc, "keyfile %s already exists", path);
	/* A keyfile that may not have reached the disk must not be trusted later (and
	 * lt_write_file_new() left none behind). */
	if (rc != LETHE_OK)
		lt_cleanse(key, LT_SERVICE_KEY_LEN);
	return rc;
}

enum lethe_err lt_keyfile_read(const char *path, uint8_t key[LT_SERVICE_KEY_LEN])
{
	uint8_t buf[LT_SERVICE_KEY_LEN + 1];
	enum lethe_err rc;
	size_t got = 0;
	int fd;

	/* Checked on the opened descriptor: nothing can be swapped in between. */
	rc = lt_open_private(path, O_RDONLY, &fd);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "keyfile %s does not exist", path);
	if (rc != LETHE_OK)
		return rc;
	/* One byte more than a key: a longer file is refused, not silently cut. */
	rc = lt_read_full(fd, buf, sizeof(buf), &got);
	close(fd);
	if (rc != LETHE_OK) {
		lt_err_prefix("%s", path);
		goto out;
	}
	if (got != LT_SERVICE_KEY_LEN) {
		rc = lt_err(LETHE_ERR_UNLOCK, "keyfile %s is not a lethe keyfile (%s 32 bytes)",
			    path, got < LT_SERVICE_KEY_LEN ? "shorter than" : "longer than");
		goto out;
	}
	memcpy(key, buf, LT_SERVICE_KEY_LEN);
out:
	lt_cleanse(buf, sizeof(buf));
	return rc;
}
