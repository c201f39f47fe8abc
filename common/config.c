/* config.c - lethe.conf: parsed with libinih, validated strictly, written back complete.
 *
 * libinih alone is lenient: it cuts long lines and parses the rest as a new line, reads an
 * indented line as the continuation of the previous value, ignores text after "[section]",
 * never reports empty sections and accepts duplicates. A configuration that decides how long
 * records live must not be guessed at, so lethe feeds libinih through its own line reader
 * (ini_parse_stream) that checks every raw line first: length, control bytes, UTF-8, section
 * syntax, unknown and duplicate sections. It then hands libinih the line without its
 * indentation, so no continuation can happen. The handler checks keys and values. The first
 * problem stops the parse and is reported as "NAME:LINE: what is wrong".
 */
#include "common/config.h"

#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/name.h"
#include "common/timeutil.h"
#include "common/utf8.h"

/* A lethe.conf larger than this is not one: refuse before reading it all. */
#define CONFIG_FILE_MAX ((size_t) 1024 * 1024)
/* Bounds the cost of duplicate checks on hostile input; real stores have a handful. */
#define CONFIG_GROUPS_MAX 4096
/* Longest line content (without the newline) libinih's buffer holds: INI_MAX_LINE counts
 * the newline and the NUL as well. */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 2)

#define SEGMENT_LOG2_MIN 12 /* 4 KiB */
#define SEGMENT_LOG2_MAX 20 /* 1 MiB */
#define THREADS_MAX      1024
#define SWEEP_BATCH_MAX  100000
/* The Argon2id limits libcryptsetup accepts for a keyslot. */
#define KDF_MEMORY_MIN_KIB 32
#define KDF_MEMORY_MAX_KIB (UINT64_C(4) * 1024 * 1024)
#define KDF_TIME_MIN       4
#define KDF_TIME_MAX       1000
#define KDF_PARALLEL_MIN   1
#define KDF_PARALLEL_MAX   4

enum section_kind {
	SECTION_NONE = 0,
	SECTION_STORE,
	SECTION_KEYS,
	SECTION_RETENTION,
	SECTION_AUDIT,
	SECTION_GROUP,
};

/* The fixed sections, in the order lt_config_write() emits them. */
static const char *const fixed_sections[] = {
    [SECTION_STORE] = "store",
    [SECTION_KEYS] = "keys",
    [SECTION_RETENTION] = "retention",
    [SECTION_AUDIT] = "audit",
};
#define FIXED_SECTIONS (SECTION_AUDIT + 1)

struct parse_state;
typedef enum lethe_err (*value_fn)(struct parse_state *st, const char *value);

/* One setting: its section, key and parser, and whether only the store's own lethe.conf may
 * set it (lt_config_take_security()). */
struct setting {
	enum section_kind section;
	const char *key;
	value_fn parse;
	bool security;
};

#define KEYS_PER_SECTION_MAX 8

struct parse_state {
	struct lt_config *cfg;
	const char *name; /* file name for messages */
	const char *text;
	size_t len;
	size_t pos;
	unsigned line;     /* number of the line last handed to libinih */
	enum lethe_err rc; /* first problem; stops the parse */
	enum section_kind section;
	struct lt_config_group *group; /* current [group:NAME], or NULL */
	unsigned section_line[FIXED_SECTIONS];
	unsigned key_line[KEYS_PER_SECTION_MAX]; /* where each key of this section was set */
};

static enum lethe_err fail(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record the first problem as "NAME:LINE: ..." and stop the parse. */
static enum lethe_err fail(struct parse_state *st, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	/* Only the first problem counts: later ones may be consequences of it. */
	if (st->rc != LETHE_OK)
		return st->rc;
	what[0] = '\0';
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): analyzer bug, llvm#40656 */
	(void) vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	st->rc = lt_err(LETHE_ERR_CONFIG, "%s:%u: %s", st->name, st->line, what);
	return st->rc;
}

/* The detail of a failed value parser (lt_duration_parse...) placed after NAME:LINE. */
static enum lethe_err fail_value(struct parse_state *st, const char *key)
{
	struct lt_err_saved why;

	return fail(st, "%s: %s", key, lt_err_save(&why));
}

/* ---- values ------------------------------------------------------------------------- */

static enum lethe_err parse_uint(struct parse_state *st, const char *key, const char *value,
				 unsigned min, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	const char *p = value;

	if (*p == '\0')
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned long) (*p - '0');
		if (v > max)
			return fail(st, "%s = %s: out of range (%u..%u)", key, value, min, max);
	}
	if (v < min)
		return fail(st, "%s = %s: out of range (%u..%u)", key, value, min, max);
	*out = (unsigned) v;
	return LETHE_OK;
