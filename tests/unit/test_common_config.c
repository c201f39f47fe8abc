/* test_common_config.c - lethe.conf: every setting, every refusal with its line, round trip. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/err.h"

static enum lethe_err parse(const char *text, struct lt_config *cfg)
{
	return lt_config_parse(text, strlen(text), "t.conf", cfg);
}

/* @p text must fail with a detail starting "t.conf:LINE: " and containing @p fragment. */
static void refused_at(const char *text, size_t len, unsigned line, const char *fragment)
{
	struct lt_config cfg;
	char where[32];

	assert_int_equal(lt_config_parse(text, len, "t.conf", &cfg), LETHE_ERR_CONFIG);
	snprintf(where, sizeof(where), "t.conf:%u: ", line);
	if (strncmp(lt_err_detail(), where, strlen(where)) != 0 ||
	    !strstr(lt_err_detail(), fragment))
		fail_msg("for input \"%.60s\": got \"%s\", want \"%s...%s\"", text, lt_err_detail(),
			 where, fragment);
	/* A failed parse leaves nothing to free and the defaults in place. */
	assert_null(cfg.keyfile);
	assert_null(cfg.groups);
	assert_int_equal(cfg.ngroups, 0);
	lt_config_free(&cfg);
}

static void refused(const char *text, unsigned line, const char *fragment)
{
	refused_at(text, strlen(text), line, fragment);
}

static void test_defaults(void **state)
{
	struct lt_config cfg;

	(void) state;
	assert_int_equal(parse("", &cfg), LETHE_OK);
	assert_int_equal(cfg.segment_log2, 16);
	assert_int_equal(cfg.threads, 0);
	assert_null(cfg.keyfile);
	assert_int_equal(cfg.rotation, 90 * 86400);
	assert_false(cfg.auto_rotate);
	assert_int_equal(cfg.officer_kdf_memory_kib, 256 * 1024);
	assert_int_equal(cfg.officer_kdf_time, 4);
	assert_int_equal(cfg.officer_kdf_parallel, 2);
	assert_int_equal(cfg.default_retention, 365 * 86400);
	assert_int_equal(cfg.sweep_batch, 500);
	assert_true(cfg.syslog);
	assert_int_equal(cfg.ngroups, 0);
	lt_config_free(&cfg);
	assert_int_equal(lt_config_parse(NULL, 0, NULL, &cfg), LETHE_OK);
	lt_config_free(&cfg);
}

static const char full_config[] =
    "; a comment\n"
    "# another comment\n"
    "[store]\n"
    "segment_size = 256KiB\n"
    "threads = 8\n"
    "\n"
    "[keys]\n"
    "keyfile = /etc/lethe/service.key\n"
    "rotation = 30d            ; doctor warns when the primary KEK is older\n"
    "auto_rotate = true\n"
    "officer_kdf_memory = 64MiB\n"
    "officer_kdf_time = 6\n"
    "officer_kdf_parallel = 4\n"
    "[retention]\n"
    "default = 52w\n"
    "sweep_batch = 1000\n"
    "[audit]\n"
    "syslog = false\n"
    "[group:finance]\n"
    "retention = 7d\n"
    "lock = true               ; compliance mode\n"
    "[group:hr.records-2]\n"
    "lock = false\n"
    "[group:tmp_uploads]\n"
    "retention = 12h\n";

