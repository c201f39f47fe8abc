/* test_store_objstore.c - unit tests of the object-store interface (store/objstore.h) on its
 * default backend (store/objstore_files.c): a put streamed and committed, ranged gets, deletes
 * one at a time and in batches, listing with strays, and recovery of puts whose process died.
 * The calls only: paths appear only to plant what an attacker would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "store/objstore.h"

#define ID1 "3f1c0a9e-1234-4abc-8def-0123456789ab"
#define ID2 "3f1c77aa-0000-4000-8000-000000000002"
#define ID3 "a0b1c2d3-0000-4000-8000-000000000003"

struct fx {
	char dir[64];
	struct lt_objstore *os;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/lt_objstore_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(lt_objstore_open(f->dir, &f->os), LETHE_OK);
	assert_int_equal(lt_objstore_prepare(f->os), LETHE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	lt_objstore_close(f->os);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Put @p text as object @p id, committed and ended. */
static void put(struct lt_objstore *os, const char *id, const char *text)
{
	struct lt_objstore_put *p = NULL;
	int fd = -1;

	assert_int_equal(lt_objstore_put_begin(os, id, &p, &fd), LETHE_OK);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(lt_objstore_put_commit(p), LETHE_OK);
	lt_objstore_put_end(p);
}

/* Read [offset, offset + len) of object @p id into @p buf ("" when missing). */
static enum lethe_err get_range(struct lt_objstore *os, const char *id, uint64_t offset, size_t len,
				char *buf)
{
	struct lt_bytesrc src;
	size_t got = 0;
	enum lethe_err rc;

	buf[0] = '\0';
	rc = lt_objstore_get(os, id, &src);
	if (rc != LETHE_OK)
		return rc;
	rc = src.read_at(src.ctx, buf, len, offset, &got);
	buf[got] = '\0';
	lt_bytesrc_close(&src);
	return rc;
}

static void test_put_stream_and_ranged_get(void **state)
{
	struct fx *f = *state;
	struct lt_objstore_put *p = NULL;
	struct lt_bytesrc src;
	uint64_t size = 0;
	char buf[64];
	int fd = -1;

	assert_int_equal(lt_objstore_put_begin(f->os, ID1, &p, &fd), LETHE_OK);
	assert_true(lt_objstore_put_pending(f->os, ID1));
	assert_int_equal(write(fd, "0123456789", 10), 10);
	assert_int_equal(write(fd, "abcdef", 6), 6);
	/* invisible until committed */
	assert_int_equal(lt_objstore_get(f->os, ID1, &src), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_objstore_probe(f->os, ID1), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_objstore_put_commit(p), LETHE_OK);
	assert_true(lt_objstore_put_pending(f->os, ID1)); /* until the put ends */
	lt_objstore_put_end(p);
	assert_false(lt_objstore_put_pending(f->os, ID1));
	assert_int_equal(lt_objstore_probe(f->os, ID1), LETHE_OK);

	assert_int_equal(lt_objstore_get(f->os, ID1, &src), LETHE_OK);
	assert_int_equal(src.size(src.ctx, &size), LETHE_OK);
	assert_int_equal(size, 16);
	lt_bytesrc_close(&src);
	assert_int_equal(get_range(f->os, ID1, 8, 4, buf), LETHE_OK);
	assert_string_equal(buf, "89ab");
	assert_int_equal(get_range(f->os, ID1, 12, 40, buf), LETHE_OK); /* short at the end */
	assert_string_equal(buf, "cdef");
	assert_int_equal(get_range(f->os, ID1, 16, 4, buf), LETHE_OK);
	assert_string_equal(buf, "");
}