bad:
	return fail(st, "%s = \"%s\": expected a whole number %u..%u", key, value, min, max);
}

/* parse_uint() into a uint32_t field (the KDF parameters libcryptsetup takes). */
static enum lethe_err parse_u32(struct parse_state *st, const char *key, const char *value,
				unsigned min, unsigned max, uint32_t *out)
{
	unsigned v = 0;
	enum lethe_err rc = parse_uint(st, key, value, min, max, &v);

	if (rc == LETHE_OK)
		*out = v;
	return rc;
}

static enum lethe_err parse_bool(struct parse_state *st, const char *key, const char *value,
				 bool *out)
{
	if (strcmp(value, "true") == 0)
		*out = true;
	else if (strcmp(value, "false") == 0)
		*out = false;
	else
		return fail(st, "%s = \"%s\": expected true or false", key, value);
	return LETHE_OK;
}

static enum lethe_err parse_duration(struct parse_state *st, const char *key, const char *value,
				     int64_t *out)
{
	if (lt_duration_parse(value, out) != LETHE_OK)
		return fail_value(st, key);
	return LETHE_OK;
}

static enum lethe_err set_segment_size(struct parse_state *st, const char *value)
{
	uint64_t bytes;
	unsigned log2 = 0;

	if (lt_size_parse(value, &bytes) != LETHE_OK)
		return fail_value(st, "segment_size");
	while (log2 < 63 && (1ULL << log2) < bytes)
		log2++;
	if ((1ULL << log2) != bytes || log2 < SEGMENT_LOG2_MIN || log2 > SEGMENT_LOG2_MAX)
		return fail(st, "segment_size = %s: must be a power of two from 4KiB to 1MiB",
			    value);
	st->cfg->segment_log2 = log2;
	return LETHE_OK;
}

static enum lethe_err set_threads(struct parse_state *st, const char *value)
{
	return parse_uint(st, "threads", value, 0, THREADS_MAX, &st->cfg->threads);
}

static enum lethe_err set_keyfile(struct parse_state *st, const char *value)
{
	char *copy;

	/* Relative to what? The working directory of whoever runs lethe: never what was meant. */
	if (value[0] != '/')
		return fail(st, "keyfile = \"%s\": must be an absolute path", value);
	copy = strdup(value);
	if (!copy) {
		st->rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", st->name);
		return st->rc;
	}
	st->cfg->keyfile = copy;
	return LETHE_OK;
}

static enum lethe_err set_rotation(struct parse_state *st, const char *value)
{
	return parse_duration(st, "rotation", value, &st->cfg->rotation);
}

static enum lethe_err set_kdf_memory(struct parse_state *st, const char *value)
{
	uint64_t bytes;

	if (lt_size_parse(value, &bytes) != LETHE_OK)
		return fail_value(st, "officer_kdf_memory");
	if (bytes % 1024 != 0 || bytes / 1024 < KDF_MEMORY_MIN_KIB ||
	    bytes / 1024 > KDF_MEMORY_MAX_KIB)
		return fail(st, "officer_kdf_memory = %s: must be whole KiB from 32KiB to 4GiB",
			    value);
	st->cfg->officer_kdf_memory_kib = (uint32_t) (bytes / 1024);
	return LETHE_OK;
}

static enum lethe_err set_kdf_time(struct parse_state *st, const char *value)
{
	return parse_u32(st, "officer_kdf_time", value, KDF_TIME_MIN, KDF_TIME_MAX,
			 &st->cfg->officer_kdf_time);
}

static enum lethe_err set_kdf_parallel(struct parse_state *st, const char *value)
{
	return parse_u32(st, "officer_kdf_parallel", value, KDF_PARALLEL_MIN, KDF_PARALLEL_MAX,
			 &st->cfg->officer_kdf_parallel);
}

static enum lethe_err set_default_retention(struct parse_state *st, const char *value)
{
	return parse_duration(st, "default", value, &st->cfg->default_retention);
}

static enum lethe_err set_max_retention(struct parse_state *st, const char *value)
{
	return parse_duration(st, "max", value, &st->cfg->max_retention);
}

static enum lethe_err set_unknown_groups(struct parse_state *st, const char *value)
{
	if (strcmp(value, "allow") == 0)
		st->cfg->unknown_groups = true;
	else if (strcmp(value, "refuse") == 0)
		st->cfg->unknown_groups = false;
	else
		return fail(st, "unknown_groups = \"%s\": expected allow or refuse", value);
	return LETHE_OK;
}

