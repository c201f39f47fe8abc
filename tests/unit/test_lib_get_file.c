/*
 * test_lib_get_file.c - lethe_object_get_file(): the whole verified range or FILE as it was,
 * and a detail that names the object or the file, whichever failed; lethe_object_get_fd()
 * with out_fd -1 verifies without writing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "include/lethe.h"

static const char pass[] = "correct horse battery staple";
static const char text[] = "the quick brown fox jumps over the lazy dog";

struct fixture {
	char root[256];
	char dir[300];
	char out[300];
	struct lethe_store *st;
	char id[LETHE_ID_LEN + 1];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct lethe_init_opts init = {0};
	struct lethe_open_opts open_opts = {0};
	char key[300], conf[300];
	FILE *f;

	assert_non_null(fx);
	snprintf(fx->root, sizeof(fx->root), "/tmp/lethe-test-get-file.XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->root);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->root);
	snprintf(key, sizeof(key), "%s/service.key", fx->root);
	snprintf(conf, sizeof(conf), "%s/template.conf", fx->root);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs("[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\n", f);
	fclose(f);
	init.dir = fx->dir;
	init.config_template = conf;
	init.keyfile = key;
	init.officer = "alice";
	init.passphrase = pass;
	init.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_init(&init), LETHE_OK);
	open_opts.dir = fx->dir;
	assert_int_equal(lethe_store_open(&open_opts, &fx->st), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(fx->st, text, strlen(text), NULL, "fox", fx->id),
			 LETHE_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[400];

	lethe_store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void write_text(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
}

/* @p path holds exactly @p content with mode @p mode. */
static void assert_file(const char *path, const char *content, mode_t mode)
{
	char buf[256];
	struct stat st;
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, content);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

/* Nothing but the store, its keyfile and template, and @p extra (or NULL) in the root. */
static void assert_nothing_left(const struct fixture *fx, const char *extra)
{
	struct dirent **list;
	int n = scandir(fx->root, &list, NULL, NULL);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
		    strcmp(name, "store") != 0 && strcmp(name, "service.key") != 0 &&
		    strcmp(name, "template.conf") != 0 && (!extra || strcmp(name, extra) != 0))
			fail_msg("%s left in %s", name, fx->root);
		free(list[i]);
	}
	free(list);
}

/* lethe_errdetail() starts with "@p name: " and goes on with @p rest. */
static void assert_detail(const char *name, const char *rest)
{
	const char *detail = lethe_errdetail();
	size_t len = strlen(name);

	assert_memory_equal(detail, name, len);
	assert_memory_equal(detail + len, ": ", 2);
	if (strncmp(detail + len + 2, rest, strlen(rest)) != 0)
		fail_msg("detail \"%s\" does not go on with \"%s\"", detail, rest);
}

static void test_whole_range_and_part(void **state)
{
	struct fixture *fx = *state;
	uint64_t n = 1;

	assert_int_equal(lethe_object_get_file(fx->st, fx->id, fx->out, 0, LETHE_TO_END, &n),
			 LETHE_OK);
	assert_int_equal(n, strlen(text));
	assert_file(fx->out, text, 0600);
	assert_nothing_left(fx, "out");

	/* an existing file is replaced, and the new one is private whatever the old mode */
	write_text(fx->out, "old");
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, fx->out, 4, 5, &n), LETHE_OK);
	assert_int_equal(n, 5);
	assert_file(fx->out, "quick", 0600);
	assert_nothing_left(fx, "out");
}

static void test_failed_get_leaves_file(void **state)
{
	struct fixture *fx = *state;
	static const char missing[] = "00000000-0000-4000-8000-000000000000";
	uint64_t n;

	write_text(fx->out, "old");
	assert_int_equal(lethe_object_get_file(fx->st, "not-an-id", fx->out, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_detail("not-an-id", "not an object id");
	assert_int_equal(lethe_object_get_file(fx->st, missing, fx->out, 0, LETHE_TO_END, &n),
			 LETHE_ERR_NOT_FOUND);
	assert_detail(missing, "no such object");
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, fx->out, 1000, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_detail(fx->id, "offset 1000 is beyond the end");
	assert_file(fx->out, "old", 0644);
	assert_nothing_left(fx, "out");
}

static void test_file_failures_name_the_file(void **state)
{
	struct fixture *fx = *state;
	char path[400];
	uint64_t n;

	assert_int_equal(lethe_object_get_file(fx->st, fx->id, fx->root, 0, LETHE_TO_END, &n),
			 LETHE_ERR_IO);
	assert_detail(fx->root, strerror(EISDIR));
	snprintf(path, sizeof(path), "%s/missing/out", fx->root);
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, path, 0, LETHE_TO_END, &n),
			 LETHE_ERR_IO);
	assert_detail(path, "cannot create a temporary file");
	snprintf(path, sizeof(path), "%s/", fx->root);
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, path, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, NULL, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_int_equal(lethe_object_get_file(NULL, fx->id, fx->out, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_nothing_left(fx, NULL);
}

/* A device, FIFO or symlink at the target is refused (nothing is read or written). */
static void test_special_file_refused(void **state)
{
	struct fixture *fx = *state;
	struct stat st;
	uint64_t n = 1;

	assert_int_equal(lethe_object_get_file(fx->st, fx->id, "/dev/null", 0, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_int_equal(n, 0);
	assert_detail("/dev/null", "is a device, not a regular file");
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(mkfifo(fx->out, 0600), 0);
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, fx->out, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INVALID);
	assert_detail(fx->out, "is a FIFO, not a regular file");
	assert_int_equal(unlink(fx->out), 0);
	assert_nothing_left(fx, NULL);
}

/* Flip one bit of the object file, past its header. */
static void tamper(const struct fixture *fx)
{
	char path[512];
	unsigned char byte;
	int fd;
	off_t at;

	snprintf(path, sizeof(path), "%s/objects/%.2s/%.2s/%s.lth", fx->dir, fx->id, fx->id + 2,
		 fx->id);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	at = lseek(fd, -20, SEEK_END);
	assert_true(at > 0);
	assert_int_equal(pread(fd, &byte, 1, at), 1);
	byte ^= 0x01;
	assert_int_equal(pwrite(fd, &byte, 1, at), 1);
	close(fd);
}

static void test_verify_only(void **state)
{
	struct fixture *fx = *state;
	uint64_t n = 1;

	assert_int_equal(lethe_object_get_fd(fx->st, fx->id, -1, 0, LETHE_TO_END, &n), LETHE_OK);
	assert_int_equal(n, 0);
	tamper(fx);
	n = 1;
	assert_int_equal(lethe_object_get_fd(fx->st, fx->id, -1, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INTEGRITY);
	assert_int_equal(n, 0);

	/* and -o never shows what did not verify */
	write_text(fx->out, "old");
	assert_int_equal(lethe_object_get_file(fx->st, fx->id, fx->out, 0, LETHE_TO_END, &n),
			 LETHE_ERR_INTEGRITY);
	assert_detail(fx->id, "object file was modified");
	assert_file(fx->out, "old", 0644);
	assert_nothing_left(fx, "out");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_whole_range_and_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_get_leaves_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_failures_name_the_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_special_file_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