static void test_put_never_replaces(void **state)
{
	struct fx *f = *state;
	struct lt_objstore_put *p = NULL;
	char buf[64];
	int fd = -1;

	put(f->os, ID1, "first");
	assert_int_equal(lt_objstore_put_begin(f->os, ID1, &p, &fd), LETHE_OK);
	assert_int_equal(write(fd, "second", 6), 6);
	assert_int_equal(lt_objstore_put_commit(p), LETHE_ERR_EXISTS);
	lt_objstore_put_end(p);
	assert_int_equal(get_range(f->os, ID1, 0, 63, buf), LETHE_OK);
	assert_string_equal(buf, "first");
	/* two puts of one id at once: the second is refused at once */
	assert_int_equal(lt_objstore_put_begin(f->os, ID2, &p, &fd), LETHE_OK);
	{
		struct lt_objstore_put *q = NULL;
		int fd2 = -1;

		assert_int_equal(lt_objstore_put_begin(f->os, ID2, &q, &fd2), LETHE_ERR_EXISTS);
		assert_null(q);
		assert_int_equal(fd2, -1);
	}
	lt_objstore_put_end(p);
	lt_objstore_put_end(NULL); /* nothing to end */
}

static void test_malformed_ids(void **state)
{
	struct fx *f = *state;
	struct lt_objstore_put *p = NULL;
	struct lt_bytesrc src;
	char where[PATH_MAX];
	int fd = -1;

	assert_int_equal(lt_objstore_put_begin(f->os, "../../etc/passwd", &p, &fd),
			 LETHE_ERR_INVALID);
	assert_null(p);
	assert_int_equal(lt_objstore_get(f->os, "3F1C0A9E-1234-4abc-8def-0123456789ab", &src),
			 LETHE_ERR_INVALID);
	assert_int_equal(lt_objstore_delete(f->os, "x"), LETHE_ERR_INVALID);
	assert_int_equal(lt_objstore_where(f->os, "", where, sizeof(where)), LETHE_ERR_INVALID);
	assert_int_equal(lt_objstore_probe(f->os, "x"), LETHE_ERR_INVALID);
	assert_false(lt_objstore_put_pending(f->os, "x"));
}

/* What is at an object's place but is not an object is an integrity failure. */
static void test_not_an_object(void **state)
{
	struct fx *f = *state;
	struct lt_bytesrc src;
	char where[PATH_MAX], level1[PATH_MAX], level2[PATH_MAX];

	assert_int_equal(lt_objstore_where(f->os, ID1, where, sizeof(where)), LETHE_OK);
	assert_non_null(strstr(where, ID1));
	snprintf(level1, sizeof(level1), "%s/objects/%.2s", f->dir, ID1);
	snprintf(level2, sizeof(level2), "%s/objects/%.2s/%.2s", f->dir, ID1, ID1 + 2);
	assert_int_equal(mkdir(level1, 0700), 0);
	assert_int_equal(mkdir(level2, 0700), 0);
	assert_int_equal(mkdir(where, 0700), 0);
	assert_int_equal(lt_objstore_probe(f->os, ID1), LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_objstore_get(f->os, ID1, &src), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "a directory"));
	assert_int_equal(rmdir(where), 0);
	assert_int_equal(symlink("/etc/passwd", where), 0);
	assert_int_equal(lt_objstore_probe(f->os, ID1), LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_objstore_get(f->os, ID1, &src), LETHE_ERR_INTEGRITY);
}

static void test_delete(void **state)
{
	struct fx *f = *state;
	const char ids[3][LETHE_ID_LEN + 1] = {ID1, ID2, ID3};
	int errs[3] = {-1, -1, -1};
	char buf[8];

	put(f->os, ID1, "a");
	put(f->os, ID2, "b");
	assert_int_equal(lt_objstore_delete(f->os, ID1), LETHE_OK);
	assert_int_equal(get_range(f->os, ID1, 0, 4, buf), LETHE_ERR_NOT_FOUND);
	assert_non_null(strstr(lt_err_detail(), "object file missing"));
	assert_int_equal(lt_objstore_delete(f->os, ID1), LETHE_OK); /* absent is fine */
	put(f->os, ID1, "a");
	put(f->os, ID3, "c");
	assert_int_equal(lt_objstore_delete_many(f->os, ids, 3, errs), 3);
	assert_int_equal(errs[0], 0);
	assert_int_equal(errs[1], 0);
	assert_int_equal(errs[2], 0);
	assert_int_equal(lt_objstore_delete_sync(f->os), LETHE_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lt_objstore_probe(f->os, ids[i]), LETHE_ERR_NOT_FOUND);
	/* a failure's code becomes a detail naming the object */
	assert_int_equal(lt_objstore_delete_error(f->os, ID2, EACCES), LETHE_ERR_IO);
	assert_non_null(strstr(lt_err_detail(), ID2));
	assert_non_null(strstr(lt_err_detail(), "Permission denied"));
}