static enum lethe_err set_sweep_batch(struct parse_state *st, const char *value)
{
	return parse_uint(st, "sweep_batch", value, 1, SWEEP_BATCH_MAX, &st->cfg->sweep_batch);
}

static enum lethe_err set_auto_rotate(struct parse_state *st, const char *value)
{
	return parse_bool(st, "auto_rotate", value, &st->cfg->auto_rotate);
}

static enum lethe_err set_syslog(struct parse_state *st, const char *value)
{
	return parse_bool(st, "syslog", value, &st->cfg->syslog);
}

static enum lethe_err set_group_retention(struct parse_state *st, const char *value)
{
	enum lethe_err rc = parse_duration(st, "retention", value, &st->group->retention);

	if (rc == LETHE_OK)
		st->group->has_retention = true;
	return rc;
}

static enum lethe_err set_group_max(struct parse_state *st, const char *value)
{
	enum lethe_err rc = parse_duration(st, "max", value, &st->group->max);

	if (rc == LETHE_OK)
		st->group->has_max = true;
	return rc;
}

static enum lethe_err set_group_lock(struct parse_state *st, const char *value)
{
	enum lethe_err rc = parse_bool(st, "lock", value, &st->group->lock);

	if (rc == LETHE_OK)
		st->group->has_lock = true;
	return rc;
}

static const struct setting settings[] = {
    {SECTION_STORE, "segment_size", set_segment_size, false},
    {SECTION_STORE, "threads", set_threads, false},
    {SECTION_KEYS, "keyfile", set_keyfile, false},
    {SECTION_KEYS, "rotation", set_rotation, true},
    {SECTION_KEYS, "auto_rotate", set_auto_rotate, true},
    {SECTION_KEYS, "officer_kdf_memory", set_kdf_memory, true},
    {SECTION_KEYS, "officer_kdf_time", set_kdf_time, true},
    {SECTION_KEYS, "officer_kdf_parallel", set_kdf_parallel, true},
    {SECTION_RETENTION, "default", set_default_retention, true},
    {SECTION_RETENTION, "sweep_batch", set_sweep_batch, false},
    {SECTION_RETENTION, "max", set_max_retention, true},
    {SECTION_RETENTION, "unknown_groups", set_unknown_groups, true},
    {SECTION_AUDIT, "syslog", set_syslog, true},
    {SECTION_GROUP, "retention", set_group_retention, true},
    {SECTION_GROUP, "lock", set_group_lock, true},
    {SECTION_GROUP, "max", set_group_max, true},
};
#define SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* ---- sections ----------------------------------------------------------------------- */

/* A [group:NAME] section: its name is kept as written (retention/ checks it). */
static enum lethe_err open_group(struct parse_state *st, const char *name)
{
	struct lt_config *cfg = st->cfg;
	struct lt_config_group *groups;
	char *copy;

	for (size_t i = 0; i < cfg->ngroups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return fail(st, "duplicate section [group:%s] (first at line %u)", name,
				    cfg->groups[i].line);
	if (cfg->ngroups >= CONFIG_GROUPS_MAX)
		return fail(st, "more than %d group sections", CONFIG_GROUPS_MAX);
	groups = realloc(cfg->groups, (cfg->ngroups + 1) * sizeof(*groups));
	if (!groups)
		goto nomem;
	cfg->groups = groups;
	copy = strdup(name);
	if (!copy)
		goto nomem;
	st->group = &cfg->groups[cfg->ngroups];
	memset(st->group, 0, sizeof(*st->group));
	st->group->name = copy;
	st->group->line = st->line;
	st->group->retention = cfg->default_retention;
	cfg->ngroups++;
	st->section = SECTION_GROUP;
	return LETHE_OK;
nomem:
	st->rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", st->name);
	return st->rc;
}

static enum lethe_err open_section(struct parse_state *st, const char *name)
{
	memset(st->key_line, 0, sizeof(st->key_line));
	st->group = NULL;
	if (strncmp(name, "group:", 6) == 0)
		return open_group(st, name + 6);
	for (int kind = SECTION_STORE; kind < FIXED_SECTIONS; kind++) {
		if (strcmp(name, fixed_sections[kind]) != 0)
			continue;
		if (st->section_line[kind] != 0)
			return fail(st, "duplicate section [%s] (first at line %u)", name,
				    st->section_line[kind]);
		st->section_line[kind] = st->line;
		st->section = (enum section_kind) kind;
		return LETHE_OK;
	}
	return fail(st, "unknown section [%s] (known: store, keys, retention, audit, group:NAME)",
		    name);
}

/*
 * A section line: "[" NAME "]", then nothing but blanks or a comment. @p line has no
 * indentation and ends at the end of the line (no newline).
 */
static enum lethe_err check_section_line(struct parse_state *st, const char *line, size_t len)
{
	char name[CONFIG_LINE_MAX + 1];
	const char *close = memchr(line, ']', len);
	size_t n;