static void test_every_setting(void **state)
{
	struct lt_config cfg;

	(void) state;
	assert_int_equal(parse(full_config, &cfg), LETHE_OK);
	assert_int_equal(cfg.segment_log2, 18);
	assert_int_equal(cfg.threads, 8);
	assert_string_equal(cfg.keyfile, "/etc/lethe/service.key");
	assert_int_equal(cfg.rotation, 30 * 86400);
	assert_true(cfg.auto_rotate);
	assert_int_equal(cfg.officer_kdf_memory_kib, 64 * 1024);
	assert_int_equal(cfg.officer_kdf_time, 6);
	assert_int_equal(cfg.officer_kdf_parallel, 4);
	assert_int_equal(cfg.default_retention, 52 * 604800);
	assert_int_equal(cfg.sweep_batch, 1000);
	assert_false(cfg.syslog);
	assert_int_equal(cfg.ngroups, 3);
	assert_string_equal(cfg.groups[0].name, "finance");
	assert_int_equal(cfg.groups[0].retention, 7 * 86400);
	assert_true(cfg.groups[0].has_retention);
	assert_true(cfg.groups[0].lock);
	assert_string_equal(cfg.groups[1].name, "hr.records-2");
	assert_false(cfg.groups[1].has_retention);
	assert_int_equal(cfg.groups[1].retention, 52 * 604800);
	assert_false(cfg.groups[1].lock);
	assert_string_equal(cfg.groups[2].name, "tmp_uploads");
	assert_int_equal(cfg.groups[2].retention, 12 * 3600);

	lt_config_free(&cfg);
	assert_null(cfg.keyfile);
	assert_int_equal(cfg.ngroups, 0);
}

/* A group without its own retention takes the default, even one set later in the file. */
static void test_default_after_group(void **state)
{
	struct lt_config cfg;

	(void) state;
	assert_int_equal(parse("[group:a]\nlock = true\n[retention]\ndefault = 10d\n", &cfg),
			 LETHE_OK);
	assert_int_equal(cfg.groups[0].retention, 10 * 86400);
	lt_config_free(&cfg);
}

static void test_syntax_variants_accepted(void **state)
{
	struct lt_config cfg;

	(void) state;
	/* CRLF line ends, a BOM, indentation, tabs, ':' separator, no final newline. */
	assert_int_equal(parse("\xef\xbb\xbf[store]\r\n  threads = 3\r\n\tsegment_size=4KiB\r\n"
			       "[keys]  ; trailing comment\n"
			       "   rotation: 1w\n"
			       "    officer_kdf_time = 5",
			       &cfg),
			 LETHE_OK);
	assert_int_equal(cfg.threads, 3);
	assert_int_equal(cfg.segment_log2, 12);
	assert_int_equal(cfg.rotation, 604800);
	assert_int_equal(cfg.officer_kdf_time, 5);
	lt_config_free(&cfg);
	/* Two indented keys in a row are two keys, not a continuation of the first. */
	assert_int_equal(
	    parse("[keys]\n  officer_kdf_time = 7\n  officer_kdf_parallel = 3\n", &cfg), LETHE_OK);
	assert_int_equal(cfg.officer_kdf_time, 7);
	assert_int_equal(cfg.officer_kdf_parallel, 3);
	lt_config_free(&cfg);
	/* Non-ASCII UTF-8 in a path is fine. */
	assert_int_equal(parse("[keys]\nkeyfile = /etc/lethe/schl\xc3\xbcssel\n", &cfg), LETHE_OK);
	lt_config_free(&cfg);
}

static void test_structure_refused(void **state)
{
	(void) state;
	refused("[store]\n[bogus]\n", 2, "unknown section [bogus]");
	refused("[Store]\n", 1, "unknown section [Store]");
	refused("[store]\nthreads = 1\n\n[store]\n", 4,
		"duplicate section [store] (first at line 1)");
	refused("[group:a]\n[group:b]\n[group:a]\n", 3,
		"duplicate section [group:a] (first at line 1)");
	refused("[store\n", 1, "without ']'");
	refused("[store] threads = 1\n", 1, "text after the section header");
	refused("threads = 1\n", 1, "outside any section");
	refused("[store]\nthreads\n", 2, "expected \"key = value\"");
	refused("[store]\nthreads ; = 4\n", 2, "expected \"key = value\"");
	refused("[store]\n= 4\n", 2, "unknown key \"\"");
	refused("[store]\nthreads = 1\nthreads = 2\n", 3,
		"duplicate key \"threads\" in [store] (first at line 2)");
	refused("[group:x]\nlock = true\nretention = 1d\nlock = false\n", 4,
		"duplicate key \"lock\" in [group:x] (first at line 2)");
	refused("[store]\nthread = 1\n", 2, "unknown key \"thread\" in [store]");
	refused("[keys]\nsegment_size = 64KiB\n", 2, "unknown key \"segment_size\" in [keys]");
	refused("[group:x]\ndefault = 1d\n", 2, "unknown key \"default\" in [group:x]");
	refused("[retention]\nDefault = 1d\n", 2, "unknown key \"Default\"");
}

