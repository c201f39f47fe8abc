/* test_store_db.c - unit tests of store/db.c: schema, refusals, every table, shredding leaves
 * no DEK bytes in the database or WAL files, append-only triggers, busy waiting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "store/db.h"

struct fx {
	char dir[64];
	char path[128];
	struct lt_db *db;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/lt_store_db_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/meta.db", f->dir);
	assert_int_equal(lt_db_open(f->path, true, &f->db), LETHE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	lt_db_close(f->db);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void make_id(unsigned n, char id[LETHE_ID_LEN + 1])
{
	snprintf(id, LETHE_ID_LEN + 1, "%08x-0000-4000-8000-%012x", n, n);
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static void add_kek(struct lt_db *db, uint32_t version, bool primary)
{
	struct lt_db_kek k;

	memset(&k, 0, sizeof(k));
	k.version = version;
	k.primary = primary;
	k.created_at = 1000 + version;
	assert_int_equal(lt_db_kek_insert(db, &k), LETHE_OK);
}

static void object_init(struct lt_db_object *o, unsigned n, const char *group,
			int64_t created, int64_t until, uint32_t kek)
{
	memset(o, 0, sizeof(*o));
	make_id(n, o->id);
	snprintf(o->group, sizeof(o->group), "%s", group);
	snprintf(o->name, sizeof(o->name), "file-%u.txt", n);
	o->size = 1000 + n;
	fill(o->sha256, sizeof(o->sha256), (uint8_t)n);
	o->created_at = created;
	o->retain_until = until;
	o->kek_version = kek;
	o->has_dek = true;
	fill(o->wrapped_dek, sizeof(o->wrapped_dek), (uint8_t)(n + 7));
	o->state = LETHE_STATE_LIVE;
	o->seg_log2 = 16;
}

static void add_object(struct lt_db *db, unsigned n, const char *group, int64_t created,
		       int64_t until, uint32_t kek)
{
	struct lt_db_object o;

	object_init(&o, n, group, created, until, kek);
	assert_int_equal(lt_db_object_insert(db, &o), LETHE_OK);
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *s = NULL;

	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(s, 5000);
	return s;
}

/* Contents of @p path ("" if absent) into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	*len = 0;
	if (!fp)
		return calloc(1, 1);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	*len = n;
	return buf;
}

/* Do the bytes occur in the database file or its WAL? */
static bool on_disk(const char *db_path, const uint8_t *needle, size_t len)
{
	char wal[160];
	const char *files[2] = { db_path, wal };
	bool found = false;

	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	for (int i = 0; i < 2; i++) {
		size_t n;
		uint8_t *buf = slurp(files[i], &n);

		if (memmem(buf, n, needle, len))
			found = true;
		free(buf);
	}
	return found;
}