	if (!close)
		return fail(st, "section header without ']'");
	for (const char *p = close + 1; p < line + len; p++) {
		if (*p == ';' || *p == '#')
			break;
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return fail(st, "text after the section header");
	}
	n = (size_t) (close - line - 1);
	memcpy(name, line + 1, n);
	name[n] = '\0';
	return open_section(st, name);
}

/* ---- the line reader ---------------------------------------------------------------- */

/* Refuse bytes no text configuration contains: NUL, control characters, invalid UTF-8. */
static enum lethe_err check_line_bytes(struct parse_state *st, const char *line, size_t len)
{
	const unsigned char *s = (const unsigned char *) line;

	for (size_t i = 0; i < len;) {
		size_t step;

		/* A CR is allowed only as the last byte (CRLF line ends). */
		if (s[i] == '\r' && i + 1 == len)
			break;
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return fail(st, "control byte 0x%02x at column %zu (not a text file?)",
				    s[i], i + 1);
		step = lt_utf8_len(s + i, len - i);
		if (step == 0)
			return fail(st, "invalid UTF-8 at column %zu", i + 1);
		i += step;
	}
	return LETHE_OK;
}

/* Where the text between '=' or ':' would be found by libinih: a key line must have one. */
static bool has_separator(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '=' || line[i] == ':')
			return true;
		/* libinih starts an inline comment at ';' after a blank. */
		if (line[i] == ';' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t'))
			return false;
	}
	return false;
}

/* Check one raw line; on success it is in [line, line + len) without indentation. */
static enum lethe_err check_line(struct parse_state *st, const char **line, size_t *len)
{
	const char *s = *line;
	size_t n = *len;
	enum lethe_err rc;

	if (n > CONFIG_LINE_MAX)
		return fail(st, "line too long (%zu bytes, at most %d)", n, CONFIG_LINE_MAX);
	/* A UTF-8 byte order mark may open the file; libinih never sees it. */
	if (st->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, n -= 3;
	rc = check_line_bytes(st, s, n);
	if (rc != LETHE_OK)
		return rc;
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	*line = s;
	*len = n;
	if (n == 0 || *s == ';' || *s == '#' || *s == '\r')
		return LETHE_OK;
	if (*s == '[')
		return check_section_line(st, s, n);
	if (!has_separator(s, n))
		return fail(st, "expected \"key = value\" or \"[section]\"");
	return LETHE_OK;
}

/* ini_reader: hands libinih one checked line at a time, and NULL to stop on a problem. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse_state *st = stream;
	const char *line = st->text + st->pos;
	const char *nl;
	size_t len;

	if (st->rc != LETHE_OK || st->pos >= st->len)
		return NULL;
	nl = memchr(line, '\n', st->len - st->pos);
	len = nl ? (size_t) (nl - line) : st->len - st->pos;
	st->pos += len + (nl ? 1 : 0);
	st->line++;
	if (check_line(st, &line, &len) != LETHE_OK)
		return NULL;
	/* Never reached with libinih's buffer, whose size CONFIG_LINE_MAX is derived from. */
	if (size < 2 || len > (size_t) size - 2) {
		fail(st, "line too long (at most %d bytes)", size - 2);
		return NULL;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	return buf;
}

/* ---- the handler -------------------------------------------------------------------- */

/* The current section as written: "[store]", "[group:finance]". */
static const char *section_label(const struct parse_state *st, char *buf, size_t len)
{
	if (st->group)
		(void) snprintf(buf, len, "[group:%s]", st->group->name);
	else
		(void) snprintf(buf, len, "[%s]", fixed_sections[st->section]);
	return buf;
}

static enum lethe_err set_value(struct parse_state *st, const char *key, const char *value)
{
	char label[CONFIG_LINE_MAX + 16];
	unsigned index = 0;