static void test_values_refused(void **state)
{
	(void) state;
	refused("[store]\nsegment_size = 64KB\n", 2, "segment_size: bad size");
	refused("[store]\nsegment_size = 2KiB\n", 2, "power of two from 4KiB to 1MiB");
	refused("[store]\nsegment_size = 2MiB\n", 2, "power of two");
	refused("[store]\nsegment_size = 65537\n", 2, "power of two");
	refused("[store]\nsegment_size =\n", 2, "segment_size: bad size");
	refused("[store]\nthreads = -1\n", 2, "expected a whole number");
	refused("[store]\nthreads = 1025\n", 2, "out of range (0..1024)");
	refused("[store]\nthreads = 99999999999999999999999\n", 2, "out of range");
	refused("[store]\nthreads = 0x10\n", 2, "expected a whole number");
	refused("[keys]\nkeyfile = service.key\n", 2, "must be an absolute path");
	refused("[keys]\nkeyfile = \"/etc/x\"\n", 2, "must be an absolute path");
	refused("[keys]\nkeyfile =\n", 2, "must be an absolute path");
	refused("[keys]\nrotation = 0d\n", 2, "rotation: duration \"0d\" is zero");
	refused("[keys]\nrotation = 90\n", 2, "rotation: bad duration");
	refused("[keys]\nrotation = 90d # comment\n", 2, "rotation: bad duration");
	refused("[keys]\nofficer_kdf_memory = 16KiB\n", 2, "32KiB to 4GiB");
	refused("[keys]\nofficer_kdf_memory = 8GiB\n", 2, "32KiB to 4GiB");
	refused("[keys]\nofficer_kdf_memory = 33000\n", 2, "whole KiB");
	refused("[keys]\nofficer_kdf_time = 3\n", 2, "out of range (4..1000)");
	refused("[keys]\nofficer_kdf_parallel = 0\n", 2, "out of range (1..4)");
	refused("[keys]\nofficer_kdf_parallel = 5\n", 2, "out of range (1..4)");
	refused("[retention]\ndefault = 0s\n", 2, "default: duration \"0s\" is zero");
	refused("[retention]\ndefault = 1yr\n", 2, "default: bad duration");
	refused("[group:x]\nretention = 40d\nmax = 30d\n", 1,
		"retention = 40d is longer than its max = 30d");
	refused("[group:x]\nretention = 9999999999d\nlock = true\n", 1,
		"is longer than its max = 100y");
	refused("[retention]\nunknown_groups = yes\n", 2, "expected allow or refuse");
	refused("[retention]\ndefault = 99999999999999w\n", 2, "too large");
	refused("[retention]\nsweep_batch = 0\n", 2, "out of range (1..100000)");
	refused("[audit]\nsyslog = yes\n", 2, "expected true or false");
	refused("[audit]\nsyslog = TRUE\n", 2, "expected true or false");
	refused("[group:a]\nretention = 0d\n", 2, "retention: duration \"0d\" is zero");
	refused("[group:a]\nlock = 1\n", 2, "expected true or false");
}