struct listing {
	char ids[4][LETHE_ID_LEN + 1];
	size_t n;
	char stray[PATH_MAX];
	size_t strays;
};

static int record(const char *id, const char *where, void *ctx)
{
	struct listing *l = ctx;

	if (!id) {
		snprintf(l->stray, sizeof(l->stray), "%s", where);
		l->strays++;
		return 0;
	}
	assert_non_null(strstr(where, id));
	assert_true(l->n < 4);
	memcpy(l->ids[l->n++], id, LETHE_ID_LEN + 1);
	return 0;
}

static void test_list_and_strays(void **state)
{
	struct fx *f = *state;
	struct listing l = {.n = 0};
	char path[PATH_MAX];
	FILE *fp;

	put(f->os, ID1, "a");
	put(f->os, ID3, "c");
	snprintf(path, sizeof(path), "%s/objects/notes.txt", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(lt_objstore_list(f->os, record, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.strays, 1);
	assert_string_equal(l.stray, path);
	assert_int_equal(lt_objstore_remove_stray(f->os, l.stray), LETHE_OK);
	assert_int_equal(lt_objstore_remove_stray(f->os, l.stray), LETHE_ERR_IO);
	assert_non_null(strstr(lt_err_detail(), "No such file"));
	memset(&l, 0, sizeof(l));
	assert_int_equal(lt_objstore_list(f->os, record, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.strays, 0);
}

static int committed_if_id2(const char *id, void *ctx)
{
	(void) ctx;
	return strcmp(id, ID2) == 0;
}

/* A child commits puts of ID1 and ID2 and dies before ending them. */
static void die_mid_put(struct lt_objstore *os)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		const char *ids[2] = {ID1, ID2};

		for (int i = 0; i < 2; i++) {
			struct lt_objstore_put *p = NULL;
			int fd = -1;

			if (lt_objstore_put_begin(os, ids[i], &p, &fd) != LETHE_OK ||
			    write(fd, "x", 1) != 1 || lt_objstore_put_commit(p) != LETHE_OK)
				_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_recover_dead_puts(void **state)
{
	struct fx *f = *state;
	struct lt_objstore_put *live = NULL;
	size_t n = 99;
	int fd = -1;

	die_mid_put(f->os);
	assert_true(lt_objstore_put_pending(f->os, ID1));
	/* a put running in this process is left alone */
	assert_int_equal(lt_objstore_put_begin(f->os, ID3, &live, &fd), LETHE_OK);
	assert_int_equal(lt_objstore_leftovers(f->os, &n), LETHE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(lt_objstore_recover(f->os, committed_if_id2, NULL, &n), LETHE_OK);
	assert_int_equal(n, 2);
	/* ID1's metadata never committed: its object goes; ID2's did: it stays */
	assert_int_equal(lt_objstore_probe(f->os, ID1), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_objstore_probe(f->os, ID2), LETHE_OK);
	assert_false(lt_objstore_put_pending(f->os, ID1));
	assert_false(lt_objstore_put_pending(f->os, ID2));
	assert_true(lt_objstore_put_pending(f->os, ID3));
	assert_int_equal(lt_objstore_leftovers(f->os, &n), LETHE_OK);
	assert_int_equal(n, 0);
	lt_objstore_put_end(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_stream_and_ranged_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_put_never_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_an_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_and_strays, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recover_dead_puts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
