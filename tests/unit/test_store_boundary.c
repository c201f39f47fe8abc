/* test_store_boundary.c - store/ keeps its backends to itself: no SQLite and no SQL outside
 * store/, the metadata interface (store/db.h) names no SQLite machinery, and the modules above
 * reach objects only through the object-store interface (store/objstore.h), never the files
 * backend. Reads the source tree (LETHE_SOURCE_DIR); the tests and the benchmarks, which
 * attack or fill a store through its files, are not modules and are not read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef LETHE_SOURCE_DIR
#define LETHE_SOURCE_DIR "."
#endif

/* The modules that sit above store/ or beside it. */
static const char *const modules[] = {"common", "crypt", "keys",    "retention", "audit",
				      "lib",    "cli",   "include", "daemon"};

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	buf = calloc(1, (size_t) len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t) len, fp), (size_t) len);
	fclose(fp);
	return buf;
}

/* What the files of one walk must not contain (NULL-terminated), and what was found. */
static const char *const *forbidden;
static char found[4096];

static bool c_source(const char *path)
{
	size_t n = strlen(path);

	return n > 2 && (strcmp(path + n - 2, ".c") == 0 || strcmp(path + n - 2, ".h") == 0);
}

static int check_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *text;

	(void) st;
	(void) ftw;
	if (flag != FTW_F || !c_source(path))
		return 0;
	text = slurp(path);
	for (size_t i = 0; forbidden[i]; i++)
		if (strstr(text, forbidden[i]) && strlen(found) < sizeof(found) - 256)
			snprintf(found + strlen(found), sizeof(found) - strlen(found),
				 "%s: \"%s\"\n", path, forbidden[i]);
	free(text);
	return 0;
}

/* Walk every module directory that exists; "" when nothing forbidden was found. */
static const char *scan_modules(const char *const *words)
{
	char dir[4096];
	struct stat st;

	forbidden = words;
	found[0] = '\0';
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", LETHE_SOURCE_DIR, modules[i]);
		if (stat(dir, &st) == 0)
			assert_int_equal(nftw(dir, check_file, 16, FTW_PHYS), 0);
	}
	return found;
}

static const char *scan_file(const char *rel, const char *const *words)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", LETHE_SOURCE_DIR, rel);
	forbidden = words;
	found[0] = '\0';
	assert_int_equal(stat(path, &st), 0);
	check_file(path, &st, FTW_F, NULL);
	return found;
}

static void test_no_sqlite_outside_store(void **state)
{
	static const char *const words[] = {
	    "sqlite3",   "store/sqlite/", "\"SELECT ",       "\"INSERT ", "\"UPDATE ", "\"DELETE ",
	    "\"CREATE ", "\"PRAGMA ",     "BEGIN IMMEDIATE", "SAVEPOINT", NULL};

	(void) state;
	assert_string_equal(scan_modules(words), "");
}

/* A PostgreSQL backend could implement the header as it stands. */
static void test_metadata_interface_names_no_sqlite(void **state)
{
	static const char *const words[] = {
	    "sqlite3",        "PRAGMA",          "WAL",   "wal_",
	    "savepoint",      "SAVEPOINT",       "rowid", "secure_delete",
	    "autocheckpoint", "BEGIN IMMEDIATE", NULL};

	(void) state;
	assert_string_equal(scan_file("store/db.h", words), "");
	assert_string_equal(scan_file("store/objstore.h", words), "");
	assert_string_equal(scan_file("store/unlinker.h", words), "");
}

/* An S3 backend could be added without touching the modules: they name no object file. */
static void test_objects_only_through_the_interface(void **state)
{
	static const char *const words[] = {"store/objfile.h", "lt_obj_", "lt_tmp_", NULL};

	(void) state;
	assert_string_equal(scan_modules(words), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_sqlite_outside_store),
	    cmocka_unit_test(test_metadata_interface_names_no_sqlite),
	    cmocka_unit_test(test_objects_only_through_the_interface),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
