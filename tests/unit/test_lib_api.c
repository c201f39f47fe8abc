/* test_lib_api.c - the public API end to end, in process: a store's whole life. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit/syslog.h"
#include "include/lethe.h"

static const char pass[] = "correct horse battery staple";

struct fixture {
	char root[256];
	char dir[300];
	char key[300];
	char conf[300];
	struct lethe_store *st;
	struct lethe_store *officer;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct lethe_init_opts init = {0};
	struct lethe_open_opts open = {0};

	assert_non_null(fx);
	snprintf(fx->root, sizeof(fx->root), "/tmp/lethe-test-lib.XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->root);
	snprintf(fx->key, sizeof(fx->key), "%s/service.key", fx->root);
	snprintf(fx->conf, sizeof(fx->conf), "%s/template.conf", fx->root);
	write_file(fx->conf, "[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\n"
			     "[group:short]\nretention = 2s\n"
			     "[group:locked]\nretention = 1h\nlock = true\n"
			     "[group:gov]\nretention = 1h\n");
	init.dir = fx->dir;
	init.config_template = fx->conf;
	init.keyfile = fx->key;
	init.officer = "alice";
	init.passphrase = pass;
	init.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_init(&init), LETHE_OK);
	open.dir = fx->dir;
	assert_int_equal(lethe_store_open(&open, &fx->st), LETHE_OK);
	open.passphrase = pass;
	open.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_open(&open, &fx->officer), LETHE_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[400];

	lethe_store_close(fx->st);
	lethe_store_close(fx->officer);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* Read object @p id fully into a malloc'd buffer through a memfd. */
static enum lethe_err get_all(struct lethe_store *st, const char *id, uint64_t off, uint64_t len,
			      char **out, uint64_t *n)
{
	int fd = memfd_create("get", 0);
	enum lethe_err rc;

	assert_true(fd >= 0);
	rc = lethe_object_get_fd(st, id, fd, off, len, n);
	*out = malloc(*n + 1);
	assert_non_null(*out);
	assert_int_equal(pread(fd, *out, *n, 0), (ssize_t) *n);
	close(fd);
	return rc;
}

static void test_put_get_stat(void **state)
{
	struct fixture *fx = *state;
	char id[LETHE_ID_LEN + 1];
	struct lethe_object_info info;
	char *buf;
	uint64_t n;
	static const char text[] = "the quick brown fox jumps over the lazy dog";

	assert_int_equal(lethe_object_put_buf(fx->st, text, strlen(text), "gov", "fox.txt", id),
			 LETHE_OK);
	assert_int_equal(strlen(id), LETHE_ID_LEN);
	assert_int_equal(get_all(fx->st, id, 0, LETHE_TO_END, &buf, &n), LETHE_OK);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(buf, text, n);
	free(buf);
	assert_int_equal(get_all(fx->st, id, 4, 5, &buf, &n), LETHE_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "quick", 5);
	free(buf);
	assert_int_equal(lethe_object_stat(fx->st, id, &info), LETHE_OK);
	assert_string_equal(info.group, "gov");
	assert_string_equal(info.name, "fox.txt");
	assert_int_equal(info.size, strlen(text));
	assert_int_equal(info.state, LETHE_STATE_LIVE);
	assert_true(info.retain_until - info.created_at == 3600);
	assert_int_equal(lethe_object_stat(fx->st, "not-an-id", &info), LETHE_ERR_INVALID);
	assert_int_equal(lethe_object_stat(fx->st, "00000000-0000-4000-8000-000000000000", &info),
			 LETHE_ERR_NOT_FOUND);
}

