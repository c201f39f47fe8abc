/* group.c - the group-name rule, and each group's policy from lethe.conf's plain data.
 *
 * Pure functions of their arguments (no clock, no database), like policy.c.
 */
#include "retention/group.h"

#include <string.h>

#include "common/err.h"
#include "common/name.h"

/* The one name rule of common/name.c (also officers' and the service's keyslot names). */
bool lt_group_name_valid(const char *group)
{
	return group != NULL && lt_name_valid(group, LETHE_GROUP_MAX);
}

void lt_group_policy_get(const struct lt_config *cfg, const char *group,
			 struct lt_group_policy *out)
{
	out->retention = cfg->default_retention;
	out->lock = false;
	out->max = cfg->max_retention;
	out->known = !group || strcmp(group, "default") == 0;
	if (!group)
		return;
	for (size_t i = 0; i < cfg->ngroups; i++) {
		if (strcmp(cfg->groups[i].name, group) != 0)
			continue;
		if (cfg->groups[i].has_retention)
			out->retention = cfg->groups[i].retention;
		out->lock = cfg->groups[i].lock;
		out->max = cfg->groups[i].max;
		out->known = true;
		return;
	}
}

enum lethe_err lt_group_sections_check(const struct lt_config *cfg, const char *name)
{
	if (!name)
		name = "lethe.conf";
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct lt_config_group *g = &cfg->groups[i];

		if (g->name[0] == '\0')
			return lt_err(LETHE_ERR_CONFIG, "%s:%u: [group:] has an empty group name",
				      name, g->line);
		if (!lt_group_name_valid(g->name))
			return lt_err(
			    LETHE_ERR_CONFIG,
			    "%s:%u: [group:%s]: a group name is 1..%d of A-Z a-z 0-9 . _ -", name,
			    g->line, g->name, LETHE_GROUP_MAX);
	}
	return LETHE_OK;
}