static void test_long_line(void **state)
{
	char text[400];
	struct lt_config cfg;
	int n;

	(void) state;
	/* The longest accepted line is 198 bytes; one more is refused, never cut. */
	n = snprintf(text, sizeof(text), "[keys]\nkeyfile = /%0*d\n", 198 - 11, 0);
	assert_true(n > 0);
	assert_int_equal(parse(text, &cfg), LETHE_OK);
	assert_int_equal(strlen(cfg.keyfile), 198 - 10);
	lt_config_free(&cfg);
	snprintf(text, sizeof(text), "[keys]\nkeyfile = /%0*d\n", 198 - 10, 0);
	refused(text, 2, "line too long (199 bytes, at most 198)");
	/* A long comment is refused too: whatever follows it would be misread. */
	snprintf(text, sizeof(text), "[store]\n\n; %0*d\n", 300, 0);
	refused(text, 3, "line too long");
	/* The last line without a newline is measured the same way. */
	snprintf(text, sizeof(text), "[keys]\nkeyfile = /%0*d", 198 - 10, 0);
	refused(text, 2, "line too long");
}

static void test_binary_junk(void **state)
{
	static const char nul[] = "[store]\nthreads = 1\0junk\n";
	static const char ctrl[] = "[store]\nthreads = \x01\n";
	static const char esc[] = "[store]\n\x1b[2J\n";
	static const char del[] = "[store]\nthreads = 1\x7f\n";
	static const char cr_inside[] = "[store]\nthreads = 1\r2\n";
	static const char bad_utf8[] = "[keys]\nkeyfile = /etc/\xff\xfe\n";
	static const char overlong[] = "[keys]\nkeyfile = /etc/\xc0\xaf\n";
	static const char surrogate[] = "[keys]\nkeyfile = /etc/\xed\xa0\x80\n";
	static const char truncated[] = "[keys]\nkeyfile = /etc/\xe2\x82";
	static const char bom_later[] = "[store]\n\xef\xbb\xbfthreads = 1\n";
	static const char elf[] = "\x7f"
				  "ELF\x02\x01\x01";

	(void) state;
	refused_at(nul, sizeof(nul) - 1, 2, "control byte 0x00 at column 12");
	refused(ctrl, 2, "control byte 0x01");
	refused(esc, 2, "control byte 0x1b");
	refused(del, 2, "control byte 0x7f");
	refused(cr_inside, 2, "control byte 0x0d");
	refused(bad_utf8, 2, "invalid UTF-8 at column 16");
	refused(overlong, 2, "invalid UTF-8");
	refused(surrogate, 2, "invalid UTF-8");
	refused(truncated, 2, "invalid UTF-8");
	/* A BOM is accepted only where one belongs: the start of the file. */
	refused(bom_later, 2, "");
	refused_at(elf, sizeof(elf) - 1, 1, "control byte 0x7f");
}

struct dir {
	char path[512];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/lethe-config-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static void test_write_load_round_trip(void **state)
{
	struct dir *d = *state;
	struct lt_config cfg, back;
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/lethe.conf", d->path);
	assert_int_equal(parse(full_config, &cfg), LETHE_OK);
	assert_int_equal(lt_config_write(path, &cfg), LETHE_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(lt_config_load(path, &back), LETHE_OK);
	assert_true(lt_config_equal(&cfg, &back));
	assert_string_equal(back.keyfile, "/etc/lethe/service.key");
	assert_int_equal(back.ngroups, 3);
	assert_false(back.groups[1].has_retention);
	/* O_EXCL: an existing configuration is never overwritten. */
	assert_int_equal(lt_config_write(path, &cfg), LETHE_ERR_EXISTS);
	lt_config_free(&back);
	lt_config_free(&cfg);
}

static void test_write_defaults_is_complete(void **state)
{
	static const char *const keys[] = {
	    "segment_size = 64KiB",
	    "threads = 0",
	    "keyfile",
	    "rotation = 90d",
	    "auto_rotate = false",
	    "officer_kdf_memory = 256MiB",
	    "officer_kdf_time = 4",
	    "officer_kdf_parallel = 2",
	    "default = 365d",
	    "sweep_batch = 500",
	    "syslog = true",
	};
	struct dir *d = *state;
	struct lt_config cfg, back;
	char path[600];
	char *text;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/defaults.conf", d->path);
	lt_config_defaults(&cfg);
	assert_int_equal(lt_config_write(path, &cfg), LETHE_OK);
	assert_int_equal(lt_config_load(path, &back), LETHE_OK);
	assert_true(lt_config_equal(&cfg, &back));
	assert_null(back.keyfile);
	lt_config_free(&back);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t) len + 1);
	assert_int_equal(fread(text, 1, (size_t) len, f), (size_t) len);
	fclose(f);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(strstr(text, keys[i]));
	/* Every setting line is preceded by a comment saying what it does. */
	assert_non_null(strstr(text, "; forward audit records to syslog"));
	free(text);
}