struct obj_list {
	char ids[512][LETHE_ID_LEN + 1];
	int64_t keys[512];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int collect_obj(const struct lt_db_object *o, void *ctx)
{
	struct obj_list *l = ctx;

	assert_true(l->n < 512);
	memcpy(l->ids[l->n], o->id, LETHE_ID_LEN + 1);
	l->keys[l->n] = o->retain_until;
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

/* ---- open, schema, refusals ------------------------------------------------------------- */

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
	assert_int_equal(read(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
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
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
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
		assert_int_equal(pwrite(fd, junk, sizeof(junk), page * 4096), (ssize_t)sizeof(junk));
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

static void test_refuses_newer_schema(void **state)
{
	struct fx *f = *state;
	struct lt_db *db = NULL;
	sqlite3 *s;

	lt_db_close(f->db);
	f->db = NULL;
	s = raw_open(f->path);
	assert_int_equal(sqlite3_exec(s, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(lt_db_open(f->path, false, &db), LETHE_ERR_DATABASE);
	assert_null(db);
	assert_non_null(strstr(lt_err_detail(), "newer lethe"));
}

static void test_pragmas(void **state)
{
	struct fx *f = *state;
	sqlite3 *s = raw_open(f->path);
	sqlite3_stmt *st;

	/* WAL is persistent in the file: any connection sees it */
	assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA application_id", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 0x4c455448);
	sqlite3_finalize(st);
	sqlite3_close(s);
}

/* ---- meta ------------------------------------------------------------------------------- */

static void test_meta(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8];
	size_t len = 99;

	assert_int_equal(lt_db_meta_get(f->db, "store_id", buf, sizeof(buf), &len),
			 LETHE_ERR_NOT_FOUND);
	assert_int_equal(len, 0);
	assert_int_equal(lt_db_meta_set(f->db, "k", "abcdef", 6), LETHE_OK);
	assert_int_equal(lt_db_meta_get(f->db, "k", buf, sizeof(buf), &len), LETHE_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(lt_db_meta_set(f->db, "k", "0123456789", 10), LETHE_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(lt_db_meta_get(f->db, "k", buf, 4, &len), LETHE_OK);
	assert_int_equal(len, 10); /* stored size: the caller sees it was cut */
	assert_memory_equal(buf, "0123\0\0\0\0", 8);
	assert_int_equal(lt_db_meta_set(f->db, "empty", "", 0), LETHE_OK);
	assert_int_equal(lt_db_meta_get(f->db, "empty", buf, sizeof(buf), &len), LETHE_OK);
	assert_int_equal(len, 0);
}

/* ---- KEKs ------------------------------------------------------------------------------- */

struct kek_list {
	uint32_t versions[8];
	bool primary[8];
	uint64_t objects[8];
	size_t n;
};

static int collect_kek(const struct lt_db_kek *k, void *ctx)
{
	struct kek_list *l = ctx;

	l->versions[l->n] = k->version;
	l->primary[l->n] = k->primary;
	l->objects[l->n] = k->objects;
	l->n++;
	return 0;
}

static void test_keks(void **state)
{
	struct fx *f = *state;
	struct lt_db_kek k, bad;
	struct kek_list l = { .n = 0 };
	uint32_t max = 99;
	uint64_t count = 99;

	assert_int_equal(lt_db_kek_max_version(f->db, &max), LETHE_OK);
	assert_int_equal(max, 0);
	assert_int_equal(lt_db_kek_primary(f->db, &k), LETHE_ERR_NOT_FOUND);
	add_kek(f->db, 1, true);
	add_kek(f->db, 2, true);
	/* versions are dense */
	memset(&bad, 0, sizeof(bad));
	bad.version = 5;
	assert_int_equal(lt_db_kek_insert(f->db, &bad), LETHE_ERR_INVALID);
	bad.version = 2;
	assert_int_equal(lt_db_kek_insert(f->db, &bad), LETHE_ERR_INVALID);
	assert_int_equal(lt_db_kek_max_version(f->db, &max), LETHE_OK);
	assert_int_equal(max, 2);
	assert_int_equal(lt_db_kek_primary(f->db, &k), LETHE_OK);
	assert_int_equal(k.version, 2);
	assert_true(k.primary);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_false(k.primary);
	assert_int_equal(k.created_at, 1001);
	assert_int_equal(lt_db_kek_get(f->db, 7, &k), LETHE_ERR_NOT_FOUND);

	add_object(f->db, 1, "default", 10, 100, 1);
	add_object(f->db, 2, "default", 11, 100, 2);
	add_object(f->db, 3, "default", 12, 100, 2);
	assert_int_equal(lt_db_kek_count_objects(f->db, 2, &count), LETHE_OK);
	assert_int_equal(count, 2);
	assert_int_equal(lt_db_kek_list(f->db, collect_kek, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.versions[0], 1);
	assert_false(l.primary[0]);
	assert_int_equal(l.objects[0], 1);
	assert_true(l.primary[1]);
	assert_int_equal(l.objects[1], 2);

	/* retire: refused for the primary and while a DEK is wrapped under it */
	assert_int_equal(lt_db_kek_retire(f->db, 2, 5000), LETHE_ERR_KEK_IN_USE);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 5000), LETHE_ERR_KEK_IN_USE);
	assert_non_null(strstr(lt_err_detail(), "1 live data keys"));
	assert_int_equal(lt_db_object_shred(f->db, "00000001-0000-4000-8000-000000000001", 4000),
			 LETHE_OK);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_int_equal(k.objects, 0);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 5000), LETHE_OK);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_int_equal(k.state, LETHE_KEK_RETIRED);
	assert_int_equal(k.retired_at, 5000);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 6000), LETHE_OK); /* idempotent */
	assert_int_equal(lt_db_kek_retire(f->db, 9, 6000), LETHE_ERR_NOT_FOUND);
	/* no DEK may be wrapped under a retired KEK */
	{
		struct lt_db_object o;
		uint8_t w[LT_WRAPPED_LEN] = { 1 };

		object_init(&o, 50, "default", 1, 2, 1);
		assert_int_not_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
		assert_int_not_equal(lt_db_object_set_dek(f->db,
				"00000002-0000-4000-8000-000000000002", 1, w), LETHE_OK);
	}
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
}

/* ---- objects ---------------------------------------------------------------------------- */

static void test_object_insert_get(void **state)
{
	struct fx *f = *state;
	struct lt_db_object o, got;
	uint64_t n = 9;

	add_kek(f->db, 1, true);
	object_init(&o, 1, "finance", 100, 200, 1);
	snprintf(o.name, sizeof(o.name), "r\xc3\xa9sum\xc3\xa9 \x01 odd bytes.pdf");
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_ERR_EXISTS);
	assert_int_equal(lt_db_object_get(f->db, o.id, &got), LETHE_OK);
	assert_string_equal(got.id, o.id);
	assert_string_equal(got.group, "finance");
	assert_string_equal(got.name, o.name);
	assert_int_equal(got.size, o.size);
	assert_memory_equal(got.sha256, o.sha256, 32);
	assert_int_equal(got.created_at, 100);
	assert_int_equal(got.retain_until, 200);
	assert_false(got.hold);
	assert_int_equal(got.kek_version, 1);
	assert_true(got.has_dek);
	assert_memory_equal(got.wrapped_dek, o.wrapped_dek, LT_WRAPPED_LEN);
	assert_int_equal(got.state, LETHE_STATE_LIVE);
	assert_int_equal(got.seg_log2, 16);
	assert_int_equal(lt_db_object_get(f->db, "00000000-0000-4000-8000-00000000dead", &got),
			 LETHE_ERR_NOT_FOUND);
	/* malformed rows are refused before SQL */
	object_init(&o, 2, "finance", 1, 2, 1);
	strcpy(o.id, "../../etc/passwd");
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_ERR_INVALID);
	object_init(&o, 2, "bad group!", 1, 2, 1);
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_ERR_INVALID);
	object_init(&o, 2, "finance", 1, 2, 1);
	o.has_dek = false;
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_ERR_INVALID);
	assert_int_equal(lt_db_object_count(f->db, LETHE_STATE_LIVE, &n), LETHE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lt_db_object_count(f->db, LETHE_STATE_SHREDDED, &n), LETHE_OK);
	assert_int_equal(n, 0);
}

