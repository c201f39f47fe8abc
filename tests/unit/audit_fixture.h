/* audit_fixture.h - what the audit/ unit tests share: a fresh meta.db in a temporary directory,
 * a chain key, an actor, a syslog sink that keeps the lines it is sent, and SQL run the way an
 * attacker with the database file would run it (the sqlite3 library on the file, triggers
 * dropped first). Include after cmocka.h. */
#ifndef LT_TESTS_AUDIT_FIXTURE_H
#define LT_TESTS_AUDIT_FIXTURE_H

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/syslog.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "store/db.h"

struct audit_fx {
	char dir[64];
	char path[128];
	struct lt_db *db;
	uint8_t key[LT_KEY_LEN];
	struct lt_audit_actor actor;
	struct lt_audit_queue queue;
	struct lt_audit_log log; /* db, key and queue above */
};

/* Lines received by the syslog sink. */
struct audit_sink {
	int lines, warnings;
	char line[8][LT_AUDIT_LINE_MAX];
};

static inline void audit_sink_fn(int priority, const char *line, void *ctx)
{
	struct audit_sink *s = ctx;

	assert_int_equal(priority & LOG_FACMASK, LOG_AUTHPRIV);
	if ((priority & LOG_PRIMASK) <= LOG_WARNING)
		s->warnings++;
	if (s->lines < 8)
		snprintf(s->line[s->lines], sizeof(s->line[0]), "%s", line);
	s->lines++;
}

/* The default sink: nothing from a test reaches the host's syslog. */
static inline void audit_sink_drop(int priority, const char *line, void *ctx)
{
	(void) priority;
	(void) line;
	(void) ctx;
}

static inline int audit_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static inline int audit_fx_setup(void **state)
{
	struct audit_fx *f = calloc(1, sizeof(*f));
	size_t i;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/lt_audit_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/meta.db", f->dir);
	assert_int_equal(lt_db_open(f->path, true, &f->db), LETHE_OK);
	for (i = 0; i < sizeof(f->key); i++)
		f->key[i] = (uint8_t) (0xa0 + i);
	f->actor.uid = 1001;
	f->actor.pid = 4242;
	strcpy(f->actor.user, "alice");
	strcpy(f->actor.keyslot, "service");
	strcpy(f->actor.host, "db1.example");
	f->log.db = f->db;
	f->log.key = f->key;
	f->log.syslog = &f->queue;
	lt_syslog_set_sink(audit_sink_drop, NULL);
	*state = f;
	return 0;
}

static inline int audit_fx_teardown(void **state)
{
	struct audit_fx *f = *state;

	lt_syslog_set_sink(NULL, NULL);
	lt_audit_queue_free(&f->queue);
	lt_db_close(f->db);
	nftw(f->dir, audit_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Append @p ev in a transaction of its own, committed; its syslog line is dropped (tests of
 * the lines append and flush themselves). */
static inline void audit_fx_append(struct audit_fx *f, const struct lt_audit_event *ev)
{
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_audit_event_append(&f->log, &f->actor, ev), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	lt_audit_queue_flush(&f->queue, false);
}

/* Run @p sql on the database file through a connection of its own, as someone who can write
 * the file would. */
static inline void audit_fx_sql(struct audit_fx *f, const char *sql)
{
	sqlite3 *h = NULL;
	char *err = NULL;

	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
	sqlite3_close(h);
}

#endif
