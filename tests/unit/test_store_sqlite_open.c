/* test_store_sqlite_open.c - unit tests of store/sqlite/open.c: opening and creating the database
 * (private files, refusals of what is not lethe's), transactions, busy waiting, the consistency
 * check. */
#include "store_sqlite_fixture.h"

static void test_create_and_reopen(void **state)
{
	struct fx *f = *state;
	struct lt_db *again = NULL;
	char side[160];
	struct stat st;
	int version = 0;

	assert_int_equal(lt_db_schema_version(f->db, &version), LETHE_OK);
	assert_int_equal(version, LT_DB_SCHEMA_VERSION);
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
	/* create refuses an existing file */
	assert_int_equal(lt_db_open(f->path, true, &again), LETHE_ERR_EXISTS);
	assert_null(again);
	lt_db_close(f->db);
	f->db = NULL;
	assert_int_equal(lt_db_open(f->path, false, &f->db), LETHE_OK);
	assert_int_equal(lt_db_schema_version(f->db, &version), LETHE_OK);
	assert_int_equal(version, LT_DB_SCHEMA_VERSION);
	/* database, WAL and shared memory are all private */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_wal_private_under_loose_umask(void **state)
{
	struct fx *f = *state;
	char path[160], side[170];
	struct lt_db *db = NULL;
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(lt_db_open(path, true, &db), LETHE_OK);
	assert_int_equal(umask(old), 0); /* restored */
	assert_int_equal(lt_db_meta_set(db, "k", "v", 1), LETHE_OK);
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-shm", path);
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lt_db_close(db);
}

static void test_refuses_group_readable(void **state)
{
	struct fx *f = *state;
	struct lt_db *db = NULL;

	lt_db_close(f->db);
	f->db = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(lt_db_open(f->path, false, &db), LETHE_ERR_PERMISSION);
	assert_null(db);
	assert_non_null(strstr(lt_err_detail(), "chmod 600"));
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(lt_db_open(f->path, false, &f->db), LETHE_OK);
}

static void test_refuses_missing_and_symlink(void **state)
{
	struct fx *f = *state;
	char path[160];
	struct lt_db *db = NULL;

	snprintf(path, sizeof(path), "%s/absent.db", f->dir);
	assert_int_equal(lt_db_open(path, false, &db), LETHE_ERR_DATABASE);
	snprintf(path, sizeof(path), "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, path), 0);
	assert_int_equal(lt_db_open(path, false, &db), LETHE_ERR_PERMISSION);
	assert_null(db);
}

static void test_refuses_random_bytes(void **state)
{
	struct fx *f = *state;
	char path[160];
	uint8_t junk[8192];
	struct lt_db *db = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	fd = open("/dev/urandom", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, junk, sizeof(junk)), (ssize_t) sizeof(junk));
	close(fd);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t) sizeof(junk));
	close(fd);
	assert_int_equal(lt_db_open(path, false, &db), LETHE_ERR_DATABASE);
	assert_null(db);
	assert_non_null(strstr(lt_err_detail(), "not a lethe database"));
}

static void test_refuses_foreign_sqlite(void **state)
{
	struct fx *f = *state;
	char path[160];
	struct lt_db *db = NULL;
	sqlite3 *s;
	int fd;

	snprintf(path, sizeof(path), "%s/foreign.db", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	close(fd);
	s = raw_open(path);
	assert_int_equal(sqlite3_exec(s, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(lt_db_open(path, false, &db), LETHE_ERR_DATABASE);
	assert_non_null(strstr(lt_err_detail(), "not a lethe database"));
	/* and it was not switched to WAL: nothing was written */
	s = raw_open(path);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *) sqlite3_column_text(st, 0), "delete");
		sqlite3_finalize(st);
	}
	sqlite3_close(s);
}

static void test_refuses_empty_file(void **state)
{
	struct fx *f = *state;
	char path[160];
	struct lt_db *db = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/empty.db", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	close(fd);
	assert_int_equal(lt_db_open(path, false, &db), LETHE_ERR_DATABASE);
	assert_non_null(strstr(lt_err_detail(), "did init finish"));
}

