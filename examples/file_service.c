/*
 * file_service.c - how a file service stores and serves uploads with liblethe.
 *
 * It does what an SFTP server or a web file-transfer product does with lethe as its storage
 * backend: open the store with the service keyfile named in the store's lethe.conf, store an
 * uploaded file in a group (the group decides how long it is kept), serve it back (whole and
 * a byte range, as for an HTTP Range request), and list the group. It prints what it did and,
 * on the last line, the new object's id.
 *
 * Build against an installed lethe:
 *     cc -std=c11 -Wall -Wextra -o file_service file_service.c $(pkg-config --cflags --libs lethe)
 * Run as the account that owns the store (lethe refuses keys and databases that others may
 * read or that belong to someone else):
 *     ./file_service /var/lib/lethe invoice.pdf uploads
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lethe.h>

/* Bytes served from the end of the object as a range read (like "Range: bytes=-4096"). */
#define TAIL_BYTES 4096

/*
 * The answer a web file service would give for an error. The point of one error enum is that
 * callers can tell "tampered" from "not found" from "refused by policy" without parsing text.
 */
static int http_status(enum lethe_err err)
{
	switch (err) {
	case LETHE_OK:
		return 200;
	case LETHE_ERR_INVALID:
		return 400; /* a malformed id, group or range: the client's mistake */
	case LETHE_ERR_NOT_FOUND:
		return 404;
	case LETHE_ERR_SHREDDED:
		return 410; /* gone for good: its retention ended and its key was destroyed */
	case LETHE_ERR_HELD:
	case LETHE_ERR_LOCKED:
	case LETHE_ERR_NOT_EXPIRED:
		return 409; /* refused by retention policy or a legal hold */
	case LETHE_ERR_NOSPC:
		return 507;
	case LETHE_ERR_BUSY:
		return 503; /* retry later */
	default:
		/* Integrity failures (a tampered object file), unlock and permission problems,
		 * I/O: the operator must look, the client cannot fix it. */
		return 500;
	}
}

/* Report a failed lethe call in one line: what we tried, lethe's detail, and the status. */
static void report(const char *what, const char *object, enum lethe_err err)
{
	/* lethe_errdetail() is valid until the next call into the library: use it at once. */
	const char *detail = lethe_errdetail();

	fprintf(stderr, "file_service: %s%s%s: %s (%s; would answer HTTP %d)\n", what,
		object != NULL ? " " : "", object != NULL ? object : "",
		detail[0] != '\0' ? detail : lethe_strerror(err), lethe_strerror(err),
		http_status(err));
}

/* Compare two files from their current offsets to their ends. 0 if identical, 1 if not,
 * -1 on a read error. */
static int same_content(int fd_a, int fd_b)
{
	char a[65536], b[65536];

	for (;;) {
		ssize_t na = read(fd_a, a, sizeof(a));
		ssize_t nb;
		size_t got = 0;

		if (na < 0)
			return -1;
		/* Fill b with as many bytes as a got (reads may return less). */
		while (got < (size_t) na) {
			nb = read(fd_b, b + got, (size_t) na - got);
			if (nb < 0)
				return -1;
			if (nb == 0)
				return 1; /* b is shorter */
			got += (size_t) nb;
		}
		if (na == 0)
			return read(fd_b, b, 1) == 0 ? 0 : 1; /* a ended: so must b */
		if (memcmp(a, b, (size_t) na) != 0)
			return 1;
	}
}

/* A private temporary file for plaintext served back (a real service streams to a socket). */
static int temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/file_service.XXXXXX", dir) >= (int) sizeof(path))
		return -1;
	fd = mkstemp(path); /* mode 0600 */
	if (fd >= 0)
		(void) unlink(path); /* nobody else needs its name */
	return fd;
}

struct listing {
	const char *id; /* the object we stored, which must be listed */
	int found;
	uint64_t count;
};

static int list_one(const struct lethe_object_info *info, void *ctx)
{
	struct listing *l = ctx;
	char until[21];

	lethe_time_format(info->retain_until, until);
	printf("  %s  %10" PRIu64 "  until %s%s  %s\n", info->id, info->size, until,
	       info->hold ? "  (hold)" : "", info->name);
	if (strcmp(info->id, l->id) == 0)
		l->found = 1;
	l->count++;
	return 0; /* go on */
}