static void test_rm_policy(void **state)
{
	struct fixture *fx = *state;
	char gov[LETHE_ID_LEN + 1], locked[LETHE_ID_LEN + 1], cert[LETHE_ID_LEN + 1];
	struct lethe_object_info info;

	assert_int_equal(lethe_object_put_buf(fx->st, "a", 1, "gov", NULL, gov), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(fx->st, "b", 1, "locked", NULL, locked), LETHE_OK);
	/* not expired: refused without force, force needs an officer, locked refuses all */
	assert_int_equal(lethe_object_rm(fx->st, gov, "test", 0, cert), LETHE_ERR_NOT_EXPIRED);
	assert_int_equal(lethe_object_rm(fx->st, gov, "test", 1, cert), LETHE_ERR_NOT_OFFICER);
	assert_int_equal(lethe_object_rm(fx->officer, locked, "test", 1, cert), LETHE_ERR_LOCKED);
	/* a hold beats everything */
	assert_int_equal(lethe_hold_set(fx->st, gov, NULL, "case 7"), LETHE_OK);
	assert_int_equal(lethe_object_rm(fx->officer, gov, "test", 1, cert), LETHE_ERR_HELD);
	assert_int_equal(lethe_hold_clear(fx->st, gov, NULL, NULL), LETHE_ERR_NOT_OFFICER);
	assert_int_equal(lethe_hold_clear(fx->officer, gov, NULL, "case 7 closed"), LETHE_OK);
	assert_int_equal(lethe_object_rm(fx->officer, gov, "early", 1, cert), LETHE_OK);
	assert_int_equal(strlen(cert), LETHE_ID_LEN);
	assert_int_equal(lethe_object_stat(fx->st, gov, &info), LETHE_OK);
	assert_int_equal(info.state, LETHE_STATE_SHREDDED);
	assert_int_equal(lethe_object_get_fd(fx->st, gov, -1, 0, LETHE_TO_END, NULL),
			 LETHE_ERR_SHREDDED);
	assert_int_equal(lethe_object_rm(fx->officer, gov, "again", 1, cert), LETHE_ERR_SHREDDED);
}

struct sweep_seen {
	int shredded, held;
};

static void on_sweep(enum lethe_sweep_event ev, const char *id, const char *detail, void *ctx)
{
	struct sweep_seen *s = ctx;

	(void) id;
	(void) detail;
	if (ev == LETHE_SWEEP_SHREDDED)
		s->shredded++;
	if (ev == LETHE_SWEEP_HELD)
		s->held++;
}

static void test_sweep(void **state)
{
	struct fixture *fx = *state;
	char a[LETHE_ID_LEN + 1], b[LETHE_ID_LEN + 1], c[LETHE_ID_LEN + 1];
	struct lethe_sweep_result res;
	struct sweep_seen seen = {0, 0};
	uint64_t count = 0;
	struct timespec ts = {0, 50000000};
	struct lethe_object_info info;
	time_t start = time(NULL);

	/* start at the beginning of a second so the first sweep runs before anything expired */
	while (time(NULL) == start)
		nanosleep(&ts, NULL);
	assert_int_equal(lethe_object_put_buf(fx->st, "x", 1, "short", NULL, a), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(fx->st, "y", 1, "short", NULL, b), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(fx->st, "z", 1, "gov", NULL, c), LETHE_OK);
	assert_int_equal(lethe_hold_set(fx->st, b, NULL, "case 9"), LETHE_OK);
	assert_int_equal(lethe_sweep(fx->st, 0, NULL, NULL, &res), LETHE_OK);
	assert_int_equal(res.shredded, 0);
	/* retention of the "short" group is 2 s: wait until it passed, no longer */
	assert_int_equal(lethe_object_stat(fx->st, a, &info), LETHE_OK);
	while (time(NULL) < info.retain_until)
		nanosleep(&ts, NULL);
	assert_int_equal(lethe_sweep(fx->st, 1, on_sweep, &seen, &res), LETHE_OK);
	assert_int_equal(res.shredded, 1);
	assert_int_equal(res.held, 1);
	assert_int_equal(seen.shredded, 1);
	assert_int_equal(lethe_object_get_fd(fx->st, a, -1, 0, LETHE_TO_END, NULL), LETHE_OK);
	assert_int_equal(lethe_sweep(fx->st, 0, NULL, NULL, &res), LETHE_OK);
	assert_int_equal(res.shredded, 1);
	assert_int_equal(res.held, 1);
	assert_int_equal(lethe_object_get_fd(fx->st, a, -1, 0, LETHE_TO_END, NULL),
			 LETHE_ERR_SHREDDED);
	assert_int_equal(lethe_object_get_fd(fx->st, b, -1, 0, LETHE_TO_END, NULL), LETHE_OK);
	assert_int_equal(lethe_object_get_fd(fx->st, c, -1, 0, LETHE_TO_END, NULL), LETHE_OK);
	/* idempotent */
	assert_int_equal(lethe_sweep(fx->st, 0, NULL, NULL, &res), LETHE_OK);
	assert_int_equal(res.shredded, 0);
	assert_int_equal(lethe_evidence_verify(fx->st, NULL, NULL, &count), LETHE_OK);
	assert_int_equal(count, 1);
	assert_int_equal(lethe_audit_verify(fx->st, NULL, NULL, &count), LETHE_OK);
	assert_true(count > 5);
}