static void test_object_list(void **state)
{
	struct fx *f = *state;
	struct obj_list *l = calloc(1, sizeof(*l));

	add_kek(f->db, 1, true);
	/* 300 objects: more than a page; created_at ties are ordered by id */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 300; i++)
		add_object(f->db, 1000 - i, i % 3 ? "a" : "b", (int64_t)(i / 2), 500 + i, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, "000003e8-0000-4000-8000-0000000003e8", 9),
			 LETHE_OK);

	assert_int_equal(lt_db_object_list(f->db, NULL, 0, false, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 299);
	for (size_t i = 1; i < l->n; i++)
		assert_true(strcmp(l->ids[i - 1], l->ids[i]) != 0);
	/* i = 2k and 2k+1 share created_at k; ids 1000-2k > 1000-2k-1, so the odd one first */
	assert_string_equal(l->ids[0], "000003e7-0000-4000-8000-0000000003e7");
	l->n = 0;
	assert_int_equal(lt_db_object_list(f->db, NULL, 0, true, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 300);
	l->n = 0;
	assert_int_equal(lt_db_object_list(f->db, "b", 0, true, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 100);
	l->n = 0;
	assert_int_equal(lt_db_object_list(f->db, "b", 0, false, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 99);
	/* expired_before: live and retain_until <= 509 */
	l->n = 0;
	assert_int_equal(lt_db_object_list(f->db, NULL, 509, true, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 9);
	/* the callback can stop the walk */
	l->n = 0;
	l->stop_after = 130;
	assert_int_equal(lt_db_object_list(f->db, NULL, 0, false, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 130);
	l->n = 0;
	l->stop_after = 0;
	assert_int_equal(lt_db_object_list(f->db, "nosuch", 0, true, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 0);
	free(l);
}

/* A scrub's walk: live objects by id, across pages, from any position; and what is left. */
static void test_live_by_id(void **state)
{
	struct fx *f = *state;
	struct obj_list *l = calloc(1, sizeof(*l));
	uint64_t count = 0, bytes = 0;

	add_kek(f->db, 1, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 300; i++) /* inserted out of id order */
		add_object(f->db, (i * 7) % 300 + 1, "a", 300 - i, 500, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, "00000002-0000-4000-8000-000000000002", 9),
			 LETHE_OK);

	assert_int_equal(lt_db_object_live_by_id(f->db, "", SIZE_MAX, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 299);
	for (size_t i = 1; i < l->n; i++)
		assert_true(strcmp(l->ids[i - 1], l->ids[i]) < 0);
	assert_string_equal(l->ids[1], "00000003-0000-4000-8000-000000000003");
	l->n = 0;
	assert_int_equal(lt_db_object_live_by_id(f->db, "00000100-0000-4000-8000-000000000100",
						 SIZE_MAX, collect_obj, l),
			 LETHE_OK);
	assert_int_equal(l->n, 300 - 256);
	assert_string_equal(l->ids[0], "00000101-0000-4000-8000-000000000101");
	l->n = 0;
	assert_int_equal(lt_db_object_live_by_id(f->db, "", 5, collect_obj, l), LETHE_OK);
	assert_int_equal(l->n, 5);

	/* sizes are 1000 + n */
	assert_int_equal(lt_db_object_live_totals(f->db, "", &count, &bytes), LETHE_OK);
	assert_int_equal(count, 299);
	assert_int_equal(bytes, 299 * 1000 + 300 * 301 / 2 - 2);
	assert_int_equal(lt_db_object_live_totals(f->db, "0000012c-0000-4000-8000-00000000012c",
						  &count, &bytes),
			 LETHE_OK);
	assert_int_equal(count, 0);
	assert_int_equal(bytes, 0);
	free(l);
}

struct shredder {
	struct lt_db *db;
	size_t n;
};

static int shred_each(const struct lt_db_object *o, void *ctx)
{
	struct shredder *s = ctx;

	if (o->hold) {
		assert_int_equal(lt_db_object_shred(s->db, o->id, 5), LETHE_ERR_HELD);
		return 0;
	}
	assert_int_equal(lt_db_object_shred(s->db, o->id, 5), LETHE_OK);
	s->n++;
	return 0;
}

static void test_expired_order_and_pagination(void **state)
{
	struct fx *f = *state;
	struct obj_list *all = calloc(1, sizeof(*all)), *paged = calloc(1, sizeof(*paged));
	struct shredder s = { f->db, 0 };
	int64_t after_until = INT64_MIN;
	char after_id[LETHE_ID_LEN + 1] = "";
	size_t before;

	add_kek(f->db, 1, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 400; i++) /* retain_until 0..49 repeated: ties */
		add_object(f->db, i + 1, "g", 1, (int64_t)((i * 7) % 50) * 10, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_set_hold(f->db, "00000001-0000-4000-8000-000000000001",
					       true, "case 1"), LETHE_OK);

	/* now = 245: retain_until 0..240 expired, 25 values * 8 objects = 200 rows */
	assert_int_equal(lt_db_object_expired(f->db, 245, INT64_MIN, "", SIZE_MAX, collect_obj,
					      all), LETHE_OK);
	assert_int_equal(all->n, 200);
	for (size_t i = 1; i < all->n; i++) {
		assert_true(all->keys[i - 1] <= all->keys[i]);
		if (all->keys[i - 1] == all->keys[i])
			assert_true(strcmp(all->ids[i - 1], all->ids[i]) < 0);
	}
	/* the same sequence in pages of 7 resumed from (after_until, after_id) */
	do {
		before = paged->n;
		assert_int_equal(lt_db_object_expired(f->db, 245, after_until, after_id, 7,
						      collect_obj, paged), LETHE_OK);
		assert_true(paged->n - before <= 7);
		if (paged->n > before) {
			after_until = paged->keys[paged->n - 1];
			memcpy(after_id, paged->ids[paged->n - 1], sizeof(after_id));
		}
	} while (paged->n > before);
	assert_int_equal(paged->n, all->n);
	assert_memory_equal(paged->ids, all->ids, all->n * sizeof(all->ids[0]));

	/* a callback may shred what it is given (sweep): all but the held one go */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_expired(f->db, 245, INT64_MIN, "", SIZE_MAX, shred_each, &s),
			 LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(s.n, 199);
	all->n = 0;
	assert_int_equal(lt_db_object_expired(f->db, 245, INT64_MIN, "", SIZE_MAX, collect_obj,
					      all), LETHE_OK);
	assert_int_equal(all->n, 1);
	assert_string_equal(all->ids[0], "00000001-0000-4000-8000-000000000001");
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
	free(all);
	free(paged);
}

/* The query plan of @p sql, one line per step. */
static void explain(sqlite3 *s, const char *sql, char *plan, size_t len)
{
	char q[1024];
	sqlite3_stmt *st;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(s, q, -1, &st, NULL), SQLITE_OK);
	plan[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(st, 3), len - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(st);
}

/* The sweep query is a range scan of the partial index, never a table scan. */
static void test_expired_uses_partial_index(void **state)
{
	struct fx *f = *state;
	sqlite3 *s = raw_open(f->path);
	sqlite3_stmt *st;
	char plan[2048] = "";

	assert_int_equal(sqlite3_prepare_v2(s,
		"EXPLAIN QUERY PLAN SELECT id FROM objects WHERE state = 0 AND retain_until <= ?4 "
		"AND (retain_until, id) > (?1, ?2) ORDER BY retain_until, id LIMIT ?3",
		-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(st, 3),
			sizeof(plan) - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(st);
	assert_non_null(strstr(plan, "SEARCH objects USING INDEX objects_expiry"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	/* rewrap: a seek on (kek_version, rowid) per page, a seek per version step */
	explain(s, "SELECT id FROM objects WHERE state = 0 AND kek_version = ?4 AND rowid > ?1 "
		"ORDER BY rowid LIMIT ?3", plan, sizeof(plan));
	assert_non_null(strstr(plan, "objects_kek (kek_version=? AND rowid>?)"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	explain(s, "SELECT min(kek_version) FROM objects WHERE state = 0 AND kek_version > ?1 "
		"AND kek_version < ?2", plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH objects USING"));
	assert_non_null(strstr(plan, "objects_kek"));
	sqlite3_close(s);
}

struct id_list {
	char ids[300][LETHE_ID_LEN + 1];
	size_t n;
};

static int collect_id(const char *id, void *ctx)
{
	struct id_list *l = ctx;

	memcpy(l->ids[l->n++], id, LETHE_ID_LEN + 1);
	return 0;
}

static void test_shred_leaves_no_dek_bytes(void **state)
{
	struct fx *f = *state;
	struct lt_db_object o, got;
	uint8_t dek[LT_WRAPPED_LEN];
	struct id_list *l = calloc(1, sizeof(*l));

	add_kek(f->db, 1, true);
	for (unsigned i = 0; i < 20; i++)
		add_object(f->db, 100 + i, "g", 1, 2, 1);
	object_init(&o, 7, "g", 1, 2, 1);
	for (size_t i = 0; i < sizeof(dek); i++)
		dek[i] = (uint8_t)(0xa5 ^ (i * 13));
	memcpy(o.wrapped_dek, dek, sizeof(dek));
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
	/* the probe works: the bytes are there before */
	assert_true(on_disk(f->path, dek, sizeof(dek)));
	assert_int_equal(lt_db_wal_checkpoint(f->db), LETHE_OK);
	assert_true(on_disk(f->path, dek, sizeof(dek)));

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, o.id, 1234), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_wal_checkpoint(f->db), LETHE_OK);
	assert_false(on_disk(f->path, dek, sizeof(dek)));

	assert_int_equal(lt_db_object_get(f->db, o.id, &got), LETHE_OK);
	assert_int_equal(got.state, LETHE_STATE_SHREDDED);
	assert_false(got.has_dek);
	assert_int_equal(got.kek_version, 0);
	assert_int_equal(got.shredded_at, 1234);
	assert_int_equal(lt_db_object_shred(f->db, o.id, 1), LETHE_ERR_SHREDDED);
	assert_int_equal(lt_db_object_shred(f->db, "00000000-0000-4000-8000-00000000dead", 1),
			 LETHE_ERR_NOT_FOUND);
	/* the unlink is queued with the shred */
	assert_int_equal(lt_db_unlink_pending(f->db, collect_id, l), LETHE_OK);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->ids[0], o.id);
	free(l);
}

static void test_unlink_pending(void **state)
{
	struct fx *f = *state;
	struct id_list *l = calloc(1, sizeof(*l));
	char id[LETHE_ID_LEN + 1];

	add_kek(f->db, 1, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 200; i++) {
		add_object(f->db, i + 1, "g", 1, 2, 1);
		make_id(i + 1, id);
		assert_int_equal(lt_db_object_shred(f->db, id, 3), LETHE_OK);
	}
	/* a rolled-back shred queues nothing */
	add_object(f->db, 999, "g", 1, 2, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	make_id(999, id);
	assert_int_equal(lt_db_object_shred(f->db, id, 3), LETHE_OK);
	lt_db_rollback(f->db);

	assert_int_equal(lt_db_unlink_pending(f->db, collect_id, l), LETHE_OK);
	assert_int_equal(l->n, 200);
	for (size_t i = 1; i < l->n; i++)
		assert_true(strcmp(l->ids[i - 1], l->ids[i]) < 0);
	/* done while iterating is fine: the callback runs with no statement active */
	for (size_t i = 0; i < 150; i++)
		assert_int_equal(lt_db_unlink_done(f->db, l->ids[i]), LETHE_OK);
	assert_int_equal(lt_db_unlink_done(f->db, l->ids[0]), LETHE_OK); /* twice is fine */
	l->n = 0;
	assert_int_equal(lt_db_unlink_pending(f->db, collect_id, l), LETHE_OK);
	assert_int_equal(l->n, 50);
	free(l);
}

static void test_holds(void **state)
{
	struct fx *f = *state;
	struct lt_db_object o;
	char reason[LETHE_REASON_MAX + 1];
	char a[LETHE_ID_LEN + 1], b[LETHE_ID_LEN + 1];
	bool held = true;

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "legal", 1, 2, 1);
	add_object(f->db, 2, "other", 1, 2, 1);
	make_id(1, a);
	make_id(2, b);
	assert_int_equal(lt_db_object_set_hold(f->db, a, true, "case 42"), LETHE_OK);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_true(o.hold);
	assert_string_equal(o.hold_reason, "case 42");
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(lt_db_object_set_hold(f->db, a, false, NULL), LETHE_OK);
	assert_int_equal(lt_db_object_set_hold(f->db, a, false, NULL), LETHE_OK); /* again */
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_false(o.hold);
	assert_string_equal(o.hold_reason, "");
	assert_int_equal(lt_db_object_set_hold(f->db, "00000000-0000-4000-8000-00000000dead",
					       true, "x"), LETHE_ERR_NOT_FOUND);

	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(lt_db_group_hold_set(f->db, "legal", "subpoena 7", 100), LETHE_OK);
	assert_int_equal(lt_db_group_hold_set(f->db, "legal", "subpoena 8", 101), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_true(held);
	assert_string_equal(reason, "subpoena 8");
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, NULL), LETHE_OK);
	/* a group hold protects its objects at the lowest layer too */
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(lt_db_object_shred(f->db, b, 9), LETHE_OK);
	assert_int_equal(lt_db_object_set_hold(f->db, b, true, "x"), LETHE_ERR_SHREDDED);
	assert_int_equal(lt_db_group_hold_clear(f->db, "legal"), LETHE_OK);
	assert_int_equal(lt_db_group_hold_clear(f->db, "legal"), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_OK);
}

static void test_extend(void **state)
{
	struct fx *f = *state;
	struct lt_db_object o;
	char a[LETHE_ID_LEN + 1];
	uint64_t changed = 9;

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "g", 1, 100, 1);
	add_object(f->db, 2, "g", 1, 300, 1);
	add_object(f->db, 3, "g", 1, 50, 1);
	add_object(f->db, 4, "h", 1, 100, 1);
	make_id(1, a);
	assert_int_equal(lt_db_object_set_retain_until(f->db, a, 99), LETHE_ERR_SHORTENS);
	assert_int_equal(lt_db_object_set_retain_until(f->db, a, 100), LETHE_OK);
	assert_int_equal(lt_db_object_set_retain_until(f->db, a, 150), LETHE_OK);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_int_equal(o.retain_until, 150);
	make_id(3, a);
	assert_int_equal(lt_db_object_shred(f->db, a, 5), LETHE_OK);
	assert_int_equal(lt_db_object_set_retain_until(f->db, a, 999), LETHE_ERR_SHREDDED);
	assert_int_equal(lt_db_object_set_retain_until(f->db,
			"00000000-0000-4000-8000-00000000dead", 999), LETHE_ERR_NOT_FOUND);
	/* until: only live objects that would get longer */
	assert_int_equal(lt_db_group_extend_until(f->db, "g", 200, &changed), LETHE_OK);
	assert_int_equal(changed, 1);
	make_id(1, a);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_int_equal(o.retain_until, 200);
	/* by: every live object of the group */
	assert_int_equal(lt_db_group_extend_by(f->db, "g", 10, &changed), LETHE_OK);
	assert_int_equal(changed, 2);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_int_equal(o.retain_until, 210);
	make_id(4, a);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_int_equal(o.retain_until, 100);
	assert_int_equal(lt_db_group_extend_by(f->db, "g", 0, &changed), LETHE_ERR_INVALID);
	assert_int_equal(lt_db_group_extend_by(f->db, "g", INT64_MAX - 250, &changed),
			 LETHE_ERR_INVALID);
	assert_int_equal(changed, 0);
	make_id(1, a);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_int_equal(o.retain_until, 210); /* nothing half-done */
}

struct rewrap {
	struct lt_db *db;
	uint32_t to;
	size_t n;
	uint32_t seen[64];
	size_t nseen;
};

static int rewrap_each(const struct lt_db_object *o, void *ctx)
{
	struct rewrap *r = ctx;
	uint8_t w[LT_WRAPPED_LEN];

	fill(w, sizeof(w), 0x33);
	if (r->nseen < 64)
		r->seen[r->nseen++] = o->kek_version;
	assert_int_equal(lt_db_object_set_dek(r->db, o->id, r->to, w), LETHE_OK);
	r->n++;
	return 0;
}

static void test_not_under_and_set_dek(void **state)
{
	struct fx *f = *state;
	struct rewrap r = { f->db, 2, 0, { 0 }, 0 };
	struct lt_db_kek k;
	struct lt_db_object o;
	char a[LETHE_ID_LEN + 1];
	size_t batches = 0;

	add_kek(f->db, 1, true);
	add_kek(f->db, 2, true);
	add_kek(f->db, 3, false); /* above the primary: also "not under" it */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 260; i++)
		add_object(f->db, i + 1, "g", 1, 2, i < 200 ? 1 : (i < 250 ? 2 : 3));
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	make_id(5, a);
	assert_int_equal(lt_db_object_shred(f->db, a, 5), LETHE_OK); /* shredded: never listed */

	/* the first batch comes from below the primary, in (kek_version, id) order */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_not_under(f->db, 2, 50, rewrap_each, &r), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(r.n, 50);
	assert_int_equal(r.seen[0], 1);
	do {
		size_t before = r.n;

		assert_int_equal(lt_db_begin(f->db), LETHE_OK);
		assert_int_equal(lt_db_object_not_under(f->db, 2, 50, rewrap_each, &r), LETHE_OK);
		assert_int_equal(lt_db_commit(f->db), LETHE_OK);
		if (r.n == before)
			break;
		batches++;
	} while (batches < 100);
	assert_int_equal(r.n, 199 + 10);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_int_equal(k.objects, 0);
	assert_int_equal(lt_db_kek_get(f->db, 3, &k), LETHE_OK);
	assert_int_equal(k.objects, 0);
	assert_int_equal(lt_db_kek_get(f->db, 2, &k), LETHE_OK);
	assert_int_equal(k.objects, 259);
	make_id(1, a);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_int_equal(o.kek_version, 2);
	assert_int_equal(o.wrapped_dek[0], (uint8_t)(0x33 * 31 + 1));
	make_id(5, a);
	assert_int_equal(lt_db_object_set_dek(f->db, a, 2, o.wrapped_dek), LETHE_ERR_SHREDDED);
	assert_int_equal(lt_db_object_set_dek(f->db, "00000000-0000-4000-8000-00000000dead", 2,
					      o.wrapped_dek), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 10), LETHE_OK);
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
}

/* ---- certificates ----------------------------------------------------------------------- */

struct cert_list {
	uint64_t seq[8];
	char object[8][LETHE_ID_LEN + 1];
	char json[8][64];
	size_t n;
};

static int collect_cert(const struct lt_db_cert *c, void *ctx)
{
	struct cert_list *l = ctx;

	l->seq[l->n] = c->seq;
	memcpy(l->object[l->n], c->object_id, LETHE_ID_LEN + 1);
	assert_true(c->json_len < 64);
	memcpy(l->json[l->n], c->json, c->json_len);
	l->json[l->n][c->json_len] = '\0';
	assert_int_equal(c->sig[0], 0x5a);
	l->n++;
	return 0;
}

static void cert_init(struct lt_db_cert *c, unsigned n, const char *json)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "c%07x-0000-4000-8000-%012x", n, n);
	make_id(n, c->object_id);
	strcpy(c->group, "g");
	strcpy(c->reason, "retention-expired");
	c->shredded_at = 500 + n;
	c->json = (const uint8_t *)json;
	c->json_len = strlen(json);
	memset(c->sig, 0x5a, sizeof(c->sig));
	fill(c->sha256, sizeof(c->sha256), (uint8_t)n);
}

static void test_certificates(void **state)
{
	struct fx *f = *state;
	struct lt_db_cert c;
	struct cert_list l = { .n = 0 };
	uint8_t sha[32];
	uint64_t seq = 9, count = 9;
	char a[LETHE_ID_LEN + 1];

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "g", 1, 2, 1);
	add_object(f->db, 2, "g", 1, 2, 1);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 0);
	/* a certificate for a live object would be false evidence */
	cert_init(&c, 1, "{\"n\":1}");
	assert_int_not_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	make_id(1, a);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, a, 501), LETHE_OK);
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 1);
	assert_memory_equal(sha, c.sha256, 32);
	/* one certificate per object */
	cert_init(&c, 1, "{\"n\":1,\"again\":1}");
	snprintf(c.id, sizeof(c.id), "d0000001-0000-4000-8000-000000000001");
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_ERR_EXISTS);
	assert_non_null(strstr(lt_err_detail(), "already has a disposal certificate"));
	make_id(2, a);
	assert_int_equal(lt_db_object_shred(f->db, a, 502), LETHE_OK);
	cert_init(&c, 2, "{\"n\":2}");
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(lt_db_cert_count_for_object(f->db, a, &count), LETHE_OK);
	assert_int_equal(count, 1);
	assert_int_equal(lt_db_cert_list(f->db, collect_cert, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], 1);
	assert_int_equal(l.seq[1], 2);
	assert_string_equal(l.json[0], "{\"n\":1}");
	assert_string_equal(l.object[1], a);
}

