/* store_sqlite_fixture.h - what the unit tests of the SQLite metadata store (test_store_sqlite_*.c)
 * share: a fresh database per test, rows to fill it with, and a raw connection to attack it. */
#ifndef LT_TEST_STORE_SQLITE_FIXTURE_H
#define LT_TEST_STORE_SQLITE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

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

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static inline int setup(void **state)
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

static inline int teardown(void **state)
{
	struct fx *f = *state;

	lt_db_close(f->db);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static inline void make_id(unsigned n, char id[LETHE_ID_LEN + 1])
{
	snprintf(id, LETHE_ID_LEN + 1, "%08x-0000-4000-8000-%012x", n, n);
}

static inline void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t) (seed * 31 + i * 7 + 1);
}

static inline void add_kek(struct lt_db *db, uint32_t version, bool primary)
{
	struct lt_db_kek k;

	memset(&k, 0, sizeof(k));
	k.version = version;
	k.primary = primary;
	k.created_at = 1000 + version;
	assert_int_equal(lt_db_kek_insert(db, &k), LETHE_OK);
}

static inline void object_init(struct lt_db_object *o, unsigned n, const char *group,
			       int64_t created, int64_t until, uint32_t kek)
{
	memset(o, 0, sizeof(*o));
	make_id(n, o->id);
	snprintf(o->group, sizeof(o->group), "%s", group);
	snprintf(o->name, sizeof(o->name), "file-%u.txt", n);
	o->size = 1000 + n;
	fill(o->sha256, sizeof(o->sha256), (uint8_t) n);
	o->created_at = created;
	o->retain_until = until;
	o->kek_version = kek;
	o->has_dek = true;
	fill(o->wrapped_dek, sizeof(o->wrapped_dek), (uint8_t) (n + 7));
	o->state = LETHE_STATE_LIVE;
	o->seg_log2 = 16;
}

static inline void add_object(struct lt_db *db, unsigned n, const char *group, int64_t created,
			      int64_t until, uint32_t kek)
{
	struct lt_db_object o;

	object_init(&o, n, group, created, until, kek);
	assert_int_equal(lt_db_object_insert(db, &o), LETHE_OK);
}

static inline sqlite3 *raw_open(const char *path)
{
	sqlite3 *s = NULL;

	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(s, 5000);
	return s;
}

struct obj_list {
	char ids[512][LETHE_ID_LEN + 1];
	int64_t keys[512];
	size_t n;
	size_t stop_after; /* 0: never */
};

static inline int collect_obj(const struct lt_db_object *o, void *ctx)
{
	struct obj_list *l = ctx;

	assert_true(l->n < 512);
	memcpy(l->ids[l->n], o->id, LETHE_ID_LEN + 1);
	l->keys[l->n] = o->retain_until;
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

struct id_list {
	char ids[300][LETHE_ID_LEN + 1];
	size_t n;
};

static inline int collect_id(const char *id, void *ctx)
{
	struct id_list *l = ctx;

	memcpy(l->ids[l->n++], id, LETHE_ID_LEN + 1);
	return 0;
}

static inline void cert_init(struct lt_db_cert *c, unsigned n, const char *json)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "c%07x-0000-4000-8000-%012x", n, n);
	make_id(n, c->object_id);
	strcpy(c->group, "g");
	strcpy(c->reason, "retention-expired");
	c->shredded_at = 500 + n;
	c->json = (const uint8_t *) json;
	c->json_len = strlen(json);
	memset(c->sig, 0x5a, sizeof(c->sig));
	fill(c->sha256, sizeof(c->sha256), (uint8_t) n);
}

static inline void audit_init(struct lt_db_audit *r, uint64_t seq, int64_t time_us)
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
	make_id((unsigned) seq, r->object);
	strcpy(r->group, "g");
	strcpy(r->outcome, "ok");
	strcpy(r->error, "");
	memset(r->mac, (int) seq, sizeof(r->mac));
}

#endif
