/* fuzz_config.c - libFuzzer target: lethe.conf parsing must never crash, leak or misread.
 *
 * Any input either parses or fails with LETHE_ERR_CONFIG (or NOMEM) and a "NAME:LINE: ..."
 * detail, and a parsed configuration whose group sections retention accepts only holds values
 * the validators accept.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "retention/group.h"

/* The group name rule (retention/group.h), restated independently as the oracle. */
static int group_name_ok(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n >= 1 && n <= LETHE_GROUP_MAX && name[n] == '\0';
}

/* Invariants of a configuration that parsed. abort() makes libFuzzer report the input. */
static void check_parsed(const struct lt_config *cfg)
{
	if (cfg->segment_log2 < 12 || cfg->segment_log2 > 20)
		abort();
	if (cfg->rotation < 1 || cfg->default_retention < 1 || cfg->sweep_batch < 1)
		abort();
	if (cfg->keyfile && cfg->keyfile[0] != '/')
		abort();
	for (size_t i = 0; i < cfg->ngroups; i++) {
		if (!group_name_ok(cfg->groups[i].name) || cfg->groups[i].retention < 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lt_config cfg;
	enum lethe_err rc;

	/* what a store reads: the file, then its group sections (retention/group.h) */
	rc = lt_config_parse((const char *) data, size, "fuzz.conf", &cfg);
	if (rc == LETHE_OK)
		rc = lt_group_sections_check(&cfg, "fuzz.conf");
	if (rc == LETHE_OK) {
		check_parsed(&cfg);
	} else {
		if (rc != LETHE_ERR_CONFIG && rc != LETHE_ERR_NOMEM)
			abort();
		if (rc == LETHE_ERR_CONFIG && strncmp(lt_err_detail(), "fuzz.conf:", 10) != 0)
			abort();
	}
	lt_config_free(&cfg);
	return 0;
}