int main(int argc, char **argv)
{
	struct lethe_open_opts open_opts = {0};
	struct lethe_store *store = NULL;
	struct lethe_object_info info;
	struct listing listing = {0};
	char id[LETHE_ID_LEN + 1], until[21];
	const char *upload, *group, *name;
	uint64_t written = 0, offset;
	enum lethe_err err;
	int upload_fd = -1, served_fd = -1, status = 1, same;
	struct stat st;

	if (argc != 4) {
		fprintf(stderr, "usage: %s STORE-DIR UPLOADED-FILE GROUP\n", argv[0]);
		return 2;
	}
	upload = argv[2];
	group = argv[3];
	name = strrchr(upload, '/') != NULL ? strrchr(upload, '/') + 1 : upload;

	/*
	 * Open once at service start and keep the handle: opening unlocks the keystore and runs
	 * recovery. NULL passphrase: the service keyfile named in DIR/lethe.conf. One handle
	 * must not be used by two threads at once; a threaded service opens one per worker.
	 */
	open_opts.dir = argv[1];
	err = lethe_store_open(&open_opts, &store);
	if (err != LETHE_OK) {
		report("open store", argv[1], err);
		goto out;
	}
	printf("opened store %s as %s (liblethe %s)\n", argv[1], lethe_store_actor(store),
	       lethe_version());

	/* An upload arrives: store it. lethe reads the fd to its end; durable on LETHE_OK. */
	upload_fd = open(upload, O_RDONLY | O_CLOEXEC);
	if (upload_fd < 0 || fstat(upload_fd, &st) != 0) {
		fprintf(stderr, "file_service: %s: %s\n", upload, strerror(errno));
		goto out;
	}
	err = lethe_object_put_fd(store, upload_fd, group, name, id);
	if (err != LETHE_OK) {
		report("store upload", upload, err);
		goto out;
	}
	err = lethe_object_stat(store, id, &info);
	if (err != LETHE_OK) {
		report("stat", id, err);
		goto out;
	}
	lethe_time_format(info.retain_until, until);
	printf("stored %s as %s/%s: %" PRIu64 " bytes, kept until %s\n", id, info.group, info.name,
	       info.size, until);

	/* A download: only verified plaintext is written; a tampered file fails instead. */
	served_fd = temp_file();
	if (served_fd < 0) {
		fprintf(stderr, "file_service: temporary file: %s\n", strerror(errno));
		goto out;
	}
	err = lethe_object_get_fd(store, id, served_fd, 0, LETHE_TO_END, &written);
	if (err != LETHE_OK) {
		report("serve", id, err);
		goto out;
	}
	if (lseek(served_fd, 0, SEEK_SET) != 0 || lseek(upload_fd, 0, SEEK_SET) != 0) {
		fprintf(stderr, "file_service: lseek: %s\n", strerror(errno));
		goto out;
	}
	same = same_content(upload_fd, served_fd);
	if (same != 0) {
		fprintf(stderr, "file_service: %s: %s\n", id,
			same < 0 ? strerror(errno) : "served bytes differ from the upload");
		goto out;
	}
	printf("served %" PRIu64 " bytes: identical to the upload\n", written);

	/* A range request for the tail: lethe decrypts only the segments that cover it. */
	offset = info.size > TAIL_BYTES ? info.size - TAIL_BYTES : 0;
	if (ftruncate(served_fd, 0) != 0 || lseek(served_fd, 0, SEEK_SET) != 0) {
		fprintf(stderr, "file_service: truncate: %s\n", strerror(errno));
		goto out;
	}
	if (info.size > 0) {
		err = lethe_object_get_fd(store, id, served_fd, offset, TAIL_BYTES, &written);
		if (err != LETHE_OK) {
			report("serve range of", id, err);
			goto out;
		}
		if (lseek(served_fd, 0, SEEK_SET) != 0 ||
		    lseek(upload_fd, (off_t) offset, SEEK_SET) != (off_t) offset ||
		    same_content(upload_fd, served_fd) != 0) {
			fprintf(stderr, "file_service: %s: range %" PRIu64 "- differs\n", id,
				offset);
			goto out;
		}
		printf("served bytes %" PRIu64 "-%" PRIu64 ": identical to the upload\n", offset,
		       info.size - 1);
	}

	/* A directory listing of the group. */
	printf("group %s:\n", group);
	listing.id = id;
	err = lethe_object_list(store, group, 0, list_one, &listing);
	if (err != LETHE_OK) {
		report("list group", group, err);
		goto out;
	}
	if (!listing.found) {
		fprintf(stderr, "file_service: %s is missing from the listing of %s\n", id, group);
		goto out;
	}
	printf("%" PRIu64 " object%s in group %s\n", listing.count, listing.count == 1 ? "" : "s",
	       group);

	printf("%s\n", id);
	status = 0;
out:
	if (served_fd >= 0)
		close(served_fd);
	if (upload_fd >= 0)
		close(upload_fd);
	lethe_store_close(store); /* wipes the keys it held; NULL is fine */
	return status;
}
