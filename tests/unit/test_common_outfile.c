/*
 * test_common_outfile.c - a file that takes another's place only once complete (lt_outfile_*,
 * what `lethe get -o` writes through): replaced on commit, untouched on abort or death; FIFOs,
 * sockets, devices, symlinks, directories and bad names refused with the path in the detail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/fsutil.h"

struct dir {
	char path[512];
	char file[600]; /* DIR/out */
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/lethe-outfile-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/out", d->path);
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

/* The names in @p path, sorted and space-separated ("" when empty). */
static const char *entries(const char *path)
{
	static char buf[1024];
	struct dirent **list;
	int n = scandir(path, &list, NULL, alphasort);
	size_t len = 0;

	assert_true(n >= 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && len < sizeof(buf))
			len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s",
						 len > 0 ? " " : "", name);
		free(list[i]);
	}
	free(list);
	return buf;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_text(const char *path, const char *text)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
}

static void test_commit_replaces(void **state)
{
	struct dir *d = *state;
	struct lt_outfile out;
	struct stat st;

	write_text(d->file, "old", 0644);
	assert_int_equal(lt_outfile_open(d->file, &out), LETHE_OK);
	assert_int_equal(write(out.fd, "new", 3), 3);
	/* until the commit, FILE is what it was */
	assert_text(d->file, "old");
	if (!out.named)
		assert_string_equal(entries(d->path), "out");
	assert_int_equal(lt_outfile_commit(&out, d->file), LETHE_OK);
	assert_text(d->file, "new");
	assert_int_equal(stat(d->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_string_equal(entries(d->path), "out");

	/* a new FILE too */
	assert_int_equal(unlink(d->file), 0);
	assert_int_equal(lt_outfile_open(d->file, &out), LETHE_OK);
	assert_int_equal(write(out.fd, "fresh", 5), 5);
	assert_int_equal(lt_outfile_commit(&out, d->file), LETHE_OK);
	assert_text(d->file, "fresh");
	assert_string_equal(entries(d->path), "out");
}

static void test_abort_leaves_file(void **state)
{
	struct dir *d = *state;
	struct lt_outfile out;

	assert_int_equal(lt_outfile_open(d->file, &out), LETHE_OK);
	assert_int_equal(write(out.fd, "partial", 7), 7);
	lt_outfile_abort(&out);
	assert_string_equal(entries(d->path), "");

	write_text(d->file, "old", 0644);
	assert_int_equal(lt_outfile_open(d->file, &out), LETHE_OK);
	assert_int_equal(write(out.fd, "partial", 7), 7);
	lt_outfile_abort(&out);
	assert_text(d->file, "old");
	assert_string_equal(entries(d->path), "out");
}

/* A writer that dies before its commit leaves nothing where the file system has O_TMPFILE. */
static void test_killed_writer_leaves_nothing(void **state)
{
	struct dir *d = *state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct lt_outfile out;

		if (lt_outfile_open(d->file, &out) != LETHE_OK ||
		    write(out.fd, "plaintext", 9) != 9)
			_exit(1);
		_exit(out.named ? 2 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 1);
	if (WEXITSTATUS(status) == 2) {
		print_message("skipped: %s has no O_TMPFILE, a named temporary file remains\n",
			      d->path);
		skip();
	}
	assert_string_equal(entries(d->path), "");
}

/* Plaintext goes into nothing but a file created for it: not a device, FIFO, socket or link. */
static void test_special_files_refused(void **state)
{
	struct dir *d = *state;
	struct lt_outfile out;
	char fifo[PATH_MAX], link[PATH_MAX], want[PATH_MAX + 64];
	struct stat st;

	assert_int_equal(lt_outfile_open("/dev/null", &out), LETHE_ERR_INVALID);
	assert_int_equal(out.fd, -1);
	assert_non_null(strstr(lt_err_detail(), "/dev/null: is a device"));
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	snprintf(fifo, sizeof(fifo), "%s/fifo", d->path);
	assert_int_equal(mkfifo(fifo, 0666), 0);
	assert_int_equal(lt_outfile_open(fifo, &out), LETHE_ERR_INVALID);
	snprintf(want, sizeof(want), "%s: is a FIFO", fifo);
	assert_non_null(strstr(lt_err_detail(), want));

	/* a symlink is refused, not followed: the file it names keeps its content */
	write_text(d->file, "victim", 0644);
	snprintf(link, sizeof(link), "%s/link", d->path);
	assert_int_equal(symlink(d->file, link), 0);
	assert_int_equal(lt_outfile_open(link, &out), LETHE_ERR_INVALID);
	assert_int_equal(out.fd, -1);
	assert_text(d->file, "victim");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_refusals_name_the_path(void **state)
{
	struct dir *d = *state;
	struct lt_outfile out;
	char path[PATH_MAX], want[PATH_MAX + 64];

	assert_int_equal(lt_outfile_open(d->path, &out), LETHE_ERR_IO);
	snprintf(want, sizeof(want), "%s: %s", d->path, strerror(EISDIR));
	assert_string_equal(lt_err_detail(), want);
	assert_int_equal(out.fd, -1);

	snprintf(path, sizeof(path), "%s/", d->path);
	assert_int_equal(lt_outfile_open(path, &out), LETHE_ERR_INVALID);

	snprintf(path, sizeof(path), "%s/missing/out", d->path);
	assert_int_equal(lt_outfile_open(path, &out), LETHE_ERR_IO);
	snprintf(want, sizeof(want), "%s: cannot create a temporary file: %s", path,
		 strerror(ENOENT));
	assert_string_equal(lt_err_detail(), want);

	/* a name that fits but whose temporary name (".NAME.lethe-XXXXXX") would not */
	snprintf(path, sizeof(path), "%s/%0250d", d->path, 0);
	assert_int_equal(lt_outfile_open(path, &out), LETHE_ERR_IO);
	snprintf(want, sizeof(want), "%s: cannot create a temporary file: %s", path,
		 strerror(ENAMETOOLONG));
	assert_string_equal(lt_err_detail(), want);
	assert_string_equal(entries(d->path), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_replaces, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_file, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_killed_writer_leaves_nothing, dir_setup,
					    dir_teardown),
	    cmocka_unit_test_setup_teardown(test_special_files_refused, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_refusals_name_the_path, dir_setup, dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
