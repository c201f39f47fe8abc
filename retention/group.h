/* group.h - groups: the group-name rule, and the policy each group's objects are kept under.
 *
 * A group's policy comes from lethe.conf: its [group:NAME] section, else the [retention]
 * default, unlocked. common/config.c only parses those sections into plain data; what they
 * mean, and which names are groups at all, is decided here.
 */
#ifndef LT_RETENTION_GROUP_H
#define LT_RETENTION_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "include/lethe.h"

/* What a group's objects are kept under. */
struct lt_group_policy {
	int64_t retention; /* seconds from created_at to retain_until */
	bool lock;         /* compliance mode: nothing removes an object before its time */
	int64_t max;       /* seconds: no retain_until past now + max (a typo cannot pin forever) */
	bool known;        /* the group has a [group:NAME] section (or is "default") */
};

/* A valid group name: [A-Za-z0-9._-], 1..LETHE_GROUP_MAX bytes. */
bool lt_group_name_valid(const char *group);

/*
 * The policy of @p group (NULL: the default's) under @p cfg: the retention and lock of its
 * [group:NAME] section (a section without "retention" takes the [retention] default), else
 * the [retention] default, unlocked. Names are case-sensitive.
 */
void lt_group_policy_get(const struct lt_config *cfg, const char *group,
			 struct lt_group_policy *out);

/*
 * Every [group:NAME] section of @p cfg names a valid group (lt_group_name_valid). The first
 * that does not fails with LETHE_ERR_CONFIG and the detail "NAME:LINE: ...", @p name being
 * the file's name as lt_config_load() reports it. Run on every configuration a store uses.
 */
enum lethe_err lt_group_sections_check(const struct lt_config *cfg, const char *name);

#endif