static void test_keys(void **state)
{
	struct fixture *fx = *state;
	char id[LETHE_ID_LEN + 1], id2[LETHE_ID_LEN + 1];
	uint32_t v = 0;
	uint64_t n = 0;

	assert_int_equal(lethe_object_put_buf(fx->st, "old", 3, "gov", NULL, id), LETHE_OK);
	assert_int_equal(lethe_key_rotate(fx->st, &v), LETHE_ERR_NOT_OFFICER);
	assert_int_equal(lethe_key_rotate(fx->officer, &v), LETHE_OK);
	assert_int_equal(v, 2);
	assert_int_equal(lethe_object_put_buf(fx->st, "new", 3, "gov", NULL, id2), LETHE_OK);
	assert_int_equal(lethe_key_retire(fx->officer, 1), LETHE_ERR_KEK_IN_USE);
	assert_int_equal(lethe_key_retire(fx->officer, 2), LETHE_ERR_KEK_IN_USE);
	assert_int_equal(lethe_key_rewrap(fx->officer, &n), LETHE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lethe_key_retire(fx->officer, 1), LETHE_OK);
	assert_int_equal(lethe_object_get_fd(fx->st, id, -1, 0, LETHE_TO_END, NULL), LETHE_OK);
	assert_int_equal(lethe_object_get_fd(fx->st, id2, -1, 0, LETHE_TO_END, NULL), LETHE_OK);
}

struct scrub_seen {
	int bad;
	char id[LETHE_ID_LEN + 1];
	char detail[512];
	uint64_t last_done, last_total, calls;
};

static void on_scrub_bad(const char *id, enum lethe_err err, const char *detail, void *ctx)
{
	struct scrub_seen *s = ctx;

	assert_int_equal(err, LETHE_ERR_INTEGRITY);
	s->bad++;
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

static void on_scrub_progress(const char *what, uint64_t done, uint64_t total, void *ctx)
{
	struct scrub_seen *s = ctx;

	assert_string_equal(what, "scrub");
	assert_true(done <= total);
	assert_true(done >= s->last_done);
	s->last_done = done;
	s->last_total = total;
	s->calls++;
}

static void test_scrub(void **state)
{
	struct fixture *fx = *state;
	char ids[3][LETHE_ID_LEN + 1], path[600];
	struct lethe_scrub_opts opts = {0};
	struct lethe_scrub_result res;
	struct scrub_seen seen;
	static char big[300000];
	uint64_t count = 0;
	FILE *f;

	memset(big, 'b', sizeof(big));
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(lethe_object_put_buf(fx->st, big, sizeof(big), "gov", NULL, ids[0]),
			 LETHE_OK);
	assert_int_equal(lethe_object_put_buf(fx->st, "", 0, "gov", NULL, ids[1]), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(fx->st, "c", 1, "gov", NULL, ids[2]), LETHE_OK);
	lethe_store_set_progress(fx->st, on_scrub_progress, &seen);
	assert_int_equal(lethe_store_scrub(fx->st, NULL, on_scrub_bad, &seen, &res), LETHE_OK);
	lethe_store_set_progress(fx->st, NULL, NULL);
	assert_int_equal(res.objects, 3);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.complete, 1);
	assert_string_equal(res.resumed_after, "");
	assert_true(res.bytes > sizeof(big) + 3);
	assert_int_equal(seen.last_total, sizeof(big) + 1);
	assert_int_equal(seen.last_done, sizeof(big) + 1);
	assert_true(seen.calls > 1);

	/* a flipped bit in the middle of the large object's file */
	snprintf(path, sizeof(path), "%s/objects/%.2s/%.2s/%s.lth", fx->dir, ids[0], ids[0] + 2,
		 ids[0]);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 150000, SEEK_SET), 0);
	assert_int_equal(fputc('B', f), 'B');
	fclose(f);
	assert_int_equal(lethe_store_scrub(fx->st, NULL, on_scrub_bad, &seen, &res), LETHE_OK);
	assert_int_equal(res.objects, 3);
	assert_int_equal(res.bad, 1);
	assert_int_equal(seen.bad, 1);
	assert_string_equal(seen.id, ids[0]);
	assert_non_null(strstr(seen.detail, "failed authentication"));

	/* stop after the first object, then resume after it */
	opts.max_bytes = 1;
	assert_int_equal(lethe_store_scrub(fx->st, &opts, NULL, NULL, &res), LETHE_OK);
	assert_int_equal(res.objects, 1);
	assert_int_equal(res.complete, 0);
	opts.max_bytes = 0;
	opts.resume = 1;
	assert_int_equal(lethe_store_scrub(fx->st, &opts, NULL, NULL, &res), LETHE_OK);
	assert_int_equal(res.objects, 2);
	assert_int_equal(res.complete, 1);
	assert_int_equal(strlen(res.resumed_after), LETHE_ID_LEN);
	assert_int_equal(lethe_store_scrub(NULL, NULL, NULL, NULL, &res), LETHE_ERR_INVALID);
	assert_int_equal(lethe_audit_verify(fx->st, NULL, NULL, &count), LETHE_OK);
}

