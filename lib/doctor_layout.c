/* doctor_layout.c - doctor's checks of the store's files and directories: present, private,
 * owned by the store's owner, nothing else in the store directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "lib/doctor_internal.h"
#include "lib/internal.h"
#include "store/objstore.h"

void lt_doctor_private(struct doctor *d, const char *path)
{
	if (lt_check_private_file(path) == LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "permissions", "%s is 0600 and ours", path);
	else
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "permissions", "%s", lt_err_detail());
}

static void owned_report(const char *path, enum lethe_err rc, const char *detail, void *vctx)
{
	struct doctor *d = vctx;

	if (rc == LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "permissions",
				 "%s is ours and writable by nobody else", path);
	else
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "permissions", "%s", detail);
}

/* lethe.conf and the store's directories: settings and files only the store's owner writes. */
void lt_doctor_owned(struct doctor *d)
{
	char conf[PATH_MAX];

	snprintf(conf, sizeof(conf), "%s/lethe.conf", d->st->dir);
	(void) lt_store_check_owned(d->st->dir, conf, owned_report, d);
	lt_err_clear();
}
/* The directories the store owns: present, ours, 0700 (--repair creates or chmods them). */
void lt_doctor_dirs(struct doctor *d)
{
	static const char *const names[] = {"objects", "tmp"};
	char path[PATH_MAX];
	struct stat sb;
	enum lethe_err rc;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->st->dir, names[i]);
		rc = lt_check_private_dir(path);
		if (rc == LETHE_OK) {
			lt_doctor_report(d, LETHE_DOCTOR_OK, "directories", "%s is 0700 and ours",
					 path);
			continue;
		}
		if (d->repair && rc == LETHE_ERR_NOT_FOUND &&
		    lt_objstore_prepare(d->st->objs) == LETHE_OK) {
			lt_doctor_report(d, LETHE_DOCTOR_REPAIRED, "directories", "%s created",
					 path);
			continue;
		}
		/* a directory of ours with the wrong mode: set it (never chown: whose is it?) */
		if (d->repair && lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    sb.st_uid == geteuid() && chmod(path, 0700) == 0) {
			lt_doctor_report(d, LETHE_DOCTOR_REPAIRED, "directories",
					 "%s: mode %04o set to 0700", path,
					 (unsigned) (sb.st_mode & 07777));
			continue;
		}
		lt_doctor_report(
		    d, LETHE_DOCTOR_ERROR, "directories", "%s%s", lt_err_detail(),
		    rc == LETHE_ERR_NOT_FOUND && !d->repair ? " (doctor --repair creates it)" : "");
	}
}
/*
 * DIR/lost+found, where the store is the root of a file system: a directory, and empty or not
 * ours to read (mkfs makes it root's). Files fsck put there may be pieces of the store's files
 * or of plaintext: a warning names them.
 */
static bool lost_found_empty(struct doctor *d, int dirfd_, const char *name)
{
	struct stat sb;
	struct dirent *e;
	size_t entries = 0;
	DIR *lf;
	int fd;

	if (strcmp(name, "lost+found") != 0 ||
	    fstatat(dirfd_, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode))
		return false;
	fd = openat(dirfd_, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return true; /* root's, 0700: as mkfs made it */
	lf = fdopendir(fd);
	if (!lf) {
		close(fd);
		return true;
	}
	while ((e = readdir(lf)) != NULL)
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(lf);
	if (entries)
		lt_doctor_report(
		    d, LETHE_DOCTOR_WARN, "store",
		    "%s/lost+found holds %zu file(s) fsck "
		    "recovered: pieces of store files or plaintext; look, then remove them",
		    d->st->dir, entries);
	return true;
}

/* Nothing in DIR but lethe's own files: anything else may be plaintext someone left. */
void lt_doctor_strays(struct doctor *d)
{
	static const char *const known[] = {
	    ".",       "..",          "lethe.conf",  "keystore.luks", "officers.luks",
	    "meta.db", "meta.db-wal", "meta.db-shm", "objects",       "tmp"};
	DIR *dir = opendir(d->st->dir);
	struct dirent *e;
	size_t i, strays = 0;

	if (!dir) {
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "store", "%s: %s", d->st->dir,
				 strerror(errno));
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		bool ok = false;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(e->d_name, known[i]) == 0;
		/* a store on a file system of its own shares its root with fsck's lost+found */
		ok |= lost_found_empty(d, dirfd(dir), e->d_name);
		if (!ok) {
			strays++;
			lt_doctor_report(d, LETHE_DOCTOR_ERROR, "store",
					 "%s/%s: not a lethe file (remove it "
					 "if it holds plaintext)",
					 d->st->dir, e->d_name);
		}
	}
	closedir(dir);
	if (!strays)
		lt_doctor_report(d, LETHE_DOCTOR_OK, "store", "no stray files");
}
