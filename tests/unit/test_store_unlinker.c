/* test_store_unlinker.c - unit tests of store/unlinker.c: the files of shredded objects are
 * deleted and dequeued, one that cannot go stays queued and is reported while the rest go,
 * and the background unlinker dequeues a batch only in the next transaction and only once its
 * files are gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "store/db.h"
#include "store/objstore.h"
#include "store/unlinker.h"

struct fx {
	char dir[64];
	struct lt_db *db;
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
	struct lt_db_kek kek = {.version = 1, .primary = true, .created_at = 1};
	char path[128];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/lt_unlinker_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/meta.db", f->dir);
	assert_int_equal(lt_db_open(path, true, &f->db), LETHE_OK);
	assert_int_equal(lt_objstore_open(f->dir, &f->os), LETHE_OK);
	assert_int_equal(lt_objstore_prepare(f->os), LETHE_OK);
	assert_int_equal(lt_db_kek_insert(f->db, &kek), LETHE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	lt_objstore_close(f->os);
	lt_db_close(f->db);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void make_id(unsigned n, char id[LETHE_ID_LEN + 1])
{
	snprintf(id, LETHE_ID_LEN + 1, "%08x-0000-4000-8000-%012x", n, n);
}

/* Object @p n with its file, shredded: its file is queued. */
static void shredded_object(struct fx *f, unsigned n)
{
	struct lt_db_object o;
	struct lt_objstore_put *p = NULL;
	int fd = -1;

	memset(&o, 0, sizeof(o));
	make_id(n, o.id);
	strcpy(o.group, "g");
	o.kek_version = 1;
	o.has_dek = true;
	o.state = LETHE_STATE_LIVE;
	o.seg_log2 = 16;
	assert_int_equal(lt_objstore_put_begin(f->os, o.id, &p, &fd), LETHE_OK);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(lt_objstore_put_commit(p), LETHE_OK);
	lt_objstore_put_end(p);
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, o.id, 5), LETHE_OK);
}

static int count_id(const char *id, void *ctx)
{
	(void) id;
	(*(size_t *) ctx)++;
	return 0;
}

static size_t queued(struct fx *f)
{
	size_t n = 0;

	assert_int_equal(lt_db_unlink_pending(f->db, count_id, &n), LETHE_OK);
	return n;
}

static bool present(struct fx *f, unsigned n)
{
	char id[LETHE_ID_LEN + 1];

	make_id(n, id);
	return lt_objstore_probe(f->os, id) != LETHE_ERR_NOT_FOUND;
}

struct left {
	char id[LETHE_ID_LEN + 1];
	char why[512];
	size_t n;
};

static void on_left(const char *id, const char *why, void *ctx)
{
	struct left *l = ctx;

	snprintf(l->id, sizeof(l->id), "%s", id);
	snprintf(l->why, sizeof(l->why), "%s", why);
	l->n++;
}

static void test_finish_deletes_and_dequeues(void **state)
{
	struct fx *f = *state;
	size_t done = 0;

	assert_int_equal(lt_unlinks_finish(f->db, f->os, NULL, NULL, &done), LETHE_OK);
	assert_int_equal(done, 0); /* nothing queued */
	shredded_object(f, 1);
	assert_int_equal(lt_unlinks_finish(f->db, f->os, NULL, NULL, &done), LETHE_OK);
	assert_int_equal(done, 1); /* one file: deleted and made durable on its own */
	assert_false(present(f, 1));
	for (unsigned i = 2; i <= 40; i++)
		shredded_object(f, i);
	assert_int_equal(queued(f), 39);
	assert_int_equal(lt_unlinks_finish(f->db, f->os, NULL, NULL, &done), LETHE_OK);
	assert_int_equal(done, 39);
	assert_int_equal(queued(f), 0);
	for (unsigned i = 2; i <= 40; i++)
		assert_false(present(f, i));
}

/* A directory where the file of object 2 was: its delete fails (EISDIR, even for root). */
static void block_object(struct fx *f, unsigned n)
{
	char id[LETHE_ID_LEN + 1], where[PATH_MAX];

	make_id(n, id);
	assert_int_equal(lt_objstore_where(f->os, id, where, sizeof(where)), LETHE_OK);
	assert_int_equal(lt_objstore_delete(f->os, id), LETHE_OK);
	assert_int_equal(mkdir(where, 0700), 0);
}

static void test_one_that_cannot_go_stays_queued(void **state)
{
	struct fx *f = *state;
	struct left l = {.n = 0};
	char id2[LETHE_ID_LEN + 1];
	size_t done = 0;

	for (unsigned i = 1; i <= 3; i++)
		shredded_object(f, i);
	block_object(f, 2);
	make_id(2, id2);
	assert_int_not_equal(lt_unlinks_finish(f->db, f->os, on_left, &l, &done), LETHE_OK);
	assert_non_null(strstr(lt_err_detail(), "1 file(s) of shredded objects could not be "
						"unlinked and stay queued"));
	assert_int_equal(done, 2);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id, id2);
	assert_non_null(strstr(l.why, "Is a directory"));
	assert_int_equal(queued(f), 1);
	assert_false(present(f, 1));
	assert_false(present(f, 3));
}

static void test_background_batches(void **state)
{
	struct fx *f = *state;
	struct lt_unlinker *u = NULL;
	char id[LETHE_ID_LEN + 1];

	for (unsigned i = 1; i <= 3; i++)
		shredded_object(f, i);
	assert_int_equal(lt_unlinker_new(f->os, 4, &u), LETHE_OK);
	assert_false(lt_unlinker_wait(u)); /* nothing started */
	lt_unlinker_clear(u);
	for (unsigned i = 1; i <= 3; i++) {
		make_id(i, id);
		lt_unlinker_add(u, id);
	}
	lt_unlinker_start(u);
	/* a batch that failed dequeues nothing, whatever the thread did */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_unlinker_dequeue(u, f->db, LETHE_ERR_IO), LETHE_ERR_IO);
	lt_db_rollback(f->db);
	assert_int_equal(queued(f), 3);
	for (unsigned i = 1; i <= 3; i++)
		assert_false(present(f, i)); /* the files went all the same */

	/* the next batch's transaction dequeues what the thread reported gone: in that
	 * transaction, so a rollback keeps them queued */
	lt_unlinker_start(u);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_unlinker_dequeue(u, f->db, LETHE_OK), LETHE_OK);
	assert_int_equal(queued(f), 0);
	lt_db_rollback(f->db);
	assert_int_equal(queued(f), 3);
	lt_unlinker_start(u);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_unlinker_dequeue(u, f->db, LETHE_OK), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(queued(f), 0);
	lt_unlinker_free(u);
}

static void test_background_keeps_what_stays(void **state)
{
	struct fx *f = *state;
	struct lt_unlinker *u = NULL;
	char id[LETHE_ID_LEN + 1];

	for (unsigned i = 1; i <= 3; i++)
		shredded_object(f, i);
	block_object(f, 2);
	assert_int_equal(lt_unlinker_new(f->os, 3, &u), LETHE_OK);
	for (unsigned i = 1; i <= 3; i++) {
		make_id(i, id);
		lt_unlinker_add(u, id);
	}
	lt_unlinker_add(u, id); /* past its capacity: ignored */
	lt_unlinker_start(u);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_unlinker_dequeue(u, f->db, LETHE_OK), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(queued(f), 1); /* object 2's file could not go: it stays queued */
	lt_unlinker_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_finish_deletes_and_dequeues, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_that_cannot_go_stays_queued, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_background_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_background_keeps_what_stays, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
