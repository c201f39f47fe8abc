/* config.h - lethe.conf: the store's settings, read with libinih, validated strictly. */
#ifndef LT_COMMON_CONFIG_H
#define LT_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

/*
 * A [group:NAME] section as written. Plain data: retention/group.h owns the group-name rule
 * (lt_group_sections_check) and what a group's policy is (lt_group_policy_get).
 */
struct lt_config_group {
	char *name;         /* the text after "group:", not checked here */
	unsigned line;      /* the section's line, for messages */
	int64_t retention;  /* seconds; the [retention] default unless has_retention */
	bool lock;          /* lock = true */
	bool has_retention; /* retention given in the section (else the default applies) */
	bool has_lock;      /* lock given in the section */
	int64_t
	    max; /* seconds: the longest retention and extension; [retention] max unless has_max */
	bool has_max; /* max given in the section */
};

struct lt_config {
	/* [store] */
	unsigned segment_log2; /* segment_size = 64KiB -> 16; accepted 4KiB..1MiB, power of 2 */
	unsigned threads;      /* threads = 0 (auto: number of cores, at most 2 used today) */
	/* [keys] */
	char *keyfile;    /* keyfile = PATH (absolute) */
	int64_t rotation; /* rotation = 90d; doctor warns when the primary is older */
	bool auto_rotate; /* auto_rotate = true: `key auto` rotates, rewraps, retires when due */
	uint32_t officer_kdf_memory_kib; /* officer_kdf_memory = 256MiB (Argon2id) */
	uint32_t officer_kdf_time;       /* officer_kdf_time = 4 */
	uint32_t officer_kdf_parallel;   /* officer_kdf_parallel = 2 */
	/* [retention] */
	int64_t default_retention; /* default = 365d */
	int64_t max_retention;     /* max = 100y: no group's retention or extension goes past it */
	bool unknown_groups;       /* unknown_groups = allow: put into a group with no section */
	unsigned sweep_batch;      /* sweep_batch = 500 objects per transaction */
	/* [audit] */
	bool syslog; /* syslog = true */
	/* [group:NAME] sections */
	struct lt_config_group *groups;
	size_t ngroups;
	/* which settings of [store], [keys], [retention] and [audit] the file gave (one bit per
	 * setting, internal to config.c): lt_config_take_security() compares only those */
	uint32_t given;
};

/* Fill @p cfg with the defaults (keyfile NULL). */
void lt_config_defaults(struct lt_config *cfg);

/*
 * Parse @p path. Unknown sections or keys, bad values, duplicate sections or keys and lines
 * too long fail with LETHE_ERR_CONFIG and a detail "PATH:LINE: what is wrong". A missing file
 * is LETHE_ERR_CONFIG too ("PATH: cannot open: ..."). Group names are not checked here: a
 * store's configuration is read with lt_config_load() and then lt_group_sections_check().
 */
enum lethe_err lt_config_load(const char *path, struct lt_config *cfg);

/* Parse from memory (the fuzz target and tests); @p name is used in messages. */
enum lethe_err lt_config_parse(const char *text, size_t len, const char *name,
			       struct lt_config *cfg);

/* Free what lt_config_load/parse allocated; @p cfg may then be reused. */
void lt_config_free(struct lt_config *cfg);

/*
 * Security settings come only from the store's own DIR/lethe.conf: whoever can pass
 * `--config FILE` must not be able to turn off syslog forwarding, weaken the officer KDF,
 * silence the rotation warning, or shorten retention or lift a lock. They are [keys]
 * rotation, auto_rotate, officer_kdf_memory, officer_kdf_time, officer_kdf_parallel; [retention] default;
 * [audit] syslog; and every [group:NAME] section. The others ([store] segment_size, threads,
 * [keys] keyfile, [retention] sweep_batch) may come from FILE.
 *
 * @p cfg was read from @p name (a --config FILE), @p store from the store's own lethe.conf
 * (@p store_name). A security setting that @p name gives with another value than the store
 * applies is LETHE_ERR_CONFIG, naming the setting and saying it belongs in @p store_name;
 * otherwise every security setting of @p cfg is replaced by the store's, groups included.
 */
enum lethe_err lt_config_take_security(struct lt_config *cfg, const char *name,
				       const struct lt_config *store, const char *store_name);

/* Same settings (group retention compared only where given). */
bool lt_config_equal(const struct lt_config *a, const struct lt_config *b);

/*
 * Write a complete, commented lethe.conf for @p cfg (every setting with its value and a
 * comment on what it does) to @p path, created 0600 with O_EXCL, fsynced.
 */
enum lethe_err lt_config_write(const char *path, const struct lt_config *cfg);

#endif