static void test_write_refuses_unrepresentable(void **state)
{
	struct dir *d = *state;
	struct lt_config cfg;
	char path[600];
	char keyfile[300];

	snprintf(path, sizeof(path), "%s/bad.conf", d->path);
	lt_config_defaults(&cfg);
	cfg.keyfile = (char *) "/etc/lethe/a ;b";
	assert_int_equal(lt_config_write(path, &cfg), LETHE_ERR_CONFIG);
	cfg.keyfile = (char *) "relative.key";
	assert_int_equal(lt_config_write(path, &cfg), LETHE_ERR_CONFIG);
	memset(keyfile, 'k', sizeof(keyfile) - 1);
	keyfile[0] = '/';
	keyfile[sizeof(keyfile) - 1] = '\0';
	cfg.keyfile = keyfile;
	assert_int_equal(lt_config_write(path, &cfg), LETHE_ERR_CONFIG);
	assert_non_null(strstr(lt_err_detail(), "keyfile path"));
	cfg.keyfile = NULL;
	cfg.sweep_batch = 0;
	assert_int_equal(lt_config_write(path, &cfg), LETHE_ERR_CONFIG);
	/* Nothing was created by the refused writes. */
	assert_int_not_equal(access(path, F_OK), 0);
}

static void test_load_missing(void **state)
{
	struct dir *d = *state;
	struct lt_config cfg;
	char path[600];

	snprintf(path, sizeof(path), "%s/none.conf", d->path);
	assert_int_equal(lt_config_load(path, &cfg), LETHE_ERR_CONFIG);
	assert_non_null(strstr(lt_err_detail(), path));
	assert_non_null(strstr(lt_err_detail(), "cannot read"));
	/* Errors from a file name the file. */
	snprintf(path, sizeof(path), "%s/bad.conf", d->path);
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "[store]\n\nthreads = x\n", 21), 21);
		close(fd);
	}
	assert_int_equal(lt_config_load(path, &cfg), LETHE_ERR_CONFIG);
	assert_non_null(strstr(lt_err_detail(), "bad.conf:3: threads"));
}

static void test_many_groups(void **state)
{
	size_t cap = 5000 * 24;
	char *text = malloc(cap);
	struct lt_config cfg;
	size_t len = 0;

	(void) state;
	assert_non_null(text);
	for (int i = 0; i < 4096; i++)
		len += (size_t) snprintf(text + len, cap - len, "[group:g%d]\nlock = true\n", i);
	assert_int_equal(lt_config_parse(text, len, "t.conf", &cfg), LETHE_OK);
	assert_int_equal(cfg.ngroups, 4096);
	lt_config_free(&cfg);
	len += (size_t) snprintf(text + len, cap - len, "[group:one-more]\n");
	assert_int_equal(lt_config_parse(text, len, "t.conf", &cfg), LETHE_ERR_CONFIG);
	assert_non_null(strstr(lt_err_detail(), "t.conf:8193: more than 4096 group sections"));
	free(text);
}