	if (st->section == SECTION_NONE)
		return fail(st, "\"%s\" is outside any section", key);
	for (size_t i = 0; i < SETTINGS; i++) {
		if (settings[i].section != st->section)
			continue;
		if (strcmp(settings[i].key, key) != 0) {
			index++;
			continue;
		}
		if (st->key_line[index] != 0)
			return fail(st, "duplicate key \"%s\" in %s (first at line %u)", key,
				    section_label(st, label, sizeof(label)), st->key_line[index]);
		st->key_line[index] = st->line;
		if (st->section != SECTION_GROUP)
			st->cfg->given |= UINT32_C(1) << i;
		return settings[i].parse(st, value);
	}
	return fail(st, "unknown key \"%s\" in %s", key, section_label(st, label, sizeof(label)));
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;

	(void) section; /* the reader tracks the section, already validated */
	if (st->rc != LETHE_OK)
		return 0;
	return set_value(st, key, value ? value : "") == LETHE_OK;
}

/* ---- public ------------------------------------------------------------------------- */

void lt_config_defaults(struct lt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->segment_log2 = 16;
	cfg->threads = 0;
	cfg->keyfile = NULL;
	cfg->rotation = (int64_t) 90 * 86400;
	cfg->officer_kdf_memory_kib = 256 * 1024;
	cfg->officer_kdf_time = 4;
	cfg->officer_kdf_parallel = 2;
	cfg->default_retention = (int64_t) 365 * 86400;
	cfg->max_retention = (int64_t) 100 * 31557600; /* 100y */
	cfg->unknown_groups = false;
	cfg->sweep_batch = 500;
	cfg->syslog = true;
}

void lt_config_free(struct lt_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->keyfile);
	for (size_t i = 0; i < cfg->ngroups; i++)
		free(cfg->groups[i].name);
	free(cfg->groups);
	lt_config_defaults(cfg);
}

/*
 * A group's retention is fixed after the whole file is read: [retention] default may come
 * after the group sections that inherit it.
 */
static void resolve_group_defaults(struct lt_config *cfg)
{
	for (size_t i = 0; i < cfg->ngroups; i++) {
		if (!cfg->groups[i].has_retention)
			cfg->groups[i].retention = cfg->default_retention;
		if (!cfg->groups[i].has_max)
			cfg->groups[i].max = cfg->max_retention;
	}
}

/*
 * A retention longer than its maximum is a typo that cannot be undone once an object is put
 * under it with lock = true: refused when the file is read.
 */
static enum lethe_err check_max(const struct lt_config *cfg, const char *name)
{
	char r[32], m[32];

	if (cfg->default_retention > cfg->max_retention) {
		lt_duration_format(cfg->default_retention, r, sizeof(r));
		lt_duration_format(cfg->max_retention, m, sizeof(m));
		return lt_err(LETHE_ERR_CONFIG,
			      "%s: [retention] default = %s is longer than max = %s", name, r, m);
	}
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct lt_config_group *g = &cfg->groups[i];

		if (g->has_retention && g->retention > g->max) {
			lt_duration_format(g->retention, r, sizeof(r));
			lt_duration_format(g->max, m, sizeof(m));
			return lt_err(
			    LETHE_ERR_CONFIG,
			    "%s:%u: [group:%.80s] retention = %s is longer than its max = %s "
			    "(set max to allow it)",
			    name, g->line, g->name, r, m);
		}
	}
	return LETHE_OK;
}

enum lethe_err lt_config_parse(const char *text, size_t len, const char *name,
			       struct lt_config *cfg)
{
	struct parse_state st;
	int line;

	lt_config_defaults(cfg);
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.name = name ? name : "lethe.conf";
	st.text = text;
	st.len = text ? len : 0;
	line = ini_parse_stream(read_line, &st, on_value, &st);
	/* libinih's own complaints (none expected after the reader's checks) come second. */
	if (st.rc == LETHE_OK && line != 0) {
		st.line = line > 0 ? (unsigned) line : st.line;
		fail(&st, "cannot parse this line");
	}
	if (st.rc != LETHE_OK) {
		lt_config_free(cfg);
		return st.rc;
	}
	resolve_group_defaults(cfg);
	st.rc = check_max(cfg, st.name);
	if (st.rc != LETHE_OK)
		lt_config_free(cfg);
	return st.rc;
}

enum lethe_err lt_config_load(const char *path, struct lt_config *cfg)
{
	enum lethe_err rc;
	char *text = NULL;
	size_t len = 0;

	lt_config_defaults(cfg);
	rc = lt_read_file(path, CONFIG_FILE_MAX, &text, &len);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	/* A disk that fails the read is an I/O error, not a bad configuration. */
	if (rc != LETHE_OK)
		return lt_err(rc == LETHE_ERR_IO ? LETHE_ERR_IO : LETHE_ERR_CONFIG,
			      "%s: cannot read: %s", path, lt_err_detail());
	rc = lt_config_parse(text, len, path, cfg);
	free(text);
	return rc;
}