/* Pages past the header overwritten: the damage surfaces as LETHE_ERR_DATABASE when read. */
static void test_corrupt_pages(void **state)
{
	struct fx *f = *state;
	struct obj_list *l = calloc(1, sizeof(*l));
	uint8_t junk[4096];
	enum lethe_err rc;
	int fd;

	add_kek(f->db, 1, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 2000; i++)
		add_object(f->db, i + 1, "g", i, 5, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	lt_db_close(f->db); /* the last connection folds the WAL into the file */
	f->db = NULL;
	memset(junk, 0xee, sizeof(junk));
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	for (off_t page = 20; page < 60; page++)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), page * 4096),
				 (ssize_t) sizeof(junk));
	close(fd);
	rc = lt_db_open(f->path, false, &f->db);
	if (rc == LETHE_OK) { /* the schema survived: reading the rows must fail */
		assert_int_equal(lt_db_check(f->db), LETHE_ERR_DATABASE);
		assert_null(strchr(lt_err_detail(), '\n'));
		assert_int_equal(lt_db_object_list(f->db, NULL, 0, true, collect_obj, l),
				 LETHE_ERR_DATABASE);
	} else {
		assert_int_equal(rc, LETHE_ERR_DATABASE);
	}
	free(l);
}

static void test_transactions(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4];
	size_t len;

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_meta_set(f->db, "a", "1", 1), LETHE_OK);
	lt_db_rollback(f->db);
	assert_int_equal(lt_db_meta_get(f->db, "a", buf, sizeof(buf), &len), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_not_equal(lt_db_begin(f->db), LETHE_OK); /* no nesting */
	assert_int_equal(lt_db_meta_set(f->db, "a", "1", 1), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_meta_get(f->db, "a", buf, sizeof(buf), &len), LETHE_OK);
	lt_db_rollback(f->db); /* nothing open: a no-op */
	/* a failing multi-statement call inside a transaction undoes only itself */
	add_kek(f->db, 1, true);
	add_object(f->db, 1, "g", 1, 100, 1);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_meta_set(f->db, "b", "2", 1), LETHE_OK);
	{
		uint64_t changed;

		assert_int_equal(lt_db_group_extend_by(f->db, "g", INT64_MAX - 10, &changed),
				 LETHE_ERR_INVALID);
	}
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_meta_get(f->db, "b", buf, sizeof(buf), &len), LETHE_OK);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A child process takes the write lock, tells us, holds it @p hold_ms, commits. */
static pid_t hold_write_lock(const char *path, int hold_ms)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lt_db *db = NULL;

		close(p[0]);
		if (lt_db_open(path, false, &db) != LETHE_OK || lt_db_begin(db) != LETHE_OK ||
		    lt_db_meta_set(db, "child", "x", 1) != LETHE_OK)
			_exit(1);
		if (write(p[1], "k", 1) != 1)
			_exit(1);
		usleep((useconds_t) hold_ms * 1000);
		_exit(lt_db_commit(db) == LETHE_OK ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void test_busy_waits_then_succeeds(void **state)
{
	struct fx *f = *state;
	int64_t start;
	int status;
	pid_t pid;

	pid = hold_write_lock(f->path, 400);
	start = now_ms();
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_true(now_ms() - start >= 200);
	assert_int_equal(lt_db_meta_set(f->db, "parent", "y", 1), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_busy_timeout_reports_busy(void **state)
{
	struct fx *f = *state;
	int status;
	pid_t pid;

	lt_db_set_busy_timeout(f->db, 100);
	pid = hold_write_lock(f->path, 1500);
	assert_int_equal(lt_db_begin(f->db), LETHE_ERR_BUSY);
	assert_non_null(strstr(lt_err_detail(), "100 ms"));
	/* an autocommit write waits the same way */
	assert_int_equal(lt_db_meta_set(f->db, "x", "y", 1), LETHE_ERR_BUSY);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
}

static void test_check_reports_counter_drift(void **state)
{
	struct fx *f = *state;
	sqlite3 *s;

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "g", 1, 2, 1);
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
	s = raw_open(f->path);
	assert_int_equal(sqlite3_exec(s, "UPDATE keks SET live_objects = 5", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(lt_db_check(f->db), LETHE_ERR_DATABASE);
	assert_non_null(strstr(lt_err_detail(), "KEK version 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wal_private_under_loose_umask, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_group_readable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_missing_and_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_random_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_foreign_sqlite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_waits_then_succeeds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_timeout_reports_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_reports_counter_drift, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