static void test_unlock_failures(void **state)
{
	struct fixture *fx = *state;
	struct lethe_open_opts open = {0};
	struct lethe_store *st = NULL;
	char keystore[400];

	open.dir = fx->dir;
	open.passphrase = "wrong";
	open.passphrase_len = 5;
	assert_int_equal(lethe_store_open(&open, &st), LETHE_ERR_UNLOCK);
	assert_null(st);
	snprintf(keystore, sizeof(keystore), "%s/keystore.luks", fx->dir);
	assert_int_equal(chmod(keystore, 0644), 0);
	open.passphrase = NULL;
	assert_int_equal(lethe_store_open(&open, &st), LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lethe_errdetail(), "keystore.luks"));
	assert_int_equal(chmod(keystore, 0600), 0);
	/* the failed unlock is folded into the chain by the next open, and the chain holds */
	assert_int_equal(lethe_store_open(&open, &st), LETHE_OK);
	assert_int_equal(lethe_audit_verify(st, NULL, NULL, NULL), LETHE_OK);
	lethe_store_close(st);
}

struct sink {
	int lines, warnings;
	char last[2048];
};

static void on_syslog(int priority, const char *line, void *ctx)
{
	struct sink *s = ctx;

	s->lines++;
	if ((priority & LOG_PRIMASK) <= LOG_WARNING)
		s->warnings++;
	snprintf(s->last, sizeof(s->last), "%s", line);
}

static void test_syslog(void **state)
{
	struct fixture *fx = *state;
	struct sink s;
	char id[LETHE_ID_LEN + 1];

	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(on_syslog, &s);
	assert_int_equal(lethe_object_put_buf(fx->st, "s", 1, NULL, NULL, id), LETHE_OK);
	assert_int_equal(s.lines, 1);
	assert_non_null(strstr(s.last, "action=put"));
	assert_non_null(strstr(s.last, id));
	assert_int_equal(lethe_object_rm(fx->st, id, "x", 0, NULL), LETHE_ERR_NOT_EXPIRED);
	assert_int_equal(s.warnings, 1);
	assert_non_null(strstr(s.last, "outcome=refused"));
	lt_syslog_set_sink(NULL, NULL);
}

struct all_lines {
	int warnings;
	char text[8192];
};

static void on_syslog_all(int priority, const char *line, void *ctx)
{
	struct all_lines *s = ctx;
	size_t n = strlen(s->text);

	if ((priority & LOG_PRIMASK) <= LOG_WARNING)
		s->warnings++;
	snprintf(s->text + n, sizeof(s->text) - n, "%s\n", line);
}

