/* test_store_sqlite_pager.c - unit tests of store/sqlite/pager.c: the one walk over paginated
 * queries delivers every row once across pages, honours limits and stops, reports a failing
 * delivery, and releases every row it read. */
#include "store/sqlite/sqlite.h"
#include "store_sqlite_fixture.h"

/* A page query of this test's own, in the slot of a statement the test never runs. */
static const struct lt_sq sq_keys = {SQ_OBJ_STATE, "test keys",
				     "SELECT key FROM meta WHERE key > ?2 ORDER BY key LIMIT ?3"};

struct walk {
	char keys[400][LETHE_ID_LEN + 1];
	size_t delivered, read, released;
	size_t stop_at; /* 1-based; 0: never */
	bool fail;      /* the stopping delivery fails */
};

static void key_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct walk *w = p->ctx;

	lt_sq_get_text(q, 0, row, LETHE_ID_LEN + 1);
	memcpy(p->pos_id, row, LETHE_ID_LEN + 1);
	w->read++;
}

static int key_deliver(struct lt_sq_pager *p, void *row)
{
	struct walk *w = p->ctx;

	assert_true(w->delivered < 400);
	memcpy(w->keys[w->delivered++], row, LETHE_ID_LEN + 1);
	if (w->stop_at && w->delivered == w->stop_at) {
		if (w->fail)
			p->rc = lt_err(LETHE_ERR_IO, "delivery failed");
		return 1;
	}
	return 0;
}

static struct walk *walk_release_ctx;

static void key_release(void *row)
{
	assert_non_null(row);
	walk_release_ctx->released++;
}

static void add_keys(struct lt_db *db, unsigned n)
{
	char key[16];

	assert_int_equal(lt_db_begin(db), LETHE_OK);
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%03u", i);
		assert_int_equal(lt_db_meta_set(db, key, "v", 1), LETHE_OK);
	}
	assert_int_equal(lt_db_commit(db), LETHE_OK);
}

static void walk_init(struct lt_sq_pager *p, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	walk_release_ctx = w;
	lt_sq_pager_init(p, &sq_keys, LETHE_ID_LEN + 1, key_row, LT_SQ_IDS, NULL);
	p->deliver = key_deliver;
	p->release = key_release;
	p->ctx = w;
}

static void test_every_row_once_across_pages(void **state)
{
	struct fx *f = *state;
	struct lt_sq_pager p;
	struct walk *w = malloc(sizeof(*w));

	assert_non_null(w);
	add_keys(f->db, 300); /* more than two pages */
	walk_init(&p, w);
	assert_int_equal(lt_sq_page(f->db, &p), LETHE_OK);
	assert_int_equal(w->delivered, 300);
	for (size_t i = 0; i < w->delivered; i++) {
		char want[32];

		snprintf(want, sizeof(want), "k%03zu", i);
		assert_string_equal(w->keys[i], want);
	}
	assert_int_equal(w->read, 300);
	assert_int_equal(w->released, 300);
	assert_false(p.stopped);
	free(w);
}

/* A page is read whole before any of it is delivered; a stop releases all of it. */
static void test_stop_releases_the_page(void **state)
{
	struct fx *f = *state;
	struct lt_sq_pager p;
	struct walk *w = malloc(sizeof(*w));

	assert_non_null(w);
	add_keys(f->db, 300);
	walk_init(&p, w);
	w->stop_at = LT_SQ_PAGE + 2;
	assert_int_equal(lt_sq_page(f->db, &p), LETHE_OK);
	assert_true(p.stopped);
	assert_int_equal(w->delivered, LT_SQ_PAGE + 2);
	assert_int_equal(w->read, 2 * LT_SQ_PAGE);
	assert_int_equal(w->released, 2 * LT_SQ_PAGE);
	free(w);
}

static void test_failing_delivery_is_the_result(void **state)
{
	struct fx *f = *state;
	struct lt_sq_pager p;
	struct walk *w = malloc(sizeof(*w));

	assert_non_null(w);
	add_keys(f->db, 20);
	walk_init(&p, w);
	w->stop_at = 5;
	w->fail = true;
	assert_int_equal(lt_sq_page(f->db, &p), LETHE_ERR_IO);
	assert_string_equal(lt_err_detail(), "delivery failed");
	assert_int_equal(w->delivered, 5);
	assert_int_equal(w->released, 20);
	free(w);
}

/* The last page asks only for what the limit leaves. */
static void test_limit(void **state)
{
	struct fx *f = *state;
	struct lt_sq_pager p;
	struct walk *w = malloc(sizeof(*w));

	assert_non_null(w);
	add_keys(f->db, 300);
	walk_init(&p, w);
	p.limit = 200;
	assert_int_equal(lt_sq_page(f->db, &p), LETHE_OK);
	assert_int_equal(w->delivered, 200);
	assert_int_equal(w->read, 200);
	assert_int_equal(p.limit, 0);
	assert_string_equal(w->keys[199], "k199");
	free(w);
}

struct seen {
	char ids[400][LETHE_ID_LEN + 1];
	size_t n;
};

static int remember(const struct lt_db_object *o, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n < 400);
	memcpy(s->ids[s->n++], o->id, LETHE_ID_LEN + 1);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The rewrap scan keys its pages on the rowid: a delivery that changes nothing (a dry run, a
 * caller that collects a batch first) still sees each row once, however many pages it spans.
 */
static void test_rewrap_scan_pages_by_rowid(void **state)
{
	struct fx *f = *state;
	struct seen *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	add_kek(f->db, 1, true);
	add_kek(f->db, 2, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 300; i++) { /* some locked: that column is not the keyset */
		struct lt_db_object o;

		object_init(&o, i + 1, "g", 1, 2, 1);
		o.locked = i % 2;
		assert_int_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
	}
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_not_under(f->db, 2, 1000, remember, s), LETHE_OK);
	assert_int_equal(s->n, 300);
	qsort(s->ids, s->n, sizeof(s->ids[0]), by_id);
	for (size_t i = 1; i < s->n; i++)
		assert_true(strcmp(s->ids[i - 1], s->ids[i]) < 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_every_row_once_across_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_releases_the_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failing_delivery_is_the_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewrap_scan_pages_by_rowid, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