/* ---- security settings -------------------------------------------------------------- */

/* Does @p a give setting @p i ([store], [keys], [retention], [audit]) with another value than
 * @p store applies? */
static bool setting_differs(const struct lt_config *a, const struct lt_config *store, size_t i)
{
	value_fn parse = settings[i].parse;

	if (!(a->given & (UINT32_C(1) << i)))
		return false;
	if (parse == set_rotation)
		return a->rotation != store->rotation;
	if (parse == set_auto_rotate)
		return a->auto_rotate != store->auto_rotate;
	if (parse == set_kdf_memory)
		return a->officer_kdf_memory_kib != store->officer_kdf_memory_kib;
	if (parse == set_kdf_time)
		return a->officer_kdf_time != store->officer_kdf_time;
	if (parse == set_kdf_parallel)
		return a->officer_kdf_parallel != store->officer_kdf_parallel;
	if (parse == set_default_retention)
		return a->default_retention != store->default_retention;
	if (parse == set_syslog)
		return a->syslog != store->syslog;
	if (parse == set_max_retention)
		return a->max_retention != store->max_retention;
	if (parse == set_unknown_groups)
		return a->unknown_groups != store->unknown_groups;
	/* a security setting this function does not know: treat it as different, never as
	 * harmless (a test walks the table) */
	return true;
}

static const struct lt_config_group *find_group(const struct lt_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ngroups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

static enum lethe_err refuse_setting(const char *name, const char *what, const char *store_name)
{
	return lt_err(LETHE_ERR_CONFIG,
		      "%s: %s differs from the store's own %s: security settings come only from "
		      "the store's lethe.conf; change it there",
		      name, what, store_name);
}

/* A [group:NAME] of --config against the policy the store applies to that group. */
static enum lethe_err group_check(const struct lt_config_group *g, const char *name,
				  const struct lt_config *store, const char *store_name)
{
	const struct lt_config_group *s = find_group(store, g->name);
	int64_t retention = s ? s->retention : store->default_retention;
	int64_t max = s ? s->max : store->max_retention;
	bool lock = s ? s->lock : false;
	char what[96];

	if (g->has_max && g->max != max) {
		(void) snprintf(what, sizeof(what), "[group:%.63s] max", g->name);
		return refuse_setting(name, what, store_name);
	}
	if (g->has_retention && g->retention != retention) {
		(void) snprintf(what, sizeof(what), "[group:%.63s] retention", g->name);
		return refuse_setting(name, what, store_name);
	}
	if (g->has_lock && g->lock != lock) {
		(void) snprintf(what, sizeof(what), "[group:%.63s] lock", g->name);
		return refuse_setting(name, what, store_name);
	}
	return LETHE_OK;
}

static enum lethe_err copy_groups(struct lt_config *cfg, const struct lt_config *store)
{
	struct lt_config_group *groups = NULL;
	size_t i;

	if (store->ngroups) {
		groups = calloc(store->ngroups, sizeof(*groups));
		if (!groups)
			return LETHE_ERR_NOMEM;
	}
	for (i = 0; i < store->ngroups; i++) {
		groups[i] = store->groups[i];
		groups[i].name = strdup(store->groups[i].name);
		if (!groups[i].name) {
			while (i-- > 0)
				free(groups[i].name);
			free(groups);
			return LETHE_ERR_NOMEM;
		}
	}
	for (i = 0; i < cfg->ngroups; i++)
		free(cfg->groups[i].name);
	free(cfg->groups);
	cfg->groups = groups;
	cfg->ngroups = store->ngroups;
	return LETHE_OK;
}

enum lethe_err lt_config_take_security(struct lt_config *cfg, const char *name,
				       const struct lt_config *store, const char *store_name)
{
	char what[64];
	enum lethe_err rc;

	for (size_t i = 0; i < SETTINGS; i++) {
		if (!settings[i].security || settings[i].section == SECTION_GROUP ||
		    !setting_differs(cfg, store, i))
			continue;
		(void) snprintf(what, sizeof(what), "[%s] %s", fixed_sections[settings[i].section],
				settings[i].key);
		return refuse_setting(name, what, store_name);
	}
	for (size_t i = 0; i < cfg->ngroups; i++) {
		rc = group_check(&cfg->groups[i], name, store, store_name);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = copy_groups(cfg, store);
	if (rc != LETHE_OK)
		return lt_err(rc, "%s: out of memory", name);
	cfg->rotation = store->rotation;
	cfg->auto_rotate = store->auto_rotate;
	cfg->officer_kdf_memory_kib = store->officer_kdf_memory_kib;
	cfg->officer_kdf_time = store->officer_kdf_time;
	cfg->officer_kdf_parallel = store->officer_kdf_parallel;
	cfg->default_retention = store->default_retention;
	cfg->max_retention = store->max_retention;
	cfg->unknown_groups = store->unknown_groups;
	cfg->syslog = store->syslog;
	return LETHE_OK;
}

/* ---- writing ------------------------------------------------------------------------ */

struct text_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;    /* out of memory */
	bool long_line; /* a line would not load back */
};

static void emit(struct text_buf *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append one formatted line (the newline is added here). */
static void emit(struct text_buf *tb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tb->failed)
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): analyzer bug, llvm#40656 */
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		tb->failed = true;
		return;
	}
	if ((size_t) n > CONFIG_LINE_MAX)
		tb->long_line = true;
	if (tb->len + (size_t) n + 2 > tb->cap) {
		size_t cap = (tb->cap ? tb->cap * 2 : 4096) + (size_t) n + 2;
		char *data = realloc(tb->data, cap);

		if (!data) {
			tb->failed = true;
			return;
		}
		tb->data = data;
		tb->cap = cap;
	}
	va_start(ap, fmt);
	(void) vsnprintf(tb->data + tb->len, tb->cap - tb->len, fmt, ap);
	va_end(ap);
	tb->len += (size_t) n;
	tb->data[tb->len++] = '\n';
	tb->data[tb->len] = '\0';
}

