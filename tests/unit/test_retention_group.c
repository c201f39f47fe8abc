/* test_retention_group.c - the group-name rule, group sections of lethe.conf, group policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/err.h"
#include "retention/group.h"

static const char groups_config[] = "[retention]\n"
				    "default = 52w\n"
				    "[group:finance]\n"
				    "retention = 7d\n"
				    "lock = true               ; compliance mode\n"
				    "[group:hr.records-2]\n"
				    "lock = false\n"
				    "[group:tmp_uploads]\n"
				    "retention = 12h\n";

static bool in_group_charset(int c)
{
	return strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", c) &&
	       c != 0;
}

static void test_group_names(void **state)
{
	char name[LETHE_GROUP_MAX + 2];

	(void) state;
	assert_true(lt_group_name_valid("default"));
	assert_true(lt_group_name_valid("a"));
	assert_true(lt_group_name_valid("Finance.EU_2024-q1"));
	assert_false(lt_group_name_valid(NULL));
	assert_false(lt_group_name_valid(""));
	assert_false(lt_group_name_valid("a b"));
	assert_false(lt_group_name_valid("a/b"));
	assert_false(lt_group_name_valid("a:b"));
	assert_false(lt_group_name_valid("[group]"));
	assert_false(lt_group_name_valid("gr\xc3\xbcp"));
	assert_false(lt_group_name_valid("x\n"));

	memset(name, 'g', LETHE_GROUP_MAX);
	name[LETHE_GROUP_MAX] = '\0';
	assert_true(lt_group_name_valid(name));
	name[LETHE_GROUP_MAX] = 'g';
	name[LETHE_GROUP_MAX + 1] = '\0';
	assert_false(lt_group_name_valid(name));

	/* Every byte, alone and inside a valid name. */
	for (int c = 1; c < 256; c++) {
		char one[2] = {(char) c, '\0'};
		char mid[4] = {'a', (char) c, 'b', '\0'};

		assert_int_equal(lt_group_name_valid(one), in_group_charset(c));
		assert_int_equal(lt_group_name_valid(mid), in_group_charset(c));
	}
}

static void test_group_policy(void **state)
{
	struct lt_config cfg;
	struct lt_group_policy p;

	(void) state;
	assert_int_equal(lt_config_parse(groups_config, strlen(groups_config), "t.conf", &cfg),
			 LETHE_OK);
	assert_int_equal(lt_group_sections_check(&cfg, "t.conf"), LETHE_OK);
	lt_group_policy_get(&cfg, "finance", &p);
	assert_int_equal(p.retention, 7 * 86400);
	assert_true(p.lock);
	/* a section without "retention" takes the default */
	lt_group_policy_get(&cfg, "hr.records-2", &p);
	assert_int_equal(p.retention, 52 * 604800);
	assert_false(p.lock);
	lt_group_policy_get(&cfg, "tmp_uploads", &p);
	assert_int_equal(p.retention, 12 * 3600);
	assert_false(p.lock);
	/* no section: the default, unlocked */
	lt_group_policy_get(&cfg, "unknown", &p);
	assert_int_equal(p.retention, 52 * 604800);
	assert_false(p.lock);
	lt_group_policy_get(&cfg, NULL, &p);
	assert_int_equal(p.retention, 52 * 604800);
	lt_group_policy_get(&cfg, "FINANCE", &p); /* names are case-sensitive */
	assert_false(p.lock);
	lt_config_free(&cfg);

	/* a default set after the section still applies to it */
	{
		static const char later[] = "[group:a]\nlock = true\n[retention]\ndefault = 10d\n";

		assert_int_equal(lt_config_parse(later, strlen(later), "t.conf", &cfg), LETHE_OK);
	}
	lt_group_policy_get(&cfg, "a", &p);
	assert_int_equal(p.retention, 10 * 86400);
	assert_true(p.lock);
	lt_config_free(&cfg);
}

/* @p text parses (config.c keeps names as written) and its group sections are refused with a
 * detail starting "t.conf:LINE: " and containing @p fragment. */
static void refused(const char *text, unsigned line, const char *fragment)
{
	struct lt_config cfg;
	char where[32];

	assert_int_equal(lt_config_parse(text, strlen(text), "t.conf", &cfg), LETHE_OK);
	assert_int_equal(lt_group_sections_check(&cfg, "t.conf"), LETHE_ERR_CONFIG);
	snprintf(where, sizeof(where), "t.conf:%u: ", line);
	if (strncmp(lt_err_detail(), where, strlen(where)) != 0 ||
	    !strstr(lt_err_detail(), fragment))
		fail_msg("for input \"%.60s\": got \"%s\", want \"%s...%s\"", text, lt_err_detail(),
			 where, fragment);
	lt_config_free(&cfg);
}

static void test_sections_refused(void **state)
{
	(void) state;
	refused("[group:]\n", 1, "[group:] has an empty group name");
	refused("[group:a b]\n", 1, "[group:a b]: a group name is 1..63 of A-Z a-z 0-9 . _ -");
	refused("[group:a/b]\n", 1, "group name");
	refused("[group:"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
		1, "group name");
	refused("[group:gr\xc3\xbcp]\n", 1, "group name");
	/* the first bad section is named, by its own line */
	refused("[group:ok]\nlock = true\n\n[group:x;y]\n[group:a b]\n", 4, "[group:x;y]");
}

static void test_sections_accepted(void **state)
{
	struct lt_config cfg;
	char name[LETHE_GROUP_MAX + 16];

	(void) state;
	lt_config_defaults(&cfg);
	assert_int_equal(lt_group_sections_check(&cfg, "t.conf"), LETHE_OK);
	memset(name, 0, sizeof(name));
	memcpy(name, "[group:", 7);
	memset(name + 7, 'g', LETHE_GROUP_MAX);
	name[7 + LETHE_GROUP_MAX] = ']';
	assert_int_equal(lt_config_parse(name, strlen(name), "t.conf", &cfg), LETHE_OK);
	assert_int_equal(lt_group_sections_check(&cfg, "t.conf"), LETHE_OK);
	lt_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_names),
	    cmocka_unit_test(test_group_policy),
	    cmocka_unit_test(test_sections_refused),
	    cmocka_unit_test(test_sections_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