/* ---- audit ------------------------------------------------------------------------------ */

static void audit_init(struct lt_db_audit *r, uint64_t seq, int64_t time_us)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->time_us = time_us;
	r->uid = 1000;
	strcpy(r->user, "alice");
	strcpy(r->keyslot, "service");
	r->pid = 4242;
	strcpy(r->host, "host1");
	strcpy(r->action, "put");
	make_id((unsigned)seq, r->object);
	strcpy(r->group, "g");
	strcpy(r->outcome, "ok");
	strcpy(r->error, "");
	memset(r->mac, (int)seq, sizeof(r->mac));
}

struct audit_list {
	uint64_t seq[300];
	char action[300][32];
	size_t n;
	size_t stop_at; /* 1-based; 0: never */
};

static int collect_audit(const struct lt_db_audit *r, void *ctx)
{
	struct audit_list *l = ctx;

	l->seq[l->n] = r->seq;
	memcpy(l->action[l->n], r->action, sizeof(r->action));
	assert_string_equal(r->user, "alice");
	assert_int_equal(r->pid, 4242);
	l->n++;
	return l->stop_at && l->n == l->stop_at;
}

static void test_audit(void **state)
{
	struct fx *f = *state;
	struct lt_db_audit r;
	struct audit_list *l = calloc(1, sizeof(*l));
	uint8_t mac[32];
	uint64_t seq = 9;

	assert_int_equal(lt_db_audit_last(f->db, &seq, mac), LETHE_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (uint64_t i = 1; i <= 200; i++) {
		audit_init(&r, i, (int64_t)i * 1000);
		assert_int_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	}
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	/* the chain has no gaps and no duplicates */
	audit_init(&r, 202, 1);
	assert_int_not_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	audit_init(&r, 200, 1);
	assert_int_not_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	assert_int_equal(lt_db_audit_last(f->db, &seq, mac), LETHE_OK);
	assert_int_equal(seq, 200);
	assert_int_equal(mac[0], 200);
	assert_int_equal(lt_db_audit_list(f->db, 0, INT64_MIN, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 200);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(l->seq[i], i + 1);
	l->n = 0;
	assert_int_equal(lt_db_audit_list(f->db, 150, INT64_MIN, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 51);
	assert_int_equal(l->seq[0], 150);
	l->n = 0;
	assert_int_equal(lt_db_audit_list(f->db, 0, 190500, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 10);
	assert_int_equal(l->seq[0], 191);
	l->n = 0;
	l->stop_at = 3;
	assert_int_equal(lt_db_audit_list(f->db, 0, INT64_MIN, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 3);
	free(l);
}

static void expect_refused(sqlite3 *s, const char *sql, const char *message)
{
	assert_int_equal(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_CONSTRAINT);
	assert_non_null(strstr(sqlite3_errmsg(s), message));
}

static void test_append_only_triggers(void **state)
{
	struct fx *f = *state;
	struct lt_db_audit r;
	struct lt_db_cert c;
	struct lt_db_checkpoint cp;
	uint64_t seq;
	sqlite3 *s;

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "g", 1, 2, 1);
	assert_int_equal(lt_db_object_shred(f->db, "00000001-0000-4000-8000-000000000001", 3),
			 LETHE_OK);
	cert_init(&c, 1, "{}");
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	audit_init(&r, 1, 1);
	assert_int_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	memset(&cp, 0, sizeof(cp));
	cp.audit_seq = 1;
	cp.json = (const uint8_t *)"{}";
	cp.json_len = 2;
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_OK);

	s = raw_open(f->path);
	expect_refused(s, "UPDATE audit SET outcome = 'failed'", "append-only");
	expect_refused(s, "DELETE FROM audit", "append-only");
	expect_refused(s, "INSERT OR REPLACE INTO audit SELECT * FROM audit", "seq must follow");
	expect_refused(s, "UPDATE certificates SET reason = 'manual'", "append-only");
	expect_refused(s, "DELETE FROM certificates", "append-only");
	expect_refused(s, "UPDATE checkpoints SET time = 0", "append-only");
	expect_refused(s, "DELETE FROM checkpoints", "append-only");
	/* a shredded row cannot get a key back */
	assert_int_equal(sqlite3_exec(s, "UPDATE objects SET wrapped_dek = zeroblob(60) WHERE "
				      "state = 1", NULL, NULL, NULL), SQLITE_CONSTRAINT);
	sqlite3_close(s);
}

static void test_audit_pending(void **state)
{
	struct fx *f = *state;
	struct lt_db_audit r;
	struct audit_list *l = calloc(1, sizeof(*l));

	for (int i = 0; i < 150; i++) {
		audit_init(&r, 0, i);
		snprintf(r.action, sizeof(r.action), "unlock%d", i);
		assert_int_equal(lt_db_audit_pending_add(f->db, &r), LETHE_OK); /* autocommit */
	}
	/* the callback stops at the 140th: 139 are taken, the rest stay */
	l->stop_at = 140;
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(l->n, 140);
	assert_string_equal(l->action[0], "unlock0");
	l->n = 0;
	l->stop_at = 0;
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(l->n, 11);
	assert_string_equal(l->action[0], "unlock139");
	/* a rolled-back take leaves them */
	audit_init(&r, 0, 7);
	assert_int_equal(lt_db_audit_pending_add(f->db, &r), LETHE_OK);
	l->n = 0;
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	lt_db_rollback(f->db);
	assert_int_equal(l->n, 1);
	l->n = 0;
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 1);
	l->n = 0;
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 0);
	free(l);
}

struct cp_list {
	uint64_t seq[4];
	uint64_t audit_seq[4];
	size_t n;
};

static int collect_cp(const struct lt_db_checkpoint *cp, void *ctx)
{
	struct cp_list *l = ctx;

	l->seq[l->n] = cp->seq;
	l->audit_seq[l->n] = cp->audit_seq;
	assert_memory_equal(cp->json, "{\"cp\":1}", cp->json_len);
	assert_int_equal(cp->audit_mac[0], 0x11);
	assert_int_equal(cp->sig[63], 0x22);
	l->n++;
	return 0;
}

static void test_checkpoints(void **state)
{
	struct fx *f = *state;
	struct lt_db_checkpoint cp;
	struct cp_list l = { .n = 0 };

	memset(&cp, 0, sizeof(cp));
	cp.seq = 77; /* ignored */
	cp.audit_seq = 10;
	memset(cp.audit_mac, 0x11, sizeof(cp.audit_mac));
	cp.time = 1700000000;
	cp.json = (const uint8_t *)"{\"cp\":1}";
	cp.json_len = 8;
	memset(cp.sig, 0x22, sizeof(cp.sig));
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_OK);
	cp.audit_seq = 20;
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_OK);
	assert_int_equal(lt_db_checkpoint_list(f->db, collect_cp, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], 1);
	assert_int_equal(l.seq[1], 2);
	assert_int_equal(l.audit_seq[1], 20);
	cp.json_len = 0;
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_ERR_INVALID);
}

/* ---- transactions and concurrency ------------------------------------------------------- */

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
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		usleep((useconds_t)hold_ms * 1000);
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
		cmocka_unit_test_setup_teardown(test_live_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_private_under_loose_umask, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuses_group_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_missing_and_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_random_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keks, setup, teardown),
				cmocka_unit_test_setup_teardown(test_object_insert_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_order_and_pagination, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expired_uses_partial_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shred_leaves_no_dek_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlink_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_under_and_set_dek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_waits_then_succeeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_timeout_reports_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_reports_counter_drift, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