/* Bytes as the largest exact IEC unit lt_size_parse() reads back: 262144 -> "256KiB". */
static void size_exact(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};

	for (unsigned i = 0; i < 4; i++) {
		uint64_t unit = 1ULL << (10 * (4 - i));

		if (bytes != 0 && bytes % unit == 0) {
			(void) snprintf(buf, len, "%llu%s", (unsigned long long) (bytes / unit),
					units[i]);
			return;
		}
	}
	(void) snprintf(buf, len, "%llu", (unsigned long long) bytes);
}

static void emit_store_keys(struct text_buf *tb, const struct lt_config *cfg)
{
	char v[32];

	emit(tb, "[store]");
	size_exact(1ULL << cfg->segment_log2, v, sizeof(v));
	emit(tb, "; plaintext bytes per encrypted segment of new objects: power of 2, 4KiB..1MiB");
	emit(tb, "segment_size = %s", v);
	emit(tb, "; worker threads for large objects; 0 picks the number of cores");
	emit(tb, "threads = %u", cfg->threads);
	emit(tb, "%s", "");
	emit(tb, "[keys]");
	emit(tb, "; service keyfile (256 random bits, mode 0600) that unlocks the keystore");
	if (cfg->keyfile)
		emit(tb, "keyfile = %s", cfg->keyfile);
	else
		emit(tb, "; keyfile = /etc/lethe/service.key");
	lt_duration_format(cfg->rotation, v, sizeof(v));
	emit(tb, "; lethe doctor warns when the primary key-encryption key is older than this");
	emit(tb, "rotation = %s", v);
	emit(tb,
	     "; true: `lethe key auto` (lethe-rotate.timer) rotates, rewraps and retires when due");
	emit(tb, "auto_rotate = %s", cfg->auto_rotate ? "true" : "false");
	size_exact((uint64_t) cfg->officer_kdf_memory_kib * 1024, v, sizeof(v));
	emit(tb, "; Argon2id cost of new officer passphrase keyslots: memory, passes, threads");
	emit(tb, "officer_kdf_memory = %s", v);
	emit(tb, "officer_kdf_time = %u", cfg->officer_kdf_time);
	emit(tb, "officer_kdf_parallel = %u", cfg->officer_kdf_parallel);
	emit(tb, "%s", "");
}

static void emit_retention_audit(struct text_buf *tb, const struct lt_config *cfg)
{
	char v[32];

	emit(tb, "[retention]");
	lt_duration_format(cfg->default_retention, v, sizeof(v));
	emit(tb, "; retention of objects in groups without a [group:NAME] retention (s m h d w)");
	emit(tb, "default = %s", v);
	lt_duration_format(cfg->max_retention, v, sizeof(v));
	emit(tb, "; the longest retention or extension of any group without its own max "
		 "(y: 365.25 days)");
	emit(tb, "max = %s", v);
	emit(tb, "; put into a group with no [group:NAME] section: allow or refuse");
	emit(tb, "unknown_groups = %s", cfg->unknown_groups ? "allow" : "refuse");
	emit(tb, "; objects shredded per database transaction during a sweep");
	emit(tb, "sweep_batch = %u", cfg->sweep_batch);
	emit(tb, "%s", "");
	emit(tb, "[audit]");
	emit(tb, "; forward audit records to syslog (facility authpriv)");
	emit(tb, "syslog = %s", cfg->syslog ? "true" : "false");
}

