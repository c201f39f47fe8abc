/* test_store_sqlite_object.c - unit tests of store/sqlite/object.c: object rows, the scans over
 * them, shredding leaves no DEK bytes in the database or WAL files, retention changes, rewrap. */
#include "store_sqlite_fixture.h"

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
	const char *files[2] = {db_path, wal};
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
	assert_memory_equal(got.wrapped_dek, o.wrapped_dek, LT_DB_WRAPPED_LEN);
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
		add_object(f->db, 1000 - i, i % 3 ? "a" : "b", (int64_t) (i / 2), 500 + i, 1);
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
	assert_int_equal(
	    lt_db_object_live_totals(f->db, "0000012c-0000-4000-8000-00000000012c", &count, &bytes),
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
	struct shredder s = {f->db, 0};
	int64_t after_until = INT64_MIN;
	char after_id[LETHE_ID_LEN + 1] = "";
	size_t before;

	add_kek(f->db, 1, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 400; i++) /* retain_until 0..49 repeated: ties */
		add_object(f->db, i + 1, "g", 1, (int64_t) ((i * 7) % 50) * 10, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(
	    lt_db_object_set_hold(f->db, "00000001-0000-4000-8000-000000000001", true, "case 1"),
	    LETHE_OK);

	/* now = 245: retain_until 0..240 expired, 25 values * 8 objects = 200 rows */
	assert_int_equal(
	    lt_db_object_expired(f->db, 245, INT64_MIN, "", SIZE_MAX, collect_obj, all), LETHE_OK);
	assert_int_equal(all->n, 200);
	for (size_t i = 1; i < all->n; i++) {
		assert_true(all->keys[i - 1] <= all->keys[i]);
		if (all->keys[i - 1] == all->keys[i])
			assert_true(strcmp(all->ids[i - 1], all->ids[i]) < 0);
	}
	/* the same sequence in pages of 7 resumed from (after_until, after_id) */
	do {
		before = paged->n;
		assert_int_equal(
		    lt_db_object_expired(f->db, 245, after_until, after_id, 7, collect_obj, paged),
		    LETHE_OK);
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
	assert_int_equal(
	    lt_db_object_expired(f->db, 245, INT64_MIN, "", SIZE_MAX, collect_obj, all), LETHE_OK);
	assert_int_equal(all->n, 1);
	assert_string_equal(all->ids[0], "00000001-0000-4000-8000-000000000001");
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
	free(all);
	free(paged);
}

static void test_shred_leaves_no_dek_bytes(void **state)
{
	struct fx *f = *state;
	struct lt_db_object o, got;
	uint8_t dek[LT_DB_WRAPPED_LEN];
	struct id_list *l = calloc(1, sizeof(*l));

	add_kek(f->db, 1, true);
	for (unsigned i = 0; i < 20; i++)
		add_object(f->db, 100 + i, "g", 1, 2, 1);
	object_init(&o, 7, "g", 1, 2, 1);
	for (size_t i = 0; i < sizeof(dek); i++)
		dek[i] = (uint8_t) (0xa5 ^ (i * 13));
	memcpy(o.wrapped_dek, dek, sizeof(dek));
	assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
	/* the probe works: the bytes are there before */
	assert_true(on_disk(f->path, dek, sizeof(dek)));
	assert_int_equal(lt_db_purge(f->db), LETHE_OK);
	assert_true(on_disk(f->path, dek, sizeof(dek)));

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, o.id, 1234), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_purge(f->db), LETHE_OK);
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
	assert_int_equal(
	    lt_db_object_set_retain_until(f->db, "00000000-0000-4000-8000-00000000dead", 999),
	    LETHE_ERR_NOT_FOUND);
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
	uint8_t w[LT_DB_WRAPPED_LEN];

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
	struct rewrap r = {f->db, 2, 0, {0}, 0};
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
	assert_int_equal(o.wrapped_dek[0], (uint8_t) (0x33 * 31 + 1));
	make_id(5, a);
	assert_int_equal(lt_db_object_set_dek(f->db, a, 2, o.wrapped_dek), LETHE_ERR_SHREDDED);
	assert_int_equal(
	    lt_db_object_set_dek(f->db, "00000000-0000-4000-8000-00000000dead", 2, o.wrapped_dek),
	    LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 10), LETHE_OK);
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_object_insert_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_object_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_live_by_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired_order_and_pagination, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shred_leaves_no_dek_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_under_and_set_dek, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
