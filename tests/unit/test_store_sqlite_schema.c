/* test_store_sqlite_schema.c - unit tests of store/sqlite/schema.c: the schema's identity and
 * version, its append-only triggers, and the indexes the scans rely on. */
#include "store_sqlite_fixture.h"

static void test_refuses_newer_schema(void **state)
{
	struct fx *f = *state;
	struct lt_db *db = NULL;
	sqlite3 *s;

	lt_db_close(f->db);
	f->db = NULL;
	s = raw_open(f->path);
	assert_int_equal(sqlite3_exec(s, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
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
	assert_string_equal((const char *) sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA application_id", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 0x4c455448);
	sqlite3_finalize(st);
	sqlite3_close(s);
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
	cp.json = (const uint8_t *) "{}";
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
	assert_int_equal(sqlite3_exec(s,
				      "UPDATE objects SET wrapped_dek = zeroblob(60) WHERE "
				      "state = 1",
				      NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	sqlite3_close(s);
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
		strncat(plan, (const char *) sqlite3_column_text(st, 3), len - strlen(plan) - 2);
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

	assert_int_equal(
	    sqlite3_prepare_v2(
		s,
		"EXPLAIN QUERY PLAN SELECT id FROM objects WHERE state = 0 AND retain_until <= ?4 "
		"AND (retain_until, id) > (?1, ?2) ORDER BY retain_until, id LIMIT ?3",
		-1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strncat(plan, (const char *) sqlite3_column_text(st, 3),
			sizeof(plan) - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(st);
	assert_non_null(strstr(plan, "SEARCH objects USING INDEX objects_expiry"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	/* rewrap: a seek on (kek_version, rowid) per page, a seek per version step */
	explain(s,
		"SELECT id FROM objects WHERE state = 0 AND kek_version = ?4 AND rowid > ?1 "
		"ORDER BY rowid LIMIT ?3",
		plan, sizeof(plan));
	assert_non_null(strstr(plan, "objects_kek (kek_version=? AND rowid>?)"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	explain(s,
		"SELECT min(kek_version) FROM objects WHERE state = 0 AND kek_version > ?1 "
		"AND kek_version < ?2",
		plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH objects USING"));
	assert_non_null(strstr(plan, "objects_kek"));
	sqlite3_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired_uses_partial_index, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
