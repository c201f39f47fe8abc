/* keyfile.c - the service keyfile: exactly 32 random bytes in a private (0600) file. */
#include "keys/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"

static enum lethe_err keyfile_write(int fd, const char *path, const uint8_t key[LT_SERVICE_KEY_LEN])
{
	enum lethe_err rc = lt_write_all(fd, key, LT_SERVICE_KEY_LEN);

	if (rc != LETHE_OK) {
		lt_err_prefix("%s", path);
		return rc;
	}
	if (fsync(fd) != 0)
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: fsync", path);
	return LETHE_OK;
}

enum lethe_err lt_keyfile_create(const char *path, uint8_t key[LT_SERVICE_KEY_LEN])
{
	char dir[PATH_MAX];
	enum lethe_err rc;
	int fd;

	rc = lt_parent_dir(path, dir, sizeof(dir));
	if (rc != LETHE_OK)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return lt_err(LETHE_ERR_EXISTS, "keyfile %s already exists", path);
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: create", path);
	}
	rc = lt_random(key, LT_SERVICE_KEY_LEN);
	if (rc == LETHE_OK)
		rc = keyfile_write(fd, path, key);
	if (close(fd) != 0 && rc == LETHE_OK)
		rc = lt_err_errno(lt_err_from_errno(errno), errno, "%s: close", path);
	if (rc == LETHE_OK)
		rc = lt_fsync_dir(dir);
	if (rc != LETHE_OK) {
		/* A keyfile that may not have reached the disk must not be trusted later. */
		lt_cleanse(key, LT_SERVICE_KEY_LEN);
		(void) unlink(path);
	}
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