/*
 * A read-only mount of the store: the handle knows it is read-only, a get works, its record
 * goes to syslog (the record and a warning that meta.db lacks it) and is counted, nothing is
 * appended to the chain, and a put is refused before anything is written. The mount is made
 * in a mount namespace of this process's own (root only: the CLI suite test_read_only.sh
 * covers other users through a user namespace).
 */
static void test_read_only_syslog(void **state)
{
	struct fixture *fx = *state;
	struct lethe_open_opts open = {0};
	struct lethe_store *ro = NULL;
	struct all_lines s;
	char id[LETHE_ID_LEN + 1], other[LETHE_ID_LEN + 1], ro_dir[320];
	const char *why = NULL;
	uint64_t before = 0, after = 0, n = 0;
	char *got = NULL;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0) {
		print_message("skipped: a read-only mount needs root (see test_read_only.sh)\n");
		skip();
	}
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(lethe_object_put_buf(fx->st, "abc", 3, NULL, NULL, id), LETHE_OK);
	assert_int_equal(lethe_audit_verify(fx->st, NULL, NULL, &before), LETHE_OK);
	snprintf(ro_dir, sizeof(ro_dir), "%s/ro", fx->root);
	assert_int_equal(mkdir(ro_dir, 0700), 0);
	assert_int_equal(mount(fx->dir, ro_dir, NULL, MS_BIND, NULL), 0);
	assert_int_equal(mount(NULL, ro_dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
	open.dir = ro_dir;
	assert_int_equal(lethe_store_open(&open, &ro), LETHE_OK);
	assert_string_equal(lethe_store_read_only(ro), "read-only file system");
	assert_null(lethe_store_read_only(fx->st));

	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(on_syslog_all, &s);
	assert_int_equal(get_all(ro, id, 0, LETHE_TO_END, &got, &n), LETHE_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "abc", 3);
	assert_int_equal(lethe_store_unaudited(ro, &why), 1);
	assert_string_equal(why, "read-only file system");
	assert_non_null(strstr(s.text, "action=get"));
	assert_non_null(strstr(s.text, id));
	assert_non_null(strstr(s.text, "audit record could not be written: read-only file system"));
	assert_true(s.warnings >= 1);
	/* a write is refused before it starts, and is not counted as an unwritten read */
	assert_int_equal(lethe_object_put_buf(ro, "x", 1, NULL, NULL, other), LETHE_ERR_IO);
	assert_non_null(strstr(lethe_errdetail(), "is read-only (read-only file system)"));
	assert_int_equal(lethe_store_unaudited(ro, NULL), 1);
	lt_syslog_set_sink(NULL, NULL);
	lethe_store_close(ro);
	/* detached: SQLite keeps the file open while this process's other connections to the
	 * same inode hold locks (closing it would drop theirs) */
	assert_int_equal(umount2(ro_dir, MNT_DETACH), 0);
	/* nothing was appended to the chain by the read-only handle */
	assert_int_equal(lethe_audit_verify(fx->st, NULL, NULL, &after), LETHE_OK);
	assert_int_equal(after, before);
	free(got);
}

/*
 * Split a syslog line into its keys and values as a SIEM would: key=word or key="..." with
 * backslash escapes. Fails the test on anything else. Returns the number of fields.
 */
static int parse_fields(const char *line, char keys[][16], char values[][512], int max)
{
	const char *p = line;
	int n = 0;

	while (*p) {
		size_t k = 0, v = 0;

		assert_true(n < max);
		while (*p && *p != '=' && *p != ' ' && *p != '"' && k < 15)
			keys[n][k++] = *p++;
		keys[n][k] = '\0';
		assert_true(k > 0);
		assert_int_equal(*p, '=');
		p++;
		if (*p == '"') {
			for (p++; *p && *p != '"' && v < 511; p++) {
				if (*p == '\\') {
					p++;
					assert_non_null(strchr("\"\\nrtx", *p));
				}
				values[n][v++] = *p;
			}
			assert_int_equal(*p, '"');
			p++;
		} else {
			while (*p && *p != ' ' && v < 511) {
				assert_null(strchr("\"\\=", *p));
				values[n][v++] = *p++;
			}
		}
		values[n][v] = '\0';
		n++;
		if (*p) {
			assert_int_equal(*p, ' ');
			p++;
		}
	}
	return n;
}

/* $USER is whatever the caller sets: a failed unlock names the user of the uid, like every
 * other record, and no value can add a field to the syslog line. */
static void test_unlock_record_user(void **state)
{
	static const char *const expect_keys[] = {"seq",    "mac",   "time", "action", "outcome",
						  "object", "group", "uid",  "user",   "keyslot",
						  "pid",    "host",  "error"};
	struct fixture *fx = *state;
	struct lethe_open_opts open = {0};
	struct lethe_store *st = NULL;
	struct passwd *pw = getpwuid(getuid());
	char keys[16][16], values[16][512], me[64], *export;
	struct sink s;
	const char *old_user = getenv("USER");
	char *saved_user = old_user ? strdup(old_user) : NULL;
	int fd, n, i;
	off_t len;

	if (pw)
		snprintf(me, sizeof(me), "%s", pw->pw_name);
	else
		snprintf(me, sizeof(me), "uid%u", (unsigned) getuid());
	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(on_syslog, &s);
	assert_int_equal(setenv("USER", "x action=key.retire outcome=ok", 1), 0);
	open.dir = fx->dir;
	open.passphrase = "wrong \"passphrase\"";
	open.passphrase_len = strlen(open.passphrase);
	assert_int_equal(lethe_store_open(&open, &st), LETHE_ERR_UNLOCK);
	lt_syslog_set_sink(NULL, NULL);
	if (saved_user)
		setenv("USER", saved_user, 1);
	else
		unsetenv("USER");
	free(saved_user);

	assert_int_equal(s.lines, 1);
	assert_int_equal(s.warnings, 1);
	n = parse_fields(s.last, keys, values, 16);
	assert_int_equal(n, (int) (sizeof(expect_keys) / sizeof(expect_keys[0])));
	for (i = 0; i < n; i++)
		assert_string_equal(keys[i], expect_keys[i]);
	assert_string_equal(values[0], "0");
	assert_string_equal(values[1], "-");
	assert_string_equal(values[3], "unlock");
	assert_string_equal(values[4], "failed");
	assert_string_equal(values[8], me);

	/* the pending record, folded into the chain by the next open, names the same user; its
	 * line goes out again with its seq and MAC, but not as a second warning: one failed
	 * unlock is one security event */
	open.passphrase = NULL;
	open.passphrase_len = 0;
	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(on_syslog, &s);
	assert_int_equal(lethe_store_open(&open, &st), LETHE_OK);
	lt_syslog_set_sink(NULL, NULL);
	assert_int_equal(s.lines, 1);
	assert_int_equal(s.warnings, 0);
	assert_non_null(strstr(s.last, "action=unlock"));
	assert_non_null(strstr(s.last, "unauthenticated=true"));
	fd = memfd_create("export", 0);
	assert_true(fd >= 0);
	assert_int_equal(lethe_audit_export(st, fd, 0, 0, NULL), LETHE_OK);
	lethe_store_close(st);
	len = lseek(fd, 0, SEEK_END);
	export = calloc(1, (size_t) len + 1);
	assert_non_null(export);
	assert_int_equal(pread(fd, export, (size_t) len, 0), len);
	close(fd);
	assert_non_null(strstr(export, "\"action\":\"unlock\""));
	assert_non_null(strstr(export, "\"keyslot\":\"\",\"pid\""));
	assert_non_null(strstr(export, "\"unauthenticated\":true"));
	snprintf(values[0], sizeof(values[0]), "\"user\":\"%s\"", me);
	assert_non_null(strstr(export, values[0]));
	assert_null(strstr(export, "key.retire"));
	free(export);
}

static void test_strerror(void **state)
{
	int e;

	(void) state;
	for (e = LETHE_OK; e <= LETHE_ERR_CLOCK; e++) {
		const char *s = lethe_strerror((enum lethe_err) e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test_setup_teardown(test_put_get_stat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rm_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlock_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syslog, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_syslog, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlock_record_user, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