/* --config: every security setting given differently is refused; the same value, or a setting
 * that is not a security setting, is accepted and the store's security values apply. */
static void test_take_security(void **state)
{
	static const char store_text[] = "[keys]\nrotation = 30d\n[retention]\ndefault = 10d\n"
					 "[audit]\nsyslog = true\n[group:fin]\nretention = 7w\n"
					 "lock = true\n";
	static const char *const refused[] = {
	    "[keys]\nrotation = 31d\n",           "[keys]\nofficer_kdf_memory = 32KiB\n",
	    "[keys]\nauto_rotate = true\n",       "[keys]\nofficer_kdf_time = 5\n",
	    "[keys]\nofficer_kdf_parallel = 1\n", "[retention]\ndefault = 9d\n",
	    "[audit]\nsyslog = false\n",          "[group:fin]\nlock = false\n",
	    "[group:fin]\nretention = 1d\n",      "[group:other]\nretention = 1d\n",
	    "[group:other]\nlock = true\n",
	};
	static const char *const accepted[] = {
	    "[store]\nsegment_size = 4KiB\nthreads = 3\n[retention]\nsweep_batch = 9\n",
	    "[keys]\nkeyfile = /elsewhere/key\nrotation = 30d\n",
	    "[retention]\ndefault = 10d\n[audit]\nsyslog = true\n",
	    "[group:fin]\nretention = 7w\nlock = true\n[group:other]\nretention = 10d\n",
	    "[group:other]\n",
	};
	struct lt_config store, cfg;

	(void) state;
	assert_int_equal(lt_config_parse(store_text, strlen(store_text), "own", &store), LETHE_OK);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(lt_config_parse(refused[i], strlen(refused[i]), "other", &cfg),
				 LETHE_OK);
		assert_int_equal(lt_config_take_security(&cfg, "other", &store, "own"),
				 LETHE_ERR_CONFIG);
		assert_non_null(strstr(lt_err_detail(), "differs from the store's own own"));
		lt_config_free(&cfg);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		assert_int_equal(lt_config_parse(accepted[i], strlen(accepted[i]), "other", &cfg),
				 LETHE_OK);
		assert_int_equal(lt_config_take_security(&cfg, "other", &store, "own"), LETHE_OK);
		assert_true(cfg.syslog);
		assert_int_equal(cfg.default_retention, 10 * 86400);
		assert_int_equal(cfg.rotation, 30 * 86400);
		assert_int_equal(cfg.ngroups, 1);
		assert_string_equal(cfg.groups[0].name, "fin");
		assert_true(cfg.groups[0].lock);
		assert_int_equal(cfg.groups[0].retention, 7 * 7 * 86400);
		lt_config_free(&cfg);
	}
	/* what --config may set stays its own */
	assert_int_equal(lt_config_parse(accepted[0], strlen(accepted[0]), "other", &cfg),
			 LETHE_OK);
	assert_int_equal(lt_config_take_security(&cfg, "other", &store, "own"), LETHE_OK);
	assert_int_equal(cfg.segment_log2, 12);
	assert_int_equal(cfg.threads, 3);
	assert_int_equal(cfg.sweep_batch, 9);
	lt_config_free(&cfg);
	lt_config_free(&store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_setting),
	    cmocka_unit_test(test_default_after_group),
	    cmocka_unit_test(test_syntax_variants_accepted),
	    cmocka_unit_test(test_structure_refused),
	    cmocka_unit_test(test_values_refused),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_binary_junk),
	    cmocka_unit_test_setup_teardown(test_write_load_round_trip, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_write_defaults_is_complete, dir_setup,
					    dir_teardown),
	    cmocka_unit_test_setup_teardown(test_write_refuses_unrepresentable, dir_setup,
					    dir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_missing, dir_setup, dir_teardown),
	    cmocka_unit_test(test_many_groups),
	    cmocka_unit_test(test_take_security),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
