/* test_keys_check.c - doctor's keys checks: keyslots and officers, KEK entries against their
 * rows (retired, unknown, missing), and what --repair fixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "crypt/secmem.h"
#include "keys/check.h"
#include "keys/kekring.h"
#include "keys/keystore.h"
#include "keys/wrap.h"
#include "store/db.h"
#include "tests/unit/keys_fixture.h"

#define MAX_FINDINGS 16

struct findings {
	size_t n;
	enum lethe_doctor_level level[MAX_FINDINGS];
	char check[MAX_FINDINGS][32];
	char detail[MAX_FINDINGS][256];
};

static void collect(void *ctx, enum lethe_doctor_level level, const char *check, const char *fmt,
		    va_list ap)
{
	struct findings *fs = ctx;

	assert_true(fs->n < MAX_FINDINGS);
	fs->level[fs->n] = level;
	snprintf(fs->check[fs->n], sizeof(fs->check[0]), "%s", check);
	vsnprintf(fs->detail[fs->n], sizeof(fs->detail[0]), fmt, ap);
	fs->n++;
}

/* The finding whose detail contains @p fragment, at @p level (fails when there is none). */
static void assert_finding(const struct findings *fs, enum lethe_doctor_level level,
			   const char *check, const char *fragment)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->level[i] == level && strcmp(fs->check[i], check) == 0 &&
		    strstr(fs->detail[i], fragment))
			return;
	for (size_t i = 0; i < fs->n; i++)
		fprintf(stderr, "  %d %s: %s\n", fs->level[i], fs->check[i], fs->detail[i]);
	fail_msg("no %d %s finding with \"%s\"", level, check, fragment);
}

static size_t errors(const struct findings *fs)
{
	size_t n = 0;

	for (size_t i = 0; i < fs->n; i++)
		n += fs->level[i] == LETHE_DOCTOR_ERROR;
	return n;
}

static void test_clean(void **state)
{
	struct keys_fixture *f = *state;
	struct findings fs = {0};

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(lt_keys_check(f->keystore, "/nonexistent/officers.luks", NULL, f->db,
				       false, NULL, collect, &fs),
			 LETHE_OK);
	assert_finding(&fs, LETHE_DOCTOR_WARN, "keystore", "2 keyslot(s), 1 officer(s)");
	assert_finding(&fs, LETHE_DOCTOR_OK, "keys",
		       "2 KEK version(s) in the keystore, all active");
	assert_int_equal(errors(&fs), 0);
}

static void test_kek_entries(void **state)
{
	struct keys_fixture *f = *state;
	struct findings fs = {0};
	struct lt_db_kek row;

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(keys_rotate(f), 3);
	/* 1: retired, but a crash kept it in the keystore */
	assert_int_equal(lt_db_kek_retire(f->db, 1, 3000), LETHE_OK);
	/* 4: an active row whose entry is gone */
	memset(&row, 0, sizeof(row));
	row.version = 4;
	row.primary = true;
	assert_int_equal(lt_db_kek_insert(f->db, &row), LETHE_OK);
	assert_int_equal(lt_keys_check(f->keystore, "/nonexistent/officers.luks", NULL, f->db,
				       false, NULL, collect, &fs),
			 LETHE_OK);
	assert_finding(
	    &fs, LETHE_DOCTOR_ERROR, "keys",
	    "retired KEK version 1 is still in the keystore (doctor --repair removes it)");
	assert_finding(&fs, LETHE_DOCTOR_ERROR, "keys",
		       "active KEK version 4 is missing from the keystore");
	assert_int_equal(errors(&fs), 2);
	/* --repair removes the retired entry, and never the missing one's neighbours */
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(lt_keys_check(f->keystore, "/nonexistent/officers.luks", NULL, f->db, true,
				       NULL, collect, &fs),
			 LETHE_OK);
	assert_finding(&fs, LETHE_DOCTOR_REPAIRED, "keys",
		       "retired KEK version 1 removed from the keystore");
	assert_int_equal(errors(&fs), 1);
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(lt_keys_check(f->keystore, "/nonexistent/officers.luks", NULL, f->db, true,
				       NULL, collect, &fs),
			 LETHE_OK);
	assert_int_equal(errors(&fs), 1); /* 4 stays missing: nothing can bring it back */
}

/* A keystore entry the database does not know: a warning, never destroyed, even by --repair. */
static void test_unknown_entry(void **state)
{
	struct keys_fixture *f = *state;
	struct findings fs = {0};
	struct lt_keystore_kek keks[LT_KEYSTORE_KEKS_MAX];
	size_t n = 0;

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	{
		uint32_t v;

		assert_int_equal(lt_kek_ring_rotate(&f->ring, f->db, 1000, &v), LETHE_OK);
	}
	lt_db_rollback(f->db); /* the keystore entry of version 2 stays, its row does not */
	assert_int_equal(lt_keys_check(f->keystore, "/nonexistent/officers.luks", NULL, f->db, true,
				       NULL, collect, &fs),
			 LETHE_OK);
	assert_finding(&fs, LETHE_DOCTOR_WARN, "keys",
		       "KEK version 2 is in the keystore but not in the database");
	assert_int_equal(errors(&fs), 0);
	assert_int_equal(lt_keystore_keks(f->keystore, keks, LT_KEYSTORE_KEKS_MAX, &n), LETHE_OK);
	assert_int_equal(n, 2);
}

static void test_no_keystore(void **state)
{
	struct keys_fixture *f = *state;
	struct findings fs = {0};

	assert_int_not_equal(lt_keys_check("/nonexistent/keystore.luks",
					   "/nonexistent/officers.luks", NULL, f->db, false, NULL,
					   collect, &fs),
			     LETHE_OK);
	assert_int_equal(fs.n, 1);
	assert_int_equal(fs.level[0], LETHE_DOCTOR_ERROR);
	assert_string_equal(fs.check[0], "keystore");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, keys_setup_ring, keys_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_clean),
	    T(test_kek_entries),
	    T(test_unknown_entry),
	    T(test_no_keystore),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