static void emit_groups(struct text_buf *tb, const struct lt_config *cfg)
{
	char v[32];

	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct lt_config_group *g = &cfg->groups[i];

		emit(tb, "%s", "");
		emit(tb, "[group:%s]", g->name);
		lt_duration_format(g->retention, v, sizeof(v));
		if (g->has_retention)
			emit(tb, "retention = %s", v);
		else
			emit(tb, "; retention: the [retention] default");
		if (g->has_max) {
			lt_duration_format(g->max, v, sizeof(v));
			emit(tb, "max = %s", v);
		}
		emit(tb, "; true: compliance mode, nothing removes an object before its time");
		emit(tb, "lock = %s", g->lock ? "true" : "false");
	}
}

static bool group_equal(const struct lt_config_group *a, const struct lt_config_group *b)
{
	return strcmp(a->name, b->name) == 0 && a->lock == b->lock &&
	       a->has_retention == b->has_retention &&
	       (!a->has_retention || a->retention == b->retention) && a->has_max == b->has_max &&
	       (!a->has_max || a->max == b->max);
}

bool lt_config_equal(const struct lt_config *a, const struct lt_config *b)
{
	if (a->segment_log2 != b->segment_log2 || a->threads != b->threads ||
	    a->rotation != b->rotation || a->auto_rotate != b->auto_rotate ||
	    a->officer_kdf_memory_kib != b->officer_kdf_memory_kib ||
	    a->officer_kdf_time != b->officer_kdf_time ||
	    a->officer_kdf_parallel != b->officer_kdf_parallel ||
	    a->default_retention != b->default_retention || a->sweep_batch != b->sweep_batch ||
	    a->syslog != b->syslog || a->ngroups != b->ngroups ||
	    a->max_retention != b->max_retention || a->unknown_groups != b->unknown_groups)
		return false;
	if ((a->keyfile == NULL) != (b->keyfile == NULL) ||
	    (a->keyfile && strcmp(a->keyfile, b->keyfile) != 0))
		return false;
	for (size_t i = 0; i < a->ngroups; i++)
		if (!group_equal(&a->groups[i], &b->groups[i]))
			return false;
	return true;
}

/*
 * What lt_config_write() produces must load back as @p cfg: parse it and compare, which
 * catches every value the syntax cannot carry (a keyfile path with " ;" or trailing blanks,
 * a group name with "]", an out-of-range number) without a second set of rules.
 */
static enum lethe_err check_round_trip(const char *path, const struct text_buf *tb,
				       const struct lt_config *cfg)
{
	struct lt_config back;
	enum lethe_err rc;

	rc = lt_config_parse(tb->data, tb->len, path, &back);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc != LETHE_OK)
		return lt_err(LETHE_ERR_CONFIG, "cannot write %s: %s", path, lt_err_detail());
	if (!lt_config_equal(cfg, &back))
		rc = lt_err(LETHE_ERR_CONFIG,
			    "cannot write %s: a setting cannot be written as INI (keyfile path "
			    "with \" ;\" or trailing blanks?)",
			    path);
	lt_config_free(&back);
	return rc;
}

enum lethe_err lt_config_write(const char *path, const struct lt_config *cfg)
{
	struct text_buf tb = {0};
	enum lethe_err rc;

	emit(&tb, "; lethe.conf - settings of one lethe store (lethe(1), INI syntax).");
	emit(&tb, "; Durations: Ns Nm Nh Nd Nw. Sizes: bytes, KiB, MiB, GiB. Comments: ;");
	emit(&tb, "%s", "");
	emit_store_keys(&tb, cfg);
	emit_retention_audit(&tb, cfg);
	emit_groups(&tb, cfg);
	if (tb.failed) {
		rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	if (tb.long_line) {
		rc = lt_err(LETHE_ERR_CONFIG,
			    "cannot write %s: a setting is longer than one line "
			    "(at most %d bytes; is the keyfile path that long?)",
			    path, CONFIG_LINE_MAX);
		goto out;
	}
	rc = check_round_trip(path, &tb, cfg);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_write_file_new(path, tb.data, tb.len);
out:
	free(tb.data);
	return rc;
}
